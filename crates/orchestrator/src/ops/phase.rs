//! `phase status|advance|rollback`: the routes of the current phase, the
//! gates of the next, and transitions logged with their gate results.

use super::context::Migration;
use super::copy::copy_data_sets;
use super::error::{OpsError, Result};
use super::gates;
use crate::phase_state::{GateResult, Transition, VerifyRecord};
use chrono::Utc;
use domain::ports::Stores;
use domain::{DataSet, Overrides, Phase};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Debug, Serialize)]
pub struct PhaseStatus {
    pub phase: String,
    pub title: String,
    pub since: chrono::DateTime<Utc>,
    /// Data set → route code, after overrides.
    pub routes: Vec<(String, String)>,
    pub overrides: Vec<String>,
    pub outbox_depth: usize,
    /// Writes PostgreSQL rejected, set aside (their data sets are behind).
    pub dead_letters: usize,
    /// Whether PostgreSQL holds every write JSON holds, per data set
    /// (empty when PostgreSQL is not configured or does not answer).
    pub currency: Vec<routing::currency::Currency>,
    pub last_verify: Option<VerifyRecord>,
    /// What to do next about PostgreSQL, if anything (behind where JSON is
    /// the truth, or not yet told of the last transition).
    pub todo: Vec<String>,
    pub next: Option<String>,
    /// The gates of the next phase (evaluated only with `--gates`).
    pub gates: Vec<GateResult>,
    pub transitions: Vec<Transition>,
}

impl std::fmt::Display for PhaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "phase {} ({}) since {}",
            self.phase, self.title, self.since
        )?;
        for (ds, route) in &self.routes {
            writeln!(f, "  {ds:<10} {route}")?;
        }
        if self.overrides.is_empty() {
            writeln!(f, "overrides: none")?;
        } else {
            writeln!(f, "overrides: {}", self.overrides.join(", "))?;
        }
        writeln!(
            f,
            "outbox: {} queued, {} dead letters",
            self.outbox_depth, self.dead_letters
        )?;
        if !self.currency.is_empty() {
            let states: Vec<String> = self
                .currency
                .iter()
                .map(|c| format!("{} {}", c.data_set, c.state()))
                .collect();
            writeln!(f, "PostgreSQL: {}", states.join(", "))?;
        }
        for todo in &self.todo {
            writeln!(f, "to do: {todo}")?;
        }
        match &self.last_verify {
            Some(v) => writeln!(
                f,
                "last verify: {} at {} ({} missing, {} extra, {} differing) [{}]",
                if v.clean { "clean" } else { "MISMATCH" },
                v.at,
                v.missing,
                v.extra,
                v.differing,
                v.data_sets.join(", ")
            )?,
            None => writeln!(f, "last verify: never")?,
        }
        match &self.next {
            Some(n) => {
                writeln!(f, "next: {n}")?;
                for g in &self.gates {
                    writeln!(
                        f,
                        "  [{}] {}: {}",
                        if g.passed { "pass" } else { "FAIL" },
                        g.gate,
                        g.detail
                    )?;
                }
            }
            None => writeln!(f, "next: none (phase 7 is the last)")?,
        }
        if let Some(t) = self.transitions.last() {
            writeln!(
                f,
                "last transition: {} {} → {} at {}{}",
                t.kind,
                t.from,
                t.to,
                t.at,
                if t.forced { " (forced)" } else { "" }
            )?;
        }
        Ok(())
    }
}

fn describe_overrides(o: Overrides) -> Vec<String> {
    let mut out = Vec::new();
    let mut one = |name: &str, v: Option<bool>| {
        if let Some(v) = v {
            out.push(format!("{name}={v}"));
        }
    };
    one("USE_DATABASE_WRITE", o.use_database_write);
    one("USE_DATABASE_READ", o.use_database_read);
    one("DATABASE_FALLBACK_TO_JSON", o.fallback_to_json);
    out
}

/// `phase status`; with `with_gates`, the next phase's gates are evaluated.
pub async fn status(m: &mut Migration, with_gates: bool) -> Result<PhaseStatus> {
    let phase = m.phase()?;
    let overrides = m.settings.overrides;
    let routes = DataSet::ALL
        .iter()
        .map(|d| {
            let r = phase.effective_route(*d, overrides);
            let code = if r.fallback {
                format!("{} (fallback to JSON)", r.route)
            } else {
                r.route.to_string()
            };
            (d.to_string(), code)
        })
        .collect();
    let next = phase.next();
    let gates = match (next, with_gates) {
        (Some(n), true) => gates::evaluate(m, n).await,
        _ => Vec::new(),
    };
    let currency = m.currency().await;
    let mut todo = Vec::new();
    let behind: Vec<&str> = currency
        .iter()
        .filter(|c| c.error.is_none() && !c.current)
        .filter_map(|c| c.data_set.parse::<DataSet>().ok())
        .filter(|d| super::backup::json_is_truth(phase, *d))
        .map(|d| d.as_str())
        .collect();
    if !behind.is_empty() {
        todo.push(format!(
            "PostgreSQL is behind JSON for {}: run `prescient migrate verify --repair` to bring it level",
            behind.join(", ")
        ));
    }
    if m.record.mirror_pending {
        todo.push(
            "PostgreSQL has not been told of the last transition (it did not answer); the next `prescient migrate verify` tells it"
                .into(),
        );
    }
    Ok(PhaseStatus {
        phase: phase.number().into(),
        title: phase.title().into(),
        since: m.record.since,
        routes,
        overrides: describe_overrides(overrides),
        outbox_depth: m.outbox().depth().await?,
        dead_letters: m.outbox().dead_count(),
        currency,
        todo,
        last_verify: m.record.last_verify.clone(),
        next: next.map(|n| n.to_string()),
        gates,
        transitions: m.record.transitions.clone(),
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
