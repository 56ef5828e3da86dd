//! One process writes a data directory at a time (SPEC §4).
//!
//! The writer holds an exclusive, non-blocking `flock` on
//! `<dir>/.prescient.lock` (through `fs4`) for as long as its store lives and
//! writes its pid into the file, so a refused writer can say who holds it.
//! `flock` locks belong to the open file, so a second open in the same
//! process is refused too. The lock is released by the kernel when the
//! process dies; a stale lock file without a holder is simply taken over.

use crate::fsio::io_error;
use domain::StoreError;
use fs4::fs_std::FileExt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub(crate) const LOCK_FILE: &str = ".prescient.lock";

/// The held lock; released when dropped.
#[derive(Debug)]
pub(crate) struct DirLock {
    // Kept open: closing the file releases the lock.
    _file: File,
    path: PathBuf,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(LOCK_FILE);
        let context = || format!("cannot open lock file {}", path.display());
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error(context(), e))?;
        let acquired = file
            .try_lock_exclusive()
            .map_err(|e| io_error(context(), e))?;
        if !acquired {
            let mut holder = String::new();
            // Best effort: the holder may be rewriting its pid right now.
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "pid unknown".to_owned(),
                pid => format!("pid {pid}"),
            };
            return Err(StoreError::Locked {
                path: path.display().to_string(),
                holder,
            });
        }
        let pid = std::process::id().to_string();
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()))
            .and_then(|_| file.sync_data())
            .map_err(|e| io_error(format!("cannot write {}", path.display()), e))?;
        Ok(DirLock { _file: file, path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
