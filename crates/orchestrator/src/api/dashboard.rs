//! `GET /`: one self-contained page (plain HTML, inline CSS, JS and SVG; no
//! build step) showing the equity curve (`total_value` of every history
//! entry), open positions with P&L, recent trades, and the migration phase
//! and health. It reads the JSON endpoints of this server; it writes nothing.

use axum::response::Html;

const PAGE: &str = include_str!("dashboard.html");

pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}
