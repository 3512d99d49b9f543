// The cart and checkout: one order per supplier, each paid into escrow at once (a retried
// payment pays once: the idempotency key is the order's id).
import { useState } from "preact/hooks";
import { mutate, RESULT } from "../api";
import { cart } from "../cart";
import { t } from "../i18n";
import { go, me, route } from "../nav";
import { useSignal } from "../state";
import { cny, ErrorBox, Field, useAction } from "../ui";

export function CartPage() {
  const lines = useSignal(cart);
  const user = useSignal(me);
  const [address, setAddress] = useState("");
  const { busy, error, run } = useAction();
  const [placed, setPlaced] = useState<{ id: string; number: string; position: string | null }[]>([]);
  const bySupplier = new Map<string, typeof lines>();
  for (const l of lines) bySupplier.set(l.supplierId, [...(bySupplier.get(l.supplierId) ?? []), l]);
  const total = lines.reduce((s, l) => s + Number(l.unitPrice) * l.quantity, 0);
  const checkout = () =>
    run(async () => {
      if (!user) {
        go("/signin?next=cart");
        return;
      }
      const done: { id: string; number: string; position: string | null }[] = [];
      for (const [supplier, group] of bySupplier) {
        const order = await mutate(
          "placeOrder",
          `mutation($l: [CartLineInput!]!, $a: String!) { placeOrder(lines: $l, address: $a) { order { id number } ${RESULT} } }`,
          { l: group.map((g) => ({ productId: g.productId, quantity: g.quantity })), a: address },
        );
        const id: string = order.order.id;
        const paid = await mutate("payOrder", `mutation($o: ID!, $k: String!) { payOrder(orderId: $o, idempotencyKey: $k) { ${RESULT} } }`, {
          o: id,
          k: `pay-${id}`,
        });
        done.push({ id, number: order.order.number, position: paid.position ?? order.position ?? null });
        cart.set(cart.get().filter((l) => l.supplierId !== supplier));
      }
      setPlaced(done);
    });
  return (
    <section>
      <h1>{t("Cart")}</h1>
      {placed.length ? (
        <p role="status" class="ok">
          {placed.map((p) => (
            <a key={p.id} href={`#${route("order", p.id)}${p.position ? `?at=${p.position}` : ""}`} data-testid="placed-order">
              {t("Order")} {p.number}{" "}
            </a>
          ))}
        </p>
      ) : null}
      {!lines.length ? <p class="muted">{t("Your cart is empty.")}</p> : null}
      {[...bySupplier.entries()].map(([supplier, group]) => (
        <div class="card" key={supplier}>
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
              {group.map((l) => (
                <tr key={l.productId}>
                  <td>
                    <a href={`#${route("product", l.productId)}`}>{l.title}</a>
                  </td>
                  <td>
                    <input
                      type="number"
                      min={l.moq}
                      value={l.quantity}
                      aria-label={t("Quantity")}
                      onInput={(e) =>
                        cart.set(cart.get().map((x) => (x.productId === l.productId ? { ...x, quantity: Number(e.currentTarget.value) } : x)))
                      }
                    />
                  </td>
                  <td>{cny(l.unitPrice)}</td>
                  <td>{cny(Number(l.unitPrice) * l.quantity)}</td>
                  <td>
                    <button class="link" onClick={() => cart.set(cart.get().filter((x) => x.productId !== l.productId))}>
                      ✕
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {lines.length ? (
        <form
          class="card"
          onSubmit={(e) => {
            e.preventDefault();
            checkout();
          }}
        >
          <p>
            {t("Total")}: <strong>{cny(total)}</strong> <span class="muted small">(+ shipping)</span>
          </p>
          <Field label={t("Delivery address")}>
            <input required value={address} onInput={(e) => setAddress(e.currentTarget.value)} placeholder="浙江省宁波市北仑区…" />
          </Field>
          <ErrorBox error={error} />
          <button class="primary" disabled={busy || !address.trim()}>
            {t("Place orders and pay")}
          </button>
        </form>
      ) : null}
    </section>
  );
}
