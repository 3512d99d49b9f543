//! People who sign in (stream `account-<email>`, so an email registers once): their role —
//! admin, agent, buyer of a company, staff of a supplier — and their password hash (hashed at
//! the edge; the domain never sees a password), and which of their sessions are still good.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::aggregate::{Aggregate, DomainEvent, Timestamp};
use crate::ids::{CompanyId, SupplierId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Agent,
    Buyer {
        company: CompanyId,
        company_name: String,
    },
    Supplier {
        supplier: SupplierId,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    pub id: Option<UserId>,
    pub email: String,
    pub name: String,
    pub role: Option<Role>,
    pub password_hash: String,
    /// Sessions begun at or before this instant are over (signed out everywhere, or the
    /// password changed) — except `kept_session`, the one that changed the password.
    pub sessions_valid_after: Timestamp,
    pub kept_session: Option<Uuid>,
    /// Sessions signed out one by one, with when they would have expired anyway.
    pub signed_out: BTreeMap<Uuid, Timestamp>,
    /// Registrations tried with this account's email, by the account each would have opened.
    pub registration_attempts: std::collections::BTreeSet<UserId>,
}

impl AccountState {
    /// Whether the session `session`, begun at `began`, may still act for this account.
    pub fn session_is_live(&self, session: Uuid, began: Timestamp) -> bool {
        self.id.is_some()
            && !self.signed_out.contains_key(&session)
            && (began > self.sessions_valid_after || self.kept_session == Some(session))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum AccountCommand {
    Register {
        id: UserId,
        email: String,
        name: String,
        role: Role,
        password_hash: String,
        at: Timestamp,
    },
    /// Every session begun before `at` ends, except `kept_session` (the one changing it).
    ChangePassword {
        password_hash: String,
        at: Timestamp,
        kept_session: Option<Uuid>,
    },
    /// One session ends ("sign out on this device"); `expires` is when it would have anyway.
    SignOut {
        session: Uuid,
        expires: Timestamp,
        at: Timestamp,
    },
    /// Every session begun until `at` ends ("sign out on all devices").
    SignOutEverywhere { at: Timestamp },
    /// Someone tried to register this account's email again: the answer they got does not
    /// say the email is taken, and the account keeps a record of the attempt.
    /// `attempt` is the account the registration would have opened (derived from its
    /// idempotency key), so a retried attempt is noted once.
    NoteRegistrationAttempt { at: Timestamp, attempt: UserId },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountRegistered {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub password_hash: String,
    pub at: Timestamp,
    /// Events before sessions existed have none: every session then ends.
    #[serde(default)]
    pub kept_session: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedOut {
    pub session: Uuid,
    pub expires: Timestamp,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedOutEverywhere {
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationAttempted {
    pub at: Timestamp,
    /// The account the attempt would have opened (absent in attempts noted before it was kept).
    #[serde(default)]
    pub attempt: Option<UserId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AccountEvent {
    AccountRegistered(AccountRegistered),
    PasswordChanged(PasswordChanged),
    SignedOut(SignedOut),
    SignedOutEverywhere(SignedOutEverywhere),
    RegistrationAttempted(RegistrationAttempted),
}
crate::event_names!(AccountEvent {
    AccountRegistered,
    PasswordChanged,
    SignedOut,
    SignedOutEverywhere,
    RegistrationAttempted
});

impl DomainEvent for AccountEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("no such account")]
    NotFound,
    #[error("{0:?} is not a valid email address")]
    BadEmail(String),
    #[error("a name is required")]
    NameMissing,
}

/// The normalised form of an email, which is also the account's stream id.
pub fn normalise_email(email: &str) -> Result<String, AccountError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 190
        && e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(e)
    } else {
        Err(AccountError::BadEmail(email.to_string()))
    }
}

pub struct Account;

impl Aggregate for Account {
    type State = AccountState;
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;
    const KIND: &'static str = "account";

    fn decide(
        state: &AccountState,
        command: AccountCommand,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        match command {
            AccountCommand::Register {
                id,
                email,
                name,
                role,
                password_hash,
                at,
            } => {
                if state.id.is_some() {
                    return Err(AccountError::EmailTaken);
                }
                let email = normalise_email(&email)?;
                if name.trim().is_empty() {
                    return Err(AccountError::NameMissing);
                }
                Ok(vec![AccountEvent::AccountRegistered(AccountRegistered {
                    id,
                    email,
                    name: name.trim().to_string(),
                    role,
                    password_hash,
                    at,
                })])
            }
            AccountCommand::ChangePassword {
                password_hash,
                at,
                kept_session,
            } => {
                if state.id.is_none() {
                    return Err(AccountError::NotFound);
                }
                Ok(vec![AccountEvent::PasswordChanged(PasswordChanged {
                    password_hash,
                    at,
                    kept_session,
                })])
            }
            AccountCommand::SignOut {
                session,
                expires,
                at,
            } => {
                if state.id.is_none() {
                    return Err(AccountError::NotFound);
                }
                if state.signed_out.contains_key(&session) {
                    return Ok(vec![]);
                }
                Ok(vec![AccountEvent::SignedOut(SignedOut {
                    session,
                    expires,
                    at,
                })])
            }
            AccountCommand::SignOutEverywhere { at } => {
                if state.id.is_none() {
                    return Err(AccountError::NotFound);
                }
                Ok(vec![AccountEvent::SignedOutEverywhere(
                    SignedOutEverywhere { at },
                )])
            }
            AccountCommand::NoteRegistrationAttempt { at, attempt } => {
                if state.id.is_none() {
                    return Err(AccountError::NotFound);
                }
                if state.registration_attempts.contains(&attempt) {
                    return Ok(vec![]);
                }
                Ok(vec![AccountEvent::RegistrationAttempted(
                    RegistrationAttempted {
                        at,
                        attempt: Some(attempt),
                    },
                )])
            }
        }
    }

    fn evolve(mut state: AccountState, event: &AccountEvent) -> AccountState {
        match event {
            AccountEvent::AccountRegistered(e) => {
                state.id = Some(e.id);
                state.email = e.email.clone();
                state.name = e.name.clone();
                state.role = Some(e.role.clone());
                state.password_hash = e.password_hash.clone();
            }
            AccountEvent::PasswordChanged(e) => {
                state.password_hash = e.password_hash.clone();
                state.sessions_valid_after = state.sessions_valid_after.max(e.at);
                state.kept_session = e.kept_session;
            }
            AccountEvent::SignedOut(e) => {
                // A session past its expiry needs no entry: it is over anyway.
                state.signed_out.retain(|_, expires| *expires > e.at);
                state.signed_out.insert(e.session, e.expires);
            }
            AccountEvent::SignedOutEverywhere(e) => {
                state.sessions_valid_after = state.sessions_valid_after.max(e.at);
                state.kept_session = None;
            }
            // A record for the account's owner; nothing about the account changes.
            AccountEvent::RegistrationAttempted(a) => {
                state.registration_attempts.extend(a.attempt);
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn register(email: &str, name: &str) -> AccountCommand {
        AccountCommand::Register {
            id: UserId(Uuid::from_u128(1)),
            email: email.into(),
            name: name.into(),
            role: Role::Agent,
            password_hash: "h".into(),
            at: 0,
        }
    }

    #[test]
    fn an_email_registers_once() {
        let state = Account::replay(
            &Account::decide(
                &AccountState::default(),
                register(" Li.Wei@Example.com ", "李伟"),
            )
            .unwrap(),
        );
        assert_eq!(state.email, "li.wei@example.com");
        assert_eq!(
            Account::decide(&state, register("li.wei@example.com", "x")),
            Err(AccountError::EmailTaken)
        );
        let tried = UserId(Uuid::from_u128(9));
        let note = AccountCommand::NoteRegistrationAttempt {
            at: 5,
            attempt: tried,
        };
        let attempt =
            Account::decide(&state, note.clone()).expect("an attempt on a taken email is noted");
        let after = Account::evolve(state.clone(), &attempt[0]);
        assert_eq!(
            (after.id, &after.email, &after.password_hash),
            (state.id, &state.email, &state.password_hash),
            "and changes nothing about the account"
        );
        assert_eq!(
            Account::decide(&after, note.clone()),
            Ok(vec![]),
            "a retried attempt is noted once"
        );
        assert_eq!(
            Account::decide(&AccountState::default(), note),
            Err(AccountError::NotFound)
        );
        assert!(matches!(
            Account::decide(&AccountState::default(), register("not-an-email", "x")),
            Err(AccountError::BadEmail(_))
        ));
        assert!(matches!(
            Account::decide(&AccountState::default(), register("a@b", "x")),
            Err(AccountError::BadEmail(_))
        ));
        assert_eq!(
            Account::decide(&AccountState::default(), register("a@b.cn", " ")),
            Err(AccountError::NameMissing)
        );
        assert_eq!(
            Account::decide(
                &AccountState::default(),
                AccountCommand::ChangePassword {
                    password_hash: "x".into(),
                    at: 0,
                    kept_session: None,
                }
            ),
            Err(AccountError::NotFound)
        );
        let changed = Account::decide(
            &state,
            AccountCommand::ChangePassword {
                password_hash: "h2".into(),
                at: 1,
                kept_session: None,
            },
        )
        .unwrap();
        assert_eq!(Account::evolve(state, &changed[0]).password_hash, "h2");
    }

    fn registered() -> AccountState {
        Account::replay(
            &Account::decide(&AccountState::default(), register("li@example.com", "李")).unwrap(),
        )
    }

    fn run(state: AccountState, command: AccountCommand) -> AccountState {
        let events = Account::decide(&state, command).expect("accepted");
        events.iter().fold(state, Account::evolve)
    }

    #[test]
    fn signing_out_ends_that_session_only() {
        // Given two sessions of one account
        let (phone, laptop) = (Uuid::from_u128(10), Uuid::from_u128(11));
        let state = registered();
        assert!(state.session_is_live(phone, 100) && state.session_is_live(laptop, 100));
        // When the phone signs out
        let signed_out = SignOutOf(phone, 100 + 1_000, 200);
        let state = run(state, signed_out.command());
        // Then the phone's session is over and the laptop's is not
        assert!(!state.session_is_live(phone, 100));
        assert!(state.session_is_live(laptop, 100));
        // and signing out again records nothing
        assert_eq!(Account::decide(&state, signed_out.command()), Ok(vec![]));
        // and an entry is kept only until its session would have expired anyway
        let later = run(state, SignOutOf(laptop, 5_000, 2_000).command());
        assert_eq!(later.signed_out.keys().collect::<Vec<_>>(), [&laptop]);
    }

    struct SignOutOf(Uuid, Timestamp, Timestamp);
    impl SignOutOf {
        fn command(&self) -> AccountCommand {
            AccountCommand::SignOut {
                session: self.0,
                expires: self.1,
                at: self.2,
            }
        }
    }

    #[test]
    fn a_new_password_or_signing_out_everywhere_ends_every_earlier_session() {
        // Given sessions begun at 100 (the one changing the password) and 150
        let (changing, other) = (Uuid::from_u128(20), Uuid::from_u128(21));
        let state = registered();
        // When the password changes at 200 from the first
        let state = run(
            state,
            AccountCommand::ChangePassword {
                password_hash: "h2".into(),
                at: 200,
                kept_session: Some(changing),
            },
        );
        // Then only the session that changed it goes on; sessions begun later are fine
        assert!(state.session_is_live(changing, 100));
        assert!(!state.session_is_live(other, 150));
        assert!(!state.session_is_live(other, 200), "begun the same instant");
        assert!(state.session_is_live(other, 201));
        // When signing out everywhere at 300, the kept session ends too
        let state = run(state, AccountCommand::SignOutEverywhere { at: 300 });
        assert!(!state.session_is_live(changing, 100));
        assert!(!state.session_is_live(other, 250));
        assert!(state.session_is_live(other, 301));
        assert!(
            !AccountState::default().session_is_live(other, 301),
            "no account"
        );
    }
}
