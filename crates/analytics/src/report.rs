//! Answers: the counters of a time range grouped by hour, day or week and by one dimension,
//! narrowed by filters. Session figures (traffic, the session funnel) cannot be cut by category
//! or supplier — a session is not about one — so those cuts answer with product figures only.

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use crate::cube::{
    hour_of, Analytics, DisputeCounters, ProductCounters, SessionCounters, SessionDims, HOUR_MS,
    SESSION_STEPS,
};
use crate::events::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    Hour,
    Day,
    /// Weeks start on Monday (UTC).
    Week,
}

impl Granularity {
    /// The start of the bucket holding `hour` (hours since the epoch), in milliseconds.
    pub fn bucket(self, hour: u32) -> Millis {
        let hour = i64::from(hour);
        let start = match self {
            Granularity::Hour => hour,
            Granularity::Day => hour / 24 * 24,
            // 1970-01-01 was a Thursday: Monday is three days earlier.
            Granularity::Week => ((hour / 24 + 3) / 7 * 7 - 3) * 24,
        };
        start * HOUR_MS
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// One row per bucket.
    Total,
    Region,
    Source,
    Campaign,
    Device,
    Category,
    Supplier,
}

impl Dimension {
    fn of_product(self) -> bool {
        matches!(self, Dimension::Category | Dimension::Supplier)
    }
}

/// Keep only what matches every filter given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub region: Option<String>,
    /// A source kind (`organic`) or a full label (`organic: baidu`).
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub device: Option<String>,
    pub category: Option<Uuid>,
    pub supplier: Option<Uuid>,
}

impl Filter {
    fn of_product(&self) -> bool {
        self.category.is_some() || self.supplier.is_some()
    }

    fn session_matches(&self, d: &SessionDims) -> bool {
        self.region.as_ref().is_none_or(|r| *r == d.region)
            && self
                .source
                .as_ref()
                .is_none_or(|s| *s == d.source || *s == d.source_detail)
            && self.campaign.as_ref().is_none_or(|c| *c == d.campaign)
            && self.device.as_ref().is_none_or(|v| *v == d.device)
    }
}

/// A funnel step and how many reached it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub name: &'static str,
    pub count: u64,
}

/// One bucket × one value of the dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRow {
    pub bucket: Millis,
    pub key: String,
    /// Session figures; `None` when cut by category or supplier.
    pub sessions: Option<SessionCounters>,
    pub visitors: Option<u64>,
    pub products: ProductCounters,
    pub funnel: Vec<Step>,
    /// Paid orders and their value: the basket and GMV figures.
    pub paid_orders: u64,
    pub items: u64,
    pub gmv: i64,
    /// Refunded to buyers in the bucket (shipping included); `None` when cut or filtered by
    /// what a refund does not carry (a session's region, source, campaign or device, or a
    /// category).
    pub refunded: Option<i64>,
}

impl ReportRow {
    /// Average value of a paid order, minor units.
    pub fn average_order_value(&self) -> Option<f64> {
        (self.paid_orders > 0).then(|| self.gmv as f64 / self.paid_orders as f64)
    }

    pub fn items_per_order(&self) -> Option<f64> {
        (self.paid_orders > 0).then(|| self.items as f64 / self.paid_orders as f64)
    }

    /// Orders paid in a session, per session. Orders paid outside any session (API clients)
    /// are in GMV but not here, so the funnel's paid step bounds it.
    pub fn conversion_rate(&self) -> Option<f64> {
        let s = self.sessions.as_ref()?;
        (s.sessions > 0).then(|| s.session_paid_orders as f64 / s.sessions as f64)
    }

    /// Average value of an order paid in a session, minor units.
    pub fn session_order_value(&self) -> Option<f64> {
        let s = self.sessions.as_ref()?;
        (s.session_paid_orders > 0).then(|| s.session_gmv as f64 / s.session_paid_orders as f64)
    }

    /// GMV less what was refunded in the bucket.
    pub fn net_gmv(&self) -> Option<i64> {
        Some(self.gmv - self.refunded?)
    }
}

type Rows = BTreeMap<(Millis, String), ReportRow>;

/// The row of a bucket and key, made empty the first time.
fn row_of<'a>(rows: &'a mut Rows, bucket: Millis, key: &str, sessions: bool) -> &'a mut ReportRow {
    rows.entry((bucket, key.to_string()))
        .or_insert_with(|| ReportRow {
            bucket,
            key: key.to_string(),
            sessions: sessions.then(SessionCounters::default),
            visitors: None,
            products: ProductCounters::default(),
            funnel: Vec::new(),
            paid_orders: 0,
            items: 0,
            gmv: 0,
            refunded: None,
        })
}

fn hours(from: Millis, to: Millis) -> std::ops::Range<u32> {
    let start = hour_of(from);
    start..hour_of(to.max(from).saturating_add(HOUR_MS - 1)).max(start)
}

fn uuid_key(id: Uuid) -> String {
    id.to_string()
}

impl Analytics {
    /// Counters of `[from, to)` (whole hours), per bucket and dimension value, oldest first.
    /// `visitors` also counts distinct visitors (costs a pass over their ids).
    pub fn report(
        &self,
        from: Millis,
        to: Millis,
        granularity: Granularity,
        dimension: Dimension,
        filter: &Filter,
        visitors: bool,
    ) -> Vec<ReportRow> {
        let range = hours(from, to);
        let session_key = |d: &SessionDims| -> String {
            match dimension {
                Dimension::Region => d.region.clone(),
                Dimension::Source => d.source.clone(),
                Dimension::Campaign => d.campaign.clone(),
                Dimension::Device => d.device.clone(),
                _ => String::new(),
            }
        };
        let product_level = dimension.of_product() || filter.of_product();
        let mut rows: Rows = BTreeMap::new();
        // Which session dimension ids pass the filter, and their keys.
        let session_keys: Vec<Option<String>> = self
            .session_dims
            .iter()
            .map(|d| filter.session_matches(d).then(|| session_key(d)))
            .collect();

        if !product_level {
            for (hour, by_dims) in self.sessions_by_hour.range(range.clone()) {
                let bucket = granularity.bucket(*hour);
                for (dims, c) in by_dims {
                    let Some(key) = &session_keys[*dims as usize] else {
                        continue;
                    };
                    row_of(&mut rows, bucket, key, !product_level)
                        .sessions
                        .as_mut()
                        .expect("session row")
                        .add(c);
                }
            }
            if visitors {
                let mut seen: HashMap<(Millis, String), HashSet<u64>> = HashMap::new();
                for (hour, by_dims) in self.visitors_by_hour.range(range.clone()) {
                    let bucket = granularity.bucket(*hour);
                    for (dims, ids) in by_dims {
                        if let Some(key) = &session_keys[*dims as usize] {
                            seen.entry((bucket, key.clone()))
                                .or_default()
                                .extend(ids.iter().copied());
                        }
                    }
                }
                for (k, ids) in seen {
                    if let Some(r) = rows.get_mut(&k) {
                        r.visitors = Some(ids.len() as u64);
                    }
                }
            }
        }
        // Session rows carry their own product counts; only category and supplier cuts need
        // the (much larger) product counters.
        let product_hours = if product_level {
            self.products_by_hour.range(range)
        } else {
            self.products_by_hour.range(0..0)
        };
        for (hour, by_dims) in product_hours {
            let bucket = granularity.bucket(*hour);
            for (dims, c) in by_dims {
                let d = &self.product_dims[*dims as usize];
                let Some(skey) = &session_keys[d.session as usize] else {
                    continue;
                };
                if filter.category.is_some_and(|x| x != d.category)
                    || filter.supplier.is_some_and(|x| x != d.supplier)
                {
                    continue;
                }
                let key = match dimension {
                    Dimension::Category => uuid_key(d.category),
                    Dimension::Supplier => uuid_key(d.supplier),
                    _ => skey.clone(),
                };
                row_of(&mut rows, bucket, &key, !product_level)
                    .products
                    .add(c);
            }
        }
        // Refunds carry a supplier and a time only.
        let refunds_apply = matches!(dimension, Dimension::Total | Dimension::Supplier)
            && filter.category.is_none()
            && filter.region.is_none()
            && filter.source.is_none()
            && filter.campaign.is_none()
            && filter.device.is_none();
        if refunds_apply {
            for r in rows.values_mut() {
                r.refunded = Some(0);
            }
            for (hour, by_supplier) in self.refunds_by_hour.range(hours(from, to)) {
                let bucket = granularity.bucket(*hour);
                for (supplier, amount) in by_supplier {
                    if filter.supplier.is_some_and(|x| x != *supplier) {
                        continue;
                    }
                    let key = match dimension {
                        Dimension::Supplier => uuid_key(*supplier),
                        _ => String::new(),
                    };
                    let row = row_of(&mut rows, bucket, &key, !product_level);
                    *row.refunded.get_or_insert(0) += amount;
                }
            }
        }
        rows.into_values()
            .map(|mut r| {
                match &r.sessions {
                    Some(s) => {
                        r.products = ProductCounters {
                            views: s.product_views,
                            carts: s.carts,
                            orders: s.orders,
                            paid_orders: s.paid_orders,
                            items: s.items,
                            gmv: s.gmv,
                        };
                        r.funnel = std::iter::once(s.sessions)
                            .chain(s.reached)
                            .zip(SESSION_STEPS)
                            .map(|(count, name)| Step { name, count })
                            .collect();
                        r.paid_orders = s.paid_orders;
                        r.items = s.items;
                        r.gmv = s.gmv;
                    }
                    None => {
                        let p = &r.products;
                        r.funnel = [
                            ("product views", p.views),
                            ("added to cart", p.carts),
                            ("ordered", p.orders),
                            ("paid", p.paid_orders),
                        ]
                        .into_iter()
                        .map(|(name, count)| Step { name, count })
                        .collect();
                        r.paid_orders = p.paid_orders;
                        r.items = p.items;
                        r.gmv = p.gmv;
                    }
                }
                r
            })
            .collect()
    }

    /// The most typed searches of `[from, to)`: (text, searches, with no result), most first.
    pub fn top_searches(
        &self,
        from: Millis,
        to: Millis,
        limit: usize,
        zero_results_only: bool,
    ) -> Vec<(String, u64, u64)> {
        let range = hours(from, to);
        let days = range.start / 24..range.end.div_ceil(24);
        let mut all: HashMap<&str, (u64, u64)> = HashMap::new();
        for (_, day) in self.searches_by_day.range(days) {
            for (text, (n, zero)) in day {
                let e = all.entry(text.as_str()).or_default();
                e.0 += n;
                e.1 += zero;
            }
        }
        let mut list: Vec<(String, u64, u64)> = all
            .into_iter()
            .filter(|(_, (_, zero))| !zero_results_only || *zero > 0)
            .map(|(t, (n, z))| (t.to_string(), n, z))
            .collect();
        list.sort_by(|a, b| {
            let (ka, kb) = if zero_results_only {
                (a.2, b.2)
            } else {
                (a.1, b.1)
            };
            kb.cmp(&ka).then_with(|| a.0.cmp(&b.0))
        });
        list.truncate(limit);
        list
    }

    /// RFQs sent in `[from, to)` per bucket (to one supplier's invitations when given): how many,
    /// how many got a quote, how many within the response SLA, and the median minutes to the
    /// first quote.
    pub fn rfq_response(
        &self,
        from: Millis,
        to: Millis,
        granularity: Granularity,
        supplier: Option<Uuid>,
    ) -> Vec<RfqRow> {
        let mut rows: BTreeMap<Millis, (RfqRow, Vec<i64>)> = BTreeMap::new();
        for r in self.rfqs.values() {
            if r.sent_at < from || r.sent_at >= to {
                continue;
            }
            let first = match supplier {
                Some(s) => {
                    if !r.invited.contains(&s) && !r.quoted.contains_key(&s) {
                        continue;
                    }
                    r.quoted.get(&s).copied()
                }
                None => r.first_quote_at,
            };
            let bucket = granularity.bucket(hour_of(r.sent_at));
            let (row, waits) = rows.entry(bucket).or_insert_with(|| {
                (
                    RfqRow {
                        bucket,
                        ..Default::default()
                    },
                    Vec::new(),
                )
            });
            row.rfqs += 1;
            if let Some(at) = first {
                row.answered += 1;
                if at <= r.respond_by {
                    row.within_sla += 1;
                }
                waits.push(at - r.sent_at);
            }
        }
        rows.into_values()
            .map(|(mut row, mut waits)| {
                waits.sort_unstable();
                row.median_minutes_to_first_quote =
                    (!waits.is_empty()).then(|| waits[waits.len() / 2] as f64 / 60_000.0);
                row
            })
            .collect()
    }

    /// Orders and disputes per supplier over `[from, to)`, most disputed first.
    pub fn disputes(
        &self,
        from: Millis,
        to: Millis,
        supplier: Option<Uuid>,
    ) -> Vec<(Uuid, DisputeCounters)> {
        let range = hours(from, to);
        let days = range.start / 24..range.end.div_ceil(24);
        let mut per: HashMap<Uuid, DisputeCounters> = HashMap::new();
        for (_, day) in self.disputes_by_day.range(days) {
            for (s, c) in day {
                if supplier.is_none_or(|x| x == *s) {
                    per.entry(*s).or_default().add(c);
                }
            }
        }
        let mut list: Vec<(Uuid, DisputeCounters)> = per.into_iter().collect();
        list.sort_by(|a, b| b.1.disputes.cmp(&a.1.disputes).then(a.0.cmp(&b.0)));
        list
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RfqRow {
    pub bucket: Millis,
    pub rfqs: u64,
    pub answered: u64,
    pub within_sla: u64,
    pub median_minutes_to_first_quote: Option<f64>,
}
