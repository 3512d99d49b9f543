//! What each mutation answers: its own payload type with the objects it changed, as the caller
//! may see them right after the write (read your writes), the position it wrote (pass it as
//! `atLeast` to any query) and why a rule refused it (`userErrors`). One payload per mutation,
//! so any of them can grow a field without touching the others.

use async_graphql::{ComplexObject, Context, SimpleObject};
use zhuchao_domain::ids::*;

use crate::api::{api, viewer, READ_YOUR_WRITES_WAIT};
use crate::errors::{api_error, ErrorCode, UserError};
use crate::read::Lens;
use crate::supplier_profile::SupplierOut;
use crate::trade::{DisputeOut, OrderOut, QuoteOut, RfqOut};
use crate::types::{CategoryOut, ProductOut, UserOut};

/// What a mutation wrote, and which objects its payload shows.
#[derive(Clone, Debug, Default)]
pub struct Written {
    pub position: Option<u64>,
    pub user_errors: Vec<UserError>,
    pub order: Option<OrderId>,
    pub rfq: Option<RfqId>,
    pub quote: Option<QuoteId>,
    pub dispute: Option<DisputeId>,
    pub supplier: Option<SupplierId>,
    pub product: Option<ProductId>,
    pub category: Option<CategoryId>,
    pub user: Option<UserId>,
    /// The order is made by a process after the write (an accepted quote's): wait for it.
    pub order_follows: bool,
}

impl Written {
    pub fn refused(error: UserError) -> Self {
        Written {
            user_errors: vec![error],
            ..Default::default()
        }
    }

    pub fn at(position: u64) -> Self {
        Written {
            position: Some(position),
            ..Default::default()
        }
    }

    /// Reads an object of the payload as the caller sees it once the read models hold the
    /// write; `None` when the mutation was refused.
    async fn read<T>(
        &self,
        ctx: &Context<'_>,
        id: Option<impl Copy>,
        build: impl Fn(&Lens<'_>) -> Option<T>,
    ) -> async_graphql::Result<Option<T>> {
        let (Some(position), Some(_)) = (self.position, id) else {
            return Ok(None);
        };
        if !self.user_errors.is_empty() {
            return Ok(None);
        }
        let a = api(ctx);
        a.views
            .wait_for(position, READ_YOUR_WRITES_WAIT)
            .await
            .map_err(|e| api_error(ErrorCode::NotCaughtUp, e.to_string()))?;
        let read = || {
            let views = a.views.read();
            let found = build(&Lens::new(&views, viewer(ctx), a.market.handler.now()));
            match views.failure() {
                Some(e) => Err(crate::errors::read_failed(e)),
                None => Ok(found),
            }
        };
        let mut found = read()?;
        if found.is_none() && self.order_follows {
            let started = std::time::Instant::now();
            while found.is_none() && started.elapsed() < READ_YOUR_WRITES_WAIT {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                found = read()?;
            }
        }
        Ok(found)
    }

    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrderOut>> {
        let id = self.order;
        self.read(ctx, id, |l| l.order(id?)).await
    }

    async fn rfq(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RfqOut>> {
        let id = self.rfq;
        self.read(ctx, id, |l| l.rfq(id?)).await
    }

    async fn quote(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<QuoteOut>> {
        let id = self.quote;
        self.read(ctx, id, |l| l.quote(id?)).await
    }

    async fn dispute(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DisputeOut>> {
        let id = self.dispute;
        self.read(ctx, id, |l| l.dispute(id?)).await
    }

    async fn supplier(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SupplierOut>> {
        let id = self.supplier;
        self.read(ctx, id, |l| l.supplier(id?)).await
    }

    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProductOut>> {
        let id = self.product;
        self.read(ctx, id, |l| l.product(id?)).await
    }

    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CategoryOut>> {
        let id = self.category;
        self.read(ctx, id, |l| l.category(id?)).await
    }

    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UserOut>> {
        let id = self.user;
        self.read(ctx, id, |l| l.user(id?)).await
    }
}

/// Declares payload types: each has `position` and `userErrors`, and resolves the objects it
/// names from what the mutation wrote.
macro_rules! payloads {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident { $($field:ident : $ty:ty),* $(,)? }
    )*) => {$(
        $(#[doc = $doc])+
        #[derive(SimpleObject)]
        #[graphql(complex)]
        pub struct $name {
            /// The global position written: pass it as `atLeast` to read this write.
            pub position: Option<String>,
            /// Why a rule refused the mutation; empty on success.
            pub user_errors: Vec<UserError>,
            #[graphql(skip)]
            pub written: Written,
        }

        impl From<Written> for $name {
            fn from(written: Written) -> Self {
                Self {
                    position: written.position.map(|p| p.to_string()),
                    user_errors: written.user_errors.clone(),
                    written,
                }
            }
        }

        #[ComplexObject]
        impl $name {
            $(
                #[doc = concat!("The ", stringify!($field), " as this write left it, as the caller sees it (none when refused).")]
                async fn $field(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<$ty>> {
                    self.written.$field(ctx).await
                }
            )*
        }
    )*};
}

payloads! {
    /// `createStaffAccount`.
    CreateStaffAccountPayload { user: UserOut }
    /// `submitDocument`.
    SubmitDocumentPayload { supplier: SupplierOut }
    /// `reviewDocument`.
    ReviewDocumentPayload { supplier: SupplierOut }
    /// `payDeposit`.
    PayDepositPayload { supplier: SupplierOut }
    /// `actOnSupplier`.
    ActOnSupplierPayload { supplier: SupplierOut }
    /// `createCategory`.
    CreateCategoryPayload { category: CategoryOut }
    /// `reviseCategory`.
    ReviseCategoryPayload { category: CategoryOut }
    /// `setCategorySynonyms`.
    SetCategorySynonymsPayload { category: CategoryOut }
    /// `translateCategory`.
    TranslateCategoryPayload { category: CategoryOut }
    /// `draftProduct`.
    DraftProductPayload { product: ProductOut }
    /// `reviseProduct`.
    ReviseProductPayload { product: ProductOut }
    /// `setStock`.
    SetStockPayload { product: ProductOut }
    /// `publishProduct`.
    PublishProductPayload { product: ProductOut }
    /// `unpublishProduct`.
    UnpublishProductPayload { product: ProductOut }
    /// `delistProduct`.
    DelistProductPayload { product: ProductOut }
    /// `placeOrder`: the order placed, its stock reserved.
    PlaceOrderPayload { order: OrderOut }
    /// `payOrder`: the payment is taken; the escrow is funded and the order marked paid by the
    /// processes that follow (watch `orderUpdates` or read the order again).
    PayOrderPayload { order: OrderOut }
    /// `cancelOrder`.
    CancelOrderPayload { order: OrderOut }
    /// `shipOrder`.
    ShipOrderPayload { order: OrderOut }
    /// `markDelivered`.
    MarkDeliveredPayload { order: OrderOut }
    /// `confirmReceipt`.
    ConfirmReceiptPayload { order: OrderOut }
    /// `requestReturn`.
    RequestReturnPayload { order: OrderOut }
    /// `answerReturn`.
    AnswerReturnPayload { order: OrderOut }
    /// `shipReturn`.
    ShipReturnPayload { order: OrderOut }
    /// `confirmReturnReceived`.
    ConfirmReturnReceivedPayload { order: OrderOut }
    /// `rateOrder`.
    RateOrderPayload { order: OrderOut }
    /// `createRfq`.
    CreateRfqPayload { rfq: RfqOut }
    /// `cancelRfq`.
    CancelRfqPayload { rfq: RfqOut }
    /// `submitQuote`.
    SubmitQuotePayload { quote: QuoteOut, rfq: RfqOut }
    /// `reviseQuote`.
    ReviseQuotePayload { quote: QuoteOut, rfq: RfqOut }
    /// `counterOffer`.
    CounterOfferPayload { quote: QuoteOut, rfq: RfqOut }
    /// `acceptQuote`: the RFQ is awarded; the order is made from the quote.
    AcceptQuotePayload { quote: QuoteOut, rfq: RfqOut, order: OrderOut }
    /// `openDispute`.
    OpenDisputePayload { dispute: DisputeOut, order: OrderOut }
    /// `addEvidence`.
    AddEvidencePayload { dispute: DisputeOut }
    /// `assignDispute`.
    AssignDisputePayload { dispute: DisputeOut }
    /// `ruleDispute`: the ruling; escrow is split by the processes that follow.
    RuleDisputePayload { dispute: DisputeOut }
    /// `withdrawDispute`.
    WithdrawDisputePayload { dispute: DisputeOut }
}

/// `registerBuyer`: the account and company opened (answered alike whether or not the email
/// already had an account, so registration tells nobody who has one).
#[derive(SimpleObject, Default)]
pub struct RegisterBuyerPayload {
    pub user_id: Option<async_graphql::ID>,
    pub position: Option<String>,
    pub user_errors: Vec<UserError>,
}

/// `applySupplier`: the application recorded (answered alike whether or not the email already
/// had an account).
#[derive(SimpleObject, Default)]
pub struct ApplySupplierPayload {
    pub user_id: Option<async_graphql::ID>,
    pub supplier_id: Option<async_graphql::ID>,
    pub position: Option<String>,
    pub user_errors: Vec<UserError>,
}

/// `signIn`: the token goes in `Authorization: Bearer …`.
#[derive(SimpleObject, Default)]
pub struct SignInPayload {
    pub token: Option<String>,
    pub user: Option<UserOut>,
    pub user_errors: Vec<UserError>,
}

/// `changePassword`: every other session of the account ended.
#[derive(SimpleObject, Default)]
pub struct ChangePasswordPayload {
    pub position: Option<String>,
    pub user_errors: Vec<UserError>,
}

/// `signOut`: the session (or every session) ended; its tokens are refused from now on.
#[derive(SimpleObject, Default)]
pub struct SignOutPayload {
    pub position: Option<String>,
    pub user_errors: Vec<UserError>,
}
