//! Durable timers: every deadline the marketplace keeps (an RFQ's response SLA and deadline, a
//! quote's validity, an order's payment window, the auto-receipt after delivery, a dispute's
//! answer SLA, a document's expiry, the check of a reservation or a dispute whose placing stopped
//! halfway) is read from the event that set it and kept in an indexed table saved with the process
//! checkpoint (see `process_store`) — so a restart loses none. A timer fires when the clock port
//! passes its due time; the command it runs is idempotent.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use zhuchao_domain::dispute::DisputeEvent;
use zhuchao_domain::ids::{DisputeId, OrderId, ProductId, RfqId, SupplierId};
use zhuchao_domain::order::OrderEvent;
use zhuchao_domain::product::ProductEvent;
use zhuchao_domain::rfq::RfqEvent;
use zhuchao_domain::{Timestamp, DAY_MS};

/// How long a reservation may wait for its order to be placed before it is checked.
pub const RESERVATION_CHECK_MS: Timestamp = 15 * 60 * 1000;
/// How long an order may be held for a dispute that has not been opened before it is checked.
pub const DISPUTE_CHECK_MS: Timestamp = 5 * 60 * 1000;
/// After a dispute or a refused return ends, the buyer has at least this long to act before the
/// goods count as received.
pub const AUTO_RECEIPT_GRACE_MS: Timestamp = DAY_MS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimerTask {
    /// No invited supplier quoted within the SLA: open the RFQ to the category pool.
    OpenRfqToPool(RfqId),
    /// The RFQ's deadline: expire it unless awarded.
    ExpireRfq(RfqId),
    /// A quote's validity ends: expire the quotes past it.
    ExpireQuotes(RfqId),
    /// Delivered N days ago: the goods count as received (unless disputed or being returned),
    /// which releases the escrow.
    AutoRelease {
        order: OrderId,
        delivered_at: Timestamp,
    },
    /// The dispute's answer SLA: rule by default if the other side is silent.
    RuleDisputeByDefault(DisputeId),
    /// The payment window of a placed order ends: cancel it if still unpaid.
    ExpireUnpaid(OrderId),
    /// A reservation whose order may never have been placed: give it back if so.
    CheckReservation { product: ProductId, order: OrderId },
    /// An order held for a dispute that may never have been opened: free it if so.
    CheckDispute { order: OrderId, dispute: DisputeId },
    /// A supplier's document expires: record it (and lapse the supplier if it must).
    ExpireDocuments(SupplierId),
}

/// A timer: when it is due and what it does.
pub type Timer = (Timestamp, TimerTask);

/// The timers set and done since the process checkpoint was last saved: what the next save
/// writes, in the same transaction as the position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimerChanges {
    pub added: BTreeSet<Timer>,
    pub done: BTreeSet<Timer>,
}

impl TimerChanges {
    pub fn schedule(&mut self, due: Timestamp, task: TimerTask) {
        self.done.remove(&(due, task));
        self.added.insert((due, task));
    }

    /// The timer fired: it is taken out of the table (whether it was saved already or not).
    pub fn finish(&mut self, timer: Timer) {
        self.added.remove(&timer);
        self.done.insert(timer);
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.done.is_empty()
    }

    pub fn on_rfq_event(&mut self, rfq: RfqId, event: &RfqEvent) {
        match event {
            RfqEvent::RfqCreated(e) => {
                self.schedule(e.respond_by, TimerTask::OpenRfqToPool(rfq));
                self.schedule(e.request.deadline, TimerTask::ExpireRfq(rfq));
            }
            RfqEvent::QuoteSubmitted(e) => {
                self.schedule(e.valid_until, TimerTask::ExpireQuotes(rfq))
            }
            RfqEvent::QuoteRevised(e) => self.schedule(e.valid_until, TimerTask::ExpireQuotes(rfq)),
            _ => {}
        }
    }

    pub fn on_order_event(
        &mut self,
        order: OrderId,
        event: &OrderEvent,
        auto_release_days: i64,
        payment_window_ms: Timestamp,
    ) {
        let auto_receipt = |delivered_at: Timestamp, not_before: Timestamp| {
            let due = delivered_at
                .saturating_add(auto_release_days.saturating_mul(DAY_MS))
                .max(not_before);
            (
                due,
                TimerTask::AutoRelease {
                    order,
                    delivered_at,
                },
            )
        };
        match event {
            OrderEvent::OrderPlaced(e) => self.schedule(
                e.at.saturating_add(payment_window_ms),
                TimerTask::ExpireUnpaid(order),
            ),
            OrderEvent::OrderDelivered(e) => {
                let (due, task) = auto_receipt(e.at, e.at);
                self.schedule(due, task);
            }
            OrderEvent::OrderDisputed(e) => self.schedule(
                e.at.saturating_add(DISPUTE_CHECK_MS),
                TimerTask::CheckDispute {
                    order,
                    dispute: e.dispute,
                },
            ),
            // Back to delivered after a dispute or a refused return: the clock runs again, with
            // a day's grace at least.
            OrderEvent::OrderDisputeEnded(e) => {
                if let Some(delivered_at) = e.delivered_at {
                    let (due, task) =
                        auto_receipt(delivered_at, e.at.saturating_add(AUTO_RECEIPT_GRACE_MS));
                    self.schedule(due, task);
                }
            }
            OrderEvent::ReturnRejected(e) => {
                if let Some(delivered_at) = e.delivered_at {
                    let (due, task) =
                        auto_receipt(delivered_at, e.at.saturating_add(AUTO_RECEIPT_GRACE_MS));
                    self.schedule(due, task);
                }
            }
            _ => {}
        }
    }

    pub fn on_product_event(&mut self, product: ProductId, event: &ProductEvent) {
        if let ProductEvent::StockReserved(e) = event {
            self.schedule(
                e.at.saturating_add(RESERVATION_CHECK_MS),
                TimerTask::CheckReservation {
                    product,
                    order: e.order,
                },
            );
        }
    }

    pub fn on_dispute_event(&mut self, dispute: DisputeId, event: &DisputeEvent) {
        if let DisputeEvent::DisputeOpened(e) = event {
            self.schedule(e.answer_by, TimerTask::RuleDisputeByDefault(dispute));
        }
    }
}
