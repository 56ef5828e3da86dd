//! [`Ports`]: a [`Stores`] as one value serving every port, so the
//! conformance suite can run against stores that exist only as a `Stores`
//! (the routed store with write-behind, a store with transactional
//! executions).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{
    ExecutionStore, HistoryStore, MarketStore, MetadataStore, PortfolioStore, SignalStore, Stores,
    TradeStore,
};
use domain::{
    Event, FilteredEvent, HistorySummary, Market, MarketId, MarketSnapshot, Portfolio,
    PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Signal, SignalArchive, StoreError,
    Trade, TradeId, TradeSettlement,
};
use std::collections::BTreeMap;

/// Every port of a [`Stores`], delegated.
#[derive(Clone)]
pub struct Ports(pub Stores);

#[async_trait]
impl PortfolioStore for Ports {
    async fn load_portfolio(&self, id: &PortfolioId) -> Result<Option<Portfolio>, StoreError> {
        self.0.portfolio.load_portfolio(id).await
    }
    async fn save_portfolio(&self, p: &Portfolio) -> Result<(), StoreError> {
        self.0.portfolio.save_portfolio(p).await
    }
    async fn append_portfolio_snapshot(&self, s: &PortfolioSnapshot) -> Result<(), StoreError> {
        self.0.portfolio.append_portfolio_snapshot(s).await
    }
    async fn load_portfolio_snapshots(
        &self,
        id: &PortfolioId,
    ) -> Result<Vec<PortfolioSnapshot>, StoreError> {
        self.0.portfolio.load_portfolio_snapshots(id).await
    }
    async fn list_portfolios(&self) -> Result<Vec<PortfolioId>, StoreError> {
        self.0.portfolio.list_portfolios().await
    }
}

#[async_trait]
impl TradeStore for Ports {
    async fn append_trade(&self, t: &Trade) -> Result<(), StoreError> {
        self.0.trades.append_trade(t).await
    }
    async fn append_trades(&self, t: &[Trade]) -> Result<(), StoreError> {
        self.0.trades.append_trades(t).await
    }
    async fn settle_trade(&self, s: &TradeSettlement) -> Result<bool, StoreError> {
        self.0.trades.settle_trade(s).await
    }
    async fn load_trades(&self, p: &PortfolioId) -> Result<Vec<Trade>, StoreError> {
        self.0.trades.load_trades(p).await
    }
    async fn trades_for_market(
        &self,
        p: &PortfolioId,
        m: &MarketId,
    ) -> Result<Vec<Trade>, StoreError> {
        self.0.trades.trades_for_market(p, m).await
    }
    async fn recent_trades(&self, p: &PortfolioId, limit: usize) -> Result<Vec<Trade>, StoreError> {
        self.0.trades.recent_trades(p, limit).await
    }
    async fn count_trades(&self, p: &PortfolioId, m: Option<&MarketId>) -> Result<u64, StoreError> {
        self.0.trades.count_trades(p, m).await
    }
    async fn trades_page(
        &self,
        p: &PortfolioId,
        m: Option<&MarketId>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        self.0.trades.trades_page(p, m, offset, limit).await
    }
    async fn trades_by_ids(
        &self,
        p: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<Trade>, StoreError> {
        self.0.trades.trades_by_ids(p, ids).await
    }
    async fn trade_events(
        &self,
        p: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<domain::TradeEvent>, StoreError> {
        self.0.trades.trade_events(p, ids).await
    }
}

#[async_trait]
impl HistoryStore for Ports {
    async fn append_history_entry(&self, e: &PortfolioHistoryEntry) -> Result<(), StoreError> {
        self.0.history.append_history_entry(e).await
    }
    async fn load_history(
        &self,
        p: &PortfolioId,
    ) -> Result<Vec<PortfolioHistoryEntry>, StoreError> {
        self.0.history.load_history(p).await
    }
    async fn history_summary(&self, p: &PortfolioId) -> Result<HistorySummary, StoreError> {
        self.0.history.history_summary(p).await
    }
    async fn append_signal_archive(&self, a: &SignalArchive) -> Result<(), StoreError> {
        self.0.history.append_signal_archive(a).await
    }
    async fn load_signal_archives(
        &self,
        p: &PortfolioId,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        self.0.history.load_signal_archives(p, month).await
    }
}

#[async_trait]
impl SignalStore for Ports {
    async fn replace_current_signals(
        &self,
        p: &PortfolioId,
        s: &[Signal],
    ) -> Result<(), StoreError> {
        self.0.signals.replace_current_signals(p, s).await
    }
    async fn load_current_signals(&self, p: &PortfolioId) -> Result<Vec<Signal>, StoreError> {
        self.0.signals.load_current_signals(p).await
    }
    async fn executed_current_signals(
        &self,
        p: &PortfolioId,
    ) -> Result<Option<Vec<Signal>>, StoreError> {
        self.0.signals.executed_current_signals(p).await
    }
}

#[async_trait]
impl MarketStore for Ports {
    async fn save_raw_events(&self, e: &[Event]) -> Result<(), StoreError> {
        self.0.markets.save_raw_events(e).await
    }
    async fn load_raw_events(&self) -> Result<Vec<Event>, StoreError> {
        self.0.markets.load_raw_events().await
    }
    async fn save_filtered_events(&self, e: &[FilteredEvent]) -> Result<(), StoreError> {
        self.0.markets.save_filtered_events(e).await
    }
    async fn load_filtered_events(&self) -> Result<Vec<FilteredEvent>, StoreError> {
        self.0.markets.load_filtered_events().await
    }
    async fn save_filtered_markets(&self, m: &[Market]) -> Result<(), StoreError> {
        self.0.markets.save_filtered_markets(m).await
    }
    async fn load_filtered_markets(&self) -> Result<Vec<Market>, StoreError> {
        self.0.markets.load_filtered_markets().await
    }
    async fn append_market_snapshots(&self, s: &[MarketSnapshot]) -> Result<(), StoreError> {
        self.0.markets.append_market_snapshots(s).await
    }
    async fn load_market_snapshots(
        &self,
        m: Option<&MarketId>,
    ) -> Result<Vec<MarketSnapshot>, StoreError> {
        self.0.markets.load_market_snapshots(m).await
    }
}

#[async_trait]
impl MetadataStore for Ports {
    async fn set_metadata(&self, k: &str, v: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.0.metadata.set_metadata(k, v, at).await
    }
    async fn set_metadata_all(
        &self,
        entries: &[(&str, &str)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.0.metadata.set_metadata_all(entries, at).await
    }
    async fn load_metadata(&self) -> Result<BTreeMap<String, String>, StoreError> {
        self.0.metadata.load_metadata().await
    }
}

#[async_trait]
impl ExecutionStore for Ports {
    async fn record_executions(
        &self,
        trades: &[Trade],
        portfolio: &Portfolio,
        signals: &[Signal],
    ) -> Result<(), StoreError> {
        self.0
            .execution
            .record_executions(trades, portfolio, signals)
            .await
    }
    async fn record_settlements(
        &self,
        portfolio: &Portfolio,
        settlements: &[TradeSettlement],
    ) -> Result<(), StoreError> {
        self.0
            .execution
            .record_settlements(portfolio, settlements)
            .await
    }
}
