//! The migration as an operator runs it: `cargo xtask` commands against a
//! real PostgreSQL (a throw-away database per test) and a data directory that
//! starts as the original Python system's files, with trading cycles in
//! between.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use domain::DataSet;
use orchestrator::app::{App, StoreChoice};
use orchestrator::{Settings, Sources, run_cycle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use storage_pg::testing::TestDb;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A data directory (Python-era files), a state directory and a database.
struct Site {
    _dir: tempfile::TempDir,
    data: PathBuf,
    state: PathBuf,
    db: TestDb,
    clock: DateTime<Utc>,
}

impl Site {
    async fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        copy_tree(
            &workspace().join("crates/storage-json/tests/fixtures/python-era"),
            &data,
        );
        Site {
            data,
            state: dir.path().join("state"),
            _dir: dir,
            db: TestDb::create().await.unwrap(),
            clock: DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    fn env(&self) -> HashMap<String, String> {
        [
            ("DATABASE_URL", self.db.url().to_owned()),
            ("PRESCIENT_DATA_DIR", self.data.display().to_string()),
            ("PRESCIENT_STATE_DIR", self.state.display().to_string()),
            ("PRESCIENT_PHASE6_HOLD_DAYS", "0".to_owned()),
            ("PRESCIENT_MAX_DAYS_UNTIL_END", "1000".to_owned()),
            ("PRESCIENT_CONFIG", "/nonexistent/prescient.toml".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// `cargo xtask ARGS` as a subprocess.
    async fn xtask(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .envs(self.env())
            .args(args);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }

    async fn ok(&self, args: &[&str]) -> String {
        let out = self.xtask(args).await;
        assert!(
            out.status.success(),
            "xtask {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn settings(&self) -> Settings {
        Settings::load(&Sources {
            file: None,
            env: self.env(),
        })
        .unwrap()
    }

    /// One cycle on the example snapshot, routed by the current phase.
    async fn cycle(&mut self) {
        self.clock += Duration::hours(1);
        let settings = self.settings();
        let mut params = orchestrator::cli::cycle_params(&settings).unwrap();
        let now = self.clock;
        params.clock = std::sync::Arc::new(move || now);
        let app = App::open(settings, StoreChoice::Phase).await.unwrap();
        let source =
            polymarket_client::SnapshotSource::open(workspace().join("examples/snapshot")).unwrap();
        run_cycle(&app.stores, &source, &params)
            .await
            .unwrap_or_else(|e| panic!("cycle in phase {} failed: {e}", app.phase));
    }

    async fn phase(&self) -> String {
        let out = self.ok(&["phase", "status", "--no-gates", "--json"]).await;
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["phase"].as_str().unwrap().to_owned()
    }

    /// `verify` of every data set the phase writes to both stores (from
    /// phase 6 on JSON is no longer written, so it is not expected to match;
    /// the phase 6 gate checks the backup round trip instead).
    async fn verify_written(&self) {
        let phase: domain::Phase = self.phase().await.parse().unwrap();
        for ds in DataSet::ALL {
            if !matches!(
                phase.route(ds),
                domain::Route::DualWrite | domain::Route::DualRead
            ) {
                continue;
            }
            let out = self.xtask(&["verify", "--dataset", ds.as_str()]).await;
            assert_eq!(
                out.status.code(),
                Some(0),
                "verify {ds} in phase {phase}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

fn hash_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push((e.path(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn walk_every_phase_from_a_python_era_data_set_to_json_retired() {
    let mut site = Site::new().await;
    assert_eq!(site.phase().await, "0");
    site.cycle().await;

    // 0 → 1: database reachable, migrations applied.
    site.ok(&["phase", "advance"]).await;
    site.cycle().await;
    // Nothing backfilled yet: entering 2 is refused, naming the gate.
    let refused = site.xtask(&["phase", "advance"]).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("gated") && stderr.contains("verify"),
        "{stderr}"
    );
    assert_eq!(site.phase().await, "1");

    let expected = ["2", "3", "4", "5.1", "5.2", "5.3", "5.4", "6"];
    for next in expected {
        site.ok(&["backfill"]).await;
        site.verify_written().await;
        site.ok(&["phase", "advance"]).await;
        assert_eq!(site.phase().await, next);
        site.cycle().await;
        site.verify_written().await;
    }

    // 6 → 7: archive the JSON files first.
    let archive = site.state.join("archive/data.tar.gz");
    let refused = site.xtask(&["phase", "advance"]).await;
    assert!(!refused.status.success(), "7 needs the archive");
    site.ok(&["archive-json", "--out", archive.to_str().unwrap()])
        .await;
    assert!(archive.exists());
    site.ok(&["phase", "advance"]).await;
    assert_eq!(site.phase().await, "7");

    // In phase 7 a cycle touches no JSON file.
    let before = hash_tree(&site.data);
    site.cycle().await;
    assert_eq!(
        hash_tree(&site.data),
        before,
        "phase 7 wrote to the data directory"
    );

    // The transition log holds every step with its gates.
    let status: serde_json::Value =
        serde_json::from_str(&site.ok(&["phase", "status", "--no-gates", "--json"]).await).unwrap();
    let transitions = status["transitions"].as_array().unwrap();
    assert_eq!(transitions.len(), 10);
    assert!(
        transitions
            .iter()
            .all(|t| t["kind"] == "advance" && t["forced"] == false)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_from_each_phase_restores_the_previous_routes_and_cycles_continue() {
    let mut site = Site::new().await;
    // Up to 6 with --force where a step is not worth gating here; each step
    // is backfilled so the phase's routes hold real data.
    for _ in 0..9 {
        site.ok(&["backfill"]).await;
        site.ok(&["phase", "advance", "--force"]).await;
        site.cycle().await;
    }
    assert_eq!(site.phase().await, "6");
    let order = ["5.4", "5.3", "5.2", "5.1", "4", "3", "2", "1", "0"];
    for previous in order {
        let out = site.ok(&["phase", "rollback"]).await;
        assert!(out.contains(&format!("→ {previous}")), "{out}");
        let status: serde_json::Value =
            serde_json::from_str(&site.ok(&["phase", "status", "--no-gates", "--json"]).await)
                .unwrap();
        let phase: domain::Phase = previous.parse().unwrap();
        for pair in status["routes"].as_array().unwrap() {
            let ds: DataSet = pair[0].as_str().unwrap().parse().unwrap();
            let route = pair[1].as_str().unwrap();
            assert!(
                route.starts_with(phase.route(ds).code()),
                "{ds} in {previous}: {route}"
            );
        }
        site.cycle().await;
        site.verify_written().await;
    }
    let refused = site.xtask(&["phase", "rollback"]).await;
    assert!(!refused.status.success(), "phase 0 is the first");
}
