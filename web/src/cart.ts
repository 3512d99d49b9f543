// The buyer's cart, kept in the browser until checkout places one order per supplier. It keeps
// what was chosen (the part and how many), never a price: the cart prices each line from the
// part's current tiers at its current quantity.
import { signal } from "./state";

export interface CartLine {
  productId: string;
  supplierId: string;
  title: string;
  quantity: number;
}

const KEY = "zhuchao.cart";
export const cart = signal<CartLine[]>(JSON.parse(localStorage.getItem(KEY) ?? "[]"));
cart.subscribe((lines) => localStorage.setItem(KEY, JSON.stringify(lines)));

export function addToCart(line: CartLine) {
  const lines = cart.get().filter((l) => l.productId !== line.productId);
  cart.set([...lines, line]);
}
