// A supplier's public profile: badges, level, ratings and credit record; agents also see the
// documents and act on the supplier's standing (warn, suspend, reinstate, exit).
import { useState } from "preact/hooks";
import { mutate, RESULT } from "../api";
import type { Supplier, SupplierAction } from "../generated/schema";
import { t } from "../i18n";
import { me } from "../nav";
import { useSignal } from "../state";
import { date, ErrorBox, StatusBadge, SupplierBadges, Field, FileLink, Loading, money, Stars, useAction, useQuery } from "../ui";
import { SUPPLIER_FIELDS } from "./onboarding";

export function SupplierPage({ id }: { id: string }) {
  const [at, setAt] = useState<string | null>(null);
  const { data, error, loading } = useQuery<{ supplier: Supplier }>(`query($id: ID!, $at: String) { supplier(id: $id, atLeast: $at) { ${SUPPLIER_FIELDS} } }`, { id, at });
  const user = useSignal(me);
  const staff = user?.role === "AGENT" || user?.role === "ADMIN";
  const [reason, setReason] = useState("");
  const { busy, error: actionError, run } = useAction();
  const s = data?.supplier;
  if (!s) return <Loading when={loading}><ErrorBox error={error} /></Loading>;
  const may = (action: SupplierAction) => s.availableActions.includes(action);
  const act = (action: string) =>
    run(async () => {
      const r = await mutate("actOnSupplier", `mutation($s: ID!, $a: SupplierMeasure!, $r: String!) { actOnSupplier(supplierId: $s, measure: $a, reason: $r) { ${RESULT} } }`, {
        s: s.id,
        a: action,
        r: reason || action,
      });
      setAt(r.position ?? null);
    });
  return (
    <article>
      <h1>{s.companyName}</h1>
      <p>
        <StatusBadge value={s.status} /> <SupplierBadges supplier={s} />
      </p>
      <div class="columns">
        <section class="card">
          <dl>
            <dt>{t("Rating")}</dt>
            <dd>
              <Stars value={s.averageRating} />
            </dd>
            <dt>{t("Completed orders")}</dt>
            <dd>{s.completedOrders}</dd>
            <dt>{t("Warnings")}</dt>
            <dd>{s.warnings}</dd>
            <dt>{t("Unified social credit code")}</dt>
            <dd>{s.creditCode}</dd>
            {s.depositHeld ? (
              <>
                <dt>{t("Deposit")}</dt>
                <dd>{money(s.depositHeld)}</dd>
              </>
            ) : null}
          </dl>
          <a href={`#/search?supplier=${encodeURIComponent(s.id)}`}>{t("Search")}</a>
        </section>
        <section class="card">
          <h2>{t("Credit record")}</h2>
          {!s.creditRecord.length ? <p class="muted">{t("Nothing here yet.")}</p> : null}
          <ol class="timeline">
            {s.creditRecord.map((c, i) => (
              <li key={i}>
                <time>{date(c.at)}</time> <strong>{c.kind}</strong> <span class="small">{c.detail}</span>
              </li>
            ))}
          </ol>
        </section>
        {staff ? (
          <section class="card">
            <h2>{t("Documents")}</h2>
            <div class="files">{s.documents?.map((d) => <FileLink key={d.kind} file={d.file} />)}</div>
            <Field label={t("Reason")}>
              <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </Field>
            <div class="actions">
              {may("WARN") ? <button disabled={busy} onClick={() => act("WARN")}>{t("Warn")}</button> : null}
              {may("SUSPEND") ? <button disabled={busy} onClick={() => act("SUSPEND")}>{t("Suspend")}</button> : null}
              {may("REINSTATE") ? <button disabled={busy} onClick={() => act("REINSTATE")}>REINSTATE</button> : null}
              {may("EXIT") ? (
                <button disabled={busy} class="danger" onClick={() => act("EXIT")}>
                  {t("Exit")}
                </button>
              ) : null}
            </div>
            <ErrorBox error={actionError} />
          </section>
        ) : null}
      </div>
    </article>
  );
}
