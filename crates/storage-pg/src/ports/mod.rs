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

/// What one `INSERT` of large rows (events, markets: their Gamma JSON)
/// binds at most, as near as [`batches`] can tell, so that the statement
/// goes out in one TLS record (16 KiB). A message of several records waits
/// ~40 ms for the server's delayed ACK before its last one is sent (sqlx
/// leaves Nagle's algorithm on): two such waits were a third of a phase-6
/// cycle on the example snapshot (issue #12), where a few more round trips
/// in the same transaction cost a millisecond.
pub(crate) const STATEMENT_BYTES: usize = 15_000;

/// Past this many statements the round trips cost more than the one wait
/// of a large message; rows then go [`BATCH_ROWS`] at a time.
const MAX_STATEMENTS: usize = 16;

/// What a row binds besides the text [`batches`] is told about (its typed
/// columns and each value's length word), rounded up.
const ROW_BYTES: usize = 256;

/// `rows` in consecutive runs, each one `INSERT`: of at most
/// [`STATEMENT_BYTES`] (`text(row)`: the bytes of its long text columns,
/// plus [`ROW_BYTES`]; a larger row goes alone) while that takes at most
/// [`MAX_STATEMENTS`], else of [`BATCH_ROWS`] rows.
pub(crate) fn batches<T>(rows: &[T], text: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let sizes: Vec<usize> = rows
        .iter()
        .map(|r| text(r).saturating_add(ROW_BYTES))
        .collect();
    let total = sizes.iter().fold(0usize, |a, b| a.saturating_add(*b));
    if total > STATEMENT_BYTES.saturating_mul(MAX_STATEMENTS) {
        return rows.chunks(BATCH_ROWS).collect();
    }
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, size) in sizes.iter().enumerate() {
        if i > start && (bytes + size > STATEMENT_BYTES || i - start == BATCH_ROWS) {
            runs.extend(rows.get(start..i));
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    runs.extend(rows.get(start..).filter(|r| !r.is_empty()));
    runs
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(sizes: &[usize]) -> Vec<Vec<usize>> {
        batches(sizes, |s| *s)
            .into_iter()
            .map(<[usize]>::to_vec)
            .collect()
    }

    /// Rows go together while their text fits one statement; a row larger
    /// than a statement goes alone; none is dropped or reordered.
    #[test]
    fn batches_split_by_bytes_and_keep_every_row() {
        let big = STATEMENT_BYTES;
        let third = STATEMENT_BYTES / 3 - ROW_BYTES;
        assert_eq!(runs(&[]), Vec::<Vec<usize>>::new());
        assert_eq!(runs(&[1, 2, 3]), vec![vec![1, 2, 3]]);
        assert_eq!(
            runs(&[third, third, third, third, big, 5]),
            vec![vec![third, third, third], vec![third], vec![big], vec![5]]
        );
    }

    /// More text than [`MAX_STATEMENTS`] statements: [`BATCH_ROWS`] rows a
    /// statement, as before.
    #[test]
    fn much_text_goes_batch_rows_at_a_time() {
        let rows = vec![STATEMENT_BYTES; MAX_STATEMENTS + 1];
        assert_eq!(runs(&rows), vec![rows.clone()]);
        let rows = vec![0; BATCH_ROWS * 2 + 1];
        let lens: Vec<usize> = batches(&rows, |_| 0).iter().map(|r| r.len()).collect();
        assert_eq!(lens, vec![BATCH_ROWS, BATCH_ROWS, 1]);
    }
}
