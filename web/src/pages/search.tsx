// Parametric search: text, the category tree, a facet panel with counts (disjunctive: a
// facet's own choice does not shrink it), unit-aware ranges, quantity, badges, sort and paging.
// Results narrow as filters change.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { gql } from "../api";
import type { Category, Facet, Product, ProductSearchInput, Supplier, PriceTier, ProductSort } from "../generated/schema";
import { count, t } from "../i18n";
import { hashParams, keepParams, route } from "../nav";
import { compared, COMPARE_MAX, toggleCompared } from "../compare";
import { useSignal } from "../state";
import { wordsOf, type Words } from "../words";
import { cny, describe, ErrorBox, SupplierBadges, toggled } from "../ui";

const SEARCH = `query($s: ProductSearchInput!, $first: Int, $after: String) {
  products(search: $s, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    facets { key label unit min max values { value count } }
    categories { count category { id } }
    edges { node { id title supplierId categoryId moq stock leadTimeDays tiers { minQuantity unitPrice { minor currency formatted } } attributes { key label value } } }
  }
}`;

export function priceAt(tiers: PriceTier[], quantity: number): string | null {
  let price: string | null = null;
  for (const tier of tiers) if (tier.minQuantity <= quantity) price = tier.unitPrice.minor;
  return price ?? tiers[0]?.unitPrice.minor ?? null;
}

export function useCatalogueBasics() {
  const [categories, setCategories] = useState<Category[] | null>(null);
  const [suppliers, setSuppliers] = useState<Record<string, Supplier> | null>(null);
  useEffect(() => {
    gql<{ categories: { nodes: Category[] } }>(
      "{ categories(first: 100) { nodes { id name parentId synonyms attributes { key label kind values unit min max required } translations { language name labels { key text } values { key value text } } } } }",
    ).then((d) => setCategories(d.categories.nodes));
    gql<{ suppliers: { nodes: Supplier[] } }>(
      "{ suppliers(first: 100) { nodes { id companyName verified guaranteed level averageRating status categoryIds } } }",
    ).then((d) => setSuppliers(Object.fromEntries(d.suppliers.nodes.map((s) => [s.id, s]))));
  }, []);
  // `ready` once both are in: a screen that names things by them waits for it.
  const list = categories ?? [];
  return { categories: list, suppliers: suppliers ?? {}, ready: categories != null && suppliers != null, words: wordsOf(list) };
}

interface Filters {
  text: string;
  category: string | null;
  values: Record<string, string[]>;
  ranges: Record<string, { from: string; to: string }>;
  quantity: string;
  inStock: boolean;
  verified: boolean;
  guaranteed: boolean;
  minLevel: string;
  sort: ProductSort;
}

const SORTS: ProductSort[] = ["RELEVANCE", "PRICE", "RATING", "LEAD_TIME"];

/** The search as the URL keeps it (`#/search?text=bolt&category=…&v.thread=M8&from.length=20`):
 * a link or Back brings the same results, filters and page. */
function initial(): { filters: Filters; pages: (string | null)[] } {
  const p = hashParams();
  const values: Record<string, string[]> = {};
  const ranges: Record<string, { from: string; to: string }> = {};
  // A link may come from anywhere: only attribute keys as the API writes them, bounded values.
  const plain = (text: string | null) => (text != null && text.length <= 200 ? text : null);
  for (const [name, value] of p) {
    const [kind, key] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf(".") + 1)];
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(key) || plain(value) == null) continue;
    if (kind === "v") values[key] = [...(Object.hasOwn(values, key) ? values[key] : []), value];
    if (kind === "from" || kind === "to") ranges[key] = { ...(Object.hasOwn(ranges, key) ? ranges[key] : { from: "", to: "" }), [kind]: value };
  }
  const whole = (text: string | null, max: number) => (text && /^\d{1,9}$/.test(text) && Number(text) >= 1 && Number(text) <= max ? text : "");
  const sort = p.get("sort") as ProductSort | null;
  return {
    filters: {
      text: plain(p.get("text")) ?? "",
      category: plain(p.get("category")),
      values,
      ranges,
      quantity: whole(p.get("quantity"), 1_000_000_000),
      inStock: p.get("stock") === "1",
      verified: p.get("verified") === "1",
      guaranteed: p.get("guaranteed") === "1",
      minLevel: whole(p.get("level"), 5),
      sort: sort && SORTS.includes(sort) ? sort : "RELEVANCE",
    },
    pages: [null, ...p.getAll("after").filter((a) => /^[A-Za-z0-9_=-]{1,200}$/.test(a))],
  };
}

function toParams(f: Filters, pages: (string | null)[]): URLSearchParams {
  const p = new URLSearchParams();
  if (f.text) p.set("text", f.text);
  if (f.category) p.set("category", f.category);
  for (const [key, values] of Object.entries(f.values)) for (const v of values) p.append(`v.${key}`, v);
  for (const [key, r] of Object.entries(f.ranges)) {
    if (r.from) p.set(`from.${key}`, r.from);
    if (r.to) p.set(`to.${key}`, r.to);
  }
  if (f.quantity) p.set("quantity", f.quantity);
  if (f.inStock) p.set("stock", "1");
  if (f.verified) p.set("verified", "1");
  if (f.guaranteed) p.set("guaranteed", "1");
  if (f.minLevel) p.set("level", f.minLevel);
  if (f.sort !== "RELEVANCE") p.set("sort", f.sort);
  for (const after of pages) if (after) p.append("after", after);
  return p;
}

/** The order a facet lists its values in: the schema's (M6, M8, M10…), else natural order —
 * never by count, so a ticked value does not jump as the counts change. */
function listed(categories: Category[], key: string, values: string[]): string[] {
  const known = categories.flatMap((c) => c.attributes.filter((a) => a.key === key).flatMap((a) => a.values ?? []));
  const place = (v: string) => {
    const i = known.indexOf(v);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...values].sort((a, b) => place(a) - place(b) || a.localeCompare(b, undefined, { numeric: true }));
}

export function SearchPage() {
  const { categories, suppliers, words } = useCatalogueBasics();
  const [start] = useState(initial);
  const [f, setF] = useState<Filters>(start.filters);
  const [pages, setPages] = useState<(string | null)[]>(start.pages);
  // The URL follows what the buyer changes (it already holds what the screen started from).
  const started = useRef(false);
  useEffect(() => {
    if (started.current) keepParams("/search", toParams(f, pages));
    started.current = true;
  }, [f, pages]);
  const ids = useSignal(compared);
  const [showFilters, setShowFilters] = useState(false);
  const [result, setResult] = useState<{ totalCount: number; facets: Facet[]; counts: Record<string, number>; nodes: Product[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Typing waits for a pause (a word, a number being typed); a tick, a choice or a click
  // searches at once.
  const typing = useRef(false);
  const update = (patch: Partial<Filters>, typed = false) => {
    typing.current = typed;
    setF((old) => ({ ...old, ...patch }));
    setPages([null]);
  };
  const input: ProductSearchInput = useMemo(
    () => ({
      text: f.text.trim() || null,
      categoryId: f.category,
      values: Object.entries(f.values)
        .filter(([, v]) => v.length)
        .map(([key, values]) => ({ key, values })),
      ranges: Object.entries(f.ranges)
        .filter(([, r]) => r.from.trim() || r.to.trim())
        .map(([key, r]) => ({ key, from: r.from.trim() || null, to: r.to.trim() || null })),
      // A quantity counts once it is a whole number (typing 1.5 searches as if none were given).
      quantity: /^\d{1,9}$/.test(f.quantity) && Number(f.quantity) > 0 ? Number(f.quantity) : null,
      inStock: f.inStock,
      verified: f.verified,
      guaranteed: f.guaranteed,
      minSupplierLevel: f.minLevel ? Number(f.minLevel) : null,
      sort: f.sort,
    }),
    [f],
  );
  const after = pages[pages.length - 1];
  // Answers can come back out of order: only the latest request's is shown.
  const latest = useRef(0);
  useEffect(() => {
    const timer = window.setTimeout(async () => {
      const mine = ++latest.current;
      setBusy(true);
      try {
        const d = await gql<{
          products: {
            totalCount: number;
            facets: Facet[];
            categories: { count: number; category: { id: string } }[];
            edges: { node: Product }[];
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
        }>(
          SEARCH,
          { s: input, first: 20, after },
        );
        if (mine !== latest.current) return;
        setResult({
          totalCount: d.products.totalCount,
          facets: d.products.facets,
          counts: Object.fromEntries(d.products.categories.map((c) => [c.category.id, c.count])),
          nodes: d.products.edges.map((e) => e.node),
          next: d.products.pageInfo.hasNextPage ? d.products.pageInfo.endCursor : null,
        });
        setError(null);
      } catch (e) {
        if (mine === latest.current) setError(describe(e));
      } finally {
        if (mine === latest.current) setBusy(false);
      }
    }, typing.current ? 180 : 0);
    return () => window.clearTimeout(timer);
  }, [input, after]);

  const quantity = /^\d{1,9}$/.test(f.quantity) ? Number(f.quantity) : 0;
  const roots = categories.filter((c) => !c.parentId);
  const children = (id: string) => categories.filter((c) => c.parentId === id);
  // Results in a category and all below it (the search counts each product's own category).
  const inTree = (id: string, seen: Set<string> = new Set()): number =>
    seen.has(id) ? 0 : (seen.add(id), (result?.counts[id] ?? 0) + children(id).reduce((n, k) => n + inTree(k.id, seen), 0));
  // A function, not a component: a component type made anew on each render would remount.
  const categoryItem = (c: Category): preact.JSX.Element => {
    const n = result ? inTree(c.id) : 0;
    return (
      <li key={c.id}>
        <button class={`link ${f.category === c.id ? "chosen" : ""}`} aria-pressed={f.category === c.id} onClick={() => update({ category: c.id, values: {}, ranges: {} })}>
          {words.category(c.id, c.name)}
        </button>
        {n > 0 ? <span class="muted small tree-count">{n.toLocaleString()}</span> : null}
        {children(c.id).length ? (
          <ul>
            {children(c.id).map((k) => categoryItem(k))}
          </ul>
        ) : null}
      </li>
    );
  };
  return (
    <div class="search-layout">
      <button class="filters-toggle" aria-expanded={showFilters} onClick={() => setShowFilters(!showFilters)}>
        {t("Filters")} {Object.values(f.values).flat().length + Object.values(f.ranges).filter((r) => r.from || r.to).length || ""}
      </button>
      <aside class={`filters ${showFilters ? "open" : ""}`} aria-label={t("Filters")}>
        <h2>{t("Categories")}</h2>
        <ul class="tree">
          <li>
            <button class={`link ${!f.category ? "chosen" : ""}`} onClick={() => update({ category: null, values: {}, ranges: {} })}>
              {t("All categories")}
            </button>
          </li>
          {roots.map((c) => categoryItem(c))}
        </ul>
        <fieldset>
          <label class="check">
            <input type="checkbox" checked={f.inStock} onChange={(e) => update({ inStock: e.currentTarget.checked })} /> {t("In stock")}
          </label>
          <label class="check">
            <input type="checkbox" checked={f.verified} onChange={(e) => update({ verified: e.currentTarget.checked })} /> {t("Verified supplier")}
          </label>
          <label class="check">
            <input type="checkbox" checked={f.guaranteed} onChange={(e) => update({ guaranteed: e.currentTarget.checked })} /> {t("Guaranteed supplier")}
          </label>
          <label class="field">
            <span>{t("Minimum supplier level")}</span>
            <select value={f.minLevel} onChange={(e) => update({ minLevel: e.currentTarget.value })}>
              <option value="">{t("Any")}</option>
              {[1, 2, 3, 4, 5].map((l) => (
                <option key={l} value={String(l)}>
                  {"Lv " + l}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
        {result?.facets.map((facet) => (
          <Facet
            key={facet.key}
            facet={facet}
            order={(values) => listed(categories, facet.key, values)}
            words={words}
            category={f.category}
            chosen={f.values[facet.key] ?? []}
            range={f.ranges[facet.key] ?? { from: "", to: "" }}
            onValues={(values) => update({ values: { ...f.values, [facet.key]: values } })}
            onRange={(range) => update({ ranges: { ...f.ranges, [facet.key]: range } }, true)}
          />
        ))}
      </aside>
      <section class="results">
        <form class="searchbar" role="search" onSubmit={(e) => e.preventDefault()}>
          <input
            type="search"
            aria-label={t("Search parts")}
            placeholder={`${t("Search parts")}: M8 hex bolt / 六角螺栓 / 6204`}
            value={f.text}
            onInput={(e) => update({ text: e.currentTarget.value }, true)}
          />
          <input
            type="number"
            min="1"
            aria-label={t("Quantity")}
            placeholder={t("Quantity")}
            value={f.quantity}
            onInput={(e) => update({ quantity: e.currentTarget.value }, true)}
          />
          <select aria-label={t("Sort")} value={f.sort} onChange={(e) => update({ sort: e.currentTarget.value as ProductSort })}>
            <option value="RELEVANCE">{t("Relevance")}</option>
            <option value="PRICE">{t("Unit price")}</option>
            <option value="RATING">{t("Supplier rating")}</option>
            <option value="LEAD_TIME">{t("Lead time")}</option>
          </select>
        </form>
        <ErrorBox error={error} />
        <p class="muted" aria-live="polite" data-testid="total">
          {result ? count(result.totalCount, "result", "results") : error ? "" : t("Loading…")} {busy ? "…" : ""}
        </p>
        <ul class="product-list">
          {result?.nodes.map((p) => {
            const s = p.supplierId ? suppliers[p.supplierId] : undefined;
            const price = priceAt(p.tiers, quantity || p.moq);
            return (
              <li key={p.id} class="product-row">
                <a href={`#${route("product", p.id)}`} class="title">
                  {p.title}
                </a>
                <dl class="attrs small">
                  {p.attributes.slice(0, 6).map((a) => (
                    <div key={a.key}>
                      <dt>{words.label(p.categoryId, a.key, a.label)}</dt>
                      <dd>{words.value(p.categoryId, a.key, a.value)}</dd>
                    </div>
                  ))}
                </dl>
                <div class="meta">
                  <strong>{price ? cny(price) : "—"}</strong>
                  <span class="muted small">
                    {t("MOQ")} {p.moq} · {t("Stock")} {p.stock.toLocaleString()} · {t("Lead time")} {count(p.leadTimeDays, "day", "days")}
                  </span>
                  {s ? (
                    <span class="small">
                      <a href={`#${route("supplier", s.id)}`}>{s.companyName}</a> <SupplierBadges supplier={s} />
                    </span>
                  ) : null}
                  <label class="check small compare-pick">
                    <input
                      type="checkbox"
                      checked={ids.includes(p.id)}
                      disabled={!ids.includes(p.id) && ids.length >= COMPARE_MAX}
                      onChange={(e) => toggleCompared(p.id, e.currentTarget.checked)}
                    />{" "}
                    {t("Compare")}
                  </label>
                </div>
              </li>
            );
          })}
        </ul>
        {ids.length ? (
          <p class="compare-tray card" data-testid="compare-tray">
            {t("Compare")}: {ids.length} / {COMPARE_MAX} ·{" "}
            <a class="button" href={`#/compare`}>
              {t("Compare side by side")}
            </a>{" "}
            <button class="link" onClick={() => compared.set([])}>
              {t("Clear")}
            </button>
          </p>
        ) : null}
        <nav class="pager" aria-label="pages">
          <button disabled={pages.length < 2} onClick={() => setPages(pages.slice(0, -1))}>
            {t("Previous")}
          </button>
          <span class="muted">{pages.length}</span>
          <button disabled={!result?.next} onClick={() => result?.next && setPages([...pages, result.next])}>
            {t("Next")}
          </button>
        </nav>
      </section>
    </div>
  );
}

function Facet(props: {
  facet: Facet;
  order: (values: string[]) => string[];
  words: Words;
  category: string | null;
  chosen: string[];
  range: { from: string; to: string };
  onValues: (v: string[]) => void;
  onRange: (r: { from: string; to: string }) => void;
}) {
  const { facet, words, category } = props;
  const label = words.label(category, facet.key, facet.label);
  const [open, setOpen] = useState(true);
  const numeric = facet.unit != null;
  return (
    <fieldset class="facet" data-facet={facet.key}>
      <legend>
        <button class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {label} {numeric ? <small class="muted">({facet.unit})</small> : null}
        </button>
      </legend>
      {open && numeric ? (
        <div class="range">
          <input
            aria-label={`${label} ${t("From")}`}
            placeholder={facet.min != null ? `${facet.min}` : t("From")}
            value={props.range.from}
            onInput={(e) => props.onRange({ ...props.range, from: e.currentTarget.value })}
          />
          <span>–</span>
          <input
            aria-label={`${label} ${t("To")}`}
            placeholder={facet.max != null ? `${facet.max}` : t("To")}
            value={props.range.to}
            onInput={(e) => props.onRange({ ...props.range, to: e.currentTarget.value })}
          />
          <small class="muted">8 mm · 5/16 in</small>
        </div>
      ) : null}
      {open && !numeric
        ? (() => {
            // Ticked values stay listed (with no count) even when the other filters leave none.
            const counts = new Map(facet.values.map((v) => [v.value, v.count]));
            const shown = props.order([...new Set([...facet.values.map((v) => v.value), ...props.chosen])]);
            return shown.map((value) => (
              <label class="check" key={value}>
                <input
                  type="checkbox"
                  checked={props.chosen.includes(value)}
                  onChange={(e) => props.onValues(toggled(props.chosen, value, e.currentTarget.checked))}
                />{" "}
                {words.value(category, facet.key, value)} <span class="muted">({counts.get(value) ?? 0})</span>
              </label>
            ));
          })()
        : null}
      {open && numeric && facet.values.length ? (
        <div class="chips">
          {facet.values.slice(0, 12).map((v) => (
            <button key={v.value} class="chip" onClick={() => props.onRange({ from: v.value, to: v.value })}>
              {v.value} <span class="muted">({v.count})</span>
            </button>
          ))}
        </div>
      ) : null}
    </fieldset>
  );
}
