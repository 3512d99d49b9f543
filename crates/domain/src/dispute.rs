//! Disputes over an order: opened by the buyer (or the supplier) with a reason and a claimed
//! amount, evidence from both sides, an agent's ruling that splits the held money (and may take a
//! penalty from the supplier's deposit and warn it), or a default ruling against a side that stays
//! silent past the answer SLA. Agents are told to favour the buyer when evidence is even.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp, DAY_MS};
use crate::ids::{CompanyId, DisputeId, OrderId, SupplierId, UserId};
use crate::money::Money;
use crate::order::Party;

/// Days the other side has to answer before a default ruling.
pub const DEFAULT_ANSWER_DAYS: i64 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisputeReason {
    NotShipped,
    NotAsDescribed,
    Damaged,
    WrongQuantity,
    NotPaid,
    Other,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisputeStatus {
    #[default]
    None,
    Open,
    UnderReview,
    Ruled,
    Withdrawn,
    /// Never opened: the order was marked disputed but the dispute itself was not recorded.
    Abandoned,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub party: Party,
    pub by: UserId,
    pub text: String,
    pub files: Vec<String>,
    pub at: Timestamp,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DisputeState {
    pub id: Option<DisputeId>,
    pub order: Option<OrderId>,
    pub company: Option<CompanyId>,
    pub supplier: Option<SupplierId>,
    pub opened_by: Option<Party>,
    pub claimed: Option<Money>,
    pub held: Option<Money>,
    pub answer_by: Timestamp,
    pub evidence: Vec<Evidence>,
    pub agent: Option<UserId>,
    pub status: DisputeStatus,
    /// Why it was opened.
    pub reason: Option<DisputeReason>,
    pub opened_at: Timestamp,
    /// How it ended, once ruled.
    pub ruling: Option<Ruling>,
}

/// What a ruling decided: the split of what escrow held, the supplier's penalty and warning,
/// and the agent's note (or that it was ruled by default, the other side not answering).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ruling {
    pub refund: Money,
    pub release: Money,
    pub penalty: Option<Money>,
    pub warned: bool,
    pub note: String,
    pub by_default: bool,
    pub at: Timestamp,
}

impl DisputeState {
    fn respondent(&self) -> Option<Party> {
        match self.opened_by? {
            Party::Buyer => Some(Party::Supplier),
            Party::Supplier => Some(Party::Buyer),
            Party::Agent | Party::Platform => None,
        }
    }

    fn answered(&self) -> bool {
        let respondent = self.respondent();
        self.evidence.iter().any(|e| Some(e.party) == respondent)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum DisputeCommand {
    Open {
        id: DisputeId,
        order: OrderId,
        company: CompanyId,
        supplier: SupplierId,
        opened_by: Party,
        by: UserId,
        reason: DisputeReason,
        statement: String,
        files: Vec<String>,
        claimed: Money,
        /// What the escrow holds for the order now.
        held: Money,
        answer_within_ms: Timestamp,
        at: Timestamp,
    },
    SubmitEvidence {
        party: Party,
        by: UserId,
        text: String,
        files: Vec<String>,
        at: Timestamp,
    },
    Assign {
        agent: UserId,
        at: Timestamp,
    },
    Rule {
        agent: UserId,
        refund: Money,
        release: Money,
        penalty: Option<Money>,
        /// What the supplier's deposit holds now: a penalty may not be more.
        deposit_held: Money,
        warn: bool,
        note: String,
        at: Timestamp,
    },
    /// Claims the id of a dispute that its order holds but that was never opened, so that it
    /// can never open late; nothing if it exists.
    Abandon {
        order: OrderId,
        at: Timestamp,
    },
    /// Timer-driven: rules for the opener if the other side has not answered in time.
    RuleByDefault {
        at: Timestamp,
    },
    Withdraw {
        party: Party,
        by: UserId,
        at: Timestamp,
    },
}

crate::event_data! {
    DisputeOpened { id: DisputeId, order: OrderId, company: CompanyId, supplier: SupplierId, opened_by: Party, by: UserId, reason: DisputeReason, statement: String, files: Vec<String>, claimed: Money, held: Money, answer_by: Timestamp, at: Timestamp }
    EvidenceSubmitted { evidence: Evidence }
    DisputeAssigned { agent: UserId, at: Timestamp }
    DisputeRuled { agent: Option<UserId>, refund: Money, release: Money, penalty: Option<Money>, warn: bool, note: String, by_default: bool, order: OrderId, supplier: SupplierId, at: Timestamp }
    DisputeWithdrawn { party: Party, at: Timestamp }
    DisputeAbandoned { order: OrderId, at: Timestamp }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum DisputeEvent {
    DisputeOpened(DisputeOpened),
    EvidenceSubmitted(EvidenceSubmitted),
    DisputeAssigned(DisputeAssigned),
    DisputeRuled(DisputeRuled),
    DisputeWithdrawn(DisputeWithdrawn),
    DisputeAbandoned(DisputeAbandoned),
}
crate::event_names!(DisputeEvent {
    DisputeOpened,
    EvidenceSubmitted,
    DisputeAssigned,
    DisputeRuled,
    DisputeWithdrawn,
    DisputeAbandoned
});

impl DomainEvent for DisputeEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }

    fn schema_version(event_type: &str) -> u32 {
        match event_type {
            // v2 added `files` to the opening statement.
            "DisputeOpened" => 2,
            _ => 1,
        }
    }

    fn upcast(event_type: &str, version: u32, mut body: serde_json::Value) -> serde_json::Value {
        if event_type == "DisputeOpened" && version < 2 {
            if let Some(map) = body.as_object_mut() {
                map.entry("files").or_insert_with(|| serde_json::json!([]));
            }
        }
        body
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DisputeError {
    #[error("the dispute already exists")]
    AlreadyOpen,
    #[error("no such dispute")]
    NotFound,
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("the claim must be above zero and at most what escrow holds ({0})")]
    BadClaim(Money),
    #[error("only the buyer or the supplier of the order may do this")]
    NotAParty,
    #[error("the dispute is {0:?}")]
    Closed(DisputeStatus),
    #[error("a ruling must pay out exactly what is held ({0}), in non-negative parts")]
    BadSplit(Money),
    #[error("a penalty must be above zero and in the order's currency")]
    BadPenalty,
    #[error("the penalty {asked} is more than the supplier's deposit holds ({held})")]
    PenaltyExceedsDeposit { asked: Money, held: Money },
    #[error("only the side that opened the dispute may withdraw it")]
    NotOpener,
}

fn active(state: &DisputeState) -> Result<(), DisputeError> {
    match state.status {
        DisputeStatus::None => Err(DisputeError::NotFound),
        DisputeStatus::Open | DisputeStatus::UnderReview => Ok(()),
        other => Err(DisputeError::Closed(other)),
    }
}

pub struct Dispute;

impl Aggregate for Dispute {
    type State = DisputeState;
    type Command = DisputeCommand;
    type Event = DisputeEvent;
    type Error = DisputeError;
    const KIND: &'static str = "dispute";

    fn decide(
        state: &DisputeState,
        command: DisputeCommand,
    ) -> Result<Vec<DisputeEvent>, DisputeError> {
        use DisputeCommand as C;
        use DisputeEvent as E;
        match command {
            C::Open {
                id,
                order,
                company,
                supplier,
                opened_by,
                by,
                reason,
                statement,
                files,
                claimed,
                held,
                answer_within_ms,
                at,
            } => {
                if state.status != DisputeStatus::None {
                    // A retried opening of this very dispute finds it open.
                    return if state.id == Some(id) && state.order == Some(order) {
                        Ok(vec![])
                    } else {
                        Err(DisputeError::AlreadyOpen)
                    };
                }
                if opened_by == Party::Agent {
                    return Err(DisputeError::NotAParty);
                }
                if statement.trim().is_empty() {
                    return Err(DisputeError::Missing("a statement"));
                }
                if !claimed.is_positive()
                    || claimed.currency != held.currency
                    || claimed.minor > held.minor
                {
                    return Err(DisputeError::BadClaim(held));
                }
                Ok(vec![E::DisputeOpened(DisputeOpened {
                    id,
                    order,
                    company,
                    supplier,
                    opened_by,
                    by,
                    reason,
                    statement,
                    files,
                    claimed,
                    held,
                    answer_by: at + answer_within_ms,
                    at,
                })])
            }
            C::SubmitEvidence {
                party,
                by,
                text,
                files,
                at,
            } => {
                active(state)?;
                if party == Party::Agent {
                    return Err(DisputeError::NotAParty);
                }
                if text.trim().is_empty() && files.is_empty() {
                    return Err(DisputeError::Missing("a text or a file"));
                }
                Ok(vec![E::EvidenceSubmitted(EvidenceSubmitted {
                    evidence: Evidence {
                        party,
                        by,
                        text,
                        files,
                        at,
                    },
                })])
            }
            C::Assign { agent, at } => {
                active(state)?;
                // Taken already by this agent (a retry) is nothing new; another agent may
                // take it over.
                if state.agent == Some(agent) {
                    return Ok(vec![]);
                }
                Ok(vec![E::DisputeAssigned(DisputeAssigned { agent, at })])
            }
            C::Rule {
                agent,
                refund,
                release,
                penalty,
                deposit_held,
                warn,
                note,
                at,
            } => {
                active(state)?;
                let held = state.held.ok_or(DisputeError::NotFound)?;
                if note.trim().is_empty() {
                    return Err(DisputeError::Missing("the reasons for the ruling"));
                }
                let parts_ok = refund.currency == held.currency
                    && release.currency == held.currency
                    && !refund.is_negative()
                    && !release.is_negative();
                if !parts_ok || refund.minor.checked_add(release.minor) != Some(held.minor) {
                    return Err(DisputeError::BadSplit(held));
                }
                if let Some(p) = penalty {
                    if !p.is_positive() || p.currency != held.currency {
                        return Err(DisputeError::BadPenalty);
                    }
                    if p.currency != deposit_held.currency || p.minor > deposit_held.minor {
                        return Err(DisputeError::PenaltyExceedsDeposit {
                            asked: p,
                            held: deposit_held,
                        });
                    }
                }
                let (order, supplier) = (
                    state.order.ok_or(DisputeError::NotFound)?,
                    state.supplier.ok_or(DisputeError::NotFound)?,
                );
                Ok(vec![E::DisputeRuled(DisputeRuled {
                    agent: Some(agent),
                    refund,
                    release,
                    penalty,
                    warn,
                    note,
                    by_default: false,
                    order,
                    supplier,
                    at,
                })])
            }
            C::RuleByDefault { at } => {
                if active(state).is_err() || at < state.answer_by || state.answered() {
                    return Ok(vec![]);
                }
                let (Some(held), Some(claimed), Some(opener)) =
                    (state.held, state.claimed, state.opened_by)
                else {
                    return Ok(vec![]);
                };
                let (refund, release, warn) = match opener {
                    // The supplier did not answer the buyer's claim: the buyer gets the claim.
                    Party::Buyer => (
                        claimed,
                        Money::new(held.minor - claimed.minor, held.currency),
                        true,
                    ),
                    // The buyer did not answer the supplier's claim: the supplier is paid.
                    _ => (Money::zero(held.currency), held, false),
                };
                let (order, supplier) = (
                    state.order.ok_or(DisputeError::NotFound)?,
                    state.supplier.ok_or(DisputeError::NotFound)?,
                );
                Ok(vec![E::DisputeRuled(DisputeRuled {
                    agent: None,
                    refund,
                    release,
                    penalty: None,
                    warn,
                    note: "the other side did not answer within the time allowed".into(),
                    by_default: true,
                    order,
                    supplier,
                    at,
                })])
            }
            C::Abandon { order, at } => {
                if state.status != DisputeStatus::None {
                    return Ok(vec![]);
                }
                Ok(vec![E::DisputeAbandoned(DisputeAbandoned { order, at })])
            }
            C::Withdraw { party, by: _, at } => {
                active(state)?;
                if state.opened_by != Some(party) {
                    return Err(DisputeError::NotOpener);
                }
                Ok(vec![E::DisputeWithdrawn(DisputeWithdrawn { party, at })])
            }
        }
    }

    fn evolve(mut state: DisputeState, event: &DisputeEvent) -> DisputeState {
        use DisputeEvent as E;
        match event {
            E::DisputeOpened(e) => {
                state.id = Some(e.id);
                state.order = Some(e.order);
                state.company = Some(e.company);
                state.supplier = Some(e.supplier);
                state.opened_by = Some(e.opened_by);
                state.claimed = Some(e.claimed);
                state.held = Some(e.held);
                state.answer_by = e.answer_by;
                state.reason = Some(e.reason);
                state.opened_at = e.at;
                state.evidence.push(Evidence {
                    party: e.opened_by,
                    by: e.by,
                    text: e.statement.clone(),
                    files: e.files.clone(),
                    at: e.at,
                });
                state.status = DisputeStatus::Open;
            }
            E::EvidenceSubmitted(e) => state.evidence.push(e.evidence.clone()),
            E::DisputeAssigned(e) => {
                state.agent = Some(e.agent);
                state.status = DisputeStatus::UnderReview;
            }
            E::DisputeRuled(e) => {
                // A ruling without an assignment names its agent all the same.
                state.agent = e.agent.or(state.agent);
                state.status = DisputeStatus::Ruled;
                state.ruling = Some(Ruling {
                    refund: e.refund,
                    release: e.release,
                    penalty: e.penalty,
                    warned: e.warn,
                    note: e.note.clone(),
                    by_default: e.by_default,
                    at: e.at,
                });
            }
            E::DisputeWithdrawn(_) => state.status = DisputeStatus::Withdrawn,
            E::DisputeAbandoned(_) => state.status = DisputeStatus::Abandoned,
        }
        state
    }
}

/// The default answer window in milliseconds.
pub const DEFAULT_ANSWER_MS: Timestamp = DEFAULT_ANSWER_DAYS * DAY_MS;

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;
    use DisputeCommand as C;

    const BUYER: UserId = UserId(Uuid::from_u128(1));
    const SUPPLIER_STAFF: UserId = UserId(Uuid::from_u128(2));
    const AGENT: UserId = UserId(Uuid::from_u128(3));

    fn open_by(opened_by: Party, claimed: i64) -> C {
        C::Open {
            id: DisputeId(Uuid::from_u128(10)),
            order: OrderId(Uuid::from_u128(11)),
            company: CompanyId(Uuid::from_u128(12)),
            supplier: SupplierId(Uuid::from_u128(13)),
            opened_by,
            by: BUYER,
            reason: DisputeReason::NotAsDescribed,
            statement: "bolts are 8.8, ordered A2-70".into(),
            files: vec!["files/photo.jpg".into()],
            claimed: Money::cny(claimed),
            held: Money::cny(10_000),
            answer_within_ms: DEFAULT_ANSWER_MS,
            at: 0,
        }
    }

    fn run(state: DisputeState, commands: Vec<C>) -> DisputeState {
        commands.into_iter().fold(state, |s, c| {
            let events = Dispute::decide(&s, c).unwrap();
            events.iter().fold(s, Dispute::evolve)
        })
    }

    fn opened() -> DisputeState {
        run(DisputeState::default(), vec![open_by(Party::Buyer, 6_000)])
    }

    #[test]
    fn a_claim_is_bounded_by_the_escrow() {
        let empty = DisputeState::default();
        assert_eq!(
            Dispute::decide(&empty, open_by(Party::Buyer, 20_000)),
            Err(DisputeError::BadClaim(Money::cny(10_000)))
        );
        assert_eq!(
            Dispute::decide(&empty, open_by(Party::Buyer, 0)),
            Err(DisputeError::BadClaim(Money::cny(10_000)))
        );
        assert_eq!(
            Dispute::decide(&empty, open_by(Party::Agent, 10)),
            Err(DisputeError::NotAParty)
        );
        let mut silent = open_by(Party::Buyer, 10);
        if let C::Open { statement, .. } = &mut silent {
            statement.clear()
        }
        assert_eq!(
            Dispute::decide(&empty, silent),
            Err(DisputeError::Missing("a statement"))
        );
        let mut another = open_by(Party::Buyer, 10);
        if let C::Open { id, .. } = &mut another {
            *id = DisputeId(Uuid::from_u128(99))
        }
        assert_eq!(
            Dispute::decide(&opened(), another),
            Err(DisputeError::AlreadyOpen)
        );
        assert_eq!(
            Dispute::decide(
                &empty,
                C::Assign {
                    agent: AGENT,
                    at: 1
                }
            ),
            Err(DisputeError::NotFound)
        );
    }

    #[test]
    fn an_agent_rules_a_split_of_exactly_what_is_held() {
        let state = run(
            opened(),
            vec![
                C::SubmitEvidence {
                    party: Party::Supplier,
                    by: SUPPLIER_STAFF,
                    text: "material certificate attached".into(),
                    files: vec!["files/cert.pdf".into()],
                    at: 1,
                },
                C::Assign {
                    agent: AGENT,
                    at: 2,
                },
            ],
        );
        assert_eq!(state.status, DisputeStatus::UnderReview);
        let rule = |refund, release, penalty: Option<i64>| C::Rule {
            agent: AGENT,
            refund: Money::cny(refund),
            release: Money::cny(release),
            penalty: penalty.map(Money::cny),
            deposit_held: Money::cny(2_000_000),
            warn: true,
            note: "certificate does not match the batch".into(),
            at: 3,
        };
        assert_eq!(
            Dispute::decide(&state, rule(6_000, 3_000, None)),
            Err(DisputeError::BadSplit(Money::cny(10_000)))
        );
        assert_eq!(
            Dispute::decide(&state, rule(-1, 10_001, None)),
            Err(DisputeError::BadSplit(Money::cny(10_000)))
        );
        assert_eq!(
            Dispute::decide(&state, rule(6_000, 4_000, Some(0))),
            Err(DisputeError::BadPenalty)
        );
        let mut no_note = rule(6_000, 4_000, None);
        if let C::Rule { note, .. } = &mut no_note {
            note.clear()
        }
        assert_eq!(
            Dispute::decide(&state, no_note),
            Err(DisputeError::Missing("the reasons for the ruling"))
        );
        assert_eq!(
            Dispute::decide(&state, rule(6_000, 4_000, Some(2_000_001))),
            Err(DisputeError::PenaltyExceedsDeposit {
                asked: Money::cny(2_000_001),
                held: Money::cny(2_000_000)
            }),
            "a penalty is never more than the deposit holds"
        );
        let events = Dispute::decide(&state, rule(6_000, 4_000, Some(50_000))).unwrap();
        assert!(
            matches!(&events[0], DisputeEvent::DisputeRuled(r) if !r.by_default && r.warn && r.penalty == Some(Money::cny(50_000)))
        );
        let state = events.iter().fold(state, Dispute::evolve);
        assert_eq!(state.agent, Some(AGENT));
        assert_eq!(
            Dispute::decide(&state, rule(6_000, 4_000, None)),
            Err(DisputeError::Closed(DisputeStatus::Ruled))
        );
        assert_eq!(
            Dispute::decide(
                &state,
                C::SubmitEvidence {
                    party: Party::Buyer,
                    by: BUYER,
                    text: "late".into(),
                    files: vec![],
                    at: 9
                }
            ),
            Err(DisputeError::Closed(DisputeStatus::Ruled))
        );
    }

    #[test]
    fn a_ruling_without_an_assignment_names_its_agent() {
        let events = Dispute::decide(
            &opened(),
            C::Rule {
                agent: AGENT,
                refund: Money::cny(10_000),
                release: Money::cny(0),
                penalty: None,
                deposit_held: Money::cny(0),
                warn: false,
                note: "goods never shipped".into(),
                at: 3,
            },
        )
        .unwrap();
        let state = events.iter().fold(opened(), Dispute::evolve);
        assert_eq!(state.agent, Some(AGENT));
        // The ruling stays readable on the dispute, with why it was opened.
        let ruling = state.ruling.expect("a ruling");
        assert_eq!(
            (ruling.refund, ruling.release),
            (Money::cny(10_000), Money::cny(0))
        );
        assert_eq!(ruling.note, "goods never shipped");
        assert!(!ruling.by_default && !ruling.warned);
        assert!(state.reason.is_some());
        assert!(opened().ruling.is_none());
    }

    #[test]
    fn opening_the_same_dispute_again_changes_nothing_and_an_abandoned_one_never_opens() {
        let state = opened();
        assert_eq!(
            Dispute::decide(&state, open_by(Party::Buyer, 6_000)),
            Ok(vec![])
        );
        let order = OrderId(Uuid::from_u128(11));
        assert_eq!(
            Dispute::decide(&state, C::Abandon { order, at: 9 }),
            Ok(vec![])
        );
        let abandoned = run(DisputeState::default(), vec![C::Abandon { order, at: 9 }]);
        assert_eq!(abandoned.status, DisputeStatus::Abandoned);
        assert_eq!(
            Dispute::decide(&abandoned, open_by(Party::Buyer, 6_000)),
            Err(DisputeError::AlreadyOpen)
        );
    }

    #[test]
    fn a_silent_supplier_loses_by_default_after_the_sla() {
        let state = opened();
        assert_eq!(
            Dispute::decide(
                &state,
                C::RuleByDefault {
                    at: DEFAULT_ANSWER_MS - 1
                }
            ),
            Ok(vec![])
        );
        let events = Dispute::decide(
            &state,
            C::RuleByDefault {
                at: DEFAULT_ANSWER_MS,
            },
        )
        .unwrap();
        match &events[0] {
            DisputeEvent::DisputeRuled(r) => {
                assert!(r.by_default && r.warn);
                assert_eq!(
                    (r.refund, r.release),
                    (Money::cny(6_000), Money::cny(4_000))
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_in_time_leaves_the_ruling_to_an_agent() {
        let state = run(
            opened(),
            vec![C::SubmitEvidence {
                party: Party::Supplier,
                by: SUPPLIER_STAFF,
                text: "we shipped A2-70".into(),
                files: vec![],
                at: 5,
            }],
        );
        assert_eq!(
            Dispute::decide(&state, C::RuleByDefault { at: 10 * DAY_MS }),
            Ok(vec![])
        );
        assert_eq!(
            Dispute::decide(
                &state,
                C::SubmitEvidence {
                    party: Party::Supplier,
                    by: SUPPLIER_STAFF,
                    text: " ".into(),
                    files: vec![],
                    at: 6
                }
            ),
            Err(DisputeError::Missing("a text or a file"))
        );
        assert_eq!(
            Dispute::decide(
                &state,
                C::SubmitEvidence {
                    party: Party::Agent,
                    by: AGENT,
                    text: "x".into(),
                    files: vec![],
                    at: 6
                }
            ),
            Err(DisputeError::NotAParty)
        );
    }

    #[test]
    fn a_silent_buyer_loses_a_suppliers_claim() {
        let state = run(
            DisputeState::default(),
            vec![open_by(Party::Supplier, 10_000)],
        );
        let events = Dispute::decide(
            &state,
            C::RuleByDefault {
                at: DEFAULT_ANSWER_MS,
            },
        )
        .unwrap();
        assert!(
            matches!(&events[0], DisputeEvent::DisputeRuled(r) if r.release == Money::cny(10_000) && r.refund == Money::cny(0) && !r.warn)
        );
    }

    #[test]
    fn only_the_opener_withdraws() {
        let state = opened();
        assert_eq!(
            Dispute::decide(
                &state,
                C::Withdraw {
                    party: Party::Supplier,
                    by: SUPPLIER_STAFF,
                    at: 1
                }
            ),
            Err(DisputeError::NotOpener)
        );
        let state = run(
            state,
            vec![C::Withdraw {
                party: Party::Buyer,
                by: BUYER,
                at: 1,
            }],
        );
        assert_eq!(state.status, DisputeStatus::Withdrawn);
        assert_eq!(
            Dispute::decide(&state, C::RuleByDefault { at: 9 * DAY_MS }),
            Ok(vec![])
        );
    }

    #[test]
    fn an_opening_stored_before_files_existed_is_upcast() {
        let v1 = serde_json::json!({
            "id": Uuid::from_u128(10), "order": Uuid::from_u128(11), "company": Uuid::from_u128(12),
            "supplier": Uuid::from_u128(13), "opened_by": "Buyer", "by": Uuid::from_u128(1),
            "reason": "Damaged", "statement": "crushed box", "claimed": {"minor": 100, "currency": "CNY"},
            "held": {"minor": 500, "currency": "CNY"}, "answer_by": 10, "at": 0
        });
        let event = DisputeEvent::decode("DisputeOpened", 1, v1.clone()).unwrap();
        assert_eq!(
            DisputeEvent::decode_text("DisputeOpened", 1, &v1.to_string()).unwrap(),
            event,
            "read from its text, a v1 body is upcast too"
        );
        assert!(
            matches!(&event, DisputeEvent::DisputeOpened(o) if o.files.is_empty() && o.statement == "crushed box")
        );
        assert!(
            DisputeEvent::decode("DisputeOpened", 2, v1).is_err(),
            "a v2 body must carry files"
        );
        let (t, v, _) = event.encode();
        assert_eq!((t, v), ("DisputeOpened", 2));
        assert!(matches!(
            DisputeEvent::decode("DisputeOpened", 3, serde_json::json!({})),
            Err(crate::EventCodecError::FutureVersion { .. })
        ));
        assert!(matches!(
            DisputeEvent::decode("NoSuchEvent", 1, serde_json::json!({})),
            Err(crate::EventCodecError::UnknownType(_))
        ));
        assert!(matches!(
            DisputeEvent::decode_text("NoSuchEvent", 1, "{}"),
            Err(crate::EventCodecError::UnknownType(_))
        ));
        assert!(matches!(
            DisputeEvent::decode_text("DisputeWithdrawn", 1, "{\"party\": \"Buyer\""),
            Err(crate::EventCodecError::Malformed { .. })
        ));
    }
}
