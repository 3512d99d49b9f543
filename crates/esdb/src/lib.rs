//! The EventStoreDB / KurrentDB backend of Zhuchao's event-store trait, through the official
//! `eventstore` gRPC client: for running the write side on a cluster with any number of gateways
//! in front. Positions are the events' prepare positions in `$all` (unique and increasing);
//! Zhuchao's metadata and schema versions travel in each event's custom metadata.

use std::time::Duration;

use async_trait::async_trait;
use eventstore::{
    AppendToStreamOptions, Client, ClientSettings, EventData, ReadAllOptions, ReadStreamOptions,
    StreamPosition, SubscribeToAllOptions, SubscriptionFilter,
};
use serde_json::json;
use zhuchao_eventstore::{
    AppendResult, Direction, EventStore, EventSubscription, ExpectedVersion, Metadata, NewEvent,
    Position, RecordedEvent, StoreError, StreamFrom, StreamName,
};

mod mapping;
pub use mapping::{esdb_position_after, expected_revision, store_error};

/// A connection to an EventStoreDB or KurrentDB node or cluster.
#[derive(Clone)]
pub struct EsdbStore {
    client: Client,
    url: String,
}

impl EsdbStore {
    /// Connects to `url` (`esdb://host:2113?tls=false`, `esdb+discover://…` for a cluster) and
    /// checks that the server answers, with a clear error when it does not.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let settings: ClientSettings = url.parse().map_err(|e| {
            StoreError::Storage(format!(
                "{url} is not an EventStoreDB connection string: {e}"
            ))
        })?;
        let client = Client::new(settings)
            .map_err(|e| StoreError::Storage(format!("cannot create a client for {url}: {e}")))?;
        let store = Self {
            client,
            url: url.to_string(),
        };
        tokio::time::timeout(Duration::from_secs(10), store.head())
            .await
            .map_err(|_| {
                StoreError::Storage(format!("EventStoreDB at {url} did not answer within 10 s"))
            })?
            .map_err(|e| {
                StoreError::Storage(format!("EventStoreDB at {url} is unreachable: {e}"))
            })?;
        Ok(store)
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

fn event_data(e: NewEvent) -> Result<EventData, StoreError> {
    let payload: serde_json::Value =
        serde_json::from_str(&e.payload).map_err(|err| StoreError::InvalidEvent {
            id: e.id,
            reason: format!("payload is not JSON: {err}"),
        })?;
    let invalid = |err: serde_json::Error| StoreError::InvalidEvent {
        id: e.id,
        reason: err.to_string(),
    };
    EventData::json(e.event_type.clone(), &payload)
        .map_err(invalid)?
        .id(e.id)
        .metadata_as_json(&json!({ "schema_version": e.schema_version, "zhuchao": e.metadata }))
        .map_err(invalid)
}

/// Zhuchao's record of an EventStoreDB event; `None` for system events and streams that are
/// not Zhuchao's.
fn recorded(e: &eventstore::RecordedEvent) -> Option<RecordedEvent> {
    if e.event_type.starts_with('$') || e.stream_id.starts_with('$') {
        return None;
    }
    let stream = StreamName::new(e.stream_id.clone()).ok()?;
    let custom: serde_json::Value = serde_json::from_slice(&e.custom_metadata).unwrap_or_default();
    let metadata: Metadata = serde_json::from_value(custom["zhuchao"].clone())
        .unwrap_or_else(|_| Metadata::new(e.id, e.created.timestamp_millis()));
    Some(RecordedEvent {
        id: e.id,
        stream,
        version: e.revision,
        position: Position::from_u64(e.position.prepare),
        event_type: e.event_type.clone(),
        schema_version: custom["schema_version"].as_u64().unwrap_or(1) as u32,
        payload: String::from_utf8_lossy(&e.data).into_owned(),
        metadata,
    })
}

#[async_trait]
impl EventStore for EsdbStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend);
        }
        let data = events
            .into_iter()
            .map(event_data)
            .collect::<Result<Vec<_>, _>>()?;
        let options =
            AppendToStreamOptions::default().expected_revision(expected_revision(expected));
        let written = self
            .client
            .append_to_stream(stream.as_str(), &options, data)
            .await
            .map_err(|e| store_error(e, stream.as_str(), expected))?;
        Ok(AppendResult {
            next_expected_version: written.next_expected_version,
            position: Position::from_u64(written.position.prepare),
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from: StreamFrom,
        direction: Direction,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let position = match from {
            StreamFrom::Start => StreamPosition::Start,
            StreamFrom::End => StreamPosition::End,
            StreamFrom::Version(v) => StreamPosition::Position(v),
        };
        let options = ReadStreamOptions::default()
            .position(position)
            .max_count(max);
        let options = match direction {
            Direction::Forwards => options.forwards(),
            Direction::Backwards => options.backwards(),
        };
        let mut read = match self.client.read_stream(stream.as_str(), &options).await {
            Ok(r) => r,
            Err(eventstore::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(store_error(e, stream.as_str(), ExpectedVersion::Any)),
        };
        let mut out = Vec::new();
        loop {
            match read.next().await {
                Ok(Some(e)) => {
                    if let Some(r) = e.event.as_ref().and_then(recorded) {
                        out.push(r);
                    }
                }
                Ok(None) => return Ok(out),
                Err(eventstore::Error::ResourceNotFound) => return Ok(out),
                Err(e) => return Err(store_error(e, stream.as_str(), ExpectedVersion::Any)),
            }
        }
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        // Reading from a position includes the event there; more may be needed past system
        // events, so ask for a little extra and trim.
        let options = ReadAllOptions::default()
            .position(esdb_position_after(after))
            .forwards()
            .max_count(max + 1);
        let mut read = self
            .client
            .read_all(&options)
            .await
            .map_err(|e| store_error(e, "$all", ExpectedVersion::Any))?;
        let mut out = Vec::with_capacity(max);
        while out.len() < max {
            match read.next().await {
                Ok(Some(e)) => {
                    if let Some(r) = e.event.as_ref().and_then(recorded) {
                        if r.position > after {
                            out.push(r);
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(store_error(e, "$all", ExpectedVersion::Any)),
            }
        }
        Ok(out)
    }

    async fn head(&self) -> Result<Position, StoreError> {
        let options = ReadAllOptions::default()
            .position(StreamPosition::End)
            .backwards()
            .max_count(64);
        let mut read = self
            .client
            .read_all(&options)
            .await
            .map_err(|e| store_error(e, "$all", ExpectedVersion::Any))?;
        loop {
            match read.next().await {
                Ok(Some(e)) => {
                    if let Some(r) = e.event.as_ref().and_then(recorded) {
                        return Ok(r.position);
                    }
                }
                Ok(None) => return Ok(Position::START),
                Err(e) => return Err(store_error(e, "$all", ExpectedVersion::Any)),
            }
        }
    }

    fn subscribe_all(&self, after: Position) -> EventSubscription {
        let client = self.client.clone();
        Box::pin(catch_up_and_follow(client, after))
    }
}

/// A catch-up subscription to `$all` (system events filtered out by the server) that
/// resubscribes after the last event it delivered whenever the connection drops, with backoff.
fn catch_up_and_follow(
    client: Client,
    after: Position,
) -> impl futures::Stream<Item = Result<RecordedEvent, StoreError>> + Send {
    futures::stream::unfold(
        (
            client,
            after,
            None::<eventstore::Subscription>,
            Duration::from_millis(100),
        ),
        |(client, mut last, mut subscription, mut backoff)| async move {
            loop {
                if subscription.is_none() {
                    let options = SubscribeToAllOptions::default()
                        .position(esdb_position_after(last))
                        .filter(SubscriptionFilter::on_event_type().exclude_system_events());
                    subscription = Some(client.subscribe_to_all(&options).await);
                }
                let sub = subscription.as_mut().expect("just made");
                match sub.next().await {
                    Ok(e) => {
                        backoff = Duration::from_millis(100);
                        if let Some(r) = e.event.as_ref().and_then(recorded) {
                            if r.position > last {
                                last = r.position;
                                return Some((Ok(r), (client, last, subscription, backoff)));
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the $all subscription dropped; resubscribing in {backoff:?}");
                        subscription = None;
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                    }
                }
            }
        },
    )
}
