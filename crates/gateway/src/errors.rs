//! How the API reports failures: business-rule refusals as `userErrors` in mutation payloads,
//! everything else as a GraphQL error with a stable `code` extension — never a panic, never a 500.

use async_graphql::{ErrorExtensions, SimpleObject};
use zhuchao_app::marketplace::MarketError;

/// A business rule refused a mutation.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// Stable, machine-readable: `BELOW_MOQ`, `WRONG_STATUS`, `NOT_INVITED`, …
    pub code: String,
    /// The input field at fault, when one is.
    pub field: Option<String>,
    pub message: String,
}

pub fn api_error(code: &str, message: impl Into<String>) -> async_graphql::Error {
    let code = code.to_string();
    async_graphql::Error::new(message.into()).extend_with(move |_, e| e.set("code", code.clone()))
}

pub fn unauthenticated() -> async_graphql::Error {
    api_error("UNAUTHENTICATED", "sign in first")
}

pub fn forbidden() -> async_graphql::Error {
    api_error("FORBIDDEN", "you may not do this")
}

pub fn not_found(what: &str) -> async_graphql::Error {
    api_error("NOT_FOUND", format!("{what} not found"))
}

pub fn bad_input(field: &str, message: impl Into<String>) -> UserError {
    UserError {
        code: "BAD_INPUT".into(),
        field: Some(field.into()),
        message: message.into(),
    }
}

/// Splits a use case's failure: rule refusals become user errors, the rest GraphQL errors.
pub fn classify(e: MarketError) -> Result<UserError, async_graphql::Error> {
    match e {
        MarketError::Rejected { code, message } => Ok(UserError {
            code,
            field: None,
            message,
        }),
        MarketError::NotFound(what) => Ok(UserError {
            code: "NOT_FOUND".into(),
            field: None,
            message: format!("{what} not found"),
        }),
        MarketError::Conflict(_) => Ok(UserError {
            code: "CONFLICT".into(),
            field: None,
            message: e.to_string(),
        }),
        MarketError::Unavailable(m) => Err(api_error("UNAVAILABLE", m)),
        other => {
            tracing::error!(error = %other, "mutation failed");
            Err(api_error(
                "INTERNAL",
                "something went wrong on our side; it has been logged",
            ))
        }
    }
}
