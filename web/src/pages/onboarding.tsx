// The supplier's onboarding wizard after applying: upload business documents, pay the deposit,
// and follow the review status until the account may sell.
import { useState } from "preact/hooks";
import { mutate, RESULT, upload } from "../api";
import type { Supplier } from "../generated/schema";
import { t } from "../i18n";
import { initialPosition, me, route } from "../nav";
import { useSignal } from "../state";
import { Badge, ErrorBox, Field, FileLink, Loading, money, useAction, useQuery } from "../ui";

const KINDS = ["MERGED_LICENCE", "BUSINESS_LICENCE", "TAX_REGISTRATION", "ORGANISATION_CODE", "TRADEMARK_REGISTRATION", "BRAND_AUTHORISATION"];
export const SUPPLIER_FIELDS =
  "id companyName creditCode status verified guaranteed level warnings completedOrders averageRating categoryIds availableActions depositHeld { minor formatted } documents { kind file expiresOn review rejectionReason } creditRecord { kind detail at }";

export function OnboardingPage() {
  const user = useSignal(me);
  const [at, setAt] = useState<string | null>(initialPosition);
  const { data, error, loading } = useQuery<{ supplier: Supplier }>(
    user?.supplierId ? `query($id: ID!, $at: String) { supplier(id: $id, atLeast: $at) { ${SUPPLIER_FIELDS} } }` : null,
    { id: user?.supplierId, at },
  );
  const [kind, setKind] = useState(KINDS[0]);
  const [file, setFile] = useState<string | null>(null);
  const [deposit, setDeposit] = useState("20000");
  const { busy, error: actionError, run } = useAction();
  const s = data?.supplier;
  if (!s) return <Loading when={loading}><ErrorBox error={error} /></Loading>;
  const docsOk = s.documents?.some((d) => d.review.toUpperCase() === "APPROVED");
  const steps = [
    { label: t("Company name"), done: true },
    { label: t("Documents"), done: !!s.documents?.length },
    { label: t("Review status"), done: !!docsOk },
    { label: t("Deposit"), done: s.guaranteed },
  ];
  return (
    <section>
      <h1>
        {s.companyName} <Badge tone={s.status.toUpperCase() === "ACTIVE" ? "ok" : "warn"}>{s.status}</Badge>
      </h1>
      <ol class="steps" data-testid="onboarding-steps">
        {steps.map((step) => (
          <li key={step.label} class={step.done ? "done" : ""}>
            {step.done ? "✓ " : ""}
            {step.label}
          </li>
        ))}
      </ol>
      <div class="columns">
        <section class="card">
          <h2>{t("Documents")}</h2>
          <table>
            <tbody>
              {s.documents?.map((d) => (
                <tr key={d.kind}>
                  <td>{d.kind}</td>
                  <td>
                    <FileLink file={d.file} />
                  </td>
                  <td>
                    <Badge tone={d.review.toUpperCase() === "APPROVED" ? "ok" : d.review.toUpperCase() === "REJECTED" ? "warn" : "info"}>{d.review}</Badge>
                    {d.rejectionReason ? <span class="small"> {d.rejectionReason}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                const r = await mutate("submitDocument", `mutation($k: DocumentKind!, $f: String!) { submitDocument(kind: $k, file: $f) { ${RESULT} } }`, { k: kind, f: file });
                setFile(null);
                setAt(r.position ?? null);
              });
            }}
          >
            <Field label={t("Documents")}>
              <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
                {KINDS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </Field>
            <Field label={t("Upload")}>
              <input
                type="file"
                accept="image/*,application/pdf"
                onChange={(e) => {
                  const f = e.currentTarget.files?.[0];
                  if (f) run(async () => setFile(await upload(f)));
                }}
              />
            </Field>
            <button class="primary" disabled={busy || !file}>
              {t("Submit")}
            </button>
          </form>
        </section>
        <section class="card">
          <h2>{t("Deposit")}</h2>
          <p>
            {t("Deposit")}: <strong>{money(s.depositHeld)}</strong> {s.guaranteed ? <Badge tone="ok">{t("Guaranteed supplier")}</Badge> : null}
          </p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                const r = await mutate("payDeposit", `mutation($a: MoneyInput!, $p: String!) { payDeposit(amount: $a, paymentRef: $p) { ${RESULT} } }`, {
                  a: { minor: String(Math.round(Number(deposit) * 100)), currency: "CNY" },
                  p: `deposit-${Date.now()}`,
                });
                setAt(r.position ?? null);
              });
            }}
          >
            <Field label="¥">
              <input type="number" min="1" value={deposit} onInput={(e) => setDeposit(e.currentTarget.value)} />
            </Field>
            <button class="primary" disabled={busy}>
              {t("Pay deposit")}
            </button>
          </form>
          <ErrorBox error={actionError} />
          <p class="small">
            {t("Level")} Lv{s.level} · {t("Warnings")} {s.warnings} · <a href={`#${route("supplier", s.id)}`}>{t("Profile")}</a>
          </p>
        </section>
      </div>
    </section>
  );
}
