//! The legacy `data/` JSON layout of the original Python system (SPEC §4),
//! behind every storage port of [`domain::ports`].
//!
//! Owns: the file layout under a data directory, the legacy record shapes and
//! their conversion to and from domain types (one module per file under
//! `records/`), atomic overwrite, O(1) append to JSON-array
//! files, the data-directory lock, and parse errors that name file and position.
//!
//! Must not: know about PostgreSQL, the migration phases or the trading rules.
//! It stores what it is given and reads back what the original wrote.
//!
//! Where to start: [`JsonStore::open`] (store.rs) for the layout and the lock,
//! `append.rs` for the O(1) append and its key index, `torn.rs` for cutting
//! a torn tail back on open, `fsio.rs` for atomic overwrites, `records/` for
//! a file's fields and the checks on every record read, `ports.rs` for how
//! each port maps onto files, `replace.rs` for the legacy files as a whole
//! (their last write time, replacing them with a backup's).
//!
//! What happens to a file that does not load:
//! - an append-only file (`paper_trades.json`, `portfolio_history.json`,
//!   `portfolio_snapshots.json`, `market_snapshots.json`,
//!   `signals_archive_*.json`) whose tail is torn is cut back to its last
//!   complete record on open (the cut bytes kept as `<name>.torn-<time>`);
//!   any other damage stops the command, naming file and position;
//! - `portfolio.json` and `system_metadata.json` stop the command;
//! - a derived file, rewritten from fresh data by every cycle
//!   (`raw_events_backup.json`, `filtered_events.json`,
//!   `filtered_markets.json`, `current_signals.json`), is moved aside as
//!   `<name>.corrupt-<time>` before it is replaced; loading it stops the
//!   reader with file and position.
//!
//! Compatibility rules (both directions with the Python system):
//! - numbers the original wrote as ints, floats or numeric strings all parse;
//!   we write JSON numbers (ints when integral) that read back to the same
//!   `Decimal`;
//! - naive timestamps are read in [`JsonStoreOptions::naive_zone`]; we write
//!   RFC 3339 with offset;
//! - unknown fields of every record are kept and written back;
//! - fields Prescient adds (`shares`, `initial_balance`, `realized_pnl`, …)
//!   are extra keys the Python reader ignores;
//! - a signal's and a trade's `strategy` is such a key too: written on every
//!   signal and trade Prescient renders (the Python system ignores unknown
//!   keys; writing it always means a record never changes meaning with the
//!   default), absent from every Python-era record, which reads as the
//!   original's `most_likely` ([`domain::LEGACY_STRATEGY`]). A record
//!   Prescient does not rewrite — the legacy trades and history entries it
//!   appends after — stays byte for byte as the original wrote it; only
//!   settling a trade rewrites that one record (`closed_at` is added with
//!   its status and realized P&L);
//! - no record names its portfolio: the directory it is in does.
//!
//! Portfolios: the default portfolio is the legacy layout itself
//! (`trades/`, `history/`); portfolio `<id>` — an id of `a-z0-9_-`, at most
//! 64 characters, anything else refused with an error naming it — lives
//! under `portfolios/<id>/` in the same shapes (`trades/portfolio.json`,
//! `trades/paper_trades.json`, `trades/current_signals.json`,
//! `history/portfolio_history.json`, `history/portfolio_snapshots.json`,
//! `history/signals_archive_YYYY-MM.json`). The market data
//! (`events/`, `markets/`) and `system_metadata.json` are shared: one
//! crawl serves every portfolio. A data set's version covers every
//! portfolio's files of it (`versions.rs`).

mod append;
mod checked;
mod counts;
mod fsio;
mod lock;
mod maintenance;
mod num;
mod ports;
mod records;
mod replace;
mod store;
mod torn;
mod versions;

pub use counts::{corrupt_files_kept, torn_tails_recovered};
pub use replace::{Replaced, last_written, legacy_files};
pub use store::{JsonStore, JsonStoreOptions};
pub use torn::TornTail;
