//! The API's types of a deal — RFQ, quote, order, escrow, dispute — each built from its state
//! for one caller: what it may see (a supplier sees only its own quote) and what it may do next
//! (`availableActions`, asked of the domain).

use async_graphql::{SimpleObject, ID};
use zhuchao_domain::actions;
use zhuchao_domain::dispute::DisputeState;
use zhuchao_domain::escrow::EscrowState;
use zhuchao_domain::ids::*;
use zhuchao_domain::order::{OrderSource, OrderState};
use zhuchao_domain::rfq::{Quote, RfqState};

use crate::enums;
use crate::global_id::{encode, Kind};
use crate::read::Lens;
use crate::scalars::DateTime;
use crate::types::{attributes_of, Attribute, MoneyOut};

/// A supplier's offer on an RFQ. Sealed: a supplier sees only its own.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Quote", complex)]
pub struct QuoteOut {
    pub id: ID,
    pub rfq_id: ID,
    pub supplier_id: ID,
    pub unit_price: MoneyOut,
    pub lead_time_days: u32,
    pub valid_until: DateTime,
    pub submitted_at: DateTime,
    pub note: String,
    /// 0 as submitted, then one more for each revision.
    pub revision: u32,
    /// The buyer's latest counter-offer, until the supplier answers with a revision.
    pub counter_offer: Option<MoneyOut>,
    pub status: enums::QuoteStatus,
    pub available_actions: Vec<enums::QuoteAction>,
    #[graphql(skip)]
    pub key: (RfqId, QuoteId),
}

impl QuoteOut {
    pub fn build(rfq: RfqId, r: &RfqState, q: &Quote, lens: &Lens<'_>) -> Self {
        let available_actions = if lens.past {
            vec![]
        } else {
            actions::quote_actions(r, q.id, lens.viewer.asker(), lens.now)
                .into_iter()
                .map(Into::into)
                .collect()
        };
        Self {
            id: encode(Kind::Quote, q.id.0),
            rfq_id: encode(Kind::Rfq, rfq.0),
            supplier_id: encode(Kind::Supplier, q.supplier.0),
            unit_price: q.unit_price.into(),
            lead_time_days: q.lead_time_days,
            valid_until: q.valid_until.into(),
            submitted_at: q.submitted_at.into(),
            note: q.note.clone(),
            revision: q.revision,
            counter_offer: q.counter_offer.map(Into::into),
            status: q.status.into(),
            available_actions,
            key: (rfq, q.id),
        }
    }
}

/// An RFQ's status as `only` (a supplier seeing its own quote only) may see it: whether others
/// quoted is sealed too, so QUOTED reads as OPEN to a supplier.
pub fn sealed_status(
    status: zhuchao_domain::rfq::RfqStatus,
    only: Option<SupplierId>,
) -> enums::RfqStatus {
    match (status, only) {
        (zhuchao_domain::rfq::RfqStatus::Quoted, Some(_)) => enums::RfqStatus::Open,
        _ => status.into(),
    }
}

/// A buyer's request for quotes on a part that is not in the catalogue.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Rfq", complex)]
pub struct RfqOut {
    pub id: ID,
    pub title: String,
    pub description: String,
    pub category_id: Option<ID>,
    /// The wanted attributes (`length` → `35 mm`).
    pub attributes: Vec<Attribute>,
    /// References of the drawings (`/files/…`).
    pub drawings: Vec<String>,
    pub quantity: u64,
    pub target_price: Option<MoneyOut>,
    pub created_at: DateTime,
    /// Quotes are taken until then.
    pub deadline: DateTime,
    /// The invited suppliers are asked to answer by then (the response SLA).
    pub respond_by: DateTime,
    /// Milliseconds left of the response SLA (0 once it has passed).
    pub sla_ms_left: f64,
    /// The invited suppliers; a supplier sees only itself here, and only when invited.
    pub invited_supplier_ids: Vec<ID>,
    /// Open to every active supplier of the category (no invited supplier quoted in time).
    pub pool_open: bool,
    /// To a supplier, QUOTED reads as OPEN: whether rivals quoted is sealed.
    pub status: enums::RfqStatus,
    /// Sealed: the buyer sees every quote, a supplier only its own.
    pub quotes: Vec<QuoteOut>,
    /// The order made from the accepted quote (for the buyer and that quote's supplier).
    pub order_id: Option<ID>,
    pub available_actions: Vec<enums::RfqAction>,
    #[graphql(skip)]
    pub key: RfqId,
}

impl RfqOut {
    /// `only`: the supplier whose own quote alone is shown (`None`: every quote).
    pub fn build(id: RfqId, r: &RfqState, only: Option<SupplierId>, lens: &Lens<'_>) -> Self {
        let request = r.request.as_ref();
        let quotes: Vec<QuoteOut> = r
            .quotes
            .values()
            .filter(|q| only.is_none_or(|s| q.supplier == s))
            .map(|q| QuoteOut::build(id, r, q, lens))
            .collect();
        let sees_award = only.is_none()
            || r.quotes.values().any(|q| {
                Some(q.supplier) == only && q.status == zhuchao_domain::rfq::QuoteStatus::Accepted
            });
        let available_actions = if lens.past {
            vec![]
        } else {
            let (may_sell, serves) = match only {
                Some(s) => lens.views.suppliers.get(&s).map_or((false, false), |st| {
                    (
                        st.may_sell_at(lens.now),
                        r.category.is_some_and(|c| st.categories.contains(&c)),
                    )
                }),
                None => (false, false),
            };
            actions::rfq_actions(r, lens.viewer.asker(), may_sell, serves, lens.now)
                .into_iter()
                .map(Into::into)
                .collect()
        };
        Self {
            id: encode(Kind::Rfq, id.0),
            title: request.map(|q| q.title.clone()).unwrap_or_default(),
            description: request.map(|q| q.description.clone()).unwrap_or_default(),
            category_id: r.category.map(|c| encode(Kind::Category, c.0)),
            attributes: request
                .map(|q| attributes_of(&q.attributes, &lens.names(r.category)))
                .unwrap_or_default(),
            drawings: request
                .map(|q| q.drawings.iter().map(|d| d.to_string()).collect())
                .unwrap_or_default(),
            quantity: r.quantity,
            target_price: r.target_price.map(Into::into),
            created_at: r.created_at.into(),
            deadline: r.deadline.into(),
            respond_by: r.respond_by.into(),
            sla_ms_left: (r.respond_by - lens.now).max(0) as f64,
            invited_supplier_ids: match only {
                Some(me) => r
                    .invited
                    .contains(&me)
                    .then(|| encode(Kind::Supplier, me.0))
                    .into_iter()
                    .collect(),
                None => r
                    .invited
                    .iter()
                    .map(|s| encode(Kind::Supplier, s.0))
                    .collect(),
            },
            pool_open: r.pool_open,
            status: sealed_status(r.status, only),
            quotes,
            order_id: r
                .awarded_order
                .filter(|_| sees_award)
                .map(|o| encode(Kind::Order, o.0)),
            available_actions,
            key: id,
        }
    }
}

/// What the platform holds of an order's money.
#[derive(SimpleObject, Clone, Debug)]
pub struct Escrow {
    /// What the buyer is to pay in.
    pub expected: Option<MoneyOut>,
    pub funded: Option<MoneyOut>,
    /// Paid out to the supplier so far.
    pub released: Option<MoneyOut>,
    /// Given back to the buyer so far.
    pub refunded: Option<MoneyOut>,
    /// Still held.
    pub remaining: MoneyOut,
    /// The dispute that holds it, while one does.
    pub held_by_dispute_id: Option<ID>,
}

impl From<&EscrowState> for Escrow {
    fn from(e: &EscrowState) -> Self {
        Self {
            expected: e.expected.map(Into::into),
            funded: e.funded.map(Into::into),
            released: e.released.map(Into::into),
            refunded: e.refunded.map(Into::into),
            remaining: e.remaining().into(),
            held_by_dispute_id: e.held_by.map(|d| encode(Kind::Dispute, d.0)),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct OrderLine {
    /// The catalogue product (none for an order made from a quote).
    pub product_id: Option<ID>,
    pub title: String,
    pub quantity: u64,
    pub unit_price: MoneyOut,
    pub total: MoneyOut,
}

/// A buyer company's order from one supplier, paid into escrow.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Order", complex)]
pub struct OrderOut {
    pub id: ID,
    /// For people: `ZC-20261202-00042` (the day it was placed, China time, and its place among
    /// that day's orders). Unique; sorts in the order the marketplace recorded the orders (two
    /// placed in the same instant may differ from `placedAt` by a few milliseconds).
    pub number: String,
    pub company_id: Option<ID>,
    pub supplier_id: Option<ID>,
    /// The RFQ and quote it was made from, when it was.
    pub rfq_id: Option<ID>,
    pub quote_id: Option<ID>,
    pub lines: Vec<OrderLine>,
    pub shipping: Option<MoneyOut>,
    pub total: Option<MoneyOut>,
    /// Where it is delivered.
    pub address: String,
    pub status: enums::OrderStatus,
    pub placed_at: Option<DateTime>,
    pub delivered_at: Option<DateTime>,
    pub received_at: Option<DateTime>,
    /// The dispute that holds it, while one does.
    pub dispute_id: Option<ID>,
    pub escrow: Option<Escrow>,
    pub available_actions: Vec<enums::OrderAction>,
    #[graphql(skip)]
    pub key: OrderId,
}

impl OrderOut {
    pub fn build(
        id: OrderId,
        o: &OrderState,
        escrow: Option<&EscrowState>,
        lens: &Lens<'_>,
    ) -> Self {
        let available_actions = if lens.past {
            vec![]
        } else {
            let rated = lens.views.is_rated(id);
            actions::order_actions(o, lens.viewer.asker(), rated, lens.now)
                .into_iter()
                .map(Into::into)
                .collect()
        };
        let (rfq_id, quote_id) = match o.source {
            Some(OrderSource::Quote { rfq, quote }) => (
                Some(encode(Kind::Rfq, rfq.0)),
                Some(encode(Kind::Quote, quote.0)),
            ),
            _ => (None, None),
        };
        Self {
            id: encode(Kind::Order, id.0),
            number: lens.views.order_number(id).unwrap_or_default(),
            company_id: o.company.map(|c| encode(Kind::Company, c.0)),
            supplier_id: o.supplier.map(|s| encode(Kind::Supplier, s.0)),
            rfq_id,
            quote_id,
            lines: o
                .lines
                .iter()
                .map(|l| OrderLine {
                    product_id: l.product.map(|p| encode(Kind::Product, p.0)),
                    title: l.title.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price.into(),
                    total: l.total.into(),
                })
                .collect(),
            shipping: o.shipping.map(Into::into),
            total: o.total.map(Into::into),
            address: o.address.clone().unwrap_or_default(),
            status: o.status.into(),
            placed_at: o.placed_at.map(Into::into),
            delivered_at: o.delivered_at.map(Into::into),
            received_at: o.received_at.map(Into::into),
            dispute_id: o.dispute.map(|d| encode(Kind::Dispute, d.0)),
            escrow: escrow.map(Into::into),
            available_actions,
            key: id,
        }
    }
}

/// A statement and files one side of a dispute gave.
#[derive(SimpleObject, Clone, Debug)]
pub struct Evidence {
    pub party: enums::Party,
    pub text: String,
    pub files: Vec<String>,
    pub at: DateTime,
}

/// How a dispute was ruled.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Ruling")]
pub struct RulingOut {
    /// Given back to the buyer from escrow.
    pub refund: MoneyOut,
    /// Paid out to the supplier from escrow.
    pub release: MoneyOut,
    /// Taken from the supplier's deposit.
    pub penalty: Option<MoneyOut>,
    /// Whether the supplier was warned (on its credit record).
    pub warned: bool,
    /// The agent's reasons.
    pub note: String,
    /// Ruled for the opener because the other side did not answer in time.
    pub by_default: bool,
    pub at: DateTime,
}

/// A claim on an order's escrow, ruled by an agent.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Dispute", complex)]
pub struct DisputeOut {
    pub id: ID,
    pub order_id: Option<ID>,
    /// The disputed order's number, for people (`ZC-20261202-00042`).
    pub order_number: Option<String>,
    /// Why it was opened.
    pub reason: Option<enums::DisputeReason>,
    pub opened_at: Option<DateTime>,
    pub supplier_id: Option<ID>,
    pub opened_by: Option<enums::Party>,
    /// What the opener claims of what escrow holds.
    pub claimed: Option<MoneyOut>,
    /// What escrow held when it opened.
    pub held: Option<MoneyOut>,
    /// The other side is to answer by then, or the opener wins by default.
    pub answer_by: DateTime,
    /// The agent who took it.
    pub agent_id: Option<ID>,
    pub status: enums::DisputeStatus,
    pub evidence: Vec<Evidence>,
    /// How it was decided, once ruled.
    pub ruling: Option<RulingOut>,
    pub available_actions: Vec<enums::DisputeAction>,
    #[graphql(skip)]
    pub key: DisputeId,
}

impl DisputeOut {
    pub fn build(id: DisputeId, d: &DisputeState, lens: &Lens<'_>) -> Self {
        let available_actions = if lens.past {
            vec![]
        } else {
            actions::dispute_actions(d, lens.viewer.asker(), lens.now)
                .into_iter()
                .map(Into::into)
                .collect()
        };
        Self {
            id: encode(Kind::Dispute, id.0),
            order_id: d.order.map(|o| encode(Kind::Order, o.0)),
            order_number: d.order.and_then(|o| lens.views.order_number(o)),
            reason: d.reason.map(Into::into),
            opened_at: d.order.map(|_| d.opened_at.into()),
            supplier_id: d.supplier.map(|s| encode(Kind::Supplier, s.0)),
            opened_by: d.opened_by.map(Into::into),
            claimed: d.claimed.map(Into::into),
            held: d.held.map(Into::into),
            answer_by: d.answer_by.into(),
            agent_id: d
                .agent
                .filter(|_| lens.viewer.is_staff())
                .map(|a| encode(Kind::User, a.0)),
            status: d.status.into(),
            evidence: d
                .evidence
                .iter()
                .map(|e| Evidence {
                    party: e.party.into(),
                    text: e.text.clone(),
                    files: e.files.clone(),
                    at: e.at.into(),
                })
                .collect(),
            ruling: d.ruling.as_ref().map(|r| RulingOut {
                refund: r.refund.into(),
                release: r.release.into(),
                penalty: r.penalty.map(Into::into),
                warned: r.warned,
                note: r.note.clone(),
                by_default: r.by_default,
                at: r.at.into(),
            }),
            available_actions,
            key: id,
        }
    }
}
