//! The migrations against a real, empty database: `up` creates exactly the
//! schema written below (tables, columns with type and nullability, index
//! names), `down` removes all of it, and `up` works again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use storage_pg::testing::TestDb;

/// `table.column type[ null]`, in table then column order.
const COLUMNS: &str = r"
data_set_versions.data_set varchar(32)
data_set_versions.epoch varchar(64)
data_set_versions.seq bigint
data_set_versions.updated_at timestamptz
events.id integer
events.event_id varchar(255)
events.is_filtered boolean
events.ordinal integer
events.title text
events.slug varchar(500) null
events.liquidity numeric(15,2) null
events.volume numeric(15,2) null
events.volume24hr numeric(15,2) null
events.start_date timestamptz null
events.end_date timestamptz null
events.days_until_end integer null
events.event_data jsonb
events.created_at timestamptz
events.updated_at timestamptz
market_snapshots.id integer
market_snapshots.market_id varchar(255)
market_snapshots.timestamp timestamptz
market_snapshots.yes_price numeric(29,28) null
market_snapshots.no_price numeric(29,28) null
market_snapshots.liquidity numeric(41,28) null
market_snapshots.volume numeric(41,28) null
market_snapshots.volume24hr numeric(41,28) null
market_snapshots.market_conviction numeric(29,28) null
market_snapshots.created_at timestamptz
markets.id integer
markets.market_id varchar(255)
markets.ordinal integer
markets.question text
markets.event_id varchar(255) null
markets.event_title text null
markets.event_end_date timestamptz null
markets.liquidity numeric(15,2) null
markets.volume numeric(15,2) null
markets.volume24hr numeric(15,2) null
markets.yes_price numeric(10,6) null
markets.no_price numeric(10,6) null
markets.market_conviction numeric(10,6) null
markets.market_data jsonb
markets.is_filtered boolean null
markets.created_at timestamptz
markets.updated_at timestamptz
portfolio_history.id integer
portfolio_history.portfolio_id varchar(255)
portfolio_history.snapshot_date date
portfolio_history.timestamp timestamptz
portfolio_history.balance numeric(41,28)
portfolio_history.total_invested numeric(41,28)
portfolio_history.total_profit_loss numeric(41,28)
portfolio_history.total_value numeric(41,28)
portfolio_history.open_positions integer
portfolio_history.trade_count integer
portfolio_history.extra jsonb
portfolio_history.created_at timestamptz
portfolio_positions.id integer
portfolio_positions.portfolio_id varchar(255)
portfolio_positions.trade_id varchar(255)
portfolio_positions.ordinal integer
portfolio_positions.market_id varchar(255)
portfolio_positions.market_question text
portfolio_positions.action varchar(50)
portfolio_positions.outcome text null
portfolio_positions.amount numeric(41,28)
portfolio_positions.entry_price numeric(29,28)
portfolio_positions.shares numeric(42,28)
portfolio_positions.entry_timestamp timestamptz
portfolio_positions.status varchar(50)
portfolio_positions.current_price numeric(29,28) null
portfolio_positions.current_pnl numeric(41,28) null
portfolio_positions.realized_pnl numeric(41,28) null
portfolio_positions.exit_price numeric(29,28) null
portfolio_positions.exit_timestamp timestamptz null
portfolio_positions.extra jsonb
portfolio_positions.created_at timestamptz
portfolio_snapshots.id integer
portfolio_snapshots.portfolio_id varchar(255)
portfolio_snapshots.timestamp timestamptz
portfolio_snapshots.balance numeric(41,28)
portfolio_snapshots.total_invested numeric(41,28)
portfolio_snapshots.total_profit_loss numeric(41,28)
portfolio_snapshots.trade_count integer
portfolio_snapshots.created_at timestamptz
portfolio_state.portfolio_id varchar(255)
portfolio_state.initial_balance numeric(41,28)
portfolio_state.balance numeric(41,28)
portfolio_state.total_invested numeric(41,28)
portfolio_state.total_profit_loss numeric(41,28)
portfolio_state.trade_count integer
portfolio_state.created_at timestamptz
portfolio_state.last_updated timestamptz
portfolio_state.last_price_update timestamptz null
portfolio_state.extra jsonb
portfolio_versions.portfolio_id varchar(255)
portfolio_versions.version bigint
price_history.token_id text
price_history.t timestamptz
price_history.market_id varchar(255)
price_history.outcome varchar(3)
price_history.price numeric(29,28)
price_history.source varchar(8)
price_history.fetched_at timestamptz
price_history_markets.market_id varchar(255)
price_history_markets.market_data jsonb
price_history_markets.fetched_at timestamptz
signal_archives.id integer
signal_archives.archived_at timestamptz
signal_archives.archive_month varchar(7)
signal_archives.signals_count integer
signal_archives.signals_data jsonb
signal_archives.extra jsonb
signal_archives.created_at timestamptz
signal_archives.portfolio_id varchar(255)
system_metadata.key varchar(255)
system_metadata.value text
system_metadata.updated_at timestamptz
trade_counts.portfolio_id varchar(255)
trade_counts.trades bigint
trades.id integer
trades.portfolio_id varchar(255)
trades.trade_id varchar(255)
trades.timestamp timestamptz
trades.market_id varchar(255)
trades.market_question text
trades.action varchar(50)
trades.outcome text null
trades.amount numeric(41,28)
trades.entry_price numeric(29,28)
trades.shares numeric(42,28)
trades.confidence numeric(29,28)
trades.reason text null
trades.status varchar(50)
trades.event_id varchar(255) null
trades.event_title text null
trades.event_end_date timestamptz null
trades.current_pnl numeric(41,28) null
trades.realized_pnl numeric(41,28) null
trades.extra jsonb
trades.created_at timestamptz
trades.strategy varchar(255)
trades.closed_at timestamptz null
trading_signals.id integer
trading_signals.timestamp timestamptz
trading_signals.market_id varchar(255)
trading_signals.market_question text
trading_signals.action varchar(50)
trading_signals.outcome text null
trading_signals.target_price numeric(29,28)
trading_signals.amount numeric(41,28)
trading_signals.confidence numeric(29,28)
trading_signals.reason text null
trading_signals.yes_price numeric(29,28)
trading_signals.no_price numeric(29,28)
trading_signals.market_liquidity numeric(41,28) null
trading_signals.market_volume numeric(41,28) null
trading_signals.event_id varchar(255) null
trading_signals.event_title text null
trading_signals.event_end_date timestamptz null
trading_signals.executed boolean null
trading_signals.executed_at timestamptz null
trading_signals.trade_id varchar(255) null
trading_signals.pending_trade_id varchar(255) null
trading_signals.is_current boolean
trading_signals.ordinal integer
trading_signals.extra jsonb
trading_signals.created_at timestamptz
trading_signals.portfolio_id varchar(255)
trading_signals.strategy varchar(255)
";

/// `table index`, sorted. Plan names (`idx_…`), PostgreSQL's names for
/// primary keys and `UNIQUE` columns (`…_pkey`, `…_key`), and ours (`uq_…`,
/// the composite `idx_…` documented in the migrations).
const INDEXES: &str = r"
data_set_versions data_set_versions_pkey
events events_pkey
events idx_events_end_date
events idx_events_event_id
events idx_events_liquidity
events idx_events_set_ordinal
events idx_events_volume
events uq_events_event_id_is_filtered
market_snapshots idx_market_snapshots_market_id
market_snapshots idx_market_snapshots_timestamp
market_snapshots market_snapshots_pkey
market_snapshots uq_market_snapshots_market_timestamp
markets idx_markets_event_id
markets idx_markets_liquidity
markets idx_markets_market_id
markets idx_markets_volume
markets markets_market_id_key
markets markets_pkey
portfolio_history idx_portfolio_history_date
portfolio_history portfolio_history_pkey
portfolio_history uq_portfolio_history_portfolio_timestamp
portfolio_positions idx_positions_market_id
portfolio_positions idx_positions_portfolio_ordinal
portfolio_positions idx_positions_status
portfolio_positions portfolio_positions_pkey
portfolio_positions portfolio_positions_trade_id_key
portfolio_snapshots idx_portfolio_snapshots_timestamp
portfolio_snapshots portfolio_snapshots_pkey
portfolio_snapshots uq_portfolio_snapshots_portfolio_timestamp
portfolio_state portfolio_state_pkey
portfolio_versions portfolio_versions_pkey
price_history idx_price_history_t_market
price_history price_history_pkey
price_history_markets price_history_markets_pkey
signal_archives idx_signal_archives_portfolio_month
signal_archives signal_archives_pkey
signal_archives uq_signal_archives_portfolio_archived_at
system_metadata system_metadata_pkey
trade_counts trade_counts_pkey
trades idx_trades_market_id
trades idx_trades_portfolio_id
trades idx_trades_portfolio_market
trades idx_trades_portfolio_market_id
trades idx_trades_status
trades idx_trades_timestamp
trades trades_pkey
trades trades_trade_id_key
trading_signals idx_signals_executed
trading_signals idx_signals_market_id
trading_signals idx_signals_portfolio_current
trading_signals idx_signals_timestamp
trading_signals trading_signals_pending_trade_id_key
trading_signals trading_signals_pkey
trading_signals trading_signals_trade_id_key
";

async fn lines(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

async fn columns(db: &DatabaseConnection) -> Vec<String> {
    lines(
        db,
        "SELECT table_name || '.' || column_name || ' ' || \
           CASE WHEN data_type = 'numeric' THEN 'numeric(' || numeric_precision || ',' || numeric_scale || ')' \
                WHEN data_type = 'character varying' THEN 'varchar(' || character_maximum_length || ')' \
                WHEN data_type = 'timestamp with time zone' THEN 'timestamptz' \
                ELSE data_type END || \
           CASE WHEN is_nullable = 'YES' THEN ' null' ELSE '' END \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> 'seaql_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .await
}

async fn indexes(db: &DatabaseConnection) -> Vec<String> {
    lines(
        db,
        "SELECT tablename || ' ' || indexname FROM pg_indexes \
         WHERE schemaname = 'public' AND tablename <> 'seaql_migrations' \
         ORDER BY tablename COLLATE \"C\", indexname COLLATE \"C\"",
    )
    .await
}

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    lines(
        db,
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
    )
    .await
}

fn expected(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn up_creates_exactly_the_schema_down_removes_it_up_again() {
    let test_db = TestDb::create_unmigrated().await.unwrap();
    let db = test_db.connection();
    assert!(tables(db).await.is_empty(), "a new database is empty");

    Migrator::up(db, None).await.unwrap();
    assert_eq!(columns(db).await, expected(COLUMNS));
    assert_eq!(indexes(db).await, expected(INDEXES));
    assert_eq!(
        tables(db).await,
        [
            "data_set_versions",
            "events",
            "market_snapshots",
            "markets",
            "portfolio_history",
            "portfolio_positions",
            "portfolio_snapshots",
            "portfolio_state",
            "portfolio_versions",
            "price_history",
            "price_history_markets",
            "seaql_migrations",
            "signal_archives",
            "system_metadata",
            "trade_counts",
            "trades",
            "trading_signals",
        ]
    );
    let seed = lines(
        db,
        "SELECT key || '=' || value FROM system_metadata ORDER BY key",
    )
    .await;
    assert_eq!(
        seed,
        [
            "last_event_export=",
            "last_market_filter=",
            "last_signal_generation=",
            "last_trade_execution=",
            "schema_version=1.0.0",
        ]
    );
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .unwrap()
            .is_empty()
    );

    Migrator::down(db, None).await.unwrap();
    assert_eq!(
        tables(db).await,
        ["seaql_migrations"],
        "only sea-orm's bookkeeping table stays"
    );
    assert_eq!(
        lines(db, "SELECT count(*)::text FROM seaql_migrations").await,
        ["0"],
        "and it records no applied migration"
    );

    Migrator::up(db, None).await.unwrap();
    assert_eq!(columns(db).await, expected(COLUMNS));
    assert_eq!(indexes(db).await, expected(INDEXES));
}

#[tokio::test]
async fn every_timestamp_column_is_timestamptz() {
    let plain: Vec<String> = expected(COLUMNS)
        .into_iter()
        .filter(|c| c.contains(" timestamp") && !c.contains("timestamptz"))
        .collect();
    assert!(plain.is_empty(), "{plain:?}");
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Rows stored before `m20261222_000001_portfolios_and_strategies` are the
/// default portfolio's and the original's strategy (most-likely), archived
/// signals included; `down` of that migration keeps the default
/// portfolio's signals and archives and drops the others', which the
/// previous schema has no place for.
#[tokio::test]
async fn rows_from_before_portfolios_read_as_the_default_portfolio_and_most_likely() {
    use domain::ports::{HistoryStore, SignalStore, TradeStore};
    use domain::{LEGACY_STRATEGY, PortfolioId};

    let test_db = TestDb::create_unmigrated().await.unwrap();
    let db = test_db.connection();
    // Later migrations (`price_history_markets`, …) are undone with it and
    // applied again with it: they do not touch these tables.
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261222_000001_portfolios_and_strategies")
        .unwrap();
    let from_it = u32::try_from(Migrator::migrations().len() - before).unwrap();
    Migrator::up(db, Some(u32::try_from(before).unwrap()))
        .await
        .unwrap();
    exec(
        db,
        "INSERT INTO trades (trade_id, timestamp, market_id, market_question, action, amount, \
         entry_price, shares, confidence, status) VALUES ('trade_20251020_170245_634159', \
         '2025-10-20T17:02:45Z', '634159', 'Fed?', 'buy_yes', 100, 0.86, 116.27907, 0.36, 'open')",
    )
    .await;
    exec(
        db,
        "INSERT INTO trading_signals (timestamp, market_id, market_question, action, \
         target_price, amount, confidence, reason, yes_price, no_price, is_current, ordinal) \
         VALUES ('2025-10-20T17:02:45Z', '634159', 'Fed?', 'buy_yes', 0.86, 100, 0.36, 'r', \
         0.86, 0.14, true, 0)",
    )
    .await;
    // An archived signal as the domain serialized it before it had a
    // portfolio and a strategy.
    let mut old = serde_json::to_value(testkit::sample_signal(1)).unwrap();
    let fields = old.as_object_mut().unwrap();
    fields.remove("portfolio_id");
    fields.remove("strategy");
    exec(
        db,
        &format!(
            "INSERT INTO signal_archives (archived_at, archive_month, signals_count, signals_data) \
             VALUES ('2025-10-20T17:02:47Z', '2025-10', 1, '[{}]'::jsonb)",
            old.to_string().replace('\'', "''")
        ),
    )
    .await;

    Migrator::up(db, None).await.unwrap();
    let store = test_db.store();
    let id = PortfolioId::default();
    let trades = store.load_trades(&id).await.unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].strategy, LEGACY_STRATEGY);
    assert_eq!(trades[0].closed_at, None);
    let signals = store.load_current_signals(&id).await.unwrap();
    assert_eq!(signals.len(), 1);
    assert_eq!(
        (
            signals[0].portfolio_id.clone(),
            signals[0].strategy.as_str()
        ),
        (id.clone(), LEGACY_STRATEGY)
    );
    let archives = store.load_signal_archives(&id, None).await.unwrap();
    assert_eq!(archives.len(), 1);
    assert_eq!(archives[0].portfolio_id, id);
    assert_eq!(archives[0].signals[0].strategy, LEGACY_STRATEGY);
    assert_eq!(archives[0].signals[0].portfolio_id, id);

    // Another portfolio archives at the same instant: its own key.
    let mut theirs = testkit::sample_signal_archive(archives[0].archived_at, 1);
    theirs.portfolio_id = PortfolioId::new("b");
    theirs.signals[0].portfolio_id = PortfolioId::new("b");
    store.append_signal_archive(&theirs).await.unwrap();
    let b_signal = testkit::sample_signal_of("b", "momentum", 2);
    store
        .replace_current_signals(&PortfolioId::new("b"), std::slice::from_ref(&b_signal))
        .await
        .unwrap();
    assert_eq!(
        store
            .load_signal_archives(&PortfolioId::new("b"), None)
            .await
            .unwrap(),
        vec![theirs]
    );

    Migrator::down(db, Some(from_it)).await.unwrap();
    assert_eq!(
        lines(
            db,
            "SELECT (SELECT count(*) FROM signal_archives)::text || ' ' || \
             (SELECT count(*) FROM trading_signals)::text || ' ' || \
             (SELECT count(*) FROM trades)::text"
        )
        .await,
        ["1 1 1"],
        "the default portfolio's rows stay, the other portfolio's signals and archives go"
    );
    Migrator::up(db, None).await.unwrap();
    assert_eq!(
        store.load_signal_archives(&id, None).await.unwrap(),
        archives
    );
}
