//! Live updates and scale-out: the event log a reconnecting browser replays from, job claims, and
//! two real server processes on one Postgres sharing events and the schedule.

mod common;

use app::live::LiveEvent;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::process::Replica;
use common::{next_event, sse_events, TestDb};
use server::auth::AuthConfig;
use server::service::Data;
use std::time::{Duration, Instant};
use tower::ServiceExt;

async fn preview_ws(db: &TestDb) -> i64 {
    server::ensure_preview_workspace(&db.store).await.unwrap();
    db.store.demo_workspace_id().await.unwrap().unwrap()
}

/// Opens `/api/events` on the in-process router as the demo preview, from `last_event_id`.
async fn open_stream(
    router: &axum::Router,
    last_event_id: Option<i64>,
) -> tokio::sync::mpsc::UnboundedReceiver<(Option<i64>, String)> {
    let mut req = Request::get("/api/events")
        .header(header::HOST, "success.test")
        .header(header::COOKIE, "success_demo=1");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let res = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    sse_events(res.into_body().into_data_stream())
}

fn event(data: &str) -> LiveEvent {
    serde_json::from_str(data).unwrap_or_else(|e| panic!("{data}: {e}"))
}

#[tokio::test]
async fn a_reconnecting_page_is_sent_what_it_missed_of_its_own_workspace_only() {
    for db in TestDb::both().await {
        let backend = db.name;
        let ws = preview_ws(&db).await;
        let data = Data::new(db.store.clone(), AuthConfig::allowing_private_network()).shared();
        data.go_live();
        let options = leptos::prelude::LeptosOptions::builder().output_name("success").build();
        let router = server::web::router_with(options, data.clone());

        let mut live = open_stream(&router, None).await;
        data.events.publish(
            ws,
            LiveEvent::DealChanged {
                deal_id: 1,
                account_id: 10,
            },
        );
        let (first_id, first) = next_event(&mut live, 10, "the first move").await;
        assert_eq!(
            event(&first),
            LiveEvent::DealChanged {
                deal_id: 1,
                account_id: 10
            },
            "{backend}"
        );
        let first_id = first_id.expect("logged events carry an id");

        // The page goes away; meanwhile two more changes here and one in another workspace.
        drop(live);
        data.events.publish(
            ws,
            LiveEvent::DealChanged {
                deal_id: 2,
                account_id: 20,
            },
        );
        data.events.publish(
            ws + 1000,
            LiveEvent::DealChanged {
                deal_id: 99,
                account_id: 99,
            },
        );
        data.events.publish(ws, LiveEvent::Rescored { changed: 3 });
        let deadline = Instant::now() + Duration::from_secs(10);
        while db.store.last_event_id().await.unwrap() < first_id + 3 {
            assert!(Instant::now() < deadline, "{backend}: events are logged");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let mut back = open_stream(&router, Some(first_id)).await;
        let (_, a) = next_event(&mut back, 10, "the first missed event").await;
        let (last_id, b) = next_event(&mut back, 10, "the second missed event").await;
        assert_eq!(
            event(&a),
            LiveEvent::DealChanged {
                deal_id: 2,
                account_id: 20
            },
            "{backend}"
        );
        assert_eq!(
            event(&b),
            LiveEvent::Rescored { changed: 3 },
            "{backend}: not the other workspace's"
        );
        // Then live again, without repeating the replay.
        data.events.publish(ws, LiveEvent::AccountChanged { account_id: 7 });
        let (next_id, c) = next_event(&mut back, 10, "a live event after the replay").await;
        assert_eq!(event(&c), LiveEvent::AccountChanged { account_id: 7 }, "{backend}");
        assert!(next_id > last_id, "{backend}");

        // An id the log no longer holds (or never did): the page is told to refetch everything.
        let mut lost = open_stream(&router, Some(first_id + 1_000_000)).await;
        let (resync_id, r) = next_event(&mut lost, 10, "the resync").await;
        assert_eq!(event(&r), LiveEvent::Resync, "{backend}");
        assert!(
            resync_id.is_some(),
            "{backend}: carries the newest id so the next reconnect is normal"
        );
    }
}

#[tokio::test]
async fn each_turn_of_a_scheduled_job_is_claimed_once() {
    for db in TestDb::both().await {
        let now = chrono::Utc::now();
        let s = &db.store;
        assert!(s.claim_job("rescore:1", "15m:100", "a:1", now).await.unwrap());
        assert!(
            !s.claim_job("rescore:1", "15m:100", "b:2", now).await.unwrap(),
            "{}",
            db.name
        );
        assert!(s.claim_job("rescore:1", "15m:101", "b:2", now).await.unwrap());
        assert!(
            s.claim_job("rescore:2", "15m:100", "b:2", now).await.unwrap(),
            "per workspace"
        );
        assert_eq!(
            s.job_claims("rescore:1").await.unwrap(),
            vec![
                ("15m:100".to_string(), "a:1".to_string()),
                ("15m:101".to_string(), "b:2".to_string())
            ]
        );

        // A scheduled sync starts once per turn: a second replica finds the turn taken, even
        // after the first run finished.
        let ws = preview_ws(&db).await;
        let turn = now - chrono::Duration::minutes(15);
        let run = s.start_scheduled_sync_run(ws, "stripe", turn, now).await.unwrap();
        assert!(run.is_some());
        assert_eq!(
            s.start_scheduled_sync_run(ws, "stripe", turn, now).await.unwrap(),
            None,
            "running"
        );
        s.finish_sync_run(run.unwrap(), None, now).await.unwrap();
        assert_eq!(
            s.start_scheduled_sync_run(ws, "stripe", turn, now).await.unwrap(),
            None,
            "done this turn"
        );
        let later = now + chrono::Duration::minutes(16);
        assert!(s
            .start_scheduled_sync_run(ws, "stripe", later - chrono::Duration::minutes(15), later)
            .await
            .unwrap()
            .is_some());
    }
}

/// Waits for the deal's move event on a stream; returns its id.
async fn await_move(rx: &mut tokio::sync::mpsc::UnboundedReceiver<(Option<i64>, String)>, deal: i64) -> i64 {
    loop {
        let (id, data) = next_event(rx, 10, "the deal's move").await;
        if let LiveEvent::DealChanged { deal_id, .. } = event(&data) {
            if deal_id == deal {
                return id.expect("an id");
            }
        }
    }
}

#[tokio::test]
async fn two_server_processes_on_one_postgres_share_moves_and_run_each_sync_once() {
    use server::fakes::{salesbricks::SalesbricksData, stripe::StripeData, FakeState};
    let Some(db) = TestDb::postgres().await else {
        eprintln!("replicas need PostgreSQL: set TEST_DATABASE_URL to run this test");
        return;
    };
    let dir = std::env::temp_dir().join(format!("success_replicas_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = "ab".repeat(32);

    // A workspace with deals and an owner, and a Stripe connection due for its scheduled sync.
    let today = chrono::Utc::now().date_naive();
    let spec = server::demo::DemoSpec {
        accounts: 60,
        seed: server::demo::DEFAULT_SEED,
        today,
        name: "Hooli".into(),
        slug: "hooli".into(),
    };
    let ws = db
        .store
        .load_dataset(&server::demo::generate(&spec), &|_| {})
        .await
        .unwrap();
    let hash = server::auth::hash_password("correct horse battery".into())
        .await
        .unwrap();
    db.store
        .create_member(
            ws,
            "owner@hooli.test",
            "Olivia",
            &hash,
            app::access::Role::Owner,
            true,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let fake = FakeState::new(StripeData::generate(40, 1, 0, 9), SalesbricksData::default());
    let fake_addr = server::fakes::serve(fake, "127.0.0.1:0").await.unwrap();
    let mut data = Data::new(db.store.clone(), AuthConfig::allowing_private_network());
    data.secrets = server::secrets::SecretBox::load(Some(&key), &dir).unwrap();
    data.connect_integration_in(
        ws,
        app::model::IntegrationKind::Stripe,
        app::integrations::IntegrationSetup {
            credential: server::fakes::STRIPE_KEY.into(),
            base_url: format!("http://{fake_addr}"),
            schedule_minutes: 15,
            webhook_secret: String::new(),
            target: String::new(),
        },
    )
    .await
    .unwrap();

    let (a, b) = tokio::join!(Replica::start(&db.url, &key, &dir), Replica::start(&db.url, &key, &dir));

    // Signed in through A, the session works on B: it lives in the database.
    let signed = a
        .call(
            "sign_in",
            "",
            &[("email", "owner@hooli.test"), ("password", "correct horse battery")],
        )
        .await;
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("success_session="))
        .map(|c| format!("success_session={}", c.split(';').next().unwrap()))
        .expect("signed in");
    let mut on_b = b.stream(&session, None).await;

    // A move through A reaches a page open on B.
    let deal: (i64, i64) = {
        use sqlx::Row;
        let r = sqlx::query(
            "SELECT id, version FROM deals WHERE workspace_id = $1 AND source <> 'salesbricks' AND stage = 'discovery' ORDER BY id LIMIT 1",
        )
        .bind(ws)
        .fetch_one(db.store.pool())
        .await
        .unwrap();
        (r.get(0), r.get(1))
    };
    let sent = Instant::now();
    let moved = a
        .call(
            "move_deal",
            &session,
            &[
                ("deal_id", &deal.0.to_string()),
                ("stage", "proposal"),
                ("version", &deal.1.to_string()),
            ],
        )
        .await;
    assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap_or_default());
    let first_id = await_move(&mut on_b, deal.0).await;
    eprintln!("a move through A reached B's stream in {:?}", sent.elapsed());

    // B's page drops; a second move through A; back on B with Last-Event-ID it is replayed.
    drop(on_b);
    let moved = a
        .call(
            "move_deal",
            &session,
            &[
                ("deal_id", &deal.0.to_string()),
                ("stage", "evaluation"),
                ("version", &(deal.1 + 1).to_string()),
            ],
        )
        .await;
    assert_eq!(moved.status(), 200);
    let mut again = b.stream(&session, Some(first_id)).await;
    let second_id = await_move(&mut again, deal.0).await;
    assert!(second_id > first_id);

    // Both replicas checked the schedule at start; the sync ran once, and so did the rescore.
    let deadline = Instant::now() + Duration::from_secs(60);
    let count = |sql: &'static str| {
        let store = db.store.clone();
        async move {
            use sqlx::Row;
            sqlx::query(sql)
                .bind(ws)
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    while count("SELECT CAST(COUNT(*) AS BIGINT) FROM sync_runs WHERE workspace_id = $1 AND status <> 'running'").await
        == 0
    {
        assert!(Instant::now() < deadline, "the scheduled sync finished");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The rescore that follows the sync is claimed by one replica; by then both have long since
    // checked the schedule, so a second sync would already be on record.
    let claims = loop {
        let claims = db.store.job_claims(&format!("rescore:{ws}")).await.unwrap();
        if !claims.is_empty() {
            break claims;
        }
        assert!(Instant::now() < deadline, "the rescore after the sync was claimed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM sync_runs WHERE workspace_id = $1").await,
        1
    );
    assert_eq!(claims.len(), 1, "{claims:?}");
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}
