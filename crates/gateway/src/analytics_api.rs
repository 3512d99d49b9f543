//! The analytics part of the API: sessions start and report page views and cart additions
//! (the browser knows them; searches, product views, RFQs, orders and payments are recorded by
//! their own resolvers), and agents and suppliers ask for traffic, funnel, basket value and GMV.

// A resolver's arguments are the API's input fields.
#![allow(clippy::too_many_arguments)]

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, SimpleObject};
use uuid::Uuid;
use zhuchao_analytics::cube::HOUR_MS;
use zhuchao_analytics::{
    classify_source, device_of, region_of_address, Dimension, Filter, Granularity, ReportRow,
    TrafficEvent,
};
use zhuchao_domain::ids::{ProductId, SupplierId};

use crate::api::{api, caught_up, viewer};
use crate::auth::Viewer;
use crate::errors::{api_error, forbidden, unauthenticated};
use crate::traffic::{category_of, record, visit};
use crate::types::MoneyOut;

#[derive(InputObject)]
pub struct StartSessionInput {
    /// The browser's long-lived visitor id, if it has one (a new one is made otherwise).
    pub visitor_id: Option<Uuid>,
    /// The full URL the visitor landed on, with any `utm_*` parameters.
    #[graphql(validator(custom = "crate::text_limits::URL.of(\"landingUrl\")"))]
    pub landing_url: String,
    /// `document.referrer`.
    #[graphql(validator(custom = "crate::text_limits::URL.of(\"referrer\")"))]
    pub referrer: Option<String>,
    /// The visitor's region (province) if the page knows it; an edge header wins over it.
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"region\")"))]
    pub region: Option<String>,
}

#[derive(SimpleObject)]
pub struct SessionOut {
    /// Send it as the `x-zhuchao-session` header with every request of the visit.
    pub session_id: Uuid,
    pub visitor_id: Uuid,
    /// `direct`, `organic: baidu`, `campaign: newsletter`, …
    pub source: String,
    pub campaign: Option<String>,
    pub region: Option<String>,
    pub device: String,
}

#[derive(Default)]
pub struct TrackingMutation;

#[Object]
impl TrackingMutation {
    /// Starts a visit: records where it came from (referrer and `utm_*` tags), its region and
    /// device. Anyone may call it, signed in or not.
    async fn start_session(
        &self,
        ctx: &Context<'_>,
        input: StartSessionInput,
    ) -> async_graphql::Result<SessionOut> {
        let a = api(ctx);
        let v = visit(ctx).cloned().unwrap_or_default();
        let mut region = v
            .region
            .clone()
            .or(input.region.clone())
            .map(|r| r.chars().take(64).collect::<String>());
        if region.is_none() {
            // A signed-in buyer's region: the province of the company's latest delivery address.
            if let Viewer::Buyer { company, .. } = viewer(ctx) {
                let views = a.views.views.read().await;
                region = views
                    .orders
                    .iter()
                    .rev()
                    .filter(|(_, o)| o.company == Some(*company))
                    .find_map(|(_, o)| {
                        o.address
                            .as_deref()
                            .and_then(region_of_address)
                            .map(String::from)
                    });
            }
        }
        let own = v.host.as_ref().map(|h| format!("http://{h}"));
        let (source, campaign) = classify_source(
            &input.landing_url,
            input.referrer.as_deref(),
            own.as_deref(),
        );
        // `utm_*` values arrive percent-encoded: decoded, they are held to the same rule as
        // any one-line text, since agents and suppliers read them as dimensions.
        for tag in std::iter::once(source.label()).chain(campaign.clone()) {
            if let Some((code, message)) = crate::text_limits::problem(&tag, 100, false) {
                return Err(
                    api_error(code, format!("landingUrl: a utm_ tag: {message}"))
                        .extend_with(|_, e| e.set("field", "landingUrl")),
                );
            }
        }
        let session = Uuid::now_v7();
        let visitor = input.visitor_id.unwrap_or_else(Uuid::now_v7);
        let device = device_of(v.user_agent.as_deref()).to_string();
        a.traffic.record(TrafficEvent::SessionStarted {
            session,
            visitor,
            source: source.clone(),
            campaign: campaign.clone(),
            region: region.clone(),
            device: device.clone(),
            landing: input.landing_url.chars().take(512).collect(),
            at: a.market.handler.now(),
        });
        Ok(SessionOut {
            session_id: session,
            visitor_id: visitor,
            source: source.label(),
            campaign,
            region,
            device,
        })
    }

    /// A page the browser showed (the session comes from the `x-zhuchao-session` header).
    async fn track_page_view(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::PATH.of(\"path\")"))] path: String,
    ) -> async_graphql::Result<bool> {
        record(ctx, |session, at| TrafficEvent::PageViewed {
            session,
            path,
            at,
        });
        Ok(crate::traffic::session(ctx).is_some())
    }

    /// The browser's cart received a product.
    async fn track_add_to_cart(
        &self,
        ctx: &Context<'_>,
        product_id: Uuid,
        quantity: u64,
    ) -> async_graphql::Result<bool> {
        let views = api(ctx).views.views.read().await;
        let Some(supplier) = views
            .products
            .get(&ProductId(product_id))
            .and_then(|p| p.supplier)
        else {
            return Err(api_error("NOT_FOUND", "no such product"));
        };
        let category = category_of(&views, ProductId(product_id)).unwrap_or(Uuid::nil());
        record(ctx, |session, at| TrafficEvent::AddedToCart {
            session,
            product: product_id,
            category,
            supplier: supplier.0,
            quantity,
            at,
        });
        Ok(crate::traffic::session(ctx).is_some())
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Granularity")]
pub enum GranularityIn {
    Hour,
    Day,
    Week,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AnalyticsDimension")]
pub enum DimensionIn {
    Total,
    Region,
    Source,
    Campaign,
    Device,
    Category,
    Supplier,
}

#[derive(InputObject, Default)]
#[graphql(name = "AnalyticsFilter")]
pub struct AnalyticsFilterIn {
    pub region: Option<String>,
    /// A source kind (`organic`) or a full label (`organic: baidu`).
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub device: Option<String>,
    pub category_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
}

#[derive(SimpleObject)]
pub struct FunnelStepOut {
    pub name: String,
    pub count: u64,
    /// Share of the step before (the first step: 1).
    pub rate: Option<f64>,
}

/// The GMV of orders paid in a session = sessions × conversion rate × average order value.
/// Orders paid outside any session (API clients) count in the row's `gmv`, not here.
#[derive(SimpleObject)]
pub struct GmvDecompositionOut {
    pub sessions: u64,
    /// Orders paid in a session, per session.
    pub conversion_rate: Option<f64>,
    /// Of the orders paid in a session.
    pub average_order_value: Option<MoneyOut>,
    /// Of the orders paid in a session.
    pub gmv: MoneyOut,
}

#[derive(SimpleObject)]
pub struct AnalyticsRowOut {
    /// Start of the hour, day or week (UTC), RFC 3339.
    pub bucket: String,
    /// The dimension's value (a region, a source, a category id…); empty for totals.
    pub key: String,
    /// Session figures: absent when cut by category or supplier.
    pub sessions: Option<u64>,
    pub visitors: Option<u64>,
    pub page_views: Option<u64>,
    pub searches: Option<u64>,
    pub zero_result_searches: Option<u64>,
    pub product_views: u64,
    pub carts: u64,
    pub orders: u64,
    pub paid_orders: u64,
    pub items: u64,
    /// Gross merchandise value: the goods of the orders paid in the bucket (shipping not
    /// included), before any refund.
    pub gmv: MoneyOut,
    /// Given back to buyers in the bucket (cancellations, returns, rulings; shipping included).
    /// Absent when cut or filtered by what a refund does not carry (region, source, campaign,
    /// device, category).
    pub refunded: Option<MoneyOut>,
    /// GMV less `refunded`.
    pub net_gmv: Option<MoneyOut>,
    pub average_order_value: Option<MoneyOut>,
    pub items_per_order: Option<f64>,
    /// Sessions → searched → viewed a product → cart or RFQ → ordered → paid (cut by category
    /// or supplier: product views → carts → orders → paid).
    pub funnel: Vec<FunnelStepOut>,
    pub decomposition: Option<GmvDecompositionOut>,
}

fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn cny(minor: i64) -> MoneyOut {
    MoneyOut::from(zhuchao_domain::money::Money::cny(minor))
}

impl AnalyticsRowOut {
    fn from_row(r: ReportRow) -> Self {
        let aov = r.average_order_value();
        let conversion = r.conversion_rate();
        let session_aov = r.session_order_value();
        let mut previous: Option<u64> = None;
        let funnel = r
            .funnel
            .iter()
            .map(|s| {
                let rate = match previous {
                    None => Some(1.0),
                    Some(0) => None,
                    Some(p) => Some(s.count as f64 / p as f64),
                };
                previous = Some(s.count);
                FunnelStepOut {
                    name: s.name.to_string(),
                    count: s.count,
                    rate,
                }
            })
            .collect();
        Self {
            bucket: rfc3339(r.bucket),
            key: r.key.clone(),
            sessions: r.sessions.map(|s| s.sessions),
            visitors: r.visitors,
            page_views: r.sessions.map(|s| s.page_views),
            searches: r.sessions.map(|s| s.searches),
            zero_result_searches: r.sessions.map(|s| s.zero_result_searches),
            product_views: r.products.views,
            carts: r.products.carts,
            orders: r.sessions.map_or(r.products.orders, |s| s.orders),
            paid_orders: r.paid_orders,
            items: r.items,
            gmv: cny(r.gmv),
            refunded: r.refunded.map(cny),
            net_gmv: r.net_gmv().map(cny),
            average_order_value: aov.map(|v| cny(v.round() as i64)),
            items_per_order: r.items_per_order(),
            funnel,
            decomposition: r.sessions.map(|s| GmvDecompositionOut {
                sessions: s.sessions,
                conversion_rate: conversion,
                average_order_value: session_aov.map(|v| cny(v.round() as i64)),
                gmv: cny(s.session_gmv),
            }),
        }
    }
}

#[derive(SimpleObject)]
pub struct SearchTermOut {
    pub text: String,
    pub searches: u64,
    pub zero_results: u64,
}

#[derive(SimpleObject)]
pub struct RfqResponseOut {
    pub bucket: String,
    pub rfqs: u64,
    pub answered: u64,
    pub within_sla: u64,
    /// Share of RFQs answered within the response SLA.
    pub within_sla_rate: Option<f64>,
    pub median_minutes_to_first_quote: Option<f64>,
}

#[derive(SimpleObject)]
pub struct DisputeRateOut {
    pub supplier_id: Uuid,
    pub supplier_name: Option<String>,
    pub orders: u64,
    pub disputes: u64,
    /// Disputes per order.
    pub rate: Option<f64>,
    pub for_buyer: u64,
    pub for_supplier: u64,
    pub split: u64,
    pub withdrawn: u64,
}

#[derive(Default)]
pub struct AnalyticsQuery;

/// Whose figures the caller may see: everything for staff, one supplier's own for its staff.
fn scope(ctx: &Context<'_>) -> async_graphql::Result<Option<SupplierId>> {
    match viewer(ctx) {
        Viewer::Agent { .. } | Viewer::Admin { .. } => Ok(None),
        Viewer::Supplier { supplier, .. } => Ok(Some(*supplier)),
        Viewer::Anonymous => Err(unauthenticated()),
        Viewer::Buyer { .. } => Err(forbidden()),
    }
}

/// The supplier a question is about: as asked for staff; for a supplier's staff, their own
/// (asking about another supplier is forbidden).
fn supplier_in_scope(
    ctx: &Context<'_>,
    asked: Option<Uuid>,
) -> async_graphql::Result<Option<Uuid>> {
    match scope(ctx)? {
        Some(me) if asked.is_some_and(|s| s != me.0) => Err(forbidden()),
        Some(me) => Ok(Some(me.0)),
        None => Ok(asked),
    }
}

impl From<GranularityIn> for Granularity {
    fn from(g: GranularityIn) -> Self {
        match g {
            GranularityIn::Hour => Granularity::Hour,
            GranularityIn::Day => Granularity::Day,
            GranularityIn::Week => Granularity::Week,
        }
    }
}

/// Milliseconds of a calendar date (`2026-11-01`, midnight UTC) or an RFC 3339 date-time
/// (`2026-11-01T08:00:00Z`, offsets honoured), between the years 2000 and 2200. What is not a
/// real date (`2026-11-31`, `T30:00:00Z`) is refused, never rolled over.
fn millis(field: &str, text: &str) -> async_graphql::Result<i64> {
    use time::format_description::well_known::Rfc3339;
    let bad = |why: &str| {
        api_error(
            "BAD_REQUEST",
            format!(
                "{field} {why}: give a date (2026-11-01) or a date-time (2026-11-01T08:00:00Z)"
            ),
        )
    };
    let text = text.trim();
    let at = if text.len() == 10 {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(text, &format)
            .map_err(|_| bad("is not a date"))?
            .midnight()
            .assume_utc()
    } else {
        time::OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad("is not a date"))?
    };
    if !(2000..2200).contains(&at.year()) {
        return Err(bad("must lie between the years 2000 and 2200"));
    }
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn range(from: &str, to: &str) -> async_graphql::Result<(i64, i64)> {
    let (from, to) = (millis("from", from)?, millis("to", to)?);
    if to <= from {
        return Err(api_error("BAD_REQUEST", "to must be after from"));
    }
    if to - from > 400 * 24 * HOUR_MS {
        return Err(api_error("BAD_REQUEST", "at most 400 days at a time"));
    }
    Ok((from, to))
}

#[Object]
impl AnalyticsQuery {
    /// Traffic, the conversion funnel, basket value and GMV over `[from, to)`, per hour, day or
    /// week and per value of one dimension, narrowed by `filter`. Agents see everything;
    /// suppliers only their own products and orders (cut by category or supplier).
    async fn analytics(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        #[graphql(default_with = "GranularityIn::Day")] granularity: GranularityIn,
        #[graphql(default_with = "DimensionIn::Total")] dimension: DimensionIn,
        filter: Option<AnalyticsFilterIn>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Vec<AnalyticsRowOut>> {
        let filter = filter.unwrap_or_default();
        let supplier = supplier_in_scope(ctx, filter.supplier_id)?;
        caught_up(ctx, at_least).await?;
        let (from, to) = range(&from, &to)?;
        let filter = Filter {
            region: filter.region,
            source: filter.source,
            campaign: filter.campaign,
            device: filter.device,
            category: filter.category_id,
            supplier,
        };
        let granularity = Granularity::from(granularity);
        if granularity == Granularity::Hour && to - from > 31 * 24 * HOUR_MS {
            return Err(api_error(
                "BAD_REQUEST",
                "hourly figures cover at most 31 days",
            ));
        }
        let dimension = match dimension {
            DimensionIn::Total => Dimension::Total,
            DimensionIn::Region => Dimension::Region,
            DimensionIn::Source => Dimension::Source,
            DimensionIn::Campaign => Dimension::Campaign,
            DimensionIn::Device => Dimension::Device,
            DimensionIn::Category => Dimension::Category,
            DimensionIn::Supplier => Dimension::Supplier,
        };
        let visitors = ctx.look_ahead().field("visitors").exists();
        let projection = api(ctx).analytics.clone();
        let rows = tokio::task::spawn_blocking(move || {
            projection
                .read()
                .report(from, to, granularity, dimension, &filter, visitors)
        })
        .await
        .map_err(|_| api_error("INTERNAL", "the report failed"))?;
        Ok(rows.into_iter().map(AnalyticsRowOut::from_row).collect())
    }

    /// Agents: what buyers searched for most over `[from, to)`; with `zeroResultsOnly`, the
    /// searches that found nothing (the catalogue's gaps).
    async fn top_searches(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        #[graphql(default = 20)] limit: usize,
        #[graphql(default)] zero_results_only: bool,
    ) -> async_graphql::Result<Vec<SearchTermOut>> {
        if scope(ctx)?.is_some() {
            return Err(forbidden());
        }
        let (from, to) = range(&from, &to)?;
        Ok(api(ctx)
            .analytics
            .read()
            .top_searches(from, to, limit.min(200), zero_results_only)
            .into_iter()
            .map(|(text, searches, zero_results)| SearchTermOut {
                text,
                searches,
                zero_results,
            })
            .collect())
    }

    /// RFQs sent over `[from, to)`: how many got a quote, the share within the response SLA and
    /// the median time to the first quote. Suppliers see their own invitations.
    async fn rfq_response(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        #[graphql(default_with = "GranularityIn::Day")] granularity: GranularityIn,
        supplier_id: Option<Uuid>,
    ) -> async_graphql::Result<Vec<RfqResponseOut>> {
        let supplier = supplier_in_scope(ctx, supplier_id)?;
        let (from, to) = range(&from, &to)?;
        let granularity = Granularity::from(granularity);
        Ok(api(ctx)
            .analytics
            .read()
            .rfq_response(from, to, granularity, supplier)
            .into_iter()
            .map(|r| RfqResponseOut {
                bucket: rfc3339(r.bucket),
                rfqs: r.rfqs,
                answered: r.answered,
                within_sla: r.within_sla,
                within_sla_rate: (r.rfqs > 0).then(|| r.within_sla as f64 / r.rfqs as f64),
                median_minutes_to_first_quote: r.median_minutes_to_first_quote,
            })
            .collect())
    }

    /// Orders, disputes and their outcomes per supplier over `[from, to)`, most disputed first.
    async fn dispute_rates(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        supplier_id: Option<Uuid>,
    ) -> async_graphql::Result<Vec<DisputeRateOut>> {
        let supplier = supplier_in_scope(ctx, supplier_id)?;
        let (from, to) = range(&from, &to)?;
        let list = api(ctx).analytics.read().disputes(from, to, supplier);
        let views = api(ctx).views.views.read().await;
        Ok(list
            .into_iter()
            .map(|(s, c)| DisputeRateOut {
                supplier_id: s,
                supplier_name: views
                    .suppliers
                    .get(&SupplierId(s))
                    .map(|x| x.company_name.clone()),
                orders: c.orders,
                disputes: c.disputes,
                rate: (c.orders > 0).then(|| c.disputes as f64 / c.orders as f64),
                for_buyer: c.for_buyer,
                for_supplier: c.for_supplier,
                split: c.split,
                withdrawn: c.withdrawn,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_and_print_in_utc() {
        assert_eq!(millis("from", "2000-01-01").unwrap(), 946_684_800_000);
        assert_eq!(
            millis("from", "2026-11-25T08:30:00Z").unwrap(),
            1_795_595_400_000
        );
        assert_eq!(
            millis("from", "2026-11-25T16:30:00+08:00").unwrap(),
            1_795_595_400_000
        );
        assert_eq!(rfc3339(1_795_595_400_000), "2026-11-25T08:30:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert!(millis("from", "25/11/2026").is_err());
        assert!(millis("from", "2026-13-01").is_err());
        assert!(millis("from", "2026-11-31").is_err(), "no November 31st");
        assert!(
            millis("from", "2026-11-25T30:00:00Z").is_err(),
            "no hour 30"
        );
        assert!(millis("from", "491937-01-01").is_err());
        assert!(millis("from", "1999-12-31").is_err());
    }
}
