// Parametric search: text, the category tree, a facet panel with counts (disjunctive: a
// facet's own choice does not shrink it), unit-aware ranges, quantity, badges, sort and paging.
// Results narrow as filters change.
import { useEffect, useMemo, useState } from "preact/hooks";
import { gql } from "../api";
import type { Category, Facet, Product, ProductSearchInput, Supplier, PriceTier, ProductSort } from "../generated/schema";
import { t } from "../i18n";
import { hashParams, route } from "../nav";
import { Badge, cny, describe, ErrorBox, toggled } from "../ui";

const SEARCH = `query($s: ProductSearchInput!, $first: Int, $after: String) {
  products(search: $s, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    facets { key label unit min max values { value count } }
    categories { count category { id } }
    edges { node { id title supplierId categoryId moq stock leadTimeDays tiers { minQuantity unitPrice { minor formatted } } attributes { key value } } }
  }
}`;

export function priceAt(tiers: PriceTier[], quantity: number): string | null {
  let price: string | null = null;
  for (const tier of tiers) if (tier.minQuantity <= quantity) price = tier.unitPrice.minor;
  return price ?? tiers[0]?.unitPrice.minor ?? null;
}

export function useCatalogueBasics() {
  const [categories, setCategories] = useState<Category[]>([]);
  const [suppliers, setSuppliers] = useState<Record<string, Supplier>>({});
  useEffect(() => {
    gql<{ categories: { nodes: Category[] } }>(
      "{ categories(first: 100) { nodes { id name parentId synonyms attributes { key label kind values unit min max required } } } }",
    ).then((d) => setCategories(d.categories.nodes));
    gql<{ suppliers: { nodes: Supplier[] } }>(
      "{ suppliers(first: 100) { nodes { id companyName verified guaranteed level averageRating status categoryIds } } }",
    ).then((d) => setSuppliers(Object.fromEntries(d.suppliers.nodes.map((s) => [s.id, s]))));
  }, []);
  return { categories, suppliers };
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

function initial(): Filters {
  const p = hashParams();
  return {
    text: p.get("text") ?? "",
    category: p.get("category"),
    values: {},
    ranges: {},
    quantity: "",
    inStock: false,
    verified: false,
    guaranteed: false,
    minLevel: "",
    sort: "RELEVANCE",
  };
}

export function SearchPage() {
  const { categories, suppliers } = useCatalogueBasics();
  const [f, setF] = useState<Filters>(initial);
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const [result, setResult] = useState<{ totalCount: number; facets: Facet[]; counts: Record<string, number>; nodes: Product[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const update = (patch: Partial<Filters>) => {
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
      quantity: f.quantity ? Number(f.quantity) : null,
      inStock: f.inStock,
      verified: f.verified,
      guaranteed: f.guaranteed,
      minSupplierLevel: f.minLevel ? Number(f.minLevel) : null,
      sort: f.sort,
    }),
    [f],
  );
  const after = pages[pages.length - 1];
  useEffect(() => {
    // Narrow instantly, but let a fast typist finish a word first.
    const timer = window.setTimeout(async () => {
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
        setResult({
          totalCount: d.products.totalCount,
          facets: d.products.facets,
          counts: Object.fromEntries(d.products.categories.map((c) => [c.category.id, c.count])),
          nodes: d.products.edges.map((e) => e.node),
          next: d.products.pageInfo.hasNextPage ? d.products.pageInfo.endCursor : null,
        });
        setError(null);
      } catch (e) {
        setError(describe(e));
      } finally {
        setBusy(false);
      }
    }, 180);
    return () => window.clearTimeout(timer);
  }, [input, after]);

  const quantity = f.quantity ? Number(f.quantity) : 0;
  const roots = categories.filter((c) => !c.parentId);
  const children = (id: string) => categories.filter((c) => c.parentId === id);
  // Results in a category and all below it (the search counts each product's own category).
  const inTree = (id: string, seen: Set<string> = new Set()): number =>
    seen.has(id) ? 0 : (seen.add(id), (result?.counts[id] ?? 0) + children(id).reduce((n, k) => n + inTree(k.id, seen), 0));
  const CategoryItem = ({ c }: { c: Category }) => {
    const n = result ? inTree(c.id) : 0;
    return (
      <li>
        <button class={`link ${f.category === c.id ? "chosen" : ""}`} aria-pressed={f.category === c.id} onClick={() => update({ category: c.id, values: {}, ranges: {} })}>
          {c.name}
        </button>
        {n > 0 ? <span class="muted small tree-count">{n.toLocaleString()}</span> : null}
        {children(c.id).length ? (
          <ul>
            {children(c.id).map((k) => (
              <CategoryItem key={k.id} c={k} />
            ))}
          </ul>
        ) : null}
      </li>
    );
  };
  return (
    <div class="search-layout">
      <aside class="filters" aria-label={t("Categories")}>
        <h2>{t("Categories")}</h2>
        <ul class="tree">
          <li>
            <button class={`link ${!f.category ? "chosen" : ""}`} onClick={() => update({ category: null, values: {}, ranges: {} })}>
              {t("All categories")}
            </button>
          </li>
          {roots.map((c) => (
            <CategoryItem key={c.id} c={c} />
          ))}
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
            chosen={f.values[facet.key] ?? []}
            range={f.ranges[facet.key] ?? { from: "", to: "" }}
            onValues={(values) => update({ values: { ...f.values, [facet.key]: values } })}
            onRange={(range) => update({ ranges: { ...f.ranges, [facet.key]: range } })}
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
            onInput={(e) => update({ text: e.currentTarget.value })}
          />
          <input
            type="number"
            min="1"
            aria-label={t("Quantity")}
            placeholder={t("Quantity")}
            value={f.quantity}
            onInput={(e) => update({ quantity: e.currentTarget.value })}
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
          {result ? `${result.totalCount.toLocaleString()} ${t("results")}` : t("Loading…")} {busy ? "…" : ""}
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
                <div class="attrs small">
                  {p.attributes.slice(0, 5).map((a) => (
                    <span key={a.key}>{a.value}</span>
                  ))}
                </div>
                <div class="meta">
                  <strong>{price ? cny(price) : "—"}</strong>
                  <span class="muted small">
                    {t("MOQ")} {p.moq} · {t("Stock")} {p.stock.toLocaleString()} · {t("Lead time")} {p.leadTimeDays} {t("days")}
                  </span>
                  {s ? (
                    <a class="small" href={`#${route("supplier", s.id)}`}>
                      {s.companyName} {s.verified ? <Badge tone="ok">✓</Badge> : null} {s.guaranteed ? <Badge tone="info">¥</Badge> : null} <Badge>Lv{s.level}</Badge>
                    </a>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
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
  chosen: string[];
  range: { from: string; to: string };
  onValues: (v: string[]) => void;
  onRange: (r: { from: string; to: string }) => void;
}) {
  const { facet } = props;
  const [open, setOpen] = useState(true);
  const numeric = facet.unit != null;
  return (
    <fieldset class="facet" data-facet={facet.key}>
      <legend>
        <button class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {facet.label} {numeric ? <small class="muted">({facet.unit})</small> : null}
        </button>
      </legend>
      {open && numeric ? (
        <div class="range">
          <input
            aria-label={`${facet.label} ${t("From")}`}
            placeholder={facet.min != null ? `${facet.min}` : t("From")}
            value={props.range.from}
            onInput={(e) => props.onRange({ ...props.range, from: e.currentTarget.value })}
          />
          <span>–</span>
          <input
            aria-label={`${facet.label} ${t("To")}`}
            placeholder={facet.max != null ? `${facet.max}` : t("To")}
            value={props.range.to}
            onInput={(e) => props.onRange({ ...props.range, to: e.currentTarget.value })}
          />
          <small class="muted">8 mm · 5/16 in</small>
        </div>
      ) : null}
      {open && !numeric
        ? facet.values.map((v) => (
            <label class="check" key={v.value}>
              <input
                type="checkbox"
                checked={props.chosen.includes(v.value)}
                onChange={(e) =>
                  props.onValues(toggled(props.chosen, v.value, e.currentTarget.checked))
                }
              />{" "}
              {v.value} <span class="muted">({v.count})</span>
            </label>
          ))
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
