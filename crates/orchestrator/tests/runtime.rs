//! One runtime, as an operator runs it: `prescient serve` with the schedule
//! moves the portfolio on its own, readers (`stats`, `migrate phase status`)
//! work beside it, a second writer is refused, and SIGTERM stops it cleanly
//! (exit 0, the running cycle finished, queued PostgreSQL writes landed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::PortfolioId;
use domain::ports::TradeStore;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment of every process of one site: its own data and state
/// directories, nothing from the machine's configuration.
fn env(data: &Path, state: &Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        (
            "PRESCIENT_CONFIG".into(),
            "/nonexistent/prescient.toml".into(),
        ),
        ("PRESCIENT_DATA_DIR".into(), data.display().to_string()),
        ("PRESCIENT_STATE_DIR".into(), state.display().to_string()),
        ("PRESCIENT_EVENT_MAX_DAYS_UNTIL_END".into(), "1000".into()),
        ("RUST_LOG".into(), "warn".into()),
    ]
}

fn prescient(env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prescient"));
    cmd.env_clear()
        .envs(env.iter().cloned())
        .current_dir(scratch_dir());
    cmd
}

/// A running `prescient serve`, its base URL read from its first line.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(env: &[(String, String)], args: &[&str]) -> Server {
        let mut child = prescient(env)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(base) = line.split_whitespace().find(|w| w.starts_with("http://")) else {
            let _ = child.kill();
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            panic!("serve did not say where it listens: {line:?}\n{stderr}");
        };
        let base = base.trim_end_matches('/').to_owned();
        Server { child, base }
    }

    async fn status(&self) -> serde_json::Value {
        reqwest::get(format!("{}/trading/status", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Wait (at most a minute) until the status satisfies `done`.
    async fn wait_for(
        &self,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.status().await;
            if done(&status) {
                return status;
            }
            assert!(Instant::now() < until, "never {what}: {status:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM, as `systemctl stop` sends it; the exit status and stderr.
    async fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let until = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < until,
                "serve did not stop within 30 s of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr).unwrap();
        (status, stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn last_cycle_succeeded(s: &serde_json::Value) -> bool {
    s["cycle"]["last"]["outcome"] == "success"
}

#[tokio::test]
async fn serve_runs_the_schedule_readers_work_beside_it_and_a_second_writer_is_refused() {
    let site = tempfile::tempdir().unwrap();
    let (data, state) = (site.path().join("data"), site.path().join("state"));
    let env = env(&data, &state);
    let source = format!("snapshot:{}", example_snapshot().display());
    let server = Server::start(
        &env,
        &[
            "--store",
            "json",
            "--source",
            &source,
            "--cycle-every",
            "1h",
            "--prices-every",
            "30m",
        ],
    );

    // Nobody POSTs: the schedule's first cycle runs at once and the
    // portfolio moves; then the next one is due (no due time while a job
    // runs).
    let status = server
        .wait_for("ran a scheduled cycle and set the next", |s| {
            last_cycle_succeeded(s) && s["schedule"]["next_cycle_at"].is_string()
        })
        .await;
    assert!(status["cycle"]["last"]["trades_executed"].as_u64().unwrap() > 0);
    let schedule = &status["schedule"];
    assert_eq!(schedule["cycle_every_s"], 3600);
    assert_eq!(schedule["prices_every_s"], 1800);
    assert!(schedule["next_cycle_at"].is_string(), "{schedule}");
    assert!(schedule["next_prices_at"].is_string(), "{schedule}");
    assert_eq!(array_len(&data.join("trades/paper_trades.json")), 3);

    // Readers beside the running writer.
    let stats = prescient(&env)
        .args(["stats", "--store", "json", "--json"])
        .output()
        .unwrap();
    assert!(
        stats.status.success(),
        "stats beside serve: {}",
        String::from_utf8_lossy(&stats.stderr)
    );
    let performance: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(performance["open_positions"], 3, "{performance:#}");
    let phase = prescient(&env)
        .args(["migrate", "phase", "status", "--no-gates"])
        .output()
        .unwrap();
    assert!(
        phase.status.success(),
        "migrate phase status beside serve: {}",
        String::from_utf8_lossy(&phase.stderr)
    );
    assert!(String::from_utf8_lossy(&phase.stdout).contains("phase 0"));

    // A second writer is refused, naming the one that runs.
    let cycle = prescient(&env)
        .args(["cycle", "--store", "json", "--source", &source])
        .output()
        .unwrap();
    assert!(!cycle.status.success());
    let stderr = String::from_utf8_lossy(&cycle.stderr);
    assert!(
        stderr.contains("another Prescient process writes") && stderr.contains("serve"),
        "{stderr}"
    );
    assert_eq!(array_len(&data.join("trades/paper_trades.json")), 3);

    let (exit, stderr) = server.terminate().await;
    assert!(exit.success(), "SIGTERM: {exit:?}\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_dual_writing_loses_nothing_queued() {
    let db = storage_pg::testing::TestDb::create().await.unwrap();
    let site = tempfile::tempdir().unwrap();
    let (data, state) = (site.path().join("data"), site.path().join("state"));
    std::fs::create_dir_all(&state).unwrap();
    // Phase 4: every data set dual-written, PostgreSQL's half behind the
    // write-behind queue.
    std::fs::write(
        state.join("phase.toml"),
        "phase = \"4\"\nsince = \"2026-12-01T00:00:00Z\"\n",
    )
    .unwrap();
    let mut env = env(&data, &state);
    env.push(("DATABASE_URL".into(), db.url().to_owned()));
    env.push(("PRESCIENT_WRITE_BEHIND".into(), "true".into()));
    let source = format!("snapshot:{}", example_snapshot().display());
    let server = Server::start(&env, &["--source", &source, "--cycle-every", "1h"]);
    server
        .wait_for("ran a scheduled cycle", last_cycle_succeeded)
        .await;
    let (exit, stderr) = server.terminate().await;
    assert!(exit.success(), "SIGTERM: {exit:?}\n{stderr}");

    // Everything the cycle wrote to JSON is in PostgreSQL, and nothing waits.
    let json_trades = array_len(&data.join("trades/paper_trades.json"));
    assert_eq!(json_trades, 3);
    let vars = [("DATABASE_URL".to_owned(), db.url().to_owned())].into();
    let pg = storage_pg::PgStore::connect(storage_pg::PgConfig::from_vars(&vars).unwrap())
        .await
        .unwrap();
    let pg_trades = pg
        .count_trades(&PortfolioId::default(), None)
        .await
        .unwrap();
    assert_eq!(pg_trades, json_trades as u64);
    let outbox = state.join("outbox.jsonl");
    let queued = std::fs::read_to_string(&outbox).unwrap_or_default();
    assert!(queued.trim().is_empty(), "left in the outbox: {queued}");
}

#[test]
fn env_file_is_read_from_the_working_directory_only_or_the_one_named() {
    let site = tempfile::tempdir().unwrap();
    let parent = site.path().join("parent");
    let cwd = parent.join("child");
    std::fs::create_dir_all(&cwd).unwrap();
    for name in ["from-parent", "from-cwd", "from-named"] {
        testkit::files::copy_tree(&python_era_data(), &site.path().join(name));
    }
    let stats = |extra: &[(&str, String)]| {
        Command::new(env!("CARGO_BIN_EXE_prescient"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
            .env("PRESCIENT_STATE_DIR", site.path().join("state"))
            .envs(extra.iter().map(|(k, v)| (*k, v.clone())))
            .current_dir(&cwd)
            .args(["stats", "--store", "json"])
            .output()
            .unwrap()
    };
    let data_dir =
        |name: &str| format!("PRESCIENT_DATA_DIR={}\n", site.path().join(name).display());
    // A `.env` in a parent directory is not read: stats finds no portfolio
    // in ./data.
    std::fs::write(parent.join(".env"), data_dir("from-parent")).unwrap();
    let out = stats(&[]);
    assert!(!out.status.success(), "read the parent's .env");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no portfolio"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One in the working directory is.
    std::fs::write(cwd.join(".env"), data_dir("from-cwd")).unwrap();
    let out = stats(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // PRESCIENT_ENV_FILE names another (over ./.env); a missing one is an
    // error naming it.
    std::fs::write(cwd.join(".env"), data_dir("nowhere")).unwrap();
    let named = site.path().join("named.env");
    std::fs::write(&named, data_dir("from-named")).unwrap();
    let out = stats(&[("PRESCIENT_ENV_FILE", named.display().to_string())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = site.path().join("missing.env");
    let out = stats(&[("PRESCIENT_ENV_FILE", missing.display().to_string())]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing.env"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
