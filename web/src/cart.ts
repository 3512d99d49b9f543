// The buyer's cart, kept in the browser until checkout places one order per supplier. It keeps
// what was chosen (the part and how many), never a price: the cart prices each line from the
// part's current tiers at its current quantity.
import type { Product } from "./generated/schema";
import { t } from "./i18n";
import { signal } from "./state";

export interface CartLine {
  productId: string;
  supplierId: string;
  title: string;
  quantity: number;
}

const KEY = "zhuchao.cart";

/** What the browser kept, as far as it is a cart: lines with an id and a whole, positive
 * quantity (anything else — an old or edited entry — is dropped, not trusted). */
function kept(): CartLine[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (l): l is CartLine =>
        typeof l === "object" && l !== null && typeof l.productId === "string" && Number.isSafeInteger(l.quantity) && l.quantity > 0,
    ).map((l) => ({ productId: l.productId, supplierId: String(l.supplierId ?? ""), title: String(l.title ?? ""), quantity: l.quantity }));
  } catch {
    return [];
  }
}
export const cart = signal<CartLine[]>(kept());
cart.subscribe((lines) => localStorage.setItem(KEY, JSON.stringify(lines)));

export function addToCart(line: CartLine) {
  const lines = cart.get().filter((l) => l.productId !== line.productId);
  cart.set([...lines, line]);
}

/** What an order of `quantity` of `product` would be refused for (the MOQ, whole packs, the
 * stock), in words, or null: said on the part and on the cart line before the order is tried. */
export function orderProblem(product: Pick<Product, "moq" | "packSize" | "stock">, quantity: number): string | null {
  if (!Number.isSafeInteger(quantity)) return t("Enter a whole number of pieces");
  if (quantity < product.moq) return `${t("Below the minimum order quantity")} (${t("MOQ")} ${product.moq.toLocaleString()})`;
  if (product.packSize > 1 && quantity % product.packSize !== 0)
    return `${t("Not a whole number of packs")} (${product.packSize.toLocaleString()} ${t("per pack")})`;
  if (quantity > product.stock) return `${t("More than in stock")} (${product.stock.toLocaleString()})`;
  return null;
}
