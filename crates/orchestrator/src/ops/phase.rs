//! `phase status|advance|rollback`: the routes of the current phase, the
//! gates of the next, and transitions logged with their gate results.

use super::context::Migration;
use super::copy::copy_data_sets;
use super::error::{OpsError, Result};
use super::gates;
use crate::phase_state::{GateResult, Transition};
use crate::status::{
    MigrationInputs, OutboxReport, StatusReport, StoreKind, migration_status, recorded_mismatches,
};
use chrono::Utc;
use domain::ports::Stores;
use domain::{DataSet, Phase};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `phase status`; with `with_gates`, the next phase's gates are evaluated.
/// The report is the one `GET /trading/status` answers, without the server's
/// part.
pub async fn status(m: &mut Migration, with_gates: bool) -> Result<StatusReport> {
    let phase = m.phase()?;
    let overrides = m.settings.overrides;
    let gates = match (phase.next(), with_gates) {
        (Some(n), true) => gates::evaluate(m, n).await,
        _ => Vec::new(),
    };
    let dual = phase.dual_written(overrides);
    let currency = if dual.is_empty() {
        Some(Vec::new())
    } else {
        m.currency(&dual).await
    };
    let outbox = m.outbox();
    let migration = migration_status(MigrationInputs {
        phase,
        since: m.record.since,
        record: &m.record,
        overrides,
        store: StoreKind::Phase,
        outbox: OutboxReport {
            depth: Some(outbox.depth().await?),
            path: Some(outbox.path().display().to_string()),
            error: None,
        },
        dead_letters: outbox.dead_count(),
        currency,
        shadow_mismatches: recorded_mismatches(&m.settings.shadow_log()),
        gates,
    });
    Ok(StatusReport {
        migration,
        server: None,
    })
}

/// `phase advance [--force]`: the gates of the next phase, then the step.
pub async fn advance(m: &mut Migration, force: bool) -> Result<Transition> {
    let _runtime = runtime_lock(m)?;
    let current = m.phase()?;
    let Some(target) = current.next() else {
        return Err(OpsError::LastPhase);
    };
    let gates = gates::evaluate(m, target).await;
    let failed: Vec<&GateResult> = gates.iter().filter(|g| !g.passed).collect();
    if !failed.is_empty() && !force {
        let list: Vec<String> = failed
            .iter()
            .map(|g| format!("{}: {}", g.gate, g.detail))
            .collect();
        // Keep what the gates learnt (last verify) even when refusing.
        m.phase_file.save(&m.record)?;
        return Err(OpsError::Gated {
            phase: target.number().into(),
            failed: list.join("; "),
        });
    }
    if force && !failed.is_empty() {
        tracing::warn!(
            to = target.number(),
            failed = failed.len(),
            "phase advanced over failing gates (--force)"
        );
    }
    transition(
        m,
        current,
        target,
        "advance",
        force && !failed.is_empty(),
        gates,
    )
    .await
}

/// `phase rollback`: one step back, at any time. Leaving phase 6 first
/// copies PostgreSQL (the truth there) back into the JSON files, which were
/// not written while it held, so DR routes find them current.
pub async fn rollback(m: &mut Migration) -> Result<Transition> {
    let _runtime = runtime_lock(m)?;
    let current = m.phase()?;
    let Some(target) = current.previous() else {
        return Err(OpsError::FirstPhase);
    };
    let mut gates = Vec::new();
    if current == Phase::DatabasePrimary {
        let pg = m.pg().await?;
        let json = m.json_writer()?;
        let bar = m.bar("resync");
        for ds in DataSet::ALL {
            json.clear_data_set(ds).await?;
        }
        let report = copy_data_sets(
            &Stores::transactional(Arc::new(pg)),
            &Stores::single(Arc::new(json)),
            None,
            &DataSet::ALL,
            &bar,
        )
        .await?;
        bar.finish_and_clear();
        // Both sides now hold the same records: PostgreSQL is level with
        // what JSON holds after the copy.
        let pg = m.pg().await?;
        let json = m.json_reader();
        let pg_stores = Stores::transactional(Arc::new(pg));
        for ds in DataSet::ALL {
            let version = json.versions.own_version(ds).await?;
            routing::currency::mark_level(&pg_stores, ds, &version).await?;
        }
        gates.push(GateResult {
            gate: "JSON resynced from PostgreSQL".into(),
            passed: true,
            detail: format!("{} rows", report.rows()),
        });
    }
    transition(m, current, target, "rollback", false, gates).await
}

/// The `system_metadata` key PostgreSQL's copy of the phase is kept under.
pub const PHASE_KEY: &str = "migration_phase";

/// Record `phase` as PostgreSQL's `migration_phase`.
pub(crate) async fn mirror_phase(m: &Migration, phase: Phase) -> Result<()> {
    use domain::ports::MetadataStore;
    let pg = m.pg().await?;
    pg.set_metadata(PHASE_KEY, phase.number(), Utc::now())
        .await?;
    Ok(())
}

/// `phase rollback --from-backup DIR`: the way back to JSON from phase 6
/// while PostgreSQL is down. The data directory's legacy files are replaced
/// by the backup's JSON export (`DIR/data`, or `DIR` itself), the replaced
/// ones moved to `<data dir>.before-rollback-<time>`, and the phase set to
/// 5.4, where JSON is the truth again. PostgreSQL is not needed: it is told
/// the phase if it answers, else at the next verify. It is then behind for
/// every data set (the files changed behind its versions), and
/// `verify --repair` brings it level from JSON once it is back.
pub async fn rollback_from_backup(m: &mut Migration, backup: &Path) -> Result<Transition> {
    let _runtime = runtime_lock(m)?;
    let current = m.phase()?;
    if current != Phase::DatabasePrimary {
        return Err(OpsError::FromBackupOutsidePhase6 {
            phase: current.number().into(),
        });
    }
    let from = if backup.join("data").is_dir() {
        backup.join("data")
    } else {
        backup.to_path_buf()
    };
    if !from.join("trades").is_dir() {
        return Err(OpsError::NoBackup { dir: from });
    }
    // A backup that does not load must not replace the files.
    let options = storage_json::JsonStoreOptions {
        naive_zone: m.settings.naive_zone(),
    };
    let check = Stores::single(Arc::new(storage_json::JsonStore::open_read_only(
        &from, options,
    )));
    check
        .portfolio
        .load_portfolio(&m.portfolio())
        .await
        .and(check.trades.load_trades(&m.portfolio()).await.map(drop))
        .and(check.history.load_history(&m.portfolio()).await.map(drop))
        .map_err(|source| OpsError::BackupDoesNotLoad {
            dir: from.clone(),
            source,
        })?;
    let taken = storage_json::last_written(&from)?;
    let now = Utc::now();
    let data_dir = m.settings.data_dir.clone();
    let aside = PathBuf::from(format!(
        "{}.before-rollback-{}",
        data_dir.display(),
        now.format("%Y%m%dT%H%M%SZ")
    ));
    // The JSON writer holds the data-directory lock while the files change.
    let json = m.json_writer()?;
    let replaced = json.replace_legacy_files(&from, &aside)?;
    drop(json);
    let gate = GateResult {
        gate: "JSON restored from backup".into(),
        passed: true,
        detail: format!(
            "restored from backup {} ({} files, backup time {}); the replaced files are in {}",
            from.display(),
            replaced.files,
            taken.map_or_else(|| "unknown".to_owned(), domain::time::format_timestamp),
            replaced.aside.display()
        ),
    };
    transition(
        m,
        current,
        Phase::ReadsMarkets,
        "rollback",
        false,
        vec![gate],
    )
    .await
}

/// No runtime may run across a transition: it would keep the old routes.
fn runtime_lock(m: &Migration) -> Result<crate::phase_state::RuntimeLock> {
    m.runtime_lock("phase transition", "a running process keeps the routes it started with, so stop `prescient run`/`serve` before a phase transition and restart it after")
}

async fn transition(
    m: &mut Migration,
    from: Phase,
    to: Phase,
    kind: &str,
    forced: bool,
    gates: Vec<GateResult>,
) -> Result<Transition> {
    let now = Utc::now();
    let t = Transition {
        from: from.number().into(),
        to: to.number().into(),
        at: now,
        kind: kind.into(),
        forced,
        gates,
    };
    m.record.phase = to.number().into();
    m.record.since = now;
    // Entering phase 6 from 5.4: JSON changed since any earlier archive.
    if to == Phase::DatabasePrimary && from == Phase::ReadsMarkets {
        m.record.archive = None;
    }
    m.record.transitions.push(t.clone());
    m.phase_file.save(&m.record)?;
    // Mirror into system_metadata; the local file stays the authority, so a
    // database that does not answer does not stop a rollback (the next
    // verify mirrors it: `mirror_pending`).
    let pending = match mirror_phase(m, to).await {
        Ok(()) => false,
        Err(e) => {
            tracing::warn!(error = %crate::error_line(&e), "could not mirror the phase into system_metadata");
            true
        }
    };
    if pending != m.record.mirror_pending {
        m.record.mirror_pending = pending;
        m.phase_file.save(&m.record)?;
    }
    tracing::info!(
        from = from.number(),
        to = to.number(),
        kind,
        forced,
        "phase transition"
    );
    Ok(t)
}
