//! Realistic generated traffic, for the demo's dashboards and the benchmark: working-hours
//! peaks, quiet weekends, buyers from the manufacturing provinces, search engines and campaigns,
//! and a funnel that narrows the way B2B funnels do.

use uuid::Uuid;

use crate::events::{Line, Millis, TrafficEvent};
use crate::source::Source;

/// A product sessions may view, add to a cart and order.
#[derive(Clone, Debug)]
pub struct SampleProduct {
    pub id: Uuid,
    pub category: Uuid,
    pub supplier: Uuid,
    /// Unit price in minor units.
    pub unit_price: i64,
    pub moq: u64,
    pub title: String,
}

/// A small deterministic generator (PCG-style): the same seed gives the same sample data — the
/// demo's traffic and catalogue, and the test data of the analytics tests.
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.roll() as usize) % items.len()]
    }
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (item, w) in items {
            if roll < *w {
                return item;
            }
            roll -= w;
        }
        &items[0].0
    }
    pub fn id(&mut self) -> Uuid {
        Uuid::from_u64_pair(
            self.roll() << 31 ^ self.roll(),
            self.roll() << 31 ^ self.roll(),
        )
    }
}

const REGIONS: &[(&str, u64)] = &[
    ("浙江", 22),
    ("江苏", 20),
    ("广东", 18),
    ("山东", 10),
    ("上海", 8),
    ("河北", 6),
    ("福建", 5),
    ("天津", 4),
    ("河南", 4),
    ("四川", 3),
];

const SEARCHES: &[&str] = &[
    "M8 hex bolt",
    "六角螺栓 M10",
    "不锈钢 螺栓",
    "6204 bearing",
    "深沟球轴承 6205",
    "SS304 bolt",
    "气缸 50",
    "twist drill 8",
    "hss drill",
    "M12 bolt 40",
    "法兰螺母",
    "T型螺栓",
];

/// Sessions over `[from, to)` (about `sessions_per_day` on a weekday), with their searches,
/// views, carts, RFQs, orders and payments on `catalogue`'s products. Sorted by time.
pub fn sample_traffic(
    seed: u64,
    from: Millis,
    to: Millis,
    sessions_per_day: u64,
    catalogue: &[SampleProduct],
) -> Vec<TrafficEvent> {
    const HOUR: i64 = 3_600_000;
    let mut dice = Dice(seed ^ 0x5EED);
    let mut events = Vec::new();
    if catalogue.is_empty() {
        return events;
    }
    let visitors: Vec<Uuid> = (0..(sessions_per_day * 4).max(10))
        .map(|_| dice.id())
        .collect();
    let days = ((to - from) / (24 * HOUR)).max(1);
    for day in 0..days {
        let day_start = from + day * 24 * HOUR;
        // 1970-01-01 was a Thursday.
        let weekday = (day_start / (24 * HOUR) + 3).rem_euclid(7); // 0 = Monday
        let weekend = weekday >= 5;
        let volume = if weekend {
            sessions_per_day / 4
        } else {
            sessions_per_day
        };
        // A two-week trade-fair campaign in the middle of the range.
        let campaign_on = day >= days / 3 && day < days / 3 + 14;
        for _ in 0..volume {
            // Working hours (China, UTC+8): most sessions between 08:00 and 18:00 local.
            let local_hour = *dice.weighted(&[
                (8, 6),
                (9, 10),
                (10, 12),
                (11, 10),
                (13, 9),
                (14, 11),
                (15, 10),
                (16, 8),
                (17, 5),
                (20, 3),
                (22, 2),
                (2, 1),
            ]) as i64;
            let at0 =
                day_start + (local_hour - 8).rem_euclid(24) * HOUR + dice.below(HOUR as u64) as i64;
            if at0 >= to {
                continue;
            }
            let session = dice.id();
            let visitor = visitors[dice.below(visitors.len() as u64) as usize];
            let (source, campaign) = match dice.below(if campaign_on { 110 } else { 100 }) {
                0..=29 => (Source::Direct, None),
                30..=54 => (
                    Source::Organic(
                        dice.weighted(&[("baidu", 7), ("bing", 2), ("sogou", 1)])
                            .to_string(),
                    ),
                    None,
                ),
                55..=69 => (
                    Source::Paid("baidu".into()),
                    Some("sem-fasteners".to_string()),
                ),
                70..=84 => (
                    Source::Referral(
                        dice.weighted(&[
                            ("1688.com", 3),
                            ("fastener-forum.cn", 2),
                            ("weixin.qq.com", 4),
                        ])
                        .to_string(),
                    ),
                    None,
                ),
                85..=99 => (
                    Source::Campaign("newsletter".into()),
                    Some("monthly-deals".to_string()),
                ),
                _ => (
                    Source::Campaign("tradefair".into()),
                    Some("canton-fair-qr".to_string()),
                ),
            };
            // Campaign and paid visitors convert differently from organic ones.
            let intent = match source {
                Source::Direct => 14,
                Source::Paid(_) => 10,
                Source::Campaign(_) => 12,
                Source::Organic(_) => 8,
                Source::Referral(_) => 7,
            };
            let device = if dice.chance(280) { "phone" } else { "desktop" };
            let mut at = at0;
            let mut later = |dice: &mut Dice| {
                at += 5_000 + dice.below(240_000) as i64;
                at
            };
            events.push(TrafficEvent::SessionStarted {
                session,
                visitor,
                source,
                campaign,
                region: Some(dice.weighted(REGIONS).to_string()),
                device: device.into(),
                landing: "/".into(),
                at: at0,
            });
            for _ in 0..1 + dice.below(5) {
                events.push(TrafficEvent::PageViewed {
                    session,
                    path: ["/", "/search", "/product", "/rfq", "/orders"][dice.below(5) as usize]
                        .into(),
                    at: later(&mut dice),
                });
            }
            if !dice.chance(720) {
                continue;
            }
            let product = &catalogue[dice.below(catalogue.len() as u64) as usize];
            let zero = dice.chance(60);
            events.push(TrafficEvent::Searched {
                session,
                text: if zero {
                    ["M7 bolt", "钛合金 螺栓 M3", "bearing 6299", "液压缸 200"]
                        [dice.below(4) as usize]
                        .to_string()
                } else {
                    SEARCHES[dice.below(SEARCHES.len() as u64) as usize].to_string()
                },
                category: dice.chance(500).then_some(product.category),
                filters: dice.below(4) as u32,
                results: if zero { 0 } else { 1 + dice.below(400) },
                at: later(&mut dice),
            });
            if zero || !dice.chance(650) {
                continue;
            }
            for _ in 0..1 + dice.below(4) {
                events.push(TrafficEvent::ProductViewed {
                    session,
                    product: product.id,
                    category: product.category,
                    supplier: product.supplier,
                    at: later(&mut dice),
                });
            }
            if dice.chance(90) {
                events.push(TrafficEvent::RfqSent {
                    session,
                    rfq: dice.id(),
                    category: Some(product.category),
                    at: later(&mut dice),
                });
            }
            if !dice.chance(intent * 25) {
                continue;
            }
            let quantity = product.moq.max(1) * (1 + dice.below(10));
            events.push(TrafficEvent::AddedToCart {
                session,
                product: product.id,
                category: product.category,
                supplier: product.supplier,
                quantity,
                at: later(&mut dice),
            });
            if !dice.chance(450) {
                continue;
            }
            let order = dice.id();
            let lines = vec![Line {
                category: product.category,
                items: quantity,
                value: product.unit_price * quantity as i64,
            }];
            events.push(TrafficEvent::OrderPlaced {
                session,
                order,
                supplier: product.supplier,
                lines: lines.clone(),
                at: later(&mut dice),
            });
            if dice.chance(850) {
                events.push(TrafficEvent::PaymentMade {
                    session,
                    order,
                    supplier: product.supplier,
                    lines,
                    at: later(&mut dice),
                });
            }
        }
    }
    events.sort_by_key(TrafficEvent::at);
    events
}
