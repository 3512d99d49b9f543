//! The HTTP edge. Our own handler instead of the stock one, to close what async-graphql leaves
//! open: mutations only by POST with a JSON body (no GET or form posts, so no CSRF), no batches,
//! a body-size limit, the caller's token checked before anything runs, and an Origin check on the
//! WebSocket upgrade. GraphiQL is served at GET /graphql for browsers.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use zhuchao_eventstore::EventStore;

use crate::api::{Api, ClientAddress};
use crate::auth::{Session, Viewer};
use crate::errors::ErrorCode;
use crate::mutation::Mutation;
use crate::query::Query;
use crate::subscription::Subscription;

pub type ZhuchaoSchema = Schema<Query, Mutation, Subscription>;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Deepest selection accepted (GraphiQL's introspection query fits).
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted.
pub const MAX_COMPLEXITY: usize = 5_000;

pub fn schema(api: Api) -> ZhuchaoSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(api)
        .extension(crate::limits::Bounded)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .finish()
}

/// The schema without data, for exporting its SDL.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .finish()
        .sdl()
}

#[derive(Clone)]
pub struct AppState {
    pub schema: ZhuchaoSchema,
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

/// A GraphQL-over-HTTP request body: the spec's four parameters and nothing else, so that a
/// misspelt parameter is an error instead of an empty query.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<serde_json::Value>,
    #[allow(dead_code)] // accepted as the spec says; no extension is used yet
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

impl RequestBody {
    fn into_request(self) -> Result<async_graphql::Request, String> {
        let mut request = async_graphql::Request::new(self.query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        match self.variables {
            None | Some(serde_json::Value::Null) => {}
            Some(variables @ serde_json::Value::Object(_)) => {
                request = request.variables(async_graphql::Variables::from_json(variables));
            }
            Some(_) => return Err("variables must be an object".into()),
        }
        Ok(request)
    }
}

fn api_of(state: &AppState) -> &Api {
    state
        .schema
        .data::<Api>()
        .expect("the schema is built with its Api")
}

/// The caller named by a bearer token (anonymous without one); a token that is not genuine, has
/// expired or whose session ended is an error.
async fn viewer_from_token(
    api: &Api,
    token: Option<&str>,
) -> Result<(Viewer, Option<Session>), ()> {
    let Some(token) = token else {
        return Ok((Viewer::Anonymous, None));
    };
    let (viewer, session) = api.sessions.caller(token).await.ok_or(())?;
    Ok((viewer, Some(session)))
}

async fn graphql_post(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The media type itself, parameters (`; charset=utf-8`) aside.
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest.as_str(),
            "send GraphQL requests as POST with Content-Type: application/json",
        );
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest.as_str(),
            "batched requests are not accepted",
        );
    }
    let request = match serde_json::from_slice::<RequestBody>(&body) {
        Ok(body) => body.into_request(),
        Err(e) => Err(format!("not a GraphQL request: {e}")),
    };
    let request = match request {
        Ok(r) => r,
        Err(message) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest.as_str(),
                &message,
            )
        }
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let (viewer, session) = match viewer_from_token(api_of(&state), token).await {
        Ok(v) => v,
        Err(()) => {
            return error_response(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated.as_str(),
                "the token is invalid or expired; sign in again",
            )
        }
    };
    // Header values as UTF-8 (a proxy may send 江苏 as raw UTF-8 bytes).
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    let visit = crate::traffic::Visit {
        session: text(crate::traffic::SESSION_HEADER).and_then(|s| s.parse().ok()),
        region: text(crate::traffic::REGION_HEADER)
            .map(|r| zhuchao_analytics::region_of_header(&r)),
        user_agent: text(header::USER_AGENT.as_str()),
        host: text(header::HOST.as_str()),
    };
    let started = std::sync::Arc::new(crate::limits::ExecutionStarted::default());
    let mut request = request
        .data(viewer)
        .data(visit)
        .data(started.clone())
        .data(crate::limits::OverHttp);
    if let Some(session) = session {
        request = request.data(session);
    }
    if let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>() {
        request = request.data(ClientAddress(peer.ip()));
    }
    let mut response = state.schema.execute(request).await;
    // Every error carries a stable code: parse and validation errors get BAD_REQUEST.
    for error in &mut response.errors {
        let coded = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !coded {
            // async-graphql's own limits say so in words; the code says so too.
            let code = if error.message.starts_with("Query is too complex")
                || error.message.starts_with("Query is nested too deep")
            {
                ErrorCode::QueryTooComplex
            } else {
                ErrorCode::BadRequest
            };
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code.as_str());
        }
        tidy_input_error(error);
    }
    let graphql_response_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/graphql-response+json"));
    let content_type = if graphql_response_json {
        "application/graphql-response+json"
    } else {
        "application/json"
    };
    // A request error (the document does not parse, is not valid, is refused by a limit, or its
    // variables do not fit) means nothing ran: the answer has no `data`, and is a 400 to a
    // client that understands GraphQL over HTTP (and for a limit, to every client).
    let request_error = !response.errors.is_empty() && !started.happened();
    let status = if request_error
        && (graphql_response_json
            || response.errors.iter().any(|e| {
                e.message.contains("Query is nested too deep")
                    || e.message.contains("Query is too complex")
                    || e.extensions.as_ref().is_some_and(|x| {
                        matches!(x.get("code"), Some(async_graphql::Value::String(c)) if c.starts_with("QUERY_TOO_"))
                    })
            }))
    {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // A client told to wait is told so in HTTP's own words too.
    let retry_after = response.errors.iter().find_map(|e| {
        let x = e.extensions.as_ref()?;
        match (x.get("code"), x.get("retryAfterSeconds")) {
            (Some(async_graphql::Value::String(c)), Some(async_graphql::Value::Number(n)))
                if c == ErrorCode::TooManyAttempts.as_str() =>
            {
                n.as_u64()
            }
            _ => None,
        }
    });
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        status
    };
    let body = if request_error {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    match body {
        Ok(bytes) => {
            let mut answer =
                (status, [(header::CONTENT_TYPE, content_type)], bytes).into_response();
            if let Some(seconds) = retry_after {
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.into());
            }
            answer
        }
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal.as_str(),
            "the response could not be encoded",
        ),
    }
}

/// An input a validator refused (`text_limits`) names its field: the message starts there,
/// without the parser's "Failed to parse" preamble and "occurred while parsing" trailer.
fn tidy_input_error(error: &mut async_graphql::ServerError) {
    let Some(async_graphql::Value::String(field)) =
        error.extensions.as_ref().and_then(|e| e.get("field"))
    else {
        return;
    };
    if let Some(start) = error.message.find(&format!("{field}: ")) {
        let tail = &error.message[start..];
        let end = tail.find(" (occurred while parsing").unwrap_or(tail.len());
        error.message = tail[..end].to_string();
    }
}

/// GET /graphql: GraphiQL for a browser; a query sent by GET is refused (queries are POSTed, so
/// that no link or image can run one).
async fn graphiql(uri: axum::http::Uri) -> Response {
    let has_query = uri.query().is_some_and(|q| {
        q.split('&')
            .any(|p| p == "query" || p.starts_with("query="))
    });
    if has_query {
        let mut refused = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed.as_str(),
            "GraphQL requests are POSTed as JSON; GET /graphql serves GraphiQL",
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
        return refused;
    }
    crate::graphiql::page()
}

async fn graphql_ws(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Browsers send Origin on a WebSocket upgrade: accept only our own host (CORS is off).
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let same = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(host);
        if !same {
            return error_response(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden.as_str(),
                "cross-origin WebSocket connections are not accepted",
            );
        }
    }
    let schema = state.schema.clone();
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    upgrade
        // A message is held to the same bound as a request body.
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let on_init_state = state.clone();
            // The connection lasts as long as the session it began with: once that is signed
            // out (or expires) the incoming side ends, and with it every subscription.
            let (began_tx, began_rx) = tokio::sync::oneshot::channel::<Session>();
            let sessions = api_of(&state).sessions.clone();
            let session_over = async move {
                match began_rx.await {
                    Ok(session) => sessions.ended(session).await,
                    Err(_) => std::future::pending().await,
                }
            };
            let (sink, stream) = futures::StreamExt::split(socket);
            let stream = futures::StreamExt::take_until(stream, Box::pin(session_over));
            GraphQLWebSocket::new_with_pair(sink, stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    // GraphiQL passes its headers as typed (`Authorization`); the UI sends
                    // `authorization`.
                    let field = |name: &str| {
                        payload.as_object().and_then(|o| {
                            o.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                                .map(|(_, v)| v)
                        })
                    };
                    let token = field("authorization")
                        .or_else(|| field("token"))
                        .and_then(|v| v.as_str())
                        .map(|t| t.trim_start_matches("Bearer ").to_string());
                    let (viewer, session) =
                        viewer_from_token(api_of(&on_init_state), token.as_deref())
                            .await
                            .map_err(|()| {
                                async_graphql::Error::new("the token is invalid or expired")
                            })?;
                    let mut data = Data::default();
                    data.insert(viewer);
                    // Password attempts over the socket count against its client's address.
                    if let Some(peer) = peer {
                        data.insert(ClientAddress(peer));
                    }
                    if let Some(session) = session {
                        data.insert(session);
                        let _ = began_tx.send(session);
                    }
                    Ok(data)
                })
                .serve()
        })
}

/// The gateway's routes: POST /graphql, GET /graphql (GraphiQL), GET /graphql/ws, GET /health
/// (the store answers) and GET /health/ready (and every follower of the store is running).
pub fn router<S: EventStore + Clone>(
    schema: ZhuchaoSchema,
    store: S,
    health: zhuchao_app::Health,
) -> Router {
    let state = AppState { schema };
    let store = Arc::new(store);
    let ready_health = health.clone();
    Router::new()
        .route("/graphql", get(graphiql).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .with_state(state)
        .merge(crate::graphiql::assets())
        .route(
            "/health",
            get(move || {
                let store = store.clone();
                let health = health.clone();
                async move {
                    match store.head().await {
                        Ok(head) => Json(serde_json::json!({
                            "status": "ok",
                            "head": head.as_u64(),
                            "stopped": health.stopped_components(),
                        }))
                        .into_response(),
                        Err(e) => error_response(
                            StatusCode::SERVICE_UNAVAILABLE,
                            ErrorCode::Unavailable.as_str(),
                            &e.to_string(),
                        ),
                    }
                }
            }),
        )
        .route(
            "/health/ready",
            get(move || {
                let health = ready_health.clone();
                async move {
                    let stopped = health.stopped_components();
                    let status = if stopped.is_empty() {
                        StatusCode::OK
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    };
                    let body = serde_json::json!({
                        "status": if stopped.is_empty() { "ready" } else { "stopped" },
                        "stopped": stopped,
                    });
                    (status, Json(body)).into_response()
                }
            }),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
