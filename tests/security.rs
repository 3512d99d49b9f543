//! The edge and the accounts tried as an attacker would, over HTTP and WebSocket against the real
//! server: each test is one item of the audit, and fails if the hole is open again.

mod support;

use futures::SinkExt;
use serde_json::{json, Value};
use support::{next_json, Server, PASSWORD, RESULT};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Enumeration: an order of another company (or another supplier) answers exactly like an id
/// that does not exist.
#[test]
fn another_companys_order_answers_as_if_it_did_not_exist() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let owner = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let other = server.sign_in("buyer@suzhou-automation.demo", PASSWORD);
    let rival = server.sign_in("supplier7@zhuchao.demo", PASSWORD);
    let mine = server.ok(
        Some(&owner),
        "{ myOrders(first: 1) { edges { node { id } } } }",
        json!({}),
    );
    let real = mine["myOrders"]["edges"][0]["node"]["id"].clone();
    assert!(real.is_string(), "the demo buyer has orders: {mine}");
    let random = json!("01a23f00-0000-7000-8000-000000000042");
    let cancel = format!(
        "mutation($o: UUID!) {{ cancelOrder(orderId: $o, reason: \"probe\") {{ {RESULT} }} }}"
    );
    for token in [&other, &rival] {
        let probe = |id: &Value| server.gql(Some(token), &cancel, json!({ "o": id }));
        let (on_real, on_random) = (probe(&real), probe(&random));
        assert_eq!(
            on_real["data"]["cancelOrder"]["userErrors"],
            on_random["data"]["cancelOrder"]["userErrors"],
            "{on_real} / {on_random}"
        );
        assert_eq!(
            on_real["data"]["cancelOrder"]["userErrors"][0]["code"],
            "NOT_FOUND"
        );
    }
}

/// What subscribing to `query` answers for a caller signed in with `token`.
async fn subscribe_as(server: &Server, token: &str, query: &str) -> Value {
    let mut request = format!("ws://{}/graphql/ws", server.address)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }).to_string(),
        ))
        .await
        .expect("init");
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }).to_string(),
        ))
        .await
        .expect("subscribe");
    next_json(&mut socket).await
}

/// A signed-in caller of the wrong role is forbidden a subscription, not told to sign in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_for_another_role_is_forbidden_not_unauthenticated() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let (supplier, buyer) = tokio::task::block_in_place(|| {
        (
            server.sign_in("supplier1@zhuchao.demo", PASSWORD),
            server.sign_in("buyer@ningbo-machinery.demo", PASSWORD),
        )
    });
    let quotes = "subscription { quotes(rfqId: \"01a23f00-0000-7000-8000-000000000042\") { id } }";
    let code = |a: &Value| a["payload"]["errors"][0]["extensions"]["code"].clone();
    let answer = subscribe_as(&server, &supplier, quotes).await;
    assert_eq!(code(&answer), "FORBIDDEN", "{answer}");
    let answer = subscribe_as(&server, &buyer, "subscription { rfqInbox { id } }").await;
    assert_eq!(code(&answer), "FORBIDDEN", "{answer}");
}

/// The complexity limit counts page sizes: a hundred-kilobyte request cannot ask for megabytes.
#[test]
fn aliases_of_large_pages_are_refused_as_too_complex() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let aliases: String = (0..1200)
        .map(|i| format!("a{i}: products(first: 100) {{ edges {{ node {{ id }} }} }} "))
        .collect();
    let body = json!({ "query": format!("{{ {aliases} }}") }).to_string();
    assert!(body.len() < 256 * 1024);
    let (status, answer) = server.http(
        "POST",
        "/graphql",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert!(
        answer.len() < 10_000,
        "{status}: {} bytes answered",
        answer.len()
    );
    let answer: Value = serde_json::from_str(&answer).expect("JSON");
    assert!(answer["data"].is_null(), "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("complex")),
        "{answer}"
    );
    // One large page is still fine.
    let page = server.ok(
        None,
        "{ products(first: 100) { edges { node { id title stock moq } } } }",
        json!({}),
    );
    assert_eq!(
        page["products"]["edges"].as_array().map(Vec::len),
        Some(100)
    );
}

/// Clickjacking and sniffing: the UI, the API and uploads may not be framed by other sites, and
/// no answer's type is guessed.
#[test]
fn every_answer_forbids_framing_and_sniffing() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), false, &[]);
    for (method, path, body) in [
        ("GET", "/", ""),
        ("GET", "/graphql", ""),
        ("POST", "/graphql", "{\"query\":\"{ now }\"}"),
        ("GET", "/health", ""),
        ("GET", "/files/x/y", ""),
    ] {
        let (_, headers, _) =
            server.http_with_headers(method, path, &[("Content-Type", "application/json")], body);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            header("x-frame-options"),
            Some("DENY"),
            "{path}: {headers:?}"
        );
        assert!(
            header("content-security-policy").is_some_and(|c| c.contains("frame-ancestors 'none'")),
            "{path}: {headers:?}"
        );
        assert_eq!(header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header("referrer-policy"), Some("no-referrer"), "{path}");
    }
}
