//! Writes acknowledged together: inside [`acknowledged_together`], a dual
//! write's journal entry is appended but not yet fsynced, and the whole
//! batch is made durable by one fsync of the journal when the batch ends,
//! before its caller learns that any of its writes succeeded. A trading
//! cycle is one batch: it reports success (a summary, exit 0, HTTP 200) only
//! at its end, so one fsync instead of one per write keeps the rule that a
//! queued write is durable before it is acknowledged.
//!
//! What a crash in the middle of a batch can cost: the tail of the batch's
//! entries (its writes were never acknowledged). Their JSON halves may be
//! on disk, so PostgreSQL is *behind* for those data sets — the versions
//! tell, exactly as after a crash between a JSON write and its journal
//! entry — reads of them answer JSON, and the next start copies them level
//! (`ops::resync`). An entry that survives without an earlier one cannot
//! advance PostgreSQL's version (it did not start where PostgreSQL stands).
//!
//! The write-behind task is woken once, at the end of the batch, so it does
//! not compete with the batch for the disk and the processor.
//!
//! The scope is a task-local (as [`crate::stale::allow_stale`]): writes made
//! by other tasks meanwhile are journaled and synced one by one as before.

use crate::RoutingStats;
use crate::behind::Shared;
use crate::journal::Journal;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// A journal with entries appended in this batch and not yet synced.
struct Pending {
    journal: Arc<Journal>,
    behind: Option<Arc<Shared>>,
    stats: Arc<RoutingStats>,
}

#[derive(Default)]
struct Batch {
    pending: Mutex<Vec<Pending>>,
}

tokio::task_local! {
    static BATCH: Arc<Batch>;
}

/// Run `work` as one batch of writes acknowledged together: its dual writes'
/// journal entries are fsynced once, when it ends (also when it fails), and
/// only then is its output returned. Inside another batch, `work` joins it.
pub async fn acknowledged_together<F: Future>(work: F) -> F::Output {
    if active() {
        return work.await;
    }
    let batch = Arc::new(Batch::default());
    let out = BATCH.scope(batch.clone(), work).await;
    let pending = std::mem::take(
        &mut *batch
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for p in pending {
        if let Err(e) = p.journal.sync().await {
            // As a failed append: the entries may not survive a crash, and
            // then their data sets are behind until resync or verify.
            p.stats.outbox_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, journal = %p.journal.path().display(),
                "the journal could not be synced at the end of a batch; PostgreSQL may be \
                 behind for its data sets after a crash, until `verify --repair`");
        }
        if let Some(shared) = p.behind {
            shared.wake.notify_one();
        }
    }
    out
}

fn active() -> bool {
    BATCH.try_with(|_| ()).is_ok()
}

/// Inside a batch, note that `journal` is to be synced (and the write-behind
/// task, if any, woken) when it ends, and return `true`: the caller appends
/// without a sync. Outside one, `false`: the caller syncs and wakes at once.
pub(crate) fn defer(
    journal: &Arc<Journal>,
    behind: Option<&Arc<Shared>>,
    stats: &Arc<RoutingStats>,
) -> bool {
    BATCH
        .try_with(|batch| {
            let mut pending = batch
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !pending.iter().any(|p| Arc::ptr_eq(&p.journal, journal)) {
                pending.push(Pending {
                    journal: journal.clone(),
                    behind: behind.cloned(),
                    stats: stats.clone(),
                });
            }
            true
        })
        .unwrap_or(false)
}
