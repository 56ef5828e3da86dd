//! `signal_archives`: one row per archive entry, unique on
//! `(portfolio_id, archived_at)`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "signal_archives")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub archived_at: DateTimeUtc,
    pub archive_month: String,
    pub signals_count: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub signals_data: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub extra: Json,
    pub created_at: DateTimeUtc,
    pub portfolio_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
