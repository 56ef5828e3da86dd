//! What the PostgreSQL-vs-JSON and migration benches share: the generated
//! trades (the same rows on both sides), a JSON data directory holding them
//! (written directly, never through a million appends) and `COPY` through
//! psql, the ceiling a bulk insert or a backfill is measured against.
//!
//! Included with `#[path]` by `storage-pg`'s `pg_vs_json` and
//! `orchestrator`'s `migration` bench.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use domain::ports::TradeStore;
use domain::{Trade, TradeId};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use storage_json::{JsonStore, JsonStoreOptions};

/// `testkit::sample_trade` repeats its markets (3), sides (2) and prices (49)
/// with this period; generated trades cycle through it.
pub const PERIOD: u32 = 2 * 3 * 49;

/// Trades per market of a generated history: markets ≈ trades / 20, as a
/// portfolio that trades a market a few times over its life.
pub const TRADES_PER_MARKET: u32 = 20;

/// The market of trade `n`: `bench-market-{n / TRADES_PER_MARKET}`.
pub fn bench_market(n: u32) -> domain::MarketId {
    domain::MarketId::new(format!("bench-market-{:07}", n / TRADES_PER_MARKET))
}

/// Trade `n` of a generated history: sample `n mod PERIOD` under a unique id
/// (`trade-{n:07}`, as `sample_trade` names it), in [`bench_market`]`(n)`.
pub fn bench_trade(n: u32) -> Trade {
    let mut t = testkit::sample_trade(n % PERIOD);
    t.trade_id = TradeId::new(format!("trade-{n:07}"));
    t.market_id = bench_market(n);
    t
}

pub fn bench_trades(n: u32) -> Vec<Trade> {
    (0..n).map(bench_trade).collect()
}

/// `<data>/trades/paper_trades.json` holding `bench_trade(0..n)` exactly as
/// the JSON store writes them: the store writes one period, which is then
/// repeated under fresh ids.
pub async fn write_json_trades(data: &Path, n: u32) {
    let scratch = tempfile::tempdir().unwrap();
    let templates: Vec<serde_json::Value> = {
        let store = JsonStore::open(scratch.path(), JsonStoreOptions::default()).unwrap();
        for i in 0..PERIOD.min(n.max(1)) {
            store.append_trade(&bench_trade(i)).await.unwrap();
        }
        drop(store);
        let text =
            std::fs::read_to_string(scratch.path().join("trades/paper_trades.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    std::fs::create_dir_all(data.join("trades")).unwrap();
    let file = std::fs::File::create(data.join("trades/paper_trades.json")).unwrap();
    let mut out = BufWriter::new(file);
    out.write_all(b"[").unwrap();
    for i in 0..n {
        let mut record = templates[(i % PERIOD) as usize].clone();
        record["trade_id"] = serde_json::Value::from(format!("trade-{i:07}"));
        record["market_id"] = serde_json::Value::from(bench_market(i).to_string());
        let pretty = serde_json::to_string_pretty(&record).unwrap();
        out.write_all(if i == 0 { b"\n" } else { b",\n" }).unwrap();
        for (j, line) in pretty.lines().enumerate() {
            if j > 0 {
                out.write_all(b"\n").unwrap();
            }
            out.write_all(b"  ").unwrap();
            out.write_all(line.as_bytes()).unwrap();
        }
    }
    out.write_all(b"\n]\n").unwrap();
    out.flush().unwrap();
}

/// `trades` as `COPY … (FORMAT csv)` input: unquoted empty is NULL.
pub fn csv(trades: &[Trade]) -> String {
    let mut out = String::with_capacity(trades.len() * 400);
    for t in trades {
        csv_line(t, &mut out);
    }
    out
}

fn csv_line(t: &Trade, out: &mut String) {
    fn q(out: &mut String, s: &str) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    }
    let fields: [Option<String>; 19] = [
        Some(t.portfolio_id.to_string()),
        Some(t.trade_id.to_string()),
        Some(t.timestamp.to_rfc3339()),
        Some(t.market_id.to_string()),
        Some(t.market_question.clone()),
        Some(t.action.as_str().into()),
        t.outcome.clone(),
        Some(t.amount.value().to_string()),
        Some(t.entry_price.value().to_string()),
        Some(t.shares.value().to_string()),
        Some(t.confidence.to_string()),
        t.reason.clone(),
        Some(t.status.as_str().into()),
        t.event_id.as_ref().map(ToString::to_string),
        t.event_title.clone(),
        t.event_end_date.map(|d| d.to_rfc3339()),
        t.current_pnl.map(|u| u.value().to_string()),
        t.realized_pnl.map(|u| u.value().to_string()),
        Some(serde_json::Value::Object(t.extra.clone()).to_string()),
    ];
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(f) = f {
            q(out, &f);
        }
    }
    out.push('\n');
}

/// `\copy trades … FROM STDIN` through psql (on PATH): what an operator
/// would run, spawn and all.
pub fn copy_in(url: &str, csv: &str) {
    let mut child = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(
            "\\copy trades (portfolio_id, trade_id, timestamp, market_id, market_question, action, \
             outcome, amount, entry_price, shares, confidence, reason, status, event_id, \
             event_title, event_end_date, current_pnl, realized_pnl, extra) FROM STDIN WITH (FORMAT csv)",
        )
        .stdin(Stdio::piped())
        .spawn()
        .expect("psql on PATH");
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(csv.as_bytes()).unwrap();
    }
    assert!(child.wait().unwrap().success(), "COPY failed");
}
