//! The gates of each phase (SPEC §6), evaluated by `phase advance`:
//! - entering 1: PostgreSQL reachable, migrations applied;
//! - entering 2, 3, 4: the data sets already dual-written verify clean
//!   (which they cannot without having been backfilled);
//! - entering 5.x: the data sets whose reads move verify clean, and reading
//!   them from PostgreSQL is at least as fast as from JSON — or, on data sets
//!   small enough that both are instant, under the plan's 100 ms;
//! - entering 6: everything verifies clean and a backup → restore (into a
//!   scratch database) → verify round trip passes;
//! - entering 7: phase 6 has held for the configured days (7) and the JSON
//!   files are archived with checksums.

use super::backup::{backup_from, restore_into};
use super::context::Migration;
use super::error::OpsError;
use super::verify::verify;
use crate::phase_state::GateResult;
use chrono::Utc;
use domain::ports::Stores;
use domain::{DataSet, Phase, PortfolioId, Route};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage_pg::PgStore;

/// Reads under this are fast enough whatever JSON does (the plan's bound
/// for common queries).
pub const FAST_ENOUGH: Duration = Duration::from_millis(100);

fn gate(name: &str, passed: bool, detail: impl Into<String>) -> GateResult {
    GateResult {
        gate: name.to_owned(),
        passed,
        detail: detail.into(),
    }
}

/// Evaluate the gates of entering `target` from the current phase.
pub async fn evaluate(m: &mut Migration, target: Phase) -> Vec<GateResult> {
    let current = match m.phase() {
        Ok(p) => p,
        Err(e) => return vec![gate("phase file", false, e.to_string())],
    };
    let pg = match m.pg().await {
        Ok(pg) => pg,
        Err(e) => return vec![gate("database reachable", false, crate::error_line(&e))],
    };
    let mut out = vec![match pg.health().await {
        Ok(latency) => gate(
            "database reachable",
            true,
            format!("{} ms", latency.as_millis()),
        ),
        Err(e) => return vec![gate("database reachable", false, e.to_string())],
    }];
    match target {
        Phase::Preparation => {}
        Phase::TradesAndPortfolio => out.push(match pg.pending_migrations().await {
            Ok(p) if p.is_empty() => gate("migrations applied", true, "none pending"),
            Ok(p) => gate(
                "migrations applied",
                false,
                format!(
                    "pending: {} (run `cargo run -p migration -- up`)",
                    p.join(", ")
                ),
            ),
            Err(e) => gate("migrations applied", false, e.to_string()),
        }),
        Phase::History | Phase::Signals | Phase::MarketsAndEvents => {
            let written: Vec<DataSet> = DataSet::ALL
                .into_iter()
                .filter(|d| current.route(*d) != Route::Json)
                .collect();
            out.push(verify_gate(m, &pg, &written, "backfilled and verify clean").await);
        }
        Phase::ReadsPortfolio
        | Phase::ReadsTradesHistory
        | Phase::ReadsSignals
        | Phase::ReadsMarkets => {
            let moving: Vec<DataSet> = DataSet::ALL
                .into_iter()
                .filter(|d| {
                    target.route(*d) == Route::DualRead && current.route(*d) != Route::DualRead
                })
                .collect();
            out.push(verify_gate(m, &pg, &moving, "verify clean").await);
            for ds in moving {
                out.push(read_speed_gate(m, &pg, ds).await);
            }
        }
        Phase::DatabasePrimary => {
            out.push(verify_gate(m, &pg, &DataSet::ALL, "everything verifies clean").await);
            out.push(round_trip_gate(m, &pg).await);
        }
        Phase::JsonRetired => {
            let held = Utc::now() - m.record.since;
            let days = m.settings.phase6_hold_days;
            out.push(gate(
                "phase 6 held",
                held >= chrono::Duration::days(days),
                format!("{} h held, {days} days required", held.num_hours()),
            ));
            out.push(match &m.record.archive {
                None => gate(
                    "JSON archived",
                    false,
                    "run `prescient migrate archive-json --out FILE`",
                ),
                Some(a) => match super::archive::check(a) {
                    Ok(()) => gate(
                        "JSON archived",
                        true,
                        format!("{} ({} files)", a.file, a.files),
                    ),
                    Err(e) => gate("JSON archived", false, e),
                },
            });
        }
    }
    // Every data set written to both stores must be level: a write
    // PostgreSQL missed (rejected, lost, made without it) refuses the step.
    let dual = current.dual_written(m.settings.overrides);
    if !dual.is_empty() && target != Phase::JsonRetired {
        out.push(currency_gate(m, &pg, &dual).await);
        out.push(shadow_gate(m, &dual));
    }
    out
}

/// No shadow-read mismatch recorded for a dual-written data set since a
/// clean verify of it.
fn shadow_gate(m: &Migration, data_sets: &[DataSet]) -> GateResult {
    let names: Vec<&str> = data_sets.iter().map(|d| d.as_str()).collect();
    let found: Vec<String> = m
        .settings
        .shadow_log()
        .load()
        .into_iter()
        .filter(|x| names.contains(&x.data_set.as_str()))
        .flat_map(|x| {
            x.keys
                .into_iter()
                .map(move |k| format!("{} {}: {k}", x.data_set, x.read))
        })
        .collect();
    if found.is_empty() {
        gate(
            "no shadow mismatch",
            true,
            "none recorded since the last clean verify",
        )
    } else {
        let shown: Vec<&str> = found.iter().take(5).map(String::as_str).collect();
        gate(
            "no shadow mismatch",
            false,
            format!(
                "{} recorded ({}); `verify --repair`, then a clean verify clears them",
                found.len(),
                shown.join("; ")
            ),
        )
    }
}

/// PostgreSQL current for every one of `data_sets`.
async fn currency_gate(m: &Migration, pg: &PgStore, data_sets: &[DataSet]) -> GateResult {
    let json = m.json_reader();
    let pg = Stores::transactional(Arc::new(pg.clone()));
    let mut behind = Vec::new();
    for ds in data_sets {
        let c = routing::currency::currency(&json, &pg, *ds).await;
        if !c.current {
            behind.push(format!("{} {}", c.data_set, c.state()));
        }
    }
    if behind.is_empty() {
        gate("PostgreSQL current", true, "every dual-written data set")
    } else {
        gate(
            "PostgreSQL current",
            false,
            format!(
                "{} (replay with `outbox replay`, then `verify --repair`)",
                behind.join(", ")
            ),
        )
    }
}

async fn verify_gate(
    m: &mut Migration,
    pg: &PgStore,
    data_sets: &[DataSet],
    name: &str,
) -> GateResult {
    if data_sets.is_empty() {
        return gate(name, true, "no data set to check");
    }
    let names: Vec<String> = data_sets.iter().map(ToString::to_string).collect();
    match verify(
        &m.json_reader(),
        &Stores::transactional(Arc::new(pg.clone())),
        data_sets,
    )
    .await
    {
        Ok(r) => {
            m.record.last_verify = Some(r.record(data_sets));
            if r.is_clean() {
                if let Err(e) = m.settings.shadow_log().clear(data_sets) {
                    return gate(name, false, format!("cannot clear shadow mismatches: {e}"));
                }
            }
            gate(
                name,
                r.is_clean(),
                format!(
                    "{}: {} missing, {} extra, {} differing",
                    names.join(", "),
                    r.missing(),
                    r.extra(),
                    r.differing()
                ),
            )
        }
        Err(e) => gate(name, false, format!("verify could not run: {e}")),
    }
}

/// Best of three loads of the data set from each store.
async fn read_speed_gate(m: &Migration, pg: &PgStore, ds: DataSet) -> GateResult {
    let name = format!("{ds} reads at least as fast");
    let pg_stores = Stores::transactional(Arc::new(pg.clone()));
    let json = m.json_reader();
    let id = m.portfolio();
    let (j, p) = match (
        time_reads(&json, ds, &id).await,
        time_reads(&pg_stores, ds, &id).await,
    ) {
        (Ok(j), Ok(p)) => (j, p),
        (Err(e), _) | (_, Err(e)) => return gate(&name, false, e.to_string()),
    };
    let passed = p <= j || p <= FAST_ENOUGH;
    gate(
        &name,
        passed,
        format!(
            "PostgreSQL {:.1} ms, JSON {:.1} ms",
            p.as_secs_f64() * 1e3,
            j.as_secs_f64() * 1e3
        ),
    )
}

async fn time_reads(
    s: &Stores,
    ds: DataSet,
    id: &PortfolioId,
) -> Result<Duration, domain::StoreError> {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        match ds {
            DataSet::Portfolio => drop(s.portfolio.load_portfolio(id).await?),
            DataSet::Trades => drop(s.trades.load_trades(id).await?),
            DataSet::History => drop(s.history.load_history(id).await?),
            DataSet::Signals => drop(s.signals.load_current_signals(id).await?),
            DataSet::Markets => drop(s.markets.load_filtered_markets().await?),
        }
        best = best.min(t.elapsed());
    }
    Ok(best)
}

/// Backup → restore into a scratch database → verify against the live one.
async fn round_trip_gate(m: &mut Migration, pg: &PgStore) -> GateResult {
    let name = "backup → restore → verify";
    let result = async {
        let dir = tempfile_dir()?;
        backup_from(m, pg, &dir).await?;
        let scratch = pg.create_scratch().await?;
        let restored = restore_into(m, &scratch.store, &dir, false).await;
        let report = match restored {
            Ok(_) => verify(
                &Stores::transactional(Arc::new(pg.clone())),
                &Stores::transactional(Arc::new(scratch.store.clone())),
                &DataSet::ALL,
            )
            .await
            .map_err(OpsError::from),
            Err(e) => Err(e),
        };
        let _ = scratch.drop_now().await;
        let _ = std::fs::remove_dir_all(&dir);
        report
    }
    .await;
    match result {
        Ok(r) => {
            m.record.last_round_trip = Some(r.record(&DataSet::ALL));
            gate(
                name,
                r.is_clean(),
                format!(
                    "{} missing, {} extra, {} differing",
                    r.missing(),
                    r.extra(),
                    r.differing()
                ),
            )
        }
        Err(e) => gate(name, false, crate::error_line(&e)),
    }
}

fn tempfile_dir() -> Result<std::path::PathBuf, OpsError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "prescient-roundtrip-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).map_err(OpsError::file("create", &dir))?;
    Ok(dir)
}
