//! The settings of a portfolio's ledger that are refused when built.

use rust_decimal::Decimal;

/// A fill model or exit rule that cannot be used. Nothing was built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{what} {value} is outside [0, 10000)")]
    BasisPoints { what: &'static str, value: u32 },
    #[error("{what} {value} is outside {range}")]
    Fraction {
        what: &'static str,
        value: Decimal,
        range: &'static str,
    },
    #[error("max_holding {0} must be longer than zero")]
    MaxHolding(chrono::TimeDelta),
}
