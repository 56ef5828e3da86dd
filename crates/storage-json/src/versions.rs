//! The data directory's own version of each data set
//! ([`domain::ports::VersionStore`]): PostgreSQL is current for a data set
//! only when the version it mirrors equals this one.
//!
//! `<dir>/.prescient-versions.json` records, per data set, an epoch, a write
//! count and the fingerprint (length, modification time, inode, change time)
//! of the data set's files after the last write this store made. Every write
//! through the store advances the count of each data set whose files it
//! changed. Files that changed any other way — the Python system, an edit by
//! hand, a restore, a crash between a data file and this record — no longer
//! match their fingerprint; the data set then starts a new epoch, which no
//! mirror holds, so PostgreSQL is behind until verify finds it level again.
//!
//! A data set is every portfolio's files of it (`portfolios/<id>/…` beside
//! the legacy files): a write to any portfolio's trades moves `trades`.
//!
//! The record is replaced atomically but not fsynced: after a power loss it
//! may be older than the data files, which then do not match its
//! fingerprints and start new epochs — safe, as a version is never reused.

use crate::fsio::{io_error, pretty, write_atomic};
use crate::store::Layout;
use domain::ports::DataVersion;
use domain::{DataSet, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

pub(crate) const VERSIONS_FILE: &str = ".prescient-versions.json";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Recorded {
    epoch: String,
    seq: u64,
    files: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct VersionsFile {
    #[serde(default)]
    data_sets: BTreeMap<String, Recorded>,
}

/// The record as last read or written, and the stamp of the file it came
/// from (re-read when another process replaced it).
#[derive(Debug, Default)]
struct Cache {
    file: VersionsFile,
    stamp: Option<(u64, Option<SystemTime>)>,
    loaded: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Versions {
    cache: Mutex<Cache>,
}

/// Fingerprints of every data set's files, taken around a write.
pub(crate) type Fingerprints = BTreeMap<DataSet, String>;

impl Versions {
    /// The own version of `data_set`. Files changed behind the store's back
    /// start a new epoch named after their fingerprint, so a read-only store
    /// (verify beside a running writer) reports the same version the writer
    /// records.
    pub fn own(
        &self,
        layout: &Layout,
        data_set: DataSet,
        writable: bool,
    ) -> Result<DataVersion, StoreError> {
        let mut cache = self.lock()?;
        self.refresh(&mut cache, layout)?;
        let files = fingerprint(layout, data_set);
        if let Some(r) = cache.file.data_sets.get(data_set.as_str()) {
            if r.files == files {
                return Ok(DataVersion::new(r.epoch.clone(), r.seq));
            }
        }
        let recorded = new_epoch(files);
        if !writable {
            return Ok(DataVersion::new(recorded.epoch, recorded.seq));
        }
        note_changed(&cache, data_set);
        let version = DataVersion::new(recorded.epoch.clone(), recorded.seq);
        cache
            .file
            .data_sets
            .insert(data_set.as_str().to_owned(), recorded);
        persist(&mut cache, layout)?;
        Ok(version)
    }

    /// Before a write: every data set's fingerprint, with files changed
    /// behind the store's back given a new epoch first.
    pub fn before_write(&self, layout: &Layout) -> Result<Fingerprints, StoreError> {
        let mut cache = self.lock()?;
        self.refresh(&mut cache, layout)?;
        let mut changed = false;
        let mut prints = Fingerprints::new();
        for data_set in DataSet::ALL {
            let files = fingerprint(layout, data_set);
            let matches = cache
                .file
                .data_sets
                .get(data_set.as_str())
                .is_some_and(|r| r.files == files);
            if !matches {
                note_changed(&cache, data_set);
                cache
                    .file
                    .data_sets
                    .insert(data_set.as_str().to_owned(), new_epoch(files.clone()));
                changed = true;
            }
            prints.insert(data_set, files);
        }
        if changed {
            persist(&mut cache, layout)?;
        }
        Ok(prints)
    }

    /// After a write (whether it succeeded or not): one more write for every
    /// data set whose files it changed.
    pub fn after_write(&self, layout: &Layout, before: &Fingerprints) -> Result<(), StoreError> {
        let mut cache = self.lock()?;
        let mut changed = false;
        for data_set in DataSet::ALL {
            let files = fingerprint(layout, data_set);
            if before.get(&data_set) == Some(&files) {
                continue;
            }
            let entry = cache
                .file
                .data_sets
                .entry(data_set.as_str().to_owned())
                .or_insert_with(|| new_epoch(String::new()));
            entry.seq = entry.seq.saturating_add(1);
            entry.files = files;
            changed = true;
        }
        if changed {
            persist(&mut cache, layout)?;
        }
        Ok(())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Cache>, StoreError> {
        // A panic elsewhere must not make the versions unusable: the cache is
        // re-read from the file whenever it is in doubt.
        Ok(self.cache.lock().unwrap_or_else(|poisoned| {
            let mut cache = poisoned.into_inner();
            cache.loaded = false;
            cache
        }))
    }

    /// Re-read the record when another process replaced it.
    fn refresh(&self, cache: &mut Cache, layout: &Layout) -> Result<(), StoreError> {
        let path = file_path(layout);
        let stamp = stamp(&path);
        if cache.loaded && cache.stamp == stamp {
            return Ok(());
        }
        cache.file = match std::fs::read(&path) {
            // An unreadable record starts every data set afresh (new epochs):
            // nothing is claimed current that might not be.
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(file = %path.display(), error = %e,
                    "the data-set versions do not parse; every data set starts a new epoch");
                VersionsFile::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => VersionsFile::default(),
            Err(e) => return Err(io_error(format!("cannot read {}", path.display()), e)),
        };
        cache.stamp = stamp;
        cache.loaded = true;
        Ok(())
    }
}

/// Files of a data set this store had recorded changed without it.
fn note_changed(cache: &Cache, data_set: DataSet) {
    if cache.file.data_sets.contains_key(data_set.as_str()) {
        tracing::info!(%data_set, "files changed outside this store; the data set starts a new version epoch");
    }
}

fn file_path(layout: &Layout) -> PathBuf {
    layout.dir.join(VERSIONS_FILE)
}

fn stamp(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

fn persist(cache: &mut Cache, layout: &Layout) -> Result<(), StoreError> {
    let path = file_path(layout);
    let bytes = pretty(&path, &cache.file)?;
    // Atomic and durable (fsync, rename, directory fsync), like every overwrite.
    write_atomic(&path, &bytes)?;
    cache.stamp = stamp(&path);
    cache.loaded = true;
    Ok(())
}

/// A series starting at files in a state no store recorded: named after
/// their fingerprint (FNV-1a), so every store that looks at them names it
/// alike, and files in another state never share it.
fn new_epoch(files: String) -> Recorded {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in files.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Recorded {
        epoch: format!("{hash:016x}"),
        seq: 0,
        files,
    }
}

/// The files of a data set, of every portfolio, each with the name its
/// fingerprint knows it by. The default portfolio's and the global files are
/// named by their file name, whether they exist or not, exactly as before
/// there were several portfolios (so a data directory keeps its versions
/// across the upgrade); another portfolio's files by their path under the
/// data directory, those that exist.
fn files(layout: &Layout, data_set: DataSet) -> Vec<(String, PathBuf)> {
    let by_name = |path: PathBuf| {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (name, path)
    };
    let portfolios = layout
        .portfolios()
        .unwrap_or_else(|_| vec![layout.default_portfolio()]);
    let mut out = Vec::new();
    for portfolio in &portfolios {
        let files = portfolio.data_set_files(data_set).unwrap_or_default();
        if portfolio.id.is_default() {
            out.extend(files.into_iter().map(by_name));
            if data_set == DataSet::Portfolio {
                out.push(by_name(layout.metadata()));
            }
        } else {
            out.extend(files.into_iter().filter(|f| f.exists()).map(|f| {
                let name = f
                    .strip_prefix(&layout.dir)
                    .unwrap_or(&f)
                    .display()
                    .to_string();
                (name, f)
            }));
        }
    }
    out.extend(layout.global_files(data_set).into_iter().map(by_name));
    out
}

/// What identifies the current contents of a data set's files without
/// reading them.
fn fingerprint(layout: &Layout, data_set: DataSet) -> String {
    let mut out = String::new();
    for (name, path) in files(layout, data_set) {
        match crate::checked::stamp(&path) {
            Some(stamp) => out.push_str(&format!("{name}:{stamp};")),
            None => out.push_str(&format!("{name}:-;")),
        }
    }
    out
}
