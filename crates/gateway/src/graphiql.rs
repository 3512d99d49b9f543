//! GraphiQL for a browser at `GET /graphql`, its scripts and styles compiled into the binary
//! (`assets/graphiql/`), so the page that holds a token runs no script from another site.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The files `/graphiql/<name>` serves: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql-3.9.0.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql-3.9.0.min.js"),
    ),
    (
        "graphiql-3.9.0.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql-3.9.0.css"),
    ),
    (
        "react-18.3.1.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-18.3.1.min.js"),
    ),
    (
        "react-dom-18.3.1.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom-18.3.1.min.js"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/start.js"),
    ),
];

const PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Zhuchao GraphQL</title>
    <link rel="stylesheet" href="/graphiql/graphiql-3.9.0.css" />
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="/graphiql/react-18.3.1.min.js"></script>
    <script src="/graphiql/react-dom-18.3.1.min.js"></script>
    <script src="/graphiql/graphiql-3.9.0.min.js"></script>
    <script src="/graphiql/start.js"></script>
  </body>
</html>
"#;

/// GraphiQL's page (revalidated, so an upgrade of the binary shows at once).
pub fn page() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(PAGE)).into_response()
}

/// `GET /graphiql/<name>`: GraphiQL's files. Their names carry their versions, so they are
/// cached for good.
pub fn assets() -> Router {
    Router::new().route(
        "/graphiql/{name}",
        get(|Path(name): Path<String>| async move {
            match ASSETS.iter().find(|(n, _, _)| *n == name) {
                Some((_, kind, bytes)) => (
                    [
                        (header::CONTENT_TYPE, *kind),
                        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                    ],
                    *bytes,
                )
                    .into_response(),
                None => (StatusCode::NOT_FOUND, "no such GraphiQL file").into_response(),
            }
        }),
    )
}
