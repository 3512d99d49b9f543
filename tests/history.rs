//! A deal's history and its state as of any moment, over HTTP against the real server: one RFQ
//! with two competing quotes, a counter-offer and a revision, the accepted quote's order paid,
//! shipped, received and rated — read as the buyer, the winning supplier, the losing supplier
//! and a stranger would read it.

mod support;

use serde_json::{json, Value};
use support::{fastener_category, iso, Server, PASSWORD, RESULT};

fn kinds(timeline: &Value) -> Vec<String> {
    timeline
        .as_array()
        .expect("a timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str().map(String::from))
        .collect()
}

const ENTRY: &str =
    "at position kind subjectId summary actor { name role } changes { field from to }";

/// The world of one deal, built step by step through the API.
struct Deal {
    server: Server,
    _data: tempfile::TempDir,
    buyer: String,
    stranger: String,
    winner: String,
    loser: String,
    winner_id: Value,
    rfq: Value,
    winning_quote: Value,
    losing_quote: Value,
    order: Value,
    /// Moments between the steps.
    before_counter: f64,
    between_counter_and_revision: f64,
    before_payment: f64,
}

fn deal() -> Deal {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let category = fastener_category(&server);
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let stranger = server.sign_in("buyer@suzhou-automation.demo", PASSWORD);
    let winner = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let loser = server.sign_in("supplier2@zhuchao.demo", PASSWORD);
    let id_of = |token: &str| {
        server.ok(Some(token), "{ me { supplierId } }", json!({}))["me"]["supplierId"].clone()
    };
    let (winner_id, loser_id) = (id_of(&winner), id_of(&loser));
    let now = server.now();
    let created = server.mutate(
        Some(&buyer),
        "createRfq",
        &format!("mutation($i: RfqInput!) {{ createRfq(input: $i) {{ rfq {{ id }} {RESULT} }} }}"),
        json!({ "i": {
            "title": "Flange bolts M10 × 45, Dacromet", "categoryId": category["id"], "quantity": 10000,
            "deadline": iso(now + 7.0 * 86_400_000.0), "invitedSupplierIds": [winner_id, loser_id]
        }}),
    );
    let rfq = created["rfq"]["id"].clone();
    let quote = format!("mutation($r: ID!, $p: String!, $v: DateTime!) {{ submitQuote(rfqId: $r, unitPrice: {{minor: $p, currency: CNY}}, leadTimeDays: 12, validUntil: $v) {{ quote {{ id }} {RESULT} }} }}");
    let valid = iso(now + 5.0 * 86_400_000.0);
    let quoted = server.mutate(
        Some(&winner),
        "submitQuote",
        &quote,
        json!({ "r": rfq, "p": "80", "v": valid }),
    );
    let winning_quote = quoted["quote"]["id"].clone();
    // Sealed: a rival learns nothing of it, not even that the RFQ is quoted now.
    let rival_view = server.ok(
        Some(&loser),
        &format!("query($r: ID!, $at: String) {{ rfq(id: $r, atLeast: $at) {{ status quotes {{ id }} timeline {{ {ENTRY} }} }} }}"),
        json!({ "r": rfq, "at": quoted["position"] }),
    );
    assert_eq!(rival_view["rfq"]["status"], "OPEN", "{rival_view}");
    assert_eq!(
        rival_view["rfq"]["timeline"].as_array().map(Vec::len),
        Some(1)
    );
    let as_of_quote = server.ok(
        Some(&loser),
        "query($r: ID!, $p: String) { rfq(id: $r, asOfPosition: $p) { status } }",
        json!({ "r": rfq, "p": quoted["position"] }),
    );
    assert_eq!(as_of_quote["rfq"]["status"], "OPEN");
    let losing_quote = server.mutate(
        Some(&loser),
        "submitQuote",
        &quote,
        json!({ "r": rfq, "p": "75", "v": valid }),
    )["quote"]["id"]
        .clone();
    let tick = || std::thread::sleep(std::time::Duration::from_millis(30));
    tick();
    let before_counter = server.now();
    tick();
    server.mutate(Some(&buyer), "counterOffer", &format!("mutation($q: ID!) {{ counterOffer(quoteId: $q, unitPrice: {{minor: \"70\", currency: CNY}}) {{ quote {{ id }} {RESULT} }} }}"), json!({ "q": winning_quote }));
    tick();
    let between_counter_and_revision = server.now();
    tick();
    server.mutate(Some(&winner), "reviseQuote", &format!("mutation($q: ID!, $v: DateTime!) {{ reviseQuote(quoteId: $q, unitPrice: {{minor: \"72\", currency: CNY}}, leadTimeDays: 10, validUntil: $v) {{ quote {{ id }} {RESULT} }} }}"), json!({ "q": winning_quote, "v": valid }));
    let accept = format!("mutation($q: ID!) {{ acceptQuote(quoteId: $q, address: \"宁波市北仑区 1 号\") {{ order {{ id number status availableActions }} {RESULT} }} }}");
    let accepted = server.mutate(
        Some(&buyer),
        "acceptQuote",
        &accept,
        json!({ "q": winning_quote }),
    );
    let order = accepted["order"]["id"].clone();
    assert!(
        order.is_string(),
        "the payload carries the new order: {accepted}"
    );
    // Accepting again (a retried request) answers the same order.
    let again = server.mutate(
        Some(&buyer),
        "acceptQuote",
        &accept,
        json!({ "q": winning_quote }),
    );
    assert_eq!(again["order"]["id"], order);
    support::eventually(
        &server,
        Some(&buyer),
        "query($o: ID!) { order(id: $o) { availableActions } }",
        json!({ "o": order }),
        |d| {
            d["order"]["availableActions"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("PAY")))
        },
    );
    tick();
    let before_payment = server.now();
    tick();
    server.mutate(Some(&buyer), "payOrder", &format!("mutation($o: ID!) {{ payOrder(orderId: $o, idempotencyKey: \"secret-key-4711\") {{ order {{ id }} {RESULT} }} }}"), json!({ "o": order }));
    support::eventually(
        &server,
        Some(&winner),
        "query($o: ID!) { order(id: $o) { availableActions } }",
        json!({ "o": order }),
        |d| {
            d["order"]["availableActions"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("SHIP")))
        },
    );
    server.mutate(Some(&winner), "shipOrder", &format!("mutation($o: ID!) {{ shipOrder(orderId: $o, carrier: \"顺丰\", tracking: \"SF4711\") {{ order {{ id }} {RESULT} }} }}"), json!({ "o": order }));
    server.mutate(
        Some(&buyer),
        "confirmReceipt",
        &format!(
            "mutation($o: ID!) {{ confirmReceipt(orderId: $o) {{ order {{ id }} {RESULT} }} }}"
        ),
        json!({ "o": order }),
    );
    support::eventually(
        &server,
        Some(&buyer),
        "query($o: ID!) { order(id: $o) { availableActions } }",
        json!({ "o": order }),
        |d| {
            d["order"]["availableActions"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("RATE")))
        },
    );
    // A delivery proof after completion is out of place, not silently taken.
    let late = server.ok(
        Some(&winner),
        "mutation($o: ID!) { markDelivered(orderId: $o) { userErrors { code } } }",
        json!({ "o": order }),
    );
    assert_eq!(
        late["markDelivered"]["userErrors"][0]["code"], "WRONG_STATUS",
        "{late}"
    );
    let rated = server.mutate(Some(&buyer), "rateOrder", &format!("mutation($o: ID!) {{ rateOrder(orderId: $o, quality: 5, delivery: 4, service: 5, comment: \"on time\") {{ order {{ id availableActions }} {RESULT} }} }}"), json!({ "o": order }));
    assert_eq!(
        rated["order"]["availableActions"],
        json!([]),
        "rated once: {rated}"
    );
    Deal {
        server,
        _data: data,
        buyer,
        stranger,
        winner,
        loser,
        winner_id,
        rfq,
        winning_quote,
        losing_quote,
        order,
        before_counter,
        between_counter_and_revision,
        before_payment,
    }
}

#[test]
fn a_deal_reads_as_one_history_redacted_for_each_party_and_as_of_any_moment() {
    let d = deal();
    let s = &d.server;
    let deal_query = format!("query($id: ID!) {{ deal(id: $id) {{ id rfq {{ id }} orders {{ id number }} timeline {{ {ENTRY} }} }} }}");

    // Given the buyer, when it reads the deal by its order, then one timeline runs from the RFQ
    // to the review, in the order things happened.
    let seen = s.ok(Some(&d.buyer), &deal_query, json!({ "id": d.order }));
    let deal = &seen["deal"];
    assert_eq!(deal["rfq"]["id"], d.rfq);
    assert_eq!(deal["orders"][0]["id"], d.order);
    let all = kinds(&deal["timeline"]);
    let expected = [
        "RFQ_CREATED",
        "QUOTE_SUBMITTED",
        "QUOTE_SUBMITTED",
        "COUNTER_OFFERED",
        "QUOTE_REVISED",
        "QUOTE_ACCEPTED",
        "QUOTE_NOT_SELECTED",
        "ORDER_PLACED",
        "PAYMENT_CAPTURED",
        "ORDER_PAID",
        "ORDER_SHIPPED",
        "ORDER_RECEIVED",
        "ESCROW_RELEASED",
        "ORDER_COMPLETED",
        "ORDER_RATED",
    ];
    let mut at = 0;
    for kind in expected {
        let found = all[at..]
            .iter()
            .position(|k| k == kind)
            .unwrap_or_else(|| panic!("{kind} after {:?} in {all:?}", all.get(at)));
        at += found + 1;
    }
    let positions: Vec<u64> = deal["timeline"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            e["position"]
                .as_str()
                .expect("a position")
                .parse()
                .expect("a number")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    // The same deal, asked for by the RFQ or by the quote.
    for by in [&d.rfq, &d.winning_quote] {
        let again = s.ok(Some(&d.buyer), &deal_query, json!({ "id": by }));
        assert_eq!(kinds(&again["deal"]["timeline"]), all);
    }
    let text = seen.to_string();
    assert!(
        !text.contains("secret-key-4711"),
        "the idempotency key is never shown"
    );
    assert!(
        !text.contains("sim-"),
        "the provider's payment id is never shown"
    );
    // The buyer's own people by name; the supplier by its company.
    let actor = |kind: &str| {
        deal["timeline"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["kind"] == kind)
            .expect(kind)["actor"]
            .clone()
    };
    assert_eq!(
        actor("COUNTER_OFFERED"),
        json!({ "name": "采购 王芳", "role": "BUYER" })
    );
    assert_eq!(actor("ORDER_PAID")["role"], "SYSTEM");
    let shipped_by = actor("ORDER_SHIPPED");
    assert_eq!(shipped_by["role"], "SUPPLIER");

    // Given the winning supplier, then it sees its own quote's story and the order's, the
    // buyer as a company, and nothing of its rival's quote.
    let theirs = s.ok(Some(&d.winner), &deal_query, json!({ "id": d.order }));
    let timeline = &theirs["deal"]["timeline"];
    let kinds_seen = kinds(timeline);
    assert_eq!(
        kinds_seen
            .iter()
            .filter(|k| *k == "QUOTE_SUBMITTED")
            .count(),
        1,
        "sealed: {kinds_seen:?}"
    );
    assert!(
        !kinds_seen.contains(&"QUOTE_NOT_SELECTED".to_string()),
        "{kinds_seen:?}"
    );
    let text = theirs.to_string();
    assert!(
        !text.contains("0.75 CNY"),
        "the rival's price leaked: {text}"
    );
    assert!(!text.contains(d.losing_quote.as_str().expect("id")));
    assert!(!text.contains("secret-key-4711") && !text.contains("sim-"));
    let buyer_to_supplier = timeline
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["kind"] == "COUNTER_OFFERED")
        .expect("the counter-offer")["actor"]
        .clone();
    assert_eq!(
        buyer_to_supplier,
        json!({ "name": "宁波精工机械有限公司", "role": "BUYER" })
    );

    // Given the losing supplier, then it sees the RFQ and its own quote, not the order.
    let lost = s.ok(Some(&d.loser), &deal_query, json!({ "id": d.rfq }));
    assert_eq!(lost["deal"]["orders"], json!([]));
    let lost_kinds = kinds(&lost["deal"]["timeline"]);
    assert!(
        lost_kinds.contains(&"QUOTE_NOT_SELECTED".to_string()),
        "{lost_kinds:?}"
    );
    assert!(
        !lost_kinds.contains(&"QUOTE_REVISED".to_string()),
        "{lost_kinds:?}"
    );
    assert!(!lost.to_string().contains("0.72 CNY"));
    let by_order = s.gql(Some(&d.loser), &deal_query, json!({ "id": d.order }));
    assert_eq!(by_order["errors"][0]["extensions"]["code"], "NOT_FOUND");

    // Given a stranger, then there is no such deal.
    for by in [&d.order, &d.rfq, &d.winning_quote] {
        let none = s.gql(Some(&d.stranger), &deal_query, json!({ "id": by }));
        assert_eq!(
            none["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{none}"
        );
    }

    // A quote's revisions read as diffs.
    let quote = s.ok(
        Some(&d.buyer),
        &format!("query($q: ID!) {{ quote(id: $q) {{ status unitPrice {{ formatted }} timeline {{ {ENTRY} }} }} }}"),
        json!({ "q": d.winning_quote }),
    );
    let revised = quote["quote"]["timeline"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["kind"] == "QUOTE_REVISED")
        .expect("the revision")
        .clone();
    assert!(
        revised["changes"]
            .as_array()
            .expect("changes")
            .contains(&json!({ "field": "quote.unitPrice", "from": "0.80 CNY", "to": "0.72 CNY" })),
        "{revised}"
    );

    // As of a moment: what the quote said before the counter-offer, between it and the
    // revision, and what the buyer accepted.
    let as_of = |at: Value, position: Value| {
        s.ok(
            Some(&d.buyer),
            "query($q: ID!, $at: DateTime, $p: String) { quote(id: $q, asOf: $at, asOfPosition: $p) { status unitPrice { formatted } counterOffer { formatted } availableActions } }",
            json!({ "q": d.winning_quote, "at": at, "p": position }),
        )["quote"]
            .clone()
    };
    let before = as_of(json!(iso(d.before_counter)), Value::Null);
    assert_eq!(before["unitPrice"]["formatted"], "0.80 CNY");
    assert!(before["counterOffer"].is_null());
    assert_eq!(
        before["availableActions"],
        json!([]),
        "the past offers no actions"
    );
    let between = as_of(json!(iso(d.between_counter_and_revision)), Value::Null);
    assert_eq!(between["counterOffer"]["formatted"], "0.70 CNY");
    assert_eq!(between["unitPrice"]["formatted"], "0.80 CNY");
    let accepted_at = deal["timeline"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["kind"] == "QUOTE_ACCEPTED")
        .expect("accepted")["position"]
        .clone();
    let accepted = as_of(Value::Null, accepted_at);
    assert_eq!(accepted["status"], "ACCEPTED");
    assert_eq!(accepted["unitPrice"]["formatted"], "0.72 CNY");

    // The order before it was paid, and before it existed.
    let order_as_of = |at: f64| {
        s.gql(
            Some(&d.buyer),
            "query($o: ID!, $at: DateTime) { order(id: $o, asOf: $at) { status escrow { funded { formatted } } total { formatted } } }",
            json!({ "o": d.order, "at": iso(at) }),
        )
    };
    let unpaid = order_as_of(d.before_payment);
    assert_eq!(unpaid["data"]["order"]["status"], "PLACED", "{unpaid}");
    assert!(
        unpaid["data"]["order"]["escrow"]["funded"].is_null(),
        "{unpaid}"
    );
    let unborn = order_as_of(d.before_counter);
    assert_eq!(
        unborn["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{unborn}"
    );
    let other = s.gql(
        Some(&d.stranger),
        "query($o: ID!, $at: DateTime) { order(id: $o, asOf: $at) { status } }",
        json!({ "o": d.order, "at": iso(d.before_payment) }),
    );
    assert_eq!(other["errors"][0]["extensions"]["code"], "NOT_FOUND");
    // The supplier as it was before the deal: fewer completed orders.
    let profile = |at: Value| {
        s.ok(
            None,
            "query($s: ID!, $at: DateTime) { supplier(id: $s, asOf: $at) { status } }",
            json!({ "s": d.winner_id, "at": at }),
        )
    };
    assert_eq!(
        profile(json!(iso(d.before_counter)))["supplier"]["status"],
        "ACTIVE"
    );
    // Before it went live, an applicant was not public: as of then, it is only the supplier's
    // own and the agents' to read.
    let own = s.ok(
        Some(&d.winner),
        "query($s: ID!) { supplier(id: $s) { timeline { kind position } } }",
        json!({ "s": d.winner_id }),
    );
    let applied_at = own["supplier"]["timeline"]
        .as_array()
        .expect("its history")
        .iter()
        .find(|e| e["kind"] == "SUPPLIER_APPLIED")
        .expect("applied")["position"]
        .clone();
    let then =
        "query($s: ID!, $p: String) { supplier(id: $s, asOfPosition: $p) { status creditCode } }";
    let public = s.gql(None, then, json!({ "s": d.winner_id, "p": applied_at }));
    assert_eq!(
        public["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{public}"
    );
    let itself = s.ok(
        Some(&d.winner),
        then,
        json!({ "s": d.winner_id, "p": applied_at }),
    );
    assert_eq!(itself["supplier"]["status"], "APPLIED");
    let others = s.ok(
        Some(&d.stranger),
        "query($s: ID!) { supplier(id: $s) { timeline { kind } } }",
        json!({ "s": d.winner_id }),
    );
    assert_eq!(
        others["supplier"]["timeline"],
        json!([]),
        "a supplier's history is its own"
    );
}

#[test]
fn objects_are_nodes_with_global_ids_and_orders_have_numbers_for_people() {
    let d = deal();
    let s = &d.server;
    let node = "query($id: ID!) { node(id: $id) { __typename id ... on Order { number status } ... on Rfq { title } ... on Quote { status } } }";
    let order = s.ok(Some(&d.buyer), node, json!({ "id": d.order }));
    assert_eq!(order["node"]["__typename"], "Order");
    assert_eq!(order["node"]["id"], d.order);
    let number = order["node"]["number"]
        .as_str()
        .expect("a number")
        .to_string();
    assert!(
        number.starts_with("ZC-") && number.len() == "ZC-20261202-00042".len(),
        "{number}"
    );
    assert_eq!(
        s.ok(Some(&d.buyer), node, json!({ "id": d.rfq }))["node"]["__typename"],
        "Rfq"
    );
    assert_eq!(
        s.ok(Some(&d.winner), node, json!({ "id": d.winning_quote }))["node"]["__typename"],
        "Quote"
    );
    // Not the caller's, or not an id: nothing.
    assert!(s.ok(Some(&d.stranger), node, json!({ "id": d.order }))["node"].is_null());
    assert!(s.ok(Some(&d.loser), node, json!({ "id": d.winning_quote }))["node"].is_null());
    for garbage in [
        "01a23f00-0000-7000-8000-000000000042",
        "gid://zhuchao/Invoice/x",
        "",
    ] {
        assert!(s.ok(Some(&d.buyer), node, json!({ "id": garbage }))["node"].is_null());
    }
    // An id of one type is no id of another.
    let wrong = s.gql(
        Some(&d.buyer),
        "query($id: ID!) { rfq(id: $id) { id } }",
        json!({ "id": d.order }),
    );
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "NOT_FOUND");
    // Numbers find their order, are unique, and sort as the orders were placed.
    let by_number = s.ok(
        Some(&d.buyer),
        "query($n: String!) { orderByNumber(number: $n) { id } }",
        json!({ "n": number }),
    );
    assert_eq!(by_number["orderByNumber"]["id"], d.order);
    let agent = s.sign_in("agent@zhuchao.demo", PASSWORD);
    let orders = s.ok(
        Some(&agent),
        "{ myOrders(first: 100) { nodes { number placedAt } } }",
        json!({}),
    );
    let mut numbered: Vec<(String, String)> = orders["myOrders"]["nodes"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| {
            (
                o["number"].as_str().expect("number").to_string(),
                o["placedAt"].as_str().expect("placed").to_string(),
            )
        })
        .collect();
    assert!(numbered.len() > 3, "the demo has orders: {orders}");
    let unique: std::collections::HashSet<&String> = numbered.iter().map(|(n, _)| n).collect();
    assert_eq!(unique.len(), numbered.len(), "numbers are unique");
    numbered.sort();
    assert!(
        numbered.windows(2).all(|w| w[0].1 <= w[1].1),
        "by number is by time: {numbered:?}"
    );
}

#[test]
fn every_error_code_and_status_is_an_enum_of_the_schema() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), false, &[]);
    let enum_of = |name: &str| -> Vec<String> {
        let answer = server.ok(
            None,
            "query($n: String!) { __type(name: $n) { kind enumValues { name } } }",
            json!({ "n": name }),
        );
        assert_eq!(answer["__type"]["kind"], "ENUM", "{name}: {answer}");
        answer["__type"]["enumValues"]
            .as_array()
            .expect("values")
            .iter()
            .filter_map(|v| v["name"].as_str().map(String::from))
            .collect()
    };
    let codes = enum_of("ErrorCode");
    for code in [
        "BELOW_MOQ",
        "WRONG_STATUS",
        "NOT_FOUND",
        "UNAUTHENTICATED",
        "TOO_MANY_ATTEMPTS",
        "ATTRIBUTE_UNKNOWN",
    ] {
        assert!(codes.contains(&code.to_string()), "{code} in {codes:?}");
    }
    assert_eq!(enum_of("OrderStatus").len(), 15);
    for name in [
        "RfqStatus",
        "QuoteStatus",
        "DisputeStatus",
        "SupplierStatus",
        "ProductStatus",
        "OrderAction",
        "TimelineEntryKind",
        "CurrencyCode",
        "Role",
    ] {
        assert!(!enum_of(name).is_empty());
    }
}
