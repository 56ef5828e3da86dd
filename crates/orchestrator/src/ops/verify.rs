//! `verify`: for every data set and every table, counts plus a keyed
//! row-by-row comparison of the JSON files and PostgreSQL, at the schema's
//! precision (both stores round to it, so a record that survived reads back
//! equal). Missing = in JSON, not in PostgreSQL; extra = the other way.
//!
//! Every portfolio either side holds is compared (the default one always),
//! each portfolio's tables apart: a record of one portfolio found under
//! another is missing in one and extra in the other. Every field is
//! compared, the strategy of signals and trades and a trade's settlement
//! included.

use domain::ports::Stores;
use domain::{DataSet, NaturalKey, PortfolioId, StoreError};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One record that differs, by key, with the fields that differ.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Difference {
    pub key: String,
    pub fields: Vec<String>,
}

/// The comparison of one table.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TableReport {
    pub data_set: String,
    pub table: &'static str,
    /// The portfolio the rows are of; `None` for the market data, which
    /// every portfolio shares.
    pub portfolio: Option<String>,
    pub json_rows: usize,
    pub pg_rows: usize,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub differing: Vec<Difference>,
}

impl TableReport {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.differing.is_empty()
    }
}

/// The comparison of every table of the data sets asked for.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub tables: Vec<TableReport>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.tables.iter().all(TableReport::is_clean)
    }
    pub fn missing(&self) -> usize {
        self.tables.iter().map(|t| t.missing.len()).sum()
    }
    pub fn extra(&self) -> usize {
        self.tables.iter().map(|t| t.extra.len()).sum()
    }
    pub fn differing(&self) -> usize {
        self.tables.iter().map(|t| t.differing.len()).sum()
    }
    /// The summary kept in the phase file (`last_verify`, `last_round_trip`).
    pub fn record(&self, data_sets: &[DataSet]) -> crate::phase_state::VerifyRecord {
        crate::phase_state::VerifyRecord {
            at: chrono::Utc::now(),
            clean: self.is_clean(),
            data_sets: data_sets.iter().map(ToString::to_string).collect(),
            missing: self.missing(),
            extra: self.extra(),
            differing: self.differing(),
        }
    }

    /// Data sets with at least one mismatch.
    pub fn dirty_data_sets(&self) -> Vec<DataSet> {
        let mut out: Vec<DataSet> = self
            .tables
            .iter()
            .filter(|t| !t.is_clean())
            .filter_map(|t| t.data_set.parse().ok())
            .collect();
        out.dedup();
        out
    }
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for t in &self.tables {
            let state = if t.is_clean() { "clean" } else { "MISMATCH" };
            // The default portfolio's tables are named as before there were
            // several; another portfolio's say whose they are.
            let table = match t.portfolio.as_deref() {
                Some(p) if p != PortfolioId::DEFAULT => format!("{} [{p}]", t.table),
                _ => t.table.to_owned(),
            };
            writeln!(
                f,
                "{:<10} {:<20} json={:<8} pg={:<8} {state}",
                t.data_set, table, t.json_rows, t.pg_rows
            )?;
            for k in &t.missing {
                writeln!(f, "    missing in PostgreSQL: {k}")?;
            }
            for k in &t.extra {
                writeln!(f, "    extra in PostgreSQL:   {k}")?;
            }
            for d in &t.differing {
                writeln!(f, "    differs: {} ({})", d.key, d.fields.join(", "))?;
            }
        }
        if self.is_clean() {
            writeln!(f, "verify: clean")
        } else {
            writeln!(
                f,
                "verify: {} missing, {} extra, {} differing",
                self.missing(),
                self.extra(),
                self.differing()
            )
        }
    }
}

/// Compare the data sets between two sets of ports (JSON first), every
/// portfolio either holds.
pub async fn verify(
    json: &Stores,
    pg: &Stores,
    data_sets: &[DataSet],
) -> Result<VerifyReport, StoreError> {
    let portfolios = super::copy::portfolios_in(&[json, pg]).await?;
    let mut report = VerifyReport::default();
    for ds in data_sets {
        // The version JSON stood at when the comparison began: a clean
        // result records PostgreSQL level with exactly that (if JSON did not
        // move meanwhile), which is what makes dual reads go to it.
        let before = json.versions.own_version(*ds).await.ok();
        let first = report.tables.len();
        compare_data_set(json, pg, *ds, &portfolios, &mut report).await?;
        let clean = report
            .tables
            .get(first..)
            .is_some_and(|t| t.iter().all(TableReport::is_clean));
        if let (true, Some(before)) = (clean, before) {
            if json.versions.own_version(*ds).await.ok().as_ref() == Some(&before) {
                if let Err(e) = routing::currency::mark_level(pg, *ds, &before).await {
                    tracing::debug!(data_set = %ds, error = %e, "verify could not record the data set level");
                }
            }
        }
    }
    Ok(report)
}

/// Records are matched by their natural key (`domain::keys`), as shadow
/// reads match them.
fn key<T: NaturalKey>(record: &T) -> String {
    record.natural_key()
}

async fn compare_data_set(
    json: &Stores,
    pg: &Stores,
    ds: DataSet,
    portfolios: &[PortfolioId],
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    if ds == DataSet::Markets {
        return compare_markets(json, pg, report).await;
    }
    for portfolio in portfolios {
        let first = report.tables.len();
        compare_portfolio(json, pg, ds, portfolio, report).await?;
        for t in report.tables.get_mut(first..).into_iter().flatten() {
            t.portfolio = Some(portfolio.to_string());
        }
    }
    Ok(())
}

/// The tables of data set `ds` (not the market data) of one portfolio.
async fn compare_portfolio(
    json: &Stores,
    pg: &Stores,
    ds: DataSet,
    portfolio: &PortfolioId,
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    match ds {
        DataSet::Portfolio => {
            let (a, b) = tokio::try_join!(
                json.portfolio.load_portfolio(portfolio),
                pg.portfolio.load_portfolio(portfolio),
            )?;
            let state = |p: &Option<domain::Portfolio>| {
                p.iter()
                    .map(|p| domain::Portfolio {
                        positions: Vec::new(),
                        ..p.clone()
                    })
                    .collect::<Vec<_>>()
            };
            report
                .tables
                .push(compare(ds, "portfolio_state", state(&a), state(&b), key));
            let positions =
                |p: Option<domain::Portfolio>| p.map(|p| p.positions).unwrap_or_default();
            report.tables.push(compare(
                ds,
                "portfolio_positions",
                positions(a),
                positions(b),
                key,
            ));
            report.tables.push(
                both(
                    ds,
                    "portfolio_snapshots",
                    json.portfolio.load_portfolio_snapshots(portfolio),
                    pg.portfolio.load_portfolio_snapshots(portfolio),
                )
                .await?,
            );
        }
        DataSet::Trades => {
            report.tables.push(
                both(
                    ds,
                    "trades",
                    json.trades.load_trades(portfolio),
                    pg.trades.load_trades(portfolio),
                )
                .await?,
            );
        }
        DataSet::History => {
            report.tables.push(
                both(
                    ds,
                    "portfolio_history",
                    json.history.load_history(portfolio),
                    pg.history.load_history(portfolio),
                )
                .await?,
            );
            report.tables.push(
                both(
                    ds,
                    "signal_archives",
                    json.history.load_signal_archives(portfolio, None),
                    pg.history.load_signal_archives(portfolio, None),
                )
                .await?,
            );
        }
        DataSet::Signals => {
            report.tables.push(
                both(
                    ds,
                    "trading_signals",
                    json.signals.load_current_signals(portfolio),
                    pg.signals.load_current_signals(portfolio),
                )
                .await?,
            );
        }
        DataSet::Markets => {}
    }
    Ok(())
}

/// Table `table` of data set `ds` from both stores, read at once and
/// compared.
async fn both<T: NaturalKey + Serialize + PartialEq>(
    ds: DataSet,
    table: &'static str,
    json: impl Future<Output = Result<Vec<T>, StoreError>>,
    pg: impl Future<Output = Result<Vec<T>, StoreError>>,
) -> Result<TableReport, StoreError> {
    let (ours, theirs) = tokio::try_join!(json, pg)?;
    Ok(compare(ds, table, ours, theirs, key))
}

/// The market data, which every portfolio shares.
async fn compare_markets(
    json: &Stores,
    pg: &Stores,
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    let ds = DataSet::Markets;
    report.tables.push(
        both(
            ds,
            "events (raw)",
            json.markets.load_raw_events(),
            pg.markets.load_raw_events(),
        )
        .await?,
    );
    report.tables.push(
        both(
            ds,
            "events (filtered)",
            json.markets.load_filtered_events(),
            pg.markets.load_filtered_events(),
        )
        .await?,
    );
    report.tables.push(
        both(
            ds,
            "markets",
            json.markets.load_filtered_markets(),
            pg.markets.load_filtered_markets(),
        )
        .await?,
    );
    report.tables.push(
        both(
            ds,
            "market_snapshots",
            json.markets.load_market_snapshots(None),
            pg.markets.load_market_snapshots(None),
        )
        .await?,
    );
    Ok(())
}

/// Keyed comparison of two record lists.
pub fn compare<T: Serialize + PartialEq>(
    data_set: DataSet,
    table: &'static str,
    json: Vec<T>,
    pg: Vec<T>,
    key: impl Fn(&T) -> String,
) -> TableReport {
    let json_rows = json.len();
    let pg_rows = pg.len();
    let clean = TableReport {
        data_set: data_set.to_string(),
        table,
        portfolio: None,
        json_rows,
        pg_rows,
        missing: Vec::new(),
        extra: Vec::new(),
        differing: Vec::new(),
    };
    // The common case, a level copy: the same records in the same order,
    // each key once. Nothing to match by key.
    if json_rows == pg_rows && json.iter().zip(&pg).all(|(a, b)| a == b) {
        let mut seen = std::collections::HashSet::with_capacity(json_rows);
        if json.iter().all(|r| seen.insert(key(r))) {
            return clean;
        }
    }
    compare_by_key(clean, json, pg, key)
}

/// [`compare`] record by record, matched by `key`, onto `report` (clean).
fn compare_by_key<T: Serialize + PartialEq>(
    clean: TableReport,
    json: Vec<T>,
    pg: Vec<T>,
    key: impl Fn(&T) -> String,
) -> TableReport {
    let theirs: BTreeMap<String, T> = pg.into_iter().map(|r| (key(&r), r)).collect();
    let mut ours: BTreeMap<String, T> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for r in json {
        match ours.entry(key(&r)) {
            std::collections::btree_map::Entry::Occupied(e) => duplicates.push(e.key().clone()),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(r);
            }
        }
    }
    let mut report = TableReport {
        differing: duplicates
            .into_iter()
            .map(|key| Difference {
                key,
                fields: vec!["duplicate key in JSON".into()],
            })
            .collect(),
        ..clean
    };
    for (k, a) in &ours {
        match theirs.get(k) {
            None => report.missing.push(k.clone()),
            Some(b) if a != b => report.differing.push(Difference {
                key: k.clone(),
                fields: differing_fields(a, b),
            }),
            Some(_) => {}
        }
    }
    report.extra = theirs
        .keys()
        .filter(|k| !ours.contains_key(*k))
        .cloned()
        .collect();
    report
}

/// The top-level fields whose values differ (decimal strings compared as numbers).
fn differing_fields<T: Serialize>(a: &T, b: &T) -> Vec<String> {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return vec!["(record)".into()];
    };
    let mut fields: Vec<String> = a
        .iter()
        .filter(|(k, v)| !b.get(*k).is_some_and(|w| same(v, w)))
        .map(|(k, _)| k.clone())
        .collect();
    fields.extend(b.keys().filter(|k| !a.contains_key(*k)).cloned());
    if fields.is_empty() {
        fields.push("(nested value)".into());
    }
    fields
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if x != y => {
            match (
                x.parse::<rust_decimal::Decimal>(),
                y.parse::<rust_decimal::Decimal>(),
            ) {
                (Ok(p), Ok(q)) => p == q,
                _ => false,
            }
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, PartialEq, Clone)]
    struct Row {
        id: &'static str,
        amount: rust_decimal::Decimal,
        note: &'static str,
    }

    fn row(id: &'static str, amount: i64, note: &'static str) -> Row {
        Row {
            id,
            amount: rust_decimal::Decimal::from(amount),
            note,
        }
    }

    #[test]
    fn missing_extra_and_differing_rows_are_named_by_key_and_field() {
        let json = vec![row("a", 1, "x"), row("b", 2, "x"), row("c", 3, "x")];
        let pg = vec![row("a", 1, "x"), row("c", 4, "y"), row("d", 5, "x")];
        let r = compare(DataSet::Trades, "trades", json, pg, |r| r.id.to_owned());
        assert_eq!(r.missing, vec!["b"]);
        assert_eq!(r.extra, vec!["d"]);
        assert_eq!(
            r.differing,
            vec![Difference {
                key: "c".into(),
                fields: vec!["amount".into(), "note".into()]
            }]
        );
        assert!(!r.is_clean());
        let clean = compare(
            DataSet::Trades,
            "trades",
            vec![row("a", 1, "x")],
            vec![row("a", 1, "x")],
            |r| r.id.to_owned(),
        );
        assert!(clean.is_clean());
    }

    proptest::proptest! {
        /// Taking the level copy's short cut or not, the report is the one
        /// matching record by record gives: duplicates, missing, extra and
        /// differing rows included.
        #[test]
        fn the_short_cut_reports_what_matching_by_key_does(
            json in proptest::collection::vec((0..4usize, 0..3i64), 0..6),
            edits in proptest::collection::vec(proptest::option::of((0..4usize, 0..3i64)), 0..6),
            same in proptest::bool::ANY,
        ) {
            const IDS: [&str; 4] = ["a", "b", "c", "d"];
            let rows = |v: &[(usize, i64)]| -> Vec<Row> {
                v.iter().map(|(k, a)| row(IDS[*k], *a, "x")).collect()
            };
            let ours = rows(&json);
            // Half the cases a level copy, the rest edited.
            let theirs = if same {
                ours.clone()
            } else {
                let kept: Vec<(usize, i64)> = json
                    .iter()
                    .zip(edits.iter().chain(std::iter::repeat(&None)))
                    .map(|(r, e)| e.unwrap_or(*r))
                    .collect();
                rows(&kept)
            };
            let empty = compare(DataSet::Trades, "trades", Vec::<Row>::new(), Vec::new(), |r| r.id.to_owned());
            let slow = compare_by_key(empty, ours.clone(), theirs.clone(), |r| r.id.to_owned());
            let fast = compare(DataSet::Trades, "trades", ours.clone(), theirs.clone(), |r| r.id.to_owned());
            proptest::prop_assert_eq!(
                fast,
                TableReport { json_rows: ours.len(), pg_rows: theirs.len(), ..slow }
            );
        }
    }
}
