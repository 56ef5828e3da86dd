//! `cargo xtask verify` catches what differs, table by table, and `--repair`
//! mends it; `backup` → `restore` → verify round trips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::DataSet;
use domain::ports::Stores;
use std::sync::Arc;

/// One table's injection: a row deleted (missing), a row copied under a new
/// key (extra), a field changed (differing), and what verify must name.
struct Case {
    table: &'static str,
    report_table: &'static str,
    delete: &'static str,
    insert_extra: &'static str,
    change: &'static str,
    field: &'static str,
}

/// A copy of one row of `t` with `patch` applied (jsonb), under a fresh id.
macro_rules! copy_row {
    ($t:literal, $filter:literal, $patch:literal) => {
        concat!(
            "INSERT INTO ",
            $t,
            " SELECT (jsonb_populate_record(NULL::",
            $t,
            ", to_jsonb(x) || ",
            "jsonb_build_object('id', (SELECT max(id) + 1000 FROM ",
            $t,
            ")) || ",
            $patch,
            ")).* ",
            "FROM ",
            $t,
            " x WHERE ",
            $filter,
            " ORDER BY id LIMIT 1"
        )
    };
}

const CASES: &[Case] = &[
    Case {
        table: "trades",
        report_table: "trades",
        delete: "DELETE FROM trades WHERE id = (SELECT min(id) FROM trades WHERE trade_id NOT IN \
                 (SELECT trade_id FROM trading_signals WHERE trade_id IS NOT NULL))",
        insert_extra: copy_row!(
            "trades",
            "true",
            "jsonb_build_object('trade_id', 'trade_extra')"
        ),
        change: "UPDATE trades SET amount = amount + 1 WHERE id = (SELECT max(id) FROM trades \
                 WHERE trade_id <> 'trade_extra')",
        field: "amount",
    },
    Case {
        table: "portfolio_positions",
        report_table: "portfolio_positions",
        delete: "DELETE FROM portfolio_positions WHERE id = (SELECT min(id) FROM portfolio_positions)",
        insert_extra: copy_row!(
            "portfolio_positions",
            "true",
            "jsonb_build_object('trade_id', 'trade_extra', 'ordinal', 999)"
        ),
        change: "UPDATE portfolio_positions SET entry_price = 0.5 WHERE id = (SELECT max(id) FROM \
                 portfolio_positions WHERE trade_id <> 'trade_extra')",
        field: "entry_price",
    },
    Case {
        table: "portfolio_snapshots",
        report_table: "portfolio_snapshots",
        delete: "DELETE FROM portfolio_snapshots WHERE id = (SELECT min(id) FROM portfolio_snapshots)",
        insert_extra: copy_row!(
            "portfolio_snapshots",
            "true",
            "jsonb_build_object('timestamp', '2030-01-01T00:00:00+00:00')"
        ),
        change: "UPDATE portfolio_snapshots SET balance = balance + 1 WHERE id = (SELECT max(id) \
                 FROM portfolio_snapshots WHERE timestamp < '2030-01-01')",
        field: "balance",
    },
    Case {
        table: "portfolio_history",
        report_table: "portfolio_history",
        delete: "DELETE FROM portfolio_history WHERE id = (SELECT min(id) FROM portfolio_history)",
        insert_extra: copy_row!(
            "portfolio_history",
            "true",
            "jsonb_build_object('timestamp', '2030-01-01T00:00:00+00:00')"
        ),
        change: "UPDATE portfolio_history SET total_value = total_value + 1 WHERE id = (SELECT \
                 max(id) FROM portfolio_history WHERE timestamp < '2030-01-01')",
        field: "total_value",
    },
    Case {
        table: "signal_archives",
        report_table: "signal_archives",
        delete: "DELETE FROM signal_archives WHERE id = (SELECT min(id) FROM signal_archives)",
        insert_extra: copy_row!(
            "signal_archives",
            "true",
            "jsonb_build_object('archived_at', '2030-01-01T00:00:00+00:00', 'archive_month', '2030-01')"
        ),
        change: "UPDATE signal_archives SET archive_month = '1999-01' WHERE id = (SELECT max(id) \
                 FROM signal_archives WHERE archive_month <> '2030-01')",
        field: "month",
    },
    Case {
        table: "trading_signals",
        report_table: "trading_signals",
        delete: "DELETE FROM trading_signals WHERE id = (SELECT min(id) FROM trading_signals \
                 WHERE is_current AND trade_id IS NULL)",
        insert_extra: copy_row!(
            "trading_signals",
            "is_current",
            "jsonb_build_object('market_id', 'extra', 'trade_id', NULL, 'pending_trade_id', NULL, 'ordinal', 999)"
        ),
        change: "UPDATE trading_signals SET confidence = 0.0001 WHERE id = (SELECT max(id) FROM \
                 trading_signals WHERE is_current AND market_id <> 'extra')",
        field: "confidence",
    },
    Case {
        table: "markets",
        report_table: "markets",
        delete: "DELETE FROM markets WHERE id = (SELECT min(id) FROM markets)",
        insert_extra: copy_row!(
            "markets",
            "true",
            "jsonb_build_object('market_id', 'extra', 'ordinal', 999) || jsonb_build_object('market_data', \
             (SELECT market_data || '{\"id\": \"extra\"}' FROM markets ORDER BY id LIMIT 1))"
        ),
        change: "UPDATE markets SET market_data = jsonb_set(market_data, '{question}', '\"changed?\"') \
                 WHERE id = (SELECT max(id) FROM markets WHERE market_id <> 'extra')",
        field: "question",
    },
    Case {
        table: "events",
        report_table: "events (raw)",
        delete: "DELETE FROM events WHERE id = (SELECT min(id) FROM events WHERE NOT is_filtered)",
        insert_extra: copy_row!(
            "events",
            "NOT is_filtered",
            "jsonb_build_object('event_id', 'extra', 'ordinal', 999) || jsonb_build_object('event_data', \
             (SELECT event_data || '{\"id\": \"extra\"}' FROM events WHERE NOT is_filtered ORDER BY id LIMIT 1))"
        ),
        change: "UPDATE events SET event_data = jsonb_set(event_data, '{title}', '\"changed\"') \
                 WHERE id = (SELECT max(id) FROM events WHERE NOT is_filtered AND event_id <> 'extra')",
        field: "title",
    },
    Case {
        table: "market_snapshots",
        report_table: "market_snapshots",
        delete: "DELETE FROM market_snapshots WHERE id = (SELECT min(id) FROM market_snapshots)",
        insert_extra: copy_row!(
            "market_snapshots",
            "true",
            "jsonb_build_object('timestamp', '2030-01-01T00:00:00+00:00')"
        ),
        change: "UPDATE market_snapshots SET yes_price = 0.123 WHERE id = (SELECT max(id) FROM \
                 market_snapshots WHERE timestamp < '2030-01-01')",
        field: "yes_price",
    },
];

async fn dual_written_site() -> Site {
    let mut site = Site::new().await;
    site.cycle().await;
    site.force_to("4").await;
    site.cycle().await;
    site.cycle().await;
    site.ok(&["backfill"]).await;
    let out = site.xtask(&["verify"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    site
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_every_injected_difference_and_repair_mends_it() {
    let site = dual_written_site().await;
    for case in CASES {
        site.sql(case.delete).await;
        site.sql(case.insert_extra).await;
        site.sql(case.change).await;
        let out = site.xtask(&["verify", "--json"]).await;
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: mismatches exit 1",
            case.table
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let table = report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == case.report_table)
            .unwrap_or_else(|| panic!("no {} in the report", case.report_table));
        assert_eq!(
            table["missing"].as_array().unwrap().len(),
            1,
            "{}: {table}",
            case.table
        );
        assert_eq!(
            table["extra"].as_array().unwrap().len(),
            1,
            "{}: {table}",
            case.table
        );
        let differing = table["differing"].as_array().unwrap();
        assert_eq!(differing.len(), 1, "{}: {table}", case.table);
        assert!(
            differing[0]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == case.field
                    || (case.field == "question" || case.field == "title") && f == "raw"),
            "{}: {table}",
            case.table
        );

        let repaired = site.xtask(&["verify", "--repair"]).await;
        assert_eq!(
            repaired.status.code(),
            Some(0),
            "{}: repair then verify clean:\n{}",
            case.table,
            String::from_utf8_lossy(&repaired.stdout)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn portfolio_state_missing_and_changed_are_caught_and_repaired() {
    let site = dual_written_site().await;
    site.sql("UPDATE portfolio_state SET balance = balance + 5")
        .await;
    let out = site.xtask(&["verify", "--dataset", "portfolio"]).await;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("differs: default (balance"), "{text}");
    site.sql("DELETE FROM portfolio_positions; DELETE FROM portfolio_state")
        .await;
    let out = site.xtask(&["verify", "--dataset", "portfolio"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing in PostgreSQL: default"));
    site.ok(&["verify", "--repair", "--dataset", "portfolio"])
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_that_cannot_reach_the_database_exits_2() {
    let site = Site::new().await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(site.env())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/postgres")
        .env("PRESCIENT_PG_CONNECT_TIMEOUT_MS", "500")
        .arg("verify");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_restore_verify_round_trips_and_the_export_loads_as_json() {
    let mut site = Site::new().await;
    site.cycle().await;
    site.force_to("6").await;
    site.cycle().await;
    let backup = site.dir.path().join("backup");
    site.ok(&["backup", "--out", backup.to_str().unwrap()])
        .await;
    assert!(backup.join("data/trades/paper_trades.json").exists());

    // Restore into a second, empty database.
    let other = storage_pg::testing::TestDb::create().await.unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(site.env())
        .env("DATABASE_URL", other.url())
        .args(["restore", "--from", backup.to_str().unwrap()]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let live = Stores::transactional(Arc::new(site.db.store()));
    let restored = Stores::transactional(Arc::new(other.store()));
    let id = domain::PortfolioId::default();
    let report = orchestrator::ops::verify::verify(&live, &restored, &DataSet::ALL)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report}");

    // The export is the legacy layout: the JSON store loads it, equal to the database.
    let json = Stores::single(Arc::new(storage_json::JsonStore::open_read_only(
        backup.join("data"),
        Default::default(),
    )));
    let report = orchestrator::ops::verify::verify(&json, &live, &DataSet::ALL)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(!live.trades.load_trades(&id).await.unwrap().is_empty());

    // A restore into a database that is not empty is refused.
    let again = site
        .xtask(&["restore", "--from", backup.to_str().unwrap()])
        .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}
