// Pieces every screen uses: loading data, showing errors, money, badges, timelines, charts.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, gql, UserErrors } from "./api";
import type { Money, Product, Supplier, TimelineEntry } from "./generated/schema";
import { lang, locale, t } from "./i18n";

/** Loads `query` and keeps it fresh when `deps` change; `reload` fetches again. */
export function useQuery<T>(query: string | null, variables: Record<string, unknown> = {}, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const key = JSON.stringify(variables);
  const load = useCallback(async () => {
    if (!query) return;
    setLoading(true);
    try {
      setData(await gql<T>(query, variables));
      setError(null);
    } catch (e) {
      setError(describe(e));
    } finally {
      setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, key, ...deps]);
  useEffect(() => {
    load();
  }, [load]);
  return { data, error, loading, reload: load };
}

/** The products `ids` name, as they are now, in one request: `products[i]` is the product of
 * `ids[i]`, or null when it is gone or not visible (`node` answers null for it, so one missing
 * product does not hide the others). `fields` is the selection on each product. */
export function useProducts(ids: string[], fields: string) {
  const query = ids.length
    ? `query(${ids.map((_, i) => `$a${i}: ID!`).join(", ")}) { ${ids.map((_, i) => `p${i}: node(id: $a${i}) { ... on Product { ${fields} } }`).join(" ")} }`
    : null;
  const result = useQuery<Record<string, Product | null>>(query, Object.fromEntries(ids.map((id, i) => [`a${i}`, id])));
  const products = ids.map((_, i) => {
    const p = result.data?.[`p${i}`];
    return p && p.id ? p : null;
  });
  return { ...result, products };
}

export function describe(e: unknown): string {
  if (e instanceof UserErrors || e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Runs an action with a busy flag and an error message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      return true;
    } catch (e) {
      setError(describe(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

export function ErrorBox({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Loading({ when, children }: { when: boolean; children?: ComponentChildren }) {
  return when ? <p class="muted">{t("Loading…")}</p> : <>{children}</>;
}

/** A page showing one queried list: its title, the query's error, "loading" until the first answer, and a line saying so when the list is empty. */
export function ListPage(props: { title: ComponentChildren; error: string | null; loading: boolean; items: unknown[] | undefined; children?: ComponentChildren }) {
  return (
    <section>
      <h1>{props.title}</h1>
      <ErrorBox error={props.error} />
      <Loading when={props.loading && !props.items}>
        {!props.items?.length ? <p class="muted">{t("Nothing here yet.")}</p> : null}
        {props.children}
      </Loading>
    </section>
  );
}

/** `list` with `value` added (when `on`) or taken out: what a checkbox in a list of choices does. */
export function toggled<T>(list: T[], value: T, on: boolean): T[] {
  return on ? [...list, value] : list.filter((v) => v !== value);
}

/** An amount as people in China read it (`¥11,450.00`); other currencies as the API writes them. */
export function money(m: Money | null | undefined): string {
  if (!m) return "—";
  return m.currency === "CNY" ? cny(m.minor) : m.formatted;
}

export function cny(minor: number | string): string {
  const n = typeof minor === "string" ? Number(minor) : minor;
  return `¥${(n / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** An API `DateTime` (or milliseconds) for people, in their time zone. */
export function date(at: string | number | null | undefined): string {
  if (at == null) return "—";
  return new Date(at).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" });
}

export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span>{props.label}</span>
      {props.children}
      {props.hint ? <small class="muted">{props.hint}</small> : null}
    </label>
  );
}

export function Badge({ children, tone = "plain" }: { children: ComponentChildren; tone?: "ok" | "warn" | "plain" | "info" }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

/** A status from the API's enums, in the reader's language; `data-status` keeps the code. */
export function StatusBadge({ value, tone }: { value: string; tone?: "ok" | "warn" | "plain" | "info" }) {
  const good = ["PAID", "COMPLETED", "ACTIVE", "APPROVED", "PUBLISHED", "ACCEPTED", "AWARDED", "RULED", "RESOLVED"];
  const bad = ["CANCELLED", "REJECTED", "EXPIRED", "SUSPENDED", "EXITED", "DISPUTED", "LAPSED", "DELISTED", "ABANDONED"];
  const chosen = tone ?? (good.includes(value) ? "ok" : bad.includes(value) ? "warn" : "info");
  return (
    <span class={`badge ${chosen}`} data-status={value}>
      {t(humanise(value))}
    </span>
  );
}

/** A supplier's badges, each saying what it means (on hover and to screen readers). */
export function SupplierBadges({ supplier: s }: { supplier: Pick<Supplier, "verified" | "guaranteed" | "level"> }) {
  return (
    <>
      {s.verified ? (
        <span class="badge ok" title={t("Verified supplier: business documents checked by Zhuchao")}>
          ✓ {t("Verified")}
        </span>
      ) : null}{" "}
      {s.guaranteed ? (
        <span class="badge info" title={t("Guaranteed supplier: a deposit is held against disputes")}>
          ¥ {t("Deposit")}
        </span>
      ) : null}{" "}
      <span class="badge" title={`${t("Supplier level")} ${s.level} / 5`}>
        {t("Level")} {s.level}
      </span>
    </>
  );
}

/** Asks before money moves or something cannot be undone: what will happen, with the amounts,
 * and one button that does it. */
export function Confirm(props: { title: string; children: ComponentChildren; action: string; busy?: boolean; ready?: boolean; onConfirm: () => void; onCancel: () => void }) {
  useEffect(() => {
    const escape = (e: KeyboardEvent) => e.key === "Escape" && props.onCancel();
    window.addEventListener("keydown", escape);
    return () => window.removeEventListener("keydown", escape);
  }, [props.onCancel]);
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && props.onCancel()}>
      <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
        <h2 id="confirm-title">{props.title}</h2>
        {props.children}
        <div class="actions">
          <button class="primary" autoFocus disabled={props.busy || props.ready === false} onClick={props.onConfirm}>
            {props.action}
          </button>
          <button disabled={props.busy} onClick={props.onCancel}>
            {t("Cancel")}
          </button>
        </div>
      </div>
    </div>
  );
}

export function Stars({ value }: { value: number | null }) {
  if (value == null) return <span class="muted">—</span>;
  return (
    <span title={value.toFixed(2)} aria-label={`${value.toFixed(1)} / 5`}>
      {"★".repeat(Math.round(value))}
      <span class="muted">{"★".repeat(5 - Math.round(value))}</span> {value.toFixed(1)}
    </span>
  );
}

/** What to ask for to show an object's timeline. */
export const TIMELINE = "timeline { at position kind summary actor { name role } changes { field from to } }";

/** What happened to an order, RFQ or dispute, entry by entry, as the API tells this viewer. */
export function Timeline({ entries }: { entries: TimelineEntry[] | null | undefined }) {
  return (
    <section class="card">
      <h3>{t("History")}</h3>
      <ol class="timeline">
        {(entries ?? []).map((e) => (
          <li key={e.position + e.kind}>
            <time>{date(e.at)}</time>
            <strong>{t(humanise(e.kind))}</strong>
            <span class="muted"> {e.actor.name}</span>
            <div class="small">{e.summary}</div>
            {e.changes.length ? (
              <div class="muted small">
                {e.changes.map((c) => `${c.field.split(".").map((f) => t(humanise(f))).join(" › ")}: ${code(c.from)} → ${code(c.to)}`).join(" · ")}
              </div>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** A change's value: an enum's code (`RETURN_REQUESTED`) in words, anything else as it is. */
function code(value: string | null | undefined): string {
  if (value == null) return "—";
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return date(value);
  const yuan = /^(-?\d+)\.(\d{2}) CNY$/.exec(value);
  if (yuan) return cny(Number(yuan[1]) * 100 + (value.startsWith("-") ? -1 : 1) * Number(yuan[2]));
  if (value === "true" || value === "false") return t(value === "true" ? "Yes" : "No");
  return /^[A-Z][A-Z_]+$/.test(value) ? t(humanise(value)) : value;
}

/** `ORDER_PLACED` (or `OrderPlaced`) → `Order placed`. */
export function humanise(name: string): string {
  const words = name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/_/g, " ").toLowerCase();
  return (words.charAt(0).toUpperCase() + words.slice(1)).replace(/\brfq\b/gi, "RFQ");
}

/** Time left until `deadline`, ticking every second. */
export function Countdown({ deadline }: { deadline: number | string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, []);
  const left = new Date(deadline).getTime() - now;
  if (left <= 0) return <Badge tone="warn">SLA ✕</Badge>;
  const h = Math.floor(left / 3_600_000);
  const m = Math.floor((left % 3_600_000) / 60_000);
  const s = Math.floor((left % 60_000) / 1000);
  const text =
    lang.get() === "zh" ? `${h}小时${String(m).padStart(2, "0")}分${String(s).padStart(2, "0")}秒` : `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  return <Badge tone={left < 3_600_000 ? "warn" : "info"}>{text}</Badge>;
}

const COLOURS = ["#b4451f", "#2f6f8f", "#6b8e23", "#8e44ad", "#d4a017", "#555", "#c0392b", "#16a085"];

/** Stacked bars: one bar per label, one segment per series. */
export function StackedBars({ labels, series, height = 180 }: { labels: string[]; series: { name: string; values: number[] }[]; height?: number }) {
  const totals = labels.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const w = Math.max(8, Math.floor(600 / Math.max(1, labels.length)));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w * labels.length} ${height}`} preserveAspectRatio="none" role="img" aria-label={series.map((s) => s.name).join(", ")}>
        {labels.map((label, i) => {
          let y = height;
          return (
            <g key={label}>
              <title>{`${label}: ${totals[i]}`}</title>
              {series.map((s, k) => {
                const h = ((s.values[i] ?? 0) / max) * (height - 4);
                y -= h;
                return <rect key={s.name} x={i * w + 1} y={y} width={w - 2} height={h} fill={COLOURS[k % COLOURS.length]} />;
              })}
            </g>
          );
        })}
      </svg>
      <Axes max={max} labels={labels} />
      <figcaption>
        {series.map((s, k) => (
          <span key={s.name} class="legend">
            <i style={{ background: COLOURS[k % COLOURS.length] }} /> {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** A chart's scale: its top and half values on the left, the first, middle and last periods below. */
function Axes({ max, labels, format = (v: number) => v.toLocaleString() }: { max: number; labels: string[]; format?: (v: number) => string }) {
  const ticks = labels.length > 2 ? [labels[0], labels[Math.floor(labels.length / 2)], labels[labels.length - 1]] : labels;
  return (
    <div class="axes small muted" aria-hidden="true">
      <span class="y-top">{format(max)}</span>
      <span class="y-mid">{format(max / 2)}</span>
      <div class="x">
        {ticks.map((l, i) => (
          <span key={i}>{l}</span>
        ))}
      </div>
    </div>
  );
}

/** Horizontal bars, e.g. a funnel. */
export function Bars({ rows }: { rows: { label: string; value: number; note?: string }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <div class="bars">
      {rows.map((r) => (
        <div class="bar-row" key={r.label}>
          <span class="bar-label">{r.label}</span>
          <span class="bar" style={{ width: `${(r.value / max) * 100}%` }} />
          <span class="bar-value">
            {r.value.toLocaleString()} {r.note ? <small class="muted">{r.note}</small> : null}
          </span>
        </div>
      ))}
    </div>
  );
}

/** A line over time. */
export function Line({ labels, values, format = (v: number) => v.toFixed(0) }: { labels: string[]; values: number[]; format?: (v: number) => string }) {
  const max = Math.max(1e-9, ...values);
  const n = Math.max(1, values.length - 1);
  const points = values.map((v, i) => `${(i / n) * 600},${160 - (v / max) * 150}`).join(" ");
  return (
    <figure class="chart">
      <svg viewBox="0 0 600 165" preserveAspectRatio="none" role="img" aria-label="line chart">
        <polyline points={points} fill="none" stroke="#2f6f8f" stroke-width="2" />
      </svg>
      <Axes max={max} labels={labels} format={format} />
    </figure>
  );
}

/** A file reference as a link, and a preview for images. */
export function FileLink({ file }: { file: string }) {
  const name = decodeURIComponent(file.split("/").pop() ?? file);
  const image = /\.(png|jpe?g|gif|webp)$/i.test(name);
  if (!file.startsWith("/files/")) return <span>{file}</span>;
  return (
    <a href={file} target="_blank" rel="noopener" class="file">
      {image ? <img src={file} alt={name} loading="lazy" /> : null}
      <span>{name}</span>
    </a>
  );
}
