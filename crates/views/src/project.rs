//! The projection: applies the store's events to the read models a batch at a time. The states a
//! batch touches are loaded once, folded in memory, and written once at its end together with
//! the position it reached, in one SQLite transaction: after a crash the file holds exactly the
//! events up to its checkpoint, and the projection resumes after it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;
use zhuchao_domain::account::Account;
use zhuchao_domain::category::Category;
use zhuchao_domain::credit_record::CreditRecord;
use zhuchao_domain::dispute::{Dispute, DisputeState, DisputeStatus};
use zhuchao_domain::escrow::{Escrow, EscrowState};
use zhuchao_domain::files::FileRef;
use zhuchao_domain::ids::*;
use zhuchao_domain::order::{Order, OrderEvent, OrderState};
use zhuchao_domain::product::{Product, ProductState};
use zhuchao_domain::review::{OrderRated, Review, ReviewEvent};
use zhuchao_domain::rfq::{Rfq, RfqEvent, RfqState, RfqStatus};
use zhuchao_domain::supplier::Supplier;
use zhuchao_domain::{Aggregate, DomainEvent};
use zhuchao_eventstore::RecordedEvent;

use crate::catalog::Catalog;
use crate::order_numbers;
use crate::schema::sql;
use crate::{FileUse, ViewError};

/// An object's state and where its stream began.
struct Row<S> {
    born: u64,
    state: S,
}

/// What one batch changed, written at its end.
#[derive(Default)]
struct Batch {
    orders: HashMap<OrderId, Row<OrderState>>,
    escrows: HashMap<OrderId, Row<EscrowState>>,
    rfqs: HashMap<RfqId, Row<RfqState>>,
    disputes: HashMap<DisputeId, Row<DisputeState>>,
    products: HashMap<ProductId, Row<ProductState>>,
    reviews: Vec<(u64, OrderId, OrderRated)>,
    quotes: Vec<(QuoteId, RfqId)>,
    /// Suppliers' inbox rows of the RFQs changed: (supplier, RFQ, in the inbox now).
    inbox_rfqs: HashMap<(SupplierId, u64), bool>,
    file_uses: HashSet<(String, FileUse)>,
    numbers: Vec<(OrderId, String)>,
    /// Orders placed so far on each day touched.
    days: HashMap<String, u32>,
    accounts: HashSet<String>,
    credit: HashSet<String>,
    suppliers: HashSet<SupplierId>,
    categories: HashSet<CategoryId>,
    stats: HashSet<SupplierId>,
}

pub(crate) struct Projector {
    conn: Connection,
    catalog: Arc<RwLock<Catalog>>,
    /// The last position applied (0: none).
    pub position: u64,
}

fn decode<A: Aggregate>(event: &RecordedEvent) -> Result<A::Event, ViewError> {
    A::Event::decode_text(&event.event_type, event.schema_version, &event.payload).map_err(
        |error| ViewError::Unreadable {
            position: event.position.as_u64(),
            error,
        },
    )
}

/// A state as stored: postcard, compact and quick both ways (a state's layout is that of this
/// build; see `schema::LAYOUT`).
fn encode<S: Serialize>(state: &S) -> Result<Vec<u8>, ViewError> {
    postcard::to_allocvec(state).map_err(|e| ViewError::Encode(e.to_string()))
}

pub(crate) fn decode_state<S: DeserializeOwned>(bytes: &[u8]) -> Result<S, ViewError> {
    postcard::from_bytes(bytes).map_err(|e| ViewError::Encode(e.to_string()))
}

/// Loads the row of the object whose stream `event` belongs to; a new one when the event is
/// its stream's first.
fn load<S: DeserializeOwned + Default>(
    conn: &Connection,
    table: &str,
    id: Uuid,
    event: &RecordedEvent,
) -> Result<Row<S>, ViewError> {
    let position = event.position.as_u64();
    if event.version == 0 {
        return Ok(Row {
            born: position,
            state: S::default(),
        });
    }
    let mut stmt = conn
        .prepare_cached(&format!("SELECT born, state FROM {table} WHERE id = ?1"))
        .map_err(sql)?;
    let found = stmt
        .query_row([id.as_bytes()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .optional()
        .map_err(sql)?;
    Ok(match found {
        Some((born, bytes)) => Row {
            born: born as u64,
            state: decode_state(&bytes)?,
        },
        None => Row {
            born: position,
            state: S::default(),
        },
    })
}

/// Folds `event` into the batch's copy of object `key` of `table`, loading it first if needed.
fn fold<'b, A, K>(
    conn: &Connection,
    rows: &'b mut HashMap<K, Row<A::State>>,
    table: &str,
    key: K,
    uuid: Uuid,
    event: &RecordedEvent,
) -> Result<(A::Event, &'b A::State), ViewError>
where
    A: Aggregate,
    A::State: DeserializeOwned,
    K: std::hash::Hash + Eq + Copy,
{
    let e = decode::<A>(event)?;
    let row = match rows.entry(key) {
        std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
        std::collections::hash_map::Entry::Vacant(v) => v.insert(load(conn, table, uuid, event)?),
    };
    row.state = A::evolve(std::mem::take(&mut row.state), &e);
    Ok((e, &row.state))
}

/// An order that still holds stock, money or a dispute: not yet settled one way or another.
/// Open or quoted: in the inboxes of the suppliers it was sent to (and of the pool's).
fn in_inbox(status: RfqStatus) -> bool {
    matches!(status, RfqStatus::Open | RfqStatus::Quoted)
}

pub fn is_open(status: zhuchao_domain::order::OrderStatus) -> bool {
    use zhuchao_domain::order::OrderStatus as S;
    !matches!(
        status,
        S::None | S::Completed | S::Cancelled | S::Refunded | S::Resolved | S::Abandoned
    )
}

fn hashes<'a>(files: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    files
        .into_iter()
        .filter_map(|f| FileRef::parse(f).ok())
        .map(|f| f.hash().to_string())
        .collect()
}

impl Projector {
    pub(crate) fn new(conn: Connection, catalog: Arc<RwLock<Catalog>>) -> Result<Self, ViewError> {
        let position: Option<i64> = conn
            .query_row("SELECT value FROM meta WHERE key = 'position'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        Ok(Self {
            conn,
            catalog,
            position: position.unwrap_or(0) as u64,
        })
    }

    /// Switches to folding from scratch: no syncs, a large cache, and the file marked
    /// unfinished, so that a crash midway leaves a file the next start deletes and folds again
    /// rather than one it trusts. Only for a file that holds nothing yet.
    pub(crate) fn begin_from_scratch(&mut self) -> Result<(), ViewError> {
        crate::schema::unfinished(&self.conn)?;
        self.conn
            .execute_batch(
                "PRAGMA synchronous = OFF;
                 PRAGMA wal_autocheckpoint = 100000;
                 PRAGMA cache_size = -524288;",
            )
            .map_err(sql)
    }

    /// Back to following the store: everything folded is synced into the file, which is then
    /// marked finished; commits are small again and the cache shrinks.
    pub(crate) fn end_from_scratch(&mut self) -> Result<(), ViewError> {
        self.conn
            .execute_batch("PRAGMA synchronous = FULL;")
            .map_err(sql)?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(sql)?;
        crate::schema::finished(&self.conn)?;
        self.conn
            .execute_batch(
                "PRAGMA synchronous = NORMAL;
                 PRAGMA wal_autocheckpoint = 4000;
                 PRAGMA cache_size = -131072;
                 PRAGMA shrink_memory;",
            )
            .map_err(sql)
    }

    fn catalog(&self) -> std::sync::RwLockWriteGuard<'_, Catalog> {
        self.catalog.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `events` (in store order, each after the last applied) and commits them with
    /// their position. Events already applied are skipped.
    pub(crate) fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), ViewError> {
        let events: Vec<&RecordedEvent> = events
            .iter()
            .filter(|e| e.position.as_u64() > self.position)
            .collect();
        let Some(last) = events.last().map(|e| e.position.as_u64()) else {
            return Ok(());
        };
        let tx = self.conn.unchecked_transaction().map_err(sql)?;
        let mut batch = Batch::default();
        for event in events {
            self.apply_one(&tx, &mut batch, event)?;
        }
        self.write(&tx, batch, last)?;
        tx.commit().map_err(sql)?;
        self.position = last;
        Ok(())
    }

    fn apply_one(
        &self,
        conn: &Connection,
        b: &mut Batch,
        event: &RecordedEvent,
    ) -> Result<(), ViewError> {
        let Some((kind, id)) = event.stream.as_str().split_once('-') else {
            return Ok(());
        };
        let position = event.position.as_u64();
        let uuid = id.parse::<Uuid>().ok();
        match (kind, uuid) {
            (k, _) if k == Account::KIND => {
                let e = decode::<Account>(event)?;
                let mut c = self.catalog();
                let state = c.accounts.remove(id).unwrap_or_default();
                let state = Account::evolve(state, &e);
                if let Some(user) = state.id {
                    c.account_by_id.insert(user, id.to_string());
                }
                c.accounts.insert(id.to_string(), state);
                b.accounts.insert(id.to_string());
            }
            (k, _) if k == CreditRecord::KIND => {
                let e = decode::<CreditRecord>(event)?;
                let mut c = self.catalog();
                let state = c.credit.remove(id).unwrap_or_default();
                c.credit
                    .insert(id.to_string(), CreditRecord::evolve(state, &e));
                b.credit.insert(id.to_string());
            }
            (k, Some(u)) if k == Supplier::KIND => {
                let e = decode::<Supplier>(event)?;
                let key = SupplierId(u);
                let mut c = self.catalog();
                c.born.entry(u).or_insert(position);
                let state = c.suppliers.remove(&key).unwrap_or_default();
                let state = Supplier::evolve(state, &e);
                for d in state.documents.values() {
                    b.file_uses
                        .insert((d.file.hash().to_string(), FileUse::SupplierDocument(key)));
                }
                c.suppliers.insert(key, state);
                b.suppliers.insert(key);
            }
            (k, Some(u)) if k == Category::KIND => {
                let e = decode::<Category>(event)?;
                let key = CategoryId(u);
                let mut c = self.catalog();
                c.born.entry(u).or_insert(position);
                let state = c.categories.remove(&key).unwrap_or_default();
                c.categories.insert(key, Category::evolve(state, &e));
                b.categories.insert(key);
            }
            (k, Some(u)) if k == Product::KIND => {
                let key = ProductId(u);
                let (_, p) = fold::<Product, _>(conn, &mut b.products, "products", key, u, event)?;
                let images = hashes(p.sheet.iter().flat_map(|s| &s.images));
                for hash in images {
                    b.file_uses.insert((hash, FileUse::ProductImage(key)));
                }
            }
            (k, Some(u)) if k == Rfq::KIND => {
                let key = RfqId(u);
                let (e, _) = fold::<Rfq, _>(conn, &mut b.rfqs, "rfqs", key, u, event)?;
                if let RfqEvent::QuoteSubmitted(q) = &e {
                    b.quotes.push((q.quote, key));
                }
                let row = &b.rfqs[&key];
                let (born, r) = (row.born, &row.state);
                let inbox = in_inbox(r.status);
                for supplier in r
                    .invited
                    .iter()
                    .chain(r.quotes.values().map(|q| &q.supplier))
                {
                    b.inbox_rfqs.insert((*supplier, born), inbox);
                }
                for drawing in r.request.iter().flat_map(|r| &r.drawings) {
                    b.file_uses
                        .insert((drawing.hash().to_string(), FileUse::RfqDrawing(key)));
                }
            }
            (k, Some(u)) if k == Order::KIND => {
                let key = OrderId(u);
                let was_open = match b.orders.get(&key) {
                    Some(row) => is_open(row.state.status),
                    None => {
                        let row: Row<OrderState> = load(conn, "orders", u, event)?;
                        let open = is_open(row.state.status);
                        b.orders.insert(key, row);
                        open
                    }
                };
                let (e, order) = fold::<Order, _>(conn, &mut b.orders, "orders", key, u, event)?;
                let (supplier, now_open) = (order.supplier, is_open(order.status));
                if let Some(supplier) = supplier {
                    let mut c = self.catalog();
                    match (was_open, now_open) {
                        (false, true) => {
                            *c.open_orders.entry(supplier).or_default() += 1;
                            b.stats.insert(supplier);
                        }
                        (true, false) => {
                            let open = c.open_orders.entry(supplier).or_default();
                            *open = open.saturating_sub(1);
                            b.stats.insert(supplier);
                        }
                        _ => {}
                    }
                    if let OrderEvent::OrderCompleted(_) = e {
                        c.supplier_stats
                            .entry(supplier)
                            .or_default()
                            .completed_orders += 1;
                        b.stats.insert(supplier);
                    }
                }
                if let OrderEvent::OrderPlaced(placed) = e {
                    let day = order_numbers::day_of(placed.at);
                    if !b.days.contains_key(&day) {
                        let placed: Option<i64> = conn
                            .prepare_cached("SELECT placed FROM order_days WHERE day = ?1")
                            .map_err(sql)?
                            .query_row([&day], |r| r.get(0))
                            .optional()
                            .map_err(sql)?;
                        b.days.insert(day.clone(), placed.unwrap_or(0) as u32);
                    }
                    let n = b.days.get_mut(&day).expect("just loaded");
                    *n += 1;
                    b.numbers.push((key, order_numbers::number(&day, *n)));
                }
            }
            (k, Some(u)) if k == Escrow::KIND => {
                fold::<Escrow, _>(conn, &mut b.escrows, "escrows", OrderId(u), u, event)?;
            }
            (k, Some(u)) if k == Dispute::KIND => {
                let key = DisputeId(u);
                let (_, d) = fold::<Dispute, _>(conn, &mut b.disputes, "disputes", key, u, event)?;
                let files = hashes(d.evidence.iter().flat_map(|e| &e.files));
                for hash in files {
                    b.file_uses.insert((hash, FileUse::DisputeEvidence(key)));
                }
            }
            (k, Some(u)) if k == Review::KIND => {
                let ReviewEvent::OrderRated(r) = decode::<Review>(event)?;
                let mut c = self.catalog();
                let stats = c.supplier_stats.entry(r.supplier).or_default();
                stats.rating_sum +=
                    u64::from(r.quality) + u64::from(r.delivery) + u64::from(r.service);
                stats.ratings += 3;
                b.stats.insert(r.supplier);
                b.reviews.push((position, OrderId(u), r));
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes what the batch changed, and the position it reached.
    fn write(&self, conn: &Connection, b: Batch, position: u64) -> Result<(), ViewError> {
        let id = |u: &Uuid| u.as_bytes().to_vec();
        let opt = |u: Option<Uuid>| u.map(|u| u.as_bytes().to_vec());
        {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO orders (born, id, company, supplier, state) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (born) DO UPDATE SET company = excluded.company,
                         supplier = excluded.supplier, state = excluded.state",
                )
                .map_err(sql)?;
            for (key, row) in &b.orders {
                // An id claimed by an order never placed holds no buyer: listed to nobody.
                stmt.execute(params![
                    row.born as i64,
                    id(&key.0),
                    opt(row.state.company.map(|c| c.0)),
                    opt(row.state.supplier.map(|s| s.0)),
                    encode(&row.state)?
                ])
                .map_err(sql)?;
            }
            let mut stmt = conn
                .prepare_cached("UPDATE orders SET number = ?1 WHERE id = ?2")
                .map_err(sql)?;
            for (key, number) in &b.numbers {
                stmt.execute(params![number, id(&key.0)]).map_err(sql)?;
            }
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO order_days (day, placed) VALUES (?1, ?2)
                     ON CONFLICT (day) DO UPDATE SET placed = excluded.placed",
                )
                .map_err(sql)?;
            for (day, placed) in &b.days {
                stmt.execute(params![day, i64::from(*placed)])
                    .map_err(sql)?;
            }
        }
        upsert_plain(conn, "escrows", b.escrows.iter().map(|(k, r)| (k.0, r)))?;
        {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO reviews (born, id, state) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                )
                .map_err(sql)?;
            for (born, order, rated) in &b.reviews {
                stmt.execute(params![*born as i64, id(&order.0), encode(rated)?])
                    .map_err(sql)?;
            }
        }
        {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO rfqs (born, id, company, inbox, pool, category, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (born) DO UPDATE SET company = excluded.company,
                         inbox = excluded.inbox, pool = excluded.pool,
                         category = excluded.category, state = excluded.state",
                )
                .map_err(sql)?;
            for (key, row) in &b.rfqs {
                let r = &row.state;
                stmt.execute(params![
                    row.born as i64,
                    id(&key.0),
                    opt(r.company.map(|c| c.0)),
                    in_inbox(r.status),
                    r.pool_open,
                    opt(r.category.map(|c| c.0)),
                    encode(r)?
                ])
                .map_err(sql)?;
            }
            let mut add = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO inbox_rfqs (supplier, rfq_born) VALUES (?1, ?2)",
                )
                .map_err(sql)?;
            let mut remove = conn
                .prepare_cached("DELETE FROM inbox_rfqs WHERE supplier = ?1 AND rfq_born = ?2")
                .map_err(sql)?;
            for ((supplier, born), inbox) in &b.inbox_rfqs {
                let row = params![id(&supplier.0), *born as i64];
                if *inbox {
                    add.execute(row)
                } else {
                    remove.execute(row)
                }
                .map_err(sql)?;
            }
            let mut stmt = conn
                .prepare_cached("INSERT OR IGNORE INTO quotes (id, rfq) VALUES (?1, ?2)")
                .map_err(sql)?;
            for (quote, rfq) in &b.quotes {
                stmt.execute(params![id(&quote.0), id(&rfq.0)])
                    .map_err(sql)?;
            }
        }
        {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO disputes (born, id, company, supplier, queue, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (born) DO UPDATE SET company = excluded.company,
                         supplier = excluded.supplier, queue = excluded.queue,
                         state = excluded.state",
                )
                .map_err(sql)?;
            for (key, row) in &b.disputes {
                let d = &row.state;
                stmt.execute(params![
                    row.born as i64,
                    id(&key.0),
                    opt(d.company.map(|c| c.0)),
                    opt(d.supplier.map(|s| s.0)),
                    matches!(d.status, DisputeStatus::Open | DisputeStatus::UnderReview),
                    encode(d)?
                ])
                .map_err(sql)?;
            }
        }
        {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO products (born, id, supplier, state) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (born) DO UPDATE SET supplier = excluded.supplier,
                         state = excluded.state",
                )
                .map_err(sql)?;
            for (key, row) in &b.products {
                let mut p = row.state.clone();
                // Which orders' pieces left or came back is the product stream's to decide
                // (a return restocks once); no page shows it, and it grows with every order.
                p.shipped.clear();
                p.returned.clear();
                stmt.execute(params![
                    row.born as i64,
                    id(&key.0),
                    opt(p.supplier.map(|s| s.0)),
                    encode(&p)?
                ])
                .map_err(sql)?;
            }
        }
        {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO file_uses (hash, kind, object) VALUES (?1, ?2, ?3)",
                )
                .map_err(sql)?;
            for (hash, to) in &b.file_uses {
                let (kind, object) = to.code();
                stmt.execute(params![hash, kind, id(&object)])
                    .map_err(sql)?;
            }
        }
        self.write_catalog(conn, &b)?;
        conn.prepare_cached(
            "INSERT INTO meta (key, value) VALUES ('position', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .map_err(sql)?
        .execute([position as i64])
        .map_err(sql)?;
        Ok(())
    }

    fn write_catalog(&self, conn: &Connection, b: &Batch) -> Result<(), ViewError> {
        let c = self.catalog.read().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO accounts (key, state) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET state = excluded.state",
            )
            .map_err(sql)?;
        for key in &b.accounts {
            if let Some(a) = c.accounts.get(key) {
                stmt.execute(params![key, encode(a)?]).map_err(sql)?;
            }
        }
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO credit (key, state) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET state = excluded.state",
            )
            .map_err(sql)?;
        for key in &b.credit {
            if let Some(r) = c.credit.get(key) {
                stmt.execute(params![key, encode(r)?]).map_err(sql)?;
            }
        }
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO suppliers (born, id, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (born) DO UPDATE SET state = excluded.state",
            )
            .map_err(sql)?;
        for key in &b.suppliers {
            if let Some(s) = c.suppliers.get(key) {
                stmt.execute(params![
                    c.born(key.0) as i64,
                    key.0.as_bytes().to_vec(),
                    encode(s)?
                ])
                .map_err(sql)?;
            }
        }
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO categories (born, id, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (born) DO UPDATE SET state = excluded.state",
            )
            .map_err(sql)?;
        for key in &b.categories {
            if let Some(s) = c.categories.get(key) {
                stmt.execute(params![
                    c.born(key.0) as i64,
                    key.0.as_bytes().to_vec(),
                    encode(s)?
                ])
                .map_err(sql)?;
            }
        }
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO supplier_stats (id, completed, rating_sum, ratings, open_orders)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET completed = excluded.completed,
                     rating_sum = excluded.rating_sum, ratings = excluded.ratings,
                     open_orders = excluded.open_orders",
            )
            .map_err(sql)?;
        for key in &b.stats {
            let s = c.supplier_stats.get(key).cloned().unwrap_or_default();
            let open = c.open_orders.get(key).copied().unwrap_or(0);
            stmt.execute(params![
                key.0.as_bytes().to_vec(),
                s.completed_orders as i64,
                s.rating_sum as i64,
                s.ratings as i64,
                i64::from(open)
            ])
            .map_err(sql)?;
        }
        Ok(())
    }
}

/// Upserts rows of a table with only `born`, `id` and `state`.
fn upsert_plain<'r, S: Serialize + 'r>(
    conn: &Connection,
    table: &str,
    rows: impl Iterator<Item = (Uuid, &'r Row<S>)>,
) -> Result<(), ViewError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "INSERT INTO {table} (born, id, state) VALUES (?1, ?2, ?3)
             ON CONFLICT (born) DO UPDATE SET state = excluded.state"
        ))
        .map_err(sql)?;
    for (id, row) in rows {
        stmt.execute(params![
            row.born as i64,
            id.as_bytes().to_vec(),
            encode(&row.state)?
        ])
        .map_err(sql)?;
    }
    Ok(())
}

/// Loads the catalogue kept in the file.
pub(crate) fn load_catalog(conn: &Connection) -> Result<Catalog, ViewError> {
    let mut c = Catalog::default();
    let uuid =
        |bytes: Vec<u8>| Uuid::from_slice(&bytes).map_err(|e| ViewError::Encode(e.to_string()));
    let mut stmt = conn
        .prepare("SELECT key, state FROM accounts")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let key: String = r.get(0).map_err(sql)?;
        let state: zhuchao_domain::account::AccountState =
            decode_state(&r.get::<_, Vec<u8>>(1).map_err(sql)?)?;
        if let Some(user) = state.id {
            c.account_by_id.insert(user, key.clone());
        }
        c.accounts.insert(key, state);
    }
    let mut stmt = conn.prepare("SELECT key, state FROM credit").map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let key: String = r.get(0).map_err(sql)?;
        c.credit
            .insert(key, decode_state(&r.get::<_, Vec<u8>>(1).map_err(sql)?)?);
    }
    let mut stmt = conn
        .prepare("SELECT born, id, state FROM suppliers")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let id = uuid(r.get(1).map_err(sql)?)?;
        c.born.insert(id, r.get::<_, i64>(0).map_err(sql)? as u64);
        c.suppliers.insert(
            SupplierId(id),
            decode_state(&r.get::<_, Vec<u8>>(2).map_err(sql)?)?,
        );
    }
    let mut stmt = conn
        .prepare("SELECT born, id, state FROM categories")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let id = uuid(r.get(1).map_err(sql)?)?;
        c.born.insert(id, r.get::<_, i64>(0).map_err(sql)? as u64);
        c.categories.insert(
            CategoryId(id),
            decode_state(&r.get::<_, Vec<u8>>(2).map_err(sql)?)?,
        );
    }
    let mut stmt = conn
        .prepare("SELECT id, completed, rating_sum, ratings, open_orders FROM supplier_stats")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let id = SupplierId(uuid(r.get(0).map_err(sql)?)?);
        c.supplier_stats.insert(
            id,
            crate::catalog::SupplierStats {
                completed_orders: r.get::<_, i64>(1).map_err(sql)? as u64,
                rating_sum: r.get::<_, i64>(2).map_err(sql)? as u64,
                ratings: r.get::<_, i64>(3).map_err(sql)? as u64,
            },
        );
        let open = r.get::<_, i64>(4).map_err(sql)? as u32;
        if open > 0 {
            c.open_orders.insert(id, open);
        }
    }
    Ok(c)
}
