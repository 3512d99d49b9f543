//! How events sit in the embedded store's SQLite file: the table, the connection settings that make
//! a commit durable, and the per-record checksum that catches corruption SQLite itself cannot see.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Row};
use uuid::Uuid;

use crate::{Metadata, Position, RecordedEvent, StoreError, StreamName};

/// The layout version written to `PRAGMA user_version`.
const LAYOUT_VERSION: i64 = 1;

const CREATE: &str = "
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    id             BLOB    NOT NULL,
    stream         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    correlation_id BLOB    NOT NULL,
    causation_id   BLOB,
    actor          TEXT,
    timestamp_ms   INTEGER NOT NULL,
    checksum       INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (id);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_stream ON events (stream, version);
";

/// The columns every read selects, in the order [`record_from_row`] expects.
pub(crate) const COLUMNS: &str = "position, id, stream, version, event_type, schema_version, \
     payload, correlation_id, causation_id, actor, timestamp_ms, checksum";

pub(crate) fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// Opens the writer's connection: WAL journal with `synchronous=NORMAL` — a commit writes the log
/// without syncing it, and the writer's syncer thread fsyncs the log before any append of that
/// commit is acknowledged, so an acknowledged append still survives power loss.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(storage)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(storage)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Storage(format!(
            "could not switch {} to WAL mode (got {mode})",
            path.display()
        )));
    }
    // A checkpoint every 4,000 pages (16 MiB of log) rather than SQLite's 1,000: fewer stalls of
    // the writer, while the log stays small enough to be rewritten in place (measured faster
    // than a growing log, whose every sync also flushes the file's new size).
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = 4000;",
    )
    .map_err(storage)?;
    let layout: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(storage)?;
    if layout > LAYOUT_VERSION {
        return Err(StoreError::Storage(format!(
            "{} has layout version {layout}, newer than this build understands ({LAYOUT_VERSION}); \
             upgrade Zhuchao",
            path.display()
        )));
    }
    conn.execute_batch(CREATE).map_err(storage)?;
    conn.pragma_update(None, "user_version", LAYOUT_VERSION)
        .map_err(storage)?;
    Ok(conn)
}

/// A connection for the background checkpointer.
pub(crate) fn open_checkpointer(path: &Path) -> Result<Connection, StoreError> {
    Connection::open(path).map_err(storage)
}

/// Opens a read-only connection for queries; many may run beside the writer.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(storage)?;
    conn.execute_batch(
        "PRAGMA query_only = ON;
         PRAGMA cache_size = -16384;
         PRAGMA mmap_size = 268435456;",
    )
    .map_err(storage)?;
    Ok(conn)
}

/// The checksum of one record: every field, each length-prefixed, plus its global position, so a
/// flipped bit or a record found at the wrong place fails the check.
#[allow(clippy::too_many_arguments)]
pub(crate) fn checksum(
    position: u64,
    id: &Uuid,
    stream: &str,
    version: u64,
    event_type: &str,
    schema_version: u32,
    payload: &str,
    metadata: &Metadata,
) -> u32 {
    let mut h = crc32fast::Hasher::new();
    let mut bytes = |b: &[u8]| {
        h.update(&(b.len() as u64).to_le_bytes());
        h.update(b);
    };
    bytes(&position.to_le_bytes());
    bytes(id.as_bytes());
    bytes(stream.as_bytes());
    bytes(&version.to_le_bytes());
    bytes(event_type.as_bytes());
    bytes(&schema_version.to_le_bytes());
    bytes(payload.as_bytes());
    bytes(metadata.correlation_id.as_bytes());
    match &metadata.causation_id {
        Some(c) => bytes(c.as_bytes()),
        None => bytes(&[]),
    }
    match &metadata.actor {
        Some(a) => {
            bytes(&[1]);
            bytes(a.as_bytes());
        }
        None => bytes(&[0]),
    }
    bytes(&metadata.timestamp_ms.to_le_bytes());
    h.finalize()
}

fn uuid_column(position: u64, name: &str, bytes: Vec<u8>) -> Result<Uuid, StoreError> {
    Uuid::from_slice(&bytes).map_err(|_| {
        StoreError::corrupt_at(
            Position::from_u64(position),
            format!("column {name} is not a 16-byte UUID"),
        )
    })
}

/// Decodes one row selected with [`COLUMNS`] and checks its checksum.
pub(crate) fn record_from_row(row: &Row<'_>) -> Result<RecordedEvent, StoreError> {
    let position: u64 = row.get(0).map_err(storage)?;
    let at = Position::from_u64(position);
    let corrupt = |e: rusqlite::Error| StoreError::corrupt_at(at, e.to_string());
    let id = uuid_column(position, "id", row.get(1).map_err(corrupt)?)?;
    let stream: String = row.get(2).map_err(corrupt)?;
    let version: u64 = row.get(3).map_err(corrupt)?;
    let event_type: String = row.get(4).map_err(corrupt)?;
    let schema_version: u32 = row.get(5).map_err(corrupt)?;
    let payload: String = row.get(6).map_err(corrupt)?;
    let correlation_id = uuid_column(position, "correlation_id", row.get(7).map_err(corrupt)?)?;
    let causation_id = match row.get::<_, Option<Vec<u8>>>(8).map_err(corrupt)? {
        Some(bytes) => Some(uuid_column(position, "causation_id", bytes)?),
        None => None,
    };
    let actor: Option<String> = row.get(9).map_err(corrupt)?;
    let timestamp_ms: i64 = row.get(10).map_err(corrupt)?;
    let stored: u32 = row.get(11).map_err(corrupt)?;
    let metadata = Metadata {
        correlation_id,
        causation_id,
        actor,
        timestamp_ms,
    };
    let computed = checksum(
        position,
        &id,
        &stream,
        version,
        &event_type,
        schema_version,
        &payload,
        &metadata,
    );
    if computed != stored {
        return Err(StoreError::corrupt_at(
            at,
            format!("checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"),
        ));
    }
    let stream = StreamName::new(stream).map_err(|e| StoreError::corrupt_at(at, e.to_string()))?;
    Ok(RecordedEvent {
        id,
        stream,
        version,
        position: at,
        event_type,
        schema_version,
        payload,
        metadata,
    })
}
