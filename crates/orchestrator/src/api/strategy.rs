//! `/strategy/*`: the current signal set and the strategy's settings, and
//! `POST /strategy/generate-signals` (step 4 of the cycle on its own,
//! `crate::steps`).

use super::trading::{ActionQuery, StepFailure};
use super::views::{self, num, opt, time};
use super::{ApiError, ApiState};
use crate::filters::Applies;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

/// `GET /strategy/current-signals`: the last cycle's signals, by confidence.
pub async fn current_signals(State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let signals = s
        .app()
        .stores
        .signals
        // The lead wires `?portfolio=` here; until then the default one's.
        .load_current_signals(&domain::PortfolioId::default())
        .await?;
    Ok(Json(json!({
        "signals": signals.iter().map(views::signal).collect::<Vec<_>>(),
        "count": signals.len(),
        "executed": signals.iter().filter(|x| x.executed).count(),
        "generated_at": opt(signals.iter().map(|x| x.timestamp).max(), time),
    })))
}

/// `GET /strategy/status`: which strategy runs, with what amount, and what
/// the current signal set holds.
pub async fn status(State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let app = s.app();
    let signals = app
        .stores
        .signals
        .load_current_signals(&domain::PortfolioId::default())
        .await?;
    let metadata = app.stores.metadata.load_metadata().await?;
    let buy_yes = signals
        .iter()
        .filter(|x| x.action == domain::Action::BuyYes)
        .count();
    Ok(Json(json!({
        "strategy": "most_likely",
        "description": "buy the side priced above 0.50, at its price",
        "threshold": 0.5,
        "amount": num(app.settings.trade_amount),
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
