//! The crash harness (`orchestrator::soak`) in short: the real `prescient
//! cycle` binary in phases 1, 4, 5.1, 5.4 and 6, killed with SIGKILL at
//! seeded random points and restarted, with PostgreSQL refusing a write,
//! unreachable and slow, and a cycle from another working directory; then no
//! position lost or duplicated, every trade on the sides the phase writes,
//! and verify clean. `cargo xtask soak` runs the same harness longer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use orchestrator::soak::{Fault, PhaseFigures, Site, SoakConfig};

fn config(phases: &[&str], cycles: usize) -> SoakConfig {
    // A seed from the environment reproduces a failing run.
    let seed = std::env::var("PRESCIENT_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        });
    eprintln!("crash harness seed {seed} (PRESCIENT_SOAK_SEED={seed} reproduces it)");
    SoakConfig {
        binary: env!("CARGO_BIN_EXE_prescient").into(),
        example_snapshot: example_snapshot(),
        phases: phases.iter().map(|p| p.parse().unwrap()).collect(),
        cycles,
        seed,
    }
}

fn assert_sound(figures: &[PhaseFigures]) {
    for f in figures {
        eprintln!("{f}");
        assert!(f.is_ok(), "{f}");
        assert!(f.records_checked > 0, "{f}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_and_restarted_cycles_lose_and_double_nothing_in_every_phase() {
    // Five cycles: the four fixed faults (refused, unreachable, other cwd,
    // slow + kill) and one drawn from the seed.
    let cfg = config(&["1", "4", "5.1", "5.4", "6"], 5);
    let figures = orchestrator::soak::run(&cfg).await.unwrap();
    assert_sound(&figures);
    assert_eq!(figures.len(), 5);
}
