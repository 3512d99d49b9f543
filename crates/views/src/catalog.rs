//! The catalogue: accounts, suppliers, categories, credit records and suppliers' trading
//! figures. Its size follows the marketplace's members, not the length of its history, and
//! nearly every request reads some of it (the caller's account, a supplier's badges, a
//! category's attribute names), so it is held whole in memory as well as in the file.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;
use zhuchao_domain::account::AccountState;
use zhuchao_domain::category::CategoryState;
use zhuchao_domain::credit_record::CreditRecordState;
use zhuchao_domain::ids::*;
use zhuchao_domain::supplier::SupplierState;

/// A supplier's trading record, for its level and profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SupplierStats {
    pub completed_orders: u64,
    pub rating_sum: u64,
    pub ratings: u64,
}

#[derive(Default)]
pub struct Catalog {
    /// Accounts by their stream key (the email they registered with).
    pub accounts: HashMap<String, AccountState>,
    pub account_by_id: HashMap<UserId, String>,
    pub suppliers: BTreeMap<SupplierId, SupplierState>,
    pub supplier_stats: HashMap<SupplierId, SupplierStats>,
    /// Orders not yet settled, per supplier: they keep it from exiting.
    pub open_orders: HashMap<SupplierId, u32>,
    pub credit: HashMap<String, CreditRecordState>,
    pub categories: BTreeMap<CategoryId, CategoryState>,
    /// Where each supplier's and category's first event stands in the store: lists are in
    /// this order.
    pub born: HashMap<Uuid, u64>,
}

impl Catalog {
    pub fn account_of(&self, user: UserId) -> Option<&AccountState> {
        self.accounts.get(self.account_by_id.get(&user)?)
    }

    /// Where a supplier or category stands in a list.
    pub fn born(&self, id: Uuid) -> u64 {
        self.born.get(&id).copied().unwrap_or(u64::MAX)
    }
}
