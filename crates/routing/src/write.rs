//! Writes as values: what the routed store sends to each backend, and what
//! the outbox keeps when PostgreSQL does not answer. A borrowed [`Write`] is
//! applied and serialized without cloning; an [`OwnedWrite`] is read back
//! from the outbox and replayed.

use chrono::{DateTime, Utc};
use domain::ports::Stores;
use domain::{
    DataSet, Event, FilteredEvent, Market, MarketSnapshot, Portfolio, PortfolioHistoryEntry,
    PortfolioSnapshot, Signal, SignalArchive, StoreError, Trade,
};
use serde::{Deserialize, Serialize};

/// One write through a port, borrowing its data.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(tag = "op", content = "payload", rename_all = "snake_case")]
pub enum Write<'a> {
    RecordExecution {
        trade: &'a Trade,
        portfolio: &'a Portfolio,
        signal: Option<&'a Signal>,
    },
    SavePortfolio(&'a Portfolio),
    AppendPortfolioSnapshot(&'a PortfolioSnapshot),
    AppendTrade(&'a Trade),
    AppendHistoryEntry(&'a PortfolioHistoryEntry),
    AppendSignalArchive(&'a SignalArchive),
    ReplaceCurrentSignals(&'a [Signal]),
    SaveRawEvents(&'a [Event]),
    SaveFilteredEvents(&'a [FilteredEvent]),
    SaveFilteredMarkets(&'a [Market]),
    AppendMarketSnapshots(&'a [MarketSnapshot]),
    SetMetadata {
        key: &'a str,
        value: &'a str,
        at: DateTime<Utc>,
    },
}

/// A [`Write`] read back from the outbox (one at a time; size is irrelevant).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "op", content = "payload", rename_all = "snake_case")]
pub enum OwnedWrite {
    RecordExecution {
        trade: Trade,
        portfolio: Portfolio,
        signal: Option<Signal>,
    },
    SavePortfolio(Portfolio),
    AppendPortfolioSnapshot(PortfolioSnapshot),
    AppendTrade(Trade),
    AppendHistoryEntry(PortfolioHistoryEntry),
    AppendSignalArchive(SignalArchive),
    ReplaceCurrentSignals(Vec<Signal>),
    SaveRawEvents(Vec<Event>),
    SaveFilteredEvents(Vec<FilteredEvent>),
    SaveFilteredMarkets(Vec<Market>),
    AppendMarketSnapshots(Vec<MarketSnapshot>),
    SetMetadata {
        key: String,
        value: String,
        at: DateTime<Utc>,
    },
}

impl OwnedWrite {
    pub fn as_write(&self) -> Write<'_> {
        match self {
            OwnedWrite::RecordExecution {
                trade,
                portfolio,
                signal,
            } => Write::RecordExecution {
                trade,
                portfolio,
                signal: signal.as_ref(),
            },
            OwnedWrite::SavePortfolio(p) => Write::SavePortfolio(p),
            OwnedWrite::AppendPortfolioSnapshot(s) => Write::AppendPortfolioSnapshot(s),
            OwnedWrite::AppendTrade(t) => Write::AppendTrade(t),
            OwnedWrite::AppendHistoryEntry(h) => Write::AppendHistoryEntry(h),
            OwnedWrite::AppendSignalArchive(a) => Write::AppendSignalArchive(a),
            OwnedWrite::ReplaceCurrentSignals(s) => Write::ReplaceCurrentSignals(s),
            OwnedWrite::SaveRawEvents(e) => Write::SaveRawEvents(e),
            OwnedWrite::SaveFilteredEvents(e) => Write::SaveFilteredEvents(e),
            OwnedWrite::SaveFilteredMarkets(m) => Write::SaveFilteredMarkets(m),
            OwnedWrite::AppendMarketSnapshots(s) => Write::AppendMarketSnapshots(s),
            OwnedWrite::SetMetadata { key, value, at } => Write::SetMetadata {
                key,
                value,
                at: *at,
            },
        }
    }
}

impl Write<'_> {
    /// An owned copy, for the write-behind queue.
    pub fn to_owned_write(&self) -> OwnedWrite {
        match *self {
            Write::RecordExecution {
                trade,
                portfolio,
                signal,
            } => OwnedWrite::RecordExecution {
                trade: trade.clone(),
                portfolio: portfolio.clone(),
                signal: signal.cloned(),
            },
            Write::SavePortfolio(p) => OwnedWrite::SavePortfolio(p.clone()),
            Write::AppendPortfolioSnapshot(s) => OwnedWrite::AppendPortfolioSnapshot(s.clone()),
            Write::AppendTrade(t) => OwnedWrite::AppendTrade(t.clone()),
            Write::AppendHistoryEntry(h) => OwnedWrite::AppendHistoryEntry(h.clone()),
            Write::AppendSignalArchive(a) => OwnedWrite::AppendSignalArchive(a.clone()),
            Write::ReplaceCurrentSignals(s) => OwnedWrite::ReplaceCurrentSignals(s.to_vec()),
            Write::SaveRawEvents(e) => OwnedWrite::SaveRawEvents(e.to_vec()),
            Write::SaveFilteredEvents(e) => OwnedWrite::SaveFilteredEvents(e.to_vec()),
            Write::SaveFilteredMarkets(m) => OwnedWrite::SaveFilteredMarkets(m.to_vec()),
            Write::AppendMarketSnapshots(s) => OwnedWrite::AppendMarketSnapshots(s.to_vec()),
            Write::SetMetadata { key, value, at } => OwnedWrite::SetMetadata {
                key: key.to_owned(),
                value: value.to_owned(),
                at,
            },
        }
    }

    /// The data set whose route decides where this write goes. System
    /// metadata follows the portfolio, the first data set to migrate.
    pub fn data_set(&self) -> DataSet {
        match self {
            Write::SavePortfolio(_) | Write::AppendPortfolioSnapshot(_) => DataSet::Portfolio,
            Write::SetMetadata { .. } => DataSet::Portfolio,
            Write::AppendTrade(_) | Write::RecordExecution { .. } => DataSet::Trades,
            Write::AppendHistoryEntry(_) | Write::AppendSignalArchive(_) => DataSet::History,
            Write::ReplaceCurrentSignals(_) => DataSet::Signals,
            Write::SaveRawEvents(_)
            | Write::SaveFilteredEvents(_)
            | Write::SaveFilteredMarkets(_)
            | Write::AppendMarketSnapshots(_) => DataSet::Markets,
        }
    }

    /// The data sets whose JSON files this write changes. An execution moves
    /// the trade history and the portfolio that holds its position.
    pub fn touches(&self) -> &'static [DataSet] {
        match self {
            Write::RecordExecution { .. } => &[DataSet::Trades, DataSet::Portfolio],
            other => match other.data_set() {
                DataSet::Portfolio => &[DataSet::Portfolio],
                DataSet::Trades => &[DataSet::Trades],
                DataSet::History => &[DataSet::History],
                DataSet::Signals => &[DataSet::Signals],
                DataSet::Markets => &[DataSet::Markets],
            },
        }
    }

    /// The operation's name and natural key, for logs and the outbox listing.
    pub fn describe(&self) -> String {
        match self {
            Write::RecordExecution { trade, .. } => format!("record_execution {}", trade.trade_id),
            Write::SavePortfolio(p) => format!("save_portfolio {}", p.id),
            Write::AppendPortfolioSnapshot(s) => {
                format!(
                    "append_portfolio_snapshot {} {}",
                    s.portfolio_id, s.timestamp
                )
            }
            Write::AppendTrade(t) => format!("append_trade {}", t.trade_id),
            Write::AppendHistoryEntry(h) => format!("append_history_entry {}", h.timestamp),
            Write::AppendSignalArchive(a) => format!("append_signal_archive {}", a.archived_at),
            Write::ReplaceCurrentSignals(s) => format!("replace_current_signals ({})", s.len()),
            Write::SaveRawEvents(e) => format!("save_raw_events ({})", e.len()),
            Write::SaveFilteredEvents(e) => format!("save_filtered_events ({})", e.len()),
            Write::SaveFilteredMarkets(m) => format!("save_filtered_markets ({})", m.len()),
            Write::AppendMarketSnapshots(s) => format!("append_market_snapshots ({})", s.len()),
            Write::SetMetadata { key, .. } => format!("set_metadata {key}"),
        }
    }

    /// Send this write to one backend's ports.
    pub async fn apply(&self, stores: &Stores) -> Result<(), StoreError> {
        match *self {
            Write::RecordExecution {
                trade,
                portfolio,
                signal,
            } => {
                stores
                    .execution
                    .record_execution(trade, portfolio, signal)
                    .await
            }
            Write::SavePortfolio(p) => stores.portfolio.save_portfolio(p).await,
            Write::AppendPortfolioSnapshot(s) => {
                stores.portfolio.append_portfolio_snapshot(s).await
            }
            Write::AppendTrade(t) => stores.trades.append_trade(t).await,
            Write::AppendHistoryEntry(h) => stores.history.append_history_entry(h).await,
            Write::AppendSignalArchive(a) => stores.history.append_signal_archive(a).await,
            Write::ReplaceCurrentSignals(s) => stores.signals.replace_current_signals(s).await,
            Write::SaveRawEvents(e) => stores.markets.save_raw_events(e).await,
            Write::SaveFilteredEvents(e) => stores.markets.save_filtered_events(e).await,
            Write::SaveFilteredMarkets(m) => stores.markets.save_filtered_markets(m).await,
            Write::AppendMarketSnapshots(s) => stores.markets.append_market_snapshots(s).await,
            Write::SetMetadata { key, value, at } => {
                stores.metadata.set_metadata(key, value, at).await
            }
        }
    }
}
