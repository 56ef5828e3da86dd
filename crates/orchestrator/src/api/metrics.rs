//! `/metrics` in the Prometheus text format (0.0.4). What the server counts
//! itself (cycles, trades, signals, Gamma requests, HTTP requests) lives in
//! [`Metrics`]; the routed store's counters (write failures, fallback reads,
//! outbox, shadow reads) and the outbox depth are read at scrape time.
//!
//! Hand-written: a dozen series do not need a registry, and the routing
//! counters already exist as atomics in `RoutingStats`.

use super::{ApiState, LastCycle};
use crate::summary::CycleSummary;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the cycle duration histogram.
const CYCLE_BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

#[derive(Debug, Default)]
pub struct Metrics {
    cycles_success: AtomicU64,
    cycles_failure: AtomicU64,
    trades_executed: AtomicU64,
    signals: AtomicU64,
    gamma_requests: AtomicU64,
    gamma_retries: AtomicU64,
    /// Write failures of a single (unrouted) store, by store.
    write_failures: Mutex<BTreeMap<&'static str, u64>>,
    durations: Mutex<Histogram>,
    last: Mutex<Option<(bool, i64, f64)>>,
    /// (method, route, status) → requests.
    http: Mutex<BTreeMap<(String, String, u16), u64>>,
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; CYCLE_BUCKETS.len()],
    sum: f64,
    count: u64,
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
        let counter = if ok {
            &self.cycles_success
        } else {
            &self.cycles_failure
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.trades_executed
            .fetch_add(last.trades_executed, Ordering::Relaxed);
        self.signals.fetch_add(last.signals, Ordering::Relaxed);
        if let Some(summary) = summary {
            for step in &summary.steps {
                self.gamma_requests
                    .fetch_add(step.count("requests").unwrap_or(0), Ordering::Relaxed);
                self.gamma_retries
                    .fetch_add(step.count("retries").unwrap_or(0), Ordering::Relaxed);
            }
        }
        if failed_write && store_kind != "phase" {
            let store = if store_kind == "pg" {
                "postgresql"
            } else {
                "json"
            };
            if let Ok(mut m) = self.write_failures.lock() {
                *m.entry(store).or_default() += 1;
            }
        }
        let secs = took.as_secs_f64();
        if let Ok(mut h) = self.durations.lock() {
            for (i, bound) in CYCLE_BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.buckets[i] += 1;
                }
            }
            h.sum += secs;
            h.count += 1;
        }
        if let Ok(mut l) = self.last.lock() {
            *l = Some((ok, last.finished_at.timestamp(), secs));
        }
    }

    fn count_request(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut m) = self.http.lock() {
            *m.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
    }
}

/// Middleware: count every request by method, matched route and status.
pub async fn count_requests(State(s): State<ApiState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    // The route pattern, not the path: ids must not explode the label set.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    s.metrics()
        .count_request(&method, &route, response.status().as_u16());
    response
}

/// One metric family being written.
struct Exposition(String);

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}");
        if !labels.is_empty() {
            let body: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", body.join(","));
        }
        let _ = writeln!(self.0, " {value}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn render(State(s): State<ApiState>) -> Response {
    let m = s.metrics();
    let app = s.app();
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut out = Exposition(String::new());

    out.family(
        "prescient_cycles_total",
        "counter",
        "Trading cycles run by this server, by outcome.",
    );
    out.sample(
        "prescient_cycles_total",
        &[("outcome", "success")],
        get(&m.cycles_success),
    );
    out.sample(
        "prescient_cycles_total",
        &[("outcome", "failure")],
        get(&m.cycles_failure),
    );
    out.family(
        "prescient_cycle_duration_seconds",
        "histogram",
        "Duration of trading cycles.",
    );
    if let Ok(h) = m.durations.lock() {
        for (bound, n) in CYCLE_BUCKETS.iter().zip(h.buckets.iter()) {
            out.sample(
                "prescient_cycle_duration_seconds_bucket",
                &[("le", &bound.to_string())],
                n,
            );
        }
        out.sample(
            "prescient_cycle_duration_seconds_bucket",
            &[("le", "+Inf")],
            h.count,
        );
        out.sample("prescient_cycle_duration_seconds_sum", &[], h.sum);
        out.sample("prescient_cycle_duration_seconds_count", &[], h.count);
    }
    let last = m.last.lock().map(|l| *l).unwrap_or_default();
    if let Some((ok, at, secs)) = last {
        out.single(
            "prescient_last_cycle_success",
            "gauge",
            "1 when the last cycle succeeded, 0 when it failed.",
            u8::from(ok),
        );
        out.single(
            "prescient_last_cycle_timestamp_seconds",
            "gauge",
            "When the last cycle finished (Unix time).",
            at,
        );
        out.single(
            "prescient_last_cycle_duration_seconds",
            "gauge",
            "How long the last cycle took.",
            secs,
        );
    }
    out.single(
        "prescient_trades_executed_total",
        "counter",
        "Paper trades executed by cycles of this server.",
        get(&m.trades_executed),
    );
    out.single(
        "prescient_signals_generated_total",
        "counter",
        "Signals generated by cycles of this server.",
        get(&m.signals),
    );
    out.single(
        "prescient_gamma_requests_total",
        "counter",
        "HTTP requests sent to the Gamma API by cycles.",
        get(&m.gamma_requests),
    );
    out.single(
        "prescient_gamma_retries_total",
        "counter",
        "Gamma API requests retried (timeouts, connection errors, 429, 5xx).",
        get(&m.gamma_retries),
    );

    let routing = app.routing.as_ref().map(|r| r.counts()).unwrap_or_default();
    let single = m
        .write_failures
        .lock()
        .map(|w| w.clone())
        .unwrap_or_default();
    let failures = |store: &str| single.get(store).copied().unwrap_or(0);
    out.family(
        "prescient_store_write_failures_total",
        "counter",
        "Failed store writes, by store (dual-write failures of PostgreSQL are queued in the outbox).",
    );
    out.sample(
        "prescient_store_write_failures_total",
        &[("store", "postgresql")],
        routing.pg_write_failures + failures("postgresql"),
    );
    out.sample(
        "prescient_store_write_failures_total",
        &[("store", "json")],
        routing.json_write_failures + failures("json"),
    );
    out.single(
        "prescient_fallback_reads_total",
        "counter",
        "PostgreSQL reads that failed in DR and were served from JSON.",
        routing.fallback_reads,
    );
    #[cfg(feature = "json")]
    {
        out.single(
            "prescient_json_torn_tails_recovered_total",
            "counter",
            "Append-only JSON files whose torn tail was cut back on open (the cut bytes kept as <name>.torn-<time>).",
            storage_json::torn_tails_recovered(),
        );
        out.single(
            "prescient_json_corrupt_files_kept_total",
            "counter",
            "Corrupt derived JSON files moved aside as <name>.corrupt-<time> before being replaced.",
            storage_json::corrupt_files_kept(),
        );
    }
    let depth = match &app.outbox {
        Some(o) => o.depth().await.ok(),
        None => Some(0),
    };
    if let Some(depth) = depth {
        out.single(
            "prescient_outbox_depth",
            "gauge",
            "PostgreSQL writes waiting in the outbox for replay.",
            depth,
        );
    }
    out.single(
        "prescient_outbox_queued_total",
        "counter",
        "Writes queued in the outbox.",
        routing.outbox_queued,
    );
    out.single(
        "prescient_outbox_replayed_total",
        "counter",
        "Queued writes replayed to PostgreSQL.",
        routing.outbox_replayed,
    );
    out.single(
        "prescient_shadow_reads_total",
        "counter",
        "Reads compared between JSON and PostgreSQL in dual-write routes.",
        routing.shadow_reads,
    );
    out.single(
        "prescient_shadow_mismatches_total",
        "counter",
        "Shadow reads whose PostgreSQL result differed from JSON.",
        routing.shadow_mismatches,
    );
    out.family(
        "prescient_migration_phase_info",
        "gauge",
        "The migration phase this server runs (always 1; the phase is the label).",
    );
    out.sample(
        "prescient_migration_phase_info",
        &[("phase", app.phase.number()), ("store", s.store_kind())],
        1,
    );
    if let Some(pg) = &app.pg {
        out.single(
            "prescient_database_up",
            "gauge",
            "1 when PostgreSQL answered the health check within its timeout.",
            u8::from(pg.health().await.is_ok()),
        );
    }
    out.family(
        "prescient_http_requests_total",
        "counter",
        "Requests to this API, by method, route and status.",
    );
    let http = m.http.lock().map(|h| h.clone()).unwrap_or_default();
    for ((method, route, status), n) in &http {
        out.sample(
            "prescient_http_requests_total",
            &[
                ("method", method),
                ("route", route),
                ("status", &status.to_string()),
            ],
            n,
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out.0,
    )
        .into_response()
}
