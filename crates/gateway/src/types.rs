//! The API's object types: what each screen reads, converted from the read models. Money is
//! integer minor units (as a string, since GraphQL's Int is 32-bit) with its currency; times are
//! milliseconds since the Unix epoch.

use async_graphql::{InputObject, SimpleObject};
use uuid::Uuid;
use zhuchao_app::handler::variant_name;
use zhuchao_domain::category::{AttributeKind, AttributeValue, CategoryState};
use zhuchao_domain::credit_record::CreditEntry;
use zhuchao_domain::dispute::DisputeState;
use zhuchao_domain::escrow::EscrowState;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::{Currency, Money};
use zhuchao_domain::order::OrderState;
use zhuchao_domain::product::{tier_price, ProductState};
use zhuchao_domain::rfq::{Quote, RfqState};
use zhuchao_domain::supplier::{supplier_level, SupplierState};

use crate::views::SupplierStats;

#[derive(SimpleObject, Clone, Debug)]
pub struct MoneyOut {
    /// Minor units (fen, cents) as a decimal string.
    pub minor: String,
    pub currency: String,
    /// For people: `380.00 CNY`.
    pub formatted: String,
}

impl From<Money> for MoneyOut {
    fn from(m: Money) -> Self {
        Self {
            minor: m.minor.to_string(),
            currency: m.currency.code().into(),
            formatted: m.to_string(),
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// Minor units (fen, cents) as a decimal string.
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"minor\")"))]
    pub minor: String,
    /// CNY, USD or EUR.
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"currency\")"))]
    pub currency: String,
}

impl MoneyInput {
    pub fn parse(&self) -> Result<Money, String> {
        let minor = self
            .minor
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{:?} is not a whole number of minor units", self.minor))?;
        let currency = match self.currency.trim().to_uppercase().as_str() {
            "CNY" => Currency::CNY,
            "USD" => Currency::USD,
            "EUR" => Currency::EUR,
            other => return Err(format!("unknown currency {other:?}")),
        };
        Ok(Money::new(minor, currency))
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct AttributeDefOut {
    pub key: String,
    pub label: String,
    /// `ENUM`, `NUMBER` or `TEXT`.
    pub kind: String,
    pub values: Vec<String>,
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub required: bool,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CategoryOut {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub attributes: Vec<AttributeDefOut>,
    /// Groups of words searched as one in this category.
    pub synonyms: Vec<Vec<String>>,
}

impl CategoryOut {
    pub fn from_state(id: CategoryId, c: &CategoryState) -> Self {
        let attributes = c
            .schema
            .attributes
            .iter()
            .map(|a| {
                let (kind, values, unit, min, max) = match &a.kind {
                    AttributeKind::Enum { values } => ("ENUM", values.clone(), None, None, None),
                    AttributeKind::Number { unit, min, max } => (
                        "NUMBER",
                        vec![],
                        Some(unit.symbol().to_string()),
                        *min,
                        *max,
                    ),
                    AttributeKind::Text => ("TEXT", vec![], None, None, None),
                };
                AttributeDefOut {
                    key: a.key.clone(),
                    label: a.label.clone(),
                    kind: kind.into(),
                    values,
                    unit,
                    min,
                    max,
                    required: a.required,
                }
            })
            .collect();
        Self {
            id: id.0,
            name: c.name.clone(),
            parent_id: c.parent.map(|p| p.0),
            attributes,
            synonyms: c.synonyms.clone(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct AttributeOut {
    pub key: String,
    /// As shown to people, with its unit: `M8`, `30 mm`.
    pub value: String,
    /// Numbers in the category's base unit.
    pub number: Option<f64>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct TierOut {
    pub min_quantity: u64,
    pub unit_price: MoneyOut,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ProductOut {
    pub id: Uuid,
    pub supplier_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub title: String,
    pub brand: String,
    pub name: String,
    pub description: String,
    /// `DRAFT`, `PUBLISHED`, `UNPUBLISHED`, `DELISTED`.
    pub status: String,
    pub attributes: Vec<AttributeOut>,
    pub moq: u64,
    pub pack_size: u64,
    pub tiers: Vec<TierOut>,
    /// Pieces a buyer may order now: on hand less what open orders have reserved.
    pub stock: u64,
    /// Pieces on hand, reserved ones included (what the supplier sets).
    pub on_hand: u64,
    /// Pieces held for orders placed and not yet shipped.
    pub reserved: u64,
    pub lead_time_days: u32,
    pub shipping_cost: Option<MoneyOut>,
}

/// Checked attribute values as shown: numbers with their unit when the schema is at hand.
pub fn attribute_outs(
    attributes: &std::collections::BTreeMap<String, AttributeValue>,
    schema_units: impl Fn(&str) -> Option<String>,
) -> Vec<AttributeOut> {
    attributes
        .iter()
        .map(|(k, v)| match v {
            AttributeValue::Enum(s) | AttributeValue::Text(s) => AttributeOut {
                key: k.clone(),
                value: s.clone(),
                number: None,
            },
            AttributeValue::Number(n) => AttributeOut {
                key: k.clone(),
                value: format!("{n} {}", schema_units(k).unwrap_or_default())
                    .trim()
                    .to_string(),
                number: Some(*n),
            },
        })
        .collect()
}

impl ProductOut {
    pub fn from_state(
        id: ProductId,
        p: &ProductState,
        schema_units: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let sheet = p.sheet.clone();
        let attributes = attribute_outs(&p.attributes, schema_units);
        Self {
            id: id.0,
            supplier_id: p.supplier.map(|s| s.0),
            category_id: sheet.as_ref().map(|s| s.category.0),
            title: p.title.clone(),
            brand: sheet.as_ref().map(|s| s.brand.clone()).unwrap_or_default(),
            name: sheet.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
            description: sheet
                .as_ref()
                .map(|s| s.description.clone())
                .unwrap_or_default(),
            status: variant_name(&p.status),
            attributes,
            moq: sheet.as_ref().map_or(0, |s| s.moq),
            pack_size: sheet.as_ref().map_or(0, |s| s.pack_size),
            tiers: sheet
                .as_ref()
                .map(|s| {
                    s.tiers
                        .iter()
                        .map(|t| TierOut {
                            min_quantity: t.min_quantity,
                            unit_price: t.unit_price.into(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            stock: p.available(),
            on_hand: p.on_hand(),
            reserved: p.reserved(),
            lead_time_days: sheet.as_ref().map_or(0, |s| s.lead_time_days),
            shipping_cost: sheet.as_ref().map(|s| s.shipping_cost.into()),
        }
    }
}

/// The unit price of a product at a quantity, by its tiers.
pub fn price_at(p: &ProductState, quantity: u64) -> Option<MoneyOut> {
    tier_price(&p.sheet.as_ref()?.tiers, quantity).map(Into::into)
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CreditEntryOut {
    /// `REGISTERED`, `WARNING`, `PENALTY`, `DISPUTE_LOST`, `EXITED`.
    pub kind: String,
    pub supplier_id: Uuid,
    pub detail: String,
    pub amount: Option<MoneyOut>,
    pub at: f64,
}

impl From<&CreditEntry> for CreditEntryOut {
    fn from(e: &CreditEntry) -> Self {
        let (kind, supplier, detail, amount, at) = match e {
            CreditEntry::Registered {
                supplier,
                company_name,
                at,
            } => ("REGISTERED", supplier, company_name.clone(), None, at),
            CreditEntry::Warning {
                supplier,
                reason,
                at,
            } => ("WARNING", supplier, reason.clone(), None, at),
            CreditEntry::Penalty {
                supplier,
                amount,
                reason,
                at,
            } => (
                "PENALTY",
                supplier,
                reason.clone(),
                Some((*amount).into()),
                at,
            ),
            CreditEntry::DisputeLost {
                supplier,
                dispute,
                at,
            } => (
                "DISPUTE_LOST",
                supplier,
                format!("dispute {dispute}"),
                None,
                at,
            ),
            CreditEntry::Exited {
                supplier,
                reason,
                at,
            } => ("EXITED", supplier, reason.clone(), None, at),
        };
        Self {
            kind: kind.into(),
            supplier_id: supplier.0,
            detail,
            amount,
            at: *at as f64,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct DocumentOut {
    pub kind: String,
    pub file: String,
    pub expires_on: Option<f64>,
    /// `PENDING`, `APPROVED`, `REJECTED`.
    pub review: String,
    pub rejection_reason: Option<String>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct SupplierOut {
    pub id: Uuid,
    pub company_name: String,
    pub credit_code: String,
    /// `APPLIED`, `UNDER_REVIEW`, `ACTIVE`, `SUSPENDED`, `EXITED`.
    pub status: String,
    /// 筑: documents checked.
    pub verified: bool,
    /// 保: trades with the full deposit held.
    pub guaranteed: bool,
    pub level: u8,
    pub warnings: u32,
    pub completed_orders: u64,
    /// Average of all scores, 1 to 5.
    pub average_rating: Option<f64>,
    pub category_ids: Vec<Uuid>,
    /// Everything tied to the credit code, including under earlier company names.
    pub credit_record: Vec<CreditEntryOut>,
    /// Only for the supplier itself and for agents.
    pub documents: Option<Vec<DocumentOut>>,
    /// Only for the supplier itself and for agents.
    pub deposit_held: Option<MoneyOut>,
}

impl SupplierOut {
    pub fn from_state(
        id: SupplierId,
        s: &SupplierState,
        stats: Option<&SupplierStats>,
        credit: Vec<CreditEntryOut>,
        private: bool,
    ) -> Self {
        let stats = stats.cloned().unwrap_or_default();
        let average = (stats.ratings > 0).then(|| stats.rating_sum as f64 / stats.ratings as f64);
        let documents = private.then(|| {
            s.documents
                .iter()
                .map(|(kind, d)| {
                    let (review, reason) = match &d.review {
                        zhuchao_domain::supplier::Review::Pending => ("PENDING", None),
                        zhuchao_domain::supplier::Review::Approved => ("APPROVED", None),
                        zhuchao_domain::supplier::Review::Expired => ("EXPIRED", None),
                        zhuchao_domain::supplier::Review::Rejected { reason } => {
                            ("REJECTED", Some(reason.clone()))
                        }
                    };
                    DocumentOut {
                        kind: variant_name(&kind),
                        file: d.file.to_string(),
                        expires_on: d.expires_on.map(|e| e as f64),
                        review: review.into(),
                        rejection_reason: reason,
                    }
                })
                .collect()
        });
        Self {
            id: id.0,
            company_name: s.company_name.clone(),
            credit_code: s
                .credit_code
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            status: variant_name(&s.status),
            verified: s.verified(),
            guaranteed: s.guaranteed(),
            level: supplier_level(
                stats.completed_orders,
                average.map(|a| (a * 10.0).round() as u32),
            ),
            warnings: s.warnings,
            completed_orders: stats.completed_orders,
            average_rating: average,
            category_ids: s.categories.iter().map(|c| c.0).collect(),
            credit_record: credit,
            documents,
            deposit_held: if private {
                s.deposit_held.map(Into::into)
            } else {
                None
            },
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct QuoteOut {
    pub id: Uuid,
    pub supplier_id: Uuid,
    pub unit_price: MoneyOut,
    pub lead_time_days: u32,
    pub valid_until: f64,
    pub note: String,
    pub revision: u32,
    pub counter_offer: Option<MoneyOut>,
    /// `LIVE`, `EXPIRED`, `ACCEPTED`, `NOT_SELECTED`.
    pub status: String,
}

impl From<&Quote> for QuoteOut {
    fn from(q: &Quote) -> Self {
        Self {
            id: q.id.0,
            supplier_id: q.supplier.0,
            unit_price: q.unit_price.into(),
            lead_time_days: q.lead_time_days,
            valid_until: q.valid_until as f64,
            note: q.note.clone(),
            revision: q.revision,
            counter_offer: q.counter_offer.map(Into::into),
            status: variant_name(&q.status),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct RfqOut {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub category_id: Option<Uuid>,
    /// The wanted attributes as the buyer typed them (`length` → `35 mm`).
    pub attributes: Vec<AttributeOut>,
    /// References of the drawings (`/files/…`).
    pub drawings: Vec<String>,
    pub quantity: u64,
    pub target_price: Option<MoneyOut>,
    pub deadline: f64,
    pub respond_by: f64,
    /// Milliseconds left of the response SLA (0 once it has passed).
    pub sla_ms_left: f64,
    /// The invited suppliers; a supplier sees only itself here, and only when invited.
    pub invited_supplier_ids: Vec<Uuid>,
    pub pool_open: bool,
    /// `OPEN`, `QUOTED`, `AWARDED`, `EXPIRED`, `CANCELLED`.
    pub status: String,
    /// Sealed: the buyer sees every quote, a supplier only its own.
    pub quotes: Vec<QuoteOut>,
}

impl RfqOut {
    pub fn from_state(
        id: RfqId,
        r: &RfqState,
        now: i64,
        only_supplier: Option<SupplierId>,
        units: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let request = r.request.clone();
        Self {
            id: id.0,
            title: request
                .as_ref()
                .map(|q| q.title.clone())
                .unwrap_or_default(),
            description: request
                .as_ref()
                .map(|q| q.description.clone())
                .unwrap_or_default(),
            category_id: r.category.map(|c| c.0),
            attributes: request
                .as_ref()
                .map(|q| attribute_outs(&q.attributes, units))
                .unwrap_or_default(),
            drawings: request
                .as_ref()
                .map(|q| q.drawings.iter().map(|d| d.to_string()).collect())
                .unwrap_or_default(),
            quantity: r.quantity,
            target_price: r.target_price.map(Into::into),
            deadline: r.deadline as f64,
            respond_by: r.respond_by as f64,
            sla_ms_left: (r.respond_by - now).max(0) as f64,
            invited_supplier_ids: match only_supplier {
                Some(me) => r
                    .invited
                    .contains(&me)
                    .then_some(me.0)
                    .into_iter()
                    .collect(),
                None => r.invited.iter().map(|s| s.0).collect(),
            },
            pool_open: r.pool_open,
            status: variant_name(&r.status),
            quotes: r
                .quotes
                .values()
                .filter(|q| only_supplier.is_none_or(|s| q.supplier == s))
                .map(Into::into)
                .collect(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct EscrowOut {
    pub expected: Option<MoneyOut>,
    pub funded: Option<MoneyOut>,
    pub released: Option<MoneyOut>,
    pub refunded: Option<MoneyOut>,
    pub remaining: MoneyOut,
    pub held_by_dispute: Option<Uuid>,
}

impl From<&EscrowState> for EscrowOut {
    fn from(e: &EscrowState) -> Self {
        Self {
            expected: e.expected.map(Into::into),
            funded: e.funded.map(Into::into),
            released: e.released.map(Into::into),
            refunded: e.refunded.map(Into::into),
            remaining: e.remaining().into(),
            held_by_dispute: e.held_by.map(|d| d.0),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct OrderLineOut {
    pub product_id: Option<Uuid>,
    pub title: String,
    pub quantity: u64,
    pub unit_price: MoneyOut,
    pub total: MoneyOut,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct OrderOut {
    pub id: Uuid,
    pub company_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub lines: Vec<OrderLineOut>,
    pub shipping: Option<MoneyOut>,
    pub total: Option<MoneyOut>,
    /// `PLACED`, `PAID`, `SHIPPED`, `DELIVERED`, `RECEIVED`, `COMPLETED`, `CANCELLED`, …
    pub status: String,
    pub delivered_at: Option<f64>,
    pub dispute_id: Option<Uuid>,
    pub escrow: Option<EscrowOut>,
}

impl OrderOut {
    pub fn from_state(id: OrderId, o: &OrderState, escrow: Option<&EscrowState>) -> Self {
        Self {
            id: id.0,
            company_id: o.company.map(|c| c.0),
            supplier_id: o.supplier.map(|s| s.0),
            lines: o
                .lines
                .iter()
                .map(|l| OrderLineOut {
                    product_id: l.product.map(|p| p.0),
                    title: l.title.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price.into(),
                    total: l.total.into(),
                })
                .collect(),
            shipping: o.shipping.map(Into::into),
            total: o.total.map(Into::into),
            status: variant_name(&o.status),
            delivered_at: o.delivered_at.map(|t| t as f64),
            dispute_id: o.dispute.map(|d| d.0),
            escrow: escrow.map(Into::into),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct EvidenceOut {
    /// `BUYER` or `SUPPLIER`.
    pub party: String,
    pub text: String,
    pub files: Vec<String>,
    pub at: f64,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct DisputeOut {
    pub id: Uuid,
    pub order_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub opened_by: Option<String>,
    pub claimed: Option<MoneyOut>,
    pub held: Option<MoneyOut>,
    pub answer_by: f64,
    pub agent_id: Option<Uuid>,
    /// `OPEN`, `UNDER_REVIEW`, `RULED`, `WITHDRAWN`.
    pub status: String,
    pub evidence: Vec<EvidenceOut>,
}

impl DisputeOut {
    pub fn from_state(id: DisputeId, d: &DisputeState) -> Self {
        Self {
            id: id.0,
            order_id: d.order.map(|o| o.0),
            supplier_id: d.supplier.map(|s| s.0),
            opened_by: d.opened_by.map(|p| variant_name(&p)),
            claimed: d.claimed.map(Into::into),
            held: d.held.map(Into::into),
            answer_by: d.answer_by as f64,
            agent_id: d.agent.map(|a| a.0),
            status: variant_name(&d.status),
            evidence: d
                .evidence
                .iter()
                .map(|e| EvidenceOut {
                    party: variant_name(&e.party),
                    text: e.text.clone(),
                    files: e.files.clone(),
                    at: e.at as f64,
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct EventOut {
    pub position: String,
    pub version: u64,
    pub event_type: String,
    pub schema_version: u32,
    /// The event's body as JSON text.
    pub payload: String,
    pub actor: Option<String>,
    pub at: f64,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct MeOut {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    /// `ADMIN`, `AGENT`, `BUYER` or `SUPPLIER`.
    pub role: String,
    pub company_id: Option<Uuid>,
    pub company_name: Option<String>,
    pub supplier_id: Option<Uuid>,
}

/// One attribute's accepted values in a search.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct ValuesFilter {
    pub key: String,
    pub values: Vec<String>,
}

/// One attribute's range in a search, each bound a number in any unit the category knows.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct RangeFilter {
    pub key: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(async_graphql::InputObject, Clone, Debug, Default)]
pub struct ProductSearchInput {
    pub text: Option<String>,
    pub category_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    #[graphql(default)]
    pub values: Vec<ValuesFilter>,
    #[graphql(default)]
    pub ranges: Vec<RangeFilter>,
    /// The quantity the buyer wants: only products whose MOQ allows it, priced at this quantity.
    pub quantity: Option<u64>,
    /// Lowest unit price, minor units (at `quantity`, else at the MOQ).
    pub min_price: Option<String>,
    /// Highest unit price, minor units (at `quantity`, else at the MOQ).
    pub max_price: Option<String>,
    #[graphql(default)]
    pub in_stock: bool,
    #[graphql(default)]
    pub verified: bool,
    #[graphql(default)]
    pub guaranteed: bool,
    /// Suppliers of at least this level (1 to 5).
    pub min_supplier_level: Option<u8>,
    /// `RELEVANCE` (default), `PRICE` (unit price at `quantity` or at the MOQ, cheapest first),
    /// `RATING` (best-rated supplier first) or `LEAD_TIME`.
    pub sort: Option<String>,
}

/// Longest search text (and attribute key or value in a filter), in characters.
pub const MAX_SEARCH_TEXT: usize = 200;
/// Most filters in one search, and most values one filter accepts.
pub const MAX_SEARCH_FILTERS: usize = 50;

impl ProductSearchInput {
    pub fn into_query(
        self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<zhuchao_search::SearchQuery> {
        let sort = match self.sort.as_deref().map(str::to_uppercase).as_deref() {
            None | Some("RELEVANCE") => zhuchao_search::Sort::Relevance,
            Some("PRICE") => zhuchao_search::Sort::Price,
            Some("LEAD_TIME") => zhuchao_search::Sort::LeadTime,
            Some("RATING") => zhuchao_search::Sort::Rating,
            Some(other) => {
                return Err(crate::errors::api_error(
                    "BAD_REQUEST",
                    format!("unknown sort {other:?}"),
                ))
            }
        };
        let minor = |field: &str, v: &Option<String>| -> async_graphql::Result<Option<i64>> {
            match v {
                None => Ok(None),
                Some(s) => s.trim().parse().map(Some).map_err(|_| {
                    crate::errors::api_error(
                        "BAD_REQUEST",
                        format!("{field} must be a whole number of minor units"),
                    )
                }),
            }
        };
        let too_long = |what: &str, limit: usize| {
            crate::errors::api_error(
                "BAD_REQUEST",
                format!("{what} is longer than a search needs (at most {limit})"),
            )
        };
        if self
            .text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_SEARCH_TEXT)
        {
            return Err(too_long("the search text", MAX_SEARCH_TEXT));
        }
        if self.values.len() + self.ranges.len() > MAX_SEARCH_FILTERS {
            return Err(too_long("the list of filters", MAX_SEARCH_FILTERS));
        }
        for filter in &self.values {
            if filter.values.len() > MAX_SEARCH_FILTERS {
                return Err(too_long("a filter's list of values", MAX_SEARCH_FILTERS));
            }
            if std::iter::once(&filter.key)
                .chain(&filter.values)
                .any(|v| v.chars().count() > MAX_SEARCH_TEXT)
            {
                return Err(too_long("a filter's value", MAX_SEARCH_TEXT));
            }
        }
        let price = (
            minor("minPrice", &self.min_price)?,
            minor("maxPrice", &self.max_price)?,
        );
        Ok(zhuchao_search::SearchQuery {
            price,
            text: self.text.filter(|t| !t.trim().is_empty()),
            category: self.category_id.map(CategoryId),
            supplier: self.supplier_id.map(SupplierId),
            values: self.values.into_iter().map(|v| (v.key, v.values)).collect(),
            ranges: self
                .ranges
                .into_iter()
                .map(|r| (r.key, (r.from, r.to)))
                .collect(),
            quantity: self.quantity,
            in_stock: self.in_stock,
            verified: self.verified,
            guaranteed: self.guaranteed,
            min_level: self.min_supplier_level,
            sort,
            first: first.map_or(20, |f| f.clamp(1, 100) as usize),
            after,
        })
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct FacetValueOut {
    pub value: String,
    pub count: u64,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct FacetOut {
    pub key: String,
    pub label: String,
    /// Counts per value (for number attributes, the 200 commonest values in the base unit); each
    /// counts under every filter but its own.
    pub values: Vec<FacetValueOut>,
    /// The range of a number attribute among the results, in its base unit.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ProductEdgeOut {
    pub cursor: String,
    pub node: ProductOut,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct SearchPageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A page of search results with the total and the facets (a Relay-style connection).
#[derive(SimpleObject, Clone, Debug)]
pub struct ProductSearchOut {
    pub total_count: u64,
    pub edges: Vec<ProductEdgeOut>,
    pub page_info: SearchPageInfo,
    pub facets: Vec<FacetOut>,
}

impl ProductSearchOut {
    pub fn from_result(
        r: zhuchao_search::SearchResult,
        units: impl Fn(CategoryId, &str) -> Option<String>,
    ) -> Self {
        let count = r.hits.len();
        let edges = r
            .hits
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let state = zhuchao_domain::product::ProductState {
                    id: Some(p.id),
                    supplier: Some(p.supplier),
                    sheet: Some(p.sheet.clone()),
                    attributes: p.attributes.clone(),
                    title: p.title.clone(),
                    status: p.status,
                    reservations: p.reservations.clone(),
                    ..Default::default()
                };
                let category = p.sheet.category;
                // Each edge's cursor resumes after it; the last one equals `endCursor`.
                let cursor = if i + 1 == count {
                    r.next.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                ProductEdgeOut {
                    cursor,
                    node: ProductOut::from_state(p.id, &state, |k| units(category, k)),
                }
            })
            .collect();
        Self {
            total_count: r.total as u64,
            edges,
            page_info: SearchPageInfo {
                has_next_page: r.next.is_some(),
                end_cursor: r.next,
            },
            facets: r
                .facets
                .into_iter()
                .map(|f| FacetOut {
                    key: f.key,
                    label: f.label,
                    values: f
                        .values
                        .into_iter()
                        .map(|v| FacetValueOut {
                            value: v.value,
                            count: v.count,
                        })
                        .collect(),
                    min: f.min,
                    max: f.max,
                    unit: f.unit,
                })
                .collect(),
        }
    }
}
