//! `trades/paper_trades.json` (LEGACY-FORMATS §1.6), appended to, keyed by
//! `trade_id` (unique: a second record with a stored id does not load).
//! Legacy trades have no `shares` (derived as amount / price) and a
//! `current_pnl` of 0.0 that was never updated; both are kept as read, and
//! prices and amounts keep every digit they were written with.
//!
//! A record does not name its portfolio (the file's directory does). One
//! without `strategy` (every Python-era record) is the original's
//! [`domain::LEGACY_STRATEGY`]; Prescient writes `strategy` on every record
//! it renders, and `closed_at` once the trade's position has closed.
//!
//! The one change to a stored record is its settlement (`status`,
//! `realized_pnl`, `closed_at`): [`settle`] rewrites that record and leaves
//! every other byte of the file as it was.

use super::{
    Item, Located, SeenKeys, convert_all, convert_one, decode_item, read_array, unique_keys,
};
use crate::append::{Keyed, Scanned};
use crate::fsio;
use crate::num::{Num, RecordCtx, time_text};
use domain::time::NaiveZone;
use domain::{
    EventId, Extra, MarketId, PortfolioId, Shares, StoreError, Trade, TradeId, TradeSettlement,
    Validate,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

mod de;

/// Read by hand ([`de`]), in one pass; written by the derive.
#[derive(Debug, Serialize)]
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
    #[serde(default = "domain::signal::legacy_strategy")]
    pub strategy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
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
            strategy: t.strategy.clone(),
            closed_at: t.closed_at.map(time_text),
            extra: t.extra.clone(),
        }
    }

    pub(crate) fn into_domain(
        self,
        ctx: &RecordCtx<'_>,
        portfolio: &PortfolioId,
    ) -> Result<Trade, StoreError> {
        let amount = ctx.usd("amount", self.amount)?;
        let entry_price = ctx.price("entry_price", self.entry_price)?;
        let shares = match self.shares {
            Some(s) => ctx.shares("shares", s)?,
            None => Shares::bought(amount, entry_price)
                .map_err(|e| ctx.invalid(format!("`shares` cannot be derived: {e}")))?,
        };
        Ok(Trade {
            trade_id: TradeId::new(self.trade_id),
            portfolio_id: portfolio.clone(),
            strategy: self.strategy,
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
            closed_at: ctx.opt_time("closed_at", self.closed_at.as_deref())?,
            extra: self.extra,
        })
    }
}

/// Every trade of the file, checked whole, each `trade_id` once.
pub(crate) fn load(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
    portfolio: &PortfolioId,
) -> Result<Vec<Trade>, StoreError> {
    convert(path, read_array(path, bytes)?, zone, portfolio)
}

pub(crate) fn convert(
    path: &Path,
    records: Vec<Located<TradeRecord>>,
    zone: NaiveZone,
    portfolio: &PortfolioId,
) -> Result<Vec<Trade>, StoreError> {
    let location = path.display().to_string();
    unique_keys(&location, &records, |r| r.trade_id.clone())?;
    convert_all(
        &location,
        zone,
        records,
        |_, r| r.trade_id.clone(),
        |r, ctx| r.into_domain(ctx, portfolio),
    )
}

/// The trades of a file (read whole, its syntax checked: [`chunks`]),
/// decoded and checked as [`load`] does, a chunk at a time as they are
/// pulled. A record that breaks a rule, or repeats an id met before, is
/// the error a load reports, and the last chunk.
pub(crate) struct Chunks {
    location: String,
    path: PathBuf,
    bytes: Vec<u8>,
    items: std::vec::IntoIter<Item>,
    chunk: usize,
    zone: NaiveZone,
    portfolio: PortfolioId,
    seen: SeenKeys,
    failed: bool,
}

/// The trades of the file `bytes` at `path` in chunks of `chunk`, and how
/// many there are.
pub(crate) fn chunks(
    path: &Path,
    bytes: Vec<u8>,
    zone: NaiveZone,
    portfolio: &PortfolioId,
    chunk: usize,
) -> Result<(usize, Chunks), StoreError> {
    let items = super::array_items(path, &bytes)?;
    let total = items.len();
    Ok((
        total,
        Chunks {
            location: path.display().to_string(),
            path: path.to_owned(),
            bytes,
            items: items.into_iter(),
            chunk: chunk.max(1),
            zone,
            portfolio: portfolio.clone(),
            seen: SeenKeys::with_capacity(total),
            failed: false,
        },
    ))
}

impl Chunks {
    fn decode(&mut self, item: &Item) -> Result<Trade, StoreError> {
        let r: Located<TradeRecord> = decode_item(&self.path, &self.bytes, item)?;
        let key = r.record.trade_id.clone();
        self.seen.insert(&self.location, key.clone(), r.line)?;
        let portfolio = &self.portfolio;
        convert_one(&self.location, self.zone, r, key, |r, ctx| {
            r.into_domain(ctx, portfolio)
        })
    }
}

impl Iterator for Chunks {
    type Item = Result<Vec<Trade>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let mut out = Vec::with_capacity(self.chunk.min(self.items.len()));
        while out.len() < self.chunk {
            let Some(item) = self.items.next() else {
                break;
            };
            match self.decode(&item) {
                Ok(t) => out.push(t),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        (!out.is_empty()).then_some(Ok(out))
    }
}

/// `t` as an append writes it: its record, keyed by `trade_id`, with the
/// fingerprint of the trade *as executed* — so a replay of a trade whose
/// record has settled since is the same trade, and a different trade under
/// its id is a conflict.
pub(crate) fn keyed(t: &Trade) -> Result<Keyed, StoreError> {
    let key = t.trade_id.to_string();
    let fingerprint = Keyed::new(key.clone(), &TradeRecord::from_domain(&t.as_executed()))?;
    let mut keyed = Keyed::new(key, &TradeRecord::from_domain(t))?;
    keyed.fingerprint = fingerprint.fingerprint;
    Ok(keyed)
}

/// The index scan: every trade's id and its fingerprint ([`keyed`]).
pub(crate) fn scan_keys(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
    portfolio: &PortfolioId,
) -> Result<Scanned, StoreError> {
    let keys = load(path, bytes, zone, portfolio)?
        .iter()
        .map(|t| {
            let keyed = keyed(t)?;
            Ok((keyed.key, keyed.fingerprint))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Scanned { keys, newest: None })
}

/// What settling a trade in a file comes to.
pub(crate) enum Settled {
    /// No record of that trade in the file.
    NotFound,
    /// The record already holds the settlement: nothing to write.
    Unchanged,
    /// The file's new bytes: the one record rewritten, every other byte kept.
    Rewritten(Vec<u8>),
}

/// A record's id, read without the rest of it.
#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    trade_id: Cow<'a, str>,
}

/// Settle the record of `settlement.trade_id` in the trade file `bytes`:
/// the record is read and checked as a load does, given the settlement,
/// checked again and rendered in its place (indented like an append). The
/// rest of the file — every other record, as the Python system or an append
/// wrote it — is copied byte for byte. Reading every record whole is left
/// to a load; only a file that does not parse, or a record that does not
/// name its id, sends this through a full load for the error it reports.
pub(crate) fn settle(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
    portfolio: &PortfolioId,
    settlement: &TradeSettlement,
) -> Result<Settled, StoreError> {
    let items: Vec<&RawValue> = fsio::parse(path, bytes)?;
    let mut found = None;
    for raw in &items {
        let Ok(record) = serde_json::from_str::<IdOnly<'_>>(raw.get()) else {
            // The full load names file, line and field.
            load(path, bytes, zone, portfolio)?;
            return Err(StoreError::Corrupt {
                path: path.display().to_string(),
                line: 0,
                column: 0,
                message: "a trade record without a readable `trade_id`".into(),
            });
        };
        if record.trade_id == settlement.trade_id.as_str() {
            if found.is_some() {
                // Stored twice: the load reports both lines.
                load(path, bytes, zone, portfolio)?;
            }
            found = Some(*raw);
        }
    }
    let Some(raw) = found else {
        return Ok(Settled::NotFound);
    };
    let text = raw.get();
    let start = (text.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
    let end = start.saturating_add(text.len());
    let (Some(before), Some(after)) = (bytes.get(..start), bytes.get(end..)) else {
        return Err(StoreError::Corrupt {
            path: path.display().to_string(),
            line: 0,
            column: start,
            message: "a trade record outside the file".into(),
        });
    };
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let location = path.display().to_string();
    let ctx = RecordCtx {
        location: &location,
        line: Some(line),
        key: settlement.trade_id.to_string(),
        zone,
    };
    let record: TradeRecord = serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        path: location.clone(),
        line,
        column: 0,
        message: fsio::serde_message(&e),
    })?;
    let stored = ctx.validate(record.into_domain(&ctx, portfolio)?)?;
    let settled = stored.settled(settlement);
    if settled == stored {
        return Ok(Settled::Unchanged);
    }
    settled
        .validate()
        .map_err(|e| ctx.invalid(format!("cannot be settled so: {e}")))?;
    // Indented as an item already; its first line's indent is in `before`.
    let keyed = keyed(&settled)?;
    let json = keyed.json.trim_start();
    let mut out = Vec::with_capacity(bytes.len() + json.len());
    let written = out
        .write_all(before)
        .and_then(|()| out.write_all(json.as_bytes()))
        .and_then(|()| out.write_all(after));
    written.map_err(|e| fsio::io_error(format!("cannot rewrite {location}"), e))?;
    Ok(Settled::Rewritten(out))
}
