//! Shadow reads (SPEC §6), in the manner of GitHub's Scientist: while a data
//! set is DW, a sample of its reads is repeated against PostgreSQL off the hot
//! path and compared with the JSON result. Mismatches are counted, logged with
//! the keys that differ, and shown in status; a phase does not advance over
//! one. The JSON result is always what the caller gets.

use domain::ports::Stores;
use domain::{DataSet, NaturalKey, Portfolio, StoreError};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

use crate::RoutingStats;

/// Keys of the last mismatches kept for status.
const KEPT_KEYS: usize = 50;

#[derive(Debug, Default)]
pub struct ShadowStats {
    pub reads: AtomicU64,
    pub mismatches: AtomicU64,
    pub errors: AtomicU64,
    keys: Mutex<Vec<String>>,
}

impl ShadowStats {
    /// The keys of the most recent mismatches.
    pub fn keys(&self) -> Vec<String> {
        self.keys.lock().map(|k| k.clone()).unwrap_or_default()
    }

    fn record(&self, what: &str, diff: Vec<String>) {
        self.mismatches.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(read = what, keys = ?diff, "shadow read: PostgreSQL differs from JSON");
        if let Ok(mut keys) = self.keys.lock() {
            keys.extend(diff.into_iter().map(|k| format!("{what}: {k}")));
            let excess = keys.len().saturating_sub(KEPT_KEYS);
            keys.drain(..excess);
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send>>;

/// How to repeat one read against PostgreSQL and compare the results.
pub struct ShadowRead<T> {
    fetch: Box<dyn Fn(Stores) -> BoxFuture<T> + Send + Sync>,
    diff: fn(&T, &T) -> Vec<String>,
    copy: fn(&T) -> T,
}

impl<T: Compare + Clone + Send + Sync + 'static> ShadowRead<T> {
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Stores) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        ShadowRead {
            fetch: Box::new(move |s| Box::pin(fetch(s))),
            diff: <T as Compare>::diff,
            copy: T::clone,
        }
    }
}

/// One mismatch as `<state dir>/shadow_mismatches.jsonl` keeps it, so that
/// `phase advance` (another process) sees what the runtime found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mismatch {
    pub at: chrono::DateTime<chrono::Utc>,
    pub data_set: String,
    pub read: String,
    pub keys: Vec<String>,
}

/// The persisted mismatches of a state directory.
#[derive(Clone, Debug)]
pub struct MismatchLog {
    path: std::path::PathBuf,
}

impl MismatchLog {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        MismatchLog { path: path.into() }
    }

    fn append(&self, m: &Mismatch) {
        let line = match serde_json::to_string(m) {
            Ok(l) => l,
            Err(_) => return,
        };
        let result = (|| {
            use std::io::Write as _;
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            writeln!(f, "{line}")?;
            f.sync_data()
        })();
        if let Err(e) = result {
            tracing::error!(file = %self.path.display(), error = %e, "cannot record a shadow mismatch");
        }
    }

    /// Every mismatch recorded (lines that do not parse are skipped).
    pub fn load(&self) -> Vec<Mismatch> {
        std::fs::read(&self.path)
            .map(|b| {
                b.split(|c| *c == b'\n')
                    .filter_map(|l| serde_json::from_slice(l).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forget the mismatches of `data_sets` (a verify found them clean).
    pub fn clear(&self, data_sets: &[DataSet]) -> std::io::Result<()> {
        let names: Vec<&str> = data_sets.iter().map(|d| d.as_str()).collect();
        let left: Vec<Mismatch> = self
            .load()
            .into_iter()
            .filter(|m| !names.contains(&m.data_set.as_str()))
            .collect();
        if left.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        let mut out = String::new();
        for m in &left {
            if let Ok(l) = serde_json::to_string(m) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        std::fs::write(&tmp, out)?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// A sampler of shadow reads against one PostgreSQL store.
pub struct Shadow {
    log: Option<MismatchLog>,
    json: Stores,
    pg: Stores,
    every: u64,
    seen: AtomicU64,
    stats: Arc<RoutingStats>,
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl Shadow {
    /// Shadow one read in `every` (1 = all).
    pub fn new(json: Stores, pg: Stores, every: u64, stats: Arc<RoutingStats>) -> Self {
        Shadow {
            log: None,
            json,
            pg,
            every: every.max(1),
            seen: AtomicU64::new(0),
            stats,
            running: Mutex::new(Vec::new()),
        }
    }

    /// Also record every mismatch in `log`.
    pub fn with_log(mut self, log: MismatchLog) -> Self {
        self.log = Some(log);
        self
    }

    /// Return `value` (the JSON result) and, when sampled, compare it with
    /// PostgreSQL's in the background — only while PostgreSQL is current for
    /// the data set: a write still on its way is not a mismatch.
    pub fn observe<T: Send + 'static>(
        &self,
        data_set: DataSet,
        what: &str,
        value: T,
        read: ShadowRead<T>,
    ) -> T {
        if self.seen.fetch_add(1, Ordering::Relaxed) % self.every != 0 {
            return value;
        }
        let json = (read.copy)(&value);
        let json_stores = self.json.clone();
        let pg = self.pg.clone();
        let stats = self.stats.clone();
        let log = self.log.clone();
        let what = what.to_owned();
        let handle = tokio::spawn(async move {
            if !crate::currency::is_current(&json_stores, &pg, data_set)
                .await
                .unwrap_or(false)
            {
                return;
            }
            stats.shadow.reads.fetch_add(1, Ordering::Relaxed);
            match (read.fetch)(pg).await {
                Ok(pg_value) => {
                    let diff = (read.diff)(&json, &pg_value);
                    if !diff.is_empty() {
                        if let Some(log) = &log {
                            log.append(&Mismatch {
                                at: chrono::Utc::now(),
                                data_set: data_set.as_str().to_owned(),
                                read: what.clone(),
                                keys: diff.clone(),
                            });
                        }
                        stats.shadow.record(&what, diff);
                    }
                }
                Err(e) => {
                    stats.shadow.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(read = %what, error = %e, "shadow read failed");
                }
            }
        });
        if let Ok(mut running) = self.running.lock() {
            running.retain(|h| !h.is_finished());
            running.push(handle);
        }
        value
    }

    /// Wait for the shadow reads in flight (tests, shutdown).
    pub async fn settle(&self) {
        let handles: Vec<_> = self
            .running
            .lock()
            .map(|mut r| r.drain(..).collect())
            .unwrap_or_default();
        for h in handles {
            let _ = h.await;
        }
    }
}

/// Compare a JSON result with PostgreSQL's: the keys that differ.
pub trait Compare {
    fn diff(&self, pg: &Self) -> Vec<String>;
}

impl<T: NaturalKey + PartialEq> Compare for Vec<T> {
    fn diff(&self, pg: &Self) -> Vec<String> {
        let theirs: BTreeMap<String, &T> = pg.iter().map(|r| (r.natural_key(), r)).collect();
        let ours: BTreeMap<String, &T> = self.iter().map(|r| (r.natural_key(), r)).collect();
        let mut out = Vec::new();
        for (k, v) in &ours {
            match theirs.get(k) {
                None => out.push(format!("{k} missing in PostgreSQL")),
                Some(p) if *p != *v => out.push(format!("{k} differs")),
                Some(_) => {}
            }
        }
        for k in theirs.keys().filter(|k| !ours.contains_key(*k)) {
            out.push(format!("{k} extra in PostgreSQL"));
        }
        out
    }
}

impl Compare for Option<Portfolio> {
    fn diff(&self, pg: &Self) -> Vec<String> {
        match (self, pg) {
            (None, None) => vec![],
            (Some(p), None) => vec![format!("portfolio {} missing in PostgreSQL", p.id)],
            (None, Some(p)) => vec![format!("portfolio {} extra in PostgreSQL", p.id)],
            (Some(a), Some(b)) => {
                let mut out = Vec::new();
                if (
                    a.balance,
                    a.total_invested,
                    a.trade_count,
                    a.initial_balance,
                ) != (
                    b.balance,
                    b.total_invested,
                    b.trade_count,
                    b.initial_balance,
                ) {
                    out.push(format!("portfolio {} totals differ", a.id));
                }
                out.extend(
                    a.positions
                        .diff(&b.positions)
                        .into_iter()
                        .map(|k| format!("position {k}")),
                );
                out
            }
        }
    }
}
