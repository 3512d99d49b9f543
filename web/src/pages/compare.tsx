// Parts side by side (up to four), attribute by attribute, the rows that differ marked: how a
// buyer chooses between near-equal parts from different suppliers.
import { useState } from "preact/hooks";
import { compared, toggleCompared } from "../compare";
import type { Product, Supplier } from "../generated/schema";
import { count, t } from "../i18n";
import { route } from "../nav";
import { useSignal } from "../state";
import { cny, ErrorBox, Loading, money, SupplierBadges, useProducts } from "../ui";
import { priceAt, useCatalogueBasics } from "./search";

const FIELDS =
  "id title brand partNumber supplierId categoryId moq packSize stock leadTimeDays shippingCost { minor currency formatted } tiers { minQuantity unitPrice { minor currency formatted } } attributes { key label value }";

export function ComparePage() {
  const ids = useSignal(compared);
  const { suppliers, ready, words } = useCatalogueBasics();
  const [differences, setDifferences] = useState(false);
  const { data, error, loading, products } = useProducts(ids, FIELDS);
  const parts = products.filter((p): p is Product => p != null);
  if (!ids.length)
    return (
      <section>
        <h1>{t("Compare parts")}</h1>
        <p class="muted">{t("Pick up to 4 parts in the search results to compare them here.")}</p>
      </section>
    );
  const keys = [...new Set(parts.flatMap((p) => p.attributes.map((a) => a.key)))];
  const rows: { label: string; cells: preact.ComponentChildren[]; values: string[] }[] = [];
  const row = (label: string, cell: (p: Product) => preact.ComponentChildren, value: (p: Product) => string) =>
    rows.push({ label, cells: parts.map(cell), values: parts.map(value) });
  const supplierOf = (p: Product): Supplier | undefined => (p.supplierId ? suppliers[p.supplierId] : undefined);
  row(
    t("Supplier"),
    (p) => {
      const s = supplierOf(p);
      return s ? (
        <>
          <a href={`#${route("supplier", s.id)}`}>{s.companyName}</a>
          <div>
            <SupplierBadges supplier={s} />
          </div>
        </>
      ) : (
        "—"
      );
    },
    (p) => p.supplierId ?? "",
  );
  row(t("Brand"), (p) => p.brand || "—", (p) => p.brand);
  row(t("Part number"), (p) => p.partNumber || "—", (p) => p.partNumber);
  row(
    t("Price at MOQ"),
    (p) => {
      const price = priceAt(p.tiers, p.moq);
      return price ? cny(price) : "—";
    },
    (p) => priceAt(p.tiers, p.moq) ?? "",
  );
  row(
    t("Price tiers"),
    (p) => (
      <ul class="plain">
        {p.tiers.map((tier) => (
          <li key={tier.minQuantity}>
            ≥ {tier.minQuantity.toLocaleString()}: {money(tier.unitPrice)}
          </li>
        ))}
      </ul>
    ),
    (p) => p.tiers.map((x) => `${x.minQuantity}:${x.unitPrice.minor}`).join(";"),
  );
  row(t("MOQ"), (p) => p.moq.toLocaleString(), (p) => String(p.moq));
  row(t("Pack size"), (p) => p.packSize.toLocaleString(), (p) => String(p.packSize));
  row(t("Stock"), (p) => p.stock.toLocaleString(), (p) => String(p.stock));
  row(t("Lead time"), (p) => count(p.leadTimeDays, "day", "days"), (p) => String(p.leadTimeDays));
  row(t("Shipping cost"), (p) => money(p.shippingCost), (p) => p.shippingCost?.formatted ?? "");
  for (const key of keys) {
    const raw = (p: Product) => p.attributes.find((a) => a.key === key)?.value ?? "—";
    const shown = (p: Product) => {
      const v = raw(p);
      return v === "—" ? v : words.value(p.categoryId, key, v);
    };
    const first = parts.find((p) => p.attributes.some((a) => a.key === key));
    const label = words.label(first?.categoryId, key, first?.attributes.find((a) => a.key === key)?.label ?? key);
    row(label, shown, raw);
  }
  return (
    <section>
      <h1>{t("Compare parts")}</h1>
      <ErrorBox error={error} />
      {data && parts.length < ids.length ? (
        <p class="muted small" role="status">
          {t("Some parts you picked are no longer on sale and are left out.")}{" "}
          <button class="link" onClick={() => compared.set(parts.map((p) => p.id))}>
            {t("Clear")}
          </button>
        </p>
      ) : null}
      <label class="check">
        <input type="checkbox" checked={differences} onChange={(e) => setDifferences(e.currentTarget.checked)} /> {t("Differences only")}
      </label>
      <Loading when={(loading && !data) || !ready}>
        <div class="table-scroll" tabIndex={0}>
          <table class="compare-table" data-testid="compare">
            <thead>
              <tr>
                <th />
                {parts.map((p) => (
                  <th key={p.id} scope="col">
                    <a href={`#${route("product", p.id)}`}>{p.title}</a>
                    <div>
                      <button class="link small" onClick={() => toggleCompared(p.id, false)}>
                        {t("Remove")}
                      </button>
                    </div>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows
                .map((r) => ({ ...r, differs: new Set(r.values).size > 1 }))
                .filter((r) => !differences || r.differs)
                .map((r) => (
                  <tr key={r.label} class={r.differs ? "differs" : ""}>
                    <th scope="row">{r.label}</th>
                    {r.cells.map((c, i) => (
                      <td key={i}>{c}</td>
                    ))}
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </Loading>
    </section>
  );
}
