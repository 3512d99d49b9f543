//! Who may see what: the visibility rules of RFQs, orders and disputes in one place, used by the
//! queries and by file downloads alike (a file is readable by whoever may see what it belongs to).

use zhuchao_domain::ids::*;
use zhuchao_domain::rfq::RfqState;

use crate::auth::Viewer;
use zhuchao_views::{FileUse, Reader};

/// What `viewer` may see of an RFQ: `Some(None)` everything, `Some(Some(s))` supplier `s`'s own
/// quote only, `None` nothing.
pub fn rfq_visibility(
    views: &Reader<'_>,
    viewer: &Viewer,
    r: &RfqState,
) -> Option<Option<SupplierId>> {
    match viewer {
        Viewer::Admin { .. } | Viewer::Agent { .. } => Some(None),
        Viewer::Buyer { company, .. } if r.company == Some(*company) => Some(None),
        Viewer::Supplier { supplier, .. } => {
            let invited = r.invited.contains(supplier);
            let quoted = r.quotes.values().any(|q| q.supplier == *supplier);
            let serves = r.category.is_some_and(|c| {
                views
                    .suppliers
                    .get(supplier)
                    .is_some_and(|s| s.categories.contains(&c))
            });
            (invited || quoted || (r.pool_open && serves)).then_some(Some(*supplier))
        }
        _ => None,
    }
}

pub fn may_see_order(
    viewer: &Viewer,
    company: Option<CompanyId>,
    supplier: Option<SupplierId>,
) -> bool {
    match viewer {
        Viewer::Admin { .. } | Viewer::Agent { .. } => true,
        Viewer::Buyer { company: c, .. } => company == Some(*c),
        Viewer::Supplier { supplier: s, .. } => supplier == Some(*s),
        Viewer::Anonymous => false,
    }
}

/// Whether `viewer` may read the uploaded file `hash`: staff always; its uploader; and whoever
/// may see a supplier, RFQ or dispute that refers to it — a supplier's documents only that
/// supplier, an RFQ's drawings the buyer's company and the suppliers it is open to, a dispute's
/// evidence its two parties.
pub fn may_read_file(
    views: &Reader<'_>,
    viewer: &Viewer,
    hash: &str,
    uploaded_by_viewer: bool,
) -> bool {
    if viewer.is_staff() || (uploaded_by_viewer && viewer.user().is_some()) {
        return true;
    }
    views.file_uses(hash).iter().any(|u| match u {
        FileUse::SupplierDocument(s) => {
            matches!(viewer, Viewer::Supplier { supplier, .. } if supplier == s)
        }
        FileUse::RfqDrawing(r) => views
            .rfq(*r)
            .is_some_and(|r| rfq_visibility(views, viewer, &r).is_some()),
        FileUse::DisputeEvidence(d) => views
            .dispute(*d)
            .is_some_and(|d| may_see_order(viewer, d.company, d.supplier)),
        FileUse::ProductImage(p) => views.product(*p).is_some_and(|p| {
            p.status == zhuchao_domain::product::ProductStatus::Published
                || matches!(viewer, Viewer::Supplier { supplier, .. } if p.supplier == Some(*supplier))
        }),
    })
}
