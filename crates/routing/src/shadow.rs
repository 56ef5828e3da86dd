//! Shadow reads (SPEC §6), in the manner of GitHub's Scientist: while a data
//! set is DW, a sample of its reads is repeated against PostgreSQL off the hot
//! path and compared with the JSON result. Mismatches are counted, logged with
//! the keys that differ, and shown in status; a phase does not advance over
//! one. The JSON result is always what the caller gets.

use domain::ports::Stores;
use domain::{DataSet, Market, Portfolio, PortfolioHistoryEntry, Signal, StoreError, Trade};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

use crate::RoutingStats;

/// Keys of the last mismatches kept for status.
const KEPT_KEYS: usize = 50;

#[derive(Debug, Default)]
pub struct ShadowStats {
    pub reads: AtomicU64,
    pub mismatches: AtomicU64,
    pub errors: AtomicU64,
    keys: Mutex<Vec<String>>,
}

impl ShadowStats {
    /// The keys of the most recent mismatches.
    pub fn keys(&self) -> Vec<String> {
        self.keys.lock().map(|k| k.clone()).unwrap_or_default()
    }

    fn record(&self, what: &str, diff: Vec<String>) {
        self.mismatches.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(read = what, keys = ?diff, "shadow read: PostgreSQL differs from JSON");
        if let Ok(mut keys) = self.keys.lock() {
            keys.extend(diff.into_iter().map(|k| format!("{what}: {k}")));
            let excess = keys.len().saturating_sub(KEPT_KEYS);
            keys.drain(..excess);
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send>>;

/// How to repeat one read against PostgreSQL and compare the results.
pub struct ShadowRead<T> {
    fetch: Box<dyn Fn(Stores) -> BoxFuture<T> + Send + Sync>,
    diff: fn(&T, &T) -> Vec<String>,
    copy: fn(&T) -> T,
}

impl<T: Compare + Clone + Send + Sync + 'static> ShadowRead<T> {
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Stores) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        ShadowRead {
            fetch: Box::new(move |s| Box::pin(fetch(s))),
            diff: <T as Compare>::diff,
            copy: T::clone,
        }
    }
}

/// A sampler of shadow reads against one PostgreSQL store.
pub struct Shadow {
    json: Stores,
    pg: Stores,
    every: u64,
    seen: AtomicU64,
    stats: Arc<RoutingStats>,
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl Shadow {
    /// Shadow one read in `every` (1 = all).
    pub fn new(json: Stores, pg: Stores, every: u64, stats: Arc<RoutingStats>) -> Self {
        Shadow {
            json,
            pg,
            every: every.max(1),
            seen: AtomicU64::new(0),
            stats,
            running: Mutex::new(Vec::new()),
        }
    }

    /// Return `value` (the JSON result) and, when sampled, compare it with
    /// PostgreSQL's in the background — only while PostgreSQL is current for
    /// the data set: a write still on its way is not a mismatch.
    pub fn observe<T: Send + 'static>(
        &self,
        data_set: DataSet,
        what: &str,
        value: T,
        read: ShadowRead<T>,
    ) -> T {
        if self.seen.fetch_add(1, Ordering::Relaxed) % self.every != 0 {
            return value;
        }
        let json = (read.copy)(&value);
        let json_stores = self.json.clone();
        let pg = self.pg.clone();
        let stats = self.stats.clone();
        let what = what.to_owned();
        let handle = tokio::spawn(async move {
            if !crate::currency::is_current(&json_stores, &pg, data_set)
                .await
                .unwrap_or(false)
            {
                return;
            }
            stats.shadow.reads.fetch_add(1, Ordering::Relaxed);
            match (read.fetch)(pg).await {
                Ok(pg_value) => {
                    let diff = (read.diff)(&json, &pg_value);
                    if !diff.is_empty() {
                        stats.shadow.record(&what, diff);
                    }
                }
                Err(e) => {
                    stats.shadow.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(read = %what, error = %e, "shadow read failed");
                }
            }
        });
        if let Ok(mut running) = self.running.lock() {
            running.retain(|h| !h.is_finished());
            running.push(handle);
        }
        value
    }

    /// Wait for the shadow reads in flight (tests, shutdown).
    pub async fn settle(&self) {
        let handles: Vec<_> = self
            .running
            .lock()
            .map(|mut r| r.drain(..).collect())
            .unwrap_or_default();
        for h in handles {
            let _ = h.await;
        }
    }
}

/// Compare a JSON result with PostgreSQL's: the keys that differ.
pub trait Compare {
    fn diff(&self, pg: &Self) -> Vec<String>;
}

/// A record with a natural key.
pub trait Keyed {
    fn key(&self) -> String;
}

impl Keyed for Trade {
    fn key(&self) -> String {
        self.trade_id.to_string()
    }
}
impl Keyed for PortfolioHistoryEntry {
    fn key(&self) -> String {
        domain::time::format_timestamp(self.timestamp)
    }
}
impl Keyed for Signal {
    fn key(&self) -> String {
        self.market_id.to_string()
    }
}
impl Keyed for Market {
    fn key(&self) -> String {
        self.id.to_string()
    }
}

impl<T: Keyed + PartialEq> Compare for Vec<T> {
    fn diff(&self, pg: &Self) -> Vec<String> {
        let theirs: BTreeMap<String, &T> = pg.iter().map(|r| (r.key(), r)).collect();
        let ours: BTreeMap<String, &T> = self.iter().map(|r| (r.key(), r)).collect();
        let mut out = Vec::new();
        for (k, v) in &ours {
            match theirs.get(k) {
                None => out.push(format!("{k} missing in PostgreSQL")),
                Some(p) if *p != *v => out.push(format!("{k} differs")),
                Some(_) => {}
            }
        }
        for k in theirs.keys().filter(|k| !ours.contains_key(*k)) {
            out.push(format!("{k} extra in PostgreSQL"));
        }
        out
    }
}

impl Compare for Option<Portfolio> {
    fn diff(&self, pg: &Self) -> Vec<String> {
        match (self, pg) {
            (None, None) => vec![],
            (Some(p), None) => vec![format!("portfolio {} missing in PostgreSQL", p.id)],
            (None, Some(p)) => vec![format!("portfolio {} extra in PostgreSQL", p.id)],
            (Some(a), Some(b)) => {
                let mut out = Vec::new();
                if (
                    a.balance,
                    a.total_invested,
                    a.trade_count,
                    a.initial_balance,
                ) != (
                    b.balance,
                    b.total_invested,
                    b.trade_count,
                    b.initial_balance,
                ) {
                    out.push(format!("portfolio {} totals differ", a.id));
                }
                out.extend(
                    a.positions
                        .clone()
                        .into_iter()
                        .map(PositionKey)
                        .collect::<Vec<_>>()
                        .diff(&b.positions.clone().into_iter().map(PositionKey).collect()),
                );
                out
            }
        }
    }
}

#[derive(PartialEq)]
struct PositionKey(domain::Position);

impl Keyed for PositionKey {
    fn key(&self) -> String {
        format!("position {}", self.0.trade_id)
    }
}
