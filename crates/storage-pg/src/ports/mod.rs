//! The ports of `domain::ports` over the tables, one module per data set,
//! plus the statements several ports share (portfolio write, link promotion).
//!
//! Every write that touches more than one row runs in one transaction.
//! Writes are idempotent on natural keys (`ON CONFLICT … DO NOTHING` for
//! appends, `DO UPDATE` for state that is replaced).

mod execution_port;
mod history;
mod markets;
mod metadata;
mod portfolio;
mod signals;
mod trades;
mod versions;

pub(crate) use portfolio::{PortfolioCache, write_portfolio};
pub(crate) use trades::{insert_trades, promote_pending_links, settle_trades};

use crate::error::db_err;
use domain::StoreError;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

/// Rows per `INSERT` of a bulk write (well under PostgreSQL's 65 535
/// parameters for the widest table).
pub const BATCH_ROWS: usize = 1000;

pub(crate) async fn begin(
    db: &DatabaseConnection,
    what: &str,
) -> Result<DatabaseTransaction, StoreError> {
    db.begin()
        .await
        .map_err(|e| db_err(format!("{what}: cannot begin a transaction"), e))
}

pub(crate) async fn commit(txn: DatabaseTransaction, what: &str) -> Result<(), StoreError> {
    txn.commit()
        .await
        .map_err(|e| db_err(format!("{what}: commit failed"), e))
}

/// `YYYY-MM`.
pub(crate) fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
        && matches!(
            &s[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        )
}
