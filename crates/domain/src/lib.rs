//! Prescient's domain: the types a paper-trading cycle works with, the rules of
//! money, prices and time, and the storage ports every store implements.
//!
//! Owns: [`Event`]/[`Market`] (and the lenient decoding of Gamma's payloads into
//! them, so the client and both stores read Gamma objects the same way),
//! [`Signal`], [`Trade`], [`Position`], [`Portfolio`] and its invariant,
//! history and snapshot records, price history of outcome tokens
//! ([`price_history`]), the storage ports in [`ports`], and the
//! migration [`Phase`] → [`Route`] table, and in [`validate`] the limits a
//! record must respect for every store to hold it.
//!
//! Must not: do I/O, know about files, SQL, HTTP or a tokio runtime, or read the
//! clock. Time and ids are passed in, so every rule is testable with fixed inputs.
//!
//! Start with [`portfolio`] (the invariant) and [`ports`] (what a store must do).

pub mod error;
pub mod event;
pub mod gamma;
pub mod history;
pub mod ids;
pub mod keys;
pub mod market;
pub mod money;
pub mod phase;
pub mod portfolio;
pub mod ports;
pub mod price_history;
pub mod raw;
pub mod signal;
pub mod time;
pub mod trade;
pub mod validate;

pub use error::{DomainError, StoreError};
pub use event::{Event, FilteredEvent};
pub use history::{
    Drawdown, HistorySummary, MarketSnapshot, PortfolioHistoryEntry, PortfolioSnapshot,
    SignalArchive,
};
pub use ids::{EventId, MarketId, PortfolioId, TradeId};
pub use keys::NaturalKey;
pub use market::{EventContext, Market, Resolution};
pub use money::{Price, Shares, Usd};
pub use phase::{DataSet, EffectiveRoute, OverrideRefused, Overrides, Phase, Route};
pub use portfolio::{Portfolio, Position, PositionStatus};
pub use price_history::{HistoryPoint, Outcome, OutcomeTokens, PricePoint, PriceSource, TokenId};
pub use raw::RawJson;
pub use signal::{Action, LEGACY_STRATEGY, Signal};
pub use trade::{Trade, TradeEvent, TradeSettlement};
pub use validate::{Invalid, Validate};

/// Fields a record arrived with that Prescient does not model. They are kept
/// and written back unchanged, so a file the original wrote keeps every field.
pub type Extra = serde_json::Map<String, serde_json::Value>;
