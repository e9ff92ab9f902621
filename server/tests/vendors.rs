//! Connectors read what the vendors really send, on both backends: each case is a behaviour of
//! the vendor's API (named beside it) that the fakes in `server::fakes` reproduce.

mod common;

use app::model::IntegrationKind;
use common::rig::rig;
use common::TestDb;
use serde_json::{json, Value};
use server::fakes::salesbricks::SalesbricksData;
use server::fakes::stripe::StripeData;
use server::fakes::STRIPE_KEY;
use sqlx::Row;

const DAY: i64 = 86_400;

/// A Stripe subscription as API 2025-09-30.clover sends it: discounts (its own and each item's)
/// are `di_…` ids unless expanded. `items`: (unit amount, quantity, interval, item discounts).
fn subscription(
    id: &str,
    status: &str,
    start: i64,
    items: &[(i64, i64, &str, Vec<String>)],
    discounts: Vec<String>,
) -> Value {
    let items: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(k, (unit, quantity, interval, discounts))| {
            let len = if *interval == "year" { 365 * DAY } else { 30 * DAY };
            json!({"id": format!("si_{id}_{k}"), "object": "subscription_item", "quantity": quantity,
                "discounts": discounts, "current_period_start": start, "current_period_end": start + len,
                "price": {"id": format!("price_{id}_{k}"), "object": "price", "product": format!("prod_{k}"),
                    "nickname": null, "currency": "usd", "unit_amount": unit,
                    "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"}}})
        })
        .collect();
    json!({"id": id, "object": "subscription", "customer": format!("cus_{id}"), "status": status,
        "cancel_at_period_end": false, "canceled_at": null, "start_date": start, "trial_start": null,
        "trial_end": null, "currency": "usd", "metadata": {}, "latest_invoice": null,
        "discounts": discounts, "items": {"object": "list", "data": items}})
}

fn coupon(id: &str, percent: Option<f64>, amount: Option<i64>, duration: &str) -> Value {
    json!({"id": id, "object": "coupon", "percent_off": percent, "amount_off": amount,
        "currency": amount.map(|_| "usd"), "duration": duration, "duration_in_months": null, "valid": true})
}

/// MRR per subscription, worked out by hand, with subscription- and item-level discounts; and a
/// past-due contract whose open invoice failed three times.
#[tokio::test]
async fn stripe_mrr_counts_every_discount_as_stripe_applies_it() {
    for db in TestDb::both().await {
        let now = chrono::Utc::now().timestamp();
        let start = now - 20 * DAY;
        let mut data = StripeData::default();
        data.coupons = StripeData::standard_coupons();
        data.coupons.push(coupon("HALF", Some(50.0), None, "forever"));
        data.coupons.push(coupon("SIXHUNDRED", None, Some(60_000), "forever"));
        // Prices without a nickname name their product, by id.
        data.products = vec![
            json!({"id": "prod_1", "object": "product", "name": "Add-on", "active": true}),
            json!({"id": "prod_0", "object": "product", "name": "Platform", "active": true}),
        ];
        let add = |data: &mut StripeData, sub: Value| {
            let id = sub["id"].as_str().unwrap().to_string();
            data.customers
                .push(json!({"id": format!("cus_{id}"), "object": "customer",
                "name": format!("Customer {id}"), "email": format!("billing@{id}.example"), "created": start}));
            data.subscriptions.push(sub);
        };
        // A: $250/month, 20 % off for good → $200.
        let d = data.discount("cus_a", "a", None, "TWENTY", start, None);
        add(
            &mut data,
            subscription("a", "active", start, &[(25_000, 1, "month", vec![])], vec![d]),
        );
        // B: 10 seats at $50, $100 off every invoice → $400.
        let d = data.discount("cus_b", "b", None, "HUNDRED", start, None);
        add(
            &mut data,
            subscription("b", "active", start, &[(5_000, 10, "month", vec![])], vec![d]),
        );
        // C: $300 platform and a $100 add-on at 50 % off (the item's own discount) → $350.
        let d = data.discount("cus_c", "c", Some("si_c_1"), "HALF", start, None);
        add(
            &mut data,
            subscription(
                "c",
                "active",
                start,
                &[(30_000, 1, "month", vec![]), (10_000, 1, "month", vec![d])],
                vec![],
            ),
        );
        // D: $2,400 a year with $600 off each (yearly) invoice on the item, and 50 % off for three
        // months that ended yesterday → ($2,400 − $600) / 12 = $150.
        let item = data.discount("cus_d", "d", Some("si_d_0"), "SIXHUNDRED", start, None);
        let ended = data.discount("cus_d", "d", None, "SPRING", start - 90 * DAY, Some(now - DAY));
        add(
            &mut data,
            subscription("d", "active", start, &[(240_000, 1, "year", vec![item])], vec![ended]),
        );
        // E: $99/month with $500 off the first invoice only: no recurring discount → $99.
        let d = data.discount("cus_e", "e", None, "WELCOME", start, None);
        add(
            &mut data,
            subscription("e", "active", start, &[(9_900, 1, "month", vec![])], vec![d]),
        );
        // G: $70/month whose item coupon was deleted since (no longer listed at /v1/coupons):
        // counted at full price, and the run says so.
        let d = data.discount("cus_g", "g", Some("si_g_0"), "RETIRED", start, None);
        add(
            &mut data,
            subscription("g", "active", start, &[(7_000, 1, "month", vec![d])], vec![]),
        );
        // H: €100/month with $10 off, which the coupon offers as €9 in euros (`currency_options`,
        // listed only when expanded) → €91 at 1.08 → $98.28.
        let mut tenoff = coupon("TENOFF", None, Some(1_000), "forever");
        tenoff["currency_options"] = json!({"eur": {"amount_off": 900}});
        data.coupons.push(tenoff);
        let d = data.discount("cus_h", "h", None, "TENOFF", start, None);
        let mut euro = subscription("h", "active", start, &[(10_000, 1, "month", vec![])], vec![d]);
        euro["currency"] = json!("eur");
        euro["items"]["data"][0]["price"]["currency"] = json!("eur");
        add(&mut data, euro);
        // F: past due at $200/month; its open invoice failed three times.
        add(
            &mut data,
            subscription("f", "past_due", start, &[(20_000, 1, "month", vec![])], vec![]),
        );
        data.invoices
            .push(json!({"id": "in_f", "object": "invoice", "customer": "cus_f",
            "parent": {"type": "subscription_details", "quote_details": null,
                "subscription_details": {"metadata": {}, "subscription": "f"}},
            "status": "open", "currency": "usd", "amount_due": 20_000, "amount_paid": 0,
            "amount_remaining": 20_000, "attempt_count": 3, "next_payment_attempt": now + DAY,
            "due_date": start + 14 * DAY, "created": start, "status_transitions": {"paid_at": null},
            "lines": {"object": "list", "data": []}}));
        data.customers.reverse(); // newest first, as Stripe lists
        data.subscriptions.reverse();

        let rig = rig(db, data, SalesbricksData::default()).await;
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.progress.skipped, 0);
        let ledger: Vec<(String, i64)> = sqlx::query(
            "SELECT external_id, mrr_minor FROM revenue_sources WHERE workspace_id = $1 AND source = 'stripe' ORDER BY external_id",
        )
        .bind(rig.ws)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("external_id").unwrap(), r.try_get("mrr_minor").unwrap()))
        .collect();
        let want: Vec<(String, i64)> = [
            ("a", 20_000),
            ("b", 40_000),
            ("c", 35_000),
            ("d", 15_000),
            ("e", 9_900),
            ("f", 20_000),
            ("g", 7_000),
            ("h", 9_828),
        ]
        .iter()
        .map(|(id, mrr)| (id.to_string(), *mrr))
        .collect();
        assert_eq!(ledger, want, "{}", rig.db.name);
        let arr = rig
            .count("SELECT CAST(SUM(arr_minor) AS BIGINT) FROM accounts WHERE workspace_id = $1")
            .await;
        assert_eq!(
            arr,
            12 * (20_000 + 40_000 + 35_000 + 15_000 + 9_900 + 20_000 + 7_000 + 9_828)
        );
        let problems = rig.db.store.sync_run_errors(rig.ws, outcome.run_id).await.unwrap();
        assert_eq!(
            problems.reasons.iter().map(|r| r.line()).collect::<Vec<_>>(),
            vec!["1 subscription repaired: has a discount whose coupon is not listed"],
        );
        let failed = rig
            .count(
                "SELECT CAST(SUM(i.attempt_count) AS BIGINT) FROM invoices i JOIN revenue_sources r ON r.id = i.revenue_source_id \
                 WHERE i.workspace_id = $1 AND r.external_id = 'f' AND i.status = 'open'",
            )
            .await;
        assert_eq!(failed, 3, "the failed invoice counts on its contract");
        let plan: String =
            sqlx::query("SELECT plan FROM revenue_sources WHERE workspace_id = $1 AND external_id = 'c'")
                .bind(rig.ws)
                .fetch_one(rig.db.store.pool())
                .await
                .unwrap()
                .try_get("plan")
                .unwrap();
        assert_eq!(plan, "Platform + Add-on", "plans are named by their products");
    }
}

/// Attio deletes a record outright: a deal deleted there is simply no longer listed, and leaves
/// Pipeline after the next complete sync (once Attio answers 404 for it; a deal listed but
/// skipped stays). A value without its own currency code takes the
/// attribute's; with none configured, the workspace's, and the run says so.
#[tokio::test]
async fn attio_deals_deleted_there_leave_pipeline_and_a_missing_currency_is_repaired() {
    use server::fakes::attio::AttioData;
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::generate(30, 1, 0, 9), SalesbricksData::default()).await;
        *rig.fake.attio.lock().unwrap() = AttioData::generate(30, 0);
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        rig.connect(IntegrationKind::Attio, server::fakes::ATTIO_TOKEN)
            .await
            .unwrap();
        let first = rig.data.sync_now(rig.ws, IntegrationKind::Attio).await.unwrap();
        assert_eq!(first.error, None);
        let deal = |id: &'static str| {
            let rig = &rig;
            async move {
                sqlx::query("SELECT amount_minor, currency FROM deals WHERE workspace_id = $1 AND external_id = $2")
                    .bind(rig.ws)
                    .bind(id)
                    .fetch_optional(rig.db.store.pool())
                    .await
                    .unwrap()
                    .map(|r| {
                        (
                            r.try_get::<i64, _>("amount_minor").unwrap(),
                            r.try_get::<String, _>("currency").unwrap(),
                        )
                    })
            }
        };
        assert_eq!(
            deal("deal-0011").await,
            Some((375_000, "USD".into())),
            "the attribute's currency"
        );
        assert!(deal("deal-0003").await.is_some());

        // Deal 3 is deleted in Attio; no value carries its currency and none is configured on
        // the attribute.
        {
            let mut attio = rig.fake.attio.lock().unwrap();
            attio.deals.retain(|d| d["id"]["record_id"] != "deal-0003");
            attio.value_currency = None;
            for d in attio.deals.iter_mut() {
                d["values"]["value"][0]["currency_code"] = Value::Null;
            }
            // Deal 4 is still in Attio but now malformed: skipped, and not taken for deleted.
            if let Some(d) = attio.deals.iter_mut().find(|d| d["id"]["record_id"] == "deal-0004") {
                d["values"].as_object_mut().unwrap().remove("stage");
            }
        }
        sqlx::query("UPDATE workspaces SET currency = 'EUR' WHERE id = $1")
            .bind(rig.ws)
            .execute(rig.db.store.pool())
            .await
            .unwrap();
        let second = rig.data.sync_now(rig.ws, IntegrationKind::Attio).await.unwrap();
        assert_eq!(second.error, None);
        assert_eq!(
            deal("deal-0003").await,
            None,
            "{}: a deleted deal leaves Pipeline",
            rig.db.name
        );
        assert!(
            deal("deal-0004").await.is_some(),
            "a deal skipped this time is still Attio's"
        );
        assert_eq!(
            deal("deal-0011").await,
            Some((375_000, "EUR".into())),
            "the workspace's currency"
        );
        let repaired: Vec<(String, String)> = sqlx::query(
            "SELECT record, message FROM sync_run_errors WHERE run_id = $1 AND outcome = 'repaired' ORDER BY record",
        )
        .bind(second.run_id)
        .fetch_all(rig.db.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("record").unwrap(), r.try_get("message").unwrap()))
        .collect();
        assert!(
            repaired
                .iter()
                .any(|(record, why)| record == "deal-0011" && why.contains("no currency")),
            "{repaired:?}"
        );
    }
}

/// Salesbricks: an order synced as open that the seller then deletes ("Closed delete") leaves
/// Pipeline; its contract is no revenue.
#[tokio::test]
async fn a_salesbricks_order_deleted_after_it_was_synced_leaves_pipeline() {
    use server::fakes::SALESBRICKS_TOKEN;
    for db in TestDb::both().await {
        let mut contracts = SalesbricksData::generate(6, 4);
        contracts.set_stage(1, "OPEN", "2030-01-01T00:00:00Z", json!({}));
        let rig = rig(db, StripeData::default(), contracts).await;
        rig.connect(IntegrationKind::Salesbricks, SALESBRICKS_TOKEN)
            .await
            .unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Salesbricks).await.unwrap();
        let open = "SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1 AND external_id = 'sbs_000001'";
        assert_eq!(rig.count(open).await, 1);
        rig.fake
            .salesbricks
            .lock()
            .unwrap()
            .set_stage(1, "CLOSED_DELETE", "2030-01-01T00:00:00Z", json!({}));
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Salesbricks).await.unwrap();
        assert_eq!(outcome.error, None);
        assert_eq!(rig.count(open).await, 0, "{}: the deleted order is gone", rig.db.name);
    }
}

/// Feeds as publishers send them: WordPress's HTML titles with numeric entities, Blogger's comment
/// links listed before the post's and its local publishing time, GitHub's `releases.atom`, a relative link, an ISO-8859-1
/// feed whose items have neither guid nor link (stored once however often it syncs), and two
/// releases of one day in the order they shipped.
#[tokio::test]
async fn feeds_read_as_their_publishers_mean_them() {
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::default(), SalesbricksData::default()).await;
        let urls = [
            "wordpress/atom",
            "blogger/default",
            "latin1.rss",
            "piedpiper/middle-out/releases.atom",
        ]
        .map(|f| format!("{}/feeds/{f}", rig.url))
        .join("\n");
        rig.connect_to(IntegrationKind::Feeds, "", &urls).await.unwrap();
        for _ in 0..2 {
            let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Feeds).await.unwrap();
            assert_eq!(outcome.error, None);
            assert_eq!(outcome.progress.skipped, 0);
        }
        let releases = rig.db.store.releases_with_items(rig.ws, 50).await.unwrap();
        let got: Vec<(String, String, Option<String>)> = releases
            .iter()
            .map(|r| (r.title.clone(), r.published_on.to_string(), r.url.clone()))
            .collect();
        let want = |t: &str, d: &str, u: Option<String>| (t.to_string(), d.to_string(), u);
        assert_eq!(
            got,
            vec![
                want(
                    "Faster exports",
                    "2026-11-21",
                    Some("https://endframe.blogspot.test/2026/11/faster-exports.html".into())
                ),
                want("Café mode for reports", "2026-11-18", None),
                want(
                    "Audit trail",
                    "2026-11-18",
                    Some(format!("{}/2026/11/audit-trail.html", rig.url))
                ),
                want("Night shift", "2026-11-18", None),
                want(
                    "We’ve shipped SSO & SCIM",
                    "2026-11-12",
                    Some("https://news.hooli.test/2026/11/12/sso-scim/".into())
                ),
                // GitHub's feed has only `updated`, in Pacific time: still the 10th there.
                want(
                    "v4.2.0 – Weissman score > 5",
                    "2026-11-10",
                    Some("https://github.com/piedpiper/middle-out/releases/tag/v4.2.0".into())
                ),
            ],
            "{}",
            rig.db.name
        );
    }
}

/// A HubSpot portal with hundreds of custom properties: naming them all in the list URL is
/// answered 414, so each page is read through `batch/read`, and every field still arrives.
#[tokio::test]
async fn hubspot_reads_every_custom_property_of_a_large_portal() {
    use server::fakes::hubspot::HubspotData;
    for db in TestDb::both().await {
        let rig = rig(db, StripeData::generate(20, 1, 0, 9), SalesbricksData::default()).await;
        let mut portal = HubspotData::generate(20, 130, 9);
        portal.extra_properties = (0..400)
            .map(|k| {
                (
                    format!("onboarding_checklist_item_{k:03}_completed"),
                    format!("Checklist {k:03}"),
                )
            })
            .collect();
        portal.companies[5]["properties"]["onboarding_checklist_item_399_completed"] = json!("2026-10-02");
        *rig.fake.hubspot.lock().unwrap() = portal;
        rig.connect(IntegrationKind::Stripe, STRIPE_KEY).await.unwrap();
        rig.data.sync_now(rig.ws, IntegrationKind::Stripe).await.unwrap();
        rig.connect(IntegrationKind::Hubspot, server::fakes::HUBSPOT_TOKEN)
            .await
            .unwrap();
        let outcome = rig.data.sync_now(rig.ws, IntegrationKind::Hubspot).await.unwrap();
        assert_eq!(outcome.error, None);
        assert_eq!(
            outcome.progress.fetched, 150,
            "two pages of the list, each read again in a batch"
        );
        let custom: String = sqlx::query(
            "SELECT a.custom_fields FROM accounts a \
             JOIN account_external_ids x ON x.account_id = a.id AND x.source = 'stripe' AND x.external_id = 'cus_0000005' \
             WHERE a.workspace_id = $1",
        )
        .bind(rig.ws)
        .fetch_one(rig.db.store.pool())
        .await
        .unwrap()
        .try_get("custom_fields")
        .unwrap();
        let custom: Vec<(String, String)> = serde_json::from_str(&custom).unwrap();
        assert!(
            custom.contains(&("Customer tier".into(), "Bronze".into())),
            "{custom:?}"
        );
        assert!(
            custom.contains(&("Checklist 399".into(), "2026-10-02".into())),
            "{}: {custom:?}",
            rig.db.name
        );
    }
}
