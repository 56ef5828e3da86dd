//! `trades/current_signals.json` and the signals inside an archive entry
//! (LEGACY-FORMATS §1.4). The original's `event_*` fields are always null;
//! `executed`, `executed_at`, `trade_id`, `outcome` and `strategy` are ours.
//! A record does not name its portfolio (the file's directory does); one
//! without `strategy` (every Python-era record) is the original's
//! [`domain::LEGACY_STRATEGY`]. Prescient writes `strategy` on every signal.

use crate::num::{Num, RecordCtx, time_text};
use domain::{EventId, Extra, MarketId, PortfolioId, Signal, StoreError, TradeId};
use serde::{Deserialize, Serialize, Serializer};

/// Signals written as an array of their records, each record made as it is
/// written and dropped after (the same text as a `Vec<SignalRecord>`).
pub(crate) struct Streamed<'a>(pub &'a [Signal]);

impl Serialize for Streamed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(SignalRecord::from_domain))
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SignalRecord {
    pub timestamp: String,
    pub market_id: String,
    #[serde(default)]
    pub market_question: String,
    pub action: String,
    pub target_price: Num,
    pub amount: Num,
    pub confidence: Num,
    #[serde(default)]
    pub reason: String,
    pub yes_price: Num,
    pub no_price: Num,
    #[serde(default)]
    pub market_liquidity: Option<Num>,
    #[serde(default)]
    pub market_volume: Option<Num>,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub event_title: Option<String>,
    #[serde(default)]
    pub event_end_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default)]
    pub executed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_id: Option<String>,
    #[serde(default = "domain::signal::legacy_strategy")]
    pub strategy: String,
    #[serde(flatten)]
    pub extra: Extra,
}

impl SignalRecord {
    pub(crate) fn from_domain(s: &Signal) -> Self {
        SignalRecord {
            timestamp: time_text(s.timestamp),
            market_id: s.market_id.to_string(),
            market_question: s.market_question.clone(),
            action: s.action.as_str().to_owned(),
            target_price: s.target_price.into(),
            amount: s.amount.into(),
            confidence: s.confidence.into(),
            reason: s.reason.clone(),
            yes_price: s.yes_price.into(),
            no_price: s.no_price.into(),
            market_liquidity: s.market_liquidity.map(Num::from),
            market_volume: s.market_volume.map(Num::from),
            event_id: s.event_id.as_ref().map(ToString::to_string),
            event_title: s.event_title.clone(),
            event_end_date: s.event_end_date.map(time_text),
            outcome: s.outcome.clone(),
            executed: s.executed,
            executed_at: s.executed_at.map(time_text),
            trade_id: s.trade_id.as_ref().map(ToString::to_string),
            strategy: s.strategy.clone(),
            extra: s.extra.clone(),
        }
    }

    pub(crate) fn into_domain(
        self,
        ctx: &RecordCtx<'_>,
        portfolio: &PortfolioId,
    ) -> Result<Signal, StoreError> {
        Ok(Signal {
            portfolio_id: portfolio.clone(),
            strategy: self.strategy,
            timestamp: ctx.time("timestamp", &self.timestamp)?,
            market_id: MarketId::new(self.market_id),
            market_question: self.market_question,
            action: ctx.action(&self.action)?,
            outcome: self.outcome,
            target_price: ctx.price("target_price", self.target_price)?,
            amount: ctx.usd("amount", self.amount)?,
            confidence: ctx.confidence("confidence", self.confidence)?,
            reason: self.reason,
            yes_price: ctx.price("yes_price", self.yes_price)?,
            no_price: ctx.price("no_price", self.no_price)?,
            market_liquidity: ctx.opt_usd("market_liquidity", self.market_liquidity)?,
            market_volume: ctx.opt_usd("market_volume", self.market_volume)?,
            event_id: self.event_id.map(EventId::new),
            event_title: self.event_title,
            event_end_date: ctx.opt_time("event_end_date", self.event_end_date.as_deref())?,
            executed: self.executed,
            executed_at: ctx.opt_time("executed_at", self.executed_at.as_deref())?,
            trade_id: self.trade_id.map(TradeId::new),
            extra: self.extra,
        })
    }

    /// The key named in errors: the market (signals have no id of their own).
    pub(crate) fn key(&self, index: usize) -> String {
        format!("[{index}] market {}", self.market_id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use testkit::samples::{sample_python_era_signal, sample_signal};

    /// The streamed array is the text the records' vector was.
    #[test]
    fn streamed_signals_are_the_records_text() {
        for signals in [
            vec![],
            vec![sample_signal(1)],
            (0..5)
                .map(|n| {
                    if n % 2 == 0 {
                        sample_signal(n)
                    } else {
                        sample_python_era_signal(n)
                    }
                })
                .collect(),
        ] {
            let records: Vec<SignalRecord> =
                signals.iter().map(SignalRecord::from_domain).collect();
            assert_eq!(
                serde_json::to_string_pretty(&Streamed(&signals)).unwrap(),
                serde_json::to_string_pretty(&records).unwrap()
            );
        }
    }
}
