//! Bad input never panics, never corrupts, never rounds: a corpus of hostile
//! inputs — Gamma records, legacy files, HTTP requests — each of which must
//! end in a clear error (or be skipped and counted) with every file of the
//! books byte for byte as it was. The test counts what it tried and what was
//! handled and prints both (`cargo test -p orchestrator --test hostile --
//! --nocapture`). Database values are in `storage-pg/tests/hostile_rows.rs`.
//!
//! Beside the corpus, the cycle-level promises: a torn `paper_trades.json`
//! is recovered by the next cycle with its cut bytes kept; a corrupt history
//! stops a cycle before it trades; a 0644 file (or a symlink) stays what it
//! was; a trade id the trade store already holds is not reused; a failure
//! after trading is reported as such and the next cycle completes it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod common;

use common::*;
use domain::ports::{HistoryStore, Stores};
use domain::{PortfolioHistoryEntry, PortfolioId, SignalArchive, StoreError};
use orchestrator::{CycleError, run_cycle};
use polymarket_client::SnapshotSource;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// What the corpus tried, and what it handled.
#[derive(Default)]
struct Tally {
    tried: usize,
    handled: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: impl Into<String>, ok: Result<(), String>) {
        self.tried += 1;
        match ok {
            Ok(()) => self.handled += 1,
            Err(why) => self.failures.push(format!("{}: {why}", what.into())),
        }
    }

    fn report(&self, kind: &str) {
        println!(
            "hostile {kind}: tried {}, handled {}",
            self.tried, self.handled
        );
        assert!(
            self.failures.is_empty(),
            "{} of {} {kind} not handled:\n{}",
            self.failures.len(),
            self.tried,
            self.failures.join("\n")
        );
    }
}

/// Run `f`, turning a panic into an error.
fn no_panic<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, String> {
    std::panic::catch_unwind(f).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic".into())
    })
}

fn base_market() -> Value {
    json!({
        "id": "540206",
        "question": "Will the Arizona Cardinals win Super Bowl 2026?",
        "outcomes": "[\"Yes\", \"No\"]",
        "outcomePrices": "[\"0.0065\", \"0.9935\"]",
        "liquidity": "1758359.76599",
        "volume": "23286094.862589",
        "volume24hr": 10374216.164318996,
        "active": true, "closed": false, "acceptingOrders": true,
        "endDate": "2026-02-08T12:00:00Z"
    })
}

fn with(mut base: Value, field: &str, value: Value) -> Value {
    base[field] = value;
    base
}

/// Market fields and the hostile values each is tried with. `true`: the
/// record must be refused (skipped and counted); `false`: it may decode, and
/// then every value in it must be storable.
fn hostile_market_fields() -> Vec<(&'static str, Value, bool)> {
    let long = "9".repeat(256);
    vec![
        ("endDate", json!("2026-02-08T12:00:00€"), false),
        ("endDate", json!("2026-02-08T12:00:0😀"), false),
        ("endDate", json!("€"), false),
        ("endDate", json!("+99999-01-01T00:00:00"), false),
        ("endDate", json!("0000-01-01T00:00:00Z"), false),
        ("endDate", json!(12), false),
        ("endDate", json!(""), false),
        ("id", json!(long), true),
        ("id", json!(""), true),
        ("id", json!(" "), true),
        ("id", json!({"nested": 1}), true),
        ("id", json!(null), true),
        ("id", json!("a\u{0}b"), true),
        ("question", json!("nul \u{0} inside"), true),
        ("question", json!("€".repeat(10_000)), false),
        ("outcomes", json!("not json"), true),
        ("outcomes", json!("[[1]]"), true),
        ("outcomes", json!("[\"Yes\"]"), true),
        ("outcomes", json!(5), true),
        ("outcomes", json!("[\"Y\u{0}es\", \"No\"]"), true),
        ("outcomePrices", json!("[\"2\", \"-1\"]"), true),
        ("outcomePrices", json!("[\"NaN\", \"0\"]"), true),
        ("outcomePrices", json!("[\"1e400\", \"0\"]"), true),
        ("outcomePrices", json!("[\"€\", \"0\"]"), true),
        (
            "outcomePrices",
            json!("[\"0.12345678901234567890123456789\", \"0\"]"),
            true,
        ),
        ("outcomePrices", json!("[\"1e-30\", \"1\"]"), true),
        ("outcomePrices", json!("[0.5, 0.5, 0.5]"), true),
        ("liquidity", json!("5e28"), true),
        ("liquidity", json!("1e40"), true),
        ("liquidity", json!("-1e20"), true),
        ("liquidity", json!("10000000000000"), true),
        ("liquidity", json!("abc"), true),
        ("liquidity", json!(true), true),
        ("liquidity", json!([]), true),
        ("liquidity", json!("9999999999999.99"), false),
        ("volume", json!(1e300), true),
        ("volume", json!("1e-29"), true),
        ("volume24hr", json!(-5e28), true),
        ("event_id", json!("e".repeat(300)), true),
        ("clobRewards", json!([{"id": "\u{0}"}]), true),
        ("active", json!("yes"), false),
        ("closed", json!({"x": 1}), false),
    ]
}

#[test]
fn hostile_gamma_records_are_skipped_or_stored_never_a_panic() {
    use domain::Validate;
    use domain::gamma::{decode_event, decode_market};
    let mut tally = Tally::default();
    for (field, value, refused) in hostile_market_fields() {
        let record = with(base_market(), field, value.clone());
        let what = format!("market {field} = {value}");
        let outcome = no_panic(|| decode_market(&record)).and_then(|r| match (r, refused) {
            (Err(_), true) => Ok(()),
            (Ok(m), false) => m.validate().map_err(|e| format!("decoded unstorable: {e}")),
            (Ok(_), true) => Err("decoded, should be refused".into()),
            (Err(e), false) => Err(format!("refused: {e}")),
        });
        tally.check(what, outcome);
    }
    let events = [
        (json!({"id": "1", "title": "t\u{0}"}), true),
        (json!({"id": "1", "slug": "s".repeat(501)}), true),
        (json!({"id": "1", "liquidity": 5e28}), true),
        (json!({"id": "1", "volume": "1e40"}), true),
        (json!({"id": "1", "markets": "not an array"}), true),
        (
            json!({"id": "1", "markets": [with(base_market(), "question", json!("\u{0}"))]}),
            true,
        ),
        (json!({"title": "no id"}), true),
        (json!([1, 2, 3]), true),
        (json!("event"), true),
        (
            json!({"id": "1", "endDate": "2026-02-08T12:00:00€", "startDate": "😀"}),
            false,
        ),
        (
            json!({"id": "1", "markets": [with(base_market(), "id", json!(""))]}),
            false,
        ),
    ];
    for (event, refused) in events {
        let what = format!("event {event}");
        let outcome = no_panic(|| decode_event(&event)).and_then(|r| match (r, refused) {
            (Err(_), true) => Ok(()),
            (Ok(d), false) => d.event.validate().map_err(|e| e.to_string()),
            (Ok(_), true) => Err("decoded, should be refused".into()),
            (Err(e), false) => Err(format!("refused: {e}")),
        });
        tally.check(what, outcome);
    }
    tally.report("Gamma records");
}

#[tokio::test]
async fn a_cycle_over_hostile_gamma_records_skips_and_counts_them() {
    // A NUL anywhere in an event (its nested markets included) refuses the
    // whole event: its raw object is stored as it arrived.
    let (with_nul, markets): (Vec<Value>, Vec<Value>) = hostile_market_fields()
        .into_iter()
        .enumerate()
        .map(|(i, (field, value, _))| {
            let m = with(base_market(), "id", json!(format!("{}", 900_000 + i)));
            with(m, field, value)
        })
        .partition(|m| m.to_string().contains("\\u0000"));
    assert!(!with_nul.is_empty());
    let events = json!([
        {"id": "77", "title": "Hostile", "liquidity": 50000000, "volume": 90000000,
         "endDate": "2027-01-01T00:00:00Z", "active": true, "closed": false, "markets": markets},
        {"id": "76", "title": "Hostile with NUL", "markets": with_nul},
        {"id": "78", "title": "t\u{0}", "endDate": "2027-01-01T00:00:00€"},
        {"id": "79", "liquidity": 5e28, "volume": 5e28},
    ]);
    let snapshot = tempfile::tempdir().unwrap();
    std::fs::write(
        snapshot.path().join("events.json"),
        serde_json::to_vec(&events).unwrap(),
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut s = settings();
    s.event_max_days_until_end = 1000;
    let summary = cycle(data.path(), snapshot.path(), &s, at("2026-12-01T10:00:00Z")).await;
    let export = summary.export_events().unwrap();
    assert_eq!(export.events, 1, "the three bad events are skipped");
    assert!(export.skipped_records >= 3);
    // Whatever was stored loads back.
    let stores = json_stores(data.path());
    stores.markets.load_raw_events().await.unwrap();
    stores.markets.load_filtered_markets().await.unwrap();
    stores
        .signals
        .load_current_signals(&PortfolioId::default())
        .await
        .unwrap();
}

/// Every file of a data directory but the lock, by relative path.
fn books(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if !path.ends_with(".prescient.lock") {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// (file, what is found, what replaces it): damage that makes a record of a
/// legacy file invalid, each one a separate data directory.
fn hostile_file_edits() -> Vec<(&'static str, &'static str, String)> {
    let t = "trades/paper_trades.json";
    let p = "trades/portfolio.json";
    let h = "history/portfolio_history.json";
    let a = "history/signals_archive_2025-10.json";
    let long = "x".repeat(256);
    vec![
        (t, "\"entry_price\": 0.86", "\"entry_price\": 2".into()),
        (t, "\"entry_price\": 0.86", "\"entry_price\": -0.1".into()),
        (t, "\"entry_price\": 0.86", "\"entry_price\": \"abc\"".into()),
        (t, "\"entry_price\": 0.86", "\"entry_price\": 1e-30".into()),
        (t, "\"entry_price\": 0.86", "\"entry_price\": null".into()),
        (t, "\"amount\": 100", "\"amount\": -100".into()),
        (t, "\"amount\": 100", "\"amount\": 0".into()),
        (t, "\"amount\": 100", "\"amount\": 1e300".into()),
        (t, "\"amount\": 100", "\"amount\": 50000000000000".into()),
        (t, "\"amount\": 100", "\"amount\": 100, \"shares\": -5".into()),
        (t, "\"amount\": 100", "\"amount\": 100, \"shares\": 1e20".into()),
        (t, "\"action\": \"buy_yes\"", "\"action\": \"sell\"".into()),
        (t, "\"status\": \"open\"", "\"status\": \"maybe\"".into()),
        (t, "\"timestamp\": \"2025-10-20T17:02:45\"", "\"timestamp\": \"2025-10-20T17:02:45€\"".into()),
        (t, "\"timestamp\": \"2025-10-20T17:02:45\"", "\"timestamp\": \"+99999-10-20T17:02:45\"".into()),
        (t, "\"market_id\": \"634159\"", format!("\"market_id\": \"{long}\"")),
        (t, "\"market_id\": \"634159\"", "\"market_id\": \"63\\u00004159\"".into()),
        (t, "\"trade_id\": \"trade_20251020_170245_634159\"", "\"trade_id\": \"trade_20251020_170245_540206\"".into()),
        (t, "\"trade_id\": \"trade_20251020_170245_634159\"", "\"trade_id\": \"\"".into()),
        (t, "\"confidence\": 0.36", "\"confidence\": 12".into()),
        (t, "\"current_pnl\": 0.0", "\"current_pnl\": 1e15".into()),
        (t, "\"source\": \"manual\"", "\"source\": \"man\\u0000ual\"".into()),
        (t, "[\n  {", "[\n  {\"trade_id\": 5},\n  {".into()),
        (t, "[\n  {", "[\n  7,\n  {".into()),
        (p, "\"balance\": 9800.0", "\"balance\": 1e300".into()),
        (p, "\"balance\": 9800.0", "\"balance\": 79228162514264337593543950335".into()),
        (p, "\"balance\": 9800.0", "\"balance\": 9999999999999.5".into()),
        (p, "\"balance\": 9800.0", "\"balance\": \"lots\"".into()),
        (p, "\"balance\": 9800.0", "\"balance\": -5".into()),
        (p, "\"entry_price\": 0.86", "\"entry_price\": 2".into()),
        (p, "\"amount\": 100", "\"amount\": 100, \"shares\": -1".into()),
        (p, "\"trade_id\": \"trade_20251020_170245_634159\"", "\"trade_id\": \"trade_20251020_170245_540206\"".into()),
        (p, "\"trade_count\": 2", "\"trade_count\": 1.5".into()),
        (p, "\"trade_count\": 2", "\"trade_count\": 99999999999".into()),
        (p, "\"trade_count\": 2", "\"trade_count\": -2".into()),
        (p, "\"created_at\": \"", "\"created_at\": \"€".into()),
        (p, "\"position_note\": \"kept\"", "\"position_note\": \"k\\u0000\"".into()),
        (p, "{\n  \"balance\"", "[\n  \"balance\"".into()),
        (h, "\"balance\": 9800.0", "\"balance\": 1e300".into()),
        (h, "\"open_positions\": 2", "\"open_positions\": -1".into()),
        (h, "\"open_positions\": 2", "\"open_positions\": 4294967296".into()),
        (h, "\"date\": \"2025-10-20\"", "\"date\": \"2025-13-45\"".into()),
        (h, "\"date\": \"2025-10-20\"", "\"date\": \"2025-10-20€\"".into()),
        (h, "\"timestamp\": \"2025-10-20T17:02:47.123456\"", "\"timestamp\": \"yesterday\"".into()),
        (h, "[\n  {", "[\n  {\"date\": \"2025-10-20\", \"timestamp\": \"2025-10-20T17:02:47.123456\", \"balance\": 1, \"total_invested\": 0, \"total_profit_loss\": 0, \"total_value\": 1, \"open_positions\": 0, \"trade_count\": 0},\n  {".into()),
        (h, "[\n  {", "[\n  \"entry\",\n  {".into()),
        (a, "\"archived_at\": \"", "\"archived_at\": \"€".into()),
        (a, "\"target_price\": 0.9999989889179475", "\"target_price\": 1.5".into()),
        (a, "\"signals_count\"", "\"signals\": 5, \"x\"".into()),
        ("system_metadata.json", "", "{\"last_event_export\": {\"value\": 5}}".into()),
        ("system_metadata.json", "", "{not json".into()),
        ("history/portfolio_snapshots.json", "", "[{\"timestamp\": \"2025-10-20T00:00:00Z\", \"balance\": \"x\"}]".into()),
        ("markets/market_snapshots.json", "", "[{\"market_id\": 5, \"timestamp\": \"2025-10-20T00:00:00Z\"}]".into()),
    ]
}

#[tokio::test]
async fn hostile_legacy_files_stop_the_cycle_with_the_file_named_and_nothing_changed() {
    let mut tally = Tally::default();
    let mut s = settings();
    s.event_max_days_until_end = 1000;
    for (file, find, replace) in hostile_file_edits() {
        let data = copy_tree(&python_era_data());
        let path = data.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let damaged = if find.is_empty() {
            replace.clone()
        } else {
            assert!(text.contains(find), "{file} holds {find:?}");
            text.replacen(find, &replace, 1)
        };
        std::fs::write(&path, &damaged).unwrap();
        let before = books(data.path());
        let what = format!("{file}: {find:?} -> {replace:?}");
        let dir = data.path().to_path_buf();
        let snapshot = example_snapshot();
        let s = s.clone();
        // A panic inside the cycle is caught by the task and counted.
        let run = tokio::spawn(async move {
            let stores = json_stores(&dir);
            let source = SnapshotSource::open(&snapshot).unwrap();
            run_cycle(&stores, &source, &params(&s, at("2025-10-25T10:00:00Z"))).await
        })
        .await;
        let name = Path::new(file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let outcome = match run {
            Err(e) => Err(format!("panicked: {e}")),
            Ok(Ok(_)) => Err("the cycle ran on it".into()),
            Ok(Err(e)) => {
                let line = e.to_string();
                let after = books(data.path());
                if !line.contains(&name) {
                    Err(format!("the error does not name {name}: {line}"))
                } else if matches!(e, CycleError::AfterTrading { .. }) {
                    Err(format!("failed after trading: {line}"))
                } else if after != before {
                    let changed: Vec<_> = after
                        .keys()
                        .filter(|k| before.get(*k) != after.get(*k))
                        .collect();
                    Err(format!("files changed: {changed:?} ({line})"))
                } else {
                    Ok(())
                }
            }
        };
        tally.check(what, outcome);
    }
    tally.report("legacy file records");
}

#[tokio::test]
async fn hostile_http_requests_are_a_400_never_a_500_or_a_panic() {
    use api_support::{Server, example_source};
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let settings = api_support::settings(data.path(), state.path(), &[]);
    let server = Server::start(
        settings,
        orchestrator::app::StoreChoice::Json,
        None,
        example_source(),
    )
    .await;
    let mut tally = Tally::default();
    let gets = [
        "/paper-trading/trades-history?limit=-1",
        "/paper-trading/trades-history?limit=99999999999999999999999",
        "/paper-trading/trades-history?offset=abc",
        "/paper-trading/trades-history?limit=%E2%82%AC",
        "/paper-trading/trades-history?nonsense=1",
        "/markets/current-filtered?limit=1e400",
        "/markets/current-filtered?offset=-5",
    ];
    for path in gets {
        let (status, body) = server.get(path).await;
        tally.check(
            format!("GET {path}"),
            if status == 400 && body["detail"].is_string() {
                Ok(())
            } else {
                Err(format!("{status} {body}"))
            },
        );
    }
    let posts = [
        "/trading/run-full-cycle?min_volume=1e400",
        "/trading/run-full-cycle?min_volume=NaN",
        "/trading/run-full-cycle?amount=-100",
        "/trading/run-full-cycle?amount=99999999999999999999999999999",
        "/trading/run-full-cycle?event_max_days_until_end=99999999999999999999",
        "/trading/run-full-cycle?min_market_conviction=%E2%82%AC",
        "/trading/run-full-cycle?min_market_conviction=1.5",
        "/trading/run-full-cycle?min_liquidity=-1",
        "/events/filter-events?min_liquidity=1",
        "/paper-trading/execute-signals?amount=1",
        "/trading/run-full-cycle?unknown=1",
    ];
    for path in posts {
        let (status, body) = server.post(path, None).await;
        tally.check(
            format!("POST {path}"),
            if status == 400 && body["detail"].is_string() {
                Ok(())
            } else {
                Err(format!("{status} {body}"))
            },
        );
    }
    // Ids from outside are looked up, not trusted: a 404.
    for path in [
        "/markets/%E2%82%AC/snapshots",
        "/events/%00",
        "/events/%F0%9F%98%80",
    ] {
        let (status, body) = server.get(path).await;
        tally.check(
            format!("GET {path}"),
            if status == 404 && body["detail"].is_string() {
                Ok(())
            } else {
                Err(format!("{status} {body}"))
            },
        );
    }
    // The server still answers after all of it.
    let (status, _) = server.get("/trading/status").await;
    tally.check(
        "GET /trading/status afterwards",
        if status == 200 {
            Ok(())
        } else {
            Err(status.to_string())
        },
    );
    server.stop().await;
    tally.report("HTTP requests");
}

/// Replace the closing bracket of an append-only file with the start of a
/// record, as a crash in the middle of an append leaves it.
fn tear(path: &Path, partial: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let body = text.trim_end().strip_suffix(']').unwrap().trim_end();
    let torn = format!("{body},\n  {partial}");
    std::fs::write(path, &torn).unwrap();
    torn.into_bytes()
}

fn example_settings() -> orchestrator::Settings {
    let mut s = settings();
    s.event_max_days_until_end = 1000;
    s
}

#[tokio::test]
async fn a_torn_trade_history_is_recovered_by_the_next_cycle_with_its_cut_bytes_kept() {
    let data = tempfile::tempdir().unwrap();
    let s = example_settings();
    cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T10:00:00Z"),
    )
    .await;
    let path = data.path().join("trades/paper_trades.json");
    let complete: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let partial = "{\n    \"trade_id\": \"trade_20261201_110000_5\",\n    \"timest";
    let torn = tear(&path, partial);

    let summary = cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T11:00:00Z"),
    )
    .await;
    assert_eq!(summary.execute().unwrap().skipped, 3);
    let now: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        now, complete,
        "every complete record kept, the torn one cut"
    );
    let kept: Vec<_> = std::fs::read_dir(data.path().join("trades"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("paper_trades.json.torn-")
        })
        .collect();
    let [kept] = &kept[..] else {
        panic!("one .torn- file beside it, got {kept:?}");
    };
    let cut = std::fs::read(kept.path()).unwrap();
    assert!(torn.ends_with(&cut), "the cut bytes are the torn tail");
    assert!(String::from_utf8_lossy(&cut).contains(partial));
}

#[tokio::test]
async fn a_corrupt_history_stops_the_cycle_before_it_trades() {
    let data = tempfile::tempdir().unwrap();
    let history = data.path().join("history/portfolio_history.json");
    std::fs::create_dir_all(history.parent().unwrap()).unwrap();
    let corrupt = "[\n  {\"date\": \"2026-11-30\", \"timestamp\": \"2026-11-30T10:00:00Z\", \"balance\": \"ten\"}\n]\n";
    std::fs::write(&history, corrupt).unwrap();
    let out = assert_cmd::Command::cargo_bin("prescient")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("RUST_LOG", "error")
        .current_dir(scratch_dir())
        .args(["cycle", "--event-max-days-until-end", "1000", "--source"])
        .arg(format!("snapshot:{}", example_snapshot().display()))
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("error: cycle failed: step check stores"),
        "{stderr}"
    );
    assert!(
        line.contains("portfolio_history.json")
            && line.contains("line 2")
            && line.contains("`balance`"),
        "file, line and field: {line}"
    );
    assert_eq!(
        line.matches("is not a number").count(),
        1,
        "one cause, once: {line}"
    );
    assert!(
        !data.path().join("trades/paper_trades.json").exists(),
        "nothing traded"
    );
    assert!(!data.path().join("trades/portfolio.json").exists());
    assert_eq!(std::fs::read_to_string(&history).unwrap(), corrupt);
}

#[cfg(unix)]
#[tokio::test]
async fn overwrites_keep_the_mode_and_write_through_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let s = example_settings();
    cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T10:00:00Z"),
    )
    .await;
    let d = data.path();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let portfolio = d.join("trades/portfolio.json");
    let signals = d.join("trades/current_signals.json");
    assert_eq!(
        mode(&portfolio) & 0o044,
        0o044,
        "a new file is readable like File::create's"
    );
    std::fs::set_permissions(&portfolio, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&signals, std::fs::Permissions::from_mode(0o640)).unwrap();
    // raw events live elsewhere, behind a symlink.
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("raw.json");
    std::fs::rename(d.join("events/raw_events_backup.json"), &target).unwrap();
    std::os::unix::fs::symlink(&target, d.join("events/raw_events_backup.json")).unwrap();
    let before = std::fs::read(&target).unwrap();

    cycle(d, &example_snapshot(), &s, at("2026-12-01T11:00:00Z")).await;
    assert_eq!(mode(&portfolio), 0o644, "644 stays 644");
    assert_eq!(mode(&signals), 0o640);
    let link = d.join("events/raw_events_backup.json");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read(&target).unwrap().len() >= before.len() / 2,
        "written through"
    );
    assert_eq!(
        std::fs::read(&link).unwrap(),
        std::fs::read(&target).unwrap()
    );
}

#[tokio::test]
async fn a_corrupt_derived_file_is_kept_aside_and_replaced() {
    let data = tempfile::tempdir().unwrap();
    let s = example_settings();
    cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T10:00:00Z"),
    )
    .await;
    let signals = data.path().join("trades/current_signals.json");
    std::fs::write(&signals, "[{\"torn").unwrap();
    cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T11:00:00Z"),
    )
    .await;
    read_json(&signals);
    let kept: Vec<_> = std::fs::read_dir(data.path().join("trades"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("current_signals.json.corrupt-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), b"[{\"torn");
}

#[tokio::test]
async fn an_id_the_trade_store_holds_is_not_reused() {
    let data = tempfile::tempdir().unwrap();
    let s = example_settings();
    cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T10:00:00Z"),
    )
    .await;
    // A restored older portfolio: the trades are there, the positions not.
    std::fs::remove_file(data.path().join("trades/portfolio.json")).unwrap();
    let summary = cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T10:00:00.5Z"),
    )
    .await;
    assert_eq!(summary.execute().unwrap().executed, 3);
    let trades = read_json(&data.path().join("trades/paper_trades.json"));
    let ids: Vec<&str> = trades
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trade_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        6,
        "the new trades are recorded beside the old: {ids:?}"
    );
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 6);
    assert!(ids[3..].iter().all(|id| id.ends_with("_2")), "{ids:?}");
    let portfolio = read_json(&data.path().join("trades/portfolio.json"));
    for p in portfolio["positions"].as_array().unwrap() {
        assert!(ids[3..].contains(&p["trade_id"].as_str().unwrap()));
    }
}

/// History whose appends fail (a full disk), loads answered by JSON.
struct FailingAppends(Stores);

#[async_trait::async_trait]
impl HistoryStore for FailingAppends {
    async fn append_history_entry(&self, _: &PortfolioHistoryEntry) -> Result<(), StoreError> {
        Err(StoreError::Io {
            context: "cannot append to history/portfolio_history.json".into(),
            source: std::io::Error::other("no space left on device"),
        })
    }
    async fn load_history(
        &self,
        p: &PortfolioId,
    ) -> Result<Vec<PortfolioHistoryEntry>, StoreError> {
        self.0.history.load_history(p).await
    }
    async fn history_summary(&self, p: &PortfolioId) -> Result<domain::HistorySummary, StoreError> {
        self.0.history.history_summary(p).await
    }
    async fn append_signal_archive(&self, a: &SignalArchive) -> Result<(), StoreError> {
        self.0.history.append_signal_archive(a).await
    }
    async fn load_signal_archives(
        &self,
        p: &PortfolioId,
        m: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        self.0.history.load_signal_archives(p, m).await
    }
}

#[tokio::test]
async fn a_failure_after_trading_says_so_and_the_next_cycle_completes_it() {
    let data = tempfile::tempdir().unwrap();
    let s = example_settings();
    let source = SnapshotSource::open(example_snapshot()).unwrap();
    let err = {
        let json = json_stores(data.path());
        let stores = Stores {
            history: Arc::new(FailingAppends(json.clone())),
            ..json
        };
        run_cycle(&stores, &source, &params(&s, at("2026-12-01T10:00:00Z")))
            .await
            .unwrap_err()
    };
    let CycleError::AfterTrading { trades, .. } = &err else {
        panic!("expected AfterTrading, got {err:?}");
    };
    assert_eq!(trades.len(), 3);
    let text = err.to_string();
    assert!(text.contains("after 3 trade(s) were recorded"), "{text}");
    assert!(text.contains("no space left on device"), "{text}");
    assert!(
        !data
            .path()
            .join("history/signals_archive_2026-12.json")
            .exists()
    );

    // The next cycle, on a clock that moves (each archive has its own instant).
    let ticks = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let mut p = params(&s, at("2026-12-01T11:00:00Z"));
    p.clock = Arc::new(move || {
        let n = ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        at("2026-12-01T11:00:00Z") + chrono::Duration::milliseconds(n)
    });
    run_cycle(&json_stores(data.path()), &source, &p)
        .await
        .unwrap();
    let archives = read_json(&data.path().join("history/signals_archive_2026-12.json"));
    assert_eq!(
        archives.as_array().unwrap().len(),
        2,
        "the missed archive, then this cycle's"
    );
    assert_eq!(archives[0]["signals"][0]["executed"], true);
    assert_eq!(array_len(&data.path().join("trades/paper_trades.json")), 3);
}
