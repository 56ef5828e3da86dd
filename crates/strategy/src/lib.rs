//! Prescient's trading decisions: which events and markets are worth looking
//! at, and what to buy (SPEC §2 steps 2–4).
//!
//! Owns: the event filter ([`filter_events`]), the market filter
//! ([`filter_markets`], tradable binary markets only) and carrying the event
//! context onto the detailed `/markets` records ([`carry_event_context`]), the
//! [`Strategy`] trait, and the strategies ([`MostLikely`]).
//!
//! Must not: touch storage or the network, or read the clock. `now` is always
//! passed in, so every rule is testable with fixed inputs. Persisting what a
//! step produced is the orchestrator's job.
//!
//! Start with [`filter_events`] → [`filter_markets`] → [`Strategy::generate`],
//! the order the cycle calls them in. Each filter returns a report that counts
//! every rejection under the first rule it failed.

mod event_filter;
mod market_filter;
mod most_likely;

pub use event_filter::{EventFilter, EventFilterReport, filter_events};
pub use market_filter::{MarketFilter, MarketFilterReport, carry_event_context, filter_markets};
pub use most_likely::MostLikely;

use chrono::{DateTime, Utc};
use domain::{Market, Signal};

/// A trading strategy: turns the filtered markets of one cycle into signals.
///
/// Implementations are pure: the same markets and `now` give the same signals.
/// Zero signals is a valid answer, not an error.
pub trait Strategy: Send + Sync {
    /// A stable name for summaries and logs (`"most_likely"`).
    fn name(&self) -> &str;

    /// The signals for `markets`, best first. Every signal carries `now` as its
    /// timestamp (one value for the batch) and is not yet executed.
    fn generate(&self, markets: &[Market], now: DateTime<Utc>) -> Vec<Signal>;
}
