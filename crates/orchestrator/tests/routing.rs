//! The routed store over a real JSON data directory and an in-memory
//! PostgreSQL stand-in that can be switched off: where each write lands in
//! each phase, the outbox while PostgreSQL is down, fallback and shadow reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::ports::Stores;
use domain::ports::VersionStore;
use domain::{DataSet, Overrides, Phase, PortfolioId};
use routing::journal::Journal as Outbox;
use routing::{RoutedStore, RoutingError};
use std::sync::Arc;
use testkit::memory::MemoryStore;

struct Rig {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    json: Stores,
    pg: Arc<MemoryStore>,
    outbox: Arc<Outbox>,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let json = json_stores(&data);
    Rig {
        outbox: Arc::new(Outbox::new(dir.path().join("state/outbox.jsonl"))),
        _dir: dir,
        data,
        json,
        pg: Arc::new(MemoryStore::new()),
    }
}

impl Rig {
    fn routed(&self, phase: &str, overrides: Overrides) -> RoutedStore {
        RoutedStore::new(
            phase.parse().unwrap(),
            overrides,
            Some(self.json.clone()),
            Some(Stores::single(self.pg.clone())),
            Some(self.outbox.clone()),
            1,
        )
        .unwrap()
    }
}

impl Rig {
    /// PostgreSQL level with JSON for every data set, as backfill and a
    /// clean verify leave it before a phase routes it there.
    async fn level(&self) {
        for d in DataSet::ALL {
            let v = self.json.versions.own_version(d).await.unwrap();
            self.pg.set_mirrored_version(d, Some(&v)).await.unwrap();
        }
    }

    fn current(&self, d: DataSet) -> bool {
        futures_current(&self.json, &self.pg, d)
    }
}

fn futures_current(json: &Stores, pg: &Arc<MemoryStore>, d: DataSet) -> bool {
    let rt = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        rt.block_on(routing::currency::is_current(
            json,
            &Stores::single(pg.clone()),
            d,
        ))
    })
    .unwrap()
}

fn id() -> PortfolioId {
    PortfolioId::default()
}

#[tokio::test(flavor = "multi_thread")]
async fn phase_1_writes_trades_and_portfolio_to_both_and_history_to_json_only() {
    let rig = rig();
    rig.level().await;
    let store = rig.routed("1", Overrides::default()).into_stores();
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    store
        .portfolio
        .save_portfolio(&testkit::sample_portfolio(1, 0))
        .await
        .unwrap();
    store
        .history
        .append_history_entry(&testkit::sample_history_entry(1))
        .await
        .unwrap();

    let pg = rig.pg.state();
    assert_eq!(pg.trades.len(), 1);
    assert_eq!(pg.portfolios.len(), 1);
    assert!(pg.history.is_empty(), "history is J in phase 1");
    assert_eq!(array_len(&rig.data.join("trades/paper_trades.json")), 1);
    assert_eq!(
        array_len(&rig.data.join("history/portfolio_history.json")),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn while_postgres_is_down_dual_writes_queue_and_replay_in_order() {
    let rig = rig();
    rig.level().await;
    let routed = rig.routed("4", Overrides::default());
    let stats = routed.stats();
    let store = routed.into_stores();

    rig.pg.set_down(true);
    for n in 1..=3 {
        store
            .trades
            .append_trade(&testkit::sample_trade(n))
            .await
            .unwrap();
    }
    assert_eq!(rig.outbox.depth().await.unwrap(), 3);
    assert_eq!(array_len(&rig.data.join("trades/paper_trades.json")), 3);
    assert!(rig.pg.state().trades.is_empty());

    rig.pg.set_down(false);
    store
        .trades
        .append_trade(&testkit::sample_trade(4))
        .await
        .unwrap();
    assert_eq!(rig.outbox.depth().await.unwrap(), 0);
    let ids: Vec<String> = rig
        .pg
        .state()
        .trades
        .iter()
        .map(|t| t.trade_id.to_string())
        .collect();
    let expected: Vec<String> = (1..=4)
        .map(|n| testkit::sample_trade(n).trade_id.to_string())
        .collect();
    assert_eq!(ids, expected, "replayed in order, the new write after them");
    let counts = stats.counts();
    assert_eq!(
        counts.pg_write_failures, 3,
        "each write tried PostgreSQL once and left its half in the journal"
    );
    assert_eq!(counts.outbox_queued, 4, "every dual write is journaled");
    assert_eq!(counts.outbox_replayed, 4);
    assert!(
        rig.current(DataSet::Trades),
        "and PostgreSQL is level again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replaying_the_outbox_twice_changes_nothing() {
    let rig = rig();
    rig.level().await;
    let store = rig.routed("2", Overrides::default()).into_stores();
    rig.pg.set_down(true);
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    rig.pg.set_down(false);
    let pg = Stores::single(rig.pg.clone());
    let first = rig.outbox.replay(&pg).await.unwrap();
    assert_eq!((first.replayed, first.remaining), (1, 0));
    // A replay whose rewrite was lost (crash) runs the same entry again.
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    assert_eq!(rig.pg.state().trades.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn dual_read_prefers_postgres_and_falls_back_to_json_when_it_is_down() {
    let rig = rig();
    rig.level().await;
    let writer = rig.routed("5.2", Overrides::default()).into_stores();
    writer
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    // PostgreSQL alone holds a second trade: reads show it comes from there.
    domain::ports::TradeStore::append_trade(rig.pg.as_ref(), &testkit::sample_trade(2))
        .await
        .unwrap();
    let routed = rig.routed("5.2", Overrides::default());
    let stats = routed.stats();
    let store = routed.into_stores();
    assert_eq!(store.trades.load_trades(&id()).await.unwrap().len(), 2);

    rig.pg.set_down(true);
    assert_eq!(store.trades.load_trades(&id()).await.unwrap().len(), 1);
    assert_eq!(stats.counts().fallback_reads, 1);

    let strict = rig
        .routed(
            "5.2",
            Overrides {
                fallback_to_json: Some(false),
                ..Default::default()
            },
        )
        .into_stores();
    assert!(strict.trades.load_trades(&id()).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn database_primary_fails_cleanly_and_leaves_json_alone() {
    let rig = rig();
    rig.level().await;
    let store = rig.routed("6", Overrides::default()).into_stores();
    rig.pg.set_down(true);
    let err = store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, domain::StoreError::Unavailable { .. }),
        "{err}"
    );
    assert!(!rig.data.join("trades/paper_trades.json").exists());
    assert_eq!(
        rig.outbox.depth().await.unwrap(),
        0,
        "no outbox outside DW/DR"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shadow_reads_count_a_mismatch_with_its_key() {
    let rig = rig();
    rig.level().await;
    let log = routing::shadow::MismatchLog::new(rig.data.join("../state/shadow_mismatches.jsonl"));
    let routed = rig
        .routed("4", Overrides::default())
        .with_shadow_log(log.clone());
    let stats = routed.stats();
    let store = routed.into_stores();
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    // PostgreSQL gains a row JSON does not have.
    domain::ports::TradeStore::append_trade(rig.pg.as_ref(), &testkit::sample_trade(2))
        .await
        .unwrap();
    let read = store.trades.load_trades(&id()).await.unwrap();
    assert_eq!(read.len(), 1, "the caller gets the JSON answer");
    // Shadow reads run in the background; wait for them.
    for _ in 0..100 {
        if stats.counts().shadow_reads > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let counts = stats.counts();
    assert_eq!(counts.shadow_mismatches, 1);
    let trade_2 = testkit::sample_trade(2).trade_id.to_string();
    assert!(
        counts
            .shadow_mismatch_keys
            .iter()
            .any(|k| k.contains(&trade_2) && k.contains("extra")),
        "{:?}",
        counts.shadow_mismatch_keys
    );
    // Kept on disk, with its data set and key, for `phase advance`.
    let kept = log.load();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].data_set, "trades");
    assert!(
        kept[0].keys.iter().any(|k| k.contains(&trade_2)),
        "{kept:?}"
    );
    log.clear(&[DataSet::Trades]).unwrap();
    assert!(log.load().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn overrides_turn_routes_back_and_impossible_ones_are_refused() {
    let rig = rig();
    rig.level().await;
    let no_writes = Overrides {
        use_database_write: Some(false),
        ..Default::default()
    };
    let store = rig.routed("4", no_writes).into_stores();
    let calls = rig.pg.calls();
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    assert!(
        rig.pg.state().trades.is_empty(),
        "USE_DATABASE_WRITE=false: J"
    );
    assert_eq!(rig.pg.calls(), calls);
    assert!(
        !rig.current(DataSet::Trades),
        "a write PostgreSQL never saw leaves trades behind"
    );

    let refused = RoutedStore::new(
        Phase::DatabasePrimary,
        no_writes,
        Some(rig.json.clone()),
        Some(Stores::single(rig.pg.clone())),
        Some(rig.outbox.clone()),
        1,
    );
    assert!(matches!(refused, Err(RoutingError::Refused(_))));
    let no_pg = RoutedStore::new(
        Phase::TradesAndPortfolio,
        Overrides::default(),
        Some(rig.json.clone()),
        None,
        None,
        1,
    );
    assert!(matches!(no_pg, Err(RoutingError::Missing { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_phase_4_cycles_with_postgres_going_down_lose_nothing() {
    let rig = rig();
    rig.level().await;
    let routed = rig.routed("4", Overrides::default());
    let store = routed.into_stores();
    let mut s = settings();
    s.event_max_days_until_end = 1000;
    s.one_position_per_market = false;
    s.initial_balance = rust_decimal::Decimal::from(1_000_000);
    let source = polymarket_client::SnapshotSource::open(example_snapshot()).unwrap();
    let start = at("2026-12-01T00:00:00Z");
    for n in 0..100i64 {
        // Down for cycles 10–19 and 50–54, flapping every 7th cycle.
        rig.pg
            .set_down((10..20).contains(&n) || (50..55).contains(&n) || n % 7 == 3);
        let params = params(&s, start + chrono::Duration::minutes(n));
        orchestrator::run_cycle(&store, &source, &params)
            .await
            .unwrap_or_else(|e| panic!("cycle {n} failed: {e}"));
    }
    rig.pg.set_down(false);
    let report = rig
        .outbox
        .replay(&Stores::single(rig.pg.clone()))
        .await
        .unwrap();
    assert_eq!(report.remaining, 0);

    let json_trades = rig.json.trades.load_trades(&id()).await.unwrap();
    let pg_trades = rig.pg.state().trades;
    assert_eq!(json_trades.len(), 300, "3 trades a cycle");
    assert_eq!(
        json_trades, pg_trades,
        "no trade lost, doubled or reordered"
    );
    let json_portfolio = rig.json.portfolio.load_portfolio(&id()).await.unwrap();
    assert_eq!(
        json_portfolio.as_ref(),
        rig.pg.state().portfolios.get(&id())
    );
    assert_eq!(
        rig.json.history.load_history(&id()).await.unwrap(),
        rig.pg.state().history
    );
    assert_eq!(
        rig.json.signals.load_current_signals(&id()).await.unwrap(),
        rig.pg.state().signals
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dual_reads_never_serve_postgres_while_it_is_behind() {
    let rig = rig();
    rig.level().await;
    let store = rig.routed("5.1", Overrides::default()).into_stores();
    let mut p = testkit::sample_portfolio(0, 0);
    store.portfolio.save_portfolio(&p).await.unwrap();
    // PostgreSQL misses the save that opens a position.
    rig.pg.set_down(true);
    p = testkit::sample_portfolio(1, 0);
    store.portfolio.save_portfolio(&p).await.unwrap();
    assert_eq!(rig.outbox.depth().await.unwrap(), 1);
    // Back up: the read catches PostgreSQL up first, and answers the truth.
    rig.pg.set_down(false);
    let read = store
        .portfolio
        .load_portfolio(&id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read.positions.len(),
        1,
        "a stale read would have no position"
    );
    assert_eq!(rig.outbox.depth().await.unwrap(), 0);
    assert_eq!(rig.pg.state().portfolios.get(&id()), Some(&p));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_outbox_line_is_set_aside_and_the_queue_moves_on() {
    let rig = rig();
    rig.level().await;
    let store = rig.routed("4", Overrides::default()).into_stores();
    rig.pg.set_down(true);
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    // A crash in the middle of the next append leaves half a line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(rig.outbox.path())
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"seq\": 2, \"queued_at\": \"2026-").unwrap();
    store
        .trades
        .append_trade(&testkit::sample_trade(2))
        .await
        .unwrap();
    rig.pg.set_down(false);
    store
        .trades
        .append_trade(&testkit::sample_trade(3))
        .await
        .unwrap();
    assert_eq!(rig.outbox.depth().await.unwrap(), 0);
    assert_eq!(
        rig.pg.state().trades.len(),
        3,
        "both queued trades and the new one"
    );
    let dead = std::fs::read_to_string(rig.outbox.dead_letters()).unwrap();
    assert!(
        dead.contains("\"seq\": 2, \"queued_at\": \"2026-"),
        "{dead}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_outbox_handles_on_one_file_keep_every_entry() {
    // A running cycle and `xtask outbox replay` each hold their own handle.
    let rig = rig();
    rig.level().await;
    let store = rig.routed("4", Overrides::default()).into_stores();
    rig.pg.set_down(true);
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    let other = Outbox::new(rig.outbox.path());
    assert_eq!(other.depth().await.unwrap(), 1);
    store
        .trades
        .append_trade(&testkit::sample_trade(2))
        .await
        .unwrap();
    assert_eq!(
        other.depth().await.unwrap(),
        2,
        "the other handle sees the new entry"
    );
    rig.pg.set_down(false);
    let report = other.replay(&Stores::single(rig.pg.clone())).await.unwrap();
    assert_eq!((report.replayed, report.remaining), (2, 0));
    assert_eq!(
        rig.outbox.depth().await.unwrap(),
        0,
        "and the first sees the replay"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn write_behind_keeps_order_across_an_outage_and_flush_waits_for_it() {
    let rig = rig();
    rig.level().await;
    let (store, flush) = rig.routed("4", Overrides::default()).into_stores_behind();
    for n in 1..=20 {
        // PostgreSQL goes away for trades 8–13 while the queue drains.
        rig.pg.set_down((8..=13).contains(&n));
        store
            .trades
            .append_trade(&testkit::sample_trade(n))
            .await
            .unwrap();
    }
    rig.pg.set_down(false);
    flush.flush().await;
    assert_eq!(flush.pending(), 0);
    // Whatever the outage left in the outbox goes at the next write.
    store
        .trades
        .append_trade(&testkit::sample_trade(21))
        .await
        .unwrap();
    flush.flush().await;
    assert_eq!(rig.outbox.depth().await.unwrap(), 0);
    let ids: Vec<String> = rig
        .pg
        .state()
        .trades
        .iter()
        .map(|t| t.trade_id.to_string())
        .collect();
    let expected: Vec<String> = (1..=21)
        .map(|n| testkit::sample_trade(n).trade_id.to_string())
        .collect();
    assert_eq!(ids, expected, "every trade once, in order");
}

#[tokio::test(flavor = "multi_thread")]
async fn dual_reads_answer_from_json_while_the_queue_drains() {
    let rig = rig();
    rig.level().await;
    let (store, flush) = rig.routed("5.2", Overrides::default()).into_stores_behind();
    rig.pg.set_down(true);
    store
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    // PostgreSQL is down and behind: the DR read is JSON's.
    assert_eq!(store.trades.load_trades(&id()).await.unwrap().len(), 1);
    rig.pg.set_down(false);
    flush.flush().await;
    assert_eq!(store.trades.load_trades(&id()).await.unwrap().len(), 1);
    assert_eq!(rig.pg.state().trades.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_postgres_rejects_leaves_its_data_set_behind_and_reads_on_json() {
    let rig = rig();
    rig.level().await;
    let store = rig.routed("5.1", Overrides::default()).into_stores();
    store
        .portfolio
        .save_portfolio(&testkit::sample_portfolio(0, 0))
        .await
        .unwrap();
    assert!(rig.current(DataSet::Portfolio));
    // PostgreSQL refuses the save that opens a position (a value it cannot
    // store); JSON, the truth, has it.
    rig.pg.set_rejecting(true);
    let with_position = testkit::sample_portfolio(1, 0);
    store
        .portfolio
        .save_portfolio(&with_position)
        .await
        .unwrap();
    rig.pg.set_rejecting(false);
    assert!(!rig.current(DataSet::Portfolio));
    let dead = std::fs::read_to_string(rig.outbox.dead_letters()).unwrap();
    assert_eq!(dead.lines().count(), 1, "{dead}");
    // The next cycle's load answers JSON's portfolio, position and all.
    let read = store
        .portfolio
        .load_portfolio(&id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, with_position);
    // Later writes PostgreSQL takes do not make it current: it missed one.
    store
        .portfolio
        .save_portfolio(&with_position)
        .await
        .unwrap();
    assert!(!rig.current(DataSet::Portfolio));
    assert_eq!(rig.outbox.depth().await.unwrap(), 0);
    // Other data sets are unaffected.
    assert!(rig.current(DataSet::Trades));
}

#[tokio::test(flavor = "multi_thread")]
async fn journaled_writes_outlive_the_process_and_replay_before_the_first_read() {
    let rig = rig();
    rig.level().await;
    let with_position = testkit::sample_portfolio(1, 0);
    {
        // PostgreSQL rests a minute once found down, so its write-behind
        // task makes one attempt, not one after another until the drop.
        let (store, flush) = rig
            .routed("5.1", Overrides::default())
            .with_retry_after(std::time::Duration::from_secs(60))
            .into_stores_behind();
        rig.pg.set_down(true);
        store
            .portfolio
            .save_portfolio(&with_position)
            .await
            .unwrap();
        // Acknowledged: the PostgreSQL half is on disk already.
        assert_eq!(rig.outbox.depth().await.unwrap(), 1);
        // Let that attempt end (PostgreSQL is down: the write stays
        // journaled), so that none is still running when PostgreSQL answers
        // again below — a crashed process runs none.
        flush.flush().await;
        assert_eq!(rig.outbox.depth().await.unwrap(), 1);
        // The process ends here (a crash): nothing delivered it.
    }
    rig.pg.set_down(false);
    assert!(!rig.current(DataSet::Portfolio));
    let restarted = rig.routed("5.1", Overrides::default());
    let report = restarted.recover().await;
    assert_eq!((report.replayed, report.remaining), (1, 0));
    assert!(rig.current(DataSet::Portfolio));
    assert_eq!(rig.pg.state().portfolios.get(&id()), Some(&with_position));
    let read = restarted
        .into_stores()
        .portfolio
        .load_portfolio(&id())
        .await
        .unwrap();
    assert_eq!(read, Some(with_position));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_writes_is_journaled_in_order_and_replays_after_a_crash() {
    let rig = rig();
    rig.level().await;
    let with_position = testkit::sample_portfolio(1, 0);
    let trades: Vec<_> = (1..=3).map(testkit::sample_trade).collect();
    {
        let (store, flush) = rig
            .routed("4", Overrides::default())
            .with_retry_after(std::time::Duration::from_secs(60))
            .into_stores_behind();
        rig.pg.set_down(true);
        routing::batch::acknowledged_together(async {
            for trade in &trades {
                store.trades.append_trade(trade).await.unwrap();
            }
            store
                .portfolio
                .save_portfolio(&with_position)
                .await
                .unwrap();
        })
        .await;
        // Acknowledged together: every PostgreSQL half is in the journal.
        let queued: Vec<String> = rig
            .outbox
            .pending()
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.what)
            .collect();
        let mut expected: Vec<String> = trades
            .iter()
            .map(|t| format!("append_trade {}", t.trade_id))
            .collect();
        expected.push(format!("save_portfolio {}", id()));
        assert_eq!(queued, expected);
        flush.flush().await;
        // The process ends here (a crash) with PostgreSQL still down.
    }
    rig.pg.set_down(false);
    assert!(!rig.current(DataSet::Trades));
    let restarted = rig.routed("4", Overrides::default());
    let report = restarted.recover().await;
    assert_eq!((report.replayed, report.remaining, report.dead), (4, 0, 0));
    assert!(rig.current(DataSet::Trades));
    assert!(rig.current(DataSet::Portfolio));
    let state = rig.pg.state();
    assert_eq!(state.trades, trades);
    assert_eq!(state.portfolios.get(&id()), Some(&with_position));

    // With PostgreSQL up, the write-behind takes a batch when it ends.
    let (store, flush) = restarted.into_stores_behind();
    let later = testkit::sample_trade(4);
    routing::batch::acknowledged_together(store.trades.append_trade(&later))
        .await
        .unwrap();
    flush.flush().await;
    assert_eq!(rig.outbox.depth().await.unwrap(), 0);
    assert_eq!(rig.pg.state().trades.last(), Some(&later));
    assert!(rig.current(DataSet::Trades));
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_that_skip_postgres_leave_it_behind_and_dual_reads_answer_json() {
    let rig = rig();
    rig.level().await;
    // A run that found no phase file (phase 0) writes JSON only.
    let phase_0 = rig.routed("0", Overrides::default()).into_stores();
    let with_position = testkit::sample_portfolio(1, 0);
    phase_0
        .portfolio
        .save_portfolio(&with_position)
        .await
        .unwrap();
    assert!(!rig.current(DataSet::Portfolio));
    let phase_5_1 = rig.routed("5.1", Overrides::default()).into_stores();
    let read = phase_5_1.portfolio.load_portfolio(&id()).await.unwrap();
    assert_eq!(
        read,
        Some(with_position.clone()),
        "JSON's portfolio, not PostgreSQL's none"
    );

    // `--store json` writes the JSON store directly: the same.
    rig.level().await;
    rig.json
        .portfolio
        .save_portfolio(&testkit::sample_portfolio(2, 0))
        .await
        .unwrap();
    assert!(!rig.current(DataSet::Portfolio));

    // So does an edit by hand (or the original system) of a JSON file.
    rig.level().await;
    let path = rig.data.join("trades/portfolio.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\n", "\n ")).unwrap();
    assert!(!rig.current(DataSet::Portfolio));
}

/// Phase 6 with PostgreSQL down (issue #10 item 6): a read for display
/// answers from the JSON files, marked stale with their time; anything else
/// — a cycle's reads, every write — fails cleanly and JSON stays untouched.
#[tokio::test(flavor = "multi_thread")]
async fn database_primary_answers_display_reads_from_json_marked_stale_while_postgres_is_down() {
    use routing::stale::allow_stale;
    let rig = rig();
    for n in 1..=2 {
        rig.json
            .trades
            .append_trade(&testkit::sample_trade(n))
            .await
            .unwrap();
    }
    let pg = Stores::single(rig.pg.clone());
    for n in 1..=3 {
        pg.trades
            .append_trade(&testkit::sample_trade(n))
            .await
            .unwrap();
    }
    let json_file = rig.data.join("trades/paper_trades.json");
    let json_before = std::fs::read(&json_file).unwrap();
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let routed = rig.routed("6", Overrides::default()).with_json_as_of(as_of);
    let stats = routed.stats();
    let store = routed.into_stores();

    let (trades, stale) = allow_stale(store.trades.load_trades(&id())).await;
    assert_eq!(
        (trades.unwrap().len(), stale),
        (3, None),
        "PostgreSQL up: its answer"
    );

    rig.pg.set_down(true);
    let (trades, stale) = allow_stale(store.trades.load_trades(&id())).await;
    assert_eq!(
        (trades.unwrap().len(), stale),
        (2, Some(as_of)),
        "PostgreSQL down: the JSON files' answer, stale as of their time"
    );
    let counts = stats.counts();
    assert_eq!((counts.stale_reads, counts.stale_since), (1, Some(as_of)));

    let err = store.trades.load_trades(&id()).await.unwrap_err();
    assert!(
        matches!(err, domain::StoreError::Unavailable { .. }),
        "a read outside a display scope (a cycle's) fails cleanly: {err}"
    );
    let (write, _) = allow_stale(store.trades.append_trade(&testkit::sample_trade(4))).await;
    let err = write.unwrap_err();
    assert!(
        matches!(err, domain::StoreError::Unavailable { .. }),
        "a write fails cleanly, even in a display scope: {err}"
    );
    assert_eq!(
        std::fs::read(&json_file).unwrap(),
        json_before,
        "no write reaches JSON in phase 6"
    );

    rig.pg.set_down(false);
    let (trades, stale) = allow_stale(store.trades.load_trades(&id())).await;
    assert_eq!((trades.unwrap().len(), stale), (3, None), "PostgreSQL back");
    assert_eq!(stats.counts().stale_since, None, "no longer stale");

    let off = Overrides {
        fallback_to_json: Some(false),
        ..Default::default()
    };
    let strict = rig.routed("6", off).with_json_as_of(as_of).into_stores();
    rig.pg.set_down(true);
    let (trades, _) = allow_stale(strict.trades.load_trades(&id())).await;
    assert!(
        trades.is_err(),
        "DATABASE_FALLBACK_TO_JSON=false: reads fail instead"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_retired_refuses_the_fallback_and_never_reads_json() {
    let rig = rig();
    let on = Overrides {
        fallback_to_json: Some(true),
        ..Default::default()
    };
    let refused = RoutedStore::new(
        Phase::JsonRetired,
        on,
        Some(rig.json.clone()),
        Some(Stores::single(rig.pg.clone())),
        None,
        0,
    );
    assert!(matches!(refused, Err(RoutingError::Refused(_))));
    rig.json
        .trades
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    let store = rig.routed("7", Overrides::default()).into_stores();
    rig.pg.set_down(true);
    let (trades, stale) = routing::stale::allow_stale(store.trades.load_trades(&id())).await;
    assert!(
        trades.is_err() && stale.is_none(),
        "P fails cleanly, even for display"
    );
}
