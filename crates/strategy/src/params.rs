//! Named, typed, bounded strategy parameters: their specs (what
//! `prescient strategies` lists) and reading them from configuration, where
//! an unknown name, a wrong type or a value out of range is refused with a
//! message naming the strategy and the parameter.

use domain::{Price, Usd};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Parameters as configured: name → value (a TOML table or a JSON object).
pub type Params = BTreeMap<String, serde_json::Value>;

/// What a parameter holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// An amount of USD, to the cent.
    Usd,
    /// A price or a price difference, in [0, 1].
    Price,
    /// A whole number (hours, days, a count of points).
    Integer,
}

impl ParamKind {
    /// What a value of this kind is, for error messages.
    fn expected(self) -> &'static str {
        match self {
            ParamKind::Usd => "an amount (a number)",
            ParamKind::Price => "a price (a number in [0, 1])",
            ParamKind::Integer => "a whole number",
        }
    }
}

/// A parameter's value in a spec. Serialized as a JSON number: a whole
/// number without a fraction, anything else as its nearest `f64` (the spec
/// is for reading; configuration is parsed exactly, as decimals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamValue(pub Decimal);

impl Serialize for ParamValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        let d = self.0.normalize();
        if d.scale() == 0 {
            if let Some(i) = d.to_i64() {
                return serializer.serialize_i64(i);
            }
        }
        match d.to_f64() {
            Some(f) => serializer.serialize_f64(f),
            None => serializer.serialize_str(&d.to_string()),
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

/// One parameter of a strategy, as `prescient strategies --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: ParamValue,
    /// Inclusive bounds.
    pub min: ParamValue,
    pub max: ParamValue,
    pub description: &'static str,
}

/// A strategy of the registry: its stable name, what it does, its parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StrategySpec {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: Vec<ParamSpec>,
}

/// Why a strategy could not be built from its configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StrategyConfigError {
    #[error("unknown strategy {name:?} (known: {})", known.join(", "))]
    UnknownStrategy { name: String, known: Vec<String> },
    #[error("strategy {strategy} has no parameter {parameter:?} (its parameters: {})", known.join(", "))]
    UnknownParameter {
        strategy: String,
        parameter: String,
        known: Vec<String>,
    },
    #[error("{strategy}.{parameter} must be {expected}, not {got}")]
    WrongType {
        strategy: String,
        parameter: String,
        expected: &'static str,
        got: String,
    },
    #[error("{strategy}.{parameter} = {value} is outside [{min}, {max}]")]
    OutOfRange {
        strategy: String,
        parameter: String,
        value: String,
        min: String,
        max: String,
    },
    /// Parameters each in range that contradict one another (`low` above `high`).
    #[error("{strategy}: {message}")]
    Inconsistent { strategy: String, message: String },
}

/// A parameter definition, kept as a constant next to the strategy using it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamDef {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: Decimal,
    pub min: Decimal,
    pub max: Decimal,
    pub description: &'static str,
}

impl ParamDef {
    pub(crate) fn spec(&self) -> ParamSpec {
        ParamSpec {
            name: self.name,
            kind: self.kind,
            default: ParamValue(self.default),
            min: ParamValue(self.min),
            max: ParamValue(self.max),
            description: self.description,
        }
    }

    /// The default of a [`ParamKind::Price`] parameter. Every default is
    /// within its bounds, themselves within [0, 1] for prices (the registry's
    /// tests build every strategy from its defaults).
    pub(crate) fn default_price(&self) -> Price {
        Price::exact(self.default).unwrap_or(Price::ZERO)
    }

    /// The default of a [`ParamKind::Usd`] parameter.
    pub(crate) fn default_usd(&self) -> Usd {
        Usd::new(self.default)
    }

    /// The default of a [`ParamKind::Integer`] parameter.
    pub(crate) fn default_integer(&self) -> u32 {
        use rust_decimal::prelude::ToPrimitive;
        self.default.to_u32().unwrap_or(0)
    }
}

/// `units / 10^scale`, as a constant.
pub(crate) const fn dec(units: u32, scale: u32) -> Decimal {
    Decimal::from_parts(units, 0, 0, false, scale)
}

/// The amount every strategy spends on one signal.
pub(crate) const AMOUNT: ParamDef = ParamDef {
    name: "amount",
    kind: ParamKind::Usd,
    default: dec(100, 0),
    min: dec(1, 2),
    max: dec(1_000_000, 0),
    description: "USD spent on each signal",
};

/// Reads the configured values of one strategy's parameters.
pub(crate) struct Reader<'a> {
    strategy: &'static str,
    params: &'a Params,
}

impl<'a> Reader<'a> {
    /// Refuses a parameter `spec` does not list.
    pub(crate) fn new(
        spec: &StrategySpec,
        params: &'a Params,
    ) -> Result<Self, StrategyConfigError> {
        for name in params.keys() {
            if !spec.parameters.iter().any(|p| p.name == name) {
                return Err(StrategyConfigError::UnknownParameter {
                    strategy: spec.name.to_owned(),
                    parameter: name.clone(),
                    known: spec.parameters.iter().map(|p| p.name.to_owned()).collect(),
                });
            }
        }
        Ok(Reader {
            strategy: spec.name,
            params,
        })
    }

    pub(crate) fn usd(&self, def: &ParamDef) -> Result<Usd, StrategyConfigError> {
        Ok(Usd::new(self.decimal(def)?))
    }

    pub(crate) fn price(&self, def: &ParamDef) -> Result<Price, StrategyConfigError> {
        let value = self.decimal(def)?;
        Price::new(value).map_err(|_| self.out_of_range(def, value))
    }

    pub(crate) fn integer(&self, def: &ParamDef) -> Result<u32, StrategyConfigError> {
        use rust_decimal::prelude::ToPrimitive;
        let value = self.decimal(def)?;
        value
            .to_u32()
            .filter(|_| value.fract().is_zero())
            .ok_or_else(|| self.out_of_range(def, value))
    }

    pub(crate) fn inconsistent(&self, message: String) -> StrategyConfigError {
        StrategyConfigError::Inconsistent {
            strategy: self.strategy.to_owned(),
            message,
        }
    }

    /// The configured value (or the default), checked for type and range.
    fn decimal(&self, def: &ParamDef) -> Result<Decimal, StrategyConfigError> {
        let Some(value) = self.params.get(def.name) else {
            return Ok(def.default);
        };
        let wrong = |got: &str| StrategyConfigError::WrongType {
            strategy: self.strategy.to_owned(),
            parameter: def.name.to_owned(),
            expected: def.kind.expected(),
            got: got.to_owned(),
        };
        let number = match value {
            serde_json::Value::Number(n) => n,
            serde_json::Value::Null => return Err(wrong("null")),
            serde_json::Value::Bool(_) => return Err(wrong("a boolean")),
            serde_json::Value::String(_) => return Err(wrong("a string")),
            serde_json::Value::Array(_) => return Err(wrong("an array")),
            serde_json::Value::Object(_) => return Err(wrong("a table")),
        };
        if def.kind == ParamKind::Integer && !(number.is_i64() || number.is_u64()) {
            return Err(wrong(&format!("{number}")));
        }
        let text = number.to_string();
        let parsed = Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| wrong(&text))?;
        if parsed < def.min || parsed > def.max {
            return Err(self.out_of_range(def, parsed));
        }
        Ok(parsed)
    }

    fn out_of_range(&self, def: &ParamDef, value: Decimal) -> StrategyConfigError {
        StrategyConfigError::OutOfRange {
            strategy: self.strategy.to_owned(),
            parameter: def.name.to_owned(),
            value: value.normalize().to_string(),
            min: def.min.normalize().to_string(),
            max: def.max.normalize().to_string(),
        }
    }
}
