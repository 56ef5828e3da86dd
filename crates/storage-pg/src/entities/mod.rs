//! SeaORM entities, one module per table. Rows never leave the crate: the
//! modules under `convert/` turn them into domain types.

pub mod events;
pub mod market_snapshots;
pub mod markets;
pub mod portfolio_history;
pub mod portfolio_positions;
pub mod portfolio_snapshots;
pub mod portfolio_state;
pub mod signal_archives;
pub mod system_metadata;
pub mod trades;
pub mod trading_signals;
