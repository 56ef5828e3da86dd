//! Properties of the analytics that hold for any input: drawdowns lie
//! between their peak and trough, correlations are symmetric and bounded,
//! exposure shares cover the open money, Brier scores are in [0, 1].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::{
    EquityCurve, EquityPoint, Exposure, Forecast, brier_score, concentration, correlation_matrix,
    max_drawdown, total_return,
};
use chrono::{DateTime, TimeDelta, Utc};
use domain::{EventId, PortfolioId, Price, Usd};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn start() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// A curve of values in cents (≥ 0) at hours from the start.
fn curve() -> impl Strategy<Value = EquityCurve> {
    proptest::collection::vec((0i64..24 * 20, 0i64..=2_000_000), 0..40).prop_map(|points| {
        EquityCurve::new(points.into_iter().map(|(h, cents)| EquityPoint {
            time: start() + TimeDelta::hours(h),
            value: Usd::new(Decimal::new(cents, 2)),
        }))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_drawdown_is_a_fall_from_an_earlier_peak(c in curve()) {
        let d = max_drawdown(&c);
        prop_assert!(d.fraction >= Decimal::ZERO && d.fraction <= Decimal::ONE);
        match (d.peak, d.trough) {
            (Some(peak), Some(trough)) => {
                prop_assert!(peak.time < trough.time);
                prop_assert_eq!(d.amount, peak.value - trough.value);
                prop_assert!(d.fraction > Decimal::ZERO);
                // No later point stands above the peak before the trough.
                for p in c.points() {
                    if p.time < trough.time {
                        prop_assert!(p.value <= peak.value);
                    }
                    if p.time > peak.time && peak.value.is_positive() {
                        let fall = (peak.value - p.value).value() / peak.value.value();
                        prop_assert!(fall <= d.fraction + Decimal::new(5, 7));
                    }
                }
            }
            (None, None) => prop_assert_eq!(d.fraction, Decimal::ZERO),
            _ => prop_assert!(false, "a peak without a trough"),
        }
        if let (Some(r), Some(first)) = (total_return(&c), c.points().first()) {
            prop_assert!(r >= Decimal::NEGATIVE_ONE, "{r} from {}", first.value);
        }
    }

    #[test]
    fn correlations_are_symmetric_and_bounded(curves in proptest::collection::vec(curve(), 0..5)) {
        let named: Vec<(PortfolioId, EquityCurve)> = curves
            .into_iter()
            .enumerate()
            .map(|(i, c)| (PortfolioId::new(format!("p{i}")), c))
            .collect();
        let m = correlation_matrix(&named);
        prop_assert_eq!(m.values.len(), named.len());
        for (i, row) in m.values.iter().enumerate() {
            prop_assert_eq!(row.len(), named.len());
            for (j, v) in row.iter().enumerate() {
                prop_assert_eq!(*v, m.values[j][i]);
                if let Some(r) = v {
                    prop_assert!((-1.0..=1.0).contains(r));
                }
            }
            if let Some(r) = row[i] {
                prop_assert!((r - 1.0).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn exposure_shares_cover_the_open_money(
        items in proptest::collection::vec((1i64..=1_000_000, proptest::option::of(0u8..4), proptest::collection::vec(0u8..3, 0..3)), 0..20)
    ) {
        let exposures: Vec<Exposure> = items
            .iter()
            .map(|(cents, event, tags)| Exposure {
                amount: Usd::new(Decimal::new(*cents, 2)),
                event_id: event.map(|e| EventId::new(format!("e{e}"))),
                tags: tags.iter().map(|t| format!("t{t}")).collect(),
            })
            .collect();
        let c = concentration(&exposures);
        let total: Usd = exposures.iter().map(|e| e.amount).sum();
        prop_assert_eq!(c.total, total);
        prop_assert_eq!(c.by_event.iter().map(|s| s.amount).sum::<Usd>(), total);
        let shares: Decimal = c.by_event.iter().map(|s| s.share).sum();
        let slack = Decimal::new(5, 7) * Decimal::from(c.by_event.len());
        prop_assert!((shares - Decimal::ONE).abs() <= slack || exposures.is_empty(), "{shares}");
        for w in c.by_event.windows(2).chain(c.by_tag.windows(2)) {
            prop_assert!(w[0].amount >= w[1].amount);
        }
        for s in &c.by_tag {
            prop_assert!(s.amount <= total);
        }
    }

    #[test]
    fn brier_scores_lie_in_zero_to_one(forecasts in proptest::collection::vec((0i64..=1_000_000, 0u8..=2), 0..30)) {
        let fs: Vec<Forecast> = forecasts
            .iter()
            .map(|(p, o)| Forecast {
                price: Price::new(Decimal::new(*p, 6)).unwrap(),
                outcome: Price::new(Decimal::new(i64::from(*o) * 5, 1)).unwrap(),
            })
            .collect();
        match brier_score(&fs) {
            Some(b) => prop_assert!(b >= Decimal::ZERO && b <= Decimal::ONE),
            None => prop_assert!(fs.is_empty()),
        }
    }
}
