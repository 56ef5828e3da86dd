//! The `prescient` binary as a user runs it: exit codes, output, files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use common::*;
use predicates::prelude::*;

fn prescient() -> Command {
    let mut cmd = Command::cargo_bin("prescient").unwrap();
    // Settings come only from the flags of each test.
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("RUST_LOG", "warn")
        .current_dir(scratch_dir());
    cmd
}

fn example_source() -> String {
    format!("snapshot:{}", example_snapshot().display())
}

#[test]
fn cycle_on_the_example_prints_every_step_and_writes_the_files() {
    let data = tempfile::tempdir().unwrap();
    prescient()
        .args([
            "cycle",
            "--source",
            &example_source(),
            "--event-max-days-until-end",
            "1000",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("cycle success"))
        .stdout(predicate::str::contains("executed=3"));
    assert_eq!(array_len(&data.path().join("trades/paper_trades.json")), 3);
}

#[test]
fn json_summary_has_each_step_and_the_parameters() {
    let data = tempfile::tempdir().unwrap();
    let out = prescient()
        .args(["cycle", "--json", "--source", &example_source()])
        .args([
            "--event-max-days-until-end",
            "1000",
            "--min-volume",
            "60000",
        ])
        .env("PRESCIENT_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status"], "success");
    let steps: Vec<&str> = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "export_events",
            "filter_events",
            "filter_markets",
            "generate_signals",
            "execute",
            "reprice",
            "archive_signals",
            "metadata"
        ]
    );
    assert_eq!(summary["parameters"]["min_volume"], "60000");
    assert_eq!(summary["parameters"]["event_max_days_until_end"], 1000);
    assert!(
        data.path().join("trades/portfolio.json").exists(),
        "PRESCIENT_DATA_DIR is used"
    );
}

#[test]
fn a_corrupt_portfolio_stops_the_cycle_and_is_left_untouched() {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("trades")).unwrap();
    let corrupt = b"{\n  \"balance\": 9900.0,\n  \"positions\": [\n    {\"trade_id\": \"t1\",";
    let path = data.path().join("trades/portfolio.json");
    std::fs::write(&path, corrupt).unwrap();
    let out = prescient()
        .args([
            "cycle",
            "--source",
            &example_source(),
            "--event-max-days-until-end",
            "1000",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{stderr}");
    assert!(
        last.contains("portfolio.json") && last.contains("line 4"),
        "{last}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), corrupt);
    assert!(
        !data.path().join("events/raw_events_backup.json").exists(),
        "nothing is written when the portfolio does not load"
    );
}

#[test]
fn bad_sources_are_refused_with_a_clear_cause() {
    let data = tempfile::tempdir().unwrap();
    prescient()
        .args(["cycle", "--source", "snapshot:/nonexistent/snap"])
        .arg("--data-dir")
        .arg(data.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("/nonexistent/snap"));
    prescient()
        .args(["cycle", "--source", "ftp://x"])
        .arg("--data-dir")
        .arg(data.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("live` or `snapshot:DIR"));
}

/// A snapshot is read at step 1 (after the stores are checked): one whose
/// events file does not parse fails that step, naming the file, and
/// nothing is written.
#[test]
fn a_snapshot_that_does_not_parse_fails_step_1_naming_its_file() {
    let data = tempfile::tempdir().unwrap();
    let snap = tempfile::tempdir().unwrap();
    std::fs::write(snap.path().join("events.json"), "[{\"id\": ").unwrap();
    prescient()
        .args(["cycle", "--source"])
        .arg(format!("snapshot:{}", snap.path().display()))
        .arg("--data-dir")
        .arg(data.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("export events"))
        .stderr(predicate::str::contains("events.json"));
    assert!(
        !data.path().join("events/raw_events_backup.json").exists(),
        "nothing is exported from a snapshot that does not parse"
    );
}

/// `--event-*` flags filter events, the plain ones markets: on the example,
/// events at 2,000,000 keep 90001 and 90003 (not 90002, 1,543,210.5), and
/// markets at 600,000 keep 700002 and 700020 (not 700001, 512,345.67).
#[test]
fn event_flags_filter_events_and_plain_flags_filter_markets() {
    let data = tempfile::tempdir().unwrap();
    let out = prescient()
        .args(["cycle", "--json", "--source", &example_source()])
        .args(["--event-max-days-until-end", "1000"])
        .args([
            "--event-min-liquidity",
            "2000000",
            "--min-liquidity",
            "600000",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["parameters"]["event_min_liquidity"], "2000000");
    assert_eq!(summary["parameters"]["min_liquidity"], "600000");
    let ids = |file: &str| -> Vec<String> {
        read_json(&data.path().join(file))
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // By volume, descending.
    assert_eq!(ids("events/filtered_events.json"), ["90001", "90003"]);
    let mut markets = ids("markets/filtered_markets.json");
    markets.sort();
    assert_eq!(markets, ["700002", "700020"]);
    let trades = read_json(&data.path().join("trades/paper_trades.json"));
    assert_eq!(trades.as_array().unwrap().len(), 1);
    assert_eq!(trades[0]["market_id"], "700002");
}

/// A value the filters refuse, or a retired flag or variable: a non-zero
/// exit whose last line names it, and nothing written.
#[test]
fn refused_filter_values_exit_non_zero_naming_the_parameter() {
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = prescient();
        cmd.args(["cycle", "--source", &example_source()])
            .args(args)
            .arg("--data-dir")
            .arg(data.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{args:?} {env:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for (args, named) in [
        (&["--min-liquidity", "-5"][..], "`min_liquidity`"),
        (&["--event-min-volume=-1"], "`event_min_volume`"),
        (&["--min-market-conviction", "2"], "`min_market_conviction`"),
        (
            &[
                "--min-market-conviction",
                "0.9",
                "--max-market-conviction",
                "0.1",
            ],
            "`min_market_conviction`",
        ),
        (
            &[
                "--event-min-days-until-end",
                "10",
                "--event-max-days-until-end",
                "5",
            ],
            "`event_min_days_until_end`",
        ),
        (&["--amount", "0"], "`amount`"),
        (&["--market-min-liquidity", "1"], "--market-min-liquidity"),
        (&["--min-conviction", "0.1"], "--min-conviction"),
    ] {
        let stderr = run(args, &[]);
        let last = stderr
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or_default();
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(
            last.starts_with("error") || last.contains("--help"),
            "{args:?}: {stderr}"
        );
    }
    let stderr = run(&[], &[("PRESCIENT_MARKET_MIN_LIQUIDITY", "1")]);
    assert!(
        stderr.contains("was renamed PRESCIENT_MIN_LIQUIDITY"),
        "{stderr}"
    );
    let stderr = run(&[], &[("PRESCIENT_MAX_MARKET_CONVICTION", "7")]);
    assert!(
        stderr.contains("PRESCIENT_MAX_MARKET_CONVICTION"),
        "{stderr}"
    );
    assert!(
        !data.path().join("events/raw_events_backup.json").exists(),
        "nothing is written when the filters are refused"
    );
}

/// Output into a pipe whose reader has gone (`prescient strategies | head
/// -0`) ends the process as SIGPIPE ends `cat`, not with a panic.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_prescient"))
        .current_dir(scratch_dir())
        .env("RUST_LOG", "off")
        .args(["strategies", "--json"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        out.status.signal(),
        Some(13),
        "ended by SIGPIPE: {:?}",
        out.status
    );
}
