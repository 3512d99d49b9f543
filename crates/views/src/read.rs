//! Reading the read models: one [`Reader`] per request, on a pooled connection of its own in a
//! read transaction (one consistent snapshot, never waiting for the projection), with the
//! catalogue beside it. Lists are pages of an index, cut by a keyset cursor: a page costs a
//! page whatever the length of the list.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Mutex, RwLockReadGuard};

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use uuid::Uuid;
use zhuchao_domain::dispute::DisputeState;
use zhuchao_domain::escrow::EscrowState;
use zhuchao_domain::ids::*;
use zhuchao_domain::order::OrderState;
use zhuchao_domain::product::ProductState;
use zhuchao_domain::review::OrderRated;
use zhuchao_domain::rfq::RfqState;

use crate::catalog::Catalog;
use crate::project::decode_state;
use crate::schema::{open_reader, sql};
use crate::{FileUse, ViewError};

/// Idle connections kept for the next readers.
const IDLE_READERS: usize = 32;

pub(crate) struct Pool {
    pub(crate) path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Result<Connection, ViewError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(c) => Ok(c),
            None => open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
    }
}

/// Which page of a list: after the item at `after` (a `born` position), in the order asked,
/// at most `limit` items.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub after: Option<u64>,
    pub newest_first: bool,
    pub limit: usize,
}

/// Whose orders a list holds.
#[derive(Clone, Copy, Debug)]
pub enum OrderScope {
    Company(CompanyId),
    Supplier(SupplierId),
    /// Every placed order (agents).
    All,
}

/// One listed object: where it stands, its id and its state.
pub type Listed<I, S> = (u64, I, S);

pub struct Reader<'a> {
    pool: &'a Pool,
    /// Taken from the pool, in a read transaction, at the first read of the file.
    conn: RefCell<Option<Connection>>,
    catalog: RwLockReadGuard<'a, Catalog>,
    /// The first read that failed: the request answers with an error rather than with what
    /// it could not read.
    failure: RefCell<Option<ViewError>>,
    /// Escrows, numbers and ratings of the orders of the pages read, for the getters.
    order_extras: RefCell<HashMap<OrderId, OrderExtras>>,
}

impl Deref for Reader<'_> {
    type Target = Catalog;

    fn deref(&self) -> &Catalog {
        &self.catalog
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.get_mut().take() {
            if conn.execute_batch("COMMIT").is_ok() {
                self.pool.give_back(conn);
            }
        }
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn new(pool: &'a Pool, catalog: RwLockReadGuard<'a, Catalog>) -> Self {
        Reader {
            pool,
            conn: RefCell::new(None),
            catalog,
            failure: RefCell::new(None),
            order_extras: RefCell::new(HashMap::new()),
        }
    }

    /// The catalogue (also reachable through `Deref`).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Why a read failed, if one did; taken once.
    pub fn failure(&self) -> Option<ViewError> {
        self.failure.borrow_mut().take()
    }

    fn fail<T>(&self, e: ViewError) -> Option<T> {
        tracing::error!(error = %e, "reading the read models failed");
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(e);
        }
        None
    }

    fn attempt<T>(&self, f: impl FnOnce(&Connection) -> Result<T, ViewError>) -> Option<T> {
        let mut slot = self.conn.borrow_mut();
        if slot.is_none() {
            let begun = self.pool.take().and_then(|c| {
                c.execute_batch("BEGIN").map_err(sql)?;
                Ok(c)
            });
            match begun {
                Ok(c) => *slot = Some(c),
                Err(e) => return self.fail(e),
            }
        }
        let conn = slot.as_ref().expect("just begun");
        match f(conn) {
            Ok(v) => Some(v),
            Err(e) => self.fail(e),
        }
    }

    fn state<S: DeserializeOwned>(&self, table: &str, id: Uuid) -> Option<S> {
        self.attempt(|conn| {
            let bytes: Option<Vec<u8>> = conn
                .prepare_cached(&format!("SELECT state FROM {table} WHERE id = ?1"))
                .map_err(sql)?
                .query_row([id.as_bytes()], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            bytes.map(|b| decode_state(&b)).transpose()
        })
        .flatten()
    }

    /// Where an object of `table` stands in its lists.
    fn born(&self, table: &str, id: Uuid) -> Option<u64> {
        self.attempt(|conn| {
            conn.prepare_cached(&format!("SELECT born FROM {table} WHERE id = ?1"))
                .map_err(sql)?
                .query_row([id.as_bytes()], |r| r.get::<_, i64>(0))
                .optional()
                .map_err(sql)
        })
        .flatten()
        .map(|b| b as u64)
    }

    pub fn order(&self, id: OrderId) -> Option<OrderState> {
        self.state("orders", id.0)
    }

    pub fn escrow(&self, order: OrderId) -> Option<EscrowState> {
        if let Some(extras) = self.order_extras.borrow().get(&order) {
            return extras.escrow.clone();
        }
        self.state("escrows", order.0)
    }

    pub fn review(&self, order: OrderId) -> Option<OrderRated> {
        self.state("reviews", order.0)
    }

    /// Whether the order was rated.
    pub fn is_rated(&self, order: OrderId) -> bool {
        if let Some(extras) = self.order_extras.borrow().get(&order) {
            return extras.rated;
        }
        self.born("reviews", order.0).is_some()
    }

    pub fn rfq(&self, id: RfqId) -> Option<RfqState> {
        self.state("rfqs", id.0)
    }

    pub fn dispute(&self, id: DisputeId) -> Option<DisputeState> {
        self.state("disputes", id.0)
    }

    pub fn product(&self, id: ProductId) -> Option<ProductState> {
        self.state("products", id.0)
    }

    /// Where an order, RFQ, dispute or product stands in its lists (`u64::MAX` if unknown);
    /// suppliers and categories are in the catalogue's `born`.
    pub fn order_born(&self, id: OrderId) -> u64 {
        self.born("orders", id.0).unwrap_or(u64::MAX)
    }

    pub fn rfq_born(&self, id: RfqId) -> u64 {
        self.born("rfqs", id.0).unwrap_or(u64::MAX)
    }

    pub fn dispute_born(&self, id: DisputeId) -> u64 {
        self.born("disputes", id.0).unwrap_or(u64::MAX)
    }

    pub fn product_born(&self, id: ProductId) -> u64 {
        self.born("products", id.0).unwrap_or(u64::MAX)
    }

    /// The RFQ a quote was made on.
    pub fn rfq_of_quote(&self, quote: QuoteId) -> Option<RfqId> {
        self.attempt(|conn| {
            let rfq: Option<Vec<u8>> = conn
                .prepare_cached("SELECT rfq FROM quotes WHERE id = ?1")
                .map_err(sql)?
                .query_row([quote.0.as_bytes()], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            rfq.map(|b| uuid(&b).map(RfqId)).transpose()
        })
        .flatten()
    }

    /// An order's number for people.
    pub fn order_number(&self, order: OrderId) -> Option<String> {
        if let Some(extras) = self.order_extras.borrow().get(&order) {
            return extras.number.clone();
        }
        self.attempt(|conn| {
            conn.prepare_cached("SELECT number FROM orders WHERE id = ?1")
                .map_err(sql)?
                .query_row([order.0.as_bytes()], |r| r.get::<_, Option<String>>(0))
                .optional()
                .map_err(sql)
        })
        .flatten()
        .flatten()
    }

    /// The order a number for people names.
    pub fn order_by_number(&self, number: &str) -> Option<OrderId> {
        self.attempt(|conn| {
            let id: Option<Vec<u8>> = conn
                .prepare_cached("SELECT id FROM orders WHERE number = ?1")
                .map_err(sql)?
                .query_row([number.trim()], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            id.map(|b| uuid(&b).map(OrderId)).transpose()
        })
        .flatten()
    }

    /// Every object an uploaded file (by content hash) was ever attached to.
    pub fn file_uses(&self, hash: &str) -> Vec<FileUse> {
        self.attempt(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT kind, object FROM file_uses WHERE hash = ?1")
                .map_err(sql)?;
            let mut rows = stmt.query([hash]).map_err(sql)?;
            let mut uses = Vec::new();
            while let Some(r) = rows.next().map_err(sql)? {
                let kind: i64 = r.get(0).map_err(sql)?;
                let object = uuid(&r.get::<_, Vec<u8>>(1).map_err(sql)?)?;
                uses.extend(FileUse::from_code(kind, object));
            }
            Ok(uses)
        })
        .unwrap_or_default()
    }

    /// A page of a table's objects matching `filter` (SQL over the table's columns, with
    /// `args` for its `?` placeholders).
    fn page<I, S: Listable>(
        &self,
        table: &str,
        filter: &str,
        args: Vec<Value>,
        page: Page,
        make_id: impl Fn(Uuid) -> I,
    ) -> Vec<Listed<I, S>> {
        self.page_by(table, "born", filter, args, page, make_id)
    }

    /// A page of `table` in the order of `key` (a column equal to the objects' `born`).
    fn page_by<I, S: Listable>(
        &self,
        table: &str,
        key: &str,
        filter: &str,
        mut args: Vec<Value>,
        page: Page,
        make_id: impl Fn(Uuid) -> I,
    ) -> Vec<Listed<I, S>> {
        let (op, order) = if page.newest_first {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let after = page
            .after
            .map_or(if page.newest_first { i64::MAX } else { -1 }, |a| {
                a.min(i64::MAX as u64) as i64
            });
        args.push(Value::Integer(after));
        args.push(Value::Integer(page.limit.min(10_000) as i64));
        let (n, columns) = (args.len(), S::COLUMNS);
        let query = format!(
            "SELECT {key}, {columns} FROM {table} WHERE {filter} AND {key} {op} ?{} \
             ORDER BY {key} {order} LIMIT ?{n}",
            n - 1
        );
        self.attempt(|conn| {
            let mut stmt = conn.prepare_cached(&query).map_err(sql)?;
            let mut rows = stmt.query(params_from_iter(args)).map_err(sql)?;
            let mut items = Vec::with_capacity(page.limit.min(100));
            while let Some(r) = rows.next().map_err(sql)? {
                let born = r.get::<_, i64>(0).map_err(sql)? as u64;
                let id = uuid(&r.get::<_, Vec<u8>>(1).map_err(sql)?)?;
                items.push((born, make_id(id), S::from_row(r)?));
            }
            Ok(items)
        })
        .unwrap_or_default()
    }

    /// A page of orders (newest first unless asked otherwise). Each order's escrow, number
    /// and whether it was rated come in the same query, kept for this reader's later getters.
    pub fn orders(&self, scope: OrderScope, page: Page) -> Vec<Listed<OrderId, OrderState>> {
        let (filter, args) = match scope {
            OrderScope::Company(c) => ("o.company = ?1", vec![blob(c.0)]),
            OrderScope::Supplier(s) => ("o.supplier = ?1", vec![blob(s.0)]),
            OrderScope::All => ("o.company IS NOT NULL", vec![]),
        };
        let listed: Vec<Listed<OrderId, OrderWithExtras>> = self.page_by(
            "orders o LEFT JOIN escrows e ON e.id = o.id LEFT JOIN reviews r ON r.id = o.id",
            "o.born",
            filter,
            args,
            page,
            OrderId,
        );
        let mut extras = self.order_extras.borrow_mut();
        listed
            .into_iter()
            .map(|(born, id, o)| {
                extras.insert(id, o.extras);
                (born, id, o.state)
            })
            .collect()
    }

    /// A page of a buyer company's RFQs.
    pub fn rfqs_of(&self, company: CompanyId, page: Page) -> Vec<Listed<RfqId, RfqState>> {
        self.page("rfqs", "company = ?1", vec![blob(company.0)], page, RfqId)
    }

    /// A page of a supplier's RFQ inbox: open or quoted RFQs it was invited to or quoted on,
    /// and those open to the pool in `categories` (the supplier's).
    pub fn rfq_inbox(
        &self,
        supplier: SupplierId,
        categories: &[CategoryId],
        page: Page,
    ) -> Vec<Listed<RfqId, RfqState>> {
        // Each part walks its own index in page order and stops after a page; the page is
        // the first of their merge.
        let mut merged = self.page_by(
            "inbox_rfqs JOIN rfqs ON born = rfq_born",
            "rfq_born",
            "supplier = ?1",
            vec![blob(supplier.0)],
            page,
            RfqId,
        );
        for category in categories {
            let pool = "inbox = 1 AND pool = 1 AND category = ?1";
            merged.extend(self.page("rfqs", pool, vec![blob(category.0)], page, RfqId));
        }
        if categories.is_empty() {
            return merged;
        }
        merged.sort_by_key(|(born, _, _)| *born);
        if page.newest_first {
            merged.reverse();
        }
        merged.dedup_by_key(|(born, _, _)| *born);
        merged.truncate(page.limit);
        merged
    }

    /// A page of the agents' queue: disputes open or under review.
    pub fn dispute_queue(&self, page: Page) -> Vec<Listed<DisputeId, DisputeState>> {
        self.page("disputes", "queue = 1", vec![], page, DisputeId)
    }

    /// A page of the disputes that are over (ruled, withdrawn or abandoned).
    pub fn decided_disputes(&self, page: Page) -> Vec<Listed<DisputeId, DisputeState>> {
        self.page("disputes", "queue = 0", vec![], page, DisputeId)
    }

    /// A page of a supplier's products, in every status.
    pub fn products_of(
        &self,
        supplier: SupplierId,
        page: Page,
    ) -> Vec<Listed<ProductId, ProductState>> {
        self.page(
            "products",
            "supplier = ?1",
            vec![blob(supplier.0)],
            page,
            ProductId,
        )
    }
}

/// What a page's rows are read into: a state, or an order with what its list shows beside it.
trait Listable: Sized {
    /// The columns after `born`: `id` first.
    const COLUMNS: &'static str;
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, ViewError>;
}

fn state_at<S: DeserializeOwned>(row: &rusqlite::Row<'_>, column: usize) -> Result<S, ViewError> {
    let bytes = row
        .get_ref(column)
        .map_err(sql)?
        .as_blob()
        .map_err(|e| ViewError::Encode(e.to_string()))?;
    decode_state(bytes)
}

macro_rules! listable_states {
    ($($state:ty),*) => {$(
        impl Listable for $state {
            const COLUMNS: &'static str = "id, state";
            fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, ViewError> {
                state_at(row, 2)
            }
        }
    )*};
}

listable_states!(RfqState, DisputeState, ProductState, OrderState);

/// What an order's line in a list shows beside the order itself.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderExtras {
    escrow: Option<EscrowState>,
    rated: bool,
    number: Option<String>,
}

struct OrderWithExtras {
    state: OrderState,
    extras: OrderExtras,
}

impl Listable for OrderWithExtras {
    const COLUMNS: &'static str = "o.id, o.state, e.state, r.born IS NOT NULL, o.number";
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, ViewError> {
        let escrow = match row.get_ref(3).map_err(sql)? {
            rusqlite::types::ValueRef::Null => None,
            _ => Some(state_at(row, 3)?),
        };
        Ok(Self {
            state: state_at(row, 2)?,
            extras: OrderExtras {
                escrow,
                rated: row.get(4).map_err(sql)?,
                number: row.get(5).map_err(sql)?,
            },
        })
    }
}

fn blob(id: Uuid) -> Value {
    Value::Blob(id.as_bytes().to_vec())
}

fn uuid(bytes: &[u8]) -> Result<Uuid, ViewError> {
    Uuid::from_slice(bytes).map_err(|e| ViewError::Encode(e.to_string()))
}
