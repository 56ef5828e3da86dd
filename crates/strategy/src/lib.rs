//! Prescient's trading decisions: which events and markets are worth looking
//! at, and what to buy (SPEC §2 steps 2–4).
//!
//! Owns: the event filter ([`filter_events`]), the market filter
//! ([`filter_markets`], tradable binary markets only) and carrying the event
//! context onto the detailed `/markets` records ([`carry_event_context`]), the
//! recorded prices strategies look back on ([`PriceHistory`]), the
//! [`Strategy`] trait, the strategies ([`MostLikely`], [`FavouriteBand`],
//! [`LongshotFade`], [`Momentum`], [`NearResolution`]) and their registry
//! ([`registry`], [`build`]: stable names, typed and bounded parameters).
//!
//! Must not: touch storage or the network, or read the clock. `now` is always
//! passed in, so every rule is testable with fixed inputs. Persisting what a
//! step produced is the orchestrator's job.
//!
//! Start with [`filter_events`] → [`filter_markets`] → [`Strategy::generate`],
//! the order the cycle calls them in. Each filter returns a report that counts
//! every rejection under the first rule it failed. A new strategy is a module
//! here plus one line in `registry.rs`.

mod event_filter;
mod favourite_band;
mod history;
mod longshot_fade;
mod market_filter;
mod momentum;
mod most_likely;
mod near_resolution;
mod params;
mod registry;
mod signal;

pub use event_filter::{EventFilter, EventFilterReport, filter_events};
pub use favourite_band::FavouriteBand;
pub use history::{ClobPoint, HistoryError, PriceHistory, PricePoint};
pub use longshot_fade::LongshotFade;
pub use market_filter::{
    Carried, MarketFilter, MarketFilterReport, carry_event_context, filter_markets,
};
pub use momentum::Momentum;
pub use most_likely::MostLikely;
pub use near_resolution::NearResolution;
pub use params::{ParamKind, ParamSpec, ParamValue, Params, StrategyConfigError, StrategySpec};
pub use registry::{build, build_from_toml, registry};

use chrono::{DateTime, Utc};
use domain::{Market, Signal};

/// A trading strategy: turns the filtered markets of one cycle, and the
/// prices recorded before it, into signals.
///
/// Implementations are pure: the same markets, history and `now` give the
/// same signals. They read `history` only through its time-bounded accessors
/// with this `now`, so nothing recorded at or after `now` can change a
/// signal. Zero signals is a valid answer, not an error.
pub trait Strategy: Send + Sync {
    /// A stable name for summaries and logs (`"most_likely"`), the one the
    /// registry knows it by.
    fn name(&self) -> &str;

    /// The signals for `markets`, best first (confidence descending, ties in
    /// market order). Every signal carries `now` as its timestamp (one value
    /// for the batch), buys the side it names at that side's current price,
    /// and is not yet executed.
    fn generate(
        &self,
        markets: &[Market],
        history: &PriceHistory,
        now: DateTime<Utc>,
    ) -> Vec<Signal>;

    /// How far back before `now` this strategy reads `history`; `None` (the
    /// default) when it reads none, so a cycle loads no recorded prices
    /// for it.
    fn lookback(&self) -> Option<chrono::TimeDelta> {
        None
    }
}
