//! The routed store: every port served over the JSON and the PostgreSQL
//! store according to the migration phase's route for each data set.
//!
//! - `J`: JSON only.
//! - `DW`: JSON, then the PostgreSQL half journaled durably ([`journal`])
//!   and applied in order, in the background ([`behind`]) or at once. A
//!   PostgreSQL failure never fails the write: the journal keeps it until
//!   PostgreSQL answers ([`breaker`] spaces the attempts). Reads come from
//!   JSON, and a sample is shadow-read from PostgreSQL and compared off the
//!   hot path ([`shadow`]).
//! - `DR`: writes as DW; reads from PostgreSQL only while it is *current*
//!   for the data set — its recorded version equals JSON's ([`currency`]) —
//!   and from JSON otherwise (counted and logged), unless
//!   `DATABASE_FALLBACK_TO_JSON=false`.
//! - `D`: PostgreSQL only; a failure fails the operation cleanly — except a
//!   read inside [`stale::allow_stale`] (display, never a cycle) while
//!   PostgreSQL is unavailable and `DATABASE_FALLBACK_TO_JSON` is on: it
//!   answers from the JSON files as last written, marked stale with their
//!   time ([`stale`]). Writes never touch JSON.
//! - `P`: PostgreSQL only; a failure fails the operation cleanly.
//!
//! The decision itself is the pure table in `domain::phase`; this crate is
//! the glue, and depends on nothing but `domain`.

pub mod batch;
pub mod behind;
pub mod breaker;
pub mod currency;
pub mod journal;
pub mod shadow;
pub mod stale;
pub mod write;

use async_trait::async_trait;
use behind::{FlushHandle, Shared};
use breaker::Breaker;
use chrono::{DateTime, Utc};
use domain::ports::{
    DataVersion, ExecutionStore, HistoryStore, MarketStore, MetadataStore, PortfolioStore,
    SignalStore, Stores, TradeStore, VersionStore,
};
use domain::{
    DataSet, EffectiveRoute, Event, FilteredEvent, Market, MarketId, MarketSnapshot, Overrides,
    Phase, Portfolio, PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Route, Signal,
    SignalArchive, StoreError, Trade, TradeSettlement,
};
use journal::{Journal, ReplayReport, VersionStep};
use serde::Serialize;
use shadow::{Shadow, ShadowRead};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use write::Write;

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
    /// Replays PostgreSQL did not answer.
    pub pg_write_failures: AtomicU64,
    pub json_write_failures: AtomicU64,
    /// DR reads answered from JSON (PostgreSQL behind or failing).
    pub fallback_reads: AtomicU64,
    /// Dual writes journaled.
    pub outbox_queued: AtomicU64,
    /// Journaled writes applied to PostgreSQL.
    pub outbox_replayed: AtomicU64,
    /// Dual writes PostgreSQL rejected, set aside in the dead letters.
    pub dead_letters: AtomicU64,
    /// Writes the journal itself could not record (their data sets are
    /// behind until verify brings them level).
    pub outbox_failures: AtomicU64,
    pub shadow: shadow::ShadowStats,
    /// D reads answered from the JSON files while PostgreSQL was unavailable.
    pub stale_reads: AtomicU64,
    /// The time of the JSON data reads have been answered from since
    /// PostgreSQL last failed a D read; cleared when it answers one again.
    pub stale_since: std::sync::Mutex<Option<DateTime<Utc>>>,
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
    pub stale_reads: u64,
    pub stale_since: Option<DateTime<Utc>>,
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
            stale_reads: get(&self.stale_reads),
            stale_since: self.stale_since(),
        }
    }

    /// The time of the JSON data reads answer from while PostgreSQL is
    /// unavailable in D, if they do.
    pub fn stale_since(&self) -> Option<DateTime<Utc>> {
        self.stale_since.lock().map(|g| *g).unwrap_or_default()
    }

    fn set_stale_since(&self, at: Option<DateTime<Utc>>) {
        if let Ok(mut g) = self.stale_since.lock() {
            *g = at;
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
    journal: Option<Arc<Journal>>,
    shadow: Option<Shadow>,
    stats: Arc<RoutingStats>,
    breaker: Breaker,
    /// One write at a time, so the versions a write records before and
    /// after it are its own.
    writing: tokio::sync::Mutex<()>,
    /// Set when the PostgreSQL half of dual writes runs behind the cycle.
    behind: std::sync::OnceLock<Arc<Shared>>,
    /// When the JSON files were last written (D reads answered from them are
    /// stale as of this time); without it D never falls back.
    json_as_of: Option<DateTime<Utc>>,
}

impl RoutedStore {
    /// Build the routes of `phase` under `overrides`. `json` may be absent
    /// only where no route needs it (phase 7); `pg` only where none needs it
    /// (phase 0, or every route turned back to J). `journal` is required
    /// wherever a route dual-writes.
    pub fn new(
        phase: Phase,
        overrides: Overrides,
        json: Option<Stores>,
        pg: Option<Stores>,
        journal: Option<Arc<Journal>>,
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
            if needs_json && needs_pg && journal.is_none() {
                return Err(missing("outbox"));
            }
            routes.insert(data_set, effective);
        }
        let shadow = match (&json, &pg) {
            (Some(json), Some(pg)) if shadow_every > 0 => Some(Shadow::new(
                json.clone(),
                pg.clone(),
                shadow_every,
                stats.clone(),
            )),
            _ => None,
        };
        Ok(RoutedStore {
            phase,
            routes,
            json,
            pg,
            journal,
            shadow,
            stats,
            breaker: Breaker::default(),
            writing: tokio::sync::Mutex::new(()),
            behind: std::sync::OnceLock::new(),
            json_as_of: None,
        })
    }

    /// Every port as [`Stores`], with the PostgreSQL half of dual writes
    /// applied from the journal, in order, by a background task, so a cycle
    /// does not wait on PostgreSQL. Call [`FlushHandle::flush`] before the
    /// process exits. The task ends when the stores are dropped.
    pub fn into_stores_behind(self) -> (Stores, FlushHandle) {
        let me = Arc::new(self);
        let shared = Shared::new();
        let _ = me.behind.set(shared.clone());
        let weak = Arc::downgrade(&me);
        let task = shared.clone();
        tokio::spawn(async move {
            loop {
                let waiting = weak.upgrade().map(|s| s.breaker.remaining());
                let rest = match waiting {
                    None => break,
                    Some(rest) => rest,
                };
                match rest {
                    // Entries are left and PostgreSQL rests: try again when
                    // the rest is over, or when a flush asks.
                    Some(d) => {
                        let _ = tokio::time::timeout(d, task.wake.notified()).await;
                    }
                    None => task.wake.notified().await,
                }
                let Some(store) = weak.upgrade() else { break };
                let before = task.appended.load(Ordering::SeqCst);
                store.drain().await;
                task.attempted
                    .send_modify(|done| *done = (*done).max(before));
                drop(store);
            }
        });
        (Stores::transactional(me), FlushHandle { shared })
    }

    /// Persist shadow-read mismatches in `log` (for `phase advance`).
    pub fn with_shadow_log(mut self, log: shadow::MismatchLog) -> Self {
        self.shadow = self.shadow.take().map(|s| s.with_log(log));
        self
    }

    /// Leave PostgreSQL alone for `pause` after it was found unavailable
    /// (default: try every time).
    pub fn with_retry_after(mut self, pause: Duration) -> Self {
        self.breaker = Breaker::new(pause);
        self
    }

    /// The JSON files' time, for D reads answered from them while PostgreSQL
    /// is unavailable (needs the JSON store; see [`stale`]).
    pub fn with_json_as_of(mut self, at: DateTime<Utc>) -> Self {
        self.json_as_of = Some(at);
        self
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

    pub fn journal(&self) -> Option<&Arc<Journal>> {
        self.journal.as_ref()
    }

    /// Every port of this store as [`Stores`].
    pub fn into_stores(self) -> Stores {
        Stores::transactional(Arc::new(self))
    }

    /// Replay what the journal holds (a previous run's writes PostgreSQL had
    /// not taken). Call at start, before any read.
    pub async fn recover(&self) -> ReplayReport {
        if self.journal.is_none() || self.pg.is_none() {
            return ReplayReport::default();
        }
        let report = self.drain().await;
        if report.replayed + report.dead > 0 || report.remaining > 0 {
            tracing::info!(
                replayed = report.replayed,
                dead = report.dead,
                remaining = report.remaining,
                behind = ?report.behind,
                "journal of an earlier run replayed"
            );
        }
        report
    }

    /// Apply the journal to PostgreSQL, unless it rests after a failure.
    async fn drain(&self) -> ReplayReport {
        let (Some(journal), Ok(pg)) = (&self.journal, self.pg()) else {
            return ReplayReport::default();
        };
        if self.breaker.resting() {
            return ReplayReport {
                stopped_by: Some("PostgreSQL resting after a failure".into()),
                ..ReplayReport::default()
            };
        }
        match journal.replay(pg).await {
            Ok(report) => {
                if report.stopped_by.is_some() {
                    self.breaker.trip();
                    self.stats.pg_write_failures.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.breaker.reset();
                }
                self.stats
                    .outbox_replayed
                    .fetch_add(report.replayed as u64, Ordering::Relaxed);
                self.stats
                    .dead_letters
                    .fetch_add(report.dead as u64, Ordering::Relaxed);
                report
            }
            Err(e) => {
                self.stats.outbox_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, journal = %journal.path().display(),
                    "the journal could not be replayed; PostgreSQL stays behind");
                ReplayReport {
                    stopped_by: Some(e.to_string()),
                    ..ReplayReport::default()
                }
            }
        }
    }

    /// The PostgreSQL half of `write`. An execution links its signal only
    /// where the signals data set is written to PostgreSQL (phase 3 on):
    /// before that the signal row is not there to link.
    fn for_pg<'a>(&self, write: Write<'a>) -> Write<'a> {
        match write {
            Write::RecordExecutions {
                trades, portfolio, ..
            } if matches!(self.route(DataSet::Signals).route, Route::Json) => {
                Write::RecordExecutions {
                    trades,
                    portfolio,
                    signals: &[],
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
        self.write_found(write).await.map(drop)
    }

    /// Route one write; returns what the store written first answered
    /// ([`Write::apply`]: whether a settled trade was found).
    async fn write_found(&self, write: Write<'_>) -> Result<bool, StoreError> {
        let _one_at_a_time = self.writing.lock().await;
        match self.route(write.data_set()).route {
            Route::Json => write.apply(self.json()?).await,
            Route::Database | Route::PostgresOnly => write.apply(self.pg()?).await,
            Route::DualWrite | Route::DualRead => self.dual_write(write).await,
        }
    }

    /// JSON first (the truth), then the PostgreSQL half journaled with the
    /// versions the JSON write moved, then applied. Never fails on the
    /// PostgreSQL side: what PostgreSQL does not take leaves its data set
    /// behind, which every read and gate sees.
    async fn dual_write(&self, write: Write<'_>) -> Result<bool, StoreError> {
        let json = self.json()?;
        let mut from = Vec::new();
        for data_set in write.touches() {
            from.push((*data_set, json.versions.own_version(*data_set).await));
        }
        let found = match write.apply(json).await {
            Ok(found) => found,
            Err(e) => {
                self.stats
                    .json_write_failures
                    .fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
        };
        #[cfg(feature = "test-hooks")]
        crash_hook(&write);
        let mut steps = Vec::new();
        for (data_set, before) in from {
            if let (Ok(before), Ok(after)) = (before, json.versions.own_version(data_set).await) {
                steps.push(VersionStep::new(data_set, before, after));
            }
        }
        let Some(journal) = &self.journal else {
            return Err(StoreError::Unsupported(
                "dual write without a journal".into(),
            ));
        };
        // In a batch the entry is synced with the batch's others when it
        // ends, before any of them is acknowledged ([`batch`]).
        let behind = self.behind.get();
        let in_batch = batch::defer(journal, behind, &self.stats);
        let durable = if in_batch {
            journal::Durable::Later
        } else {
            journal::Durable::Now
        };
        match journal.append_as(self.for_pg(write), &steps, durable).await {
            Ok(_) => {
                self.stats.outbox_queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.stats.outbox_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(write = %write.describe(), error = %e,
                    "the journal could not record a write; PostgreSQL is behind for its data \
                     sets until `verify --repair`");
                return Ok(found);
            }
        }
        match behind {
            Some(shared) if in_batch => shared.counted(),
            Some(shared) => shared.journaled(),
            None => drop(self.drain().await),
        }
        Ok(found)
    }

    /// Whether PostgreSQL holds every write JSON holds of `data_set`.
    async fn pg_current(&self, data_set: DataSet) -> Result<bool, StoreError> {
        currency::is_current(self.json()?, self.pg()?, data_set).await
    }

    /// Whether PostgreSQL is current for `data_set`, replaying the journal
    /// first when it is not and writes wait there (and PostgreSQL is not
    /// resting after a failure).
    async fn current_or_catch_up(&self, data_set: DataSet) -> Result<bool, StoreError> {
        if self.pg_current(data_set).await? {
            return Ok(true);
        }
        let waiting = match &self.journal {
            Some(j) => j.depth().await.unwrap_or(0) > 0,
            None => false,
        };
        if !waiting || self.breaker.resting() {
            return Ok(false);
        }
        self.drain().await;
        self.pg_current(data_set).await
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
                    (Some(s), Some(compare)) => Ok(s.observe(data_set, what, value, compare)),
                    _ => Ok(value),
                }
            }
            Route::DualRead => {
                let why = match self.current_or_catch_up(data_set).await {
                    Ok(true) => match read(self.pg()?.clone()).await {
                        Ok(v) => return Ok(v),
                        Err(e) => format!("PostgreSQL read failed: {e}"),
                    },
                    Ok(false) => "PostgreSQL is behind JSON".to_owned(),
                    Err(e) => format!("PostgreSQL's currency cannot be told: {e}"),
                };
                if !effective.fallback {
                    return Err(StoreError::Unavailable {
                        store: "postgres",
                        message: format!(
                            "{why} for {data_set}, and DATABASE_FALLBACK_TO_JSON is off"
                        ),
                        source: None,
                    });
                }
                self.stats.fallback_reads.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%data_set, read = what, reason = %why, "reading JSON instead of PostgreSQL");
                read(self.json()?.clone()).await
            }
            Route::Database => self.read_database(data_set, what, effective, read).await,
            Route::PostgresOnly => read(self.pg()?.clone()).await,
        }
    }

    /// A D read: PostgreSQL; when it is unavailable and the read may be
    /// answered stale ([`stale`]), the JSON files, marked stale.
    async fn read_database<T, F, Fut>(
        &self,
        data_set: DataSet,
        what: &str,
        effective: EffectiveRoute,
        read: F,
    ) -> Result<T, StoreError>
    where
        F: Fn(Stores) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let stale_json = match (&self.json, self.json_as_of) {
            (Some(json), Some(at)) if effective.fallback && stale::allowed() => Some((json, at)),
            _ => None,
        };
        let Some((json, at)) = stale_json else {
            return read(self.pg()?.clone()).await;
        };
        // While PostgreSQL rests after failing, do not wait on it again.
        let why = if self.breaker.resting() {
            "PostgreSQL resting after a failure".to_owned()
        } else {
            match read(self.pg()?.clone()).await {
                Ok(v) => {
                    self.breaker.reset();
                    self.stats.set_stale_since(None);
                    return Ok(v);
                }
                Err(e @ StoreError::Unavailable { .. }) => {
                    self.breaker.trip();
                    e.to_string()
                }
                Err(e) => return Err(e),
            }
        };
        let value = read(json.clone()).await?;
        self.stats.stale_reads.fetch_add(1, Ordering::Relaxed);
        self.stats.set_stale_since(Some(at));
        stale::note(at);
        tracing::warn!(%data_set, read = what, reason = %why, json_as_of = %at,
            "PostgreSQL unavailable: answered from the JSON files, stale");
        Ok(value)
    }
}

/// The routed store reports the truth's own version (JSON while JSON is
/// written) and mirrors nothing itself.
#[async_trait]
impl VersionStore for RoutedStore {
    async fn own_version(&self, data_set: DataSet) -> Result<DataVersion, StoreError> {
        self.json()?.versions.own_version(data_set).await
    }
    async fn mirrored_version(&self, data_set: DataSet) -> Result<Option<DataVersion>, StoreError> {
        self.pg()?.versions.mirrored_version(data_set).await
    }
    async fn advance_mirrored_version(
        &self,
        _data_set: DataSet,
        _from: &DataVersion,
        _to: &DataVersion,
    ) -> Result<bool, StoreError> {
        Err(StoreError::Unsupported(
            "versions are advanced by the routed store itself".into(),
        ))
    }
    async fn set_mirrored_version(
        &self,
        _data_set: DataSet,
        _version: Option<&DataVersion>,
    ) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "versions are recorded by verify, not through the routed store".into(),
        ))
    }
}

#[async_trait]
impl ExecutionStore for RoutedStore {
    async fn record_executions(
        &self,
        trades: &[Trade],
        portfolio: &Portfolio,
        signals: &[Signal],
    ) -> Result<(), StoreError> {
        self.write(Write::RecordExecutions {
            trades,
            portfolio,
            signals,
        })
        .await
    }
    async fn record_settlements(
        &self,
        portfolio: &Portfolio,
        settlements: &[TradeSettlement],
    ) -> Result<(), StoreError> {
        self.write(Write::RecordSettlements {
            portfolio,
            settlements,
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
    async fn list_portfolios(&self) -> Result<Vec<PortfolioId>, StoreError> {
        self.read(
            DataSet::Portfolio,
            "list_portfolios",
            |s| async move { s.portfolio.list_portfolios().await },
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
    /// Answered by the store written first (JSON in dual-write phases):
    /// whether the truth holds the trade.
    async fn settle_trade(&self, settlement: &TradeSettlement) -> Result<bool, StoreError> {
        self.write_found(Write::SettleTrade(settlement)).await
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
    async fn count_trades(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
    ) -> Result<u64, StoreError> {
        self.read(
            DataSet::Trades,
            "count_trades",
            |s| {
                let (id, m) = (portfolio.clone(), market.cloned());
                async move { s.trades.count_trades(&id, m.as_ref()).await }
            },
            None,
        )
        .await
    }
    async fn trades_page(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        self.read(
            DataSet::Trades,
            "trades_page",
            |s| {
                let (id, m) = (portfolio.clone(), market.cloned());
                async move { s.trades.trades_page(&id, m.as_ref(), offset, limit).await }
            },
            None,
        )
        .await
    }
    async fn trades_by_ids(
        &self,
        portfolio: &PortfolioId,
        ids: &[domain::TradeId],
    ) -> Result<Vec<Trade>, StoreError> {
        self.read(
            DataSet::Trades,
            "trades_by_ids",
            |s| {
                let (id, ids) = (portfolio.clone(), ids.to_vec());
                async move { s.trades.trades_by_ids(&id, &ids).await }
            },
            None,
        )
        .await
    }
    async fn trade_events(
        &self,
        portfolio: &PortfolioId,
        ids: &[domain::TradeId],
    ) -> Result<Vec<domain::TradeEvent>, StoreError> {
        self.read(
            DataSet::Trades,
            "trade_events",
            |s| {
                let (id, ids) = (portfolio.clone(), ids.to_vec());
                async move { s.trades.trade_events(&id, &ids).await }
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
    async fn history_summary(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<domain::HistorySummary, StoreError> {
        self.read(
            DataSet::History,
            "history_summary",
            |s| {
                let id = portfolio.clone();
                async move { s.history.history_summary(&id).await }
            },
            None,
        )
        .await
    }
    async fn append_signal_archive(&self, a: &SignalArchive) -> Result<(), StoreError> {
        self.write(Write::AppendSignalArchive(a)).await
    }
    async fn load_signal_archives(
        &self,
        portfolio: &PortfolioId,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        let month = month.map(str::to_owned);
        self.read(
            DataSet::History,
            "load_signal_archives",
            |s| {
                let (id, m) = (portfolio.clone(), month.clone());
                async move { s.history.load_signal_archives(&id, m.as_deref()).await }
            },
            None,
        )
        .await
    }
    /// Checked where a load would be read (as `check_market_snapshots`).
    async fn check_signal_archives(
        &self,
        portfolio: &PortfolioId,
        month: &str,
    ) -> Result<(), StoreError> {
        let month = month.to_owned();
        self.read(
            DataSet::History,
            "check_signal_archives",
            |s| {
                let (id, m) = (portfolio.clone(), month.clone());
                async move { s.history.check_signal_archives(&id, &m).await }
            },
            None,
        )
        .await
    }
}

#[async_trait]
impl SignalStore for RoutedStore {
    async fn replace_current_signals(
        &self,
        portfolio: &PortfolioId,
        signals: &[Signal],
    ) -> Result<(), StoreError> {
        self.write(Write::ReplacePortfolioSignals { portfolio, signals })
            .await
    }
    async fn load_current_signals(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<Signal>, StoreError> {
        let key = portfolio.clone();
        self.read(
            DataSet::Signals,
            "load_current_signals",
            |s| {
                let id = portfolio.clone();
                async move { s.signals.load_current_signals(&id).await }
            },
            Some(ShadowRead::new(move |pg: Stores| {
                let id = key.clone();
                async move { pg.signals.load_current_signals(&id).await }
            })),
        )
        .await
    }
    async fn executed_current_signals(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Option<Vec<Signal>>, StoreError> {
        self.read(
            DataSet::Signals,
            "executed_current_signals",
            |s| {
                let id = portfolio.clone();
                async move { s.signals.executed_current_signals(&id).await }
            },
            None,
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
    /// Checked where a load would be read (the JSON store skips a series it
    /// left as it is).
    async fn check_market_snapshots(&self) -> Result<(), StoreError> {
        self.read(
            DataSet::Markets,
            "check_market_snapshots",
            |s| async move { s.markets.check_market_snapshots().await },
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
    /// One write where one store is written (J, D, P); a dual write
    /// journals each key as [`MetadataStore::set_metadata`] does.
    async fn set_metadata_all(
        &self,
        entries: &[(&str, &str)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let data_set = Write::SetMetadata {
            key: "",
            value: "",
            at,
        }
        .data_set();
        let only = match self.route(data_set).route {
            Route::Json => self.json()?,
            Route::Database | Route::PostgresOnly => self.pg()?,
            Route::DualWrite | Route::DualRead => {
                for (key, value) in entries {
                    self.set_metadata(key, value, at).await?;
                }
                return Ok(());
            }
        };
        let _one_at_a_time = self.writing.lock().await;
        only.metadata.set_metadata_all(entries, at).await
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
