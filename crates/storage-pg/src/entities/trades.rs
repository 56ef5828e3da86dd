//! `trades`: the trade history, unique on `trade_id`; only a row's
//! settlement (`status`, `realized_pnl`, `closed_at`) changes after insert.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trades")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub portfolio_id: String,
    #[sea_orm(unique)]
    pub trade_id: String,
    pub timestamp: DateTimeUtc,
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
    #[sea_orm(column_type = "Decimal(Some((29, 28)))")]
    pub confidence: Decimal,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub status: String,
    pub event_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub event_title: Option<String>,
    pub event_end_date: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub current_pnl: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub realized_pnl: Option<Decimal>,
    #[sea_orm(column_type = "JsonBinary")]
    pub extra: Json,
    pub created_at: DateTimeUtc,
    pub strategy: String,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
