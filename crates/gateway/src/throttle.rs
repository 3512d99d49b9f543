//! Password attempts, limited per account and per client address (governor's GCRA buckets), so
//! that guessing is slow however it is spread out; and registrations, limited per client
//! address, so that nobody opens accounts by the hundred. A refused attempt says how long to
//! wait.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Attempts one account may take in a burst, then one more every six seconds.
pub const ATTEMPTS_PER_ACCOUNT_PER_MINUTE: u32 = 10;
/// Attempts one client address may take in a burst (an office behind one NAT signing in at
/// nine o'clock), then one more a second.
pub const ATTEMPTS_PER_ADDRESS_PER_MINUTE: u32 = 60;

/// Registrations one client address may make in a burst (a company's colleagues signing up
/// together), then one more every thirty seconds.
pub const REGISTRATIONS_PER_ADDRESS: u32 = 20;
/// How often an address earns one more registration after its burst.
pub const REGISTRATION_PERIOD: Duration = Duration::from_secs(30);

pub struct Throttle {
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    registrations: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl Default for Throttle {
    fn default() -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).expect("non-zero"));
        Self {
            accounts: RateLimiter::keyed(per_minute(ATTEMPTS_PER_ACCOUNT_PER_MINUTE)),
            addresses: RateLimiter::keyed(per_minute(ATTEMPTS_PER_ADDRESS_PER_MINUTE)),
            registrations: RateLimiter::keyed(
                Quota::with_period(REGISTRATION_PERIOD)
                    .expect("a period")
                    .allow_burst(NonZeroU32::new(REGISTRATIONS_PER_ADDRESS).expect("non-zero")),
            ),
            checks: AtomicU64::new(0),
        }
    }
}

/// The key of a client address: an IPv6 client usually holds a whole /64, so that is one key.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
        v4 => v4,
    }
}

impl Throttle {
    /// Takes one attempt for `account` from `address`, or says how long to wait before the
    /// next one is allowed. The address is asked first: a refused address uses up nothing of
    /// the account's, so an attacker cannot lock an account out from elsewhere faster than
    /// its own allowance.
    pub fn attempt(&self, account: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        // Keys of clients gone quiet are forgotten now and then.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.accounts.retain_recent();
            self.addresses.retain_recent();
        }
        let now = DefaultClock::default().now();
        if let Some(address) = address {
            self.addresses
                .check_key(&address_key(address))
                .map_err(|wait| wait.wait_time_from(now))?;
        }
        self.accounts
            .check_key(&account.to_string())
            .map_err(|wait| wait.wait_time_from(now))
    }

    /// Takes one registration from `address`, or says how long to wait.
    pub fn register(&self, address: Option<IpAddr>) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.registrations.retain_recent();
        }
        let Some(address) = address else {
            return Ok(());
        };
        let now = DefaultClock::default().now();
        self.registrations
            .check_key(&address_key(address))
            .map_err(|wait| wait.wait_time_from(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_ten_attempts_then_waits() {
        let throttle = Throttle::default();
        let from = |n: u8| Some(IpAddr::from([10, 0, 0, n]));
        for n in 0..10 {
            assert_eq!(
                throttle.attempt("li@example.com", from(n)),
                Ok(()),
                "attempt {n}"
            );
        }
        let wait = throttle
            .attempt("li@example.com", from(99))
            .expect_err("the eleventh waits, from any address");
        assert!(
            wait > Duration::from_secs(4) && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        assert_eq!(
            throttle.attempt("wang@example.com", from(99)),
            Ok(()),
            "others are not"
        );
    }

    #[test]
    fn an_address_registers_twenty_accounts_then_one_every_half_minute() {
        let throttle = Throttle::default();
        let office = Some(IpAddr::from([10, 0, 0, 1]));
        for n in 0..REGISTRATIONS_PER_ADDRESS {
            assert_eq!(throttle.register(office), Ok(()), "registration {n}");
        }
        let wait = throttle.register(office).expect_err("the next waits");
        assert!(
            wait > Duration::from_secs(25) && wait <= REGISTRATION_PERIOD,
            "{wait:?}"
        );
        assert_eq!(throttle.register(Some(IpAddr::from([10, 0, 0, 2]))), Ok(()));
    }

    #[test]
    fn an_address_gets_sixty_attempts_over_any_accounts() {
        let throttle = Throttle::default();
        let v6 = |last: u16| Some(IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, last]));
        for n in 0..60 {
            assert_eq!(
                throttle.attempt(&format!("user{n}@example.com"), v6(n)),
                Ok(())
            );
        }
        assert!(
            throttle.attempt("user99@example.com", v6(999)).is_err(),
            "one /64 is one client"
        );
        assert_eq!(
            throttle.attempt(
                "user99@example.com",
                Some(IpAddr::from([0x2001, 0xdb8, 0, 2, 0, 0, 0, 1]))
            ),
            Ok(())
        );
    }
}
