//! Subscriptions over WebSocket (graphql-transport-ws) against the real server: a supplier is told
//! of a new RFQ in its inbox the moment a buyer sends it, and a cross-origin upgrade is refused.

mod support;

use std::time::Duration;

use futures::SinkExt;
use serde_json::json;
use support::{iso, next_json, Server, PASSWORD};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplier_hears_of_a_new_rfq_in_its_inbox() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let (supplier_token, supplier_id, category, buyer) = tokio::task::block_in_place(|| {
        let supplier_token = server.sign_in("supplier1@zhuchao.demo", PASSWORD);
        let me = server.ok(Some(&supplier_token), "{ me { supplierId } }", json!({}));
        let profile = server.ok(
            None,
            "query($s: ID!) { supplier(id: $s) { categoryIds } }",
            json!({ "s": me["me"]["supplierId"] }),
        );
        let buyer = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
        (
            supplier_token,
            me["me"]["supplierId"].clone(),
            profile["supplier"]["categoryIds"][0].clone(),
            buyer,
        )
    });

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
    socket.send(Message::text(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {supplier_token}") } }).to_string())).await.expect("init");
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
        .send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { rfqInbox { id title slaMsLeft } }" } }).to_string()))
        .await
        .expect("subscribe");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let rfq = tokio::task::block_in_place(|| {
        let now = server.now();
        server.mutate(Some(&buyer), "createRfq", "mutation($i: RfqInput!) { createRfq(input: $i) { rfq { id } userErrors { code } } }", json!({ "i": {
            "title": "实时推送 live inbox", "categoryId": category, "quantity": 10, "deadline": iso(now + 3.0 * 86_400_000.0), "invitedSupplierIds": [supplier_id]
        }}))["rfq"]["id"].clone()
    });
    let next = next_json(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["payload"]["data"]["rfqInbox"]["id"], rfq);
    assert!(next["payload"]["data"]["rfqInbox"]["slaMsLeft"]
        .as_f64()
        .is_some_and(|ms| ms > 0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_origin_websocket_is_refused() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), false, &[]);
    let mut request = format!("ws://{}/graphql/ws", server.address)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    request
        .headers_mut()
        .insert("Origin", "http://evil.example".parse().expect("header"));
    let refused = tokio_tungstenite::connect_async(request).await;
    assert!(refused.is_err(), "the upgrade must be refused");
}
