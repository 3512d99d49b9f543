//! The categories a search looks in (the chosen one and those below it, or all of them) and the
//! attributes they share: without one category's schema, filters and facets use what the
//! categories agree on.

use std::collections::BTreeMap;

use zhuchao_domain::category::{AttributeDef, AttributeKind, CategorySchema};
use zhuchao_domain::ids::CategoryId;

use crate::catalogue::{Catalogue, CategoryInfo};

pub(crate) struct Scope<'a> {
    /// By id, so that what is merged from them does not depend on a map's order.
    pub categories: Vec<(CategoryId, &'a CategoryInfo)>,
}

impl<'a> Scope<'a> {
    pub fn of(catalogue: &'a Catalogue, chosen: Option<CategoryId>) -> Self {
        let mut categories: Vec<(CategoryId, &CategoryInfo)> = catalogue
            .categories
            .iter()
            .filter(|(id, _)| chosen.is_none_or(|c| catalogue.path(**id).contains(&c)))
            .map(|(id, info)| (*id, info))
            .collect();
        categories.sort_by_key(|(id, _)| *id);
        Scope { categories }
    }

    /// Every attribute of the categories, once per key, where all that have it agree on its kind
    /// (and a number's unit); listed values are the union; required where all require it.
    pub fn merged(&self) -> CategorySchema {
        let mut merged: BTreeMap<&str, Option<AttributeDef>> = BTreeMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (_, info) in &self.categories {
            for def in &info.schema.attributes {
                let Some(known) = merged.get_mut(def.key.as_str()) else {
                    merged.insert(&def.key, Some(def.clone()));
                    order.push(&def.key);
                    continue;
                };
                let Some(into) = known else { continue };
                let agree = match (&mut into.kind, &def.kind) {
                    (AttributeKind::Enum { values }, AttributeKind::Enum { values: more }) => {
                        for v in more {
                            if !values.contains(v) {
                                values.push(v.clone());
                            }
                        }
                        true
                    }
                    (
                        AttributeKind::Number { unit, min, max },
                        AttributeKind::Number {
                            unit: u,
                            min: lo,
                            max: hi,
                        },
                    ) => {
                        *min = min.zip(*lo).map(|(a, b)| a.min(b));
                        *max = max.zip(*hi).map(|(a, b)| a.max(b));
                        unit == u
                    }
                    (AttributeKind::Text, AttributeKind::Text) => true,
                    _ => false,
                };
                if agree {
                    into.required &= def.required;
                } else {
                    *known = None;
                }
            }
        }
        CategorySchema {
            attributes: order
                .into_iter()
                .filter_map(|key| merged.remove(key).flatten())
                .collect(),
        }
    }

    /// The keys of `schema` that every one of these categories has.
    pub fn common(&self, schema: &CategorySchema, with_hits: &[CategoryId]) -> Vec<AttributeDef> {
        let has = |id: &CategoryId, key: &str| {
            self.categories
                .iter()
                .find(|(c, _)| c == id)
                .is_some_and(|(_, info)| info.schema.get(key).is_some())
        };
        schema
            .attributes
            .iter()
            .filter(|def| !with_hits.is_empty() && with_hits.iter().all(|c| has(c, &def.key)))
            .cloned()
            .collect()
    }

    /// The schemas of the categories, for reading typed words.
    pub fn schemas(&self) -> impl Iterator<Item = &'a CategorySchema> + '_ {
        self.categories.iter().map(|(_, info)| &info.schema)
    }
}
