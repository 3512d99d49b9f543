// Filter → results in the browser: ticks a facet value twelve times on the demo catalogue
// (`node scripts/filter-latency.mjs URL` against `zhuchao serve --demo`) and prints one JSON line
// of medians: click to results shown, the GraphQL request itself, and the rest (the UI's own time).
import { chromium } from "playwright-core";
const base = process.argv[2];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const page = await (await browser.newContext()).newPage();
await page.goto(`${base}/#/search`);
await page.getByRole("button", { name: /Hex bolts/ }).click();
await page.waitForFunction(() => document.querySelector("[data-facet=thread]"));
await page.waitForTimeout(500);
const out = [];
for (let i = 0; i < 12; i++) {
  const r = await page.evaluate(async (i) => {
    const labels = [...document.querySelectorAll("[data-facet=material] input")];
    const box = labels[i % labels.length];
    const before = document.querySelector("[data-testid=total]").textContent;
    performance.clearResourceTimings();
    const t0 = performance.now();
    box.click();
    // until the total changes and the busy mark is gone
    await new Promise((res) => {
      const check = () => {
        const now = document.querySelector("[data-testid=total]").textContent;
        if (now !== before && !now.includes("…")) res();
        else requestAnimationFrame(check);
      };
      check();
    });
    const t1 = performance.now();
    const gql = performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/graphql"));
    const last = gql[gql.length - 1];
    return { total: t1 - t0, request: last ? last.responseEnd - last.startTime : NaN, sentAfter: last ? last.startTime - t0 : NaN };
  }, i);
  out.push(r);
  await page.waitForTimeout(200);
}
const med = (k) => out.map((o) => o[k]).sort((a, b) => a - b)[Math.floor(out.length / 2)];
console.log(JSON.stringify({ click_to_results_ms: med("total"), request_ms: med("request"), sent_after_click_ms: med("sentAfter"), beyond_search_ms: med("total") - med("request") }));
await browser.close();
