//! Token-bucket rate limits per ingest key and per client IP (governor).
//!
//! Buckets for idle keys and IPs are forgotten by a periodic sweep, and the
//! IP table is swept early when it grows past a cap, so a flood from many
//! addresses cannot grow memory without bound.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::RateLimits;

/// IPs tracked before a sweep is forced.
const MAX_TRACKED_IPS: usize = 100_000;

#[derive(Clone)]
pub struct RateLimiter {
    per_key: Arc<DefaultKeyedRateLimiter<String>>,
    per_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl RateLimiter {
    pub fn new(limits: &RateLimits) -> Self {
        let quota = |rate: u32, burst: u32| {
            Quota::per_second(NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
        };
        Self {
            per_key: Arc::new(governor::RateLimiter::keyed(quota(
                limits.per_key_per_second,
                limits.per_key_burst,
            ))),
            per_ip: Arc::new(governor::RateLimiter::keyed(quota(
                limits.per_ip_per_second,
                limits.per_ip_burst,
            ))),
        }
    }

    /// `Err(wait)` when either bucket is empty: how long until a retry may pass.
    pub fn check(&self, key: &str, ip: IpAddr) -> Result<(), Duration> {
        if self.per_ip.len() > MAX_TRACKED_IPS {
            self.sweep();
        }
        check(&self.per_ip, &ip)?;
        check(&self.per_key, &key.to_owned())
    }

    /// Forgets buckets that have refilled (their keys are idle).
    pub fn sweep(&self) {
        self.per_ip.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_key.retain_recent();
        self.per_key.shrink_to_fit();
    }
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Duration> {
    limiter
        .check_key(key)
        .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
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
            trust_forwarded_for: false,
        }
    }

    #[test]
    fn each_ip_and_each_key_has_its_own_bucket() {
        let limiter = RateLimiter::new(&limits(2, 3));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
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
}
