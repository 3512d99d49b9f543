//! Analytics over HTTP: a visit from a paid campaign goes through search, product page, cart,
//! order and payment with its session header, and the agent's funnel shows each step; the demo's
//! history fills the dashboards; suppliers see only their own figures, buyers none.

mod support;

use serde_json::{json, Value};
use support::{day, Server, RESULT};

const ANALYTICS: &str = "query($from: DateTime!, $to: DateTime!, $d: AnalyticsDimension!, $f: AnalyticsFilter) { analytics(from: $from, to: $to, dimension: $d, filter: $f) { bucket key sessions visitors pageViews searches productViews carts orders paidOrders gmv { minor } averageOrderValue { minor } funnel { name count rate } decomposition { sessions conversionRate gmv { minor } } } }";

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[test]
fn a_campaign_visit_shows_up_in_the_funnel_and_figures_stay_with_their_owners() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let agent = server.sign_in("agent@zhuchao.demo", "zhuchao-demo");
    let (from, to) = (day(-22), day(1));

    // Given the demo's three weeks of traffic, the agent's dashboard is not empty.
    let history = server.ok(
        Some(&agent),
        ANALYTICS,
        json!({ "from": from, "to": to, "d": "SOURCE" }),
    );
    let rows = history["analytics"].as_array().expect("rows");
    let sessions: u64 = rows.iter().filter_map(|r| r["sessions"].as_u64()).sum();
    assert!(sessions > 1_000, "{sessions} demo sessions");
    let sources: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["key"].as_str()).collect();
    for s in ["direct", "organic", "paid", "referral", "campaign"] {
        assert!(sources.contains(s), "{s} in {sources:?}");
    }
    assert!(rows
        .iter()
        .any(|r| r["gmv"]["minor"].as_str().is_some_and(|g| g != "0")));

    // When a visitor lands from a paid Baidu ad of the "m8-week" campaign on a phone in Jiangsu,
    let started = server.ok(
        None,
        "mutation($i: StartSessionInput!) { startSession(input: $i) { sessionId visitorId source campaign region device } }",
        json!({ "i": { "landingUrl": "https://zhuchao.example/?utm_source=baidu&utm_medium=cpc&utm_campaign=m8-week", "referrer": "https://www.baidu.com/s?wd=m8" } }),
    );
    let session = &started["startSession"];
    assert_eq!(session["source"], "paid: baidu");
    assert_eq!(session["campaign"], "m8-week");
    let id = session["sessionId"].as_str().expect("session").to_string();
    let headers = [("x-zhuchao-session", id.as_str())];
    // (the region and device come from the request that starts the session)
    let restarted = server.gql_with(
        None,
        &[("x-zhuchao-region", "江苏"), ("User-Agent", "Mozilla/5.0 (iPhone) Mobile")],
        "mutation($i: StartSessionInput!) { startSession(input: $i) { sessionId region device } }",
        json!({ "i": { "landingUrl": "https://zhuchao.example/?utm_source=baidu&utm_medium=cpc&utm_campaign=m8-week-phone", "referrer": "https://www.baidu.com/" } }),
    );
    assert_eq!(restarted["data"]["startSession"]["region"], "江苏");
    assert_eq!(restarted["data"]["startSession"]["device"], "phone");

    // and searches, opens a product, puts it in the cart, orders and pays,
    let found = server.gql_with(
        None,
        &headers,
        "query { products(search: {text: \"M8\", inStock: true}, first: 5) { edges { node { id moq supplierId } } } }",
        json!({}),
    );
    let product = found["data"]["products"]["edges"][0]["node"].clone();
    let product_id = product["id"].as_str().expect("a product").to_string();
    server.gql_with(
        None,
        &headers,
        "query($p: ID!) { product(id: $p) { id } }",
        json!({ "p": product_id }),
    );
    server.gql_with(
        None,
        &headers,
        "mutation($p: ID!, $q: Int!) { trackAddToCart(productId: $p, quantity: $q) }",
        json!({ "p": product_id, "q": product["moq"] }),
    );
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", "zhuchao-demo");
    let auth = format!("Bearer {buyer}");
    let with_buyer = [
        ("x-zhuchao-session", id.as_str()),
        ("Authorization", auth.as_str()),
    ];
    let placed = server.gql_with(
        None,
        &with_buyer,
        &format!("mutation($p: ID!, $q: Int!) {{ placeOrder(lines: [{{productId: $p, quantity: $q}}], address: \"江苏省苏州市工业园区 1 号\") {{ order {{ id }} {RESULT} }} }}"),
        json!({ "p": product_id, "q": product["moq"] }),
    );
    assert_eq!(
        placed["data"]["placeOrder"]["userErrors"],
        json!([]),
        "{placed}"
    );
    let order_id = placed["data"]["placeOrder"]["order"]["id"].clone();
    server.caught_up(&placed["data"]["placeOrder"]["position"]);
    let paid = server.gql_with(
        None,
        &with_buyer,
        &format!("mutation($o: ID!) {{ payOrder(orderId: $o, idempotencyKey: \"analytics-1\") {{ order {{ id }} {RESULT} }} }}"),
        json!({ "o": order_id }),
    );
    assert_eq!(paid["data"]["payOrder"]["userErrors"], json!([]), "{paid}");
    // GMV is the goods' value: the order's total without shipping.
    let order = server.ok(
        Some(&buyer),
        "query($o: ID!, $p: String) { order(id: $o, atLeast: $p) { total { minor } shipping { minor } } }",
        json!({ "o": order_id, "p": paid["data"]["payOrder"]["position"] }),
    );
    let minor = |v: &Value| {
        v["minor"]
            .as_str()
            .and_then(|m| m.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let total =
        json!((minor(&order["order"]["total"]) - minor(&order["order"]["shipping"])).to_string());

    // then the agent's funnel for the campaign shows one session through every step, and the
    // payment as its GMV (traffic is recorded in the background: give it a moment).
    let mut row = Value::Null;
    for _ in 0..100 {
        let r = server.ok(
            Some(&agent),
            ANALYTICS,
            json!({ "from": day(-1), "to": day(1), "d": "CAMPAIGN", "f": { "campaign": "m8-week" } }),
        );
        row = r["analytics"][0].clone();
        if row["paidOrders"] == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let counts: Vec<u64> = row["funnel"]
        .as_array()
        .expect("funnel")
        .iter()
        .filter_map(|s| s["count"].as_u64())
        .collect();
    assert_eq!(counts, [1, 1, 1, 1, 1, 1], "{row}");
    assert_eq!(row["key"], "m8-week");
    assert_eq!(row["gmv"]["minor"], total);
    assert_eq!(row["decomposition"]["conversionRate"], 1.0);
    assert_eq!(row["visitors"], 1);

    // And the agent sees the search among today's searches.
    let top = server.ok(
        Some(&agent),
        "query($from: DateTime!, $to: DateTime!) { topSearches(from: $from, to: $to) { text searches zeroResults } }",
        json!({ "from": day(0), "to": day(1) }),
    );
    assert!(top["topSearches"]
        .as_array()
        .expect("searches")
        .iter()
        .any(|s| s["text"] == "m8"));

    // A supplier sees its own products' figures, never another's, and no session figures.
    let supplier = server.sign_in("supplier1@zhuchao.demo", "zhuchao-demo");
    let own = server.ok(
        Some(&supplier),
        ANALYTICS,
        json!({ "from": from, "to": to, "d": "CATEGORY" }),
    );
    let own_rows = own["analytics"].as_array().expect("rows");
    assert!(!own_rows.is_empty());
    assert!(own_rows.iter().all(|r| r["sessions"].is_null()));
    let me = server.ok(Some(&supplier), "{ me { supplierId } }", json!({}));
    let mine = me["me"]["supplierId"].as_str().expect("supplier id");
    let others = server.ok(
        None,
        "{ suppliers(first: 30) { edges { node { id } } } }",
        json!({}),
    );
    let other = others["suppliers"]["edges"]
        .as_array()
        .expect("suppliers")
        .iter()
        .filter_map(|e| e["node"]["id"].as_str())
        .find(|s| *s != mine)
        .expect("another supplier");
    let denied = server.gql(
        Some(&supplier),
        ANALYTICS,
        json!({ "from": from, "to": to, "d": "TOTAL", "f": { "supplierId": other } }),
    );
    assert_eq!(code(&denied), "FORBIDDEN", "{denied}");
    let searches = server.gql(
        Some(&supplier),
        "query($from: DateTime!, $to: DateTime!) { topSearches(from: $from, to: $to) { text } }",
        json!({ "from": from, "to": to }),
    );
    assert_eq!(code(&searches), "FORBIDDEN");
    let disputes = server.ok(
        Some(&supplier),
        "query($from: DateTime!, $to: DateTime!) { disputeRates(from: $from, to: $to) { supplierId orders } }",
        json!({ "from": from, "to": to }),
    );
    assert!(disputes["disputeRates"]
        .as_array()
        .expect("rates")
        .iter()
        .all(|d| d["supplierId"] == mine));

    // Buyers and strangers see no analytics; bad dates are refused clearly.
    assert_eq!(
        code(&server.gql(
            Some(&buyer),
            ANALYTICS,
            json!({ "from": from, "to": to, "d": "TOTAL" })
        )),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&server.gql(
            None,
            ANALYTICS,
            json!({ "from": from, "to": to, "d": "TOTAL" })
        )),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&server.gql(
            Some(&agent),
            ANALYTICS,
            json!({ "from": "yesterday", "to": to, "d": "TOTAL" })
        )),
        "BAD_REQUEST"
    );
}
