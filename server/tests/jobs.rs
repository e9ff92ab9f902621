//! What follows a change is never lost: the follow-up is recorded with the change, and a server
//! killed right after a sync was recorded settles every account when it starts again.

mod common;

use app::model::IntegrationKind;
use common::process::Replica;
use common::rig::{rig, Rig, RIG_KEY};
use common::TestDb;
use server::fakes::salesbricks::SalesbricksData;
use server::fakes::stripe::StripeData;
use server::fakes::{SALESBRICKS_TOKEN, STRIPE_KEY};
use server::jobs::Changes;
use std::time::{Duration, Instant};

/// Every account as Health and Contracts show it: (name, ARR in minor units, next renewal).
async fn books(rig: &Rig) -> Vec<(String, i64, Option<String>)> {
    let mut rows = sqlx::query_as::<_, (String, i64, Option<String>)>(
        "SELECT name, CAST(arr_minor AS BIGINT), renewal_date FROM accounts WHERE workspace_id = $1 ORDER BY name",
    )
    .bind(rig.ws)
    .fetch_all(rig.db.store.pool())
    .await
    .unwrap();
    // Two accounts may share a name; the backends order ties differently.
    rows.sort();
    rows
}

async fn synced_both(rig: &Rig) {
    rig.connect(IntegrationKind::Salesbricks, SALESBRICKS_TOKEN)
        .await
        .unwrap();
    rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
    let sb = rig.data.sync_now(rig.ws, IntegrationKind::Salesbricks).await.unwrap();
    assert_eq!(sb.error, None);
}

/// `server sync` in a process of its own, dying at `crash_at`; true when it exited cleanly.
async fn sync_process(rig: &Rig, dir: &std::path::Path, crash_at: &str) -> bool {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.args(["sync", "--workspace", &rig.ws.to_string(), "--source", "stripe"])
        .env("DATABASE_URL", &rig.db.url)
        .env("SUCCESS_SECRET_KEY", RIG_KEY)
        .env("SUCCESS_DATA_DIR", dir)
        .env("SUCCESS_ALLOW_PRIVATE_NETWORK", "true")
        .env("SUCCESS_CRASH_AT", crash_at)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // The vendors' fakes answer from this test's runtime: wait off it.
    let status = tokio::task::spawn_blocking(move || cmd.status().expect("run server sync"))
        .await
        .unwrap();
    status.success()
}

#[tokio::test]
async fn a_server_killed_right_after_a_sync_is_recorded_settles_every_account_when_it_restarts() {
    let stripe = StripeData::generate(60, 2, 0, 11);
    let salesbricks = SalesbricksData::generate(40, 11);
    // What the books are when nothing goes wrong.
    let reference = rig(TestDb::sqlite().await, stripe.clone(), salesbricks.clone()).await;
    synced_both(&reference).await;
    let st = reference
        .data
        .sync_now(reference.ws, IntegrationKind::Stripe)
        .await
        .unwrap();
    assert_eq!(st.error, None);
    let expected = books(&reference).await;
    assert!(
        expected.iter().filter(|(_, arr, _)| *arr > 0).count() > 40,
        "{expected:?}"
    );

    for db in TestDb::both().await {
        let name = db.name;
        let rig = rig(db, stripe.clone(), salesbricks.clone()).await;
        synced_both(&rig).await;
        let dir = std::env::temp_dir().join(format!("success_jobs_{}_{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(
            !sync_process(&rig, &dir, "sync:recorded").await,
            "{name}: the sync process was killed"
        );
        let recorded = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM sync_runs WHERE workspace_id = $1 AND source = 'stripe' AND status = 'succeeded'")
            .await;
        assert_eq!(recorded, 1, "{name}: the run was recorded before the kill");
        assert_ne!(books(&rig).await, expected, "{name}: killed before the follow-up ran");
        assert_eq!(rig.db.store.unfinished_jobs(rig.ws).await.unwrap(), (1, 0), "{name}");

        // The server starts again and finishes what the killed one left.
        let server = Replica::start(&rig.db.url, RIG_KEY, &dir).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while rig.db.store.unfinished_jobs(rig.ws).await.unwrap() != (0, 0) {
            assert!(
                Instant::now() < deadline,
                "{name}: the restarted server did not finish the follow-up within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(server);
        assert_eq!(
            books(&rig).await,
            expected,
            "{name}: every account's ARR and renewal after the restart"
        );
        let runs = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM sync_runs WHERE workspace_id = $1")
            .await;
        assert_eq!(runs, 2, "{name}: settled by the follow-up, not by another sync");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test]
async fn changes_gather_in_one_follow_up_that_runs_once_and_a_failed_one_is_retried() {
    for db in TestDb::both().await {
        let name = db.name;
        let rig = rig(db, StripeData::generate(5, 1, 0, 3), SalesbricksData::default()).await;
        let store = &rig.db.store;
        let now = chrono::Utc::now();
        let everything = Changes::SCORES.and(Changes::REVENUE).and(Changes::REQUESTS);
        store.enqueue_after_change(rig.ws, Changes::SCORES, now).await.unwrap();
        store.enqueue_after_change(rig.ws, Changes::REVENUE, now).await.unwrap();
        assert_eq!(store.unfinished_jobs(rig.ws).await.unwrap(), (1, 0), "{name}: gathered");
        let job = store.take_job(Some(rig.ws), "a", now).await.unwrap().expect("due");
        assert_eq!(job.what, Changes::SCORES.and(Changes::REVENUE), "{name}");
        // While it runs, the workspace's next change waits in a job of its own, not taken yet.
        store
            .enqueue_after_change(rig.ws, Changes::REQUESTS, now)
            .await
            .unwrap();
        assert_eq!(store.unfinished_jobs(rig.ws).await.unwrap(), (2, 0), "{name}");
        assert_eq!(
            store.take_job(None, "b", now).await.unwrap(),
            None,
            "{name}: one at a time"
        );
        // A runner whose claim was taken back does not finish it.
        let mut stale = job.clone();
        stale.claimed_by = "a replica long gone".into();
        store.finish_job(&stale, Ok(()), now).await.unwrap();
        assert_eq!(store.unfinished_jobs(rig.ws).await.unwrap(), (2, 0), "{name}");
        // It fails: what it owed joins the change waiting, due at once.
        store.finish_job(&job, Err("disk full".into()), now).await.unwrap();
        assert_eq!(store.unfinished_jobs(rig.ws).await.unwrap(), (1, 0), "{name}");
        let next = store
            .take_job(None, "b", now)
            .await
            .unwrap()
            .expect("the gathered changes");
        assert_eq!(next.what, everything, "{name}");
        // Failing alone, it waits before its retry ...
        store.finish_job(&next, Err("disk full".into()), now).await.unwrap();
        assert_eq!(
            store.take_job(None, "b", now).await.unwrap(),
            None,
            "{name}: backing off"
        );
        let retried = store
            .take_job(None, "b", now + chrono::Duration::seconds(11))
            .await
            .unwrap()
            .expect("retried after its wait");
        assert_eq!((retried.id, retried.attempts), (next.id, 2), "{name}");
        // ... unless a new change arrives: then it is due at once.
        store.finish_job(&retried, Err("disk full".into()), now).await.unwrap();
        store.enqueue_after_change(rig.ws, Changes::SCORES, now).await.unwrap();
        let prompt = store
            .take_job(None, "b", now)
            .await
            .unwrap()
            .expect("due with the new change");
        assert_eq!((prompt.what, prompt.attempts), (everything, 1), "{name}");
        // A server that stops while running it: the next start takes it back.
        assert_eq!(
            store.resume_jobs(now + server::jobs::LEASE * 2).await.unwrap(),
            1,
            "{name}"
        );
        rig.data.settle(rig.ws).await.unwrap();
        assert_eq!(
            store.unfinished_jobs(rig.ws).await.unwrap(),
            (0, 0),
            "{name}: done and gone"
        );
    }
}
