//! Polymarket's Gamma API as a [`MarketSource`]: every active event, and the
//! detailed records of chosen markets — live over HTTP ([`GammaClient`]) or
//! replayed from a recorded snapshot directory ([`SnapshotSource`]).
//!
//! Owns: fetching, pagination (keyset and offset), de-duplication, rate
//! limiting (exact sliding windows per endpoint family), retries with
//! backoff, counting records that do not decode (skipped one by one, never a
//! whole page), progress on the terminal, and recording snapshots for replay
//! ([`snapshot::write_snapshot`]). Decoding one Gamma object is
//! `domain::gamma` (shared with the stores).
//!
//! Must not: decide anything about trading, touch storage, or read settings
//! from the environment (callers pass a [`GammaConfig`] or a [`ClobConfig`]).
//!
//! Start here: [`MarketSource`] (the port), then [`snapshot::SnapshotSource`]
//! (replay, used by tests) and [`live::GammaClient`] (`live/mod.rs` lists its
//! modules). Price history of outcome tokens comes from the CLOB instead:
//! [`clob::ClobClient`] (`GET /prices-history`, in windows, rate-limited).

pub mod clob;
mod collect;
pub mod error;
pub mod live;
pub mod snapshot;
pub mod source;

pub use clob::{ClobClient, ClobConfig, HistoryStats, TokenHistory};
pub use error::ClientError;
pub use live::{GammaClient, GammaConfig, Pagination, Quotas};
pub use snapshot::{SnapshotSource, write_snapshot};
pub use source::{EventsFetch, FetchStats, MarketSource, MarketsFetch};
