// Who is signed in, and moving between screens (hash routes, so reloads and links work).
import type { User } from "./generated/schema";
import { signal } from "./state";

export const me = signal<User | null>(null);

/** Query parameters of the hash (`#/search?text=m8`). */
export function hashParams(): URLSearchParams {
  return new URLSearchParams(location.hash.split("?")[1] ?? "");
}

export function go(path: string, position?: string | null) {
  const target = position ? `${path}${path.includes("?") ? "&" : "?"}at=${position}` : path;
  location.hash = target.startsWith("#") ? target : `#${target}`;
}

/** The position a previous screen's write reached (`?at=`), to read that write here. */
export function initialPosition(): string | null {
  return hashParams().get("at");
}

/** The route of an object's screen (`/order/<its id>`): global ids are opaque and carry slashes,
 * so they travel encoded. */
export function route(screen: string, id: string): string {
  return `/${screen}/${encodeURIComponent(id)}`;
}

/** Rewrites the current screen's query parameters in place (no new history entry), so that
 * Back from the next screen returns to this one as it was left. */
export function keepParams(path: string, params: URLSearchParams) {
  // Another screen may already be on its way in: its URL is left alone.
  if (location.hash.split("?")[0] !== `#${path}`) return;
  const query = params.toString();
  const hash = `#${path}${query ? `?${query}` : ""}`;
  if (location.hash !== hash) history.replaceState(history.state, "", hash);
}
