//! The recorded Gamma responses (`fixtures/gamma/…` of the shared folder),
//! found from the workspace root: `<workspace>/../shared/fixtures`, or
//! `$PRESCIENT_FIXTURES` when set. The one place that knows where they are.

use std::path::{Path, PathBuf};

/// The workspace root (the directory of the virtual manifest).
pub fn workspace_root() -> PathBuf {
    // CARGO_MANIFEST_DIR is `<workspace>/crates/testkit`.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map_or_else(|| manifest.join("../.."), Path::to_path_buf)
}

/// Where the shared fixtures are expected: `$PRESCIENT_FIXTURES`, else
/// `../shared/fixtures` beside the workspace root.
pub fn expected_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PRESCIENT_FIXTURES") {
        return PathBuf::from(dir);
    }
    let root = workspace_root();
    root.parent().unwrap_or(&root).join("shared/fixtures")
}

/// The fixtures directory (holding `gamma/`), or what is missing, in words.
pub fn locate() -> Result<PathBuf, String> {
    let dir = expected_dir();
    if dir.join("gamma").is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "the recorded Gamma fixtures are missing: {} not found (put the shared \
             folder beside the repository, or set PRESCIENT_FIXTURES)",
            dir.join("gamma").display()
        ))
    }
}

/// The fixtures directory, for a test that needs it. Missing: under
/// `CI=true` the test fails naming the path; otherwise `None`, with a note
/// on stderr (the caller skips).
pub fn shared() -> Option<PathBuf> {
    match locate() {
        Ok(dir) => Some(dir),
        Err(missing) => {
            crate::ci::skip_or_fail(&missing);
            None
        }
    }
}
