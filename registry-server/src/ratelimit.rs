//! Token-bucket rate limits per client IP (unauthenticated) and per
//! organisation and class (authenticated), as the draft publishes them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
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

/// The address a client is counted under: an IPv4 address as is (also
/// when it arrives IPv4-mapped in IPv6), except that all of 127.0.0.0/8 is
/// one host and counts as 127.0.0.1; an IPv6 address by its /64 (one host
/// usually owns a whole /64, so counting single addresses would give it
/// 2^64 budgets).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => client_key(IpAddr::V4(v4)),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(Ipv6Addr::from(seg))
            }
        },
    }
}

/// An address range (`a.b.c.d/n`, `x::/n` or a single address), for the
/// trusted-proxy setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside the range (IPv4-mapped IPv6 addresses count
    /// as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;
    fn from_str(s: &str) -> Result<IpNet, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max && !p.starts_with('+'))
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(IpNet { addr, prefix })
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The client address of a request: the TCP peer, or — only when the peer
/// is a trusted proxy — the right-most `X-Forwarded-For` entry that is not
/// itself a trusted proxy (entries further left are client-controlled).
/// A missing or unparsable header falls back to the peer.
pub fn client_ip(peer: IpAddr, xff: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut hops = Vec::new();
    for h in xff {
        for part in h.split(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => hops.push(ip),
                Err(_) => return peer,
            }
        }
    }
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
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

    /// Counts an unauthenticated request against the client's address
    /// ([`client_key`]: IPv4 address, IPv6 /64); `Err(seconds)` to wait
    /// when over.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), u64> {
        self.take(Key::Ip(client_key(ip)), self.limits.unauthenticated_per_min)
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
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check_ip(ip).is_ok());
        }
        let wait = l.check_ip(ip).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(l.check_ip("192.0.2.2".parse().unwrap()).is_ok());
        assert!(l.check_org("o", Class::Verify).is_ok());
        assert!(l.check_org("o", Class::Verify).is_ok());
        assert!(l.check_org("o", Class::Verify).is_err());
        for _ in 0..100 {
            assert!(l.check_org("o", Class::Whois).is_ok());
        }
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let l = RateLimiter::new(RateLimits {
            unauthenticated_per_min: 2,
            verify_per_min: 0,
            whois_per_min: 0,
        });
        assert!(l.check_ip("2001:db8:1:2::1".parse().unwrap()).is_ok());
        assert!(l.check_ip("2001:db8:1:2:ffff::9".parse().unwrap()).is_ok());
        assert!(l.check_ip("2001:db8:1:2:abcd::1".parse().unwrap()).is_err());
        assert!(l.check_ip("2001:db8:1:3::1".parse().unwrap()).is_ok());
        assert!(l.check_ip("192.0.2.7".parse().unwrap()).is_ok());
        assert!(l.check_ip("::ffff:192.0.2.7".parse().unwrap()).is_ok());
        assert!(l.check_ip("192.0.2.7".parse().unwrap()).is_err());
        // 127.0.0.0/8 is one host.
        assert!(l.check_ip("127.0.0.2".parse().unwrap()).is_ok());
        assert!(l.check_ip("127.0.0.3".parse().unwrap()).is_ok());
        assert!(l.check_ip("127.0.0.4".parse().unwrap()).is_err());
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let peer = |s: &str| s.parse::<IpAddr>().unwrap();
        // Untrusted peer: the header is ignored.
        assert_eq!(
            client_ip(peer("192.0.2.1"), &["203.0.113.9"], &trusted),
            peer("192.0.2.1")
        );
        // Trusted: the right-most untrusted hop.
        assert_eq!(
            client_ip(
                peer("10.1.2.3"),
                &["1.1.1.1, 203.0.113.9, 10.0.0.5"],
                &trusted
            ),
            peer("203.0.113.9")
        );
        assert_eq!(
            client_ip(peer("::1"), &["198.51.100.2"], &trusted),
            peer("198.51.100.2")
        );
        // Missing or garbage: the peer.
        assert_eq!(client_ip(peer("10.1.2.3"), &[], &trusted), peer("10.1.2.3"));
        assert_eq!(
            client_ip(peer("10.1.2.3"), &["nope"], &trusted),
            peer("10.1.2.3")
        );
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("x/8".parse::<IpNet>().is_err());
        assert!("0.0.0.0/0"
            .parse::<IpNet>()
            .unwrap()
            .contains(peer("8.8.8.8")));
    }
}
