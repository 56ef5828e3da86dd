//! Every strategy Prescient can run, by stable name: what `prescient
//! strategies` lists and what a portfolio's configuration names.

use crate::params::{Params, StrategyConfigError, StrategySpec};
use crate::{FavouriteBand, LongshotFade, Momentum, MostLikely, NearResolution, Strategy};
use std::sync::Arc;

type Build = fn(&Params) -> Result<Arc<dyn Strategy>, StrategyConfigError>;

/// The registry: each strategy's spec and how it is built, in listing order.
fn entries() -> [(StrategySpec, Build); 5] {
    [
        (MostLikely::spec(), |p| {
            Ok(Arc::new(MostLikely::from_params(p)?))
        }),
        (FavouriteBand::spec(), |p| {
            Ok(Arc::new(FavouriteBand::from_params(p)?))
        }),
        (LongshotFade::spec(), |p| {
            Ok(Arc::new(LongshotFade::from_params(p)?))
        }),
        (Momentum::spec(), |p| {
            Ok(Arc::new(Momentum::from_params(p)?))
        }),
        (NearResolution::spec(), |p| {
            Ok(Arc::new(NearResolution::from_params(p)?))
        }),
    ]
}

/// Every strategy: name, one-line description and parameters (with kind,
/// default and inclusive bounds), in a stable order, `most_likely` first.
pub fn registry() -> Vec<StrategySpec> {
    entries().into_iter().map(|(spec, _)| spec).collect()
}

/// The strategy `name` with `params` (unset ones take their defaults).
/// Refuses an unknown name, an unknown parameter, a value of the wrong type,
/// one out of its bounds, or parameters that contradict each other, with a
/// message naming the strategy and the parameter.
pub fn build(name: &str, params: &Params) -> Result<Arc<dyn Strategy>, StrategyConfigError> {
    let entries = entries();
    let Some((_, build)) = entries.iter().find(|(spec, _)| spec.name == name) else {
        return Err(StrategyConfigError::UnknownStrategy {
            name: name.to_owned(),
            known: entries.iter().map(|(s, _)| s.name.to_owned()).collect(),
        });
    };
    build(params)
}

/// [`build`] from a TOML table (a portfolio's `[strategy.params]`).
pub fn build_from_toml(
    name: &str,
    table: &toml::Table,
) -> Result<Arc<dyn Strategy>, StrategyConfigError> {
    let mut params = Params::new();
    for (key, value) in table {
        // A TOML value always has a JSON form; a date-time becomes an object,
        // which no parameter accepts.
        let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        params.insert(key.clone(), json);
    }
    build(name, &params)
}
