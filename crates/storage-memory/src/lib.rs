//! Every storage port in memory ([`MemoryStore`]).
//!
//! Owns: two uses of one store. Tests of the routed store use it as a
//! PostgreSQL stand-in where the point is the routing, not SQL (the real
//! PostgreSQL store has its own tests against a real server), with switches
//! that make every call fail as an unreachable database would
//! ([`MemoryStore::set_down`]) or refuse every write
//! ([`MemoryStore::set_rejecting`]). A backtest runs its throw-away
//! portfolios on a [`MemoryStore::lean`] one, whose size does not grow with
//! the number of cycles run (see there).
//!
//! Must not: touch files, the network or the clock; know about JSON or
//! PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{
    DataVersion, HistoryStore, MarketStore, MetadataStore, PortfolioStore, SignalStore, TradeStore,
    VersionStore,
};
use domain::{
    DataSet, Event, FilteredEvent, HistorySummary, Market, MarketId, MarketSnapshot, Portfolio,
    PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Signal, SignalArchive, StoreError,
    Trade, TradeId, TradeSettlement,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Everything a [`MemoryStore`] holds, in append order.
#[derive(Clone, Debug, Default)]
pub struct MemoryState {
    pub portfolios: BTreeMap<PortfolioId, Portfolio>,
    pub snapshots: Vec<PortfolioSnapshot>,
    pub trades: Vec<Trade>,
    pub history: Vec<PortfolioHistoryEntry>,
    pub archives: Vec<SignalArchive>,
    /// The current signals of every portfolio, each portfolio's in its order.
    pub signals: Vec<Signal>,
    pub raw_events: Vec<Event>,
    pub filtered_events: Vec<FilteredEvent>,
    pub markets: Vec<Market>,
    pub market_snapshots: Vec<MarketSnapshot>,
    pub metadata: BTreeMap<String, String>,
    /// The truth's version of each data set this store was brought level with.
    pub mirrored: BTreeMap<DataSet, DataVersion>,
}

/// Every port in memory; `set_down(true)` makes every call fail.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<MemoryState>,
    down: AtomicBool,
    rejecting: AtomicBool,
    calls: AtomicU64,
    lean: bool,
    /// In a lean store, how far back market snapshots are kept (none
    /// without it).
    price_window: Option<chrono::TimeDelta>,
}

impl MemoryStore {
    /// A store keeping everything appended to it.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose size does not grow with the number of cycles: of the
    /// series a cycle appends to once per run — portfolio history, portfolio
    /// snapshots, signal archives — only each portfolio's last record is
    /// kept (a later one replaces it), and market snapshots are not kept at
    /// all (see [`MemoryStore::lean_keeping_prices`]). Everything else is as in [`MemoryStore::new`]: portfolios,
    /// current signals, the raw and filtered events and markets (replaced by
    /// every cycle anyway), metadata, and the trades (which grow with what
    /// is traded, not with time). The last archive is what a cycle checks
    /// its previous signal set against, so cycles on a lean store behave as
    /// on a full one.
    ///
    /// Trade ids are unique per portfolio only (the port's contract makes
    /// them unique across portfolios): each portfolio of a backtest trades
    /// as if it ran alone, under the ids it would have alone.
    pub fn lean() -> Self {
        MemoryStore {
            lean: true,
            ..Self::default()
        }
    }

    /// A [`MemoryStore::lean`] store that keeps the market snapshots of the
    /// last `window` (before the newest one appended), for strategies that
    /// look back that far: the prices a live cycle would find in
    /// `market_snapshots`. Snapshots are appended in time order (one set a
    /// cycle), so older ones are dropped from the front.
    pub fn lean_keeping_prices(window: chrono::TimeDelta) -> Self {
        MemoryStore {
            lean: true,
            price_window: Some(window),
            ..Self::default()
        }
    }

    /// Make every call fail (`true`) or succeed again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Refuse every write as a database refuses a value it cannot store
    /// (`true`), or take them again (`false`). Reads still answer.
    pub fn set_rejecting(&self, rejecting: bool) {
        self.rejecting.store(rejecting, Ordering::SeqCst);
    }

    /// Fail a write when rejecting.
    fn refuse(&self) -> Result<(), StoreError> {
        if self.rejecting.load(Ordering::SeqCst) {
            return Err(StoreError::Backend {
                context: "memory store rejecting writes (switched by the test)".into(),
                source: "value too long for type character varying(255)".into(),
            });
        }
        Ok(())
    }

    /// A copy of everything stored.
    pub fn state(&self) -> MemoryState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Calls answered (successful or not).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn with<T>(&self, f: impl FnOnce(&mut MemoryState) -> T) -> Result<T, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable {
                store: "memory",
                message: "switched off by the test".into(),
                source: None,
            });
        }
        let mut state = self.state.lock().map_err(|_| StoreError::Unavailable {
            store: "memory",
            message: "poisoned".into(),
            source: None,
        })?;
        Ok(f(&mut state))
    }
}

fn push_unique<T: Clone, K: PartialEq>(list: &mut Vec<T>, item: &T, key: impl Fn(&T) -> K) {
    let k = key(item);
    if !list.iter().any(|x| key(x) == k) {
        list.push(item.clone());
    }
}

/// Append `item` to a series a cycle appends to once per run (portfolio
/// snapshots, history, signal archives): in a lean store it replaces the
/// record of its portfolio (one record per portfolio); otherwise it is
/// added unless a record with its `key` is there.
fn append_series<T: Clone, K: PartialEq>(
    lean: bool,
    list: &mut Vec<T>,
    item: &T,
    portfolio: impl Fn(&T) -> &PortfolioId,
    key: impl Fn(&T) -> K,
) {
    if lean {
        list.retain(|x| portfolio(x) != portfolio(item));
        list.push(item.clone());
    } else {
        push_unique(list, item, key);
    }
}

#[async_trait]
impl PortfolioStore for MemoryStore {
    async fn load_portfolio(&self, id: &PortfolioId) -> Result<Option<Portfolio>, StoreError> {
        self.with(|s| s.portfolios.get(id).cloned())
    }
    async fn save_portfolio(&self, p: &Portfolio) -> Result<(), StoreError> {
        self.refuse()?;
        self.with(|s| {
            s.portfolios.insert(p.id.clone(), p.clone());
        })
    }
    async fn append_portfolio_snapshot(&self, snap: &PortfolioSnapshot) -> Result<(), StoreError> {
        self.refuse()?;
        let lean = self.lean;
        self.with(|s| {
            append_series(
                lean,
                &mut s.snapshots,
                snap,
                |x| &x.portfolio_id,
                |x| (x.portfolio_id.clone(), x.timestamp),
            )
        })
    }
    async fn load_portfolio_snapshots(
        &self,
        id: &PortfolioId,
    ) -> Result<Vec<PortfolioSnapshot>, StoreError> {
        self.with(|s| {
            s.snapshots
                .iter()
                .filter(|x| &x.portfolio_id == id)
                .cloned()
                .collect()
        })
    }
    async fn list_portfolios(&self) -> Result<Vec<PortfolioId>, StoreError> {
        self.with(|s| {
            let mut ids: BTreeSet<PortfolioId> = s.portfolios.keys().cloned().collect();
            ids.extend(s.snapshots.iter().map(|x| x.portfolio_id.clone()));
            ids.extend(s.trades.iter().map(|x| x.portfolio_id.clone()));
            ids.extend(s.history.iter().map(|x| x.portfolio_id.clone()));
            ids.extend(s.archives.iter().map(|x| x.portfolio_id.clone()));
            ids.extend(s.signals.iter().map(|x| x.portfolio_id.clone()));
            ids.into_iter().collect()
        })
    }
}

#[async_trait]
impl TradeStore for MemoryStore {
    async fn append_trade(&self, trade: &Trade) -> Result<(), StoreError> {
        self.append_trades(std::slice::from_ref(trade)).await
    }
    /// Every id checked before any trade is kept: a conflict keeps none.
    async fn append_trades(&self, trades: &[Trade]) -> Result<(), StoreError> {
        self.refuse()?;
        let lean = self.lean;
        self.with(|s| {
            let mut fresh: Vec<&Trade> = Vec::new();
            for trade in trades {
                let same = |t: &&Trade| {
                    t.trade_id == trade.trade_id && (!lean || t.portfolio_id == trade.portfolio_id)
                };
                match s
                    .trades
                    .iter()
                    .find(same)
                    .or_else(|| fresh.iter().copied().find(same))
                {
                    Some(stored) if stored.as_executed() != trade.as_executed() => {
                        return Err(StoreError::Conflict {
                            location: "memory trades".into(),
                            key: trade.trade_id.to_string(),
                        });
                    }
                    Some(_) => {}
                    None => fresh.push(trade),
                }
            }
            s.trades.extend(fresh.into_iter().cloned());
            Ok(())
        })?
    }
    async fn settle_trade(&self, settlement: &TradeSettlement) -> Result<bool, StoreError> {
        self.refuse()?;
        self.with(|s| {
            match s.trades.iter_mut().find(|t| {
                t.trade_id == settlement.trade_id && t.portfolio_id == settlement.portfolio_id
            }) {
                Some(t) => {
                    *t = t.settled(settlement);
                    true
                }
                None => false,
            }
        })
    }
    async fn load_trades(&self, id: &PortfolioId) -> Result<Vec<Trade>, StoreError> {
        self.with(|s| {
            s.trades
                .iter()
                .filter(|t| &t.portfolio_id == id)
                .cloned()
                .collect()
        })
    }
    async fn trades_for_market(
        &self,
        id: &PortfolioId,
        market: &MarketId,
    ) -> Result<Vec<Trade>, StoreError> {
        self.with(|s| {
            s.trades
                .iter()
                .filter(|t| &t.portfolio_id == id && &t.market_id == market)
                .cloned()
                .collect()
        })
    }
    async fn recent_trades(
        &self,
        id: &PortfolioId,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        self.with(|s| {
            s.trades
                .iter()
                .rev()
                .filter(|t| &t.portfolio_id == id)
                .take(limit)
                .cloned()
                .collect()
        })
    }
    async fn count_trades(
        &self,
        id: &PortfolioId,
        market: Option<&MarketId>,
    ) -> Result<u64, StoreError> {
        self.with(|s| {
            let n = s
                .trades
                .iter()
                .filter(|t| &t.portfolio_id == id && market.is_none_or(|m| &t.market_id == m))
                .count();
            u64::try_from(n).unwrap_or(u64::MAX)
        })
    }
    async fn trades_page(
        &self,
        id: &PortfolioId,
        market: Option<&MarketId>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        self.with(|s| {
            s.trades
                .iter()
                .rev()
                .filter(|t| &t.portfolio_id == id && market.is_none_or(|m| &t.market_id == m))
                .skip(offset)
                .take(limit)
                .cloned()
                .collect()
        })
    }
    async fn trades_by_ids(
        &self,
        id: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<Trade>, StoreError> {
        self.with(|s| {
            s.trades
                .iter()
                .filter(|t| &t.portfolio_id == id && ids.contains(&t.trade_id))
                .cloned()
                .collect()
        })
    }
}

#[async_trait]
impl HistoryStore for MemoryStore {
    async fn append_history_entry(&self, e: &PortfolioHistoryEntry) -> Result<(), StoreError> {
        self.refuse()?;
        let lean = self.lean;
        self.with(|s| {
            append_series(
                lean,
                &mut s.history,
                e,
                |x| &x.portfolio_id,
                |x| (x.portfolio_id.clone(), x.timestamp),
            )
        })
    }
    async fn load_history(
        &self,
        id: &PortfolioId,
    ) -> Result<Vec<PortfolioHistoryEntry>, StoreError> {
        self.with(|s| {
            s.history
                .iter()
                .filter(|x| &x.portfolio_id == id)
                .cloned()
                .collect()
        })
    }
    async fn history_summary(&self, id: &PortfolioId) -> Result<HistorySummary, StoreError> {
        Ok(HistorySummary::of(&self.load_history(id).await?))
    }
    async fn append_signal_archive(&self, a: &SignalArchive) -> Result<(), StoreError> {
        self.refuse()?;
        let lean = self.lean;
        self.with(|s| {
            append_series(
                lean,
                &mut s.archives,
                a,
                |x| &x.portfolio_id,
                |x| (x.portfolio_id.clone(), x.archived_at),
            )
        })
    }
    async fn load_signal_archives(
        &self,
        id: &PortfolioId,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        self.with(|s| {
            let mut archives: Vec<SignalArchive> = s
                .archives
                .iter()
                .filter(|a| &a.portfolio_id == id && month.is_none_or(|m| a.month == m))
                .cloned()
                .collect();
            // Oldest month first, append order within a month.
            archives.sort_by(|a, b| a.month.cmp(&b.month));
            archives
        })
    }
}

#[async_trait]
impl SignalStore for MemoryStore {
    async fn replace_current_signals(
        &self,
        id: &PortfolioId,
        signals: &[Signal],
    ) -> Result<(), StoreError> {
        self.refuse()?;
        domain::ports::check_signal_portfolios("memory signals", id, signals)?;
        self.with(|s| {
            s.signals.retain(|x| &x.portfolio_id != id);
            s.signals.extend_from_slice(signals);
        })
    }
    async fn load_current_signals(&self, id: &PortfolioId) -> Result<Vec<Signal>, StoreError> {
        self.with(|s| {
            s.signals
                .iter()
                .filter(|x| &x.portfolio_id == id)
                .cloned()
                .collect()
        })
    }
}

#[async_trait]
impl MarketStore for MemoryStore {
    async fn save_raw_events(&self, events: &[Event]) -> Result<(), StoreError> {
        self.refuse()?;
        self.with(|s| s.raw_events = events.to_vec())
    }
    async fn load_raw_events(&self) -> Result<Vec<Event>, StoreError> {
        self.with(|s| s.raw_events.clone())
    }
    async fn save_filtered_events(&self, events: &[FilteredEvent]) -> Result<(), StoreError> {
        self.refuse()?;
        self.with(|s| s.filtered_events = events.to_vec())
    }
    async fn load_filtered_events(&self) -> Result<Vec<FilteredEvent>, StoreError> {
        self.with(|s| s.filtered_events.clone())
    }
    async fn save_filtered_markets(&self, markets: &[Market]) -> Result<(), StoreError> {
        self.refuse()?;
        self.with(|s| s.markets = markets.to_vec())
    }
    async fn load_filtered_markets(&self) -> Result<Vec<Market>, StoreError> {
        self.with(|s| s.markets.clone())
    }
    async fn append_market_snapshots(&self, snaps: &[MarketSnapshot]) -> Result<(), StoreError> {
        self.refuse()?;
        if self.lean {
            let Some(window) = self.price_window else {
                return self.with(|_| ());
            };
            return self.with(|s| {
                s.market_snapshots.extend(snaps.iter().cloned());
                let newest = s.market_snapshots.iter().map(|x| x.timestamp).max();
                if let Some(from) = newest.and_then(|t| t.checked_sub_signed(window)) {
                    s.market_snapshots.retain(|x| x.timestamp >= from);
                }
            });
        }
        self.with(|s| {
            for snap in snaps {
                push_unique(&mut s.market_snapshots, snap, |x| {
                    (x.market_id.clone(), x.timestamp)
                });
            }
        })
    }
    async fn load_market_snapshots(
        &self,
        market: Option<&MarketId>,
    ) -> Result<Vec<MarketSnapshot>, StoreError> {
        self.with(|s| {
            s.market_snapshots
                .iter()
                .filter(|x| market.is_none_or(|m| &x.market_id == m))
                .cloned()
                .collect()
        })
    }
}

#[async_trait]
impl MetadataStore for MemoryStore {
    async fn set_metadata(
        &self,
        key: &str,
        value: &str,
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.refuse()?;
        self.with(|s| {
            s.metadata.insert(key.to_owned(), value.to_owned());
        })
    }
    async fn load_metadata(&self) -> Result<BTreeMap<String, String>, StoreError> {
        self.with(|s| s.metadata.clone())
    }
}

/// A PostgreSQL stand-in: it mirrors the truth's versions and has none of
/// its own.
#[async_trait]
impl VersionStore for MemoryStore {
    async fn own_version(&self, data_set: DataSet) -> Result<DataVersion, StoreError> {
        Err(StoreError::Unsupported(format!(
            "the memory store keeps no own version of {data_set}"
        )))
    }
    async fn mirrored_version(&self, data_set: DataSet) -> Result<Option<DataVersion>, StoreError> {
        self.with(|s| s.mirrored.get(&data_set).cloned())
    }
    async fn advance_mirrored_version(
        &self,
        data_set: DataSet,
        from: &DataVersion,
        to: &DataVersion,
    ) -> Result<bool, StoreError> {
        self.with(|s| match s.mirrored.get_mut(&data_set) {
            Some(v) if v == from => {
                *v = to.clone();
                true
            }
            _ => false,
        })
    }
    async fn set_mirrored_version(
        &self,
        data_set: DataSet,
        version: Option<&DataVersion>,
    ) -> Result<(), StoreError> {
        self.with(|s| match version {
            Some(v) => {
                s.mirrored.insert(data_set, v.clone());
            }
            None => {
                s.mirrored.remove(&data_set);
            }
        })
    }
}
