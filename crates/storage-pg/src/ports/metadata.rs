//! `MetadataStore`: `system_metadata`.
//!
//! What the port sees: keys that have been recorded. The migration seeds the
//! plan's rows; `schema_version` describes the database, not the system
//! (read it with [`PgStore::schema_version`]), and the seeded empty values
//! mean "never happened yet". Both are left out of `load_metadata`, so a
//! fresh database reads like a fresh JSON layout and the two stores compare
//! equal in shadow reads.

use crate::PgStore;
use crate::convert::instant;
use crate::entities::system_metadata as metadata;
use crate::error::db_err;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StoreError;
use domain::ports::MetadataStore;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

/// The seed key owned by the schema.
pub const SCHEMA_VERSION_KEY: &str = "schema_version";

impl PgStore {
    /// The `schema_version` seeded by the migrations (`1.0.0`).
    pub async fn schema_version(&self) -> Result<Option<String>, StoreError> {
        Ok(metadata::Entity::find_by_id(SCHEMA_VERSION_KEY.to_owned())
            .one(&self.db)
            .await
            .map_err(|e| db_err("reading schema_version", e))?
            .map(|m| m.value))
    }
}

#[async_trait]
impl MetadataStore for PgStore {
    async fn set_metadata(
        &self,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let invalid =
            |e: domain::Invalid| crate::error::invalid_row("system_metadata", key, e.to_string());
        domain::validate::bounded("key", key, domain::validate::ID_LEN).map_err(invalid)?;
        domain::validate::text("value", value).map_err(invalid)?;
        let row = metadata::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(value.to_owned()),
            updated_at: Set(instant(at)),
        };
        metadata::Entity::insert(row)
            .on_conflict(
                OnConflict::column(metadata::Column::Key)
                    .update_columns([metadata::Column::Value, metadata::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_err(format!("setting metadata {key}"), e))?;
        Ok(())
    }

    async fn load_metadata(&self) -> Result<BTreeMap<String, String>, StoreError> {
        Ok(metadata::Entity::find()
            .filter(metadata::Column::Key.ne(SCHEMA_VERSION_KEY))
            .filter(metadata::Column::Value.ne(""))
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading metadata", e))?
            .into_iter()
            .map(|m| (m.key, m.value))
            .collect())
    }
}
