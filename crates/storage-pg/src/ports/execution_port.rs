//! [`ExecutionStore`] for [`PgStore`]: the trade, its portfolio and the
//! signal link in one transaction ([`PgStore::record_execution`]).

use crate::PgStore;
use async_trait::async_trait;
use domain::ports::ExecutionStore;
use domain::{Portfolio, Signal, StoreError, Trade};

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
}
