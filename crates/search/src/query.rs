//! Searching: free text plus filters become one tantivy query; each attribute facet is counted
//! under every filter but its own (disjunctive), so widening a choice shows what it would add.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::ops::Bound;

use tantivy::query::{
    BooleanQuery, ConstScoreQuery, ExistsQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;
use zhuchao_domain::category::{AttributeDef, AttributeKind};
use zhuchao_domain::ids::{CategoryId, SupplierId};
use zhuchao_domain::product::MAX_TIERS;
use zhuchao_domain::units::Measure;

use crate::catalogue::IndexedProduct;
use crate::faceted::{Clause, FacetCounts, FacetKind, Faceted, Order};
use crate::index::{SearchError, SearchIndex};
use crate::vocabulary::{is_cjk, Meaning, FUZZY_FROM};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    /// Unit price at the wanted quantity (or at the MOQ), cheapest first.
    Price,
    /// Shortest lead time first.
    LeadTime,
    /// Best-rated supplier first (unrated suppliers last).
    Rating,
}

#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    pub text: Option<String>,
    /// The category and everything below it.
    pub category: Option<CategoryId>,
    /// One supplier's products only.
    pub supplier: Option<SupplierId>,
    /// Attribute → accepted values (any of them).
    pub values: BTreeMap<String, Vec<String>>,
    /// Attribute → (from, to), each a number in any unit the category knows (`8 mm`, `5/16 in`).
    pub ranges: BTreeMap<String, (Option<String>, Option<String>)>,
    /// The quantity the buyer wants: only products whose MOQ is at most this, and prices are
    /// taken at this quantity (the tier price).
    pub quantity: Option<u64>,
    /// Unit price range in minor units, at `quantity` when given (else at the MOQ).
    pub price: (Option<i64>, Option<i64>),
    pub in_stock: bool,
    pub verified: bool,
    pub guaranteed: bool,
    /// Suppliers of at least this level (1 to 5).
    pub min_level: Option<u8>,
    pub sort: Sort,
    pub first: usize,
    pub after: Option<String>,
    /// Leave out the facets and the counts by category (the caller shows neither): the page and
    /// the total only, at the cost of the page.
    pub without_facets: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Facet {
    pub key: String,
    pub label: String,
    /// Counts per value (enum attributes).
    pub values: Vec<FacetValue>,
    /// Smallest and largest value in the base unit (number attributes).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
}

/// How many results are in one category (the products' own category, not its ancestors).
#[derive(Clone, Debug, PartialEq)]
pub struct CategoryCount {
    pub category: CategoryId,
    pub count: u64,
}

#[derive(Clone, Debug)]
pub struct SearchResult {
    pub total: usize,
    pub hits: Vec<IndexedProduct>,
    /// The chosen category's attributes, or without one those common to the results' categories;
    /// the most useful first.
    pub facets: Vec<Facet>,
    /// The results by category, the largest first.
    pub categories: Vec<CategoryCount>,
    pub next: Option<String>,
}

fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// What a part number typed whole adds to a product's score (its beginning, half): a constant
/// far above what title words or attribute values score, because a relevance score would fade
/// where few products have part numbers (the field's length normalisation).
const PART_NUMBER_SCORE: f32 = 1_000.0;

fn with_text(filters: Box<dyn Query>, text: &Option<Box<dyn Query>>) -> Box<dyn Query> {
    match text {
        Some(t) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, filters),
            (Occur::Must, t.box_clone()),
        ])),
        None => filters,
    }
}

impl SearchIndex {
    /// Every typed thing must match: a part number whole or by its beginning (ranked first), or
    /// an attribute value it names (`25 bar` a pressure of 25 bar, `M8` the thread M8), or — for
    /// products without that attribute — the title: as itself, as a synonym, or (for longer
    /// Latin words without digits) with one typo. A product with the attribute is judged by its
    /// value alone, so `5mm` does not find a 1.5 mm drill. Chinese words are segmented the way
    /// titles are and matched as phrases. Words with digits (`M8`, `25bar`, `6204`) are never
    /// typo-corrected: a near number is another part.
    fn text_query(
        &self,
        parser: &QueryParser,
        meanings: &[Meaning],
    ) -> Result<Option<Box<dyn Query>>, SearchError> {
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for meaning in meanings {
            let digits = meaning.typed.chars().any(|c| c.is_numeric());
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = if meaning.typed.contains(' ') {
                Vec::new()
            } else {
                self.part_number_query(&meaning.typed)
            };
            let mut titled: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for spelling in &meaning.spellings {
                let tokens: Vec<Term> = self
                    .title_words(spelling)
                    .into_iter()
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| Term::from_field_text(self.fields.title, &t))
                    .collect();
                let query: Box<dyn Query> = match tokens.len() {
                    0 => continue,
                    1 => {
                        let term = tokens.into_iter().next().expect("one token");
                        let latin = term.value().as_str().is_some_and(|t| {
                            t.chars().count() >= FUZZY_FROM
                                && t.chars().all(|c| c.is_alphabetic() && !is_cjk(c))
                        }) && !digits;
                        if latin {
                            Box::new(FuzzyTermQuery::new(term, 1, true))
                        } else {
                            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                        }
                    }
                    _ => Box::new(PhraseQuery::new(tokens)),
                };
                titled.push((Occur::Should, query));
            }
            if !titled.is_empty() {
                let mut title: Vec<(Occur, Box<dyn Query>)> =
                    vec![(Occur::Must, Box::new(BooleanQuery::new(titled)))];
                for (key, categories) in &meaning.deciding {
                    let here: Vec<(Occur, Box<dyn Query>)> = categories
                        .iter()
                        .map(|c| {
                            let term = Term::from_field_text(self.fields.category, &c.to_string());
                            let q: Box<dyn Query> =
                                Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                            (Occur::Should, q)
                        })
                        .collect();
                    let decided: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                        (
                            Occur::Must,
                            Box::new(ExistsQuery::new(format!("attrs.{key}"), false)),
                        ),
                        (Occur::Must, Box::new(BooleanQuery::new(here))),
                    ]));
                    title.push((Occur::MustNot, decided));
                }
                alternatives.push((Occur::Should, Box::new(BooleanQuery::new(title))));
            }
            for (key, value) in &meaning.numbers {
                // The value as stored may differ in its last bits after a unit conversion.
                let slack = (value.abs() * 1e-9).max(1e-9);
                let range = format!("attrs.{key}:[{} TO {}]", value - slack, value + slack);
                alternatives.push((Occur::Should, parser.parse_query(&range)?));
            }
            for (key, value) in &meaning.values {
                let term = format!("attrs.{key}:{}", phrase(value));
                alternatives.push((Occur::Should, parser.parse_query(&term)?));
            }
            if !alternatives.is_empty() {
                words.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
            }
        }
        Ok((!words.is_empty()).then(|| Box::new(BooleanQuery::new(words)) as Box<dyn Query>))
    }

    /// A word as a part number: the whole part number (boosted, so the part typed comes first),
    /// or, from three characters on, its beginning.
    fn part_number_query(&self, lower: &str) -> Vec<(Occur, Box<dyn Query>)> {
        let field = self.fields.part_number;
        let exact: Box<dyn Query> = Box::new(ConstScoreQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_text(field, lower),
                IndexRecordOption::Basic,
            )),
            PART_NUMBER_SCORE,
        ));
        let mut found = vec![(Occur::Should, exact)];
        if lower.chars().count() >= 3 {
            let from = Term::from_field_text(field, lower);
            let to = Term::from_field_text(field, &format!("{lower}\u{10FFFF}"));
            let prefix: Box<dyn Query> = Box::new(ConstScoreQuery::new(
                Box::new(RangeQuery::new(Bound::Excluded(from), Bound::Excluded(to))),
                PART_NUMBER_SCORE / 2.0,
            ));
            found.push((Occur::Should, prefix));
        }
        found
    }

    /// Runs a search; errors only for malformed queries or a broken index. One pass over the
    /// documents the filters other than attributes match finds the page, the total and every
    /// facet (see [`crate::faceted`]).
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResult, SearchError> {
        let catalogue = self.catalogue();
        let scope = self.scopes.get(&catalogue, q.category);
        // The chosen category's own attributes when it has them; otherwise those the categories
        // searched agree on (no category, or one whose attributes are its children's).
        let own = q
            .category
            .and_then(|c| catalogue.categories.get(&c))
            .map(|c| &c.schema)
            .filter(|s| !s.attributes.is_empty());
        let schema = own.unwrap_or(&scope.merged);
        let parser = {
            let mut p = QueryParser::for_index(&self.index, vec![self.fields.title]);
            p.set_conjunction_by_default();
            p
        };
        let text = match q.text.as_deref() {
            Some(t) => {
                let meanings = scope.vocabulary.read(t, &|w| self.title_words(w));
                self.text_query(&parser, &meanings)?
            }
            None => None,
        };
        let not_here = |key: &str| {
            SearchError::BadQuery(match q.category {
                Some(c) if !catalogue.categories.contains_key(&c) => {
                    "no category has this id".to_string()
                }
                Some(_) => format!("{key} is not an attribute of this category"),
                None => {
                    format!("{key} is not an attribute the categories agree on: choose a category")
                }
            })
        };

        let mut base = vec!["visible:true".to_string()];
        if let Some(c) = q.category {
            base.push(format!("category_path:{}", phrase(&c.to_string())));
        }
        if let Some(s) = q.supplier {
            base.push(format!("supplier:{}", phrase(&s.to_string())));
        }
        if q.in_stock {
            base.push("stock:[1 TO *]".into());
        }
        if q.verified {
            base.push("verified:true".into());
        }
        if q.guaranteed {
            base.push("guaranteed:true".into());
        }
        if let Some(level) = q.min_level {
            if !(1..=5).contains(&level) {
                return Err(SearchError::BadQuery("a supplier level is 1 to 5".into()));
            }
            base.push(format!("level:[{level} TO *]"));
        }
        if let Some(quantity) = q.quantity {
            base.push(format!("moq:[0 TO {quantity}]"));
        }
        if q.price != (None, None) {
            let bound = |b: Option<i64>| b.map_or("*".to_string(), |v| v.to_string());
            let (lo, hi) = (bound(q.price.0), bound(q.price.1));
            base.push(match q.quantity {
                // The tier in force at the quantity is the last one whose minimum it reaches.
                Some(n) => {
                    let tiers: Vec<String> = (0..MAX_TIERS)
                        .map(|i| {
                            let next = if i + 1 < MAX_TIERS {
                                format!(" AND tq{}:[{} TO *]", i + 1, n.saturating_add(1))
                            } else {
                                String::new()
                            };
                            format!("(tq{i}:[0 TO {n}]{next} AND tp{i}:[{lo} TO {hi}])")
                        })
                        .collect();
                    format!("({})", tiers.join(" OR "))
                }
                None => format!("price:[{lo} TO {hi}]"),
            });
        }
        // Attribute filters, one per attribute (a range replaces values of the same key),
        // checked per document in the pass.
        let mut clauses: BTreeMap<String, Clause> = BTreeMap::new();
        for (key, values) in &q.values {
            let Some(def) = schema.get(key) else {
                return Err(not_here(key));
            };
            let mut values: Vec<String> = values.clone();
            values.sort();
            values.dedup();
            if values.is_empty() {
                continue;
            }
            let clause = match def.kind {
                // A number chosen from its facet: that value (in the base unit) exactly.
                AttributeKind::Number { .. } => Clause::Numbers(
                    values
                        .iter()
                        .map(|v| {
                            v.trim()
                                .parse::<f64>()
                                .ok()
                                .filter(|n| n.is_finite())
                                .ok_or_else(|| {
                                    SearchError::BadQuery(format!(
                                        "{key}: {v} is not a number (a number value is in the \
                                         attribute's base unit, as its facet lists it)"
                                    ))
                                })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => Clause::Values(values),
            };
            clauses.insert(format!("attrs.{key}"), clause);
        }
        for (key, (from, to)) in &q.ranges {
            let unit = match schema.get(key).map(|a| &a.kind) {
                Some(AttributeKind::Number { unit, .. }) => *unit,
                Some(_) => {
                    return Err(SearchError::BadQuery(format!(
                        "{key} is not a number attribute"
                    )))
                }
                None => return Err(not_here(key)),
            };
            let bound = |b: &Option<String>| -> Result<Option<f64>, SearchError> {
                match b.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    None => Ok(None),
                    Some(text) => match text.parse::<f64>() {
                        Ok(v) if v.is_finite() => Ok(Some(v)),
                        _ => Measure::parse(text)
                            .and_then(|m| m.in_unit(unit))
                            .map(Some)
                            .map_err(|e| SearchError::BadQuery(format!("{key}: {e}"))),
                    },
                }
            };
            clauses.insert(
                format!("attrs.{key}"),
                Clause::Range(bound(from)?, bound(to)?),
            );
        }
        if clauses.len() > 64 {
            return Err(SearchError::BadQuery(
                "at most 64 attributes can be filtered at once".into(),
            ));
        }

        let query = with_text(parser.parse_query(&base.join(" "))?, &text);
        let offset = match &q.after {
            Some(c) => URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|n| *n <= MAX_OFFSET)
                .ok_or_else(|| SearchError::BadQuery("not a cursor from this search".into()))?,
            None => 0,
        };
        let first = q.first.clamp(1, 100);
        let order = match (q.sort, q.quantity) {
            (Sort::Relevance, _) => Order::Score,
            (Sort::Price, Some(quantity)) => Order::PriceAt(quantity),
            (Sort::Price, None) => Order::Price,
            (Sort::Rating, _) => Order::Rating,
            (Sort::LeadTime, _) => Order::LeadTime,
        };
        let facet_of = |d: &AttributeDef| {
            let kind = match d.kind {
                AttributeKind::Number { .. } => FacetKind::Number,
                _ => FacetKind::Terms,
            };
            (format!("attrs.{}", d.key), kind)
        };
        // With one category's schema, its facets; otherwise every attribute the categories
        // searched agree on, each product counted in those its category has, and afterwards
        // only those every category among the results has are kept.
        let pass = Faceted {
            scored: matches!(order, Order::Score) && text.is_some(),
            order,
            keep: offset + first,
            clauses: clauses.into_iter().collect(),
            facets: match q.without_facets {
                true => Vec::new(),
                false => schema.attributes.iter().map(facet_of).collect(),
            },
            held: (own.is_none() && !q.without_facets).then(|| scope.holds.clone()),
            categories: !q.without_facets,
        };
        let searcher = self.reader.searcher();
        let found = searcher.search(&query, &pass)?;
        let mut categories: Vec<CategoryCount> = found
            .categories
            .iter()
            .filter_map(|(id, count)| {
                Some(CategoryCount {
                    category: CategoryId(id.parse().ok()?),
                    count: *count,
                })
            })
            .collect();
        categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
        let hits = found
            .top
            .iter()
            .skip(offset)
            .map(|a| self.product_at(&searcher, *a))
            .collect::<Result<Vec<IndexedProduct>, SearchError>>()?;
        let total = found.total;
        let next = (offset + hits.len() < total)
            .then(|| URL_SAFE_NO_PAD.encode((offset + hits.len()).to_string()));
        let kept: Vec<usize> = match own {
            _ if q.without_facets => Vec::new(),
            Some(_) => (0..schema.attributes.len()).collect(),
            None => scope.common(found.categories.keys().map(String::as_str)),
        };
        let mut counts: Vec<Option<FacetCounts>> = found.facets.into_iter().map(Some).collect();
        let (defs, counts): (Vec<&AttributeDef>, Vec<FacetCounts>) = kept
            .into_iter()
            .filter_map(|i| Some((&schema.attributes[i], counts.get_mut(i)?.take()?)))
            .unzip();
        let mut facets: Vec<Facet> = defs
            .into_iter()
            .zip(counts)
            .map(|(def, counts)| {
                let (mut values, unit): (Vec<FacetValue>, _) = match &def.kind {
                    AttributeKind::Number { unit, .. } => (
                        counts
                            .numbers
                            .iter()
                            .map(|(bits, n)| FacetValue {
                                // 12 rather than 12.0: the value as a buyer would type it.
                                value: f64::from_bits(*bits).to_string(),
                                count: *n,
                            })
                            .collect(),
                        Some(unit.symbol().to_string()),
                    ),
                    _ => (
                        counts
                            .terms
                            .into_iter()
                            .map(|(value, count)| FacetValue { value, count })
                            .collect(),
                        None,
                    ),
                };
                // The most common first; equal counts by value (numbers by size).
                values.sort_by(|a, b| {
                    b.count.cmp(&a.count).then_with(|| {
                        match (a.value.parse::<f64>(), b.value.parse::<f64>()) {
                            (Ok(x), Ok(y)) if unit.is_some() => x.total_cmp(&y),
                            _ => a.value.cmp(&b.value),
                        }
                    })
                });
                values.truncate(FACET_VALUES);
                Facet {
                    key: def.key.clone(),
                    label: def.label.clone(),
                    values,
                    min: counts.min,
                    max: counts.max,
                    unit,
                }
            })
            .collect();
        order_by_usefulness(&mut facets, schema);
        Ok(SearchResult {
            total,
            hits,
            facets,
            categories,
            next,
        })
    }
}

/// Most values listed per facet, the most common first.
const FACET_VALUES: usize = 200;
/// The deepest a cursor may page (the page and all before it are kept while searching).
const MAX_OFFSET: usize = 10_000;

/// Facets a buyer most needs come first: the category's required attributes in the schema's
/// order, then the optional ones by how evenly they split the results (entropy of the counts),
/// then those that do not split the results at all (one value, or none).
fn order_by_usefulness(facets: &mut [Facet], schema: &zhuchao_domain::category::CategorySchema) {
    let required = |key: &str| schema.get(key).is_some_and(|d| d.required);
    let position = |key: &str| {
        schema
            .attributes
            .iter()
            .position(|d| d.key == key)
            .unwrap_or(usize::MAX)
    };
    let split = |f: &Facet| -> f64 {
        let counts: Vec<f64> = f
            .values
            .iter()
            .filter(|v| v.count > 0)
            .map(|v| v.count as f64)
            .collect();
        let total: f64 = counts.iter().sum();
        if counts.len() < 2 || total == 0.0 {
            return 0.0;
        }
        -counts
            .iter()
            .map(|c| (c / total) * (c / total).log2())
            .sum::<f64>()
    };
    facets.sort_by(|a, b| {
        let (sa, sb) = (split(a), split(b));
        let rank = |f: &Facet, s: f64| match (required(&f.key), s > 0.0) {
            (_, false) => 2,
            (true, true) => 0,
            (false, true) => 1,
        };
        let (ra, rb) = (rank(a, sa), rank(b, sb));
        ra.cmp(&rb)
            .then_with(|| {
                if ra == 1 {
                    sb.total_cmp(&sa)
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .then_with(|| position(&a.key).cmp(&position(&b.key)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhuchao_domain::category::{hex_bolt_schema, CategorySchema};

    fn facet(key: &str, counts: &[u64]) -> Facet {
        Facet {
            key: key.into(),
            label: key.into(),
            values: counts
                .iter()
                .enumerate()
                .map(|(i, c)| FacetValue {
                    value: i.to_string(),
                    count: *c,
                })
                .collect(),
            min: None,
            max: None,
            unit: None,
        }
    }

    #[test]
    fn required_facets_first_then_the_evenest_split_then_those_that_do_not_split() {
        let schema = CategorySchema {
            attributes: hex_bolt_schema(),
        };
        // Given: material (required) has one value only; finish (optional) splits 50/50;
        // strength_class (optional) splits 90/10.
        let mut facets = vec![
            facet("strength_class", &[90, 10]),
            facet("material", &[100]),
            facet("finish", &[50, 50]),
            facet("length", &[10, 20, 70]),
            facet("thread", &[1, 99]),
        ];
        order_by_usefulness(&mut facets, &schema);
        let keys: Vec<&str> = facets.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            ["thread", "length", "finish", "strength_class", "material"]
        );
    }
}
