//! The analytics state: counters per hour and per combination of dimensions, folded from
//! traffic events and from the marketplace's RFQ and dispute events. Kept in memory, saved per
//! hour and per object as they change (see `store`); any answer is a scan over the hours asked for.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zhuchao_domain::dispute::DisputeEvent;
use zhuchao_domain::escrow::EscrowEvent;
use zhuchao_domain::order::OrderEvent;
use zhuchao_domain::rfq::RfqEvent;

use crate::events::{Line, Millis, TrafficEvent};

pub const HOUR_MS: i64 = 3_600_000;
/// A session that has done nothing for this long is over (its later events start no new steps).
pub const SESSION_IDLE_MS: i64 = 24 * HOUR_MS;

/// Shown for a dimension the session did not tell.
pub const UNKNOWN: &str = "(unknown)";

/// The hour since 1970 of `at`, saturating at the ends of `u32` (year 491,000 and beyond).
pub fn hour_of(at: Millis) -> u32 {
    (at.max(0) / HOUR_MS).min(i64::from(u32::MAX)) as u32
}

/// What a session is cut by, fixed when it starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionDims {
    pub region: String,
    /// `direct`, `referral`, `organic`, `paid`, `campaign`.
    pub source: String,
    /// `referral: forum.example`, `organic: baidu`, …
    pub source_detail: String,
    pub campaign: String,
    pub device: String,
}

impl SessionDims {
    pub fn unknown() -> Self {
        Self {
            region: UNKNOWN.into(),
            source: UNKNOWN.into(),
            source_detail: UNKNOWN.into(),
            campaign: UNKNOWN.into(),
            device: UNKNOWN.into(),
        }
    }
}

/// A session's dimensions plus the category and supplier a product-level fact is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dims {
    pub session: u32,
    pub category: Uuid,
    pub supplier: Uuid,
}

/// Steps of the session funnel, in order.
pub const SESSION_STEPS: [&str; 6] = [
    "sessions",
    "searched",
    "viewed a product",
    "cart or RFQ",
    "ordered",
    "paid",
];

/// Counts for sessions with the same dimensions in one hour. Funnel steps are counted once per
/// session, in the hour the session started, so every step is a share of the sessions above it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCounters {
    pub sessions: u64,
    pub page_views: u64,
    pub searches: u64,
    pub zero_result_searches: u64,
    /// Sessions that reached each step after `sessions`: searched, viewed a product, cart or
    /// RFQ, ordered, paid.
    pub reached: [u64; 5],
    pub product_views: u64,
    pub carts: u64,
    pub orders: u64,
    pub paid_orders: u64,
    pub items: u64,
    /// Value of the goods of paid orders (gross merchandise value: without shipping), minor units.
    pub gmv: i64,
    /// Of the paid orders, those paid in a live session (API clients pay outside any), and
    /// their value: what the conversion rate and its GMV decomposition count.
    #[serde(default)]
    pub session_paid_orders: u64,
    #[serde(default)]
    pub session_gmv: i64,
}

impl SessionCounters {
    pub fn add(&mut self, o: &Self) {
        self.sessions += o.sessions;
        self.page_views += o.page_views;
        self.searches += o.searches;
        self.zero_result_searches += o.zero_result_searches;
        for (a, b) in self.reached.iter_mut().zip(o.reached) {
            *a += b;
        }
        self.product_views += o.product_views;
        self.carts += o.carts;
        self.orders += o.orders;
        self.paid_orders += o.paid_orders;
        self.items += o.items;
        self.gmv += o.gmv;
        self.session_paid_orders += o.session_paid_orders;
        self.session_gmv += o.session_gmv;
    }
}

/// Counts about products of one category and supplier, in one hour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCounters {
    pub views: u64,
    pub carts: u64,
    /// Orders with a line in this category (an order spanning two categories counts in both).
    pub orders: u64,
    pub paid_orders: u64,
    pub items: u64,
    pub gmv: i64,
}

impl ProductCounters {
    pub fn add(&mut self, o: &Self) {
        self.views += o.views;
        self.carts += o.carts;
        self.orders += o.orders;
        self.paid_orders += o.paid_orders;
        self.items += o.items;
        self.gmv += o.gmv;
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub dims: u32,
    pub start_hour: u32,
    /// Bit i: reached step i + 1.
    pub reached: u8,
    pub last_at: Millis,
}

/// An RFQ's response facts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RfqFacts {
    pub sent_at: Millis,
    pub respond_by: Millis,
    pub invited: Vec<Uuid>,
    pub first_quote_at: Option<Millis>,
    /// Each supplier's first quote.
    pub quoted: BTreeMap<Uuid, Millis>,
    pub category: Option<Uuid>,
}

/// Orders and disputes of one supplier on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeCounters {
    pub orders: u64,
    pub disputes: u64,
    pub for_buyer: u64,
    pub for_supplier: u64,
    pub split: u64,
    pub withdrawn: u64,
}

impl DisputeCounters {
    pub fn add(&mut self, o: &Self) {
        self.orders += o.orders;
        self.disputes += o.disputes;
        self.for_buyer += o.for_buyer;
        self.for_supplier += o.for_supplier;
        self.split += o.split;
        self.withdrawn += o.withdrawn;
    }
}

/// Searches typed on one day: count and zero-result count per text.
pub type DaySearches = HashMap<String, (u64, u64)>;

/// What changed since the state was last saved: the hours, days and objects the next save writes.
#[derive(Clone, Debug, Default)]
pub struct Touched {
    /// Everything was forgotten (a rebuild): the saved state goes first.
    pub wipe: bool,
    pub hours: BTreeSet<u32>,
    pub days: BTreeSet<u32>,
    pub sessions: HashSet<Uuid>,
    pub rfqs: HashSet<Uuid>,
    pub disputes: HashSet<Uuid>,
    pub escrows: HashSet<Uuid>,
    /// How many session and product dimensions are saved (they are only ever added).
    pub saved_dims: (usize, usize),
}

impl Touched {
    /// Adds `other`'s changes (a save that failed gives them back).
    pub fn merge(&mut self, other: Touched) {
        self.wipe |= other.wipe;
        self.hours.extend(other.hours);
        self.days.extend(other.days);
        self.sessions.extend(other.sessions);
        self.rfqs.extend(other.rfqs);
        self.disputes.extend(other.disputes);
        self.escrows.extend(other.escrows);
        self.saved_dims = (
            self.saved_dims.0.min(other.saved_dims.0),
            self.saved_dims.1.min(other.saved_dims.1),
        );
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Analytics {
    /// Global position of the last event folded in.
    pub position: u64,
    pub session_dims: Vec<SessionDims>,
    #[serde(skip)]
    session_dims_index: HashMap<SessionDims, u32>,
    pub product_dims: Vec<Dims>,
    #[serde(skip)]
    product_dims_index: HashMap<Dims, u32>,
    pub sessions_by_hour: BTreeMap<u32, HashMap<u32, SessionCounters>>,
    pub products_by_hour: BTreeMap<u32, HashMap<u32, ProductCounters>>,
    /// Visitors (a 64-bit digest of the visitor id) of the sessions started per hour and dims.
    pub visitors_by_hour: BTreeMap<u32, HashMap<u32, Vec<u64>>>,
    pub searches_by_day: BTreeMap<u32, DaySearches>,
    pub sessions: HashMap<Uuid, SessionState>,
    pub rfqs: HashMap<Uuid, RfqFacts>,
    /// Per day, per supplier.
    pub disputes_by_day: BTreeMap<u32, HashMap<Uuid, DisputeCounters>>,
    /// Open disputes: their supplier and the day they opened.
    pub open_disputes: HashMap<Uuid, Uuid>,
    /// Money given back to buyers (cancellations, returns, rulings; shipping included), per
    /// hour and supplier, minor units.
    #[serde(default)]
    pub refunds_by_hour: BTreeMap<u32, HashMap<Uuid, i64>>,
    /// Each order's supplier, from its escrow, for its refunds.
    #[serde(default)]
    pub escrow_suppliers: HashMap<Uuid, Uuid>,
    /// The latest event time seen, for ending idle sessions.
    pub clock: Millis,
    pub applied_since_sweep: u64,
    #[serde(skip)]
    pub touched: Touched,
}

/// Lowercased, spaces collapsed: "M8  Bolt" and "m8 bolt" are one search.
pub fn normalise_search(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn digest(id: Uuid) -> u64 {
    let (hi, lo) = id.as_u64_pair();
    hi ^ lo.rotate_left(17)
}

impl Analytics {
    /// Restores the lookup tables after loading a saved state.
    pub fn reindex(&mut self) {
        self.session_dims_index = self
            .session_dims
            .iter()
            .enumerate()
            .map(|(i, d)| (d.clone(), i as u32))
            .collect();
        self.product_dims_index = self
            .product_dims
            .iter()
            .enumerate()
            .map(|(i, d)| (*d, i as u32))
            .collect();
    }

    fn session_dims_id(&mut self, dims: SessionDims) -> u32 {
        if let Some(id) = self.session_dims_index.get(&dims) {
            return *id;
        }
        let id = self.session_dims.len() as u32;
        self.session_dims.push(dims.clone());
        self.session_dims_index.insert(dims, id);
        id
    }

    fn product_dims_id(&mut self, dims: Dims) -> u32 {
        if let Some(id) = self.product_dims_index.get(&dims) {
            return *id;
        }
        let id = self.product_dims.len() as u32;
        self.product_dims.push(dims);
        self.product_dims_index.insert(dims, id);
        id
    }

    /// Marks everything as changed (a state read from elsewhere is to be saved whole).
    pub fn touch_all(&mut self) {
        let t = &mut self.touched;
        t.hours.extend(self.sessions_by_hour.keys());
        t.hours.extend(self.products_by_hour.keys());
        t.hours.extend(self.visitors_by_hour.keys());
        t.hours.extend(self.refunds_by_hour.keys());
        t.days.extend(self.searches_by_day.keys());
        t.days.extend(self.disputes_by_day.keys());
        t.sessions.extend(self.sessions.keys());
        t.rfqs.extend(self.rfqs.keys());
        t.disputes.extend(self.open_disputes.keys());
        t.escrows.extend(self.escrow_suppliers.keys());
        t.saved_dims = (0, 0);
    }

    fn session_counters(&mut self, hour: u32, dims: u32) -> &mut SessionCounters {
        self.touched.hours.insert(hour);
        self.sessions_by_hour
            .entry(hour)
            .or_default()
            .entry(dims)
            .or_default()
    }

    fn product_counters(&mut self, hour: u32, dims: Dims) -> &mut ProductCounters {
        let id = self.product_dims_id(dims);
        self.touched.hours.insert(hour);
        self.products_by_hour
            .entry(hour)
            .or_default()
            .entry(id)
            .or_default()
    }

    /// The session's dimensions id, and whether the session is known (started and not idle).
    fn session_of(&mut self, session: Uuid, at: Millis) -> (u32, Option<u32>) {
        match self.sessions.get_mut(&session) {
            Some(s) if at - s.last_at <= SESSION_IDLE_MS => {
                self.touched.sessions.insert(session);
                s.last_at = s.last_at.max(at);
                (s.dims, Some(s.start_hour))
            }
            Some(s) => (s.dims, None),
            None => (self.session_dims_id(SessionDims::unknown()), None),
        }
    }

    /// Marks a funnel step (1 to 5) reached by a live session, once.
    fn reach(&mut self, session: Uuid, step: usize) {
        let Some(s) = self.sessions.get_mut(&session) else {
            return;
        };
        let bit = 1u8 << (step - 1);
        if s.reached & bit != 0 {
            return;
        }
        s.reached |= bit;
        self.touched.sessions.insert(session);
        let (hour, dims) = (s.start_hour, s.dims);
        self.session_counters(hour, dims).reached[step - 1] += 1;
    }

    pub fn apply_traffic(&mut self, event: &TrafficEvent) {
        let at = event.at();
        let hour = hour_of(at);
        self.clock = self.clock.max(at);
        if let TrafficEvent::SessionStarted {
            session,
            visitor,
            source,
            campaign,
            region,
            device,
            ..
        } = event
        {
            let dims = self.session_dims_id(SessionDims {
                region: region.clone().unwrap_or_else(|| UNKNOWN.into()),
                source: source.kind().into(),
                source_detail: source.label(),
                campaign: campaign.clone().unwrap_or_else(|| "(none)".into()),
                device: device.clone(),
            });
            if self.sessions.contains_key(session) {
                return;
            }
            self.touched.sessions.insert(*session);
            self.sessions.insert(
                *session,
                SessionState {
                    dims,
                    start_hour: hour,
                    reached: 0,
                    last_at: at,
                },
            );
            self.session_counters(hour, dims).sessions += 1;
            self.visitors_by_hour
                .entry(hour)
                .or_default()
                .entry(dims)
                .or_default()
                .push(digest(*visitor));
            self.sweep();
            return;
        }
        let session = event.session();
        let (dims, live) = self.session_of(session, at);
        let product = |category: &Uuid, supplier: &Uuid| Dims {
            session: dims,
            category: *category,
            supplier: *supplier,
        };
        match event {
            TrafficEvent::SessionStarted { .. } => {}
            TrafficEvent::PageViewed { .. } => self.session_counters(hour, dims).page_views += 1,
            TrafficEvent::Searched { text, results, .. } => {
                let c = self.session_counters(hour, dims);
                c.searches += 1;
                if *results == 0 {
                    c.zero_result_searches += 1;
                }
                self.touched.days.insert(hour / 24);
                let day = self
                    .searches_by_day
                    .entry(hour / 24)
                    .or_default()
                    .entry(normalise_search(text))
                    .or_default();
                day.0 += 1;
                if *results == 0 {
                    day.1 += 1;
                }
            }
            TrafficEvent::ProductViewed {
                category, supplier, ..
            } => {
                self.session_counters(hour, dims).product_views += 1;
                self.product_counters(hour, product(category, supplier))
                    .views += 1;
            }
            TrafficEvent::AddedToCart {
                category, supplier, ..
            } => {
                self.session_counters(hour, dims).carts += 1;
                self.product_counters(hour, product(category, supplier))
                    .carts += 1;
            }
            TrafficEvent::RfqSent { .. } => {}
            TrafficEvent::OrderPlaced {
                supplier, lines, ..
            } => {
                self.session_counters(hour, dims).orders += 1;
                self.order_lines(hour, dims, *supplier, lines, false);
            }
            TrafficEvent::PaymentMade {
                supplier, lines, ..
            } => {
                let c = self.session_counters(hour, dims);
                let value = lines.iter().map(|l| l.value).sum::<i64>();
                c.paid_orders += 1;
                c.items += lines.iter().map(|l| l.items).sum::<u64>();
                c.gmv += value;
                // Counted, like the funnel, in the hour the session started: the conversion
                // rate is a share of the sessions of its own bucket.
                if let Some(start_hour) = live {
                    let s = self.session_counters(start_hour, dims);
                    s.session_paid_orders += 1;
                    s.session_gmv += value;
                }
                self.order_lines(hour, dims, *supplier, lines, true);
            }
        }
        // The funnel step this event is, reached once per live session.
        let step = match event {
            TrafficEvent::SessionStarted { .. } | TrafficEvent::PageViewed { .. } => None,
            TrafficEvent::Searched { .. } => Some(1),
            TrafficEvent::ProductViewed { .. } => Some(2),
            TrafficEvent::AddedToCart { .. } | TrafficEvent::RfqSent { .. } => Some(3),
            TrafficEvent::OrderPlaced { .. } => Some(4),
            TrafficEvent::PaymentMade { .. } => Some(5),
        };
        if let (Some(step), Some(_)) = (step, live) {
            self.reach(session, step);
        }
    }

    fn order_lines(&mut self, hour: u32, session: u32, supplier: Uuid, lines: &[Line], paid: bool) {
        let mut seen: Vec<Uuid> = Vec::new();
        for line in lines {
            let c = self.product_counters(
                hour,
                Dims {
                    session,
                    category: line.category,
                    supplier,
                },
            );
            let first = !seen.contains(&line.category);
            if paid {
                c.paid_orders += u64::from(first);
                c.items += line.items;
                c.gmv += line.value;
            } else {
                c.orders += u64::from(first);
            }
            seen.push(line.category);
        }
    }

    /// Ends sessions idle for a day (by event time), now and then.
    fn sweep(&mut self) {
        self.applied_since_sweep += 1;
        if self.applied_since_sweep < 50_000 {
            return;
        }
        self.applied_since_sweep = 0;
        let clock = self.clock;
        let touched = &mut self.touched.sessions;
        self.sessions.retain(|id, s| {
            let live = clock - s.last_at <= SESSION_IDLE_MS;
            if !live {
                touched.insert(*id);
            }
            live
        });
    }

    pub fn apply_rfq(&mut self, id: Uuid, event: &RfqEvent) {
        match event {
            RfqEvent::RfqCreated(e) => {
                self.touched.rfqs.insert(id);
                self.rfqs.insert(
                    id,
                    RfqFacts {
                        sent_at: e.at,
                        respond_by: e.respond_by,
                        invited: e.invited.iter().map(|s| s.0).collect(),
                        first_quote_at: None,
                        quoted: BTreeMap::new(),
                        category: Some(e.request.category.0),
                    },
                );
            }
            RfqEvent::QuoteSubmitted(e) => {
                if let Some(r) = self.rfqs.get_mut(&id) {
                    self.touched.rfqs.insert(id);
                    r.first_quote_at.get_or_insert(e.at);
                    r.quoted.entry(e.supplier.0).or_insert(e.at);
                }
            }
            _ => {}
        }
    }

    fn dispute_counters(&mut self, at: Millis, supplier: Uuid) -> &mut DisputeCounters {
        self.touched.days.insert(hour_of(at) / 24);
        self.disputes_by_day
            .entry(hour_of(at) / 24)
            .or_default()
            .entry(supplier)
            .or_default()
    }

    pub fn apply_escrow(&mut self, order: Uuid, event: &EscrowEvent) {
        match event {
            EscrowEvent::EscrowOpened(e) => {
                self.touched.escrows.insert(order);
                self.escrow_suppliers.insert(order, e.supplier.0);
            }
            EscrowEvent::EscrowRefunded(e) => {
                let Some(supplier) = self.escrow_suppliers.get(&order).copied() else {
                    return;
                };
                self.touched.hours.insert(hour_of(e.at));
                *self
                    .refunds_by_hour
                    .entry(hour_of(e.at))
                    .or_default()
                    .entry(supplier)
                    .or_default() += e.amount.minor;
            }
            _ => {}
        }
    }

    pub fn apply_order(&mut self, event: &OrderEvent) {
        if let OrderEvent::OrderPlaced(e) = event {
            self.dispute_counters(e.at, e.supplier.0).orders += 1;
        }
    }

    pub fn apply_dispute(&mut self, id: Uuid, event: &DisputeEvent) {
        match event {
            DisputeEvent::DisputeOpened(e) => {
                self.touched.disputes.insert(id);
                self.open_disputes.insert(id, e.supplier.0);
                self.dispute_counters(e.at, e.supplier.0).disputes += 1;
            }
            DisputeEvent::DisputeRuled(e) => {
                self.touched.disputes.insert(id);
                self.open_disputes.remove(&id);
                let c = self.dispute_counters(e.at, e.supplier.0);
                if e.release.minor == 0 {
                    c.for_buyer += 1;
                } else if e.refund.minor == 0 {
                    c.for_supplier += 1;
                } else {
                    c.split += 1;
                }
            }
            DisputeEvent::DisputeWithdrawn(e) => {
                if let Some(supplier) = self.open_disputes.remove(&id) {
                    self.touched.disputes.insert(id);
                    self.dispute_counters(e.at, supplier).withdrawn += 1;
                }
            }
            _ => {}
        }
    }
}
