//! Money as an integer number of minor units (fen, cents) with its currency — never a float —
//! and arithmetic that refuses to mix currencies or overflow.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    CNY,
    USD,
    EUR,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::CNY => "CNY",
            Currency::USD => "USD",
            Currency::EUR => "EUR",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units: fen for CNY, cents for USD and EUR.
    pub minor: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(&'static str, &'static str),
    #[error("amount out of range")]
    Overflow,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// An amount in fen.
    pub const fn cny(fen: i64) -> Self {
        Self::new(fen, Currency::CNY)
    }

    pub const fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    pub fn is_positive(self) -> bool {
        self.minor > 0
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(
                self.currency.code(),
                other.currency.code(),
            ))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// This unit price times a quantity.
    pub fn times(self, quantity: u64) -> Result<Money, MoneyError> {
        let q = i64::try_from(quantity).map_err(|_| MoneyError::Overflow)?;
        let minor = self.minor.checked_mul(q).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Whether `other` is in the same currency and not larger.
    pub fn covers(self, other: Money) -> bool {
        self.currency == other.currency && self.minor >= other.minor
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:02} {}",
            abs / 100,
            abs % 100,
            self.currency.code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_adds_within_one_currency_only() {
        let a = Money::cny(150);
        assert_eq!(a.checked_add(Money::cny(50)), Ok(Money::cny(200)));
        assert_eq!(
            a.checked_add(Money::new(1, Currency::USD)),
            Err(MoneyError::CurrencyMismatch("CNY", "USD"))
        );
        assert_eq!(
            Money::cny(i64::MAX).checked_add(Money::cny(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Money::cny(125).times(4), Ok(Money::cny(500)));
        assert_eq!(Money::cny(i64::MAX).times(2), Err(MoneyError::Overflow));
        assert_eq!(Money::cny(2_000_000).to_string(), "20000.00 CNY");
        assert_eq!(Money::cny(-5).to_string(), "-0.05 CNY");
    }
}
