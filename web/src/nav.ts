// Who is signed in, and moving between screens (hash routes, so reloads and links work).
import type { MeOut } from "./generated/schema";
import { signal } from "./state";

export const me = signal<MeOut | null>(null);

/** Query parameters of the hash (`#/search?text=m8`). */
export function hashParams(): URLSearchParams {
  return new URLSearchParams(location.hash.split("?")[1] ?? "");
}

export function go(path: string) {
  location.hash = path.startsWith("#") ? path : `#${path}`;
}
