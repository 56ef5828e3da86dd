//! One module per file (or record kind) of the legacy layout: the record as
//! the file holds it (serde, unknown fields kept in `extra`) and its
//! conversion to and from the domain type. Field tables: LEGACY-FORMATS §1.

pub(crate) mod archive;
pub(crate) mod gamma;
pub(crate) mod history;
pub(crate) mod market_snapshot;
pub(crate) mod metadata;
pub(crate) mod portfolio;
pub(crate) mod portfolio_snapshot;
pub(crate) mod position;
pub(crate) mod signal;
pub(crate) mod trade;

use crate::num::RecordCtx;
use domain::StoreError;
use domain::time::NaiveZone;

/// Convert every record of a file, naming the file and the record's key on
/// the first one that breaks a rule.
pub(crate) fn convert_all<R, T>(
    location: &str,
    zone: NaiveZone,
    records: Vec<R>,
    key: impl Fn(usize, &R) -> String,
    convert: impl Fn(R, &RecordCtx<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let ctx = RecordCtx {
                location,
                key: key(i, &r),
                zone,
            };
            convert(r, &ctx)
        })
        .collect()
}
