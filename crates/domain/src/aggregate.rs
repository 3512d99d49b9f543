//! The shape every aggregate has — a decider — and how its events are named, versioned and
//! upcast, so the application layer can handle all of them with one piece of code.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Milliseconds since the Unix epoch, as given by the caller's clock.
pub type Timestamp = i64;

/// One day in milliseconds.
pub const DAY_MS: Timestamp = 24 * 60 * 60 * 1000;
/// One hour in milliseconds.
pub const HOUR_MS: Timestamp = 60 * 60 * 1000;

/// A consistency boundary: its state is the fold of its events, and a command is decided
/// against that state alone.
pub trait Aggregate {
    /// The state before any event.
    type State: Default + Clone;
    type Command;
    type Event: DomainEvent;
    type Error: std::error::Error + crate::error_codes::Coded + Send + Sync + 'static;

    /// The stream kind, e.g. `order` for streams named `order-<id>`.
    const KIND: &'static str;

    /// The events that `command` causes, or why it is refused. Never has side effects.
    fn decide(state: &Self::State, command: Self::Command)
        -> Result<Vec<Self::Event>, Self::Error>;

    /// The state after `event`. Total: events are facts, they cannot be refused.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// Folds a history into a state.
    fn replay<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self::State
    where
        Self::Event: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), |state, e| Self::evolve(state, e))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventCodecError {
    #[error("unknown event type {0}")]
    UnknownType(String),
    #[error(
        "event {event_type} has schema version {version}, newer than this build knows ({known})"
    )]
    FutureVersion {
        event_type: String,
        version: u32,
        known: u32,
    },
    #[error("event {event_type} v{version} does not decode: {source}")]
    Malformed {
        event_type: String,
        version: u32,
        #[source]
        source: serde_json::Error,
    },
}

/// An aggregate's event enum, stored as a type name, a schema version and a JSON body.
///
/// Implementations are adjacently tagged serde enums (`{"type": …, "data": …}`): the type name is
/// the variant name, the body is the variant's data. When a variant's data changes shape, its
/// version goes up and [`DomainEvent::upcast`] turns old bodies into the current shape on read.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + std::fmt::Debug {
    /// The variant's stable type name.
    fn event_type(&self) -> &'static str;

    /// The current schema version of an event type (1 unless it has evolved).
    fn schema_version(_event_type: &str) -> u32 {
        1
    }

    /// Rewrites a stored body of an older schema version into the current one.
    fn upcast(_event_type: &str, _version: u32, body: serde_json::Value) -> serde_json::Value {
        body
    }

    /// The type name, current schema version and JSON body of this event.
    fn encode(&self) -> (&'static str, u32, serde_json::Value) {
        let event_type = self.event_type();
        let tagged = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let body = match tagged {
            serde_json::Value::Object(mut map) => {
                map.remove("data").unwrap_or(serde_json::Value::Null)
            }
            other => other,
        };
        (event_type, Self::schema_version(event_type), body)
    }

    /// Rebuilds an event straight from its stored JSON text: one parse, from the bytes to the
    /// typed event, when the body has the current shape; an older one goes through
    /// [`DomainEvent::upcast`] first.
    fn decode_text(event_type: &str, version: u32, body: &str) -> Result<Self, EventCodecError> {
        let known = Self::schema_version(event_type);
        if version != known {
            let value =
                serde_json::from_str(body).map_err(|source| EventCodecError::Malformed {
                    event_type: event_type.to_string(),
                    version,
                    source,
                })?;
            return Self::decode(event_type, version, value);
        }
        let name = serde_json::to_string(event_type).unwrap_or_default();
        let mut tagged = String::with_capacity(body.len() + name.len() + 20);
        tagged.push_str("{\"type\":");
        tagged.push_str(&name);
        tagged.push_str(",\"data\":");
        tagged.push_str(body);
        tagged.push('}');
        serde_json::from_str(&tagged).map_err(|source| {
            if source.to_string().contains("unknown variant") {
                EventCodecError::UnknownType(event_type.to_string())
            } else {
                EventCodecError::Malformed {
                    event_type: event_type.to_string(),
                    version,
                    source,
                }
            }
        })
    }

    /// Rebuilds an event from its stored form, upcasting older versions.
    fn decode(
        event_type: &str,
        version: u32,
        body: serde_json::Value,
    ) -> Result<Self, EventCodecError> {
        let known = Self::schema_version(event_type);
        if version > known {
            return Err(EventCodecError::FutureVersion {
                event_type: event_type.to_string(),
                version,
                known,
            });
        }
        let body = if version < known {
            Self::upcast(event_type, version, body)
        } else {
            body
        };
        let tagged = serde_json::json!({ "type": event_type, "data": body });
        serde_json::from_value(tagged).map_err(|source| {
            if source.to_string().contains("unknown variant") {
                EventCodecError::UnknownType(event_type.to_string())
            } else {
                EventCodecError::Malformed {
                    event_type: event_type.to_string(),
                    version,
                    source,
                }
            }
        })
    }
}

/// Implements [`DomainEvent::event_type`] for an enum whose variants all carry one data value.
#[macro_export]
macro_rules! event_names {
    ($enum:ident { $($variant:ident),* $(,)? }) => {
        impl $enum {
            /// Every type name this enum can be stored under.
            pub const TYPES: &'static [&'static str] = &[$(stringify!($variant)),*];

            fn variant_name(&self) -> &'static str {
                match self {
                    $( $enum::$variant(..) => stringify!($variant), )*
                }
            }
        }
    };
}

/// Declares the data structs that event variants carry: plain serde structs with public fields.
#[macro_export]
macro_rules! event_data {
    ($($name:ident { $($field:ident : $ty:ty),* $(,)? })*) => {
        $(
            #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
            pub struct $name { $(pub $field: $ty),* }
        )*
    };
}
