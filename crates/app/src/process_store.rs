//! Where the process managers keep their checkpoint and their pending timers: an indexed table
//! changed by what happened since the last save, in one transaction with the position — the
//! table is never rewritten whole and never held in memory whole; due timers are read by index.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use zhuchao_domain::Timestamp;

use crate::timers::{Timer, TimerChanges, TimerTask};

/// The process checkpoint and its timers.
pub trait ProcessStore: Send + Sync {
    /// The position of the last event the processes handled (0: none yet).
    fn position(&self) -> io::Result<u64>;
    /// Saved timers due at `now`, earliest first, at most `limit`.
    fn due(&self, now: Timestamp, limit: usize) -> io::Result<Vec<Timer>>;
    /// Applies the changes and moves the position, atomically.
    fn commit(&mut self, changes: &TimerChanges, position: u64) -> io::Result<()>;
    /// How many timers are pending.
    fn pending(&self) -> io::Result<u64>;
}

fn io_error(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::other(e)
}

/// The processes' checkpoint as earlier versions saved it: one JSON file rewritten whole.
#[derive(Deserialize)]
struct LegacyState {
    position: u64,
    timers: LegacyTimers,
}

#[derive(Deserialize)]
struct LegacyTimers {
    pending: BTreeSet<Timer>,
}

/// SQLite, one row per pending timer keyed by (due, task).
pub struct SqliteProcessStore {
    /// Behind a lock only so that the processes can be shared across an `.await`; one task uses it.
    conn: Mutex<Connection>,
}

fn task_bytes(task: &TimerTask) -> io::Result<Vec<u8>> {
    postcard::to_stdvec(task).map_err(io_error)
}

impl SqliteProcessStore {
    /// Opens (or creates) the store at `path`. If it is new and `legacy` names a JSON checkpoint
    /// of an earlier version, that one is taken over and then removed.
    pub fn open(path: &Path, legacy: Option<&Path>) -> io::Result<Self> {
        let conn = Connection::open(path).map_err(io_error)?;
        // WAL with NORMAL sync: a crash may lose the last save, never mix two; the position
        // and the timers go back together and every replayed step is idempotent.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS timers (
                 due INTEGER NOT NULL,
                 task BLOB NOT NULL,
                 PRIMARY KEY (due, task)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS checkpoint (
                 id INTEGER PRIMARY KEY CHECK (id = 0),
                 position INTEGER NOT NULL
             );",
        )
        .map_err(io_error)?;
        let mut store = Self {
            conn: Mutex::new(conn),
        };
        if let Some(legacy) = legacy {
            store.take_over(legacy)?;
        }
        Ok(store)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn saved_position(&self) -> io::Result<Option<u64>> {
        self.conn()
            .query_row("SELECT position FROM checkpoint WHERE id = 0", [], |r| {
                r.get::<_, u64>(0)
            })
            .optional()
            .map_err(io_error)
    }

    fn take_over(&mut self, legacy: &Path) -> io::Result<()> {
        let bytes = match std::fs::read(legacy) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if self.saved_position()?.is_some() {
            // Taken over already; the removal did not happen.
            return std::fs::remove_file(legacy);
        }
        let old: LegacyState = serde_json::from_slice(&bytes).map_err(io_error)?;
        let changes = TimerChanges {
            added: old.timers.pending,
            done: BTreeSet::new(),
        };
        self.commit(&changes, old.position)?;
        std::fs::remove_file(legacy)
    }
}

impl ProcessStore for SqliteProcessStore {
    fn position(&self) -> io::Result<u64> {
        Ok(self.saved_position()?.unwrap_or(0))
    }

    fn due(&self, now: Timestamp, limit: usize) -> io::Result<Vec<Timer>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT due, task FROM timers WHERE due <= ?1 ORDER BY due LIMIT ?2")
            .map_err(io_error)?;
        let rows = stmt
            .query_map(params![now, limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(io_error)?;
        let mut due = Vec::new();
        for row in rows {
            let (at, task) = row.map_err(io_error)?;
            due.push((at, postcard::from_bytes(&task).map_err(io_error)?));
        }
        Ok(due)
    }

    fn commit(&mut self, changes: &TimerChanges, position: u64) -> io::Result<()> {
        let conn = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction().map_err(io_error)?;
        {
            let mut add = tx
                .prepare_cached("INSERT OR IGNORE INTO timers (due, task) VALUES (?1, ?2)")
                .map_err(io_error)?;
            for (due, task) in &changes.added {
                add.execute(params![due, task_bytes(task)?])
                    .map_err(io_error)?;
            }
            let mut remove = tx
                .prepare_cached("DELETE FROM timers WHERE due = ?1 AND task = ?2")
                .map_err(io_error)?;
            for (due, task) in &changes.done {
                remove
                    .execute(params![due, task_bytes(task)?])
                    .map_err(io_error)?;
            }
            tx.execute(
                "INSERT INTO checkpoint (id, position) VALUES (0, ?1)
                 ON CONFLICT (id) DO UPDATE SET position = excluded.position",
                params![position],
            )
            .map_err(io_error)?;
        }
        tx.commit().map_err(io_error)
    }

    fn pending(&self) -> io::Result<u64> {
        self.conn()
            .query_row("SELECT count(*) FROM timers", [], |r| r.get(0))
            .map_err(io_error)
    }
}

/// In memory only: for tests and benchmarks that do not restart.
#[derive(Default)]
pub struct MemoryProcessStore {
    position: u64,
    timers: BTreeSet<Timer>,
}

impl ProcessStore for MemoryProcessStore {
    fn position(&self) -> io::Result<u64> {
        Ok(self.position)
    }

    fn due(&self, now: Timestamp, limit: usize) -> io::Result<Vec<Timer>> {
        Ok(self
            .timers
            .iter()
            .take_while(|(due, _)| *due <= now)
            .take(limit)
            .copied()
            .collect())
    }

    fn commit(&mut self, changes: &TimerChanges, position: u64) -> io::Result<()> {
        self.timers.extend(changes.added.iter().copied());
        for timer in &changes.done {
            self.timers.remove(timer);
        }
        self.position = position;
        Ok(())
    }

    fn pending(&self) -> io::Result<u64> {
        Ok(self.timers.len() as u64)
    }
}

/// The file name of the process store in a data folder, and of the JSON checkpoint it replaces.
pub fn files_in(data: &Path) -> (PathBuf, PathBuf) {
    (data.join("processes.sqlite3"), data.join("processes.json"))
}

/// Opens the process store of a data folder, taking over an earlier version's JSON checkpoint.
pub fn open_in(data: &Path) -> io::Result<SqliteProcessStore> {
    let (path, legacy) = files_in(data);
    SqliteProcessStore::open(&path, Some(&legacy))
}
