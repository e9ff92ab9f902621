//! Account matching by hand on both backends: a merge re-points every row of one account to the
//! other and an undo brings the merged account back with exactly its rows; unmatched vendor
//! companies are suggested by normalised name and linked.

mod common;

use common::TestDb;
use sqlx::Row;

const TABLES: [&str; 6] = [
    "revenue_sources",
    "invoices",
    "usage_weeks",
    "signals",
    "contacts",
    "account_external_ids",
];

async fn rows_of(db: &TestDb, account: i64) -> Vec<i64> {
    let mut counts = Vec::new();
    for t in TABLES {
        let n: i64 = sqlx::query(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM {t} WHERE account_id = $1"
        ))
        .bind(account)
        .fetch_one(db.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        counts.push(n);
    }
    counts
}

#[tokio::test]
async fn a_merge_moves_every_row_and_undo_restores_exactly_the_merged_accounts_rows() {
    for db in TestDb::both().await {
        let backend = db.name;
        server::ensure_preview_workspace(&db.store).await.unwrap();
        let ws = db.store.demo_workspace_id().await.unwrap().unwrap();
        // Two accounts that both have usage and revenue.
        let ids: Vec<i64> = sqlx::query(
            "SELECT a.id FROM accounts a WHERE a.workspace_id = $1 \
             AND EXISTS (SELECT 1 FROM usage_weeks u WHERE u.account_id = a.id) \
             AND EXISTS (SELECT 1 FROM revenue_sources r WHERE r.account_id = a.id) ORDER BY a.id LIMIT 2",
        )
        .bind(ws)
        .fetch_all(db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("id").unwrap())
        .collect();
        let (keep, away) = (ids[0], ids[1]);
        let (keep_before, away_before) = (rows_of(&db, keep).await, rows_of(&db, away).await);
        let away_name: String = sqlx::query("SELECT name FROM accounts WHERE id = $1")
            .bind(away)
            .fetch_one(db.store.pool())
            .await
            .unwrap()
            .try_get("name")
            .unwrap();
        let now = chrono::Utc::now();

        assert!(db.store.merge_accounts(ws, keep, keep, (None, "t"), now).await.is_err());
        let merge = db
            .store
            .merge_accounts(ws, keep, away, (None, "Gavin"), now)
            .await
            .unwrap();
        let merged = rows_of(&db, keep).await;
        for (i, t) in TABLES.iter().enumerate() {
            // Usage weeks both had stay with the kept account only.
            if *t == "usage_weeks" {
                assert!(
                    merged[i] >= keep_before[i] && merged[i] <= keep_before[i] + away_before[i],
                    "{backend} {t}"
                );
            } else {
                assert_eq!(merged[i], keep_before[i] + away_before[i], "{backend} {t}");
            }
        }
        assert_eq!(rows_of(&db, away).await, vec![0; TABLES.len()]);
        let view = db.store.matching(ws).await.unwrap();
        assert_eq!(view.merges[0].merged_name, away_name);
        let audited: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE workspace_id = $1 AND action = 'account.merge'",
        )
        .bind(ws)
        .fetch_one(db.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        assert_eq!(audited, 1);

        let restored = db.store.undo_merge(ws, merge, (None, "Gavin"), now).await.unwrap();
        assert_eq!(
            rows_of(&db, restored).await,
            away_before,
            "{backend}: the merged account's own rows come back"
        );
        assert_eq!(
            rows_of(&db, keep).await,
            keep_before,
            "{backend}: and leave the kept account"
        );
        let name: String = sqlx::query("SELECT name FROM accounts WHERE id = $1")
            .bind(restored)
            .fetch_one(db.store.pool())
            .await
            .unwrap()
            .try_get("name")
            .unwrap();
        assert_eq!(name, away_name);
        assert!(
            db.store.undo_merge(ws, merge, (None, "Gavin"), now).await.is_err(),
            "undo once"
        );
    }
}

#[tokio::test]
async fn unmatched_companies_are_suggested_by_normalised_name_and_linked() {
    for db in TestDb::both().await {
        server::ensure_preview_workspace(&db.store).await.unwrap();
        let ws = db.store.demo_workspace_id().await.unwrap().unwrap();
        let row = sqlx::query("SELECT id, name FROM accounts WHERE workspace_id = $1 ORDER BY id LIMIT 1")
            .bind(ws)
            .fetch_one(db.store.pool())
            .await
            .unwrap();
        let (account, name): (i64, String) = (row.try_get("id").unwrap(), row.try_get("name").unwrap());
        sqlx::query(
            "INSERT INTO unmatched_companies (workspace_id, source, external_id, name, seen_at) VALUES ($1, 'posthog', 'org_x', $2, '2026-11-27T00:00:00Z')",
        )
        .bind(ws)
        .bind(format!("The {}, Inc.", name.to_uppercase()))
        .execute(db.store.pool())
        .await
        .unwrap();
        let view = db.store.matching(ws).await.unwrap();
        let u = view.unmatched.iter().find(|u| u.external_id == "org_x").unwrap();
        assert_eq!(u.suggestions[0].id, account, "{}", db.name);

        db.store.link_company(ws, "posthog", "org_x", account).await.unwrap();
        let view = db.store.matching(ws).await.unwrap();
        assert!(view.unmatched.iter().all(|u| u.external_id != "org_x"));
        assert!(
            db.store.link_company(ws, "posthog", "org_x", account).await.is_err(),
            "already linked"
        );
        db.store
            .unlink_company(ws, account, "posthog", "org_x", chrono::Utc::now())
            .await
            .unwrap();
        let view = db.store.matching(ws).await.unwrap();
        assert!(
            view.unmatched.iter().any(|u| u.external_id == "org_x"),
            "a wrong match goes back to the list"
        );
        assert!(db
            .store
            .unlink_company(ws, account, "stripe", "cus_x", chrono::Utc::now())
            .await
            .is_err());
    }
}
