//! Mutations: one for every command of the marketplace. Each checks the caller's role and
//! ownership, runs the use case, and answers with the position it wrote (pass it as `atLeast`
//! to read your own write) or with `userErrors` when a business rule refused it.

// A resolver's arguments are the API's input fields.
#![allow(clippy::too_many_arguments)]

use std::collections::BTreeMap;

use async_graphql::{Context, InputObject, Object, SimpleObject};
use uuid::Uuid;
use zhuchao_app::marketplace::{MarketError, SupplierApplication};
use zhuchao_app::{CommandContext, Executed};
use zhuchao_domain::account::{Account, AccountCommand, Role};
use zhuchao_domain::category::{AttributeDef, AttributeKind, Category, CategoryCommand};
use zhuchao_domain::dispute::{Dispute, DisputeCommand, DisputeReason};
use zhuchao_domain::files::FileRef;
use zhuchao_domain::ids::*;
use zhuchao_domain::order::{Order, OrderCommand, Party};
use zhuchao_domain::product::{PriceTier, Product, ProductCommand, ProductSheet};
use zhuchao_domain::rfq::{Rfq, RfqCommand, RfqSpec};
use zhuchao_domain::supplier::{Contact, DocumentKind, Supplier, SupplierCommand};
use zhuchao_domain::units::Unit;

use crate::api::{admin, api, buyer, command_context, staff, supplier};
use crate::auth::{hash_password, verify_password, Viewer};
use crate::errors::{bad_input, classify, UserError};
use crate::types::{MeOut, MoneyInput};

/// What every mutation answers.
#[derive(SimpleObject, Default)]
pub struct MutationResult {
    /// The id of what was created or changed.
    pub id: Option<Uuid>,
    /// The global position written: pass it as `atLeast` to read this write.
    pub position: Option<String>,
    /// Why a business rule refused the mutation; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct SignInResult {
    pub token: Option<String>,
    pub me: Option<MeOut>,
    pub user_errors: Vec<UserError>,
}

fn outcome<E>(
    id: Uuid,
    result: Result<Executed<E>, MarketError>,
) -> async_graphql::Result<MutationResult> {
    match result {
        Ok(done) => Ok(MutationResult {
            id: Some(id),
            position: Some(done.position.to_string()),
            user_errors: vec![],
        }),
        Err(e) => Ok(MutationResult {
            id: None,
            position: None,
            user_errors: vec![classify(e)?],
        }),
    }
}

fn refused(error: UserError) -> async_graphql::Result<MutationResult> {
    Ok(MutationResult {
        user_errors: vec![error],
        ..Default::default()
    })
}

fn money(field: &str, input: &MoneyInput) -> Result<zhuchao_domain::money::Money, UserError> {
    input.parse().map_err(|m| bad_input(field, m))
}

/// Earliest and latest instants a date input may name: 2000-01-01 and 2200-01-01 (UTC).
const EARLIEST_MS: f64 = 946_684_800_000.0;
const LATEST_MS: f64 = 7_258_118_400_000.0;

/// A date given as milliseconds since the Unix epoch: a whole number between 2000 and 2200.
fn timestamp(field: &str, ms: f64) -> Result<i64, UserError> {
    if !ms.is_finite() || ms.fract() != 0.0 || !(EARLIEST_MS..=LATEST_MS).contains(&ms) {
        return Err(bad_input(
            field,
            "a date is a whole number of milliseconds since 1970 (UTC), between the years 2000 and 2200",
        ));
    }
    Ok(ms as i64)
}

/// Attribute values by key; the same key twice is refused rather than one silently winning.
fn attribute_map(
    field: &str,
    input: &[AttributeInput],
) -> Result<BTreeMap<String, String>, UserError> {
    let mut out = BTreeMap::new();
    for a in input {
        if out.insert(a.key.clone(), a.value.clone()).is_some() {
            return Err(bad_input(
                field,
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
    for text in refs {
        let file = FileRef::parse(text).map_err(|e| UserError {
            code: "NOT_A_FILE".into(),
            field: Some(field.into()),
            message: e.to_string(),
        })?;
        let hash = file.hash().to_string();
        let present = a.files_dir.join(&hash).is_file();
        let uploaded_by_caller = match viewer.user() {
            Some(user) => tokio::fs::read_to_string(crate::web::uploaders(&a.files_dir, &hash))
                .await
                .is_ok_and(|list| list.lines().any(|l| l == user.0.to_string())),
            None => false,
        };
        let readable = present && {
            let views = a.views.views.read().await;
            crate::access::may_read_file(&views, viewer, &hash, uploaded_by_caller)
        };
        if !readable {
            return Err(UserError {
                code: "NOT_A_FILE".into(),
                field: Some(field.into()),
                message: format!("{file} was never uploaded here"),
            });
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
        Some(k) if k.trim().is_empty() || k.len() > 200 => Err(bad_input(
            "idempotencyKey",
            "an idempotency key is 1 to 200 characters",
        )),
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

fn enum_value<T: Copy + std::fmt::Debug>(
    field: &str,
    text: &str,
    options: &[T],
) -> Result<T, UserError> {
    let wanted = text.replace('_', "").to_lowercase();
    options
        .iter()
        .copied()
        .find(|o| format!("{o:?}").to_lowercase() == wanted)
        .ok_or_else(|| {
            bad_input(
                field,
                format!(
                    "{text:?} is not one of {:?}",
                    options
                        .iter()
                        .map(|o| zhuchao_app::handler::variant_name(o))
                        .collect::<Vec<_>>()
                ),
            )
        })
}

const DOCUMENT_KINDS: [DocumentKind; 6] = [
    DocumentKind::BusinessLicence,
    DocumentKind::TaxRegistration,
    DocumentKind::OrganisationCode,
    DocumentKind::MergedLicence,
    DocumentKind::TrademarkRegistration,
    DocumentKind::BrandAuthorisation,
];

const REASONS: [DisputeReason; 6] = [
    DisputeReason::NotShipped,
    DisputeReason::NotAsDescribed,
    DisputeReason::Damaged,
    DisputeReason::WrongQuantity,
    DisputeReason::NotPaid,
    DisputeReason::Other,
];

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
    pub category_id: Uuid,
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
    fn parse(&self) -> Result<(ProductSheet, BTreeMap<String, String>), UserError> {
        let mut tiers = Vec::with_capacity(self.tiers.len());
        for t in &self.tiers {
            tiers.push(PriceTier {
                min_quantity: t.min_quantity,
                unit_price: money("tiers.unitPrice", &t.unit_price)?,
            });
        }
        let sheet = ProductSheet {
            category: CategoryId(self.category_id),
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
            shipping_cost: money("shippingCost", &self.shipping_cost)?,
        };
        let attributes = attribute_map("attributes", &self.attributes)?;
        Ok((sheet, attributes))
    }
}

#[derive(InputObject)]
pub struct AttributeDefInput {
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"key\")"))]
    pub key: String,
    #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"label\")"))]
    pub label: String,
    /// `ENUM`, `NUMBER` or `TEXT`.
    #[graphql(validator(custom = "crate::text_limits::CODE.of(\"kind\")"))]
    pub kind: String,
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

fn attribute_defs(input: Vec<AttributeDefInput>) -> Result<Vec<AttributeDef>, UserError> {
    input
        .into_iter()
        .map(|a| {
            let kind = match a.kind.to_uppercase().as_str() {
                "ENUM" => AttributeKind::Enum { values: a.values },
                "NUMBER" => AttributeKind::Number {
                    unit: Unit::from_symbol(a.unit.as_deref().unwrap_or(""))
                        .map_err(|e| bad_input("attributes.unit", e.to_string()))?,
                    min: a.min,
                    max: a.max,
                },
                "TEXT" => AttributeKind::Text,
                other => {
                    return Err(bad_input(
                        "attributes.kind",
                        format!("{other:?} is not ENUM, NUMBER or TEXT"),
                    ))
                }
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
    pub product_id: Uuid,
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
    pub category_id: Uuid,
    #[graphql(default, validator(max_items = 100))]
    pub attributes: Vec<AttributeInput>,
    pub quantity: u64,
    #[graphql(
        default,
        validator(custom = "crate::text_limits::FILES.of(\"drawings\")")
    )]
    pub drawings: Vec<String>,
    pub target_price: Option<MoneyInput>,
    /// Milliseconds since the Unix epoch.
    pub deadline: f64,
    #[graphql(validator(max_items = 100))]
    pub invited_supplier_ids: Vec<Uuid>,
}

macro_rules! try_input {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(user_error) => return refused(user_error),
        }
    };
}

/// Every mutation: the marketplace's commands and the visit tracking.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(MarketMutation, crate::analytics_api::TrackingMutation);

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
    ) -> async_graphql::Result<SignInResult> {
        let api = api(ctx);
        let Ok(email) = zhuchao_domain::account::normalise_email(&email) else {
            return Ok(SignInResult {
                user_errors: vec![UserError {
                    code: "BAD_CREDENTIALS".into(),
                    field: None,
                    message: "wrong email or password".into(),
                }],
                ..Default::default()
            });
        };
        attempt(ctx, &email)?;
        // The account's own stream, not a read model: a sign-in right after registering works.
        let found = match api.market.handler.load::<Account>(&email).await {
            Ok(loaded) if loaded.state.id.is_some() => Some(loaded.state),
            Ok(_) => None,
            Err(e) => {
                tracing::error!(error = %e, "loading an account failed");
                return Err(crate::errors::api_error(
                    "INTERNAL",
                    "sign-in is unavailable right now",
                ));
            }
        };
        let wrong = || SignInResult {
            user_errors: vec![UserError {
                code: "BAD_CREDENTIALS".into(),
                field: None,
                message: "wrong email or password".into(),
            }],
            ..Default::default()
        };
        let Some(account) = found else {
            // Spend the same time as a real check, so timing does not reveal who has an account.
            let _ =
                tokio::task::spawn_blocking(move || verify_password(&password, dummy_hash())).await;
            return Ok(wrong());
        };
        let hash = account.password_hash.clone();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        let (Some(user), Some(role)) = (account.id, account.role.clone()) else {
            return Ok(wrong());
        };
        if !ok {
            return Ok(wrong());
        }
        let (token, _) = api.sessions.begin(user);
        let (role_name, company_id, company_name, supplier_id) = match role {
            Role::Admin => ("ADMIN", None, None, None),
            Role::Agent => ("AGENT", None, None, None),
            Role::Buyer {
                company,
                company_name,
            } => ("BUYER", Some(company.0), Some(company_name), None),
            Role::Supplier { supplier } => ("SUPPLIER", None, None, Some(supplier.0)),
        };
        Ok(SignInResult {
            token: Some(token),
            me: Some(MeOut {
                id: user.0,
                email: account.email,
                name: account.name,
                role: role_name.into(),
                company_id,
                company_name,
                supplier_id,
            }),
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
    ) -> async_graphql::Result<MutationResult> {
        let user = crate::api::signed_in(ctx)?;
        let a = api(ctx);
        let email = {
            let views = a.views.views.read().await;
            views.account_of(user).map(|acc| acc.email.clone())
        };
        let email = email.ok_or_else(|| crate::errors::not_found("account"))?;
        attempt(ctx, &email)?;
        let account = a
            .market
            .handler
            .load::<Account>(&email)
            .await
            .map_err(|_| crate::errors::api_error("INTERNAL", "the account could not be read"))?
            .state;
        let hash = account.password_hash.clone();
        if !tokio::task::spawn_blocking(move || verify_password(&current, &hash))
            .await
            .unwrap_or(false)
        {
            return refused(UserError {
                code: "BAD_CREDENTIALS".into(),
                field: Some("current".into()),
                message: "the current password is wrong".into(),
            });
        }
        if let Err(m) = crate::password_policy::check(&new, &[&account.email, &account.name]) {
            return refused(UserError {
                code: "WEAK_PASSWORD".into(),
                field: Some("new".into()),
                message: m,
            });
        }
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|_| crate::errors::api_error("INTERNAL", "password hashing failed"))?
            .map_err(|e| crate::errors::api_error("INTERNAL", e))?;
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
        sessions_ended(ctx, user, changed).await
    }

    /// Ends the caller's session ("sign out"), or with `everywhere` every session of the
    /// account on every device. Tokens of ended sessions are refused from the moment this
    /// answers, and live subscriptions on them close within a second or two.
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] everywhere: bool,
    ) -> async_graphql::Result<MutationResult> {
        let user = crate::api::signed_in(ctx)?;
        let session = *crate::api::session(ctx).ok_or_else(crate::errors::unauthenticated)?;
        let a = api(ctx);
        let email = {
            let views = a.views.views.read().await;
            views.account_of(user).map(|acc| acc.email.clone())
        };
        let email = email.ok_or_else(|| crate::errors::not_found("account"))?;
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
        sessions_ended(ctx, user, ended).await
    }

    /// Admins: open an account for an agent (`AGENT`) or another admin (`ADMIN`).
    async fn create_staff_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::EMAIL.of(\"email\")"))] email: String,
        #[graphql(validator(custom = "crate::text_limits::PERSON.of(\"name\")"))] name: String,
        password: String,
        #[graphql(validator(custom = "crate::text_limits::CODE.of(\"role\")"))] role: String,
    ) -> async_graphql::Result<MutationResult> {
        admin(ctx)?;
        let role = match role.to_uppercase().as_str() {
            "AGENT" => Role::Agent,
            "ADMIN" => Role::Admin,
            other => {
                return refused(bad_input(
                    "role",
                    format!("{other:?} is not AGENT or ADMIN"),
                ))
            }
        };
        Ok(register(ctx, email, name, password, role, WhenTaken::Say)
            .await?
            .answer)
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
    ) -> async_graphql::Result<MutationResult> {
        if company_name.trim().is_empty() {
            return refused(bad_input("companyName", "a company name is required"));
        }
        // The caller is anonymous: the key is scoped to the email it registers.
        let scope = Uuid::new_v5(&IDEMPOTENT_IDS, email.trim().to_lowercase().as_bytes());
        let key = idempotency_key.as_deref();
        let user = UserId(try_input!(creation_id("account", scope, key)));
        let role = Role::Buyer {
            company: CompanyId(try_input!(creation_id("company", scope, key))),
            company_name: company_name.trim().to_string(),
        };
        Ok(
            register_as(ctx, user, email, name, password, role, WhenTaken::Conceal)
                .await?
                .answer,
        )
    }

    /// Applies as a supplier: opens the staff account and records the application.
    #[allow(clippy::too_many_arguments)]
    async fn apply_supplier(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::COMPANY.of(\"companyName\")"))]
        company_name: String,
        #[graphql(validator(custom = "crate::text_limits::CODE.of(\"creditCode\")"))]
        credit_code: String,
        #[graphql(validator(max_items = 50))] category_ids: Vec<Uuid>,
        #[graphql(validator(custom = "crate::text_limits::PERSON.of(\"contactName\")"))]
        contact_name: String,
        #[graphql(validator(custom = "crate::text_limits::PHONE.of(\"phone\")"))] phone: String,
        #[graphql(validator(custom = "crate::text_limits::EMAIL.of(\"email\")"))] email: String,
        password: String,
    ) -> async_graphql::Result<MutationResult> {
        let id = SupplierId(Uuid::now_v7());
        let a = api(ctx);
        // Check what can be checked before writing anything, so that a refusal leaves nothing behind.
        let code = match zhuchao_domain::credit_code::CreditCode::parse(&credit_code) {
            Ok(code) => code,
            Err(e) => {
                return refused(UserError {
                    code: "BAD_CREDIT_CODE".into(),
                    field: Some("creditCode".into()),
                    message: e.to_string(),
                })
            }
        };
        {
            let views = a.views.views.read().await;
            if views
                .credit
                .get(code.as_str())
                .is_some_and(|r| r.holder.is_some())
            {
                return refused(UserError {
                    code: "CODE_IN_USE".into(),
                    field: Some("creditCode".into()),
                    message: "this credit code is already registered on the platform".into(),
                });
            }
            if let Some(unknown) = category_ids
                .iter()
                .find(|c| !views.categories.contains_key(&CategoryId(**c)))
            {
                return refused(UserError {
                    code: "NO_SUCH_CATEGORY".into(),
                    field: Some("categoryIds".into()),
                    message: format!("category {unknown} does not exist"),
                });
            }
        }
        let account = register(
            ctx,
            email.clone(),
            contact_name.clone(),
            password,
            Role::Supplier { supplier: id },
            WhenTaken::Conceal,
        )
        .await?;
        if !account.opened {
            // A taken email answers like an application that was recorded.
            return Ok(MutationResult {
                id: account.answer.user_errors.is_empty().then_some(id.0),
                ..account.answer
            });
        }
        let applied = a
            .market
            .apply_supplier(
                &command_context(ctx),
                SupplierApplication {
                    id,
                    company_name,
                    credit_code: code.to_string(),
                    categories: category_ids.into_iter().map(CategoryId).collect(),
                    contact: Contact {
                        name: contact_name,
                        phone,
                        email,
                    },
                },
            )
            .await;
        outcome(id.0, applied)
    }

    async fn submit_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::CODE.of(\"kind\")"))] kind: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"file\")"))] file: String,
        expires_on: Option<f64>,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let kind = try_input!(enum_value("kind", &kind, &DOCUMENT_KINDS));
        let file = try_input!(uploaded(ctx, "file", std::slice::from_ref(&file)).await).remove(0);
        let expires_on = match expires_on {
            Some(ms) => Some(try_input!(timestamp("expiresOn", ms))),
            None => None,
        };
        let a = api(ctx);
        let c = SupplierCommand::SubmitDocument {
            kind,
            file,
            expires_on,
            at: a.market.handler.now(),
        };
        outcome(
            me.0,
            a.market.run::<Supplier>(&command_context(ctx), me, c).await,
        )
    }

    /// Agents: approve a supplier's document, or reject it with a reason.
    async fn review_document(
        &self,
        ctx: &Context<'_>,
        supplier_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::CODE.of(\"kind\")"))] kind: String,
        approve: bool,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: Option<
            String,
        >,
    ) -> async_graphql::Result<MutationResult> {
        let agent = staff(ctx)?;
        let kind = try_input!(enum_value("kind", &kind, &DOCUMENT_KINDS));
        let a = api(ctx);
        let at = a.market.handler.now();
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
        outcome(
            supplier_id,
            a.market
                .run::<Supplier>(&command_context(ctx), SupplierId(supplier_id), c)
                .await,
        )
    }

    async fn pay_deposit(
        &self,
        ctx: &Context<'_>,
        amount: MoneyInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"paymentRef\")"))]
        payment_ref: String,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let amount = try_input!(money("amount", &amount));
        let a = api(ctx);
        let c = SupplierCommand::PayDeposit {
            amount,
            payment_ref,
            at: a.market.handler.now(),
        };
        outcome(
            me.0,
            a.market.run::<Supplier>(&command_context(ctx), me, c).await,
        )
    }

    /// Agents: warn, suspend, reinstate, penalise (from the deposit) or exit (清退) a supplier.
    /// Exit is refused while the supplier has open orders.
    async fn act_on_supplier(
        &self,
        ctx: &Context<'_>,
        supplier_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::CODE.of(\"action\")"))] action: String,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
        penalty: Option<MoneyInput>,
    ) -> async_graphql::Result<MutationResult> {
        let agent = staff(ctx)?;
        let a = api(ctx);
        let at = a.market.handler.now();
        let c = match action.to_uppercase().as_str() {
            "WARN" => SupplierCommand::Warn { agent, reason, at },
            "SUSPEND" => SupplierCommand::Suspend { agent, reason, at },
            "REINSTATE" => SupplierCommand::Reinstate { agent, at },
            "PENALISE" => {
                let Some(amount) = penalty else {
                    return refused(bad_input("penalty", "a penalty needs an amount"));
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
            "EXIT" => {
                // Counted once the read models hold everything stored so far, so an order
                // placed before this request is seen; one placed while it is decided is
                // cancelled by its own placing, and cannot be paid.
                let head = a
                    .market
                    .handler
                    .store()
                    .head()
                    .await
                    .map_err(|e| crate::errors::api_error("INTERNAL", e.to_string()))?;
                a.views
                    .wait_for(head.as_u64(), crate::api::READ_YOUR_WRITES_WAIT)
                    .await
                    .map_err(|e| crate::errors::api_error("NOT_CAUGHT_UP", e.to_string()))?;
                let open = {
                    let views = a.views.views.read().await;
                    views
                        .orders
                        .values()
                        .filter(|o| {
                            o.supplier == Some(SupplierId(supplier_id)) && is_open(o.status)
                        })
                        .count() as u32
                };
                SupplierCommand::Exit {
                    by: agent,
                    reason,
                    open_orders: open,
                    at,
                }
            }
            other => {
                return refused(bad_input(
                    "action",
                    format!("{other:?} is not WARN, SUSPEND, REINSTATE, PENALISE or EXIT"),
                ))
            }
        };
        outcome(
            supplier_id,
            a.market
                .run::<Supplier>(&command_context(ctx), SupplierId(supplier_id), c)
                .await,
        )
    }

    /// Admins: a new category with its attribute schema.
    async fn create_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(custom = "crate::text_limits::TITLE.of(\"name\")"))] name: String,
        parent_id: Option<Uuid>,
        #[graphql(validator(max_items = 500))] attributes: Vec<AttributeDefInput>,
    ) -> async_graphql::Result<MutationResult> {
        admin(ctx)?;
        let attributes = try_input!(attribute_defs(attributes));
        let id = CategoryId(Uuid::now_v7());
        let c = CategoryCommand::Create {
            id,
            name,
            parent: parent_id.map(CategoryId),
            attributes,
        };
        outcome(
            id.0,
            api(ctx)
                .market
                .run::<Category>(&command_context(ctx), id, c)
                .await,
        )
    }

    async fn revise_category(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(validator(max_items = 500))] attributes: Vec<AttributeDefInput>,
    ) -> async_graphql::Result<MutationResult> {
        admin(ctx)?;
        let attributes = try_input!(attribute_defs(attributes));
        outcome(
            id,
            api(ctx)
                .market
                .run::<Category>(
                    &command_context(ctx),
                    CategoryId(id),
                    CategoryCommand::ReviseAttributes { attributes },
                )
                .await,
        )
    }

    /// Admins: the words buyers use for the same thing in a category (`["ss304", "a2"]`), each
    /// group searched as one there and in the categories below it. Replaces the earlier groups.
    async fn set_category_synonyms(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::SYNONYMS.of(\"groups\")"))] groups: Vec<
            Vec<String>,
        >,
    ) -> async_graphql::Result<MutationResult> {
        admin(ctx)?;
        outcome(
            id,
            api(ctx)
                .market
                .run::<Category>(
                    &command_context(ctx),
                    CategoryId(id),
                    CategoryCommand::SetSynonyms { groups },
                )
                .await,
        )
    }

    /// Suppliers: a new product, in draft. With an `idempotencyKey`, a retried request answers
    /// the product the first one drafted.
    async fn draft_product(
        &self,
        ctx: &Context<'_>,
        input: ProductInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let (sheet, attributes) = try_input!(input.parse());
        try_input!(uploaded(ctx, "images", &sheet.images).await);
        let id = ProductId(try_input!(creation_id(
            "product",
            me.0,
            idempotency_key.as_deref()
        )));
        outcome(
            id.0,
            api(ctx)
                .market
                .draft_product(
                    &creating_context(ctx, id.0, &idempotency_key),
                    id,
                    me,
                    sheet,
                    attributes,
                )
                .await,
        )
    }

    async fn revise_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: ProductInput,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let (sheet, attributes) = try_input!(input.parse());
        try_input!(uploaded(ctx, "images", &sheet.images).await);
        outcome(
            id,
            api(ctx)
                .market
                .revise_product(&command_context(ctx), ProductId(id), me, sheet, attributes)
                .await,
        )
    }

    async fn set_stock(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        stock: u64,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        outcome(
            id,
            api(ctx)
                .market
                .run::<Product>(
                    &command_context(ctx),
                    ProductId(id),
                    ProductCommand::SetStock {
                        supplier: me,
                        stock,
                    },
                )
                .await,
        )
    }

    async fn publish_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        outcome(
            id,
            api(ctx)
                .market
                .publish_product(&command_context(ctx), ProductId(id), me)
                .await,
        )
    }

    async fn unpublish_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        outcome(
            id,
            api(ctx)
                .market
                .run::<Product>(
                    &command_context(ctx),
                    ProductId(id),
                    ProductCommand::Unpublish { supplier: me },
                )
                .await,
        )
    }

    /// Agents: take a product off sale, with a reason.
    async fn delist_product(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<MutationResult> {
        let agent = staff(ctx)?;
        outcome(
            id,
            api(ctx)
                .market
                .run::<Product>(
                    &command_context(ctx),
                    ProductId(id),
                    ProductCommand::Delist { agent, reason },
                )
                .await,
        )
    }

    /// Buyers: order products of one supplier (tier prices and MOQ apply); the stock is
    /// reserved at once. With an `idempotencyKey`, a retried request answers the order the
    /// first one placed instead of placing another.
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_items = 500))] lines: Vec<CartLineInput>,
        #[graphql(validator(custom = "crate::text_limits::ADDRESS.of(\"address\")"))]
        address: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<MutationResult> {
        let (user, company) = buyer(ctx)?;
        let id = OrderId(try_input!(creation_id(
            "order",
            user.0,
            idempotency_key.as_deref()
        )));
        let items = lines
            .into_iter()
            .map(|l| (ProductId(l.product_id), l.quantity))
            .collect();
        let placed = api(ctx)
            .market
            .place_cart_order(
                &creating_context(ctx, id.0, &idempotency_key),
                id,
                user,
                company,
                items,
                address,
            )
            .await;
        if placed.as_ref().is_ok_and(|p| !p.events.is_empty()) {
            crate::traffic::record_order_event(ctx, id, false).await;
        }
        outcome(id.0, placed)
    }

    /// Buyers: pay an order into escrow. Retrying with the same key pays once.
    async fn pay_order(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: String,
    ) -> async_graphql::Result<MutationResult> {
        let (_, company) = buyer(ctx)?;
        let paid = api(ctx)
            .market
            .pay_order(
                &command_context(ctx),
                OrderId(order_id),
                company,
                &idempotency_key,
            )
            .await;
        // A retry with the same key writes nothing new and is not a second payment.
        if paid.as_ref().is_ok_and(|p| !p.events.is_empty()) {
            crate::traffic::record_order_event(ctx, OrderId(order_id), true).await;
        }
        outcome(order_id, paid)
    }

    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<MutationResult> {
        let (party, company, supplier_id) = match crate::api::viewer(ctx) {
            Viewer::Buyer { company, .. } => (Party::Buyer, Some(*company), None),
            Viewer::Supplier { supplier, .. } => (Party::Supplier, None, Some(*supplier)),
            Viewer::Agent { .. } | Viewer::Admin { .. } => (Party::Agent, None, None),
            Viewer::Anonymous => return Err(crate::errors::unauthenticated()),
        };
        let a = api(ctx);
        let c = OrderCommand::Cancel {
            party,
            company,
            supplier: supplier_id,
            reason,
            at: a.market.handler.now(),
        };
        outcome(
            order_id,
            a.market
                .run::<Order>(&command_context(ctx), OrderId(order_id), c)
                .await,
        )
    }

    async fn ship_order(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"carrier\")"))]
        carrier: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"tracking\")"))]
        tracking: String,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let a = api(ctx);
        let c = OrderCommand::Ship {
            supplier: me,
            carrier,
            tracking,
            at: a.market.handler.now(),
        };
        outcome(
            order_id,
            a.market
                .run::<Order>(&command_context(ctx), OrderId(order_id), c)
                .await,
        )
    }

    /// The order's supplier or an agent records the carrier's proof of delivery.
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let a = api(ctx);
        match crate::api::viewer(ctx) {
            Viewer::Supplier { supplier, .. } => {
                let owns = a
                    .views
                    .views
                    .read()
                    .await
                    .orders
                    .get(&OrderId(order_id))
                    .is_some_and(|o| o.supplier == Some(*supplier));
                if !owns {
                    return Err(crate::errors::not_found("order"));
                }
            }
            Viewer::Agent { .. } | Viewer::Admin { .. } => {}
            Viewer::Anonymous => return Err(crate::errors::unauthenticated()),
            Viewer::Buyer { .. } => return Err(crate::errors::forbidden()),
        }
        outcome(
            order_id,
            a.market
                .run::<Order>(
                    &command_context(ctx),
                    OrderId(order_id),
                    OrderCommand::MarkDelivered {
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }

    /// Buyers: confirm receipt after inspection (签收验货); the escrow is released.
    async fn confirm_receipt(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let (_, company) = buyer(ctx)?;
        let a = api(ctx);
        outcome(
            order_id,
            a.market
                .run::<Order>(
                    &command_context(ctx),
                    OrderId(order_id),
                    OrderCommand::ConfirmReceipt {
                        company,
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }

    async fn request_return(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<MutationResult> {
        let (_, company) = buyer(ctx)?;
        let a = api(ctx);
        outcome(
            order_id,
            a.market
                .run::<Order>(
                    &command_context(ctx),
                    OrderId(order_id),
                    OrderCommand::RequestReturn {
                        company,
                        reason,
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }

    /// Suppliers: approve or reject a return request.
    async fn answer_return(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        approve: bool,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: Option<
            String,
        >,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
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
        outcome(
            order_id,
            a.market
                .run::<Order>(&command_context(ctx), OrderId(order_id), c)
                .await,
        )
    }

    async fn ship_return(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"carrier\")"))]
        carrier: String,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"tracking\")"))]
        tracking: String,
    ) -> async_graphql::Result<MutationResult> {
        let (_, company) = buyer(ctx)?;
        let a = api(ctx);
        outcome(
            order_id,
            a.market
                .run::<Order>(
                    &command_context(ctx),
                    OrderId(order_id),
                    OrderCommand::ShipReturn {
                        company,
                        carrier,
                        tracking,
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }

    async fn confirm_return_received(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let a = api(ctx);
        outcome(
            order_id,
            a.market
                .run::<Order>(
                    &command_context(ctx),
                    OrderId(order_id),
                    OrderCommand::ConfirmReturnReceived {
                        supplier: me,
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }

    /// Buyers: rate a completed order, each score 1 to 5.
    async fn rate_order(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        quality: u8,
        delivery: u8,
        service: u8,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"comment\")")
        )]
        comment: String,
    ) -> async_graphql::Result<MutationResult> {
        let (user, company) = buyer(ctx)?;
        outcome(
            order_id,
            api(ctx)
                .market
                .rate_order(
                    &command_context(ctx),
                    OrderId(order_id),
                    company,
                    user,
                    (quality, delivery, service),
                    comment,
                )
                .await,
        )
    }

    /// Buyers: ask invited suppliers for quotes. With an `idempotencyKey`, a retried request
    /// answers the RFQ the first one sent.
    async fn create_rfq(
        &self,
        ctx: &Context<'_>,
        input: RfqInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<MutationResult> {
        let (user, company) = buyer(ctx)?;
        let target_price = match &input.target_price {
            Some(m) => Some(try_input!(money("targetPrice", m))),
            None => None,
        };
        let attributes = try_input!(attribute_map("attributes", &input.attributes));
        let drawings = try_input!(uploaded(ctx, "drawings", &input.drawings).await);
        let deadline = try_input!(timestamp("deadline", input.deadline));
        let a = api(ctx);
        let id = RfqId(try_input!(creation_id(
            "rfq",
            user.0,
            idempotency_key.as_deref()
        )));
        let spec = RfqSpec {
            title: input.title,
            description: input.description,
            category: CategoryId(input.category_id),
            attributes,
            quantity: input.quantity,
            drawings,
            target_price,
            deadline,
        };
        let invited = input
            .invited_supplier_ids
            .into_iter()
            .map(SupplierId)
            .collect();
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
            let category = Some(input.category_id);
            crate::traffic::record(ctx, |session, at| {
                zhuchao_analytics::TrafficEvent::RfqSent {
                    session,
                    rfq: id.0,
                    category,
                    at,
                }
            });
        }
        outcome(id.0, sent)
    }

    async fn cancel_rfq(
        &self,
        ctx: &Context<'_>,
        rfq_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
    ) -> async_graphql::Result<MutationResult> {
        let (user, _) = buyer(ctx)?;
        let a = api(ctx);
        outcome(
            rfq_id,
            a.market
                .run::<Rfq>(
                    &command_context(ctx),
                    RfqId(rfq_id),
                    RfqCommand::Cancel {
                        buyer: user,
                        reason,
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }

    /// Suppliers: quote on an RFQ (invited, or from the pool once it is open).
    async fn submit_quote(
        &self,
        ctx: &Context<'_>,
        rfq_id: Uuid,
        unit_price: MoneyInput,
        lead_time_days: u32,
        valid_until: f64,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")")
        )]
        note: String,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let unit_price = try_input!(money("unitPrice", &unit_price));
        let quote = QuoteId(Uuid::now_v7());
        let result = api(ctx)
            .market
            .submit_quote(
                &command_context(ctx),
                RfqId(rfq_id),
                quote,
                me,
                unit_price,
                lead_time_days,
                try_input!(timestamp("validUntil", valid_until)),
                note,
            )
            .await;
        outcome(quote.0, result)
    }

    async fn revise_quote(
        &self,
        ctx: &Context<'_>,
        rfq_id: Uuid,
        quote_id: Uuid,
        unit_price: MoneyInput,
        lead_time_days: u32,
        valid_until: f64,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")")
        )]
        note: String,
    ) -> async_graphql::Result<MutationResult> {
        let (_, me) = supplier(ctx)?;
        let unit_price = try_input!(money("unitPrice", &unit_price));
        let a = api(ctx);
        let c = RfqCommand::ReviseQuote {
            quote: QuoteId(quote_id),
            supplier: me,
            unit_price,
            lead_time_days,
            valid_until: try_input!(timestamp("validUntil", valid_until)),
            note,
            at: a.market.handler.now(),
        };
        outcome(
            quote_id,
            a.market
                .run::<Rfq>(&command_context(ctx), RfqId(rfq_id), c)
                .await,
        )
    }

    async fn counter_offer(
        &self,
        ctx: &Context<'_>,
        rfq_id: Uuid,
        quote_id: Uuid,
        unit_price: MoneyInput,
        #[graphql(
            default,
            validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")")
        )]
        note: String,
    ) -> async_graphql::Result<MutationResult> {
        let (user, _) = buyer(ctx)?;
        let unit_price = try_input!(money("unitPrice", &unit_price));
        let a = api(ctx);
        let c = RfqCommand::CounterOffer {
            quote: QuoteId(quote_id),
            buyer: user,
            unit_price,
            note,
            at: a.market.handler.now(),
        };
        outcome(
            quote_id,
            a.market
                .run::<Rfq>(&command_context(ctx), RfqId(rfq_id), c)
                .await,
        )
    }

    /// Buyers: accept a quote; an order is created from it. The result's id is the new order's.
    async fn accept_quote(
        &self,
        ctx: &Context<'_>,
        rfq_id: Uuid,
        quote_id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let (user, _) = buyer(ctx)?;
        let a = api(ctx);
        let order = OrderId(Uuid::now_v7());
        let c = RfqCommand::Accept {
            quote: QuoteId(quote_id),
            buyer: user,
            order,
            at: a.market.handler.now(),
        };
        let accepted = a
            .market
            .run::<Rfq>(&command_context(ctx), RfqId(rfq_id), c)
            .await;
        if let Ok(done) = &accepted {
            for e in &done.events {
                if let zhuchao_domain::rfq::RfqEvent::QuoteAccepted(q) = e {
                    let category = a
                        .views
                        .views
                        .read()
                        .await
                        .rfqs
                        .get(&RfqId(rfq_id))
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
        outcome(order.0, accepted)
    }

    /// The buyer (or the supplier) disputes an order for an amount of what escrow holds.
    #[allow(clippy::too_many_arguments)]
    async fn open_dispute(
        &self,
        ctx: &Context<'_>,
        order_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::REASON.of(\"reason\")"))] reason: String,
        #[graphql(validator(custom = "crate::text_limits::DESCRIPTION.of(\"statement\")"))]
        statement: String,
        #[graphql(default, validator(custom = "crate::text_limits::FILES.of(\"files\")"))]
        files: Vec<String>,
        claimed: MoneyInput,
        #[graphql(validator(custom = "crate::text_limits::REFERENCE.of(\"idempotencyKey\")"))]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<MutationResult> {
        let (party, user) = party_of(ctx, OrderId(order_id)).await?;
        let reason = try_input!(enum_value("reason", &reason, &REASONS));
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
        outcome(
            id.0,
            api(ctx)
                .market
                .open_dispute(
                    &creating_context(ctx, id.0, &idempotency_key),
                    id,
                    OrderId(order_id),
                    party,
                    user,
                    sides,
                    reason,
                    statement,
                    files,
                    claimed,
                )
                .await,
        )
    }

    async fn add_evidence(
        &self,
        ctx: &Context<'_>,
        dispute_id: Uuid,
        #[graphql(validator(custom = "crate::text_limits::DESCRIPTION.of(\"text\")"))] text: String,
        #[graphql(default, validator(custom = "crate::text_limits::FILES.of(\"files\")"))]
        files: Vec<String>,
    ) -> async_graphql::Result<MutationResult> {
        let order = dispute_order(ctx, DisputeId(dispute_id)).await?;
        let order = order.ok_or_else(|| crate::errors::not_found("dispute"))?;
        let (party, user) = party_of(ctx, order).await?;
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
        outcome(
            dispute_id,
            a.market
                .run::<Dispute>(&command_context(ctx), DisputeId(dispute_id), c)
                .await,
        )
    }

    /// Agents: take a dispute.
    async fn assign_dispute(
        &self,
        ctx: &Context<'_>,
        dispute_id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let agent = staff(ctx)?;
        let a = api(ctx);
        outcome(
            dispute_id,
            a.market
                .run::<Dispute>(
                    &command_context(ctx),
                    DisputeId(dispute_id),
                    DisputeCommand::Assign {
                        agent,
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }

    /// Agents: rule a dispute, splitting what escrow holds; optionally a penalty from the
    /// supplier's deposit and a warning on its credit record.
    #[allow(clippy::too_many_arguments)]
    async fn rule_dispute(
        &self,
        ctx: &Context<'_>,
        dispute_id: Uuid,
        refund: MoneyInput,
        release: MoneyInput,
        penalty: Option<MoneyInput>,
        warn: bool,
        #[graphql(validator(custom = "crate::text_limits::DESCRIPTION.of(\"note\")"))] note: String,
    ) -> async_graphql::Result<MutationResult> {
        let agent = staff(ctx)?;
        let refund = try_input!(money("refund", &refund));
        let release = try_input!(money("release", &release));
        let penalty = match &penalty {
            Some(p) => Some(try_input!(money("penalty", p))),
            None => None,
        };
        outcome(
            dispute_id,
            api(ctx)
                .market
                .rule_dispute(
                    &command_context(ctx),
                    DisputeId(dispute_id),
                    agent,
                    refund,
                    release,
                    penalty,
                    warn,
                    note,
                )
                .await,
        )
    }

    async fn withdraw_dispute(
        &self,
        ctx: &Context<'_>,
        dispute_id: Uuid,
    ) -> async_graphql::Result<MutationResult> {
        let order = dispute_order(ctx, DisputeId(dispute_id)).await?;
        let (party, user) = party_of(
            ctx,
            order.ok_or_else(|| crate::errors::not_found("dispute"))?,
        )
        .await?;
        let a = api(ctx);
        outcome(
            dispute_id,
            a.market
                .run::<Dispute>(
                    &command_context(ctx),
                    DisputeId(dispute_id),
                    DisputeCommand::Withdraw {
                        party,
                        by: user,
                        at: a.market.handler.now(),
                    },
                )
                .await,
        )
    }
}

/// A real hash of nothing in particular, to verify unknown emails against.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no such account").unwrap_or_default())
}

fn is_open(status: zhuchao_domain::order::OrderStatus) -> bool {
    use zhuchao_domain::order::OrderStatus as S;
    !matches!(
        status,
        S::Completed | S::Cancelled | S::Refunded | S::Resolved
    )
}

/// The order a dispute is about, from the dispute's own stream.
async fn dispute_order(
    ctx: &Context<'_>,
    dispute: DisputeId,
) -> async_graphql::Result<Option<OrderId>> {
    Ok(api(ctx)
        .market
        .handler
        .load::<Dispute>(dispute)
        .await
        .map_err(|_| crate::errors::api_error("INTERNAL", "the dispute could not be read"))?
        .state
        .order)
}

/// Which side of an order the caller is on (its company's buyer or its supplier's staff).
async fn party_of(ctx: &Context<'_>, order: OrderId) -> async_graphql::Result<(Party, UserId)> {
    // The order's own stream, not a read model: a dispute right after an order sees it.
    let o = api(ctx)
        .market
        .handler
        .load::<Order>(order)
        .await
        .map_err(|_| crate::errors::api_error("INTERNAL", "the order could not be read"))?
        .state;
    let o = o.id.is_some().then_some(&o);
    match crate::api::viewer(ctx) {
        Viewer::Buyer { user, company } if o.is_some_and(|o| o.company == Some(*company)) => {
            Ok((Party::Buyer, *user))
        }
        Viewer::Supplier { user, supplier } if o.is_some_and(|o| o.supplier == Some(*supplier)) => {
            Ok((Party::Supplier, *user))
        }
        Viewer::Anonymous => Err(crate::errors::unauthenticated()),
        _ => Err(crate::errors::not_found("order")),
    }
}

/// Answers a command that ended sessions once this node's read models hold it, so that the
/// ended tokens are refused from the moment the client has the answer.
async fn sessions_ended<E>(
    ctx: &Context<'_>,
    user: UserId,
    result: Result<Executed<E>, MarketError>,
) -> async_graphql::Result<MutationResult> {
    if let Ok(done) = &result {
        api(ctx)
            .views
            .wait_for(done.position.as_u64(), crate::api::READ_YOUR_WRITES_WAIT)
            .await
            .map_err(|e| crate::errors::api_error("NOT_CAUGHT_UP", e.to_string()))?;
    }
    outcome(user.0, result)
}

/// Takes one password attempt for `account` from the caller's address, or refuses with how
/// long to wait (`TOO_MANY_ATTEMPTS`, with `retryAfterSeconds`; over HTTP a 429).
fn attempt(ctx: &Context<'_>, account: &str) -> async_graphql::Result<()> {
    use async_graphql::ErrorExtensions;
    api(ctx)
        .throttle
        .attempt(account, crate::api::client_address(ctx))
        .map_err(|wait| {
            let seconds = wait.as_secs() + 1;
            async_graphql::Error::new(format!(
                "too many password attempts for this account or from this address; try again in {seconds} s"
            ))
            .extend_with(move |_, e| {
                e.set("code", "TOO_MANY_ATTEMPTS");
                e.set("retryAfterSeconds", seconds);
            })
        })
}

/// Who may learn that an email already has an account: an admin opening a staff account is
/// told; an anonymous caller registering gets the same answer as for a free email, so that
/// registration cannot be used to find out who has an account.
#[derive(Clone, Copy, PartialEq)]
enum WhenTaken {
    Say,
    Conceal,
}

/// What opening an account answered, and whether it opened one (a concealed taken email
/// answers as if it had).
struct Registration {
    answer: MutationResult,
    opened: bool,
}

async fn register(
    ctx: &Context<'_>,
    email: String,
    name: String,
    password: String,
    role: Role,
    when_taken: WhenTaken,
) -> async_graphql::Result<Registration> {
    register_as(
        ctx,
        UserId(Uuid::now_v7()),
        email,
        name,
        password,
        role,
        when_taken,
    )
    .await
}

/// Opens account `user`; when the email's account is already `user` (a retried request), it
/// answers that account.
async fn register_as(
    ctx: &Context<'_>,
    user: UserId,
    email: String,
    name: String,
    password: String,
    role: Role,
    when_taken: WhenTaken,
) -> async_graphql::Result<Registration> {
    let not_opened = |answer: async_graphql::Result<MutationResult>| {
        answer.map(|answer| Registration {
            answer,
            opened: false,
        })
    };
    let email = match zhuchao_domain::account::normalise_email(&email) {
        Ok(e) => e,
        Err(e) => return not_opened(refused(bad_input("email", e.to_string()))),
    };
    let about_the_user: Vec<&str> = match &role {
        Role::Buyer { company_name, .. } => vec![&email, &name, company_name],
        _ => vec![&email, &name],
    };
    if let Err(m) = crate::password_policy::check(&password, &about_the_user) {
        return not_opened(refused(UserError {
            code: "WEAK_PASSWORD".into(),
            field: Some("password".into()),
            message: m,
        }));
    }
    // Hashed whether or not the email is free, so the answer takes as long either way.
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| crate::errors::api_error("INTERNAL", "password hashing failed"))?
        .map_err(|e| crate::errors::api_error("INTERNAL", e))?;
    let a = api(ctx);
    if let Ok(existing) = a.market.handler.load::<Account>(&email).await {
        if existing.state.id == Some(user) {
            return Ok(Registration {
                answer: MutationResult {
                    id: Some(user.0),
                    position: Some(existing.position.to_string()),
                    user_errors: vec![],
                },
                opened: true,
            });
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
        Err(e) if when_taken == WhenTaken::Conceal && e.code() == "EMAIL_TAKEN" => {
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
            Ok(Registration {
                answer: MutationResult {
                    id: Some(user.0),
                    // A retried attempt writes nothing and answers the account's position, as
                    // a retried registration does.
                    position: noted.ok().map(|done| done.position.to_string()),
                    user_errors: vec![],
                },
                opened: false,
            })
        }
        result => {
            let opened = result.is_ok();
            outcome(user.0, result).map(|answer| Registration { answer, opened })
        }
    }
}
