//! The read models' SQLite file: its tables and indexes, and how its connections are opened.
//! Every object's row is keyed by `born`, the store position of its stream's first event: unique
//! per kind, and the order lists are shown in, so a page is a range of an index.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::ViewError;

/// The layout of the tables and of the states in them. A file of another layout is dropped
/// and rebuilt from the event store: read models are derived, never the only copy.
pub const LAYOUT: i64 = 6;

/// The file inside a node's data directory.
pub const FILE: &str = "views.sqlite3";

const CREATE: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS orders (
    born     INTEGER PRIMARY KEY,
    id       BLOB NOT NULL UNIQUE,
    company  BLOB,
    supplier BLOB,
    number   TEXT UNIQUE,
    state    BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_company ON orders (company, born);
CREATE INDEX IF NOT EXISTS orders_by_supplier ON orders (supplier, born);

CREATE TABLE IF NOT EXISTS order_days (
    day TEXT PRIMARY KEY,
    placed INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS escrows (
    born  INTEGER PRIMARY KEY,
    id    BLOB NOT NULL UNIQUE,
    state BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS reviews (
    born  INTEGER PRIMARY KEY,
    id    BLOB NOT NULL UNIQUE,
    state BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS rfqs (
    born     INTEGER PRIMARY KEY,
    id       BLOB NOT NULL UNIQUE,
    company  BLOB,
    -- Open or quoted: in suppliers' inboxes.
    inbox    INTEGER NOT NULL,
    pool     INTEGER NOT NULL,
    category BLOB,
    state    BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS rfqs_by_company ON rfqs (company, born);
-- Open to the pool, per category: the pool part of suppliers' inboxes.
CREATE INDEX IF NOT EXISTS rfqs_in_pool ON rfqs (category, born) WHERE inbox = 1 AND pool = 1;

-- Each supplier's inbox: the open or quoted RFQs it was sent or quoted on (a row goes when
-- its RFQ is decided), so a page of an inbox reads a page of rows.
CREATE TABLE IF NOT EXISTS inbox_rfqs (
    supplier BLOB NOT NULL,
    rfq_born INTEGER NOT NULL,
    PRIMARY KEY (supplier, rfq_born)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS quotes (
    id  BLOB PRIMARY KEY,
    rfq BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS disputes (
    born     INTEGER PRIMARY KEY,
    id       BLOB NOT NULL UNIQUE,
    company  BLOB,
    supplier BLOB,
    -- Open or under review: in the agents' queue.
    queue    INTEGER NOT NULL,
    state    BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS disputes_in_queue ON disputes (born) WHERE queue = 1;
-- Ruled, withdrawn or abandoned: the agents' record of decided disputes.
CREATE INDEX IF NOT EXISTS disputes_decided ON disputes (born) WHERE queue = 0;

CREATE TABLE IF NOT EXISTS products (
    born     INTEGER PRIMARY KEY,
    id       BLOB NOT NULL UNIQUE,
    supplier BLOB,
    state    BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS products_by_supplier ON products (supplier, born);

CREATE TABLE IF NOT EXISTS file_uses (
    hash   TEXT NOT NULL,
    kind   INTEGER NOT NULL,
    object BLOB NOT NULL,
    PRIMARY KEY (hash, kind, object)
) WITHOUT ROWID;

-- The catalogue, also held whole in memory: loaded at start.
CREATE TABLE IF NOT EXISTS accounts (
    key   TEXT PRIMARY KEY,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS credit (
    key   TEXT PRIMARY KEY,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS suppliers (
    born  INTEGER PRIMARY KEY,
    id    BLOB NOT NULL UNIQUE,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS categories (
    born  INTEGER PRIMARY KEY,
    id    BLOB NOT NULL UNIQUE,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS supplier_stats (
    id          BLOB PRIMARY KEY,
    completed   INTEGER NOT NULL,
    rating_sum  INTEGER NOT NULL,
    ratings     INTEGER NOT NULL,
    open_orders INTEGER NOT NULL
) WITHOUT ROWID;
";

pub(crate) fn sql(e: rusqlite::Error) -> ViewError {
    ViewError::Sqlite(e.to_string())
}

/// Opens the projection's connection: WAL (readers never wait for it, nor it for them),
/// `synchronous = NORMAL` (a commit is not synced; a crash loses at most the last commits,
/// never the file's consistency — and the checkpoint is committed with the rows, so the
/// projection resumes exactly where what survived ends). A file of another layout, one a
/// rebuild did not finish, or one SQLite cannot read is deleted and made again, empty: the
/// read models are derived, never the only copy. Returns the connection and whether the file
/// is new.
pub(crate) fn open_writer(path: &Path) -> Result<(Connection, bool), ViewError> {
    let trusted = match configured(path).and_then(|c| {
        let layout: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        Ok((c, layout))
    }) {
        Ok((conn, layout)) if layout == LAYOUT => Some(conn),
        Ok((conn, layout)) => {
            if layout != 0
                || conn
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map_err(sql)?
                    > 0
            {
                tracing::info!(file = %path.display(), layout, "the read models' file is not this build's: folding them again");
            }
            None
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "the read models' file cannot be read: folding them again");
            None
        }
    };
    if let Some(conn) = trusted {
        conn.execute_batch(CREATE).map_err(sql)?;
        return Ok((conn, false));
    }
    remove(path)?;
    let conn = configured(path)?;
    conn.execute_batch(CREATE).map_err(sql)?;
    finished(&conn)?;
    Ok((conn, true))
}

/// Deletes the file and its journal.
pub(crate) fn remove(path: &Path) -> Result<(), ViewError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ViewError::Sqlite(format!(
                    "could not delete {}: {e}",
                    Path::new(&file).display()
                )))
            }
        }
    }
    Ok(())
}

fn configured(path: &Path) -> Result<Connection, ViewError> {
    let conn = Connection::open(path).map_err(sql)?;
    // A projection that is ending (its node stopping) may still hold the file a moment.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(ViewError::Sqlite(format!(
            "could not switch {} to WAL mode (got {mode})",
            path.display()
        )));
    }
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -131072;
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = 4000;",
    )
    .map_err(sql)?;
    Ok(conn)
}

/// Marks the file as not to be trusted (layout 0) until [`finished`] is called, durably.
pub(crate) fn unfinished(conn: &Connection) -> Result<(), ViewError> {
    conn.pragma_update(None, "user_version", 0).map_err(sql)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(sql)
}

/// Marks the file as holding this build's layout, whole.
pub(crate) fn finished(conn: &Connection) -> Result<(), ViewError> {
    conn.pragma_update(None, "user_version", LAYOUT)
        .map_err(sql)
}

/// Opens a connection for reading beside the projection.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, ViewError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    conn.execute_batch(
        "PRAGMA query_only = ON;
         PRAGMA cache_size = -8192;
         PRAGMA mmap_size = 1073741824;",
    )
    .map_err(sql)?;
    Ok(conn)
}
