//! The structured result of a cycle: per step status, counts and timings,
//! the parameters applied, and the portfolio afterwards. Printed as text or
//! `--json`, and returned by the API later.

use crate::cycle::CycleParams;
use chrono::{DateTime, Utc};
use domain::Portfolio;
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Serialize)]
pub struct CycleSummary {
    pub status: &'static str,
    pub source: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: u128,
    pub parameters: Value,
    pub steps: Vec<StepSummary>,
    pub portfolio: Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepSummary {
    pub step: &'static str,
    pub status: &'static str,
    pub duration_ms: u128,
    pub counts: Value,
}

impl StepSummary {
    pub fn new(step: &'static str, started: Instant) -> Self {
        StepSummary {
            step,
            status: "success",
            duration_ms: started.elapsed().as_millis(),
            counts: json!({}),
        }
    }

    pub fn counts(mut self, counts: Value) -> Self {
        self.counts = counts;
        self
    }

    /// A count by name, for tests and the API.
    pub fn count(&self, name: &str) -> Option<u64> {
        self.counts.get(name).and_then(Value::as_u64)
    }
}

impl CycleSummary {
    pub fn new(source: String, started_at: DateTime<Utc>, params: &CycleParams) -> Self {
        let e = &params.event_filter;
        let m = &params.market_filter;
        CycleSummary {
            status: "running",
            source,
            started_at,
            finished_at: None,
            duration_ms: 0,
            parameters: json!({
                "min_liquidity": e.min_liquidity,
                "min_volume": e.min_volume,
                "min_volume_24hr": e.min_volume_24hr,
                "min_days_until_end": e.min_days_until_end,
                "max_days_until_end": e.max_days_until_end,
                "market_min_liquidity": m.min_liquidity,
                "market_min_volume": m.min_volume,
                "market_min_volume_24hr": m.min_volume_24hr,
                "min_conviction": m.min_conviction,
                "max_conviction": m.max_conviction,
                "strategy": params.strategy.name(),
                "one_position_per_market": params.policy.one_position_per_market,
            }),
            steps: Vec::new(),
            portfolio: Value::Null,
        }
    }

    pub fn push(&mut self, step: StepSummary) {
        self.steps.push(step);
    }

    pub fn step(&self, name: &str) -> Option<&StepSummary> {
        self.steps.iter().find(|s| s.step == name)
    }

    pub fn finish(&mut self, portfolio: &Portfolio, at: DateTime<Utc>, took: Duration) {
        self.status = "success";
        self.finished_at = Some(at);
        self.duration_ms = took.as_millis();
        self.portfolio = json!({
            "balance": portfolio.balance.to_string(),
            "total_value": portfolio.total_value().to_string(),
            "total_invested": portfolio.total_invested.to_string(),
            "total_profit_loss": portfolio.total_profit_loss.to_string(),
            "open_positions": portfolio.open_positions().count(),
            "trade_count": portfolio.trade_count,
        });
    }
}

impl fmt::Display for CycleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cycle {} from {} in {} ms",
            self.status, self.source, self.duration_ms
        )?;
        for step in &self.steps {
            write!(f, "  {:<17} {:>6} ms", step.step, step.duration_ms)?;
            if let Some(map) = step.counts.as_object() {
                for (k, v) in map {
                    if v.is_number() || v.is_string() {
                        write!(f, "  {k}={}", v.to_string().trim_matches('"'))?;
                    } else if let Some(items) = v.as_array() {
                        write!(f, "  {k}={}", items.len())?;
                    }
                }
            }
            writeln!(f)?;
        }
        if let Some(p) = self.portfolio.as_object() {
            write!(f, "  portfolio        ")?;
            for (k, v) in p {
                write!(f, "  {k}={}", v.to_string().trim_matches('"'))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
