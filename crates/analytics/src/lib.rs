//! Analytics for agents and suppliers: the gateway records traffic events (sessions, searches,
//! product views, carts, orders, payments) into their own streams; a projection folds them, with
//! the marketplace's RFQ and dispute events, into counters that answer questions by time and
//! dimension.

pub mod cube;
pub mod events;
pub mod projection;
pub mod recorder;
pub mod report;
pub mod sample;
pub mod source;
pub mod store;

pub use cube::{Analytics, Dims, SessionDims};
pub use events::{TrafficEvent, TRAFFIC_KIND};
pub use projection::{AnalyticsError, AnalyticsProjection};
pub use recorder::TrafficRecorder;
pub use report::{Dimension, Filter, Granularity, ReportRow, Step};
pub use source::{classify_source, device_of, region_of_address, region_of_header, Source};
