//! Order numbers for people, `ZC-20261202-00042`: the day the order was placed (China Standard
//! Time) and its place among that day's orders in the store's order. Every node folds the same
//! events in the same order, so every node gives an order the same number; numbers are unique
//! and sort as the orders were placed.

use zhuchao_domain::Timestamp;

/// China Standard Time is eight hours ahead of UTC, all year.
const CHINA_OFFSET_MS: i64 = 8 * zhuchao_domain::HOUR_MS;

/// The day (`20261202`) an order placed at `placed_at` is numbered in.
pub fn day_of(placed_at: Timestamp) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(placed_at + CHINA_OFFSET_MS) * 1_000_000,
    )
    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!("[year][month][day]");
    at.format(&format).unwrap_or_default()
}

/// The number of the `nth` (from 1) order placed on `day`.
pub fn number(day: &str, nth: u32) -> String {
    format!("ZC-{day}-{nth:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_names_the_day_in_china_and_the_place_in_it() {
        // 2026-12-01T16:30:00Z is 00:30 on 2 December in China.
        let placed = 1_796_142_600_000;
        assert_eq!(day_of(placed), "20261202");
        assert_eq!(number(&day_of(placed), 42), "ZC-20261202-00042");
        assert_eq!(day_of(placed - 3_600_000), "20261201");
    }
}
