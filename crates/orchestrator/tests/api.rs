//! `prescient serve`: every endpoint against a server on a free local port,
//! over the JSON data directory and over PostgreSQL, asserting what a user
//! sees (status codes and bodies); GETs leave every file and row unchanged;
//! actions need the token; one cycle at a time; status tells the truth about
//! the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::*;
use async_trait::async_trait;
use domain::MarketId;
use orchestrator::api::SourceFactory;
use orchestrator::app::StoreChoice;
use polymarket_client::{ClientError, EventsFetch, MarketSource, MarketsFetch, SnapshotSource};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage_pg::testing::TestDb;
use tokio::sync::{Notify, Semaphore};

fn ids(items: &Value, key: &str) -> BTreeSet<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Before any cycle: nothing yet is 404 (portfolio, performance) or empty.
async fn check_empty(s: &Server) {
    let (code, body) = s.get("/paper-trading/portfolio").await;
    assert_eq!(code, 404, "{body}");
    assert_eq!(body["error"], "not_found");
    assert!(
        body["detail"].as_str().unwrap().contains("run a cycle"),
        "{body}"
    );
    let (code, body) = s.get("/trading/performance-summary").await;
    assert_eq!(code, 404, "{body}");
    let (code, body) = s.get("/paper-trading/status").await;
    assert_eq!((code, &body["portfolio_exists"]), (200, &json!(false)));
    let (code, body) = s.get("/strategy/current-signals").await;
    assert_eq!((code, &body["count"]), (200, &json!(0)));
    let (code, body) = s.get("/paper-trading/trades-history").await;
    assert_eq!((code, &body["total_trades"]), (200, &json!(0)));
    let (code, body) = s.get("/paper-trading/portfolio-history").await;
    assert_eq!((code, &body["history"]), (200, &json!([])));
    let (code, body) = s.get("/markets/700002/snapshots").await;
    assert_eq!((code, &body["error"]), (404, &json!("not_found")));
}

/// One cycle of the example through the API: its summary.
async fn check_cycle(s: &Server) {
    let (code, summary) = s.post(CYCLE, None).await;
    assert_eq!(code, 200, "{summary}");
    assert_eq!(summary["status"], "success");
    assert_eq!(summary["parameters"]["event_max_days_until_end"], 1000);
    let execute = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "execute")
        .unwrap();
    assert_eq!(execute["counts"]["executed"], 3, "{execute}");
    assert_eq!(
        ids(&execute["counts"]["trades"], "market_id"),
        set(&["700001", "700002", "700010"])
    );
}

/// Every read after one cycle of the example.
async fn check_reads(s: &Server, store: &str) {
    let (code, p) = s.get("/paper-trading/portfolio").await;
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["balance"], json!(9700));
    assert_eq!(p["initial_balance"], json!(10000));
    assert_eq!(p["total_invested"], json!(300));
    assert_eq!(p["trade_count"], json!(3));
    assert_eq!(p["open_positions"], json!(3));
    assert_eq!(
        ids(&p["positions"], "market_id"),
        set(&["700001", "700002", "700010"])
    );
    let yes = p["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["market_id"] == "700002")
        .unwrap();
    assert_eq!(yes["action"], "buy_yes");
    assert_eq!(yes["amount"], json!(100));
    assert_eq!(yes["entry_price"], json!(0.865));
    assert_eq!(yes["status"], "open");
    for field in [
        "trade_id",
        "market_question",
        "entry_timestamp",
        "current_pnl",
        "shares",
    ] {
        assert!(yes.get(field).is_some(), "position lacks {field}: {yes}");
    }

    let (code, t) = s.get("/paper-trading/trades-history").await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(t["total_trades"], 3);
    assert_eq!(t["trades"].as_array().unwrap().len(), 3);
    let down = t["trades"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["market_id"] == "700010")
        .unwrap();
    assert_eq!(down["outcome"], "Down");
    assert_eq!(down["entry_price"], json!(0.65));
    assert_eq!(down["status"], "open");
    let (_, page) = s
        .get("/paper-trading/trades-history?limit=1&offset=1")
        .await;
    assert_eq!(page["trades"].as_array().unwrap().len(), 1);
    assert_eq!(
        page["paging"],
        json!({"total": 3, "limit": 1, "offset": 1, "returned": 1})
    );
    assert_eq!(page["trades"][0], t["trades"][1]);
    let (code, bad) = s.get("/paper-trading/trades-history?limit=lots").await;
    assert_eq!((code, &bad["error"]), (400, &json!("bad_request")), "{bad}");

    let (code, st) = s.get("/paper-trading/status").await;
    assert_eq!(code, 200);
    assert_eq!(st["portfolio_exists"], true);
    assert_eq!(st["balance"], json!(9700));
    assert_eq!(st["open_positions"], 3);
    assert!(st["last_trade"].is_string(), "{st}");

    let (code, h) = s.get("/paper-trading/portfolio-history").await;
    assert_eq!(code, 200);
    assert_eq!(h["count"], 1);
    assert_eq!(h["history"][0]["balance"], json!(9700));
    assert_eq!(h["history"][0]["trade_count"], 3);
    assert_eq!(h["history"][0]["open_positions"], 3);

    let (code, sig) = s.get("/strategy/current-signals").await;
    assert_eq!(code, 200, "{sig}");
    assert_eq!(sig["count"], 3);
    assert_eq!(sig["executed"], 3);
    // By confidence, as the original sorted them.
    let first = &sig["signals"][0];
    assert_eq!(first["market_id"], "700002");
    assert_eq!(first["action"], "buy_yes");
    assert_eq!(first["target_price"], json!(0.865));
    assert_eq!(first["confidence"], json!(0.365));
    assert_eq!(
        first["reason"],
        "YES price 0.865 > 0.50, buying YES at 0.865"
    );
    assert!(first["trade_id"].is_string(), "{first}");

    let (code, ss) = s.get("/strategy/status").await;
    assert_eq!(code, 200);
    assert_eq!(ss["strategy"], "most_likely");
    assert_eq!(ss["signals_count"], 3);
    assert_eq!(
        (ss["buy_yes"].as_u64(), ss["buy_no"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(ss["amount"], json!(100));
    assert!(ss["last_signal_generation"].is_string(), "{ss}");

    let (code, m) = s.get("/markets/current-filtered").await;
    assert_eq!(code, 200);
    let market_ids = ids(&m["markets"], "id");
    for traded in ["700001", "700002", "700010", "700020"] {
        assert!(
            market_ids.contains(traded),
            "{traded} not in {market_ids:?}"
        );
    }
    assert!(!market_ids.contains("700021"), "the closed market passed");
    let m2 = m["markets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "700002")
        .unwrap();
    assert_eq!(m2["yes_price"], json!(0.865));
    assert!(
        m2["question"].is_string() && m2["outcomePrices"].is_string(),
        "{m2}"
    );
    assert_eq!(m2["event_id"], "90001", "the event context is kept");
    let (code, ms) = s.get("/markets/status").await;
    assert_eq!(code, 200);
    assert_eq!(ms["filtered_markets"], m["count"]);
    assert!(ms["last_market_filter"].is_string());
    let (code, snaps) = s.get("/markets/700002/snapshots").await;
    assert_eq!(code, 200);
    assert_eq!(snaps["snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(snaps["snapshots"][0]["yes_price"], json!(0.865));

    let (code, ev) = s.get("/events/raw?limit=2").await;
    assert_eq!(code, 200);
    assert_eq!(ev["count"], 5);
    assert_eq!(ev["events"].as_array().unwrap().len(), 2);
    let (_, fe) = s.get("/events/filtered").await;
    let filtered = ids(&fe["events"], "id");
    assert!(filtered.contains("90001"));
    assert!(
        !filtered.contains("90004") && !filtered.contains("90005"),
        "{filtered:?}"
    );
    assert!(
        fe["events"][0]["days_until_end"].is_i64(),
        "{}",
        fe["events"][0]
    );
    let (code, one) = s.get("/events/90001").await;
    assert_eq!(code, 200);
    assert_eq!(one["id"], "90001");
    assert!(one["days_until_end"].is_i64());
    let (code, none) = s.get("/events/does-not-exist").await;
    assert_eq!((code, &none["error"]), (404, &json!("not_found")));
    let (code, es) = s.get("/events/status").await;
    assert_eq!(code, 200);
    assert_eq!(es["raw_events"], 5);
    assert_eq!(es["filtered_events"], fe["count"]);

    let (code, perf) = s.get("/trading/performance-summary").await;
    assert_eq!(code, 200, "{perf}");
    assert_eq!(perf["total_trades"], 3);
    assert_eq!(perf["open_positions"], 3);
    assert_eq!(perf["closed_positions"], 0);
    assert_eq!(perf["win_rate"], Value::Null);
    assert_eq!(perf["initial_balance"], json!(10000));
    assert_eq!(perf["history_entries"], 1);
    assert!(perf["max_drawdown"]["amount"].is_number(), "{perf}");

    let (code, status) = s.get("/trading/status").await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["status"], "ok");
    assert_eq!(status["store"], store);
    assert_eq!(status["cycle"]["running"], false);
    assert_eq!(status["cycle"]["last"]["outcome"], "success");
    assert_eq!(status["cycle"]["last"]["trades_executed"], 3);
    assert!(
        status["last_updated"]["last_trade_execution"].is_string(),
        "{status}"
    );
    assert_eq!(status["outbox"]["depth"], 0);
    assert_eq!(status["shadow_mismatches"], 0);
    let route = if store == "pg" { "P" } else { "J" };
    assert_eq!(status["phase"]["routes"]["trades"]["route"], route);
    if store == "pg" {
        assert_eq!(status["database"]["healthy"], true);
        assert!(status["database"]["latency_ms"].is_number());
    } else {
        assert_eq!(status["database"]["configured"], false);
    }

    let (code, ctype, metrics) = s.get_text("/metrics").await;
    assert_eq!(code, 200);
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    for line in [
        "prescient_cycles_total{outcome=\"success\"} 1",
        "prescient_cycles_total{outcome=\"failure\"} 0",
        "prescient_cycle_duration_seconds_count 1",
        "prescient_trades_executed_total 3",
        "prescient_signals_generated_total 3",
        "prescient_store_write_failures_total{store=\"postgresql\"} 0",
        "prescient_fallback_reads_total 0",
        "prescient_outbox_depth 0",
        "prescient_shadow_mismatches_total 0",
        "prescient_gamma_requests_total 0",
        "prescient_http_requests_total{method=\"POST\",route=\"/trading/run-full-cycle\",status=\"200\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "/metrics lacks `{line}`:\n{metrics}"
        );
    }

    let (code, ctype, page) = s.get_text("/").await;
    assert_eq!(code, 200);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(page.contains("id=\"equity-chart\""));

    let (code, body) = s.get("/no/such/endpoint").await;
    assert_eq!((code, &body["error"]), (404, &json!("not_found")));
    let (code, body) = s.get("/trading/run-full-cycle").await;
    assert_eq!(
        (code, &body["error"]),
        (405, &json!("method_not_allowed")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_over_the_json_store_and_gets_change_no_file() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        example_source(),
    )
    .await;
    check_empty(&s).await;
    check_cycle(&s).await;

    let before = (files(data.path()), files(state.path()));
    assert!(
        before.0.contains_key("trades/portfolio.json"),
        "{:?}",
        before.0.keys()
    );
    check_reads(&s, "json").await;
    for path in GETS {
        s.client.get(s.url(path)).send().await.unwrap();
    }
    let after = (files(data.path()), files(state.path()));
    assert_eq!(
        before.0.keys().collect::<Vec<_>>(),
        after.0.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &before.0 {
        assert!(after.0[name] == *bytes, "GET changed {name}");
    }
    assert!(before.1 == after.1, "GET changed the state directory");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_over_postgres_and_gets_change_no_row() {
    let db = TestDb::create().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[("DATABASE_URL", db.url())]),
        StoreChoice::Pg,
        None,
        example_source(),
    )
    .await;
    check_empty(&s).await;
    check_cycle(&s).await;
    assert!(files(data.path()).is_empty(), "--store pg wrote JSON files");

    let before = rows(db.connection()).await;
    assert_eq!(before["trades"].0, 3);
    check_reads(&s, "pg").await;
    for path in GETS {
        s.client.get(s.url(path)).send().await.unwrap();
    }
    let after = rows(db.connection()).await;
    for (table, rows) in &before {
        assert!(after[table] == *rows, "GET changed table {table}");
    }
    assert!(files(data.path()).is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn actions_need_the_configured_token_and_reads_do_not() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        Some("s3cret"),
        example_source(),
    )
    .await;
    let (code, body) = s.post(CYCLE, None).await;
    assert_eq!(
        (code, &body["error"]),
        (401, &json!("unauthorized")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );
    let (code, _) = s.post(CYCLE, Some("guess")).await;
    assert_eq!(code, 401);
    assert!(
        !data.path().join("trades/portfolio.json").exists(),
        "a refused action wrote"
    );
    let (code, body) = s.post(CYCLE, Some("s3cret")).await;
    assert_eq!((code, &body["status"]), (200, &json!("success")), "{body}");
    let (code, _) = s.get("/paper-trading/portfolio").await;
    assert_eq!(code, 200);
    s.stop().await;
}

/// A source that stops in its first request until released.
struct Gate {
    inner: SnapshotSource,
    entered: Arc<Notify>,
    release: Arc<Semaphore>,
}

#[async_trait]
impl MarketSource for Gate {
    fn describe(&self) -> String {
        "gated example".into()
    }
    async fn fetch_active_events(&self) -> Result<EventsFetch, ClientError> {
        self.entered.notify_one();
        let _permit = self.release.acquire().await.unwrap();
        self.inner.fetch_active_events().await
    }
    async fn fetch_markets(
        &self,
        ids: &[MarketId],
        include_closed: bool,
    ) -> Result<MarketsFetch, ClientError> {
        self.inner.fetch_markets(ids, include_closed).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_cycle_while_one_runs_is_refused_with_409() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Semaphore::new(0));
    let factory: SourceFactory = {
        let (entered, release) = (entered.clone(), release.clone());
        Arc::new(move |_settings| {
            Ok(Box::new(Gate {
                inner: SnapshotSource::open(workspace().join("examples/snapshot"))?,
                entered: entered.clone(),
                release: release.clone(),
            }) as Box<dyn MarketSource>)
        })
    };
    let s = Arc::new(
        Server::start(
            settings(data.path(), state.path(), &[]),
            StoreChoice::Json,
            None,
            factory,
        )
        .await,
    );
    let first = {
        let s = s.clone();
        tokio::spawn(async move { s.post(CYCLE, None).await })
    };
    entered.notified().await;

    let (code, body) = s.post(CYCLE, None).await;
    assert_eq!((code, &body["error"]), (409, &json!("conflict")), "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("already running"),
        "{body}"
    );
    let (_, status) = s.get("/trading/status").await;
    assert_eq!(status["cycle"]["running"], true, "{status}");

    release.add_permits(10);
    let (code, body) = first.await.unwrap();
    assert_eq!((code, &body["status"]), (200, &json!("success")), "{body}");
    let (_, status) = s.get("/trading/status").await;
    assert_eq!(status["cycle"]["running"], false);
    // Once it finished, the next one runs.
    let (code, _) = s.post(CYCLE, None).await;
    assert_eq!(code, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_cycle_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let open = || settings(data.path(), state.path(), &[]);
    let s = Server::start(open(), StoreChoice::Json, None, example_source()).await;
    let (_, status) = s.get("/trading/status").await;
    assert_eq!(status["cycle"]["last"], Value::Null);
    assert_eq!(s.post(CYCLE, None).await.0, 200);
    s.stop().await;

    let s = Server::start(open(), StoreChoice::Json, None, example_source()).await;
    let (_, status) = s.get("/trading/status").await;
    let last = &status["cycle"]["last"];
    assert_eq!(last["outcome"], "success", "{status}");
    assert_eq!(last["trades_executed"], 3);
    assert_eq!(last["error"], Value::Null);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_cycle_is_reported_by_the_action_status_and_metrics() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        example_source(),
    )
    .await;
    std::fs::create_dir_all(data.path().join("trades")).unwrap();
    std::fs::write(data.path().join("trades/portfolio.json"), "{ not json").unwrap();
    let (code, body) = s.post(CYCLE, None).await;
    assert_eq!(code, 500, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("portfolio.json"),
        "{body}"
    );
    let (code, body) = s.get("/paper-trading/portfolio").await;
    assert_eq!((code, &body["error"]), (500, &json!("internal")), "{body}");
    let (_, status) = s.get("/trading/status").await;
    assert_eq!(status["cycle"]["last"]["outcome"], "failure");
    assert!(
        status["warnings"]
            .to_string()
            .contains("the last cycle failed"),
        "{status}"
    );
    let (_, _, metrics) = s.get_text("/metrics").await;
    assert!(
        metrics.contains("prescient_cycles_total{outcome=\"failure\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("prescient_last_cycle_success 0"),
        "{metrics}"
    );
    s.stop().await;
}

fn phase_file(state: &std::path::Path, phase: &str) {
    std::fs::write(
        state.join("phase.toml"),
        format!("phase = \"{phase}\"\nsince = \"2025-01-01T00:00:00Z\"\n"),
    )
    .unwrap();
}

const DOWN: &[(&str, &str)] = &[
    ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/prescient"),
    ("PRESCIENT_PG_HEALTH_TIMEOUT_MS", "300"),
    ("PRESCIENT_PG_CONNECT_TIMEOUT_MS", "300"),
];

#[tokio::test(flavor = "multi_thread")]
async fn status_reports_the_database_down_within_the_health_timeout() {
    // Phase 4: everything dual-written, JSON still the truth → degraded, 200.
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    phase_file(state.path(), "4");
    let s = Server::start(
        settings(data.path(), state.path(), DOWN),
        StoreChoice::Phase,
        None,
        example_source(),
    )
    .await;
    let started = Instant::now();
    let (code, status) = s.get("/trading/status").await;
    let took = started.elapsed();
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["status"], "degraded");
    assert_eq!(status["database"]["healthy"], false);
    assert_eq!(status["database"]["timeout_ms"], 300);
    assert!(
        status["database"]["error"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:1"),
        "{status}"
    );
    assert_eq!(status["phase"]["number"], "4");
    for data_set in ["portfolio", "trades", "history", "signals", "markets"] {
        assert_eq!(
            status["phase"]["routes"][data_set]["route"], "DW",
            "{status}"
        );
    }
    assert!(
        took < Duration::from_millis(300) + Duration::from_secs(2),
        "took {took:?}"
    );
    let (_, _, metrics) = s.get_text("/metrics").await;
    assert!(
        metrics.lines().any(|l| l == "prescient_database_up 0"),
        "{metrics}"
    );
    // A cycle still runs: JSON stands, the PostgreSQL writes queue.
    let (code, body) = s.post(CYCLE, None).await;
    assert_eq!(code, 200, "{body}");
    let (_, status) = s.get("/trading/status").await;
    assert!(status["outbox"]["depth"].as_u64().unwrap() > 0, "{status}");
    assert_eq!(
        status["postgres_current"]["trades"], "unknown (PostgreSQL does not answer)",
        "{status}"
    );
    assert!(
        status["routing"]["pg_write_failures"].as_u64().unwrap() > 0,
        "{status}"
    );
    s.stop().await;

    // Phase 6: PostgreSQL is primary → down, 503 with the same body; reads
    // 503 with the JSON fallback off (on, see the stale test below).
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    phase_file(state.path(), "6");
    let strict: Vec<(&str, &str)> = DOWN
        .iter()
        .copied()
        .chain([("DATABASE_FALLBACK_TO_JSON", "false")])
        .collect();
    let s = Server::start(
        settings(data.path(), state.path(), &strict),
        StoreChoice::Phase,
        None,
        example_source(),
    )
    .await;
    let started = Instant::now();
    let (code, status) = s.get("/trading/status").await;
    assert!(started.elapsed() < Duration::from_millis(300) + Duration::from_secs(2));
    assert_eq!(code, 503, "{status}");
    assert_eq!(status["status"], "down");
    assert_eq!(status["phase"]["routes"]["portfolio"]["route"], "D");
    let (code, body) = s.get("/paper-trading/portfolio").await;
    assert_eq!(
        (code, &body["error"]),
        (503, &json!("store_unavailable")),
        "{body}"
    );
    s.stop().await;
}

/// Phase 6 with PostgreSQL down: GETs answer from the JSON files as last
/// written, with `X-Prescient-Stale: <their time>`; status says since when;
/// a cycle fails cleanly and writes no file.
#[tokio::test(flavor = "multi_thread")]
async fn in_phase_6_with_postgres_down_reads_answer_from_json_marked_stale() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    phase_file(state.path(), "0");
    let s = Server::start(
        settings(data.path(), state.path(), DOWN),
        StoreChoice::Phase,
        None,
        example_source(),
    )
    .await;
    let (code, body) = s.post(CYCLE, None).await;
    assert_eq!(code, 200, "{body}");
    let (_, fresh) = s.get("/paper-trading/portfolio").await;
    s.stop().await;

    phase_file(state.path(), "6");
    let before = files(data.path());
    let s = Server::start(
        settings(data.path(), state.path(), DOWN),
        StoreChoice::Phase,
        None,
        example_source(),
    )
    .await;
    let r = s
        .client
        .get(s.url("/paper-trading/portfolio"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let stale = r
        .headers()
        .get("x-prescient-stale")
        .expect("a stale read is marked")
        .to_str()
        .unwrap()
        .to_owned();
    let at = chrono::DateTime::parse_from_rfc3339(&stale).unwrap();
    assert!(at <= chrono::Utc::now(), "{stale}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body, fresh, "the portfolio as the JSON files hold it");

    let (code, status) = s.get("/trading/status").await;
    assert_eq!(code, 503, "{status}");
    assert_eq!(status["stale_since"], json!(stale), "{status}");
    assert!(
        status["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("(stale)")),
        "{status}"
    );

    let (code, body) = s.post(CYCLE, None).await;
    assert_ne!(code, 200, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("postgres"),
        "{body}"
    );
    s.stop().await;
    assert_eq!(
        files(data.path()),
        before,
        "no JSON file written in phase 6"
    );
}

fn snapshot_source(dir: &std::path::Path) -> SourceFactory {
    orchestrator::api::source_factory(orchestrator::app::SourceSpec::Snapshot(dir.to_path_buf()))
}

fn step<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {summary}"))
}

/// `event_*` filter events and the plain names filter markets, as in the
/// original: at 5,000 and 20,000 the cycle keeps the events and markets
/// between the thresholds and the defaults (10,000 both), which it would
/// drop (events) or keep (markets) under the old, swapped meaning.
#[tokio::test(flavor = "multi_thread")]
async fn event_parameters_filter_events_and_plain_ones_filter_markets() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let snapshot = straddling_snapshot(chrono::Utc::now());
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        snapshot_source(snapshot.path()),
    )
    .await;
    let (code, summary) = s
        .post(
            "/trading/run-full-cycle?event_min_liquidity=5000&min_liquidity=20000",
            None,
        )
        .await;
    assert_eq!(code, 200, "{summary}");
    assert_eq!(summary["parameters"]["event_min_liquidity"], "5000");
    assert_eq!(summary["parameters"]["min_liquidity"], "20000");
    // What was not given keeps its setting.
    assert_eq!(summary["parameters"]["event_min_volume"], "50000");
    assert_eq!(summary["parameters"]["min_volume"], "50000");
    let events = &step(&summary, "filter_events")["counts"];
    assert_eq!(
        (
            &events["input"],
            &events["passed"],
            &events["rejected_liquidity"]
        ),
        (&json!(3), &json!(2), &json!(1)),
        "{events}"
    );
    let markets = &step(&summary, "filter_markets")["counts"];
    assert_eq!(
        (
            &markets["input"],
            &markets["passed"],
            &markets["rejected_liquidity"]
        ),
        (&json!(5), &json!(3), &json!(2)),
        "{markets}"
    );
    let (_, filtered) = s.get("/events/filtered").await;
    assert_eq!(ids(&filtered["events"], "id"), set(&["91002", "91003"]));
    let (_, kept) = s.get("/markets/current-filtered").await;
    assert_eq!(
        ids(&kept["markets"], "id"),
        set(&["810022", "810032", "810033"])
    );
    let (_, signals) = s.get("/strategy/current-signals").await;
    assert_eq!(
        ids(&signals["signals"], "market_id"),
        set(&["810022", "810032", "810033"])
    );

    // The defaults (10,000 both), for contrast: 91002 fails the event
    // filter, and 810031 (19,999.99) passes the market filter.
    let (code, summary) = s.post("/trading/run-full-cycle", None).await;
    assert_eq!(code, 200, "{summary}");
    let (_, filtered) = s.get("/events/filtered").await;
    assert_eq!(ids(&filtered["events"], "id"), set(&["91003"]));
    let (_, kept) = s.get("/markets/current-filtered").await;
    assert_eq!(
        ids(&kept["markets"], "id"),
        set(&["810031", "810032", "810033"])
    );
    s.stop().await;
}

/// An unknown parameter, an old name, a parameter an action does not take,
/// or a value the filters refuse: a 400 whose detail names it, and nothing
/// written.
#[tokio::test(flavor = "multi_thread")]
async fn a_parameter_that_is_unknown_misplaced_or_out_of_range_is_a_400_naming_it() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        example_source(),
    )
    .await;
    let before = files(data.path());
    for (path, named) in [
        ("/trading/run-full-cycle?no_such_param=1", "no_such_param"),
        (
            "/trading/run-full-cycle?market_min_liquidity=1",
            "market_min_liquidity",
        ),
        (
            "/trading/run-full-cycle?min_conviction=0.1",
            "min_conviction",
        ),
        (
            "/trading/run-full-cycle?max_days_until_end=1000",
            "max_days_until_end",
        ),
        ("/trading/run-full-cycle?min_liquidity=-1", "min_liquidity"),
        (
            "/trading/run-full-cycle?event_min_volume=-5",
            "event_min_volume",
        ),
        (
            "/trading/run-full-cycle?event_min_days_until_end=10&event_max_days_until_end=5",
            "event_min_days_until_end",
        ),
        (
            "/trading/run-full-cycle?max_market_conviction=1.5",
            "max_market_conviction",
        ),
        (
            "/trading/run-full-cycle?min_market_conviction=0.8&max_market_conviction=0.2",
            "min_market_conviction",
        ),
        ("/trading/run-full-cycle?amount=0", "amount"),
        ("/events/filter-events?min_liquidity=1", "min_liquidity"),
        (
            "/markets/filter-markets?event_min_liquidity=1",
            "event_min_liquidity",
        ),
        ("/strategy/generate-signals?min_volume=1", "min_volume"),
        ("/paper-trading/execute-signals?amount=5", "amount"),
        (
            "/events/export-all-active-events-json?no_such_param=1",
            "no_such_param",
        ),
        (
            "/trading/update-prices?event_min_volume=1",
            "event_min_volume",
        ),
    ] {
        let (code, body) = s.post(path, None).await;
        assert_eq!(
            (code, &body["error"]),
            (400, &json!("bad_request")),
            "{path}: {body}"
        );
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("`{named}`")), "{path}: {detail}");
    }
    let (_, body) = s.post("/events/filter-events?min_liquidity=1", None).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("event_min_liquidity, event_min_volume"),
        "the detail lists what the action takes: {body}"
    );
    assert!(files(data.path()) == before, "a refused action wrote");
    s.stop().await;
}

/// The step actions, one after the other, do what one full cycle does:
/// the same files, trades and portfolio; each step reads what the one
/// before it stored.
#[tokio::test(flavor = "multi_thread")]
async fn the_step_actions_in_order_do_what_a_full_cycle_does() {
    let (stepped, full) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(stepped.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        example_source(),
    )
    .await;

    let (code, body) = s.post("/events/export-all-active-events-json", None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (&body["step"], &body["counts"]["events"]),
        (&json!("export_events"), &json!(5))
    );
    let (_, status) = s.get("/events/status").await;
    assert_eq!(
        (&status["raw_events"], &status["filtered_events"]),
        (&json!(5), &json!(0))
    );
    assert!(status["last_event_export"].is_string(), "{status}");

    let (code, body) = s
        .post("/events/filter-events?event_max_days_until_end=1000", None)
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (&body["counts"]["input"], &body["counts"]["passed"]),
        (&json!(5), &json!(3))
    );
    let (_, filtered) = s.get("/events/filtered").await;
    assert_eq!(
        ids(&filtered["events"], "id"),
        set(&["90001", "90002", "90003"])
    );

    let (code, body) = s.post("/markets/filter-markets", None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["step"], "filter_markets");
    let (_, markets) = s.get("/markets/current-filtered").await;
    assert_eq!(
        ids(&markets["markets"], "id"),
        set(&["700001", "700002", "700010", "700020"])
    );
    let (_, ms) = s.get("/markets/status").await;
    assert!(ms["last_market_filter"].is_string(), "{ms}");

    let (code, body) = s.post("/strategy/generate-signals", None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["counts"]["signals"], 3);
    let (_, signals) = s.get("/strategy/current-signals").await;
    assert_eq!(
        (&signals["count"], &signals["executed"]),
        (&json!(3), &json!(0))
    );
    assert!(
        !stepped.path().join("trades/portfolio.json").exists(),
        "nothing is traded before execute-signals"
    );

    let (code, body) = s.post("/paper-trading/execute-signals", None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["counts"]["executed"], 3, "{body}");
    assert_eq!(
        ids(&body["counts"]["trades"], "market_id"),
        set(&["700001", "700002", "700010"])
    );
    // Again: every signal of the set is executed already.
    let (code, body) = s.post("/paper-trading/execute-signals", None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (&body["counts"]["executed"], &body["counts"]["skipped"]),
        (&json!(0), &json!(3))
    );
    assert!(
        body["counts"]["skips"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kind"] == "already_executed"),
        "{body}"
    );
    for path in ["/paper-trading/update-prices", "/trading/update-prices"] {
        let (code, body) = s.post(path, None).await;
        assert_eq!(code, 200, "{path}: {body}");
        assert_eq!(body["step"], "update_prices");
        assert_eq!(body["counts"]["open_positions"], 3, "{body}");
        assert_eq!(body["counts"]["repriced"], 3, "{body}");
    }
    let (_, p) = s.get("/paper-trading/portfolio").await;
    s.stop().await;

    let s = Server::start(
        settings(full.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        example_source(),
    )
    .await;
    assert_eq!(s.post(CYCLE, None).await.0, 200);
    let (_, q) = s.get("/paper-trading/portfolio").await;
    s.stop().await;
    for field in ["balance", "total_invested", "trade_count", "open_positions"] {
        assert_eq!(p[field], q[field], "{field}: {p} vs {q}");
    }
    let entry_prices = |v: &Value| -> BTreeSet<String> {
        v["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| format!("{} {} {}", x["market_id"], x["action"], x["entry_price"]))
            .collect()
    };
    assert_eq!(entry_prices(&p), entry_prices(&q));
    for file in [
        "events/raw_events_backup.json",
        "events/filtered_events.json",
        "markets/filtered_markets.json",
    ] {
        let read = |d: &std::path::Path| -> Value {
            serde_json::from_slice(&std::fs::read(d.join(file)).unwrap()).unwrap()
        };
        assert_eq!(
            ids(&read(stepped.path()), "id"),
            ids(&read(full.path()), "id"),
            "{file}"
        );
    }
}

/// A step action before anything it needs is stored: an empty step, or a
/// 404 for a price update without a portfolio.
#[tokio::test(flavor = "multi_thread")]
async fn step_actions_on_an_empty_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        example_source(),
    )
    .await;
    let (code, body) = s.post("/events/filter-events", None).await;
    assert_eq!((code, &body["counts"]["input"]), (200, &json!(0)), "{body}");
    let (code, body) = s.post("/paper-trading/execute-signals", None).await;
    assert_eq!(
        (code, &body["counts"]["executed"]),
        (200, &json!(0)),
        "{body}"
    );
    let (code, body) = s.post("/trading/update-prices", None).await;
    assert_eq!((code, &body["error"]), (404, &json!("not_found")), "{body}");
    s.stop().await;
}

/// Every action needs the token, and while a cycle runs every action is a
/// 409 (the same guard).
#[tokio::test(flavor = "multi_thread")]
async fn step_actions_share_the_token_check_and_the_one_at_a_time_guard() {
    const ACTIONS: [&str; 8] = [
        "/trading/run-full-cycle",
        "/events/export-all-active-events-json",
        "/events/filter-events",
        "/markets/filter-markets",
        "/strategy/generate-signals",
        "/paper-trading/execute-signals",
        "/paper-trading/update-prices",
        "/trading/update-prices",
    ];
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        Some("s3cret"),
        example_source(),
    )
    .await;
    let before = files(data.path());
    for path in ACTIONS {
        let (code, body) = s.post(path, None).await;
        assert_eq!(
            (code, &body["error"]),
            (401, &json!("unauthorized")),
            "{path}: {body}"
        );
        let (code, _) = s.post(path, Some("guess")).await;
        assert_eq!(code, 401, "{path}");
    }
    assert!(files(data.path()) == before, "a refused action wrote");
    let (code, body) = s
        .post("/events/export-all-active-events-json", Some("s3cret"))
        .await;
    assert_eq!(code, 200, "{body}");
    s.stop().await;

    let entered = Arc::new(Notify::new());
    let release = Arc::new(Semaphore::new(0));
    let factory: SourceFactory = {
        let (entered, release) = (entered.clone(), release.clone());
        Arc::new(move |_settings| {
            Ok(Box::new(Gate {
                inner: SnapshotSource::open(workspace().join("examples/snapshot"))?,
                entered: entered.clone(),
                release: release.clone(),
            }) as Box<dyn MarketSource>)
        })
    };
    let s = Arc::new(
        Server::start(
            settings(data.path(), state.path(), &[]),
            StoreChoice::Json,
            None,
            factory,
        )
        .await,
    );
    let first = {
        let s = s.clone();
        tokio::spawn(async move { s.post(CYCLE, None).await })
    };
    entered.notified().await;
    for path in ACTIONS {
        let (code, body) = s.post(path, None).await;
        assert_eq!(
            (code, &body["error"]),
            (409, &json!("conflict")),
            "{path}: {body}"
        );
        assert!(
            body["detail"].as_str().unwrap().contains("already running"),
            "{body}"
        );
    }
    release.add_permits(10);
    let (code, body) = first.await.unwrap();
    assert_eq!(code, 200, "{body}");
    // A step action holds the guard too: while it runs, a cycle is refused.
    let export = {
        let s = s.clone();
        tokio::spawn(async move { s.post("/events/export-all-active-events-json", None).await })
    };
    entered.notified().await;
    let (code, _) = s.post(CYCLE, None).await;
    assert_eq!(code, 409);
    release.add_permits(10);
    let (code, body) = export.await.unwrap();
    assert_eq!(code, 200, "{body}");
}

/// `/metrics` scraped and parsed: the values after requests, a cycle and
/// step actions; the method and route labels stay bounded.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_cycles_and_steps_with_bounded_labels() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = Server::start(
        settings(data.path(), state.path(), &[]),
        StoreChoice::Json,
        None,
        example_source(),
    )
    .await;
    let before = metrics(&s).await;
    assert_eq!(before["prescient_cycles_total{outcome=\"success\"}"], 0.0);
    assert_eq!(before["prescient_cycles_total{outcome=\"failure\"}"], 0.0);
    assert_eq!(before["prescient_cycle_duration_seconds_count"], 0.0);
    assert!(
        !before.contains_key("prescient_last_cycle_success"),
        "no last cycle before the first: {before:?}"
    );

    assert_eq!(s.post(CYCLE, None).await.0, 200);
    for id in ["90001", "90002", "no-such-event"] {
        s.get(&format!("/events/{id}")).await;
    }
    s.get("/no/such/endpoint").await;
    assert_eq!(send(&s, b"BREW", "/trading/status").await, 405);
    assert_eq!(send(&s, b"DELETE", "/trading/status").await, 405);
    assert_eq!(s.post("/strategy/generate-signals", None).await.0, 200);
    assert_eq!(s.post("/paper-trading/execute-signals", None).await.0, 200);
    assert_eq!(s.post("/events/filter-events?amount=1", None).await.0, 400);

    let m = metrics(&s).await;
    for (series, value) in [
        ("prescient_cycles_total{outcome=\"success\"}", 1.0),
        ("prescient_cycles_total{outcome=\"failure\"}", 0.0),
        ("prescient_cycle_duration_seconds_count", 1.0),
        ("prescient_cycle_duration_seconds_bucket{le=\"+Inf\"}", 1.0),
        ("prescient_last_cycle_success", 1.0),
        // 3 by the cycle; execute-signals then skips the regenerated
        // signals: their positions are open.
        ("prescient_trades_executed_total", 3.0),
        // 3 by the cycle, 3 by generate-signals.
        ("prescient_signals_generated_total", 6.0),
        ("prescient_gamma_requests_total", 0.0),
        (
            "prescient_store_write_failures_total{store=\"postgresql\"}",
            0.0,
        ),
        ("prescient_store_write_failures_total{store=\"json\"}", 0.0),
        ("prescient_fallback_reads_total", 0.0),
        ("prescient_outbox_depth", 0.0),
        ("prescient_shadow_mismatches_total", 0.0),
        (
            "prescient_migration_phase_info{phase=\"0\",store=\"json\"}",
            1.0,
        ),
        (
            "prescient_step_actions_total{step=\"generate_signals\",outcome=\"success\"}",
            1.0,
        ),
        (
            "prescient_step_actions_total{step=\"execute\",outcome=\"success\"}",
            1.0,
        ),
        (
            "prescient_http_requests_total{method=\"POST\",route=\"/trading/run-full-cycle\",status=\"200\"}",
            1.0,
        ),
        (
            "prescient_http_requests_total{method=\"GET\",route=\"/events/{id}\",status=\"200\"}",
            2.0,
        ),
        (
            "prescient_http_requests_total{method=\"GET\",route=\"/events/{id}\",status=\"404\"}",
            1.0,
        ),
        (
            "prescient_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}",
            1.0,
        ),
        (
            "prescient_http_requests_total{method=\"other\",route=\"/trading/status\",status=\"405\"}",
            1.0,
        ),
        (
            "prescient_http_requests_total{method=\"DELETE\",route=\"/trading/status\",status=\"405\"}",
            1.0,
        ),
        (
            "prescient_http_requests_total{method=\"POST\",route=\"/events/filter-events\",status=\"400\"}",
            1.0,
        ),
        // The scrape before this one.
        (
            "prescient_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}",
            1.0,
        ),
    ] {
        assert_eq!(m.get(series), Some(&value), "{series} in {m:#?}");
    }
    let duration = m["prescient_cycle_duration_seconds_sum"];
    assert!(duration > 0.0 && duration < 300.0, "{duration}");
    // No raw path and no odd method ever becomes a label.
    for key in m
        .keys()
        .filter(|k| k.starts_with("prescient_http_requests_total"))
    {
        assert!(
            !key.contains("90001") && !key.contains("no-such") && !key.contains("BREW"),
            "{key}"
        );
    }
    s.stop().await;
}

/// `?portfolio=` names the live portfolio a read is about: its own books,
/// signals and strategy; an unknown one is 404 naming the live ones, another
/// parameter 400.
#[tokio::test(flavor = "multi_thread")]
async fn reads_name_their_portfolio() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut settings = settings(data.path(), state.path(), &[]);
    settings.portfolio_configs = vec![orchestrator::settings::portfolios::PortfolioConfig {
        id: "band".into(),
        strategy: "favourite_band".into(),
        amount: Some(rust_decimal::Decimal::from(40)),
        ..Default::default()
    }];
    let s = Server::start(settings, StoreChoice::Json, None, example_source()).await;
    assert_eq!(s.post(CYCLE, None).await.0, 200);

    let (code, p) = s.get("/paper-trading/portfolio?portfolio=band").await;
    assert_eq!((code, &p["portfolio_id"]), (200, &json!("band")), "{p}");
    let (_, default) = s.get("/paper-trading/portfolio").await;
    assert_eq!(default["portfolio_id"], "default");

    let (code, signals) = s.get("/strategy/current-signals?portfolio=band").await;
    assert_eq!(code, 200, "{signals}");
    let band_signals = signals["signals"].as_array().unwrap();
    assert!(!band_signals.is_empty(), "{signals}");
    assert!(
        band_signals
            .iter()
            .all(|x| x["strategy"] == "favourite_band"),
        "{signals}"
    );
    let (code, status) = s.get("/strategy/status?portfolio=band").await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["portfolio"], "band");
    assert_eq!(status["strategy"], "favourite_band");
    assert_eq!(status["amount"], json!(40));
    assert_eq!(status["threshold"], Value::Null);
    assert_eq!(status["signals_count"], json!(band_signals.len()));
    let (_, status) = s.get("/strategy/status").await;
    assert_eq!(
        (&status["strategy"], &status["threshold"]),
        (&json!("most_likely"), &json!(0.5))
    );

    let (code, body) = s.get("/strategy/current-signals?portfolio=nope").await;
    assert_eq!(code, 404, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("band"), "{body}");
    let (code, _) = s.get("/strategy/status?limit=3").await;
    assert_eq!(code, 400);
    s.stop().await;
}

/// `prescient migrate phase status --no-gates --json` over the same
/// directories and database as a running server.
fn phase_status_json(
    data: &std::path::Path,
    state: &std::path::Path,
    env: &[(&str, &str)],
) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_prescient"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("PRESCIENT_DATA_DIR", data)
        .env("PRESCIENT_STATE_DIR", state)
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .current_dir(state)
        .args(["migrate", "phase", "status", "--no-gates", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "phase status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `/trading/status` and `phase status` read while nothing moves: the
/// cycle's dual writes pass through the outbox behind it (write-behind), so
/// the pair is taken again until the server's status is the same before and
/// after the command's.
async fn settled(
    s: &Server,
    data: &std::path::Path,
    state: &std::path::Path,
    env: &[(&str, &str)],
) -> (Value, Value) {
    let until = Instant::now() + Duration::from_secs(30);
    let (code, mut before) = s.get("/trading/status").await;
    assert_eq!(code, 200, "{before}");
    loop {
        let cli = phase_status_json(data, state, env);
        let (_, after) = s.get("/trading/status").await;
        let moved = cli
            .as_object()
            .unwrap()
            .keys()
            .any(|k| before[k] != after[k]);
        if !moved {
            return (after, cli);
        }
        assert!(
            Instant::now() < until,
            "the status never settled: {after:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        before = after;
    }
}

/// The migration part of `/trading/status` is `migrate phase status`'s
/// report, field for field: the same type, the same values on the same data.
fn assert_same_migration_part(api: &Value, cli: &Value) {
    let cli = cli.as_object().unwrap();
    let keys: Vec<&str> = cli.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "phase",
            "overrides",
            "outbox",
            "dead_letters",
            "postgres_current",
            "currency",
            "shadow_mismatches",
            "last_verify",
            "todo",
            "next",
            "gates",
            "transitions",
        ],
        "phase status prints the migration part only"
    );
    for (key, value) in cli {
        assert_eq!(
            &api[key], value,
            "{key} differs: API {api:#}\nCLI {value:#}"
        );
    }
    assert!(
        api["database"].is_object() && api["cycle"].is_object(),
        "{api}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_migration_part_phase_status_prints() {
    // Phase 1 over a live database never backfilled: portfolio and trades
    // dual-written, PostgreSQL behind JSON on both after a cycle.
    let db = TestDb::create().await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    phase_file(state.path(), "1");
    let env = [("DATABASE_URL", db.url())];
    let s = Server::start(
        settings(data.path(), state.path(), &env),
        StoreChoice::Phase,
        None,
        example_source(),
    )
    .await;
    let (code, body) = s.post(CYCLE, None).await;
    assert_eq!(code, 200, "{body}");
    let (api, cli) = settled(&s, data.path(), state.path(), &env).await;
    assert_eq!(cli["phase"]["number"], "1", "{cli:#}");
    assert_eq!(cli["phase"]["routes"]["trades"]["route"], "DW", "{cli:#}");
    assert_eq!(cli["phase"]["routes"]["markets"]["route"], "J", "{cli:#}");
    assert_eq!(
        cli["postgres_current"],
        json!({ "portfolio": "behind", "trades": "behind" }),
        "{cli:#}"
    );
    assert!(
        cli["todo"][0]
            .as_str()
            .unwrap()
            .contains("behind JSON for portfolio, trades"),
        "{cli:#}"
    );
    assert_eq!(cli["next"], "2 (history)", "{cli:#}");
    assert_same_migration_part(&api, &cli);
    s.stop().await;

    // Phase 4 with PostgreSQL down: every data set unknown, the cycle's
    // PostgreSQL writes queued in the outbox, in both.
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    phase_file(state.path(), "4");
    let s = Server::start(
        settings(data.path(), state.path(), DOWN),
        StoreChoice::Phase,
        None,
        example_source(),
    )
    .await;
    let (code, body) = s.post(CYCLE, None).await;
    assert_eq!(code, 200, "{body}");
    let (api, cli) = settled(&s, data.path(), state.path(), DOWN).await;
    assert!(cli["outbox"]["depth"].as_u64().unwrap() > 0, "{cli:#}");
    assert_eq!(
        cli["postgres_current"]["markets"], "unknown (PostgreSQL does not answer)",
        "{cli:#}"
    );
    assert_same_migration_part(&api, &cli);
    s.stop().await;
}
