//! Reads answered stale: in phase 6 with PostgreSQL down, a GET may be
//! answered from the JSON files as last written (`routing::stale`); the
//! response then carries [`STALE_HEADER`] with the time of that data.
//! Only GETs may be answered stale — they never write, while a cycle (a
//! POST) must not act on stale data.

use axum::extract::Request;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

/// Set on a response some of whose data came from the JSON files because
/// PostgreSQL did not answer: the RFC 3339 time of that data.
pub const STALE_HEADER: &str = "x-prescient-stale";

pub async fn allow_stale_reads(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let (mut response, since) = routing::stale::allow_stale(next.run(request)).await;
    if let Some(at) = since
        && let Ok(value) = HeaderValue::from_str(&domain::time::format_timestamp(at))
    {
        response.headers_mut().insert(STALE_HEADER, value);
    }
    response
}
