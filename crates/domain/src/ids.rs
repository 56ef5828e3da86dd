//! Identifier newtypes. Gamma ids are decimal strings (`"23656"`) and stay
//! strings: they are keys, never numbers.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    };
}

string_id!(
    /// A Gamma event id.
    EventId
);
string_id!(
    /// A Gamma market id.
    MarketId
);
string_id!(
    /// A trade id; legacy ids (`trade_YYYYmmdd_HHMMSS_<market>`) are kept as they are.
    TradeId
);
string_id!(
    /// The portfolio a record belongs to. The legacy layout is the default portfolio.
    PortfolioId
);

impl Default for PortfolioId {
    fn default() -> Self {
        Self::new(Self::DEFAULT)
    }
}

impl PortfolioId {
    /// The id of the single portfolio of the legacy layout and of the plan's
    /// single-row `portfolio_state`.
    pub const DEFAULT: &'static str = "default";

    /// The longest portfolio id.
    pub const MAX_LEN: usize = 64;

    /// A portfolio id from user input (`--portfolio`, a settings file, a
    /// query): refused unless it is a name of 1 to [`Self::MAX_LEN`]
    /// characters out of `a-z`, `0-9`, `_` and `-`. The rule holds in every
    /// store (`crate::validate`), because the JSON layout names a directory
    /// after the id (`data/portfolios/<id>/`).
    pub fn parse(id: &str) -> Result<Self, crate::Invalid> {
        crate::validate::portfolio_id("portfolio", id)?;
        Ok(Self::new(id))
    }

    /// Whether this is the default portfolio (the legacy layout's).
    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT
    }
}
