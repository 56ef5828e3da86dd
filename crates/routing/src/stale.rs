//! Stale reads: in phase 6 (route `D`) PostgreSQL is the truth and the JSON
//! files stopped being written when the phase began. When PostgreSQL is
//! unavailable, a read made *for display* may answer from those files
//! (`DATABASE_FALLBACK_TO_JSON`, on by default), marked stale with the time
//! of the JSON data.
//!
//! Only reads run inside [`allow_stale`] may fall back. Everything else — a
//! trading cycle above all — fails cleanly instead: a cycle that read a
//! portfolio as of last week and then wrote it to a PostgreSQL that came
//! back meanwhile would overwrite the truth with the stale copy.
//!
//! The scope is a task-local, so concurrent requests each learn whether
//! *their* reads were stale; the routed store's [`crate::RoutingStats`]
//! also keep a process-wide count and "stale since" for status.

use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static SCOPE: Arc<Mutex<Option<DateTime<Utc>>>>;
}

/// Run `read` with stale answers allowed; returns its output and, when any
/// read in it answered from the JSON files, the time of that JSON data (the
/// oldest, if several). Use only for reads whose answer is shown, never for
/// work that writes.
pub async fn allow_stale<F: Future>(read: F) -> (F::Output, Option<DateTime<Utc>>) {
    let seen = Arc::new(Mutex::new(None));
    let out = SCOPE.scope(seen.clone(), read).await;
    let since = seen.lock().map(|g| *g).unwrap_or_default();
    (out, since)
}

/// Whether the running task may be answered stale.
pub(crate) fn allowed() -> bool {
    SCOPE.try_with(|_| ()).is_ok()
}

/// Note, in the running task's scope, a stale answer with data as of `at`.
pub(crate) fn note(at: DateTime<Utc>) {
    let _ = SCOPE.try_with(|seen| {
        if let Ok(mut g) = seen.lock() {
            *g = Some(g.map_or(at, |old: DateTime<Utc>| old.min(at)));
        }
    });
}
