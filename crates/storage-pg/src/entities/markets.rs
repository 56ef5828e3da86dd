//! `markets`: the filtered markets, in `ordinal` order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "markets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub market_id: String,
    pub ordinal: i32,
    #[sea_orm(column_type = "Text")]
    pub question: String,
    pub event_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub event_title: Option<String>,
    pub event_end_date: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))", nullable)]
    pub liquidity: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))", nullable)]
    pub volume: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))", nullable)]
    pub volume24hr: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((10, 6)))", nullable)]
    pub yes_price: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((10, 6)))", nullable)]
    pub no_price: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((10, 6)))", nullable)]
    pub market_conviction: Option<Decimal>,
    #[sea_orm(column_type = "JsonBinary")]
    pub market_data: Json,
    pub is_filtered: Option<bool>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
