//! `/events/*`: the raw event export and the filtered events of the last
//! cycle, and the original's two event actions, each one step of the cycle
//! on its own (`crate::steps`): `POST /events/export-all-active-events-json`
//! (step 1) and `POST /events/filter-events` (step 2, the `event_*`
//! parameters).

use super::trading::{ActionQuery, StepFailure};
use super::views::{Paging, num, opt};
use super::{ApiError, ApiState};
use crate::filters::Applies;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use domain::{Event, FilteredEvent};
use serde_json::{Value, json};

/// An event as Gamma sent it (nested markets included), and for filtered
/// events the `days_until_end` the original added.
fn event(e: &Event, days_until_end: Option<Option<i64>>) -> Value {
    // Served as a tree; text a tree cannot hold (a number beyond f64) is served as `{}`.
    let mut raw = e.raw.to_object().unwrap_or_default();
    raw.entry("id")
        .or_insert_with(|| Value::String(e.id.as_str().to_owned()));
    if let Some(days) = days_until_end {
        raw.insert("days_until_end".into(), opt(days, Value::from));
    }
    Value::Object(raw)
}

fn filtered_event(f: &FilteredEvent) -> Value {
    event(&f.event, Some(f.days_until_end))
}

/// `GET /events/filtered?limit=&offset=`: the events that passed the last
/// cycle's filter, by volume.
pub async fn filtered(
    State(s): State<ApiState>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(paging) = paging.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let events = s.app().stores.markets.load_filtered_events().await?;
    let (page, meta) = paging.page(&events);
    Ok(Json(json!({
        "events": page.iter().map(filtered_event).collect::<Vec<_>>(),
        "count": events.len(),
        "paging": meta,
    })))
}

/// `GET /events/raw?limit=&offset=`: the last export of every active event.
pub async fn raw(
    State(s): State<ApiState>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(paging) = paging.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let events = s.app().stores.markets.load_raw_events().await?;
    let (page, meta) = paging.page(&events);
    Ok(Json(json!({
        "events": page.iter().map(|e| event(e, None)).collect::<Vec<_>>(),
        "count": events.len(),
        "paging": meta,
    })))
}

/// `GET /events/status`: counts and the time of the last export.
pub async fn status(State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let app = s.app();
    let raw = app.stores.markets.load_raw_events().await?;
    let filtered = app.stores.markets.load_filtered_events().await?;
    let metadata = app.stores.metadata.load_metadata().await?;
    Ok(Json(json!({
        "raw_events": raw.len(),
        "filtered_events": filtered.len(),
        "markets_in_filtered_events": filtered.iter().map(|f| f.event.markets.len()).sum::<usize>(),
        "filtered_volume": num(filtered.iter().filter_map(|f| f.event.volume).sum()),
        "last_event_export": metadata.get("last_event_export"),
    })))
}

/// `GET /events/{id}`: one event of the last export (with `days_until_end`
/// when it passed the filter); 404 when it is not there.
pub async fn one(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let markets = &s.app().stores.markets;
    if let Some(f) = markets
        .load_filtered_events()
        .await?
        .iter()
        .find(|f| f.event.id.as_str() == id)
    {
        return Ok(Json(filtered_event(f)));
    }
    markets
        .load_raw_events()
        .await?
        .iter()
        .find(|e| e.id.as_str() == id)
        .map(|e| Json(event(e, None)))
        .ok_or_else(|| ApiError::NotFound(format!("no event {id} in the last export")))
}

/// `POST /events/export-all-active-events-json`: step 1 on its own — fetch
/// every active event and save them as the raw event set. Takes no
/// parameters.
pub async fn export_all_active_events(
    State(s): State<ApiState>,
    headers: HeaderMap,
    query: ActionQuery,
) -> Result<Json<Value>, ApiError> {
    let action = s.begin_action(&headers, query, &[])?;
    let source = s.open_source(&action)?;
    s.run_step(action, "export_events", move |stores, params| async move {
        crate::steps::export_events(&stores, source.as_ref(), &params)
            .await
            .map_err(StepFailure::from)
    })
    .await
}

/// `POST /events/filter-events[?event_min_liquidity=…]`: step 2 on its own —
/// filter the last export with the `event_*` parameters and save the events
/// that pass.
pub async fn filter_events(
    State(s): State<ApiState>,
    headers: HeaderMap,
    query: ActionQuery,
) -> Result<Json<Value>, ApiError> {
    let action = s.begin_action(&headers, query, &[Applies::Events])?;
    s.run_step(action, "filter_events", move |stores, params| async move {
        crate::steps::filter_events(&stores, &params)
            .await
            .map_err(StepFailure::from)
    })
    .await
}
