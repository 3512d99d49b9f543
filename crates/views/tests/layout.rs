//! The states the read models keep are stored in a compact binary form that only a build with
//! the same types can read back. This test traces those types' shape and compares it with the
//! shape recorded for the current `LAYOUT`: a change to any stored state must come with a new
//! layout number, so that nodes fold their read models again instead of misreading them.
//!
//! After changing a state type: bump `zhuchao_views::schema::LAYOUT`, then record the new shape
//! with `ZHUCHAO_RECORD_LAYOUT=1 cargo test -p zhuchao-views --test layout`.

use serde_json::json;
use serde_reflection::{Samples, Tracer, TracerConfig};
use zhuchao_domain::account::{AccountState, Role};
use zhuchao_domain::category::{AttributeKind, AttributeValue, CategoryState, Language};
use zhuchao_domain::credit_code::CreditCode;
use zhuchao_domain::credit_record::{CreditEntry, CreditRecordState};
use zhuchao_domain::dispute::{DisputeReason, DisputeState, DisputeStatus};
use zhuchao_domain::escrow::{EscrowState, PayoutReason};
use zhuchao_domain::money::Currency;
use zhuchao_domain::order::{OrderSource, OrderState, OrderStatus, Party};
use zhuchao_domain::product::{ProductState, ProductStatus};
use zhuchao_domain::review::OrderRated;
use zhuchao_domain::rfq::{QuoteStatus, RfqState, RfqStatus};
use zhuchao_domain::supplier::{DocumentKind, Review, SupplierState, SupplierStatus};
use zhuchao_domain::units::{Dimension, Unit};

const RECORDED: &str = "tests/layout.json";

fn traced() -> serde_json::Value {
    // Ids are uuids, 16 bytes in a binary form; the one checked string is a credit code.
    let code = "91350100M000100Y43";
    CreditCode::parse(code).expect("a valid code");
    let config = TracerConfig::default()
        .default_borrowed_bytes_value(&[0; 16])
        .default_byte_buf_value(vec![0; 16])
        .default_borrowed_str_value(code)
        .default_string_value(code.to_string());
    let mut tracer = Tracer::new(config);
    let samples = Samples::new();
    macro_rules! trace {
        ($($t:ty),* $(,)?) => {$(
            tracer
                .trace_type::<$t>(&samples)
                .unwrap_or_else(|e| panic!("tracing {}: {e}", stringify!($t)));
        )*};
    }
    // Every enum inside a stored state, then the stored states themselves.
    trace!(
        Role,
        Language,
        AttributeKind,
        AttributeValue,
        Unit,
        Dimension,
        CreditEntry,
        DisputeReason,
        DisputeStatus,
        PayoutReason,
        Currency,
        OrderSource,
        OrderStatus,
        Party,
        ProductStatus,
        QuoteStatus,
        RfqStatus,
        DocumentKind,
        Review,
        SupplierStatus,
        AccountState,
        CategoryState,
        CreditRecordState,
        DisputeState,
        EscrowState,
        OrderState,
        ProductState,
        OrderRated,
        RfqState,
        SupplierState,
    );
    let registry = tracer.registry().expect("every type traced whole");
    json!({
        "layout": zhuchao_views::LAYOUT,
        "types": registry,
    })
}

#[test]
fn the_stored_states_have_the_shape_their_layout_number_says() {
    let now = traced();
    if std::env::var_os("ZHUCHAO_RECORD_LAYOUT").is_some() {
        let text = serde_json::to_string_pretty(&now).expect("json");
        std::fs::write(RECORDED, text + "\n").expect("recorded");
        return;
    }
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(RECORDED).expect("the recorded layout"))
            .expect("json");
    if now["types"] != recorded["types"] {
        assert_ne!(
            now["layout"], recorded["layout"],
            "a stored state's type changed but zhuchao_views::LAYOUT did not: bump it, then \
             record the new shape (see this test's module comment)"
        );
        panic!("LAYOUT was bumped: record the new shape (see this test's module comment)");
    }
    assert_eq!(
        now["layout"], recorded["layout"],
        "LAYOUT changed: record the shape it names (see this test's module comment)"
    );
}
