// What happened for the signed-in user while they worked elsewhere: new RFQs in a supplier's
// inbox and status changes of their orders, fed by the API's subscriptions, kept per user in
// the browser (the latest 30) with how many are unread.
import { subscribe } from "./api";
import type { Order, Rfq, User } from "./generated/schema";
import { signal } from "./state";

export interface Notice {
  at: number;
  /** `rfq` or `order`. */
  kind: string;
  /** The object's screen (`/rfq/<id>`). */
  href: string;
  title: string;
  /** An order's new status, for the UI to put in words. */
  status?: string;
  read: boolean;
}

const KEEP = 30;
export const notices = signal<Notice[]>([]);
let key: string | null = null;

function save(list: Notice[]) {
  notices.set(list);
  if (key) localStorage.setItem(key, JSON.stringify(list));
}

function add(n: Omit<Notice, "at" | "read">) {
  save([{ ...n, at: Date.now(), read: false }, ...notices.get()].slice(0, KEEP));
}

export function markAllRead() {
  save(notices.get().map((n) => ({ ...n, read: true })));
}

/** Starts listening for `user` (none when signed out); answers how to stop. */
export function listen(user: User | null): () => void {
  key = user ? `zhuchao.notices.${user.id}` : null;
  notices.set(key ? JSON.parse(localStorage.getItem(key) ?? "[]") : []);
  if (!user) return () => {};
  const stops: (() => void)[] = [];
  stops.push(
    subscribe<{ orderUpdates: Order }>("subscription { orderUpdates { id number status } }", {}, (d) =>
      add({ kind: "order", href: `/order/${encodeURIComponent(d.orderUpdates.id)}`, title: d.orderUpdates.number, status: d.orderUpdates.status }),
    ),
  );
  if (user.role === "SUPPLIER")
    stops.push(
      subscribe<{ rfqInbox: Rfq }>("subscription { rfqInbox { id title } }", {}, (d) =>
        add({ kind: "rfq", href: `/rfq/${encodeURIComponent(d.rfqInbox.id)}`, title: d.rfqInbox.title }),
      ),
    );
  return () => stops.forEach((s) => s());
}
