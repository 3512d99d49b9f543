//! What the domain must never produce itself — the time, new ids — and the payment provider,
//! behind ports, so tests control them and a real provider can replace the simulator.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use uuid::Uuid;
use zhuchao_domain::ids::OrderId;
use zhuchao_domain::money::Money;
use zhuchao_domain::Timestamp;

pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now(&self) -> Timestamp;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Timestamp)
    }
}

/// A clock that moves only when told to.
#[derive(Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(now: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(now)))
    }

    pub fn advance(&self, by: Timestamp) {
        self.0.fetch_add(by, Ordering::SeqCst);
    }

    pub fn set(&self, now: Timestamp) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }
}

pub trait IdGenerator: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

/// Time-ordered UUIDv7 ids: they keep the store's id index append-only.
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A completed charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentReceipt {
    pub payment_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment was declined: {0}")]
    Declined(String),
    #[error("idempotency key {0} was already used for a different payment")]
    KeyReused(String),
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

impl zhuchao_domain::error_codes::Coded for PaymentError {
    fn code(&self) -> zhuchao_domain::error_codes::ErrorCode {
        use zhuchao_domain::error_codes::ErrorCode as C;
        match self {
            PaymentError::Declined(_) => C::Declined,
            PaymentError::KeyReused(_) => C::KeyReused,
            PaymentError::Unavailable(_) => C::Unavailable,
        }
    }
}

/// Takes the buyer's money into the platform's escrow account. Charging twice with one
/// idempotency key charges once and returns the first receipt; refunding a charge twice refunds
/// it once.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    async fn charge(
        &self,
        order: OrderId,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<PaymentReceipt, PaymentError>;

    /// Gives a charge back in full: one the platform could not record (the order was paid by
    /// another attempt meanwhile).
    async fn refund(&self, payment_id: &str) -> Result<(), PaymentError>;
}

/// The built-in provider: accepts every positive charge, remembers keys.
#[derive(Default)]
pub struct SimulatedPayments {
    charges: Mutex<HashMap<String, (OrderId, Money, PaymentReceipt)>>,
    refunded: Mutex<std::collections::BTreeSet<String>>,
}

impl SimulatedPayments {
    /// What the provider holds now for `order`: charged minus refunded by the provider.
    pub fn held_for(&self, order: OrderId) -> i64 {
        let charges = self.charges.lock().unwrap_or_else(|p| p.into_inner());
        let refunded = self.refunded.lock().unwrap_or_else(|p| p.into_inner());
        charges
            .values()
            .filter(|(o, _, r)| *o == order && !refunded.contains(&r.payment_id))
            .map(|(_, a, _)| a.minor)
            .sum()
    }
}

#[async_trait::async_trait]
impl PaymentProvider for SimulatedPayments {
    async fn charge(
        &self,
        order: OrderId,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<PaymentReceipt, PaymentError> {
        if !amount.is_positive() {
            return Err(PaymentError::Declined(
                "the amount must be above zero".into(),
            ));
        }
        let mut charges = self.charges.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((o, a, receipt)) = charges.get(idempotency_key) {
            return if *o == order && *a == amount {
                Ok(receipt.clone())
            } else {
                Err(PaymentError::KeyReused(idempotency_key.to_string()))
            };
        }
        let receipt = PaymentReceipt {
            payment_id: format!("sim-{}", uuid::Uuid::now_v7().simple()),
        };
        charges.insert(
            idempotency_key.to_string(),
            (order, amount, receipt.clone()),
        );
        Ok(receipt)
    }

    async fn refund(&self, payment_id: &str) -> Result<(), PaymentError> {
        let known = self
            .charges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|(_, _, r)| r.payment_id == payment_id);
        if !known {
            return Err(PaymentError::Declined(format!(
                "no charge {payment_id} to refund"
            )));
        }
        self.refunded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(payment_id.to_string());
        Ok(())
    }
}
