//! Recording traffic without slowing requests: the gateway hands events to a bounded queue and
//! goes on; a background task appends them in batches, each batch a new `traffic-<id>` stream.
//! If the queue is full (the store is far behind) events are dropped and counted, never waited on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use uuid::Uuid;
use zhuchao_eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StreamName};

use crate::events::{TrafficEvent, TRAFFIC_KIND};

/// Events waiting to be written, at most.
pub const QUEUE: usize = 100_000;
/// Events per appended batch, at most.
pub const BATCH: usize = 2_000;

#[derive(Clone)]
pub struct TrafficRecorder {
    queue: mpsc::Sender<TrafficEvent>,
    dropped: Arc<AtomicU64>,
}

/// A new `traffic-<id>` stream and its events.
fn batch_of(events: impl Iterator<Item = TrafficEvent>) -> (StreamName, Vec<NewEvent>) {
    let id = Uuid::now_v7();
    let stream = StreamName::new(format!("{TRAFFIC_KIND}-{id}")).expect("a valid stream name");
    let events = events
        .map(|e| NewEvent {
            id: Uuid::now_v7(),
            event_type: e.event_type().to_string(),
            schema_version: 1,
            payload: e.to_payload(),
            metadata: Metadata::new(id, e.at()),
        })
        .collect();
    (stream, events)
}

/// Appends many traffic events at once, in batches (imports, the demo's history).
pub async fn append_all<S: EventStore>(
    store: &S,
    events: Vec<TrafficEvent>,
) -> Result<(), zhuchao_eventstore::StoreError> {
    for chunk in events.chunks(BATCH) {
        let (stream, batch) = batch_of(chunk.iter().cloned());
        store
            .append(&stream, ExpectedVersion::NoStream, batch)
            .await?;
    }
    Ok(())
}

impl TrafficRecorder {
    /// Starts the writer task on `store`; batches are appended at least every `linger`.
    pub fn start<S: EventStore>(store: S, linger: Duration) -> Self {
        let (queue, mut rx) = mpsc::channel::<TrafficEvent>(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                if rx.recv_many(&mut batch, BATCH).await == 0 {
                    return;
                }
                let deadline = tokio::time::Instant::now() + linger;
                while batch.len() < BATCH {
                    let room = BATCH - batch.len();
                    match tokio::time::timeout_at(deadline, rx.recv_many(&mut batch, room)).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
                let (stream, events) = batch_of(batch.drain(..));
                let n = events.len();
                // A failed batch is retried once (same ids: the store keeps it once), then dropped:
                // traffic is worth less than the store's health.
                let mut done = false;
                for _ in 0..2 {
                    match store
                        .append(&stream, ExpectedVersion::NoStream, events.clone())
                        .await
                    {
                        Ok(_) => {
                            done = true;
                            break;
                        }
                        Err(e) => tracing::warn!("recording {n} traffic events failed: {e}"),
                    }
                }
                if !done {
                    tracing::warn!("dropped {n} traffic events");
                }
            }
        });
        Self { queue, dropped }
    }

    /// Queues an event; never waits.
    pub fn record(&self, event: TrafficEvent) {
        if self.queue.try_send(event).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
