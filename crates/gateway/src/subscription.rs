//! Subscriptions (graphql-transport-ws): new RFQs in a supplier's inbox, new or revised quotes on
//! a buyer's RFQ, and status changes of the caller's orders and disputes. Each is fed by the read
//! models as they apply events, and shows the caller only what its queries would show.

use async_graphql::{Context, Subscription, ID};
use broadcast_events::BroadcastStream;
use futures::{Stream, StreamExt};
use uuid::Uuid;
use zhuchao_domain::ids::*;

use crate::api::api;
use crate::auth::Viewer;
use crate::errors::unauthenticated;
use crate::global_id::{decode, Kind};
use crate::read::Lens;
use crate::trade::{OrderOut, RfqOut};

mod broadcast_events {
    //! A broadcast receiver as a stream, skipping what a slow subscriber missed.
    use std::sync::Arc;

    use futures::Stream;
    use tokio::sync::broadcast;
    use zhuchao_eventstore::RecordedEvent;

    pub struct BroadcastStream;

    impl BroadcastStream {
        pub fn of(
            rx: broadcast::Receiver<Arc<RecordedEvent>>,
        ) -> impl Stream<Item = Arc<RecordedEvent>> {
            futures::stream::unfold(rx, |mut rx| async move {
                loop {
                    match rx.recv().await {
                        Ok(event) => return Some((event, rx)),
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            })
        }
    }
}

fn stream_id(stream: &str, kind: &str) -> Option<Uuid> {
    stream.strip_prefix(kind)?.strip_prefix('-')?.parse().ok()
}

pub struct Subscription;

/// Who may not subscribe: anonymous callers must sign in; signed-in ones of another role are
/// forbidden.
fn refusal(viewer: &Viewer) -> async_graphql::Error {
    match viewer {
        Viewer::Anonymous => unauthenticated(),
        _ => crate::errors::forbidden(),
    }
}

#[Subscription]
impl Subscription {
    /// Suppliers: an RFQ appears in the inbox (invited, or opened to the pool of its categories).
    async fn rfq_inbox(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = RfqOut>> {
        let viewer = ctx
            .data_opt::<Viewer>()
            .cloned()
            .unwrap_or(Viewer::Anonymous);
        let Viewer::Supplier { supplier, .. } = viewer else {
            return Err(refusal(&viewer));
        };
        let a = api(ctx);
        let views = a.views.clone();
        let clock = a.market.handler.clone();
        Ok(
            BroadcastStream::of(a.views.applied.subscribe()).filter_map(move |event| {
                let views = views.clone();
                let clock = clock.clone();
                let viewer = viewer.clone();
                async move {
                    if !matches!(event.event_type.as_str(), "RfqCreated" | "RfqOpenedToPool") {
                        return None;
                    }
                    let id = RfqId(stream_id(event.stream.as_str(), "rfq")?);
                    let v = views.read();
                    let r = &v.rfq(id)?;
                    let serves = r.category.is_some_and(|c| {
                        v.suppliers
                            .get(&supplier)
                            .is_some_and(|s| s.categories.contains(&c))
                    });
                    if !(r.invited.contains(&supplier) || (r.pool_open && serves)) {
                        return None;
                    }
                    Lens::new(&v, &viewer, clock.now()).rfq_from(id, r)
                }
            }),
        )
    }

    /// Buyers: a quote arrives or changes on one of the company's RFQs.
    async fn quotes(
        &self,
        ctx: &Context<'_>,
        rfq_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = RfqOut>> {
        let viewer = ctx
            .data_opt::<Viewer>()
            .cloned()
            .unwrap_or(Viewer::Anonymous);
        let Viewer::Buyer { company, .. } = viewer else {
            return Err(refusal(&viewer));
        };
        let a = api(ctx);
        // Another company's RFQ, another type's id or garbage: no such RFQ.
        let rfq_id = {
            let views = a.views.read();
            let ours = decode(Kind::Rfq, &rfq_id).filter(|id| {
                views
                    .rfq(RfqId(*id))
                    .is_some_and(|r| r.company == Some(company))
            });
            if let Some(e) = views.failure() {
                return Err(crate::errors::read_failed(e));
            }
            ours.ok_or_else(|| crate::errors::not_found("RFQ"))?
        };
        let views = a.views.clone();
        let clock = a.market.handler.clone();
        Ok(
            BroadcastStream::of(a.views.applied.subscribe()).filter_map(move |event| {
                let views = views.clone();
                let clock = clock.clone();
                let viewer = viewer.clone();
                async move {
                    if stream_id(event.stream.as_str(), "rfq")? != rfq_id
                        || !event.event_type.starts_with("Quote")
                    {
                        return None;
                    }
                    let v = views.read();
                    let r = v
                        .rfq(RfqId(rfq_id))
                        .filter(|r| r.company == Some(company))?;
                    Lens::new(&v, &viewer, clock.now()).rfq_from(RfqId(rfq_id), &r)
                }
            }),
        )
    }

    /// The caller's orders as their status changes (disputes included).
    async fn order_updates(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = OrderOut>> {
        let viewer = ctx
            .data_opt::<Viewer>()
            .cloned()
            .unwrap_or(Viewer::Anonymous);
        if matches!(viewer, Viewer::Anonymous) {
            return Err(unauthenticated());
        }
        let a = api(ctx);
        let views = a.views.clone();
        let clock = a.market.handler.clone();
        Ok(
            BroadcastStream::of(views.applied.subscribe()).filter_map(move |event| {
                let views = views.clone();
                let viewer = viewer.clone();
                let clock = clock.clone();
                async move {
                    let v = views.read();
                    let order = match stream_id(event.stream.as_str(), "order") {
                        Some(id) => OrderId(id),
                        None => {
                            v.dispute(DisputeId(stream_id(event.stream.as_str(), "dispute")?))?
                                .order?
                        }
                    };
                    Lens::new(&v, &viewer, clock.now()).order(order)
                }
            }),
        )
    }
}
