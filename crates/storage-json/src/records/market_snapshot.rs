//! `markets/market_snapshots.json`: new in Prescient (the original ignores
//! it), append-only, keyed by (`market_id`, `timestamp`).

use super::{Located, convert_all, read_array, unique_keys};
use crate::append::Scanned;
use crate::num::{Num, RecordCtx, time_key, time_text};
use domain::money::exact_confidence;
use domain::time::NaiveZone;
use domain::{Extra, MarketId, MarketSnapshot, StoreError};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct MarketSnapshotRecord {
    pub market_id: String,
    pub timestamp: String,
    #[serde(default)]
    pub yes_price: Option<Num>,
    #[serde(default)]
    pub no_price: Option<Num>,
    #[serde(default)]
    pub liquidity: Option<Num>,
    #[serde(default)]
    pub volume: Option<Num>,
    #[serde(default)]
    pub volume_24hr: Option<Num>,
    #[serde(default)]
    pub conviction: Option<Num>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl MarketSnapshotRecord {
    pub(crate) fn from_domain(s: &MarketSnapshot) -> Self {
        MarketSnapshotRecord {
            market_id: s.market_id.to_string(),
            timestamp: time_text(s.timestamp),
            yes_price: s.yes_price.map(Num::from),
            no_price: s.no_price.map(Num::from),
            liquidity: s.liquidity.map(Num::from),
            volume: s.volume.map(Num::from),
            volume_24hr: s.volume_24hr.map(Num::from),
            conviction: s.conviction.map(Num::from),
            extra: Extra::new(),
        }
    }

    pub(crate) fn into_domain(self, ctx: &RecordCtx<'_>) -> Result<MarketSnapshot, StoreError> {
        Ok(MarketSnapshot {
            market_id: MarketId::new(self.market_id),
            timestamp: ctx.time("timestamp", &self.timestamp)?,
            yes_price: ctx.opt_price("yes_price", self.yes_price)?,
            no_price: ctx.opt_price("no_price", self.no_price)?,
            liquidity: ctx.opt_usd("liquidity", self.liquidity)?,
            volume: ctx.opt_usd("volume", self.volume)?,
            volume_24hr: ctx.opt_usd("volume_24hr", self.volume_24hr)?,
            conviction: self
                .conviction
                .map(|c| {
                    exact_confidence(c.0).map_err(|e| ctx.invalid(format!("`conviction` {e}")))
                })
                .transpose()?,
        })
    }
}

/// The natural key of a snapshot: market and canonical timestamp.
pub(crate) fn key(market_id: &str, timestamp: &str, zone: NaiveZone) -> String {
    format!("{market_id}@{}", time_key(timestamp, zone))
}

/// Every snapshot of the file, checked whole, each (market, instant) once.
pub(crate) fn convert(
    path: &Path,
    records: Vec<Located<MarketSnapshotRecord>>,
    zone: NaiveZone,
) -> Result<Vec<MarketSnapshot>, StoreError> {
    let location = path.display().to_string();
    unique_keys(&location, &records, |r| {
        key(&r.market_id, &r.timestamp, zone)
    })?;
    convert_all(
        &location,
        zone,
        records,
        |_, r| format!("{}@{}", r.market_id, r.timestamp),
        |r, ctx| r.into_domain(ctx),
    )
}

pub(crate) fn scan_keys(path: &Path, bytes: &[u8], zone: NaiveZone) -> Result<Scanned, StoreError> {
    let records: Vec<Located<MarketSnapshotRecord>> = read_array(path, bytes)?;
    let keys: Vec<String> = records
        .iter()
        .map(|r| key(&r.record.market_id, &r.record.timestamp, zone))
        .collect();
    let snapshots = convert(path, records, zone)?;
    Ok(Scanned {
        keys: keys.into_iter().map(|k| (k, 0)).collect(),
        newest: snapshots.iter().map(|s| s.timestamp).max(),
    })
}
