//! Orders: from a cart of standard products (tier price by quantity, MOQ and pack size enforced)
//! or from an accepted quote; then paid (escrow funded), shipped, delivered, received after
//! inspection (or by itself some days after delivery), completed — or cancelled before shipping
//! (by a party, or by the platform when unpaid too long), returned and refunded, or disputed.
//! The order's stream decides everything that must not happen twice or in the wrong order: one
//! dispute at a time, no receipt while disputed, a payment that arrives after cancellation is
//! refunded.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp, DAY_MS};
use crate::ids::{CompanyId, DisputeId, OrderId, ProductId, QuoteId, RfqId, SupplierId, UserId};
use crate::money::Money;
use crate::product::{tier_price, PriceTier};

/// Days after delivery or receipt within which a buyer may ask to return goods.
pub const RETURN_WINDOW_DAYS: i64 = 7;

/// What the caller knows of a product when it is ordered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductFacts {
    pub product: ProductId,
    pub supplier: SupplierId,
    pub title: String,
    pub published: bool,
    pub moq: u64,
    pub pack_size: u64,
    pub tiers: Vec<PriceTier>,
    pub shipping_cost: Money,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CartItem {
    pub facts: ProductFacts,
    pub quantity: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product: Option<ProductId>,
    pub title: String,
    pub quantity: u64,
    pub unit_price: Money,
    pub total: Money,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderSource {
    Cart,
    Quote { rfq: RfqId, quote: QuoteId },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    #[default]
    None,
    Placed,
    Paid,
    Shipped,
    Delivered,
    Received,
    Completed,
    Cancelled,
    ReturnRequested,
    ReturnApproved,
    Returned,
    ReturnReceived,
    Refunded,
    Disputed,
    Resolved,
    /// Never placed: its stock reservations were given back after the placing stopped halfway.
    Abandoned,
}

impl OrderStatus {
    /// Nothing more can happen to the order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Completed
                | OrderStatus::Refunded
                | OrderStatus::Resolved
                | OrderStatus::Abandoned
        )
    }
}

/// The statuses a dispute may interrupt: the money is in escrow and no payout is on its way.
pub const DISPUTABLE: [OrderStatus; 6] = [
    OrderStatus::Paid,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
    OrderStatus::ReturnRequested,
    OrderStatus::ReturnApproved,
    OrderStatus::Returned,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    Buyer,
    Supplier,
    Agent,
    /// The marketplace itself, acting on a rule (an unpaid order's payment window, a deadline).
    Platform,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderState {
    pub id: Option<OrderId>,
    pub buyer: Option<UserId>,
    pub company: Option<CompanyId>,
    pub supplier: Option<SupplierId>,
    pub source: Option<OrderSource>,
    pub lines: Vec<OrderLine>,
    pub shipping: Option<Money>,
    pub total: Option<Money>,
    /// Where the order is delivered.
    pub address: Option<String>,
    pub status: OrderStatus,
    /// The status a return request interrupted.
    pub before_return: Option<OrderStatus>,
    /// The status a dispute interrupted.
    pub before_dispute: Option<OrderStatus>,
    pub paid: bool,
    pub placed_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub received_at: Option<Timestamp>,
    pub dispute: Option<DisputeId>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OrderCommand {
    PlaceFromCart {
        id: OrderId,
        buyer: UserId,
        company: CompanyId,
        supplier: SupplierId,
        supplier_may_sell: bool,
        items: Vec<CartItem>,
        address: String,
        /// The total the buyer confirmed: when given, an order that now comes to another total
        /// (a price changed since) is refused.
        expected_total: Option<Money>,
        at: Timestamp,
    },
    PlaceFromQuote {
        id: OrderId,
        buyer: UserId,
        company: CompanyId,
        supplier: SupplierId,
        rfq: RfqId,
        quote: QuoteId,
        title: String,
        quantity: u64,
        unit_price: Money,
        address: String,
        at: Timestamp,
    },
    /// The escrow was funded. On a cancelled order the money is owed back at once.
    MarkPaid {
        at: Timestamp,
    },
    /// Timer-driven: cancels an order still unpaid `window_ms` after it was placed.
    ExpireUnpaid {
        window_ms: Timestamp,
        at: Timestamp,
    },
    /// Claims the id of an order whose placing stopped halfway (its stock was reserved but it
    /// was never placed), so that it can never be placed late; nothing if it exists.
    Abandon {
        at: Timestamp,
    },
    Ship {
        supplier: SupplierId,
        carrier: String,
        tracking: String,
        at: Timestamp,
    },
    MarkDelivered {
        at: Timestamp,
    },
    ConfirmReceipt {
        company: CompanyId,
        at: Timestamp,
    },
    /// Timer-driven: the buyer neither confirmed, returned nor disputed within `days` of
    /// delivery, so the goods count as received.
    AutoConfirm {
        days: i64,
        at: Timestamp,
    },
    Complete {
        at: Timestamp,
    },
    Cancel {
        party: Party,
        company: Option<CompanyId>,
        supplier: Option<SupplierId>,
        reason: String,
        at: Timestamp,
    },
    RequestReturn {
        company: CompanyId,
        reason: String,
        at: Timestamp,
    },
    ApproveReturn {
        supplier: SupplierId,
        at: Timestamp,
    },
    RejectReturn {
        supplier: SupplierId,
        reason: String,
        at: Timestamp,
    },
    ShipReturn {
        company: CompanyId,
        carrier: String,
        tracking: String,
        at: Timestamp,
    },
    ConfirmReturnReceived {
        supplier: SupplierId,
        at: Timestamp,
    },
    MarkRefunded {
        amount: Money,
        at: Timestamp,
    },
    /// A party opens a dispute: the order holds one at a time, while the money is in escrow.
    OpenDispute {
        dispute: DisputeId,
        party: Party,
        company: Option<CompanyId>,
        supplier: Option<SupplierId>,
        at: Timestamp,
    },
    /// The dispute ended without a ruling (withdrawn, or never opened): back to where it was.
    EndDispute {
        dispute: DisputeId,
        at: Timestamp,
    },
    ResolveDispute {
        dispute: DisputeId,
        refunded: Money,
        released: Money,
        at: Timestamp,
    },
}

crate::event_data! {
    OrderPlaced { id: OrderId, buyer: UserId, company: CompanyId, supplier: SupplierId, source: OrderSource, lines: Vec<OrderLine>, shipping: Money, total: Money, address: String, at: Timestamp }
    OrderPaid { at: Timestamp }
    PaidAfterCancellation { at: Timestamp }
    OrderAbandoned { at: Timestamp }
    OrderShipped { carrier: String, tracking: String, at: Timestamp }
    OrderDelivered { at: Timestamp }
    OrderCompleted { at: Timestamp }
    OrderCancelled { party: Party, reason: String, refund_due: bool, at: Timestamp }
    ReturnRequested { reason: String, at: Timestamp }
    ReturnApproved { at: Timestamp }
    ReturnShipped { carrier: String, tracking: String, at: Timestamp }
    OrderDisputeEnded { dispute: DisputeId, resumed: OrderStatus, delivered_at: Option<Timestamp>, at: Timestamp }
    ReturnReceived { at: Timestamp }
    OrderRefunded { amount: Money, at: Timestamp }
    OrderDisputed { dispute: DisputeId, at: Timestamp }
    OrderDisputeResolved { dispute: DisputeId, refunded: Money, released: Money, at: Timestamp }
}

/// The buyer confirmed receipt, or the auto-receipt timer did (`automatic`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderReceived {
    pub at: Timestamp,
    #[serde(default)]
    pub automatic: bool,
}

/// The supplier refused a return: the order is back to where it was (`delivered_at` restarts
/// the auto-receipt clock; absent in events written before it was recorded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnRejected {
    pub reason: String,
    pub at: Timestamp,
    #[serde(default)]
    pub delivered_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum OrderEvent {
    OrderPlaced(OrderPlaced),
    OrderPaid(OrderPaid),
    PaidAfterCancellation(PaidAfterCancellation),
    OrderAbandoned(OrderAbandoned),
    OrderShipped(OrderShipped),
    OrderDelivered(OrderDelivered),
    OrderReceived(OrderReceived),
    OrderCompleted(OrderCompleted),
    OrderCancelled(OrderCancelled),
    ReturnRequested(ReturnRequested),
    ReturnApproved(ReturnApproved),
    ReturnRejected(ReturnRejected),
    ReturnShipped(ReturnShipped),
    ReturnReceived(ReturnReceived),
    OrderRefunded(OrderRefunded),
    OrderDisputed(OrderDisputed),
    OrderDisputeEnded(OrderDisputeEnded),
    OrderDisputeResolved(OrderDisputeResolved),
}
crate::event_names!(OrderEvent {
    OrderPlaced,
    OrderPaid,
    PaidAfterCancellation,
    OrderAbandoned,
    OrderShipped,
    OrderDelivered,
    OrderReceived,
    OrderCompleted,
    OrderCancelled,
    ReturnRequested,
    ReturnApproved,
    ReturnRejected,
    ReturnShipped,
    ReturnReceived,
    OrderRefunded,
    OrderDisputed,
    OrderDisputeEnded,
    OrderDisputeResolved
});

impl DomainEvent for OrderEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderError {
    #[error("the order already exists")]
    AlreadyExists,
    #[error("no such order")]
    NotFound,
    #[error("an order needs at least one item")]
    EmptyCart,
    #[error("one order holds the products of one supplier")]
    MixedSuppliers,
    #[error("the order now comes to {total}, not the {confirmed} confirmed: a price changed")]
    TotalChanged { confirmed: Money, total: Money },
    #[error("{0} is not on sale")]
    NotPublished(String),
    #[error("the supplier may not sell now")]
    SupplierMayNotSell,
    #[error("{title}: at least {moq} must be ordered")]
    BelowMoq { title: String, moq: u64 },
    #[error("{title}: the quantity must be a multiple of the pack size {pack_size}")]
    NotWholePacks { title: String, pack_size: u64 },
    #[error("amounts are out of range or in more than one currency")]
    BadAmount,
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("this is not possible while the order is {0:?}")]
    WrongStatus(OrderStatus),
    #[error("only the buyer's company may do this")]
    NotBuyer,
    #[error("only the order's supplier may do this")]
    NotSupplier,
    #[error("the return window of {RETURN_WINDOW_DAYS} days has passed")]
    ReturnWindowClosed,
    #[error("the order is held by another dispute")]
    OtherDispute,
    #[error("this order already has a dispute")]
    AlreadyDisputed,
    #[error("only the buyer or the supplier of the order may dispute it")]
    NotAParty,
}

fn text(value: &str, what: &'static str) -> Result<(), OrderError> {
    if value.trim().is_empty() {
        Err(OrderError::Missing(what))
    } else {
        Ok(())
    }
}

/// A span of time in words, for reasons people read: `24 h`, `30 min`, `45 s`.
fn span(ms: Timestamp) -> String {
    if ms >= crate::HOUR_MS && ms % crate::HOUR_MS == 0 {
        format!("{} h", ms / crate::HOUR_MS)
    } else if ms >= 60_000 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} s", ms / 1000)
    }
}

fn status_in(state: &OrderState, allowed: &[OrderStatus]) -> Result<(), OrderError> {
    if state.status == OrderStatus::None {
        return Err(OrderError::NotFound);
    }
    if allowed.contains(&state.status) {
        Ok(())
    } else {
        Err(OrderError::WrongStatus(state.status))
    }
}

/// The acting party's right to the order: its buyer's company, its supplier, or staff.
fn party_of(
    state: &OrderState,
    party: Party,
    company: Option<CompanyId>,
    supplier: Option<SupplierId>,
) -> Result<(), OrderError> {
    match party {
        Party::Buyer => buyer(state, company.ok_or(OrderError::NotBuyer)?),
        Party::Supplier => seller(state, supplier.ok_or(OrderError::NotSupplier)?),
        Party::Agent | Party::Platform if state.status == OrderStatus::None => {
            Err(OrderError::NotFound)
        }
        Party::Agent | Party::Platform => Ok(()),
    }
}

/// Ownership is checked before status, so nobody learns the state of an order that is not theirs;
/// and another company's order answers as if it did not exist, so ids cannot be probed.
fn buyer(state: &OrderState, company: CompanyId) -> Result<(), OrderError> {
    if state.status == OrderStatus::None || state.company != Some(company) {
        return Err(OrderError::NotFound);
    }
    Ok(())
}

fn seller(state: &OrderState, supplier: SupplierId) -> Result<(), OrderError> {
    if state.status == OrderStatus::None || state.supplier != Some(supplier) {
        return Err(OrderError::NotFound);
    }
    Ok(())
}

/// One cart item per product: lines of the same product are ordered (and priced) together.
pub fn merge_items(items: Vec<CartItem>) -> Vec<CartItem> {
    let mut merged: Vec<CartItem> = Vec::with_capacity(items.len());
    for item in items {
        match merged
            .iter_mut()
            .find(|m| m.facts.product == item.facts.product)
        {
            Some(m) => m.quantity = m.quantity.saturating_add(item.quantity),
            None => merged.push(item),
        }
    }
    merged
}

fn price_cart(
    supplier: SupplierId,
    items: Vec<CartItem>,
) -> Result<(Vec<OrderLine>, Money, Money), OrderError> {
    let items = merge_items(items);
    let first = items.first().ok_or(OrderError::EmptyCart)?;
    let currency = first.facts.shipping_cost.currency;
    let mut lines = Vec::with_capacity(items.len());
    let mut total = Money::zero(currency);
    let mut shipping = Money::zero(currency);
    for item in &items {
        let f = &item.facts;
        if f.supplier != supplier {
            return Err(OrderError::MixedSuppliers);
        }
        if !f.published {
            return Err(OrderError::NotPublished(f.title.clone()));
        }
        if item.quantity < f.moq {
            return Err(OrderError::BelowMoq {
                title: f.title.clone(),
                moq: f.moq,
            });
        }
        if f.pack_size == 0 || !item.quantity.is_multiple_of(f.pack_size) {
            return Err(OrderError::NotWholePacks {
                title: f.title.clone(),
                pack_size: f.pack_size,
            });
        }
        let unit_price = tier_price(&f.tiers, item.quantity).ok_or(OrderError::BelowMoq {
            title: f.title.clone(),
            moq: f.moq,
        })?;
        let line_total = unit_price
            .times(item.quantity)
            .map_err(|_| OrderError::BadAmount)?;
        total = total
            .checked_add(line_total)
            .map_err(|_| OrderError::BadAmount)?;
        // One shipment: the dearest shipping cost among the items.
        if f.shipping_cost.currency != currency {
            return Err(OrderError::BadAmount);
        }
        if f.shipping_cost.minor > shipping.minor {
            shipping = f.shipping_cost;
        }
        lines.push(OrderLine {
            product: Some(f.product),
            title: f.title.clone(),
            quantity: item.quantity,
            unit_price,
            total: line_total,
        });
    }
    let total = total
        .checked_add(shipping)
        .map_err(|_| OrderError::BadAmount)?;
    Ok((lines, shipping, total))
}

pub struct Order;

impl Aggregate for Order {
    type State = OrderState;
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;
    const KIND: &'static str = "order";

    fn decide(state: &OrderState, command: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        use OrderCommand as C;
        use OrderEvent as E;
        use OrderStatus as S;
        match command {
            C::PlaceFromCart {
                id,
                buyer,
                company,
                supplier,
                supplier_may_sell,
                items,
                address,
                expected_total,
                at,
            } => {
                if state.status != S::None {
                    return Err(OrderError::AlreadyExists);
                }
                text(&address, "a delivery address")?;
                if !supplier_may_sell {
                    return Err(OrderError::SupplierMayNotSell);
                }
                let (lines, shipping, total) = price_cart(supplier, items)?;
                if let Some(confirmed) = expected_total {
                    if confirmed != total {
                        return Err(OrderError::TotalChanged { confirmed, total });
                    }
                }
                Ok(vec![E::OrderPlaced(OrderPlaced {
                    id,
                    buyer,
                    company,
                    supplier,
                    source: OrderSource::Cart,
                    lines,
                    shipping,
                    total,
                    address,
                    at,
                })])
            }
            C::PlaceFromQuote {
                id,
                buyer,
                company,
                supplier,
                rfq,
                quote,
                title,
                quantity,
                unit_price,
                address,
                at,
            } => {
                let source = OrderSource::Quote { rfq, quote };
                if state.status != S::None {
                    // The acceptance process may run twice: the same quote's order is already here.
                    return if state.source == Some(source) {
                        Ok(vec![])
                    } else {
                        Err(OrderError::AlreadyExists)
                    };
                }
                if quantity == 0 || !unit_price.is_positive() {
                    return Err(OrderError::BadAmount);
                }
                let total = unit_price
                    .times(quantity)
                    .map_err(|_| OrderError::BadAmount)?;
                let line = OrderLine {
                    product: None,
                    title,
                    quantity,
                    unit_price,
                    total,
                };
                Ok(vec![E::OrderPlaced(OrderPlaced {
                    id,
                    buyer,
                    company,
                    supplier,
                    source,
                    lines: vec![line],
                    shipping: Money::zero(unit_price.currency),
                    total,
                    address,
                    at,
                })])
            }
            C::MarkPaid { at } => {
                if state.status == S::None {
                    return Err(OrderError::NotFound);
                }
                if state.paid {
                    return Ok(vec![]);
                }
                if state.status == S::Cancelled {
                    // The money came in after the order was cancelled: it goes back.
                    return Ok(vec![E::PaidAfterCancellation(PaidAfterCancellation { at })]);
                }
                status_in(state, &[S::Placed])?;
                Ok(vec![E::OrderPaid(OrderPaid { at })])
            }
            C::ExpireUnpaid { window_ms, at } => {
                let due = state.placed_at.map(|p| p.saturating_add(window_ms));
                if state.status != S::Placed || state.paid || due.is_none_or(|d| at < d) {
                    return Ok(vec![]);
                }
                Ok(vec![E::OrderCancelled(OrderCancelled {
                    party: Party::Platform,
                    reason: format!("not paid within {} of ordering", span(window_ms)),
                    refund_due: false,
                    at,
                })])
            }
            C::Abandon { at } => {
                if state.status != S::None {
                    return Ok(vec![]);
                }
                Ok(vec![E::OrderAbandoned(OrderAbandoned { at })])
            }
            C::Ship {
                supplier,
                carrier,
                tracking,
                at,
            } => {
                seller(state, supplier)?;
                status_in(state, &[S::Paid])?;
                text(&carrier, "the carrier")?;
                text(&tracking, "the tracking number")?;
                Ok(vec![E::OrderShipped(OrderShipped {
                    carrier,
                    tracking,
                    at,
                })])
            }
            C::MarkDelivered { at } => {
                // The carrier's proof sent again while the order is delivered is nothing new;
                // after that (received, returned, disputed) it is out of place.
                if state.status == S::Delivered {
                    return Ok(vec![]);
                }
                status_in(state, &[S::Shipped])?;
                Ok(vec![E::OrderDelivered(OrderDelivered { at })])
            }
            C::ConfirmReceipt { company, at } => {
                buyer(state, company)?;
                status_in(state, &[S::Shipped, S::Delivered])?;
                let mut events = vec![];
                if state.delivered_at.is_none() {
                    events.push(E::OrderDelivered(OrderDelivered { at }));
                }
                events.push(E::OrderReceived(OrderReceived {
                    at,
                    automatic: false,
                }));
                Ok(events)
            }
            C::AutoConfirm { days, at } => {
                let due = state
                    .delivered_at
                    .map(|d| d.saturating_add(days.saturating_mul(DAY_MS)));
                if state.status != S::Delivered || due.is_none_or(|d| at < d) {
                    return Ok(vec![]);
                }
                Ok(vec![E::OrderReceived(OrderReceived {
                    at,
                    automatic: true,
                })])
            }
            C::Complete { at } => {
                if state.status == S::Completed {
                    return Ok(vec![]);
                }
                status_in(state, &[S::Delivered, S::Received])?;
                Ok(vec![E::OrderCompleted(OrderCompleted { at })])
            }
            C::Cancel {
                party,
                company,
                supplier,
                reason,
                at,
            } => {
                party_of(state, party, company, supplier)?;
                status_in(state, &[S::Placed, S::Paid])?;
                text(&reason, "a reason")?;
                Ok(vec![E::OrderCancelled(OrderCancelled {
                    party,
                    reason,
                    refund_due: state.paid,
                    at,
                })])
            }
            C::RequestReturn {
                company,
                reason,
                at,
            } => {
                buyer(state, company)?;
                // Returns come before receipt: receipt releases the money to the supplier.
                status_in(state, &[S::Delivered])?;
                text(&reason, "a reason")?;
                let since = state.delivered_at.unwrap_or(at);
                if at > since + RETURN_WINDOW_DAYS * DAY_MS {
                    return Err(OrderError::ReturnWindowClosed);
                }
                Ok(vec![E::ReturnRequested(ReturnRequested { reason, at })])
            }
            C::ApproveReturn { supplier, at } => {
                seller(state, supplier)?;
                status_in(state, &[S::ReturnRequested])?;
                Ok(vec![E::ReturnApproved(ReturnApproved { at })])
            }
            C::RejectReturn {
                supplier,
                reason,
                at,
            } => {
                seller(state, supplier)?;
                status_in(state, &[S::ReturnRequested])?;
                text(&reason, "a reason")?;
                Ok(vec![E::ReturnRejected(ReturnRejected {
                    reason,
                    at,
                    delivered_at: state.delivered_at,
                })])
            }
            C::ShipReturn {
                company,
                carrier,
                tracking,
                at,
            } => {
                buyer(state, company)?;
                status_in(state, &[S::ReturnApproved])?;
                text(&carrier, "the carrier")?;
                text(&tracking, "the tracking number")?;
                Ok(vec![E::ReturnShipped(ReturnShipped {
                    carrier,
                    tracking,
                    at,
                })])
            }
            C::ConfirmReturnReceived { supplier, at } => {
                seller(state, supplier)?;
                status_in(state, &[S::Returned])?;
                Ok(vec![E::ReturnReceived(ReturnReceived { at })])
            }
            C::MarkRefunded { amount, at } => {
                if state.status == S::Refunded {
                    return Ok(vec![]);
                }
                let cancelled_after_payment = state.status == S::Cancelled && state.paid;
                if !cancelled_after_payment {
                    status_in(state, &[S::ReturnReceived])?;
                }
                Ok(vec![E::OrderRefunded(OrderRefunded { amount, at })])
            }
            C::OpenDispute {
                dispute,
                party,
                company,
                supplier,
                at,
            } => {
                if !matches!(party, Party::Buyer | Party::Supplier) {
                    return Err(OrderError::NotAParty);
                }
                party_of(state, party, company, supplier)?;
                if state.status == S::Disputed {
                    return if state.dispute == Some(dispute) {
                        Ok(vec![])
                    } else {
                        Err(OrderError::AlreadyDisputed)
                    };
                }
                if state.status == S::Resolved {
                    return Err(OrderError::AlreadyDisputed);
                }
                status_in(state, &DISPUTABLE)?;
                Ok(vec![E::OrderDisputed(OrderDisputed { dispute, at })])
            }
            C::EndDispute { dispute, at } => {
                if state.status != S::Disputed || state.dispute != Some(dispute) {
                    return Ok(vec![]);
                }
                Ok(vec![E::OrderDisputeEnded(OrderDisputeEnded {
                    dispute,
                    resumed: state.before_dispute.unwrap_or(S::Paid),
                    delivered_at: state.delivered_at,
                    at,
                })])
            }
            C::ResolveDispute {
                dispute,
                refunded,
                released,
                at,
            } => {
                if state.status == S::Resolved && state.dispute == Some(dispute) {
                    return Ok(vec![]);
                }
                status_in(state, &[S::Disputed])?;
                if state.dispute != Some(dispute) {
                    return Err(OrderError::OtherDispute);
                }
                Ok(vec![E::OrderDisputeResolved(OrderDisputeResolved {
                    dispute,
                    refunded,
                    released,
                    at,
                })])
            }
        }
    }

    fn evolve(mut state: OrderState, event: &OrderEvent) -> OrderState {
        use OrderEvent as E;
        use OrderStatus as S;
        match event {
            E::OrderPlaced(e) => {
                state.id = Some(e.id);
                state.buyer = Some(e.buyer);
                state.company = Some(e.company);
                state.supplier = Some(e.supplier);
                state.source = Some(e.source);
                state.lines = e.lines.clone();
                state.shipping = Some(e.shipping);
                state.total = Some(e.total);
                state.address = Some(e.address.clone());
                state.placed_at = Some(e.at);
                state.status = S::Placed;
            }
            E::OrderPaid(_) => {
                state.paid = true;
                state.status = S::Paid;
            }
            E::PaidAfterCancellation(_) => state.paid = true,
            E::OrderAbandoned(_) => state.status = S::Abandoned,
            E::OrderShipped(_) => state.status = S::Shipped,
            E::OrderDelivered(e) => {
                state.delivered_at = Some(e.at);
                state.status = S::Delivered;
            }
            E::OrderReceived(e) => {
                state.received_at = Some(e.at);
                state.status = S::Received;
            }
            E::OrderCompleted(_) => state.status = S::Completed,
            E::OrderCancelled(_) => state.status = S::Cancelled,
            E::ReturnRequested(_) => {
                state.before_return = Some(state.status);
                state.status = S::ReturnRequested;
            }
            E::ReturnApproved(_) => state.status = S::ReturnApproved,
            E::ReturnRejected(_) => {
                state.status = state.before_return.take().unwrap_or(S::Delivered)
            }
            E::ReturnShipped(_) => state.status = S::Returned,
            E::ReturnReceived(_) => state.status = S::ReturnReceived,
            E::OrderRefunded(_) => state.status = S::Refunded,
            E::OrderDisputed(e) => {
                state.before_dispute = Some(state.status);
                state.dispute = Some(e.dispute);
                state.status = S::Disputed;
            }
            E::OrderDisputeEnded(e) => {
                state.status = e.resumed;
                state.before_dispute = None;
            }
            E::OrderDisputeResolved(_) => state.status = S::Resolved,
        }
        state
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::product::PriceTier;
    use uuid::Uuid;
    use OrderCommand as C;

    pub const BUYER: UserId = UserId(Uuid::from_u128(1));
    pub const COMPANY: CompanyId = CompanyId(Uuid::from_u128(2));
    pub const RIVAL_COMPANY: CompanyId = CompanyId(Uuid::from_u128(3));
    pub const SUPPLIER: SupplierId = SupplierId(Uuid::from_u128(10));
    pub const RIVAL: SupplierId = SupplierId(Uuid::from_u128(11));

    pub fn facts(title: &str) -> ProductFacts {
        ProductFacts {
            product: ProductId(Uuid::from_u128(1000 + title.len() as u128)),
            supplier: SUPPLIER,
            title: title.into(),
            published: true,
            moq: 100,
            pack_size: 50,
            tiers: vec![
                PriceTier {
                    min_quantity: 100,
                    unit_price: Money::cny(45),
                },
                PriceTier {
                    min_quantity: 1000,
                    unit_price: Money::cny(38),
                },
            ],
            shipping_cost: Money::cny(1500),
        }
    }

    pub fn place(items: Vec<CartItem>) -> C {
        C::PlaceFromCart {
            id: OrderId(Uuid::from_u128(50)),
            buyer: BUYER,
            company: COMPANY,
            supplier: SUPPLIER,
            supplier_may_sell: true,
            items,
            address: "宁波市北仑区 1 号".into(),
            expected_total: None,
            at: 0,
        }
    }

    pub fn run(state: OrderState, commands: Vec<C>) -> OrderState {
        commands.into_iter().fold(state, |s, c| {
            let events = Order::decide(&s, c).unwrap();
            events.iter().fold(s, Order::evolve)
        })
    }

    pub fn placed() -> OrderState {
        run(
            OrderState::default(),
            vec![place(vec![CartItem {
                facts: facts("M8 bolt"),
                quantity: 1000,
            }])],
        )
    }

    fn paid() -> OrderState {
        run(placed(), vec![C::MarkPaid { at: 1 }])
    }

    fn shipped() -> OrderState {
        run(
            paid(),
            vec![C::Ship {
                supplier: SUPPLIER,
                carrier: "顺丰".into(),
                tracking: "SF123".into(),
                at: 2,
            }],
        )
    }

    #[test]
    fn a_cart_order_applies_tier_prices_and_one_shipping_cost() {
        let events = Order::decide(
            &OrderState::default(),
            place(vec![
                CartItem {
                    facts: facts("M8 bolt"),
                    quantity: 1000,
                },
                CartItem {
                    facts: facts("M8 nut"),
                    quantity: 150,
                },
            ]),
        )
        .unwrap();
        let OrderEvent::OrderPlaced(p) = &events[0] else {
            panic!()
        };
        assert_eq!(p.lines[0].unit_price, Money::cny(38), "the 1,000+ tier");
        assert_eq!(p.lines[1].unit_price, Money::cny(45));
        assert_eq!(p.shipping, Money::cny(1500));
        assert_eq!(p.total, Money::cny(38 * 1000 + 45 * 150 + 1500));
    }

    #[test]
    fn lines_of_one_product_are_ordered_and_priced_together() {
        let line = |quantity| CartItem {
            facts: facts("M8 bolt"),
            quantity,
        };
        let events =
            Order::decide(&OrderState::default(), place(vec![line(600), line(600)])).unwrap();
        let OrderEvent::OrderPlaced(p) = &events[0] else {
            panic!()
        };
        assert_eq!(p.lines.len(), 1, "one line per product");
        assert_eq!(p.lines[0].quantity, 1200);
        assert_eq!(
            p.lines[0].unit_price,
            Money::cny(38),
            "the 1,000+ tier of the two lines together"
        );
    }

    #[test]
    fn carts_that_break_the_rules_are_refused() {
        let empty = OrderState::default();
        let one = |f: fn(&mut CartItem)| {
            let mut item = CartItem {
                facts: facts("M8 bolt"),
                quantity: 1000,
            };
            f(&mut item);
            Order::decide(&empty, place(vec![item]))
        };
        assert_eq!(
            one(|i| i.quantity = 50),
            Err(OrderError::BelowMoq {
                title: "M8 bolt".into(),
                moq: 100
            })
        );
        assert_eq!(
            one(|i| i.quantity = 120),
            Err(OrderError::NotWholePacks {
                title: "M8 bolt".into(),
                pack_size: 50
            })
        );
        assert_eq!(
            one(|i| i.facts.published = false),
            Err(OrderError::NotPublished("M8 bolt".into()))
        );
        assert_eq!(
            one(|i| i.facts.supplier = RIVAL),
            Err(OrderError::MixedSuppliers)
        );
        assert_eq!(
            Order::decide(&empty, place(vec![])),
            Err(OrderError::EmptyCart)
        );
        let mut no_address = place(vec![CartItem {
            facts: facts("x"),
            quantity: 100,
        }]);
        if let C::PlaceFromCart { address, .. } = &mut no_address {
            address.clear()
        }
        assert_eq!(
            Order::decide(&empty, no_address),
            Err(OrderError::Missing("a delivery address"))
        );
        let mut suspended = place(vec![CartItem {
            facts: facts("x"),
            quantity: 100,
        }]);
        if let C::PlaceFromCart {
            supplier_may_sell, ..
        } = &mut suspended
        {
            *supplier_may_sell = false
        }
        assert_eq!(
            Order::decide(&empty, suspended),
            Err(OrderError::SupplierMayNotSell)
        );
        assert_eq!(
            Order::decide(&placed(), place(vec![])),
            Err(OrderError::AlreadyExists)
        );
    }

    #[test]
    fn an_order_is_refused_when_it_no_longer_comes_to_the_total_the_buyer_confirmed() {
        let item = || CartItem {
            facts: facts("M8 bolt"),
            quantity: 1000,
        };
        let placed = Order::decide(&OrderState::default(), place(vec![item()])).expect("placed");
        let OrderEvent::OrderPlaced(p) = &placed[0] else {
            panic!("{placed:?}")
        };
        let confirmed = |total: Money| {
            let mut c = place(vec![item()]);
            if let C::PlaceFromCart { expected_total, .. } = &mut c {
                *expected_total = Some(total);
            }
            c
        };
        assert!(Order::decide(&OrderState::default(), confirmed(p.total)).is_ok());
        let cheaper = Money::cny(p.total.minor - 1);
        assert_eq!(
            Order::decide(&OrderState::default(), confirmed(cheaper)),
            Err(OrderError::TotalChanged {
                confirmed: cheaper,
                total: p.total
            }),
            "a price changed since the buyer confirmed: nothing is placed"
        );
    }

    #[test]
    fn an_order_from_a_quote_is_placed_once() {
        let cmd = || C::PlaceFromQuote {
            id: OrderId(Uuid::from_u128(60)),
            buyer: BUYER,
            company: COMPANY,
            supplier: SUPPLIER,
            rfq: RfqId(Uuid::from_u128(7)),
            quote: QuoteId(Uuid::from_u128(8)),
            title: "flange bolts".into(),
            quantity: 5000,
            unit_price: Money::cny(72),
            address: "宁波市北仑区 1 号".into(),
            at: 0,
        };
        let state = run(OrderState::default(), vec![cmd()]);
        assert_eq!(state.total, Some(Money::cny(360_000)));
        assert_eq!(
            state.address.as_deref(),
            Some("宁波市北仑区 1 号"),
            "delivered where the buyer said"
        );
        assert_eq!(
            Order::decide(&state, cmd()),
            Ok(vec![]),
            "a replayed acceptance places nothing twice"
        );
        assert_eq!(
            Order::decide(&placed(), cmd()),
            Err(OrderError::AlreadyExists)
        );
        let mut zero = cmd();
        if let C::PlaceFromQuote { quantity, .. } = &mut zero {
            *quantity = 0
        }
        assert_eq!(
            Order::decide(&OrderState::default(), zero),
            Err(OrderError::BadAmount)
        );
    }

    #[test]
    fn the_happy_path_runs_paid_shipped_delivered_received_completed() {
        let state = shipped();
        assert_eq!(
            Order::decide(
                &state,
                C::ConfirmReceipt {
                    company: RIVAL_COMPANY,
                    at: 3
                }
            ),
            Err(OrderError::NotFound)
        );
        let state = run(state, vec![C::MarkDelivered { at: 3 }]);
        assert_eq!(
            Order::decide(&state, C::MarkDelivered { at: 4 }),
            Ok(vec![])
        );
        let state = run(
            state,
            vec![
                C::ConfirmReceipt {
                    company: COMPANY,
                    at: 4,
                },
                C::Complete { at: 5 },
            ],
        );
        assert_eq!(state.status, OrderStatus::Completed);
        assert_eq!(Order::decide(&state, C::Complete { at: 6 }), Ok(vec![]));
        assert_eq!(
            Order::decide(&paid(), C::MarkPaid { at: 9 }),
            Ok(vec![]),
            "payment is recorded once"
        );
    }

    #[test]
    fn receipt_without_a_delivery_scan_records_both() {
        let events = Order::decide(
            &shipped(),
            C::ConfirmReceipt {
                company: COMPANY,
                at: 4,
            },
        )
        .unwrap();
        assert!(matches!(
            events[..],
            [OrderEvent::OrderDelivered(_), OrderEvent::OrderReceived(_)]
        ));
    }

    #[test]
    fn only_the_supplier_ships_a_paid_order_with_tracking() {
        let ship = |supplier, tracking: &str| C::Ship {
            supplier,
            carrier: "顺丰".into(),
            tracking: tracking.into(),
            at: 2,
        };
        assert_eq!(
            Order::decide(&placed(), ship(SUPPLIER, "SF1")),
            Err(OrderError::WrongStatus(OrderStatus::Placed))
        );
        assert_eq!(
            Order::decide(&paid(), ship(RIVAL, "SF1")),
            Err(OrderError::NotFound)
        );
        assert_eq!(
            Order::decide(&paid(), ship(SUPPLIER, " ")),
            Err(OrderError::Missing("the tracking number"))
        );
        assert_eq!(
            Order::decide(&OrderState::default(), ship(SUPPLIER, "x")),
            Err(OrderError::NotFound)
        );
    }

    #[test]
    fn cancelling_is_possible_until_shipping_and_flags_a_refund_after_payment() {
        let cancel = |party, company, supplier| C::Cancel {
            party,
            company,
            supplier,
            reason: "changed plans".into(),
            at: 3,
        };
        let events = Order::decide(&placed(), cancel(Party::Buyer, Some(COMPANY), None)).unwrap();
        assert!(matches!(&events[0], OrderEvent::OrderCancelled(c) if !c.refund_due));
        let events = Order::decide(&paid(), cancel(Party::Supplier, None, Some(SUPPLIER))).unwrap();
        assert!(matches!(&events[0], OrderEvent::OrderCancelled(c) if c.refund_due));
        assert_eq!(
            Order::decide(&paid(), cancel(Party::Buyer, Some(RIVAL_COMPANY), None)),
            Err(OrderError::NotFound)
        );
        assert_eq!(
            Order::decide(&paid(), cancel(Party::Supplier, None, Some(RIVAL))),
            Err(OrderError::NotFound)
        );
        assert_eq!(
            Order::decide(&shipped(), cancel(Party::Agent, None, None)),
            Err(OrderError::WrongStatus(OrderStatus::Shipped))
        );
        let cancelled = run(paid(), vec![cancel(Party::Agent, None, None)]);
        let state = run(
            cancelled,
            vec![C::MarkRefunded {
                amount: Money::cny(39_500),
                at: 4,
            }],
        );
        assert_eq!(state.status, OrderStatus::Refunded);
        let unpaid_cancelled = run(placed(), vec![cancel(Party::Agent, None, None)]);
        assert_eq!(
            Order::decide(
                &unpaid_cancelled,
                C::MarkRefunded {
                    amount: Money::cny(1),
                    at: 4
                }
            ),
            Err(OrderError::WrongStatus(OrderStatus::Cancelled))
        );
    }

    #[test]
    fn returns_run_requested_approved_shipped_received_refunded_within_the_window() {
        let received = run(shipped(), vec![C::MarkDelivered { at: 10 }]);
        let confirmed = run(
            received.clone(),
            vec![C::ConfirmReceipt {
                company: COMPANY,
                at: 10,
            }],
        );
        assert_eq!(
            Order::decide(
                &confirmed,
                C::RequestReturn {
                    company: COMPANY,
                    reason: "wrong grade".into(),
                    at: 11
                }
            ),
            Err(OrderError::WrongStatus(OrderStatus::Received)),
            "receipt released the money: returns come before it"
        );
        let late = 10 + RETURN_WINDOW_DAYS * DAY_MS + 1;
        assert_eq!(
            Order::decide(
                &received,
                C::RequestReturn {
                    company: COMPANY,
                    reason: "wrong grade".into(),
                    at: late
                }
            ),
            Err(OrderError::ReturnWindowClosed)
        );
        assert_eq!(
            Order::decide(
                &received,
                C::RequestReturn {
                    company: COMPANY,
                    reason: "".into(),
                    at: 11
                }
            ),
            Err(OrderError::Missing("a reason"))
        );
        let requested = run(
            received,
            vec![C::RequestReturn {
                company: COMPANY,
                reason: "wrong grade".into(),
                at: 11,
            }],
        );
        let rejected = run(
            requested.clone(),
            vec![C::RejectReturn {
                supplier: SUPPLIER,
                reason: "grade matches".into(),
                at: 12,
            }],
        );
        assert_eq!(
            rejected.status,
            OrderStatus::Delivered,
            "back to where it was"
        );
        assert_eq!(
            Order::decide(
                &requested,
                C::ApproveReturn {
                    supplier: RIVAL,
                    at: 12
                }
            ),
            Err(OrderError::NotFound)
        );
        let state = run(
            requested,
            vec![
                C::ApproveReturn {
                    supplier: SUPPLIER,
                    at: 12,
                },
                C::ShipReturn {
                    company: COMPANY,
                    carrier: "德邦".into(),
                    tracking: "DB9".into(),
                    at: 13,
                },
                C::ConfirmReturnReceived {
                    supplier: SUPPLIER,
                    at: 14,
                },
                C::MarkRefunded {
                    amount: Money::cny(39_500),
                    at: 15,
                },
            ],
        );
        assert_eq!(state.status, OrderStatus::Refunded);
        assert_eq!(
            Order::decide(
                &state,
                C::MarkRefunded {
                    amount: Money::cny(1),
                    at: 16
                }
            ),
            Ok(vec![])
        );
    }

    fn dispute_by_buyer(dispute: DisputeId, at: Timestamp) -> C {
        C::OpenDispute {
            dispute,
            party: Party::Buyer,
            company: Some(COMPANY),
            supplier: None,
            at,
        }
    }

    #[test]
    fn a_dispute_holds_the_order_until_its_ruling() {
        let dispute = DisputeId(Uuid::from_u128(70));
        assert_eq!(
            Order::decide(&placed(), dispute_by_buyer(dispute, 3)),
            Err(OrderError::WrongStatus(OrderStatus::Placed))
        );
        let state = run(shipped(), vec![dispute_by_buyer(dispute, 3)]);
        assert_eq!(
            Order::decide(&state, dispute_by_buyer(dispute, 4)),
            Ok(vec![]),
            "the same dispute again changes nothing"
        );
        assert_eq!(
            Order::decide(&state, dispute_by_buyer(DisputeId(Uuid::from_u128(71)), 4)),
            Err(OrderError::AlreadyDisputed),
            "one dispute at a time"
        );
        assert_eq!(
            Order::decide(
                &state,
                C::ConfirmReceipt {
                    company: COMPANY,
                    at: 4
                }
            ),
            Err(OrderError::WrongStatus(OrderStatus::Disputed))
        );
        let other = DisputeId(Uuid::from_u128(71));
        assert_eq!(
            Order::decide(
                &state,
                C::ResolveDispute {
                    dispute: other,
                    refunded: Money::cny(0),
                    released: Money::cny(0),
                    at: 5
                }
            ),
            Err(OrderError::OtherDispute)
        );
        let state = run(
            state,
            vec![C::ResolveDispute {
                dispute,
                refunded: Money::cny(10_000),
                released: Money::cny(29_500),
                at: 5,
            }],
        );
        assert_eq!(state.status, OrderStatus::Resolved);
        assert_eq!(
            Order::decide(
                &state,
                C::ResolveDispute {
                    dispute,
                    refunded: Money::cny(0),
                    released: Money::cny(0),
                    at: 6
                }
            ),
            Ok(vec![])
        );
        assert_eq!(
            Order::decide(&state, dispute_by_buyer(DisputeId(Uuid::from_u128(72)), 7)),
            Err(OrderError::AlreadyDisputed),
            "a ruled order is not disputed again"
        );
    }

    #[test]
    fn only_the_orders_parties_dispute_it_and_never_after_receipt() {
        let dispute = DisputeId(Uuid::from_u128(70));
        let rival = C::OpenDispute {
            dispute,
            party: Party::Buyer,
            company: Some(RIVAL_COMPANY),
            supplier: None,
            at: 3,
        };
        assert_eq!(Order::decide(&shipped(), rival), Err(OrderError::NotFound));
        let agent = C::OpenDispute {
            dispute,
            party: Party::Agent,
            company: None,
            supplier: None,
            at: 3,
        };
        assert_eq!(Order::decide(&shipped(), agent), Err(OrderError::NotAParty));
        let received = run(
            shipped(),
            vec![C::ConfirmReceipt {
                company: COMPANY,
                at: 3,
            }],
        );
        assert_eq!(
            Order::decide(&received, dispute_by_buyer(dispute, 4)),
            Err(OrderError::WrongStatus(OrderStatus::Received)),
            "the receipt released the money: nothing is left to dispute"
        );
        let disputed = run(shipped(), vec![dispute_by_buyer(dispute, 3)]);
        assert_eq!(
            Order::decide(
                &disputed,
                C::ConfirmReceipt {
                    company: COMPANY,
                    at: 4
                }
            ),
            Err(OrderError::WrongStatus(OrderStatus::Disputed)),
            "no receipt while the dispute holds the money"
        );
    }

    #[test]
    fn a_withdrawn_dispute_gives_the_order_back_where_it_was() {
        let dispute = DisputeId(Uuid::from_u128(70));
        let delivered = run(shipped(), vec![C::MarkDelivered { at: 3 }]);
        let disputed = run(delivered, vec![dispute_by_buyer(dispute, 4)]);
        let events = Order::decide(&disputed, C::EndDispute { dispute, at: 5 }).unwrap();
        assert!(matches!(
            &events[..],
            [OrderEvent::OrderDisputeEnded(e)] if e.resumed == OrderStatus::Delivered && e.delivered_at == Some(3)
        ));
        let back = events.iter().fold(disputed, Order::evolve);
        assert_eq!(back.status, OrderStatus::Delivered);
        assert_eq!(
            Order::decide(&back, C::EndDispute { dispute, at: 6 }),
            Ok(vec![]),
            "ending it twice changes nothing"
        );
        assert!(Order::decide(
            &back,
            C::ConfirmReceipt {
                company: COMPANY,
                at: 6
            }
        )
        .is_ok());
        assert!(
            Order::decide(&back, dispute_by_buyer(DisputeId(Uuid::from_u128(71)), 6)).is_ok(),
            "a new dispute may open"
        );
    }

    #[test]
    fn goods_count_as_received_some_days_after_delivery_unless_interrupted() {
        let delivered = run(shipped(), vec![C::MarkDelivered { at: 10 }]);
        let early = C::AutoConfirm {
            days: 7,
            at: 10 + 7 * DAY_MS - 1,
        };
        assert_eq!(Order::decide(&delivered, early), Ok(vec![]));
        let due = || C::AutoConfirm {
            days: 7,
            at: 10 + 7 * DAY_MS,
        };
        assert!(matches!(
            &Order::decide(&delivered, due()).unwrap()[..],
            [OrderEvent::OrderReceived(r)] if r.automatic
        ));
        let disputed = run(
            delivered,
            vec![dispute_by_buyer(DisputeId(Uuid::from_u128(70)), 11)],
        );
        assert_eq!(
            Order::decide(&disputed, due()),
            Ok(vec![]),
            "not while a dispute holds it"
        );
    }

    #[test]
    fn an_unpaid_order_is_cancelled_when_its_payment_window_closes() {
        let window = 24 * crate::HOUR_MS;
        assert_eq!(
            Order::decide(
                &placed(),
                C::ExpireUnpaid {
                    window_ms: window,
                    at: window - 1
                }
            ),
            Ok(vec![])
        );
        let events = Order::decide(
            &placed(),
            C::ExpireUnpaid {
                window_ms: window,
                at: window,
            },
        )
        .unwrap();
        assert!(matches!(
            &events[..],
            [OrderEvent::OrderCancelled(c)] if c.party == Party::Platform && !c.refund_due && c.reason.contains("24 h")
        ));
        assert_eq!(
            Order::decide(
                &paid(),
                C::ExpireUnpaid {
                    window_ms: window,
                    at: 2 * window
                }
            ),
            Ok(vec![]),
            "a paid order stays"
        );
    }

    #[test]
    fn a_payment_that_arrives_after_cancellation_is_owed_back() {
        let cancelled = run(
            placed(),
            vec![C::Cancel {
                party: Party::Buyer,
                company: Some(COMPANY),
                supplier: None,
                reason: "changed plans".into(),
                at: 2,
            }],
        );
        let events = Order::decide(&cancelled, C::MarkPaid { at: 3 }).unwrap();
        assert!(matches!(
            &events[..],
            [OrderEvent::PaidAfterCancellation(_)]
        ));
        let state = events.iter().fold(cancelled, Order::evolve);
        assert_eq!(state.status, OrderStatus::Cancelled);
        assert!(state.paid);
        let refunded = run(
            state,
            vec![C::MarkRefunded {
                amount: Money::cny(39_500),
                at: 4,
            }],
        );
        assert_eq!(refunded.status, OrderStatus::Refunded);
    }

    #[test]
    fn an_abandoned_order_id_can_never_be_placed() {
        let abandoned = run(OrderState::default(), vec![C::Abandon { at: 1 }]);
        assert_eq!(abandoned.status, OrderStatus::Abandoned);
        assert_eq!(
            Order::decide(
                &abandoned,
                place(vec![CartItem {
                    facts: facts("M8 bolt"),
                    quantity: 1000,
                }])
            ),
            Err(OrderError::AlreadyExists)
        );
        assert_eq!(
            Order::decide(&placed(), C::Abandon { at: 2 }),
            Ok(vec![]),
            "a placed order is not abandoned"
        );
    }

    fn any_command() -> impl proptest::strategy::Strategy<Value = C> {
        use proptest::prelude::*;
        let dispute =
            prop::sample::select(vec![1u128, 2]).prop_map(|n| DisputeId(Uuid::from_u128(n)));
        let company = prop::sample::select(vec![COMPANY, RIVAL_COMPANY]);
        let supplier = prop::sample::select(vec![SUPPLIER, RIVAL]);
        let at = 0i64..20 * DAY_MS;
        prop_oneof![
            at.clone().prop_map(|at| C::MarkPaid { at }),
            (supplier.clone(), at.clone()).prop_map(|(supplier, at)| C::Ship {
                supplier,
                carrier: "顺丰".into(),
                tracking: "SF1".into(),
                at
            }),
            at.clone().prop_map(|at| C::MarkDelivered { at }),
            (company.clone(), at.clone())
                .prop_map(|(company, at)| C::ConfirmReceipt { company, at }),
            at.clone().prop_map(|at| C::Complete { at }),
            (company.clone(), at.clone()).prop_map(|(company, at)| C::Cancel {
                party: Party::Buyer,
                company: Some(company),
                supplier: None,
                reason: "r".into(),
                at
            }),
            (company.clone(), at.clone()).prop_map(|(company, at)| C::RequestReturn {
                company,
                reason: "r".into(),
                at
            }),
            (supplier.clone(), at.clone())
                .prop_map(|(supplier, at)| C::ApproveReturn { supplier, at }),
            (supplier.clone(), at.clone()).prop_map(|(supplier, at)| C::RejectReturn {
                supplier,
                reason: "r".into(),
                at
            }),
            (company.clone(), at.clone()).prop_map(|(company, at)| C::ShipReturn {
                company,
                carrier: "c".into(),
                tracking: "t".into(),
                at
            }),
            (supplier, at.clone())
                .prop_map(|(supplier, at)| C::ConfirmReturnReceived { supplier, at }),
            at.clone().prop_map(|at| C::MarkRefunded {
                amount: Money::cny(1),
                at
            }),
            (dispute.clone(), company.clone(), at.clone()).prop_map(|(dispute, company, at)| {
                C::OpenDispute {
                    dispute,
                    party: Party::Buyer,
                    company: Some(company),
                    supplier: None,
                    at,
                }
            }),
            (dispute.clone(), at.clone()).prop_map(|(dispute, at)| C::EndDispute { dispute, at }),
            at.clone().prop_map(|at| C::AutoConfirm { days: 7, at }),
            at.clone().prop_map(|at| C::ExpireUnpaid {
                window_ms: DAY_MS,
                at
            }),
            (dispute, at).prop_map(|(dispute, at)| C::ResolveDispute {
                dispute,
                refunded: Money::cny(0),
                released: Money::cny(0),
                at
            }),
        ]
    }

    proptest::proptest! {
        /// Whatever happens to an order, it is paid at most once, never shipped unpaid, never
        /// cancelled after shipping, never received before it was shipped or while disputed,
        /// refunded only after a paid cancellation or a received return, disputed only while
        /// the money is held, and only its own buyer and supplier move it.
        #[test]
        fn order_invariants_hold_under_any_command_sequence(commands in proptest::collection::vec(any_command(), 1..80)) {
            let mut state = placed();
            let (mut paid, mut shipped, mut cancelled, mut return_received) = (0, false, false, false);
            for command in commands {
                let by_outsider = match &command {
                    C::ConfirmReceipt { company, .. } | C::RequestReturn { company, .. } | C::ShipReturn { company, .. } => *company != COMPANY,
                    C::Cancel { company, .. } | C::OpenDispute { company, .. } => *company != Some(COMPANY),
                    C::Ship { supplier, .. } | C::ApproveReturn { supplier, .. } | C::RejectReturn { supplier, .. } | C::ConfirmReturnReceived { supplier, .. } => *supplier != SUPPLIER,
                    _ => false,
                };
                let decided = Order::decide(&state, command);
                if by_outsider {
                    proptest::prop_assert!(decided.is_err(), "an outsider moved the order");
                }
                let events = match decided { Ok(e) => e, Err(_) => continue };
                for e in &events {
                    match e {
                        OrderEvent::OrderPaid(_) => paid += 1,
                        OrderEvent::PaidAfterCancellation(_) => { proptest::prop_assert!(cancelled); paid += 1 }
                        OrderEvent::OrderDisputed(_) => proptest::prop_assert!(DISPUTABLE.contains(&state.status)),
                        OrderEvent::OrderShipped(_) => { proptest::prop_assert!(paid == 1 && !cancelled); shipped = true; }
                        OrderEvent::OrderCancelled(_) => { proptest::prop_assert!(!shipped); cancelled = true; }
                        OrderEvent::OrderReceived(_) => proptest::prop_assert!(shipped && matches!(state.status, OrderStatus::Shipped | OrderStatus::Delivered), "received from {:?}", state.status),
                        OrderEvent::OrderDelivered(_) => proptest::prop_assert!(shipped),
                        OrderEvent::ReturnReceived(_) => return_received = true,
                        OrderEvent::OrderRefunded(_) => proptest::prop_assert!((cancelled && paid == 1) || return_received),
                        OrderEvent::OrderCompleted(_) => proptest::prop_assert!(shipped && !cancelled),
                        _ => {}
                    }
                    state = Order::evolve(state, e);
                }
                proptest::prop_assert!(paid <= 1);
                proptest::prop_assert_eq!(state.company, Some(COMPANY));
            }
        }
    }
}
