//! The `zhuchao` command: runs the marketplace server and the operator's tools around its data
//! directory. Thin by design: every capability lives in a library crate under `crates/`.

mod migrate;
mod serve;
mod web_build;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use zhuchao_eventstore::EmbeddedStore;

#[derive(Parser)]
#[command(
    name = "zhuchao",
    version,
    about = "Zhuchao (筑巢): a B2B marketplace for industrial parts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the marketplace server on the embedded store in the data directory.
    Serve(serve::ServeArgs),
    /// Print the GraphQL schema (SDL); `docs/schema.graphql` is this output.
    Schema,
    /// Rebuild the projections — the search index and analytics — from zero from the event
    /// store (the server must be stopped).
    Reindex {
        /// The data directory.
        #[arg(long, env = "ZHUCHAO_DATA", default_value = "zhuchao-data")]
        data: PathBuf,
    },
    /// Copy an embedded store's events into an empty EventStoreDB (`esdb://…`) or another data
    /// directory, in order and with their ids; resumable (a checkpoint in the source directory).
    Migrate {
        /// The source data directory (the server must be stopped).
        #[arg(long)]
        from: PathBuf,
        /// The target: an EventStoreDB connection string, or a data directory.
        #[arg(long)]
        to: String,
        /// Events read per batch.
        #[arg(long, default_value_t = 2000)]
        batch: usize,
    },
    /// Inspect the event store in a data directory.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Read every event, checking checksums and order; exits non-zero on corruption.
    Verify {
        /// The data directory.
        #[arg(long, env = "ZHUCHAO_DATA", default_value = "zhuchao-data")]
        data: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve::run(args).await,
        Command::Reindex { data } => reindex(&data).await,
        Command::Migrate { from, to, batch } => migrate::run(&from, &to, batch).await,
        Command::Schema => {
            print!("{}", zhuchao_gateway::http::sdl());
            Ok(())
        }
        Command::Store {
            command: StoreCommand::Verify { data },
        } => {
            let store = EmbeddedStore::open(data.join("store"))
                .with_context(|| format!("opening the store in {}", data.display()))?;
            let events = store.verify().await.context("verifying the store")?;
            println!(
                "{}: {events} events, all checksums and positions in order",
                data.display()
            );
            Ok(())
        }
    }
}

/// Rebuilds the search index and analytics from the first event, showing progress.
async fn reindex(data: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write;
    use zhuchao_eventstore::{EventStore, Position};
    let store = EmbeddedStore::open(data.join("store"))
        .with_context(|| format!("opening the store in {}", data.display()))?;
    let index = zhuchao_search::SearchIndex::open(&data.join("search"))
        .context("opening the search index")?;
    index.clear().context("clearing the search index")?;
    let analytics = zhuchao_analytics::AnalyticsProjection::open(&data.join("analytics.json"))
        .context("opening analytics")?;
    analytics.clear();
    let head = store.head().await?.as_u64().max(1);
    let mut after = Position::START;
    loop {
        let batch = store.read_all(after, 5_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        index.apply(&batch).context("indexing")?;
        analytics.apply(&batch).context("counting analytics")?;
        let done = after.as_u64() * 100 / head;
        let bar = "█".repeat((done / 4) as usize);
        eprint!(
            "\rreindexing [{bar:<25}] {done:>3}%  {} of {head} events",
            after.as_u64()
        );
        let _ = std::io::stderr().flush();
    }
    eprintln!();
    analytics.save().context("saving analytics")?;
    println!(
        "search index and analytics rebuilt up to position {}",
        index.position()
    );
    Ok(())
}
