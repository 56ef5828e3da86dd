//! Errors of the Gamma client.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ClientError {
    /// A snapshot file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A snapshot file or response body is not the JSON array Gamma returns.
    #[error("{what} is not a Gamma response: {message}")]
    Malformed { what: String, message: String },
}
