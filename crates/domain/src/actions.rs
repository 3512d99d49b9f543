//! What each party may do next with an order, RFQ, quote, dispute or supplier, asked of the
//! aggregates' own `decide`: an action is offered when its command would be accepted now, so
//! no client (and no screen) has to re-code the state machines.

use crate::aggregate::{Aggregate, Timestamp};
use crate::dispute::{Dispute, DisputeCommand, DisputeState};
use crate::files::FileRef;
use crate::ids::*;
use crate::money::Money;
use crate::order::{Order, OrderCommand, OrderState, OrderStatus, Party};
use crate::rfq::{QuotingSupplier, Rfq, RfqCommand, RfqState};
use crate::supplier::{
    DocumentKind, Review as DocumentReview, Supplier, SupplierCommand, SupplierState,
};

/// Who asks, as the marketplace's rules see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asker {
    /// A user of a buyer company.
    Buyer { user: UserId, company: CompanyId },
    /// A supplier's staff.
    Supplier(SupplierId),
    /// A customer-service agent or an admin.
    Agent(UserId),
    /// Nobody signed in.
    Anonymous,
}

/// Whether `command` would be accepted and change something.
fn accepted<A: Aggregate>(state: &A::State, command: A::Command) -> bool {
    A::decide(state, command).is_ok_and(|events| !events.is_empty())
}

/// A stand-in for a text a command needs (a reason, a carrier): only whether the command is
/// allowed is asked, never what it says.
const SOME_TEXT: &str = "-";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderAction {
    Pay,
    Cancel,
    Ship,
    MarkDelivered,
    ConfirmReceipt,
    RequestReturn,
    ApproveReturn,
    RejectReturn,
    ShipReturn,
    ConfirmReturnReceived,
    OpenDispute,
    Rate,
}

/// What `asker` may do next with an order; `rated` says whether its buyer rated it already.
pub fn order_actions(
    state: &OrderState,
    asker: Asker,
    rated: bool,
    now: Timestamp,
) -> Vec<OrderAction> {
    use OrderAction as A;
    use OrderCommand as C;
    let at = now;
    let text = || SOME_TEXT.to_string();
    let dispute = DisputeId(uuid::Uuid::nil());
    let mut actions = Vec::new();
    let mut offer = |action, command| {
        if accepted::<Order>(state, command) {
            actions.push(action);
        }
    };
    match asker {
        Asker::Buyer { company, .. } => {
            if state.company != Some(company) {
                return vec![];
            }
            // Paying is the payment's and the escrow's; the order only has to await it.
            if state.status == OrderStatus::Placed && !state.paid {
                offer(A::Pay, C::MarkPaid { at });
            }
            let (party, company) = (Party::Buyer, Some(company));
            offer(
                A::Cancel,
                C::Cancel {
                    party,
                    company,
                    supplier: None,
                    reason: text(),
                    at,
                },
            );
            let company = company.unwrap_or(CompanyId(uuid::Uuid::nil()));
            offer(A::ConfirmReceipt, C::ConfirmReceipt { company, at });
            offer(
                A::RequestReturn,
                C::RequestReturn {
                    company,
                    reason: text(),
                    at,
                },
            );
            offer(
                A::ShipReturn,
                C::ShipReturn {
                    company,
                    carrier: text(),
                    tracking: text(),
                    at,
                },
            );
            offer(
                A::OpenDispute,
                C::OpenDispute {
                    dispute,
                    party,
                    company: Some(company),
                    supplier: None,
                    at,
                },
            );
            if state.status == OrderStatus::Completed && !rated {
                actions.push(A::Rate);
            }
        }
        Asker::Supplier(supplier) => {
            if state.supplier != Some(supplier) {
                return vec![];
            }
            offer(
                A::Cancel,
                C::Cancel {
                    party: Party::Supplier,
                    company: None,
                    supplier: Some(supplier),
                    reason: text(),
                    at,
                },
            );
            offer(
                A::Ship,
                C::Ship {
                    supplier,
                    carrier: text(),
                    tracking: text(),
                    at,
                },
            );
            offer(A::MarkDelivered, C::MarkDelivered { at });
            offer(A::ApproveReturn, C::ApproveReturn { supplier, at });
            offer(
                A::RejectReturn,
                C::RejectReturn {
                    supplier,
                    reason: text(),
                    at,
                },
            );
            offer(
                A::ConfirmReturnReceived,
                C::ConfirmReturnReceived { supplier, at },
            );
            offer(
                A::OpenDispute,
                C::OpenDispute {
                    dispute,
                    party: Party::Supplier,
                    company: None,
                    supplier: Some(supplier),
                    at,
                },
            );
        }
        Asker::Agent(_) => {
            offer(
                A::Cancel,
                C::Cancel {
                    party: Party::Agent,
                    company: None,
                    supplier: None,
                    reason: text(),
                    at,
                },
            );
            offer(A::MarkDelivered, C::MarkDelivered { at });
        }
        Asker::Anonymous => {}
    }
    actions
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RfqAction {
    Cancel,
    SubmitQuote,
}

/// What `asker` may do next with an RFQ. A supplier's standing (whether it may sell now and
/// serves the RFQ's category) comes from its own aggregate.
pub fn rfq_actions(
    state: &RfqState,
    asker: Asker,
    supplier_may_sell: bool,
    serves_category: bool,
    now: Timestamp,
) -> Vec<RfqAction> {
    match asker {
        Asker::Buyer { user, .. } => {
            let cancel = RfqCommand::Cancel {
                buyer: user,
                reason: SOME_TEXT.into(),
                at: now,
            };
            if accepted::<Rfq>(state, cancel) {
                vec![RfqAction::Cancel]
            } else {
                vec![]
            }
        }
        Asker::Supplier(supplier) => {
            let price = state.target_price.unwrap_or(Money::cny(1));
            let quote = RfqCommand::SubmitQuote {
                quote: QuoteId(uuid::Uuid::nil()),
                supplier: QuotingSupplier {
                    id: supplier,
                    may_sell: supplier_may_sell,
                    serves_category,
                },
                unit_price: Money::new(price.minor.max(1), price.currency),
                lead_time_days: 1,
                valid_until: now.saturating_add(crate::DAY_MS),
                note: String::new(),
                at: now,
            };
            if accepted::<Rfq>(state, quote) {
                vec![RfqAction::SubmitQuote]
            } else {
                vec![]
            }
        }
        Asker::Agent(_) | Asker::Anonymous => vec![],
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuoteAction {
    Accept,
    CounterOffer,
    Revise,
}

/// What `asker` may do next with quote `quote` of an RFQ.
pub fn quote_actions(
    state: &RfqState,
    quote: QuoteId,
    asker: Asker,
    now: Timestamp,
) -> Vec<QuoteAction> {
    let Some(q) = state.quotes.get(&quote) else {
        return vec![];
    };
    let mut actions = Vec::new();
    match asker {
        Asker::Buyer { user, .. } => {
            let accept = RfqCommand::Accept {
                quote,
                buyer: user,
                order: OrderId(uuid::Uuid::nil()),
                // Whether the quote may be accepted; the address comes with the acceptance.
                address: "the buyer's address".into(),
                at: now,
            };
            if accepted::<Rfq>(state, accept) {
                actions.push(QuoteAction::Accept);
            }
            let counter = RfqCommand::CounterOffer {
                quote,
                buyer: user,
                unit_price: q.unit_price,
                note: String::new(),
                at: now,
            };
            if accepted::<Rfq>(state, counter) {
                actions.push(QuoteAction::CounterOffer);
            }
        }
        Asker::Supplier(supplier) => {
            let revise = RfqCommand::ReviseQuote {
                quote,
                supplier,
                unit_price: q.unit_price,
                lead_time_days: q.lead_time_days,
                valid_until: now.saturating_add(crate::DAY_MS),
                note: String::new(),
                at: now,
            };
            if accepted::<Rfq>(state, revise) {
                actions.push(QuoteAction::Revise);
            }
        }
        Asker::Agent(_) | Asker::Anonymous => {}
    }
    actions
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeAction {
    AddEvidence,
    Withdraw,
    Assign,
    Rule,
}

/// What `asker` may do next with a dispute.
pub fn dispute_actions(state: &DisputeState, asker: Asker, now: Timestamp) -> Vec<DisputeAction> {
    use DisputeCommand as C;
    let party = match asker {
        Asker::Buyer { company, .. } if state.company == Some(company) => Some(Party::Buyer),
        Asker::Supplier(s) if state.supplier == Some(s) => Some(Party::Supplier),
        _ => None,
    };
    let mut actions = Vec::new();
    let by = match asker {
        Asker::Buyer { user, .. } | Asker::Agent(user) => user,
        _ => UserId(uuid::Uuid::nil()),
    };
    if let Some(party) = party {
        let evidence = C::SubmitEvidence {
            party,
            by,
            text: SOME_TEXT.into(),
            files: vec![],
            at: now,
        };
        if accepted::<Dispute>(state, evidence) {
            actions.push(DisputeAction::AddEvidence);
        }
        if accepted::<Dispute>(state, C::Withdraw { party, by, at: now }) {
            actions.push(DisputeAction::Withdraw);
        }
    }
    if let Asker::Agent(agent) = asker {
        if accepted::<Dispute>(state, C::Assign { agent, at: now }) {
            actions.push(DisputeAction::Assign);
        }
        if let Some(held) = state.held {
            let rule = C::Rule {
                agent,
                refund: held,
                release: Money::zero(held.currency),
                penalty: None,
                deposit_held: Money::zero(held.currency),
                warn: false,
                note: SOME_TEXT.into(),
                at: now,
            };
            if accepted::<Dispute>(state, rule) {
                actions.push(DisputeAction::Rule);
            }
        }
    }
    actions
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupplierAction {
    SubmitDocument,
    PayDeposit,
    ReviewDocument,
    Warn,
    Suspend,
    Reinstate,
    Penalise,
    Exit,
}

/// What `asker` may do next with a supplier: its staff keep documents and deposit up; agents
/// review, warn, suspend, reinstate, penalise and exit. `open_orders` counts the supplier's
/// unsettled orders, which keep it from exiting.
pub fn supplier_actions(
    state: &SupplierState,
    id: SupplierId,
    asker: Asker,
    open_orders: u32,
    now: Timestamp,
) -> Vec<SupplierAction> {
    use SupplierAction as A;
    use SupplierCommand as C;
    let mut actions = Vec::new();
    let mut offer = |action, command| {
        if accepted::<Supplier>(state, command) {
            actions.push(action);
        }
    };
    match asker {
        Asker::Supplier(me) if me == id => {
            if let Ok(file) = FileRef::parse(PROBE_FILE) {
                offer(
                    A::SubmitDocument,
                    C::SubmitDocument {
                        kind: DocumentKind::MergedLicence,
                        file,
                        expires_on: None,
                        at: now,
                    },
                );
            }
            if let Some(required) = state.deposit_required {
                offer(
                    A::PayDeposit,
                    C::PayDepositDue {
                        amount: Money::new(1, required.currency),
                        payment_ref: SOME_TEXT.into(),
                        at: now,
                    },
                );
            }
        }
        Asker::Agent(agent) => {
            let pending = state
                .documents
                .values()
                .any(|d| d.review == DocumentReview::Pending);
            let review = pending && state.status != crate::supplier::SupplierStatus::Exited;
            let reason = || SOME_TEXT.to_string();
            offer(
                A::Warn,
                C::Warn {
                    agent,
                    reason: reason(),
                    at: now,
                },
            );
            offer(
                A::Suspend,
                C::Suspend {
                    agent,
                    reason: reason(),
                    at: now,
                },
            );
            offer(A::Reinstate, C::Reinstate { agent, at: now });
            if let Some(held) = state.deposit_held.filter(|h| h.is_positive()) {
                offer(
                    A::Penalise,
                    C::DeductPenalty {
                        amount: Money::new(1, held.currency),
                        reason: reason(),
                        dispute: None,
                        record_shortfall: false,
                        at: now,
                    },
                );
            }
            offer(
                A::Exit,
                C::Exit {
                    by: agent,
                    reason: reason(),
                    open_orders,
                    at: now,
                },
            );
            if review {
                actions.insert(0, A::ReviewDocument);
            }
        }
        _ => {}
    }
    actions
}

/// A well-formed file reference, for asking whether a document may be submitted at all.
const PROBE_FILE: &str =
    "/files/0000000000000000000000000000000000000000000000000000000000000000/probe.pdf";

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use uuid::Uuid;

    use super::*;
    use crate::dispute::DisputeReason;
    use crate::order::OrderState;
    use crate::rfq::{Invitee, RfqSpec};
    use crate::DAY_MS;

    const BUYER: UserId = UserId(Uuid::from_u128(1));
    const COMPANY: CompanyId = CompanyId(Uuid::from_u128(2));
    const OTHER_COMPANY: CompanyId = CompanyId(Uuid::from_u128(3));
    const SUPPLIER: SupplierId = SupplierId(Uuid::from_u128(4));
    const RIVAL: SupplierId = SupplierId(Uuid::from_u128(5));
    const AGENT: UserId = UserId(Uuid::from_u128(6));
    const QUOTE: QuoteId = QuoteId(Uuid::from_u128(7));

    fn buyer() -> Asker {
        Asker::Buyer {
            user: BUYER,
            company: COMPANY,
        }
    }

    fn run<A: Aggregate>(state: A::State, commands: Vec<A::Command>) -> A::State {
        commands.into_iter().fold(state, |s, c| {
            let events = A::decide(&s, c).unwrap_or_else(|e| panic!("refused: {e}"));
            events.iter().fold(s, A::evolve)
        })
    }

    fn placed() -> OrderState {
        run::<Order>(
            OrderState::default(),
            vec![OrderCommand::PlaceFromQuote {
                id: OrderId(Uuid::from_u128(10)),
                buyer: BUYER,
                company: COMPANY,
                supplier: SUPPLIER,
                rfq: RfqId(Uuid::from_u128(11)),
                quote: QUOTE,
                title: "Flange bolts M10×45".into(),
                quantity: 5000,
                unit_price: Money::cny(80),
                address: "宁波市北仑区 1 号".into(),
                at: 0,
            }],
        )
    }

    #[test]
    fn given_a_placed_order_then_the_buyer_may_pay_or_cancel_and_the_supplier_only_cancel() {
        let order = placed();
        use OrderAction as A;
        assert_eq!(
            order_actions(&order, buyer(), false, 1),
            [A::Pay, A::Cancel]
        );
        assert_eq!(
            order_actions(&order, Asker::Supplier(SUPPLIER), false, 1),
            [A::Cancel]
        );
        assert_eq!(
            order_actions(&order, Asker::Agent(AGENT), false, 1),
            [A::Cancel]
        );
        let outsider = Asker::Buyer {
            user: BUYER,
            company: OTHER_COMPANY,
        };
        assert!(order_actions(&order, outsider, false, 1).is_empty());
        assert!(order_actions(&order, Asker::Supplier(RIVAL), false, 1).is_empty());
        assert!(order_actions(&order, Asker::Anonymous, false, 1).is_empty());
    }

    #[test]
    fn given_a_paid_then_shipped_order_then_the_actions_follow_the_state_machine() {
        use OrderAction as A;
        let paid = run::<Order>(placed(), vec![OrderCommand::MarkPaid { at: 1 }]);
        assert_eq!(
            order_actions(&paid, buyer(), false, 2),
            [A::Cancel, A::OpenDispute]
        );
        assert_eq!(
            order_actions(&paid, Asker::Supplier(SUPPLIER), false, 2),
            [A::Cancel, A::Ship, A::OpenDispute]
        );
        let shipped = run::<Order>(
            paid,
            vec![OrderCommand::Ship {
                supplier: SUPPLIER,
                carrier: "SF".into(),
                tracking: "SF1".into(),
                at: 2,
            }],
        );
        assert_eq!(
            order_actions(&shipped, buyer(), false, 3),
            [A::ConfirmReceipt, A::OpenDispute]
        );
        assert_eq!(
            order_actions(&shipped, Asker::Supplier(SUPPLIER), false, 3),
            [A::MarkDelivered, A::OpenDispute]
        );
        let completed = run::<Order>(
            shipped,
            vec![
                OrderCommand::ConfirmReceipt {
                    company: COMPANY,
                    at: 3,
                },
                OrderCommand::Complete { at: 3 },
            ],
        );
        assert_eq!(order_actions(&completed, buyer(), false, 4), [A::Rate]);
        assert!(order_actions(&completed, buyer(), true, 4).is_empty());
    }

    fn open_rfq() -> RfqState {
        run::<Rfq>(
            RfqState::default(),
            vec![RfqCommand::Create {
                id: RfqId(Uuid::from_u128(11)),
                buyer: BUYER,
                company: COMPANY,
                spec: RfqSpec {
                    title: "Flange bolts M10×45".into(),
                    description: String::new(),
                    category: CategoryId(Uuid::from_u128(12)),
                    attributes: BTreeMap::new(),
                    quantity: 5000,
                    drawings: vec![],
                    target_price: Some(Money::cny(80)),
                    deadline: 7 * DAY_MS,
                },
                schema: Some(crate::category::CategorySchema {
                    attributes: crate::category::hex_bolt_schema(),
                }),
                invited: vec![Invitee {
                    id: SUPPLIER,
                    known: true,
                    may_sell: true,
                }],
                response_sla_ms: DAY_MS,
                at: 0,
            }],
        )
    }

    #[test]
    fn given_an_open_rfq_then_its_buyer_may_cancel_and_the_invited_supplier_quote() {
        let rfq = open_rfq();
        assert_eq!(
            rfq_actions(&rfq, buyer(), false, false, 1),
            [RfqAction::Cancel]
        );
        assert_eq!(
            rfq_actions(&rfq, Asker::Supplier(SUPPLIER), true, true, 1),
            [RfqAction::SubmitQuote]
        );
        assert!(
            rfq_actions(&rfq, Asker::Supplier(SUPPLIER), false, true, 1).is_empty(),
            "a supplier that may not sell cannot quote"
        );
        assert!(
            rfq_actions(&rfq, Asker::Supplier(RIVAL), true, true, 1).is_empty(),
            "not invited and the pool is closed"
        );
        let colleague = Asker::Buyer {
            user: UserId(Uuid::from_u128(99)),
            company: COMPANY,
        };
        assert!(rfq_actions(&rfq, colleague, false, false, 1).is_empty());
        assert!(
            rfq_actions(&rfq, Asker::Supplier(SUPPLIER), true, true, 8 * DAY_MS).is_empty(),
            "past the deadline"
        );
    }

    #[test]
    fn given_a_live_quote_then_the_buyer_may_accept_or_counter_and_its_supplier_revise() {
        let rfq = run::<Rfq>(
            open_rfq(),
            vec![RfqCommand::SubmitQuote {
                quote: QUOTE,
                supplier: QuotingSupplier {
                    id: SUPPLIER,
                    may_sell: true,
                    serves_category: true,
                },
                unit_price: Money::cny(75),
                lead_time_days: 10,
                valid_until: 3 * DAY_MS,
                note: String::new(),
                at: 1,
            }],
        );
        assert_eq!(
            quote_actions(&rfq, QUOTE, buyer(), 2),
            [QuoteAction::Accept, QuoteAction::CounterOffer]
        );
        assert_eq!(
            quote_actions(&rfq, QUOTE, Asker::Supplier(SUPPLIER), 2),
            [QuoteAction::Revise]
        );
        assert!(quote_actions(&rfq, QUOTE, Asker::Supplier(RIVAL), 2).is_empty());
        assert!(
            quote_actions(&rfq, QUOTE, buyer(), 4 * DAY_MS).is_empty(),
            "past its validity"
        );
        assert_eq!(
            rfq_actions(&rfq, Asker::Supplier(SUPPLIER), true, true, 2),
            [],
            "one quote per supplier; it revises instead"
        );
    }

    fn opened_dispute() -> DisputeState {
        run::<Dispute>(
            DisputeState::default(),
            vec![DisputeCommand::Open {
                id: DisputeId(Uuid::from_u128(20)),
                order: OrderId(Uuid::from_u128(10)),
                company: COMPANY,
                supplier: SUPPLIER,
                opened_by: Party::Buyer,
                by: BUYER,
                reason: DisputeReason::Damaged,
                statement: "crates arrived broken".into(),
                files: vec![],
                claimed: Money::cny(10_000),
                held: Money::cny(40_000),
                answer_within_ms: DAY_MS,
                at: 0,
            }],
        )
    }

    #[test]
    fn given_an_open_dispute_then_the_opener_may_withdraw_both_add_evidence_and_agents_rule() {
        let dispute = opened_dispute();
        use DisputeAction as A;
        assert_eq!(
            dispute_actions(&dispute, buyer(), 1),
            [A::AddEvidence, A::Withdraw]
        );
        assert_eq!(
            dispute_actions(&dispute, Asker::Supplier(SUPPLIER), 1),
            [A::AddEvidence]
        );
        assert_eq!(
            dispute_actions(&dispute, Asker::Agent(AGENT), 1),
            [A::Assign, A::Rule]
        );
        assert!(dispute_actions(&dispute, Asker::Supplier(RIVAL), 1).is_empty());
        let assigned = run::<Dispute>(
            dispute,
            vec![DisputeCommand::Assign {
                agent: AGENT,
                at: 1,
            }],
        );
        assert_eq!(
            dispute_actions(&assigned, Asker::Agent(AGENT), 2),
            [A::Rule],
            "taken already"
        );
        assert_eq!(
            dispute_actions(&assigned, Asker::Agent(UserId(Uuid::from_u128(66))), 2),
            [A::Assign, A::Rule],
            "another agent may take it over"
        );
    }

    #[test]
    fn given_an_applicant_then_it_may_submit_documents_and_pay_and_agents_act_by_status() {
        let applied = run::<Supplier>(
            SupplierState::default(),
            vec![SupplierCommand::Apply {
                id: SUPPLIER,
                company_name: "宁波精工紧固件有限公司".into(),
                credit_code: crate::credit_code::CreditCode::parse("91330200MA2CL8X71G")
                    .expect("a valid code"),
                categories: vec![CategoryId(Uuid::from_u128(12))],
                contact: crate::supplier::Contact {
                    name: "王工".into(),
                    phone: "13800000000".into(),
                    email: String::new(),
                },
                deposit_required: Money::cny(2_000_000),
                at: 0,
            }],
        );
        use SupplierAction as A;
        assert_eq!(
            supplier_actions(&applied, SUPPLIER, Asker::Supplier(SUPPLIER), 0, 1),
            [A::SubmitDocument, A::PayDeposit]
        );
        assert!(supplier_actions(&applied, SUPPLIER, Asker::Supplier(RIVAL), 0, 1).is_empty());
        let agent = supplier_actions(&applied, SUPPLIER, Asker::Agent(AGENT), 0, 1);
        assert!(
            agent.contains(&A::Exit) && !agent.contains(&A::Reinstate),
            "{agent:?}"
        );
        assert!(
            !supplier_actions(&applied, SUPPLIER, Asker::Agent(AGENT), 2, 1).contains(&A::Exit),
            "open orders keep a supplier from exiting"
        );
        let paid_in_full = run::<Supplier>(
            applied,
            vec![SupplierCommand::PayDeposit {
                amount: Money::cny(2_000_000),
                payment_ref: "bank-1".into(),
                at: 1,
            }],
        );
        assert_eq!(
            supplier_actions(&paid_in_full, SUPPLIER, Asker::Supplier(SUPPLIER), 0, 2),
            [A::SubmitDocument],
            "nothing more is due"
        );
    }
}
