//! How the API reports failures: business-rule refusals as `userErrors` in mutation payloads,
//! everything else as a GraphQL error whose `code` extension is one of the same `ErrorCode`
//! values — never a panic, never a 500. The codes themselves are listed once, in
//! `zhuchao_domain::error_codes`; the GraphQL enum is built from that list.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::{MetaEnumValue, MetaType, MetaTypeId, Registry};
use async_graphql::{
    ContextSelectionSet, ErrorExtensions, OutputType, Positioned, ServerResult, SimpleObject, Value,
};
use zhuchao_app::marketplace::MarketError;
pub use zhuchao_domain::error_codes::ErrorCode;

/// The GraphQL face of [`ErrorCode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub ErrorCode);

impl OutputType for Code {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_output_type::<Self, _>(MetaTypeId::Enum, |_| MetaType::Enum {
            name: "ErrorCode".into(),
            description: Some(
                "Why something was refused: stable and machine-readable, in `userErrors` and in \
                 the `code` extension of GraphQL errors."
                    .into(),
            ),
            enum_values: ErrorCode::ALL
                .iter()
                .map(|code| {
                    (
                        code.as_str().to_string(),
                        MetaEnumValue {
                            name: code.as_str().to_string(),
                            description: Some(code.meaning().to_string()),
                            deprecation: Default::default(),
                            visible: None,
                            inaccessible: false,
                            tags: vec![],
                            directive_invocations: vec![],
                        },
                    )
                })
                .collect(),
            visible: None,
            inaccessible: false,
            tags: vec![],
            rust_typename: Some(std::any::type_name::<Self>()),
            directive_invocations: vec![],
            requires_scopes: vec![],
        })
    }

    async fn resolve(
        &self,
        _: &ContextSelectionSet<'_>,
        _: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(Value::Enum(async_graphql::Name::new(self.0.as_str())))
    }
}

/// A business rule or an input check refused a mutation.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    pub code: Code,
    /// The path of the input field at fault (`["input", "lines", "2", "quantity"]`), when one is.
    pub field: Option<Vec<String>>,
    /// For people, in English.
    pub message: String,
}

impl UserError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        UserError {
            code: Code(code),
            field: None,
            message: message.into(),
        }
    }

    /// The same refusal, about the input field at `path` (dotted: `input.lines.2.quantity`).
    pub fn at(mut self, path: &str) -> Self {
        self.field = Some(path.split('.').map(str::to_string).collect());
        self
    }
}

pub fn api_error(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(move |_, e| e.set("code", code.as_str()))
}

pub fn unauthenticated() -> async_graphql::Error {
    api_error(ErrorCode::Unauthenticated, "sign in first")
}

pub fn forbidden() -> async_graphql::Error {
    api_error(ErrorCode::Forbidden, "you may not do this")
}

pub fn not_found(what: &str) -> async_graphql::Error {
    api_error(ErrorCode::NotFound, format!("{what} not found"))
}

pub fn internal(message: impl Into<String>) -> async_graphql::Error {
    api_error(ErrorCode::Internal, message)
}

/// The read models could not be read (their file failed): the request fails rather than
/// answering as if what it could not read did not exist.
pub fn read_failed(e: zhuchao_views::ViewError) -> async_graphql::Error {
    tracing::error!(error = %e, "a read of the read models failed");
    internal("the read models could not be read; try again")
}

pub fn bad_request(message: impl Into<String>) -> async_graphql::Error {
    api_error(ErrorCode::BadRequest, message)
}

/// An input value the field does not take, at `path` (dotted).
pub fn bad_input(path: &str, message: impl Into<String>) -> UserError {
    UserError::new(ErrorCode::BadInput, message).at(path)
}

/// Splits a use case's failure: rule refusals become user errors, the rest GraphQL errors.
pub fn classify(e: MarketError) -> Result<UserError, async_graphql::Error> {
    match e {
        MarketError::Rejected { code, message } => Ok(UserError::new(code, message)),
        MarketError::NotFound(what) => Ok(UserError::new(
            ErrorCode::NotFound,
            format!("no such {what}"),
        )),
        MarketError::Conflict(_) => Ok(UserError::new(ErrorCode::Conflict, e.to_string())),
        MarketError::Unavailable(m) => Err(api_error(ErrorCode::Unavailable, m)),
        other => {
            tracing::error!(error = %other, "mutation failed");
            Err(internal(
                "something went wrong on our side; it has been logged",
            ))
        }
    }
}
