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

/// Runs the appender for `count` single-event commits, lets it run `settle` longer (the index
/// catches up in the background), and kills it. Returns the acknowledged ids by position.
fn commits_left_in_the_log(dir: &Path, count: u64, settle: Duration) -> BTreeMap<u64, Uuid> {
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
    std::thread::sleep(settle);
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

/// The newest segment of the store's log.
fn log_tail(dir: &Path) -> std::path::PathBuf {
    let mut segments: Vec<_> = std::fs::read_dir(dir.join(zhuchao_eventstore::embedded::LOG_DIR))
        .expect("the log exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    segments.sort();
    segments.pop().expect("a log segment")
}

fn cut(path: &Path, bytes: u64) {
    let len = std::fs::metadata(path).expect("the file exists").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    file.set_len(len.saturating_sub(bytes))
        .expect("cut the tail");
}

fn append_garbage(path: &Path, seed: u64) {
    let mut rng = XorShift(seed);
    let garbage: Vec<u8> = (0..9000).map(|_| rng.below(256) as u8).collect();
    let mut bytes = std::fs::read(path).expect("read");
    bytes.extend_from_slice(&garbage);
    std::fs::write(path, bytes).expect("write");
}

const INDEXED: Duration = Duration::from_millis(600);

async fn assert_holds_exactly(store: &EmbeddedStore, acked: &BTreeMap<u64, Uuid>) {
    let stored = everything(store).await;
    let ids: BTreeMap<u64, Uuid> = stored.iter().map(|e| (e.position.as_u64(), e.id)).collect();
    assert_eq!(&ids, acked);
    assert_eq!(
        store.verify().await.expect("verify"),
        acked.len() as u64,
        "the log and the index agree"
    );
}

#[test]
fn an_index_that_lost_its_tail_or_all_of_it_is_rebuilt_from_the_log() {
    for lose_everything in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        // Given twenty acknowledged commits, indexed,
        let acked = commits_left_in_the_log(dir.path(), 20, INDEXED);
        // when the index's unsynced log loses its end (a power cut before SQLite synced it), or
        // the whole index is deleted,
        if lose_everything {
            for suffix in ["", "-wal", "-shm"] {
                let file = dir.path().join(format!(
                    "{}{suffix}",
                    zhuchao_eventstore::embedded::DATABASE_FILE
                ));
                let _ = std::fs::remove_file(file);
            }
        } else {
            cut(&wal(dir.path()), 5000);
        }
        // then the log, synced before each acknowledgement, gives all twenty back.
        runtime().block_on(async {
            let store = EmbeddedStore::open(dir.path()).expect("open after losing the index");
            assert_holds_exactly(&store, &acked).await;
            let stream = StreamName::new("after-repair").expect("name");
            let result = store
                .append(&stream, ExpectedVersion::Any, vec![probe_event()])
                .await
                .expect("append after recovery");
            assert_eq!(result.position.as_u64(), 21);
        });
    }
}

#[test]
fn a_torn_last_commit_is_cut_back_to_the_last_whole_commit() {
    for settle in [Duration::ZERO, INDEXED] {
        let dir = tempfile::tempdir().expect("tempdir");
        // Given twenty commits (indexed or not yet),
        let mut acked = commits_left_in_the_log(dir.path(), 20, settle);
        // when the last one is torn in the log (the power failed while it was being written,
        // before it could have been acknowledged — even if the index already lists it),
        cut(&log_tail(dir.path()), 10);
        acked.remove(&20);
        // then the store opens with the nineteen whole commits, nothing torn is read, and the
        // next append takes the torn commit's place.
        runtime().block_on(async {
            let store = EmbeddedStore::open(dir.path()).expect("open after a torn tail");
            assert_holds_exactly(&store, &acked).await;
            let stream = StreamName::new("after-tear").expect("name");
            let probe = probe_event();
            acked.insert(20, probe.id);
            let result = store
                .append(&stream, ExpectedVersion::Any, vec![probe])
                .await
                .expect("append after recovery");
            assert_eq!(result.position.as_u64(), 20);
        });
        // and a second start finds the same nineteen plus the new one: the cut was for good.
        runtime().block_on(async {
            let store = EmbeddedStore::open(dir.path()).expect("reopen");
            assert_holds_exactly(&store, &acked).await;
        });
    }
}

#[test]
fn garbage_after_the_last_commit_is_never_read_as_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Given twenty commits,
    let acked = commits_left_in_the_log(dir.path(), 20, Duration::ZERO);
    // when half-written garbage follows them in the log,
    append_garbage(&log_tail(dir.path()), 0x9e37_79b9_7f4a_7c15);
    // then exactly the twenty acknowledged events are there.
    runtime().block_on(async {
        let store = EmbeddedStore::open(dir.path()).expect("open");
        assert_holds_exactly(&store, &acked).await;
    });
}
