//! A supplier as the API shows it: the public profile (badges, level, ratings, the credit
//! record of its credit code) and, for the supplier itself and agents, its documents and deposit.

use async_graphql::{SimpleObject, ID};
use zhuchao_domain::actions;
use zhuchao_domain::credit_record::CreditEntry as Entry;
use zhuchao_domain::ids::*;
use zhuchao_domain::supplier::{supplier_level, SupplierState};

use crate::enums::{self, CreditEntryKind};
use crate::global_id::{encode, Kind};
use crate::read::Lens;
use crate::scalars::DateTime;
use crate::types::MoneyOut;

/// An entry of the public record tied to a credit code, under any company name it had.
#[derive(SimpleObject, Clone, Debug)]
pub struct CreditEntry {
    pub kind: CreditEntryKind,
    pub supplier_id: ID,
    pub detail: String,
    pub amount: Option<MoneyOut>,
    pub at: DateTime,
}

impl From<&Entry> for CreditEntry {
    fn from(e: &Entry) -> Self {
        let (kind, supplier, detail, amount, at) = match e {
            Entry::Registered {
                supplier,
                company_name,
                at,
            } => (
                CreditEntryKind::Registered,
                supplier,
                company_name.clone(),
                None,
                at,
            ),
            Entry::Warning {
                supplier,
                reason,
                at,
            } => (CreditEntryKind::Warning, supplier, reason.clone(), None, at),
            Entry::Penalty {
                supplier,
                amount,
                reason,
                at,
            } => (
                CreditEntryKind::Penalty,
                supplier,
                reason.clone(),
                Some((*amount).into()),
                at,
            ),
            Entry::DisputeLost {
                supplier,
                dispute,
                at,
            } => (
                CreditEntryKind::DisputeLost,
                supplier,
                format!("dispute {}", encode(Kind::Dispute, dispute.0).as_str()),
                None,
                at,
            ),
            Entry::Exited {
                supplier,
                reason,
                at,
            } => (CreditEntryKind::Exited, supplier, reason.clone(), None, at),
        };
        Self {
            kind,
            supplier_id: encode(Kind::Supplier, supplier.0),
            detail,
            amount,
            at: (*at).into(),
        }
    }
}

/// A business document a supplier submitted, with its review.
#[derive(SimpleObject, Clone, Debug)]
pub struct SupplierDocument {
    pub kind: enums::DocumentKind,
    /// The uploaded file (`/files/…`).
    pub file: String,
    pub expires_on: Option<DateTime>,
    pub review: enums::DocumentReview,
    pub rejection_reason: Option<String>,
}

/// A company selling on the marketplace.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Supplier", complex)]
pub struct SupplierOut {
    pub id: ID,
    pub company_name: String,
    /// The unified social credit code (统一社会信用代码).
    pub credit_code: String,
    pub status: enums::SupplierStatus,
    /// 筑: documents checked.
    pub verified: bool,
    /// 保: trades with the full deposit held.
    pub guaranteed: bool,
    /// 1 to 5, from completed orders, held back by poor ratings.
    pub level: u8,
    pub warnings: u32,
    pub completed_orders: u64,
    /// Average of all scores, 1 to 5.
    pub average_rating: Option<f64>,
    pub category_ids: Vec<ID>,
    /// Everything tied to the credit code, including under earlier company names.
    pub credit_record: Vec<CreditEntry>,
    /// Only for the supplier itself and for agents.
    pub documents: Option<Vec<SupplierDocument>>,
    /// Only for the supplier itself and for agents.
    pub deposit_held: Option<MoneyOut>,
    /// The deposit asked of it. Only for the supplier itself and for agents.
    pub deposit_required: Option<MoneyOut>,
    pub available_actions: Vec<enums::SupplierAction>,
    #[graphql(skip)]
    pub key: SupplierId,
}

impl SupplierOut {
    pub fn build(id: SupplierId, s: &SupplierState, lens: &Lens<'_>) -> Self {
        let private = lens.private_to(id);
        let stats = lens
            .views
            .supplier_stats
            .get(&id)
            .cloned()
            .unwrap_or_default();
        let average = (stats.ratings > 0).then(|| stats.rating_sum as f64 / stats.ratings as f64);
        let credit_record = s
            .credit_code
            .as_ref()
            .and_then(|c| lens.views.credit.get(c.as_str()))
            .map(|r| r.history.iter().map(Into::into).collect())
            .unwrap_or_default();
        let documents = private.then(|| {
            s.documents
                .iter()
                .map(|(kind, d)| SupplierDocument {
                    kind: (*kind).into(),
                    file: d.file.to_string(),
                    expires_on: d.expires_on.map(Into::into),
                    review: (&d.review).into(),
                    rejection_reason: match &d.review {
                        zhuchao_domain::supplier::Review::Rejected { reason } => {
                            Some(reason.clone())
                        }
                        _ => None,
                    },
                })
                .collect()
        });
        let available_actions = if lens.past {
            vec![]
        } else {
            let open = lens.views.open_orders.get(&id).copied().unwrap_or(0);
            actions::supplier_actions(s, id, lens.viewer.asker(), open, lens.now)
                .into_iter()
                .map(Into::into)
                .collect()
        };
        Self {
            id: encode(Kind::Supplier, id.0),
            company_name: s.company_name.clone(),
            credit_code: s
                .credit_code
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            status: s.status.into(),
            verified: s.verified(),
            guaranteed: s.guaranteed(),
            level: supplier_level(
                stats.completed_orders,
                average.map(|a| (a * 10.0).round() as u32),
            ),
            warnings: s.warnings,
            completed_orders: stats.completed_orders,
            average_rating: average,
            category_ids: s
                .categories
                .iter()
                .map(|c| encode(Kind::Category, c.0))
                .collect(),
            credit_record,
            documents,
            deposit_held: s.deposit_held.filter(|_| private).map(Into::into),
            deposit_required: s.deposit_required.filter(|_| private).map(Into::into),
            available_actions,
            key: id,
        }
    }
}
