//! The journal of dual writes (the "outbox"): every PostgreSQL half of a
//! DW/DR write, as a line of JSON in a local file, appended and fsynced
//! before the write is acknowledged, and removed only once PostgreSQL holds
//! it. It is the write-behind queue itself, so a crash loses no PostgreSQL
//! half: the next start replays what is left, in order. It is local because
//! it must work exactly when PostgreSQL does not answer.
//!
//! Each entry carries the versions of the data sets the write changed in
//! JSON, before and after it ([`VersionStep`]). Replay applies the write —
//! every PostgreSQL write is idempotent on its natural key, so an entry
//! replayed twice changes nothing — and then advances PostgreSQL's mirrored
//! version from `from` to `to`, only if it stood at `from`. A write
//! PostgreSQL rejects (or a line that does not parse) goes to the dead
//! letters (`<journal>.dead.jsonl`) instead of blocking the queue; its data
//! set's version is not advanced, so PostgreSQL stays *behind* for it, reads
//! go to JSON, and `phase advance` refuses until verify (with `--repair`)
//! brings it level.
//!
//! Locks: appends and the final trim hold `<journal>.lock` for a moment; a
//! replay holds `<journal>.replay.lock` throughout, so one process replays at
//! a time while others keep appending (a cycle never waits on PostgreSQL).

use crate::write::{OwnedWrite, Write};
use chrono::{DateTime, Utc};
use domain::ports::{DataVersion, Stores};
use domain::{DataSet, StoreError};
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use tokio::sync::Mutex;

/// How one write moved one data set's JSON version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionStep {
    pub data_set: String,
    pub from: DataVersion,
    pub to: DataVersion,
}

impl VersionStep {
    pub fn new(data_set: DataSet, from: DataVersion, to: DataVersion) -> Self {
        VersionStep {
            data_set: data_set.as_str().to_owned(),
            from,
            to,
        }
    }
}

/// One line of the journal.
#[derive(Debug, Serialize)]
struct EntryOut<'a> {
    seq: u64,
    queued_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "str::is_empty")]
    error: &'a str,
    #[serde(skip_serializing_if = "<[VersionStep]>::is_empty")]
    versions: &'a [VersionStep],
    write: Write<'a>,
}

#[derive(Debug, Deserialize)]
struct EntryIn {
    seq: u64,
    queued_at: DateTime<Utc>,
    #[serde(default)]
    error: String,
    #[serde(default)]
    versions: Vec<VersionStep>,
    write: OwnedWrite,
}

/// A queued write, as `outbox list` shows it.
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
    /// Data sets whose version PostgreSQL could not advance: a write of
    /// theirs was missed earlier, so they stay behind.
    pub behind: Vec<String>,
    /// Why the replay stopped early (PostgreSQL still down), if it did.
    pub stopped_by: Option<String>,
    /// The highest sequence number this replay saw (applied or not).
    #[serde(skip)]
    pub last_seq: u64,
}

/// The journal file.
pub struct Journal {
    path: PathBuf,
    /// In-process order of appends (and the next sequence number).
    appends: Mutex<Option<u64>>,
    /// In-process exclusion of replays (the file lock excludes processes).
    replays: Mutex<()>,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

/// A cross-process lock, held for one operation.
struct FileLock(std::fs::File);

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.0);
    }
}

fn lock_file(path: &Path) -> Result<FileLock, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io(format!("cannot open {}", path.display())))?;
    file.lock_exclusive()
        .map_err(io(format!("cannot lock {}", path.display())))?;
    Ok(FileLock(file))
}

impl Journal {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Journal {
            path: path.into(),
            appends: Mutex::new(None),
            replays: Mutex::new(()),
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
        lock_file(&self.path.with_extension("lock"))
    }

    /// Journal `write` durably (fsync) and return its sequence number.
    pub async fn append(
        &self,
        write: Write<'_>,
        versions: &[VersionStep],
    ) -> Result<u64, StoreError> {
        self.append_as(write, versions, Durable::Now).await
    }

    /// Journal `write`; with [`Durable::Later`] the entry is written but made
    /// durable only by the next [`Journal::sync`] (a batch of writes
    /// acknowledged together, [`crate::batch`]).
    pub(crate) async fn append_as(
        &self,
        write: Write<'_>,
        versions: &[VersionStep],
        durable: Durable,
    ) -> Result<u64, StoreError> {
        let mut next = self.appends.lock().await;
        let _lock = self.lock()?;
        let seq = match *next {
            Some(n) => n,
            None => self.last_seq()?.saturating_add(1),
        };
        let line = encode(seq, Utc::now(), "", versions, write)?;
        append_line(&self.path, line.as_bytes(), durable)?;
        *next = Some(seq.saturating_add(1));
        Ok(seq)
    }

    /// Make every entry appended so far durable (one fdatasync of the file).
    /// A trim that replaced the file meanwhile synced what it kept.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let _in_process = self.appends.lock().await;
        let _lock = self.lock()?;
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(format!("cannot open {}", self.path.display()))(e)),
        };
        file.sync_data()
            .map_err(io(format!("cannot sync {}", self.path.display())))
    }

    /// Set aside a write PostgreSQL rejected (not a matter of waiting).
    async fn push_dead(&self, line: &[u8], what: &str, error: &str) -> Result<(), StoreError> {
        append_line(&self.dead_letters(), line, Durable::Now)?;
        tracing::error!(write = %what, %error, file = %self.dead_letters().display(),
            "PostgreSQL rejected a dual write; set aside, its data set stays behind \
             (run `verify --repair`)");
        Ok(())
    }

    /// Entries waiting, oldest first.
    pub async fn pending(&self) -> Result<Vec<QueuedWrite>, StoreError> {
        let lines = {
            let _lock = self.lock()?;
            read_lines(&self.path)?
        };
        Ok(lines
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
        let _lock = self.lock()?;
        Ok(read_lines(&self.path)?.len())
    }

    /// Entries in the dead letters.
    pub fn dead_count(&self) -> usize {
        read_lines(&self.dead_letters())
            .map(|l| l.len())
            .unwrap_or(0)
    }

    /// The sequence number of the last entry in the file (0 when empty).
    fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(read_lines(&self.path)?
            .iter()
            .rev()
            .find_map(|l| serde_json::from_slice::<SeqOnly>(l).ok())
            .map(|e| e.seq)
            .unwrap_or(0))
    }

    /// Apply the journaled writes to `pg` in order, advancing its mirrored
    /// versions. Stops at the first write that fails because PostgreSQL is
    /// unavailable; a write it rejects, or a line that does not parse, goes
    /// to the dead letters and the replay goes on. What was done is then
    /// removed from the file; entries appended meanwhile stay.
    pub async fn replay(&self, pg: &Stores) -> Result<ReplayReport, StoreError> {
        let _in_process = self.replays.lock().await;
        let _replayer = lock_file(&self.path.with_extension("replay.lock"))?;
        let lines = {
            let _lock = self.lock()?;
            read_lines(&self.path)?
        };
        let mut report = ReplayReport::default();
        if lines.is_empty() {
            return Ok(report);
        }
        let mut done = 0;
        for (n, line) in lines.iter().enumerate() {
            let entry = match self.decode(n, line) {
                Ok(e) => e,
                Err(e) => {
                    self.push_dead(line, "(unreadable line)", &e.to_string())
                        .await?;
                    report.dead += 1;
                    done += 1;
                    continue;
                }
            };
            report.last_seq = report.last_seq.max(entry.seq);
            let write = entry.write.as_write();
            match write.apply(pg).await {
                Ok(_) => {}
                Err(e @ StoreError::Unavailable { .. }) => {
                    report.stopped_by = Some(e.to_string());
                    break;
                }
                Err(e) => {
                    self.push_dead(line, &write.describe(), &e.to_string())
                        .await?;
                    report.dead += 1;
                    done += 1;
                    continue;
                }
            }
            match advance(pg, &entry.versions, &mut report.behind).await {
                Ok(()) => {
                    report.replayed += 1;
                    done += 1;
                }
                Err(e) => {
                    report.stopped_by = Some(e.to_string());
                    break;
                }
            }
        }
        report.remaining = lines.len() - done;
        if done > 0 {
            let _lock = self.lock()?;
            let now = read_lines(&self.path)?;
            let left = now.get(done..).unwrap_or_default();
            rewrite(&self.path, left)?;
            report.remaining = left.len();
            tracing::debug!(
                replayed = report.replayed,
                dead = report.dead,
                remaining = report.remaining,
                "journal replayed"
            );
        }
        Ok(report)
    }

    fn decode(&self, n: usize, line: &[u8]) -> Result<EntryIn, StoreError> {
        serde_json::from_slice(line).map_err(|e| StoreError::Corrupt {
            path: self.path.display().to_string(),
            line: n + 1,
            column: e.column(),
            message: e.to_string(),
        })
    }
}

/// Advance PostgreSQL's version of each data set the write moved. One that
/// does not stand where the write started stays behind (named in `behind`).
async fn advance(
    pg: &Stores,
    steps: &[VersionStep],
    behind: &mut Vec<String>,
) -> Result<(), StoreError> {
    for step in steps {
        let Ok(data_set) = step.data_set.parse::<DataSet>() else {
            continue;
        };
        let advanced = pg
            .versions
            .advance_mirrored_version(data_set, &step.from, &step.to)
            .await?;
        if !advanced && !behind.contains(&step.data_set) {
            tracing::debug!(%data_set, from = %step.from, to = %step.to,
                "PostgreSQL was not at this write's starting version; the data set stays behind");
            behind.push(step.data_set.clone());
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}

fn encode(
    seq: u64,
    at: DateTime<Utc>,
    error: &str,
    versions: &[VersionStep],
    write: Write<'_>,
) -> Result<String, StoreError> {
    serde_json::to_string(&EntryOut {
        seq,
        queued_at: at,
        error,
        versions,
        write,
    })
    .map_err(|e| StoreError::Backend {
        context: "cannot encode a journal entry".into(),
        source: Box::new(e),
    })
}

/// The non-empty lines of a file, as bytes (a stray non-UTF-8 byte spoils
/// one line, not the file).
fn read_lines(path: &Path) -> Result<Vec<Vec<u8>>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(format!("cannot read {}", path.display()))(e)),
    };
    Ok(bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

/// Replace the file with the lines left: emptied in place when none are
/// left, else atomically (temp file, fsync, rename, directory fsync).
fn rewrite(path: &Path, left: &[Vec<u8>]) -> Result<(), StoreError> {
    if left.is_empty() {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(format!("cannot open {}", path.display())))?;
        return file
            .set_len(0)
            .and_then(|_| file.sync_all())
            .map_err(io(format!("cannot empty {}", path.display())));
    }
    let tmp = path.with_extension("jsonl.tmp");
    let mut out = Vec::new();
    for line in left {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    let mut file =
        std::fs::File::create(&tmp).map_err(io(format!("cannot create {}", tmp.display())))?;
    file.write_all(&out)
        .and_then(|_| file.sync_all())
        .map_err(io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io(format!("cannot replace {}", path.display())))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// When an appended entry is made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Durable {
    /// Before the append returns.
    Now,
    /// By the next [`Journal::sync`].
    Later,
}

/// Append one line (and fsync, with [`Durable::Now`]), starting a new line
/// first if a torn write left the file without its final newline.
fn append_line(path: &Path, line: &[u8], durable: Durable) -> Result<(), StoreError> {
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
    let mut text = Vec::with_capacity(line.len() + 2);
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(io(format!("cannot read {}", path.display())))?;
        if last[0] != b'\n' {
            text.push(b'\n');
        }
    }
    text.extend_from_slice(line);
    text.push(b'\n');
    file.write_all(&text)
        .and_then(|_| match durable {
            Durable::Now => file.sync_data(),
            Durable::Later => Ok(()),
        })
        .map_err(io(format!("cannot append to {}", path.display())))
}
