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
use zhuchao_domain::dispute::{Dispute, DisputeCommand, DisputeEvent, DisputeReason};
use zhuchao_domain::escrow::Escrow;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{
    CartItem, Order, OrderCommand, OrderEvent, OrderStatus, Party, ProductFacts,
};
use zhuchao_domain::payment::{Capture, Payment, PaymentEvent};
use zhuchao_domain::product::{Product, ProductCommand, ProductEvent, ProductSheet, ProductStatus};
use zhuchao_domain::review::{Rate, Review, ReviewEvent};
use zhuchao_domain::rfq::{QuotingSupplier, Rfq, RfqCommand, RfqEvent};
use zhuchao_domain::supplier::{
    Contact, Supplier, SupplierCommand, SupplierEvent, DEFAULT_DEPOSIT,
};
use zhuchao_domain::{Aggregate, Timestamp};
use zhuchao_eventstore::{EventStore, StoreError};

use crate::handler::{error_code, AppError, CommandContext, CommandHandler, Executed, LoadError};
use crate::ports::{PaymentError, PaymentProvider};

/// Platform settings an admin may change.
#[derive(Clone, Debug)]
pub struct Settings {
    pub deposit: Money,
    pub rfq_response_sla_ms: Timestamp,
    pub auto_release_days: i64,
    pub dispute_answer_ms: Timestamp,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            deposit: DEFAULT_DEPOSIT,
            rfq_response_sla_ms: zhuchao_domain::rfq::DEFAULT_RESPONSE_SLA_MS,
            auto_release_days: zhuchao_domain::escrow::DEFAULT_AUTO_RELEASE_DAYS,
            dispute_answer_ms: zhuchao_domain::dispute::DEFAULT_ANSWER_MS,
        }
    }
}

/// Any use case's failure, with the rule's stable code when a rule refused it.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error("{message}")]
    Rejected { code: String, message: String },
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
    pub fn code(&self) -> String {
        match self {
            MarketError::Rejected { code, .. } => code.clone(),
            MarketError::NotFound(_) => "NOT_FOUND".into(),
            MarketError::Conflict(_) => "CONFLICT".into(),
            MarketError::Unavailable(_) => "UNAVAILABLE".into(),
            MarketError::Store(_) | MarketError::Codec(_) => "INTERNAL".into(),
        }
    }
}

impl<E: std::error::Error + 'static> From<AppError<E>> for MarketError {
    fn from(e: AppError<E>) -> Self {
        match e {
            AppError::Rejected(rule) => MarketError::Rejected {
                code: error_code(&rule),
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
}

impl<S: Clone> Clone for Marketplace<S> {
    fn clone(&self) -> Self {
        Self {
            handler: self.handler.clone(),
            settings: self.settings.clone(),
            payments: self.payments.clone(),
        }
    }
}

fn rejected(code: &str, message: impl Into<String>) -> MarketError {
    MarketError::Rejected {
        code: code.into(),
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
        }
    }

    /// The buyer pays an order: the provider charges the order's total (once per idempotency
    /// key) and the capture is recorded; the process managers then fund the order's escrow.
    pub async fn pay_order(
        &self,
        ctx: &CommandContext,
        order: OrderId,
        company: CompanyId,
        idempotency_key: &str,
    ) -> Result<Executed<PaymentEvent>, MarketError> {
        let o = self.handler.load::<Order>(order).await?.state;
        if o.company != Some(company) {
            return Err(MarketError::NotFound("order"));
        }
        let total = o.total.ok_or(MarketError::NotFound("order"))?;
        let earlier = self.handler.load::<Payment>(order).await?.state.captured;
        let retry = earlier
            .as_ref()
            .is_some_and(|p| p.idempotency_key == idempotency_key);
        if o.status != OrderStatus::Placed && !retry {
            return Err(rejected(
                "NOT_PAYABLE",
                format!("the order is {:?}, not awaiting payment", o.status),
            ));
        }
        let receipt = self
            .payments
            .charge(order, total, idempotency_key)
            .await
            .map_err(|e| match e {
                PaymentError::Unavailable(_) => MarketError::Unavailable(e.to_string()),
                other => rejected(&error_code(&other), other.to_string()),
            })?;
        let capture = Capture {
            order,
            amount: total,
            payment_id: receipt.payment_id,
            idempotency_key: idempotency_key.to_string(),
            at: self.handler.now(),
        };
        Ok(self.handler.execute::<Payment>(order, capture, ctx).await?)
    }

    async fn supplier_may_sell(
        &self,
        supplier: SupplierId,
    ) -> Result<(bool, Vec<CategoryId>), MarketError> {
        let s = self.handler.load::<Supplier>(supplier).await?.state;
        if s.id.is_none() {
            return Err(MarketError::NotFound("supplier"));
        }
        Ok((s.may_sell(), s.categories))
    }

    /// Claims the credit code on the platform, then records the application.
    pub async fn apply_supplier(
        &self,
        ctx: &CommandContext,
        a: SupplierApplication,
    ) -> Result<Executed<SupplierEvent>, MarketError> {
        let code = CreditCode::parse(&a.credit_code)
            .map_err(|e| rejected("BAD_CREDIT_CODE", e.to_string()))?;
        let at = self.handler.now();
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
        let apply = SupplierCommand::Apply {
            id: a.id,
            company_name: a.company_name,
            credit_code: code,
            categories: a.categories,
            contact: a.contact,
            deposit_required: self.settings.deposit,
            at,
        };
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
        let category = self.handler.load::<Category>(sheet.category).await?.state;
        if !category.created {
            return Err(MarketError::NotFound("category"));
        }
        let (_, categories) = self.supplier_may_sell(supplier).await?;
        if !categories.contains(&sheet.category) {
            return Err(rejected(
                "CATEGORY_NOT_SERVED",
                "the supplier did not register for this category",
            ));
        }
        let command = ProductCommand::Draft {
            id,
            supplier,
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

    /// Places one order for the items of one supplier, priced from the products as they are now.
    #[allow(clippy::too_many_arguments)]
    pub async fn place_cart_order(
        &self,
        ctx: &CommandContext,
        id: OrderId,
        buyer: UserId,
        company: CompanyId,
        items: Vec<(ProductId, u64)>,
        address: String,
    ) -> Result<Executed<OrderEvent>, MarketError> {
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
                stock: sheet.stock,
                tiers: sheet.tiers,
                shipping_cost: sheet.shipping_cost,
            };
            cart.push(CartItem { facts, quantity });
        }
        let supplier = cart
            .first()
            .map(|i| i.facts.supplier)
            .ok_or_else(|| rejected("EMPTY_CART", "an order needs at least one item"))?;
        let (may_sell, _) = self.supplier_may_sell(supplier).await?;
        let command = OrderCommand::PlaceFromCart {
            id,
            buyer,
            company,
            supplier,
            supplier_may_sell: may_sell,
            items: cart,
            address,
            at: self.handler.now(),
        };
        Ok(self.handler.execute::<Order>(id, command, ctx).await?)
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

    /// Opens a dispute on an order for the amount its escrow holds now.
    #[allow(clippy::too_many_arguments)]
    pub async fn open_dispute(
        &self,
        ctx: &CommandContext,
        id: DisputeId,
        order: OrderId,
        opened_by: Party,
        by: UserId,
        reason: DisputeReason,
        statement: String,
        files: Vec<String>,
        claimed: Money,
    ) -> Result<Executed<DisputeEvent>, MarketError> {
        let o = self.handler.load::<Order>(order).await?.state;
        let (Some(company), Some(supplier)) = (o.company, o.supplier) else {
            return Err(MarketError::NotFound("order"));
        };
        if matches!(o.status, OrderStatus::Disputed | OrderStatus::Resolved) {
            return Err(rejected(
                "ALREADY_DISPUTED",
                "this order already has a dispute",
            ));
        }
        let held = self.handler.load::<Escrow>(order).await?.state.remaining();
        if !held.is_positive() {
            return Err(rejected(
                "NOTHING_HELD",
                "the escrow holds nothing for this order",
            ));
        }
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
            at: self.handler.now(),
        };
        Ok(self.handler.execute::<Dispute>(id, command, ctx).await?)
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
        let supplier = o.supplier.ok_or(MarketError::NotFound("order"))?;
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
