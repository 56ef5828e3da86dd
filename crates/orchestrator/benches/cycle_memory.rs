//! Whole processes of `prescient cycle` (the release binary) on generated
//! Gamma snapshots shaped like the recorded fixtures (`testkit::generate`):
//!
//! - peak RSS of one cycle at each size of `PRESCIENT_BENCH_CYCLE_EVENTS`
//!   (default `1000,5000`) × `PRESCIENT_BENCH_MARKETS_PER_EVENT` (10)
//!   markets, a fresh data directory each;
//! - ten cycles, one process each, on the first size's snapshot in one data
//!   directory: the total wall time and the 10th cycle over the 1st.
//!
//! Peak RSS is `/usr/bin/time`'s `%M` (the kernel's `ru_maxrss` of the child)
//! when that program exists, else the largest `VmHWM` read from
//! `/proc/<pid>/status` while polling every millisecond. Results go to
//! `target/bench-results/cycle_memory.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../xtask/src/bench/results.rs"]
mod results;

use results::Results;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIME: &str = "/usr/bin/time";

fn sizes() -> Vec<usize> {
    std::env::var("PRESCIENT_BENCH_CYCLE_EVENTS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1000, 5000])
}

fn markets_per_event() -> usize {
    std::env::var("PRESCIENT_BENCH_MARKETS_PER_EVENT")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(10)
}

/// One `prescient cycle` process: wall time and peak RSS in MiB.
fn cycle(snapshot: &Path, data: &Path, scratch: &Path) -> (f64, f64) {
    let bin = env!("CARGO_BIN_EXE_prescient");
    let use_time = Path::new(TIME).exists();
    let rss_file = scratch.join("maxrss");
    let mut cmd = if use_time {
        let mut c = Command::new(TIME);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("cycle")
        .arg("--store")
        .arg("json")
        .arg("--data-dir")
        .arg(data)
        .arg("--source")
        .arg(format!("snapshot:{}", snapshot.display()))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", scratch.join("none.toml"))
        .env("PRESCIENT_STATE_DIR", scratch.join("state"))
        .env("RUST_LOG", "error")
        .current_dir(scratch)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start prescient");
    let mut polled_kib = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if !use_time {
            polled_kib = polled_kib.max(vm_hwm_kib(child.id()).unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let wall = started.elapsed().as_secs_f64();
    assert!(status.success(), "prescient cycle failed: {status}");
    let kib = if use_time {
        let text = std::fs::read_to_string(&rss_file).unwrap();
        text.lines()
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .next_back()
            .expect("a %M figure")
    } else {
        polled_kib
    };
    (wall, kib as f64 / 1024.0)
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let template = testkit::generate::template().expect("the recorded fixtures");
    let per_event = markets_per_event();
    let mut results = Results::default();
    let root = tempfile::tempdir().unwrap();
    let mut first_snapshot = None;
    for events in sizes() {
        let snapshot = root.path().join(format!("snapshot-{events}"));
        let bytes = testkit::generate::write_snapshot(
            &snapshot,
            &template,
            events,
            per_event,
            chrono::Utc::now(),
        )
        .unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let (wall, rss) = cycle(&snapshot, &scratch.path().join("data"), scratch.path());
        eprintln!(
            "{events} events × {per_event} markets ({:.1} MB): one cycle {wall:.2} s, peak RSS {rss:.1} MiB",
            bytes as f64 / 1e6
        );
        results.set(format!("peak_rss_mib/{events}"), rss);
        results.set(format!("snapshot_mb/{events}"), bytes as f64 / 1e6);
        first_snapshot.get_or_insert((events, snapshot));
    }
    let (events, snapshot) = first_snapshot.expect("at least one size");
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data");
    let walls: Vec<f64> = (0..10)
        .map(|_| cycle(&snapshot, &data, scratch.path()).0)
        .collect();
    let total: f64 = walls.iter().sum();
    eprintln!(
        "ten cycles on {events} events: {total:.2} s (1st {:.3} s, 10th {:.3} s)",
        walls[0], walls[9]
    );
    results.set("ten_cycles_events", events as f64);
    results.set("ten_cycles_s", total);
    results.set("cycle_first_s", walls[0]);
    results.set("cycle_tenth_s", walls[9]);
    let dir = results::dir_for(env!("CARGO_MANIFEST_DIR"));
    let path = results.write(&dir, "cycle_memory").unwrap();
    eprintln!("results: {}", path.display());
}
