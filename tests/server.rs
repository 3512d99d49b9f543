//! The `zhuchao` binary as an operator runs it: health, one process per data directory, state
//! kept across a restart, `store verify`, and the SDL in docs/ kept in step with the code.

mod support;

use std::process::Command;

use serde_json::json;
use support::{Server, PASSWORD};

#[test]
fn serve_opens_the_store_and_answers_health_checks() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), false, &[]);
    let (status, body) = server.http("GET", "/health", &[], "");
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(health["status"], "ok");
    assert!(data.path().join("store").join("events.sqlite3").exists());
}

#[test]
fn a_second_server_on_the_same_data_directory_is_refused_clearly() {
    let data = tempfile::tempdir().expect("tempdir");
    let _first = Server::start(data.path(), false, &[]);
    let second = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .output()
        .expect("run a second server");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("in use by another Zhuchao process"),
        "{stderr}"
    );
}

#[test]
fn state_and_sign_ins_survive_a_restart() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let token = server.sign_in("buyer@ningbo-machinery.demo", PASSWORD);
    let before = server.ok(
        Some(&token),
        "{ myOrders(first: 100) { edges { node { id status } } } }",
        json!({}),
    );
    let product = server.ok(
        None,
        "{ products(first: 1, search: {text: \"M8\"}) { edges { node { id moq } } } }",
        json!({}),
    );
    let node = &product["products"]["edges"][0]["node"];
    let placed = server.mutate(
        Some(&token),
        "placeOrder",
        "mutation($p: ID!, $q: Int!) { placeOrder(lines: [{productId: $p, quantity: $q}], address: \"宁波\") { order { id } position userErrors { code message } } }",
        json!({ "p": node["id"], "q": node["moq"].as_u64().expect("moq") * 10 }),
    );
    server.stop();

    let server = Server::start(data.path(), true, &[]);
    let after = server.ok(
        Some(&token),
        "{ myOrders(first: 100) { edges { node { id status } } } }",
        json!({}),
    );
    let count = |v: &serde_json::Value| v["myOrders"]["edges"].as_array().map_or(0, Vec::len);
    assert_eq!(
        count(&after),
        count(&before) + 1,
        "the new order is still there, and nothing was seeded twice"
    );
    let order = server.ok(
        Some(&token),
        "query($id: ID!) { order(id: $id) { id status } }",
        json!({ "id": placed["order"]["id"] }),
    );
    assert_eq!(order["order"]["id"], placed["order"]["id"]);
}

#[test]
fn store_verify_reports_a_healthy_store() {
    let data = tempfile::tempdir().expect("tempdir");
    Server::start(data.path(), false, &[]).stop();
    let verify = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .args(["store", "verify", "--data"])
        .arg(data.path())
        .output()
        .expect("run store verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("all checksums and positions in order")
    );
}

#[test]
fn the_published_schema_matches_the_code() {
    let output = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .arg("schema")
        .output()
        .expect("zhuchao schema");
    let current = String::from_utf8(output.stdout).expect("UTF-8");
    let published =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.graphql"))
            .expect("docs/schema.graphql");
    assert!(
        current == published,
        "docs/schema.graphql is stale: run `cargo run -- schema > docs/schema.graphql`"
    );
}

/// The API's contract holds on its SDL: domain names, enums for every status and kind, `ID`s and
/// `DateTime`s, a payload per mutation — and nothing breaks a client of the last release unless
/// the changelog's "Unreleased" section says so (`web/tests/contract.mjs`).
#[test]
fn the_api_contract_holds_and_breaks_no_client_of_the_last_release() {
    let root = env!("CARGO_MANIFEST_DIR");
    let (schema, released, changelog) = (
        format!("{root}/docs/schema.graphql"),
        format!("{root}/docs/api/1.0.graphql"),
        format!("{root}/CHANGELOG.md"),
    );
    let Some(check) = support::node_script("tests/contract.mjs", &[&schema, &released, &changelog])
    else {
        return;
    };
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(report.contains("0 problems"), "{report}");

    // The check itself fails on a breaking change: a field a client may ask for, removed.
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.graphql");
    let sdl = std::fs::read_to_string(&schema).expect("the SDL");
    std::fs::write(&broken, sdl.replacen("\tnumber: String!\n", "", 1)).expect("written");
    let check = support::node_script(
        "tests/contract.mjs",
        &[broken.to_str().expect("a path"), &released, &changelog],
    )
    .expect("node ran above");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success(), "{report}");
    assert!(report.contains("Order.number was removed"), "{report}");
}

#[test]
fn the_http_edge_refuses_what_it_should() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), false, &[]);
    let query = r#"{"query":"{ now }"}"#;
    let (status, _) = server.http("POST", "/graphql", &[("Content-Type", "text/plain")], query);
    assert_eq!(status, 415, "no form or text posts (CSRF)");
    let (status, _) = server.http(
        "POST",
        "/graphql",
        &[("Content-Type", "application/json")],
        &format!("[{query}]"),
    );
    assert_eq!(status, 400, "no batches");
    let (status, body) = server.http(
        "POST",
        "/graphql",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer forged.1.x"),
        ],
        query,
    );
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("UNAUTHENTICATED"));
    let big = format!(
        r#"{{"query":"{{ now }}","variables":{{"x":"{}"}}}}"#,
        "x".repeat(300 * 1024)
    );
    let (status, _) = server.http(
        "POST",
        "/graphql",
        &[("Content-Type", "application/json")],
        &big,
    );
    assert_eq!(status, 413, "bodies are limited");
    let costly = format!(
        "{{ {} }}",
        (0..6000)
            .map(|i| format!("a{i}: now"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (status, body) = server.http(
        "POST",
        "/graphql",
        &[("Content-Type", "application/json")],
        &json!({ "query": costly }).to_string(),
    );
    assert_eq!(status, 400, "too large: {}", &body[..body.len().min(300)]);
    assert!(
        body.contains("QUERY_TOO_LARGE"),
        "{}",
        &body[..body.len().min(300)]
    );
    let (status, body) = server.http("GET", "/graphql", &[("Accept", "text/html")], "");
    assert_eq!(status, 200);
    assert!(body.contains("graphiql") || body.contains("GraphiQL"));
    let (status, body) = server.http(
        "POST",
        "/graphql",
        &[("Content-Type", "application/json")],
        "{not json",
    );
    assert_eq!(status, 400, "{body}");
}

#[test]
fn reindex_rebuilds_the_same_search_index_from_the_events() {
    let data = tempfile::tempdir().expect("tempdir");
    let query = "{ products(first: 1, search: {text: \"螺栓\"}) { totalCount } }";
    let server = Server::start(data.path(), true, &[]);
    let before = server.ok(None, query, json!({}))["products"]["totalCount"].clone();
    server.stop();
    let reindex = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .args(["reindex", "--data"])
        .arg(data.path())
        .output()
        .expect("run reindex");
    assert!(
        reindex.status.success(),
        "{}",
        String::from_utf8_lossy(&reindex.stderr)
    );
    assert!(String::from_utf8_lossy(&reindex.stderr).contains("100%"));
    let server = Server::start(data.path(), false, &[]);
    assert_eq!(
        server.ok(None, query, json!({}))["products"]["totalCount"],
        before
    );
    assert!(before.as_u64().is_some_and(|n| n > 0));
}

#[test]
fn migrate_copies_a_marketplace_into_another_store_and_resumes() {
    let source = tempfile::tempdir().expect("tempdir");
    let target = tempfile::tempdir().expect("tempdir");
    let query = "{ products(first: 1, search: {text: \"螺栓\"}) { totalCount } }";
    let server = Server::start(source.path(), true, &[]);
    let before = server.ok(None, query, json!({}))["products"]["totalCount"].clone();
    let agent = server.sign_in("agent@zhuchao.demo", "zhuchao-demo");
    let sessions = "query($f: DateTime!, $t: DateTime!) { analytics(from: $f, to: $t, granularity: WEEK) { sessions gmv { minor } } }";
    let range = json!({ "f": support::day(-30), "t": support::day(1) });
    let traffic = server.ok(Some(&agent), sessions, range.clone());
    assert!(traffic["analytics"]
        .as_array()
        .is_some_and(|rows| !rows.is_empty()));
    server.stop();

    let migrate = |to: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_zhuchao"))
            .args(["migrate", "--batch", "700", "--from"])
            .arg(source.path())
            .arg("--to")
            .arg(to)
            .output()
            .expect("run migrate")
    };
    let first = migrate(target.path());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("100%"));
    // Run again: it resumes from its checkpoint and copies nothing twice.
    let again = migrate(target.path());
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("resuming"));
    // Into a store that already holds events, a fresh migration is refused.
    let other = tempfile::tempdir().expect("tempdir");
    let _ = Server::start(other.path(), true, &[]);
    let refused = migrate(other.path());
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already holds events"));

    // The target serves the same marketplace: its projections rebuild from the copied events.
    let verify = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .args(["store", "verify", "--data"])
        .arg(target.path())
        .output()
        .expect("verify");
    assert!(verify.status.success());
    let server = Server::start(target.path(), false, &[]);
    assert_eq!(
        server.ok(None, query, json!({}))["products"]["totalCount"],
        before
    );
    let agent = server.sign_in("agent@zhuchao.demo", "zhuchao-demo");
    assert_eq!(server.ok(Some(&agent), sessions, range), traffic);
}

#[test]
fn uploaded_files_are_kept_by_content_and_shown_only_to_signed_in_users() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let token = server.sign_in("buyer@ningbo-machinery.demo", "zhuchao-demo");
    let bearer = format!("Bearer {token}");
    let (status, _) = server.http(
        "POST",
        "/files",
        &[("x-filename", "licence.pdf")],
        "%PDF-1.4 licence",
    );
    assert_eq!(status, 401, "uploads need a sign-in");
    let (status, body) = server.http(
        "POST",
        "/files",
        &[
            ("Authorization", &bearer),
            ("x-filename", "%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf"),
        ],
        "%PDF-1.4 licence",
    );
    assert_eq!(status, 200, "{body}");
    let reference: serde_json::Value = serde_json::from_str(&body).expect("json");
    let path = reference["ref"].as_str().expect("ref").to_string();
    assert!(
        path.starts_with("/files/") && path.ends_with(".pdf"),
        "{path}"
    );
    // The same bytes again: the same reference.
    let (_, again) = server.http(
        "POST",
        "/files",
        &[("Authorization", &bearer), ("x-filename", "copy.pdf")],
        "%PDF-1.4 licence",
    );
    let again: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(
        again["ref"].as_str().and_then(|r| r.split('/').nth(2)),
        path.split('/').nth(2)
    );

    assert_eq!(
        server.http("GET", &path, &[], "").0,
        401,
        "not for strangers"
    );
    let (status, content) = server.http("GET", &path, &[("Authorization", &bearer)], "");
    assert_eq!((status, content.as_str()), (200, "%PDF-1.4 licence"));
    let cookie = format!("theme=dark; zhuchao_token={token}");
    assert_eq!(
        server.http("GET", &path, &[("Cookie", &cookie)], "").0,
        200,
        "the UI's cookie"
    );
    assert_eq!(
        server
            .http("GET", &path, &[("Cookie", "zhuchao_token=forged")], "")
            .0,
        401
    );
    let not_a_hash = format!("/files/{}/x.pdf", "z".repeat(64));
    assert_eq!(
        server
            .http("GET", &not_a_hash, &[("Authorization", &bearer)], "")
            .0,
        404
    );
}

/// Sends `request` and answers the raw response: its head as text, its body as bytes.
fn raw_exchange(server: &Server, request: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.address).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    (head, response[split + 4..].to_vec())
}

/// Joins the chunks of a chunked body.
fn dechunk_bytes(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&body[..line]).unwrap().trim(), 16)
            .expect("hex size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line + 2..line + 2 + size]);
        body = &body[line + 2 + size + 2..];
    }
}

#[test]
fn answers_travel_compressed_when_the_client_accepts_it() {
    use std::io::Read;
    // Given a marketplace with a catalogue
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(data.path(), true, &[]);
    let query = json!({ "query": "{ products(first: 50) { edges { node { id title tiers { minQuantity unitPrice { formatted } } attributes { key value } } } } }" })
        .to_string();
    let request = |encoding: &str| {
        format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n{encoding}Content-Length: {}\r\n\r\n{query}",
            query.len()
        )
    };
    // When the same query is asked plainly, with gzip and with brotli accepted
    let (plain_head, plain) = raw_exchange(&server, &request(""));
    let (gzip_head, gzip) = raw_exchange(&server, &request("Accept-Encoding: gzip\r\n"));
    let (br_head, br) = raw_exchange(&server, &request("Accept-Encoding: br, gzip\r\n"));
    // Then each answer says how it is encoded, and all three decode to the same document
    assert!(!plain_head.contains("content-encoding"), "{plain_head}");
    let plain = if plain_head.contains("chunked") {
        dechunk_bytes(&plain)
    } else {
        plain
    };
    assert!(gzip_head.contains("content-encoding: gzip"), "{gzip_head}");
    assert!(br_head.contains("content-encoding: br"), "{br_head}");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&dechunk_bytes(&gzip)[..])
        .read_to_end(&mut unzipped)
        .expect("gzip");
    let mut unbrotlied = Vec::new();
    brotli_decompressor::Decompressor::new(&dechunk_bytes(&br)[..], 4096)
        .read_to_end(&mut unbrotlied)
        .expect("brotli");
    assert_eq!(unzipped, plain);
    assert_eq!(unbrotlied, plain);
    // And the compressed forms are a fraction of the plain one
    let document: serde_json::Value = serde_json::from_slice(&plain).expect("json");
    assert!(document["data"]["products"]["edges"]
        .as_array()
        .is_some_and(|e| e.len() == 50));
    assert!(
        gzip.len() * 3 < plain.len(),
        "gzip {} of {}",
        gzip.len(),
        plain.len()
    );
    assert!(
        br.len() * 3 < plain.len(),
        "br {} of {}",
        br.len(),
        plain.len()
    );
}
