//! The categories a search looks in (the chosen one and those below it, or all of them) and the
//! attributes they share: without one category's schema, filters and facets use what the
//! categories agree on. Worked out once per catalogue and category, not per search.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use zhuchao_domain::category::{AttributeDef, AttributeKind, CategorySchema};
use zhuchao_domain::ids::CategoryId;

use crate::catalogue::Catalogue;
use crate::vocabulary::Vocabulary;

pub(crate) struct Scope {
    /// Every attribute of the categories, once per key, where all that have it agree on its kind
    /// (and a number's unit); listed values are the union; required where all require it.
    pub merged: CategorySchema,
    /// Per category (its id as the index writes it): the positions in `merged` of its attributes.
    pub holds: Arc<HashMap<String, Vec<usize>>>,
    /// What typed words mean in these categories.
    pub vocabulary: Vocabulary,
}

impl Scope {
    pub fn of(catalogue: &Catalogue, chosen: Option<CategoryId>) -> Self {
        // By id, so that what is merged does not depend on a map's order.
        let mut categories: Vec<(CategoryId, &CategorySchema)> = catalogue
            .categories
            .iter()
            .filter(|(id, _)| chosen.is_none_or(|c| catalogue.path(**id).contains(&c)))
            .map(|(id, info)| (*id, &info.schema))
            .collect();
        categories.sort_by_key(|(id, _)| *id);
        let merged = merge(categories.iter().map(|(_, s)| *s));
        let holds: HashMap<String, Vec<usize>> = categories
            .iter()
            .map(|(id, schema)| {
                let held = merged
                    .attributes
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| schema.get(&d.key).is_some())
                    .map(|(i, _)| i)
                    .collect();
                (id.to_string(), held)
            })
            .collect();
        let mut vocabulary =
            Vocabulary::new(categories.iter().copied(), catalogue.synonyms(chosen));
        for (id, _) in &categories {
            for translation in catalogue
                .categories
                .get(id)
                .into_iter()
                .flat_map(|c| c.translations.values())
            {
                vocabulary.translated(translation);
            }
        }
        Scope {
            merged,
            holds: Arc::new(holds),
            vocabulary,
        }
    }

    /// The positions in `merged` of the attributes every one of `categories` has.
    pub fn common<'a>(&self, mut categories: impl Iterator<Item = &'a str>) -> Vec<usize> {
        let Some(first) = categories.next() else {
            return Vec::new();
        };
        let mut common: Vec<usize> = self.holds.get(first).cloned().unwrap_or_default();
        for c in categories {
            let held = self.holds.get(c).map(Vec::as_slice).unwrap_or_default();
            common.retain(|i| held.contains(i));
        }
        common
    }
}

fn merge<'a>(schemas: impl Iterator<Item = &'a CategorySchema>) -> CategorySchema {
    let mut merged: BTreeMap<&str, Option<AttributeDef>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for schema in schemas {
        for def in &schema.attributes {
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

/// A catalogue and the scopes worked out for it, by the category chosen.
type Worked = (Arc<Catalogue>, HashMap<Option<CategoryId>, Arc<Scope>>);

/// Scopes worked out for the catalogue of the last commit; a new catalogue starts afresh.
#[derive(Default)]
pub(crate) struct Scopes {
    cached: Mutex<Option<Worked>>,
}

/// At most this many categories' scopes are kept per catalogue.
const KEPT: usize = 1024;

impl Scopes {
    pub fn get(&self, catalogue: &Arc<Catalogue>, chosen: Option<CategoryId>) -> Arc<Scope> {
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if !cached
            .as_ref()
            .is_some_and(|(c, _)| Arc::ptr_eq(c, catalogue))
        {
            *cached = Some((catalogue.clone(), HashMap::new()));
        }
        let (_, scopes) = cached.as_mut().expect("just set");
        if let Some(scope) = scopes.get(&chosen) {
            return scope.clone();
        }
        let scope = Arc::new(Scope::of(catalogue, chosen));
        if scopes.len() >= KEPT {
            scopes.clear();
        }
        scopes.insert(chosen, scope.clone());
        scope
    }
}
