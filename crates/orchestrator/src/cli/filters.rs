//! The filter flags of `cycle`, `run` and `serve`.

use crate::settings::Settings;
use clap::Args;
use rust_decimal::Decimal;

/// The original's filter parameters; each overrides its setting.
#[derive(Debug, Default, Args)]
pub struct FilterArgs {
    /// Events: minimum liquidity [default: 10000]
    #[arg(long)]
    pub min_liquidity: Option<Decimal>,
    /// Events: minimum volume [default: 50000]
    #[arg(long)]
    pub min_volume: Option<Decimal>,
    /// Events: minimum 24 h volume [default: none]
    #[arg(long)]
    pub min_volume_24hr: Option<Decimal>,
    /// Events: minimum whole days until the event ends [default: 1]
    #[arg(long)]
    pub min_days_until_end: Option<i64>,
    /// Events: maximum whole days until the event ends [default: 90]
    #[arg(long)]
    pub max_days_until_end: Option<i64>,
    /// Markets: minimum liquidity [default: 10000]
    #[arg(long)]
    pub market_min_liquidity: Option<Decimal>,
    /// Markets: minimum volume [default: 50000]
    #[arg(long)]
    pub market_min_volume: Option<Decimal>,
    /// Markets: minimum 24 h volume [default: none]
    #[arg(long)]
    pub market_min_volume_24hr: Option<Decimal>,
    /// Markets: minimum conviction |yes − no| [default: none]
    #[arg(long)]
    pub min_conviction: Option<Decimal>,
    /// Markets: maximum conviction |yes − no| [default: none]
    #[arg(long)]
    pub max_conviction: Option<Decimal>,
    /// Amount each signal buys [default: 100]
    #[arg(long)]
    pub amount: Option<Decimal>,
}

impl FilterArgs {
    /// Apply the flags over the settings.
    pub fn apply(&self, s: &mut Settings) {
        macro_rules! set {
            ($($field:ident => $target:ident),* $(,)?) => {
                $(if let Some(v) = self.$field { s.$target = v; })*
            };
        }
        macro_rules! set_opt {
            ($($field:ident => $target:ident),* $(,)?) => {
                $(if let Some(v) = self.$field { s.$target = Some(v); })*
            };
        }
        set!(
            min_liquidity => min_liquidity,
            min_volume => min_volume,
            min_days_until_end => min_days_until_end,
            max_days_until_end => max_days_until_end,
            market_min_liquidity => market_min_liquidity,
            market_min_volume => market_min_volume,
            amount => trade_amount,
        );
        set_opt!(
            min_volume_24hr => min_volume_24hr,
            market_min_volume_24hr => market_min_volume_24hr,
            min_conviction => min_conviction,
            max_conviction => max_conviction,
        );
    }
}
