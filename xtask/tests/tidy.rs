//! Rules worth keeping, as tests (STYLE.md 16): module docs, the direction of
//! dependencies between crates, and `.env.example` listing every setting.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Library crates of the workspace: (name, directory).
fn library_crates() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in ["crates", "."] {
        let Ok(entries) = fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.join("Cargo.toml").exists() && path.join("src/lib.rs").exists() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                out.push((name, path));
            }
        }
    }
    out.sort();
    out
}

/// The `[dependencies]` section of a manifest (not dev-dependencies).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once(['=', '.']) {
                let name = name.trim();
                if !name.is_empty() && !name.starts_with('#') {
                    deps.push(name.to_owned());
                }
            }
        }
    }
    deps
}

#[test]
fn every_library_opens_with_module_docs() {
    let crates = library_crates();
    assert!(crates.len() >= 6, "found only {crates:?}");
    for (name, dir) in crates {
        let lib = read(&dir.join("src/lib.rs"));
        assert!(
            lib.trim_start().starts_with("//!"),
            "{name}/src/lib.rs must open with //! docs: what it owns, what it must not touch"
        );
    }
}

#[test]
fn dependencies_point_the_way_the_architecture_says() {
    let io_crates = [
        "tokio",
        "sea-orm",
        "sea-orm-migration",
        "reqwest",
        "axum",
        "storage-json",
        "storage-pg",
        "polymarket-client",
        "fs4",
    ];
    let rules: &[(&str, &[&str])] = &[
        ("crates/domain", &io_crates),
        ("crates/strategy", &io_crates),
        ("crates/paper-trading", &io_crates),
        (
            "crates/storage-json",
            &[
                "storage-pg",
                "sea-orm",
                "migration",
                "polymarket-client",
                "reqwest",
            ],
        ),
        (
            "crates/storage-pg",
            &["storage-json", "polymarket-client", "reqwest"],
        ),
        (
            "crates/polymarket-client",
            &[
                "storage-json",
                "storage-pg",
                "strategy",
                "paper-trading",
                "sea-orm",
            ],
        ),
        ("migration", &["domain", "storage-pg", "storage-json"]),
    ];
    for (dir, forbidden) in rules {
        let manifest_path = root().join(dir).join("Cargo.toml");
        if !manifest_path.exists() {
            continue;
        }
        let deps = dependencies(&read(&manifest_path));
        for f in *forbidden {
            assert!(
                !deps.iter().any(|d| d == f),
                "{dir} must not depend on {f} (docs/ARCHITECTURE.md); it does: {deps:?}"
            );
        }
    }
}

#[test]
fn env_example_lists_every_setting() {
    let settings = read(&root().join("crates/orchestrator/src/settings.rs"));
    let example = read(&root().join(".env.example"));
    let listed: Vec<&str> = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let table = settings
        .split_once("pub const VARIABLES")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(table, _)| table)
        .expect("settings.rs defines `pub const VARIABLES`");
    let mut checked = 0;
    for chunk in table.split("(\"").skip(1) {
        let Some((name, rest)) = chunk.split_once("\", \"") else {
            continue;
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let default = rest.split('"').next().unwrap_or_default();
        checked += 1;
        assert!(listed.contains(&name), ".env.example does not list {name}");
        let line = format!("{name}={default}");
        assert!(
            example.lines().any(|l| l.trim() == line),
            ".env.example must show {name} with its default: expected the line `{line}`"
        );
    }
    assert!(
        checked >= 10,
        "found only {checked} settings in settings.rs"
    );
}
