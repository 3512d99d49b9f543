// The cart and checkout: lines priced from each part's current tiers at the quantity in the
// cart, what the order would refuse said on the line, one order per supplier with its
// shipping, and a summary to confirm before the money goes into escrow (a retried payment pays
// once: the idempotency key is the order's id).
import { useState } from "preact/hooks";
import { mutate, RESULT, UserErrors } from "../api";
import { cart, orderProblem, type CartLine } from "../cart";
import type { Product } from "../generated/schema";
import { t } from "../i18n";
import { go, me, route } from "../nav";
import { useSignal } from "../state";
import { cny, Confirm, ErrorBox, Field, StatusBadge, useAction, useProducts } from "../ui";
import { priceAt, useCatalogueBasics } from "./search";

const FIELDS = "id title status supplierId moq packSize stock shippingCost { minor } tiers { minQuantity unitPrice { minor currency formatted } }";

interface Priced {
  line: CartLine;
  product: Product | null;
  unit: number | null;
  total: number;
  problem: string | null;
}

interface SupplierGroup {
  supplierId: string;
  name: string;
  lines: Priced[];
  subtotal: number;
  shipping: number;
  total: number;
}

/** A line as the order would take it now: its current tier price, or why it would be refused. */
function price(line: CartLine, product: Product | null | undefined): Priced {
  if (!product || product.status !== "PUBLISHED") return { line, product: product ?? null, unit: null, total: 0, problem: t("No longer available") };
  const unit = priceAt(product.tiers, line.quantity);
  const problem = orderProblem(product, line.quantity);
  return { line, product, unit: unit ? Number(unit) : null, total: unit ? Number(unit) * line.quantity : 0, problem };
}

export function CartPage() {
  const lines = useSignal(cart);
  const user = useSignal(me);
  const { suppliers } = useCatalogueBasics();
  const [address, setAddress] = useState("");
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const [placed, setPlaced] = useState<{ id: string; number: string; supplier: string; total: number; position: string | null }[]>([]);
  // The parts as they are now.
  const fresh = useProducts(
    lines.map((l) => l.productId),
    FIELDS,
  );
  const groups: SupplierGroup[] = [];
  lines.forEach((line, i) => {
    const priced = price(line, fresh.products[i]);
    // Grouped by the part's supplier as the marketplace knows it, not as the browser kept it.
    const supplierId = priced.product?.supplierId ?? line.supplierId;
    let group = groups.find((g) => g.supplierId === supplierId);
    if (!group) {
      group = { supplierId, name: suppliers[supplierId]?.companyName ?? "…", lines: [], subtotal: 0, shipping: 0, total: 0 };
      groups.push(group);
    }
    group.lines.push(priced);
  });
  for (const g of groups) {
    g.subtotal = g.lines.reduce((s, l) => s + l.total, 0);
    // One shipment per supplier: the dearest shipping cost among its parts, as the order charges.
    g.shipping = Math.max(0, ...g.lines.map((l) => Number(l.product?.shippingCost?.minor ?? 0)));
    g.total = g.subtotal + g.shipping;
  }
  const grand = groups.reduce((s, g) => s + g.total, 0);
  const blocked = groups.some((g) => g.lines.some((l) => l.problem));
  const setQuantity = (productId: string, quantity: number) => cart.set(cart.get().map((x) => (x.productId === productId ? { ...x, quantity } : x)));
  const checkout = () =>
    run(async () => {
      const done: typeof placed = [];
      try {
        for (const g of groups) {
          // The total the buyer confirmed: if a price changed since, nothing is placed.
          const order = await mutate(
            "placeOrder",
            `mutation($l: [CartLineInput!]!, $a: String!, $t: MoneyInput) { placeOrder(lines: $l, address: $a, expectedTotal: $t) { order { id number total { minor } } ${RESULT} } }`,
            { l: g.lines.map((l) => ({ productId: l.line.productId, quantity: l.line.quantity })), a: address, t: { minor: String(g.total), currency: "CNY" } },
          );
          const id: string = order.order.id;
          const paid = await mutate("payOrder", `mutation($o: ID!, $k: String!) { payOrder(orderId: $o, idempotencyKey: $k) { ${RESULT} } }`, {
            o: id,
            k: `pay-${id}`,
          });
          done.push({ id, number: order.order.number, supplier: g.name, total: Number(order.order.total?.minor ?? g.total), position: paid.position ?? order.position ?? null });
          const ordered = new Set(g.lines.map((l) => l.line.productId));
          cart.set(cart.get().filter((l) => !ordered.has(l.productId)));
        }
      } catch (e) {
        // Prices moved under the summary: show the new ones to confirm again.
        if (e instanceof UserErrors && e.errors.some((x) => x.code === "TOTAL_CHANGED")) {
          fresh.reload();
          throw new Error(t("A price changed since you looked: the cart shows the new totals; check them and confirm again."));
        }
        throw e;
      } finally {
        setPlaced(done);
        setConfirming(false);
      }
    });
  return (
    <section>
      <h1>{t("Cart")}</h1>
      {placed.length ? (
        <div role="status" class="card ok-card" data-testid="placed">
          <h2>{t("Orders placed and paid")}</h2>
          <table>
            <tbody>
              {placed.map((p) => (
                <tr key={p.id}>
                  <td>
                    <a href={`#${route("order", p.id)}${p.position ? `?at=${p.position}` : ""}`} data-testid="placed-order">
                      {p.number}
                    </a>
                  </td>
                  <td>{p.supplier}</td>
                  <td>{cny(p.total)}</td>
                  <td>
                    <StatusBadge value="PAID" tone="ok" /> {t("Paid into escrow")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {!lines.length ? <p class="muted">{t("Your cart is empty.")}</p> : null}
      <ErrorBox error={fresh.error} />
      {groups.map((g) => (
        <div class="card" key={g.supplierId} data-supplier-group={g.supplierId}>
          <h2>
            <a href={`#${route("supplier", g.supplierId)}`}>{g.name}</a>
          </h2>
          <div class="table-scroll" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th>{t("Title")}</th>
                  <th>{t("Quantity")}</th>
                  <th>{t("Unit price")}</th>
                  <th>{t("Total")}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {g.lines.map(({ line: l, product: p, unit, total, problem }) => (
                  <tr key={l.productId} class={problem ? "problem" : ""}>
                    <td>
                      <a href={`#${route("product", l.productId)}`}>{p?.title ?? l.title}</a>
                      {problem ? (
                        <div class="error small" data-testid="line-problem">
                          {problem}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <input
                        type="number"
                        min={p?.moq ?? 1}
                        step={p?.packSize ?? 1}
                        value={l.quantity}
                        aria-label={`${t("Quantity")} ${p?.title ?? l.title}`}
                        onInput={(e) => setQuantity(l.productId, Number(e.currentTarget.value))}
                      />
                    </td>
                    <td data-testid="unit-price">{unit != null ? cny(unit) : "—"}</td>
                    <td>{unit != null ? cny(total) : "—"}</td>
                    <td>
                      <button class="link" aria-label={`${t("Remove")} ${p?.title ?? l.title}`} onClick={() => cart.set(cart.get().filter((x) => x.productId !== l.productId))}>
                        ✕
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="sums">
            {t("Subtotal")} {cny(g.subtotal)} · {t("Shipping")} {cny(g.shipping)} · {t("Total")} <strong>{cny(g.total)}</strong>
          </p>
        </div>
      ))}
      {lines.length ? (
        <form
          class="card"
          onSubmit={(e) => {
            e.preventDefault();
            if (!user) go("/signin?next=cart");
            else setConfirming(true);
          }}
        >
          <p>
            {t("Grand total")}: <strong data-testid="grand-total">{cny(grand)}</strong>
          </p>
          <Field label={t("Delivery address")}>
            <input required value={address} onInput={(e) => setAddress(e.currentTarget.value)} placeholder="浙江省宁波市北仑区…" />
          </Field>
          {blocked ? <p class="error">{t("Fix the lines marked above before checking out.")}</p> : null}
          <ErrorBox error={error} />
          <button class="primary" disabled={busy || !address.trim() || blocked || !fresh.data}>
            {t("Check out")}
          </button>
        </form>
      ) : null}
      {confirming ? (
        <Confirm title={t("Review your orders")} action={`${t("Confirm and pay")} ${cny(grand)}`} busy={busy} onCancel={() => setConfirming(false)} onConfirm={checkout}>
          <table class="summary" data-testid="checkout-summary">
            <thead>
              <tr>
                <th>{t("Supplier")}</th>
                <th>{t("Items")}</th>
                <th>{t("Subtotal")}</th>
                <th>{t("Shipping")}</th>
                <th>{t("Total")}</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.supplierId}>
                  <td>{g.name}</td>
                  <td>{g.lines.map((l) => `${l.product?.title ?? l.line.title} × ${l.line.quantity.toLocaleString()}`).join("; ")}</td>
                  <td>{cny(g.subtotal)}</td>
                  <td>{cny(g.shipping)}</td>
                  <td>{cny(g.total)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th colSpan={4}>{t("Grand total")}</th>
                <th>{cny(grand)}</th>
              </tr>
            </tfoot>
          </table>
          <p>
            {t("Delivery address")}: {address}
          </p>
          <p class="small">{t("The money is held in escrow by Zhuchao and released to each supplier only when you confirm receipt, or automatically some days after delivery if you open no dispute.")}</p>
          <ErrorBox error={error} />
        </Confirm>
      ) : null}
    </section>
  );
}
