//! The process store keeps the checkpoint and the pending timers together, read by due time,
//! and takes over the JSON checkpoint earlier versions wrote.

use std::collections::BTreeSet;

use uuid::Uuid;
use zhuchao_app::process_store::{files_in, open_in, ProcessStore};
use zhuchao_app::timers::{TimerChanges, TimerTask};
use zhuchao_domain::ids::{OrderId, RfqId};

fn rfq(n: u128) -> RfqId {
    RfqId(Uuid::from_u128(n))
}

#[test]
fn timers_and_position_are_saved_together_and_read_by_due_time() {
    // given a store with three timers and a position
    let dir = tempfile::tempdir().expect("dir");
    {
        let mut store = open_in(dir.path()).expect("open");
        assert_eq!(store.position().expect("position"), 0);
        let mut changes = TimerChanges::default();
        changes.schedule(300, TimerTask::ExpireRfq(rfq(3)));
        changes.schedule(100, TimerTask::ExpireRfq(rfq(1)));
        changes.schedule(200, TimerTask::ExpireUnpaid(OrderId(Uuid::from_u128(2))));
        store.commit(&changes, 42).expect("commit");
        // when one fires and the next save happens
        let mut next = TimerChanges::default();
        next.finish((100, TimerTask::ExpireRfq(rfq(1))));
        store.commit(&next, 43).expect("commit");
    }
    // then, reopened, the position and the remaining timers are there, earliest first
    let store = open_in(dir.path()).expect("reopen");
    assert_eq!(store.position().expect("position"), 43);
    assert_eq!(store.pending().expect("pending"), 2);
    let due = store.due(1_000, 10).expect("due");
    assert_eq!(
        due,
        vec![
            (200, TimerTask::ExpireUnpaid(OrderId(Uuid::from_u128(2)))),
            (300, TimerTask::ExpireRfq(rfq(3))),
        ]
    );
    assert_eq!(
        store.due(250, 10).expect("due").len(),
        1,
        "only what is due"
    );
    assert_eq!(
        store.due(1_000, 1).expect("due").len(),
        1,
        "at most the limit"
    );
}

#[test]
fn a_timer_set_again_after_it_fired_is_pending_again() {
    let mut changes = TimerChanges::default();
    let timer = (5, TimerTask::OpenRfqToPool(rfq(9)));
    changes.schedule(timer.0, timer.1);
    changes.finish(timer);
    assert!(changes.added.is_empty());
    changes.schedule(timer.0, timer.1);
    assert_eq!(changes.added, BTreeSet::from([timer]));
    assert!(changes.done.is_empty());
}

#[test]
fn an_earlier_versions_json_checkpoint_is_taken_over_once() {
    // given the JSON checkpoint an earlier version left
    let dir = tempfile::tempdir().expect("dir");
    let (_, legacy) = files_in(dir.path());
    let task = serde_json::to_value(TimerTask::ExpireRfq(rfq(7))).expect("task");
    let old = serde_json::json!({ "position": 77, "timers": { "pending": [[500, task]] } });
    std::fs::write(&legacy, serde_json::to_vec(&old).expect("json")).expect("write");
    // when the store opens
    let store = open_in(dir.path()).expect("open");
    // then it holds the old position and timers, and the JSON file is gone
    assert_eq!(store.position().expect("position"), 77);
    assert_eq!(
        store.due(500, 10).expect("due"),
        vec![(500, TimerTask::ExpireRfq(rfq(7)))]
    );
    assert!(!legacy.exists());
}
