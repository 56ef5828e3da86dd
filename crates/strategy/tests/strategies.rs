//! The strategies beyond most-likely, market prices (and recorded history)
//! in → signal out, each figure worked out by hand in the case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{dec, market, price, utc};
use domain::gamma::attach_event_context;
use domain::{Action, EventContext, EventId, Market, MarketId, Usd};
use rust_decimal::Decimal;
use strategy::{
    FavouriteBand, LongshotFade, Momentum, NearResolution, PriceHistory, PricePoint, Strategy,
};

/// What a signal says: side, price, confidence, reason.
type Got = Option<(Action, Decimal, Decimal, String)>;

fn now() -> DateTime<Utc> {
    utc("2026-01-10T12:00:00Z")
}

fn check(strategy: &dyn Strategy, market: Market, history: &PriceHistory) -> Got {
    let signals = strategy.generate(&[market], history, now());
    assert!(signals.len() <= 1);
    signals.into_iter().next().map(|s| {
        assert_eq!(s.timestamp, now());
        assert!(!s.executed);
        (s.action, s.target_price.value(), s.confidence, s.reason)
    })
}

fn got(action: Action, p: &str, c: &str, reason: &str) -> Got {
    Some((action, dec(p), dec(c), reason.to_owned()))
}

#[test]
fn favourite_band_buys_the_favourite_inside_the_band_only() {
    let s = FavouriteBand::default();
    let none = PriceHistory::new();
    let cases: Vec<(&str, Market, Got)> = vec![
        (
            "yes inside",
            market("m", "0.8", "0.2"),
            // confidence 0.80 − 0.50
            got(
                Action::BuyYes,
                "0.8",
                "0.3",
                "favourite_band: YES price 0.800 in [0.700, 0.900], buying YES at 0.800",
            ),
        ),
        (
            "no inside",
            market("m", "0.25", "0.75"),
            got(
                Action::BuyNo,
                "0.75",
                "0.25",
                "favourite_band: NO price 0.750 in [0.700, 0.900], buying NO at 0.750",
            ),
        ),
        (
            "low edge is inside",
            market("m", "0.7", "0.3"),
            got(
                Action::BuyYes,
                "0.7",
                "0.2",
                "favourite_band: YES price 0.700 in [0.700, 0.900], buying YES at 0.700",
            ),
        ),
        (
            "high edge is inside",
            market("m", "0.1", "0.9"),
            got(
                Action::BuyNo,
                "0.9",
                "0.4",
                "favourite_band: NO price 0.900 in [0.700, 0.900], buying NO at 0.900",
            ),
        ),
        ("below the band", market("m", "0.69", "0.31"), None),
        ("above the band", market("m", "0.95", "0.05"), None),
        ("tie", market("m", "0.5", "0.5"), None),
        (
            "closed",
            {
                let mut m = market("m", "0.8", "0.2");
                m.closed = true;
                m
            },
            None,
        ),
    ];
    for (name, m, want) in cases {
        assert_eq!(check(&s, m, &none), want, "{name}");
    }
}

#[test]
fn longshot_fade_buys_the_side_opposite_a_longshot_below_the_cap() {
    let s = LongshotFade::default();
    let none = PriceHistory::new();
    let cases: Vec<(&str, Market, Got)> = vec![
        (
            "yes is a longshot: buy no",
            market("m", "0.04", "0.96"),
            // confidence 0.10 − 0.04
            got(
                Action::BuyNo,
                "0.96",
                "0.06",
                "longshot_fade: YES price 0.040 < 0.100, buying NO at 0.960",
            ),
        ),
        (
            "no is a longshot: buy yes",
            market("m", "0.93", "0.07"),
            got(
                Action::BuyYes,
                "0.93",
                "0.03",
                "longshot_fade: NO price 0.070 < 0.100, buying YES at 0.930",
            ),
        ),
        ("at the cap is no longshot", market("m", "0.1", "0.9"), None),
        ("no longshot", market("m", "0.3", "0.7"), None),
        ("tie", market("m", "0.05", "0.05"), None),
    ];
    for (name, m, want) in cases {
        assert_eq!(check(&s, m, &none), want, "{name}");
    }
    let tight = LongshotFade {
        amount: Usd::from_int(5),
        cap: price("0.02"),
    };
    assert_eq!(check(&tight, market("m", "0.04", "0.96"), &none), None);
    let signals = tight.generate(&[market("m", "0.015", "0.985")], &none, now());
    assert_eq!(signals[0].amount, Usd::from_int(5));
    assert_eq!(signals[0].confidence, dec("0.005"), "0.02 − 0.015");
    assert_eq!(signals[0].outcome.as_deref(), Some("No"));
}

fn history(market: &str, points: &[(&str, &str)]) -> PriceHistory {
    let mut h = PriceHistory::new();
    h.insert(
        MarketId::new(market),
        points.iter().map(|(t, yes)| PricePoint {
            time: utc(t),
            yes: price(yes),
            no: None,
        }),
    );
    h
}

#[test]
fn momentum_follows_the_move_over_the_lookback_window() {
    let s = Momentum::default(); // 24 h, 3 points, 0.05
    let rising = history(
        "m",
        &[
            ("2026-01-09T00:00:00Z", "0.20"), // outside the 24 h window
            ("2026-01-09T12:00:00Z", "0.40"), // oldest inside: the reference
            ("2026-01-10T00:00:00Z", "0.44"),
            ("2026-01-10T06:00:00Z", "0.47"),
        ],
    );
    assert_eq!(
        check(&s, market("m", "0.52", "0.48"), &rising),
        // 0.52 − 0.40 = +0.12
        got(
            Action::BuyYes,
            "0.52",
            "0.12",
            "momentum: YES 0.400 -> 0.520 (+0.120) over 24h (3 points), buying YES at 0.520",
        )
    );
    assert_eq!(
        check(&s, market("m", "0.33", "0.67"), &rising),
        // 0.33 − 0.40 = −0.07: buy no at its own price
        got(
            Action::BuyNo,
            "0.67",
            "0.07",
            "momentum: YES 0.400 -> 0.330 (-0.070) over 24h (3 points), buying NO at 0.670",
        )
    );
    assert_eq!(
        check(&s, market("m", "0.44", "0.56"), &rising),
        None,
        "+0.04 < 0.05"
    );
    assert_eq!(
        check(&s, market("m", "0.45", "0.55"), &rising).map(|g| g.2),
        Some(dec("0.05")),
        "a move of exactly min_move is followed"
    );
    let short = history(
        "m",
        &[
            ("2026-01-10T00:00:00Z", "0.40"),
            ("2026-01-10T06:00:00Z", "0.41"),
        ],
    );
    assert_eq!(
        check(&s, market("m", "0.60", "0.40"), &short),
        None,
        "2 points < 3"
    );
    assert_eq!(
        check(&s, market("other", "0.60", "0.40"), &rising),
        None,
        "no history for this market"
    );
}

#[test]
fn momentum_never_sees_a_point_recorded_at_or_after_now() {
    let s = Momentum {
        min_points: 2,
        ..Momentum::default()
    };
    let past = [
        ("2026-01-10T00:00:00Z", "0.50"),
        ("2026-01-10T06:00:00Z", "0.51"),
    ];
    let mut with_future = past.to_vec();
    // Points at now and after: had they counted, the reference would still be
    // 0.50 but the window would hold 4 points; and a future crash to 0.10
    // must not matter either way.
    with_future.push(("2026-01-10T12:00:00Z", "0.10"));
    with_future.push(("2026-01-11T00:00:00Z", "0.10"));
    let m = market("m", "0.60", "0.40");
    let want = got(
        Action::BuyYes,
        "0.60",
        "0.10",
        "momentum: YES 0.500 -> 0.600 (+0.100) over 24h (2 points), buying YES at 0.600",
    );
    assert_eq!(check(&s, m.clone(), &history("m", &past)), want);
    assert_eq!(check(&s, m, &history("m", &with_future)), want);
}

fn ending_in(hours: i64, yes: &str, no: &str, on_event: bool) -> Market {
    let end = now() + TimeDelta::hours(hours);
    let mut m = market("m", yes, no);
    if on_event {
        attach_event_context(
            &mut m,
            EventContext {
                event_id: EventId::new("e"),
                event_title: "Event".into(),
                event_end_date: Some(end),
            },
        );
    } else {
        m.end_date = Some(end);
    }
    m
}

#[test]
fn near_resolution_buys_a_clear_favourite_of_a_market_ending_soon() {
    let s = NearResolution::default(); // 7 days, above 0.80
    let none = PriceHistory::new();
    let cases: Vec<(&str, Market, Got)> = vec![
        (
            "ends in 3 days, yes 0.92",
            ending_in(72, "0.92", "0.08", false),
            got(
                Action::BuyYes,
                "0.92",
                "0.42",
                "near_resolution: ends in 72h (within 7 days), YES price 0.920 > 0.800, buying YES at 0.920",
            ),
        ),
        (
            "the event's end date when the market has none",
            ending_in(24, "0.1", "0.9", true),
            got(
                Action::BuyNo,
                "0.9",
                "0.4",
                "near_resolution: ends in 24h (within 7 days), NO price 0.900 > 0.800, buying NO at 0.900",
            ),
        ),
        (
            "exactly 7 days is within",
            ending_in(168, "0.85", "0.15", false),
            got(
                Action::BuyYes,
                "0.85",
                "0.35",
                "near_resolution: ends in 168h (within 7 days), YES price 0.850 > 0.800, buying YES at 0.850",
            ),
        ),
        (
            "7 days and an hour is not",
            ending_in(169, "0.85", "0.15", false),
            None,
        ),
        (
            "favourite at 0.80 is not above",
            ending_in(24, "0.8", "0.2", false),
            None,
        ),
        ("already ended", ending_in(-1, "0.95", "0.05", false), None),
        ("no end date", market("m", "0.95", "0.05"), None),
    ];
    for (name, m, want) in cases {
        assert_eq!(check(&s, m, &none), want, "{name}");
    }
}

#[test]
fn each_strategy_sorts_best_first_and_names_itself() {
    let markets = [
        market("a", "0.75", "0.25"),
        market("b", "0.12", "0.88"),
        market("c", "0.71", "0.29"),
    ];
    let none = PriceHistory::new();
    let got: Vec<(String, Decimal)> = FavouriteBand::default()
        .generate(&markets, &none, now())
        .into_iter()
        .map(|s| (s.market_id.to_string(), s.confidence))
        .collect();
    assert_eq!(
        got,
        [
            ("b".to_owned(), dec("0.38")),
            ("a".to_owned(), dec("0.25")),
            ("c".to_owned(), dec("0.21"))
        ]
    );
    let strategies: [(&dyn Strategy, &str); 4] = [
        (&FavouriteBand::default(), "favourite_band"),
        (&LongshotFade::default(), "longshot_fade"),
        (&Momentum::default(), "momentum"),
        (&NearResolution::default(), "near_resolution"),
    ];
    for (s, name) in strategies {
        assert_eq!(s.name(), name);
    }
}
