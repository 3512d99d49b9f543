//! A supplier company's onboarding and standing: application with its credit code, documents
//! reviewed by agents, the transaction deposit, going live, warnings, suspension, penalties and
//! exit. Going live needs every mandatory document approved and the deposit paid in full; when an
//! approved document expires the supplier stops selling until a new one is approved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp};
use crate::credit_code::CreditCode;
use crate::files::FileRef;
use crate::ids::{CategoryId, DisputeId, OrderId, SupplierId, UserId};
use crate::money::Money;

/// The platform's default transaction deposit: ¥20,000.
pub const DEFAULT_DEPOSIT: Money = Money::cny(2_000_000);
/// Warnings after which a supplier is suspended without further ado.
pub const WARNINGS_BEFORE_SUSPENSION: u32 = 3;

/// A supplier's level, 1 to 5, shown on its profile: volume of completed orders raises it, and a
/// poor average rating caps it (below 3.0: level 1 at most; below 4.0: level 3 at most).
/// `average_rating_x10` is the average of all ratings times ten (45 = 4.5); `None` when unrated.
pub fn supplier_level(completed_orders: u64, average_rating_x10: Option<u32>) -> u8 {
    let by_volume = match completed_orders {
        0..=9 => 1,
        10..=49 => 2,
        50..=199 => 3,
        200..=999 => 4,
        _ => 5,
    };
    let cap = match average_rating_x10 {
        Some(r) if r < 30 => 1,
        Some(r) if r < 40 => 3,
        _ => 5,
    };
    by_volume.min(cap)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DocumentKind {
    /// 营业执照
    BusinessLicence,
    /// 税务登记证
    TaxRegistration,
    /// 组织机构代码证
    OrganisationCode,
    /// 三证合一: the merged licence replacing the three above.
    MergedLicence,
    /// 商标注册证
    TrademarkRegistration,
    /// 品牌授权书, for distributors of a brand.
    BrandAuthorisation,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Review {
    Pending,
    Approved,
    Rejected {
        reason: String,
    },
    /// Approved once, past its expiry date now.
    Expired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub file: FileRef,
    pub expires_on: Option<Timestamp>,
    pub review: Review,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SupplierStatus {
    #[default]
    None,
    Applied,
    UnderReview,
    Active,
    /// Was active; a mandatory document expired, so it may not sell until a new one is approved.
    Lapsed,
    Suspended,
    Exited,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SupplierState {
    pub id: Option<SupplierId>,
    pub company_name: String,
    pub credit_code: Option<CreditCode>,
    pub categories: Vec<CategoryId>,
    pub status: SupplierStatus,
    pub documents: BTreeMap<DocumentKind, Document>,
    pub deposit_required: Option<Money>,
    pub deposit_held: Option<Money>,
    /// Every deposit payment recorded, by its payment reference: each counts once.
    pub deposit_payments: BTreeMap<String, Money>,
    pub warnings: u32,
    pub low_rated_orders: std::collections::BTreeSet<OrderId>,
    /// Has been active at least once: its profile is public from then on.
    pub went_live: bool,
}

impl SupplierState {
    /// The mandatory documents are approved: the merged licence, or all three separate ones.
    pub fn verified(&self) -> bool {
        self.verified_at(Timestamp::MIN)
    }

    /// The mandatory documents are approved and none of them has expired by `at`.
    pub fn verified_at(&self, at: Timestamp) -> bool {
        let approved = |k| {
            matches!(self.documents.get(&k), Some(d) if d.review == Review::Approved
                && d.expires_on.is_none_or(|e| e > at))
        };
        approved(DocumentKind::MergedLicence)
            || (approved(DocumentKind::BusinessLicence)
                && approved(DocumentKind::TaxRegistration)
                && approved(DocumentKind::OrganisationCode))
    }

    /// What is still to pay for the deposit to be held in full.
    pub fn deposit_due(&self) -> Money {
        let required = self.deposit_required.unwrap_or(DEFAULT_DEPOSIT);
        let held = self.deposit_held.map_or(0, |h| h.minor);
        Money::new((required.minor - held).max(0), required.currency)
    }

    /// Whether a deposit payment of `amount` under `payment_ref` may be made now (before the
    /// money is taken): the supplier has not exited, the reference is new, and the amount is
    /// positive, in the deposit's currency and no more than is due.
    pub fn check_deposit_payment(
        &self,
        amount: Money,
        payment_ref: &str,
    ) -> Result<(), SupplierError> {
        live(self)?;
        check_deposit_amount(self, amount, payment_ref)?;
        if self.deposit_payments.contains_key(payment_ref) {
            return Err(SupplierError::PaymentRefReused);
        }
        let due = self.deposit_due();
        if !due.is_positive() {
            return Err(SupplierError::NothingDue);
        }
        if amount.minor > due.minor {
            return Err(SupplierError::MoreThanDue { asked: amount, due });
        }
        Ok(())
    }

    /// The deposit is held in full: the supplier trades escrow-protected.
    pub fn deposit_in_full(&self) -> bool {
        match (self.deposit_held, self.deposit_required) {
            (Some(held), Some(required)) => held.covers(required),
            _ => false,
        }
    }

    /// "保": active with the full deposit.
    pub fn guaranteed(&self) -> bool {
        self.status == SupplierStatus::Active && self.deposit_in_full()
    }

    /// May publish products and answer RFQs.
    pub fn may_sell(&self) -> bool {
        self.status == SupplierStatus::Active
    }

    /// May sell at `at`: active, and no mandatory document expired by then (the expiry timer may
    /// not have recorded it yet).
    pub fn may_sell_at(&self, at: Timestamp) -> bool {
        self.may_sell() && self.verified_at(at)
    }

    /// May still list products (drafts and revisions): anything but exited.
    pub fn may_list(&self) -> bool {
        !matches!(self.status, SupplierStatus::None | SupplierStatus::Exited)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SupplierCommand {
    Apply {
        id: SupplierId,
        company_name: String,
        credit_code: CreditCode,
        categories: Vec<CategoryId>,
        contact: Contact,
        /// The deposit the platform asks for now.
        deposit_required: Money,
        at: Timestamp,
    },
    SubmitDocument {
        kind: DocumentKind,
        file: FileRef,
        expires_on: Option<Timestamp>,
        at: Timestamp,
    },
    ApproveDocument {
        kind: DocumentKind,
        agent: UserId,
        at: Timestamp,
    },
    RejectDocument {
        kind: DocumentKind,
        agent: UserId,
        reason: String,
        at: Timestamp,
    },
    /// Records a deposit payment the platform received (see `check_deposit_payment` before
    /// taking the money). The same reference again changes nothing.
    PayDeposit {
        amount: Money,
        payment_ref: String,
        at: Timestamp,
    },
    /// A supplier pays towards its deposit: as `PayDeposit`, but only what is still due —
    /// nothing when the deposit is held in full, never more than the rest (`NOTHING_DUE`,
    /// `MORE_THAN_DUE`), checked in the same decision that records it.
    PayDepositDue {
        amount: Money,
        payment_ref: String,
        at: Timestamp,
    },
    /// Timer-driven: marks the approved documents whose expiry has passed; an active supplier
    /// left without its mandatory documents lapses.
    ExpireDocuments {
        at: Timestamp,
    },
    Warn {
        agent: UserId,
        reason: String,
        at: Timestamp,
    },
    Suspend {
        agent: UserId,
        reason: String,
        at: Timestamp,
    },
    Reinstate {
        agent: UserId,
        at: Timestamp,
    },
    /// Takes a penalty from the deposit. More than it holds is refused, unless
    /// `record_shortfall` (a ruling already made): then it takes what there is and records the
    /// rest as owed.
    DeductPenalty {
        amount: Money,
        reason: String,
        dispute: Option<DisputeId>,
        record_shortfall: bool,
        at: Timestamp,
    },
    Exit {
        by: UserId,
        reason: String,
        /// Orders not yet settled; the deposit is returned only when there are none.
        open_orders: u32,
        at: Timestamp,
    },
    /// A buyer rated one of its orders low; every third low rating is a warning.
    RecordLowRating {
        order: OrderId,
        at: Timestamp,
    },
}

/// Low ratings after which a supplier is warned, and again after as many more.
pub const LOW_RATINGS_PER_WARNING: u32 = 3;

crate::event_data! {
    SupplierApplied { id: SupplierId, company_name: String, credit_code: CreditCode, categories: Vec<CategoryId>, contact: Contact, deposit_required: Money, at: Timestamp }
    DocumentSubmitted { kind: DocumentKind, file: FileRef, expires_on: Option<Timestamp>, at: Timestamp }
    DocumentExpired { kind: DocumentKind, expired_on: Timestamp, at: Timestamp }
    SupplierLapsed { at: Timestamp }
    DocumentApproved { kind: DocumentKind, agent: UserId, at: Timestamp }
    DocumentRejected { kind: DocumentKind, agent: UserId, reason: String, at: Timestamp }
    DepositPaid { amount: Money, held: Money, payment_ref: String, at: Timestamp }
    SupplierActivated { at: Timestamp }
    SupplierWarned { agent: UserId, reason: String, warnings: u32, at: Timestamp }
    SupplierSuspended { agent: UserId, reason: String, at: Timestamp }
    SupplierReinstated { agent: UserId, at: Timestamp }
    SupplierExited { by: UserId, reason: String, deposit_returned: Money, at: Timestamp }
    LowRatingRecorded { order: OrderId, low_ratings: u32, at: Timestamp }
}

/// A penalty taken from the deposit; `shortfall` is what a ruling asked for beyond what the
/// deposit held (absent in events written before it was recorded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PenaltyDeducted {
    pub amount: Money,
    pub held: Money,
    pub reason: String,
    pub dispute: Option<DisputeId>,
    #[serde(default)]
    pub shortfall: Option<Money>,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SupplierEvent {
    SupplierApplied(SupplierApplied),
    DocumentSubmitted(DocumentSubmitted),
    DocumentExpired(DocumentExpired),
    SupplierLapsed(SupplierLapsed),
    DocumentApproved(DocumentApproved),
    DocumentRejected(DocumentRejected),
    DepositPaid(DepositPaid),
    SupplierActivated(SupplierActivated),
    SupplierWarned(SupplierWarned),
    SupplierSuspended(SupplierSuspended),
    SupplierReinstated(SupplierReinstated),
    PenaltyDeducted(PenaltyDeducted),
    SupplierExited(SupplierExited),
    LowRatingRecorded(LowRatingRecorded),
}
crate::event_names!(SupplierEvent {
    SupplierApplied,
    DocumentSubmitted,
    DocumentExpired,
    SupplierLapsed,
    DocumentApproved,
    DocumentRejected,
    DepositPaid,
    SupplierActivated,
    SupplierWarned,
    SupplierSuspended,
    SupplierReinstated,
    PenaltyDeducted,
    SupplierExited,
    LowRatingRecorded
});

impl DomainEvent for SupplierEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SupplierError {
    #[error("this supplier has already applied")]
    AlreadyApplied,
    #[error("no such supplier")]
    NotFound,
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("a supplier must name at least one category")]
    NoCategories,
    #[error("the document has already expired")]
    DocumentExpired,
    #[error("no {0:?} has been submitted")]
    NoSuchDocument(DocumentKind),
    #[error("the {0:?} has already been reviewed")]
    AlreadyReviewed(DocumentKind),
    #[error("amounts must be above zero and in the deposit's currency")]
    BadAmount,
    #[error("the supplier has exited")]
    Exited,
    #[error("this is not possible while the supplier is {0:?}")]
    WrongStatus(SupplierStatus),
    #[error("the supplier still has {0} open orders; they must settle before exit")]
    OpenOrders(u32),
    #[error("this payment reference was already used for another deposit payment")]
    PaymentRefReused,
    #[error("the deposit is already held in full")]
    NothingDue,
    #[error("{asked} is more than the {due} still due for the deposit")]
    MoreThanDue { asked: Money, due: Money },
    #[error("the penalty {asked} is more than the deposit holds ({held})")]
    PenaltyExceedsDeposit { asked: Money, held: Money },
    #[error("the mandatory documents are not approved and valid; they must be renewed first")]
    NotVerified,
}

fn check_deposit_amount(
    state: &SupplierState,
    amount: Money,
    payment_ref: &str,
) -> Result<(), SupplierError> {
    let required = state.deposit_required.ok_or(SupplierError::NotFound)?;
    if !amount.is_positive() || amount.currency != required.currency {
        return Err(SupplierError::BadAmount);
    }
    if payment_ref.trim().is_empty() {
        return Err(SupplierError::Missing("the payment reference"));
    }
    Ok(())
}

fn live(state: &SupplierState) -> Result<(), SupplierError> {
    match state.status {
        SupplierStatus::None => Err(SupplierError::NotFound),
        SupplierStatus::Exited => Err(SupplierError::Exited),
        _ => Ok(()),
    }
}

fn reason(text: &str) -> Result<(), SupplierError> {
    if text.trim().is_empty() {
        Err(SupplierError::Missing("a reason"))
    } else {
        Ok(())
    }
}

/// Appends `SupplierActivated` when the events just decided complete the requirements.
fn with_activation(
    state: &SupplierState,
    mut events: Vec<SupplierEvent>,
    at: Timestamp,
) -> Vec<SupplierEvent> {
    let before = matches!(
        state.status,
        SupplierStatus::Applied | SupplierStatus::UnderReview | SupplierStatus::Lapsed
    );
    let after = events.iter().fold(state.clone(), Supplier::evolve);
    if before && after.verified() && after.deposit_in_full() {
        events.push(SupplierEvent::SupplierActivated(SupplierActivated { at }));
    }
    events
}

pub struct Supplier;

impl Aggregate for Supplier {
    type State = SupplierState;
    type Command = SupplierCommand;
    type Event = SupplierEvent;
    type Error = SupplierError;
    const KIND: &'static str = "supplier";

    fn decide(
        state: &SupplierState,
        command: SupplierCommand,
    ) -> Result<Vec<SupplierEvent>, SupplierError> {
        use SupplierCommand::*;
        use SupplierEvent as E;
        match command {
            Apply {
                id,
                company_name,
                credit_code,
                categories,
                contact,
                deposit_required,
                at,
            } => {
                if state.status != SupplierStatus::None {
                    return Err(SupplierError::AlreadyApplied);
                }
                if company_name.trim().is_empty() {
                    return Err(SupplierError::Missing("the company name"));
                }
                if contact.name.trim().is_empty()
                    || (contact.phone.trim().is_empty() && contact.email.trim().is_empty())
                {
                    return Err(SupplierError::Missing("a contact with a phone or an email"));
                }
                if categories.is_empty() {
                    return Err(SupplierError::NoCategories);
                }
                if !deposit_required.is_positive() {
                    return Err(SupplierError::BadAmount);
                }
                Ok(vec![E::SupplierApplied(SupplierApplied {
                    id,
                    company_name: company_name.trim().to_string(),
                    credit_code,
                    categories,
                    contact,
                    deposit_required,
                    at,
                })])
            }
            SubmitDocument {
                kind,
                file,
                expires_on,
                at,
            } => {
                live(state)?;
                if expires_on.is_some_and(|e| e <= at) {
                    return Err(SupplierError::DocumentExpired);
                }
                Ok(vec![E::DocumentSubmitted(DocumentSubmitted {
                    kind,
                    file,
                    expires_on,
                    at,
                })])
            }
            ApproveDocument { kind, agent, at } => {
                live(state)?;
                let doc = state
                    .documents
                    .get(&kind)
                    .ok_or(SupplierError::NoSuchDocument(kind))?;
                if doc.review != Review::Pending {
                    return Err(SupplierError::AlreadyReviewed(kind));
                }
                if doc.expires_on.is_some_and(|e| e <= at) {
                    return Err(SupplierError::DocumentExpired);
                }
                let events = vec![E::DocumentApproved(DocumentApproved { kind, agent, at })];
                Ok(with_activation(state, events, at))
            }
            RejectDocument {
                kind,
                agent,
                reason: why,
                at,
            } => {
                live(state)?;
                reason(&why)?;
                let doc = state
                    .documents
                    .get(&kind)
                    .ok_or(SupplierError::NoSuchDocument(kind))?;
                if doc.review != Review::Pending {
                    return Err(SupplierError::AlreadyReviewed(kind));
                }
                Ok(vec![E::DocumentRejected(DocumentRejected {
                    kind,
                    agent,
                    reason: why,
                    at,
                })])
            }
            PayDepositDue {
                amount,
                payment_ref,
                at,
            } => {
                let retried = state.deposit_payments.get(&payment_ref) == Some(&amount);
                if !retried {
                    state.check_deposit_payment(amount, &payment_ref)?;
                }
                Supplier::decide(
                    state,
                    PayDeposit {
                        amount,
                        payment_ref,
                        at,
                    },
                )
            }
            PayDeposit {
                amount,
                payment_ref,
                at,
            } => {
                live(state)?;
                check_deposit_amount(state, amount, &payment_ref)?;
                if let Some(recorded) = state.deposit_payments.get(&payment_ref) {
                    return if *recorded == amount {
                        Ok(vec![])
                    } else {
                        Err(SupplierError::PaymentRefReused)
                    };
                }
                let held = state
                    .deposit_held
                    .unwrap_or(Money::zero(amount.currency))
                    .checked_add(amount)
                    .map_err(|_| SupplierError::BadAmount)?;
                let events = vec![E::DepositPaid(DepositPaid {
                    amount,
                    held,
                    payment_ref,
                    at,
                })];
                Ok(with_activation(state, events, at))
            }
            ExpireDocuments { at } => {
                if state.status == SupplierStatus::Exited {
                    return Ok(vec![]);
                }
                let mut events: Vec<SupplierEvent> = state
                    .documents
                    .iter()
                    .filter(|(_, d)| d.review == Review::Approved)
                    .filter_map(|(kind, d)| {
                        let expired_on = d.expires_on.filter(|e| *e <= at)?;
                        Some(E::DocumentExpired(DocumentExpired {
                            kind: *kind,
                            expired_on,
                            at,
                        }))
                    })
                    .collect();
                let after = events.iter().fold(state.clone(), Supplier::evolve);
                if state.status == SupplierStatus::Active && !after.verified() {
                    events.push(E::SupplierLapsed(SupplierLapsed { at }));
                }
                Ok(events)
            }
            Warn {
                agent,
                reason: why,
                at,
            } => {
                live(state)?;
                reason(&why)?;
                if !matches!(
                    state.status,
                    SupplierStatus::Active | SupplierStatus::Lapsed
                ) {
                    return Err(SupplierError::WrongStatus(state.status));
                }
                let warnings = state.warnings + 1;
                let mut events = vec![E::SupplierWarned(SupplierWarned {
                    agent,
                    reason: why,
                    warnings,
                    at,
                })];
                if warnings >= WARNINGS_BEFORE_SUSPENSION {
                    events.push(E::SupplierSuspended(SupplierSuspended {
                        agent,
                        reason: format!("{warnings} warnings"),
                        at,
                    }));
                }
                Ok(events)
            }
            Suspend {
                agent,
                reason: why,
                at,
            } => {
                live(state)?;
                reason(&why)?;
                if state.status == SupplierStatus::Suspended {
                    return Err(SupplierError::WrongStatus(state.status));
                }
                Ok(vec![E::SupplierSuspended(SupplierSuspended {
                    agent,
                    reason: why,
                    at,
                })])
            }
            Reinstate { agent, at } => {
                live(state)?;
                if state.status != SupplierStatus::Suspended {
                    return Err(SupplierError::WrongStatus(state.status));
                }
                if !state.verified_at(at) {
                    return Err(SupplierError::NotVerified);
                }
                Ok(vec![E::SupplierReinstated(SupplierReinstated {
                    agent,
                    at,
                })])
            }
            DeductPenalty {
                amount,
                reason: why,
                dispute,
                record_shortfall,
                at,
            } => {
                live(state)?;
                reason(&why)?;
                let currency = state
                    .deposit_required
                    .map_or(crate::Currency::CNY, |m| m.currency);
                let held = state.deposit_held.unwrap_or(Money::zero(currency));
                if !amount.is_positive() || amount.currency != held.currency {
                    return Err(SupplierError::BadAmount);
                }
                if amount.minor > held.minor && !record_shortfall {
                    return Err(SupplierError::PenaltyExceedsDeposit {
                        asked: amount,
                        held,
                    });
                }
                // The deposit gives what it holds; a ruling's remainder is recorded as owed.
                let taken = Money::new(amount.minor.min(held.minor), held.currency);
                let left = held
                    .checked_sub(taken)
                    .map_err(|_| SupplierError::BadAmount)?;
                let shortfall = Money::new(amount.minor - taken.minor, currency);
                Ok(vec![E::PenaltyDeducted(PenaltyDeducted {
                    amount: taken,
                    held: left,
                    reason: why,
                    dispute,
                    shortfall: shortfall.is_positive().then_some(shortfall),
                    at,
                })])
            }
            Exit {
                by,
                reason: why,
                open_orders,
                at,
            } => {
                live(state)?;
                reason(&why)?;
                if open_orders > 0 {
                    return Err(SupplierError::OpenOrders(open_orders));
                }
                let currency = state
                    .deposit_required
                    .map_or(crate::Currency::CNY, |m| m.currency);
                let deposit_returned = state.deposit_held.unwrap_or(Money::zero(currency));
                Ok(vec![E::SupplierExited(SupplierExited {
                    by,
                    reason: why,
                    deposit_returned,
                    at,
                })])
            }
            RecordLowRating { order, at } => {
                live(state)?;
                if state.low_rated_orders.contains(&order) {
                    return Ok(vec![]);
                }
                let low_ratings = state.low_rated_orders.len() as u32 + 1;
                let mut events = vec![E::LowRatingRecorded(LowRatingRecorded {
                    order,
                    low_ratings,
                    at,
                })];
                if low_ratings.is_multiple_of(LOW_RATINGS_PER_WARNING)
                    && matches!(
                        state.status,
                        SupplierStatus::Active | SupplierStatus::Lapsed
                    )
                {
                    let warnings = state.warnings + 1;
                    let reason = format!("{low_ratings} low ratings from buyers");
                    events.push(E::SupplierWarned(SupplierWarned {
                        agent: UserId(uuid::Uuid::nil()),
                        reason,
                        warnings,
                        at,
                    }));
                    if warnings >= WARNINGS_BEFORE_SUSPENSION {
                        events.push(E::SupplierSuspended(SupplierSuspended {
                            agent: UserId(uuid::Uuid::nil()),
                            reason: format!("{warnings} warnings"),
                            at,
                        }));
                    }
                }
                Ok(events)
            }
        }
    }

    fn evolve(mut state: SupplierState, event: &SupplierEvent) -> SupplierState {
        use SupplierEvent as E;
        match event {
            E::SupplierApplied(e) => {
                state.id = Some(e.id);
                state.company_name = e.company_name.clone();
                state.credit_code = Some(e.credit_code.clone());
                state.categories = e.categories.clone();
                state.deposit_required = Some(e.deposit_required);
                state.status = SupplierStatus::Applied;
            }
            E::DocumentSubmitted(e) => {
                state.documents.insert(
                    e.kind,
                    Document {
                        file: e.file.clone(),
                        expires_on: e.expires_on,
                        review: Review::Pending,
                    },
                );
                if state.status == SupplierStatus::Applied {
                    state.status = SupplierStatus::UnderReview;
                }
            }
            E::DocumentApproved(e) => {
                if let Some(d) = state.documents.get_mut(&e.kind) {
                    d.review = Review::Approved;
                }
            }
            E::DocumentRejected(e) => {
                if let Some(d) = state.documents.get_mut(&e.kind) {
                    d.review = Review::Rejected {
                        reason: e.reason.clone(),
                    };
                }
            }
            E::DepositPaid(e) => {
                state.deposit_held = Some(e.held);
                state
                    .deposit_payments
                    .insert(e.payment_ref.clone(), e.amount);
            }
            E::SupplierActivated(_) => {
                state.status = SupplierStatus::Active;
                state.went_live = true;
            }
            E::SupplierReinstated(_) => state.status = SupplierStatus::Active,
            E::DocumentExpired(e) => {
                if let Some(d) = state.documents.get_mut(&e.kind) {
                    d.review = Review::Expired;
                }
            }
            E::SupplierLapsed(_) => state.status = SupplierStatus::Lapsed,
            E::SupplierWarned(e) => state.warnings = e.warnings,
            E::SupplierSuspended(_) => state.status = SupplierStatus::Suspended,
            E::PenaltyDeducted(e) => state.deposit_held = Some(e.held),
            E::LowRatingRecorded(e) => {
                state.low_rated_orders.insert(e.order);
            }
            E::SupplierExited(e) => {
                state.status = SupplierStatus::Exited;
                state.deposit_held = Some(Money::zero(e.deposit_returned.currency));
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;
    use SupplierCommand as C;

    const AGENT: UserId = UserId(Uuid::from_u128(900));

    fn applied() -> SupplierState {
        let apply = C::Apply {
            id: SupplierId(Uuid::from_u128(1)),
            company_name: "宁波固力紧固件有限公司".into(),
            credit_code: CreditCode::parse("91350100M000100Y43").unwrap(),
            categories: vec![CategoryId(Uuid::from_u128(2))],
            contact: Contact {
                name: "王经理".into(),
                phone: "13800000000".into(),
                email: "".into(),
            },
            deposit_required: DEFAULT_DEPOSIT,
            at: 0,
        };
        Supplier::replay(&Supplier::decide(&SupplierState::default(), apply).unwrap())
    }

    fn run(state: SupplierState, commands: Vec<SupplierCommand>) -> SupplierState {
        commands.into_iter().fold(state, |s, c| {
            let events = Supplier::decide(&s, c).unwrap();
            events.iter().fold(s, Supplier::evolve)
        })
    }

    pub fn file(name: &str) -> FileRef {
        FileRef::parse(&format!("/files/{}/{name}", "ab".repeat(32))).unwrap()
    }

    fn submit(kind: DocumentKind) -> SupplierCommand {
        C::SubmitDocument {
            kind,
            file: file(&format!("{kind:?}.pdf")),
            expires_on: Some(10_000),
            at: 1,
        }
    }

    fn approve(kind: DocumentKind) -> SupplierCommand {
        C::ApproveDocument {
            kind,
            agent: AGENT,
            at: 2,
        }
    }

    fn pay(fen: i64) -> SupplierCommand {
        C::PayDeposit {
            amount: Money::cny(fen),
            payment_ref: "pay-1".into(),
            at: 3,
        }
    }

    fn active() -> SupplierState {
        run(
            applied(),
            vec![
                submit(DocumentKind::MergedLicence),
                approve(DocumentKind::MergedLicence),
                pay(2_000_000),
            ],
        )
    }

    #[test]
    fn a_supplier_pays_what_is_due_and_no_more() {
        let state = active();
        let due = |fen, reference: &str| C::PayDepositDue {
            amount: Money::cny(fen),
            payment_ref: reference.into(),
            at: 5,
        };
        assert_eq!(
            Supplier::decide(&state, due(100, "more")),
            Err(SupplierError::NothingDue),
            "held in full"
        );
        assert_eq!(
            Supplier::decide(&state, due(2_000_000, "pay-1")),
            Ok(vec![]),
            "a retried payment records nothing twice"
        );
        let half = run(applied(), vec![pay(1_000_000)]);
        assert!(matches!(
            Supplier::decide(&half, due(1_500_000, "too-much")),
            Err(SupplierError::MoreThanDue { .. })
        ));
        assert_eq!(
            Supplier::decide(&half, due(1_000_000, "rest"))
                .expect("the rest is due")
                .len(),
            1
        );
    }

    #[test]
    fn approved_documents_and_a_full_deposit_make_a_supplier_active() {
        let state = run(applied(), vec![submit(DocumentKind::MergedLicence)]);
        assert_eq!(state.status, SupplierStatus::UnderReview);
        let state = run(state, vec![approve(DocumentKind::MergedLicence)]);
        assert!(state.verified());
        assert_eq!(state.status, SupplierStatus::UnderReview, "no deposit yet");
        let events = Supplier::decide(&state, pay(1_000_000)).unwrap();
        assert_eq!(events.len(), 1, "half a deposit does not activate");
        let state = events.iter().fold(state, Supplier::evolve);
        let second = C::PayDeposit {
            amount: Money::cny(1_000_000),
            payment_ref: "pay-2".into(),
            at: 4,
        };
        let events = Supplier::decide(&state, second).unwrap();
        assert!(matches!(
            events.last(),
            Some(SupplierEvent::SupplierActivated(_))
        ));
        let state = events.iter().fold(state, Supplier::evolve);
        assert!(state.may_sell() && state.guaranteed());
    }

    #[test]
    fn three_separate_licences_count_as_the_merged_one() {
        use DocumentKind::*;
        let state = run(
            applied(),
            vec![
                pay(2_000_000),
                submit(BusinessLicence),
                submit(TaxRegistration),
                submit(OrganisationCode),
                approve(BusinessLicence),
                approve(TaxRegistration),
            ],
        );
        assert_eq!(state.status, SupplierStatus::UnderReview);
        let events = Supplier::decide(&state, approve(OrganisationCode)).unwrap();
        assert!(matches!(
            events.last(),
            Some(SupplierEvent::SupplierActivated(_))
        ));
    }

    #[test]
    fn documents_are_reviewed_once_and_must_be_valid() {
        use DocumentKind::*;
        let state = applied();
        assert_eq!(
            Supplier::decide(&state, approve(MergedLicence)),
            Err(SupplierError::NoSuchDocument(MergedLicence))
        );
        assert_eq!(
            Supplier::decide(
                &state,
                C::SubmitDocument {
                    kind: MergedLicence,
                    file: file("f.pdf"),
                    expires_on: Some(5),
                    at: 5
                }
            ),
            Err(SupplierError::DocumentExpired)
        );
        let state = run(state, vec![submit(MergedLicence)]);
        assert_eq!(
            Supplier::decide(
                &state,
                C::RejectDocument {
                    kind: MergedLicence,
                    agent: AGENT,
                    reason: "".into(),
                    at: 2
                }
            ),
            Err(SupplierError::Missing("a reason"))
        );
        assert_eq!(
            Supplier::decide(
                &state,
                C::ApproveDocument {
                    kind: MergedLicence,
                    agent: AGENT,
                    at: 20_000
                }
            ),
            Err(SupplierError::DocumentExpired)
        );
        let state = run(
            state,
            vec![C::RejectDocument {
                kind: MergedLicence,
                agent: AGENT,
                reason: "blurred scan".into(),
                at: 2,
            }],
        );
        assert_eq!(
            Supplier::decide(&state, approve(MergedLicence)),
            Err(SupplierError::AlreadyReviewed(MergedLicence))
        );
        let resubmitted = run(state, vec![submit(MergedLicence)]);
        assert!(
            Supplier::decide(&resubmitted, approve(MergedLicence)).is_ok(),
            "a new submission is reviewed anew"
        );
    }

    #[test]
    fn applications_need_their_facts() {
        let base = || C::Apply {
            id: SupplierId(Uuid::from_u128(1)),
            company_name: "X".into(),
            credit_code: CreditCode::parse("91350100M000100Y43").unwrap(),
            categories: vec![CategoryId(Uuid::from_u128(2))],
            contact: Contact {
                name: "A".into(),
                phone: "1".into(),
                email: "".into(),
            },
            deposit_required: DEFAULT_DEPOSIT,
            at: 0,
        };
        let empty = SupplierState::default();
        let mut c = base();
        if let C::Apply { company_name, .. } = &mut c {
            company_name.clear()
        }
        assert_eq!(
            Supplier::decide(&empty, c),
            Err(SupplierError::Missing("the company name"))
        );
        let mut c = base();
        if let C::Apply { categories, .. } = &mut c {
            categories.clear()
        }
        assert_eq!(
            Supplier::decide(&empty, c),
            Err(SupplierError::NoCategories)
        );
        let mut c = base();
        if let C::Apply { contact, .. } = &mut c {
            contact.phone.clear()
        }
        assert_eq!(
            Supplier::decide(&empty, c),
            Err(SupplierError::Missing("a contact with a phone or an email"))
        );
        let mut c = base();
        if let C::Apply {
            deposit_required, ..
        } = &mut c
        {
            *deposit_required = Money::cny(0)
        }
        assert_eq!(Supplier::decide(&empty, c), Err(SupplierError::BadAmount));
        assert_eq!(
            Supplier::decide(&applied(), base()),
            Err(SupplierError::AlreadyApplied)
        );
        assert_eq!(
            Supplier::decide(&empty, pay(1)),
            Err(SupplierError::NotFound)
        );
    }

    #[test]
    fn deposits_are_positive_and_in_the_right_currency() {
        let state = applied();
        assert_eq!(
            Supplier::decide(&state, pay(0)),
            Err(SupplierError::BadAmount)
        );
        assert_eq!(
            Supplier::decide(
                &state,
                C::PayDeposit {
                    amount: Money::new(5, crate::Currency::USD),
                    payment_ref: "p".into(),
                    at: 1
                }
            ),
            Err(SupplierError::BadAmount)
        );
        assert_eq!(
            Supplier::decide(
                &state,
                C::PayDeposit {
                    amount: Money::cny(5),
                    payment_ref: "".into(),
                    at: 1
                }
            ),
            Err(SupplierError::Missing("the payment reference"))
        );
    }

    #[test]
    fn a_third_warning_suspends_and_reinstatement_restores() {
        let warn = || C::Warn {
            agent: AGENT,
            reason: "late shipment".into(),
            at: 5,
        };
        let state = run(active(), vec![warn(), warn()]);
        assert_eq!(state.status, SupplierStatus::Active);
        let events = Supplier::decide(&state, warn()).unwrap();
        assert!(matches!(
            events.last(),
            Some(SupplierEvent::SupplierSuspended(_))
        ));
        let state = events.iter().fold(state, Supplier::evolve);
        assert!(!state.may_sell());
        assert_eq!(
            Supplier::decide(&state, warn()),
            Err(SupplierError::WrongStatus(SupplierStatus::Suspended))
        );
        assert_eq!(
            Supplier::decide(
                &state,
                C::Suspend {
                    agent: AGENT,
                    reason: "x".into(),
                    at: 6
                }
            ),
            Err(SupplierError::WrongStatus(SupplierStatus::Suspended))
        );
        let state = run(
            state,
            vec![C::Reinstate {
                agent: AGENT,
                at: 7,
            }],
        );
        assert!(state.may_sell());
        assert_eq!(
            Supplier::decide(
                &state,
                C::Reinstate {
                    agent: AGENT,
                    at: 8
                }
            ),
            Err(SupplierError::WrongStatus(SupplierStatus::Active))
        );
    }

    #[test]
    fn penalties_come_out_of_the_deposit_and_cost_the_guarantee() {
        let penalty = |fen, record_shortfall| C::DeductPenalty {
            amount: Money::cny(fen),
            reason: "dispute lost".into(),
            dispute: None,
            record_shortfall,
            at: 9,
        };
        let state = run(active(), vec![penalty(500_000, false)]);
        assert_eq!(state.deposit_held, Some(Money::cny(1_500_000)));
        assert!(!state.guaranteed(), "the deposit is no longer full");
        assert_eq!(
            Supplier::decide(&state, penalty(9_000_000, false)),
            Err(SupplierError::PenaltyExceedsDeposit {
                asked: Money::cny(9_000_000),
                held: Money::cny(1_500_000)
            }),
            "an agent's penalty beyond the deposit is refused, not silently cut"
        );
        let events = Supplier::decide(&state, penalty(9_000_000, true)).unwrap();
        assert!(
            matches!(&events[0], SupplierEvent::PenaltyDeducted(p) if p.amount == Money::cny(1_500_000) && p.held == Money::cny(0) && p.shortfall == Some(Money::cny(7_500_000))),
            "a ruling's penalty takes what there is and records the rest: {events:?}"
        );
        let state = run(
            state,
            vec![C::PayDeposit {
                amount: Money::cny(500_000),
                payment_ref: "pay-2".into(),
                at: 10,
            }],
        );
        assert!(state.guaranteed(), "topped up");
        assert_eq!(
            Supplier::decide(&state, penalty(0, false)),
            Err(SupplierError::BadAmount)
        );
    }

    #[test]
    fn a_deposit_payment_counts_once_per_reference() {
        let state = run(applied(), vec![pay(1_000_000)]);
        assert_eq!(
            Supplier::decide(&state, pay(1_000_000)),
            Ok(vec![]),
            "the same payment reported again"
        );
        assert_eq!(
            Supplier::decide(&state, pay(5)),
            Err(SupplierError::PaymentRefReused)
        );
        assert_eq!(state.deposit_held, Some(Money::cny(1_000_000)));
        assert_eq!(
            state.check_deposit_payment(Money::cny(1), "pay-1"),
            Err(SupplierError::PaymentRefReused)
        );
        assert_eq!(
            state.check_deposit_payment(Money::cny(1_000_001), "pay-2"),
            Err(SupplierError::MoreThanDue {
                asked: Money::cny(1_000_001),
                due: Money::cny(1_000_000)
            })
        );
        assert_eq!(
            state.check_deposit_payment(Money::cny(1_000_000), "pay-2"),
            Ok(())
        );
        let full = run(active(), vec![]);
        assert_eq!(
            full.check_deposit_payment(Money::cny(1), "pay-9"),
            Err(SupplierError::NothingDue)
        );
    }

    #[test]
    fn an_expired_licence_stops_the_supplier_selling_until_a_new_one_is_approved() {
        use DocumentKind::*;
        let state = active();
        assert!(state.may_sell_at(9_999));
        assert!(
            !state.may_sell_at(10_000),
            "expired on the day, timer or not"
        );
        let early = Supplier::decide(&state, C::ExpireDocuments { at: 9_999 }).unwrap();
        assert!(early.is_empty());
        let events = Supplier::decide(&state, C::ExpireDocuments { at: 10_000 }).unwrap();
        assert!(matches!(
            &events[..],
            [SupplierEvent::DocumentExpired(e), SupplierEvent::SupplierLapsed(_)] if e.kind == MergedLicence
        ));
        let lapsed = events.iter().fold(state, Supplier::evolve);
        assert_eq!(lapsed.status, SupplierStatus::Lapsed);
        assert!(!lapsed.verified());
        assert!(!lapsed.may_sell());
        assert_eq!(
            Supplier::decide(&lapsed, C::ExpireDocuments { at: 20_000 }),
            Ok(vec![]),
            "expired once"
        );
        let renewed = run(
            lapsed,
            vec![
                C::SubmitDocument {
                    kind: MergedLicence,
                    file: file("licence-2027.pdf"),
                    expires_on: None,
                    at: 10_001,
                },
                C::ApproveDocument {
                    kind: MergedLicence,
                    agent: AGENT,
                    at: 10_002,
                },
            ],
        );
        assert_eq!(renewed.status, SupplierStatus::Active, "live again");
        assert!(renewed.verified());
    }

    #[test]
    fn a_suspended_supplier_is_reinstated_only_with_valid_documents() {
        let suspended = run(
            active(),
            vec![C::Suspend {
                agent: AGENT,
                reason: "fake certificates".into(),
                at: 5,
            }],
        );
        assert_eq!(
            Supplier::decide(
                &suspended,
                C::Reinstate {
                    agent: AGENT,
                    at: 10_000
                }
            ),
            Err(SupplierError::NotVerified)
        );
        assert!(Supplier::decide(
            &suspended,
            C::Reinstate {
                agent: AGENT,
                at: 6
            }
        )
        .is_ok());
    }

    #[test]
    fn every_third_low_rating_is_a_warning_and_each_order_counts_once() {
        let low = |n: u128| C::RecordLowRating {
            order: OrderId(Uuid::from_u128(n)),
            at: 5,
        };
        let state = run(active(), vec![low(1), low(2)]);
        assert_eq!(state.warnings, 0);
        assert_eq!(
            Supplier::decide(&state, low(2)),
            Ok(vec![]),
            "one order counts once"
        );
        let events = Supplier::decide(&state, low(3)).unwrap();
        assert!(matches!(events.last(), Some(SupplierEvent::SupplierWarned(w)) if w.warnings == 1));
        let state = events.iter().fold(state, Supplier::evolve);
        assert_eq!(state.warnings, 1);
        assert_eq!(
            Supplier::decide(&SupplierState::default(), low(9)),
            Err(SupplierError::NotFound)
        );
    }

    #[test]
    fn levels_rise_with_volume_and_are_capped_by_poor_ratings() {
        assert_eq!(supplier_level(0, None), 1);
        assert_eq!(supplier_level(10, Some(45)), 2);
        assert_eq!(supplier_level(60, None), 3);
        assert_eq!(supplier_level(500, Some(48)), 4);
        assert_eq!(supplier_level(5000, Some(40)), 5);
        assert_eq!(supplier_level(5000, Some(39)), 3);
        assert_eq!(supplier_level(5000, Some(29)), 1);
    }

    #[test]
    fn exit_waits_for_open_orders_then_returns_the_deposit() {
        let exit = |open| C::Exit {
            by: AGENT,
            reason: "closing the business".into(),
            open_orders: open,
            at: 10,
        };
        let state = active();
        assert_eq!(
            Supplier::decide(&state, exit(2)),
            Err(SupplierError::OpenOrders(2))
        );
        let events = Supplier::decide(&state, exit(0)).unwrap();
        assert!(
            matches!(&events[0], SupplierEvent::SupplierExited(e) if e.deposit_returned == DEFAULT_DEPOSIT)
        );
        let state = events.iter().fold(state, Supplier::evolve);
        assert_eq!(
            Supplier::decide(&state, exit(0)),
            Err(SupplierError::Exited)
        );
        assert_eq!(Supplier::decide(&state, pay(1)), Err(SupplierError::Exited));
    }
}
