//! What the embedded backend promises beyond the shared contract: its data directory, its lock,
//! and loud failure on corrupt records.

use std::path::Path;

use uuid::Uuid;
use zhuchao_eventstore::embedded::LOG_DIR;
use zhuchao_eventstore::{
    Direction, EmbeddedStore, EventStore, ExpectedVersion, Metadata, NewEvent, Position,
    StoreError, StreamFrom, StreamName,
};

fn marked(n: u64) -> NewEvent {
    NewEvent::json(
        Uuid::new_v4(),
        "ProductPublished",
        2,
        &serde_json::json!({ "marker": format!("MARK-{n:04}-END"), "title": "六角螺栓 M8×30" }),
        Metadata::new(Uuid::new_v4(), 1_764_000_000_000).by(format!("supplier-{n}")),
    )
    .expect("event")
}

async fn append_marked(store: &EmbeddedStore, count: u64) -> StreamName {
    let stream = StreamName::new("product-1").expect("name");
    for n in 1..=count {
        store
            .append(&stream, ExpectedVersion::Any, vec![marked(n)])
            .await
            .expect("append");
    }
    stream
}

/// Flips one character of the stored payload that carries `MARK-{n}` (the store must be closed).
fn corrupt_payload_of(dir: &Path, n: u64) {
    let marker = format!("MARK-{n:04}-END");
    let mut flipped = 0;
    for entry in std::fs::read_dir(dir.join(LOG_DIR)).expect("the log exists") {
        let file = entry.expect("entry").path();
        let mut bytes = std::fs::read(&file).expect("read segment");
        let copies: Vec<usize> = bytes
            .windows(marker.len())
            .enumerate()
            .filter(|(_, w)| *w == marker.as_bytes())
            .map(|(at, _)| at)
            .collect();
        for at in &copies {
            bytes[at + marker.len() - 1] = b'X';
        }
        if !copies.is_empty() {
            std::fs::write(&file, bytes).expect("write segment");
            flipped += copies.len();
        }
    }
    assert_eq!(flipped, 1, "the marker is in the log once");
}

#[tokio::test]
async fn events_survive_closing_and_reopening_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        append_marked(&store, 5).await
    };
    let store = EmbeddedStore::open(dir.path()).expect("reopen");
    assert_eq!(store.head().await.expect("head"), Position::from_u64(5));
    let events = store
        .read_stream(&stream, StreamFrom::Start, Direction::Forwards, 10)
        .await
        .expect("read");
    assert_eq!(events.len(), 5);
    assert_eq!(events[4].metadata.actor.as_deref(), Some("supplier-5"));
    assert_eq!(events[4].schema_version, 2);
    let next = store
        .append(&stream, ExpectedVersion::Exact(4), vec![marked(6)])
        .await
        .expect("append after reopen");
    assert_eq!(next.position, Position::from_u64(6));
}

#[tokio::test]
async fn a_directory_opens_once_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = EmbeddedStore::open(dir.path()).expect("open");
    match EmbeddedStore::open(dir.path()) {
        Err(e @ StoreError::Locked { .. }) => {
            assert!(
                e.to_string().contains("in use by another Zhuchao process"),
                "{e}"
            )
        }
        Err(other) => panic!("expected a lock error, got {other}"),
        Ok(_) => panic!("one directory opened twice"),
    }
    drop(first);
    EmbeddedStore::open(dir.path()).expect("free again once the first store is gone");
}

#[tokio::test]
async fn a_corrupt_record_in_the_middle_is_a_loud_error_not_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Given 100 events of which the 10th is damaged on disk,
    let stream = {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        append_marked(&store, 100).await
    };
    corrupt_payload_of(dir.path(), 10);
    let store = EmbeddedStore::open(dir.path()).expect("the tail is intact, so it opens");

    // when the global order or the stream is read across it, then the read fails, naming it;
    let across = store.read_all(Position::START, 50).await;
    match across {
        Err(StoreError::Corrupt { location, detail }) => {
            assert!(location.contains("position 10"), "{location}");
            assert!(detail.contains("checksum"), "{detail}");
        }
        other => panic!("expected corruption to be reported, got {other:?}"),
    }
    let in_stream = store
        .read_stream(&stream, StreamFrom::Version(5), Direction::Forwards, 10)
        .await;
    assert!(
        matches!(in_stream, Err(StoreError::Corrupt { .. })),
        "{in_stream:?}"
    );
    let mut subscription = store.subscribe_all(Position::START);
    let first = futures::StreamExt::next(&mut subscription).await;
    assert!(
        matches!(first, Some(Err(StoreError::Corrupt { .. }))),
        "{first:?}"
    );
    assert!(matches!(
        store.verify().await,
        Err(StoreError::Corrupt { .. })
    ));

    // and what lies before and after it still reads.
    assert_eq!(
        store
            .read_all(Position::START, 9)
            .await
            .expect("before")
            .len(),
        9
    );
    let after = store
        .read_all(Position::from_u64(10), 100)
        .await
        .expect("after");
    assert_eq!(after.len(), 90);
}

#[tokio::test]
async fn a_store_whose_last_records_are_corrupt_refuses_to_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        append_marked(&store, 30).await;
    }
    corrupt_payload_of(dir.path(), 30);
    match EmbeddedStore::open(dir.path()) {
        Err(StoreError::Corrupt { location, .. }) => assert!(location.contains("30"), "{location}"),
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(_) => panic!("a store with a corrupt tail record opened silently"),
    }
}

#[tokio::test]
async fn a_healthy_store_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path()).expect("open");
    assert_eq!(store.verify().await.expect("empty store verifies"), 0);
    append_marked(&store, 40).await;
    assert_eq!(store.verify().await.expect("verify"), 40);
}

/// Given events already in the index and more only in memory (the indexer has not run yet), when
/// they are read by position and by stream in both directions and in pages that straddle the two,
/// then the answers are the same as if all were in one place.
#[tokio::test]
async fn reads_across_the_index_and_the_unindexed_tail_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (
        StreamName::new("rfq-a").expect("name"),
        StreamName::new("rfq-b").expect("name"),
    );
    let append_round = |store: EmbeddedStore, from: u64| {
        let (a, b) = (a.clone(), b.clone());
        async move {
            for n in from..from + 30 {
                store
                    .append(&a, ExpectedVersion::Any, vec![marked(n)])
                    .await
                    .expect("append a");
                if n % 3 == 0 {
                    store
                        .append(&b, ExpectedVersion::Any, vec![marked(1000 + n)])
                        .await
                        .expect("append b");
                }
            }
        }
    };
    {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        append_round(store.clone(), 0).await;
    }
    // Reopened with an indexer that waits an hour: the next events stay in memory.
    let options = zhuchao_eventstore::EmbeddedOptions {
        index_interval: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    let store = EmbeddedStore::open_with(dir.path(), options).expect("reopen");
    append_round(store.clone(), 30).await;

    let mut everything = Vec::new();
    let mut after = Position::START;
    loop {
        let page = store.read_all(after, 7).await.expect("read_all");
        let Some(last) = page.last() else { break };
        after = last.position;
        everything.extend(page);
    }
    assert_eq!(everything.len(), 80);
    for (i, e) in everything.iter().enumerate() {
        assert_eq!(e.position.as_u64(), i as u64 + 1);
    }
    let of_a: Vec<_> = everything.iter().filter(|e| e.stream == a).collect();
    let versions = |events: &[zhuchao_eventstore::RecordedEvent]| -> Vec<u64> {
        events.iter().map(|e| e.version).collect()
    };

    let forwards = store
        .read_stream(&a, StreamFrom::Version(25), Direction::Forwards, 10)
        .await
        .expect("forwards");
    assert_eq!(versions(&forwards), (25..35).collect::<Vec<_>>());
    assert_eq!(forwards[5].id, of_a[30].id);

    let backwards = store
        .read_stream(&a, StreamFrom::End, Direction::Backwards, 45)
        .await
        .expect("backwards");
    assert_eq!(versions(&backwards), (15..60).rev().collect::<Vec<_>>());

    let straddling = store
        .read_stream(&a, StreamFrom::Version(31), Direction::Backwards, 5)
        .await
        .expect("backwards from a version");
    assert_eq!(versions(&straddling), vec![31, 30, 29, 28, 27]);

    let last = store
        .read_stream(&b, StreamFrom::End, Direction::Forwards, 5)
        .await
        .expect("from the end");
    assert_eq!(versions(&last), vec![19]);

    assert_eq!(store.verify().await.expect("verify"), 80);
}

/// Given appends running (past the size where the log moves on to a preallocated segment), when
/// the store is verified again and again meanwhile, then every verification passes: what the writer
/// is in the middle of is never taken for damage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_runs_beside_appends_and_segment_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path()).expect("open");
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let stream = StreamName::new("catalogue-import").expect("name");
            let filler = "螺".repeat(600);
            for n in 0..8_000u64 {
                let event = NewEvent::json(
                    Uuid::now_v7(),
                    "ProductImported",
                    1,
                    &serde_json::json!({ "n": n, "filler": filler }),
                    Metadata::new(Uuid::new_v4(), 1_764_000_000_000),
                )
                .expect("event");
                store
                    .append(&stream, ExpectedVersion::Any, vec![event])
                    .await
                    .expect("append");
            }
        })
    };
    let mut verified = 0;
    while !writer.is_finished() {
        store.verify().await.expect("verify beside appends");
        verified += 1;
    }
    writer.await.expect("writer");
    assert!(verified > 1, "verified {verified} times");
    assert_eq!(store.verify().await.expect("verify"), 8_000);
    let segments = std::fs::read_dir(dir.path().join(LOG_DIR))
        .expect("log")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "log"))
        })
        .count();
    assert!(
        segments >= 2,
        "the log moved on to another segment ({segments})"
    );
}

/// An event reusing `id` in another stream: refused if the store knows the id.
async fn reuse(store: &EmbeddedStore, id: Uuid) -> Result<(), StoreError> {
    let mut event = marked(999);
    event.id = id;
    let other = StreamName::new("product-2").expect("name");
    store
        .append(&other, ExpectedVersion::Any, vec![event])
        .await
        .map(|_| ())
}

#[tokio::test]
async fn ids_stay_known_across_reopening_with_an_older_saved_filter_or_a_foreign_one() {
    // Given a store closed after 50 events (its id filter saved), then reopened, given 20 more
    // and closed again — and the first session's filter put back, as a crash before the second
    // close would have left it
    let dir = tempfile::tempdir().expect("tempdir");
    let filter = dir.path().join("ids.filter");
    let older = dir.path().join("older.filter");
    {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        append_marked(&store, 50).await;
    }
    std::fs::copy(&filter, &older).expect("saved at close");
    {
        let store = EmbeddedStore::open(dir.path()).expect("reopen");
        append_marked(&store, 20).await;
    }
    std::fs::copy(&older, &filter).expect("put back");
    // When it is opened again
    let store = EmbeddedStore::open(dir.path()).expect("open again");
    let stream = StreamName::new("product-1").expect("name");
    let known: Vec<Uuid> = store
        .read_stream(&stream, StreamFrom::Start, Direction::Forwards, 1_000)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(known.len(), 70);
    // Then an id from before the saved filter and one from after it are both refused elsewhere
    for id in [known[3], known[60]] {
        assert!(
            matches!(
                reuse(&store, id).await,
                Err(StoreError::DuplicateEventId { .. })
            ),
            "id {id} was forgotten"
        );
    }
    drop(store);

    // And a filter of another store is not trusted: this store's ids stay known
    let foreign = tempfile::tempdir().expect("tempdir");
    {
        let other = EmbeddedStore::open(foreign.path()).expect("open");
        append_marked(&other, 70).await;
    }
    std::fs::copy(foreign.path().join("ids.filter"), &filter).expect("copy");
    let store = EmbeddedStore::open(dir.path()).expect("open with a foreign filter");
    for id in [known[0], known[69]] {
        assert!(
            matches!(
                reuse(&store, id).await,
                Err(StoreError::DuplicateEventId { .. })
            ),
            "id {id} was forgotten"
        );
    }
}
