//! The three journeys of a buyer, a supplier and an agent, end to end over HTTP against the real
//! server with the demo marketplace: what each person does, through the one GraphQL endpoint.

mod support;

use serde_json::{json, Value};
use support::{cny, eventually, fastener_category, iso, Server, PASSWORD, RESULT};
use zhuchao_domain::credit_code::CreditCode;

fn product_input(category: &Value, name: &str) -> Value {
    json!({
        "categoryId": category["id"],
        "brand": "固力",
        "keyword": "六角螺栓 hex bolt",
        "name": name,
        "moq": 100,
        "packSize": 50,
        "tiers": [
            { "minQuantity": 100, "unitPrice": cny(45) },
            { "minQuantity": 1000, "unitPrice": cny(38) }
        ],
        "stock": 20000,
        "leadTimeDays": 3,
        "shippingCost": cny(1500),
        "attributes": [
            { "key": "thread", "value": "M8" },
            { "key": "length", "value": "1-1/4 in" },
            { "key": "material", "value": "A2" }
        ]
    })
}

#[test]
fn a_new_supplier_is_verified_sells_a_part_and_is_paid_from_escrow() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let category = fastener_category(&server);

    // A supplier applies with its credit code and submits its licence.
    let code = CreditCode::with_check_character("91330206MA2H0001X").expect("code");
    let applied = server.mutate(None, "applySupplier",
        &format!("mutation($c: [ID!]!, $code: String!) {{ applySupplier(companyName: \"北仑新锐紧固件有限公司\", creditCode: $code, categoryIds: $c, contactName: \"周经理\", phone: \"13900000000\", email: \"sales@xinrui.test\", password: \"xinrui-2026!\") {{ supplierId userId {RESULT} }} }}"),
        json!({ "c": [category["id"]], "code": code.as_str() }));
    let supplier_id = applied["supplierId"].clone();
    let supplier = server.sign_in("sales@xinrui.test", "xinrui-2026!");
    let licence = server.upload(&supplier, "xinrui-licence.pdf", "%PDF-1.4 licence");
    let submitted = server.mutate(Some(&supplier), "submitDocument", &format!("mutation($f: String!) {{ submitDocument(kind: MERGED_LICENCE, file: $f) {{ supplier {{ id }} {RESULT} }} }}"), json!({ "f": licence }));

    // An agent finds it in the review queue and approves the licence.
    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let queue = server.ok(Some(&agent), "query($at: String) { reviewQueue(first: 100, atLeast: $at) { edges { node { id status documents { kind review } } } } }", json!({ "at": submitted["position"] }));
    let queued = queue["reviewQueue"]["edges"]
        .as_array()
        .expect("queue")
        .iter()
        .find(|e| e["node"]["id"] == supplier_id)
        .expect("the new supplier is in the queue")
        .clone();
    assert_eq!(queued["node"]["documents"][0]["review"], "PENDING");
    server.mutate(Some(&agent), "reviewDocument", &format!("mutation($s: ID!) {{ reviewDocument(supplierId: $s, kind: MERGED_LICENCE, approve: true) {{ supplier {{ id }} {RESULT} }} }}"), json!({ "s": supplier_id }));

    // The supplier pays the deposit and goes live with both badges.
    let paid = server.mutate(Some(&supplier), "payDeposit", &format!("mutation {{ payDeposit(amount: {{minor: \"2000000\", currency: CNY}}, paymentRef: \"bank-xinrui-1\") {{ supplier {{ id }} {RESULT} }} }}"), json!({}));
    let profile = server.ok(None, "query($s: ID!, $at: String) { supplier(id: $s, atLeast: $at) { status verified guaranteed documents { kind } } }", json!({ "s": supplier_id, "at": paid["position"] }));
    assert_eq!(profile["supplier"]["status"], "ACTIVE");
    assert_eq!(
        (
            profile["supplier"]["verified"].as_bool(),
            profile["supplier"]["guaranteed"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(
        profile["supplier"]["documents"],
        Value::Null,
        "documents are private"
    );

    // It lists a part in inches; the catalogue stores millimetres.
    let drafted = server.mutate(
        Some(&supplier),
        "draftProduct",
        &format!("mutation($i: ProductInput!) {{ draftProduct(input: $i) {{ product {{ id }} {RESULT} }} }}"),
        json!({ "i": product_input(&category, "新锐 DIN 933 专供") }),
    );
    let product_id = drafted["product"]["id"].clone();
    let published = server.mutate(
        Some(&supplier),
        "publishProduct",
        &format!("mutation($p: ID!) {{ publishProduct(id: $p) {{ product {{ id }} {RESULT} }} }}"),
        json!({ "p": product_id }),
    );

    // A buyer finds it, sees the tier price, and orders (MOQ enforced).
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let found = server.ok(Some(&buyer), "query($at: String) { products(search: {text: \"新锐 DIN 933\"}, atLeast: $at) { edges { node { id title attributes { key value number } } } } }", json!({ "at": published["position"] }));
    let hit = &found["products"]["edges"][0]["node"];
    assert_eq!(hit["id"], product_id);
    let length = hit["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["key"] == "length")
        .expect("length")
        .clone();
    assert_eq!(length["number"].as_f64(), Some(31.75));
    let price = server.ok(
        Some(&buyer),
        "query($p: ID!) { unitPrice(productId: $p, quantity: 1000) { minor } }",
        json!({ "p": product_id }),
    );
    assert_eq!(price["unitPrice"]["minor"], "38");
    let order_mutation = format!("mutation($p: ID!, $q: Int!) {{ placeOrder(lines: [{{productId: $p, quantity: $q}}], address: \"宁波市北仑区 1 号\") {{ order {{ id }} {RESULT} }} }}");
    let too_few = server.ok(
        Some(&buyer),
        &order_mutation,
        json!({ "p": product_id, "q": 50 }),
    );
    assert_eq!(too_few["placeOrder"]["userErrors"][0]["code"], "BELOW_MOQ");
    // A total confirmed at other prices (as if a tier changed since the buyer saw it) places
    // nothing; the total the order comes to now places it.
    let confirmed = format!("mutation($p: ID!, $q: Int!, $t: String!) {{ placeOrder(lines: [{{productId: $p, quantity: $q}}], address: \"宁波市北仑区 1 号\", expectedTotal: {{minor: $t, currency: CNY}}) {{ order {{ id }} {RESULT} }} }}");
    let stale = server.ok(
        Some(&buyer),
        &confirmed,
        json!({ "p": product_id, "q": 1000, "t": "38000" }),
    );
    assert_eq!(
        stale["placeOrder"]["userErrors"][0]["code"], "TOTAL_CHANGED",
        "{stale}"
    );
    assert!(stale["placeOrder"]["order"].is_null());
    let placed = server.mutate(
        Some(&buyer),
        "placeOrder",
        &confirmed,
        json!({ "p": product_id, "q": 1000, "t": "39500" }),
    );
    let order_id = placed["order"]["id"].clone();
    let order_query = "query($o: ID!) { order(id: $o) { status total { minor } escrow { expected { minor } funded { minor } released { minor } } } }";
    let order = eventually(
        &server,
        Some(&buyer),
        order_query,
        json!({ "o": order_id }),
        |d| !d["order"]["escrow"]["expected"].is_null(),
    );
    assert_eq!(
        order["order"]["total"]["minor"], "39500",
        "1,000 × 0.38 + 15.00 shipping"
    );

    // It pays into escrow (a retry with the same key pays once); the supplier ships; the buyer
    // confirms receipt and the escrow is released to the supplier.
    let pay = format!(
        "mutation($o: ID!) {{ payOrder(orderId: $o, idempotencyKey: \"pay-1\") {{ order {{ id }} {RESULT} }} }}"
    );
    server.mutate(Some(&buyer), "payOrder", &pay, json!({ "o": order_id }));
    server.mutate(Some(&buyer), "payOrder", &pay, json!({ "o": order_id }));
    eventually(
        &server,
        Some(&buyer),
        order_query,
        json!({ "o": order_id }),
        |d| d["order"]["status"] == "PAID",
    );
    server.mutate(Some(&supplier), "shipOrder", &format!("mutation($o: ID!) {{ shipOrder(orderId: $o, carrier: \"顺丰速运\", tracking: \"SF7001\") {{ order {{ id }} {RESULT} }} }}"), json!({ "o": order_id }));
    server.mutate(
        Some(&buyer),
        "confirmReceipt",
        &format!(
            "mutation($o: ID!) {{ confirmReceipt(orderId: $o) {{ order {{ id }} {RESULT} }} }}"
        ),
        json!({ "o": order_id }),
    );
    let done = eventually(
        &server,
        Some(&buyer),
        order_query,
        json!({ "o": order_id }),
        |d| d["order"]["status"] == "COMPLETED",
    );
    assert_eq!(done["order"]["escrow"]["funded"]["minor"], "39500");
    assert_eq!(done["order"]["escrow"]["released"]["minor"], "39500");

    // The order's timeline reads step by step, its money's way included.
    let history = server.ok(
        Some(&buyer),
        "query($o: ID!) { order(id: $o) { timeline { kind } } }",
        json!({ "o": order_id }),
    );
    let kinds: Vec<&str> = history["order"]["timeline"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ORDER_PLACED",
            "ESCROW_OPENED",
            "PAYMENT_CAPTURED",
            "ESCROW_FUNDED",
            "ORDER_PAID",
            "ORDER_SHIPPED",
            "ORDER_DELIVERED",
            "ORDER_RECEIVED",
            "ESCROW_RELEASED",
            "ORDER_COMPLETED"
        ]
    );
}

#[test]
fn an_rfq_opens_to_the_pool_after_its_sla_and_an_accepted_quote_becomes_an_order() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &["--rfq-response-sla-secs", "2"]);
    let category = fastener_category(&server);
    let supplier_of = |n: u32| {
        let token = server.sign_in(&format!("supplier{n}@zhuchao.demo"), PASSWORD);
        let me = server.ok(Some(&token), "{ me { supplierId } }", json!({}));
        (token, me["me"]["supplierId"].clone())
    };
    let ((a_token, a), (_, b), (c_token, c)) = (supplier_of(1), supplier_of(2), supplier_of(3));

    let buyer = server.sign_in("buyer@suzhou-automation.demo", PASSWORD);
    let now = server.now();
    let drawing = server.upload(&buyer, "d.pdf", "%PDF-1.4 drawing");
    let created = server.mutate(Some(&buyer), "createRfq", &format!("mutation($i: RfqInput!) {{ createRfq(input: $i) {{ rfq {{ id }} {RESULT} }} }}"), json!({ "i": {
        "title": "非标法兰螺栓 M10×45 Custom flange bolts", "description": "per drawing", "categoryId": category["id"],
        "quantity": 5000, "drawings": [drawing], "deadline": iso(now + 7.0 * 86_400_000.0), "invitedSupplierIds": [a, b]
    }}));
    let rfq = created["rfq"]["id"].clone();
    let valid = now + 5.0 * 86_400_000.0;
    let quote = format!("mutation($r: ID!, $v: DateTime!, $p: String!) {{ submitQuote(rfqId: $r, unitPrice: {{minor: $p, currency: CNY}}, leadTimeDays: 10, validUntil: $v) {{ quote {{ id }} {RESULT} }} }}");
    let early = server.ok(
        Some(&c_token),
        &quote,
        json!({ "r": rfq, "v": iso(valid), "p": "70" }),
    );
    // Not invited, and the pool not open: to c the RFQ does not exist yet.
    assert_eq!(early["submitQuote"]["userErrors"][0]["code"], "NOT_FOUND");

    // Neither a nor b quotes within the SLA: the RFQ opens to the pool, and c finds it in its
    // inbox.
    let inbox = eventually(
        &server,
        Some(&c_token),
        "{ rfqInbox { edges { node { id poolOpen quotes { id } } } } }",
        json!({}),
        |d| {
            d["rfqInbox"]["edges"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|e| e["node"]["id"] == rfq && e["node"]["poolOpen"] == true)
            })
        },
    );
    assert!(
        inbox["rfqInbox"]["edges"]
            .as_array()
            .expect("inbox")
            .iter()
            .all(|e| e["node"]["quotes"].as_array().is_some_and(Vec::is_empty)),
        "sealed: c sees no rival quote"
    );
    let c_quoted = server.mutate(
        Some(&c_token),
        "submitQuote",
        &quote,
        json!({ "r": rfq, "v": iso(valid), "p": "70" }),
    );
    let c_quote = c_quoted["quote"]["id"].clone();
    // An invited supplier may still quote after the pool opened.
    let a_quoted = server.mutate(
        Some(&a_token),
        "submitQuote",
        &quote,
        json!({ "r": rfq, "v": iso(valid), "p": "75" }),
    );
    server.caught_up(&c_quoted["position"]);
    server.caught_up(&a_quoted["position"]);

    // The buyer sees both quotes, counters c's, c revises, the buyer accepts: an order exists.
    let seen = server.ok(
        Some(&buyer),
        "query($r: ID!) { rfq(id: $r) { quotes { supplierId unitPrice { minor } } } }",
        json!({ "r": rfq }),
    );
    assert_eq!(seen["rfq"]["quotes"].as_array().map(Vec::len), Some(2));
    server.mutate(Some(&buyer), "counterOffer", &format!("mutation($q: ID!) {{ counterOffer(quoteId: $q, unitPrice: {{minor: \"66\", currency: CNY}}, note: \"0.66?\") {{ quote {{ id }} {RESULT} }} }}"), json!({ "q": c_quote }));
    server.mutate(Some(&c_token), "reviseQuote", &format!("mutation($q: ID!, $v: DateTime!) {{ reviseQuote(quoteId: $q, unitPrice: {{minor: \"68\", currency: CNY}}, leadTimeDays: 8, validUntil: $v, note: \"0.68\") {{ quote {{ id }} {RESULT} }} }}"), json!({ "q": c_quote, "v": iso(valid) }));
    // Accepting needs a delivery address: without one nothing is decided.
    let nowhere = server.gql(
        Some(&buyer),
        &format!("mutation($q: ID!) {{ acceptQuote(quoteId: $q, address: \" \") {{ order {{ id }} {RESULT} }} }}"),
        json!({ "q": c_quote }),
    );
    assert_eq!(
        nowhere["data"]["acceptQuote"]["userErrors"][0]["message"],
        "a delivery address is required",
        "{nowhere}"
    );
    let accepted = server.mutate(
        Some(&buyer),
        "acceptQuote",
        &format!("mutation($q: ID!) {{ acceptQuote(quoteId: $q, address: \"浙江省宁波市北仑区 1 号\") {{ order {{ id }} {RESULT} }} }}"),
        json!({ "q": c_quote }),
    );
    let order = eventually(
        &server,
        Some(&buyer),
        "query($o: ID!) { order(id: $o) { supplierId total { minor } status address lines { title } } }",
        json!({ "o": accepted["order"]["id"] }),
        |_| true,
    );
    assert_eq!(order["order"]["supplierId"], c);
    assert_eq!(order["order"]["total"]["minor"], (68 * 5000).to_string());
    assert_eq!(order["order"]["address"], "浙江省宁波市北仑区 1 号");
    assert!(
        !order["order"]["lines"][0]["title"]
            .as_str()
            .unwrap_or("RFQ")
            .starts_with("RFQ "),
        "the order is named as the RFQ, not by its id: {order}"
    );
}

#[test]
fn a_dispute_is_argued_by_both_sides_and_ruled_by_an_agent_onto_the_credit_record() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let supplier = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
    let supplier_id =
        server.ok(Some(&supplier), "{ me { supplierId } }", json!({}))["me"]["supplierId"].clone();
    let product = server.ok(None, "query($s: ID!) { products(first: 5, search: {supplierId: $s}) { edges { node { id moq stock } } } }", json!({ "s": supplier_id }));
    let product = product["products"]["edges"]
        .as_array()
        .expect("products")
        .iter()
        .map(|e| e["node"].clone())
        .find(|p| p["stock"].as_u64() > p["moq"].as_u64())
        .expect("one in stock");

    let buyer = server.sign_in("buyer@qingdao-pumps.demo", PASSWORD);
    let placed = server.mutate(Some(&buyer), "placeOrder", &format!("mutation($p: ID!, $q: Int!) {{ placeOrder(lines: [{{productId: $p, quantity: $q}}], address: \"青岛\") {{ order {{ id }} {RESULT} }} }}"), json!({ "p": product["id"], "q": product["moq"] }));
    let order = placed["order"]["id"].clone();
    let order_query = "query($o: ID!) { order(id: $o) { status total { minor } escrow { expected { minor } refunded { minor } released { minor } heldByDisputeId } } }";
    eventually(
        &server,
        Some(&buyer),
        order_query,
        json!({ "o": order }),
        |d| !d["order"]["escrow"]["expected"].is_null(),
    );
    server.mutate(
        Some(&buyer),
        "payOrder",
        &format!(
            "mutation($o: ID!) {{ payOrder(orderId: $o, idempotencyKey: \"k\") {{ order {{ id }} {RESULT} }} }}"
        ),
        json!({ "o": order }),
    );
    eventually(
        &server,
        Some(&buyer),
        order_query,
        json!({ "o": order }),
        |d| d["order"]["status"] == "PAID",
    );
    server.mutate(Some(&supplier), "shipOrder", &format!("mutation($o: ID!) {{ shipOrder(orderId: $o, carrier: \"德邦\", tracking: \"DB1\") {{ order {{ id }} {RESULT} }} }}"), json!({ "o": order }));

    let opened = server.mutate(Some(&buyer), "openDispute", &format!("mutation($o: ID!) {{ openDispute(orderId: $o, reason: NOT_AS_DESCRIBED, statement: \"wrong grade\", claimed: {{minor: \"1000\", currency: CNY}}) {{ dispute {{ id }} {RESULT} }} }}"), json!({ "o": order }));
    let dispute = opened["dispute"]["id"].clone();
    eventually(
        &server,
        Some(&buyer),
        order_query,
        json!({ "o": order }),
        |d| d["order"]["status"] == "DISPUTED",
    );
    let evidence = format!("mutation($d: ID!, $t: String!) {{ addEvidence(disputeId: $d, text: $t) {{ dispute {{ id }} {RESULT} }} }}");
    server.mutate(
        Some(&buyer),
        "addEvidence",
        &evidence,
        json!({ "d": dispute, "t": "photos of the head marking 8.8" }),
    );
    let answered = server.mutate(
        Some(&supplier),
        "addEvidence",
        &evidence,
        json!({ "d": dispute, "t": "material certificate" }),
    );
    server.caught_up(&answered["position"]);

    let agent = server.sign_in("agent@zhuchao.demo", PASSWORD);
    let queue = server.ok(
        Some(&agent),
        "{ disputeQueue { edges { node { id evidence { party } held { minor } } } } }",
        json!({}),
    );
    let case = queue["disputeQueue"]["edges"]
        .as_array()
        .expect("queue")
        .iter()
        .find(|e| e["node"]["id"] == dispute)
        .expect("in the queue")
        .clone();
    assert_eq!(
        case["node"]["evidence"].as_array().map(Vec::len),
        Some(3),
        "the opening statement and both answers"
    );
    let held: i64 = case["node"]["held"]["minor"]
        .as_str()
        .expect("held")
        .parse()
        .expect("number");
    // Taking the case twice (a double click) records it once.
    let assign = format!(
        "mutation($d: ID!) {{ assignDispute(disputeId: $d) {{ dispute {{ id availableActions timeline {{ kind }} }} {RESULT} }} }}"
    );
    server.mutate(
        Some(&agent),
        "assignDispute",
        &assign,
        json!({ "d": dispute }),
    );
    let again = server.mutate(
        Some(&agent),
        "assignDispute",
        &assign,
        json!({ "d": dispute }),
    );
    let taken: Vec<&Value> = again["dispute"]["timeline"]
        .as_array()
        .expect("its history")
        .iter()
        .filter(|e| e["kind"] == "DISPUTE_ASSIGNED")
        .collect();
    assert_eq!(taken.len(), 1, "{again}");
    assert_eq!(again["dispute"]["availableActions"], json!(["RULE"]));
    server.mutate(Some(&agent), "ruleDispute",
        &format!("mutation($d: ID!, $r: String!, $s: String!) {{ ruleDispute(disputeId: $d, refund: {{minor: $r, currency: CNY}}, release: {{minor: $s, currency: CNY}}, warn: true, note: \"marking shows 8.8\") {{ dispute {{ id }} {RESULT} }} }}"),
        json!({ "d": dispute, "r": "1000", "s": (held - 1000).to_string() }));

    let settled = eventually(
        &server,
        Some(&buyer),
        order_query,
        json!({ "o": order }),
        |d| d["order"]["status"] == "RESOLVED",
    );
    assert_eq!(settled["order"]["escrow"]["refunded"]["minor"], "1000");
    assert_eq!(
        settled["order"]["escrow"]["released"]["minor"],
        (held - 1000).to_string()
    );
    let profile = eventually(
        &server,
        None,
        "query($s: ID!) { supplier(id: $s) { warnings creditRecord { kind } } }",
        json!({ "s": supplier_id }),
        // The loss is recorded by the ruling's process, the warning once the supplier's
        // warning event is processed after it: wait for both.
        |d| {
            d["supplier"]["creditRecord"].as_array().is_some_and(|r| {
                r.iter().any(|e| e["kind"] == "DISPUTE_LOST")
                    && r.iter().any(|e| e["kind"] == "WARNING")
            })
        },
    );
    assert_eq!(profile["supplier"]["warnings"], 1);
    assert!(profile["supplier"]["creditRecord"]
        .as_array()
        .expect("record")
        .iter()
        .any(|e| e["kind"] == "WARNING"));

    // The ruled dispute leaves the queue for the agents' record, where its ruling reads back.
    let lists = server.ok(
        Some(&agent),
        "{ waiting: disputeQueue { nodes { id } } decided: disputeQueue(decided: true) { nodes { id orderNumber reason openedAt ruling { refund { minor } release { minor } penalty { minor } warned note byDefault } } } }",
        json!({}),
    );
    assert!(!lists["waiting"]["nodes"]
        .as_array()
        .expect("queue")
        .iter()
        .any(|d| d["id"] == dispute));
    let ruled = lists["decided"]["nodes"]
        .as_array()
        .expect("decided")
        .iter()
        .find(|d| d["id"] == dispute)
        .unwrap_or_else(|| panic!("the ruled dispute is on the record: {lists}"));
    assert_eq!(ruled["ruling"]["refund"]["minor"], "1000");
    assert_eq!(
        ruled["ruling"]["release"]["minor"],
        (held - 1000).to_string()
    );
    assert_eq!(ruled["ruling"]["penalty"], Value::Null);
    assert_eq!(ruled["ruling"]["warned"], true);
    assert_eq!(ruled["ruling"]["note"], "marking shows 8.8");
    assert_eq!(ruled["ruling"]["byDefault"], false);
    assert!(
        ruled["orderNumber"]
            .as_str()
            .is_some_and(|n| n.starts_with("ZC-")),
        "{ruled}"
    );
    assert!(
        ruled["reason"].is_string() && ruled["openedAt"].is_string(),
        "{ruled}"
    );
}

#[test]
fn a_category_speaks_chinese_as_an_admin_translated_it_and_nobody_else_may() {
    // Given the demo catalogue, whose categories come with their Chinese words
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let categories = server.ok(
        None,
        "{ categories { nodes { id name translations { language name labels { key text } values { key value text } } } } }",
        json!({}),
    );
    let bolts = categories["categories"]["nodes"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["name"].as_str().is_some_and(|n| n.contains("Hex bolts")))
        .expect("hex bolts")
        .clone();
    let zh = &bolts["translations"][0];
    assert_eq!(zh["language"], "ZH");
    assert_eq!(zh["name"], "紧固件 › 螺栓 › 六角螺栓");
    assert!(zh["labels"]
        .as_array()
        .expect("labels")
        .contains(&json!({ "key": "thread", "text": "螺纹" })));
    assert!(zh["values"]
        .as_array()
        .expect("values")
        .contains(&json!({ "key": "material", "value": "Carbon steel", "text": "碳钢" })));

    let translate = format!("mutation($id: ID!, $v: [TranslatedValueInput!]!) {{ translateCategory(id: $id, language: ZH, name: \"六角头螺栓\", values: $v) {{ category {{ translations {{ name values {{ value text }} }} }} {RESULT} }} }}");
    let values = json!([{ "key": "material", "value": "Brass", "text": "黄铜" }]);
    // When a buyer tries to translate it, it is refused
    let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let refused = server.gql(
        Some(&buyer),
        &translate,
        json!({ "id": bolts["id"], "v": values }),
    );
    assert!(
        refused["data"]["translateCategory"].is_null()
            || refused["data"]["translateCategory"]["userErrors"][0]["code"].is_string(),
        "{refused}"
    );
    assert!(refused.to_string().contains("FORBIDDEN"), "{refused}");
    // And a value the category does not list is refused with why
    let admin = server.sign_in("admin@zhuchao.demo", PASSWORD);
    let wrong = server.ok(
        Some(&admin),
        &translate,
        json!({ "id": bolts["id"], "v": [{ "key": "material", "value": "Gold", "text": "金" }] }),
    );
    assert_eq!(
        wrong["translateCategory"]["userErrors"][0]["code"],
        "BAD_TRANSLATION"
    );
    assert!(wrong["translateCategory"]["userErrors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("Gold"));
    // Then the admin's translation replaces the earlier one whole
    let done = server.mutate(
        Some(&admin),
        "translateCategory",
        &translate,
        json!({ "id": bolts["id"], "v": values }),
    );
    assert_eq!(done["category"]["translations"][0]["name"], "六角头螺栓");
    assert_eq!(
        done["category"]["translations"][0]["values"],
        json!([{ "value": "Brass", "text": "黄铜" }])
    );
}
