//! The two error types of the domain: rule violations ([`DomainError`]) and
//! storage failures reported through the ports ([`StoreError`]).

use thiserror::Error;

/// A value or operation that breaks a domain rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("price {0} is outside [0, 1]")]
    PriceOutOfRange(rust_decimal::Decimal),
    /// A value no store can hold (an amount of 10^13 or more, negative shares…).
    #[error("{what} {value} is outside {limit}")]
    OutOfRange {
        what: &'static str,
        value: rust_decimal::Decimal,
        limit: &'static str,
    },
    #[error("cannot buy shares at a price of zero")]
    ZeroPrice,
    #[error("amount {0} must be positive")]
    NonPositiveAmount(rust_decimal::Decimal),
    #[error("portfolio invariant broken: {0}")]
    Invariant(String),
    #[error("unknown action {0:?} (expected \"buy_yes\" or \"buy_no\")")]
    UnknownAction(String),
    #[error("unknown phase {0:?}")]
    UnknownPhase(String),
    #[error("unknown data set {0:?}")]
    UnknownDataSet(String),
}

/// Boxed source error carried by [`StoreError`] variants.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a storage port call failed. Variants are named for what the caller can
/// do about it: wait for a backend, repair a file, stop a second writer.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The backend cannot be reached right now (database down, disk gone).
    #[error("{store} is unavailable: {message}")]
    Unavailable {
        store: &'static str,
        message: String,
        #[source]
        source: Option<BoxError>,
    },
    /// Stored data does not parse. Nothing was overwritten.
    #[error("{path} does not parse at line {line}, column {column}: {message}")]
    Corrupt {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A record parses as JSON but breaks a rule (bad price, unknown action…).
    #[error("{location}: record {key} is invalid: {message}")]
    InvalidRecord {
        location: String,
        key: String,
        message: String,
    },
    /// A record with this key is already stored with other content (a trade
    /// id another trade holds). Nothing was written.
    #[error("{location}: {key} is already stored with other content; nothing was written")]
    Conflict { location: String, key: String },
    /// Another process holds the data set for writing.
    #[error("{path} is locked by another Prescient process ({holder}); stop it first")]
    Locked { path: String, holder: String },
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The data set is not served by this store in its current configuration.
    #[error("{0}")]
    Unsupported(String),
    /// Any other backend failure, with its cause.
    #[error("{context}: {source}")]
    Backend {
        context: String,
        #[source]
        source: BoxError,
    },
}
