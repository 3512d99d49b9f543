//! One gateway node: its own projections (read models, search index, analytics) following the
//! store from their checkpoints in its data directory, the traffic recorder, and the HTTP
//! router. Any number of nodes may serve one store; each catches up before it answers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use zhuchao_app::marketplace::Marketplace;
use zhuchao_app::Health;
use zhuchao_eventstore::{EventStore, SharedStore, StoreError};

use crate::api::Api;
use crate::auth::Tokens;
use crate::http::{router, schema};
use zhuchao_views::ViewsHandle;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Views(#[from] zhuchao_views::ViewError),
    #[error("search index: {0}")]
    Search(#[from] zhuchao_search::SearchError),
    #[error("analytics: {0}")]
    Analytics(#[from] zhuchao_analytics::AnalyticsError),
    #[error("token secret: {0}")]
    Tokens(std::io::Error),
    #[error("{0} did not catch up with the store within {1:?}")]
    NotCaughtUp(&'static str, Duration),
}

pub struct Node {
    /// GraphQL, health and uploads (the UI is merged in by the binary).
    pub router: Router,
    pub analytics: Arc<zhuchao_analytics::AnalyticsProjection>,
    /// The node's search index (benchmarks compare searching it directly with over HTTP).
    pub search: Arc<zhuchao_search::SearchIndex>,
}

/// Opens the node's projections in `data`, follows `store`, and waits (up to `catch_up`) until
/// they hold every event already stored.
/// A follower that stops is reported to `health`, which `/health/ready` shows.
pub async fn start(
    store: SharedStore,
    market: Marketplace<SharedStore>,
    data: &Path,
    catch_up: Duration,
    health: Health,
) -> Result<Node, NodeError> {
    let search = Arc::new(zhuchao_search::SearchIndex::open(&data.join("search"))?);
    let follower = search.clone();
    let follow_store = store.clone();
    let stopped = health.clone();
    tokio::spawn(async move {
        match follower
            .follow(follow_store, Duration::from_millis(100))
            .await
        {
            Err(e) => stopped.stopped("search index", e),
            Ok(()) => stopped.stopped("search index", "the store's subscription ended"),
        }
    });
    let analytics = Arc::new(zhuchao_analytics::AnalyticsProjection::open(
        &data.join("analytics.sqlite3"),
    )?);
    let follower = analytics.clone();
    let follow_store = store.clone();
    let stopped = health.clone();
    tokio::spawn(async move {
        match follower.follow(follow_store, Duration::from_secs(10)).await {
            Err(e) => stopped.stopped("analytics", e),
            Ok(()) => stopped.stopped("analytics", "the store's subscription ended"),
        }
    });
    let traffic =
        zhuchao_analytics::TrafficRecorder::start(store.clone(), Duration::from_millis(200));
    let stopped = health.clone();
    let views = ViewsHandle::start(store.clone(), &data.join("views"), move |e| {
        stopped.stopped("read models", e)
    })?;
    // Caught up, unless a follower stopped on the way: the node then serves what it has, and
    // its readiness names what stopped.
    let head = store.head().await?.as_u64();
    let deadline = tokio::time::Instant::now() + catch_up;
    loop {
        let behind = [
            ("the read models", views.position()),
            ("the search index", search.position()),
            ("analytics", analytics.position()),
        ]
        .into_iter()
        .find(|(_, at)| *at < head);
        let Some((lagging, _)) = behind else { break };
        if !health.ready() {
            tracing::error!(stopped = ?health.stopped_components(), "starting with stopped followers");
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(NodeError::NotCaughtUp(lagging, catch_up));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let tokens = Tokens::load_or_create(data).map_err(NodeError::Tokens)?;
    let clock = market.clone();
    let sessions = crate::sessions::Sessions::new(
        tokens,
        views.clone(),
        Arc::new(move || clock.handler.now()),
    );
    let files = crate::web::files(data.join("files"), sessions.clone(), views.clone());
    let router = router(
        schema(Api {
            market,
            views,
            sessions,
            throttle: Default::default(),
            search: search.clone(),
            analytics: analytics.clone(),
            traffic,
            files_dir: data.join("files"),
        }),
        store,
        health,
    )
    .merge(files);
    Ok(Node {
        router,
        analytics,
        search,
    })
}
