//! Helpers shared by the storage-json integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use storage_json::{JsonStore, JsonStoreOptions};
use tempfile::TempDir;

/// The hand-written Python-era data directory.
pub fn python_era() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python-era")
}

/// A copy of `src` in a fresh temp dir; returns the guard and the copy's path.
pub fn copy_of(src: &Path) -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("data");
    copy_dir(src, &dst);
    (tmp, dst)
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
}

/// A fresh, empty data directory and a writer on it.
pub fn empty_store() -> (TempDir, PathBuf, JsonStore) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let store = JsonStore::open(&dir, JsonStoreOptions::default()).unwrap();
    (tmp, dir, store)
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}
