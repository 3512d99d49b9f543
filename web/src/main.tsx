// The shell: who is signed in, role-aware navigation, the language switch, and the hash routes
// that pick a screen. Every screen lives in pages/.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { gql, ME, RESULT, setToken, startVisit, syncFileCookie, token, trackPage } from "./api";
import type { User } from "./generated/schema";
import { lang, setLang, t } from "./i18n";
import { date, humanise } from "./ui";
import { listen, markAllRead, notices } from "./notifications";
import { useSignal } from "./state";
import { cart } from "./cart";
import { go, me } from "./nav";
import "./styles.css";

import { SearchPage } from "./pages/search";
import { ProductPage } from "./pages/product";
import { CartPage } from "./pages/cart";
import { OrdersPage, OrderPage } from "./pages/orders";
import { RfqComposer, RfqList, RfqPage } from "./pages/rfq";
import { SignInPage, RegisterBuyerPage, ApplySupplierPage } from "./pages/account";
import { OnboardingPage } from "./pages/onboarding";
import { CataloguePage, ProductEditor } from "./pages/catalogue";
import { InboxPage } from "./pages/inbox";
import { ReviewQueuePage, DisputeQueuePage, DisputePage } from "./pages/agent";
import { AnalyticsPage } from "./pages/analytics";
import { SupplierPage } from "./pages/supplier";
import { ComparePage } from "./pages/compare";

/** The screen the hash names, and how many times the hash has changed (a screen keyed by it
 * starts again from its URL: Back to a search restores that search). */
function useRoute(): [string[], number] {
  const read = () => (location.hash.replace(/^#\/?/, "").split("?")[0] || "search").split("/").map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  const [visit, setVisit] = useState(0);
  useEffect(() => {
    const on = () => {
      setRoute(read());
      setVisit((n) => n + 1);
      trackPage("/" + read().join("/"));
      window.scrollTo(0, 0);
    };
    window.addEventListener("hashchange", on);
    // The hash may have changed between the first render and this listener.
    setRoute(read());
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return [route, visit];
}

function Nav({ user }: { user: User | null }) {
  const items = useSignal(cart).length;
  const role = user?.role;
  const link = (href: string, label: string) => (
    <a href={href} class={location.hash.startsWith(href) ? "active" : ""}>
      {t(label)}
    </a>
  );
  return (
    <header class="top">
      <a href="#/search" class="brand">
        筑巢 <small>Zhuchao</small>
      </a>
      <nav aria-label="main">
        {link("#/search", "Search")}
        {role === "BUYER" || !role ? (
          <a href="#/cart" class={location.hash.startsWith("#/cart") ? "active" : ""}>
            {t("Cart")} {items ? <span class="count">{items}</span> : null}
          </a>
        ) : null}
        {role === "BUYER" ? link("#/orders", "My orders") : null}
        {role === "BUYER" ? link("#/rfqs", "RFQs") : null}
        {role === "SUPPLIER" ? link("#/onboarding", "Onboarding") : null}
        {role === "SUPPLIER" ? link("#/catalogue", "Catalogue") : null}
        {role === "SUPPLIER" ? link("#/inbox", "RFQ inbox") : null}
        {role === "SUPPLIER" ? link("#/orders", "Orders") : null}
        {role === "AGENT" || role === "ADMIN" ? link("#/review", "Review queue") : null}
        {role === "AGENT" || role === "ADMIN" ? link("#/disputes", "Disputes") : null}
        {role === "AGENT" || role === "ADMIN" || role === "SUPPLIER" ? link("#/analytics", "Analytics") : null}
      </nav>
      <div class="who">
        {/* Named by what it switches to, in that language (its visible text is its name). */}
        <button class="link" onClick={() => setLang(lang.get() === "zh" ? "en" : "zh")} title={t("Language")} lang={lang.get() === "zh" ? "en" : "zh-CN"}>
          {lang.get() === "zh" ? "English" : "中文"}
        </button>
        {user ? (
          <>
            <Notifications />
            <span class="muted small" data-testid="who">
              {user.name} · {user.companyName ?? t(humanise(user.role))}
            </span>
            <button
              class="link"
              onClick={async () => {
                // End the session on the server too, so the token is worthless if it leaked.
                await gql(`mutation { signOut { ${RESULT} } }`).catch(() => {});
                setToken(null);
                me.set(null);
                go("/search");
              }}
            >
              {t("Sign out")}
            </button>
          </>
        ) : (
          <a href="#/signin">{t("Sign in")}</a>
        )}
      </div>
    </header>
  );
}

/** The bell: how many notices are unread, and the latest ones with links. */
function Notifications() {
  const list = useSignal(notices);
  const [open, setOpen] = useState(false);
  const unread = list.filter((n) => !n.read).length;
  return (
    <div class="notifications">
      <button
        class="link"
        aria-expanded={open}
        data-testid="notifications"
        onClick={() => {
          setOpen(!open);
          if (!open) window.setTimeout(markAllRead, 1500);
        }}
      >
        <svg class="bell" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <path d="M8 1.5a4 4 0 0 0-4 4v3L2.5 11v1h11v-1L12 8.5v-3a4 4 0 0 0-4-4zM6.5 13a1.5 1.5 0 0 0 3 0z" fill="currentColor" />
        </svg>{" "}
        {t("Notifications")} {unread ? <span class="count">{unread}</span> : null}
      </button>
      {open ? (
        <ul class="card notice-list" role="list">
          {!list.length ? <li class="muted">{t("Nothing here yet.")}</li> : null}
          {list.map((n, i) => (
            <li key={i} class={n.read ? "" : "unread"}>
              <a href={`#${n.href}`} onClick={() => setOpen(false)}>
                {n.kind === "rfq" ? `${t("New RFQ")}: ${n.title}` : `${t("Order")} ${n.title}: ${t(humanise(n.status ?? ""))}`}
              </a>
              <div class="muted small">{date(n.at)}</div>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function App() {
  const [route, visit] = useRoute();
  const user = useSignal(me);
  useSignal(lang);
  const [ready, setReady] = useState(!token());
  useEffect(() => {
    syncFileCookie();
    startVisit();
    const out = () => me.set(null);
    window.addEventListener("zhuchao:signed-out", out);
    if (token()) {
      gql<{ me: User }>(`{ ${ME} }`)
        .then((d) => me.set(d.me))
        .catch(() => me.set(null))
        .finally(() => setReady(true));
    }
    return () => window.removeEventListener("zhuchao:signed-out", out);
  }, []);
  useEffect(() => listen(user), [user?.id]);
  if (!ready) return <p class="muted">{t("Loading…")}</p>;
  const [page, id] = route;
  let screen;
  switch (page) {
    case "signin": screen = <SignInPage />; break;
    case "register": screen = <RegisterBuyerPage />; break;
    case "apply": screen = <ApplySupplierPage />; break;
    case "product": screen = <ProductPage id={id} />; break;
    case "cart": screen = <CartPage />; break;
    case "orders": screen = <OrdersPage />; break;
    case "order": screen = <OrderPage id={id} />; break;
    case "rfqs": screen = <RfqList />; break;
    case "rfq": screen = id === "new" ? <RfqComposer /> : <RfqPage id={id} />; break;
    case "onboarding": screen = <OnboardingPage />; break;
    case "catalogue": screen = id ? <ProductEditor id={id} /> : <CataloguePage />; break;
    case "inbox": screen = <InboxPage />; break;
    case "review": screen = <ReviewQueuePage />; break;
    case "disputes": screen = <DisputeQueuePage />; break;
    case "dispute": screen = <DisputePage id={id} />; break;
    case "analytics": screen = <AnalyticsPage />; break;
    case "supplier": screen = <SupplierPage id={id} />; break;
    case "compare": screen = <ComparePage />; break;
    default: screen = <SearchPage key={visit} />;
  }
  return (
    <>
      <a href="#main" class="skip">Skip to content</a>
      <Nav user={user} />
      <main id="main" tabIndex={-1}>
        {screen}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
