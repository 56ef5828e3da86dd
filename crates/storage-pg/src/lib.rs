//! Prescient's PostgreSQL store: every storage port of [`domain::ports`] over
//! the schema of the `migration` crate (SPEC §5).
//!
//! Owns: the SeaORM entities (`entities/`, one module per table), the
//! conversions between rows and domain types (`convert/`, one module per
//! table — rows never leave the crate), the port implementations (`ports/`),
//! executing trades as one transaction ([`PgStore::record_executions`]),
//! closing positions as another ([`PgStore::record_settlements`]),
//! batched bulk writes, connection settings ([`PgConfig`]), keeping the
//! password out of every output ([`redact`]), the health check, the price
//! history of outcome tokens (`price_history.rs`, a PostgreSQL-only API
//! beside the ports) and the records of their markets
//! (`price_history_markets.rs`), and (feature `testing`) throw-away migrated test databases
//! ([`testing::TestDb`]) and failpoints.
//!
//! Must not: know about JSON files, the migration phases or routing, or the
//! trading rules. It stores what it is given and reads back exactly that.
//!
//! Start here: [`PgStore`] (store.rs: opening, migrating, health), then
//! `ports/` for how each port maps onto tables, and the migration files for
//! the schema and why it deviates from the plan.
//!
//! Modelling decisions worth knowing before changing a query:
//! - the raw and the filtered event sets are separate `events` rows, told
//!   apart by `is_filtered` (`ports/markets.rs`);
//! - each portfolio's current signal set is its `trading_signals` rows with
//!   `is_current`; executed signals stay as the record of their trade link
//!   (`ports/signals.rs`);
//! - a trade row is inserted once; its settlement (`status`,
//!   `realized_pnl`, `closed_at`) is the one update, with the portfolio in
//!   one transaction ([`PgStore::record_settlements`]); a bulk copy takes
//!   the settlement it is given (`ports/trades.rs`);
//! - decimals are normalized and instants truncated to microseconds on the
//!   way through (`convert/mod.rs`);
//! - `load_metadata` hides the schema-owned `schema_version` and the seeded
//!   empty values (`ports/metadata.rs`).

mod config;
mod convert;
mod entities;
mod error;
mod execution;
mod maintenance;
mod ports;
mod price_history;
mod price_history_markets;
pub mod redact;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use config::{
    CONNECT_TIMEOUT_VAR, HEALTH_TIMEOUT_VAR, LibpqConnection, POOL_SIZE_VAR, PgConfig,
};
pub use error::{PgError, STORE};
pub use execution::ExecutionStep;
pub use maintenance::ScratchDb;
pub use ports::BATCH_ROWS;
pub use price_history::{MarketHistorySpan, StoredSpan};
pub use store::PgStore;
