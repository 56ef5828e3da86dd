//! `phase status|advance|rollback`: the routes of the current phase, the
//! gates of the next, and transitions logged with their gate results.

use super::context::Migration;
use super::copy::copy_data_sets;
use super::gates;
use crate::phase_state::{GateResult, Transition, VerifyRecord};
use anyhow::{Result, bail};
use chrono::Utc;
use domain::ports::Stores;
use domain::{DataSet, Overrides, Phase};
use serde::Serialize;
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
    Ok(PhaseStatus {
        phase: phase.number().into(),
        title: phase.title().into(),
        since: m.record.since,
        routes,
        overrides: describe_overrides(overrides),
        outbox_depth: m.outbox().depth().await?,
        dead_letters: m.outbox().dead_count(),
        currency: m.currency().await,
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
        bail!("phase 7 is the last phase");
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
        bail!(
            "phase {} is gated: {} (fix it, or pass --force to override; the override is logged)",
            target.number(),
            list.join("; ")
        );
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
        bail!("phase 0 is the first phase");
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
            &m.portfolio(),
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
    // database that does not answer does not stop a rollback.
    match m.pg().await {
        Ok(pg) => {
            use domain::ports::MetadataStore;
            if let Err(e) = pg.set_metadata("migration_phase", to.number(), now).await {
                tracing::warn!(error = %e, "could not mirror the phase into system_metadata");
            }
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "could not mirror the phase into system_metadata")
        }
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
