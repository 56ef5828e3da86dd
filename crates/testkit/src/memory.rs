//! The in-memory store, now its own crate (`storage-memory`); re-exported
//! here so tests keep naming it `testkit::memory::MemoryStore`.

pub use storage_memory::{MemoryState, MemoryStore};
