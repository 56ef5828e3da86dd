//! The routed store (SPEC §6): every port served over the JSON and the
//! PostgreSQL store according to the phase's route for the data set.
//!
//! - `J`: JSON only.
//! - `DW`: JSON, then PostgreSQL. A PostgreSQL failure does not fail the
//!   write: it is queued in the [`outbox::Outbox`] and replayed in order at
//!   the next write (or by `xtask outbox replay`). While the outbox holds
//!   anything, new writes queue behind it, so PostgreSQL never sees them out
//!   of order. Reads come from JSON, and are shadow-read from PostgreSQL and
//!   compared off the hot path ([`shadow`]).
//! - `DR`: writes as DW; reads from PostgreSQL, falling back to JSON (counted
//!   and logged) unless `DATABASE_FALLBACK_TO_JSON=false`.
//! - `D`/`P`: PostgreSQL only; a failure fails the operation cleanly.
//!
//! The decision itself is the pure table in `domain::phase`; this is glue.

pub mod outbox;
pub mod shadow;
pub mod write;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{
    ExecutionStore, HistoryStore, MarketStore, MetadataStore, PortfolioStore, SignalStore, Stores,
    TradeStore,
};
use domain::{
    DataSet, EffectiveRoute, Event, FilteredEvent, Market, MarketId, MarketSnapshot, Overrides,
    Phase, Portfolio, PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Route, Signal,
    SignalArchive, StoreError, Trade,
};
use outbox::Outbox;
use serde::Serialize;
use shadow::{Shadow, ShadowRead};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use write::{OwnedWrite, Write};

/// The crash window between the two halves of a dual write, made real for
/// tests: abort when `PRESCIENT_TEST_CRASH_AFTER_JSON` names this write.
#[cfg(feature = "test-hooks")]
fn crash_hook(write: &Write<'_>) {
    if let Ok(op) = std::env::var("PRESCIENT_TEST_CRASH_AFTER_JSON") {
        if !op.is_empty() && write.describe().starts_with(&op) {
            eprintln!(
                "test hook: crashing after the JSON write of {}",
                write.describe()
            );
            std::process::abort();
        }
    }
}

/// Counters the routed store keeps, for status and `/metrics`.
#[derive(Debug, Default)]
pub struct RoutingStats {
    pub pg_write_failures: AtomicU64,
    pub json_write_failures: AtomicU64,
    pub fallback_reads: AtomicU64,
    pub outbox_queued: AtomicU64,
    pub outbox_replayed: AtomicU64,
    /// Dual writes PostgreSQL rejected, set aside in the dead letters.
    pub dead_letters: AtomicU64,
    /// Writes the outbox itself could not record.
    pub outbox_failures: AtomicU64,
    pub shadow: shadow::ShadowStats,
}

/// A plain copy of [`RoutingStats`].
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RoutingCounts {
    pub pg_write_failures: u64,
    pub json_write_failures: u64,
    pub fallback_reads: u64,
    pub outbox_queued: u64,
    pub outbox_replayed: u64,
    pub dead_letters: u64,
    pub outbox_failures: u64,
    pub shadow_reads: u64,
    pub shadow_mismatches: u64,
    pub shadow_mismatch_keys: Vec<String>,
}

impl RoutingStats {
    pub fn counts(&self) -> RoutingCounts {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RoutingCounts {
            pg_write_failures: get(&self.pg_write_failures),
            json_write_failures: get(&self.json_write_failures),
            fallback_reads: get(&self.fallback_reads),
            outbox_queued: get(&self.outbox_queued),
            outbox_replayed: get(&self.outbox_replayed),
            dead_letters: get(&self.dead_letters),
            outbox_failures: get(&self.outbox_failures),
            shadow_reads: get(&self.shadow.reads),
            shadow_mismatches: get(&self.shadow.mismatches),
            shadow_mismatch_keys: self.shadow.keys(),
        }
    }
}

/// Why a routed store cannot be built for a phase.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error(transparent)]
    Refused(#[from] domain::OverrideRefused),
    #[error(
        "phase {phase} routes {data_set} to {route}, which needs the {store} store, and none is configured"
    )]
    Missing {
        phase: Phase,
        data_set: DataSet,
        route: Route,
        store: &'static str,
    },
}

/// Every port, routed per data set.
pub struct RoutedStore {
    phase: Phase,
    routes: BTreeMap<DataSet, EffectiveRoute>,
    json: Option<Stores>,
    pg: Option<Stores>,
    outbox: Option<Arc<Outbox>>,
    shadow: Option<Shadow>,
    stats: Arc<RoutingStats>,
    /// After PostgreSQL is found unavailable, dual writes queue straight into
    /// the outbox for this long instead of waiting on a dead connection each.
    retry_after: Duration,
    unavailable_until: std::sync::Mutex<Option<Instant>>,
    /// Set when the PostgreSQL half of dual writes runs behind the cycle.
    behind: std::sync::OnceLock<Behind>,
}

/// The write-behind queue: dual writes' PostgreSQL halves, in order, applied
/// by one background task (the only PostgreSQL writer of the store).
struct Behind {
    tx: tokio::sync::mpsc::UnboundedSender<OwnedWrite>,
    pending: Arc<Pending>,
}

#[derive(Default)]
struct Pending {
    count: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// Waits for the write-behind queue to drain (before a process exits).
#[derive(Clone)]
pub struct FlushHandle {
    pending: Arc<Pending>,
}

impl FlushHandle {
    /// Return once every queued PostgreSQL write has been applied or moved
    /// to the outbox.
    pub async fn flush(&self) {
        loop {
            let idle = self.pending.idle.notified();
            if self.pending.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }

    /// PostgreSQL writes still queued.
    pub fn pending(&self) -> usize {
        self.pending.count.load(Ordering::SeqCst)
    }
}

impl RoutedStore {
    /// Build the routes of `phase` under `overrides`. `json` may be absent
    /// only where no route needs it (phase 7); `pg` only where none needs it
    /// (phase 0, or every route turned back to J). `outbox` is required
    /// wherever a route dual-writes.
    pub fn new(
        phase: Phase,
        overrides: Overrides,
        json: Option<Stores>,
        pg: Option<Stores>,
        outbox: Option<Arc<Outbox>>,
        shadow_every: u64,
    ) -> Result<Self, RoutingError> {
        phase.check_overrides(overrides)?;
        let stats = Arc::new(RoutingStats::default());
        let mut routes = BTreeMap::new();
        for data_set in DataSet::ALL {
            let effective = phase.effective_route(data_set, overrides);
            let (needs_json, needs_pg) = match effective.route {
                Route::Json => (true, false),
                Route::DualWrite | Route::DualRead => (true, true),
                Route::Database | Route::PostgresOnly => (false, true),
            };
            let missing = |store| RoutingError::Missing {
                phase,
                data_set,
                route: effective.route,
                store,
            };
            if needs_json && json.is_none() {
                return Err(missing("JSON"));
            }
            if needs_pg && pg.is_none() {
                return Err(missing("PostgreSQL"));
            }
            if needs_json && needs_pg && outbox.is_none() {
                return Err(missing("outbox"));
            }
            routes.insert(data_set, effective);
        }
        let shadow = match (&json, &pg) {
            (Some(_), Some(pg)) if shadow_every > 0 => {
                Some(Shadow::new(pg.clone(), shadow_every, stats.clone()))
            }
            _ => None,
        };
        Ok(RoutedStore {
            phase,
            routes,
            json,
            pg,
            outbox,
            shadow,
            stats,
            retry_after: Duration::ZERO,
            unavailable_until: std::sync::Mutex::new(None),
            behind: std::sync::OnceLock::new(),
        })
    }

    /// Every port as [`Stores`], with the PostgreSQL half of dual writes
    /// applied in order by a background task, so a cycle does not wait on
    /// PostgreSQL (it waits on JSON, the truth of DW/DR). Call
    /// [`FlushHandle::flush`] before the process exits. The task ends when
    /// the stores are dropped.
    pub fn into_stores_behind(self) -> (Stores, FlushHandle) {
        let me = Arc::new(self);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<OwnedWrite>();
        let pending = Arc::new(Pending::default());
        let _ = me.behind.set(Behind {
            tx,
            pending: pending.clone(),
        });
        let weak = Arc::downgrade(&me);
        let worker_pending = pending.clone();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                if let Some(store) = weak.upgrade() {
                    if let Err(e) = store.write_pg_or_queue(job.as_write()).await {
                        tracing::error!(error = %e, "write-behind: PostgreSQL half not recorded");
                    }
                }
                if worker_pending.count.fetch_sub(1, Ordering::SeqCst) == 1 {
                    worker_pending.idle.notify_waiters();
                }
            }
        });
        (Stores::transactional(me), FlushHandle { pending })
    }

    /// Queue dual writes without trying PostgreSQL for `pause` after it was
    /// found unavailable (default: try every time).
    pub fn with_retry_after(mut self, pause: Duration) -> Self {
        self.retry_after = pause;
        self
    }

    fn postgres_resting(&self) -> bool {
        self.unavailable_until
            .lock()
            .map(|u| u.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false)
    }

    /// Stop trying PostgreSQL for `retry_after` (when set).
    fn rest(&self) {
        if !self.retry_after.is_zero() {
            if let Ok(mut u) = self.unavailable_until.lock() {
                *u = Some(Instant::now() + self.retry_after);
            }
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn route(&self, data_set: DataSet) -> EffectiveRoute {
        self.routes
            .get(&data_set)
            .copied()
            .unwrap_or(EffectiveRoute {
                route: Route::Json,
                fallback: false,
            })
    }

    pub fn stats(&self) -> Arc<RoutingStats> {
        self.stats.clone()
    }

    pub fn outbox(&self) -> Option<&Arc<Outbox>> {
        self.outbox.as_ref()
    }

    /// Every port of this store as [`Stores`].
    pub fn into_stores(self) -> Stores {
        Stores::transactional(Arc::new(self))
    }

    /// The PostgreSQL half of `write`. An execution links its signal only
    /// where the signals data set is written to PostgreSQL (phase 3 on):
    /// before that the signal row is not there to link.
    fn for_pg<'a>(&self, write: Write<'a>) -> Write<'a> {
        match write {
            Write::RecordExecution {
                trade, portfolio, ..
            } if matches!(self.route(DataSet::Signals).route, Route::Json) => {
                Write::RecordExecution {
                    trade,
                    portfolio,
                    signal: None,
                }
            }
            other => other,
        }
    }

    fn json(&self) -> Result<&Stores, StoreError> {
        self.json
            .as_ref()
            .ok_or_else(|| StoreError::Unsupported("no JSON store in this phase".into()))
    }

    fn pg(&self) -> Result<&Stores, StoreError> {
        self.pg
            .as_ref()
            .ok_or_else(|| StoreError::Unsupported("no PostgreSQL store configured".into()))
    }

    /// Route one write.
    async fn write(&self, write: Write<'_>) -> Result<(), StoreError> {
        match self.route(write.data_set()).route {
            Route::Json => write.apply(self.json()?).await,
            Route::Database | Route::PostgresOnly => write.apply(self.pg()?).await,
            Route::DualWrite | Route::DualRead => {
                if let Err(e) = write.apply(self.json()?).await {
                    self.stats
                        .json_write_failures
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(e);
                }
                #[cfg(feature = "test-hooks")]
                crash_hook(&write);
                let pg_write = self.for_pg(write);
                if let Some(behind) = self.behind.get() {
                    behind.pending.count.fetch_add(1, Ordering::SeqCst);
                    match behind.tx.send(pg_write.to_owned_write()) {
                        Ok(()) => return Ok(()),
                        Err(_) => {
                            behind.pending.count.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                }
                self.write_pg_or_queue(pg_write).await
            }
        }
    }

    /// The PostgreSQL half of a dual write: behind whatever the outbox holds.
    /// Never fails the write (the JSON half stands, SPEC §6): what PostgreSQL
    /// cannot take now is queued, what it rejects is set aside, and an outbox
    /// that cannot be written is logged and counted.
    async fn write_pg_or_queue(&self, write: Write<'_>) -> Result<(), StoreError> {
        let pg = self.pg()?;
        let outbox = self
            .outbox
            .as_ref()
            .ok_or_else(|| StoreError::Unsupported("dual write without an outbox".into()))?;
        let outcome = async {
            if !self.pg_caught_up().await? {
                self.stats.outbox_queued.fetch_add(1, Ordering::Relaxed);
                return outbox
                    .push(
                        write,
                        "PostgreSQL unavailable; queued behind earlier writes",
                    )
                    .await;
            }
            match write.apply(pg).await {
                Ok(()) => Ok(()),
                Err(e @ StoreError::Unavailable { .. }) => {
                    self.rest();
                    self.stats.pg_write_failures.fetch_add(1, Ordering::Relaxed);
                    self.stats.outbox_queued.fetch_add(1, Ordering::Relaxed);
                    outbox.push(write, &e.to_string()).await
                }
                Err(e) => {
                    self.stats.pg_write_failures.fetch_add(1, Ordering::Relaxed);
                    self.stats.dead_letters.fetch_add(1, Ordering::Relaxed);
                    outbox.push_dead(write, &e.to_string()).await
                }
            }
        }
        .await;
        if let Err(e) = outcome {
            self.stats.outbox_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(write = %write.describe(), error = %e,
                "the outbox could not record a write PostgreSQL missed; verify will find it");
        }
        Ok(())
    }

    /// Whether a read from PostgreSQL sees every dual write JSON holds: none
    /// waits in the write-behind queue, and the outbox is empty (or replays).
    async fn reads_current(&self) -> bool {
        if let Some(behind) = self.behind.get() {
            if behind.pending.count.load(Ordering::SeqCst) > 0 {
                return false;
            }
        }
        self.pg_caught_up().await.unwrap_or(false)
    }

    /// Whether PostgreSQL holds every dual write JSON holds: the outbox is
    /// empty, or can be replayed now. While it rests after being found
    /// unavailable, it is not tried.
    async fn pg_caught_up(&self) -> Result<bool, StoreError> {
        let Some(outbox) = &self.outbox else {
            return Ok(true);
        };

        if outbox.depth().await? == 0 {
            return Ok(true);
        }
        if self.postgres_resting() {
            return Ok(false);
        }
        let report = outbox.replay(self.pg()?).await?;
        self.stats
            .outbox_replayed
            .fetch_add(report.replayed as u64, Ordering::Relaxed);
        self.stats
            .dead_letters
            .fetch_add(report.dead as u64, Ordering::Relaxed);
        if report.remaining > 0 {
            self.rest();
        }
        Ok(report.remaining == 0)
    }

    /// Route one read. `read` is called with the store to read from.
    async fn read<T, F, Fut>(
        &self,
        data_set: DataSet,
        what: &str,
        read: F,
        shadow: Option<ShadowRead<T>>,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(Stores) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let effective = self.route(data_set);
        match effective.route {
            Route::Json => read(self.json()?.clone()).await,
            Route::DualWrite => {
                let value = read(self.json()?.clone()).await?;
                match (&self.shadow, shadow) {
                    (Some(s), Some(compare)) => Ok(s.observe(what, value, compare)),
                    _ => Ok(value),
                }
            }
            // PostgreSQL behind JSON (writes still queued) would answer with
            // stale data, and a save of what was read would lose the rest:
            // read the truth instead.
            Route::DualRead if !self.reads_current().await => {
                if !effective.fallback {
                    return Err(StoreError::Unavailable {
                        store: "postgres",
                        message: "PostgreSQL is behind JSON (outbox not empty) and fallback is off"
                            .into(),
                        source: None,
                    });
                }
                self.stats.fallback_reads.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%data_set, read = what, "PostgreSQL is behind JSON (outbox not empty); reading JSON");
                read(self.json()?.clone()).await
            }
            Route::DualRead => match read(self.pg()?.clone()).await {
                Ok(v) => Ok(v),
                Err(e) if effective.fallback => {
                    self.stats.fallback_reads.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%data_set, read = what, error = %e, "PostgreSQL read failed; falling back to JSON");
                    read(self.json()?.clone()).await
                }
                Err(e) => Err(e),
            },
            Route::Database | Route::PostgresOnly => read(self.pg()?.clone()).await,
        }
    }
}

#[async_trait]
impl ExecutionStore for RoutedStore {
    async fn record_execution(
        &self,
        trade: &Trade,
        portfolio: &Portfolio,
        signal: Option<&Signal>,
    ) -> Result<(), StoreError> {
        self.write(Write::RecordExecution {
            trade,
            portfolio,
            signal,
        })
        .await
    }
}

#[async_trait]
impl PortfolioStore for RoutedStore {
    async fn load_portfolio(&self, id: &PortfolioId) -> Result<Option<Portfolio>, StoreError> {
        let key = id.clone();
        self.read(
            DataSet::Portfolio,
            "load_portfolio",
            |s| {
                let id = id.clone();
                async move { s.portfolio.load_portfolio(&id).await }
            },
            Some(ShadowRead::new(move |pg: Stores| {
                let id = key.clone();
                async move { pg.portfolio.load_portfolio(&id).await }
            })),
        )
        .await
    }
    async fn save_portfolio(&self, portfolio: &Portfolio) -> Result<(), StoreError> {
        self.write(Write::SavePortfolio(portfolio)).await
    }
    async fn append_portfolio_snapshot(&self, s: &PortfolioSnapshot) -> Result<(), StoreError> {
        self.write(Write::AppendPortfolioSnapshot(s)).await
    }
    async fn load_portfolio_snapshots(
        &self,
        id: &PortfolioId,
    ) -> Result<Vec<PortfolioSnapshot>, StoreError> {
        self.read(
            DataSet::Portfolio,
            "load_portfolio_snapshots",
            |s| {
                let id = id.clone();
                async move { s.portfolio.load_portfolio_snapshots(&id).await }
            },
            None,
        )
        .await
    }
}

#[async_trait]
impl TradeStore for RoutedStore {
    async fn append_trade(&self, trade: &Trade) -> Result<(), StoreError> {
        self.write(Write::AppendTrade(trade)).await
    }
    async fn load_trades(&self, portfolio: &PortfolioId) -> Result<Vec<Trade>, StoreError> {
        let key = portfolio.clone();
        self.read(
            DataSet::Trades,
            "load_trades",
            |s| {
                let id = portfolio.clone();
                async move { s.trades.load_trades(&id).await }
            },
            Some(ShadowRead::new(move |pg: Stores| {
                let id = key.clone();
                async move { pg.trades.load_trades(&id).await }
            })),
        )
        .await
    }
    async fn trades_for_market(
        &self,
        portfolio: &PortfolioId,
        market: &MarketId,
    ) -> Result<Vec<Trade>, StoreError> {
        self.read(
            DataSet::Trades,
            "trades_for_market",
            |s| {
                let (id, m) = (portfolio.clone(), market.clone());
                async move { s.trades.trades_for_market(&id, &m).await }
            },
            None,
        )
        .await
    }
    async fn recent_trades(
        &self,
        portfolio: &PortfolioId,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        self.read(
            DataSet::Trades,
            "recent_trades",
            |s| {
                let id = portfolio.clone();
                async move { s.trades.recent_trades(&id, limit).await }
            },
            None,
        )
        .await
    }
}

#[async_trait]
impl HistoryStore for RoutedStore {
    async fn append_history_entry(&self, e: &PortfolioHistoryEntry) -> Result<(), StoreError> {
        self.write(Write::AppendHistoryEntry(e)).await
    }
    async fn load_history(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<PortfolioHistoryEntry>, StoreError> {
        let key = portfolio.clone();
        self.read(
            DataSet::History,
            "load_history",
            |s| {
                let id = portfolio.clone();
                async move { s.history.load_history(&id).await }
            },
            Some(ShadowRead::new(move |pg: Stores| {
                let id = key.clone();
                async move { pg.history.load_history(&id).await }
            })),
        )
        .await
    }
    async fn append_signal_archive(&self, a: &SignalArchive) -> Result<(), StoreError> {
        self.write(Write::AppendSignalArchive(a)).await
    }
    async fn load_signal_archives(
        &self,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        let month = month.map(str::to_owned);
        self.read(
            DataSet::History,
            "load_signal_archives",
            |s| {
                let m = month.clone();
                async move { s.history.load_signal_archives(m.as_deref()).await }
            },
            None,
        )
        .await
    }
}

#[async_trait]
impl SignalStore for RoutedStore {
    async fn replace_current_signals(&self, signals: &[Signal]) -> Result<(), StoreError> {
        self.write(Write::ReplaceCurrentSignals(signals)).await
    }
    async fn load_current_signals(&self) -> Result<Vec<Signal>, StoreError> {
        self.read(
            DataSet::Signals,
            "load_current_signals",
            |s| async move { s.signals.load_current_signals().await },
            Some(ShadowRead::new(|pg: Stores| async move {
                pg.signals.load_current_signals().await
            })),
        )
        .await
    }
}

#[async_trait]
impl MarketStore for RoutedStore {
    async fn save_raw_events(&self, events: &[Event]) -> Result<(), StoreError> {
        self.write(Write::SaveRawEvents(events)).await
    }
    async fn load_raw_events(&self) -> Result<Vec<Event>, StoreError> {
        self.read(
            DataSet::Markets,
            "load_raw_events",
            |s| async move { s.markets.load_raw_events().await },
            None,
        )
        .await
    }
    async fn save_filtered_events(&self, events: &[FilteredEvent]) -> Result<(), StoreError> {
        self.write(Write::SaveFilteredEvents(events)).await
    }
    async fn load_filtered_events(&self) -> Result<Vec<FilteredEvent>, StoreError> {
        self.read(
            DataSet::Markets,
            "load_filtered_events",
            |s| async move { s.markets.load_filtered_events().await },
            None,
        )
        .await
    }
    async fn save_filtered_markets(&self, markets: &[Market]) -> Result<(), StoreError> {
        self.write(Write::SaveFilteredMarkets(markets)).await
    }
    async fn load_filtered_markets(&self) -> Result<Vec<Market>, StoreError> {
        self.read(
            DataSet::Markets,
            "load_filtered_markets",
            |s| async move { s.markets.load_filtered_markets().await },
            Some(ShadowRead::new(|pg: Stores| async move {
                pg.markets.load_filtered_markets().await
            })),
        )
        .await
    }
    async fn append_market_snapshots(&self, s: &[MarketSnapshot]) -> Result<(), StoreError> {
        self.write(Write::AppendMarketSnapshots(s)).await
    }
    async fn load_market_snapshots(
        &self,
        market: Option<&MarketId>,
    ) -> Result<Vec<MarketSnapshot>, StoreError> {
        let market = market.cloned();
        self.read(
            DataSet::Markets,
            "load_market_snapshots",
            |s| {
                let m = market.clone();
                async move { s.markets.load_market_snapshots(m.as_ref()).await }
            },
            None,
        )
        .await
    }
}

#[async_trait]
impl MetadataStore for RoutedStore {
    async fn set_metadata(
        &self,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(Write::SetMetadata { key, value, at }).await
    }
    async fn load_metadata(&self) -> Result<BTreeMap<String, String>, StoreError> {
        self.read(
            DataSet::Portfolio,
            "load_metadata",
            |s| async move { s.metadata.load_metadata().await },
            None,
        )
        .await
    }
}
