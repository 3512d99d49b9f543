//! One pass over the documents a search's other filters match: the attribute filters are checked
//! per document from the fast fields, so the same pass counts the hits, keeps the top of the
//! page and counts every facet under all filters but its own (disjunctive), instead of one
//! search per facet.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, DynamicColumn, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};
use zhuchao_domain::product::MAX_TIERS;

/// An attribute filter, checked per document.
#[derive(Clone, Debug)]
pub(crate) enum Clause {
    /// Any of these values (enum and text attributes).
    Values(Vec<String>),
    /// Any of these numbers (in the attribute's base unit).
    Numbers(Vec<f64>),
    /// A number within the bounds, both included (in the attribute's base unit).
    Range(Option<f64>, Option<f64>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FacetKind {
    /// Counts per value.
    Terms,
    /// Counts per value, with the smallest and largest.
    Number,
}

/// How the page is ordered; ties go to the earlier document.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Order {
    /// By relevance to the text (all equal without text).
    Score,
    /// The unit price at this quantity, cheapest first.
    PriceAt(u64),
    /// The unit price at the MOQ, cheapest first.
    Price,
    /// Best-rated supplier first.
    Rating,
    /// Shortest lead time first.
    LeadTime,
}

pub(crate) struct Faceted {
    /// Fast field (`attrs.thread`) and its filter; at most 64.
    pub clauses: Vec<(String, Clause)>,
    /// Fast field (`attrs.thread`, `category`) and kind of each facet to count; a facet is
    /// counted under every clause but the one on its own field.
    pub facets: Vec<(String, FacetKind)>,
    pub order: Order,
    /// Documents to keep from the top (the page and those before it).
    pub keep: usize,
    /// Whether the order needs relevance scores.
    pub scored: bool,
    /// Per category (its id as the `category` field holds it), the facets its products are
    /// counted in; `None` counts every facet for every document.
    pub held: Option<std::sync::Arc<HashMap<String, Vec<usize>>>>,
    /// Whether to count the documents by category.
    pub categories: bool,
}

/// What one pass found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Documents matching every filter.
    pub total: usize,
    /// The top `keep` of them, best first.
    pub top: Vec<DocAddress>,
    /// Per facet (in the order asked): each value's count, and the smallest and largest number.
    pub facets: Vec<FacetCounts>,
    /// Documents matching every filter, by category.
    pub categories: HashMap<String, u64>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct FacetCounts {
    pub terms: HashMap<String, u64>,
    pub numbers: HashMap<u64, u64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A number column of any numeric type, read as `f64`.
enum Numbers {
    I64(Column<i64>),
    U64(Column<u64>),
    F64(Column<f64>),
    Missing,
}

impl Numbers {
    fn open(segment: &SegmentReader, field: &str) -> tantivy::Result<Self> {
        for handle in segment.fast_fields().dynamic_column_handles(field)? {
            match handle.open()? {
                DynamicColumn::I64(c) => return Ok(Self::I64(c)),
                DynamicColumn::U64(c) => return Ok(Self::U64(c)),
                DynamicColumn::F64(c) => return Ok(Self::F64(c)),
                _ => {}
            }
        }
        Ok(Self::Missing)
    }

    fn first(&self, doc: DocId) -> Option<f64> {
        match self {
            Self::I64(c) => c.first(doc).map(|v| v as f64),
            Self::U64(c) => c.first(doc).map(|v| v as f64),
            Self::F64(c) => c.first(doc),
            Self::Missing => None,
        }
    }
}

/// A clause ready for one segment: the accepted values as that segment's term ordinals.
enum SegmentClause {
    Values(Option<StrColumn>, Vec<u64>),
    Numbers(Numbers, Vec<f64>),
    Range(Numbers, f64, f64),
}

impl SegmentClause {
    fn matches(&self, doc: DocId) -> bool {
        match self {
            Self::Values(Some(column), accepted) => {
                column.term_ords(doc).any(|ord| accepted.contains(&ord))
            }
            Self::Values(None, _) => false,
            Self::Numbers(numbers, accepted) => {
                numbers.first(doc).is_some_and(|v| accepted.contains(&v))
            }
            Self::Range(numbers, lo, hi) => {
                numbers.first(doc).is_some_and(|v| v >= *lo && v <= *hi)
            }
        }
    }
}

enum SegmentFacet {
    /// Not opened until a document is counted in it: without one schema most attributes belong
    /// to categories none of the results are in.
    Later(String, FacetKind),
    Terms {
        column: Option<StrColumn>,
        counts: Vec<u64>,
    },
    Number {
        column: Numbers,
        counts: HashMap<u64, u64>,
        min: f64,
        max: f64,
    },
}

/// A sort key per document of one segment.
enum Rank {
    Score,
    Ascending(Column<i64>),
    AscendingU(Column<u64>),
    Descending(Column<u64>),
    PriceAt(u64, Vec<(Column<u64>, Column<i64>)>),
}

impl Rank {
    /// Larger is better.
    fn of(&self, doc: DocId, score: Score) -> f64 {
        match self {
            Rank::Score => f64::from(score),
            Rank::Ascending(c) => -(c.first(doc).unwrap_or(i64::MAX) as f64),
            Rank::AscendingU(c) => -(c.first(doc).unwrap_or(u64::MAX) as f64),
            Rank::Descending(c) => c.first(doc).unwrap_or(0) as f64,
            Rank::PriceAt(quantity, tiers) => {
                let mut price = i64::MAX;
                for (qty, unit) in tiers {
                    match (qty.first(doc), unit.first(doc)) {
                        (Some(min), Some(p)) if min <= *quantity => price = p,
                        _ => break,
                    }
                }
                -(price as f64)
            }
        }
    }
}

/// A kept document: better rank first, then the earlier document.
#[derive(Clone, Copy, Debug)]
struct Kept {
    rank: f64,
    address: DocAddress,
}

impl PartialEq for Kept {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Kept {}
impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Kept {
    /// "Greater" is worse, so that a max-heap's top is the worst kept.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .rank
            .total_cmp(&self.rank)
            .then_with(|| self.address.cmp(&other.address))
    }
}

pub(crate) struct FacetedSegment {
    segment: SegmentOrdinal,
    clauses: Vec<SegmentClause>,
    /// Per facet: the index of its own clause, if it has one.
    own: Vec<Option<usize>>,
    facets: Vec<SegmentFacet>,
    /// Each document's category, counted, and (by its term ordinal) the facets it is counted in.
    category: Option<StrColumn>,
    by_category: Vec<u64>,
    held: Option<Vec<Vec<usize>>>,
    /// To open the facets counted later, and the first failure to.
    reader: SegmentReader,
    error: Option<tantivy::TantivyError>,
    rank: Rank,
    keep: usize,
    heap: BinaryHeap<Kept>,
    total: usize,
}

impl Collector for Faceted {
    type Fruit = Found;
    type Child = FacetedSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetedSegment> {
        let fast = reader.fast_fields();
        let mut clauses = Vec::with_capacity(self.clauses.len());
        for (key, clause) in &self.clauses {
            clauses.push(match clause {
                Clause::Values(values) => {
                    let column = fast.str(key)?;
                    let mut ords = Vec::new();
                    if let Some(c) = &column {
                        for v in values {
                            if let Some(ord) = c.dictionary().term_ord(v.as_bytes())? {
                                ords.push(ord);
                            }
                        }
                    }
                    SegmentClause::Values(column, ords)
                }
                Clause::Numbers(values) => {
                    SegmentClause::Numbers(Numbers::open(reader, key)?, values.clone())
                }
                Clause::Range(lo, hi) => SegmentClause::Range(
                    Numbers::open(reader, key)?,
                    lo.unwrap_or(f64::NEG_INFINITY),
                    hi.unwrap_or(f64::INFINITY),
                ),
            });
        }
        let mut facets = Vec::with_capacity(self.facets.len());
        for (key, kind) in &self.facets {
            facets.push(match self.held {
                Some(_) => SegmentFacet::Later(key.clone(), *kind),
                None => open_facet(reader, key, *kind)?,
            });
        }
        let category = match self.categories || self.held.is_some() {
            true => fast.str("category")?,
            false => None,
        };
        let terms = category.as_ref().map_or(0, |c| c.num_terms());
        let held = match (&self.held, &category) {
            (Some(held), Some(column)) => {
                let mut text = String::new();
                let mut by_ord = Vec::with_capacity(terms);
                for ord in 0..terms as u64 {
                    text.clear();
                    column.ord_to_str(ord, &mut text)?;
                    by_ord.push(held.get(&text).cloned().unwrap_or_default());
                }
                Some(by_ord)
            }
            (Some(_), None) => Some(Vec::new()),
            (None, _) => None,
        };
        let own = self
            .facets
            .iter()
            .map(|(key, _)| self.clauses.iter().position(|(k, _)| k == key))
            .collect();
        let rank = match self.order {
            Order::Score => Rank::Score,
            Order::Price => Rank::Ascending(fast.i64("price")?),
            Order::Rating => Rank::Descending(fast.u64("rating")?),
            Order::LeadTime => Rank::AscendingU(fast.u64("lead_time")?),
            Order::PriceAt(quantity) => Rank::PriceAt(
                quantity,
                (0..MAX_TIERS)
                    .map(|i| Ok((fast.u64(&format!("tq{i}"))?, fast.i64(&format!("tp{i}"))?)))
                    .collect::<tantivy::Result<_>>()?,
            ),
        };
        Ok(FacetedSegment {
            segment,
            clauses,
            own,
            facets,
            category,
            by_category: vec![0; terms],
            held,
            reader: reader.clone(),
            error: None,
            rank,
            keep: self.keep,
            heap: BinaryHeap::with_capacity(self.keep + 1),
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scored
    }

    fn merge_fruits(&self, segments: Vec<SegmentFound>) -> tantivy::Result<Found> {
        let mut found = Found {
            facets: vec![FacetCounts::default(); self.facets.len()],
            ..Found::default()
        };
        let mut kept = Vec::new();
        for segment in segments {
            if let Some(e) = segment.error {
                return Err(e);
            }
            found.total += segment.total;
            kept.extend(segment.kept);
            for (category, n) in segment.categories {
                *found.categories.entry(category).or_default() += n;
            }
            for (into, from) in found.facets.iter_mut().zip(segment.facets) {
                for (term, n) in from.terms {
                    *into.terms.entry(term).or_default() += n;
                }
                for (number, n) in from.numbers {
                    *into.numbers.entry(number).or_default() += n;
                }
                into.min = match (into.min, from.min) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                into.max = match (into.max, from.max) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        kept.sort();
        found.top = kept
            .into_iter()
            .take(self.keep)
            .map(|k| k.address)
            .collect();
        Ok(found)
    }
}

/// One segment's part of [`Found`].
pub(crate) struct SegmentFound {
    total: usize,
    kept: Vec<Kept>,
    facets: Vec<FacetCounts>,
    categories: HashMap<String, u64>,
    error: Option<tantivy::TantivyError>,
}

impl SegmentCollector for FacetedSegment {
    type Fruit = SegmentFound;

    fn collect(&mut self, doc: DocId, score: Score) {
        // Which filters the document fails, as bits; past two, no facet can count it.
        let mut failing = 0u64;
        for (i, clause) in self.clauses.iter().enumerate() {
            if !clause.matches(doc) {
                failing |= 1 << i;
                if failing.count_ones() > 1 {
                    return;
                }
            }
        }
        if failing == 0 {
            self.total += 1;
            if self.keep > 0 {
                let kept = Kept {
                    rank: self.rank.of(doc, score),
                    address: DocAddress::new(self.segment, doc),
                };
                if self.heap.len() < self.keep {
                    self.heap.push(kept);
                } else if self.heap.peek().is_some_and(|worst| kept < *worst) {
                    self.heap.pop();
                    self.heap.push(kept);
                }
            }
        }
        let ord = self.category.as_ref().and_then(|c| c.term_ords(doc).next());
        if failing == 0 {
            if let Some(ord) = ord {
                self.by_category[ord as usize] += 1;
            }
        }
        match (&self.held, ord) {
            (None, _) => {
                for (facet, own) in self.facets.iter_mut().zip(&self.own) {
                    count(facet, *own, doc, failing);
                }
            }
            (Some(held), Some(ord)) => {
                for &i in &held[ord as usize] {
                    let facet = &mut self.facets[i];
                    if let SegmentFacet::Later(key, kind) = facet {
                        *facet = match open_facet(&self.reader, key, *kind) {
                            Ok(opened) => opened,
                            Err(e) => {
                                self.error.get_or_insert(e);
                                SegmentFacet::Terms {
                                    column: None,
                                    counts: Vec::new(),
                                }
                            }
                        };
                    }
                    count(facet, self.own[i], doc, failing);
                }
            }
            (Some(_), None) => {}
        }
    }

    fn harvest(self) -> SegmentFound {
        let facets = self
            .facets
            .into_iter()
            .map(|facet| match facet {
                SegmentFacet::Later(..) => FacetCounts::default(),
                SegmentFacet::Terms { column, counts } => {
                    let mut terms = HashMap::new();
                    if let Some(column) = column {
                        let mut text = String::new();
                        for (ord, n) in counts.into_iter().enumerate() {
                            if n > 0 && column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                                terms.insert(text.clone(), n);
                            }
                        }
                    }
                    FacetCounts {
                        terms,
                        ..FacetCounts::default()
                    }
                }
                SegmentFacet::Number {
                    counts, min, max, ..
                } => {
                    let seen = !counts.is_empty();
                    FacetCounts {
                        terms: HashMap::new(),
                        numbers: counts,
                        min: seen.then_some(min),
                        max: seen.then_some(max),
                    }
                }
            })
            .collect();
        let mut categories = HashMap::new();
        if let Some(column) = &self.category {
            let mut text = String::new();
            for (ord, n) in self.by_category.iter().enumerate() {
                if *n > 0 && column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                    categories.insert(text.clone(), *n);
                }
            }
        }
        SegmentFound {
            total: self.total,
            kept: self.heap.into_vec(),
            facets,
            categories,
            error: self.error,
        }
    }
}

/// Counts a document in a facet unless it fails a filter other than the facet's own.
fn count(facet: &mut SegmentFacet, own: Option<usize>, doc: DocId, failing: u64) {
    let counted = match own {
        Some(i) => failing & !(1 << i) == 0,
        None => failing == 0,
    };
    if !counted {
        return;
    }
    match facet {
        SegmentFacet::Terms {
            column: Some(column),
            counts,
        } => {
            for ord in column.term_ords(doc) {
                counts[ord as usize] += 1;
            }
        }
        SegmentFacet::Terms { column: None, .. } | SegmentFacet::Later(..) => {}
        SegmentFacet::Number {
            column,
            counts,
            min,
            max,
        } => {
            if let Some(v) = column.first(doc) {
                *counts.entry(v.to_bits()).or_default() += 1;
                *min = min.min(v);
                *max = max.max(v);
            }
        }
    }
}

fn open_facet(reader: &SegmentReader, key: &str, kind: FacetKind) -> tantivy::Result<SegmentFacet> {
    Ok(match kind {
        FacetKind::Terms => {
            let column = reader.fast_fields().str(key)?;
            let terms = column.as_ref().map_or(0, |c| c.num_terms());
            SegmentFacet::Terms {
                column,
                counts: vec![0; terms],
            }
        }
        FacetKind::Number => SegmentFacet::Number {
            column: Numbers::open(reader, key)?,
            counts: HashMap::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        },
    })
}
