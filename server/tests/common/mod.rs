//! Test harness: every store test runs against a fresh SQLite file and a fresh PostgreSQL schema.

#![allow(dead_code)]

use chrono::NaiveDate;
use server::store::Store;
use std::sync::atomic::{AtomicU64, Ordering};

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub struct TestDb {
    pub store: Store,
    pub name: &'static str,
    /// Opens the same database again (a second server process).
    pub url: String,
    cleanup: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("success_test"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/success.db", dir.display());
        let store = Store::connect(&url).await.expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        TestDb {
            store,
            url,
            name: "sqlite",
            cleanup: Some(dir.display().to_string()),
        }
    }

    /// A schema of its own in the test database, so tests run in parallel without meeting.
    pub async fn postgres() -> TestDb {
        let schema = unique("t");
        let admin = Store::connect(&postgres_url())
            .await
            .expect("PostgreSQL must be reachable for the store tests (set TEST_DATABASE_URL)");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        let sep = if postgres_url().contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}options=-c%20search_path%3D{schema}", postgres_url());
        let store = Store::connect(&url).await.expect("open postgres");
        store.migrate().await.expect("migrate postgres");
        TestDb {
            store,
            url,
            name: "postgres",
            cleanup: None,
        }
    }

    pub async fn both() -> Vec<TestDb> {
        vec![TestDb::sqlite().await, TestDb::postgres().await]
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.cleanup {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
