//! The authorisation matrix: each role against each mutation and sensitive query, asserting who is
//! allowed and who is denied — by role (a buyer cannot rule a dispute) and by ownership (a buyer
//! never sees another company's order, a supplier never sees a rival's quote).

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{iso, Server, PASSWORD};

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
    const NOT_YOURS: [&str; 7] = [
        "NOT_FOUND",
        "NO_SUCH_QUOTE",
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
    /// The rival's quote on the buyer's RFQ.
    rival_quote: Value,
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
    let products = server.ok(None, "query($s: ID!) { products(first: 10, search: {supplierId: $s}) { edges { node { id moq stock categoryId } } } }", json!({ "s": supplier }));
    let product = products["products"]["edges"]
        .as_array()
        .expect("products")
        .iter()
        .map(|e| e["node"].clone())
        .find(|p| p["stock"].as_u64() > p["moq"].as_u64())
        .expect("in stock");
    let placed = server.mutate(t(Buyer).as_deref(), "placeOrder", "mutation($p: ID!, $q: Int!) { placeOrder(lines: [{productId: $p, quantity: $q}], address: \"宁波\") { order { id } userErrors { code } } }", json!({ "p": product["id"], "q": product["moq"] }));
    let now = server.now();
    let rfq = server.mutate(t(Buyer).as_deref(), "createRfq", "mutation($i: RfqInput!) { createRfq(input: $i) { rfq { id } userErrors { code } } }", json!({ "i": {
        "title": "sealed quotes", "categoryId": product["categoryId"], "quantity": 100, "deadline": iso(now + 5.0 * 86_400_000.0), "invitedSupplierIds": [supplier, rival]
    }}))["rfq"]["id"].clone();
    let mut quotes = Vec::new();
    for w in [Supplier, Rival] {
        let quoted = server.mutate(t(w).as_deref(), "submitQuote", "mutation($r: ID!, $v: DateTime!) { submitQuote(rfqId: $r, unitPrice: {minor: \"99\", currency: CNY}, leadTimeDays: 3, validUntil: $v) { quote { id } position userErrors { code } } }", json!({ "r": rfq, "v": iso(now + 86_400_000.0) }));
        server.caught_up(&quoted["position"]);
        quotes.push(quoted["quote"]["id"].clone());
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
        "query($o: ID!) { order(id: $o) { escrow { expected { minor } } } }",
        json!({ "o": placed["order"]["id"] }),
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
        order: placed["order"]["id"].clone(),
        rfq,
        supplier,
        dispute,
        product: product["id"].clone(),
        rival_quote: quotes[1].clone(),
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
        "query($o: ID!) { order(id: $o) { id } }",
        order.clone(),
        &[Buyer, Supplier, Agent, Admin],
    );
    w.check(
        "the order's deal and its timeline",
        "deal",
        "query($o: ID!) { deal(id: $o) { timeline { kind summary } } }",
        order.clone(),
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
        "query($r: ID!) { rfq(id: $r) { id } }",
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
            "query($r: ID!) { rfq(id: $r) { quotes { supplierId } } }",
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
            "query($r: ID!) { rfq(id: $r) { invitedSupplierIds } }",
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
            "query($s: ID!) { supplier(id: $s) { documents { kind } depositHeld { minor } } }",
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
        "mutation { createCategory(name: \"Washers\", attributes: []) { userErrors { code } } }",
        json!({}),
        &[Admin],
    );
    w.check("reviewDocument", "reviewDocument", "mutation($s: ID!) { reviewDocument(supplierId: $s, kind: MERGED_LICENCE, approve: true) { userErrors { code } } }", id.clone(), &staff);
    w.check("actOnSupplier", "actOnSupplier", "mutation($s: ID!) { actOnSupplier(supplierId: $s, measure: REINSTATE, reason: \"x\") { userErrors { code } } }", id.clone(), &staff);
    w.check(
        "delistProduct",
        "delistProduct",
        "mutation($p: ID!) { delistProduct(id: $p, reason: \"\") { userErrors { code } } }",
        id.clone(),
        &staff,
    );
    w.check("placeOrder", "placeOrder", "mutation($p: ID!) { placeOrder(lines: [{productId: $p, quantity: 1}], address: \"x\") { userErrors { code } } }", id.clone(), &[Buyer, OtherBuyer]);
    w.check("payOrder", "payOrder", "mutation($o: ID!) { payOrder(orderId: $o, idempotencyKey: \"matrix\") { userErrors { code } } }", id.clone(), &[Buyer]);
    w.check("shipOrder", "shipOrder", "mutation($o: ID!) { shipOrder(orderId: $o, carrier: \"x\", tracking: \"y\") { userErrors { code } } }", id.clone(), &[Supplier]);
    w.check(
        "confirmReceipt",
        "confirmReceipt",
        "mutation($o: ID!) { confirmReceipt(orderId: $o) { userErrors { code } } }",
        id.clone(),
        &[Buyer],
    );
    w.check(
        "setStock",
        "setStock",
        "mutation($p: ID!) { setStock(id: $p, stock: 500) { userErrors { code } } }",
        id.clone(),
        &[Supplier],
    );
    w.check("submitDocument", "submitDocument", "mutation { submitDocument(kind: TRADEMARK_REGISTRATION, file: \"f.pdf\") { userErrors { code } } }", json!({}), &[Supplier, Rival]);
    w.check("openDispute", "openDispute", "mutation($o: ID!) { openDispute(orderId: $o, reason: OTHER, statement: \"x\", claimed: {minor: \"1\", currency: CNY}) { userErrors { code } } }", id.clone(), &[Buyer, Supplier]);
    w.check(
        "assignDispute",
        "assignDispute",
        "mutation($d: ID!) { assignDispute(disputeId: $d) { userErrors { code } } }",
        id.clone(),
        &staff,
    );
    let held = w.dispute["held"]["minor"]
        .as_str()
        .expect("held")
        .to_string();
    w.check("ruleDispute", "ruleDispute", "mutation($d: ID!, $h: String!) { ruleDispute(disputeId: $d, refund: {minor: $h, currency: CNY}, release: {minor: \"0\", currency: CNY}, warn: false, note: \"buyer favoured on even evidence\") { userErrors { code } } }", json!({ "d": w.dispute["id"], "h": held }), &staff);
    w.check("createRfq", "createRfq", "mutation { createRfq(input: {title: \"x\", categoryId: \"gid://zhuchao/Category/00000000-0000-0000-0000-000000000000\", quantity: 1, deadline: \"2030-01-01\", invitedSupplierIds: []}) { userErrors { code } } }", json!({}), &[Buyer, OtherBuyer]);
    w.check(
        "acceptQuote",
        "acceptQuote",
        "mutation($q: ID!) { acceptQuote(quoteId: $q, address: \"宁波市北仑区 1 号\") { userErrors { code } } }",
        json!({ "q": w.rival_quote }),
        &[Buyer],
    );
}
