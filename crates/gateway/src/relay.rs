//! Relay's object identification: every object with an id is a `Node`, and `node(id:)` fetches
//! any of them by its global id — for those who may see it, and as not found for anyone else.

use async_graphql::{Interface, ID};
use zhuchao_domain::ids::*;

use crate::global_id::{decode_any, Kind};
use crate::read::Lens;
use crate::supplier_profile::SupplierOut;
use crate::trade::{DisputeOut, OrderOut, QuoteOut, RfqOut};
use crate::types::{CategoryOut, ProductOut, UserOut};

/// An object with a global id.
#[allow(clippy::large_enum_variant)] // one is built per `node` answer, never stored
#[derive(Interface)]
#[graphql(field(name = "id", ty = "&ID", desc = "The object's global id."))]
pub enum Node {
    Category(CategoryOut),
    Dispute(DisputeOut),
    Order(OrderOut),
    Product(ProductOut),
    Quote(QuoteOut),
    Rfq(RfqOut),
    Supplier(SupplierOut),
    User(UserOut),
}

/// The object `id` names, if the caller may see it.
pub fn node(lens: &Lens<'_>, id: &str) -> Option<Node> {
    let (kind, uuid) = decode_any(id)?;
    Some(match kind {
        Kind::Category => Node::Category(lens.category(CategoryId(uuid))?),
        Kind::Dispute => Node::Dispute(lens.dispute(DisputeId(uuid))?),
        Kind::Order => Node::Order(lens.order(OrderId(uuid))?),
        Kind::Product => Node::Product(lens.product(ProductId(uuid))?),
        Kind::Quote => Node::Quote(lens.quote(QuoteId(uuid))?),
        Kind::Rfq => Node::Rfq(lens.rfq(RfqId(uuid))?),
        Kind::Supplier => Node::Supplier(lens.supplier(SupplierId(uuid))?),
        Kind::User => Node::User(lens.user(UserId(uuid))?),
        Kind::Company => return None,
    })
}
