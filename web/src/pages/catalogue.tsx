// The supplier's catalogue: every product in every state, publish / unpublish / stock; the editor
// (attributes from the category's schema, price tiers, stock); and CSV import with a progress bar
// and a row-by-row error report.
import { useState } from "preact/hooks";
import { gql, mutate, RESULT } from "../api";
import type { Category, MoneyInput, ProductInput, Product } from "../generated/schema";
import { t } from "../i18n";
import { go, initialPosition, route } from "../nav";
import { describe, ErrorBox, Field, Loading, money, StatusBadge, useAction, useQuery } from "../ui";
import { useCatalogueBasics } from "./search";

const PRODUCT_FIELDS =
  "id title partNumber brand name description status categoryId moq packSize stock onHand reserved leadTimeDays shippingCost { minor } tiers { minQuantity unitPrice { minor currency formatted } } attributes { key value }";

export function CataloguePage() {
  const [at, setAt] = useState<string | null>(initialPosition);
  const { data, error, loading } = useQuery<{ myProducts: { nodes: Product[] } }>(`query($at: String) { myProducts(first: 100, atLeast: $at) { nodes { ${PRODUCT_FIELDS} } } }`, { at });
  const { busy, error: actionError, run } = useAction();
  const act = (field: string, id: string) =>
    run(async () => {
      const r = await mutate(field, `mutation($id: ID!) { ${field}(id: $id) { ${RESULT} } }`, { id });
      setAt(r.position ?? null);
    });
  return (
    <section>
      <h1>
        {t("Catalogue")} <a class="button primary" href="#/catalogue/new">{t("New product")}</a>
      </h1>
      <CsvImport onDone={(p) => setAt(p)} />
      <ErrorBox error={error ?? actionError} />
      <Loading when={loading && !data}>
        <table class="list">
          <thead>
            <tr>
              <th>{t("Title")}</th>
              <th>{t("Price tiers")}</th>
              <th>{t("Stock")}</th>
              <th>{t("Status")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data?.myProducts.nodes.map((p) => (
              <tr key={p.id}>
                <td>
                  <a href={`#${route("catalogue", p.id)}`}>{p.title}</a>
                </td>
                <td class="small">{p.tiers.map((x) => `≥${x.minQuantity}: ${money(x.unitPrice)}`).join(" · ")}</td>
                <td>
                  {(p.onHand ?? p.stock).toLocaleString()}
                  {p.reserved ? <span class="small"> ({t("reserved")} {p.reserved.toLocaleString()})</span> : null}
                </td>
                <td>
                  <StatusBadge value={p.status} />
                </td>
                <td>
                  {p.status === "PUBLISHED" ? (
                    <button disabled={busy} onClick={() => act("unpublishProduct", p.id)}>
                      {t("Unpublish")}
                    </button>
                  ) : (
                    <button disabled={busy} onClick={() => act("publishProduct", p.id)}>
                      {t("Publish")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Loading>
    </section>
  );
}

interface Draft {
  categoryId: string;
  partNumber: string;
  brand: string;
  keyword: string;
  name: string;
  description: string;
  moq: string;
  packSize: string;
  stock: string;
  leadTimeDays: string;
  shipping: string;
  tiers: { minQuantity: string; price: string }[];
  attributes: Record<string, string>;
}

function yuan(v: string): MoneyInput {
  return { minor: String(Math.round(Number(v) * 100)), currency: "CNY" };
}

function toInput(d: Draft): ProductInput {
  return {
    categoryId: d.categoryId,
    partNumber: d.partNumber.trim(),
    brand: d.brand,
    keyword: d.keyword,
    name: d.name,
    description: d.description,
    moq: Number(d.moq),
    packSize: Number(d.packSize),
    stock: Number(d.stock),
    leadTimeDays: Number(d.leadTimeDays),
    shippingCost: yuan(d.shipping || "0"),
    tiers: d.tiers.filter((x) => x.minQuantity && x.price).map((x) => ({ minQuantity: Number(x.minQuantity), unitPrice: yuan(x.price) })),
    attributes: Object.entries(d.attributes)
      .filter(([, v]) => v.trim())
      .map(([key, value]) => ({ key, value })),
  };
}

export function ProductEditor({ id }: { id: string }) {
  const fresh = id === "new";
  const { categories, words } = useCatalogueBasics();
  const existing = useQuery<{ product: Product }>(fresh ? null : `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`, { id });
  const [draft, setDraft] = useState<Draft | null>(null);
  const { busy, error, run } = useAction();
  const p = existing.data?.product;
  const d: Draft =
    draft ??
    (p
      ? {
          categoryId: p.categoryId ?? "",
          partNumber: p.partNumber,
          brand: p.brand,
          keyword: "",
          name: p.name,
          description: p.description,
          moq: String(p.moq),
          packSize: String(p.packSize),
          stock: String(p.onHand ?? p.stock),
          leadTimeDays: String(p.leadTimeDays),
          shipping: p.shippingCost ? String(Number(p.shippingCost.minor) / 100) : "0",
          tiers: p.tiers.map((x) => ({ minQuantity: String(x.minQuantity), price: String(Number(x.unitPrice.minor) / 100) })),
          attributes: Object.fromEntries(p.attributes.map((a) => [a.key, a.value])),
        }
      : { categoryId: "", partNumber: "", brand: "", keyword: "", name: "", description: "", moq: "100", packSize: "100", stock: "0", leadTimeDays: "7", shipping: "0", tiers: [{ minQuantity: "100", price: "" }], attributes: {} });
  const set = (patch: Partial<Draft>) => setDraft({ ...d, ...patch });
  const category: Category | undefined = categories.find((c) => c.id === d.categoryId);
  const save = (publish: boolean) =>
    run(async () => {
      const input = toInput(d);
      const r = fresh
        ? await mutate("draftProduct", `mutation($i: ProductInput!) { draftProduct(input: $i) { product { id } ${RESULT} } }`, { i: input })
        : await mutate("reviseProduct", `mutation($id: ID!, $i: ProductInput!) { reviseProduct(id: $id, input: $i) { product { id } ${RESULT} } }`, { id, i: input });
      const last = publish ? await mutate("publishProduct", `mutation($id: ID!) { publishProduct(id: $id) { ${RESULT} } }`, { id: r.product.id }) : r;
      go("/catalogue", last.position);
    });
  return (
    <form
      class="card narrow"
      onSubmit={(e) => {
        e.preventDefault();
        save(false);
      }}
    >
      <h1>{fresh ? t("New product") : d.name}</h1>
      <Field label={t("Category")}>
        <select required value={d.categoryId} disabled={!fresh} onChange={(e) => set({ categoryId: e.currentTarget.value })}>
          <option value="">—</option>
          {categories.map((c) => (
            <option key={c.id} value={c.id}>
              {words.category(c.id, c.name)}
            </option>
          ))}
        </select>
      </Field>
      <div class="row">
        <Field label={t("Part number")}>
          <input value={d.partNumber} maxLength={64} onInput={(e) => set({ partNumber: e.currentTarget.value })} />
        </Field>
        <Field label={t("Brand")}>
          <input required value={d.brand} onInput={(e) => set({ brand: e.currentTarget.value })} />
        </Field>
        <Field label={t("Keyword")}>
          <input required={fresh} value={d.keyword} placeholder={`${t("e.g.")} 六角螺栓 hex bolt`} onInput={(e) => set({ keyword: e.currentTarget.value })} />
        </Field>
        <Field label={t("Name")}>
          <input required value={d.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
      </div>
      {category?.attributes.map((a) => (
        <Field key={a.key} label={`${words.label(d.categoryId, a.key, a.label)}${a.unit ? ` (${a.unit})` : ""}${a.required ? " *" : ""}`}>
          {a.kind === "ENUM" ? (
            <select required={a.required} value={d.attributes[a.key] ?? ""} onChange={(e) => set({ attributes: { ...d.attributes, [a.key]: e.currentTarget.value } })}>
              <option value="">—</option>
              {a.values.map((v) => (
                <option key={v} value={v}>
                  {words.value(d.categoryId, a.key, v)}
                </option>
              ))}
            </select>
          ) : (
            <input
              required={a.required}
              value={d.attributes[a.key] ?? ""}
              placeholder={a.unit ? `20 ${a.unit} / 3/4 in` : ""}
              onInput={(e) => set({ attributes: { ...d.attributes, [a.key]: e.currentTarget.value } })}
            />
          )}
        </Field>
      ))}
      <Field label={t("Description")}>
        <textarea value={d.description} onInput={(e) => set({ description: e.currentTarget.value })} />
      </Field>
      <div class="row">
        <Field label={t("MOQ")}>
          <input type="number" min="1" required value={d.moq} onInput={(e) => set({ moq: e.currentTarget.value })} />
        </Field>
        <Field label={t("Pack size")}>
          <input type="number" min="1" required value={d.packSize} onInput={(e) => set({ packSize: e.currentTarget.value })} />
        </Field>
        <Field label={t("Stock")}>
          <input type="number" min="0" required value={d.stock} onInput={(e) => set({ stock: e.currentTarget.value })} />
        </Field>
        <Field label={`${t("Lead time")} (${t("days")})`}>
          <input type="number" min="0" required value={d.leadTimeDays} onInput={(e) => set({ leadTimeDays: e.currentTarget.value })} />
        </Field>
        <Field label={`${t("Shipping cost")} (¥)`}>
          <input type="number" min="0" step="0.01" value={d.shipping} onInput={(e) => set({ shipping: e.currentTarget.value })} />
        </Field>
      </div>
      <fieldset>
        <legend>{t("Price tiers")}</legend>
        <p class="small muted">{t("Each row: from this quantity on, this unit price. The first row's quantity is usually the MOQ.")}</p>
        {d.tiers.map((tier, i) => (
          <div class="row tier-row" key={i}>
            <Field label={`${t("From quantity")} (${i + 1})`}>
              <input type="number" min="1" aria-label={`${t("Quantity")} ${i + 1}`} value={tier.minQuantity} onInput={(e) => set({ tiers: d.tiers.map((x, k) => (k === i ? { ...x, minQuantity: e.currentTarget.value } : x)) })} />
            </Field>
            <Field label={`${t("Unit price")} (¥)`}>
              <input type="number" min="0.01" step="0.01" aria-label={`${t("Unit price")} ${i + 1}`} value={tier.price} onInput={(e) => set({ tiers: d.tiers.map((x, k) => (k === i ? { ...x, price: e.currentTarget.value } : x)) })} />
            </Field>
            <button type="button" class="link" aria-label={`${t("Remove")} ${i + 1}`} onClick={() => set({ tiers: d.tiers.filter((_, k) => k !== i) })}>
              ✕
            </button>
          </div>
        ))}
        {d.tiers.length < 6 ? (
          <button type="button" onClick={() => set({ tiers: [...d.tiers, { minQuantity: "", price: "" }] })}>
            +
          </button>
        ) : null}
      </fieldset>
      <ErrorBox error={error} />
      <div class="actions">
        <button class="primary" disabled={busy}>
          {t("Save")}
        </button>
        <button type="button" disabled={busy} onClick={() => save(true)}>
          {t("Save")} + {t("Publish")}
        </button>
      </div>
    </form>
  );
}

/** Splits CSV text into rows of cells (quotes, doubled quotes and commas inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      if (row.some((x) => x.trim())) rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  row.push(cell);
  if (row.some((x) => x.trim())) rows.push(row);
  return rows;
}

const CSV_HELP = "part_number,brand,keyword,name,description,moq,pack_size,stock,lead_time_days,shipping,tiers,<attribute keys…>   tiers: 100:1.20;1000:0.95 — a part number already imported updates that product, so a file can be sent again";

/** A CSV with the columns a category takes and one example row (a value its schema lists, or
 * a number with its unit), for a supplier to fill in. */
function template(category: Category): string {
  const example = (a: Category["attributes"][number]) => (a.values?.length ? a.values[0] : a.unit ? `20 ${a.unit}` : "");
  const header = ["part_number", "brand", "keyword", "name", "description", "moq", "pack_size", "stock", "lead_time_days", "shipping", "tiers", ...category.attributes.map((a) => a.key)];
  const row = ["ABC-001", "品牌", "关键词 keyword", "ABC-001", "", "100", "100", "5000", "5", "0", "100:1.20;1000:0.95", ...category.attributes.map(example)];
  return "\ufeff" + [header, row].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

/** Rows sent per request (the server takes up to 1,000). */
const IMPORT_CHUNK = 500;

/** One CSV cell, quoted when it holds a comma, a quote or a line break. */
function csvCell(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

const IMPORT = `mutation($i: ImportProductsInput!) { importProducts(input: $i) {
  created updated unchanged failed position
  rows { row partNumber outcome error { message } }
  userErrors { code field message } } }`;

type ImportPayload = {
  position: string | null;
  rows: { row: number; partNumber: string; outcome: string; error: { message: string } | null }[];
  userErrors: { message: string }[];
};

function CsvImport({ onDone }: { onDone: (position: string | null) => void }) {
  const { categories, words } = useCatalogueBasics();
  const [category, setCategory] = useState("");
  const chosen = categories.find((c) => c.id === category);
  const [publish, setPublish] = useState(true);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [report, setReport] = useState<{ row: number; ok: boolean; message: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const importFile = async (file: File) => {
    setError(null);
    setReport([]);
    const rows = parseCsv(await file.text());
    if (rows.length < 2) {
      setError("the file needs a header row and at least one product");
      return;
    }
    const header = rows[0].map(csvCell).join(",");
    const body = rows.slice(1);
    const results: { row: number; ok: boolean; message: string }[] = [];
    let last: string | null = null;
    setProgress({ done: 0, total: body.length });
    // The file goes in parts; each part's rows are numbered by their line in the file.
    for (let start = 0; start < body.length; start += IMPORT_CHUNK) {
      const part = body.slice(start, start + IMPORT_CHUNK);
      const csv = [header, ...part.map((r) => r.map(csvCell).join(","))].join("\n");
      try {
        const data = await gql<{ importProducts: ImportPayload }>(IMPORT, {
          i: { categoryId: category, publish, csv, firstRow: start + 2 },
        });
        const answer = data.importProducts;
        if (answer.userErrors.length) {
          setError(answer.userErrors.map((e) => e.message).join("; "));
          break;
        }
        last = answer.position ?? last;
        for (const r of answer.rows) {
          results.push({ row: r.row, ok: r.outcome !== "FAILED", message: r.error?.message ?? r.partNumber });
        }
      } catch (e) {
        setError(describe(e));
        break;
      }
      setProgress({ done: Math.min(start + IMPORT_CHUNK, body.length), total: body.length });
      setReport([...results]);
    }
    onDone(last);
  };
  const failed = report.filter((r) => !r.ok);
  return (
    <details class="card">
      <summary>{t("Import CSV")}</summary>
      <p class="small muted">{CSV_HELP}</p>
      <div class="row">
        <Field label={t("Category")}>
          <select value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
            <option value="">—</option>
            {categories.map((c) => (
              <option key={c.id} value={c.id}>
                {words.category(c.id, c.name)}
              </option>
            ))}
          </select>
        </Field>
        <label class="check">
          <input type="checkbox" checked={publish} onChange={(e) => setPublish(e.currentTarget.checked)} /> {t("Publish")}
        </label>
        <Field label="CSV">
          <input type="file" accept=".csv,text/csv" disabled={!category} data-testid="csv-file" onChange={(e) => e.currentTarget.files?.[0] && importFile(e.currentTarget.files[0])} />
        </Field>
      </div>
      {chosen ? (
        <p class="small">
          <a href={`data:text/csv;charset=utf-8,${encodeURIComponent(template(chosen))}`} download={`zhuchao-${chosen.attributes.map((a) => a.key).join("-") || "products"}.csv`} data-testid="csv-template">
            {t("Download a template for this category")}
          </a>
        </p>
      ) : null}
      <ErrorBox error={error} />
      {progress ? (
        <div>
          <progress max={progress.total} value={progress.done} aria-label="import progress" />
          <span class="small" data-testid="csv-progress">
            {progress.done}/{progress.total} {t("Rows")} · {report.length - failed.length} {t("imported")} · {failed.length} {t("failed")}
          </span>
        </div>
      ) : null}
      {failed.length ? (
        <table class="list small" data-testid="csv-errors">
          <tbody>
            {failed.map((r) => (
              <tr key={r.row}>
                <td>
                  {t("Rows")} {r.row}
                </td>
                <td class="error">{r.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </details>
  );
}
