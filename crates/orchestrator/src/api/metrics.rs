//! `/metrics` in the Prometheus text format (0.0.4), encoded by
//! `prometheus-client`. What the server counts itself (cycles, step actions,
//! trades, signals, Gamma requests, HTTP requests) lives in [`Metrics`]; the
//! routed store's counters (write failures, fallback reads, outbox, shadow
//! reads), the JSON store's recoveries, the outbox depth and the database
//! health are read at scrape time and exposed as constant samples.
//!
//! Labels are bounded: the HTTP method is one of the standard methods or
//! `other`, the route is the matched route template (`/events/{id}`, never
//! the path asked for) or `unmatched`, the status a number.

use super::{ApiState, LastCycle};
use crate::summary::{CycleSummary, StepCounts, StepSummary};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text::{CONTENT_TYPE, encode};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the cycle duration histogram.
const CYCLE_BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    store: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    phase: &'static str,
    store: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// What the server counts itself.
#[derive(Debug)]
pub struct Metrics {
    cycles: Family<OutcomeLabels, Counter>,
    cycle_duration: Histogram,
    steps: Family<StepLabels, Counter>,
    trades_executed: Counter,
    signals: Counter,
    gamma_requests: Counter,
    gamma_retries: Counter,
    /// Write failures of a single (unrouted) store: (PostgreSQL, JSON).
    write_failures_pg: Counter,
    write_failures_json: Counter,
    /// The last cycle: succeeded, finished at (Unix seconds), seconds taken.
    last: Mutex<Option<(bool, i64, f64)>>,
    http: Family<HttpLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let cycles = Family::<OutcomeLabels, Counter>::default();
        // Both outcomes are shown from the start (0 before the first cycle).
        for outcome in ["success", "failure"] {
            let _ = cycles.get_or_create(&OutcomeLabels { outcome });
        }
        Metrics {
            cycles,
            cycle_duration: Histogram::new(CYCLE_BUCKETS),
            steps: Family::default(),
            trades_executed: Counter::default(),
            signals: Counter::default(),
            gamma_requests: Counter::default(),
            gamma_retries: Counter::default(),
            write_failures_pg: Counter::default(),
            write_failures_json: Counter::default(),
            last: Mutex::new(None),
            http: Family::default(),
        }
    }
}

/// `success` or `failure`.
fn outcome(ok: bool) -> &'static str {
    if ok { "success" } else { "failure" }
}

impl Metrics {
    /// Count one finished cycle. `failed_write`: it stopped on a store write;
    /// counted here when the stores are not routed (the routed store counts
    /// its own, by store).
    pub fn record_cycle(
        &self,
        last: &LastCycle,
        took: Duration,
        summary: Option<&CycleSummary>,
        failed_write: bool,
        store_kind: &'static str,
    ) {
        let ok = last.outcome == "success";
        self.cycles
            .get_or_create(&OutcomeLabels {
                outcome: outcome(ok),
            })
            .inc();
        self.trades_executed.inc_by(last.trades_executed);
        self.signals.inc_by(last.signals);
        if let Some(summary) = summary {
            let (requests, retries) = summary.gamma_requests();
            self.gamma_requests.inc_by(requests);
            self.gamma_retries.inc_by(retries);
        }
        self.count_failed_write(failed_write, store_kind);
        let secs = took.as_secs_f64();
        self.cycle_duration.observe(secs);
        if let Ok(mut l) = self.last.lock() {
            *l = Some((ok, last.finished_at.timestamp(), secs));
        }
    }

    /// Count one step action (`step`: its name) and what it did, when it
    /// succeeded.
    pub fn record_step(
        &self,
        step: &'static str,
        summary: Option<&StepSummary>,
        failed_write: bool,
        store_kind: &'static str,
    ) {
        self.steps
            .get_or_create(&StepLabels {
                step,
                outcome: outcome(summary.is_some()),
            })
            .inc();
        if let Some(summary) = summary {
            let (requests, retries) = summary.counts.gamma_requests();
            self.gamma_requests.inc_by(requests);
            self.gamma_retries.inc_by(retries);
            match &summary.counts {
                StepCounts::GenerateSignals(c) => {
                    self.signals.inc_by(to_u64(c.signals));
                }
                StepCounts::Execute(c) => {
                    self.trades_executed.inc_by(to_u64(c.executed));
                }
                StepCounts::ExportEvents(_)
                | StepCounts::FilterEvents(_)
                | StepCounts::FilterMarkets(_)
                | StepCounts::Reprice(_)
                | StepCounts::UpdatePrices(_)
                | StepCounts::ArchiveSignals(_)
                | StepCounts::Metadata(_) => {}
            }
        }
        self.count_failed_write(failed_write, store_kind);
    }

    fn count_failed_write(&self, failed_write: bool, store_kind: &'static str) {
        if !failed_write {
            return;
        }
        match store_kind {
            "pg" => {
                self.write_failures_pg.inc();
            }
            "json" => {
                self.write_failures_json.inc();
            }
            // Routed: the routed store counts its own failures, by store.
            _ => {}
        }
    }

    fn count_request(&self, method: &Method, route: String, status: u16) {
        self.http
            .get_or_create(&HttpLabels {
                method: method_label(method),
                route,
                status,
            })
            .inc();
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The method as a label: the standard ones by name, anything else `other`
/// (a client can send any token as a method).
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    STANDARD
        .iter()
        .zip(NAMES)
        .find(|(m, _)| *m == method)
        .map_or("other", |(_, name)| name)
}

/// Middleware: count every request by method, matched route and status.
pub async fn count_requests(State(s): State<ApiState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    // The route template, not the path: ids must not explode the label set.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    s.metrics()
        .count_request(&method, route, response.status().as_u16());
    response
}

/// A counter read from elsewhere at scrape time.
fn sampled(registry: &mut Registry, name: &str, help: &str, value: u64) {
    registry.register(name, help, ConstCounter::new(value));
}

/// A gauge read at scrape time.
fn gauge(registry: &mut Registry, name: &str, help: &str, value: impl Into<f64>) {
    registry.register(name, help, ConstGauge::new(value.into()));
}

/// `GET /metrics`.
pub async fn render(State(s): State<ApiState>) -> Response {
    let m = s.metrics();
    let app = s.app();
    // What needs the stores is read before the registry is built.
    let depth = match &app.outbox {
        Some(o) => o.depth().await.ok(),
        None => Some(0),
    };
    let database_up = match &app.pg {
        Some(pg) => Some(pg.health().await.is_ok()),
        None => None,
    };

    let mut r = Registry::default();
    r.register(
        "prescient_cycles",
        "Trading cycles run by this server, by outcome",
        m.cycles.clone(),
    );
    r.register(
        "prescient_cycle_duration_seconds",
        "Duration of trading cycles",
        m.cycle_duration.clone(),
    );
    let last = m.last.lock().map(|l| *l).unwrap_or_default();
    if let Some((ok, at, secs)) = last {
        r.register(
            "prescient_last_cycle_success",
            "1 when the last cycle succeeded, 0 when it failed",
            ConstGauge::new(i64::from(ok)),
        );
        r.register(
            "prescient_last_cycle_timestamp_seconds",
            "When the last cycle finished (Unix time)",
            ConstGauge::new(at),
        );
        gauge(
            &mut r,
            "prescient_last_cycle_duration_seconds",
            "How long the last cycle took",
            secs,
        );
    }
    r.register(
        "prescient_step_actions",
        "Single steps of the cycle run by this server's step actions, by step and outcome",
        m.steps.clone(),
    );
    r.register(
        "prescient_trades_executed",
        "Paper trades executed by cycles and step actions of this server",
        m.trades_executed.clone(),
    );
    r.register(
        "prescient_signals_generated",
        "Signals generated by cycles and step actions of this server",
        m.signals.clone(),
    );
    r.register(
        "prescient_gamma_requests",
        "HTTP requests sent to the Gamma API by cycles and step actions",
        m.gamma_requests.clone(),
    );
    r.register(
        "prescient_gamma_retries",
        "Gamma API requests retried (timeouts, connection errors, 429, 5xx)",
        m.gamma_retries.clone(),
    );

    let routing = app.routing.as_ref().map(|r| r.counts()).unwrap_or_default();
    let failures = Family::<StoreLabels, Counter>::default();
    failures
        .get_or_create(&StoreLabels {
            store: "postgresql",
        })
        .inc_by(
            routing
                .pg_write_failures
                .saturating_add(m.write_failures_pg.get()),
        );
    failures
        .get_or_create(&StoreLabels { store: "json" })
        .inc_by(
            routing
                .json_write_failures
                .saturating_add(m.write_failures_json.get()),
        );
    r.register(
        "prescient_store_write_failures",
        "Failed store writes, by store (dual-write failures of PostgreSQL are queued in the outbox)",
        failures,
    );
    sampled(
        &mut r,
        "prescient_fallback_reads",
        "PostgreSQL reads that failed in DR and were served from JSON",
        routing.fallback_reads,
    );
    #[cfg(feature = "json")]
    {
        sampled(
            &mut r,
            "prescient_json_torn_tails_recovered",
            "Append-only JSON files whose torn tail was cut back on open (the cut bytes kept as <name>.torn-<time>)",
            storage_json::torn_tails_recovered(),
        );
        sampled(
            &mut r,
            "prescient_json_corrupt_files_kept",
            "Corrupt derived JSON files moved aside as <name>.corrupt-<time> before being replaced",
            storage_json::corrupt_files_kept(),
        );
    }
    if let Some(depth) = depth {
        r.register(
            "prescient_outbox_depth",
            "PostgreSQL writes waiting in the outbox for replay",
            ConstGauge::new(depth),
        );
    }
    sampled(
        &mut r,
        "prescient_outbox_queued",
        "Writes queued in the outbox",
        routing.outbox_queued,
    );
    sampled(
        &mut r,
        "prescient_outbox_replayed",
        "Queued writes replayed to PostgreSQL",
        routing.outbox_replayed,
    );
    sampled(
        &mut r,
        "prescient_shadow_reads",
        "Reads compared between JSON and PostgreSQL in dual-write routes",
        routing.shadow_reads,
    );
    sampled(
        &mut r,
        "prescient_shadow_mismatches",
        "Shadow reads whose PostgreSQL result differed from JSON",
        routing.shadow_mismatches,
    );
    let phase = Family::<PhaseLabels, Gauge>::default();
    phase
        .get_or_create(&PhaseLabels {
            phase: app.phase.number(),
            store: s.store_kind(),
        })
        .set(1);
    r.register(
        "prescient_migration_phase_info",
        "The migration phase this server runs (always 1; the phase is the label)",
        phase,
    );
    if let Some(up) = database_up {
        r.register(
            "prescient_database_up",
            "1 when PostgreSQL answered the health check within its timeout",
            ConstGauge::new(i64::from(up)),
        );
    }
    r.register(
        "prescient_http_requests",
        "Requests to this API, by method, route and status",
        m.http.clone(),
    );

    let mut body = String::new();
    if let Err(e) = encode(&mut body, &r) {
        return super::ApiError::Internal(format!("cannot encode the metrics: {e}"))
            .into_response();
    }
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_a_bounded_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for odd in ["BREW", "PROPFIND", "X-ANYTHING-AT-ALL"] {
            let m = Method::from_bytes(odd.as_bytes()).unwrap();
            assert_eq!(method_label(&m), "other", "{odd}");
        }
    }
}
