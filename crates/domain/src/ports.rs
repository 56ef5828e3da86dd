//! The storage ports: one async trait per data set (SPEC §6), implemented by
//! `storage-json`, `storage-pg` and the routed store. Callers hold a
//! [`Stores`] and never know which backend answers.
//!
//! Contract shared by every implementation (checked by the conformance suite):
//! - a `save_*`/`replace_*` replaces the previous value atomically;
//! - an `append_*` keyed by a natural key (`trade_id`, archive timestamp) is
//!   idempotent: appending a record whose key is already stored changes nothing;
//! - loads return records in the order they were appended;
//! - a value reads back exactly as written (money 2 dp, prices 6 dp, UTC);
//! - everything a portfolio owns (its state, positions and snapshots, trades,
//!   history, current signals and signal archives) is asked for by portfolio,
//!   and nothing of one portfolio is visible through another's id; the market
//!   data (events, markets, market snapshots) and the system metadata are
//!   global: one crawl serves every portfolio.

use crate::{
    DataSet, Event, FilteredEvent, HistorySummary, Market, MarketId, MarketSnapshot, Portfolio,
    PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Signal, SignalArchive, StoreError,
    Trade, TradeEvent, TradeId, TradeSettlement,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Portfolio state, positions and snapshots.
#[async_trait]
pub trait PortfolioStore: Send + Sync {
    /// `None` when the portfolio has never been saved.
    async fn load_portfolio(&self, id: &PortfolioId) -> Result<Option<Portfolio>, StoreError>;
    async fn save_portfolio(&self, portfolio: &Portfolio) -> Result<(), StoreError>;
    /// Idempotent on (portfolio, timestamp).
    async fn append_portfolio_snapshot(
        &self,
        snapshot: &PortfolioSnapshot,
    ) -> Result<(), StoreError>;
    async fn load_portfolio_snapshots(
        &self,
        id: &PortfolioId,
    ) -> Result<Vec<PortfolioSnapshot>, StoreError>;
    /// Every portfolio the store holds anything of (a state, a snapshot,
    /// trades, history, current signals or archives), sorted by id.
    async fn list_portfolios(&self) -> Result<Vec<PortfolioId>, StoreError>;
}

/// The trade history: appended to, and each record's settlement updated
/// when its position closes.
///
/// Trade ids are unique across portfolios (SPEC §3; the PostgreSQL key is
/// `trade_id` alone), so whoever makes an id must look at every portfolio.
#[async_trait]
pub trait TradeStore: Send + Sync {
    /// Idempotent on `trade_id`: appending a stored trade again changes
    /// nothing — even when the stored record has settled since (the same
    /// execution, [`Trade::as_executed`]); another trade under a stored id is
    /// [`StoreError::Conflict`].
    async fn append_trade(&self, trade: &Trade) -> Result<(), StoreError>;
    /// [`Self::append_trade`] of each of `trades`, in order. A store that
    /// can write them in one go (one append and one fsync for the JSON
    /// file) checks every id first, so a conflict writes none of them;
    /// others append them one by one and stop at the first that fails.
    async fn append_trades(&self, trades: &[Trade]) -> Result<(), StoreError> {
        for trade in trades {
            self.append_trade(trade).await?;
        }
        Ok(())
    }
    /// Record on the trade record of `settlement.trade_id` in
    /// `settlement.portfolio_id` its status, realized P&L and closing time.
    /// Returns whether such a trade is stored (`false`: nothing changed).
    /// Setting what is stored again changes nothing.
    async fn settle_trade(&self, settlement: &TradeSettlement) -> Result<bool, StoreError>;
    /// Every trade of the portfolio, oldest first.
    async fn load_trades(&self, portfolio: &PortfolioId) -> Result<Vec<Trade>, StoreError>;
    /// The portfolio's trades in one market, oldest first.
    async fn trades_for_market(
        &self,
        portfolio: &PortfolioId,
        market: &MarketId,
    ) -> Result<Vec<Trade>, StoreError>;
    /// The `limit` most recent trades, newest first.
    async fn recent_trades(
        &self,
        portfolio: &PortfolioId,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError>;
    /// How many trades the portfolio has (in `market` only, when given).
    async fn count_trades(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
    ) -> Result<u64, StoreError>;
    /// One page of the portfolio's trades (of `market` only, when given),
    /// newest first (reverse append order): the `offset` newest skipped, at
    /// most `limit` returned.
    async fn trades_page(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError>;
    /// The portfolio's trades whose id is among `ids`, oldest first; ids
    /// without a stored trade are left out.
    async fn trades_by_ids(
        &self,
        portfolio: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<Trade>, StoreError>;
    /// Every trade of the portfolio, oldest first, as [`TradeChunks`] of at
    /// most `chunk` trades: a copy can send one chunk on while the next is
    /// read. A store that can decode its trades lazily answers it itself
    /// (the JSON store decodes a chunk when it is pulled); the others load
    /// them all first.
    async fn trade_chunks(
        &self,
        portfolio: &PortfolioId,
        chunk: usize,
    ) -> Result<TradeChunks, StoreError> {
        let trades = self.load_trades(portfolio).await?;
        Ok(TradeChunks::of(trades, chunk))
    }
    /// [`TradeStore::trades_by_ids`], each trade as its event only. A store
    /// that can read fewer columns than whole trades answers it itself.
    async fn trade_events(
        &self,
        portfolio: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<TradeEvent>, StoreError> {
        let trades = self.trades_by_ids(portfolio, ids).await?;
        Ok(trades.iter().map(TradeEvent::of).collect())
    }
}

/// A portfolio's trades, oldest first, a chunk at a time
/// ([`TradeStore::trade_chunks`]); the chunks hold [`TradeChunks::total`]
/// trades in all, unless one is an error, which ends them. Pulling a chunk
/// may block (a file store decodes its records then): pull them on a thread
/// that may.
pub struct TradeChunks {
    total: usize,
    chunks: Box<dyn Iterator<Item = Result<Vec<Trade>, StoreError>> + Send>,
}

impl TradeChunks {
    /// `total` trades in the chunks `chunks` yields.
    pub fn new(
        total: usize,
        chunks: impl Iterator<Item = Result<Vec<Trade>, StoreError>> + Send + 'static,
    ) -> Self {
        TradeChunks {
            total,
            chunks: Box::new(chunks),
        }
    }

    /// `trades` (loaded already) in chunks of `chunk` (at least one trade).
    pub fn of(trades: Vec<Trade>, chunk: usize) -> Self {
        let total = trades.len();
        let mut rest = trades.into_iter();
        let chunk = chunk.max(1);
        TradeChunks::new(
            total,
            std::iter::from_fn(move || {
                let next: Vec<Trade> = rest.by_ref().take(chunk).collect();
                (!next.is_empty()).then_some(Ok(next))
            }),
        )
    }

    /// How many trades the chunks hold.
    pub fn total(&self) -> usize {
        self.total
    }
}

impl Iterator for TradeChunks {
    type Item = Result<Vec<Trade>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.chunks.next()
    }
}

impl std::fmt::Debug for TradeChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TradeChunks")
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

/// Portfolio history and signal archives.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Idempotent on (portfolio, timestamp).
    async fn append_history_entry(&self, entry: &PortfolioHistoryEntry) -> Result<(), StoreError>;
    async fn load_history(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<PortfolioHistoryEntry>, StoreError>;
    /// Count, first and last timestamps and max drawdown of the history
    /// ([`HistorySummary::of`] of what `load_history` returns).
    async fn history_summary(&self, portfolio: &PortfolioId) -> Result<HistorySummary, StoreError>;
    /// Idempotent on (portfolio, `archived_at`).
    async fn append_signal_archive(&self, archive: &SignalArchive) -> Result<(), StoreError>;
    /// The portfolio's archives of one `YYYY-MM` month, or of every month
    /// when `None`, oldest first.
    async fn load_signal_archives(
        &self,
        portfolio: &PortfolioId,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError>;
    /// Whether the portfolio's archives of `month` load (a cycle checks
    /// before it trades what it appends to later): the error a load would
    /// give. A store that knows its records are as it checked them answers
    /// without reading them (the JSON store, `checked.rs`).
    async fn check_signal_archives(
        &self,
        portfolio: &PortfolioId,
        month: &str,
    ) -> Result<(), StoreError> {
        self.load_signal_archives(portfolio, Some(month))
            .await
            .map(drop)
    }
}

/// The current signal set of each portfolio.
#[async_trait]
pub trait SignalStore: Send + Sync {
    /// Replace the portfolio's current signals (possibly with none); every
    /// signal must carry `portfolio` (a signal of another portfolio is
    /// [`StoreError::InvalidRecord`], and nothing is written). Other
    /// portfolios' sets are left alone.
    async fn replace_current_signals(
        &self,
        portfolio: &PortfolioId,
        signals: &[Signal],
    ) -> Result<(), StoreError>;
    async fn load_current_signals(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<Signal>, StoreError>;
    /// The portfolio's current signals when any of them was executed (a
    /// cycle traded on them), else `None`. A store that can tell without
    /// decoding the set does (the JSON file: no `true` anywhere in it; a
    /// cycle asks this before every crawl, and the set is megabytes).
    async fn executed_current_signals(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Option<Vec<Signal>>, StoreError> {
        let signals = self.load_current_signals(portfolio).await?;
        Ok(signals.iter().any(|s| s.executed).then_some(signals))
    }
}

/// Refuse a signal set for `portfolio` holding another portfolio's signal.
pub fn check_signal_portfolios(
    location: &str,
    portfolio: &PortfolioId,
    signals: &[Signal],
) -> Result<(), StoreError> {
    match signals
        .iter()
        .enumerate()
        .find(|(_, s)| &s.portfolio_id != portfolio)
    {
        None => Ok(()),
        Some((i, s)) => Err(StoreError::InvalidRecord {
            location: location.to_owned(),
            key: format!("[{i}] market {}", s.market_id),
            message: format!(
                "is a signal of portfolio {}, not of {portfolio} whose set is replaced",
                s.portfolio_id
            ),
        }),
    }
}

/// Events, markets and market snapshots.
#[async_trait]
pub trait MarketStore: Send + Sync {
    async fn save_raw_events(&self, events: &[Event]) -> Result<(), StoreError>;
    async fn load_raw_events(&self) -> Result<Vec<Event>, StoreError>;
    async fn save_filtered_events(&self, events: &[FilteredEvent]) -> Result<(), StoreError>;
    async fn load_filtered_events(&self) -> Result<Vec<FilteredEvent>, StoreError>;
    async fn save_filtered_markets(&self, markets: &[Market]) -> Result<(), StoreError>;
    async fn load_filtered_markets(&self) -> Result<Vec<Market>, StoreError>;
    /// Idempotent on (market, timestamp).
    async fn append_market_snapshots(&self, snapshots: &[MarketSnapshot])
    -> Result<(), StoreError>;
    /// Snapshots of one market, or of all when `None`, oldest first.
    async fn load_market_snapshots(
        &self,
        market: Option<&MarketId>,
    ) -> Result<Vec<MarketSnapshot>, StoreError>;
    /// Whether the market snapshots load: the error a load would give (as
    /// [`HistoryStore::check_signal_archives`]).
    async fn check_market_snapshots(&self) -> Result<(), StoreError> {
        // No snapshot converted: every record is still read and checked.
        self.load_market_snapshots(Some(&MarketId::new("check: no such market")))
            .await
            .map(drop)
    }
}

/// The plan's `system_metadata` key/value table (`last_event_export`, …).
#[async_trait]
pub trait MetadataStore: Send + Sync {
    async fn set_metadata(
        &self,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// [`MetadataStore::set_metadata`] of every `(key, value)` of
    /// `entries`, in order, all at `at`: one statement on PostgreSQL (a
    /// cycle records four keys; each write of its own was a commit, issue
    /// #12). Stores without such a write set them one by one and stop at
    /// the first that fails.
    async fn set_metadata_all(
        &self,
        entries: &[(&str, &str)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (key, value) in entries {
            self.set_metadata(key, value, at).await?;
        }
        Ok(())
    }
    async fn load_metadata(&self) -> Result<BTreeMap<String, String>, StoreError>;
}

/// Executing trades touches three data sets: the trades, the portfolio
/// that now holds their positions, and the signals' links to them; closing
/// positions (settlement on resolution, an exit rule) touches two: the
/// portfolio and the trade records. A store that can do them atomically
/// (PostgreSQL, in one transaction) implements this; the others use
/// [`SequentialExecution`].
#[async_trait]
pub trait ExecutionStore: Send + Sync {
    /// Record the executions of one step together: `trades` (in execution
    /// order), `portfolio` as after the last of them, and each of `signals`
    /// (executed, [`Signal::trade_id`] naming one of `trades`) linked to its
    /// trade. A cycle records its whole step 5 in one call (issue #13: one
    /// append and one portfolio save instead of one of each per trade).
    /// Recording the same call again changes nothing; a trade id the store
    /// holds with another trade is [`StoreError::Conflict`], and then none
    /// of the portfolio is written.
    async fn record_executions(
        &self,
        trades: &[Trade],
        portfolio: &Portfolio,
        signals: &[Signal],
    ) -> Result<(), StoreError>;
    /// [`Self::record_executions`] of one trade, `signal` linked to it.
    async fn record_execution(
        &self,
        trade: &Trade,
        portfolio: &Portfolio,
        signal: Option<&Signal>,
    ) -> Result<(), StoreError> {
        let linked: Vec<Signal> = signal.map(|s| s.executed_as(trade)).into_iter().collect();
        self.record_executions(std::slice::from_ref(trade), portfolio, &linked)
            .await
    }
    /// Save `portfolio`, whose positions of `settlements` have closed, and
    /// record each settlement on its trade record
    /// ([`TradeStore::settle_trade`]; a trade that is not stored is left
    /// out). Recording it again changes nothing.
    async fn record_settlements(
        &self,
        portfolio: &Portfolio,
        settlements: &[TradeSettlement],
    ) -> Result<(), StoreError>;
}

/// Record executions step by step: the trades first (one append), then the
/// portfolio holding their positions (a crash between them leaves visible
/// trades without positions, which the next cycle adopts, never a position
/// whose trade is lost). The signal links are written with the signal set
/// at the end of the step.
///
/// Settlements likewise: the trade records first, then the portfolio. A
/// crash between them leaves trade records closed whose positions are still
/// open; the next price update settles those positions again and writes the
/// same settlement (the other order would leave the trade records open for
/// ever, as the original did).
pub struct SequentialExecution {
    pub trades: Arc<dyn TradeStore>,
    pub portfolio: Arc<dyn PortfolioStore>,
}

#[async_trait]
impl ExecutionStore for SequentialExecution {
    async fn record_executions(
        &self,
        trades: &[Trade],
        portfolio: &Portfolio,
        _signals: &[Signal],
    ) -> Result<(), StoreError> {
        self.trades.append_trades(trades).await?;
        self.portfolio.save_portfolio(portfolio).await
    }

    async fn record_settlements(
        &self,
        portfolio: &Portfolio,
        settlements: &[TradeSettlement],
    ) -> Result<(), StoreError> {
        for s in settlements {
            self.trades.settle_trade(s).await?;
        }
        self.portfolio.save_portfolio(portfolio).await
    }
}

/// One handle per data set. The cycle and the API take a `Stores`; whether a
/// data set is served by JSON, PostgreSQL or the routed store is decided when
/// it is built.
#[derive(Clone)]
pub struct Stores {
    pub portfolio: Arc<dyn PortfolioStore>,
    pub trades: Arc<dyn TradeStore>,
    pub history: Arc<dyn HistoryStore>,
    pub signals: Arc<dyn SignalStore>,
    pub markets: Arc<dyn MarketStore>,
    pub metadata: Arc<dyn MetadataStore>,
    pub execution: Arc<dyn ExecutionStore>,
    pub versions: Arc<dyn VersionStore>,
}

impl Stores {
    /// Every port served by one store, executions recorded step by step.
    pub fn single<S>(store: Arc<S>) -> Self
    where
        S: PortfolioStore
            + TradeStore
            + HistoryStore
            + SignalStore
            + MarketStore
            + MetadataStore
            + VersionStore
            + 'static,
    {
        Stores {
            versions: store.clone(),
            execution: Arc::new(SequentialExecution {
                trades: store.clone(),
                portfolio: store.clone(),
            }),
            portfolio: store.clone(),
            trades: store.clone(),
            history: store.clone(),
            signals: store.clone(),
            markets: store.clone(),
            metadata: store,
        }
    }

    /// Every port served by one store that also records executions atomically.
    pub fn transactional<S>(store: Arc<S>) -> Self
    where
        S: PortfolioStore
            + TradeStore
            + HistoryStore
            + SignalStore
            + MarketStore
            + MetadataStore
            + VersionStore
            + ExecutionStore
            + 'static,
    {
        Stores {
            execution: store.clone(),
            ..Stores::single(store)
        }
    }
}

/// Which writes a store holds of one data set, as a durable fact rather than
/// a guess (see [`VersionStore`]). `epoch` names one unbroken series of
/// writes; `seq` counts the writes in it. Two versions are equal only when
/// both are.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct DataVersion {
    pub epoch: String,
    pub seq: u64,
}

impl DataVersion {
    pub fn new(epoch: impl Into<String>, seq: u64) -> Self {
        DataVersion {
            epoch: epoch.into(),
            seq,
        }
    }

    /// The version after one more write in the same series.
    pub fn next(&self) -> Self {
        DataVersion {
            epoch: self.epoch.clone(),
            seq: self.seq.saturating_add(1),
        }
    }
}

impl std::fmt::Display for DataVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.epoch, self.seq)
    }
}

/// The currency of each data set between the two stores of a migration.
///
/// The store written first (JSON, the truth until phase 6) has an *own*
/// version per data set that changes with every write to it, whoever makes
/// the write — this process, `--store json`, another state directory, or an
/// edit by hand. The other store (PostgreSQL) keeps a *mirrored* version: the
/// own version of the truth it was last brought level with, advanced only
/// after the rows it stands for are stored. PostgreSQL is current for a data
/// set exactly when its mirrored version equals JSON's own version; any
/// write it missed (rejected, lost in a crash, never sent) leaves it behind.
#[async_trait]
pub trait VersionStore: Send + Sync {
    /// This store's own version of `data_set`.
    async fn own_version(&self, data_set: DataSet) -> Result<DataVersion, StoreError>;
    /// The other store's version this one was last brought level with;
    /// `None` when it never was.
    async fn mirrored_version(&self, data_set: DataSet) -> Result<Option<DataVersion>, StoreError>;
    /// Record that this store now holds `to`, provided it held `from`
    /// (compare and set); returns whether it did. A store that missed a
    /// write in between therefore stays behind.
    async fn advance_mirrored_version(
        &self,
        data_set: DataSet,
        from: &DataVersion,
        to: &DataVersion,
    ) -> Result<bool, StoreError>;
    /// Record (or, with `None`, forget) the mirrored version outright: after
    /// a verify found both stores equal, or a copy made them so.
    async fn set_mirrored_version(
        &self,
        data_set: DataSet,
        version: Option<&DataVersion>,
    ) -> Result<(), StoreError>;
}
