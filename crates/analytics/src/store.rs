//! Analytics saved per period: a row per hour and per day, one per live session, RFQ, open
//! dispute and escrow, each written only when it changed, in one SQLite transaction with the
//! checkpoint — a save costs what changed since the last one, not the whole history.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cube::{
    Analytics, DaySearches, Dims, DisputeCounters, ProductCounters, RfqFacts, SessionCounters,
    SessionDims, SessionState, Touched,
};

/// Bumped when a row's layout changes: a store of another layout is read as empty, and the
/// projection folds again from the log.
const LAYOUT: i64 = 1;

/// Kinds of per-object rows.
const SESSION: i64 = 0;
const RFQ: i64 = 1;
const OPEN_DISPUTE: i64 = 2;
const ESCROW: i64 = 3;

#[derive(Serialize)]
struct HourOut<'a> {
    sessions: Option<&'a HashMap<u32, SessionCounters>>,
    products: Option<&'a HashMap<u32, ProductCounters>>,
    visitors: Option<&'a HashMap<u32, Vec<u64>>>,
    refunds: Option<&'a HashMap<Uuid, i64>>,
}

#[derive(Deserialize)]
struct HourIn {
    sessions: Option<HashMap<u32, SessionCounters>>,
    products: Option<HashMap<u32, ProductCounters>>,
    visitors: Option<HashMap<u32, Vec<u64>>>,
    refunds: Option<HashMap<Uuid, i64>>,
}

#[derive(Serialize)]
struct DayOut<'a> {
    searches: Option<&'a DaySearches>,
    disputes: Option<&'a HashMap<Uuid, DisputeCounters>>,
}

#[derive(Deserialize)]
struct DayIn {
    searches: Option<DaySearches>,
    disputes: Option<HashMap<Uuid, DisputeCounters>>,
}

/// The rows a save writes (`None`: the row goes), and what they came from, given back to the
/// state if the save fails.
pub struct Changes {
    wipe: bool,
    hours: Vec<(u32, Option<Vec<u8>>)>,
    days: Vec<(u32, Option<Vec<u8>>)>,
    objects: Vec<(i64, Uuid, Option<Vec<u8>>)>,
    session_dims: Vec<(usize, Vec<u8>)>,
    product_dims: Vec<(usize, Vec<u8>)>,
    position: u64,
    clock: i64,
    applied_since_sweep: u64,
    pub touched: Touched,
}

impl Changes {
    /// The hours written (or removed).
    pub fn hours(&self) -> impl Iterator<Item = u32> + '_ {
        self.hours.iter().map(|(hour, _)| *hour)
    }

    /// How many sessions, RFQs, open disputes and escrows are written (or removed).
    pub fn objects(&self) -> usize {
        self.objects.len()
    }
}

fn encode<T: Serialize + ?Sized>(value: &T) -> io::Result<Vec<u8>> {
    postcard::to_allocvec(value).map_err(io::Error::other)
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> io::Result<T> {
    postcard::from_bytes(bytes).map_err(io::Error::other)
}

/// The blob in column `i` of `row`.
fn blob_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> io::Result<&'r [u8]> {
    row.get_ref(i)
        .map_err(db)?
        .as_blob()
        .map_err(io::Error::other)
}

fn db(e: rusqlite::Error) -> io::Error {
    io::Error::other(e)
}

/// Takes what changed out of `state` as rows to write.
pub fn take_changes(state: &mut Analytics) -> io::Result<Changes> {
    let touched = std::mem::take(&mut state.touched);
    let rows = changes_of(state, &touched);
    match rows {
        Ok(mut changes) => {
            state.touched.saved_dims = (state.session_dims.len(), state.product_dims.len());
            changes.touched = touched;
            Ok(changes)
        }
        Err(e) => {
            state.touched.merge(touched);
            Err(e)
        }
    }
}

fn changes_of(state: &Analytics, touched: &Touched) -> io::Result<Changes> {
    let mut hours = Vec::with_capacity(touched.hours.len());
    for &hour in &touched.hours {
        let row = HourOut {
            sessions: state.sessions_by_hour.get(&hour),
            products: state.products_by_hour.get(&hour),
            visitors: state.visitors_by_hour.get(&hour),
            refunds: state.refunds_by_hour.get(&hour),
        };
        let empty = row.sessions.is_none()
            && row.products.is_none()
            && row.visitors.is_none()
            && row.refunds.is_none();
        hours.push((hour, if empty { None } else { Some(encode(&row)?) }));
    }
    let mut days = Vec::with_capacity(touched.days.len());
    for &day in &touched.days {
        let row = DayOut {
            searches: state.searches_by_day.get(&day),
            disputes: state.disputes_by_day.get(&day),
        };
        let empty = row.searches.is_none() && row.disputes.is_none();
        days.push((day, if empty { None } else { Some(encode(&row)?) }));
    }
    let mut objects = Vec::new();
    for id in &touched.sessions {
        let row = state.sessions.get(id).map(encode).transpose()?;
        objects.push((SESSION, *id, row));
    }
    for id in &touched.rfqs {
        let row = state.rfqs.get(id).map(encode).transpose()?;
        objects.push((RFQ, *id, row));
    }
    for id in &touched.disputes {
        let row = state.open_disputes.get(id).map(encode).transpose()?;
        objects.push((OPEN_DISPUTE, *id, row));
    }
    for id in &touched.escrows {
        let row = state.escrow_suppliers.get(id).map(encode).transpose()?;
        objects.push((ESCROW, *id, row));
    }
    let from = touched.saved_dims;
    let session_dims = (from.0..state.session_dims.len())
        .map(|i| Ok((i, encode(&state.session_dims[i])?)))
        .collect::<io::Result<_>>()?;
    let product_dims = (from.1..state.product_dims.len())
        .map(|i| Ok((i, encode(&state.product_dims[i])?)))
        .collect::<io::Result<_>>()?;
    Ok(Changes {
        wipe: touched.wipe,
        hours,
        days,
        objects,
        session_dims,
        product_dims,
        position: state.position,
        clock: state.clock,
        applied_since_sweep: state.applied_since_sweep,
        touched: Touched::default(),
    })
}

pub struct AnalyticsStore {
    conn: Connection,
}

impl AnalyticsStore {
    pub fn open(path: &Path) -> io::Result<Self> {
        let conn = Connection::open(path).map_err(db)?;
        // WAL with NORMAL sync: a crash may lose the last save, never mix two; the projection
        // then folds again from the checkpoint that was kept.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS hours (hour INTEGER PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS days (day INTEGER PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS objects (
                 kind INTEGER NOT NULL, id BLOB NOT NULL, value BLOB NOT NULL,
                 PRIMARY KEY (kind, id)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS session_dims (id INTEGER PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS product_dims (id INTEGER PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS checkpoint (
                 id INTEGER PRIMARY KEY CHECK (id = 0),
                 layout INTEGER NOT NULL,
                 position INTEGER NOT NULL,
                 clock INTEGER NOT NULL,
                 applied_since_sweep INTEGER NOT NULL
             );",
        )
        .map_err(db)?;
        Ok(Self { conn })
    }

    /// The saved state, or `None` if nothing of this layout was saved.
    pub fn load(&self) -> io::Result<Option<Analytics>> {
        let saved = self
            .conn
            .query_row(
                "SELECT layout, position, clock, applied_since_sweep FROM checkpoint WHERE id = 0",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, u64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, u64>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        let Some((layout, position, clock, applied_since_sweep)) = saved else {
            return Ok(None);
        };
        if layout != LAYOUT {
            return Ok(None);
        }
        let mut state = Analytics::default();
        state.position = position;
        state.clock = clock;
        state.applied_since_sweep = applied_since_sweep;
        self.each("SELECT value FROM session_dims ORDER BY id", |row| {
            state
                .session_dims
                .push(decode::<SessionDims>(blob_at(row, 0)?)?);
            Ok(())
        })?;
        self.each("SELECT value FROM product_dims ORDER BY id", |row| {
            state.product_dims.push(decode::<Dims>(blob_at(row, 0)?)?);
            Ok(())
        })?;
        self.each("SELECT hour, value FROM hours", |row| {
            let hour: u32 = row.get(0).map_err(db)?;
            let value: HourIn = decode(blob_at(row, 1)?)?;
            if let Some(v) = value.sessions {
                state.sessions_by_hour.insert(hour, v);
            }
            if let Some(v) = value.products {
                state.products_by_hour.insert(hour, v);
            }
            if let Some(v) = value.visitors {
                state.visitors_by_hour.insert(hour, v);
            }
            if let Some(v) = value.refunds {
                state.refunds_by_hour.insert(hour, v);
            }
            Ok(())
        })?;
        self.each("SELECT day, value FROM days", |row| {
            let day: u32 = row.get(0).map_err(db)?;
            let value: DayIn = decode(blob_at(row, 1)?)?;
            if let Some(v) = value.searches {
                state.searches_by_day.insert(day, v);
            }
            if let Some(v) = value.disputes {
                state.disputes_by_day.insert(day, v);
            }
            Ok(())
        })?;
        self.each("SELECT kind, id, value FROM objects", |row| {
            let kind: i64 = row.get(0).map_err(db)?;
            let id = Uuid::from_bytes(row.get::<_, [u8; 16]>(1).map_err(db)?);
            let bytes = blob_at(row, 2)?;
            match kind {
                SESSION => {
                    state.sessions.insert(id, decode::<SessionState>(bytes)?);
                }
                RFQ => {
                    state.rfqs.insert(id, decode::<RfqFacts>(bytes)?);
                }
                OPEN_DISPUTE => {
                    state.open_disputes.insert(id, decode::<Uuid>(bytes)?);
                }
                ESCROW => {
                    state.escrow_suppliers.insert(id, decode::<Uuid>(bytes)?);
                }
                _ => {}
            }
            Ok(())
        })?;
        state.touched.saved_dims = (state.session_dims.len(), state.product_dims.len());
        Ok(Some(state))
    }

    /// Hands every row `sql` selects to `f`.
    fn each(
        &self,
        sql: &str,
        mut f: impl FnMut(&rusqlite::Row<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut stmt = self.conn.prepare(sql).map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            f(row)?;
        }
        Ok(())
    }

    /// Writes the changes and the checkpoint in one transaction.
    pub fn write(&mut self, changes: &Changes) -> io::Result<()> {
        let tx = self.conn.transaction().map_err(db)?;
        if changes.wipe {
            tx.execute_batch(
                "DELETE FROM hours; DELETE FROM days; DELETE FROM objects;
                 DELETE FROM session_dims; DELETE FROM product_dims;",
            )
            .map_err(db)?;
        }
        {
            let mut put = tx
                .prepare_cached("INSERT OR REPLACE INTO hours (hour, value) VALUES (?1, ?2)")
                .map_err(db)?;
            let mut drop = tx
                .prepare_cached("DELETE FROM hours WHERE hour = ?1")
                .map_err(db)?;
            for (hour, row) in &changes.hours {
                match row {
                    Some(bytes) => put.execute(params![hour, bytes]),
                    None => drop.execute(params![hour]),
                }
                .map_err(db)?;
            }
            let mut put = tx
                .prepare_cached("INSERT OR REPLACE INTO days (day, value) VALUES (?1, ?2)")
                .map_err(db)?;
            let mut drop = tx
                .prepare_cached("DELETE FROM days WHERE day = ?1")
                .map_err(db)?;
            for (day, row) in &changes.days {
                match row {
                    Some(bytes) => put.execute(params![day, bytes]),
                    None => drop.execute(params![day]),
                }
                .map_err(db)?;
            }
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO objects (kind, id, value) VALUES (?1, ?2, ?3)",
                )
                .map_err(db)?;
            let mut drop = tx
                .prepare_cached("DELETE FROM objects WHERE kind = ?1 AND id = ?2")
                .map_err(db)?;
            for (kind, id, row) in &changes.objects {
                let id = id.as_bytes().as_slice();
                match row {
                    Some(bytes) => put.execute(params![kind, id, bytes]),
                    None => drop.execute(params![kind, id]),
                }
                .map_err(db)?;
            }
            let mut put = tx
                .prepare_cached("INSERT OR REPLACE INTO session_dims (id, value) VALUES (?1, ?2)")
                .map_err(db)?;
            for (id, bytes) in &changes.session_dims {
                put.execute(params![*id as i64, bytes]).map_err(db)?;
            }
            let mut put = tx
                .prepare_cached("INSERT OR REPLACE INTO product_dims (id, value) VALUES (?1, ?2)")
                .map_err(db)?;
            for (id, bytes) in &changes.product_dims {
                put.execute(params![*id as i64, bytes]).map_err(db)?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO checkpoint
                     (id, layout, position, clock, applied_since_sweep)
                 VALUES (0, ?1, ?2, ?3, ?4)",
                params![
                    LAYOUT,
                    changes.position,
                    changes.clock,
                    changes.applied_since_sweep
                ],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }
}
