//! A process killed between the JSON write and the PostgreSQL write of a
//! dual write (the test hook aborts it there): after a restart, verify finds
//! exactly what PostgreSQL missed and `--repair` brings the two back to equal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::DataSet;
use orchestrator::ops::Migration;
use orchestrator::phase_state::{PhaseFile, PhaseRecord};
use storage_pg::testing::TestDb;

fn prescient(
    db: &TestDb,
    data: &std::path::Path,
    state: &std::path::Path,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_prescient"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("DATABASE_URL", db.url())
        .env("PRESCIENT_DATA_DIR", data)
        .env("PRESCIENT_STATE_DIR", state)
        .env("RUST_LOG", "warn")
        .args(["cycle", "--event-max-days-until-end", "1000", "--source"])
        .arg(format!("snapshot:{}", example_snapshot().display()));
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_between_json_and_postgres_is_found_and_repaired() {
    let db = TestDb::create().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (data, state) = (dir.path().join("data"), dir.path().join("state"));
    let mut record = PhaseRecord::initial(chrono::Utc::now());
    record.phase = "4".into();
    PhaseFile::in_dir(&state).save(&record).unwrap();

    // The executions' JSON half (all three trades of the step, recorded
    // together) is written, then the process dies.
    let mut crashing = prescient(&db, &data, &state);
    crashing.env("PRESCIENT_TEST_CRASH_AFTER_JSON", "record_execution");
    let out = tokio::task::spawn_blocking(move || crashing.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success(), "the hook kills the cycle");
    assert!(String::from_utf8_lossy(&out.stderr).contains("test hook: crashing"));
    assert_eq!(array_len(&data.join("trades/paper_trades.json")), 3);

    // Restart: the next cycle runs to the end.
    let mut again = prescient(&db, &data, &state);
    let out = tokio::task::spawn_blocking(move || again.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut settings = settings();
    settings.data_dir = data.clone();
    settings.state_dir_setting = Some(state.clone());
    settings
        .database
        .insert("DATABASE_URL".into(), db.url().to_owned());
    let mut m = Migration::open(settings).unwrap();
    m.progress = false;
    let report = orchestrator::ops::backup::verify_and_record(&mut m, &DataSet::ALL)
        .await
        .unwrap();
    let trades = report.tables.iter().find(|t| t.table == "trades").unwrap();
    assert_eq!(
        trades.missing.len(),
        3,
        "the trades PostgreSQL never got: {report}"
    );
    assert!(!report.is_clean());

    let repaired = orchestrator::ops::backup::repair(&m, &report.dirty_data_sets())
        .await
        .unwrap();
    assert!(!repaired.is_empty());
    let after = orchestrator::ops::backup::verify_and_record(&mut m, &DataSet::ALL)
        .await
        .unwrap();
    assert!(after.is_clean(), "{after}");
    // No trade lost or doubled: three trades on both sides.
    assert_eq!(array_len(&data.join("trades/paper_trades.json")), 3);
}
