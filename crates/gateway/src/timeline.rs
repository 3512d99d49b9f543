//! How each stored event reads for one caller: a typed timeline entry — when, who (a name and a
//! role, never an internal id), what kind, a sentence, and which fields changed — made from the
//! decoded, upcast event and the states before and after it, never from the stored body. What a
//! caller may not know is left out: idempotency keys and payment ids for everyone, a rival's quote
//! for a supplier, an agent's name for the parties.

use async_graphql::{Enum, SimpleObject, ID};
use zhuchao_domain::dispute::{Dispute, DisputeEvent, DisputeState};
use zhuchao_domain::escrow::{Escrow, EscrowEvent, EscrowState, PayoutReason};
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{Order, OrderEvent, OrderState, Party};
use zhuchao_domain::payment::{Payment, PaymentEvent};
use zhuchao_domain::review::{Review, ReviewEvent};
use zhuchao_domain::rfq::{Rfq, RfqEvent, RfqState};
use zhuchao_domain::supplier::{Supplier, SupplierEvent, SupplierState};
use zhuchao_domain::{Aggregate, Timestamp};

use crate::auth::Viewer;
use crate::global_id::{encode, Kind};
use crate::scalars::DateTime;
use zhuchao_views::Catalog;

/// Who did something, as the caller may know them.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct Actor {
    /// A person of the caller's own company or supplier, or a company's name for the other
    /// side, "Zhuchao customer service" for agents, "Zhuchao" for the marketplace's own rules.
    pub name: String,
    pub role: ActorRole,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorRole {
    Buyer,
    Supplier,
    Agent,
    Admin,
    /// The marketplace acting on its rules (payments, timers, deadlines).
    System,
    /// Someone not signed in (an applicant registering).
    Visitor,
}

/// A field of the subject that an entry changed, as shown to people.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct Change {
    /// The field's name in the API (`status`, `total`, `quote.unitPrice`).
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One thing that happened to a deal, an RFQ, a quote, an order, a dispute or a supplier.
#[derive(SimpleObject, Clone, Debug)]
pub struct TimelineEntry {
    pub at: DateTime,
    /// The store's global position of the event: `asOfPosition` reads objects right after it.
    pub position: String,
    pub actor: Actor,
    pub kind: TimelineEntryKind,
    /// The object it happened to.
    pub subject_id: ID,
    /// For people, in English.
    pub summary: String,
    pub changes: Vec<Change>,
}

/// What happened.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimelineEntryKind {
    RfqCreated,
    RfqOpenedToPool,
    QuoteSubmitted,
    QuoteRevised,
    CounterOffered,
    QuoteExpired,
    QuoteAccepted,
    QuoteNotSelected,
    RfqCancelled,
    RfqExpired,
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
    OrderDisputeResolved,
    PaymentCaptured,
    EscrowOpened,
    EscrowFunded,
    EscrowReleased,
    EscrowRefunded,
    EscrowHeld,
    EscrowUnheld,
    DisputeOpened,
    EvidenceSubmitted,
    DisputeAssigned,
    DisputeRuled,
    DisputeWithdrawn,
    DisputeAbandoned,
    OrderRated,
    SupplierApplied,
    DocumentSubmitted,
    DocumentExpired,
    SupplierLapsed,
    DocumentApproved,
    DocumentRejected,
    DepositPaid,
    SupplierActivated,
    SupplierWarned,
    SupplierSuspended,
    SupplierReinstated,
    PenaltyDeducted,
    SupplierExited,
    LowRatingRecorded,
}

/// Who reads the timeline, and where names come from.
pub struct Reader<'a> {
    pub viewer: &'a Viewer,
    pub views: &'a Catalog,
}

/// What an event says to a reader, before its time, position and actor are added.
pub struct Described {
    pub kind: TimelineEntryKind,
    pub subject: ID,
    pub summary: String,
    pub changes: Vec<Change>,
}

impl Reader<'_> {
    /// The name and role of `actor` (`user:<id>`, `process:…`) as this reader may know them.
    pub fn actor(&self, actor: Option<&str>) -> Actor {
        let system = || Actor {
            name: "Zhuchao".into(),
            role: ActorRole::System,
        };
        let Some(user) = actor
            .and_then(|a| a.strip_prefix("user:"))
            .and_then(|u| u.parse().ok())
            .map(UserId)
        else {
            return match actor {
                Some("anonymous") => Actor {
                    name: "a visitor".into(),
                    role: ActorRole::Visitor,
                },
                _ => system(),
            };
        };
        use zhuchao_domain::account::Role;
        let Some(account) = self.views.account_of(user) else {
            return system();
        };
        let own = self.viewer.user() == Some(user);
        match account.role.as_ref() {
            Some(Role::Buyer {
                company,
                company_name,
            }) => {
                let colleague =
                    matches!(self.viewer, Viewer::Buyer { company: c, .. } if c == company);
                Actor {
                    name: if own || colleague || self.viewer.is_staff() {
                        account.name.clone()
                    } else {
                        company_name.clone()
                    },
                    role: ActorRole::Buyer,
                }
            }
            Some(Role::Supplier { supplier }) => {
                let colleague =
                    matches!(self.viewer, Viewer::Supplier { supplier: s, .. } if s == supplier);
                let company = self
                    .views
                    .suppliers
                    .get(supplier)
                    .map(|s| s.company_name.clone())
                    .unwrap_or_default();
                Actor {
                    name: if own || colleague || self.viewer.is_staff() {
                        account.name.clone()
                    } else {
                        company
                    },
                    role: ActorRole::Supplier,
                }
            }
            Some(staff @ (Role::Agent | Role::Admin)) => Actor {
                name: if self.viewer.is_staff() {
                    account.name.clone()
                } else {
                    "Zhuchao customer service".into()
                },
                role: if matches!(staff, Role::Admin) {
                    ActorRole::Admin
                } else {
                    ActorRole::Agent
                },
            },
            None => system(),
        }
    }

    fn supplier_name(&self, id: SupplierId) -> String {
        self.views
            .suppliers
            .get(&id)
            .map_or_else(|| "a supplier".into(), |s| s.company_name.clone())
    }

    /// The supplier whose own quotes alone this reader sees on an RFQ (`None`: all of them).
    fn sealed_to(&self) -> Option<SupplierId> {
        match self.viewer {
            Viewer::Supplier { supplier, .. } => Some(*supplier),
            _ => None,
        }
    }
}

/// The fields of a state as shown, for diffs: `(field, value)`.
type Fields = Vec<(String, String)>;

/// The changes between two renderings of a subject.
fn diff(before: &Fields, after: &Fields) -> Vec<Change> {
    let mut changes = Vec::new();
    for (field, to) in after {
        let from = before.iter().find(|(f, _)| f == field).map(|(_, v)| v);
        if from != Some(to) {
            changes.push(Change {
                field: field.clone(),
                from: from.cloned(),
                to: Some(to.clone()),
            });
        }
    }
    for (field, from) in before {
        if !after.iter().any(|(f, _)| f == field) {
            changes.push(Change {
                field: field.clone(),
                from: Some(from.clone()),
                to: None,
            });
        }
    }
    changes
}

fn money(m: Money) -> String {
    m.to_string()
}

fn date(at: Timestamp) -> String {
    DateTime(at).to_rfc3339()
}

/// An enum value as the API names it (`PENDING_PAYMENT`).
fn api_name<T: async_graphql::resolver_utils::EnumType>(value: T) -> String {
    T::items()
        .iter()
        .find(|item| item.value == value)
        .map_or_else(String::new, |item| item.name.to_string())
}

fn party(p: Party) -> &'static str {
    match p {
        Party::Buyer => "the buyer",
        Party::Supplier => "the supplier",
        Party::Agent => "customer service",
        Party::Platform => "Zhuchao",
    }
}

/// At most a paragraph of someone's text in a sentence.
fn quoted(text: &str) -> String {
    const MOST: usize = 200;
    let mut out: String = text.chars().take(MOST).collect();
    if text.chars().count() > MOST {
        out.push('…');
    }
    out
}

/// An aggregate whose events make timeline entries.
pub trait Chronicle: Aggregate {
    /// What `event` (which turned `before` into `after`) says to `reader`; `None` when it is
    /// none of the reader's business.
    fn describe(
        event: &Self::Event,
        id: uuid::Uuid,
        before: &Self::State,
        after: &Self::State,
        reader: &Reader<'_>,
    ) -> Option<Described>;
}

fn order_fields(o: &OrderState) -> Fields {
    if o.id.is_none() {
        return vec![];
    }
    let mut f = vec![(
        "status".to_string(),
        api_name(crate::enums::OrderStatus::from(o.status)),
    )];
    if let Some(t) = o.total {
        f.push(("total".into(), money(t)));
    }
    if let Some(a) = o.address.as_ref().filter(|a| !a.is_empty()) {
        f.push(("address".into(), a.clone()));
    }
    if let Some(d) = o.delivered_at {
        f.push(("deliveredAt".into(), date(d)));
    }
    if let Some(r) = o.received_at {
        f.push(("receivedAt".into(), date(r)));
    }
    if let Some(d) = o.dispute {
        f.push(("disputeId".into(), encode(Kind::Dispute, d.0).to_string()));
    }
    f
}

impl Chronicle for Order {
    fn describe(
        event: &OrderEvent,
        id: uuid::Uuid,
        before: &OrderState,
        after: &OrderState,
        _: &Reader<'_>,
    ) -> Option<Described> {
        use OrderEvent as E;
        use TimelineEntryKind as K;
        let (kind, summary) = match event {
            E::OrderPlaced(e) => (
                K::OrderPlaced,
                format!(
                    "Order placed: {} line{}, {} in all with {} shipping",
                    e.lines.len(),
                    if e.lines.len() == 1 { "" } else { "s" },
                    e.total,
                    e.shipping
                ),
            ),
            E::OrderPaid(_) => (K::OrderPaid, "Paid into escrow".to_string()),
            E::PaidAfterCancellation(_) => (
                K::PaidAfterCancellation,
                "Payment arrived after the order was cancelled; it goes back to the buyer".into(),
            ),
            E::OrderAbandoned(_) => (
                K::OrderAbandoned,
                "Placing stopped halfway; the reserved stock went back".into(),
            ),
            E::OrderShipped(e) => (
                K::OrderShipped,
                format!("Shipped by {}, tracking number {}", e.carrier, e.tracking),
            ),
            E::OrderDelivered(_) => (K::OrderDelivered, "Delivered".into()),
            E::OrderReceived(e) => (
                K::OrderReceived,
                if e.automatic {
                    "Counted as received: the confirmation period passed".into()
                } else {
                    "The buyer confirmed receipt".into()
                },
            ),
            E::OrderCompleted(_) => (K::OrderCompleted, "Completed".into()),
            E::OrderCancelled(e) => (
                K::OrderCancelled,
                format!("Cancelled by {}: {}", party(e.party), quoted(&e.reason)),
            ),
            E::ReturnRequested(e) => (
                K::ReturnRequested,
                format!("Return requested: {}", quoted(&e.reason)),
            ),
            E::ReturnApproved(_) => (K::ReturnApproved, "Return approved".into()),
            E::ReturnRejected(e) => (
                K::ReturnRejected,
                format!("Return refused: {}", quoted(&e.reason)),
            ),
            E::ReturnShipped(e) => (
                K::ReturnShipped,
                format!(
                    "Return shipped by {}, tracking number {}",
                    e.carrier, e.tracking
                ),
            ),
            E::ReturnReceived(_) => (K::ReturnReceived, "Returned goods received".into()),
            E::OrderRefunded(e) => (K::OrderRefunded, format!("Refunded {}", e.amount)),
            E::OrderDisputed(_) => (K::OrderDisputed, "A dispute holds the order".into()),
            E::OrderDisputeEnded(_) => (
                K::OrderDisputeEnded,
                "The dispute ended without a ruling; the order goes on".into(),
            ),
            E::OrderDisputeResolved(e) => (
                K::OrderDisputeResolved,
                format!(
                    "Dispute ruled: {} refunded, {} released",
                    e.refunded, e.released
                ),
            ),
        };
        Some(Described {
            kind,
            subject: encode(Kind::Order, id),
            summary,
            changes: diff(&order_fields(before), &order_fields(after)),
        })
    }
}

impl Chronicle for Payment {
    fn describe(
        event: &PaymentEvent,
        id: uuid::Uuid,
        _: &Self::State,
        _: &Self::State,
        _: &Reader<'_>,
    ) -> Option<Described> {
        // The provider's payment id and the buyer's idempotency key stay out.
        let PaymentEvent::PaymentCaptured(e) = event;
        Some(Described {
            kind: TimelineEntryKind::PaymentCaptured,
            subject: encode(Kind::Order, id),
            summary: format!("Payment of {} taken by the payment provider", e.amount),
            changes: vec![],
        })
    }
}

fn escrow_fields(e: &EscrowState) -> Fields {
    let mut f = Vec::new();
    for (field, value) in [
        ("escrow.funded", e.funded),
        ("escrow.released", e.released),
        ("escrow.refunded", e.refunded),
    ] {
        if let Some(v) = value {
            f.push((field.to_string(), money(v)));
        }
    }
    if e.expected.is_some() {
        f.push(("escrow.remaining".into(), money(e.remaining())));
    }
    if let Some(d) = e.held_by {
        f.push((
            "escrow.heldByDisputeId".into(),
            encode(Kind::Dispute, d.0).to_string(),
        ));
    }
    f
}

fn payout(reason: PayoutReason) -> &'static str {
    match reason {
        PayoutReason::Receipt => "on receipt",
        PayoutReason::AutoRelease => "after the confirmation period",
        PayoutReason::Refund => "as a refund",
        PayoutReason::Ruling => "by a ruling",
    }
}

impl Chronicle for Escrow {
    fn describe(
        event: &EscrowEvent,
        id: uuid::Uuid,
        before: &EscrowState,
        after: &EscrowState,
        _: &Reader<'_>,
    ) -> Option<Described> {
        use EscrowEvent as E;
        use TimelineEntryKind as K;
        let (kind, summary) = match event {
            E::EscrowOpened(e) => (K::EscrowOpened, format!("Escrow opened for {}", e.amount)),
            E::EscrowFunded(e) => (K::EscrowFunded, format!("{} held in escrow", e.amount)),
            E::EscrowReleased(e) => (
                K::EscrowReleased,
                format!("{} paid to the supplier {}", e.amount, payout(e.reason)),
            ),
            E::EscrowRefunded(e) => (
                K::EscrowRefunded,
                format!("{} given back to the buyer {}", e.amount, payout(e.reason)),
            ),
            E::EscrowHeld(_) => (K::EscrowHeld, "Escrow held by a dispute".into()),
            E::EscrowUnheld(_) => (K::EscrowUnheld, "Escrow no longer held".into()),
        };
        Some(Described {
            kind,
            subject: encode(Kind::Order, id),
            summary,
            changes: diff(&escrow_fields(before), &escrow_fields(after)),
        })
    }
}

fn dispute_fields(d: &DisputeState) -> Fields {
    if d.id.is_none() {
        return vec![];
    }
    let mut f = vec![(
        "status".to_string(),
        api_name(crate::enums::DisputeStatus::from(d.status)),
    )];
    if let Some(c) = d.claimed {
        f.push(("claimed".into(), money(c)));
    }
    f.push(("evidence".into(), d.evidence.len().to_string()));
    f
}

impl Chronicle for Dispute {
    fn describe(
        event: &DisputeEvent,
        id: uuid::Uuid,
        before: &DisputeState,
        after: &DisputeState,
        reader: &Reader<'_>,
    ) -> Option<Described> {
        use DisputeEvent as E;
        use TimelineEntryKind as K;
        let (kind, summary) = match event {
            E::DisputeOpened(e) => (
                K::DisputeOpened,
                format!(
                    "Dispute opened by {} ({}): claims {} of {} held — {}",
                    party(e.opened_by),
                    api_name(crate::enums::DisputeReason::from(e.reason)),
                    e.claimed,
                    e.held,
                    quoted(&e.statement)
                ),
            ),
            E::EvidenceSubmitted(e) => (
                K::EvidenceSubmitted,
                format!(
                    "Evidence from {}{}{}",
                    party(e.evidence.party),
                    if e.evidence.text.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", quoted(&e.evidence.text))
                    },
                    match e.evidence.files.len() {
                        0 => String::new(),
                        1 => " (1 file)".into(),
                        n => format!(" ({n} files)"),
                    }
                ),
            ),
            E::DisputeAssigned(_) => (
                K::DisputeAssigned,
                "Customer service took the dispute".into(),
            ),
            E::DisputeRuled(e) => {
                let mut s = format!(
                    "{}: {} refunded to the buyer, {} released to the supplier",
                    if e.by_default {
                        "Ruled for the opener by default (no answer in time)"
                    } else {
                        "Ruled"
                    },
                    e.refund,
                    e.release
                );
                if let Some(p) = e.penalty {
                    s.push_str(&format!("; a penalty of {p} from the deposit"));
                }
                if e.warn {
                    s.push_str("; the supplier is warned");
                }
                if !e.note.is_empty() {
                    s.push_str(&format!(" — {}", quoted(&e.note)));
                }
                (K::DisputeRuled, s)
            }
            E::DisputeWithdrawn(e) => (
                K::DisputeWithdrawn,
                format!("Withdrawn by {}", party(e.party)),
            ),
            E::DisputeAbandoned(_) => (K::DisputeAbandoned, "The dispute was never opened".into()),
        };
        let _ = reader;
        Some(Described {
            kind,
            subject: encode(Kind::Dispute, id),
            summary,
            changes: diff(&dispute_fields(before), &dispute_fields(after)),
        })
    }
}

impl Chronicle for Review {
    fn describe(
        event: &ReviewEvent,
        id: uuid::Uuid,
        _: &Self::State,
        _: &Self::State,
        _: &Reader<'_>,
    ) -> Option<Described> {
        let ReviewEvent::OrderRated(e) = event;
        Some(Described {
            kind: TimelineEntryKind::OrderRated,
            subject: encode(Kind::Order, id),
            summary: format!(
                "Rated: quality {}, delivery {}, service {}{}",
                e.quality,
                e.delivery,
                e.service,
                if e.comment.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", quoted(&e.comment))
                }
            ),
            changes: vec![],
        })
    }
}

fn rfq_fields(r: &RfqState, sealed: Option<SupplierId>) -> Fields {
    if r.id.is_none() {
        return vec![];
    }
    vec![
        (
            "status".to_string(),
            api_name(crate::trade::sealed_status(r.status, sealed)),
        ),
        ("poolOpen".into(), r.pool_open.to_string()),
    ]
}

fn quote_fields(r: &RfqState, quote: QuoteId) -> Fields {
    let Some(q) = r.quotes.get(&quote) else {
        return vec![];
    };
    let mut f = vec![
        ("quote.unitPrice".to_string(), money(q.unit_price)),
        ("quote.leadTimeDays".into(), q.lead_time_days.to_string()),
        ("quote.validUntil".into(), date(q.valid_until)),
        ("quote.note".into(), q.note.clone()),
        (
            "quote.status".into(),
            api_name(crate::enums::QuoteStatus::from(q.status)),
        ),
    ];
    if let Some(c) = q.counter_offer {
        f.push(("quote.counterOffer".into(), money(c)));
    }
    f
}

impl Chronicle for Rfq {
    fn describe(
        event: &RfqEvent,
        id: uuid::Uuid,
        before: &RfqState,
        after: &RfqState,
        reader: &Reader<'_>,
    ) -> Option<Described> {
        use RfqEvent as E;
        use TimelineEntryKind as K;
        let sealed = reader.sealed_to();
        // A quote's events are its supplier's and the buyer's: rivals never see them.
        let about = |quote: QuoteId, supplier: SupplierId| {
            sealed.is_none_or(|s| s == supplier).then_some(quote)
        };
        let (kind, quote, summary) = match event {
            E::RfqCreated(e) => (
                K::RfqCreated,
                None,
                format!(
                    "RFQ sent for {} pieces, quotes until {}{}",
                    e.request.quantity,
                    date(e.request.deadline),
                    match sealed {
                        Some(s) if e.invited.contains(&s) => ", invited you".to_string(),
                        Some(_) => String::new(),
                        None => format!(
                            ", {} supplier{} invited",
                            e.invited.len(),
                            if e.invited.len() == 1 { "" } else { "s" }
                        ),
                    }
                ),
            ),
            E::RfqOpenedToPool(_) => (
                K::RfqOpenedToPool,
                None,
                "No invited supplier quoted in time: open to every supplier of the category".into(),
            ),
            E::QuoteSubmitted(e) => (
                K::QuoteSubmitted,
                Some(about(e.quote, e.supplier)?),
                format!(
                    "{} quoted {} per piece, {} days' lead time, valid until {}",
                    reader.supplier_name(e.supplier),
                    e.unit_price,
                    e.lead_time_days,
                    date(e.valid_until)
                ),
            ),
            E::QuoteRevised(e) => (
                K::QuoteRevised,
                Some(about(e.quote, e.supplier)?),
                format!(
                    "{} revised its quote (revision {}): {} per piece",
                    reader.supplier_name(e.supplier),
                    e.revision,
                    e.unit_price
                ),
            ),
            E::CounterOffered(e) => (
                K::CounterOffered,
                Some(about(e.quote, e.supplier)?),
                format!("The buyer offered {} per piece", e.unit_price),
            ),
            E::QuoteExpired(e) => (
                K::QuoteExpired,
                Some(about(e.quote, e.supplier)?),
                format!("The quote of {} expired", reader.supplier_name(e.supplier)),
            ),
            E::QuoteAccepted(e) => {
                let mine = sealed.is_none_or(|s| s == e.supplier);
                (
                    K::QuoteAccepted,
                    mine.then_some(e.quote),
                    if mine {
                        format!(
                            "The quote of {} was accepted: {} pieces at {}, {} in all",
                            reader.supplier_name(e.supplier),
                            e.quantity,
                            e.unit_price,
                            e.total
                        )
                    } else {
                        "The buyer accepted another quote".into()
                    },
                )
            }
            E::QuoteNotSelected(e) => (
                K::QuoteNotSelected,
                Some(about(e.quote, e.supplier)?),
                format!(
                    "The quote of {} was not selected",
                    reader.supplier_name(e.supplier)
                ),
            ),
            E::RfqCancelled(e) => (
                K::RfqCancelled,
                None,
                format!("The buyer cancelled the RFQ: {}", quoted(&e.reason)),
            ),
            E::RfqExpired(_) => (K::RfqExpired, None, "The RFQ's deadline passed".into()),
        };
        let mut changes = diff(&rfq_fields(before, sealed), &rfq_fields(after, sealed));
        if let Some(q) = quote {
            changes.extend(diff(&quote_fields(before, q), &quote_fields(after, q)));
        }
        Some(Described {
            kind,
            subject: match quote {
                Some(q) => encode(Kind::Quote, q.0),
                None => encode(Kind::Rfq, id),
            },
            summary,
            changes,
        })
    }
}

fn supplier_fields(s: &SupplierState) -> Fields {
    if s.id.is_none() {
        return vec![];
    }
    let mut f = vec![(
        "status".to_string(),
        api_name(crate::enums::SupplierStatus::from(s.status)),
    )];
    f.push(("warnings".into(), s.warnings.to_string()));
    if let Some(d) = s.deposit_held {
        f.push(("depositHeld".into(), money(d)));
    }
    for (kind, d) in &s.documents {
        f.push((
            format!(
                "documents.{}",
                api_name(crate::enums::DocumentKind::from(*kind))
            ),
            api_name(crate::enums::DocumentReview::from(&d.review)),
        ));
    }
    f
}

impl Chronicle for Supplier {
    fn describe(
        event: &SupplierEvent,
        id: uuid::Uuid,
        before: &SupplierState,
        after: &SupplierState,
        _: &Reader<'_>,
    ) -> Option<Described> {
        use SupplierEvent as E;
        use TimelineEntryKind as K;
        let kind_name = |k| api_name(crate::enums::DocumentKind::from(k));
        let (kind, summary) = match event {
            E::SupplierApplied(e) => (
                K::SupplierApplied,
                format!(
                    "{} applied with credit code {}; a deposit of {} is asked",
                    e.company_name, e.credit_code, e.deposit_required
                ),
            ),
            E::DocumentSubmitted(e) => (
                K::DocumentSubmitted,
                format!("{} submitted", kind_name(e.kind)),
            ),
            E::DocumentExpired(e) => (
                K::DocumentExpired,
                format!("{} expired on {}", kind_name(e.kind), date(e.expired_on)),
            ),
            E::SupplierLapsed(_) => (
                K::SupplierLapsed,
                "Lapsed: a mandatory document expired".into(),
            ),
            E::DocumentApproved(e) => (
                K::DocumentApproved,
                format!("{} approved", kind_name(e.kind)),
            ),
            E::DocumentRejected(e) => (
                K::DocumentRejected,
                format!("{} rejected: {}", kind_name(e.kind), quoted(&e.reason)),
            ),
            E::DepositPaid(e) => (
                K::DepositPaid,
                format!("Deposit of {} paid; {} held", e.amount, e.held),
            ),
            E::SupplierActivated(_) => (K::SupplierActivated, "Selling on Zhuchao".into()),
            E::SupplierWarned(e) => (
                K::SupplierWarned,
                format!("Warning {}: {}", e.warnings, quoted(&e.reason)),
            ),
            E::SupplierSuspended(e) => (
                K::SupplierSuspended,
                format!("Suspended: {}", quoted(&e.reason)),
            ),
            E::SupplierReinstated(_) => (K::SupplierReinstated, "Reinstated".into()),
            E::PenaltyDeducted(e) => (
                K::PenaltyDeducted,
                format!(
                    "A penalty of {} taken from the deposit: {}{}",
                    e.amount,
                    quoted(&e.reason),
                    e.shortfall
                        .map(|s| format!(" ({s} more is owed)"))
                        .unwrap_or_default()
                ),
            ),
            E::SupplierExited(e) => (
                K::SupplierExited,
                format!(
                    "Exited: {}; {} of the deposit returned",
                    quoted(&e.reason),
                    e.deposit_returned
                ),
            ),
            E::LowRatingRecorded(e) => (
                K::LowRatingRecorded,
                format!("A low rating recorded ({} so far)", e.low_ratings),
            ),
        };
        Some(Described {
            kind,
            subject: encode(Kind::Supplier, id),
            summary,
            changes: diff(&supplier_fields(before), &supplier_fields(after)),
        })
    }
}
