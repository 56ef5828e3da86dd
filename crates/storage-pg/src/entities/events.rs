//! `events`: members of the raw set (`is_filtered = false`) and of the
//! filtered set (`is_filtered = true`), in `ordinal` order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub event_id: String,
    pub is_filtered: bool,
    pub ordinal: i32,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub slug: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))", nullable)]
    pub liquidity: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))", nullable)]
    pub volume: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))", nullable)]
    pub volume24hr: Option<Decimal>,
    pub start_date: Option<DateTimeUtc>,
    pub end_date: Option<DateTimeUtc>,
    pub days_until_end: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub event_data: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
