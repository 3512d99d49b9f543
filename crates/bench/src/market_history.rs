//! Months of marketplace history for the read-side bench: the demo marketplace's suppliers and
//! products, then thousands of buyer companies ordering, paying, receiving, rating, disputing and
//! asking for quotes. Every step is decided by the domain's own aggregates (so every stream is
//! one the marketplace could have written) and appended straight to the store, many streams at a
//! time, far faster than through the use cases.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;

use anyhow::{Context, Result};
use futures::StreamExt;
use uuid::Uuid;
use zhuchao_app::marketplace::{Marketplace, Settings};
use zhuchao_app::process_store::MemoryProcessStore;
use zhuchao_app::processes::Processes;
use zhuchao_app::{CommandHandler, SimulatedPayments, SystemClock, UuidV7Ids};
use zhuchao_domain::account::{Account, AccountCommand, AccountState, Role};
use zhuchao_domain::category::{Category, CategoryState};
use zhuchao_domain::dispute::{Dispute, DisputeCommand, DisputeReason, DisputeState};
use zhuchao_domain::escrow::{Escrow, EscrowCommand, EscrowState, PayoutReason};
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{
    CartItem, Order, OrderCommand, OrderState, OrderStatus, Party, ProductFacts,
};
use zhuchao_domain::payment::{Capture, Payment, PaymentState};
use zhuchao_domain::product::{Product, ProductCommand, ProductState, ProductStatus};
use zhuchao_domain::review::{Rate, Review};
use zhuchao_domain::rfq::{Invitee, QuotingSupplier, Rfq, RfqCommand, RfqSpec, RfqState};
use zhuchao_domain::supplier::{Supplier, SupplierState};
use zhuchao_domain::{Aggregate, DomainEvent, Timestamp, DAY_MS};
use zhuchao_eventstore::{
    EventStore, ExpectedVersion, Metadata, NewEvent, Position, SharedStore, StreamName,
};

/// Buyer companies placing orders and RFQs.
pub const COMPANIES: usize = 5_000;
/// Deals under way at once: each step goes to one of them at random, so a deal's events spread
/// over some hundred thousand others, as a marketplace's do.
const ACTIVE_DEALS: usize = 20_000;
/// Simulated time between two events.
const EVENT_GAP_MS: Timestamp = 2_000;
/// Events gathered before they are written, each stream's in one append.
const WAVE_EVENTS: usize = 16_384;
/// Appends in flight at once.
const IN_FLIGHT: usize = 256;

/// What the history holds, for the queries the bench then asks.
pub struct History {
    pub events: u64,
    pub orders: u64,
    pub rfqs: u64,
    pub disputes: u64,
    /// The company with the most orders, its buyer and how many it has.
    pub busiest_company: (CompanyId, UserId, u64),
    /// The supplier with the most orders.
    pub busiest_supplier: (SupplierId, u64),
    pub agent: UserId,
}

/// A small, fast, seeded random source (xorshift64*).
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn roll(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// 0..n
    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }

    /// True `percent`% of the time.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn uuid(&mut self) -> Uuid {
        let bytes = ((u128::from(self.roll()) << 64) | u128::from(self.roll())).to_be_bytes();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

/// Keeps no process checkpoint: the bench's seeding runs the process managers once.
/// Events decided but not yet written, each stream's in the order decided.
struct Writer {
    store: SharedStore,
    pending: Vec<(String, Vec<NewEvent>)>,
    at_stream: HashMap<String, usize>,
    events: usize,
    written: u64,
    now: Timestamp,
}

impl Writer {
    fn push<E: DomainEvent>(&mut self, stream: String, event: &E) {
        let (event_type, schema_version, body) = event.encode();
        let new = NewEvent {
            id: Uuid::now_v7(),
            event_type: event_type.to_string(),
            schema_version,
            payload: body.to_string(),
            metadata: Metadata::new(Uuid::now_v7(), self.now).by("bench:history"),
        };
        self.now += EVENT_GAP_MS;
        self.events += 1;
        match self.at_stream.get(&stream) {
            Some(&i) => self.pending[i].1.push(new),
            None => {
                self.at_stream.insert(stream.clone(), self.pending.len());
                self.pending.push((stream, vec![new]));
            }
        }
    }

    async fn flush_if_full(&mut self) -> Result<()> {
        if self.events >= WAVE_EVENTS {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.at_stream.clear();
        self.written += self.events as u64;
        self.events = 0;
        let store = &self.store;
        let mut appends =
            futures::stream::iter(pending.into_iter().map(|(stream, events)| async move {
                let name = StreamName::new(stream)?;
                store.append(&name, ExpectedVersion::Any, events).await
            }))
            .buffer_unordered(IN_FLIGHT);
        while let Some(done) = appends.next().await {
            done.context("appending the generated history")?;
        }
        Ok(())
    }
}

/// Decides `command` on `state`, keeps the outcome and queues its events.
fn step<A: Aggregate>(
    w: &mut Writer,
    id: impl Display,
    state: &mut A::State,
    command: A::Command,
) -> Result<(), A::Error> {
    let events = A::decide(state, command)?;
    let stream = format!("{}-{}", A::KIND, id);
    for e in &events {
        *state = A::evolve(std::mem::take(state), e);
        w.push(stream.clone(), e);
    }
    Ok(())
}

struct Buyer {
    user: UserId,
    company: CompanyId,
}

/// An RFQ sent, its state, and the quotes its invited suppliers will make.
type Sent = (RfqId, RfqState, Vec<(QuoteId, SupplierId)>);

/// One deal's way through the marketplace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    RfqSent { quotes: u8 },
    Placed,
    Paid,
    Shipped,
    Delivered,
    Disputed,
    DisputeAnswered,
    DisputeAssigned,
    Completed,
}

struct Deal {
    buyer: usize,
    supplier: SupplierId,
    order: OrderId,
    products: Vec<(ProductId, u64)>,
    rfq: Option<Sent>,
    order_state: OrderState,
    escrow: EscrowState,
    dispute: Option<(DisputeId, DisputeState)>,
    stage: Stage,
    /// Cancelled while unpaid, or disputed after delivery.
    unpaid: bool,
    disputed: bool,
    /// Below 10 an RFQ, below 25 a dispute, is left waiting for good: the backlog in suppliers'
    /// inboxes and the agents' queue.
    waits: u64,
}

/// The catalogue the demo seeded, as the generator needs it.
struct Catalogue {
    /// Published products, by supplier.
    by_supplier: Vec<(SupplierId, Vec<ProductId>)>,
    products: HashMap<ProductId, ProductState>,
    /// Live suppliers serving each category.
    serving: Vec<(CategoryId, Vec<SupplierId>)>,
    agent: UserId,
}

async fn catalogue(store: &SharedStore) -> Result<Catalogue> {
    let mut products: HashMap<ProductId, ProductState> = HashMap::new();
    let mut suppliers: HashMap<SupplierId, SupplierState> = HashMap::new();
    let mut categories: HashMap<CategoryId, CategoryState> = HashMap::new();
    let mut agent = None;
    let mut after = Position::START;
    loop {
        let batch = store.read_all(after, 4096).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        for event in &batch {
            let Some((kind, id)) = event.stream.as_str().split_once('-') else {
                continue;
            };
            macro_rules! fold {
                ($agg:ty, $map:expr, $key:expr) => {{
                    let e = zhuchao_app::handler::decode_recorded::<$agg>(event)?;
                    let s = $map.remove(&$key).unwrap_or_default();
                    $map.insert($key, <$agg>::evolve(s, &e));
                }};
            }
            let uuid = id.parse::<Uuid>().ok();
            match (kind, uuid) {
                (Product::KIND, Some(u)) => fold!(Product, products, ProductId(u)),
                (Supplier::KIND, Some(u)) => fold!(Supplier, suppliers, SupplierId(u)),
                (Category::KIND, Some(u)) => fold!(Category, categories, CategoryId(u)),
                (Account::KIND, _) => {
                    let e = zhuchao_app::handler::decode_recorded::<Account>(event)?;
                    let s: AccountState = Account::evolve(AccountState::default(), &e);
                    if matches!(s.role, Some(Role::Agent)) && agent.is_none() {
                        agent = s.id;
                    }
                }
                _ => {}
            }
        }
    }
    let now = zhuchao_app::ports::Clock::now(&SystemClock);
    let live: Vec<SupplierId> = suppliers
        .iter()
        .filter(|(_, s)| s.may_sell_at(now))
        .map(|(id, _)| *id)
        .collect();
    let mut by_supplier: Vec<(SupplierId, Vec<ProductId>)> = live
        .iter()
        .map(|s| {
            let mut ps: Vec<ProductId> = products
                .iter()
                .filter(|(_, p)| p.supplier == Some(*s) && p.status == ProductStatus::Published)
                .map(|(id, _)| *id)
                .collect();
            ps.sort();
            (*s, ps)
        })
        .filter(|(_, ps)| !ps.is_empty())
        .collect();
    by_supplier.sort_by_key(|(s, _)| *s);
    let mut serving: Vec<(CategoryId, Vec<SupplierId>)> = categories
        .keys()
        .map(|c| {
            let mut ss: Vec<SupplierId> = live
                .iter()
                .filter(|s| suppliers[s].categories.contains(c))
                .copied()
                .collect();
            ss.sort();
            (*c, ss)
        })
        .filter(|(_, ss)| ss.len() >= 2)
        .collect();
    serving.sort_by_key(|(c, _)| *c);
    anyhow::ensure!(
        !by_supplier.is_empty(),
        "the demo seeded no published products"
    );
    anyhow::ensure!(
        !serving.is_empty(),
        "the demo seeded no category with two suppliers"
    );
    Ok(Catalogue {
        by_supplier,
        products,
        serving,
        agent: agent.context("the demo seeded no agent")?,
    })
}

/// Seeds the demo marketplace into `store` (empty), then writes deals until it holds about
/// `events` events.
pub async fn generate(store: SharedStore, events: u64, seed: u64) -> Result<History> {
    let handler = CommandHandler::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let market = Marketplace::new(
        handler,
        Settings::default(),
        Arc::new(SimulatedPayments::default()),
    );
    let mut processes = Processes::new(market.clone(), Box::<MemoryProcessStore>::default())?;
    zhuchao_gateway::demo::seed(&market, &mut processes, &|_| {})
        .await
        .context("seeding the demo marketplace")?;
    drop(processes);
    let mut catalogue = catalogue(&store).await?;
    let now = zhuchao_app::ports::Clock::now(&SystemClock);
    let mut dice = Dice::new(seed);
    let mut w = Writer {
        store: store.clone(),
        pending: Vec::new(),
        at_stream: HashMap::new(),
        events: 0,
        written: store.head().await?.as_u64(),
        // The history ends about now.
        now: now - events as i64 * EVENT_GAP_MS,
    };

    let mut buyers = Vec::with_capacity(COMPANIES);
    for i in 0..COMPANIES {
        let buyer = Buyer {
            user: UserId(dice.uuid()),
            company: CompanyId(dice.uuid()),
        };
        let email = format!("buyer{i}@company{i}.bench");
        let mut state = AccountState::default();
        let at = w.now;
        step::<Account>(
            &mut w,
            &email,
            &mut state,
            AccountCommand::Register {
                id: buyer.user,
                email: email.clone(),
                name: format!("采购 {i}"),
                role: Role::Buyer {
                    company: buyer.company,
                    company_name: format!("Bench company {i}"),
                },
                password_hash: "$argon2id$bench".into(),
                at,
            },
        )?;
        buyers.push(buyer);
    }

    let mut history = History {
        events: 0,
        orders: 0,
        rfqs: 0,
        disputes: 0,
        busiest_company: (buyers[0].company, buyers[0].user, 0),
        busiest_supplier: (catalogue.by_supplier[0].0, 0),
        agent: catalogue.agent,
    };
    let mut per_supplier: HashMap<SupplierId, u64> = HashMap::new();
    let mut deals: Vec<Deal> = Vec::with_capacity(ACTIVE_DEALS);
    let mut refused = 0u64;
    while w.written + (w.events as u64) < events {
        if deals.len() < ACTIVE_DEALS {
            deals.push(new_deal(&mut dice, &catalogue, buyers.len()));
            continue;
        }
        let i = dice.below(deals.len() as u64) as usize;
        match advance(
            &mut w,
            &mut dice,
            &mut deals[i],
            &buyers,
            &mut catalogue,
            &mut history,
        ) {
            Ok(true) => {}
            Ok(false) => {
                let done = deals.swap_remove(i);
                if done.order_state.id.is_some() {
                    *per_supplier.entry(done.supplier).or_default() += 1;
                }
            }
            Err(e) => {
                refused += 1;
                anyhow::ensure!(
                    refused < 1_000 + history.orders / 100,
                    "too many refused steps; the last: {e}"
                );
                deals.swap_remove(i);
            }
        }
        w.flush_if_full().await?;
    }
    w.flush().await?;
    history.events = store.head().await?.as_u64();
    if let Some((s, n)) = per_supplier.into_iter().max_by_key(|(_, n)| *n) {
        history.busiest_supplier = (s, n);
    }
    Ok(history)
}

fn new_deal(dice: &mut Dice, catalogue: &Catalogue, buyers: usize) -> Deal {
    // A few companies buy far more than the rest: company 0 about 1.6 % of all orders, the
    // next ten about 3.4 % between them.
    let roll = dice.below(1000);
    let buyer = match roll {
        0..16 => 0,
        16..50 => 1 + dice.below(10) as usize,
        _ => 11 + dice.below(buyers as u64 - 11) as usize,
    };
    let rfq = dice.chance(20);
    let (supplier, products) = if rfq {
        (SupplierId(Uuid::nil()), Vec::new())
    } else {
        let (supplier, ps) =
            &catalogue.by_supplier[dice.below(catalogue.by_supplier.len() as u64) as usize];
        let lines = 1 + dice.below(3.min(ps.len() as u64)) as usize;
        let first = dice.below(ps.len() as u64) as usize;
        let products = (0..lines)
            .map(|k| (ps[(first + k) % ps.len()], 0))
            .collect();
        (*supplier, products)
    };
    Deal {
        buyer,
        supplier,
        order: OrderId(dice.uuid()),
        products,
        rfq: None,
        order_state: OrderState::default(),
        escrow: EscrowState::default(),
        dispute: None,
        stage: if rfq {
            Stage::RfqSent { quotes: 0 }
        } else {
            Stage::Placed
        },
        unpaid: dice.chance(8),
        disputed: dice.chance(4),
        waits: dice.below(100),
    }
}

type Step = Result<bool, Box<dyn std::error::Error + Send + Sync>>;

/// Takes one deal one step further; false once it is over.
fn advance(
    w: &mut Writer,
    dice: &mut Dice,
    d: &mut Deal,
    buyers: &[Buyer],
    catalogue: &mut Catalogue,
    history: &mut History,
) -> Step {
    let buyer = &buyers[d.buyer];
    let at = w.now;
    let order = d.order;
    match d.stage {
        Stage::RfqSent { quotes } => {
            let Some((rfq, state, offers)) = &mut d.rfq else {
                let (category, serving) =
                    &catalogue.serving[dice.below(catalogue.serving.len() as u64) as usize];
                let invited: Vec<SupplierId> = serving.iter().take(3).copied().collect();
                let id = RfqId(dice.uuid());
                let mut state = RfqState::default();
                step::<Rfq>(
                    w,
                    id,
                    &mut state,
                    RfqCommand::Create {
                        id,
                        buyer: buyer.user,
                        company: buyer.company,
                        spec: RfqSpec {
                            title: format!("Custom flange, drawing {}", dice.below(100_000)),
                            description: "Stainless 316, pressure class PN16, as drawn.".into(),
                            category: *category,
                            attributes: Default::default(),
                            quantity: 100 + dice.below(5_000),
                            drawings: Vec::new(),
                            target_price: None,
                            deadline: at + 30 * DAY_MS,
                        },
                        schema: Some(Default::default()),
                        invited: invited
                            .iter()
                            .map(|s| Invitee {
                                id: *s,
                                known: true,
                                may_sell: true,
                            })
                            .collect(),
                        response_sla_ms: DAY_MS,
                        at,
                    },
                )?;
                history.rfqs += 1;
                let offers = invited.iter().map(|s| (QuoteId(dice.uuid()), *s)).collect();
                d.rfq = Some((id, state, offers));
                return Ok(true);
            };
            let wanted = 1 + (offers.len() as u8).min(2);
            if quotes < wanted {
                let (quote, supplier) = offers[quotes as usize];
                step::<Rfq>(
                    w,
                    *rfq,
                    state,
                    RfqCommand::SubmitQuote {
                        quote,
                        supplier: QuotingSupplier {
                            id: supplier,
                            may_sell: true,
                            serves_category: true,
                        },
                        unit_price: Money::cny(500 + dice.below(50_000) as i64),
                        lead_time_days: 7 + dice.below(30) as u32,
                        valid_until: at + 14 * DAY_MS,
                        note: "Price includes packing; delivery by our own truck.".into(),
                        at,
                    },
                )?;
                d.stage = Stage::RfqSent { quotes: quotes + 1 };
                return Ok(true);
            }
            if d.waits < 10 {
                return Ok(false);
            }
            if dice.chance(25) {
                step::<Rfq>(
                    w,
                    *rfq,
                    state,
                    RfqCommand::Cancel {
                        buyer: buyer.user,
                        reason: "bought elsewhere".into(),
                        at,
                    },
                )?;
                return Ok(false);
            }
            let (quote, supplier) = offers[dice.below(u64::from(wanted)) as usize];
            step::<Rfq>(
                w,
                *rfq,
                state,
                RfqCommand::Accept {
                    quote,
                    buyer: buyer.user,
                    order,
                    address: "浙江省宁波市北仑区新碶街道 88 号".into(),
                    at,
                },
            )?;
            let q = &state.quotes[&quote];
            d.supplier = supplier;
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::PlaceFromQuote {
                    id: order,
                    buyer: buyer.user,
                    company: buyer.company,
                    supplier,
                    rfq: *rfq,
                    quote,
                    title: state
                        .request
                        .as_ref()
                        .map_or_else(String::new, |r| r.title.clone()),
                    quantity: state.request.as_ref().map_or(1, |r| r.quantity),
                    unit_price: q.unit_price,
                    address: "浙江省宁波市北仑区新碶街道 88 号".into(),
                    at,
                },
            )?;
            open_escrow(w, d, at)?;
            history.orders += 1;
            d.stage = Stage::Placed;
            if buyers[d.buyer].company == history.busiest_company.0 {
                history.busiest_company.2 += 1;
            }
        }
        Stage::Placed if d.order_state.id.is_none() => {
            let mut items = Vec::new();
            for (product, quantity) in &mut d.products {
                let p = &catalogue.products[product];
                let sheet = p.sheet.as_ref().ok_or("a product without its sheet")?;
                *quantity = sheet.moq.max(1).div_ceil(sheet.pack_size.max(1))
                    * sheet.pack_size.max(1)
                    * (1 + dice.below(4));
                items.push(CartItem {
                    facts: ProductFacts {
                        product: *product,
                        supplier: d.supplier,
                        title: p.title.clone(),
                        published: true,
                        moq: sheet.moq,
                        pack_size: sheet.pack_size,
                        tiers: sheet.tiers.clone(),
                        shipping_cost: sheet.shipping_cost,
                    },
                    quantity: *quantity,
                });
            }
            for (product, quantity) in &d.products {
                let p = catalogue.products.get_mut(product).ok_or("no product")?;
                if p.on_hand().saturating_sub(p.reservations.values().sum()) < *quantity {
                    let supplier = d.supplier;
                    let stock = p.on_hand() + 100_000;
                    step::<Product>(w, product, p, ProductCommand::SetStock { supplier, stock })?;
                }
                step::<Product>(
                    w,
                    product,
                    p,
                    ProductCommand::Reserve {
                        order,
                        quantity: *quantity,
                        at,
                    },
                )?;
            }
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::PlaceFromCart {
                    id: order,
                    buyer: buyer.user,
                    company: buyer.company,
                    supplier: d.supplier,
                    supplier_may_sell: true,
                    items,
                    address: "浙江省宁波市北仑区新碶街道 88 号".into(),
                    expected_total: None,
                    at,
                },
            )?;
            open_escrow(w, d, at)?;
            history.orders += 1;
            if buyers[d.buyer].company == history.busiest_company.0 {
                history.busiest_company.2 += 1;
            }
        }
        Stage::Placed if d.unpaid => {
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::ExpireUnpaid { window_ms: 0, at },
            )?;
            for (product, _) in &d.products {
                let p = catalogue.products.get_mut(product).ok_or("no product")?;
                step::<Product>(w, product, p, ProductCommand::Release { order, at })?;
            }
            return Ok(false);
        }
        Stage::Placed => {
            let amount = d.order_state.total.ok_or("an order without its total")?;
            let key = format!("pay-{order}");
            let payment_id = format!("sim-{}", dice.uuid());
            step::<Payment>(
                w,
                order,
                &mut PaymentState::default(),
                Capture {
                    order,
                    amount,
                    payment_id: payment_id.clone(),
                    idempotency_key: key.clone(),
                    at,
                },
            )?;
            step::<Escrow>(
                w,
                order,
                &mut d.escrow,
                EscrowCommand::Fund {
                    payment_id,
                    idempotency_key: key,
                    amount,
                    at,
                },
            )?;
            step::<Order>(w, order, &mut d.order_state, OrderCommand::MarkPaid { at })?;
            d.stage = Stage::Paid;
        }
        Stage::Paid => {
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::Ship {
                    supplier: d.supplier,
                    carrier: "顺丰速运".into(),
                    tracking: format!("SF{}", 1_000_000_000 + dice.below(8_999_999_999)),
                    at,
                },
            )?;
            for (product, _) in &d.products {
                let p = catalogue.products.get_mut(product).ok_or("no product")?;
                step::<Product>(w, product, p, ProductCommand::Ship { order, at })?;
                // The generator's copy need not remember every shipment.
                p.shipped.clear();
            }
            d.stage = Stage::Shipped;
        }
        Stage::Shipped => {
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::MarkDelivered { at },
            )?;
            d.stage = Stage::Delivered;
        }
        Stage::Delivered if d.disputed => {
            let id = DisputeId(dice.uuid());
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::OpenDispute {
                    dispute: id,
                    party: Party::Buyer,
                    company: Some(buyer.company),
                    supplier: None,
                    at,
                },
            )?;
            let held = d.escrow.remaining();
            let mut state = DisputeState::default();
            step::<Dispute>(
                w,
                id,
                &mut state,
                DisputeCommand::Open {
                    id,
                    order,
                    company: buyer.company,
                    supplier: d.supplier,
                    opened_by: Party::Buyer,
                    by: buyer.user,
                    reason: DisputeReason::NotAsDescribed,
                    statement: "Half of the batch has the wrong thread pitch.".into(),
                    files: Vec::new(),
                    claimed: held,
                    held,
                    answer_within_ms: 3 * DAY_MS,
                    at,
                },
            )?;
            step::<Escrow>(
                w,
                order,
                &mut d.escrow,
                EscrowCommand::Hold { dispute: id, at },
            )?;
            d.dispute = Some((id, state));
            history.disputes += 1;
            d.stage = Stage::Disputed;
        }
        Stage::Disputed if d.waits < 25 => return Ok(false),
        Stage::Disputed => {
            let (id, state) = d.dispute.as_mut().ok_or("no dispute")?;
            step::<Dispute>(
                w,
                *id,
                state,
                DisputeCommand::SubmitEvidence {
                    party: Party::Supplier,
                    by: UserId(Uuid::nil()),
                    text: "Measured before shipping; photos attached to the packing list.".into(),
                    files: Vec::new(),
                    at,
                },
            )?;
            d.stage = Stage::DisputeAnswered;
        }
        Stage::DisputeAnswered => {
            let (id, state) = d.dispute.as_mut().ok_or("no dispute")?;
            step::<Dispute>(
                w,
                *id,
                state,
                DisputeCommand::Assign {
                    agent: catalogue.agent,
                    at,
                },
            )?;
            d.stage = Stage::DisputeAssigned;
        }
        Stage::DisputeAssigned => {
            let (id, state) = d.dispute.as_mut().ok_or("no dispute")?;
            let held = d.escrow.remaining();
            let refund = Money::new(held.minor / 2, held.currency);
            let release = Money::new(held.minor - refund.minor, held.currency);
            step::<Dispute>(
                w,
                *id,
                state,
                DisputeCommand::Rule {
                    agent: catalogue.agent,
                    refund,
                    release,
                    penalty: None,
                    deposit_held: Money::cny(0),
                    warn: false,
                    note: "Both sides share the loss.".into(),
                    at,
                },
            )?;
            let dispute = *id;
            step::<Escrow>(
                w,
                order,
                &mut d.escrow,
                EscrowCommand::Split {
                    dispute,
                    refund,
                    release,
                    at,
                },
            )?;
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::ResolveDispute {
                    dispute,
                    refunded: refund,
                    released: release,
                    at,
                },
            )?;
            return Ok(false);
        }
        Stage::Delivered => {
            step::<Order>(
                w,
                order,
                &mut d.order_state,
                OrderCommand::ConfirmReceipt {
                    company: buyer.company,
                    at,
                },
            )?;
            step::<Escrow>(
                w,
                order,
                &mut d.escrow,
                EscrowCommand::Release {
                    payout: "receipt".into(),
                    reason: PayoutReason::Receipt,
                    at,
                },
            )?;
            step::<Order>(w, order, &mut d.order_state, OrderCommand::Complete { at })?;
            d.stage = Stage::Completed;
        }
        Stage::Completed => {
            if d.order_state.status == OrderStatus::Completed && dice.chance(40) {
                step::<Review>(
                    w,
                    order,
                    &mut Default::default(),
                    Rate {
                        order,
                        company: buyer.company,
                        buyer: buyer.user,
                        supplier: d.supplier,
                        order_completed_for_company: true,
                        quality: 3 + dice.below(3) as u8,
                        delivery: 3 + dice.below(3) as u8,
                        service: 3 + dice.below(3) as u8,
                        comment: "按时交货，质量稳定。".into(),
                        at,
                    },
                )?;
            }
            return Ok(false);
        }
    }
    Ok(true)
}

fn open_escrow(w: &mut Writer, d: &mut Deal, at: Timestamp) -> Result<(), impl std::error::Error> {
    let amount = d.order_state.total.unwrap_or(Money::cny(0));
    step::<Escrow>(
        w,
        d.order,
        &mut d.escrow,
        EscrowCommand::Open {
            order: d.order,
            supplier: d.supplier,
            amount,
            at,
        },
    )
}

/// Orders placed while a bench measures reads: about `per_second` events a second (an order and
/// its escrow each time, one in ten for `company`) until `stop` is set. Returns the events
/// written.
pub async fn live_orders(
    store: SharedStore,
    company: (CompanyId, UserId),
    supplier: SupplierId,
    per_second: u64,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<u64> {
    let mut dice = Dice::new(7);
    let mut w = Writer {
        store,
        pending: Vec::new(),
        at_stream: HashMap::new(),
        events: 0,
        written: 0,
        now: zhuchao_app::ports::Clock::now(&SystemClock),
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(10));
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        tick.tick().await;
        for _ in 0..(per_second / 200).max(1) {
            let (buyer, company) = if dice.chance(10) {
                (company.1, company.0)
            } else {
                (UserId(dice.uuid()), CompanyId(dice.uuid()))
            };
            let order = OrderId(dice.uuid());
            let mut d = OrderState::default();
            let at = w.now;
            step::<Order>(
                &mut w,
                order,
                &mut d,
                OrderCommand::PlaceFromQuote {
                    id: order,
                    buyer,
                    company,
                    supplier,
                    rfq: RfqId(dice.uuid()),
                    quote: QuoteId(dice.uuid()),
                    title: "Hex bolts M8×30, A2-70".into(),
                    quantity: 500,
                    unit_price: Money::cny(35),
                    address: "宁波市北仑区 1 号".into(),
                    at,
                },
            )?;
            let amount = d.total.unwrap_or(Money::cny(0));
            step::<Escrow>(
                &mut w,
                order,
                &mut EscrowState::default(),
                EscrowCommand::Open {
                    order,
                    supplier,
                    amount,
                    at,
                },
            )?;
        }
        w.flush().await?;
    }
    Ok(w.written)
}
