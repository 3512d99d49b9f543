//! What typed words can mean where a buyer searches: a number with its unit or a listed value
//! names an attribute's value (`25 bar`, `2.5 MPa`, `M8`, `6204`), and a word, even with one typo,
//! names the synonym group it belongs to (`stainles` is stainless, A2, A4…).

use std::collections::{BTreeMap, HashMap};

use zhuchao_domain::category::{AttributeKind, CategorySchema, CategoryTranslation};
use zhuchao_domain::ids::CategoryId;
use zhuchao_domain::units::{Measure, Unit};

/// Words a buyer may type for the same thing anywhere in the catalogue; categories add their own
/// groups (which come first). Each group is searched as one.
const SYNONYMS: &[&[&str]] = &[
    // A word belongs to the first group that holds it: grades before the materials they are.
    &["ss304", "304", "a2"],
    &["ss316", "316", "a4"],
    &[
        "不锈钢",
        "stainless",
        "stainless steel",
        "inox",
        "a2",
        "a4",
        "ss304",
        "ss316",
    ],
    &["镀锌", "zinc", "galvanised", "galvanized"],
    &["碳钢", "carbon", "carbon steel"],
    &["黄铜", "brass"],
    // The trade tells a bolt (螺栓) from a screw (螺钉); 螺丝 is what everyone says for either.
    &["螺栓", "bolt"],
    &["螺钉", "screw"],
    &["螺丝", "螺钉", "螺栓", "screw", "bolt"],
    &["螺母", "螺帽", "nut"],
    &["垫圈", "垫片", "washer"],
];

/// Words of at least this many letters forgive one typo.
pub(crate) const FUZZY_FROM: usize = 5;

/// One thing typed: a word, or a number followed by its unit (`25 bar`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Meaning {
    /// As typed, lower-cased (a number and its unit joined by a space).
    pub typed: String,
    /// Spellings to look for in titles: the word, or its synonym group.
    pub spellings: Vec<String>,
    /// Number attributes it names, with the value in the attribute's unit.
    pub numbers: Vec<(String, f64)>,
    /// Listed values it names: the attribute and the value as the category spells it.
    pub values: Vec<(String, String)>,
    /// The attributes whose value decides, and the categories where it does (those with that
    /// number attribute, or listing that value): there a product with the attribute is not
    /// matched by its title.
    pub deciding: BTreeMap<String, Vec<CategoryId>>,
}

/// The attributes and synonyms of the categories searched.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    /// Number attributes by key and the categories that have them; `None` where categories
    /// disagree on the unit.
    numbers: BTreeMap<String, (Option<Unit>, Vec<CategoryId>)>,
    /// Listed values, lower-cased: each attribute that lists it and its spelling there.
    values: HashMap<String, Vec<(String, String)>>,
    /// The categories listing each attribute's value.
    listing: HashMap<(String, String), Vec<CategoryId>>,
    /// The categories' synonym groups, nearest first.
    synonyms: Vec<Vec<String>>,
}

impl Vocabulary {
    pub fn new<'a>(
        schemas: impl IntoIterator<Item = (CategoryId, &'a CategorySchema)>,
        synonyms: Vec<Vec<String>>,
    ) -> Self {
        let mut v = Vocabulary {
            synonyms,
            ..Vocabulary::default()
        };
        for (category, schema) in schemas {
            for def in &schema.attributes {
                match &def.kind {
                    AttributeKind::Number { unit, .. } => {
                        let (known, holders) = v
                            .numbers
                            .entry(def.key.clone())
                            .or_insert((Some(*unit), Vec::new()));
                        if *known != Some(*unit) {
                            *known = None;
                        }
                        holders.push(category);
                    }
                    AttributeKind::Enum { values } => {
                        for value in values {
                            v.spelled(value, &def.key, value);
                            v.listing
                                .entry((def.key.clone(), value.clone()))
                                .or_default()
                                .push(category);
                        }
                    }
                    AttributeKind::Text => {}
                }
            }
        }
        v
    }

    /// Takes a category's translated values as spellings of the values themselves (碳钢 is
    /// typed for Carbon steel where the category translates it so).
    pub fn translated(&mut self, translation: &CategoryTranslation) {
        for (key, words) in &translation.values {
            for (value, text) in words {
                self.spelled(text, key, value);
            }
        }
    }

    /// `word` (in any case) names `key`'s listed `value`.
    fn spelled(&mut self, word: &str, key: &str, value: &str) {
        let named = self.values.entry(word.to_lowercase()).or_default();
        let pair = (key.to_string(), value.to_string());
        if !named.contains(&pair) {
            named.push(pair);
        }
    }

    /// The typed text, thing by thing.
    pub fn read(&self, text: &str, segment: &dyn Fn(&str) -> Vec<String>) -> Vec<Meaning> {
        // Chinese run together is segmented, but a synonym or a listed value is kept whole
        // (the segmenter may cut 不锈钢 in two).
        let known = |w: &str| self.values.contains_key(w) || self.group(w, false).is_some();
        let segment = |w: &str| -> Vec<String> {
            if known(w) {
                return vec![w.to_string()];
            }
            // The segmenter also gives the shorter words inside a longer one (不锈 and 不锈钢):
            // only the longer counts.
            let all = segment(w);
            let inside = |i: usize| {
                let near = [i.checked_sub(1), Some(i + 1)];
                near.into_iter()
                    .flatten()
                    .filter_map(|j| all.get(j))
                    .any(|other| {
                        other.chars().count() > all[i].chars().count() && other.contains(&all[i])
                    })
            };
            let parts: Vec<String> = (0..all.len())
                .filter(|i| !inside(*i))
                .map(|i| all[i].clone())
                .collect();
            let mut out = Vec::new();
            let mut i = 0;
            while i < parts.len() {
                let longest = (2..=4.min(parts.len() - i))
                    .rev()
                    .find(|n| known(&parts[i..i + n].concat()))
                    .unwrap_or(1);
                out.push(parts[i..i + longest].concat());
                i += longest;
            }
            out
        };
        let words = words(text, &segment);
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            // A number and its unit, a listed value or a synonym of two words, are one thing.
            if let Some(next) = words.get(i + 1) {
                let pair = format!("{} {next}", words[i]);
                let number_first = words[i]
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '/' | '-'));
                let measure = number_first && Measure::parse(&pair).is_ok();
                if measure || known(&pair) {
                    out.push(self.meaning(pair));
                    i += 2;
                    continue;
                }
            }
            out.push(self.meaning(words[i].clone()));
            i += 1;
        }
        out
    }

    fn meaning(&self, typed: String) -> Meaning {
        let forgiving = typed.chars().count() >= FUZZY_FROM
            && typed.chars().all(|c| c.is_alphabetic() && !is_cjk(c));
        let spellings =
            self.group(&typed, forgiving)
                .unwrap_or_else(|| match typed.split_once(' ') {
                    // `25 bar` is also written `25bar`.
                    Some((number, unit)) if Measure::parse(&typed).is_ok() => {
                        vec![typed.clone(), format!("{number}{unit}")]
                    }
                    _ => vec![typed.clone()],
                });
        let numbers = match Measure::parse(&typed) {
            Ok(measure) => self
                .numbers
                .iter()
                .filter_map(|(key, (unit, _))| {
                    let value = measure.in_unit((*unit)?).ok()?;
                    Some((key.clone(), value))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        // `304` names the material A2 where the category lists A2.
        let mut values: Vec<(String, String)> = Vec::new();
        for spelling in std::iter::once(&typed).chain(&spellings) {
            for named in self.values.get(spelling).into_iter().flatten() {
                if !values.contains(named) {
                    values.push(named.clone());
                }
            }
        }
        let mut deciding: BTreeMap<String, Vec<CategoryId>> = BTreeMap::new();
        for (key, _) in &numbers {
            deciding
                .entry(key.clone())
                .or_default()
                .extend(&self.numbers[key].1);
        }
        for pair in &values {
            deciding
                .entry(pair.0.clone())
                .or_default()
                .extend(self.listing.get(pair).into_iter().flatten());
        }
        for categories in deciding.values_mut() {
            categories.sort();
            categories.dedup();
        }
        Meaning {
            typed,
            spellings,
            numbers,
            values,
            deciding,
        }
    }

    /// The synonym group a word belongs to: the categories' groups before the catalogue-wide
    /// ones, and a group it names exactly before one it names with a typo.
    fn group(&self, word: &str, forgiving: bool) -> Option<Vec<String>> {
        fn holding<'g, G: AsRef<str> + 'g>(
            groups: impl IntoIterator<Item = &'g [G]>,
            held: impl Fn(&str) -> bool,
        ) -> Option<Vec<String>> {
            groups
                .into_iter()
                .find(|g| g.iter().any(|s| held(s.as_ref())))
                .map(|g| g.iter().map(|s| s.as_ref().to_string()).collect())
        }
        let of = |held: &dyn Fn(&str) -> bool| {
            holding(self.synonyms.iter().map(Vec::as_slice), held)
                .or_else(|| holding(SYNONYMS.iter().copied(), held))
        };
        let exact = of(&|s| s == word);
        if exact.is_some() || !forgiving {
            return exact;
        }
        // `bolts` is one letter from `bolt`: the member may be a letter shorter than the word.
        of(&|s| s.chars().count() + 1 >= FUZZY_FROM && one_edit_apart(s, word))
    }
}

/// The words of a typed text, lower-cased, as a buyer means them: full-width letters and digits
/// as ASCII (what Chinese input methods type), commas and brackets around or between words
/// dropped, a thread by its length (`M8x20`) as the thread and the length in millimetres, and
/// Chinese run together (`不锈钢螺丝`) segmented the way titles are.
fn words(text: &str, segment: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let normal: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .flat_map(|c| -> Vec<char> {
            match c {
                '㎜' => vec!['m', 'm'],
                '㎝' => vec!['c', 'm'],
                '㎏' => vec!['k', 'g'],
                ',' | ';' | '、' | '|' => vec![' '],
                c => vec![c],
            }
        })
        .collect::<String>()
        .to_lowercase();
    let mut out = Vec::new();
    for word in normal.split_whitespace() {
        let word = word.trim_start_matches(|c: char| OPENING.contains(c));
        // A closing quote ends a quoted word, but right after a number it is inches (`3/4"`).
        let inches = word.strip_suffix('"').is_some_and(|w| {
            w.ends_with(|c: char| c.is_ascii_digit()) && w.starts_with(|c: char| c.is_ascii_digit())
        });
        let word = word
            .trim_end_matches(|c: char| CLOSING.contains(c) || (c == '"' && !inches) || c == '.');
        if word.is_empty() {
            continue;
        }
        if let Some((thread, length)) = thread_by_length(word) {
            out.push(thread);
            out.push(length);
        } else if word.chars().any(is_cjk) {
            out.extend(
                segment(word)
                    .into_iter()
                    .map(|w| w.trim().to_string())
                    .filter(|w| w.chars().any(char::is_alphanumeric)),
            );
        } else {
            out.push(word.to_string());
        }
    }
    out
}

/// Brackets, quotes and punctuation a word may be typed inside of.
const OPENING: &str = "\"'([{“‘「【（《<";
const CLOSING: &str = "')]}”’」】）》>:：!?！？。";

/// `m8x20`, `m8×20`, `m8*20`: the thread `m8` and the length `20mm`.
fn thread_by_length(word: &str) -> Option<(String, String)> {
    let rest = word.strip_prefix('m')?;
    let split = rest.find(['x', '×', '*'])?;
    let (thread, length) = (&rest[..split], &rest[split..]);
    let length = length.trim_start_matches(['x', '×', '*']);
    let number = |t: &str| !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite);
    (number(thread) && number(length)).then(|| (format!("m{thread}"), format!("{length}mm")))
}

/// Whether two words differ by at most one letter inserted, removed, changed, or two neighbours
/// swapped (the distance the index's typo matching uses).
pub(crate) fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match differ.as_slice() {
                [] | [_] => true,
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                _ => false,
            }
        }
        1 => {
            let start = short
                .iter()
                .zip(long.iter())
                .take_while(|(x, y)| x == y)
                .count();
            short[start..] == long[start + 1..]
        }
        _ => false,
    }
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhuchao_domain::category::AttributeDef;

    fn def(key: &str, kind: AttributeKind) -> AttributeDef {
        AttributeDef {
            key: key.into(),
            label: key.into(),
            kind,
            required: false,
        }
    }

    fn valves_and_bolts() -> Vec<CategorySchema> {
        vec![
            CategorySchema {
                attributes: vec![def(
                    "max_pressure",
                    AttributeKind::Number {
                        unit: Unit::Bar,
                        min: None,
                        max: None,
                    },
                )],
            },
            CategorySchema {
                attributes: vec![
                    def(
                        "thread",
                        AttributeKind::Enum {
                            values: vec!["M8".into(), "M10".into()],
                        },
                    ),
                    def(
                        "material",
                        AttributeKind::Enum {
                            values: vec!["Carbon steel".into(), "A2".into()],
                        },
                    ),
                ],
            },
        ]
    }

    /// A word as one word.
    fn whole(word: &str) -> Vec<String> {
        vec![word.to_string()]
    }

    /// Words as the index would make them, without a dictionary: one per character of Chinese.
    fn split(word: &str) -> Vec<String> {
        word.chars().map(String::from).collect()
    }

    #[test]
    fn what_a_buyer_types_is_read_as_meant() {
        let read = |text: &str| words(text, &split);
        assert_eq!(read("２０ｍｍ　Ｍ８"), ["20mm", "m8"], "full width");
        assert_eq!(read("20㎜"), ["20mm"]);
        assert_eq!(read("M8, 20mm."), ["m8", "20mm"], "punctuation");
        assert_eq!(read("bolt,20mm;nut"), ["bolt", "20mm", "nut"]);
        assert_eq!(
            read("\"M8\" 'bolt' [M8] (bolt)"),
            ["m8", "bolt", "m8", "bolt"]
        );
        assert_eq!(
            read("3/4\" 0.5"),
            ["3/4\"", "0.5"],
            "inches keep their mark"
        );
        assert_eq!(
            read("M8x20 m10×30 M6*16"),
            ["m8", "20mm", "m10", "30mm", "m6", "16mm"]
        );
        assert_eq!(read("max mix"), ["max", "mix"], "not a thread");
        assert_eq!(
            read("螺丝M8"),
            ["螺", "丝", "m", "8"],
            "Chinese run together is segmented"
        );
        assert_eq!(read("PF-08-00000 6204-2RS"), ["pf-08-00000", "6204-2rs"]);
    }

    #[test]
    fn numbers_with_units_and_listed_values_name_attributes() {
        let schemas = valves_and_bolts();
        let v = Vocabulary::new(
            schemas
                .iter()
                .enumerate()
                .map(|(i, s)| (CategoryId(uuid::Uuid::from_u128(i as u128)), s)),
            vec![],
        );
        let read = v.read("valve 2.5 MPa m8 Carbon Steel 25bar", &whole);
        let typed: Vec<&str> = read.iter().map(|m| m.typed.as_str()).collect();
        assert_eq!(
            typed,
            ["valve", "2.5 mpa", "m8", "carbon steel", "25bar"],
            "a number and its unit, and a listed value of two words, are one thing"
        );
        assert_eq!(read[1].numbers, vec![("max_pressure".to_string(), 25.0)]);
        assert_eq!(read[1].spellings, vec!["2.5 mpa", "2.5mpa"]);
        assert_eq!(
            read[2].values,
            vec![("thread".to_string(), "M8".to_string())]
        );
        assert_eq!(
            read[3].values,
            vec![("material".to_string(), "Carbon steel".to_string())]
        );
        assert_eq!(read[4].numbers, vec![("max_pressure".to_string(), 25.0)]);
        assert!(read[0].numbers.is_empty() && read[0].values.is_empty());
        assert!(
            v.read("20mm", &whole)[0].numbers.is_empty(),
            "no length attribute where the search looks"
        );
    }

    #[test]
    fn a_translated_value_is_typed_for_the_value_itself() {
        let schemas = valves_and_bolts();
        let mut v = Vocabulary::new(
            schemas
                .iter()
                .enumerate()
                .map(|(i, s)| (CategoryId(uuid::Uuid::from_u128(i as u128)), s)),
            vec![],
        );
        let mut translation = CategoryTranslation::default();
        translation
            .values
            .entry("material".into())
            .or_default()
            .insert("Carbon steel".into(), "碳钢".into());
        v.translated(&translation);
        let read = v.read("碳钢 bolt", &whole);
        assert_eq!(
            read[0].values,
            vec![("material".to_string(), "Carbon steel".to_string())]
        );
    }

    #[test]
    fn a_typo_still_names_the_synonym_group_but_never_in_a_number() {
        let v = Vocabulary::new([], vec![vec!["螺栓".into(), "bolt".into()]]);
        let stainles = &v.read("stainles", &whole)[0];
        assert!(stainles.spellings.contains(&"不锈钢".to_string()));
        assert!(stainles.spellings.contains(&"a2".to_string()));
        assert_eq!(v.read("螺丝", &whole)[0].spellings.len(), 5);
        assert_eq!(
            v.read("bolt", &whole)[0].spellings,
            vec!["螺栓", "bolt"],
            "the category's group first"
        );
        assert_eq!(v.read("ss3O4", &whole)[0].spellings, vec!["ss3o4"]);
    }

    #[test]
    fn one_edit_is_one_letter_added_removed_changed_or_two_swapped() {
        for (a, b) in [
            ("stainless", "stainles"),
            ("stainless", "stainlesss"),
            ("stainless", "stainlass"),
            ("stainless", "stianless"),
            ("bolt", "bolt"),
        ] {
            assert!(one_edit_apart(a, b), "{a} {b}");
            assert!(one_edit_apart(b, a), "{b} {a}");
        }
        for (a, b) in [
            ("stainless", "stanles"),
            ("stainless", "stainlxsx"),
            ("stainless", "sitanlses"),
        ] {
            assert!(!one_edit_apart(a, b), "{a} {b}");
        }
    }
}
