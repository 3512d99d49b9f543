//! Many tasks racing on one aggregate through the real embedded store: optimistic concurrency
//! must let exactly one acceptance win, and an escrow must never pay out more than it holds.

mod support;

use std::collections::HashSet;

use support::{ctx, World};
use uuid::Uuid;
use zhuchao_app::marketplace::MarketError;
use zhuchao_domain::escrow::{Escrow, EscrowCommand, EscrowEvent, PayoutReason};
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::rfq::{Rfq, RfqCommand, RfqEvent, RfqSpec, RfqStatus};
use zhuchao_domain::{DomainEvent, DAY_MS, HOUR_MS};
use zhuchao_eventstore::{Direction, EventStore, StreamFrom, StreamName};

const BUYER: UserId = UserId(Uuid::from_u128(1));
const COMPANY: CompanyId = CompanyId(Uuid::from_u128(2));
const TASKS: usize = 200;

fn refused_or_lost(e: &MarketError) -> bool {
    matches!(e, MarketError::Rejected { .. } | MarketError::Conflict(_))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_tasks_racing_to_accept_quotes_award_exactly_one() {
    let world = World::new().await;
    let mut suppliers = Vec::new();
    for n in 0..20 {
        suppliers.push(world.active_supplier(n).await);
    }
    let rfq = RfqId(Uuid::now_v7());
    let now = world.clock_now();
    let spec = RfqSpec {
        title: "Custom studs".into(),
        description: String::new(),
        category: world.category,
        attributes: Default::default(),
        quantity: 100,
        drawings: vec![],
        target_price: None,
        deadline: now + 7 * DAY_MS,
    };
    world
        .market
        .create_rfq(&ctx("buyer"), rfq, BUYER, COMPANY, spec, suppliers.clone())
        .await
        .expect("rfq");
    let mut quotes = Vec::new();
    for (i, s) in suppliers.iter().enumerate() {
        let q = QuoteId(Uuid::now_v7());
        world
            .market
            .submit_quote(
                &ctx("supplier"),
                rfq,
                q,
                *s,
                Money::cny(100 + i as i64),
                5,
                now + 3 * DAY_MS,
                String::new(),
            )
            .await
            .expect("quote");
        quotes.push(q);
    }

    let racers: Vec<_> = (0..TASKS)
        .map(|i| {
            let market = world.market.clone();
            let quote = quotes[i % quotes.len()];
            tokio::spawn(async move {
                let accept = RfqCommand::Accept {
                    quote,
                    buyer: BUYER,
                    order: OrderId(Uuid::now_v7()),
                    address: "宁波市北仑区 1 号".into(),
                    at: now + HOUR_MS,
                };
                market.run::<Rfq>(&ctx("buyer"), rfq, accept).await
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        match racer.await.expect("task") {
            Ok(done) => {
                assert!(matches!(done.events[0], RfqEvent::QuoteAccepted(_)));
                winners += 1;
            }
            Err(e) => assert!(refused_or_lost(&e), "unexpected failure {e:?}"),
        }
    }
    assert_eq!(winners, 1, "exactly one acceptance wins");

    let stream = StreamName::new(format!("rfq-{rfq}")).expect("name");
    let stored = world
        .store
        .read_stream(&stream, StreamFrom::Start, Direction::Forwards, 10_000)
        .await
        .expect("read");
    let accepted = stored
        .iter()
        .filter(|e| e.event_type == "QuoteAccepted")
        .count();
    assert_eq!(accepted, 1, "one QuoteAccepted in the stream");
    assert_eq!(
        world
            .market
            .handler
            .load::<Rfq>(rfq)
            .await
            .expect("load")
            .state
            .status,
        RfqStatus::Awarded
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_tasks_releasing_and_refunding_one_escrow_never_overpay() {
    let world = World::new().await;
    let order = OrderId(Uuid::now_v7());
    let funded = Money::cny(10_000);
    let c = ctx("buyer");
    world
        .market
        .run::<Escrow>(
            &c,
            order,
            EscrowCommand::Open {
                order,
                supplier: SupplierId(Uuid::now_v7()),
                amount: funded,
                at: 0,
            },
        )
        .await
        .expect("open");
    world
        .market
        .run::<Escrow>(
            &c,
            order,
            EscrowCommand::Fund {
                payment_id: "p".into(),
                idempotency_key: "k".into(),
                amount: funded,
                at: 1,
            },
        )
        .await
        .expect("fund");

    let racers: Vec<_> = (0..TASKS)
        .map(|i| {
            let market = world.market.clone();
            tokio::spawn(async move {
                let command = if i % 2 == 0 {
                    EscrowCommand::Release {
                        payout: format!("release-{}", i % 7),
                        reason: PayoutReason::Receipt,
                        at: 2,
                    }
                } else {
                    EscrowCommand::Refund {
                        payout: format!("refund-{}", i % 5),
                        amount: Some(Money::cny(3_000)),
                        at: 2,
                    }
                };
                market.run::<Escrow>(&ctx("racer"), order, command).await
            })
        })
        .collect();
    for racer in racers {
        if let Err(e) = racer.await.expect("task") {
            assert!(refused_or_lost(&e), "unexpected failure {e:?}");
        }
    }

    let stream = StreamName::new(format!("escrow-{order}")).expect("name");
    let stored = world
        .store
        .read_stream(&stream, StreamFrom::Start, Direction::Forwards, 10_000)
        .await
        .expect("read");
    let (mut paid_out, mut payouts) = (0i64, HashSet::new());
    for recorded in &stored {
        let event = EscrowEvent::decode(
            &recorded.event_type,
            recorded.schema_version,
            serde_json::from_str(&recorded.payload).expect("json"),
        )
        .expect("decode");
        match event {
            EscrowEvent::EscrowReleased(r) => {
                paid_out += r.amount.minor;
                assert!(payouts.insert(r.payout), "a payout paid twice");
            }
            EscrowEvent::EscrowRefunded(r) => {
                paid_out += r.amount.minor;
                assert!(payouts.insert(r.payout), "a payout paid twice");
            }
            _ => {}
        }
    }
    assert!(
        paid_out <= funded.minor,
        "paid out {paid_out} of {}",
        funded.minor
    );
    assert!(!payouts.is_empty(), "some payout went through");
    let state = world
        .market
        .handler
        .load::<Escrow>(order)
        .await
        .expect("load")
        .state;
    assert!(state.remaining().minor >= 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_that_lose_a_race_are_decided_again_and_applied() {
    use zhuchao_domain::product::{Product, ProductCommand};
    let world = World::new().await;
    let supplier = world.active_supplier(1).await;
    let product = world.published_product(supplier).await;
    let before = world
        .market
        .handler
        .load::<Product>(product)
        .await
        .expect("load")
        .version;
    let tasks: Vec<_> = (0..6u64)
        .map(|n| {
            let market = world.market.clone();
            tokio::spawn(async move {
                market
                    .run::<Product>(
                        &ctx("supplier"),
                        product,
                        ProductCommand::SetStock { supplier, stock: n },
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("task")
            .expect("every stock update lands, retried if it lost a race");
    }
    let after = world
        .market
        .handler
        .load::<Product>(product)
        .await
        .expect("load")
        .version;
    assert_eq!(after, before.map(|v| v + 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_payments_of_one_order_with_twenty_keys_charge_it_once() {
    let mut world = World::new().await;
    let supplier = world.active_supplier(1).await;
    let product = world.published_product(supplier).await;
    let order = OrderId(Uuid::now_v7());
    world
        .market
        .place_cart_order(
            &ctx("buyer"),
            order,
            BUYER,
            COMPANY,
            vec![(product, 1000)],
            "宁波".into(),
            None,
        )
        .await
        .expect("placed");
    world.settle().await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let market = world.market.clone();
            tokio::spawn(async move {
                market
                    .pay_order(&ctx("buyer"), order, COMPANY, &format!("key-{i}"))
                    .await
            })
        })
        .collect();
    let mut paid = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => paid += 1,
            Err(e) => assert!(
                ["ALREADY_PAID", "PAYMENT_IN_PROGRESS"].contains(&e.code().as_str()),
                "{e}"
            ),
        }
    }
    assert_eq!(paid, 1);
    let total = world
        .market
        .handler
        .load::<zhuchao_domain::order::Order>(order)
        .await
        .expect("order")
        .state
        .total
        .expect("total");
    assert_eq!(
        world.payments.held_for(order),
        total.minor,
        "whatever was charged and not recorded was refunded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_identified_placing_sent_five_times_at_once_places_and_reserves_once() {
    let mut world = World::new().await;
    let supplier = world.active_supplier(1).await;
    let product = world.published_product(supplier).await;
    let order = OrderId(Uuid::now_v7());
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let market = world.market.clone();
            tokio::spawn(async move {
                market
                    .place_cart_order(
                        &ctx("buyer").identified_by(order.0),
                        order,
                        BUYER,
                        COMPANY,
                        vec![(product, 1000)],
                        "宁波".into(),
                        None,
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .expect("task")
            .expect("every try answers the order");
    }
    world.settle().await;
    let p = world
        .market
        .handler
        .load::<zhuchao_domain::product::Product>(product)
        .await
        .expect("product")
        .state;
    assert_eq!(p.reserved(), 1000, "reserved once");
    let stream = StreamName::new(format!("order-{order}")).expect("stream");
    let events = world
        .store
        .read_stream(&stream, StreamFrom::Start, Direction::Forwards, 10)
        .await
        .expect("read");
    assert_eq!(events.len(), 1, "placed once");
    assert_eq!(
        events[0].id,
        Uuid::new_v5(&order.0, format!("order-{order}@0").as_bytes()),
        "the event's id comes from the command, so a resent append is recognised"
    );
}
