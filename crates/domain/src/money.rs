//! Money, prices and shares (SPEC §3). All `Decimal`, never floats.
//!
//! Two ways in, and they differ on purpose:
//! - **computed** values (`Usd::new`, `Price::new`, `Shares::new`,
//!   `Shares::bought`) are rounded to Prescient's precision: amounts 2 dp,
//!   prices 6 dp, shares 6 dp, confidence 4 dp;
//! - values **as read** from a legacy file, a database row or a payload
//!   (`Usd::exact`, `Price::exact`, `Shares::exact`) keep every digit they
//!   were written with: the original stored floats such as
//!   `0.9999989889179475`, and a migration never rounds the user's records.
//!   They are checked against what every store can hold instead ([`MONEY_LIMIT`],
//!   [`SHARES_LIMIT`], prices in [0, 1]), so a value that cannot be stored is
//!   refused where it is read.
//!
//! A value is a plain `Decimal` either way, so an as-read value and the same
//! value computed compare equal. Rounding is half away from zero, as
//! PostgreSQL's `numeric` rounds.
//!
//! Overflow: `rust_decimal` panics when a sum leaves its range (±7.9·10²⁸).
//! Every amount that enters is below 10¹³ and every share count below 10¹⁴,
//! so the `+`/`-` of this module would need more than 10¹⁴ positions to
//! overflow; division and the multiplication of outside values are checked.

use crate::DomainError;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

pub const USD_DP: u32 = 2;
pub const PRICE_DP: u32 = 6;
pub const SHARES_DP: u32 = 6;
pub const CONFIDENCE_DP: u32 = 4;

/// The magnitude every amount of money stays below: the 13 integer digits of
/// the plan's `DECIMAL(15, 2)` (the columns are `NUMERIC(41, 28)`).
pub const MONEY_LIMIT: Decimal = Decimal::from_parts(1_316_134_912, 2_328, 0, false, 0);

/// The number of shares every position stays below: the 14 integer digits of
/// `DECIMAL(20, 6)` (the columns are `NUMERIC(42, 28)`).
pub const SHARES_LIMIT: Decimal = Decimal::from_parts(276_447_232, 23_283, 0, false, 0);

/// The magnitude a confidence stays below (one integer digit, as the plan's
/// `DECIMAL(5, 4)`; the column is `NUMERIC(29, 28)`).
pub const CONFIDENCE_LIMIT: Decimal = Decimal::TEN;

/// A confidence as read: every digit kept, `|value| <` [`CONFIDENCE_LIMIT`].
pub fn exact_confidence(value: Decimal) -> Result<Decimal, DomainError> {
    if value.abs() >= CONFIDENCE_LIMIT {
        return Err(DomainError::OutOfRange {
            what: "confidence",
            value,
            limit: "±10",
        });
    }
    Ok(value)
}

/// Round half away from zero to `dp` places and drop trailing zeros beyond it.
pub fn round_dp(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// A confidence score, rounded to 4 dp.
pub fn round_confidence(value: Decimal) -> Decimal {
    round_dp(value, CONFIDENCE_DP)
}

/// An amount of US dollars (USDC), kept to cents.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Usd(Decimal);

impl Usd {
    pub const ZERO: Usd = Usd(Decimal::ZERO);

    /// A computed amount, rounded to cents.
    pub fn new(value: Decimal) -> Self {
        Usd(round_dp(value, USD_DP))
    }

    /// An amount as read (a legacy file, a row): every digit kept, and
    /// refused when a store could not hold it (`|value| <` [`MONEY_LIMIT`]).
    pub fn exact(value: Decimal) -> Result<Self, DomainError> {
        if value.abs() >= MONEY_LIMIT {
            return Err(DomainError::OutOfRange {
                what: "amount",
                value,
                limit: "±10^13",
            });
        }
        Ok(Usd(value))
    }

    /// Whether a store can hold this amount (`|value| <` [`MONEY_LIMIT`]).
    pub fn is_storable(self) -> bool {
        self.0.abs() < MONEY_LIMIT
    }

    pub fn checked_add(self, rhs: Usd) -> Option<Usd> {
        self.0.checked_add(rhs.0).map(Usd)
    }

    pub fn checked_sub(self, rhs: Usd) -> Option<Usd> {
        self.0.checked_sub(rhs.0).map(Usd)
    }

    pub fn from_int(value: i64) -> Self {
        Usd(Decimal::from(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl Add for Usd {
    type Output = Usd;
    fn add(self, rhs: Usd) -> Usd {
        Usd(self.0 + rhs.0)
    }
}

impl Sub for Usd {
    type Output = Usd;
    fn sub(self, rhs: Usd) -> Usd {
        Usd(self.0 - rhs.0)
    }
}

impl Neg for Usd {
    type Output = Usd;
    fn neg(self) -> Usd {
        Usd(-self.0)
    }
}

impl AddAssign for Usd {
    fn add_assign(&mut self, rhs: Usd) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Usd {
    fn sub_assign(&mut self, rhs: Usd) {
        self.0 -= rhs.0;
    }
}

impl Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Usd> for Usd {
    fn sum<I: Iterator<Item = &'a Usd>>(iter: I) -> Usd {
        iter.copied().sum()
    }
}

/// The price of one outcome share, in [0, 1]: 6 dp when computed, every
/// digit when read. Deserializing keeps every digit (it is how payloads and
/// archived signals are read back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Price(Decimal);

impl Price {
    pub const ZERO: Price = Price(Decimal::ZERO);
    pub const ONE: Price = Price(Decimal::ONE);

    /// A computed price in [0, 1], rounded to 6 dp.
    pub fn new(value: Decimal) -> Result<Self, DomainError> {
        let rounded = round_dp(value, PRICE_DP);
        if rounded < Decimal::ZERO || rounded > Decimal::ONE {
            return Err(DomainError::PriceOutOfRange(value));
        }
        Ok(Price(rounded))
    }

    /// A price as read, in [0, 1], every digit kept (`0.9999989889179475`).
    pub fn exact(value: Decimal) -> Result<Self, DomainError> {
        if value < Decimal::ZERO || value > Decimal::ONE {
            return Err(DomainError::PriceOutOfRange(value));
        }
        Ok(Price(value))
    }

    pub fn half() -> Price {
        Price(Decimal::new(5, 1))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Price {
    type Error = DomainError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Price::exact(value)
    }
}

impl From<Price> for Decimal {
    fn from(p: Price) -> Decimal {
        p.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

/// A number of outcome shares: `amount / entry_price`, 6 dp when computed,
/// every digit when read.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Shares(Decimal);

impl Shares {
    /// The shares `amount` buys at `price` (SPEC §3: `shares = amount / entry_price`).
    pub fn bought(amount: Usd, price: Price) -> Result<Self, DomainError> {
        if price.value().is_zero() {
            return Err(DomainError::ZeroPrice);
        }
        if !amount.is_positive() {
            return Err(DomainError::NonPositiveAmount(amount.value()));
        }
        let quotient =
            amount
                .value()
                .checked_div(price.value())
                .ok_or(DomainError::OutOfRange {
                    what: "shares",
                    value: amount.value(),
                    limit: "10^14 shares",
                })?;
        Shares::exact(round_dp(quotient, SHARES_DP))
    }

    /// A computed number of shares, rounded to 6 dp.
    pub fn new(value: Decimal) -> Self {
        Shares(round_dp(value, SHARES_DP))
    }

    /// Shares as read: every digit kept, in [0, [`SHARES_LIMIT`]).
    pub fn exact(value: Decimal) -> Result<Self, DomainError> {
        if value.is_sign_negative() && !value.is_zero() || value >= SHARES_LIMIT {
            return Err(DomainError::OutOfRange {
                what: "shares",
                value,
                limit: "[0, 10^14)",
            });
        }
        Ok(Shares(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// What these shares are worth at `price`, to the cent.
    pub fn worth(self, price: Price) -> Usd {
        Usd::new(self.0 * price.value())
    }
}

impl fmt::Display for Shares {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn usd_rounds_half_away_from_zero() {
        assert_eq!(Usd::new(dec!(1.005)).value(), dec!(1.01));
        assert_eq!(Usd::new(dec!(-1.005)).value(), dec!(-1.01));
        assert_eq!(Usd::new(dec!(100)).to_string(), "100.00");
    }

    #[test]
    fn price_must_be_a_probability() {
        assert_eq!(Price::new(dec!(0.86)).map(Price::value), Ok(dec!(0.86)));
        assert_eq!(
            Price::new(dec!(0.9999989889179475)).map(Price::value),
            Ok(dec!(0.999999))
        );
        assert!(Price::new(dec!(1.01)).is_err());
        assert!(Price::new(dec!(-0.1)).is_err());
    }

    #[test]
    fn values_as_read_keep_every_digit() {
        let legacy = dec!(0.9999989889179475);
        assert_eq!(Price::exact(legacy).map(Price::value), Ok(legacy));
        assert!(Price::exact(dec!(1.0000000000000001)).is_err());
        let price: Price = serde_json::from_str("\"0.9999989889179475\"").unwrap();
        assert_eq!(price.value(), legacy, "deserializing keeps the digits");
        assert_eq!(
            Usd::exact(dec!(9876.543)).map(Usd::value),
            Ok(dec!(9876.543))
        );
        assert!(Usd::exact(dec!(10000000000000)).is_err());
        assert!(Usd::exact(dec!(-10000000000000)).is_err());
        assert!(Usd::exact(dec!(9999999999999.9999)).is_ok());
        assert_eq!(
            Shares::exact(dec!(100.0001)).map(Shares::value),
            Ok(dec!(100.0001))
        );
        assert!(Shares::exact(dec!(-1)).is_err());
        assert!(Shares::exact(dec!(100000000000000)).is_err());
        assert!(exact_confidence(dec!(10)).is_err());
        assert_eq!(exact_confidence(dec!(0.123456)), Ok(dec!(0.123456)));
    }

    #[test]
    fn limits_are_the_powers_of_ten_they_say() {
        assert_eq!(MONEY_LIMIT, Decimal::from(10_000_000_000_000_i64));
        assert_eq!(SHARES_LIMIT, Decimal::from(100_000_000_000_000_i64));
    }

    #[test]
    fn shares_of_a_tiny_price_are_refused_not_a_panic() {
        let tiny = Price::exact(Decimal::new(1, 28)).unwrap();
        assert!(Shares::bought(Usd::from_int(100), tiny).is_err());
        let small = Price::exact(Decimal::new(1, 12)).unwrap();
        assert!(
            Shares::bought(Usd::from_int(100), small).is_err(),
            "10^14 shares"
        );
    }

    #[test]
    fn shares_are_amount_over_price() {
        let shares = Shares::bought(Usd::from_int(100), Price::new(dec!(0.8)).unwrap()).unwrap();
        assert_eq!(shares.value(), dec!(125));
        assert_eq!(shares.worth(Price::ONE), Usd::from_int(125));
        assert!(Shares::bought(Usd::from_int(100), Price::ZERO).is_err());
        assert!(Shares::bought(Usd::ZERO, Price::ONE).is_err());
    }
}
