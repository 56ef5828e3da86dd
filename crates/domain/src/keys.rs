//! Natural keys: what identifies a record across the two stores. Defined once
//! here, so verify and the shadow reads of the routed store name a record the
//! same way and agree on what "the same record" is.

use crate::time::format_timestamp;
use crate::{
    Event, FilteredEvent, Market, MarketSnapshot, Portfolio, PortfolioHistoryEntry,
    PortfolioSnapshot, Position, Signal, SignalArchive, Trade,
};

/// A record's natural key, as text.
pub trait NaturalKey {
    fn natural_key(&self) -> String;
}

impl NaturalKey for Portfolio {
    fn natural_key(&self) -> String {
        self.id.to_string()
    }
}
impl NaturalKey for Position {
    /// A position is the trade that opened it.
    fn natural_key(&self) -> String {
        self.trade_id.to_string()
    }
}
impl NaturalKey for Trade {
    fn natural_key(&self) -> String {
        self.trade_id.to_string()
    }
}
impl NaturalKey for PortfolioSnapshot {
    fn natural_key(&self) -> String {
        format_timestamp(self.timestamp)
    }
}
impl NaturalKey for PortfolioHistoryEntry {
    fn natural_key(&self) -> String {
        format_timestamp(self.timestamp)
    }
}
impl NaturalKey for SignalArchive {
    fn natural_key(&self) -> String {
        format_timestamp(self.archived_at)
    }
}
impl NaturalKey for Signal {
    /// One signal per market, action and moment.
    fn natural_key(&self) -> String {
        format!(
            "{} {} {}",
            self.market_id,
            self.action,
            format_timestamp(self.timestamp)
        )
    }
}
impl NaturalKey for Event {
    fn natural_key(&self) -> String {
        self.id.to_string()
    }
}
impl NaturalKey for FilteredEvent {
    fn natural_key(&self) -> String {
        self.event.id.to_string()
    }
}
impl NaturalKey for Market {
    fn natural_key(&self) -> String {
        self.id.to_string()
    }
}
impl NaturalKey for MarketSnapshot {
    fn natural_key(&self) -> String {
        format!("{}@{}", self.market_id, format_timestamp(self.timestamp))
    }
}
