//! Global ids (Relay's `ID`): every object's id names its type and its uuid,
//! `gid://zhuchao/Order/0193a1f0-…`, so `node(id:)` can fetch anything and an id of one type is
//! never taken for another. Clients treat them as opaque.

use async_graphql::ID;
use uuid::Uuid;

/// The types a global id may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Category,
    Company,
    Dispute,
    Order,
    Product,
    Quote,
    Rfq,
    Supplier,
    User,
}

const PREFIX: &str = "gid://zhuchao/";

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::Category,
        Kind::Company,
        Kind::Dispute,
        Kind::Order,
        Kind::Product,
        Kind::Quote,
        Kind::Rfq,
        Kind::Supplier,
        Kind::User,
    ];

    /// The type's name in the id, as in the schema.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Category => "Category",
            Kind::Company => "Company",
            Kind::Dispute => "Dispute",
            Kind::Order => "Order",
            Kind::Product => "Product",
            Kind::Quote => "Quote",
            Kind::Rfq => "Rfq",
            Kind::Supplier => "Supplier",
            Kind::User => "User",
        }
    }
}

/// The global id of `uuid` as a `kind`.
pub fn encode(kind: Kind, uuid: Uuid) -> ID {
    ID(format!("{PREFIX}{}/{uuid}", kind.name()))
}

/// The kind and uuid a global id names, if it is one.
pub fn decode_any(id: &str) -> Option<(Kind, Uuid)> {
    let (name, uuid) = id.strip_prefix(PREFIX)?.split_once('/')?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == name)?;
    // Only the hyphenated form this API gives out, so one thing has one id.
    let parsed = Uuid::parse_str(uuid).ok()?;
    (parsed.hyphenated().to_string() == uuid).then_some((kind, parsed))
}

/// The uuid a global id of `kind` names; `None` for anything else (another type's id, a bare
/// uuid, garbage), which callers answer as they answer an id that does not exist.
pub fn decode(kind: Kind, id: &str) -> Option<Uuid> {
    decode_any(id).filter(|(k, _)| *k == kind).map(|(_, u)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_an_encoded_id_then_it_decodes_only_as_its_own_kind() {
        let uuid = Uuid::from_u128(0x0193_a1f0_0000_7000_8000_0000_0000_0042);
        let id = encode(Kind::Order, uuid);
        assert_eq!(
            id.as_str(),
            "gid://zhuchao/Order/0193a1f0-0000-7000-8000-000000000042"
        );
        assert_eq!(decode(Kind::Order, &id), Some(uuid));
        assert_eq!(decode(Kind::Rfq, &id), None);
        assert_eq!(decode_any(&id), Some((Kind::Order, uuid)));
    }

    #[test]
    fn given_what_is_not_a_global_id_then_nothing_is_named() {
        for text in [
            "0193a1f0-0000-7000-8000-000000000042",
            "gid://zhuchao/Order/",
            "gid://zhuchao/Invoice/0193a1f0-0000-7000-8000-000000000042",
            "gid://zhuchao/Order/0193A1F0-0000-7000-8000-000000000042",
            "gid://zhuchao/Order/0193a1f0000070008000000000000042",
            "gid://shopify/Order/0193a1f0-0000-7000-8000-000000000042",
        ] {
            assert_eq!(decode(Kind::Order, text), None, "{text}");
        }
    }
}
