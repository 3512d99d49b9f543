//! Queries: what each role's screens read. Every field checks who asks: a buyer sees its own
//! company's orders and RFQs, a supplier its own orders, its inbox and only its own quotes,
//! agents everything. Every query takes `atLeast` to read its caller's own writes.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use uuid::Uuid;
use zhuchao_domain::account::Role;
use zhuchao_domain::dispute::DisputeStatus;
use zhuchao_domain::ids::*;
use zhuchao_domain::product::ProductStatus;
use zhuchao_domain::rfq::RfqStatus;
use zhuchao_domain::supplier::{Review, SupplierStatus};
use zhuchao_eventstore::{Direction, EventStore, StreamFrom, StreamName};

use crate::access::{may_see_order, rfq_visibility};
use crate::api::{api, caught_up, paginate, signed_in, staff, viewer, MAX_PAGE};
use crate::auth::Viewer;
use crate::errors::{api_error, forbidden, not_found};
use crate::types::*;
use crate::views::Views;

/// Every query: the marketplace's screens and analytics.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(MarketQuery, crate::analytics_api::AnalyticsQuery);

#[derive(Default)]
pub struct MarketQuery;

pub(crate) fn units_of(
    views: &Views,
    category: Option<CategoryId>,
) -> impl Fn(&str) -> Option<String> + '_ {
    move |key| {
        let c = views.categories.get(&category?)?;
        match &c.schema.get(key)?.kind {
            zhuchao_domain::category::AttributeKind::Number { unit, .. } => {
                Some(unit.symbol().to_string())
            }
            _ => None,
        }
    }
}

fn supplier_out(views: &Views, viewer: &Viewer, id: SupplierId) -> Option<SupplierOut> {
    let s = views.suppliers.get(&id)?;
    let private =
        viewer.is_staff() || matches!(viewer, Viewer::Supplier { supplier, .. } if *supplier == id);
    // An applicant's profile (name, credit code) is public only once it has been verified and
    // gone live.
    if !private && !s.went_live {
        return None;
    }
    let credit = s
        .credit_code
        .as_ref()
        .and_then(|c| views.credit.get(c.as_str()))
        .map(|r| r.history.iter().map(Into::into).collect())
        .unwrap_or_default();
    Some(SupplierOut::from_state(
        id,
        s,
        views.supplier_stats.get(&id),
        credit,
        private,
    ))
}

#[Object]
impl MarketQuery {
    /// The signed-in user.
    async fn me(
        &self,
        ctx: &Context<'_>,
        at_least: Option<String>,
    ) -> async_graphql::Result<MeOut> {
        caught_up(ctx, at_least).await?;
        let user = signed_in(ctx)?;
        let views = api(ctx).views.views.read().await;
        let account = views.account_of(user).ok_or_else(|| not_found("account"))?;
        let (role, company_id, company_name, supplier_id) = match account.role.clone() {
            Some(Role::Admin) => ("ADMIN", None, None, None),
            Some(Role::Agent) => ("AGENT", None, None, None),
            Some(Role::Buyer {
                company,
                company_name,
            }) => ("BUYER", Some(company.0), Some(company_name), None),
            Some(Role::Supplier { supplier }) => ("SUPPLIER", None, None, Some(supplier.0)),
            None => return Err(not_found("account")),
        };
        Ok(MeOut {
            id: user.0,
            email: account.email.clone(),
            name: account.name.clone(),
            role: role.into(),
            company_id,
            company_name,
            supplier_id,
        })
    }

    /// The catalogue's categories with their attribute schemas.
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn categories(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, CategoryOut>> {
        caught_up(ctx, at_least).await?;
        let views = api(ctx).views.views.read().await;
        let items = views
            .categories
            .iter()
            .map(|(id, c)| (id.0, CategoryOut::from_state(*id, c)))
            .collect();
        paginate(items, false, first, after)
    }

    /// Parametric search over published products: free text (Chinese or English), a category
    /// subtree, attribute values and ranges in any unit the category knows, stock, MOQ at the
    /// wanted quantity, badges; with the total and disjunctive facet counts for the category.
    #[graphql(complexity = "crate::api::search_cost(first, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] search: ProductSearchInput,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<ProductSearchOut> {
        caught_up(ctx, at_least).await?;
        let query = search.into_query(first, after)?;
        let first_page = query.after.is_none();
        let (text, category, filters) = (
            query.text.clone().unwrap_or_default(),
            query.category.map(|c| c.0),
            (query.values.len()
                + query.ranges.len()
                + usize::from(query.in_stock)
                + usize::from(query.verified)
                + usize::from(query.guaranteed)
                + usize::from(query.quantity.is_some())
                + usize::from(query.price != (None, None))
                + usize::from(query.min_level.is_some())) as u32,
        );
        let index = api(ctx).search.clone();
        let result = tokio::task::spawn_blocking(move || index.search(&query))
            .await
            .map_err(|_| api_error("INTERNAL", "the search failed"))?
            .map_err(|e| match e {
                zhuchao_search::SearchError::BadQuery(m) => api_error("BAD_REQUEST", m),
                other => {
                    tracing::error!(error = %other, "search failed");
                    api_error("INTERNAL", "the search failed")
                }
            })?;
        if first_page {
            let results = result.total as u64;
            crate::traffic::record(ctx, |session, at| {
                zhuchao_analytics::TrafficEvent::Searched {
                    session,
                    text,
                    category,
                    filters,
                    results,
                    at,
                }
            });
        }
        let views = api(ctx).views.views.read().await;
        Ok(ProductSearchOut::from_result(result, |category, key| {
            units_of(&views, Some(category))(key)
        }))
    }

    /// Suppliers: their own products in every state (drafts, unpublished, delisted), newest first.
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn my_products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, ProductOut>> {
        caught_up(ctx, at_least).await?;
        let (_, me) = crate::api::supplier(ctx)?;
        let views = api(ctx).views.views.read().await;
        let items = views
            .products
            .iter()
            .filter(|(_, p)| p.supplier == Some(me))
            .map(|(id, p)| {
                (
                    id.0,
                    ProductOut::from_state(
                        *id,
                        p,
                        units_of(&views, p.sheet.as_ref().map(|s| s.category)),
                    ),
                )
            })
            .collect();
        paginate(items, true, first, after)
    }

    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least: Option<String>,
    ) -> async_graphql::Result<ProductOut> {
        caught_up(ctx, at_least).await?;
        let me = viewer(ctx);
        let views = api(ctx).views.views.read().await;
        let p = views
            .products
            .get(&ProductId(id))
            .ok_or_else(|| not_found("product"))?;
        let visible = p.status == ProductStatus::Published
            || me.is_staff()
            || matches!(me, Viewer::Supplier { supplier, .. } if p.supplier == Some(*supplier));
        if !visible {
            return Err(not_found("product"));
        }
        if let (Some(supplier), Some(sheet)) = (p.supplier, p.sheet.as_ref()) {
            let category = sheet.category.0;
            crate::traffic::record(ctx, |session, at| {
                zhuchao_analytics::TrafficEvent::ProductViewed {
                    session,
                    product: id,
                    category,
                    supplier: supplier.0,
                    at,
                }
            });
        }
        Ok(ProductOut::from_state(
            ProductId(id),
            p,
            units_of(&views, p.sheet.as_ref().map(|s| s.category)),
        ))
    }

    /// The unit price of a product when ordering `quantity` pieces (its tier price).
    async fn unit_price(
        &self,
        ctx: &Context<'_>,
        product_id: Uuid,
        quantity: u64,
    ) -> async_graphql::Result<Option<MoneyOut>> {
        let views = api(ctx).views.views.read().await;
        let p = views
            .products
            .get(&ProductId(product_id))
            .filter(|p| p.status == ProductStatus::Published)
            .ok_or_else(|| not_found("product"))?;
        Ok(price_at(p, quantity))
    }

    /// A supplier's public profile: badges, level, ratings and credit record (documents and
    /// deposit only for the supplier itself and agents).
    async fn supplier(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least: Option<String>,
    ) -> async_graphql::Result<SupplierOut> {
        caught_up(ctx, at_least).await?;
        let views = api(ctx).views.views.read().await;
        supplier_out(&views, viewer(ctx), SupplierId(id)).ok_or_else(|| not_found("supplier"))
    }

    /// Active suppliers (agents see every status).
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn suppliers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, SupplierOut>> {
        caught_up(ctx, at_least).await?;
        let me = viewer(ctx);
        let views = api(ctx).views.views.read().await;
        let items = views
            .suppliers
            .iter()
            .filter(|(_, s)| me.is_staff() || s.status == SupplierStatus::Active)
            .filter_map(|(id, _)| Some((id.0, supplier_out(&views, me, *id)?)))
            .collect();
        paginate(items, false, first, after)
    }

    /// The buyer company's RFQs, newest first, with every quote.
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn my_rfqs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, RfqOut>> {
        caught_up(ctx, at_least).await?;
        let (_, company) = crate::api::buyer(ctx)?;
        let now = api(ctx).market.handler.now();
        let views = api(ctx).views.views.read().await;
        let items = views
            .rfqs
            .iter()
            .filter(|(_, r)| r.company == Some(company))
            .map(|(id, r)| {
                (
                    id.0,
                    RfqOut::from_state(*id, r, now, None, units_of(&views, r.category)),
                )
            })
            .collect();
        paginate(items, true, first, after)
    }

    /// A supplier's RFQ inbox: RFQs it is invited to and open pool RFQs of its categories,
    /// newest first, with the SLA time left and its own quote only.
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn rfq_inbox(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, RfqOut>> {
        caught_up(ctx, at_least).await?;
        let (_, me) = crate::api::supplier(ctx)?;
        let now = api(ctx).market.handler.now();
        let views = api(ctx).views.views.read().await;
        let v = viewer(ctx);
        let items = views
            .rfqs
            .iter()
            .filter(|(_, r)| matches!(r.status, RfqStatus::Open | RfqStatus::Quoted))
            .filter(|(_, r)| rfq_visibility(&views, v, r).is_some())
            .map(|(id, r)| {
                (
                    id.0,
                    RfqOut::from_state(*id, r, now, Some(me), units_of(&views, r.category)),
                )
            })
            .collect();
        paginate(items, true, first, after)
    }

    async fn rfq(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least: Option<String>,
    ) -> async_graphql::Result<RfqOut> {
        caught_up(ctx, at_least).await?;
        let now = api(ctx).market.handler.now();
        let views = api(ctx).views.views.read().await;
        let r = views.rfqs.get(&RfqId(id)).ok_or_else(|| not_found("RFQ"))?;
        let only = rfq_visibility(&views, viewer(ctx), r).ok_or_else(|| not_found("RFQ"))?;
        Ok(RfqOut::from_state(
            RfqId(id),
            r,
            now,
            only,
            units_of(&views, r.category),
        ))
    }

    /// The caller's orders, newest first: its company's as a buyer, its own as a supplier.
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn my_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, OrderOut>> {
        caught_up(ctx, at_least).await?;
        let me = viewer(ctx);
        if matches!(me, Viewer::Anonymous) {
            return Err(crate::errors::unauthenticated());
        }
        let views = api(ctx).views.views.read().await;
        let items = views
            .orders
            .iter()
            .filter(|(_, o)| may_see_order(me, o.company, o.supplier))
            .map(|(id, o)| (id.0, OrderOut::from_state(*id, o, views.escrows.get(id))))
            .collect();
        paginate(items, true, first, after)
    }

    async fn order(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least: Option<String>,
    ) -> async_graphql::Result<OrderOut> {
        caught_up(ctx, at_least).await?;
        let views = api(ctx).views.views.read().await;
        let o = views
            .orders
            .get(&OrderId(id))
            .ok_or_else(|| not_found("order"))?;
        if !may_see_order(viewer(ctx), o.company, o.supplier) {
            return Err(not_found("order"));
        }
        Ok(OrderOut::from_state(
            OrderId(id),
            o,
            views.escrows.get(&OrderId(id)),
        ))
    }

    /// Agents: suppliers with documents waiting for review, oldest first.
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, SupplierOut>> {
        caught_up(ctx, at_least).await?;
        staff(ctx)?;
        let views = api(ctx).views.views.read().await;
        let items = views
            .suppliers
            .iter()
            .filter(|(_, s)| s.documents.values().any(|d| d.review == Review::Pending))
            .filter_map(|(id, _)| Some((id.0, supplier_out(&views, viewer(ctx), *id)?)))
            .collect();
        paginate(items, false, first, after)
    }

    /// Agents: disputes waiting for a ruling, oldest first.
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn dispute_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, DisputeOut>> {
        caught_up(ctx, at_least).await?;
        staff(ctx)?;
        let views = api(ctx).views.views.read().await;
        let items = views
            .disputes
            .iter()
            .filter(|(_, d)| matches!(d.status, DisputeStatus::Open | DisputeStatus::UnderReview))
            .map(|(id, d)| (id.0, DisputeOut::from_state(*id, d)))
            .collect();
        paginate(items, false, first, after)
    }

    async fn dispute(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least: Option<String>,
    ) -> async_graphql::Result<DisputeOut> {
        caught_up(ctx, at_least).await?;
        let views = api(ctx).views.views.read().await;
        let d = views
            .disputes
            .get(&DisputeId(id))
            .ok_or_else(|| not_found("dispute"))?;
        if !may_see_order(viewer(ctx), d.company, d.supplier) {
            return Err(not_found("dispute"));
        }
        Ok(DisputeOut::from_state(DisputeId(id), d))
    }

    /// What happened to an order, RFQ, dispute, product or supplier, event by event — for those
    /// allowed to see it. `stream` is `order-<id>`, `rfq-<id>`, `escrow-<id>`, `dispute-<id>`, ….
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        stream: String,
        first: Option<i32>,
        after: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, EventOut>> {
        caught_up(ctx, at_least).await?;
        let me = viewer(ctx);
        {
            let views = api(ctx).views.views.read().await;
            let (kind, id) = stream.split_once('-').ok_or_else(|| not_found("stream"))?;
            let id: Uuid = id.parse().map_err(|_| not_found("stream"))?;
            let allowed = match kind {
                "order" | "escrow" | "payment" | "review" => views.orders.get(&OrderId(id)).is_some_and(|o| may_see_order(me, o.company, o.supplier)),
                "dispute" => views.disputes.get(&DisputeId(id)).is_some_and(|d| may_see_order(me, d.company, d.supplier)),
                "rfq" => views.rfqs.get(&RfqId(id)).is_some_and(|r| matches!(rfq_visibility(&views, me, r), Some(None))),
                "product" => views.products.get(&ProductId(id)).is_some_and(|p| me.is_staff() || matches!(me, Viewer::Supplier { supplier, .. } if p.supplier == Some(*supplier))),
                "supplier" => me.is_staff() || matches!(me, Viewer::Supplier { supplier, .. } if supplier.0 == id),
                "category" => true,
                _ => false,
            };
            if !allowed {
                return Err(if matches!(me, Viewer::Anonymous) {
                    crate::errors::unauthenticated()
                } else {
                    forbidden()
                });
            }
        }
        let name = StreamName::new(stream).map_err(|e| api_error("BAD_REQUEST", e.to_string()))?;
        let events = api(ctx)
            .market
            .handler
            .store()
            .read_stream(&name, StreamFrom::Start, Direction::Forwards, 10_000)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "history read failed");
                api_error("INTERNAL", "the history could not be read")
            })?;
        let items = events
            .into_iter()
            .map(|e| {
                (
                    e.id,
                    EventOut {
                        position: e.position.to_string(),
                        version: e.version,
                        event_type: e.event_type,
                        schema_version: e.schema_version,
                        payload: e.payload,
                        actor: e.metadata.actor,
                        at: e.metadata.timestamp_ms as f64,
                    },
                )
            })
            .collect();
        paginate(items, false, first.map(|f| f.min(MAX_PAGE as i32)), after)
    }

    /// The position the read side has reached.
    async fn read_position(&self, ctx: &Context<'_>) -> String {
        api(ctx).views.position().to_string()
    }

    /// Server time, in milliseconds since the Unix epoch.
    async fn now(&self, ctx: &Context<'_>) -> f64 {
        api(ctx).market.handler.now() as f64
    }
}
