//! Mutations: one for every command of the marketplace. Each checks the caller's role and
//! ownership, runs the use case, and answers its own payload: the objects it changed as the
//! caller sees them after the write, the position written (`atLeast`), and `userErrors` when a
//! business rule refused it.

// A resolver's arguments are the API's input fields.
#![allow(clippy::too_many_arguments)]

use std::collections::BTreeMap;

use async_graphql::{Context, InputObject, Object, ID};
use uuid::Uuid;
use zhuchao_app::marketplace::{MarketError, SupplierApplication};
use zhuchao_app::{CommandContext, Executed};
use zhuchao_domain::account::{Account, AccountCommand, Role};
use zhuchao_domain::category::{AttributeDef, AttributeKind, Category, CategoryCommand};
use zhuchao_domain::dispute::{Dispute, DisputeCommand};
use zhuchao_domain::files::FileRef;
use zhuchao_domain::ids::*;
use zhuchao_domain::order::{Order, OrderCommand, Party};
use zhuchao_domain::product::{PriceTier, Product, ProductCommand, ProductSheet};
use zhuchao_domain::rfq::{Rfq, RfqCommand, RfqSpec};
use zhuchao_domain::supplier::{Contact, Supplier, SupplierCommand};
use zhuchao_domain::units::Unit;

use crate::api::{admin, api, buyer, command_context, staff, supplier};
use crate::auth::{hash_in_turn, hash_password, verify_in_turn, PasswordWorkError, Viewer};
use crate::enums::{self, DisputeReason, DocumentKind, StaffRole, SupplierMeasure};
use crate::errors::{api_error, bad_input, classify, internal, not_found, ErrorCode, UserError};
use crate::global_id::{decode, encode, Kind};
use crate::payloads::*;
use crate::scalars::DateTime;
use crate::types::{MoneyInput, UserOut};

/// What a use case's result writes into a payload: the position, or why it was refused.
fn written<E>(
    result: Result<Executed<E>, MarketError>,
    names: impl FnOnce(&mut Written),
) -> async_graphql::Result<Written> {
    match result {
        Ok(done) => {
            let mut w = Written::at(done.position.as_u64());
            names(&mut w);
            Ok(w)
        }
        Err(e) => Ok(Written::refused(classify(e)?)),
    }
}

fn money(field: &str, input: &MoneyInput) -> Result<zhuchao_domain::money::Money, UserError> {
    input.parse().map_err(|m| bad_input(field, m))
}

/// The uuid an id argument names as a `kind`; anything else answers as an id that does not
/// exist.
fn id_of(kind: Kind, field: &str, id: &ID) -> Result<Uuid, UserError> {
    decode(kind, id).ok_or_else(|| {
        UserError::new(
            ErrorCode::NotFound,
            format!("no such {}", kind.name().to_lowercase()),
        )
        .at(field)
    })
}

/// Attribute values by key; the same key twice is refused rather than one silently winning.
fn attribute_map(
    field: &str,
    input: &[AttributeInput],
) -> Result<BTreeMap<String, String>, UserError> {
    let mut out = BTreeMap::new();
    for (i, a) in input.iter().enumerate() {
        if out.insert(a.key.clone(), a.value.clone()).is_some() {
            return Err(bad_input(
                &format!("{field}.{i}.key"),
                format!("attribute {:?} is given twice", a.key),
            ));
        }
    }
    Ok(out)
}

/// References to files uploaded here (`POST /files`): well formed, present, and uploaded by
/// the caller or readable by them already — so attaching a reference one has merely seen does
/// not grant reading it. A file the caller may not read is answered as one never uploaded.
async fn uploaded(
    ctx: &Context<'_>,
    field: &str,
    refs: &[String],
) -> Result<Vec<FileRef>, UserError> {
    let a = api(ctx);
    let viewer = crate::api::viewer(ctx);
    let mut files = Vec::with_capacity(refs.len());
    for (i, text) in refs.iter().enumerate() {
        let at = if refs.len() == 1 && field != "files" && field.ends_with("file") {
            field.to_string()
        } else {
            format!("{field}.{i}")
        };
        let file = FileRef::parse(text)
            .map_err(|e| UserError::new(ErrorCode::NotAFile, e.to_string()).at(&at))?;
        let hash = file.hash().to_string();
        let present = a.files_dir.join(&hash).is_file();
        let uploaded_by_caller = match viewer.user() {
            Some(user) => tokio::fs::read_to_string(crate::web::uploaders(&a.files_dir, &hash))
                .await
                .is_ok_and(|list| list.lines().any(|l| l == user.0.to_string())),
            None => false,
        };
        let readable = present && {
            let views = a.views.read();
            let readable = crate::access::may_read_file(&views, viewer, &hash, uploaded_by_caller);
            if let Some(e) = views.failure() {
                tracing::error!(error = %e, "a file's uses could not be read");
                false
            } else {
                readable
            }
        };
        if !readable {
            return Err(UserError::new(
                ErrorCode::NotAFile,
                format!("{file} was never uploaded here"),
            )
            .at(&at));
        }
        files.push(file);
    }
    Ok(files)
}

/// The id of a created thing: a new one, or, when the client gives an idempotency key, the
/// same one for the same caller and key, so that a retried request finds what the first made.
fn creation_id(kind: &str, caller: Uuid, key: Option<&str>) -> Result<Uuid, UserError> {
    match key {
        None => Ok(Uuid::now_v7()),
        Some(k) if k.trim().is_empty() || k.len() > 200 => Err(UserError::new(
            ErrorCode::BadIdempotencyKey,
            "an idempotency key is 1 to 200 characters",
        )
        .at("idempotencyKey")),
        Some(k) => Ok(Uuid::new_v5(
            &IDEMPOTENT_IDS,
            format!("{kind}\u{1f}{caller}\u{1f}{k}").as_bytes(),
        )),
    }
}

/// The context of a creating command: identified by the created id when the client gave an
/// idempotency key, so that a retried request's events are recognised by the store.
fn creating_context(ctx: &Context<'_>, id: Uuid, key: &Option<String>) -> CommandContext {
    match key {
        Some(_) => command_context(ctx).identified_by(id),
        None => command_context(ctx),
    }
}

/// The namespace of ids derived from idempotency keys.
const IDEMPOTENT_IDS: Uuid = Uuid::from_u128(0x6e3f_2b8e_8d3a_4c59_9a1e_5b7d_0c4f_21a7);

/// A retried creation with the same idempotency key: the refusal "it exists" is the first
/// request's success, answered at the position of what it made.
async fn retried<A: zhuchao_domain::Aggregate>(
    ctx: &Context<'_>,
    key: &Option<String>,
    id: impl std::fmt::Display,
    written: Written,
    existing: ErrorCode,
    is_ours: impl FnOnce(&A::State) -> bool,
) -> async_graphql::Result<Written> {
    let refused_as_existing = written.user_errors.len() == 1
        && written.user_errors[0].code.0 == existing
        && key.is_some();
    if !refused_as_existing {
        return Ok(written);
    }
    let loaded = api(ctx)
        .market
        .handler
        .load::<A>(id)
        .await
        .map_err(|_| internal("the retried creation could not be read"))?;
    if !is_ours(&loaded.state) {
        return Ok(written);
    }
    Ok(Written {
        position: Some(loaded.position.as_u64()),
        user_errors: vec![],
        ..written
    })
}

#[derive(InputObject)]
pub struct AttributeInput {
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"key\")"))]
    pub key: String,
    /// As typed: `M8`, `30 mm`, `5/16 in`.
    #[graphql(validator(custom = "crate::text_limits::VALUE.of(\"value\")"))]
    pub value: String,
}

#[derive(InputObject)]
pub struct TierInput {
    pub min_quantity: u64,
    pub unit_price: MoneyInput,
}

#[derive(InputObject)]
pub struct ProductInput {
    pub category_id: ID,
    /// The supplier's part number or model code (型号); buyers find it by it exactly.
    #[graphql(
        default,
        validator(custom = "crate::text_limits::CODE.of(\"partNumber\")")
    )]
    pub part_number: String,
    #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"brand\")"))]
    pub brand: String,
    #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"keyword\")"))]
    pub keyword: String,
    #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"name\")"))]
    pub name: String,
    #[graphql(
        default,
        validator(custom = "crate::text_limits::DESCRIPTION.of(\"description\")")
    )]
    pub description: String,
    #[graphql(
        default,
        validator(custom = "crate::text_limits::FILES.of(\"images\")")
    )]
    pub images: Vec<String>,
    pub moq: u64,
    pub pack_size: u64,
    #[graphql(validator(max_items = 20))]
    pub tiers: Vec<TierInput>,
    pub stock: u64,
    pub lead_time_days: u32,
    pub shipping_cost: MoneyInput,
    #[graphql(validator(max_items = 100))]
    pub attributes: Vec<AttributeInput>,
}

impl ProductInput {
    pub(crate) fn parse(&self) -> Result<(ProductSheet, BTreeMap<String, String>), UserError> {
        let mut tiers = Vec::with_capacity(self.tiers.len());
        for (i, t) in self.tiers.iter().enumerate() {
            tiers.push(PriceTier {
                min_quantity: t.min_quantity,
                unit_price: money(&format!("input.tiers.{i}.unitPrice"), &t.unit_price)?,
            });
        }
        let category =
            id_of(Kind::Category, "input.categoryId", &self.category_id).map_err(|e| {
                UserError::new(ErrorCode::NoSuchCategory, e.message).at("input.categoryId")
            })?;
        let sheet = ProductSheet {
            category: CategoryId(category),
            part_number: self.part_number.trim().to_string(),
            brand: self.brand.clone(),
            keyword: self.keyword.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            images: self.images.clone(),
            moq: self.moq,
            pack_size: self.pack_size,
            tiers,
            stock: self.stock,
            lead_time_days: self.lead_time_days,
            shipping_cost: money("input.shippingCost", &self.shipping_cost)?,
        };
        let attributes = attribute_map("input.attributes", &self.attributes)?;
        Ok((sheet, attributes))
    }
}

#[derive(InputObject)]
pub struct AttributeDefinitionInput {
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"key\")"))]
    pub key: String,
    #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"label\")"))]
    pub label: String,
    pub kind: enums::AttributeKind,
    #[graphql(
        default,
        validator(custom = "crate::text_limits::ATTRIBUTE_VALUES.of(\"values\")")
    )]
    pub values: Vec<String>,
    /// For numbers: the base unit symbol (`mm`, `kg`, `bar`, `N·m`, …).
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"unit\")"))]
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[graphql(default)]
    pub required: bool,
}

fn attribute_defs(input: Vec<AttributeDefinitionInput>) -> Result<Vec<AttributeDef>, UserError> {
    input
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let kind = match a.kind {
                enums::AttributeKind::Enum => AttributeKind::Enum { values: a.values },
                enums::AttributeKind::Number => AttributeKind::Number {
                    unit: Unit::from_symbol(a.unit.as_deref().unwrap_or(""))
                        .map_err(|e| bad_input(&format!("attributes.{i}.unit"), e.to_string()))?,
                    min: a.min,
                    max: a.max,
                },
                enums::AttributeKind::Text => AttributeKind::Text,
            };
            Ok(AttributeDef {
                key: a.key,
                label: a.label,
                kind,
                required: a.required,
            })
        })
        .collect()
}

#[derive(InputObject)]
pub struct CartLineInput {
    pub product_id: ID,
    pub quantity: u64,
}

#[derive(InputObject)]
pub struct RfqInput {
    #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"title\")"))]
    pub title: String,
    #[graphql(
        default,
        validator(custom = "crate::text_limits::DESCRIPTION.of(\"description\")")
    )]
    pub description: String,
    pub category_id: ID,
    #[graphql(default, validator(max_items = 100))]
    pub attributes: Vec<AttributeInput>,
    pub quantity: u64,
    #[graphql(
        default,
        validator(custom = "crate::text_limits::FILES.of(\"drawings\")")
    )]
    pub drawings: Vec<String>,
    pub target_price: Option<MoneyInput>,
    /// Quotes are taken until then.
    pub deadline: DateTime,
    #[graphql(validator(max_items = 100))]
    pub invited_supplier_ids: Vec<ID>,
}

macro_rules! try_input {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(user_error) => return Ok(Written::refused(user_error).into()),
        }
    };
}

/// Every mutation: the marketplace's commands and the visit tracking.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    MarketMutation,
    crate::analytics_api::TrackingMutation,
    crate::import::ImportMutation,
);

#[derive(Default)]
pub struct MarketMutation;

#[Object]
impl MarketMutation {
    /// Signs in with email and password; the token goes in `Authorization: Bearer …`.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::EMAIL.of(\"email\")"))] email: String,
        #[graphql(validator(max_length = 1024))] password: String,
    ) -> async_graphql::Result<SignInPayload> {
        let api = api(ctx);
        let wrong = || SignInPayload {
            user_errors: vec![UserError::new(
                ErrorCode::BadCredentials,
                "wrong email or password",
            )],
            ..Default::default()
        };
        let Ok(email) = zhuchao_domain::account::normalise_email(&email) else {
            return Ok(wrong());
        };
        attempt(ctx, &email)?;
        // The account's own stream, not a read model: a sign-in right after registering works.
        let found = match api.market.handler.load::<Account>(&email).await {
            Ok(loaded) if loaded.state.id.is_some() => Some(loaded.state),
            Ok(_) => None,
            Err(e) => {
                tracing::error!(error = %e, "loading an account failed");
                return Err(internal("sign-in is unavailable right now"));
            }
        };
        let Some(account) = found else {
            // Spend the same time as a real check, so timing does not reveal who has an account.
            verify_in_turn(password, dummy_hash().to_string())
                .await
                .map_err(busy)?;
            return Ok(wrong());
        };
        let ok = verify_in_turn(password, account.password_hash.clone())
            .await
            .map_err(busy)?;
        let Some(user) = account.id else {
            return Ok(wrong());
        };
        if !ok {
            return Ok(wrong());
        }
        let Some(me) = UserOut::of(user, &account) else {
            return Ok(wrong());
        };
        let (token, _) = api.sessions.begin(user);
        Ok(SignInPayload {
            token: Some(token),
            user: Some(me),
            user_errors: vec![],
        })
    }

    /// Changes the signed-in user's password, after checking the current one. Every other
    /// session of the account ends; this one goes on.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 1024))] current: String,
        new: String,
    ) -> async_graphql::Result<ChangePasswordPayload> {
        let user = crate::api::signed_in(ctx)?;
        let a = api(ctx);
        let email = {
            let views = a.views.catalog();
            views.account_of(user).map(|acc| acc.email.clone())
        };
        let email = email.ok_or_else(|| not_found("account"))?;
        attempt(ctx, &email)?;
        let account = a
            .market
            .handler
            .load::<Account>(&email)
            .await
            .map_err(|_| internal("the account could not be read"))?
            .state;
        let refused = |error: UserError| ChangePasswordPayload {
            position: None,
            user_errors: vec![error],
        };
        if !verify_in_turn(current, account.password_hash.clone())
            .await
            .map_err(busy)?
        {
            return Ok(refused(
                UserError::new(ErrorCode::BadCredentials, "the current password is wrong")
                    .at("current"),
            ));
        }
        let company = {
            use zhuchao_domain::account::Role;
            match &account.role {
                Some(Role::Buyer { company_name, .. }) => company_name.clone(),
                Some(Role::Supplier { supplier }) => a
                    .views
                    .catalog()
                    .suppliers
                    .get(supplier)
                    .map(|s| s.company_name.clone())
                    .unwrap_or_default(),
                _ => String::new(),
            }
        };
        if let Err(m) =
            crate::password_policy::check(&new, &[&account.email, &account.name, &company])
        {
            return Ok(refused(
                UserError::new(ErrorCode::WeakPassword, m).at("new"),
            ));
        }
        let hash = hash_in_turn(new).await.map_err(busy)?;
        let changed = a
            .market
            .run::<Account>(
                &command_context(ctx),
                email,
                AccountCommand::ChangePassword {
                    password_hash: hash,
                    at: a.market.handler.now(),
                    kept_session: crate::api::session(ctx).map(|s| s.id),
                },
            )
            .await;
        let w = sessions_ended(ctx, changed).await?;
        Ok(ChangePasswordPayload {
            position: w.position.map(|p| p.to_string()),
            user_errors: w.user_errors,
        })
    }

    /// Ends the caller's session ("sign out"), or with `everywhere` every session of the
    /// account on every device. Tokens of ended sessions are refused from the moment this
    /// answers, and live subscriptions on them close within a second or two.
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] everywhere: bool,
    ) -> async_graphql::Result<SignOutPayload> {
        let user = crate::api::signed_in(ctx)?;
        let session = *crate::api::session(ctx).ok_or_else(crate::errors::unauthenticated)?;
        let a = api(ctx);
        let email = {
            let views = a.views.catalog();
            views.account_of(user).map(|acc| acc.email.clone())
        };
        let email = email.ok_or_else(|| not_found("account"))?;
        let at = a.market.handler.now();
        let command = if everywhere {
            AccountCommand::SignOutEverywhere { at }
        } else {
            AccountCommand::SignOut {
                session: session.id,
                expires: session.expires(),
                at,
            }
        };
        let ended = a
            .market
            .run::<Account>(&command_context(ctx), email, command)
            .await;
        let w = sessions_ended(ctx, ended).await?;
        Ok(SignOutPayload {
            position: w.position.map(|p| p.to_string()),
            user_errors: w.user_errors,
        })
    }

    /// Admins: open an account for an agent or another admin. With an `idempotencyKey`, a
    /// retried request answers the account the first one opened.
    async fn create_staff_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::EMAIL.of(\"email\")"))] email: String,
        #[graphql(validator(custom = "crate::text_limits::PERSON.of(\"name\")"))] name: String,
        password: String,
        role: StaffRole,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CreateStaffAccountPayload> {
        let me = admin(ctx)?;
        let role = match role {
            StaffRole::Agent => Role::Agent,
            StaffRole::Admin => Role::Admin,
        };
        let user = UserId(try_input!(creation_id(
            "account",
            me.0,
            idempotency_key.as_deref()
        )));
        let opened = register(ctx, user, email, name, password, role, WhenTaken::Say, &[]).await?;
        Ok(opened.into())
    }

    /// Opens a buyer account and its company. With an `idempotencyKey`, a retried request
    /// answers the account the first one opened.
    async fn register_buyer(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::COMPANY.of(\"companyName\")"))]
        company_name: String,
        #[graphql(validator(custom = "crate::text_limits::PERSON.of(\"name\")"))] name: String,
        #[graphql(validator(custom = "crate::text_limits::EMAIL.of(\"email\")"))] email: String,
        password: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<RegisterBuyerPayload> {
        registration(ctx)?;
        let refused = |e: UserError| RegisterBuyerPayload {
            user_errors: vec![e],
            ..Default::default()
        };
        if company_name.trim().is_empty() {
            return Ok(refused(bad_input(
                "companyName",
                "a company name is required",
            )));
        }
        // The caller is anonymous: the key is scoped to the email it registers.
        let scope = Uuid::new_v5(&IDEMPOTENT_IDS, email.trim().to_lowercase().as_bytes());
        let key = idempotency_key.as_deref();
        let user = match creation_id("account", scope, key) {
            Ok(id) => UserId(id),
            Err(e) => return Ok(refused(e)),
        };
        let company = match creation_id("company", scope, key) {
            Ok(id) => CompanyId(id),
            Err(e) => return Ok(refused(e)),
        };
        let role = Role::Buyer {
            company,
            company_name: company_name.trim().to_string(),
        };
        let opened = register(
            ctx,
            user,
            email,
            name,
            password,
            role,
            WhenTaken::Conceal,
            &[],
        )
        .await?;
        let ok = opened.user_errors.is_empty();
        Ok(RegisterBuyerPayload {
            user_id: ok.then(|| encode(Kind::User, user.0)),
            position: opened.position.map(|p| p.to_string()),
            user_errors: opened.user_errors,
        })
    }

    /// Applies as a supplier: opens the staff account and records the application. With an
    /// `idempotencyKey`, a retried request answers the application the first one recorded.
    async fn apply_supplier(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::COMPANY.of(\"companyName\")"))]
        company_name: String,
        #[graphql(validator(custom = "crate::text_limits::CODE.of(\"creditCode\")"))]
        credit_code: String,
        #[graphql(validator(max_items = 50))] category_ids: Vec<ID>,
        #[graphql(validator(custom = "crate::text_limits::PERSON.of(\"contactName\")"))]
        contact_name: String,
        #[graphql(validator(custom = "crate::text_limits::PHONE.of(\"phone\")"))] phone: String,
        #[graphql(validator(custom = "crate::text_limits::EMAIL.of(\"email\")"))] email: String,
        password: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplySupplierPayload> {
        registration(ctx)?;
        let refused = |e: UserError| ApplySupplierPayload {
            user_errors: vec![e],
            ..Default::default()
        };
        let scope = Uuid::new_v5(&IDEMPOTENT_IDS, email.trim().to_lowercase().as_bytes());
        let key = idempotency_key.as_deref();
        let (id, user) = match (
            creation_id("supplier", scope, key),
            creation_id("account", scope, key),
        ) {
            (Ok(s), Ok(u)) => (SupplierId(s), UserId(u)),
            (Err(e), _) | (_, Err(e)) => return Ok(refused(e)),
        };
        let a = api(ctx);
        // Check what can be checked before writing anything, so that a refusal leaves nothing behind.
        let code = match zhuchao_domain::credit_code::CreditCode::parse(&credit_code) {
            Ok(code) => code,
            Err(e) => {
                return Ok(refused(
                    UserError::new(ErrorCode::BadCreditCode, e.to_string()).at("creditCode"),
                ))
            }
        };
        let mut categories = Vec::with_capacity(category_ids.len());
        for (i, c) in category_ids.iter().enumerate() {
            match decode(Kind::Category, c) {
                Some(c) => categories.push(CategoryId(c)),
                None => {
                    return Ok(refused(
                        UserError::new(ErrorCode::NoSuchCategory, "no such category")
                            .at(&format!("categoryIds.{i}")),
                    ))
                }
            }
        }
        {
            let views = a.views.catalog();
            let retried = views.suppliers.contains_key(&id);
            if !retried
                && views
                    .credit
                    .get(code.as_str())
                    .is_some_and(|r| r.holder.is_some())
            {
                return Ok(refused(
                    UserError::new(
                        ErrorCode::CodeInUse,
                        "this credit code is already registered on the platform",
                    )
                    .at("creditCode"),
                ));
            }
            if let Some(i) = categories
                .iter()
                .position(|c| !views.categories.contains_key(c))
            {
                return Ok(refused(
                    UserError::new(ErrorCode::NoSuchCategory, "no such category")
                        .at(&format!("categoryIds.{i}")),
                ));
            }
        }
        let account = register(
            ctx,
            user,
            email.clone(),
            contact_name.clone(),
            password,
            Role::Supplier { supplier: id },
            WhenTaken::Conceal,
            &[&company_name, code.as_str()],
        )
        .await?;
        let answer = |w: Written| {
            let ok = w.user_errors.is_empty();
            ApplySupplierPayload {
                user_id: ok.then(|| encode(Kind::User, user.0)),
                supplier_id: ok.then(|| encode(Kind::Supplier, id.0)),
                position: w.position.map(|p| p.to_string()),
                user_errors: w.user_errors,
            }
        };
        if !account.user_errors.is_empty() {
            return Ok(answer(account));
        }
        // The application is recorded whether or not the email was free (a taken one opens no
        // account, so nobody can act for it): its credit code is claimed either way, and the
        // answer and what follows it are the same, so applying tells nobody who has an account.
        let applied = a
            .market
            .apply_supplier(
                &creating_context(ctx, id.0, &idempotency_key),
                SupplierApplication {
                    id,
                    company_name,
                    credit_code: code.to_string(),
                    categories,
                    contact: Contact {
                        name: contact_name,
                        phone,
                        email,
                    },
                },
            )
            .await;
        let w = written(applied, |_| {})?;
        let w = retried::<Supplier>(
            ctx,
            &idempotency_key,
            id,
            w,
            ErrorCode::AlreadyApplied,
            |s| s.id == Some(id),
        )
        .await?;
        Ok(answer(w))
    }

    /// Suppliers: submit a business document (a new one replaces the earlier of its kind).
    async fn submit_document(
        &self,
        ctx: &Context<'_>,
        kind: DocumentKind,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"file\")"))] file: String,
        expires_on: Option<DateTime>,
    ) -> async_graphql::Result<SubmitDocumentPayload> {
        let (_, me) = supplier(ctx)?;
        let file = try_input!(uploaded(ctx, "file", std::slice::from_ref(&file)).await).remove(0);
        let a = api(ctx);
        let c = SupplierCommand::SubmitDocument {
            kind: kind.into(),
            file,
            expires_on: expires_on.map(|d| d.0),
            at: a.market.handler.now(),
        };
        let done = a.market.run::<Supplier>(&command_context(ctx), me, c).await;
        Ok(written(done, |w| w.supplier = Some(me))?.into())
    }

    /// Agents: approve a supplier's document, or reject it with a reason.
    async fn review_document(
        &self,
        ctx: &Context<'_>,
        supplier_id: ID,
        kind: DocumentKind,
        approve: bool,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: Option<
            String,
        >,
    ) -> async_graphql::Result<ReviewDocumentPayload> {
        let agent = staff(ctx)?;
        let id = SupplierId(try_input!(id_of(
            Kind::Supplier,
            "supplierId",
            &supplier_id
        )));
        let a = api(ctx);
        let at = a.market.handler.now();
        let kind = kind.into();
        let c = if approve {
            SupplierCommand::ApproveDocument { kind, agent, at }
        } else {
            SupplierCommand::RejectDocument {
                kind,
                agent,
                reason: reason.unwrap_or_default(),
                at,
            }
        };
        let done = a.market.run::<Supplier>(&command_context(ctx), id, c).await;
        Ok(written(done, |w| w.supplier = Some(id))?.into())
    }

    /// Suppliers: record a deposit payment of what is still due (each payment reference counts
    /// once; nothing more once the deposit is held in full).
    async fn pay_deposit(
        &self,
        ctx: &Context<'_>,
        amount: MoneyInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"paymentRef\")"))]
        payment_ref: String,
    ) -> async_graphql::Result<PayDepositPayload> {
        let (_, me) = supplier(ctx)?;
        let amount = try_input!(money("amount", &amount));
        let a = api(ctx);
        let c = SupplierCommand::PayDepositDue {
            amount,
            payment_ref,
            at: a.market.handler.now(),
        };
        let done = a.market.run::<Supplier>(&command_context(ctx), me, c).await;
        Ok(written(done, |w| w.supplier = Some(me))?.into())
    }

    /// Agents: warn, suspend, reinstate, penalise (from the deposit) or exit (清退) a supplier.
    /// Exit is refused while the supplier has open orders.
    async fn act_on_supplier(
        &self,
        ctx: &Context<'_>,
        supplier_id: ID,
        measure: SupplierMeasure,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
        penalty: Option<MoneyInput>,
    ) -> async_graphql::Result<ActOnSupplierPayload> {
        let agent = staff(ctx)?;
        let id = SupplierId(try_input!(id_of(
            Kind::Supplier,
            "supplierId",
            &supplier_id
        )));
        let a = api(ctx);
        let at = a.market.handler.now();
        let c = match measure {
            SupplierMeasure::Warn => SupplierCommand::Warn { agent, reason, at },
            SupplierMeasure::Suspend => SupplierCommand::Suspend { agent, reason, at },
            SupplierMeasure::Reinstate => SupplierCommand::Reinstate { agent, at },
            SupplierMeasure::Penalise => {
                let Some(amount) = penalty else {
                    return Ok(
                        Written::refused(bad_input("penalty", "a penalty needs an amount")).into(),
                    );
                };
                let amount = try_input!(money("penalty", &amount));
                SupplierCommand::DeductPenalty {
                    amount,
                    reason,
                    dispute: None,
                    // An agent's own penalty: more than the deposit holds is refused.
                    record_shortfall: false,
                    at,
                }
            }
            SupplierMeasure::Exit => {
                // Counted once the read models hold everything stored so far, so an order
                // placed before this request is seen; one placed while it is decided is
                // cancelled by its own placing, and cannot be paid.
                let head = a
                    .market
                    .handler
                    .store()
                    .head()
                    .await
                    .map_err(|e| internal(e.to_string()))?;
                a.views
                    .wait_for(head.as_u64(), crate::api::READ_YOUR_WRITES_WAIT)
                    .await
                    .map_err(|e| api_error(ErrorCode::NotCaughtUp, e.to_string()))?;
                let open = a.views.catalog().open_orders.get(&id).copied().unwrap_or(0);
                SupplierCommand::Exit {
                    by: agent,
                    reason,
                    open_orders: open,
                    at,
                }
            }
        };
        let done = a.market.run::<Supplier>(&command_context(ctx), id, c).await;
        Ok(written(done, |w| w.supplier = Some(id))?.into())
    }

    /// Admins: a new category with its attribute schema. With an `idempotencyKey`, a retried
    /// request answers the category the first one made.
    async fn create_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"name\")"))] name: String,
        parent_id: Option<ID>,
        #[graphql(validator(max_items = 500))] attributes: Vec<AttributeDefinitionInput>,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CreateCategoryPayload> {
        let me = admin(ctx)?;
        let attributes = try_input!(attribute_defs(attributes));
        let parent = match &parent_id {
            Some(p) => Some(CategoryId(try_input!(id_of(Kind::Category, "parentId", p)))),
            None => None,
        };
        let id = CategoryId(try_input!(creation_id(
            "category",
            me.0,
            idempotency_key.as_deref()
        )));
        let c = CategoryCommand::Create {
            id,
            name,
            parent,
            attributes,
        };
        let done = api(ctx)
            .market
            .run::<Category>(&creating_context(ctx, id.0, &idempotency_key), id, c)
            .await;
        let w = written(done, |w| w.category = Some(id))?;
        let w = retried::<Category>(
            ctx,
            &idempotency_key,
            id,
            w,
            ErrorCode::AlreadyExists,
            |_| true,
        )
        .await?;
        Ok(Written {
            category: Some(id),
            ..w
        }
        .into())
    }

    /// Admins: replace a category's attribute schema.
    async fn revise_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(validator(max_items = 500))] attributes: Vec<AttributeDefinitionInput>,
    ) -> async_graphql::Result<ReviseCategoryPayload> {
        admin(ctx)?;
        let id = CategoryId(try_input!(id_of(Kind::Category, "id", &id)));
        let attributes = try_input!(attribute_defs(attributes));
        let done = api(ctx)
            .market
            .run::<Category>(
                &command_context(ctx),
                id,
                CategoryCommand::ReviseAttributes { attributes },
            )
            .await;
        Ok(written(done, |w| w.category = Some(id))?.into())
    }

    /// Admins: a category's words in another language — its name, attribute labels and listed
    /// values (what is left out reads as written). Replaces the language's earlier words.
    async fn translate_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        language: crate::enums::Language,
        #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"name\")"))] name: String,
        #[graphql(default, validator(max_items = 500))] labels: Vec<crate::types::TranslatedLabel>,
        #[graphql(default, validator(max_items = 5000))] values: Vec<crate::types::TranslatedValue>,
    ) -> async_graphql::Result<TranslateCategoryPayload> {
        admin(ctx)?;
        let id = CategoryId(try_input!(id_of(Kind::Category, "id", &id)));
        let mut translation = zhuchao_domain::category::CategoryTranslation {
            name,
            ..Default::default()
        };
        for l in labels {
            translation.labels.insert(l.key, l.text);
        }
        for v in values {
            translation
                .values
                .entry(v.key)
                .or_default()
                .insert(v.value, v.text);
        }
        let done = api(ctx)
            .market
            .run::<Category>(
                &command_context(ctx),
                id,
                CategoryCommand::Translate {
                    language: language.into(),
                    translation,
                },
            )
            .await;
        Ok(written(done, |w| w.category = Some(id))?.into())
    }

    /// Admins: the words buyers use for the same thing in a category (`["ss304", "a2"]`), each
    /// group searched as one there and in the categories below it. Replaces the earlier groups.
    async fn set_category_synonyms(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(validator(custom = "crate::text_limits::SYNONYMS.of(\"groups\")"))] groups: Vec<
            Vec<String>,
        >,
    ) -> async_graphql::Result<SetCategorySynonymsPayload> {
        admin(ctx)?;
        let id = CategoryId(try_input!(id_of(Kind::Category, "id", &id)));
        let done = api(ctx)
            .market
            .run::<Category>(
                &command_context(ctx),
                id,
                CategoryCommand::SetSynonyms { groups },
            )
            .await;
        Ok(written(done, |w| w.category = Some(id))?.into())
    }

    /// Suppliers: a new product, in draft. With an `idempotencyKey`, a retried request answers
    /// the product the first one drafted.
    async fn draft_product(
        &self,
        ctx: &Context<'_>,
        input: ProductInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DraftProductPayload> {
        let (_, me) = supplier(ctx)?;
        let (sheet, attributes) = try_input!(input.parse());
        try_input!(uploaded(ctx, "input.images", &sheet.images).await);
        let id = ProductId(try_input!(creation_id(
            "product",
            me.0,
            idempotency_key.as_deref()
        )));
        let done = api(ctx)
            .market
            .draft_product(
                &creating_context(ctx, id.0, &idempotency_key),
                id,
                me,
                sheet,
                attributes,
            )
            .await;
        Ok(written(done, |w| w.product = Some(id))?.into())
    }

    /// Suppliers: replace a product's sheet (its category stays).
    async fn revise_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ProductInput,
    ) -> async_graphql::Result<ReviseProductPayload> {
        let (_, me) = supplier(ctx)?;
        let id = try_input!(own_product(ctx, me, &id).await?);
        let (sheet, attributes) = try_input!(input.parse());
        try_input!(uploaded(ctx, "input.images", &sheet.images).await);
        let done = api(ctx)
            .market
            .revise_product(&command_context(ctx), id, me, sheet, attributes)
            .await;
        Ok(written(done, |w| w.product = Some(id))?.into())
    }

    /// Suppliers: the pieces on hand (not below what open orders reserve).
    async fn set_stock(
        &self,
        ctx: &Context<'_>,
        id: ID,
        stock: u64,
    ) -> async_graphql::Result<SetStockPayload> {
        let (_, me) = supplier(ctx)?;
        let id = try_input!(own_product(ctx, me, &id).await?);
        let done = api(ctx)
            .market
            .run::<Product>(
                &command_context(ctx),
                id,
                ProductCommand::SetStock {
                    supplier: me,
                    stock,
                },
            )
            .await;
        Ok(written(done, |w| w.product = Some(id))?.into())
    }

    /// Suppliers: put a product on sale.
    async fn publish_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PublishProductPayload> {
        let (_, me) = supplier(ctx)?;
        let id = try_input!(own_product(ctx, me, &id).await?);
        let done = api(ctx)
            .market
            .publish_product(&command_context(ctx), id, me)
            .await;
        Ok(written(done, |w| w.product = Some(id))?.into())
    }

    /// Suppliers: take a product off sale.
    async fn unpublish_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<UnpublishProductPayload> {
        let (_, me) = supplier(ctx)?;
        let id = try_input!(own_product(ctx, me, &id).await?);
        let done = api(ctx)
            .market
            .run::<Product>(
                &command_context(ctx),
                id,
                ProductCommand::Unpublish { supplier: me },
            )
            .await;
        Ok(written(done, |w| w.product = Some(id))?.into())
    }

    /// Agents: take a product off sale, with a reason.
    async fn delist_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<DelistProductPayload> {
        let agent = staff(ctx)?;
        let id = ProductId(try_input!(id_of(Kind::Product, "id", &id)));
        let done = api(ctx)
            .market
            .run::<Product>(
                &command_context(ctx),
                id,
                ProductCommand::Delist { agent, reason },
            )
            .await;
        Ok(written(done, |w| w.product = Some(id))?.into())
    }

    /// Buyers: order products of one supplier (tier prices and MOQ apply); the stock is
    /// reserved at once. With an `idempotencyKey`, a retried request answers the order the
    /// first one placed instead of placing another. With `expectedTotal` (what the buyer
    /// confirmed, shipping included), an order that now comes to another total — a price
    /// changed since — is refused with `TOTAL_CHANGED` and nothing is placed.
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_items = 500))] lines: Vec<CartLineInput>,
        #[graphql(validator(custom = "crate::text_limits::ADDRESS.of(\"address\")"))]
        address: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
        expected_total: Option<MoneyInput>,
    ) -> async_graphql::Result<PlaceOrderPayload> {
        let (user, company) = buyer(ctx)?;
        let expected_total = match &expected_total {
            Some(m) => Some(try_input!(money("expectedTotal", m))),
            None => None,
        };
        let id = OrderId(try_input!(creation_id(
            "order",
            user.0,
            idempotency_key.as_deref()
        )));
        let mut items = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            let field = format!("lines.{i}.productId");
            let product = ProductId(try_input!(id_of(Kind::Product, &field, &l.product_id)));
            // A product the buyer cannot see (another supplier's draft) is not found, never
            // "not published" with its title.
            if !sees(ctx, |lens| lens.product(product).is_some()).await? {
                return Ok(Written::refused(
                    UserError::new(ErrorCode::NotFound, "no such product").at(&field),
                )
                .into());
            }
            items.push((product, l.quantity));
        }
        let placed = api(ctx)
            .market
            .place_cart_order(
                &creating_context(ctx, id.0, &idempotency_key),
                id,
                user,
                company,
                items,
                address,
                expected_total,
            )
            .await;
        if placed.as_ref().is_ok_and(|p| !p.events.is_empty()) {
            crate::traffic::record_order_event(ctx, id, false).await;
        }
        Ok(written(placed, |w| w.order = Some(id))?.into())
    }

    /// Buyers: pay an order into escrow. Retrying with the same key pays once.
    async fn pay_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: String,
    ) -> async_graphql::Result<PayOrderPayload> {
        let (_, company) = buyer(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let paid = api(ctx)
            .market
            .pay_order(&command_context(ctx), id, company, &idempotency_key)
            .await;
        // A retry with the same key writes nothing new and is not a second payment.
        if paid.as_ref().is_ok_and(|p| !p.events.is_empty()) {
            crate::traffic::record_order_event(ctx, id, true).await;
        }
        Ok(written(paid, |w| w.order = Some(id))?.into())
    }

    /// The buyer, the supplier or an agent cancels an order not yet shipped; its stock goes
    /// back, and what was paid is refunded.
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<CancelOrderPayload> {
        let (party, company, supplier_id) = match crate::api::viewer(ctx) {
            Viewer::Buyer { company, .. } => (Party::Buyer, Some(*company), None),
            Viewer::Supplier { supplier, .. } => (Party::Supplier, None, Some(*supplier)),
            Viewer::Agent { .. } | Viewer::Admin { .. } => (Party::Agent, None, None),
            Viewer::Anonymous => return Err(crate::errors::unauthenticated()),
        };
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let a = api(ctx);
        let c = OrderCommand::Cancel {
            party,
            company,
            supplier: supplier_id,
            reason,
            at: a.market.handler.now(),
        };
        let done = a.market.run::<Order>(&command_context(ctx), id, c).await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Suppliers: ship a paid order.
    async fn ship_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"carrier\")"))]
        carrier: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"tracking\")"))]
        tracking: String,
    ) -> async_graphql::Result<ShipOrderPayload> {
        let (_, me) = supplier(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let a = api(ctx);
        let c = OrderCommand::Ship {
            supplier: me,
            carrier,
            tracking,
            at: a.market.handler.now(),
        };
        let done = a.market.run::<Order>(&command_context(ctx), id, c).await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// The order's supplier or an agent records the carrier's proof of delivery.
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<MarkDeliveredPayload> {
        let a = api(ctx);
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        match crate::api::viewer(ctx) {
            Viewer::Supplier { supplier, .. } => {
                let owns = crate::read::look(ctx, |lens| lens.views.order(id))?
                    .is_some_and(|o| o.supplier == Some(*supplier));
                if !owns {
                    return Ok(Written::refused(UserError::new(
                        ErrorCode::NotFound,
                        "no such order",
                    ))
                    .into());
                }
            }
            Viewer::Agent { .. } | Viewer::Admin { .. } => {}
            Viewer::Anonymous => return Err(crate::errors::unauthenticated()),
            Viewer::Buyer { .. } => return Err(crate::errors::forbidden()),
        }
        let done = a
            .market
            .run::<Order>(
                &command_context(ctx),
                id,
                OrderCommand::MarkDelivered {
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Buyers: confirm receipt after inspection (签收验货); the escrow is released.
    async fn confirm_receipt(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<ConfirmReceiptPayload> {
        let (_, company) = buyer(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let a = api(ctx);
        let done = a
            .market
            .run::<Order>(
                &command_context(ctx),
                id,
                OrderCommand::ConfirmReceipt {
                    company,
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Buyers: ask to return a delivered order (before confirming receipt).
    async fn request_return(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<RequestReturnPayload> {
        let (_, company) = buyer(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let a = api(ctx);
        let done = a
            .market
            .run::<Order>(
                &command_context(ctx),
                id,
                OrderCommand::RequestReturn {
                    company,
                    reason,
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Suppliers: approve or reject a return request.
    async fn answer_return(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        approve: bool,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: Option<
            String,
        >,
    ) -> async_graphql::Result<AnswerReturnPayload> {
        let (_, me) = supplier(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let a = api(ctx);
        let at = a.market.handler.now();
        let c = if approve {
            OrderCommand::ApproveReturn { supplier: me, at }
        } else {
            OrderCommand::RejectReturn {
                supplier: me,
                reason: reason.unwrap_or_default(),
                at,
            }
        };
        let done = a.market.run::<Order>(&command_context(ctx), id, c).await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Buyers: send an approved return back.
    async fn ship_return(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"carrier\")"))]
        carrier: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"tracking\")"))]
        tracking: String,
    ) -> async_graphql::Result<ShipReturnPayload> {
        let (_, company) = buyer(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let a = api(ctx);
        let done = a
            .market
            .run::<Order>(
                &command_context(ctx),
                id,
                OrderCommand::ShipReturn {
                    company,
                    carrier,
                    tracking,
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Suppliers: the returned goods arrived; the buyer is refunded.
    async fn confirm_return_received(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<ConfirmReturnReceivedPayload> {
        let (_, me) = supplier(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let a = api(ctx);
        let done = a
            .market
            .run::<Order>(
                &command_context(ctx),
                id,
                OrderCommand::ConfirmReturnReceived {
                    supplier: me,
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Buyers: rate a completed order, each score 1 to 5.
    async fn rate_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        quality: u8,
        delivery: u8,
        service: u8,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"comment\")")
        )]
        comment: String,
    ) -> async_graphql::Result<RateOrderPayload> {
        let (user, company) = buyer(ctx)?;
        let id = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let done = api(ctx)
            .market
            .rate_order(
                &command_context(ctx),
                id,
                company,
                user,
                (quality, delivery, service),
                comment,
            )
            .await;
        Ok(written(done, |w| w.order = Some(id))?.into())
    }

    /// Buyers: ask invited suppliers for quotes. With an `idempotencyKey`, a retried request
    /// answers the RFQ the first one sent.
    async fn create_rfq(
        &self,
        ctx: &Context<'_>,
        input: RfqInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CreateRfqPayload> {
        let (user, company) = buyer(ctx)?;
        let target_price = match &input.target_price {
            Some(m) => Some(try_input!(money("input.targetPrice", m))),
            None => None,
        };
        let category = CategoryId(try_input!(id_of(
            Kind::Category,
            "input.categoryId",
            &input.category_id
        )
        .map_err(
            |e| UserError::new(ErrorCode::NoSuchCategory, e.message).at("input.categoryId")
        )));
        let attributes = try_input!(attribute_map("input.attributes", &input.attributes));
        let drawings = try_input!(uploaded(ctx, "input.drawings", &input.drawings).await);
        let mut invited = Vec::with_capacity(input.invited_supplier_ids.len());
        for (i, s) in input.invited_supplier_ids.iter().enumerate() {
            let s = try_input!(
                id_of(Kind::Supplier, &format!("input.invitedSupplierIds.{i}"), s).map_err(|e| {
                    UserError {
                        code: crate::errors::Code(ErrorCode::UnknownSupplier),
                        ..e
                    }
                })
            );
            invited.push(SupplierId(s));
        }
        let a = api(ctx);
        let id = RfqId(try_input!(creation_id(
            "rfq",
            user.0,
            idempotency_key.as_deref()
        )));
        let spec = RfqSpec {
            title: input.title,
            description: input.description,
            category,
            attributes,
            quantity: input.quantity,
            drawings,
            target_price,
            deadline: input.deadline.0,
        };
        let sent = a
            .market
            .create_rfq(
                &creating_context(ctx, id.0, &idempotency_key),
                id,
                user,
                company,
                spec,
                invited,
            )
            .await;
        if sent.as_ref().is_ok_and(|s| !s.events.is_empty()) {
            let category = Some(category.0);
            crate::traffic::record(ctx, |session, at| {
                zhuchao_analytics::TrafficEvent::RfqSent {
                    session,
                    rfq: id.0,
                    category,
                    at,
                }
            });
        }
        Ok(written(sent, |w| w.rfq = Some(id))?.into())
    }

    /// Buyers: end an RFQ; its live quotes are not selected.
    async fn cancel_rfq(
        &self,
        ctx: &Context<'_>,
        rfq_id: ID,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<CancelRfqPayload> {
        let (user, _) = buyer(ctx)?;
        let id = RfqId(try_input!(id_of(Kind::Rfq, "rfqId", &rfq_id)));
        if !sees(ctx, |lens| lens.rfq(id).is_some()).await? {
            return Ok(Written::refused(
                UserError::new(ErrorCode::NotFound, "no such rfq").at("rfqId"),
            )
            .into());
        }
        let a = api(ctx);
        let done = a
            .market
            .run::<Rfq>(
                &command_context(ctx),
                id,
                RfqCommand::Cancel {
                    buyer: user,
                    reason,
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.rfq = Some(id))?.into())
    }

    /// Suppliers: quote on an RFQ (invited, or from the pool once it is open). With an
    /// `idempotencyKey`, a retried request answers the quote the first one made.
    async fn submit_quote(
        &self,
        ctx: &Context<'_>,
        rfq_id: ID,
        unit_price: MoneyInput,
        lead_time_days: u32,
        valid_until: DateTime,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")")
        )]
        note: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<SubmitQuotePayload> {
        let (_, me) = supplier(ctx)?;
        let rfq = RfqId(try_input!(id_of(Kind::Rfq, "rfqId", &rfq_id)));
        // An RFQ the supplier is neither invited to nor may see in the pool is not found.
        if !sees(ctx, |lens| lens.rfq(rfq).is_some()).await? {
            return Ok(Written::refused(
                UserError::new(ErrorCode::NotFound, "no such rfq").at("rfqId"),
            )
            .into());
        }
        let unit_price = try_input!(money("unitPrice", &unit_price));
        let quote = QuoteId(try_input!(creation_id(
            "quote",
            me.0,
            idempotency_key.as_deref()
        )));
        let result = api(ctx)
            .market
            .submit_quote(
                &creating_context(ctx, quote.0, &idempotency_key),
                rfq,
                quote,
                me,
                unit_price,
                lead_time_days,
                valid_until.0,
                note,
            )
            .await;
        let w = written(result, |w| {
            w.quote = Some(quote);
            w.rfq = Some(rfq);
        })?;
        let w = retried::<Rfq>(
            ctx,
            &idempotency_key,
            rfq,
            w,
            ErrorCode::AlreadyQuoted,
            |r| r.quotes.get(&quote).is_some_and(|q| q.supplier == me),
        )
        .await?;
        Ok(Written {
            quote: Some(quote),
            rfq: Some(rfq),
            ..w
        }
        .into())
    }

    /// Suppliers: revise a live quote (answering a counter-offer, say).
    async fn revise_quote(
        &self,
        ctx: &Context<'_>,
        quote_id: ID,
        unit_price: MoneyInput,
        lead_time_days: u32,
        valid_until: DateTime,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")")
        )]
        note: String,
    ) -> async_graphql::Result<ReviseQuotePayload> {
        let (_, me) = supplier(ctx)?;
        let (rfq, quote) = try_input!(quote_of(ctx, &quote_id).await?);
        let unit_price = try_input!(money("unitPrice", &unit_price));
        let a = api(ctx);
        let c = RfqCommand::ReviseQuote {
            quote,
            supplier: me,
            unit_price,
            lead_time_days,
            valid_until: valid_until.0,
            note,
            at: a.market.handler.now(),
        };
        let done = a.market.run::<Rfq>(&command_context(ctx), rfq, c).await;
        Ok(written(done, |w| {
            w.quote = Some(quote);
            w.rfq = Some(rfq);
        })?
        .into())
    }

    /// Buyers: offer a quote's supplier another unit price.
    async fn counter_offer(
        &self,
        ctx: &Context<'_>,
        quote_id: ID,
        unit_price: MoneyInput,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")")
        )]
        note: String,
    ) -> async_graphql::Result<CounterOfferPayload> {
        let (user, _) = buyer(ctx)?;
        let (rfq, quote) = try_input!(quote_of(ctx, &quote_id).await?);
        let unit_price = try_input!(money("unitPrice", &unit_price));
        let a = api(ctx);
        let c = RfqCommand::CounterOffer {
            quote,
            buyer: user,
            unit_price,
            note,
            at: a.market.handler.now(),
        };
        let done = a.market.run::<Rfq>(&command_context(ctx), rfq, c).await;
        Ok(written(done, |w| {
            w.quote = Some(quote);
            w.rfq = Some(rfq);
        })?
        .into())
    }

    /// Buyers: accept a quote; an order is made from it (`order` in the answer), delivered to
    /// `address`. Accepting the same quote again answers the first acceptance.
    async fn accept_quote(
        &self,
        ctx: &Context<'_>,
        quote_id: ID,
        #[graphql(validator(custom = "crate::text_limits::ADDRESS.of(\"address\")"))]
        address: String,
    ) -> async_graphql::Result<AcceptQuotePayload> {
        let (user, _) = buyer(ctx)?;
        let (rfq, quote) = try_input!(quote_of(ctx, &quote_id).await?);
        let a = api(ctx);
        let order = OrderId(Uuid::now_v7());
        let c = RfqCommand::Accept {
            quote,
            buyer: user,
            order,
            address,
            at: a.market.handler.now(),
        };
        let accepted = a.market.run::<Rfq>(&command_context(ctx), rfq, c).await;
        if let Ok(done) = &accepted {
            for e in &done.events {
                if let zhuchao_domain::rfq::RfqEvent::QuoteAccepted(q) = e {
                    let category = crate::read::look(ctx, |lens| lens.views.rfq(rfq))?
                        .and_then(|r| r.category)
                        .map_or(Uuid::nil(), |c| c.0);
                    let (supplier, items, value) = (q.supplier.0, q.quantity, q.total.minor);
                    crate::traffic::record_order(ctx, |session, at| {
                        zhuchao_analytics::TrafficEvent::OrderPlaced {
                            session,
                            order: order.0,
                            supplier,
                            lines: vec![zhuchao_analytics::events::Line {
                                category,
                                items,
                                value,
                            }],
                            at,
                        }
                    });
                }
            }
        }
        let w = written(accepted, |w| {
            w.quote = Some(quote);
            w.rfq = Some(rfq);
            w.order = Some(order);
            w.order_follows = true;
        })?;
        // Accepted already by this buyer (a retried request): the first acceptance's answer.
        let refused_as_decided = matches!(
            w.user_errors.first().map(|e| e.code.0),
            Some(ErrorCode::Closed | ErrorCode::QuoteNotLive)
        );
        if refused_as_decided {
            let loaded = a
                .market
                .handler
                .load::<Rfq>(rfq)
                .await
                .map_err(|_| internal("the RFQ could not be read"))?;
            let r = &loaded.state;
            let ours = r.buyer == Some(user)
                && r.quotes
                    .get(&quote)
                    .is_some_and(|q| q.status == zhuchao_domain::rfq::QuoteStatus::Accepted);
            if let (true, Some(order)) = (ours, r.awarded_order) {
                return Ok(Written {
                    position: Some(loaded.position.as_u64()),
                    quote: Some(quote),
                    rfq: Some(rfq),
                    order: Some(order),
                    order_follows: true,
                    ..Default::default()
                }
                .into());
            }
        }
        Ok(w.into())
    }

    /// The buyer (or the supplier) disputes an order for an amount of what escrow holds.
    /// With an `idempotencyKey`, a retried request answers the dispute the first one opened.
    async fn open_dispute(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        reason: DisputeReason,
        #[graphql(validator(custom = "crate::text_limits::DESCRIPTION.of(\"statement\")"))]
        statement: String,
        #[graphql(default, validator(custom = "crate::text_limits::FILES.of(\"files\")"))]
        files: Vec<String>,
        claimed: MoneyInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<OpenDisputePayload> {
        let order = OrderId(try_input!(id_of(Kind::Order, "orderId", &order_id)));
        let (party, user) = match party_of(ctx, order).await? {
            Some(side) => side,
            None => {
                return Ok(Written::refused(
                    UserError::new(ErrorCode::NotFound, "no such order").at("orderId"),
                )
                .into())
            }
        };
        let claimed = try_input!(money("claimed", &claimed));
        let files = try_input!(uploaded(ctx, "files", &files).await)
            .into_iter()
            .map(|f| f.to_string())
            .collect();
        let id = DisputeId(try_input!(creation_id(
            "dispute",
            user.0,
            idempotency_key.as_deref()
        )));
        let sides = match crate::api::viewer(ctx) {
            Viewer::Buyer { company, .. } => (Some(*company), None),
            Viewer::Supplier { supplier, .. } => (None, Some(*supplier)),
            _ => (None, None),
        };
        let done = api(ctx)
            .market
            .open_dispute(
                &creating_context(ctx, id.0, &idempotency_key),
                id,
                order,
                party,
                user,
                sides,
                reason.into(),
                statement,
                files,
                claimed,
            )
            .await;
        Ok(written(done, |w| {
            w.dispute = Some(id);
            w.order = Some(order);
        })?
        .into())
    }

    /// A party of a dispute adds a statement and files.
    async fn add_evidence(
        &self,
        ctx: &Context<'_>,
        dispute_id: ID,
        #[graphql(validator(custom = "crate::text_limits::DESCRIPTION.of(\"text\")"))] text: String,
        #[graphql(default, validator(custom = "crate::text_limits::FILES.of(\"files\")"))]
        files: Vec<String>,
    ) -> async_graphql::Result<AddEvidencePayload> {
        let id = DisputeId(try_input!(id_of(Kind::Dispute, "disputeId", &dispute_id)));
        let Some((party, user)) = dispute_party(ctx, id).await? else {
            return Ok(Written::refused(
                UserError::new(ErrorCode::NotFound, "no such dispute").at("disputeId"),
            )
            .into());
        };
        let files = try_input!(uploaded(ctx, "files", &files).await)
            .into_iter()
            .map(|f| f.to_string())
            .collect();
        let a = api(ctx);
        let c = DisputeCommand::SubmitEvidence {
            party,
            by: user,
            text,
            files,
            at: a.market.handler.now(),
        };
        let done = a.market.run::<Dispute>(&command_context(ctx), id, c).await;
        Ok(written(done, |w| w.dispute = Some(id))?.into())
    }

    /// Agents: take a dispute.
    async fn assign_dispute(
        &self,
        ctx: &Context<'_>,
        dispute_id: ID,
    ) -> async_graphql::Result<AssignDisputePayload> {
        let agent = staff(ctx)?;
        let id = DisputeId(try_input!(id_of(Kind::Dispute, "disputeId", &dispute_id)));
        let a = api(ctx);
        let done = a
            .market
            .run::<Dispute>(
                &command_context(ctx),
                id,
                DisputeCommand::Assign {
                    agent,
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.dispute = Some(id))?.into())
    }

    /// Agents: rule a dispute, splitting what escrow holds; optionally a penalty from the
    /// supplier's deposit and a warning on its credit record.
    async fn rule_dispute(
        &self,
        ctx: &Context<'_>,
        dispute_id: ID,
        refund: MoneyInput,
        release: MoneyInput,
        penalty: Option<MoneyInput>,
        warn: bool,
        #[graphql(validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")"))] note: String,
    ) -> async_graphql::Result<RuleDisputePayload> {
        let agent = staff(ctx)?;
        let id = DisputeId(try_input!(id_of(Kind::Dispute, "disputeId", &dispute_id)));
        let refund = try_input!(money("refund", &refund));
        let release = try_input!(money("release", &release));
        let penalty = match &penalty {
            Some(p) => Some(try_input!(money("penalty", p))),
            None => None,
        };
        let done = api(ctx)
            .market
            .rule_dispute(
                &command_context(ctx),
                id,
                agent,
                refund,
                release,
                penalty,
                warn,
                note,
            )
            .await;
        Ok(written(done, |w| w.dispute = Some(id))?.into())
    }

    /// The dispute's opener withdraws it; the order goes on.
    async fn withdraw_dispute(
        &self,
        ctx: &Context<'_>,
        dispute_id: ID,
    ) -> async_graphql::Result<WithdrawDisputePayload> {
        let id = DisputeId(try_input!(id_of(Kind::Dispute, "disputeId", &dispute_id)));
        let Some((party, user)) = dispute_party(ctx, id).await? else {
            return Ok(Written::refused(
                UserError::new(ErrorCode::NotFound, "no such dispute").at("disputeId"),
            )
            .into());
        };
        let a = api(ctx);
        let done = a
            .market
            .run::<Dispute>(
                &command_context(ctx),
                id,
                DisputeCommand::Withdraw {
                    party,
                    by: user,
                    at: a.market.handler.now(),
                },
            )
            .await;
        Ok(written(done, |w| w.dispute = Some(id))?.into())
    }
}

/// Whether the caller may see what `f` looks for: what it may not see is answered as if it did
/// not exist, whatever a rule would have said about it.
async fn sees(
    ctx: &Context<'_>,
    f: impl FnOnce(&crate::read::Lens<'_>) -> bool,
) -> async_graphql::Result<bool> {
    crate::read::look(ctx, f)
}

/// A product of the calling supplier's own, or not found (another's, even published, is not the
/// caller's to change).
async fn own_product(
    ctx: &Context<'_>,
    me: SupplierId,
    id: &ID,
) -> async_graphql::Result<Result<ProductId, UserError>> {
    let missing = || UserError::new(ErrorCode::NotFound, "no such product").at("id");
    let Some(product) = decode(Kind::Product, id).map(ProductId) else {
        return Ok(Err(missing()));
    };
    Ok(
        match crate::read::look(ctx, |lens| lens.views.product(product))? {
            Some(p) if p.supplier == Some(me) => Ok(product),
            _ => Err(missing()),
        },
    )
}

/// The RFQ a quote id belongs to, for a quote the caller may see.
async fn quote_of(
    ctx: &Context<'_>,
    id: &ID,
) -> async_graphql::Result<Result<(RfqId, QuoteId), UserError>> {
    let missing = || UserError::new(ErrorCode::NoSuchQuote, "no such quote").at("quoteId");
    let Some(quote) = decode(Kind::Quote, id).map(QuoteId) else {
        return Ok(Err(missing()));
    };
    let rfq = crate::read::look(ctx, |lens| {
        lens.quote(quote)?;
        lens.views.rfq_of_quote(quote)
    })?;
    Ok(rfq.map(|r| (r, quote)).ok_or_else(missing))
}

/// Password work that could not be done now: busy is a wait the client can retry after.
fn busy(e: PasswordWorkError) -> async_graphql::Error {
    match e {
        PasswordWorkError::Busy => api_error(ErrorCode::Unavailable, e.to_string()),
        PasswordWorkError::Failed(m) => {
            tracing::error!(error = %m, "password work failed");
            internal("password hashing failed")
        }
    }
}

/// A real hash of nothing in particular, to verify unknown emails against.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no such account").unwrap_or_default())
}

/// The caller's side of the order a dispute is about, from the dispute's own stream.
async fn dispute_party(
    ctx: &Context<'_>,
    dispute: DisputeId,
) -> async_graphql::Result<Option<(Party, UserId)>> {
    let order = api(ctx)
        .market
        .handler
        .load::<Dispute>(dispute)
        .await
        .map_err(|_| internal("the dispute could not be read"))?
        .state
        .order;
    match order {
        Some(order) => party_of(ctx, order).await,
        None => {
            if matches!(crate::api::viewer(ctx), Viewer::Anonymous) {
                return Err(crate::errors::unauthenticated());
            }
            Ok(None)
        }
    }
}

/// Which side of an order the caller is on (its company's buyer or its supplier's staff);
/// `None` for anyone else, who is answered as if the order did not exist.
async fn party_of(
    ctx: &Context<'_>,
    order: OrderId,
) -> async_graphql::Result<Option<(Party, UserId)>> {
    // The order's own stream, not a read model: a dispute right after an order sees it.
    let o = api(ctx)
        .market
        .handler
        .load::<Order>(order)
        .await
        .map_err(|_| internal("the order could not be read"))?
        .state;
    let o = o.id.is_some().then_some(&o);
    match crate::api::viewer(ctx) {
        Viewer::Buyer { user, company } if o.is_some_and(|o| o.company == Some(*company)) => {
            Ok(Some((Party::Buyer, *user)))
        }
        Viewer::Supplier { user, supplier } if o.is_some_and(|o| o.supplier == Some(*supplier)) => {
            Ok(Some((Party::Supplier, *user)))
        }
        Viewer::Anonymous => Err(crate::errors::unauthenticated()),
        _ => Ok(None),
    }
}

/// Answers a command that ended sessions once this node's read models hold it, so that the
/// ended tokens are refused from the moment the client has the answer.
async fn sessions_ended<E>(
    ctx: &Context<'_>,
    result: Result<Executed<E>, MarketError>,
) -> async_graphql::Result<Written> {
    if let Ok(done) = &result {
        api(ctx)
            .views
            .wait_for(done.position.as_u64(), crate::api::READ_YOUR_WRITES_WAIT)
            .await
            .map_err(|e| api_error(ErrorCode::NotCaughtUp, e.to_string()))?;
    }
    written(result, |_| {})
}

/// Takes one password attempt for `account` from the caller's address, or refuses with how
/// long to wait (`TOO_MANY_ATTEMPTS`, with `retryAfterSeconds`; over HTTP a 429).
fn attempt(ctx: &Context<'_>, account: &str) -> async_graphql::Result<()> {
    api(ctx)
        .throttle
        .attempt(account, crate::api::client_address(ctx))
        .map_err(|wait| {
            wait_error(
                wait,
                "too many password attempts for this account or from this address",
            )
        })
}

/// Takes one registration from the caller's address, or refuses with how long to wait.
fn registration(ctx: &Context<'_>) -> async_graphql::Result<()> {
    api(ctx)
        .throttle
        .register(crate::api::client_address(ctx))
        .map_err(|wait| wait_error(wait, "too many accounts opened from this address"))
}

/// `TOO_MANY_ATTEMPTS` with `retryAfterSeconds` (over HTTP a 429 with Retry-After).
fn wait_error(wait: std::time::Duration, what: &str) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    let seconds = wait.as_secs() + 1;
    async_graphql::Error::new(format!("{what}; try again in {seconds} s")).extend_with(
        move |_, e| {
            e.set("code", ErrorCode::TooManyAttempts.as_str());
            e.set("retryAfterSeconds", seconds);
        },
    )
}

/// Who may learn that an email already has an account: an admin opening a staff account is
/// told; an anonymous caller registering gets the same answer as for a free email, so that
/// registration cannot be used to find out who has an account.
#[derive(Clone, Copy, PartialEq)]
enum WhenTaken {
    Say,
    Conceal,
}

/// Opens account `user`; when the email's account is already `user` (a retried request), it
/// answers that account.
async fn register(
    ctx: &Context<'_>,
    user: UserId,
    email: String,
    name: String,
    password: String,
    role: Role,
    when_taken: WhenTaken,
    more_about_the_user: &[&str],
) -> async_graphql::Result<Written> {
    let not_opened = Written::refused;
    let email = match zhuchao_domain::account::normalise_email(&email) {
        Ok(e) => e,
        Err(e) => {
            return Ok(not_opened(
                UserError::new(ErrorCode::BadEmail, e.to_string()).at("email"),
            ))
        }
    };
    let mut about_the_user: Vec<&str> = match &role {
        Role::Buyer { company_name, .. } => vec![&email, &name, company_name],
        _ => vec![&email, &name],
    };
    about_the_user.extend_from_slice(more_about_the_user);
    if let Err(m) = crate::password_policy::check(&password, &about_the_user) {
        return Ok(not_opened(
            UserError::new(ErrorCode::WeakPassword, m).at("password"),
        ));
    }
    // Hashed whether or not the email is free, so the answer takes as long either way.
    let hash = hash_in_turn(password).await.map_err(busy)?;
    let a = api(ctx);
    if let Ok(existing) = a.market.handler.load::<Account>(&email).await {
        if existing.state.id == Some(user) {
            let mut answer = Written::at(existing.position.as_u64());
            answer.user = Some(user);
            return Ok(answer);
        }
    }
    let at = a.market.handler.now();
    let c = AccountCommand::Register {
        id: user,
        email: email.clone(),
        name,
        role,
        password_hash: hash,
        at,
    };
    let opened = a
        .market
        .run::<Account>(&command_context(ctx), email.clone(), c)
        .await;
    match opened {
        Err(e) if when_taken == WhenTaken::Conceal && e.code() == ErrorCode::EmailTaken => {
            // The account's owner gets a record of the attempt; the caller an answer shaped
            // like an opened account's, with a position that is as fresh.
            let noted = a
                .market
                .run::<Account>(
                    &command_context(ctx),
                    email,
                    AccountCommand::NoteRegistrationAttempt { at, attempt: user },
                )
                .await;
            // A retried attempt writes nothing and answers the account's position, as a
            // retried registration does.
            Ok(Written {
                position: noted.ok().map(|done| done.position.as_u64()),
                user: Some(user),
                ..Default::default()
            })
        }
        result => written(result, |w| w.user = Some(user)),
    }
}
