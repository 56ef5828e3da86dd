//! Where the shared test prerequisites are looked for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use testkit::fixtures::{expected_dir, locate, workspace_root};

#[test]
fn the_workspace_root_is_the_virtual_manifest_holding_every_crate() {
    let root = workspace_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("[workspace]"), "{}", root.display());
    assert!(root.join("crates/testkit/Cargo.toml").is_file());
    assert!(root.join("examples/snapshot/events.json").is_file());
}

#[test]
fn the_fixtures_are_found_or_the_path_looked_at_is_named() {
    match locate() {
        Ok(dir) => assert!(dir.join("gamma").is_dir()),
        Err(missing) => assert!(
            missing.contains(&expected_dir().join("gamma").display().to_string()),
            "{missing}"
        ),
    }
    if std::env::var_os("PRESCIENT_FIXTURES").is_none() {
        assert_eq!(
            expected_dir(),
            workspace_root().parent().unwrap().join("shared/fixtures"),
            "beside the workspace, not inside it"
        );
    }
}
