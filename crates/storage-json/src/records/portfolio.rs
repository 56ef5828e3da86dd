//! `trades/portfolio.json` (LEGACY-FORMATS §1.5), of the default portfolio
//! or, in the same shape, of one under `portfolios/<id>/` (the file does
//! not name its portfolio: its directory does).
//! Legacy files have no `initial_balance`: it is derived from the invariant
//! (`Portfolio::implied_initial_balance`). When the file states one, the
//! invariant is checked on load.

use super::position::PositionRecord;
use crate::num::{Num, RecordCtx, time_text};
use domain::{Extra, Portfolio, PortfolioId, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PortfolioRecord {
    pub balance: Num,
    #[serde(default)]
    pub positions: Vec<PositionRecord>,
    pub total_invested: Num,
    pub total_profit_loss: Num,
    pub trade_count: Num,
    pub created_at: String,
    pub last_updated: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_price_update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_balance: Option<Num>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl PortfolioRecord {
    pub(crate) fn from_domain(p: &Portfolio) -> Self {
        PortfolioRecord {
            balance: p.balance.into(),
            positions: p
                .positions
                .iter()
                .map(PositionRecord::from_domain)
                .collect(),
            total_invested: p.total_invested.into(),
            total_profit_loss: p.total_profit_loss.into(),
            trade_count: Num(p.trade_count.into()),
            created_at: time_text(p.created_at),
            last_updated: time_text(p.last_updated),
            last_price_update: p.last_price_update.map(time_text),
            initial_balance: Some(p.initial_balance.into()),
            extra: p.extra.clone(),
        }
    }

    pub(crate) fn into_domain(
        self,
        ctx: &RecordCtx<'_>,
        portfolio: &PortfolioId,
    ) -> Result<Portfolio, StoreError> {
        let positions = self
            .positions
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let key = format!("{} positions[{i}] ({})", ctx.key, p.trade_id);
                let inner = RecordCtx {
                    location: ctx.location,
                    line: ctx.line,
                    key,
                    zone: ctx.zone,
                };
                p.into_domain(&inner)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let balance = ctx.usd("balance", self.balance)?;
        let mut portfolio = Portfolio {
            id: portfolio.clone(),
            initial_balance: balance,
            balance,
            positions,
            total_invested: ctx.usd("total_invested", self.total_invested)?,
            total_profit_loss: ctx.usd("total_profit_loss", self.total_profit_loss)?,
            trade_count: ctx.count("trade_count", self.trade_count)?,
            created_at: ctx.time("created_at", &self.created_at)?,
            last_updated: ctx.time("last_updated", &self.last_updated)?,
            last_price_update: ctx
                .opt_time("last_price_update", self.last_price_update.as_deref())?,
            extra: self.extra,
        };
        match self.initial_balance {
            Some(initial) => {
                portfolio.initial_balance = ctx.usd("initial_balance", initial)?;
                portfolio
                    .check_invariant()
                    .map_err(|e| ctx.invalid(e.to_string()))?;
            }
            None => {
                portfolio.initial_balance = portfolio.implied_initial_balance();
                if !portfolio.initial_balance.is_storable() {
                    return Err(ctx.invalid(format!(
                        "the initial balance it implies ({}) is too large",
                        portfolio.initial_balance
                    )));
                }
                // Holds by construction but for a negative balance.
                portfolio
                    .check_invariant()
                    .map_err(|e| ctx.invalid(e.to_string()))?;
            }
        }
        ctx.validate(portfolio)
    }
}
