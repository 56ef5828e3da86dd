//! The goals table: one row per goal of the issues, from the results files
//! of one run. A goal is judged on a ratio of two figures of the same run.

use super::results::Results;
use std::collections::BTreeMap;
use std::fmt::Write;

struct Row {
    area: &'static str,
    measure: String,
    size: String,
    value: String,
    goal: String,
    ratio: Option<String>,
    meets: Option<bool>,
}

impl Row {
    fn info(area: &'static str, measure: impl Into<String>, size: String, value: String) -> Row {
        Row {
            area,
            measure: measure.into(),
            size,
            value,
            goal: "—".into(),
            ratio: None,
            meets: None,
        }
    }
}

const MS: f64 = 1e-3;

/// Render the table (Markdown) from the results that exist.
pub fn render(all: &BTreeMap<&str, Results>) -> String {
    let mut rows = Vec::new();
    let missing: Vec<&str> = [
        "json_store",
        "crawl",
        "pg_vs_json",
        "migration",
        "cycle_memory",
        "backtest",
    ]
    .into_iter()
    .filter(|b| !all.contains_key(b))
    .collect();
    if let Some(r) = all.get("json_store") {
        json_store(r, &mut rows);
    }
    if let Some(r) = all.get("crawl") {
        crawl(r, &mut rows);
    }
    if let Some(r) = all.get("pg_vs_json") {
        pg_vs_json(r, &mut rows);
        market_history(r, &mut rows);
    }
    if let Some(r) = all.get("migration") {
        migration(r, &mut rows);
    }
    if let Some(r) = all.get("cycle_memory") {
        cycle_memory(r, &mut rows);
    }
    if let Some(r) = all.get("backtest") {
        backtest(r, &mut rows);
    }
    let mut out = String::new();
    out.push_str("| area | measurement | size | measured | goal | ratio | meets goal |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.area,
            r.measure,
            r.size,
            r.value,
            r.goal,
            r.ratio.as_deref().unwrap_or("—"),
            match r.meets {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            }
        );
    }
    let goals = rows.iter().filter(|r| r.meets.is_some()).count();
    let met = rows.iter().filter(|r| r.meets == Some(true)).count();
    let _ = writeln!(out, "\n{met} of {goals} goals met in this run.");
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "No results from: {} (not run, or failed).",
            missing.join(", ")
        );
    }
    out
}

/// Sizes that have a `<prefix>/<size>` key, ascending.
fn sizes(r: &Results, prefix: &str) -> Vec<u64> {
    let mut v: Vec<u64> = r
        .values
        .keys()
        .filter_map(|k| k.strip_prefix(prefix)?.strip_prefix('/')?.parse().ok())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn time(seconds: f64) -> String {
    match seconds {
        s if s < 1e-3 => format!("{:.1} µs", s * 1e6),
        s if s < 1.0 => format!("{:.2} ms", s * 1e3),
        s => format!("{s:.2} s"),
    }
}

fn rate(per_second: f64) -> String {
    format!("{per_second:.0} rows/s")
}

fn json_store(r: &Results, rows: &mut Vec<Row>) {
    const AREA: &str = "JSON store";
    let sizes = sizes(r, "append_trade");
    for &n in &sizes {
        for (key, what) in [
            ("append_trade", "append one trade to paper_trades.json"),
            ("load_portfolio", "load portfolio (one position per trade)"),
            ("load_trades", "load full trade history"),
        ] {
            if let Some(v) = r.get(&format!("{key}/{n}")) {
                rows.push(Row::info(AREA, what, count(n), time(v)));
            }
        }
    }
    let (Some(&small), Some(&large)) = (sizes.first(), sizes.last()) else {
        return;
    };
    if let (Some(a), Some(b)) = (
        r.get(&format!("append_trade/{small}")),
        r.get(&format!("append_trade/{large}")),
    ) && large > small
    {
        let ratio = b / a;
        rows.push(Row {
            area: AREA,
            measure: format!("append at {} ÷ append at {}", count(large), count(small)),
            size: format!("{} vs {}", count(large), count(small)),
            value: format!("{} vs {}", time(b), time(a)),
            goal: "≤ 2×".into(),
            ratio: Some(format!("{ratio:.2}×")),
            meets: Some(ratio <= 2.0),
        });
    }
}

fn crawl(r: &Results, rows: &mut Vec<Row>) {
    const AREA: &str = "Gamma crawl";
    let size = match (r.get("events"), r.get("markets")) {
        (Some(e), Some(m)) => format!("{} events / {} markets", count(e as u64), count(m as u64)),
        _ => "?".into(),
    };
    if let (Some(ratio), Some(achieved), Some(quota)) = (
        r.get("achieved_per_quota"),
        r.get("requests_per_second"),
        r.get("quota_per_second"),
    ) {
        rows.push(Row {
            area: AREA,
            measure: "achieved requests/s ÷ quota rate".into(),
            size: size.clone(),
            value: format!("{achieved:.2} req/s of {quota:.2}"),
            goal: "≥ 0.9".into(),
            ratio: Some(format!("{ratio:.3}")),
            meets: Some(ratio >= 0.9),
        });
    }
    if let Some(w) = r.get("wall_seconds") {
        let requests = r
            .get("requests")
            .map_or(String::new(), |q| format!(", {q:.0} requests"));
        rows.push(Row::info(
            AREA,
            "crawl wall time",
            size.clone(),
            format!("{}{requests}", time(w)),
        ));
    }
    if let (Some(peak), Some(growth)) = (r.get("peak_rss_mib"), r.get("peak_growth_mib")) {
        rows.push(Row::info(
            AREA,
            "peak memory (VmHWM; growth during the crawl)",
            size,
            format!("{peak:.0} MiB ({growth:+.0} MiB)"),
        ));
    }
}

fn pg_vs_json(r: &Results, rows: &mut Vec<Row>) {
    const AREA: &str = "PostgreSQL vs JSON";
    let sizes = sizes(r, "pg_full_trade_history");
    for &n in &sizes {
        // (results key, what, the ratio JSON ÷ PG it must reach, p99 key)
        for (query, what, at_least, p99) in [
            (
                "trades_page_50",
                "trades page (newest 50 + count)",
                10.0,
                true,
            ),
            (
                "trades_by_market",
                "trades by market (newest 50 + count)",
                10.0,
                true,
            ),
            (
                "performance_summary_100",
                "performance summary (100 open)",
                10.0,
                false,
            ),
            (
                "performance_summary_10000",
                "performance summary (10,000 open)",
                10.0,
                false,
            ),
            ("load_portfolio_100", "portfolio (100 open)", 1.0, false),
            (
                "load_portfolio_10000",
                "portfolio (10,000 open)",
                5.0,
                false,
            ),
            ("full_trade_history", "full trade history", 1.0, false),
        ] {
            let (Some(json), Some(pg)) = (
                r.get(&format!("json_{query}/{n}")),
                r.get(&format!("pg_{query}/{n}")),
            ) else {
                continue;
            };
            let ratio = json / pg;
            let p99 = if p99 {
                r.get(&format!("pg_{query}_p99/{n}"))
            } else {
                None
            };
            let (goal, meets) = match p99 {
                Some(p99) => (
                    format!(
                        "PG ≥ {at_least}× faster, PG p99 < 10 ms (p99 {})",
                        time(p99)
                    ),
                    Some(ratio >= at_least && p99 < 10.0 * MS),
                ),
                None => (format!("PG ≥ {at_least}× faster"), Some(ratio >= at_least)),
            };
            rows.push(Row {
                area: AREA,
                measure: format!("{what}: JSON ÷ PG time"),
                size: format!("{} trades", count(n)),
                value: format!("JSON {} / PG {}", time(json), time(pg)),
                goal,
                ratio: Some(format!("{ratio:.1}×")),
                meets,
            });
            if let Some(cold) = r.get(&format!("pg_{query}_cold/{n}")) {
                rows.push(Row {
                    ratio: Some(format!("{:.1}×", json / cold)),
                    ..Row::info(
                        AREA,
                        format!("{what}, first read after a write: JSON ÷ PG time"),
                        format!("{} trades", count(n)),
                        format!("JSON {} / PG {}", time(json), time(cold)),
                    )
                });
            }
        }
    }
    for n in sizes {
        if let (Some(bulk), Some(copy)) = (
            r.get(&format!("bulk_insert_rows_per_s/{n}")),
            r.get(&format!("copy_rows_per_s/{n}")),
        ) {
            rows.push(Row {
                ratio: Some(format!("{:.2}", bulk / copy)),
                ..Row::info(
                    AREA,
                    "bulk insert ÷ COPY rows/s",
                    format!("{} trades", count(n)),
                    format!("bulk {} / COPY {}", rate(bulk), rate(copy)),
                )
            });
        }
    }
}

/// One market's price history out of N market snapshots (issue #12).
fn market_history(r: &Results, rows: &mut Vec<Row>) {
    for n in sizes(r, "pg_market_history") {
        let (Some(median), Some(p99)) = (
            r.get(&format!("pg_market_history/{n}")),
            r.get(&format!("pg_market_history_p99/{n}")),
        ) else {
            continue;
        };
        let points = r.get(&format!("market_history_points/{n}")).unwrap_or(0.0);
        rows.push(Row {
            area: "PostgreSQL vs JSON",
            measure: format!("one market's price history ({points:.0} snapshots): PG p99"),
            size: format!("{} market snapshots", count(n)),
            value: format!("median {} / p99 {}", time(median), time(p99)),
            goal: "p99 < 10 ms".into(),
            ratio: None,
            meets: Some(p99 < 10.0 * MS),
        });
    }
}

fn migration(r: &Results, rows: &mut Vec<Row>) {
    const AREA: &str = "Migration";
    let base = r.get("cycle_seconds/0");
    for phase in ["0", "4", "5.4", "6"] {
        let Some(t) = r.get(&format!("cycle_seconds/{phase}")) else {
            continue;
        };
        let ratio = base.map(|b| t / b);
        let (goal, meets) = match (phase, ratio) {
            ("4", Some(x)) => ("≤ 1.3× phase 0".to_owned(), Some(x <= 1.3)),
            ("6", Some(x)) => ("≤ 1.3× phase 0 (issue #12)".to_owned(), Some(x <= 1.3)),
            _ => ("—".to_owned(), None),
        };
        rows.push(Row {
            area: AREA,
            measure: format!("cycle wall time, phase {phase} ÷ phase 0 (median)"),
            size: "example snapshot".into(),
            value: time(t),
            goal,
            ratio: ratio.map(|x| format!("{x:.2}×")),
            meets,
        });
    }
    let n = r
        .get("backfill_trades")
        .map_or("?".into(), |n| format!("{} trades", count(n as u64)));
    if let (Some(b), Some(c)) = (r.get("backfill_rows_per_s"), r.get("copy_rows_per_s")) {
        let ratio = b / c;
        rows.push(Row {
            area: AREA,
            measure: "backfill rows/s ÷ psql COPY rows/s".into(),
            size: n.clone(),
            value: format!("backfill {} / COPY {}", rate(b), rate(c)),
            goal: "≥ 0.9".into(),
            ratio: Some(format!("{ratio:.2}")),
            meets: Some(ratio >= 0.9),
        });
    }
    if let (Some(v), Some(trades)) = (r.get("verify_seconds"), r.get("backfill_trades")) {
        let per_s = trades / v;
        rows.push(Row {
            area: AREA,
            measure: "verify (trades data set) rows/s".into(),
            size: n,
            value: format!("{} ({})", rate(per_s), time(v)),
            goal: "≥ 300000 rows/s".into(),
            ratio: None,
            meets: Some(per_s >= 300_000.0),
        });
    }
}

/// The original Python system's figures on the same generated snapshots
/// (issue #13), which the goals are fractions of: peak RSS of one cycle in
/// MiB at 1,000 and 5,000 events × 10 markets, and ten cycles in seconds.
const PYTHON_RSS_MIB: [(u64, f64); 2] = [(1000, 285.0), (5000, 1061.0)];
const PYTHON_TEN_CYCLES_S: f64 = 63.4;

fn cycle_memory(r: &Results, rows: &mut Vec<Row>) {
    const AREA: &str = "Cycle (whole process)";
    for (events, python) in PYTHON_RSS_MIB {
        let Some(rss) = r.get(&format!("peak_rss_mib/{events}")) else {
            continue;
        };
        let ratio = rss / python;
        rows.push(Row {
            area: AREA,
            measure: "peak RSS of one `prescient cycle` ÷ the original's".into(),
            size: format!("{} events × 10 markets", count(events)),
            value: format!("{rss:.0} MiB (Python {python:.0} MiB)"),
            goal: "≤ 0.25".into(),
            ratio: Some(format!("{ratio:.2}")),
            meets: Some(ratio <= 0.25),
        });
    }
    if let (Some(small), Some(large)) = (r.get("peak_rss_mib/1000"), r.get("peak_rss_mib/5000")) {
        let ratio = large / small;
        rows.push(Row {
            area: AREA,
            measure: "peak RSS at 5,000 events ÷ at 1,000 (linear: ≤ 5)".into(),
            size: "×10 markets".into(),
            value: format!("{large:.0} / {small:.0} MiB"),
            goal: "≤ 5".into(),
            ratio: Some(format!("{ratio:.2}")),
            meets: Some(ratio <= 5.0),
        });
    }
    if let Some(total) = r.get("ten_cycles_s") {
        let speedup = PYTHON_TEN_CYCLES_S / total;
        rows.push(Row {
            area: AREA,
            measure: "ten cycles as processes: the original's time ÷ ours".into(),
            size: "1,000 events × 10 markets".into(),
            value: format!("{} (Python {PYTHON_TEN_CYCLES_S} s)", time(total)),
            goal: "≥ 20×".into(),
            ratio: Some(format!("{speedup:.1}×")),
            meets: Some(speedup >= 20.0),
        });
    }
    if let (Some(first), Some(tenth)) = (r.get("cycle_first_s"), r.get("cycle_tenth_s")) {
        let ratio = tenth / first;
        rows.push(Row {
            area: AREA,
            measure: "10th cycle ÷ 1st".into(),
            size: "1,000 events × 10 markets".into(),
            value: format!("{} / {}", time(tenth), time(first)),
            goal: "≤ 1.2×".into(),
            ratio: Some(format!("{ratio:.2}×")),
            meets: Some(ratio <= 1.2),
        });
    }
}

/// Issue #16's goal: a year of hourly points for 1,000 markets.
const BACKTEST_GOAL_ROWS: f64 = 8_760_000.0;
const BACKTEST_GOAL_SECONDS: f64 = 60.0;

fn backtest(r: &Results, rows: &mut Vec<Row>) {
    const AREA: &str = "Backtest (--source pg)";
    let Some(n) = r.get("rows") else {
        return;
    };
    let size = match (r.get("markets"), r.get("hours")) {
        (Some(m), Some(h)) => format!(
            "{} markets × {} h = {} rows",
            count(m as u64),
            count(h as u64),
            count(n as u64)
        ),
        _ => format!("{} rows", count(n as u64)),
    };
    for (key, what) in [
        (
            "generate_rows_per_s",
            "generate the history (INSERT … generate_series)",
        ),
        (
            "stream_rows_per_s",
            "read the history (PgStore::price_history)",
        ),
        (
            "moments_rows_per_s",
            "replay the moments (PgMoments, sources built)",
        ),
    ] {
        if let Some(v) = r.get(key) {
            rows.push(Row::info(AREA, what, size.clone(), rate(v)));
        }
    }
    if let Some(peak) = r.get("moments_peak_rss_mib") {
        rows.push(Row::info(
            AREA,
            "peak RSS after the replay (streamed: flat in the hours)",
            size.clone(),
            format!("{peak:.0} MiB"),
        ));
    }
    let strategies = r.get("strategies").unwrap_or(4.0);
    let measure = format!(
        "backtest of {strategies:.0} strategies: time at 8.76M rows ÷ 60 s (linear from the rows/s measured)"
    );
    match r.get("backtest_rows_per_s") {
        Some(per_second) => {
            let at_goal = BACKTEST_GOAL_ROWS / per_second;
            let ratio = at_goal / BACKTEST_GOAL_SECONDS;
            rows.push(Row {
                area: AREA,
                measure,
                size,
                value: format!("{} ({})", time(at_goal), rate(per_second)),
                goal: "8.76M rows × 4 strategies ≤ 60 s".into(),
                ratio: Some(format!("{ratio:.2}×")),
                meets: Some(ratio <= 1.0 && strategies >= 4.0),
            });
        }
        None => rows.push(Row {
            goal: "8.76M rows × 4 strategies ≤ 60 s".into(),
            ..Row::info(
                AREA,
                format!("{measure}: the engine was not built into the bench"),
                size,
                "not measured".into(),
            )
        }),
    }
}
