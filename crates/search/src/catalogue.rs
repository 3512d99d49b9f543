//! What the index knows besides the documents: each product's full record (kept as the document's
//! stored source, so any event can rebuild it), each supplier's badges, and the categories' tree
//! and attribute schemas — folded from the same events as the documents.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use zhuchao_domain::category::{
    AttributeValue, CategoryEvent, CategorySchema, CategoryTranslation, Language,
};
use zhuchao_domain::ids::{CategoryId, OrderId, ProductId, SupplierId};
use zhuchao_domain::order::OrderEvent;
use zhuchao_domain::product::{tier_price, ProductEvent, ProductSheet, ProductStatus};
use zhuchao_domain::review::ReviewEvent;
use zhuchao_domain::supplier::{supplier_level, DocumentKind, SupplierEvent, SupplierStatus};

/// A product as the index stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexedProduct {
    pub id: ProductId,
    pub supplier: SupplierId,
    pub title: String,
    pub sheet: ProductSheet,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub status: ProductStatus,
    /// Pieces held for open orders, by order: `sheet.stock` is on hand, these included.
    #[serde(default)]
    pub reservations: BTreeMap<OrderId, u64>,
}

impl IndexedProduct {
    /// Pieces a buyer may still order.
    pub fn available(&self) -> u64 {
        self.sheet
            .stock
            .saturating_sub(self.reservations.values().sum())
    }

    /// The unit price at the minimum order quantity, in minor units.
    pub fn price_at_moq(&self) -> i64 {
        tier_price(&self.sheet.tiers, self.sheet.moq).map_or(i64::MAX, |m| m.minor)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierBadges {
    pub may_sell: bool,
    pub verified: bool,
    pub guaranteed: bool,
    /// 1 to 5, from completed orders capped by poor ratings.
    pub level: u8,
    /// The average rating times ten (45 = 4.5); 0 while unrated.
    pub rating_x10: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryInfo {
    pub parent: Option<CategoryId>,
    pub schema: CategorySchema,
    /// Words buyers use for the same thing in this category (and the ones below it).
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
    /// The category's words in other languages: a translated listed value (碳钢) is typed
    /// for the value itself (Carbon steel).
    #[serde(default)]
    pub translations: BTreeMap<Language, CategoryTranslation>,
}

/// Everything besides the documents, saved in each commit's payload with the checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    /// The global position of the last event applied.
    pub position: u64,
    pub suppliers: HashMap<SupplierId, SupplierState>,
    pub categories: HashMap<CategoryId, CategoryInfo>,
    /// Orders not yet completed or cancelled, with their supplier: completion counts toward it.
    #[serde(default)]
    pub open_orders: HashMap<OrderId, SupplierId>,
}

/// The parts of a supplier's standing the index needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SupplierState {
    pub status: Option<SupplierStatus>,
    /// Whether the mandatory documents are approved and in force (see
    /// [`SupplierState::approved`]).
    pub documents_approved: bool,
    /// The documents approved and not expired since.
    #[serde(default)]
    pub approved: BTreeSet<DocumentKind>,
    pub deposit_full: bool,
    pub held: i64,
    pub required: i64,
    #[serde(default)]
    pub completed_orders: u64,
    /// Sum and number of scores given (each rating gives quality, delivery and service, 1 to 5).
    #[serde(default)]
    pub score_sum: u64,
    #[serde(default)]
    pub scores: u64,
}

impl SupplierState {
    /// The domain's rule: the merged licence, or all three separate documents.
    fn mandatory_approved(&self) -> bool {
        self.approved.contains(&DocumentKind::MergedLicence)
            || [
                DocumentKind::BusinessLicence,
                DocumentKind::TaxRegistration,
                DocumentKind::OrganisationCode,
            ]
            .iter()
            .all(|k| self.approved.contains(k))
    }

    pub fn badges(&self) -> SupplierBadges {
        let active = self.status == Some(SupplierStatus::Active);
        let rating = self.rating_x10();
        SupplierBadges {
            may_sell: active,
            verified: self.documents_approved,
            guaranteed: active && self.deposit_full,
            level: supplier_level(self.completed_orders, rating),
            rating_x10: rating.unwrap_or(0),
        }
    }

    /// The average rating times ten, rounded half up; `None` while unrated.
    pub fn rating_x10(&self) -> Option<u32> {
        (self.scores > 0).then(|| ((self.score_sum * 20 + self.scores) / (self.scores * 2)) as u32)
    }
}

impl Catalogue {
    /// The category and all its ancestors, nearest first.
    pub fn path(&self, category: CategoryId) -> Vec<CategoryId> {
        let mut path = vec![category];
        let mut at = category;
        while let Some(parent) = self.categories.get(&at).and_then(|c| c.parent) {
            if path.contains(&parent) {
                break;
            }
            path.push(parent);
            at = parent;
        }
        path
    }

    pub fn apply_category(&mut self, id: CategoryId, event: &CategoryEvent) {
        match event {
            CategoryEvent::CategoryCreated(e) => {
                self.categories.insert(
                    id,
                    CategoryInfo {
                        parent: e.parent,
                        schema: CategorySchema {
                            attributes: e.attributes.clone(),
                        },
                        synonyms: Vec::new(),
                        translations: BTreeMap::new(),
                    },
                );
            }
            CategoryEvent::CategoryAttributesRevised(e) => {
                if let Some(c) = self.categories.get_mut(&id) {
                    c.schema = CategorySchema {
                        attributes: e.attributes.clone(),
                    };
                }
            }
            CategoryEvent::CategorySynonymsSet(e) => {
                if let Some(c) = self.categories.get_mut(&id) {
                    c.synonyms = e.groups.clone();
                }
            }
            CategoryEvent::CategoryTranslated(e) => {
                if let Some(c) = self.categories.get_mut(&id) {
                    c.translations.insert(e.language, e.translation.clone());
                }
            }
        }
    }

    /// Synonym groups in force in a category: its own, then its ancestors', nearest first. With
    /// no category chosen, every category's groups.
    pub fn synonyms(&self, category: Option<CategoryId>) -> Vec<Vec<String>> {
        match category {
            Some(c) => self
                .path(c)
                .iter()
                .filter_map(|c| self.categories.get(c))
                .flat_map(|c| c.synonyms.iter().cloned())
                .collect(),
            None => {
                let mut ids: Vec<&CategoryId> = self.categories.keys().collect();
                ids.sort();
                ids.into_iter()
                    .flat_map(|c| self.categories[c].synonyms.iter().cloned())
                    .collect()
            }
        }
    }

    /// Applies an order event; returns the supplier whose badges changed, if any.
    pub fn apply_order(&mut self, id: OrderId, event: &OrderEvent) -> Option<SupplierId> {
        match event {
            OrderEvent::OrderPlaced(e) => {
                self.open_orders.insert(id, e.supplier);
                None
            }
            OrderEvent::OrderCancelled(_) => {
                self.open_orders.remove(&id);
                None
            }
            OrderEvent::OrderCompleted(_) => {
                let supplier = self.open_orders.remove(&id)?;
                let s = self.suppliers.entry(supplier).or_default();
                let before = s.badges();
                s.completed_orders += 1;
                (s.badges() != before).then_some(supplier)
            }
            _ => None,
        }
    }

    /// Applies a rating; returns the supplier if its badges changed.
    pub fn apply_review(&mut self, event: &ReviewEvent) -> Option<SupplierId> {
        let ReviewEvent::OrderRated(r) = event;
        let s = self.suppliers.entry(r.supplier).or_default();
        let before = s.badges();
        s.score_sum += u64::from(r.quality) + u64::from(r.delivery) + u64::from(r.service);
        s.scores += 3;
        (s.badges() != before).then_some(r.supplier)
    }

    /// Applies a supplier event; returns whether its badges changed.
    pub fn apply_supplier(&mut self, id: SupplierId, event: &SupplierEvent) -> bool {
        let s = self.suppliers.entry(id).or_default();
        let before = s.badges();
        match event {
            SupplierEvent::SupplierApplied(e) => {
                s.status = Some(SupplierStatus::Applied);
                s.required = e.deposit_required.minor;
            }
            SupplierEvent::DocumentSubmitted(e) => {
                if s.status == Some(SupplierStatus::Applied) {
                    s.status = Some(SupplierStatus::UnderReview);
                }
                // A new version waits for its own review.
                s.approved.remove(&e.kind);
            }
            SupplierEvent::DocumentApproved(e) => {
                s.approved.insert(e.kind);
            }
            SupplierEvent::DocumentExpired(e) => {
                s.approved.remove(&e.kind);
            }
            SupplierEvent::SupplierLapsed(_) => s.status = Some(SupplierStatus::Lapsed),
            SupplierEvent::DepositPaid(e) => {
                s.held = e.held.minor;
                s.deposit_full = s.held >= s.required;
            }
            SupplierEvent::PenaltyDeducted(e) => {
                s.held = e.held.minor;
                s.deposit_full = s.held >= s.required;
            }
            SupplierEvent::SupplierActivated(_) | SupplierEvent::SupplierReinstated(_) => {
                s.status = Some(SupplierStatus::Active)
            }
            SupplierEvent::SupplierSuspended(_) => s.status = Some(SupplierStatus::Suspended),
            SupplierEvent::SupplierExited(_) => s.status = Some(SupplierStatus::Exited),
            SupplierEvent::DocumentRejected(_)
            | SupplierEvent::SupplierWarned(_)
            | SupplierEvent::LowRatingRecorded(_) => {}
        }
        s.documents_approved = s.mandatory_approved();
        s.badges() != before
    }

    pub fn badges(&self, supplier: SupplierId) -> SupplierBadges {
        self.suppliers
            .get(&supplier)
            .map(SupplierState::badges)
            .unwrap_or_default()
    }
}

/// The product after `event`, from the product before it (`None` before it was drafted).
pub fn apply_product(
    id: ProductId,
    before: Option<IndexedProduct>,
    event: &ProductEvent,
) -> Option<IndexedProduct> {
    match event {
        ProductEvent::ProductDrafted(e) => Some(IndexedProduct {
            id,
            supplier: e.supplier,
            title: e.title.clone(),
            sheet: e.sheet.clone(),
            attributes: e.attributes.clone(),
            status: ProductStatus::Draft,
            reservations: BTreeMap::new(),
        }),
        other => {
            let mut p = before?;
            match other {
                ProductEvent::ProductRevised(e) => {
                    p.sheet = e.sheet.clone();
                    p.attributes = e.attributes.clone();
                    p.title = e.title.clone();
                }
                ProductEvent::ProductStockSet(e) => p.sheet.stock = e.stock,
                ProductEvent::StockReserved(e) => {
                    p.reservations.insert(e.order, e.quantity);
                }
                ProductEvent::StockReleased(e) => {
                    p.reservations.remove(&e.order);
                }
                ProductEvent::StockShipped(e) => {
                    p.reservations.remove(&e.order);
                    p.sheet.stock = p.sheet.stock.saturating_sub(e.quantity);
                }
                ProductEvent::StockReturned(e) => {
                    p.sheet.stock = p.sheet.stock.saturating_add(e.quantity)
                }
                ProductEvent::ProductPublished(()) => p.status = ProductStatus::Published,
                ProductEvent::ProductUnpublished(()) => p.status = ProductStatus::Unpublished,
                ProductEvent::ProductDelisted(_) => p.status = ProductStatus::Delisted,
                ProductEvent::ProductDrafted(_) => {}
            }
            Some(p)
        }
    }
}
