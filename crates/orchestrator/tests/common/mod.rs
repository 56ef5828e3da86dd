//! Helpers shared by the orchestrator's integration tests: snapshots built
//! from the real fixtures or the shipped example, fixed clocks, and one-call
//! cycles over a JSON data directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod clob_history;
pub mod db_rows;
pub mod fake_gamma;
pub mod proxy;

use chrono::{DateTime, Utc};
use domain::ports::Stores;
use orchestrator::cycle::Clock;
use orchestrator::{CycleParams, CycleSummary, Settings, Sources, run_cycle};
use polymarket_client::SnapshotSource;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn workspace() -> PathBuf {
    testkit::fixtures::workspace_root()
}

/// The recorded Gamma fixtures (`testkit::fixtures::shared`): `None`, with a
/// note, when absent outside CI; under `CI=true` a missing folder fails the
/// test.
pub fn real_fixtures() -> Option<PathBuf> {
    testkit::fixtures::shared()
}

/// A snapshot directory whose `events.json` holds the events of every given
/// Gamma events file (each a JSON array).
pub fn snapshot_from(files: &[PathBuf]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        events.extend(value.as_array().unwrap().iter().cloned());
    }
    std::fs::write(
        dir.path().join("events.json"),
        serde_json::to_vec_pretty(&events).unwrap(),
    )
    .unwrap();
    dir
}

pub fn example_snapshot() -> PathBuf {
    workspace().join("examples/snapshot")
}

pub fn python_era_data() -> PathBuf {
    workspace().join("crates/storage-json/tests/fixtures/python-era")
}

/// Copy a directory tree (a fixture data set) into a fresh temp dir.
pub fn copy_tree(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    testkit::files::copy_tree(from, dir.path());
    dir
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

/// A clock that stands still at `t`.
pub fn fixed_clock(t: DateTime<Utc>) -> Clock {
    Arc::new(move || t)
}

/// The default settings (no file, no environment).
pub fn settings() -> Settings {
    Settings::load(&Sources::default()).unwrap()
}

pub fn params(settings: &Settings, now: DateTime<Utc>) -> CycleParams {
    let mut p = orchestrator::app::cycle_params(settings).unwrap();
    p.clock = fixed_clock(now);
    p
}

pub fn json_stores(data_dir: &Path) -> Stores {
    let mut s = settings();
    s.data_dir = data_dir.to_path_buf();
    orchestrator::app::json_stores(&s).unwrap()
}

/// One cycle from `snapshot` into `data_dir` at `now`; the store (and its
/// lock) is released when it returns.
pub async fn cycle(
    data_dir: &Path,
    snapshot: &Path,
    settings: &Settings,
    now: DateTime<Utc>,
) -> CycleSummary {
    let stores = json_stores(data_dir);
    let source = SnapshotSource::open(snapshot).unwrap();
    run_cycle(&stores, &source, &params(settings, now))
        .await
        .unwrap()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} should exist: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} should parse: {e}", path.display()))
}

pub fn array_len(path: &Path) -> usize {
    read_json(path)
        .as_array()
        .unwrap_or_else(|| panic!("{} should be an array", path.display()))
        .len()
}

/// A snapshot whose `markets.json` holds the three recorded `/markets`
/// records and the project's derived 50/50 one.
pub fn resolved_snapshot(fixtures: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let shared = fixtures.join("gamma/markets");
    let markets: Vec<serde_json::Value> = [
        shared.join("resolved_no_wins.json"),
        shared.join("closed_zero_zero_undecided.json"),
        shared.join("open_up_down.json"),
        workspace().join("crates/orchestrator/tests/fixtures/gamma/resolved_fifty_fifty.json"),
    ]
    .iter()
    .map(|p| read_json(p))
    .collect();
    std::fs::write(dir.path().join("events.json"), "[]").unwrap();
    std::fs::write(
        dir.path().join("markets.json"),
        serde_json::to_vec_pretty(&markets).unwrap(),
    )
    .unwrap();
    dir
}

/// A fresh working directory for one `prescient` run, so its `./state`
/// (phase file, runtime lock) is its own. Left in the system temp dir.
pub fn scratch_dir() -> PathBuf {
    tempfile::tempdir().unwrap().keep()
}

/// A backtest of `names` (each with its default parameters) under the
/// default settings' balance, filters, policy and exits.
pub fn backtest_config(names: &[&str]) -> orchestrator::backtest::BacktestConfig {
    let built = names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                strategy::build(n, &strategy::Params::new()).unwrap(),
            )
        })
        .collect();
    orchestrator::backtest::BacktestConfig::new(
        built,
        orchestrator::app::cycle_params(&settings()).unwrap(),
    )
}

/// The `prescient` binary run in `cwd` with no settings but its flags (and
/// what a test adds with `.env`): no environment, no config file.
pub fn prescient_in(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("prescient").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("RUST_LOG", "warn")
        .current_dir(cwd);
    cmd
}
