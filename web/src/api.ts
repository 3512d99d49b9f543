// The one way the UI talks to Zhuchao: GraphQL over POST (with the sign-in token and the visit's
// session), graphql-transport-ws for live updates, and /files for uploads.
import { t } from "./i18n";
import type { User, UserError } from "./generated/schema";

const TOKEN = "zhuchao.token";
const SESSION = "zhuchao.session";
const VISITOR = "zhuchao.visitor";

export class ApiError extends Error {
  constructor(public code: string, message: string) {
    super(message);
  }
}

export function token(): string | null {
  return localStorage.getItem(TOKEN);
}

export function setToken(value: string | null) {
  if (value) localStorage.setItem(TOKEN, value);
  else localStorage.removeItem(TOKEN);
  syncFileCookie();
}

/** Uploaded files (licences, drawings, evidence) need the sign-in too; images cannot send a
 * header, so the token also goes in a cookie that only `/files` receives. */
export function syncFileCookie() {
  const t = token();
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = t
    ? `zhuchao_token=${encodeURIComponent(t)}; Path=/files; SameSite=Strict${secure}`
    : "zhuchao_token=; Path=/files; Max-Age=0; SameSite=Strict";
}

function headers(): Record<string, string> {
  const h: Record<string, string> = { "Content-Type": "application/json" };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  const s = sessionStorage.getItem(SESSION);
  if (s) h["x-zhuchao-session"] = s;
  return h;
}

/** Runs a query or mutation; GraphQL errors become an ApiError with the server's code. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: headers(),
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }));
  if (body.errors?.length) {
    const e = body.errors[0];
    const code = e.extensions?.code ?? "ERROR";
    if (code === "UNAUTHENTICATED" && token()) {
      setToken(null);
      window.dispatchEvent(new Event("zhuchao:signed-out"));
    }
    throw new ApiError(code, e.message);
  }
  return body.data as T;
}

/** What every mutation's payload answers besides the objects it changed. */
export const RESULT = "position userErrors { code field message }";

/** A mutation's payload: the objects it changed (by field), the position written, and refusals. */
export type Payload = { position: string | null; userErrors: UserError[] } & Record<string, any>;

/** Runs a mutation field; user errors are thrown too. */
export async function mutate(field: string, query: string, variables: Record<string, unknown> = {}): Promise<Payload> {
  const data = await gql<Record<string, Payload>>(query, variables);
  const result = data[field];
  if (result.userErrors.length) throw new UserErrors(result.userErrors);
  return result;
}

/** The label people know an input by, for the API's field names. */
const FIELD_LABELS: Record<string, string> = {
  creditCode: "Unified social credit code", companyName: "Company name", contactName: "Contact name", phone: "Phone",
  email: "Email", password: "Password", address: "Delivery address", title: "Title", description: "Description",
  quantity: "Quantity", moq: "MOQ", packSize: "Pack size", tiers: "Price tiers", stock: "Stock", leadTimeDays: "Lead time",
  unitPrice: "Unit price", deadline: "Deadline", targetPrice: "Target price", categoryId: "Category", categoryIds: "Category",
  attributes: "Attributes", reason: "Reason", note: "Note", statement: "Statement", claimed: "Claimed", refund: "Refund to buyer",
  release: "Release to supplier", penalty: "Penalty", name: "Name", brand: "Brand", keyword: "Keyword", partNumber: "Part number",
  shippingCost: "Shipping cost", validUntil: "Valid until", tracking: "Tracking number", carrier: "Carrier", amount: "Deposit",
  files: "Files", drawings: "Drawings", invitedSupplierIds: "Invite suppliers", csv: "Rows",
};

/** `input.creditCode` → "Unified social credit code" (in the UI's language); an attribute's key
 * (`attributes.length`) stays as the API names it after its label. */
export function fieldLabel(path: string[]): string {
  const known = [...path].reverse().find((p) => FIELD_LABELS[p]);
  if (!known) return path[path.length - 1] ?? "";
  const label = t(FIELD_LABELS[known]);
  const after = path.slice(path.indexOf(known) + 1).filter((p) => !/^\d+$/.test(p));
  return after.length ? `${label} › ${after.join(".")}` : label;
}

export class UserErrors extends Error {
  constructor(public errors: UserError[]) {
    super(errors.map((e) => (e.field?.length ? `${fieldLabel(e.field)}: ${e.message}` : e.message)).join("; "));
  }
}

/** Starts (or keeps) this tab's visit, recording where it came from. */
export async function startVisit(): Promise<void> {
  if (sessionStorage.getItem(SESSION)) return;
  try {
    const data = await gql<{ startSession: { sessionId: string; visitorId: string } }>(
      "mutation($i: StartSessionInput!) { startSession(input: $i) { sessionId visitorId } }",
      { i: { landingUrl: location.href, referrer: document.referrer || null, visitorId: localStorage.getItem(VISITOR) } },
    );
    sessionStorage.setItem(SESSION, data.startSession.sessionId);
    localStorage.setItem(VISITOR, data.startSession.visitorId);
  } catch {
    // Analytics never stands in the way of using the marketplace.
  }
}

export function trackPage(path: string) {
  if (!sessionStorage.getItem(SESSION)) return;
  gql("mutation($p: String!) { trackPageView(path: $p) }", { p: path }).catch(() => {});
}

export const USER = "id email name role companyId companyName supplierId";
export const ME = `me { ${USER} }`;

export async function signIn(email: string, password: string): Promise<User> {
  const data = await gql<{ signIn: { token: string | null; user: User | null; userErrors: UserError[] } }>(
    `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token user { ${USER} } userErrors { code field message } } }`,
    { e: email, p: password },
  );
  if (!data.signIn.token || !data.signIn.user) throw new UserErrors(data.signIn.userErrors);
  setToken(data.signIn.token);
  return data.signIn.user;
}

/** Uploads a file; answers the reference to put in documents, drawings or evidence. */
export async function upload(file: File): Promise<string> {
  const h: Record<string, string> = { "x-filename": encodeURIComponent(file.name), "Content-Type": "application/octet-stream" };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  const response = await fetch("/files", { method: "POST", headers: h, body: file });
  const body = await response.json();
  if (!response.ok) throw new ApiError(body.errors?.[0]?.extensions?.code ?? "ERROR", body.errors?.[0]?.message ?? "upload failed");
  return body.ref as string;
}

/** A live subscription (graphql-transport-ws); returns the function that ends it. */
export function subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void): () => void {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`;
  let closed = false;
  let socket: WebSocket | null = null;
  let retry: number | undefined;
  const open = () => {
    socket = new WebSocket(url, "graphql-transport-ws");
    socket.onopen = () => {
      socket?.send(JSON.stringify({ type: "connection_init", payload: token() ? { token: token() } : {} }));
    };
    socket.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === "connection_ack") socket?.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
      else if (msg.type === "next" && msg.payload?.data) onData(msg.payload.data as T);
      else if (msg.type === "ping") socket?.send(JSON.stringify({ type: "pong" }));
    };
    socket.onclose = () => {
      if (!closed) retry = window.setTimeout(open, 2000);
    };
  };
  open();
  return () => {
    closed = true;
    window.clearTimeout(retry);
    socket?.close();
  };
}
