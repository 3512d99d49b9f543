//! The EventStoreDB backend against the event-store contract — run when `ZHUCHAO_ESDB_URL`
//! names a server (the checks share it and look only at their own streams; for example
//! `docker run --rm -p 2113:2113 eventstore/eventstore --insecure --mem-db` and
//! `ZHUCHAO_ESDB_URL=esdb://127.0.0.1:2113?tls=false`); skipped, and saying so, otherwise.

use zhuchao_esdb::EsdbStore;
use zhuchao_eventstore::contract::StoreFactory;

struct Server(Option<String>);

impl Server {
    fn from_env() -> Self {
        Self(
            std::env::var("ZHUCHAO_ESDB_URL")
                .ok()
                .filter(|u| !u.trim().is_empty()),
        )
    }
}

impl StoreFactory for Server {
    type Store = EsdbStore;

    async fn create(&self) -> EsdbStore {
        let url = self.0.as_deref().expect("checked by skip_reason");
        EsdbStore::connect(url)
            .await
            .expect("connect to EventStoreDB")
    }

    /// Every check talks to the same server, at the same time.
    fn isolated(&self) -> bool {
        false
    }

    fn skip_reason(&self) -> Option<String> {
        self.0
            .is_none()
            .then(|| "ZHUCHAO_ESDB_URL is not set: no EventStoreDB server to test against".into())
    }
}

zhuchao_eventstore::contract_suite!(Server::from_env());

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    // Nothing listens on port 9 (discard) of localhost here.
    let error = match EsdbStore::connect("esdb://127.0.0.1:9?tls=false").await {
        Ok(_) => panic!("connected to nothing"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("127.0.0.1:9")
            && (error.contains("unreachable") || error.contains("did not answer")),
        "{error}"
    );
    let bad = match EsdbStore::connect("http://nope").await {
        Ok(_) => panic!("not a connection string"),
        Err(e) => e.to_string(),
    };
    assert!(
        bad.contains("not an EventStoreDB connection string"),
        "{bad}"
    );
}
