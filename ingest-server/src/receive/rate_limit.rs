//! Token-bucket rate limits per ingest key and per client IP (governor): one
//! pair counts beacons, checked before the body is read; the other counts
//! the bytes each beacon adds to the log (its record), charged once it is
//! encoded, since a small body can make many large rows.
//!
//! Buckets for idle keys and IPs are forgotten by a periodic sweep, and the
//! IP table is swept early when it grows past a cap, so a flood from many
//! addresses cannot grow memory without bound.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, InsufficientCapacity, Quota};

use crate::config::RateLimits;

/// IPs tracked before a sweep is forced.
const MAX_TRACKED_IPS: usize = 100_000;

#[derive(Clone)]
pub struct RateLimiter {
    per_key: Arc<DefaultKeyedRateLimiter<String>>,
    per_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    stored_bytes_per_key: Arc<DefaultKeyedRateLimiter<String>>,
    stored_bytes_per_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl RateLimiter {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            per_key: keyed(limits.per_key_per_second, limits.per_key_burst),
            per_ip: keyed(limits.per_ip_per_second, limits.per_ip_burst),
            stored_bytes_per_key: keyed(
                limits.per_key_stored_bytes_per_second,
                limits.per_key_stored_bytes_burst,
            ),
            stored_bytes_per_ip: keyed(
                limits.per_ip_stored_bytes_per_second,
                limits.per_ip_stored_bytes_burst,
            ),
        }
    }

    /// Takes one beacon from the IP's and the key's buckets; `Err(wait)` when
    /// either is empty: how long until a retry may pass.
    pub fn check(&self, key: &str, ip: IpAddr) -> Result<(), Duration> {
        // The byte tables hold only IPs that passed here: this one is the largest.
        if self.per_ip.len() > MAX_TRACKED_IPS {
            self.sweep();
        }
        check(&self.per_ip, &ip, NonZeroU32::MIN)?;
        check(&self.per_key, &key.to_owned(), NonZeroU32::MIN)
    }

    /// Takes a beacon's stored bytes from the IP's and the key's byte
    /// buckets, as [`Self::check`] takes the beacon.
    pub fn check_stored_bytes(&self, key: &str, ip: IpAddr, bytes: usize) -> Result<(), Duration> {
        let bytes = u32::try_from(bytes)
            .ok()
            .and_then(NonZeroU32::new)
            .unwrap_or(NonZeroU32::MAX);
        check(&self.stored_bytes_per_ip, &ip, bytes)?;
        check(&self.stored_bytes_per_key, &key.to_owned(), bytes)
    }

    /// Forgets buckets that have refilled (their keys are idle).
    pub fn sweep(&self) {
        fn forget_idle<K: Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>) {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        forget_idle(&self.per_ip);
        forget_idle(&self.per_key);
        forget_idle(&self.stored_bytes_per_ip);
        forget_idle(&self.stored_bytes_per_key);
    }
}

fn keyed<K: Hash + Eq + Clone>(rate: u32, burst: u32) -> Arc<DefaultKeyedRateLimiter<K>> {
    let quota = Quota::per_second(NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
    Arc::new(governor::RateLimiter::keyed(quota))
}

/// Takes `cells` from `key`'s bucket, or says how long until it could. More
/// cells than a full bucket holds take a full bucket: a beacon is never
/// refused for ever (the configuration check keeps beacons within the bursts).
fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    cells: NonZeroU32,
) -> Result<(), Duration> {
    match limiter.check_key_n(key, cells) {
        // The limiter's own clock: making one (quanta calibrates it with
        // CPUID) cost more than the rest of a beacon's handling.
        Ok(outcome) => outcome.map_err(|not_until| not_until.wait_time_from(limiter.clock().now())),
        Err(InsufficientCapacity(capacity)) => check(
            limiter,
            key,
            NonZeroU32::new(capacity).unwrap_or(NonZeroU32::MIN),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_ip_burst: u32, per_key_burst: u32) -> RateLimits {
        RateLimits {
            per_key_per_second: 1,
            per_key_burst,
            per_ip_per_second: 1,
            per_ip_burst,
            per_key_stored_bytes_per_second: 100,
            per_key_stored_bytes_burst: 1_500,
            per_ip_stored_bytes_per_second: 100,
            per_ip_stored_bytes_burst: 1_000,
            trust_forwarded_for: false,
        }
    }

    fn ips() -> (IpAddr, IpAddr, IpAddr) {
        let ip = |text: &str| text.parse().unwrap();
        (ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"))
    }

    #[test]
    fn each_ip_and_each_key_has_its_own_bucket() {
        let limiter = RateLimiter::new(&limits(2, 3));
        let (a, b, _) = ips();
        assert!(limiter.check("k", a).is_ok());
        assert!(limiter.check("k", a).is_ok());
        let wait = limiter.check("k", a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Another IP still passes until the key's own bucket is empty.
        assert!(limiter.check("k", b).is_ok());
        assert!(limiter.check("k", b).is_err());
        assert!(
            limiter.check("other-key", b).is_err(),
            "b's IP bucket is empty too"
        );
    }

    #[test]
    fn stored_bytes_are_charged_whole_per_ip_and_per_key() {
        let limiter = RateLimiter::new(&limits(10, 10));
        let (a, b, c) = ips();
        assert!(limiter.check_stored_bytes("k", a, 600).is_ok());
        // 400 bytes left in a's bucket: 600 more need 200, two seconds at 100/s.
        let wait = limiter.check_stored_bytes("k", a, 600).unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
        assert!(limiter.check_stored_bytes("k", a, 400).is_ok());
        assert!(limiter.check("k", a).is_ok(), "bytes leave beacons alone");
        // The key has 1,500 - 1,000 = 500 bytes left, whatever the IP.
        assert!(limiter.check_stored_bytes("k", b, 500).is_ok());
        assert!(limiter.check_stored_bytes("k", c, 1).is_err());
        // c's IP bucket paid for that refused try, as for a refused beacon.
        assert!(limiter.check_stored_bytes("other-key", c, 999).is_ok());
        assert!(limiter.check_stored_bytes("other-key", b, 1).is_ok());
    }

    #[test]
    fn more_stored_bytes_than_a_burst_take_a_full_bucket() {
        let limiter = RateLimiter::new(&limits(10, 10));
        let (a, ..) = ips();
        assert!(limiter.check_stored_bytes("k", a, 5_000).is_ok());
        assert!(limiter.check_stored_bytes("k", a, 1).is_err());
        assert!(limiter
            .check_stored_bytes("k", a, usize::MAX)
            .is_err_and(|wait| wait <= Duration::from_secs(10)));
    }
}
