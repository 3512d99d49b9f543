//! Command handling: load an aggregate's stream, fold it, decide, append the new events with the
//! expected version. A concurrent writer makes the append fail with a version conflict; the
//! handler then waits a short random while (so that a crowd of writers spreads out) and
//! decides again, a bounded number of times.

use std::fmt::Display;
use std::sync::Arc;

use uuid::Uuid;
use zhuchao_domain::{Aggregate, DomainEvent, EventCodecError};
use zhuchao_eventstore::{
    Direction, EventStore, ExpectedVersion, Metadata, NewEvent, Position, RecordedEvent,
    StoreError, StreamFrom, StreamName,
};

use crate::ports::{Clock, IdGenerator};

/// How many times a command is decided again after losing a race.
pub const MAX_ATTEMPTS: usize = 16;
/// Longest wait before deciding again, in milliseconds (it doubles from 1 up to this).
const MAX_BACKOFF_MS: u64 = 64;

/// Who acts and why: becomes every new event's metadata.
#[derive(Clone, Debug)]
pub struct CommandContext {
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub actor: String,
    /// Set when the client made the request idempotent: the new events' ids are derived from
    /// it (and the stream and version they are written at), so a retried append of the same
    /// decision is recognised by the store and written once.
    pub command_id: Option<Uuid>,
}

impl CommandContext {
    pub fn new(actor: impl Into<String>) -> Self {
        Self {
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            actor: actor.into(),
            command_id: None,
        }
    }

    /// The same context for a command the client identified (see `command_id`).
    pub fn identified_by(mut self, command_id: Uuid) -> Self {
        self.command_id = Some(command_id);
        self
    }

    /// The context of a command caused by a stored event (for process managers).
    pub fn caused_by(event: &RecordedEvent, actor: impl Into<String>) -> Self {
        Self {
            correlation_id: event.metadata.correlation_id,
            causation_id: Some(event.id),
            actor: actor.into(),
            command_id: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError<E: std::error::Error + 'static> {
    /// A business rule refused the command.
    #[error(transparent)]
    Rejected(E),
    /// Other writers kept changing the aggregate; the command was not applied.
    #[error("the {0} kept changing while this command was decided; try again")]
    Conflict(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored event cannot be read: {0}")]
    Codec(#[from] EventCodecError),
}

/// The outcome of a command that was accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct Executed<E> {
    /// The events written (empty when the command changed nothing, e.g. a replayed process step).
    pub events: Vec<E>,
    /// The global position a reader must reach to see this command's effect.
    pub position: Position,
}

/// A loaded aggregate: its state, its stream's version and the position of its last event.
/// Events read at a time when an aggregate is loaded.
const LOAD_PAGE: usize = 512;

pub struct Loaded<S> {
    pub state: S,
    pub version: Option<u64>,
    pub position: Position,
}

impl<S: Default> Default for Loaded<S> {
    /// An aggregate before its first event.
    fn default() -> Self {
        Loaded {
            state: S::default(),
            version: None,
            position: Position::START,
        }
    }
}

/// The aggregate after `page`, a run of its stream's next events.
fn fold<A: Aggregate>(
    mut loaded: Loaded<A::State>,
    page: &[RecordedEvent],
) -> Result<Loaded<A::State>, LoadError> {
    for recorded in page {
        loaded.state = A::evolve(loaded.state, &decode_recorded::<A>(recorded)?);
        loaded.version = Some(recorded.version);
        loaded.position = recorded.position;
    }
    Ok(loaded)
}

pub struct CommandHandler<S> {
    store: S,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl<S: Clone> Clone for CommandHandler<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
        }
    }
}

pub fn stream_of<A: Aggregate>(id: impl Display) -> Result<StreamName, StoreError> {
    StreamName::new(format!("{}-{}", A::KIND, id))
}

impl<S: EventStore + Clone> CommandHandler<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { store, clock, ids }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn now(&self) -> zhuchao_domain::Timestamp {
        self.clock.now()
    }

    pub fn new_id(&self) -> Uuid {
        self.ids.new_id()
    }

    /// Reads and folds an aggregate's whole stream.
    /// Loads many aggregates of one kind with one read of the store where it can, in the order
    /// of `ids`.
    pub async fn load_many<A: Aggregate>(
        &self,
        ids: &[impl Display],
    ) -> Result<Vec<Loaded<A::State>>, LoadError> {
        let streams = ids
            .iter()
            .map(stream_of::<A>)
            .collect::<Result<Vec<_>, _>>()?;
        let pages = self.store.read_streams(&streams, LOAD_PAGE).await?;
        let mut loaded = Vec::with_capacity(ids.len());
        for (id, page) in ids.iter().zip(pages) {
            // A stream longer than a page is read the usual way.
            if page.len() == LOAD_PAGE {
                loaded.push(self.load::<A>(id).await?);
                continue;
            }
            loaded.push(fold::<A>(Loaded::default(), &page)?);
        }
        Ok(loaded)
    }

    pub async fn load<A: Aggregate>(
        &self,
        id: impl Display,
    ) -> Result<Loaded<A::State>, LoadError> {
        let stream = stream_of::<A>(id)?;
        let mut loaded = Loaded::default();
        let mut from = StreamFrom::Start;
        loop {
            let page = self
                .store
                .read_stream(&stream, from, Direction::Forwards, LOAD_PAGE)
                .await?;
            loaded = fold::<A>(loaded, &page)?;
            match page.last() {
                Some(last) if page.len() == LOAD_PAGE => {
                    from = StreamFrom::Version(last.version + 1)
                }
                _ => break,
            }
        }
        Ok(loaded)
    }

    /// Decides `command` against the aggregate `id` and appends the outcome.
    pub async fn execute<A>(
        &self,
        id: impl Display,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, AppError<A::Error>>
    where
        A: Aggregate,
        A::Command: Clone,
    {
        self.execute_all::<A>(id, std::slice::from_ref(&command), context)
            .await
    }

    /// Decides `commands` one after another against the aggregate `id`, each on the state the
    /// ones before it left, and appends all their events at once: all of them or, if any is
    /// refused, none.
    pub async fn execute_all<A>(
        &self,
        id: impl Display,
        commands: &[A::Command],
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, AppError<A::Error>>
    where
        A: Aggregate,
        A::Command: Clone,
    {
        self.execute_all_on::<A>(id, None, commands, context).await
    }

    /// [`CommandHandler::execute_all`] deciding first on `loaded`, the aggregate as the caller
    /// just read it (saving a read); a conflict reads it again.
    pub async fn execute_all_on<A>(
        &self,
        id: impl Display,
        mut loaded: Option<Loaded<A::State>>,
        commands: &[A::Command],
        context: &CommandContext,
    ) -> Result<Executed<A::Event>, AppError<A::Error>>
    where
        A: Aggregate,
        A::Command: Clone,
    {
        let id = id.to_string();
        let stream = stream_of::<A>(&id)?;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                // Random in [0, 2^attempt) ms, at most MAX_BACKOFF_MS: full jitter.
                let ceiling = (1u64 << attempt.min(16)).min(MAX_BACKOFF_MS);
                let wait = (self.ids.new_id().as_u128() as u64) % ceiling;
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
            }
            let loaded = match loaded.take() {
                Some(loaded) => loaded,
                None => self.load::<A>(&id).await.map_err(|e| match e {
                    LoadError::Store(s) => AppError::Store(s),
                    LoadError::Codec(c) => AppError::Codec(c),
                })?,
            };
            let events = decide_all::<A>(loaded.state, commands).map_err(AppError::Rejected)?;
            if events.is_empty() {
                return Ok(Executed {
                    events,
                    position: loaded.position,
                });
            }
            let expected = match loaded.version {
                None => ExpectedVersion::NoStream,
                Some(v) => ExpectedVersion::Exact(v),
            };
            let first_version = loaded.version.map_or(0, |v| v + 1);
            let new_events = self.to_new_events(&stream, first_version, &events, context)?;
            match self.store.append(&stream, expected, new_events).await {
                Ok(result) => {
                    tracing::debug!(stream = %stream, actor = %context.actor, count = events.len(), "command applied");
                    return Ok(Executed {
                        events,
                        position: result.position,
                    });
                }
                Err(StoreError::WrongExpectedVersion { .. }) => continue,
                // A twin of this identified command wrote a different decision at this version
                // first (its time differs): decide again on what it wrote.
                Err(StoreError::DuplicateEventId { .. }) if context.command_id.is_some() => {
                    continue
                }
                Err(e) => return Err(AppError::Store(e)),
            }
        }
        Err(AppError::Conflict(A::KIND))
    }

    fn to_new_events<E: DomainEvent>(
        &self,
        stream: &StreamName,
        first_version: u64,
        events: &[E],
        context: &CommandContext,
    ) -> Result<Vec<NewEvent>, StoreError> {
        let now = self.clock.now();
        events
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let (event_type, schema_version, body) = event.encode();
                let mut metadata =
                    Metadata::new(context.correlation_id, now).by(context.actor.clone());
                metadata.causation_id = context.causation_id;
                let id = match context.command_id {
                    Some(command) => Uuid::new_v5(
                        &command,
                        format!("{}@{}", stream.as_str(), first_version + i as u64).as_bytes(),
                    ),
                    None => self.ids.new_id(),
                };
                Ok(NewEvent {
                    id,
                    event_type: event_type.to_string(),
                    schema_version,
                    payload: body.to_string(),
                    metadata,
                })
            })
            .collect()
    }
}

/// The events of `commands` decided in turn, each on the state the events before it made.
fn decide_all<A: Aggregate>(
    mut state: A::State,
    commands: &[A::Command],
) -> Result<Vec<A::Event>, A::Error>
where
    A::Command: Clone,
{
    let mut all = Vec::new();
    for (i, command) in commands.iter().enumerate() {
        let events = A::decide(&state, command.clone())?;
        if i + 1 < commands.len() {
            state = events.iter().fold(state, A::evolve);
        }
        all.extend(events);
    }
    Ok(all)
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Codec(#[from] EventCodecError),
}

/// An aggregate's event from its stored record, upcast to the current schema version: decoded
/// once, from the stored text straight to the typed event.
pub fn decode_recorded<A: Aggregate>(
    recorded: &RecordedEvent,
) -> Result<A::Event, EventCodecError> {
    A::Event::decode_text(
        &recorded.event_type,
        recorded.schema_version,
        &recorded.payload,
    )
}

/// A status's or kind's name as the API shows it: its variant in SCREAMING_SNAKE_CASE
/// (`PendingPayment` → `PENDING_PAYMENT`). Rules' error codes are not made this way: they are
/// listed in `zhuchao_domain::error_codes`.
pub fn variant_name(value: &impl std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let name: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
    let mut code = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            code.push('_');
        }
        code.push(c.to_ascii_uppercase());
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhuchao_domain::order::{OrderError, OrderStatus};

    #[test]
    fn names_are_variants_in_screaming_snake_case() {
        assert_eq!(
            variant_name(&OrderStatus::ReturnRequested),
            "RETURN_REQUESTED"
        );
        assert_eq!(variant_name(&OrderStatus::Paid), "PAID");
        assert_eq!(
            variant_name(&OrderError::WrongStatus(OrderStatus::Paid)),
            "WRONG_STATUS"
        );
    }
}
