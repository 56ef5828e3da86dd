//! One process writes a data directory at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::PortfolioId;
use domain::StoreError;
use domain::ports::{SignalStore, TradeStore};
use std::process::Command;
use storage_json::{JsonStore, JsonStoreOptions};

const CHILD_DIR: &str = "PRESCIENT_LOCK_TEST_DIR";
const CHILD_EXPECT: &str = "PRESCIENT_LOCK_TEST_EXPECT";

#[test]
fn a_second_writer_is_refused_until_the_first_is_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let first = JsonStore::open(tmp.path(), JsonStoreOptions::default()).unwrap();
    let err = JsonStore::open(tmp.path(), JsonStoreOptions::default()).unwrap_err();
    let StoreError::Locked { path, holder } = &err else {
        panic!("expected Locked, got {err:?}");
    };
    assert!(path.ends_with(".prescient.lock"), "{path}");
    assert_eq!(holder, &format!("pid {}", std::process::id()));
    assert!(err.to_string().contains("stop it first"));

    let clone = first.clone();
    drop(first);
    assert!(
        JsonStore::open(tmp.path(), JsonStoreOptions::default()).is_err(),
        "a clone still holds the lock"
    );
    drop(clone);
    // The kernel frees a flock when every copy of its descriptor is closed;
    // a child another test forks at this moment holds a copy until it execs.
    let mut again = JsonStore::open(tmp.path(), JsonStoreOptions::default());
    for _ in 0..50 {
        if again.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(40));
        again = JsonStore::open(tmp.path(), JsonStoreOptions::default());
    }
    again.expect("free again");
}

#[tokio::test]
async fn a_read_only_store_reads_beside_the_writer_and_refuses_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let writer = JsonStore::open(tmp.path(), JsonStoreOptions::default()).unwrap();
    writer
        .append_trade(&testkit::sample_trade(1))
        .await
        .unwrap();
    let reader = JsonStore::open_read_only(tmp.path(), JsonStoreOptions::default());
    assert!(reader.is_read_only());
    assert_eq!(
        reader
            .load_trades(&PortfolioId::default())
            .await
            .unwrap()
            .len(),
        1
    );
    let err = reader
        .replace_current_signals(&PortfolioId::default(), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unsupported(_)), "{err:?}");
    assert!(!tmp.path().join("trades/current_signals.json").exists());
}

/// The lock holds against another process, and is free once the holder is
/// gone. The test runs itself again, in a process of its own, as the other
/// process: `CHILD_DIR` and `CHILD_EXPECT` tell that copy to open the
/// directory and report what it found (every run of the test is one or the
/// other half, so it is never a pass that checked nothing).
#[test]
fn a_second_process_is_refused() {
    if let (Ok(dir), Ok(expect)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_EXPECT)) {
        child_opens(&dir, &expect);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = JsonStore::open(tmp.path(), JsonStoreOptions::default()).unwrap();
    let run_child = |expect: &str| {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_second_process_is_refused",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, tmp.path())
            .env(CHILD_EXPECT, expect)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "child failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let stdout = run_child("locked");
    assert!(
        stdout.contains(&format!("child saw holder pid {}", std::process::id())),
        "{stdout}"
    );
    drop(store);
    let stdout = run_child("open");
    assert!(stdout.contains("child opened the data dir"), "{stdout}");
}

/// The other process's half of `a_second_process_is_refused`.
fn child_opens(dir: &str, expect: &str) {
    match (JsonStore::open(dir, JsonStoreOptions::default()), expect) {
        (Err(StoreError::Locked { holder, .. }), "locked") => println!("child saw holder {holder}"),
        (Ok(_), "open") => println!("child opened the data dir"),
        (result, expect) => panic!(
            "expected {expect}, got {:?}",
            result.map(|_| "an open store")
        ),
    }
}
