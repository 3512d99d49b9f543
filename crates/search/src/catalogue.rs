//! What the index knows besides the documents: each product's full record (kept as the document's
//! stored source, so any event can rebuild it), each supplier's badges, and the categories' tree
//! and attribute schemas — folded from the same events as the documents.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use zhuchao_domain::category::{AttributeValue, CategoryEvent, CategorySchema};
use zhuchao_domain::ids::{CategoryId, ProductId, SupplierId};
use zhuchao_domain::product::{tier_price, ProductEvent, ProductSheet, ProductStatus};
use zhuchao_domain::supplier::{SupplierEvent, SupplierStatus};

/// A product as the index stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexedProduct {
    pub id: ProductId,
    pub supplier: SupplierId,
    pub title: String,
    pub sheet: ProductSheet,
    pub attributes: BTreeMap<String, AttributeValue>,
    pub status: ProductStatus,
}

impl IndexedProduct {
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
    pub level: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryInfo {
    pub parent: Option<CategoryId>,
    pub schema: CategorySchema,
}

/// Everything besides the documents, saved in each commit's payload with the checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    /// The global position of the last event applied.
    pub position: u64,
    pub suppliers: HashMap<SupplierId, SupplierState>,
    pub categories: HashMap<CategoryId, CategoryInfo>,
}

/// The parts of a supplier's standing the index needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SupplierState {
    pub status: Option<SupplierStatus>,
    pub documents_approved: bool,
    pub deposit_full: bool,
    pub held: i64,
    pub required: i64,
}

impl SupplierState {
    pub fn badges(&self) -> SupplierBadges {
        let active = self.status == Some(SupplierStatus::Active);
        SupplierBadges {
            may_sell: active,
            verified: self.documents_approved,
            guaranteed: active && self.deposit_full,
            level: 1,
        }
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
        }
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
            SupplierEvent::DocumentSubmitted(_) => {
                if s.status == Some(SupplierStatus::Applied) {
                    s.status = Some(SupplierStatus::UnderReview);
                }
            }
            SupplierEvent::DocumentApproved(_) => s.documents_approved = true,
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
                ProductEvent::ProductPublished(()) => p.status = ProductStatus::Published,
                ProductEvent::ProductUnpublished(()) => p.status = ProductStatus::Unpublished,
                ProductEvent::ProductDelisted(_) => p.status = ProductStatus::Delisted,
                ProductEvent::ProductDrafted(_) => {}
            }
            Some(p)
        }
    }
}
