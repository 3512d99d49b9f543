//! Requests for quote: a buyer asks invited suppliers to quote for a non-standard part, its wanted
//! attributes checked against the category's schema. If no invited supplier quotes within the
//! response SLA, the RFQ opens to the category pool. Quotes are sealed (a supplier sees only its
//! own), revisable until the buyer decides, open to counter-offers, and valid until a date;
//! accepting one awards the RFQ and leads to an order. An RFQ that closes closes its quotes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp, DAY_MS, HOUR_MS};
use crate::category::{AttributeError, AttributeValue, CategorySchema};
use crate::files::FileRef;
use crate::ids::{CategoryId, CompanyId, OrderId, QuoteId, RfqId, SupplierId, UserId};
use crate::money::Money;

/// The default response SLA: 24 hours.
pub const DEFAULT_RESPONSE_SLA_MS: Timestamp = 24 * HOUR_MS;
/// Most suppliers one RFQ may invite.
pub const MAX_INVITED: usize = 20;
/// Furthest an RFQ's deadline may lie ahead.
pub const MAX_DEADLINE_MS: Timestamp = 365 * DAY_MS;
/// Longest a quote may stay valid.
pub const MAX_QUOTE_VALIDITY_MS: Timestamp = 365 * DAY_MS;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RfqStatus {
    #[default]
    None,
    Open,
    Quoted,
    Awarded,
    Expired,
    Cancelled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuoteStatus {
    Live,
    Expired,
    Accepted,
    NotSelected,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub id: QuoteId,
    pub supplier: SupplierId,
    pub unit_price: Money,
    pub lead_time_days: u32,
    pub valid_until: Timestamp,
    pub note: String,
    pub revision: u32,
    /// The buyer's latest counter-offer, until the supplier answers with a revision.
    pub counter_offer: Option<Money>,
    pub status: QuoteStatus,
    pub submitted_at: Timestamp,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RfqState {
    pub id: Option<RfqId>,
    pub buyer: Option<UserId>,
    pub company: Option<CompanyId>,
    pub category: Option<CategoryId>,
    pub quantity: u64,
    pub target_price: Option<Money>,
    pub deadline: Timestamp,
    pub created_at: Timestamp,
    pub respond_by: Timestamp,
    pub invited: BTreeSet<SupplierId>,
    pub pool_open: bool,
    pub quotes: BTreeMap<QuoteId, Quote>,
    pub status: RfqStatus,
    pub request: Option<RfqRequest>,
    /// The order made from the accepted quote.
    pub awarded_order: Option<OrderId>,
}

impl RfqState {
    fn deciding(&self) -> bool {
        matches!(self.status, RfqStatus::Open | RfqStatus::Quoted)
    }

    fn quote_of(&self, supplier: SupplierId) -> Option<&Quote> {
        self.quotes.values().find(|q| q.supplier == supplier)
    }

    /// What `supplier` may see of the quotes: its own only (quotes are sealed).
    pub fn quotes_visible_to_supplier(&self, supplier: SupplierId) -> Vec<&Quote> {
        self.quotes
            .values()
            .filter(|q| q.supplier == supplier)
            .collect()
    }
}

/// What the RFQ asks for, as stored: wanted attributes checked and normalised against the
/// category's schema (numbers in its base unit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RfqRequest {
    pub title: String,
    pub description: String,
    pub category: CategoryId,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub quantity: u64,
    pub drawings: Vec<FileRef>,
    pub target_price: Option<Money>,
    pub deadline: Timestamp,
}

/// What the buyer fills in: wanted attributes as typed, e.g. `length` → `1-3/8 in`.
#[derive(Clone, Debug, PartialEq)]
pub struct RfqSpec {
    pub title: String,
    pub description: String,
    pub category: CategoryId,
    pub attributes: BTreeMap<String, String>,
    pub quantity: u64,
    pub drawings: Vec<FileRef>,
    pub target_price: Option<Money>,
    pub deadline: Timestamp,
}

/// What the caller knows about a supplier the buyer invites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invitee {
    pub id: SupplierId,
    /// The supplier exists on the platform.
    pub known: bool,
    pub may_sell: bool,
}

/// What the caller knows about a quoting supplier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotingSupplier {
    pub id: SupplierId,
    pub may_sell: bool,
    pub serves_category: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RfqCommand {
    Create {
        id: RfqId,
        buyer: UserId,
        company: CompanyId,
        spec: RfqSpec,
        /// The category's schema, `None` when there is no such category.
        schema: Option<CategorySchema>,
        invited: Vec<Invitee>,
        response_sla_ms: Timestamp,
        at: Timestamp,
    },
    OpenToPool {
        at: Timestamp,
    },
    SubmitQuote {
        quote: QuoteId,
        supplier: QuotingSupplier,
        unit_price: Money,
        lead_time_days: u32,
        valid_until: Timestamp,
        note: String,
        at: Timestamp,
    },
    ReviseQuote {
        quote: QuoteId,
        supplier: SupplierId,
        unit_price: Money,
        lead_time_days: u32,
        valid_until: Timestamp,
        note: String,
        at: Timestamp,
    },
    CounterOffer {
        quote: QuoteId,
        buyer: UserId,
        unit_price: Money,
        note: String,
        at: Timestamp,
    },
    /// The buyer accepts a quote: the order made from it goes to `address`.
    Accept {
        quote: QuoteId,
        buyer: UserId,
        order: OrderId,
        address: String,
        at: Timestamp,
    },
    ExpireQuotes {
        at: Timestamp,
    },
    Cancel {
        buyer: UserId,
        reason: String,
        at: Timestamp,
    },
    Expire {
        at: Timestamp,
    },
}

crate::event_data! {
    RfqCreated { id: RfqId, buyer: UserId, company: CompanyId, request: RfqRequest, invited: Vec<SupplierId>, respond_by: Timestamp, at: Timestamp }
    RfqOpenedToPool { at: Timestamp }
    QuoteSubmitted { quote: QuoteId, supplier: SupplierId, unit_price: Money, lead_time_days: u32, valid_until: Timestamp, note: String, from_pool: bool, at: Timestamp }
    QuoteRevised { quote: QuoteId, supplier: SupplierId, unit_price: Money, lead_time_days: u32, valid_until: Timestamp, note: String, revision: u32, at: Timestamp }
    CounterOffered { quote: QuoteId, supplier: SupplierId, unit_price: Money, note: String, at: Timestamp }
    QuoteExpired { quote: QuoteId, supplier: SupplierId, at: Timestamp }
    QuoteNotSelected { quote: QuoteId, supplier: SupplierId, at: Timestamp }
    RfqCancelled { reason: String, at: Timestamp }
    RfqExpired { at: Timestamp }
}

/// A quote accepted: the order it becomes. Acceptances recorded before the buyer gave a
/// delivery address with them read with an empty one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteAccepted {
    pub quote: QuoteId,
    pub supplier: SupplierId,
    pub buyer: UserId,
    pub company: CompanyId,
    pub order: OrderId,
    pub unit_price: Money,
    pub quantity: u64,
    pub total: Money,
    pub lead_time_days: u32,
    pub title: String,
    #[serde(default)]
    pub address: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum RfqEvent {
    RfqCreated(RfqCreated),
    RfqOpenedToPool(RfqOpenedToPool),
    QuoteSubmitted(QuoteSubmitted),
    QuoteRevised(QuoteRevised),
    CounterOffered(CounterOffered),
    QuoteExpired(QuoteExpired),
    QuoteAccepted(QuoteAccepted),
    QuoteNotSelected(QuoteNotSelected),
    RfqCancelled(RfqCancelled),
    RfqExpired(RfqExpired),
}
crate::event_names!(RfqEvent {
    RfqCreated,
    RfqOpenedToPool,
    QuoteSubmitted,
    QuoteRevised,
    CounterOffered,
    QuoteExpired,
    QuoteAccepted,
    QuoteNotSelected,
    RfqCancelled,
    RfqExpired
});

impl DomainEvent for RfqEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }

    fn schema_version(event_type: &str) -> u32 {
        match event_type {
            // v2 stores the wanted attributes checked and normalised against the schema.
            "RfqCreated" => 2,
            _ => 1,
        }
    }

    fn upcast(event_type: &str, version: u32, mut body: serde_json::Value) -> serde_json::Value {
        if event_type == "RfqCreated" && version < 2 {
            // v1 kept them as typed: they stay text.
            if let Some(attributes) = body
                .pointer_mut("/request/attributes")
                .and_then(|a| a.as_object_mut())
            {
                for value in attributes.values_mut() {
                    let text = value.take();
                    *value = serde_json::json!({ "Text": text });
                }
            }
        }
        body
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RfqError {
    #[error("the RFQ already exists")]
    AlreadyExists,
    #[error("no such RFQ")]
    NotFound,
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("invite between 1 and {MAX_INVITED} different suppliers")]
    BadInvitations,
    #[error("the deadline must be after the response SLA ends")]
    DeadlineTooSoon,
    #[error("the deadline may be at most a year ahead")]
    DeadlineTooFar,
    #[error("no such category")]
    NoSuchCategory,
    #[error("supplier {0} is not on the platform")]
    UnknownSupplier(SupplierId),
    #[error("supplier {0} may not quote now (not active)")]
    InviteeMayNotSell(SupplierId),
    #[error(transparent)]
    Attribute(#[from] AttributeError),
    #[error("the quantity must be at least 1")]
    ZeroQuantity,
    #[error("prices must be above zero and in one currency")]
    BadPrice,
    #[error("the RFQ is {0:?}: no more quotes or decisions")]
    Closed(RfqStatus),
    #[error("the RFQ's deadline has passed")]
    PastDeadline,
    #[error("this supplier was not invited and the RFQ is not open to the pool")]
    NotInvited,
    #[error("the supplier may not quote: not active or not serving this category")]
    SupplierNotEligible,
    #[error("this supplier has already quoted; revise the quote instead")]
    AlreadyQuoted,
    #[error("no such quote")]
    NoSuchQuote,
    #[error("only the supplier that made the quote may revise it")]
    NotYourQuote,
    #[error("only the buyer who sent the RFQ may do this")]
    NotYourRfq,
    #[error("the quote is no longer valid")]
    QuoteNotLive,
    #[error("a quote must be valid for some time after it is made, and at most a year")]
    BadValidity,
}

fn valid_for(valid_until: Timestamp, at: Timestamp) -> Result<(), RfqError> {
    if valid_until <= at || valid_until > at.saturating_add(MAX_QUOTE_VALIDITY_MS) {
        return Err(RfqError::BadValidity);
    }
    Ok(())
}

/// The quotes still live, closed by the RFQ closing: not selected when the buyer ends it,
/// expired when its deadline passes.
fn close_live_quotes(state: &RfqState, expired: bool, at: Timestamp) -> Vec<RfqEvent> {
    state
        .quotes
        .values()
        .filter(|q| q.status == QuoteStatus::Live)
        .map(|q| {
            if expired {
                RfqEvent::QuoteExpired(QuoteExpired {
                    quote: q.id,
                    supplier: q.supplier,
                    at,
                })
            } else {
                RfqEvent::QuoteNotSelected(QuoteNotSelected {
                    quote: q.id,
                    supplier: q.supplier,
                    at,
                })
            }
        })
        .collect()
}

fn positive(price: Money, like: Option<Money>) -> Result<(), RfqError> {
    if !price.is_positive() || like.is_some_and(|l| l.currency != price.currency) {
        return Err(RfqError::BadPrice);
    }
    Ok(())
}

pub struct Rfq;

impl Aggregate for Rfq {
    type State = RfqState;
    type Command = RfqCommand;
    type Event = RfqEvent;
    type Error = RfqError;
    const KIND: &'static str = "rfq";

    fn decide(state: &RfqState, command: RfqCommand) -> Result<Vec<RfqEvent>, RfqError> {
        use RfqCommand as C;
        use RfqEvent as E;
        if !matches!(command, C::Create { .. }) && state.id.is_none() {
            return Err(RfqError::NotFound);
        }
        match command {
            C::Create {
                id,
                buyer,
                company,
                spec,
                schema,
                invited,
                response_sla_ms,
                at,
            } => {
                if state.id.is_some() {
                    return Err(RfqError::AlreadyExists);
                }
                if spec.title.trim().is_empty() {
                    return Err(RfqError::Missing("a title"));
                }
                if spec.quantity == 0 {
                    return Err(RfqError::ZeroQuantity);
                }
                let schema = schema.ok_or(RfqError::NoSuchCategory)?;
                // Wanted attributes need not all be given, but what is given must fit.
                let attributes = schema.normalise_given(&spec.attributes)?;
                let distinct: BTreeSet<_> = invited.iter().map(|i| i.id).collect();
                if invited.is_empty()
                    || invited.len() > MAX_INVITED
                    || distinct.len() != invited.len()
                {
                    return Err(RfqError::BadInvitations);
                }
                if let Some(unknown) = invited.iter().find(|i| !i.known) {
                    return Err(RfqError::UnknownSupplier(unknown.id));
                }
                if let Some(idle) = invited.iter().find(|i| !i.may_sell) {
                    return Err(RfqError::InviteeMayNotSell(idle.id));
                }
                if let Some(target) = spec.target_price {
                    positive(target, None)?;
                }
                let respond_by = at.saturating_add(response_sla_ms.max(0));
                if spec.deadline <= respond_by {
                    return Err(RfqError::DeadlineTooSoon);
                }
                if spec.deadline > at.saturating_add(MAX_DEADLINE_MS) {
                    return Err(RfqError::DeadlineTooFar);
                }
                Ok(vec![E::RfqCreated(RfqCreated {
                    id,
                    buyer,
                    company,
                    request: RfqRequest {
                        title: spec.title,
                        description: spec.description,
                        category: spec.category,
                        attributes,
                        quantity: spec.quantity,
                        drawings: spec.drawings,
                        target_price: spec.target_price,
                        deadline: spec.deadline,
                    },
                    invited: invited.into_iter().map(|i| i.id).collect(),
                    respond_by,
                    at,
                })])
            }
            C::OpenToPool { at } => {
                // Driven by the SLA timer: the pool opens only when no invited supplier quoted.
                let any_quoted = state.invited.iter().any(|s| state.quote_of(*s).is_some());
                if state.pool_open || !state.deciding() || any_quoted || at < state.respond_by {
                    return Ok(vec![]);
                }
                Ok(vec![E::RfqOpenedToPool(RfqOpenedToPool { at })])
            }
            C::SubmitQuote {
                quote,
                supplier,
                unit_price,
                lead_time_days,
                valid_until,
                note,
                at,
            } => {
                if !state.deciding() {
                    return Err(RfqError::Closed(state.status));
                }
                if at >= state.deadline {
                    return Err(RfqError::PastDeadline);
                }
                let invited = state.invited.contains(&supplier.id);
                if !invited && !state.pool_open {
                    return Err(RfqError::NotInvited);
                }
                if !supplier.may_sell || (!invited && !supplier.serves_category) {
                    return Err(RfqError::SupplierNotEligible);
                }
                if state.quote_of(supplier.id).is_some() {
                    return Err(RfqError::AlreadyQuoted);
                }
                if state.quotes.contains_key(&quote) {
                    return Err(RfqError::AlreadyQuoted);
                }
                positive(unit_price, state.target_price)?;
                valid_for(valid_until, at)?;
                Ok(vec![E::QuoteSubmitted(QuoteSubmitted {
                    quote,
                    supplier: supplier.id,
                    unit_price,
                    lead_time_days,
                    valid_until,
                    note,
                    from_pool: !invited,
                    at,
                })])
            }
            C::ReviseQuote {
                quote,
                supplier,
                unit_price,
                lead_time_days,
                valid_until,
                note,
                at,
            } => {
                // Ownership first: a rival learns nothing about a quote that is not its own.
                let q = state.quotes.get(&quote).ok_or(RfqError::NoSuchQuote)?;
                if q.supplier != supplier {
                    return Err(RfqError::NotYourQuote);
                }
                if !state.deciding() {
                    return Err(RfqError::Closed(state.status));
                }
                if q.status != QuoteStatus::Live || q.valid_until <= at {
                    return Err(RfqError::QuoteNotLive);
                }
                positive(unit_price, Some(q.unit_price))?;
                valid_for(valid_until, at)?;
                Ok(vec![E::QuoteRevised(QuoteRevised {
                    quote,
                    supplier,
                    unit_price,
                    lead_time_days,
                    valid_until,
                    note,
                    revision: q.revision + 1,
                    at,
                })])
            }
            C::CounterOffer {
                quote,
                buyer,
                unit_price,
                note,
                at,
            } => {
                if state.buyer != Some(buyer) {
                    return Err(RfqError::NotYourRfq);
                }
                if !state.deciding() {
                    return Err(RfqError::Closed(state.status));
                }
                let q = state.quotes.get(&quote).ok_or(RfqError::NoSuchQuote)?;
                if q.status != QuoteStatus::Live || q.valid_until <= at {
                    return Err(RfqError::QuoteNotLive);
                }
                positive(unit_price, Some(q.unit_price))?;
                Ok(vec![E::CounterOffered(CounterOffered {
                    quote,
                    supplier: q.supplier,
                    unit_price,
                    note,
                    at,
                })])
            }
            C::Accept {
                quote,
                buyer,
                order,
                address,
                at,
            } => {
                if state.buyer != Some(buyer) {
                    return Err(RfqError::NotYourRfq);
                }
                let address = address.trim().to_string();
                if address.is_empty() {
                    return Err(RfqError::Missing("a delivery address"));
                }
                if !state.deciding() {
                    return Err(RfqError::Closed(state.status));
                }
                let q = state.quotes.get(&quote).ok_or(RfqError::NoSuchQuote)?;
                if q.status != QuoteStatus::Live || q.valid_until <= at {
                    return Err(RfqError::QuoteNotLive);
                }
                let total = q
                    .unit_price
                    .times(state.quantity)
                    .map_err(|_| RfqError::BadPrice)?;
                let (Some(company), Some(request)) = (state.company, state.request.as_ref()) else {
                    return Err(RfqError::NotFound);
                };
                let mut events = vec![E::QuoteAccepted(QuoteAccepted {
                    quote,
                    supplier: q.supplier,
                    buyer,
                    company,
                    order,
                    unit_price: q.unit_price,
                    quantity: state.quantity,
                    total,
                    lead_time_days: q.lead_time_days,
                    title: request.title.clone(),
                    address,
                    at,
                })];
                events.extend(
                    state
                        .quotes
                        .values()
                        .filter(|o| o.id != quote && o.status == QuoteStatus::Live)
                        .map(|o| {
                            E::QuoteNotSelected(QuoteNotSelected {
                                quote: o.id,
                                supplier: o.supplier,
                                at,
                            })
                        }),
                );
                Ok(events)
            }
            C::ExpireQuotes { at } => Ok(state
                .quotes
                .values()
                .filter(|q| {
                    q.status == QuoteStatus::Live && q.valid_until <= at && state.deciding()
                })
                .map(|q| {
                    E::QuoteExpired(QuoteExpired {
                        quote: q.id,
                        supplier: q.supplier,
                        at,
                    })
                })
                .collect()),
            C::Cancel { buyer, reason, at } => {
                if state.buyer != Some(buyer) {
                    return Err(RfqError::NotYourRfq);
                }
                if !state.deciding() {
                    return Err(RfqError::Closed(state.status));
                }
                if reason.trim().is_empty() {
                    return Err(RfqError::Missing("a reason"));
                }
                let mut events = close_live_quotes(state, false, at);
                events.push(E::RfqCancelled(RfqCancelled { reason, at }));
                Ok(events)
            }
            C::Expire { at } => {
                if !state.deciding() || at < state.deadline {
                    return Ok(vec![]);
                }
                let mut events = close_live_quotes(state, true, at);
                events.push(E::RfqExpired(RfqExpired { at }));
                Ok(events)
            }
        }
    }

    fn evolve(mut state: RfqState, event: &RfqEvent) -> RfqState {
        use RfqEvent as E;
        match event {
            E::RfqCreated(e) => {
                state.id = Some(e.id);
                state.buyer = Some(e.buyer);
                state.company = Some(e.company);
                state.category = Some(e.request.category);
                state.quantity = e.request.quantity;
                state.target_price = e.request.target_price;
                state.deadline = e.request.deadline;
                state.created_at = e.at;
                state.respond_by = e.respond_by;
                state.invited = e.invited.iter().copied().collect();
                state.status = RfqStatus::Open;
                state.request = Some(e.request.clone());
            }
            E::RfqOpenedToPool(_) => state.pool_open = true,
            E::QuoteSubmitted(e) => {
                state.quotes.insert(
                    e.quote,
                    Quote {
                        id: e.quote,
                        supplier: e.supplier,
                        unit_price: e.unit_price,
                        lead_time_days: e.lead_time_days,
                        valid_until: e.valid_until,
                        note: e.note.clone(),
                        revision: 0,
                        counter_offer: None,
                        status: QuoteStatus::Live,
                        submitted_at: e.at,
                    },
                );
                state.status = RfqStatus::Quoted;
            }
            E::QuoteRevised(e) => {
                if let Some(q) = state.quotes.get_mut(&e.quote) {
                    q.unit_price = e.unit_price;
                    q.lead_time_days = e.lead_time_days;
                    q.valid_until = e.valid_until;
                    q.note = e.note.clone();
                    q.revision = e.revision;
                    q.counter_offer = None;
                }
            }
            E::CounterOffered(e) => {
                if let Some(q) = state.quotes.get_mut(&e.quote) {
                    q.counter_offer = Some(e.unit_price);
                }
            }
            E::QuoteExpired(e) => {
                if let Some(q) = state.quotes.get_mut(&e.quote) {
                    q.status = QuoteStatus::Expired;
                }
            }
            E::QuoteAccepted(e) => {
                if let Some(q) = state.quotes.get_mut(&e.quote) {
                    q.status = QuoteStatus::Accepted;
                }
                state.status = RfqStatus::Awarded;
                state.awarded_order = Some(e.order);
            }
            E::QuoteNotSelected(e) => {
                if let Some(q) = state.quotes.get_mut(&e.quote) {
                    q.status = QuoteStatus::NotSelected;
                }
            }
            E::RfqCancelled(_) => state.status = RfqStatus::Cancelled,
            E::RfqExpired(_) => state.status = RfqStatus::Expired,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;
    use RfqCommand as C;

    const BUYER: UserId = UserId(Uuid::from_u128(1));
    const OTHER_BUYER: UserId = UserId(Uuid::from_u128(2));
    const INVITED_A: SupplierId = SupplierId(Uuid::from_u128(10));
    const INVITED_B: SupplierId = SupplierId(Uuid::from_u128(11));
    const POOL: SupplierId = SupplierId(Uuid::from_u128(12));
    const DAY: Timestamp = 24 * HOUR_MS;

    fn spec() -> RfqSpec {
        RfqSpec {
            title: "Custom flange bolts M10×45, Dacromet".into(),
            description: "per drawing".into(),
            category: CategoryId(Uuid::from_u128(5)),
            attributes: BTreeMap::new(),
            quantity: 5000,
            drawings: vec![FileRef::parse(
                "/files/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/drawing.pdf",
            )
            .unwrap()],
            target_price: Some(Money::cny(80)),
            deadline: 7 * DAY,
        }
    }

    fn invitee(id: SupplierId) -> Invitee {
        Invitee {
            id,
            known: true,
            may_sell: true,
        }
    }

    fn create() -> C {
        C::Create {
            id: RfqId(Uuid::from_u128(100)),
            buyer: BUYER,
            company: CompanyId(Uuid::from_u128(3)),
            spec: spec(),
            schema: Some(CategorySchema {
                attributes: crate::category::hex_bolt_schema(),
            }),
            invited: vec![invitee(INVITED_A), invitee(INVITED_B)],
            response_sla_ms: DEFAULT_RESPONSE_SLA_MS,
            at: 0,
        }
    }

    fn eligible(id: SupplierId) -> QuotingSupplier {
        QuotingSupplier {
            id,
            may_sell: true,
            serves_category: true,
        }
    }

    fn quote(n: u128, supplier: SupplierId, fen: i64, at: Timestamp) -> C {
        C::SubmitQuote {
            quote: QuoteId(Uuid::from_u128(n)),
            supplier: eligible(supplier),
            unit_price: Money::cny(fen),
            lead_time_days: 10,
            valid_until: at + 5 * DAY,
            note: String::new(),
            at,
        }
    }

    fn run(state: RfqState, commands: Vec<C>) -> RfqState {
        commands.into_iter().fold(state, |s, c| {
            let events = Rfq::decide(&s, c).unwrap();
            events.iter().fold(s, Rfq::evolve)
        })
    }

    fn open() -> RfqState {
        run(RfqState::default(), vec![create()])
    }

    #[test]
    fn creation_checks_the_request() {
        let empty = RfqState::default();
        let with = |f: fn(&mut C)| {
            let mut c = create();
            f(&mut c);
            Rfq::decide(&empty, c)
        };
        assert_eq!(
            with(|c| if let C::Create { spec, .. } = c {
                spec.title.clear()
            }),
            Err(RfqError::Missing("a title"))
        );
        assert_eq!(
            with(|c| if let C::Create { spec, .. } = c {
                spec.quantity = 0
            }),
            Err(RfqError::ZeroQuantity)
        );
        assert_eq!(
            with(|c| if let C::Create { invited, .. } = c {
                invited.clear()
            }),
            Err(RfqError::BadInvitations)
        );
        assert_eq!(
            with(|c| if let C::Create { invited, .. } = c {
                invited.push(invitee(INVITED_A))
            }),
            Err(RfqError::BadInvitations)
        );
        assert_eq!(
            with(|c| if let C::Create { spec, .. } = c {
                spec.deadline = HOUR_MS
            }),
            Err(RfqError::DeadlineTooSoon)
        );
        assert_eq!(
            with(|c| if let C::Create { spec, .. } = c {
                spec.target_price = Some(Money::cny(0))
            }),
            Err(RfqError::BadPrice)
        );
        assert_eq!(Rfq::decide(&open(), create()), Err(RfqError::AlreadyExists));
        assert_eq!(
            Rfq::decide(&empty, C::Expire { at: 0 }),
            Err(RfqError::NotFound)
        );
    }

    #[test]
    fn only_invited_suppliers_quote_until_the_sla_opens_the_pool() {
        let state = open();
        assert_eq!(
            Rfq::decide(&state, quote(1, POOL, 70, HOUR_MS)),
            Err(RfqError::NotInvited)
        );
        assert_eq!(
            Rfq::decide(&state, C::OpenToPool { at: DAY - 1 }),
            Ok(vec![]),
            "not before the SLA ends"
        );
        let state = run(state, vec![C::OpenToPool { at: DAY }]);
        assert!(state.pool_open);
        assert_eq!(
            Rfq::decide(&state, C::OpenToPool { at: DAY + 1 }),
            Ok(vec![]),
            "idempotent"
        );
        let events = Rfq::decide(&state, quote(1, POOL, 70, DAY + 1)).unwrap();
        assert!(matches!(&events[0], RfqEvent::QuoteSubmitted(q) if q.from_pool));
        let outsider = C::SubmitQuote {
            quote: QuoteId(Uuid::from_u128(2)),
            supplier: QuotingSupplier {
                id: POOL,
                may_sell: true,
                serves_category: false,
            },
            unit_price: Money::cny(70),
            lead_time_days: 1,
            valid_until: 3 * DAY,
            note: String::new(),
            at: DAY + 1,
        };
        assert_eq!(
            Rfq::decide(&state, outsider),
            Err(RfqError::SupplierNotEligible)
        );
    }

    #[test]
    fn the_pool_opens_only_when_no_invited_supplier_quoted() {
        let silent = open();
        assert_eq!(
            Rfq::decide(&silent, C::OpenToPool { at: DAY }),
            Ok(vec![RfqEvent::RfqOpenedToPool(RfqOpenedToPool { at: DAY })])
        );
        let one_quoted = run(open(), vec![quote(1, INVITED_A, 75, HOUR_MS)]);
        assert_eq!(one_quoted.status, RfqStatus::Quoted);
        assert_eq!(
            Rfq::decide(&one_quoted, C::OpenToPool { at: DAY }),
            Ok(vec![]),
            "one invited supplier answered: the buyer has a quote, the pool stays closed"
        );
    }

    #[test]
    fn creation_checks_the_spec_against_the_category_and_the_invitees() {
        let empty = RfqState::default();
        let with_attributes = |pairs: &[(&str, &str)]| {
            let mut c = create();
            if let C::Create { spec, .. } = &mut c {
                spec.attributes = pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
            }
            Rfq::decide(&empty, c)
        };
        assert!(matches!(
            with_attributes(&[("colour", "red")]),
            Err(RfqError::Attribute(AttributeError::Unknown(k))) if k == "colour"
        ));
        assert!(matches!(
            with_attributes(&[("thread", "M7")]),
            Err(RfqError::Attribute(AttributeError::NotAllowed { .. }))
        ));
        assert!(matches!(
            with_attributes(&[("length", "abc")]),
            Err(RfqError::Attribute(AttributeError::BadNumber { .. }))
        ));
        let events = with_attributes(&[("length", "1 in"), ("thread", "m10")]).unwrap();
        let RfqEvent::RfqCreated(created) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(
            created.request.attributes["length"],
            AttributeValue::Number(25.4),
            "inches are converted to the category's millimetres"
        );
        assert_eq!(
            created.request.attributes["thread"],
            AttributeValue::Enum("M10".into())
        );

        let mut no_category = create();
        if let C::Create { schema, .. } = &mut no_category {
            *schema = None;
        }
        assert_eq!(
            Rfq::decide(&empty, no_category),
            Err(RfqError::NoSuchCategory)
        );
        let ghost = SupplierId(Uuid::from_u128(99));
        let mut unknown = create();
        if let C::Create { invited, .. } = &mut unknown {
            invited.push(Invitee {
                id: ghost,
                known: false,
                may_sell: false,
            });
        }
        assert_eq!(
            Rfq::decide(&empty, unknown),
            Err(RfqError::UnknownSupplier(ghost))
        );
        let mut idle = create();
        if let C::Create { invited, .. } = &mut idle {
            invited.push(Invitee {
                id: ghost,
                known: true,
                may_sell: false,
            });
        }
        assert_eq!(
            Rfq::decide(&empty, idle),
            Err(RfqError::InviteeMayNotSell(ghost))
        );
        let mut far = create();
        if let C::Create { spec, .. } = &mut far {
            spec.deadline = i64::MAX;
        }
        assert_eq!(Rfq::decide(&empty, far), Err(RfqError::DeadlineTooFar));
    }

    #[test]
    fn a_quote_is_valid_for_at_most_a_year() {
        let forever = C::SubmitQuote {
            quote: QuoteId(Uuid::from_u128(9)),
            supplier: eligible(INVITED_A),
            unit_price: Money::cny(70),
            lead_time_days: 1,
            valid_until: i64::MAX,
            note: String::new(),
            at: HOUR_MS,
        };
        assert_eq!(Rfq::decide(&open(), forever), Err(RfqError::BadValidity));
    }

    #[test]
    fn closing_an_rfq_closes_its_live_quotes() {
        let quoted = run(
            open(),
            vec![
                quote(1, INVITED_A, 75, HOUR_MS),
                quote(2, INVITED_B, 72, HOUR_MS),
            ],
        );
        let expired = run(quoted.clone(), vec![C::Expire { at: 7 * DAY }]);
        assert_eq!(expired.status, RfqStatus::Expired);
        assert!(expired
            .quotes
            .values()
            .all(|q| q.status == QuoteStatus::Expired));
        let cancelled = run(
            quoted,
            vec![C::Cancel {
                buyer: BUYER,
                reason: "design changed".into(),
                at: 2 * HOUR_MS,
            }],
        );
        assert!(cancelled
            .quotes
            .values()
            .all(|q| q.status == QuoteStatus::NotSelected));
    }

    #[test]
    fn v1_rfq_attributes_are_read_as_text() {
        let body = serde_json::json!({ "request": { "attributes": { "finish": "Dacromet" } } });
        let up = RfqEvent::upcast("RfqCreated", 1, body);
        assert_eq!(
            up.pointer("/request/attributes/finish"),
            Some(&serde_json::json!({ "Text": "Dacromet" }))
        );
    }

    #[test]
    fn quotes_are_one_per_supplier_revisable_and_sealed() {
        let state = run(
            open(),
            vec![
                quote(1, INVITED_A, 75, HOUR_MS),
                quote(2, INVITED_B, 72, HOUR_MS),
            ],
        );
        assert_eq!(
            Rfq::decide(&state, quote(3, INVITED_A, 70, HOUR_MS)),
            Err(RfqError::AlreadyQuoted)
        );
        assert_eq!(state.quotes_visible_to_supplier(INVITED_A).len(), 1);
        assert_eq!(
            state.quotes_visible_to_supplier(INVITED_A)[0].supplier,
            INVITED_A
        );
        let revise = |supplier, fen| C::ReviseQuote {
            quote: QuoteId(Uuid::from_u128(1)),
            supplier,
            unit_price: Money::cny(fen),
            lead_time_days: 8,
            valid_until: 6 * DAY,
            note: "bulk discount".into(),
            at: 2 * HOUR_MS,
        };
        assert_eq!(
            Rfq::decide(&state, revise(INVITED_B, 60)),
            Err(RfqError::NotYourQuote)
        );
        assert_eq!(
            Rfq::decide(&state, revise(INVITED_A, 0)),
            Err(RfqError::BadPrice)
        );
        let state = run(state, vec![revise(INVITED_A, 68)]);
        let q = &state.quotes[&QuoteId(Uuid::from_u128(1))];
        assert_eq!((q.unit_price, q.revision), (Money::cny(68), 1));
        assert_eq!(
            Rfq::decide(
                &state,
                quote(4, SupplierId(Uuid::from_u128(77)), 1, HOUR_MS)
            ),
            Err(RfqError::NotInvited)
        );
        let ineligible = C::SubmitQuote {
            quote: QuoteId(Uuid::from_u128(9)),
            supplier: QuotingSupplier {
                id: INVITED_A,
                may_sell: false,
                serves_category: true,
            },
            unit_price: Money::cny(1),
            lead_time_days: 1,
            valid_until: 2 * DAY,
            note: String::new(),
            at: HOUR_MS,
        };
        assert_eq!(
            Rfq::decide(&open(), ineligible),
            Err(RfqError::SupplierNotEligible)
        );
        let stale = C::SubmitQuote {
            quote: QuoteId(Uuid::from_u128(9)),
            supplier: eligible(INVITED_A),
            unit_price: Money::cny(1),
            lead_time_days: 1,
            valid_until: HOUR_MS,
            note: String::new(),
            at: HOUR_MS,
        };
        assert_eq!(Rfq::decide(&open(), stale), Err(RfqError::BadValidity));
        assert_eq!(
            Rfq::decide(&open(), quote(9, INVITED_A, 70, 8 * DAY)),
            Err(RfqError::PastDeadline)
        );
        let usd = C::SubmitQuote {
            quote: QuoteId(Uuid::from_u128(9)),
            supplier: eligible(INVITED_A),
            unit_price: Money::new(10, crate::Currency::USD),
            lead_time_days: 1,
            valid_until: 2 * DAY,
            note: String::new(),
            at: HOUR_MS,
        };
        assert_eq!(Rfq::decide(&open(), usd), Err(RfqError::BadPrice));
    }

    #[test]
    fn counter_offers_go_back_and_forth_until_accepted() {
        let state = run(open(), vec![quote(1, INVITED_A, 75, HOUR_MS)]);
        let counter = |buyer| C::CounterOffer {
            quote: QuoteId(Uuid::from_u128(1)),
            buyer,
            unit_price: Money::cny(65),
            note: "can you do 0.65?".into(),
            at: 2 * HOUR_MS,
        };
        assert_eq!(
            Rfq::decide(&state, counter(OTHER_BUYER)),
            Err(RfqError::NotYourRfq)
        );
        let state = run(state, vec![counter(BUYER)]);
        assert_eq!(
            state.quotes[&QuoteId(Uuid::from_u128(1))].counter_offer,
            Some(Money::cny(65))
        );
        let state = run(
            state,
            vec![C::ReviseQuote {
                quote: QuoteId(Uuid::from_u128(1)),
                supplier: INVITED_A,
                unit_price: Money::cny(68),
                lead_time_days: 10,
                valid_until: 4 * DAY,
                note: "meet in the middle".into(),
                at: 3 * HOUR_MS,
            }],
        );
        assert_eq!(
            state.quotes[&QuoteId(Uuid::from_u128(1))].counter_offer,
            None
        );
        assert_eq!(
            Rfq::decide(
                &state,
                C::CounterOffer {
                    quote: QuoteId(Uuid::from_u128(5)),
                    buyer: BUYER,
                    unit_price: Money::cny(1),
                    note: String::new(),
                    at: 1
                }
            ),
            Err(RfqError::NoSuchQuote)
        );
    }

    #[test]
    fn accepting_awards_one_quote_and_tells_the_others() {
        let state = run(
            open(),
            vec![
                quote(1, INVITED_A, 75, HOUR_MS),
                quote(2, INVITED_B, 72, HOUR_MS),
            ],
        );
        let order = OrderId(Uuid::from_u128(500));
        let accept = |q: u128, buyer, at| C::Accept {
            quote: QuoteId(Uuid::from_u128(q)),
            buyer,
            order,
            address: "宁波市北仑区 1 号".into(),
            at,
        };
        let mut nowhere = accept(2, BUYER, DAY);
        if let C::Accept { address, .. } = &mut nowhere {
            *address = "  ".into();
        }
        assert_eq!(
            Rfq::decide(&state, nowhere),
            Err(RfqError::Missing("a delivery address")),
            "an order needs somewhere to go"
        );
        assert_eq!(
            Rfq::decide(&state, accept(2, OTHER_BUYER, DAY)),
            Err(RfqError::NotYourRfq)
        );
        assert_eq!(
            Rfq::decide(&state, accept(2, BUYER, 6 * DAY)),
            Err(RfqError::QuoteNotLive),
            "past its validity"
        );
        let events = Rfq::decide(&state, accept(2, BUYER, DAY)).unwrap();
        match &events[0] {
            RfqEvent::QuoteAccepted(a) => {
                assert_eq!(a.supplier, INVITED_B);
                assert_eq!(a.total, Money::cny(72 * 5000));
                assert_eq!(a.order, order);
                assert_eq!(a.address, "宁波市北仑区 1 号");
                assert_eq!(
                    a.title,
                    state.request.as_ref().unwrap().title,
                    "the order is named as the RFQ"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&events[1], RfqEvent::QuoteNotSelected(n) if n.supplier == INVITED_A));
        let state = events.iter().fold(state, Rfq::evolve);
        assert_eq!(state.status, RfqStatus::Awarded);
        assert_eq!(
            Rfq::decide(&state, accept(1, BUYER, DAY)),
            Err(RfqError::Closed(RfqStatus::Awarded))
        );
        assert_eq!(
            Rfq::decide(&state, quote(3, POOL, 1, DAY)),
            Err(RfqError::Closed(RfqStatus::Awarded))
        );
        assert_eq!(Rfq::decide(&state, C::Expire { at: 8 * DAY }), Ok(vec![]));
    }

    #[test]
    fn quotes_and_rfqs_expire_by_the_clock() {
        let state = run(open(), vec![quote(1, INVITED_A, 75, HOUR_MS)]);
        assert_eq!(
            Rfq::decide(&state, C::ExpireQuotes { at: HOUR_MS + DAY }),
            Ok(vec![])
        );
        let state = run(
            state,
            vec![C::ExpireQuotes {
                at: HOUR_MS + 5 * DAY,
            }],
        );
        assert_eq!(
            state.quotes[&QuoteId(Uuid::from_u128(1))].status,
            QuoteStatus::Expired
        );
        assert_eq!(
            Rfq::decide(&state, C::ExpireQuotes { at: 6 * DAY }),
            Ok(vec![]),
            "each quote expires once"
        );
        let accept = C::Accept {
            quote: QuoteId(Uuid::from_u128(1)),
            buyer: BUYER,
            order: OrderId(Uuid::nil()),
            address: "宁波市北仑区 1 号".into(),
            at: 6 * DAY,
        };
        assert_eq!(Rfq::decide(&state, accept), Err(RfqError::QuoteNotLive));
        let revise = C::ReviseQuote {
            quote: QuoteId(Uuid::from_u128(1)),
            supplier: INVITED_A,
            unit_price: Money::cny(1),
            lead_time_days: 1,
            valid_until: 9 * DAY,
            note: String::new(),
            at: 6 * DAY,
        };
        assert_eq!(Rfq::decide(&state, revise), Err(RfqError::QuoteNotLive));
        assert_eq!(Rfq::decide(&state, C::Expire { at: 6 * DAY }), Ok(vec![]));
        let state = run(state, vec![C::Expire { at: 7 * DAY }]);
        assert_eq!(state.status, RfqStatus::Expired);
    }

    #[test]
    fn the_buyer_may_cancel_with_a_reason() {
        let state = open();
        assert_eq!(
            Rfq::decide(
                &state,
                C::Cancel {
                    buyer: BUYER,
                    reason: " ".into(),
                    at: 1
                }
            ),
            Err(RfqError::Missing("a reason"))
        );
        assert_eq!(
            Rfq::decide(
                &state,
                C::Cancel {
                    buyer: OTHER_BUYER,
                    reason: "x".into(),
                    at: 1
                }
            ),
            Err(RfqError::NotYourRfq)
        );
        let state = run(
            state,
            vec![C::Cancel {
                buyer: BUYER,
                reason: "design changed".into(),
                at: 1,
            }],
        );
        assert_eq!(state.status, RfqStatus::Cancelled);
        assert_eq!(
            Rfq::decide(
                &state,
                C::Cancel {
                    buyer: BUYER,
                    reason: "x".into(),
                    at: 2
                }
            ),
            Err(RfqError::Closed(RfqStatus::Cancelled))
        );
    }

    #[test]
    fn an_acceptance_recorded_without_an_address_reads_with_an_empty_one() {
        let old = serde_json::json!({
            "type": "QuoteAccepted",
            "data": {
                "quote": Uuid::from_u128(1), "supplier": Uuid::from_u128(2), "buyer": Uuid::from_u128(3),
                "company": Uuid::from_u128(4), "order": Uuid::from_u128(5),
                "unit_price": Money::cny(72), "quantity": 10, "total": Money::cny(720),
                "lead_time_days": 5, "title": "RFQ 1", "at": 0
            }
        });
        match serde_json::from_value::<RfqEvent>(old).expect("an old acceptance reads") {
            RfqEvent::QuoteAccepted(a) => assert_eq!(a.address, ""),
            other => panic!("{other:?}"),
        }
    }
}
