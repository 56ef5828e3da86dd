//! The original system's filter parameters, one type for every edge:
//! [`FilterOverrides`] is the `prescient cycle`/`run` flags (clap), the query
//! of `POST /trading/run-full-cycle` and the step actions (serde, unknown
//! names refused), and [`FilterOverrides::applied_to`] is the one function
//! that lays them over [`Settings`] and checks the result.
//!
//! Names and meanings are the original's (SPEC §7): `event_*` filter events,
//! the plain names filter markets, `amount` is what each signal buys. The
//! settings (`prescient.toml` keys, `PRESCIENT_*` variables) use the same
//! names; [`PARAMETERS`] maps each to its setting and default, and the
//! README's table is checked against it.

use crate::settings::Settings;
use domain::Usd;
use rust_decimal::Decimal;
use serde::Deserialize;

/// Per-run overrides of the filter settings; `None` keeps the setting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(default, deny_unknown_fields)]
pub struct FilterOverrides {
    /// Events: minimum liquidity [default: 10000]
    #[arg(long, allow_negative_numbers = true)]
    pub event_min_liquidity: Option<Decimal>,
    /// Events: minimum volume [default: 50000]
    #[arg(long, allow_negative_numbers = true)]
    pub event_min_volume: Option<Decimal>,
    /// Events: minimum 24 h volume [default: none]
    #[arg(long, allow_negative_numbers = true)]
    pub event_min_volume_24hr: Option<Decimal>,
    /// Events: minimum whole days until the event ends [default: 1]
    #[arg(long, allow_negative_numbers = true)]
    pub event_min_days_until_end: Option<i64>,
    /// Events: maximum whole days until the event ends [default: 90]
    #[arg(long, allow_negative_numbers = true)]
    pub event_max_days_until_end: Option<i64>,
    /// Markets: minimum liquidity [default: 10000]
    #[arg(long, allow_negative_numbers = true)]
    pub min_liquidity: Option<Decimal>,
    /// Markets: minimum volume [default: 50000]
    #[arg(long, allow_negative_numbers = true)]
    pub min_volume: Option<Decimal>,
    /// Markets: minimum 24 h volume [default: none]
    #[arg(long, allow_negative_numbers = true)]
    pub min_volume_24hr: Option<Decimal>,
    /// Markets: minimum conviction |yes − no|, in [0, 1] [default: none]
    #[arg(long, allow_negative_numbers = true)]
    pub min_market_conviction: Option<Decimal>,
    /// Markets: maximum conviction |yes − no|, in [0, 1] [default: none]
    #[arg(long, allow_negative_numbers = true)]
    pub max_market_conviction: Option<Decimal>,
    /// Amount each signal buys [default: 100]
    #[arg(long, allow_negative_numbers = true)]
    pub amount: Option<Decimal>,
}

/// What a parameter filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Step 2, the event filter.
    Events,
    /// Step 3, the market filter.
    Markets,
    /// Step 4, the strategy (the amount each signal buys).
    Signals,
}

/// One filter parameter: its name (query parameter, `--flag` in kebab case,
/// `prescient.toml` key), what it filters, its setting and default.
#[derive(Clone, Copy, Debug)]
pub struct Parameter {
    pub name: &'static str,
    pub applies: Applies,
    /// The environment variable of its setting.
    pub variable: &'static str,
    /// The default, as `.env.example` shows it (empty = none).
    pub default: &'static str,
}

const fn p(
    name: &'static str,
    applies: Applies,
    variable: &'static str,
    default: &'static str,
) -> Parameter {
    Parameter {
        name,
        applies,
        variable,
        default,
    }
}

/// Every parameter, in the order the README's table lists them.
pub const PARAMETERS: [Parameter; 11] = [
    p(
        "event_min_liquidity",
        Applies::Events,
        "PRESCIENT_EVENT_MIN_LIQUIDITY",
        "10000",
    ),
    p(
        "event_min_volume",
        Applies::Events,
        "PRESCIENT_EVENT_MIN_VOLUME",
        "50000",
    ),
    p(
        "event_min_volume_24hr",
        Applies::Events,
        "PRESCIENT_EVENT_MIN_VOLUME_24HR",
        "",
    ),
    p(
        "event_min_days_until_end",
        Applies::Events,
        "PRESCIENT_EVENT_MIN_DAYS_UNTIL_END",
        "1",
    ),
    p(
        "event_max_days_until_end",
        Applies::Events,
        "PRESCIENT_EVENT_MAX_DAYS_UNTIL_END",
        "90",
    ),
    p(
        "min_liquidity",
        Applies::Markets,
        "PRESCIENT_MIN_LIQUIDITY",
        "10000",
    ),
    p(
        "min_volume",
        Applies::Markets,
        "PRESCIENT_MIN_VOLUME",
        "50000",
    ),
    p(
        "min_volume_24hr",
        Applies::Markets,
        "PRESCIENT_MIN_VOLUME_24HR",
        "",
    ),
    p(
        "min_market_conviction",
        Applies::Markets,
        "PRESCIENT_MIN_MARKET_CONVICTION",
        "",
    ),
    p(
        "max_market_conviction",
        Applies::Markets,
        "PRESCIENT_MAX_MARKET_CONVICTION",
        "",
    ),
    p("amount", Applies::Signals, "PRESCIENT_TRADE_AMOUNT", "100"),
];

/// The names of the parameters that apply to `what`.
pub fn names(what: &[Applies]) -> Vec<&'static str> {
    PARAMETERS
        .iter()
        .filter(|p| what.contains(&p.applies))
        .map(|p| p.name)
        .collect()
}

/// A filter value that cannot be used, named by its parameter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{parameter}` {problem}")]
pub struct FilterError {
    /// The parameter's name (see [`PARAMETERS`]).
    pub parameter: &'static str,
    pub problem: String,
}

impl FilterError {
    /// The environment variable of the parameter's setting.
    pub fn variable(&self) -> &'static str {
        PARAMETERS
            .iter()
            .find(|p| p.name == self.parameter)
            .map_or("", |p| p.variable)
    }
}

impl FilterOverrides {
    /// The settings with these overrides laid over them, checked
    /// ([`check`]); the settings passed in are left as they are.
    pub fn applied_to(&self, settings: &Settings) -> Result<Settings, FilterError> {
        let mut s = settings.clone();
        let keep = |v: Option<Decimal>, old: Decimal| v.unwrap_or(old);
        let keep_opt = |v: Option<Decimal>, old: Option<Decimal>| v.or(old);
        s.event_min_liquidity = keep(self.event_min_liquidity, s.event_min_liquidity);
        s.event_min_volume = keep(self.event_min_volume, s.event_min_volume);
        s.event_min_volume_24hr = keep_opt(self.event_min_volume_24hr, s.event_min_volume_24hr);
        s.event_min_days_until_end = self
            .event_min_days_until_end
            .unwrap_or(s.event_min_days_until_end);
        s.event_max_days_until_end = self
            .event_max_days_until_end
            .unwrap_or(s.event_max_days_until_end);
        s.min_liquidity = keep(self.min_liquidity, s.min_liquidity);
        s.min_volume = keep(self.min_volume, s.min_volume);
        s.min_volume_24hr = keep_opt(self.min_volume_24hr, s.min_volume_24hr);
        s.min_market_conviction = keep_opt(self.min_market_conviction, s.min_market_conviction);
        s.max_market_conviction = keep_opt(self.max_market_conviction, s.max_market_conviction);
        s.trade_amount = keep(self.amount, s.trade_amount);
        check(&s)?;
        Ok(s)
    }

    /// The names of the parameters given, in [`PARAMETERS`] order.
    pub fn given(&self) -> Vec<&'static str> {
        let given = [
            self.event_min_liquidity.is_some(),
            self.event_min_volume.is_some(),
            self.event_min_volume_24hr.is_some(),
            self.event_min_days_until_end.is_some(),
            self.event_max_days_until_end.is_some(),
            self.min_liquidity.is_some(),
            self.min_volume.is_some(),
            self.min_volume_24hr.is_some(),
            self.min_market_conviction.is_some(),
            self.max_market_conviction.is_some(),
            self.amount.is_some(),
        ];
        PARAMETERS
            .iter()
            .zip(given)
            .filter(|(_, g)| *g)
            .map(|(p, _)| p.name)
            .collect()
    }
}

/// The filter settings' rules: liquidity and volume not negative, the
/// minimum days and conviction not above the maximum, conviction within
/// [0, 1], the amount positive and storable (below 10^13).
pub fn check(s: &Settings) -> Result<(), FilterError> {
    let fail = |parameter, problem: String| Err(FilterError { parameter, problem });
    for (parameter, value) in [
        ("event_min_liquidity", Some(s.event_min_liquidity)),
        ("event_min_volume", Some(s.event_min_volume)),
        ("event_min_volume_24hr", s.event_min_volume_24hr),
        ("min_liquidity", Some(s.min_liquidity)),
        ("min_volume", Some(s.min_volume)),
        ("min_volume_24hr", s.min_volume_24hr),
    ] {
        if let Some(v) = value
            && v < Decimal::ZERO
        {
            return fail(parameter, format!("must not be negative, not {v}"));
        }
    }
    if s.event_min_days_until_end > s.event_max_days_until_end {
        return fail(
            "event_min_days_until_end",
            format!(
                "({}) is above `event_max_days_until_end` ({})",
                s.event_min_days_until_end, s.event_max_days_until_end
            ),
        );
    }
    for (parameter, value) in [
        ("min_market_conviction", s.min_market_conviction),
        ("max_market_conviction", s.max_market_conviction),
    ] {
        if let Some(v) = value
            && !(Decimal::ZERO..=Decimal::ONE).contains(&v)
        {
            return fail(parameter, format!("must be within [0, 1], not {v}"));
        }
    }
    if let (Some(min), Some(max)) = (s.min_market_conviction, s.max_market_conviction)
        && min > max
    {
        return fail(
            "min_market_conviction",
            format!("({min}) is above `max_market_conviction` ({max})"),
        );
    }
    let amount = Usd::new(s.trade_amount);
    if !amount.is_positive() || !amount.is_storable() {
        return fail(
            "amount",
            format!("must be positive and below 10^13, not {}", s.trade_amount),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Sources;
    use clap::Parser;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn defaults() -> Settings {
        Settings::load(&Sources::default()).unwrap()
    }

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        filters: FilterOverrides,
    }

    fn flags(args: &[&str]) -> FilterOverrides {
        Flags::try_parse_from(std::iter::once("prescient").chain(args.iter().copied()))
            .unwrap()
            .filters
    }

    /// Parameters by name, as a query or a config table names them (the
    /// HTTP query itself is tested in `tests/api.rs`).
    fn by_name(q: &str) -> Result<FilterOverrides, String> {
        serde_json::from_value::<FilterOverrides>(serde_json::Value::Object(
            q.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_owned(), serde_json::Value::String(v.to_owned()))
                })
                .collect(),
        ))
        .map_err(|e| e.to_string())
    }

    #[test]
    fn event_names_filter_events_and_plain_names_filter_markets() {
        let o = flags(&["--event-min-liquidity", "5000", "--min-liquidity", "20000"]);
        let s = o.applied_to(&defaults()).unwrap();
        assert_eq!(s.event_filter().min_liquidity, dec!(5000));
        assert_eq!(s.market_filter().min_liquidity, dec!(20000));
        // What was not given keeps its setting.
        assert_eq!(s.event_filter().min_volume, dec!(50000));
        assert_eq!(s.market_filter().min_volume, dec!(50000));
        assert_eq!(o.given(), ["event_min_liquidity", "min_liquidity"]);
    }

    #[test]
    fn every_parameter_reaches_its_setting_by_flag() {
        let o = flags(&[
            "--event-min-liquidity=1",
            "--event-min-volume=2",
            "--event-min-volume-24hr=3",
            "--event-min-days-until-end=4",
            "--event-max-days-until-end=5",
            "--min-liquidity=6",
            "--min-volume=7",
            "--min-volume-24hr=8",
            "--min-market-conviction=0.1",
            "--max-market-conviction=0.9",
            "--amount=11",
        ]);
        assert_eq!(o.given(), PARAMETERS.map(|p| p.name));
        let s = o.applied_to(&defaults()).unwrap();
        let (e, m) = (s.event_filter(), s.market_filter());
        assert_eq!(
            (e.min_liquidity, e.min_volume, e.min_volume_24hr),
            (dec!(1), dec!(2), Some(dec!(3)))
        );
        assert_eq!((e.min_days_until_end, e.max_days_until_end), (4, 5));
        assert_eq!(
            (m.min_liquidity, m.min_volume, m.min_volume_24hr),
            (dec!(6), dec!(7), Some(dec!(8)))
        );
        assert_eq!(
            (m.min_conviction, m.max_conviction),
            (Some(dec!(0.1)), Some(dec!(0.9)))
        );
        assert_eq!(s.trade_amount, dec!(11));
    }

    #[test]
    fn the_query_takes_the_same_names_and_refuses_others() {
        let o = by_name("event_min_volume=1&min_volume=2&amount=3").unwrap();
        assert_eq!(o.given(), ["event_min_volume", "min_volume", "amount"]);
        let e = by_name("no_such_param=1").unwrap_err();
        assert!(e.contains("no_such_param"), "{e}");
        // The old names are refused, not silently ignored.
        for old in ["market_min_liquidity", "min_conviction", "max_conviction"] {
            let e = by_name(&format!("{old}=1")).unwrap_err();
            assert!(e.contains(old), "{e}");
        }
    }

    #[test]
    fn bad_values_are_named_by_their_parameter() {
        let bad = |args: &[&str]| flags(args).applied_to(&defaults()).unwrap_err();
        for (args, parameter) in [
            (&["--event-min-liquidity=-1"][..], "event_min_liquidity"),
            (&["--event-min-volume=-0.01"], "event_min_volume"),
            (&["--event-min-volume-24hr=-5"], "event_min_volume_24hr"),
            (&["--min-liquidity=-1"], "min_liquidity"),
            (&["--min-volume=-1"], "min_volume"),
            (&["--min-volume-24hr=-1"], "min_volume_24hr"),
            (
                &["--event-min-days-until-end=100"],
                "event_min_days_until_end",
            ),
            (
                &[
                    "--event-min-days-until-end=5",
                    "--event-max-days-until-end=4",
                ],
                "event_min_days_until_end",
            ),
            (&["--min-market-conviction=1.5"], "min_market_conviction"),
            (&["--max-market-conviction=-0.1"], "max_market_conviction"),
            (
                &["--min-market-conviction=0.6", "--max-market-conviction=0.5"],
                "min_market_conviction",
            ),
            (&["--amount=0"], "amount"),
            (&["--amount=-100"], "amount"),
            (&["--amount=10000000000000"], "amount"),
        ] {
            let e = bad(args);
            assert_eq!(e.parameter, parameter, "{args:?}: {e}");
            assert!(e.to_string().starts_with(&format!("`{parameter}`")), "{e}");
        }
    }

    #[test]
    fn zero_and_the_bounds_are_accepted() {
        let o = flags(&[
            "--event-min-liquidity=0",
            "--min-volume=-0",
            "--min-market-conviction=0",
            "--max-market-conviction=1",
            "--event-min-days-until-end=7",
            "--event-max-days-until-end=7",
        ]);
        o.applied_to(&defaults()).unwrap();
    }

    proptest! {
        /// Any liquidity or volume ≥ 0 and any conviction pair in [0, 1]
        /// with min ≤ max is accepted and lands unchanged; a negative one
        /// or an inverted pair is refused, naming it.
        #[test]
        fn the_rules_hold_for_any_value(
            liquidity in -1_000_000i64..1_000_000,
            a in 0u32..=100,
            b in 0u32..=100,
        ) {
            let liquidity = Decimal::from(liquidity);
            let (a, b) = (Decimal::new(a.into(), 2), Decimal::new(b.into(), 2));
            let o = FilterOverrides {
                min_liquidity: Some(liquidity),
                min_market_conviction: Some(a),
                max_market_conviction: Some(b),
                ..FilterOverrides::default()
            };
            match o.applied_to(&defaults()) {
                Ok(s) => {
                    prop_assert!(liquidity >= Decimal::ZERO && a <= b);
                    prop_assert_eq!(s.min_liquidity, liquidity);
                    prop_assert_eq!(
                        (s.min_market_conviction, s.max_market_conviction),
                        (Some(a), Some(b))
                    );
                }
                Err(e) if liquidity < Decimal::ZERO => prop_assert_eq!(e.parameter, "min_liquidity"),
                Err(e) => {
                    prop_assert!(a > b);
                    prop_assert_eq!(e.parameter, "min_market_conviction");
                }
            }
        }
    }

    /// The README's parameter table lists every parameter with its filter,
    /// variable and default, in order.
    #[test]
    fn the_readme_table_matches_the_parameters() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .unwrap();
        let rows: Vec<&str> = readme
            .lines()
            .filter(|l| l.starts_with("| `") && l.contains("PRESCIENT_"))
            .collect();
        for (parameter, row) in PARAMETERS.iter().zip(&rows) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert_eq!(
                cells.get(1),
                Some(&format!("`{}`", parameter.name).as_str()),
                "{row}"
            );
            let filters = match parameter.applies {
                Applies::Events => "events",
                Applies::Markets => "markets",
                Applies::Signals => "signals",
            };
            assert!(
                cells.get(2).is_some_and(|c| c.starts_with(filters)),
                "{row}"
            );
            assert!(
                cells.get(3).is_some_and(|c| c.contains(parameter.variable)),
                "{row}"
            );
            let default = if parameter.default.is_empty() {
                "none"
            } else {
                parameter.default
            };
            assert_eq!(cells.get(4), Some(&default), "{row}");
            // The setting's default is the one listed.
            let listed = crate::settings::VARIABLES
                .iter()
                .find(|(name, _)| *name == parameter.variable);
            assert_eq!(listed.map(|(_, d)| *d), Some(parameter.default), "{row}");
        }
        assert_eq!(rows.len(), PARAMETERS.len(), "{rows:#?}");
    }
}
