//! View-store benchmark: SQLite (rusqlite, bundled) against redb as the gateway's read-model
//! store, side by side in one process, on the same deterministically generated orders.
//!
//! An order is a 16-byte UUIDv7 id, a JSON state of about 600–900 bytes, and the columns the
//! views filter on: company (5,000, skewed: a few own 1,300+ orders at 1M), supplier (2,000),
//! born (position of its first event) and status. A projection applies batches of 10,000 events:
//! each upserts 3,000 distinct orders (2,000 new, 1,000 updates of recent ones that move their
//! status) and the projection's checkpoint in one transaction.
//!
//! Measured per engine: (1) bulk load through those batches (database time only; generating the
//! JSON is outside the clock), file size; (2) point lookups of 100,000 random ids; (3) the busiest
//! company's first page and page 50 (20 newest first, keyset on (born, id), page 50 from the cursor
//! of page 49) and the open-disputes queue's first page; every read decodes the JSON into a typed
//! struct and runs in its own read transaction; (4) the same two pages read by 16 threads while a
//! writer applies batches, once paced (`--writer-batches-per-sec`, default 0.5, so both engines
//! carry the same write load) and once back to back; (5) reopening with the checkpoint read, after
//! a clean close and after a child process applied 12 batches and died without closing; (6) peak
//! RSS. Both engines must return the same pages and lookups. The CPU other processes used during a
//! run is printed too: figures taken on a busy machine are not comparable.
//!
//! Settings. SQLite: WAL, `synchronous=NORMAL`, prepared statements, `INSERT … ON CONFLICT DO
//! UPDATE` in a `BEGIN IMMEDIATE` transaction, a rowid table with a unique id, indexes (company,
//! born, id), (supplier, born, id) and a partial (born, id) WHERE status = disputed, the default
//! auto-checkpoint; the query plans are checked to walk the indexes without sorting. redb: a table
//! id → header ‖ JSON, and index tables (company‖born‖id), (supplier‖born‖id) and (born‖id) of
//! open disputes kept by hand; commits are `Durability::None`, every `--redb-durable-every`-th
//! (default 10) `Immediate` with quick-repair (so that a crash costs no full repair). A process
//! crash loses nothing committed in SQLite NORMAL (a power loss may lose the tail since the last
//! WAL sync) and loses redb's non-durable tail; both come back consistent with their checkpoint,
//! from which the projection re-applies. Cache: `--cache-mib` (256) for redb's one cache and for
//! each SQLite connection's page cache; `--sqlite-mmap-mib` (0) sets SQLite's mmap_size.
//!
//! Progress goes to stderr; a table per engine, then one JSON line (last) to stdout.
//!
//! `cargo run --release -p zhuchao-bench --bin viewstores -- [--objects N] [--seed N]
//!  [--lookups N] [--page-samples N] [--readers N] [--seconds N] [--writer-batches-per-sec N]
//!  [--redb-durable-every N] [--cache-mib N] [--sqlite-mmap-mib N] [--dir PATH]
//!  [--only sqlite|redb]`

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use zhuchao_bench::stats::{round, Latencies};

const EVENTS_PER_BATCH: u64 = 10_000;
const NEW_PER_BATCH: usize = 2_000;
const UPDATES_PER_BATCH: usize = 1_000;
/// Updates touch the orders made in the last this many.
const RECENT_WINDOW: usize = 20_000;
const COMPANIES: usize = 5_000;
const BIG_COMPANIES: usize = 10;
const SUPPLIERS: usize = 2_000;
const PAGE: usize = 20;
const TARGET_PAGE: usize = 50;
/// Batches the crashing child applies before it dies.
const CRASH_BATCHES: u64 = 12;

const PLACED: u8 = 1;
const PAID: u8 = 2;
const SHIPPED: u8 = 3;
const DELIVERED: u8 = 4;
const COMPLETED: u8 = 5;
const CANCELLED: u8 = 6;
const DISPUTED: u8 = 7;
const STATUS_NAMES: [&str; 8] = [
    "NONE",
    "PLACED",
    "PAID",
    "SHIPPED",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
    "DISPUTED",
];

// ---------------------------------------------------------------------------------------------
// Settings

#[derive(Clone)]
struct Settings {
    objects: usize,
    seed: u64,
    lookups: usize,
    page_samples: usize,
    readers: usize,
    seconds: f64,
    writer_batches_per_sec: f64,
    redb_durable_every: u64,
    cache_mib: usize,
    sqlite_mmap_mib: usize,
    dir: Option<PathBuf>,
    engines: Vec<Engine>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Engine {
    Sqlite,
    Redb,
}

impl Engine {
    fn key(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Redb => "redb",
        }
    }
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "sqlite" => Engine::Sqlite,
            "redb" => Engine::Redb,
            other => bail!("unknown engine {other}"),
        })
    }
}

fn settings(args: &[String]) -> Result<Settings> {
    let mut s = Settings {
        objects: 1_000_000,
        seed: 0x5eed_2026,
        lookups: 100_000,
        page_samples: 5_000,
        readers: 16,
        seconds: 6.0,
        writer_batches_per_sec: 0.5,
        redb_durable_every: 10,
        cache_mib: 256,
        sqlite_mmap_mib: 0,
        dir: None,
        engines: vec![Engine::Sqlite, Engine::Redb],
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("a value");
        match arg.as_str() {
            "--objects" => s.objects = value()?.parse()?,
            "--seed" => s.seed = value()?.parse()?,
            "--lookups" => s.lookups = value()?.parse()?,
            "--page-samples" => s.page_samples = value()?.parse()?,
            "--readers" => s.readers = value()?.parse()?,
            "--seconds" => s.seconds = value()?.parse()?,
            "--writer-batches-per-sec" => s.writer_batches_per_sec = value()?.parse()?,
            "--redb-durable-every" => s.redb_durable_every = value()?.parse::<u64>()?.max(1),
            "--cache-mib" => s.cache_mib = value()?.parse()?,
            "--sqlite-mmap-mib" => s.sqlite_mmap_mib = value()?.parse()?,
            "--dir" => s.dir = Some(PathBuf::from(value()?)),
            "--only" => s.engines = vec![Engine::parse(value()?)?],
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Deterministic data

struct Rng(u64);
impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// xorshift64*
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A UUIDv7 made at `ms`, as the app's id generator makes them.
fn uuid_v7(ms: u64, rng: &mut Rng) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6..14].copy_from_slice(&rng.next().to_be_bytes());
    b[14..].copy_from_slice(&rng.next().to_be_bytes()[..2]);
    b[6] = 0x70 | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    b
}

const EPOCH_MS: u64 = 1_740_000_000_000;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Party {
    company: String,
    name: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Line {
    product: String,
    sku: String,
    title: String,
    quantity: u64,
    unit_price_minor: u64,
    total_minor: u64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Shipping {
    method: String,
    city: String,
    eta_days: u32,
}

/// An order's state as a view keeps it.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct OrderDoc {
    id: String,
    number: String,
    buyer: Party,
    supplier: Party,
    status: String,
    born: u64,
    version: u32,
    lines: Vec<Line>,
    total_minor: u64,
    currency: String,
    shipping: Shipping,
    placed_at: String,
    updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

const PARTS: [(&str, &str); 8] = [
    ("HB", "Hex bolt A2-70 DIN 933"),
    ("HN", "Hex nut class 8 DIN 934"),
    ("FW", "Flat washer ISO 7089"),
    ("DG", "Ball bearing 2RS"),
    ("PC", "Pneumatic cylinder ISO 15552"),
    ("PF", "Push-in fitting, brass"),
    ("TD", "Twist drill HSS-Co DIN 338"),
    ("BV", "Ball valve PN40 stainless"),
];
const CITIES: [&str; 6] = [
    "Shenzhen", "Ningbo", "Suzhou", "Dongguan", "Wenzhou", "Qingdao",
];

fn timestamp(ms: u64) -> String {
    let s = ms / 1000;
    let (days, rem) = (s / 86_400, s % 86_400);
    // Good enough for a realistic-looking string: 30-day months from 2025-01-01.
    format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        (days / 30) % 12 + 1,
        days % 30 + 1,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[derive(Clone, Copy)]
struct Meta {
    id: [u8; 16],
    company: u16,
    supplier: u16,
    born: u64,
    status: u8,
    version: u32,
    seed: u64,
}

/// One upsert of a batch.
struct Row {
    id: [u8; 16],
    company: [u8; 16],
    supplier: [u8; 16],
    born: u64,
    status: u8,
    body: Vec<u8>,
}

struct Batch {
    rows: Vec<Row>,
    checkpoint: u64,
}

struct Workload {
    rng: Rng,
    companies: Arc<Vec<[u8; 16]>>,
    suppliers: Arc<Vec<[u8; 16]>>,
    metas: Vec<Meta>,
    /// The next batch's number: its events are at positions from `next_batch * 10,000` on.
    next_batch: u64,
    body_bytes: (u64, usize, usize, usize),
}

impl Workload {
    fn new(seed: u64, next_batch: u64) -> Self {
        let mut rng = Rng::new(seed);
        let companies = (0..COMPANIES)
            .map(|i| uuid_v7(EPOCH_MS - 90 * 86_400_000 + i as u64 * 1_000, &mut rng))
            .collect();
        let suppliers = (0..SUPPLIERS)
            .map(|i| uuid_v7(EPOCH_MS - 80 * 86_400_000 + i as u64 * 1_000, &mut rng))
            .collect();
        Self {
            rng,
            companies: Arc::new(companies),
            suppliers: Arc::new(suppliers),
            metas: Vec::new(),
            next_batch,
            body_bytes: (0, 0, usize::MAX, 0),
        }
    }

    fn pick_company(&mut self) -> u16 {
        // 1.5% of orders from 10 big buyers; the rest skewed over the other 4,990.
        if self.rng.chance(0.015) {
            self.rng.below(BIG_COMPANIES) as u16
        } else {
            let u = self.rng.unit().powf(1.3);
            (BIG_COMPANIES + (u * (COMPANIES - BIG_COMPANIES) as f64) as usize) as u16
        }
    }

    fn doc(&self, m: &Meta) -> OrderDoc {
        let mut r = Rng::new(m.seed);
        let lines: Vec<Line> = (0..1 + r.below(2) + usize::from(r.chance(0.25)))
            .map(|_| {
                let (code, title) = PARTS[r.below(PARTS.len())];
                let quantity = 10 + r.below(5_000) as u64;
                let unit_price_minor = 5 + r.below(50_000) as u64;
                Line {
                    product: Uuid::from_bytes(uuid_v7(EPOCH_MS - 86_400_000, &mut r)).to_string(),
                    sku: format!(
                        "{code}-M{}x{}-{}",
                        4 + r.below(20),
                        10 + r.below(190),
                        r.below(100)
                    ),
                    title: title.to_string(),
                    quantity,
                    unit_price_minor,
                    total_minor: quantity * unit_price_minor,
                }
            })
            .collect();
        let born_ms = EPOCH_MS + m.born / 10;
        OrderDoc {
            id: Uuid::from_bytes(m.id).to_string(),
            number: format!("ZC-{:08}", m.born / 5),
            buyer: Party {
                company: Uuid::from_bytes(self.companies[m.company as usize]).to_string(),
                name: format!(
                    "{} Machinery No. {}",
                    CITIES[m.company as usize % 6],
                    m.company
                ),
            },
            supplier: Party {
                company: Uuid::from_bytes(self.suppliers[m.supplier as usize]).to_string(),
                name: format!(
                    "{} Parts Co. {}",
                    CITIES[m.supplier as usize % 6],
                    m.supplier
                ),
            },
            status: STATUS_NAMES[m.status as usize].to_string(),
            born: m.born,
            version: m.version,
            total_minor: lines.iter().map(|l| l.total_minor).sum(),
            lines,
            currency: "CNY".into(),
            shipping: Shipping {
                method: ["EXPRESS", "FREIGHT", "PICKUP"][r.below(3)].into(),
                city: CITIES[r.below(6)].into(),
                eta_days: 1 + r.below(14) as u32,
            },
            placed_at: timestamp(born_ms),
            updated_at: timestamp(born_ms + m.version as u64 * 3_600_000),
            note: (m.status == DISPUTED).then(|| {
                "Buyer reports part of the delivery out of tolerance; photos attached".into()
            }),
        }
    }

    fn row(&mut self, m: &Meta) -> Row {
        let body = serde_json::to_vec(&self.doc(m)).expect("serialise");
        let b = &mut self.body_bytes;
        b.0 += body.len() as u64;
        b.1 += 1;
        b.2 = b.2.min(body.len());
        b.3 = b.3.max(body.len());
        Row {
            id: m.id,
            company: self.companies[m.company as usize],
            supplier: self.suppliers[m.supplier as usize],
            born: m.born,
            status: m.status,
            body,
        }
    }

    /// The next 10,000 events' upserts: `new` new orders and up to 1,000 updates of recent ones.
    fn next_batch(&mut self, new: usize) -> Batch {
        let base = self.next_batch * EVENTS_PER_BATCH;
        self.next_batch += 1;
        let start = self.metas.len();
        let window = start.min(RECENT_WINDOW);
        let mut chosen = BTreeSet::new();
        while chosen.len() < UPDATES_PER_BATCH.min(window / 2) {
            chosen.insert(start - 1 - self.rng.below(window));
        }
        let mut rows = Vec::with_capacity(new + chosen.len());
        for i in chosen {
            let mut m = self.metas[i];
            m.status = self.advance(m.status);
            m.version += 1;
            self.metas[i] = m;
            rows.push(self.row(&m));
        }
        for k in 0..new {
            let born = base + (k as u64 * EVENTS_PER_BATCH) / new.max(1) as u64;
            let company = self.pick_company();
            let supplier = (self.rng.unit().powf(1.2) * SUPPLIERS as f64) as u16 % SUPPLIERS as u16;
            let m = Meta {
                id: uuid_v7(EPOCH_MS + born / 10, &mut self.rng),
                company,
                supplier,
                born,
                status: PLACED,
                version: 1,
                seed: self.rng.next(),
            };
            self.metas.push(m);
            rows.push(self.row(&m));
        }
        // Events of one batch arrive interleaved: shuffle the upserts.
        for i in (1..rows.len()).rev() {
            rows.swap(i, self.rng.below(i + 1));
        }
        Batch {
            rows,
            checkpoint: base + EVENTS_PER_BATCH - 1,
        }
    }

    fn advance(&mut self, s: u8) -> u8 {
        let r = self.rng.unit();
        match s {
            PLACED if r < 0.05 => CANCELLED,
            PLACED => PAID,
            PAID | SHIPPED | DELIVERED if r < 0.05 => DISPUTED,
            PAID => SHIPPED,
            SHIPPED => DELIVERED,
            DELIVERED => COMPLETED,
            DISPUTED if r < 0.3 => COMPLETED,
            other => other,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The two stores behind one interface

struct Item {
    born: u64,
    id: [u8; 16],
    doc: OrderDoc,
}

type Cursor = Option<(u64, [u8; 16])>;

trait Store: Send + Sync {
    fn apply(&self, batch: &Batch) -> Result<()>;
    /// Makes everything applied durable (redb's last non-durable commits); SQLite NORMAL: nothing.
    fn sync(&self) -> Result<()>;
    fn reader(&self) -> Result<Box<dyn Reader>>;
    fn checkpoint(&self) -> Result<u64>;
    /// How the engine itself accounts for its file.
    fn space(&self) -> Result<serde_json::Value>;
}

trait Reader: Send {
    fn get(&mut self, id: &[u8; 16]) -> Result<Option<OrderDoc>>;
    fn company_page(
        &mut self,
        company: &[u8; 16],
        after: Cursor,
        out: &mut Vec<Item>,
    ) -> Result<()>;
    fn disputes_page(&mut self, after: Cursor, out: &mut Vec<Item>) -> Result<()>;
}

fn files(engine: Engine, path: &Path) -> Vec<PathBuf> {
    match engine {
        Engine::Sqlite => ["", "-wal", "-shm"]
            .iter()
            .map(|s| PathBuf::from(format!("{}{s}", path.display())))
            .collect(),
        Engine::Redb => vec![path.to_path_buf()],
    }
}

fn disk_bytes(engine: Engine, path: &Path) -> u64 {
    files(engine, path)
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// Opens the store; `init` also creates the schema (and checks SQLite's plans), which a reopen
/// does not do.
fn open(engine: Engine, path: &Path, s: &Settings, init: bool) -> Result<Box<dyn Store>> {
    Ok(match engine {
        Engine::Sqlite => Box::new(Sqlite::open(path, s.cache_mib, s.sqlite_mmap_mib, init)?),
        Engine::Redb => Box::new(Redb::open(path, s.cache_mib, s.redb_durable_every, init)?),
    })
}

// --- SQLite

struct Sqlite {
    path: PathBuf,
    cache_mib: usize,
    mmap_mib: usize,
    writer: Mutex<Connection>,
}

const SQL_UPSERT: &str = "INSERT INTO orders (id, company, supplier, born, status, body) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body";
const SQL_CHECKPOINT: &str = "INSERT INTO checkpoints (name, position) VALUES ('orders', ?1) \
     ON CONFLICT (name) DO UPDATE SET position = excluded.position";
const SQL_GET: &str = "SELECT body FROM orders WHERE id = ?1";
const SQL_FIRST: &str = "SELECT born, id, body FROM orders WHERE company = ?1 \
     ORDER BY born DESC, id DESC LIMIT ?2";
const SQL_AFTER: &str = "SELECT born, id, body FROM orders WHERE company = ?1 \
     AND (born, id) < (?2, ?3) ORDER BY born DESC, id DESC LIMIT ?4";
const SQL_DISPUTES_FIRST: &str = "SELECT born, id, body FROM orders WHERE status = 7 \
     ORDER BY born DESC, id DESC LIMIT ?1";
const SQL_DISPUTES_AFTER: &str = "SELECT born, id, body FROM orders WHERE status = 7 \
     AND (born, id) < (?1, ?2) ORDER BY born DESC, id DESC LIMIT ?3";

impl Sqlite {
    fn connect(path: &Path, cache_mib: usize, mmap_mib: usize) -> Result<Connection> {
        let conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        anyhow::ensure!(mode == "wal", "journal_mode {mode}");
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{}; PRAGMA mmap_size = {}; \
             PRAGMA busy_timeout = 10000;",
            cache_mib * 1024,
            mmap_mib << 20
        ))?;
        Ok(conn)
    }

    fn open(path: &Path, cache_mib: usize, mmap_mib: usize, init: bool) -> Result<Self> {
        let conn = Self::connect(path, cache_mib, mmap_mib)?;
        if init {
            Self::init(&conn)?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            cache_mib,
            mmap_mib,
            writer: Mutex::new(conn),
        })
    }

    fn init(conn: &Connection) -> Result<()> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS orders (
                 id BLOB NOT NULL PRIMARY KEY,
                 company BLOB NOT NULL,
                 supplier BLOB NOT NULL,
                 born INTEGER NOT NULL,
                 status INTEGER NOT NULL,
                 body BLOB NOT NULL);
             CREATE INDEX IF NOT EXISTS orders_company ON orders (company, born, id);
             CREATE INDEX IF NOT EXISTS orders_supplier ON orders (supplier, born, id);
             CREATE INDEX IF NOT EXISTS orders_disputes ON orders (born, id) WHERE status = 7;
             CREATE TABLE IF NOT EXISTS checkpoints (
                 name TEXT NOT NULL PRIMARY KEY,
                 position INTEGER NOT NULL);",
        )?;
        // The plans must walk the indexes in order: no sort, no scan.
        for sql in [
            SQL_GET,
            SQL_FIRST,
            SQL_AFTER,
            SQL_DISPUTES_FIRST,
            SQL_DISPUTES_AFTER,
        ] {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let nulls = std::iter::repeat_n(rusqlite::types::Null, st.parameter_count());
            let plan: Vec<String> = st
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))?
                .collect::<rusqlite::Result<_>>()?;
            let plan = plan.join("; ");
            if std::env::var_os("VIEWSTORES_PLANS").is_some() {
                eprintln!("plan: {plan}");
            }
            if plan.contains("TEMP B-TREE") || !plan.contains("INDEX") {
                bail!("bad plan for {sql}: {plan}");
            }
        }
        Ok(())
    }
}

fn sqlite_items(
    st: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
    out: &mut Vec<Item>,
) -> Result<()> {
    let mut rows = st.query(params)?;
    while let Some(r) = rows.next()? {
        out.push(Item {
            born: r.get::<_, i64>(0)? as u64,
            id: r.get_ref(1)?.as_blob()?.try_into()?,
            doc: serde_json::from_slice(r.get_ref(2)?.as_blob()?)?,
        });
    }
    Ok(())
}

impl Store for Sqlite {
    fn apply(&self, batch: &Batch) -> Result<()> {
        let mut conn = self.writer.lock().unwrap();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut upsert = tx.prepare_cached(SQL_UPSERT)?;
            for r in &batch.rows {
                upsert.execute(params![
                    &r.id[..],
                    &r.company[..],
                    &r.supplier[..],
                    r.born as i64,
                    r.status,
                    &r.body[..]
                ])?;
            }
            tx.prepare_cached(SQL_CHECKPOINT)?
                .execute([batch.checkpoint as i64])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn reader(&self) -> Result<Box<dyn Reader>> {
        Ok(Box::new(SqliteReader(Self::connect(
            &self.path,
            self.cache_mib,
            self.mmap_mib,
        )?)))
    }

    fn checkpoint(&self) -> Result<u64> {
        let conn = self.writer.lock().unwrap();
        let p: Option<i64> = conn
            .query_row(
                "SELECT position FROM checkpoints WHERE name = 'orders'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(p.unwrap_or(-1) as u64)
    }

    fn space(&self) -> Result<serde_json::Value> {
        let conn = self.writer.lock().unwrap();
        let pragma = |name: &str| -> Result<u64> {
            Ok(conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))? as u64)
        };
        let page = pragma("page_size")?;
        Ok(json!({
            "page_size": page,
            "pages_bytes": pragma("page_count")? * page,
            "free_bytes": pragma("freelist_count")? * page,
        }))
    }
}

struct SqliteReader(Connection);

impl Reader for SqliteReader {
    fn get(&mut self, id: &[u8; 16]) -> Result<Option<OrderDoc>> {
        let mut st = self.0.prepare_cached(SQL_GET)?;
        let mut rows = st.query([&id[..]])?;
        match rows.next()? {
            Some(r) => Ok(Some(serde_json::from_slice(r.get_ref(0)?.as_blob()?)?)),
            None => Ok(None),
        }
    }

    fn company_page(
        &mut self,
        company: &[u8; 16],
        after: Cursor,
        out: &mut Vec<Item>,
    ) -> Result<()> {
        match after {
            None => sqlite_items(
                &mut self.0.prepare_cached(SQL_FIRST)?,
                params![&company[..], PAGE as i64],
                out,
            ),
            Some((born, id)) => sqlite_items(
                &mut self.0.prepare_cached(SQL_AFTER)?,
                params![&company[..], born as i64, &id[..], PAGE as i64],
                out,
            ),
        }
    }

    fn disputes_page(&mut self, after: Cursor, out: &mut Vec<Item>) -> Result<()> {
        match after {
            None => sqlite_items(
                &mut self.0.prepare_cached(SQL_DISPUTES_FIRST)?,
                params![PAGE as i64],
                out,
            ),
            Some((born, id)) => sqlite_items(
                &mut self.0.prepare_cached(SQL_DISPUTES_AFTER)?,
                params![born as i64, &id[..], PAGE as i64],
                out,
            ),
        }
    }
}

// --- redb

/// id → company(16) ‖ supplier(16) ‖ born(8, big-endian) ‖ status(1) ‖ JSON.
const OBJECTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("orders");
/// company ‖ born ‖ id → ()
const BY_COMPANY: TableDefinition<&[u8], ()> = TableDefinition::new("orders_by_company");
/// supplier ‖ born ‖ id → ()
const BY_SUPPLIER: TableDefinition<&[u8], ()> = TableDefinition::new("orders_by_supplier");
/// born ‖ id → () for orders in dispute
const DISPUTES: TableDefinition<&[u8], ()> = TableDefinition::new("orders_disputed");
const CHECKPOINTS: TableDefinition<&str, u64> = TableDefinition::new("checkpoints");
const HEADER: usize = 41;

struct Redb {
    db: Arc<Database>,
    durable_every: u64,
    applied: AtomicU64,
}

fn index_key(prefix: &[u8; 16], born: u64, id: &[u8; 16]) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..16].copy_from_slice(prefix);
    k[16..24].copy_from_slice(&born.to_be_bytes());
    k[24..].copy_from_slice(id);
    k
}

fn dispute_key(born: u64, id: &[u8; 16]) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..8].copy_from_slice(&born.to_be_bytes());
    k[8..].copy_from_slice(id);
    k
}

struct Header {
    company: [u8; 16],
    supplier: [u8; 16],
    born: u64,
    status: u8,
}

impl Header {
    fn parse(v: &[u8]) -> Self {
        Self {
            company: v[..16].try_into().unwrap(),
            supplier: v[16..32].try_into().unwrap(),
            born: u64::from_be_bytes(v[32..40].try_into().unwrap()),
            status: v[40],
        }
    }
}

impl Redb {
    fn open(path: &Path, cache_mib: usize, durable_every: u64, init: bool) -> Result<Self> {
        let mut builder = Database::builder();
        builder.set_cache_size(cache_mib << 20);
        let db = if init {
            let db = builder.create(path)?;
            let tx = db.begin_write()?;
            tx.open_table(OBJECTS)?;
            tx.open_table(BY_COMPANY)?;
            tx.open_table(BY_SUPPLIER)?;
            tx.open_table(DISPUTES)?;
            tx.open_table(CHECKPOINTS)?;
            tx.commit()?;
            db
        } else {
            builder.open(path)?
        };
        Ok(Self {
            db: Arc::new(db),
            durable_every,
            applied: AtomicU64::new(0),
        })
    }

    fn write(&self, tx: &WriteTransaction, batch: &Batch) -> Result<()> {
        let mut objects = tx.open_table(OBJECTS)?;
        let mut by_company = tx.open_table(BY_COMPANY)?;
        let mut by_supplier = tx.open_table(BY_SUPPLIER)?;
        let mut disputes = tx.open_table(DISPUTES)?;
        let mut value = Vec::with_capacity(1024);
        for r in &batch.rows {
            value.clear();
            value.extend_from_slice(&r.company);
            value.extend_from_slice(&r.supplier);
            value.extend_from_slice(&r.born.to_be_bytes());
            value.push(r.status);
            value.extend_from_slice(&r.body);
            let old = objects
                .insert(&r.id[..], &value[..])?
                .map(|g| Header::parse(g.value()));
            let company_key = index_key(&r.company, r.born, &r.id);
            let supplier_key = index_key(&r.supplier, r.born, &r.id);
            let dispute = dispute_key(r.born, &r.id);
            match old {
                None => {
                    by_company.insert(&company_key[..], ())?;
                    by_supplier.insert(&supplier_key[..], ())?;
                    if r.status == DISPUTED {
                        disputes.insert(&dispute[..], ())?;
                    }
                }
                Some(o) => {
                    // Move an index entry only when its key changed, as SQLite's UPDATE does.
                    if o.company != r.company || o.born != r.born {
                        by_company.remove(&index_key(&o.company, o.born, &r.id)[..])?;
                        by_company.insert(&company_key[..], ())?;
                    }
                    if o.supplier != r.supplier || o.born != r.born {
                        by_supplier.remove(&index_key(&o.supplier, o.born, &r.id)[..])?;
                        by_supplier.insert(&supplier_key[..], ())?;
                    }
                    let was = o.status == DISPUTED;
                    let is = r.status == DISPUTED;
                    if was && (!is || o.born != r.born) {
                        disputes.remove(&dispute_key(o.born, &r.id)[..])?;
                    }
                    if is && (!was || o.born != r.born) {
                        disputes.insert(&dispute[..], ())?;
                    }
                }
            }
        }
        tx.open_table(CHECKPOINTS)?
            .insert("orders", batch.checkpoint)?;
        Ok(())
    }
}

impl Store for Redb {
    fn apply(&self, batch: &Batch) -> Result<()> {
        let n = self.applied.fetch_add(1, Ordering::Relaxed) + 1;
        let mut tx = self.db.begin_write()?;
        if n.is_multiple_of(self.durable_every) {
            tx.set_durability(Durability::Immediate)?;
            tx.set_quick_repair(true);
        } else {
            tx.set_durability(Durability::None)?;
        }
        self.write(&tx, batch)?;
        tx.commit()?;
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Immediate)?;
        tx.set_quick_repair(true);
        tx.commit()?;
        Ok(())
    }

    fn reader(&self) -> Result<Box<dyn Reader>> {
        Ok(Box::new(RedbReader(self.db.clone())))
    }

    fn checkpoint(&self) -> Result<u64> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(CHECKPOINTS)?;
        Ok(t.get("orders")?.map_or(u64::MAX, |g| g.value()))
    }

    fn space(&self) -> Result<serde_json::Value> {
        let tx = self.db.begin_write()?;
        let st = tx.stats()?;
        let v = json!({
            "page_size": st.page_size(),
            "allocated_bytes": st.allocated_pages() * st.page_size() as u64,
            "stored_bytes": st.stored_bytes(),
            "metadata_bytes": st.metadata_bytes(),
            "fragmented_bytes": st.fragmented_bytes(),
        });
        tx.abort()?;
        Ok(v)
    }
}

struct RedbReader(Arc<Database>);

fn redb_items<'a>(
    entries: impl Iterator<
        Item = std::result::Result<
            (
                redb::AccessGuard<'a, &'static [u8]>,
                redb::AccessGuard<'a, ()>,
            ),
            redb::StorageError,
        >,
    >,
    objects: &redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    out: &mut Vec<Item>,
) -> Result<()> {
    for e in entries.take(PAGE) {
        let (k, _) = e?;
        let k = k.value();
        let (born, id) = k.split_at(k.len() - 16);
        let born = u64::from_be_bytes(born[born.len() - 8..].try_into()?);
        let v = objects.get(id)?.context("index entry without object")?;
        out.push(Item {
            born,
            id: id.try_into()?,
            doc: serde_json::from_slice(&v.value()[HEADER..])?,
        });
    }
    Ok(())
}

impl Reader for RedbReader {
    fn get(&mut self, id: &[u8; 16]) -> Result<Option<OrderDoc>> {
        let tx = self.0.begin_read()?;
        let objects = tx.open_table(OBJECTS)?;
        let v = objects.get(&id[..])?;
        Ok(match v {
            Some(v) => Some(serde_json::from_slice(&v.value()[HEADER..])?),
            None => None,
        })
    }

    fn company_page(
        &mut self,
        company: &[u8; 16],
        after: Cursor,
        out: &mut Vec<Item>,
    ) -> Result<()> {
        let tx = self.0.begin_read()?;
        let index = tx.open_table(BY_COMPANY)?;
        let objects = tx.open_table(OBJECTS)?;
        let lo = index_key(company, 0, &[0; 16]);
        match after {
            None => {
                let hi = index_key(company, u64::MAX, &[0xff; 16]);
                redb_items(
                    index.range::<&[u8]>(&lo[..]..=&hi[..])?.rev(),
                    &objects,
                    out,
                )
            }
            Some((born, id)) => {
                let hi = index_key(company, born, &id);
                redb_items(index.range::<&[u8]>(&lo[..]..&hi[..])?.rev(), &objects, out)
            }
        }
    }

    fn disputes_page(&mut self, after: Cursor, out: &mut Vec<Item>) -> Result<()> {
        let tx = self.0.begin_read()?;
        let index = tx.open_table(DISPUTES)?;
        let objects = tx.open_table(OBJECTS)?;
        match after {
            None => redb_items(index.iter()?.rev(), &objects, out),
            Some((born, id)) => {
                let hi = dispute_key(born, &id);
                redb_items(index.range::<&[u8]>(..&hi[..])?.rev(), &objects, out)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The run

fn us(l: &Latencies, p: f64) -> f64 {
    round(l.percentile_ms(p) * 1000.0, 1)
}

fn lat_json(samples: Vec<Duration>) -> serde_json::Value {
    let n = samples.len();
    let l = Latencies::new(samples);
    json!({"p50_us": us(&l, 50.0), "p99_us": us(&l, 99.0), "samples": n})
}

/// CPU time (in clock ticks, 1/100 s) the whole machine spent busy, and this process (with its
/// waited-for children) spent: their difference is what other processes took during a run.
fn cpu_ticks() -> (u64, u64) {
    let machine = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<u64> = s
                .lines()
                .next()?
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal
            Some(f.iter().take(8).sum::<u64>() - f.get(3)? - f.get(4)?)
        })
        .unwrap_or(0);
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<u64> = s
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .skip(11)
                .take(4)
                .filter_map(|v| v.parse().ok())
                .collect();
            Some(f.iter().sum())
        })
        .unwrap_or(0);
    (machine, own)
}

/// Seconds of CPU that other processes used since `from`.
fn foreign_cpu_s(from: (u64, u64)) -> f64 {
    let now = cpu_ticks();
    round(
        now.0
            .saturating_sub(from.0)
            .saturating_sub(now.1.saturating_sub(from.1)) as f64
            / 100.0,
        1,
    )
}

/// Decoding alone (no store): one order's JSON, and the 20 of a page.
fn decode_baseline(seed: u64) -> Result<serde_json::Value> {
    let mut w = Workload::new(seed, 0);
    let batch = w.next_batch(PAGE);
    let bodies: Vec<&[u8]> = batch.rows.iter().map(|r| &r.body[..]).collect();
    let mut pages = Vec::new();
    for _ in 0..5_000 {
        let t = Instant::now();
        for b in &bodies {
            std::hint::black_box(serde_json::from_slice::<OrderDoc>(b)?);
        }
        pages.push(t.elapsed());
    }
    let l = Latencies::new(pages);
    Ok(
        json!({"page_of_20_p50_us": us(&l, 50.0), "one_p50_us": round(us(&l, 50.0) / PAGE as f64, 2)}),
    )
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kib| round(kib / 1024.0, 1))
}

/// What an engine answered, to check that both answer the same.
#[derive(PartialEq, Debug)]
struct Answers {
    first_page: Vec<[u8; 16]>,
    target_page: Vec<[u8; 16]>,
    disputes_page: Vec<[u8; 16]>,
    lookups_checksum: u64,
}

struct Busiest {
    company: [u8; 16],
    orders: usize,
}

fn busiest(w: &Workload) -> Busiest {
    let mut counts = vec![0usize; COMPANIES];
    for m in &w.metas {
        counts[m.company as usize] += 1;
    }
    let (i, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))
        .unwrap();
    Busiest {
        company: w.companies[i],
        orders: *n,
    }
}

fn run_engine(engine: Engine, s: &Settings, dir: &Path) -> Result<(serde_json::Value, Answers)> {
    reset_peak_rss();
    let cpu = cpu_ticks();
    let path = dir.join(format!("views.{}", engine.key()));
    let name = engine.key();
    let store = open(engine, &path, s, true)?;

    // (1) Bulk load through the projection's batches.
    let mut w = Workload::new(s.seed, 0);
    let mut load = Duration::ZERO;
    let mut batch_times = Vec::new();
    let (mut upserts, mut last_checkpoint) = (0usize, 0u64);
    let report_every = (s.objects / NEW_PER_BATCH / 10).max(1);
    while w.metas.len() < s.objects {
        let batch = w.next_batch(NEW_PER_BATCH.min(s.objects - w.metas.len()));
        let t = Instant::now();
        store.apply(&batch)?;
        let e = t.elapsed();
        load += e;
        batch_times.push(e);
        upserts += batch.rows.len();
        last_checkpoint = batch.checkpoint;
        if batch_times.len().is_multiple_of(report_every) {
            eprintln!(
                "  {name}: {} orders, {:.0} orders/s so far",
                w.metas.len(),
                w.metas.len() as f64 / load.as_secs_f64()
            );
        }
    }
    let t = Instant::now();
    store.sync()?;
    load += t.elapsed();
    let bytes_after_load = disk_bytes(engine, &path);
    let space = store.space()?;
    let batches = batch_times.len();
    let batch_lat = Latencies::new(batch_times);
    anyhow::ensure!(
        store.checkpoint()? == last_checkpoint,
        "checkpoint after load"
    );
    let body = w.body_bytes;

    // (2) Point lookups of random ids, JSON decoded.
    let mut reader = store.reader()?;
    let mut rng = Rng::new(s.seed ^ 0x1001);
    let ids: Vec<[u8; 16]> = (0..s.lookups)
        .map(|_| w.metas[rng.below(s.objects)].id)
        .collect();
    let mut samples = Vec::with_capacity(ids.len());
    let mut checksum = 0u64;
    for id in &ids {
        let t = Instant::now();
        let doc = reader.get(id)?;
        samples.push(t.elapsed());
        let doc = doc.context("lookup missed")?;
        checksum = checksum.wrapping_add(doc.version as u64 * 31 + doc.total_minor);
    }
    let lookups = lat_json(samples);
    eprintln!("  {name}: point lookups done");

    // (3) The busiest company's first page and page 50 (keyset cursor of page 49).
    let b = busiest(&w);
    let mut out = Vec::with_capacity(PAGE);
    let mut cursor: Cursor = None;
    let mut first_page = Vec::new();
    let mut page_cursor: Cursor = None;
    let mut target_page = Vec::new();
    let mut page_no = 0;
    for p in 1..=TARGET_PAGE {
        out.clear();
        reader.company_page(&b.company, cursor, &mut out)?;
        if out.is_empty() {
            break;
        }
        page_no = p;
        page_cursor = cursor;
        target_page = out.iter().map(|i| i.id).collect();
        if p == 1 {
            first_page = target_page.clone();
        }
        let last = out.last().unwrap();
        cursor = Some((last.born, last.id));
    }
    let mut first = Vec::with_capacity(s.page_samples);
    let mut deep = Vec::with_capacity(s.page_samples);
    for _ in 0..s.page_samples {
        out.clear();
        let t = Instant::now();
        reader.company_page(&b.company, None, &mut out)?;
        first.push(t.elapsed());
        out.clear();
        let t = Instant::now();
        reader.company_page(&b.company, page_cursor, &mut out)?;
        deep.push(t.elapsed());
    }
    let mut disputes = Vec::with_capacity(s.page_samples);
    for _ in 0..s.page_samples {
        out.clear();
        let t = Instant::now();
        reader.disputes_page(None, &mut out)?;
        disputes.push(t.elapsed());
    }
    let disputes_page: Vec<[u8; 16]> = out.iter().map(|i| i.id).collect();
    // The queue must be newest first and all disputed.
    anyhow::ensure!(
        out.iter().all(|i| i.doc.status == "DISPUTED"),
        "disputes page"
    );
    anyhow::ensure!(
        out.windows(2).all(|p| p[0].born > p[1].born),
        "disputes order"
    );
    drop(reader);
    eprintln!("  {name}: page reads done");

    // (4) The same pages from 16 readers while a writer applies batches.
    let paced = concurrent(
        &*store,
        &mut w,
        &b.company,
        page_cursor,
        s,
        s.writer_batches_per_sec,
    )?;
    eprintln!("  {name}: concurrent reads with a paced writer done");
    let flat_out = concurrent(&*store, &mut w, &b.company, page_cursor, s, 0.0)?;
    eprintln!("  {name}: concurrent reads done");

    // (5) Reopen: clean, then after a process that died mid-stream.
    let checkpoint_before = store.checkpoint()?;
    let t = Instant::now();
    drop(store);
    let close_ms = t.elapsed().as_secs_f64() * 1000.0;
    let bytes_after_close = disk_bytes(engine, &path);
    let t = Instant::now();
    let store = open(engine, &path, s, false)?;
    let reopened = store.checkpoint()?;
    let reopen_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(reopened == checkpoint_before, "checkpoint after reopen");
    drop(store);

    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["--crash-child", name, &path.display().to_string()])
        .args([
            "--seed",
            &s.seed.to_string(),
            "--cache-mib",
            &s.cache_mib.to_string(),
            "--sqlite-mmap-mib",
            &s.sqlite_mmap_mib.to_string(),
        ])
        .args(["--redb-durable-every", &s.redb_durable_every.to_string()])
        .output()?;
    anyhow::ensure!(
        child.status.code() == Some(9),
        "crash child: {}",
        String::from_utf8_lossy(&child.stderr)
    );
    let applied: u64 = String::from_utf8(child.stdout)?.trim().parse()?;
    let t = Instant::now();
    let store = open(engine, &path, s, false)?;
    let recovered = store.checkpoint()?;
    let crash_reopen_ms = t.elapsed().as_secs_f64() * 1000.0;
    let lost = applied.saturating_sub(recovered) / EVENTS_PER_BATCH;
    drop(store);
    let rss = peak_rss_mib();
    let foreign = foreign_cpu_s(cpu);

    let figures = json!({
        "load": {
            "objects": s.objects,
            "batches": batches,
            "upserts": upserts,
            "seconds": round(load.as_secs_f64(), 2),
            "objects_per_s": round(s.objects as f64 / load.as_secs_f64(), 0),
            "upserts_per_s": round(upserts as f64 / load.as_secs_f64(), 0),
            "events_per_s": round((batches as u64 * EVENTS_PER_BATCH) as f64 / load.as_secs_f64(), 0),
            "batch_p50_ms": round(batch_lat.percentile_ms(50.0), 2),
            "batch_p99_ms": round(batch_lat.percentile_ms(99.0), 2),
            "bytes_after_load": bytes_after_load,
            "bytes_after_close": bytes_after_close,
            "engine_space": space,
            "json_bytes_mean": body.0 / body.1.max(1) as u64,
            "json_bytes_min": body.2,
            "json_bytes_max": body.3,
        },
        "point_lookup": lookups,
        "busiest_company_orders": b.orders,
        "first_page": lat_json(first),
        "deep_page": {"page": page_no, "latency": lat_json(deep)},
        "disputes_first_page": lat_json(disputes),
        "concurrent": paced,
        "concurrent_flat_out_writer": flat_out,
        "reopen": {
            "close_ms": round(close_ms, 1),
            "clean_ms": round(reopen_ms, 2),
            "after_crash_ms": round(crash_reopen_ms, 2),
            "crash_batches_lost": lost,
        },
        "peak_rss_mib": rss,
        "foreign_cpu_s": foreign,
    });
    let answers = Answers {
        first_page,
        target_page,
        disputes_page,
        lookups_checksum: checksum,
    };
    Ok((figures, answers))
}

fn concurrent(
    store: &dyn Store,
    w: &mut Workload,
    company: &[u8; 16],
    deep: Cursor,
    s: &Settings,
    writer_batches_per_sec: f64,
) -> Result<serde_json::Value> {
    let stop = AtomicBool::new(false);
    let start = Barrier::new(s.readers + 2);
    // 0: the writer applies batches back to back.
    let interval = (writer_batches_per_sec > 0.0)
        .then(|| Duration::from_secs_f64(1.0 / writer_batches_per_sec));
    let (elapsed, writer, readers) = std::thread::scope(|scope| -> Result<_> {
        let writer = scope.spawn(|| -> Result<Vec<Duration>> {
            start.wait();
            let began = Instant::now();
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(i) = interval {
                    let due = began + i.mul_f64(times.len() as f64 + 0.5);
                    while Instant::now() < due && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(2).min(due - Instant::now()));
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                let batch = w.next_batch(NEW_PER_BATCH);
                let t = Instant::now();
                store.apply(&batch)?;
                times.push(t.elapsed());
            }
            Ok(times)
        });
        let readers: Vec<_> = (0..s.readers)
            .map(|_| {
                scope.spawn(|| -> Result<(Vec<Duration>, Vec<Duration>)> {
                    let mut reader = store.reader()?;
                    let mut out = Vec::with_capacity(PAGE);
                    let (mut first, mut deeper) = (Vec::new(), Vec::new());
                    start.wait();
                    while !stop.load(Ordering::Relaxed) {
                        out.clear();
                        let t = Instant::now();
                        reader.company_page(company, None, &mut out)?;
                        first.push(t.elapsed());
                        out.clear();
                        let t = Instant::now();
                        reader.company_page(company, deep, &mut out)?;
                        deeper.push(t.elapsed());
                        anyhow::ensure!(!out.is_empty(), "empty page");
                    }
                    Ok((first, deeper))
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(s.seconds));
        stop.store(true, Ordering::Relaxed);
        let writer = writer.join().unwrap()?;
        let elapsed = began.elapsed().as_secs_f64();
        let readers = readers
            .into_iter()
            .map(|r| r.join().unwrap())
            .collect::<Result<Vec<_>>>()?;
        Ok((elapsed, writer, readers))
    })?;
    let (mut first, mut deeper) = (Vec::new(), Vec::new());
    for (f, d) in readers {
        first.extend(f);
        deeper.extend(d);
    }
    let reads = first.len() + deeper.len();
    let all = Latencies::new(first.iter().chain(&deeper).copied().collect());
    let batches = writer.len();
    let wl = Latencies::new(writer);
    Ok(json!({
        "readers": s.readers,
        "seconds": round(elapsed, 2),
        "reads": reads,
        "reads_per_s": round(reads as f64 / elapsed, 0),
        "p50_us": us(&all, 50.0),
        "p99_us": us(&all, 99.0),
        "first_page_p99_us": us(&Latencies::new(first), 99.0),
        "deep_page_p99_us": us(&Latencies::new(deeper), 99.0),
        "writer_target_batches_per_s": writer_batches_per_sec,
        "writer_batches": batches,
        "writer_batches_per_s": round(batches as f64 / elapsed, 2),
        "writer_batch_p50_ms": round(wl.percentile_ms(50.0), 1),
        "writer_batch_p99_ms": round(wl.percentile_ms(99.0), 1),
    }))
}

/// The child the crash test starts: applies batches to the store and dies without closing it.
/// Prints the last checkpoint it committed; exits with 9.
fn crash_child(args: &[String]) -> Result<()> {
    let engine = Engine::parse(&args[0])?;
    let path = PathBuf::from(&args[1]);
    let s = settings(&args[2..])?;
    let store = open(engine, &path, &s, false)?;
    let from = store.checkpoint()? / EVENTS_PER_BATCH + 1;
    let mut w = Workload::new(s.seed ^ 0xc4a5, from);
    let mut last = 0;
    for _ in 0..CRASH_BATCHES {
        let batch = w.next_batch(NEW_PER_BATCH);
        store.apply(&batch)?;
        last = batch.checkpoint;
    }
    println!("{last}");
    use std::io::Write;
    std::io::stdout().flush()?;
    // No destructor runs: the database is left as a killed process leaves it.
    std::process::exit(9);
}

fn print_table(name: &str, f: &serde_json::Value) {
    // Whole numbers without a trailing ".0".
    let g = |p: &str| match f.pointer(p) {
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            _ => n.to_string(),
        },
        Some(v) => v.to_string(),
        None => "-".into(),
    };
    let mib = |p: &str| {
        let bytes = f.pointer(p).and_then(|v| v.as_f64()).unwrap_or(0.0);
        format!("{:.0}", bytes / (1u64 << 20) as f64)
    };
    println!("== {name} ==");
    println!(
        "  bulk load          {} orders, {} upserts in {} batches of 10,000 events: {} s, {} orders/s, {} upserts/s (batch p50 {} ms, p99 {} ms)",
        g("/load/objects"), g("/load/upserts"), g("/load/batches"), g("/load/seconds"),
        g("/load/objects_per_s"), g("/load/upserts_per_s"), g("/load/batch_p50_ms"), g("/load/batch_p99_ms")
    );
    println!(
        "  size on disk       {} MiB after load, {} MiB after close (JSON per order: mean {} B, {}–{} B)",
        mib("/load/bytes_after_load"), mib("/load/bytes_after_close"),
        g("/load/json_bytes_mean"), g("/load/json_bytes_min"), g("/load/json_bytes_max")
    );
    let lat = |label: &str, p: &str| {
        println!(
            "  {label:<19}p50 {:>6} µs   p99 {:>6} µs",
            g(&format!("{p}/p50_us")),
            g(&format!("{p}/p99_us"))
        );
    };
    lat("point lookup", "/point_lookup");
    lat("first page", "/first_page");
    lat(
        &format!("page {}", g("/deep_page/page")),
        "/deep_page/latency",
    );
    lat("disputes page 1", "/disputes_first_page");
    for (label, c) in [
        ("paced writer", "/concurrent"),
        ("flat-out writer", "/concurrent_flat_out_writer"),
    ] {
        println!(
            "  {} readers, {label:<15} {} reads/s, p50 {} µs, p99 {} µs (first page p99 {} µs, deep page p99 {} µs); writer {} batches/s (target {}), batch p50 {} ms, p99 {} ms",
            g(&format!("{c}/readers")), g(&format!("{c}/reads_per_s")), g(&format!("{c}/p50_us")), g(&format!("{c}/p99_us")),
            g(&format!("{c}/first_page_p99_us")), g(&format!("{c}/deep_page_p99_us")),
            g(&format!("{c}/writer_batches_per_s")), g(&format!("{c}/writer_target_batches_per_s")),
            g(&format!("{c}/writer_batch_p50_ms")), g(&format!("{c}/writer_batch_p99_ms"))
        );
    }
    println!(
        "  reopen             clean {} ms (close before it {} ms); after a killed writer {} ms, {} batches lost",
        g("/reopen/clean_ms"), g("/reopen/close_ms"), g("/reopen/after_crash_ms"), g("/reopen/crash_batches_lost")
    );
    println!(
        "  peak RSS           {} MiB   (CPU used by other processes meanwhile: {} s)",
        g("/peak_rss_mib"),
        g("/foreign_cpu_s")
    );
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--crash-child") {
        return crash_child(&args[1..]);
    }
    let s = settings(&args)?;
    let tmp = match &s.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let decode = decode_baseline(s.seed)?;
    let mut results = serde_json::Map::new();
    let mut answers = Vec::new();
    for &engine in &s.engines {
        eprintln!("{}: {} orders …", engine.key(), s.objects);
        let started = Instant::now();
        let (figures, a) = run_engine(engine, &s, tmp.path())?;
        eprintln!(
            "{}: done in {:.1} s",
            engine.key(),
            started.elapsed().as_secs_f64()
        );
        results.insert(engine.key().into(), figures);
        answers.push(a);
    }
    let agree = answers.windows(2).all(|p| p[0] == p[1]);
    for (engine, name) in [
        (
            "sqlite",
            format!(
                "SQLite {} (rusqlite, WAL, synchronous=NORMAL)",
                rusqlite::version()
            ),
        ),
        (
            "redb",
            format!(
                "redb 3.1 (Durability::None, Immediate+quick-repair every {} batches)",
                s.redb_durable_every
            ),
        ),
    ] {
        if let Some(f) = results.get(engine) {
            print_table(&name, f);
        }
    }
    println!(
        "JSON decode alone: page of 20 p50 {} µs; answers of both engines agree: {agree}",
        decode["page_of_20_p50_us"]
    );
    let line = json!({
        "benchmark": "viewstores",
        "objects": s.objects,
        "seed": s.seed,
        "cache_mib": s.cache_mib,
        "sqlite_mmap_mib": s.sqlite_mmap_mib,
        "redb_durable_every": s.redb_durable_every,
        "answers_agree": agree,
        "json_decode": decode,
        "results": results,
    });
    println!("{line}");
    anyhow::ensure!(agree, "the engines answered differently");
    Ok(())
}
