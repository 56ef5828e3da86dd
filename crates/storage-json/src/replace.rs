//! The data directory's legacy files as a whole: when they were last
//! written, and replacing them all with a backup's (the way back to JSON
//! from phase 6 while PostgreSQL is down).
//!
//! "Legacy files" are everything under the data directory except what
//! Prescient keeps beside them: names starting with `.` (the lock, the
//! versions record, the default state directory `.prescient`) are neither
//! counted, moved nor copied.

use crate::JsonStore;
use crate::fsio::io_error;
use chrono::{DateTime, Utc};
use domain::StoreError;
use std::path::{Path, PathBuf};

/// What [`JsonStore::replace_legacy_files`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaced {
    /// Files copied in from the backup.
    pub files: usize,
    /// Where the files they replaced were moved.
    pub aside: PathBuf,
}

fn is_own(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_none_or(|n| n.starts_with('.'))
}

/// Every legacy file under `dir` (paths relative to it), sorted.
pub fn legacy_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), StoreError> {
        let here = root.join(rel);
        let entries = std::fs::read_dir(&here)
            .map_err(|e| io_error(format!("cannot list {}", here.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| io_error(format!("cannot list {}", here.display()), e))?;
            if is_own(&entry.file_name()) {
                continue;
            }
            let path = rel.join(entry.file_name());
            let kind = entry
                .file_type()
                .map_err(|e| io_error(format!("cannot stat {}", entry.path().display()), e))?;
            if kind.is_dir() {
                walk(root, &path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out)?;
    out.sort();
    Ok(out)
}

/// The newest modification time of the legacy files under `dir` (`None`
/// when it holds none).
pub fn last_written(dir: &Path) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut newest = None;
    for rel in legacy_files(dir)? {
        let path = dir.join(&rel);
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .map_err(|e| io_error(format!("cannot stat {}", path.display()), e))?;
        let at = DateTime::<Utc>::from(modified);
        newest = Some(newest.map_or(at, |n: DateTime<Utc>| n.max(at)));
    }
    Ok(newest)
}

impl JsonStore {
    /// Replace every legacy file of this (locked) data directory with those
    /// of `from`, another data directory in the same layout (a backup's
    /// `data/`). The replaced files are moved, not deleted, into `aside`
    /// (which must not exist yet). Copy-then-switch is not atomic: a crash
    /// midway leaves both `aside` and a partial copy to finish by hand.
    pub fn replace_legacy_files(&self, from: &Path, aside: &Path) -> Result<Replaced, StoreError> {
        if self.is_read_only() {
            return Err(StoreError::Unsupported(format!(
                "the JSON store of {} is open read-only",
                self.data_dir().display()
            )));
        }
        let files = legacy_files(from)?;
        if aside.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} already exists; nothing was replaced",
                aside.display()
            )));
        }
        let dir = self.data_dir();
        std::fs::create_dir_all(aside)
            .map_err(|e| io_error(format!("cannot create {}", aside.display()), e))?;
        let entries = std::fs::read_dir(dir)
            .map_err(|e| io_error(format!("cannot list {}", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(format!("cannot list {}", dir.display()), e))?;
            if is_own(&entry.file_name()) {
                continue;
            }
            let to = aside.join(entry.file_name());
            std::fs::rename(entry.path(), &to).map_err(|e| {
                io_error(
                    format!("cannot move {} to {}", entry.path().display(), to.display()),
                    e,
                )
            })?;
        }
        for rel in &files {
            let (src, dst) = (from.join(rel), dir.join(rel));
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| io_error(format!("cannot create {}", parent.display()), e))?;
            }
            std::fs::copy(&src, &dst).map_err(|e| {
                io_error(
                    format!("cannot copy {} to {}", src.display(), dst.display()),
                    e,
                )
            })?;
        }
        let layout = &self.inner.layout;
        for sub in [layout.events_dir(), layout.markets_dir()] {
            std::fs::create_dir_all(&sub)
                .map_err(|e| io_error(format!("cannot create {}", sub.display()), e))?;
        }
        layout.default_portfolio().create_dirs()?;
        Ok(Replaced {
            files: files.len(),
            aside: aside.to_path_buf(),
        })
    }
}
