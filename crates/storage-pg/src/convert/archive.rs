//! `signal_archives` rows ↔ [`SignalArchive`]. `signals_data` holds the
//! signals as the domain serializes them (the same shape outbox payloads use);
//! signals stored before they carried a portfolio and a strategy read as the
//! default portfolio's and most-likely's (the domain's serde defaults), and
//! every signal of a row is the row's portfolio's.

use super::{RowCtx, instant, int_count, json};
use crate::entities::signal_archives::{ActiveModel, Model};
use domain::{PortfolioId, Signal, SignalArchive, StoreError};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "signal_archives";

pub(crate) fn to_row(a: &SignalArchive) -> Result<ActiveModel, StoreError> {
    let key = a.archived_at.to_rfc3339();
    let signals = serde_json::to_value(&a.signals).map_err(|e| StoreError::Backend {
        context: format!("cannot serialize the signals of archive {key}"),
        source: Box::new(e),
    })?;
    Ok(ActiveModel {
        id: NotSet,
        portfolio_id: Set(a.portfolio_id.to_string()),
        archived_at: Set(instant(a.archived_at)),
        archive_month: Set(a.month.clone()),
        signals_count: Set(int_count(
            TABLE,
            &key,
            "signals_count",
            a.signals.len() as u64,
        )?),
        signals_data: Set(signals),
        extra: Set(json(&a.extra)),
        created_at: NotSet,
    })
}

pub(crate) fn from_row(m: Model) -> Result<SignalArchive, StoreError> {
    let key = m.archived_at.to_rfc3339();
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    let portfolio_id = PortfolioId::new(m.portfolio_id);
    let signals: Vec<Signal> = serde_json::from_value(m.signals_data)
        .map_err(|e| ctx.invalid(format!("signals_data: {e}")))?;
    let extra = ctx.extra(m.extra)?;
    ctx.validate(SignalArchive {
        portfolio_id,
        archived_at: m.archived_at,
        month: m.archive_month,
        signals,
        extra,
    })
}
