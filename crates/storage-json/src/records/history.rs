//! `history/portfolio_history.json` (LEGACY-FORMATS §1.7), append-only,
//! keyed by `timestamp`. The original's `total_value` (balance + P&L, which
//! is wrong) is kept as stored: history is a record of what was reported.

use crate::num::{Num, RecordCtx, time_key, time_text, usd};
use domain::time::NaiveZone;
use domain::{Extra, PortfolioHistoryEntry, PortfolioId, StoreError};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct HistoryRecord {
    pub date: String,
    pub timestamp: String,
    pub balance: Num,
    pub total_invested: Num,
    pub total_profit_loss: Num,
    pub total_value: Num,
    pub open_positions: Num,
    pub trade_count: Num,
    #[serde(flatten)]
    pub extra: Extra,
}

impl HistoryRecord {
    pub(crate) fn from_domain(e: &PortfolioHistoryEntry) -> Self {
        HistoryRecord {
            date: e.date.format("%Y-%m-%d").to_string(),
            timestamp: time_text(e.timestamp),
            balance: e.balance.into(),
            total_invested: e.total_invested.into(),
            total_profit_loss: e.total_profit_loss.into(),
            total_value: e.total_value.into(),
            open_positions: Num(e.open_positions.into()),
            trade_count: Num(e.trade_count.into()),
            extra: e.extra.clone(),
        }
    }

    pub(crate) fn into_domain(
        self,
        ctx: &RecordCtx<'_>,
    ) -> Result<PortfolioHistoryEntry, StoreError> {
        Ok(PortfolioHistoryEntry {
            portfolio_id: PortfolioId::default(),
            date: ctx.date("date", &self.date)?,
            timestamp: ctx.time("timestamp", &self.timestamp)?,
            balance: usd(self.balance),
            total_invested: usd(self.total_invested),
            total_profit_loss: usd(self.total_profit_loss),
            total_value: usd(self.total_value),
            open_positions: ctx.count("open_positions", self.open_positions)?,
            trade_count: ctx.count("trade_count", self.trade_count)?,
            extra: self.extra,
        })
    }
}

#[derive(Deserialize)]
struct TimestampKey {
    timestamp: String,
}

/// Keys of a file of records keyed by `timestamp`, canonicalized.
pub(crate) fn scan_timestamp_keys(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
) -> Result<Vec<String>, StoreError> {
    let keys: Vec<TimestampKey> = crate::fsio::parse(path, bytes)?;
    Ok(keys
        .into_iter()
        .map(|k| time_key(&k.timestamp, zone))
        .collect())
}
