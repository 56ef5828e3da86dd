//! Currency: whether PostgreSQL holds every write JSON holds of a data set,
//! told from the versions both record (`domain::ports::VersionStore`), never
//! guessed from this process's queues. A data set is *current* when
//! PostgreSQL's mirrored version equals JSON's own version; otherwise it is
//! *behind* — a write was rejected, lost in a crash, made with `--store
//! json`, under `USE_DATABASE_WRITE=false`, from another state directory, or
//! by hand — and reads of it go to JSON until replay or verify bring it level.

use domain::ports::{DataVersion, Stores};
use domain::{DataSet, StoreError};
use serde::Serialize;

/// Where one data set stands between the two stores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Currency {
    pub data_set: String,
    /// JSON's own version (`None` when it could not be read).
    pub json: Option<DataVersion>,
    /// The JSON version PostgreSQL was last brought level with.
    pub pg: Option<DataVersion>,
    pub current: bool,
    /// Why currency could not be told, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Currency {
    /// `current`, `behind`, or `unknown (why)`.
    pub fn state(&self) -> String {
        match (&self.error, self.current) {
            (Some(e), _) => format!("unknown ({e})"),
            (None, true) => "current".into(),
            (None, false) => "behind".into(),
        }
    }
}

/// Whether PostgreSQL is current for `data_set`.
pub async fn is_current(json: &Stores, pg: &Stores, data_set: DataSet) -> Result<bool, StoreError> {
    let own = json.versions.own_version(data_set).await?;
    let mirrored = pg.versions.mirrored_version(data_set).await?;
    Ok(mirrored.as_ref() == Some(&own))
}

/// The currency of `data_set`, for status.
pub async fn currency(json: &Stores, pg: &Stores, data_set: DataSet) -> Currency {
    let own = json.versions.own_version(data_set).await;
    let mirrored = pg.versions.mirrored_version(data_set).await;
    assemble(data_set, own, mirrored)
}

/// The currency of `data_set` through one store that answers both halves:
/// the routed store gives JSON's own version and PostgreSQL's mirrored one.
pub async fn currency_through(
    versions: &dyn domain::ports::VersionStore,
    data_set: DataSet,
) -> Currency {
    let own = versions.own_version(data_set).await;
    let mirrored = versions.mirrored_version(data_set).await;
    assemble(data_set, own, mirrored)
}

/// Record PostgreSQL as level with JSON for `data_set` at `version` — after
/// a comparison found both equal at that version (verify), or a copy made
/// them so (repair, backfill into an empty data set).
pub async fn mark_level(
    pg: &Stores,
    data_set: DataSet,
    version: &DataVersion,
) -> Result<(), StoreError> {
    pg.versions
        .set_mirrored_version(data_set, Some(version))
        .await
}

fn assemble(
    data_set: DataSet,
    own: Result<DataVersion, StoreError>,
    mirrored: Result<Option<DataVersion>, StoreError>,
) -> Currency {
    let error = match (&own, &mirrored) {
        (Err(e), _) | (_, Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let json = own.ok();
    let pg = mirrored.ok().flatten();
    Currency {
        data_set: data_set.as_str().to_owned(),
        current: error.is_none() && json.is_some() && json == pg,
        json,
        pg,
        error,
    }
}
