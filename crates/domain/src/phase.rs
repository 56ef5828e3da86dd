//! The migration phases and the route each data set takes in each (SPEC §6).
//! A pure table: the routed store and `xtask phase` are glue over it.

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
