//! A marketplace on a real embedded store in a temporary directory, with a manual clock, and
//! helpers that make a journey short to write.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use tempfile::TempDir;
use uuid::Uuid;
use zhuchao_app::marketplace::{Marketplace, Settings, SupplierApplication};
use zhuchao_app::process_store;
use zhuchao_app::processes::Processes;
use zhuchao_app::{CommandContext, CommandHandler, ManualClock, SimulatedPayments, UuidV7Ids};
use zhuchao_domain::category::{hex_bolt_schema, Category, CategoryCommand};
use zhuchao_domain::credit_code::CreditCode;
use zhuchao_domain::ids::*;
use zhuchao_domain::money::Money;
use zhuchao_domain::product::{PriceTier, ProductSheet};
use zhuchao_domain::supplier::{Contact, DocumentKind, Supplier, SupplierCommand};
use zhuchao_eventstore::EmbeddedStore;

pub const START: i64 = 1_764_000_000_000;

pub struct World {
    pub dir: TempDir,
    pub store: EmbeddedStore,
    pub clock: ManualClock,
    pub market: Marketplace<EmbeddedStore>,
    pub processes: Processes<EmbeddedStore>,
    /// The provider behind `market`, to see what it charged.
    pub payments: Arc<SimulatedPayments>,
    pub agent: UserId,
    pub category: CategoryId,
}

/// A reference to an uploaded file, as the upload answers it.
pub fn file_ref(name: &str) -> zhuchao_domain::files::FileRef {
    zhuchao_domain::files::FileRef::parse(&format!(
        "/files/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/{name}"
    ))
    .expect("file ref")
}

pub fn ctx(actor: &str) -> CommandContext {
    CommandContext::new(actor)
}

impl World {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path().join("store")).expect("store");
        let clock = ManualClock::at(START);
        let handler =
            CommandHandler::new(store.clone(), Arc::new(clock.clone()), Arc::new(UuidV7Ids));
        let payments = Arc::new(SimulatedPayments::default());
        let market = Marketplace::new(handler, Settings::default(), payments.clone());
        let processes = Processes::new(
            market.clone(),
            Box::new(process_store::open_in(dir.path()).expect("process store")),
        )
        .expect("processes");
        let category = CategoryId(Uuid::now_v7());
        let world = Self {
            dir,
            store,
            clock,
            market,
            processes,
            payments,
            agent: UserId(Uuid::now_v7()),
            category,
        };
        world
            .market
            .run::<Category>(
                &ctx("admin"),
                category,
                CategoryCommand::Create {
                    id: category,
                    name: "Hex bolts".into(),
                    parent: None,
                    attributes: hex_bolt_schema(),
                },
            )
            .await
            .expect("category");
        world
    }

    /// Lets the process managers react until nothing more happens.
    pub async fn settle(&mut self) {
        while self.processes.catch_up().await.expect("processes") > 0 {}
    }

    /// Moves the clock and fires whatever timers fall due, then settles.
    pub async fn pass(&mut self, ms: i64) {
        self.clock.advance(ms);
        self.processes.fire_due_timers().await.expect("timers");
        self.settle().await;
    }

    /// Throws the process managers away and starts them again from their saved checkpoint.
    pub fn restart_processes(&mut self) {
        self.processes = Processes::new(
            self.market.clone(),
            Box::new(process_store::open_in(self.dir.path()).expect("process store")),
        )
        .expect("processes");
    }

    /// Stops the process managers and deletes their checkpoint and timers.
    pub fn forget_process_checkpoint(&mut self) {
        self.processes = Processes::new(
            self.market.clone(),
            Box::<process_store::MemoryProcessStore>::default(),
        )
        .expect("processes");
        let (file, _) = process_store::files_in(self.dir.path());
        for suffix in ["", "-wal", "-shm"] {
            let mut path = file.clone().into_os_string();
            path.push(suffix);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("forget the checkpoint: {e}"),
            }
        }
    }

    /// A supplier who applied, had its merged licence approved and paid the deposit.
    pub async fn active_supplier(&self, n: u32) -> SupplierId {
        let id = SupplierId(Uuid::now_v7());
        let code = CreditCode::with_check_character(&format!("91330200MA2{n:06}")).expect("code");
        let c = ctx("supplier");
        self.market
            .apply_supplier(
                &c,
                SupplierApplication {
                    id,
                    company_name: format!("宁波紧固件{n}号有限公司"),
                    credit_code: code.as_str().to_string(),
                    categories: vec![self.category],
                    contact: Contact {
                        name: "王经理".into(),
                        phone: "13800000000".into(),
                        email: String::new(),
                    },
                },
            )
            .await
            .expect("apply");
        let at = self.clock_now();
        self.market
            .run::<Supplier>(
                &c,
                id,
                SupplierCommand::SubmitDocument {
                    kind: DocumentKind::MergedLicence,
                    file: file_ref("licence.pdf"),
                    expires_on: None,
                    at,
                },
            )
            .await
            .expect("submit");
        self.market
            .run::<Supplier>(
                &ctx("agent"),
                id,
                SupplierCommand::ApproveDocument {
                    kind: DocumentKind::MergedLicence,
                    agent: self.agent,
                    at,
                },
            )
            .await
            .expect("approve");
        self.market
            .run::<Supplier>(
                &c,
                id,
                SupplierCommand::PayDeposit {
                    amount: Money::cny(2_000_000),
                    payment_ref: format!("deposit-{n}"),
                    at,
                },
            )
            .await
            .expect("deposit");
        id
    }

    pub fn clock_now(&self) -> i64 {
        use zhuchao_app::Clock;
        self.clock.now()
    }

    pub fn sheet(&self) -> ProductSheet {
        ProductSheet {
            category: self.category,
            part_number: String::new(),
            brand: "固力".into(),
            keyword: "六角螺栓".into(),
            name: "DIN 933".into(),
            description: "Full thread hex bolt".into(),
            images: vec![],
            moq: 100,
            pack_size: 50,
            tiers: vec![
                PriceTier {
                    min_quantity: 100,
                    unit_price: Money::cny(45),
                },
                PriceTier {
                    min_quantity: 1000,
                    unit_price: Money::cny(38),
                },
            ],
            stock: 20_000,
            lead_time_days: 3,
            shipping_cost: Money::cny(1500),
        }
    }

    pub async fn published_product(&self, supplier: SupplierId) -> ProductId {
        let id = ProductId(Uuid::now_v7());
        let attributes: BTreeMap<String, String> =
            [("thread", "M8"), ("length", "30 mm"), ("material", "A2")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let c = ctx("supplier");
        self.market
            .draft_product(&c, id, supplier, self.sheet(), attributes)
            .await
            .expect("draft");
        self.market
            .publish_product(&c, id, supplier)
            .await
            .expect("publish");
        id
    }
}
