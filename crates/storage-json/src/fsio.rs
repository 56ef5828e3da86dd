//! Whole-file reads and atomic overwrites.
//!
//! An overwrite goes to a temporary file in the same directory, is fsynced,
//! renamed over the target and the directory is fsynced: a crash leaves either
//! the old file or the new one, never a half-written one (the original wrote
//! with `open("w")`, which could leave an empty portfolio behind).

use domain::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

pub(crate) fn io_error(context: impl Into<String>, source: io::Error) -> StoreError {
    StoreError::Io {
        context: context.into(),
        source,
    }
}

/// The file's bytes, or `None` when it does not exist.
pub(crate) fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(format!("cannot read {}", path.display()), e)),
    }
}

/// Parse a whole file. A syntax or shape error is `Corrupt` with its position.
pub(crate) fn parse<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(path, &e))
}

/// Read and parse a file; `None` when it does not exist.
pub(crate) fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    read_bytes(path)?
        .map(|bytes| parse(path, &bytes))
        .transpose()
}

pub(crate) fn corrupt(path: &Path, e: &serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        path: path.display().to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// Pretty JSON with a two-space indent, as Python's `json.dump(indent=2)`.
pub(crate) fn pretty<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Backend {
        context: "cannot serialize a record".into(),
        source: Box::new(e),
    })?;
    out.push(b'\n');
    Ok(out)
}

/// Replace `path` with `bytes` atomically (temp file, fsync, rename, fsync dir).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let context = || format!("cannot write {}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".prescient-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io_error(context(), e))?;
    tmp.write_all(bytes).map_err(|e| io_error(context(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| io_error(context(), e))?;
    tmp.persist(path)
        .map_err(|e| io_error(context(), e.error))?;
    sync_dir(dir)
}

/// Make a rename or a new file durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(format!("cannot sync directory {}", dir.display()), e))
}
