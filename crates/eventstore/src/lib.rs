//! Zhuchao's event store: every state change in the marketplace is an event appended here, and every
//! read model is fed from here. The [`EventStore`] trait is the contract; [`EmbeddedStore`] is the
//! default backend (a durable, single-writer store in a local data directory).

mod error;
mod record;
mod store;

pub mod contract;
pub mod embedded;
pub mod migrate;

pub use embedded::{EmbeddedOptions, EmbeddedStore};
pub use error::StoreError;
pub use record::{
    AppendResult, Direction, ExpectedVersion, Metadata, NewEvent, Position, RecordedEvent,
    StreamFrom, StreamName,
};
pub use store::{EventStore, EventSubscription, SharedStore};
