//! The credit record tied to a unified social credit code (stream `credit-<code>`): who holds the
//! code on the platform now, and every warning, penalty, dispute loss and exit in its history. A
//! company that exits and re-registers under a new name still shows it.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, Timestamp};
use crate::ids::{DisputeId, SupplierId};
use crate::money::Money;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CreditEntry {
    Registered {
        supplier: SupplierId,
        company_name: String,
        at: Timestamp,
    },
    Warning {
        supplier: SupplierId,
        reason: String,
        at: Timestamp,
    },
    Penalty {
        supplier: SupplierId,
        amount: Money,
        reason: String,
        at: Timestamp,
    },
    DisputeLost {
        supplier: SupplierId,
        dispute: DisputeId,
        at: Timestamp,
    },
    Exited {
        supplier: SupplierId,
        reason: String,
        at: Timestamp,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreditRecordState {
    /// The supplier holding the code now (none after its exit).
    pub holder: Option<SupplierId>,
    pub history: Vec<CreditEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CreditRecordCommand {
    Claim {
        supplier: SupplierId,
        company_name: String,
        at: Timestamp,
    },
    Record(CreditEntry),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CreditRecordEvent {
    CreditEntryRecorded(CreditEntry),
}
crate::event_names!(CreditRecordEvent {
    CreditEntryRecorded
});

impl DomainEvent for CreditRecordEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CreditRecordError {
    #[error("this credit code is already registered to another supplier on the platform")]
    CodeInUse,
    #[error("registrations are made with a claim")]
    UseClaim,
}

pub struct CreditRecord;

impl Aggregate for CreditRecord {
    type State = CreditRecordState;
    type Command = CreditRecordCommand;
    type Event = CreditRecordEvent;
    type Error = CreditRecordError;
    const KIND: &'static str = "credit";

    fn decide(
        state: &CreditRecordState,
        command: CreditRecordCommand,
    ) -> Result<Vec<CreditRecordEvent>, CreditRecordError> {
        match command {
            CreditRecordCommand::Claim {
                supplier,
                company_name,
                at,
            } => match state.holder {
                Some(holder) if holder == supplier => Ok(vec![]),
                Some(_) => Err(CreditRecordError::CodeInUse),
                None => Ok(vec![CreditRecordEvent::CreditEntryRecorded(
                    CreditEntry::Registered {
                        supplier,
                        company_name,
                        at,
                    },
                )]),
            },
            CreditRecordCommand::Record(CreditEntry::Registered { .. }) => {
                Err(CreditRecordError::UseClaim)
            }
            CreditRecordCommand::Record(entry) => {
                Ok(vec![CreditRecordEvent::CreditEntryRecorded(entry)])
            }
        }
    }

    fn evolve(mut state: CreditRecordState, event: &CreditRecordEvent) -> CreditRecordState {
        let CreditRecordEvent::CreditEntryRecorded(entry) = event;
        match entry {
            CreditEntry::Registered { supplier, .. } => state.holder = Some(*supplier),
            CreditEntry::Exited { supplier, .. } if state.holder == Some(*supplier) => {
                state.holder = None
            }
            _ => {}
        }
        state.history.push(entry.clone());
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_code_has_one_holder_and_keeps_its_history_across_exits() {
        let first = SupplierId(Uuid::from_u128(1));
        let second = SupplierId(Uuid::from_u128(2));
        let claim = |supplier, name: &str| CreditRecordCommand::Claim {
            supplier,
            company_name: name.into(),
            at: 0,
        };
        let run = |s: CreditRecordState, c| {
            let events = CreditRecord::decide(&s, c).unwrap();
            events.iter().fold(s, CreditRecord::evolve)
        };
        let state = run(CreditRecordState::default(), claim(first, "甲公司"));
        assert_eq!(
            CreditRecord::decide(&state, claim(first, "甲公司")),
            Ok(vec![]),
            "a repeated claim is a no-op"
        );
        assert_eq!(
            CreditRecord::decide(&state, claim(second, "乙公司")),
            Err(CreditRecordError::CodeInUse)
        );
        let state = run(
            state,
            CreditRecordCommand::Record(CreditEntry::Warning {
                supplier: first,
                reason: "fake stock".into(),
                at: 1,
            }),
        );
        let state = run(
            state,
            CreditRecordCommand::Record(CreditEntry::Exited {
                supplier: first,
                reason: "清退".into(),
                at: 2,
            }),
        );
        assert_eq!(state.holder, None);
        let state = run(state, claim(second, "乙公司"));
        assert_eq!(state.holder, Some(second));
        assert!(
            matches!(state.history[1], CreditEntry::Warning { .. }),
            "the new name inherits the record"
        );
        assert_eq!(
            CreditRecord::decide(
                &state,
                CreditRecordCommand::Record(CreditEntry::Registered {
                    supplier: first,
                    company_name: "x".into(),
                    at: 3
                })
            ),
            Err(CreditRecordError::UseClaim)
        );
    }
}
