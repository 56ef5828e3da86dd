//! `GET /trading/compare` (every live portfolio side by side, as `prescient
//! compare --json` prints it) and `GET /compare`, the comparison page: an
//! equity curve per portfolio, their figures and the correlation of their
//! daily P&L. Reads only.

use super::{ApiError, ApiState};
use axum::Json;
use axum::extract::State;
use axum::response::Html;

const PAGE: &str = include_str!("compare.html");

pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

pub async fn figures(State(s): State<ApiState>) -> Result<Json<serde_json::Value>, ApiError> {
    let live = s
        .app()
        .settings
        .portfolios()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let comparison = crate::compare::compare(&s.app().stores, &live).await?;
    serde_json::to_value(&comparison)
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}
