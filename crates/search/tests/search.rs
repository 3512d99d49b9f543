//! The search index against the truth: a generated catalogue goes through the real command
//! handling into an embedded store, the index follows the events, and every answer — hits and
//! facet counts — is checked against a brute-force filter over the same products.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use uuid::Uuid;
use zhuchao_app::marketplace::{Marketplace, Settings, SupplierApplication};
use zhuchao_app::{CommandContext, CommandHandler, ManualClock, SimulatedPayments, UuidV7Ids};
use zhuchao_domain::category::{hex_bolt_schema, AttributeValue, Category, CategoryCommand};
use zhuchao_domain::credit_code::CreditCode;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::product::{PriceTier, Product, ProductCommand, ProductSheet};
use zhuchao_domain::supplier::{Contact, DocumentKind, Supplier, SupplierCommand};
use zhuchao_eventstore::{EmbeddedStore, EventStore, Position, RecordedEvent};
use zhuchao_search::{SearchIndex, SearchQuery, Sort};

const THREADS: [&str; 4] = ["M6", "M8", "M10", "M12"];
const LENGTHS: [f64; 6] = [12.0, 16.0, 20.0, 30.0, 40.0, 60.0];
const MATERIALS: [&str; 3] = ["A2", "A4", "Carbon steel"];

#[derive(Clone, Debug)]
struct Truth {
    id: ProductId,
    supplier: SupplierId,
    title: String,
    thread: &'static str,
    length: f64,
    material: &'static str,
    stock: u64,
    moq: u64,
    tiers: Vec<PriceTier>,
    published: bool,
}

struct World {
    _dir: tempfile::TempDir,
    store: EmbeddedStore,
    market: Marketplace<EmbeddedStore>,
    category: CategoryId,
    other_category: CategoryId,
    products: Vec<Truth>,
    suppliers: Vec<SupplierId>,
}

struct Dice(u64);
impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() as usize) % items.len()]
    }
}

fn ctx() -> CommandContext {
    CommandContext::new("test")
}

async fn world(products: usize) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path().join("store")).expect("store");
    let handler = CommandHandler::new(
        store.clone(),
        Arc::new(ManualClock::at(1_764_000_000_000)),
        Arc::new(UuidV7Ids),
    );
    let market = Marketplace::new(
        handler,
        Settings::default(),
        Arc::new(SimulatedPayments::default()),
    );
    let fasteners = CategoryId(Uuid::now_v7());
    let category = CategoryId(Uuid::now_v7());
    let other_category = CategoryId(Uuid::now_v7());
    market
        .run::<Category>(
            &ctx(),
            fasteners,
            CategoryCommand::Create {
                id: fasteners,
                name: "Fasteners".into(),
                parent: None,
                attributes: vec![],
            },
        )
        .await
        .expect("root");
    for (id, name) in [(category, "Hex bolts"), (other_category, "Socket screws")] {
        market
            .run::<Category>(
                &ctx(),
                id,
                CategoryCommand::Create {
                    id,
                    name: name.into(),
                    parent: Some(fasteners),
                    attributes: hex_bolt_schema(),
                },
            )
            .await
            .expect("category");
    }
    let mut suppliers = Vec::new();
    for n in 0..3u32 {
        let id = SupplierId(Uuid::now_v7());
        let code =
            CreditCode::with_check_character(&format!("91330200MA2{:06}", 500 + n)).expect("code");
        market
            .apply_supplier(
                &ctx(),
                SupplierApplication {
                    id,
                    company_name: format!("S{n}"),
                    credit_code: code.to_string(),
                    categories: vec![category, other_category],
                    contact: Contact {
                        name: "x".into(),
                        phone: "1".into(),
                        email: String::new(),
                    },
                },
            )
            .await
            .expect("apply");
        market
            .run::<Supplier>(
                &ctx(),
                id,
                SupplierCommand::SubmitDocument {
                    kind: DocumentKind::MergedLicence,
                    file: zhuchao_domain::files::FileRef::parse("/files/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/f.pdf").unwrap(),
                    expires_on: None,
                    at: 0,
                },
            )
            .await
            .expect("doc");
        market
            .run::<Supplier>(
                &ctx(),
                id,
                SupplierCommand::ApproveDocument {
                    kind: DocumentKind::MergedLicence,
                    agent: UserId(Uuid::nil()),
                    at: 0,
                },
            )
            .await
            .expect("approve");
        market
            .run::<Supplier>(
                &ctx(),
                id,
                SupplierCommand::PayDeposit {
                    amount: Money::cny(2_000_000),
                    payment_ref: "p".into(),
                    at: 0,
                },
            )
            .await
            .expect("deposit");
        suppliers.push(id);
    }
    let mut dice = Dice(42);
    let mut truth = Vec::new();
    for i in 0..products {
        let (thread, length, material) = (
            dice.pick(&THREADS),
            dice.pick(&LENGTHS),
            dice.pick(&MATERIALS),
        );
        let supplier = suppliers[i % suppliers.len()];
        let moq = dice.pick(&[100u64, 500, 1000]);
        let stock = if i.is_multiple_of(5) { 0 } else { 10_000 };
        let base = 10 + (i % 50) as i64;
        let tiers: Vec<PriceTier> = (0..1 + i % 3)
            .map(|t| PriceTier {
                min_quantity: moq * 10u64.pow(t as u32),
                unit_price: Money::cny(base - 2 * t as i64),
            })
            .collect();
        let in_other = i.is_multiple_of(7);
        let sheet = ProductSheet {
            category: if in_other { other_category } else { category },
            part_number: String::new(),
            brand: ["固力", "Würth", "东明"][i % 3].into(),
            keyword: if i.is_multiple_of(2) {
                "六角螺栓".into()
            } else {
                "hex bolt".into()
            },
            name: format!("P{i}"),
            description: String::new(),
            images: vec![],
            moq,
            pack_size: 100,
            tiers: tiers.clone(),
            stock,
            lead_time_days: (i % 9) as u32,
            shipping_cost: Money::cny(0),
        };
        let attributes: BTreeMap<String, String> = [
            ("thread", thread.to_string()),
            ("length", format!("{length} mm")),
            ("material", material.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let id = ProductId(Uuid::now_v7());
        let drafted = market
            .draft_product(&ctx(), id, supplier, sheet, attributes)
            .await
            .expect("draft");
        let title = match &drafted.events[0] {
            zhuchao_domain::product::ProductEvent::ProductDrafted(d) => d.title.clone(),
            other => panic!("{other:?}"),
        };
        let published = !i.is_multiple_of(11);
        if published {
            market
                .publish_product(&ctx(), id, supplier)
                .await
                .expect("publish");
        }
        if !in_other {
            truth.push(Truth {
                id,
                supplier,
                title,
                thread,
                length,
                material,
                stock,
                moq,
                tiers,
                published,
            });
        }
    }
    World {
        _dir: dir,
        store,
        market,
        category,
        other_category,
        products: truth,
        suppliers,
    }
}

/// A world of `products` and an index of all its events.
async fn indexed_world(products: usize) -> (World, SearchIndex) {
    let w = world(products).await;
    let index = SearchIndex::in_memory().expect("index");
    index.apply(&all_events(&w.store, 0).await).expect("apply");
    (w, index)
}

async fn all_events(store: &EmbeddedStore, after: u64) -> Vec<RecordedEvent> {
    let mut out = Vec::new();
    let mut at = Position::from_u64(after);
    loop {
        let page = store.read_all(at, 1000).await.expect("read");
        let Some(last) = page.last() else { return out };
        at = last.position;
        out.extend(page);
    }
}

/// Every hit of a query, page after page.
fn every_hit(index: &SearchIndex, q: &SearchQuery) -> BTreeSet<ProductId> {
    let mut q = q.clone();
    let mut all = BTreeSet::new();
    loop {
        let page = index.search(&q).expect("search");
        all.extend(page.hits.iter().map(|p| p.id));
        match page.next {
            Some(next) => q.after = Some(next),
            None => return all,
        }
    }
}

/// Whether a typed word finds a product: a thread, a length or a material it names decides by
/// the product's attribute; other words by the title, with the catalogue-wide synonyms of those
/// the tests type.
fn names(p: &Truth, word: &str) -> bool {
    let word = word.to_lowercase();
    if let Some(thread) = THREADS.iter().find(|t| t.to_lowercase() == word) {
        return p.thread == *thread;
    }
    if let Ok(length) = zhuchao_domain::units::Measure::parse(&word)
        .and_then(|m| m.in_unit(zhuchao_domain::units::Unit::Millimetre))
    {
        return p.length == length;
    }
    if let Some(material) = MATERIALS.iter().find(|m| m.to_lowercase() == word) {
        return p.material == *material;
    }
    let spellings: &[&str] = match word.as_str() {
        "螺栓" | "bolt" => &["螺栓", "bolt"],
        "螺丝" => &["螺丝", "螺钉", "螺栓", "screw", "bolt"],
        other => &[other],
    };
    spellings.iter().any(|s| p.title.to_lowercase().contains(s))
}

fn brute<'a>(truth: &'a [Truth], q: &SearchQuery, except: Option<&str>) -> Vec<&'a Truth> {
    truth
        .iter()
        .filter(|p| p.published)
        .filter(|p| !q.in_stock || p.stock > 0)
        .filter(|p| q.quantity.is_none_or(|n| p.moq <= n))
        .filter(|p| {
            q.price == (None, None) || {
                let at = q.quantity.unwrap_or(p.moq);
                let price =
                    zhuchao_domain::product::tier_price(&p.tiers, at).map_or(i64::MAX, |m| m.minor);
                q.price.0.is_none_or(|lo| price >= lo) && q.price.1.is_none_or(|hi| price <= hi)
            }
        })
        .filter(|p| {
            q.text
                .as_ref()
                .is_none_or(|t| t.split_whitespace().all(|w| names(p, w)))
        })
        .filter(|p| {
            except == Some("thread")
                || q.values
                    .get("thread")
                    .is_none_or(|v| v.iter().any(|x| x == p.thread))
        })
        .filter(|p| {
            except == Some("material")
                || q.values
                    .get("material")
                    .is_none_or(|v| v.iter().any(|x| x == p.material))
        })
        .filter(|p| {
            except == Some("length")
                || q.ranges.get("length").is_none_or(|(lo, hi)| {
                    let lo = lo
                        .as_ref()
                        .map_or(f64::MIN, |s| s.trim_end_matches(" mm").parse().expect("mm"));
                    let hi = hi
                        .as_ref()
                        .map_or(f64::MAX, |s| s.trim_end_matches(" mm").parse().expect("mm"));
                    p.length >= lo && p.length <= hi
                })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_and_facet_counts_match_a_brute_force_filter() {
    let (w, index) = indexed_world(240).await;
    let mut dice = Dice(7);
    for round in 0..120 {
        let mut q = SearchQuery {
            category: Some(w.category),
            first: 100,
            ..Default::default()
        };
        if dice.next().is_multiple_of(2) {
            let mut threads: Vec<String> = (0..1 + dice.next() % 2)
                .map(|_| dice.pick(&THREADS).to_string())
                .collect();
            threads.dedup();
            q.values.insert("thread".into(), threads);
        }
        if dice.next().is_multiple_of(3) {
            q.values
                .insert("material".into(), vec![dice.pick(&MATERIALS).to_string()]);
        }
        if dice.next().is_multiple_of(2) {
            let (a, b) = (dice.pick(&LENGTHS), dice.pick(&LENGTHS));
            q.ranges.insert(
                "length".into(),
                (
                    Some(format!("{} mm", a.min(b))),
                    Some(format!("{} mm", a.max(b))),
                ),
            );
        }
        q.in_stock = dice.next().is_multiple_of(3);
        if dice.next().is_multiple_of(4) {
            q.quantity = Some(dice.pick(&[100u64, 500, 1000, 5000, 20_000]));
        }
        if dice.next().is_multiple_of(3) {
            let lo = 8 + (dice.next() % 30) as i64;
            q.price = (Some(lo), Some(lo + (dice.next() % 20) as i64));
        }
        if dice.next().is_multiple_of(4) {
            q.text = Some(
                dice.pick(&[
                    "六角螺栓",
                    "hex",
                    "Würth",
                    "固力 螺栓",
                    "M8",
                    "m10 30mm",
                    "螺丝 20mm",
                    "a4 bolt",
                    "2cm",
                ])
                .to_string(),
            );
        }
        let result = index.search(&q).expect("search");
        let expected: BTreeSet<ProductId> =
            brute(&w.products, &q, None).iter().map(|p| p.id).collect();
        let got = every_hit(&index, &q);
        assert_eq!(result.total, expected.len(), "round {round}: {q:?}");
        assert!(
            got == expected,
            "round {round}: {} found, {} expected, for {q:?}",
            got.len(),
            expected.len()
        );
        for facet in &result.facets {
            let pool = brute(&w.products, &q, Some(&facet.key));
            match facet.key.as_str() {
                "thread" | "material" => {
                    for v in &facet.values {
                        let n = pool
                            .iter()
                            .filter(|p| {
                                (if facet.key == "thread" {
                                    p.thread
                                } else {
                                    p.material
                                }) == v.value
                            })
                            .count() as u64;
                        assert_eq!(
                            v.count, n,
                            "round {round}: facet {} = {}",
                            facet.key, v.value
                        );
                    }
                    let listed: u64 = facet.values.iter().map(|v| v.count).sum();
                    assert_eq!(
                        listed,
                        pool.len() as u64,
                        "round {round}: every product counted once in {}",
                        facet.key
                    );
                }
                "length" => {
                    let min = pool.iter().map(|p| p.length).fold(f64::INFINITY, f64::min);
                    let max = pool
                        .iter()
                        .map(|p| p.length)
                        .fold(f64::NEG_INFINITY, f64::max);
                    if !pool.is_empty() {
                        assert_eq!(
                            (facet.min, facet.max),
                            (Some(min), Some(max)),
                            "round {round}"
                        );
                    }
                    for v in &facet.values {
                        let n = pool
                            .iter()
                            .filter(|p| p.length.to_string() == v.value)
                            .count() as u64;
                        assert_eq!(v.count, n, "round {round}: length = {}", v.value);
                    }
                    let listed: u64 = facet.values.iter().map(|v| v.count).sum();
                    assert_eq!(listed, pool.len() as u64, "round {round}: lengths");
                }
                _ => {}
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_accept_any_unit_the_category_knows() {
    let (w, index) = indexed_world(120).await;
    let mut inches = SearchQuery {
        category: Some(w.category),
        first: 100,
        ..Default::default()
    };
    inches.ranges.insert(
        "length".into(),
        (Some("5/8 in".into()), Some("0.8 in".into())),
    );
    let mut mm = SearchQuery {
        category: Some(w.category),
        first: 100,
        ..Default::default()
    };
    mm.ranges.insert(
        "length".into(),
        (Some("15.875".into()), Some("20.32 mm".into())),
    );
    let a: BTreeSet<_> = index
        .search(&inches)
        .expect("inches")
        .hits
        .iter()
        .map(|p| p.id)
        .collect();
    let b: BTreeSet<_> = index
        .search(&mm)
        .expect("mm")
        .hits
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(a, b);
    assert!(!a.is_empty());
    assert!(index.search(&inches).expect("ok").hits.iter().all(|p| matches!(p.attributes["length"], zhuchao_domain::category::AttributeValue::Number(n) if (16.0..=20.0).contains(&n))));
    let mut nonsense = SearchQuery {
        category: Some(w.category),
        ..Default::default()
    };
    nonsense
        .ranges
        .insert("length".into(), (Some("3 kg".into()), None));
    assert!(
        index.search(&nonsense).is_err(),
        "a unit of another dimension is refused"
    );
    // Without a category, an attribute the categories agree on filters all of them.
    let mut no_category = SearchQuery {
        first: 100,
        ..Default::default()
    };
    no_category
        .values
        .insert("thread".into(), vec!["M8".into()]);
    let m8 = index
        .search(&no_category)
        .expect("thread without a category");
    let in_category = brute(&w.products, &no_category, None).len();
    assert!(
        m8.total > in_category && in_category > 0,
        "both categories' M8 products: {} found, {in_category} in one category",
        m8.total
    );
    assert!(m8
        .hits
        .iter()
        .all(|p| p.attributes["thread"] == AttributeValue::Enum("M8".into())));
    no_category
        .values
        .insert("colour".into(), vec!["red".into()]);
    let refused = index
        .search(&no_category)
        .expect_err("an unknown attribute");
    assert!(refused.to_string().contains("colour"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_category_tree_text_sort_and_paging_work() {
    let (w, index) = indexed_world(120).await;
    let parent = w
        .market
        .handler
        .load::<Category>(w.category)
        .await
        .expect("load")
        .state
        .parent
        .expect("parent");
    let whole = index
        .search(&SearchQuery {
            category: Some(parent),
            first: 1,
            ..Default::default()
        })
        .expect("tree");
    let leaf = index
        .search(&SearchQuery {
            category: Some(w.category),
            first: 1,
            ..Default::default()
        })
        .expect("leaf");
    let other = index
        .search(&SearchQuery {
            category: Some(w.other_category),
            first: 1,
            ..Default::default()
        })
        .expect("other");
    assert_eq!(
        whole.total,
        leaf.total + other.total,
        "a category includes its subcategories"
    );
    let chinese = index
        .search(&SearchQuery {
            text: Some("螺栓".into()),
            first: 100,
            ..Default::default()
        })
        .expect("zh");
    assert!(
        chinese.total > 0
            && chinese
                .hits
                .iter()
                .all(|p| p.title.contains("螺栓") || p.title.contains("bolt")),
        "螺栓 is a bolt"
    );
    let by_price = index
        .search(&SearchQuery {
            category: Some(w.category),
            sort: Sort::Price,
            first: 100,
            ..Default::default()
        })
        .expect("price");
    let prices: Vec<i64> = by_price.hits.iter().map(|p| p.price_at_moq()).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "cheapest first");
    let at_quantity = index
        .search(&SearchQuery {
            category: Some(w.category),
            sort: Sort::Price,
            quantity: Some(5_000),
            first: 100,
            ..Default::default()
        })
        .expect("price at quantity");
    let tiered: Vec<i64> = at_quantity
        .hits
        .iter()
        .map(|p| {
            zhuchao_domain::product::tier_price(&p.sheet.tiers, 5_000)
                .expect("a tier")
                .minor
        })
        .collect();
    assert!(!tiered.is_empty());
    assert!(
        tiered.windows(2).all(|w| w[0] <= w[1]),
        "cheapest at the wanted quantity first: {tiered:?}"
    );
    let mut seen = BTreeSet::new();
    let mut q = SearchQuery {
        category: Some(w.category),
        first: 7,
        ..Default::default()
    };
    loop {
        let page = index.search(&q).expect("page");
        for p in &page.hits {
            assert!(seen.insert(p.id), "no product on two pages");
        }
        match page.next {
            Some(next) => q.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), leaf.total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpublished_products_and_suspended_suppliers_disappear_and_come_back() {
    let (w, index) = indexed_world(60).await;
    let visible = |index: &SearchIndex| {
        index
            .search(&SearchQuery {
                category: Some(w.category),
                first: 100,
                ..Default::default()
            })
            .expect("search")
            .hits
            .iter()
            .map(|p| p.id)
            .collect::<BTreeSet<_>>()
    };
    let target = w
        .products
        .iter()
        .find(|p| p.published)
        .expect("one")
        .clone();
    assert!(visible(&index).contains(&target.id));
    w.market
        .run::<Product>(
            &ctx(),
            target.id,
            ProductCommand::Unpublish {
                supplier: target.supplier,
            },
        )
        .await
        .expect("unpublish");
    index
        .apply(&all_events(&w.store, index.position()).await)
        .expect("apply");
    assert!(!visible(&index).contains(&target.id));
    w.market
        .publish_product(&ctx(), target.id, target.supplier)
        .await
        .expect("republish");
    index
        .apply(&all_events(&w.store, index.position()).await)
        .expect("apply");
    assert!(visible(&index).contains(&target.id));

    let supplier = w.suppliers[0];
    let theirs = |ids: &BTreeSet<ProductId>| {
        w.products
            .iter()
            .filter(|p| p.supplier == supplier && ids.contains(&p.id))
            .count()
    };
    assert!(theirs(&visible(&index)) > 0);
    w.market
        .run::<Supplier>(
            &ctx(),
            supplier,
            SupplierCommand::Suspend {
                agent: UserId(Uuid::nil()),
                reason: "fake stock".into(),
                at: 1,
            },
        )
        .await
        .expect("suspend");
    index
        .apply(&all_events(&w.store, index.position()).await)
        .expect("apply");
    assert_eq!(
        theirs(&visible(&index)),
        0,
        "a suspended supplier's products are not found"
    );
    w.market
        .run::<Supplier>(
            &ctx(),
            supplier,
            SupplierCommand::Reinstate {
                agent: UserId(Uuid::nil()),
                at: 2,
            },
        )
        .await
        .expect("reinstate");
    index
        .apply(&all_events(&w.store, index.position()).await)
        .expect("apply");
    assert!(theirs(&visible(&index)) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_from_the_checkpoint_and_replays_change_nothing() {
    let w = world(60).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let events = all_events(&w.store, 0).await;
    let half = events.len() / 2;
    {
        let index = SearchIndex::open(dir.path()).expect("open");
        index.apply(&events[..half]).expect("first half");
        assert_eq!(index.position(), events[half - 1].position.as_u64());
    }
    let index = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(
        index.position(),
        events[half - 1].position.as_u64(),
        "the checkpoint survived"
    );
    index
        .apply(&events)
        .expect("everything, the first half again included");
    let fresh = SearchIndex::in_memory().expect("fresh");
    fresh.apply(&events).expect("from zero");
    let q = SearchQuery {
        category: Some(w.category),
        first: 100,
        ..Default::default()
    };
    let a: Vec<_> = index
        .search(&q)
        .expect("resumed")
        .hits
        .iter()
        .map(|p| p.id)
        .collect();
    let b: Vec<_> = fresh
        .search(&q)
        .expect("fresh")
        .hits
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(a.len(), b.len());
    assert_eq!(
        a.into_iter().collect::<BTreeSet<_>>(),
        b.into_iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(
        index.search(&q).expect("again").total,
        fresh.search(&q).expect("again").total,
        "no duplicates after replay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_chosen_twice_counts_once() {
    let (w, index) = indexed_world(60).await;
    let mut once = SearchQuery {
        category: Some(w.category),
        first: 100,
        ..Default::default()
    };
    once.values.insert("thread".into(), vec!["M8".into()]);
    once.ranges.insert(
        "length".into(),
        (Some("16 mm".into()), Some("30 mm".into())),
    );
    let mut twice = once.clone();
    twice
        .values
        .insert("thread".into(), vec!["M8".into(), "M8".into()]);
    let expected = brute(&w.products, &once, None).len();
    assert_eq!(index.search(&once).expect("once").total, expected);
    assert_eq!(index.search(&twice).expect("twice").total, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_chosen_from_its_facet_selects_that_number() {
    let (w, index) = indexed_world(80).await;
    // Given: the length facet's most common value, as the facet lists it (`20`, not `20.0`).
    let browse = SearchQuery {
        category: Some(w.category),
        first: 100,
        ..Default::default()
    };
    let lengths = index.search(&browse).expect("browse").facets;
    let length = lengths
        .iter()
        .find(|f| f.key == "length")
        .and_then(|f| f.values.first())
        .expect("a length value")
        .clone();
    // When: it is chosen as a value.
    let mut chosen = browse.clone();
    chosen
        .values
        .insert("length".into(), vec![length.value.clone()]);
    let found = index.search(&chosen).expect("chosen");
    // Then: exactly the products of that length, as many as the facet said.
    let wanted: f64 = length.value.parse().expect("a number");
    let expected = brute(&w.products, &browse, None)
        .into_iter()
        .filter(|t| t.length == wanted)
        .count();
    assert_eq!(found.total, expected);
    assert_eq!(found.total as u64, length.count);
    // And the length facet itself still lists every length (its own filter is not applied).
    let listed: u64 = found
        .facets
        .iter()
        .find(|f| f.key == "length")
        .expect("length facet")
        .values
        .iter()
        .map(|v| v.count)
        .sum();
    assert_eq!(listed as usize, brute(&w.products, &browse, None).len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synonyms_and_a_typo_still_find_the_part() {
    let (w, index) = indexed_world(90).await;
    let find = |text: &str| {
        let q = SearchQuery {
            text: Some(text.into()),
            category: Some(w.category),
            first: 100,
            ..Default::default()
        };
        every_hit(&index, &q)
    };
    let a2: BTreeSet<ProductId> = w
        .products
        .iter()
        .filter(|p| p.published && p.material == "A2")
        .map(|p| p.id)
        .collect();
    assert_eq!(find("SS304"), a2, "SS304 is A2 stainless");
    assert_eq!(find("a2"), a2);
    let stainless: BTreeSet<ProductId> = w
        .products
        .iter()
        .filter(|p| p.published && ["A2", "A4"].contains(&p.material))
        .map(|p| p.id)
        .collect();
    assert_eq!(find("不锈钢"), stainless, "stainless is A2 or A4");
    // Titles say either "hex bolt" or "六角螺栓": one word of the two finds both.
    let bolts: BTreeSet<ProductId> = w
        .products
        .iter()
        .filter(|p| p.published && (p.title.contains("bolt") || p.title.contains("螺栓")))
        .map(|p| p.id)
        .collect();
    assert!(w.products.iter().any(|p| p.title.contains("bolt")));
    assert!(w.products.iter().any(|p| p.title.contains("螺栓")));
    assert_eq!(find("螺栓"), bolts, "螺栓 is a bolt");
    assert_eq!(
        find("bolts"),
        bolts,
        "one typo is forgiven in a longer word"
    );
    assert_eq!(find("BOLT"), bolts, "case does not matter");
    assert!(find("baltz").is_empty(), "two typos are not");
    let wurth: BTreeSet<ProductId> = w
        .products
        .iter()
        .filter(|p| p.published && p.title.contains("Würth"))
        .map(|p| p.id)
        .collect();
    assert_eq!(find("würth"), wurth);
}

/// Appends events to a stream of the store as the command handling would.
async fn append<E: zhuchao_domain::DomainEvent>(store: &EmbeddedStore, stream: &str, events: &[E]) {
    let new: Vec<zhuchao_eventstore::NewEvent> = events
        .iter()
        .map(|e| {
            let (kind, version, body) = e.encode();
            zhuchao_eventstore::NewEvent::json(
                Uuid::now_v7(),
                kind,
                version,
                &body,
                zhuchao_eventstore::Metadata::new(Uuid::now_v7(), 0),
            )
            .expect("event")
        })
        .collect();
    store
        .append(
            &zhuchao_eventstore::StreamName::new(stream).expect("stream"),
            zhuchao_eventstore::ExpectedVersion::Any,
            new,
        )
        .await
        .expect("append");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplier_level_and_rating_filter_and_sort_the_results() {
    use zhuchao_domain::order::{OrderCompleted, OrderEvent, OrderPlaced, OrderSource};
    use zhuchao_domain::review::{OrderRated, ReviewEvent};
    let w = world(60).await;
    let (busy, poor, quiet) = (w.suppliers[0], w.suppliers[1], w.suppliers[2]);
    // Given: the busy supplier completes 12 orders rated 5, the poor one 12 rated 2, the quiet
    // one none.
    for (supplier, score) in [(busy, 5u8), (poor, 2u8)] {
        for _ in 0..12 {
            let order = OrderId(Uuid::now_v7());
            append(
                &w.store,
                &format!("order-{order}"),
                &[
                    OrderEvent::OrderPlaced(OrderPlaced {
                        id: order,
                        buyer: UserId(Uuid::nil()),
                        company: CompanyId(Uuid::nil()),
                        supplier,
                        source: OrderSource::Cart,
                        lines: vec![],
                        shipping: Money::cny(0),
                        total: Money::cny(100),
                        address: "x".into(),
                        at: 0,
                    }),
                    OrderEvent::OrderCompleted(OrderCompleted { at: 1 }),
                ],
            )
            .await;
            append(
                &w.store,
                &format!("review-{order}"),
                &[ReviewEvent::OrderRated(OrderRated {
                    order,
                    company: CompanyId(Uuid::nil()),
                    buyer: UserId(Uuid::nil()),
                    supplier,
                    quality: score,
                    delivery: score,
                    service: score,
                    comment: String::new(),
                    low: score <= 2,
                    at: 2,
                })],
            )
            .await;
        }
    }
    let index = SearchIndex::in_memory().expect("index");
    index.apply(&all_events(&w.store, 0).await).expect("apply");
    let of = |s: SupplierId| -> BTreeSet<ProductId> {
        w.products
            .iter()
            .filter(|p| p.published && p.supplier == s)
            .map(|p| p.id)
            .collect()
    };

    // When a buyer asks for level 2 or better, then only the busy, well-rated supplier is left:
    // the poor ratings cap the other at level 1 however many orders it completed.
    let q = SearchQuery {
        category: Some(w.category),
        min_level: Some(2),
        first: 100,
        ..Default::default()
    };
    assert_eq!(every_hit(&index, &q), of(busy));
    assert!(index
        .search(&SearchQuery {
            min_level: Some(6),
            ..q.clone()
        })
        .is_err());

    // When sorted by rating, then the best-rated supplier's products come first, the unrated last.
    let sorted = index
        .search(&SearchQuery {
            category: Some(w.category),
            sort: Sort::Rating,
            first: 100,
            ..Default::default()
        })
        .expect("search");
    let ranks: Vec<u8> = sorted
        .hits
        .iter()
        .map(|h| match h.supplier {
            s if s == busy => 0,
            s if s == poor => 1,
            _ => 2,
        })
        .collect();
    assert_eq!(
        ranks.len(),
        of(busy).len() + of(poor).len() + of(quiet).len()
    );
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_category_s_synonyms_work_in_it_and_below_it_only() {
    let w = world(60).await;
    // Given: hex bolts say "hexagon" for "hex"; the sibling category does not.
    w.market
        .run::<Category>(
            &ctx(),
            w.category,
            CategoryCommand::SetSynonyms {
                groups: vec![vec!["hexagon".into(), "hex".into(), "六角螺栓".into()]],
            },
        )
        .await
        .expect("synonyms");
    let index = SearchIndex::in_memory().expect("index");
    index.apply(&all_events(&w.store, 0).await).expect("apply");
    let find = |category: CategoryId| {
        every_hit(
            &index,
            &SearchQuery {
                text: Some("Hexagon".into()),
                category: Some(category),
                first: 100,
                ..Default::default()
            },
        )
    };
    // Then "hexagon" finds every published hex bolt (English and Chinese titles) in that category,
    let bolts: BTreeSet<ProductId> = w
        .products
        .iter()
        .filter(|p| p.published)
        .map(|p| p.id)
        .collect();
    assert_eq!(find(w.category), bolts);
    // and nothing in the sibling category, whose titles never say "hexagon".
    assert!(find(w.other_category).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facets_that_split_the_results_come_first() {
    let (w, index) = indexed_world(90).await;
    // Given a search in the category: the required attributes come in the schema's order.
    let q = SearchQuery {
        category: Some(w.category),
        first: 1,
        ..Default::default()
    };
    let keys = |q: &SearchQuery| -> Vec<String> {
        index
            .search(q)
            .expect("search")
            .facets
            .into_iter()
            .map(|f| f.key)
            .collect()
    };
    let all = keys(&q);
    let required: Vec<String> = hex_bolt_schema()
        .into_iter()
        .filter(|d| d.required)
        .map(|d| d.key)
        .collect();
    assert_eq!(all[..required.len()], required[..], "{all:?}");
    // And an attribute no product has (the world never sets finish) splits nothing: last.
    assert_eq!(all.last().map(String::as_str), Some("finish"), "{all:?}");
}

/// A small catalogue loaded straight into an index: one category, one active supplier, products
/// with these part numbers and titles.
fn catalogue_of(parts: &[(&str, &str)]) -> (SearchIndex, Vec<ProductId>) {
    let category = CategoryId(Uuid::from_u128(1));
    let thread = || [("thread", AttributeValue::Enum("M8".into()))];
    shelf(
        &[(category, hex_bolt_schema())],
        &parts
            .iter()
            .map(|(part_number, title)| Part {
                category,
                part_number,
                title,
                attributes: thread().to_vec(),
            })
            .collect::<Vec<_>>(),
    )
}

struct Part<'a> {
    category: CategoryId,
    part_number: &'a str,
    title: &'a str,
    attributes: Vec<(&'a str, AttributeValue)>,
}

/// Categories with these attributes, one active supplier and these products, loaded straight
/// into an index.
fn shelf(
    categories: &[(CategoryId, Vec<zhuchao_domain::category::AttributeDef>)],
    parts: &[Part],
) -> (SearchIndex, Vec<ProductId>) {
    use zhuchao_domain::category::CategorySchema;
    use zhuchao_domain::product::ProductStatus;
    use zhuchao_domain::supplier::SupplierStatus;
    use zhuchao_search::{CategoryInfo, IndexedProduct, SupplierState};
    let index = SearchIndex::in_memory().expect("index");
    let supplier = SupplierId(Uuid::from_u128(2));
    let products: Vec<IndexedProduct> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| IndexedProduct {
            id: ProductId(Uuid::from_u128(100 + i as u128)),
            supplier,
            title: part.title.to_string(),
            sheet: ProductSheet {
                category: part.category,
                part_number: part.part_number.to_string(),
                brand: "固力".into(),
                keyword: String::new(),
                name: part.title.to_string(),
                description: String::new(),
                images: vec![],
                moq: 1,
                pack_size: 1,
                tiers: vec![PriceTier {
                    min_quantity: 1,
                    unit_price: Money::cny(100),
                }],
                stock: 10,
                lead_time_days: 1,
                shipping_cost: Money::cny(0),
            },
            attributes: part
                .attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            status: ProductStatus::Published,
            reservations: Default::default(),
        })
        .collect();
    let ids = products.iter().map(|p| p.id).collect();
    index
        .load(
            categories.iter().map(|(id, attributes)| {
                (
                    *id,
                    CategoryInfo {
                        parent: None,
                        schema: CategorySchema {
                            attributes: attributes.clone(),
                        },
                        synonyms: vec![],
                        translations: Default::default(),
                    },
                )
            }),
            [(
                supplier,
                SupplierState {
                    status: Some(SupplierStatus::Active),
                    ..Default::default()
                },
            )],
            products,
            1,
        )
        .expect("load");
    (index, ids)
}

fn found(index: &SearchIndex, text: &str) -> Vec<ProductId> {
    index
        .search(&SearchQuery {
            text: Some(text.into()),
            first: 100,
            ..Default::default()
        })
        .expect("search")
        .hits
        .iter()
        .map(|p| p.id)
        .collect()
}

#[test]
fn a_part_number_is_found_whole_or_by_its_beginning_and_comes_first() {
    // Given: fittings whose part numbers differ in one digit, one of them also named in
    // another product's title.
    let (index, ids) = catalogue_of(&[
        ("PF-08-00000", "Push fitting 8 mm"),
        ("PF-09-00000", "Push fitting 9 mm"),
        ("PF-10-00001", "Push fitting 10 mm"),
        ("XK-1", "Adapter for PF-09-00000"),
    ]);
    // When / then: the whole part number, in any letter case, finds that part first.
    let whole = found(&index, "PF-09-00000");
    assert_eq!(whole.first(), Some(&ids[1]), "{whole:?}");
    assert_eq!(found(&index, "pf-09-00000").first(), Some(&ids[1]));
    // A beginning finds the parts it begins, and no other fitting.
    let begun = found(&index, "PF-09");
    assert_eq!(begun.first(), Some(&ids[1]), "{begun:?}");
    assert!(
        !begun.contains(&ids[0]) && !begun.contains(&ids[2]),
        "{begun:?}"
    );
    assert_eq!(found(&index, "PF-1"), vec![ids[2]]);
}

#[test]
fn numbers_are_never_typo_corrected() {
    // Given: valves rated 5 bar and 25 bar, and a 6204 and a 6205 bearing.
    let (index, ids) = catalogue_of(&[
        ("V-5", "Ball valve 5bar"),
        ("V-25", "Ball valve 25bar"),
        ("B-6204", "Bearing 6204"),
        ("B-6205", "Bearing 6205"),
    ]);
    // When / then: a rating or a bearing number finds only itself.
    assert_eq!(found(&index, "25bar"), vec![ids[1]]);
    assert_eq!(found(&index, "6204"), vec![ids[2]]);
    // While a word without digits still forgives one typo.
    assert_eq!(found(&index, "bearng").len(), 2);
}

fn found_in(index: &SearchIndex, text: &str, category: Option<CategoryId>) -> BTreeSet<ProductId> {
    every_hit(
        index,
        &SearchQuery {
            text: Some(text.into()),
            category,
            first: 100,
            ..Default::default()
        },
    )
}

fn ids(all: &[ProductId], picked: &[usize]) -> BTreeSet<ProductId> {
    picked.iter().map(|i| all[*i]).collect()
}

const VALVES: CategoryId = CategoryId(Uuid::from_u128(11));
const BOLTS: CategoryId = CategoryId(Uuid::from_u128(12));
const NUTS: CategoryId = CategoryId(Uuid::from_u128(13));
const DRILLS: CategoryId = CategoryId(Uuid::from_u128(14));

/// Valves rated in bar, hex bolts, hex nuts and a drill; the attributes are not in every title.
fn valves_bolts_and_nuts() -> (SearchIndex, Vec<ProductId>) {
    use zhuchao_domain::category::{AttributeDef, AttributeKind};
    use zhuchao_domain::units::Unit;
    let valve = vec![AttributeDef {
        key: "max_pressure".into(),
        label: "Max pressure".into(),
        kind: AttributeKind::Number {
            unit: Unit::Bar,
            min: None,
            max: None,
        },
        required: false,
    }];
    let nut: Vec<AttributeDef> = hex_bolt_schema()
        .into_iter()
        .filter(|d| d.key == "thread" || d.key == "material")
        .collect();
    let bar = |v: f64| vec![("max_pressure", AttributeValue::Number(v))];
    let bolt = |thread: &str, length: f64, material: &str| {
        vec![
            ("thread", AttributeValue::Enum(thread.into())),
            ("length", AttributeValue::Number(length)),
            ("material", AttributeValue::Enum(material.into())),
        ]
    };
    let part = |category, title, attributes| Part {
        category,
        part_number: "",
        title,
        attributes,
    };
    // A drill's material is what the drill is made of, and none is stainless.
    let drill = vec![AttributeDef {
        key: "material".into(),
        label: "Material".into(),
        kind: AttributeKind::Enum {
            values: vec!["HSS".into(), "Carbide".into()],
        },
        required: true,
    }];
    shelf(
        &[
            (VALVES, valve),
            (BOLTS, hex_bolt_schema()),
            (NUTS, nut),
            (DRILLS, drill),
        ],
        &[
            part(VALVES, "Ball valve DN15", bar(25.0)),
            part(VALVES, "Ball valve DN20", bar(5.0)),
            part(VALVES, "Ball valve 25bar DN25", vec![]),
            part(VALVES, "Gate valve DN50", bar(16.0)),
            part(BOLTS, "Hex bolt 六角螺栓", bolt("M8", 20.0, "A2")),
            part(
                BOLTS,
                "Hex bolt 六角螺栓",
                bolt("M10", 20.0, "Carbon steel"),
            ),
            part(BOLTS, "Hex bolt", bolt("M8", 30.0, "Carbon steel")),
            part(
                NUTS,
                "Hex nut 六角螺母",
                vec![
                    ("thread", AttributeValue::Enum("M8".into())),
                    ("material", AttributeValue::Enum("A2".into())),
                ],
            ),
            // Its title says what its attributes do not: the attributes decide.
            part(BOLTS, "Hex bolt M8 20mm", bolt("M10", 30.0, "A4")),
            part(
                DRILLS,
                "Twist drill for stainless steel",
                vec![("material", AttributeValue::Enum("HSS".into()))],
            ),
        ],
    )
}

#[test]
fn a_number_with_its_unit_finds_the_attribute_it_names() {
    // Given: valves rated 25, 5 and 16 bar (one saying 25bar only in its title) and bolts whose
    // thread and length are attributes, not words of their titles.
    let (index, p) = valves_bolts_and_nuts();
    // When / then: a pressure finds the valves of that pressure, however it is written.
    for text in ["25bar", "25 bar", "25 BAR", "valve 25 bar"] {
        assert_eq!(found_in(&index, text, None), ids(&p, &[0, 2]), "{text}");
    }
    assert_eq!(
        found_in(&index, "2.5 MPa", None),
        ids(&p, &[0]),
        "2.5 MPa is 25 bar"
    );
    assert_eq!(found_in(&index, "25 bar", Some(VALVES)), ids(&p, &[0, 2]));
    assert!(
        found_in(&index, "5 bar", None) == ids(&p, &[1]),
        "5 bar is not 25 bar"
    );
    // A thread and a length find the parts that have them.
    assert_eq!(found_in(&index, "M8", None), ids(&p, &[4, 6, 7]));
    assert_eq!(found_in(&index, "M8", Some(BOLTS)), ids(&p, &[4, 6]));
    assert_eq!(found_in(&index, "bolt M8 20mm", None), ids(&p, &[4]));
    assert_eq!(found_in(&index, "m8 20 mm", Some(BOLTS)), ids(&p, &[4]));
    assert_eq!(found_in(&index, "2 cm", Some(BOLTS)), ids(&p, &[4, 5]));
    // As people type them: punctuated, in full-width characters, a thread by its length.
    for text in [
        "M8, 20mm",
        "bolt,m8;20mm.",
        "(M8) \"20mm\"",
        "Ｍ８　２０ｍｍ",
        "m8 20㎜",
        "M8x20",
        "M8×20 bolt",
        "m8*20",
    ] {
        assert_eq!(found_in(&index, text, None), ids(&p, &[4]), "{text}");
    }
    // A product with the attribute is judged by its value, whatever its title says; one without
    // it (the valve rated only in its title) by its title.
    assert!(!found_in(&index, "M8 20mm", None).contains(&p[8]));
    assert!(found_in(&index, "M10 30mm", None).contains(&p[8]));
    // A value decides only where the category lists it: stainless bolts and nuts by their
    // material, the drill (whose materials are HSS and carbide) by its title.
    assert_eq!(found_in(&index, "stainless", None), ids(&p, &[4, 7, 8, 9]));
    // Where nothing has a length, a length finds nothing.
    assert!(found_in(&index, "20mm", Some(VALVES)).is_empty());
}

#[test]
fn the_everyday_word_for_screw_and_a_typo_in_a_synonym_find_the_parts() {
    // Given: bolts and screws named in either language, a nut, and bolts of three materials.
    let (index, ids) = catalogue_of(&[
        ("A-1", "六角螺栓 M8"),
        ("A-2", "Socket screw M6"),
        ("A-3", "内六角螺钉 M5"),
        ("A-4", "Hex nut M8"),
        ("A-5", "不锈钢 hex bolt"),
        ("A-6", "A2 hex bolt"),
        ("A-7", "Carbon steel hex bolt"),
    ]);
    let all =
        |picked: &[usize]| -> BTreeSet<ProductId> { picked.iter().map(|i| ids[*i]).collect() };
    // When / then: 螺丝 finds every bolt and screw, and no nut.
    assert_eq!(found_in(&index, "螺丝", None), all(&[0, 1, 2, 4, 5, 6]));
    // A typo in a synonym still finds the whole group.
    assert_eq!(found_in(&index, "stainles bolt", None), all(&[4, 5]));
    assert_eq!(found_in(&index, "stainless bolt", None), all(&[4, 5]));
    assert_eq!(found_in(&index, "stianless", None), all(&[4, 5]));
    // Stainless steel is one thing, not stainless and steel; Chinese is typed run together.
    assert_eq!(found_in(&index, "stainless steel bolt", None), all(&[4, 5]));
    assert_eq!(found_in(&index, "不锈钢螺丝", None), all(&[4, 5]));
    // (Every part here has the thread M8, as its attribute says whatever its title does.)
    assert_eq!(found_in(&index, "螺丝M8", None), all(&[0, 1, 2, 4, 5, 6]));
    assert!(found_in(&index, "螺丝M5", None).is_empty());
}

#[test]
fn without_a_category_results_count_by_category_and_facets_are_the_attributes_they_share() {
    let (index, p) = valves_bolts_and_nuts();
    let search = |text: Option<&str>, values: &[(&str, &str)]| {
        let mut q = SearchQuery {
            text: text.map(Into::into),
            first: 100,
            ..Default::default()
        };
        for (k, v) in values {
            q.values
                .entry(k.to_string())
                .or_default()
                .push(v.to_string());
        }
        index.search(&q).expect("search")
    };
    let counts = |r: &zhuchao_search::SearchResult| -> Vec<(CategoryId, u64)> {
        r.categories.iter().map(|c| (c.category, c.count)).collect()
    };
    let keys = |r: &zhuchao_search::SearchResult| -> BTreeSet<String> {
        r.facets.iter().map(|f| f.key.clone()).collect()
    };
    // Given / when: everything, without a category.
    let everything = search(None, &[]);
    // Then: each category with how many results, the largest first; no attribute is shared by
    // valves, bolts and nuts, so there is no other facet (equal counts in the order of ids).
    assert_eq!(
        counts(&everything),
        vec![(VALVES, 4), (BOLTS, 4), (NUTS, 1), (DRILLS, 1)]
    );
    assert!(everything.facets.is_empty(), "{:?}", everything.facets);
    // When: the caller shows no facets, none are counted; the page and total are the same.
    let bare = index
        .search(&SearchQuery {
            first: 100,
            without_facets: true,
            ..Default::default()
        })
        .expect("search");
    assert_eq!(bare.total, everything.total);
    assert_eq!(bare.hits.len(), everything.hits.len());
    assert!(bare.categories.is_empty() && bare.facets.is_empty());
    // When: M8, found among bolts and nuts.
    let m8 = search(Some("M8"), &[]);
    assert_eq!(counts(&m8), vec![(BOLTS, 2), (NUTS, 1)]);
    // Then: the attributes bolts and nuts share are the facets, counted over the results.
    assert_eq!(keys(&m8), ["material", "thread"].map(String::from).into());
    let material = m8
        .facets
        .iter()
        .find(|f| f.key == "material")
        .expect("material");
    let a2 = material
        .values
        .iter()
        .find(|v| v.value == "A2")
        .expect("A2");
    assert_eq!(a2.count, 2);
    // When: the results are all bolts, the facets are all of the bolts' attributes.
    let bolts = search(Some("bolt"), &[]);
    assert_eq!(counts(&bolts), vec![(BOLTS, 4)]);
    assert!(keys(&bolts).contains("length"), "{:?}", keys(&bolts));
    // When: a shared attribute is chosen without a category.
    let chosen = search(None, &[("thread", "M8")]);
    // Then: it filters every category that has it, and its own facet still lists the others.
    assert_eq!(chosen.total, 3);
    assert_eq!(
        chosen.hits.iter().map(|h| h.id).collect::<BTreeSet<_>>(),
        ids(&p, &[4, 6, 7])
    );
    let thread = chosen
        .facets
        .iter()
        .find(|f| f.key == "thread")
        .expect("thread");
    assert!(thread
        .values
        .iter()
        .any(|v| v.value == "M10" && v.count == 2));
    // A number chosen as a value must be a number; a category must exist to filter in it.
    let mut q = SearchQuery {
        category: Some(BOLTS),
        ..Default::default()
    };
    q.values.insert("length".into(), vec!["abc".into()]);
    let refused = index.search(&q).expect_err("not a number");
    assert!(
        refused.to_string().contains("abc is not a number"),
        "{refused}"
    );
    q.values = [("thread".to_string(), vec!["M8".to_string()])].into();
    q.category = Some(CategoryId(Uuid::from_u128(999)));
    let refused = index.search(&q).expect_err("no such category");
    assert!(refused.to_string().contains("no category"), "{refused}");
    // An attribute only one category has filters without a category too (the others lack it).
    let mut q = SearchQuery::default();
    q.ranges
        .insert("max_pressure".into(), (Some("20 bar".into()), None));
    assert_eq!(index.search(&q).expect("valves only have it").total, 1);
}

#[test]
fn an_exact_part_number_comes_before_an_attribute_value_it_spells() {
    use zhuchao_domain::category::{AttributeDef, AttributeKind};
    // Given: 300 bearings of series 6204, 300 bolts without part numbers, and one bolt whose
    // part number is 6204 (so few products have part numbers that a relevance score would fade).
    let bearings = CategoryId(Uuid::from_u128(21));
    let series = vec![AttributeDef {
        key: "series".into(),
        label: "Series".into(),
        kind: AttributeKind::Enum {
            values: vec!["6204".into(), "6205".into()],
        },
        required: true,
    }];
    let mut parts: Vec<Part> = (0..600)
        .map(|i| match i % 2 {
            0 => Part {
                category: bearings,
                part_number: "",
                title: "Deep groove ball bearing",
                attributes: vec![("series", AttributeValue::Enum("6204".into()))],
            },
            _ => Part {
                category: BOLTS,
                part_number: "",
                title: "Hex bolt",
                attributes: vec![("thread", AttributeValue::Enum("M10".into()))],
            },
        })
        .collect();
    parts.push(Part {
        category: BOLTS,
        part_number: "6204",
        title: "Hex bolt",
        attributes: vec![("thread", AttributeValue::Enum("M8".into()))],
    });
    let (index, ids) = shelf(&[(bearings, series), (BOLTS, hex_bolt_schema())], &parts);
    // When: the number is typed.
    let hits = index
        .search(&SearchQuery {
            text: Some("6204".into()),
            first: 100,
            ..Default::default()
        })
        .expect("search");
    // Then: all are found, the part with that part number first.
    assert_eq!(hits.total, 301);
    assert_eq!(hits.hits[0].id, ids[600]);
}
