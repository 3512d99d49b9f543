// Analytics for agents (everything) and suppliers (their own products and orders): traffic by
// source, the funnel, basket value, the GMV decomposition, top and zero-result searches, RFQ
// response and dispute rates — by time range, granularity and dimension.
import { useState } from "preact/hooks";
import type { AnalyticsRow, DisputeRate, RfqResponseRow, SearchTerm } from "../generated/schema";
import { t } from "../i18n";
import { me, route } from "../nav";
import { useSignal } from "../state";
import { Bars, cny, ErrorBox, Field, humanise, Line, Loading, StackedBars, useQuery } from "../ui";
import { useCatalogueBasics } from "./search";

const ROWS = `query($from: DateTime!, $to: DateTime!, $g: Granularity!, $d: AnalyticsDimension!) {
  analytics(from: $from, to: $to, granularity: $g, dimension: $d) {
    bucket key sessions visitors pageViews searches zeroResultSearches productViews carts orders paidOrders items
    gmv { minor } averageOrderValue { minor } itemsPerOrder funnel { name count rate }
    decomposition { sessions conversionRate averageOrderValue { minor } gmv { minor } }
  }
}`;

function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

function pct(v: number | null | undefined): string {
  return v == null ? "—" : `${(v * 100).toFixed(1)}%`;
}

export function AnalyticsPage() {
  const user = useSignal(me);
  const supplier = user?.role === "SUPPLIER";
  const [from, setFrom] = useState(day(-21));
  const [to, setTo] = useState(day(1));
  const [g, setG] = useState("DAY");
  const [d, setD] = useState(supplier ? "CATEGORY" : "SOURCE");
  const rows = useQuery<{ analytics: AnalyticsRow[] }>(ROWS, { from, to, g, d });
  const totals = useQuery<{ analytics: AnalyticsRow[] }>(ROWS, { from, to, g, d: supplier ? "SUPPLIER" : "TOTAL" });
  const searches = useQuery<{ top: SearchTerm[]; zero: SearchTerm[] }>(
    supplier ? null : "query($from: DateTime!, $to: DateTime!) { top: topSearches(from: $from, to: $to, limit: 10) { text searches zeroResults } zero: topSearches(from: $from, to: $to, limit: 10, zeroResultsOnly: true) { text searches zeroResults } }",
    { from, to },
  );
  const rfq = useQuery<{ rfqResponse: RfqResponseRow[]; disputeRates: DisputeRate[] }>(
    "query($from: DateTime!, $to: DateTime!) { rfqResponse(from: $from, to: $to, granularity: WEEK) { bucket rfqs answered withinSla withinSlaRate medianMinutesToFirstQuote } disputeRates(from: $from, to: $to) { supplierId supplierName orders disputes rate forBuyer forSupplier split withdrawn } }",
    { from, to },
  );
  const { suppliers, categories, words } = useCatalogueBasics();
  // A row's key is a supplier's or a category's id when cut by them: named here.
  const named = (key: string) => {
    if (!key) return t("Total");
    const supplierName = suppliers[key]?.companyName;
    if (supplierName) return supplierName;
    const category = categories.find((c) => c.id === key);
    if (category) return words.category(category.id, category.name);
    // Sources, devices, regions and campaigns are words, not ids.
    return key.startsWith("gid://") ? key : t(humanise(key));
  };
  const data = rows.data?.analytics ?? [];
  const buckets = [...new Set(data.map((r) => r.bucket))].sort();
  const keys = [...new Set(data.map((r) => r.key))].sort();
  const measure = (r: AnalyticsRow) => r.sessions ?? r.productViews;
  const series = keys.map((k) => ({
    name: named(k),
    values: buckets.map((b) => {
      const r = data.find((x) => x.bucket === b && x.key === k);
      return r ? measure(r) : 0;
    }),
  }));
  // The whole range in one row: the funnel and the decomposition.
  const all = totals.data?.analytics ?? [];
  const sum = (f: (r: AnalyticsRow) => number) => all.reduce((s, r) => s + f(r), 0);
  const funnelNames = all[0]?.funnel.map((s) => s.name) ?? [];
  const funnel = funnelNames.map((name, i) => ({ label: t(name), value: sum((r) => r.funnel[i]?.count ?? 0) }));
  const sessions = sum((r) => r.sessions ?? 0);
  const paid = sum((r) => r.paidOrders);
  const gmv = sum((r) => Number(r.gmv.minor));
  const aovLine = all.map((r) => (r.averageOrderValue ? Number(r.averageOrderValue.minor) / 100 : 0));
  return (
    <section>
      <h1>{t("Analytics")}</h1>
      <form class="row card" onSubmit={(e) => e.preventDefault()}>
        <Field label={t("From")}>
          <input type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label={t("To")}>
          <input type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </Field>
        <Field label={t("Granularity")}>
          <select value={g} onChange={(e) => setG(e.currentTarget.value)}>
            <option value="HOUR">{t("Hour")}</option>
            <option value="DAY">{t("Day")}</option>
            <option value="WEEK">{t("Week")}</option>
          </select>
        </Field>
        <Field label={t("Cut by")}>
          <select value={d} onChange={(e) => setD(e.currentTarget.value)}>
            {(supplier ? ["CATEGORY", "SUPPLIER", "REGION", "SOURCE"] : ["SOURCE", "REGION", "CAMPAIGN", "DEVICE", "CATEGORY", "SUPPLIER", "TOTAL"]).map((x) => (
              <option key={x} value={x}>
                {t(x.charAt(0) + x.slice(1).toLowerCase())}
              </option>
            ))}
          </select>
        </Field>
      </form>
      <ErrorBox error={rows.error ?? totals.error} />
      <Loading when={rows.loading && !rows.data}>
        <div class="columns">
          <section class="card wide">
            <h2>{supplier ? t("Product views") : t("Traffic by source")}</h2>
            <p class="small muted">{supplier ? t("Product views per period, by the cut chosen above.") : t("Sessions per period, by the cut chosen above.")}</p>
            {buckets.length ? <StackedBars labels={buckets.map((b) => (g === "HOUR" ? b.slice(5, 13).replace("T", " ") + ":00" : b.slice(5, 10)))} series={series} /> : <p class="muted">{t("Nothing here yet.")}</p>}
          </section>
          <section class="card">
            <h2>{t("Funnel")}</h2>
            <Bars rows={funnel.map((f, i) => ({ ...f, note: i ? pct(funnel[i - 1].value ? f.value / funnel[i - 1].value : null) : undefined }))} />
          </section>
          <section class="card">
            <h2>{t("GMV decomposition")}</h2>
            <table data-testid="decomposition">
              <tbody>
                {!supplier ? (
                  <tr>
                    <th scope="row">{t("Sessions")}</th>
                    <td>{sessions.toLocaleString()}</td>
                  </tr>
                ) : null}
                {!supplier ? (
                  <tr>
                    <th scope="row">× {t("Conversion")}</th>
                    <td>{pct(sessions ? paid / sessions : null)}</td>
                  </tr>
                ) : null}
                <tr>
                  <th scope="row">× {t("Average order value")}</th>
                  <td>{paid ? cny(gmv / paid) : "—"}</td>
                </tr>
                <tr>
                  <th scope="row">= GMV</th>
                  <td>
                    <strong>{cny(gmv)}</strong>
                  </td>
                </tr>
                <tr>
                  <th scope="row">{t("Paid orders")}</th>
                  <td>{paid.toLocaleString()}</td>
                </tr>
                <tr>
                  <th scope="row" title={t("Pieces ordered (all lines) divided by paid orders")}>{t("Pieces per order")}</th>
                  <td>{paid ? Math.round(sum((r) => r.items) / paid).toLocaleString() : "—"}</td>
                </tr>
              </tbody>
            </table>
          </section>
          <section class="card">
            <h2>{t("Basket value")}</h2>
            <p class="small muted">{t("Average paid order value per period.")}</p>
            {aovLine.length ? <Line labels={all.map((r) => r.bucket.slice(5, 10))} values={aovLine} format={(v) => `¥${v.toFixed(0)}`} /> : null}
          </section>
          <section class="card">
            <h2>{t("RFQ response")}</h2>
            <div class="table-scroll" tabIndex={0}>
            <table class="small">
              <thead>
                <tr>
                  <th>{t("Week of")}</th>
                  <th class="number">RFQs</th>
                  <th class="number">{t("Answered within SLA")}</th>
                  <th class="number">{t("Median time to first quote")}</th>
                </tr>
              </thead>
              <tbody>
                {rfq.data?.rfqResponse.map((r) => (
                  <tr key={r.bucket}>
                    <td>{r.bucket.slice(0, 10)}</td>
                    <td class="number">{r.rfqs}</td>
                    <td class="number">{pct(r.withinSlaRate)}</td>
                    <td class="number">{r.medianMinutesToFirstQuote != null ? `${r.medianMinutesToFirstQuote.toFixed(0)} min` : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          </section>
          <section class="card wide">
            <h2>{t("Dispute rates")}</h2>
            <div class="table-scroll" tabIndex={0}>
            <table class="small">
              <thead>
                <tr>
                  <th>{t("Supplier")}</th>
                  <th class="number">{t("Disputes / orders")}</th>
                  <th class="number">{t("Rate")}</th>
                  <th class="number" title={t("For the buyer")}>{t("Buyer won")}</th>
                  <th class="number" title={t("For the supplier")}>{t("Supplier won")}</th>
                  <th class="number">{t("Split")}</th>
                  <th class="number">{t("Withdrawn")}</th>
                </tr>
              </thead>
              <tbody>
                {rfq.data?.disputeRates.slice(0, 10).map((r) => (
                  <tr key={r.supplierId}>
                    <td>
                      <a href={`#${route("supplier", r.supplierId)}`}>{r.supplierName ?? r.supplierId.slice(-8)}</a>
                    </td>
                    <td class="number">
                      {r.disputes} / {r.orders}
                    </td>
                    <td class="number">{pct(r.rate)}</td>
                    <td class="number">{r.forBuyer}</td>
                    <td class="number">{r.forSupplier}</td>
                    <td class="number">{r.split}</td>
                    <td class="number">{r.withdrawn}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          </section>
          {!supplier ? (
            <section class="card">
              <h2>{t("Top searches")}</h2>
              <Bars rows={(searches.data?.top ?? []).map((s) => ({ label: s.text, value: s.searches }))} />
              <h3>{t("Searches with no result")}</h3>
              <Bars rows={(searches.data?.zero ?? []).map((s) => ({ label: s.text, value: s.zeroResults }))} />
            </section>
          ) : null}
        </div>
      </Loading>
    </section>
  );
}
