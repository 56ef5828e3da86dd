//! `history/portfolio_snapshots.json`: new in Prescient (the original ignores
//! it), append-only, keyed by `timestamp`; the default portfolio only.

use super::history::Timestamped;
use crate::num::{Num, RecordCtx, time_text};
use domain::{Extra, PortfolioId, PortfolioSnapshot, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PortfolioSnapshotRecord {
    pub timestamp: String,
    pub balance: Num,
    pub total_invested: Num,
    pub total_profit_loss: Num,
    pub trade_count: Num,
    #[serde(flatten)]
    pub extra: Extra,
}

impl PortfolioSnapshotRecord {
    pub(crate) fn from_domain(s: &PortfolioSnapshot) -> Self {
        PortfolioSnapshotRecord {
            timestamp: time_text(s.timestamp),
            balance: s.balance.into(),
            total_invested: s.total_invested.into(),
            total_profit_loss: s.total_profit_loss.into(),
            trade_count: Num(s.trade_count.into()),
            extra: Extra::new(),
        }
    }

    pub(crate) fn into_domain(
        self,
        ctx: &RecordCtx<'_>,
        portfolio: &PortfolioId,
    ) -> Result<PortfolioSnapshot, StoreError> {
        Ok(PortfolioSnapshot {
            portfolio_id: portfolio.clone(),
            timestamp: ctx.time("timestamp", &self.timestamp)?,
            balance: ctx.usd("balance", self.balance)?,
            total_invested: ctx.usd("total_invested", self.total_invested)?,
            total_profit_loss: ctx.usd("total_profit_loss", self.total_profit_loss)?,
            trade_count: ctx.count("trade_count", self.trade_count)?,
        })
    }
}

impl Timestamped for PortfolioSnapshotRecord {
    fn timestamp(&self) -> &str {
        &self.timestamp
    }
}
