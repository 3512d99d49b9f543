//! The security headers every answer carries, written once: what a page may load and run
//! (Content-Security-Policy), who may frame it, and what the browser may guess.

use axum::http::{header, HeaderValue};
use axum::response::Response;

/// What a Zhuchao page may do: load scripts, styles, fonts and images from its own origin only
/// (data: images for the icon, data: fonts for GraphiQL's), talk only to its own origin (the
/// GraphQL endpoint and its WebSocket), run no inline script, embed no plugin, be framed by no
/// one, and post forms nowhere else. Uploaded files are served under the same policy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to an answer: the policy above (unless the answer set its own),
/// no framing for browsers that predate frame-ancestors (clickjacking), no content-type
/// guessing (an uploaded file is never run as a page), and no address leaked in links to other
/// sites.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    response
}
