//! `/strategy/*`: the current signal set and the strategy's settings, and
//! `POST /strategy/generate-signals` (step 4 of the cycle on its own,
//! `crate::steps`).

use super::trading::{ActionQuery, StepFailure};
use super::views::{self, num, opt, time};
use super::{ApiError, ApiState};
use crate::filters::Applies;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

/// `GET /strategy/current-signals[?portfolio=ID]`: the portfolio's (by
/// default `default`'s) signals of its last cycle, by confidence.
pub async fn current_signals(
    State(s): State<ApiState>,
    query: Result<Query<views::PortfolioParam>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = views::portfolio_of(&s, query)?;
    let signals = s.app().stores.signals.load_current_signals(&id).await?;
    Ok(Json(json!({
        "signals": signals.iter().map(views::signal).collect::<Vec<_>>(),
        "count": signals.len(),
        "executed": signals.iter().filter(|x| x.executed).count(),
        "generated_at": opt(signals.iter().map(|x| x.timestamp).max(), time),
    })))
}

/// `GET /strategy/status[?portfolio=ID]`: which strategy the portfolio (by
/// default `default`) runs, with what amount, and what its current signal
/// set holds. `threshold` is the original strategy's (`most_likely`), null
/// for the others (their parameters are in `prescient strategies`).
pub async fn status(
    State(s): State<ApiState>,
    query: Result<Query<views::PortfolioParam>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = views::portfolio_of(&s, query)?;
    let app = s.app();
    let live = app
        .settings
        .portfolios()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let portfolio = live
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("no portfolio {id:?}")))?;
    let name = portfolio.strategy_name.as_str();
    let description = strategy::registry()
        .into_iter()
        .find(|spec| spec.name == name)
        .map(|spec| spec.description);
    let signals = app.stores.signals.load_current_signals(&id).await?;
    let metadata = app.stores.metadata.load_metadata().await?;
    let buy_yes = signals
        .iter()
        .filter(|x| x.action == domain::Action::BuyYes)
        .count();
    Ok(Json(json!({
        "portfolio": id.as_str(),
        "strategy": name,
        "description": description,
        "threshold": (name == "most_likely").then_some(0.5),
        "amount": num(portfolio.amount.value()),
        "one_position_per_market": app.settings.one_position_per_market,
        "signals_count": signals.len(),
        "buy_yes": buy_yes,
        "buy_no": signals.len() - buy_yes,
        "executed": signals.iter().filter(|x| x.executed).count(),
        "average_confidence": average(signals.iter().map(|x| x.confidence)),
        "last_signal_generation": metadata.get("last_signal_generation"),
    })))
}

fn average(values: impl Iterator<Item = rust_decimal::Decimal>) -> Value {
    let all: Vec<_> = values.collect();
    if all.is_empty() {
        return Value::Null;
    }
    all.iter()
        .try_fold(rust_decimal::Decimal::ZERO, |a, b| a.checked_add(*b))
        .and_then(|sum| sum.checked_div(rust_decimal::Decimal::from(all.len())))
        .map_or(Value::Null, |avg| num(avg.round_dp(4)))
}

/// `POST /strategy/generate-signals[?amount=…]`: step 4 on its own — the
/// strategy's signals for the last filtered markets, saved as the current
/// set (replacing the previous one).
pub async fn generate_signals(
    State(s): State<ApiState>,
    headers: HeaderMap,
    query: ActionQuery,
) -> Result<Json<Value>, ApiError> {
    let action = s.begin_action(&headers, query, &[Applies::Signals])?;
    s.run_step(
        action,
        "generate_signals",
        move |stores, params| async move {
            crate::steps::generate_signals(&stores, &params)
                .await
                .map_err(StepFailure::from)
        },
    )
    .await
}
