//! Traffic events: what the gateway saw a session do. They live in their own streams
//! (`traffic-<batch id>`), appended in batches, and only analytics reads them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::source::Source;

/// The stream kind of traffic batches.
pub const TRAFFIC_KIND: &str = "traffic";

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// One thing a session did. Every event names its session and its time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum TrafficEvent {
    /// A visitor landed: where from, where, on what.
    SessionStarted {
        session: Uuid,
        visitor: Uuid,
        source: Source,
        campaign: Option<String>,
        region: Option<String>,
        device: String,
        landing: String,
        at: Millis,
    },
    PageViewed {
        session: Uuid,
        path: String,
        at: Millis,
    },
    /// A first page of search results (paging is not another search).
    Searched {
        session: Uuid,
        text: String,
        category: Option<Uuid>,
        filters: u32,
        results: u64,
        at: Millis,
    },
    ProductViewed {
        session: Uuid,
        product: Uuid,
        category: Uuid,
        supplier: Uuid,
        at: Millis,
    },
    AddedToCart {
        session: Uuid,
        product: Uuid,
        category: Uuid,
        supplier: Uuid,
        quantity: u64,
        at: Millis,
    },
    RfqSent {
        session: Uuid,
        rfq: Uuid,
        category: Option<Uuid>,
        at: Millis,
    },
    /// An order placed (from a cart or an accepted quote), with its value per category.
    OrderPlaced {
        session: Uuid,
        order: Uuid,
        supplier: Uuid,
        lines: Vec<Line>,
        at: Millis,
    },
    /// The buyer paid an order into escrow.
    PaymentMade {
        session: Uuid,
        order: Uuid,
        supplier: Uuid,
        lines: Vec<Line>,
        at: Millis,
    },
}

/// An order's items in one category: how many and for how much (minor units).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub category: Uuid,
    pub items: u64,
    pub value: i64,
}

impl TrafficEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            TrafficEvent::SessionStarted { .. } => "SessionStarted",
            TrafficEvent::PageViewed { .. } => "PageViewed",
            TrafficEvent::Searched { .. } => "Searched",
            TrafficEvent::ProductViewed { .. } => "ProductViewed",
            TrafficEvent::AddedToCart { .. } => "AddedToCart",
            TrafficEvent::RfqSent { .. } => "RfqSent",
            TrafficEvent::OrderPlaced { .. } => "OrderPlaced",
            TrafficEvent::PaymentMade { .. } => "PaymentMade",
        }
    }

    pub fn session(&self) -> Uuid {
        match self {
            TrafficEvent::SessionStarted { session, .. }
            | TrafficEvent::PageViewed { session, .. }
            | TrafficEvent::Searched { session, .. }
            | TrafficEvent::ProductViewed { session, .. }
            | TrafficEvent::AddedToCart { session, .. }
            | TrafficEvent::RfqSent { session, .. }
            | TrafficEvent::OrderPlaced { session, .. }
            | TrafficEvent::PaymentMade { session, .. } => *session,
        }
    }

    pub fn at(&self) -> Millis {
        match self {
            TrafficEvent::SessionStarted { at, .. }
            | TrafficEvent::PageViewed { at, .. }
            | TrafficEvent::Searched { at, .. }
            | TrafficEvent::ProductViewed { at, .. }
            | TrafficEvent::AddedToCart { at, .. }
            | TrafficEvent::RfqSent { at, .. }
            | TrafficEvent::OrderPlaced { at, .. }
            | TrafficEvent::PaymentMade { at, .. } => *at,
        }
    }

    /// The event as stored: `{"type": …, "data": …}`, read back in one pass.
    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).expect("traffic events serialise")
    }

    pub fn from_payload(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }
}
