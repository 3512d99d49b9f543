//! The embedded store's single writer: one thread owns the write connection, assigns global
//! positions inside the commit, and commits every append waiting at that moment in one
//! transaction (group commit). A second thread makes commits durable: it fsyncs the write-ahead
//! log once for every commit made since its last sync, and only then answers the appenders and
//! tells readers the new head — so nobody ever sees, or is told of, position N+1 before N is on
//! disk. While one sync runs, the writer already commits the next group (pipelining).

use std::collections::HashMap;
use std::fs::File;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use super::schema::{checksum, storage};
use crate::{AppendResult, ExpectedVersion, NewEvent, Position, StoreError, StreamName};

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

/// A committed group, waiting for the sync that makes it durable.
struct Committed {
    replies: Vec<Reply>,
    head: u64,
}

/// Why the store stopped writing, once it has (shared by the writer and the syncer).
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
        "the store stopped writing after a failed commit or sync ({reason}); reopen it to recover"
    ))
}

/// Starts the writer and the syncer threads. They run until every sender of `requests` is
/// dropped; joining the writer then the syncer finishes every answered append.
pub(crate) fn spawn(
    conn: Connection,
    log: File,
    head: u64,
    published: watch::Sender<u64>,
    requests: mpsc::Receiver<WriteRequest>,
    max_group: usize,
) -> Result<(JoinHandle<()>, JoinHandle<()>), StoreError> {
    let stopped: Stopped = Arc::default();
    let (to_syncer, committed) = mpsc::channel::<Committed>();
    let syncer_stopped = stopped.clone();
    let syncer = std::thread::Builder::new()
        .name("zhuchao-store-syncer".into())
        .spawn(move || sync_loop(log, committed, published, syncer_stopped))
        .map_err(|e| StoreError::io("could not start the event store's syncer thread", e))?;
    let writer = std::thread::Builder::new()
        .name("zhuchao-store-writer".into())
        .spawn(move || {
            let mut writer = Writer {
                conn,
                head,
                stopped,
                versions: HashMap::new(),
            };
            while let Ok(first) = requests.recv() {
                let group = gather(first, &requests, max_group);
                writer.commit_group(group, &to_syncer);
            }
        })
        .map_err(|e| StoreError::io("could not start the event store's writer thread", e))?;
    Ok((writer, syncer))
}

/// Makes commits durable in order: one `fdatasync` of the log covers every commit made before it
/// started; then their appenders are answered and readers see the new head.
fn sync_loop(
    log: File,
    committed: mpsc::Receiver<Committed>,
    published: watch::Sender<u64>,
    stopped: Stopped,
) {
    while let Ok(first) = committed.recv() {
        let mut batch = vec![first];
        while let Ok(more) = committed.try_recv() {
            batch.push(more);
        }
        let failure = match stopped_reason(&stopped) {
            Some(reason) => Some(reason),
            None => log.sync_data().err().map(|e| {
                let reason = format!("syncing the write-ahead log failed: {e}");
                tracing::error!(%reason, "event store sync failed");
                stop(&stopped, reason.clone());
                reason
            }),
        };
        match failure {
            None => {
                if let Some(last) = batch.last() {
                    published.send_replace(last.head);
                }
                for (reply, outcome) in batch.into_iter().flat_map(|c| c.replies) {
                    let _ = reply.send(outcome);
                }
            }
            Some(reason) => {
                for (reply, _) in batch.into_iter().flat_map(|c| c.replies) {
                    let _ = reply.send(Err(refusal(&reason)));
                }
            }
        }
    }
}

/// Collects the appends to commit together: the first one and everything queued behind it. While
/// the syncer makes one commit durable the next group queues up, so groups grow with the load.
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

struct Writer {
    conn: Connection,
    /// The last durable global position.
    head: u64,
    /// Set when a commit or a sync failed: the writer stops accepting appends (fail-stop), since
    /// after a failed fsync nobody can vouch for what the disk holds. Reopening the store recovers.
    stopped: Stopped,
    /// Last version of recently written streams, as committed: saves a query per append. Only
    /// this thread writes, so it cannot go stale; it is emptied when it grows past its bound.
    versions: HashMap<String, u64>,
}

/// Most streams whose versions the writer remembers.
const REMEMBERED_STREAMS: usize = 100_000;

/// Why one append of a group did not go in.
enum Refusal {
    /// The append breaks a rule (version, duplicate id): only this append fails.
    Rejected(StoreError),
    /// The storage engine failed: the whole group fails.
    Storage(StoreError),
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::Storage(storage(e))
    }
}

impl Writer {
    fn commit_group(&mut self, group: Vec<WriteRequest>, to_syncer: &mpsc::Sender<Committed>) {
        let size = group.len();
        if let Some(reason) = stopped_reason(&self.stopped) {
            for request in group {
                let _ = request.reply.send(Err(refusal(&reason)));
            }
            return;
        }
        match self.write_group(&group) {
            Ok((outcomes, new_head)) => {
                self.head = new_head;
                // Refusals wait for the sync too: they were decided on state not yet durable.
                let replies = group.into_iter().map(|r| r.reply).zip(outcomes).collect();
                let _ = to_syncer.send(Committed {
                    replies,
                    head: new_head,
                });
            }
            Err(e) => {
                tracing::error!(error = %e, appends = size, "event store commit failed");
                let message = e.to_string();
                stop(&self.stopped, message.clone());
                for request in group {
                    let _ = request
                        .reply
                        .send(Err(StoreError::Storage(message.clone())));
                }
            }
        }
    }

    /// Writes every append of the group in one transaction; returns each append's outcome and the
    /// head after the commit. Nobody is told of it until the syncer has made it durable.
    #[allow(clippy::type_complexity)]
    fn write_group(
        &mut self,
        group: &[WriteRequest],
    ) -> Result<(Vec<Result<AppendResult, StoreError>>, u64), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(storage)?;
        let mut next = self.head + 1;
        let mut outcomes = Vec::with_capacity(group.len());
        // Versions written by this group, remembered once the commit is durable.
        let mut written_versions: HashMap<String, u64> = HashMap::new();
        for request in group {
            let stream = request.stream.as_str();
            let known = written_versions
                .get(stream)
                .or_else(|| self.versions.get(stream))
                .copied();
            match append_one(&tx, request, next, known) {
                Ok((result, written)) => {
                    next += written;
                    if written > 0 {
                        written_versions.insert(stream.to_string(), result.next_expected_version);
                    }
                    outcomes.push(Ok(result));
                }
                Err(Refusal::Rejected(e)) => outcomes.push(Err(e)),
                Err(Refusal::Storage(e)) => return Err(e),
            }
        }
        tx.commit().map_err(storage)?;
        if self.versions.len() + written_versions.len() > REMEMBERED_STREAMS {
            self.versions.clear();
        }
        self.versions.extend(written_versions);
        Ok((outcomes, next - 1))
    }
}

/// Appends one request at global position `next`; returns its result and how many events it wrote
/// (0 for a recognised retry). `known` is the stream's last version if the writer remembers it.
fn append_one(
    conn: &Connection,
    request: &WriteRequest,
    next: u64,
    known: Option<u64>,
) -> Result<(AppendResult, u64), Refusal> {
    let stream = request.stream.as_str();
    let actual: Option<u64> = match known {
        Some(version) => Some(version),
        None => conn
            .prepare_cached("SELECT MAX(version) FROM events WHERE stream = ?1")?
            .query_row([stream], |r| r.get(0))?,
    };
    if !request.expected.admits(actual) {
        // A retry of an acknowledged append meets its own events: recognise it.
        if let Some(earlier) = earlier_append(conn, request)? {
            return Ok((earlier, 0));
        }
        return Err(Refusal::Rejected(StoreError::WrongExpectedVersion {
            stream: stream.to_string(),
            expected: request.expected,
            actual,
        }));
    }
    let first_version = actual.map_or(0, |v| v + 1);
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (position, id, stream, version, event_type, schema_version, payload, \
         correlation_id, causation_id, actor, timestamp_ms, checksum) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (i, event) in request.events.iter().enumerate() {
        let position = next + i as u64;
        let version = first_version + i as u64;
        let sum = checksum(
            position,
            &event.id,
            stream,
            version,
            &event.event_type,
            event.schema_version,
            &event.payload,
            &event.metadata,
        );
        let m = &event.metadata;
        let inserted = insert.execute(params![
            position,
            event.id.as_bytes(),
            stream,
            version,
            event.event_type,
            event.schema_version,
            event.payload,
            m.correlation_id.as_bytes(),
            m.causation_id.as_ref().map(|c| c.as_bytes().to_vec()),
            m.actor,
            m.timestamp_ms,
            sum,
        ]);
        if let Err(e) = inserted {
            if e.sqlite_error_code() != Some(ErrorCode::ConstraintViolation) {
                return Err(e.into());
            }
            // An id is already stored: either this is a retry (appending "any version") or the
            // id is reused. Nothing of this append stays either way.
            if i == 0 {
                if let Some(earlier) = earlier_append(conn, request)? {
                    return Ok((earlier, 0));
                }
            }
            let refusal = duplicate(conn, event.id)?;
            conn.prepare_cached("DELETE FROM events WHERE position >= ?1 AND position < ?2")?
                .execute((next, position))?;
            return Err(refusal);
        }
    }
    let written = request.events.len() as u64;
    Ok((
        AppendResult {
            next_expected_version: first_version + written - 1,
            position: Position::from_u64(next + written - 1),
        },
        written,
    ))
}

/// Recognises a retried append: when the batch's first event is already stored, the whole batch
/// must be stored in that stream, in order, where `expected` said it would go — then the earlier
/// result is returned. Anything else reusing a stored id is refused.
fn earlier_append(
    conn: &Connection,
    request: &WriteRequest,
) -> Result<Option<AppendResult>, Refusal> {
    let first = &request.events[0];
    let found: Option<(String, u64)> = conn
        .prepare_cached("SELECT stream, version FROM events WHERE id = ?1")?
        .query_row([first.id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((stream, first_version)) = found else {
        return Ok(None);
    };
    if stream != request.stream.as_str() {
        return Err(duplicate(conn, first.id)?);
    }
    let stored: Vec<(Vec<u8>, u64, u64)> = conn
        .prepare_cached(
            "SELECT id, version, position FROM events WHERE stream = ?1 AND version >= ?2 \
             ORDER BY version LIMIT ?3",
        )?
        .query_map(
            params![stream, first_version, request.events.len() as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<Result<_, _>>()?;
    let same_batch = stored.len() == request.events.len()
        && stored
            .iter()
            .zip(&request.events)
            .all(|((id, _, _), event)| id.as_slice() == event.id.as_bytes());
    if !same_batch {
        return Err(Refusal::Rejected(StoreError::DuplicateEventId {
            id: first.id,
            stream,
            version: first_version,
        }));
    }
    let before = first_version.checked_sub(1);
    if !request.expected.admits(before) {
        let actual: Option<u64> = conn
            .prepare_cached("SELECT MAX(version) FROM events WHERE stream = ?1")?
            .query_row([&stream], |r| r.get(0))?;
        return Err(Refusal::Rejected(StoreError::WrongExpectedVersion {
            stream,
            expected: request.expected,
            actual,
        }));
    }
    let (_, last_version, last_position) = stored[stored.len() - 1];
    Ok(Some(AppendResult {
        next_expected_version: last_version,
        position: Position::from_u64(last_position),
    }))
}

/// The refusal for an id already stored elsewhere.
fn duplicate(conn: &Connection, id: Uuid) -> Result<Refusal, Refusal> {
    let found: Option<(String, u64)> = conn
        .prepare_cached("SELECT stream, version FROM events WHERE id = ?1")?
        .query_row([id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match found {
        Some((stream, version)) => Ok(Refusal::Rejected(StoreError::DuplicateEventId {
            id,
            stream,
            version,
        })),
        // A constraint failed yet the id is not stored: not a duplicate id, a broken invariant.
        None => Err(Refusal::Storage(StoreError::Storage(format!(
            "a uniqueness constraint failed while appending event {id}, which is not stored"
        )))),
    }
}
