//! The headless browser the dashboard test drives: the first Chromium on
//! `PATH`. `cargo xtask test` installs one under CI when none is found.

use std::path::PathBuf;

/// The executable names a Chromium goes by (Debian, Ubuntu, Google's build).
pub const CHROMIUM_NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The first Chromium executable on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    CHROMIUM_NAMES
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}
