//! The embedded backend against the event-store contract.

use tempfile::TempDir;
use zhuchao_eventstore::contract::StoreFactory;
use zhuchao_eventstore::EmbeddedStore;

/// Each store in its own folder under one temporary directory, removed when the test ends.
struct FreshDirectory(TempDir);

impl FreshDirectory {
    fn new() -> Self {
        Self(TempDir::new().expect("temporary directory"))
    }
}

impl StoreFactory for FreshDirectory {
    type Store = EmbeddedStore;

    async fn create(&self) -> EmbeddedStore {
        let dir = self.0.path().join(uuid::Uuid::new_v4().to_string());
        EmbeddedStore::open(dir).expect("open embedded store")
    }
}

zhuchao_eventstore::contract_suite!(FreshDirectory::new());

/// The same backend behind `SharedStore` (the type the server holds, whatever `--store` says).
mod shared {
    use super::FreshDirectory;
    use zhuchao_eventstore::contract::StoreFactory;
    use zhuchao_eventstore::SharedStore;

    struct Shared(FreshDirectory);

    impl StoreFactory for Shared {
        type Store = SharedStore;

        async fn create(&self) -> SharedStore {
            std::sync::Arc::new(self.0.create().await)
        }
    }

    zhuchao_eventstore::contract_suite!(Shared(FreshDirectory::new()));
}

/// The backend indexing every group as soon as it is written, so that reads go through the index
/// and the log rather than the in-memory tail (the default gathers a quarter second first).
mod indexed_at_once {
    use tempfile::TempDir;
    use zhuchao_eventstore::contract::StoreFactory;
    use zhuchao_eventstore::{EmbeddedOptions, EmbeddedStore};

    struct IndexedAtOnce(TempDir);

    impl StoreFactory for IndexedAtOnce {
        type Store = EmbeddedStore;

        async fn create(&self) -> EmbeddedStore {
            let dir = self.0.path().join(uuid::Uuid::new_v4().to_string());
            let options = EmbeddedOptions {
                index_interval: std::time::Duration::ZERO,
                ..EmbeddedOptions::default()
            };
            EmbeddedStore::open_with(dir, options).expect("open embedded store")
        }
    }

    zhuchao_eventstore::contract_suite!(IndexedAtOnce(
        TempDir::new().expect("temporary directory")
    ));
}
