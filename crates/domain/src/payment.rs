//! A buyer's payment for an order, as the payment provider reported it (stream `payment-<order
//! id>`). Recording the capture first means a crash between the charge and the escrow funding loses
//! nothing: the process managers fund the escrow from this event.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp};
use crate::ids::OrderId;
use crate::money::Money;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaymentState {
    pub captured: Option<PaymentCaptured>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Capture {
    pub order: OrderId,
    pub amount: Money,
    pub payment_id: String,
    pub idempotency_key: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentCaptured {
    pub order: OrderId,
    pub amount: Money,
    pub payment_id: String,
    pub idempotency_key: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PaymentEvent {
    PaymentCaptured(PaymentCaptured),
}
crate::event_names!(PaymentEvent { PaymentCaptured });

impl DomainEvent for PaymentEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentError {
    #[error("the order is already paid by another payment")]
    AlreadyPaid,
    #[error("a payment must be above zero and carry the provider's id and an idempotency key")]
    Incomplete,
}

pub struct Payment;

impl Aggregate for Payment {
    type State = PaymentState;
    type Command = Capture;
    type Event = PaymentEvent;
    type Error = PaymentError;
    const KIND: &'static str = "payment";

    fn decide(state: &PaymentState, c: Capture) -> Result<Vec<PaymentEvent>, PaymentError> {
        if let Some(done) = &state.captured {
            return if done.idempotency_key == c.idempotency_key {
                Ok(vec![])
            } else {
                Err(PaymentError::AlreadyPaid)
            };
        }
        if !c.amount.is_positive()
            || c.payment_id.trim().is_empty()
            || c.idempotency_key.trim().is_empty()
        {
            return Err(PaymentError::Incomplete);
        }
        Ok(vec![PaymentEvent::PaymentCaptured(PaymentCaptured {
            order: c.order,
            amount: c.amount,
            payment_id: c.payment_id,
            idempotency_key: c.idempotency_key,
            at: c.at,
        })])
    }

    fn evolve(mut state: PaymentState, event: &PaymentEvent) -> PaymentState {
        let PaymentEvent::PaymentCaptured(e) = event;
        state.captured = Some(e.clone());
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn capture(key: &str, fen: i64) -> Capture {
        Capture {
            order: OrderId(Uuid::from_u128(1)),
            amount: Money::cny(fen),
            payment_id: "sim-1".into(),
            idempotency_key: key.into(),
            at: 0,
        }
    }

    #[test]
    fn a_payment_is_captured_once_per_order() {
        let state = Payment::replay(
            &Payment::decide(&PaymentState::default(), capture("k1", 100)).unwrap(),
        );
        assert_eq!(
            Payment::decide(&state, capture("k1", 100)),
            Ok(vec![]),
            "the same payment again"
        );
        assert_eq!(
            Payment::decide(&state, capture("k2", 100)),
            Err(PaymentError::AlreadyPaid)
        );
        assert_eq!(
            Payment::decide(&PaymentState::default(), capture("k1", 0)),
            Err(PaymentError::Incomplete)
        );
        assert_eq!(
            Payment::decide(&PaymentState::default(), capture(" ", 10)),
            Err(PaymentError::Incomplete)
        );
    }
}
