//! The event-store trait: what the rest of Zhuchao may rely on, whatever the backend.
//! Its guarantees are pinned down by the contract suite in [`crate::contract`].

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;

use crate::{
    AppendResult, Direction, ExpectedVersion, NewEvent, Position, RecordedEvent, StoreError,
    StreamFrom, StreamName,
};

/// A live feed of the global event order: first every stored event after the starting position,
/// then each new one as it becomes durable. Never skips or reorders; ends only with an error.
pub type EventSubscription = Pin<Box<dyn Stream<Item = Result<RecordedEvent, StoreError>> + Send>>;

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` atomically if the stream is at `expected`.
    ///
    /// Acknowledged means durable. Re-sending the same batch (same event ids, same stream) returns
    /// the first append's result and stores nothing twice. A version mismatch is
    /// [`StoreError::WrongExpectedVersion`] carrying the stream's actual version.
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError>;

    /// Reads up to `max` events of one stream, starting at `from` (included) and walking in
    /// `direction`. A stream that does not exist reads as empty.
    async fn read_stream(
        &self,
        stream: &StreamName,
        from: StreamFrom,
        direction: Direction,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Reads each of `streams` from its start, up to `max` events each, answering in the same
    /// order: what [`EventStore::read_stream`] reads of each, in one go where the backend can
    /// (many aggregates loaded at once, as an import does).
    async fn read_streams(
        &self,
        streams: &[StreamName],
        max: usize,
    ) -> Result<Vec<Vec<RecordedEvent>>, StoreError> {
        futures::future::try_join_all(
            streams
                .iter()
                .map(|s| self.read_stream(s, StreamFrom::Start, Direction::Forwards, max)),
        )
        .await
    }

    /// Reads up to `max` events of the global order whose position is greater than `after`.
    /// Only durable events are ever returned, and never one before all events preceding it.
    async fn read_all(&self, after: Position, max: usize)
        -> Result<Vec<RecordedEvent>, StoreError>;

    /// The position of the last durable event ([`Position::START`] when the store is empty).
    async fn head(&self) -> Result<Position, StoreError>;

    /// Subscribes to the global order after `after`: catch up on stored events, then go live.
    fn subscribe_all(&self, after: Position) -> EventSubscription;
}

/// Any backend behind one type, chosen at run time (`--store`): the rest of Zhuchao holds a
/// `SharedStore` and never knows which it is.
pub type SharedStore = std::sync::Arc<dyn EventStore>;

#[async_trait]
impl EventStore for SharedStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        (**self).append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from: StreamFrom,
        direction: Direction,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        (**self).read_stream(stream, from, direction, max).await
    }

    async fn read_streams(
        &self,
        streams: &[StreamName],
        max: usize,
    ) -> Result<Vec<Vec<RecordedEvent>>, StoreError> {
        (**self).read_streams(streams, max).await
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        (**self).read_all(after, max).await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        (**self).head().await
    }

    fn subscribe_all(&self, after: Position) -> EventSubscription {
        (**self).subscribe_all(after)
    }
}
