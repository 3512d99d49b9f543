//! Categories and their attribute schemas (admin-owned): which attributes a product of the
//! category has, their kinds and units. Products are validated and normalised against them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent};
use crate::ids::CategoryId;
use crate::units::{Measure, Unit};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AttributeKind {
    /// One of a fixed list, e.g. thread M3…M24.
    Enum { values: Vec<String> },
    /// A number in the category's base unit, optionally bounded.
    Number {
        unit: Unit,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// Free text.
    Text,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeDef {
    /// Stable key, e.g. `thread`.
    pub key: String,
    /// Shown to people, e.g. `Thread / 螺纹`.
    pub label: String,
    pub kind: AttributeKind,
    pub required: bool,
}

/// A validated, normalised attribute value: numbers are in the schema's base unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AttributeValue {
    Enum(String),
    Number(f64),
    Text(String),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CategorySchema {
    pub attributes: Vec<AttributeDef>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttributeError {
    #[error("attribute {0} is required")]
    Missing(String),
    #[error("attribute {0} is not part of this category")]
    Unknown(String),
    #[error("{key} must be one of {allowed}, not {value:?}")]
    NotAllowed {
        key: String,
        value: String,
        allowed: String,
    },
    #[error("{key}: {reason}")]
    BadNumber { key: String, reason: String },
    #[error("{key} must be between {min} and {max} {unit}, not {value}")]
    OutOfRange {
        key: String,
        value: f64,
        min: f64,
        max: f64,
        unit: &'static str,
    },
}

impl CategorySchema {
    pub fn get(&self, key: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.key == key)
    }

    /// Checks typed-in values against the schema and normalises them: enum values to their
    /// canonical spelling, numbers to the base unit (a bare number is taken in the base unit).
    pub fn normalise(
        &self,
        input: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, AttributeValue>, AttributeError> {
        if let Some(unknown) = input.keys().find(|k| self.get(k).is_none()) {
            return Err(AttributeError::Unknown(unknown.clone()));
        }
        let mut out = BTreeMap::new();
        for def in &self.attributes {
            let Some(raw) = input
                .get(&def.key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            else {
                if def.required {
                    return Err(AttributeError::Missing(def.key.clone()));
                }
                continue;
            };
            out.insert(def.key.clone(), normalise_one(def, raw)?);
        }
        Ok(out)
    }
}

impl CategorySchema {
    /// Like [`CategorySchema::normalise`], for a request that need not name every required
    /// attribute (an RFQ asks for what matters to the buyer): what is given must be known and
    /// valid; empty values are left out.
    pub fn normalise_given(
        &self,
        input: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, AttributeValue>, AttributeError> {
        let mut out = BTreeMap::new();
        for (key, raw) in input {
            let def = self
                .get(key)
                .ok_or_else(|| AttributeError::Unknown(key.clone()))?;
            let raw = raw.trim();
            if !raw.is_empty() {
                out.insert(key.clone(), normalise_one(def, raw)?);
            }
        }
        Ok(out)
    }
}

fn normalise_one(def: &AttributeDef, raw: &str) -> Result<AttributeValue, AttributeError> {
    match &def.kind {
        AttributeKind::Enum { values } => values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(raw))
            .map(|v| AttributeValue::Enum(v.clone()))
            .ok_or_else(|| AttributeError::NotAllowed {
                key: def.key.clone(),
                value: raw.to_string(),
                allowed: values.join(", "),
            }),
        AttributeKind::Number { unit, min, max } => {
            let value = match raw.parse::<f64>() {
                Ok(v) => v,
                Err(_) => Measure::parse(raw)
                    .and_then(|m| m.in_unit(*unit))
                    .map_err(|e| AttributeError::BadNumber {
                        key: def.key.clone(),
                        reason: e.to_string(),
                    })?,
            };
            if !value.is_finite() {
                return Err(AttributeError::BadNumber {
                    key: def.key.clone(),
                    reason: "not a finite number".into(),
                });
            }
            let (lo, hi) = (min.unwrap_or(f64::MIN), max.unwrap_or(f64::MAX));
            if value < lo || value > hi {
                return Err(AttributeError::OutOfRange {
                    key: def.key.clone(),
                    value,
                    min: lo,
                    max: hi,
                    unit: unit.symbol(),
                });
            }
            Ok(AttributeValue::Number(value))
        }
        AttributeKind::Text => Ok(AttributeValue::Text(raw.to_string())),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryState {
    pub created: bool,
    pub name: String,
    pub parent: Option<CategoryId>,
    pub schema: CategorySchema,
    pub synonyms: Vec<Vec<String>>,
    /// The category's name, attribute labels and listed values in other languages, by language.
    pub translations: BTreeMap<Language, CategoryTranslation>,
}

/// A language the catalogue's words are given in besides the one they were written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Language {
    /// Simplified Chinese.
    Zh,
}

/// A category's words in one language: its name, attribute labels by key, and listed values
/// by key and value. What is not given reads in the words it was written in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryTranslation {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// At most this many characters in a translated name, label or value.
pub const MAX_TRANSLATED_CHARS: usize = 200;

/// Groups of words buyers use for the same thing in a category, at most this many groups.
pub const MAX_SYNONYM_GROUPS: usize = 200;
/// And at most this many words per group.
pub const MAX_SYNONYMS_PER_GROUP: usize = 12;

#[derive(Clone, Debug, PartialEq)]
pub enum CategoryCommand {
    Create {
        id: CategoryId,
        name: String,
        parent: Option<CategoryId>,
        attributes: Vec<AttributeDef>,
    },
    ReviseAttributes {
        attributes: Vec<AttributeDef>,
    },
    /// Replaces the category's synonym groups (search treats each group's words as one).
    SetSynonyms {
        groups: Vec<Vec<String>>,
    },
    /// Gives (or replaces) the category's words in `language`.
    Translate {
        language: Language,
        translation: CategoryTranslation,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryCreated {
    pub id: CategoryId,
    pub name: String,
    pub parent: Option<CategoryId>,
    pub attributes: Vec<AttributeDef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryAttributesRevised {
    pub attributes: Vec<AttributeDef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryTranslated {
    pub language: Language,
    pub translation: CategoryTranslation,
}

/// Each group's words are lowercase, trimmed, distinct; groups hold at least two words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategorySynonymsSet {
    pub groups: Vec<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CategoryEvent {
    CategoryCreated(CategoryCreated),
    CategoryAttributesRevised(CategoryAttributesRevised),
    CategorySynonymsSet(CategorySynonymsSet),
    CategoryTranslated(CategoryTranslated),
}
crate::event_names!(CategoryEvent {
    CategoryCreated,
    CategoryAttributesRevised,
    CategorySynonymsSet,
    CategoryTranslated
});

impl DomainEvent for CategoryEvent {
    fn event_type(&self) -> &'static str {
        self.variant_name()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CategoryError {
    #[error("the category already exists")]
    AlreadyExists,
    #[error("no such category")]
    NotFound,
    #[error("a category needs a name")]
    NameMissing,
    #[error("attribute key {0:?} must be lowercase letters, digits and _")]
    BadKey(String),
    #[error("attribute {0} is defined twice")]
    DuplicateKey(String),
    #[error("enum attribute {0} needs at least one value, each once")]
    BadEnum(String),
    #[error("number attribute {0} has min above max")]
    BadRange(String),
    #[error("synonyms: {0}")]
    BadSynonyms(String),
    #[error("translation: {0}")]
    BadTranslation(String),
}

/// Trims every word; refuses labels of attributes the category does not have, values it does
/// not list, empty words and overlong ones.
fn check_translation(
    schema: &CategorySchema,
    t: CategoryTranslation,
) -> Result<CategoryTranslation, CategoryError> {
    let bad = |m: String| Err(CategoryError::BadTranslation(m));
    let word = |w: &str, what: &str| -> Result<String, CategoryError> {
        let w = w.trim();
        if w.is_empty() {
            return Err(CategoryError::BadTranslation(format!("{what} is empty")));
        }
        if w.chars().count() > MAX_TRANSLATED_CHARS || w.chars().any(char::is_control) {
            return Err(CategoryError::BadTranslation(format!(
                "{what} must be one line of at most {MAX_TRANSLATED_CHARS} characters"
            )));
        }
        Ok(w.to_string())
    };
    let attribute = |key: &str| schema.attributes.iter().find(|a| a.key == key);
    let name = word(&t.name, "the name")?;
    let mut labels = BTreeMap::new();
    for (key, label) in t.labels {
        if attribute(&key).is_none() {
            return bad(format!("the category has no attribute {key}"));
        }
        labels.insert(key.clone(), word(&label, &format!("the label of {key}"))?);
    }
    let mut values = BTreeMap::new();
    for (key, given) in t.values {
        let Some(AttributeDef {
            kind: AttributeKind::Enum { values: listed },
            ..
        }) = attribute(&key)
        else {
            return bad(format!("{key} lists no values"));
        };
        let mut words = BTreeMap::new();
        for (value, translated) in given {
            if !listed.contains(&value) {
                return bad(format!("{key} does not list {value}"));
            }
            words.insert(value.clone(), word(&translated, &format!("{key} {value}"))?);
        }
        values.insert(key, words);
    }
    Ok(CategoryTranslation {
        name,
        labels,
        values,
    })
}

/// Trims and lowercases the words; every group must name at least two distinct single words.
fn check_synonyms(groups: Vec<Vec<String>>) -> Result<Vec<Vec<String>>, CategoryError> {
    if groups.len() > MAX_SYNONYM_GROUPS {
        return Err(CategoryError::BadSynonyms(format!(
            "at most {MAX_SYNONYM_GROUPS} groups"
        )));
    }
    groups
        .into_iter()
        .map(|group| {
            let mut words: Vec<String> = Vec::with_capacity(group.len());
            for word in group {
                let word = word.trim().to_lowercase();
                if word.is_empty()
                    || word.chars().count() > 40
                    || word.contains(char::is_whitespace)
                {
                    return Err(CategoryError::BadSynonyms(format!(
                        "{word:?} is not one word of 1 to 40 characters"
                    )));
                }
                if !words.contains(&word) {
                    words.push(word);
                }
            }
            if words.len() < 2 || words.len() > MAX_SYNONYMS_PER_GROUP {
                return Err(CategoryError::BadSynonyms(format!(
                    "a group needs 2 to {MAX_SYNONYMS_PER_GROUP} different words, got {words:?}"
                )));
            }
            Ok(words)
        })
        .collect()
}

fn check_attributes(attributes: &[AttributeDef]) -> Result<(), CategoryError> {
    let mut keys = BTreeSet::new();
    for a in attributes {
        let key_ok = !a.key.is_empty()
            && a.key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(CategoryError::BadKey(a.key.clone()));
        }
        if !keys.insert(a.key.clone()) {
            return Err(CategoryError::DuplicateKey(a.key.clone()));
        }
        match &a.kind {
            AttributeKind::Enum { values } => {
                let distinct: BTreeSet<String> = values.iter().map(|v| v.to_lowercase()).collect();
                if values.is_empty()
                    || distinct.len() != values.len()
                    || values.iter().any(|v| v.trim().is_empty())
                {
                    return Err(CategoryError::BadEnum(a.key.clone()));
                }
            }
            AttributeKind::Number {
                min: Some(lo),
                max: Some(hi),
                ..
            } if lo > hi => return Err(CategoryError::BadRange(a.key.clone())),
            _ => {}
        }
    }
    Ok(())
}

pub struct Category;

impl Aggregate for Category {
    type State = CategoryState;
    type Command = CategoryCommand;
    type Event = CategoryEvent;
    type Error = CategoryError;
    const KIND: &'static str = "category";

    fn decide(
        state: &CategoryState,
        command: CategoryCommand,
    ) -> Result<Vec<CategoryEvent>, CategoryError> {
        match command {
            CategoryCommand::Create {
                id,
                name,
                parent,
                attributes,
            } => {
                if state.created {
                    return Err(CategoryError::AlreadyExists);
                }
                if name.trim().is_empty() {
                    return Err(CategoryError::NameMissing);
                }
                check_attributes(&attributes)?;
                Ok(vec![CategoryEvent::CategoryCreated(CategoryCreated {
                    id,
                    name: name.trim().to_string(),
                    parent,
                    attributes,
                })])
            }
            CategoryCommand::ReviseAttributes { attributes } => {
                if !state.created {
                    return Err(CategoryError::NotFound);
                }
                check_attributes(&attributes)?;
                Ok(vec![CategoryEvent::CategoryAttributesRevised(
                    CategoryAttributesRevised { attributes },
                )])
            }
            CategoryCommand::SetSynonyms { groups } => {
                if !state.created {
                    return Err(CategoryError::NotFound);
                }
                let groups = check_synonyms(groups)?;
                Ok(vec![CategoryEvent::CategorySynonymsSet(
                    CategorySynonymsSet { groups },
                )])
            }
            CategoryCommand::Translate {
                language,
                translation,
            } => {
                if !state.created {
                    return Err(CategoryError::NotFound);
                }
                let translation = check_translation(&state.schema, translation)?;
                if state.translations.get(&language) == Some(&translation) {
                    return Ok(vec![]);
                }
                Ok(vec![CategoryEvent::CategoryTranslated(
                    CategoryTranslated {
                        language,
                        translation,
                    },
                )])
            }
        }
    }

    fn evolve(mut state: CategoryState, event: &CategoryEvent) -> CategoryState {
        match event {
            CategoryEvent::CategoryCreated(e) => {
                state.created = true;
                state.name = e.name.clone();
                state.parent = e.parent;
                state.schema = CategorySchema {
                    attributes: e.attributes.clone(),
                };
            }
            CategoryEvent::CategoryAttributesRevised(e) => {
                state.schema = CategorySchema {
                    attributes: e.attributes.clone(),
                };
            }
            CategoryEvent::CategorySynonymsSet(e) => state.synonyms = e.groups.clone(),
            CategoryEvent::CategoryTranslated(e) => {
                state.translations.insert(e.language, e.translation.clone());
            }
        }
        state
    }
}

/// The hex-bolt schema used across the domain's tests and the demo catalogue.
pub fn hex_bolt_schema() -> Vec<AttributeDef> {
    let e = |values: &[&str]| AttributeKind::Enum {
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    vec![
        AttributeDef {
            key: "thread".into(),
            label: "Thread / 螺纹".into(),
            kind: e(&[
                "M3", "M4", "M5", "M6", "M8", "M10", "M12", "M16", "M20", "M24",
            ]),
            required: true,
        },
        AttributeDef {
            key: "length".into(),
            label: "Length / 长度".into(),
            kind: AttributeKind::Number {
                unit: Unit::Millimetre,
                min: Some(3.0),
                max: Some(500.0),
            },
            required: true,
        },
        AttributeDef {
            key: "material".into(),
            label: "Material / 材质".into(),
            kind: e(&["A2", "A4", "Carbon steel", "Brass"]),
            required: true,
        },
        AttributeDef {
            key: "strength_class".into(),
            label: "Strength class / 强度等级".into(),
            kind: e(&["4.8", "8.8", "10.9", "12.9", "A2-70", "A4-80"]),
            required: false,
        },
        AttributeDef {
            key: "finish".into(),
            label: "Finish / 表面处理".into(),
            kind: e(&["Plain", "Zinc plated", "Hot-dip galvanised", "Black oxide"]),
            required: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> CategorySchema {
        CategorySchema {
            attributes: hex_bolt_schema(),
        }
    }

    fn input(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_normalised_to_the_base_unit_and_canonical_spelling() {
        let out = schema()
            .normalise(&input(&[
                ("thread", "m8"),
                ("length", "1-1/4 in"),
                ("material", "a2"),
            ]))
            .unwrap();
        assert_eq!(out["thread"], AttributeValue::Enum("M8".into()));
        assert_eq!(out["length"], AttributeValue::Number(31.75));
        assert_eq!(out["material"], AttributeValue::Enum("A2".into()));
        let bare = schema()
            .normalise(&input(&[
                ("thread", "M8"),
                ("length", "30"),
                ("material", "A4"),
            ]))
            .unwrap();
        assert_eq!(bare["length"], AttributeValue::Number(30.0));
    }

    #[test]
    fn bad_values_say_which_attribute_and_why() {
        let s = schema();
        assert_eq!(
            s.normalise(&input(&[("length", "30 mm"), ("material", "A2")])),
            Err(AttributeError::Missing("thread".into()))
        );
        assert!(matches!(
            s.normalise(&input(&[
                ("thread", "M7"),
                ("length", "30"),
                ("material", "A2")
            ])),
            Err(AttributeError::NotAllowed { .. })
        ));
        assert!(matches!(
            s.normalise(&input(&[
                ("thread", "M8"),
                ("length", "2 m"),
                ("material", "A2")
            ])),
            Err(AttributeError::OutOfRange { .. })
        ));
        assert!(matches!(
            s.normalise(&input(&[
                ("thread", "M8"),
                ("length", "3 kg"),
                ("material", "A2")
            ])),
            Err(AttributeError::BadNumber { .. })
        ));
        assert_eq!(
            s.normalise(&input(&[
                ("thread", "M8"),
                ("length", "30"),
                ("material", "A2"),
                ("colour", "red")
            ])),
            Err(AttributeError::Unknown("colour".into()))
        );
    }

    #[test]
    fn a_category_is_created_once_with_a_sound_schema() {
        let id = CategoryId(uuid::Uuid::from_u128(1));
        let create = |attributes| CategoryCommand::Create {
            id,
            name: "Hex bolts".into(),
            parent: None,
            attributes,
        };
        let events =
            Category::decide(&CategoryState::default(), create(hex_bolt_schema())).unwrap();
        let state = Category::replay(&events);
        assert_eq!(state.schema.attributes.len(), 5);
        assert_eq!(
            Category::decide(&state, create(vec![])),
            Err(CategoryError::AlreadyExists)
        );

        let mut twice = hex_bolt_schema();
        twice.push(twice[0].clone());
        assert_eq!(
            Category::decide(&CategoryState::default(), create(twice)),
            Err(CategoryError::DuplicateKey("thread".into()))
        );
        let mut bad_key = hex_bolt_schema();
        bad_key[0].key = "Thread Size".into();
        assert!(matches!(
            Category::decide(&CategoryState::default(), create(bad_key)),
            Err(CategoryError::BadKey(_))
        ));
        let mut empty_enum = hex_bolt_schema();
        empty_enum[0].kind = AttributeKind::Enum { values: vec![] };
        assert!(matches!(
            Category::decide(&CategoryState::default(), create(empty_enum)),
            Err(CategoryError::BadEnum(_))
        ));
        let mut bad_range = hex_bolt_schema();
        bad_range[1].kind = AttributeKind::Number {
            unit: Unit::Millimetre,
            min: Some(9.0),
            max: Some(1.0),
        };
        assert!(matches!(
            Category::decide(&CategoryState::default(), create(bad_range)),
            Err(CategoryError::BadRange(_))
        ));
        assert_eq!(
            Category::decide(
                &CategoryState::default(),
                CategoryCommand::Create {
                    id,
                    name: " ".into(),
                    parent: None,
                    attributes: vec![]
                }
            ),
            Err(CategoryError::NameMissing)
        );
        assert_eq!(
            Category::decide(
                &CategoryState::default(),
                CategoryCommand::ReviseAttributes { attributes: vec![] }
            ),
            Err(CategoryError::NotFound)
        );
        let revised = Category::decide(
            &state,
            CategoryCommand::ReviseAttributes {
                attributes: hex_bolt_schema()[..3].to_vec(),
            },
        )
        .unwrap();
        assert_eq!(
            Category::evolve(state, &revised[0]).schema.attributes.len(),
            3
        );
    }

    #[test]
    fn synonym_groups_are_cleaned_and_checked() {
        let id = CategoryId(uuid::Uuid::from_u128(1));
        let created = Category::decide(
            &CategoryState::default(),
            CategoryCommand::Create {
                id,
                name: "Hex bolts".into(),
                parent: None,
                attributes: hex_bolt_schema(),
            },
        )
        .unwrap();
        let state = Category::replay(&created);
        let set = |groups: Vec<Vec<&str>>| CategoryCommand::SetSynonyms {
            groups: groups
                .into_iter()
                .map(|g| g.into_iter().map(String::from).collect())
                .collect(),
        };

        let events =
            Category::decide(&state, set(vec![vec![" SS304 ", "A2", "a2", "304"]])).unwrap();
        let state = Category::evolve(state, &events[0]);
        assert_eq!(state.synonyms, vec![vec!["ss304", "a2", "304"]]);

        for bad in [
            vec![vec!["a2"]],
            vec![vec!["a2", "A2"]],
            vec![vec!["hex bolt", "六角螺栓"]],
            vec![vec!["", "a2"]],
        ] {
            assert!(
                matches!(
                    Category::decide(&state, set(bad.clone())),
                    Err(CategoryError::BadSynonyms(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            Category::decide(&CategoryState::default(), set(vec![vec!["a", "b"]])),
            Err(CategoryError::NotFound)
        );
    }

    #[test]
    fn a_translation_names_only_what_the_category_has_and_replaces_the_last() {
        // Given a hex bolt category
        let created = Category::evolve(
            CategoryState::default(),
            &CategoryEvent::CategoryCreated(CategoryCreated {
                id: CategoryId(uuid::Uuid::from_u128(1)),
                name: "Hex bolts".into(),
                parent: None,
                attributes: hex_bolt_schema(),
            }),
        );
        let zh = |labels: &[(&str, &str)], values: &[(&str, &str, &str)]| CategoryTranslation {
            name: " 六角螺栓 ".into(),
            labels: input(labels),
            values: values.iter().fold(BTreeMap::new(), |mut m, (k, v, w)| {
                m.entry(k.to_string())
                    .or_insert_with(BTreeMap::new)
                    .insert(v.to_string(), w.to_string());
                m
            }),
        };
        let translate = |t| CategoryCommand::Translate {
            language: Language::Zh,
            translation: t,
        };
        // When it is given its Chinese words, trimmed
        let events = Category::decide(
            &created,
            translate(zh(
                &[("thread", "螺纹")],
                &[("material", "A2", "A2 不锈钢")],
            )),
        )
        .expect("translated");
        let state = events.iter().fold(created.clone(), Category::evolve);
        let t = &state.translations[&Language::Zh];
        assert_eq!(t.name, "六角螺栓");
        assert_eq!(t.labels["thread"], "螺纹");
        assert_eq!(t.values["material"]["A2"], "A2 不锈钢");
        // Then the same words again change nothing
        assert_eq!(
            Category::decide(
                &state,
                translate(zh(
                    &[("thread", "螺纹")],
                    &[("material", "A2", "A2 不锈钢")]
                ))
            ),
            Ok(vec![])
        );
        // And words for what the category does not have, or empty ones, are refused
        for (wrong, why) in [
            (zh(&[("colour", "颜色")], &[]), "no attribute colour"),
            (zh(&[], &[("material", "Gold", "金")]), "does not list Gold"),
            (
                zh(&[], &[("length", "20", "二十")]),
                "length lists no values",
            ),
            (zh(&[("thread", "  ")], &[]), "is empty"),
        ] {
            match Category::decide(&state, translate(wrong)) {
                Err(CategoryError::BadTranslation(m)) => assert!(m.contains(why), "{m}"),
                other => panic!("{why}: {other:?}"),
            }
        }
    }
}
