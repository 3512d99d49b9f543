//! Process managers: the marketplace's reactions to its own events (an accepted quote becomes an
//! order, an order opens its escrow, a captured payment funds it and marks the order paid, a receipt releases the money,
//! a ruling splits it and penalises the supplier, …) and the timers those events set. They follow
//! the global stream with a durable checkpoint; every command they send is idempotent, so
//! replaying events after a crash changes nothing twice.

use std::time::Duration;

use futures::StreamExt;
use uuid::Uuid;
use zhuchao_domain::credit_record::{CreditEntry, CreditRecord, CreditRecordCommand};
use zhuchao_domain::dispute::{Dispute, DisputeCommand, DisputeEvent};
use zhuchao_domain::escrow::{Escrow, EscrowCommand, EscrowEvent, PayoutReason};
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{Order, OrderCommand, OrderEvent, OrderStatus};
use zhuchao_domain::payment::{Payment, PaymentEvent};
use zhuchao_domain::product::{Product, ProductCommand};
use zhuchao_domain::review::{Review, ReviewEvent};
use zhuchao_domain::rfq::{Rfq, RfqCommand, RfqEvent};
use zhuchao_domain::supplier::{Supplier, SupplierCommand, SupplierEvent};
use zhuchao_domain::{Aggregate, EventCodecError};
use zhuchao_eventstore::{EventStore, Position, RecordedEvent, StoreError};

use crate::handler::{decode_recorded, CommandContext};
use crate::marketplace::{MarketError, Marketplace};
use crate::process_store::ProcessStore;
use crate::timers::{TimerChanges, TimerTask};

/// The platform itself, as the actor of automatic warnings.
pub const PLATFORM: UserId = UserId(Uuid::nil());

/// Replaces `path` with `bytes` so that a crash leaves the old or the new content, never a mix:
/// written to a temporary file, synced, renamed over, and the directory synced.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// How many due timers are read and fired per round.
const DUE_ROUND: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("process checkpoint: {0}")]
    Checkpoint(#[from] std::io::Error),
    #[error(transparent)]
    Market(#[from] MarketError),
    /// An event the processes cannot read: they stop here rather than skip a step of the
    /// marketplace (a skipped money step is money lost).
    #[error("the processes stopped at position {position}: {error}")]
    Unreadable {
        position: u64,
        error: EventCodecError,
    },
}

pub struct Processes<S> {
    market: Marketplace<S>,
    checkpoint: Box<dyn ProcessStore>,
    /// The last event handled.
    position: u64,
    /// Timers set and fired since the checkpoint was saved.
    timers: TimerChanges,
}

fn id_in(stream: &str, kind: &str) -> Option<Uuid> {
    stream.strip_prefix(kind)?.strip_prefix('-')?.parse().ok()
}

fn decode<A: Aggregate>(event: &RecordedEvent) -> Result<A::Event, ProcessError> {
    decode_recorded::<A>(event).map_err(|error| {
        tracing::error!(position = %event.position, %error, "the processes cannot read an event and stop");
        ProcessError::Unreadable {
            position: event.position.as_u64(),
            error,
        }
    })
}

impl<S: EventStore + Clone> Processes<S> {
    pub fn new(
        market: Marketplace<S>,
        checkpoint: Box<dyn ProcessStore>,
    ) -> Result<Self, ProcessError> {
        let position = checkpoint.position()?;
        Ok(Self {
            market,
            checkpoint,
            position,
            timers: TimerChanges::default(),
        })
    }

    /// The last event handled.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Writes the timers set and fired since the last save, with the position.
    fn save(&mut self) -> Result<(), ProcessError> {
        self.checkpoint.commit(&self.timers, self.position)?;
        self.timers = TimerChanges::default();
        Ok(())
    }

    /// Handles every stored event after the checkpoint, then saves it. Returns how many.
    pub async fn catch_up(&mut self) -> Result<usize, ProcessError> {
        let mut handled = 0;
        loop {
            let page = self
                .market
                .handler
                .store()
                .read_all(Position::from_u64(self.position), 256)
                .await?;
            if page.is_empty() {
                break;
            }
            for event in &page {
                self.handle(event).await?;
                handled += 1;
            }
        }
        self.save()?;
        Ok(handled)
    }

    /// Fires the timers due by the clock, earliest first, read by index a round at a time and
    /// saved after each round; returns how many fired.
    pub async fn fire_due_timers(&mut self) -> Result<usize, ProcessError> {
        let now = self.market.handler.now();
        // What was set since the last save goes into the table first, so one query sees all.
        if !self.timers.is_empty() {
            self.save()?;
        }
        let mut fired = 0;
        loop {
            let due = self.checkpoint.due(now, DUE_ROUND)?;
            for timer in &due {
                self.fire(timer.1, now).await?;
                self.timers.finish(*timer);
                fired += 1;
            }
            if due.is_empty() {
                return Ok(fired);
            }
            self.save()?;
        }
    }

    /// Runs until the subscription fails: reacts to each event as it arrives and fires timers
    /// every `tick`. Saves the checkpoint at least every `tick` while events flow.
    pub async fn run(mut self, tick: Duration) -> Result<(), ProcessError> {
        let store = self.market.handler.store().clone();
        let mut events = store.subscribe_all(Position::from_u64(self.position));
        let mut ticker = tokio::time::interval(tick);
        let mut dirty = false;
        loop {
            tokio::select! {
                next = events.next() => {
                    let Some(event) = next else { return Ok(()) };
                    self.handle(&event?).await?;
                    dirty = true;
                }
                _ = ticker.tick() => {
                    self.fire_due_timers().await?;
                    if dirty {
                        self.save()?;
                        dirty = false;
                    }
                }
            }
        }
    }

    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), ProcessError> {
        let stream = event.stream.as_str();
        let outcome = if let Some(id) = id_in(stream, Rfq::KIND) {
            let e = decode::<Rfq>(event)?;
            self.timers.on_rfq_event(RfqId(id), &e);
            self.on_rfq(event, RfqId(id), e).await
        } else if let Some(id) = id_in(stream, Order::KIND) {
            let e = decode::<Order>(event)?;
            let settings = &self.market.settings;
            self.timers.on_order_event(
                OrderId(id),
                &e,
                settings.auto_release_days,
                settings.payment_window_ms,
            );
            self.on_order(event, OrderId(id), e).await
        } else if let Some(id) = id_in(stream, Product::KIND) {
            let e = decode::<Product>(event)?;
            self.timers.on_product_event(ProductId(id), &e);
            Ok(())
        } else if let Some(id) = id_in(stream, Escrow::KIND) {
            let e = decode::<Escrow>(event)?;
            self.on_escrow(event, OrderId(id), e).await
        } else if let Some(id) = id_in(stream, Payment::KIND) {
            let PaymentEvent::PaymentCaptured(p) = decode::<Payment>(event)?;
            let ctx = CommandContext::caused_by(event, "process:payment-escrow");
            let fund = EscrowCommand::Fund {
                payment_id: p.payment_id,
                idempotency_key: p.idempotency_key,
                amount: p.amount,
                at: p.at,
            };
            self.market
                .run::<Escrow>(&ctx, OrderId(id), fund)
                .await
                .map(|_| ())
        } else if let Some(id) = id_in(stream, Dispute::KIND) {
            let e = decode::<Dispute>(event)?;
            self.timers.on_dispute_event(DisputeId(id), &e);
            self.on_dispute(event, DisputeId(id), e).await
        } else if let Some(id) = id_in(stream, Review::KIND) {
            match decode::<Review>(event)? {
                ReviewEvent::OrderRated(r) if r.low => {
                    let ctx = CommandContext::caused_by(event, "process:low-ratings");
                    let record = SupplierCommand::RecordLowRating {
                        order: OrderId(id),
                        at: r.at,
                    };
                    self.step(self.market.run::<Supplier>(&ctx, r.supplier, record).await)
                }
                _ => Ok(()),
            }
        } else if let Some(id) = id_in(stream, Supplier::KIND) {
            let e = decode::<Supplier>(event)?;
            self.schedule_document_expiry(SupplierId(id), &e).await?;
            self.on_supplier(event, SupplierId(id), e).await
        } else {
            Ok(())
        };
        match outcome {
            Ok(()) => {}
            // A rule refused the follow-up: the world moved on (e.g. the order was cancelled).
            Err(MarketError::Rejected { code, message }) => {
                tracing::warn!(position = %event.position, %code, %message, "process step refused");
            }
            Err(other) => return Err(other.into()),
        }
        self.position = event.position.as_u64();
        Ok(())
    }

    /// A document with an expiry sets a timer for it, from its submission and again from its
    /// approval (the approval may come after the submitted date was already checked).
    async fn schedule_document_expiry(
        &mut self,
        supplier: SupplierId,
        e: &SupplierEvent,
    ) -> Result<(), MarketError> {
        let due = match e {
            SupplierEvent::DocumentSubmitted(d) => d.expires_on,
            SupplierEvent::DocumentApproved(d) => {
                let s = self.market.handler.load::<Supplier>(supplier).await?.state;
                s.documents.get(&d.kind).and_then(|doc| doc.expires_on)
            }
            _ => None,
        };
        if let Some(due) = due {
            self.timers
                .schedule(due, TimerTask::ExpireDocuments(supplier));
        }
        Ok(())
    }

    /// Moves the stock of a cart order's products: released, shipped or restocked.
    async fn move_stock(
        &self,
        ctx: &CommandContext,
        order: OrderId,
        command: impl Fn(OrderId) -> ProductCommand,
    ) -> Result<(), MarketError> {
        let lines = self.market.handler.load::<Order>(order).await?.state.lines;
        for product in lines.iter().filter_map(|l| l.product) {
            self.market
                .run::<Product>(ctx, product, command(order))
                .await?;
        }
        Ok(())
    }

    async fn on_rfq(
        &self,
        event: &RecordedEvent,
        rfq: RfqId,
        e: RfqEvent,
    ) -> Result<(), MarketError> {
        if let RfqEvent::QuoteAccepted(a) = e {
            let ctx = CommandContext::caused_by(event, "process:quote-to-order");
            let place = OrderCommand::PlaceFromQuote {
                id: a.order,
                buyer: a.buyer,
                company: a.company,
                supplier: a.supplier,
                rfq,
                quote: a.quote,
                title: a.title,
                quantity: a.quantity,
                unit_price: a.unit_price,
                address: a.address,
                at: a.at,
            };
            self.market.run::<Order>(&ctx, a.order, place).await?;
        }
        Ok(())
    }

    async fn on_order(
        &self,
        event: &RecordedEvent,
        order: OrderId,
        e: OrderEvent,
    ) -> Result<(), MarketError> {
        let ctx = CommandContext::caused_by(event, "process:order-escrow");
        match e {
            OrderEvent::OrderPlaced(p) => {
                let open = EscrowCommand::Open {
                    order,
                    supplier: p.supplier,
                    amount: p.total,
                    at: p.at,
                };
                self.market.run::<Escrow>(&ctx, order, open).await?;
            }
            OrderEvent::OrderReceived(r) => {
                let release = EscrowCommand::Release {
                    payout: "receipt".into(),
                    reason: if r.automatic {
                        PayoutReason::AutoRelease
                    } else {
                        PayoutReason::Receipt
                    },
                    at: r.at,
                };
                self.market.run::<Escrow>(&ctx, order, release).await?;
            }
            OrderEvent::OrderCancelled(c) => {
                let at = c.at;
                self.move_stock(&ctx, order, |order| ProductCommand::Release { order, at })
                    .await?;
                if c.refund_due {
                    self.refund_cancelled(&ctx, order, at).await?;
                }
            }
            // The money arrived after the order was cancelled: it goes back to the buyer.
            OrderEvent::PaidAfterCancellation(p) => {
                self.refund_cancelled(&ctx, order, p.at).await?;
            }
            // A ruling ends an order that may never have shipped: its reservation goes back
            // (nothing when the goods had left).
            OrderEvent::OrderDisputeResolved(r) => {
                let at = r.at;
                self.move_stock(&ctx, order, |order| ProductCommand::Release { order, at })
                    .await?;
            }
            OrderEvent::OrderShipped(s) => {
                let at = s.at;
                self.move_stock(&ctx, order, |order| ProductCommand::Ship { order, at })
                    .await?;
            }
            OrderEvent::ReturnReceived(r) => {
                let at = r.at;
                self.move_stock(&ctx, order, |order| ProductCommand::Restock { order, at })
                    .await?;
                let refund = EscrowCommand::Refund {
                    payout: "return".into(),
                    amount: None,
                    at: r.at,
                };
                self.market.run::<Escrow>(&ctx, order, refund).await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn refund_cancelled(
        &self,
        ctx: &CommandContext,
        order: OrderId,
        at: zhuchao_domain::Timestamp,
    ) -> Result<(), MarketError> {
        let refund = EscrowCommand::Refund {
            payout: "cancellation".into(),
            amount: None,
            at,
        };
        self.market.run::<Escrow>(ctx, order, refund).await?;
        Ok(())
    }

    async fn on_escrow(
        &self,
        event: &RecordedEvent,
        order: OrderId,
        e: EscrowEvent,
    ) -> Result<(), MarketError> {
        let ctx = CommandContext::caused_by(event, "process:escrow-order");
        match e {
            EscrowEvent::EscrowFunded(f) => {
                self.market
                    .run::<Order>(&ctx, order, OrderCommand::MarkPaid { at: f.at })
                    .await?;
            }
            EscrowEvent::EscrowReleased(r) if r.reason != PayoutReason::Ruling => {
                self.market
                    .run::<Order>(&ctx, order, OrderCommand::Complete { at: r.at })
                    .await?;
            }
            EscrowEvent::EscrowRefunded(r) if r.reason == PayoutReason::Refund => {
                self.market
                    .run::<Order>(
                        &ctx,
                        order,
                        OrderCommand::MarkRefunded {
                            amount: r.amount,
                            at: r.at,
                        },
                    )
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn on_dispute(
        &self,
        event: &RecordedEvent,
        dispute: DisputeId,
        e: DisputeEvent,
    ) -> Result<(), MarketError> {
        let ctx = CommandContext::caused_by(event, "process:dispute");
        match e {
            DisputeEvent::DisputeOpened(o) => {
                self.market
                    .run::<Escrow>(&ctx, o.order, EscrowCommand::Hold { dispute, at: o.at })
                    .await?;
            }
            DisputeEvent::DisputeRuled(r) => {
                let split = EscrowCommand::Split {
                    dispute,
                    refund: r.refund,
                    release: r.release,
                    at: r.at,
                };
                self.market.run::<Escrow>(&ctx, r.order, split).await?;
                let resolve = OrderCommand::ResolveDispute {
                    dispute,
                    refunded: r.refund,
                    released: r.release,
                    at: r.at,
                };
                self.market.run::<Order>(&ctx, r.order, resolve).await?;
                let agent = r.agent.unwrap_or(PLATFORM);
                if let Some(penalty) = r.penalty {
                    let deduct = SupplierCommand::DeductPenalty {
                        amount: penalty,
                        reason: format!("dispute {dispute}"),
                        dispute: Some(dispute),
                        // The ruling is made: what the deposit cannot cover is recorded as owed.
                        record_shortfall: true,
                        at: r.at,
                    };
                    self.step(self.market.run::<Supplier>(&ctx, r.supplier, deduct).await)?;
                }
                if r.warn {
                    let warn = SupplierCommand::Warn {
                        agent,
                        reason: format!("lost dispute {dispute}"),
                        at: r.at,
                    };
                    self.step(self.market.run::<Supplier>(&ctx, r.supplier, warn).await)?;
                }
                if r.refund.is_positive() {
                    self.record_credit(
                        &ctx,
                        r.supplier,
                        CreditEntry::DisputeLost {
                            supplier: r.supplier,
                            dispute,
                            at: r.at,
                        },
                    )
                    .await?;
                }
            }
            DisputeEvent::DisputeWithdrawn(w) => {
                let order = self
                    .market
                    .handler
                    .load::<Dispute>(dispute)
                    .await?
                    .state
                    .order
                    .ok_or(MarketError::NotFound("dispute"))?;
                self.step(
                    self.market
                        .run::<Escrow>(&ctx, order, EscrowCommand::Unhold { dispute, at: w.at })
                        .await,
                )?;
                let end = OrderCommand::EndDispute { dispute, at: w.at };
                self.market.run::<Order>(&ctx, order, end).await?;
            }
            DisputeEvent::DisputeAbandoned(a) => {
                let end = OrderCommand::EndDispute { dispute, at: a.at };
                self.market.run::<Order>(&ctx, a.order, end).await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn on_supplier(
        &self,
        event: &RecordedEvent,
        supplier: SupplierId,
        e: SupplierEvent,
    ) -> Result<(), MarketError> {
        let ctx = CommandContext::caused_by(event, "process:credit-record");
        let entry = match e {
            SupplierEvent::SupplierWarned(w) => CreditEntry::Warning {
                supplier,
                reason: w.reason,
                at: w.at,
            },
            // The record shows the penalty ruled; what the deposit could not cover is named.
            SupplierEvent::PenaltyDeducted(p) => match p.shortfall.filter(|s| s.is_positive()) {
                Some(short) => CreditEntry::Penalty {
                    supplier,
                    amount: Money::new(p.amount.minor + short.minor, p.amount.currency),
                    reason: format!(
                        "{} ({} taken from the deposit, {} owed beyond it)",
                        p.reason, p.amount, short
                    ),
                    at: p.at,
                },
                None => CreditEntry::Penalty {
                    supplier,
                    amount: p.amount,
                    reason: p.reason,
                    at: p.at,
                },
            },
            SupplierEvent::SupplierExited(x) => CreditEntry::Exited {
                supplier,
                reason: x.reason,
                at: x.at,
            },
            _ => return Ok(()),
        };
        self.record_credit(&ctx, supplier, entry).await
    }

    /// Appends to the credit record of the supplier's code, once per causing event.
    async fn record_credit(
        &self,
        ctx: &CommandContext,
        supplier: SupplierId,
        entry: CreditEntry,
    ) -> Result<(), MarketError> {
        let code = self
            .market
            .handler
            .load::<Supplier>(supplier)
            .await?
            .state
            .credit_code
            .ok_or(MarketError::NotFound("supplier"))?;
        let record = self
            .market
            .handler
            .load::<CreditRecord>(code.as_str())
            .await?
            .state;
        if record.history.contains(&entry) {
            return Ok(());
        }
        self.market
            .run::<CreditRecord>(ctx, code.as_str(), CreditRecordCommand::Record(entry))
            .await?;
        Ok(())
    }

    /// A follow-up a rule may refuse without stopping the process (logged).
    fn step<T>(&self, result: Result<T, MarketError>) -> Result<(), MarketError> {
        match result {
            Ok(_) => Ok(()),
            Err(MarketError::Rejected { code, message }) => {
                tracing::warn!(%code, %message, "process follow-up refused");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// A reservation left by a placing that stopped halfway: the order id is claimed so it can
    /// never be placed late, and the stock goes back. A placed order keeps its reservation.
    async fn check_reservation(
        &self,
        ctx: &CommandContext,
        product: ProductId,
        order: OrderId,
        now: zhuchao_domain::Timestamp,
    ) -> Result<(), MarketError> {
        self.market
            .run::<Order>(ctx, order, OrderCommand::Abandon { at: now })
            .await?;
        let status = self.market.handler.load::<Order>(order).await?.state.status;
        if matches!(status, OrderStatus::Abandoned | OrderStatus::Cancelled) {
            self.market
                .run::<Product>(ctx, product, ProductCommand::Release { order, at: now })
                .await?;
        }
        Ok(())
    }

    /// An order held for a dispute whose opening stopped halfway: the dispute id is claimed so
    /// it can never open late, which frees the order.
    async fn check_dispute(
        &self,
        ctx: &CommandContext,
        order: OrderId,
        dispute: DisputeId,
        now: zhuchao_domain::Timestamp,
    ) -> Result<(), MarketError> {
        self.market
            .run::<Dispute>(ctx, dispute, DisputeCommand::Abandon { order, at: now })
            .await
            .map(|_| ())
    }

    async fn fire(
        &self,
        task: TimerTask,
        now: zhuchao_domain::Timestamp,
    ) -> Result<(), ProcessError> {
        let ctx = CommandContext::new("process:timer");
        let result = match task {
            TimerTask::OpenRfqToPool(rfq) => self
                .market
                .run::<Rfq>(&ctx, rfq, RfqCommand::OpenToPool { at: now })
                .await
                .map(|_| ()),
            TimerTask::ExpireRfq(rfq) => self
                .market
                .run::<Rfq>(&ctx, rfq, RfqCommand::Expire { at: now })
                .await
                .map(|_| ()),
            TimerTask::ExpireQuotes(rfq) => self
                .market
                .run::<Rfq>(&ctx, rfq, RfqCommand::ExpireQuotes { at: now })
                .await
                .map(|_| ()),
            TimerTask::AutoRelease { order, .. } => {
                let confirm = OrderCommand::AutoConfirm {
                    days: self.market.settings.auto_release_days,
                    at: now,
                };
                self.market
                    .run::<Order>(&ctx, order, confirm)
                    .await
                    .map(|_| ())
            }
            TimerTask::ExpireUnpaid(order) => {
                let expire = OrderCommand::ExpireUnpaid {
                    window_ms: self.market.settings.payment_window_ms,
                    at: now,
                };
                self.market
                    .run::<Order>(&ctx, order, expire)
                    .await
                    .map(|_| ())
            }
            TimerTask::CheckReservation { product, order } => {
                self.check_reservation(&ctx, product, order, now).await
            }
            TimerTask::CheckDispute { order, dispute } => {
                self.check_dispute(&ctx, order, dispute, now).await
            }
            TimerTask::ExpireDocuments(supplier) => self
                .market
                .run::<Supplier>(&ctx, supplier, SupplierCommand::ExpireDocuments { at: now })
                .await
                .map(|_| ()),
            TimerTask::RuleDisputeByDefault(dispute) => self
                .market
                .run::<Dispute>(&ctx, dispute, DisputeCommand::RuleByDefault { at: now })
                .await
                .map(|_| ()),
        };
        match result {
            Ok(()) => Ok(()),
            Err(MarketError::Rejected { code, message }) => {
                tracing::warn!(?task, %code, %message, "timer's command refused");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}
