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

use async_trait::async_trait;
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

/// The two jobs, their schedule and the mutex they share.
pub struct Scheduler {
    pub schedule: Schedule,
    pub cycle: Arc<dyn Job>,
    pub prices: Arc<dyn Job>,
    /// Held by every run; share it with anything else that must not overlap.
    pub lock: Arc<Mutex<()>>,
}

impl Scheduler {
    pub fn new(schedule: Schedule, cycle: Arc<dyn Job>, prices: Arc<dyn Job>) -> Self {
        Scheduler {
            schedule,
            cycle,
            prices,
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// Run until `shutdown` completes (see the module docs).
    pub async fn run_until(&self, shutdown: impl Future<Output = ()>) -> ScheduleReport {
        let (stop, stopped) = watch::channel(false);
        let start = Instant::now();
        let cycles = every(
            self.cycle.as_ref(),
            start,
            self.schedule.cycle_every,
            &self.lock,
            stopped.clone(),
        );
        let prices = every(
            self.prices.as_ref(),
            start + self.schedule.prices_every,
            self.schedule.prices_every,
            &self.lock,
            stopped,
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

    /// Run until Ctrl-C.
    pub async fn run_until_ctrl_c(&self) -> ScheduleReport {
        self.run_until(async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                // Without a signal handler the schedule could never stop
                // cleanly; stop now rather than run unstoppable.
                tracing::error!(error = %e, "cannot listen for Ctrl-C");
            }
        })
        .await
    }
}

/// Run `job` at `first`, then every `period`, until `stopped` turns true.
async fn every(
    job: &dyn Job,
    first: Instant,
    period: Duration,
    lock: &Mutex<()>,
    mut stopped: watch::Receiver<bool>,
) -> RunCounts {
    let mut counts = RunCounts::default();
    // A zero period would make `interval` panic; the CLI refuses it too.
    let mut ticks = interval_at(first, period.max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        if *stopped.borrow() {
            return counts;
        }
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return counts,
        }
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
    }
}

/// A full trading cycle as a scheduled job.
pub struct CycleJob {
    pub stores: domain::ports::Stores,
    pub source: Arc<dyn polymarket_client::MarketSource>,
    pub params: crate::CycleParams,
}

#[async_trait]
impl Job for CycleJob {
    fn name(&self) -> &str {
        "cycle"
    }

    async fn run(&self) -> anyhow::Result<String> {
        let summary = crate::run_cycle(&self.stores, self.source.as_ref(), &self.params).await?;
        Ok(format!(
            "{} steps in {} ms",
            summary.steps.len(),
            summary.duration_ms
        ))
    }
}

/// A price update (`prescient update-prices`) as a scheduled job.
pub struct PricesJob {
    pub stores: domain::ports::Stores,
    pub source: Arc<dyn polymarket_client::MarketSource>,
    pub portfolio_id: domain::PortfolioId,
    pub clock: crate::cycle::Clock,
}

#[async_trait]
impl Job for PricesJob {
    fn name(&self) -> &str {
        "update-prices"
    }

    async fn run(&self) -> anyhow::Result<String> {
        let update = crate::prices::update_prices(
            &self.stores,
            self.source.as_ref(),
            &self.portfolio_id,
            (self.clock)(),
        )
        .await?;
        Ok(format!(
            "repriced {}, settled {} (realized {}), undecided {}, unpriced {}",
            update.repriced,
            update.settled.len(),
            update.realized_pnl,
            update.undecided.len(),
            update.unpriced.len()
        ))
    }
}

/// `prescient run --cycle-every 1h --prices-every 5m [--source …] [--store …]`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Time between full cycles (`1h`, `30m`, `90s`).
    #[arg(long, default_value = "1h", value_parser = parse_period)]
    pub cycle_every: Duration,
    /// Time between price updates (`5m`, `30s`).
    #[arg(long, default_value = "5m", value_parser = parse_period)]
    pub prices_every: Duration,
    /// Where market data comes from: `live` (the Gamma API) or `snapshot:DIR`.
    #[arg(long, default_value = "live")]
    pub source: String,
    /// Run on one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = crate::app::StoreChoice::Phase)]
    pub store: crate::app::StoreChoice,
    #[command(flatten)]
    pub filters: crate::filters::FilterOverrides,
}

/// A humantime duration (`1h`, `5m`, `30s`, `1h 30m`), not zero.
pub fn parse_period(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}"))?;
    if d.is_zero() {
        return Err(format!("{s:?}: the period must be longer than zero"));
    }
    Ok(d)
}

pub async fn command(args: RunArgs, settings: crate::Settings) -> anyhow::Result<()> {
    let settings = args.filters.applied_to(&settings)?;
    let source: Arc<dyn polymarket_client::MarketSource> =
        Arc::from(crate::cli::open_source(&args.source.parse()?, &settings)?);
    let params = crate::cli::cycle_params(&settings)?;
    let app = crate::app::App::open(settings, args.store).await?;
    let scheduler = Scheduler::new(
        Schedule {
            cycle_every: args.cycle_every,
            prices_every: args.prices_every,
        },
        Arc::new(CycleJob {
            stores: app.stores.clone(),
            source: source.clone(),
            params: params.clone(),
        }),
        Arc::new(PricesJob {
            stores: app.stores.clone(),
            source,
            portfolio_id: params.portfolio_id.clone(),
            clock: params.clock.clone(),
        }),
    );
    tracing::info!(
        cycle_every = %humantime::format_duration(args.cycle_every),
        prices_every = %humantime::format_duration(args.prices_every),
        "scheduler started; Ctrl-C stops it"
    );
    let report = scheduler.run_until_ctrl_c().await;
    app.flush().await;
    println!(
        "stopped: {} cycles ({} failed), {} price updates ({} failed)",
        report.cycles.succeeded + report.cycles.failed,
        report.cycles.failed,
        report.price_updates.succeeded + report.price_updates.failed,
        report.price_updates.failed
    );
    Ok(())
}
