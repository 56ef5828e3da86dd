//! The structured result of a cycle: per step status, counts and timings,
//! the parameters applied, and the portfolio afterwards. Printed as text or
//! `--json`, and returned by the API (the cycle action and each step action).
//!
//! Every step's counts are a struct of their own ([`StepCounts`]), read by
//! field: a renamed count breaks the build of its readers instead of reading
//! 0. They serialize with the field names the JSON has always had.
//!
//! Plain values only: this module knows nothing of how a cycle runs
//! (`cycle` builds the summary from what its steps return).

use chrono::{DateTime, Utc};
use domain::{MarketId, Portfolio, TradeId};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::time::{Duration, Instant};

/// What a cycle did.
#[derive(Clone, Debug, Serialize)]
pub struct CycleSummary {
    pub status: &'static str,
    pub source: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: u128,
    pub parameters: Parameters,
    pub steps: Vec<StepSummary>,
    /// The portfolio afterwards (`null` until the cycle finished).
    pub portfolio: Option<PortfolioSummary>,
}

/// The parameters a cycle ran with, by the names of `crate::filters`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parameters {
    pub event_min_liquidity: Decimal,
    pub event_min_volume: Decimal,
    pub event_min_volume_24hr: Option<Decimal>,
    pub event_min_days_until_end: i64,
    pub event_max_days_until_end: i64,
    pub min_liquidity: Decimal,
    pub min_volume: Decimal,
    pub min_volume_24hr: Option<Decimal>,
    pub min_market_conviction: Option<Decimal>,
    pub max_market_conviction: Option<Decimal>,
    pub strategy: String,
    pub one_position_per_market: bool,
}

/// One step: its name, status, time taken and counts.
#[derive(Clone, Debug, Serialize)]
pub struct StepSummary {
    /// `export_events`, `filter_events`, … ([`StepCounts::step`]).
    pub step: &'static str,
    pub status: &'static str,
    pub duration_ms: u128,
    pub counts: StepCounts,
}

/// The counts of each step, serialized as the bare object of its counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StepCounts {
    ExportEvents(ExportCounts),
    FilterEvents(FilterEventsCounts),
    FilterMarkets(FilterMarketsCounts),
    GenerateSignals(SignalCounts),
    Execute(ExecuteCounts),
    /// Step 6 of a cycle: re-price, then history entry and snapshot.
    Reprice(RepriceCounts),
    /// A price update on its own (`update-prices`): re-price and save.
    UpdatePrices(RepriceCounts),
    ArchiveSignals(ArchiveCounts),
    Metadata(NoCounts),
}

impl StepCounts {
    /// The step's name in summaries.
    pub fn step(&self) -> &'static str {
        match self {
            StepCounts::ExportEvents(_) => "export_events",
            StepCounts::FilterEvents(_) => "filter_events",
            StepCounts::FilterMarkets(_) => "filter_markets",
            StepCounts::GenerateSignals(_) => "generate_signals",
            StepCounts::Execute(_) => "execute",
            StepCounts::Reprice(_) => "reprice",
            StepCounts::UpdatePrices(_) => "update_prices",
            StepCounts::ArchiveSignals(_) => "archive_signals",
            StepCounts::Metadata(_) => "metadata",
        }
    }

    /// Requests sent to the Gamma API, and how many of them were retries.
    pub fn gamma_requests(&self) -> (u64, u64) {
        match self {
            StepCounts::ExportEvents(c) => (c.requests, c.retries),
            StepCounts::FilterMarkets(c) => (c.requests, c.retries),
            StepCounts::FilterEvents(_)
            | StepCounts::GenerateSignals(_)
            | StepCounts::Execute(_)
            | StepCounts::Reprice(_)
            | StepCounts::UpdatePrices(_)
            | StepCounts::ArchiveSignals(_)
            | StepCounts::Metadata(_) => (0, 0),
        }
    }
}

/// Step 1: every active event fetched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportCounts {
    pub events: usize,
    /// Records that did not decode (skipped, never the whole page).
    pub skipped_records: usize,
    pub duplicates: u64,
    pub requests: u64,
    pub pages: u64,
    pub retries: u64,
}

/// Step 2: the event filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FilterEventsCounts {
    pub input: usize,
    pub passed: usize,
    pub rejected_liquidity: usize,
    pub rejected_volume: usize,
    pub rejected_volume_24hr: usize,
    pub rejected_days: usize,
    /// Events without `endDate` (they fail the day filters).
    pub missing_end_date: usize,
}

/// Step 3: the market filter and the details fetched for what passed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FilterMarketsCounts {
    pub input: usize,
    pub passed: usize,
    pub not_tradable: usize,
    pub rejected_liquidity: usize,
    pub rejected_volume: usize,
    pub rejected_volume_24hr: usize,
    pub rejected_conviction: usize,
    pub details_fetched: usize,
    /// Markets whose details the source did not return (their nested record
    /// is kept).
    pub details_missing: usize,
    pub dropped_unrequested: u64,
    pub snapshots: usize,
    /// Requests of the details fetch.
    pub requests: u64,
    pub retries: u64,
}

/// Step 4.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SignalCounts {
    pub strategy: String,
    pub signals: usize,
}

/// Step 5: what was executed and what was skipped, and why.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExecuteCounts {
    pub executed: usize,
    pub skipped: usize,
    pub trades: Vec<ExecutedTrade>,
    pub skips: Vec<SkippedSignal>,
}

impl ExecuteCounts {
    /// The counts of these trades and skips.
    pub fn new(trades: Vec<ExecutedTrade>, skips: Vec<SkippedSignal>) -> Self {
        ExecuteCounts {
            executed: trades.len(),
            skipped: skips.len(),
            trades,
            skips,
        }
    }
}

/// A trade step 5 recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExecutedTrade {
    pub trade_id: TradeId,
    pub market_id: MarketId,
    pub action: &'static str,
    pub amount: Decimal,
    pub entry_price: Decimal,
}

/// A signal step 5 did not execute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedSignal {
    pub market_id: MarketId,
    pub reason: String,
    /// `insufficient_balance`, `position_already_open`, `invalid_signal`,
    /// `already_executed`.
    pub kind: &'static str,
}

/// Step 6 (and a price update on its own).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RepriceCounts {
    /// Distinct markets of the open positions.
    pub open_positions: usize,
    pub repriced: usize,
    pub settled: usize,
    /// Closed markets without a decided outcome.
    pub undecided: Vec<MarketId>,
    pub unpriced: usize,
    /// Positions closed by the portfolio's exit rules.
    pub exited: usize,
    pub realized_pnl: Decimal,
}

/// Step 7.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ArchiveCounts {
    pub archived: usize,
}

/// A step without counts (`{}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NoCounts {}

/// The portfolio after a cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortfolioSummary {
    pub balance: String,
    pub total_value: String,
    pub total_invested: String,
    pub total_profit_loss: String,
    pub open_positions: usize,
    pub trade_count: u64,
}

impl PortfolioSummary {
    pub fn of(portfolio: &Portfolio) -> Self {
        PortfolioSummary {
            balance: portfolio.balance.to_string(),
            total_value: portfolio.total_value().to_string(),
            total_invested: portfolio.total_invested.to_string(),
            total_profit_loss: portfolio.total_profit_loss.to_string(),
            open_positions: portfolio.open_positions().count(),
            trade_count: portfolio.trade_count,
        }
    }
}

impl StepSummary {
    /// A successful step that started at `started` and counted `counts`.
    pub fn new(counts: StepCounts, started: Instant) -> Self {
        StepSummary {
            step: counts.step(),
            status: "success",
            duration_ms: started.elapsed().as_millis(),
            counts,
        }
    }
}

/// Finds the counts of one step in a summary.
macro_rules! step_counts {
    ($($(#[$doc:meta])* $name:ident => $variant:ident($ty:ty)),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> Option<&$ty> {
                self.steps.iter().find_map(|s| match &s.counts {
                    StepCounts::$variant(c) => Some(c),
                    _ => None,
                })
            }
        )*
    };
}

impl CycleSummary {
    /// A summary of a cycle that started at `started_at`, with no steps yet.
    pub fn new(source: String, started_at: DateTime<Utc>, parameters: Parameters) -> Self {
        CycleSummary {
            status: "running",
            source,
            started_at,
            finished_at: None,
            duration_ms: 0,
            parameters,
            steps: Vec::new(),
            portfolio: None,
        }
    }

    pub fn push(&mut self, step: StepSummary) {
        self.steps.push(step);
    }

    /// A step by name.
    pub fn step(&self, name: &str) -> Option<&StepSummary> {
        self.steps.iter().find(|s| s.step == name)
    }

    step_counts!(
        /// Step 1's counts.
        export_events => ExportEvents(ExportCounts),
        /// Step 2's counts.
        filter_events => FilterEvents(FilterEventsCounts),
        /// Step 3's counts.
        filter_markets => FilterMarkets(FilterMarketsCounts),
        /// Step 4's counts.
        generate_signals => GenerateSignals(SignalCounts),
        /// Step 5's counts.
        execute => Execute(ExecuteCounts),
        /// Step 6's counts.
        reprice => Reprice(RepriceCounts),
        /// Step 7's counts.
        archive_signals => ArchiveSignals(ArchiveCounts),
    );

    /// Requests sent to the Gamma API by every step, and retries among them.
    pub fn gamma_requests(&self) -> (u64, u64) {
        self.steps
            .iter()
            .map(|s| s.counts.gamma_requests())
            .fold((0, 0), |(r, t), (a, b)| {
                (r.saturating_add(a), t.saturating_add(b))
            })
    }

    pub fn finish(&mut self, portfolio: &Portfolio, at: DateTime<Utc>, took: Duration) {
        self.status = "success";
        self.finished_at = Some(at);
        self.duration_ms = took.as_millis();
        self.portfolio = Some(PortfolioSummary::of(portfolio));
    }
}

/// `k=v` for each number or text of `value` (a list by its length).
fn write_fields(f: &mut fmt::Formatter<'_>, value: &impl Serialize) -> fmt::Result {
    let Ok(Value::Object(map)) = serde_json::to_value(value) else {
        return Ok(());
    };
    for (k, v) in map {
        if v.is_number() || v.is_string() {
            write!(f, "  {k}={}", v.to_string().trim_matches('"'))?;
        } else if let Some(items) = v.as_array() {
            write!(f, "  {k}={}", items.len())?;
        }
    }
    Ok(())
}

impl fmt::Display for CycleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cycle {} from {} in {} ms",
            self.status, self.source, self.duration_ms
        )?;
        for step in &self.steps {
            write!(f, "{step}")?;
        }
        if let Some(p) = &self.portfolio {
            write!(f, "  portfolio        ")?;
            write_fields(f, p)?;
            writeln!(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for StepSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "  {:<17} {:>6} ms", self.step, self.duration_ms)?;
        write_fields(f, &self.counts)?;
        writeln!(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The JSON of the counts is what it was when they were `json!` blobs.
    #[test]
    fn counts_serialize_with_their_field_names() {
        let check = |counts: StepCounts, expected: Value| {
            assert_eq!(serde_json::to_value(&counts).unwrap(), expected);
        };
        check(
            StepCounts::ExportEvents(ExportCounts {
                events: 5,
                skipped_records: 1,
                duplicates: 2,
                requests: 3,
                pages: 1,
                retries: 0,
            }),
            json!({"events": 5, "skipped_records": 1, "duplicates": 2, "requests": 3, "pages": 1, "retries": 0}),
        );
        check(
            StepCounts::Execute(ExecuteCounts::new(
                vec![ExecutedTrade {
                    trade_id: TradeId::new("t1"),
                    market_id: MarketId::new("700002"),
                    action: "buy_yes",
                    amount: Decimal::from(100),
                    entry_price: Decimal::new(865, 3),
                }],
                vec![SkippedSignal {
                    market_id: MarketId::new("700001"),
                    reason: "no money".into(),
                    kind: "insufficient_balance",
                }],
            )),
            json!({
                "executed": 1,
                "skipped": 1,
                "trades": [{"trade_id": "t1", "market_id": "700002", "action": "buy_yes", "amount": "100", "entry_price": "0.865"}],
                "skips": [{"market_id": "700001", "reason": "no money", "kind": "insufficient_balance"}],
            }),
        );
        check(
            StepCounts::Reprice(RepriceCounts {
                undecided: vec![MarketId::new("9")],
                ..RepriceCounts::default()
            }),
            json!({"open_positions": 0, "repriced": 0, "settled": 0, "undecided": ["9"], "unpriced": 0, "exited": 0, "realized_pnl": "0"}),
        );
        check(StepCounts::Metadata(NoCounts {}), json!({}));
    }

    #[test]
    fn a_step_is_found_by_its_counts_and_prints_them() {
        let mut summary = CycleSummary::new(
            "test".into(),
            DateTime::<Utc>::UNIX_EPOCH,
            Parameters {
                event_min_liquidity: Decimal::ZERO,
                event_min_volume: Decimal::ZERO,
                event_min_volume_24hr: None,
                event_min_days_until_end: 1,
                event_max_days_until_end: 90,
                min_liquidity: Decimal::ZERO,
                min_volume: Decimal::ZERO,
                min_volume_24hr: None,
                min_market_conviction: None,
                max_market_conviction: None,
                strategy: "most_likely".into(),
                one_position_per_market: true,
            },
        );
        let counts = SignalCounts {
            strategy: "most_likely".into(),
            signals: 3,
        };
        summary.push(StepSummary::new(
            StepCounts::GenerateSignals(counts.clone()),
            Instant::now(),
        ));
        assert_eq!(summary.generate_signals(), Some(&counts));
        assert_eq!(summary.execute(), None);
        assert_eq!(
            summary.step("generate_signals").unwrap().step,
            "generate_signals"
        );
        let text = summary.to_string();
        assert!(
            text.contains("generate_signals") && text.contains("strategy=most_likely  signals=3"),
            "{text}"
        );
    }
}
