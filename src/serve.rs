//! `zhuchao serve`: opens the embedded store and serves HTTP until Ctrl-C or SIGTERM, then closes
//! the store cleanly.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use zhuchao_eventstore::{EmbeddedStore, EventStore};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The data directory (created if missing).
    #[arg(long, env = "ZHUCHAO_DATA", default_value = "zhuchao-data")]
    data: PathBuf,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "ZHUCHAO_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let store = EmbeddedStore::open(&args.data)
        .with_context(|| format!("opening the event store in {}", args.data.display()))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    let app = Router::new()
        .route("/health", get(health))
        .with_state(store.clone());
    println!("Zhuchao is listening on http://{address}");
    println!("  data directory: {}", args.data.display());
    println!("  health:         http://{address}/health");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    drop(store);
    println!("Zhuchao stopped; the store is closed.");
    Ok(())
}

/// Liveness plus the store's head position, so an operator can see writes arrive.
async fn health(State(store): State<EmbeddedStore>) -> Json<serde_json::Value> {
    match store.head().await {
        Ok(head) => Json(serde_json::json!({
            "status": "ok",
            "store": "embedded",
            "head": head.as_u64(),
        })),
        Err(e) => Json(serde_json::json!({ "status": "error", "error": e.to_string() })),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
