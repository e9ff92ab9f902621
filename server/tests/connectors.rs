//! Connectors against local fakes of the vendors' APIs, on both backends: a sync stores exactly the
//! fake's dataset — also with injected faults and after being killed mid-sync — credentials are
//! tested before they are stored and sealed at rest, Salesbricks contracts billed through Stripe
//! count once, and webhooks are verified and deduplicated.

mod common;

use app::integrations::IntegrationSetup;
use app::model::IntegrationKind;
use common::rig::{rig, Rig};
use common::TestDb;
use server::auth::AuthConfig;
use server::fakes::salesbricks::SalesbricksData;
use server::fakes::stripe::StripeData;
use server::fakes::{SALESBRICKS_TOKEN, STRIPE_KEY};
use server::service::Data;
use sqlx::Row;

impl Rig {
    /// The stored Stripe data equals the fake's dataset (malformed records aside).
    async fn assert_matches_stripe(&self, expected: &StripeData, malformed: usize) {
        let name = self.db.name;
        let customers = self
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM account_external_ids WHERE workspace_id = $1 AND source = 'stripe'")
            .await;
        assert_eq!(
            customers as usize,
            expected.customers.len(),
            "{name}: every customer linked once"
        );
        let subs = self
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM revenue_sources WHERE workspace_id = $1 AND source = 'stripe'")
            .await;
        assert_eq!(
            subs as usize,
            expected.subscriptions.len() - malformed,
            "{name}: subscriptions"
        );
        let invoices = self
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE workspace_id = $1")
            .await;
        assert_eq!(invoices as usize, expected.invoices.len(), "{name}: invoices");
        // Field by field for a sample: status and amounts as the vendor said.
        for inv in expected.invoices.iter().step_by(37) {
            let row = sqlx::query("SELECT status, amount_due_minor, amount_remaining_minor FROM invoices WHERE workspace_id = $1 AND external_id = $2")
                .bind(self.ws)
                .bind(inv["id"].as_str().unwrap())
                .fetch_one(self.db.store.pool())
                .await
                .unwrap();
            assert_eq!(
                row.try_get::<String, _>("status").unwrap(),
                inv["status"].as_str().unwrap()
            );
            assert_eq!(
                row.try_get::<i64, _>("amount_due_minor").unwrap(),
                inv["amount_due"].as_i64().unwrap()
            );
            assert_eq!(
                row.try_get::<i64, _>("amount_remaining_minor").unwrap(),
                inv["amount_remaining"].as_i64().unwrap()
            );
        }
        let well_formed = expected
            .subscriptions
            .iter()
            .filter(|s| s["items"]["data"].as_array().is_some_and(|items| !items.is_empty()));
        // Each subscription that began with a trial is a trial, running or decided by its status.
        let with_trial: Vec<_> = well_formed.clone().filter(|s| !s["trial_end"].is_null()).collect();
        assert!(!with_trial.is_empty(), "{name}: the fake has trials");
        let decided = |outcome: &str| {
            let sql = match outcome {
                "running" => "SELECT CAST(COUNT(*) AS BIGINT) FROM trials WHERE workspace_id = $1 AND source = 'stripe' AND outcome IS NULL".to_string(),
                o => format!("SELECT CAST(COUNT(*) AS BIGINT) FROM trials WHERE workspace_id = $1 AND source = 'stripe' AND outcome = '{o}'"),
            };
            async move { self.count(&sql).await as usize }
        };
        let count_status = |statuses: &[&str]| {
            with_trial
                .iter()
                .filter(|s| statuses.contains(&s["status"].as_str().unwrap()))
                .count()
        };
        assert_eq!(
            decided("running").await,
            count_status(&["trialing"]),
            "{name}: running trials"
        );
        assert_eq!(
            decided("converted").await,
            count_status(&["active", "past_due", "unpaid"]),
            "{name}: converted trials"
        );
        assert_eq!(
            decided("lapsed").await,
            count_status(&["canceled"]),
            "{name}: lapsed trials"
        );
        // A running trial is priced at what it will bill once it converts.
        let unpriced = self
            .count(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM trials WHERE workspace_id = $1 AND source = 'stripe' \
                 AND outcome IS NULL AND COALESCE(potential_minor, 0) <= 0",
            )
            .await;
        assert_eq!(unpriced, 0, "{name}: a running trial without its price");
        for sub in well_formed.step_by(23) {
            let status: String =
                sqlx::query("SELECT status FROM revenue_sources WHERE workspace_id = $1 AND external_id = $2")
                    .bind(self.ws)
                    .bind(sub["id"].as_str().unwrap())
                    .fetch_one(self.db.store.pool())
                    .await
                    .unwrap()
                    .try_get("status")
                    .unwrap();
            assert_eq!(status, sub["status"].as_str().unwrap());
        }
    }
}

#[tokio::test]
async fn a_stripe_sync_stores_exactly_the_vendors_data_and_explains_what_it_skipped() {
    for db in TestDb::both().await {
        let dataset = StripeData::generate(120, 3, 4, 1);
        let rig = rig(db, dataset.clone(), SalesbricksData::default()).await;
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        assert_eq!(outcome.error, None);
        rig.assert_matches_stripe(&dataset, 4).await;
        assert_eq!(outcome.progress.skipped, 4);
        // Invoices find their subscription where the pinned API version puts it (`parent`), so a
        // contract's failed collection attempts count (3 per unpaid invoice in the fake).
        let linked = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE workspace_id = $1 AND revenue_source_id IS NOT NULL")
            .await;
        assert_eq!(linked, 116 * 3, "invoices of the 116 stored subscriptions, linked");
        let errors = rig.run_records(outcome.run_id).await;
        assert_eq!(errors.len(), 4);
        assert!(errors.iter().all(|(_, why)| why == "has no items"), "{errors:?}");
        // Accounts carry ARR from their counted subscriptions, and a second sync changes nothing.
        let arr_before = rig
            .count("SELECT CAST(SUM(arr_minor) AS BIGINT) FROM accounts WHERE workspace_id = $1")
            .await;
        assert!(arr_before > 0);
        let again = rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        assert_eq!(again.error, None);
        rig.assert_matches_stripe(&dataset, 4).await;
        let arr_after = rig
            .count("SELECT CAST(SUM(arr_minor) AS BIGINT) FROM accounts WHERE workspace_id = $1")
            .await;
        assert_eq!(arr_before, arr_after);
        // Health now scores the synced accounts.
        let scored = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM health_scores WHERE workspace_id = $1")
            .await;
        let accounts = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE workspace_id = $1")
            .await;
        assert_eq!(
            (scored, accounts),
            (120, 120),
            "every synced customer is an account, and scored"
        );
    }
}

#[tokio::test]
async fn faults_are_retried_until_the_data_is_complete_and_skip_nothing() {
    for db in TestDb::both().await {
        let dataset = StripeData::generate(300, 3, 0, 2);
        let rig = rig(db, dataset.clone(), SalesbricksData::default()).await;
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.fake.faults.lock().unwrap().percent = 20;
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        assert_eq!(outcome.error, None, "{}", rig.db.name);
        rig.assert_matches_stripe(&dataset, 0).await;
        let injected = rig.fake.injected.load(std::sync::atomic::Ordering::Relaxed);
        assert!(injected > 0, "the fake misbehaved at least once");
    }
}

#[tokio::test]
async fn a_sync_that_keeps_failing_says_why_in_plain_words() {
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::generate(5, 1, 0, 3), SalesbricksData::default()).await;
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.fake.faults.lock().unwrap().down = true;
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        let error = outcome.error.expect("the run fails");
        assert!(error.starts_with("Stripe kept failing after 6 attempts"), "{error}");
        let settings = rig
            .db
            .store
            .settings(&rig.db.store.workspace_info(rig.ws).await.unwrap())
            .await
            .unwrap();
        let run = &settings.recent_runs[0];
        assert_eq!(
            (run.status.as_str(), run.error.as_deref()),
            ("failed", Some(error.as_str()))
        );
    }
}

#[tokio::test]
async fn a_sync_killed_mid_way_resumes_without_losing_or_duplicating_rows() {
    for db in TestDb::both().await {
        let dataset = StripeData::generate(400, 2, 0, 4);
        let rig = rig(db, dataset.clone(), SalesbricksData::default()).await;
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        // The first run belongs to a server process of its own (its own connections), killed below.
        let doomed_store = server::store::Store::connect(&rig.db.url).await.unwrap();
        let mut doomed = Data::new(doomed_store.clone(), AuthConfig::allowing_private_network());
        doomed.secrets = rig.data.secrets.clone();
        let doomed = doomed.shared();
        let ws = rig.ws;
        let task = tokio::spawn(async move { doomed.sync_now(ws, IntegrationKind::Stripe).await });
        // Stop it once some pages are stored — wherever it is then, even inside a transaction.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "the doomed sync stored no 500 records within 60 s"
            );
            let fetched = rig
                .count("SELECT CAST(COALESCE(MAX(fetched), 0) AS BIGINT) FROM sync_runs WHERE workspace_id = $1")
                .await;
            if fetched >= 500 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        task.abort();
        let _ = task.await;
        // The process is gone: its connections close and the database rolls back what was open.
        doomed_store.close().await;
        let half = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE workspace_id = $1")
            .await;
        assert!(half < 800, "stopped before the end ({half} invoices)");
        // The restarted server marks the run interrupted and the next run resumes from the cursor.
        assert_eq!(
            rig.db
                .store
                .fail_interrupted_runs(None, chrono::Utc::now())
                .await
                .unwrap(),
            1
        );
        let requests_before = rig.fake.requests.load(std::sync::atomic::Ordering::Relaxed);
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        assert_eq!(outcome.error, None);
        rig.assert_matches_stripe(&dataset, 0).await;
        let resumed_requests = rig.fake.requests.load(std::sync::atomic::Ordering::Relaxed) - requests_before;
        assert!(
            resumed_requests < 8,
            "resumed, not restarted ({resumed_requests} requests)"
        );
        let interrupted = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM sync_runs WHERE workspace_id = $1 AND status = 'failed' AND error LIKE 'Interrupted%'")
            .await;
        assert_eq!(interrupted, 1);
    }
}

#[tokio::test]
async fn credentials_are_tested_before_saving_and_sealed_at_rest() {
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::generate(3, 1, 0, 5), SalesbricksData::default()).await;
        let refused = rig
            .connect(IntegrationKind::Stripe, "sk_test_wrong_key_9999")
            .await
            .unwrap_err();
        let message = refused.field("credential").expect("a field error");
        assert!(
            message.contains("Stripe refused the credentials (401): Invalid API Key provided"),
            "{message}"
        );
        assert!(
            rig.db.store.integration(rig.ws, "stripe").await.unwrap().is_none(),
            "nothing stored"
        );
        let unreachable = rig
            .data
            .connect_integration_in(
                rig.ws,
                IntegrationKind::Salesbricks,
                IntegrationSetup {
                    credential: SALESBRICKS_TOKEN.into(),
                    base_url: "http://127.0.0.1:9".into(),
                    schedule_minutes: 15,
                    webhook_secret: String::new(),
                    target: String::new(),
                },
            )
            .await
            .unwrap_err();
        assert!(
            unreachable.to_string().contains("cannot reach Salesbricks"),
            "{unreachable}"
        );

        let said = rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        assert_eq!(said, "Stripe accepted the key.");
        let row = rig.db.store.integration(rig.ws, "stripe").await.unwrap().unwrap();
        let sealed = row.sealed.unwrap();
        assert!(
            !String::from_utf8_lossy(&sealed).contains("fake_success"),
            "no plaintext at rest"
        );
        let view = rig
            .db
            .store
            .settings(&rig.db.store.workspace_info(rig.ws).await.unwrap())
            .await
            .unwrap();
        let stripe = view
            .integrations
            .iter()
            .find(|i| i.kind == IntegrationKind::Stripe)
            .unwrap();
        assert!(stripe.connected);
        assert_eq!(stripe.credential_mask.as_deref(), Some("sk_••••cess"));
        assert!(
            !serde_json::to_string(&view).unwrap().contains(STRIPE_KEY),
            "the key never leaves the server"
        );
        assert!(rig
            .data
            .test_integration_in(rig.ws, IntegrationKind::Stripe)
            .await
            .is_ok());
        rig.data
            .disconnect_integration_in(rig.ws, IntegrationKind::Stripe)
            .await
            .unwrap();
        assert!(rig.db.store.integration(rig.ws, "stripe").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_contract_billed_through_stripe_counts_once() {
    for db in TestDb::both().await {
        let stripe = StripeData::generate(30, 1, 0, 6);
        let salesbricks = SalesbricksData::generate(30, 6);
        let rig = rig(db, stripe.clone(), salesbricks.clone()).await;
        rig.connect(IntegrationKind::Salesbricks, SALESBRICKS_TOKEN)
            .await
            .unwrap();
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        let sb = rig.data.sync_now(rig.ws, IntegrationKind::Salesbricks).await.unwrap();
        assert_eq!(sb.error, None);
        let st = rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        assert_eq!(st.error, None);
        // Company 0 is a Salesbricks customer that names Stripe customer cus_0000000: one account.
        let accounts = rig
            .count(
                "SELECT CAST(COUNT(DISTINCT account_id) AS BIGINT) FROM account_external_ids WHERE workspace_id = $1 \
                 AND external_id IN ('sbc_000000', 'cus_0000000')",
            )
            .await;
        assert_eq!(accounts, 1, "matched by the explicit Stripe id");
        // Each account's ARR is the sum of what counts: Stripe where a counted subscription bills
        // the contract, else the contract.
        let rows = sqlx::query(
            "SELECT a.arr_minor, \
               (SELECT CAST(COALESCE(SUM(r.mrr_minor), 0) * 12 AS BIGINT) FROM revenue_sources r WHERE r.account_id = a.id AND r.counted \
                  AND r.status IN ('active', 'past_due', 'unpaid')) AS expected, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM revenue_sources r WHERE r.account_id = a.id AND r.counted \
                  AND r.status IN ('active', 'past_due', 'unpaid')) AS counted_sources \
             FROM accounts a WHERE a.workspace_id = $1",
        )
        .bind(rig.ws)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap();
        for r in &rows {
            assert_eq!(
                r.try_get::<i64, _>("arr_minor").unwrap(),
                r.try_get::<i64, _>("expected").unwrap()
            );
            assert!(
                r.try_get::<i64, _>("counted_sources").unwrap() <= 1,
                "never both sources of one company"
            );
        }
        let doubled = rig
            .count(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM revenue_sources sb JOIN revenue_sources st ON st.stripe_customer_id = sb.stripe_customer_id \
                 AND st.source = 'stripe' AND st.counted WHERE sb.workspace_id = $1 AND sb.source = 'salesbricks' AND sb.counted",
            )
            .await;
        assert_eq!(doubled, 0);
        let shown_not_summed = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM revenue_sources WHERE workspace_id = $1 AND source = 'salesbricks' AND NOT counted")
            .await;
        assert!(shown_not_summed > 0, "some contracts are billed through Stripe");
    }
}

fn stripe_signature(body: &str, secret: &str, t: i64) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn stripe_webhooks_are_verified_deduplicated_and_applied() {
    for db in TestDb::both().await {
        let stripe = StripeData::generate(3, 1, 0, 8);
        let rig = rig(db, stripe.clone(), SalesbricksData::default()).await;
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        let mut sub = stripe
            .subscriptions
            .iter()
            .find(|s| s["status"] == "active")
            .unwrap()
            .clone();
        sub["status"] = serde_json::json!("past_due");
        let id = sub["id"].as_str().unwrap().to_string();
        let body = serde_json::json!({"id": "evt_1", "type": "customer.subscription.updated", "created": 1,
            "api_version": "2025-03-31", "data": {"object": sub}})
        .to_string();
        let now = chrono::Utc::now().timestamp();
        let status_of = |rig: &Rig| {
            let pool = rig.db.store.pool().clone();
            let ws = rig.ws;
            let id = id.clone();
            async move {
                sqlx::query("SELECT status FROM revenue_sources WHERE workspace_id = $1 AND external_id = $2")
                    .bind(ws)
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .try_get::<String, _>("status")
                    .unwrap()
            }
        };
        let forged = rig
            .data
            .stripe_webhook(
                rig.ws,
                Some(&stripe_signature(&body, "whsec_other", now)),
                body.as_bytes(),
            )
            .await;
        assert_eq!(forged.0.as_u16(), 400);
        let stale = rig
            .data
            .stripe_webhook(
                rig.ws,
                Some(&stripe_signature(&body, "whsec_test", now - 600)),
                body.as_bytes(),
            )
            .await;
        assert_eq!(stale.0.as_u16(), 400);
        assert_eq!(status_of(&rig).await, "active", "nothing stored from a bad signature");
        let ok = rig
            .data
            .stripe_webhook(
                rig.ws,
                Some(&stripe_signature(&body, "whsec_test", now)),
                body.as_bytes(),
            )
            .await;
        assert_eq!(ok, (axum::http::StatusCode::OK, "received".to_string()));
        for _ in 0..200 {
            if status_of(&rig).await == "past_due" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(status_of(&rig).await, "past_due");
        let again = rig
            .data
            .stripe_webhook(
                rig.ws,
                Some(&stripe_signature(&body, "whsec_test", now)),
                body.as_bytes(),
            )
            .await;
        assert_eq!(again.1, "already received");
    }
}

#[tokio::test]
async fn hubspot_enriches_the_accounts_billing_brought_and_creates_none() {
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::generate(40, 1, 0, 9), SalesbricksData::default()).await;
        *rig.fake.hubspot.lock().unwrap() = server::fakes::hubspot::HubspotData::generate(40, 15, 9);
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        let accounts = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE workspace_id = $1")
            .await;

        let refused = rig.connect(IntegrationKind::Hubspot, "pat-wrong").await.unwrap_err();
        assert!(
            refused
                .field("credential")
                .unwrap()
                .contains("HubSpot refused the credentials (401): Authentication credentials not found"),
            "{refused}"
        );
        rig.connect(IntegrationKind::Hubspot, server::fakes::HUBSPOT_TOKEN)
            .await
            .unwrap();
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Hubspot).await.unwrap();
        assert_eq!(outcome.error, None);
        let after = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE workspace_id = $1")
            .await;
        assert_eq!(after, accounts, "{}: prospects never become accounts", rig.db.name);
        // 15 prospects, 1 malformed company, 2 whose billing email is free mail (no domain to match).
        assert_eq!((outcome.progress.fetched, outcome.progress.skipped), (55, 18));
        let errors = rig.run_records(outcome.run_id).await;
        assert!(errors
            .iter()
            .any(|(_, why)| why.starts_with("no account has its domain: prospect40.example")));
        assert!(errors
            .iter()
            .any(|(_, why)| why.contains("employees that is not a number")));

        let row = sqlx::query(
            "SELECT a.industry, a.employees, a.country, a.custom_fields FROM accounts a \
             JOIN account_external_ids x ON x.account_id = a.id AND x.source = 'stripe' AND x.external_id = 'cus_0000005' \
             WHERE a.workspace_id = $1",
        )
        .bind(rig.ws)
        .fetch_one(rig.db.store.pool())
        .await
        .unwrap();
        assert_eq!(row.try_get::<String, _>("industry").unwrap(), "Financial services");
        assert_eq!(row.try_get::<String, _>("country").unwrap(), "United States");
        assert!(row.try_get::<i64, _>("employees").unwrap() >= 10);
        let custom: Vec<(String, String)> =
            serde_json::from_str(&row.try_get::<String, _>("custom_fields").unwrap()).unwrap();
        assert_eq!(
            custom,
            vec![
                ("Customer tier".to_string(), "Bronze".to_string()),
                ("CSM region".to_string(), "East".to_string()),
                ("Modules".to_string(), "Reporting".to_string()),
            ],
            "dropdowns show their options' labels"
        );
    }
}

#[tokio::test]
async fn posthog_usage_lands_on_the_accounts_its_groups_match() {
    use server::fakes::posthog::{PosthogData, PROJECT};
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::generate(40, 1, 0, 9), SalesbricksData::default()).await;
        let fake = PosthogData::generate(40, 400, 9); // enough rows for several HogQL pages
        *rig.fake.posthog.lock().unwrap() = fake.clone();
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();

        let wrong = rig
            .connect_to(IntegrationKind::Posthog, server::fakes::POSTHOG_KEY, "999")
            .await
            .unwrap_err();
        assert!(
            wrong.to_string().contains("PostHog answered 404: Not found."),
            "{wrong}"
        );
        rig.connect_to(IntegrationKind::Posthog, server::fakes::POSTHOG_KEY, PROJECT)
            .await
            .unwrap();
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Posthog).await.unwrap();
        assert_eq!(outcome.error, None);

        // Groups link by domain, by a billing email's domain, or by a Stripe customer id. Customers
        // 0, 17 and 34 pay from free mail, so nothing names their domain; free-tier groups are
        // nobody's account; org_bad has seats PostHog cannot count.
        let linked: Vec<String> = sqlx::query(
            "SELECT external_id FROM account_external_ids WHERE workspace_id = $1 AND source = 'posthog' ORDER BY external_id",
        )
        .bind(rig.ws)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("external_id").unwrap())
        .collect();
        let expected: Vec<String> = {
            let mut v: Vec<String> = (0..40)
                .filter(|i| ![0, 17, 34].contains(i))
                .map(|i| format!("org_{i}"))
                .collect();
            v.sort();
            v
        };
        assert_eq!(linked, expected, "{}", rig.db.name);
        let unmatched = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM unmatched_companies WHERE workspace_id = $1 AND source = 'posthog'")
            .await;
        assert_eq!(unmatched, 403);
        // (Settings lists a run's first 100 problems; this one comes after the unmatched groups.)
        let bad_seats = sqlx::query("SELECT message FROM sync_run_errors WHERE run_id = $1 AND record = 'org_bad'")
            .bind(outcome.run_id)
            .fetch_one(rig.db.store.pool())
            .await
            .unwrap()
            .try_get::<String, _>("message")
            .unwrap();
        assert!(bad_seats.contains("seats that are not a whole number"), "{bad_seats}");

        // Every linked group's weeks are stored exactly: active users, seats, and features without
        // PostHog's own $ events.
        let since =
            chrono::NaiveDate::parse_from_str(&server::connectors::posthog::first_week(chrono::Utc::now()), "%Y-%m-%d")
                .unwrap();
        let rows = sqlx::query(
            "SELECT x.external_id, u.week_start, u.active_users, u.licensed_seats, u.feature_adoption \
             FROM usage_weeks u JOIN account_external_ids x ON x.account_id = u.account_id AND x.source = 'posthog' \
             WHERE u.workspace_id = $1 ORDER BY x.external_id, u.week_start",
        )
        .bind(rig.ws)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap();
        let stored: Vec<(String, String, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get("external_id").unwrap(),
                    r.try_get("week_start").unwrap(),
                    r.try_get("active_users").unwrap(),
                )
            })
            .collect();
        let want: Vec<(String, String, i64)> = fake
            .active_users(since)
            .into_iter()
            .filter(|(g, _, _)| linked.contains(g))
            .map(|(g, w, n)| (g, w.format("%Y-%m-%d").to_string(), n))
            .collect();
        assert_eq!(stored, want, "{}", rig.db.name);
        let features = fake.feature_users(since, true);
        for r in &rows {
            let group: String = r.try_get("external_id").unwrap();
            let week: String = r.try_get("week_start").unwrap();
            let n: usize = group[4..].parse().unwrap();
            assert_eq!(r.try_get::<i64, _>("licensed_seats").unwrap(), 5 + (n % 30) as i64);
            let adoption: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&r.try_get::<String, _>("feature_adoption").unwrap()).unwrap();
            let want: serde_json::Map<String, serde_json::Value> = features
                .iter()
                .filter(|(g, w, _, _)| *g == group && w.format("%Y-%m-%d").to_string() == week)
                .map(|(_, _, e, n)| (e.clone(), (*n).into()))
                .collect();
            assert_eq!(adoption, want, "{group} {week}");
            assert!(!adoption.keys().any(|k| k.starts_with('$')));
        }

        // A second sync changes nothing and duplicates nothing.
        let before = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM usage_weeks WHERE workspace_id = $1")
            .await;
        let again = rig.data.sync_now(rig.ws, IntegrationKind::Posthog).await.unwrap();
        assert_eq!(again.error, None);
        let after = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM usage_weeks WHERE workspace_id = $1")
            .await;
        assert_eq!(before, after);
    }
}

#[tokio::test]
async fn github_releases_follow_the_link_header_and_skip_drafts() {
    use server::fakes::releases::ReleasesData;
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::default(), SalesbricksData::default()).await;
        let fake = ReleasesData::generate(230); // three pages of 100
        *rig.fake.releases.lock().unwrap() = fake.clone();

        let private = rig
            .connect_to(
                IntegrationKind::GithubReleases,
                "",
                "piedpiper/middle-out, piedpiper/nucleus",
            )
            .await
            .unwrap_err();
        assert!(
            private
                .field("target")
                .unwrap()
                .contains("piedpiper/nucleus was not found"),
            "{private}"
        );
        let bad_token = rig
            .connect_to(IntegrationKind::GithubReleases, "ghp_wrong", "piedpiper/middle-out")
            .await
            .unwrap_err();
        assert!(
            bad_token.field("credential").unwrap().contains("Bad credentials"),
            "{bad_token}"
        );
        rig.connect_to(
            IntegrationKind::GithubReleases,
            server::fakes::GITHUB_TOKEN,
            "piedpiper/middle-out\npiedpiper/nucleus",
        )
        .await
        .unwrap();
        // GitHub's secondary rate limit (403 with retry-after, quota left) is waited out. One a second:
        // on a loaded machine the sync's requests may come slower than two a second.
        rig.fake.faults.lock().unwrap().per_second = Some(1);
        let outcome = rig
            .data
            .sync_now(rig.ws, IntegrationKind::GithubReleases)
            .await
            .unwrap();
        assert_eq!(outcome.error, None);
        assert!(
            rig.fake.throttled.load(std::sync::atomic::Ordering::Relaxed) > 0,
            "the secondary limit never answered"
        );
        rig.fake.faults.lock().unwrap().per_second = None;
        let stored = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM releases WHERE workspace_id = $1 AND source = 'github'")
            .await;
        let want = fake.shipped("piedpiper/middle-out") + fake.shipped("piedpiper/nucleus");
        assert_eq!(stored as usize, want, "{}", rig.db.name);
        let errors = rig.run_records(outcome.run_id).await;
        assert!(errors
            .iter()
            .any(|(id, why)| id == "piedpiper/middle-out#1002" && why.contains("published_at")));
        // A second sync updates in place.
        rig.data
            .sync_now(rig.ws, IntegrationKind::GithubReleases)
            .await
            .unwrap();
        let again = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM releases WHERE workspace_id = $1")
            .await;
        assert_eq!(again, stored);
    }
}

#[tokio::test]
async fn feeds_and_changelogs_become_releases_and_a_bad_url_is_named() {
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::default(), SalesbricksData::default()).await;
        let urls = ["releases.xml", "atom.xml", "CHANGELOG.md"]
            .map(|f| format!("{}/feeds/{f}", rig.url))
            .join("\n");
        let refused = rig
            .connect_to(IntegrationKind::Feeds, "", &format!("{}/feeds/not-a-feed", rig.url))
            .await
            .unwrap_err();
        assert!(refused.field("target").unwrap().contains("neither an RSS"), "{refused}");
        rig.connect_to(IntegrationKind::Feeds, "", &urls).await.unwrap();
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Feeds).await.unwrap();
        assert_eq!(outcome.error, None);
        let titles: Vec<(String, String, String)> = sqlx::query(
            "SELECT source, title, published_on FROM releases WHERE workspace_id = $1 ORDER BY published_on DESC",
        )
        .bind(rig.ws)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("source").unwrap(),
                r.try_get("title").unwrap(),
                r.try_get("published_on").unwrap(),
            )
        })
        .collect();
        let expect = |s: &str, t: &str, d: &str| (s.to_string(), t.to_string(), d.to_string());
        assert_eq!(
            titles,
            vec![
                expect("rss", "SSO for every plan", "2026-11-19"),
                expect("changelog", "3.2.0", "2026-11-18"),
                expect("rss", "Middle-out compression for video", "2026-11-17"),
                expect("rss", "Bulk export", "2026-11-02"),
                expect("changelog", "3.1.0", "2026-10-30"),
            ],
            "{}",
            rig.db.name
        );
        assert_eq!(outcome.progress.skipped, 1, "the RSS item without a date");
    }
}

#[tokio::test]
async fn attio_deals_land_on_their_companys_account_and_local_moves_hold() {
    use server::fakes::attio::AttioData;
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::generate(30, 1, 0, 9), SalesbricksData::default()).await;
        *rig.fake.attio.lock().unwrap() = AttioData::generate(30, 600); // two pages of companies
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        let refused = rig.connect(IntegrationKind::Attio, "nope").await.unwrap_err();
        assert!(
            refused
                .field("credential")
                .unwrap()
                .contains("Attio refused the credentials (401)"),
            "{refused}"
        );
        rig.connect(IntegrationKind::Attio, server::fakes::ATTIO_TOKEN)
            .await
            .unwrap();
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Attio).await.unwrap();
        assert_eq!(outcome.error, None);
        let deal_errors: Vec<String> = sqlx::query(
            "SELECT record, message FROM sync_run_errors WHERE run_id = $1 AND record LIKE 'deal-%' ORDER BY record",
        )
        .bind(outcome.run_id)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.try_get::<String, _>("record").unwrap(),
                r.try_get::<String, _>("message").unwrap()
            )
        })
        .collect();
        assert_eq!(
            deal_errors.len(),
            4 + 600,
            "{:?} {:?}",
            &deal_errors[..4.min(deal_errors.len())],
            outcome.progress
        );
        // Deals of companies 0..30 whose account has the domain (0 and 17 pay from free mail), less
        // deal 5 (its amount is not a number) and deal 7 (no company).
        let deals = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1 AND source = 'attio'")
            .await;
        assert_eq!(deals, 30 - 2 - 2, "{}", rig.db.name);
        let row = sqlx::query(
            "SELECT d.stage, d.amount_minor, d.closed_lost_reason, d.lost_on, a.domain FROM deals d \
             JOIN accounts a ON a.id = d.account_id WHERE d.workspace_id = $1 AND d.external_id = 'deal-0004'",
        )
        .bind(rig.ws)
        .fetch_one(rig.db.store.pool())
        .await
        .unwrap();
        assert_eq!(row.try_get::<String, _>("stage").unwrap(), "closed_lost");
        assert_eq!(row.try_get::<i64, _>("amount_minor").unwrap(), 200_000);
        assert_eq!(
            row.try_get::<String, _>("closed_lost_reason").unwrap(),
            "Went with a competitor"
        );
        assert!(row.try_get::<Option<String>, _>("lost_on").unwrap().is_some());
        assert_eq!(row.try_get::<String, _>("domain").unwrap(), "company4.example");

        // A CSM moves deal 1 in Success; a sync keeps it there until Attio's own stage changes.
        let deal_id = |ext: &'static str| {
            let rig = &rig;
            async move {
                sqlx::query("SELECT id, version, stage FROM deals WHERE workspace_id = $1 AND external_id = $2")
                    .bind(rig.ws)
                    .bind(ext)
                    .fetch_one(rig.db.store.pool())
                    .await
                    .unwrap()
            }
        };
        let d = deal_id("deal-0001").await;
        let (id, version): (i64, i64) = (d.try_get("id").unwrap(), d.try_get("version").unwrap());
        rig.db
            .store
            .move_deal(
                rig.ws,
                id,
                "awaiting_countersign",
                version,
                None,
                "Gavin",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Attio).await.unwrap();
        assert_eq!(
            deal_id("deal-0001").await.try_get::<String, _>("stage").unwrap(),
            "awaiting_countersign"
        );
        rig.fake.attio.lock().unwrap().set_stage(1, "Won 🎉");
        rig.data.sync_now(rig.ws, IntegrationKind::Attio).await.unwrap();
        assert_eq!(
            deal_id("deal-0001").await.try_get::<String, _>("stage").unwrap(),
            "closed_won"
        );
        let again = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1 AND source = 'attio'")
            .await;
        assert_eq!(again, deals, "syncs update deals in place");

        // Moving an Attio deal in Success writes the stage back under Attio's name for it.
        // Moves a deal in Success as a CSM would; its id and the row answered.
        let move_in_success = |ext: &'static str, stage: &'static str| {
            let rig = &rig;
            async move {
                let d = deal_id(ext).await;
                let (id, version): (i64, i64) = (d.try_get("id").unwrap(), d.try_get("version").unwrap());
                let row = rig
                    .db
                    .store
                    .move_deal(rig.ws, id, stage, version, None, "Gavin", chrono::Utc::now())
                    .await
                    .unwrap();
                (id, row)
            }
        };
        let writeback_error = |id: i64| {
            let pool = rig.db.store.pool().clone();
            async move {
                sqlx::query("SELECT writeback_error FROM deals WHERE id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .try_get::<Option<String>, _>(0)
                    .unwrap()
            }
        };
        let (id, moved) = move_in_success("deal-0002", "discovery").await;
        assert_eq!(
            moved.writeback_error.as_deref(),
            Some("Sending to Attio…"),
            "shown until Attio answers"
        );
        rig.data.write_back(rig.ws, moved).await;
        let attio_stage = |i: usize| {
            rig.fake.attio.lock().unwrap().deals[i]
                .pointer("/values/stage/0/status/title")
                .and_then(serde_json::Value::as_str)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            attio_stage(2),
            "In Progress",
            "{}: Attio's title for the first open stage",
            rig.db.name
        );
        let row = deal_id("deal-0002").await;
        assert_eq!(row.try_get::<String, _>("stage").unwrap(), "discovery");
        rig.data.sync_now(rig.ws, IntegrationKind::Attio).await.unwrap();
        assert_eq!(
            deal_id("deal-0002").await.try_get::<String, _>("stage").unwrap(),
            "discovery",
            "the next sync reads back what was written and keeps it"
        );
        assert_eq!(writeback_error(id).await, None);

        // A stage Attio has no status for: the move stays in Success and says why.
        let (id, moved) = move_in_success("deal-0003", "evaluation").await;
        rig.data.write_back(rig.ws, moved).await;
        let error = writeback_error(id).await.expect("the refusal is kept on the deal");
        assert!(
            error.contains("Attio did not take the move")
                && error.contains("Cannot find Status with title \"Evaluation\""),
            "{error}"
        );
        assert_eq!(rig.fake.attio.lock().unwrap().writes, 1, "only the accepted write");
        assert_eq!(
            deal_id("deal-0003").await.try_get::<String, _>("stage").unwrap(),
            "evaluation"
        );
    }
}

/// A workspace with Salesbricks connected to a fake holding `contracts`, synced once without error.
async fn synced_salesbricks(db: TestDb, contracts: SalesbricksData) -> Rig {
    let rig = rig(db, StripeData::default(), contracts).await;
    rig.connect(IntegrationKind::Salesbricks, SALESBRICKS_TOKEN)
        .await
        .unwrap();
    let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Salesbricks).await.unwrap();
    assert_eq!(outcome.error, None);
    rig
}

#[tokio::test]
async fn salesbricks_orders_in_flight_become_pipeline_deals_and_no_revenue() {
    for db in TestDb::both().await {
        let mut contracts = SalesbricksData::generate(12, 4);
        contracts.set_stage(1, "OPEN", "2030-01-01T00:00:00Z", serde_json::json!({}));
        contracts.set_stage(2, "AWAITING_COUNTERSIGN", "2030-01-01T00:00:00Z", serde_json::json!({}));
        contracts.set_stage(
            4,
            "CLOSED_LOST",
            "2026-09-01T00:00:00Z",
            serde_json::json!({"closed_lost_reason": "Chose a competitor"}),
        );
        contracts.set_stage(5, "CLOSED_DELETE", "2026-09-01T00:00:00Z", serde_json::json!({}));
        let rig = synced_salesbricks(db, contracts).await;
        let deals: Vec<(String, String, Option<String>)> = sqlx::query(
            "SELECT external_id, stage, closed_lost_reason FROM deals WHERE workspace_id = $1 AND source = 'salesbricks' ORDER BY external_id",
        )
        .bind(rig.ws)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("external_id").unwrap(), r.try_get("stage").unwrap(), r.try_get("closed_lost_reason").unwrap()))
        .collect();
        let d = |id: &str, stage: &str, reason: Option<&str>| {
            (id.to_string(), stage.to_string(), reason.map(str::to_string))
        };
        assert_eq!(
            deals,
            vec![
                d("sbs_000001", "proposal", None),
                d("sbs_000002", "awaiting_countersign", None),
                d("sbs_000004", "closed_lost", Some("Chose a competitor")),
            ],
            "{}",
            rig.db.name
        );
        let unsigned = rig
            .count("SELECT CAST(SUM(mrr_minor) AS BIGINT) FROM revenue_sources WHERE workspace_id = $1 AND external_id IN ('sbs_000001', 'sbs_000002', 'sbs_000004', 'sbs_000005')")
            .await;
        assert_eq!(unsigned, 0, "orders not signed are no revenue");
        // Again: the same deals, updated in place.
        rig.data.sync_now(rig.ws, IntegrationKind::Salesbricks).await.unwrap();
        let again = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1 AND source = 'salesbricks'")
            .await;
        assert_eq!(again, 3);
    }
}

#[tokio::test]
async fn salesbricks_trial_orders_become_trials_and_a_running_one_is_in_convert() {
    for db in TestDb::both().await {
        let mut contracts = SalesbricksData::generate(12, 4);
        let today = chrono::Utc::now().date_naive();
        let day = |d: chrono::NaiveDate| format!("{}T00:00:00Z", d.format("%Y-%m-%d"));
        contracts.start_trial(
            1,
            &day(today - chrono::Duration::days(5)),
            &day(today + chrono::Duration::days(9)),
        );
        let rig = synced_salesbricks(db, contracts).await;
        let trials: Vec<(String, Option<String>, i64)> = sqlx::query(
            "SELECT external_id, outcome, potential_minor FROM trials WHERE workspace_id = $1 AND source = 'salesbricks' ORDER BY external_id",
        )
        .bind(rig.ws)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("external_id").unwrap(), r.try_get("outcome").unwrap(), r.try_get("potential_minor").unwrap()))
        .collect();
        let ids: Vec<(&str, Option<&str>)> = trials.iter().map(|(id, o, _)| (id.as_str(), o.as_deref())).collect();
        // Customers 0, 4 and 8 began with a trial that converted; customer 1's is running.
        assert_eq!(
            ids,
            vec![
                ("sbs_000000", Some("converted")),
                ("sbs_000001", None),
                ("sbs_000004", Some("converted")),
                ("sbs_000008", Some("converted")),
            ]
        );
        assert!(
            trials.iter().all(|t| t.2 > 0),
            "each trial carries its contract's ARR: {trials:?}"
        );
        // A subscription still in trial is no revenue yet.
        let counted = rig
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM revenue_sources WHERE workspace_id = $1 AND external_id = 'sbs_000001' AND counted AND mrr_minor > 0")
            .await;
        assert_eq!(counted, 0);
        // The running trial is on the Convert page, with its days left.
        let ws = rig.db.store.workspace_info(rig.ws).await.unwrap();
        let convert = rig
            .db
            .store
            .convert_queue(&ws, &app::model::ListQuery::default(), today)
            .await
            .unwrap();
        let row = convert
            .candidates
            .rows
            .iter()
            .find(|t| t.account_name == "Company 1")
            .expect("the running Salesbricks trial is in Convert");
        assert_eq!(row.trial.as_ref().map(|t| t.days_left), Some(9));
        assert_eq!(
            row.lifecycle,
            app::model::Lifecycle::Trial,
            "a customer only in trial is a trial"
        );
        let paying = rig
            .count(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM accounts a JOIN account_external_ids x ON x.account_id = a.id \
                 WHERE a.workspace_id = $1 AND x.external_id = 'sbc_000000' AND a.lifecycle = 'customer'",
            )
            .await;
        assert_eq!(paying, 1, "a converted trial is a customer");
    }
}
