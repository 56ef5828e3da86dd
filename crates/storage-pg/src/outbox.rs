//! Read side of the `outbox` table (failed dual writes awaiting replay). The
//! routed store of a later phase writes and replays it; `/trading/status`
//! shows its depth.

use crate::PgStore;
use crate::entities::outbox;
use crate::error::db_err;
use domain::StoreError;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

impl PgStore {
    /// Entries not replayed yet.
    pub async fn outbox_depth(&self) -> Result<u64, StoreError> {
        outbox::Entity::find()
            .filter(outbox::Column::ReplayedAt.is_null())
            .count(&self.db)
            .await
            .map_err(|e| db_err("counting outbox entries", e))
    }
}
