// The agent's desk: the supplier review queue (documents side by side, approve or reject with a
// reason), the dispute queue, and one dispute with both sides' evidence, its timeline, and the
// ruling form that splits the escrow (leaning to the buyer when the evidence is even).
import { useState } from "preact/hooks";
import { mutate, RESULT, upload } from "../api";
import type { Dispute, Order, Rfq, Supplier } from "../generated/schema";
import { t } from "../i18n";
import { hashParams, initialPosition, route } from "../nav";
import { Confirm, Countdown, date, ErrorBox, Field, FileLink, humanise, ListPage, money, StatusBadge, Timeline, TIMELINE, useAction, useQuery } from "../ui";
import { useCatalogueBasics } from "./search";
import { DOCUMENT_KINDS } from "./onboarding";
import { RfqSpec } from "./rfq";
import { SUPPLIER_FIELDS } from "./onboarding";

export function ReviewQueuePage() {
  const [at, setAt] = useState<string | null>(null);
  const { data, error, loading } = useQuery<{ reviewQueue: { nodes: Supplier[] } }>(`query($at: String) { reviewQueue(first: 100, atLeast: $at) { nodes { ${SUPPLIER_FIELDS} } } }`, { at });
  // Loaded once for the page, not once per card.
  const { categories, words } = useCatalogueBasics();
  const categoryName = (id: string) => words.category(id, categories.find((c) => c.id === id)?.name ?? "…");
  return (
    <ListPage title={t("Review queue")} error={error} loading={loading} items={data?.reviewQueue.nodes}>
      {data?.reviewQueue.nodes.map((s) => (
        <ReviewCard key={s.id} supplier={s} categoryName={categoryName} done={setAt} />
      ))}
    </ListPage>
  );
}

function ReviewCard({ supplier: s, categoryName, done }: { supplier: Supplier; categoryName: (id: string) => string; done: (p: string | null) => void }) {
  const [reason, setReason] = useState("");
  const { busy, error, run } = useAction();
  const review = (kind: string, approve: boolean) =>
    run(async () => {
      const r = await mutate(
        "reviewDocument",
        `mutation($s: ID!, $k: DocumentKind!, $a: Boolean!, $r: String) { reviewDocument(supplierId: $s, kind: $k, approve: $a, reason: $r) { ${RESULT} } }`,
        { s: s.id, k: kind, a: approve, r: approve ? null : reason },
      );
      done(r.position ?? null);
    });
  return (
    <article class="card" data-supplier={s.companyName}>
      <h2>
        <a href={`#${route("supplier", s.id)}`}>{s.companyName}</a> <StatusBadge value={s.status} />
      </h2>
      <p class="small">
        {t("Unified social credit code")}: <code>{s.creditCode}</code> · {t("Categories")}:{" "}
        {s.categoryIds.map(categoryName).join("; ")}
      </p>
      <p class="small muted">{t("Required: the unified business licence, or the old-style business licence with a tax registration certificate. Trademark and brand documents are optional; they show buyers what you may sell.")}</p>
      <div class="documents">
        {s.documents?.map((d) => (
          <figure key={d.kind} class="document">
            <FileLink file={d.file} />
            <figcaption>
              {t(DOCUMENT_KINDS[d.kind])} <StatusBadge value={d.review} />
              {d.review.toUpperCase() === "PENDING" ? (
                <span class="actions">
                  <button class="primary" disabled={busy} onClick={() => review(d.kind, true)}>
                    {t("Approve")}
                  </button>
                  <button disabled={busy || !reason.trim()} onClick={() => review(d.kind, false)}>
                    {t("Reject")}
                  </button>
                </span>
              ) : null}
            </figcaption>
          </figure>
        ))}
      </div>
      <Field label={t("Reason")} hint={t("Needed to reject")}>
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </Field>
      <ErrorBox error={error} />
    </article>
  );
}

const DISPUTE_FIELDS =
  "id orderId orderNumber supplierId openedBy reason openedAt claimed { minor currency formatted } held { minor currency formatted } answerBy status availableActions evidence { party text files at } ruling { refund { minor currency formatted } release { minor currency formatted } penalty { minor currency formatted } warned note byDefault at }";

export function DisputeQueuePage() {
  // Waiting (open or under review, oldest first) or decided (newest first): `#/disputes?decided=1`.
  const decided = hashParams().get("decided") === "1";
  const { data, error, loading } = useQuery<{ disputeQueue: { nodes: Dispute[] } }>(
    `query($d: Boolean!) { disputeQueue(first: 100, decided: $d) { nodes { ${DISPUTE_FIELDS} } } }`,
    { d: decided },
  );
  const { suppliers } = useCatalogueBasics();
  return (
    <ListPage title={t("Disputes")} error={error} loading={loading} items={data?.disputeQueue.nodes}>
      <nav class="tabs" aria-label={t("Disputes")}>
        <a href="#/disputes" aria-current={!decided ? "page" : undefined}>
          {t("Waiting for a ruling")}
        </a>
        <a href="#/disputes?decided=1" aria-current={decided ? "page" : undefined}>
          {t("Decided")}
        </a>
      </nav>
      <div class="table-scroll" tabIndex={0}>
        <table class="list" data-testid="dispute-queue">
          <thead>
            <tr>
              <th>{t("Order")}</th>
              <th>{t("Opened")}</th>
              <th>{t("Opened by")}</th>
              <th>{t("Reason")}</th>
              <th>{t("Supplier")}</th>
              <th class="number">{t("Claimed")}</th>
              <th class="number">{t("Escrow")}</th>
              <th>{t("Status")}</th>
              <th>{decided ? t("Ruling") : t("Answer by")}</th>
            </tr>
          </thead>
          <tbody>
            {data?.disputeQueue.nodes.map((d) => (
              <tr key={d.id}>
                <td>
                  <a href={`#${route("dispute", d.id)}`}>{d.orderNumber ?? d.id.slice(-8)}</a>
                </td>
                <td>{date(d.openedAt)}</td>
                <td>{d.openedBy ? t(humanise(d.openedBy)) : "—"}</td>
                <td>{d.reason ? t(humanise(d.reason)) : "—"}</td>
                <td>{d.supplierId ? (suppliers[d.supplierId]?.companyName ?? "…") : "—"}</td>
                <td class="number">{money(d.claimed)}</td>
                <td class="number">{money(d.held)}</td>
                <td>
                  <StatusBadge value={d.status} />
                </td>
                <td>
                  {decided ? (
                    d.ruling ? (
                      <span class="small">
                        {t("Refund")} {money(d.ruling.refund)} · {t("Release")} {money(d.ruling.release)}
                      </span>
                    ) : (
                      "—"
                    )
                  ) : (
                    <Countdown deadline={d.answerBy} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </ListPage>
  );
}

export function DisputePage({ id }: { id: string }) {
  const [at, setAt] = useState<string | null>(initialPosition);
  const { data, error } = useQuery<{ dispute: Dispute }>(`query($id: ID!, $at: String) { dispute(id: $id, atLeast: $at) { ${DISPUTE_FIELDS} ${TIMELINE} } }`, { id, at });
  const d = data?.dispute;
  if (!d) return <ErrorBox error={error} />;
  const done = (p: string | null | undefined) => setAt(p ?? null);
  const open = !["RULED", "WITHDRAWN", "ABANDONED"].includes(d.status);
  const may = (action: string) => d.availableActions.includes(action as Dispute["availableActions"][number]);
  const sides = ["BUYER", "SUPPLIER"];
  return (
    <article>
      <h1>
        {t("Dispute")} {d.orderNumber ?? d.id.slice(-8)} <StatusBadge value={d.status} />
      </h1>
      <p>
        {t("Order")} {d.orderId ? <a href={`#${route("order", d.orderId)}`}>{d.orderNumber ?? d.orderId.slice(-8)}</a> : null} · {t("Reason")}{" "}
        <strong>{d.reason ? t(humanise(d.reason)) : "—"}</strong> · {t("Opened by")} {d.openedBy ? t(humanise(d.openedBy)) : "—"} · {t("Claimed")}{" "}
        {money(d.claimed)} · {t("Escrow")} {money(d.held)}
        {open ? (
          <>
            {" "}
            · {t("Respond within")} <Countdown deadline={d.answerBy} />
          </>
        ) : null}
      </p>
      <div class="columns">
        {sides.map((side) => (
          <section class="card" key={side} data-side={side}>
            <h2>{t(humanise(side))}</h2>
            <ol class="timeline">
              {d.evidence
                .filter((e) => e.party.toUpperCase() === side)
                .map((e, i) => (
                  <li key={i}>
                    <time>{date(e.at)}</time>
                    <p>{e.text}</p>
                    <div class="files">
                      {e.files.map((f) => (
                        <FileLink key={f} file={f} />
                      ))}
                    </div>
                  </li>
                ))}
            </ol>
          </section>
        ))}
      </div>
      {d.orderId ? <DisputedOrder id={d.orderId} /> : null}
      {d.ruling ? (
        <section class="card ok-card" data-testid="ruling">
          <h2>{t("Ruling")}</h2>
          <dl class="summary">
            <dt>{t("Refund to buyer")}</dt>
            <dd>{money(d.ruling.refund)}</dd>
            <dt>{t("Release to supplier")}</dt>
            <dd>{money(d.ruling.release)}</dd>
            <dt>{t("Penalty")}</dt>
            <dd>{money(d.ruling.penalty)}</dd>
            <dt>{t("Warn the supplier")}</dt>
            <dd>{d.ruling.warned ? "✓" : "—"}</dd>
            <dt>{t("Note")}</dt>
            <dd>{d.ruling.byDefault ? t("Ruled by default: the other side did not answer in time.") : d.ruling.note}</dd>
            <dt>{t("Decided")}</dt>
            <dd>{date(d.ruling.at)}</dd>
          </dl>
        </section>
      ) : null}
      {may("ADD_EVIDENCE") ? <EvidenceForm dispute={d} done={done} /> : null}
      {may("RULE") ? <RulingForm dispute={d} done={done} /> : null}
      <Timeline entries={d.timeline} />
    </article>
  );
}

/** What the disputed order was for: its lines and, for an order made from a quote, the RFQ's
 * spec and drawings — what the goods are judged against. */
function DisputedOrder({ id }: { id: string }) {
  const order = useQuery<{ order: Order }>(
    "query($id: ID!) { order(id: $id) { number rfqId address lines { productId title quantity unitPrice { minor currency formatted } total { minor currency formatted } } total { minor currency formatted } } }",
    { id },
  );
  const o = order.data?.order;
  const rfq = useQuery<{ rfq: Rfq }>(o?.rfqId ? "query($id: ID!) { rfq(id: $id) { id title description attributes { key label value } drawings quantity targetPrice { minor currency formatted } } }" : null, {
    id: o?.rfqId,
  });
  if (!o) return <ErrorBox error={order.error} />;
  const r = rfq.data?.rfq;
  return (
    <section class="card" data-testid="disputed-order">
      <h2>{t("What was ordered")}</h2>
      <table class="small">
        <tbody>
          {o.lines.map((l, i) => (
            <tr key={i}>
              <td>{l.productId ? <a href={`#${route("product", l.productId)}`}>{l.title}</a> : l.title}</td>
              <td class="number">× {l.quantity.toLocaleString()}</td>
              <td class="number">{money(l.unitPrice)}</td>
              <td class="number">{money(l.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="small">
        {t("Total")} {money(o.total)} · {t("Delivery address")}: {o.address || "—"}
      </p>
      {r ? (
        <>
          <h3>
            {t("The RFQ's specification")}: <a href={`#${route("rfq", r.id)}`}>{r.title}</a>
          </h3>
          {r.description ? <p class="small">{r.description}</p> : null}
          <RfqSpec rfq={r} />
        </>
      ) : null}
    </section>
  );
}

function EvidenceForm({ dispute, done }: { dispute: Dispute; done: (p: string | null | undefined) => void }) {
  const [text, setText] = useState("");
  const [files, setFiles] = useState<string[]>([]);
  const { busy, error, run } = useAction();
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          const r = await mutate("addEvidence", `mutation($d: ID!, $t: String!, $f: [String!]!) { addEvidence(disputeId: $d, text: $t, files: $f) { ${RESULT} } }`, {
            d: dispute.id,
            t: text,
            f: files,
          });
          setText("");
          setFiles([]);
          done(r.position);
        });
      }}
    >
      <h2>{t("Add evidence")}</h2>
      <Field label={t("Statement")}>
        <textarea required value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </Field>
      <Field label={t("Files")}>
        <input
          type="file"
          multiple
          onChange={(e) => {
            const chosen = Array.from(e.currentTarget.files ?? []);
            run(async () => setFiles([...files, ...(await Promise.all(chosen.map(upload)))]));
          }}
        />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t("Submit")}
      </button>
    </form>
  );
}

function RulingForm({ dispute: d, done }: { dispute: Dispute; done: (p: string | null | undefined) => void }) {
  const held = Number(d.held?.minor ?? 0) / 100;
  const [refund, setRefund] = useState(String(Number(d.claimed?.minor ?? 0) / 100));
  const [penalty, setPenalty] = useState("");
  const [warn, setWarn] = useState(false);
  const [note, setNote] = useState("");
  const { busy, error, run } = useAction();
  const [confirming, setConfirming] = useState(false);
  const release = Math.max(0, Math.round((held - Number(refund || 0)) * 100) / 100);
  // No penalty is a blank or a zero alike.
  const penalised = Number(penalty) > 0;
  const yuan = (v: number | string) => ({ minor: String(Math.round(Number(v) * 100)), currency: "CNY" as const });
  const rule = () =>
    run(async () => {
      if (d.availableActions.includes("ASSIGN")) await mutate("assignDispute", `mutation($d: ID!) { assignDispute(disputeId: $d) { ${RESULT} } }`, { d: d.id });
      const r = await mutate(
        "ruleDispute",
        `mutation($d: ID!, $r: MoneyInput!, $l: MoneyInput!, $p: MoneyInput, $w: Boolean!, $n: String!) { ruleDispute(disputeId: $d, refund: $r, release: $l, penalty: $p, warn: $w, note: $n) { ${RESULT} } }`,
        { d: d.id, r: yuan(refund || 0), l: yuan(release), p: penalised ? yuan(penalty) : null, w: warn, n: note },
      );
      setConfirming(false);
      done(r.position);
    });
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        setConfirming(true);
      }}
    >
      <h2>{t("Ruling")}</h2>
      <p class="small muted">
        {t("Escrow")}: ¥{held.toFixed(2)} · {t("Claimed")}: {money(d.claimed)}
      </p>
      <div class="row">
        <Field label={`${t("Refund to buyer")} (¥)`}>
          <input type="number" min="0" max={held} step="0.01" value={refund} onInput={(e) => setRefund(e.currentTarget.value)} />
        </Field>
        <Field label={`${t("Release to supplier")} (¥)`}>
          <input type="number" value={release} readOnly />
        </Field>
        <Field label={`${t("Penalty")} (¥)`} hint={t("From the supplier's deposit; blank or 0 for none")}>
          <input type="number" min="0" step="0.01" value={penalty} onInput={(e) => setPenalty(e.currentTarget.value)} />
        </Field>
      </div>
      <label class="check">
        <input type="checkbox" checked={warn} onChange={(e) => setWarn(e.currentTarget.checked)} /> {t("Warn the supplier")}
      </label>
      <Field label={t("Note")}>
        <textarea required value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t("Ruling")}…
      </button>
      {confirming ? (
        <Confirm title={t("Rule this dispute?")} action={t("Rule")} busy={busy} onCancel={() => setConfirming(false)} onConfirm={rule}>
          <dl class="summary">
            <dt>{t("Refund to buyer")}</dt>
            <dd>¥{Number(refund || 0).toFixed(2)}</dd>
            <dt>{t("Release to supplier")}</dt>
            <dd>¥{release.toFixed(2)}</dd>
            <dt>{t("Penalty")}</dt>
            <dd>{penalised ? `¥${Number(penalty).toFixed(2)}` : "—"}</dd>
            <dt>{t("Warn the supplier")}</dt>
            <dd>{warn ? "✓" : "—"}</dd>
          </dl>
          <p class="small">{t("A ruling moves the money at once and cannot be undone.")}</p>
          <ErrorBox error={error} />
        </Confirm>
      ) : null}
    </form>
  );
}
