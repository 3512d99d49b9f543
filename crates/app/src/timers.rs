//! Durable timers: every deadline the marketplace keeps (an RFQ's response SLA and deadline, a
//! quote's validity, the auto-release after delivery, a dispute's answer SLA) is read from the
//! event that set it and kept in a table saved with the process checkpoint — so a restart loses
//! none. A timer fires when the clock port passes its due time; the command it runs is idempotent.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use zhuchao_domain::dispute::DisputeEvent;
use zhuchao_domain::ids::{DisputeId, OrderId, RfqId};
use zhuchao_domain::order::OrderEvent;
use zhuchao_domain::rfq::RfqEvent;
use zhuchao_domain::{Timestamp, DAY_MS};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimerTask {
    /// No invited supplier quoted within the SLA: open the RFQ to the category pool.
    OpenRfqToPool(RfqId),
    /// The RFQ's deadline: expire it unless awarded.
    ExpireRfq(RfqId),
    /// A quote's validity ends: expire the quotes past it.
    ExpireQuotes(RfqId),
    /// Delivered N days ago: release the escrow unless a dispute holds it.
    AutoRelease {
        order: OrderId,
        delivered_at: Timestamp,
    },
    /// The dispute's answer SLA: rule by default if the other side is silent.
    RuleDisputeByDefault(DisputeId),
}

/// Pending timers by due time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimerTable {
    pub pending: BTreeSet<(Timestamp, TimerTask)>,
}

impl TimerTable {
    pub fn schedule(&mut self, due: Timestamp, task: TimerTask) {
        self.pending.insert((due, task));
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

    pub fn on_order_event(&mut self, order: OrderId, event: &OrderEvent, auto_release_days: i64) {
        if let OrderEvent::OrderDelivered(e) = event {
            self.schedule(
                e.at + auto_release_days * DAY_MS,
                TimerTask::AutoRelease {
                    order,
                    delivered_at: e.at,
                },
            );
        }
    }

    pub fn on_dispute_event(&mut self, dispute: DisputeId, event: &DisputeEvent) {
        if let DisputeEvent::DisputeOpened(e) = event {
            self.schedule(e.answer_by, TimerTask::RuleDisputeByDefault(dispute));
        }
    }

    /// The timers due at `now`, earliest first.
    pub fn due(&self, now: Timestamp) -> Vec<(Timestamp, TimerTask)> {
        self.pending
            .iter()
            .take_while(|(due, _)| *due <= now)
            .copied()
            .collect()
    }

    pub fn done(&mut self, timer: &(Timestamp, TimerTask)) {
        self.pending.remove(timer);
    }
}
