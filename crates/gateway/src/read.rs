//! What one caller reads: the read models, who asks and the time. Every object the API shows —
//! in a query, a mutation's payload, a subscription or `node(id:)` — is built here, so each is
//! shown alike wherever it appears, and only to those who may see it (anything else answers as
//! if it did not exist).

use zhuchao_domain::ids::*;
use zhuchao_domain::product::ProductStatus;
use zhuchao_domain::Timestamp;

use crate::access::{may_see_order, rfq_visibility};
use crate::auth::Viewer;
use crate::supplier_profile::SupplierOut;
use crate::trade::{DisputeOut, OrderOut, QuoteOut, RfqOut};
use crate::types::{AttributeNames, CategoryOut, ProductOut, UserOut};
use zhuchao_views::Reader;

/// Reads the read models as the caller, now: `f` gets a lens. A read of the file that failed
/// makes the request fail rather than answer as if what it could not read did not exist. Do not
/// call it across an `.await` of `f`'s results: it reads synchronously.
pub fn look<T>(
    ctx: &async_graphql::Context<'_>,
    f: impl FnOnce(&Lens<'_>) -> T,
) -> async_graphql::Result<T> {
    let a = crate::api::api(ctx);
    look_at(ctx, a.market.handler.now(), false, f)
}

/// Reads the read models as the caller at `at`; `past`: objects are shown as they were then.
pub fn look_at<T>(
    ctx: &async_graphql::Context<'_>,
    at: Timestamp,
    past: bool,
    f: impl FnOnce(&Lens<'_>) -> T,
) -> async_graphql::Result<T> {
    let views = crate::api::api(ctx).views.read();
    let lens = Lens {
        views: &views,
        viewer: crate::api::viewer(ctx),
        now: at,
        past,
    };
    let found = f(&lens);
    match views.failure() {
        Some(e) => Err(crate::errors::read_failed(e)),
        None => Ok(found),
    }
}

pub struct Lens<'a> {
    pub views: &'a Reader<'a>,
    pub viewer: &'a Viewer,
    pub now: Timestamp,
    /// Objects are read as they were at an earlier moment: nothing can be done to that past,
    /// so they offer no actions.
    pub past: bool,
}

impl<'a> Lens<'a> {
    pub fn new(views: &'a Reader<'a>, viewer: &'a Viewer, now: Timestamp) -> Self {
        Lens {
            views,
            viewer,
            now,
            past: false,
        }
    }

    /// The same caller, reading objects as they were at `at`.
    pub fn as_of(views: &'a Reader<'a>, viewer: &'a Viewer, at: Timestamp) -> Self {
        Lens {
            views,
            viewer,
            now: at,
            past: true,
        }
    }

    /// Where a supplier or category stands in a list: in the order they were made.
    pub fn catalog_key(&self, id: uuid::Uuid) -> crate::api::ListKey {
        (self.views.born(id), id)
    }

    /// How category `id` names and measures its attributes.
    pub fn names(&self, category: Option<CategoryId>) -> AttributeNames<'a> {
        AttributeNames(category.and_then(|c| self.views.categories.get(&c)))
    }

    pub fn category(&self, id: CategoryId) -> Option<CategoryOut> {
        Some(CategoryOut::from_state(id, self.views.categories.get(&id)?))
    }

    /// A product: published ones for everyone, the others for their supplier and staff.
    pub fn product(&self, id: ProductId) -> Option<ProductOut> {
        let p = self.views.product(id)?;
        self.product_from(id, &p)
    }

    /// A product whose state the caller already read.
    pub fn product_from(
        &self,
        id: ProductId,
        p: &zhuchao_domain::product::ProductState,
    ) -> Option<ProductOut> {
        let visible = p.status == ProductStatus::Published
            || self.viewer.is_staff()
            || matches!(self.viewer, Viewer::Supplier { supplier, .. } if p.supplier == Some(*supplier));
        visible.then(|| {
            ProductOut::from_state(id, p, &self.names(p.sheet.as_ref().map(|s| s.category)))
        })
    }

    /// Whether the caller sees a supplier's private side (documents, deposit).
    pub fn private_to(&self, id: SupplierId) -> bool {
        self.viewer.is_staff()
            || matches!(self.viewer, Viewer::Supplier { supplier, .. } if *supplier == id)
    }

    /// A supplier's profile: public once it went live; before that, to itself and staff only.
    pub fn supplier(&self, id: SupplierId) -> Option<SupplierOut> {
        let s = self.views.suppliers.get(&id)?;
        if !self.private_to(id) && !s.went_live {
            return None;
        }
        Some(SupplierOut::build(id, s, self))
    }

    pub fn rfq(&self, id: RfqId) -> Option<RfqOut> {
        self.rfq_from(id, &self.views.rfq(id)?)
    }

    /// An RFQ whose state the caller already read.
    pub fn rfq_from(&self, id: RfqId, r: &zhuchao_domain::rfq::RfqState) -> Option<RfqOut> {
        let only = rfq_visibility(self.views, self.viewer, r)?;
        Some(RfqOut::build(id, r, only, self))
    }

    pub fn quote(&self, id: QuoteId) -> Option<QuoteOut> {
        let rfq = self.views.rfq_of_quote(id)?;
        let r = &self.views.rfq(rfq)?;
        let only = rfq_visibility(self.views, self.viewer, r)?;
        let q = r.quotes.get(&id)?;
        if only.is_some_and(|s| s != q.supplier) {
            return None;
        }
        Some(QuoteOut::build(rfq, r, q, self))
    }

    pub fn order(&self, id: OrderId) -> Option<OrderOut> {
        self.order_from(id, &self.views.order(id)?)
    }

    /// An order whose state the caller already read.
    pub fn order_from(
        &self,
        id: OrderId,
        o: &zhuchao_domain::order::OrderState,
    ) -> Option<OrderOut> {
        if o.id.is_none() || !may_see_order(self.viewer, o.company, o.supplier) {
            return None;
        }
        Some(OrderOut::build(id, o, self.views.escrow(id).as_ref(), self))
    }

    pub fn dispute(&self, id: DisputeId) -> Option<DisputeOut> {
        self.dispute_from(id, &self.views.dispute(id)?)
    }

    /// A dispute whose state the caller already read.
    pub fn dispute_from(
        &self,
        id: DisputeId,
        d: &zhuchao_domain::dispute::DisputeState,
    ) -> Option<DisputeOut> {
        if d.id.is_none() || !may_see_order(self.viewer, d.company, d.supplier) {
            return None;
        }
        Some(DisputeOut::build(id, d, self))
    }

    /// A user: the caller itself, or anyone to staff.
    pub fn user(&self, id: UserId) -> Option<UserOut> {
        if self.viewer.user() != Some(id) && !self.viewer.is_staff() {
            return None;
        }
        UserOut::of(id, self.views.account_of(id)?)
    }
}
