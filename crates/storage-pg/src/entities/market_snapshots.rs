//! `market_snapshots`: prices and depth of a market over time, unique per
//! (market, timestamp).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "market_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub market_id: String,
    pub timestamp: DateTimeUtc,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))", nullable)]
    pub yes_price: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))", nullable)]
    pub no_price: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub liquidity: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub volume: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((41, 28)))", nullable)]
    pub volume24hr: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(Some((29, 28)))", nullable)]
    pub market_conviction: Option<Decimal>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
