//! The embedded backend, Zhuchao's default store, in a local data directory: events live in a
//! checksummed, group-committed log of segment files; a SQLite index beside it finds them by id,
//! stream and position. See docs/ARCHITECTURE.md for why, and what was measured.

mod ids;
mod index;
mod lock;
mod log;
mod upgrade;
mod writer;

use std::collections::HashSet;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Condvar, Mutex, RwLock};

use async_trait::async_trait;
use rusqlite::Connection;
use tokio::sync::{oneshot, watch};

use crate::{
    AppendResult, Direction, EventStore, EventSubscription, ExpectedVersion, NewEvent, Position,
    RecordedEvent, StoreError, StreamFrom, StreamName,
};
use lock::DirLock;
use log::{Location, Segments};
use writer::{SharedTail, Tail};

/// The index's SQLite file inside the data directory.
pub const DATABASE_FILE: &str = "events.sqlite3";
/// The filter of the ids the store holds, saved when it closes.
const IDS_FILE: &str = "ids.filter";

/// The log's directory inside the data directory.
pub const LOG_DIR: &str = log::LOG_DIR;

/// Tuning of the embedded store; the defaults suit a marketplace on one machine.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// Most appends decided together and written as one frame (one fsync).
    pub max_group_commit: usize,
    /// Events fetched per read while a subscription catches up.
    pub subscription_batch: usize,
    /// How long the indexer gathers written events before adding them to the index in one
    /// transaction; meanwhile readers find them in memory.
    pub index_interval: std::time::Duration,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            max_group_commit: 512,
            subscription_batch: 512,
            index_interval: std::time::Duration::from_millis(250),
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
    writer: Option<writer::Threads>,
    head: watch::Receiver<u64>,
    tail: SharedTail,
    segments: Segments,
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
            writer.join();
        }
    }
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `dir`, with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir, EmbeddedOptions::default())
    }

    /// Opens the store in `dir`. Fails with [`StoreError::Locked`] if another process has it, and
    /// with [`StoreError::Corrupt`] if a frame of the log is damaged anywhere but where a crash
    /// could have torn it, or if the last stored events fail their checksums. A commit torn by a
    /// crash or power loss is cut from the end of the log, back to the last whole commit; the index
    /// catches up with the log. A data directory of the first layout (events inside SQLite) is
    /// moved into the log first.
    pub fn open_with(dir: impl AsRef<Path>, options: EmbeddedOptions) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(|e| StoreError::io(format!("could not create {}", dir.display()), e))?;
        let lock = DirLock::acquire(&dir)?;
        let path = dir.join(DATABASE_FILE);
        let log_dir = dir.join(LOG_DIR);
        std::fs::create_dir_all(&log_dir)
            .map_err(|e| StoreError::io(format!("could not create {}", log_dir.display()), e))?;
        let (mut conn, _) = index::open_writer(&path)?;
        log::sync_dir(&dir)?;
        let scan_after_index = |conn: &Connection| {
            let indexed = index::head(conn)?;
            log::scan_after(&log_dir, indexed, index::location_of(conn, indexed)?)
        };
        let (mut end, mut unindexed) = scan_after_index(&conn)?;
        if upgrade::needed(&conn)? {
            upgrade::run(&mut conn, &log_dir, &end)?;
            (end, unindexed) = scan_after_index(&conn)?;
        }
        index::set_layout(&conn)?;
        let head = catch_up_index(&mut conn, &log_dir, end.head, unindexed)?;
        let segments = Segments::new(&log_dir);
        verify_range(&conn, &segments, head.saturating_sub(64), head)?;

        let ids_file = dir.join(IDS_FILE);
        let ids = open_ids(&conn, &ids_file, head)?;
        let last_id = index::id_at(&conn, head)?;

        let (published, head_rx) = watch::channel(head);
        let (requests, rx) = mpsc::channel();
        let tail: SharedTail = Arc::new(RwLock::new(Tail {
            indexed: head,
            events: VecDeque::new(),
        }));
        let writer = writer::spawn(writer::Start {
            indexer: conn,
            lookups: index::open_reader(&path)?,
            ids,
            ids_file,
            last_id,
            log: log::LogWriter::start(&log_dir, end.end)?,
            head,
            tail: tail.clone(),
            published,
            requests: rx,
            max_group: options.max_group_commit.max(1),
            index_interval: options.index_interval,
        })?;
        tracing::info!(dir = %dir.display(), head, "embedded event store open");
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                options,
                requests: Some(requests),
                writer: Some(writer),
                head: head_rx,
                tail,
                segments,
                readers: Readers {
                    path,
                    pool: Mutex::new(Pool::default()),
                    returned: Condvar::new(),
                },
                _lock: lock,
            }),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Reads the whole log, checking every frame, every record's checksum and the gapless order,
    /// and checks that the index places every event where the log has it. Returns the number of
    /// events.
    pub async fn verify(&self) -> Result<u64, StoreError> {
        let head = self.published_head();
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let indexed = inner.tail.read().unwrap_or_else(|p| p.into_inner()).indexed;
            inner.readers.with(|conn| {
                // The index is read alongside the log, a page at a time.
                let mut page: VecDeque<(u64, Location)> = VecDeque::new();
                let mut paged_to = 0;
                let log_end = log::scan(
                    &inner.dir.join(LOG_DIR),
                    log::ScanFrom::Start { upto: head },
                    |s| {
                        let position = s.event.position.as_u64();
                        if position > indexed {
                            return Ok(());
                        }
                        if page.is_empty() {
                            page.extend(index::range(conn, paged_to, indexed, 4096)?);
                            paged_to = page.back().map_or(indexed, |(p, _)| *p);
                        }
                        match page.pop_front() {
                            Some((p, location)) if p == position && location == s.location => {
                                Ok(())
                            }
                            _ => Err(StoreError::corrupt_at(
                                s.event.position,
                                "the index does not place this event where the log has it",
                            )),
                        }
                    },
                )?;
                if log_end.head < head {
                    return Err(StoreError::corrupt_at(
                        Position::from_u64(log_end.head + 1),
                        "the log ends before the last acknowledged event",
                    ));
                }
                if index::count(conn)? < indexed {
                    return Err(StoreError::Corrupt {
                        location: DATABASE_FILE.to_string(),
                        detail: "the index misses events the log holds".into(),
                    });
                }
                Ok(head)
            })
        })
        .await
        .map_err(|e| StoreError::Storage(format!("a read task failed: {e}")))?
    }

    async fn blocking_read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, &Segments) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.readers.with(|conn| f(conn, &inner.segments)))
            .await
            .map_err(|e| StoreError::Storage(format!("a read task failed: {e}")))?
    }

    fn published_head(&self) -> u64 {
        *self.inner.head.borrow()
    }

    /// The indexed head and the events after it up to `head`, taken together so that every event
    /// up to `head` is in one or the other.
    fn tail_after(&self, head: u64) -> (u64, Vec<Arc<RecordedEvent>>) {
        let tail = self.inner.tail.read().unwrap_or_else(|p| p.into_inner());
        let events = tail
            .events
            .iter()
            .take_while(|e| e.position.as_u64() <= head)
            .cloned()
            .collect();
        (tail.indexed, events)
    }
}

/// Adds to the index what the log holds beyond it, and forgets entries the log lost (appends never
/// acknowledged). Returns the log's head.
/// The filter of every id the store holds: the saved one, if it matches this store, with the ids
/// indexed after it; else read from every indexed id.
fn open_ids(conn: &Connection, path: &Path, head: u64) -> Result<ids::IdFilter, StoreError> {
    if let Some((mut filter, position, last)) = ids::IdFilter::load(path) {
        // Only a filter of this history: the event it ends with is the one the index has there.
        if position <= head && index::id_at(conn, position)? == Some(last) {
            index::each_id(conn, position, |id| filter.insert(id))?;
            return Ok(filter);
        }
        tracing::info!(file = %path.display(), "the saved id filter is not this store's: reading every id");
    }
    let mut filter = ids::IdFilter::new();
    index::each_id(conn, 0, |id| filter.insert(id))?;
    Ok(filter)
}

fn catch_up_index(
    conn: &mut Connection,
    log_dir: &Path,
    log_head: u64,
    unindexed: Vec<log::Scanned>,
) -> Result<u64, StoreError> {
    let indexed = index::head(conn)?;
    if indexed > log_head {
        if log::segments(log_dir)?.is_empty() {
            return Err(StoreError::Corrupt {
                location: log_dir.display().to_string(),
                detail: format!("the log is missing, yet the index lists {indexed} events"),
            });
        }
        let forgotten = index::forget_after(conn, log_head)?;
        tracing::warn!(
            forgotten,
            head = log_head,
            "the index listed events the log does not hold (never acknowledged); forgot them"
        );
    }
    if !unindexed.is_empty() {
        tracing::info!(events = unindexed.len(), "indexing events the index missed");
        index::insert(conn, unindexed.iter().map(|s| (&s.event, s.location))).map_err(|e| {
            StoreError::Corrupt {
                location: DATABASE_FILE.to_string(),
                detail: format!("the log's events do not fit the index: {e}"),
            }
        })?;
    }
    Ok(log_head)
}

/// Read connections to the index, reused across reads: at most [`Readers::MAX`] are open, and a
/// read finding none idle waits for one rather than opening (and preparing) another — many
/// concurrent loads would otherwise each pay for a connection of their own.
struct Readers {
    path: PathBuf,
    pool: Mutex<Pool>,
    returned: Condvar,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

/// A connection taken from the pool; given back (or counted as closed) when dropped.
struct Lent<'a> {
    readers: &'a Readers,
    conn: Option<Connection>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let mut pool = self.readers.pool();
        match self.conn.take() {
            Some(conn) if !std::thread::panicking() => pool.idle.push(conn),
            _ => pool.open -= 1,
        }
        drop(pool);
        self.readers.returned.notify_one();
    }
}

impl Readers {
    const MAX: usize = 16;

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        // An idle connection, or leave to open one, or wait for one given back.
        let idle = {
            let mut pool = self.pool();
            loop {
                if let Some(conn) = pool.idle.pop() {
                    break Some(conn);
                }
                if pool.open < Self::MAX {
                    pool.open += 1;
                    break None;
                }
                pool = self.returned.wait(pool).unwrap_or_else(|p| p.into_inner());
            }
        };
        let conn = match idle {
            Some(conn) => conn,
            None => match index::open_reader(&self.path) {
                Ok(conn) => conn,
                Err(e) => {
                    self.pool().open -= 1;
                    self.returned.notify_one();
                    return Err(e);
                }
            },
        };
        let lent = Lent {
            readers: self,
            conn: Some(conn),
        };
        f(lent.conn.as_ref().expect("lent until dropped"))
    }
}

/// Reads the indexed events after `after` up to `upto` (at most `max`), checking that positions
/// follow one another without a gap: a missing event is corruption, never skipped.
fn read_range(
    conn: &Connection,
    segments: &Segments,
    after: u64,
    upto: u64,
    max: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let wanted = index::range(conn, after, upto, max)?;
    for (i, (position, _)) in wanted.iter().enumerate() {
        if *position != after + 1 + i as u64 {
            return Err(StoreError::corrupt_at(
                Position::from_u64(after + 1 + i as u64),
                "the event at this position is missing",
            ));
        }
    }
    let expected = (upto.saturating_sub(after)).min(max as u64);
    if (wanted.len() as u64) < expected {
        return Err(StoreError::corrupt_at(
            Position::from_u64(after + 1 + wanted.len() as u64),
            "the event at this position is missing",
        ));
    }
    segments.read(&wanted)
}

/// Checks every event in `(after, head]`.
fn verify_range(
    conn: &Connection,
    segments: &Segments,
    mut after: u64,
    head: u64,
) -> Result<(), StoreError> {
    while after < head {
        let batch = read_range(conn, segments, after, head, 4096)?;
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
        let (indexed, tail) = self.tail_after(head);
        // Every event of the stream in the tail comes after (and has a higher version than) every
        // indexed one.
        let recent: Vec<Arc<RecordedEvent>> =
            tail.into_iter().filter(|e| e.stream == *stream).collect();
        let upto = indexed.min(head);
        let stream = stream.as_str().to_string();
        self.blocking_read(move |conn, segments| {
            let version = match from {
                StreamFrom::Start => 0,
                StreamFrom::Version(v) => v,
                StreamFrom::End => match recent.last() {
                    Some(e) => e.version,
                    None => match last_indexed_version(conn, &stream, upto)? {
                        Some(v) => v,
                        None => return Ok(Vec::new()),
                    },
                },
            };
            let from_index = |max: usize| -> Result<Vec<RecordedEvent>, StoreError> {
                let found = index::stream(conn, &stream, version, direction, upto, max)?;
                let wanted: Vec<(u64, Location)> = found.iter().map(|(p, _, l)| (*p, *l)).collect();
                segments.read(&wanted)
            };
            let mut events = Vec::new();
            match direction {
                Direction::Forwards => {
                    events.extend(from_index(max)?);
                    let more = recent.iter().filter(|e| e.version >= version);
                    events.extend(more.map(|e| RecordedEvent::clone(e)));
                }
                Direction::Backwards => {
                    let more = recent.iter().rev().filter(|e| e.version <= version);
                    events.extend(more.map(|e| RecordedEvent::clone(e)));
                    if events.len() < max {
                        events.extend(from_index(max - events.len())?);
                    }
                }
            }
            events.truncate(max);
            Ok(events)
        })
        .await
    }

    async fn read_streams(
        &self,
        streams: &[StreamName],
        max: usize,
    ) -> Result<Vec<Vec<RecordedEvent>>, StoreError> {
        if max == 0 {
            return Ok(vec![Vec::new(); streams.len()]);
        }
        // One read task for them all, against one head: each stream's indexed events, then its
        // events in the tail (which come after every indexed one of it).
        let head = self.published_head();
        let (indexed, tail) = self.tail_after(head);
        let upto = indexed.min(head);
        let mut recent: std::collections::HashMap<&str, Vec<Arc<RecordedEvent>>> =
            std::collections::HashMap::new();
        for e in &tail {
            recent.entry(e.stream.as_str()).or_default().push(e.clone());
        }
        let wanted: Vec<(String, Vec<Arc<RecordedEvent>>)> = streams
            .iter()
            .map(|s| {
                let tail = recent.get(s.as_str()).cloned().unwrap_or_default();
                (s.as_str().to_string(), tail)
            })
            .collect();
        self.blocking_read(move |conn, segments| {
            wanted
                .into_iter()
                .map(|(stream, tail)| {
                    let found = index::stream(conn, &stream, 0, Direction::Forwards, upto, max)?;
                    let at: Vec<(u64, Location)> = found.iter().map(|(p, _, l)| (*p, *l)).collect();
                    let mut events = segments.read(&at)?;
                    events.extend(tail.iter().map(|e| RecordedEvent::clone(e)));
                    events.truncate(max);
                    Ok(events)
                })
                .collect()
        })
        .await
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let head = self.published_head();
        let after = after.as_u64();
        if after >= head || max == 0 {
            return Ok(Vec::new());
        }
        let (indexed, tail) = self.tail_after(head);
        let recent = tail
            .into_iter()
            .filter(|e| e.position.as_u64() > after)
            .map(|e| RecordedEvent::clone(&e));
        if after >= indexed {
            return Ok(recent.take(max).collect());
        }
        let upto = indexed.min(head);
        let mut events = self
            .blocking_read(move |conn, segments| read_range(conn, segments, after, upto, max))
            .await?;
        events.extend(recent.take(max - events.len()));
        Ok(events)
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

fn last_indexed_version(
    conn: &Connection,
    stream: &str,
    upto: u64,
) -> Result<Option<u64>, StoreError> {
    let found = index::stream(conn, stream, u64::MAX, Direction::Backwards, upto, 1)?;
    Ok(found.first().map(|(_, version, _)| *version))
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
