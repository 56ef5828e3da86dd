//! The migration phases and the route each data set takes in each (SPEC §6).
//! A pure table: the routed store and `prescient migrate phase` are glue over it.

use crate::DomainError;
use std::fmt;
use std::str::FromStr;

/// The five data sets that migrate independently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataSet {
    /// Portfolio state, positions and snapshots.
    Portfolio,
    Trades,
    /// Portfolio history and signal archives.
    History,
    Signals,
    /// Events, markets and market snapshots.
    Markets,
}

impl DataSet {
    pub const ALL: [DataSet; 5] = [
        DataSet::Portfolio,
        DataSet::Trades,
        DataSet::History,
        DataSet::Signals,
        DataSet::Markets,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataSet::Portfolio => "portfolio",
            DataSet::Trades => "trades",
            DataSet::History => "history",
            DataSet::Signals => "signals",
            DataSet::Markets => "markets",
        }
    }
}

impl fmt::Display for DataSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataSet {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataSet::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| DomainError::UnknownDataSet(s.to_owned()))
    }
}

/// Where a data set's reads and writes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `J`: JSON only.
    Json,
    /// `DW`: write both, read JSON (JSON is the truth).
    DualWrite,
    /// `DR`: write both, read PostgreSQL, fall back to JSON on failure.
    DualRead,
    /// `D`: write PostgreSQL only; JSON readable as emergency fallback.
    Database,
    /// `P`: PostgreSQL only; no JSON file touched.
    PostgresOnly,
}

impl Route {
    pub fn code(self) -> &'static str {
        match self {
            Route::Json => "J",
            Route::DualWrite => "DW",
            Route::DualRead => "DR",
            Route::Database => "D",
            Route::PostgresOnly => "P",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The plan's phases 0–7, with phase 5 split per data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    Preparation,
    TradesAndPortfolio,
    History,
    Signals,
    MarketsAndEvents,
    ReadsPortfolio,
    ReadsTradesHistory,
    ReadsSignals,
    ReadsMarkets,
    DatabasePrimary,
    JsonRetired,
}

impl Phase {
    pub const ALL: [Phase; 11] = [
        Phase::Preparation,
        Phase::TradesAndPortfolio,
        Phase::History,
        Phase::Signals,
        Phase::MarketsAndEvents,
        Phase::ReadsPortfolio,
        Phase::ReadsTradesHistory,
        Phase::ReadsSignals,
        Phase::ReadsMarkets,
        Phase::DatabasePrimary,
        Phase::JsonRetired,
    ];

    /// The phase's number as the plan writes it (`0`, `4`, `5.2`, `7`).
    pub fn number(self) -> &'static str {
        match self {
            Phase::Preparation => "0",
            Phase::TradesAndPortfolio => "1",
            Phase::History => "2",
            Phase::Signals => "3",
            Phase::MarketsAndEvents => "4",
            Phase::ReadsPortfolio => "5.1",
            Phase::ReadsTradesHistory => "5.2",
            Phase::ReadsSignals => "5.3",
            Phase::ReadsMarkets => "5.4",
            Phase::DatabasePrimary => "6",
            Phase::JsonRetired => "7",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Phase::Preparation => "preparation",
            Phase::TradesAndPortfolio => "trades & portfolio",
            Phase::History => "history",
            Phase::Signals => "signals",
            Phase::MarketsAndEvents => "markets & events",
            Phase::ReadsPortfolio => "reads: portfolio",
            Phase::ReadsTradesHistory => "reads: trades, history",
            Phase::ReadsSignals => "reads: signals",
            Phase::ReadsMarkets => "reads: markets",
            Phase::DatabasePrimary => "database primary",
            Phase::JsonRetired => "JSON retired",
        }
    }

    pub fn next(self) -> Option<Phase> {
        let i = Phase::ALL.iter().position(|p| *p == self)?;
        Phase::ALL.get(i + 1).copied()
    }

    pub fn previous(self) -> Option<Phase> {
        let i = Phase::ALL.iter().position(|p| *p == self)?;
        i.checked_sub(1).and_then(|j| Phase::ALL.get(j).copied())
    }

    /// The route of `data_set` in this phase: the table of SPEC §6.
    pub fn route(self, data_set: DataSet) -> Route {
        use DataSet as D;
        use Route::*;
        let (portfolio, trades, history, signals, markets) = match self {
            Phase::Preparation => (Json, Json, Json, Json, Json),
            Phase::TradesAndPortfolio => (DualWrite, DualWrite, Json, Json, Json),
            Phase::History => (DualWrite, DualWrite, DualWrite, Json, Json),
            Phase::Signals => (DualWrite, DualWrite, DualWrite, DualWrite, Json),
            Phase::MarketsAndEvents => (DualWrite, DualWrite, DualWrite, DualWrite, DualWrite),
            Phase::ReadsPortfolio => (DualRead, DualWrite, DualWrite, DualWrite, DualWrite),
            Phase::ReadsTradesHistory => (DualRead, DualRead, DualRead, DualWrite, DualWrite),
            Phase::ReadsSignals => (DualRead, DualRead, DualRead, DualRead, DualWrite),
            Phase::ReadsMarkets => (DualRead, DualRead, DualRead, DualRead, DualRead),
            Phase::DatabasePrimary => (Database, Database, Database, Database, Database),
            Phase::JsonRetired => (
                PostgresOnly,
                PostgresOnly,
                PostgresOnly,
                PostgresOnly,
                PostgresOnly,
            ),
        };
        match data_set {
            D::Portfolio => portfolio,
            D::Trades => trades,
            D::History => history,
            D::Signals => signals,
            D::Markets => markets,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.number(), self.title())
    }
}

impl FromStr for Phase {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Phase::ALL
            .into_iter()
            .find(|p| p.number() == s)
            .ok_or_else(|| DomainError::UnknownPhase(s.to_owned()))
    }
}

/// The plan's flags, as emergency overrides on top of the phase (SPEC §6).
/// `None` means "not set": the phase decides. They can only turn routes
/// *back*; `true` never moves a data set further than its phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `USE_DATABASE_WRITE=false`: every DW/DR route back to J (phases 1–5).
    pub use_database_write: Option<bool>,
    /// `USE_DATABASE_READ=false`: every DR route back to DW.
    pub use_database_read: Option<bool>,
    /// `DATABASE_FALLBACK_TO_JSON` (on unless `false`): a failed PostgreSQL
    /// read in DR answers from JSON (the truth there); in D a read for
    /// display, PostgreSQL being unavailable, answers from the JSON files as
    /// last written, marked stale. `false` makes both fail instead; `true`
    /// is refused in phase 7 (P has no JSON).
    pub fallback_to_json: Option<bool>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        *self == Overrides::default()
    }
}

/// A route after overrides, and whether a failed PostgreSQL read may fall
/// back to JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EffectiveRoute {
    pub route: Route,
    pub fallback: bool,
}

/// An override the phase cannot honour; refused at start-up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{flag}={value} cannot be honoured in phase {phase}: {why}")]
pub struct OverrideRefused {
    pub flag: &'static str,
    pub value: bool,
    pub phase: Phase,
    pub why: &'static str,
}

impl Phase {
    /// Check that `overrides` can be honoured in this phase.
    pub fn check_overrides(self, overrides: Overrides) -> Result<(), OverrideRefused> {
        let refuse = |flag, value, why| {
            Err(OverrideRefused {
                flag,
                value,
                phase: self,
                why,
            })
        };
        let postgres_primary = matches!(self, Phase::DatabasePrimary | Phase::JsonRetired);
        if overrides.use_database_write == Some(false) && postgres_primary {
            return refuse(
                "USE_DATABASE_WRITE",
                false,
                "PostgreSQL is the only store written; roll the phase back to 5.4 first",
            );
        }
        if overrides.use_database_read == Some(false) && postgres_primary {
            return refuse(
                "USE_DATABASE_READ",
                false,
                "JSON is no longer written, so it cannot serve reads; roll the phase back first",
            );
        }
        if overrides.fallback_to_json == Some(true) && self == Phase::JsonRetired {
            return refuse(
                "DATABASE_FALLBACK_TO_JSON",
                true,
                "the JSON files are retired and archived",
            );
        }
        Ok(())
    }

    /// The data sets written to both stores (DW or DR) after `overrides`:
    /// the ones whose PostgreSQL copy must stay level with JSON.
    pub fn dual_written(self, overrides: Overrides) -> Vec<DataSet> {
        DataSet::ALL
            .into_iter()
            .filter(|d| {
                matches!(
                    self.effective_route(*d, overrides).route,
                    Route::DualWrite | Route::DualRead
                )
            })
            .collect()
    }

    /// The route of `data_set` after `overrides` (already checked with
    /// [`Phase::check_overrides`]).
    pub fn effective_route(self, data_set: DataSet, overrides: Overrides) -> EffectiveRoute {
        let mut route = self.route(data_set);
        if overrides.use_database_write == Some(false)
            && matches!(route, Route::DualWrite | Route::DualRead)
        {
            route = Route::Json;
        }
        if overrides.use_database_read == Some(false) && route == Route::DualRead {
            route = Route::DualWrite;
        }
        let may_fall_back = match route {
            Route::DualRead | Route::Database => true,
            Route::Json | Route::DualWrite | Route::PostgresOnly => false,
        };
        let fallback = may_fall_back && overrides.fallback_to_json != Some(false);
        EffectiveRoute { route, fallback }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §6, row by row, as the spec prints it.
    #[test]
    fn route_table_matches_the_spec() {
        let table = [
            ("0", "J J J J J"),
            ("1", "DW DW J J J"),
            ("2", "DW DW DW J J"),
            ("3", "DW DW DW DW J"),
            ("4", "DW DW DW DW DW"),
            ("5.1", "DR DW DW DW DW"),
            ("5.2", "DR DR DR DW DW"),
            ("5.3", "DR DR DR DR DW"),
            ("5.4", "DR DR DR DR DR"),
            ("6", "D D D D D"),
            ("7", "P P P P P"),
        ];
        for (phase, routes) in table {
            let phase: Phase = phase.parse().unwrap();
            let actual: Vec<&str> = DataSet::ALL
                .iter()
                .map(|d| phase.route(*d).code())
                .collect();
            assert_eq!(actual.join(" "), routes, "phase {phase}");
        }
    }

    /// Each override against each phase: (flags, phase, routes or refusal).
    #[test]
    fn overrides_turn_routes_back_and_refuse_what_cannot_be_honoured() {
        let w = |v| Overrides {
            use_database_write: Some(v),
            ..Default::default()
        };
        let r = |v| Overrides {
            use_database_read: Some(v),
            ..Default::default()
        };
        let f = |v| Overrides {
            fallback_to_json: Some(v),
            ..Default::default()
        };
        let cases: [(Overrides, &str, Result<&str, &str>); 14] = [
            (w(false), "1", Ok("J J J J J")),
            (w(false), "4", Ok("J J J J J")),
            (w(false), "5.2", Ok("J J J J J")),
            (w(true), "0", Ok("J J J J J")),
            (w(true), "3", Ok("DW DW DW DW J")),
            (w(false), "6", Err("USE_DATABASE_WRITE")),
            (w(false), "7", Err("USE_DATABASE_WRITE")),
            (r(false), "5.1", Ok("DW DW DW DW DW")),
            (r(false), "5.4", Ok("DW DW DW DW DW")),
            (r(false), "2", Ok("DW DW DW J J")),
            (r(false), "6", Err("USE_DATABASE_READ")),
            (r(true), "1", Ok("DW DW J J J")),
            (f(true), "7", Err("DATABASE_FALLBACK_TO_JSON")),
            (f(false), "5.4", Ok("DR DR DR DR DR")),
        ];
        for (overrides, phase, expected) in cases {
            let phase: Phase = phase.parse().unwrap();
            match (phase.check_overrides(overrides), expected) {
                (Ok(()), Ok(routes)) => {
                    let actual: Vec<&str> = DataSet::ALL
                        .iter()
                        .map(|d| phase.effective_route(*d, overrides).route.code())
                        .collect();
                    assert_eq!(actual.join(" "), routes, "{overrides:?} in {phase}");
                }
                (Err(e), Err(flag)) => assert_eq!(e.flag, flag, "{overrides:?} in {phase}"),
                (got, want) => panic!("{overrides:?} in {phase}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn fallback_is_on_in_dual_read_and_database_primary_unless_disabled() {
        let phase = Phase::ReadsMarkets;
        assert!(
            phase
                .effective_route(DataSet::Trades, Overrides::default())
                .fallback
        );
        let off = Overrides {
            fallback_to_json: Some(false),
            ..Default::default()
        };
        assert!(!phase.effective_route(DataSet::Trades, off).fallback);
        assert!(
            Phase::DatabasePrimary
                .effective_route(DataSet::Trades, Overrides::default())
                .fallback,
            "D may answer a read from the JSON files, marked stale"
        );
        assert!(
            !Phase::DatabasePrimary
                .effective_route(DataSet::Trades, off)
                .fallback
        );
        assert!(
            !Phase::JsonRetired
                .effective_route(DataSet::Trades, Overrides::default())
                .fallback,
            "P has no JSON to fall back to"
        );
        let on = Overrides {
            fallback_to_json: Some(true),
            ..Default::default()
        };
        assert!(Phase::JsonRetired.check_overrides(on).is_err());
    }

    #[test]
    fn dual_written_data_sets_follow_the_routes_and_the_overrides() {
        use DataSet::*;
        assert_eq!(
            Phase::Preparation.dual_written(Overrides::default()),
            vec![]
        );
        assert_eq!(
            Phase::TradesAndPortfolio.dual_written(Overrides::default()),
            vec![Portfolio, Trades]
        );
        assert_eq!(
            Phase::ReadsPortfolio.dual_written(Overrides::default()),
            DataSet::ALL.to_vec()
        );
        assert_eq!(
            Phase::DatabasePrimary.dual_written(Overrides::default()),
            vec![]
        );
        let no_writes = Overrides {
            use_database_write: Some(false),
            ..Overrides::default()
        };
        assert_eq!(Phase::ReadsMarkets.dual_written(no_writes), vec![]);
    }

    #[test]
    fn phases_step_one_at_a_time() {
        assert_eq!(Phase::Preparation.previous(), None);
        assert_eq!(Phase::JsonRetired.next(), None);
        for w in Phase::ALL.windows(2) {
            assert_eq!(w[0].next(), Some(w[1]));
            assert_eq!(w[1].previous(), Some(w[0]));
        }
        assert!("5.5".parse::<Phase>().is_err());
    }
}
