//! The analytics part of the API: sessions start and report page views and cart additions
//! (the browser knows them; searches, product views, RFQs, orders and payments are recorded by
//! their own resolvers), and agents and suppliers ask for traffic, funnel, basket value and GMV.

// A resolver's arguments are the API's input fields.
#![allow(clippy::too_many_arguments)]

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use uuid::Uuid;
use zhuchao_analytics::cube::HOUR_MS;
use zhuchao_analytics::{
    classify_source, device_of, region_of_address, Dimension, Filter, Granularity, ReportRow,
    TrafficEvent,
};
use zhuchao_domain::ids::{CategoryId, ProductId, SupplierId};

use crate::api::{api, caught_up, viewer};
use crate::auth::Viewer;
use crate::errors::{api_error, forbidden, unauthenticated, ErrorCode};
use crate::global_id::{decode, encode, Kind};
use crate::scalars::DateTime;
use crate::traffic::{record, visit};
use crate::types::MoneyOut;

#[derive(InputObject)]
pub struct StartSessionInput {
    /// The browser's long-lived visitor id, if it has one (a new one is made otherwise).
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"visitorId\")"))]
    pub visitor_id: Option<ID>,
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

/// A visit to the marketplace, for its traffic figures.
#[derive(SimpleObject)]
pub struct Visit {
    /// Send it as the `x-zhuchao-session` header with every request of the visit.
    pub session_id: ID,
    /// Keep it in the browser and give it when the next visit starts.
    pub visitor_id: ID,
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
    ) -> async_graphql::Result<Visit> {
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
                let latest = zhuchao_views::Page {
                    after: None,
                    newest_first: true,
                    limit: 20,
                };
                region = crate::read::look(ctx, |lens| {
                    lens.views
                        .orders(zhuchao_views::OrderScope::Company(*company), latest)
                        .into_iter()
                        .find_map(|(_, _, o)| {
                            o.address
                                .as_deref()
                                .and_then(region_of_address)
                                .map(String::from)
                        })
                })?;
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
                return Err(api_error(
                    ErrorCode::from_name(code).unwrap_or(ErrorCode::BadInput),
                    format!("landingUrl: a utm_ tag: {message}"),
                )
                .extend_with(|_, e| e.set("field", "landingUrl")));
            }
        }
        let session = Uuid::now_v7();
        let visitor = input
            .visitor_id
            .and_then(|v| v.parse::<Uuid>().ok())
            .unwrap_or_else(Uuid::now_v7);
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
        Ok(Visit {
            session_id: ID(session.to_string()),
            visitor_id: ID(visitor.to_string()),
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
        product_id: ID,
        quantity: u64,
    ) -> async_graphql::Result<bool> {
        let no_such = || api_error(ErrorCode::NotFound, "no such product");
        let product_id = decode(Kind::Product, &product_id).ok_or_else(no_such)?;
        // Only a product the caller may see goes into a cart: another's draft is not found.
        let product = ProductId(product_id);
        let seen = crate::read::look(ctx, |lens| {
            let p = lens.views.product(product)?;
            lens.product_from(product, &p)?;
            Some((p.supplier?, p.sheet.map_or(Uuid::nil(), |s| s.category.0)))
        })?;
        let Some((supplier, category)) = seen else {
            return Err(no_such());
        };
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
    pub category_id: Option<ID>,
    pub supplier_id: Option<ID>,
}

/// A step of the conversion funnel.
#[derive(SimpleObject)]
pub struct FunnelStep {
    pub name: String,
    pub count: u64,
    /// Share of the step before (the first step: 1).
    pub rate: Option<f64>,
}

/// The GMV of orders paid in a session = sessions × conversion rate × average order value.
/// Orders paid outside any session (API clients) count in the row's `gmv`, not here.
#[derive(SimpleObject)]
pub struct GmvDecomposition {
    pub sessions: u64,
    /// Orders paid in a session, per session.
    pub conversion_rate: Option<f64>,
    /// Of the orders paid in a session.
    pub average_order_value: Option<MoneyOut>,
    /// Of the orders paid in a session.
    pub gmv: MoneyOut,
}

/// One period's figures, for one value of the dimension asked for.
#[derive(SimpleObject)]
pub struct AnalyticsRow {
    /// Start of the hour, day or week (UTC).
    pub bucket: DateTime,
    /// The dimension's value (a region, a source, a category's or supplier's id…); empty for
    /// totals.
    pub key: String,
    /// The value for people: a category's or supplier's name; else as `key`.
    pub label: String,
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
    pub funnel: Vec<FunnelStep>,
    pub decomposition: Option<GmvDecomposition>,
}

fn cny(minor: i64) -> MoneyOut {
    MoneyOut::from(zhuchao_domain::money::Money::cny(minor))
}

impl AnalyticsRow {
    fn from_row(r: ReportRow, label: impl Fn(&str) -> (String, String)) -> Self {
        let (key, label) = label(&r.key);
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
                FunnelStep {
                    name: s.name.to_string(),
                    count: s.count,
                    rate,
                }
            })
            .collect();
        Self {
            bucket: DateTime(r.bucket),
            key,
            label,
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
            decomposition: r.sessions.map(|s| GmvDecomposition {
                sessions: s.sessions,
                conversion_rate: conversion,
                average_order_value: session_aov.map(|v| cny(v.round() as i64)),
                gmv: cny(s.session_gmv),
            }),
        }
    }
}

/// A search buyers made, and how often.
#[derive(SimpleObject)]
pub struct SearchTerm {
    pub text: String,
    pub searches: u64,
    pub zero_results: u64,
}

/// How suppliers answered the RFQs of one period.
#[derive(SimpleObject)]
pub struct RfqResponseRow {
    pub bucket: DateTime,
    pub rfqs: u64,
    pub answered: u64,
    pub within_sla: u64,
    /// Share of RFQs answered within the response SLA.
    pub within_sla_rate: Option<f64>,
    pub median_minutes_to_first_quote: Option<f64>,
}

/// One supplier's orders, disputes and their outcomes.
#[derive(SimpleObject)]
pub struct DisputeRate {
    pub supplier_id: ID,
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

/// Most rows one `analytics` answer carries.
pub const MAX_ROWS: usize = 5_000;

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
fn supplier_in_scope(ctx: &Context<'_>, asked: Option<ID>) -> async_graphql::Result<Option<Uuid>> {
    // A supplier that does not exist has no figures.
    let asked = asked.map(|id| decode(Kind::Supplier, &id).unwrap_or_default());
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

fn range(from: DateTime, to: DateTime) -> async_graphql::Result<(i64, i64)> {
    let (from, to) = (from.0, to.0);
    if to <= from {
        return Err(api_error(ErrorCode::BadRequest, "to must be after from"));
    }
    if to - from > 400 * 24 * HOUR_MS {
        return Err(api_error(
            ErrorCode::BadRequest,
            "at most 400 days at a time",
        ));
    }
    Ok((from, to))
}

#[Object]
impl AnalyticsQuery {
    /// Traffic, the conversion funnel, basket value and GMV over `[from, to)`, per hour, day or
    /// week and per value of one dimension, narrowed by `filter`. Agents see everything;
    /// suppliers only their own products and orders (cut by category or supplier).
    #[graphql(complexity = "crate::api::REPORT_COST + child_complexity")]
    async fn analytics(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
        #[graphql(default_with = "GranularityIn::Day")] granularity: GranularityIn,
        #[graphql(default_with = "DimensionIn::Total")] dimension: DimensionIn,
        filter: Option<AnalyticsFilterIn>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Vec<AnalyticsRow>> {
        let filter = filter.unwrap_or_default();
        let supplier = supplier_in_scope(ctx, filter.supplier_id)?;
        caught_up(ctx, at_least).await?;
        let (from, to) = range(from, to)?;
        let filter = Filter {
            region: filter.region,
            source: filter.source,
            campaign: filter.campaign,
            device: filter.device,
            // A category that does not exist has no figures.
            category: filter
                .category_id
                .map(|c| decode(Kind::Category, &c).unwrap_or_default()),
            supplier,
        };
        let granularity = Granularity::from(granularity);
        if granularity == Granularity::Hour && to - from > 31 * 24 * HOUR_MS {
            return Err(api_error(
                ErrorCode::BadRequest,
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
        .map_err(|_| api_error(ErrorCode::Internal, "the report failed"))?;
        if rows.len() > MAX_ROWS {
            return Err(api_error(
                ErrorCode::QueryTooComplex,
                format!(
                    "{} rows are more than one answer carries (at most {MAX_ROWS}): ask for a shorter range, a coarser granularity or fewer values",
                    rows.len()
                ),
            ));
        }
        let views = api(ctx).views.catalog();
        let label = |key: &str| -> (String, String) {
            let uuid = key.parse::<Uuid>().ok();
            match (dimension, uuid) {
                (Dimension::Category, Some(u)) => (
                    encode(Kind::Category, u).to_string(),
                    views
                        .categories
                        .get(&CategoryId(u))
                        .map_or_else(|| key.to_string(), |c| c.name.clone()),
                ),
                (Dimension::Supplier, Some(u)) => (
                    encode(Kind::Supplier, u).to_string(),
                    views
                        .suppliers
                        .get(&SupplierId(u))
                        .map_or_else(|| key.to_string(), |s| s.company_name.clone()),
                ),
                _ => (key.to_string(), key.to_string()),
            }
        };
        Ok(rows
            .into_iter()
            .map(|r| AnalyticsRow::from_row(r, label))
            .collect())
    }

    /// Agents: what buyers searched for most over `[from, to)`; with `zeroResultsOnly`, the
    /// searches that found nothing (the catalogue's gaps).
    #[graphql(complexity = "crate::api::REPORT_COST + child_complexity")]
    async fn top_searches(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
        #[graphql(default = 20)] limit: usize,
        #[graphql(default)] zero_results_only: bool,
    ) -> async_graphql::Result<Vec<SearchTerm>> {
        if scope(ctx)?.is_some() {
            return Err(forbidden());
        }
        let (from, to) = range(from, to)?;
        Ok(api(ctx)
            .analytics
            .read()
            .top_searches(from, to, limit.min(200), zero_results_only)
            .into_iter()
            .map(|(text, searches, zero_results)| SearchTerm {
                text,
                searches,
                zero_results,
            })
            .collect())
    }

    /// RFQs sent over `[from, to)`: how many got a quote, the share within the response SLA and
    /// the median time to the first quote. Suppliers see their own invitations.
    #[graphql(complexity = "crate::api::REPORT_COST + child_complexity")]
    async fn rfq_response(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
        #[graphql(default_with = "GranularityIn::Day")] granularity: GranularityIn,
        supplier_id: Option<ID>,
    ) -> async_graphql::Result<Vec<RfqResponseRow>> {
        let supplier = supplier_in_scope(ctx, supplier_id)?;
        let (from, to) = range(from, to)?;
        let granularity = Granularity::from(granularity);
        Ok(api(ctx)
            .analytics
            .read()
            .rfq_response(from, to, granularity, supplier)
            .into_iter()
            .map(|r| RfqResponseRow {
                bucket: DateTime(r.bucket),
                rfqs: r.rfqs,
                answered: r.answered,
                within_sla: r.within_sla,
                within_sla_rate: (r.rfqs > 0).then(|| r.within_sla as f64 / r.rfqs as f64),
                median_minutes_to_first_quote: r.median_minutes_to_first_quote,
            })
            .collect())
    }

    /// Orders, disputes and their outcomes per supplier over `[from, to)`, most disputed first.
    #[graphql(complexity = "crate::api::REPORT_COST + child_complexity")]
    async fn dispute_rates(
        &self,
        ctx: &Context<'_>,
        from: DateTime,
        to: DateTime,
        supplier_id: Option<ID>,
    ) -> async_graphql::Result<Vec<DisputeRate>> {
        let supplier = supplier_in_scope(ctx, supplier_id)?;
        let (from, to) = range(from, to)?;
        let list = api(ctx).analytics.read().disputes(from, to, supplier);
        let views = api(ctx).views.catalog();
        Ok(list
            .into_iter()
            .map(|(s, c)| DisputeRate {
                supplier_id: encode(Kind::Supplier, s),
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
