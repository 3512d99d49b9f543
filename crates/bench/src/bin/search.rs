//! Search benchmark: a generated industrial catalogue (default 1,000,000 products over 50
//! categories, 6–12 typed attributes each), indexed by Zhuchao's search index, then a mix of
//! 1,000 queries (text only; text + 3 filters; category + 5 filters; wide facets) timed with their
//! facet counts. The same data and queries run on PostgreSQL (full-text tsvector + JSONB attributes
//! with GIN indexes + GROUP BY facet counts), and the answers are compared. Last line: JSON.
//!
//! `cargo run --release -p zhuchao-bench --bin search -- [--products N] [--queries N] [--no-postgres]`

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use anyhow::{Context, Result};
use futures::SinkExt;
use serde_json::json;
use uuid::Uuid;
use zhuchao_bench::postgres::Postgres;
use zhuchao_bench::stats::{round, Latencies};
use zhuchao_domain::category::{AttributeDef, AttributeKind, AttributeValue, CategorySchema};
use zhuchao_domain::ids::{CategoryId, ProductId, SupplierId};
use zhuchao_domain::money::Money;
use zhuchao_domain::product::{PriceTier, ProductSheet, ProductStatus};
use zhuchao_domain::supplier::SupplierStatus;
use zhuchao_domain::units::Unit;
use zhuchao_search::{CategoryInfo, IndexedProduct, SearchIndex, SearchQuery, SupplierState};

const CATEGORIES: usize = 50;
const SUPPLIERS: usize = 500;

struct Dice(u64);
impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const KEYWORDS: [(&str, &str); 10] = [
    ("螺栓", "bolt"),
    ("螺母", "nut"),
    ("垫圈", "washer"),
    ("轴承", "bearing"),
    ("气缸", "cylinder"),
    ("接头", "fitting"),
    ("钻头", "drill"),
    ("丝锥", "tap"),
    ("阀门", "valve"),
    ("弹簧", "spring"),
];

struct Category {
    id: CategoryId,
    schema: CategorySchema,
    zh: &'static str,
    en: &'static str,
}

fn categories(dice: &mut Dice) -> Vec<Category> {
    (0..CATEGORIES)
        .map(|c| {
            let (zh, en) = KEYWORDS[c % KEYWORDS.len()];
            let attributes = (0..6 + dice.below(7))
                .map(|a| {
                    let kind = if a % 3 == 1 {
                        AttributeKind::Number {
                            unit: Unit::Millimetre,
                            min: Some(1.0),
                            max: Some(1000.0),
                        }
                    } else {
                        let cardinality = [3, 5, 8, 12, 20, 40][dice.below(6)];
                        AttributeKind::Enum {
                            values: (0..cardinality).map(|v| format!("V{a}-{v}")).collect(),
                        }
                    };
                    AttributeDef {
                        key: format!("a{a}"),
                        label: format!("Attribute {a}"),
                        kind,
                        required: true,
                    }
                })
                .collect();
            Category {
                id: CategoryId(Uuid::from_u128(1_000 + c as u128)),
                schema: CategorySchema { attributes },
                zh,
                en,
            }
        })
        .collect()
}

fn product(i: usize, cats: &[Category], dice: &mut Dice) -> IndexedProduct {
    let c = &cats[dice.below(cats.len())];
    let mut attributes = BTreeMap::new();
    let mut words = Vec::new();
    for def in &c.schema.attributes {
        let value = match &def.kind {
            AttributeKind::Enum { values } => {
                let v = values[dice.below(values.len())].clone();
                words.push(v.clone());
                AttributeValue::Enum(v)
            }
            _ => AttributeValue::Number(
                [
                    2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 25.0, 30.0, 40.0, 50.0,
                    60.0, 80.0, 100.0,
                ][dice.below(17)],
            ),
        };
        attributes.insert(def.key.clone(), value);
    }
    let moq = [10u64, 50, 100, 500, 1000][dice.below(5)];
    let base = 5 + dice.below(2000) as i64;
    let sheet = ProductSheet {
        category: c.id,
        part_number: String::new(),
        brand: ["固力", "东明", "SKF", "SMC", "Bosch", "晋亿"][dice.below(6)].into(),
        keyword: format!("{} {}", c.zh, c.en),
        name: format!("Model {i}"),
        description: String::new(),
        images: vec![],
        moq,
        pack_size: moq.min(10),
        tiers: vec![
            PriceTier {
                min_quantity: moq,
                unit_price: Money::cny(base),
            },
            PriceTier {
                min_quantity: moq * 10,
                unit_price: Money::cny(base * 9 / 10),
            },
        ],
        stock: if dice.below(5) == 0 {
            0
        } else {
            100 + dice.below(100_000) as u64
        },
        lead_time_days: dice.below(30) as u32,
        shipping_cost: Money::cny(0),
    };
    IndexedProduct {
        id: ProductId(Uuid::from_u128(10_000_000 + i as u128)),
        supplier: SupplierId(Uuid::from_u128(100 + dice.below(SUPPLIERS) as u128)),
        title: format!(
            "{} {} {} {} {}",
            sheet.brand,
            c.zh,
            c.en,
            words.join(" "),
            sheet.name
        ),
        sheet,
        attributes,
        reservations: Default::default(),
        status: ProductStatus::Published,
    }
}

fn queries(n: usize, cats: &[Category], dice: &mut Dice) -> Vec<SearchQuery> {
    (0..n)
        .map(|i| {
            let c = &cats[dice.below(cats.len())];
            let mut q = SearchQuery {
                first: 20,
                ..Default::default()
            };
            let enum_value = |dice: &mut Dice, skip: usize| -> Option<(String, String)> {
                let enums: Vec<&AttributeDef> = c
                    .schema
                    .attributes
                    .iter()
                    .filter(|a| matches!(a.kind, AttributeKind::Enum { .. }))
                    .collect();
                let def =
                    enums.get((skip + dice.below(enums.len().max(1))) % enums.len().max(1))?;
                let AttributeKind::Enum { values } = &def.kind else {
                    return None;
                };
                Some((def.key.clone(), values[dice.below(values.len())].clone()))
            };
            let number_key = c
                .schema
                .attributes
                .iter()
                .find(|a| matches!(a.kind, AttributeKind::Number { .. }))
                .map(|a| a.key.clone());
            match i % 4 {
                0 => q.text = Some(if dice.below(2) == 0 { c.zh } else { c.en }.to_string()),
                1 => {
                    q.text = Some(c.en.to_string());
                    q.category = Some(c.id);
                    q.in_stock = true;
                    if let Some((k, v)) = enum_value(dice, 0) {
                        q.values.insert(k, vec![v]);
                    }
                    if let Some(k) = &number_key {
                        q.ranges
                            .insert(k.clone(), (Some("10".into()), Some("60".into())));
                    }
                }
                2 => {
                    q.category = Some(c.id);
                    q.in_stock = true;
                    q.quantity = Some(500);
                    for skip in 0..2 {
                        if let Some((k, v)) = enum_value(dice, skip) {
                            q.values.entry(k).or_default().push(v);
                        }
                    }
                    if let Some(k) = &number_key {
                        q.ranges
                            .insert(k.clone(), (Some("5".into()), Some("40".into())));
                    }
                }
                _ => q.category = Some(c.id),
            }
            q
        })
        .collect()
}

struct Settings {
    products: usize,
    queries: usize,
    postgres: bool,
}

fn settings() -> Result<Settings> {
    let mut s = Settings {
        products: 1_000_000,
        queries: 1000,
        postgres: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--products" => s.products = args.next().context("a number")?.parse()?,
            "--queries" => s.queries = args.next().context("a number")?.parse()?,
            "--no-postgres" => s.postgres = false,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(s)
}

fn sorted(mut counts: Vec<(String, u64)>) -> Vec<(String, u64)> {
    counts.sort();
    counts
}

/// The answer compared between the two engines: the total and every facet's counts.
type Answer = (usize, BTreeMap<String, Vec<(String, u64)>>);

#[tokio::main]
async fn main() -> Result<()> {
    let settings = settings()?;
    let mut dice = Dice(2026);
    let cats = categories(&mut dice);
    eprintln!("generating {} products …", settings.products);
    let products: Vec<IndexedProduct> = (0..settings.products)
        .map(|i| product(i, &cats, &mut dice))
        .collect();
    let suppliers: Vec<(SupplierId, SupplierState)> = (0..SUPPLIERS)
        .map(|s| {
            (
                SupplierId(Uuid::from_u128(100 + s as u128)),
                SupplierState {
                    status: Some(SupplierStatus::Active),
                    documents_approved: s % 5 != 0,
                    deposit_full: s % 3 != 0,
                    held: 1,
                    required: 1,
                    completed_orders: 0,
                    score_sum: 0,
                    scores: 0,
                    approved: Default::default(),
                },
            )
        })
        .collect();

    let dir = tempfile::Builder::new()
        .prefix("zhuchao-search-bench-")
        .tempdir()?;
    let index = SearchIndex::open(dir.path())?;
    let started = Instant::now();
    let loaded = index.load(
        cats.iter().map(|c| {
            (
                c.id,
                CategoryInfo {
                    parent: None,
                    schema: c.schema.clone(),
                    synonyms: Vec::new(),
                    translations: Default::default(),
                },
            )
        }),
        suppliers.clone(),
        products.iter().cloned(),
        1,
    )?;
    let index_per_s = loaded as f64 / started.elapsed().as_secs_f64();
    eprintln!("indexed {loaded} products at {index_per_s:.0}/s");

    let mix = queries(settings.queries, &cats, &mut dice);
    let mut latencies = Vec::with_capacity(mix.len());
    let mut ours: Vec<Answer> = Vec::with_capacity(mix.len());
    for q in &mix {
        let t = Instant::now();
        let r = index.search(q)?;
        latencies.push(t.elapsed());
        ours.push((
            r.total,
            r.facets
                .iter()
                .map(|f| {
                    (
                        f.key.clone(),
                        sorted(
                            f.values
                                .iter()
                                .map(|v| (v.value.clone(), v.count))
                                .collect(),
                        ),
                    )
                })
                .collect(),
        ));
    }
    let ours_latency = Latencies::new(latencies);
    eprintln!(
        "zhuchao: p50 {:.2} ms, p99 {:.2} ms",
        ours_latency.percentile_ms(50.0),
        ours_latency.percentile_ms(99.0)
    );

    let visible_ms = visibility(&index, &cats)?;
    eprintln!("append-to-searchable: {visible_ms:.1} ms (median of 20)");

    let mut figures = json!({
        "products": loaded,
        "queries": mix.len(),
        "p50_ms": round(ours_latency.percentile_ms(50.0), 3),
        "p99_ms": round(ours_latency.percentile_ms(99.0), 3),
        "index_products_per_s": round(index_per_s, 0),
        "visible_ms": round(visible_ms, 1),
    });
    if settings.postgres {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let pg = Postgres::start(port)?;
        let (pg_latency, theirs) = postgres(
            &pg.connection_string(),
            &index,
            &cats,
            &products,
            &suppliers,
            &mix,
        )
        .await?;
        let equal = ours.iter().zip(&theirs).filter(|(a, b)| a == b).count();
        if equal != mix.len() {
            if let Some((i, (a, b))) = ours
                .iter()
                .zip(&theirs)
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                eprintln!(
                    "first difference at query {i}: {:?}\n zhuchao {:?}\n postgres {:?}",
                    mix[i], a.0, b.0
                );
            }
        }
        figures["pg_p50_ms"] = json!(round(pg_latency.percentile_ms(50.0), 3));
        figures["pg_p99_ms"] = json!(round(pg_latency.percentile_ms(99.0), 3));
        figures["speedup_p50"] = json!(round(
            pg_latency.percentile_ms(50.0) / ours_latency.percentile_ms(50.0),
            1
        ));
        figures["results_equal"] = json!(equal == mix.len());
        figures["results_equal_count"] = json!(equal);
    }
    println!("{figures}");
    Ok(())
}

/// Time from applying a publish event to the product being found, median of 20.
fn visibility(index: &SearchIndex, cats: &[Category]) -> Result<f64> {
    use zhuchao_domain::product::{ProductDrafted, ProductEvent};
    use zhuchao_domain::DomainEvent;
    use zhuchao_eventstore::{Metadata, Position, RecordedEvent, StreamName};
    let mut times = Vec::new();
    let mut position = index.position();
    for n in 0..20u128 {
        let id = ProductId(Uuid::from_u128(900_000_000 + n));
        let mut dice = Dice(n as u64 + 7);
        let mut p = product(n as usize, cats, &mut dice);
        let probe = format!("probe{}", Uuid::now_v7().simple());
        p.title = format!("{} {probe}", p.title);
        let events = [
            ProductEvent::ProductDrafted(ProductDrafted {
                id,
                supplier: p.supplier,
                sheet: p.sheet.clone(),
                attributes: p.attributes.clone(),
                title: p.title.clone(),
            }),
            ProductEvent::ProductPublished(()),
        ];
        let recorded: Vec<RecordedEvent> = events
            .iter()
            .enumerate()
            .map(|(v, e)| {
                let (t, sv, body) = e.encode();
                position += 1;
                RecordedEvent {
                    id: Uuid::now_v7(),
                    stream: StreamName::new(format!("product-{id}")).expect("name"),
                    version: v as u64,
                    position: Position::from_u64(position),
                    event_type: t.into(),
                    schema_version: sv,
                    payload: body.to_string(),
                    metadata: Metadata::new(Uuid::now_v7(), 0),
                }
            })
            .collect();
        let t = Instant::now();
        index.apply(&recorded)?;
        let found = index.search(&SearchQuery {
            text: Some(probe),
            first: 10,
            ..Default::default()
        })?;
        anyhow::ensure!(
            found.hits.iter().any(|h| h.id == id),
            "the new product was not found"
        );
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(zhuchao_bench::stats::median(times))
}

async fn postgres(
    url: &str,
    index: &SearchIndex,
    cats: &[Category],
    products: &[IndexedProduct],
    suppliers: &[(SupplierId, SupplierState)],
    mix: &[SearchQuery],
) -> Result<(Latencies, Vec<Answer>)> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(
            "CREATE TABLE products (id uuid PRIMARY KEY, category uuid NOT NULL, supplier uuid NOT NULL, words tsvector NOT NULL,
             attrs jsonb NOT NULL, stock bigint NOT NULL, moq bigint NOT NULL, price bigint NOT NULL, verified bool NOT NULL, guaranteed bool NOT NULL)",
        )
        .await?;
    let badges: HashMap<SupplierId, (bool, bool)> = suppliers
        .iter()
        .map(|(id, s)| (*id, (s.documents_approved, s.deposit_full)))
        .collect();
    eprintln!("loading {} products into PostgreSQL …", products.len());
    let started = Instant::now();
    let sink = client.copy_in("COPY products (id, category, supplier, words, attrs, stock, moq, price, verified, guaranteed) FROM STDIN").await?;
    futures::pin_mut!(sink);
    let mut buffer = String::with_capacity(1 << 20);
    for p in products {
        let attrs: serde_json::Map<String, serde_json::Value> = p
            .attributes
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    match v {
                        AttributeValue::Number(n) => json!(n),
                        AttributeValue::Enum(s) | AttributeValue::Text(s) => json!(s),
                    },
                )
            })
            .collect();
        let words: Vec<String> = index
            .title_words(&p.title)
            .into_iter()
            .map(|w| format!("'{}'", w.replace('\'', "''").replace('\\', "\\\\")))
            .collect();
        let (verified, guaranteed) = badges.get(&p.supplier).copied().unwrap_or_default();
        buffer.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            p.id,
            p.sheet.category,
            p.supplier,
            words.join(" ").replace('\\', "\\\\"),
            serde_json::Value::Object(attrs)
                .to_string()
                .replace('\\', "\\\\"),
            p.sheet.stock,
            p.sheet.moq,
            p.price_at_moq(),
            verified,
            guaranteed
        ));
        if buffer.len() > 1 << 20 {
            sink.send(bytes::Bytes::from(std::mem::take(&mut buffer)))
                .await?;
        }
    }
    sink.send(bytes::Bytes::from(buffer)).await?;
    sink.as_mut().finish().await?;
    client.batch_execute("CREATE INDEX ON products USING GIN (words); CREATE INDEX ON products USING GIN (attrs jsonb_path_ops); CREATE INDEX ON products (category); ANALYZE products;").await?;
    eprintln!(
        "PostgreSQL loaded and indexed in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let schemas: HashMap<CategoryId, &CategorySchema> =
        cats.iter().map(|c| (c.id, &c.schema)).collect();
    let mut latencies = Vec::new();
    let mut answers = Vec::new();
    for q in mix {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let mut base = vec!["true".to_string()];
        if let Some(text) = &q.text {
            for word in index.title_words(text) {
                base.push(format!(
                    "words @@ to_tsquery('simple', {})",
                    quote(&format!("'{}'", word.replace('\'', "''")))
                ));
            }
        }
        if let Some(c) = q.category {
            base.push(format!("category = '{c}'"));
        }
        if q.in_stock {
            base.push("stock > 0".into());
        }
        if let Some(n) = q.quantity {
            base.push(format!("moq <= {n}"));
        }
        let mut clauses: BTreeMap<String, String> = BTreeMap::new();
        for (k, values) in &q.values {
            let any: Vec<String> = values
                .iter()
                .map(|v| format!("attrs @> {}", quote(&json!({ k: v }).to_string())))
                .collect();
            clauses.insert(k.clone(), format!("({})", any.join(" OR ")));
        }
        for (k, (from, to)) in &q.ranges {
            let mut parts = vec![];
            if let Some(f) = from {
                parts.push(format!("(attrs->>{})::float8 >= {f}", quote(k)));
            }
            if let Some(t) = to {
                parts.push(format!("(attrs->>{})::float8 <= {t}", quote(k)));
            }
            clauses.insert(k.clone(), format!("({})", parts.join(" AND ")));
        }
        let t = Instant::now();
        let all: Vec<String> = base
            .iter()
            .cloned()
            .chain(clauses.values().cloned())
            .collect();
        let total: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM products WHERE {}", all.join(" AND ")),
                &[],
            )
            .await?
            .get(0);
        let _top = client
            .query(
                &format!(
                    "SELECT id FROM products WHERE {} ORDER BY price LIMIT 20",
                    all.join(" AND ")
                ),
                &[],
            )
            .await?;
        let mut facets = BTreeMap::new();
        if let Some(schema) = q.category.and_then(|c| schemas.get(&c)) {
            for def in &schema.attributes {
                let others: Vec<String> = base
                    .iter()
                    .cloned()
                    .chain(
                        clauses
                            .iter()
                            .filter(|(k, _)| **k != def.key)
                            .map(|(_, c)| c.clone()),
                    )
                    .collect();
                let counts: Vec<(String, u64)> = match def.kind {
                    AttributeKind::Number { .. } => {
                        client.query(&format!("SELECT min((attrs->>{k})::float8), max((attrs->>{k})::float8) FROM products WHERE {}", others.join(" AND "), k = quote(&def.key)), &[]).await?;
                        client
                            .query(&format!("SELECT (attrs->>{k})::float8, count(*) FROM products WHERE {} AND attrs ? {k} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 200", others.join(" AND "), k = quote(&def.key)), &[])
                            .await?
                            .iter()
                            .map(|r| (r.get::<_, f64>(0).to_string(), r.get::<_, i64>(1) as u64))
                            .collect()
                    }
                    _ => client
                        .query(&format!("SELECT attrs->>{k}, count(*) FROM products WHERE {} GROUP BY 1 ORDER BY 2 DESC, 1", others.join(" AND "), k = quote(&def.key)), &[])
                        .await?
                        .iter()
                        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
                        .collect(),
                };
                facets.insert(def.key.clone(), sorted(counts));
            }
        }
        latencies.push(t.elapsed());
        answers.push((total as usize, facets));
    }
    let latency = Latencies::new(latencies);
    eprintln!(
        "postgres: p50 {:.2} ms, p99 {:.2} ms",
        latency.percentile_ms(50.0),
        latency.percentile_ms(99.0)
    );
    Ok((latency, answers))
}
