//! What event sourcing gives a deal: its whole history, and its state as of any moment. Streams
//! are read from the store and folded with the domain's own `evolve`, so a timeline and an as-of
//! read agree with the present state by construction. Timelines: an RFQ's, a quote's, an order's
//! (with its payment, escrow, disputes and review), a dispute's, a supplier's, and a deal's —
//! all of these from RFQ to review, for those allowed to see each part.

use async_graphql::{ComplexObject, Context, SimpleObject, ID};
use uuid::Uuid;
use zhuchao_app::handler::decode_recorded;
use zhuchao_domain::dispute::Dispute;
use zhuchao_domain::escrow::Escrow;
use zhuchao_domain::ids::*;
use zhuchao_domain::order::{Order, OrderEvent, OrderSource};
use zhuchao_domain::payment::Payment;
use zhuchao_domain::review::Review;
use zhuchao_domain::rfq::Rfq;
use zhuchao_domain::supplier::Supplier;
use zhuchao_domain::{Aggregate, Timestamp};
use zhuchao_eventstore::{Direction, EventStore, RecordedEvent, StreamFrom};

use crate::api::api;
use crate::errors::{bad_request, internal, not_found};
use crate::global_id::{decode_any, Kind};
use crate::read::{look, look_at, Lens};
use crate::scalars::DateTime;
use crate::supplier_profile::SupplierOut;
use crate::timeline::{Chronicle, Reader, TimelineEntry};
use crate::trade::{DisputeOut, OrderOut, QuoteOut, RfqOut};

/// The most events one stream's history reads.
const MOST_EVENTS: usize = 10_000;

/// A moment to read objects as of: an instant, or right after a global position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    At(Timestamp),
    Position(u64),
}

impl Moment {
    /// The moment `asOf` or `asOfPosition` names (one of them at most); `None` for now.
    pub fn from_args(
        as_of: Option<DateTime>,
        as_of_position: Option<String>,
    ) -> async_graphql::Result<Option<Moment>> {
        match (as_of, as_of_position) {
            (None, None) => Ok(None),
            (Some(at), None) => Ok(Some(Moment::At(at.0))),
            (None, Some(p)) => p
                .trim()
                .parse()
                .map(|p| Some(Moment::Position(p)))
                .map_err(|_| {
                    bad_request("asOfPosition must be a position the API gave (a timeline entry's)")
                }),
            (Some(_), Some(_)) => Err(bad_request("give asOf or asOfPosition, not both")),
        }
    }

    fn includes(self, event: &RecordedEvent) -> bool {
        match self {
            Moment::At(at) => event.metadata.timestamp_ms <= at,
            Moment::Position(p) => event.position.as_u64() <= p,
        }
    }

    /// The time objects read as of this moment are shown at.
    fn time(self, now: Timestamp) -> Timestamp {
        match self {
            Moment::At(at) => at,
            Moment::Position(_) => now,
        }
    }
}

/// Every event of stream `<kind>-<id>`, decoded and upcast.
async fn read<A: Aggregate>(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Events<A>> {
    let stream = zhuchao_app::handler::stream_of::<A>(id).map_err(|e| internal(e.to_string()))?;
    let recorded = api(ctx)
        .market
        .handler
        .store()
        .read_stream(&stream, StreamFrom::Start, Direction::Forwards, MOST_EVENTS)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "history read failed");
            internal("the history could not be read")
        })?;
    recorded
        .into_iter()
        .map(|r| {
            let event = decode_recorded::<A>(&r).map_err(|e| {
                tracing::error!(error = %e, "history decode failed");
                internal("the history could not be read")
            })?;
            Ok((r, event))
        })
        .collect()
}

/// The state of `<kind>-<id>` as of `moment`, and whether it had any event by then.
async fn fold_as_of<A: Aggregate>(
    ctx: &Context<'_>,
    id: Uuid,
    moment: Moment,
) -> async_graphql::Result<(A::State, bool)> {
    let mut state = A::State::default();
    let mut any = false;
    for (recorded, event) in read::<A>(ctx, id).await? {
        if !moment.includes(&recorded) {
            break;
        }
        state = A::evolve(state, &event);
        any = true;
    }
    Ok((state, any))
}

/// One stream's entries as `reader` may see them, with their global positions.
fn entries<A: Chronicle>(
    events: &[(RecordedEvent, A::Event)],
    id: Uuid,
    reader: &Reader<'_>,
) -> Vec<(u64, TimelineEntry)> {
    let mut state = A::State::default();
    let mut out = Vec::with_capacity(events.len());
    for (recorded, event) in events {
        let after = A::evolve(state.clone(), event);
        if let Some(d) = A::describe(event, id, &state, &after, reader) {
            out.push((
                recorded.position.as_u64(),
                TimelineEntry {
                    at: DateTime(recorded.metadata.timestamp_ms),
                    position: recorded.position.to_string(),
                    actor: reader.actor(recorded.metadata.actor.as_deref()),
                    kind: d.kind,
                    subject_id: d.subject,
                    summary: d.summary,
                    changes: d.changes,
                },
            ));
        }
        state = after;
    }
    out
}

/// One stream's events, as stored and decoded.
type Events<A> = Vec<(RecordedEvent, <A as Aggregate>::Event)>;

/// The events of one deal's parts, read before the read models are locked for names.
#[derive(Default)]
struct Chapters {
    rfq: Option<(Uuid, Events<Rfq>)>,
    orders: Vec<OrderChapter>,
}

struct OrderChapter {
    id: Uuid,
    order: Events<Order>,
    payment: Events<Payment>,
    escrow: Events<Escrow>,
    review: Events<Review>,
    disputes: Vec<(Uuid, Events<Dispute>)>,
}

impl OrderChapter {
    async fn read(ctx: &Context<'_>, id: OrderId) -> async_graphql::Result<Self> {
        let order = read::<Order>(ctx, id.0).await?;
        let mut disputes = Vec::new();
        for (_, event) in &order {
            if let OrderEvent::OrderDisputed(d) = event {
                if !disputes.iter().any(|(u, _)| *u == d.dispute.0) {
                    disputes.push((d.dispute.0, read::<Dispute>(ctx, d.dispute.0).await?));
                }
            }
        }
        Ok(OrderChapter {
            id: id.0,
            payment: read::<Payment>(ctx, id.0).await?,
            escrow: read::<Escrow>(ctx, id.0).await?,
            review: read::<Review>(ctx, id.0).await?,
            order,
            disputes,
        })
    }

    fn entries(&self, reader: &Reader<'_>) -> Vec<(u64, TimelineEntry)> {
        let mut all = entries::<Order>(&self.order, self.id, reader);
        all.extend(entries::<Payment>(&self.payment, self.id, reader));
        all.extend(entries::<Escrow>(&self.escrow, self.id, reader));
        all.extend(entries::<Review>(&self.review, self.id, reader));
        for (dispute, events) in &self.disputes {
            all.extend(entries::<Dispute>(events, *dispute, reader));
        }
        all
    }
}

/// Entries of several streams in the store's order.
fn in_order(mut all: Vec<(u64, TimelineEntry)>) -> Vec<TimelineEntry> {
    all.sort_by_key(|(position, _)| *position);
    all.into_iter().map(|(_, e)| e).collect()
}

/// Reads with the read models locked for names, as the caller may see them.
async fn with_reader<T>(ctx: &Context<'_>, f: impl FnOnce(&Reader<'_>) -> T) -> T {
    let catalog = api(ctx).views.catalog();
    let reader = Reader {
        viewer: crate::api::viewer(ctx),
        views: &catalog,
    };
    f(&reader)
}

#[ComplexObject]
impl OrderOut {
    /// What happened to the order, its payment, escrow, disputes and review, oldest first.
    #[graphql(complexity = "crate::api::HISTORY_COST + child_complexity")]
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TimelineEntry>> {
        let chapter = OrderChapter::read(ctx, self.key).await?;
        Ok(with_reader(ctx, |r| in_order(chapter.entries(r))).await)
    }
}

#[ComplexObject]
impl RfqOut {
    /// What happened to the RFQ and the quotes the caller may see, oldest first.
    #[graphql(complexity = "crate::api::HISTORY_COST + child_complexity")]
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TimelineEntry>> {
        let events = read::<Rfq>(ctx, self.key.0).await?;
        Ok(with_reader(ctx, |r| in_order(entries::<Rfq>(&events, self.key.0, r))).await)
    }
}

#[ComplexObject]
impl QuoteOut {
    /// The quote's submission, revisions, counter-offers and outcome, each with the fields it
    /// changed (`quote.unitPrice` from … to …), oldest first.
    #[graphql(complexity = "crate::api::HISTORY_COST + child_complexity")]
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TimelineEntry>> {
        let (rfq, quote) = self.key;
        let events = read::<Rfq>(ctx, rfq.0).await?;
        let subject = crate::global_id::encode(Kind::Quote, quote.0);
        Ok(with_reader(ctx, |r| {
            in_order(
                entries::<Rfq>(&events, rfq.0, r)
                    .into_iter()
                    .filter(|(_, e)| e.subject_id == subject)
                    .collect(),
            )
        })
        .await)
    }
}

#[ComplexObject]
impl DisputeOut {
    /// What happened to the dispute, oldest first.
    #[graphql(complexity = "crate::api::HISTORY_COST + child_complexity")]
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TimelineEntry>> {
        let events = read::<Dispute>(ctx, self.key.0).await?;
        Ok(with_reader(ctx, |r| {
            in_order(entries::<Dispute>(&events, self.key.0, r))
        })
        .await)
    }
}

#[ComplexObject]
impl SupplierOut {
    /// The supplier's application, documents, deposit and standing, oldest first: for the
    /// supplier itself and agents (empty for anyone else).
    #[graphql(complexity = "crate::api::HISTORY_COST + child_complexity")]
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TimelineEntry>> {
        let viewer = crate::api::viewer(ctx);
        let private = viewer.is_staff()
            || matches!(viewer, crate::auth::Viewer::Supplier { supplier, .. } if *supplier == self.key);
        if !private {
            return Ok(vec![]);
        }
        let events = read::<Supplier>(ctx, self.key.0).await?;
        Ok(with_reader(ctx, |r| {
            in_order(entries::<Supplier>(&events, self.key.0, r))
        })
        .await)
    }
}

/// A whole deal: the RFQ (when there was one), the orders made from it, their disputes, and one
/// timeline across all of them — the parts the caller may see.
#[derive(SimpleObject)]
pub struct Deal {
    /// The id the deal was asked for by.
    pub id: ID,
    pub rfq: Option<RfqOut>,
    pub orders: Vec<OrderOut>,
    pub disputes: Vec<DisputeOut>,
    /// Everything that happened, oldest first: RFQ, quotes and counter-offers, order, payment
    /// and escrow, shipment, return, dispute and ruling, review.
    pub timeline: Vec<TimelineEntry>,
}

/// The deal that `id` (an RFQ's, a quote's, an order's or a dispute's) belongs to.
pub async fn deal(ctx: &Context<'_>, id: ID) -> async_graphql::Result<Deal> {
    let viewer = crate::api::viewer(ctx);
    let (kind, uuid) = decode_any(&id).ok_or_else(|| not_found("deal"))?;
    // Which RFQ and orders make the deal; the asked-for part must be the caller's to see.
    let (rfq, orders) = look(ctx, |lens| {
        let views = lens.views;
        let order_of_dispute = |d: DisputeId| {
            lens.dispute(d)?;
            views.dispute(d)?.order
        };
        let order = match kind {
            Kind::Order => lens.order(OrderId(uuid)).map(|_| OrderId(uuid)),
            Kind::Dispute => order_of_dispute(DisputeId(uuid)),
            _ => None,
        };
        let rfq = match kind {
            Kind::Rfq => Some(lens.rfq(RfqId(uuid)).map(|_| RfqId(uuid))),
            Kind::Quote => Some(
                lens.quote(QuoteId(uuid))
                    .and_then(|_| views.rfq_of_quote(QuoteId(uuid))),
            ),
            Kind::Order | Kind::Dispute => None,
            _ => return Err(not_found("deal")),
        };
        let (rfq, orders) = match (rfq, order) {
            (Some(None), _) => return Err(not_found("deal")),
            (Some(Some(r)), _) => (
                Some(r),
                views
                    .rfq(r)
                    .and_then(|r| r.awarded_order)
                    .into_iter()
                    .collect(),
            ),
            (None, None) => return Err(not_found("deal")),
            (None, Some(o)) => {
                let from = match views.order(o).and_then(|o| o.source) {
                    Some(OrderSource::Quote { rfq, .. }) => Some(rfq),
                    _ => None,
                };
                (from, vec![o])
            }
        };
        // Each part only for those who may see it.
        let rfq = rfq.filter(|r| lens.rfq(*r).is_some());
        let orders: Vec<OrderId> = orders
            .into_iter()
            .filter(|o: &OrderId| lens.order(*o).is_some())
            .collect();
        Ok((rfq, orders))
    })??;
    let mut chapters = Chapters::default();
    if let Some(r) = rfq {
        chapters.rfq = Some((r.0, read::<Rfq>(ctx, r.0).await?));
    }
    for o in &orders {
        chapters.orders.push(OrderChapter::read(ctx, *o).await?);
    }
    look(ctx, |lens| {
        let reader = Reader {
            viewer,
            views: lens.views,
        };
        let mut all = Vec::new();
        if let Some((r, events)) = &chapters.rfq {
            all.extend(entries::<Rfq>(events, *r, &reader));
        }
        let mut disputes = Vec::new();
        for chapter in &chapters.orders {
            all.extend(chapter.entries(&reader));
            disputes.extend(
                chapter
                    .disputes
                    .iter()
                    .filter_map(|(d, _)| lens.dispute(DisputeId(*d))),
            );
        }
        Deal {
            id,
            rfq: rfq.and_then(|r| lens.rfq(r)),
            orders: orders.iter().filter_map(|o| lens.order(*o)).collect(),
            disputes,
            timeline: in_order(all),
        }
    })
}

/// Order `id` as it was at `moment`, for a caller who may see it now.
pub async fn order_as_of(
    ctx: &Context<'_>,
    id: OrderId,
    moment: Moment,
) -> async_graphql::Result<OrderOut> {
    let a = api(ctx);
    visible(ctx, |lens| lens.order(id).is_some()).await?;
    let (order, existed) = fold_as_of::<Order>(ctx, id.0, moment).await?;
    let (escrow, funded) = fold_as_of::<Escrow>(ctx, id.0, moment).await?;
    if !existed || order.id.is_none() {
        return Err(not_found("order (at that moment)"));
    }
    look_at(ctx, moment.time(a.market.handler.now()), true, |lens| {
        OrderOut::build(id, &order, funded.then_some(&escrow), lens)
    })
}

/// RFQ `id` as it was at `moment`.
pub async fn rfq_as_of(
    ctx: &Context<'_>,
    id: RfqId,
    moment: Moment,
) -> async_graphql::Result<RfqOut> {
    let a = api(ctx);
    let viewer = crate::api::viewer(ctx);
    visible(ctx, |lens| lens.rfq(id).is_some()).await?;
    let (rfq, existed) = fold_as_of::<Rfq>(ctx, id.0, moment).await?;
    if !existed || rfq.id.is_none() {
        return Err(not_found("RFQ (at that moment)"));
    }
    let only = match viewer {
        crate::auth::Viewer::Supplier { supplier, .. } => Some(*supplier),
        _ => None,
    };
    look_at(ctx, moment.time(a.market.handler.now()), true, |lens| {
        RfqOut::build(id, &rfq, only, lens)
    })
}

/// Quote `id` as it was at `moment`: what the buyer saw, or accepted, then.
pub async fn quote_as_of(
    ctx: &Context<'_>,
    id: QuoteId,
    moment: Moment,
) -> async_graphql::Result<QuoteOut> {
    let a = api(ctx);
    let rfq = look(ctx, |lens| {
        lens.quote(id)?;
        lens.views.rfq_of_quote(id)
    })?
    .ok_or_else(|| not_found("quote"))?;
    let (state, _) = fold_as_of::<Rfq>(ctx, rfq.0, moment).await?;
    let q = state
        .quotes
        .get(&id)
        .ok_or_else(|| not_found("quote (at that moment)"))?;
    look_at(ctx, moment.time(a.market.handler.now()), true, |lens| {
        QuoteOut::build(rfq, &state, q, lens)
    })
}

/// Dispute `id` as it was at `moment`.
pub async fn dispute_as_of(
    ctx: &Context<'_>,
    id: DisputeId,
    moment: Moment,
) -> async_graphql::Result<DisputeOut> {
    let a = api(ctx);
    visible(ctx, |lens| lens.dispute(id).is_some()).await?;
    let (state, existed) = fold_as_of::<Dispute>(ctx, id.0, moment).await?;
    if !existed || state.id.is_none() {
        return Err(not_found("dispute (at that moment)"));
    }
    look_at(ctx, moment.time(a.market.handler.now()), true, |lens| {
        DisputeOut::build(id, &state, lens)
    })
}

/// Supplier `id` as it was at `moment`.
pub async fn supplier_as_of(
    ctx: &Context<'_>,
    id: SupplierId,
    moment: Moment,
) -> async_graphql::Result<SupplierOut> {
    let a = api(ctx);
    visible(ctx, |lens| lens.supplier(id).is_some()).await?;
    let (state, existed) = fold_as_of::<Supplier>(ctx, id.0, moment).await?;
    // Before it went live an applicant was not public: as of then, only the supplier itself
    // and agents see it, as now.
    look_at(ctx, moment.time(a.market.handler.now()), true, |lens| {
        if !existed || !(state.went_live || lens.private_to(id)) {
            return Err(not_found("supplier (at that moment)"));
        }
        Ok(SupplierOut::build(id, &state, lens))
    })?
}

/// Refuses, as if it did not exist, what the caller may not see now.
async fn visible(
    ctx: &Context<'_>,
    sees: impl FnOnce(&Lens<'_>) -> bool,
) -> async_graphql::Result<()> {
    if look(ctx, sees)? {
        Ok(())
    } else {
        Err(not_found("object"))
    }
}
