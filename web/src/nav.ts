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
