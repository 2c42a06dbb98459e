//! Slows down password guessing without handing strangers a way to lock agents out.
//!
//! - Every try is reserved, under one lock, before its password is checked, and counts as a
//!   failure unless it succeeds: a burst of tries at once checks at most the limit.
//! - Failures count per address *and* client (the peer's IP; an IPv6 client by its /64, which
//!   one machine usually holds whole). Five from one client make that client wait; the agent
//!   signing in from their own machine is not affected.
//! - Across all clients an address may fail [`MAX_FAILURES_PER_ADDRESS`] times in the window
//!   before new clients are refused too, which slows a guesser with many machines. Clients the
//!   agent signed in from recently are exempt from that cap, so even such a guesser does not
//!   lock the agent out of their usual machine.
//! - One client may fail [`MAX_FAILURES_PER_MACHINE`] times in the window across all
//!   addresses, so a machine spraying many addresses (each checked with a full password
//!   hash) is held back too.
//!
//! The counts live in the database (`sign_in_limits`), so several nodes serving one workspace
//! share them: failures on one node count when trying on another.

use crate::app::App;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use rapport_store::sign_in_limits::{Reservation, SignInRules, SignInTry};
use rapport_store::{Store, StoreResult};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Failed attempts allowed per address and client within the window.
const MAX_FAILURES: i64 = 5;
/// Failed attempts allowed per address from all clients together within the window.
const MAX_FAILURES_PER_ADDRESS: i64 = 50;
/// Failed attempts allowed per client across all addresses within the window.
const MAX_FAILURES_PER_MACHINE: i64 = 100;

/// The rules: per client and per address, in a 15-minute window; a client the agent signed in
/// from stays exempt from the per-address cap for 30 days.
pub const RULES: SignInRules = SignInRules {
    per_client: MAX_FAILURES,
    per_address: MAX_FAILURES_PER_ADDRESS,
    per_machine: MAX_FAILURES_PER_MACHINE,
    window: time::Duration::minutes(15),
    trusted_for: time::Duration::days(30),
};

pub struct SignInLimiter {
    store: Store,
}

/// A try that has been counted; tell the limiter when it succeeds.
#[must_use = "a successful sign-in must be reported with `SignInLimiter::succeeded`"]
pub struct Attempt {
    who: SignInTry,
}

/// Refused: too many failures; the client may try again in `seconds`.
#[derive(Debug)]
pub struct TooManyAttempts {
    pub seconds: u64,
}

impl TooManyAttempts {
    pub fn message(&self) -> String {
        format!(
            "Too many failed sign-ins for this address; try again in {} minutes.",
            self.seconds.div_ceil(60)
        )
    }
}

impl SignInLimiter {
    pub fn new(store: Store) -> SignInLimiter {
        SignInLimiter { store }
    }

    /// Counts a try for `email` from `client`, or refuses it when there have been too many.
    /// The try counts as failed unless [`SignInLimiter::succeeded`] is called with it.
    pub async fn reserve(
        &self,
        email: &str,
        client: IpAddr,
    ) -> StoreResult<Result<Attempt, TooManyAttempts>> {
        let who = SignInTry {
            address: email.trim().to_lowercase(),
            client: client_key(client).to_string(),
        };
        Ok(match self.store.reserve_sign_in(&who, RULES).await? {
            Reservation::Counted => Ok(Attempt { who }),
            Reservation::Refused { seconds_left } => Err(TooManyAttempts {
                seconds: u64::try_from(seconds_left).unwrap_or(1),
            }),
        })
    }

    /// The try signed in: the client's failures are forgiven, and the client is trusted.
    pub async fn succeeded(&self, attempt: Attempt) -> StoreResult<()> {
        self.store.sign_in_succeeded(&attempt.who).await
    }
}

/// Who a client is, for counting: its IPv4 address, or its IPv6 /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

/// The IP address the request came from: the peer of the connection, or, when the peer is
/// one of the configured `trusted_proxies`, the client the proxies name in `X-Forwarded-For`.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<App> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        // `serve` always records the peer; a router driven another way counts as one client.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok());
        Ok(ClientIp(client_behind(
            peer,
            forwarded,
            &app.config.trusted_proxies,
        )))
    }
}

/// Who sent a request that reached us from `peer`. A trusted proxy appends the address it got
/// the request from to `X-Forwarded-For`, so the client is the rightmost address there that is
/// not itself a trusted proxy; anything to its left was written by the client and proves
/// nothing. From an untrusted peer the header is ignored.
pub fn client_behind(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded.unwrap_or_default().rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            // A hop we cannot read: stop at the last one we trust.
            Err(_) => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn limiter() -> SignInLimiter {
        let store = Store::connect("sqlite::memory:", 1).await.expect("store");
        store.migrate().await.expect("migrations");
        SignInLimiter::new(store)
    }

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

    fn stranger(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, n))
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_last_address_they_did_not_add() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let balancer: IpAddr = "10.0.0.3".parse().expect("ip");
        let trusted = [proxy, balancer];
        // No proxies configured: the header is whatever the client wrote.
        assert_eq!(client_behind(STRANGER, Some("192.0.2.1"), &[]), STRANGER);
        // From an untrusted peer the header is ignored.
        assert_eq!(
            client_behind(STRANGER, Some("192.0.2.1"), &trusted),
            STRANGER
        );
        // From a proxy: the address it appended.
        assert_eq!(
            client_behind(proxy, Some("198.51.100.7"), &trusted),
            STRANGER
        );
        // A forged entry on the left does not help the client.
        assert_eq!(
            client_behind(proxy, Some("192.0.2.1, 198.51.100.7"), &trusted),
            STRANGER
        );
        // Two proxies in a row.
        assert_eq!(
            client_behind(proxy, Some("198.51.100.7, 10.0.0.3"), &trusted),
            STRANGER
        );
        // Nothing readable: the last trusted hop.
        assert_eq!(client_behind(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(client_behind(proxy, None, &trusted), proxy);
    }

    #[tokio::test]
    async fn each_try_counts_before_its_outcome_so_a_burst_gets_five() {
        let limiter = limiter().await;
        let mut granted = 0;
        for _ in 0..50 {
            let attempt = limiter.reserve("ana@example.com", STRANGER).await;
            granted += usize::from(attempt.expect("store").is_ok());
        }
        assert_eq!(granted, MAX_FAILURES as usize);
        let refused = limiter
            .reserve("Ana@Example.com ", STRANGER)
            .await
            .expect("store");
        assert!(refused.is_err_and(|too_many| too_many.message().contains("15 minutes")));
    }

    #[tokio::test]
    async fn one_machine_spraying_many_addresses_is_held_back_too() {
        let limiter = limiter().await;
        for n in 0..MAX_FAILURES_PER_MACHINE {
            let attempt = limiter
                .reserve(&format!("guess{n}@example.com"), STRANGER)
                .await
                .expect("store");
            assert!(attempt.is_ok(), "try {n} is within every limit");
        }
        let refused = limiter
            .reserve("yet-another@example.com", STRANGER)
            .await
            .expect("store");
        assert!(refused.is_err(), "the machine has failed too often");
        let elsewhere = limiter
            .reserve("yet-another@example.com", HOME)
            .await
            .expect("store");
        assert!(elsewhere.is_ok(), "another machine is not affected");
    }

    #[tokio::test]
    async fn a_strangers_failures_do_not_lock_the_agents_own_client() {
        let limiter = limiter().await;
        for _ in 0..MAX_FAILURES {
            let _failed = limiter
                .reserve("ana@example.com", STRANGER)
                .await
                .expect("store");
        }
        assert!(
            limiter
                .reserve("ana@example.com", STRANGER)
                .await
                .expect("store")
                .is_err()
        );
        assert!(
            limiter
                .reserve("lee@example.com", STRANGER)
                .await
                .expect("store")
                .is_ok()
        );
        let attempt = limiter
            .reserve("ana@example.com", HOME)
            .await
            .expect("store")
            .expect("home is not locked");
        limiter.succeeded(attempt).await.expect("store");
    }

    #[tokio::test]
    async fn success_forgives_the_clients_failures() {
        let limiter = limiter().await;
        for _ in 0..MAX_FAILURES - 1 {
            let _failed = limiter
                .reserve("ana@example.com", HOME)
                .await
                .expect("store");
        }
        let attempt = limiter
            .reserve("ana@example.com", HOME)
            .await
            .expect("store")
            .expect("fifth try");
        limiter.succeeded(attempt).await.expect("store");
        for _ in 0..MAX_FAILURES {
            assert!(
                limiter
                    .reserve("ana@example.com", HOME)
                    .await
                    .expect("store")
                    .is_ok()
            );
        }
    }

    #[tokio::test]
    async fn many_clients_together_lock_new_clients_but_not_a_known_one() {
        let limiter = limiter().await;
        let attempt = limiter
            .reserve("ana@example.com", HOME)
            .await
            .expect("store")
            .expect("first");
        limiter.succeeded(attempt).await.expect("store");
        let clients = MAX_FAILURES_PER_ADDRESS / MAX_FAILURES;
        for n in 0..clients {
            for _ in 0..MAX_FAILURES {
                assert!(
                    limiter
                        .reserve("ana@example.com", stranger(n as u8))
                        .await
                        .expect("store")
                        .is_ok()
                );
            }
        }
        assert!(
            limiter
                .reserve("ana@example.com", stranger(200))
                .await
                .expect("store")
                .is_err(),
            "a new client meets the per-address cap"
        );
        assert!(
            limiter
                .reserve("ana@example.com", HOME)
                .await
                .expect("store")
                .is_ok(),
            "the agent's own machine does not"
        );
    }

    #[tokio::test]
    async fn an_ipv6_client_counts_by_its_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let same_64: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let other_64: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(one), client_key(same_64));
        assert_ne!(client_key(one), client_key(other_64));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(client_key(mapped), HOME);
    }
}
