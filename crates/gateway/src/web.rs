//! What the gateway serves besides GraphQL: the browser UI's built files (any other path gets
//! the UI's index, so its routes survive a reload) and uploaded files (documents, drawings,
//! evidence), stored by content hash in the data directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::errors::ErrorCode;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

fn content_type(name: &str) -> &'static str {
    match name
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("pdf") => "application/pdf",
        Some("csv") => "text/csv; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Serves the built UI in `dir`.
pub fn ui(dir: PathBuf) -> Router {
    let dir = Arc::new(dir);
    Router::new().fallback(get(move |uri: Uri| {
        let dir = dir.clone();
        async move { serve_ui(&dir, uri.path()).await }
    }))
}

async fn serve_ui(dir: &Path, path: &str) -> Response {
    let relative = path.trim_start_matches('/');
    let safe = !relative.split('/').any(|p| p == ".." || p.starts_with('.'));
    let relative = if safe && !relative.is_empty() {
        relative
    } else {
        "index.html"
    };
    let (file, name) = match tokio::fs::metadata(dir.join(relative)).await {
        Ok(m) if m.is_file() => (dir.join(relative), relative.to_string()),
        _ => (dir.join("index.html"), "index.html".to_string()),
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let cache = if name.starts_with("assets/") {
                // Vite names assets by their content hash.
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, content_type(&name)),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            "the browser UI is not built; run `npm ci && npm run build` in web/",
        )
            .into_response(),
    }
}

#[derive(Clone)]
struct Files {
    dir: Arc<PathBuf>,
    sessions: crate::sessions::Sessions,
    views: zhuchao_views::ViewsHandle,
}

/// `POST /files` (signed in; the file's name in `X-Filename`) stores a file and answers its
/// reference; `GET /files/<hash>/<name>` returns it to whoever may see what it is attached to
/// (and to its uploader). References are content hashes, and the same file uploaded twice is
/// stored once; who uploaded each is kept beside it (`<hash>.by`).
pub fn files(
    dir: PathBuf,
    sessions: crate::sessions::Sessions,
    views: zhuchao_views::ViewsHandle,
) -> Router {
    let state = Files {
        dir: Arc::new(dir),
        sessions,
        views,
    };
    Router::new()
        .route("/files", post(upload))
        .route("/files/{hash}/{name}", get(download))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .with_state(state)
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })),
    )
        .into_response()
}

/// The caller a request's token names: the `Authorization` header, or the `zhuchao_token`
/// cookie the browser UI sets for `/files` (images cannot send headers).
async fn caller(files: &Files, headers: &HeaderMap) -> Option<crate::auth::Viewer> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("zhuchao_token=").map(percent_decode));
    for token in bearer.into_iter().chain(cookie) {
        if let Some((viewer, _)) = files.sessions.caller(&token).await {
            return Some(viewer);
        }
    }
    None
}

/// Who uploaded the file `hash` (one user id per line).
pub(crate) fn uploaders(dir: &Path, hash: &str) -> PathBuf {
    dir.join(format!("{hash}.by"))
}

async fn upload(State(files): State<Files>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(user) = caller(&files, &headers).await.and_then(|v| v.user()) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated.as_str(),
            "sign in to upload files",
        );
    };
    if body.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest.as_str(),
            "the file is empty",
        );
    }
    let raw_name = headers
        .get("x-filename")
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .unwrap_or("file");
    let raw_name = percent_decode(raw_name);
    let name: String = raw_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let name = if name.trim_matches(['.', '_']).is_empty() {
        "file".to_string()
    } else {
        name
    };
    let hash: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = files.dir.join(&hash);
    let stored = async {
        tokio::fs::create_dir_all(&*files.dir).await?;
        if tokio::fs::metadata(&path).await.is_err() {
            let tmp = files.dir.join(format!("{hash}.tmp"));
            tokio::fs::write(&tmp, &body).await?;
            tokio::fs::File::open(&tmp).await?.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await?;
        }
        let by = uploaders(&files.dir, &hash);
        let known = tokio::fs::read_to_string(&by).await.unwrap_or_default();
        if !known.lines().any(|l| l == user.0.to_string()) {
            use tokio::io::AsyncWriteExt;
            let mut list = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&by)
                .await?;
            list.write_all(format!("{}\n", user.0).as_bytes()).await?;
            list.sync_all().await?;
        }
        std::io::Result::Ok(())
    }
    .await;
    match stored {
        Ok(()) => Json(serde_json::json!({
            "ref": format!("/files/{hash}/{name}"),
            "bytes": body.len(),
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "storing an upload failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal.as_str(),
                "the file could not be stored",
            )
        }
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

async fn download(
    State(files): State<Files>,
    headers: HeaderMap,
    UrlPath((hash, name)): UrlPath<(String, String)>,
) -> Response {
    // Documents are business papers: only those who may see what a file is attached to read
    // it; to anyone else it does not exist.
    // A published product's pictures are public; every other file needs a sign-in.
    let signed_in = caller(&files, &headers).await;
    let anonymous = signed_in.is_none();
    let viewer = signed_in.unwrap_or(crate::auth::Viewer::Anonymous);
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return refuse(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound.as_str(),
            "no such file",
        );
    }
    let uploaded_by_viewer = match viewer.user() {
        Some(user) => tokio::fs::read_to_string(uploaders(&files.dir, &hash))
            .await
            .is_ok_and(|list| list.lines().any(|l| l == user.0.to_string())),
        None => false,
    };
    let allowed = {
        let views = files.views.read();
        let allowed = crate::access::may_read_file(&views, &viewer, &hash, uploaded_by_viewer);
        if let Some(e) = views.failure() {
            tracing::error!(error = %e, "a file's uses could not be read");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal.as_str(),
                "the read models could not be read; try again",
            );
        }
        allowed
    };
    if !allowed && anonymous {
        return refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated.as_str(),
            "sign in to see files",
        );
    }
    if !allowed {
        return refuse(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound.as_str(),
            "no such file",
        );
    }
    match tokio::fs::read(files.dir.join(&hash)).await {
        Ok(bytes) => {
            let kind = content_type(&name);
            // Only images, PDFs and text show in the browser; anything else downloads.
            let inline = kind.starts_with("image/") && kind != "image/svg+xml"
                || kind == "application/pdf"
                || kind.starts_with("text/plain")
                || kind.starts_with("text/csv");
            let disposition = if inline { "inline" } else { "attachment" };
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(if inline {
                    kind
                } else {
                    "application/octet-stream"
                }),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static(disposition),
            );
            h.insert(
                "x-content-type-options",
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            );
            response
        }
        Err(_) => refuse(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound.as_str(),
            "no such file",
        ),
    }
}
