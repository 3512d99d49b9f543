//! Queries: what each role's screens read. Every field checks who asks — a buyer sees its own
//! company's orders and RFQs, a supplier its own orders, its inbox and only its own quotes,
//! agents everything — by building its objects through `read::Lens`. Every query takes
//! `atLeast` to read its caller's own writes; orders, RFQs, quotes, disputes and suppliers also
//! read as of any earlier moment (`asOf`, `asOfPosition`).

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, ID};
use zhuchao_domain::ids::*;
use zhuchao_domain::product::ProductStatus;
use zhuchao_domain::rfq::RfqStatus;
use zhuchao_domain::supplier::{Review, SupplierStatus};
use zhuchao_views::OrderScope;

use crate::api::{api, caught_up, keyset, paginate, signed_in, staff, viewer};
use crate::auth::Viewer;
use crate::errors::{api_error, internal, not_found, ErrorCode};
use crate::global_id::{decode, Kind};
use crate::history::{self, Deal, Moment};
use crate::read::look;
use crate::relay::Node;
use crate::scalars::DateTime;
use crate::supplier_profile::SupplierOut;
use crate::trade::{DisputeOut, OrderOut, QuoteOut, RfqOut};
use crate::types::*;

/// Every query: the marketplace's screens and analytics.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(MarketQuery, crate::analytics_api::AnalyticsQuery);

#[derive(Default)]
pub struct MarketQuery;

/// The uuid of an id argument of `kind`; anything else is not found.
fn id_arg(kind: Kind, id: &ID) -> async_graphql::Result<uuid::Uuid> {
    decode(kind, id).ok_or_else(|| not_found(&kind.name().to_lowercase()))
}

#[Object]
impl MarketQuery {
    /// The signed-in user.
    async fn me(
        &self,
        ctx: &Context<'_>,
        at_least: Option<String>,
    ) -> async_graphql::Result<UserOut> {
        caught_up(ctx, at_least).await?;
        let user = signed_in(ctx)?;
        look(ctx, |lens| lens.user(user))?.ok_or_else(|| not_found("account"))
    }

    /// Any object by its global id, for those who may see it.
    async fn node(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at_least: Option<String>,
    ) -> async_graphql::Result<Option<Node>> {
        caught_up(ctx, at_least).await?;
        look(ctx, |lens| crate::relay::node(lens, &id))
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
        let items = look(ctx, |lens| {
            lens.views
                .categories
                .iter()
                .map(|(id, c)| (lens.catalog_key(id.0), CategoryOut::from_state(*id, c)))
                .collect()
        })?;
        paginate(items, false, first, after)
    }

    async fn category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at_least: Option<String>,
    ) -> async_graphql::Result<CategoryOut> {
        caught_up(ctx, at_least).await?;
        let id = CategoryId(id_arg(Kind::Category, &id)?);
        look(ctx, |lens| lens.category(id))?.ok_or_else(|| not_found("category"))
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
    ) -> async_graphql::Result<ProductSearchConnection> {
        caught_up(ctx, at_least).await?;
        let mut query = search.into_query(first, after)?;
        // Facets and category counts cost a walk over every result: only when asked for.
        let look = ctx.look_ahead();
        query.without_facets = !look.field("facets").exists() && !look.field("categories").exists();
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
            .map_err(|_| internal("the search failed"))?
            .map_err(|e| match e {
                zhuchao_search::SearchError::BadQuery(m) => api_error(ErrorCode::BadRequest, m),
                other => {
                    tracing::error!(error = %other, "search failed");
                    internal("the search failed")
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
        let catalog = api(ctx).views.catalog();
        Ok(ProductSearchConnection::from_result(result, |c| {
            catalog.categories.get(&c)
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
        look(ctx, |lens| {
            keyset(first, after, true, |page| {
                lens.views
                    .products_of(me, page)
                    .into_iter()
                    .map(|(born, id, p)| ((born, id.0), lens.product_from(id, &p)))
                    .collect()
            })
        })?
    }

    /// A product: published ones for everyone, the others for their supplier and agents.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at_least: Option<String>,
    ) -> async_graphql::Result<ProductOut> {
        caught_up(ctx, at_least).await?;
        let id = ProductId(id_arg(Kind::Product, &id)?);
        let (product, seen) = look(ctx, |lens| {
            let Some(p) = lens.views.product(id) else {
                return (None, None);
            };
            let seen = p.supplier.zip(p.sheet.as_ref().map(|s| s.category));
            (lens.product_from(id, &p), seen)
        })?;
        let product = product.ok_or_else(|| not_found("product"))?;
        if let Some((supplier, category)) = seen {
            crate::traffic::record(ctx, |session, at| {
                zhuchao_analytics::TrafficEvent::ProductViewed {
                    session,
                    product: id.0,
                    category: category.0,
                    supplier: supplier.0,
                    at,
                }
            });
        }
        Ok(product)
    }

    /// The unit price of a product when ordering `quantity` pieces (its tier price).
    async fn unit_price(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        quantity: u64,
    ) -> async_graphql::Result<Option<MoneyOut>> {
        let id = ProductId(id_arg(Kind::Product, &product_id)?);
        let p = look(ctx, |lens| lens.views.product(id))?
            .filter(|p| p.status == ProductStatus::Published)
            .ok_or_else(|| not_found("product"))?;
        Ok(price_at(&p, quantity))
    }

    /// A supplier's public profile: badges, level, ratings and credit record (documents and
    /// deposit only for the supplier itself and agents); as of `asOf` or `asOfPosition` when
    /// given.
    async fn supplier(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<DateTime>,
        as_of_position: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<SupplierOut> {
        caught_up(ctx, at_least).await?;
        let id = SupplierId(id_arg(Kind::Supplier, &id)?);
        if let Some(moment) = Moment::from_args(as_of, as_of_position)? {
            return history::supplier_as_of(ctx, id, moment).await;
        }
        look(ctx, |lens| lens.supplier(id))?.ok_or_else(|| not_found("supplier"))
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
        let items = look(ctx, |lens| {
            lens.views
                .suppliers
                .iter()
                .filter(|(_, s)| me.is_staff() || s.status == SupplierStatus::Active)
                .filter_map(|(id, _)| Some((lens.catalog_key(id.0), lens.supplier(*id)?)))
                .collect()
        })?;
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
        look(ctx, |lens| {
            keyset(first, after, true, |page| {
                lens.views
                    .rfqs_of(company, page)
                    .into_iter()
                    .map(|(born, id, r)| ((born, id.0), lens.rfq_from(id, &r)))
                    .collect()
            })
        })?
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
        look(ctx, |lens| {
            let categories = lens
                .views
                .suppliers
                .get(&me)
                .map(|s| s.categories.clone())
                .unwrap_or_default();
            keyset(first, after, true, |page| {
                lens.views
                    .rfq_inbox(me, &categories, page)
                    .into_iter()
                    .map(|(born, id, r)| {
                        let open = matches!(r.status, RfqStatus::Open | RfqStatus::Quoted);
                        ((born, id.0), open.then(|| lens.rfq_from(id, &r)).flatten())
                    })
                    .collect()
            })
        })?
    }

    /// An RFQ, for its buyer's company and the suppliers it is open to (each seeing only its
    /// own quote); as of `asOf` or `asOfPosition` when given.
    async fn rfq(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<DateTime>,
        as_of_position: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<RfqOut> {
        caught_up(ctx, at_least).await?;
        let id = RfqId(id_arg(Kind::Rfq, &id)?);
        if let Some(moment) = Moment::from_args(as_of, as_of_position)? {
            return history::rfq_as_of(ctx, id, moment).await;
        }
        look(ctx, |lens| lens.rfq(id))?.ok_or_else(|| not_found("RFQ"))
    }

    /// A quote, for the RFQ's buyer and the quote's supplier; as of `asOf` or `asOfPosition`
    /// when given ("what did the buyer accept at 14:02?").
    async fn quote(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<DateTime>,
        as_of_position: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<QuoteOut> {
        caught_up(ctx, at_least).await?;
        let id = QuoteId(id_arg(Kind::Quote, &id)?);
        if let Some(moment) = Moment::from_args(as_of, as_of_position)? {
            return history::quote_as_of(ctx, id, moment).await;
        }
        look(ctx, |lens| lens.quote(id))?.ok_or_else(|| not_found("quote"))
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
        let scope = match me {
            Viewer::Buyer { company, .. } => OrderScope::Company(*company),
            Viewer::Supplier { supplier, .. } => OrderScope::Supplier(*supplier),
            _ => OrderScope::All,
        };
        look(ctx, |lens| {
            keyset(first, after, true, |page| {
                lens.views
                    .orders(scope, page)
                    .into_iter()
                    .map(|(born, id, o)| ((born, id.0), lens.order_from(id, &o)))
                    .collect()
            })
        })?
    }

    /// An order, for its buyer's company, its supplier and agents; as of `asOf` or
    /// `asOfPosition` when given.
    async fn order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<DateTime>,
        as_of_position: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<OrderOut> {
        caught_up(ctx, at_least).await?;
        let id = OrderId(id_arg(Kind::Order, &id)?);
        if let Some(moment) = Moment::from_args(as_of, as_of_position)? {
            return history::order_as_of(ctx, id, moment).await;
        }
        look(ctx, |lens| lens.order(id))?.ok_or_else(|| not_found("order"))
    }

    /// An order by its number for people (`ZC-20261202-00042`).
    async fn order_by_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::CODE.of(\"number\")"))] number: String,
        at_least: Option<String>,
    ) -> async_graphql::Result<OrderOut> {
        caught_up(ctx, at_least).await?;
        look(ctx, |lens| lens.order(lens.views.order_by_number(&number)?))?
            .ok_or_else(|| not_found("order"))
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
        let items = look(ctx, |lens| {
            lens.views
                .suppliers
                .iter()
                .filter(|(_, s)| s.documents.values().any(|d| d.review == Review::Pending))
                .filter_map(|(id, _)| Some((lens.catalog_key(id.0), lens.supplier(*id)?)))
                .collect()
        })?;
        paginate(items, false, first, after)
    }

    /// Agents: disputes waiting for a ruling, oldest first (or those decided, newest first).
    #[graphql(complexity = "crate::api::page_cost(first, child_complexity)")]
    async fn dispute_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(
            default = false,
            desc = "The decided disputes instead (ruled, withdrawn or abandoned), newest first."
        )]
        decided: bool,
        at_least: Option<String>,
    ) -> async_graphql::Result<Connection<String, DisputeOut>> {
        caught_up(ctx, at_least).await?;
        staff(ctx)?;
        look(ctx, |lens| {
            keyset(first, after, decided, |page| {
                if decided {
                    lens.views.decided_disputes(page)
                } else {
                    lens.views.dispute_queue(page)
                }
                .into_iter()
                .map(|(born, id, d)| ((born, id.0), lens.dispute_from(id, &d)))
                .collect()
            })
        })?
    }

    /// A dispute, for the order's two parties and agents; as of `asOf` or `asOfPosition` when
    /// given.
    async fn dispute(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<DateTime>,
        as_of_position: Option<String>,
        at_least: Option<String>,
    ) -> async_graphql::Result<DisputeOut> {
        caught_up(ctx, at_least).await?;
        let id = DisputeId(id_arg(Kind::Dispute, &id)?);
        if let Some(moment) = Moment::from_args(as_of, as_of_position)? {
            return history::dispute_as_of(ctx, id, moment).await;
        }
        look(ctx, |lens| lens.dispute(id))?.ok_or_else(|| not_found("dispute"))
    }

    /// A whole deal — RFQ, quotes and counter-offers, order, payment and escrow, shipment,
    /// return, dispute and ruling, review — found by the id of any of its RFQ, quote, order or
    /// dispute, with one timeline across them: each part for those allowed to see it.
    #[graphql(complexity = "4 * crate::api::HISTORY_COST + child_complexity")]
    async fn deal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at_least: Option<String>,
    ) -> async_graphql::Result<Deal> {
        caught_up(ctx, at_least).await?;
        history::deal(ctx, id).await
    }

    /// The position the read side has reached.
    async fn read_position(&self, ctx: &Context<'_>) -> String {
        api(ctx).views.position().to_string()
    }

    /// The server's time.
    async fn now(&self, ctx: &Context<'_>) -> DateTime {
        DateTime(api(ctx).market.handler.now())
    }
}
