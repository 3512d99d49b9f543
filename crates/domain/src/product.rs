//! A sellable part: its attributes (validated against the category schema), title, minimum order
//! quantity, pack size, price tiers, stock and lead time, and its life draft → published →
//! unpublished / delisted. Stock is the product's own rule: orders reserve it here, one stream
//! per product, so it is never sold twice and never goes below zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp};
use crate::category::{AttributeError, AttributeValue, CategorySchema};
use crate::ids::{CategoryId, OrderId, ProductId, SupplierId, UserId};
use crate::money::Money;

/// From `min_quantity` pieces on, each costs `unit_price`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTier {
    pub min_quantity: u64,
    pub unit_price: Money,
}

/// Most price tiers a product may have.
pub const MAX_TIERS: usize = 6;

/// The unit price at `quantity`: the tier with the largest minimum not above it.
pub fn tier_price(tiers: &[PriceTier], quantity: u64) -> Option<Money> {
    tiers
        .iter()
        .filter(|t| t.min_quantity <= quantity)
        .max_by_key(|t| t.min_quantity)
        .map(|t| t.unit_price)
}

/// What a supplier fills in for a product.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductSheet {
    pub category: CategoryId,
    /// The supplier's part number or model code (型号), e.g. `PF-08-00000`: what an import
    /// knows the product by, and what buyers type to find it exactly. Empty when none.
    #[serde(default)]
    pub part_number: String,
    pub brand: String,
    /// The search keyword of the title, e.g. `六角螺栓 hex bolt`.
    pub keyword: String,
    pub name: String,
    pub description: String,
    pub images: Vec<String>,
    pub moq: u64,
    pub pack_size: u64,
    pub tiers: Vec<PriceTier>,
    pub stock: u64,
    pub lead_time_days: u32,
    pub shipping_cost: Money,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductStatus {
    #[default]
    Draft,
    Published,
    Unpublished,
    Delisted,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductState {
    pub id: Option<ProductId>,
    pub supplier: Option<SupplierId>,
    /// The supplier's sheet; its `stock` is what is on hand (reserved pieces included).
    pub sheet: Option<ProductSheet>,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub title: String,
    pub status: ProductStatus,
    /// Pieces held for orders not yet shipped, by order.
    pub reservations: BTreeMap<OrderId, u64>,
    /// Pieces that left with an order's shipment, by order (a return brings them back once).
    pub shipped: BTreeMap<OrderId, u64>,
    /// Orders whose shipped pieces came back.
    pub returned: std::collections::BTreeSet<OrderId>,
}

impl ProductState {
    pub fn exists(&self) -> bool {
        self.id.is_some()
    }

    /// Pieces on hand, reserved ones included.
    pub fn on_hand(&self) -> u64 {
        self.sheet.as_ref().map_or(0, |s| s.stock)
    }

    /// Pieces held for open orders.
    pub fn reserved(&self) -> u64 {
        self.reservations.values().sum()
    }

    /// Pieces a buyer may still order: on hand less what open orders hold.
    pub fn available(&self) -> u64 {
        self.on_hand().saturating_sub(self.reserved())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProductCommand {
    Draft {
        id: ProductId,
        supplier: SupplierId,
        /// Whether the supplier may still list products (it has not exited).
        supplier_may_list: bool,
        sheet: ProductSheet,
        /// Raw attribute values as typed, e.g. `length` → `5/16 in`.
        attributes: BTreeMap<String, String>,
        /// The category's schema, loaded by the caller.
        schema: CategorySchema,
    },
    Revise {
        supplier: SupplierId,
        supplier_may_list: bool,
        sheet: ProductSheet,
        attributes: BTreeMap<String, String>,
        schema: CategorySchema,
    },
    /// Sets the pieces on hand (those reserved by open orders included).
    SetStock {
        supplier: SupplierId,
        stock: u64,
    },
    /// Holds `quantity` pieces for an order being placed. Replaying it for the same order
    /// changes nothing.
    Reserve {
        order: OrderId,
        quantity: u64,
        at: Timestamp,
    },
    /// Gives an order's reservation back (cancelled, abandoned); nothing when it holds none.
    Release {
        order: OrderId,
        at: Timestamp,
    },
    /// The order's pieces left the warehouse: its reservation is used up.
    Ship {
        order: OrderId,
        at: Timestamp,
    },
    /// The order's shipped pieces came back with a return.
    Restock {
        order: OrderId,
        at: Timestamp,
    },
    Publish {
        supplier: SupplierId,
        /// Whether the supplier may sell (active, not suspended or exited).
        supplier_may_sell: bool,
    },
    Unpublish {
        supplier: SupplierId,
    },
    Delist {
        agent: UserId,
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductDrafted {
    pub id: ProductId,
    pub supplier: SupplierId,
    pub sheet: ProductSheet,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductRevised {
    pub sheet: ProductSheet,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductStockSet {
    pub stock: u64,
}

/// Pieces held, given back, shipped or returned for one order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StockMoved {
    pub order: OrderId,
    pub quantity: u64,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductDelisted {
    pub agent: UserId,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ProductEvent {
    ProductDrafted(ProductDrafted),
    ProductRevised(ProductRevised),
    ProductStockSet(ProductStockSet),
    StockReserved(StockMoved),
    StockReleased(StockMoved),
    StockShipped(StockMoved),
    StockReturned(StockMoved),
    ProductPublished(()),
    ProductUnpublished(()),
    ProductDelisted(ProductDelisted),
}
crate::event_names!(ProductEvent {
    ProductDrafted,
    ProductRevised,
    ProductStockSet,
    StockReserved,
    StockReleased,
    StockShipped,
    StockReturned,
    ProductPublished,
    ProductUnpublished,
    ProductDelisted
});

impl DomainEvent for ProductEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProductError {
    #[error("the product already exists")]
    AlreadyExists,
    #[error("no such product")]
    NotFound,
    #[error("only the supplier that owns the product may change it")]
    NotOwner,
    #[error(transparent)]
    Attribute(#[from] AttributeError),
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("a part number is at most {MAX_PART_NUMBER} characters, without line breaks or tabs")]
    BadPartNumber,
    #[error("the minimum order quantity and the pack size must be at least 1")]
    ZeroQuantity,
    #[error("the minimum order quantity {moq} is not a whole number of packs of {pack_size}")]
    MoqNotWholePacks { moq: u64, pack_size: u64 },
    #[error("price tiers: {0}")]
    BadTiers(&'static str),
    #[error("the product is delisted by an agent and cannot be changed or published")]
    Delisted,
    #[error("the product is already {0:?}")]
    AlreadyInState(ProductStatus),
    #[error("the supplier may not sell now (not active, suspended or exited)")]
    SupplierMayNotSell,
    #[error("a delisting needs a reason")]
    ReasonMissing,
    #[error("the supplier has exited and may not list products")]
    SupplierExited,
    #[error("{title}: only {available} available")]
    OutOfStock { title: String, available: u64 },
    #[error("{reserved} pieces are reserved by open orders; stock cannot be set below that")]
    BelowReserved { reserved: u64 },
    #[error("a reservation must be of at least one piece")]
    ZeroReservation,
}

/// Longest part number, in characters.
pub const MAX_PART_NUMBER: usize = 64;

fn check_sheet(sheet: &ProductSheet) -> Result<(), ProductError> {
    if sheet.part_number.chars().count() > MAX_PART_NUMBER
        || sheet.part_number.chars().any(char::is_control)
        || sheet.part_number.trim() != sheet.part_number
    {
        return Err(ProductError::BadPartNumber);
    }
    if sheet.brand.trim().is_empty() {
        return Err(ProductError::Missing("brand"));
    }
    if sheet.name.trim().is_empty() {
        return Err(ProductError::Missing("name"));
    }
    if sheet.moq == 0 || sheet.pack_size == 0 {
        return Err(ProductError::ZeroQuantity);
    }
    if !sheet.moq.is_multiple_of(sheet.pack_size) {
        return Err(ProductError::MoqNotWholePacks {
            moq: sheet.moq,
            pack_size: sheet.pack_size,
        });
    }
    let tiers = &sheet.tiers;
    if tiers.len() > MAX_TIERS {
        return Err(ProductError::BadTiers("at most 6 price tiers"));
    }
    let first = tiers
        .first()
        .ok_or(ProductError::BadTiers("at least one tier is needed"))?;
    if first.min_quantity > sheet.moq {
        return Err(ProductError::BadTiers(
            "the first tier must start at or below the minimum order quantity",
        ));
    }
    if tiers.iter().any(|t| !t.unit_price.is_positive()) {
        return Err(ProductError::BadTiers(
            "every unit price must be above zero",
        ));
    }
    if tiers
        .iter()
        .any(|t| t.unit_price.currency != first.unit_price.currency)
        || sheet.shipping_cost.currency != first.unit_price.currency
    {
        return Err(ProductError::BadTiers("all prices must be in one currency"));
    }
    if sheet.shipping_cost.is_negative() {
        return Err(ProductError::BadTiers("shipping cost cannot be negative"));
    }
    for pair in tiers.windows(2) {
        if pair[1].min_quantity <= pair[0].min_quantity {
            return Err(ProductError::BadTiers("tier quantities must rise"));
        }
        if pair[1].unit_price.minor > pair[0].unit_price.minor {
            return Err(ProductError::BadTiers(
                "a larger quantity cannot cost more per piece",
            ));
        }
    }
    Ok(())
}

/// brand + keyword + attribute words (in schema order) + name — the title scheme buyers search by.
pub fn build_title(
    sheet: &ProductSheet,
    schema: &CategorySchema,
    values: &BTreeMap<String, AttributeValue>,
) -> String {
    let mut words = vec![
        sheet.brand.trim().to_string(),
        sheet.keyword.trim().to_string(),
    ];
    for def in &schema.attributes {
        match (values.get(&def.key), &def.kind) {
            (Some(AttributeValue::Enum(v)), _) | (Some(AttributeValue::Text(v)), _) => {
                words.push(v.clone())
            }
            (
                Some(AttributeValue::Number(n)),
                crate::category::AttributeKind::Number { unit, .. },
            ) => words.push(format!("{}{}", crate::units::for_people(*n), unit.symbol())),
            _ => {}
        }
    }
    words.push(sheet.name.trim().to_string());
    words.retain(|w| !w.is_empty());
    words.join(" ")
}

fn owned_by(state: &ProductState, supplier: SupplierId) -> Result<(), ProductError> {
    match state.supplier {
        None => Err(ProductError::NotFound),
        Some(owner) if owner != supplier => Err(ProductError::NotOwner),
        Some(_) if state.status == ProductStatus::Delisted => Err(ProductError::Delisted),
        Some(_) => Ok(()),
    }
}

pub struct Product;

impl Aggregate for Product {
    type State = ProductState;
    type Command = ProductCommand;
    type Event = ProductEvent;
    type Error = ProductError;
    const KIND: &'static str = "product";

    fn decide(
        state: &ProductState,
        command: ProductCommand,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        use ProductCommand::*;
        match command {
            Draft {
                id,
                supplier,
                supplier_may_list,
                sheet,
                attributes,
                schema,
            } => {
                if state.exists() {
                    return Err(ProductError::AlreadyExists);
                }
                if !supplier_may_list {
                    return Err(ProductError::SupplierExited);
                }
                check_sheet(&sheet)?;
                let attributes = schema.normalise(&attributes)?;
                let title = build_title(&sheet, &schema, &attributes);
                Ok(vec![ProductEvent::ProductDrafted(ProductDrafted {
                    id,
                    supplier,
                    sheet,
                    attributes,
                    title,
                })])
            }
            Revise {
                supplier,
                supplier_may_list,
                sheet,
                attributes,
                schema,
            } => {
                owned_by(state, supplier)?;
                if !supplier_may_list {
                    return Err(ProductError::SupplierExited);
                }
                check_sheet(&sheet)?;
                if sheet.stock < state.reserved() {
                    return Err(ProductError::BelowReserved {
                        reserved: state.reserved(),
                    });
                }
                let attributes = schema.normalise(&attributes)?;
                let title = build_title(&sheet, &schema, &attributes);
                Ok(vec![ProductEvent::ProductRevised(ProductRevised {
                    sheet,
                    attributes,
                    title,
                })])
            }
            SetStock { supplier, stock } => {
                owned_by(state, supplier)?;
                if stock < state.reserved() {
                    return Err(ProductError::BelowReserved {
                        reserved: state.reserved(),
                    });
                }
                Ok(vec![ProductEvent::ProductStockSet(ProductStockSet {
                    stock,
                })])
            }
            Reserve {
                order,
                quantity,
                at,
            } => {
                if !state.exists() {
                    return Err(ProductError::NotFound);
                }
                if state.reservations.contains_key(&order) || state.shipped.contains_key(&order) {
                    return Ok(vec![]);
                }
                if quantity == 0 {
                    return Err(ProductError::ZeroReservation);
                }
                if quantity > state.available() {
                    return Err(ProductError::OutOfStock {
                        title: state.title.clone(),
                        available: state.available(),
                    });
                }
                Ok(vec![ProductEvent::StockReserved(StockMoved {
                    order,
                    quantity,
                    at,
                })])
            }
            Release { order, at } => Ok(state
                .reservations
                .get(&order)
                .map(|&quantity| {
                    ProductEvent::StockReleased(StockMoved {
                        order,
                        quantity,
                        at,
                    })
                })
                .into_iter()
                .collect()),
            Ship { order, at } => Ok(state
                .reservations
                .get(&order)
                .map(|&quantity| {
                    ProductEvent::StockShipped(StockMoved {
                        order,
                        quantity,
                        at,
                    })
                })
                .into_iter()
                .collect()),
            Restock { order, at } => Ok(state
                .shipped
                .get(&order)
                .filter(|_| !state.returned.contains(&order))
                .map(|&quantity| {
                    ProductEvent::StockReturned(StockMoved {
                        order,
                        quantity,
                        at,
                    })
                })
                .into_iter()
                .collect()),
            Publish {
                supplier,
                supplier_may_sell,
            } => {
                owned_by(state, supplier)?;
                if state.status == ProductStatus::Published {
                    return Err(ProductError::AlreadyInState(ProductStatus::Published));
                }
                if !supplier_may_sell {
                    return Err(ProductError::SupplierMayNotSell);
                }
                Ok(vec![ProductEvent::ProductPublished(())])
            }
            Unpublish { supplier } => {
                owned_by(state, supplier)?;
                if state.status != ProductStatus::Published {
                    return Err(ProductError::AlreadyInState(state.status));
                }
                Ok(vec![ProductEvent::ProductUnpublished(())])
            }
            Delist { agent, reason } => {
                if !state.exists() {
                    return Err(ProductError::NotFound);
                }
                if state.status == ProductStatus::Delisted {
                    return Err(ProductError::AlreadyInState(ProductStatus::Delisted));
                }
                if reason.trim().is_empty() {
                    return Err(ProductError::ReasonMissing);
                }
                Ok(vec![ProductEvent::ProductDelisted(ProductDelisted {
                    agent,
                    reason,
                })])
            }
        }
    }

    fn evolve(mut state: ProductState, event: &ProductEvent) -> ProductState {
        match event {
            ProductEvent::ProductDrafted(e) => {
                state.id = Some(e.id);
                state.supplier = Some(e.supplier);
                state.sheet = Some(e.sheet.clone());
                state.attributes = e.attributes.clone();
                state.title = e.title.clone();
                state.status = ProductStatus::Draft;
            }
            ProductEvent::ProductRevised(e) => {
                state.sheet = Some(e.sheet.clone());
                state.attributes = e.attributes.clone();
                state.title = e.title.clone();
            }
            ProductEvent::ProductStockSet(e) => {
                if let Some(sheet) = &mut state.sheet {
                    sheet.stock = e.stock;
                }
            }
            ProductEvent::StockReserved(e) => {
                state.reservations.insert(e.order, e.quantity);
            }
            ProductEvent::StockReleased(e) => {
                state.reservations.remove(&e.order);
            }
            ProductEvent::StockShipped(e) => {
                state.reservations.remove(&e.order);
                state.shipped.insert(e.order, e.quantity);
                if let Some(sheet) = &mut state.sheet {
                    sheet.stock = sheet.stock.saturating_sub(e.quantity);
                }
            }
            ProductEvent::StockReturned(e) => {
                state.returned.insert(e.order);
                if let Some(sheet) = &mut state.sheet {
                    sheet.stock = sheet.stock.saturating_add(e.quantity);
                }
            }
            ProductEvent::ProductPublished(()) => state.status = ProductStatus::Published,
            ProductEvent::ProductUnpublished(()) => state.status = ProductStatus::Unpublished,
            ProductEvent::ProductDelisted(_) => state.status = ProductStatus::Delisted,
        }
        state
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::category::hex_bolt_schema;
    use uuid::Uuid;

    pub fn sheet() -> ProductSheet {
        ProductSheet {
            category: CategoryId(Uuid::from_u128(1)),
            part_number: "GL-933-M8".into(),
            brand: "固力".into(),
            keyword: "六角螺栓".into(),
            name: "Hex bolt DIN 933".into(),
            description: "Full thread".into(),
            images: vec![],
            moq: 100,
            pack_size: 50,
            tiers: vec![
                PriceTier {
                    min_quantity: 100,
                    unit_price: Money::cny(45),
                },
                PriceTier {
                    min_quantity: 1000,
                    unit_price: Money::cny(38),
                },
                PriceTier {
                    min_quantity: 10000,
                    unit_price: Money::cny(30),
                },
            ],
            stock: 50_000,
            lead_time_days: 3,
            shipping_cost: Money::cny(1500),
        }
    }

    pub fn attrs() -> BTreeMap<String, String> {
        [
            ("thread", "M8"),
            ("length", "30 mm"),
            ("material", "A2"),
            ("strength_class", "A2-70"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn schema() -> CategorySchema {
        CategorySchema {
            attributes: hex_bolt_schema(),
        }
    }

    const SUPPLIER: SupplierId = SupplierId(Uuid::from_u128(7));
    const RIVAL: SupplierId = SupplierId(Uuid::from_u128(8));

    fn draft(sheet: ProductSheet) -> ProductCommand {
        ProductCommand::Draft {
            id: ProductId(Uuid::from_u128(3)),
            supplier: SUPPLIER,
            supplier_may_list: true,
            sheet,
            attributes: attrs(),
            schema: schema(),
        }
    }

    fn drafted() -> ProductState {
        Product::replay(&Product::decide(&ProductState::default(), draft(sheet())).unwrap())
    }

    #[test]
    fn a_draft_gets_normalised_attributes_and_a_searchable_title() {
        let state = drafted();
        assert_eq!(
            state.title,
            "固力 六角螺栓 M8 30mm A2 A2-70 Hex bolt DIN 933"
        );
        assert_eq!(state.attributes["length"], AttributeValue::Number(30.0));
        assert_eq!(state.status, ProductStatus::Draft);
        assert_eq!(
            Product::decide(&state, draft(sheet())),
            Err(ProductError::AlreadyExists)
        );
    }

    #[test]
    fn tier_prices_apply_by_quantity() {
        let tiers = sheet().tiers;
        assert_eq!(tier_price(&tiers, 99), None);
        assert_eq!(tier_price(&tiers, 100), Some(Money::cny(45)));
        assert_eq!(tier_price(&tiers, 999), Some(Money::cny(45)));
        assert_eq!(tier_price(&tiers, 1000), Some(Money::cny(38)));
        assert_eq!(tier_price(&tiers, 50_000), Some(Money::cny(30)));
    }

    #[test]
    fn sheets_that_break_the_rules_are_refused() {
        let empty = ProductState::default();
        let with = |f: fn(&mut ProductSheet)| {
            let mut s = sheet();
            f(&mut s);
            Product::decide(&empty, draft(s))
        };
        assert_eq!(
            with(|s| s.brand.clear()),
            Err(ProductError::Missing("brand"))
        );
        for bad in [" GL-1", "GL\t1", "GL-1\n"] {
            let mut s = sheet();
            s.part_number = bad.into();
            assert_eq!(
                Product::decide(&empty, draft(s)),
                Err(ProductError::BadPartNumber),
                "{bad:?}"
            );
        }
        assert_eq!(
            with(|s| s.part_number = "X".repeat(MAX_PART_NUMBER + 1)),
            Err(ProductError::BadPartNumber)
        );
        assert!(with(|s| s.part_number = "型号 GB/T 5782-M8".into()).is_ok());
        assert!(with(|s| s.part_number.clear()).is_ok());
        assert_eq!(
            with(|s| s.name = " ".into()),
            Err(ProductError::Missing("name"))
        );
        assert_eq!(with(|s| s.moq = 0), Err(ProductError::ZeroQuantity));
        assert_eq!(
            with(|s| s.moq = 120),
            Err(ProductError::MoqNotWholePacks {
                moq: 120,
                pack_size: 50
            })
        );
        assert_eq!(
            with(|s| s.tiers = (1..=7)
                .map(|n| PriceTier {
                    min_quantity: n * 100,
                    unit_price: Money::cny(50 - n as i64)
                })
                .collect()),
            Err(ProductError::BadTiers("at most 6 price tiers"))
        );
        assert!(matches!(
            with(|s| s.tiers.clear()),
            Err(ProductError::BadTiers(_))
        ));
        assert!(matches!(
            with(|s| s.tiers[0].min_quantity = 200),
            Err(ProductError::BadTiers(_))
        ));
        assert!(matches!(
            with(|s| s.tiers[1].unit_price = Money::cny(50)),
            Err(ProductError::BadTiers(_))
        ));
        assert!(matches!(
            with(|s| s.tiers[2].min_quantity = 1000),
            Err(ProductError::BadTiers(_))
        ));
        assert!(matches!(
            with(|s| s.tiers[0].unit_price = Money::cny(0)),
            Err(ProductError::BadTiers(_))
        ));
        assert!(matches!(
            with(|s| s.tiers[1].unit_price = Money::new(38, crate::money::Currency::USD)),
            Err(ProductError::BadTiers(_))
        ));
        assert!(matches!(
            with(|s| s.shipping_cost = Money::cny(-1)),
            Err(ProductError::BadTiers(_))
        ));
        let mut bad_attrs = attrs();
        bad_attrs.insert("thread".into(), "M7".into());
        assert!(matches!(
            Product::decide(
                &empty,
                ProductCommand::Draft {
                    id: ProductId(Uuid::nil()),
                    supplier: SUPPLIER,
                    supplier_may_list: true,
                    sheet: sheet(),
                    attributes: bad_attrs,
                    schema: schema()
                }
            ),
            Err(ProductError::Attribute(_))
        ));
    }

    #[test]
    fn publishing_needs_the_owner_and_a_supplier_who_may_sell() {
        let state = drafted();
        let publish = |supplier, may| ProductCommand::Publish {
            supplier,
            supplier_may_sell: may,
        };
        assert_eq!(
            Product::decide(&state, publish(RIVAL, true)),
            Err(ProductError::NotOwner)
        );
        assert_eq!(
            Product::decide(&state, publish(SUPPLIER, false)),
            Err(ProductError::SupplierMayNotSell)
        );
        let events = Product::decide(&state, publish(SUPPLIER, true)).unwrap();
        assert_eq!(events, vec![ProductEvent::ProductPublished(())]);
        let published = Product::evolve(state, &events[0]);
        assert_eq!(
            Product::decide(&published, publish(SUPPLIER, true)),
            Err(ProductError::AlreadyInState(ProductStatus::Published))
        );
        let unpublished = Product::evolve(published, &ProductEvent::ProductUnpublished(()));
        assert_eq!(
            Product::decide(
                &unpublished,
                ProductCommand::Unpublish { supplier: SUPPLIER }
            ),
            Err(ProductError::AlreadyInState(ProductStatus::Unpublished))
        );
        assert!(
            Product::decide(&unpublished, publish(SUPPLIER, true)).is_ok(),
            "republish"
        );
        assert_eq!(
            Product::decide(&ProductState::default(), publish(SUPPLIER, true)),
            Err(ProductError::NotFound)
        );
    }

    #[test]
    fn a_delisted_product_stays_down() {
        let agent = UserId(Uuid::from_u128(99));
        let state = drafted();
        assert_eq!(
            Product::decide(
                &state,
                ProductCommand::Delist {
                    agent,
                    reason: "".into()
                }
            ),
            Err(ProductError::ReasonMissing)
        );
        let events = Product::decide(
            &state,
            ProductCommand::Delist {
                agent,
                reason: "counterfeit brand".into(),
            },
        )
        .unwrap();
        let delisted = Product::evolve(state, &events[0]);
        assert_eq!(
            Product::decide(
                &delisted,
                ProductCommand::Publish {
                    supplier: SUPPLIER,
                    supplier_may_sell: true
                }
            ),
            Err(ProductError::Delisted)
        );
        assert_eq!(
            Product::decide(
                &delisted,
                ProductCommand::SetStock {
                    supplier: SUPPLIER,
                    stock: 5
                }
            ),
            Err(ProductError::Delisted)
        );
        assert_eq!(
            Product::decide(
                &delisted,
                ProductCommand::Delist {
                    agent,
                    reason: "again".into()
                }
            ),
            Err(ProductError::AlreadyInState(ProductStatus::Delisted))
        );
    }

    #[test]
    fn revising_and_restocking_keep_the_rules() {
        let state = drafted();
        let mut s = sheet();
        s.name = "Hex bolt ISO 4017".into();
        let events = Product::decide(
            &state,
            ProductCommand::Revise {
                supplier: SUPPLIER,
                supplier_may_list: true,
                sheet: s,
                attributes: attrs(),
                schema: schema(),
            },
        )
        .unwrap();
        let revised = Product::evolve(state, &events[0]);
        assert!(revised.title.ends_with("ISO 4017"));
        let events = Product::decide(
            &revised,
            ProductCommand::SetStock {
                supplier: SUPPLIER,
                stock: 0,
            },
        )
        .unwrap();
        assert_eq!(Product::evolve(revised, &events[0]).sheet.unwrap().stock, 0);
    }

    fn order(n: u128) -> OrderId {
        OrderId(Uuid::from_u128(n))
    }

    fn apply(state: ProductState, command: ProductCommand) -> ProductState {
        let events = Product::decide(&state, command).unwrap();
        events.iter().fold(state, Product::evolve)
    }

    #[test]
    fn orders_reserve_stock_and_never_take_more_than_is_available() {
        let state = drafted();
        assert_eq!(state.available(), 50_000);
        let reserve = |n, quantity| ProductCommand::Reserve {
            order: order(n),
            quantity,
            at: 1,
        };
        let state = apply(state, reserve(1, 30_000));
        assert_eq!(state.available(), 20_000);
        assert_eq!(state.on_hand(), 50_000, "reserved pieces are still on hand");
        assert_eq!(
            Product::decide(&state, reserve(1, 30_000)),
            Ok(vec![]),
            "the same order again takes nothing more"
        );
        assert_eq!(
            Product::decide(&state, reserve(2, 20_050)),
            Err(ProductError::OutOfStock {
                title: state.title.clone(),
                available: 20_000
            })
        );
        let state = apply(state, reserve(2, 20_000));
        assert_eq!(state.available(), 0);
        assert_eq!(
            Product::decide(&state, reserve(3, 1)),
            Err(ProductError::OutOfStock {
                title: state.title.clone(),
                available: 0
            })
        );
        assert_eq!(
            Product::decide(&state, reserve(3, 0)),
            Err(ProductError::ZeroReservation)
        );
    }

    #[test]
    fn cancelled_orders_give_stock_back_shipped_ones_use_it_returns_bring_it_back() {
        let state = apply(
            drafted(),
            ProductCommand::Reserve {
                order: order(1),
                quantity: 1_000,
                at: 1,
            },
        );
        let state = apply(
            state,
            ProductCommand::Reserve {
                order: order(2),
                quantity: 2_000,
                at: 1,
            },
        );
        let released = apply(
            state.clone(),
            ProductCommand::Release {
                order: order(1),
                at: 2,
            },
        );
        assert_eq!(released.available(), 48_000);
        assert_eq!(
            Product::decide(
                &released,
                ProductCommand::Release {
                    order: order(1),
                    at: 3
                }
            ),
            Ok(vec![]),
            "released once"
        );
        let shipped = apply(
            released,
            ProductCommand::Ship {
                order: order(2),
                at: 3,
            },
        );
        assert_eq!(shipped.on_hand(), 48_000, "the pieces left the warehouse");
        assert_eq!(shipped.available(), 48_000);
        assert_eq!(
            Product::decide(
                &shipped,
                ProductCommand::Release {
                    order: order(2),
                    at: 4
                }
            ),
            Ok(vec![]),
            "a shipped order holds no reservation"
        );
        let restock = || ProductCommand::Restock {
            order: order(2),
            at: 5,
        };
        let returned = apply(shipped, restock());
        assert_eq!(returned.on_hand(), 50_000);
        assert_eq!(returned.available(), 50_000);
        assert_eq!(Product::decide(&returned, restock()), Ok(vec![]), "once");
        assert_eq!(
            Product::decide(
                &returned,
                ProductCommand::Restock {
                    order: order(1),
                    at: 6
                }
            ),
            Ok(vec![]),
            "an order that never shipped brings nothing back"
        );
    }

    #[test]
    fn stock_cannot_be_set_below_what_open_orders_hold() {
        let state = apply(
            drafted(),
            ProductCommand::Reserve {
                order: order(1),
                quantity: 1_000,
                at: 1,
            },
        );
        assert_eq!(
            Product::decide(
                &state,
                ProductCommand::SetStock {
                    supplier: SUPPLIER,
                    stock: 999
                }
            ),
            Err(ProductError::BelowReserved { reserved: 1_000 })
        );
        let mut s = sheet();
        s.stock = 10;
        assert_eq!(
            Product::decide(
                &state,
                ProductCommand::Revise {
                    supplier: SUPPLIER,
                    supplier_may_list: true,
                    sheet: s,
                    attributes: attrs(),
                    schema: schema(),
                }
            ),
            Err(ProductError::BelowReserved { reserved: 1_000 })
        );
        let state = apply(
            state,
            ProductCommand::SetStock {
                supplier: SUPPLIER,
                stock: 1_000,
            },
        );
        assert_eq!(state.available(), 0);
    }

    #[test]
    fn an_exited_supplier_lists_nothing() {
        let mut command = draft(sheet());
        if let ProductCommand::Draft {
            supplier_may_list, ..
        } = &mut command
        {
            *supplier_may_list = false;
        }
        assert_eq!(
            Product::decide(&ProductState::default(), command),
            Err(ProductError::SupplierExited)
        );
    }

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let events = Product::decide(&ProductState::default(), draft(sheet())).unwrap();
        for e in events.iter().chain(&[ProductEvent::ProductPublished(())]) {
            let (t, v, body) = e.encode();
            assert_eq!(
                &ProductEvent::decode_text(t, v, &body.to_string()).unwrap(),
                e
            );
            assert_eq!(&ProductEvent::decode(t, v, body).unwrap(), e);
        }
    }
}
