//! Who is calling: passwords are checked against argon2 hashes, and a signed token (HMAC-SHA256
//! over the user, the session and when it began, with a secret kept in the data directory) names
//! the caller's session on every later request, across server restarts.

use std::path::Path;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zhuchao_domain::account::Role;
use zhuchao_domain::ids::{CompanyId, SupplierId, UserId};
use zhuchao_domain::Timestamp;

/// How long a sign-in lasts.
pub const TOKEN_LIFETIME_MS: Timestamp = 12 * 60 * 60 * 1000;
/// How far ahead of this server's clock another node's may be when it issues a token.
pub const CLOCK_SKEW_MS: Timestamp = 60 * 1000;

/// One sign-in: a token names it, and signing out ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub id: uuid::Uuid,
    pub began: Timestamp,
}

impl Session {
    pub fn expires(&self) -> Timestamp {
        self.began.saturating_add(TOKEN_LIFETIME_MS)
    }
}

/// The caller of a request, as established from its token.
#[derive(Clone, Debug, PartialEq)]
pub enum Viewer {
    Anonymous,
    Admin { user: UserId },
    Agent { user: UserId },
    Buyer { user: UserId, company: CompanyId },
    Supplier { user: UserId, supplier: SupplierId },
}

impl Viewer {
    pub fn from_role(user: UserId, role: &Role) -> Self {
        match role {
            Role::Admin => Viewer::Admin { user },
            Role::Agent => Viewer::Agent { user },
            Role::Buyer { company, .. } => Viewer::Buyer {
                user,
                company: *company,
            },
            Role::Supplier { supplier } => Viewer::Supplier {
                user,
                supplier: *supplier,
            },
        }
    }

    pub fn user(&self) -> Option<UserId> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Admin { user }
            | Viewer::Agent { user }
            | Viewer::Buyer { user, .. }
            | Viewer::Supplier { user, .. } => Some(*user),
        }
    }

    /// Agents and admins see everything a customer-service desk needs.
    pub fn is_staff(&self) -> bool {
        matches!(self, Viewer::Admin { .. } | Viewer::Agent { .. })
    }

    /// Who asks, as the domain's rules see them.
    pub fn asker(&self) -> zhuchao_domain::actions::Asker {
        use zhuchao_domain::actions::Asker;
        match self {
            Viewer::Anonymous => Asker::Anonymous,
            Viewer::Admin { user } | Viewer::Agent { user } => Asker::Agent(*user),
            Viewer::Buyer { user, company } => Asker::Buyer {
                user: *user,
                company: *company,
            },
            Viewer::Supplier { supplier, .. } => Asker::Supplier(*supplier),
        }
    }

    pub fn actor(&self) -> String {
        match self.user() {
            Some(u) => format!("user:{u}"),
            None => "anonymous".into(),
        }
    }
}

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Argon2 is slow and takes memory by design: a few hashes run at once (half the cores), the
/// rest wait their turn without holding a thread, and one that waits too long is answered
/// "busy" — so a flood of sign-ins or registrations cannot take the machine's memory or every
/// core from other requests.
static PASSWORD_WORK: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new((cores / 2).max(1))
    });

/// How long a password check may wait for its turn.
pub const PASSWORD_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Password work could not be done now.
#[derive(Debug, thiserror::Error)]
pub enum PasswordWorkError {
    #[error("the server is busy checking passwords; try again in a few seconds")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Runs `work` (hashing or checking a password) in its turn, off the async workers.
async fn in_turn<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordWorkError> {
    let _turn = tokio::time::timeout(PASSWORD_QUEUE_WAIT, PASSWORD_WORK.acquire())
        .await
        .map_err(|_| PasswordWorkError::Busy)?
        .map_err(|_| PasswordWorkError::Busy)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| PasswordWorkError::Failed(e.to_string()))
}

/// The argon2 hash of `password`, computed in its turn.
pub async fn hash_in_turn(password: String) -> Result<String, PasswordWorkError> {
    in_turn(move || hash_password(&password))
        .await?
        .map_err(PasswordWorkError::Failed)
}

/// Whether `password` matches `hash`, checked in its turn.
pub async fn verify_in_turn(password: String, hash: String) -> Result<bool, PasswordWorkError> {
    in_turn(move || verify_password(&password, &hash)).await
}

/// Signs and checks tokens with the server's secret.
#[derive(Clone)]
pub struct Tokens {
    secret: Vec<u8>,
}

type HmacSha256 = Hmac<Sha256>;

impl Tokens {
    /// Loads the secret from `DIR/token.secret`, creating it on first start.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("token.secret");
        match std::fs::read(&path) {
            Ok(secret) if secret.len() >= 32 => Ok(Self { secret }),
            _ => {
                let secret: [u8; 32] = rand::random();
                std::fs::write(&path, secret)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(Self {
                    secret: secret.to_vec(),
                })
            }
        }
    }

    fn mac(&self, body: &str) -> Vec<u8> {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A token for a new session of `user`, begun `now`.
    pub fn issue(&self, user: UserId, now: Timestamp) -> (String, Session) {
        let session = Session {
            user,
            id: uuid::Uuid::new_v4(),
            began: now,
        };
        let body = format!("{}.{}.{}", user.0.simple(), session.id.simple(), now);
        let token = format!("{body}.{}", URL_SAFE_NO_PAD.encode(self.mac(&body)));
        (token, session)
    }

    /// The session a token names, if the token is genuine and its session has not expired.
    /// Whether the session was ended (signed out) is the account's to say.
    pub fn verify(&self, token: &str, now: Timestamp) -> Option<Session> {
        let (body, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = HmacSha256::new_from_slice(&self.secret).ok()?;
        mac.update(body.as_bytes());
        mac.verify_slice(&signature).ok()?;
        let mut parts = body.split('.');
        let (user, id, began) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let session = Session {
            user: UserId(user.parse().ok()?),
            id: id.parse().ok()?,
            began: began.parse().ok()?,
        };
        // Expired, or begun in the future (a key that leaked once must not mint tokens that
        // outlive its rotation).
        if session.expires() <= now || session.began > now.saturating_add(CLOCK_SKEW_MS) {
            return None;
        }
        Some(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_signed_and_expire() {
        let dir = std::env::temp_dir().join(format!("zhuchao-tokens-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let tokens = Tokens::load_or_create(&dir).unwrap();
        let user = UserId(uuid::Uuid::now_v7());
        let (token, session) = tokens.issue(user, 1_000);
        assert_eq!(session.user, user);
        assert_eq!(tokens.verify(&token, 2_000), Some(session));
        assert_ne!(
            tokens.issue(user, 1_000).1.id,
            session.id,
            "one session per sign-in"
        );
        assert_eq!(
            tokens.verify(&token, 1_000 + TOKEN_LIFETIME_MS),
            None,
            "expired"
        );
        let far = format!(
            "{}.{}.{}",
            user.0.simple(),
            session.id.simple(),
            7_258_118_400_000i64
        );
        let forever = format!("{far}.{}", URL_SAFE_NO_PAD.encode(tokens.mac(&far)));
        assert_eq!(
            tokens.verify(&forever, 1_000),
            None,
            "a genuine signature on a session begun in 2200 is still refused"
        );
        let mut forged = token.clone();
        forged.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
        assert_eq!(tokens.verify(&forged, 2_000), None, "tampered");
        assert_eq!(
            Tokens::load_or_create(&dir).unwrap().verify(&token, 2_000),
            Some(session),
            "survives a restart"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
