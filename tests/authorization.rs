//! The authorisation matrix: each role against each mutation and sensitive query, asserting who is
//! allowed and who is denied — by role (a buyer cannot rule a dispute) and by ownership (a buyer
//! never sees another company's order, a supplier never sees a rival's quote).

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{Server, PASSWORD};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Buyer,
    OtherBuyer,
    Supplier,
    Rival,
    Agent,
    Admin,
}

use Who::*;
const EVERYONE: [Who; 7] = [Anonymous, Buyer, OtherBuyer, Supplier, Rival, Agent, Admin];

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Denied,
}

/// Denied: an auth error, a not-found for something that exists, or a rule saying "not yours".
fn judge(response: &Value, field: &str) -> Outcome {
    const NOT_YOURS: [&str; 6] = [
        "NOT_FOUND",
        "NOT_SUPPLIER",
        "NOT_BUYER",
        "NOT_YOUR_RFQ",
        "NOT_OWNER",
        "NOT_YOUR_QUOTE",
    ];
    if let Some(errors) = response["errors"].as_array() {
        let codes: Vec<&str> = errors
            .iter()
            .filter_map(|e| e["extensions"]["code"].as_str())
            .collect();
        assert!(
            codes
                .iter()
                .all(|c| ["FORBIDDEN", "UNAUTHENTICATED", "NOT_FOUND"].contains(c)),
            "unexpected error: {response}"
        );
        return Outcome::Denied;
    }
    let payload = &response["data"][field];
    match payload["userErrors"].as_array().and_then(|e| e.first()) {
        Some(e) if NOT_YOURS.contains(&e["code"].as_str().unwrap_or_default()) => Outcome::Denied,
        _ => Outcome::Allowed,
    }
}

struct World {
    server: Server,
    _data: tempfile::TempDir,
    tokens: HashMap<Who, Option<String>>,
    order: Value,
    rfq: Value,
    supplier: Value,
    dispute: Value,
    product: Value,
}

fn world() -> World {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let sign = |email: &str| Some(server.sign_in(email, PASSWORD));
    let tokens: HashMap<Who, Option<String>> = [
        (Anonymous, None),
        (Buyer, sign("buyer@ningbo-machinery.demo")),
        (OtherBuyer, sign("buyer@suzhou-automation.demo")),
        (Supplier, sign("supplier1@zhuchao.demo")),
        (Rival, sign("supplier2@zhuchao.demo")),
        (Agent, sign("agent@zhuchao.demo")),
        (Admin, sign("admin@zhuchao.demo")),
    ]
    .into_iter()
    .collect();
    let t = |w: Who| tokens[&w].clone();
    let me = |w: Who| {
        server.ok(t(w).as_deref(), "{ me { supplierId } }", json!({}))["me"]["supplierId"].clone()
    };
    let (supplier, rival) = (me(Supplier), me(Rival));
    let products = server.ok(None, "query($s: UUID!) { products(first: 10, search: {supplierId: $s}) { edges { node { id moq stock categoryId } } } }", json!({ "s": supplier }));
    let product = products["products"]["edges"]
        .as_array()
        .expect("products")
        .iter()
        .map(|e| e["node"].clone())
        .find(|p| p["stock"].as_u64() > p["moq"].as_u64())
        .expect("in stock");
    let placed = server.mutate(t(Buyer).as_deref(), "placeOrder", "mutation($p: UUID!, $q: Int!) { placeOrder(lines: [{productId: $p, quantity: $q}], address: \"宁波\") { id userErrors { code } } }", json!({ "p": product["id"], "q": product["moq"] }));
    let now = server.ok(None, "{ now }", json!({}))["now"]
        .as_f64()
        .expect("now");
    let rfq = server.mutate(t(Buyer).as_deref(), "createRfq", "mutation($i: RfqInput!) { createRfq(input: $i) { id userErrors { code } } }", json!({ "i": {
        "title": "sealed quotes", "categoryId": product["categoryId"], "quantity": 100, "deadline": now + 5.0 * 86_400_000.0, "invitedSupplierIds": [supplier, rival]
    }}))["id"].clone();
    for w in [Supplier, Rival] {
        let quoted = server.mutate(t(w).as_deref(), "submitQuote", "mutation($r: UUID!, $v: Float!) { submitQuote(rfqId: $r, unitPrice: {minor: \"99\", currency: \"CNY\"}, leadTimeDays: 3, validUntil: $v) { id position userErrors { code } } }", json!({ "r": rfq, "v": now + 86_400_000.0 }));
        server.caught_up(&quoted["position"]);
    }
    let disputes = server.ok(
        t(Agent).as_deref(),
        "{ disputeQueue { edges { node { id held { minor } } } } }",
        json!({}),
    );
    let dispute = disputes["disputeQueue"]["edges"][0]["node"].clone();
    // Wait until the order's escrow exists, so payment checks see the order fully set up.
    let started = Instant::now();
    while server.gql(
        t(Buyer).as_deref(),
        "query($o: UUID!) { order(id: $o) { escrow { expected { minor } } } }",
        json!({ "o": placed["id"] }),
    )["data"]["order"]["escrow"]["expected"]
        .is_null()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "escrow never opened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    World {
        server,
        _data: data,
        tokens,
        order: placed["id"].clone(),
        rfq,
        supplier,
        dispute,
        product: product["id"].clone(),
    }
}

impl World {
    fn check(&self, name: &str, field: &str, query: &str, variables: Value, allowed: &[Who]) {
        for who in EVERYONE {
            let response = self
                .server
                .gql(self.tokens[&who].as_deref(), query, variables.clone());
            let expected = if allowed.contains(&who) {
                Outcome::Allowed
            } else {
                Outcome::Denied
            };
            assert_eq!(
                judge(&response, field),
                expected,
                "{name} as {who:?}: {response}"
            );
        }
    }
}

#[test]
fn every_role_is_allowed_exactly_what_it_should_be() {
    let w = world();
    let order = json!({ "o": w.order });
    let staff = [Agent, Admin];

    // Reads.
    w.check(
        "order",
        "order",
        "query($o: UUID!) { order(id: $o) { id } }",
        order.clone(),
        &[Buyer, Supplier, Agent, Admin],
    );
    w.check(
        "order history",
        "history",
        "query($s: String!) { history(stream: $s) { edges { node { eventType } } } }",
        json!({ "s": format!("order-{}", w.order.as_str().expect("id")) }),
        &[Buyer, Supplier, Agent, Admin],
    );
    w.check(
        "review queue",
        "reviewQueue",
        "{ reviewQueue { edges { node { id } } } }",
        json!({}),
        &staff,
    );
    w.check(
        "dispute queue",
        "disputeQueue",
        "{ disputeQueue { edges { node { id } } } }",
        json!({}),
        &staff,
    );
    w.check(
        "my orders",
        "myOrders",
        "{ myOrders { edges { node { id } } } }",
        json!({}),
        &[Buyer, OtherBuyer, Supplier, Rival, Agent, Admin],
    );
    w.check(
        "rfq",
        "rfq",
        "query($r: UUID!) { rfq(id: $r) { id } }",
        json!({ "r": w.rfq }),
        &[Buyer, Supplier, Rival, Agent, Admin],
    );

    // Ownership within what is allowed: nobody else's orders, nobody else's quotes, no private profile.
    let listed = |who: Who| {
        let data = w.server.ok(
            w.tokens[&who].as_deref(),
            "{ myOrders(first: 100) { edges { node { id } } } }",
            json!({}),
        );
        data["myOrders"]["edges"]
            .as_array()
            .expect("orders")
            .iter()
            .any(|e| e["node"]["id"] == w.order)
    };
    assert!(listed(Buyer) && listed(Supplier) && !listed(OtherBuyer) && !listed(Rival));
    let quotes = |who: Who| {
        let data = w.server.ok(
            w.tokens[&who].as_deref(),
            "query($r: UUID!) { rfq(id: $r) { quotes { supplierId } } }",
            json!({ "r": w.rfq }),
        );
        data["rfq"]["quotes"]
            .as_array()
            .expect("quotes")
            .iter()
            .map(|q| q["supplierId"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(quotes(Buyer).len(), 2, "the buyer compares every quote");
    assert_eq!(
        quotes(Supplier),
        vec![w.supplier.clone()],
        "a supplier sees only its own quote"
    );
    assert_eq!(quotes(Rival).len(), 1);
    assert!(!quotes(Rival).contains(&w.supplier), "never a rival's");
    let invited = |who: Who| {
        w.server.ok(
            w.tokens[&who].as_deref(),
            "query($r: UUID!) { rfq(id: $r) { invitedSupplierIds } }",
            json!({ "r": w.rfq }),
        )["rfq"]["invitedSupplierIds"]
            .clone()
    };
    assert_eq!(invited(Buyer).as_array().map(Vec::len), Some(2));
    assert_eq!(
        invited(Supplier),
        json!([w.supplier]),
        "a supplier learns it is invited, not who else is"
    );
    for who in EVERYONE {
        let data = w.server.ok(
            w.tokens[&who].as_deref(),
            "query($s: UUID!) { supplier(id: $s) { documents { kind } depositHeld { minor } } }",
            json!({ "s": w.supplier }),
        );
        let private = !data["supplier"]["documents"].is_null();
        assert_eq!(
            private,
            [Supplier, Agent, Admin].contains(&who),
            "private profile fields as {who:?}"
        );
    }

    // Mutations by role (refused by a rule after passing the role check counts as allowed).
    let id = json!({ "o": w.order, "p": w.product, "s": w.supplier, "d": w.dispute["id"] });
    w.check(
        "createCategory",
        "createCategory",
        "mutation { createCategory(name: \"Washers\", attributes: []) { id userErrors { code } } }",
        json!({}),
        &[Admin],
    );
    w.check("reviewDocument", "reviewDocument", "mutation($s: UUID!) { reviewDocument(supplierId: $s, kind: \"MERGED_LICENCE\", approve: true) { id userErrors { code } } }", id.clone(), &staff);
    w.check("actOnSupplier", "actOnSupplier", "mutation($s: UUID!) { actOnSupplier(supplierId: $s, action: \"REINSTATE\", reason: \"x\") { id userErrors { code } } }", id.clone(), &staff);
    w.check(
        "delistProduct",
        "delistProduct",
        "mutation($p: UUID!) { delistProduct(id: $p, reason: \"\") { id userErrors { code } } }",
        id.clone(),
        &staff,
    );
    w.check("placeOrder", "placeOrder", "mutation($p: UUID!) { placeOrder(lines: [{productId: $p, quantity: 1}], address: \"x\") { id userErrors { code } } }", id.clone(), &[Buyer, OtherBuyer]);
    w.check("payOrder", "payOrder", "mutation($o: UUID!) { payOrder(orderId: $o, idempotencyKey: \"matrix\") { id userErrors { code } } }", id.clone(), &[Buyer]);
    w.check("shipOrder", "shipOrder", "mutation($o: UUID!) { shipOrder(orderId: $o, carrier: \"x\", tracking: \"y\") { id userErrors { code } } }", id.clone(), &[Supplier]);
    w.check(
        "confirmReceipt",
        "confirmReceipt",
        "mutation($o: UUID!) { confirmReceipt(orderId: $o) { id userErrors { code } } }",
        id.clone(),
        &[Buyer],
    );
    w.check(
        "setStock",
        "setStock",
        "mutation($p: UUID!) { setStock(id: $p, stock: 500) { id userErrors { code } } }",
        id.clone(),
        &[Supplier],
    );
    w.check("submitDocument", "submitDocument", "mutation { submitDocument(kind: \"TRADEMARK_REGISTRATION\", file: \"f.pdf\") { id userErrors { code } } }", json!({}), &[Supplier, Rival]);
    w.check("openDispute", "openDispute", "mutation($o: UUID!) { openDispute(orderId: $o, reason: \"OTHER\", statement: \"x\", claimed: {minor: \"1\", currency: \"CNY\"}) { id userErrors { code } } }", id.clone(), &[Buyer, Supplier]);
    w.check(
        "assignDispute",
        "assignDispute",
        "mutation($d: UUID!) { assignDispute(disputeId: $d) { id userErrors { code } } }",
        id.clone(),
        &staff,
    );
    let held = w.dispute["held"]["minor"]
        .as_str()
        .expect("held")
        .to_string();
    w.check("ruleDispute", "ruleDispute", "mutation($d: UUID!, $h: String!) { ruleDispute(disputeId: $d, refund: {minor: $h, currency: \"CNY\"}, release: {minor: \"0\", currency: \"CNY\"}, warn: false, note: \"buyer favoured on even evidence\") { id userErrors { code } } }", json!({ "d": w.dispute["id"], "h": held }), &staff);
    w.check("createRfq", "createRfq", "mutation { createRfq(input: {title: \"x\", categoryId: \"00000000-0000-0000-0000-000000000000\", quantity: 1, deadline: 1, invitedSupplierIds: []}) { id userErrors { code } } }", json!({}), &[Buyer, OtherBuyer]);
    w.check("acceptQuote", "acceptQuote", "mutation($r: UUID!) { acceptQuote(rfqId: $r, quoteId: \"00000000-0000-0000-0000-000000000000\") { id userErrors { code } } }", json!({ "r": w.rfq }), &[Buyer]);
}
