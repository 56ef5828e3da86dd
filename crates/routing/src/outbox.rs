//! The outbox of failed dual writes (SPEC §6 failure semantics): a local file
//! of JSON lines, one write per line, in order. It is local because it must
//! work exactly when PostgreSQL does not answer. Replay applies the entries
//! in order — every PostgreSQL write is idempotent on its natural key, so an
//! entry replayed twice changes nothing — and rewrites the file (atomically)
//! with what is left.
//!
//! - Every access holds an exclusive lock on `<outbox>.lock`, so a running
//!   cycle and `xtask outbox replay` never lose or reorder each other's entries.
//! - Only "PostgreSQL unavailable" waits in the queue. A write PostgreSQL
//!   *rejects* would block every later one forever; it goes to the dead
//!   letters (`<outbox>.dead.jsonl`), is counted and logged, and verify/repair
//!   mends the data set. A line that does not parse (a torn write) goes there
//!   too instead of stopping the queue.

use super::write::{OwnedWrite, Write};
use chrono::{DateTime, Utc};
use domain::StoreError;
use domain::ports::Stores;
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom, Write as _};
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
    /// Entries PostgreSQL rejected (or that did not parse), moved to the dead letters.
    pub dead: usize,
    /// Why the replay stopped early (PostgreSQL still down), if it did.
    pub stopped_by: Option<String>,
}

/// The outbox file, and the count of entries as last seen, valid while the
/// file keeps the length it had then (another process appending changes it).
pub struct Outbox {
    path: PathBuf,
    cache: Mutex<Option<Counts>>,
}

#[derive(Clone, Copy, Debug)]
struct Counts {
    len: usize,
    next_seq: u64,
    file_len: u64,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

/// The cross-process lock, held for one operation.
struct FileLock(std::fs::File);

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.0);
    }
}

impl Outbox {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Outbox {
            path: path.into(),
            cache: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where rejected and unreadable entries go.
    pub fn dead_letters(&self) -> PathBuf {
        self.path.with_extension("dead.jsonl")
    }

    fn lock(&self) -> Result<FileLock, StoreError> {
        let path = self.path.with_extension("lock");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(format!("cannot open {}", path.display())))?;
        file.lock_exclusive()
            .map_err(io(format!("cannot lock {}", path.display())))?;
        Ok(FileLock(file))
    }

    fn file_len(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    /// Queue a write that PostgreSQL did not take because it was unavailable.
    pub async fn push(&self, write: Write<'_>, error: &str) -> Result<(), StoreError> {
        let mut cache = self.cache.lock().await;
        let _lock = self.lock()?;
        let counts = self.counts(&mut cache)?;
        let seq = counts.next_seq;
        let line = encode(seq, Utc::now(), error, write)?;
        append_line(&self.path, &line)?;
        *cache = Some(Counts {
            len: counts.len + 1,
            next_seq: seq + 1,
            file_len: self.file_len(),
        });
        tracing::warn!(seq, write = %write.describe(), %error, "PostgreSQL write queued in the outbox");
        Ok(())
    }

    /// Set aside a write PostgreSQL rejected (not a matter of waiting).
    pub async fn push_dead(&self, write: Write<'_>, error: &str) -> Result<(), StoreError> {
        let _cache = self.cache.lock().await;
        let _lock = self.lock()?;
        let line = encode(0, Utc::now(), error, write)?;
        append_line(&self.dead_letters(), &line)?;
        tracing::error!(write = %write.describe(), %error, file = %self.dead_letters().display(),
            "PostgreSQL rejected a dual write; set aside (run `cargo xtask verify --repair`)");
        Ok(())
    }

    /// Entries waiting, oldest first.
    pub async fn pending(&self) -> Result<Vec<QueuedWrite>, StoreError> {
        let _cache = self.cache.lock().await;
        let _lock = self.lock()?;
        Ok(self
            .read_lines()?
            .iter()
            .enumerate()
            .filter_map(|(n, line)| self.decode(n, line).ok())
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
        let mut cache = self.cache.lock().await;
        if let Some(c) = *cache {
            if c.file_len == self.file_len() {
                return Ok(c.len);
            }
        }
        let _lock = self.lock()?;
        Ok(self.counts(&mut cache)?.len)
    }

    /// The counts, re-read when the file changed since they were taken.
    fn counts(&self, cache: &mut Option<Counts>) -> Result<Counts, StoreError> {
        let file_len = self.file_len();
        if let Some(c) = *cache {
            if c.file_len == file_len {
                return Ok(c);
            }
        }
        let lines = self.read_lines()?;
        let next_seq = lines
            .iter()
            .rev()
            .find_map(|l| serde_json::from_str::<SeqOnly>(l).ok())
            .map(|e| e.seq + 1)
            .unwrap_or(1);
        let counts = Counts {
            len: lines.len(),
            next_seq,
            file_len,
        };
        *cache = Some(counts);
        Ok(counts)
    }

    /// Apply the queued writes to `pg` in order. Stops at the first that
    /// fails because PostgreSQL is unavailable; a write it rejects, or a line
    /// that does not parse, goes to the dead letters and the replay goes on.
    /// Entries are decoded one at a time, so a replay that fails at once (the
    /// database is still down) costs one line, not the whole file.
    pub async fn replay(&self, pg: &Stores) -> Result<ReplayReport, StoreError> {
        let mut cache = self.cache.lock().await;
        let _lock = self.lock()?;
        let counts = self.counts(&mut cache)?;
        if counts.len == 0 {
            return Ok(ReplayReport::default());
        }
        let lines = self.read_lines()?;
        let mut report = ReplayReport::default();
        let mut dead = Vec::new();
        let mut done = 0;
        for (n, line) in lines.iter().enumerate() {
            let entry = match self.decode(n, line) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(error = %e, "an outbox line does not parse; set aside");
                    dead.push(line.clone());
                    done += 1;
                    continue;
                }
            };
            match entry.write.as_write().apply(pg).await {
                Ok(()) => {
                    report.replayed += 1;
                    done += 1;
                }
                Err(e @ StoreError::Unavailable { .. }) => {
                    report.stopped_by = Some(e.to_string());
                    break;
                }
                Err(e) => {
                    tracing::error!(seq = entry.seq, error = %e, "PostgreSQL rejected a queued write; set aside");
                    dead.push(line.clone());
                    done += 1;
                }
            }
        }
        for line in &dead {
            append_line(&self.dead_letters(), line)?;
        }
        report.dead = dead.len();
        report.remaining = lines.len() - done;
        if done > 0 {
            self.rewrite(&lines[done..])?;
            tracing::info!(
                replayed = report.replayed,
                dead = report.dead,
                remaining = report.remaining,
                "outbox replayed"
            );
        }
        *cache = Some(Counts {
            len: report.remaining,
            next_seq: counts.next_seq,
            file_len: self.file_len(),
        });
        Ok(report)
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

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}

fn encode(
    seq: u64,
    at: DateTime<Utc>,
    error: &str,
    write: Write<'_>,
) -> Result<String, StoreError> {
    serde_json::to_string(&EntryOut {
        seq,
        queued_at: at,
        error,
        write,
    })
    .map_err(|e| StoreError::Backend {
        context: "cannot encode an outbox entry".into(),
        source: Box::new(e),
    })
}

/// Append one line, starting a new line first if a torn write left the file
/// without its final newline.
fn append_line(path: &Path, line: &str) -> Result<(), StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(io(format!("cannot open {}", path.display())))?;
    let len = file
        .metadata()
        .map_err(io(format!("cannot stat {}", path.display())))?
        .len();
    let mut text = String::with_capacity(line.len() + 2);
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(io(format!("cannot read {}", path.display())))?;
        if last[0] != b'\n' {
            text.push('\n');
        }
    }
    text.push_str(line);
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|_| file.sync_data())
        .map_err(io(format!("cannot append to {}", path.display())))
}
