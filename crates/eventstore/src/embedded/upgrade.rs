//! Upgrades a data directory of layout 1, where SQLite held the events themselves, to the log and
//! index of layout 2: every stored event is checked against its old checksum, written to the log,
//! synced, and indexed; then the old table is dropped. Interrupted, it resumes where the log ends.

use rusqlite::{Connection, Row};
use uuid::Uuid;

use super::index::{self, storage};
use super::log::{FrameBuilder, LogWriter, ScanEnd};
use crate::{Metadata, Position, RecordedEvent, StoreError, StreamName};

/// Whether the file still holds layout 1's `events` table.
pub(crate) fn needed(conn: &Connection) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(storage)
}

/// Moves every event after `log_head` from the old table into the log and the index.
pub(crate) fn run(
    conn: &mut Connection,
    log_dir: &std::path::Path,
    log_end: &ScanEnd,
) -> Result<u64, StoreError> {
    let log_head = log_end.head;
    let mut log = LogWriter::start(log_dir, log_end.end)?;
    index::forget_after(conn, log_head)?;
    let mut after = log_head;
    let mut moved = 0u64;
    loop {
        let batch: Vec<RecordedEvent> = {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT 4096"
                ))
                .map_err(storage)?;
            let mut rows = stmt.query([after]).map_err(storage)?;
            let mut batch = Vec::new();
            while let Some(row) = rows.next().map_err(storage)? {
                batch.push(record_from_row(row)?);
            }
            batch
        };
        let Some(last) = batch.last() else { break };
        let last = last.position.as_u64();
        let mut frame = FrameBuilder::default();
        for (i, e) in batch.iter().enumerate() {
            let position = e.position.as_u64();
            if position != after + 1 + i as u64 {
                return Err(StoreError::corrupt_at(
                    Position::from_u64(after + 1 + i as u64),
                    "the event at this position is missing",
                ));
            }
            frame.push(e);
        }
        let (segment, locations) = log.write(after + 1, &frame)?;
        segment
            .sync_data()
            .map_err(|e| StoreError::io("could not sync the log", e))?;
        index::insert(conn, batch.iter().zip(locations)).map_err(storage)?;
        moved += batch.len() as u64;
        after = last;
    }
    conn.execute_batch("DROP TABLE events;").map_err(storage)?;
    if moved > 0 {
        tracing::info!(events = moved, "moved the stored events into the log");
    }
    Ok(moved)
}

/// The columns every read selects, in the order [`record_from_row`] expects.
const COLUMNS: &str = "position, id, stream, version, event_type, schema_version, \
     payload, correlation_id, causation_id, actor, timestamp_ms, checksum";

/// The checksum of one record: every field, each length-prefixed, plus its global position, so a
/// flipped bit or a record found at the wrong place fails the check.
#[allow(clippy::too_many_arguments)]
fn checksum(
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
fn record_from_row(row: &Row<'_>) -> Result<RecordedEvent, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EmbeddedStore, EventStore};

    const LAYOUT_1: &str = "
        CREATE TABLE events (
            position INTEGER PRIMARY KEY, id BLOB NOT NULL, stream TEXT NOT NULL,
            version INTEGER NOT NULL, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL,
            payload TEXT NOT NULL, correlation_id BLOB NOT NULL, causation_id BLOB, actor TEXT,
            timestamp_ms INTEGER NOT NULL, checksum INTEGER NOT NULL);
        CREATE UNIQUE INDEX events_by_id ON events (id);
        CREATE UNIQUE INDEX events_by_stream ON events (stream, version);
        PRAGMA user_version = 1;";

    fn old_event(position: u64, stream: &str, version: u64) -> RecordedEvent {
        RecordedEvent {
            id: Uuid::new_v4(),
            stream: StreamName::new(stream).unwrap(),
            version,
            position: Position::from_u64(position),
            event_type: "SupplierApplied".into(),
            schema_version: 3,
            payload: format!("{{\"name\":\"华东紧固件 {position}\"}}"),
            metadata: Metadata::new(Uuid::new_v4(), 1_760_000_000_000 + position as i64)
                .by("user:7"),
        }
    }

    #[tokio::test]
    async fn a_data_directory_of_the_first_layout_is_moved_into_the_log() {
        // given a data directory written by the first layout, events inside SQLite
        let dir = tempfile::tempdir().unwrap();
        let events = vec![
            old_event(1, "supplier-1", 0),
            old_event(2, "supplier-2", 0),
            old_event(3, "supplier-1", 1),
        ];
        {
            let conn = Connection::open(dir.path().join(super::super::DATABASE_FILE)).unwrap();
            conn.execute_batch(LAYOUT_1).unwrap();
            for e in &events {
                let m = &e.metadata;
                let sum = checksum(
                    e.position.as_u64(),
                    &e.id,
                    e.stream.as_str(),
                    e.version,
                    &e.event_type,
                    e.schema_version,
                    &e.payload,
                    m,
                );
                conn.execute(
                    &format!("INSERT INTO events ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
                    rusqlite::params![
                        e.position.as_u64(), e.id.as_bytes(), e.stream.as_str(), e.version,
                        e.event_type, e.schema_version, e.payload, m.correlation_id.as_bytes(),
                        m.causation_id.map(|c| c.as_bytes().to_vec()), m.actor, m.timestamp_ms, sum
                    ],
                )
                .unwrap();
            }
        }
        // when it is opened
        let store = EmbeddedStore::open(dir.path()).unwrap();
        // then every event reads back as it was, the old table is gone, and appends go on
        let read = store.read_all(Position::START, 10).await.unwrap();
        assert_eq!(read, events);
        assert_eq!(store.verify().await.unwrap(), 3);
        let stream = StreamName::new("supplier-1").unwrap();
        let next = store
            .append(
                &stream,
                crate::ExpectedVersion::Exact(1),
                vec![crate::NewEvent {
                    id: Uuid::new_v4(),
                    event_type: "SupplierVerified".into(),
                    schema_version: 1,
                    payload: "{}".into(),
                    metadata: Metadata::new(Uuid::new_v4(), 1),
                }],
            )
            .await
            .unwrap();
        assert_eq!(next.position.as_u64(), 4);
        drop(store);
        let conn = Connection::open(dir.path().join(super::super::DATABASE_FILE)).unwrap();
        assert!(!needed(&conn).unwrap());
    }
}
