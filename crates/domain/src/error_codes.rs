//! Every public error code, and the table that gives each refusal of a rule its code: the API
//! answers these (`userErrors { code }`, `errors[].extensions.code`), so a code changes only
//! here, on purpose, never by renaming a Rust variant.

/// Declares the codes once: the enum, its wire names and what each means.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $name:literal, )+) => {
        /// A refusal's stable, machine-readable code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl ErrorCode {
            /// Every code, in the order of this file.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code on the wire: `BELOW_MOQ`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)+
                }
            }

            /// What the code means, for the API's documentation.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => concat!($($doc),+).trim_ascii(),)+
                }
            }

            /// The code named `name` on the wire.
            pub fn from_name(name: &str) -> Option<ErrorCode> {
                Self::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }

        impl std::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

error_codes! {
    // The request and the caller.
    /// The request needs a signed-in caller.
    Unauthenticated = "UNAUTHENTICATED",
    /// The caller's role may not do this.
    Forbidden = "FORBIDDEN",
    /// No such thing, or nothing the caller may see (the two answer alike).
    NotFound = "NOT_FOUND",
    /// The request is malformed: not JSON, an unknown parameter, a bad cursor or argument.
    BadRequest = "BAD_REQUEST",
    /// An input value is not what the field takes (the `field` says which).
    BadInput = "BAD_INPUT",
    /// A text is longer than its field takes.
    TooLong = "TOO_LONG",
    /// A list has more entries than its field takes.
    TooMany = "TOO_MANY",
    /// A text holds a control, invisible or direction-changing character.
    BadCharacter = "BAD_CHARACTER",
    /// The query has too many tokens or fragments.
    QueryTooLarge = "QUERY_TOO_LARGE",
    /// The query asks for too much: fields, depth, list sizes, introspection.
    QueryTooComplex = "QUERY_TOO_COMPLEX",
    /// A request may carry one sign-in or password change.
    OnePasswordPerRequest = "ONE_PASSWORD_PER_REQUEST",
    /// GraphQL is served over POST only.
    MethodNotAllowed = "METHOD_NOT_ALLOWED",
    /// Too many password attempts for the account or from the address: wait `retryAfterSeconds`.
    TooManyAttempts = "TOO_MANY_ATTEMPTS",
    /// The read side has not reached the position asked for yet; try again.
    NotCaughtUp = "NOT_CAUGHT_UP",
    /// What was decided on kept changing; try again.
    Conflict = "CONFLICT",
    /// A service Zhuchao depends on does not answer; try again later.
    Unavailable = "UNAVAILABLE",
    /// Something failed on Zhuchao's side; it has been logged.
    Internal = "INTERNAL",
    /// An idempotency key is 1 to 200 characters.
    BadIdempotencyKey = "BAD_IDEMPOTENCY_KEY",
    /// A file reference does not name a file uploaded here that the caller may use.
    NotAFile = "NOT_A_FILE",

    // Accounts.
    /// Wrong email or password.
    BadCredentials = "BAD_CREDENTIALS",
    /// The new password is too weak, too short, too long or holds control characters.
    WeakPassword = "WEAK_PASSWORD",
    /// An account with this email exists (told to admins only).
    EmailTaken = "EMAIL_TAKEN",
    /// Not an email address.
    BadEmail = "BAD_EMAIL",
    /// A name is required.
    NameMissing = "NAME_MISSING",

    // Any aggregate.
    /// It exists already (an id given twice).
    AlreadyExists = "ALREADY_EXISTS",
    /// Something required is missing (the message says what).
    Missing = "MISSING",
    /// Not possible in the object's present status.
    WrongStatus = "WRONG_STATUS",
    /// Amounts are out of range or in different currencies.
    BadAmount = "BAD_AMOUNT",
    /// Amounts in different currencies.
    CurrencyMismatch = "CURRENCY_MISMATCH",
    /// An amount is too large.
    Overflow = "OVERFLOW",
    /// A quantity must be at least 1.
    ZeroQuantity = "ZERO_QUANTITY",
    /// The state is already what was asked.
    AlreadyInState = "ALREADY_IN_STATE",
    /// A reason is required.
    ReasonMissing = "REASON_MISSING",

    // Categories and attributes.
    /// No such category.
    NoSuchCategory = "NO_SUCH_CATEGORY",
    /// An attribute key is not lower-case letters, digits and underscores.
    BadKey = "BAD_KEY",
    /// An attribute key appears twice.
    DuplicateKey = "DUPLICATE_KEY",
    /// A list attribute needs at least one value, each once.
    BadEnum = "BAD_ENUM",
    /// A number attribute's minimum is above its maximum.
    BadRange = "BAD_RANGE",
    /// A synonym group is malformed (the message says how).
    BadSynonyms = "BAD_SYNONYMS",
    /// A category's translation names what the category does not have, or a word is empty or
    /// too long (the message says which).
    BadTranslation = "BAD_TRANSLATION",
    /// A required attribute has no value.
    AttributeMissing = "ATTRIBUTE_MISSING",
    /// The category has no such attribute.
    AttributeUnknown = "ATTRIBUTE_UNKNOWN",
    /// The value is not one of the attribute's values.
    AttributeNotAllowed = "ATTRIBUTE_NOT_ALLOWED",
    /// The value is not a number in a unit the attribute knows.
    AttributeBadNumber = "ATTRIBUTE_BAD_NUMBER",
    /// The number is outside the attribute's range.
    AttributeOutOfRange = "ATTRIBUTE_OUT_OF_RANGE",
    /// Units of different quantities (a length and a mass).
    IncompatibleUnit = "INCOMPATIBLE_UNIT",
    /// Not a number with a unit.
    BadMeasure = "BAD_MEASURE",
    /// No such unit.
    UnknownUnit = "UNKNOWN_UNIT",

    // Suppliers, their documents, deposit and credit record.
    /// The unified social credit code is malformed or its check character is wrong.
    BadCreditCode = "BAD_CREDIT_CODE",
    /// The credit code is held by a supplier on the platform.
    CodeInUse = "CODE_IN_USE",
    /// A credit code is registered through a claim.
    UseClaim = "USE_CLAIM",
    /// The supplier has applied already.
    AlreadyApplied = "ALREADY_APPLIED",
    /// A supplier serves at least one category.
    NoCategories = "NO_CATEGORIES",
    /// The supplier did not register for this category.
    CategoryNotServed = "CATEGORY_NOT_SERVED",
    /// The document's expiry date has passed.
    DocumentExpired = "DOCUMENT_EXPIRED",
    /// The supplier has not submitted such a document.
    NoSuchDocument = "NO_SUCH_DOCUMENT",
    /// The document was reviewed already.
    AlreadyReviewed = "ALREADY_REVIEWED",
    /// The supplier has exited the platform.
    Exited = "EXITED",
    /// The supplier still has open orders.
    OpenOrders = "OPEN_ORDERS",
    /// This deposit payment reference was counted already.
    PaymentRefReused = "PAYMENT_REF_REUSED",
    /// The deposit is held in full already.
    NothingDue = "NOTHING_DUE",
    /// More than is still due for the deposit.
    MoreThanDue = "MORE_THAN_DUE",
    /// The penalty is more than the deposit holds.
    PenaltyExceedsDeposit = "PENALTY_EXCEEDS_DEPOSIT",
    /// The mandatory documents are not approved and valid.
    NotVerified = "NOT_VERIFIED",

    // Products and stock.
    /// Only the product's supplier may do this.
    NotOwner = "NOT_OWNER",
    /// The MOQ must be a whole number of packs.
    MoqNotWholePacks = "MOQ_NOT_WHOLE_PACKS",
    /// Price tiers are not in order or not priced right (the message says how).
    BadTiers = "BAD_TIERS",
    /// An agent took the product off sale.
    Delisted = "DELISTED",
    /// The supplier may not sell now (documents, deposit or standing).
    SupplierMayNotSell = "SUPPLIER_MAY_NOT_SELL",
    /// The supplier has exited.
    SupplierExited = "SUPPLIER_EXITED",
    /// Not enough stock.
    OutOfStock = "OUT_OF_STOCK",
    /// Stock cannot go below what open orders reserve.
    BelowReserved = "BELOW_RESERVED",
    /// A reservation is of at least one piece.
    ZeroReservation = "ZERO_RESERVATION",

    // Orders and payment.
    /// An order needs at least one item.
    EmptyCart = "EMPTY_CART",
    /// One order holds the products of one supplier.
    MixedSuppliers = "MIXED_SUPPLIERS",
    /// The order no longer comes to the total the buyer confirmed (a price changed since):
    /// nothing was placed.
    TotalChanged = "TOTAL_CHANGED",
    /// The product is not on sale.
    NotPublished = "NOT_PUBLISHED",
    /// Below the product's minimum order quantity.
    BelowMoq = "BELOW_MOQ",
    /// The quantity must be whole packs.
    NotWholePacks = "NOT_WHOLE_PACKS",
    /// Only the buyer's company may do this.
    NotBuyer = "NOT_BUYER",
    /// Only the order's supplier may do this.
    NotSupplier = "NOT_SUPPLIER",
    /// The return window has passed.
    ReturnWindowClosed = "RETURN_WINDOW_CLOSED",
    /// The order is held by another dispute.
    OtherDispute = "OTHER_DISPUTE",
    /// The order already has a dispute.
    AlreadyDisputed = "ALREADY_DISPUTED",
    /// Only the order's buyer or supplier may do this.
    NotAParty = "NOT_A_PARTY",
    /// The order is paid (by another payment).
    AlreadyPaid = "ALREADY_PAID",
    /// The order is not awaiting payment.
    NotPayable = "NOT_PAYABLE",
    /// The supplier stopped selling; the order cannot be paid.
    SupplierNotSelling = "SUPPLIER_NOT_SELLING",
    /// Another payment of this order is being made; try again in a moment.
    PaymentInProgress = "PAYMENT_IN_PROGRESS",
    /// A payment must be above zero with the provider's id and an idempotency key.
    Incomplete = "INCOMPLETE",
    /// The payment provider declined the charge.
    Declined = "DECLINED",
    /// The payment key was used for another charge.
    KeyReused = "KEY_REUSED",
    /// Only a completed order may be rated.
    NotRateable = "NOT_RATEABLE",
    /// The order is rated already.
    AlreadyRated = "ALREADY_RATED",
    /// Scores are 1 to 5.
    BadScore = "BAD_SCORE",
    /// The comment is too long.
    CommentTooLong = "COMMENT_TOO_LONG",

    // Escrow.
    /// The escrow is open already.
    AlreadyOpen = "ALREADY_OPEN",
    /// The escrow is funded already.
    AlreadyFunded = "ALREADY_FUNDED",
    /// The escrow is not funded.
    NotFunded = "NOT_FUNDED",
    /// The escrow holds nothing more.
    NothingLeft = "NOTHING_LEFT",
    /// The escrow holds nothing for this order.
    NothingHeld = "NOTHING_HELD",
    /// More than the escrow holds.
    MoreThanHeld = "MORE_THAN_HELD",
    /// The escrow is held by a dispute.
    Held = "HELD",
    /// The escrow is held by another dispute.
    NotHeldByThis = "NOT_HELD_BY_THIS",
    /// The split does not add up to what is held.
    SplitMismatch = "SPLIT_MISMATCH",
    /// The amount paid is not the order's total.
    WrongAmount = "WRONG_AMOUNT",

    // RFQs and quotes.
    /// Invite between one and the most allowed suppliers, each once.
    BadInvitations = "BAD_INVITATIONS",
    /// The deadline is too soon.
    DeadlineTooSoon = "DEADLINE_TOO_SOON",
    /// The deadline is too far away.
    DeadlineTooFar = "DEADLINE_TOO_FAR",
    /// No such supplier.
    UnknownSupplier = "UNKNOWN_SUPPLIER",
    /// An invited supplier may not sell now.
    InviteeMayNotSell = "INVITEE_MAY_NOT_SELL",
    /// A price must be above zero.
    BadPrice = "BAD_PRICE",
    /// The RFQ or dispute is closed.
    Closed = "CLOSED",
    /// The RFQ's deadline has passed.
    PastDeadline = "PAST_DEADLINE",
    /// The supplier is not invited (and the pool is not open to it).
    NotInvited = "NOT_INVITED",
    /// The supplier may not quote: not active, or not serving this category.
    SupplierNotEligible = "SUPPLIER_NOT_ELIGIBLE",
    /// The supplier has quoted already; revise the quote instead.
    AlreadyQuoted = "ALREADY_QUOTED",
    /// No such quote on this RFQ.
    NoSuchQuote = "NO_SUCH_QUOTE",
    /// Not the caller's quote.
    NotYourQuote = "NOT_YOUR_QUOTE",
    /// Not the caller's RFQ.
    NotYourRfq = "NOT_YOUR_RFQ",
    /// The quote is no longer live.
    QuoteNotLive = "QUOTE_NOT_LIVE",
    /// A quote's validity ends after now and within a year.
    BadValidity = "BAD_VALIDITY",

    // Disputes.
    /// A claim is above zero and at most what the escrow holds.
    BadClaim = "BAD_CLAIM",
    /// Only the dispute's opener may do this.
    NotOpener = "NOT_OPENER",
    /// The refund and release do not split what is held.
    BadSplit = "BAD_SPLIT",
    /// A penalty must be above zero.
    BadPenalty = "BAD_PENALTY",
}

/// Gives a rule's refusal its public code.
pub trait Coded {
    fn code(&self) -> ErrorCode;
}

impl Coded for crate::account::AccountError {
    fn code(&self) -> ErrorCode {
        use crate::account::AccountError;
        use ErrorCode as C;
        match self {
            AccountError::EmailTaken => C::EmailTaken,
            AccountError::NotFound => C::NotFound,
            AccountError::BadEmail(..) => C::BadEmail,
            AccountError::NameMissing => C::NameMissing,
        }
    }
}

impl Coded for crate::category::AttributeError {
    fn code(&self) -> ErrorCode {
        use crate::category::AttributeError;
        use ErrorCode as C;
        match self {
            AttributeError::Missing(..) => C::AttributeMissing,
            AttributeError::Unknown(..) => C::AttributeUnknown,
            AttributeError::NotAllowed { .. } => C::AttributeNotAllowed,
            AttributeError::BadNumber { .. } => C::AttributeBadNumber,
            AttributeError::OutOfRange { .. } => C::AttributeOutOfRange,
        }
    }
}

impl Coded for crate::category::CategoryError {
    fn code(&self) -> ErrorCode {
        use crate::category::CategoryError;
        use ErrorCode as C;
        match self {
            CategoryError::AlreadyExists => C::AlreadyExists,
            CategoryError::NotFound => C::NotFound,
            CategoryError::NameMissing => C::NameMissing,
            CategoryError::BadKey(..) => C::BadKey,
            CategoryError::DuplicateKey(..) => C::DuplicateKey,
            CategoryError::BadEnum(..) => C::BadEnum,
            CategoryError::BadRange(..) => C::BadRange,
            CategoryError::BadSynonyms(..) => C::BadSynonyms,
            CategoryError::BadTranslation(..) => C::BadTranslation,
        }
    }
}

impl Coded for crate::credit_code::CreditCodeError {
    fn code(&self) -> ErrorCode {
        use crate::credit_code::CreditCodeError;
        use ErrorCode as C;
        match self {
            CreditCodeError::Length(..) => C::BadCreditCode,
            CreditCodeError::Character { .. } => C::BadCreditCode,
            CreditCodeError::Check { .. } => C::BadCreditCode,
        }
    }
}

impl Coded for crate::credit_record::CreditRecordError {
    fn code(&self) -> ErrorCode {
        use crate::credit_record::CreditRecordError;
        use ErrorCode as C;
        match self {
            CreditRecordError::CodeInUse => C::CodeInUse,
            CreditRecordError::UseClaim => C::UseClaim,
        }
    }
}

impl Coded for crate::dispute::DisputeError {
    fn code(&self) -> ErrorCode {
        use crate::dispute::DisputeError;
        use ErrorCode as C;
        match self {
            DisputeError::AlreadyOpen => C::AlreadyOpen,
            DisputeError::NotFound => C::NotFound,
            DisputeError::Missing(..) => C::Missing,
            DisputeError::BadClaim(..) => C::BadClaim,
            DisputeError::NotAParty => C::NotAParty,
            DisputeError::Closed(..) => C::Closed,
            DisputeError::BadSplit(..) => C::BadSplit,
            DisputeError::BadPenalty => C::BadPenalty,
            DisputeError::PenaltyExceedsDeposit { .. } => C::PenaltyExceedsDeposit,
            DisputeError::NotOpener => C::NotOpener,
        }
    }
}

impl Coded for crate::escrow::EscrowError {
    fn code(&self) -> ErrorCode {
        use crate::escrow::EscrowError;
        use ErrorCode as C;
        match self {
            EscrowError::AlreadyOpen => C::AlreadyOpen,
            EscrowError::NotFound => C::NotFound,
            EscrowError::BadAmount => C::BadAmount,
            EscrowError::WrongAmount { .. } => C::WrongAmount,
            EscrowError::AlreadyFunded => C::AlreadyFunded,
            EscrowError::NotFunded => C::NotFunded,
            EscrowError::NothingLeft => C::NothingLeft,
            EscrowError::MoreThanHeld { .. } => C::MoreThanHeld,
            EscrowError::Held => C::Held,
            EscrowError::NotHeldByThis => C::NotHeldByThis,
            EscrowError::SplitMismatch(..) => C::SplitMismatch,
            EscrowError::Missing(..) => C::Missing,
        }
    }
}

impl Coded for crate::money::MoneyError {
    fn code(&self) -> ErrorCode {
        use crate::money::MoneyError;
        use ErrorCode as C;
        match self {
            MoneyError::CurrencyMismatch(..) => C::CurrencyMismatch,
            MoneyError::Overflow => C::Overflow,
        }
    }
}

impl Coded for crate::order::OrderError {
    fn code(&self) -> ErrorCode {
        use crate::order::OrderError;
        use ErrorCode as C;
        match self {
            OrderError::AlreadyExists => C::AlreadyExists,
            OrderError::NotFound => C::NotFound,
            OrderError::EmptyCart => C::EmptyCart,
            OrderError::MixedSuppliers => C::MixedSuppliers,
            OrderError::TotalChanged { .. } => C::TotalChanged,
            OrderError::NotPublished(..) => C::NotPublished,
            OrderError::SupplierMayNotSell => C::SupplierMayNotSell,
            OrderError::BelowMoq { .. } => C::BelowMoq,
            OrderError::NotWholePacks { .. } => C::NotWholePacks,
            OrderError::BadAmount => C::BadAmount,
            OrderError::Missing(..) => C::Missing,
            OrderError::WrongStatus(..) => C::WrongStatus,
            OrderError::NotBuyer => C::NotBuyer,
            OrderError::NotSupplier => C::NotSupplier,
            OrderError::ReturnWindowClosed => C::ReturnWindowClosed,
            OrderError::OtherDispute => C::OtherDispute,
            OrderError::AlreadyDisputed => C::AlreadyDisputed,
            OrderError::NotAParty => C::NotAParty,
        }
    }
}

impl Coded for crate::payment::PaymentError {
    fn code(&self) -> ErrorCode {
        use crate::payment::PaymentError;
        use ErrorCode as C;
        match self {
            PaymentError::AlreadyPaid => C::AlreadyPaid,
            PaymentError::Incomplete => C::Incomplete,
        }
    }
}

impl Coded for crate::product::ProductError {
    fn code(&self) -> ErrorCode {
        use crate::product::ProductError;
        use ErrorCode as C;
        match self {
            ProductError::AlreadyExists => C::AlreadyExists,
            ProductError::NotFound => C::NotFound,
            ProductError::NotOwner => C::NotOwner,
            ProductError::Attribute(e) => e.code(),
            ProductError::Missing(..) => C::Missing,
            ProductError::BadPartNumber => C::BadInput,
            ProductError::ZeroQuantity => C::ZeroQuantity,
            ProductError::MoqNotWholePacks { .. } => C::MoqNotWholePacks,
            ProductError::BadTiers(..) => C::BadTiers,
            ProductError::Delisted => C::Delisted,
            ProductError::AlreadyInState(..) => C::AlreadyInState,
            ProductError::SupplierMayNotSell => C::SupplierMayNotSell,
            ProductError::ReasonMissing => C::ReasonMissing,
            ProductError::SupplierExited => C::SupplierExited,
            ProductError::OutOfStock { .. } => C::OutOfStock,
            ProductError::BelowReserved { .. } => C::BelowReserved,
            ProductError::ZeroReservation => C::ZeroReservation,
        }
    }
}

impl Coded for crate::review::ReviewError {
    fn code(&self) -> ErrorCode {
        use crate::review::ReviewError;
        use ErrorCode as C;
        match self {
            ReviewError::AlreadyRated => C::AlreadyRated,
            ReviewError::NotRateable => C::NotRateable,
            ReviewError::BadScore => C::BadScore,
            ReviewError::CommentTooLong => C::CommentTooLong,
        }
    }
}

impl Coded for crate::rfq::RfqError {
    fn code(&self) -> ErrorCode {
        use crate::rfq::RfqError;
        use ErrorCode as C;
        match self {
            RfqError::AlreadyExists => C::AlreadyExists,
            RfqError::NotFound => C::NotFound,
            RfqError::Missing(..) => C::Missing,
            RfqError::BadInvitations => C::BadInvitations,
            RfqError::DeadlineTooSoon => C::DeadlineTooSoon,
            RfqError::DeadlineTooFar => C::DeadlineTooFar,
            RfqError::NoSuchCategory => C::NoSuchCategory,
            RfqError::UnknownSupplier(..) => C::UnknownSupplier,
            RfqError::InviteeMayNotSell(..) => C::InviteeMayNotSell,
            RfqError::Attribute(e) => e.code(),
            RfqError::ZeroQuantity => C::ZeroQuantity,
            RfqError::BadPrice => C::BadPrice,
            RfqError::Closed(..) => C::Closed,
            RfqError::PastDeadline => C::PastDeadline,
            RfqError::NotInvited => C::NotInvited,
            RfqError::SupplierNotEligible => C::SupplierNotEligible,
            RfqError::AlreadyQuoted => C::AlreadyQuoted,
            RfqError::NoSuchQuote => C::NoSuchQuote,
            RfqError::NotYourQuote => C::NotYourQuote,
            RfqError::NotYourRfq => C::NotYourRfq,
            RfqError::QuoteNotLive => C::QuoteNotLive,
            RfqError::BadValidity => C::BadValidity,
        }
    }
}

impl Coded for crate::supplier::SupplierError {
    fn code(&self) -> ErrorCode {
        use crate::supplier::SupplierError;
        use ErrorCode as C;
        match self {
            SupplierError::AlreadyApplied => C::AlreadyApplied,
            SupplierError::NotFound => C::NotFound,
            SupplierError::Missing(..) => C::Missing,
            SupplierError::NoCategories => C::NoCategories,
            SupplierError::DocumentExpired => C::DocumentExpired,
            SupplierError::NoSuchDocument(..) => C::NoSuchDocument,
            SupplierError::AlreadyReviewed(..) => C::AlreadyReviewed,
            SupplierError::BadAmount => C::BadAmount,
            SupplierError::Exited => C::Exited,
            SupplierError::WrongStatus(..) => C::WrongStatus,
            SupplierError::OpenOrders(..) => C::OpenOrders,
            SupplierError::PaymentRefReused => C::PaymentRefReused,
            SupplierError::NothingDue => C::NothingDue,
            SupplierError::MoreThanDue { .. } => C::MoreThanDue,
            SupplierError::PenaltyExceedsDeposit { .. } => C::PenaltyExceedsDeposit,
            SupplierError::NotVerified => C::NotVerified,
        }
    }
}

impl Coded for crate::units::UnitError {
    fn code(&self) -> ErrorCode {
        use crate::units::UnitError;
        use ErrorCode as C;
        match self {
            UnitError::Incompatible { .. } => C::IncompatibleUnit,
            UnitError::Unparseable(..) => C::BadMeasure,
            UnitError::UnknownUnit(..) => C::UnknownUnit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Coded, ErrorCode};
    use crate::order::{OrderError, OrderStatus};
    use crate::supplier::SupplierError;

    /// Every domain source file, to read the error enums off.
    const SOURCES: &[(&str, &str)] = &[
        ("account", include_str!("account.rs")),
        ("category", include_str!("category.rs")),
        ("credit_code", include_str!("credit_code.rs")),
        ("credit_record", include_str!("credit_record.rs")),
        ("dispute", include_str!("dispute.rs")),
        ("escrow", include_str!("escrow.rs")),
        ("money", include_str!("money.rs")),
        ("order", include_str!("order.rs")),
        ("payment", include_str!("payment.rs")),
        ("product", include_str!("product.rs")),
        ("review", include_str!("review.rs")),
        ("rfq", include_str!("rfq.rs")),
        ("supplier", include_str!("supplier.rs")),
        ("units", include_str!("units.rs")),
    ];

    /// `(enum, variant)` for every variant of every `pub enum …Error` in the domain.
    fn error_variants() -> Vec<(String, String)> {
        let mut found = Vec::new();
        for (_, source) in SOURCES {
            let mut lines = source.lines();
            while let Some(line) = lines.next() {
                let Some(name) = line
                    .trim()
                    .strip_prefix("pub enum ")
                    .and_then(|rest| rest.strip_suffix(" {"))
                    .filter(|name| name.ends_with("Error"))
                else {
                    continue;
                };
                for line in lines.by_ref() {
                    let line = line.trim();
                    if line == "}" {
                        break;
                    }
                    if line.starts_with("#") || line.starts_with("//") || line.is_empty() {
                        continue;
                    }
                    if !line.starts_with(|c: char| c.is_ascii_uppercase()) {
                        continue;
                    }
                    let variant: String = line
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    found.push((name.to_string(), variant));
                }
            }
        }
        found
    }

    fn tables() -> &'static str {
        let source = include_str!("error_codes.rs");
        let start = source.find("impl Coded for").expect("the tables");
        let end = source.find("#[cfg(test)]").expect("the tests");
        &source[start..end]
    }

    #[test]
    fn given_every_error_of_every_aggregate_then_the_table_gives_it_a_code() {
        let variants = error_variants();
        assert!(
            variants.len() > 100,
            "found only {} variants",
            variants.len()
        );
        let tables = tables();
        let missing: Vec<String> = variants
            .iter()
            .filter(|(e, v)| {
                !tables.contains(&format!("{e}::{v} ")) && !tables.contains(&format!("{e}::{v}("))
            })
            .map(|(e, v)| format!("{e}::{v}"))
            .collect();
        assert!(missing.is_empty(), "no code for {missing:?}");
        assert!(
            !tables.contains("_ =>"),
            "a catch-all arm would let a new refusal go without its own code"
        );
    }

    #[test]
    fn given_a_refusal_when_coded_then_the_code_is_the_table_entry_whatever_it_carries() {
        let below = OrderError::BelowMoq {
            title: "M8 bolt".into(),
            moq: 100,
        };
        assert_eq!(below.code(), ErrorCode::BelowMoq);
        assert_eq!(below.code().as_str(), "BELOW_MOQ");
        assert_eq!(
            OrderError::WrongStatus(OrderStatus::Paid).code(),
            OrderError::WrongStatus(OrderStatus::Cancelled).code(),
        );
        assert_eq!(
            SupplierError::PenaltyExceedsDeposit {
                asked: crate::money::Money::cny(1),
                held: crate::money::Money::cny(0),
            }
            .code()
            .as_str(),
            "PENALTY_EXCEEDS_DEPOSIT"
        );
        assert_eq!(
            crate::product::ProductError::Attribute(crate::category::AttributeError::Unknown(
                "colour".into()
            ))
            .code(),
            ErrorCode::AttributeUnknown
        );
    }

    #[test]
    fn every_code_is_its_variant_in_screaming_snake_case_once_with_a_meaning() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let wire = code.as_str();
            let variant = format!("{code:?}");
            let mut expected = String::new();
            for (i, c) in variant.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    expected.push('_');
                }
                expected.push(c.to_ascii_uppercase());
            }
            assert_eq!(wire, expected, "{variant}");
            assert!(seen.insert(wire), "{wire} twice");
            assert!(!code.meaning().is_empty(), "{wire} has no meaning");
            assert_eq!(ErrorCode::from_name(wire), Some(*code));
        }
    }
}
