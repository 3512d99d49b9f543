// RFQs: the buyer's composer (spec attributes from the category's schema, quantity, drawings,
// invited suppliers), their list, and one RFQ with its quotes side by side — counter-offer and
// accept for the buyer, quote and revise for a supplier — updated live as quotes arrive.
import { useEffect, useState } from "preact/hooks";
import { mutate, RESULT, subscribe, upload } from "../api";
import type { Category, Money, Quote, Rfq, Supplier } from "../generated/schema";
import { count, t } from "../i18n";
import { go, hashParams, me, route } from "../nav";
import { useSignal } from "../state";
import { Badge, cny, Confirm, Countdown, date, ErrorBox, Field, FileLink, Loading, money, Stars, StatusBadge, SupplierBadges, Timeline, TIMELINE, toggled, useAction, useQuery } from "../ui";
import { useCatalogueBasics } from "./search";

export const RFQ_FIELDS =
  "id title description categoryId attributes { key label value } drawings quantity targetPrice { minor currency formatted } deadline respondBy slaMsLeft invitedSupplierIds poolOpen status orderId availableActions quotes { id supplierId unitPrice { minor currency formatted } leadTimeDays validUntil note revision counterOffer { minor currency formatted } status availableActions }";

const DAY = 86_400_000;

export function RfqComposer() {
  const { categories, suppliers, words } = useCatalogueBasics();
  // A product page's "request a quote for a variant" arrives with the part's category, title,
  // quantity and attributes, to edit into the variant wanted.
  const [given] = useState(hashParams);
  const [title, setTitle] = useState(given.get("title") ?? "");
  const [description, setDescription] = useState("");
  const [category, setCategory] = useState<string>(given.get("category") ?? "");
  const [spec, setSpec] = useState<Record<string, string>>(() =>
    Object.fromEntries([...given].filter(([k]) => k.startsWith("v.")).map(([k, v]) => [k.slice(2), v])),
  );
  const [quantity, setQuantity] = useState(given.get("quantity") ?? "1000");
  const [target, setTarget] = useState("");
  const [deadline, setDeadline] = useState(new Date(Date.now() + 14 * DAY).toISOString().slice(0, 10));
  const [drawings, setDrawings] = useState<string[]>([]);
  const [invited, setInvited] = useState<string[]>([]);
  const { busy, error, run } = useAction();
  const chosen: Category | undefined = categories.find((c) => c.id === category);
  // Suppliers of the chosen category only, each once.
  const candidates = category ? Object.values(suppliers).filter((s) => s.categoryIds.includes(category)) : [];
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          const r = await mutate("createRfq", `mutation($i: RfqInput!) { createRfq(input: $i) { rfq { id } ${RESULT} } }`, {
            i: {
              title,
              description,
              categoryId: category,
              attributes: Object.entries(spec)
                .filter(([, v]) => v.trim())
                .map(([key, value]) => ({ key, value })),
              quantity: Number(quantity),
              drawings,
              targetPrice: target ? { minor: String(Math.round(Number(target) * 100)), currency: "CNY" } : null,
              deadline: new Date(deadline).toISOString(),
              invitedSupplierIds: invited,
            },
          });
          go(route("rfq", r.rfq.id), r.position);
        });
      }}
    >
      <h1>{t("New RFQ")}</h1>
      <Field label={t("Title")}>
        <input required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </Field>
      <Field label={t("Category")}>
        <select required value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
          <option value="">—</option>
          {categories.map((c) => (
            <option key={c.id} value={c.id}>
              {words.category(c.id, c.name)}
            </option>
          ))}
        </select>
      </Field>
      {chosen?.attributes.map((a) => (
        <Field key={a.key} label={`${words.label(category, a.key, a.label)}${a.unit ? ` (${a.unit})` : ""}`}>
          {a.kind === "ENUM" ? (
            <select value={spec[a.key] ?? ""} onChange={(e) => setSpec({ ...spec, [a.key]: e.currentTarget.value })}>
              <option value="">—</option>
              {a.values.map((v) => (
                <option key={v} value={v}>
                  {words.value(category, a.key, v)}
                </option>
              ))}
            </select>
          ) : (
            <input value={spec[a.key] ?? ""} placeholder={a.unit ? `35 ${a.unit} / 1-3/8 in` : ""} onInput={(e) => setSpec({ ...spec, [a.key]: e.currentTarget.value })} />
          )}
        </Field>
      ))}
      <Field label={t("Description")}>
        <textarea value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </Field>
      <div class="row">
        <Field label={t("Quantity")}>
          <input type="number" min="1" required value={quantity} onInput={(e) => setQuantity(e.currentTarget.value)} />
        </Field>
        <Field label={`${t("Target price")} (¥)`}>
          <input type="number" step="0.01" value={target} onInput={(e) => setTarget(e.currentTarget.value)} />
        </Field>
        <Field label={t("Deadline")}>
          <input type="date" required value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} />
        </Field>
      </div>
      <Field label={t("Drawings")}>
        <input
          type="file"
          multiple
          onChange={(e) => {
            const files = Array.from(e.currentTarget.files ?? []);
            run(async () => setDrawings([...drawings, ...(await Promise.all(files.map(upload)))]));
          }}
        />
      </Field>
      <div class="files">
        {drawings.map((d) => (
          <FileLink key={d} file={d} />
        ))}
      </div>
      <fieldset>
        <legend>{t("Invite suppliers")}</legend>
        {!category ? <p class="muted small">{t("Choose a category to see its suppliers.")}</p> : null}
        {candidates.map((s) => (
          <label class="check" key={s.id}>
            <input
              type="checkbox"
              checked={invited.includes(s.id)}
              onChange={(e) => setInvited(toggled(invited, s.id, e.currentTarget.checked))}
            />{" "}
            {s.companyName} <SupplierBadges supplier={s} />
          </label>
        ))}
      </fieldset>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t("Send RFQ")}
      </button>
    </form>
  );
}

export function RfqList() {
  const { data, error, loading } = useQuery<{ myRfqs: { nodes: Rfq[] } }>(`{ myRfqs(first: 100) { nodes { ${RFQ_FIELDS} } } }`);
  return (
    <section>
      <h1>
        {t("RFQs")} <a class="button primary" href="#/rfq/new">{t("New RFQ")}</a>
      </h1>
      <ErrorBox error={error} />
      <Loading when={loading && !data}>
        <table class="list">
          <tbody>
            {data?.myRfqs.nodes.map((r) => (
              <tr key={r.id}>
                <td>
                  <a href={`#${route("rfq", r.id)}`}>{r.title}</a>
                </td>
                <td>× {r.quantity.toLocaleString()}</td>
                <td>
                  <StatusBadge value={r.status} /> {r.poolOpen ? <Badge tone="info">{t("Pool")}</Badge> : null}
                </td>
                <td>
                  {count(r.quotes.length, "quote", "quotes")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Loading>
    </section>
  );
}

export function RfqPage({ id }: { id: string }) {
  const at = new URLSearchParams(location.hash.split("?")[1] ?? "").get("at");
  const [position, setPosition] = useState<string | null>(at);
  const { data, error, reload } = useQuery<{ rfq: Rfq }>(`query($id: ID!, $at: String) { rfq(id: $id, atLeast: $at) { ${RFQ_FIELDS} ${TIMELINE} } }`, { id, at: position });
  const { suppliers } = useCatalogueBasics();
  const user = useSignal(me);
  useEffect(
    () =>
      user?.role === "BUYER"
        ? subscribe<{ quotes: Rfq }>("subscription($id: ID!) { quotes(rfqId: $id) { id } }", { id }, () => reload())
        : () => {},
    [id, user?.role],
  );
  const r = data?.rfq;
  if (!r) return <ErrorBox error={error} />;
  const done = (p: string | null | undefined) => setPosition(p ?? null);
  const mine = r.quotes.find((q) => q.supplierId === user?.supplierId);
  return (
    <article>
      <h1>
        {r.title} <StatusBadge value={r.status} /> {r.poolOpen ? <Badge>{t("Pool")}</Badge> : null}
      </h1>
      <p class="muted">
        × {r.quantity.toLocaleString()} · {t("Target price")} {money(r.targetPrice)} · {t("Deadline")} {date(r.deadline)}
        {r.status === "OPEN" || r.status === "QUOTED" ? (
          <>
            {" "}
            · {t("Respond within")} <Countdown deadline={r.respondBy} />
          </>
        ) : null}
      </p>
      {r.orderId ? <OrderLink id={r.orderId} /> : null}
      {r.description ? <p>{r.description}</p> : null}
      {r.attributes.length || r.drawings.length ? (
        <section class="card">
          <RfqSpec rfq={r} />
        </section>
      ) : null}
      <section class="card">
        <h2>{t("Compare quotes")}</h2>
        {!r.quotes.length ? <p class="muted">{t("Nothing here yet.")}</p> : null}
        <div class="compare" data-testid="quotes">
          {r.quotes.map((q) => (
            <QuoteCard key={q.id} rfq={r} quote={q} supplier={suppliers[q.supplierId]} done={done} />
          ))}
        </div>
      </section>
      {r.availableActions.includes("SUBMIT_QUOTE") || mine?.availableActions.includes("REVISE") ? <QuoteForm rfq={r} existing={mine} done={done} /> : null}
      <Timeline entries={r.timeline} />
    </article>
  );
}

/** What an RFQ asks for: its attributes as the buyer gave them, and the drawings. */
export function RfqSpec({ rfq: r }: { rfq: Pick<Rfq, "attributes" | "drawings"> }) {
  return (
    <>
      <table class="small">
        <tbody>
          {r.attributes.map((a) => (
            <tr key={a.key}>
              <th scope="row">{a.label}</th>
              <td>{a.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="files" data-testid="drawings">
        {r.drawings.map((d) => (
          <FileLink key={d} file={d} />
        ))}
      </div>
    </>
  );
}

/** The order an awarded RFQ became, by its number. */
function OrderLink({ id }: { id: string }) {
  const { data } = useQuery<{ order: { number: string; total: Money | null } }>("query($id: ID!) { order(id: $id) { number total { minor currency formatted } } }", { id });
  return (
    <p class="ok" data-testid="rfq-order">
      {t("Order")}: <a href={`#${route("order", id)}`}>{data?.order.number ?? "…"}</a> {data?.order.total ? `· ${money(data.order.total)}` : ""}
    </p>
  );
}

function QuoteCard(props: { rfq: Rfq; quote: Quote; supplier: Supplier | undefined; done: (p: string | null | undefined) => void }) {
  const { rfq, quote: q, supplier: s } = props;
  const { busy, error, run } = useAction();
  const [counter, setCounter] = useState("");
  const [accepting, setAccepting] = useState(false);
  const [address, setAddress] = useState("");
  const total = Number(q.unitPrice.minor) * rfq.quantity;
  const target = rfq.targetPrice ? Number(rfq.targetPrice.minor) : null;
  const againstTarget = target ? Math.round(((Number(q.unitPrice.minor) - target) / target) * 100) : null;
  return (
    <div class="quote card" data-supplier={q.supplierId}>
      <h3>
        <a href={`#${route("supplier", q.supplierId)}`}>{s?.companyName ?? q.supplierId.slice(-8)}</a>
      </h3>
      {s ? (
        <p class="small">
          <SupplierBadges supplier={s} /> <Stars value={s.averageRating} />
        </p>
      ) : null}
      <dl>
        <dt>{t("Unit price")}</dt>
        <dd>
          {money(q.unitPrice)}
          {againstTarget != null ? (
            <small class={againstTarget > 0 ? "muted warn-text" : "muted ok-text"}>
              {" "}
              ({againstTarget > 0 ? "+" : ""}
              {againstTarget}% {t("against target")})
            </small>
          ) : null}
        </dd>
        <dt>{t("Total")}</dt>
        <dd>{cny(total)}</dd>
        <dt>{t("Lead time")}</dt>
        <dd>
          {count(q.leadTimeDays, "day", "days")}
        </dd>
        <dt>{t("Valid until")}</dt>
        <dd>{date(q.validUntil)}</dd>
        <dt>{t("Status")}</dt>
        <dd>
          <StatusBadge value={q.status} /> {q.revision ? `r${q.revision}` : ""}
        </dd>
        {q.counterOffer ? (
          <>
            <dt>{t("Counter-offer")}</dt>
            <dd>{money(q.counterOffer)}</dd>
          </>
        ) : null}
      </dl>
      {accepting ? (
        <Confirm
          title={t("Accept this quote?")}
          action={`${t("Accept and order")} · ${cny(total)}`}
          busy={busy}
          ready={!!address.trim()}
          onCancel={() => setAccepting(false)}
          onConfirm={() =>
            run(async () => {
              const r = await mutate("acceptQuote", `mutation($q: ID!, $a: String) { acceptQuote(quoteId: $q, address: $a) { order { id } ${RESULT} } }`, {
                q: q.id,
                a: address,
              });
              setAccepting(false);
              props.done(r.position);
            })
          }
        >
          <dl class="summary">
            <dt>{t("Supplier")}</dt>
            <dd>{s?.companyName ?? "—"}</dd>
            <dt>{t("Quantity")}</dt>
            <dd>{rfq.quantity.toLocaleString()}</dd>
            <dt>{t("Unit price")}</dt>
            <dd>{money(q.unitPrice)}</dd>
            <dt>{t("Order total")}</dt>
            <dd>
              <strong>{cny(total)}</strong>
            </dd>
            <dt>{t("Lead time")}</dt>
            <dd>
              {count(q.leadTimeDays, "day", "days")}
            </dd>
          </dl>
          <Field label={t("Delivery address")}>
            <input required value={address} onInput={(e) => setAddress(e.currentTarget.value)} placeholder="浙江省宁波市北仑区…" />
          </Field>
          <p class="small">{t("Accepting makes an order at this price, to be paid into escrow; the other quotes are declined.")}</p>
          <ErrorBox error={error} />
        </Confirm>
      ) : null}
      {q.note ? <p class="small">{q.note}</p> : null}
      {q.availableActions.includes("ACCEPT") ? (
        <div class="actions">
          <button class="primary" disabled={busy} onClick={() => setAccepting(true)}>
            {t("Accept")}…
          </button>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                const r = await mutate(
                  "counterOffer",
                  `mutation($q: ID!, $p: MoneyInput!) { counterOffer(quoteId: $q, unitPrice: $p) { ${RESULT} } }`,
                  { q: q.id, p: { minor: String(Math.round(Number(counter) * 100)), currency: "CNY" } },
                );
                setCounter("");
                props.done(r.position);
              });
            }}
          >
            <input type="number" step="0.01" min="0.01" aria-label={t("Counter-offer")} placeholder="¥" value={counter} onInput={(e) => setCounter(e.currentTarget.value)} required />
            <button disabled={busy}>{t("Counter-offer")}</button>
          </form>
        </div>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}

export function QuoteForm(props: { rfq: Rfq; existing?: Quote; done: (p: string | null | undefined) => void }) {
  const { rfq, existing } = props;
  const [price, setPrice] = useState(existing ? String(Number(existing.unitPrice.minor) / 100) : "");
  const [lead, setLead] = useState(String(existing?.leadTimeDays ?? 10));
  const [valid, setValid] = useState(new Date(Date.now() + 7 * DAY).toISOString().slice(0, 10));
  const [note, setNote] = useState(existing?.note ?? "");
  const { busy, error, run } = useAction();
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          const vars: Record<string, unknown> = {
            p: { minor: String(Math.round(Number(price) * 100)), currency: "CNY" },
            l: Number(lead),
            v: new Date(new Date(valid).getTime() + DAY - 1).toISOString(),
            n: note,
          };
          const r = existing
            ? await mutate(
                "reviseQuote",
                `mutation($q: ID!, $p: MoneyInput!, $l: Int!, $v: DateTime!, $n: String!) { reviseQuote(quoteId: $q, unitPrice: $p, leadTimeDays: $l, validUntil: $v, note: $n) { ${RESULT} } }`,
                { ...vars, q: existing.id },
              )
            : await mutate(
                "submitQuote",
                `mutation($r: ID!, $p: MoneyInput!, $l: Int!, $v: DateTime!, $n: String!) { submitQuote(rfqId: $r, unitPrice: $p, leadTimeDays: $l, validUntil: $v, note: $n) { ${RESULT} } }`,
                { ...vars, r: rfq.id },
              );
          props.done(r.position);
        });
      }}
    >
      <h2>{existing ? t("Revise") : t("Quote")}</h2>
      {existing?.counterOffer ? (
        <p>
          {t("Counter-offer")}: <strong>{money(existing.counterOffer)}</strong>
        </p>
      ) : null}
      <div class="row">
        <Field label={`${t("Unit price")} (¥)`}>
          <input type="number" step="0.01" min="0.01" required value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
        </Field>
        <Field label={`${t("Lead time")} (${t("days")})`}>
          <input type="number" min="0" required value={lead} onInput={(e) => setLead(e.currentTarget.value)} />
        </Field>
        <Field label={t("Valid until")}>
          <input type="date" required value={valid} onInput={(e) => setValid(e.currentTarget.value)} />
        </Field>
      </div>
      <Field label={t("Note")}>
        <input value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {existing ? t("Revise") : t("Submit")}
      </button>
    </form>
  );
}
