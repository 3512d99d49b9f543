//! The demo marketplace `zhuchao serve --demo` seeds into an empty store: staff, buyer
//! companies, suppliers in four categories with a catalogue of real-looking parts, and RFQs,
//! orders and a dispute in various states — all made through the same use cases as real traffic.

use std::collections::BTreeMap;

use uuid::Uuid;
use zhuchao_analytics::sample::Dice;
use zhuchao_app::marketplace::{MarketError, Marketplace, SupplierApplication};
use zhuchao_app::processes::Processes;
use zhuchao_app::CommandContext;
use zhuchao_domain::account::{Account, AccountCommand, Role};
use zhuchao_domain::category::{
    hex_bolt_schema, AttributeDef, AttributeKind, Category, CategoryCommand,
};
use zhuchao_domain::credit_code::CreditCode;
use zhuchao_domain::dispute::DisputeReason;
use zhuchao_domain::files::FileRef;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::order::{Order, OrderCommand, Party};
use zhuchao_domain::product::{PriceTier, ProductSheet};
use zhuchao_domain::rfq::RfqSpec;
use zhuchao_domain::supplier::{Contact, DocumentKind, Supplier, SupplierCommand};
use zhuchao_domain::units::Unit;
use zhuchao_domain::DAY_MS;
use zhuchao_eventstore::EventStore;

use crate::auth::hash_password;

/// The demo's sample files (a licence scan, a drawing, a photo of a delivery), as plain text so
/// that they open anywhere: written to the files directory so their references resolve.
const SAMPLE_FILES: [(&str, &str); 2] = [
    (
        "drawing-sample.txt",
        "图纸（演示样本）Drawing — demo sample: flange bolt M10x45, Dacromet finish.\n",
    ),
    (
        "photo-batch.txt",
        "到货照片（演示样本）Delivery photo — demo sample: strength class 8.8 marked on the heads.\n",
    ),
];

fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The reference of a sample file, as the upload would answer it.
pub fn sample_file(name: &str) -> FileRef {
    let (name, content) = SAMPLE_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a demo sample file");
    FileRef::parse(&format!(
        "/files/{}/{name}",
        content_hash(content.as_bytes())
    ))
    .expect("a well-formed sample reference")
}

/// Supplier `n`'s own licence scan: each supplier's file is its own (files are read by whoever
/// may see what they belong to, and identical files would be one file).
fn licence_sample(n: usize) -> String {
    format!("营业执照（演示样本）Business licence of demo supplier {n} — a sample, not a real document.\n")
}

pub fn licence_file(n: usize) -> FileRef {
    FileRef::parse(&format!(
        "/files/{}/licence-{n}.txt",
        content_hash(licence_sample(n).as_bytes())
    ))
    .expect("a well-formed sample reference")
}

/// Writes the sample files where uploads are kept (files are named by their content hash).
pub fn write_sample_files(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (_, content) in SAMPLE_FILES {
        std::fs::write(dir.join(content_hash(content.as_bytes())), content)?;
    }
    for n in 1..=plans().len() * SUPPLIERS_PER_CATEGORY {
        let content = licence_sample(n);
        std::fs::write(dir.join(content_hash(content.as_bytes())), content)?;
    }
    Ok(())
}

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "zhuchao-demo";
pub const SUPPLIERS_PER_CATEGORY: usize = 6;
pub const PRODUCTS_PER_SUPPLIER: usize = 100;

/// The sign-ins printed for a new user.
pub const DEMO_SIGN_INS: &[(&str, &str)] = &[
    ("admin@zhuchao.demo", "admin"),
    ("agent@zhuchao.demo", "customer-service agent"),
    ("buyer@ningbo-machinery.demo", "buyer, 宁波精工机械"),
    ("buyer@suzhou-automation.demo", "buyer, 苏州自动化设备"),
    ("supplier1@zhuchao.demo", "supplier, fasteners"),
    ("supplier7@zhuchao.demo", "supplier, bearings"),
];

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seeding failed at {step}: {source}")]
    Step { step: String, source: MarketError },
    #[error(transparent)]
    Process(#[from] zhuchao_app::processes::ProcessError),
    #[error("{0}")]
    Other(String),
}

trait Step<T> {
    fn at(self, step: &str) -> Result<T, SeedError>;
}

impl<T> Step<T> for Result<T, MarketError> {
    fn at(self, step: &str) -> Result<T, SeedError> {
        self.map_err(|source| SeedError::Step {
            step: step.to_string(),
            source,
        })
    }
}

fn e(values: &[&str]) -> AttributeKind {
    AttributeKind::Enum {
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn def(key: &str, label: &str, kind: AttributeKind, required: bool) -> AttributeDef {
    AttributeDef {
        key: key.into(),
        label: label.into(),
        kind,
        required,
    }
}

fn num(unit: Unit, min: f64, max: f64) -> AttributeKind {
    AttributeKind::Number {
        unit,
        min: Some(min),
        max: Some(max),
    }
}

struct CategoryPlan {
    name: &'static str,
    /// The name in Chinese (labels are written `English / 中文`; their Chinese half is used).
    name_zh: &'static str,
    /// Listed values in Chinese: (attribute, value, Chinese).
    values_zh: &'static [(&'static str, &'static str, &'static str)],
    keyword: &'static str,
    brands: &'static [&'static str],
    attributes: Vec<AttributeDef>,
    /// Words buyers use for the same thing in this category.
    synonyms: &'static [&'static [&'static str]],
}

fn plans() -> Vec<CategoryPlan> {
    vec![
        CategoryPlan {
            name: "Fasteners › Bolts › Hex bolts / 六角螺栓",
            name_zh: "紧固件 › 螺栓 › 六角螺栓",
            values_zh: &[
                ("material", "A2", "A2 不锈钢"),
                ("material", "A4", "A4 不锈钢"),
                ("material", "Carbon steel", "碳钢"),
                ("material", "Brass", "黄铜"),
                ("finish", "Plain", "本色"),
                ("finish", "Zinc plated", "镀锌"),
                ("finish", "Hot-dip galvanised", "热镀锌"),
                ("finish", "Black oxide", "发黑"),
            ],
            keyword: "六角螺栓 hex bolt",
            brands: &["固力", "东明", "晋亿", "GEM", "Würth"],
            attributes: hex_bolt_schema(),
            synonyms: &[&["hexagon", "hex", "六角"], &["螺栓", "bolt", "screw"]],
        },
        CategoryPlan {
            name: "Bearings › Deep groove ball bearings / 深沟球轴承",
            name_zh: "轴承 › 深沟球轴承",
            values_zh: &[
                ("seal", "Open", "开式"),
                ("seal", "ZZ", "ZZ 铁盖密封"),
                ("seal", "2RS", "2RS 橡胶密封"),
            ],
            keyword: "深沟球轴承 ball bearing",
            brands: &["人本 C&U", "哈轴 HRB", "瓦轴 ZWZ", "SKF", "NSK"],
            synonyms: &[&["zz", "2z"], &["2rs", "2rsh", "ddu"], &["轴承", "bearing"]],
            attributes: vec![
                def(
                    "series",
                    "Series / 型号",
                    e(&[
                        "6000", "6001", "6002", "6003", "6004", "6200", "6201", "6202", "6203",
                        "6204", "6300", "6301",
                    ]),
                    true,
                ),
                def(
                    "bore",
                    "Bore / 内径",
                    num(Unit::Millimetre, 3.0, 200.0),
                    true,
                ),
                def(
                    "outer_diameter",
                    "Outer diameter / 外径",
                    num(Unit::Millimetre, 8.0, 400.0),
                    true,
                ),
                def("seal", "Seal / 密封", e(&["Open", "ZZ", "2RS"]), true),
                def("clearance", "Clearance / 游隙", e(&["C0", "C3"]), false),
            ],
        },
        CategoryPlan {
            name: "Pneumatics › Cylinders / 气缸",
            name_zh: "气动元件 › 气缸",
            values_zh: &[
                ("action", "Double acting", "双作用"),
                ("action", "Single acting", "单作用"),
            ],
            keyword: "标准气缸 pneumatic cylinder",
            brands: &["亚德客 AirTAC", "SMC", "Festo", "宁波佳尔灵"],
            synonyms: &[&["气缸", "cylinder", "actuator"]],
            attributes: vec![
                def(
                    "bore",
                    "Bore / 缸径",
                    num(Unit::Millimetre, 6.0, 320.0),
                    true,
                ),
                def(
                    "stroke",
                    "Stroke / 行程",
                    num(Unit::Millimetre, 5.0, 2000.0),
                    true,
                ),
                def(
                    "action",
                    "Action / 作用方式",
                    e(&["Double acting", "Single acting"]),
                    true,
                ),
                def(
                    "max_pressure",
                    "Max pressure / 最高压力",
                    num(Unit::Bar, 1.0, 16.0),
                    false,
                ),
                def(
                    "port",
                    "Port / 接口",
                    e(&["M5", "G1/8", "G1/4", "G3/8"]),
                    false,
                ),
            ],
        },
        CategoryPlan {
            name: "Tools › Drill bits / 钻头",
            name_zh: "工具 › 钻头",
            values_zh: &[
                ("material", "HSS", "高速钢"),
                ("material", "HSS-Co", "含钴高速钢"),
                ("material", "Carbide", "硬质合金"),
                ("coating", "Uncoated", "无涂层"),
                ("coating", "TiN", "氮化钛涂层"),
                ("coating", "TiAlN", "氮铝化钛涂层"),
                ("shank", "Straight", "直柄"),
                ("shank", "Taper", "锥柄"),
            ],
            keyword: "麻花钻 twist drill",
            brands: &["上工", "阿诺 ARNO", "Bosch", "OSG"],
            synonyms: &[&["hss", "高速钢"], &["钻头", "drill", "bit"]],
            attributes: vec![
                def(
                    "diameter",
                    "Diameter / 直径",
                    num(Unit::Millimetre, 0.5, 50.0),
                    true,
                ),
                def(
                    "material",
                    "Material / 材质",
                    e(&["HSS", "HSS-Co", "Carbide"]),
                    true,
                ),
                def(
                    "coating",
                    "Coating / 涂层",
                    e(&["Uncoated", "TiN", "TiAlN"]),
                    false,
                ),
                def("shank", "Shank / 柄型", e(&["Straight", "Taper"]), false),
            ],
        },
    ]
}

/// The category in Chinese: its name, the Chinese half of each `English / 中文` label, and the
/// listed values the plan gives.
fn translated(plan: &CategoryPlan) -> CategoryCommand {
    let mut translation = zhuchao_domain::category::CategoryTranslation {
        name: plan.name_zh.into(),
        ..Default::default()
    };
    for a in &plan.attributes {
        if let Some((_, zh)) = a.label.split_once(" / ") {
            translation.labels.insert(a.key.clone(), zh.into());
        }
    }
    for (key, value, zh) in plan.values_zh {
        translation
            .values
            .entry(key.to_string())
            .or_default()
            .insert(value.to_string(), zh.to_string());
    }
    CategoryCommand::Translate {
        language: zhuchao_domain::category::Language::Zh,
        translation,
    }
}

fn attributes_for(plan: &CategoryPlan, dice: &mut Dice) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for a in &plan.attributes {
        let value = match &a.kind {
            AttributeKind::Enum { values } => dice.pick(values).clone(),
            AttributeKind::Number { unit, min, max } => {
                // Preferred sizes, as catalogues list them, within the attribute's range.
                const SIZES: [f64; 24] = [
                    1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 25.0, 30.0,
                    35.0, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0,
                ];
                let (lo, hi) = (min.unwrap_or(1.0), max.unwrap_or(250.0));
                let sizes: Vec<f64> = SIZES
                    .iter()
                    .copied()
                    .filter(|v| *v >= lo * 2.0 && *v <= hi)
                    .collect();
                let v = if sizes.is_empty() {
                    lo
                } else {
                    *dice.pick(&sizes)
                };
                format!("{v} {}", unit.symbol())
            }
            AttributeKind::Text => "standard".into(),
        };
        out.insert(a.key.clone(), value);
    }
    out
}

/// Weekday visits in the demo's traffic history.
const TRAFFIC_SESSIONS_PER_DAY: u64 = 400;

pub struct Seeded {
    pub suppliers: usize,
    pub products: usize,
}

/// Seeds the demo marketplace; `progress` is told each step.
pub async fn seed<S: EventStore + Clone>(
    market: &Marketplace<S>,
    processes: &mut Processes<S>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Seeded, SeedError> {
    let admin_ctx = CommandContext::new("demo:seed");
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD))
        .await
        .map_err(|e| SeedError::Other(e.to_string()))?
        .map_err(SeedError::Other)?;
    let now = market.handler.now();
    let account = |email: &str, name: &str, role: Role| {
        let email = email.to_string();
        AccountCommand::Register {
            id: UserId(Uuid::now_v7()),
            email: email.clone(),
            name: name.into(),
            role,
            password_hash: hash.clone(),
            at: now,
        }
    };
    for (email, name, role) in [
        ("admin@zhuchao.demo", "平台管理员", Role::Admin),
        ("agent@zhuchao.demo", "客服 小林", Role::Agent),
        ("agent2@zhuchao.demo", "客服 小周", Role::Agent),
    ] {
        market
            .run::<Account>(&admin_ctx, email, account(email, name, role))
            .await
            .at("staff accounts")?;
    }
    let agent = match market
        .handler
        .load::<Account>("agent@zhuchao.demo")
        .await
        .map_err(|e| SeedError::Other(e.to_string()))?
        .state
        .id
    {
        Some(a) => a,
        None => return Err(SeedError::Other("the demo agent was not stored".into())),
    };
    let mut buyers = Vec::new();
    for (domain, company_name, people) in [
        (
            "ningbo-machinery.demo",
            "宁波精工机械有限公司",
            ["采购 王芳", "采购 陈强"],
        ),
        (
            "suzhou-automation.demo",
            "苏州自动化设备有限公司",
            ["采购 李娜", "采购 张伟"],
        ),
        (
            "qingdao-pumps.demo",
            "青岛泵业制造有限公司",
            ["采购 刘洋", "采购 赵敏"],
        ),
    ] {
        let company = CompanyId(Uuid::now_v7());
        for (i, person) in people.iter().enumerate() {
            let email = if i == 0 {
                format!("buyer@{domain}")
            } else {
                format!("buyer{}@{domain}", i + 1)
            };
            let role = Role::Buyer {
                company,
                company_name: company_name.into(),
            };
            let cmd = account(&email, person, role);
            let user = match &cmd {
                AccountCommand::Register { id, .. } => *id,
                _ => unreachable!("a registration"),
            };
            market
                .run::<Account>(&admin_ctx, &email, cmd)
                .await
                .at("buyer accounts")?;
            buyers.push((user, company));
        }
    }
    progress("accounts: 3 staff, 6 buyers in 3 companies");

    let plans = plans();
    let mut categories = Vec::new();
    for plan in &plans {
        let id = CategoryId(Uuid::now_v7());
        market
            .run::<Category>(
                &admin_ctx,
                id,
                CategoryCommand::Create {
                    id,
                    name: plan.name.into(),
                    parent: None,
                    attributes: plan.attributes.clone(),
                },
            )
            .await
            .at("categories")?;
        market
            .run::<Category>(
                &admin_ctx,
                id,
                CategoryCommand::SetSynonyms {
                    groups: plan
                        .synonyms
                        .iter()
                        .map(|g| g.iter().map(|w| w.to_string()).collect())
                        .collect(),
                },
            )
            .await
            .at("category synonyms")?;
        market
            .run::<Category>(&admin_ctx, id, translated(plan))
            .await
            .at("category translation")?;
        categories.push(id);
    }
    progress("categories: fasteners, bearings, pneumatics, tools");

    // Suppliers, onboarded concurrently: apply, documents approved, deposit paid, catalogue published.
    let mut tasks = Vec::new();
    for (c, plan) in plans.iter().enumerate() {
        for s in 0..SUPPLIERS_PER_CATEGORY {
            let n = c * SUPPLIERS_PER_CATEGORY + s + 1;
            let market = market.clone();
            let category = categories[c];
            let hash = hash.clone();
            let keyword = plan.keyword;
            let brands = plan.brands;
            let plan_attributes = plan.attributes.clone();
            tasks.push(tokio::spawn(async move {
                let plan = CategoryPlan {
                    name: "",
                    name_zh: "",
                    values_zh: &[],
                    keyword,
                    brands,
                    attributes: plan_attributes,
                    synonyms: &[],
                };
                onboard_supplier(&market, n, category, &plan, &hash, agent).await
            }));
        }
    }
    let mut suppliers = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        suppliers.push(task.await.map_err(|e| SeedError::Other(e.to_string()))??);
        if (i + 1) % 6 == 0 {
            progress(&format!(
                "suppliers: {} of {} with {} products each",
                i + 1,
                plans.len() * SUPPLIERS_PER_CATEGORY,
                PRODUCTS_PER_SUPPLIER
            ));
        }
    }
    processes.catch_up().await?;

    // Orders in several states, a dispute and RFQs.
    let ctx = CommandContext::new("demo:seed");
    let mut orders = Vec::new();
    for (i, (supplier, products)) in suppliers.iter().take(8).enumerate() {
        let (buyer, company) = buyers[i % buyers.len()];
        let order = OrderId(Uuid::now_v7());
        market
            .place_cart_order(
                &ctx,
                order,
                buyer,
                company,
                vec![(products[1], 400), (products[2], 200)],
                "浙江省宁波市北仑区新碶街道 88 号".into(),
                None,
            )
            .await
            .at("orders")?;
        orders.push((order, *supplier, company, buyer));
    }
    processes.catch_up().await?;
    for (i, (order, supplier, company, _)) in orders.iter().enumerate() {
        if i == 0 {
            continue; // left awaiting payment
        }
        market
            .pay_order(&ctx, *order, *company, &format!("demo-pay-{order}"))
            .await
            .at("payments")?;
        processes.catch_up().await?;
        if i >= 2 {
            let at = market.handler.now();
            market
                .run::<Order>(
                    &ctx,
                    *order,
                    OrderCommand::Ship {
                        supplier: *supplier,
                        carrier: "顺丰速运".into(),
                        tracking: format!("SF{:010}", 1_000_000 + i),
                        at,
                    },
                )
                .await
                .at("shipping")?;
        }
        if i >= 4 {
            market
                .run::<Order>(
                    &ctx,
                    *order,
                    OrderCommand::MarkDelivered {
                        at: market.handler.now(),
                    },
                )
                .await
                .at("delivery")?;
        }
        if i >= 5 && i != 7 {
            market
                .run::<Order>(
                    &ctx,
                    *order,
                    OrderCommand::ConfirmReceipt {
                        company: *company,
                        at: market.handler.now(),
                    },
                )
                .await
                .at("receipt")?;
        }
    }
    processes.catch_up().await?;
    let (disputed, _, disputing_company, disputing_buyer) = orders[7];
    market
        .open_dispute(
            &ctx,
            DisputeId(Uuid::now_v7()),
            disputed,
            Party::Buyer,
            disputing_buyer,
            (Some(disputing_company), None),
            DisputeReason::NotAsDescribed,
            "收到的螺栓强度等级为 8.8，订单要求 A2-70 不锈钢。Grade 8.8 delivered, A2-70 ordered."
                .into(),
            vec![sample_file("photo-batch.txt").to_string()],
            Money::cny(20_000),
        )
        .await
        .at("dispute")?;
    processes.catch_up().await?;

    for (i, (buyer, company)) in buyers.iter().take(3).enumerate() {
        let rfq = RfqId(Uuid::now_v7());
        let category = categories[i % categories.len()];
        let invited: Vec<SupplierId> = suppliers
            .iter()
            .skip((i % 4) * SUPPLIERS_PER_CATEGORY)
            .take(2)
            .map(|(s, _)| *s)
            .collect();
        let spec = RfqSpec {
            title: [
                "非标法兰螺栓 M10×45 达克罗 Flange bolts, Dacromet",
                "耐高温轴承 6204 C3 High-temperature bearings",
                "非标气缸 缸径 63 行程 175 Custom cylinders",
            ][i]
                .into(),
            description: "按图纸加工，附材质证明。Made to drawing, with material certificates."
                .into(),
            category,
            attributes: BTreeMap::new(),
            quantity: [5000, 800, 40][i],
            drawings: vec![sample_file("drawing-sample.txt")],
            target_price: None,
            deadline: market.handler.now() + 10 * DAY_MS,
        };
        let at = market.handler.now();
        market
            .create_rfq(&ctx, rfq, *buyer, *company, spec, invited.clone())
            .await
            .at("RFQs")?;
        if i > 0 {
            let quote = QuoteId(Uuid::now_v7());
            market
                .submit_quote(
                    &ctx,
                    rfq,
                    quote,
                    invited[0],
                    Money::cny([0, 1850, 42_000][i]),
                    12,
                    at + 7 * DAY_MS,
                    "含税含运 VAT and freight included".into(),
                )
                .await
                .at("quotes")?;
        }
    }
    processes.catch_up().await?;
    progress("orders, payments, shipments, a dispute and RFQs in various states");

    // Three weeks of visits up to now, so the analytics dashboards have something to show.
    let mut sample = Vec::new();
    for (i, (supplier, products)) in suppliers.iter().enumerate() {
        let category = categories[i / SUPPLIERS_PER_CATEGORY];
        for product in products.iter().take(12) {
            let p = market
                .handler
                .load::<zhuchao_domain::product::Product>(*product)
                .await
                .map_err(|e| SeedError::Other(format!("traffic: {e}")))?
                .state;
            let Some(sheet) = p.sheet else { continue };
            sample.push(zhuchao_analytics::sample::SampleProduct {
                id: product.0,
                category: category.0,
                supplier: supplier.0,
                unit_price: zhuchao_domain::product::tier_price(&sheet.tiers, sheet.moq)
                    .map_or(100, |m| m.minor),
                moq: sheet.moq,
                title: p.title,
            });
        }
    }
    let now = market.handler.now();
    let traffic = zhuchao_analytics::sample::sample_traffic(
        7,
        now - 21 * DAY_MS,
        now,
        TRAFFIC_SESSIONS_PER_DAY,
        &sample,
    );
    let events = traffic.len();
    zhuchao_analytics::recorder::append_all(market.handler.store(), traffic)
        .await
        .map_err(|e| SeedError::Other(format!("traffic: {e}")))?;
    progress(&format!("three weeks of traffic: {events} events"));
    let products = suppliers.iter().map(|(_, p)| p.len()).sum();
    Ok(Seeded {
        suppliers: suppliers.len(),
        products,
    })
}

async fn onboard_supplier<S: EventStore + Clone>(
    market: &Marketplace<S>,
    n: usize,
    category: CategoryId,
    plan: &CategoryPlan,
    hash: &str,
    agent: UserId,
) -> Result<(SupplierId, Vec<ProductId>), SeedError> {
    let ctx = CommandContext::new("demo:seed");
    let id = SupplierId(Uuid::now_v7());
    let email = format!("supplier{n}@zhuchao.demo");
    let cities = [
        "宁波",
        "温州",
        "无锡",
        "东莞",
        "瓦房店",
        "嘉兴",
        "青岛",
        "永康",
    ];
    let mut dice = Dice(n as u64 * 7919);
    let company_name = format!(
        "{}{}工业有限公司",
        dice.pick(&cities),
        ["恒", "鑫", "联", "盛", "达", "宏"][n % 6].to_string() + ["通", "力", "丰", "泰"][n % 4]
    );
    let code = CreditCode::with_check_character(&format!("91330200MA2{:06}", 100 + n))
        .map_err(|e| SeedError::Other(e.to_string()))?;
    let at = market.handler.now();
    market
        .run::<Account>(
            &ctx,
            &email,
            AccountCommand::Register {
                id: UserId(Uuid::now_v7()),
                email: email.clone(),
                name: format!("{company_name} 销售"),
                role: Role::Supplier { supplier: id },
                password_hash: hash.to_string(),
                at,
            },
        )
        .await
        .at("supplier accounts")?;
    market
        .apply_supplier(
            &ctx,
            SupplierApplication {
                id,
                company_name,
                credit_code: code.to_string(),
                categories: vec![category],
                contact: Contact {
                    name: "销售经理".into(),
                    phone: format!("1380000{n:04}"),
                    email,
                },
            },
        )
        .await
        .at("supplier applications")?;
    market
        .run::<Supplier>(
            &ctx,
            id,
            SupplierCommand::SubmitDocument {
                kind: DocumentKind::MergedLicence,
                file: licence_file(n),
                expires_on: Some(at + 900 * DAY_MS),
                at,
            },
        )
        .await
        .at("documents")?;
    if n.is_multiple_of(12) {
        return Ok((id, vec![])); // left in the agents' review queue
    }
    market
        .run::<Supplier>(
            &ctx,
            id,
            SupplierCommand::ApproveDocument {
                kind: DocumentKind::MergedLicence,
                agent,
                at,
            },
        )
        .await
        .at("document review")?;
    market
        .run::<Supplier>(
            &ctx,
            id,
            SupplierCommand::PayDeposit {
                amount: Money::cny(2_000_000),
                payment_ref: format!("demo-deposit-{n}"),
                at,
            },
        )
        .await
        .at("deposits")?;
    let mut products = Vec::with_capacity(PRODUCTS_PER_SUPPLIER);
    for p in 0..PRODUCTS_PER_SUPPLIER {
        let product = ProductId(Uuid::now_v7());
        let base = 8 + (dice.roll() % 400) as i64;
        let pack = *dice.pick(&[10u64, 50, 100]);
        let sheet = ProductSheet {
            category,
            part_number: String::new(),
            brand: dice.pick(plan.brands).to_string(),
            keyword: plan.keyword.into(),
            name: format!("型号 {}-{:03}", n, p),
            description: "现货供应，支持来图定制。In stock; custom sizes to drawing.".into(),
            images: vec![],
            moq: pack * 2,
            pack_size: pack,
            tiers: vec![
                PriceTier {
                    min_quantity: pack * 2,
                    unit_price: Money::cny(base * 10),
                },
                PriceTier {
                    min_quantity: pack * 20,
                    unit_price: Money::cny(base * 9),
                },
                PriceTier {
                    min_quantity: pack * 200,
                    unit_price: Money::cny(base * 8),
                },
            ],
            stock: if p % 9 == 0 {
                0
            } else {
                pack * (50 + dice.roll() % 500)
            },
            lead_time_days: (1 + dice.roll() % 20) as u32,
            shipping_cost: Money::cny(1000 + (dice.roll() % 5) as i64 * 500),
        };
        let attributes = attributes_for(plan, &mut dice);
        market
            .draft_product(&ctx, product, id, sheet, attributes)
            .await
            .at("products")?;
        market
            .publish_product(&ctx, product, id)
            .await
            .at("publishing")?;
        products.push(product);
    }
    Ok((id, products))
}
