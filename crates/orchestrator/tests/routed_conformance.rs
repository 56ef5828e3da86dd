//! The shared storage conformance suite (testkit) against the routed store in
//! every route — J (phase 0), DW (4), DR (5.4, with PostgreSQL level and so
//! read from), D (6) — over a real JSON data directory and an in-memory
//! PostgreSQL stand-in, so routing changes no port's behaviour — with the
//! PostgreSQL half applied at once and behind the caller (write-behind), and
//! for executions too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use domain::ports::{Stores, VersionStore};
use domain::{DataSet, Overrides};
use routing::RoutedStore;
use routing::journal::Journal;
use std::sync::Arc;
use testkit::memory::MemoryStore;
use testkit::ports::Ports;

async fn routed(phase: &str) -> (tempfile::TempDir, RoutedStore) {
    let dir = tempfile::tempdir().unwrap();
    let json = common::json_stores(&dir.path().join("data"));
    let pg = Arc::new(MemoryStore::new());
    for d in DataSet::ALL {
        let v = json.versions.own_version(d).await.unwrap();
        pg.set_mirrored_version(d, Some(&v)).await.unwrap();
    }
    let store = RoutedStore::new(
        phase.parse().unwrap(),
        Overrides::default(),
        Some(json),
        Some(Stores::single(pg)),
        Some(Arc::new(Journal::new(
            dir.path().join("state/outbox.jsonl"),
        ))),
        1,
    )
    .unwrap();
    (dir, store)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_routed_store_in_phase_0_json_only() {
    testkit::conformance::run_all(|| routed("0")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_routed_store_in_phase_4_dual_writes() {
    testkit::conformance::run_all(|| routed("4")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_routed_store_in_phase_5_4_dual_reads() {
    testkit::conformance::run_all(|| routed("5.4")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_routed_store_in_phase_6_database_only() {
    testkit::conformance::run_all(|| routed("6")).await;
}

/// The same store with write-behind on, as every command runs it.
async fn behind(phase: &str) -> (tempfile::TempDir, Ports) {
    let (dir, store) = routed(phase).await;
    let (stores, _flush) = store.into_stores_behind();
    (dir, Ports(stores))
}

#[tokio::test(flavor = "multi_thread")]
async fn with_write_behind_in_every_route() {
    for phase in ["0", "4", "5.4", "6"] {
        testkit::conformance::run_all(|| behind(phase)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn executions_in_every_route_with_and_without_write_behind() {
    for phase in ["0", "1", "4", "5.4", "6"] {
        let (_dir, store) = routed(phase).await;
        testkit::conformance::execution_records_trade_and_portfolio(&store).await;
        let (_dir, store) = behind(phase).await;
        testkit::conformance::execution_records_trade_and_portfolio(&store).await;
        let (_dir, store) = routed(phase).await;
        testkit::conformance::executions_recorded_together(&store).await;
        let (_dir, store) = behind(phase).await;
        testkit::conformance::executions_recorded_together(&store).await;
    }
}
