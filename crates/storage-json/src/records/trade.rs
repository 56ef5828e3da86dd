//! `trades/paper_trades.json` (LEGACY-FORMATS §1.6), append-only, keyed by
//! `trade_id` (unique: a second record with a stored id does not load).
//! Legacy trades have no `shares` (derived as amount / price) and a
//! `current_pnl` of 0.0 that was never updated; both are kept as read, and
//! prices and amounts keep every digit they were written with.

use super::{Located, convert_all, read_array, unique_keys};
use crate::append::{Fingerprint, Keyed};
use crate::num::{Num, RecordCtx, time_text};
use domain::time::NaiveZone;
use domain::{EventId, Extra, MarketId, PortfolioId, Shares, StoreError, Trade, TradeId};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TradeRecord {
    pub trade_id: String,
    pub timestamp: String,
    pub market_id: String,
    #[serde(default)]
    pub market_question: String,
    pub action: String,
    pub amount: Num,
    pub entry_price: Num,
    #[serde(default)]
    pub confidence: Option<Num>,
    #[serde(default)]
    pub reason: Option<String>,
    pub status: String,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub event_title: Option<String>,
    #[serde(default)]
    pub event_end_date: Option<String>,
    #[serde(default)]
    pub current_pnl: Option<Num>,
    #[serde(default)]
    pub realized_pnl: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<Num>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl TradeRecord {
    pub(crate) fn from_domain(t: &Trade) -> Self {
        TradeRecord {
            trade_id: t.trade_id.to_string(),
            timestamp: time_text(t.timestamp),
            market_id: t.market_id.to_string(),
            market_question: t.market_question.clone(),
            action: t.action.as_str().to_owned(),
            amount: t.amount.into(),
            entry_price: t.entry_price.into(),
            confidence: Some(t.confidence.into()),
            reason: t.reason.clone(),
            status: t.status.as_str().to_owned(),
            event_id: t.event_id.as_ref().map(ToString::to_string),
            event_title: t.event_title.clone(),
            event_end_date: t.event_end_date.map(time_text),
            current_pnl: t.current_pnl.map(Num::from),
            realized_pnl: t.realized_pnl.map(Num::from),
            outcome: t.outcome.clone(),
            shares: Some(t.shares.value().into()),
            extra: t.extra.clone(),
        }
    }

    pub(crate) fn into_domain(self, ctx: &RecordCtx<'_>) -> Result<Trade, StoreError> {
        let amount = ctx.usd("amount", self.amount)?;
        let entry_price = ctx.price("entry_price", self.entry_price)?;
        let shares = match self.shares {
            Some(s) => ctx.shares("shares", s)?,
            None => Shares::bought(amount, entry_price)
                .map_err(|e| ctx.invalid(format!("`shares` cannot be derived: {e}")))?,
        };
        Ok(Trade {
            trade_id: TradeId::new(self.trade_id),
            portfolio_id: PortfolioId::default(),
            timestamp: ctx.time("timestamp", &self.timestamp)?,
            market_id: MarketId::new(self.market_id),
            market_question: self.market_question,
            action: ctx.action(&self.action)?,
            outcome: self.outcome,
            amount,
            entry_price,
            shares,
            confidence: self
                .confidence
                .map(|c| ctx.confidence("confidence", c))
                .transpose()?
                .unwrap_or_default(),
            reason: self.reason,
            status: ctx.status(&self.status)?,
            event_id: self.event_id.map(EventId::new),
            event_title: self.event_title,
            event_end_date: ctx.opt_time("event_end_date", self.event_end_date.as_deref())?,
            current_pnl: ctx.opt_usd("current_pnl", self.current_pnl)?,
            realized_pnl: ctx.opt_usd("realized_pnl", self.realized_pnl)?,
            extra: self.extra,
        })
    }
}

/// Every trade of the file, checked whole, each `trade_id` once.
pub(crate) fn load(path: &Path, bytes: &[u8], zone: NaiveZone) -> Result<Vec<Trade>, StoreError> {
    convert(path, read_array(path, bytes)?, zone)
}

pub(crate) fn convert(
    path: &Path,
    records: Vec<Located<TradeRecord>>,
    zone: NaiveZone,
) -> Result<Vec<Trade>, StoreError> {
    let location = path.display().to_string();
    unique_keys(&location, &records, |r| r.trade_id.clone())?;
    convert_all(
        &location,
        zone,
        records,
        |_, r| r.trade_id.clone(),
        |r, ctx| r.into_domain(ctx),
    )
}

/// The index scan: every trade's id and the fingerprint of the record
/// Prescient would write for it, so a second trade under a stored id is told
/// apart from a replay of the same one.
pub(crate) fn scan_keys(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
) -> Result<Vec<(String, Fingerprint)>, StoreError> {
    load(path, bytes, zone)?
        .iter()
        .map(|t| {
            let keyed = Keyed::new(t.trade_id.to_string(), &TradeRecord::from_domain(t))?;
            Ok((keyed.key, keyed.fingerprint))
        })
        .collect()
}
