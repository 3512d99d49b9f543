//! What a request may cost before any of it runs. The query's tokens and the fields it asks for
//! once every fragment is expanded are counted in linear time, before the parser and the
//! validator (which expand fragments, exponentially for fragments that spread each other) see it.

use std::collections::HashMap;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::errors::ErrorCode;
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
/// GraphiQL's (graphql-js's) full introspection query: what tools ask for the schema with.
pub const FULL_INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name kind } mutationType { name kind } subscriptionType { name kind } types { ...FullType } directives { name description locations args { ...InputValue } } } } fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } } fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } fragment TypeRef on __Type { kind name ofType { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind } } } } } } } } } }";

/// Most entries (types, fields, arguments, type references, …) an introspection may answer: half
/// as many again as [`FULL_INTROSPECTION`] answers for this schema, so tools fit however the
/// schema grows, and aliases of it, or lists nested inside lists, do not.
pub fn max_introspection(registry: &async_graphql::registry::Registry) -> u64 {
    static MAX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        let doc = async_graphql::parser::parse_query(FULL_INTROSPECTION).expect("it parses");
        let full = introspection_entries(&doc, registry, u64::MAX).expect("no budget");
        full + full / 2
    })
}

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
    #[error("Query is too complex: its introspection answers more than {0} entries; ask for the schema once per request")]
    IntrospectionTooLarge(u64),
    #[error(
        "a request may sign in, register or change a password once; send one request for each"
    )]
    SeveralPasswordMutations,
    #[error("subscriptions are served over the WebSocket at /graphql/ws, not over HTTP")]
    SubscriptionOverHttp,
    #[error("variable ${0} is of a non-null type and was given null")]
    NullForNonNull(String),
    #[error("variable ${0} is of a non-null type and was not given")]
    MissingVariable(String),
}

/// Marks a request that came over HTTP (not the WebSocket).
pub struct OverHttp;

impl Refusal {
    /// The public code of each refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooManyTokens | Refusal::TooManyFragments => ErrorCode::QueryTooLarge.as_str(),
            Refusal::TooManyFields | Refusal::IntrospectionTooLarge(_) => {
                ErrorCode::QueryTooComplex.as_str()
            }
            Refusal::FragmentCycle(_)
            | Refusal::SubscriptionOverHttp
            | Refusal::NullForNonNull(_)
            | Refusal::MissingVariable(_) => ErrorCode::BadRequest.as_str(),
            Refusal::SeveralPasswordMutations => ErrorCode::OnePasswordPerRequest.as_str(),
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

/// Where an introspection selection stands in the schema, while its answer's size is counted.
#[derive(Clone, Copy)]
enum Node<'r> {
    Schema,
    /// A type reference as written (`[String!]!`); `ofType` unwraps it.
    Type(&'r str),
    Field(&'r async_graphql::registry::MetaField),
    InputValue(&'r str),
    Directive(&'r async_graphql::registry::MetaDirective),
    Leaf,
}

/// Counts the entries the introspection in `doc` would answer — every `__schema` and `__type`
/// at the root, walked against the schema's own registry — and stops as soon as there are more
/// than `budget`, so the count costs at most the budget however the lists nest. Call after
/// `expanded_fields` accepted the document.
pub fn introspection_entries(
    doc: &ExecutableDocument,
    registry: &async_graphql::registry::Registry,
    budget: u64,
) -> Result<u64, Refusal> {
    use async_graphql::registry::MetaType;

    struct Count<'a, 'r> {
        doc: &'a ExecutableDocument,
        registry: &'r async_graphql::registry::Registry,
        entries: u64,
        budget: u64,
    }
    impl<'a, 'r> Count<'a, 'r> {
        fn one(&mut self) -> Result<(), Refusal> {
            self.entries += 1;
            if self.entries > self.budget {
                return Err(Refusal::IntrospectionTooLarge(self.budget));
            }
            Ok(())
        }

        fn named(&self, reference: &'r str) -> Option<&'r MetaType> {
            let name = reference.trim_matches(|c| matches!(c, '[' | ']' | '!'));
            self.registry.types.get(name)
        }

        /// The entries `name` lists at `node` (one for a single object, none for a scalar).
        fn children(&self, node: Node<'r>, name: &str) -> Vec<Node<'r>> {
            let registry = self.registry;
            match (node, name) {
                (Node::Schema, "types") => registry
                    .types
                    .keys()
                    .map(|k| Node::Type(k.as_str()))
                    .collect(),
                (Node::Schema, "queryType") => vec![Node::Type(registry.query_type.as_str())],
                (Node::Schema, "mutationType") => registry
                    .mutation_type
                    .iter()
                    .map(|t| Node::Type(t.as_str()))
                    .collect(),
                (Node::Schema, "subscriptionType") => registry
                    .subscription_type
                    .iter()
                    .map(|t| Node::Type(t.as_str()))
                    .collect(),
                (Node::Schema, "directives") => {
                    registry.directives.values().map(Node::Directive).collect()
                }
                (Node::Type(reference), "ofType") => {
                    let inner = if let Some(inner) = reference.strip_suffix('!') {
                        Some(inner)
                    } else {
                        reference
                            .strip_prefix('[')
                            .and_then(|r| r.strip_suffix(']'))
                    };
                    inner.map(Node::Type).into_iter().collect()
                }
                (Node::Type(reference), list) if !reference.ends_with(['!', ']']) => {
                    match (self.named(reference), list) {
                        (
                            Some(
                                MetaType::Object { fields, .. }
                                | MetaType::Interface { fields, .. },
                            ),
                            "fields",
                        ) => fields.values().map(Node::Field).collect(),
                        (Some(MetaType::InputObject { input_fields, .. }), "inputFields") => {
                            input_fields
                                .values()
                                .map(|v| Node::InputValue(v.ty.as_str()))
                                .collect()
                        }
                        (Some(MetaType::Enum { enum_values, .. }), "enumValues") => {
                            vec![Node::Leaf; enum_values.len()]
                        }
                        (
                            Some(
                                MetaType::Interface { possible_types, .. }
                                | MetaType::Union { possible_types, .. },
                            ),
                            "possibleTypes",
                        ) => possible_types
                            .iter()
                            .map(|t| Node::Type(t.as_str()))
                            .collect(),
                        (Some(_), "interfaces") => registry
                            .implements
                            .get(reference)
                            .into_iter()
                            .flatten()
                            .map(|t| Node::Type(t.as_str()))
                            .collect(),
                        _ => vec![Node::Leaf],
                    }
                }
                (Node::Field(field), "args") => field
                    .args
                    .values()
                    .map(|a| Node::InputValue(a.ty.as_str()))
                    .collect(),
                (Node::Field(field), "type") => vec![Node::Type(field.ty.as_str())],
                (Node::InputValue(reference), "type") => vec![Node::Type(reference)],
                (Node::Directive(directive), "args") => directive
                    .args
                    .values()
                    .map(|a| Node::InputValue(a.ty.as_str()))
                    .collect(),
                (Node::Directive(directive), "locations") => {
                    vec![Node::Leaf; directive.locations.len()]
                }
                _ => vec![Node::Leaf],
            }
        }

        fn set(&mut self, set: &'a SelectionSet, node: Node<'r>) -> Result<(), Refusal> {
            for selection in &set.items {
                match &selection.node {
                    Selection::Field(field) => {
                        let field = &field.node;
                        for child in self.children(node, field.name.node.as_str()) {
                            self.one()?;
                            self.set(&field.selection_set.node, child)?;
                        }
                    }
                    Selection::InlineFragment(inline) => {
                        self.set(&inline.node.selection_set.node, node)?
                    }
                    Selection::FragmentSpread(spread) => {
                        if let Some(f) = self.doc.fragments.get(&spread.node.fragment_name.node) {
                            self.set(&f.node.selection_set.node, node)?
                        }
                    }
                }
            }
            Ok(())
        }

        fn root(&mut self, set: &'a SelectionSet) -> Result<(), Refusal> {
            for selection in &set.items {
                match &selection.node {
                    Selection::Field(field) => {
                        let field = &field.node;
                        let node = match field.name.node.as_str() {
                            "__schema" => Node::Schema,
                            // The named type is the validator's to check; count the largest.
                            "__type" => Node::Type(
                                self.registry
                                    .types
                                    .iter()
                                    .max_by_key(|(_, t)| match t {
                                        MetaType::Object { fields, .. }
                                        | MetaType::Interface { fields, .. } => fields.len(),
                                        MetaType::InputObject { input_fields, .. } => {
                                            input_fields.len()
                                        }
                                        MetaType::Enum { enum_values, .. } => enum_values.len(),
                                        _ => 0,
                                    })
                                    .map_or("Query", |(name, _)| name.as_str()),
                            ),
                            _ => continue,
                        };
                        self.one()?;
                        self.set(&field.selection_set.node, node)?;
                    }
                    Selection::InlineFragment(inline) => {
                        self.root(&inline.node.selection_set.node)?
                    }
                    Selection::FragmentSpread(spread) => {
                        if let Some(f) = self.doc.fragments.get(&spread.node.fragment_name.node) {
                            self.root(&f.node.selection_set.node)?
                        }
                    }
                }
            }
            Ok(())
        }
    }

    let mut count = Count {
        doc,
        registry,
        entries: 0,
        budget,
    };
    for (_, operation) in doc.operations.iter() {
        count.root(&operation.node.selection_set.node)?;
    }
    Ok(count.entries)
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
///
/// A request whose introspection answers more than [`LARGE_INTROSPECTION`] entries, or whose
/// document asks for more than [`LARGE_DOCUMENT`] fields, runs on a thread of its own (the async
/// workers go on serving others), one such request at a time.
pub struct Bounded;

/// One request's guard: how many introspection entries its document answers, and how many
/// fields it asks for with its fragments expanded.
#[derive(Default)]
struct Guard {
    introspection: AtomicU64,
    fields: AtomicU64,
}

/// Introspection answers above this size (a few milliseconds of work) run off the workers.
pub const LARGE_INTROSPECTION: u64 = 500;

/// Documents asking for more fields than this run off the workers. The UI's largest document
/// asks for a few hundred (a list's fields count once, however many items it answers); a
/// document of thousands is resolved without yielding for tens of milliseconds.
pub const LARGE_DOCUMENT: u64 = 500;

/// Heavy requests (large introspection answers, large documents) run one at a time.
static HEAVY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

impl ExtensionFactory for Bounded {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guard::default())
    }
}

#[async_trait::async_trait]
impl Extension for Guard {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if count_tokens(&request.query, MAX_TOKENS) > MAX_TOKENS {
            return Err(Refusal::TooManyTokens.into_server_error());
        }
        let over_http = request
            .data
            .contains_key(&std::any::TypeId::of::<OverHttp>());
        let (name, variables) = (request.operation_name.clone(), request.variables.clone());
        let doc = request.parsed_query()?;
        operation_fits(doc, name.as_deref(), &variables, over_http)
            .map_err(Refusal::into_server_error)?;
        expanded_fields(doc)
            .map(|fields| self.fields.store(fields as u64, Ordering::Relaxed))
            .and_then(|_| one_password_mutation(doc))
            .and_then(|_| {
                let registry = &ctx.schema_env.registry;
                introspection_entries(doc, registry, max_introspection(registry))
                    .map(|entries| self.introspection.store(entries, Ordering::Relaxed))
            })
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
        // A long-lived connection's session may have ended since it began (signed out, or the
        // password changed): each operation checks, not just the connection.
        if let (Some(session), Some(api)) = (
            ctx.data_opt::<crate::auth::Session>(),
            ctx.data_opt::<crate::api::Api>(),
        ) {
            if !api.sessions.is_live(session).await {
                let mut ended = ServerError::new("the session has ended; sign in again", None);
                ended
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", ErrorCode::Unauthenticated.as_str());
                return async_graphql::Response::from_errors(vec![ended]);
            }
        }
        let runtime = tokio::runtime::Handle::try_current().ok();
        let multi_thread = runtime
            .as_ref()
            .is_some_and(|r| r.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let heavy = self.introspection.load(Ordering::Relaxed) > LARGE_INTROSPECTION
            || self.fields.load(Ordering::Relaxed) > LARGE_DOCUMENT;
        if !heavy || !multi_thread {
            return next.run(ctx, operation_name).await;
        }
        // Introspection and a large document's fields are answered without yielding; on a
        // thread of its own such a request holds no worker that other requests wait for.
        let _turn = HEAVY.acquire().await;
        let runtime = runtime.expect("a multi-thread runtime");
        tokio::task::block_in_place(|| runtime.block_on(next.run(ctx, operation_name)))
    }
}

/// The operation to run fits how it came: no subscription over HTTP, and no explicit null for
/// a variable of a non-null type (a null must not quietly become the argument's default).
fn operation_fits(
    doc: &ExecutableDocument,
    name: Option<&str>,
    variables: &async_graphql::Variables,
    over_http: bool,
) -> Result<(), Refusal> {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let operation = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        // Several operations and no name: the executor answers that itself.
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(operation) = operation else {
        return Ok(());
    };
    if over_http && operation.node.ty == OperationType::Subscription {
        return Err(Refusal::SubscriptionOverHttp);
    }
    for definition in &operation.node.variable_definitions {
        let definition = &definition.node;
        let name = definition.name.node.as_str();
        if definition.var_type.node.nullable {
            continue;
        }
        match variables.get(name) {
            Some(async_graphql::Value::Null) => {
                return Err(Refusal::NullForNonNull(name.to_string()))
            }
            None if definition.default_value.is_none() => {
                return Err(Refusal::MissingVariable(name.to_string()))
            }
            _ => {}
        }
    }
    Ok(())
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
