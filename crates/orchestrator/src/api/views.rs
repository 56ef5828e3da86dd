//! Domain records as the API shows them: the original services' field names
//! (LEGACY-FORMATS §1), money and prices as JSON numbers as the original wrote
//! them, timestamps in RFC 3339 UTC. Fields the original did not have
//! (`shares`, `total_value`, `realized_pnl`…) are added beside them.

use chrono::{DateTime, Utc};
use domain::time::format_timestamp;
use domain::{Market, Portfolio, PortfolioHistoryEntry, Position, Price, Signal, Trade, Usd};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Number, Value, json};

/// A decimal as a JSON number: an integer when it has no fraction (the
/// original's `"amount": 100`), otherwise the nearest float.
pub fn num(d: Decimal) -> Value {
    if d.fract().is_zero()
        && let Ok(i) = d.trunc().to_string().parse::<i64>()
    {
        return Value::from(i);
    }
    d.to_string()
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

pub fn usd(u: Usd) -> Value {
    num(u.value())
}

pub fn price(p: Price) -> Value {
    num(p.value())
}

pub fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map_or(Value::Null, f)
}

pub fn time(t: DateTime<Utc>) -> Value {
    Value::String(format_timestamp(t))
}

pub fn position(p: &Position) -> Value {
    json!({
        "trade_id": p.trade_id.as_str(),
        "market_id": p.market_id.as_str(),
        "market_question": p.market_question,
        "action": p.action.as_str(),
        "outcome": p.outcome,
        "amount": usd(p.amount),
        "entry_price": price(p.entry_price),
        "shares": num(p.shares.value()),
        "entry_timestamp": time(p.entry_timestamp),
        "status": p.status.as_str(),
        "current_price": opt(p.current_price, price),
        "current_pnl": opt(p.current_pnl, usd),
        "mark_value": usd(p.mark_value()),
        "realized_pnl": opt(p.realized_pnl, usd),
        "exit_price": opt(p.exit_price, price),
        "exit_timestamp": opt(p.exit_timestamp, time),
    })
}

pub fn portfolio(p: &Portfolio) -> Value {
    json!({
        "portfolio_id": p.id.as_str(),
        "balance": usd(p.balance),
        "initial_balance": usd(p.initial_balance),
        "total_value": usd(p.total_value()),
        "total_invested": usd(p.total_invested),
        "total_profit_loss": usd(p.total_profit_loss),
        "realized_pnl": usd(p.realized_pnl()),
        "unrealized_pnl": usd(p.unrealized_pnl()),
        "trade_count": p.trade_count,
        "open_positions": p.open_positions().count(),
        "positions": p.positions.iter().map(position).collect::<Vec<_>>(),
        "created_at": time(p.created_at),
        "last_updated": time(p.last_updated),
        "last_price_update": opt(p.last_price_update, time),
    })
}

pub fn trade(t: &Trade) -> Value {
    json!({
        "trade_id": t.trade_id.as_str(),
        "timestamp": time(t.timestamp),
        "market_id": t.market_id.as_str(),
        "market_question": t.market_question,
        "action": t.action.as_str(),
        "outcome": t.outcome,
        "amount": usd(t.amount),
        "entry_price": price(t.entry_price),
        "shares": num(t.shares.value()),
        "confidence": num(t.confidence),
        "reason": t.reason,
        "status": t.status.as_str(),
        "event_id": t.event_id.as_ref().map(|e| e.as_str()),
        "event_title": t.event_title,
        "event_end_date": opt(t.event_end_date, time),
        "current_pnl": opt(t.current_pnl, usd),
        "realized_pnl": opt(t.realized_pnl, usd),
    })
}

pub fn signal(s: &Signal) -> Value {
    json!({
        "timestamp": time(s.timestamp),
        "market_id": s.market_id.as_str(),
        "market_question": s.market_question,
        "action": s.action.as_str(),
        "outcome": s.outcome,
        "target_price": price(s.target_price),
        "amount": usd(s.amount),
        "confidence": num(s.confidence),
        "reason": s.reason,
        "yes_price": price(s.yes_price),
        "no_price": price(s.no_price),
        "market_liquidity": opt(s.market_liquidity, usd),
        "market_volume": opt(s.market_volume, usd),
        "event_id": s.event_id.as_ref().map(|e| e.as_str()),
        "event_title": s.event_title,
        "event_end_date": opt(s.event_end_date, time),
        "executed": s.executed,
        "executed_at": opt(s.executed_at, time),
        "trade_id": s.trade_id.as_ref().map(|t| t.as_str()),
        // Beyond the original's fields: whose signal it is.
        "portfolio": s.portfolio_id.as_str(),
        "strategy": s.strategy,
    })
}

pub fn history_entry(h: &PortfolioHistoryEntry) -> Value {
    json!({
        "date": h.date.format("%Y-%m-%d").to_string(),
        "timestamp": time(h.timestamp),
        "balance": usd(h.balance),
        "total_invested": usd(h.total_invested),
        "total_profit_loss": usd(h.total_profit_loss),
        "total_value": usd(h.total_value),
        "open_positions": h.open_positions,
        "trade_count": h.trade_count,
    })
}

/// A market as the original served it (the Gamma object verbatim, which
/// carries the event context once the cycle added it), with the prices
/// Prescient read from it.
pub fn market(m: &Market) -> Value {
    // Served as a tree; text a tree cannot hold (a number beyond f64) is served as `{}`.
    let mut raw = m.raw.to_object().unwrap_or_default();
    raw.entry("id")
        .or_insert_with(|| Value::String(m.id.as_str().to_owned()));
    raw.insert("yes_price".into(), opt(m.yes_price(), price));
    raw.insert("no_price".into(), opt(m.no_price(), price));
    raw.insert("market_conviction".into(), opt(m.conviction(), num));
    if let Some(e) = &m.event {
        raw.insert(
            "event_id".into(),
            Value::String(e.event_id.as_str().to_owned()),
        );
        raw.insert("event_title".into(), Value::String(e.event_title.clone()));
        raw.insert("event_end_date".into(), opt(e.event_end_date, time));
    }
    Value::Object(raw)
}

/// `?limit=&offset=` of a paged list.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paging {
    pub limit: usize,
    pub offset: usize,
    /// `?portfolio=ID` (default `default`).
    pub portfolio: Option<String>,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            limit: 50,
            offset: 0,
            portfolio: None,
        }
    }
}

impl Paging {
    pub const MAX_LIMIT: usize = 1000;

    /// The limit as applied: at least 1, at most [`Self::MAX_LIMIT`].
    pub fn limit(&self) -> usize {
        self.limit.clamp(1, Self::MAX_LIMIT)
    }

    /// The page of `items`, and the paging as applied.
    pub fn page<T: Clone>(&self, items: &[T]) -> (Vec<T>, Value) {
        let page: Vec<T> = items
            .iter()
            .skip(self.offset)
            .take(self.limit())
            .cloned()
            .collect();
        let meta = self.meta(items.len() as u64, page.len());
        (page, meta)
    }

    /// The paging as applied to a page of `returned` items out of `total`
    /// (a page a store cut itself).
    pub fn meta(&self, total: u64, returned: usize) -> Value {
        json!({
            "total": total,
            "limit": self.limit(),
            "offset": self.offset,
            "returned": returned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn decimals_are_numbers_as_the_original_wrote_them() {
        assert_eq!(num(dec!(100)).to_string(), "100");
        assert_eq!(num(dec!(100.00)).to_string(), "100");
        assert_eq!(num(dec!(0.86)).to_string(), "0.86");
        assert_eq!(num(dec!(-12.5)).to_string(), "-12.5");
        assert_eq!(num(dec!(9999.99)).to_string(), "9999.99");
    }

    #[test]
    fn paging_clamps_and_reports() {
        let items: Vec<u32> = (0..10).collect();
        let (page, meta) = Paging {
            limit: 3,
            offset: 8,
            portfolio: None,
        }
        .page(&items);
        assert_eq!(page, vec![8, 9]);
        assert_eq!(
            meta,
            json!({"total": 10, "limit": 3, "offset": 8, "returned": 2})
        );
        let (page, _) = Paging {
            limit: 0,
            offset: 0,
            portfolio: None,
        }
        .page(&items);
        assert_eq!(page, vec![0]);
    }
}

/// `?portfolio=ID` of a read (default `default`; nothing else accepted).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortfolioParam {
    pub portfolio: Option<String>,
}

/// The live portfolio `?portfolio=` names (`default` when not given); 404
/// naming the live ones when it is not configured.
pub fn live_portfolio(
    s: &super::ApiState,
    name: Option<&str>,
) -> Result<domain::PortfolioId, super::ApiError> {
    let id = domain::PortfolioId::new(name.unwrap_or(domain::PortfolioId::DEFAULT));
    let live = s.app().settings.portfolio_ids();
    if live.contains(&id) {
        return Ok(id);
    }
    Err(super::ApiError::NotFound(format!(
        "no portfolio {id:?} (live: {})",
        live.iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// [`live_portfolio`] from a `?portfolio=` query (400 on another parameter).
pub fn portfolio_of(
    s: &super::ApiState,
    query: Result<axum::extract::Query<PortfolioParam>, axum::extract::rejection::QueryRejection>,
) -> Result<domain::PortfolioId, super::ApiError> {
    let axum::extract::Query(q) = query.map_err(|e| super::ApiError::BadRequest(e.body_text()))?;
    live_portfolio(s, q.portfolio.as_deref())
}
