//! `history/portfolio_history.json` (LEGACY-FORMATS §1.7), append-only,
//! keyed by `timestamp` (an instant appears once). The original's
//! `total_value` (balance + P&L, which is wrong) is kept as stored: history
//! is a record of what was reported.

use super::{Located, convert_all, read_array, unique_keys};
use crate::append::Scanned;
use crate::num::{Num, RecordCtx, time_key, time_text};
use domain::time::NaiveZone;
use domain::{Extra, PortfolioHistoryEntry, PortfolioId, StoreError, Validate};
use serde::de::DeserializeOwned;
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
        portfolio: &PortfolioId,
    ) -> Result<PortfolioHistoryEntry, StoreError> {
        Ok(PortfolioHistoryEntry {
            portfolio_id: portfolio.clone(),
            date: ctx.date("date", &self.date)?,
            timestamp: ctx.time("timestamp", &self.timestamp)?,
            balance: ctx.usd("balance", self.balance)?,
            total_invested: ctx.usd("total_invested", self.total_invested)?,
            total_profit_loss: ctx.usd("total_profit_loss", self.total_profit_loss)?,
            total_value: ctx.usd("total_value", self.total_value)?,
            open_positions: ctx.count("open_positions", self.open_positions)?,
            trade_count: ctx.count("trade_count", self.trade_count)?,
            extra: self.extra,
        })
    }
}

/// A record of a file keyed by one timestamp field.
pub(crate) trait Timestamped {
    fn timestamp(&self) -> &str;
}

impl Timestamped for HistoryRecord {
    fn timestamp(&self) -> &str {
        &self.timestamp
    }
}

/// Every record of a timestamp-keyed file, converted and checked whole, each
/// instant once.
pub(crate) fn convert_timestamped<R: Timestamped, T: Validate>(
    path: &Path,
    records: Vec<Located<R>>,
    zone: NaiveZone,
    convert: impl Fn(R, &RecordCtx<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let location = path.display().to_string();
    unique_keys(&location, &records, |r| time_key(r.timestamp(), zone))?;
    convert_all(
        &location,
        zone,
        records,
        |_, r| r.timestamp().to_owned(),
        convert,
    )
}

/// The index scan of a timestamp-keyed file: every record read and checked
/// as a load does; the keys are canonical instants.
pub(crate) fn scan_timestamp_keys<R, T>(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
    convert: impl Fn(R, &RecordCtx<'_>) -> Result<T, StoreError>,
) -> Result<Scanned, StoreError>
where
    R: Timestamped + DeserializeOwned,
    T: Validate,
{
    let records: Vec<Located<R>> = read_array(path, bytes)?;
    let keys: Vec<String> = records
        .iter()
        .map(|r| time_key(r.record.timestamp(), zone))
        .collect();
    // Every timestamp parses: the check below refuses a file where one does not.
    let newest = records
        .iter()
        .filter_map(|r| domain::time::parse_timestamp(r.record.timestamp(), zone))
        .max();
    convert_timestamped(path, records, zone, convert)?;
    Ok(Scanned {
        keys: keys.into_iter().map(|k| (k, 0)).collect(),
        newest,
    })
}
