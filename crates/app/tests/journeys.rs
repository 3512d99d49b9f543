//! The marketplace's journeys through the application layer on a real embedded store: commands
//! go through the handler, the process managers carry each step to the next, timers fire from
//! the manual clock.

mod support;

use support::{ctx, World};
use uuid::Uuid;
use zhuchao_domain::credit_record::{CreditEntry, CreditRecord};
use zhuchao_domain::dispute::DisputeReason;
use zhuchao_domain::escrow::Escrow;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{Order, OrderCommand, OrderStatus, Party};
use zhuchao_domain::rfq::{Rfq, RfqCommand, RfqSpec, RfqStatus};
use zhuchao_domain::supplier::Supplier;
use zhuchao_domain::{DAY_MS, HOUR_MS};

const BUYER: UserId = UserId(Uuid::from_u128(1));
const COMPANY: CompanyId = CompanyId(Uuid::from_u128(2));

async fn pay(world: &World, order: OrderId, amount: Money) {
    let key = format!("pay-{order}");
    let funded = world
        .market
        .pay_order(&ctx("buyer"), order, COMPANY, &key)
        .await
        .expect("pay");
    assert!(
        matches!(&funded.events[0], zhuchao_domain::payment::PaymentEvent::PaymentCaptured(p) if p.amount == amount)
    );
    let again = world
        .market
        .pay_order(&ctx("buyer"), order, COMPANY, &key)
        .await
        .expect("a retried payment");
    assert!(
        again.events.is_empty(),
        "a retried payment charges and funds nothing twice"
    );
    let other = world
        .market
        .pay_order(&ctx("buyer"), order, CompanyId(Uuid::from_u128(99)), "k2")
        .await;
    assert_eq!(
        other.expect_err("another company's order").code().as_str(),
        "NOT_FOUND"
    );
}

async fn order_status(world: &World, order: OrderId) -> OrderStatus {
    world
        .market
        .handler
        .load::<Order>(order)
        .await
        .expect("load")
        .state
        .status
}

/// A cart order, paid and shipped, returned as (order, total).
async fn shipped_order(world: &mut World) -> (OrderId, SupplierId, Money) {
    let supplier = world.active_supplier(1).await;
    let product = world.published_product(supplier).await;
    let order = OrderId(Uuid::now_v7());
    let placed = world
        .market
        .place_cart_order(
            &ctx("buyer"),
            order,
            BUYER,
            COMPANY,
            vec![(product, 1000)],
            "宁波市北仑区 1 号".into(),
            None,
        )
        .await
        .expect("place");
    let total = match &placed.events[0] {
        zhuchao_domain::order::OrderEvent::OrderPlaced(p) => p.total,
        other => panic!("{other:?}"),
    };
    world.settle().await;
    pay(world, order, total).await;
    world.settle().await;
    let ship = OrderCommand::Ship {
        supplier,
        carrier: "顺丰".into(),
        tracking: "SF1001".into(),
        at: world.clock_now(),
    };
    world
        .market
        .run::<Order>(&ctx("supplier"), order, ship)
        .await
        .expect("ship");
    (order, supplier, total)
}

#[tokio::test]
async fn a_cart_order_is_paid_into_escrow_and_released_on_receipt() {
    let mut world = World::new().await;
    let (order, _, total) = shipped_order(&mut world).await;
    assert_eq!(
        total,
        Money::cny(38 * 1000 + 1500),
        "the 1,000+ tier price plus shipping"
    );
    assert_eq!(order_status(&world, order).await, OrderStatus::Shipped);

    world
        .market
        .run::<Order>(
            &ctx("buyer"),
            order,
            OrderCommand::ConfirmReceipt {
                company: COMPANY,
                at: world.clock_now(),
            },
        )
        .await
        .expect("receive");
    world.settle().await;

    let escrow = world
        .market
        .handler
        .load::<Escrow>(order)
        .await
        .expect("escrow")
        .state;
    assert_eq!(escrow.released, Some(total));
    assert_eq!(order_status(&world, order).await, OrderStatus::Completed);
    let rated = world
        .market
        .rate_order(
            &ctx("buyer"),
            order,
            COMPANY,
            BUYER,
            (5, 5, 4),
            "准时".into(),
        )
        .await;
    assert!(rated.is_ok(), "{rated:?}");
}

#[tokio::test]
async fn an_undisputed_delivery_is_released_automatically_even_across_a_restart() {
    let mut world = World::new().await;
    let (order, _, total) = shipped_order(&mut world).await;
    world
        .market
        .run::<Order>(
            &ctx("carrier"),
            order,
            OrderCommand::MarkDelivered {
                at: world.clock_now(),
            },
        )
        .await
        .expect("delivered");
    world.settle().await;

    world.restart_processes();
    world.pass(6 * DAY_MS).await;
    assert_eq!(
        order_status(&world, order).await,
        OrderStatus::Delivered,
        "not yet"
    );
    world.restart_processes();
    world.pass(DAY_MS).await;
    let escrow = world
        .market
        .handler
        .load::<Escrow>(order)
        .await
        .expect("escrow")
        .state;
    assert_eq!(escrow.released, Some(total));
    assert_eq!(order_status(&world, order).await, OrderStatus::Completed);
}

#[tokio::test]
async fn a_supplier_silent_in_a_dispute_loses_by_default_and_its_credit_record_shows_it() {
    let mut world = World::new().await;
    let (order, supplier, total) = shipped_order(&mut world).await;
    world
        .market
        .run::<Order>(
            &ctx("carrier"),
            order,
            OrderCommand::MarkDelivered {
                at: world.clock_now(),
            },
        )
        .await
        .expect("delivered");
    world.settle().await;

    let dispute = DisputeId(Uuid::now_v7());
    let claimed = Money::cny(20_000);
    world
        .market
        .open_dispute(
            &ctx("buyer"),
            dispute,
            order,
            Party::Buyer,
            BUYER,
            (Some(COMPANY), None),
            DisputeReason::NotAsDescribed,
            "grade 8.8 delivered, A2-70 ordered".into(),
            vec![],
            claimed,
        )
        .await
        .expect("open dispute");
    world.settle().await;
    assert_eq!(order_status(&world, order).await, OrderStatus::Disputed);

    // The auto-release falls due while the dispute holds the money: nothing is released.
    world.pass(3 * DAY_MS).await;
    let escrow = world
        .market
        .handler
        .load::<Escrow>(order)
        .await
        .expect("escrow")
        .state;
    assert_eq!(escrow.refunded, Some(claimed));
    assert_eq!(
        escrow.released,
        Some(Money::cny(total.minor - claimed.minor))
    );
    assert_eq!(order_status(&world, order).await, OrderStatus::Resolved);
    world.pass(7 * DAY_MS).await;
    let escrow = world
        .market
        .handler
        .load::<Escrow>(order)
        .await
        .expect("escrow")
        .state;
    assert_eq!(
        escrow.released,
        Some(Money::cny(total.minor - claimed.minor)),
        "nothing paid twice"
    );

    let s = world
        .market
        .handler
        .load::<Supplier>(supplier)
        .await
        .expect("supplier")
        .state;
    assert_eq!(s.warnings, 1);
    let code = s.credit_code.expect("code");
    let record = world
        .market
        .handler
        .load::<CreditRecord>(code.as_str())
        .await
        .expect("record")
        .state;
    assert!(record
        .history
        .iter()
        .any(|e| matches!(e, CreditEntry::Warning { .. })));
    assert!(record
        .history
        .iter()
        .any(|e| matches!(e, CreditEntry::DisputeLost { dispute: d, .. } if *d == dispute)));
}

#[tokio::test]
async fn an_rfq_opens_to_the_pool_after_its_sla_and_an_accepted_quote_becomes_an_order() {
    let mut world = World::new().await;
    let (a, b, pool) = (
        world.active_supplier(1).await,
        world.active_supplier(2).await,
        world.active_supplier(3).await,
    );
    let rfq = RfqId(Uuid::now_v7());
    let now = world.clock_now();
    let spec = RfqSpec {
        title: "Flange bolts M10×45, Dacromet".into(),
        description: "per drawing".into(),
        category: world.category,
        attributes: [("thread".to_string(), "M10".to_string())].into(),
        quantity: 5000,
        drawings: vec![support::file_ref("d.pdf")],
        target_price: None,
        deadline: now + 7 * DAY_MS,
    };
    world
        .market
        .create_rfq(&ctx("buyer"), rfq, BUYER, COMPANY, spec, vec![a, b])
        .await
        .expect("rfq");
    world.settle().await;

    let early = world
        .market
        .submit_quote(
            &ctx("pool"),
            rfq,
            QuoteId(Uuid::now_v7()),
            pool,
            Money::cny(70),
            8,
            now + 5 * DAY_MS,
            String::new(),
        )
        .await;
    assert_eq!(
        early.expect_err("not invited yet").code().as_str(),
        "NOT_INVITED"
    );

    world.settle().await;
    world.restart_processes();
    world.pass(24 * HOUR_MS).await;
    let state = world
        .market
        .handler
        .load::<Rfq>(rfq)
        .await
        .expect("rfq")
        .state;
    assert!(
        state.pool_open,
        "no invited supplier quoted, so the pool opened"
    );
    world
        .market
        .submit_quote(
            &ctx("a"),
            rfq,
            QuoteId(Uuid::now_v7()),
            a,
            Money::cny(75),
            10,
            now + 5 * DAY_MS,
            String::new(),
        )
        .await
        .expect("an invited supplier may still quote");

    let quote_pool = QuoteId(Uuid::now_v7());
    world
        .market
        .submit_quote(
            &ctx("pool"),
            rfq,
            quote_pool,
            pool,
            Money::cny(70),
            8,
            now + 5 * DAY_MS,
            String::new(),
        )
        .await
        .expect("pool quote");
    let at = world.clock_now();
    world
        .market
        .run::<Rfq>(
            &ctx("buyer"),
            rfq,
            RfqCommand::CounterOffer {
                quote: quote_pool,
                buyer: BUYER,
                unit_price: Money::cny(66),
                note: "0.66?".into(),
                at,
            },
        )
        .await
        .expect("counter");
    world
        .market
        .run::<Rfq>(
            &ctx("pool"),
            rfq,
            RfqCommand::ReviseQuote {
                quote: quote_pool,
                supplier: pool,
                unit_price: Money::cny(68),
                lead_time_days: 8,
                valid_until: at + 3 * DAY_MS,
                note: "0.68".into(),
                at,
            },
        )
        .await
        .expect("revise");
    let order = OrderId(Uuid::now_v7());
    world
        .market
        .run::<Rfq>(
            &ctx("buyer"),
            rfq,
            RfqCommand::Accept {
                quote: quote_pool,
                buyer: BUYER,
                order,
                address: "宁波市北仑区 1 号".into(),
                at,
            },
        )
        .await
        .expect("accept");
    world.settle().await;

    let placed = world
        .market
        .handler
        .load::<Order>(order)
        .await
        .expect("order")
        .state;
    assert_eq!(placed.supplier, Some(pool));
    assert_eq!(placed.total, Some(Money::cny(68 * 5000)));
    let escrow = world
        .market
        .handler
        .load::<Escrow>(order)
        .await
        .expect("escrow")
        .state;
    assert_eq!(
        escrow.expected,
        Some(Money::cny(68 * 5000)),
        "the order opened its escrow"
    );
    assert_eq!(
        world
            .market
            .handler
            .load::<Rfq>(rfq)
            .await
            .expect("rfq")
            .state
            .status,
        RfqStatus::Awarded
    );
}

#[tokio::test]
async fn replaying_the_processes_from_the_start_changes_nothing() {
    let mut world = World::new().await;
    let (order, _, _) = shipped_order(&mut world).await;
    world
        .market
        .run::<Order>(
            &ctx("buyer"),
            order,
            OrderCommand::ConfirmReceipt {
                company: COMPANY,
                at: world.clock_now(),
            },
        )
        .await
        .expect("receive");
    world.settle().await;
    use zhuchao_eventstore::EventStore;
    let head = world.store.head().await.expect("head");

    world.forget_process_checkpoint();
    world.restart_processes();
    world.settle().await;
    assert_eq!(
        world.store.head().await.expect("head"),
        head,
        "every process step is idempotent"
    );
}

#[tokio::test]
async fn three_low_ratings_warn_the_supplier() {
    let mut world = World::new().await;
    let supplier = world.active_supplier(1).await;
    let product = world.published_product(supplier).await;
    for _ in 0..3 {
        let order = OrderId(Uuid::now_v7());
        let placed = world
            .market
            .place_cart_order(
                &ctx("buyer"),
                order,
                BUYER,
                COMPANY,
                vec![(product, 100)],
                "宁波".into(),
                None,
            )
            .await
            .expect("place");
        let total = match &placed.events[0] {
            zhuchao_domain::order::OrderEvent::OrderPlaced(p) => p.total,
            other => panic!("{other:?}"),
        };
        world.settle().await;
        pay(&world, order, total).await;
        world.settle().await;
        let at = world.clock_now();
        world
            .market
            .run::<Order>(
                &ctx("supplier"),
                order,
                OrderCommand::Ship {
                    supplier,
                    carrier: "顺丰".into(),
                    tracking: "SF".into(),
                    at,
                },
            )
            .await
            .expect("ship");
        world
            .market
            .run::<Order>(
                &ctx("buyer"),
                order,
                OrderCommand::ConfirmReceipt {
                    company: COMPANY,
                    at,
                },
            )
            .await
            .expect("receive");
        world.settle().await;
        world
            .market
            .rate_order(
                &ctx("buyer"),
                order,
                COMPANY,
                BUYER,
                (1, 2, 1),
                "late and wrong".into(),
            )
            .await
            .expect("rate");
        world.settle().await;
    }
    let s = world
        .market
        .handler
        .load::<Supplier>(supplier)
        .await
        .expect("supplier")
        .state;
    assert_eq!(s.warnings, 1, "the third low rating warns");
    let record = world
        .market
        .handler
        .load::<CreditRecord>(s.credit_code.expect("code").as_str())
        .await
        .expect("record")
        .state;
    assert!(record.history.iter().any(
        |e| matches!(e, CreditEntry::Warning { reason, .. } if reason.contains("low ratings"))
    ));
}

#[tokio::test]
async fn an_event_the_processes_cannot_read_stops_them_there_instead_of_being_skipped() {
    use zhuchao_app::processes::ProcessError;
    use zhuchao_eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StreamName};
    let mut world = World::new().await;
    world.settle().await;
    let before = world.processes.position();
    let stream = StreamName::new(format!("order-{}", Uuid::now_v7())).expect("stream");
    let written = world
        .store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![NewEvent {
                id: Uuid::now_v7(),
                event_type: "OrderPlaced".into(),
                schema_version: 1,
                payload: "{\"not\": \"an order\"}".into(),
                metadata: Metadata::new(Uuid::now_v7(), world.clock_now()),
            }],
        )
        .await
        .expect("append");
    for _ in 0..2 {
        match world.processes.catch_up().await {
            Err(ProcessError::Unreadable { position, .. }) => {
                assert_eq!(position, written.position.as_u64())
            }
            other => panic!("expected the processes to stop: {other:?}"),
        }
        assert!(
            world.processes.position() < written.position.as_u64(),
            "the checkpoint stays before the unreadable event"
        );
        assert!(world.processes.position() >= before);
    }
}

#[tokio::test]
async fn rulings_decided_together_record_the_penalty_they_ruled_and_what_the_deposit_lacked() {
    let mut world = World::new().await;
    let supplier = world.active_supplier(1).await;
    let product = world.published_product(supplier).await;
    let mut disputes = Vec::new();
    for _ in 0..2 {
        let order = OrderId(Uuid::now_v7());
        world
            .market
            .place_cart_order(
                &ctx("buyer"),
                order,
                BUYER,
                COMPANY,
                vec![(product, 100)],
                "宁波".into(),
                None,
            )
            .await
            .expect("place");
        world.settle().await;
        world
            .market
            .pay_order(&ctx("buyer"), order, COMPANY, &format!("pay-{order}"))
            .await
            .expect("pay");
        world.settle().await;
        let dispute = DisputeId(Uuid::now_v7());
        world
            .market
            .open_dispute(
                &ctx("buyer"),
                dispute,
                order,
                Party::Buyer,
                BUYER,
                (Some(COMPANY), None),
                DisputeReason::NotShipped,
                "nothing came".into(),
                vec![],
                Money::cny(100),
            )
            .await
            .expect("dispute");
        world.settle().await;
        let held = world
            .market
            .handler
            .load::<Escrow>(order)
            .await
            .expect("escrow")
            .state
            .remaining();
        disputes.push((dispute, held));
    }
    // Both rulings are decided before either penalty is taken: each sees the whole deposit.
    let deposit = Money::cny(2_000_000);
    for (dispute, held) in &disputes {
        world
            .market
            .rule_dispute(
                &ctx("agent"),
                *dispute,
                world.agent,
                *held,
                Money::cny(0),
                Some(deposit),
                false,
                "refund and penalty".into(),
            )
            .await
            .expect("ruled");
    }
    world.settle().await;
    let s = world
        .market
        .handler
        .load::<Supplier>(supplier)
        .await
        .expect("supplier")
        .state;
    assert_eq!(s.deposit_held, Some(Money::cny(0)), "never below zero");
    let record = world
        .market
        .handler
        .load::<CreditRecord>(s.credit_code.expect("code").as_str())
        .await
        .expect("record")
        .state;
    let penalties: Vec<_> = record
        .history
        .iter()
        .filter_map(|e| match e {
            CreditEntry::Penalty { amount, reason, .. } => Some((*amount, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(penalties.len(), 2);
    assert!(
        penalties.iter().all(|(amount, _)| *amount == deposit),
        "each entry shows the penalty ruled: {penalties:?}"
    );
    assert!(
        penalties.iter().any(|(_, reason)| reason.contains("owed")),
        "the shortfall is named: {penalties:?}"
    );
}

#[tokio::test]
async fn an_application_for_a_category_that_does_not_exist_claims_nothing() {
    use zhuchao_app::marketplace::SupplierApplication;
    use zhuchao_domain::credit_code::CreditCode;
    use zhuchao_domain::supplier::Contact;
    let world = World::new().await;
    let code = CreditCode::with_check_character("91330200MA2000077").expect("code");
    let apply = |category| SupplierApplication {
        id: SupplierId(Uuid::now_v7()),
        company_name: "宁波无类目有限公司".into(),
        credit_code: code.as_str().to_string(),
        categories: vec![category],
        contact: Contact {
            name: "王经理".into(),
            phone: "13800000000".into(),
            email: String::new(),
        },
    };
    let refused = world
        .market
        .apply_supplier(&ctx("supplier"), apply(CategoryId(Uuid::now_v7())))
        .await
        .expect_err("no such category");
    assert_eq!(refused.code().as_str(), "NO_SUCH_CATEGORY");
    world
        .market
        .apply_supplier(&ctx("supplier"), apply(world.category))
        .await
        .expect("the credit code was not claimed by the refused application");
}
