//! The one error type of the store crate: every backend maps its failures onto these variants so
//! that callers (command handlers, projections) can react to them without knowing the backend.

use std::path::PathBuf;

use uuid::Uuid;

use crate::{ExpectedVersion, Position};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Optimistic concurrency: the stream was not at the version the writer expected. Reload the
    /// stream, decide again and retry.
    #[error("stream {stream} was expected at {expected} but is at {}", describe_actual(*.actual))]
    WrongExpectedVersion {
        stream: String,
        expected: ExpectedVersion,
        /// The stream's current version; `None` when the stream does not exist.
        actual: Option<u64>,
    },

    /// An event id was already used by a different event (another stream or another place), so
    /// this append is not a retry of an earlier one.
    #[error("event id {id} is already stored in stream {stream} at version {version}")]
    DuplicateEventId {
        id: Uuid,
        stream: String,
        version: u64,
    },

    #[error("stream name {name:?} {reason}")]
    InvalidStreamName { name: String, reason: String },

    #[error("event {id} is invalid: {reason}")]
    InvalidEvent { id: Uuid, reason: String },

    #[error("an append needs at least one event")]
    EmptyAppend,

    /// Stored data failed its checksum or could not be decoded. Never skipped: the store refuses
    /// to hand out data it cannot vouch for.
    #[error("the event store is corrupt at {location}: {detail}")]
    Corrupt { location: String, detail: String },

    /// Another process holds the data directory.
    #[error("the data directory {} is in use by another Zhuchao process (lock file {})", .dir.display(), .lock_file.display())]
    Locked { dir: PathBuf, lock_file: PathBuf },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// The storage engine failed (disk full, I/O error, …); the append was not acknowledged.
    #[error("storage failure: {0}")]
    Storage(String),

    /// The store was shut down or its writer stopped.
    #[error("the event store is closed")]
    Closed,
}

fn describe_actual(actual: Option<u64>) -> String {
    match actual {
        Some(v) => format!("version {v}"),
        None => "no stream".to_string(),
    }
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn corrupt_at(position: Position, detail: impl Into<String>) -> Self {
        StoreError::Corrupt {
            location: format!("global position {position}"),
            detail: detail.into(),
        }
    }
}
