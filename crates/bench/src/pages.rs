//! List pages under load for the read-side bench: 16 clients at once ask for the first page and
//! page 50 of a list while new orders are written to the store. The durable views are asked
//! through the real GraphQL router (in process: no sockets, tokens checked as over HTTP); the
//! in-memory fold is asked by running its list code directly, which spares it the HTTP and
//! GraphQL work the views pay for.

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::stats::{round, Latencies};

/// Clients asking at once.
pub const CLIENTS: usize = 16;
/// Items per page.
pub const PAGE: usize = 20;
/// The deep page measured (or the deepest the list has, if shorter).
pub const DEEP_PAGE: usize = 50;
/// How long each list and page is asked for.
const ROUND: Duration = Duration::from_secs(4);
/// Events written a second meanwhile.
pub const LIVE_EVENTS_PER_S: u64 = 2_000;

/// Runs `call` from `CLIENTS` tasks for a round; returns p50, p99 (ms) and calls a second.
pub async fn under_load<F, Fut>(call: F) -> Value
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let deadline = Instant::now() + ROUND;
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            while Instant::now() < deadline {
                // As over HTTP, a request waits behind the others in flight before it is
                // served: the client lets them in first, and its time counts that wait.
                let started = Instant::now();
                tokio::task::yield_now().await;
                call().await.expect("a page");
                took.push(started.elapsed());
            }
            took
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("a client"));
    }
    let n = all.len();
    let l = Latencies::new(all);
    json!({
        "p50_ms": round(l.percentile_ms(50.0), 3),
        "p99_ms": round(l.percentile_ms(99.0), 3),
        "pages_per_s": round(n as f64 / ROUND.as_secs_f64(), 0),
    })
}

/// Keeps new orders flowing into the store until dropped.
pub struct LiveTraffic {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Result<u64>>,
}

impl LiveTraffic {
    pub fn start(
        store: zhuchao_eventstore::SharedStore,
        company: (zhuchao_domain::ids::CompanyId, zhuchao_domain::ids::UserId),
        supplier: zhuchao_domain::ids::SupplierId,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(crate::market_history::live_orders(
            store,
            company,
            supplier,
            LIVE_EVENTS_PER_S,
            stop.clone(),
        ));
        Self { stop, task }
    }

    /// Stops it; returns how many events it wrote.
    pub async fn stop(self) -> Result<u64> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.context("the live traffic")?
    }
}

/// A GraphQL request to the gateway's router, as a signed-in client sends it.
pub async fn graphql(
    router: &axum::Router,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value> {
    use tower::ServiceExt;
    let mut request =
        axum::http::Request::post("/graphql").header("content-type", "application/json");
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let response = router
        .clone()
        .oneshot(request.body(axum::body::Body::from(body))?)
        .await?;
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20).await?;
    let answer: Value = serde_json::from_slice(&bytes)?;
    anyhow::ensure!(
        answer.get("errors").is_none(),
        "the gateway answered {answer}"
    );
    Ok(answer)
}

/// One list of the API, and who asks for it.
pub struct List {
    pub name: &'static str,
    pub field: &'static str,
    pub token: String,
}

impl List {
    fn query(&self) -> String {
        format!(
            "query($after: String) {{ {}(first: {PAGE}, after: $after) {{ edges {{ cursor node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
            self.field
        )
    }

    /// The cursor page `DEEP_PAGE` starts after (or the deepest page's), and which page that is.
    pub async fn deep_cursor(&self, router: &axum::Router) -> Result<(Option<String>, usize)> {
        let mut after: Option<String> = None;
        let mut page = 1;
        while page < DEEP_PAGE {
            let answer = graphql(
                router,
                Some(&self.token),
                &self.query(),
                json!({ "after": after }),
            )
            .await?;
            let info = &answer["data"][self.field]["pageInfo"];
            if info["hasNextPage"] != json!(true) {
                break;
            }
            after = info["endCursor"].as_str().map(String::from);
            page += 1;
        }
        Ok((after, page))
    }

    /// The first page and the deep page, each under load.
    pub async fn measure(&self, router: &axum::Router) -> Result<Value> {
        let (deep, page) = self.deep_cursor(router).await?;
        let mut figures = json!({ "deep_page": page });
        for (name, after) in [("first_page", None), ("deep", deep)] {
            let (router, token, query) = (router.clone(), self.token.clone(), self.query());
            let call = move || {
                let (router, token, query, after) =
                    (router.clone(), token.clone(), query.clone(), after.clone());
                async move {
                    graphql(&router, Some(&token), &query, json!({ "after": after })).await?;
                    Ok(())
                }
            };
            figures[name] = under_load(call).await;
        }
        Ok(figures)
    }
}

/// The keyset position of an item, for the in-memory fold's lists.
pub type Key = (u64, Uuid);
