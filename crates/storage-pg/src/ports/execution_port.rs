//! [`ExecutionStore`] for [`PgStore`]: the trades, their portfolio and the
//! signal links in one transaction ([`PgStore::record_executions`]); closed
//! positions' trades and their portfolio in another
//! ([`PgStore::record_settlements`]).

use crate::PgStore;
use async_trait::async_trait;
use domain::ports::ExecutionStore;
use domain::{Portfolio, Signal, StoreError, Trade, TradeSettlement};

#[async_trait]
impl ExecutionStore for PgStore {
    async fn record_executions(
        &self,
        trades: &[Trade],
        portfolio: &Portfolio,
        signals: &[Signal],
    ) -> Result<(), StoreError> {
        PgStore::record_executions(self, trades, portfolio, signals).await
    }

    async fn record_settlements(
        &self,
        portfolio: &Portfolio,
        settlements: &[TradeSettlement],
    ) -> Result<(), StoreError> {
        PgStore::record_settlements(self, portfolio, settlements).await
    }
}
