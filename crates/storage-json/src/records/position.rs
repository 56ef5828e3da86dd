//! One entry of `positions[]` in `trades/portfolio.json` (LEGACY-FORMATS
//! §1.5). Legacy positions are always `"open"` and have no `shares`
//! (derived as amount / entry price), `realized_pnl` or `exit_*` fields.

use crate::num::{Num, RecordCtx, time_text};
use domain::{Extra, MarketId, Position, Shares, StoreError, TradeId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PositionRecord {
    pub trade_id: String,
    pub market_id: String,
    #[serde(default)]
    pub market_question: String,
    pub action: String,
    pub amount: Num,
    pub entry_price: Num,
    pub entry_timestamp: String,
    pub status: String,
    #[serde(default)]
    pub current_pnl: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_price: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized_pnl: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_price: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_timestamp: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl PositionRecord {
    pub(crate) fn from_domain(p: &Position) -> Self {
        PositionRecord {
            trade_id: p.trade_id.to_string(),
            market_id: p.market_id.to_string(),
            market_question: p.market_question.clone(),
            action: p.action.as_str().to_owned(),
            amount: p.amount.into(),
            entry_price: p.entry_price.into(),
            entry_timestamp: time_text(p.entry_timestamp),
            status: p.status.as_str().to_owned(),
            current_pnl: p.current_pnl.map(Num::from),
            outcome: p.outcome.clone(),
            shares: Some(p.shares.value().into()),
            current_price: p.current_price.map(Num::from),
            realized_pnl: p.realized_pnl.map(Num::from),
            exit_price: p.exit_price.map(Num::from),
            exit_timestamp: p.exit_timestamp.map(time_text),
            extra: p.extra.clone(),
        }
    }

    pub(crate) fn into_domain(self, ctx: &RecordCtx<'_>) -> Result<Position, StoreError> {
        let amount = ctx.usd("amount", self.amount)?;
        let entry_price = ctx.price("entry_price", self.entry_price)?;
        let shares = match self.shares {
            Some(s) => ctx.shares("shares", s)?,
            None => Shares::bought(amount, entry_price)
                .map_err(|e| ctx.invalid(format!("`shares` cannot be derived: {e}")))?,
        };
        Ok(Position {
            trade_id: TradeId::new(self.trade_id),
            market_id: MarketId::new(self.market_id),
            market_question: self.market_question,
            action: ctx.action(&self.action)?,
            outcome: self.outcome,
            amount,
            entry_price,
            shares,
            entry_timestamp: ctx.time("entry_timestamp", &self.entry_timestamp)?,
            status: ctx.status(&self.status)?,
            current_price: ctx.opt_price("current_price", self.current_price)?,
            current_pnl: ctx.opt_usd("current_pnl", self.current_pnl)?,
            realized_pnl: ctx.opt_usd("realized_pnl", self.realized_pnl)?,
            exit_price: ctx.opt_price("exit_price", self.exit_price)?,
            exit_timestamp: ctx.opt_time("exit_timestamp", self.exit_timestamp.as_deref())?,
            extra: self.extra,
        })
    }
}
