//! The migration as an operator runs it: `cargo xtask` commands against a
//! real PostgreSQL (a throw-away database per test) and a data directory that
//! starts as the original Python system's files, with trading cycles in
//! between.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::DataSet;
use orchestrator::app::{App, StoreChoice};
use orchestrator::run_cycle;

#[tokio::test(flavor = "multi_thread")]
async fn walk_every_phase_from_a_python_era_data_set_to_json_retired() {
    let mut site = Site::new().await;
    assert_eq!(site.phase().await, "0");
    site.cycle().await;

    // 0 → 1: database reachable, migrations applied.
    site.ok(&["phase", "advance"]).await;
    site.cycle().await;
    // Nothing backfilled yet: entering 2 is refused, naming the gate.
    let refused = site.xtask(&["phase", "advance"]).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("gated") && stderr.contains("verify"),
        "{stderr}"
    );
    assert_eq!(site.phase().await, "1");

    let expected = ["2", "3", "4", "5.1", "5.2", "5.3", "5.4", "6"];
    for next in expected {
        site.ok(&["backfill"]).await;
        site.verify_written().await;
        site.ok(&["phase", "advance"]).await;
        assert_eq!(site.phase().await, next);
        site.cycle().await;
        site.verify_written().await;
    }

    // 6 → 7: archive the JSON files first.
    let archive = site.state.join("archive/data.tar.gz");
    let refused = site.xtask(&["phase", "advance"]).await;
    assert!(!refused.status.success(), "7 needs the archive");
    site.ok(&["archive-json", "--out", archive.to_str().unwrap()])
        .await;
    assert!(archive.exists());
    site.ok(&["phase", "advance"]).await;
    assert_eq!(site.phase().await, "7");

    // In phase 7 a cycle touches no JSON file.
    let before = hash_tree(&site.data);
    site.cycle().await;
    assert_eq!(
        hash_tree(&site.data),
        before,
        "phase 7 wrote to the data directory"
    );

    // The transition log holds every step with its gates.
    let status: serde_json::Value =
        serde_json::from_str(&site.ok(&["phase", "status", "--no-gates", "--json"]).await).unwrap();
    let transitions = status["transitions"].as_array().unwrap();
    assert_eq!(transitions.len(), 10);
    assert!(
        transitions
            .iter()
            .all(|t| t["kind"] == "advance" && t["forced"] == false)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_from_each_phase_restores_the_previous_routes_and_cycles_continue() {
    let mut site = Site::new().await;
    // Up to 6 with --force where a step is not worth gating here; each step
    // is backfilled so the phase's routes hold real data.
    for _ in 0..9 {
        site.ok(&["backfill"]).await;
        site.ok(&["phase", "advance", "--force"]).await;
        site.cycle().await;
    }
    assert_eq!(site.phase().await, "6");
    let order = ["5.4", "5.3", "5.2", "5.1", "4", "3", "2", "1", "0"];
    for previous in order {
        let out = site.ok(&["phase", "rollback"]).await;
        assert!(out.contains(&format!("→ {previous}")), "{out}");
        let status: serde_json::Value =
            serde_json::from_str(&site.ok(&["phase", "status", "--no-gates", "--json"]).await)
                .unwrap();
        let phase: domain::Phase = previous.parse().unwrap();
        let routes = status["phase"]["routes"].as_object().unwrap();
        assert_eq!(routes.len(), DataSet::ALL.len(), "{status}");
        for (name, route) in routes {
            let ds: DataSet = name.parse().unwrap();
            assert_eq!(route["route"], phase.route(ds).code(), "{ds} in {previous}");
        }
        site.cycle().await;
        site.verify_written().await;
    }
    let refused = site.xtask(&["phase", "rollback"]).await;
    assert!(!refused.status.success(), "phase 0 is the first");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transition_waits_for_running_processes_to_stop() {
    let site = Site::new().await;
    let running =
        orchestrator::app::App::open(site.settings(), orchestrator::app::StoreChoice::Phase)
            .await
            .unwrap();
    let refused = site.xtask(&["phase", "advance"]).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("stop `prescient run`/`serve`"), "{stderr}");
    assert_eq!(site.phase().await, "0");
    drop(running);
    site.ok(&["phase", "advance"]).await;
    assert_eq!(site.phase().await, "1");
}

/// A write PostgreSQL never saw (here a `--store json` cycle in phase 1)
/// shows as "behind" in `phase status`, and `phase advance` refuses over it;
/// the next routed cycle brings PostgreSQL level by itself and the gate
/// passes that check again.
#[tokio::test(flavor = "multi_thread")]
async fn a_data_set_postgres_is_behind_on_shows_and_holds_the_phase() {
    let mut site = Site::new().await;
    site.force_to("1").await;
    site.ok(&["backfill"]).await;
    site.ok(&["verify"]).await;
    let status = site.ok(&["phase", "status", "--no-gates"]).await;
    assert!(
        status.contains("trades current") && status.contains("portfolio current"),
        "{status}"
    );

    // JSON alone takes a cycle's writes.
    site.clock += chrono::Duration::hours(1);
    let settings = site.settings();
    let mut params = orchestrator::app::cycle_params(&settings).unwrap();
    let now = site.clock;
    params.clock = std::sync::Arc::new(move || now);
    let app = App::open(settings, StoreChoice::Json).await.unwrap();
    let source =
        polymarket_client::SnapshotSource::open(workspace().join("examples/snapshot")).unwrap();
    run_cycle(&app.stores, &source, &params).await.unwrap();
    drop(app);

    let status = site.ok(&["phase", "status", "--no-gates"]).await;
    assert!(status.contains("trades behind"), "{status}");
    let refused = site.xtask(&["phase", "advance"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("PostgreSQL current"), "{err}");
    assert_eq!(site.phase().await, "1");

    // A routed cycle starts by copying what PostgreSQL missed, and verifies it.
    site.cycle().await;
    let status = site.ok(&["phase", "status", "--no-gates"]).await;
    assert!(
        status.contains("trades current") && status.contains("portfolio current"),
        "{status}"
    );
    site.ok(&["verify", "--dataset", "trades"]).await;
}

/// A process whose phase file says one phase while PostgreSQL was moved to
/// another (pointed at the wrong state directory) refuses to run, naming both.
#[tokio::test(flavor = "multi_thread")]
async fn a_process_whose_phase_disagrees_with_postgres_refuses_to_run() {
    let mut site = Site::new().await;
    site.force_to("4").await;
    site.sql("UPDATE system_metadata SET value = '5.1' WHERE key = 'migration_phase'")
        .await;
    let before = hash_tree(&site.data);
    let err = match App::open(site.settings(), StoreChoice::Phase).await {
        Ok(_) => panic!("a process in phase 4 ran while PostgreSQL says 5.1"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("says phase 4")
            && err.contains("phase 5.1")
            && err.contains("PRESCIENT_STATE_DIR"),
        "{err}"
    );
    assert_eq!(
        hash_tree(&site.data),
        before,
        "no file of the data directory changed"
    );
}
