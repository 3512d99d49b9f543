// Browser tests: real headless Chromium (Debian's) driven by playwright-core against a running
// Zhuchao with demo data (its URL is the first argument). The gateway's three journeys done
// through the UI, search narrowing with facets, CSV import, analytics; a screenshot of each main
// screen goes to test-results/screenshots/.
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";
import axe from "axe-core";
import assert from "node:assert/strict";

const base = process.argv[2] ?? "http://127.0.0.1:8080";
const shots = new URL("../test-results/screenshots/", import.meta.url);
mkdirSync(shots, { recursive: true });
const PASSWORD = "zhuchao-demo";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const steps = [];
let failed = false;
const open = new Set();
/** What any page was refused by the Content-Security-Policy, or fetched from another origin. */
const refused = [];

/** Records on `page` every CSP refusal and every request that leaves the marketplace's origin. */
function watch(page) {
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) refused.push(`${page.url()}: ${m.text()}`);
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(base) && !url.startsWith("data:") && !url.startsWith(base.replace(/^http/, "ws")))
      refused.push(`${page.url()}: request to another origin ${url}`);
  });
}

/** A fresh browser profile (its own sign-in and cart), in English unless told. */
async function person(locale = "en-US", viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ locale, viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`  page error: ${e.message}`));
  watch(page);
  open.add(page);
  page.on("close", () => open.delete(page));
  await page.goto(`${base}/#/search`);
  return page;
}

async function shot(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: new URL(`${name}.png`, shots).pathname, fullPage: true });
}

async function signIn(page, email, password = PASSWORD) {
  await page.goto(`${base}/#/signin`);
  await page.locator("input[type=email]").fill(email);
  await page.locator("input[type=password]").fill(password);
  await page.locator("form button.primary").click();
  await page.getByTestId("who").waitFor();
}

async function signOut(page) {
  await page.getByRole("button", { name: "Sign out" }).click();
}

/** GraphQL straight to the API, for facts a test needs (ids), never to act for the user. */
async function api(query, variables = {}, token = null) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function tokenOf(email, password = PASSWORD) {
  const d = await api("mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }", { e: email, p: password });
  return d.signIn.token;
}

async function step(name, f) {
  const started = Date.now();
  try {
    await f();
    steps.push(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed = true;
    steps.push(`FAIL ${name}: ${e.stack ?? e}`);
    // What each open page showed when the step failed.
    let n = 0;
    for (const page of open) {
      await page.screenshot({ path: new URL(`FAIL-${steps.length}-${n++}.png`, shots).pathname, fullPage: true }).catch(() => {});
      await page.context().close().catch(() => {});
    }
  }
  console.log(steps[steps.length - 1]);
}

function total(text) {
  return Number(text.replace(/[^0-9]/g, ""));
}

/** A unified social credit code with a valid check character. */
function creditCode(first17) {
  const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += alphabet.indexOf(first17[i]) * weights[i];
  return first17 + alphabet[(31 - (sum % 31)) % 31];
}

/** Waits until the order page shows `status` (process managers act in the background). */
async function expectStatus(page, status) {
  const shown = () => page.locator("h1 .badge").first().getAttribute("data-status");
  for (let i = 0; i < 40; i++) {
    if ((await shown()) === status) return;
    await page.waitForTimeout(250);
    if (i % 8 === 7) await page.reload();
  }
  assert.equal(await shown(), status);
}

/** Checks out the cart: the summary, then the confirmation that pays. */
async function checkOut(page, address = "浙江省宁波市北仑区 1 号") {
  await page.getByLabel("Delivery address").fill(address);
  await page.getByRole("button", { name: "Check out" }).click();
  await page.getByTestId("checkout-summary").waitFor();
  await page.getByRole("button", { name: /^Confirm and pay/ }).click();
  await page.getByTestId("placed-order").first().waitFor();
}

/** axe-core finds no serious or critical accessibility violation on what `page` shows. */
async function accessible(page, what) {
  await page.waitForTimeout(300);
  // Evaluated through the debugging protocol, which the page's script policy does not govern.
  await page.evaluate(axe.source);
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}: ${v.nodes[0].failureSummary}`);
  assert.deepEqual(bad, [], `${what}: accessibility violations`);
}

/** Nothing on the page is wider than the phone's screen. */
async function fitsThePhone(page, what) {
  await page.waitForTimeout(200);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${what} is ${width} px wide on a 390 px phone`);
}

/** The Ningbo buyer, signed in, having bought the new supplier's product and paid: on the order's page. */
async function buyerWithPaidOrder() {
  const buyer = await person();
  await signIn(buyer, "buyer@ningbo-machinery.demo");
  await buyer.goto(`${base}/#/product/${encodeURIComponent(newProduct.id)}`);
  await buyer.getByRole("button", { name: "Add to cart" }).click();
  await buyer.goto(`${base}/#/cart`);
  await checkOut(buyer);
  await buyer.getByTestId("placed-order").click();
  await expectStatus(buyer, "PAID");
  return buyer;
}

const pngFile = (name) => ({
  name,
  mimeType: "image/png",
  // A 1×1 PNG stands in for a scanned licence or a photo of damaged goods.
  buffer: Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"),
});

// ── Search narrowing with facets ─────────────────────────────────────────────────────────────
await step("a buyer narrows hex bolts with facets, in any unit", async () => {
  const page = await person();
  await page.getByRole("button", { name: /Hex bolts/ }).click();
  await page.getByTestId("total").filter({ hasText: "results" }).waitFor();
  await page.waitForFunction(() => document.querySelector("[data-facet=thread]"));
  const all = total(await page.getByTestId("total").textContent());
  assert.ok(all > 100, `hex bolts: ${all}`);
  const m8 = page.locator("[data-facet=thread] label", { hasText: /^\s*M8\b/ });
  const m8Count = total((await m8.locator(".muted").textContent()) ?? "0");
  await m8.locator("input").check();
  await page.waitForFunction((n) => document.querySelector("[data-testid=total]")?.textContent?.startsWith(`${n.toLocaleString()} `), m8Count);
  // The thread facet still offers the other threads (disjunctive).
  assert.ok((await page.locator("[data-facet=thread] label").count()) > 1);
  await page.getByLabel(/^Length.*From$/).fill("3/4 in");
  await page.getByLabel(/^Length.*To$/).fill("1-1/4 in");
  await page.waitForFunction((n) => {
    const t = Number(document.querySelector("[data-testid=total]")?.textContent?.replace(/[^0-9]/g, ""));
    return t > 0 && t < n;
  }, m8Count);
  await shot(page, "01-search-facets");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "02-search-phone");
  await page.context().close();
});

await step("a search lives in its URL: Back from a part restores it; facets keep their order; results say what each value is", async () => {
  const page = await person();
  await page.getByRole("button", { name: /Hex bolts/ }).click();
  await page.waitForFunction(() => document.querySelector("[data-facet=thread]"));
  const threads = async () => page.locator("[data-facet=thread] label").allTextContents();
  const order = (await threads()).map((t) => t.trim().split(" ")[0]);
  const numbers = order.map((t) => Number(t.replace(/^M/, "")));
  assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `threads in size order: ${order}`);
  const m8 = page.locator("[data-facet=thread] label", { hasText: /^\s*M8\b/ });
  await m8.locator("input").check();
  const a2 = page.locator("[data-facet=material] label", { hasText: /^\s*A2\b/ });
  await a2.locator("input").check();
  await page.waitForFunction(() => location.hash.includes("v.thread=M8") && location.hash.includes("v.material=A2"));
  await page.waitForTimeout(400);
  const narrowed = await page.getByTestId("total").textContent();
  // Ticking did not reorder the facet.
  assert.deepEqual((await threads()).map((t) => t.trim().split(" ")[0]), order);
  // Each value in a result row carries its attribute's label.
  assert.match(await page.locator(".product-row dl.attrs").first().textContent(), /Thread[^A-Za-z]*M8/);
  const searchUrl = page.url();
  await page.locator(".product-row a.title").first().click();
  await page.getByRole("heading", { name: "Attributes" }).waitFor();
  // The product page names attributes by their labels, not their keys.
  assert.ok(await page.getByRole("rowheader", { name: "Thread" }).isVisible());
  await page.goBack();
  await page.getByTestId("total").filter({ hasText: narrowed.trim() }).waitFor();
  assert.equal(page.url(), searchUrl);
  assert.ok(await m8.locator("input").isChecked(), "M8 still ticked after Back");
  assert.ok(await a2.locator("input").isChecked(), "A2 still ticked after Back");
  // The same URL opened afresh (a link sent to a colleague) shows the same search.
  const colleague = await person();
  await colleague.goto(searchUrl);
  await colleague.getByTestId("total").filter({ hasText: narrowed.trim() }).waitFor();
  await colleague.context().close();

  // Compare: up to four parts side by side; the rows that differ are marked.
  const picks = page.locator(".product-row .compare-pick input");
  await picks.nth(0).check();
  await picks.nth(1).check();
  await page.getByTestId("compare-tray").filter({ hasText: "2 / 4" }).waitFor();
  await page.getByRole("link", { name: "Compare side by side" }).click();
  const table = page.getByTestId("compare");
  await table.locator("thead th[scope=col]").nth(1).waitFor();
  assert.equal(await table.locator("thead th[scope=col]").count(), 2);
  assert.match(await table.locator("tbody").textContent(), /Thread/);
  assert.equal(await table.locator("tr", { has: page.getByRole("rowheader", { name: "Thread" }) }).locator("td").allTextContents().then((v) => v.join("|")), "M8|M8");
  await shot(page, "02b-compare");
  await accessible(page, "the comparison");
  await page.getByLabel("Differences only").check();
  assert.equal(await table.getByRole("rowheader", { name: "Thread" }).count(), 0, "equal rows hidden");
  await page.context().close();
});

await step("on a phone the search, a part, the cart and the lists fit the screen; filters open above the results", async () => {
  const page = await person("en-US", { width: 390, height: 844 });
  await signIn(page, "buyer@ningbo-machinery.demo");
  await page.goto(`${base}/#/search?text=bolt&stock=1`);
  await page.getByTestId("total").filter({ hasText: "results" }).waitFor();
  await fitsThePhone(page, "the search");
  const toggle = page.getByRole("button", { name: /^Filters/ });
  await toggle.click();
  const filters = page.locator("aside.filters");
  await filters.waitFor();
  const [filtersTop, resultsTop] = await Promise.all([filters.boundingBox(), page.locator(".product-list").boundingBox()]);
  assert.ok(filtersTop.y < resultsTop.y, "the filters open above the results");
  await shot(page, "02c-search-phone-filters");
  await page.locator(".product-row a.title").first().click();
  await page.getByRole("heading", { name: "Attributes" }).waitFor();
  await fitsThePhone(page, "a part");
  await page.getByRole("button", { name: "Add to cart" }).click();
  await page.goto(`${base}/#/cart`);
  await page.getByTestId("grand-total").waitFor();
  await fitsThePhone(page, "the cart");
  await shot(page, "02d-cart-phone");
  await page.goto(`${base}/#/orders`);
  await page.getByTestId("orders").waitFor();
  await fitsThePhone(page, "the orders");
  await page.goto(`${base}/#/rfqs`);
  await page.getByRole("heading", { name: "RFQs" }).waitFor();
  await fitsThePhone(page, "the RFQs");
  await page.goto(`${base}/#/cart`);
  await page.getByRole("button", { name: /^Remove/ }).first().click();
  await page.context().close();
});

await step("in Chinese the catalogue speaks Chinese: category names, attribute labels and listed values from the category's translation", async () => {
  const page = await person("zh-CN");
  await page.getByRole("button", { name: "紧固件 › 螺栓 › 六角螺栓" }).click();
  await page.waitForFunction(() => document.querySelector("[data-facet=material]"));
  const material = page.locator("[data-facet=material]");
  assert.match(await material.locator("legend").textContent(), /^\s*材质/);
  assert.match(await material.textContent(), /碳钢.*黄铜|黄铜.*碳钢/);
  // Ticking a translated value filters by the value itself.
  await material.locator("label", { hasText: "碳钢" }).locator("input").check();
  await page.waitForFunction(() => location.hash.includes("v.material=Carbon+steel"));
  await page.getByTestId("total").filter({ hasText: "个结果" }).waitFor();
  await page.waitForTimeout(300);
  assert.match(await page.locator(".product-row dl.attrs").first().textContent(), /材质\s*碳钢/);
  await shot(page, "02e-search-zh");
  await page.context().close();
});

await step("links and kept state from elsewhere cannot break a screen: odd search parameters, an edited cart or comparison", async () => {
  const page = await person();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // An attribute no category has is refused with a clear error; the others are ignored.
  await page.goto(`${base}/#/search?v.__proto__=x&v.constructor=y`);
  await page.getByRole("alert").filter({ hasText: "constructor is not an attribute" }).waitFor();
  for (const link of ["#/search?quantity=-5&level=9&after=%%%", "#/search?quantity=1.5&sort=NOPE"]) {
    await page.goto(`${base}/${link}`);
    await page.getByTestId("total").filter({ hasText: "results" }).waitFor();
  }
  await page.evaluate(() => {
    localStorage.setItem("zhuchao.cart", JSON.stringify({ a: 1 }));
    localStorage.setItem("zhuchao.compare", JSON.stringify(["x", "y", "z", "w", "v", "u", 3]));
  });
  await page.goto(`${base}/#/cart`);
  await page.reload();
  await page.getByText("Your cart is empty.").waitFor();
  await page.evaluate(() => localStorage.setItem("zhuchao.cart", JSON.stringify([{ productId: "p", quantity: -1000 }, { productId: "q", quantity: 10.5 }])));
  await page.reload();
  await page.getByText("Your cart is empty.").waitFor();
  await page.goto(`${base}/#/compare`);
  await page.getByRole("heading", { name: "Compare parts" }).waitFor();
  assert.ok((await page.getByTestId("compare").locator("thead th[scope=col]").count()) <= 4);
  assert.deepEqual(errors, []);
  await page.context().close();
});

await step("the UI's script and the API's answers arrive compressed", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  open.add(page);
  const encodings = new Map();
  page.on("response", async (r) => {
    if (/\/assets\/.*\.js$/.test(r.url()) || (r.url().endsWith("/graphql") && r.request().method() === "POST"))
      encodings.set(r.url().endsWith("/graphql") ? "graphql" : "script", (await r.allHeaders())["content-encoding"]);
  });
  await page.goto(`${base}/#/search`);
  await page.getByTestId("total").filter({ hasText: "results" }).waitFor();
  assert.match(encodings.get("script") ?? "none", /^(br|gzip)$/, "the script");
  assert.match(encodings.get("graphql") ?? "none", /^(br|gzip)$/, "a search's answer");
  await context.close();
});

await step("axe-core finds no serious or critical violation on the main screens of each role, in both languages", async () => {
  for (const [who, paths] of [
    [null, ["#/search", "#/search?text=bolt", "#/signin", "#/register", "#/apply", "#/compare"]],
    ["buyer@ningbo-machinery.demo", ["#/orders", "#/rfqs", "#/rfq/new", "#/cart"]],
    ["supplier1@zhuchao.demo", ["#/catalogue", "#/catalogue/new", "#/inbox", "#/onboarding", "#/orders", "#/analytics"]],
    ["agent@zhuchao.demo", ["#/review", "#/disputes", "#/disputes?decided=1", "#/analytics"]],
  ]) {
    for (const locale of ["en-US", "zh-CN"]) {
      const page = await person(locale);
      if (who) await signIn(page, who);
      for (const path of paths) {
        await page.goto(`${base}/${path}`);
        await page.locator("main h1, main h2").first().waitFor();
        await page.waitForLoadState("networkidle");
        await accessible(page, `${locale} ${who ?? "visitor"} ${path}`);
      }
      await page.context().close();
    }
  }
});

// ── Journey 1: a new supplier is verified, sells a part, and is paid from escrow ─────────────
const suffix = String(Date.now()).slice(-6);
const supplierEmail = `sales${suffix}@xinrui.test`;
let newProduct = null;
let paidOrder = null;
await step("a new supplier applies, is verified by an agent, pays its deposit and publishes a part", async () => {
  const supplier = await person();
  await supplier.goto(`${base}/#/apply`);
  await supplier.getByLabel("Company name").fill(`北仑新锐紧固件 ${suffix}`);
  await supplier.getByLabel("Unified social credit code").fill(creditCode(`91330206MA2${suffix}`));
  await supplier.getByLabel(/Hex bolts/).check();
  await supplier.getByLabel("Contact name").fill("周经理");
  await supplier.getByLabel("Phone").fill("13900000000");
  await supplier.getByLabel("Email").fill(supplierEmail);
  await supplier.getByLabel("Password").fill("xinrui-2026!");
  await shot(supplier, "03-supplier-apply");
  await supplier.getByRole("button", { name: "Apply" }).click();
  await supplier.getByTestId("onboarding-steps").waitFor();
  await supplier.locator("input[type=file]").setInputFiles(pngFile("licence.png"));
  await supplier.getByRole("button", { name: "Submit" }).click();
  await supplier.locator("[data-status=PENDING]").waitFor();
  // The supplier is told which documents are required and what deposit is due.
  assert.match(await supplier.getByTestId("documents-required").textContent(), /unified business licence/);
  assert.match(await supplier.getByTestId("deposit").textContent(), /Still due\s*¥[1-9]/);
  await shot(supplier, "04-supplier-onboarding");

  const agent = await person();
  await signIn(agent, "agent@zhuchao.demo");
  await agent.goto(`${base}/#/review`);
  const card = agent.locator(`article[data-supplier="北仑新锐紧固件 ${suffix}"]`);
  await card.waitFor();
  // The licence image loads for the signed-in agent (files need a sign-in; the UI's cookie).
  const image = card.locator("img").first();
  await image.waitFor();
  assert.ok(await image.evaluate((img) => img.decode().then(() => img.naturalWidth > 0, () => false)), "the document shows");
  await shot(agent, "05-agent-review-queue");
  await card.getByRole("button", { name: "Approve" }).click();
  await card.waitFor({ state: "detached" });
  await agent.context().close();

  await supplier.reload();
  await supplier.getByRole("button", { name: "Pay deposit" }).click();
  await supplier.getByText("Guaranteed supplier").first().waitFor();
  // A part listed in inches; the catalogue stores millimetres.
  await supplier.goto(`${base}/#/catalogue/new`);
  await supplier.getByLabel("Category").selectOption({ label: "Fasteners › Bolts › Hex bolts / 六角螺栓" });
  await supplier.getByLabel("Brand").fill("新锐");
  await supplier.getByLabel("Keyword").fill("六角螺栓 hex bolt");
  await supplier.getByLabel("Name").fill(`XR-${suffix}`);
  await supplier.getByLabel(/Thread/).selectOption("M8");
  await supplier.getByLabel(/Length/).fill("1-1/4 in");
  await supplier.getByLabel(/Material/).selectOption("A2");
  await supplier.getByLabel("Stock").fill("50000");
  await supplier.getByLabel("Quantity 1").fill("100");
  await supplier.getByLabel("Unit price 1").fill("1.20");
  await supplier.getByRole("button", { name: "+", exact: true }).click();
  await supplier.getByLabel("Quantity 2").fill("1000");
  await supplier.getByLabel("Unit price 2").fill("0.95");
  await shot(supplier, "06-catalogue-editor");
  await supplier.getByRole("button", { name: "Save + Publish" }).click();
  await supplier.getByRole("link", { name: new RegExp(`XR-${suffix}`) }).waitFor();
  await shot(supplier, "07-catalogue");
  await supplier.context().close();
  const d = await api("query($t: String!) { products(search: {text: $t}) { edges { node { id attributes { key number } } } } }", { t: `XR-${suffix}` });
  newProduct = d.products.edges[0]?.node;
  assert.ok(newProduct, "the new part is searchable");
  assert.equal(newProduct.attributes.find((a) => a.key === "length").number, 31.75);
});

await step("a buyer orders the new part at its tier price and pays into escrow; the supplier ships; receipt releases the escrow", async () => {
  const buyer = await person();
  await signIn(buyer, "buyer@ningbo-machinery.demo");
  await buyer.goto(`${base}/#/product/${encodeURIComponent(newProduct.id)}`);
  await buyer.getByLabel("Quantity").fill("1000");
  await buyer.getByTestId("line-total").filter({ hasText: "¥0.95" }).waitFor();
  // What the order would refuse is said before the cart.
  await buyer.getByLabel("Quantity").fill("10");
  await buyer.getByRole("alert").filter({ hasText: "Below the minimum order quantity" }).waitFor();
  assert.ok(await buyer.getByRole("button", { name: "Add to cart" }).isDisabled());
  await buyer.getByLabel("Quantity").fill("100");
  await shot(buyer, "08-product");
  await accessible(buyer, "a part");
  await buyer.getByRole("button", { name: "Add to cart" }).click();
  await buyer.goto(`${base}/#/cart`);
  // The cart prices the line at the quantity it holds now, from the part's tiers.
  const quantity = buyer.getByLabel(new RegExp(`^Quantity .*XR-${suffix}`));
  await buyer.getByTestId("unit-price").filter({ hasText: "¥1.20" }).waitFor();
  await quantity.fill("1000");
  await buyer.getByTestId("unit-price").filter({ hasText: "¥0.95" }).waitFor();
  await buyer.getByTestId("grand-total").filter({ hasText: "¥950.00" }).waitFor();
  assert.match(await buyer.locator("[data-supplier-group] h2").textContent(), new RegExp(`北仑新锐紧固件 ${suffix}`), "the group is named by its supplier");
  await quantity.fill("10");
  await buyer.getByTestId("line-problem").filter({ hasText: "Below the minimum order quantity" }).waitFor();
  await buyer.getByLabel("Delivery address").fill("浙江省宁波市北仑区 1 号");
  assert.ok(await buyer.getByRole("button", { name: "Check out" }).isDisabled(), "a line the order would refuse blocks checkout");
  await quantity.fill("1000");
  await shot(buyer, "09-cart");
  // Nothing is placed or paid until the summary is confirmed.
  const buyerToken = await tokenOf("buyer@ningbo-machinery.demo");
  const newest = async () => (await api("{ myOrders(first: 1) { nodes { id } } }", {}, buyerToken)).myOrders.nodes[0]?.id ?? null;
  const before = await newest();
  await buyer.getByRole("button", { name: "Check out" }).click();
  const summary = buyer.getByTestId("checkout-summary");
  await summary.waitFor();
  assert.match(await summary.textContent(), /¥950\.00/);
  await shot(buyer, "09b-checkout-summary");
  await accessible(buyer, "the checkout summary");
  await buyer.getByRole("button", { name: "Cancel" }).click();
  await summary.waitFor({ state: "detached" });
  assert.equal(await newest(), before, "cancelling the summary placed no order");
  await checkOut(buyer);
  assert.match(await buyer.getByTestId("placed").textContent(), /¥950\.00.*Paid into escrow/);
  await buyer.getByTestId("placed-order").click();
  await expectStatus(buyer, "PAID");
  paidOrder = buyer.url().split("/").pop();
  await shot(buyer, "10-order-paid");

  const supplier = await person();
  await signIn(supplier, supplierEmail, "xinrui-2026!");
  await supplier.goto(`${base}/#/order/${paidOrder}`);
  await supplier.getByRole("button", { name: "Ship" }).click();
  await supplier.getByLabel("Tracking number").fill("SF1234567890");
  await supplier.getByRole("button", { name: "Ship" }).last().click();
  await expectStatus(supplier, "SHIPPED");
  await supplier.context().close();

  // The buyer's open order page updates live, then the buyer confirms receipt.
  await expectStatus(buyer, "SHIPPED");
  // Releasing the money is confirmed, with the amount, before it happens.
  await buyer.getByRole("button", { name: "Confirm receipt" }).click();
  await buyer.getByRole("dialog").filter({ hasText: "950.00" }).waitFor();
  await shot(buyer, "10b-confirm-receipt");
  await accessible(buyer, "an order, confirming receipt");
  await buyer.getByRole("button", { name: /^Release/ }).click();
  await expectStatus(buyer, "COMPLETED");
  await buyer.locator("[data-escrow=released]").filter({ hasText: "¥950.00" }).waitFor();
  await buyer.locator(".timeline strong", { hasText: "Order completed" }).waitFor();
  await shot(buyer, "11-order-completed-timeline");
  // Rating: a word of thanks, and no second rating offered.
  await buyer.getByRole("button", { name: "Rate the order" }).click();
  await buyer.getByRole("button", { name: "Submit" }).click();
  await buyer.getByTestId("rated").waitFor();
  await buyer.getByRole("button", { name: "Rate the order" }).waitFor({ state: "detached" });
  assert.match(await buyer.getByTestId("order-progress").textContent(), /Placed.*Paid.*Shipped.*Delivered.*Completed/);
  await buyer.context().close();
});

await step("a delivered order goes back: return requested, approved, shipped back, received, refunded", async () => {
  const buyer = await buyerWithPaidOrder();
  const orderUrl = buyer.url();

  const supplier = await person();
  await signIn(supplier, supplierEmail, "xinrui-2026!");
  await supplier.goto(orderUrl);
  await supplier.getByRole("button", { name: "Ship" }).click();
  await supplier.getByLabel("Tracking number").fill("SF-RET-1");
  await supplier.getByRole("button", { name: "Ship" }).last().click();
  await expectStatus(supplier, "SHIPPED");
  await supplier.getByRole("button", { name: "Mark delivered" }).click();
  await expectStatus(supplier, "DELIVERED");

  await expectStatus(buyer, "DELIVERED");
  await buyer.getByRole("button", { name: "Request a return" }).click();
  await buyer.getByLabel("Reason").fill("Wrong length delivered: 30 mm instead of 31.75 mm.");
  await buyer.getByRole("button", { name: "Submit" }).click();
  await expectStatus(buyer, "RETURN_REQUESTED");
  await expectStatus(supplier, "RETURN_REQUESTED");
  await supplier.getByRole("button", { name: "Answer return ✓" }).click();
  await expectStatus(buyer, "RETURN_APPROVED");
  await buyer.getByRole("button", { name: "Ship ↩" }).click();
  await buyer.getByLabel("Tracking number").fill("SF-BACK-2");
  await buyer.getByRole("button", { name: "Ship" }).last().click();
  await expectStatus(supplier, "RETURNED");
  await supplier.getByRole("button", { name: "Confirm receipt ↩" }).click();
  await expectStatus(buyer, "REFUNDED");
  await buyer.locator("[data-escrow=refunded]").filter({ hasText: "¥120.00" }).waitFor();
  await shot(buyer, "11b-order-refunded");
  await supplier.context().close();
  await buyer.context().close();
});

// ── Journey 2: an RFQ, a quote arriving live, a counter-offer, acceptance ────────────────────
await step("a buyer sends an RFQ; an invited supplier quotes; the buyer counters and accepts", async () => {
  const buyer = await person();
  await signIn(buyer, "buyer@ningbo-machinery.demo");
  const supplierToken = await tokenOf("supplier1@zhuchao.demo");
  const supplierId = (await api("{ me { supplierId } }", {}, supplierToken)).me.supplierId;
  const supplierName = (await api("query($id: ID!) { supplier(id: $id) { companyName } }", { id: supplierId })).supplier.companyName;
  await buyer.goto(`${base}/#/rfq/new`);
  await buyer.getByLabel("Title").fill(`Non-standard M8 × 35 A4 bolts ${suffix}`);
  await buyer.getByLabel("Category").selectOption({ label: "Fasteners › Bolts › Hex bolts / 六角螺栓" });
  await buyer.getByLabel(/Thread/).selectOption("M8");
  await buyer.getByLabel(/Length/).fill("35 mm");
  await buyer.getByLabel("Quantity").fill("20000");
  await buyer.locator("input[type=file]").setInputFiles(pngFile("drawing.png"));
  await buyer.getByLabel(supplierName).check();
  await shot(buyer, "12-rfq-composer");
  // The invited supplier is at work elsewhere when the RFQ is sent.
  const supplier = await person();
  await signIn(supplier, "supplier1@zhuchao.demo");
  await supplier.goto(`${base}/#/catalogue`);
  await buyer.getByRole("button", { name: "Send RFQ" }).click();
  await buyer.getByRole("heading", { name: "Compare quotes" }).waitFor();
  const rfqUrl = buyer.url();

  // Its notification centre says so at once, and leads to the RFQ.
  await supplier.getByTestId("notifications").locator(".count").waitFor({ timeout: 10_000 });
  await supplier.getByTestId("notifications").click();
  const notice = supplier.locator(".notice-list a", { hasText: `New RFQ: Non-standard M8 × 35 A4 bolts ${suffix}` });
  await notice.waitFor();
  await shot(supplier, "12b-notifications");
  await notice.click();
  await supplier.getByTestId("drawings").waitFor();
  await supplier.goto(`${base}/#/inbox`);
  await supplier.getByRole("link", { name: `Non-standard M8 × 35 A4 bolts ${suffix}` }).waitFor();
  // Invited (not pool), with the response SLA counting down.
  const row = supplier.locator("tr", { has: supplier.getByRole("link", { name: `Non-standard M8 × 35 A4 bolts ${suffix}` }) });
  await row.getByText("Invited").waitFor();
  assert.match(await row.locator(".badge").first().textContent(), /\d+h \d+m/);
  await shot(supplier, "13-rfq-inbox");
  await supplier.getByRole("link", { name: `Non-standard M8 × 35 A4 bolts ${suffix}` }).click();
  // The spec and the drawing the buyer attached.
  await supplier.getByTestId("drawings").getByText("drawing.png").waitFor();
  assert.ok(await supplier.getByRole("cell", { name: "35 mm" }).isVisible());
  await supplier.getByLabel("Unit price (¥)").fill("0.88");
  await supplier.getByLabel("Lead time (days)").fill("12");
  await supplier.getByRole("button", { name: "Submit" }).click();

  // The quote appears on the buyer's open page without a reload.
  await buyer.locator(`.quote[data-supplier="${supplierId}"]`).waitFor({ timeout: 10_000 });
  assert.equal(buyer.url(), rfqUrl);
  await buyer.getByLabel("Counter-offer").fill("0.80");
  await buyer.getByRole("button", { name: "Counter-offer" }).click();
  await buyer.locator(".quote dd", { hasText: "¥0.80" }).waitFor();
  await supplier.reload();
  await supplier.getByLabel("Unit price (¥)").fill("0.83");
  await supplier.getByRole("button", { name: "Revise" }).click();
  await buyer.locator(".quote dd", { hasText: "¥0.83" }).waitFor({ timeout: 10_000 });
  await shot(buyer, "14-quote-comparison");
  await accessible(buyer, "an RFQ with its quotes");
  await buyer.getByRole("button", { name: "Accept" }).click();
  const accept = buyer.getByRole("dialog");
  assert.match(await accept.textContent(), /¥16,600\.00/, "the order's total is shown before accepting");
  assert.ok(await accept.getByRole("button", { name: /^Accept and order/ }).isDisabled(), "no order without an address");
  await accept.getByLabel("Delivery address").fill("浙江省宁波市北仑区 2 号");
  await shot(buyer, "14b-accept-quote");
  await accept.getByRole("button", { name: /^Accept and order/ }).click();
  await buyer.locator("h1 [data-status=AWARDED]").waitFor();
  // The awarded RFQ links to its order by number; the order goes where the buyer said.
  await buyer.getByTestId("rfq-order").getByRole("link", { name: /^ZC-/ }).click();
  await buyer.locator("p", { hasText: "Delivery address: 浙江省宁波市北仑区 2 号" }).waitFor();
  assert.match(await buyer.locator("table td").first().textContent(), new RegExp(`Non-standard M8 × 35 A4 bolts ${suffix}`));
  await supplier.context().close();
  await buyer.context().close();
});

// ── Journey 3: a dispute argued by both sides and ruled by an agent ──────────────────────────
await step("a buyer disputes a paid order with evidence; the supplier answers; an agent rules a split", async () => {
  const buyer = await buyerWithPaidOrder();
  await buyer.getByRole("button", { name: "Open a dispute" }).click();
  await buyer.getByLabel("Statement").fill("Half the bolts arrived with stripped threads.");
  await buyer.getByLabel("Claimed (¥)").fill("60");
  await buyer.locator("input[type=file]").setInputFiles(pngFile("stripped-threads.png"));
  await buyer.getByText("stripped-threads.png").waitFor();
  await buyer.getByRole("button", { name: "Open a dispute" }).last().click();
  await buyer.getByRole("heading", { name: /Dispute/ }).waitFor();
  const disputeUrl = buyer.url();
  await buyer.context().close();

  const supplier = await person();
  await signIn(supplier, supplierEmail, "xinrui-2026!");
  await supplier.goto(disputeUrl);
  await supplier.getByLabel("Statement").fill("Threads were inspected before shipping; photos attached.");
  await supplier.getByRole("button", { name: "Submit" }).click();
  await supplier.locator("[data-side=SUPPLIER] li").first().waitFor();
  await supplier.context().close();

  const agent = await person();
  await signIn(agent, "agent@zhuchao.demo");
  await agent.goto(`${base}/#/disputes`);
  await shot(agent, "15-dispute-queue");
  await agent.goto(disputeUrl);
  await agent.locator("[data-side=BUYER] li").first().waitFor();
  // The agent sees what was ordered beside the two sides' evidence.
  await agent.getByTestId("disputed-order").filter({ hasText: `XR-${suffix}` }).waitFor();
  await agent.getByLabel("Refund to buyer (¥)").fill("40");
  await agent.getByLabel("Note").fill("Photos show damage on part of the lot; split in the buyer's favour.");
  // A zero penalty is no penalty (it was refused before).
  await agent.getByLabel("Penalty (¥)").fill("0");
  await shot(agent, "16-dispute-ruling");
  await accessible(agent, "a dispute, ruling");
  await agent.getByRole("button", { name: "Ruling" }).click();
  const ruling = agent.getByRole("dialog");
  assert.match(await ruling.textContent(), /¥40\.00.*¥80\.00/, "the split is shown before it is made");
  await ruling.getByRole("button", { name: "Rule", exact: true }).click();
  await agent.locator("h1 [data-status=RULED]").waitFor();
  assert.match(await agent.getByTestId("ruling").textContent(), /¥40\.00.*¥80\.00.*Photos show damage/);
  await shot(agent, "17-dispute-ruled");
  // The ruled dispute is on the agents' record, with its order, reason and ruling.
  await agent.goto(`${base}/#/disputes?decided=1`);
  const row = agent.getByTestId("dispute-queue").locator("tr", { hasText: "Refund ¥40.00" }).first();
  await row.waitFor();
  assert.match(await row.textContent(), /ZC-\d{8}-\d+.*Buyer.*Not as described/);
  await shot(agent, "17b-disputes-decided");
  await agent.context().close();
});

// ── Supplier tools and the agent's dashboard ─────────────────────────────────────────────────
await step("a supplier imports a CSV catalogue: good rows land, a bad row is reported", async () => {
  const supplier = await person();
  await signIn(supplier, "supplier1@zhuchao.demo");
  await supplier.goto(`${base}/#/catalogue`);
  await supplier.getByText("Import CSV").click();
  await supplier.locator("details select").selectOption({ label: "Fasteners › Bolts › Hex bolts / 六角螺栓" });
  // A template of the category's columns, with an example row, to fill in.
  const template = decodeURIComponent((await supplier.getByTestId("csv-template").getAttribute("href")).split(",").slice(1).join(","));
  assert.match(template.split("\n")[0], /^\ufeff?part_number,brand,keyword,name,.*tiers,.*thread/);
  assert.equal(template.trim().split("\n").length, 2, "a header and one example row");
  const csv = [
    "part_number,brand,keyword,name,moq,pack_size,stock,lead_time_days,shipping,tiers,thread,length,material",
    `PN-A-${suffix},固力,六角螺栓,CSV-A-${suffix},100,100,5000,5,0,100:1.10;1000:0.90,M10,40 mm,A2`,
    `PN-B-${suffix},固力,六角螺栓,CSV-B-${suffix},oops,100,5000,5,0,100:1.10,M10,40 mm,A2`,
    `PN-C-${suffix},固力,六角螺栓,"CSV-C, ${suffix}",100,100,5000,5,0,100:1.30,M12,1-1/2 in,A4`,
  ].join("\n");
  await supplier.getByTestId("csv-file").setInputFiles({ name: "catalogue.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await supplier.getByTestId("csv-progress").filter({ hasText: "3/3" }).waitFor({ timeout: 20_000 });
  assert.match(await supplier.getByTestId("csv-progress").textContent(), /2 imported · 1 failed/);
  assert.match(await supplier.getByTestId("csv-errors").textContent(), /Rows 3.*moq/);
  await shot(supplier, "18-csv-import");
  await supplier.goto(`${base}/#/analytics`);
  await supplier.getByRole("heading", { name: "GMV decomposition" }).waitFor();
  await shot(supplier, "19-supplier-analytics");
  await supplier.context().close();
});

await step("the agent's analytics dashboard shows traffic, funnel and GMV; Chinese UI", async () => {
  const agent = await person("zh-CN");
  await signIn(agent, "agent@zhuchao.demo");
  await agent.goto(`${base}/#/analytics`);
  await agent.getByTestId("decomposition").waitFor();
  await agent.locator(".chart svg rect").first().waitFor();
  const gmv = await agent.getByTestId("decomposition").textContent();
  assert.match(gmv, /GMV/);
  assert.ok(await agent.getByRole("heading", { name: "转化漏斗" }).isVisible(), "Chinese headings");
  await shot(agent, "20-agent-analytics-zh");
  const sid = (await api("{ suppliers(first: 1) { nodes { id } } }")).suppliers.nodes[0].id;
  await agent.goto(`${base}/#/supplier/${encodeURIComponent(sid)}`);
  await agent.getByRole("heading", { name: "信用记录" }).waitFor();
  // Standing actions: a warning shows on the profile at once.
  const warnings = async () => Number(await agent.locator("dt", { hasText: "警告次数" }).locator("xpath=following-sibling::dd[1]").textContent());
  const before = await warnings();
  await agent.getByLabel("原因").fill("Late deliveries three weeks running");
  await agent.getByRole("button", { name: "警告", exact: true }).click();
  await agent.waitForFunction(
    (n) => [...document.querySelectorAll("dt")].find((d) => d.textContent === "警告次数")?.nextElementSibling?.textContent === String(n),
    before + 1,
  );
  await shot(agent, "21-supplier-profile");
  await agent.context().close();
});

await step("a price that changes under the checkout summary is never charged: nothing is placed, the cart shows the new price", async () => {
  const buyer = await person();
  await signIn(buyer, "buyer@ningbo-machinery.demo");
  const buyerToken = await tokenOf("buyer@ningbo-machinery.demo");
  const newest = async () => (await api("{ myOrders(first: 1) { nodes { id } } }", {}, buyerToken)).myOrders.nodes[0]?.id ?? null;
  await buyer.goto(`${base}/#/product/${encodeURIComponent(newProduct.id)}`);
  await buyer.getByLabel("Quantity").fill("100");
  await buyer.getByRole("button", { name: "Add to cart" }).click();
  await buyer.goto(`${base}/#/cart`);
  await buyer.getByTestId("grand-total").filter({ hasText: "¥120.00" }).waitFor();
  await buyer.getByLabel("Delivery address").fill("浙江省宁波市北仑区 1 号");
  await buyer.getByRole("button", { name: "Check out" }).click();
  await buyer.getByRole("button", { name: "Confirm and pay ¥120.00" }).waitFor();
  const before = await newest();
  // The supplier raises the price while the summary is open.
  const supplierToken = await tokenOf(supplierEmail, "xinrui-2026!");
  const p = (await api(
    "query($id: ID!) { product(id: $id) { categoryId partNumber brand name description moq packSize stock leadTimeDays shippingCost { minor currency } tiers { minQuantity unitPrice { minor currency } } attributes { key value } } }",
    { id: newProduct.id },
    supplierToken,
  )).product;
  const input = {
    categoryId: p.categoryId, partNumber: p.partNumber, brand: p.brand, keyword: "六角螺栓 hex bolt", name: p.name, description: p.description,
    moq: p.moq, packSize: p.packSize, stock: p.stock, leadTimeDays: p.leadTimeDays, shippingCost: p.shippingCost,
    tiers: p.tiers.map((t) => ({ minQuantity: t.minQuantity, unitPrice: t.minQuantity === 100 ? { minor: "125", currency: "CNY" } : t.unitPrice })),
    attributes: p.attributes.map((a) => ({ key: a.key, value: a.value })),
  };
  const revised = await api("mutation($id: ID!, $i: ProductInput!) { reviseProduct(id: $id, input: $i) { userErrors { message } } }", { id: newProduct.id, i: input }, supplierToken);
  assert.deepEqual(revised.reviseProduct.userErrors, []);
  await buyer.getByRole("button", { name: "Confirm and pay ¥120.00" }).click();
  await buyer.getByRole("alert").filter({ hasText: "A price changed since you looked" }).waitFor();
  assert.equal(await newest(), before, "nothing was placed at the new price");
  await buyer.getByTestId("grand-total").filter({ hasText: "¥125.00" }).waitFor();
  await shot(buyer, "23-price-changed-under-summary");
  await buyer.getByRole("button", { name: /^Remove/ }).first().click();
  await buyer.context().close();
});

await step("GraphiQL runs from the binary's own files under the page policy", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  watch(page);
  open.add(page);
  await page.goto(`${base}/graphql`);
  await page.locator(".graphiql-query-editor .CodeMirror").first().click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("{ categories { nodes { name } } }");
  await page.locator(".graphiql-execute-button").click();
  await page.locator(".result-window", { hasText: '"name"' }).waitFor();
  const before = refused.length;
  // The policy is enforced: an inline script injected into the page does not run.
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__inline = 1";
    document.body.append(s);
  });
  assert.equal(await page.evaluate(() => window.__inline), undefined, "an inline script ran");
  await page.waitForTimeout(100);
  const mine = refused.splice(before);
  assert.ok(mine.length > 0, "the browser reported no refusal of the inline script");
  assert.ok(mine.every((r) => r.includes("inline")), mine.join("\n"));
  await shot(page, "22-graphiql");
  await context.close();
});

await step("no page was refused anything by the Content-Security-Policy or reached another origin", async () => {
  assert.deepEqual(refused, []);
});

await browser.close();
writeFileSync(new URL("../test-results/browser.txt", import.meta.url), steps.join("\n") + "\n");
if (failed) {
  console.error("browser tests failed");
  process.exit(1);
}
console.log(`browser tests passed; screenshots in ${shots.pathname}`);
