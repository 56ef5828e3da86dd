//! `/markets/*`: the filtered markets of the last cycle and their snapshots,
//! and the original's market action, `POST /markets/filter-markets` (step 3
//! of the cycle on its own, `crate::steps`).

use super::trading::{ActionQuery, StepFailure};
use super::views::{self, Paging, num, opt, price, time, usd};
use super::{ApiError, ApiState};
use crate::filters::Applies;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use domain::MarketId;
use serde_json::{Value, json};

/// `GET /markets/current-filtered?limit=&offset=`: the markets that passed
/// the last cycle's filters, as Gamma sent them plus their event context.
pub async fn current_filtered(
    State(s): State<ApiState>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(paging) = paging.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let markets = s.app().stores.markets.load_filtered_markets().await?;
    let (page, meta) = paging.page(&markets);
    Ok(Json(json!({
        "markets": page.iter().map(views::market).collect::<Vec<_>>(),
        "count": markets.len(),
        "paging": meta,
    })))
}

/// `GET /markets/status`: how many markets passed, and when.
pub async fn status(State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let app = s.app();
    let markets = app.stores.markets.load_filtered_markets().await?;
    let metadata = app.stores.metadata.load_metadata().await?;
    Ok(Json(json!({
        "filtered_markets": markets.len(),
        "with_event_context": markets.iter().filter(|m| m.event.is_some()).count(),
        "total_liquidity": checked_sum(markets.iter().filter_map(|m| m.liquidity)),
        "total_volume": checked_sum(markets.iter().filter_map(|m| m.volume)),
        "last_market_filter": metadata.get("last_market_filter"),
    })))
}

/// The sum, or `null` when it leaves `Decimal`'s range (every stored value is
/// below 10^13, so only a file edited by hand gets there; never a panic).
fn checked_sum(mut values: impl Iterator<Item = rust_decimal::Decimal>) -> Value {
    values
        .try_fold(rust_decimal::Decimal::ZERO, |a, b| a.checked_add(b))
        .map_or(Value::Null, num)
}

/// `GET /markets/{id}/snapshots`: the price history of one market, oldest
/// first; 404 when none was taken.
pub async fn snapshots(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = MarketId::new(id);
    let snaps = s
        .app()
        .stores
        .markets
        .load_market_snapshots(Some(&id))
        .await?;
    if snaps.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no snapshots of market {}: it has not passed a cycle's filters",
            id.as_str()
        )));
    }
    Ok(Json(json!({
        "market_id": id.as_str(),
        "snapshots": snaps.iter().map(|x| json!({
            "timestamp": time(x.timestamp),
            "yes_price": opt(x.yes_price, price),
            "no_price": opt(x.no_price, price),
            "liquidity": opt(x.liquidity, usd),
            "volume": opt(x.volume, usd),
            "volume_24hr": opt(x.volume_24hr, usd),
            "market_conviction": opt(x.conviction, num),
        })).collect::<Vec<_>>(),
    })))
}

/// `POST /markets/filter-markets[?min_liquidity=…]`: step 3 on its own —
/// filter the markets of the last filtered events with the market
/// parameters, fetch the details of those that pass, save them (with their
/// event context) and a snapshot of each.
pub async fn filter_markets(
    State(s): State<ApiState>,
    headers: HeaderMap,
    query: ActionQuery,
) -> Result<Json<Value>, ApiError> {
    let action = s.begin_action(&headers, query, &[Applies::Markets])?;
    let source = s.open_source(&action)?;
    s.run_step(action, "filter_markets", move |stores, params| async move {
        crate::steps::filter_markets(&stores, source.as_ref(), &params)
            .await
            .map_err(StepFailure::from)
    })
    .await
}
