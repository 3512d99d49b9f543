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
    /// Drop projections and rebuild them from the first event of the store (the server must be
    /// stopped): the read models, the search index, analytics, or all of them.
    Reindex {
        /// The data directory.
        #[arg(long, env = "ZHUCHAO_DATA", default_value = "zhuchao-data")]
        data: PathBuf,
        /// Which projection: `read-models`, `search`, `analytics` or `all`.
        #[arg(long, value_enum, default_value_t = View::All)]
        view: View,
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

/// A projection `reindex` rebuilds.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum View {
    /// Orders, RFQs, disputes, products, suppliers, accounts: what every page reads.
    ReadModels,
    /// The parametric product search index.
    Search,
    /// Traffic, conversion and basket-value figures.
    Analytics,
    All,
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
        Command::Reindex { data, view } => reindex(&data, view).await,
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

/// Draws a progress bar on stderr: `done` of `total` events.
fn progress(what: &str, done: u64, total: u64) {
    use std::io::Write;
    let total = total.max(1);
    let percent = done.min(total) * 100 / total;
    let bar = "█".repeat((percent / 4) as usize);
    eprint!("\r{what} [{bar:<25}] {percent:>3}%  {done} of {total} events");
    let _ = std::io::stderr().flush();
}

/// Rebuilds projections from the first event, showing progress.
async fn reindex(data: &std::path::Path, view: View) -> anyhow::Result<()> {
    let store = EmbeddedStore::open(data.join("store"))
        .with_context(|| format!("opening the store in {}", data.display()))?;
    if matches!(view, View::ReadModels | View::All) {
        let started = std::time::Instant::now();
        let position = zhuchao_views::rebuild(&store, &data.join("views"), |done, total| {
            progress("read models", done, total)
        })
        .await
        .context("rebuilding the read models")?;
        eprintln!();
        println!(
            "read models rebuilt up to position {position} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    if matches!(view, View::Search | View::Analytics | View::All) {
        reindex_search_and_analytics(
            &store,
            data,
            matches!(view, View::Search | View::All),
            matches!(view, View::Analytics | View::All),
        )
        .await?;
    }
    Ok(())
}

/// Rebuilds the search index and analytics (either or both) in one pass over the store.
async fn reindex_search_and_analytics(
    store: &EmbeddedStore,
    data: &std::path::Path,
    search: bool,
    analytics: bool,
) -> anyhow::Result<()> {
    use zhuchao_eventstore::{EventStore, Position};
    let index = if search {
        let index = zhuchao_search::SearchIndex::open(&data.join("search"))
            .context("opening the search index")?;
        index.clear().context("clearing the search index")?;
        Some(index)
    } else {
        None
    };
    let counts = if analytics {
        let counts = zhuchao_analytics::AnalyticsProjection::open(&data.join("analytics.sqlite3"))
            .context("opening analytics")?;
        counts.clear();
        Some(counts)
    } else {
        None
    };
    let what = match (search, analytics) {
        (true, true) => "search index and analytics",
        (true, false) => "search index",
        _ => "analytics",
    };
    let head = store.head().await?.as_u64();
    let mut after = Position::START;
    loop {
        let batch = store.read_all(after, 5_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        if let Some(index) = &index {
            index.apply(&batch).context("indexing")?;
        }
        if let Some(counts) = &counts {
            counts.apply(&batch).context("counting analytics")?;
        }
        progress(what, after.as_u64(), head);
    }
    eprintln!();
    if let Some(counts) = &counts {
        counts.save().context("saving analytics")?;
    }
    println!("{what} rebuilt up to position {}", after.as_u64());
    Ok(())
}
