//! The live portfolios, configured in `prescient.toml` as `[[portfolios]]`:
//! each with its strategy and parameters, trade amount, initial balance,
//! exit rules and fill model. Checked when settings load, so a typo stops
//! the process at start, naming the portfolio and the key.
//!
//! ```toml
//! [[portfolios]]
//! id = "band"                 # [a-z0-9_-], at most 64; `default` is the legacy files
//! strategy = "favourite_band" # `prescient strategies` lists them
//! amount = 50                 # default: PRESCIENT_TRADE_AMOUNT
//! initial_balance = 5000      # default: PRESCIENT_INITIAL_BALANCE
//! params = { low = 0.7, high = 0.9 }
//! exits = { take_profit = 0.5, stop_loss = 0.3, max_holding = "7d" }
//! fill = { slippage_bps = 20, fee_bps = 10 }
//! ```
//!
//! Without any `[[portfolios]]` there is one: `default`, `most_likely` at the
//! settings' amount, as the original ran. The `default` portfolio is always
//! live; configuring it changes its strategy.

use super::SettingsError;
use domain::{PortfolioId, Usd};
use paper_trading::{ExitRules, FillModel};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use strategy::Strategy;

/// One `[[portfolios]]` entry as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioConfig {
    pub id: String,
    pub strategy: String,
    #[serde(default)]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub initial_balance: Option<Decimal>,
    #[serde(default)]
    pub params: toml::Table,
    #[serde(default)]
    pub exits: ExitConfig,
    #[serde(default)]
    pub fill: FillConfig,
}

/// `exits = { … }`: fractions of the position's amount, and a humantime
/// holding time (`12h`, `7d`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitConfig {
    pub take_profit: Option<Decimal>,
    pub stop_loss: Option<Decimal>,
    pub max_holding: Option<String>,
}

/// `fill = { … }`: slippage and fee in basis points (none by default).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillConfig {
    #[serde(default)]
    pub slippage_bps: u32,
    #[serde(default)]
    pub fee_bps: u32,
}

/// A live portfolio, checked and built.
#[derive(Clone)]
pub struct Portfolio {
    pub id: PortfolioId,
    pub strategy_name: String,
    pub strategy: Arc<dyn Strategy>,
    pub amount: Usd,
    pub initial_balance: Usd,
    pub exits: crate::prices::Exits,
    /// As written, for `prescient compare` and the status.
    pub config: PortfolioConfig,
}

impl std::fmt::Debug for Portfolio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portfolio")
            .field("id", &self.id)
            .field("strategy", &self.strategy_name)
            .field("amount", &self.amount)
            .field("initial_balance", &self.initial_balance)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Portfolio {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.amount == other.amount
            && self.initial_balance == other.initial_balance
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    portfolios: Vec<PortfolioConfig>,
}

/// The `[[portfolios]]` of the configuration file at `path`, as written
/// (none when it does not exist).
pub fn read(path: Option<&Path>) -> Result<Vec<PortfolioConfig>, SettingsError> {
    Ok(match path {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SettingsError(format!("cannot read {}: {e}", path.display())))?;
            toml::from_str::<File>(&text)
                .map_err(|e| SettingsError(format!("{} [[portfolios]]: {e}", path.display())))?
                .portfolios
        }
        _ => Vec::new(),
    })
}

/// Check and build `configs` with the settings' amount and balance as
/// defaults; `default` (most_likely) added when not configured.
pub fn build_all(
    configs: Vec<PortfolioConfig>,
    amount: Decimal,
    initial_balance: Decimal,
) -> Result<Vec<Portfolio>, SettingsError> {
    let mut out: Vec<Portfolio> = Vec::new();
    if !configs.iter().any(|c| c.id == PortfolioId::DEFAULT) {
        out.push(build(
            PortfolioConfig {
                id: PortfolioId::DEFAULT.to_owned(),
                strategy: "most_likely".to_owned(),
                ..PortfolioConfig::default()
            },
            amount,
            initial_balance,
        )?);
    }
    for config in configs {
        if out.iter().any(|p| p.id.as_str() == config.id) {
            return Err(SettingsError(format!(
                "portfolio {:?} is configured twice",
                config.id
            )));
        }
        out.push(build(config, amount, initial_balance)?);
    }
    // `default` first, then as configured.
    out.sort_by_key(|p| p.id.as_str() != PortfolioId::DEFAULT);
    Ok(out)
}

fn build(
    config: PortfolioConfig,
    amount: Decimal,
    initial_balance: Decimal,
) -> Result<Portfolio, SettingsError> {
    let id = &config.id;
    let fail = |what: String| SettingsError(format!("portfolio {id:?}: {what}"));
    if !valid_id(id) {
        return Err(fail(
            "the id must be 1–64 characters of a-z, 0-9, `_` and `-`".into(),
        ));
    }
    let amount = Usd::new(config.amount.unwrap_or(amount));
    if !amount.is_positive() || !amount.is_storable() {
        return Err(fail(format!(
            "amount {amount} must be positive and below 10^13"
        )));
    }
    let initial_balance = Usd::new(config.initial_balance.unwrap_or(initial_balance));
    if !initial_balance.is_positive() || !initial_balance.is_storable() {
        return Err(fail(format!(
            "initial_balance {initial_balance} must be positive and below 10^13"
        )));
    }
    // The portfolio's amount is its strategy's `amount` unless the params
    // set one.
    let mut params = config.params.clone();
    let takes_amount = strategy::registry()
        .iter()
        .find(|s| s.name == config.strategy)
        .is_some_and(|s| s.parameters.iter().any(|p| p.name == "amount"));
    if takes_amount && !params.contains_key("amount") {
        let value = amount.value();
        let as_toml = match i64::try_from(value) {
            Ok(whole) if Decimal::from(whole) == value => toml::Value::Integer(whole),
            // Printed shortest, so 12.34 reaches the strategy as 12.34.
            _ => toml::Value::Float(value.try_into().unwrap_or(0.0)),
        };
        params.insert("amount".into(), as_toml);
    }
    let strategy =
        strategy::build_from_toml(&config.strategy, &params).map_err(|e| fail(e.to_string()))?;
    let exits = exits_of(&config.exits, &config.fill).map_err(fail)?;
    Ok(Portfolio {
        id: PortfolioId::new(id),
        strategy_name: config.strategy.clone(),
        strategy,
        amount,
        initial_balance,
        exits,
        config,
    })
}

/// The exit rules and fill model `exits` and `fill` describe (a portfolio's
/// tables, or `prescient backtest`'s flags); the error names the field.
pub fn exits_of(exits: &ExitConfig, fill: &FillConfig) -> Result<crate::prices::Exits, String> {
    let max_holding = match &exits.max_holding {
        None => None,
        Some(text) => {
            let d = humantime::parse_duration(text)
                .map_err(|e| format!("exits.max_holding {text:?}: {e}"))?;
            Some(
                chrono::TimeDelta::from_std(d)
                    .map_err(|e| format!("exits.max_holding {text:?}: {e}"))?,
            )
        }
    };
    let rules = ExitRules::new(exits.take_profit, exits.stop_loss, max_holding)
        .map_err(|e| format!("exits: {e}"))?;
    let fill = FillModel::new(fill.slippage_bps, fill.fee_bps).map_err(|e| format!("fill: {e}"))?;
    Ok(crate::prices::Exits { rules, fill })
}

/// `[a-z0-9_-]{1,64}`: safe as a directory name and a URL parameter.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rust_decimal_macros::dec;

    fn parse(text: &str) -> Result<Vec<Portfolio>, SettingsError> {
        let file: File = toml::from_str(text).map_err(|e| SettingsError(e.to_string()))?;
        build_all(file.portfolios, dec!(100), dec!(10000))
    }

    #[test]
    fn without_portfolios_there_is_the_default_on_most_likely() {
        let all = parse("").unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].id, PortfolioId::default());
        assert_eq!(all[0].strategy_name, "most_likely");
        assert_eq!(all[0].amount, Usd::from_int(100));
        assert_eq!(all[0].exits, crate::prices::Exits::default());
    }

    #[test]
    fn configured_portfolios_are_built_with_their_rules() {
        let all = parse(
            r#"
            [[portfolios]]
            id = "band"
            strategy = "favourite_band"
            amount = 50
            initial_balance = 5000
            params = { low = 0.7, high = 0.9 }
            exits = { take_profit = 0.5, stop_loss = 0.25, max_holding = "7d" }
            fill = { slippage_bps = 20, fee_bps = 10 }

            [[portfolios]]
            id = "fade"
            strategy = "longshot_fade"
            "#,
        )
        .unwrap();
        let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["default", "band", "fade"]);
        let band = &all[1];
        assert_eq!(band.strategy.name(), "favourite_band");
        assert_eq!(band.amount, Usd::from_int(50));
        assert_eq!(band.initial_balance, Usd::from_int(5000));
        assert_eq!(
            band.exits.rules,
            ExitRules::new(
                Some(dec!(0.5)),
                Some(dec!(0.25)),
                Some(chrono::TimeDelta::days(7))
            )
            .unwrap()
        );
        assert_eq!(band.exits.fill, FillModel::new(20, 10).unwrap());
        assert_eq!(all[2].amount, Usd::from_int(100));
    }

    #[test]
    fn mistakes_are_refused_naming_the_portfolio_and_the_key() {
        for (text, expected) in [
            (
                "[[portfolios]]\nid = \"Bad Id\"\nstrategy = \"most_likely\"",
                "Bad Id",
            ),
            ("[[portfolios]]\nid = \"x\"\nstrategy = \"nope\"", "nope"),
            (
                "[[portfolios]]\nid = \"x\"\nstrategy = \"favourite_band\"\nparams = { lowe = 0.7 }",
                "lowe",
            ),
            (
                "[[portfolios]]\nid = \"x\"\nstrategy = \"most_likely\"\nexits = { max_holding = \"soon\" }",
                "max_holding",
            ),
            (
                "[[portfolios]]\nid = \"x\"\nstrategy = \"most_likely\"\nfill = { fee_bps = 20000 }",
                "fee_bps",
            ),
            (
                "[[portfolios]]\nid = \"x\"\nstrategy = \"most_likely\"\namount = -1",
                "amount",
            ),
            (
                "[[portfolios]]\nid = \"x\"\nstrategy = \"most_likely\"\n[[portfolios]]\nid = \"x\"\nstrategy = \"most_likely\"",
                "twice",
            ),
            (
                "[[portfolios]]\nid = \"x\"\nstrategy = \"most_likely\"\nstop = 1",
                "stop",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
