//! Polymarket's Gamma API as a [`MarketSource`]: every active event, and the
//! detailed records of chosen markets.
//!
//! Owns: fetching (live HTTP, or a recorded snapshot directory), pagination,
//! rate limiting, retries, counting of records that do not decode, and
//! recording snapshots for replay. Decoding one Gamma object is
//! `domain::gamma` (shared with the stores).
//!
//! Must not: decide anything about trading, or touch storage.
//!
//! Start with [`MarketSource`], then [`snapshot::SnapshotSource`].

pub mod error;
pub mod snapshot;
pub mod source;

pub use error::ClientError;
pub use snapshot::SnapshotSource;
pub use source::{EventsFetch, FetchStats, MarketSource, MarketsFetch};
