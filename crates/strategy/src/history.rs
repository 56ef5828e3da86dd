//! The recorded prices a strategy may look back on: per market, the points
//! recorded strictly before the cycle's `now`, oldest first.
//!
//! Built from `market_snapshots` rows ([`PriceHistory::from_snapshots`]) or
//! from plain points, such as the CLOB's price history (`{"t": unix seconds,
//! "p": price}`, [`ClobPoint`]). The only way to read it is through a time
//! bound ([`PriceHistory::before`], [`PriceHistory::window`]), so a strategy
//! given `now` cannot see a point recorded at or after it — in a backtest,
//! the future.

use chrono::{DateTime, Utc};
use domain::{MarketId, MarketSnapshot, Price};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Prices of one market at one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PricePoint {
    pub time: DateTime<Utc>,
    /// Price of outcome 0 ("yes").
    pub yes: Price,
    /// Price of outcome 1 ("no"), when it was recorded (the CLOB's history is
    /// one token's: it has none).
    pub no: Option<Price>,
}

/// One point of the CLOB's `/prices-history` answer, as it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct ClobPoint {
    /// Unix seconds.
    pub t: i64,
    /// The token's price.
    pub p: Decimal,
}

/// A recorded point that cannot be a [`PricePoint`]. Nothing was added.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("price history point at t={0}: the time is outside years 1–9999")]
    TimeOutOfRange(i64),
    #[error("price history point at t={t}: price {price} is outside [0, 1]")]
    PriceOutOfRange { t: i64, price: Decimal },
}

impl PricePoint {
    /// A CLOB point of the yes token (unix seconds, price kept as read).
    pub fn from_clob(point: ClobPoint) -> Result<PricePoint, HistoryError> {
        let time = DateTime::from_timestamp(point.t, 0)
            .filter(|t| domain::time::is_storable(*t))
            .ok_or(HistoryError::TimeOutOfRange(point.t))?;
        let yes = Price::exact(point.p).map_err(|_| HistoryError::PriceOutOfRange {
            t: point.t,
            price: point.p,
        })?;
        Ok(PricePoint {
            time,
            yes,
            no: None,
        })
    }
}

/// Per market, the recorded points in time order, one per instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PriceHistory {
    markets: HashMap<MarketId, Vec<PricePoint>>,
}

impl PriceHistory {
    /// No recorded prices: what the cycle passes until history is fed.
    pub fn new() -> Self {
        PriceHistory::default()
    }

    /// The points of `market_snapshots` rows, in any order. A row without a
    /// yes price is no point and is left out.
    pub fn from_snapshots<'a>(snapshots: impl IntoIterator<Item = &'a MarketSnapshot>) -> Self {
        let mut by_market: HashMap<MarketId, Vec<PricePoint>> = HashMap::new();
        for s in snapshots {
            let Some(yes) = s.yes_price else { continue };
            by_market
                .entry(s.market_id.clone())
                .or_default()
                .push(PricePoint {
                    time: s.timestamp,
                    yes,
                    no: s.no_price,
                });
        }
        let mut history = PriceHistory::new();
        for (market, points) in by_market {
            history.insert(market, points);
        }
        history
    }

    /// Add `points` of `market`, in any order. Two points at the same instant
    /// keep the one added last (a snapshot recorded again replaces the first).
    pub fn insert(&mut self, market: MarketId, points: impl IntoIterator<Item = PricePoint>) {
        let series = self.markets.entry(market).or_default();
        series.extend(points);
        // Stable: among equal times, the later-added point stays last.
        series.sort_by_key(|p| p.time);
        let mut kept: Vec<PricePoint> = Vec::with_capacity(series.len());
        for point in series.drain(..) {
            match kept.last_mut() {
                Some(last) if last.time == point.time => *last = point,
                _ => kept.push(point),
            }
        }
        *series = kept;
    }

    /// The points of `market` recorded strictly before `now`, oldest first.
    pub fn before(&self, market: &MarketId, now: DateTime<Utc>) -> &[PricePoint] {
        let Some(series) = self.markets.get(market) else {
            return &[];
        };
        let end = series.partition_point(|p| p.time < now);
        series.get(..end).unwrap_or_default()
    }

    /// The points of `market` recorded in `[from, now)`, oldest first.
    pub fn window(
        &self,
        market: &MarketId,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> &[PricePoint] {
        let before = self.before(market, now);
        let start = before.partition_point(|p| p.time < from);
        before.get(start..).unwrap_or_default()
    }

    /// How many markets have recorded points.
    pub fn markets(&self) -> usize {
        self.markets.values().filter(|s| !s.is_empty()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.markets() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn point(time: &str, yes: &str) -> PricePoint {
        PricePoint {
            time: at(time),
            yes: Price::exact(Decimal::from_str(yes).unwrap()).unwrap(),
            no: None,
        }
    }

    fn yes_prices(points: &[PricePoint]) -> Vec<String> {
        points.iter().map(|p| p.yes.to_string()).collect()
    }

    #[test]
    fn points_are_sorted_and_cut_strictly_before_now() {
        let m = MarketId::new("m");
        let mut h = PriceHistory::new();
        h.insert(
            m.clone(),
            [
                point("2026-01-03T00:00:00Z", "0.3"),
                point("2026-01-01T00:00:00Z", "0.1"),
                point("2026-01-02T00:00:00Z", "0.2"),
            ],
        );
        assert_eq!(
            yes_prices(h.before(&m, at("2026-01-03T00:00:00Z"))),
            ["0.1", "0.2"],
            "the point at now is not before it"
        );
        assert_eq!(
            yes_prices(h.before(&m, at("2026-01-03T00:00:01Z"))),
            ["0.1", "0.2", "0.3"]
        );
        assert!(h.before(&m, at("2026-01-01T00:00:00Z")).is_empty());
        assert!(
            h.before(&MarketId::new("other"), at("2027-01-01T00:00:00Z"))
                .is_empty()
        );
        assert_eq!(
            yes_prices(h.window(&m, at("2026-01-02T00:00:00Z"), at("2026-01-03T00:00:00Z"))),
            ["0.2"]
        );
    }

    #[test]
    fn a_point_recorded_again_replaces_the_first() {
        let m = MarketId::new("m");
        let mut h = PriceHistory::new();
        h.insert(m.clone(), [point("2026-01-01T00:00:00Z", "0.1")]);
        h.insert(
            m.clone(),
            [
                point("2026-01-01T00:00:00Z", "0.15"),
                point("2026-01-02T00:00:00Z", "0.2"),
            ],
        );
        assert_eq!(
            yes_prices(h.before(&m, at("2027-01-01T00:00:00Z"))),
            ["0.15", "0.2"]
        );
    }

    #[test]
    fn snapshots_without_a_yes_price_are_no_points() {
        let snapshot = |id: &str, time: &str, yes: Option<&str>| MarketSnapshot {
            market_id: MarketId::new(id),
            timestamp: at(time),
            yes_price: yes.map(|y| Price::exact(Decimal::from_str(y).unwrap()).unwrap()),
            no_price: Some(Price::half()),
            liquidity: None,
            volume: None,
            volume_24hr: None,
            conviction: None,
        };
        let rows = [
            snapshot("a", "2026-01-02T00:00:00Z", Some("0.6")),
            snapshot("a", "2026-01-01T00:00:00Z", Some("0.4")),
            snapshot("b", "2026-01-01T00:00:00Z", None),
        ];
        let h = PriceHistory::from_snapshots(&rows);
        assert_eq!(h.markets(), 1);
        let a = h.before(&MarketId::new("a"), at("2027-01-01T00:00:00Z"));
        assert_eq!(yes_prices(a), ["0.4", "0.6"]);
        assert_eq!(a[0].no, Some(Price::half()));
    }

    #[test]
    fn clob_points_read_as_unix_seconds_and_checked_prices() {
        let points: Vec<ClobPoint> =
            serde_json::from_str(r#"[{"t": 1767225600, "p": 0.525}, {"t": 1767229200, "p": 1.5}]"#)
                .unwrap();
        let first = PricePoint::from_clob(points[0]).unwrap();
        assert_eq!(first.time, at("2026-01-01T00:00:00Z"));
        assert_eq!(first.yes.to_string(), "0.525");
        assert_eq!(
            PricePoint::from_clob(points[1]),
            Err(HistoryError::PriceOutOfRange {
                t: 1767229200,
                price: Decimal::from_str("1.5").unwrap()
            })
        );
        assert_eq!(
            PricePoint::from_clob(ClobPoint {
                t: i64::MAX,
                p: Decimal::ONE
            }),
            Err(HistoryError::TimeOutOfRange(i64::MAX))
        );
    }
}
