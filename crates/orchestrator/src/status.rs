//! The status report: one type, [`StatusReport`], that `GET /trading/status`
//! and `prescient migrate phase status [--json]` both print.
//!
//! The migration part ([`MigrationStatus`]: the phase and its routes,
//! overrides, outbox, PostgreSQL's currency per dual-written data set, shadow
//! mismatches, last verify, what to do next, the next phase's gates, the
//! transition log) is built by one function, [`migration_status`], from what
//! both callers read; the server adds what only a running process knows
//! ([`ServerStatus`]: database health, the cycle, the schedule, warnings).
//! Both parts are flattened into one JSON object.
//!
//! Plain values only: this module reads no store; its callers (`api::trading`,
//! `ops::phase`) gather the inputs.

use crate::phase_state::{GateResult, PhaseRecord, Transition, VerifyRecord};
use chrono::{DateTime, Utc};
use domain::{DataSet, Overrides, Phase, Route};
use routing::RoutingCounts;
use routing::currency::Currency;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// What `GET /trading/status` answers and `migrate phase status --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    /// The migration: the same type, and the same values on the same data,
    /// in both.
    #[serde(flatten)]
    pub migration: MigrationStatus,
    /// What only a running server knows (absent from `migrate phase status`).
    #[serde(flatten)]
    pub server: Option<ServerStatus>,
}

/// The migration's state as an operator checks it before a transition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MigrationStatus {
    pub phase: PhaseInfo,
    /// `USE_DATABASE_WRITE`, `USE_DATABASE_READ`, `DATABASE_FALLBACK_TO_JSON`
    /// (`null`: not set, the phase decides).
    pub overrides: OverridesReport,
    pub outbox: OutboxReport,
    /// Writes PostgreSQL rejected, set aside (their data sets are behind).
    pub dead_letters: usize,
    /// Per dual-written data set: `current`, `behind` or `unknown (why)`.
    pub postgres_current: Named<String>,
    /// The same, with the versions compared.
    pub currency: Vec<Currency>,
    /// Shadow-read mismatches recorded (by any process) since the last
    /// clean verify of their data set; the phase must not advance over them.
    pub shadow_mismatches: usize,
    pub last_verify: Option<VerifyRecord>,
    /// What to do next about PostgreSQL, if anything (behind where JSON is
    /// the truth, or not yet told of the last transition).
    pub todo: Vec<String>,
    /// The next phase, if any.
    pub next: Option<String>,
    /// The gates of the next phase (evaluated only when asked: `phase status`
    /// without `--no-gates`; never by the server).
    pub gates: Vec<GateResult>,
    pub transitions: Vec<Transition>,
}

/// The phase in force and each data set's route.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseInfo {
    /// The phase this process runs (the server keeps the one it started with).
    pub number: String,
    pub title: String,
    #[serde(serialize_with = "timestamp")]
    pub since: DateTime<Utc>,
    /// What the phase file says now (differs from `number` after a
    /// transition the server has not been restarted for).
    pub phase_file: String,
    /// Data set → route, after overrides, in [`DataSet::ALL`] order.
    pub routes: Named<RouteInfo>,
}

/// One data set's route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RouteInfo {
    #[serde(serialize_with = "route_code")]
    pub route: Route,
    /// Reads fall back to JSON when PostgreSQL does not answer.
    pub fallback: bool,
}

impl RouteInfo {
    /// Whether PostgreSQL is the truth on this route (D, P, DR without fallback).
    pub fn postgres_is_truth(self) -> bool {
        match self.route {
            Route::Json | Route::DualWrite => false,
            Route::DualRead => !self.fallback,
            Route::Database | Route::PostgresOnly => true,
        }
    }
}

/// The overrides from the settings, by their variable names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OverridesReport {
    #[serde(rename = "USE_DATABASE_WRITE")]
    pub use_database_write: Option<bool>,
    #[serde(rename = "USE_DATABASE_READ")]
    pub use_database_read: Option<bool>,
    #[serde(rename = "DATABASE_FALLBACK_TO_JSON")]
    pub fallback_to_json: Option<bool>,
}

impl From<Overrides> for OverridesReport {
    fn from(o: Overrides) -> Self {
        OverridesReport {
            use_database_write: o.use_database_write,
            use_database_read: o.use_database_read,
            fallback_to_json: o.fallback_to_json,
        }
    }
}

impl OverridesReport {
    /// The overrides that are set, as `NAME=value`.
    pub fn set(&self) -> Vec<String> {
        [
            ("USE_DATABASE_WRITE", self.use_database_write),
            ("USE_DATABASE_READ", self.use_database_read),
            ("DATABASE_FALLBACK_TO_JSON", self.fallback_to_json),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name}={v}")))
        .collect()
    }
}

/// The outbox (journal) of PostgreSQL writes waiting for replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxReport {
    /// Writes queued (`null` when the journal could not be read).
    pub depth: Option<usize>,
    /// The journal file (`null` when this process has none: `--store json|pg`).
    pub path: Option<String>,
    /// Why the journal could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Values named by data set, serialized as a JSON object in their order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Named<V>(pub Vec<(DataSet, V)>);

impl<V> Named<V> {
    /// The value for `data_set`, if present.
    pub fn get(&self, data_set: DataSet) -> Option<&V> {
        self.0.iter().find(|(d, _)| *d == data_set).map(|(_, v)| v)
    }
}

impl<V: Serialize> Serialize for Named<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(d, v)| (d.as_str(), v)))
    }
}

fn timestamp<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&domain::time::format_timestamp(*t))
}

fn opt_timestamp<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => timestamp(t, serializer),
        None => serializer.serialize_none(),
    }
}

fn route_code<S: Serializer>(route: &Route, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(route.code())
}

/// Which stores a process runs on, as the status names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// As the phase routes each data set.
    Phase,
    /// The JSON data directory alone (every route J).
    Json,
    /// PostgreSQL alone (every route P).
    Pg,
}

/// The shadow-read mismatches `log` holds (one per key), as the
/// no-shadow-mismatch gate counts them.
pub fn recorded_mismatches(log: &routing::shadow::MismatchLog) -> usize {
    log.load().iter().map(|m| m.keys.len()).sum()
}

/// The currency text when PostgreSQL does not answer.
pub const PG_DOES_NOT_ANSWER: &str = "PostgreSQL does not answer";

/// What [`migration_status`] is built from.
pub struct MigrationInputs<'a> {
    /// The phase the process runs.
    pub phase: Phase,
    /// When it started.
    pub since: DateTime<Utc>,
    /// The phase file as read now.
    pub record: &'a PhaseRecord,
    pub overrides: Overrides,
    pub store: StoreKind,
    pub outbox: OutboxReport,
    pub dead_letters: usize,
    /// PostgreSQL's currency for each dual-written data set, in order; `None`
    /// when PostgreSQL does not answer.
    pub currency: Option<Vec<Currency>>,
    /// Shadow mismatches recorded since the last clean verify.
    pub shadow_mismatches: usize,
    pub gates: Vec<GateResult>,
}

/// The migration part of the status, from what the caller read.
pub fn migration_status(inputs: MigrationInputs<'_>) -> MigrationStatus {
    let MigrationInputs {
        phase,
        since,
        record,
        overrides,
        store,
        outbox,
        dead_letters,
        currency,
        shadow_mismatches,
        gates,
    } = inputs;
    let routes = Named(
        DataSet::ALL
            .into_iter()
            .map(|d| {
                let info = match store {
                    StoreKind::Json => RouteInfo {
                        route: Route::Json,
                        fallback: false,
                    },
                    StoreKind::Pg => RouteInfo {
                        route: Route::PostgresOnly,
                        fallback: false,
                    },
                    StoreKind::Phase => {
                        let r = phase.effective_route(d, overrides);
                        RouteInfo {
                            route: r.route,
                            fallback: r.fallback,
                        }
                    }
                };
                (d, info)
            })
            .collect(),
    );
    let currency = currency.unwrap_or_else(|| {
        phase
            .dual_written(overrides)
            .into_iter()
            .map(|d| Currency {
                data_set: d.as_str().to_owned(),
                json: None,
                pg: None,
                current: false,
                error: Some(PG_DOES_NOT_ANSWER.to_owned()),
            })
            .collect()
    });
    let postgres_current = Named(
        currency
            .iter()
            .filter_map(|c| Some((c.data_set.parse::<DataSet>().ok()?, c.state())))
            .collect(),
    );
    // Dual-written data sets are J-truth (DW, DR): a behind one is repaired
    // from JSON.
    let behind: Vec<&str> = currency
        .iter()
        .filter(|c| c.error.is_none() && !c.current)
        .map(|c| c.data_set.as_str())
        .collect();
    let mut todo = Vec::new();
    if !behind.is_empty() {
        todo.push(format!(
            "PostgreSQL is behind JSON for {}: run `prescient migrate verify --repair` to bring it level",
            behind.join(", ")
        ));
    }
    if record.mirror_pending {
        todo.push(
            "PostgreSQL has not been told of the last transition (it did not answer); the next `prescient migrate verify` tells it"
                .into(),
        );
    }
    MigrationStatus {
        phase: PhaseInfo {
            number: phase.number().into(),
            title: phase.title().into(),
            since,
            phase_file: record.phase.clone(),
            routes,
        },
        overrides: overrides.into(),
        outbox,
        dead_letters,
        postgres_current,
        currency,
        shadow_mismatches,
        last_verify: record.last_verify.clone(),
        todo,
        next: phase.next().map(|n| n.to_string()),
        gates,
        transitions: record.transitions.clone(),
    }
}

/// What a running server adds to the migration part.
#[derive(Clone, Debug, Serialize)]
pub struct ServerStatus {
    pub status: Health,
    pub service: &'static str,
    pub version: &'static str,
    #[serde(serialize_with = "timestamp")]
    pub timestamp: DateTime<Utc>,
    pub store: StoreKind,
    pub database: DatabaseHealth,
    /// This process's routing counters (`null` unless routed by phase).
    pub routing: Option<RoutingCounts>,
    /// Since when reads answer from the JSON files because PostgreSQL is down.
    #[serde(serialize_with = "opt_timestamp")]
    pub stale_since: Option<DateTime<Utc>>,
    pub cycle: CycleStatus,
    /// The schedule of `serve --cycle-every/--prices-every` (`null` without one).
    pub schedule: Option<ScheduleStatus>,
    pub last_updated: LastUpdated,
    pub warnings: Vec<String>,
}

/// Whether the store that is the truth answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Everything answers.
    Ok,
    /// PostgreSQL is down, but JSON is still the truth.
    Degraded,
    /// PostgreSQL is the truth and down (the server answers 503).
    Down,
}

/// PostgreSQL's health as the server checked it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatabaseHealth {
    pub configured: bool,
    /// Absent when PostgreSQL is not configured.
    #[serde(flatten)]
    pub check: Option<HealthCheck>,
}

impl DatabaseHealth {
    /// Whether PostgreSQL is configured and did not answer.
    pub fn is_down(&self) -> bool {
        self.check.as_ref().is_some_and(|c| !c.healthy)
    }
}

/// One health check of PostgreSQL.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthCheck {
    pub healthy: bool,
    pub latency_ms: Option<f64>,
    pub timeout_ms: u64,
    /// The URL, password redacted.
    pub url: String,
    pub error: Option<String>,
}

/// The cycle, running or last run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CycleStatus {
    pub running: bool,
    #[serde(serialize_with = "opt_timestamp")]
    pub running_since: Option<DateTime<Utc>>,
    pub last: Option<LastCycle>,
}

/// What the last cycle did, kept in memory and in `system_metadata`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCycle {
    /// `success` or `failure`.
    pub outcome: String,
    pub source: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// Why it failed (the failing step and cause).
    pub error: Option<String>,
    pub signals: u64,
    pub trades_executed: u64,
}

/// When the scheduled jobs run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduleStatus {
    pub cycle_every_s: u64,
    pub prices_every_s: u64,
    #[serde(serialize_with = "opt_timestamp")]
    pub next_cycle_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "opt_timestamp")]
    pub next_prices_at: Option<DateTime<Utc>>,
}

impl From<crate::schedule::Due> for ScheduleStatus {
    fn from(d: crate::schedule::Due) -> Self {
        ScheduleStatus {
            cycle_every_s: d.cycle_every_s,
            prices_every_s: d.prices_every_s,
            next_cycle_at: d.next_cycle_at,
            next_prices_at: d.next_prices_at,
        }
    }
}

/// The `system_metadata` times of the cycle's steps (as the original kept
/// them), or why they could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LastUpdated {
    pub last_event_export: Option<String>,
    pub last_market_filter: Option<String>,
    pub last_signal_generation: Option<String>,
    pub last_trade_execution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.migration, f)?;
        if let Some(server) = &self.server {
            for warning in &server.warnings {
                writeln!(f, "warning: {warning}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "phase {} ({}) since {}",
            self.phase.number, self.phase.title, self.phase.since
        )?;
        for (ds, r) in &self.phase.routes.0 {
            if r.fallback {
                writeln!(f, "  {:<10} {} (fallback to JSON)", ds.as_str(), r.route)?;
            } else {
                writeln!(f, "  {:<10} {}", ds.as_str(), r.route)?;
            }
        }
        let set = self.overrides.set();
        if set.is_empty() {
            writeln!(f, "overrides: none")?;
        } else {
            writeln!(f, "overrides: {}", set.join(", "))?;
        }
        match (&self.outbox.depth, &self.outbox.error) {
            (Some(depth), _) => writeln!(
                f,
                "outbox: {depth} queued, {} dead letters",
                self.dead_letters
            )?,
            (None, error) => writeln!(
                f,
                "outbox: unreadable ({}), {} dead letters",
                error.as_deref().unwrap_or("unknown"),
                self.dead_letters
            )?,
        }
        if !self.postgres_current.0.is_empty() {
            let states: Vec<String> = self
                .postgres_current
                .0
                .iter()
                .map(|(ds, state)| format!("{} {state}", ds.as_str()))
                .collect();
            writeln!(f, "PostgreSQL: {}", states.join(", "))?;
        }
        if self.shadow_mismatches > 0 {
            writeln!(
                f,
                "shadow mismatches: {} since the last clean verify",
                self.shadow_mismatches
            )?;
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
