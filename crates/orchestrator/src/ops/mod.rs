//! The migration's operator commands as library code (`cargo xtask` calls
//! these): phase status, gated advance and rollback, backfill, verify and
//! repair, backup and restore, the JSON archive, the outbox.
//!
//! Everything goes through the storage ports, except what only a concrete
//! store can do (bulk inserts, emptying a data set, scratch databases).

pub mod archive;
pub mod backup;
pub mod context;
pub mod copy;
pub mod error;
pub mod gates;
pub mod phase;
pub mod resync;
pub mod verify;

pub use context::Migration;
pub use error::OpsError;
