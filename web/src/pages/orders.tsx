// Orders for buyers and suppliers: the list, and one order with its escrow, live status, the
// actions its state allows the viewer (pay, ship, confirm receipt, return, dispute, rate) and
// its history as a timeline.
import { useEffect, useState } from "preact/hooks";
import { mutate, RESULT, subscribe, upload } from "../api";
import type { Order, OrderAction } from "../generated/schema";
import { t } from "../i18n";
import { go, initialPosition, me, route } from "../nav";
import { Confirm, date, humanise, ErrorBox, Field, ListPage, money, StatusBadge, Timeline, TIMELINE, useAction, useQuery } from "../ui";
import { useSignal } from "../state";
import { useCatalogueBasics } from "./search";

const ORDER_FIELDS =
  "id number companyId supplierId address status placedAt deliveredAt disputeId availableActions lines { productId title quantity unitPrice { minor currency formatted } total { minor currency formatted } } shipping { minor currency formatted } total { minor currency formatted } escrow { funded { minor currency formatted } released { minor currency formatted } refunded { minor currency formatted } remaining { minor currency formatted } heldByDisputeId }";

export function OrdersPage() {
  const { data, error, loading } = useQuery<{ myOrders: { nodes: Order[] } }>(`{ myOrders(first: 100) { nodes { ${ORDER_FIELDS} } } }`);
  const { suppliers } = useCatalogueBasics();
  const user = useSignal(me);
  return (
    <ListPage title={user?.role === "SUPPLIER" ? t("Orders") : t("My orders")} error={error} loading={loading} items={data?.myOrders.nodes}>
      <div class="table-scroll" tabIndex={0}>
        <table class="list" data-testid="orders">
          <thead>
            <tr>
              <th>{t("Order")}</th>
              <th>{t("Placed on")}</th>
              {user?.role === "SUPPLIER" ? null : <th>{t("Supplier")}</th>}
              <th>{t("Items")}</th>
              <th class="number">{t("Total")}</th>
              <th>{t("Status")}</th>
            </tr>
          </thead>
          <tbody>
            {data?.myOrders.nodes.map((o) => (
              <tr key={o.id}>
                <td>
                  <a href={`#${route("order", o.id)}`}>{o.number}</a>
                </td>
                <td>{date(o.placedAt)}</td>
                {user?.role === "SUPPLIER" ? null : <td>{o.supplierId ? (suppliers[o.supplierId]?.companyName ?? "…") : "—"}</td>}
                <td>{o.lines.map((l) => `${l.title} × ${l.quantity.toLocaleString()}`).join("; ")}</td>
                <td class="number">{money(o.total)}</td>
                <td>
                  <StatusBadge value={o.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </ListPage>
  );
}

export function OrderPage({ id }: { id: string }) {
  const [at, setAt] = useState<string | null>(initialPosition);
  const { data, error, reload } = useQuery<{ order: Order }>(`query($id: ID!, $at: String) { order(id: $id, atLeast: $at) { ${ORDER_FIELDS} ${TIMELINE} } }`, { id, at });
  const [refresh, setRefresh] = useState(0);
  // Live: the status changes as the other side (or the escrow) acts.
  useEffect(
    () =>
      subscribe<{ orderUpdates: Order }>("subscription { orderUpdates { id status } }", {}, (d) => {
        if (d.orderUpdates.id === id) {
          reload();
          setRefresh((n) => n + 1);
        }
      }),
    [id],
  );
  const [thanks, setThanks] = useState(false);
  const o = data?.order;
  if (!o) return <ErrorBox error={error} />;
  const done = (position: string | null | undefined, field?: string) => {
    setAt(position ?? null);
    setRefresh((n) => n + 1);
    if (field === "rateOrder") setThanks(true);
  };
  return (
    <article>
      <h1>
        {t("Order")} {o.number} <StatusBadge value={o.status} />
      </h1>
      <OrderProgress order={o} />
      {thanks ? (
        <p role="status" class="ok" data-testid="rated">
          {t("Thank you: your rating is recorded.")}
        </p>
      ) : null}
      <div class="columns">
        <section class="card">
          <table>
            <tbody>
              {o.lines.map((l, i) => (
                <tr key={i}>
                  <td>{l.productId ? <a href={`#${route("product", l.productId)}`}>{l.title}</a> : l.title}</td>
                  <td>× {l.quantity.toLocaleString()}</td>
                  <td>{money(l.unitPrice)}</td>
                  <td>{money(l.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            {t("Shipping cost")} {money(o.shipping)} · {t("Total")} <strong>{money(o.total)}</strong>
          </p>
          <p class="small">
            {t("Placed on")} {date(o.placedAt)} · {t("Delivery address")}: {o.address || "—"}
          </p>
          {o.supplierId ? <SupplierLink id={o.supplierId} /> : null}
          {o.disputeId ? (
            <p>
              {t("Dispute")}: <a href={`#${route("dispute", o.disputeId)}`}>{o.disputeId.slice(-8)}</a>
            </p>
          ) : null}
        </section>
        <section class="card">
          <h3>{t("Escrow")}</h3>
          <dl class="summary small" data-testid="escrow">
            <dt>{t("Paid into escrow")}</dt>
            <dd data-escrow="funded">{money(o.escrow?.funded)}</dd>
            <dt>{t("Released to the supplier")}</dt>
            <dd data-escrow="released">{money(o.escrow?.released)}</dd>
            <dt>{t("Refunded to the buyer")}</dt>
            <dd data-escrow="refunded">{money(o.escrow?.refunded)}</dd>
            <dt>{t("Still held")}</dt>
            <dd data-escrow="remaining">{money(o.escrow?.remaining)}</dd>
          </dl>
          {o.deliveredAt ? (
            <p class="small">
              {t("Delivered")} {date(o.deliveredAt)}
            </p>
          ) : null}
          <Actions key={refresh} order={o} done={done} />
        </section>
      </div>
      <Timeline entries={o.timeline} />
    </article>
  );
}

function SupplierLink({ id }: { id: string }) {
  const { data } = useQuery<{ supplier: { companyName: string } }>("query($id: ID!) { supplier(id: $id) { companyName } }", { id });
  return (
    <p>
      {t("Supplier")}: <a href={`#${route("supplier", id)}`}>{data?.supplier.companyName ?? id.slice(-8)}</a>
    </p>
  );
}

/** The buttons of what the order's rules let this viewer do now (`availableActions`). */
/** Where an order is on its way: placed, paid, shipped, delivered, completed — or the turn it
 * took (cancelled, returned, disputed). */
const PATH = ["PLACED", "PAID", "SHIPPED", "DELIVERED", "COMPLETED"];
const REACHED: Record<string, number> = { PLACED: 0, PAID: 1, SHIPPED: 2, DELIVERED: 3, RECEIVED: 4, COMPLETED: 4 };
function OrderProgress({ order: o }: { order: Order }) {
  const reached = REACHED[o.status];
  return (
    <ol class="steps" aria-label={t("Progress")} data-testid="order-progress">
      {PATH.map((step, i) => (
        <li key={step} class={reached != null && i <= reached ? (i === reached ? "current" : "done") : ""} aria-current={i === reached ? "step" : undefined}>
          {reached != null && i < reached ? "✓ " : ""}
          {t(humanise(step))}
        </li>
      ))}
      {reached == null ? (
        <li class="turn">
          <StatusBadge value={o.status} />
        </li>
      ) : null}
    </ol>
  );
}

function Actions(props: { order: Order; done: (p: string | null | undefined, field?: string) => void }) {
  const { order: o, done } = props;
  const may = (action: OrderAction) => o.availableActions.includes(action);
  const { busy, error, run } = useAction();
  const [form, setForm] = useState<string | null>(null);
  const [carrier, setCarrier] = useState("SF Express 顺丰");
  const [tracking, setTracking] = useState("");
  const [reason, setReason] = useState("");
  const [statement, setStatement] = useState("");
  const [claimed, setClaimed] = useState("");
  const [files, setFiles] = useState<string[]>([]);
  const [kind, setKind] = useState("NOT_AS_DESCRIBED");
  const [scores, setScores] = useState({ quality: 5, delivery: 5, service: 5 });
  const act = (field: string, args: string, vars: Record<string, unknown>) =>
    run(async () => {
      const object = field === "openDispute" ? "dispute" : "order";
      const r = await mutate(field, `mutation(${args}) { ${field}(${Object.keys(vars).map((k) => `${k}: $${k}`).join(", ")}) { ${object} { id } ${RESULT} } }`, vars);
      setForm(null);
      done(r.position, field);
      if (field === "openDispute" && r.dispute) go(route("dispute", r.dispute.id), r.position);
    });
  const buttons: preact.JSX.Element[] = [];
  if (may("PAY"))
    buttons.push(
      <button class="primary" disabled={busy} onClick={() => act("payOrder", "$orderId: ID!, $idempotencyKey: String!", { orderId: o.id, idempotencyKey: `pay-${o.id}` })}>
        {t("Pay into escrow")}
      </button>,
    );
  if (may("SHIP")) buttons.push(<button class="primary" onClick={() => setForm("ship")}>{t("Ship")}</button>);
  if (may("MARK_DELIVERED"))
    buttons.push(<button disabled={busy} onClick={() => act("markDelivered", "$orderId: ID!", { orderId: o.id })}>{t("Mark delivered")}</button>);
  if (may("CONFIRM_RECEIPT"))
    buttons.push(
      <button class="primary" disabled={busy} onClick={() => setForm("receipt")}>
        {t("Confirm receipt")}…
      </button>,
    );
  if (may("REQUEST_RETURN")) buttons.push(<button onClick={() => setForm("return")}>{t("Request a return")}</button>);
  if (may("APPROVE_RETURN"))
    buttons.push(<button disabled={busy} onClick={() => act("answerReturn", "$orderId: ID!, $approve: Boolean!", { orderId: o.id, approve: true })}>{t("Answer return")} ✓</button>);
  if (may("REJECT_RETURN")) buttons.push(<button onClick={() => setForm("reject-return")}>{t("Answer return")} ✕</button>);
  if (may("SHIP_RETURN")) buttons.push(<button onClick={() => setForm("ship-return")}>{t("Ship")} ↩</button>);
  if (may("CONFIRM_RETURN_RECEIVED"))
    buttons.push(<button disabled={busy} onClick={() => act("confirmReturnReceived", "$orderId: ID!", { orderId: o.id })}>{t("Confirm receipt")} ↩</button>);
  if (may("OPEN_DISPUTE"))
    buttons.push(<button onClick={() => setForm("dispute")}>{t("Open a dispute")}</button>);
  if (may("RATE")) buttons.push(<button onClick={() => setForm("rate")}>{t("Rate the order")}</button>);
  return (
    <div>
      <div class="actions">{buttons}</div>
      <ErrorBox error={error} />
      {form === "receipt" ? (
        <Confirm
          title={t("Release the money to the supplier?")}
          action={`${t("Release")} ${money(o.escrow?.remaining)}`}
          busy={busy}
          onCancel={() => setForm(null)}
          onConfirm={() => act("confirmReceipt", "$orderId: ID!", { orderId: o.id })}
        >
          <p>
            {t("Order")} {o.number} · <strong>{money(o.escrow?.remaining)}</strong>
          </p>
          <p class="small">{t("Confirming receipt releases the money held in escrow to the supplier and cannot be undone. Inspect the goods first: a return or a dispute is possible only before you confirm.")}</p>
          <ErrorBox error={error} />
        </Confirm>
      ) : null}
      {form === "ship" || form === "ship-return" ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            act(form === "ship" ? "shipOrder" : "shipReturn", "$orderId: ID!, $carrier: String!, $tracking: String!", { orderId: o.id, carrier, tracking });
          }}
        >
          <Field label={t("Carrier")}>
            <input value={carrier} onInput={(e) => setCarrier(e.currentTarget.value)} required />
          </Field>
          <Field label={t("Tracking number")}>
            <input value={tracking} onInput={(e) => setTracking(e.currentTarget.value)} required />
          </Field>
          <button class="primary" disabled={busy}>
            {t("Ship")}
          </button>
        </form>
      ) : null}
      {form === "return" || form === "reject-return" ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (form === "return") act("requestReturn", "$orderId: ID!, $reason: String!", { orderId: o.id, reason });
            else act("answerReturn", "$orderId: ID!, $approve: Boolean!, $reason: String", { orderId: o.id, approve: false, reason });
          }}
        >
          <Field label={t("Reason")}>
            <textarea value={reason} onInput={(e) => setReason(e.currentTarget.value)} required />
          </Field>
          <button class="primary" disabled={busy}>
            {t("Submit")}
          </button>
        </form>
      ) : null}
      {form === "dispute" ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            act("openDispute", "$orderId: ID!, $reason: DisputeReason!, $statement: String!, $files: [String!]!, $claimed: MoneyInput!", {
              orderId: o.id,
              reason: kind,
              statement,
              files,
              claimed: { minor: String(Math.round(Number(claimed) * 100)), currency: "CNY" },
            });
          }}
        >
          <Field label={t("Reason")}>
            <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
              {["NOT_SHIPPED", "NOT_AS_DESCRIBED", "DAMAGED", "WRONG_QUANTITY", "NOT_PAID", "OTHER"].map((r) => (
                <option key={r} value={r}>
                  {t(humanise(r))}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t("Statement")}>
            <textarea value={statement} onInput={(e) => setStatement(e.currentTarget.value)} required />
          </Field>
          <Field label={`${t("Claimed")} (¥)`} hint={`≤ ${money(o.escrow?.remaining)}`}>
            <input type="number" step="0.01" min="0.01" value={claimed} onInput={(e) => setClaimed(e.currentTarget.value)} required />
          </Field>
          <Field label={t("Evidence")}>
            <input
              type="file"
              multiple
              onChange={async (e) => {
                const chosen = Array.from(e.currentTarget.files ?? []);
                const refs = await Promise.all(chosen.map(upload));
                setFiles([...files, ...refs]);
              }}
            />
          </Field>
          <p class="small muted">{files.join(", ")}</p>
          <button class="primary" disabled={busy}>
            {t("Open a dispute")}
          </button>
        </form>
      ) : null}
      {form === "rate" ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            act("rateOrder", "$orderId: ID!, $quality: Int!, $delivery: Int!, $service: Int!", { orderId: o.id, ...scores });
          }}
        >
          {(["quality", "delivery", "service"] as const).map((k) => (
            <Field key={k} label={t(k.charAt(0).toUpperCase() + k.slice(1))}>
              <input type="number" min="1" max="5" value={scores[k]} onInput={(e) => setScores({ ...scores, [k]: Number(e.currentTarget.value) })} />
            </Field>
          ))}
          <button class="primary" disabled={busy}>
            {t("Submit")}
          </button>
        </form>
      ) : null}
    </div>
  );
}
