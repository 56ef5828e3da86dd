//! The scheduled work of a writer process (`prescient run`, and `prescient
//! serve --cycle-every …`): a [`Scheduler`] whose cycle and price-update
//! jobs run on the process's stores with the settings' parameters.

use super::App;
use crate::cycle::CycleParams;
use crate::schedule::{CycleJob, PricesJob, Schedule, Scheduler};
use polymarket_client::MarketSource;
use std::sync::Arc;

/// The scheduler of `app`'s cycles and price updates of every portfolio of
/// `all`, holding `lock` for every run (share it with anything else that
/// writes).
pub fn scheduler(
    app: &App,
    source: Arc<dyn MarketSource>,
    all: &[CycleParams],
    schedule: Schedule,
    lock: Arc<tokio::sync::Mutex<()>>,
) -> Scheduler {
    Scheduler::sharing(
        schedule,
        Arc::new(CycleJob {
            stores: app.stores.clone(),
            source: source.clone(),
            params: all.to_vec(),
        }),
        Arc::new(prices_job(app, source, all)),
        lock,
    )
}

/// The price updates of every portfolio of `all`, each with its exits.
pub fn prices_job(app: &App, source: Arc<dyn MarketSource>, all: &[CycleParams]) -> PricesJob {
    PricesJob {
        stores: app.stores.clone(),
        source,
        portfolios: all
            .iter()
            .map(|p| (p.portfolio_id.clone(), p.exits))
            .collect(),
        clock: all
            .first()
            .map_or_else(crate::cycle::system_clock, |p| p.clock.clone()),
    }
}
