//! The analytics answers against the truth: a generated month of traffic goes through the
//! projection, and the funnel, basket value, GMV decomposition, visitors and category figures
//! are checked against a naive recomputation over the raw events; a rebuild in other batch sizes,
//! through a saved checkpoint, gives identical answers.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use uuid::Uuid;
use zhuchao_analytics::cube::{hour_of, HOUR_MS};
use zhuchao_analytics::events::Line;
use zhuchao_analytics::report::RfqRow;
use zhuchao_analytics::sample::Dice;
use zhuchao_analytics::{
    AnalyticsProjection, Dimension, Filter, Granularity, Source, TrafficEvent, TRAFFIC_KIND,
};
use zhuchao_eventstore::{Metadata, Position, RecordedEvent, StreamName};

const DAY: i64 = 24 * HOUR_MS;
const START: i64 = 1_761_955_200_000; // 2025-11-01 00:00 UTC

fn id(n: u64) -> Uuid {
    Uuid::from_u64_pair(0xABCD, n)
}

/// A month of sessions: sources, regions, devices; searches, views, carts, RFQs, orders, payments.
fn month(sessions: u64) -> Vec<TrafficEvent> {
    let mut dice = Dice(7);
    let regions = ["浙江", "江苏", "广东", "上海"];
    let categories = [id(1_000_001), id(1_000_002), id(1_000_003)];
    let suppliers = [id(2_000_001), id(2_000_002)];
    let mut events = Vec::new();
    for s in 0..sessions {
        let session = id(s);
        let visitor = id(5_000_000 + dice.below(sessions / 2 + 1));
        let mut at = START + dice.below(30 * DAY as u64) as i64;
        let source = match dice.below(5) {
            0 => Source::Direct,
            1 => Source::Organic("baidu".into()),
            2 => Source::Paid("baidu".into()),
            3 => Source::Referral("forum.example".into()),
            _ => Source::Campaign("newsletter".into()),
        };
        events.push(TrafficEvent::SessionStarted {
            session,
            visitor,
            campaign: matches!(source, Source::Campaign(_)).then(|| "spring".to_string()),
            source,
            region: Some(regions[dice.below(4) as usize].to_string()),
            device: ["desktop", "phone"][dice.below(2) as usize].into(),
            landing: "/".into(),
            at,
        });
        let mut step = |dice: &mut Dice| {
            at += 1 + dice.below(600_000) as i64;
            at
        };
        for _ in 0..dice.below(4) {
            events.push(TrafficEvent::PageViewed {
                session,
                path: "/x".into(),
                at: step(&mut dice),
            });
        }
        if !dice.percent(70) {
            continue;
        }
        for _ in 0..1 + dice.below(2) {
            let results = if dice.percent(10) {
                0
            } else {
                1 + dice.below(50)
            };
            events.push(TrafficEvent::Searched {
                session,
                text: ["M8 bolt", "m8  BOLT", "轴承 6204", "qwerty"][dice.below(4) as usize].into(),
                category: None,
                filters: 0,
                results,
                at: step(&mut dice),
            });
        }
        if !dice.percent(60) {
            continue;
        }
        let category = categories[dice.below(3) as usize];
        let supplier = suppliers[dice.below(2) as usize];
        for _ in 0..1 + dice.below(3) {
            events.push(TrafficEvent::ProductViewed {
                session,
                product: id(9),
                category,
                supplier,
                at: step(&mut dice),
            });
        }
        if dice.percent(20) {
            events.push(TrafficEvent::RfqSent {
                session,
                rfq: id(3_000_000 + s),
                category: Some(category),
                at: step(&mut dice),
            });
        }
        if !dice.percent(40) {
            continue;
        }
        events.push(TrafficEvent::AddedToCart {
            session,
            product: id(9),
            category,
            supplier,
            quantity: 100,
            at: step(&mut dice),
        });
        if !dice.percent(50) {
            continue;
        }
        let mut lines = vec![Line {
            category,
            items: 100 * (1 + dice.below(5)),
            value: 1_000 + dice.below(100_000) as i64,
        }];
        if dice.percent(30) {
            lines.push(Line {
                category: categories[dice.below(3) as usize],
                items: 10,
                value: 500,
            });
        }
        // Some sessions order twice (from two suppliers' carts).
        for n in 0..1 + u64::from(dice.percent(25)) {
            let order = id(4_000_000 + s * 2 + n);
            events.push(TrafficEvent::OrderPlaced {
                session,
                order,
                supplier,
                lines: lines.clone(),
                at: step(&mut dice),
            });
            if dice.percent(80) {
                events.push(TrafficEvent::PaymentMade {
                    session,
                    order,
                    supplier,
                    lines: lines.clone(),
                    at: step(&mut dice),
                });
            }
        }
    }
    // Events arrive roughly in time order, as a live gateway records them.
    events.sort_by_key(|e| e.at());
    events
}

fn recorded(events: &[TrafficEvent]) -> Vec<RecordedEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| RecordedEvent {
            id: Uuid::from_u64_pair(1, i as u64),
            stream: StreamName::new(format!("{TRAFFIC_KIND}-{}", id(i as u64 / 100)))
                .expect("stream"),
            version: i as u64 % 100,
            position: Position::from_u64(i as u64 + 1),
            event_type: e.event_type().into(),
            schema_version: 1,
            payload: e.to_payload(),
            metadata: Metadata::new(Uuid::nil(), e.at()),
        })
        .collect()
}

/// What each session is, from its start event.
struct Truth {
    start: HashMap<Uuid, (i64, String, String, Uuid)>, // at, source kind, region, visitor
}

fn truth(events: &[TrafficEvent]) -> Truth {
    let start = events
        .iter()
        .filter_map(|e| match e {
            TrafficEvent::SessionStarted {
                session,
                visitor,
                source,
                region,
                at,
                ..
            } => Some((
                *session,
                (
                    *at,
                    source.kind().to_string(),
                    region.clone().unwrap_or_default(),
                    *visitor,
                ),
            )),
            _ => None,
        })
        .collect();
    Truth { start }
}

fn day_of(at: i64) -> i64 {
    at.div_euclid(DAY) * DAY
}

#[test]
fn the_funnel_by_day_and_source_matches_a_naive_count() {
    let events = month(20_000);
    let p = AnalyticsProjection::in_memory();
    p.apply(&recorded(&events)).expect("readable events");
    let t = truth(&events);

    // Naive: per (start day, source) the sessions, and those that reached each step.
    let mut naive: BTreeMap<(i64, String), [u64; 6]> = BTreeMap::new();
    let mut reached: HashMap<Uuid, BTreeSet<usize>> = HashMap::new();
    for e in &events {
        let step = match e {
            TrafficEvent::Searched { .. } => 1,
            TrafficEvent::ProductViewed { .. } => 2,
            TrafficEvent::AddedToCart { .. } | TrafficEvent::RfqSent { .. } => 3,
            TrafficEvent::OrderPlaced { .. } => 4,
            TrafficEvent::PaymentMade { .. } => 5,
            _ => continue,
        };
        reached.entry(e.session()).or_default().insert(step);
    }
    for (session, (at, source, _, _)) in &t.start {
        let row = naive.entry((day_of(*at), source.clone())).or_default();
        row[0] += 1;
        for s in reached.get(session).into_iter().flatten() {
            row[*s] += 1;
        }
    }

    let from = START;
    let to = START + 30 * DAY;
    let rows = p.read().report(
        from,
        to,
        Granularity::Day,
        Dimension::Source,
        &Filter::default(),
        false,
    );
    let got: BTreeMap<(i64, String), [u64; 6]> = rows
        .iter()
        .map(|r| {
            let mut counts = [0u64; 6];
            for (i, s) in r.funnel.iter().enumerate() {
                counts[i] = s.count;
            }
            ((r.bucket, r.key.clone()), counts)
        })
        .collect();
    assert_eq!(got, naive);
    for r in &rows {
        let counts: Vec<u64> = r.funnel.iter().map(|s| s.count).collect();
        assert!(
            counts.windows(2).all(|w| w[0] >= w[1]),
            "a funnel narrows: {counts:?}"
        );
    }
}

#[test]
fn basket_value_gmv_and_its_decomposition_match_the_raw_payments() {
    let events = month(20_000);
    let p = AnalyticsProjection::in_memory();
    p.apply(&recorded(&events)).expect("readable events");
    let t = truth(&events);

    // Naive per (payment day, region): paid orders, items, value; sessions per (start day, region).
    // The decomposition's share, per (start day, region): orders paid in sessions started
    // that day, and their value.
    let mut paid: BTreeMap<(i64, String), (u64, u64, i64)> = BTreeMap::new();
    let mut by_start: BTreeMap<(i64, String), (u64, i64)> = BTreeMap::new();
    for e in &events {
        if let TrafficEvent::PaymentMade {
            session, lines, at, ..
        } = e
        {
            let (started, _, region, _) = &t.start[session];
            let value = lines.iter().map(|l| l.value).sum::<i64>();
            let row = paid.entry((day_of(*at), region.clone())).or_default();
            row.0 += 1;
            row.1 += lines.iter().map(|l| l.items).sum::<u64>();
            row.2 += value;
            let row = by_start
                .entry((day_of(*started), region.clone()))
                .or_default();
            row.0 += 1;
            row.1 += value;
        }
    }
    let mut crossing_midnight = 0;
    let rows = p.read().report(
        START,
        START + 31 * DAY,
        Granularity::Day,
        Dimension::Region,
        &Filter::default(),
        false,
    );
    let mut checked = 0;
    for r in &rows {
        let (orders, items, value) = paid
            .get(&(r.bucket, r.key.clone()))
            .copied()
            .unwrap_or_default();
        assert_eq!(
            (r.paid_orders, r.items, r.gmv),
            (orders, items, value),
            "{} {}",
            r.bucket,
            r.key
        );
        if orders > 0 {
            checked += 1;
            assert_eq!(r.average_order_value(), Some(value as f64 / orders as f64));
            assert_eq!(r.items_per_order(), Some(items as f64 / orders as f64));
        }
        let (session_orders, session_value) = by_start
            .get(&(r.bucket, r.key.clone()))
            .copied()
            .unwrap_or_default();
        if session_orders != orders {
            crossing_midnight += 1;
        }
        let s = r.sessions.as_ref().expect("session row");
        assert_eq!(
            (s.session_paid_orders, s.session_gmv),
            (session_orders, session_value),
            "orders of sessions started on {} in {}",
            r.bucket,
            r.key
        );
        if session_orders > 0 {
            // GMV of the bucket's sessions = traffic × conversion × basket value; the
            // conversion is a share of the bucket's own sessions, as the funnel is.
            let rebuilt = s.sessions as f64
                * r.conversion_rate().expect("conversion")
                * r.session_order_value().expect("aov");
            assert!((rebuilt - session_value as f64).abs() < 1e-6 * session_value as f64);
        }
    }
    assert!(
        crossing_midnight > 0,
        "some sessions start one day and pay the next"
    );
    assert!(
        checked > 50,
        "the month has paid orders in most day × region cells"
    );
    let total_paid: i64 = paid.values().map(|v| v.2).sum();
    let total = p.read().report(
        START - DAY,
        START + 40 * DAY,
        Granularity::Week,
        Dimension::Total,
        &Filter::default(),
        false,
    );
    assert_eq!(total.iter().map(|r| r.gmv).sum::<i64>(), total_paid);
    for r in &total {
        let weekday = (r.bucket / DAY + 3) % 7; // 0 = Monday
        assert_eq!(weekday, 0, "weeks start on Monday");
    }
}

#[test]
fn visitors_category_figures_and_searches_match_a_naive_count() {
    let events = month(8_000);
    let p = AnalyticsProjection::in_memory();
    p.apply(&recorded(&events)).expect("readable events");
    let t = truth(&events);

    let mut visitors: BTreeMap<i64, BTreeSet<Uuid>> = BTreeMap::new();
    for (at, _, _, visitor) in t.start.values() {
        visitors.entry(day_of(*at)).or_default().insert(*visitor);
    }
    let rows = p.read().report(
        START,
        START + 30 * DAY,
        Granularity::Day,
        Dimension::Total,
        &Filter::default(),
        true,
    );
    for r in &rows {
        assert_eq!(r.visitors, Some(visitors[&r.bucket].len() as u64));
    }

    // Per category, over the month: views, carts, orders (once per order), paid value.
    let mut naive: BTreeMap<String, (u64, u64, u64, i64)> = BTreeMap::new();
    for e in &events {
        match e {
            TrafficEvent::ProductViewed { category, .. } => {
                naive.entry(category.to_string()).or_default().0 += 1
            }
            TrafficEvent::AddedToCart { category, .. } => {
                naive.entry(category.to_string()).or_default().1 += 1
            }
            TrafficEvent::OrderPlaced { lines, .. } => {
                let cats: BTreeSet<Uuid> = lines.iter().map(|l| l.category).collect();
                for c in cats {
                    naive.entry(c.to_string()).or_default().2 += 1;
                }
            }
            TrafficEvent::PaymentMade { lines, .. } => {
                for l in lines {
                    naive.entry(l.category.to_string()).or_default().3 += l.value;
                }
            }
            _ => {}
        }
    }
    let rows = p.read().report(
        START - DAY,
        START + 40 * DAY,
        Granularity::Week,
        Dimension::Category,
        &Filter::default(),
        false,
    );
    let mut got: BTreeMap<String, (u64, u64, u64, i64)> = BTreeMap::new();
    for r in &rows {
        assert!(r.sessions.is_none(), "sessions are not cut by category");
        let g = got.entry(r.key.clone()).or_default();
        g.0 += r.products.views;
        g.1 += r.products.carts;
        g.2 += r.products.orders;
        g.3 += r.gmv;
    }
    assert_eq!(got, naive);

    // One supplier's figures only when filtered by it.
    let supplier = id(2_000_001);
    let only = p.read().report(
        START - DAY,
        START + 40 * DAY,
        Granularity::Week,
        Dimension::Supplier,
        &Filter {
            supplier: Some(supplier),
            ..Default::default()
        },
        false,
    );
    assert!(!only.is_empty());
    assert!(only.iter().all(|r| r.key == supplier.to_string()));

    // Searches: "M8 bolt" and "m8  BOLT" are one search; "qwerty" found nothing sometimes.
    let top = p.read().top_searches(START, START + 31 * DAY, 10, false);
    let naive_m8 = events
        .iter()
        .filter(|e| matches!(e, TrafficEvent::Searched { text, .. } if text.to_lowercase().split_whitespace().collect::<Vec<_>>() == ["m8", "bolt"]))
        .count() as u64;
    assert_eq!(
        top.iter().find(|(t, _, _)| t == "m8 bolt").map(|t| t.1),
        Some(naive_m8)
    );
    let zero = p.read().top_searches(START, START + 31 * DAY, 10, true);
    let naive_zero = events
        .iter()
        .filter(|e| matches!(e, TrafficEvent::Searched { results: 0, .. }))
        .count() as u64;
    assert_eq!(zero.iter().map(|z| z.2).sum::<u64>(), naive_zero);
}

#[test]
fn a_rebuild_in_other_batches_through_a_saved_checkpoint_gives_identical_answers() {
    let events = recorded(&month(6_000));
    let once = AnalyticsProjection::in_memory();
    once.apply(&events).expect("readable events");

    // Given a projection fed in uneven batches, saved and reopened half way.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("analytics.sqlite3");
    let half = events.len() / 2;
    {
        // saved twice: the second save writes only what changed since the first
        let p = AnalyticsProjection::open(&file).expect("open");
        for chunk in events[..half / 3].chunks(777) {
            p.apply(chunk).expect("readable events");
        }
        p.save().expect("save");
        for chunk in events[half / 3..half].chunks(777) {
            p.apply(chunk).expect("readable events");
        }
        p.save().expect("save");
    }
    let p = AnalyticsProjection::open(&file).expect("reopen");
    assert_eq!(p.position(), half as u64);
    // Events it already has are skipped when they come again.
    for chunk in events[half - 500..].chunks(313) {
        p.apply(chunk).expect("readable events");
    }

    // Then every answer is the same as folding everything at once.
    for dimension in [
        Dimension::Total,
        Dimension::Region,
        Dimension::Source,
        Dimension::Campaign,
        Dimension::Device,
        Dimension::Category,
        Dimension::Supplier,
    ] {
        for g in [Granularity::Hour, Granularity::Day, Granularity::Week] {
            let a = once.read().report(
                START,
                START + 31 * DAY,
                g,
                dimension,
                &Filter::default(),
                true,
            );
            let b = p.read().report(
                START,
                START + 31 * DAY,
                g,
                dimension,
                &Filter::default(),
                true,
            );
            assert_eq!(a, b, "{dimension:?} by {g:?}");
        }
    }
    assert_eq!(
        once.read().top_searches(START, START + 31 * DAY, 50, false),
        p.read().top_searches(START, START + 31 * DAY, 50, false)
    );
}

#[test]
fn rfq_response_times_and_sla_share_per_supplier() {
    use zhuchao_domain::ids::*;
    use zhuchao_domain::money::Money;
    use zhuchao_domain::rfq::{QuoteSubmitted, RfqCreated, RfqEvent, RfqRequest};
    let (fast, slow, silent) = (SupplierId(id(1)), SupplierId(id(2)), SupplierId(id(3)));
    let mut a = zhuchao_analytics::Analytics::default();
    // Given three RFQs sent on one day to all three suppliers, answered by `fast` within 10
    // minutes and by `slow` after the 4-hour SLA.
    for n in 0..3u64 {
        let rfq = id(100 + n);
        let sent = START + n as i64 * HOUR_MS;
        a.apply_rfq(
            rfq,
            &RfqEvent::RfqCreated(RfqCreated {
                id: RfqId(rfq),
                buyer: UserId(id(9)),
                company: CompanyId(id(9)),
                request: RfqRequest {
                    title: "t".into(),
                    description: String::new(),
                    category: CategoryId(id(8)),
                    attributes: BTreeMap::new(),
                    quantity: 1,
                    drawings: vec![],
                    target_price: None,
                    deadline: sent + 10 * DAY,
                },
                invited: vec![fast, slow, silent],
                respond_by: sent + 4 * HOUR_MS,
                at: sent,
            }),
        );
        for (supplier, after) in [(fast, (n as i64 + 1) * 60_000 * 5), (slow, 5 * HOUR_MS)] {
            a.apply_rfq(
                rfq,
                &RfqEvent::QuoteSubmitted(QuoteSubmitted {
                    quote: QuoteId(Uuid::now_v7()),
                    supplier,
                    unit_price: Money::cny(1),
                    lead_time_days: 1,
                    valid_until: sent + DAY,
                    note: String::new(),
                    from_pool: false,
                    at: sent + after,
                }),
            );
        }
    }
    let day = |s: Option<SupplierId>| -> RfqRow {
        let rows = a.rfq_response(START, START + DAY, Granularity::Day, s.map(|s| s.0));
        assert_eq!(rows.len(), 1);
        rows[0].clone()
    };
    // Then all were answered within the SLA (by the fast one), in a median 10 minutes;
    let all = day(None);
    assert_eq!((all.rfqs, all.answered, all.within_sla), (3, 3, 3));
    assert_eq!(all.median_minutes_to_first_quote, Some(10.0));
    // the slow supplier answered all, none in time; the silent one none.
    let s = day(Some(slow));
    assert_eq!((s.rfqs, s.answered, s.within_sla), (3, 3, 0));
    assert_eq!(s.median_minutes_to_first_quote, Some(300.0));
    let q = day(Some(silent));
    assert_eq!(
        (q.rfqs, q.answered, q.median_minutes_to_first_quote),
        (3, 0, None)
    );
    assert_eq!(hour_of(START) % 24, 0);
}

#[test]
fn a_save_writes_the_hours_that_changed_not_the_history() {
    use zhuchao_analytics::store::take_changes;
    // Given a month of traffic folded and saved
    let mut a = zhuchao_analytics::Analytics::default();
    for e in month(2_000) {
        a.apply_traffic(&e);
    }
    let all = take_changes(&mut a).expect("changes");
    assert!(
        all.hours().count() > 24 * 20,
        "a month of hours is written the first time"
    );
    // When one more session comes, in one hour
    let later = START + 40 * DAY;
    a.apply_traffic(&TrafficEvent::SessionStarted {
        session: id(9_999_999),
        visitor: id(9_999_998),
        campaign: None,
        source: Source::Direct,
        region: None,
        device: "phone".into(),
        landing: "/".into(),
        at: later,
    });
    a.apply_traffic(&TrafficEvent::PageViewed {
        session: id(9_999_999),
        path: "/x".into(),
        at: later + 1_000,
    });
    // Then the next save writes that hour and that session, nothing else
    let next = take_changes(&mut a).expect("changes");
    assert_eq!(next.hours().collect::<Vec<_>>(), vec![hour_of(later)]);
    assert_eq!(next.objects(), 1);
}

#[test]
fn the_json_state_of_an_earlier_version_is_taken_over() {
    // Given the analytics.json an earlier version saved
    let events = recorded(&month(1_000));
    let once = AnalyticsProjection::in_memory();
    once.apply(&events).expect("readable events");
    let dir = tempfile::tempdir().expect("tempdir");
    let legacy = dir.path().join("analytics.json");
    std::fs::write(&legacy, serde_json::to_vec(&*once.read()).expect("json")).expect("write");
    // When the projection opens its SQLite file beside it
    let file = dir.path().join("analytics.sqlite3");
    drop(AnalyticsProjection::open(&file).expect("open"));
    // Then the state is kept (read again from SQLite alone) and the JSON file is gone
    assert!(!legacy.exists());
    let p = AnalyticsProjection::open(&file).expect("reopen");
    assert_eq!(p.position(), once.position());
    let report = |p: &AnalyticsProjection| {
        p.read().report(
            START,
            START + 31 * DAY,
            Granularity::Day,
            Dimension::Source,
            &Filter::default(),
            true,
        )
    };
    assert_eq!(report(&p), report(&once));
}
