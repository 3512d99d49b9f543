//! Escrow, one per order (stream `escrow-<order id>`): the buyer's payment is held by the platform
//! and paid out to the supplier on receipt (or automatically some days after delivery when no
//! dispute is open), refunded to the buyer, or split by a ruling. Released + refunded never exceeds
//! what was funded, and every payout (named by its payout id) happens exactly once.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp, DAY_MS};
use crate::ids::{DisputeId, OrderId, SupplierId};
use crate::money::Money;

/// Days after delivery after which an undisputed escrow is released by itself.
pub const DEFAULT_AUTO_RELEASE_DAYS: i64 = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayoutReason {
    /// The buyer confirmed receipt.
    Receipt,
    /// Delivered long enough ago without a dispute.
    AutoRelease,
    /// Cancelled before shipping, or goods returned.
    Refund,
    /// An agent's ruling on a dispute.
    Ruling,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EscrowState {
    pub order: Option<OrderId>,
    pub supplier: Option<SupplierId>,
    pub expected: Option<Money>,
    pub funded: Option<Money>,
    pub funding_key: Option<String>,
    pub released: Option<Money>,
    pub refunded: Option<Money>,
    pub held_by: Option<DisputeId>,
    pub payouts: BTreeSet<String>,
}

impl EscrowState {
    /// What is still held: funded − released − refunded (zero before funding).
    pub fn remaining(&self) -> Money {
        match self.funded {
            None => Money::zero(self.expected.map_or(crate::Currency::CNY, |m| m.currency)),
            Some(funded) => Money::new(
                funded.minor
                    - self.released.map_or(0, |m| m.minor)
                    - self.refunded.map_or(0, |m| m.minor),
                funded.currency,
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum EscrowCommand {
    Open {
        order: OrderId,
        supplier: SupplierId,
        amount: Money,
        at: Timestamp,
    },
    Fund {
        payment_id: String,
        idempotency_key: String,
        amount: Money,
        at: Timestamp,
    },
    /// Pays everything still held to the supplier.
    Release {
        payout: String,
        reason: PayoutReason,
        at: Timestamp,
    },
    /// Releases when `delivered_at` is `days` behind `at` and no dispute holds the money.
    AutoRelease {
        payout: String,
        delivered_at: Timestamp,
        days: i64,
        at: Timestamp,
    },
    /// Pays `amount` (everything still held when `None`) back to the buyer.
    Refund {
        payout: String,
        amount: Option<Money>,
        at: Timestamp,
    },
    Hold {
        dispute: DisputeId,
        at: Timestamp,
    },
    Unhold {
        dispute: DisputeId,
        at: Timestamp,
    },
    /// A ruling: refund and release, adding up to what is held.
    Split {
        dispute: DisputeId,
        refund: Money,
        release: Money,
        at: Timestamp,
    },
}

crate::event_data! {
    EscrowOpened { order: OrderId, supplier: SupplierId, amount: Money, at: Timestamp }
    EscrowFunded { payment_id: String, idempotency_key: String, amount: Money, at: Timestamp }
    EscrowReleased { payout: String, amount: Money, reason: PayoutReason, at: Timestamp }
    EscrowRefunded { payout: String, amount: Money, reason: PayoutReason, at: Timestamp }
    EscrowHeld { dispute: DisputeId, at: Timestamp }
    EscrowUnheld { dispute: DisputeId, at: Timestamp }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EscrowEvent {
    EscrowOpened(EscrowOpened),
    EscrowFunded(EscrowFunded),
    EscrowReleased(EscrowReleased),
    EscrowRefunded(EscrowRefunded),
    EscrowHeld(EscrowHeld),
    EscrowUnheld(EscrowUnheld),
}
crate::event_names!(EscrowEvent {
    EscrowOpened,
    EscrowFunded,
    EscrowReleased,
    EscrowRefunded,
    EscrowHeld,
    EscrowUnheld
});

impl DomainEvent for EscrowEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EscrowError {
    #[error("the escrow already exists")]
    AlreadyOpen,
    #[error("no such escrow")]
    NotFound,
    #[error("amounts must be above zero and in the order's currency")]
    BadAmount,
    #[error("the payment of {paid} does not match the order's {expected}")]
    WrongAmount { paid: Money, expected: Money },
    #[error("the escrow is already funded by another payment")]
    AlreadyFunded,
    #[error("the escrow is not funded")]
    NotFunded,
    #[error("nothing is left to pay out")]
    NothingLeft,
    #[error("{asked} is more than the {left} still held")]
    MoreThanHeld { asked: Money, left: Money },
    #[error("a dispute holds the money; only a ruling can pay it out")]
    Held,
    #[error("the money is not held by this dispute")]
    NotHeldByThis,
    #[error("a ruling must pay out exactly what is held ({0})")]
    SplitMismatch(Money),
    #[error("{0} is required")]
    Missing(&'static str),
}

fn same_currency(state: &EscrowState, amount: Money) -> Result<(), EscrowError> {
    match state.expected {
        Some(e) if e.currency == amount.currency => Ok(()),
        _ => Err(EscrowError::BadAmount),
    }
}

pub struct Escrow;

impl Aggregate for Escrow {
    type State = EscrowState;
    type Command = EscrowCommand;
    type Event = EscrowEvent;
    type Error = EscrowError;
    const KIND: &'static str = "escrow";

    fn decide(
        state: &EscrowState,
        command: EscrowCommand,
    ) -> Result<Vec<EscrowEvent>, EscrowError> {
        use EscrowCommand as C;
        use EscrowEvent as E;
        if !matches!(command, C::Open { .. }) && state.order.is_none() {
            return Err(EscrowError::NotFound);
        }
        let left = state.remaining();
        match command {
            C::Open {
                order,
                supplier,
                amount,
                at,
            } => {
                if state.order.is_some() {
                    // The order's process opens its escrow; a replay finds it open.
                    return if state.order == Some(order) {
                        Ok(vec![])
                    } else {
                        Err(EscrowError::AlreadyOpen)
                    };
                }
                if !amount.is_positive() {
                    return Err(EscrowError::BadAmount);
                }
                Ok(vec![E::EscrowOpened(EscrowOpened {
                    order,
                    supplier,
                    amount,
                    at,
                })])
            }
            C::Fund {
                payment_id,
                idempotency_key,
                amount,
                at,
            } => {
                if idempotency_key.trim().is_empty() {
                    return Err(EscrowError::Missing("an idempotency key"));
                }
                if state.funded.is_some() {
                    return if state.funding_key.as_deref() == Some(idempotency_key.as_str()) {
                        Ok(vec![])
                    } else {
                        Err(EscrowError::AlreadyFunded)
                    };
                }
                let expected = state.expected.ok_or(EscrowError::NotFound)?;
                if amount != expected {
                    return Err(EscrowError::WrongAmount {
                        paid: amount,
                        expected,
                    });
                }
                Ok(vec![E::EscrowFunded(EscrowFunded {
                    payment_id,
                    idempotency_key,
                    amount,
                    at,
                })])
            }
            C::Release { payout, reason, at } => {
                if state.payouts.contains(&payout) {
                    return Ok(vec![]);
                }
                if state.funded.is_none() {
                    return Err(EscrowError::NotFunded);
                }
                if state.held_by.is_some() {
                    return Err(EscrowError::Held);
                }
                if !left.is_positive() {
                    return Err(EscrowError::NothingLeft);
                }
                Ok(vec![E::EscrowReleased(EscrowReleased {
                    payout,
                    amount: left,
                    reason,
                    at,
                })])
            }
            C::AutoRelease {
                payout,
                delivered_at,
                days,
                at,
            } => {
                // Timer-driven: quietly nothing when not due, disputed, unfunded or settled.
                let due = at >= delivered_at + days * DAY_MS;
                if !due
                    || state.payouts.contains(&payout)
                    || state.held_by.is_some()
                    || state.funded.is_none()
                    || !left.is_positive()
                {
                    return Ok(vec![]);
                }
                Ok(vec![E::EscrowReleased(EscrowReleased {
                    payout,
                    amount: left,
                    reason: PayoutReason::AutoRelease,
                    at,
                })])
            }
            C::Refund { payout, amount, at } => {
                if state.payouts.contains(&payout) {
                    return Ok(vec![]);
                }
                if state.funded.is_none() {
                    return Err(EscrowError::NotFunded);
                }
                if state.held_by.is_some() {
                    return Err(EscrowError::Held);
                }
                let amount = amount.unwrap_or(left);
                same_currency(state, amount)?;
                if !amount.is_positive() {
                    return if left.is_positive() {
                        Err(EscrowError::BadAmount)
                    } else {
                        Err(EscrowError::NothingLeft)
                    };
                }
                if amount.minor > left.minor {
                    return Err(EscrowError::MoreThanHeld {
                        asked: amount,
                        left,
                    });
                }
                Ok(vec![E::EscrowRefunded(EscrowRefunded {
                    payout,
                    amount,
                    reason: PayoutReason::Refund,
                    at,
                })])
            }
            C::Hold { dispute, at } => {
                if state.held_by == Some(dispute) {
                    return Ok(vec![]);
                }
                if state.held_by.is_some() {
                    return Err(EscrowError::Held);
                }
                if state.funded.is_none() {
                    return Err(EscrowError::NotFunded);
                }
                if !left.is_positive() {
                    return Err(EscrowError::NothingLeft);
                }
                Ok(vec![E::EscrowHeld(EscrowHeld { dispute, at })])
            }
            C::Unhold { dispute, at } => {
                if state.held_by != Some(dispute) {
                    return Err(EscrowError::NotHeldByThis);
                }
                Ok(vec![E::EscrowUnheld(EscrowUnheld { dispute, at })])
            }
            C::Split {
                dispute,
                refund,
                release,
                at,
            } => {
                let refund_payout = format!("ruling-{dispute}-refund");
                let release_payout = format!("ruling-{dispute}-release");
                if state.payouts.contains(&refund_payout) || state.payouts.contains(&release_payout)
                {
                    return Ok(vec![]);
                }
                if state.held_by != Some(dispute) {
                    return Err(EscrowError::NotHeldByThis);
                }
                same_currency(state, refund)?;
                same_currency(state, release)?;
                if refund.is_negative() || release.is_negative() {
                    return Err(EscrowError::BadAmount);
                }
                if refund.minor.checked_add(release.minor) != Some(left.minor) {
                    return Err(EscrowError::SplitMismatch(left));
                }
                let mut events = vec![];
                if refund.is_positive() {
                    events.push(E::EscrowRefunded(EscrowRefunded {
                        payout: refund_payout,
                        amount: refund,
                        reason: PayoutReason::Ruling,
                        at,
                    }));
                }
                if release.is_positive() {
                    events.push(E::EscrowReleased(EscrowReleased {
                        payout: release_payout,
                        amount: release,
                        reason: PayoutReason::Ruling,
                        at,
                    }));
                }
                events.push(E::EscrowUnheld(EscrowUnheld { dispute, at }));
                Ok(events)
            }
        }
    }

    fn evolve(mut state: EscrowState, event: &EscrowEvent) -> EscrowState {
        use EscrowEvent as E;
        let add = |sum: Option<Money>, amount: Money| {
            Some(Money::new(
                sum.map_or(0, |m| m.minor) + amount.minor,
                amount.currency,
            ))
        };
        match event {
            E::EscrowOpened(e) => {
                state.order = Some(e.order);
                state.supplier = Some(e.supplier);
                state.expected = Some(e.amount);
            }
            E::EscrowFunded(e) => {
                state.funded = Some(e.amount);
                state.funding_key = Some(e.idempotency_key.clone());
            }
            E::EscrowReleased(e) => {
                state.released = add(state.released, e.amount);
                state.payouts.insert(e.payout.clone());
            }
            E::EscrowRefunded(e) => {
                state.refunded = add(state.refunded, e.amount);
                state.payouts.insert(e.payout.clone());
            }
            E::EscrowHeld(e) => state.held_by = Some(e.dispute),
            E::EscrowUnheld(_) => state.held_by = None,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use uuid::Uuid;
    use EscrowCommand as C;

    const ORDER: OrderId = OrderId(Uuid::from_u128(1));
    const DISPUTE: DisputeId = DisputeId(Uuid::from_u128(2));

    fn open(fen: i64) -> C {
        C::Open {
            order: ORDER,
            supplier: SupplierId(Uuid::from_u128(3)),
            amount: Money::cny(fen),
            at: 0,
        }
    }

    fn fund(fen: i64, key: &str) -> C {
        C::Fund {
            payment_id: format!("pay-{key}"),
            idempotency_key: key.into(),
            amount: Money::cny(fen),
            at: 1,
        }
    }

    fn run(commands: Vec<C>) -> EscrowState {
        commands.into_iter().fold(EscrowState::default(), |s, c| {
            let events = Escrow::decide(&s, c).unwrap();
            events.iter().fold(s, Escrow::evolve)
        })
    }

    fn funded() -> EscrowState {
        run(vec![open(10_000), fund(10_000, "k1")])
    }

    #[test]
    fn funding_is_exact_and_idempotent_by_key() {
        let opened = run(vec![open(10_000)]);
        assert_eq!(
            Escrow::decide(&opened, fund(9_999, "k1")),
            Err(EscrowError::WrongAmount {
                paid: Money::cny(9_999),
                expected: Money::cny(10_000)
            })
        );
        assert_eq!(
            Escrow::decide(&opened, fund(10_000, " ")),
            Err(EscrowError::Missing("an idempotency key"))
        );
        let state = funded();
        assert_eq!(
            Escrow::decide(&state, fund(10_000, "k1")),
            Ok(vec![]),
            "a retried payment is not taken twice"
        );
        assert_eq!(
            Escrow::decide(&state, fund(10_000, "k2")),
            Err(EscrowError::AlreadyFunded)
        );
        assert_eq!(
            Escrow::decide(&EscrowState::default(), fund(1, "k")),
            Err(EscrowError::NotFound)
        );
        assert_eq!(Escrow::decide(&state, open(10_000)), Ok(vec![]));
        assert_eq!(
            Escrow::decide(
                &run(vec![open(1)]),
                C::Open {
                    order: OrderId(Uuid::from_u128(9)),
                    supplier: SupplierId(Uuid::nil()),
                    amount: Money::cny(1),
                    at: 0
                }
            ),
            Err(EscrowError::AlreadyOpen)
        );
        assert_eq!(
            Escrow::decide(&EscrowState::default(), open(0)),
            Err(EscrowError::BadAmount)
        );
    }

    #[test]
    fn receipt_releases_everything_once() {
        let state = funded();
        let release = || C::Release {
            payout: "receipt".into(),
            reason: PayoutReason::Receipt,
            at: 5,
        };
        let state = run_from(state, vec![release()]);
        assert_eq!(state.released, Some(Money::cny(10_000)));
        assert_eq!(
            Escrow::decide(&state, release()),
            Ok(vec![]),
            "the same payout never pays twice"
        );
        assert_eq!(
            Escrow::decide(
                &state,
                C::Release {
                    payout: "again".into(),
                    reason: PayoutReason::Receipt,
                    at: 6
                }
            ),
            Err(EscrowError::NothingLeft)
        );
        assert_eq!(
            Escrow::decide(&run(vec![open(5)]), release()),
            Err(EscrowError::NotFunded)
        );
    }

    fn run_from(state: EscrowState, commands: Vec<C>) -> EscrowState {
        commands.into_iter().fold(state, |s, c| {
            let events = Escrow::decide(&s, c).unwrap();
            events.iter().fold(s, Escrow::evolve)
        })
    }

    #[test]
    fn auto_release_waits_for_the_deadline_and_yields_to_disputes() {
        let auto = |at| C::AutoRelease {
            payout: "auto".into(),
            delivered_at: 0,
            days: DEFAULT_AUTO_RELEASE_DAYS,
            at,
        };
        let state = funded();
        assert_eq!(Escrow::decide(&state, auto(7 * DAY_MS - 1)), Ok(vec![]));
        let held = run_from(
            state.clone(),
            vec![C::Hold {
                dispute: DISPUTE,
                at: 2,
            }],
        );
        assert_eq!(
            Escrow::decide(&held, auto(8 * DAY_MS)),
            Ok(vec![]),
            "a dispute stops the clock"
        );
        let events = Escrow::decide(&state, auto(7 * DAY_MS)).unwrap();
        assert!(
            matches!(&events[0], EscrowEvent::EscrowReleased(r) if r.reason == PayoutReason::AutoRelease && r.amount == Money::cny(10_000))
        );
    }

    #[test]
    fn refunds_are_bounded_by_what_is_held() {
        let state = funded();
        let refund = |payout: &str, fen: Option<i64>| C::Refund {
            payout: payout.into(),
            amount: fen.map(Money::cny),
            at: 3,
        };
        assert_eq!(
            Escrow::decide(&state, refund("r1", Some(20_000))),
            Err(EscrowError::MoreThanHeld {
                asked: Money::cny(20_000),
                left: Money::cny(10_000)
            })
        );
        assert_eq!(
            Escrow::decide(&state, refund("r1", Some(0))),
            Err(EscrowError::BadAmount)
        );
        let state = run_from(state, vec![refund("r1", Some(4_000))]);
        assert_eq!(state.remaining(), Money::cny(6_000));
        let state = run_from(state, vec![refund("r2", None)]);
        assert_eq!(state.refunded, Some(Money::cny(10_000)));
        assert_eq!(
            Escrow::decide(&state, refund("r3", None)),
            Err(EscrowError::NothingLeft)
        );
        let held = run_from(
            funded(),
            vec![C::Hold {
                dispute: DISPUTE,
                at: 2,
            }],
        );
        assert_eq!(
            Escrow::decide(&held, refund("r1", None)),
            Err(EscrowError::Held)
        );
        assert_eq!(
            Escrow::decide(
                &held,
                C::Release {
                    payout: "x".into(),
                    reason: PayoutReason::Receipt,
                    at: 3
                }
            ),
            Err(EscrowError::Held)
        );
        let usd = C::Refund {
            payout: "r9".into(),
            amount: Some(Money::new(1, crate::Currency::USD)),
            at: 3,
        };
        assert_eq!(Escrow::decide(&funded(), usd), Err(EscrowError::BadAmount));
    }

    #[test]
    fn a_ruling_splits_exactly_what_is_held_once() {
        let state = run_from(
            funded(),
            vec![C::Hold {
                dispute: DISPUTE,
                at: 2,
            }],
        );
        assert_eq!(
            Escrow::decide(
                &state,
                C::Hold {
                    dispute: DISPUTE,
                    at: 2
                }
            ),
            Ok(vec![])
        );
        assert_eq!(
            Escrow::decide(
                &state,
                C::Hold {
                    dispute: DisputeId(Uuid::from_u128(99)),
                    at: 2
                }
            ),
            Err(EscrowError::Held)
        );
        let split = |refund, release| C::Split {
            dispute: DISPUTE,
            refund: Money::cny(refund),
            release: Money::cny(release),
            at: 4,
        };
        assert_eq!(
            Escrow::decide(&state, split(6_000, 3_000)),
            Err(EscrowError::SplitMismatch(Money::cny(10_000)))
        );
        assert_eq!(
            Escrow::decide(&state, split(-1, 10_001)),
            Err(EscrowError::BadAmount)
        );
        let state = run_from(state, vec![split(7_000, 3_000)]);
        assert_eq!(
            (state.refunded, state.released, state.held_by),
            (Some(Money::cny(7_000)), Some(Money::cny(3_000)), None)
        );
        assert_eq!(
            Escrow::decide(&state, split(7_000, 3_000)),
            Ok(vec![]),
            "a ruling pays out once"
        );
        assert_eq!(
            Escrow::decide(&funded(), split(1, 1)),
            Err(EscrowError::NotHeldByThis)
        );
        assert_eq!(
            Escrow::decide(
                &funded(),
                C::Unhold {
                    dispute: DISPUTE,
                    at: 1
                }
            ),
            Err(EscrowError::NotHeldByThis)
        );
        assert_eq!(
            Escrow::decide(
                &run(vec![open(5)]),
                C::Hold {
                    dispute: DISPUTE,
                    at: 1
                }
            ),
            Err(EscrowError::NotFunded)
        );
        let settled = run_from(
            funded(),
            vec![C::Release {
                payout: "p".into(),
                reason: PayoutReason::Receipt,
                at: 1,
            }],
        );
        assert_eq!(
            Escrow::decide(
                &settled,
                C::Hold {
                    dispute: DISPUTE,
                    at: 1
                }
            ),
            Err(EscrowError::NothingLeft)
        );
    }

    fn any_command() -> impl Strategy<Value = C> {
        let payout =
            prop::sample::select(vec!["p1", "p2", "p3", "receipt", "auto"]).prop_map(String::from);
        let dispute =
            prop::sample::select(vec![1u128, 2]).prop_map(|n| DisputeId(Uuid::from_u128(n)));
        prop_oneof![
            (1i64..20_000).prop_map(open),
            ((1i64..20_000), prop::sample::select(vec!["k1", "k2"])).prop_map(|(f, k)| fund(f, k)),
            Just(fund(10_000, "k1")),
            payout.clone().prop_map(|payout| C::Release {
                payout,
                reason: PayoutReason::Receipt,
                at: 5
            }),
            (payout.clone(), 0i64..20 * DAY_MS).prop_map(|(payout, at)| C::AutoRelease {
                payout,
                delivered_at: 0,
                days: 7,
                at
            }),
            (payout, prop::option::of(-5i64..12_000)).prop_map(|(payout, a)| C::Refund {
                payout,
                amount: a.map(Money::cny),
                at: 6
            }),
            dispute
                .clone()
                .prop_map(|dispute| C::Hold { dispute, at: 7 }),
            dispute
                .clone()
                .prop_map(|dispute| C::Unhold { dispute, at: 8 }),
            (dispute, -10i64..12_000, -10i64..12_000).prop_map(|(dispute, a, b)| C::Split {
                dispute,
                refund: Money::cny(a),
                release: Money::cny(b),
                at: 9
            }),
        ]
    }

    proptest! {
        /// Whatever commands arrive in whatever order, the escrow never pays out more than it was
        /// funded, never goes negative, and no payout id is paid twice.
        #[test]
        fn escrow_never_pays_out_more_than_it_holds(commands in prop::collection::vec(any_command(), 1..60)) {
            let mut state = Escrow::decide(&EscrowState::default(), open(10_000)).unwrap().iter().fold(EscrowState::default(), Escrow::evolve);
            let mut paid_ids = HashSet::new();
            for command in commands {
                if let Ok(events) = Escrow::decide(&state, command) {
                    for e in &events {
                        match e {
                            EscrowEvent::EscrowReleased(r) => { prop_assert!(paid_ids.insert(r.payout.clone())); prop_assert!(r.amount.is_positive()); }
                            EscrowEvent::EscrowRefunded(r) => { prop_assert!(paid_ids.insert(r.payout.clone())); prop_assert!(r.amount.is_positive()); }
                            _ => {}
                        }
                        state = Escrow::evolve(state, e);
                    }
                }
                let funded = state.funded.map_or(0, |m| m.minor);
                let out = state.released.map_or(0, |m| m.minor) + state.refunded.map_or(0, |m| m.minor);
                prop_assert!(out <= funded, "paid out {} of {}", out, funded);
                prop_assert!(state.remaining().minor >= 0);
            }
        }
    }
}
