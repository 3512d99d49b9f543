//! The public code of every rule a command can break, one table per aggregate: the API answers
//! these in `userErrors`, so a code changes only here, on purpose, never by renaming a variant.

/// A refusal's stable, machine-readable code (`BELOW_MOQ`, `WRONG_STATUS`, …).
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

impl ErrorCode for crate::account::AccountError {
    fn code(&self) -> &'static str {
        use crate::account::AccountError;
        match self {
            AccountError::EmailTaken => "EMAIL_TAKEN",
            AccountError::NotFound => "NOT_FOUND",
            AccountError::BadEmail(..) => "BAD_EMAIL",
            AccountError::NameMissing => "NAME_MISSING",
        }
    }
}

impl ErrorCode for crate::category::AttributeError {
    fn code(&self) -> &'static str {
        use crate::category::AttributeError;
        match self {
            AttributeError::Missing(..) => "MISSING",
            AttributeError::Unknown(..) => "UNKNOWN",
            AttributeError::NotAllowed { .. } => "NOT_ALLOWED",
            AttributeError::BadNumber { .. } => "BAD_NUMBER",
            AttributeError::OutOfRange { .. } => "OUT_OF_RANGE",
        }
    }
}

impl ErrorCode for crate::category::CategoryError {
    fn code(&self) -> &'static str {
        use crate::category::CategoryError;
        match self {
            CategoryError::AlreadyExists => "ALREADY_EXISTS",
            CategoryError::NotFound => "NOT_FOUND",
            CategoryError::NameMissing => "NAME_MISSING",
            CategoryError::BadKey(..) => "BAD_KEY",
            CategoryError::DuplicateKey(..) => "DUPLICATE_KEY",
            CategoryError::BadEnum(..) => "BAD_ENUM",
            CategoryError::BadRange(..) => "BAD_RANGE",
            CategoryError::BadSynonyms(..) => "BAD_SYNONYMS",
        }
    }
}

impl ErrorCode for crate::credit_code::CreditCodeError {
    fn code(&self) -> &'static str {
        use crate::credit_code::CreditCodeError;
        match self {
            CreditCodeError::Length(..) => "LENGTH",
            CreditCodeError::Character { .. } => "CHARACTER",
            CreditCodeError::Check { .. } => "CHECK",
        }
    }
}

impl ErrorCode for crate::credit_record::CreditRecordError {
    fn code(&self) -> &'static str {
        use crate::credit_record::CreditRecordError;
        match self {
            CreditRecordError::CodeInUse => "CODE_IN_USE",
            CreditRecordError::UseClaim => "USE_CLAIM",
        }
    }
}

impl ErrorCode for crate::dispute::DisputeError {
    fn code(&self) -> &'static str {
        use crate::dispute::DisputeError;
        match self {
            DisputeError::AlreadyOpen => "ALREADY_OPEN",
            DisputeError::NotFound => "NOT_FOUND",
            DisputeError::Missing(..) => "MISSING",
            DisputeError::BadClaim(..) => "BAD_CLAIM",
            DisputeError::NotAParty => "NOT_A_PARTY",
            DisputeError::Closed(..) => "CLOSED",
            DisputeError::BadSplit(..) => "BAD_SPLIT",
            DisputeError::BadPenalty => "BAD_PENALTY",
            DisputeError::PenaltyExceedsDeposit { .. } => "PENALTY_EXCEEDS_DEPOSIT",
            DisputeError::NotOpener => "NOT_OPENER",
        }
    }
}

impl ErrorCode for crate::escrow::EscrowError {
    fn code(&self) -> &'static str {
        use crate::escrow::EscrowError;
        match self {
            EscrowError::AlreadyOpen => "ALREADY_OPEN",
            EscrowError::NotFound => "NOT_FOUND",
            EscrowError::BadAmount => "BAD_AMOUNT",
            EscrowError::WrongAmount { .. } => "WRONG_AMOUNT",
            EscrowError::AlreadyFunded => "ALREADY_FUNDED",
            EscrowError::NotFunded => "NOT_FUNDED",
            EscrowError::NothingLeft => "NOTHING_LEFT",
            EscrowError::MoreThanHeld { .. } => "MORE_THAN_HELD",
            EscrowError::Held => "HELD",
            EscrowError::NotHeldByThis => "NOT_HELD_BY_THIS",
            EscrowError::SplitMismatch(..) => "SPLIT_MISMATCH",
            EscrowError::Missing(..) => "MISSING",
        }
    }
}

impl ErrorCode for crate::money::MoneyError {
    fn code(&self) -> &'static str {
        use crate::money::MoneyError;
        match self {
            MoneyError::CurrencyMismatch(..) => "CURRENCY_MISMATCH",
            MoneyError::Overflow => "OVERFLOW",
        }
    }
}

impl ErrorCode for crate::order::OrderError {
    fn code(&self) -> &'static str {
        use crate::order::OrderError;
        match self {
            OrderError::AlreadyExists => "ALREADY_EXISTS",
            OrderError::NotFound => "NOT_FOUND",
            OrderError::EmptyCart => "EMPTY_CART",
            OrderError::MixedSuppliers => "MIXED_SUPPLIERS",
            OrderError::NotPublished(..) => "NOT_PUBLISHED",
            OrderError::SupplierMayNotSell => "SUPPLIER_MAY_NOT_SELL",
            OrderError::BelowMoq { .. } => "BELOW_MOQ",
            OrderError::NotWholePacks { .. } => "NOT_WHOLE_PACKS",
            OrderError::BadAmount => "BAD_AMOUNT",
            OrderError::Missing(..) => "MISSING",
            OrderError::WrongStatus(..) => "WRONG_STATUS",
            OrderError::NotBuyer => "NOT_BUYER",
            OrderError::NotSupplier => "NOT_SUPPLIER",
            OrderError::ReturnWindowClosed => "RETURN_WINDOW_CLOSED",
            OrderError::OtherDispute => "OTHER_DISPUTE",
            OrderError::AlreadyDisputed => "ALREADY_DISPUTED",
            OrderError::NotAParty => "NOT_A_PARTY",
        }
    }
}

impl ErrorCode for crate::payment::PaymentError {
    fn code(&self) -> &'static str {
        use crate::payment::PaymentError;
        match self {
            PaymentError::AlreadyPaid => "ALREADY_PAID",
            PaymentError::Incomplete => "INCOMPLETE",
        }
    }
}

impl ErrorCode for crate::product::ProductError {
    fn code(&self) -> &'static str {
        use crate::product::ProductError;
        match self {
            ProductError::AlreadyExists => "ALREADY_EXISTS",
            ProductError::NotFound => "NOT_FOUND",
            ProductError::NotOwner => "NOT_OWNER",
            ProductError::Attribute(..) => "ATTRIBUTE",
            ProductError::Missing(..) => "MISSING",
            ProductError::ZeroQuantity => "ZERO_QUANTITY",
            ProductError::MoqNotWholePacks { .. } => "MOQ_NOT_WHOLE_PACKS",
            ProductError::BadTiers(..) => "BAD_TIERS",
            ProductError::Delisted => "DELISTED",
            ProductError::AlreadyInState(..) => "ALREADY_IN_STATE",
            ProductError::SupplierMayNotSell => "SUPPLIER_MAY_NOT_SELL",
            ProductError::ReasonMissing => "REASON_MISSING",
            ProductError::SupplierExited => "SUPPLIER_EXITED",
            ProductError::OutOfStock { .. } => "OUT_OF_STOCK",
            ProductError::BelowReserved { .. } => "BELOW_RESERVED",
            ProductError::ZeroReservation => "ZERO_RESERVATION",
        }
    }
}

impl ErrorCode for crate::review::ReviewError {
    fn code(&self) -> &'static str {
        use crate::review::ReviewError;
        match self {
            ReviewError::AlreadyRated => "ALREADY_RATED",
            ReviewError::NotRateable => "NOT_RATEABLE",
            ReviewError::BadScore => "BAD_SCORE",
            ReviewError::CommentTooLong => "COMMENT_TOO_LONG",
        }
    }
}

impl ErrorCode for crate::rfq::RfqError {
    fn code(&self) -> &'static str {
        use crate::rfq::RfqError;
        match self {
            RfqError::AlreadyExists => "ALREADY_EXISTS",
            RfqError::NotFound => "NOT_FOUND",
            RfqError::Missing(..) => "MISSING",
            RfqError::BadInvitations => "BAD_INVITATIONS",
            RfqError::DeadlineTooSoon => "DEADLINE_TOO_SOON",
            RfqError::DeadlineTooFar => "DEADLINE_TOO_FAR",
            RfqError::NoSuchCategory => "NO_SUCH_CATEGORY",
            RfqError::UnknownSupplier(..) => "UNKNOWN_SUPPLIER",
            RfqError::InviteeMayNotSell(..) => "INVITEE_MAY_NOT_SELL",
            RfqError::Attribute(..) => "ATTRIBUTE",
            RfqError::ZeroQuantity => "ZERO_QUANTITY",
            RfqError::BadPrice => "BAD_PRICE",
            RfqError::Closed(..) => "CLOSED",
            RfqError::PastDeadline => "PAST_DEADLINE",
            RfqError::NotInvited => "NOT_INVITED",
            RfqError::SupplierNotEligible => "SUPPLIER_NOT_ELIGIBLE",
            RfqError::AlreadyQuoted => "ALREADY_QUOTED",
            RfqError::NoSuchQuote => "NO_SUCH_QUOTE",
            RfqError::NotYourQuote => "NOT_YOUR_QUOTE",
            RfqError::NotYourRfq => "NOT_YOUR_RFQ",
            RfqError::QuoteNotLive => "QUOTE_NOT_LIVE",
            RfqError::BadValidity => "BAD_VALIDITY",
        }
    }
}

impl ErrorCode for crate::supplier::SupplierError {
    fn code(&self) -> &'static str {
        use crate::supplier::SupplierError;
        match self {
            SupplierError::AlreadyApplied => "ALREADY_APPLIED",
            SupplierError::NotFound => "NOT_FOUND",
            SupplierError::Missing(..) => "MISSING",
            SupplierError::NoCategories => "NO_CATEGORIES",
            SupplierError::DocumentExpired => "DOCUMENT_EXPIRED",
            SupplierError::NoSuchDocument(..) => "NO_SUCH_DOCUMENT",
            SupplierError::AlreadyReviewed(..) => "ALREADY_REVIEWED",
            SupplierError::BadAmount => "BAD_AMOUNT",
            SupplierError::Exited => "EXITED",
            SupplierError::WrongStatus(..) => "WRONG_STATUS",
            SupplierError::OpenOrders(..) => "OPEN_ORDERS",
            SupplierError::PaymentRefReused => "PAYMENT_REF_REUSED",
            SupplierError::NothingDue => "NOTHING_DUE",
            SupplierError::MoreThanDue { .. } => "MORE_THAN_DUE",
            SupplierError::PenaltyExceedsDeposit { .. } => "PENALTY_EXCEEDS_DEPOSIT",
            SupplierError::NotVerified => "NOT_VERIFIED",
        }
    }
}

impl ErrorCode for crate::units::UnitError {
    fn code(&self) -> &'static str {
        use crate::units::UnitError;
        match self {
            UnitError::Incompatible { .. } => "INCOMPATIBLE",
            UnitError::Unparseable(..) => "UNPARSEABLE",
            UnitError::UnknownUnit(..) => "UNKNOWN_UNIT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use crate::order::{OrderError, OrderStatus};
    use crate::supplier::SupplierError;

    fn is_screaming_snake(code: &str) -> bool {
        !code.is_empty()
            && !code.starts_with('_')
            && !code.ends_with('_')
            && code.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    }

    #[test]
    fn given_a_refusal_when_coded_then_the_code_is_the_table_entry_whatever_it_carries() {
        let below = OrderError::BelowMoq {
            title: "M8 bolt".into(),
            moq: 100,
        };
        assert_eq!(below.code(), "BELOW_MOQ");
        assert_eq!(
            OrderError::WrongStatus(OrderStatus::Paid).code(),
            "WRONG_STATUS"
        );
        assert_eq!(
            OrderError::WrongStatus(OrderStatus::Cancelled).code(),
            "WRONG_STATUS"
        );
        assert_eq!(
            SupplierError::PenaltyExceedsDeposit {
                asked: crate::money::Money::cny(1),
                held: crate::money::Money::cny(0),
            }
            .code(),
            "PENALTY_EXCEEDS_DEPOSIT"
        );
    }

    #[test]
    fn every_code_in_the_table_is_screaming_snake_case() {
        let source = include_str!("error_codes.rs");
        let codes: Vec<&str> = source
            .lines()
            .filter_map(|line| line.split("=> \"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(codes.len() > 80, "found only {} codes", codes.len());
        for code in codes {
            assert!(is_screaming_snake(code), "{code:?}");
        }
    }
}
