//! The API's catalogue types — money, categories and their attributes, products, the search page
//! — and the signed-in user, converted from the read models. Money is integer minor units (as a
//! string, since GraphQL's Int is 32-bit) with its currency; times are `DateTime`s; ids are
//! global (`global_id.rs`). Rust names end in `Out` where the domain has a type of the same name;
//! the schema's names are the domain's.

use async_graphql::{ErrorExtensions, InputObject, SimpleObject, ID};
use zhuchao_domain::category::{AttributeKind, AttributeValue, CategoryState};
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::product::{tier_price, ProductState};

use crate::enums::{self, CurrencyCode, ProductSort};
use crate::errors::{bad_request, ErrorCode};
use crate::global_id::{encode, Kind};

/// An amount of money.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Money")]
pub struct MoneyOut {
    /// Minor units (fen, cents) as a decimal string.
    pub minor: String,
    pub currency: CurrencyCode,
    /// For people: `380.00 CNY`.
    pub formatted: String,
}

impl From<Money> for MoneyOut {
    fn from(m: Money) -> Self {
        Self {
            minor: m.minor.to_string(),
            currency: m.currency.into(),
            formatted: m.to_string(),
        }
    }
}

/// An amount of money, as a client gives it.
#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// Minor units (fen, cents) as a decimal string.
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"minor\")"))]
    pub minor: String,
    pub currency: CurrencyCode,
}

/// The largest amount the marketplace takes, in minor units: 10 trillion yuan, far beyond any
/// order, well inside what sums of many of them can hold.
pub const MAX_MINOR: i64 = 999_999_999_999_999;

impl MoneyInput {
    /// Minor units written plainly: digits, an optional leading `-`, no spaces, signs, leading
    /// zeros or exponents, at most [`MAX_MINOR`].
    pub fn parse(&self) -> Result<Money, String> {
        let text = self.minor.as_str();
        let digits = text.strip_prefix('-').unwrap_or(text);
        let plain = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !plain {
            return Err(format!(
                "{text:?} is not a whole number of minor units written plainly (\"12500\" for 125.00)"
            ));
        }
        let minor = text
            .parse::<i64>()
            .ok()
            .filter(|m| m.unsigned_abs() <= MAX_MINOR as u64)
            .ok_or_else(|| format!("{text} minor units is more than the marketplace takes"))?;
        Ok(Money::new(minor, self.currency.into()))
    }
}

/// One attribute of a category's schema.
#[derive(SimpleObject, Clone, Debug)]
pub struct AttributeDefinition {
    pub key: String,
    pub label: String,
    pub kind: enums::AttributeKind,
    /// The values a list attribute takes.
    pub values: Vec<String>,
    /// A number's base unit (`mm`, `kg`, `bar`).
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub required: bool,
}

/// A node of the catalogue's category tree, with the attributes its products and RFQs carry.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Category")]
pub struct CategoryOut {
    pub id: ID,
    pub name: String,
    pub parent_id: Option<ID>,
    pub attributes: Vec<AttributeDefinition>,
    /// Groups of words searched as one in this category.
    pub synonyms: Vec<Vec<String>>,
    /// The category's words in other languages (what a translation leaves out reads as
    /// written).
    pub translations: Vec<CategoryTranslation>,
}

/// A category's name, attribute labels and listed values in one language.
#[derive(SimpleObject, Clone, Debug)]
pub struct CategoryTranslation {
    pub language: enums::Language,
    pub name: String,
    pub labels: Vec<TranslatedLabel>,
    pub values: Vec<TranslatedValue>,
}

/// An attribute's label in a translation.
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "TranslatedLabelInput")]
pub struct TranslatedLabel {
    pub key: String,
    pub text: String,
}

/// A listed value of an attribute in a translation (`material` `Carbon steel` → 碳钢).
#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "TranslatedValueInput")]
pub struct TranslatedValue {
    pub key: String,
    pub value: String,
    pub text: String,
}

impl CategoryOut {
    pub fn from_state(id: CategoryId, c: &CategoryState) -> Self {
        let attributes = c
            .schema
            .attributes
            .iter()
            .map(|a| {
                let (kind, values, unit, min, max) = match &a.kind {
                    AttributeKind::Enum { values } => {
                        (enums::AttributeKind::Enum, values.clone(), None, None, None)
                    }
                    AttributeKind::Number { unit, min, max } => (
                        enums::AttributeKind::Number,
                        vec![],
                        Some(unit.symbol().to_string()),
                        *min,
                        *max,
                    ),
                    AttributeKind::Text => (enums::AttributeKind::Text, vec![], None, None, None),
                };
                AttributeDefinition {
                    key: a.key.clone(),
                    label: a.label.clone(),
                    kind,
                    values,
                    unit,
                    min,
                    max,
                    required: a.required,
                }
            })
            .collect();
        Self {
            id: encode(Kind::Category, id.0),
            name: c.name.clone(),
            parent_id: c.parent.map(|p| encode(Kind::Category, p.0)),
            attributes,
            synonyms: c.synonyms.clone(),
            translations: c
                .translations
                .iter()
                .map(|(language, t)| CategoryTranslation {
                    language: (*language).into(),
                    name: t.name.clone(),
                    labels: t
                        .labels
                        .iter()
                        .map(|(key, text)| TranslatedLabel {
                            key: key.clone(),
                            text: text.clone(),
                        })
                        .collect(),
                    values: t
                        .values
                        .iter()
                        .flat_map(|(key, words)| {
                            words.iter().map(move |(value, text)| TranslatedValue {
                                key: key.clone(),
                                value: value.clone(),
                                text: text.clone(),
                            })
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// An attribute's value on a product or in an RFQ.
#[derive(SimpleObject, Clone, Debug)]
pub struct Attribute {
    pub key: String,
    /// The category's name for it (`Thread`), or the key when the category does not say.
    pub label: String,
    /// As shown to people, with its unit: `M8`, `30 mm`.
    pub value: String,
    /// Numbers in the category's base unit.
    pub number: Option<f64>,
}

/// How a category names and measures an attribute: its label and a number's unit.
pub struct AttributeNames<'a>(pub Option<&'a CategoryState>);

impl AttributeNames<'_> {
    fn label(&self, key: &str) -> String {
        self.0
            .and_then(|c| c.schema.get(key))
            .map_or_else(|| key.to_string(), |a| a.label.clone())
    }

    fn unit(&self, key: &str) -> Option<String> {
        match &self.0?.schema.get(key)?.kind {
            AttributeKind::Number { unit, .. } => Some(unit.symbol().to_string()),
            _ => None,
        }
    }
}

/// Checked attribute values as shown: labelled, numbers with their unit.
pub fn attributes_of(
    attributes: &std::collections::BTreeMap<String, AttributeValue>,
    names: &AttributeNames<'_>,
) -> Vec<Attribute> {
    attributes
        .iter()
        .map(|(k, v)| {
            let (value, number) = match v {
                AttributeValue::Enum(s) | AttributeValue::Text(s) => (s.clone(), None),
                AttributeValue::Number(n) => (
                    format!(
                        "{} {}",
                        zhuchao_domain::units::for_people(*n),
                        names.unit(k).unwrap_or_default()
                    )
                    .trim()
                    .to_string(),
                    Some(*n),
                ),
            };
            Attribute {
                key: k.clone(),
                label: names.label(k),
                value,
                number,
            }
        })
        .collect()
}

/// The unit price from `min_quantity` pieces up.
#[derive(SimpleObject, Clone, Debug)]
pub struct PriceTier {
    pub min_quantity: u64,
    pub unit_price: MoneyOut,
}

/// A part a supplier sells.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Product")]
pub struct ProductOut {
    pub id: ID,
    pub supplier_id: Option<ID>,
    pub category_id: Option<ID>,
    pub title: String,
    /// The supplier's part number or model code (型号); empty when none.
    pub part_number: String,
    pub brand: String,
    pub name: String,
    pub description: String,
    /// References of its pictures (`/files/…`).
    pub images: Vec<String>,
    pub status: enums::ProductStatus,
    pub attributes: Vec<Attribute>,
    /// Minimum order quantity, in pieces.
    pub moq: u64,
    /// Pieces per pack: quantities are whole packs.
    pub pack_size: u64,
    pub tiers: Vec<PriceTier>,
    /// Pieces a buyer may order now: on hand less what open orders have reserved.
    pub stock: u64,
    /// Pieces on hand, reserved ones included (what the supplier sets).
    pub on_hand: u64,
    /// Pieces held for orders placed and not yet shipped.
    pub reserved: u64,
    pub lead_time_days: u32,
    pub shipping_cost: Option<MoneyOut>,
}

impl ProductOut {
    pub fn from_state(id: ProductId, p: &ProductState, names: &AttributeNames<'_>) -> Self {
        let sheet = p.sheet.as_ref();
        Self {
            id: encode(Kind::Product, id.0),
            supplier_id: p.supplier.map(|s| encode(Kind::Supplier, s.0)),
            category_id: sheet.map(|s| encode(Kind::Category, s.category.0)),
            title: p.title.clone(),
            part_number: sheet.map(|s| s.part_number.clone()).unwrap_or_default(),
            brand: sheet.map(|s| s.brand.clone()).unwrap_or_default(),
            name: sheet.map(|s| s.name.clone()).unwrap_or_default(),
            description: sheet.map(|s| s.description.clone()).unwrap_or_default(),
            images: sheet.map(|s| s.images.clone()).unwrap_or_default(),
            status: p.status.into(),
            attributes: attributes_of(&p.attributes, names),
            moq: sheet.map_or(0, |s| s.moq),
            pack_size: sheet.map_or(0, |s| s.pack_size),
            tiers: sheet
                .map(|s| {
                    s.tiers
                        .iter()
                        .map(|t| PriceTier {
                            min_quantity: t.min_quantity,
                            unit_price: t.unit_price.into(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            stock: p.available(),
            on_hand: p.on_hand(),
            reserved: p.reserved(),
            lead_time_days: sheet.map_or(0, |s| s.lead_time_days),
            shipping_cost: sheet.map(|s| s.shipping_cost.into()),
        }
    }
}

/// The unit price of a product at a quantity, by its tiers.
pub fn price_at(p: &ProductState, quantity: u64) -> Option<MoneyOut> {
    tier_price(&p.sheet.as_ref()?.tiers, quantity).map(Into::into)
}

/// A signed-in user.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "User")]
pub struct UserOut {
    pub id: ID,
    pub email: String,
    pub name: String,
    pub role: enums::Role,
    /// A buyer's company.
    pub company_id: Option<ID>,
    pub company_name: Option<String>,
    /// A supplier's staff: the supplier.
    pub supplier_id: Option<ID>,
}

impl UserOut {
    pub fn of(user: UserId, account: &zhuchao_domain::account::AccountState) -> Option<Self> {
        use zhuchao_domain::account::Role;
        let role = account.role.as_ref()?;
        let (company_id, company_name, supplier_id) = match role {
            Role::Buyer {
                company,
                company_name,
            } => (
                Some(encode(Kind::Company, company.0)),
                Some(company_name.clone()),
                None,
            ),
            Role::Supplier { supplier } => (None, None, Some(encode(Kind::Supplier, supplier.0))),
            Role::Admin | Role::Agent => (None, None, None),
        };
        Some(Self {
            id: encode(Kind::User, user.0),
            email: account.email.clone(),
            name: account.name.clone(),
            role: role.into(),
            company_id,
            company_name,
            supplier_id,
        })
    }
}

/// One attribute's accepted values in a search.
#[derive(InputObject, Clone, Debug)]
pub struct ValuesFilter {
    pub key: String,
    pub values: Vec<String>,
}

/// One attribute's range in a search, each bound a number in any unit the category knows.
#[derive(InputObject, Clone, Debug)]
pub struct RangeFilter {
    pub key: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What a buyer looks for.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ProductSearchInput {
    pub text: Option<String>,
    /// A category and everything below it.
    pub category_id: Option<ID>,
    pub supplier_id: Option<ID>,
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
    #[graphql(default)]
    pub sort: ProductSort,
}

/// Longest search text (and attribute key or value in a filter), in characters.
pub const MAX_SEARCH_TEXT: usize = 200;
/// Most filters in one search, and most values one filter accepts.
pub const MAX_SEARCH_FILTERS: usize = 50;

/// An id in a search: a category or supplier that does not exist finds nothing.
fn search_id(kind: Kind, id: &Option<ID>) -> async_graphql::Result<Option<uuid::Uuid>> {
    match id {
        None => Ok(None),
        Some(id) => crate::global_id::decode(kind, id).map(Some).ok_or_else(|| {
            crate::errors::api_error(
                ErrorCode::NotFound,
                format!("no such {}", kind.name().to_lowercase()),
            )
        }),
    }
}

impl ProductSearchInput {
    pub fn into_query(
        mut self,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<zhuchao_search::SearchQuery> {
        let minor = |field: &str, v: &Option<String>| -> async_graphql::Result<Option<i64>> {
            match v {
                None => Ok(None),
                Some(s) => s.trim().parse().map(Some).map_err(|_| {
                    bad_request(format!("{field} must be a whole number of minor units"))
                }),
            }
        };
        // What a buyer types is held to the rule of any one-line text (a search is recorded
        // and read by agents): bounded, no control, invisible or direction characters.
        let checked = |field: &str, text: &str| -> async_graphql::Result<()> {
            match crate::text_limits::problem(text, MAX_SEARCH_TEXT, false) {
                None => Ok(()),
                Some((code, message)) => {
                    let field = field.to_string();
                    Err(crate::errors::api_error(
                        ErrorCode::from_name(code).unwrap_or(ErrorCode::BadInput),
                        format!("search.{field}: {message}"),
                    )
                    .extend_with(move |_, e| e.set("field", format!("search.{field}"))))
                }
            }
        };
        let too_many = |what: &str| {
            crate::errors::api_error(
                ErrorCode::TooMany,
                format!("{what} is longer than a search needs (at most {MAX_SEARCH_FILTERS})"),
            )
        };
        // Text pasted from a spreadsheet or typed on several lines: its tabs and line breaks
        // separate words like spaces.
        let text = self.text.take().map(|t| t.replace(['\t', '\n', '\r'], " "));
        if let Some(text) = &text {
            checked("text", text)?;
        }
        if self.values.len() + self.ranges.len() > MAX_SEARCH_FILTERS {
            return Err(too_many("the list of filters"));
        }
        for filter in &self.values {
            if filter.values.len() > MAX_SEARCH_FILTERS {
                return Err(too_many("a filter's list of values"));
            }
            checked("values.key", &filter.key)?;
            for v in &filter.values {
                checked("values.values", v)?;
            }
        }
        for range in &self.ranges {
            checked("ranges.key", &range.key)?;
            for bound in range.from.iter().chain(&range.to) {
                checked("ranges.bound", bound)?;
            }
        }
        let price = (
            minor("minPrice", &self.min_price)?,
            minor("maxPrice", &self.max_price)?,
        );
        Ok(zhuchao_search::SearchQuery {
            price,
            text: text.filter(|t| !t.trim().is_empty()),
            category: search_id(Kind::Category, &self.category_id)?.map(CategoryId),
            supplier: search_id(Kind::Supplier, &self.supplier_id)?.map(SupplierId),
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
            sort: self.sort.into(),
            first: first.map_or(20, |f| f.clamp(1, 100) as usize),
            after,
            without_facets: false,
        })
    }
}

/// How many results one value of an attribute would give.
#[derive(SimpleObject, Clone, Debug)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// One attribute's values among the results, each counted under every filter but its own.
#[derive(SimpleObject, Clone, Debug)]
pub struct Facet {
    pub key: String,
    pub label: String,
    /// Counts per value (for number attributes, the 200 commonest values in the base unit).
    pub values: Vec<FacetValue>,
    /// The range of a number attribute among the results, in its base unit.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
}

/// A product in a page of search results.
#[derive(SimpleObject, Clone, Debug)]
pub struct ProductSearchEdge {
    pub cursor: String,
    pub node: ProductOut,
}

/// Pagination of search results (forwards only).
#[derive(SimpleObject, Clone, Debug)]
pub struct SearchPageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// How many results are in a category (the products' own category, not its ancestors).
#[derive(SimpleObject, Clone, Debug)]
pub struct CategoryFacetValue {
    pub category: CategoryOut,
    pub count: u64,
}

/// A page of search results with the total and the facets (a Relay-style connection).
#[derive(SimpleObject, Clone, Debug)]
pub struct ProductSearchConnection {
    pub total_count: u64,
    pub edges: Vec<ProductSearchEdge>,
    pub page_info: SearchPageInfo,
    /// The chosen category's attributes; without a category (or in one whose attributes are its
    /// subcategories'), those every category among the results has. The most useful first.
    pub facets: Vec<Facet>,
    /// The results by category, the largest first.
    pub categories: Vec<CategoryFacetValue>,
}

impl ProductSearchConnection {
    pub fn from_result<'a>(
        r: zhuchao_search::SearchResult,
        category: impl Fn(CategoryId) -> Option<&'a CategoryState>,
    ) -> Self {
        let count = r.hits.len();
        let categories = r
            .categories
            .iter()
            .filter_map(|c| {
                Some(CategoryFacetValue {
                    category: CategoryOut::from_state(c.category, category(c.category)?),
                    count: c.count,
                })
            })
            .collect();
        let edges = r
            .hits
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let schema = category(p.sheet.category);
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
                // Each edge's cursor resumes after it; the last one equals `endCursor`.
                let cursor = if i + 1 == count {
                    r.next.clone().unwrap_or_default()
                } else {
                    String::new()
                };
                ProductSearchEdge {
                    cursor,
                    node: ProductOut::from_state(p.id, &state, &AttributeNames(schema)),
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
                .map(|f| Facet {
                    key: f.key,
                    label: f.label,
                    values: f
                        .values
                        .into_iter()
                        .map(|v| FacetValue {
                            value: v.value,
                            count: v.count,
                        })
                        .collect(),
                    min: f.min,
                    max: f.max,
                    unit: f.unit,
                })
                .collect(),
            categories,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_minor_units_written_plainly_and_bounded() {
        let money = |minor: &str| {
            MoneyInput {
                minor: minor.into(),
                currency: CurrencyCode::Cny,
            }
            .parse()
        };
        assert_eq!(money("12500"), Ok(Money::cny(12_500)));
        assert_eq!(money("0"), Ok(Money::cny(0)));
        assert_eq!(money("-100"), Ok(Money::cny(-100)));
        for bad in [
            " 100",
            "100 ",
            "+100",
            "0100",
            "1.5",
            "1e5",
            "１００",
            "",
            "-",
            "9223372036854775807",
            "1000000000000000",
        ] {
            assert!(money(bad).is_err(), "{bad:?}");
        }
        assert_eq!(money("999999999999999"), Ok(Money::cny(MAX_MINOR)));
    }
}
