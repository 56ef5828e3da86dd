//! `/trading/*`: the status an operator checks first (database health, the
//! migration phase and its routes, overrides, outbox, shadow mismatches, last
//! verify, last cycle), the cycle action, the price update action, the
//! performance summary, and what every action shares ([`ApiState::begin_action`]:
//! the token, the parameters, one action at a time; [`ApiState::run_step`]:
//! a step of the cycle on its own).

use super::views::{num, opt, time, usd};
use super::{ApiError, ApiState, LAST_CYCLE_KEY, LastCycle};
use crate::app::cycle_params;
use crate::cycle::{CycleError, CycleParams};
use crate::filters::{self, Applies, FilterOverrides};
use crate::phase_state::PhaseFile;
use crate::prices::PriceError;
use crate::settings::Settings;
use crate::status::{
    CycleStatus, DatabaseHealth, Health, HealthCheck, LastUpdated, MigrationInputs, OutboxReport,
    ScheduleStatus, ServerStatus, StatusReport, migration_status, recorded_mismatches,
};
use crate::summary::{CycleSummary, StepSummary};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{SubsecRound, Utc};
use domain::StoreError;
use domain::ports::Stores;
use polymarket_client::MarketSource;
use serde_json::{Value, json};
use std::time::Instant;

/// `GET /trading/status`: the [`StatusReport`] `migrate phase status` prints,
/// with the server's part. 200 while the store that is the truth answers
/// (`status` `ok`, or `degraded` when PostgreSQL is down but JSON is still
/// primary); 503 with the same body when PostgreSQL is primary and down.
pub async fn status(State(s): State<ApiState>) -> Response {
    let report = status_report(&s).await;
    let code = match report.server.as_ref().map(|r| r.status) {
        Some(Health::Down) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    (code, Json(report)).into_response()
}

/// The status as this server sees it.
async fn status_report(s: &ApiState) -> StatusReport {
    let app = s.app();
    let mut warnings: Vec<String> = Vec::new();

    let database = match &app.pg {
        None => DatabaseHealth {
            configured: false,
            check: None,
        },
        Some(pg) => {
            let timeout_ms =
                u64::try_from(pg.config().health_timeout.as_millis()).unwrap_or(u64::MAX);
            let (healthy, latency_ms, error) = match pg.health().await {
                Ok(latency) => (true, Some(latency.as_secs_f64() * 1000.0), None),
                Err(e) => (false, None, Some(e.to_string())),
            };
            DatabaseHealth {
                configured: true,
                check: Some(HealthCheck {
                    healthy,
                    latency_ms,
                    timeout_ms,
                    url: pg.config().redacted_url(),
                    error,
                }),
            }
        }
    };
    let db_down = database.is_down();

    // The file may have moved on (`prescient migrate phase advance`, `verify`) since the
    // server started: show it, and its last verify, fresh.
    let phase_file = PhaseFile::in_dir(&app.settings.state_dir());
    let record = match phase_file.load() {
        Ok(r) => r,
        Err(e) => {
            warnings.push(format!("cannot read the phase file: {e}"));
            app.record.clone()
        }
    };
    if record.phase != app.phase.number() {
        warnings.push(format!(
            "{} now says phase {}; this server runs phase {} until it is restarted",
            phase_file.path().display(),
            record.phase,
            app.phase.number()
        ));
    }

    let outbox = match &app.outbox {
        None => OutboxReport {
            depth: Some(0),
            path: None,
            error: None,
        },
        Some(o) => match o.depth().await {
            Ok(depth) => {
                if depth > 0 {
                    warnings.push(format!(
                        "{depth} PostgreSQL writes wait in the outbox for replay"
                    ));
                }
                OutboxReport {
                    depth: Some(depth),
                    path: Some(o.path().display().to_string()),
                    error: None,
                }
            }
            Err(e) => OutboxReport {
                depth: None,
                path: Some(o.path().display().to_string()),
                error: Some(e.to_string()),
            },
        },
    };
    // Per dual-written data set: whether PostgreSQL holds every write JSON
    // holds (reads of a behind data set answer from JSON).
    let currency = if db_down {
        None
    } else {
        let mut out = Vec::new();
        for data_set in app.phase.dual_written(app.settings.overrides) {
            let c =
                routing::currency::currency_through(app.stores.versions.as_ref(), data_set).await;
            if !c.current {
                warnings.push(format!(
                    "PostgreSQL is {} for {data_set}; its reads answer from JSON until it is level",
                    c.state()
                ));
            }
            out.push(c);
        }
        Some(out)
    };
    let dead_letters = app.outbox.as_ref().map_or(0, |o| o.dead_count());
    if dead_letters > 0 {
        warnings.push(format!(
            "{dead_letters} dual writes PostgreSQL rejected are set aside in the dead letters"
        ));
    }
    let routing = app.routing.as_ref().map(|r| r.counts());
    let shadow_mismatches = recorded_mismatches(&app.settings.shadow_log());
    if shadow_mismatches > 0 {
        warnings.push(format!(
            "{shadow_mismatches} shadow reads differed between JSON and PostgreSQL; the phase must not advance"
        ));
    }
    if let Some(v) = &record.last_verify
        && !v.clean
    {
        warnings.push("the last verify was not clean".into());
    }

    let last_updated = match app.stores.metadata.load_metadata().await {
        Ok(map) => {
            let get = |key: &str| map.get(key).cloned();
            LastUpdated {
                last_event_export: get("last_event_export"),
                last_market_filter: get("last_market_filter"),
                last_signal_generation: get("last_signal_generation"),
                last_trade_execution: get("last_trade_execution"),
                error: None,
            }
        }
        Err(e) => LastUpdated {
            error: Some(e.to_string()),
            ..LastUpdated::default()
        },
    };

    // After the reads above: whether they, and reads before them, were
    // answered from the JSON files because PostgreSQL did not answer.
    let stale_since = app.routing.as_ref().and_then(|r| r.stale_since());
    if let Some(at) = stale_since {
        warnings.push(format!(
            "PostgreSQL is down: reads answer from the JSON files as of {} (stale); cycles fail until it is back, or roll back with `prescient migrate phase rollback --from-backup DIR`",
            domain::time::format_timestamp(at)
        ));
    }

    let last = s.last_cycle();
    if let Some(l) = &last
        && l.outcome != "success"
    {
        warnings.push(format!(
            "the last cycle failed: {}",
            l.error.as_deref().unwrap_or("")
        ));
    }

    let migration = migration_status(MigrationInputs {
        phase: app.phase,
        since: app.record.since,
        record: &record,
        overrides: app.settings.overrides,
        store: s.store(),
        outbox,
        dead_letters,
        currency,
        shadow_mismatches,
        gates: Vec::new(),
    });
    // PostgreSQL is the truth for a data set on D, P, DR without fallback
    // (and everywhere with `--store pg`).
    let pg_primary = migration
        .phase
        .routes
        .0
        .iter()
        .any(|(_, r)| r.postgres_is_truth());
    let overall = match (db_down, pg_primary) {
        (true, true) => Health::Down,
        (true, false) => Health::Degraded,
        (false, _) => Health::Ok,
    };
    if db_down && !pg_primary {
        warnings.push(
            "PostgreSQL is down; JSON is still the truth and dual writes wait in the journal (outbox)"
                .into(),
        );
    }
    StatusReport {
        migration,
        server: Some(ServerStatus {
            status: overall,
            service: "prescient",
            version: env!("CARGO_PKG_VERSION"),
            timestamp: Utc::now(),
            store: s.store(),
            database,
            routing,
            stale_since,
            cycle: CycleStatus {
                running: s.running_since().is_some(),
                running_since: s.running_since(),
                last,
            },
            schedule: s.due().map(ScheduleStatus::from),
            last_updated,
            warnings,
        }),
    }
}

/// `POST /trading/run-full-cycle[?event_min_volume=…&min_volume=…]`: one
/// full cycle with the filter parameters of `crate::filters` (an unknown one
/// is a 400 naming it), its JSON summary back. 409 while another cycle or
/// step action runs.
pub async fn run_full_cycle(
    State(s): State<ApiState>,
    headers: HeaderMap,
    query: ActionQuery,
) -> Result<Json<Value>, ApiError> {
    let action = s.begin_action(&headers, query, ALL_PARAMETERS)?;
    let source = s.open_source(&action)?;
    // On its own task: a client that hangs up must not cancel a cycle halfway.
    let state = s.clone();
    let all = crate::app::portfolio_params(&action.settings, None)
        .map_err(|e| ApiError::BadRequest(crate::error_line(&e)))?;
    let task = tokio::spawn(async move {
        let Action { guard, .. } = action;
        let _guard = guard;
        state.cycle(source, all).await
    });
    let summary = task
        .await
        .map_err(|e| ApiError::Internal(format!("the cycle task failed: {e}")))??;
    serde_json::to_value(&summary)
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `POST /trading/update-prices` (and `/paper-trading/update-prices`):
/// re-price the open positions, settle resolved ones (`prescient
/// update-prices`). 404 before the first cycle.
pub async fn update_prices(
    State(s): State<ApiState>,
    headers: HeaderMap,
    query: ActionQuery,
) -> Result<Json<Value>, ApiError> {
    let action = s.begin_action(&headers, query, &[])?;
    let source = s.open_source(&action)?;
    s.run_step(action, "update_prices", move |stores, params| async move {
        crate::steps::update_prices(&stores, source.as_ref(), &params)
            .await
            .map_err(StepFailure::Prices)
    })
    .await
}

/// The filter parameters of an action, as its query (`crate::filters`).
pub type ActionQuery = Result<Query<FilterOverrides>, QueryRejection>;

/// Every filter parameter (the full cycle takes them all).
pub(crate) const ALL_PARAMETERS: &[Applies] =
    &[Applies::Events, Applies::Markets, Applies::Signals];

/// An action cleared to run: the token checked, its parameters applied to
/// the settings, and the one-at-a-time guard held (until it is dropped).
pub(crate) struct Action {
    guard: tokio::sync::OwnedMutexGuard<()>,
    settings: Settings,
    params: CycleParams,
}

/// Why a step action failed.
pub(crate) enum StepFailure {
    Cycle(CycleError),
    Prices(PriceError),
}

impl From<CycleError> for StepFailure {
    fn from(e: CycleError) -> Self {
        StepFailure::Cycle(e)
    }
}

impl ApiState {
    /// Clear an action to run: the token (when configured), its query (an
    /// unknown parameter, or one of `crate::filters` that does not apply to
    /// this action, is a 400 naming it; so is a value the filters' rules
    /// refuse), then the one-at-a-time guard (409 while a cycle or another
    /// action runs).
    pub(crate) fn begin_action(
        &self,
        headers: &HeaderMap,
        query: ActionQuery,
        accepts: &[Applies],
    ) -> Result<Action, ApiError> {
        self.authorize(headers)?;
        let Query(overrides) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let accepted = filters::names(accepts);
        if let Some(name) = overrides
            .given()
            .into_iter()
            .find(|n| !accepted.contains(n))
        {
            let takes = if accepted.is_empty() {
                "none".to_owned()
            } else {
                accepted.join(", ")
            };
            return Err(ApiError::BadRequest(format!(
                "parameter `{name}` does not apply to this action; the parameters it takes: {takes}"
            )));
        }
        let settings = overrides
            .applied_to(&self.app().settings)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let params =
            cycle_params(&settings).map_err(|e| ApiError::BadRequest(crate::error_line(&e)))?;
        let guard = self.inner.cycle.clone().try_lock_owned().map_err(|_| {
            let since = self
                .running_since()
                .map(|t| format!(" (started {})", domain::time::format_timestamp(t)))
                .unwrap_or_default();
            ApiError::Conflict(format!(
                "a cycle or step action is already running{since}; only one runs at a time, try again when it finishes"
            ))
        })?;
        Ok(Action {
            guard,
            settings,
            params,
        })
    }

    /// The market source for an action's settings.
    pub(crate) fn open_source(&self, action: &Action) -> Result<Box<dyn MarketSource>, ApiError> {
        (self.inner.source)(&action.settings)
            .map_err(|e| ApiError::BadGateway(format!("cannot open the market source: {e:#}")))
    }

    /// Run one step action on its own task (a client that hangs up does not
    /// cancel it), the guard held until it finishes; count it, and answer
    /// with its step summary once the PostgreSQL half of its writes landed.
    pub(crate) async fn run_step<F, Fut>(
        &self,
        action: Action,
        step: &'static str,
        run: F,
    ) -> Result<Json<Value>, ApiError>
    where
        F: FnOnce(Stores, CycleParams) -> Fut + Send + 'static,
        Fut: Future<Output = Result<StepSummary, StepFailure>> + Send + 'static,
    {
        let state = self.clone();
        let task = tokio::spawn(async move {
            let Action { guard, params, .. } = action;
            let _guard = guard;
            state.set_running_since(Some(Utc::now().trunc_subsecs(3)));
            let result = run(state.app().stores.clone(), params).await;
            state.app().flush().await;
            state.set_running_since(None);
            let failed_write = match &result {
                Err(StepFailure::Cycle(e)) => is_failed_write(e),
                Err(StepFailure::Prices(_)) | Ok(_) => false,
            };
            state.metrics().record_step(
                step,
                result.as_ref().ok(),
                failed_write,
                state.store_kind(),
            );
            match result {
                Ok(summary) => {
                    tracing::info!(step, duration_ms = summary.duration_ms as u64, "step done");
                    Ok(summary)
                }
                Err(StepFailure::Cycle(e)) => {
                    tracing::warn!(step, error = %e, "step failed");
                    Err(cycle_error(e))
                }
                Err(StepFailure::Prices(e)) => {
                    tracing::warn!(step, error = %e, "price update failed");
                    Err(price_error(e))
                }
            }
        });
        let summary = task
            .await
            .map_err(|e| ApiError::Internal(format!("the {step} task failed: {e}")))??;
        serde_json::to_value(&summary)
            .map(Json)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }
}

fn price_error(e: PriceError) -> ApiError {
    match e {
        PriceError::NoPortfolio(_) => no_portfolio(),
        PriceError::Store(e) => e.into(),
        PriceError::Source(_) => ApiError::BadGateway(e.to_string()),
        PriceError::Invariant(_) => ApiError::Internal(e.to_string()),
    }
}

impl ApiState {
    /// Run one cycle, record its outcome (memory, metrics, metadata).
    /// Run one cycle of every portfolio of `all` (the crawl shared); the
    /// first one's outcome is the cycle's (status, metrics, the answer),
    /// the others' failures are logged.
    pub(crate) async fn cycle(
        &self,
        source: Box<dyn MarketSource>,
        all: Vec<CycleParams>,
    ) -> Result<CycleSummary, ApiError> {
        let started_at = Utc::now().trunc_subsecs(3);
        self.set_running_since(Some(started_at));
        let started = Instant::now();
        let mut results = crate::cycle::run_cycles(&self.app().stores, source.as_ref(), &all).await;
        let result = if results.is_empty() {
            Err(CycleError::Shared {
                step: "load portfolio",
                message: "no portfolio is configured".into(),
            })
        } else {
            results.remove(0).1
        };
        for (id, other) in &results {
            if let Err(e) = other {
                tracing::warn!(portfolio = %id, error = %e, "the portfolio's cycle failed");
            }
        }
        // Answer once the PostgreSQL half of the cycle's writes has landed.
        self.app().flush().await;
        let took = started.elapsed();
        self.set_running_since(None);
        let summary = result.as_ref().ok();
        let count = |n: Option<usize>| n.map_or(0, |n| u64::try_from(n).unwrap_or(u64::MAX));
        let last = LastCycle {
            outcome: if result.is_ok() { "success" } else { "failure" }.into(),
            source: source.describe(),
            started_at,
            finished_at: Utc::now().trunc_subsecs(3),
            duration_ms: took.as_millis() as u64,
            error: result.as_ref().err().map(ToString::to_string),
            signals: count(
                summary
                    .and_then(|s| s.generate_signals())
                    .map(|c| c.signals),
            ),
            trades_executed: count(summary.and_then(|s| s.execute()).map(|c| c.executed)),
        };
        self.metrics().record_cycle(
            &last,
            took,
            result.as_ref().ok(),
            result.as_ref().err().is_some_and(is_failed_write),
            self.store_kind(),
        );
        self.set_last_cycle(last.clone());
        match serde_json::to_string(&last) {
            Ok(text) => {
                if let Err(e) = self
                    .app()
                    .stores
                    .metadata
                    .set_metadata(LAST_CYCLE_KEY, &text, Utc::now())
                    .await
                {
                    tracing::warn!(error = %e, "cannot persist the last cycle's outcome");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot encode the last cycle's outcome"),
        }
        match result {
            Ok(summary) => {
                tracing::info!(
                    duration_ms = last.duration_ms,
                    trades = last.trades_executed,
                    "cycle done"
                );
                Ok(summary)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cycle failed");
                Err(cycle_error(e))
            }
        }
    }
}

/// Whether a cycle stopped on a store write (not on the initial load).
fn is_failed_write(e: &CycleError) -> bool {
    matches!(e.cause(), CycleError::Store { step, .. } if !matches!(*step, "load portfolio" | "check stores"))
}

fn cycle_error(e: CycleError) -> ApiError {
    let detail = format!("cycle failed at {e}");
    match e.cause() {
        CycleError::Store {
            source: StoreError::Unavailable { .. },
            ..
        } => ApiError::Unavailable(detail),
        CycleError::Store { .. }
        | CycleError::Invariant { .. }
        | CycleError::Shared { .. }
        | CycleError::AfterTrading { .. } => ApiError::Internal(detail),
        CycleError::Source { .. } => ApiError::BadGateway(detail),
    }
}

/// `GET /trading/performance-summary`: P&L, win rate, drawdown, exposure,
/// best and worst markets (`paper_trading::stats`), from the stored
/// portfolio, the trades of its open positions, the trade count and the
/// history's summary (no read loads every trade or entry). 404 before the
/// first cycle.
pub async fn performance_summary(
    State(s): State<ApiState>,
    query: Result<Query<super::views::PortfolioParam>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = super::views::portfolio_of(&s, query)?;
    let stores = &s.app().stores;
    let portfolio = stores
        .portfolio
        .load_portfolio(&id)
        .await?
        .ok_or_else(no_portfolio)?;
    let performance = crate::stats_cmd::performance_of(stores, &portfolio).await?;
    let p = &performance.performance;
    let history = &performance.history;
    let markets = |list: &[paper_trading::stats::MarketPnl]| -> Vec<Value> {
        list.iter()
            .map(|m| {
                json!({
                    "market_id": m.market_id.as_str(),
                    "market_question": m.market_question,
                    "positions": m.positions,
                    "realized_pnl": usd(m.realized_pnl),
                    "unrealized_pnl": usd(m.unrealized_pnl),
                    "total_pnl": usd(m.total_pnl),
                })
            })
            .collect()
    };
    Ok(Json(json!({
        "portfolio_id": p.portfolio_id.as_str(),
        "initial_balance": usd(p.initial_balance),
        "balance": usd(p.balance),
        "total_value": usd(p.total_value),
        "total_profit_loss": usd(p.total_pnl),
        "realized_pnl": usd(p.realized_pnl),
        "unrealized_pnl": usd(p.unrealized_pnl),
        "return_on_initial": opt(p.return_on_initial, num),
        "total_trades": performance.total_trades,
        "open_positions": p.open_positions,
        "closed_positions": p.closed_positions,
        "wins": p.wins,
        "losses": p.losses,
        "win_rate": opt(p.win_rate, num),
        "average_win": opt(p.average_win, usd),
        "average_loss": opt(p.average_loss, usd),
        "max_drawdown": {
            "amount": usd(p.max_drawdown.amount),
            "fraction": num(p.max_drawdown.fraction),
            "entries": p.max_drawdown.entries,
        },
        "exposure_by_event": p.exposure_by_event.iter().map(|e| json!({
            "event_id": e.event_id.as_ref().map(|i| i.as_str()),
            "event_title": e.event_title,
            "open_positions": e.open_positions,
            "amount": usd(e.amount),
            "mark_value": usd(e.mark_value),
        })).collect::<Vec<_>>(),
        "best_markets": markets(&p.best_markets),
        "worst_markets": markets(&p.worst_markets),
        "history_entries": history.max_drawdown.entries,
        "first_entry": opt(history.first, time),
        "last_entry": opt(history.last, time),
    })))
}

pub(super) fn no_portfolio() -> ApiError {
    ApiError::NotFound(
        "no portfolio yet: run a cycle first (POST /trading/run-full-cycle or `prescient cycle`)"
            .into(),
    )
}
