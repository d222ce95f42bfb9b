//! Token-bucket rate limits per client IP (unauthenticated) and per
//! organisation and class (authenticated), as the draft publishes them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Requests per minute; `0` disables a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Unauthenticated requests per minute per IP (draft: 30).
    pub unauthenticated_per_min: u32,
    /// Authenticated verify-class requests per minute per organisation (draft: 60).
    pub verify_per_min: u32,
    /// Authenticated whois-class requests per minute per organisation (draft: 120).
    pub whois_per_min: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            unauthenticated_per_min: 30,
            verify_per_min: 60,
            whois_per_min: 120,
        }
    }
}

impl RateLimits {
    /// No limits at all.
    pub fn unlimited() -> RateLimits {
        RateLimits {
            unauthenticated_per_min: 0,
            verify_per_min: 0,
            whois_per_min: 0,
        }
    }
}

/// Which published limit an endpoint counts against when authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// verify, issue, revoke, MCP.
    Verify,
    /// whois, identities, DID, revocations.
    Whois,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Org(String, Class),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

const MAX_BUCKETS: usize = 100_000;

/// The limiter.
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(limits: RateLimits) -> RateLimiter {
        RateLimiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limits.
    pub fn limits(&self) -> RateLimits {
        self.limits
    }

    /// Counts an unauthenticated request; `Err(seconds)` to wait when over.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), u64> {
        self.take(Key::Ip(ip), self.limits.unauthenticated_per_min)
    }

    /// Counts an authenticated request of an organisation.
    pub fn check_org(&self, org: &str, class: Class) -> Result<(), u64> {
        let per_min = match class {
            Class::Verify => self.limits.verify_per_min,
            Class::Whois => self.limits.whois_per_min,
        };
        self.take(Key::Org(org.to_owned(), class), per_min)
    }

    fn take(&self, key: Key, per_min: u32) -> Result<(), u64> {
        if per_min == 0 {
            return Ok(());
        }
        let cap = f64::from(per_min);
        let rate = cap / 60.0;
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_BUCKETS {
            // Forget buckets that have refilled: they carry no state.
            map.retain(|_, b| b.tokens + now.duration_since(b.last).as_secs_f64() * rate < cap);
        }
        let b = map.entry(key).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(cap);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - b.tokens) / rate).ceil();
            // A bounded, positive float: the cast cannot truncate meaningfully.
            Err(if wait.is_finite() && wait >= 1.0 {
                wait.min(3600.0) as u64
            } else {
                1
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_limit_and_report_wait() {
        let l = RateLimiter::new(RateLimits {
            unauthenticated_per_min: 3,
            verify_per_min: 2,
            whois_per_min: 0,
        });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check_ip(ip).is_ok());
        }
        let wait = l.check_ip(ip).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(l.check_ip("127.0.0.2".parse().unwrap()).is_ok());
        assert!(l.check_org("o", Class::Verify).is_ok());
        assert!(l.check_org("o", Class::Verify).is_ok());
        assert!(l.check_org("o", Class::Verify).is_err());
        for _ in 0..100 {
            assert!(l.check_org("o", Class::Whois).is_ok());
        }
    }
}
