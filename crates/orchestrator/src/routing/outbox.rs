//! The outbox of failed dual writes (SPEC §6 failure semantics): a local file
//! of JSON lines, one write per line, in order. It is local because it must
//! work exactly when PostgreSQL does not answer. Replay applies the entries
//! in order — every PostgreSQL write is idempotent on its natural key, so an
//! entry replayed twice changes nothing — and rewrites the file (atomically)
//! with what is left.

use super::write::{OwnedWrite, Write};
use chrono::{DateTime, Utc};
use domain::StoreError;
use domain::ports::Stores;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tokio::sync::Mutex;

/// One line of the outbox file.
#[derive(Debug, Serialize)]
struct EntryOut<'a> {
    seq: u64,
    queued_at: DateTime<Utc>,
    error: &'a str,
    write: Write<'a>,
}

#[derive(Debug, Deserialize)]
struct EntryIn {
    seq: u64,
    queued_at: DateTime<Utc>,
    error: String,
    write: OwnedWrite,
}

/// A queued write, as `xtask outbox` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct QueuedWrite {
    pub seq: u64,
    pub queued_at: DateTime<Utc>,
    pub what: String,
    pub error: String,
}

/// What a replay did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    pub replayed: usize,
    pub remaining: usize,
    /// Why the replay stopped early (PostgreSQL still down), if it did.
    pub stopped_by: Option<String>,
}

pub struct Outbox {
    path: PathBuf,
    lock: Mutex<()>,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

impl Outbox {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Outbox {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queue a write that PostgreSQL did not take.
    pub async fn push(&self, write: Write<'_>, error: &str) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let entries = self.read_entries()?;
        let seq = entries.last().map(|e| e.seq + 1).unwrap_or(1);
        let line = serde_json::to_string(&EntryOut {
            seq,
            queued_at: Utc::now(),
            error,
            write,
        })
        .map_err(|e| StoreError::Backend {
            context: "cannot encode an outbox entry".into(),
            source: Box::new(e),
        })?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io(format!("cannot open {}", self.path.display())))?;
        writeln!(file, "{line}")
            .map_err(io(format!("cannot append to {}", self.path.display())))?;
        file.sync_data()
            .map_err(io(format!("cannot sync {}", self.path.display())))?;
        tracing::warn!(seq, write = %write.describe(), %error, "PostgreSQL write queued in the outbox");
        Ok(())
    }

    /// Entries waiting, oldest first.
    pub async fn pending(&self) -> Result<Vec<QueuedWrite>, StoreError> {
        let _guard = self.lock.lock().await;
        Ok(self
            .read_entries()?
            .into_iter()
            .map(|e| QueuedWrite {
                seq: e.seq,
                queued_at: e.queued_at,
                what: e.write.as_write().describe(),
                error: e.error,
            })
            .collect())
    }

    /// How many writes wait.
    pub async fn depth(&self) -> Result<usize, StoreError> {
        let _guard = self.lock.lock().await;
        Ok(self.read_entries()?.len())
    }

    /// Apply the queued writes to `pg` in order; stop at the first failure.
    pub async fn replay(&self, pg: &Stores) -> Result<ReplayReport, StoreError> {
        let _guard = self.lock.lock().await;
        let entries = self.read_entries()?;
        if entries.is_empty() {
            return Ok(ReplayReport::default());
        }
        let mut done = 0;
        let mut stopped_by = None;
        for entry in &entries {
            match entry.write.as_write().apply(pg).await {
                Ok(()) => done += 1,
                Err(e) => {
                    stopped_by = Some(e.to_string());
                    break;
                }
            }
        }
        if done > 0 {
            self.rewrite(&entries[done..])?;
            tracing::info!(
                replayed = done,
                remaining = entries.len() - done,
                "outbox replayed"
            );
        }
        Ok(ReplayReport {
            replayed: done,
            remaining: entries.len() - done,
            stopped_by,
        })
    }

    fn read_entries(&self) -> Result<Vec<EntryIn>, StoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("cannot read {}", self.path.display()))(e)),
        };
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let entry: EntryIn = serde_json::from_str(line).map_err(|e| StoreError::Corrupt {
                path: self.path.display().to_string(),
                line: n + 1,
                column: e.column(),
                message: e.to_string(),
            })?;
            entries.push(entry);
        }
        Ok(entries)
    }

    /// Atomically replace the file with the entries left.
    fn rewrite(&self, left: &[EntryIn]) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = String::new();
        for e in left {
            let line = serde_json::to_string(&EntryOut {
                seq: e.seq,
                queued_at: e.queued_at,
                error: &e.error,
                write: e.write.as_write(),
            })
            .map_err(|err| StoreError::Backend {
                context: "cannot encode an outbox entry".into(),
                source: Box::new(err),
            })?;
            out.push_str(&line);
            out.push('\n');
        }
        let mut file =
            std::fs::File::create(&tmp).map_err(io(format!("cannot create {}", tmp.display())))?;
        file.write_all(out.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(io(format!("cannot write {}", tmp.display())))?;
        std::fs::rename(&tmp, &self.path)
            .map_err(io(format!("cannot replace {}", self.path.display())))?;
        Ok(())
    }
}
