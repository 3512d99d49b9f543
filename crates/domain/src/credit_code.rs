//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-symbol
//! alphabet, the last a check character over the first 17. Suppliers are identified by it.

use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters, this has {0}")]
    Length(usize),
    #[error("character {character:?} at position {position} is not allowed (I, O, S, V and Z never appear)")]
    Character { position: usize, character: char },
    #[error("check character should be {expected}, not {found}")]
    Check { expected: char, found: char },
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u32)
}

impl CreditCode {
    /// Validates a code (spaces removed, letters upper-cased first).
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let code: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::Length(chars.len()));
        }
        let mut sum = 0;
        for (i, &c) in chars.iter().enumerate() {
            let v = value_of(c).ok_or(CreditCodeError::Character {
                position: i + 1,
                character: c,
            })?;
            if i < 17 {
                sum += v * WEIGHTS[i];
            }
        }
        let expected = ALPHABET[((31 - sum % 31) % 31) as usize] as char;
        if chars[17] != expected {
            return Err(CreditCodeError::Check {
                expected,
                found: chars[17],
            });
        }
        Ok(CreditCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes 17 characters with their check character (for tests and demo data).
    pub fn with_check_character(first17: &str) -> Result<CreditCode, CreditCodeError> {
        let mut sum = 0;
        for (i, c) in first17.chars().enumerate() {
            let v = value_of(c).ok_or(CreditCodeError::Character {
                position: i + 1,
                character: c,
            })?;
            sum += v * WEIGHTS.get(i).ok_or(CreditCodeError::Length(i + 2))?;
        }
        if first17.chars().count() != 17 {
            return Err(CreditCodeError::Length(first17.chars().count() + 1));
        }
        let check = ALPHABET[((31 - sum % 31) % 31) as usize] as char;
        CreditCode::parse(&format!("{first17}{check}"))
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CreditCode::parse(&value)
    }
}

impl From<CreditCode> for String {
    fn from(value: CreditCode) -> Self {
        value.0
    }
}

impl std::fmt::Display for CreditCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_codes_validate() {
        // Published codes of well-known companies.
        for code in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
        ] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
        assert_eq!(
            CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn wrong_codes_say_why() {
        assert_eq!(
            CreditCode::parse("9135010"),
            Err(CreditCodeError::Length(7))
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::Check {
                expected: '3',
                found: '4'
            })
        );
        assert!(matches!(
            CreditCode::parse("91350100I000100Y43"),
            Err(CreditCodeError::Character {
                position: 9,
                character: 'I'
            })
        ));
    }

    #[test]
    fn a_check_character_can_be_completed() {
        let code = CreditCode::with_check_character("91350100M000100Y4").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
    }
}
