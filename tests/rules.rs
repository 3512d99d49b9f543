//! The marketplace's rules, tried from outside over HTTP on the demo marketplace the way the
//! review that found them broken tried them: stock, disputes, deposits, documents, files, RFQs,
//! penalties, idempotent creation, analytics dates — and the races between aggregates, with
//! many requests at once.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};
use support::{cny, eventually, fastener_category, iso, Server, PASSWORD, RESULT};
use zhuchao_domain::credit_code::CreditCode;

fn demo(extra: &[&str]) -> (tempfile::TempDir, Server) {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, extra);
    (data, server)
}

fn code_of(payload: &Value) -> String {
    payload["userErrors"][0]["code"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// A published product of `supplier` that is in stock: (id, moq).
fn product_of(server: &Server, supplier: &str) -> (Value, u64) {
    let me = server.ok(Some(supplier), "{ me { supplierId } }", json!({}));
    let found = server.ok(None, "query($s: ID!) { products(first: 20, search: {supplierId: $s}) { edges { node { id moq packSize stock } } } }", json!({ "s": me["me"]["supplierId"] }));
    let p = found["products"]["edges"]
        .as_array()
        .expect("products")
        .iter()
        .map(|e| e["node"].clone())
        .find(|p| {
            let n = |k: &str| p[k].as_u64().unwrap_or(0);
            n("stock") > 20 * n("moq") && n("packSize") > 0 && n("moq") % n("packSize") == 0
        })
        .expect("a product in stock whose MOQ is whole packs");
    (p["id"].clone(), p["moq"].as_u64().expect("moq"))
}

fn stock_of(server: &Server, product: &Value) -> (u64, u64, u64) {
    let p = server.ok(
        None,
        "query($p: ID!) { product(id: $p) { stock onHand reserved } }",
        json!({ "p": product }),
    );
    let n = |k: &str| p["product"][k].as_u64().expect("a count");
    (n("stock"), n("onHand"), n("reserved"))
}

const PLACE: &str = "mutation($p: ID!, $q: Int!) { placeOrder(lines: [{productId: $p, quantity: $q}], address: \"宁波市北仑区 1 号\") { order { id } position userErrors { code field message } } }";
const ORDER: &str = "query($o: ID!) { order(id: $o) { status disputeId total { minor } escrow { expected { minor } funded { minor } released { minor } refunded { minor } heldByDisputeId } } }";

fn place(server: &Server, buyer: &str, product: &Value, quantity: u64) -> Value {
    server.ok(Some(buyer), PLACE, json!({ "p": product, "q": quantity }))["placeOrder"].clone()
}

fn order(server: &Server, token: &str, order: &Value) -> Value {
    server.ok(Some(token), ORDER, json!({ "o": order }))["order"].clone()
}

fn minor(v: &Value) -> i64 {
    v["minor"]
        .as_str()
        .map_or(0, |m| m.parse().expect("minor units"))
}

fn pay(server: &Server, buyer: &str, id: &Value, key: &str) -> Value {
    server.ok(Some(buyer), &format!("mutation($o: ID!, $k: String!) {{ payOrder(orderId: $o, idempotencyKey: $k) {{ order {{ id }} {RESULT} }} }}"), json!({ "o": id, "k": key }))["payOrder"].clone()
}

/// A placed order, paid, shipped and delivered: its id.
fn delivered_order(server: &Server, buyer: &str, supplier: &str, product: &Value, q: u64) -> Value {
    let placed = place(server, buyer, product, q);
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let id = placed["order"]["id"].clone();
    eventually(server, Some(buyer), ORDER, json!({ "o": id }), |d| {
        !d["order"]["escrow"]["expected"].is_null()
    });
    let paid = pay(server, buyer, &id, &format!("pay-{id}"));
    assert_eq!(paid["userErrors"], json!([]), "{paid}");
    eventually(server, Some(buyer), ORDER, json!({ "o": id }), |d| {
        d["order"]["status"] == "PAID"
    });
    server.mutate(Some(supplier), "shipOrder", &format!("mutation($o: ID!) {{ shipOrder(orderId: $o, carrier: \"顺丰\", tracking: \"SF1\") {{ order {{ id }} {RESULT} }} }}"), json!({ "o": id }));
    server.mutate(
        Some(supplier),
        "markDelivered",
        &format!(
            "mutation($o: ID!) {{ markDelivered(orderId: $o) {{ order {{ id }} {RESULT} }} }}"
        ),
        json!({ "o": id }),
    );
    id
}

const OPEN_DISPUTE: &str = "mutation($o: ID!) { openDispute(orderId: $o, reason: NOT_AS_DESCRIBED, statement: \"grade 8.8, not A2-70\", claimed: {minor: \"1000\", currency: CNY}) { dispute { id } position userErrors { code field message } } }";

fn open_dispute(server: &Server, buyer: &str, id: &Value) -> Value {
    server.ok(Some(buyer), OPEN_DISPUTE, json!({ "o": id }))["openDispute"].clone()
}

/// Runs `n` copies of `f` at once on their own threads; returns their answers.
fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = (0..n).map(|i| s.spawn(move || f(i))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a request thread"))
            .collect()
    })
}

#[test]
fn stock_is_reserved_at_placing_and_two_hundred_buyers_never_take_more_than_there_is() {
    let (_data, server) = demo(&[]);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let buyers = [
        server.sign_in("buyer@ningbo-machinery.demo", PASSWORD),
        server.sign_in("buyer@suzhou-automation.demo", PASSWORD),
    ];
    let (product, moq) = product_of(&server, &supplier);
    let set = server.mutate(
        Some(&supplier),
        "setStock",
        &format!("mutation($p: ID!, $s: Int!) {{ setStock(id: $p, stock: $s) {{ product {{ id }} {RESULT} }} }}"),
        json!({ "p": product, "s": 10 * moq }),
    );
    server.caught_up(&set["position"]);

    // Two lines of one product count together.
    let two_lines = server.ok(Some(&buyers[0]), "mutation($p: ID!, $q: Int!) { placeOrder(lines: [{productId: $p, quantity: $q}, {productId: $p, quantity: $q}], address: \"宁波\") { userErrors { code } } }", json!({ "p": product, "q": 6 * moq }));
    assert_eq!(code_of(&two_lines["placeOrder"]), "OUT_OF_STOCK");

    // 200 buyers at once for ten orders' worth: exactly ten are placed.
    let answers = at_once(200, |i| place(&server, &buyers[i % 2], &product, moq));
    let placed: Vec<&Value> = answers
        .iter()
        .filter(|a| a["userErrors"] == json!([]))
        .collect();
    let refused: Vec<String> = answers
        .iter()
        .filter(|a| a["userErrors"] != json!([]))
        .map(code_of)
        .collect();
    assert_eq!(placed.len(), 10, "refusals: {refused:?}");
    assert!(refused.iter().all(|c| c == "OUT_OF_STOCK"), "{refused:?}");
    let last = placed
        .iter()
        .map(|p| p["position"].clone())
        .max_by_key(|p| {
            p.as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or_default()
        });
    server.caught_up(&last.expect("a position"));
    assert_eq!(stock_of(&server, &product), (0, 10 * moq, 10 * moq));

    // A cancelled order gives its stock back; a shipped one uses it up.
    let (cancelled, shipped) = (
        placed[0]["order"]["id"].clone(),
        placed[1]["order"]["id"].clone(),
    );
    let owner = |id: &Value| {
        buyers
            .iter()
            .find(|b| server.gql(Some(b), ORDER, json!({ "o": id }))["data"]["order"].is_object())
            .expect("the buyer of the order")
            .clone()
    };
    let cancel_buyer = owner(&cancelled);
    server.mutate(
        Some(&cancel_buyer),
        "cancelOrder",
        &format!("mutation($o: ID!) {{ cancelOrder(orderId: $o, reason: \"wrong part\") {{ order {{ id }} {RESULT} }} }}"),
        json!({ "o": cancelled }),
    );
    let ship_buyer = owner(&shipped);
    eventually(
        &server,
        Some(&ship_buyer),
        ORDER,
        json!({ "o": shipped }),
        |d| !d["order"]["escrow"]["expected"].is_null(),
    );
    assert_eq!(
        pay(&server, &ship_buyer, &shipped, "ship-1")["userErrors"],
        json!([])
    );
    eventually(
        &server,
        Some(&ship_buyer),
        ORDER,
        json!({ "o": shipped }),
        |d| d["order"]["status"] == "PAID",
    );
    server.mutate(Some(&supplier), "shipOrder", &format!("mutation($o: ID!) {{ shipOrder(orderId: $o, carrier: \"顺丰\", tracking: \"SF9\") {{ order {{ id }} {RESULT} }} }}"), json!({ "o": shipped }));
    eventually(
        &server,
        None,
        "query($p: ID!) { product(id: $p) { stock onHand reserved } }",
        json!({ "p": product }),
        |d| {
            d["product"]["stock"].as_u64() == Some(moq)
                && d["product"]["onHand"].as_u64() == Some(9 * moq)
                && d["product"]["reserved"].as_u64() == Some(8 * moq)
        },
    );
    // The supplier cannot set the stock below what open orders hold.
    let below = server.ok(
        Some(&supplier),
        &format!("mutation($p: ID!, $s: Int!) {{ setStock(id: $p, stock: $s) {{ product {{ id }} {RESULT} }} }}"),
        json!({ "p": product, "s": moq }),
    );
    assert_eq!(code_of(&below["setStock"]), "BELOW_RESERVED");
}

#[test]
fn disputes_one_per_order_a_withdrawal_resumes_it_and_a_ruling_names_its_agent() {
    let (_data, server) = demo(&[]);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let (product, moq) = product_of(&server, &supplier);
    let id = delivered_order(&server, &buyer, &supplier, &product, moq);

    // 200 openDispute at once: one dispute.
    let answers = at_once(200, |_| open_dispute(&server, &buyer, &id));
    let opened: Vec<&Value> = answers
        .iter()
        .filter(|a| a["userErrors"] == json!([]))
        .collect();
    assert_eq!(opened.len(), 1, "{answers:?}");
    assert!(answers
        .iter()
        .filter(|a| a["userErrors"] != json!([]))
        .all(|a| code_of(a) == "ALREADY_DISPUTED"));
    let dispute = opened[0]["dispute"]["id"].clone();
    server.caught_up(&opened[0]["position"]);
    let queue = server.ok(
        Some(&agent),
        "{ disputeQueue(first: 100) { edges { node { id orderId } } } }",
        json!({}),
    );
    let on_order = queue["disputeQueue"]["edges"]
        .as_array()
        .expect("queue")
        .iter()
        .filter(|e| e["node"]["orderId"] == id)
        .count();
    assert_eq!(on_order, 1);

    // Withdrawn: the order is delivered again, and its receipt releases the escrow.
    eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
        d["order"]["escrow"]["heldByDisputeId"] == dispute
    });
    server.mutate(
        Some(&buyer),
        "withdrawDispute",
        &format!("mutation($d: ID!) {{ withdrawDispute(disputeId: $d) {{ dispute {{ id }} {RESULT} }} }}"),
        json!({ "d": dispute }),
    );
    eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
        d["order"]["status"] == "DELIVERED" && d["order"]["escrow"]["heldByDisputeId"].is_null()
    });
    server.mutate(
        Some(&buyer),
        "confirmReceipt",
        &format!(
            "mutation($o: ID!) {{ confirmReceipt(orderId: $o) {{ order {{ id }} {RESULT} }} }}"
        ),
        json!({ "o": id }),
    );
    let done = eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
        d["order"]["status"] == "COMPLETED"
    });
    assert_eq!(
        minor(&done["order"]["escrow"]["released"]),
        minor(&done["order"]["total"])
    );
    assert_eq!(code_of(&open_dispute(&server, &buyer, &id)), "NOTHING_HELD");

    // A ruling made without taking the dispute first still names the agent who made it.
    let second = delivered_order(&server, &buyer, &supplier, &product, moq);
    let opened = open_dispute(&server, &buyer, &second);
    assert_eq!(opened["userErrors"], json!([]), "{opened}");
    eventually(&server, Some(&buyer), ORDER, json!({ "o": second }), |d| {
        !d["order"]["escrow"]["heldByDisputeId"].is_null()
    });
    let total = minor(&order(&server, &buyer, &second)["total"]);
    let ruled = server.mutate(Some(&agent), "ruleDispute", &format!("mutation($d: ID!, $r: MoneyInput!, $k: MoneyInput!) {{ ruleDispute(disputeId: $d, refund: $r, release: $k, warn: false, note: \"refund the claim\") {{ dispute {{ id }} {RESULT} }} }}"), json!({ "d": opened["dispute"]["id"], "r": cny(1000), "k": cny(total - 1000) }));
    server.caught_up(&ruled["position"]);
    let me = server.ok(Some(&agent), "{ me { id } }", json!({}));
    let d = server.ok(
        Some(&agent),
        "query($d: ID!) { dispute(id: $d) { agentId status } }",
        json!({ "d": opened["dispute"]["id"] }),
    );
    assert_eq!(d["dispute"]["status"], "RULED");
    assert_eq!(d["dispute"]["agentId"], me["me"]["id"]);

    // A penalty beyond the deposit is refused, not silently capped.
    let supplier_id =
        server.ok(Some(&supplier), "{ me { supplierId } }", json!({}))["me"]["supplierId"].clone();
    let fine = server.ok(Some(&agent), &format!("mutation($s: ID!) {{ actOnSupplier(supplierId: $s, measure: PENALISE, reason: \"test\", penalty: {{minor: \"900000000\", currency: CNY}}) {{ supplier {{ id }} {RESULT} }} }}"), json!({ "s": supplier_id }));
    assert_eq!(code_of(&fine["actOnSupplier"]), "PENALTY_EXCEEDS_DEPOSIT");
}

#[test]
fn pay_and_cancel_at_once_never_leave_money_in_escrow_and_a_receipt_never_beats_a_ruling() {
    let (_data, server) = demo(&[]);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let (product, moq) = product_of(&server, &supplier);

    // Pay and cancel sent together, 20 orders.
    let orders: Vec<Value> = (0..20)
        .map(|_| {
            let placed = place(&server, &buyer, &product, moq);
            assert_eq!(placed["userErrors"], json!([]), "{placed}");
            placed["order"]["id"].clone()
        })
        .collect();
    for id in &orders {
        eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
            !d["order"]["escrow"]["expected"].is_null()
        });
    }
    let cancel = format!("mutation($o: ID!) {{ cancelOrder(orderId: $o, reason: \"changed my mind\") {{ order {{ id }} {RESULT} }} }}");
    for id in &orders {
        let outcome = at_once(2, |i| {
            if i == 0 {
                pay(&server, &buyer, id, &format!("race-{id}"))
            } else {
                server.ok(Some(&buyer), &cancel, json!({ "o": id }))["cancelOrder"].clone()
            }
        });
        let (paid, cancelled) = (
            outcome[0]["userErrors"] == json!([]),
            outcome[1]["userErrors"] == json!([]),
        );
        assert!(paid || cancelled, "{outcome:?}");
        let end = eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
            let o = &d["order"];
            let funded = minor(&o["escrow"]["funded"]);
            match (paid, cancelled) {
                (true, true) => o["status"] == "REFUNDED",
                (true, false) => o["status"] == "PAID" && funded > 0,
                (false, _) => o["status"] == "CANCELLED",
            }
        });
        let e = &end["order"]["escrow"];
        if cancelled {
            assert_eq!(
                minor(&e["funded"]),
                minor(&e["refunded"]),
                "a cancelled order keeps nothing in escrow: {end}"
            );
        }
    }

    // A dispute and a receipt sent together, 12 orders (before the order held its disputes,
    // 14 of 20 lost the refund): whichever wins, the money follows it.
    for n in 0..12 {
        let id = delivered_order(&server, &buyer, &supplier, &product, moq);
        let outcome = at_once(2, |i| {
            if i == 0 {
                open_dispute(&server, &buyer, &id)
            } else {
                server.ok(
                    Some(&buyer),
                    &format!(
                        "mutation($o: ID!) {{ confirmReceipt(orderId: $o) {{ order {{ id }} {RESULT} }} }}"
                    ),
                    json!({ "o": id }),
                )["confirmReceipt"]
                    .clone()
            }
        });
        let (disputed, received) = (
            outcome[0]["userErrors"] == json!([]),
            outcome[1]["userErrors"] == json!([]),
        );
        assert!(disputed != received, "exactly one wins (#{n}): {outcome:?}");
        if disputed {
            eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
                !d["order"]["escrow"]["heldByDisputeId"].is_null()
            });
            let total = minor(&order(&server, &buyer, &id)["total"]);
            server.mutate(Some(&agent), "ruleDispute", &format!("mutation($d: ID!, $r: MoneyInput!) {{ ruleDispute(disputeId: $d, refund: $r, release: {{minor: \"0\", currency: CNY}}, warn: false, note: \"full refund\") {{ dispute {{ id }} {RESULT} }} }}"), json!({ "d": outcome[0]["dispute"]["id"], "r": cny(total) }));
            let end = eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
                d["order"]["status"] == "RESOLVED"
            });
            assert_eq!(minor(&end["order"]["escrow"]["refunded"]), total, "{end}");
            assert_eq!(minor(&end["order"]["escrow"]["released"]), 0, "{end}");
        } else {
            let end = eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
                d["order"]["status"] == "COMPLETED"
            });
            assert_eq!(
                minor(&end["order"]["escrow"]["released"]),
                minor(&end["order"]["total"])
            );
        }
    }

    // Twenty payments of one order with twenty keys: one is recorded, the escrow funded once.
    let placed = place(&server, &buyer, &product, moq);
    let id = placed["order"]["id"].clone();
    eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
        !d["order"]["escrow"]["expected"].is_null()
    });
    let answers = at_once(20, |i| pay(&server, &buyer, &id, &format!("key-{i}")));
    let accepted = answers
        .iter()
        .filter(|a| a["userErrors"] == json!([]))
        .count();
    assert_eq!(accepted, 1, "{answers:?}");
    assert!(answers
        .iter()
        .filter(|a| a["userErrors"] != json!([]))
        .all(|a| ["ALREADY_PAID", "PAYMENT_IN_PROGRESS"].contains(&code_of(a).as_str())));
    let paid = eventually(&server, Some(&buyer), ORDER, json!({ "o": id }), |d| {
        d["order"]["status"] == "PAID"
    });
    assert_eq!(
        minor(&paid["order"]["escrow"]["funded"]),
        minor(&paid["order"]["total"])
    );
}

#[test]
fn suppliers_deposits_documents_and_files_follow_the_rules() {
    let (data, server) = demo(&[]);
    let category = fastener_category(&server);
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let code = CreditCode::with_check_character("91330206MA2H0002X").expect("code");
    let applied = server.mutate(None, "applySupplier",
        &format!("mutation($c: [ID!]!, $code: String!) {{ applySupplier(companyName: \"北仑规则紧固件有限公司\", creditCode: $code, categoryIds: $c, contactName: \"周经理\", phone: \"13900000001\", email: \"rules@supplier.test\", password: \"copper kettle 2026!\") {{ supplierId userId {RESULT} }} }}"),
        json!({ "c": [category["id"]], "code": code.as_str() }));
    let id = applied["supplierId"].clone();
    let supplier = server.sign_in("rules@supplier.test", "copper kettle 2026!");
    let nowhere = server.ok(None,
        &format!("mutation($code: String!) {{ applySupplier(companyName: \"无类目公司\", creditCode: $code, categoryIds: [\"00000000-0000-7000-8000-000000000001\"], contactName: \"周\", phone: \"13900000009\", email: \"nowhere@supplier.test\", password: \"nowhere-2026!\") {{ supplierId userId {RESULT} }} }}"),
        json!({ "code": CreditCode::with_check_character("91330206MA2H0003X").expect("code").as_str() }));
    assert_eq!(code_of(&nowhere["applySupplier"]), "NO_SUCH_CATEGORY");
    let no_account = server.gql(None, "mutation { signIn(email: \"nowhere@supplier.test\", password: \"nowhere-2026!\") { token userErrors { code } } }", json!({}));
    assert!(
        no_account["data"]["signIn"]["token"].is_null(),
        "nothing left behind: {no_account}"
    );
    let profile =
        "query($s: ID!) { supplier(id: $s) { status verified companyName depositHeld { minor } } }";

    // An applicant is not public; its agents and itself see it.
    server.caught_up(&applied["position"]);
    let public = server.gql(None, profile, json!({ "s": id }));
    assert_eq!(
        public["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{public}"
    );
    assert!(server.ok(Some(&agent), profile, json!({ "s": id }))["supplier"].is_object());

    // File references must name an upload.
    let submit = format!("mutation($f: String!, $e: DateTime) {{ submitDocument(kind: MERGED_LICENCE, file: $f, expiresOn: $e) {{ supplier {{ id }} {RESULT} }} }}");
    let evil = server.ok(
        Some(&supplier),
        &submit,
        json!({ "f": "http://evil.example/x.pdf" }),
    );
    assert_eq!(code_of(&evil["submitDocument"]), "NOT_A_FILE");
    let never = format!("/files/{}/licence.pdf", "ab".repeat(32));
    let ghost = server.ok(Some(&supplier), &submit, json!({ "f": never }));
    assert_eq!(code_of(&ghost["submitDocument"]), "NOT_A_FILE");
    let forever = server.gql(
        Some(&supplier),
        &submit,
        json!({ "f": server.upload(&supplier, "l.pdf", "%PDF licence"), "e": "2300-01-01" }),
    );
    assert_eq!(
        forever["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{forever}"
    );

    // A licence that expires in a few seconds, approved, and the deposit paid twice under one
    // reference: counted once.
    let now = server.now();
    let licence = server.upload(&supplier, "licence.pdf", "%PDF-1.4 licence rules");
    assert!(data.path().join("files").join(&licence[7..71]).is_file());
    server.mutate(
        Some(&supplier),
        "submitDocument",
        &submit,
        json!({ "f": licence, "e": iso(now + 6_000.0) }),
    );
    server.mutate(Some(&agent), "reviewDocument", &format!("mutation($s: ID!) {{ reviewDocument(supplierId: $s, kind: MERGED_LICENCE, approve: true) {{ supplier {{ id }} {RESULT} }} }}"), json!({ "s": id }));
    let deposit = format!("mutation($a: MoneyInput!) {{ payDeposit(amount: $a, paymentRef: \"bank-transfer-1\") {{ supplier {{ id }} {RESULT} }} }}");
    let first = server.mutate(
        Some(&supplier),
        "payDeposit",
        &deposit,
        json!({ "a": cny(1_000_000) }),
    );
    let again = server.ok(Some(&supplier), &deposit, json!({ "a": cny(1_000_000) }));
    server.caught_up(&first["position"]);
    if let Some(p) = again["payDeposit"]["position"].as_str() {
        server.caught_up(&json!(p));
    }
    let seen = server.ok(Some(&supplier), profile, json!({ "s": id }));
    assert_eq!(
        minor(&seen["supplier"]["depositHeld"]),
        1_000_000,
        "{again}"
    );
    let rest = format!("mutation($a: MoneyInput!) {{ payDeposit(amount: $a, paymentRef: \"bank-transfer-2\") {{ supplier {{ id }} {RESULT} }} }}");
    let full = server.mutate(
        Some(&supplier),
        "payDeposit",
        &rest,
        json!({ "a": cny(1_000_000) }),
    );
    server.caught_up(&full["position"]);
    let active = server.ok(None, profile, json!({ "s": id }));
    assert_eq!(active["supplier"]["status"], "ACTIVE", "{active}");
    assert_eq!(active["supplier"]["verified"], true);
    // Held in full: nothing more is due, and paying is no longer offered.
    let more = format!("mutation($a: MoneyInput!) {{ payDeposit(amount: $a, paymentRef: \"bank-transfer-3\") {{ supplier {{ id availableActions }} {RESULT} }} }}");
    let over = server.ok(Some(&supplier), &more, json!({ "a": cny(100) }));
    assert_eq!(code_of(&over["payDeposit"]), "NOTHING_DUE", "{over}");
    let offered = server.ok(
        Some(&supplier),
        "query($s: ID!) { supplier(id: $s) { availableActions } }",
        json!({ "s": id }),
    );
    assert!(
        !offered["supplier"]["availableActions"]
            .as_array()
            .expect("actions")
            .contains(&json!("PAY_DEPOSIT")),
        "{offered}"
    );

    // The licence expires: the supplier lapses and may not publish.
    let drafted = server.mutate(Some(&supplier), "draftProduct", &format!("mutation($i: ProductInput!) {{ draftProduct(input: $i) {{ product {{ id }} {RESULT} }} }}"), json!({ "i": {
        "categoryId": category["id"], "brand": "规则", "keyword": "六角螺栓", "name": "DIN 933 rules", "moq": 100, "packSize": 100,
        "tiers": [{ "minQuantity": 100, "unitPrice": cny(50) }], "stock": 1000, "leadTimeDays": 3, "shippingCost": cny(0),
        "attributes": [{ "key": "thread", "value": "M8" }, { "key": "length", "value": "30" }, { "key": "material", "value": "A2" }]
    }}));
    let lapsed = eventually(&server, None, profile, json!({ "s": id }), |d| {
        d["supplier"]["status"] == "LAPSED"
    });
    assert_eq!(lapsed["supplier"]["verified"], false);
    let publish = server.ok(
        Some(&supplier),
        &format!("mutation($p: ID!) {{ publishProduct(id: $p) {{ product {{ id }} {RESULT} }} }}"),
        json!({ "p": drafted["product"]["id"] }),
    );
    assert_ne!(
        publish["publishProduct"]["userErrors"],
        json!([]),
        "{publish}"
    );

    // Exited: no more drafting.
    server.mutate(Some(&agent), "actOnSupplier", &format!("mutation($s: ID!) {{ actOnSupplier(supplierId: $s, measure: EXIT, reason: \"licence not renewed\") {{ supplier {{ id }} {RESULT} }} }}"), json!({ "s": id }));
    let after_exit = server.ok(Some(&supplier), &format!("mutation($i: ProductInput!) {{ draftProduct(input: $i) {{ product {{ id }} {RESULT} }} }}"), json!({ "i": {
        "categoryId": category["id"], "brand": "规则", "keyword": "六角螺栓", "name": "after exit", "moq": 100, "packSize": 100,
        "tiers": [{ "minQuantity": 100, "unitPrice": cny(50) }], "stock": 1000, "leadTimeDays": 3, "shippingCost": cny(0),
        "attributes": [{ "key": "thread", "value": "M8" }, { "key": "length", "value": "30" }, { "key": "material", "value": "A2" }]
    }}));
    assert_eq!(code_of(&after_exit["draftProduct"]), "SUPPLIER_EXITED");
}

#[test]
fn rfqs_are_checked_against_their_category_and_close_their_quotes() {
    let (_data, server) = demo(&["--rfq-response-sla-secs", "2"]);
    let category = fastener_category(&server);
    let buyer = server.sign_in("buyer@suzhou-automation.demo", PASSWORD);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let a =
        server.ok(Some(&supplier), "{ me { supplierId } }", json!({}))["me"]["supplierId"].clone();
    let b = server.ok(
        Some(&server.sign_in("supplier7@zhuchao.demo", PASSWORD)),
        "{ me { supplierId } }",
        json!({}),
    )["me"]["supplierId"]
        .clone();
    let now = server.now();
    let drawing = server.upload(&buyer, "drawing.pdf", "%PDF drawing");
    let create =
        format!("mutation($i: RfqInput!) {{ createRfq(input: $i) {{ rfq {{ id }} {RESULT} }} }}");
    let rfq = |attributes: Value, category: &Value, invited: Value, deadline: f64| {
        server.ok(Some(&buyer), &create, json!({ "i": {
            "title": "非标螺栓 Custom bolts", "categoryId": category, "attributes": attributes, "quantity": 500,
            "drawings": [drawing], "deadline": iso(deadline), "invitedSupplierIds": invited
        }}))["createRfq"].clone()
    };
    let week = now + 7.0 * 86_400_000.0;
    let cat = category["id"].clone();
    let refused = |attributes: Value| code_of(&rfq(attributes, &cat, json!([a]), week));
    assert_eq!(
        refused(json!([{ "key": "colour", "value": "red" }])),
        "ATTRIBUTE_UNKNOWN"
    );
    assert_eq!(
        refused(json!([{ "key": "thread", "value": "M7" }])),
        "ATTRIBUTE_NOT_ALLOWED"
    );
    assert_eq!(
        refused(json!([{ "key": "length", "value": "abc" }])),
        "ATTRIBUTE_BAD_NUMBER"
    );
    assert_eq!(
        refused(json!([{ "key": "thread", "value": "M8" }, { "key": "thread", "value": "M10" }])),
        "BAD_INPUT"
    );
    let nowhere = "00000000-0000-7000-8000-000000000001";
    for category in [
        json!(nowhere),
        json!(format!("gid://zhuchao/Category/{nowhere}")),
        json!(format!("gid://zhuchao/Supplier/{nowhere}")),
    ] {
        assert_eq!(
            code_of(&rfq(json!([]), &category, json!([a]), week)),
            "NO_SUCH_CATEGORY"
        );
    }
    for supplier in [
        json!(nowhere),
        json!(format!("gid://zhuchao/Supplier/{nowhere}")),
        cat.clone(),
    ] {
        assert_eq!(
            code_of(&rfq(json!([]), &cat, json!([supplier]), week)),
            "UNKNOWN_SUPPLIER"
        );
    }
    let far = server.gql(Some(&buyer), &create, json!({ "i": {
        "title": "t", "categoryId": cat, "quantity": 5, "deadline": "2300-01-01", "invitedSupplierIds": [a]
    }}));
    assert_eq!(
        far["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{far}"
    );
    let bad_drawing = server.ok(Some(&buyer), &create, json!({ "i": {
        "title": "t", "categoryId": cat, "quantity": 5, "drawings": ["files/d.pdf"], "deadline": iso(week), "invitedSupplierIds": [a]
    }}));
    assert_eq!(code_of(&bad_drawing["createRfq"]), "NOT_A_FILE");

    // Inches are converted to the category's millimetres.
    let made = rfq(
        json!([{ "key": "length", "value": "1-3/8 in" }]),
        &cat,
        json!([a, b]),
        week,
    );
    assert_eq!(made["userErrors"], json!([]), "{made}");
    let shown = server.ok(
        Some(&buyer),
        "query($r: ID!, $p: String) { rfq(id: $r, atLeast: $p) { attributes { key value number } } }",
        json!({ "r": made["rfq"]["id"], "p": made["position"] }),
    );
    assert_eq!(shown["rfq"]["attributes"][0]["number"], 34.925);

    // One invited supplier quotes: the pool stays closed after the SLA.
    let quote = format!("mutation($r: ID!, $v: DateTime!) {{ submitQuote(rfqId: $r, unitPrice: {{minor: \"75\", currency: CNY}}, leadTimeDays: 10, validUntil: $v) {{ quote {{ id }} {RESULT} }} }}");
    let forever = server.gql(
        Some(&supplier),
        &quote,
        json!({ "r": made["rfq"]["id"], "v": 9.2e18 }),
    );
    assert_eq!(
        forever["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{forever}"
    );
    let too_long = server.ok(
        Some(&supplier),
        &quote,
        json!({ "r": made["rfq"]["id"], "v": iso(now + 400.0 * 86_400_000.0) }),
    );
    assert_eq!(code_of(&too_long["submitQuote"]), "BAD_VALIDITY");
    server.mutate(
        Some(&supplier),
        "submitQuote",
        &quote,
        json!({ "r": made["rfq"]["id"], "v": iso(now + 5.0 * 86_400_000.0) }),
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    let after_sla = server.ok(
        Some(&buyer),
        "query($r: ID!) { rfq(id: $r) { poolOpen } }",
        json!({ "r": made["rfq"]["id"] }),
    );
    assert_eq!(after_sla["rfq"]["poolOpen"], false);

    // An RFQ past its deadline expires, and so do its quotes.
    let now = server.now();
    let short = rfq(json!([]), &cat, json!([a]), now + 4_000.0);
    assert_eq!(short["userErrors"], json!([]), "{short}");
    server.mutate(
        Some(&supplier),
        "submitQuote",
        &quote,
        json!({ "r": short["rfq"]["id"], "v": iso(now + 86_400_000.0) }),
    );
    let expired = eventually(
        &server,
        Some(&buyer),
        "query($r: ID!) { rfq(id: $r) { status quotes { status } } }",
        json!({ "r": short["rfq"]["id"] }),
        |d| d["rfq"]["status"] == "EXPIRED",
    );
    assert_eq!(expired["rfq"]["quotes"][0]["status"], "EXPIRED");
}

#[test]
fn creation_is_idempotent_and_bad_dates_are_refused_without_harm() {
    let (_data, server) = demo(&[]);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let (product, moq) = product_of(&server, &supplier);

    // A retried placeOrder with its key answers the first order.
    let keyed = "mutation($p: ID!, $q: Int!, $k: String) { placeOrder(lines: [{productId: $p, quantity: $q}], address: \"宁波\", idempotencyKey: $k) { order { id } position userErrors { code } } }";
    let tries = at_once(5, |_| {
        server.ok(
            Some(&buyer),
            keyed,
            json!({ "p": product, "q": moq, "k": "po-4711" }),
        )["placeOrder"]
            .clone()
    });
    assert!(
        tries.iter().all(|t| t["userErrors"] == json!([])),
        "{tries:?}"
    );
    assert!(tries
        .iter()
        .all(|t| t["order"]["id"] == tries[0]["order"]["id"]));
    // An order made with a key lists as the newest, whatever its id.
    let newest = server.ok(
        Some(&buyer),
        "query($at: String) { myOrders(first: 1, atLeast: $at) { nodes { id } } }",
        json!({ "at": tries[0]["position"] }),
    );
    assert_eq!(
        newest["myOrders"]["nodes"][0]["id"],
        tries[0]["order"]["id"]
    );
    let (_, on_hand, reserved) = stock_of(&server, &product);
    assert!(reserved == moq && on_hand > moq, "reserved once");
    let other_buyer = server.sign_in("buyer@suzhou-automation.demo", PASSWORD);
    let theirs = server.ok(
        Some(&other_buyer),
        keyed,
        json!({ "p": product, "q": moq, "k": "po-4711" }),
    );
    assert_ne!(
        theirs["placeOrder"]["order"]["id"], tries[0]["order"]["id"],
        "keys are per buyer"
    );

    // The same for an account: a retried registration answers the account it opened.
    let register = "mutation($k: String) { registerBuyer(companyName: \"温州阀门\", name: \"李工\", email: \"li@wenzhou-valves.test\", password: \"valves-2026!\", idempotencyKey: $k) { userId userErrors { code } } }";
    let opened = server.ok(None, register, json!({ "k": "signup-1" }));
    let reopened = server.ok(None, register, json!({ "k": "signup-1" }));
    assert_eq!(opened["registerBuyer"]["userErrors"], json!([]), "{opened}");
    assert_eq!(
        reopened["registerBuyer"]["userErrors"],
        json!([]),
        "{reopened}"
    );
    assert_eq!(
        opened["registerBuyer"]["userId"],
        reopened["registerBuyer"]["userId"]
    );
    // Without the key it is another registration of a taken email: answered like an opened
    // account (so that registering cannot find out who has an account), and opening none.
    let unkeyed = server.ok(None, register, json!({ "k": null }));
    assert_eq!(
        unkeyed["registerBuyer"]["userErrors"],
        json!([]),
        "{unkeyed}"
    );
    assert_ne!(
        unkeyed["registerBuyer"]["userId"],
        opened["registerBuyer"]["userId"]
    );
    let li = server.sign_in("li@wenzhou-valves.test", "valves-2026!");
    let me = server.ok(Some(&li), "{ me { id } }", json!({}));
    assert_eq!(me["me"]["id"], opened["registerBuyer"]["userId"], "{me}");

    // The same for a product, retried after it landed and at once.
    let category = fastener_category(&server);
    let draft = format!("mutation($i: ProductInput!, $k: String) {{ draftProduct(input: $i, idempotencyKey: $k) {{ product {{ id }} {RESULT} }} }}");
    let input = json!({
        "categoryId": category["id"], "brand": "固力", "keyword": "六角螺栓", "name": "DIN 933 keyed", "moq": 100, "packSize": 100,
        "tiers": [{ "minQuantity": 100, "unitPrice": cny(50) }], "stock": 1000, "leadTimeDays": 3, "shippingCost": cny(0),
        "attributes": [{ "key": "thread", "value": "M8" }, { "key": "length", "value": "30" }, { "key": "material", "value": "A2" }]
    });
    let drafts = at_once(10, |_| {
        server.ok(Some(&supplier), &draft, json!({ "i": input, "k": "sku-1" }))["draftProduct"]
            .clone()
    });
    let later = server.ok(Some(&supplier), &draft, json!({ "i": input, "k": "sku-1" }));
    assert!(
        drafts.iter().all(|d| d["userErrors"] == json!([])),
        "{drafts:?}"
    );
    assert!(drafts
        .iter()
        .all(|d| d["product"]["id"] == drafts[0]["product"]["id"]));
    assert_eq!(
        later["draftProduct"]["product"]["id"], drafts[0]["product"]["id"],
        "{later}"
    );

    // And an RFQ.
    let now = server.now();
    let supplier_id =
        server.ok(Some(&supplier), "{ me { supplierId } }", json!({}))["me"]["supplierId"].clone();
    let rfqs = at_once(10, |_| {
        server.ok(Some(&buyer), &format!("mutation($i: RfqInput!) {{ createRfq(input: $i, idempotencyKey: \"rfq-1\") {{ rfq {{ id }} {RESULT} }} }}"), json!({ "i": {
            "title": "非标螺栓", "categoryId": category["id"], "quantity": 100, "deadline": iso(now + 3.0 * 86_400_000.0),
            "invitedSupplierIds": [supplier_id]
        }}))["createRfq"].clone()
    });
    assert!(
        rfqs.iter().all(|r| r["userErrors"] == json!([])),
        "{rfqs:?}"
    );
    assert!(rfqs.iter().all(|r| r["rfq"]["id"] == rfqs[0]["rfq"]["id"]));

    // The same for a staff account an admin opens.
    let admin = server.sign_in("admin@zhuchao.demo", PASSWORD);
    let staff = "mutation { createStaffAccount(email: \"desk@zhuchao.test\", name: \"客服 小周\", password: \"quiet harbour lanterns 9\", role: AGENT, idempotencyKey: \"hire-1\") { user { id } userErrors { code } } }";
    let hired = server.ok(Some(&admin), staff, json!({}));
    let again = server.ok(Some(&admin), staff, json!({}));
    assert_eq!(
        hired["createStaffAccount"]["userErrors"],
        json!([]),
        "{hired}"
    );
    assert_eq!(
        again["createStaffAccount"]["userErrors"],
        json!([]),
        "{again}"
    );
    assert_eq!(
        hired["createStaffAccount"]["user"]["id"],
        again["createStaffAccount"]["user"]["id"]
    );

    // The same for a dispute.
    let id = delivered_order(&server, &buyer, &supplier, &product, moq);
    let keyed_dispute = "mutation($o: ID!) { openDispute(orderId: $o, reason: DAMAGED, statement: \"crushed boxes\", claimed: {minor: \"500\", currency: CNY}, idempotencyKey: \"case-1\") { dispute { id } userErrors { code } } }";
    let first = server.ok(Some(&buyer), keyed_dispute, json!({ "o": id }));
    let second = server.ok(Some(&buyer), keyed_dispute, json!({ "o": id }));
    assert_eq!(first["openDispute"]["userErrors"], json!([]));
    assert_eq!(second["openDispute"]["userErrors"], json!([]), "{second}");
    assert_eq!(
        first["openDispute"]["dispute"]["id"],
        second["openDispute"]["dispute"]["id"]
    );

    // Dates that are not dates are refused; a far year answers an error, not a closed socket.
    let report =
        "query($f: DateTime!, $t: DateTime!) { analytics(from: $f, to: $t) { gmv { minor } } }";
    for (from, to) in [
        ("2026-11-31", "2026-12-02"),
        ("2026-11-01T30:00:00Z", "2026-11-02"),
        ("491937-01-01", "491937-02-01"),
    ] {
        let answer = server.gql(Some(&agent), report, json!({ "f": from, "t": to }));
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_REQUEST",
            "{from}: {answer}"
        );
    }
    let far = server.gql(
        Some(&agent),
        "{ disputeRates(from: \"2026-01-01\", to: \"491937-01-01\") { orders } }",
        json!({}),
    );
    assert_eq!(
        far["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{far}"
    );
    let (status, body) = server.http("GET", "/health/ready", &[], "");
    assert_eq!((status, body.contains("ready")), (200, true), "{body}");

    // An order of a supplier suspended after it was placed cannot be paid.
    let placed = place(&server, &buyer, &product, moq);
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let act = format!("mutation($s: ID!, $a: SupplierMeasure!) {{ actOnSupplier(supplierId: $s, measure: $a, reason: \"audit\") {{ supplier {{ id }} {RESULT} }} }}");
    server.mutate(
        Some(&agent),
        "actOnSupplier",
        &act,
        json!({ "s": supplier_id, "a": "SUSPEND" }),
    );
    let refused = pay(&server, &buyer, &placed["order"]["id"], "after-suspension");
    assert_eq!(code_of(&refused), "SUPPLIER_NOT_SELLING", "{refused}");
    let exit = server.ok(Some(&agent), &act, json!({ "s": supplier_id, "a": "EXIT" }));
    assert_eq!(code_of(&exit["actOnSupplier"]), "OPEN_ORDERS", "{exit}");
}

#[test]
fn conversion_counts_only_orders_paid_in_a_session() {
    let (_data, server) = demo(&[]);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let (product, moq) = product_of(&server, &supplier);
    // One visit in a session, that pays nothing.
    server.ok(
        None,
        "mutation($i: StartSessionInput!) { startSession(input: $i) { sessionId } }",
        json!({ "i": { "landingUrl": "https://zhuchao.example/", "referrer": "" } }),
    );
    let paid = AtomicUsize::new(0);
    for _ in 0..3 {
        let placed = place(&server, &buyer, &product, moq);
        eventually(
            &server,
            Some(&buyer),
            ORDER,
            json!({ "o": placed["order"]["id"] }),
            |d| !d["order"]["escrow"]["expected"].is_null(),
        );
        if pay(
            &server,
            &buyer,
            &placed["order"]["id"],
            &format!("no-session-{}", placed["order"]["id"]),
        )["userErrors"]
            == json!([])
        {
            paid.fetch_add(1, Ordering::SeqCst);
        }
    }
    assert_eq!(paid.load(Ordering::SeqCst), 3);
    let today = support::day(0);
    let tomorrow = support::day(1);
    let rows = eventually(
        &server,
        Some(&agent),
        "query($f: DateTime!, $t: DateTime!) { analytics(from: $f, to: $t) { paidOrders gmv { minor } funnel { name count } decomposition { conversionRate } } }",
        json!({ "f": today, "t": tomorrow }),
        |d| d["analytics"][0]["paidOrders"].as_u64() >= Some(3),
    );
    let row = &rows["analytics"][0];
    let funnel = row["funnel"].as_array().expect("funnel");
    let sessions = funnel[0]["count"].as_f64().expect("sessions");
    let paid_step = funnel.last().expect("paid")["count"]
        .as_f64()
        .expect("paid");
    assert!(sessions >= 1.0, "{row}");
    let rate = row["decomposition"]["conversionRate"]
        .as_f64()
        .expect("a rate");
    assert!(
        rate * sessions <= paid_step + 1e-9,
        "orders paid without a session are not conversions: {row}"
    );
}

#[test]
fn an_unreadable_event_stops_the_followers_and_readiness_says_which() {
    use zhuchao_eventstore::{EmbeddedStore, EventStore, ExpectedVersion, Metadata, NewEvent};
    let data = tempfile::tempdir().expect("tempdir");
    {
        let store = EmbeddedStore::open(data.path().join("store")).expect("store");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let stream =
                zhuchao_eventstore::StreamName::new(format!("order-{}", uuid::Uuid::now_v7()))
                    .expect("stream");
            store
                .append(
                    &stream,
                    ExpectedVersion::NoStream,
                    vec![NewEvent {
                        id: uuid::Uuid::now_v7(),
                        event_type: "OrderPlaced".into(),
                        schema_version: 1,
                        payload: "{\"written\": \"by a broken release\"}".into(),
                        metadata: Metadata::new(uuid::Uuid::now_v7(), 1_764_000_000_000),
                    }],
                )
                .await
                .expect("append");
        });
    }
    let server = Server::start(data.path(), false, &[]);
    let ready = || server.http("GET", "/health/ready", &[], "");
    let started = std::time::Instant::now();
    let (status, body) = loop {
        let (status, body) = ready();
        let all = [
            "read models",
            "search index",
            "analytics",
            "process managers",
        ]
        .iter()
        .all(|f| body.contains(f));
        if all || started.elapsed().as_secs() > 20 {
            break (status, body);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(status, 503, "{body}");
    for follower in [
        "read models",
        "search index",
        "analytics",
        "process managers",
    ] {
        assert!(body.contains(follower), "{follower} stopped: {body}");
    }
    let (status, _) = server.http("GET", "/health", &[], "");
    assert_eq!(status, 200, "the store itself answers");
    server.ok(None, "{ now }", json!({}));
}

/// A supplier that applied, had its licence approved and paid its deposit, with one published
/// product of `stock` pieces sold one by one: (token, supplier id, product id).
fn new_active_supplier(server: &Server, n: u32, stock: u64) -> (String, Value, Value) {
    let category = fastener_category(server);
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let code =
        CreditCode::with_check_character(&format!("91330206MA2H{n:04}X")[..17]).expect("code");
    let email = format!("exit{n}@supplier.test");
    let applied = server.mutate(None, "applySupplier",
        &format!("mutation($c: [ID!]!, $code: String!, $e: String!) {{ applySupplier(companyName: \"北仑退出测试{n}号\", creditCode: $code, categoryIds: $c, contactName: \"周经理\", phone: \"13900000002\", email: $e, password: \"exit-2026!\") {{ supplierId userId {RESULT} }} }}"),
        json!({ "c": [category["id"]], "code": code.as_str(), "e": email }));
    let id = applied["supplierId"].clone();
    let token = server.sign_in(&email, "exit-2026!");
    let licence = server.upload(&token, "licence.pdf", &format!("%PDF licence {n}"));
    server.mutate(Some(&token), "submitDocument", &format!("mutation($f: String!) {{ submitDocument(kind: MERGED_LICENCE, file: $f) {{ supplier {{ id }} {RESULT} }} }}"), json!({ "f": licence }));
    server.mutate(Some(&agent), "reviewDocument", &format!("mutation($s: ID!) {{ reviewDocument(supplierId: $s, kind: MERGED_LICENCE, approve: true) {{ supplier {{ id }} {RESULT} }} }}"), json!({ "s": id }));
    server.mutate(Some(&token), "payDeposit", &format!("mutation {{ payDeposit(amount: {{minor: \"2000000\", currency: CNY}}, paymentRef: \"d-{n}\") {{ supplier {{ id }} {RESULT} }} }}"), json!({}));
    let drafted = server.mutate(Some(&token), "draftProduct", &format!("mutation($i: ProductInput!) {{ draftProduct(input: $i) {{ product {{ id }} {RESULT} }} }}"), json!({ "i": {
        "categoryId": category["id"], "brand": "退出", "keyword": "六角螺栓", "name": format!("DIN 933 exit {n}"), "moq": 1, "packSize": 1,
        "tiers": [{ "minQuantity": 1, "unitPrice": cny(100) }], "stock": stock, "leadTimeDays": 3, "shippingCost": cny(0),
        "attributes": [{ "key": "thread", "value": "M8" }, { "key": "length", "value": "30" }, { "key": "material", "value": "A2" }]
    }}));
    let published = server.mutate(
        Some(&token),
        "publishProduct",
        &format!("mutation($p: ID!) {{ publishProduct(id: $p) {{ product {{ id }} {RESULT} }} }}"),
        json!({ "p": drafted["product"]["id"] }),
    );
    server.caught_up(&published["position"]);
    (token, id, drafted["product"]["id"].clone())
}

#[test]
fn a_supplier_exited_while_orders_arrive_keeps_no_order_that_can_be_paid() {
    let (_data, server) = demo(&[]);
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let buyers = [
        server.sign_in("buyer@ningbo-machinery.demo", PASSWORD),
        server.sign_in("buyer@suzhou-automation.demo", PASSWORD),
    ];
    for trial in 0..3 {
        let (_, supplier, product) = new_active_supplier(&server, 10 + trial, 1000);
        let exit = format!("mutation($s: ID!) {{ actOnSupplier(supplierId: $s, measure: EXIT, reason: \"leaves\") {{ supplier {{ id }} {RESULT} }} }}");
        let answers = at_once(33, |i| {
            if i % 11 == 0 {
                server.ok(Some(&agent), &exit, json!({ "s": supplier }))["actOnSupplier"].clone()
            } else {
                place(&server, &buyers[i % 2], &product, 1)
            }
        });
        let exited = answers
            .iter()
            .enumerate()
            .any(|(i, a)| i % 11 == 0 && a["userErrors"] == json!([]));
        if !exited {
            continue;
        }
        // Exited: every order that got through is cancelled or cannot be paid.
        for (i, a) in answers.iter().enumerate() {
            if i % 11 == 0 || a["userErrors"] != json!([]) {
                continue;
            }
            let buyer = &buyers[i % 2];
            let paid = pay(
                &server,
                buyer,
                &a["order"]["id"],
                &format!("exit-{}", a["order"]["id"]),
            );
            assert_ne!(
                paid["userErrors"],
                json!([]),
                "paid an exited supplier: {a}"
            );
            let o = order(&server, buyer, &a["order"]["id"]);
            assert!(
                o["escrow"]["funded"].is_null(),
                "money went into an exited supplier's escrow: {o}"
            );
        }
    }
}
