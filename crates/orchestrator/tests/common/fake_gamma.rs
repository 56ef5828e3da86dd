//! A local stand-in for Gamma serving a snapshot directory: `/events/keyset`
//! in pages of 2 with cursors, `/markets?id=…` and `/markets/{id}`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;

struct Data {
    events: Vec<Value>,
    markets: Vec<Value>,
}

/// Serve `snapshot` on 127.0.0.1:0; returns the base URL.
pub async fn serve(snapshot: &std::path::Path) -> String {
    let read = |name: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(snapshot.join(name)).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let data = Arc::new(Data {
        events: read("events.json"),
        markets: read("markets.json"),
    });
    let app = Router::new()
        .route("/events/keyset", get(events))
        .route("/markets", get(markets))
        .route("/markets/{id}", get(market))
        .with_state(data);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn params(query: &Option<String>) -> Vec<(String, String)> {
    query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn events(
    State(d): State<Arc<Data>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, StatusCode> {
    let p = params(&q);
    if !p.iter().any(|(k, v)| k == "closed" && v == "false") {
        return Err(StatusCode::BAD_REQUEST);
    }
    let start: usize = p
        .iter()
        .find(|(k, _)| k == "after_cursor")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let page: Vec<Value> = d.events.iter().skip(start).take(2).cloned().collect();
    let next = start + page.len();
    Ok(Json(if next < d.events.len() {
        json!({"events": page, "next_cursor": next.to_string()})
    } else {
        json!({"events": page})
    }))
}

async fn markets(State(d): State<Arc<Data>>, RawQuery(q): RawQuery) -> Json<Value> {
    let p = params(&q);
    let ids: Vec<&str> = p
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.as_str())
        .collect();
    // `closed` is a filter, as on Gamma: `true` only closed markets, `false`
    // only open ones, absent both.
    let state = p
        .iter()
        .find(|(k, _)| k == "closed")
        .map(|(_, v)| v == "true");
    Json(Value::Array(
        d.markets
            .iter()
            .filter(|m| ids.contains(&m["id"].as_str().unwrap_or_default()))
            .filter(|m| state.is_none_or(|closed| (m["closed"] == true) == closed))
            .cloned()
            .collect(),
    ))
}

async fn market(
    State(d): State<Arc<Data>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, StatusCode> {
    d.markets
        .iter()
        .find(|m| m["id"] == id.as_str())
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}
