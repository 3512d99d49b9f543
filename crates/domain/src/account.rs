//! People who sign in (stream `account-<email>`, so an email registers once): their role —
//! admin, agent, buyer of a company, staff of a supplier — and their password hash (hashed at
//! the edge; the domain never sees a password).

use serde::{Deserialize, Serialize};

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

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountState {
    pub id: Option<UserId>,
    pub email: String,
    pub name: String,
    pub role: Option<Role>,
    pub password_hash: String,
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
    ChangePassword {
        password_hash: String,
        at: Timestamp,
    },
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AccountEvent {
    AccountRegistered(AccountRegistered),
    PasswordChanged(PasswordChanged),
}
crate::event_names!(AccountEvent {
    AccountRegistered,
    PasswordChanged
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
            AccountCommand::ChangePassword { password_hash, at } => {
                if state.id.is_none() {
                    return Err(AccountError::NotFound);
                }
                Ok(vec![AccountEvent::PasswordChanged(PasswordChanged {
                    password_hash,
                    at,
                })])
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
            AccountEvent::PasswordChanged(e) => state.password_hash = e.password_hash.clone(),
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
                    at: 0
                }
            ),
            Err(AccountError::NotFound)
        );
        let changed = Account::decide(
            &state,
            AccountCommand::ChangePassword {
                password_hash: "h2".into(),
                at: 1,
            },
        )
        .unwrap();
        assert_eq!(Account::evolve(state, &changed[0]).password_hash, "h2");
    }
}
