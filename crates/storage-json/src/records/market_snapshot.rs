//! `markets/market_snapshots.json`: new in Prescient (the original ignores
//! it), append-only, keyed by (`market_id`, `timestamp`).

use crate::num::{Num, RecordCtx, time_key, time_text, usd};
use domain::money::round_dp;
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
            liquidity: self.liquidity.map(usd),
            volume: self.volume.map(usd),
            volume_24hr: self.volume_24hr.map(usd),
            conviction: self.conviction.map(|c| round_dp(c.0, 6)),
        })
    }
}

/// The natural key of a snapshot: market and canonical timestamp.
pub(crate) fn key(market_id: &str, timestamp: &str, zone: NaiveZone) -> String {
    format!("{market_id}@{}", time_key(timestamp, zone))
}

#[derive(Deserialize)]
struct SnapshotKey {
    market_id: String,
    timestamp: String,
}

pub(crate) fn scan_keys(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
) -> Result<Vec<String>, StoreError> {
    let keys: Vec<SnapshotKey> = crate::fsio::parse(path, bytes)?;
    Ok(keys
        .into_iter()
        .map(|k| key(&k.market_id, &k.timestamp, zone))
        .collect())
}
