//! Durability of the embedded store against `kill -9`: a child process appends in a loop and is
//! killed at random moments; every append it acknowledged must be there after a restart.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use uuid::Uuid;
use zhuchao_eventstore::{
    EmbeddedStore, EventStore, ExpectedVersion, Metadata, NewEvent, Position, StoreError,
    StreamName,
};

const ROUNDS: usize = 24;

fn spawn_appender(dir: &Path, extra: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zhuchao-crash-appender"))
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the appender");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn parse_ack(line: &str) -> Option<(u64, Uuid)> {
    let mut parts = line.strip_prefix("ack ")?.split(' ');
    let position = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    Some((position, id))
}

/// A small deterministic generator, seeded from the clock and printed so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn everything(store: &EmbeddedStore) -> Vec<zhuchao_eventstore::RecordedEvent> {
    let mut all = Vec::new();
    let mut after = Position::START;
    loop {
        let page = store
            .read_all(after, 10_000)
            .await
            .expect("read_all after restart");
        match page.last() {
            Some(last) => after = last.position,
            None => return all,
        }
        all.extend(page);
    }
}

fn probe_event() -> NewEvent {
    NewEvent::json(
        Uuid::new_v4(),
        "CrashTestProbed",
        1,
        &serde_json::json!({}),
        Metadata::new(Uuid::new_v4(), 0),
    )
    .expect("event")
}

#[test]
fn every_acknowledged_append_survives_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = XorShift(seed);
    let rt = runtime();
    let mut acknowledged: BTreeMap<u64, Uuid> = BTreeMap::new();
    let mut rounds_killed_mid_append = 0;

    for round in 0..ROUNDS {
        // Given a child appending with four concurrent writers,
        let (mut child, lines) = spawn_appender(dir.path(), &["--writers", "4"]);
        let started = Instant::now();
        let first = lines.recv_timeout(Duration::from_secs(30));
        assert!(
            first.is_ok(),
            "round {round}: the appender acknowledged nothing"
        );
        // when it is killed with SIGKILL at a random moment,
        std::thread::sleep(Duration::from_millis(rng.below(150)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let mut acks_this_round = 0;
        for line in first.into_iter().chain(lines.iter()) {
            if let Some((position, id)) = parse_ack(&line) {
                assert!(
                    acknowledged.insert(position, id).is_none(),
                    "position {position} acknowledged twice"
                );
                acks_this_round += 1;
            }
        }
        if acks_this_round > 1 {
            rounds_killed_mid_append += 1;
        }

        // then after a restart every acknowledged event is there, in order, and appends go on.
        rt.block_on(async {
            let store = EmbeddedStore::open(dir.path()).expect("reopen after SIGKILL");
            let stored = everything(&store).await;
            for (i, event) in stored.iter().enumerate() {
                assert_eq!(event.position.as_u64(), i as u64 + 1, "gapless order");
            }
            for (&position, &id) in &acknowledged {
                let event = stored.get(position as usize - 1).unwrap_or_else(|| {
                    panic!("round {round}: acknowledged position {position} lost")
                });
                assert_eq!(
                    event.id, id,
                    "round {round}: position {position} holds another event"
                );
            }
            let probe = probe_event();
            let probe_id = probe.id;
            let stream = StreamName::new("crash-probe").expect("name");
            let result = store
                .append(&stream, ExpectedVersion::Any, vec![probe])
                .await
                .expect("the store accepts appends after a crash");
            assert_eq!(result.position.as_u64(), stored.len() as u64 + 1);
            acknowledged.insert(result.position.as_u64(), probe_id);
        });
        eprintln!(
            "round {round}: {acks_this_round} acks in {:?}",
            started.elapsed()
        );
    }
    assert!(
        rounds_killed_mid_append >= ROUNDS / 2,
        "only {rounds_killed_mid_append} rounds were killed while appending"
    );
}

#[test]
fn a_second_process_cannot_open_a_directory_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, lines) = spawn_appender(dir.path(), &["--writers", "1"]);
    lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the appender is running");
    let second = EmbeddedStore::open(dir.path());
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    match second {
        Err(StoreError::Locked { lock_file, .. }) => assert!(lock_file.ends_with("LOCK")),
        Err(other) => panic!("expected a lock error, got {other}"),
        Ok(_) => panic!("two processes opened one data directory"),
    }
    assert!(
        EmbeddedStore::open(dir.path()).is_ok(),
        "the lock dies with the process that held it"
    );
}

/// Runs the appender for `count` single-event commits and kills it, leaving the commits in the
/// write-ahead log as a power cut would. Returns the acknowledged ids by position.
fn commits_left_in_the_log(dir: &Path, count: u64) -> BTreeMap<u64, Uuid> {
    let (mut child, lines) = spawn_appender(dir, &["--stop-after", &count.to_string()]);
    let mut acked = BTreeMap::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the appender finishes");
        if line == "done" {
            break;
        }
        let (position, id) = parse_ack(&line).expect("an ack line");
        acked.insert(position, id);
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert_eq!(acked.len() as u64, count);
    acked
}

fn wal(dir: &Path) -> std::path::PathBuf {
    dir.join(format!(
        "{}-wal",
        zhuchao_eventstore::embedded::DATABASE_FILE
    ))
}

#[test]
fn a_torn_last_commit_is_cut_back_to_the_last_whole_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Given twenty commits in the log,
    let acked = commits_left_in_the_log(dir.path(), 20);
    // when the last one is torn (the file ends part-way through its last frame),
    let log = wal(dir.path());
    let len = std::fs::metadata(&log).expect("the log exists").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .expect("open log");
    file.set_len(len - 100).expect("tear the tail");
    drop(file);
    // then the store opens with the nineteen whole commits, nothing torn is read, and the next
    // append takes the torn commit's place.
    runtime().block_on(async {
        let store = EmbeddedStore::open(dir.path()).expect("open after a torn tail");
        let stored = everything(&store).await;
        assert_eq!(stored.len(), 19);
        for event in &stored {
            assert_eq!(acked.get(&event.position.as_u64()), Some(&event.id));
        }
        let stream = StreamName::new("after-tear").expect("name");
        let result = store
            .append(&stream, ExpectedVersion::Any, vec![probe_event()])
            .await
            .expect("append after recovery");
        assert_eq!(result.position.as_u64(), 20);
        assert_eq!(store.verify().await.expect("verify"), 20);
    });
}

#[test]
fn garbage_after_the_last_commit_is_never_read_as_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Given twenty commits in the log,
    let acked = commits_left_in_the_log(dir.path(), 20);
    // when half-written garbage follows them,
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let garbage: Vec<u8> = (0..9000).map(|_| rng.below(256) as u8).collect();
    let mut log = std::fs::read(wal(dir.path())).expect("read log");
    log.extend_from_slice(&garbage);
    std::fs::write(wal(dir.path()), log).expect("write log");
    // then exactly the twenty acknowledged events are there.
    runtime().block_on(async {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        let stored = everything(&store).await;
        let ids: BTreeMap<u64, Uuid> = stored.iter().map(|e| (e.position.as_u64(), e.id)).collect();
        assert_eq!(ids, acked);
    });
}
