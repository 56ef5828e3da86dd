//! `cargo xtask bench`: run every benchmark, then print one table of the
//! goals with the ratios measured in this run (machines are noisy: a ratio
//! of two figures from the same run means more than either figure).
//!
//! Each bench binary writes `target/bench-results/<bench>.json`
//! ([`results`]); this command only runs them and reads those files.
//! Benchmarks are not part of the test suite or CI.

mod results;
mod table;

use crate::cmd;
use anyhow::{Result, bail};
use clap::Args;
use results::Results;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Also 1,000,000 trades (sizes 1000,100000,1000000), a full-size
    /// crawl (10,000 events) and a full-size backtest (1,000 markets ×
    /// 8,760 hours). `PRESCIENT_BENCH_SIZES` overrides the sizes.
    #[arg(long)]
    full: bool,
    /// Run only these benches (json_store, crawl, pg_vs_json, migration,
    /// cycle_memory, backtest).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Print the table from the last results without running anything.
    #[arg(long)]
    report_only: bool,
}

/// A bench binary: its results file name and how cargo runs it.
struct Bench {
    name: &'static str,
    package: &'static str,
    features: Option<&'static str>,
}

const BENCHES: [Bench; 6] = [
    Bench {
        name: "json_store",
        package: "storage-json",
        features: None,
    },
    Bench {
        name: "crawl",
        package: "polymarket-client",
        features: None,
    },
    Bench {
        name: "pg_vs_json",
        package: "storage-pg",
        features: Some("testing"),
    },
    Bench {
        name: "migration",
        package: "orchestrator",
        features: None,
    },
    Bench {
        name: "cycle_memory",
        package: "orchestrator",
        features: None,
    },
    Bench {
        name: "backtest",
        package: "orchestrator",
        features: None,
    },
];

pub fn run(args: BenchArgs) -> Result<()> {
    let dir = results::default_dir(&cmd::root());
    let sizes = std::env::var("PRESCIENT_BENCH_SIZES")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| {
            if args.full {
                "1000,100000,1000000".into()
            } else {
                "1000,100000".into()
            }
        });
    let selected: Vec<&Bench> = BENCHES
        .iter()
        .filter(|b| args.only.is_empty() || args.only.iter().any(|o| o == b.name))
        .collect();
    if selected.is_empty() {
        bail!(
            "--only names none of json_store, crawl, pg_vs_json, migration, cycle_memory, backtest"
        );
    }
    let mut failed = Vec::new();
    if !args.report_only {
        for bench in &selected {
            // A stale file must not pass for this run's figures.
            let _ = std::fs::remove_file(dir.join(format!("{}.json", bench.name)));
            let mut c = cmd::cargo();
            c.args(["bench", "-p", bench.package, "--bench", bench.name]);
            if let Some(f) = bench.features {
                c.args(["--features", f]);
            }
            c.env("PRESCIENT_BENCH_SIZES", &sizes)
                .env(results::DIR_VAR, &dir);
            if bench.name == "crawl" {
                crawl_defaults(&mut c, args.full);
            }
            if bench.name == "backtest" {
                backtest_defaults(&mut c, args.full);
            }
            if bench.name == "pg_vs_json" && args.full && std::env::var_os(SNAPSHOT_ROWS).is_none()
            {
                c.env(SNAPSHOT_ROWS, "10000000");
            }
            if let Err(e) = cmd::run(c) {
                eprintln!("warning: {e:#}");
                failed.push(bench.name);
            }
        }
    }
    let mut all = BTreeMap::new();
    for bench in &BENCHES {
        if let Some(r) = Results::read(&dir, bench.name)? {
            all.insert(bench.name, r);
        }
    }
    let rendered = table::render(&all);
    let summary = dir.join("summary.md");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(&summary, &rendered)?;
    println!("\nPRESCIENT_BENCH_SIZES={sizes}\n\n{rendered}");
    eprintln!("(also in {})", summary.display());
    if !failed.is_empty() {
        bail!("benches failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Market snapshots the `pg_vs_json` bench reads one market's history out
/// of: its own default (1M), issue #12's 10M with `--full`. A value
/// already set wins.
const SNAPSHOT_ROWS: &str = "PRESCIENT_BENCH_SNAPSHOT_ROWS";

/// The crawl's own defaults are the full size (10,000 events under 200
/// requests per 10 s). By default xtask runs 2,000 events under 40 per 2 s:
/// about 200 requests over five windows, enough for the rate to mean
/// something in ~10 s. Variables already set win.
fn crawl_defaults(c: &mut std::process::Command, full: bool) {
    let defaults: &[(&str, &str)] = if full {
        &[("PRESCIENT_BENCH_EVENTS", "10000")]
    } else {
        &[
            ("PRESCIENT_BENCH_EVENTS", "2000"),
            ("PRESCIENT_BENCH_QUOTA", "40"),
            ("PRESCIENT_BENCH_WINDOW_SECS", "2"),
        ]
    };
    for (key, value) in defaults {
        if std::env::var_os(key).is_none() {
            c.env(key, value);
        }
    }
}

/// The backtest bench's own default is 100 markets × 720 hours (72,000
/// rows, extrapolated to the goal's 8.76M); `--full` runs the goal's size,
/// 1,000 markets × 8,760 hours. Variables already set win.
fn backtest_defaults(c: &mut std::process::Command, full: bool) {
    if !full {
        return;
    }
    for (key, value) in [
        ("PRESCIENT_BENCH_BACKTEST_MARKETS", "1000"),
        ("PRESCIENT_BENCH_BACKTEST_HOURS", "8760"),
    ] {
        if std::env::var_os(key).is_none() {
            c.env(key, value);
        }
    }
}
