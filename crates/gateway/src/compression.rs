//! Responses travel compressed (brotli or gzip, as the client accepts): the UI's script and the
//! GraphQL answers are text that shrinks four- to fivefold.

use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Compresses what is worth it: not tiny answers, images or event streams (the library's
/// defaults) and never a protocol switch (the WebSocket's upgrade has no body to encode).
/// Level 4 keeps brotli's cost per GraphQL answer near gzip's, where its best level would cost
/// tens of milliseconds.
pub fn layer() -> CompressionLayer<impl Predicate> {
    let not_upgrade = |status: StatusCode, _: Version, _: &HeaderMap, _: &Extensions| {
        status != StatusCode::SWITCHING_PROTOCOLS
    };
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(not_upgrade))
}
