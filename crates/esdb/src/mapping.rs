//! Translating between Zhuchao's event-store vocabulary and EventStoreDB's: expected versions,
//! positions and errors. Pure, so it is tested without a server.

use eventstore::{CurrentRevision, ExpectedRevision, StreamPosition};
use zhuchao_eventstore::{ExpectedVersion, Position, StoreError};

pub fn expected_revision(expected: ExpectedVersion) -> ExpectedRevision {
    match expected {
        ExpectedVersion::Any => ExpectedRevision::Any,
        ExpectedVersion::NoStream => ExpectedRevision::NoStream,
        ExpectedVersion::StreamExists => ExpectedRevision::StreamExists,
        ExpectedVersion::Exact(v) => ExpectedRevision::Exact(v),
    }
}

/// Where to start reading `$all` to get the events after `after` (a prepare position): at that
/// event itself — reads include their start, and the caller drops positions ≤ `after`.
pub fn esdb_position_after(after: Position) -> StreamPosition<eventstore::Position> {
    match after.as_u64() {
        0 => StreamPosition::Start,
        p => StreamPosition::Position(eventstore::Position {
            commit: p,
            prepare: p,
        }),
    }
}

/// The store error for a client error.
pub fn store_error(
    error: eventstore::Error,
    stream: &str,
    expected: ExpectedVersion,
) -> StoreError {
    match error {
        eventstore::Error::WrongExpectedVersion { current, .. } => {
            StoreError::WrongExpectedVersion {
                stream: stream.to_string(),
                expected,
                actual: match current {
                    CurrentRevision::Current(v) => Some(v),
                    CurrentRevision::NoStream => None,
                },
            }
        }
        eventstore::Error::ResourceDeleted => StoreError::WrongExpectedVersion {
            stream: stream.to_string(),
            expected,
            actual: None,
        },
        eventstore::Error::AccessDenied => StoreError::Storage(format!(
            "EventStoreDB refused access to {stream}: check the connection string's credentials"
        )),
        eventstore::Error::ConnectionClosed
        | eventstore::Error::GrpcConnectionError(_)
        | eventstore::Error::DeadlineExceeded
        | eventstore::Error::NotLeaderException(_) => StoreError::Storage(format!(
            "EventStoreDB is unavailable ({error}); the client reconnects and the caller may retry"
        )),
        other => StoreError::Storage(format!("EventStoreDB: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_versions_map_one_to_one() {
        assert!(matches!(
            expected_revision(ExpectedVersion::Any),
            ExpectedRevision::Any
        ));
        assert!(matches!(
            expected_revision(ExpectedVersion::NoStream),
            ExpectedRevision::NoStream
        ));
        assert!(matches!(
            expected_revision(ExpectedVersion::StreamExists),
            ExpectedRevision::StreamExists
        ));
        assert!(matches!(
            expected_revision(ExpectedVersion::Exact(7)),
            ExpectedRevision::Exact(7)
        ));
    }

    #[test]
    fn a_conflict_carries_the_actual_version() {
        let e = store_error(
            eventstore::Error::WrongExpectedVersion {
                expected: ExpectedRevision::Exact(3),
                current: CurrentRevision::Current(5),
            },
            "order-1",
            ExpectedVersion::Exact(3),
        );
        assert!(
            matches!(
                e,
                StoreError::WrongExpectedVersion {
                    actual: Some(5),
                    ..
                }
            ),
            "{e:?}"
        );
        let e = store_error(
            eventstore::Error::WrongExpectedVersion {
                expected: ExpectedRevision::StreamExists,
                current: CurrentRevision::NoStream,
            },
            "order-1",
            ExpectedVersion::StreamExists,
        );
        assert!(matches!(
            e,
            StoreError::WrongExpectedVersion { actual: None, .. }
        ));
    }

    #[test]
    fn outages_say_so_and_positions_start_where_asked() {
        let e = store_error(
            eventstore::Error::ConnectionClosed,
            "$all",
            ExpectedVersion::Any,
        );
        assert!(e.to_string().contains("unavailable"), "{e}");
        assert!(matches!(
            esdb_position_after(Position::START),
            StreamPosition::Start
        ));
        assert!(matches!(
            esdb_position_after(Position::from_u64(42)),
            StreamPosition::Position(eventstore::Position {
                commit: 42,
                prepare: 42
            })
        ));
    }
}
