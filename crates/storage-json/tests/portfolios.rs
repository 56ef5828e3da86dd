//! Several portfolios in one data directory: each data set's version covers
//! every portfolio's files, torn tails are cut back in every portfolio, and
//! clearing a data set clears it for all of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{copy_of, empty_store, python_era};
use domain::ports::{HistoryStore, SignalStore, TradeStore};
use domain::{DataSet, PortfolioId};
use storage_json::{JsonStore, JsonStoreOptions};

#[tokio::test]
async fn a_write_to_any_portfolio_moves_its_data_set_and_no_other() {
    let (_tmp, _dir, store) = empty_store();
    let before: Vec<_> = {
        let mut v = Vec::new();
        for ds in DataSet::ALL {
            v.push(store.own_version(ds).await.unwrap());
        }
        v
    };
    store
        .append_trade(&testkit::sample_trade_of("b", "momentum", 1))
        .await
        .unwrap();
    let trades = store.own_version(DataSet::Trades).await.unwrap();
    assert_eq!(trades, before[1].next(), "trades moved by one write");
    for (i, ds) in DataSet::ALL.iter().enumerate() {
        if *ds != DataSet::Trades {
            assert_eq!(store.own_version(*ds).await.unwrap(), before[i], "{ds}");
        }
    }
    let settlement = domain::TradeSettlement::closed(
        PortfolioId::new("b"),
        testkit::sample_trade_of("b", "momentum", 1).trade_id,
        testkit::usd("5"),
        testkit::at(60),
    );
    assert!(store.settle_trade(&settlement).await.unwrap());
    assert_eq!(
        store.own_version(DataSet::Trades).await.unwrap(),
        trades.next(),
        "a settlement is a write of trades"
    );
    store
        .replace_current_signals(
            &PortfolioId::new("b"),
            &[testkit::sample_signal_of("b", "momentum", 0)],
        )
        .await
        .unwrap();
    assert_eq!(
        store.own_version(DataSet::Signals).await.unwrap(),
        before[3].next()
    );
}

#[tokio::test]
async fn another_portfolios_file_changed_by_hand_starts_a_new_epoch() {
    let (_tmp, dir, store) = empty_store();
    store
        .append_trade(&testkit::sample_trade_of("b", "momentum", 1))
        .await
        .unwrap();
    let version = store.own_version(DataSet::Trades).await.unwrap();
    let path = dir.join("portfolios/b/trades/paper_trades.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("momentum", "longshot_fade")).unwrap();
    let after = store.own_version(DataSet::Trades).await.unwrap();
    assert_ne!(after.epoch, version.epoch, "edited behind the store's back");
}

#[tokio::test]
async fn a_data_directory_of_the_default_portfolio_keeps_its_versions() {
    // The versions of a legacy-only directory are named after the same
    // fingerprints as before several portfolios existed: opening it again
    // (as an upgraded Prescient does) moves nothing.
    let (_tmp, dir) = copy_of(&python_era());
    let first = JsonStore::open(&dir, JsonStoreOptions::default()).unwrap();
    let mut before = Vec::new();
    for ds in DataSet::ALL {
        before.push(first.own_version(ds).await.unwrap());
    }
    drop(first);
    let again = JsonStore::open(&dir, JsonStoreOptions::default()).unwrap();
    for (i, ds) in DataSet::ALL.iter().enumerate() {
        assert_eq!(again.own_version(*ds).await.unwrap(), before[i], "{ds}");
    }
    assert!(!dir.join("portfolios").exists());
}

#[tokio::test]
async fn a_torn_tail_in_another_portfolio_is_cut_back_on_open() {
    let (_tmp, dir, store) = empty_store();
    for n in 0..2 {
        store
            .append_trade(&testkit::sample_trade_of("b", "momentum", n))
            .await
            .unwrap();
    }
    drop(store);
    let path = dir.join("portfolios/b/trades/paper_trades.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let torn = &text[..text.len() - 40];
    std::fs::write(&path, torn).unwrap();
    let store = JsonStore::open(&dir, JsonStoreOptions::default()).unwrap();
    assert_eq!(
        store
            .recovered_tails()
            .iter()
            .map(|t| t.file.clone())
            .collect::<Vec<_>>(),
        vec![path]
    );
    assert_eq!(
        store
            .load_trades(&PortfolioId::new("b"))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn clearing_a_data_set_clears_every_portfolios_files_of_it() {
    let (_tmp, dir, store) = empty_store();
    let (a, b) = (PortfolioId::default(), PortfolioId::new("b"));
    for (id, name) in [(&a, "default"), (&b, "b")] {
        store
            .append_trade(&testkit::sample_trade_of(name, "momentum", 1))
            .await
            .unwrap();
        let mut entry = testkit::sample_history_entry(1);
        entry.portfolio_id = id.clone();
        store.append_history_entry(&entry).await.unwrap();
    }
    store.clear_data_set(DataSet::Trades).await.unwrap();
    assert!(store.load_trades(&a).await.unwrap().is_empty());
    assert!(store.load_trades(&b).await.unwrap().is_empty());
    assert!(!dir.join("portfolios/b/trades/paper_trades.json").exists());
    assert_eq!(
        store.load_history(&b).await.unwrap().len(),
        1,
        "history kept"
    );
    // Appending again after the clear works (the append index forgot them).
    store
        .append_trade(&testkit::sample_trade_of("b", "momentum", 1))
        .await
        .unwrap();
    assert_eq!(store.load_trades(&b).await.unwrap().len(), 1);
}
