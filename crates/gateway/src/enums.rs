//! Every status, kind and action of the API as a GraphQL enum, each with its table from the
//! domain's own type: the names here are the public contract, so renaming a Rust variant in the
//! domain cannot change them (the match below stops compiling instead).

use async_graphql::Enum;
use zhuchao_domain as domain;

/// Who a user is on the marketplace.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Agent,
    Buyer,
    Supplier,
}

impl From<&domain::account::Role> for Role {
    fn from(r: &domain::account::Role) -> Self {
        use domain::account::Role as D;
        match r {
            D::Admin => Role::Admin,
            D::Agent => Role::Agent,
            D::Buyer { .. } => Role::Buyer,
            D::Supplier { .. } => Role::Supplier,
        }
    }
}

/// The roles an admin may give a staff account.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRole {
    Agent,
    Admin,
}

/// ISO 4217 currency codes the marketplace trades in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurrencyCode {
    Cny,
    Usd,
    Eur,
}

impl From<domain::Currency> for CurrencyCode {
    fn from(c: domain::Currency) -> Self {
        use domain::Currency as D;
        match c {
            D::CNY => CurrencyCode::Cny,
            D::USD => CurrencyCode::Usd,
            D::EUR => CurrencyCode::Eur,
        }
    }
}

impl From<CurrencyCode> for domain::Currency {
    fn from(c: CurrencyCode) -> Self {
        match c {
            CurrencyCode::Cny => domain::Currency::CNY,
            CurrencyCode::Usd => domain::Currency::USD,
            CurrencyCode::Eur => domain::Currency::EUR,
        }
    }
}

/// A language the catalogue's words are translated into.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// Simplified Chinese (简体中文).
    Zh,
}

impl From<Language> for domain::category::Language {
    fn from(l: Language) -> Self {
        match l {
            Language::Zh => Self::Zh,
        }
    }
}

impl From<domain::category::Language> for Language {
    fn from(l: domain::category::Language) -> Self {
        match l {
            domain::category::Language::Zh => Self::Zh,
        }
    }
}

/// How a category attribute's values are given.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeKind {
    /// One of a list of values (`M8`, `A2-70`).
    Enum,
    /// A number in a unit (`30 mm`, `5/16 in`).
    Number,
    /// Free text.
    Text,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProductStatus {
    Draft,
    Published,
    Unpublished,
    /// Taken off sale by an agent.
    Delisted,
}

impl From<domain::product::ProductStatus> for ProductStatus {
    fn from(s: domain::product::ProductStatus) -> Self {
        use domain::product::ProductStatus as D;
        match s {
            D::Draft => ProductStatus::Draft,
            D::Published => ProductStatus::Published,
            D::Unpublished => ProductStatus::Unpublished,
            D::Delisted => ProductStatus::Delisted,
        }
    }
}

/// How search results are ordered.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProductSort {
    #[default]
    Relevance,
    /// Unit price at the wanted quantity (or at the MOQ), cheapest first.
    Price,
    /// Best-rated supplier first.
    Rating,
    /// Shortest lead time first.
    LeadTime,
}

impl From<ProductSort> for zhuchao_search::Sort {
    fn from(s: ProductSort) -> Self {
        match s {
            ProductSort::Relevance => zhuchao_search::Sort::Relevance,
            ProductSort::Price => zhuchao_search::Sort::Price,
            ProductSort::Rating => zhuchao_search::Sort::Rating,
            ProductSort::LeadTime => zhuchao_search::Sort::LeadTime,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupplierStatus {
    /// Applied; documents and deposit not yet complete.
    Applied,
    /// Documents submitted, waiting for an agent.
    UnderReview,
    Active,
    /// A mandatory document expired: may not sell until a new one is approved.
    Lapsed,
    Suspended,
    /// Left the platform (清退).
    Exited,
}

impl From<domain::supplier::SupplierStatus> for SupplierStatus {
    fn from(s: domain::supplier::SupplierStatus) -> Self {
        use domain::supplier::SupplierStatus as D;
        match s {
            // A supplier that never applied is not found, never shown.
            D::None | D::Applied => SupplierStatus::Applied,
            D::UnderReview => SupplierStatus::UnderReview,
            D::Active => SupplierStatus::Active,
            D::Lapsed => SupplierStatus::Lapsed,
            D::Suspended => SupplierStatus::Suspended,
            D::Exited => SupplierStatus::Exited,
        }
    }
}

/// A supplier's business document.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
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

impl From<domain::supplier::DocumentKind> for DocumentKind {
    fn from(k: domain::supplier::DocumentKind) -> Self {
        use domain::supplier::DocumentKind as D;
        match k {
            D::BusinessLicence => DocumentKind::BusinessLicence,
            D::TaxRegistration => DocumentKind::TaxRegistration,
            D::OrganisationCode => DocumentKind::OrganisationCode,
            D::MergedLicence => DocumentKind::MergedLicence,
            D::TrademarkRegistration => DocumentKind::TrademarkRegistration,
            D::BrandAuthorisation => DocumentKind::BrandAuthorisation,
        }
    }
}

impl From<DocumentKind> for domain::supplier::DocumentKind {
    fn from(k: DocumentKind) -> Self {
        use domain::supplier::DocumentKind as D;
        match k {
            DocumentKind::BusinessLicence => D::BusinessLicence,
            DocumentKind::TaxRegistration => D::TaxRegistration,
            DocumentKind::OrganisationCode => D::OrganisationCode,
            DocumentKind::MergedLicence => D::MergedLicence,
            DocumentKind::TrademarkRegistration => D::TrademarkRegistration,
            DocumentKind::BrandAuthorisation => D::BrandAuthorisation,
        }
    }
}

/// Where an agent's review of a document stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentReview {
    Pending,
    Approved,
    Rejected,
    /// Approved once, past its expiry date now.
    Expired,
}

impl From<&domain::supplier::Review> for DocumentReview {
    fn from(r: &domain::supplier::Review) -> Self {
        use domain::supplier::Review as D;
        match r {
            D::Pending => DocumentReview::Pending,
            D::Approved => DocumentReview::Approved,
            D::Rejected { .. } => DocumentReview::Rejected,
            D::Expired => DocumentReview::Expired,
        }
    }
}

/// An entry of a credit code's public record.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreditEntryKind {
    Registered,
    Warning,
    Penalty,
    DisputeLost,
    Exited,
}

/// What an agent does to a supplier's standing.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupplierMeasure {
    Warn,
    Suspend,
    Reinstate,
    /// Take a penalty from the deposit.
    Penalise,
    /// Remove from the platform (清退); refused while orders are open.
    Exit,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RfqStatus {
    Open,
    /// At least one quote arrived.
    Quoted,
    /// A quote was accepted; its order follows.
    Awarded,
    Expired,
    Cancelled,
}

impl From<domain::rfq::RfqStatus> for RfqStatus {
    fn from(s: domain::rfq::RfqStatus) -> Self {
        use domain::rfq::RfqStatus as D;
        match s {
            // An RFQ that was never created is not found, never shown.
            D::None | D::Open => RfqStatus::Open,
            D::Quoted => RfqStatus::Quoted,
            D::Awarded => RfqStatus::Awarded,
            D::Expired => RfqStatus::Expired,
            D::Cancelled => RfqStatus::Cancelled,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteStatus {
    Live,
    Expired,
    Accepted,
    /// The buyer chose another quote or ended the RFQ.
    NotSelected,
}

impl From<domain::rfq::QuoteStatus> for QuoteStatus {
    fn from(s: domain::rfq::QuoteStatus) -> Self {
        use domain::rfq::QuoteStatus as D;
        match s {
            D::Live => QuoteStatus::Live,
            D::Expired => QuoteStatus::Expired,
            D::Accepted => QuoteStatus::Accepted,
            D::NotSelected => QuoteStatus::NotSelected,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Placed, awaiting payment; its stock is reserved.
    Placed,
    /// Paid into escrow.
    Paid,
    Shipped,
    Delivered,
    /// The buyer confirmed receipt (or the deadline passed); escrow releases.
    Received,
    Completed,
    Cancelled,
    ReturnRequested,
    ReturnApproved,
    /// The goods are on their way back.
    Returned,
    ReturnReceived,
    Refunded,
    Disputed,
    /// A dispute was ruled.
    Resolved,
    /// Its placing stopped halfway; it was never placed.
    Abandoned,
}

impl From<domain::order::OrderStatus> for OrderStatus {
    fn from(s: domain::order::OrderStatus) -> Self {
        use domain::order::OrderStatus as D;
        match s {
            // An order that was never placed is not found, never shown.
            D::None | D::Placed => OrderStatus::Placed,
            D::Paid => OrderStatus::Paid,
            D::Shipped => OrderStatus::Shipped,
            D::Delivered => OrderStatus::Delivered,
            D::Received => OrderStatus::Received,
            D::Completed => OrderStatus::Completed,
            D::Cancelled => OrderStatus::Cancelled,
            D::ReturnRequested => OrderStatus::ReturnRequested,
            D::ReturnApproved => OrderStatus::ReturnApproved,
            D::Returned => OrderStatus::Returned,
            D::ReturnReceived => OrderStatus::ReturnReceived,
            D::Refunded => OrderStatus::Refunded,
            D::Disputed => OrderStatus::Disputed,
            D::Resolved => OrderStatus::Resolved,
            D::Abandoned => OrderStatus::Abandoned,
        }
    }
}

/// A side of an order or a dispute.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Buyer,
    Supplier,
    Agent,
    /// The marketplace acting on a rule (a payment window, a deadline).
    Platform,
}

impl From<domain::order::Party> for Party {
    fn from(p: domain::order::Party) -> Self {
        use domain::order::Party as D;
        match p {
            D::Buyer => Party::Buyer,
            D::Supplier => Party::Supplier,
            D::Agent => Party::Agent,
            D::Platform => Party::Platform,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeStatus {
    Open,
    /// An agent took it.
    UnderReview,
    Ruled,
    Withdrawn,
    /// Never opened: its order was marked but the dispute was not recorded.
    Abandoned,
}

impl From<domain::dispute::DisputeStatus> for DisputeStatus {
    fn from(s: domain::dispute::DisputeStatus) -> Self {
        use domain::dispute::DisputeStatus as D;
        match s {
            // A dispute that was never opened is not found, never shown.
            D::None | D::Open => DisputeStatus::Open,
            D::UnderReview => DisputeStatus::UnderReview,
            D::Ruled => DisputeStatus::Ruled,
            D::Withdrawn => DisputeStatus::Withdrawn,
            D::Abandoned => DisputeStatus::Abandoned,
        }
    }
}

/// Why an order is disputed.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeReason {
    NotShipped,
    NotAsDescribed,
    Damaged,
    WrongQuantity,
    NotPaid,
    Other,
}

impl From<DisputeReason> for domain::dispute::DisputeReason {
    fn from(r: DisputeReason) -> Self {
        use domain::dispute::DisputeReason as D;
        match r {
            DisputeReason::NotShipped => D::NotShipped,
            DisputeReason::NotAsDescribed => D::NotAsDescribed,
            DisputeReason::Damaged => D::Damaged,
            DisputeReason::WrongQuantity => D::WrongQuantity,
            DisputeReason::NotPaid => D::NotPaid,
            DisputeReason::Other => D::Other,
        }
    }
}

impl From<domain::dispute::DisputeReason> for DisputeReason {
    fn from(r: domain::dispute::DisputeReason) -> Self {
        use domain::dispute::DisputeReason as D;
        match r {
            D::NotShipped => DisputeReason::NotShipped,
            D::NotAsDescribed => DisputeReason::NotAsDescribed,
            D::Damaged => DisputeReason::Damaged,
            D::WrongQuantity => DisputeReason::WrongQuantity,
            D::NotPaid => DisputeReason::NotPaid,
            D::Other => DisputeReason::Other,
        }
    }
}

/// What the caller may do next with an order (each is a mutation of the same name).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderAction {
    /// `payOrder`
    Pay,
    /// `cancelOrder`
    Cancel,
    /// `shipOrder`
    Ship,
    /// `markDelivered`
    MarkDelivered,
    /// `confirmReceipt`
    ConfirmReceipt,
    /// `requestReturn`
    RequestReturn,
    /// `answerReturn(approve: true)`
    ApproveReturn,
    /// `answerReturn(approve: false)`
    RejectReturn,
    /// `shipReturn`
    ShipReturn,
    /// `confirmReturnReceived`
    ConfirmReturnReceived,
    /// `openDispute`
    OpenDispute,
    /// `rateOrder`
    Rate,
}

impl From<domain::actions::OrderAction> for OrderAction {
    fn from(a: domain::actions::OrderAction) -> Self {
        use domain::actions::OrderAction as D;
        match a {
            D::Pay => OrderAction::Pay,
            D::Cancel => OrderAction::Cancel,
            D::Ship => OrderAction::Ship,
            D::MarkDelivered => OrderAction::MarkDelivered,
            D::ConfirmReceipt => OrderAction::ConfirmReceipt,
            D::RequestReturn => OrderAction::RequestReturn,
            D::ApproveReturn => OrderAction::ApproveReturn,
            D::RejectReturn => OrderAction::RejectReturn,
            D::ShipReturn => OrderAction::ShipReturn,
            D::ConfirmReturnReceived => OrderAction::ConfirmReturnReceived,
            D::OpenDispute => OrderAction::OpenDispute,
            D::Rate => OrderAction::Rate,
        }
    }
}

/// What the caller may do next with an RFQ.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RfqAction {
    /// `cancelRfq`
    Cancel,
    /// `submitQuote`
    SubmitQuote,
}

impl From<domain::actions::RfqAction> for RfqAction {
    fn from(a: domain::actions::RfqAction) -> Self {
        use domain::actions::RfqAction as D;
        match a {
            D::Cancel => RfqAction::Cancel,
            D::SubmitQuote => RfqAction::SubmitQuote,
        }
    }
}

/// What the caller may do next with a quote.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteAction {
    /// `acceptQuote`
    Accept,
    /// `counterOffer`
    CounterOffer,
    /// `reviseQuote`
    Revise,
}

impl From<domain::actions::QuoteAction> for QuoteAction {
    fn from(a: domain::actions::QuoteAction) -> Self {
        use domain::actions::QuoteAction as D;
        match a {
            D::Accept => QuoteAction::Accept,
            D::CounterOffer => QuoteAction::CounterOffer,
            D::Revise => QuoteAction::Revise,
        }
    }
}

/// What the caller may do next with a dispute.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeAction {
    /// `addEvidence`
    AddEvidence,
    /// `withdrawDispute`
    Withdraw,
    /// `assignDispute`
    Assign,
    /// `ruleDispute`
    Rule,
}

impl From<domain::actions::DisputeAction> for DisputeAction {
    fn from(a: domain::actions::DisputeAction) -> Self {
        use domain::actions::DisputeAction as D;
        match a {
            D::AddEvidence => DisputeAction::AddEvidence,
            D::Withdraw => DisputeAction::Withdraw,
            D::Assign => DisputeAction::Assign,
            D::Rule => DisputeAction::Rule,
        }
    }
}

/// What the caller may do next with a supplier.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupplierAction {
    /// `submitDocument`
    SubmitDocument,
    /// `payDeposit`
    PayDeposit,
    /// `reviewDocument`
    ReviewDocument,
    /// `actOnSupplier(measure: WARN)`
    Warn,
    /// `actOnSupplier(measure: SUSPEND)`
    Suspend,
    /// `actOnSupplier(measure: REINSTATE)`
    Reinstate,
    /// `actOnSupplier(measure: PENALISE)`
    Penalise,
    /// `actOnSupplier(measure: EXIT)`
    Exit,
}

impl From<domain::actions::SupplierAction> for SupplierAction {
    fn from(a: domain::actions::SupplierAction) -> Self {
        use domain::actions::SupplierAction as D;
        match a {
            D::SubmitDocument => SupplierAction::SubmitDocument,
            D::PayDeposit => SupplierAction::PayDeposit,
            D::ReviewDocument => SupplierAction::ReviewDocument,
            D::Warn => SupplierAction::Warn,
            D::Suspend => SupplierAction::Suspend,
            D::Reinstate => SupplierAction::Reinstate,
            D::Penalise => SupplierAction::Penalise,
            D::Exit => SupplierAction::Exit,
        }
    }
}
