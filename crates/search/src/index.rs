//! The tantivy index and the projection that keeps it: every product (drafts too, so a later
//! event can rebuild its document from the stored source), searchable when published by a supplier
//! that may sell. The checkpoint and the catalogue ride in each commit's payload, so the index and
//! its position never disagree.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::{
    Field, IndexRecordOption, JsonObjectOptions, Schema, TextFieldIndexing, TextOptions, Value,
    FAST, INDEXED, STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use zhuchao_app::handler::decode_recorded;
use zhuchao_domain::category::{AttributeValue, Category};
use zhuchao_domain::ids::{CategoryId, OrderId, ProductId, SupplierId};
use zhuchao_domain::order::Order;
use zhuchao_domain::product::{Product, ProductStatus, MAX_TIERS};
use zhuchao_domain::review::Review;
use zhuchao_domain::supplier::Supplier;
use zhuchao_domain::Aggregate;
use zhuchao_eventstore::{EventStore, Position, RecordedEvent};

use crate::catalogue::{apply_product, Catalogue, IndexedProduct};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Query(#[from] tantivy::query::QueryParserError),
    #[error("search index payload is unreadable: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("{0}")]
    BadQuery(String),
    #[error(transparent)]
    Store(#[from] zhuchao_eventstore::StoreError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    /// An event the index cannot read: it stops before it rather than index without it.
    #[error("the search index stopped at position {position}: {error}")]
    Unreadable {
        position: u64,
        error: zhuchao_domain::EventCodecError,
    },
}

fn read<A: zhuchao_domain::Aggregate>(event: &RecordedEvent) -> Result<A::Event, SearchError> {
    decode_recorded::<A>(event).map_err(|error| SearchError::Unreadable {
        position: event.position.as_u64(),
        error,
    })
}

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub title: Field,
    /// The part number, lower-cased, whole: matched exactly or by prefix.
    pub part_number: Field,
    pub source: Field,
    pub supplier: Field,
    pub category_path: Field,
    /// The product's own category (not its ancestors), counted when no category is chosen.
    pub category: Field,
    pub attrs: Field,
    pub visible: Field,
    pub stock: Field,
    pub moq: Field,
    pub price: Field,
    pub lead_time: Field,
    pub verified: Field,
    pub guaranteed: Field,
    pub level: Field,
    pub rating: Field,
    /// Each price tier's minimum quantity (`u64::MAX` where there is no such tier).
    pub tier_qty: [Field; MAX_TIERS],
    /// Each price tier's unit price in minor units (`i64::MAX` where there is no such tier).
    pub tier_price: [Field; MAX_TIERS],
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("jieba")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let attrs = JsonObjectOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer("raw"))
        .set_fast("raw");
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", text),
        part_number: b.add_text_field("part_number", STRING),
        source: b.add_text_field("source", STORED),
        supplier: b.add_text_field("supplier", STRING | FAST),
        category_path: b.add_text_field("category_path", STRING),
        category: b.add_text_field("category", STRING | FAST),
        attrs: b.add_json_field("attrs", attrs),
        visible: b.add_bool_field("visible", INDEXED | FAST),
        stock: b.add_u64_field("stock", INDEXED | FAST),
        moq: b.add_u64_field("moq", INDEXED | FAST),
        price: b.add_i64_field("price", INDEXED | FAST),
        lead_time: b.add_u64_field("lead_time", INDEXED | FAST),
        verified: b.add_bool_field("verified", INDEXED | FAST),
        guaranteed: b.add_bool_field("guaranteed", INDEXED | FAST),
        level: b.add_u64_field("level", INDEXED | FAST),
        rating: b.add_u64_field("rating", INDEXED | FAST),
        tier_qty: std::array::from_fn(|i| b.add_u64_field(&format!("tq{i}"), INDEXED | FAST)),
        tier_price: std::array::from_fn(|i| b.add_i64_field(&format!("tp{i}"), INDEXED | FAST)),
    };
    (b.build(), fields)
}

pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    writer: Mutex<IndexWriter>,
    pub(crate) fields: Fields,
    /// Swapped whole at each commit: a search holds the one it started with, without copying it.
    pub(crate) catalogue: Mutex<Arc<Catalogue>>,
    /// What the categories of the current catalogue mean to a search.
    pub(crate) scopes: crate::scope::Scopes,
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`, resuming from the checkpoint of its last commit.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let open = || {
            MmapDirectory::open(dir)
                .map_err(|e| SearchError::Io(std::io::Error::other(e.to_string())))
        };
        let mut index = Index::open_or_create(open()?, schema.clone());
        // An index written by an older Zhuchao has other fields: the projection is rebuilt from
        // the store, so start it again from zero.
        if matches!(index, Err(tantivy::TantivyError::SchemaError(_))) {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_file() {
                    std::fs::remove_file(path)?;
                }
            }
            index = Index::open_or_create(open()?, schema);
        }
        Self::with_index(index?, fields)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self, SearchError> {
        // Chinese words segmented by jieba with ordinal positions (for phrases), lower-cased so
        // `Bolt` finds `bolt`, without the whitespace jieba returns as tokens.
        let analyzer = tantivy::tokenizer::TextAnalyzer::builder(
            tantivy_jieba::JiebaTokenizer::with_ordinal_position_mode(true),
        )
        .filter(tantivy::tokenizer::LowerCaser)
        .filter(tantivy::tokenizer::StopWordFilter::remove(vec![
            " ".to_string(),
            "\t".to_string(),
        ]))
        .build();
        index.tokenizers().register("jieba", analyzer);
        let catalogue = match index.load_metas()?.payload {
            Some(payload) => serde_json::from_str(&payload)?,
            None => Catalogue::default(),
        };
        let writer = index.writer(64_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            catalogue: Mutex::new(Arc::new(catalogue)),
            scopes: Default::default(),
        })
    }

    /// The global position of the last event the index includes.
    pub fn position(&self) -> u64 {
        self.catalogue().position
    }

    /// The catalogue as of the last commit.
    pub(crate) fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn stored(&self, id: ProductId) -> Result<Option<IndexedProduct>, SearchError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.id, &id.to_string());
        let top = searcher.search(
            &TermQuery::new(term, IndexRecordOption::Basic),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        let Some((_, address)) = top.first() else {
            return Ok(None);
        };
        self.product_at(&searcher, *address).map(Some)
    }

    /// The product a document holds, from its stored source.
    pub(crate) fn product_at(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<IndexedProduct, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let source = doc
            .get_first(self.fields.source)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        Ok(serde_json::from_str(source)?)
    }

    fn of_supplier(&self, supplier: SupplierId) -> Result<Vec<IndexedProduct>, SearchError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.supplier, &supplier.to_string());
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let count = searcher.search(&query, &tantivy::collector::Count)?;
        let top = searcher.search(&query, &TopDocs::with_limit(count.max(1)).order_by_score())?;
        top.iter()
            .map(|(_, address)| self.product_at(&searcher, *address))
            .collect()
    }

    fn document(
        &self,
        p: &IndexedProduct,
        catalogue: &Catalogue,
    ) -> Result<TantivyDocument, SearchError> {
        let f = self.fields;
        let badges = catalogue.badges(p.supplier);
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, p.id.to_string());
        doc.add_text(f.title, &p.title);
        if !p.sheet.part_number.is_empty() {
            doc.add_text(f.part_number, p.sheet.part_number.to_lowercase());
        }
        doc.add_text(f.source, serde_json::to_string(p)?);
        doc.add_text(f.supplier, p.supplier.to_string());
        doc.add_text(f.category, p.sheet.category.to_string());
        for c in catalogue.path(p.sheet.category) {
            doc.add_text(f.category_path, c.to_string());
        }
        let attrs: serde_json::Map<String, serde_json::Value> = p
            .attributes
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    AttributeValue::Enum(s) | AttributeValue::Text(s) => {
                        serde_json::Value::from(s.clone())
                    }
                    AttributeValue::Number(n) => serde_json::Value::from(*n),
                };
                (k.clone(), value)
            })
            .collect();
        doc.add_object(
            f.attrs,
            attrs
                .into_iter()
                .map(|(k, v)| (k, tantivy::schema::OwnedValue::from(v)))
                .collect(),
        );
        doc.add_bool(
            f.visible,
            p.status == ProductStatus::Published && badges.may_sell,
        );
        doc.add_u64(f.stock, p.available());
        doc.add_u64(f.moq, p.sheet.moq);
        doc.add_i64(f.price, p.price_at_moq());
        doc.add_u64(f.lead_time, u64::from(p.sheet.lead_time_days));
        doc.add_bool(f.verified, badges.verified);
        doc.add_bool(f.guaranteed, badges.guaranteed);
        doc.add_u64(f.level, u64::from(badges.level));
        doc.add_u64(f.rating, u64::from(badges.rating_x10));
        for i in 0..MAX_TIERS {
            let tier = p.sheet.tiers.get(i);
            doc.add_u64(f.tier_qty[i], tier.map_or(u64::MAX, |t| t.min_quantity));
            doc.add_i64(
                f.tier_price[i],
                tier.map_or(i64::MAX, |t| t.unit_price.minor),
            );
        }
        Ok(doc)
    }

    /// Applies a batch of events and commits it with the new checkpoint.
    pub fn apply(&self, events: &[RecordedEvent]) -> Result<(), SearchError> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        let mut catalogue = Catalogue::clone(&self.catalogue());
        let mut touched: HashMap<ProductId, IndexedProduct> = HashMap::new();
        let mut restamped: HashSet<SupplierId> = HashSet::new();
        for event in events {
            if event.position.as_u64() <= catalogue.position {
                continue;
            }
            let Some((kind, id)) = event.stream.as_str().split_once('-') else {
                continue;
            };
            let Ok(uuid) = id.parse::<uuid::Uuid>() else {
                continue;
            };
            if kind == Product::KIND {
                let e = read::<Product>(event)?;
                let id = ProductId(uuid);
                let before = match touched.remove(&id) {
                    Some(p) => Some(p),
                    None => self.stored(id)?,
                };
                if let Some(after) = apply_product(id, before, &e) {
                    touched.insert(id, after);
                }
            } else if kind == Supplier::KIND {
                let id = SupplierId(uuid);
                if catalogue.apply_supplier(id, &read::<Supplier>(event)?) {
                    restamped.insert(id);
                }
            } else if kind == Order::KIND {
                if let Some(supplier) = catalogue.apply_order(OrderId(uuid), &read::<Order>(event)?)
                {
                    restamped.insert(supplier);
                }
            } else if kind == Review::KIND {
                if let Some(supplier) = catalogue.apply_review(&read::<Review>(event)?) {
                    restamped.insert(supplier);
                }
            } else if kind == Category::KIND {
                catalogue.apply_category(CategoryId(uuid), &read::<Category>(event)?);
            }
        }
        // Suppliers whose badges changed: every product of theirs is written again with the
        // new badges (once per batch, however many of their events it held).
        for supplier in restamped {
            for p in self.of_supplier(supplier)? {
                touched.entry(p.id).or_insert(p);
            }
        }
        catalogue.position = last.position.as_u64().max(catalogue.position);
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for (id, product) in &touched {
            writer.delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
            writer.add_document(self.document(product, &catalogue)?)?;
        }
        let payload = serde_json::to_string(&catalogue)?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&payload);
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        *self.catalogue.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(catalogue);
        Ok(())
    }

    /// Loads a whole catalogue at once, without events (benchmarks, imports): categories, supplier
    /// standings and products, committed once at `position`.
    pub fn load(
        &self,
        categories: impl IntoIterator<Item = (CategoryId, crate::catalogue::CategoryInfo)>,
        suppliers: impl IntoIterator<Item = (SupplierId, crate::catalogue::SupplierState)>,
        products: impl IntoIterator<Item = IndexedProduct>,
        position: u64,
    ) -> Result<usize, SearchError> {
        let mut catalogue = Catalogue::clone(&self.catalogue());
        catalogue.categories.extend(categories);
        catalogue.suppliers.extend(suppliers);
        catalogue.position = position;
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut count = 0;
        for product in products {
            writer.add_document(self.document(&product, &catalogue)?)?;
            count += 1;
        }
        drop(writer);
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let payload = serde_json::to_string(&catalogue)?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&payload);
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        *self.catalogue.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(catalogue);
        Ok(count)
    }

    /// The words the index makes of a title (for peers that must search the same words).
    pub fn title_words(&self, title: &str) -> Vec<String> {
        let mut analyzer = self
            .index
            .tokenizers()
            .get("jieba")
            .expect("registered at open");
        let mut stream = analyzer.token_stream(title);
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        words
    }

    /// Empties the index and its checkpoint, for a rebuild from zero.
    pub fn clear(&self) -> Result<(), SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        writer.delete_all_documents()?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&serde_json::to_string(&Catalogue::default())?);
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        *self.catalogue.lock().unwrap_or_else(|p| p.into_inner()) = Arc::default();
        Ok(())
    }

    /// Follows the store from the checkpoint: catches up, then applies new events in small
    /// batches, committing within `max_delay` of an event's arrival. Runs until the store fails.
    pub async fn follow<S: EventStore>(
        self: Arc<Self>,
        store: S,
        max_delay: Duration,
    ) -> Result<(), SearchError> {
        let mut events = store.subscribe_all(Position::from_u64(self.position()));
        loop {
            let Some(first) = events.next().await else {
                return Ok(());
            };
            let mut batch = vec![first?];
            let deadline = tokio::time::Instant::now() + max_delay;
            while batch.len() < 5_000 {
                match tokio::time::timeout_at(deadline, events.next()).await {
                    Ok(Some(next)) => batch.push(next?),
                    _ => break,
                }
            }
            let index = self.clone();
            tokio::task::spawn_blocking(move || index.apply(&batch))
                .await
                .map_err(|e| SearchError::BadQuery(format!("indexing task failed: {e}")))??;
        }
    }
}
