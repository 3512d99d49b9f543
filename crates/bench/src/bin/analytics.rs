//! Analytics benchmark: 10,000,000 generated traffic events (two months of a busy marketplace)
//! folded by the analytics projection from their stored form (JSON payloads), then funnel
//! queries by day × source over 30-day windows. The peer: the same funnel recomputed from the
//! raw events without a projection (the way an ad-hoc query over an events table works).
//! Last line: JSON.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use uuid::Uuid;
use zhuchao_analytics::sample::{sample_traffic, SampleProduct};
use zhuchao_analytics::{
    AnalyticsProjection, Dimension, Filter, Granularity, TrafficEvent, TRAFFIC_KIND,
};
use zhuchao_bench::stats::{median, round, Latencies};
use zhuchao_eventstore::{Metadata, Position, RecordedEvent, StreamName};

const DAY: i64 = 86_400_000;
const START: i64 = 1_767_225_600_000; // 2026-01-01 UTC

fn catalogue() -> Vec<SampleProduct> {
    (0..5_000u64)
        .map(|i| SampleProduct {
            id: Uuid::from_u64_pair(1, i),
            category: Uuid::from_u64_pair(2, i % 50),
            supplier: Uuid::from_u64_pair(3, i % 400),
            unit_price: 50 + (i as i64 * 37) % 5_000,
            moq: [10, 50, 100, 500][(i % 4) as usize],
            title: format!("P{i}"),
        })
        .collect()
}

/// What the peer keeps of each event: session, kind (0 start, 1–5 funnel steps, 9 other), time.
struct Raw {
    session: u32,
    kind: u8,
    at: i64,
    source: u8,
}

fn main() -> anyhow::Result<()> {
    let target: u64 = std::env::var("ZHUCHAO_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let days: i64 = 60;
    let window_days: i64 = 6;
    let products = catalogue();
    // Events per session average about 6; weekends are quieter.
    let per_day = (target as f64 / 5.9 / (days as f64 * 0.79)) as u64;
    eprintln!("generating and ingesting ~{target} events ({per_day} weekday sessions a day) …");

    let projection = AnalyticsProjection::in_memory();
    let mut ingest = Duration::ZERO;
    let mut decode_only = Duration::ZERO;
    let mut events = 0u64;
    let mut position = 0u64;
    let mut raw: Vec<Raw> = Vec::with_capacity(target as usize + target as usize / 10);
    let mut sessions: HashMap<Uuid, u32> = HashMap::new();
    let sources = ["direct", "organic", "paid", "referral", "campaign"];
    let mut w = 0;
    while w * window_days < days && events < target {
        let from = START + w * window_days * DAY;
        let traffic = sample_traffic(w as u64, from, from + window_days * DAY, per_day, &products);
        // Stored form: batches of 2,000 in their own streams, as the recorder writes them.
        let recorded: Vec<RecordedEvent> = traffic
            .iter()
            .enumerate()
            .map(|(i, e)| {
                position += 1;
                RecordedEvent {
                    id: Uuid::from_u64_pair(9, position),
                    stream: StreamName::new(format!(
                        "{TRAFFIC_KIND}-{}",
                        Uuid::from_u64_pair(w as u64, i as u64 / 2_000)
                    ))
                    .expect("stream"),
                    version: i as u64 % 2_000,
                    position: Position::from_u64(position),
                    event_type: e.event_type().into(),
                    schema_version: 1,
                    payload: e.to_payload(),
                    metadata: Metadata::new(Uuid::nil(), e.at()),
                }
            })
            .collect();
        let t = Instant::now();
        for chunk in recorded.chunks(10_000) {
            projection.apply(chunk)?;
        }
        ingest += t.elapsed();
        let t = Instant::now();
        for r in &recorded {
            std::hint::black_box(TrafficEvent::from_payload(&r.payload)?);
        }
        decode_only += t.elapsed();
        for e in &traffic {
            let next = sessions.len() as u32;
            let session = *sessions.entry(e.session()).or_insert(next);
            let (kind, source) = match e {
                TrafficEvent::SessionStarted { source, .. } => (
                    0,
                    sources
                        .iter()
                        .position(|s| *s == source.kind())
                        .unwrap_or(0) as u8,
                ),
                TrafficEvent::Searched { .. } => (1, 0),
                TrafficEvent::ProductViewed { .. } => (2, 0),
                TrafficEvent::AddedToCart { .. } | TrafficEvent::RfqSent { .. } => (3, 0),
                TrafficEvent::OrderPlaced { .. } => (4, 0),
                TrafficEvent::PaymentMade { .. } => (5, 0),
                _ => (9, 0),
            };
            raw.push(Raw {
                session,
                kind,
                at: e.at(),
                source,
            });
        }
        events += recorded.len() as u64;
        eprintln!(
            "  {events} events, ingest {:.0}/s so far",
            events as f64 / ingest.as_secs_f64()
        );
        w += 1;
    }
    let ingest_per_s = events as f64 / ingest.as_secs_f64();
    let decode_per_s = events as f64 / decode_only.as_secs_f64();

    // Funnel by day × source over 30-day windows: 200 queries at different starts.
    let mut latencies = Vec::new();
    let mut rows = 0;
    for q in 0..200 {
        let from = START + (q % 30) * DAY;
        let t = Instant::now();
        let report = projection.read().report(
            from,
            from + 30 * DAY,
            Granularity::Day,
            Dimension::Source,
            &Filter::default(),
            false,
        );
        latencies.push(t.elapsed());
        rows = report.len();
        std::hint::black_box(report);
    }
    let latency = Latencies::new(latencies);
    eprintln!(
        "funnel by day × source over 30 days: {rows} rows, p50 {:.2} ms, p99 {:.2} ms",
        latency.percentile_ms(50.0),
        latency.percentile_ms(99.0)
    );

    // The peer: the same answer from the raw events, three runs.
    let mut peer = Vec::new();
    let mut same = true;
    for q in 0..3 {
        let from = START + q * DAY;
        let to = from + 30 * DAY;
        let t = Instant::now();
        let mut started: HashMap<u32, (i64, u8, u8)> = HashMap::new(); // day, source, steps
        for r in &raw {
            if r.kind == 0 && r.at >= from && r.at < to {
                started.insert(r.session, (r.at.div_euclid(DAY), r.source, 0));
            }
        }
        for r in &raw {
            if (1..=5).contains(&r.kind) {
                if let Some(s) = started.get_mut(&r.session) {
                    s.2 |= 1 << (r.kind - 1);
                }
            }
        }
        let mut funnel: HashMap<(i64, u8), [u64; 6]> = HashMap::new();
        for (day, source, steps) in started.values() {
            let row = funnel.entry((*day, *source)).or_default();
            row[0] += 1;
            for (i, cell) in row.iter_mut().enumerate().skip(1) {
                *cell += u64::from(steps & (1 << (i - 1)) != 0);
            }
        }
        peer.push(t.elapsed().as_secs_f64() * 1000.0);
        let ours = projection.read().report(
            from,
            to,
            Granularity::Day,
            Dimension::Source,
            &Filter::default(),
            false,
        );
        let ours: HashMap<(i64, u8), [u64; 6]> = ours
            .iter()
            .map(|r| {
                let mut c = [0u64; 6];
                for (i, s) in r.funnel.iter().enumerate() {
                    c[i] = s.count;
                }
                (
                    (
                        r.bucket.div_euclid(DAY),
                        sources.iter().position(|s| *s == r.key).unwrap_or(99) as u8,
                    ),
                    c,
                )
            })
            .filter(|(_, c)| c[0] > 0)
            .collect();
        same &= ours == funnel;
    }
    let peer_ms = median(peer);
    eprintln!("peer (funnel recomputed from raw events): {peer_ms:.1} ms; answers equal: {same}");
    let p50 = latency.percentile_ms(50.0);
    println!(
        "{}",
        serde_json::json!({
            "events": events,
            "ingest_events_per_s": round(ingest_per_s, 0),
            "decode_only_events_per_s": round(decode_per_s, 0),
            "funnel_query_p50_ms": round(p50, 3),
            "funnel_query_p99_ms": round(latency.percentile_ms(99.0), 3),
            "peer_raw_funnel_ms": round(peer_ms, 1),
            "speedup_vs_raw": round(peer_ms / p50.max(1e-6), 0),
            "results_equal": same,
        })
    );
    Ok(())
}
