//! The embedded store's write path, three threads in a pipeline. The *decider* takes every append
//! waiting at that moment (group commit), checks versions and ids, assigns global positions, and
//! writes the group to the log as one frame. The *syncer* makes frames durable, one `fdatasync`
//! for every frame written before it started, and only then answers the appenders and tells
//! readers the new head — so nobody ever sees, or is told of, position N+1 before N is on disk.
//! The *indexer* adds the events to the SQLite index in large batches, off the answer path; until
//! it has, readers find them in the [`Tail`] kept in memory.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use super::ids::IdFilter;
use super::index::{self, storage};
use super::log::{FrameBuilder, Location, LogWriter};
use crate::{
    AppendResult, ExpectedVersion, NewEvent, Position, RecordedEvent, StoreError, StreamName,
};

pub(crate) struct WriteRequest {
    pub stream: StreamName,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    pub reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

type Reply = (
    oneshot::Sender<Result<AppendResult, StoreError>>,
    Result<AppendResult, StoreError>,
);

/// The events written to the log but not yet to the index, for readers. Positions run without a gap
/// from `indexed + 1`.
pub(crate) struct Tail {
    /// Everything up to here is in the index.
    pub indexed: u64,
    pub events: VecDeque<Arc<RecordedEvent>>,
}

pub(crate) type SharedTail = Arc<RwLock<Tail>>;

/// Most events kept in the tail: when the indexer falls this far behind, the decider waits.
const MOST_UNINDEXED: usize = 1_000_000;

/// What the decider tells the syncer, in order.
enum ToSyncer {
    /// Frames up to `frames` are written to `segment`: sync it.
    Written { frames: u64, segment: Arc<File> },
    /// A decided group: answer it once the log is synced through `frames`.
    Decided {
        frames: u64,
        head: u64,
        replies: Vec<Reply>,
    },
}

/// Why the store stopped writing, once it has (shared by the three threads).
type Stopped = Arc<Mutex<Option<String>>>;

fn stopped_reason(stopped: &Stopped) -> Option<String> {
    stopped.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

fn stop(stopped: &Stopped, reason: String) {
    stopped
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert(reason);
}

fn refusal(reason: &str) -> StoreError {
    StoreError::Storage(format!(
        "the store stopped writing after a failed write or sync ({reason}); reopen it to recover"
    ))
}

/// The write path's threads, joined in order when the store closes.
pub(crate) struct Threads(Vec<JoinHandle<()>>);

impl Threads {
    pub(crate) fn join(self) {
        for thread in self.0 {
            let _ = thread.join();
        }
    }
}

/// Everything the write path starts from.
pub(crate) struct Start {
    /// The index's writing connection.
    pub indexer: Connection,
    /// A connection for the decider's look-ups.
    pub lookups: Connection,
    /// Every id the store holds.
    pub ids: IdFilter,
    /// Where the filter is saved when the store closes.
    pub ids_file: PathBuf,
    /// The id of the event at `head`.
    pub last_id: Option<Uuid>,
    pub log: LogWriter,
    /// The last position in the log (and in the index: the store opens caught up).
    pub head: u64,
    pub tail: SharedTail,
    pub published: watch::Sender<u64>,
    pub requests: mpsc::Receiver<WriteRequest>,
    pub max_group: usize,
    /// How long the indexer gathers events before it writes them: a few large transactions write
    /// far fewer pages than many small ones, and those writes share the disk with the log's syncs.
    pub index_interval: Duration,
}

/// Starts the decider, the syncer and the indexer. They run until every sender of `requests` is
/// dropped; joining them then finishes every append already taken and indexes it.
pub(crate) fn spawn(start: Start) -> Result<Threads, StoreError> {
    let Start {
        indexer,
        lookups,
        ids,
        ids_file,
        last_id,
        log,
        head,
        tail,
        published,
        requests,
        max_group,
        index_interval,
    } = start;
    let stopped: Stopped = Arc::default();
    let indexed = Arc::new(AtomicU64::new(head));
    let (to_syncer, from_decider) = mpsc::channel::<ToSyncer>();
    let (to_indexer, unindexed) = mpsc::channel::<Vec<(Arc<RecordedEvent>, Location)>>();
    let thread = |name: &str, f: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(f)
            .map_err(|e| StoreError::io(format!("could not start the {name} thread"), e))
    };
    let syncer = {
        let stopped = stopped.clone();
        thread(
            "zhuchao-store-syncer",
            Box::new(move || sync_loop(from_decider, published, stopped)),
        )?
    };
    let indexer = {
        let (stopped, indexed, tail) = (stopped.clone(), indexed.clone(), tail.clone());
        thread(
            "zhuchao-store-indexer",
            Box::new(move || {
                index_loop(indexer, unindexed, tail, indexed, stopped, index_interval)
            }),
        )?
    };
    let decider = thread(
        "zhuchao-store-decider",
        Box::new(move || {
            let mut decider = Decider {
                conn: lookups,
                ids,
                last_id,
                log,
                head,
                indexed,
                tail,
                stopped,
                versions: HashMap::new(),
                pending: HashMap::new(),
                pending_order: VecDeque::new(),
            };
            while let Ok(first) = requests.recv() {
                let group = gather(first, &requests, max_group);
                decider.decide_group(group, &to_syncer, &to_indexer);
            }
            // The next open reads this instead of every id.
            if let Some(last) = decider.last_id {
                if let Err(e) = decider.ids.save(&ids_file, decider.head, &last) {
                    tracing::warn!(error = %e, "could not save the id filter; the next open reads every id");
                }
            }
        }),
    )?;
    Ok(Threads(vec![decider, syncer, indexer]))
}

/// Collects the appends to decide together: the first one and everything queued behind it. While
/// one group is synced the next queues up, so groups grow with the load.
fn gather(
    first: WriteRequest,
    requests: &mpsc::Receiver<WriteRequest>,
    max_group: usize,
) -> Vec<WriteRequest> {
    let mut group = vec![first];
    while group.len() < max_group {
        match requests.try_recv() {
            Ok(next) => group.push(next),
            Err(_) => break,
        }
    }
    group
}

/// Answers groups in order once their frames are durable; syncs the log in between.
fn sync_loop(
    from_decider: mpsc::Receiver<ToSyncer>,
    published: watch::Sender<u64>,
    stopped: Stopped,
) {
    let mut synced = 0u64;
    let mut to_sync: Option<(u64, Arc<File>)> = None;
    let mut waiting: VecDeque<(u64, u64, Vec<Reply>)> = VecDeque::new();
    let mut failed: Option<String> = None;
    let take = |message: ToSyncer,
                to_sync: &mut Option<(u64, Arc<File>)>,
                waiting: &mut VecDeque<(u64, u64, Vec<Reply>)>| match message {
        ToSyncer::Written { frames, segment } => *to_sync = Some((frames, segment)),
        ToSyncer::Decided {
            frames,
            head,
            replies,
        } => waiting.push_back((frames, head, replies)),
    };
    loop {
        // Answer what is durable before waiting or starting the next sync.
        while waiting
            .front()
            .is_some_and(|(frames, _, _)| *frames <= synced)
        {
            let (_, head, replies) = waiting.pop_front().expect("checked");
            answer(replies, head, &failed, &published);
        }
        if to_sync.is_none() {
            match from_decider.recv() {
                Ok(message) => take(message, &mut to_sync, &mut waiting),
                Err(_) => break,
            }
        }
        while let Ok(message) = from_decider.try_recv() {
            take(message, &mut to_sync, &mut waiting);
        }
        if let Some((frames, segment)) = to_sync.take() {
            if failed.is_none() {
                if let Err(e) = segment.sync_data() {
                    let reason = format!("syncing the log failed: {e}");
                    tracing::error!(%reason, "event store sync failed");
                    stop(&stopped, reason.clone());
                    failed = Some(reason);
                }
            }
            synced = frames;
        }
    }
    for (_, head, replies) in waiting {
        answer(replies, head, &failed, &published);
    }
}

fn answer(replies: Vec<Reply>, head: u64, failed: &Option<String>, published: &watch::Sender<u64>) {
    match failed {
        None => {
            published.send_replace(head);
            for (reply, outcome) in replies {
                let _ = reply.send(outcome);
            }
        }
        Some(reason) => {
            for (reply, _) in replies {
                let _ = reply.send(Err(refusal(reason)));
            }
        }
    }
}

/// Adds written events to the index, gathering them for `interval` into one transaction, then drops
/// them from the tail. When the store closes it indexes what is left at once.
fn index_loop(
    mut conn: Connection,
    unindexed: mpsc::Receiver<Vec<(Arc<RecordedEvent>, Location)>>,
    tail: SharedTail,
    indexed: Arc<AtomicU64>,
    stopped: Stopped,
    interval: Duration,
) {
    while let Ok(first) = unindexed.recv() {
        let mut batch = first;
        let deadline = Instant::now() + interval;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let more = if left.is_zero() {
                unindexed.try_recv().ok()
            } else {
                unindexed.recv_timeout(left).ok()
            };
            match more {
                Some(more) => batch.extend(more),
                None => break,
            }
        }
        let Some(head) = batch.last().map(|(e, _)| e.position.as_u64()) else {
            continue;
        };
        let entries = batch.iter().map(|(e, location)| (&**e, *location));
        if let Err(e) = index::insert(&mut conn, entries) {
            // The events are safe in the log; the next start indexes them again.
            let reason = format!("adding events to the index failed: {e}");
            tracing::error!(%reason, "event store index failed");
            stop(&stopped, reason);
            return;
        }
        let mut tail = tail.write().unwrap_or_else(|p| p.into_inner());
        while tail
            .events
            .front()
            .is_some_and(|e| e.position.as_u64() <= head)
        {
            tail.events.pop_front();
        }
        tail.indexed = head;
        indexed.store(head, Ordering::Release);
    }
}

/// Where a stored (or decided) event sits.
#[derive(Clone)]
struct Placed {
    stream: String,
    version: u64,
    position: u64,
}

struct Decider {
    /// A read connection: sees what the indexer has committed.
    conn: Connection,
    /// Every id stored or decided: most new ids need no look-up.
    ids: IdFilter,
    /// The id of the event at `head`.
    last_id: Option<Uuid>,
    log: LogWriter,
    /// The last decided global position.
    head: u64,
    /// The last position the index holds (set by the indexer).
    indexed: Arc<AtomicU64>,
    tail: SharedTail,
    /// Set when a write, a sync or the index failed: the store stops accepting appends
    /// (fail-stop), since after a failed fsync nobody can vouch for what the disk holds.
    stopped: Stopped,
    /// Last version (and its position) of recently written streams. Entries not yet indexed are
    /// never dropped, so a stream missing here is read from the index without missing anything.
    versions: HashMap<String, (u64, u64)>,
    /// Events decided but perhaps not yet indexed, by id, and their positions in order.
    pending: HashMap<Uuid, Placed>,
    pending_order: VecDeque<(u64, Uuid)>,
}

/// Most streams whose versions the decider remembers (beyond those not yet indexed).
const REMEMBERED_STREAMS: usize = 100_000;

/// Why one append of a group did not go in.
enum Refusal {
    /// The append breaks a rule (version, duplicate id): only this append fails.
    Rejected(StoreError),
    /// A look-up failed: the whole group fails.
    Storage(StoreError),
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::Storage(storage(e))
    }
}

impl Decider {
    fn decide_group(
        &mut self,
        group: Vec<WriteRequest>,
        to_syncer: &mpsc::Sender<ToSyncer>,
        to_indexer: &mpsc::Sender<Vec<(Arc<RecordedEvent>, Location)>>,
    ) {
        if let Some(reason) = stopped_reason(&self.stopped) {
            for request in group {
                let _ = request.reply.send(Err(refusal(&reason)));
            }
            return;
        }
        self.wait_for_indexer();
        self.forget_indexed();
        let first = self.head + 1;
        let mut frame = FrameBuilder::default();
        let mut written = Vec::new();
        let mut replies = Vec::with_capacity(group.len());
        for request in group {
            match self.decide(&request) {
                Ok(result) => {
                    if result.position.as_u64() > self.head {
                        let first_version =
                            result.next_expected_version + 1 - request.events.len() as u64;
                        for (i, event) in request.events.into_iter().enumerate() {
                            let recorded = RecordedEvent {
                                id: event.id,
                                stream: request.stream.clone(),
                                version: first_version + i as u64,
                                position: Position::from_u64(self.head + 1),
                                event_type: event.event_type,
                                schema_version: event.schema_version,
                                payload: event.payload,
                                metadata: event.metadata,
                            };
                            frame.push(&recorded);
                            self.remember(&recorded);
                            self.head += 1;
                            written.push(Arc::new(recorded));
                        }
                    }
                    replies.push((request.reply, Ok(result)));
                }
                Err(Refusal::Rejected(e)) => replies.push((request.reply, Err(e))),
                Err(Refusal::Storage(e)) => {
                    // Positions may already be handed out in this group: stop here.
                    let reason = e.to_string();
                    tracing::error!(%reason, "event store look-up failed while deciding");
                    stop(&self.stopped, reason.clone());
                    for reply in replies.into_iter().map(|(r, _)| r).chain([request.reply]) {
                        let _ = reply.send(Err(StoreError::Storage(reason.clone())));
                    }
                    return;
                }
            }
        }
        if !frame.is_empty() {
            match self.log.write(first, &frame) {
                Ok((segment, locations)) => {
                    let _ = to_syncer.send(ToSyncer::Written {
                        frames: self.log.written(),
                        segment,
                    });
                    self.tail
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .events
                        .extend(written.iter().cloned());
                    let _ = to_indexer.send(written.into_iter().zip(locations).collect());
                }
                Err(e) => {
                    // Positions were handed out for a frame that is not written: stop here.
                    let reason = e.to_string();
                    tracing::error!(%reason, "writing the log failed");
                    stop(&self.stopped, reason.clone());
                    for (reply, _) in replies {
                        let _ = reply.send(Err(StoreError::Storage(reason.clone())));
                    }
                    return;
                }
            }
        }
        // Refusals wait for the sync too: they were decided on state not yet durable.
        let _ = to_syncer.send(ToSyncer::Decided {
            frames: self.log.written(),
            head: self.head,
            replies,
        });
    }

    /// Holds the decider back while the indexer is far behind, so that the tail stays bounded.
    fn wait_for_indexer(&self) {
        while self
            .head
            .saturating_sub(self.indexed.load(Ordering::Acquire))
            > MOST_UNINDEXED as u64
            && stopped_reason(&self.stopped).is_none()
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Drops what the index now holds from the pending events, and bounds the remembered versions.
    fn forget_indexed(&mut self) {
        let indexed = self.indexed.load(Ordering::Acquire);
        while let Some((position, id)) = self.pending_order.front() {
            if *position > indexed {
                break;
            }
            self.pending.remove(id);
            self.pending_order.pop_front();
        }
        if self.versions.len() > REMEMBERED_STREAMS {
            self.versions.retain(|_, (_, position)| *position > indexed);
        }
    }

    fn remember(&mut self, e: &RecordedEvent) {
        let (stream, position) = (e.stream.as_str(), e.position.as_u64());
        self.pending.insert(
            e.id,
            Placed {
                stream: stream.to_string(),
                version: e.version,
                position,
            },
        );
        self.pending_order.push_back((position, e.id));
        self.ids.insert(&e.id);
        self.last_id = Some(e.id);
        match self.versions.get_mut(stream) {
            Some(entry) => *entry = (e.version, position),
            None => {
                self.versions
                    .insert(stream.to_string(), (e.version, position));
            }
        }
    }

    /// The stream's last version, decided or indexed.
    fn stream_version(&self, stream: &str) -> Result<Option<u64>, Refusal> {
        if let Some((version, _)) = self.versions.get(stream) {
            return Ok(Some(*version));
        }
        Ok(index::last_version(&self.conn, stream)?)
    }

    /// Where an event id is, decided or indexed.
    fn find(&self, id: &Uuid) -> Result<Option<Placed>, Refusal> {
        if let Some(placed) = self.pending.get(id) {
            return Ok(Some(placed.clone()));
        }
        if !self.ids.may_hold(id) {
            return Ok(None);
        }
        Ok(
            index::find_id(&self.conn, id)?.map(|(stream, version, position)| Placed {
                stream,
                version,
                position,
            }),
        )
    }

    /// Decides one append. A result whose position is after the decided head means "write these
    /// events there"; any other result is a recognised retry of an earlier append.
    fn decide(&self, request: &WriteRequest) -> Result<AppendResult, Refusal> {
        let stream = request.stream.as_str();
        let actual = self.stream_version(stream)?;
        if !request.expected.admits(actual) {
            // A retry of an acknowledged append meets its own events: recognise it.
            if let Some(earlier) = self.earlier_append(request)? {
                return Ok(earlier);
            }
            return Err(Refusal::Rejected(StoreError::WrongExpectedVersion {
                stream: stream.to_string(),
                expected: request.expected,
                actual,
            }));
        }
        for (i, event) in request.events.iter().enumerate() {
            if let Some(placed) = self.find(&event.id)? {
                // An id is already stored: either this is a retry (appending "any version") or
                // the id is reused.
                if i == 0 {
                    if let Some(earlier) = self.earlier_append(request)? {
                        return Ok(earlier);
                    }
                }
                return Err(Refusal::Rejected(StoreError::DuplicateEventId {
                    id: event.id,
                    stream: placed.stream,
                    version: placed.version,
                }));
            }
        }
        let first_version = actual.map_or(0, |v| v + 1);
        let written = request.events.len() as u64;
        Ok(AppendResult {
            next_expected_version: first_version + written - 1,
            position: Position::from_u64(self.head + written),
        })
    }

    /// Recognises a retried append: when the batch's first event is already stored, the whole batch
    /// must be stored in that stream, in order, where `expected` said it would go — then the earlier
    /// result is returned. Anything else reusing a stored id is refused.
    fn earlier_append(&self, request: &WriteRequest) -> Result<Option<AppendResult>, Refusal> {
        let first = &request.events[0];
        let Some(found) = self.find(&first.id)? else {
            return Ok(None);
        };
        let duplicate = |placed: &Placed| {
            Refusal::Rejected(StoreError::DuplicateEventId {
                id: first.id,
                stream: placed.stream.clone(),
                version: placed.version,
            })
        };
        if found.stream != request.stream.as_str() {
            return Err(duplicate(&found));
        }
        let mut last = found.clone();
        for (i, event) in request.events.iter().enumerate().skip(1) {
            match self.find(&event.id)? {
                Some(p) if p.stream == found.stream && p.version == found.version + i as u64 => {
                    last = p
                }
                _ => return Err(duplicate(&found)),
            }
        }
        let before = found.version.checked_sub(1);
        if !request.expected.admits(before) {
            return Err(Refusal::Rejected(StoreError::WrongExpectedVersion {
                stream: found.stream.clone(),
                expected: request.expected,
                actual: self.stream_version(&found.stream)?,
            }));
        }
        Ok(Some(AppendResult {
            next_expected_version: last.version,
            position: Position::from_u64(last.position),
        }))
    }
}
