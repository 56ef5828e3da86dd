//! `trading_signals`: each portfolio's current set (`is_current`, in
//! `ordinal` order) and every executed signal, linked to its trade.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trading_signals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub timestamp: DateTimeUtc,
    pub market_id: String,
    #[sea_orm(column_type = "Text")]
    pub market_question: String,
    pub action: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub outcome: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))")]
    pub target_price: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))")]
    pub amount: Decimal,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))")]
    pub confidence: Decimal,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))")]
    pub yes_price: Decimal,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))")]
    pub no_price: Decimal,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub market_liquidity: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub market_volume: Option<Decimal>,
    pub event_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub event_title: Option<String>,
    pub event_end_date: Option<DateTimeUtc>,
    pub executed: Option<bool>,
    pub executed_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub trade_id: Option<String>,
    /// The link to a trade not yet in `trades` (see the migration).
    #[sea_orm(unique)]
    pub pending_trade_id: Option<String>,
    pub is_current: bool,
    pub ordinal: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub extra: Json,
    pub created_at: DateTimeUtc,
    pub portfolio_id: String,
    pub strategy: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
