//! Both migrations give the same schema: tables, columns and indexes by name (types differ by
//! backend on purpose: INTEGER/BIGINT, TEXT/TIMESTAMPTZ).

mod common;

use common::TestDb;
use std::collections::BTreeSet;

/// Indexes one backend has on purpose, each explained in its migration: SQLite re-keys the signals
/// index to hold whole rows (0027), which PostgreSQL's size-limited b-tree entries cannot.
const ONLY_SQLITE: &[(&str, &str)] = &[("signals", "signals_ws_account")];
const ONLY_POSTGRES: &[(&str, &str)] = &[("signals", "signals_ws_occurred")];

type Schema = (BTreeSet<(String, String)>, BTreeSet<(String, String)>);

async fn sqlite_schema(db: &TestDb) -> Schema {
    let pool = db.store.pool();
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (columns.into_iter().collect(), indexes.into_iter().collect())
}

async fn postgres_schema(db: &TestDb) -> Schema {
    let pool = db.store.pool();
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    // Indexes a constraint makes (primary keys, UNIQUE columns) are SQLite's autoindexes.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(i.tablename AS TEXT), CAST(i.indexname AS TEXT) FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND i.tablename <> '_sqlx_migrations' \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname \
                           AND c.connamespace = CAST(current_schema() AS regnamespace))",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (columns.into_iter().collect(), indexes.into_iter().collect())
}

#[tokio::test]
async fn both_migrations_give_the_same_tables_columns_and_indexes() {
    let Some(postgres) = TestDb::postgres().await else {
        eprintln!("schema parity needs PostgreSQL: set TEST_DATABASE_URL to run this test");
        return;
    };
    let sqlite = TestDb::sqlite().await;
    let (lite, pg) = (sqlite_schema(&sqlite).await, postgres_schema(&postgres).await);
    assert!(lite.0.len() > 100, "read the SQLite schema: {:?}", lite.0);
    let only =
        |a: &BTreeSet<(String, String)>, b: &BTreeSet<(String, String)>| a.difference(b).cloned().collect::<Vec<_>>();
    let deliberate = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(t, i)| (t.to_string(), i.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (only(&lite.0, &pg.0), only(&pg.0, &lite.0)),
        (vec![], vec![]),
        "columns only on SQLite, only on PostgreSQL"
    );
    assert_eq!(
        (only(&lite.1, &pg.1), only(&pg.1, &lite.1)),
        (deliberate(ONLY_SQLITE), deliberate(ONLY_POSTGRES)),
        "indexes only on SQLite, only on PostgreSQL"
    );
}
