//! `portfolio_positions`: every position of a portfolio, in `ordinal` order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "portfolio_positions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub portfolio_id: String,
    #[sea_orm(unique)]
    pub trade_id: String,
    pub ordinal: i32,
    pub market_id: String,
    #[sea_orm(column_type = "Text")]
    pub market_question: String,
    pub action: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub outcome: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub amount: Decimal,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))")]
    pub entry_price: Decimal,
    #[sea_orm(column_type = "Decimal(Some((42, 28)))")]
    pub shares: Decimal,
    pub entry_timestamp: DateTimeUtc,
    pub status: String,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))", nullable)]
    pub current_price: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub current_pnl: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub realized_pnl: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))", nullable)]
    pub exit_price: Option<Decimal>,
    pub exit_timestamp: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary")]
    pub extra: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
