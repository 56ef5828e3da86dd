//! `prescient run`: full cycles every `cycle_every` and price updates every
//! `prices_every` (SPEC §7), until Ctrl-C or a shutdown future.
//!
//! Semantics:
//! - **Never overlapping.** Every job runs while holding one async mutex
//!   ([`Scheduler::lock`]; anything else that writes the portfolio, such as an
//!   API action, can share it). A job that falls due while the other runs
//!   *waits* for it and then runs (the mutex is fair, first come first
//!   served). Ticks missed meanwhile are skipped, not replayed: at most one
//!   run per job is ever pending.
//! - **First runs.** The first cycle runs at once; the first price update one
//!   `prices_every` later (a cycle re-prices in its step 6 anyway).
//! - **Failures.** A failed run is logged and counted; the schedule goes on.
//! - **Stopping.** When the shutdown future completes, no new run starts; a
//!   running job finishes first (it holds the portfolio mid-write), a job
//!   waiting for the mutex gives up.
//! - **Due times.** [`Scheduler::due`] tells when each job runs next (the
//!   dashboard shows it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// One kind of scheduled work (a cycle, a price update). Tests pass fakes.
#[async_trait]
pub trait Job: Send + Sync {
    /// What the logs call it.
    fn name(&self) -> &str;
    /// Run once; `Ok` carries a one-line summary for the log.
    async fn run(&self) -> anyhow::Result<String>;
}

/// How often each job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub cycle_every: Duration,
    pub prices_every: Duration,
}

/// Runs of one job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    pub succeeded: u64,
    pub failed: u64,
}

/// What a scheduler did before it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScheduleReport {
    pub cycles: RunCounts,
    pub price_updates: RunCounts,
}

/// When each job runs next; `None` while it runs or once stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Due {
    pub cycle_every_s: u64,
    pub prices_every_s: u64,
    pub next_cycle_at: Option<DateTime<Utc>>,
    pub next_prices_at: Option<DateTime<Utc>>,
}

/// A cheap handle on a scheduler's [`Due`] times.
#[derive(Clone, Debug, Default)]
pub struct DueHandle(Arc<std::sync::Mutex<Due>>);

impl DueHandle {
    pub fn get(&self) -> Due {
        self.0.lock().map(|d| *d).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut Due)) {
        if let Ok(mut d) = self.0.lock() {
            f(&mut d);
        }
    }
}

/// The two jobs, their schedule and the mutex they share.
pub struct Scheduler {
    pub schedule: Schedule,
    pub cycle: Arc<dyn Job>,
    pub prices: Arc<dyn Job>,
    /// Held by every run; share it with anything else that must not overlap.
    pub lock: Arc<Mutex<()>>,
    due: DueHandle,
}

impl Scheduler {
    pub fn new(schedule: Schedule, cycle: Arc<dyn Job>, prices: Arc<dyn Job>) -> Self {
        Self::sharing(schedule, cycle, prices, Arc::new(Mutex::new(())))
    }

    /// A scheduler whose runs hold `lock`, shared with other writers (the
    /// HTTP actions of `serve`).
    pub fn sharing(
        schedule: Schedule,
        cycle: Arc<dyn Job>,
        prices: Arc<dyn Job>,
        lock: Arc<Mutex<()>>,
    ) -> Self {
        let due = DueHandle::default();
        due.update(|d| {
            d.cycle_every_s = schedule.cycle_every.as_secs();
            d.prices_every_s = schedule.prices_every.as_secs();
        });
        Scheduler {
            schedule,
            cycle,
            prices,
            lock,
            due,
        }
    }

    /// When each job runs next.
    pub fn due(&self) -> DueHandle {
        self.due.clone()
    }

    /// Run until `shutdown` completes (see the module docs).
    pub async fn run_until(&self, shutdown: impl Future<Output = ()>) -> ScheduleReport {
        let (stop, stopped) = watch::channel(false);
        let start = Instant::now();
        let cycle_due = |at: Option<DateTime<Utc>>| self.due.update(|d| d.next_cycle_at = at);
        let prices_due = |at: Option<DateTime<Utc>>| self.due.update(|d| d.next_prices_at = at);
        let cycles = every(
            self.cycle.as_ref(),
            start,
            self.schedule.cycle_every,
            &self.lock,
            stopped.clone(),
            &cycle_due,
        );
        let prices = every(
            self.prices.as_ref(),
            start + self.schedule.prices_every,
            self.schedule.prices_every,
            &self.lock,
            stopped,
            &prices_due,
        );
        let signal = async {
            shutdown.await;
            tracing::info!("shutting down: letting the running job finish");
            // The receivers live until both loops return.
            let _ = stop.send(true);
        };
        let (cycles, price_updates, ()) = tokio::join!(cycles, prices, signal);
        ScheduleReport {
            cycles,
            price_updates,
        }
    }

    /// Run until Ctrl-C or SIGTERM.
    pub async fn run_until_signalled(&self) -> ScheduleReport {
        self.run_until(shutdown_signal()).await
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM (`systemctl stop`, `docker
/// stop`), whichever comes first. If a handler cannot be installed it
/// completes at once: stopping cleanly beats running unstoppable.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => tracing::error!(error = %e, "cannot listen for SIGTERM"),
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: stopping"),
        () = term => tracing::info!("SIGTERM: stopping"),
    }
}

/// `at` as a UTC time, from a monotonic instant.
fn wall_time(at: Instant) -> DateTime<Utc> {
    let ahead = at.saturating_duration_since(Instant::now());
    Utc::now() + chrono::Duration::from_std(ahead).unwrap_or_default()
}

/// Run `job` at `first`, then every `period`, until `stopped` turns true.
async fn every(
    job: &dyn Job,
    first: Instant,
    period: Duration,
    lock: &Mutex<()>,
    mut stopped: watch::Receiver<bool>,
    publish: &(dyn Fn(Option<DateTime<Utc>>) + Sync),
) -> RunCounts {
    let mut counts = RunCounts::default();
    // A zero period would make `interval` panic; the CLI refuses it too.
    let period = period.max(Duration::from_millis(1));
    let mut ticks = interval_at(first, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut next = first;
    loop {
        if *stopped.borrow() {
            publish(None);
            return counts;
        }
        publish(Some(wall_time(next)));
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => {
                publish(None);
                return counts;
            }
        }
        publish(None);
        let guard = tokio::select! {
            guard = lock.lock() => guard,
            _ = stopped.changed() => return counts,
        };
        // Not raced against the shutdown: a started job always finishes.
        let started = Instant::now();
        match job.run().await {
            Ok(summary) => {
                counts.succeeded += 1;
                tracing::info!(job = job.name(), elapsed = ?started.elapsed(), %summary, "run finished");
            }
            Err(e) => {
                counts.failed += 1;
                tracing::error!(
                    job = job.name(),
                    error = format!("{e:#}"),
                    failed = counts.failed,
                    "run failed; the schedule goes on"
                );
            }
        }
        drop(guard);
        // Skipped ticks are not replayed: the next one after now.
        let now = Instant::now();
        while next <= now {
            next += period;
        }
    }
}

/// A full trading cycle of every live portfolio (the crawl shared) as a
/// scheduled job.
pub struct CycleJob {
    pub stores: domain::ports::Stores,
    pub source: Arc<dyn polymarket_client::MarketSource>,
    pub params: Vec<crate::CycleParams>,
}

#[async_trait]
impl Job for CycleJob {
    fn name(&self) -> &str {
        "cycle"
    }

    async fn run(&self) -> anyhow::Result<String> {
        let results =
            crate::cycle::run_cycles(&self.stores, self.source.as_ref(), &self.params).await;
        let mut report = PortfolioReport::default();
        for (id, result) in results {
            match result {
                Ok(s) => report.done(
                    &id,
                    format!("{} steps in {} ms", s.steps.len(), s.duration_ms),
                ),
                Err(e) => report.failed(&id, e),
            }
        }
        report.finish()
    }
}

/// What a job over every live portfolio did: a line per portfolio, and the
/// job fails naming every portfolio that failed.
#[derive(Default)]
struct PortfolioReport {
    lines: Vec<String>,
    failed: Vec<String>,
}

impl PortfolioReport {
    fn done(&mut self, id: &domain::PortfolioId, line: String) {
        self.lines.push(format!("{id}: {line}"));
    }

    fn failed(&mut self, id: &domain::PortfolioId, error: impl std::fmt::Display) {
        self.failed.push(format!("{id}: {error}"));
    }

    fn finish(self) -> anyhow::Result<String> {
        if !self.failed.is_empty() {
            anyhow::bail!("{}", self.failed.join("; "));
        }
        Ok(self.lines.join("; "))
    }
}

/// A price update of every live portfolio (`prescient update-prices`, each
/// with its exit rules) as a scheduled job.
pub struct PricesJob {
    pub stores: domain::ports::Stores,
    pub source: Arc<dyn polymarket_client::MarketSource>,
    pub portfolios: Vec<(domain::PortfolioId, crate::prices::Exits)>,
    pub clock: crate::cycle::Clock,
}

#[async_trait]
impl Job for PricesJob {
    fn name(&self) -> &str {
        "update-prices"
    }

    async fn run(&self) -> anyhow::Result<String> {
        let mut report = PortfolioReport::default();
        for (id, exits) in &self.portfolios {
            match crate::prices::update_prices_with(
                &self.stores,
                self.source.as_ref(),
                id,
                (self.clock)(),
                exits,
            )
            .await
            {
                Ok(update) => report.done(
                    id,
                    format!(
                        "repriced {}, settled {}, exited {} (realized {}), undecided {}, unpriced {}",
                    update.repriced,
                    update.settled.len(),
                    update.exits.len(),
                    update.realized_pnl,
                    update.undecided.len(),
                        update.unpriced.len()
                    ),
                ),
                // Before a portfolio's first cycle there is nothing to price.
                Err(crate::prices::PriceError::NoPortfolio(_)) => {}
                Err(e) => report.failed(id, e),
            }
        }
        report.finish()
    }
}

/// A humantime duration (`1h`, `5m`, `30s`, `1h 30m`), not zero.
pub fn parse_period(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}"))?;
    if d.is_zero() {
        return Err(format!("{s:?}: the period must be longer than zero"));
    }
    Ok(d)
}
