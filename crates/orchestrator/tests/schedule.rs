//! The `prescient run` scheduler with fake jobs on tokio's paused clock: a
//! failed run does not stop later ones, runs never overlap, and stopping lets
//! the running job finish.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use orchestrator::schedule::{Job, RunCounts, Schedule, Scheduler, parse_period};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Every run of every job: (job, start, end).
type Log = Arc<Mutex<Vec<(&'static str, Instant, Instant)>>>;

/// A job that records when each run started and ended, takes `takes`, fails
/// on the runs listed in `fail_on` (1-based), and notifies after each run.
struct Fake {
    name: &'static str,
    takes: Duration,
    fail_on: Vec<usize>,
    runs: Mutex<Vec<(Instant, Instant)>>,
    log: Log,
    done: Arc<Notify>,
}

impl Fake {
    fn new(name: &'static str, takes_ms: u64, fail_on: &[usize], log: &Log) -> Arc<Fake> {
        Arc::new(Fake {
            name,
            takes: Duration::from_millis(takes_ms),
            fail_on: fail_on.to_vec(),
            runs: Mutex::new(Vec::new()),
            log: log.clone(),
            done: Arc::new(Notify::new()),
        })
    }

    fn runs(&self) -> usize {
        self.runs.lock().unwrap().len()
    }
}

#[async_trait]
impl Job for Fake {
    fn name(&self) -> &str {
        self.name
    }

    async fn run(&self) -> anyhow::Result<String> {
        let start = Instant::now();
        tokio::time::sleep(self.takes).await;
        let end = Instant::now();
        let n = {
            let mut runs = self.runs.lock().unwrap();
            runs.push((start, end));
            runs.len()
        };
        self.log.lock().unwrap().push((self.name, start, end));
        self.done.notify_waiters();
        if self.fail_on.contains(&n) {
            anyhow::bail!("{} run {n} failed", self.name);
        }
        Ok(format!("{} run {n}", self.name))
    }
}

fn schedule(cycle_ms: u64, prices_ms: u64) -> Schedule {
    Schedule {
        cycle_every: Duration::from_millis(cycle_ms),
        prices_every: Duration::from_millis(prices_ms),
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_cycle_does_not_stop_later_ones() {
    let log = Log::default();
    let cycle = Fake::new("cycle", 10, &[1], &log);
    let prices = Fake::new("prices", 5, &[], &log);
    let scheduler = Scheduler::new(schedule(100, 30), cycle.clone(), prices.clone());

    let report = scheduler
        .run_until(tokio::time::sleep(Duration::from_millis(450)))
        .await;

    // Cycles at 0, 100, 200, 300, 400 ms: the first failed, the rest ran.
    assert_eq!(
        report.cycles,
        RunCounts {
            succeeded: 4,
            failed: 1
        }
    );
    assert_eq!(cycle.runs(), 5);
    assert!(report.price_updates.succeeded >= 10, "{report:?}");
    assert_eq!(report.price_updates.failed, 0);
}

#[tokio::test(start_paused = true)]
async fn failing_price_updates_are_counted_and_the_schedule_goes_on() {
    let log = Log::default();
    let cycle = Fake::new("cycle", 1, &[], &log);
    let prices = Fake::new("prices", 1, &[1, 2, 3], &log);
    let scheduler = Scheduler::new(schedule(1_000, 10), cycle, prices.clone());

    let report = scheduler
        .run_until(tokio::time::sleep(Duration::from_millis(105)))
        .await;

    assert_eq!(report.price_updates.failed, 3);
    assert!(report.price_updates.succeeded >= 5, "{report:?}");
    assert_eq!(report.cycles.succeeded, 1);
}

#[tokio::test(start_paused = true)]
async fn cycles_and_price_updates_never_overlap() {
    let log = Log::default();
    // Jobs longer than the other's period: each keeps falling due while the
    // other runs.
    let cycle = Fake::new("cycle", 35, &[2], &log);
    let prices = Fake::new("prices", 12, &[], &log);
    let scheduler = Scheduler::new(schedule(50, 10), cycle.clone(), prices.clone());

    let report = scheduler
        .run_until(tokio::time::sleep(Duration::from_millis(1_000)))
        .await;

    let mut runs = log.lock().unwrap().clone();
    assert!(cycle.runs() >= 5 && prices.runs() >= 5, "{report:?}");
    runs.sort_by_key(|(_, start, _)| *start);
    for pair in runs.windows(2) {
        let ((a, _, a_end), (b, b_start, _)) = (pair[0], pair[1]);
        assert!(
            a_end <= b_start,
            "{a} ended at {a_end:?} after {b} started at {b_start:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn stopping_lets_the_running_job_finish() {
    let log = Log::default();
    let cycle = Fake::new("cycle", 200, &[], &log);
    let prices = Fake::new("prices", 1, &[], &log);
    let scheduler = Scheduler::new(schedule(10_000, 10_000), cycle.clone(), prices);
    let started = Instant::now();

    // Stop 50 ms into the first cycle.
    let report = scheduler
        .run_until(tokio::time::sleep(Duration::from_millis(50)))
        .await;

    assert_eq!(report.cycles.succeeded, 1, "the running cycle finished");
    assert_eq!(report.price_updates, RunCounts::default());
    let (_, end) = cycle.runs.lock().unwrap()[0];
    assert_eq!(end - started, Duration::from_millis(200));
    assert!(Instant::now() >= end);
}

#[tokio::test(start_paused = true)]
async fn stopping_while_idle_returns_at_once() {
    let log = Log::default();
    let cycle = Fake::new("cycle", 1, &[], &log);
    let prices = Fake::new("prices", 1, &[], &log);
    let scheduler = Scheduler::new(schedule(3_600_000, 300_000), cycle.clone(), prices);
    let done = cycle.done.clone();
    let first_cycle = done.notified();

    let started = Instant::now();
    let report = scheduler.run_until(first_cycle).await;

    assert_eq!(report.cycles.succeeded, 1);
    assert!(Instant::now() - started < Duration::from_secs(1));
}

#[test]
fn periods_are_humantime_strings() {
    assert_eq!(parse_period("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_period("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_period("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_period("1h 30m"), Ok(Duration::from_secs(5400)));
    assert!(parse_period("0s").is_err());
    assert!(parse_period("soon").is_err());
}
