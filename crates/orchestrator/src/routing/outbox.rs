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

/// The outbox file and, once read, how many entries it holds and the next
/// sequence number. One process owns the data directory (its lock), so the
/// counts stay true between reads; `depth` is then free on the hot path.
pub struct Outbox {
    path: PathBuf,
    lock: Mutex<Option<Counts>>,
}

#[derive(Clone, Copy, Debug)]
struct Counts {
    len: usize,
    next_seq: u64,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

impl Outbox {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Outbox {
            path: path.into(),
            lock: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queue a write that PostgreSQL did not take.
    pub async fn push(&self, write: Write<'_>, error: &str) -> Result<(), StoreError> {
        let mut guard = self.lock.lock().await;
        let counts = self.counts(&mut guard)?;
        let seq = counts.next_seq;
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
        *guard = Some(Counts {
            len: counts.len + 1,
            next_seq: seq + 1,
        });
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
        let mut guard = self.lock.lock().await;
        Ok(self.counts(&mut guard)?.len)
    }

    /// The cached counts, read from the file the first time.
    fn counts(&self, cache: &mut Option<Counts>) -> Result<Counts, StoreError> {
        if let Some(c) = *cache {
            return Ok(c);
        }
        let entries = self.read_entries()?;
        let counts = Counts {
            len: entries.len(),
            next_seq: entries.last().map(|e| e.seq + 1).unwrap_or(1),
        };
        *cache = Some(counts);
        Ok(counts)
    }

    /// Apply the queued writes to `pg` in order; stop at the first failure.
    /// Entries are decoded one at a time, so a replay that fails at once (the
    /// database is still down) costs one line, not the whole file.
    pub async fn replay(&self, pg: &Stores) -> Result<ReplayReport, StoreError> {
        let mut guard = self.lock.lock().await;
        let counts = self.counts(&mut guard)?;
        if counts.len == 0 {
            return Ok(ReplayReport::default());
        }
        let lines = self.read_lines()?;
        let mut done = 0;
        let mut stopped_by = None;
        for (n, line) in lines.iter().enumerate() {
            let entry = self.decode(n, line)?;
            match entry.write.as_write().apply(pg).await {
                Ok(()) => done += 1,
                Err(e) => {
                    stopped_by = Some(e.to_string());
                    break;
                }
            }
        }
        *guard = Some(Counts {
            len: lines.len() - done,
            next_seq: counts.next_seq,
        });
        if done > 0 {
            self.rewrite(&lines[done..])?;
            tracing::info!(
                replayed = done,
                remaining = lines.len() - done,
                "outbox replayed"
            );
        }
        Ok(ReplayReport {
            replayed: done,
            remaining: lines.len() - done,
            stopped_by,
        })
    }

    /// The non-empty lines of the file.
    fn read_lines(&self) -> Result<Vec<String>, StoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("cannot read {}", self.path.display()))(e)),
        };
        Ok(text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect())
    }

    fn decode(&self, n: usize, line: &str) -> Result<EntryIn, StoreError> {
        serde_json::from_str(line).map_err(|e| StoreError::Corrupt {
            path: self.path.display().to_string(),
            line: n + 1,
            column: e.column(),
            message: e.to_string(),
        })
    }

    fn read_entries(&self) -> Result<Vec<EntryIn>, StoreError> {
        self.read_lines()?
            .iter()
            .enumerate()
            .map(|(n, line)| self.decode(n, line))
            .collect()
    }

    /// Atomically replace the file with the lines left.
    fn rewrite(&self, left: &[String]) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = String::new();
        for line in left {
            out.push_str(line);
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
