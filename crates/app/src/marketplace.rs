//! The marketplace's use cases that need facts from more than one aggregate: applying as a
//! supplier claims its credit code first; a product is validated against its category's schema;
//! publishing and quoting ask whether the supplier may sell; a cart is priced from the products
//! as they are now; a dispute holds what the escrow holds. Each loads the facts, then runs one
//! aggregate's command through the [`CommandHandler`].

use std::collections::BTreeMap;
use std::sync::Arc;

use zhuchao_domain::category::Category;
use zhuchao_domain::credit_code::CreditCode;
use zhuchao_domain::credit_record::{CreditRecord, CreditRecordCommand};
use zhuchao_domain::dispute::{
    Dispute, DisputeCommand, DisputeEvent, DisputeReason, DisputeState, DisputeStatus,
};
use zhuchao_domain::escrow::Escrow;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{
    merge_items, CartItem, Order, OrderCommand, OrderEvent, OrderState, OrderStatus, Party,
    ProductFacts,
};
use zhuchao_domain::payment::{Capture, Payment, PaymentError as CaptureError, PaymentEvent};
use zhuchao_domain::product::{
    Product, ProductCommand, ProductEvent, ProductSheet, ProductState, ProductStatus,
};
use zhuchao_domain::review::{Rate, Review, ReviewEvent};
use zhuchao_domain::rfq::{Invitee, QuotingSupplier, Rfq, RfqCommand, RfqEvent, RfqSpec, RfqState};
use zhuchao_domain::supplier::{
    Contact, Supplier, SupplierCommand, SupplierEvent, SupplierState, DEFAULT_DEPOSIT,
};
use zhuchao_domain::{Aggregate, Timestamp};
use zhuchao_eventstore::{EventStore, StoreError};

use crate::handler::{AppError, CommandContext, CommandHandler, Executed, LoadError};
use crate::ports::{PaymentError, PaymentProvider};
use zhuchao_domain::error_codes::{Coded, ErrorCode};

/// Platform settings an admin may change.
#[derive(Clone, Debug)]
pub struct Settings {
    pub deposit: Money,
    pub rfq_response_sla_ms: Timestamp,
    pub auto_release_days: i64,
    pub dispute_answer_ms: Timestamp,
    /// How long a placed order waits for its payment before it is cancelled and its stock
    /// given back.
    pub payment_window_ms: Timestamp,
}

/// The default payment window: 24 hours.
pub const DEFAULT_PAYMENT_WINDOW_MS: Timestamp = 24 * zhuchao_domain::HOUR_MS;

impl Default for Settings {
    fn default() -> Self {
        Self {
            deposit: DEFAULT_DEPOSIT,
            rfq_response_sla_ms: zhuchao_domain::rfq::DEFAULT_RESPONSE_SLA_MS,
            auto_release_days: zhuchao_domain::escrow::DEFAULT_AUTO_RELEASE_DAYS,
            dispute_answer_ms: zhuchao_domain::dispute::DEFAULT_ANSWER_MS,
            payment_window_ms: DEFAULT_PAYMENT_WINDOW_MS,
        }
    }
}

/// Any use case's failure, with the rule's stable code when a rule refused it.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error("{message}")]
    Rejected { code: ErrorCode, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the {0} kept changing while this was decided; try again")]
    Conflict(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored event cannot be read: {0}")]
    Codec(String),
    #[error("{0}")]
    Unavailable(String),
}

impl MarketError {
    pub fn code(&self) -> ErrorCode {
        match self {
            MarketError::Rejected { code, .. } => *code,
            MarketError::NotFound(_) => ErrorCode::NotFound,
            MarketError::Conflict(_) => ErrorCode::Conflict,
            MarketError::Unavailable(_) => ErrorCode::Unavailable,
            MarketError::Store(_) | MarketError::Codec(_) => ErrorCode::Internal,
        }
    }
}

impl<E: std::error::Error + Coded + 'static> From<AppError<E>> for MarketError {
    fn from(e: AppError<E>) -> Self {
        match e {
            AppError::Rejected(rule) => MarketError::Rejected {
                code: rule.code(),
                message: rule.to_string(),
            },
            AppError::Conflict(kind) => MarketError::Conflict(kind),
            AppError::Store(s) => MarketError::Store(s),
            AppError::Codec(c) => MarketError::Codec(c.to_string()),
        }
    }
}

impl From<LoadError> for MarketError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Store(s) => MarketError::Store(s),
            LoadError::Codec(c) => MarketError::Codec(c.to_string()),
        }
    }
}

pub struct SupplierApplication {
    pub id: SupplierId,
    pub company_name: String,
    pub credit_code: String,
    pub categories: Vec<CategoryId>,
    pub contact: Contact,
}

pub struct Marketplace<S> {
    pub handler: CommandHandler<S>,
    pub settings: Settings,
    pub payments: Arc<dyn PaymentProvider>,
    paying: Arc<InFlight>,
}

impl<S: Clone> Clone for Marketplace<S> {
    fn clone(&self) -> Self {
        Self {
            handler: self.handler.clone(),
            settings: self.settings.clone(),
            payments: self.payments.clone(),
            paying: self.paying.clone(),
        }
    }
}

/// The orders being charged right now by this process: a second attempt waits its turn rather
/// than charging the buyer twice.
#[derive(Default)]
struct InFlight(std::sync::Mutex<std::collections::BTreeSet<OrderId>>);

struct Flight<'a>(&'a InFlight, OrderId);

impl InFlight {
    fn begin(&self, order: OrderId) -> Option<Flight<'_>> {
        let mut orders = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Lazily: a Flight made and dropped here would lock the set again.
        orders.insert(order).then(|| Flight(self, order))
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.0
             .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.1);
    }
}

pub(crate) fn rejected(code: ErrorCode, message: impl Into<String>) -> MarketError {
    MarketError::Rejected {
        code,
        message: message.into(),
    }
}

impl<S: EventStore + Clone> Marketplace<S> {
    pub fn new(
        handler: CommandHandler<S>,
        settings: Settings,
        payments: Arc<dyn PaymentProvider>,
    ) -> Self {
        Self {
            handler,
            settings,
            payments,
            paying: Arc::default(),
        }
    }

    /// The buyer pays an order: the provider charges the order's total (once per idempotency
    /// key) and the capture is recorded; the process managers then fund the order's escrow. An
    /// order already paid under another key is refused before anything is charged; a charge
    /// that lost the race to another key is refunded at once.
    pub async fn pay_order(
        &self,
        ctx: &CommandContext,
        order: OrderId,
        company: CompanyId,
        idempotency_key: &str,
    ) -> Result<Executed<PaymentEvent>, MarketError> {
        if idempotency_key.trim().is_empty() || idempotency_key.len() > 200 {
            return Err(rejected(
                ErrorCode::BadIdempotencyKey,
                "the idempotency key must be 1 to 200 characters",
            ));
        }
        let o = self.handler.load::<Order>(order).await?.state;
        if o.company != Some(company) {
            return Err(MarketError::NotFound("order"));
        }
        let total = o.total.ok_or(MarketError::NotFound("order"))?;
        let earlier = self.handler.load::<Payment>(order).await?;
        match &earlier.state.captured {
            Some(p) if p.idempotency_key == idempotency_key => {
                return Ok(Executed {
                    events: vec![],
                    position: earlier.position,
                })
            }
            Some(_) => {
                return Err(rejected(
                    ErrorCode::AlreadyPaid,
                    "the order is already paid by another payment",
                ))
            }
            None => {}
        }
        if o.status != OrderStatus::Placed {
            return Err(rejected(
                ErrorCode::NotPayable,
                format!("the order is {:?}, not awaiting payment", o.status),
            ));
        }
        // No money goes into escrow for a supplier that has stopped selling (exited,
        // suspended, lapsed) since the order was placed; the order lapses unpaid.
        let supplier = o.supplier.ok_or(MarketError::NotFound("order"))?;
        if !self.supplier_may_sell(supplier).await?.0 {
            return Err(rejected(
                ErrorCode::SupplierNotSelling,
                "the supplier may not sell now; this order cannot be paid",
            ));
        }
        let Some(_flight) = self.paying.begin(order) else {
            return Err(rejected(
                ErrorCode::PaymentInProgress,
                "another payment of this order is being made; try again in a moment",
            ));
        };
        let receipt = self
            .payments
            .charge(order, total, idempotency_key)
            .await
            .map_err(|e| match e {
                PaymentError::Unavailable(_) => MarketError::Unavailable(e.to_string()),
                other => rejected(other.code(), other.to_string()),
            })?;
        let capture = Capture {
            order,
            amount: total,
            payment_id: receipt.payment_id.clone(),
            idempotency_key: idempotency_key.to_string(),
            at: self.handler.now(),
        };
        match self.handler.execute::<Payment>(order, capture, ctx).await {
            Err(AppError::Rejected(CaptureError::AlreadyPaid)) => {
                // Another process paid it between the check and the capture: give this back.
                if let Err(e) = self.payments.refund(&receipt.payment_id).await {
                    tracing::error!(%order, payment = %receipt.payment_id, error = %e,
                        "a charge that could not be recorded was not refunded");
                    return Err(MarketError::Unavailable(e.to_string()));
                }
                Err(rejected(
                    ErrorCode::AlreadyPaid,
                    "the order is already paid by another payment; this charge was refunded",
                ))
            }
            other => Ok(other?),
        }
    }

    pub(crate) async fn supplier_standing(
        &self,
        supplier: SupplierId,
    ) -> Result<SupplierState, MarketError> {
        let s = self.handler.load::<Supplier>(supplier).await?.state;
        if s.id.is_none() {
            return Err(MarketError::NotFound("supplier"));
        }
        Ok(s)
    }

    async fn supplier_may_sell(
        &self,
        supplier: SupplierId,
    ) -> Result<(bool, Vec<CategoryId>), MarketError> {
        let s = self.supplier_standing(supplier).await?;
        Ok((s.may_sell_at(self.handler.now()), s.categories))
    }

    /// Claims the credit code on the platform, then records the application.
    pub async fn apply_supplier(
        &self,
        ctx: &CommandContext,
        a: SupplierApplication,
    ) -> Result<Executed<SupplierEvent>, MarketError> {
        let code = CreditCode::parse(&a.credit_code)
            .map_err(|e| rejected(ErrorCode::BadCreditCode, e.to_string()))?;
        for category in &a.categories {
            if !self
                .handler
                .load::<Category>(*category)
                .await?
                .state
                .created
            {
                return Err(rejected(
                    ErrorCode::NoSuchCategory,
                    format!("category {category} does not exist"),
                ));
            }
        }
        let at = self.handler.now();
        let apply = SupplierCommand::Apply {
            id: a.id,
            company_name: a.company_name.clone(),
            credit_code: code.clone(),
            categories: a.categories.clone(),
            contact: a.contact.clone(),
            deposit_required: self.settings.deposit,
            at,
        };
        // The whole application is checked before the code is claimed: a refused one claims
        // nothing.
        let current = self.handler.load::<Supplier>(a.id).await?.state;
        Supplier::decide(&current, apply.clone()).map_err(AppError::Rejected)?;
        self.handler
            .execute::<CreditRecord>(
                code.as_str(),
                CreditRecordCommand::Claim {
                    supplier: a.id,
                    company_name: a.company_name.clone(),
                    at,
                },
                ctx,
            )
            .await?;
        Ok(self.handler.execute::<Supplier>(a.id, apply, ctx).await?)
    }

    /// Drafts a product against its category's current schema.
    pub async fn draft_product(
        &self,
        ctx: &CommandContext,
        id: ProductId,
        supplier: SupplierId,
        sheet: ProductSheet,
        attributes: BTreeMap<String, String>,
    ) -> Result<Executed<ProductEvent>, MarketError> {
        let ours = |p: &ProductState| p.supplier == Some(supplier);
        if let Some(earlier) = self.earlier::<Product>(id, "product", ours).await? {
            return earlier;
        }
        let category = self.handler.load::<Category>(sheet.category).await?.state;
        if !category.created {
            return Err(MarketError::NotFound("category"));
        }
        let standing = self.supplier_standing(supplier).await?;
        if !standing.categories.contains(&sheet.category) {
            return Err(rejected(
                ErrorCode::CategoryNotServed,
                "the supplier did not register for this category",
            ));
        }
        let command = ProductCommand::Draft {
            id,
            supplier,
            supplier_may_list: standing.may_list(),
            sheet,
            attributes,
            schema: category.schema,
        };
        match self.handler.execute::<Product>(id, command, ctx).await {
            Ok(drafted) => Ok(drafted),
            // A concurrent retry drafted it first.
            Err(e) => match self.earlier::<Product>(id, "product", ours).await? {
                Some(earlier) => earlier,
                None => Err(e.into()),
            },
        }
    }

    /// The answer to a retried creation: `None` while nothing exists under `id`; the thing
    /// already made (nothing written) when `ours` says the caller made it; ALREADY_EXISTS when
    /// someone else holds the id.
    #[allow(clippy::type_complexity)]
    async fn earlier<A: Aggregate>(
        &self,
        id: impl std::fmt::Display,
        what: &str,
        ours: impl FnOnce(&A::State) -> bool,
    ) -> Result<Option<Result<Executed<A::Event>, MarketError>>, MarketError> {
        let existing = self.handler.load::<A>(id).await?;
        Ok(existing.version.is_some().then(|| {
            if ours(&existing.state) {
                Ok(Executed {
                    events: vec![],
                    position: existing.position,
                })
            } else {
                Err(rejected(
                    ErrorCode::AlreadyExists,
                    format!("this {what} id is taken"),
                ))
            }
        }))
    }

    /// Revises a product against its category's current schema.
    pub async fn revise_product(
        &self,
        ctx: &CommandContext,
        id: ProductId,
        supplier: SupplierId,
        sheet: ProductSheet,
        attributes: BTreeMap<String, String>,
    ) -> Result<Executed<ProductEvent>, MarketError> {
        let category = self.handler.load::<Category>(sheet.category).await?.state;
        if !category.created {
            return Err(MarketError::NotFound("category"));
        }
        let standing = self.supplier_standing(supplier).await?;
        let command = ProductCommand::Revise {
            supplier,
            supplier_may_list: standing.may_list(),
            sheet,
            attributes,
            schema: category.schema,
        };
        Ok(self.handler.execute::<Product>(id, command, ctx).await?)
    }

    pub async fn publish_product(
        &self,
        ctx: &CommandContext,
        product: ProductId,
        supplier: SupplierId,
    ) -> Result<Executed<ProductEvent>, MarketError> {
        let (may_sell, _) = self.supplier_may_sell(supplier).await?;
        let command = ProductCommand::Publish {
            supplier,
            supplier_may_sell: may_sell,
        };
        Ok(self
            .handler
            .execute::<Product>(product, command, ctx)
            .await?)
    }

    /// Places one order for the items of one supplier, priced from the products as they are
    /// now. The stock is reserved first, product by product (each product's stream decides, so
    /// concurrent buyers can never take more than there is), then the order is placed; if
    /// anything is refused, what was reserved is given back. Placing again under the same id
    /// answers the order already placed.
    #[allow(clippy::too_many_arguments)]
    pub async fn place_cart_order(
        &self,
        ctx: &CommandContext,
        id: OrderId,
        buyer: UserId,
        company: CompanyId,
        items: Vec<(ProductId, u64)>,
        address: String,
        expected_total: Option<Money>,
    ) -> Result<Executed<OrderEvent>, MarketError> {
        let ours = |o: &OrderState| o.buyer == Some(buyer);
        if let Some(earlier) = self.earlier::<Order>(id, "order", ours).await? {
            return earlier;
        }
        let mut cart = Vec::with_capacity(items.len());
        for (product, quantity) in items {
            let p = self.handler.load::<Product>(product).await?.state;
            let (Some(sheet), Some(supplier)) = (p.sheet, p.supplier) else {
                return Err(MarketError::NotFound("product"));
            };
            let facts = ProductFacts {
                product,
                supplier,
                title: p.title,
                published: p.status == ProductStatus::Published,
                moq: sheet.moq,
                pack_size: sheet.pack_size,
                tiers: sheet.tiers,
                shipping_cost: sheet.shipping_cost,
            };
            cart.push(CartItem { facts, quantity });
        }
        let supplier = cart
            .first()
            .map(|i| i.facts.supplier)
            .ok_or_else(|| rejected(ErrorCode::EmptyCart, "an order needs at least one item"))?;
        let (may_sell, _) = self.supplier_may_sell(supplier).await?;
        let at = self.handler.now();
        let mut wanted: Vec<(ProductId, u64)> = merge_items(cart.clone())
            .into_iter()
            .map(|i| (i.facts.product, i.quantity))
            .collect();
        wanted.sort();
        let command = OrderCommand::PlaceFromCart {
            id,
            buyer,
            company,
            supplier,
            supplier_may_sell: may_sell,
            items: cart,
            address,
            expected_total,
            at,
        };
        // Every rule but the stock's first, so a refused cart reserves nothing.
        Order::decide(&OrderState::default(), command.clone()).map_err(AppError::Rejected)?;
        let mut reserved = Vec::with_capacity(wanted.len());
        for (product, quantity) in &wanted {
            let reserve = ProductCommand::Reserve {
                order: id,
                quantity: *quantity,
                at,
            };
            if let Err(e) = self.handler.execute::<Product>(product, reserve, ctx).await {
                self.release_reservations(ctx, id, &reserved, at).await;
                return Err(e.into());
            }
            reserved.push(*product);
        }
        match self.handler.execute::<Order>(id, command, ctx).await {
            Ok(placed) => {
                // The supplier may have stopped selling while this was placed (an exit decided
                // on a count of open orders that did not see this one yet): then the order is
                // cancelled at once, which gives its stock back.
                if self.supplier_may_sell(supplier).await?.0 {
                    return Ok(placed);
                }
                let cancel = OrderCommand::Cancel {
                    party: Party::Platform,
                    company: None,
                    supplier: None,
                    reason: "the supplier stopped selling while the order was placed".into(),
                    at: self.handler.now(),
                };
                self.handler.execute::<Order>(id, cancel, ctx).await?;
                Err(rejected(
                    ErrorCode::SupplierNotSelling,
                    "the supplier stopped selling while the order was placed; it was cancelled",
                ))
            }
            Err(e) => {
                // A retry of the same placing may have placed it meanwhile: its reservations
                // are that order's, and the answer is the order.
                match self.earlier::<Order>(id, "order", ours).await? {
                    Some(Ok(placed)) => Ok(placed),
                    Some(Err(_)) => Err(e.into()),
                    None => {
                        self.release_reservations(ctx, id, &reserved, at).await;
                        Err(e.into())
                    }
                }
            }
        }
    }

    /// Gives back what a placing reserved before it was refused. A failure here leaves the
    /// reservation to the process managers' reservation check, which releases it later.
    async fn release_reservations(
        &self,
        ctx: &CommandContext,
        order: OrderId,
        products: &[ProductId],
        at: Timestamp,
    ) {
        for product in products {
            let release = ProductCommand::Release { order, at };
            if let Err(e) = self.handler.execute::<Product>(product, release, ctx).await {
                tracing::warn!(%order, %product, error = %e, "reservation left for the reservation check");
            }
        }
    }

    /// Sends an RFQ: the spec is checked against the category's schema and every invited
    /// supplier must be on the platform and allowed to sell.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_rfq(
        &self,
        ctx: &CommandContext,
        id: RfqId,
        buyer: UserId,
        company: CompanyId,
        spec: RfqSpec,
        invited: Vec<SupplierId>,
    ) -> Result<Executed<RfqEvent>, MarketError> {
        let ours = |r: &RfqState| r.buyer == Some(buyer);
        if let Some(earlier) = self.earlier::<Rfq>(id, "RFQ", ours).await? {
            return earlier;
        }
        let category = self.handler.load::<Category>(spec.category).await?.state;
        let schema = category.created.then_some(category.schema);
        let at = self.handler.now();
        let mut invitees = Vec::with_capacity(invited.len().min(64));
        for supplier in invited.into_iter().take(64) {
            let s = self.handler.load::<Supplier>(supplier).await?.state;
            invitees.push(Invitee {
                id: supplier,
                // An applicant not yet live is not public: it is answered as unknown, so an RFQ
                // cannot be used to find out who applied.
                known: s.id.is_some() && s.went_live,
                may_sell: s.may_sell_at(at),
            });
        }
        let command = RfqCommand::Create {
            id,
            buyer,
            company,
            spec,
            schema,
            invited: invitees,
            response_sla_ms: self.settings.rfq_response_sla_ms,
            at,
        };
        match self.handler.execute::<Rfq>(id, command, ctx).await {
            Ok(sent) => Ok(sent),
            Err(e) => {
                // A concurrent retry sent it first.
                match self.earlier::<Rfq>(id, "RFQ", ours).await? {
                    Some(Ok(sent)) => Ok(sent),
                    _ => Err(e.into()),
                }
            }
        }
    }

    /// A supplier's quote on an RFQ; eligibility comes from the supplier's standing and categories.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_quote(
        &self,
        ctx: &CommandContext,
        rfq: RfqId,
        quote: QuoteId,
        supplier: SupplierId,
        unit_price: Money,
        lead_time_days: u32,
        valid_until: Timestamp,
        note: String,
    ) -> Result<Executed<RfqEvent>, MarketError> {
        let (may_sell, categories) = self.supplier_may_sell(supplier).await?;
        let category = self.handler.load::<Rfq>(rfq).await?.state.category;
        let serves_category = category.is_some_and(|c| categories.contains(&c));
        let command = RfqCommand::SubmitQuote {
            quote,
            supplier: QuotingSupplier {
                id: supplier,
                may_sell,
                serves_category,
            },
            unit_price,
            lead_time_days,
            valid_until,
            note,
            at: self.handler.now(),
        };
        Ok(self.handler.execute::<Rfq>(rfq, command, ctx).await?)
    }

    /// Opens a dispute on an order for the amount its escrow holds now. The order's stream
    /// decides that it has one dispute at a time and only while its money is held (a receipt
    /// or a refund sent at the same moment is serialised there, so a ruling always finds its
    /// money); then the dispute itself is opened.
    #[allow(clippy::too_many_arguments)]
    pub async fn open_dispute(
        &self,
        ctx: &CommandContext,
        id: DisputeId,
        order: OrderId,
        opened_by: Party,
        by: UserId,
        party: (Option<CompanyId>, Option<SupplierId>),
        reason: DisputeReason,
        statement: String,
        files: Vec<String>,
        claimed: Money,
    ) -> Result<Executed<DisputeEvent>, MarketError> {
        let o = self.handler.load::<Order>(order).await?.state;
        let (Some(company), Some(supplier)) = (o.company, o.supplier) else {
            return Err(MarketError::NotFound("order"));
        };
        let ours =
            |d: &DisputeState| d.order == Some(order) && d.status != DisputeStatus::Abandoned;
        if let Some(earlier) = self.earlier::<Dispute>(id, "dispute", ours).await? {
            return earlier;
        }
        let held = self.handler.load::<Escrow>(order).await?.state.remaining();
        let at = self.handler.now();
        let command = DisputeCommand::Open {
            id,
            order,
            company,
            supplier,
            opened_by,
            by,
            reason,
            statement,
            files,
            claimed,
            held,
            answer_within_ms: self.settings.dispute_answer_ms,
            at,
        };
        if !held.is_positive() {
            return Err(rejected(
                ErrorCode::NothingHeld,
                "the escrow holds nothing for this order",
            ));
        }
        // The dispute's own rules first, so a refused one never marks the order.
        Dispute::decide(&Default::default(), command.clone()).map_err(AppError::Rejected)?;
        let mark = OrderCommand::OpenDispute {
            dispute: id,
            party: opened_by,
            company: party.0,
            supplier: party.1,
            at,
        };
        self.handler.execute::<Order>(order, mark, ctx).await?;
        match self.handler.execute::<Dispute>(id, command, ctx).await {
            Ok(opened) => Ok(opened),
            Err(e) => {
                // The order must not stay held by a dispute that does not exist.
                let end = OrderCommand::EndDispute { dispute: id, at };
                if let Err(end_error) = self.handler.execute::<Order>(order, end, ctx).await {
                    tracing::warn!(%order, dispute = %id, error = %end_error, "left to the dispute check");
                }
                Err(e.into())
            }
        }
    }

    /// An agent's ruling; a penalty may not exceed the supplier's deposit.
    #[allow(clippy::too_many_arguments)]
    pub async fn rule_dispute(
        &self,
        ctx: &CommandContext,
        dispute: DisputeId,
        agent: UserId,
        refund: Money,
        release: Money,
        penalty: Option<Money>,
        warn: bool,
        note: String,
    ) -> Result<Executed<DisputeEvent>, MarketError> {
        let d = self.handler.load::<Dispute>(dispute).await?.state;
        let supplier = d.supplier.ok_or(MarketError::NotFound("dispute"))?;
        let deposit_held = self
            .supplier_standing(supplier)
            .await?
            .deposit_held
            .unwrap_or(Money::cny(0));
        let command = DisputeCommand::Rule {
            agent,
            refund,
            release,
            penalty,
            deposit_held,
            warn,
            note,
            at: self.handler.now(),
        };
        Ok(self
            .handler
            .execute::<Dispute>(dispute, command, ctx)
            .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn rate_order(
        &self,
        ctx: &CommandContext,
        order: OrderId,
        company: CompanyId,
        buyer: UserId,
        scores: (u8, u8, u8),
        comment: String,
    ) -> Result<Executed<ReviewEvent>, MarketError> {
        let o = self.handler.load::<Order>(order).await?.state;
        // Another company's order answers as one that does not exist.
        let supplier = o
            .supplier
            .filter(|_| o.company == Some(company))
            .ok_or(MarketError::NotFound("order"))?;
        let command = Rate {
            order,
            company,
            buyer,
            supplier,
            order_completed_for_company: o.status == OrderStatus::Completed
                && o.company == Some(company),
            quality: scores.0,
            delivery: scores.1,
            service: scores.2,
            comment,
            at: self.handler.now(),
        };
        Ok(self.handler.execute::<Review>(order, command, ctx).await?)
    }

    /// Runs any aggregate's command that needs no outside facts.
    pub async fn run<A>(
        &self,
        ctx: &CommandContext,
        id: impl std::fmt::Display,
        command: A::Command,
    ) -> Result<Executed<A::Event>, MarketError>
    where
        A: Aggregate,
        A::Command: Clone,
    {
        Ok(self.handler.execute::<A>(id, command, ctx).await?)
    }
}
