//! What a test database holds, table by table, to show that something
//! changed no row.

/// Every table of the public schema with its row count, by name.
pub async fn row_counts(db: &storage_pg::testing::TestDb) -> Vec<(String, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let pg = |sql: String| Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql);
    let tables = db
        .connection()
        .query_all_raw(pg(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1".into(),
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let name: String = t.try_get_by_index(0).unwrap();
        let row = db
            .connection()
            .query_one_raw(pg(format!("SELECT count(*) FROM \"{name}\"")))
            .await
            .unwrap()
            .unwrap();
        out.push((name, row.try_get_by_index::<i64>(0).unwrap()));
    }
    out
}
