// The parts a buyer has put side by side (up to four), kept in the browser like the cart.
import { signal } from "./state";

export const COMPARE_MAX = 4;
const KEY = "zhuchao.compare";
export const compared = signal<string[]>(JSON.parse(localStorage.getItem(KEY) ?? "[]"));
compared.subscribe((ids) => localStorage.setItem(KEY, JSON.stringify(ids)));

/** Adds or removes a part; answers false when adding would pass the limit. */
export function toggleCompared(id: string, on: boolean): boolean {
  const ids = compared.get().filter((x) => x !== id);
  if (on && ids.length >= COMPARE_MAX) return false;
  compared.set(on ? [...ids, id] : ids);
  return true;
}
