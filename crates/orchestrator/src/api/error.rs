//! [`ApiError`]: every failure the API reports, as JSON
//! `{ "error": <kind>, "detail": <what happened and what to do> }` with the
//! status code that fits it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Nothing there yet (no portfolio before the first cycle, an unknown id).
    #[error("{0}")]
    NotFound(String),
    /// A query parameter or body that does not parse.
    #[error("{0}")]
    BadRequest(String),
    /// An action without the configured token.
    #[error("this action needs the API token: send `Authorization: Bearer <PRESCIENT_API_TOKEN>`")]
    Unauthorized,
    /// An action from another site, without the token (`guard`).
    #[error("{0}")]
    Forbidden(String),
    /// Only one cycle runs at a time.
    #[error("{0}")]
    Conflict(String),
    /// A request body over the limit (`guard`).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A `Host` this server does not answer to: on a loopback address, any
    /// name but a loopback one (DNS rebinding, `guard`).
    #[error("{0}")]
    MisdirectedRequest(String),
    /// The store that answers this read cannot be reached (PostgreSQL down in
    /// a phase where it is primary).
    #[error("{0}")]
    Unavailable(String),
    /// The market data source failed (Gamma down, a bad snapshot).
    #[error("{0}")]
    BadGateway(String),
    /// Anything else (a corrupt file, a broken invariant).
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MisdirectedRequest(_) => StatusCode::MISDIRECTED_REQUEST,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable kind in the body's `error` field.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::MisdirectedRequest(_) => "misdirected_request",
            ApiError::Unavailable(_) => "store_unavailable",
            ApiError::BadGateway(_) => "source_failed",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { .. } => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            tracing::warn!(error = %self, kind = self.kind(), "API request failed");
        }
        let body = json!({ "error": self.kind(), "detail": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}
