//! What every resolver reaches through the GraphQL context, and the checks of who may do what.

use std::time::Duration;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, OutputType};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;
use zhuchao_app::marketplace::Marketplace;
use zhuchao_app::CommandContext;
use zhuchao_domain::ids::{CompanyId, SupplierId, UserId};
use zhuchao_eventstore::SharedStore;

use crate::auth::{Session, Viewer};
use crate::errors::{api_error, forbidden, unauthenticated, ErrorCode};
use zhuchao_views::ViewsHandle;

/// The store the gateway runs on: the embedded one or a cluster's, chosen at start.
pub type Store = SharedStore;

/// How long a query waits for the read side to reach a client's own write.
pub const READ_YOUR_WRITES_WAIT: Duration = Duration::from_secs(5);
/// Largest page of any list.
pub const MAX_PAGE: usize = 100;
/// A page's size when the client does not say.
pub const DEFAULT_PAGE: usize = 20;

/// What a page costs against the complexity limit: what one item costs, times how many items
/// may come back — so aliases of large pages cannot multiply a small request into a huge answer.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(DEFAULT_PAGE, |n| (n.max(1) as usize).min(MAX_PAGE));
    items.saturating_mul(child_complexity).saturating_add(1)
}

/// What one search costs beyond its page: a request may run at most a few dozen searches, so
/// aliases cannot turn one request into hundreds of them.
pub const SEARCH_COST: usize = 200;

/// What one analytics report costs: it reads the whole cube of its range, so a request runs at
/// most three.
pub const REPORT_COST: usize = 1_500;

/// What reading a history costs beyond its entries: it reads the store, not the read models.
pub const HISTORY_COST: usize = 100;

pub fn search_cost(first: Option<i32>, child_complexity: usize) -> usize {
    page_cost(first, child_complexity).saturating_add(SEARCH_COST)
}

pub struct Api {
    pub market: Marketplace<Store>,
    pub views: ViewsHandle,
    pub sessions: crate::sessions::Sessions,
    pub throttle: crate::throttle::Throttle,
    pub search: std::sync::Arc<zhuchao_search::SearchIndex>,
    pub analytics: std::sync::Arc<zhuchao_analytics::AnalyticsProjection>,
    pub traffic: zhuchao_analytics::TrafficRecorder,
    /// Where uploads are kept: a file reference must name one of them.
    pub files_dir: std::path::PathBuf,
}

pub fn api<'a>(ctx: &Context<'a>) -> &'a Api {
    ctx.data_unchecked::<Api>()
}

pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&Viewer::Anonymous)
}

/// The session the request's token names (none for anonymous callers).
pub fn session<'a>(ctx: &Context<'a>) -> Option<&'a Session> {
    ctx.data_opt::<Session>()
}

/// The client's network address, as this server sees it.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress(pub std::net::IpAddr);

pub fn client_address(ctx: &Context<'_>) -> Option<std::net::IpAddr> {
    ctx.data_opt::<ClientAddress>().map(|a| a.0)
}

pub fn command_context(ctx: &Context<'_>) -> CommandContext {
    CommandContext::new(viewer(ctx).actor())
}

pub fn signed_in(ctx: &Context<'_>) -> async_graphql::Result<UserId> {
    viewer(ctx).user().ok_or_else(unauthenticated)
}

pub fn buyer(ctx: &Context<'_>) -> async_graphql::Result<(UserId, CompanyId)> {
    match viewer(ctx) {
        Viewer::Buyer { user, company } => Ok((*user, *company)),
        Viewer::Anonymous => Err(unauthenticated()),
        _ => Err(forbidden()),
    }
}

pub fn supplier(ctx: &Context<'_>) -> async_graphql::Result<(UserId, SupplierId)> {
    match viewer(ctx) {
        Viewer::Supplier { user, supplier } => Ok((*user, *supplier)),
        Viewer::Anonymous => Err(unauthenticated()),
        _ => Err(forbidden()),
    }
}

pub fn staff(ctx: &Context<'_>) -> async_graphql::Result<UserId> {
    match viewer(ctx) {
        Viewer::Agent { user } | Viewer::Admin { user } => Ok(*user),
        Viewer::Anonymous => Err(unauthenticated()),
        _ => Err(forbidden()),
    }
}

pub fn admin(ctx: &Context<'_>) -> async_graphql::Result<UserId> {
    match viewer(ctx) {
        Viewer::Admin { user } => Ok(*user),
        Viewer::Anonymous => Err(unauthenticated()),
        _ => Err(forbidden()),
    }
}

/// Waits until the read models include `at_least` (a position a mutation returned).
pub async fn caught_up(ctx: &Context<'_>, at_least: Option<String>) -> async_graphql::Result<()> {
    let Some(wanted) = at_least else {
        return Ok(());
    };
    let wanted: u64 = wanted.parse().map_err(|_| {
        api_error(
            ErrorCode::BadRequest,
            "atLeast must be a position returned by a mutation",
        )
    })?;
    api(ctx)
        .views
        .wait_for(wanted, READ_YOUR_WRITES_WAIT)
        .await
        .map_err(|e| api_error(ErrorCode::NotCaughtUp, e.to_string()))?;
    // The search index follows the same stream with its own checkpoint.
    let started = std::time::Instant::now();
    while api(ctx).search.position() < wanted {
        if started.elapsed() > READ_YOUR_WRITES_WAIT {
            return Err(api_error(
                ErrorCode::NotCaughtUp,
                format!("the search index has not reached position {wanted} yet; try again"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // And so does analytics.
    if !api(ctx)
        .analytics
        .wait_for(wanted, READ_YOUR_WRITES_WAIT)
        .await
    {
        return Err(api_error(
            ErrorCode::NotCaughtUp,
            format!("analytics has not reached position {wanted} yet; try again"),
        ));
    }
    Ok(())
}

/// Where an item stands in a list: when its object was made (its first event's position in
/// the store), then its id.
pub type ListKey = (u64, Uuid);

fn cursor((position, id): ListKey) -> String {
    let mut bytes = position.to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn uncursor(cursor: &str) -> async_graphql::Result<ListKey> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .filter(|b| b.len() == 24)
        .and_then(|b| {
            let position = u64::from_be_bytes(b[..8].try_into().ok()?);
            Some((position, Uuid::from_slice(&b[8..]).ok()?))
        })
        .ok_or_else(|| api_error(ErrorCode::BadRequest, "not a cursor from this API"))
}

fn page_size(first: Option<i32>) -> async_graphql::Result<usize> {
    match first {
        Some(n) if n < 0 => Err(api_error(ErrorCode::BadRequest, "first cannot be negative")),
        Some(n) => Ok((n as usize).min(MAX_PAGE)),
        None => Ok(DEFAULT_PAGE),
    }
}

/// A Relay connection read a page at a time from an index (newest first when `newest_first`):
/// `fetch` returns the next rows after a position, each with its item or `None` when the
/// caller may not see it; rows are fetched until the page is full or the index ends, so a page
/// costs about a page whatever the length of the list.
pub fn keyset<T: OutputType>(
    first: Option<i32>,
    after: Option<String>,
    newest_first: bool,
    mut fetch: impl FnMut(zhuchao_views::Page) -> Vec<(ListKey, Option<T>)>,
) -> async_graphql::Result<Connection<String, T>> {
    let first = page_size(first)?;
    let after = after.map(|c| uncursor(&c)).transpose()?;
    let mut from = after.map(|(position, _)| position);
    let mut items = Vec::with_capacity(first + 1);
    loop {
        let limit = first + 1 - items.len();
        let rows = fetch(zhuchao_views::Page {
            after: from,
            newest_first,
            limit,
        });
        let ended = rows.len() < limit;
        if let Some(((position, _), _)) = rows.last() {
            from = Some(*position);
        }
        items.extend(
            rows.into_iter()
                .filter_map(|(key, item)| Some((key, item?))),
        );
        if ended || items.len() > first {
            break;
        }
    }
    let has_next = items.len() > first;
    items.truncate(first);
    let mut connection = Connection::new(after.is_some(), has_next);
    connection.edges.extend(
        items
            .into_iter()
            .map(|(key, item)| Edge::new(cursor(key), item)),
    );
    Ok(connection)
}

/// A Relay connection over items in the order they were made (newest first when
/// `newest_first`), paged forwards with `first` (default 20, at most 100) and an opaque `after`
/// cursor.
pub fn paginate<T: OutputType>(
    mut items: Vec<(ListKey, T)>,
    newest_first: bool,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, T>> {
    items.sort_by_key(|(key, _)| *key);
    if newest_first {
        items.reverse();
    }
    let first = page_size(first)?;
    let start = match after {
        Some(c) => {
            let after = uncursor(&c)?;
            items
                .iter()
                .position(|(key, _)| {
                    if newest_first {
                        *key < after
                    } else {
                        *key > after
                    }
                })
                .unwrap_or(items.len())
        }
        None => 0,
    };
    let total = items.len();
    let mut connection = Connection::new(start > 0, start + first < total);
    connection.edges.extend(
        items
            .into_iter()
            .skip(start)
            .take(first)
            .map(|(key, item)| Edge::new(cursor(key), item)),
    );
    Ok(connection)
}
