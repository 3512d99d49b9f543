//! Recording what sessions do, for analytics: the request's visit (session header, region,
//! device), and the traffic events resolvers hand to the recorder without waiting.

use async_graphql::Context;
use uuid::Uuid;
use zhuchao_analytics::events::Line;
use zhuchao_analytics::TrafficEvent;
use zhuchao_domain::ids::{OrderId, ProductId};
use zhuchao_domain::order::{OrderSource, OrderState};

use crate::api::api;
use zhuchao_views::Reader;

/// Header naming the session (from `startSession`).
pub const SESSION_HEADER: &str = "x-zhuchao-session";
/// Header an edge proxy sets to the visitor's region (province), e.g. from geo-IP.
pub const REGION_HEADER: &str = "x-zhuchao-region";

/// What the HTTP layer knows about the caller's visit.
#[derive(Clone, Debug, Default)]
pub struct Visit {
    pub session: Option<Uuid>,
    pub region: Option<String>,
    pub user_agent: Option<String>,
    /// Our own address as the caller reached it (referrers from it are not referrals).
    pub host: Option<String>,
}

pub fn visit<'a>(ctx: &Context<'a>) -> Option<&'a Visit> {
    ctx.data_opt::<Visit>()
}

/// The caller's session, if it sent one.
pub fn session(ctx: &Context<'_>) -> Option<Uuid> {
    visit(ctx).and_then(|v| v.session)
}

/// Hands an event about the caller's session to the recorder (nothing without a session).
pub fn record(ctx: &Context<'_>, event: impl FnOnce(Uuid, i64) -> TrafficEvent) {
    if let Some(session) = session(ctx) {
        let a = api(ctx);
        a.traffic.record(event(session, a.market.handler.now()));
    }
}

/// Hands an order event to the recorder: with the caller's session, or the nil session for
/// callers that sent none (the order still counts in GMV, under unknown dimensions).
pub fn record_order(ctx: &Context<'_>, event: impl FnOnce(Uuid, i64) -> TrafficEvent) {
    let a = api(ctx);
    a.traffic.record(event(
        session(ctx).unwrap_or(Uuid::nil()),
        a.market.handler.now(),
    ));
}

/// An order's items and value per category, from the read models.
pub fn lines_of(views: &Reader<'_>, order: &OrderState) -> Vec<Line> {
    let rfq_category = match order.source {
        Some(OrderSource::Quote { rfq, .. }) => {
            views.rfq(rfq).and_then(|r| r.category).map(|c| c.0)
        }
        _ => None,
    };
    let mut lines: Vec<Line> = Vec::new();
    for l in &order.lines {
        let category = l
            .product
            .and_then(|p| category_of(views, p))
            .or(rfq_category)
            .unwrap_or(Uuid::nil());
        match lines.iter_mut().find(|x| x.category == category) {
            Some(x) => {
                x.items += l.quantity;
                x.value += l.total.minor;
            }
            None => lines.push(Line {
                category,
                items: l.quantity,
                value: l.total.minor,
            }),
        }
    }
    lines
}

pub fn category_of(views: &Reader<'_>, product: ProductId) -> Option<Uuid> {
    views
        .product(product)
        .and_then(|p| p.sheet)
        .map(|s| s.category.0)
}

/// Records an order as paid (or placed), once the command has succeeded.
pub async fn record_order_event(ctx: &Context<'_>, order: OrderId, paid: bool) {
    let a = api(ctx);
    let Ok(loaded) = a
        .market
        .handler
        .load::<zhuchao_domain::order::Order>(order)
        .await
    else {
        return;
    };
    let state = loaded.state;
    let Some(supplier) = state.supplier else {
        return;
    };
    let lines = lines_of(&a.views.read(), &state);
    record_order(ctx, |session, at| {
        if paid {
            TrafficEvent::PaymentMade {
                session,
                order: order.0,
                supplier: supplier.0,
                lines,
                at,
            }
        } else {
            TrafficEvent::OrderPlaced {
                session,
                order: order.0,
                supplier: supplier.0,
                lines,
                at,
            }
        }
    });
}
