//! `portfolio_state`: one row per portfolio (the plan's single row is `'default'`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub portfolio_id: String,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub initial_balance: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub balance: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub total_invested: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub total_profit_loss: Decimal,
    pub trade_count: i32,
    pub created_at: DateTimeUtc,
    pub last_updated: DateTimeUtc,
    pub last_price_update: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary")]
    pub extra: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
