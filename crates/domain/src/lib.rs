//! The rules of the Zhuchao marketplace as pure code. Each aggregate (supplier, category, product,
//! RFQ, order, escrow, dispute, review, credit record) is a `decide` / `evolve` pair: no IO, no
//! clock, no random ids — time and ids arrive inside commands, and facts from other aggregates
//! (a category's schema, a supplier's standing) are passed in by the caller.

pub mod actions;
pub mod aggregate;
pub mod credit_code;
pub mod error_codes;
pub mod ids;
pub mod money;
pub mod units;

pub mod account;
pub mod category;
pub mod credit_record;
pub mod dispute;
pub mod escrow;
pub mod files;
pub mod order;
pub mod payment;
pub mod product;
pub mod review;
pub mod rfq;
pub mod supplier;

pub use aggregate::{Aggregate, DomainEvent, EventCodecError, Timestamp, DAY_MS, HOUR_MS};
pub use money::{Currency, Money, MoneyError};
