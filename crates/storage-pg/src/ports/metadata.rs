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

/// The row of `key`, checked as the JSON store checks it.
fn row(key: &str, value: &str, at: DateTime<Utc>) -> Result<metadata::ActiveModel, StoreError> {
    let invalid =
        |e: domain::Invalid| crate::error::invalid_row("system_metadata", key, e.to_string());
    domain::validate::bounded("key", key, domain::validate::ID_LEN).map_err(invalid)?;
    domain::validate::text("value", value).map_err(invalid)?;
    Ok(metadata::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(instant(at)),
    })
}

#[async_trait]
impl MetadataStore for PgStore {
    async fn set_metadata(
        &self,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.set_metadata_all(&[(key, value)], at).await
    }

    /// One upsert of every key (its last value when given twice: a row is
    /// updated once a statement), so one commit.
    async fn set_metadata_all(
        &self,
        entries: &[(&str, &str)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut last: Vec<(&str, &str)> = Vec::with_capacity(entries.len());
        for &(key, value) in entries {
            match last.iter_mut().find(|(k, _)| *k == key) {
                Some(kept) => kept.1 = value,
                None => last.push((key, value)),
            }
        }
        let rows = last
            .iter()
            .map(|(key, value)| row(key, value, at))
            .collect::<Result<Vec<_>, _>>()?;
        if rows.is_empty() {
            return Ok(());
        }
        let keys: Vec<&str> = last.iter().map(|(k, _)| *k).collect();
        metadata::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(metadata::Column::Key)
                    .update_columns([metadata::Column::Value, metadata::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_err(format!("setting metadata {}", keys.join(", ")), e))?;
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
