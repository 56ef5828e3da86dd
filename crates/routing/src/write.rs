//! Writes as values: what the routed store sends to each backend, and what
//! the outbox keeps when PostgreSQL does not answer. A borrowed [`Write`] is
//! applied and serialized without cloning; an [`OwnedWrite`] is read back
//! from the outbox and replayed.
//!
//! Journal entries outlive a release: an [`OwnedWrite`] still reads the
//! shapes older Prescients wrote (`replace_current_signals` of the one,
//! default, portfolio; records without a portfolio or a strategy read with
//! the domain's defaults).

use chrono::{DateTime, Utc};
use domain::ports::Stores;
use domain::{
    DataSet, Event, FilteredEvent, Market, MarketSnapshot, Portfolio, PortfolioHistoryEntry,
    PortfolioId, PortfolioSnapshot, Signal, SignalArchive, StoreError, Trade, TradeSettlement,
};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The portfolio of journal entries written before there were several.
static DEFAULT_PORTFOLIO: LazyLock<PortfolioId> = LazyLock::new(PortfolioId::default);

/// One write through a port, borrowing its data.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(tag = "op", content = "payload", rename_all = "snake_case")]
pub enum Write<'a> {
    RecordExecutions {
        trades: &'a [Trade],
        portfolio: &'a Portfolio,
        signals: &'a [Signal],
    },
    RecordSettlements {
        portfolio: &'a Portfolio,
        settlements: &'a [TradeSettlement],
    },
    SavePortfolio(&'a Portfolio),
    AppendPortfolioSnapshot(&'a PortfolioSnapshot),
    AppendTrade(&'a Trade),
    SettleTrade(&'a TradeSettlement),
    AppendHistoryEntry(&'a PortfolioHistoryEntry),
    AppendSignalArchive(&'a SignalArchive),
    ReplacePortfolioSignals {
        portfolio: &'a PortfolioId,
        signals: &'a [Signal],
    },
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
    RecordExecutions {
        trades: Vec<Trade>,
        portfolio: Portfolio,
        signals: Vec<Signal>,
    },
    /// One execution, as journaled before a cycle recorded its executions
    /// together (never written any more).
    RecordExecution {
        trade: Trade,
        portfolio: Portfolio,
        signal: Option<Signal>,
    },
    RecordSettlements {
        portfolio: Portfolio,
        settlements: Vec<TradeSettlement>,
    },
    SavePortfolio(Portfolio),
    AppendPortfolioSnapshot(PortfolioSnapshot),
    AppendTrade(Trade),
    SettleTrade(TradeSettlement),
    AppendHistoryEntry(PortfolioHistoryEntry),
    AppendSignalArchive(SignalArchive),
    ReplacePortfolioSignals {
        portfolio: PortfolioId,
        signals: Vec<Signal>,
    },
    /// The current signals of the default portfolio, as journaled before
    /// there were several portfolios (never written any more).
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
            OwnedWrite::RecordExecutions {
                trades,
                portfolio,
                signals,
            } => Write::RecordExecutions {
                trades,
                portfolio,
                signals,
            },
            OwnedWrite::RecordExecution {
                trade,
                portfolio,
                signal,
            } => Write::RecordExecutions {
                trades: std::slice::from_ref(trade),
                portfolio,
                signals: signal
                    .as_ref()
                    .map(std::slice::from_ref)
                    .unwrap_or_default(),
            },
            OwnedWrite::RecordSettlements {
                portfolio,
                settlements,
            } => Write::RecordSettlements {
                portfolio,
                settlements,
            },
            OwnedWrite::SavePortfolio(p) => Write::SavePortfolio(p),
            OwnedWrite::AppendPortfolioSnapshot(s) => Write::AppendPortfolioSnapshot(s),
            OwnedWrite::AppendTrade(t) => Write::AppendTrade(t),
            OwnedWrite::SettleTrade(s) => Write::SettleTrade(s),
            OwnedWrite::AppendHistoryEntry(h) => Write::AppendHistoryEntry(h),
            OwnedWrite::AppendSignalArchive(a) => Write::AppendSignalArchive(a),
            OwnedWrite::ReplacePortfolioSignals { portfolio, signals } => {
                Write::ReplacePortfolioSignals { portfolio, signals }
            }
            OwnedWrite::ReplaceCurrentSignals(signals) => Write::ReplacePortfolioSignals {
                portfolio: &DEFAULT_PORTFOLIO,
                signals,
            },
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
            Write::RecordExecutions {
                trades,
                portfolio,
                signals,
            } => OwnedWrite::RecordExecutions {
                trades: trades.to_vec(),
                portfolio: portfolio.clone(),
                signals: signals.to_vec(),
            },
            Write::RecordSettlements {
                portfolio,
                settlements,
            } => OwnedWrite::RecordSettlements {
                portfolio: portfolio.clone(),
                settlements: settlements.to_vec(),
            },
            Write::SavePortfolio(p) => OwnedWrite::SavePortfolio(p.clone()),
            Write::AppendPortfolioSnapshot(s) => OwnedWrite::AppendPortfolioSnapshot(s.clone()),
            Write::AppendTrade(t) => OwnedWrite::AppendTrade(t.clone()),
            Write::SettleTrade(s) => OwnedWrite::SettleTrade(s.clone()),
            Write::AppendHistoryEntry(h) => OwnedWrite::AppendHistoryEntry(h.clone()),
            Write::AppendSignalArchive(a) => OwnedWrite::AppendSignalArchive(a.clone()),
            Write::ReplacePortfolioSignals { portfolio, signals } => {
                OwnedWrite::ReplacePortfolioSignals {
                    portfolio: portfolio.clone(),
                    signals: signals.to_vec(),
                }
            }
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
            Write::AppendTrade(_)
            | Write::SettleTrade(_)
            | Write::RecordExecutions { .. }
            | Write::RecordSettlements { .. } => DataSet::Trades,
            Write::AppendHistoryEntry(_) | Write::AppendSignalArchive(_) => DataSet::History,
            Write::ReplacePortfolioSignals { .. } => DataSet::Signals,
            Write::SaveRawEvents(_)
            | Write::SaveFilteredEvents(_)
            | Write::SaveFilteredMarkets(_)
            | Write::AppendMarketSnapshots(_) => DataSet::Markets,
        }
    }

    /// The data sets whose JSON files this write changes. An execution moves
    /// the trade history and the portfolio that holds its position; closing
    /// positions, the trade records and the portfolio.
    pub fn touches(&self) -> &'static [DataSet] {
        match self {
            Write::RecordExecutions { .. } | Write::RecordSettlements { .. } => {
                &[DataSet::Trades, DataSet::Portfolio]
            }
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
            Write::RecordExecutions { trades, .. } => match trades {
                [one] => format!("record_executions {}", one.trade_id),
                [first, .., last] => format!(
                    "record_executions {}..{} ({})",
                    first.trade_id,
                    last.trade_id,
                    trades.len()
                ),
                [] => "record_executions (0)".into(),
            },
            Write::RecordSettlements {
                portfolio,
                settlements,
            } => format!(
                "record_settlements {} ({})",
                portfolio.id,
                settlements.len()
            ),
            Write::SavePortfolio(p) => format!("save_portfolio {}", p.id),
            Write::AppendPortfolioSnapshot(s) => {
                format!(
                    "append_portfolio_snapshot {} {}",
                    s.portfolio_id, s.timestamp
                )
            }
            Write::AppendTrade(t) => format!("append_trade {}", t.trade_id),
            Write::SettleTrade(s) => format!("settle_trade {} {}", s.portfolio_id, s.trade_id),
            Write::AppendHistoryEntry(h) => {
                format!("append_history_entry {} {}", h.portfolio_id, h.timestamp)
            }
            Write::AppendSignalArchive(a) => {
                format!("append_signal_archive {} {}", a.portfolio_id, a.archived_at)
            }
            Write::ReplacePortfolioSignals { portfolio, signals } => {
                format!("replace_current_signals {portfolio} ({})", signals.len())
            }
            Write::SaveRawEvents(e) => format!("save_raw_events ({})", e.len()),
            Write::SaveFilteredEvents(e) => format!("save_filtered_events ({})", e.len()),
            Write::SaveFilteredMarkets(m) => format!("save_filtered_markets ({})", m.len()),
            Write::AppendMarketSnapshots(s) => format!("append_market_snapshots ({})", s.len()),
            Write::SetMetadata { key, .. } => format!("set_metadata {key}"),
        }
    }

    /// Send this write to one backend's ports. Returns whether the trade a
    /// [`Write::SettleTrade`] names is stored there (`true` for every other
    /// write).
    pub async fn apply(&self, stores: &Stores) -> Result<bool, StoreError> {
        match *self {
            Write::RecordExecutions {
                trades,
                portfolio,
                signals,
            } => {
                stores
                    .execution
                    .record_executions(trades, portfolio, signals)
                    .await
            }
            Write::RecordSettlements {
                portfolio,
                settlements,
            } => {
                stores
                    .execution
                    .record_settlements(portfolio, settlements)
                    .await
            }
            Write::SavePortfolio(p) => stores.portfolio.save_portfolio(p).await,
            Write::AppendPortfolioSnapshot(s) => {
                stores.portfolio.append_portfolio_snapshot(s).await
            }
            Write::AppendTrade(t) => stores.trades.append_trade(t).await,
            // A trade PostgreSQL does not hold is not an error when the
            // journal replays this: the data set comes level with a backfill.
            Write::SettleTrade(s) => return stores.trades.settle_trade(s).await,
            Write::AppendHistoryEntry(h) => stores.history.append_history_entry(h).await,
            Write::AppendSignalArchive(a) => stores.history.append_signal_archive(a).await,
            Write::ReplacePortfolioSignals { portfolio, signals } => {
                stores
                    .signals
                    .replace_current_signals(portfolio, signals)
                    .await
            }
            Write::SaveRawEvents(e) => stores.markets.save_raw_events(e).await,
            Write::SaveFilteredEvents(e) => stores.markets.save_filtered_events(e).await,
            Write::SaveFilteredMarkets(m) => stores.markets.save_filtered_markets(m).await,
            Write::AppendMarketSnapshots(s) => stores.markets.append_market_snapshots(s).await,
            Write::SetMetadata { key, value, at } => {
                stores.metadata.set_metadata(key, value, at).await
            }
        }
        .map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal entry an older Prescient wrote (before portfolios and
    /// strategies) still replays: the default portfolio's signal set, the
    /// original's strategy.
    #[test]
    fn journal_entries_from_before_portfolios_replay_as_the_default_portfolio() {
        let signal = serde_json::json!({
            "timestamp": "2025-10-20T17:02:45.884042Z",
            "market_id": "634159",
            "market_question": "Fed?",
            "action": "buy_yes",
            "outcome": "Yes",
            "target_price": "0.86",
            "amount": "100",
            "confidence": "0.36",
            "reason": "YES price 0.860 > 0.50, buying YES at 0.860",
            "yes_price": "0.86",
            "no_price": "0.14",
            "market_liquidity": null,
            "market_volume": null,
            "event_id": null,
            "event_title": null,
            "event_end_date": null,
            "executed": false,
            "executed_at": null,
            "trade_id": null,
            "extra": {}
        });
        let old = serde_json::json!({"op": "replace_current_signals", "payload": [signal]});
        let write: OwnedWrite = match serde_json::from_value(old) {
            Ok(w) => w,
            Err(e) => panic!("an old entry does not parse: {e}"),
        };
        let Write::ReplacePortfolioSignals { portfolio, signals } = write.as_write() else {
            panic!("{write:?}");
        };
        assert!(portfolio.is_default());
        assert_eq!(signals.len(), 1);
        assert!(signals[0].portfolio_id.is_default());
        assert_eq!(signals[0].strategy, domain::LEGACY_STRATEGY);
        assert_eq!(
            write.as_write().describe(),
            "replace_current_signals default (1)"
        );

        // What is journaled now reads back as itself.
        let now = Write::ReplacePortfolioSignals {
            portfolio: &PortfolioId::new("b"),
            signals: &[],
        };
        let text = match serde_json::to_string(&now) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let back: OwnedWrite = match serde_json::from_str(&text) {
            Ok(w) => w,
            Err(e) => panic!("{text}: {e}"),
        };
        assert_eq!(back.as_write().describe(), "replace_current_signals b (0)");
    }
}
