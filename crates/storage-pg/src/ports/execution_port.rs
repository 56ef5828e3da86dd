//! [`ExecutionStore`] for [`PgStore`]: the trade, its portfolio and the
//! signal link in one transaction ([`PgStore::record_execution`]); closed
//! positions' trades and their portfolio in another
//! ([`PgStore::record_settlements`]).

use crate::PgStore;
use async_trait::async_trait;
use domain::ports::ExecutionStore;
use domain::{Portfolio, Signal, StoreError, Trade, TradeSettlement};

#[async_trait]
impl ExecutionStore for PgStore {
    async fn record_execution(
        &self,
        trade: &Trade,
        portfolio: &Portfolio,
        signal: Option<&Signal>,
    ) -> Result<(), StoreError> {
        PgStore::record_execution(self, trade, portfolio, signal).await
    }

    async fn record_settlements(
        &self,
        portfolio: &Portfolio,
        settlements: &[TradeSettlement],
    ) -> Result<(), StoreError> {
        PgStore::record_settlements(self, portfolio, settlements).await
    }
}
