//! Parametric product search: a tantivy index of published products, fed from the global event
//! stream (a projection with its checkpoint in the index's commit payload, rebuildable from zero),
//! answering free text in Chinese and English plus filters on typed attributes in any unit the
//! category knows, with disjunctive facet counts.

mod catalogue;
mod faceted;
mod index;
mod query;
mod scope;
mod vocabulary;

pub use catalogue::{CategoryInfo, IndexedProduct, SupplierBadges, SupplierState};
pub use index::{SearchError, SearchIndex};
pub use query::{CategoryCount, Facet, FacetValue, SearchQuery, SearchResult, Sort};
