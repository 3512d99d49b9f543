//! What a request may cost before any of it runs. The query's tokens and the fields it asks for
//! once every fragment is expanded are counted in linear time, before the parser and the
//! validator (which expand fragments, exponentially for fragments that spread each other) see it.

use std::collections::HashMap;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, ServerError, ServerResult};

/// Most lexical tokens in a query document. The UI's largest query and GraphiQL's introspection
/// query are well under a thousand; inputs travel in variables, which this does not count.
pub const MAX_TOKENS: usize = 2_000;
/// Most fields a query may ask for with its fragments expanded (each field costs at least one
/// against the complexity limit, so no valid query is refused by this).
pub const MAX_FIELDS: usize = crate::http::MAX_COMPLEXITY;
/// Most fragment definitions in one document.
pub const MAX_FRAGMENTS: usize = 100;

/// Mutations that hash or check a password — slow by design, so that guessing is slow: a
/// request may run one of them, once.
pub const PASSWORD_MUTATIONS: &[&str] = &[
    "signIn",
    "changePassword",
    "registerBuyer",
    "applySupplier",
    "createStaffAccount",
];

/// Why a document was refused before it ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the query has more than {MAX_TOKENS} tokens; send inputs as variables")]
    TooManyTokens,
    #[error("the query defines more than {MAX_FRAGMENTS} fragments")]
    TooManyFragments,
    #[error("Query is too complex: it asks for more than {MAX_FIELDS} fields with its fragments expanded.")]
    TooManyFields,
    #[error("fragment {0} spreads itself")]
    FragmentCycle(String),
    #[error(
        "a request may sign in, register or change a password once; send one request for each"
    )]
    SeveralPasswordMutations,
}

impl Refusal {
    /// The public code of each refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooManyTokens | Refusal::TooManyFragments => "QUERY_TOO_LARGE",
            Refusal::TooManyFields => "QUERY_TOO_COMPLEX",
            Refusal::FragmentCycle(_) => "BAD_REQUEST",
            Refusal::SeveralPasswordMutations => "ONE_PASSWORD_PER_REQUEST",
        }
    }

    fn into_server_error(self) -> ServerError {
        let mut error = ServerError::new(self.to_string(), None);
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", self.code());
        error.extensions = Some(extensions);
        error
    }
}

/// Counts the lexical tokens of a GraphQL document, stopping once past `limit`: punctuators,
/// names, numbers and strings count one each; whitespace, commas and comments are ignored.
pub fn count_tokens(query: &str, limit: usize) -> usize {
    let bytes = query.as_bytes();
    let (mut i, mut tokens) = (0, 0);
    while i < bytes.len() && tokens <= limit {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                tokens += 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                tokens += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                i += 3;
                tokens += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'_' | b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
                tokens += 1;
            }
            // A UTF-8 byte-order mark is ignored like whitespace; anything else is one token.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => i += 3,
            _ => {
                i += 1;
                tokens += 1;
            }
        }
    }
    tokens
}

/// How many fields `doc` asks for with every fragment spread expanded, counted with each
/// fragment's size computed once — linear in the document however the fragments nest.
pub fn expanded_fields(doc: &ExecutableDocument) -> Result<usize, Refusal> {
    struct Counter<'a> {
        doc: &'a ExecutableDocument,
        sizes: HashMap<&'a str, usize>,
        expanding: Vec<&'a str>,
    }
    impl<'a> Counter<'a> {
        fn set(&mut self, set: &'a SelectionSet) -> Result<usize, Refusal> {
            let mut total = 0usize;
            for selection in &set.items {
                let size = match &selection.node {
                    Selection::Field(field) => {
                        1usize.saturating_add(self.set(&field.node.selection_set.node)?)
                    }
                    Selection::InlineFragment(inline) => {
                        self.set(&inline.node.selection_set.node)?
                    }
                    Selection::FragmentSpread(spread) => {
                        self.fragment(spread.node.fragment_name.node.as_str())?
                    }
                };
                total = total.saturating_add(size);
                if total > MAX_FIELDS {
                    return Err(Refusal::TooManyFields);
                }
            }
            Ok(total)
        }

        fn fragment(&mut self, name: &'a str) -> Result<usize, Refusal> {
            if let Some(size) = self.sizes.get(name) {
                return Ok(*size);
            }
            // An unknown fragment is the validator's to report.
            let Some(definition) = self.doc.fragments.get(name) else {
                return Ok(0);
            };
            if self.expanding.contains(&name) {
                return Err(Refusal::FragmentCycle(name.to_string()));
            }
            self.expanding.push(name);
            let size = self.set(&definition.node.selection_set.node)?;
            self.expanding.pop();
            self.sizes.insert(name, size);
            Ok(size)
        }
    }

    if doc.fragments.len() > MAX_FRAGMENTS {
        return Err(Refusal::TooManyFragments);
    }
    let mut counter = Counter {
        doc,
        sizes: HashMap::new(),
        expanding: Vec::new(),
    };
    // Every fragment once, so a cycle in an unused fragment is refused too.
    for name in doc.fragments.keys() {
        counter.fragment(name.as_str())?;
    }
    let mut total = 0usize;
    for (_, operation) in doc.operations.iter() {
        total = total.saturating_add(counter.set(&operation.node.selection_set.node)?);
        if total > MAX_FIELDS {
            return Err(Refusal::TooManyFields);
        }
    }
    Ok(total)
}

/// Refuses a document whose mutations run more than one password mutation (through aliases,
/// fragments or several operations alike). Call after `expanded_fields` accepted it.
pub fn one_password_mutation(doc: &ExecutableDocument) -> Result<(), Refusal> {
    fn count(doc: &ExecutableDocument, set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    usize::from(PASSWORD_MUTATIONS.contains(&field.node.name.node.as_str()))
                }
                Selection::InlineFragment(inline) => count(doc, &inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |f| count(doc, &f.node.selection_set.node)),
            })
            .sum()
    }
    let password_mutations: usize = doc
        .operations
        .iter()
        .filter(|(_, op)| op.node.ty == async_graphql::parser::types::OperationType::Mutation)
        .map(|(_, op)| count(doc, &op.node.selection_set.node))
        .sum();
    if password_mutations > 1 {
        return Err(Refusal::SeveralPasswordMutations);
    }
    Ok(())
}

/// Put into a request's data, it tells afterwards whether the operation began to run — so its
/// errors were the operation's, not the request's (parse, validation, limits).
#[derive(Default)]
pub struct ExecutionStarted(AtomicBool);

impl ExecutionStarted {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Refuses a request whose document is too large or expands too far, and parses it once for
/// the schema: installed on the schema, so it guards HTTP and WebSocket requests alike.
pub struct Bounded;

impl ExtensionFactory for Bounded {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Bounded)
    }
}

#[async_trait::async_trait]
impl Extension for Bounded {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if count_tokens(&request.query, MAX_TOKENS) > MAX_TOKENS {
            return Err(Refusal::TooManyTokens.into_server_error());
        }
        let doc = request.parsed_query()?;
        expanded_fields(doc)
            .and_then(|_| one_password_mutation(doc))
            .map_err(Refusal::into_server_error)?;
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> async_graphql::Response {
        if let Some(started) = ctx.data_opt::<Arc<ExecutionStarted>>() {
            started.0.store(true, Ordering::Release);
        }
        next.run(ctx, operation_name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> Result<usize, Refusal> {
        expanded_fields(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    #[test]
    fn tokens_are_counted_as_the_lexer_sees_them() {
        assert_eq!(count_tokens("{ now }", 100), 3);
        assert_eq!(
            count_tokens("query Q($a: Int = -1.5e3) { a: f(x: $a) }", 100),
            21
        );
        assert_eq!(count_tokens("{ f(s: \"a \\\" { } b\") # { { {\n }", 100), 8);
        assert_eq!(
            count_tokens("{ f(s: \"\"\"x { \\\"\"\" y\"\"\") ...F }", 100),
            10
        );
        assert_eq!(
            count_tokens(&"{".repeat(100_000), 10),
            11,
            "stops past the limit"
        );
    }

    #[test]
    fn fragments_that_spread_each_other_twice_are_counted_without_expanding_them() {
        let mut doc = String::from("fragment F0 on Query { now }");
        for i in 1..=60 {
            doc.push_str(&format!(
                " fragment F{i} on Query {{ ...F{p} ...F{p} }}",
                p = i - 1
            ));
        }
        doc.push_str(" query { ...F60 }");
        assert_eq!(fields(&doc), Err(Refusal::TooManyFields));
        assert_eq!(
            fields("fragment F on Query { a b } query { ...F x { ...F } }"),
            Ok(5)
        );
    }

    #[test]
    fn one_password_mutation_per_request_however_it_is_spelled() {
        let check = |q: &str| {
            one_password_mutation(&async_graphql::parser::parse_query(q).expect("parses"))
        };
        assert_eq!(
            check("mutation { signIn(email: \"a\", password: \"b\") { token } }"),
            Ok(())
        );
        assert_eq!(
            check("{ signIn signIn }"),
            Ok(()),
            "a query runs no mutation"
        );
        for several in [
            "mutation { a: signIn { token } b: signIn { token } }",
            "mutation { signIn { token } ... on Mutation { registerBuyer { token } } }",
            "mutation { ...M ...M } fragment M on Mutation { changePassword { id } }",
            "mutation A { signIn { token } } mutation B { signIn { token } }",
        ] {
            assert_eq!(
                check(several),
                Err(Refusal::SeveralPasswordMutations),
                "{several}"
            );
        }
    }

    #[test]
    fn a_fragment_that_spreads_itself_is_refused_even_when_unused() {
        let cycle = fields("fragment A on Query { ...B } fragment B on Query { x ...A } { now }");
        assert!(matches!(cycle, Err(Refusal::FragmentCycle(_))), "{cycle:?}");
        assert!(matches!(
            fields("fragment A on Query { ...A ...A } { now }"),
            Err(Refusal::FragmentCycle(name)) if name == "A"
        ));
    }
}
