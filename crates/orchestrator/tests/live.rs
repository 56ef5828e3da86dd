//! `--source live` and `prescient record` against a local Gamma stand-in
//! (no network): the binary as a user runs it, pointed there by
//! `PRESCIENT_GAMMA_URL`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fake_gamma;
use common::*;

fn prescient(gamma: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_prescient"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("PRESCIENT_GAMMA_URL", gamma)
        .env("RUST_LOG", "warn")
        .current_dir(scratch_dir());
    cmd
}

async fn run(mut cmd: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_cycle_crawls_every_page_and_trades() {
    let gamma = fake_gamma::serve(&example_snapshot()).await;
    let data = tempfile::tempdir().unwrap();
    let mut cmd = prescient(&gamma);
    cmd.args([
        "cycle",
        "--json",
        "--source",
        "live",
        "--event-max-days-until-end",
        "1000",
    ])
    .arg("--data-dir")
    .arg(data.path());
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let export = &summary["steps"][0]["counts"];
    assert_eq!(export["events"], 5);
    assert_eq!(export["pages"], 3, "5 events in pages of 2");
    assert_eq!(summary["steps"][4]["counts"]["executed"], 3);
    assert_eq!(
        array_len(&data.path().join("events/raw_events_backup.json")),
        5
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn record_writes_a_snapshot_that_replays_the_same_cycle() {
    let gamma = fake_gamma::serve(&example_snapshot()).await;
    let snap = tempfile::tempdir().unwrap();
    let mut cmd = prescient(&gamma);
    cmd.arg("record").arg(snap.path());
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("recorded 5 events"));
    assert_eq!(array_len(&snap.path().join("events.json")), 5);
    // Closed markets are not details of a live crawl (as /markets leaves them out).
    assert_eq!(array_len(&snap.path().join("markets.json")), 8);

    let data = tempfile::tempdir().unwrap();
    let mut s = settings();
    s.event_max_days_until_end = 1000;
    let summary = cycle(data.path(), snap.path(), &s, at("2026-12-01T00:00:00Z")).await;
    assert_eq!(summary.execute().unwrap().executed, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_fails_with_the_url_named() {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = prescient("http://127.0.0.1:1");
    cmd.env("PRESCIENT_GAMMA_MAX_RETRIES", "0")
        .args(["cycle", "--source", "live"])
        .arg("--data-dir")
        .arg(data.path());
    let out = run(cmd).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert!(
        stderr.lines().last().unwrap().starts_with("error: "),
        "{stderr}"
    );
}
