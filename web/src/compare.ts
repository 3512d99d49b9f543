// The parts a buyer has put side by side (up to four), kept in the browser like the cart.
import { signal } from "./state";

export const COMPARE_MAX = 4;
const KEY = "zhuchao.compare";
function kept(): string[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(raw) ? raw.filter((id): id is string => typeof id === "string").slice(0, COMPARE_MAX) : [];
  } catch {
    return [];
  }
}
export const compared = signal<string[]>(kept());
compared.subscribe((ids) => localStorage.setItem(KEY, JSON.stringify(ids)));

/** Adds or removes a part; answers false when adding would pass the limit. */
export function toggleCompared(id: string, on: boolean): boolean {
  const ids = compared.get().filter((x) => x !== id);
  if (on && ids.length >= COMPARE_MAX) return false;
  compared.set(on ? [...ids, id] : ids);
  return true;
}
