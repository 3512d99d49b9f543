// The agent's desk: the supplier review queue (documents side by side, approve or reject with a
// reason), the dispute queue, and one dispute with both sides' evidence, its timeline, and the
// ruling form that splits the escrow (leaning to the buyer when the evidence is even).
import { useState } from "preact/hooks";
import { mutate, RESULT, upload } from "../api";
import type { Dispute, Supplier } from "../generated/schema";
import { t } from "../i18n";
import { initialPosition, route } from "../nav";
import { Badge, Countdown, date, ErrorBox, Field, FileLink, ListPage, money, Timeline, TIMELINE, useAction, useQuery } from "../ui";
import { SUPPLIER_FIELDS } from "./onboarding";

export function ReviewQueuePage() {
  const [at, setAt] = useState<string | null>(null);
  const { data, error, loading } = useQuery<{ reviewQueue: { nodes: Supplier[] } }>(`query($at: String) { reviewQueue(first: 100, atLeast: $at) { nodes { ${SUPPLIER_FIELDS} } } }`, { at });
  return (
    <ListPage title={t("Review queue")} error={error} loading={loading} items={data?.reviewQueue.nodes}>
      {data?.reviewQueue.nodes.map((s) => (
        <ReviewCard key={s.id} supplier={s} done={setAt} />
      ))}
    </ListPage>
  );
}

function ReviewCard({ supplier: s, done }: { supplier: Supplier; done: (p: string | null) => void }) {
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
        <a href={`#${route("supplier", s.id)}`}>{s.companyName}</a> <Badge>{s.status}</Badge>
      </h2>
      <p class="small">
        {t("Unified social credit code")}: <code>{s.creditCode}</code>
      </p>
      <div class="documents">
        {s.documents?.map((d) => (
          <figure key={d.kind} class="document">
            <FileLink file={d.file} />
            <figcaption>
              {d.kind} <Badge tone={d.review.toUpperCase() === "PENDING" ? "info" : "plain"}>{d.review}</Badge>
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
      <Field label={t("Reason")} hint="needed to reject">
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </Field>
      <ErrorBox error={error} />
    </article>
  );
}

const DISPUTE_FIELDS = "id orderId supplierId openedBy claimed { minor formatted } held { minor formatted } answerBy status availableActions evidence { party text files at }";

export function DisputeQueuePage() {
  const { data, error, loading } = useQuery<{ disputeQueue: { nodes: Dispute[] } }>(`{ disputeQueue(first: 100) { nodes { ${DISPUTE_FIELDS} } } }`);
  return (
    <ListPage title={t("Disputes")} error={error} loading={loading} items={data?.disputeQueue.nodes}>
      <table class="list">
        <tbody>
          {data?.disputeQueue.nodes.map((d) => (
            <tr key={d.id}>
              <td>
                <a href={`#${route("dispute", d.id)}`}>{d.id.slice(-8)}</a>
              </td>
              <td>{money(d.claimed)}</td>
              <td>
                <Badge>{d.status}</Badge>
              </td>
              <td>{d.openedBy}</td>
              <td>
                <Countdown deadline={d.answerBy} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
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
        {t("Dispute")} {d.id.slice(-8)} <Badge tone="info">{d.status}</Badge>
      </h1>
      <p>
        {t("Order")} {d.orderId ? <a href={`#${route("order", d.orderId)}`}>{d.orderId.slice(-8)}</a> : null} · {t("Claimed")} {money(d.claimed)} · {t("Escrow")} {money(d.held)}
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
            <h2>{side}</h2>
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
      {may("ADD_EVIDENCE") ? <EvidenceForm dispute={d} done={done} /> : null}
      {may("RULE") ? <RulingForm dispute={d} done={done} /> : null}
      <Timeline entries={d.timeline} />
    </article>
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
  const release = Math.max(0, Math.round((held - Number(refund || 0)) * 100) / 100);
  const yuan = (v: number | string) => ({ minor: String(Math.round(Number(v) * 100)), currency: "CNY" as const });
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          if (d.availableActions.includes("ASSIGN")) await mutate("assignDispute", `mutation($d: ID!) { assignDispute(disputeId: $d) { ${RESULT} } }`, { d: d.id });
          const r = await mutate(
            "ruleDispute",
            `mutation($d: ID!, $r: MoneyInput!, $l: MoneyInput!, $p: MoneyInput, $w: Boolean!, $n: String!) { ruleDispute(disputeId: $d, refund: $r, release: $l, penalty: $p, warn: $w, note: $n) { ${RESULT} } }`,
            { d: d.id, r: yuan(refund || 0), l: yuan(release), p: penalty ? yuan(penalty) : null, w: warn, n: note },
          );
          done(r.position);
        });
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
        <Field label={`${t("Penalty")} (¥)`}>
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
        {t("Ruling")}
      </button>
    </form>
  );
}
