//! The embedded backend, Zhuchao's default store: a SQLite database in WAL mode inside a local
//! data directory, written by one thread with group commit, read by a small pool of connections.
//! See docs/ARCHITECTURE.md for why SQLite and what was measured.

mod lock;
mod schema;
mod writer;

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use rusqlite::Connection;
use tokio::sync::{oneshot, watch};

use crate::{
    AppendResult, Direction, EventStore, EventSubscription, ExpectedVersion, NewEvent, Position,
    RecordedEvent, StoreError, StreamFrom, StreamName,
};
use lock::DirLock;
use schema::{record_from_row, storage, COLUMNS};

/// The SQLite file inside the data directory.
pub const DATABASE_FILE: &str = "events.sqlite3";

/// Tuning of the embedded store; the defaults suit a marketplace on one machine.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// Most appends committed together in one transaction (one fsync).
    pub max_group_commit: usize,
    /// Events fetched per read while a subscription catches up.
    pub subscription_batch: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            max_group_commit: 512,
            subscription_batch: 512,
        }
    }
}

/// The embedded event store. Cheap to clone; every clone is the same store.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    options: EmbeddedOptions,
    requests: Option<mpsc::Sender<writer::WriteRequest>>,
    writer: Option<JoinHandle<()>>,
    syncer: Option<JoinHandle<()>>,
    checkpointer: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
    head: watch::Receiver<u64>,
    readers: Readers,
    // Released last, after the writer has finished.
    _lock: DirLock,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the writer after its current group; wait so that the
        // directory is really free once the store is gone.
        self.requests.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        if let Some(syncer) = self.syncer.take() {
            let _ = syncer.join();
        }
        if let Some((stop, thread)) = self.checkpointer.take() {
            drop(stop);
            let _ = thread.join();
        }
    }
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `dir`, with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir, EmbeddedOptions::default())
    }

    /// Opens the store in `dir`. Fails with [`StoreError::Locked`] if another process has it, and
    /// with [`StoreError::Corrupt`] if the last stored events fail their checksums. A commit torn by
    /// a crash or power loss is discarded by SQLite's WAL recovery, back to the last whole commit.
    pub fn open_with(dir: impl AsRef<Path>, options: EmbeddedOptions) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(|e| StoreError::io(format!("could not create {}", dir.display()), e))?;
        let lock = DirLock::acquire(&dir)?;
        let path = dir.join(DATABASE_FILE);
        let conn = schema::open_writer(&path)?;
        sync_dir(&dir)?;
        let head: u64 = conn
            .query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
                r.get(0)
            })
            .map_err(storage)?;
        verify_range(&conn, head.saturating_sub(64), head)?;
        let (published, head_rx) = watch::channel(head);
        let (requests, rx) = mpsc::channel();
        let log_path = dir.join(format!("{DATABASE_FILE}-wal"));
        let log = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&log_path)
            .map_err(|e| StoreError::io(format!("could not open {}", log_path.display()), e))?;
        let (writer, syncer) = writer::spawn(
            conn,
            log,
            head,
            published,
            rx,
            options.max_group_commit.max(1),
        )?;
        let checkpointer = Some(spawn_checkpointer(schema::open_checkpointer(&path)?)?);
        tracing::info!(dir = %dir.display(), head, "embedded event store open");
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                options,
                requests: Some(requests),
                checkpointer,
                writer: Some(writer),
                syncer: Some(syncer),
                head: head_rx,
                readers: Readers {
                    path,
                    idle: Mutex::new(Vec::new()),
                },
                _lock: lock,
            }),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Reads every event and checks each checksum and the gapless order, plus SQLite's own
    /// structural check. Returns the number of events.
    pub async fn verify(&self) -> Result<u64, StoreError> {
        let head = *self.inner.head.borrow();
        self.blocking_read(move |conn| {
            let problems: Vec<String> = conn
                .prepare("PRAGMA quick_check")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .map_err(storage)?;
            if problems.len() != 1 || problems[0] != "ok" {
                return Err(StoreError::Corrupt {
                    location: DATABASE_FILE.to_string(),
                    detail: problems.join("; "),
                });
            }
            verify_range(conn, 0, head)?;
            Ok(head)
        })
        .await
    }

    async fn blocking_read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.readers.with(f))
            .await
            .map_err(|e| StoreError::Storage(format!("a read task failed: {e}")))?
    }

    fn published_head(&self) -> u64 {
        *self.inner.head.borrow()
    }
}

/// Idle read connections, reused across reads.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    const KEEP: usize = 8;

    fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match taken {
            Some(conn) => conn,
            None => schema::open_reader(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < Self::KEEP {
            idle.push(conn);
        }
        result
    }
}

/// Copies the log into the database file in the background, so that the writer's own checkpoint
/// (every 4,000 pages) finds little left to copy and stalls appends only briefly.
fn spawn_checkpointer(conn: Connection) -> Result<(mpsc::Sender<()>, JoinHandle<()>), StoreError> {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("zhuchao-store-checkpointer".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(std::time::Duration::from_millis(CHECKPOINT_MS))
            {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "background checkpoint failed");
                }
            }
        })
        .map_err(|e| StoreError::io("could not start the checkpointer thread", e))?;
    Ok((stop, thread))
}

const CHECKPOINT_MS: u64 = 50;

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(format!("could not sync {}", dir.display()), e))
}

/// Reads the events after `after` up to `head` (at most `max`), checking that positions follow one
/// another without a gap: a missing event is corruption, never skipped.
fn read_range(
    conn: &Connection,
    after: u64,
    head: u64,
    max: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    if after >= head || max == 0 {
        return Ok(Vec::new());
    }
    let limit = (head - after).min(max as u64);
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE position > ?1 AND position <= ?2 \
             ORDER BY position LIMIT ?3"
        ))
        .map_err(storage)?;
    let mut rows = stmt.query((after, head, limit)).map_err(storage)?;
    let mut events = Vec::with_capacity(limit as usize);
    let mut expected = after + 1;
    while let Some(row) = rows.next().map_err(storage)? {
        let event = record_from_row(row)?;
        if event.position.as_u64() != expected {
            return Err(StoreError::corrupt_at(
                Position::from_u64(expected),
                "the event at this position is missing",
            ));
        }
        expected += 1;
        events.push(event);
    }
    if (events.len() as u64) < limit {
        return Err(StoreError::corrupt_at(
            Position::from_u64(expected),
            "the event at this position is missing",
        ));
    }
    Ok(events)
}

/// Checks every event in `(after, head]`.
fn verify_range(conn: &Connection, mut after: u64, head: u64) -> Result<(), StoreError> {
    while after < head {
        let batch = read_range(conn, after, head, 4096)?;
        after = batch.last().map_or(head, |e| e.position.as_u64());
    }
    Ok(())
}

fn validate_batch(events: &[NewEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Err(StoreError::EmptyAppend);
    }
    let mut seen = HashSet::with_capacity(events.len());
    for event in events {
        event.validate()?;
        if !seen.insert(event.id) {
            return Err(StoreError::InvalidEvent {
                id: event.id,
                reason: "the batch holds this event id twice".into(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl EventStore for EmbeddedStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        validate_batch(&events)?;
        let (reply, answer) = oneshot::channel();
        let request = writer::WriteRequest {
            stream: stream.clone(),
            expected,
            events,
            reply,
        };
        self.inner
            .requests
            .as_ref()
            .ok_or(StoreError::Closed)?
            .send(request)
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from: StreamFrom,
        direction: Direction,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let head = self.published_head();
        let stream = stream.as_str().to_string();
        let limit = max.min(i64::MAX as usize) as i64;
        self.blocking_read(move |conn| {
            let (op, order) = match direction {
                Direction::Forwards => (">=", "ASC"),
                Direction::Backwards => ("<=", "DESC"),
            };
            let sql = match from {
                StreamFrom::Start | StreamFrom::Version(_) => format!(
                    "SELECT {COLUMNS} FROM events WHERE stream = ?1 AND version {op} ?2 \
                     AND position <= ?3 ORDER BY version {order} LIMIT ?4"
                ),
                StreamFrom::End => format!(
                    "SELECT {COLUMNS} FROM events WHERE stream = ?1 AND position <= ?3 \
                     AND version {op} (SELECT MAX(version) FROM events WHERE stream = ?1 \
                     AND position <= ?3) + ?2 ORDER BY version {order} LIMIT ?4"
                ),
            };
            let version = match from {
                StreamFrom::Start | StreamFrom::End => 0,
                StreamFrom::Version(v) => v.min(i64::MAX as u64) as i64,
            };
            let mut stmt = conn.prepare_cached(&sql).map_err(storage)?;
            let mut rows = stmt
                .query((stream, version, head, limit))
                .map_err(storage)?;
            let mut events = Vec::new();
            while let Some(row) = rows.next().map_err(storage)? {
                events.push(record_from_row(row)?);
            }
            Ok(events)
        })
        .await
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let head = self.published_head();
        if after.as_u64() >= head || max == 0 {
            return Ok(Vec::new());
        }
        self.blocking_read(move |conn| read_range(conn, after.as_u64(), head, max))
            .await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        Ok(Position::from_u64(self.published_head()))
    }

    fn subscribe_all(&self, after: Position) -> EventSubscription {
        let state = Subscription {
            store: self.clone(),
            after,
            buffered: VecDeque::new(),
            head: self.inner.head.clone(),
            failed: false,
        };
        Box::pin(futures::stream::unfold(state, Subscription::next))
    }
}

/// A subscription's state: where it is, what it has read ahead, and the writer's head to wait on.
struct Subscription {
    store: EmbeddedStore,
    after: Position,
    buffered: VecDeque<RecordedEvent>,
    head: watch::Receiver<u64>,
    failed: bool,
}

impl Subscription {
    async fn next(mut self) -> Option<(Result<RecordedEvent, StoreError>, Self)> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(event) = self.buffered.pop_front() {
                self.after = event.position;
                return Some((Ok(event), self));
            }
            let head = *self.head.borrow_and_update();
            if head > self.after.as_u64() {
                let batch = self.store.inner.options.subscription_batch.max(1);
                match self.store.read_all(self.after, batch).await {
                    Ok(events) => self.buffered.extend(events),
                    Err(e) => {
                        self.failed = true;
                        return Some((Err(e), self));
                    }
                }
            } else if self.head.changed().await.is_err() {
                self.failed = true;
                return Some((Err(StoreError::Closed), self));
            }
        }
    }
}
