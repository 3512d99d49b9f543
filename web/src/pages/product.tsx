// A product: its attributes, tier prices, MOQ, stock and supplier; add to the cart at a quantity
// priced from the tiers.
import { useState } from "preact/hooks";
import { gql } from "../api";
import { addToCart, orderProblem } from "../cart";
import type { Product, Supplier } from "../generated/schema";
import { count, t } from "../i18n";
import { route } from "../nav";
import { cny, ErrorBox, Loading, money, Stars, StatusBadge, SupplierBadges, useQuery } from "../ui";
import { priceAt, useCatalogueBasics } from "./search";

export function ProductPage({ id }: { id: string }) {
  const { data, error, loading } = useQuery<{ product: Product }>(
    "query($id: ID!) { product(id: $id) { id title brand name description status supplierId categoryId moq packSize stock leadTimeDays shippingCost { minor currency formatted } tiers { minQuantity unitPrice { minor currency formatted } } attributes { key label value number } } }",
    { id },
  );
  const p = data?.product;
  const supplier = useQuery<{ supplier: Supplier }>(
    p?.supplierId ? "query($id: ID!) { supplier(id: $id) { id companyName verified guaranteed level averageRating completedOrders } }" : null,
    { id: p?.supplierId },
  );
  const { words } = useCatalogueBasics();
  const [quantity, setQuantity] = useState<number | null>(null);
  const [added, setAdded] = useState(false);
  if (!p) return <Loading when={loading}><ErrorBox error={error} /></Loading>;
  const qty = quantity ?? p.moq;
  const unit = priceAt(p.tiers, qty);
  const s = supplier.data?.supplier;
  // What the order would refuse, said before the cart: the MOQ, whole packs, the stock.
  const problem = orderProblem(p, qty);
  const variant = new URLSearchParams({ category: p.categoryId ?? "", title: p.title, quantity: String(qty) });
  for (const a of p.attributes) variant.append(`v.${a.key}`, a.value);
  return (
    <article class="product-page">
      <h1>{p.title}</h1>
      <p class="muted">
        {p.brand} · {p.name}
        {p.status !== "PUBLISHED" ? (
          <>
            {" "}
            · <StatusBadge value={p.status} />
          </>
        ) : null}
      </p>
      <div class="columns">
        <section class="card">
          <h2>{t("Attributes")}</h2>
          <table>
            <tbody>
              {p.attributes.map((a) => (
                <tr key={a.key}>
                  <th scope="row">{words.label(p.categoryId, a.key, a.label)}</th>
                  <td>{words.value(p.categoryId, a.key, a.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {p.description ? <p>{p.description}</p> : null}
        </section>
        <section class="card">
          <h2>{t("Price tiers")}</h2>
          <table>
            <thead>
              <tr>
                <th>{t("Quantity")}</th>
                <th>{t("Unit price")}</th>
              </tr>
            </thead>
            <tbody>
              {p.tiers.map((tier) => (
                <tr key={tier.minQuantity} class={unit === tier.unitPrice.minor ? "chosen" : ""}>
                  <td>≥ {tier.minQuantity.toLocaleString()}</td>
                  <td>{money(tier.unitPrice)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="small">
            {t("MOQ")} {p.moq.toLocaleString()} · {t("Pack size")} {p.packSize} · {t("Stock")} {p.stock.toLocaleString()} · {t("Lead time")} {count(p.leadTimeDays, "day", "days")} ·{" "}
            {t("Shipping cost")} {money(p.shippingCost)}
          </p>
          <div class="buy">
            <label class="field">
              <span>{t("Quantity")}</span>
              <input type="number" min={p.moq} step={p.packSize} value={qty} onInput={(e) => setQuantity(Number(e.currentTarget.value))} />
            </label>
            <strong data-testid="line-total">{unit ? `${cny(unit)} × ${qty.toLocaleString()} = ${cny(Number(unit) * qty)}` : "—"}</strong>
            <button
              class="primary"
              disabled={!!problem || !unit || !p.supplierId}
              onClick={() => {
                addToCart({ productId: p.id, supplierId: p.supplierId!, title: p.title, quantity: qty });
                gql("mutation($p: ID!, $q: Int!) { trackAddToCart(productId: $p, quantity: $q) }", { p: p.id, q: qty }).catch(() => {});
                setAdded(true);
              }}
            >
              {t("Add to cart")}
            </button>
            {problem ? (
              <p class="error" role="alert">
                {problem}
              </p>
            ) : null}
            {added ? (
              <p role="status">
                {t("Added to cart")} · <a href="#/cart">{t("Cart")}</a>
              </p>
            ) : null}
            <p class="small">
              <a href={`#/rfq/new?${variant}`}>{t("Need a variant? Request a quote")}</a>
            </p>
          </div>
        </section>
        {s ? (
          <section class="card">
            <h2>{t("Supplier")}</h2>
            <p>
              <a href={`#${route("supplier", s.id)}`}>{s.companyName}</a>
            </p>
            <p>
              <SupplierBadges supplier={s} />
            </p>
            <p>
              {t("Rating")}: <Stars value={s.averageRating} /> · {t("Completed orders")}: {s.completedOrders}
            </p>
          </section>
        ) : null}
      </div>
    </article>
  );
}
