//! Whole-file reads and atomic overwrites.
//!
//! An overwrite goes to a temporary file in the target's directory, is
//! fsynced, renamed over the target and the directory is fsynced: a crash
//! leaves either the old file or the new one, never a half-written one (the
//! original wrote with `open("w")`, which could leave an empty portfolio
//! behind). It keeps what the user set on the file: a symlink is written
//! through (its target is replaced, the link stays), and the new file gets the
//! old one's mode and, where the process may, its owner and group. A new file
//! gets the mode `File::create` would give it (0666 less the umask), not the
//! temporary file's 0600.

use chrono::Utc;
use domain::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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

/// Parse a whole file. A syntax or shape error is `Corrupt` with its position;
/// a field of the wrong shape is named.
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<T, StoreError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let mut err = corrupt(path, &inner);
        if let StoreError::Corrupt { message, .. } = &mut err {
            if field != "." && !field.is_empty() {
                *message = format!("field `{field}`: {message}");
            }
        }
        err
    })?;
    de.end().map_err(|e| corrupt(path, &e))?;
    Ok(value)
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
        message: serde_message(e),
    }
}

/// serde_json's message without its " at line L column C" suffix: the
/// position is reported once, by the error that carries it.
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// Pretty JSON with a two-space indent, as Python's `json.dump(indent=2)`.
pub(crate) fn pretty<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Backend {
        context: format!("cannot serialize the records of {}", path.display()),
        source: Box::new(e),
    })?;
    out.push(b'\n');
    Ok(out)
}

/// The file a write to `path` lands in: `path` itself, or for a symlink (a
/// chain of them) the file it points to.
pub(crate) fn write_target(path: &Path) -> PathBuf {
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&target) {
                Ok(next) if next.is_absolute() => target = next,
                Ok(next) => {
                    target = target.parent().map(|dir| dir.join(&next)).unwrap_or(next);
                }
                Err(_) => return target,
            },
            _ => return target,
        }
    }
    target
}

/// Replace `path` with `bytes` atomically (temp file, fsync, rename, fsync
/// dir), keeping the file's mode, owner and a symlink in front of it.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`] of what `fill` writes, streamed through a buffer (a
/// large file is never held in memory whole).
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), StoreError> {
    let target = write_target(path);
    let dir = target.parent().unwrap_or(Path::new("."));
    let context = || format!("cannot write {}", path.display());
    let old = std::fs::metadata(&target).ok();
    let mut tmp = temp_in(dir).map_err(|e| io_error(context(), e))?;
    {
        let mut out = io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| io_error(context(), e))?;
    }
    if let Some(old) = &old {
        keep_attributes(tmp.as_file(), old).map_err(|e| io_error(context(), e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| io_error(context(), e))?;
    tmp.persist(&target)
        .map_err(|e| io_error(context(), e.error))?;
    sync_dir(dir)
}

#[cfg(unix)]
fn temp_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    // 0666 less the umask, as `File::create` would make it.
    tempfile::Builder::new()
        .prefix(".prescient-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

#[cfg(not(unix))]
fn temp_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".prescient-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// Give the new file the old one's mode, and its owner and group where the
/// process is allowed to (root, or a group it belongs to).
#[cfg(unix)]
fn keep_attributes(file: &File, old: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    file.set_permissions(old.permissions())?;
    let new = file.metadata()?;
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        if let Err(e) = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())) {
            // Not permitted: try the group alone, then keep what we have.
            if std::os::unix::fs::fchown(file, None, Some(old.gid())).is_err() {
                tracing::debug!(error = %e, "cannot keep the owner of a rewritten file");
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_attributes(file: &File, old: &std::fs::Metadata) -> io::Result<()> {
    file.set_permissions(old.permissions())
}

/// Make a rename or a new file durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(format!("cannot sync directory {}", dir.display()), e))
}

/// A free sibling name `<file>.<what>-<UTC time>` (`-2`, `-3`… when taken),
/// for bytes set aside (a torn tail, a corrupt derived file).
pub(crate) fn aside_name(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = path.with_file_name(format!("{name}.{what}-{stamp}"));
    let mut candidate = base.clone();
    let mut n = 2;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        candidate = PathBuf::from(format!("{}-{n}", base.display()));
        n += 1;
    }
    candidate
}

/// Before a derived file (one Prescient rewrites from fresh data every
/// cycle) is replaced: if the file there is not a JSON array, move it aside
/// as `<name>.corrupt-<time>` (logged, counted) so the user's bytes are kept.
/// Returns where it went.
pub(crate) fn keep_if_corrupt(path: &Path) -> Result<Option<PathBuf>, StoreError> {
    let target = write_target(path);
    // Streamed: a derived file can be the whole crawl (tens of MB).
    let file = match File::open(&target) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(format!("cannot read {}", path.display()), e)),
    };
    let reader = io::BufReader::with_capacity(1 << 16, file);
    // An array of anything (its elements are zero-sized: nothing is kept).
    let problem = match serde_json::from_reader::<_, Vec<serde::de::IgnoredAny>>(reader) {
        Ok(_) => return Ok(None),
        Err(e) => corrupt(path, &e),
    };
    let aside = aside_name(&target, "corrupt");
    std::fs::rename(&target, &aside).map_err(|e| {
        io_error(
            format!("cannot move the corrupt {} aside", path.display()),
            e,
        )
    })?;
    sync_dir(target.parent().unwrap_or(Path::new(".")))?;
    crate::counts::corrupt_kept();
    tracing::warn!(
        file = %path.display(),
        kept = %aside.display(),
        problem = %problem,
        "a derived file did not parse; kept it aside and wrote it afresh"
    );
    Ok(Some(aside))
}
