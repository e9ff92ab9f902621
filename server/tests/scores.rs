//! Rescoring on both backends: a believable spread of bands on the demo, explained factors, only
//! changed rows written, a trend, and the Health queue's band and bucket filters.

mod common;

use app::model::ListQuery;
use app::scoring::Band;
use common::{today, TestDb};
use server::demo::{generate, DemoSpec};
use server::rescore::{backfill_history, rescore_workspace, score_all};
use server::store::scores::ScoredSpan;
use server::store::StoreError;
use std::collections::HashMap;

#[tokio::test]
async fn the_demo_scores_into_every_band_with_explained_factors() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let ws_id = store
            .load_dataset(&generate(&DemoSpec::preview(today())), &|_| {})
            .await
            .unwrap();
        let ws = store.workspace_info(ws_id).await.unwrap();
        let now = chrono::Utc::now();
        let first = rescore_workspace(store, ws_id, today(), now).await.unwrap();
        assert_eq!(first.accounts, 60, "{backend}");
        assert_eq!(first.changed, 60, "{backend}");
        let again = rescore_workspace(store, ws_id, today(), now).await.unwrap();
        assert_eq!(again.changed, 0, "{backend}: unchanged scores were written again");

        let summary = store.health_summary(&ws, today()).await.unwrap();
        for b in &summary.bands {
            assert!(b.accounts >= 3, "{backend}: only {} {:?} accounts", b.accounts, b.band);
        }
        assert_eq!(summary.unscored, 0);
        let at_risk: i64 = summary
            .bands
            .iter()
            .filter(|b| b.band != Band::Green)
            .map(|b| b.arr.minor)
            .sum();
        assert_eq!(summary.arr_at_risk.minor, at_risk);
        assert_eq!(summary.score_buckets.len(), 10);
        assert_eq!(
            summary.score_buckets.iter().map(|b| b.accounts).sum::<u64>(),
            summary.bands.iter().map(|b| b.accounts).sum::<u64>()
        );

        // Hooli's story: a failed payment and falling usage make it critical, and the page says so.
        let hooli = store
            .health_queue(
                &ws,
                &ListQuery {
                    q: "hooli".into(),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap()
            .rows
            .into_iter()
            .find(|a| a.name == "Hooli")
            .expect("Hooli");
        assert_eq!(hooli.band, Some(Band::Red), "{backend}: Hooli scored {:?}", hooli.score);
        assert_eq!(hooli.risks.len(), 2);
        assert!(hooli.risks.iter().all(|f| f.points < 0));
        let detail = store.account_detail(&ws, hooli.id, today()).await.unwrap();
        let score = detail.score.expect("scored");
        assert!(
            score
                .factors
                .iter()
                .any(|f| f.source == "Stripe" && f.evidence.contains("failed charge")),
            "{backend}: {:?}",
            score.factors
        );
        assert_eq!(
            score.factors.iter().map(|f| f.points).sum::<i32>(),
            score.score - app::scoring::BASELINE
        );

        // The riskiest come first; band and bucket filters narrow the queue.
        let queue = store.health_queue(&ws, &ListQuery::default(), today()).await.unwrap();
        let scores: Vec<i32> = queue.rows.iter().filter_map(|r| r.score).collect();
        assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{backend}: {scores:?}");
        let red = store
            .health_queue(
                &ws,
                &ListQuery {
                    band: "red".into(),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap();
        assert!(red.total >= 3 && red.rows.iter().all(|r| r.band == Some(Band::Red)));
        let bucket = summary.score_buckets.iter().find(|b| b.accounts > 0).unwrap();
        let in_bucket = store
            .health_queue(
                &ws,
                &ListQuery {
                    bucket: bucket.from.to_string(),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap();
        assert_eq!(in_bucket.total, bucket.accounts, "{backend}");
        assert!(in_bucket
            .rows
            .iter()
            .all(|r| r.score.unwrap() / 10 * 10 == bucket.from.min(90)));
    }
}

#[tokio::test]
async fn a_change_rescores_only_that_account_and_history_keeps_a_trend() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let ws_id = store
            .load_dataset(&generate(&DemoSpec::preview(today())), &|_| {})
            .await
            .unwrap();
        let ws = store.workspace_info(ws_id).await.unwrap();
        backfill_history(store, ws_id, today(), 13).await.unwrap();
        rescore_workspace(store, ws_id, today(), chrono::Utc::now())
            .await
            .unwrap();

        let raviga = store
            .health_queue(
                &ws,
                &ListQuery {
                    q: "raviga".into(),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap()
            .rows
            .remove(0);
        let detail = store.account_detail(&ws, raviga.id, today()).await.unwrap();
        assert_eq!(
            detail.history.len(),
            13,
            "{backend}: the weekly points of the last 90 days and today"
        );
        assert!(detail.history.windows(2).all(|w| w[0].0 < w[1].0));

        // A champion leaves: the next rescoring changes that account and nothing else.
        sqlx::query("UPDATE contacts SET is_champion = $1, left_on = $2 WHERE account_id = $3")
            .bind(true)
            .bind((today() - chrono::Duration::days(5)).format("%Y-%m-%d").to_string())
            .bind(raviga.id)
            .execute(store.pool())
            .await
            .unwrap();
        let report = rescore_workspace(store, ws_id, today(), chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(report.changed, 1, "{backend}");
        let after = store
            .account_detail(&ws, raviga.id, today())
            .await
            .unwrap()
            .score
            .unwrap();
        let champion = after
            .factors
            .iter()
            .find(|f| f.label == "Champion left")
            .expect("champion factor");
        assert!(
            champion.points < 0 && champion.evidence.contains("left 5 days ago"),
            "{champion:?}"
        );
        assert_eq!(
            store
                .account_detail(&ws, raviga.id, today())
                .await
                .unwrap()
                .history
                .len(),
            13
        );
    }
}

/// A workspace large enough that scores reach the writer in several batches while the rest are
/// still being scored: every account's queue copy matches its score row, the history has one
/// point per account, and a second rescore writes nothing.
#[tokio::test]
async fn a_workspace_scored_in_batches_is_written_whole() {
    use sqlx::Row;
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let spec = DemoSpec {
            accounts: 9_000,
            slug: "batches".into(),
            name: "Batches".into(),
            ..DemoSpec::preview(today())
        };
        let ws_id = store.load_dataset(&generate(&spec), &|_| {}).await.unwrap();
        let now = chrono::Utc::now();
        let card = store.scorecard(ws_id).await.unwrap();
        let whole = score_all(&card, &store.score_inputs(ws_id, today()).await.unwrap());
        assert_eq!(whole.len(), 9_000, "{backend}");

        // A span that fails to come after one that was written leaves nothing behind.
        let (spans, received) = tokio::sync::mpsc::channel(2);
        spans
            .send(Ok(ScoredSpan::new(whole[..4_000].to_vec(), &HashMap::new())))
            .await
            .unwrap();
        spans
            .send(Err(StoreError::Invalid("the read of a span failed".into())))
            .await
            .unwrap();
        drop(spans);
        let failed = store.write_score_batches(ws_id, received, today(), now).await;
        assert!(failed.is_err(), "{backend}: {failed:?}");
        let stored = store.span_fingerprints(ws_id, (i64::MIN, i64::MAX)).await.unwrap();
        assert!(
            stored.is_empty(),
            "{backend}: {} scores of a failed rescore kept",
            stored.len()
        );

        let first = rescore_workspace(store, ws_id, today(), now).await.unwrap();
        assert_eq!((first.accounts, first.changed), (9_000, 9_000), "{backend}");
        // Read in spans of accounts, every account scores as it does when the workspace is read
        // whole (nothing lost or doubled at the edges of a span).
        let stored = store.span_fingerprints(ws_id, (i64::MIN, i64::MAX)).await.unwrap();
        let differing: Vec<i64> = whole
            .iter()
            .filter(|s| stored.get(&s.account_id) != Some(&s.fingerprint))
            .map(|s| s.account_id)
            .collect();
        assert!(
            differing.is_empty(),
            "{backend}: {} accounts score differently, e.g. {:?}",
            differing.len(),
            &differing[..differing.len().min(5)]
        );
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS scored, \
             CAST(SUM(CASE WHEN a.health_rank = hs.score AND a.health_band = hs.band THEN 1 ELSE 0 END) AS BIGINT) AS copied, \
             CAST((SELECT COUNT(*) FROM health_history h WHERE h.workspace_id = $1) AS BIGINT) AS points \
             FROM accounts a JOIN health_scores hs ON hs.account_id = a.id WHERE a.workspace_id = $1",
        )
        .bind(ws_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        let count = |c: &str| row.try_get::<i64, _>(c).unwrap();
        assert_eq!(
            (count("scored"), count("copied"), count("points")),
            (9_000, 9_000, 9_000),
            "{backend}: scores, queue copies, history points"
        );
        let again = rescore_workspace(store, ws_id, today(), now).await.unwrap();
        assert_eq!((again.accounts, again.changed), (9_000, 0), "{backend}");
    }
}
