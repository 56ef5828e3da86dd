//! Errors of the Polymarket clients (Gamma and the CLOB), named for what the
//! caller can do about them.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ClientError {
    /// A snapshot file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A snapshot file or response body is not the JSON Gamma returns.
    #[error("{what} is not a Polymarket response: {message}")]
    Malformed { what: String, message: String },
    /// The server answered with a status that is not retried (4xx other than
    /// 429), or a retried status persisted past the retry budget.
    #[error("GET {url} answered HTTP {status}")]
    Http { url: String, status: u16 },
    /// No answer within the request timeout, after every retry.
    #[error("GET {url} timed out after {attempts} attempt(s)")]
    Timeout { url: String, attempts: u32 },
    /// The server could not be reached (DNS, refused, reset), after every retry.
    #[error("cannot reach {url} after {attempts} attempt(s): {message}")]
    Connect {
        url: String,
        attempts: u32,
        message: String,
    },
    /// The client configuration is unusable (bad base URL, TLS setup).
    #[error("invalid Polymarket client configuration: {0}")]
    Config(String),
    /// A request that cannot be sent as asked (a fidelity of 0 minutes).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}
