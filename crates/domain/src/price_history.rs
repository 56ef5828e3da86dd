//! Price history of markets' outcome tokens (issue 16, backtests on real
//! market history): the points Polymarket's CLOB answers for one token
//! ([`PricePoint`]), and the same series as a backtest reads it, one point
//! per market outcome and instant ([`HistoryPoint`]), whether it came from
//! the CLOB or from a recorded cycle's market snapshot ([`PriceSource`]).
//!
//! A market's outcome tokens are named by Gamma's `clobTokenIds` (a JSON
//! array inside a string, aligned with `outcomes`): [`OutcomeTokens`], read
//! from a market with [`crate::gamma::outcome_tokens`].

use crate::validate::{Check, Invalid, id, instant};
use crate::{MarketId, MarketSnapshot, Price, Validate};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Digits a token id may have at most (Gamma's are about 77).
pub const TOKEN_ID_LEN: usize = 100;

/// A CLOB token id: the decimal digits of a 256-bit number (about 77 of
/// them, too big for `u128`), so it stays a string. Made only through
/// [`TokenId::parse`], which refuses anything but 1 to [`TOKEN_ID_LEN`]
/// ASCII digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TokenId(String);

impl TokenId {
    /// The token id `s` names, or what is wrong with it.
    pub fn parse(s: &str) -> Result<TokenId, Invalid> {
        if s.is_empty() || s.len() > TOKEN_ID_LEN || !s.bytes().all(|b| b.is_ascii_digit()) {
            let shown: String = s.chars().take(40).collect();
            return Err(Invalid::new(
                "token_id",
                format!("{shown:?} is not a token id (1 to {TOKEN_ID_LEN} decimal digits)"),
            ));
        }
        Ok(TokenId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TokenId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TokenId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One of a binary market's two outcomes: "yes" is outcome 0 of `outcomes`,
/// "no" outcome 1, whatever their labels (team names, Up/Down).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Yes,
    No,
}

impl Outcome {
    pub const BOTH: [Outcome; 2] = [Outcome::Yes, Outcome::No];

    /// `yes` or `no`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Yes => "yes",
            Outcome::No => "no",
        }
    }

    /// The outcome `s` names as stored (`yes`, `no`).
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "yes" => Some(Outcome::Yes),
            "no" => Some(Outcome::No),
            _ => None,
        }
    }

    /// Its index in `outcomes`, `outcomePrices` and `clobTokenIds`.
    pub fn index(self) -> usize {
        match self {
            Outcome::Yes => 0,
            Outcome::No => 1,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The CLOB tokens of a binary market's two outcomes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OutcomeTokens {
    pub yes: TokenId,
    pub no: TokenId,
}

impl OutcomeTokens {
    pub fn of(&self, outcome: Outcome) -> &TokenId {
        match outcome {
            Outcome::Yes => &self.yes,
            Outcome::No => &self.no,
        }
    }
}

/// One point of a token's price history as the CLOB answers it: the price
/// at `t` (whole seconds, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PricePoint {
    pub t: DateTime<Utc>,
    pub p: Price,
}

/// Where a point of history comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// Fetched from the CLOB's `/prices-history`.
    Clob,
    /// Recorded by a trading cycle (a `market_snapshots` record).
    Cycle,
}

impl PriceSource {
    /// `clob` or `cycle`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceSource::Clob => "clob",
            PriceSource::Cycle => "cycle",
        }
    }

    pub fn parse(s: &str) -> Option<PriceSource> {
        match s {
            "clob" => Some(PriceSource::Clob),
            "cycle" => Some(PriceSource::Cycle),
            _ => None,
        }
    }
}

/// The price of one outcome of one market at one instant, as a backtest
/// reads history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPoint {
    pub market_id: MarketId,
    pub outcome: Outcome,
    pub t: DateTime<Utc>,
    pub price: Price,
    pub source: PriceSource,
}

impl HistoryPoint {
    /// The order history is read in: by instant, then market id, outcome
    /// and source as stored text (byte order), so a reader merging several
    /// markets sees one timeline, and every store sorts alike.
    pub fn order_key(&self) -> (DateTime<Utc>, &str, &'static str, &'static str) {
        (
            self.t,
            self.market_id.as_str(),
            self.outcome.as_str(),
            self.source.as_str(),
        )
    }
}

impl MarketSnapshot {
    /// The history points a recorded cycle's snapshot stands for (source
    /// [`PriceSource::Cycle`]): its yes price and its no price at its
    /// timestamp, each only when recorded.
    pub fn price_points(&self) -> Vec<HistoryPoint> {
        let prices = [(Outcome::Yes, self.yes_price), (Outcome::No, self.no_price)];
        prices
            .into_iter()
            .filter_map(|(outcome, price)| {
                Some(HistoryPoint {
                    market_id: self.market_id.clone(),
                    outcome,
                    t: self.timestamp,
                    price: price?,
                    source: PriceSource::Cycle,
                })
            })
            .collect()
    }
}

impl Validate for HistoryPoint {
    fn validate(&self) -> Check {
        id("market_id", self.market_id.as_str())?;
        instant("t", self.t)
    }
}

impl Validate for PricePoint {
    fn validate(&self) -> Check {
        instant("t", self.t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    #[test]
    fn token_ids_are_digits_only() {
        let real = "104239898038807136052399800151408521467737075933964991162589336683346093173875";
        assert_eq!(TokenId::parse(real).unwrap().as_str(), real);
        assert_eq!(TokenId::parse("1").unwrap().as_str(), "1");
        for bad in ["", "<string>", "12 3", "-1", "1e77", "١٢", &"9".repeat(101)] {
            let e = TokenId::parse(bad).unwrap_err();
            assert_eq!(e.field, "token_id", "{bad:?}");
        }
        assert!(serde_json::from_str::<TokenId>("\"x1\"").is_err());
        assert_eq!(
            serde_json::from_str::<TokenId>("\"42\"").unwrap(),
            TokenId::parse("42").unwrap()
        );
    }

    #[test]
    fn outcomes_and_sources_round_trip_as_stored() {
        for o in Outcome::BOTH {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!((Outcome::Yes.index(), Outcome::No.index()), (0, 1));
        for s in [PriceSource::Clob, PriceSource::Cycle] {
            assert_eq!(PriceSource::parse(s.as_str()), Some(s));
        }
        assert_eq!(Outcome::parse("Yes"), None);
    }

    #[test]
    fn a_snapshot_is_a_point_per_recorded_price() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let snapshot = MarketSnapshot {
            market_id: MarketId::new("540206"),
            timestamp: at,
            yes_price: Some(Price::exact(dec!(0.0065)).unwrap()),
            no_price: Some(Price::exact(dec!(0.9935)).unwrap()),
            liquidity: None,
            volume: None,
            volume_24hr: None,
            conviction: None,
        };
        let points = snapshot.price_points();
        assert_eq!(
            points
                .iter()
                .map(|p| (p.outcome, p.price.value(), p.t, p.source))
                .collect::<Vec<_>>(),
            [
                (Outcome::Yes, dec!(0.0065), at, PriceSource::Cycle),
                (Outcome::No, dec!(0.9935), at, PriceSource::Cycle),
            ]
        );
        let placeholder = MarketSnapshot {
            yes_price: None,
            no_price: None,
            ..snapshot.clone()
        };
        assert!(placeholder.price_points().is_empty());
        let no_only = MarketSnapshot {
            yes_price: None,
            ..snapshot
        };
        assert_eq!(no_only.price_points().len(), 1);
        assert_eq!(no_only.price_points()[0].outcome, Outcome::No);
    }
}
