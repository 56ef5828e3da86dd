//! Phase 6 with PostgreSQL down (issue #10 item 6), as an operator lives it:
//! cycles fail cleanly naming PostgreSQL, `phase rollback --from-backup`
//! takes the site back to JSON without it, and once it is back
//! `verify --repair` brings it level.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use orchestrator::app::{App, StoreChoice};
use std::path::Path;
use std::process::{Command, Output};

/// A PostgreSQL URL nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("postgres://postgres@127.0.0.1:{port}/gone")
}

async fn xtask_without_postgres(site: &Site, url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "error")
        .envs(site.env())
        .env("DATABASE_URL", url)
        .args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// The legacy files under `dir` (no dot-files: lock, versions, state).
fn legacy(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    storage_json::legacy_files(dir)
        .unwrap()
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_postgres_down_in_phase_6_roll_back_from_the_backup_then_bring_postgres_level() {
    let mut site = Site::new().await;
    site.force_to("6").await;
    site.cycle().await;
    let backup = site.dir.path().join("backup");
    site.ok(&["backup", "--out", backup.to_str().unwrap()])
        .await;
    // PostgreSQL moves on after the backup: the rollback loses this cycle,
    // and PostgreSQL holds rows the restored files do not.
    site.cycle().await;
    let before_rollback = legacy(&site.data);

    let url = closed_port_url();
    // A cycle fails cleanly, naming PostgreSQL, and writes no file.
    let mut settings = site.settings();
    settings.database.insert("DATABASE_URL".into(), url.clone());
    let params = orchestrator::app::cycle_params(&settings).unwrap();
    let app = App::open(settings, StoreChoice::Phase).await.unwrap();
    let source =
        polymarket_client::SnapshotSource::open(workspace().join("examples/snapshot")).unwrap();
    let err = orchestrator::run_cycle(&app.stores, &source, &params)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("postgres"), "{err}");
    drop(app);
    assert_eq!(legacy(&site.data), before_rollback, "no JSON file written");

    let refused = xtask_without_postgres(&site, &url, &["phase", "rollback"]).await;
    assert!(
        !refused.status.success(),
        "a plain rollback needs PostgreSQL"
    );

    let out = xtask_without_postgres(
        &site,
        &url,
        &[
            "phase",
            "rollback",
            "--from-backup",
            backup.to_str().unwrap(),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("rolled back 6 → 5.4"), "{stdout}");
    assert!(stdout.contains("restored from backup"), "{stdout}");
    assert_eq!(
        legacy(&site.data),
        legacy(&backup.join("data")),
        "the data directory holds the backup's files"
    );
    let aside: Vec<_> = std::fs::read_dir(site.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("data.before-rollback-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the replaced files are kept aside");
    assert_eq!(legacy(&aside[0].path()), before_rollback);
    let phase_file = std::fs::read_to_string(site.state.join("phase.toml")).unwrap();
    assert!(phase_file.contains("phase = \"5.4\""), "{phase_file}");
    assert!(phase_file.contains("kind = \"rollback\""), "{phase_file}");
    assert!(phase_file.contains("files, backup time"), "{phase_file}");

    // A second rollback from a backup is refused: 5.4 is not phase 6.
    let again = xtask_without_postgres(
        &site,
        &url,
        &[
            "phase",
            "rollback",
            "--from-backup",
            backup.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!again.status.success());

    // PostgreSQL is back, behind the restored files.
    let status = site.ok(&["phase", "status", "--no-gates"]).await;
    assert!(status.contains("verify --repair"), "{status}");
    let dirty = site.xtask(&["verify"]).await;
    assert_eq!(
        dirty.status.code(),
        Some(1),
        "PostgreSQL holds rows JSON lost"
    );
    site.ok(&["verify", "--repair"]).await;
    let clean = site.xtask(&["verify"]).await;
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    let status = site.ok(&["phase", "status", "--no-gates"]).await;
    assert!(!status.contains("to do:"), "{status}");
    // And 5.4 runs cycles again, PostgreSQL told of the phase.
    site.cycle().await;
    site.verify_written().await;
}
