//! 100 cycles in phase 4 against a real PostgreSQL that goes away and comes
//! back (a proxy in front of it cuts every connection; 25 of the cycles run
//! while it is away): every cycle succeeds,
//! and once the outbox is replayed JSON and PostgreSQL verify clean, with no
//! trade lost or doubled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::proxy::{Proxy, upstream_of};
use common::*;
use domain::DataSet;
use domain::ports::Stores;
use orchestrator::app::{App, StoreChoice};
use orchestrator::phase_state::{PhaseFile, PhaseRecord};
use std::sync::Arc;
use storage_pg::testing::TestDb;

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_phase_4_cycles_while_postgres_comes_and_goes() {
    let db = TestDb::create().await.unwrap();
    let proxy = Proxy::start(upstream_of(db.url())).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut record = PhaseRecord::initial(chrono::Utc::now());
    record.phase = "4".into();
    PhaseFile::in_dir(&state).save(&record).unwrap();

    let mut s = settings();
    s.data_dir = dir.path().join("data");
    s.state_dir_setting = Some(state);
    s.event_max_days_until_end = 1000;
    s.one_position_per_market = false;
    // 5000 buys 50 trades of 100: three a cycle until the cash runs out
    // (cycle 17), then every signal is skipped. It keeps the portfolio small
    // enough for 100 cycles to stay quick while trades cross outages.
    s.initial_balance = rust_decimal::Decimal::from(5_000);
    s.shadow_read_every = 0;
    s.pg_retry_after_ms = 1000;
    s.database
        .insert("DATABASE_URL".into(), proxy.url_for(db.url()));
    s.database
        .insert("PRESCIENT_PG_CONNECT_TIMEOUT_MS".into(), "300".into());
    let app = App::open(s.clone(), StoreChoice::Phase).await.unwrap();
    let source = polymarket_client::SnapshotSource::open(example_snapshot()).unwrap();
    let start = at("2026-12-01T00:00:00Z");

    let mut down_cycles = 0;
    for n in 0..100i64 {
        let down = (10..20).contains(&n) || (50..55).contains(&n) || n % 9 == 4;
        proxy.set_up(!down);
        down_cycles += i32::from(down);
        orchestrator::run_cycle(
            &app.stores,
            &source,
            &params(&s, start + chrono::Duration::minutes(n)),
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cycle {n} (postgres {}) failed: {e}",
                if down { "down" } else { "up" }
            )
        });
    }
    assert!(down_cycles >= 20);
    app.flush().await;
    proxy.set_up(true);
    let outbox = app.outbox.clone().unwrap();
    let pg = Stores::transactional(Arc::new(db.store()));
    let report = outbox.replay(&pg).await.unwrap();
    assert_eq!(report.remaining, 0, "{report:?}");

    let json = json_stores_read_only(&s.data_dir);
    let id = domain::PortfolioId::default();
    let verify = orchestrator::ops::verify::verify(&json, &pg, &DataSet::ALL)
        .await
        .unwrap();
    assert!(verify.is_clean(), "{verify}");
    let trades = pg.trades.load_trades(&id).await.unwrap();
    assert_eq!(
        trades.len(),
        50,
        "every trade the cash allowed, none lost or doubled"
    );
    let mut ids: Vec<_> = trades.iter().map(|t| t.trade_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50);
    let p = pg.portfolio.load_portfolio(&id).await.unwrap().unwrap();
    assert_eq!(p.balance, domain::Usd::ZERO);
    p.check_invariant().unwrap();
}

fn json_stores_read_only(dir: &std::path::Path) -> Stores {
    Stores::single(Arc::new(storage_json::JsonStore::open_read_only(
        dir,
        Default::default(),
    )))
}
