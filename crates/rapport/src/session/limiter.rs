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
//!
//! The counts live in this process: each node of several counts its own tries (sharing them
//! belongs with running several nodes on one database).

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per address and client within the window.
const MAX_FAILURES: u32 = 5;
/// Failed attempts allowed per address from all clients together within the window.
const MAX_FAILURES_PER_ADDRESS: u32 = 50;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a client the agent signed in from stays exempt from the per-address cap.
const TRUSTED_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Past this many remembered entries, stale ones are dropped (a spray of addresses must not
/// grow the maps without bound).
const PRUNE_ABOVE: usize = 100_000;

#[derive(Default)]
pub struct SignInLimiter {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    per_client: HashMap<Key, Window>,
    per_address: HashMap<String, Window>,
    /// When the agent last signed in from this client.
    trusted: HashMap<Key, Instant>,
}

type Key = (String, IpAddr);

struct Window {
    failures: u32,
    since: Instant,
}

impl Window {
    fn new() -> Window {
        Window {
            failures: 0,
            since: Instant::now(),
        }
    }

    /// The window, started afresh when the old one is over.
    fn current(&mut self) -> &mut Window {
        if self.since.elapsed() >= WINDOW {
            *self = Window::new();
        }
        self
    }

    fn seconds_left(&self) -> u64 {
        WINDOW.saturating_sub(self.since.elapsed()).as_secs().max(1)
    }
}

/// A try that has been counted; tell the limiter when it succeeds.
#[must_use = "a successful sign-in must be reported with `SignInLimiter::succeeded`"]
pub struct Attempt {
    key: Key,
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
    /// Counts a try for `email` from `client`, or refuses it when there have been too many.
    /// The try counts as failed unless [`SignInLimiter::succeeded`] is called with it.
    pub fn reserve(&self, email: &str, client: IpAddr) -> Result<Attempt, TooManyAttempts> {
        let address = email.trim().to_lowercase();
        let key = (address.clone(), client_key(client));
        let mut state = self.lock();
        if state.per_client.len() + state.per_address.len() + state.trusted.len() > PRUNE_ABOVE {
            state.prune();
        }
        let State {
            per_client,
            per_address,
            trusted,
        } = &mut *state;
        let mine = per_client
            .entry(key.clone())
            .or_insert_with(Window::new)
            .current();
        if mine.failures >= MAX_FAILURES {
            return Err(TooManyAttempts {
                seconds: mine.seconds_left(),
            });
        }
        let everyone = per_address
            .entry(address)
            .or_insert_with(Window::new)
            .current();
        let known_client = trusted
            .get(&key)
            .is_some_and(|at| at.elapsed() < TRUSTED_FOR);
        if everyone.failures >= MAX_FAILURES_PER_ADDRESS && !known_client {
            return Err(TooManyAttempts {
                seconds: everyone.seconds_left(),
            });
        }
        mine.failures += 1;
        everyone.failures += 1;
        Ok(Attempt { key })
    }

    /// The try signed in: the client's failures are forgiven, and the client is trusted.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut state = self.lock();
        state.per_client.remove(&attempt.key);
        if let Some(everyone) = state.per_address.get_mut(&attempt.key.0) {
            everyone.failures = everyone.failures.saturating_sub(1);
        }
        state.trusted.insert(attempt.key, Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    fn prune(&mut self) {
        self.per_client
            .retain(|_, window| window.since.elapsed() < WINDOW);
        self.per_address
            .retain(|_, window| window.since.elapsed() < WINDOW);
        self.trusted.retain(|_, at| at.elapsed() < TRUSTED_FOR);
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

/// The IP address the request came from (the peer of the connection).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // `serve` always records the peer; a router driven another way counts as one client.
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(ClientIp(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

    fn stranger(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, n))
    }

    #[test]
    fn each_try_counts_before_its_outcome_so_a_burst_gets_five() {
        let limiter = SignInLimiter::default();
        let granted = (0..50)
            .filter_map(|_| limiter.reserve("ana@example.com", STRANGER).ok())
            .count();
        assert_eq!(granted, MAX_FAILURES as usize);
        let refused = limiter.reserve("Ana@Example.com ", STRANGER);
        assert!(refused.is_err_and(|too_many| too_many.message().contains("15 minutes")));
    }

    #[test]
    fn a_strangers_failures_do_not_lock_the_agents_own_client() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES {
            let _failed = limiter.reserve("ana@example.com", STRANGER);
        }
        assert!(limiter.reserve("ana@example.com", STRANGER).is_err());
        assert!(limiter.reserve("lee@example.com", STRANGER).is_ok());
        let attempt = limiter
            .reserve("ana@example.com", HOME)
            .expect("home is not locked");
        limiter.succeeded(attempt);
    }

    #[test]
    fn success_forgives_the_clients_failures() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES - 1 {
            let _failed = limiter.reserve("ana@example.com", HOME);
        }
        let attempt = limiter.reserve("ana@example.com", HOME).expect("fifth try");
        limiter.succeeded(attempt);
        for _ in 0..MAX_FAILURES {
            assert!(limiter.reserve("ana@example.com", HOME).is_ok());
        }
    }

    #[test]
    fn many_clients_together_lock_new_clients_but_not_a_known_one() {
        let limiter = SignInLimiter::default();
        let attempt = limiter.reserve("ana@example.com", HOME).expect("first");
        limiter.succeeded(attempt);
        let clients = MAX_FAILURES_PER_ADDRESS / MAX_FAILURES;
        for n in 0..clients {
            for _ in 0..MAX_FAILURES {
                assert!(
                    limiter
                        .reserve("ana@example.com", stranger(n as u8))
                        .is_ok()
                );
            }
        }
        assert!(
            limiter.reserve("ana@example.com", stranger(200)).is_err(),
            "a new client meets the per-address cap"
        );
        assert!(
            limiter.reserve("ana@example.com", HOME).is_ok(),
            "the agent's own machine does not"
        );
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let same_64: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let other_64: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(one), client_key(same_64));
        assert_ne!(client_key(one), client_key(other_64));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(client_key(mapped), HOME);
    }
}
