//! Search over HTTP against the engine itself: one catalogue (the demo's, then a large one loaded
//! through the bulk import), the same query mix searched in process through the search crate
//! and over HTTP through the real server (the node's router on a TCP port, a keep-alive load
//! generator on its own thread) at 1, 16 and 64 connections. The last line is one JSON object.
//!
//! `cargo run --release -p zhuchao-bench --bin http [-- --products N --seconds S --catalogue demo|large|both]`

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use async_graphql::InputType as _;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zhuchao_app::marketplace::{Marketplace, Settings as MarketSettings};
use zhuchao_app::processes::Processes;
use zhuchao_app::{
    process_store, CommandHandler, Health, SimulatedPayments, SystemClock, UuidV7Ids,
};
use zhuchao_bench::stats::{round, Latencies};
use zhuchao_eventstore::{EmbeddedStore, SharedStore};
use zhuchao_gateway::types::ProductSearchInput;
use zhuchao_search::{SearchIndex, SearchQuery};

/// The selection the web UI asks for a search page.
const SEARCH: &str = "query($s: ProductSearchInput!, $first: Int, $after: String) { products(search: $s, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } facets { key label unit min max values { value count } } categories { count category { id } } edges { node { id title supplierId categoryId moq stock leadTimeDays tiers { minQuantity unitPrice { minor formatted } } attributes { key label value } } } } }";

const IMPORT: &str = "mutation($i: ImportProductsInput!) { importProducts(input: $i) { created failed position rows { outcome error { message } } userErrors { message } } }";
/// Rows per import request, and import requests in flight (two clients, as a supplier's tool
/// and a second one might).
const IMPORT_ROWS: usize = 1_000;
const IMPORT_CLIENTS: usize = 2;
/// The demo suppliers whose catalogues grow to the large one (active, one category each).
const IMPORTERS: [&str; 2] = ["supplier1@zhuchao.demo", "supplier7@zhuchao.demo"];

/// Connections the HTTP rounds use.
const CONNECTIONS: [usize; 3] = [1, 16, 64];
/// Queries of each kind in the mix.
const PER_KIND: usize = 16;

struct Settings {
    products: usize,
    seconds: f64,
    catalogues: Vec<&'static str>,
}

fn settings() -> Result<Settings> {
    let mut s = Settings {
        products: 100_000,
        seconds: 4.0,
        catalogues: vec!["demo", "large"],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow!("{arg} needs a value"));
        match arg.as_str() {
            "--products" => s.products = value()?.parse()?,
            "--seconds" => s.seconds = value()?.parse()?,
            "--catalogue" => {
                s.catalogues = match value()?.as_str() {
                    "demo" => vec!["demo"],
                    "large" => vec!["large"],
                    "both" => vec!["demo", "large"],
                    other => bail!("--catalogue is demo, large or both, not {other}"),
                }
            }
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(s)
}

/// A node serving the demo marketplace on a free port.
struct Server {
    address: SocketAddr,
    search: Arc<SearchIndex>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start_server() -> Result<Server> {
    let dir = tempfile::tempdir()?;
    let store: SharedStore = Arc::new(EmbeddedStore::open(dir.path().join("store"))?);
    let handler = CommandHandler::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let market = Marketplace::new(
        handler,
        MarketSettings::default(),
        Arc::new(SimulatedPayments::default()),
    );
    let mut processes = Processes::new(
        market.clone(),
        Box::new(process_store::open_in(dir.path())?),
    )?;
    zhuchao_gateway::demo::write_sample_files(&dir.path().join("files"))?;
    zhuchao_gateway::demo::seed(&market, &mut processes, &|_| {}).await?;
    tokio::spawn(processes.run(Duration::from_secs(1)));
    let node = zhuchao_gateway::node::start(
        store,
        market,
        dir.path(),
        Duration::from_secs(600),
        Health::default(),
    )
    .await?;
    let app = node.router.layer(axum::middleware::map_response(
        zhuchao_gateway::headers::security_headers,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(zhuchao_gateway::connections::serve(
        listener,
        app,
        async move {
            let _ = stopped.await;
        },
        Duration::from_secs(1),
    ));
    Ok(Server {
        address,
        search: node.search,
        stop: Some(stop),
        _dir: dir,
    })
}

/// One keep-alive HTTP/1.1 connection that posts GraphQL and reads whole responses.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(address: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    /// Sends a prepared request; answers the status and the body.
    async fn send(&mut self, request: &[u8]) -> Result<(u16, &[u8])> {
        self.stream.write_all(request).await?;
        self.buffer.clear();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(i) = find(&self.buffer, b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buffer[..head_end])?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .ok_or_else(|| anyhow!("no status line"))?
            .parse()?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .ok_or_else(|| anyhow!("a response without Content-Length"))?;
        while self.buffer.len() < head_end + length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection mid-body");
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
        Ok((status, &self.buffer[head_end..head_end + length]))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A POST /graphql request, ready to write.
fn request(body: &Value, session: Option<&str>, token: Option<&str>) -> Vec<u8> {
    let body = body.to_string();
    let mut head = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(s) = session {
        head.push_str(&format!("x-zhuchao-session: {s}\r\n"));
    }
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Posts one GraphQL request on a fresh connection and answers its `data`.
async fn graphql(
    address: SocketAddr,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value> {
    let mut c = Connection::open(address).await?;
    let (status, body) = c
        .send(&request(
            &json!({ "query": query, "variables": variables }),
            None,
            token,
        ))
        .await?;
    let v: Value = serde_json::from_slice(body)?;
    if status != 200 || v.get("errors").is_some() {
        bail!("{status}: {v}");
    }
    Ok(v["data"].clone())
}

/// The marketplace's categories, each with `fields`.
async fn categories(address: SocketAddr, fields: &str) -> Result<Vec<Value>> {
    let data = graphql(
        address,
        None,
        &format!("{{ categories(first: 100) {{ nodes {{ {fields} }} }} }}"),
        json!({}),
    )
    .await?;
    Ok(data["categories"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Products the server's index has searchable.
fn searchable(server: &Server) -> Result<usize> {
    let all = SearchQuery {
        first: 1,
        ..Default::default()
    };
    Ok(server.search.search(&all)?.total)
}

/// A small deterministic random source (xorshift), so every run imports the same catalogue.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// CSV quoting: a cell with a comma, a quote or a line break goes in quotes.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// `rows` products of `category` as CSV chunks of `IMPORT_ROWS`, attributes drawn from its schema.
fn catalogue_csv(category: &Value, prefix: &str, rows: usize, dice: &mut Dice) -> Vec<String> {
    const BRANDS: [&str; 6] = ["固力", "东明", "SKF", "SMC", "Bosch", "晋亿"];
    const WORDS: [&str; 8] = [
        "heavy duty",
        "precision",
        "stainless",
        "industrial",
        "standard",
        "high strength",
        "compact",
        "sealed",
    ];
    let attributes = category["attributes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let keys: Vec<&str> = attributes
        .iter()
        .filter_map(|a| a["key"].as_str())
        .collect();
    let header = format!(
        "part_number,brand,keyword,name,moq,pack_size,stock,lead_time_days,tiers,shipping,{}\n",
        keys.join(",")
    );
    let keyword = category["name"]
        .as_str()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let mut chunks = Vec::new();
    let mut csv = header.clone();
    for i in 0..rows {
        let mut values = Vec::new();
        for a in &attributes {
            let required = a["required"].as_bool().unwrap_or(false);
            let value = if !required && dice.below(2) == 0 {
                String::new()
            } else if a["kind"] == "NUMBER" {
                let lo = a["min"].as_f64().unwrap_or(1.0).max(1.0) as usize;
                let hi = a["max"].as_f64().unwrap_or(100.0).min(400.0) as usize;
                (lo + dice.below(hi.saturating_sub(lo) / 5 + 1) * 5)
                    .min(hi)
                    .to_string()
            } else if let Some(choices) = a["values"].as_array().filter(|v| !v.is_empty()) {
                choices[dice.below(choices.len())]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                format!("T{}", dice.below(50))
            };
            values.push(cell(&value));
        }
        let price = 20 + dice.below(5_000);
        let moq = [1, 10, 100][dice.below(3)];
        csv.push_str(&format!(
            "{prefix}-{i:06},{},{},{} {} {i},{moq},1,{},{},{moq}:{}.{:02};{}:{}.{:02},,{}\n",
            BRANDS[dice.below(BRANDS.len())],
            cell(&keyword),
            WORDS[dice.below(WORDS.len())],
            WORDS[dice.below(WORDS.len())],
            dice.below(10_000),
            1 + dice.below(30),
            price / 100,
            price % 100,
            moq * 100,
            price * 9 / 1000,
            price * 9 / 10 % 100,
            values.join(","),
        ));
        if (i + 1) % IMPORT_ROWS == 0 || i + 1 == rows {
            chunks.push(std::mem::replace(&mut csv, header.clone()));
        }
    }
    chunks
}

/// Imports `products` parts through `importProducts` over HTTP, split between the demo's
/// suppliers, and waits until the search finds every one: products a second, end to end.
async fn import_catalogue(server: &Server, products: usize) -> Result<Value> {
    let address = server.address;
    let categories = categories(
        address,
        "id name attributes { key kind values unit min max required }",
    )
    .await?;
    let before = searchable(server)?;
    let mut dice = Dice(0x2545_f491_4f6c_dd1d);
    let mut requests = Vec::new();
    for (n, email) in IMPORTERS.iter().enumerate() {
        let signed = graphql(
            address,
            None,
            "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
            json!({ "e": email, "p": zhuchao_gateway::demo::DEMO_PASSWORD }),
        )
        .await?;
        let token = signed["signIn"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let me = graphql(address, Some(&token), "{ me { supplierId } }", json!({})).await?;
        let supplier = me["me"]["supplierId"].clone();
        let served = graphql(
            address,
            Some(&token),
            "query($id: ID!) { supplier(id: $id) { categoryIds } }",
            json!({ "id": supplier }),
        )
        .await?;
        let category_id = served["supplier"]["categoryIds"][0].clone();
        let category = categories
            .iter()
            .find(|c| c["id"] == category_id)
            .ok_or_else(|| anyhow!("{email} serves no listed category"))?;
        let share = products / IMPORTERS.len() + usize::from(n < products % IMPORTERS.len());
        for csv in catalogue_csv(category, &format!("BX{n}"), share, &mut dice) {
            let body = json!({ "query": IMPORT, "variables": { "i": { "categoryId": category_id, "csv": csv } } });
            requests.push(request(&body, None, Some(&token)));
        }
    }
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..IMPORT_CLIENTS {
        let (requests, next) = (requests.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            let (mut created, mut failed, mut last) = (0u64, 0u64, 0u64);
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(request) = requests.get(i) else {
                    break;
                };
                let (status, body) = connection.send(request).await?;
                let v: Value = serde_json::from_slice(body)?;
                let p = &v["data"]["importProducts"];
                if status != 200 || v.get("errors").is_some() || p["userErrors"] != json!([]) {
                    bail!("import refused: {status} {v}");
                }
                created += p["created"].as_u64().unwrap_or(0);
                failed += p["failed"].as_u64().unwrap_or(0);
                if first_error.is_none() && failed > 0 {
                    first_error = p["rows"]
                        .as_array()
                        .and_then(|r| r.iter().find(|r| r["outcome"] == "FAILED"))
                        .map(|r| r["error"]["message"].clone());
                }
                last = last.max(
                    p["position"]
                        .as_str()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0),
                );
            }
            Ok::<_, anyhow::Error>((created, failed, last, first_error))
        }));
    }
    let (mut created, mut failed, mut last, mut first_error) = (0, 0, 0, None);
    for c in clients {
        let (c, f, l, e) = c.await??;
        created += c;
        failed += f;
        last = last.max(l);
        first_error = first_error.or(e);
    }
    let written = started.elapsed();
    // Searchable: the index holds the last write and counts every new product.
    while server.search.position() < last {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let after = searchable(server)?;
    let searchable = started.elapsed();
    if after != before + created as usize {
        bail!("{after} products searchable, {before} + {created} expected");
    }
    Ok(json!({
        "imported": created,
        "failed": failed,
        "first_error": first_error,
        "written_s": round(written.as_secs_f64(), 2),
        "searchable_s": round(searchable.as_secs_f64(), 2),
        "import_products_per_s": round(created as f64 / searchable.as_secs_f64(), 0),
    }))
}

/// The mix: `PER_KIND` of each kind of search, as the UI sends them (GraphQL variables).
fn mix(index: &SearchIndex, categories: &[Value]) -> Result<Vec<(&'static str, Value)>> {
    let mut browse = Vec::new();
    let mut filtered = Vec::new();
    let mut priced = Vec::new();
    let mut text = Vec::new();
    for c in categories {
        let id = c["id"].as_str().unwrap_or_default().to_string();
        let s = json!({ "categoryId": id });
        let q = to_query(&s, 20)?;
        let found = index.search(&q)?;
        if found.total == 0 {
            continue;
        }
        let words: Vec<String> = found
            .hits
            .iter()
            .flat_map(|h| {
                h.title
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|w| w.chars().count() >= 2 && !w.chars().any(|c| c.is_ascii_digit()))
            .collect();
        let enums: Vec<(String, String)> = found
            .facets
            .iter()
            .filter(|f| f.unit.is_none() && f.values.len() >= 2)
            .map(|f| (f.key.clone(), f.values[0].value.clone()))
            .collect();
        browse.push(json!({ "categoryId": id }));
        priced.push(
            json!({ "categoryId": id, "quantity": 500, "maxPrice": "100000", "sort": "PRICE" }),
        );
        for (i, word) in words.iter().enumerate().step_by(7).take(4) {
            text.push(json!({ "text": word }));
            if enums.len() >= 2 {
                let pick = |k: usize| &enums[(i + k) % enums.len()];
                let (a, b) = (pick(0), pick(1));
                filtered.push(json!({
                    "text": word, "categoryId": id,
                    "values": [{ "key": a.0, "values": [a.1] }, { "key": b.0, "values": [b.1] }],
                }));
            }
        }
    }
    let mut all = Vec::new();
    for (kind, list) in [
        ("text", text),
        ("text_and_filters", filtered),
        ("category_browse", browse),
        ("price_at_quantity", priced),
    ] {
        if list.is_empty() {
            bail!("the catalogue gives no {kind} search");
        }
        all.extend(list.into_iter().cycle().take(PER_KIND).map(|s| (kind, s)));
    }
    Ok(all)
}

/// The search the gateway makes of the same input.
fn to_query(search: &Value, first: i32) -> Result<SearchQuery> {
    let input = ProductSearchInput::parse(Some(async_graphql::Value::from_json(search.clone())?))
        .map_err(|e| anyhow!("{}", e.into_server_error(Default::default()).message))?;
    input
        .into_query(Some(first), None)
        .map_err(|e| anyhow!("{}", e.message))
}

/// Searches the mix in process on every core for `seconds`: searches a second, and the median
/// single search when one thread searches alone.
fn in_process(index: &Arc<SearchIndex>, queries: &[SearchQuery], seconds: f64) -> Value {
    let mut alone = Vec::new();
    for q in queries.iter().cycle().take(queries.len() * 4) {
        let started = Instant::now();
        index.search(q).expect("a search");
        alone.push(started.elapsed());
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (done, stop) = (done.clone(), stop.clone());
            scope.spawn(move || {
                let mut i = t * 7;
                while !stop.load(Ordering::Relaxed) {
                    index.search(&queries[i % queries.len()]).expect("a search");
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    let n = done.load(Ordering::Relaxed) as f64;
    json!({
        "rps": round(n / started.elapsed().as_secs_f64(), 0),
        "threads": threads,
        "p50_ms_alone": round(Latencies::new(alone).percentile_ms(50.0), 3),
    })
}

/// `connections` keep-alive clients posting the mix for `seconds`, on a thread of their own.
fn over_http(
    address: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    connections: usize,
    seconds: f64,
) -> Result<Value> {
    std::thread::spawn(move || -> Result<Value> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let deadline = Instant::now() + Duration::from_secs_f64(seconds);
            let mut clients = Vec::new();
            for c in 0..connections {
                let requests = requests.clone();
                clients.push(tokio::spawn(async move {
                    let mut connection = Connection::open(address).await?;
                    let mut took = Vec::new();
                    let mut i = c * 13;
                    while Instant::now() < deadline {
                        let started = Instant::now();
                        let (status, body) = connection.send(&requests[i % requests.len()]).await?;
                        if status != 200 || find(body, b"\"errors\"").is_some() {
                            bail!("{status}: {}", String::from_utf8_lossy(body));
                        }
                        took.push(started.elapsed());
                        i += 1;
                    }
                    Ok::<_, anyhow::Error>(took)
                }));
            }
            let started = Instant::now();
            let mut all = Vec::new();
            for c in clients {
                all.extend(c.await??);
            }
            let elapsed = started.elapsed().as_secs_f64();
            let n = all.len();
            let l = Latencies::new(all);
            Ok(json!({
                "connections": connections,
                "rps": round(n as f64 / elapsed, 0),
                "p50_ms": round(l.percentile_ms(50.0), 3),
                "p99_ms": round(l.percentile_ms(99.0), 3),
            }))
        })
    })
    .join()
    .map_err(|_| anyhow!("the load generator panicked"))?
}

/// One catalogue: the mix in process and over HTTP; HTTP's totals checked against the engine's.
async fn measure(server: &Server, seconds: f64) -> Result<Value> {
    let address = server.address;
    let categories = categories(address, "id name").await?;
    let mix = mix(&server.search, &categories)?;
    let queries = mix
        .iter()
        .map(|(_, s)| to_query(s, 20))
        .collect::<Result<Vec<_>>>()?;
    let session = graphql(
        address,
        None,
        "mutation { startSession(input: {landingUrl: \"http://127.0.0.1/\"}) { sessionId } }",
        json!({}),
    )
    .await?;
    let session = session["startSession"]["sessionId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // Over HTTP, each search answers what the engine answers.
    let mut bytes = 0;
    for ((kind, s), q) in mix.iter().zip(&queries) {
        let data = graphql(address, None, SEARCH, json!({ "s": s, "first": 20 })).await?;
        bytes += data.to_string().len();
        let total = data["products"]["totalCount"].as_u64();
        let engine = server.search.search(q)?.total as u64;
        if total != Some(engine) {
            bail!("{kind} {s}: {total:?} over HTTP, {engine} in process");
        }
    }
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        mix.iter()
            .map(|(_, s)| {
                request(
                    &json!({ "query": SEARCH, "variables": { "s": s, "first": 20 } }),
                    Some(&session),
                    None,
                )
            })
            .collect(),
    );
    let index = server.search.clone();
    let inprocess =
        tokio::task::spawn_blocking(move || in_process(&index, &queries, seconds)).await?;
    eprintln!("  in process: {inprocess}");
    let mut rounds = Vec::new();
    for connections in CONNECTIONS {
        let r = tokio::task::spawn_blocking({
            let requests = requests.clone();
            move || over_http(address, requests, connections, seconds)
        })
        .await??;
        eprintln!("  over HTTP: {r}");
        rounds.push(r);
    }
    let products = searchable(server)?;
    let by = |c: usize, key: &str| {
        rounds
            .iter()
            .find(|r| r["connections"] == c)
            .and_then(|r| r[key].as_f64())
            .unwrap_or(0.0)
    };
    let rps = inprocess["rps"].as_f64().unwrap_or(0.0);
    Ok(json!({
        "products": products,
        "queries": mix.len(),
        "response_bytes": bytes / mix.len(),
        "inprocess_rps": rps,
        "inprocess_p50_ms": inprocess["p50_ms_alone"],
        "http_rps_1": by(1, "rps"),
        "http_p50_ms_1": by(1, "p50_ms"),
        "http_rps_16": by(16, "rps"),
        "http_p50_ms_16": by(16, "p50_ms"),
        "http_p99_ms_16": by(16, "p99_ms"),
        "http_rps_64": by(64, "rps"),
        "http_p99_ms_64": by(64, "p99_ms"),
        "ratio_http_to_inprocess": round(by(16, "rps") / rps.max(1.0), 3),
    }))
}

fn main() -> Result<()> {
    let settings = settings()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let mut results = serde_json::Map::new();
        for catalogue in &settings.catalogues {
            eprintln!("catalogue {catalogue}: starting a node with the demo marketplace …");
            let server = start_server().await.context("starting the server")?;
            let mut figures = serde_json::Map::new();
            if *catalogue == "large" {
                eprintln!(
                    "catalogue large: importing {} products …",
                    settings.products
                );
                let import = import_catalogue(&server, settings.products).await?;
                eprintln!("  import: {import}");
                figures.extend(import.as_object().cloned().unwrap_or_default());
            }
            figures.extend(
                measure(&server, settings.seconds)
                    .await?
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
            let figures = Value::Object(figures);
            eprintln!("catalogue {catalogue}: {figures}");
            results.insert(catalogue.to_string(), figures);
        }
        let largest = results
            .get("large")
            .or_else(|| results.get("demo"))
            .cloned()
            .unwrap_or_default();
        let mut last = largest.as_object().cloned().unwrap_or_default();
        for (name, figures) in &results {
            last.insert(name.clone(), figures.clone());
        }
        println!("{}", Value::Object(last));
        Ok(())
    })
}
