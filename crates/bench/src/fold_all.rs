//! The peer of the read-side bench: the read models as they were before they were kept on
//! disk — every aggregate's state folded in memory from event 0 at every start, lists made by
//! scanning them. Kept here, unchanged in what it does, to be measured beside the durable views.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::{watch, RwLock};
use uuid::Uuid;
use zhuchao_domain::account::{Account, AccountState};
use zhuchao_domain::category::{Category, CategoryState};
use zhuchao_domain::credit_record::{CreditRecord, CreditRecordState};
use zhuchao_domain::dispute::{Dispute, DisputeState};
use zhuchao_domain::escrow::{Escrow, EscrowState};
use zhuchao_domain::ids::*;
use zhuchao_domain::order::{Order, OrderEvent, OrderState};
use zhuchao_domain::product::{Product, ProductState};
use zhuchao_domain::review::{OrderRated, Review, ReviewEvent};
use zhuchao_domain::rfq::{Rfq, RfqEvent, RfqState};
use zhuchao_domain::supplier::{Supplier, SupplierState};
use zhuchao_domain::Aggregate;
use zhuchao_eventstore::{EventStore, Position, RecordedEvent};

/// A supplier's trading record, for its level and profile.
#[derive(Clone, Debug, Default)]
pub struct SupplierStats {
    pub completed_orders: u64,
    pub rating_sum: u64,
    pub ratings: u64,
}

/// What an uploaded file belongs to, by the events that refer to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileUse {
    SupplierDocument(SupplierId),
    RfqDrawing(RfqId),
    DisputeEvidence(DisputeId),
    /// A product's picture: public once the product is published.
    ProductImage(ProductId),
}

#[derive(Default)]
pub struct Views {
    /// Every object each uploaded file (by content hash) was ever attached to.
    pub file_uses: HashMap<String, Vec<FileUse>>,
    pub accounts: HashMap<String, AccountState>,
    pub account_by_id: HashMap<UserId, String>,
    pub suppliers: BTreeMap<SupplierId, SupplierState>,
    pub supplier_stats: HashMap<SupplierId, SupplierStats>,
    pub credit: HashMap<String, CreditRecordState>,
    pub categories: BTreeMap<CategoryId, CategoryState>,
    pub products: BTreeMap<ProductId, ProductState>,
    pub rfqs: BTreeMap<RfqId, RfqState>,
    pub orders: BTreeMap<OrderId, OrderState>,
    pub escrows: HashMap<OrderId, EscrowState>,
    pub disputes: BTreeMap<DisputeId, DisputeState>,
    pub reviews: HashMap<OrderId, OrderRated>,
    /// Each placed order's number for people, and the order of each number.
    pub order_numbers: OrderNumbers,
    /// Orders not yet settled, per supplier: they keep it from exiting.
    pub open_orders: HashMap<SupplierId, u32>,
    /// The RFQ each quote was made on.
    pub quote_rfq: HashMap<QuoteId, RfqId>,
    /// Where in the store each object's first event stands: lists are in this order (an id
    /// derived from an idempotency key says nothing of when it was made).
    pub born: HashMap<Uuid, u64>,
}

/// Order numbers for people, `ZC-20261202-00042`: the day the order was placed (China Standard
/// Time) and its place among that day's orders in the store's order. Every node folds the same
/// events in the same order, so every node gives an order the same number; numbers are unique
/// and sort as the orders were placed.
#[derive(Default)]
pub struct OrderNumbers {
    by_order: HashMap<OrderId, String>,
    by_number: HashMap<String, OrderId>,
    per_day: HashMap<String, u32>,
}

impl OrderNumbers {
    fn assign(&mut self, order: OrderId, placed_at: zhuchao_domain::Timestamp) {
        if self.by_order.contains_key(&order) {
            return;
        }
        let day = zhuchao_views::order_numbers::day_of(placed_at);
        let n = self.per_day.entry(day.clone()).or_default();
        *n += 1;
        let number = format!("ZC-{day}-{n:05}");
        self.by_number.insert(number.clone(), order);
        self.by_order.insert(order, number);
    }

    pub fn of(&self, order: OrderId) -> Option<&str> {
        self.by_order.get(&order).map(String::as_str)
    }

    pub fn order(&self, number: &str) -> Option<OrderId> {
        self.by_number.get(number.trim()).copied()
    }
}

/// An order that still holds stock, money or a dispute: not yet settled one way or another.
pub fn is_open(status: zhuchao_domain::order::OrderStatus) -> bool {
    use zhuchao_domain::order::OrderStatus as S;
    !matches!(
        status,
        S::None | S::Completed | S::Cancelled | S::Refunded | S::Resolved | S::Abandoned
    )
}

/// An event the read models cannot read, at this position: they stop before it.
#[derive(Debug, thiserror::Error)]
#[error("the read models stopped at position {position}: {error}")]
pub struct Unreadable {
    pub position: u64,
    pub error: zhuchao_domain::EventCodecError,
}

fn decode<A: Aggregate>(event: &RecordedEvent) -> Result<A::Event, Unreadable> {
    zhuchao_app::handler::decode_recorded::<A>(event).map_err(|error| Unreadable {
        position: event.position.as_u64(),
        error,
    })
}

fn fold<A: Aggregate, K: Ord>(
    map: &mut BTreeMap<K, A::State>,
    key: K,
    event: &RecordedEvent,
) -> Result<A::Event, Unreadable> {
    let e = decode::<A>(event)?;
    let state = map.remove(&key).unwrap_or_default();
    map.insert(key, A::evolve(state, &e));
    Ok(e)
}

impl Views {
    pub fn apply(&mut self, event: &RecordedEvent) -> Result<(), Unreadable> {
        let Some((kind, id)) = event.stream.as_str().split_once('-') else {
            return Ok(());
        };
        let uuid = id.parse::<Uuid>().ok();
        if let Some(u) = uuid {
            self.born.entry(u).or_insert(event.position.as_u64());
        }
        match (kind, uuid) {
            (k, _) if k == Account::KIND => {
                let e = decode::<Account>(event)?;
                let state = self.accounts.remove(id).unwrap_or_default();
                let state = Account::evolve(state, &e);
                if let Some(user) = state.id {
                    self.account_by_id.insert(user, id.to_string());
                }
                self.accounts.insert(id.to_string(), state);
            }
            (k, _) if k == CreditRecord::KIND => {
                let e = decode::<CreditRecord>(event)?;
                let state = self.credit.remove(id).unwrap_or_default();
                self.credit
                    .insert(id.to_string(), CreditRecord::evolve(state, &e));
            }
            (k, Some(u)) if k == Supplier::KIND => {
                fold::<Supplier, _>(&mut self.suppliers, SupplierId(u), event)?;
                let files: Vec<String> = self.suppliers[&SupplierId(u)]
                    .documents
                    .values()
                    .map(|d| d.file.hash().to_string())
                    .collect();
                self.attach(files, FileUse::SupplierDocument(SupplierId(u)));
            }
            (k, Some(u)) if k == Category::KIND => {
                fold::<Category, _>(&mut self.categories, CategoryId(u), event)?;
            }
            (k, Some(u)) if k == Product::KIND => {
                fold::<Product, _>(&mut self.products, ProductId(u), event)?;
                let files: Vec<String> = self.products[&ProductId(u)]
                    .sheet
                    .iter()
                    .flat_map(|sheet| &sheet.images)
                    .filter_map(|f| zhuchao_domain::files::FileRef::parse(f).ok())
                    .map(|f| f.hash().to_string())
                    .collect();
                self.attach(files, FileUse::ProductImage(ProductId(u)));
            }
            (k, Some(u)) if k == Rfq::KIND => {
                if let RfqEvent::QuoteSubmitted(q) =
                    fold::<Rfq, _>(&mut self.rfqs, RfqId(u), event)?
                {
                    self.quote_rfq.insert(q.quote, RfqId(u));
                }
                let files: Vec<String> = self.rfqs[&RfqId(u)]
                    .request
                    .iter()
                    .flat_map(|r| r.drawings.iter().map(|f| f.hash().to_string()))
                    .collect();
                self.attach(files, FileUse::RfqDrawing(RfqId(u)));
            }
            (k, Some(u)) if k == Order::KIND => {
                let id = OrderId(u);
                let was_open = self.orders.get(&id).is_some_and(|o| is_open(o.status));
                let e = fold::<Order, _>(&mut self.orders, id, event)?;
                let order = &self.orders[&id];
                if let Some(supplier) = order.supplier {
                    match (was_open, is_open(order.status)) {
                        (false, true) => *self.open_orders.entry(supplier).or_default() += 1,
                        (true, false) => {
                            let open = self.open_orders.entry(supplier).or_default();
                            *open = open.saturating_sub(1);
                        }
                        _ => {}
                    }
                }
                match e {
                    OrderEvent::OrderPlaced(placed) => self.order_numbers.assign(id, placed.at),
                    OrderEvent::OrderCompleted(_) => {
                        if let Some(supplier) = order.supplier {
                            self.supplier_stats
                                .entry(supplier)
                                .or_default()
                                .completed_orders += 1;
                        }
                    }
                    _ => {}
                }
            }
            (k, Some(u)) if k == Escrow::KIND => {
                let e = decode::<Escrow>(event)?;
                let state = self.escrows.remove(&OrderId(u)).unwrap_or_default();
                self.escrows.insert(OrderId(u), Escrow::evolve(state, &e));
            }
            (k, Some(u)) if k == Dispute::KIND => {
                fold::<Dispute, _>(&mut self.disputes, DisputeId(u), event)?;
                let files: Vec<String> = self.disputes[&DisputeId(u)]
                    .evidence
                    .iter()
                    .flat_map(|e| &e.files)
                    .filter_map(|f| zhuchao_domain::files::FileRef::parse(f).ok())
                    .map(|f| f.hash().to_string())
                    .collect();
                self.attach(files, FileUse::DisputeEvidence(DisputeId(u)));
            }
            (k, Some(u)) if k == Review::KIND => {
                let ReviewEvent::OrderRated(r) = decode::<Review>(event)?;
                let stats = self.supplier_stats.entry(r.supplier).or_default();
                stats.rating_sum +=
                    u64::from(r.quality) + u64::from(r.delivery) + u64::from(r.service);
                stats.ratings += 3;
                self.reviews.insert(OrderId(u), r);
            }
            _ => {}
        }
        Ok(())
    }

    fn attach(&mut self, hashes: Vec<String>, to: FileUse) {
        for hash in hashes {
            let uses = self.file_uses.entry(hash).or_default();
            if !uses.contains(&to) {
                uses.push(to);
            }
        }
    }

    pub fn account_of(&self, user: UserId) -> Option<&AccountState> {
        self.accounts.get(self.account_by_id.get(&user)?)
    }
}

/// Folds every event of `store` into memory, then follows it; the position reached is watched.
pub fn start<S: EventStore + Clone>(store: S) -> (Arc<RwLock<Views>>, watch::Receiver<u64>) {
    let views = Arc::new(RwLock::new(Views::default()));
    let (position_tx, position) = watch::channel(0);
    let folded = views.clone();
    tokio::spawn(async move {
        let mut events = store.subscribe_all(Position::START);
        while let Some(Ok(event)) = events.next().await {
            if folded.write().await.apply(&event).is_err() {
                return;
            }
            position_tx.send_replace(event.position.as_u64());
        }
    });
    (views, position)
}

/// A page as the previous design cut it: every visible item made and sorted, then the page
/// after `after` taken (newest first unless `oldest_first`).
fn page_of<T>(
    mut items: Vec<(crate::pages::Key, T)>,
    after: Option<crate::pages::Key>,
    oldest_first: bool,
) -> Vec<(crate::pages::Key, T)> {
    items.sort_by_key(|(key, _)| *key);
    if !oldest_first {
        items.reverse();
    }
    let start = match after {
        Some(after) => items
            .iter()
            .position(|(key, _)| {
                if oldest_first {
                    *key > after
                } else {
                    *key < after
                }
            })
            .unwrap_or(items.len()),
        None => 0,
    };
    items
        .into_iter()
        .skip(start)
        .take(crate::pages::PAGE)
        .collect()
}

impl Views {
    fn key(&self, id: Uuid) -> crate::pages::Key {
        (self.born.get(&id).copied().unwrap_or(u64::MAX), id)
    }

    /// `myOrders` of a buyer company.
    pub fn company_orders(
        &self,
        company: CompanyId,
        after: Option<crate::pages::Key>,
    ) -> Vec<(crate::pages::Key, OrderState)> {
        let items = self
            .orders
            .iter()
            .filter(|(_, o)| o.id.is_some() && o.company == Some(company))
            .map(|(id, o)| (self.key(id.0), o.clone()))
            .collect();
        page_of(items, after, false)
    }

    /// The agents' dispute queue.
    pub fn dispute_queue(
        &self,
        after: Option<crate::pages::Key>,
    ) -> Vec<(crate::pages::Key, DisputeState)> {
        use zhuchao_domain::dispute::DisputeStatus;
        let items = self
            .disputes
            .iter()
            .filter(|(_, d)| matches!(d.status, DisputeStatus::Open | DisputeStatus::UnderReview))
            .map(|(id, d)| (self.key(id.0), d.clone()))
            .collect();
        page_of(items, after, true)
    }

    /// A supplier's RFQ inbox.
    pub fn rfq_inbox(
        &self,
        supplier: SupplierId,
        after: Option<crate::pages::Key>,
    ) -> Vec<(crate::pages::Key, RfqState)> {
        use zhuchao_domain::rfq::RfqStatus;
        let categories = self
            .suppliers
            .get(&supplier)
            .map(|s| s.categories.clone())
            .unwrap_or_default();
        let items = self
            .rfqs
            .iter()
            .filter(|(_, r)| matches!(r.status, RfqStatus::Open | RfqStatus::Quoted))
            .filter(|(_, r)| {
                r.invited.contains(&supplier)
                    || r.quotes.values().any(|q| q.supplier == supplier)
                    || (r.pool_open && r.category.is_some_and(|c| categories.contains(&c)))
            })
            .map(|(id, r)| (self.key(id.0), r.clone()))
            .collect();
        page_of(items, after, false)
    }

    /// The supplier whose staff signs in with `email`.
    pub fn supplier_of(&self, email: &str) -> Option<SupplierId> {
        match self.accounts.get(email)?.role.as_ref()? {
            zhuchao_domain::account::Role::Supplier { supplier } => Some(*supplier),
            _ => None,
        }
    }
}
