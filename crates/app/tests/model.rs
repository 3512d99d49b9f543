//! A model-based test: random sequences of marketplace commands from two buyers, a supplier and
//! an agent run through the command handling, the process managers and the timers on a real
//! embedded store, and after every step the marketplace's invariants are checked against a
//! small model: stock, reservations, escrow, the deposit, disputes and their orders, and that
//! no order is left where nobody can move it.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use support::{ctx, World};
use uuid::Uuid;
use zhuchao_domain::dispute::{Dispute, DisputeCommand, DisputeReason, DisputeStatus};
use zhuchao_domain::escrow::Escrow;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{Order, OrderCommand, OrderState, OrderStatus, Party};
use zhuchao_domain::product::{Product, ProductCommand};
use zhuchao_domain::supplier::{Supplier, SupplierCommand};
use zhuchao_domain::{DAY_MS, HOUR_MS};

const BUYERS: [(UserId, CompanyId); 2] = [
    (UserId(Uuid::from_u128(1)), CompanyId(Uuid::from_u128(2))),
    (UserId(Uuid::from_u128(3)), CompanyId(Uuid::from_u128(4))),
];
/// What the supplier's deposit starts with (the test world pays it in full), in fen.
const DEPOSIT: i64 = 2_000_000;
const TOP_UP: i64 = 100_000;

#[derive(Clone, Debug)]
enum Action {
    Place {
        buyer: usize,
        products: Vec<(usize, u64)>,
    },
    Pay {
        order: usize,
        key: u8,
    },
    Cancel {
        order: usize,
        by_supplier: bool,
    },
    Ship(usize),
    Deliver(usize),
    Confirm(usize),
    RequestReturn(usize),
    ApproveReturn(usize),
    RejectReturn(usize),
    ShipReturn(usize),
    ReceiveReturn(usize),
    OpenDispute {
        order: usize,
        by_supplier: bool,
    },
    Withdraw(usize),
    Rule {
        order: usize,
        /// 0: all to the supplier, 1: half each, 2: all back to the buyer.
        refund: u8,
        penalty: bool,
    },
    SetStock {
        product: usize,
        stock: u64,
    },
    PayDeposit {
        reference: u8,
    },
    PassTime {
        hours: i64,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let order = 0..6usize;
    prop_oneof![
        4 => (0..2usize, prop::collection::vec((0..2usize, 1..30u64), 1..3))
            .prop_map(|(buyer, products)| Action::Place { buyer, products }),
        6 => (order.clone(), 0..3u8).prop_map(|(order, key)| Action::Pay { order, key }),
        1 => (order.clone(), any::<bool>()).prop_map(|(order, by_supplier)| Action::Cancel { order, by_supplier }),
        4 => order.clone().prop_map(Action::Ship),
        3 => order.clone().prop_map(Action::Deliver),
        2 => order.clone().prop_map(Action::Confirm),
        1 => order.clone().prop_map(Action::RequestReturn),
        1 => order.clone().prop_map(Action::ApproveReturn),
        1 => order.clone().prop_map(Action::RejectReturn),
        1 => order.clone().prop_map(Action::ShipReturn),
        1 => order.clone().prop_map(Action::ReceiveReturn),
        2 => (order.clone(), any::<bool>()).prop_map(|(order, by_supplier)| Action::OpenDispute { order, by_supplier }),
        1 => order.clone().prop_map(Action::Withdraw),
        2 => (order, 0..3u8, any::<bool>()).prop_map(|(order, refund, penalty)| Action::Rule { order, refund, penalty }),
        1 => (0..2usize, prop::sample::select(vec![0u64, 500, 3_000, 20_000]))
            .prop_map(|(product, stock)| Action::SetStock { product, stock }),
        1 => (0..3u8).prop_map(|reference| Action::PayDeposit { reference }),
        1 => prop::sample::select(vec![1i64, 30, 24 * 4, 24 * 8]).prop_map(|hours| Action::PassTime { hours }),
    ]
}

/// What the test knows independently of the store.
struct Model {
    supplier: SupplierId,
    products: [ProductId; 2],
    on_hand: [u64; 2],
    orders: Vec<(OrderId, usize)>,
    disputes: BTreeMap<OrderId, Vec<DisputeId>>,
    deposit: i64,
    deposit_refs: BTreeSet<u8>,
}

impl Model {
    fn order(&self, i: usize) -> Option<(OrderId, usize)> {
        (!self.orders.is_empty()).then(|| self.orders[i % self.orders.len()])
    }
}

async fn order_state(world: &World, id: OrderId) -> OrderState {
    world
        .market
        .handler
        .load::<Order>(id)
        .await
        .expect("order")
        .state
}

/// Whether an order holds its stock: placed, and neither shipped nor ended.
fn holds_stock(o: &OrderState) -> bool {
    matches!(o.status, OrderStatus::Placed | OrderStatus::Paid)
        || (o.status == OrderStatus::Disputed && o.before_dispute == Some(OrderStatus::Paid))
}

async fn step(world: &mut World, model: &mut Model, action: &Action) {
    let now = world.clock_now();
    let supplier = model.supplier;
    let c = ctx("model");
    match action {
        Action::Place { buyer, products } => {
            let (user, company) = BUYERS[*buyer];
            let id = OrderId(Uuid::now_v7());
            let items = products
                .iter()
                .map(|(p, packs)| (model.products[*p], packs * 100))
                .collect();
            if world
                .market
                .place_cart_order(&c, id, user, company, items, "宁波".into(), None)
                .await
                .is_ok()
            {
                model.orders.push((id, *buyer));
            }
        }
        Action::Pay { order, key } => {
            if let Some((id, buyer)) = model.order(*order) {
                let key = format!("{id}-{key}");
                let _ = world.market.pay_order(&c, id, BUYERS[buyer].1, &key).await;
            }
        }
        Action::Cancel { order, by_supplier } => {
            if let Some((id, buyer)) = model.order(*order) {
                let (party, company, seller) = if *by_supplier {
                    (Party::Supplier, None, Some(supplier))
                } else {
                    (Party::Buyer, Some(BUYERS[buyer].1), None)
                };
                let cancel = OrderCommand::Cancel {
                    party,
                    company,
                    supplier: seller,
                    reason: "changed plans".into(),
                    at: now,
                };
                let _ = world.market.run::<Order>(&c, id, cancel).await;
            }
        }
        Action::Ship(i) => {
            if let Some((id, _)) = model.order(*i) {
                let before = order_state(world, id).await;
                let ship = OrderCommand::Ship {
                    supplier,
                    carrier: "顺丰".into(),
                    tracking: "SF1".into(),
                    at: now,
                };
                if world.market.run::<Order>(&c, id, ship).await.is_ok() {
                    for line in &before.lines {
                        let p = model.products.iter().position(|p| Some(*p) == line.product);
                        if let Some(p) = p {
                            model.on_hand[p] -= line.quantity;
                        }
                    }
                }
            }
        }
        Action::Deliver(i) => {
            if let Some((id, _)) = model.order(*i) {
                let _ = world
                    .market
                    .run::<Order>(&c, id, OrderCommand::MarkDelivered { at: now })
                    .await;
            }
        }
        Action::Confirm(i) => {
            if let Some((id, buyer)) = model.order(*i) {
                let confirm = OrderCommand::ConfirmReceipt {
                    company: BUYERS[buyer].1,
                    at: now,
                };
                let _ = world.market.run::<Order>(&c, id, confirm).await;
            }
        }
        Action::RequestReturn(i) => {
            if let Some((id, buyer)) = model.order(*i) {
                let request = OrderCommand::RequestReturn {
                    company: BUYERS[buyer].1,
                    reason: "wrong grade".into(),
                    at: now,
                };
                let _ = world.market.run::<Order>(&c, id, request).await;
            }
        }
        Action::ApproveReturn(i) => {
            if let Some((id, _)) = model.order(*i) {
                let approve = OrderCommand::ApproveReturn { supplier, at: now };
                let _ = world.market.run::<Order>(&c, id, approve).await;
            }
        }
        Action::RejectReturn(i) => {
            if let Some((id, _)) = model.order(*i) {
                let reject = OrderCommand::RejectReturn {
                    supplier,
                    reason: "used".into(),
                    at: now,
                };
                let _ = world.market.run::<Order>(&c, id, reject).await;
            }
        }
        Action::ShipReturn(i) => {
            if let Some((id, buyer)) = model.order(*i) {
                let ship = OrderCommand::ShipReturn {
                    company: BUYERS[buyer].1,
                    carrier: "德邦".into(),
                    tracking: "DB1".into(),
                    at: now,
                };
                let _ = world.market.run::<Order>(&c, id, ship).await;
            }
        }
        Action::ReceiveReturn(i) => {
            if let Some((id, _)) = model.order(*i) {
                let before = order_state(world, id).await;
                let receive = OrderCommand::ConfirmReturnReceived { supplier, at: now };
                if world.market.run::<Order>(&c, id, receive).await.is_ok() {
                    for line in &before.lines {
                        let p = model.products.iter().position(|p| Some(*p) == line.product);
                        if let Some(p) = p {
                            model.on_hand[p] += line.quantity;
                        }
                    }
                }
            }
        }
        Action::OpenDispute { order, by_supplier } => {
            if let Some((id, buyer)) = model.order(*order) {
                let (user, company) = BUYERS[buyer];
                let (party, by, sides) = if *by_supplier {
                    (
                        Party::Supplier,
                        UserId(Uuid::from_u128(9)),
                        (None, Some(supplier)),
                    )
                } else {
                    (Party::Buyer, user, (Some(company), None))
                };
                let dispute = DisputeId(Uuid::now_v7());
                let opened = world
                    .market
                    .open_dispute(
                        &c,
                        dispute,
                        id,
                        party,
                        by,
                        sides,
                        DisputeReason::NotAsDescribed,
                        "not as ordered".into(),
                        vec![],
                        Money::cny(100),
                    )
                    .await;
                if opened.is_ok() {
                    model.disputes.entry(id).or_default().push(dispute);
                }
            }
        }
        Action::Withdraw(i) => {
            if let Some((id, buyer)) = model.order(*i) {
                if let Some(d) = model.disputes.get(&id).and_then(|d| d.last()) {
                    let withdraw = DisputeCommand::Withdraw {
                        party: Party::Buyer,
                        by: BUYERS[buyer].0,
                        at: now,
                    };
                    let _ = world.market.run::<Dispute>(&c, *d, withdraw).await;
                }
            }
        }
        Action::Rule {
            order,
            refund,
            penalty,
        } => {
            if let Some((id, _)) = model.order(*order) {
                if let Some(d) = model.disputes.get(&id).and_then(|d| d.last()).copied() {
                    let held = world
                        .market
                        .handler
                        .load::<Dispute>(d)
                        .await
                        .expect("dispute")
                        .state
                        .held
                        .map_or(0, |m| m.minor);
                    let back = match refund {
                        0 => 0,
                        1 => held / 2,
                        _ => held,
                    };
                    let fine = penalty.then_some(Money::cny(TOP_UP));
                    let ruled = world
                        .market
                        .rule_dispute(
                            &c,
                            d,
                            world.agent,
                            Money::cny(back),
                            Money::cny(held - back),
                            fine,
                            false,
                            "ruled".into(),
                        )
                        .await;
                    if ruled.is_ok_and(|r| !r.events.is_empty()) && *penalty {
                        model.deposit -= TOP_UP;
                    }
                }
            }
        }
        Action::SetStock { product, stock } => {
            let set = ProductCommand::SetStock {
                supplier,
                stock: *stock,
            };
            if world
                .market
                .run::<Product>(&c, model.products[*product], set)
                .await
                .is_ok()
            {
                model.on_hand[*product] = *stock;
            }
        }
        Action::PayDeposit { reference } => {
            let pay = SupplierCommand::PayDeposit {
                amount: Money::cny(TOP_UP),
                payment_ref: format!("top-up-{reference}"),
                at: now,
            };
            let paid = world.market.run::<Supplier>(&c, supplier, pay).await;
            if paid.is_ok_and(|p| !p.events.is_empty()) {
                assert!(
                    model.deposit_refs.insert(*reference),
                    "a payment reference counted twice"
                );
                model.deposit += TOP_UP;
            }
        }
        Action::PassTime { hours } => {
            world.pass(hours * HOUR_MS).await;
        }
    }
    world.settle().await;
}

async fn check(world: &World, model: &Model, after: &Action) {
    let h = &world.market.handler;
    let mut expected_reserved = [0u64; 2];
    for (id, _) in &model.orders {
        let o = order_state(world, *id).await;
        let e = h.load::<Escrow>(*id).await.expect("escrow").state;
        if holds_stock(&o) {
            for line in &o.lines {
                if let Some(p) = model.products.iter().position(|p| Some(*p) == line.product) {
                    expected_reserved[p] += line.quantity;
                }
            }
        }
        let funded = e.funded.map_or(0, |m| m.minor);
        let released = e.released.map_or(0, |m| m.minor);
        let refunded = e.refunded.map_or(0, |m| m.minor);
        let total = o.total.map_or(0, |m| m.minor);
        let context = format!("order {id} after {after:?}: {o:?} / {e:?}");
        assert!(
            released + refunded <= funded,
            "paid out more than funded: {context}"
        );
        assert!(
            funded == 0 || funded == total,
            "funded the wrong amount: {context}"
        );
        match o.status {
            OrderStatus::Cancelled => {
                assert!(
                    funded == 0 && !o.paid,
                    "cancelled with money in escrow: {context}"
                )
            }
            OrderStatus::Refunded => assert_eq!(refunded, funded, "{context}"),
            OrderStatus::Completed => assert_eq!(released, funded, "{context}"),
            OrderStatus::Resolved => assert_eq!(released + refunded, funded, "{context}"),
            OrderStatus::Received | OrderStatus::ReturnReceived => {
                panic!("a payout that never happened: {context}")
            }
            OrderStatus::Disputed => {
                let d = o.dispute.expect("the order's dispute");
                let ds = h.load::<Dispute>(d).await.expect("dispute").state;
                assert!(
                    matches!(ds.status, DisputeStatus::Open | DisputeStatus::UnderReview),
                    "held by a dispute that is over: {context} / {ds:?}"
                );
                assert_eq!(e.held_by, Some(d), "the escrow does not hold: {context}");
            }
            _ => assert_eq!(e.held_by, None, "held without a dispute: {context}"),
        }
        for d in model.disputes.get(id).into_iter().flatten() {
            let ds = h.load::<Dispute>(*d).await.expect("dispute").state;
            match ds.status {
                DisputeStatus::Ruled => assert!(
                    o.status == OrderStatus::Resolved && o.dispute == Some(*d),
                    "a ruling not carried out: {context} / {ds:?}"
                ),
                DisputeStatus::Withdrawn | DisputeStatus::Abandoned => assert!(
                    o.status != OrderStatus::Disputed || o.dispute != Some(*d),
                    "an ended dispute still holds its order: {context}"
                ),
                _ => assert_eq!(o.dispute, Some(*d), "{context}"),
            }
        }
    }
    for (p, id) in model.products.iter().enumerate() {
        let s = h.load::<Product>(*id).await.expect("product").state;
        assert_eq!(s.on_hand(), model.on_hand[p], "on hand, after {after:?}");
        assert_eq!(
            s.reserved(),
            expected_reserved[p],
            "reserved = what open, unshipped orders hold, after {after:?}"
        );
        assert!(s.reserved() <= s.on_hand(), "more reserved than on hand");
    }
    let deposit = h
        .load::<Supplier>(model.supplier)
        .await
        .expect("supplier")
        .state
        .deposit_held
        .map_or(0, |m| m.minor);
    assert_eq!(deposit, model.deposit, "deposit, after {after:?}");
}

fn run(actions: Vec<Action>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut world = World::new().await;
        let supplier = world.active_supplier(1).await;
        let products = [
            world.published_product(supplier).await,
            world.published_product(supplier).await,
        ];
        let mut model = Model {
            supplier,
            products,
            on_hand: [world.sheet().stock; 2],
            orders: vec![],
            disputes: BTreeMap::new(),
            deposit: DEPOSIT,
            deposit_refs: BTreeSet::new(),
        };
        world.settle().await;
        for action in &actions {
            step(&mut world, &mut model, action).await;
            check(&world, &model, action).await;
        }
        // Given time, nothing waits for ever: unpaid orders lapse, deliveries count as
        // received, silent disputes are ruled by default.
        world.pass(40 * DAY_MS).await;
        check(&world, &model, &Action::PassTime { hours: 40 * 24 }).await;
        for (id, _) in &model.orders {
            let o = order_state(&world, *id).await;
            assert!(
                !matches!(
                    o.status,
                    OrderStatus::Placed | OrderStatus::Delivered | OrderStatus::Disputed
                ),
                "order {id} still waits after 40 days: {o:?}"
            );
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("ZHUCHAO_MODEL_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_marketplace_keeps_its_invariants_under_any_sequence(
        actions in prop::collection::vec(action(), 10..60)
    ) {
        run(actions);
    }
}
