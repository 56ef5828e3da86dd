//! Money, prices and shares (SPEC §3). All `Decimal`, never floats, rounded to
//! the precision of the database columns so a value reads back identically from
//! either store: amounts 2 dp, prices 6 dp, shares 6 dp, confidence 4 dp.
//!
//! Rounding is half away from zero, as PostgreSQL's `numeric` rounds.

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

    /// Any decimal, rounded to cents.
    pub fn new(value: Decimal) -> Self {
        Usd(round_dp(value, USD_DP))
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

/// The price of one outcome share, in [0, 1], kept to 6 dp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Price(Decimal);

impl Price {
    pub const ZERO: Price = Price(Decimal::ZERO);
    pub const ONE: Price = Price(Decimal::ONE);

    /// A price in [0, 1], rounded to 6 dp.
    pub fn new(value: Decimal) -> Result<Self, DomainError> {
        let rounded = round_dp(value, PRICE_DP);
        if rounded < Decimal::ZERO || rounded > Decimal::ONE {
            return Err(DomainError::PriceOutOfRange(value));
        }
        Ok(Price(rounded))
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
        Price::new(value)
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

/// A number of outcome shares: `amount / entry_price`, kept to 6 dp.
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
        Ok(Shares(round_dp(amount.value() / price.value(), SHARES_DP)))
    }

    /// Shares as stored (already rounded elsewhere, e.g. read back from a store).
    pub fn new(value: Decimal) -> Self {
        Shares(round_dp(value, SHARES_DP))
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
    fn shares_are_amount_over_price() {
        let shares = Shares::bought(Usd::from_int(100), Price::new(dec!(0.8)).unwrap()).unwrap();
        assert_eq!(shares.value(), dec!(125));
        assert_eq!(shares.worth(Price::ONE), Usd::from_int(125));
        assert!(Shares::bought(Usd::from_int(100), Price::ZERO).is_err());
        assert!(Shares::bought(Usd::ZERO, Price::ONE).is_err());
    }
}
