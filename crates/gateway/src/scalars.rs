//! The API's `DateTime`: an instant as RFC 3339 text in UTC with milliseconds
//! (`2026-12-02T14:02:00.000Z`), read in any offset, or as a calendar date meaning its midnight
//! in UTC. Instants before 2000 or from 2200 on are refused, never rolled over.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use time::format_description::well_known::Rfc3339;
use zhuchao_domain::Timestamp;

/// An instant, kept as milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub Timestamp);

/// The first instant a date may name: 2000-01-01T00:00:00Z.
pub const EARLIEST: Timestamp = 946_684_800_000;
/// The first instant past what a date may name: 2200-01-01T00:00:00Z.
pub const END: Timestamp = 7_258_118_400_000;

impl DateTime {
    /// Reads `text`: a date-time with an offset, or a calendar date (midnight UTC).
    pub fn parse(text: &str) -> Result<DateTime, String> {
        let text = text.trim();
        let at = if text.len() == 10 {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(text, &format)
                .map_err(|_| format!("{text:?} is not a date"))?
                .midnight()
                .assume_utc()
        } else {
            time::OffsetDateTime::parse(text, &Rfc3339)
                .map_err(|_| format!("{text:?} is not an RFC 3339 date-time"))?
        };
        let ms = (at.unix_timestamp_nanos() / 1_000_000) as Timestamp;
        if !(EARLIEST..END).contains(&ms) {
            return Err("a date lies in the years 2000 to 2199".into());
        }
        Ok(DateTime(ms))
    }

    /// `2026-12-02T14:02:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        at.format(&format).unwrap_or_default()
    }
}

impl From<Timestamp> for DateTime {
    fn from(ms: Timestamp) -> Self {
        DateTime(ms)
    }
}

/// An instant in UTC, RFC 3339 with milliseconds (`2026-12-02T14:02:00.000Z`). As input, any
/// offset (`2026-12-02T22:02:00+08:00`) or a calendar date (`2026-12-02`, midnight UTC), between
/// the years 2000 to 2199.
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse(text).map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::DateTime;

    #[test]
    fn given_dates_in_any_offset_then_they_read_as_one_instant_and_print_in_utc() {
        let utc = DateTime::parse("2026-12-02T14:02:00Z").expect("a date-time");
        assert_eq!(
            DateTime::parse("2026-12-02T22:02:00+08:00").expect("with an offset"),
            utc
        );
        assert_eq!(utc.to_rfc3339(), "2026-12-02T14:02:00.000Z");
        assert_eq!(
            DateTime::parse("2026-12-02").expect("a date").to_rfc3339(),
            "2026-12-02T00:00:00.000Z"
        );
        assert_eq!(
            DateTime(1_764_684_120_123).to_rfc3339(),
            "2025-12-02T14:02:00.123Z"
        );
    }

    #[test]
    fn given_what_is_not_a_real_instant_then_it_is_refused() {
        for text in [
            "2026-11-31",
            "2026-12-02T30:00:00Z",
            "1999-12-31T23:59:59Z",
            "2200-01-01",
            "yesterday",
            "1764684120000",
        ] {
            assert!(DateTime::parse(text).is_err(), "{text}");
        }
    }
}
