//! Copying a store into another: every event arrives in the same order with its id, stream,
//! version, type, payload and metadata; a copy resumed from an old checkpoint (a crash before
//! the checkpoint was saved) duplicates nothing; later events follow on the next run.

use zhuchao_eventstore::migrate::copy_events;
use zhuchao_eventstore::{
    EmbeddedStore, EventStore, ExpectedVersion, Metadata, NewEvent, Position, RecordedEvent,
    StreamName,
};

fn event(n: u64) -> NewEvent {
    NewEvent::json(
        uuid::Uuid::now_v7(),
        format!("Happened{}", n % 3),
        1 + (n % 2) as u32,
        &serde_json::json!({ "n": n, "text": "六角螺栓" }),
        Metadata::new(uuid::Uuid::now_v7(), 1_764_000_000_000 + n as i64),
    )
    .expect("event")
}

/// Interleaved appends to 7 streams, some of several events at once.
async fn fill(store: &EmbeddedStore, from: u64, to: u64) {
    let mut n = from;
    while n < to {
        let stream = StreamName::new(format!("order-{}", n % 7)).expect("stream");
        let count = 1 + n % 3;
        let events = (n..(n + count).min(to)).map(event).collect::<Vec<_>>();
        n += events.len() as u64;
        store
            .append(&stream, ExpectedVersion::Any, events)
            .await
            .expect("append");
    }
}

async fn everything(store: &impl EventStore) -> Vec<RecordedEvent> {
    let mut all = Vec::new();
    let mut after = Position::START;
    loop {
        let page = store.read_all(after, 1000).await.expect("read");
        let Some(last) = page.last() else { return all };
        after = last.position;
        all.extend(page);
    }
}

fn same(a: &[RecordedEvent], b: &[RecordedEvent]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(
            (
                &x.id,
                &x.stream,
                x.version,
                &x.event_type,
                x.schema_version,
                &x.payload,
                &x.metadata
            ),
            (
                &y.id,
                &y.stream,
                y.version,
                &y.event_type,
                y.schema_version,
                &y.payload,
                &y.metadata
            )
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_keeps_order_ids_and_versions_and_resumes_without_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = EmbeddedStore::open(dir.path().join("source")).expect("source");
    let target = EmbeddedStore::open(dir.path().join("target")).expect("target");
    fill(&source, 0, 500).await;

    // Given a copy that saved its checkpoint after the first batches, then "crashed" after
    // copying more without saving it:
    let mut checkpoints = Vec::new();
    copy_events(&source, &target, Position::START, 64, |c| {
        checkpoints.push(c)
    })
    .await
    .expect("copy");
    let saved = checkpoints[2];
    assert_eq!(saved.events, 192);

    // When the copy resumes from the saved checkpoint (and with another batch size),
    let resumed = copy_events(&source, &target, saved.position, 100, |_| {})
        .await
        .expect("resume");
    assert_eq!(resumed.events, 500 - 192);

    // then the target holds every event once, as in the source.
    same(&everything(&source).await, &everything(&target).await);

    // And events appended later follow on the next run from the last checkpoint.
    fill(&source, 500, 650).await;
    let more = copy_events(&source, &target, resumed.position, 64, |_| {})
        .await
        .expect("more");
    assert_eq!(more.events, 150);
    same(&everything(&source).await, &everything(&target).await);
}
