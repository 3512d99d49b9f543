//! The read models over a real embedded store: they resume from their checkpoint, page through
//! their indexes, number orders as the store ordered them, and start over from the first event
//! when their file cannot be trusted.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use uuid::Uuid;
use zhuchao_domain::credit_code::CreditCode;
use zhuchao_domain::dispute::{Dispute, DisputeCommand, DisputeReason};
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{Order, OrderCommand, Party};
use zhuchao_domain::rfq::{Invitee, Rfq, RfqCommand, RfqSpec};
use zhuchao_domain::supplier::{Contact, Supplier, SupplierCommand};
use zhuchao_domain::{Aggregate, DomainEvent, Timestamp, DAY_MS};
use zhuchao_eventstore::{
    Direction, EmbeddedStore, EventStore, ExpectedVersion, Metadata, NewEvent, StreamFrom,
    StreamName,
};
use zhuchao_views::{OrderScope, Page, ViewsHandle};

/// 2026-12-02 10:00 in China.
const DAY_ONE: Timestamp = 1_796_176_800_000;

/// Writes decided events straight to the store, as the command handler would.
struct Writer {
    store: EmbeddedStore,
}

impl Writer {
    async fn run<A: Aggregate>(&self, id: impl std::fmt::Display, command: A::Command) -> u64 {
        let stream = StreamName::new(format!("{}-{id}", A::KIND)).expect("stream");
        let history = self
            .store
            .read_stream(&stream, StreamFrom::Start, Direction::Forwards, 1000)
            .await
            .unwrap_or_default();
        let state = history.iter().fold(A::State::default(), |s, e| {
            let e = A::Event::decode_text(&e.event_type, e.schema_version, &e.payload)
                .expect("decodes");
            A::evolve(s, &e)
        });
        let events = A::decide(&state, command).unwrap_or_else(|e| panic!("decided: {e}"));
        let new = events
            .iter()
            .map(|e| {
                let (event_type, schema_version, body) = e.encode();
                NewEvent {
                    id: Uuid::now_v7(),
                    event_type: event_type.into(),
                    schema_version,
                    payload: body.to_string(),
                    metadata: Metadata::new(Uuid::now_v7(), DAY_ONE),
                }
            })
            .collect();
        self.store
            .append(&stream, ExpectedVersion::Any, new)
            .await
            .expect("appended")
            .position
            .as_u64()
    }

    async fn order(
        &self,
        company: CompanyId,
        supplier: SupplierId,
        at: Timestamp,
    ) -> (OrderId, u64) {
        let id = OrderId(Uuid::new_v4());
        let position = self
            .run::<Order>(
                id,
                OrderCommand::PlaceFromQuote {
                    id,
                    buyer: UserId(Uuid::new_v4()),
                    company,
                    supplier,
                    rfq: RfqId(Uuid::new_v4()),
                    quote: QuoteId(Uuid::new_v4()),
                    title: "Flange bolts M10".into(),
                    quantity: 100,
                    unit_price: Money::cny(150),
                    address: "宁波市北仑区 1 号".into(),
                    at,
                },
            )
            .await;
        (id, position)
    }

    async fn head(&self) -> u64 {
        self.store.head().await.expect("head").as_u64()
    }
}

fn page(after: Option<u64>, limit: usize) -> Page {
    Page {
        after,
        newest_first: true,
        limit,
    }
}

/// Opens the store in `dir`, waiting for a node that is stopping to let go of it.
async fn reopened(dir: &Path) -> EmbeddedStore {
    for _ in 0..100 {
        match EmbeddedStore::open(dir) {
            Ok(store) => return store,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("the store stayed locked")
}

async fn started(store: &EmbeddedStore, dir: &Path) -> ViewsHandle {
    let views = ViewsHandle::start(store.clone(), dir, |e| panic!("the views stopped: {e}"))
        .expect("views open");
    let head = store.head().await.expect("head").as_u64();
    views
        .wait_for(head, Duration::from_secs(10))
        .await
        .expect("caught up");
    views
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_s_orders_are_paged_newest_first_through_its_index() {
    // Given a busy company with 45 orders and another with 5
    let data = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(data.path().join("store")).expect("store");
    let w = Writer {
        store: store.clone(),
    };
    let (busy, quiet, supplier) = (
        CompanyId(Uuid::new_v4()),
        CompanyId(Uuid::new_v4()),
        SupplierId(Uuid::new_v4()),
    );
    let mut busy_orders = Vec::new();
    for i in 0..50 {
        let company = if i % 10 == 3 { quiet } else { busy };
        let (id, _) = w.order(company, supplier, DAY_ONE + i).await;
        if company == busy {
            busy_orders.push(id);
        }
    }
    let views = started(&store, &data.path().join("views")).await;

    // When the busy company reads its orders 20 at a time, each page after the last one's end
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let rows = views
            .read()
            .orders(OrderScope::Company(busy), page(after, 20));
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 20);
        after = rows.last().map(|(born, _, _)| *born);
        seen.extend(rows.into_iter().map(|(_, id, o)| {
            assert_eq!(o.company, Some(busy), "only the company's own orders");
            id
        }));
    }

    // Then it saw all of its 45 orders once, newest first
    busy_orders.reverse();
    assert_eq!(seen, busy_orders);
    let quiet_orders = views
        .read()
        .orders(OrderScope::Company(quiet), page(None, 20));
    assert_eq!(quiet_orders.len(), 5);
    let by_supplier = views
        .read()
        .orders(OrderScope::Supplier(supplier), page(None, 100));
    assert_eq!(by_supplier.len(), 50);
    assert_eq!(
        views.read().orders(OrderScope::All, page(None, 100)).len(),
        50
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_from_the_checkpoint_and_numbers_go_on() {
    // Given read models that followed three orders placed on one day
    let data = tempfile::tempdir().expect("tempdir");
    let views_dir = data.path().join("views");
    let (company, supplier) = (CompanyId(Uuid::new_v4()), SupplierId(Uuid::new_v4()));
    let first = {
        let store = EmbeddedStore::open(data.path().join("store")).expect("store");
        let w = Writer {
            store: store.clone(),
        };
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(w.order(company, supplier, DAY_ONE + i).await.0);
        }
        let views = started(&store, &views_dir).await;
        assert_eq!(
            views.read().order_number(ids[2]).as_deref(),
            Some("ZC-20261202-00003")
        );
        ids
    };

    // When the node starts again, and a fourth order is placed the same day
    let store = reopened(&data.path().join("store")).await;
    let head = store.head().await.expect("head").as_u64();
    let views = ViewsHandle::start(store.clone(), &views_dir, |e| panic!("stopped: {e}"))
        .expect("views open");

    // Then they hold everything at once, from their checkpoint, without folding it again
    assert_eq!(views.position(), head, "resumed at the checkpoint");
    let reader = views.read();
    assert_eq!(
        reader.order_number(first[0]).as_deref(),
        Some("ZC-20261202-00001")
    );
    assert_eq!(reader.order_by_number("ZC-20261202-00002"), Some(first[1]));
    assert_eq!(
        reader.order(first[2]).and_then(|o| o.company),
        Some(company)
    );
    assert_eq!(reader.catalog().open_orders.get(&supplier), Some(&3));
    drop(reader);
    let w = Writer {
        store: store.clone(),
    };
    let (fourth, position) = w.order(company, supplier, DAY_ONE + 10).await;
    let (next_day, position2) = w.order(company, supplier, DAY_ONE + DAY_MS).await;
    views
        .wait_for(position.max(position2), Duration::from_secs(10))
        .await
        .expect("caught up");
    assert_eq!(
        views.read().order_number(fourth).as_deref(),
        Some("ZC-20261202-00004"),
        "the day's count went on where it stopped"
    );
    assert_eq!(
        views.read().order_number(next_day).as_deref(),
        Some("ZC-20261203-00001")
    );
    assert_eq!(views.catalog().open_orders.get(&supplier), Some(&5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_another_layout_or_an_unfinished_rebuild_is_folded_again() {
    for found in [0, 999] {
        // Given read models whose file says layout `found` (0: a rebuild that never finished)
        let data = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(data.path().join("store")).expect("store");
        let w = Writer {
            store: store.clone(),
        };
        let (company, supplier) = (CompanyId(Uuid::new_v4()), SupplierId(Uuid::new_v4()));
        let (order, _) = w.order(company, supplier, DAY_ONE).await;
        let views_dir = data.path().join("views");
        drop(started(&store, &views_dir).await);
        let file = rusqlite::Connection::open(views_dir.join(zhuchao_views::FILE)).expect("file");
        file.pragma_update(None, "user_version", found)
            .expect("set");
        file.execute("DELETE FROM orders", []).expect("delete");
        drop(file);

        // When the node starts
        let views = started(&store, &views_dir).await;

        // Then the file was emptied and folded again from the first event
        assert_eq!(
            views.read().order(order).and_then(|o| o.company),
            Some(company),
            "layout {found}"
        );
        assert_eq!(views.position(), w.head().await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_and_the_dispute_queue_hold_only_what_is_waiting() {
    // Given a supplier of category C, invited to one RFQ, an RFQ of C open to the pool, an RFQ
    // of another category open to the pool, and a cancelled RFQ it was invited to
    let data = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(data.path().join("store")).expect("store");
    let w = Writer {
        store: store.clone(),
    };
    let (c, other) = (CategoryId(Uuid::new_v4()), CategoryId(Uuid::new_v4()));
    let me = SupplierId(Uuid::new_v4());
    let rival = SupplierId(Uuid::new_v4());
    w.run::<Supplier>(
        me,
        SupplierCommand::Apply {
            id: me,
            company_name: "厦门紧固件有限公司".into(),
            credit_code: CreditCode::parse("91350100M000100Y43").expect("code"),
            categories: vec![c],
            contact: Contact {
                name: "林".into(),
                phone: "0592-0000000".into(),
                email: "lin@example.com".into(),
            },
            deposit_required: Money::cny(1_000_000),
            at: DAY_ONE,
        },
    )
    .await;
    let buyer = UserId(Uuid::new_v4());
    let company = CompanyId(Uuid::new_v4());
    let rfq = |category: CategoryId, invited: SupplierId| {
        let id = RfqId(Uuid::new_v4());
        (
            id,
            RfqCommand::Create {
                id,
                buyer,
                company,
                spec: RfqSpec {
                    title: "Custom flange".into(),
                    description: String::new(),
                    category,
                    attributes: Default::default(),
                    quantity: 10,
                    drawings: vec![],
                    target_price: None,
                    deadline: DAY_ONE + 30 * DAY_MS,
                },
                schema: Some(Default::default()),
                invited: vec![Invitee {
                    id: invited,
                    known: true,
                    may_sell: true,
                }],
                response_sla_ms: DAY_MS,
                at: DAY_ONE,
            },
        )
    };
    let (invited, create) = rfq(other, me);
    w.run::<Rfq>(invited, create).await;
    let (pooled, create) = rfq(c, rival);
    w.run::<Rfq>(pooled, create).await;
    w.run::<Rfq>(
        pooled,
        RfqCommand::OpenToPool {
            at: DAY_ONE + DAY_MS,
        },
    )
    .await;
    let (elsewhere, create) = rfq(other, rival);
    w.run::<Rfq>(elsewhere, create).await;
    w.run::<Rfq>(
        elsewhere,
        RfqCommand::OpenToPool {
            at: DAY_ONE + DAY_MS,
        },
    )
    .await;
    let (cancelled, create) = rfq(c, me);
    w.run::<Rfq>(cancelled, create).await;
    w.run::<Rfq>(
        cancelled,
        RfqCommand::Cancel {
            buyer,
            reason: "bought elsewhere".into(),
            at: DAY_ONE + 1,
        },
    )
    .await;
    // … and two disputes, one of them withdrawn
    let mut disputes = Vec::new();
    for _ in 0..2 {
        let (order, _) = w.order(company, me, DAY_ONE).await;
        let id = DisputeId(Uuid::new_v4());
        w.run::<Dispute>(
            id,
            DisputeCommand::Open {
                id,
                order,
                company,
                supplier: me,
                opened_by: Party::Buyer,
                by: buyer,
                reason: DisputeReason::Damaged,
                statement: "Crushed in transit.".into(),
                files: vec![],
                claimed: Money::cny(100),
                held: Money::cny(15_000),
                answer_within_ms: 3 * DAY_MS,
                at: DAY_ONE + 2,
            },
        )
        .await;
        disputes.push(id);
    }
    w.run::<Dispute>(
        disputes[0],
        DisputeCommand::Withdraw {
            party: Party::Buyer,
            by: buyer,
            at: DAY_ONE + 3,
        },
    )
    .await;
    let views = started(&store, &data.path().join("views")).await;

    // When the supplier reads its inbox and an agent the queue
    let reader = views.read();
    let inbox: BTreeSet<RfqId> = reader
        .rfq_inbox(me, &[c], page(None, 50))
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    let queue: Vec<DisputeId> = reader
        .dispute_queue(Page {
            after: None,
            newest_first: false,
            limit: 50,
        })
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();

    // Then the inbox holds the RFQ it was invited to and the pool RFQ of its category only, and
    // the queue the dispute still open
    assert_eq!(inbox, BTreeSet::from([invited, pooled]));
    assert_eq!(queue, vec![disputes[1]]);
    let decided: Vec<DisputeId> = reader
        .decided_disputes(Page {
            after: None,
            newest_first: true,
            limit: 50,
        })
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    assert_eq!(
        decided,
        vec![disputes[0]],
        "the withdrawn one is on the agents' record"
    );
    assert!(reader.failure().is_none());

    // And pages of one walk the invited and the pooled RFQs together, newest first
    let first = reader.rfq_inbox(me, &[c], page(None, 1));
    assert_eq!(first.iter().map(|r| r.1).collect::<Vec<_>>(), vec![pooled]);
    let second = reader.rfq_inbox(me, &[c], page(Some(first[0].0), 1));
    assert_eq!(
        second.iter().map(|r| r.1).collect::<Vec<_>>(),
        vec![invited]
    );
    let third = reader.rfq_inbox(me, &[c], page(Some(second[0].0), 1));
    assert!(third.is_empty());
    drop(reader);

    // And when the RFQ it was invited to is cancelled while the views follow, it leaves the inbox
    let at = w
        .run::<Rfq>(
            invited,
            RfqCommand::Cancel {
                buyer,
                reason: "no longer needed".into(),
                at: DAY_ONE + 5,
            },
        )
        .await;
    views
        .wait_for(at, Duration::from_secs(10))
        .await
        .expect("caught up");
    let inbox: Vec<RfqId> = views
        .read()
        .rfq_inbox(me, &[c], page(None, 50))
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    assert_eq!(inbox, vec![pooled]);
}
