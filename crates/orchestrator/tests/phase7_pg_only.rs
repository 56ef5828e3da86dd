//! Phase 7, as it ships: the `prescient` binary of this build runs a cycle on
//! PostgreSQL alone and leaves the retired JSON data directory exactly as it
//! was. `cargo xtask test` runs this file twice: in the workspace pass (the
//! default build, with the JSON store) and in the bare pass
//! (`--no-default-features`: the phase-7 build, no storage-json linked), so
//! it uses nothing that needs the `json` feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::PortfolioId;
use domain::ports::{MetadataStore, TradeStore};
use orchestrator::phase_state::{PhaseFile, PhaseRecord};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;
use storage_pg::testing::TestDb;

fn workspace() -> PathBuf {
    testkit::fixtures::workspace_root()
}

/// `prescient` with only the environment given here, in a directory of its
/// own (no `prescient.toml` or `.env` picked up from the caller).
fn prescient(database_url: &str, state: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prescient"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("DATABASE_URL", database_url)
        .env("PRESCIENT_STATE_DIR", state)
        .env("RUST_LOG", "warn")
        .current_dir(state);
    cmd
}

/// A cycle on the shipped example snapshot (3 signals) into `data`.
fn cycle(mut cmd: Command, data: &Path, extra: &[&str]) -> Output {
    cmd.args(["cycle", "--event-max-days-until-end", "1000"])
        .args(extra)
        .arg("--source")
        .arg(format!(
            "snapshot:{}",
            workspace().join("examples/snapshot").display()
        ))
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every entry under `dir` (directories too): its bytes and modification
/// time, so a rewrite with the same content still shows.
fn fingerprint(dir: &Path) -> BTreeMap<PathBuf, (Option<Vec<u8>>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::metadata(&path).unwrap();
            let bytes = if meta.is_dir() {
                stack.push(path.clone());
                None
            } else {
                Some(std::fs::read(&path).unwrap())
            };
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            out.insert(rel, (bytes, meta.modified().unwrap()));
        }
    }
    out
}

fn trades_in(db: &TestDb, rt: &tokio::runtime::Runtime) -> usize {
    rt.block_on(db.store().load_trades(&PortfolioId::default()))
        .unwrap()
        .len()
}

#[test]
fn a_phase_7_cycle_trades_on_postgres_and_touches_no_file_in_the_data_directory() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create()).unwrap();
    // Phase 7 as a migration leaves it: the phase file, mirrored in PostgreSQL.
    let phase = domain::Phase::JsonRetired.number();
    let state = tempfile::tempdir().unwrap();
    let mut record = PhaseRecord::initial(chrono::Utc::now());
    record.phase = phase.to_owned();
    PhaseFile::in_dir(state.path()).save(&record).unwrap();
    rt.block_on(
        db.store()
            .set_metadata("migration_phase", phase, chrono::Utc::now()),
    )
    .unwrap();
    // The retired data directory: the Python-era files, as archived.
    let data = tempfile::tempdir().unwrap();
    testkit::files::copy_tree(
        &workspace().join("crates/storage-json/tests/fixtures/python-era"),
        data.path(),
    );
    let before = fingerprint(data.path());
    assert!(before.len() >= 8, "{before:?}");

    let out = cycle(prescient(db.url(), state.path()), data.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("executed=3"), "{stdout}");
    assert_eq!(trades_in(&db, &rt), 3, "the trades are in PostgreSQL");
    assert!(
        fingerprint(data.path()) == before,
        "phase 7 touched the data directory (written, created or removed a file)"
    );
}

/// The build this file runs in says whether the binary has a JSON store: the
/// default build has one, the phase-7 build (`--no-default-features`) has
/// none and says so instead of writing files.
#[test]
fn the_binary_has_a_json_store_exactly_when_built_with_one() {
    let state = tempfile::tempdir().unwrap();
    let data = state.path().join("data");
    let cmd = prescient("postgres://postgres@127.0.0.1:1/unused", state.path());
    let out = cycle(cmd, &data, &["--store", "json"]);
    if cfg!(feature = "json") {
        assert!(out.status.success(), "{}", stderr(&out));
        let trades = std::fs::read_to_string(data.join("trades/paper_trades.json")).unwrap();
        let trades: serde_json::Value = serde_json::from_str(&trades).unwrap();
        assert_eq!(trades.as_array().map(Vec::len), Some(3));
    } else {
        assert!(!out.status.success(), "a phase-7 build ran on JSON");
        assert!(
            stderr(&out).contains("this build has no JSON store"),
            "{}",
            stderr(&out)
        );
        assert!(!data.exists(), "a phase-7 build created {}", data.display());
    }
}
