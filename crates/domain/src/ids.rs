//! Typed ids, so that an order id can never be passed where a supplier id is expected. Ids are
//! made by the caller (the application's id port), never inside the domain.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

id!(/// A person signed in to Zhuchao: buyer, supplier staff, agent or admin.
    UserId);
id!(/// A buyer company, to which buyers belong.
    CompanyId);
id!(/// A supplier company.
    SupplierId);
id!(/// A category of the catalogue, with its attribute schema.
    CategoryId);
id!(/// A sellable part.
    ProductId);
id!(/// A request for quote.
    RfqId);
id!(/// One supplier's quote on an RFQ.
    QuoteId);
id!(/// An order; its escrow shares the id.
    OrderId);
id!(/// A dispute over an order.
    DisputeId);
