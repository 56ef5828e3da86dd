//! Write-behind: the PostgreSQL halves of dual writes are applied from the
//! journal by one background task, in order, so a cycle waits only on JSON
//! (its truth) and the journal's fsync. The queue *is* the journal file, so a
//! crash loses nothing queued; what is left is replayed at the next start.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Notify, watch};

/// What the writers and the task share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Wakes the task: a write was journaled.
    pub wake: Notify,
    /// Journal appends made by this process.
    pub appended: AtomicU64,
    /// Appends the task has dealt with: applied, set aside, or left in the
    /// journal because PostgreSQL did not answer.
    pub attempted: watch::Sender<u64>,
}

impl Shared {
    pub fn new() -> Arc<Self> {
        Arc::new(Shared {
            wake: Notify::new(),
            appended: AtomicU64::new(0),
            attempted: watch::channel(0).0,
        })
    }

    /// A write was journaled: count it and wake the task.
    pub fn journaled(&self) {
        self.counted();
        self.wake.notify_one();
    }

    /// A write was journaled in a batch: count it; the batch wakes the task
    /// when it ends ([`crate::batch`]).
    pub fn counted(&self) {
        self.appended.fetch_add(1, Ordering::SeqCst);
    }
}

/// Waits for the write-behind task (before a process exits).
#[derive(Clone, Debug)]
pub struct FlushHandle {
    pub(crate) shared: Arc<Shared>,
}

impl FlushHandle {
    /// Return once every write journaled so far has been applied to
    /// PostgreSQL, set aside, or found undeliverable for now (it stays in the
    /// journal for the next start).
    pub async fn flush(&self) {
        let target = self.shared.appended.load(Ordering::SeqCst);
        let mut attempted = self.shared.attempted.subscribe();
        self.shared.wake.notify_one();
        let _ = attempted.wait_for(|done| *done >= target).await;
    }

    /// Journaled writes the task has not dealt with yet.
    pub fn pending(&self) -> u64 {
        let appended = self.shared.appended.load(Ordering::SeqCst);
        appended.saturating_sub(*self.shared.attempted.borrow())
    }
}
