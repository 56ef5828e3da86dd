//! The operator's world for xtask tests: a data directory that starts as the
//! original Python system's files, a state directory, a throw-away database,
//! `cargo xtask` as a subprocess, and cycles routed by the current phase.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use domain::DataSet;
use orchestrator::app::{App, StoreChoice};
use orchestrator::{Settings, Sources, run_cycle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use storage_pg::testing::TestDb;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A data directory (Python-era files), a state directory and a database.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub state: PathBuf,
    pub db: TestDb,
    pub clock: DateTime<Utc>,
}

impl Site {
    pub async fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        testkit::files::copy_tree(
            &workspace().join("crates/storage-json/tests/fixtures/python-era"),
            &data,
        );
        Site {
            data,
            state: dir.path().join("state"),
            dir,
            db: TestDb::create().await.unwrap(),
            clock: DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    pub fn env(&self) -> HashMap<String, String> {
        [
            ("DATABASE_URL", self.db.url().to_owned()),
            ("PRESCIENT_DATA_DIR", self.data.display().to_string()),
            ("PRESCIENT_STATE_DIR", self.state.display().to_string()),
            ("PRESCIENT_PHASE6_HOLD_DAYS", "0".to_owned()),
            ("PRESCIENT_EVENT_MAX_DAYS_UNTIL_END", "1000".to_owned()),
            ("PRESCIENT_CONFIG", "/nonexistent/prescient.toml".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// `cargo xtask ARGS` as a subprocess.
    pub async fn xtask(&self, args: &[&str]) -> Output {
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

    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.xtask(args).await;
        assert!(
            out.status.success(),
            "xtask {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn settings(&self) -> Settings {
        Settings::load(&Sources {
            file: None,
            env: self.env(),
        })
        .unwrap()
    }

    /// One cycle on the example snapshot, routed by the current phase.
    pub async fn cycle(&mut self) {
        self.clock += Duration::hours(1);
        let settings = self.settings();
        let mut params = orchestrator::app::cycle_params(&settings).unwrap();
        let now = self.clock;
        params.clock = std::sync::Arc::new(move || now);
        let app = App::open(settings, StoreChoice::Phase).await.unwrap();
        let source =
            polymarket_client::SnapshotSource::open(workspace().join("examples/snapshot")).unwrap();
        run_cycle(&app.stores, &source, &params)
            .await
            .unwrap_or_else(|e| panic!("cycle in phase {} failed: {e}", app.phase));
        app.flush().await;
    }

    pub async fn phase(&self) -> String {
        let out = self.ok(&["phase", "status", "--no-gates", "--json"]).await;
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["phase"]["number"].as_str().unwrap().to_owned()
    }

    /// `verify` of every data set the phase writes to both stores (from
    /// phase 6 on JSON is no longer written, so it is not expected to match;
    /// the phase 6 gate checks the backup round trip instead).
    pub async fn verify_written(&self) {
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

pub fn hash_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
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

impl Site {
    /// Run SQL against the site's database.
    pub async fn sql(&self, statement: &str) {
        use sea_orm::ConnectionTrait;
        self.db
            .connection()
            .execute_unprepared(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    /// Advance to `phase` with --force, backfilling on the way.
    pub async fn force_to(&mut self, phase: &str) {
        while self.phase().await != phase {
            self.ok(&["backfill"]).await;
            self.ok(&["phase", "advance", "--force"]).await;
        }
    }
}
