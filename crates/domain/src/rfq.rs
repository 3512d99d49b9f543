//! Requests for quote: a buyer asks invited suppliers to quote for a non-standard part. If no
//! invited supplier quotes within the response SLA, the RFQ opens to the category pool. Quotes are
//! The RFQ also opens to the pool when the SLA passes with some invited supplier still silent, so
//! the buyer is not left waiting on it. Quotes are sealed (a supplier sees only its own), revisable until the buyer decides, open to counter-offers,
//! and valid until a date; accepting one awards the RFQ and leads to an order.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp, HOUR_MS};
use crate::ids::{CategoryId, CompanyId, OrderId, QuoteId, RfqId, SupplierId, UserId};
use crate::money::Money;

/// The default response SLA: 24 hours.
pub const DEFAULT_RESPONSE_SLA_MS: Timestamp = 24 * HOUR_MS;
/// Most suppliers one RFQ may invite.
pub const MAX_INVITED: usize = 20;

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

#[derive(Clone, Debug, Default, PartialEq)]
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RfqRequest {
    pub title: String,
    pub description: String,
    pub category: CategoryId,
    /// Wanted attributes as typed, e.g. `length` → `35 mm`.
    pub attributes: BTreeMap<String, String>,
    pub quantity: u64,
    pub drawings: Vec<String>,
    pub target_price: Option<Money>,
    pub deadline: Timestamp,
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
        request: RfqRequest,
        invited: Vec<SupplierId>,
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
    Accept {
        quote: QuoteId,
        buyer: UserId,
        order: OrderId,
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
    QuoteAccepted { quote: QuoteId, supplier: SupplierId, buyer: UserId, company: CompanyId, order: OrderId, unit_price: Money, quantity: u64, total: Money, lead_time_days: u32, title: String, at: Timestamp }
    QuoteNotSelected { quote: QuoteId, supplier: SupplierId, at: Timestamp }
    RfqCancelled { reason: String, at: Timestamp }
    RfqExpired { at: Timestamp }
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
    #[error("a quote must be valid for some time after it is made")]
    BadValidity,
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
                request,
                invited,
                response_sla_ms,
                at,
            } => {
                if state.id.is_some() {
                    return Err(RfqError::AlreadyExists);
                }
                if request.title.trim().is_empty() {
                    return Err(RfqError::Missing("a title"));
                }
                if request.quantity == 0 {
                    return Err(RfqError::ZeroQuantity);
                }
                let distinct: BTreeSet<_> = invited.iter().collect();
                if invited.is_empty()
                    || invited.len() > MAX_INVITED
                    || distinct.len() != invited.len()
                {
                    return Err(RfqError::BadInvitations);
                }
                if let Some(target) = request.target_price {
                    positive(target, None)?;
                }
                let respond_by = at + response_sla_ms.max(0);
                if request.deadline <= respond_by {
                    return Err(RfqError::DeadlineTooSoon);
                }
                Ok(vec![E::RfqCreated(RfqCreated {
                    id,
                    buyer,
                    company,
                    request,
                    invited,
                    respond_by,
                    at,
                })])
            }
            C::OpenToPool { at } => {
                // Driven by the SLA timer: a no-op once every invited supplier quoted, or closed.
                let all_quoted = state.invited.iter().all(|s| state.quote_of(*s).is_some());
                if state.pool_open || !state.deciding() || all_quoted || at < state.respond_by {
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
                if valid_until <= at {
                    return Err(RfqError::BadValidity);
                }
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
                if valid_until <= at {
                    return Err(RfqError::BadValidity);
                }
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
                let total = q
                    .unit_price
                    .times(state.quantity)
                    .map_err(|_| RfqError::BadPrice)?;
                let (Some(company), Some(id)) = (state.company, state.id) else {
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
                    title: format!("RFQ {id}"),
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
                Ok(vec![E::RfqCancelled(RfqCancelled { reason, at })])
            }
            C::Expire { at } => {
                if !state.deciding() || at < state.deadline {
                    return Ok(vec![]);
                }
                Ok(vec![E::RfqExpired(RfqExpired { at })])
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

    fn request() -> RfqRequest {
        RfqRequest {
            title: "Custom flange bolts M10×45, Dacromet".into(),
            description: "per drawing".into(),
            category: CategoryId(Uuid::from_u128(5)),
            attributes: BTreeMap::new(),
            quantity: 5000,
            drawings: vec!["files/drawing.pdf".into()],
            target_price: Some(Money::cny(80)),
            deadline: 7 * DAY,
        }
    }

    fn create() -> C {
        C::Create {
            id: RfqId(Uuid::from_u128(100)),
            buyer: BUYER,
            company: CompanyId(Uuid::from_u128(3)),
            request: request(),
            invited: vec![INVITED_A, INVITED_B],
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
            with(|c| if let C::Create { request, .. } = c {
                request.title.clear()
            }),
            Err(RfqError::Missing("a title"))
        );
        assert_eq!(
            with(|c| if let C::Create { request, .. } = c {
                request.quantity = 0
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
                invited.push(INVITED_A)
            }),
            Err(RfqError::BadInvitations)
        );
        assert_eq!(
            with(|c| if let C::Create { request, .. } = c {
                request.deadline = HOUR_MS
            }),
            Err(RfqError::DeadlineTooSoon)
        );
        assert_eq!(
            with(|c| if let C::Create { request, .. } = c {
                request.target_price = Some(Money::cny(0))
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
    fn the_pool_opens_for_a_silent_invitee_but_not_when_all_quoted() {
        let one_quoted = run(open(), vec![quote(1, INVITED_A, 75, HOUR_MS)]);
        assert_eq!(one_quoted.status, RfqStatus::Quoted);
        assert_eq!(
            Rfq::decide(&one_quoted, C::OpenToPool { at: DAY }),
            Ok(vec![RfqEvent::RfqOpenedToPool(RfqOpenedToPool { at: DAY })])
        );
        let all_quoted = run(one_quoted, vec![quote(2, INVITED_B, 74, HOUR_MS)]);
        assert_eq!(
            Rfq::decide(&all_quoted, C::OpenToPool { at: DAY }),
            Ok(vec![])
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
            at,
        };
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
}
