//! Process-wide counts of what the JSON store repaired or set aside, for
//! logs, status and `/metrics` (every store of the process adds to them).

use std::sync::atomic::{AtomicU64, Ordering};

static TORN_TAILS: AtomicU64 = AtomicU64::new(0);
static CORRUPT_KEPT: AtomicU64 = AtomicU64::new(0);

pub(crate) fn torn_tail() {
    TORN_TAILS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn corrupt_kept() {
    CORRUPT_KEPT.fetch_add(1, Ordering::Relaxed);
}

/// Append-only files whose torn tail was cut back on open, in this process.
pub fn torn_tails_recovered() -> u64 {
    TORN_TAILS.load(Ordering::Relaxed)
}

/// Corrupt derived files moved aside (`<name>.corrupt-<time>`) before being
/// replaced, in this process.
pub fn corrupt_files_kept() -> u64 {
    CORRUPT_KEPT.load(Ordering::Relaxed)
}
