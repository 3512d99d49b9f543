// Signing in, registering a buyer company, and a supplier's application (company, credit code,
// categories, contact); documents and the deposit follow in onboarding.
import { useState } from "preact/hooks";
import { gql, mutate, RESULT, signIn, ME, UserErrors } from "../api";
import type { User } from "../generated/schema";
import { t } from "../i18n";
import { go, hashParams, me } from "../nav";
import { ErrorBox, Field, toggled, useAction } from "../ui";
import { useCatalogueBasics } from "./search";

function landing(user: User): string {
  const next = hashParams().get("next");
  if (next) return `/${next}`;
  switch (user.role) {
    case "SUPPLIER": return "/onboarding";
    case "AGENT":
    case "ADMIN": return "/review";
    default: return "/search";
  }
}

export function SignInPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          const user = await signIn(email.trim(), password);
          me.set(user);
          go(landing(user));
        });
      }}
    >
      <h1>{t("Sign in")}</h1>
      <Field label={t("Email")}>
        <input type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </Field>
      <Field label={t("Password")}>
        <input type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t("Sign in")}
      </button>
      <p class="small">
        <a href="#/register">{t("Register as buyer")}</a> · <a href="#/apply">{t("Apply as supplier")}</a>
      </p>
    </form>
  );
}

/** Signs in with the details just registered. Registration answers a taken email like a free one,
 * so a refused sign-in here most likely means the email already had an account. */
async function signInAfterRegistering(email: string, password: string): Promise<User> {
  try {
    return await signIn(email, password);
  } catch (e) {
    if (e instanceof UserErrors && e.errors.some((x) => x.code === "BAD_CREDENTIALS")) {
      throw new Error(t("Signing in with these details failed. If this email already has an account, sign in with its password."));
    }
    throw e;
  }
}

export function RegisterBuyerPage() {
  const [form, setForm] = useState({ companyName: "", name: "", email: "", password: "" });
  const { busy, error, run } = useAction();
  const set = (k: keyof typeof form) => (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          await mutate(
            "registerBuyer",
            `mutation($c: String!, $n: String!, $e: String!, $p: String!) { registerBuyer(companyName: $c, name: $n, email: $e, password: $p) { ${RESULT} } }`,
            { c: form.companyName, n: form.name, e: form.email, p: form.password },
          );
          me.set(await signInAfterRegistering(form.email, form.password));
          go("/search");
        });
      }}
    >
      <h1>{t("Register as buyer")}</h1>
      <Field label={t("Company name")}>
        <input required value={form.companyName} onInput={set("companyName")} />
      </Field>
      <Field label={t("Name")}>
        <input required value={form.name} onInput={set("name")} />
      </Field>
      <Field label={t("Email")}>
        <input type="email" required value={form.email} onInput={set("email")} />
      </Field>
      <Field label={t("Password")}>
        <input type="password" minLength={8} required value={form.password} onInput={set("password")} />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t("Register as buyer")}
      </button>
    </form>
  );
}

export function ApplySupplierPage() {
  const { categories } = useCatalogueBasics();
  const [form, setForm] = useState({ companyName: "", creditCode: "", contactName: "", phone: "", email: "", password: "" });
  const [chosen, setChosen] = useState<string[]>([]);
  const { busy, error, run } = useAction();
  const set = (k: keyof typeof form) => (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          const applied = await mutate(
            "applySupplier",
            `mutation($n: String!, $c: String!, $k: [ID!]!, $cn: String!, $ph: String!, $e: String!, $p: String!) { applySupplier(companyName: $n, creditCode: $c, categoryIds: $k, contactName: $cn, phone: $ph, email: $e, password: $p) { ${RESULT} } }`,
            { n: form.companyName, c: form.creditCode.trim().toUpperCase(), k: chosen, cn: form.contactName, ph: form.phone, e: form.email, p: form.password },
          );
          me.set(await signInAfterRegistering(form.email, form.password));
          const fresh = await gql<{ me: User }>(`{ ${ME} }`);
          me.set(fresh.me);
          go("/onboarding", applied.position);
        });
      }}
    >
      <h1>{t("Apply as supplier")}</h1>
      <ol class="steps">
        <li class="current">{t("Company name")}</li>
        <li>{t("Documents")}</li>
        <li>{t("Deposit")}</li>
        <li>{t("Review status")}</li>
      </ol>
      <Field label={t("Company name")}>
        <input required value={form.companyName} onInput={set("companyName")} />
      </Field>
      <Field label={t("Unified social credit code")} hint="18 characters, e.g. 91330200MA2…">
        <input required pattern="[0-9A-Za-z]{18}" value={form.creditCode} onInput={set("creditCode")} />
      </Field>
      <fieldset>
        <legend>{t("Categories")}</legend>
        {categories.map((c) => (
          <label class="check" key={c.id}>
            <input type="checkbox" checked={chosen.includes(c.id)} onChange={(e) => setChosen(toggled(chosen, c.id, e.currentTarget.checked))} /> {c.name}
          </label>
        ))}
      </fieldset>
      <Field label={t("Contact name")}>
        <input required value={form.contactName} onInput={set("contactName")} />
      </Field>
      <Field label={t("Phone")}>
        <input required value={form.phone} onInput={set("phone")} />
      </Field>
      <Field label={t("Email")}>
        <input type="email" required value={form.email} onInput={set("email")} />
      </Field>
      <Field label={t("Password")}>
        <input type="password" minLength={8} required value={form.password} onInput={set("password")} />
      </Field>
      <ErrorBox error={error} />
      <button class="primary" disabled={busy}>
        {t("Apply")}
      </button>
    </form>
  );
}
