//! Event-store benchmark: 16 concurrent writers append 1 KiB events, one event per durable append,
//! each to its own stream with an exact expected version (as command handlers do); then a full
//! read-all replay. The same workload runs against a plain PostgreSQL events table in the same run.
//! The last line printed is one JSON object with the figures (medians over the rounds).
//!
//! `cargo run --release -p zhuchao-bench --bin eventstore -- [--events-per-writer N] [--rounds N] [--no-postgres] [--drop-caches]`
//!
//! `--drop-caches` (root only) empties the kernel's page cache before the store is opened again, so
//! that the second replay reads the log from the disk.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::json;
use uuid::Uuid;
use zhuchao_bench::postgres::Postgres;
use zhuchao_bench::stats::{median, round, Latencies};
use zhuchao_eventstore::{
    EmbeddedStore, EventStore, ExpectedVersion, Metadata, NewEvent, Position, StreamName,
};

const WRITERS: usize = 16;
/// A second, busier load: a gateway serving many requests at once.
const MANY_WRITERS: usize = 64;
const EVENT_BYTES: usize = 1024;

struct Settings {
    events_per_writer: usize,
    rounds: usize,
    postgres: bool,
    drop_caches: bool,
}

fn settings() -> Result<Settings> {
    let mut s = Settings {
        events_per_writer: 10_000,
        rounds: 3,
        postgres: true,
        drop_caches: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events-per-writer" => {
                s.events_per_writer = args.next().context("a number")?.parse()?
            }
            "--rounds" => s.rounds = args.next().context("a number")?.parse()?,
            "--no-postgres" => s.postgres = false,
            "--drop-caches" => s.drop_caches = true,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(s)
}

/// A 1 KiB JSON body, the size of a typical order or quote event.
fn payload(n: usize) -> String {
    let head = format!("{{\"n\":{n},\"sku\":\"HB-M8x30-A2\",\"filler\":\"");
    let fill = EVENT_BYTES - head.len() - 2;
    format!("{head}{}\"}}", "x".repeat(fill))
}

fn new_event(n: usize, body: &str) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: "BenchAppended".into(),
        schema_version: 1,
        payload: body.to_string(),
        metadata: Metadata::new(Uuid::new_v4(), n as i64).by("bench"),
    }
}

struct Run {
    append_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    replay_per_s: f64,
    /// Embedded only: milliseconds to open the store again, and a replay then (from the log and
    /// the index alone, nothing left in memory).
    reopen: Option<(f64, f64)>,
}

async fn embedded_round(settings: &Settings, writers: usize) -> Result<Run> {
    let dir = tempfile::Builder::new()
        .prefix("zhuchao-bench-")
        .tempdir()?;
    let store = EmbeddedStore::open(dir.path())?;
    let started = Instant::now();
    let writers: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            let count = settings.events_per_writer * WRITERS / writers;
            tokio::spawn(async move {
                let stream = StreamName::new(format!("bench-{w}"))?;
                let body = payload(w);
                let mut latencies = Vec::with_capacity(count);
                for n in 0..count {
                    let expected = match n {
                        0 => ExpectedVersion::NoStream,
                        n => ExpectedVersion::Exact(n as u64 - 1),
                    };
                    let t = Instant::now();
                    store
                        .append(&stream, expected, vec![new_event(n, &body)])
                        .await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in writers {
        all.extend(w.await??);
    }
    let elapsed = started.elapsed();
    let total = all.len();
    let latencies = Latencies::new(all);

    let (replayed, replay) = replay_all(&store).await?;
    anyhow::ensure!(replayed == total, "replayed {replayed} of {total} events");
    drop(store);
    if settings.drop_caches {
        std::process::Command::new("sync").status()?;
        std::fs::write("/proc/sys/vm/drop_caches", "3")
            .context("--drop-caches needs root (writing /proc/sys/vm/drop_caches)")?;
    }
    let started = Instant::now();
    let store = EmbeddedStore::open(dir.path())?;
    let reopen_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (again, replay_again) = replay_all(&store).await?;
    anyhow::ensure!(
        again == total,
        "replayed {again} of {total} events after reopening"
    );
    Ok(Run {
        append_per_s: total as f64 / elapsed.as_secs_f64(),
        p50_ms: latencies.percentile_ms(50.0),
        p99_ms: latencies.percentile_ms(99.0),
        replay_per_s: replayed as f64 / replay,
        reopen: Some((reopen_ms, again as f64 / replay_again)),
    })
}

/// Replays the whole store through `read_all`; returns the events and the seconds it took.
async fn replay_all(store: &EmbeddedStore) -> Result<(usize, f64)> {
    let started = Instant::now();
    let mut after = Position::START;
    let mut replayed = 0usize;
    loop {
        let page = store.read_all(after, 4096).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        replayed += page.len();
    }
    Ok((replayed, started.elapsed().as_secs_f64()))
}

const PG_SCHEMA: &str = "
DROP TABLE IF EXISTS events;
CREATE TABLE events (
    position       bigserial PRIMARY KEY,
    id             uuid   NOT NULL UNIQUE,
    stream         text   NOT NULL,
    version        bigint NOT NULL,
    event_type     text   NOT NULL,
    schema_version int    NOT NULL,
    payload        jsonb  NOT NULL,
    metadata       jsonb  NOT NULL,
    UNIQUE (stream, version)
);";

/// Lets the disk go quiet before a round, so that neither store pays for the other's write-back:
/// PostgreSQL checkpoints, every dirty page of the machine is written out, then a pause.
async fn settle(pg_url: Option<&str>) -> Result<()> {
    if let Some(url) = pg_url {
        pg_connect(url).await?.batch_execute("CHECKPOINT").await?;
    }
    let synced = std::process::Command::new("sync").status()?;
    anyhow::ensure!(synced.success(), "sync failed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(())
}

async fn pg_connect(url: &str) -> Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("postgres connection: {e}");
        }
    });
    Ok(client)
}

async fn postgres_round(settings: &Settings, writers: usize, url: &str) -> Result<Run> {
    pg_connect(url).await?.batch_execute(PG_SCHEMA).await?;
    let url = Arc::new(url.to_string());
    let started = Instant::now();
    let writers: Vec<_> = (0..writers)
        .map(|w| {
            let url = url.clone();
            let count = settings.events_per_writer * WRITERS / writers;
            tokio::spawn(async move {
                let client = pg_connect(&url).await?;
                let insert = client
                    .prepare(
                        "INSERT INTO events (id, stream, version, event_type, schema_version, \
                         payload, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING position",
                    )
                    .await?;
                let stream = format!("bench-{w}");
                let body: serde_json::Value = serde_json::from_str(&payload(w))?;
                let mut latencies = Vec::with_capacity(count);
                for n in 0..count {
                    let e = new_event(n, "{}");
                    let metadata = serde_json::to_value(&e.metadata)?;
                    let t = Instant::now();
                    client
                        .query_one(
                            &insert,
                            &[
                                &e.id,
                                &stream,
                                &(n as i64),
                                &e.event_type,
                                &1i32,
                                &body,
                                &metadata,
                            ],
                        )
                        .await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in writers {
        all.extend(w.await??);
    }
    let elapsed = started.elapsed();
    let total = all.len();
    let latencies = Latencies::new(all);

    let client = pg_connect(&url).await?;
    let page = client
        .prepare(
            "SELECT position, id, stream, version, event_type, schema_version, payload::text, \
             metadata::text FROM events WHERE position > $1 ORDER BY position LIMIT 4096",
        )
        .await?;
    let started = Instant::now();
    let (mut after, mut replayed) = (0i64, 0usize);
    loop {
        let rows = client.query(&page, &[&after]).await?;
        let Some(last) = rows.last() else { break };
        after = last.get(0);
        for row in &rows {
            let _: (Uuid, String, i64, String, i32, String, String) = (
                row.get(1),
                row.get(2),
                row.get(3),
                row.get(4),
                row.get(5),
                row.get(6),
                row.get(7),
            );
        }
        replayed += rows.len();
    }
    let replay = started.elapsed();
    anyhow::ensure!(replayed == total, "replayed {replayed} of {total} rows");
    Ok(Run {
        append_per_s: total as f64 / elapsed.as_secs_f64(),
        p50_ms: latencies.percentile_ms(50.0),
        p99_ms: latencies.percentile_ms(99.0),
        replay_per_s: replayed as f64 / replay.as_secs_f64(),
        reopen: None,
    })
}

fn summarise(runs: &[Run]) -> (f64, f64, f64, f64) {
    (
        median(runs.iter().map(|r| r.append_per_s).collect()),
        median(runs.iter().map(|r| r.p50_ms).collect()),
        median(runs.iter().map(|r| r.p99_ms).collect()),
        median(runs.iter().map(|r| r.replay_per_s).collect()),
    )
}

fn report(round_no: usize, store: &str, writers: usize, run: &Run) {
    eprintln!(
        "round {round_no} {store} ({writers} writers): {:.0} appends/s, p50 {:.2} ms, p99 {:.2} ms, \
         replay {:.0} events/s",
        run.append_per_s, run.p50_ms, run.p99_ms, run.replay_per_s
    );
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[tokio::main]
async fn main() -> Result<()> {
    let settings = settings()?;
    let postgres = if settings.postgres {
        match Postgres::start(free_port()?) {
            Ok(pg) => Some(pg),
            Err(e) => {
                eprintln!("PostgreSQL peer unavailable: {e:#}");
                None
            }
        }
    } else {
        None
    };
    let (mut embedded, mut peer, mut embedded_many, mut peer_many) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Rounds alternate between the two stores so that machine noise falls on both alike.
    for round_no in 1..=settings.rounds {
        for (writers, mine, theirs) in [
            (WRITERS, &mut embedded, &mut peer),
            (MANY_WRITERS, &mut embedded_many, &mut peer_many),
        ] {
            let pg_url = postgres.as_ref().map(|pg| pg.connection_string());
            settle(pg_url.as_deref()).await?;
            let run = embedded_round(&settings, writers).await?;
            report(round_no, "embedded", writers, &run);
            mine.push(run);
            if let Some(url) = &pg_url {
                settle(pg_url.as_deref()).await?;
                let run = postgres_round(&settings, writers, url).await?;
                report(round_no, "postgres", writers, &run);
                theirs.push(run);
            }
        }
    }
    let (append, p50, p99, replay) = summarise(&embedded);
    let mut figures = json!({
        "writers": WRITERS,
        "event_bytes": EVENT_BYTES,
        "events_per_round": WRITERS * settings.events_per_writer,
        "rounds": settings.rounds,
        "append_events_per_s": round(append, 0),
        "append_p50_ms": round(p50, 3),
        "append_p99_ms": round(p99, 3),
        "replay_events_per_s": round(replay, 0),
        "append_events_per_s_64_writers": round(summarise(&embedded_many).0, 0),
        "reopen_ms": round(median(embedded.iter().filter_map(|r| r.reopen.map(|o| o.0)).collect()), 1),
        "replay_after_reopen_events_per_s": round(median(embedded.iter().filter_map(|r| r.reopen.map(|o| o.1)).collect()), 0),
    });
    if !peer.is_empty() {
        let (pg_append, pg_p50, pg_p99, pg_replay) = summarise(&peer);
        figures["pg_append_events_per_s"] = json!(round(pg_append, 0));
        figures["pg_append_p50_ms"] = json!(round(pg_p50, 3));
        figures["pg_append_p99_ms"] = json!(round(pg_p99, 3));
        figures["pg_replay_events_per_s"] = json!(round(pg_replay, 0));
        figures["append_ratio_vs_pg"] = json!(round(append / pg_append, 2));
        figures["replay_ratio_vs_pg"] = json!(round(replay / pg_replay, 2));
        figures["pg_append_events_per_s_64_writers"] = json!(round(summarise(&peer_many).0, 0));
    } else {
        figures["pg_append_events_per_s"] = serde_json::Value::Null;
    }
    println!("{figures}");
    Ok(())
}
