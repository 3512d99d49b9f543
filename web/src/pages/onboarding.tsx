// The supplier's onboarding wizard after applying: upload business documents, pay the deposit,
// and follow the review status until the account may sell.
import { useState } from "preact/hooks";
import { mutate, RESULT, upload } from "../api";
import type { DocumentKind, Supplier } from "../generated/schema";
import { t } from "../i18n";
import { initialPosition, me, route } from "../nav";
import { useSignal } from "../state";
import { Badge, cny, ErrorBox, Field, FileLink, Loading, money, StatusBadge, useAction, useQuery } from "../ui";

/** The business documents a supplier may submit, by what people call them. */
export const DOCUMENT_KINDS: Record<DocumentKind, string> = {
  MERGED_LICENCE: "Business licence, unified (三证合一)",
  BUSINESS_LICENCE: "Business licence (old style)",
  TAX_REGISTRATION: "Tax registration certificate",
  ORGANISATION_CODE: "Organisation code certificate",
  TRADEMARK_REGISTRATION: "Trademark registration",
  BRAND_AUTHORISATION: "Brand authorisation",
};
const KINDS = Object.keys(DOCUMENT_KINDS) as DocumentKind[];
export const SUPPLIER_FIELDS =
  "id companyName creditCode status verified guaranteed level warnings completedOrders averageRating categoryIds availableActions depositHeld { minor currency formatted } depositRequired { minor currency formatted } documents { kind file expiresOn review rejectionReason } creditRecord { kind detail at }";

export function OnboardingPage() {
  const user = useSignal(me);
  const [at, setAt] = useState<string | null>(initialPosition);
  const { data, error, loading } = useQuery<{ supplier: Supplier }>(
    user?.supplierId ? `query($id: ID!, $at: String) { supplier(id: $id, atLeast: $at) { ${SUPPLIER_FIELDS} } }` : null,
    { id: user?.supplierId, at },
  );
  const [kind, setKind] = useState<DocumentKind>(KINDS[0]);
  const [file, setFile] = useState<string | null>(null);
  const [deposit, setDeposit] = useState<string | null>(null);
  const { busy, error: actionError, run } = useAction();
  const s = data?.supplier;
  if (!s) return <Loading when={loading}><ErrorBox error={error} /></Loading>;
  const required = Number(s.depositRequired?.minor ?? 0);
  const due = Math.max(0, required - Number(s.depositHeld?.minor ?? 0));
  const docsOk = s.documents?.some((d) => d.review.toUpperCase() === "APPROVED");
  const steps = [
    { label: t("Application"), done: true },
    { label: t("Documents"), done: !!s.documents?.length },
    { label: t("Verified"), done: s.verified || !!docsOk },
    { label: t("Deposit"), done: due === 0 && required > 0 },
  ];
  return (
    <section>
      <h1>
        {s.companyName} <StatusBadge value={s.status} />
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
          <p class="small" data-testid="documents-required">
            {t("Required: the unified business licence, or the old-style business licence with a tax registration certificate. Trademark and brand documents are optional; they show buyers what you may sell.")}
          </p>
          <table>
            <tbody>
              {s.documents?.map((d) => (
                <tr key={d.kind}>
                  <td>{t(DOCUMENT_KINDS[d.kind])}</td>
                  <td>
                    <FileLink file={d.file} />
                  </td>
                  <td>
                    <StatusBadge value={d.review} />
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
            <Field label={t("Document")}>
              <select value={kind} onChange={(e) => setKind(e.currentTarget.value as DocumentKind)}>
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(DOCUMENT_KINDS[k])}
                  </option>
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
          <dl class="summary" data-testid="deposit">
            <dt>{t("Required deposit")}</dt>
            <dd>{money(s.depositRequired)}</dd>
            <dt>{t("Paid")}</dt>
            <dd>{money(s.depositHeld)}</dd>
            <dt>{t("Still due")}</dt>
            <dd>
              <strong>{cny(due)}</strong>
            </dd>
          </dl>
          <p class="small">{t("The deposit is held against disputes your buyers win; with it paid in full and your documents verified, your parts show the guaranteed badge.")}</p>
          {s.guaranteed ? <Badge tone="ok">{t("Guaranteed supplier")}</Badge> : null}
          <form
            onSubmit={(e) => {
              e.preventDefault();
              run(async () => {
                const r = await mutate("payDeposit", `mutation($a: MoneyInput!, $p: String!) { payDeposit(amount: $a, paymentRef: $p) { ${RESULT} } }`, {
                  a: { minor: String(Math.round(Number(deposit ?? due / 100) * 100)), currency: "CNY" },
                  p: `deposit-${Date.now()}`,
                });
                setAt(r.position ?? null);
              });
            }}
          >
            <Field label={`${t("Amount")} (¥)`}>
              <input type="number" min="0.01" step="0.01" value={deposit ?? String(due / 100)} onInput={(e) => setDeposit(e.currentTarget.value)} />
            </Field>
            <button class="primary" disabled={busy || due === 0}>
              {t("Pay deposit")}
            </button>
          </form>
          <ErrorBox error={actionError} />
          <p class="small">
            {t("Level")} {s.level} · {t("Warnings")} {s.warnings} · <a href={`#${route("supplier", s.id)}`}>{t("Profile")}</a>
          </p>
        </section>
      </div>
    </section>
  );
}
