//! `portfolio_history`: one row per entry of the JSON history file.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub portfolio_id: String,
    pub snapshot_date: Date,
    pub timestamp: DateTimeUtc,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub balance: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub total_invested: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub total_profit_loss: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub total_value: Decimal,
    pub open_positions: i32,
    pub trade_count: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub extra: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
