//! The contract every event-store backend must pass, written once and run against each backend
//! through [`contract_suite!`](crate::contract_suite). Each check takes a [`StoreFactory`] that
//! hands out a fresh, empty store, so the checks never see one another's events.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use uuid::Uuid;

use crate::{
    Direction, EventStore, ExpectedVersion, Metadata, NewEvent, Position, RecordedEvent,
    StoreError, StreamFrom, StreamName,
};

/// Makes fresh, empty stores of one backend for the contract checks.
pub trait StoreFactory: Send + Sync {
    type Store: EventStore + Clone;

    /// A new store holding no events.
    fn create(&self) -> impl Future<Output = Self::Store> + Send;

    /// Why this backend cannot be tested here (e.g. no server configured), if it cannot.
    fn skip_reason(&self) -> Option<String> {
        None
    }

    /// Whether each `create` gives a store of its own. A server shared by every check (and
    /// by the checks running at the same time) is not: then the checks look only at their own
    /// streams and events, and skip what only an empty, private store can show.
    fn isolated(&self) -> bool {
        true
    }
}

/// Generates one `#[tokio::test]` per contract check, each with a store from `$factory`.
#[macro_export]
macro_rules! contract_suite {
    ($factory:expr) => {
        $crate::__contract_tests!($factory;
            appends_and_reads_back_a_stream,
            expected_version_is_enforced_with_the_actual_version,
            concurrent_appenders_get_one_winner_per_version,
            a_retried_append_is_stored_once,
            a_reused_event_id_is_refused,
            invalid_appends_are_refused_and_write_nothing,
            a_stream_reads_both_ways_from_any_version,
            many_streams_read_at_once_as_each_reads_alone,
            read_all_pages_through_the_global_order,
            a_subscription_catches_up_then_goes_live,
            a_subscription_sees_every_event_while_eight_tasks_append,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tests {
    ($factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let factory = $factory;
                if let Some(reason) = $crate::contract::StoreFactory::skip_reason(&factory) {
                    eprintln!("SKIPPED {}: {}", stringify!($name), reason);
                    return;
                }
                $crate::contract::$name(&factory).await;
            }
        )*
    };
}

fn stream(name: &str) -> StreamName {
    StreamName::new(format!("{name}-{}", Uuid::new_v4().simple())).expect("valid stream name")
}

fn event(n: u64) -> NewEvent {
    NewEvent::json(
        Uuid::new_v4(),
        "ContractChecked",
        1,
        &serde_json::json!({ "n": n, "note": "螺栓 M8×30 A2-70" }),
        Metadata::new(Uuid::new_v4(), 1_764_000_000_000 + n as i64).by("contract-suite"),
    )
    .expect("serialisable payload")
}

fn events(range: std::ops::Range<u64>) -> Vec<NewEvent> {
    range.map(event).collect()
}

async fn read_everything<S: EventStore>(store: &S) -> Vec<RecordedEvent> {
    read_after(store, Position::START).await
}

async fn read_after<S: EventStore>(store: &S, from: Position) -> Vec<RecordedEvent> {
    let mut all = Vec::new();
    let mut after = from;
    loop {
        let page = store.read_all(after, 100).await.expect("read_all");
        match page.last() {
            Some(last) => after = last.position,
            None => return all,
        }
        all.extend(page);
    }
}

fn assert_same_event(stored: &RecordedEvent, sent: &NewEvent) {
    assert_eq!(stored.id, sent.id);
    assert_eq!(stored.event_type, sent.event_type);
    assert_eq!(stored.schema_version, sent.schema_version);
    let stored_body: serde_json::Value = stored.decode().expect("stored payload is JSON");
    let sent_body: serde_json::Value = serde_json::from_str(&sent.payload).expect("sent JSON");
    assert_eq!(stored_body, sent_body);
    assert_eq!(stored.metadata, sent.metadata);
}

fn wrong_version(result: Result<impl std::fmt::Debug, StoreError>) -> Option<u64> {
    match result {
        Err(StoreError::WrongExpectedVersion { actual, .. }) => actual,
        other => panic!("expected a wrong-expected-version error, got {other:?}"),
    }
}

/// Given an empty store, when three events are appended to a new stream, then the stream reads
/// back exactly those events at versions 0..=2 and the result points at the last one.
pub async fn appends_and_reads_back_a_stream<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let s = stream("order");
    let mut sent = events(0..3);
    sent[1].metadata = sent[1].metadata.clone().caused_by(sent[0].id);
    let result = store
        .append(&s, ExpectedVersion::NoStream, sent.clone())
        .await
        .expect("append");
    assert_eq!(result.next_expected_version, 2);

    let read = store
        .read_stream(&s, StreamFrom::Start, Direction::Forwards, 100)
        .await
        .expect("read");
    assert_eq!(read.len(), 3);
    for (i, (stored, sent)) in read.iter().zip(&sent).enumerate() {
        assert_same_event(stored, sent);
        assert_eq!(stored.version, i as u64);
        assert_eq!(stored.stream, s);
    }
    assert!(read.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(read[2].position, result.position);
    let head = store.head().await.expect("head");
    if factory.isolated() {
        assert_eq!(head, result.position);
    } else {
        assert!(head >= result.position);
    }
}

/// Given a stream at version 2, when writers expect anything else, then each gets a typed
/// concurrency error carrying the actual version, and the stream is unchanged.
pub async fn expected_version_is_enforced_with_the_actual_version<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let s = stream("rfq");
    let missing = stream("rfq");
    store
        .append(&s, ExpectedVersion::NoStream, events(0..3))
        .await
        .expect("append");

    let no_stream = store
        .append(&s, ExpectedVersion::NoStream, events(3..4))
        .await;
    assert_eq!(wrong_version(no_stream), Some(2));
    let stale = store
        .append(&s, ExpectedVersion::Exact(1), events(3..4))
        .await;
    assert_eq!(wrong_version(stale), Some(2));
    let ahead = store
        .append(&s, ExpectedVersion::Exact(7), events(3..4))
        .await;
    assert_eq!(wrong_version(ahead), Some(2));
    let not_there = store
        .append(&missing, ExpectedVersion::StreamExists, events(0..1))
        .await;
    assert_eq!(wrong_version(not_there), None);
    let exact_on_missing = store
        .append(&missing, ExpectedVersion::Exact(0), events(0..1))
        .await;
    assert_eq!(wrong_version(exact_on_missing), None);

    let read = store
        .read_stream(&s, StreamFrom::Start, Direction::Forwards, 100)
        .await
        .expect("read");
    assert_eq!(read.len(), 3, "a refused append wrote nothing");
    assert!(store
        .read_stream(&missing, StreamFrom::Start, Direction::Forwards, 10)
        .await
        .expect("read")
        .is_empty());

    let exact = store
        .append(&s, ExpectedVersion::Exact(2), events(3..4))
        .await
        .expect("exact version matches");
    assert_eq!(exact.next_expected_version, 3);
    let exists = store
        .append(&s, ExpectedVersion::StreamExists, events(4..5))
        .await
        .expect("stream exists");
    assert_eq!(exists.next_expected_version, 4);
    let any = store
        .append(&s, ExpectedVersion::Any, events(5..6))
        .await
        .expect("any version");
    assert_eq!(any.next_expected_version, 5);
}

/// Given one stream, when 16 tasks race to append at the same expected version, round after
/// round, then exactly one wins each version and the losers learn the winner's version.
pub async fn concurrent_appenders_get_one_winner_per_version<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let s = stream("escrow");
    let mut current: Option<u64> = None;
    for round in 0..10u64 {
        let expected = match current {
            None => ExpectedVersion::NoStream,
            Some(v) => ExpectedVersion::Exact(v),
        };
        let tasks: Vec<_> = (0..16u64)
            .map(|task| {
                let store = store.clone();
                let s = s.clone();
                tokio::spawn(async move {
                    store
                        .append(&s, expected, vec![event(round * 100 + task)])
                        .await
                })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(result) => {
                    winners += 1;
                    assert_eq!(result.next_expected_version, round);
                }
                Err(StoreError::WrongExpectedVersion { actual, .. }) => {
                    assert_eq!(actual, Some(round), "a loser learns the winner's version");
                }
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
        assert_eq!(winners, 1, "round {round}: exactly one appender wins");
        current = Some(round);
    }
    let read = store
        .read_stream(&s, StreamFrom::Start, Direction::Forwards, 100)
        .await
        .expect("read");
    let versions: Vec<u64> = read.iter().map(|e| e.version).collect();
    assert_eq!(versions, (0..10).collect::<Vec<_>>());
}

/// Given an acknowledged append, when the same batch is sent again (a retry after a timeout),
/// then it succeeds with the first result and nothing is stored twice.
pub async fn a_retried_append_is_stored_once<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let s = stream("payment");
    let batch = events(0..2);
    let first = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .expect("first append");
    let retry = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .expect("retry with the same expectation");
    assert_eq!(retry, first);
    let retry_any = store
        .append(&s, ExpectedVersion::Any, batch.clone())
        .await
        .expect("retry with any version");
    assert_eq!(retry_any, first);

    let later = store
        .append(&s, ExpectedVersion::Exact(1), events(2..3))
        .await
        .expect("a later append");
    let late_retry = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .expect("a late retry is still recognised");
    assert_eq!(late_retry, first);

    // Two sends of one batch in flight at once: one writes, the other is recognised.
    let batch = events(10..11);
    let (a, b) = tokio::join!(
        store.append(&s, ExpectedVersion::Exact(2), batch.clone()),
        store.append(&s, ExpectedVersion::Exact(2), batch)
    );
    assert_eq!(
        a.expect("first send"),
        b.expect("second send of the same batch")
    );

    let read = store
        .read_stream(&s, StreamFrom::Start, Direction::Forwards, 100)
        .await
        .expect("read");
    assert_eq!(read.len(), 4, "each event is stored once");
    assert_eq!(read[2].position, later.position);
    let everywhere = read_everything(&store).await;
    assert_eq!(everywhere.iter().filter(|e| e.stream == s).count(), 4);
    if factory.isolated() {
        assert_eq!(everywhere.len(), 4);
    }
}

/// Given an event stored in one stream, when its id is sent again in another stream or inside a
/// different batch, then the append is refused as a duplicate id and writes nothing.
pub async fn a_reused_event_id_is_refused<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let s = stream("quote");
    let other = stream("quote");
    let stored = event(0);
    store
        .append(&s, ExpectedVersion::NoStream, vec![stored.clone()])
        .await
        .expect("append");

    let elsewhere = store
        .append(&other, ExpectedVersion::Any, vec![stored.clone()])
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::DuplicateEventId { id, .. }) if id == stored.id),
        "{elsewhere:?}"
    );
    let mixed = store
        .append(&s, ExpectedVersion::Any, vec![stored.clone(), event(1)])
        .await;
    assert!(
        matches!(mixed, Err(StoreError::DuplicateEventId { .. })),
        "{mixed:?}"
    );
    let fresh_then_reused = store
        .append(&other, ExpectedVersion::Any, vec![event(2), stored.clone()])
        .await;
    assert!(
        matches!(fresh_then_reused, Err(StoreError::DuplicateEventId { id, .. }) if id == stored.id),
        "{fresh_then_reused:?}"
    );
    let everywhere = read_everything(&store).await;
    let mine = |e: &&RecordedEvent| e.stream == s || e.stream == other;
    assert_eq!(everywhere.iter().filter(mine).count(), 1);
    if factory.isolated() {
        assert_eq!(everywhere.len(), 1);
    }
}

/// Given malformed appends, when they are sent, then each gets a clear error and the store holds
/// exactly what it held before.
pub async fn invalid_appends_are_refused_and_write_nothing<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let s = stream("product");
    store
        .append(&s, ExpectedVersion::NoStream, events(0..1))
        .await
        .expect("append");
    let head = store.head().await.expect("head");

    let empty = store.append(&s, ExpectedVersion::Any, vec![]).await;
    assert!(matches!(empty, Err(StoreError::EmptyAppend)), "{empty:?}");

    let mut not_json = event(1);
    not_json.payload = "{\"unterminated\": ".into();
    let result = store.append(&s, ExpectedVersion::Any, vec![not_json]).await;
    assert!(
        matches!(result, Err(StoreError::InvalidEvent { .. })),
        "{result:?}"
    );

    let twice = event(2);
    let result = store
        .append(&s, ExpectedVersion::Any, vec![twice.clone(), twice])
        .await;
    assert!(
        matches!(result, Err(StoreError::InvalidEvent { .. })),
        "{result:?}"
    );

    let mut untyped = event(3);
    untyped.event_type = String::new();
    let result = store.append(&s, ExpectedVersion::Any, vec![untyped]).await;
    assert!(
        matches!(result, Err(StoreError::InvalidEvent { .. })),
        "{result:?}"
    );

    if factory.isolated() {
        assert_eq!(store.head().await.expect("head"), head);
        assert_eq!(read_everything(&store).await.len(), 1);
    }
    let kept = store
        .read_stream(&s, StreamFrom::Start, Direction::Forwards, 10)
        .await
        .expect("read");
    assert_eq!(kept.len(), 1);
}

/// Given a stream of ten events, when it is read forwards and backwards from various places,
/// then each read returns the right versions in the right order.
pub async fn a_stream_reads_both_ways_from_any_version<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let s = stream("dispute");
    for n in 0..10 {
        store
            .append(&s, ExpectedVersion::Any, events(n..n + 1))
            .await
            .expect("append");
    }
    let versions =
        |events: Vec<RecordedEvent>| events.iter().map(|e| e.version).collect::<Vec<_>>();
    let read = |from, direction, max| {
        let store = store.clone();
        let s = s.clone();
        async move {
            versions(
                store
                    .read_stream(&s, from, direction, max)
                    .await
                    .expect("read"),
            )
        }
    };
    assert_eq!(
        read(StreamFrom::Version(3), Direction::Forwards, 4).await,
        vec![3, 4, 5, 6]
    );
    assert_eq!(
        read(StreamFrom::Version(5), Direction::Backwards, 3).await,
        vec![5, 4, 3]
    );
    assert_eq!(
        read(StreamFrom::End, Direction::Backwards, 2).await,
        vec![9, 8]
    );
    assert_eq!(read(StreamFrom::End, Direction::Forwards, 5).await, vec![9]);
    assert_eq!(
        read(StreamFrom::Start, Direction::Backwards, 5).await,
        vec![0]
    );
    assert_eq!(
        read(StreamFrom::Start, Direction::Forwards, 3).await,
        vec![0, 1, 2]
    );
    assert_eq!(
        read(StreamFrom::Version(10), Direction::Forwards, 5).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        read(StreamFrom::Version(8), Direction::Forwards, 0).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        read(StreamFrom::Version(100), Direction::Backwards, 2).await,
        vec![9, 8]
    );
    let missing = store
        .read_stream(
            &stream("nobody"),
            StreamFrom::Start,
            Direction::Forwards,
            10,
        )
        .await
        .expect("read a missing stream");
    assert!(missing.is_empty());
}

/// Given events interleaved over three streams (one of them long), when they and a missing stream
/// are read at once, then each reads what it reads alone from its start, up to the limit.
pub async fn many_streams_read_at_once_as_each_reads_alone<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let streams = [stream("product"), stream("product"), stream("order")];
    for n in 0..12u64 {
        let s = &streams[(n % 3) as usize];
        store
            .append(s, ExpectedVersion::Any, events(n..n + 1))
            .await
            .expect("append");
    }
    store
        .append(&streams[2], ExpectedVersion::Any, events(20..26))
        .await
        .expect("append more");
    let asked = [
        streams[0].clone(),
        stream("nobody"),
        streams[2].clone(),
        streams[1].clone(),
        streams[0].clone(),
    ];
    let together = store.read_streams(&asked, 5).await.expect("read at once");
    assert_eq!(together.len(), asked.len());
    for (s, read) in asked.iter().zip(&together) {
        let alone = store
            .read_stream(s, StreamFrom::Start, Direction::Forwards, 5)
            .await
            .expect("read alone");
        let ids = |e: &[RecordedEvent]| e.iter().map(|e| (e.id, e.version)).collect::<Vec<_>>();
        assert_eq!(ids(read), ids(&alone), "{s}");
    }
    assert!(together[1].is_empty(), "a missing stream reads as empty");
    assert_eq!(together[2].len(), 5, "at most the limit of a long stream");
    assert_eq!(together[0].len(), 4);
}

/// Given events interleaved over three streams, when the global order is read page by page, then
/// the pages join into exactly the append order, positions strictly increasing.
pub async fn read_all_pages_through_the_global_order<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let start = store.head().await.expect("head");
    let streams = [stream("a"), stream("b"), stream("c")];
    let mut sent = Vec::new();
    for n in 0..30u64 {
        let e = event(n);
        sent.push(e.id);
        store
            .append(&streams[(n % 3) as usize], ExpectedVersion::Any, vec![e])
            .await
            .expect("append");
    }
    let mine = |e: &RecordedEvent| streams.contains(&e.stream);
    let mut seen = Vec::new();
    let mut after = start;
    loop {
        let page = store.read_all(after, 7).await.expect("read_all");
        assert!(page.len() <= 7);
        let Some(last) = page.last() else { break };
        assert!(page[0].position > after);
        assert!(page.windows(2).all(|w| w[0].position < w[1].position));
        after = last.position;
        seen.extend(page.into_iter().filter(|e| mine(e)));
    }
    assert_eq!(seen.iter().map(|e| e.id).collect::<Vec<_>>(), sent);
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
    if factory.isolated() {
        assert_eq!(store.head().await.expect("head"), after);
        assert!(store.read_all(after, 10).await.expect("read").is_empty());
    }
    let middle = seen[14].position;
    let rest: Vec<RecordedEvent> = read_after(&store, middle)
        .await
        .into_iter()
        .filter(|e| mine(e))
        .collect();
    assert_eq!(rest.len(), 15);
    assert_eq!(rest[0].id, seen[15].id);
}

/// The next `n` delivered events that `mine` accepts (others' events on a shared store are
/// passed over).
async fn take_matching<S>(
    subscription: &mut S,
    n: usize,
    mine: impl Fn(&RecordedEvent) -> bool,
) -> Vec<RecordedEvent>
where
    S: futures::Stream<Item = Result<RecordedEvent, StoreError>> + Unpin,
{
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let next = tokio::time::timeout(Duration::from_secs(20), subscription.next())
            .await
            .unwrap_or_else(|_| panic!("subscription stalled after {} of {n} events", got.len()));
        let event = next
            .expect("subscription ended")
            .expect("subscription error");
        if mine(&event) {
            got.push(event);
        }
    }
    got
}

/// Given twenty stored events, when a subscription starts from the beginning, then it delivers
/// them, and then each new event as it is appended; one started mid-way gets only what follows.
pub async fn a_subscription_catches_up_then_goes_live<F: StoreFactory>(factory: &F) {
    let store = factory.create().await;
    let start = store.head().await.expect("head");
    let s = stream("order");
    let mine = |e: &RecordedEvent| e.stream == s;
    let mut sent = Vec::new();
    for n in 0..20 {
        let batch = events(n..n + 1);
        sent.push(batch[0].id);
        store
            .append(&s, ExpectedVersion::Any, batch)
            .await
            .expect("append");
    }
    let mut subscription = store.subscribe_all(start);
    let caught_up = take_matching(&mut subscription, 20, mine).await;
    assert_eq!(caught_up.iter().map(|e| e.id).collect::<Vec<_>>(), sent);

    let mut live = Vec::new();
    for n in 20..40 {
        let batch = events(n..n + 1);
        live.push(batch[0].id);
        store
            .append(&s, ExpectedVersion::Any, batch)
            .await
            .expect("append");
        let got = take_matching(&mut subscription, 1, mine).await;
        assert_eq!(got[0].id, *live.last().expect("just pushed"));
    }
    if factory.isolated() {
        let idle = tokio::time::timeout(Duration::from_millis(200), subscription.next()).await;
        assert!(idle.is_err(), "nothing more is delivered than was appended");
    }

    let mut from_middle = store.subscribe_all(caught_up[9].position);
    let rest = take_matching(&mut from_middle, 30, mine).await;
    assert_eq!(rest[0].id, sent[10]);
    assert_eq!(rest[29].id, live[19]);
}

/// Given a subscription from the start, when eight tasks append concurrently (to their own streams
/// and to a shared one), then the subscription delivers every acknowledged event exactly once, in
/// strictly increasing positions, identical to a later read of the global order.
pub async fn a_subscription_sees_every_event_while_eight_tasks_append<F: StoreFactory>(
    factory: &F,
) {
    const TASKS: u64 = 8;
    const EACH: u64 = 100;
    let store = factory.create().await;
    let start = store.head().await.expect("head");
    let shared = stream("shared");
    let own_streams: Vec<StreamName> = (0..TASKS).map(|_| stream("writer")).collect();
    let mut ours: HashSet<StreamName> = own_streams.iter().cloned().collect();
    ours.insert(shared.clone());
    let subscription = store.subscribe_all(start);
    let filter = ours.clone();
    let collector = tokio::spawn(async move {
        let mut subscription = subscription;
        take_matching(&mut subscription, (TASKS * EACH) as usize, |e| {
            filter.contains(&e.stream)
        })
        .await
    });
    let writers: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            let own = own_streams[t as usize].clone();
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for n in 0..EACH {
                    let batch = events(t * EACH + n..t * EACH + n + 1);
                    let target = if n % 4 == 0 { &shared } else { &own };
                    let id = batch[0].id;
                    let result = store
                        .append(target, ExpectedVersion::Any, batch)
                        .await
                        .expect("append");
                    acked.push((id, result.position));
                }
                acked
            })
        })
        .collect();
    let mut acked: HashMap<Uuid, Position> = HashMap::new();
    for writer in writers {
        acked.extend(writer.await.expect("writer"));
    }
    let delivered = collector.await.expect("collector");

    assert!(delivered.windows(2).all(|w| w[0].position < w[1].position));
    let ids: HashSet<Uuid> = delivered.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), delivered.len(), "no event delivered twice");
    for event in &delivered {
        assert_eq!(acked.get(&event.id), Some(&event.position));
    }
    assert_eq!(delivered.len(), acked.len());
    let stored: Vec<RecordedEvent> = read_after(&store, start)
        .await
        .into_iter()
        .filter(|e| ours.contains(&e.stream))
        .collect();
    assert_eq!(
        stored.iter().map(|e| e.id).collect::<Vec<_>>(),
        delivered.iter().map(|e| e.id).collect::<Vec<_>>()
    );
    let shared_versions: Vec<u64> = store
        .read_stream(&shared, StreamFrom::Start, Direction::Forwards, 1000)
        .await
        .expect("read")
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(shared_versions, (0..TASKS * EACH / 4).collect::<Vec<_>>());
}
