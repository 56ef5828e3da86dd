//! O(1) append to a JSON-array file (SPEC §4: one append costs the same at
//! 100 records as at 1,000,000; the original re-read and re-wrote the file).
//!
//! The file stays a valid, pretty-printed JSON array that Python's
//! `json.load` reads. To append we find the closing `]` from the end
//! (skipping trailing whitespace), write `,\n  {record}\n]\n` over it and
//! fsync. A missing file is created as `[\n  {record}\n]\n`, an empty `[]`
//! array becomes one. When the tail is not a `]` (a truncated or corrupt file)
//! nothing is written and the error names the file.
//!
//! Idempotency (the port contract: appending a stored key changes nothing)
//! needs the keys already in the file. [`KeyIndex`] keeps them per file in
//! memory, built lazily by one O(n) scan on the first append to that file in
//! this process; every later append is O(1). The index is valid because one
//! process writes a data directory at a time (the lock in `lock.rs`). The
//! scan reads every record the way a load does (checked whole), so a record
//! that would not load stops the first append, before anything is written.
//!
//! Keys are unique: in files appended with [`OnConflict::Refuse`] (trades),
//! each key also carries a fingerprint of its record, and appending a stored
//! key with other content is [`StoreError::Conflict`] instead of a silent
//! no-op (the new record would otherwise be lost).
//!
//! A timestamp-keyed file this store left as it is now (`checked.rs`) is not
//! scanned at all when every record appended is newer than its newest: no
//! stored record can have that key. The first append of a process used to
//! read the whole file (a month of signal archives) to learn its keys.
//!
//! Crash window: the record is written over the old `]`; a crash in the middle
//! of that write leaves a torn tail, which the next writer to open the store
//! cuts back to its last complete record (torn.rs).

use crate::checked::Checked;
use crate::fsio::{self, io_error};
use crate::store::Layout;
use chrono::{DateTime, Utc};
use domain::StoreError;
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Reads the natural key and fingerprint of every record of one file (the
/// O(n) scan), checking each record as a load does.
pub(crate) type KeyScanner<'a> = &'a dyn Fn(&Path, &[u8]) -> Result<Scanned, StoreError>;

/// What a key scan found: every record's key and fingerprint, and the newest
/// instant of the records (timestamp-keyed files; `None` for the others).
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub keys: Vec<(String, Fingerprint)>,
    pub newest: Option<DateTime<Utc>>,
}

/// The keys known of one file, and the newest instant of its records.
#[derive(Debug, Default)]
struct FileKeys {
    keys: HashMap<String, Fingerprint>,
    newest: Option<DateTime<Utc>>,
}

/// Where a writer records the files it checked (`checked.rs`).
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    pub checked: &'a Checked,
    pub layout: &'a Layout,
}

/// A hash of a record's canonical JSON text (as Prescient writes it).
pub(crate) type Fingerprint = u64;

/// What an append does with a key that is already stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnConflict {
    /// Same key: nothing written, whatever the content (timestamp-keyed
    /// series, where a replay re-sends what is there).
    Skip,
    /// Same key and content: nothing written; other content: an error.
    Refuse,
}

/// Per-file stored keys (with fingerprints), built on first append.
#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    files: Mutex<HashMap<PathBuf, FileKeys>>,
}

/// One record to append: its natural key, its pretty JSON text indented as
/// an item of the array, and the fingerprint of that text.
pub(crate) struct Keyed {
    pub key: String,
    pub json: String,
    pub fingerprint: Fingerprint,
    /// The instant the key names, in a timestamp-keyed file.
    pub instant: Option<DateTime<Utc>>,
}

impl Keyed {
    /// Render `record` pretty (fields in declaration order, like the
    /// original's dicts; a `Value` would sort them).
    pub(crate) fn new<T: serde::Serialize>(key: String, record: &T) -> Result<Self, StoreError> {
        // Rendered as the one item of an array, then unwrapped: the text is
        // indented one level as an item, with no second copy to indent it
        // (a cycle's signal archive is megabytes).
        let mut json =
            serde_json::to_string_pretty(&[record]).map_err(|e| StoreError::Backend {
                context: format!("cannot serialize record {key}"),
                source: Box::new(e),
            })?;
        json.truncate(json.trim_end_matches(']').trim_end().len());
        json.drain(..json.len() - json.trim_start_matches('[').trim_start_matches('\n').len());
        let fingerprint = fingerprint(&json);
        Ok(Keyed {
            key,
            json,
            fingerprint,
            instant: None,
        })
    }

    /// A record of a timestamp-keyed file, keyed by (or at) `instant`.
    pub(crate) fn timed(self, instant: DateTime<Utc>) -> Self {
        Keyed {
            instant: Some(instant),
            ..self
        }
    }
}

/// The oldest and newest instant of `records`, when there are records and
/// every one has an instant.
fn span(records: &[Keyed]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for record in records {
        let at = record.instant?;
        span = Some(span.map_or((at, at), |(old, new)| (old.min(at), new.max(at))));
    }
    span
}

pub(crate) fn fingerprint(json: &str) -> Fingerprint {
    let mut h = DefaultHasher::new();
    json.hash(&mut h);
    h.finish()
}

impl KeyIndex {
    /// Forget what is known of `path` (the file was removed or replaced).
    pub(crate) fn forget(&self, path: &Path) {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(path);
    }

    /// Append the records whose key is not stored yet; returns how many were
    /// written. Callers serialize writers (the store's write lock). With
    /// `record`, a timestamp-keyed file is recorded as checked after the
    /// append, and one recorded so is not scanned when every record is newer
    /// than its newest.
    pub(crate) fn append(
        &self,
        path: &Path,
        records: Vec<Keyed>,
        scan: KeyScanner<'_>,
        on_conflict: OnConflict,
        record: Option<Record<'_>>,
    ) -> Result<usize, StoreError> {
        // A writer that panicked mid-append may have left the index behind
        // the file: start again from the files.
        let mut files = self.files.lock().unwrap_or_else(|poisoned| {
            let mut files = poisoned.into_inner();
            files.clear();
            files
        });
        if !files.contains_key(path) {
            let unchanged = record.and_then(|r| r.checked.unchanged(r.layout, path));
            if let (Some(unchanged), Some((oldest, newest))) = (unchanged, span(&records)) {
                if unchanged.newest.is_none_or(|stored| oldest > stored) {
                    return append_unseen(path, records, record, Some(newest));
                }
            }
            let scanned = match fsio::read_bytes(path)? {
                Some(bytes) => scan(path, &bytes)?,
                None => Scanned::default(),
            };
            files.insert(
                path.to_path_buf(),
                FileKeys {
                    keys: scanned.keys.into_iter().collect(),
                    newest: scanned.newest,
                },
            );
        }
        let known = files.entry(path.to_path_buf()).or_default();
        let mut fresh = records;
        let keep = {
            // The keys of this append so far (borrowed: a batch is ten
            // thousand market snapshots), with their fingerprints: a key
            // twice in one append is the same record twice or a conflict.
            let mut batch: HashMap<&str, Fingerprint> = HashMap::new();
            let mut keep = Vec::with_capacity(fresh.len());
            for record in &fresh {
                let stored = known
                    .keys
                    .get(&record.key)
                    .or_else(|| batch.get(record.key.as_str()));
                match stored {
                    Some(stored)
                        if on_conflict == OnConflict::Refuse && *stored != record.fingerprint =>
                    {
                        return Err(StoreError::Conflict {
                            location: path.display().to_string(),
                            key: record.key.clone(),
                        });
                    }
                    Some(_) => keep.push(false),
                    None => {
                        batch.insert(&record.key, record.fingerprint);
                        keep.push(true);
                    }
                }
            }
            keep
        };
        retain_marked(&mut fresh, &keep);
        if fresh.is_empty() {
            return Ok(0);
        }
        append_to_array(path, &items(&fresh))?;
        let written = fresh.len();
        let span = span(&fresh);
        known
            .keys
            .extend(fresh.into_iter().map(|r| (r.key, r.fingerprint)));
        if let (Some(r), Some((_, newest))) = (record, span) {
            known.newest = known.newest.max(Some(newest));
            r.checked.record(r.layout, path, known.newest);
        }
        Ok(written)
    }
}

/// Append to a file whose stored keys are all older than every record's:
/// only the batch's own repeats are left out.
fn append_unseen(
    path: &Path,
    records: Vec<Keyed>,
    record: Option<Record<'_>>,
    newest: Option<DateTime<Utc>>,
) -> Result<usize, StoreError> {
    let mut fresh = records;
    let keep: Vec<bool> = {
        let mut batch = HashSet::new();
        fresh.iter().map(|r| batch.insert(r.key.as_str())).collect()
    };
    retain_marked(&mut fresh, &keep);
    if fresh.is_empty() {
        return Ok(0);
    }
    append_to_array(path, &items(&fresh))?;
    if let Some(r) = record {
        r.checked.record(r.layout, path, newest);
    }
    Ok(fresh.len())
}

/// Keep the records `keep` marks (one mark per record, in order), in place.
fn retain_marked(records: &mut Vec<Keyed>, keep: &[bool]) {
    let mut marks = keep.iter();
    records.retain(|_| marks.next().copied().unwrap_or(false));
}

/// The records' texts, as array items.
fn items(fresh: &[Keyed]) -> Vec<&str> {
    fresh.iter().map(|r| r.json.as_str()).collect()
}

/// Write `items` (each a record's text, indented as an item) as the array's
/// last items, straight from their texts.
pub(crate) fn append_to_array(path: &Path, items: &[&str]) -> Result<(), StoreError> {
    let context = || format!("cannot append to {}", path.display());
    let existed = path.exists();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io_error(context(), e))?;
    let len = file.metadata().map_err(|e| io_error(context(), e))?.len();
    let (offset, opening) = if !existed && len == 0 {
        (0, "[\n")
    } else {
        match tail(&mut file, len).map_err(|e| io_error(context(), e))? {
            Tail::EmptyArray { after_open } => (after_open, "\n"),
            Tail::Items { close } => (close, ",\n"),
            Tail::NotAnArray if len == 0 => (0, "[\n"),
            Tail::NotAnArray => return Err(not_an_array(path, &mut file, len)),
        }
    };
    const CLOSING: &str = "\n]\n";
    const BETWEEN: &str = ",\n";
    let text_len = opening.len()
        + items.iter().map(|i| i.len()).sum::<usize>()
        + BETWEEN.len() * items.len().saturating_sub(1)
        + CLOSING.len();
    let write_text = |file: &mut File| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        out.write_all(opening.as_bytes())?;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.write_all(BETWEEN.as_bytes())?;
            }
            out.write_all(item.as_bytes())?;
        }
        out.write_all(CLOSING.as_bytes())?;
        out.flush()
    };
    // The old tail (from the offset on) is put back if the write fails part
    // way (a full disk), so a failed append leaves a valid array behind.
    let mut old_tail = Vec::new();
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_to_end(&mut old_tail))
        .map_err(|e| io_error(context(), e))?;
    let written = file
        .seek(SeekFrom::Start(offset))
        .and_then(|_| write_text(&mut file))
        .and_then(|_| file.set_len(offset + text_len as u64))
        .and_then(|_| file.sync_data());
    if let Err(e) = written {
        let restored = file
            .set_len(offset)
            .and_then(|_| file.seek(SeekFrom::Start(offset)))
            .and_then(|_| file.write_all(&old_tail))
            .and_then(|_| file.sync_data());
        if let Err(again) = restored {
            tracing::error!(file = %path.display(), error = %again, "could not restore the file after a failed append");
        }
        return Err(io_error(context(), e));
    }
    if !existed {
        if let Some(dir) = path.parent() {
            fsio::sync_dir(dir)?;
        }
    }
    Ok(())
}

enum Tail {
    /// `[` then only whitespace then `]`: write after the `[`.
    EmptyArray {
        after_open: u64,
    },
    /// The final `]` of a non-empty array is at `close`.
    Items {
        close: u64,
    },
    NotAnArray,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Find the closing bracket and what precedes it, reading backwards in chunks.
fn tail(file: &mut File, len: u64) -> std::io::Result<Tail> {
    let Some((close, b)) = last_non_ws(file, len)? else {
        return Ok(Tail::NotAnArray);
    };
    if b != b']' {
        return Ok(Tail::NotAnArray);
    }
    match last_non_ws(file, close)? {
        Some((open, b'[')) => Ok(Tail::EmptyArray {
            after_open: open + 1,
        }),
        Some(_) => Ok(Tail::Items { close }),
        None => Ok(Tail::NotAnArray),
    }
}

/// The last non-whitespace byte before `end`, with its offset.
fn last_non_ws(file: &mut File, end: u64) -> std::io::Result<Option<(u64, u8)>> {
    const CHUNK: u64 = 4096;
    let mut end = end;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| !is_ws(b)) {
            return Ok(Some((start + i as u64, buf[i])));
        }
        end = start;
    }
    Ok(None)
}

/// The error for a file whose tail is not a closing `]`, positioned at its end.
fn not_an_array(path: &Path, file: &mut File, len: u64) -> StoreError {
    let mut bytes = Vec::new();
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes));
    if let Err(e) = read {
        return io_error(format!("cannot read {}", path.display()), e);
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        Err(e) => {
            let mut err = fsio::corrupt(path, &e);
            if let (StoreError::Corrupt { message, .. }, Some(_)) =
                (&mut err, crate::torn::torn_cut(&bytes))
            {
                message.push_str(
                    " (its tail is torn; it is cut back to its last complete record when the data directory is next opened for writing)",
                );
            }
            err
        }
        Ok(_) => {
            let line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = bytes.iter().rev().take_while(|&&b| b != b'\n').count();
            StoreError::Corrupt {
                path: path.display().to_string(),
                line,
                column,
                message: format!("not a JSON array ({len} bytes): cannot append"),
            }
        }
    }
}
