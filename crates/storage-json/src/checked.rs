//! What this store knows of its timestamp-keyed append-only files without
//! reading them (issue #13: a cycle read every one of them whole, twice —
//! the preflight check and the first append's key scan — so its time and
//! memory grew with the history).
//!
//! `<dir>/.prescient-checked.json` records, per file, its stamp (length,
//! modification time, inode, change time, as `versions.rs` fingerprints
//! files) after this store last checked or appended to it, and the newest
//! instant any of its records holds. A file whose stamp still matches holds
//! exactly what this store left there: every record was checked when it was
//! read or before it was written, so it need not be read again, and a
//! record newer than the newest cannot have its key stored yet. A file
//! changed any other way (the Python system, an edit, a restore, a torn tail
//! cut back on open) no longer matches, and is read and checked whole as
//! before.
//!
//! The derived files a cycle rewrites from fresh data (the raw, filtered
//! events and markets, the current signals) are recorded too, with no
//! instant: one this store left as it is now is replaced without being
//! parsed first to see whether it must be kept aside as corrupt.
//!
//! The record is replaced atomically but not fsynced: one older than the
//! files (a power loss) does not match them, and one that does not parse is
//! ignored; either way the files are read again, never trusted blindly.

use crate::fsio::io_error;
use crate::store::Layout;
use chrono::{DateTime, Utc};
use domain::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

pub(crate) const CHECKED_FILE: &str = ".prescient-checked.json";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    stamp: String,
    /// The newest instant of the file's records (`None`: no record).
    newest: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
struct Cache {
    /// By path relative to the data directory.
    files: BTreeMap<String, Entry>,
    loaded: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Checked {
    cache: Mutex<Cache>,
}

/// What identifies a file's contents without reading them; `None` when it
/// does not exist.
pub(crate) fn stamp(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(format!(
        "{}:{}.{}:{}:{}.{}",
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ino(),
        m.ctime(),
        m.ctime_nsec()
    ))
}

/// A file as this store last left it: checked whole, its newest instant known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unchanged {
    pub newest: Option<DateTime<Utc>>,
}

impl Checked {
    /// `Some` when `path` is as this store last recorded it.
    pub fn unchanged(&self, layout: &Layout, path: &Path) -> Option<Unchanged> {
        let name = relative(layout, path)?;
        let current = stamp(path)?;
        let mut cache = self.lock();
        load(&mut cache, layout);
        let entry = cache.files.get(&name)?;
        (entry.stamp == current).then_some(Unchanged {
            newest: entry.newest,
        })
    }

    /// Record that `path`, as it is now, was checked whole (or written by
    /// this store from a checked state) and holds no instant after `newest`.
    /// Only a writer records; a failure to record is logged, never an error
    /// (the file is then read again next time).
    pub fn record(&self, layout: &Layout, path: &Path, newest: Option<DateTime<Utc>>) {
        let (Some(name), Some(stamp)) = (relative(layout, path), stamp(path)) else {
            return;
        };
        let mut cache = self.lock();
        load(&mut cache, layout);
        cache.files.insert(name, Entry { stamp, newest });
        if let Err(e) = persist(&cache, layout) {
            tracing::warn!(error = %e, "cannot record the checked files; they are read again next time");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic elsewhere leaves at worst an entry that no longer matches.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn relative(layout: &Layout, path: &Path) -> Option<String> {
    path.strip_prefix(&layout.dir)
        .ok()
        .map(|p| p.display().to_string())
}

/// Read the record once per process (this process is the directory's one
/// writer: nobody else changes it meanwhile).
fn load(cache: &mut Cache, layout: &Layout) {
    if cache.loaded {
        return;
    }
    cache.loaded = true;
    let path = layout.dir.join(CHECKED_FILE);
    cache.files = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(file = %path.display(), error = %e, "the checked-files record does not parse; every file is read again");
            BTreeMap::new()
        }),
        Err(_) => BTreeMap::new(),
    };
}

fn persist(cache: &Cache, layout: &Layout) -> Result<(), StoreError> {
    let path = layout.dir.join(CHECKED_FILE);
    let context = || format!("cannot write {}", path.display());
    let bytes = serde_json::to_vec_pretty(&cache.files).map_err(|e| StoreError::Backend {
        context: context(),
        source: Box::new(e),
    })?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".prescient-checked-")
        .suffix(".tmp")
        .tempfile_in(&layout.dir)
        .map_err(|e| io_error(context(), e))?;
    tmp.write_all(&bytes).map_err(|e| io_error(context(), e))?;
    tmp.persist(&path)
        .map_err(|e| io_error(context(), e.error))?;
    Ok(())
}
