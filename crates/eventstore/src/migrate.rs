//! Copying one store's events into another, in order, with their ids, streams and versions —
//! for moving a marketplace from the embedded store to a cluster. Resumable: the caller keeps
//! the last source position copied, and a batch copied twice is kept once (the target knows the
//! event ids), so a crash between copying and saving the checkpoint loses and duplicates nothing.

use crate::{EventStore, ExpectedVersion, NewEvent, Position, RecordedEvent, StoreError};

/// How far a copy got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Copied {
    /// The last source position copied.
    pub position: Position,
    /// Events copied in this call.
    pub events: u64,
}

fn new_event(e: &RecordedEvent) -> NewEvent {
    NewEvent {
        id: e.id,
        event_type: e.event_type.clone(),
        schema_version: e.schema_version,
        payload: e.payload.clone(),
        metadata: e.metadata.clone(),
    }
}

/// Copies every event after `after` from `source` to `target`, calling `progress` after each
/// batch with how far it got (save it as the checkpoint). Runs of consecutive events of one
/// stream are appended together, each with the version it had in the source as the expected
/// version, so the target's streams are the source's, event for event.
pub async fn copy_events<S: EventStore, T: EventStore>(
    source: &S,
    target: &T,
    after: Position,
    batch: usize,
    mut progress: impl FnMut(Copied),
) -> Result<Copied, StoreError> {
    let mut done = Copied {
        position: after,
        events: 0,
    };
    loop {
        let events = source.read_all(done.position, batch.max(1)).await?;
        let Some(last) = events.last() else {
            return Ok(done);
        };
        let last = last.position;
        let mut run: Vec<&RecordedEvent> = Vec::new();
        for e in &events {
            if run.first().is_some_and(|f| f.stream != e.stream) {
                append_run(target, &run).await?;
                run.clear();
            }
            run.push(e);
        }
        append_run(target, &run).await?;
        done.position = last;
        done.events += events.len() as u64;
        progress(done);
    }
}

async fn append_run<T: EventStore>(target: &T, run: &[&RecordedEvent]) -> Result<(), StoreError> {
    let Some(first) = run.first() else {
        return Ok(());
    };
    let expected = match first.version {
        0 => ExpectedVersion::NoStream,
        v => ExpectedVersion::Exact(v - 1),
    };
    let events: Vec<NewEvent> = run.iter().map(|e| new_event(e)).collect();
    match target.append(&first.stream, expected, events).await {
        Ok(_) => Ok(()),
        // Copied (wholly or partly) before a crash whose checkpoint was not saved: the events up
        // to the target's version are there already; copy the rest.
        Err(StoreError::WrongExpectedVersion {
            actual: Some(actual),
            ..
        }) if actual + 1 >= first.version => {
            let rest: Vec<&RecordedEvent> =
                run.iter().copied().filter(|e| e.version > actual).collect();
            if rest.is_empty() {
                return Ok(());
            }
            target
                .append(
                    &first.stream,
                    ExpectedVersion::Exact(actual),
                    rest.iter().map(|e| new_event(e)).collect(),
                )
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    }
}
