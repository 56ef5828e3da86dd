//! `portfolio_snapshots`: timestamped headline numbers, unique per (portfolio, timestamp).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub portfolio_id: String,
    pub timestamp: DateTimeUtc,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub balance: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub total_invested: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub total_profit_loss: Decimal,
    pub trade_count: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
