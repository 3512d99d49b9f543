//! A child process for the embedded store's crash tests: appends in a loop and prints one line
//! per acknowledged append (`ack <position> <event id>`), until it is killed.
//!
//! Usage: `zhuchao-crash-appender DIR [--writers N] [--stop-after N]`. With `--stop-after`, one
//! writer appends N events one commit at a time, prints `done`, then waits to be killed.

use std::io::Write;
use std::time::Duration;

use uuid::Uuid;
use zhuchao_eventstore::{
    EmbeddedStore, EventStore, ExpectedVersion, Metadata, NewEvent, StreamName,
};

fn usage() -> ! {
    eprintln!("usage: zhuchao-crash-appender DIR [--writers N] [--stop-after N]");
    std::process::exit(2)
}

fn number(value: Option<String>) -> u64 {
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| usage())
}

fn ack(position: u64, id: Uuid) {
    let mut out = std::io::stdout().lock();
    // A line that cannot be written is a line the parent never sees: stop rather than lie.
    if writeln!(out, "ack {position} {id}")
        .and_then(|()| out.flush())
        .is_err()
    {
        std::process::exit(3);
    }
}

fn event(n: u64) -> NewEvent {
    let body = serde_json::json!({ "n": n, "filler": "x".repeat(200) });
    NewEvent::json(
        Uuid::new_v4(),
        "CrashTestAppended",
        1,
        &body,
        Metadata::new(Uuid::new_v4(), n as i64),
    )
    .unwrap_or_else(|e| panic!("event {n}: {e}"))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| usage());
    let (mut writers, mut stop_after) = (4u64, None);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--writers" => writers = number(args.next()),
            "--stop-after" => stop_after = Some(number(args.next())),
            _ => usage(),
        }
    }
    let store = EmbeddedStore::open(&dir).unwrap_or_else(|e| {
        eprintln!("crash-appender: {e}");
        std::process::exit(1)
    });
    if let Some(count) = stop_after {
        let stream = StreamName::new("crash-sequential").unwrap_or_else(|e| panic!("{e}"));
        for n in 0..count {
            let e = event(n);
            let id = e.id;
            match store.append(&stream, ExpectedVersion::Any, vec![e]).await {
                Ok(result) => ack(result.position.as_u64(), id),
                Err(e) => panic!("append {n}: {e}"),
            }
        }
        println!("done");
        loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let stream = StreamName::new(format!("crash-{w}-{}", Uuid::new_v4().simple()))
                    .unwrap_or_else(|e| panic!("{e}"));
                for n in 0.. {
                    let batch: Vec<NewEvent> = (0..1 + n % 3).map(event).collect();
                    let last = batch[batch.len() - 1].id;
                    match store.append(&stream, ExpectedVersion::Any, batch).await {
                        Ok(result) => ack(result.position.as_u64(), last),
                        Err(e) => panic!("append: {e}"),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}
