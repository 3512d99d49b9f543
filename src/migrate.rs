//! `zhuchao migrate --from DIR --to esdb://…`: copies an embedded store's events into an empty
//! EventStoreDB (or another embedded store, given a directory), in order and with their ids,
//! showing progress; a checkpoint in the source directory lets an interrupted copy resume.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use zhuchao_eventstore::migrate::copy_events;
use zhuchao_eventstore::{EmbeddedStore, EventStore, Position, SharedStore};

#[derive(Serialize, Deserialize, Default)]
struct Checkpoint {
    target: String,
    position: u64,
    events: u64,
}

fn checkpoint_file(from: &Path) -> PathBuf {
    from.join("migrate-checkpoint.json")
}

fn save(path: &Path, checkpoint: &Checkpoint) -> anyhow::Result<()> {
    zhuchao_app::processes::write_atomically(path, &serde_json::to_vec(checkpoint)?)?;
    Ok(())
}

pub async fn run(from: &Path, to: &str, batch: usize) -> anyhow::Result<()> {
    let source = EmbeddedStore::open(from.join("store"))
        .with_context(|| format!("opening the store in {}", from.display()))?;
    let target: SharedStore = if to.contains("://") {
        std::sync::Arc::new(
            zhuchao_esdb::EsdbStore::connect(to)
                .await
                .with_context(|| format!("connecting to {to}"))?,
        )
    } else {
        std::sync::Arc::new(
            EmbeddedStore::open(Path::new(to).join("store"))
                .with_context(|| format!("opening the target store in {to}"))?,
        )
    };
    let file = checkpoint_file(from);
    let mut checkpoint: Checkpoint = match std::fs::read(&file) {
        Ok(bytes) => serde_json::from_slice(&bytes).context("reading the migration checkpoint")?,
        Err(_) => Checkpoint::default(),
    };
    if checkpoint.target != to {
        // A checkpoint for another target does not apply here.
        checkpoint = Checkpoint {
            target: to.to_string(),
            ..Default::default()
        };
        anyhow::ensure!(
            target.head().await?.as_u64() == 0,
            "{to} already holds events; migrate into an empty store (or resume the same migration)"
        );
    } else if checkpoint.position > 0 {
        eprintln!(
            "resuming after position {} ({} events already copied)",
            checkpoint.position, checkpoint.events
        );
    }
    let head = source.head().await?.as_u64().max(1);
    let already = checkpoint.events;
    let copied = copy_events(
        &source,
        &target,
        Position::from_u64(checkpoint.position),
        batch,
        |done| {
            checkpoint.position = done.position.as_u64();
            checkpoint.events = already + done.events;
            if let Err(e) = save(&file, &checkpoint) {
                eprintln!("\nwarning: the checkpoint could not be saved: {e}");
            }
            let percent = checkpoint.position * 100 / head;
            let bar = "█".repeat((percent / 4) as usize);
            eprint!(
                "\rmigrating [{bar:<25}] {percent:>3}%  {} events",
                checkpoint.events
            );
            let _ = std::io::stderr().flush();
        },
    )
    .await
    .context("copying events")?;
    eprintln!();
    println!(
        "copied {} events to {to} (up to source position {}); checkpoint in {}",
        already + copied.events,
        copied.position.as_u64(),
        file.display()
    );
    Ok(())
}
