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
use zhuchao_bench::market_history;
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

/// The design before durable views: every read model folded in memory from event 0.
async fn measure_fold_all(dir: &Path) -> Result<Value> {
    let started = Instant::now();
    let store = open_store(dir)?;
    let head = store.head().await?.as_u64();
    let (_views, mut position) = zhuchao_bench::fold_all::start(store);
    position.wait_for(|p| *p >= head).await?;
    let restart = started.elapsed();
    Ok(json!({
        "restart_ms": restart.as_secs_f64() * 1000.0,
        "rss_mb": rss_mb(),
        "events": head,
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
    views.wait_for(head, Duration::from_secs(3600)).await?;
    let restart = started.elapsed();
    Ok(json!({
        "restart_ms": restart.as_secs_f64() * 1000.0,
        "rss_mb": rss_mb(),
    }))
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
            "fold-all" => measure_fold_all(&dir).await?,
            "rebuild" => measure_rebuild(&dir).await?,
            "restart" => measure_restart(&dir).await?,
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
    let fold_all = in_child("fold-all", &dir)?;
    eprintln!("fold-all (today's design): {fold_all}");
    let rebuild = in_child("rebuild", &dir)?;
    eprintln!("rebuild: {rebuild}");
    let restart = in_child("restart", &dir)?;
    eprintln!("restart: {restart}");
    println!(
        "{}",
        json!({
            "events": history["events"],
            "peer_restart_ms": fold_all["restart_ms"],
            "peer_rss_mb": fold_all["rss_mb"],
            "restart_ms": restart["restart_ms"],
            "rss_mb": restart["rss_mb"],
            "rebuild_events_per_s": rebuild["rebuild_events_per_s"],
        })
    );
    Ok(())
}
