//! The embedded store's index, a SQLite database beside the log: for every event its id, stream,
//! version and where its record sits in the log. It is derived from the log — written in large
//! batches off the acknowledgement path, never synced on its own account, and caught up from the
//! log at start — and answers the look-ups the log cannot: by id, by stream, by position.

use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::log::Location;
use crate::{Direction, RecordedEvent, StoreError};

/// The layout version written to `PRAGMA user_version`: 1 kept events in SQLite itself, 2 keeps
/// them in the log and only the index here.
pub(crate) const LAYOUT_VERSION: i64 = 2;

const CREATE: &str = "
CREATE TABLE IF NOT EXISTS events_index (
    position INTEGER PRIMARY KEY,
    id       BLOB    NOT NULL,
    stream   TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    segment  INTEGER NOT NULL,
    offset   INTEGER NOT NULL,
    length   INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_index_by_id ON events_index (id);
CREATE UNIQUE INDEX IF NOT EXISTS events_index_by_stream ON events_index (stream, version);
";

pub(crate) fn storage(e: rusqlite::Error) -> StoreError {
    StoreError::Storage(e.to_string())
}

/// Opens the indexer's connection (WAL, `synchronous=NORMAL`: a commit is not synced, a checkpoint
/// is, and a crash never corrupts the file — at worst the index is behind the log). Returns it with
/// the layout the file had before (0 for a new file).
pub(crate) fn open_writer(path: &Path) -> Result<(Connection, i64), StoreError> {
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
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;",
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
    Ok((conn, layout))
}

pub(crate) fn set_layout(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "user_version", LAYOUT_VERSION)
        .map_err(storage)
}

/// Opens a connection for look-ups; many may run beside the indexer.
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

/// Adds the entries of these events, stored at these locations, in one transaction.
pub(crate) fn insert<'a>(
    conn: &mut Connection,
    entries: impl IntoIterator<Item = (&'a RecordedEvent, Location)>,
) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO events_index (position, id, stream, version, segment, offset, length) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (e, at) in entries {
            insert.execute(params![
                e.position.as_u64(),
                e.id.as_bytes(),
                e.stream.as_str(),
                e.version,
                at.segment,
                at.offset,
                at.length,
            ])?;
        }
    }
    tx.commit()
}

/// The last indexed position (0 when empty).
pub(crate) fn head(conn: &Connection) -> Result<u64, StoreError> {
    conn.query_row(
        "SELECT COALESCE(MAX(position), 0) FROM events_index",
        [],
        |r| r.get(0),
    )
    .map_err(storage)
}

/// Forgets entries after `position` (the log lost them before they were acknowledged).
pub(crate) fn forget_after(conn: &Connection, position: u64) -> Result<usize, StoreError> {
    conn.execute("DELETE FROM events_index WHERE position > ?1", [position])
        .map_err(storage)
}

fn location(segment: u64, offset: u64, length: u32) -> Location {
    Location {
        segment,
        offset,
        length,
    }
}

/// Locations of the events in `(after, upto]`, at most `max`, in order.
pub(crate) fn range(
    conn: &Connection,
    after: u64,
    upto: u64,
    max: usize,
) -> Result<Vec<(u64, Location)>, StoreError> {
    if after >= upto || max == 0 {
        return Ok(Vec::new());
    }
    let limit = (upto - after).min(max as u64);
    let mut stmt = conn
        .prepare_cached(
            "SELECT position, segment, offset, length FROM events_index \
             WHERE position > ?1 AND position <= ?2 ORDER BY position LIMIT ?3",
        )
        .map_err(storage)?;
    let rows = stmt
        .query_map((after, upto, limit), |r| {
            Ok((r.get(0)?, location(r.get(1)?, r.get(2)?, r.get(3)?)))
        })
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

/// Locations of a stream's events from `version` in `direction`, at or before position `upto`.
pub(crate) fn stream(
    conn: &Connection,
    stream: &str,
    version: u64,
    direction: Direction,
    upto: u64,
    max: usize,
) -> Result<Vec<(u64, u64, Location)>, StoreError> {
    let sql = match direction {
        Direction::Forwards => {
            "SELECT position, version, segment, offset, length FROM events_index \
             WHERE stream = ?1 AND version >= ?2 AND position <= ?3 ORDER BY version ASC LIMIT ?4"
        }
        Direction::Backwards => {
            "SELECT position, version, segment, offset, length FROM events_index \
             WHERE stream = ?1 AND version <= ?2 AND position <= ?3 ORDER BY version DESC LIMIT ?4"
        }
    };
    let version = version.min(i64::MAX as u64) as i64;
    let limit = max.min(i64::MAX as usize) as i64;
    let mut stmt = conn.prepare_cached(sql).map_err(storage)?;
    let rows = stmt
        .query_map(params![stream, version, upto, limit], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                location(r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        })
        .map_err(storage)?;
    rows.collect::<Result<_, _>>().map_err(storage)
}

/// A stream's last indexed version.
pub(crate) fn last_version(
    conn: &Connection,
    stream: &str,
) -> Result<Option<u64>, rusqlite::Error> {
    conn.prepare_cached("SELECT MAX(version) FROM events_index WHERE stream = ?1")?
        .query_row([stream], |r| r.get(0))
}

/// Where an indexed event id is: (stream, version, position).
pub(crate) fn find_id(
    conn: &Connection,
    id: &uuid::Uuid,
) -> Result<Option<(String, u64, u64)>, rusqlite::Error> {
    conn.prepare_cached("SELECT stream, version, position FROM events_index WHERE id = ?1")?
        .query_row([id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
}

/// How many entries the index holds.
pub(crate) fn count(conn: &Connection) -> Result<u64, StoreError> {
    conn.query_row("SELECT COUNT(*) FROM events_index", [], |r| r.get(0))
        .map_err(storage)
}

/// Where the index places the event at `position`.
pub(crate) fn location_of(
    conn: &Connection,
    position: u64,
) -> Result<Option<Location>, StoreError> {
    conn.query_row(
        "SELECT segment, offset, length FROM events_index WHERE position = ?1",
        [position],
        |r| Ok(location(r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
    .map_err(storage)
}

/// The id of the event at `position`, if it is indexed.
pub(crate) fn id_at(conn: &Connection, position: u64) -> Result<Option<uuid::Uuid>, StoreError> {
    let bytes: Option<Vec<u8>> = conn
        .query_row(
            "SELECT id FROM events_index WHERE position = ?1",
            [position],
            |r| r.get(0),
        )
        .optional()
        .map_err(storage)?;
    Ok(bytes.and_then(|b| uuid::Uuid::from_slice(&b).ok()))
}

/// Hands the id of every indexed event after `position` to `each`.
pub(crate) fn each_id(
    conn: &Connection,
    position: u64,
    mut each: impl FnMut(&uuid::Uuid),
) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("SELECT id FROM events_index WHERE position > ?1")
        .map_err(storage)?;
    let mut rows = stmt.query([position]).map_err(storage)?;
    while let Some(row) = rows.next().map_err(storage)? {
        let bytes: Vec<u8> = row.get(0).map_err(storage)?;
        let id = uuid::Uuid::from_slice(&bytes).map_err(|_| StoreError::Corrupt {
            location: "the index".into(),
            detail: "an event id is not 16 bytes".into(),
        })?;
        each(&id);
    }
    Ok(())
}
