//! `/paper-trading/*`: the portfolio, the trade history (paged, newest
//! first), the portfolio history (the equity curve) and a short status, and
//! the original's actions `POST /paper-trading/execute-signals` (step 5 of
//! the cycle on its own, `crate::steps`) and `POST
//! /paper-trading/update-prices` (`super::trading::update_prices`).

use super::trading::{ActionQuery, StepFailure, no_portfolio};
use super::views::{self, Paging, opt, time, usd};
use super::{ApiError, ApiState};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

/// `GET /paper-trading/portfolio`: 404 before the first cycle. Unlike the
/// original, reading it never rewrites it.
pub async fn portfolio(
    State(s): State<ApiState>,
    query: Result<Query<views::PortfolioParam>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = views::portfolio_of(&s, query)?;
    let p = s
        .app()
        .stores
        .portfolio
        .load_portfolio(&id)
        .await?
        .ok_or_else(no_portfolio)?;
    Ok(Json(views::portfolio(&p)))
}

/// `GET /paper-trading/trades-history?limit=50&offset=0`: newest first.
pub async fn trades_history(
    State(s): State<ApiState>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(paging) = paging.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let trades = &s.app().stores.trades;
    let id = views::live_portfolio(&s, paging.portfolio.as_deref())?;
    // The store cuts the page and counts (PostgreSQL off its indexes).
    let total = trades.count_trades(&id, None).await?;
    let page = trades
        .trades_page(&id, None, paging.offset, paging.limit())
        .await?;
    Ok(Json(json!({
        "trades": page.iter().map(views::trade).collect::<Vec<_>>(),
        "total_trades": total,
        "paging": paging.meta(total, page.len()),
    })))
}

/// `GET /paper-trading/portfolio-history`: every history entry, oldest
/// first (the dashboard's equity curve).
pub async fn portfolio_history(
    State(s): State<ApiState>,
    query: Result<Query<views::PortfolioParam>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = views::portfolio_of(&s, query)?;
    let mut history = s.app().stores.history.load_history(&id).await?;
    history.sort_by_key(|h| h.timestamp);
    Ok(Json(json!({
        "history": history.iter().map(views::history_entry).collect::<Vec<_>>(),
        "count": history.len(),
    })))
}

/// `GET /paper-trading/status`: whether a portfolio exists and its headline
/// numbers.
pub async fn status(
    State(s): State<ApiState>,
    query: Result<Query<views::PortfolioParam>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = views::portfolio_of(&s, query)?;
    let stores = &s.app().stores;
    let portfolio = stores.portfolio.load_portfolio(&id).await?;
    let last_trade = stores.trades.recent_trades(&id, 1).await?;
    let Some(p) = portfolio else {
        return Ok(Json(json!({
            "portfolio_exists": false,
            "detail": "no portfolio yet: run a cycle first",
            "last_trade": null,
        })));
    };
    Ok(Json(json!({
        "portfolio_exists": true,
        "balance": usd(p.balance),
        "total_value": usd(p.total_value()),
        "total_invested": usd(p.total_invested),
        "total_profit_loss": usd(p.total_profit_loss),
        "open_positions": p.open_positions().count(),
        "trade_count": p.trade_count,
        "last_trade": opt(last_trade.first().map(|t| t.timestamp), time),
        "last_updated": time(p.last_updated),
        "last_price_update": opt(p.last_price_update, time),
    })))
}

/// `POST /paper-trading/execute-signals`: step 5 on its own — execute the
/// current signals not executed yet against the portfolio (a new one before
/// the first trade). Takes no parameters: each signal carries its amount.
pub async fn execute_signals(
    State(s): State<ApiState>,
    headers: HeaderMap,
    query: ActionQuery,
) -> Result<Json<Value>, ApiError> {
    let action = s.begin_action(&headers, query, &[])?;
    s.run_step(action, "execute", move |stores, params| async move {
        crate::steps::execute_signals(&stores, &params)
            .await
            .map_err(StepFailure::from)
    })
    .await
}
