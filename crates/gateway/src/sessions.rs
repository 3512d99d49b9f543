//! Sessions: the caller a token names, as long as that session is live — the account's own
//! events say when it was signed out, on one device or all, or ended by a new password — and a
//! future that ends with it, for connections that outlive a request.

use std::sync::Arc;
use std::time::Duration;

use zhuchao_domain::Timestamp;

use crate::auth::{Session, Tokens, Viewer};
use zhuchao_views::ViewsHandle;

#[derive(Clone)]
pub struct Sessions {
    tokens: Tokens,
    views: ViewsHandle,
    now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
}

impl Sessions {
    pub fn new(
        tokens: Tokens,
        views: ViewsHandle,
        now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    ) -> Self {
        Self { tokens, views, now }
    }

    /// A token for a new session of `user`.
    pub fn begin(&self, user: zhuchao_domain::ids::UserId) -> (String, Session) {
        self.tokens.issue(user, (self.now)())
    }

    /// The caller and session a bearer token names; `None` when the token is not genuine, has
    /// expired, or its session was ended.
    pub async fn caller(&self, token: &str) -> Option<(Viewer, Session)> {
        let session = self.tokens.verify(token.trim(), (self.now)())?;
        let catalog = self.views.catalog();
        let account = catalog.account_of(session.user)?;
        if !account.session_is_live(session.id, session.began) {
            return None;
        }
        Some((
            Viewer::from_role(session.user, account.role.as_ref()?),
            session,
        ))
    }

    /// Whether `session` may still act.
    pub async fn is_live(&self, session: &Session) -> bool {
        session.expires() > (self.now)()
            && self
                .views
                .catalog()
                .account_of(session.user)
                .is_some_and(|a| a.session_is_live(session.id, session.began))
    }

    /// Resolves within about a second of `session` ending (or expiring).
    pub async fn ended(&self, session: Session) {
        while self.is_live(&session).await {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
