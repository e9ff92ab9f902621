//! Store behaviour on both backends: migrations, the demo load, every page query, scoping.

mod common;

use app::model::*;
use common::{today, TestDb};
use server::demo::{generate, DemoSpec};
use server::store::{Store, StoreError};

async fn load_preview(store: &Store) -> WorkspaceInfo {
    let data = generate(&DemoSpec::preview(today()));
    let id = store.load_dataset(&data, &|_| {}).await.expect("load demo");
    store.workspace_info(id).await.unwrap()
}

/// The "no connected integrations" banner is for an empty workspace; one holding the sample data
/// (or an import) is told nothing.
#[tokio::test]
async fn a_workspace_says_whether_it_holds_accounts() {
    for db in TestDb::both().await {
        let empty = db
            .store
            .load_dataset(&common::bare_workspace("Empty", format!("empty-{}", db.name)), &|_| {})
            .await
            .unwrap();
        let info = db.store.workspace_info(empty).await.unwrap();
        assert!(!info.holds_accounts && info.connected_integrations == 0, "{}", db.name);
        assert!(load_preview(&db.store).await.holds_accounts, "{}", db.name);
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_refuse_a_newer_schema() {
    for db in TestDb::both().await {
        db.store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: second migrate failed: {e}", db.name));
        // A migration this build does not know, as a newer Success would have left it.
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101000000, 'from the future', TRUE, $1, 1)",
        )
        .bind(vec![0u8; 48])
        .execute(db.store.pool())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        let err = db.store.migrate().await.expect_err("a newer schema must be refused");
        assert!(
            matches!(err, StoreError::NewerSchema(99990101000000)),
            "{}: {err}",
            db.name
        );
        assert!(err.to_string().contains("newer version of Success"));
    }
}

#[tokio::test]
async fn bad_database_urls_get_clear_errors() {
    let err = Store::connect("mysql://localhost/x").await.err().expect("unsupported");
    assert!(err.to_string().contains("DATABASE_URL must start with"), "{err}");
    let err = Store::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .err()
        .expect("unreachable");
    let text = err.to_string();
    assert!(text.contains("cannot open the database"), "{text}");
    assert!(
        text.contains("refused"),
        "the cause should be named, not a pool timeout: {text}"
    );
    assert!(!text.contains("secret"), "password leaked: {text}");
}

#[tokio::test]
async fn the_preview_does_not_count_as_a_real_workspace() {
    for db in TestDb::both().await {
        assert!(!db.store.has_real_workspace().await.unwrap(), "{}", db.name);
        let demo = load_preview(&db.store).await;
        assert!(demo.is_demo);
        assert!(
            !db.store.has_real_workspace().await.unwrap(),
            "{}: setup must still be offered",
            db.name
        );
        assert_eq!(db.store.demo_workspace_id().await.unwrap(), Some(demo.id));

        let mut real = generate(&DemoSpec {
            accounts: 3,
            ..DemoSpec::preview(today())
        });
        real.workspace.is_demo = false;
        real.workspace.slug = "acme".into();
        real.workspace.name = "Acme".into();
        let id = db.store.load_dataset(&real, &|_| {}).await.unwrap();
        assert!(db.store.has_real_workspace().await.unwrap(), "{}", db.name);
        let shown = db.store.workspace_info(id).await.unwrap();
        assert_eq!(shown.name, "Acme", "{}", db.name);
        assert!(!shown.is_demo);
        assert_eq!(shown.connected_integrations, 0);
        assert_eq!(db.store.demo_workspace_id().await.unwrap(), Some(demo.id));
    }
}

#[tokio::test]
async fn health_lists_page_sort_filter_and_search() {
    for db in TestDb::both().await {
        let ws = load_preview(&db.store).await;
        let q = ListQuery::default();
        let first = db.store.health_queue(&ws, &q, today()).await.unwrap();
        assert_eq!(first.rows.len(), PER_PAGE as usize, "{}", db.name);
        assert!(first.total >= 50);
        assert!(
            first.rows.windows(2).all(|w| w[0].arr.minor >= w[1].arr.minor),
            "{}: not by ARR",
            db.name
        );
        assert!(first.rows.iter().all(|a| a.tracked));

        let second = db
            .store
            .health_queue(&ws, &ListQuery { page: 2, ..q.clone() }, today())
            .await
            .unwrap();
        assert!(
            second.rows.iter().all(|a| !first.rows.iter().any(|b| b.id == a.id)),
            "pages overlap"
        );

        let by_name = db
            .store
            .health_queue(
                &ws,
                &ListQuery {
                    sort: "name".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert!(
            by_name.rows.windows(2).all(|w| w[0].name <= w[1].name),
            "{}: not by name",
            db.name
        );

        let hooli = db
            .store
            .health_queue(
                &ws,
                &ListQuery {
                    q: "HOOLI".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert_eq!(hooli.total, 1, "{}", db.name);
        assert_eq!(hooli.rows[0].name, "Hooli");
        assert!(hooli.rows[0].arr.minor > 0);
        assert!(
            hooli.rows[0].payment_state.is_problem(),
            "Hooli's story is a payment problem"
        );

        // LIKE wildcards in the search text are literal.
        let none = db
            .store
            .health_queue(
                &ws,
                &ListQuery {
                    q: "%".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0, "{}", db.name);

        let problems = db
            .store
            .health_queue(
                &ws,
                &ListQuery {
                    payment: "problem".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert!(problems.total > 0 && problems.rows.iter().all(|a| a.payment_state.is_problem()));

        let renewing = db
            .store
            .health_queue(
                &ws,
                &ListQuery {
                    renewal: "90".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert!(renewing.total >= 5, "{}: {} renewing", db.name, renewing.total);
        assert!(renewing
            .rows
            .iter()
            .all(|a| a.renewal_date.is_some_and(|d| (d - today()).num_days() <= 90)));

        let untracked = db
            .store
            .health_queue(
                &ws,
                &ListQuery {
                    filter: "untracked".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert!(untracked.rows.iter().all(|a| !a.tracked));

        let too_long = ListQuery {
            q: "x".repeat(500),
            ..q.clone()
        };
        assert!(matches!(
            db.store.health_queue(&ws, &too_long, today()).await,
            Err(StoreError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn health_summary_adds_up_to_the_queue() {
    for db in TestDb::both().await {
        let ws = load_preview(&db.store).await;
        let s = db.store.health_summary(&ws, today()).await.unwrap();
        let all = db
            .store
            .health_queue(
                &ws,
                &ListQuery {
                    page: 1,
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap();
        assert_eq!(s.accounts, all.total, "{}", db.name);
        let mut arr = 0;
        let mut page_no = 1;
        loop {
            let p = db
                .store
                .health_queue(
                    &ws,
                    &ListQuery {
                        page: page_no,
                        ..Default::default()
                    },
                    today(),
                )
                .await
                .unwrap();
            arr += p.rows.iter().map(|a| a.arr.minor).sum::<i64>();
            if page_no >= p.page_count() {
                break;
            }
            page_no += 1;
        }
        assert_eq!(s.total_arr.minor, arr, "{}: total ARR differs from the rows", db.name);
        assert!(s.renewals_30 <= s.renewals_60 && s.renewals_60 <= s.renewals_90);
        assert!(
            s.renewals_90 > s.renewals_30,
            "{}: the 30–90 day window is empty",
            db.name
        );
        assert_eq!(s.renewal_months.len(), 12);
        assert!(s.renewal_months.iter().map(|(_, m)| m.minor).sum::<i64>() > 0);
        assert!(s.payment_problems >= 1);
    }
}

#[tokio::test]
async fn account_detail_brings_everything_and_stays_in_its_workspace() {
    for db in TestDb::both().await {
        let ws = load_preview(&db.store).await;
        let hooli = db
            .store
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
            .rows[0]
            .clone();
        let d = db.store.account_detail(&ws, hooli.id, today()).await.unwrap();
        assert_eq!(d.account.name, "Hooli");
        assert_eq!(d.usage.len(), 26, "{}", db.name);
        assert!(d.usage.windows(2).all(|w| w[0].week_start < w[1].week_start));
        assert!(!d.revenue_sources.is_empty() && !d.invoices.is_empty() && !d.contacts.is_empty());
        assert!(d.usage[0].feature_adoption.iter().any(|(f, _)| f == "compression"));

        // Another workspace cannot read it.
        let mut other = generate(&DemoSpec {
            accounts: 2,
            ..DemoSpec::preview(today())
        });
        other.workspace.is_demo = false;
        other.workspace.slug = "other".into();
        let other_id = db.store.load_dataset(&other, &|_| {}).await.unwrap();
        let other_ws = db.store.workspace_info(other_id).await.unwrap();
        assert_ne!(other_ws.id, ws.id);
        assert!(
            matches!(
                db.store.account_detail(&other_ws, hooli.id, today()).await,
                Err(StoreError::NotFound(_))
            ),
            "{}",
            db.name
        );
        let theirs = db
            .store
            .health_queue(&other_ws, &ListQuery::default(), today())
            .await
            .unwrap();
        assert_eq!(theirs.total, 2, "{}: workspaces leak into each other", db.name);
    }
}

#[tokio::test]
async fn queues_for_convert_contracts_pipeline_reengage_and_close_the_loop() {
    for db in TestDb::both().await {
        let ws = load_preview(&db.store).await;
        let q = ListQuery::default();

        let by_end = ListQuery {
            sort: "ends".into(),
            ..q.clone()
        };
        let trials = db.store.convert_queue(&ws, &by_end, today()).await.unwrap().candidates;
        assert!(trials.total >= 3, "{}", db.name);
        // Trials by end date; prospects without one (if scored yet) after them.
        let ends: Vec<Option<chrono::NaiveDate>> = trials
            .rows
            .iter()
            .map(|t| t.trial.as_ref().map(|t| t.ends_on))
            .collect();
        assert!(ends.windows(2).all(|w| match (w[0], w[1]) {
            (Some(a), Some(b)) => a <= b,
            (Some(_), None) | (None, None) => true,
            (None, Some(_)) => false,
        }));
        assert!(trials
            .rows
            .iter()
            .filter(|t| t.trial.is_some())
            .all(|t| t.lifecycle == Lifecycle::Trial));
        let all_trials = db
            .store
            .convert_queue(
                &ws,
                &ListQuery {
                    filter: "all".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap()
            .candidates;
        assert!(all_trials.total > trials.total, "decided trials are kept for learning");

        let contracts = db.store.contracts(&ws, &q, today()).await.unwrap();
        assert!(contracts
            .rows
            .rows
            .iter()
            .any(|r| r.source == RevenueSourceKind::Salesbricks));
        let stripe = db
            .store
            .contracts(
                &ws,
                &ListQuery {
                    filter: "stripe".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert!(stripe.rows.total > 0 && stripe.rows.rows.iter().all(|r| r.source == RevenueSourceKind::Stripe));
        let soon = db
            .store
            .contracts(
                &ws,
                &ListQuery {
                    renewal: "30".into(),
                    ..q.clone()
                },
                today(),
            )
            .await
            .unwrap();
        assert!(
            soon.rows
                .rows
                .iter()
                .all(|r| r.days_to_renewal.is_some_and(|d| (0..=30).contains(&d))),
            "{}",
            db.name
        );

        let pipeline = db.store.pipeline(&ws, &q).await.unwrap();
        assert_eq!(pipeline.stages.len(), 6);
        assert!(
            pipeline.stages.iter().all(|s| s.deals > 0),
            "{}: an empty stage",
            db.name
        );
        assert_eq!(
            pipeline.stages.iter().map(|s| s.deals).sum::<u64>(),
            pipeline.deals.total
        );
        let lost = db
            .store
            .pipeline(
                &ws,
                &ListQuery {
                    filter: "closed_lost".into(),
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert!(lost
            .deals
            .rows
            .iter()
            .all(|d| d.outcome == StageOutcome::Lost && d.closed_lost_reason.is_some()));
        // An unknown stage filter shows everything rather than nothing.
        let junk = db
            .store
            .pipeline(
                &ws,
                &ListQuery {
                    filter: "'; DROP TABLE deals; --".into(),
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(junk.deals.total, pipeline.deals.total);

        server::likelihood::refresh(&db.store, ws.id, today(), chrono::Utc::now())
            .await
            .unwrap();
        let by_value = ListQuery {
            sort: "value".into(),
            ..q.clone()
        };
        let re = db.store.reengage(&ws, &by_value).await.unwrap();
        assert!(re.rows.total > 0);
        assert_eq!(
            re.lost_total.minor,
            re.by_reason.iter().map(|(_, m)| m.minor).sum::<i64>()
        );
        assert!(re
            .rows
            .rows
            .windows(2)
            .all(|w| w[0].lost_value.minor >= w[1].lost_value.minor));

        let releases = ListQuery {
            view: "releases".into(),
            ..q.clone()
        };
        let ctl = server::close_loop::view(&db.store, &ws, &releases).await.unwrap();
        assert!(ctl.requests.total > 0 && !ctl.releases.is_empty(), "{}", db.name);

        let settings = db.store.settings(&ws).await.unwrap();
        assert_eq!(settings.integrations.len(), IntegrationKind::ALL.len());
        assert!(settings.integrations.iter().all(|i| !i.connected));
        assert_eq!(settings.counts.accounts, 60, "{}", db.name);
        assert!(
            settings.counts.usage_weeks > 1_000,
            "{}: {:?}",
            db.name,
            settings.counts
        );
    }
}

#[tokio::test]
async fn a_failed_load_leaves_nothing_behind() {
    for db in TestDb::both().await {
        let mut data = generate(&DemoSpec {
            accounts: 10,
            ..DemoSpec::preview(today())
        });
        // A deal in a stage that does not exist violates a foreign key halfway through the load.
        data.deals[0].stage = "no_such_stage".into();
        assert!(db.store.load_dataset(&data, &|_| {}).await.is_err(), "{}", db.name);
        assert!(
            db.store.demo_workspace_id().await.unwrap().is_none(),
            "{}: a partial workspace is visible",
            db.name
        );
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM accounts")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "{}", db.name);
        // And the ids it reserved are not burnt: a second load works.
        data.deals[0].stage = "discovery".into();
        db.store.load_dataset(&data, &|_| {}).await.unwrap();
    }
}

#[tokio::test]
async fn the_board_follows_the_stage_order_its_source_and_drop_positions() {
    for db in TestDb::both().await {
        let backend = db.name;
        let ws = load_preview(&db.store).await;
        let q = ListQuery::default();
        let board = db.store.pipeline_board(&ws, &q).await.unwrap();
        let keys: Vec<String> = board.columns.iter().map(|c| c.stage.key.clone()).collect();
        assert_eq!(keys[0], "discovery", "{backend}");
        // Every column counts what it holds (no column here is over the card limit).
        for c in &board.columns {
            assert_eq!(c.hidden(), 0, "{backend}: {}", c.stage.key);
            assert!(
                c.cards.windows(2).all(|w| w[0].position <= w[1].position),
                "{backend}: in order"
            );
        }

        // Reordered: the board follows; a list that is not every stage once is refused.
        let mut order = keys.clone();
        order.swap(0, 1);
        db.store.set_stage_order(ws.id, &order).await.unwrap();
        let board = db.store.pipeline_board(&ws, &q).await.unwrap();
        assert_eq!(board.columns[0].stage.key, order[0], "{backend}");
        let refused = db.store.set_stage_order(ws.id, &order[1..]).await.unwrap_err();
        assert!(matches!(refused, StoreError::Invalid(_)), "{backend}");

        // Attio as the CRM of record: Salesbricks deals leave the board.
        let all: u64 = board.columns.iter().map(|c| c.stage.deals).sum();
        db.store.set_pipeline_source(ws.id, "attio").await.unwrap();
        let ws_attio = db.store.workspace_info(ws.id).await.unwrap();
        let attio = db.store.pipeline_board(&ws_attio, &q).await.unwrap();
        let shown: u64 = attio.columns.iter().map(|c| c.stage.deals).sum();
        assert!(shown < all, "{backend}: {shown} of {all}");
        assert!(attio
            .columns
            .iter()
            .flat_map(|c| &c.cards)
            .all(|d| d.source != DealSource::Salesbricks));
        assert!(
            db.store.set_pipeline_source(ws.id, "hubspot").await.is_err(),
            "{backend}"
        );

        // A drop before a card puts it right there, and both columns' totals follow.
        let open = &board.columns.iter().find(|c| c.stage.key == "proposal").unwrap().cards;
        let card = board
            .columns
            .iter()
            .flat_map(|c| &c.cards)
            .find(|d| d.source != DealSource::Salesbricks && d.stage != "proposal")
            .unwrap()
            .clone();
        let anchor = open[1].id;
        let moved = db
            .store
            .move_deal(
                ws.id,
                card.id,
                "proposal",
                card.version,
                Some(anchor),
                "Gavin",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        // No Attio connection here: an Attio deal's move is Success's alone, nothing to send.
        assert_eq!(moved.writeback_error, None, "{backend}: {:?}", moved.source);
        let after = db.store.pipeline_board(&ws, &q).await.unwrap();
        let proposal = &after.columns.iter().find(|c| c.stage.key == "proposal").unwrap().cards;
        let ids: Vec<i64> = proposal.iter().map(|d| d.id).collect();
        assert_eq!(ids[..3], [open[0].id, card.id, anchor], "{backend}");
        let proposal_total = after
            .columns
            .iter()
            .find(|c| c.stage.key == "proposal")
            .unwrap()
            .stage
            .deals;
        assert_eq!(proposal_total, open.len() as u64 + 1, "{backend}");
    }
}
