//! Zhuchao's read models: every aggregate's current state, folded from the global event stream
//! and kept in a SQLite file beside the node's other projections, with the position they reflect
//! committed in the same transaction. A node that restarts resumes from that position instead of
//! folding all history again; lists are read a page at a time through indexes; memory holds the
//! catalogue and what SQLite caches, not the history.

pub mod catalog;
pub mod order_numbers;
mod project;
mod read;
mod schema;

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;
use zhuchao_domain::ids::*;
use zhuchao_eventstore::{EventStore, Position, RecordedEvent, StoreError};

pub use catalog::{Catalog, SupplierStats};
pub use project::is_open;
pub use read::{Listed, OrderScope, Page, Reader};
pub use schema::{FILE, LAYOUT};

use project::Projector;
use read::Pool;

/// Most events applied in one transaction while following the store; a live node's batches
/// are what arrived since the last one.
const MAX_BATCH: usize = 20_000;

/// Events applied in one go while an empty file is folded from the first event: most of an
/// order's or RFQ's life falls in one batch, so its row is written about once.
const SCRATCH_BATCH: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("the read models stopped at position {position}: {error}")]
    Unreadable {
        position: u64,
        error: zhuchao_domain::EventCodecError,
    },
    #[error("the read models' file: {0}")]
    Sqlite(String),
    #[error("a read model's state does not encode or decode: {0}")]
    Encode(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an uploaded file belongs to, by the events that refer to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileUse {
    SupplierDocument(SupplierId),
    RfqDrawing(RfqId),
    DisputeEvidence(DisputeId),
    /// A product's picture: public once the product is published.
    ProductImage(ProductId),
}

impl FileUse {
    fn code(self) -> (i64, Uuid) {
        match self {
            FileUse::SupplierDocument(s) => (1, s.0),
            FileUse::RfqDrawing(r) => (2, r.0),
            FileUse::DisputeEvidence(d) => (3, d.0),
            FileUse::ProductImage(p) => (4, p.0),
        }
    }

    fn from_code(kind: i64, id: Uuid) -> Option<Self> {
        Some(match kind {
            1 => FileUse::SupplierDocument(SupplierId(id)),
            2 => FileUse::RfqDrawing(RfqId(id)),
            3 => FileUse::DisputeEvidence(DisputeId(id)),
            4 => FileUse::ProductImage(ProductId(id)),
            _ => return None,
        })
    }
}

struct Shared {
    pool: Pool,
    catalog: Arc<RwLock<Catalog>>,
}

/// Shared access to the read models and the position they have reached.
#[derive(Clone)]
pub struct ViewsHandle {
    shared: Arc<Shared>,
    position: watch::Receiver<u64>,
    /// Every applied event, once the read models reflect it (for subscriptions).
    pub applied: broadcast::Sender<Arc<RecordedEvent>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the read side has not reached position {wanted} yet (at {reached}); try again")]
pub struct NotCaughtUp {
    pub wanted: u64,
    pub reached: u64,
}

/// Opens the read models' file in `dir`, emptied when its layout is not this build's.
fn open(dir: &Path) -> Result<(Projector, Arc<Shared>), ViewError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| ViewError::Sqlite(format!("could not create {}: {e}", dir.display())))?;
    let path = dir.join(FILE);
    let (conn, _) = schema::open_writer(&path)?;
    let catalog = Arc::new(RwLock::new(project::load_catalog(&conn)?));
    let projector = Projector::new(conn, catalog.clone())?;
    let shared = Arc::new(Shared {
        pool: Pool::new(path),
        catalog,
    });
    Ok((projector, shared))
}

impl ViewsHandle {
    /// Opens the read models kept in `dir` and follows `store` from the position they reflect.
    /// Anything that stops them (an event they cannot read, a failing disk) is handed to
    /// `stopped`; they then keep serving what they hold.
    pub fn start<S: EventStore + Clone>(
        store: S,
        dir: &Path,
        stopped: impl Fn(ViewError) + Send + 'static,
    ) -> Result<Self, ViewError> {
        let (projector, shared) = open(dir)?;
        let (position_tx, position) = watch::channel(projector.position);
        let (applied, _) = broadcast::channel(1024);
        let handle = Self {
            shared,
            position,
            applied: applied.clone(),
        };
        tokio::spawn(async move {
            let mut projector = projector;
            if projector.position == 0 {
                let on = |done: u64, _head: u64| {
                    position_tx.send_replace(done);
                };
                projector = match from_scratch(&store, projector, on).await {
                    Ok(p) => p,
                    Err(e) => return stopped(e),
                };
            }
            if let Err(e) = follow(store, projector, position_tx, applied).await {
                stopped(e);
            }
        });
        Ok(handle)
    }

    /// A reader for one request: do not hold it across an `.await`.
    pub fn read(&self) -> Reader<'_> {
        let catalog = self
            .shared
            .catalog
            .read()
            .unwrap_or_else(|p| p.into_inner());
        Reader::new(&self.shared.pool, catalog)
    }

    /// The catalogue alone (no file read): do not hold it across an `.await`.
    pub fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.shared
            .catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub fn position(&self) -> u64 {
        *self.position.borrow()
    }

    /// Waits (at most `timeout`) until the read models include position `wanted`.
    pub async fn wait_for(&self, wanted: u64, timeout: Duration) -> Result<(), NotCaughtUp> {
        let mut rx = self.position.clone();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|p| *p >= wanted)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(NotCaughtUp {
                wanted,
                reached: self.position(),
            }),
        }
    }
}

async fn follow<S: EventStore>(
    store: S,
    projector: Projector,
    position: watch::Sender<u64>,
    applied: broadcast::Sender<Arc<RecordedEvent>>,
) -> Result<(), ViewError> {
    let mut events = store.subscribe_all(Position::from_u64(projector.position));
    let mut projector = Some(projector);
    loop {
        // Once every handle is gone nobody reads the views: the projection ends, and so does
        // its hold on the file and the store.
        let first = tokio::select! {
            next = events.next() => next,
            () = position.closed() => return Ok(()),
        };
        let Some(first) = first else { break };
        let mut batch = vec![first?];
        while batch.len() < MAX_BATCH {
            match events.next().now_or_never() {
                Some(Some(next)) => batch.push(next?),
                _ => break,
            }
        }
        let p = projector
            .take()
            .expect("the projector is back after each batch");
        let (p, batch) = apply_off_thread(p, batch).await?;
        position.send_replace(p.position);
        projector = Some(p);
        for event in batch {
            let _ = applied.send(Arc::new(event));
        }
    }
    Err(ViewError::Store(StoreError::Storage(
        "the store's subscription ended".into(),
    )))
}

/// Applies a batch on a blocking thread (SQLite work is synchronous).
async fn apply_off_thread(
    mut projector: Projector,
    batch: Vec<RecordedEvent>,
) -> Result<(Projector, Vec<RecordedEvent>), ViewError> {
    let (projector, result, batch) = tokio::task::spawn_blocking(move || {
        let result = projector.apply(&batch);
        (projector, result, batch)
    })
    .await
    .map_err(|e| ViewError::Sqlite(format!("the projection stopped: {e}")))?;
    result.map(|()| (projector, batch))
}

/// Folds every event stored now into an empty file, fast: large batches without a journal,
/// the next batch read from the store while one is applied.
async fn from_scratch<S: EventStore + Clone + 'static>(
    store: &S,
    mut projector: Projector,
    mut progress: impl FnMut(u64, u64),
) -> Result<Projector, ViewError> {
    let head = store.head().await?.as_u64();
    if head == 0 {
        return Ok(projector);
    }
    projector.begin_from_scratch()?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<RecordedEvent>, StoreError>>(1);
    let reader = store.clone();
    tokio::spawn(async move {
        let mut after = Position::START;
        let mut batch = Vec::with_capacity(SCRATCH_BATCH);
        loop {
            let read = match reader.read_all(after, 4096).await {
                Ok(read) => read,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let Some(last) = read.last() else { break };
            after = last.position;
            let done = after.as_u64() >= head;
            batch.extend(read);
            if batch.len() >= SCRATCH_BATCH || done {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(SCRATCH_BATCH));
                if tx.send(Ok(full)).await.is_err() || done {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(Ok(batch)).await;
        }
    });
    while let Some(batch) = rx.recv().await {
        let (p, _) = apply_off_thread(projector, batch?).await?;
        projector = p;
        progress(projector.position, head);
    }
    projector.end_from_scratch()?;
    Ok(projector)
}

/// Drops the read models kept in `dir` and folds them again from every event in `store`,
/// telling `progress` how far it got (events applied, of how many).
pub async fn rebuild<S: EventStore + Clone + 'static>(
    store: &S,
    dir: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<u64, ViewError> {
    schema::remove(&dir.join(FILE))?;
    let (projector, _) = open(dir)?;
    let projector = from_scratch(store, projector, progress).await?;
    Ok(projector.position)
}
