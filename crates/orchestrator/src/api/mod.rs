//! `prescient serve`: the original's five services under one axum server
//! (SPEC §7).
//!
//! One module per area, each owning its routes: [`trading`] (status, the
//! cycle action, performance), [`paper_trading`] (portfolio, trades,
//! history), [`strategy`] (signals), [`markets`], [`events`], [`metrics`]
//! (Prometheus text at `/metrics`), [`dashboard`] (the page at `/`). Bodies
//! are built in [`views`] with the original's field names; failures are
//! [`ApiError`]s (JSON with a fitting status code). In phase 6 with
//! PostgreSQL down, GETs answer from the JSON files, marked stale
//! ([`stale`]: the `X-Prescient-Stale` header, `stale_since` in status).
//!
//! Rules: a GET never writes (the original's GETs rewrote the portfolio);
//! actions are POST and, with `PRESCIENT_API_TOKEN` set, need
//! `Authorization: Bearer <token>`; one cycle runs at a time (a second
//! request gets 409). The server binds 127.0.0.1 by default and is safe by
//! default ([`guard`]): no other address without a token, no action from
//! another site without one, loopback `Host`s only on a loopback address,
//! header timeouts, a connection limit and a body limit.

pub mod compare;
pub mod dashboard;
pub mod error;
pub mod events;
pub mod guard;
pub mod markets;
pub mod metrics;
pub mod paper_trading;
pub mod stale;
pub mod strategy;
pub mod trading;
pub mod views;

pub use error::ApiError;
pub use metrics::Metrics;

use crate::app::{App, SourceSpec};
use crate::schedule::{DueHandle, Schedule};
use crate::settings::Settings;
use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use polymarket_client::MarketSource;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The metadata key the last cycle's outcome is kept under, so status
/// survives a restart.
pub const LAST_CYCLE_KEY: &str = "last_cycle";

/// Builds the market source of a cycle from the settings it runs with.
pub type SourceFactory =
    Arc<dyn Fn(&Settings) -> anyhow::Result<Box<dyn MarketSource>> + Send + Sync>;

/// The source a `--source` names, opened anew for every cycle.
pub fn source_factory(spec: SourceSpec) -> SourceFactory {
    Arc::new(move |settings| crate::app::open_source(&spec, settings).map_err(anyhow::Error::from))
}

/// What the last cycle did (the type lives with the status report).
pub use crate::status::LastCycle;

/// Shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    inner: Arc<Inner>,
}

struct Inner {
    app: App,
    token: Option<String>,
    source: SourceFactory,
    /// Held (owned) by the task running a cycle.
    cycle: Arc<tokio::sync::Mutex<()>>,
    /// When the running cycle started, for the 409 message and status.
    running_since: Mutex<Option<DateTime<Utc>>>,
    last_cycle: Mutex<Option<LastCycle>>,
    metrics: Metrics,
    /// When the scheduled jobs run next, when this server runs a schedule.
    due: std::sync::OnceLock<DueHandle>,
}

impl ApiState {
    /// The state over `app`. The last cycle is read back from the metadata
    /// store (a read: a store that cannot answer leaves it empty).
    pub async fn new(app: App, token: Option<String>, source: SourceFactory) -> Self {
        let last_cycle = match app.stores.metadata.load_metadata().await {
            Ok(map) => map
                .get(LAST_CYCLE_KEY)
                .and_then(|v| serde_json::from_str::<LastCycle>(v).ok()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the last cycle from the metadata store");
                None
            }
        };
        ApiState {
            inner: Arc::new(Inner {
                app,
                token: token.filter(|t| !t.trim().is_empty()),
                source,
                cycle: Arc::new(tokio::sync::Mutex::new(())),
                running_since: Mutex::new(None),
                last_cycle: Mutex::new(last_cycle),
                metrics: Metrics::default(),
                due: std::sync::OnceLock::new(),
            }),
        }
    }

    pub fn app(&self) -> &App {
        &self.inner.app
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Held by every cycle and price update, whether asked for over HTTP or
    /// scheduled: they never overlap.
    pub fn cycle_lock(&self) -> Arc<tokio::sync::Mutex<()>> {
        self.inner.cycle.clone()
    }

    /// When the scheduled jobs run next, when this server runs a schedule.
    pub fn due(&self) -> Option<crate::schedule::Due> {
        self.inner.due.get().map(DueHandle::get)
    }

    pub fn last_cycle(&self) -> Option<LastCycle> {
        self.inner
            .last_cycle
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default()
    }

    fn set_last_cycle(&self, cycle: LastCycle) {
        if let Ok(mut g) = self.inner.last_cycle.lock() {
            *g = Some(cycle);
        }
    }

    pub fn running_since(&self) -> Option<DateTime<Utc>> {
        self.inner
            .running_since
            .lock()
            .map(|g| *g)
            .unwrap_or_default()
    }

    fn set_running_since(&self, at: Option<DateTime<Utc>>) {
        if let Ok(mut g) = self.inner.running_since.lock() {
            *g = at;
        }
    }

    /// Which stores the server runs on: `phase` (routed), `pg` or `json`.
    pub fn store_kind(&self) -> &'static str {
        match self.store() {
            crate::status::StoreKind::Phase => "phase",
            crate::status::StoreKind::Pg => "pg",
            crate::status::StoreKind::Json => "json",
        }
    }

    /// Which stores this server runs on.
    pub fn store(&self) -> crate::status::StoreKind {
        let app = self.app();
        match (&app.routing, &app.pg) {
            (Some(_), _) => crate::status::StoreKind::Phase,
            (None, Some(_)) => crate::status::StoreKind::Pg,
            (None, None) => crate::status::StoreKind::Json,
        }
    }

    /// Actions need the token when one is configured.
    fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(expected) = &self.inner.token else {
            return Ok(());
        };
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

/// Compare without an early exit, so the time taken does not tell how much
/// of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every route of the API.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/compare", get(compare::page))
        .route("/trading/compare", get(compare::figures))
        .route("/metrics", get(metrics::render))
        .route("/trading/status", get(trading::status))
        .route("/trading/run-full-cycle", post(trading::run_full_cycle))
        .route("/trading/update-prices", post(trading::update_prices))
        .route(
            "/trading/performance-summary",
            get(trading::performance_summary),
        )
        .route("/paper-trading/portfolio", get(paper_trading::portfolio))
        .route(
            "/paper-trading/trades-history",
            get(paper_trading::trades_history),
        )
        .route(
            "/paper-trading/portfolio-history",
            get(paper_trading::portfolio_history),
        )
        .route("/paper-trading/status", get(paper_trading::status))
        .route(
            "/paper-trading/execute-signals",
            post(paper_trading::execute_signals),
        )
        .route("/paper-trading/update-prices", post(trading::update_prices))
        .route("/strategy/current-signals", get(strategy::current_signals))
        .route("/strategy/status", get(strategy::status))
        .route(
            "/strategy/generate-signals",
            post(strategy::generate_signals),
        )
        .route("/markets/current-filtered", get(markets::current_filtered))
        .route("/markets/status", get(markets::status))
        .route("/markets/{id}/snapshots", get(markets::snapshots))
        .route("/markets/filter-markets", post(markets::filter_markets))
        .route("/events/filtered", get(events::filtered))
        .route("/events/raw", get(events::raw))
        .route("/events/status", get(events::status))
        .route(
            "/events/export-all-active-events-json",
            post(events::export_all_active_events),
        )
        .route("/events/filter-events", post(events::filter_events))
        .route("/events/{id}", get(events::one))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(stale::allow_stale_reads))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::check_request,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .with_state(state)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no endpoint {} {} (the dashboard at / lists what there is)",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed(request: Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = serde_json::json!({
        "error": "method_not_allowed",
        "detail": format!(
            "{} is not allowed on {}: reads are GET, actions are POST",
            request.method(),
            request.uri().path()
        ),
    });
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

/// How `prescient serve` runs.
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// With a token, actions require it.
    pub token: Option<String>,
    /// Where cycles get market data.
    pub source: SourceSpec,
    /// Cycles and price updates on a schedule, beside the API.
    pub schedule: Option<Schedule>,
}

/// A scheduled cycle of a serving process: recorded like a cycle asked for
/// over HTTP (last cycle, metrics, status), so the dashboard moves.
struct ServedCycle {
    state: ApiState,
}

#[async_trait::async_trait]
impl crate::schedule::Job for ServedCycle {
    fn name(&self) -> &str {
        "cycle"
    }

    async fn run(&self) -> anyhow::Result<String> {
        let settings = &self.state.app().settings;
        let all = crate::app::portfolio_params(settings, None)?;
        let source = (self.state.inner.source)(settings)?;
        let summary = self.state.cycle(source, all).await?;
        Ok(format!(
            "{} steps in {} ms",
            summary.steps.len(),
            summary.duration_ms
        ))
    }
}

/// Serve the API until Ctrl-C or SIGTERM, with the schedule when one is
/// given. On the signal the server stops taking requests, a running cycle or
/// price update finishes, and queued PostgreSQL writes are flushed.
pub async fn serve(app: App, options: ServeOptions) -> anyhow::Result<()> {
    let ServeOptions {
        addr,
        token,
        source,
        schedule,
    } = options;
    guard::check_bind(addr, token.as_deref())?;
    let state = ApiState::new(app, token, source_factory(source.clone())).await;
    let scheduler = match schedule {
        Some(schedule) => {
            let settings = &state.app().settings;
            let prices = crate::app::jobs::prices_job(
                state.app(),
                Arc::from(crate::app::open_source(&source, settings)?),
                &crate::app::portfolio_params(settings, None)?,
            );
            let scheduler = crate::schedule::Scheduler::sharing(
                schedule,
                Arc::new(ServedCycle {
                    state: state.clone(),
                }),
                Arc::new(prices),
                state.cycle_lock(),
            );
            let _ = state.inner.due.set(scheduler.due());
            Some(scheduler)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr().context("no local address")?;
    tracing::info!(addr = %local, store = state.store_kind(), phase = %state.app().phase, "serving the API");
    println!("prescient serving on http://{local}/ (Ctrl-C to stop)");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    let schedule_task = scheduler.map(|scheduler| {
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            scheduler
                .run_until(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        })
    });
    let served = guard::serve_with(listener, state.clone(), {
        let stop = stop.clone();
        async move {
            crate::schedule::shutdown_signal().await;
            let _ = stop.send(true);
        }
    })
    .await
    .context("the server stopped");
    // However the server stopped, the schedule stops with it.
    let _ = stop.send(true);
    if let Some(task) = schedule_task {
        // The scheduler has been told to stop: a running job finishes first.
        match task.await {
            Ok(report) => tracing::info!(?report, "schedule stopped"),
            Err(e) => tracing::error!(error = %e, "the schedule task failed"),
        }
    }
    // A cycle asked for over HTTP runs on its own task: wait for it.
    let _idle = state.cycle_lock().lock_owned().await;
    state.app().flush().await;
    tracing::info!("stopped");
    served
}
