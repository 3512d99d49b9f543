//! The analytics projection: folds events into [`Analytics`], saves what changed with its
//! checkpoint now and then (atomically, per hour and per object), resumes from it after a
//! restart, and can start again from zero.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::watch;
use zhuchao_app::handler::decode_recorded;
use zhuchao_domain::dispute::Dispute;
use zhuchao_domain::escrow::Escrow;
use zhuchao_domain::order::Order;
use zhuchao_domain::rfq::Rfq;
use zhuchao_domain::Aggregate;
use zhuchao_eventstore::{EventStore, Position, RecordedEvent, StoreError};

use crate::cube::Analytics;
use crate::events::{TrafficEvent, TRAFFIC_KIND};
use crate::store::{take_changes, AnalyticsStore};

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("analytics checkpoint {path}: {source}")]
    Checkpoint {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An event the projection cannot read: it stops before it rather than count without it.
    #[error("analytics stopped at position {position}: {reason}")]
    Unreadable { position: u64, reason: String },
}

pub struct AnalyticsProjection {
    state: RwLock<Analytics>,
    store: Option<(PathBuf, Mutex<AnalyticsStore>)>,
    position: watch::Sender<u64>,
}

fn decode<A: Aggregate>(event: &RecordedEvent) -> Result<A::Event, AnalyticsError> {
    decode_recorded::<A>(event).map_err(|e| AnalyticsError::Unreadable {
        position: event.position.as_u64(),
        reason: e.to_string(),
    })
}

impl AnalyticsProjection {
    /// In memory only (tests, benchmarks).
    pub fn in_memory() -> Self {
        Self::with(Analytics::default(), None)
    }

    fn with(mut state: Analytics, store: Option<(PathBuf, Mutex<AnalyticsStore>)>) -> Self {
        state.reindex();
        let (position, _) = watch::channel(state.position);
        Self {
            state: RwLock::new(state),
            store,
            position,
        }
    }

    /// Resumes from the state saved in the SQLite file `path`, or starts from zero if there is
    /// none. The JSON file an earlier version wrote beside it (`analytics.json`) is taken over
    /// once, then removed.
    pub fn open(path: &Path) -> Result<Self, AnalyticsError> {
        let failed = |source| AnalyticsError::Checkpoint {
            path: path.to_path_buf(),
            source,
        };
        let store = AnalyticsStore::open(path).map_err(failed)?;
        let legacy = path.with_file_name("analytics.json");
        let (state, taken_over) = match store.load().map_err(failed)? {
            Some(state) => {
                // Taken over already; the removal did not happen.
                if legacy.exists() {
                    std::fs::remove_file(&legacy).map_err(failed)?;
                }
                (state, false)
            }
            None => match std::fs::read(&legacy) {
                Ok(bytes) => {
                    let mut state: Analytics = serde_json::from_slice(&bytes)
                        .map_err(|e| failed(std::io::Error::other(e)))?;
                    state.touch_all();
                    state.touched.wipe = true;
                    (state, true)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Nothing saved (or saved in another layout): start from zero.
                    let mut state = Analytics::default();
                    state.touched.wipe = true;
                    (state, false)
                }
                Err(e) => return Err(failed(e)),
            },
        };
        let projection = Self::with(state, Some((path.to_path_buf(), Mutex::new(store))));
        if taken_over {
            projection.save()?;
            std::fs::remove_file(&legacy).map_err(failed)?;
        }
        Ok(projection)
    }

    /// Writes what changed since the last save, with the checkpoint, in one transaction.
    pub fn save(&self) -> Result<(), AnalyticsError> {
        let Some((path, store)) = &self.store else {
            return Ok(());
        };
        let failed = |source| AnalyticsError::Checkpoint {
            path: path.clone(),
            source,
        };
        // One save at a time: the changes taken are written before the next are taken.
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        let changes = take_changes(&mut self.state.write().unwrap_or_else(|p| p.into_inner()))
            .map_err(failed)?;
        if let Err(e) = store.write(&changes) {
            // Kept to be written by the next save.
            self.state
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .touched
                .merge(changes.touched);
            return Err(failed(e));
        }
        Ok(())
    }

    /// Forgets everything (a rebuild from zero follows).
    pub fn clear(&self) {
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        *state = Analytics::default();
        state.touched.wipe = true;
        drop(state);
        self.position.send_replace(0);
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Analytics> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn position(&self) -> u64 {
        *self.position.borrow()
    }

    /// Waits until the projection includes `position`, at most `wait`; returns whether it does.
    pub async fn wait_for(&self, position: u64, wait: Duration) -> bool {
        let mut rx = self.position.subscribe();
        tokio::time::timeout(wait, rx.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Folds a batch of events in (events at or before the checkpoint are skipped). Stops at
    /// an event it cannot read: what came before it is kept, the checkpoint stays before it.
    pub fn apply(&self, events: &[RecordedEvent]) -> Result<(), AnalyticsError> {
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        let mut outcome = Ok(());
        for event in events {
            if event.position.as_u64() <= state.position && state.position > 0 {
                continue;
            }
            if let Err(e) = Self::apply_one(&mut state, event) {
                outcome = Err(e);
                break;
            }
            state.position = state.position.max(event.position.as_u64());
        }
        if self.store.is_none() {
            // Nothing is saved: nothing to remember for a save.
            state.touched = Default::default();
        }
        let position = state.position;
        drop(state);
        self.position.send_replace(position);
        outcome
    }

    fn apply_one(state: &mut Analytics, event: &RecordedEvent) -> Result<(), AnalyticsError> {
        let Some((kind, id)) = event.stream.as_str().split_once('-') else {
            return Ok(());
        };
        if kind == TRAFFIC_KIND {
            let e = TrafficEvent::from_payload(&event.payload).map_err(|e| {
                AnalyticsError::Unreadable {
                    position: event.position.as_u64(),
                    reason: e.to_string(),
                }
            })?;
            state.apply_traffic(&e);
            return Ok(());
        }
        let Ok(id) = id.parse::<uuid::Uuid>() else {
            return Ok(());
        };
        if kind == Rfq::KIND {
            state.apply_rfq(id, &decode::<Rfq>(event)?);
        } else if kind == Order::KIND {
            state.apply_order(&decode::<Order>(event)?);
        } else if kind == Dispute::KIND {
            state.apply_dispute(id, &decode::<Dispute>(event)?);
        } else if kind == Escrow::KIND {
            state.apply_escrow(id, &decode::<Escrow>(event)?);
        }
        Ok(())
    }

    /// Follows the store from the checkpoint, saving the state at most every `save_every`.
    /// Runs until the store fails.
    pub async fn follow<S: EventStore>(
        self: Arc<Self>,
        store: S,
        save_every: Duration,
    ) -> Result<(), AnalyticsError> {
        let mut events = store.subscribe_all(Position::from_u64(self.read().position));
        let mut saved_at = tokio::time::Instant::now();
        let mut dirty = false;
        loop {
            let next = tokio::time::timeout(Duration::from_millis(200), events.next()).await;
            match next {
                Ok(None) => return Ok(()),
                Ok(Some(first)) => {
                    let mut batch = vec![first?];
                    while batch.len() < 10_000 {
                        match futures::FutureExt::now_or_never(events.next()) {
                            Some(Some(e)) => batch.push(e?),
                            _ => break,
                        }
                    }
                    let applied = self.apply(&batch);
                    dirty = true;
                    if let Err(e) = applied {
                        // Keep what was counted up to the unreadable event, then stop.
                        let me = self.clone();
                        let _ = tokio::task::spawn_blocking(move || me.save()).await;
                        return Err(e);
                    }
                }
                Err(_) => {}
            }
            if dirty && saved_at.elapsed() >= save_every {
                let me = self.clone();
                tokio::task::spawn_blocking(move || me.save())
                    .await
                    .map_err(|e| AnalyticsError::Checkpoint {
                        path: PathBuf::new(),
                        source: std::io::Error::other(e.to_string()),
                    })??;
                saved_at = tokio::time::Instant::now();
                dirty = false;
            }
        }
    }
}
