//! The scheduled work of a writer process (`prescient run`, and `prescient
//! serve --cycle-every …`): a [`Scheduler`] whose cycle and price-update
//! jobs run on the process's stores with the settings' parameters.

use super::App;
use crate::cycle::CycleParams;
use crate::schedule::{CycleJob, PricesJob, Schedule, Scheduler};
use polymarket_client::MarketSource;
use std::sync::Arc;

/// The scheduler of `app`'s cycles and price updates, holding `lock` for
/// every run (share it with anything else that writes).
pub fn scheduler(
    app: &App,
    source: Arc<dyn MarketSource>,
    params: &CycleParams,
    schedule: Schedule,
    lock: Arc<tokio::sync::Mutex<()>>,
) -> Scheduler {
    Scheduler::sharing(
        schedule,
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
        lock,
    )
}
