//! Read-side benchmark: a marketplace history of `--events` events (default 1,000,000) is
//! generated once into an embedded store; then each design of the read models is started on it
//! in a process of its own, and measured: time to ready (every stored event reflected), memory
//! after it, and list pages under load.
//!
//! `cargo run --release -p zhuchao-bench --bin readside -- [--events N] [--data DIR]`
//!
//! The generated store is kept in `--data` (default `target/readside-<events>`) and reused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Value};
use zhuchao_bench::{market_history, pages};
use zhuchao_eventstore::{EmbeddedStore, EventStore, SharedStore};

struct Settings {
    events: u64,
    data: Option<PathBuf>,
    /// Run one measurement in this process and print its figures (used by the parent).
    measure: Option<String>,
}

fn settings() -> Result<Settings> {
    let mut s = Settings {
        events: 1_000_000,
        data: None,
        measure: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => s.events = args.next().context("a number")?.parse()?,
            "--data" => s.data = Some(args.next().context("a directory")?.into()),
            "--measure" => s.measure = Some(args.next().context("a measurement")?),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(s)
}

/// The process's resident memory now, in MB.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn open_store(dir: &Path) -> Result<SharedStore> {
    Ok(Arc::new(EmbeddedStore::open(dir.join("store"))?))
}

fn history_of(dir: &Path) -> Result<Value> {
    Ok(serde_json::from_slice(&std::fs::read(
        dir.join("history.json"),
    )?)?)
}

fn uuid_of(v: &Value) -> Result<uuid::Uuid> {
    Ok(v.as_str().context("an id")?.parse()?)
}

/// The demo supplier whose inbox and orders are read.
const SUPPLIER_EMAIL: &str = "supplier1@zhuchao.demo";

/// The design before durable views: every read model folded in memory from event 0, lists
/// made by scanning and sorting.
async fn measure_fold_all(dir: &Path, with_pages: bool) -> Result<Value> {
    use zhuchao_domain::ids::*;
    let history = history_of(dir)?;
    let started = Instant::now();
    let store = open_store(dir)?;
    let head = store.head().await?.as_u64();
    let (views, mut position) = zhuchao_bench::fold_all::start(store.clone());
    position.wait_for(|p| *p >= head).await?;
    let restart = started.elapsed();
    let rss = rss_mb();
    if !with_pages {
        return Ok(json!({
            "restart_ms": restart.as_secs_f64() * 1000.0,
            "rss_mb": rss,
            "events": head,
        }));
    }
    let company = CompanyId(uuid_of(&history["busiest_company"])?);
    let buyer = UserId(uuid_of(&history["busiest_buyer"])?);
    let supplier = views
        .read()
        .await
        .supplier_of(SUPPLIER_EMAIL)
        .context("the demo supplier")?;
    let live = pages::LiveTraffic::start(store, (company, buyer), supplier);
    let mut lists = json!({});
    // The cursor of the deep page, found by walking the pages once.
    async fn deep<T>(
        views: &Arc<tokio::sync::RwLock<zhuchao_bench::fold_all::Views>>,
        page: impl Fn(&zhuchao_bench::fold_all::Views, Option<pages::Key>) -> Vec<(pages::Key, T)>,
    ) -> (Option<pages::Key>, usize) {
        let v = views.read().await;
        let (mut after, mut n) = (None, 1);
        while n < pages::DEEP_PAGE {
            let items = page(&v, after);
            if items.len() < pages::PAGE {
                break;
            }
            after = items.last().map(|(k, _)| *k);
            n += 1;
        }
        (after, n)
    }
    macro_rules! measure {
        ($name:literal, $page:expr) => {{
            let page = $page;
            let (cursor, n) = deep(&views, page).await;
            let mut figures = json!({ "deep_page": n });
            for (which, after) in [("first_page", None), ("deep", cursor)] {
                let views = views.clone();
                figures[which] = pages::under_load(move || {
                    let views = views.clone();
                    async move {
                        let v = views.read().await;
                        std::hint::black_box(page(&v, after));
                        Ok(())
                    }
                })
                .await;
            }
            lists[$name] = figures;
        }};
    }
    measure!("my_orders", move |v: &zhuchao_bench::fold_all::Views,
                                after| v
        .company_orders(company, after));
    measure!("dispute_queue", |v: &zhuchao_bench::fold_all::Views,
                               after| v
        .dispute_queue(after));
    measure!("rfq_inbox", move |v: &zhuchao_bench::fold_all::Views,
                                after| v
        .rfq_inbox(supplier, after));
    let written = live.stop().await?;
    Ok(json!({
        "restart_ms": restart.as_secs_f64() * 1000.0,
        "rss_mb": rss,
        "events": head,
        "pages": lists,
        "live_events_written": written,
    }))
}

/// Durable views: list pages through the GraphQL router, under load, while orders flow in.
async fn measure_pages(dir: &Path) -> Result<Value> {
    use zhuchao_app::marketplace::{Marketplace, Settings};
    use zhuchao_app::{CommandHandler, SimulatedPayments, SystemClock, UuidV7Ids};
    use zhuchao_domain::ids::*;
    let history = history_of(dir)?;
    let store = open_store(dir)?;
    let handler = CommandHandler::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let market = Marketplace::new(
        handler,
        Settings::default(),
        Arc::new(SimulatedPayments::default()),
    );
    let started = Instant::now();
    let node = zhuchao_gateway::node::start(
        store.clone(),
        market,
        dir,
        Duration::from_secs(3600),
        zhuchao_app::Health::default(),
    )
    .await?;
    let node_start = started.elapsed();
    let router = node.router;
    let sign_in = |email: &'static str| {
        let router = router.clone();
        async move {
            let answer = pages::graphql(
                &router,
                None,
                "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token userErrors { message } } }",
                json!({ "e": email, "p": zhuchao_gateway::demo::DEMO_PASSWORD }),
            )
            .await?;
            answer["data"]["signIn"]["token"]
                .as_str()
                .map(String::from)
                .with_context(|| format!("signing in as {email}: {answer}"))
        }
    };
    let agent = sign_in("agent@zhuchao.demo").await?;
    let supplier_token = sign_in(SUPPLIER_EMAIL).await?;
    let company = CompanyId(uuid_of(&history["busiest_company"])?);
    let buyer = UserId(uuid_of(&history["busiest_buyer"])?);
    let tokens = zhuchao_gateway::auth::Tokens::load_or_create(dir)?;
    let buyer_token = tokens
        .issue(buyer, zhuchao_app::ports::Clock::now(&SystemClock))
        .0;
    let live = pages::LiveTraffic::start(
        store,
        (company, buyer),
        SupplierId(uuid_of(&history["busiest_supplier"])?),
    );
    let mut lists = json!({});
    // The floor: a signed-in request that reads nothing but the caller.
    let (r, t) = (router.clone(), buyer_token.clone());
    lists["floor_me"] = pages::under_load(move || {
        let (r, t) = (r.clone(), t.clone());
        async move {
            pages::graphql(&r, Some(&t), "{ me { id } }", json!({})).await?;
            Ok(())
        }
    })
    .await;
    for list in [
        pages::List {
            name: "my_orders",
            field: "myOrders",
            token: buyer_token,
        },
        pages::List {
            name: "dispute_queue",
            field: "disputeQueue",
            token: agent,
        },
        pages::List {
            name: "rfq_inbox",
            field: "rfqInbox",
            token: supplier_token,
        },
    ] {
        lists[list.name] = list.measure(&router).await?;
    }
    let written = live.stop().await?;
    Ok(json!({
        "node_start_ms": node_start.as_secs_f64() * 1000.0,
        "pages": lists,
        "live_events_written": written,
        "rss_mb": rss_mb(),
    }))
}

/// Durable views: dropped and folded again from every event.
async fn measure_rebuild(dir: &Path) -> Result<Value> {
    let store = open_store(dir)?;
    let started = Instant::now();
    let events = zhuchao_views::rebuild(&store, &dir.join("views"), |done, head| {
        eprint!("\r  rebuilding the views: {done} / {head}");
    })
    .await?;
    eprintln!();
    let took = started.elapsed().as_secs_f64();
    Ok(json!({
        "rebuild_s": took,
        "rebuild_events_per_s": events as f64 / took,
        "rss_mb": rss_mb(),
    }))
}

/// Durable views: a node starting on views that reflect every stored event.
async fn measure_restart(dir: &Path) -> Result<Value> {
    let started = Instant::now();
    let store = open_store(dir)?;
    let head = store.head().await?.as_u64();
    let views = zhuchao_views::ViewsHandle::start(store, &dir.join("views"), |e| {
        eprintln!("the views stopped: {e}")
    })?;
    let from = views.position();
    views.wait_for(head, Duration::from_secs(3600)).await?;
    let restart = started.elapsed();
    Ok(json!({
        "restart_ms": restart.as_secs_f64() * 1000.0,
        "caught_up_events": head.saturating_sub(from),
        "events": head,
        "rss_mb": rss_mb(),
    }))
}

/// A whole node (read models, search index, analytics) starting on a data folder whose views
/// it already built: time until it serves queries reflecting every stored event.
async fn measure_node(dir: &Path) -> Result<Value> {
    use zhuchao_app::marketplace::{Marketplace, Settings};
    use zhuchao_app::{CommandHandler, SimulatedPayments, SystemClock, UuidV7Ids};
    let started = Instant::now();
    let store = open_store(dir)?;
    let handler = CommandHandler::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let market = Marketplace::new(
        handler,
        Settings::default(),
        Arc::new(SimulatedPayments::default()),
    );
    let node = zhuchao_gateway::node::start(
        store,
        market,
        dir,
        Duration::from_secs(3600),
        zhuchao_app::Health::default(),
    )
    .await?;
    let ready = started.elapsed();
    drop(node);
    Ok(json!({
        "node_ready_ms": ready.as_secs_f64() * 1000.0,
        "rss_mb": rss_mb(),
    }))
}

/// Empties the kernel's page cache (root only), so the next start reads from the disk.
fn drop_page_cache() -> bool {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// The worst p99 of the lists' first and deep pages.
fn worst_p99(figures: &Value) -> f64 {
    ["my_orders", "dispute_queue", "rfq_inbox"]
        .iter()
        .flat_map(|l| ["first_page", "deep"].map(|p| figures["pages"][l][p]["p99_ms"].as_f64()))
        .flatten()
        .fold(0.0_f64, f64::max)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `measurement` `n` times, each in a fresh process; the figures of each run.
fn runs(measurement: &str, dir: &Path, n: usize) -> Result<Vec<Value>> {
    (0..n).map(|_| in_child(measurement, dir)).collect()
}

fn field(runs: &[Value], key: &str) -> Vec<f64> {
    runs.iter().filter_map(|r| r[key].as_f64()).collect()
}

/// Runs `measurement` in a fresh process of this binary and returns its figures.
fn in_child(measurement: &str, dir: &Path) -> Result<Value> {
    let out = Command::new(std::env::current_exe()?)
        .args(["--measure", measurement, "--data"])
        .arg(dir)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running a measurement")?;
    anyhow::ensure!(out.status.success(), "measurement {measurement} failed");
    let text = String::from_utf8(out.stdout)?;
    let last = text.lines().last().context("no figures")?;
    Ok(serde_json::from_str(last)?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let s = settings()?;
    let dir = s
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/readside-{}", s.events)));
    if let Some(m) = &s.measure {
        let figures = match m.as_str() {
            "fold-all" => measure_fold_all(&dir, false).await?,
            "fold-all-pages" => measure_fold_all(&dir, true).await?,
            "rebuild" => measure_rebuild(&dir).await?,
            "restart" => measure_restart(&dir).await?,
            "pages" => measure_pages(&dir).await?,
            "node" => measure_node(&dir).await?,
            other => anyhow::bail!("unknown measurement {other}"),
        };
        println!("{figures}");
        return Ok(());
    }
    let marker = dir.join("history.json");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        eprintln!("generating {} events into {} …", s.events, dir.display());
        let started = Instant::now();
        let store = open_store(&dir)?;
        let h = market_history::generate(store, s.events, 42).await?;
        let figures = json!({
            "events": h.events,
            "orders": h.orders,
            "rfqs": h.rfqs,
            "disputes": h.disputes,
            "busiest_company": h.busiest_company.0.0,
            "busiest_buyer": h.busiest_company.1.0,
            "busiest_company_orders": h.busiest_company.2,
            "busiest_supplier": h.busiest_supplier.0.0,
            "busiest_supplier_orders": h.busiest_supplier.1,
            "agent": h.agent.0,
            "generated_in_s": started.elapsed().as_secs_f64(),
        });
        std::fs::write(&marker, figures.to_string())?;
        eprintln!("generated: {figures}");
    }
    let history: Value = serde_json::from_slice(&std::fs::read(&marker)?)?;
    eprintln!("history: {history}");
    // Today's design (the peer) and the durable views, alternating, three runs each.
    let mut fold_all = Vec::new();
    let mut restart = Vec::new();
    let rebuild = in_child("rebuild", &dir)?;
    eprintln!("rebuild: {rebuild}");
    for _ in 0..3 {
        fold_all.push(in_child("fold-all", &dir)?);
        eprintln!(
            "fold-all (today's design): {}",
            fold_all.last().expect("run")
        );
        restart.push(in_child("restart", &dir)?);
        eprintln!("restart: {}", restart.last().expect("run"));
    }
    // The whole node: the first start builds its search index and analytics; then restarts.
    let first_node = in_child("node", &dir)?;
    eprintln!("node, first start (search index and analytics built): {first_node}");
    let nodes = runs("node", &dir, 3)?;
    eprintln!("node restarts, warm: {nodes:?}");
    let cold = if drop_page_cache() {
        let views = in_child("restart", &dir)?;
        drop_page_cache();
        let node = in_child("node", &dir)?;
        eprintln!("cold (page cache dropped): views {views}, node {node}");
        Some((views, node))
    } else {
        eprintln!("cold restarts not measured: dropping the page cache needs root");
        None
    };
    // Pages under load while events are written: the peer's (its page functions called in
    // process, no GraphQL) and the node's (GraphQL through the router, signed in).
    let peer_pages = in_child("fold-all-pages", &dir)?;
    eprintln!("fold-all pages: {peer_pages}");
    let pages = in_child("pages", &dir)?;
    eprintln!("pages: {pages}");
    let p99 = worst_p99(&pages);
    println!(
        "{}",
        json!({
            // The store holds what was generated and what earlier runs' live traffic wrote.
            "events": restart[0]["events"],
            "generated_events": history["events"],
            "orders": history["orders"],
            "peer_restart_ms": median(field(&fold_all, "restart_ms")),
            "peer_rss_mb": median(field(&fold_all, "rss_mb")),
            "restart_ms": median(field(&restart, "restart_ms")),
            "restart_cold_ms": cold.as_ref().map(|c| c.0["restart_ms"].clone()),
            "node_restart_ms": median(field(&nodes, "node_ready_ms")),
            "node_restart_cold_ms": cold.as_ref().map(|c| c.1["node_ready_ms"].clone()),
            "rss_mb": median(field(&restart, "rss_mb")),
            "node_rss_mb": median(field(&nodes, "rss_mb")),
            "rebuild_events_per_s": rebuild["rebuild_events_per_s"],
            "list_page_p99_ms": p99,
            "peer_list_page_p99_ms": worst_p99(&peer_pages),
            "speedup_restart": median(field(&fold_all, "restart_ms")) / median(field(&restart, "restart_ms")),
        })
    );
    Ok(())
}
