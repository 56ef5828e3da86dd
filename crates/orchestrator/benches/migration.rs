//! The migration's costs (SPEC §6): what dual writes add to a cycle, how fast
//! a backfill goes next to a plain `COPY`, and how long a verify takes.
//!
//! - Cycle wall time on the example snapshot (`event_max_days_until_end` 1000, as
//!   the README's demo) in phases 0, 4, 5.4 and 6, through
//!   `App::open(…, StoreChoice::Phase)` exactly as `prescient cycle` opens
//!   its stores. Each repetition starts from an empty data directory and a
//!   fresh database and runs several cycles (the first trades, the rest
//!   re-price); the median of all of them is reported.
//! - Backfill: `copy_data_sets` of the trades data set from a JSON data
//!   directory holding N trades into PostgreSQL (bulk path), rows/s, vs
//!   psql's `\copy` of the same rows into an empty table.
//! - Verify: `ops::verify::verify` of the trades data set after the backfill.
//!
//! N is the largest of `PRESCIENT_BENCH_SIZES` (default 100000; 0 skips the
//! backfill and verify);
//! `PRESCIENT_BENCH_CYCLE_REPS` (3) × `PRESCIENT_BENCH_CYCLES` (5) cycles per
//! phase (`PRESCIENT_BENCH_CYCLE_REPS=0`: no cycles, the backfill and verify
//! alone); `PRESCIENT_BENCH_PHASES` (e.g. `0,4`) measures only those phases
//! (to trace one phase's cycles); `PRESCIENT_BENCH_LOG_SQL` set has the
//! server log every statement of each bench database with its duration
//! (`log_min_duration_statement = 0`; needs a superuser, the log is the
//! server's). A plain `main` (`harness = false`): a cycle and a backfill are
//! measured end to end, a few times, not micro-benchmarked. Results go to
//! `target/bench-results/migration.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../xtask/src/bench/results.rs"]
mod results;
#[path = "../../storage-pg/benches/support/mod.rs"]
mod support;

use domain::DataSet;
use domain::ports::Stores;
use indicatif::ProgressBar;
use orchestrator::app::{App, StoreChoice};
use orchestrator::phase_state::{PhaseFile, PhaseRecord};
use orchestrator::{Settings, Sources};
use polymarket_client::SnapshotSource;
use results::Results;
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use storage_json::{JsonStore, JsonStoreOptions};
use storage_pg::testing::TestDb;

const PHASES: [&str; 4] = ["0", "4", "5.4", "6"];

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn snapshot() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/snapshot")
}

fn settings(data: &Path, state: &Path, database_url: &str) -> Settings {
    let env: HashMap<String, String> = [
        ("PRESCIENT_DATA_DIR", data.display().to_string()),
        ("PRESCIENT_STATE_DIR", state.display().to_string()),
        ("PRESCIENT_EVENT_MAX_DAYS_UNTIL_END", "1000".to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Settings::load(&Sources { file: None, env }).unwrap()
}

/// Cycle wall times (seconds) of `cycles` cycles in `phase`, from scratch.
async fn cycles_in_phase(phase: &str, cycles: usize) -> Vec<f64> {
    let db = TestDb::create().await.unwrap();
    if std::env::var_os("PRESCIENT_BENCH_LOG_SQL").is_some() {
        db.connection()
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{}\" SET log_min_duration_statement = 0",
                db.name()
            ))
            .await
            .unwrap();
        eprintln!(
            "phase {phase}: statements logged for database {}",
            db.name()
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let (data, state) = (tmp.path().join("data"), tmp.path().join("state"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    PhaseFile::in_dir(&state)
        .save(&PhaseRecord {
            phase: phase.into(),
            ..PhaseRecord::initial(chrono::Utc::now())
        })
        .unwrap();
    let settings = settings(&data, &state, db.url());
    let params = orchestrator::app::cycle_params(&settings).unwrap();
    let app = App::open(settings, StoreChoice::Phase).await.unwrap();
    assert_eq!(app.phase.number(), phase);
    let source = SnapshotSource::open(snapshot()).unwrap();
    let mut times = Vec::with_capacity(cycles);
    for n in 0..cycles {
        let start = Instant::now();
        let summary = orchestrator::run_cycle(&app.stores, &source, &params)
            .await
            .unwrap_or_else(|e| panic!("phase {phase}, cycle {n}: {e}"));
        times.push(start.elapsed().as_secs_f64());
        std::hint::black_box(summary);
        // Dual writes reach PostgreSQL behind the cycle (write-behind); let
        // them land, untimed, before the next cycle, as an hourly schedule
        // would. The lag is reported beside the cycle time.
        let lag = Instant::now();
        app.flush().await;
        if n == 0 {
            eprintln!(
                "phase {phase}: PostgreSQL lag after a cycle {:.1} ms",
                lag.elapsed().as_secs_f64() * 1e3
            );
        }
    }
    drop(app);
    drop(db);
    times
}

async fn cycle_times(out: &mut Results) {
    let reps = env_or("PRESCIENT_BENCH_CYCLE_REPS", 3);
    if reps == 0 {
        eprintln!(
            "PRESCIENT_BENCH_CYCLE_REPS=0: no cycles measured (the backfill and verify alone)"
        );
        return;
    }
    let cycles = env_or("PRESCIENT_BENCH_CYCLES", 5);
    // Interleaved, so drift on a noisy machine spreads over every phase.
    let only = std::env::var("PRESCIENT_BENCH_PHASES").unwrap_or_default();
    let phases: Vec<&str> = PHASES
        .into_iter()
        .filter(|p| only.trim().is_empty() || only.split(',').any(|o| o.trim() == *p))
        .collect();
    let mut times: HashMap<&str, Vec<f64>> = HashMap::new();
    for _ in 0..reps {
        for phase in phases.iter().copied() {
            let t = cycles_in_phase(phase, cycles).await;
            times.entry(phase).or_default().extend(t);
        }
    }
    for phase in phases {
        let t = &times[phase];
        let median = results::median(t).unwrap();
        eprintln!(
            "cycle in phase {phase}: median {:.1} ms over {} cycles",
            median * 1e3,
            t.len()
        );
        out.set(format!("cycle_seconds/{phase}"), median);
    }
}

async fn backfill_and_verify(n: u32, out: &mut Results) {
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    support::write_json_trades(tmp.path(), n).await;
    let rows = support::bench_trades(n);
    let csv = support::csv(&rows);
    drop(rows);
    eprintln!("generated {n} JSON trades in {:.1?}", started.elapsed());
    let json = Stores::single(Arc::new(
        JsonStore::open(tmp.path(), JsonStoreOptions::default()).unwrap(),
    ));
    let runs = if n >= 1_000_000 { 1 } else { 3 };
    let (mut backfill, mut copy, mut verify) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let db = TestDb::create().await.unwrap();
        let pg = db.store();
        let pg_stores = Stores::transactional(Arc::new(pg.clone()));
        let start = Instant::now();
        let report = orchestrator::ops::copy::copy_data_sets(
            &json,
            &pg_stores,
            Some(&pg),
            &[DataSet::Trades],
            &ProgressBar::hidden(),
        )
        .await
        .unwrap();
        backfill.push(start.elapsed().as_secs_f64());
        assert_eq!(report.rows(), n as usize);

        let start = Instant::now();
        let verified = orchestrator::ops::verify::verify(&json, &pg_stores, &[DataSet::Trades])
            .await
            .unwrap();
        verify.push(start.elapsed().as_secs_f64());
        assert!(verified.is_clean(), "backfilled trades verify clean");

        // Where the time goes: each side's read alone, untimed above.
        let p = domain::PortfolioId::default();
        let start = Instant::now();
        let decoded: usize = json
            .trades
            .trade_chunks(&p, orchestrator::ops::copy::TRADE_CHUNK)
            .await
            .unwrap()
            .map(|c| c.unwrap().len())
            .sum();
        let chunks_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let ours = json.trades.load_trades(&p).await.unwrap();
        let json_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let theirs = pg_stores.trades.load_trades(&p).await.unwrap();
        let pg_s = start.elapsed().as_secs_f64();
        assert_eq!(
            (decoded, ours.len(), theirs.len()),
            (n as usize, n as usize, n as usize)
        );
        eprintln!(
            "  JSON decoded in chunks {chunks_s:.2} s, JSON load {json_s:.2} s, PostgreSQL load {pg_s:.2} s"
        );
        drop((ours, theirs));

        db.connection()
            .execute_unprepared("TRUNCATE trades CASCADE")
            .await
            .unwrap();
        let start = Instant::now();
        support::copy_in(db.url(), &csv);
        copy.push(start.elapsed().as_secs_f64());
    }
    let (b, c, v) = (
        results::median(&backfill).unwrap(),
        results::median(&copy).unwrap(),
        results::median(&verify).unwrap(),
    );
    let rows = f64::from(n);
    eprintln!(
        "{n} trades: backfill {:.0} rows/s, COPY {:.0} rows/s, verify {v:.2} s (median of {runs})",
        rows / b,
        rows / c
    );
    out.set("backfill_trades", rows);
    out.set("backfill_rows_per_s", rows / b);
    out.set("copy_rows_per_s", rows / c);
    out.set("verify_seconds", v);
}

fn main() {
    // `cargo bench` passes `--bench`; nothing here takes arguments.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let n = results::sizes(&[100_000])
        .into_iter()
        .max()
        .unwrap_or(100_000);
    let mut out = Results::default();
    runtime.block_on(async {
        cycle_times(&mut out).await;
        // `PRESCIENT_BENCH_SIZES=0`: the cycles alone.
        if n > 0 {
            backfill_and_verify(n, &mut out).await;
        }
    });
    let dir = results::dir_for(env!("CARGO_MANIFEST_DIR"));
    let path = out.write(&dir, "migration").unwrap();
    eprintln!("results: {}", path.display());
}
