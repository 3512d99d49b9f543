//! Two gateway nodes on one store, as behind a load balancer: each keeps its own read models,
//! search index and analytics, and a write through one is read through the other by passing the
//! position the write returned (`atLeast`). The store is the embedded one shared in-process (it
//! takes one writer process); with `--store esdb://…` the nodes are separate processes.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zhuchao_app::marketplace::{Marketplace, Settings};
use zhuchao_app::process_store;
use zhuchao_app::processes::Processes;
use zhuchao_app::{CommandHandler, SimulatedPayments, SystemClock, UuidV7Ids};
use zhuchao_eventstore::{EmbeddedStore, SharedStore};

async fn post(address: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let body = support::dechunk(
        response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or(""),
    );
    let value: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert!(value.get("errors").is_none(), "{value}");
    value["data"].clone()
}

async fn node(
    store: &SharedStore,
    market: &Marketplace<SharedStore>,
    dir: &std::path::Path,
) -> String {
    let node = zhuchao_gateway::node::start(
        store.clone(),
        market.clone(),
        dir,
        Duration::from_secs(60),
        zhuchao_app::Health::default(),
    )
    .await
    .expect("node");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    tokio::spawn(async move { axum::serve(listener, node.router).await });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_node_is_read_through_the_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: SharedStore =
        Arc::new(EmbeddedStore::open(dir.path().join("store")).expect("store"));
    let handler = CommandHandler::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let market = Marketplace::new(
        handler,
        Settings::default(),
        Arc::new(SimulatedPayments::default()),
    );
    let mut processes = Processes::new(
        market.clone(),
        Box::new(process_store::open_in(dir.path()).expect("process store")),
    )
    .expect("processes");
    zhuchao_gateway::demo::seed(&market, &mut processes, &|_| {})
        .await
        .expect("demo");

    // Two nodes, each with its own data directory (projections), sharing the token secret.
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let a = node(&store, &market, &a_dir).await;
    std::fs::create_dir_all(&b_dir).expect("b");
    std::fs::copy(a_dir.join("token.secret"), b_dir.join("token.secret"))
        .expect("share the secret");
    let b = node(&store, &market, &b_dir).await;
    assert!(a_dir.join("search").exists() && b_dir.join("search").exists());

    // A supplier signs in on A and lists a part there.
    let signed = post(&a, None, "mutation { signIn(email: \"supplier1@zhuchao.demo\", password: \"zhuchao-demo\") { token } }", json!({})).await;
    let token = signed["signIn"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let categories = post(&b, None, "{ categories { nodes { id name } } }", json!({})).await;
    let bolts = categories["categories"]["nodes"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["name"].as_str().is_some_and(|n| n.contains("Hex bolts")))
        .expect("hex bolts")["id"]
        .clone();
    let input = json!({
        "categoryId": bolts, "brand": "跨节点", "keyword": "六角螺栓", "name": "NODE-XR-7",
        "moq": 100, "packSize": 100, "stock": 1000, "leadTimeDays": 3,
        "shippingCost": { "minor": "0", "currency": "CNY" },
        "tiers": [{ "minQuantity": 100, "unitPrice": { "minor": "120", "currency": "CNY" } }],
        "attributes": [{ "key": "thread", "value": "M8" }, { "key": "length", "value": "30 mm" }, { "key": "material", "value": "A2" }]
    });
    let drafted = post(&a, Some(&token), "mutation($i: ProductInput!) { draftProduct(input: $i) { product { id } position userErrors { code } } }", json!({ "i": input })).await;
    let id = drafted["draftProduct"]["product"]["id"].clone();
    let published = post(
        &a,
        Some(&token),
        "mutation($id: ID!) { publishProduct(id: $id) { position userErrors { code } } }",
        json!({ "id": id }),
    )
    .await;
    let position = published["publishProduct"]["position"].clone();
    assert!(position.is_string(), "{published}");

    // B's own search index finds it once B has reached the position A wrote at, and B accepts
    // A's token (the shared secret).
    let found = post(
        &b,
        Some(&token),
        "query($p: String) { products(search: {text: \"NODE-XR-7\"}, atLeast: $p) { totalCount } myProducts(first: 100, atLeast: $p) { nodes { id status } } }",
        json!({ "p": position }),
    )
    .await;
    assert_eq!(found["products"]["totalCount"], 1, "{found}");
    assert!(found["myProducts"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .any(|p| p["id"] == id && p["status"] == "PUBLISHED"));
}
