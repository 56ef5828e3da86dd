//! Gamma's request quotas as exact sliding windows, shared by every request of
//! a client.
//!
//! Gamma (behind Cloudflare) counts requests per endpoint family in a rolling
//! window. A token bucket or GCRA lets twice its quota through a sliding
//! window (a full bucket, then a refill), so this limiter keeps the instants of
//! the last `quota` grants per family and lets a request through only when
//! that keeps *every* window of `window` length at or under the quota.

use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Requests allowed per `window`, per endpoint family (Gamma's published
/// limits, per 10 s). A quota of 0 means "no limit" for that family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub window: Duration,
    /// `/events…`
    pub events: u32,
    /// `/markets…`
    pub markets: u32,
    /// `/events…` and `/markets…` together.
    pub listings: u32,
    /// Every request.
    pub general: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(10),
            events: 500,
            markets: 300,
            listings: 900,
            general: 4000,
        }
    }
}

impl Quotas {
    /// `per_window` requests in every window, whatever the endpoint: the
    /// Gamma families unlimited, only `general` counted (the CLOB client).
    pub fn general_only(per_window: u32, window: Duration) -> Self {
        Self {
            window,
            events: 0,
            markets: 0,
            listings: 0,
            general: per_window,
        }
    }

    /// The same quota for every family (benchmarks, tests).
    pub fn uniform(per_window: u32, window: Duration) -> Self {
        Self {
            window,
            events: per_window,
            markets: per_window,
            listings: per_window,
            general: per_window,
        }
    }
}

/// The endpoint a request goes to; it decides which families it counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/events`, `/events/keyset`: events + listings + general.
    Events,
    /// `/markets`, `/markets/{id}`: markets + listings + general.
    Markets,
    /// The CLOB's `/prices-history`: general only. A CLOB client has a
    /// limiter of its own ([`Quotas::general_only`]).
    PricesHistory,
}

const EVENTS: usize = 0;
const MARKETS: usize = 1;
const LISTINGS: usize = 2;
const GENERAL: usize = 3;

impl Endpoint {
    fn families(self) -> &'static [usize] {
        match self {
            Endpoint::Events => &[EVENTS, LISTINGS, GENERAL],
            Endpoint::Markets => &[MARKETS, LISTINGS, GENERAL],
            Endpoint::PricesHistory => &[GENERAL],
        }
    }
}

#[derive(Debug)]
struct Family {
    quota: usize,
    /// Instants of the last `quota` grants, oldest first.
    granted: VecDeque<Instant>,
}

impl Family {
    /// When this family can grant again (`None`: now).
    fn free_at(&mut self, now: Instant, window: Duration) -> Option<Instant> {
        if self.quota == 0 {
            return None;
        }
        while self
            .granted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.granted.pop_front();
        }
        if self.granted.len() < self.quota {
            None
        } else {
            self.granted.front().map(|oldest| *oldest + window)
        }
    }

    fn grant(&mut self, now: Instant) {
        if self.quota > 0 {
            self.granted.push_back(now);
        }
    }
}

/// An exact sliding-window limiter over the four families. One per client,
/// behind an `Arc`, shared by every concurrent request.
#[derive(Debug)]
pub struct Limiter {
    window: Duration,
    families: Mutex<[Family; 4]>,
}

impl Limiter {
    pub fn new(quotas: &Quotas) -> Self {
        let family = |quota: u32| Family {
            quota: quota as usize,
            granted: VecDeque::with_capacity(quota.min(10_000) as usize),
        };
        Self {
            window: quotas.window,
            families: Mutex::new([
                family(quotas.events),
                family(quotas.markets),
                family(quotas.listings),
                family(quotas.general),
            ]),
        }
    }

    /// Wait until a request to `endpoint` fits every family it belongs to,
    /// then count it in all of them at the same instant.
    pub async fn acquire(&self, endpoint: Endpoint) {
        loop {
            let wait_until = {
                let mut families = self.families.lock().await;
                let now = Instant::now();
                let blocked = endpoint
                    .families()
                    .iter()
                    .filter_map(|&f| families[f].free_at(now, self.window))
                    .max();
                match blocked {
                    None => {
                        for &f in endpoint.families() {
                            families[f].grant(now);
                        }
                        return;
                    }
                    Some(at) => at,
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Every window of `window` length starting at a grant holds ≤ `quota`.
    fn max_in_window(mut at: Vec<Instant>, window: Duration) -> usize {
        at.sort();
        (0..at.len())
            .map(|i| at[i..].iter().take_while(|t| **t - at[i] < window).count())
            .max()
            .unwrap_or(0)
    }

    async fn grants(limiter: Arc<Limiter>, endpoints: Vec<Endpoint>) -> Vec<(Endpoint, Instant)> {
        let mut tasks = tokio::task::JoinSet::new();
        for e in endpoints {
            let limiter = limiter.clone();
            tasks.spawn(async move {
                limiter.acquire(e).await;
                (e, Instant::now())
            });
        }
        tasks.join_all().await
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_quota() {
        let window = Duration::from_secs(1);
        let limiter = Arc::new(Limiter::new(&Quotas::uniform(5, window)));
        let start = Instant::now();
        let got = grants(limiter, vec![Endpoint::Events; 23]).await;
        let at: Vec<Instant> = got.iter().map(|g| g.1).collect();
        assert_eq!(max_in_window(at.clone(), window), 5);
        // Exact, not conservative: 23 grants need 4 full windows, no more.
        let last = at.iter().max().unwrap();
        assert_eq!(*last - start, Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn families_limit_their_own_endpoints_and_the_listings_together() {
        let window = Duration::from_secs(10);
        let quotas = Quotas {
            window,
            events: 3,
            markets: 2,
            listings: 4,
            general: 100,
        };
        let limiter = Arc::new(Limiter::new(&quotas));
        let mut endpoints = vec![Endpoint::Events; 9];
        endpoints.extend(vec![Endpoint::Markets; 9]);
        let got = grants(limiter, endpoints).await;
        let of = |e: Endpoint| got.iter().filter(|g| g.0 == e).map(|g| g.1).collect();
        assert!(max_in_window(of(Endpoint::Events), window) <= 3);
        assert!(max_in_window(of(Endpoint::Markets), window) <= 2);
        let all = got.iter().map(|g| g.1).collect();
        assert_eq!(max_in_window(all, window), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_quota_is_no_limit() {
        let limiter = Arc::new(Limiter::new(&Quotas::uniform(0, Duration::from_secs(10))));
        let start = Instant::now();
        let got = grants(limiter, vec![Endpoint::Markets; 50]).await;
        assert!(got.iter().all(|g| g.1 == start));
    }
}
