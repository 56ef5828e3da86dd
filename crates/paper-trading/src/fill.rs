//! How a paper order fills: slippage on the price and a fee on the money,
//! both in basis points. Without a model (or with [`FillModel::NONE`]) a buy
//! fills at the signal's price and a sale at the market's, free: exactly
//! the behaviour before fill models existed.
//!
//! The fee never leaves the ledger as a separate line. On a buy, the balance
//! pays exactly the signal's `amount` and the fee buys no shares:
//! `shares = (amount − fee) / fill price`. On a sale the fee comes out of
//! the proceeds: `credited = shares × sale price − fee`. Realized P&L
//! (`credited − amount`) therefore carries both fees and both slippages, and
//! the ledger invariant needs no new term.

use crate::ConfigError;
use domain::money::{PRICE_DP, USD_DP};
use domain::{Price, Usd};
use rust_decimal::{Decimal, RoundingStrategy};

/// One basis point is 1/10 000.
pub const BPS_PER_UNIT: u32 = 10_000;

/// The highest price slippage pushes a buy to: just below 1, so a share
/// bought with slippage can still gain.
pub const MAX_FILL: Decimal = Decimal::from_parts(999_999, 0, 0, false, 6);

/// Slippage and fee, each in basis points, in `[0, 10 000)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FillModel {
    slippage_bps: u32,
    fee_bps: u32,
}

impl FillModel {
    /// No slippage, no fee.
    pub const NONE: FillModel = FillModel {
        slippage_bps: 0,
        fee_bps: 0,
    };

    /// A model of `slippage_bps` on prices and `fee_bps` on amounts; each
    /// below 10 000 (100 %).
    pub fn new(slippage_bps: u32, fee_bps: u32) -> Result<Self, ConfigError> {
        for (what, value) in [("slippage_bps", slippage_bps), ("fee_bps", fee_bps)] {
            if value >= BPS_PER_UNIT {
                return Err(ConfigError::BasisPoints { what, value });
            }
        }
        Ok(FillModel {
            slippage_bps,
            fee_bps,
        })
    }

    pub fn slippage_bps(&self) -> u32 {
        self.slippage_bps
    }

    pub fn fee_bps(&self) -> u32 {
        self.fee_bps
    }

    /// What a buy quoted at `quoted` fills at: `quoted × (1 + slippage)`,
    /// rounded up to 6 dp, at most [`MAX_FILL`] — and never below `quoted`
    /// (a quote at or above the cap fills as quoted).
    pub fn buy_price(&self, quoted: Price) -> Price {
        if self.slippage_bps == 0 {
            return quoted;
        }
        let raised = quoted
            .value()
            .checked_mul(Decimal::ONE + bps(self.slippage_bps))
            .map(|v| v.round_dp_with_strategy(PRICE_DP, RoundingStrategy::AwayFromZero))
            .map_or(MAX_FILL, |v| v.min(MAX_FILL));
        Price::exact(raised.max(quoted.value())).unwrap_or(quoted)
    }

    /// What a sale quoted at `quoted` fills at: `quoted × (1 − slippage)`,
    /// rounded down to 6 dp.
    pub fn sell_price(&self, quoted: Price) -> Price {
        if self.slippage_bps == 0 {
            return quoted;
        }
        let lowered = quoted
            .value()
            .checked_mul(Decimal::ONE - bps(self.slippage_bps))
            .map(|v| v.round_dp_with_strategy(PRICE_DP, RoundingStrategy::ToZero))
            .unwrap_or(Decimal::ZERO);
        Price::exact(lowered).unwrap_or(Price::ZERO)
    }

    /// The fee on `amount`: `amount × fee`, rounded up to the cent (a model
    /// that charges a fee never charges nothing), at most `amount`.
    pub fn fee(&self, amount: Usd) -> Usd {
        if self.fee_bps == 0 || !amount.is_positive() {
            return Usd::ZERO;
        }
        let fee = amount
            .value()
            .checked_mul(bps(self.fee_bps))
            .map(|v| v.round_dp_with_strategy(USD_DP, RoundingStrategy::AwayFromZero))
            .unwrap_or(Decimal::ZERO);
        // Below the amount before rounding (fee_bps < 10 000); rounding up
        // can reach it on a cent, never pass it.
        Usd::new(fee.min(amount.value()))
    }
}

/// `n` basis points as a fraction.
fn bps(n: u32) -> Decimal {
    Decimal::new(i64::from(n), 4)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::str::FromStr;

    fn p(s: &str) -> Price {
        Price::exact(Decimal::from_str(s).unwrap()).unwrap()
    }

    fn usd(s: &str) -> Usd {
        Usd::new(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn slippage_moves_buys_up_and_sales_down() {
        let m = FillModel::new(50, 0).unwrap(); // 0.5 %
        // 0.80 × 1.005 = 0.804
        assert_eq!(m.buy_price(p("0.8")), p("0.804"));
        // 0.80 × 0.995 = 0.796
        assert_eq!(m.sell_price(p("0.8")), p("0.796"));
        // 0.123457 × 1.005 = 0.124074285 → up to 0.124075
        assert_eq!(m.buy_price(p("0.123457")), p("0.124075"));
        // 0.123457 × 0.995 = 0.122839715 → down to 0.122839
        assert_eq!(m.sell_price(p("0.123457")), p("0.122839"));
    }

    #[test]
    fn a_buy_is_capped_below_one_but_never_below_its_quote() {
        let m = FillModel::new(100, 0).unwrap(); // 1 %
        // 0.995 × 1.01 = 1.00495 → capped at 0.999999
        assert_eq!(m.buy_price(p("0.995")), p("0.999999"));
        assert_eq!(m.buy_price(p("0.9999995")), p("0.9999995"));
        assert_eq!(m.buy_price(Price::ONE), Price::ONE);
        assert_eq!(m.sell_price(Price::ZERO), Price::ZERO);
    }

    #[test]
    fn no_model_is_the_quote_and_no_fee_whatever_the_digits() {
        let legacy = p("0.9999989889179475");
        assert_eq!(FillModel::NONE.buy_price(legacy), legacy);
        assert_eq!(FillModel::NONE.sell_price(legacy), legacy);
        assert_eq!(FillModel::NONE.fee(usd("100")), Usd::ZERO);
        assert_eq!(FillModel::default(), FillModel::NONE);
    }

    #[test]
    fn fees_are_rounded_up_to_the_cent() {
        let m = FillModel::new(0, 200).unwrap(); // 2 %
        assert_eq!(m.fee(usd("100")), usd("2"));
        // 12.34 × 0.02 = 0.2468 → 0.25
        assert_eq!(m.fee(usd("12.34")), usd("0.25"));
        assert_eq!(m.fee(Usd::ZERO), Usd::ZERO);
        let steep = FillModel::new(0, 9_999).unwrap();
        // 0.01 × 0.9999 = 0.009999 → 0.01, the whole amount and no more
        assert_eq!(steep.fee(usd("0.01")), usd("0.01"));
    }

    #[test]
    fn a_model_of_100_percent_or_more_is_refused() {
        assert_eq!(
            FillModel::new(10_000, 0).unwrap_err().to_string(),
            "slippage_bps 10000 is outside [0, 10000)"
        );
        assert_eq!(
            FillModel::new(0, 25_000).unwrap_err().to_string(),
            "fee_bps 25000 is outside [0, 10000)"
        );
    }
}
