//! The contract as it runs against a server every check shares (EventStoreDB): here one
//! embedded store serves all the checks at once, each looking only at its own streams — which
//! proves the suite's shared mode before it meets a real cluster.

use std::sync::OnceLock;

use zhuchao_eventstore::contract::StoreFactory;
use zhuchao_eventstore::EmbeddedStore;

struct OneStore;

fn the_store() -> EmbeddedStore {
    static STORE: OnceLock<(tempfile::TempDir, EmbeddedStore)> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = tempfile::TempDir::new().expect("temporary directory");
            let store = EmbeddedStore::open(dir.path().join("store")).expect("open");
            (dir, store)
        })
        .1
        .clone()
}

impl StoreFactory for OneStore {
    type Store = EmbeddedStore;

    async fn create(&self) -> EmbeddedStore {
        the_store()
    }

    fn isolated(&self) -> bool {
        false
    }
}

zhuchao_eventstore::contract_suite!(OneStore);
