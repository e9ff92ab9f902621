//! Convert, Contracts and Re-engage on both backends: learned and explained likelihoods on the
//! demo, queues in priority order, the CSM's actions on a loss, and contract totals and filters.

mod common;

use app::likelihood::ModelKind;
use app::model::{ListQuery, WinbackStatus, WorkspaceInfo};
use common::{today, TestDb};
use server::demo::{generate, DemoSpec};
use server::likelihood::refresh;
use server::store::likelihood::WinbackChange;
use server::store::{Store, StoreError};

/// The rescored demo workspace: its id and what the queues take.
async fn demo(store: &Store) -> (i64, WorkspaceInfo) {
    let ws = store
        .load_dataset(&generate(&DemoSpec::preview(today())), &|_| {})
        .await
        .unwrap();
    server::rescore::rescore_workspace(store, ws, today(), chrono::Utc::now())
        .await
        .unwrap();
    (ws, store.workspace_info(ws).await.unwrap())
}

fn q(f: impl FnOnce(&mut ListQuery)) -> ListQuery {
    let mut query = ListQuery::default();
    f(&mut query);
    query
}

#[tokio::test]
async fn the_demo_models_learn_a_real_signal_and_explain_every_queue_row() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let (ws_id, ws) = demo(store).await;
        let now = chrono::Utc::now();
        let first = refresh(store, ws_id, today(), now).await.unwrap();
        assert!(
            first.trials_scored >= 5 && first.losses_scored >= 8,
            "{backend}: {first:?}"
        );

        for (kind, floor) in [(ModelKind::Convert, 0.75), (ModelKind::Reengage, 0.7)] {
            let model = store.model(ws_id, kind).await.unwrap();
            let fit = model
                .fit
                .as_ref()
                .unwrap_or_else(|| panic!("{backend}: {kind:?} not learned"));
            assert!(fit.examples >= 200, "{backend}: {kind:?} {}", fit.examples);
            let auc = fit.auc.expect("a hold-out with both outcomes");
            eprintln!(
                "{backend}: {kind:?} learned from {} cases, hold-out AUC {auc:.3} on {}",
                fit.examples, fit.holdout
            );
            assert!(auc > floor, "{backend}: {kind:?} hold-out AUC {auc:.3}");
        }
        // Nothing changed, nothing is written again.
        let again = refresh(store, ws_id, today(), now).await.unwrap();
        assert_eq!(again.changed, 0, "{backend}: {again:?}");

        // Convert: running trials in priority order, each explained; an engaged trial beats a quiet one.
        let convert = store.convert_queue(&ws, &ListQuery::default(), today()).await.unwrap();
        assert!(convert.model.is_learned());
        let rows = &convert.candidates.rows;
        assert!(rows.len() >= 5, "{backend}: {} trials", rows.len());
        assert!(
            rows.windows(2).all(|w| w[0].priority.minor >= w[1].priority.minor),
            "{backend}: not by priority"
        );
        for t in rows {
            let l = t
                .likelihood
                .as_ref()
                .unwrap_or_else(|| panic!("{backend}: {} unscored", t.account_name));
            if t.trial.is_some() {
                assert!(!l.factors.is_empty(), "{backend}: {} has no factors", t.account_name);
            }
            assert!(
                t.priority.minor <= t.potential_arr.minor * 4,
                "{backend}: priority beyond its bound"
            );
        }
        let percent = |name: &str| {
            rows.iter()
                .find(|t| t.account_name == name)
                .and_then(|t| t.likelihood.as_ref())
                .unwrap_or_else(|| panic!("{backend}: {name} not in Convert"))
                .percent
        };
        assert!(
            percent("Bachmanity") > percent("Conjoined Triangles") + 15,
            "{backend}: Bachmanity {} vs Conjoined Triangles {}",
            percent("Bachmanity"),
            percent("Conjoined Triangles")
        );
        let likely = store
            .convert_queue(&ws, &q(|q| q.filter = "likely".into()), today())
            .await
            .unwrap();
        assert!(likely
            .candidates
            .rows
            .iter()
            .all(|t| t.likelihood.as_ref().unwrap().percent >= 60));

        // Re-engage: most likely first, each with a reason to reach out; the chart adds up.
        let view = store.reengage(&ws, &ListQuery::default()).await.unwrap();
        let rows = &view.rows.rows;
        assert!(rows.len() >= 8, "{backend}: {} losses", rows.len());
        let p = |r: &app::model::ReengageRow| r.likelihood.as_ref().unwrap().percent;
        assert!(
            rows.windows(2).all(|w| p(&w[0]) >= p(&w[1])),
            "{backend}: not by likelihood"
        );
        assert!(rows.iter().all(|r| r.why_now.as_deref().is_some_and(|w| !w.is_empty())));
        assert_eq!(
            view.by_reason.iter().map(|(_, m)| m.minor).sum::<i64>(),
            view.lost_total.minor
        );
        let price = store.reengage(&ws, &q(|q| q.reason = "price".into())).await.unwrap();
        assert!(price.rows.rows.iter().all(|r| r.reason_category.as_str() == "price"));
        assert!(matches!(
            store.reengage(&ws, &q(|q| q.reason = "nonsense".into())).await,
            Err(StoreError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn a_csm_contacts_snoozes_and_wins_back_a_loss() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let (ws_id, ws) = demo(store).await;
        let now = chrono::Utc::now();
        refresh(store, ws_id, today(), now).await.unwrap();
        let queue = |filter: &'static str| {
            let ws = ws.clone();
            async move {
                store
                    .reengage(&ws, &q(|q| q.filter = filter.into()))
                    .await
                    .unwrap()
                    .rows
                    .rows
            }
        };
        let open = queue("").await;
        let (first, second) = (&open[0], &open[1]);
        let csm = (None, "Carla CSM");

        store
            .change_winback(ws_id, first.id, WinbackChange::Contacted, csm, now)
            .await
            .unwrap();
        let row = queue("contacted")
            .await
            .into_iter()
            .find(|r| r.id == first.id)
            .expect("contacted");
        assert_eq!(row.contacted_by.as_deref(), Some("Carla CSM"));
        assert!(
            queue("").await.iter().any(|r| r.id == first.id),
            "contacted rows stay in the work queue"
        );

        let until = today() + chrono::Duration::days(30);
        store
            .change_winback(ws_id, second.id, WinbackChange::SnoozeUntil(until), csm, now)
            .await
            .unwrap();
        assert!(
            !queue("").await.iter().any(|r| r.id == second.id),
            "{backend}: snoozed row still shown"
        );
        assert_eq!(queue("snoozed").await[0].snoozed_until, Some(until));
        // A rescore keeps the snooze; once it has run out, the row is back.
        refresh(store, ws_id, today(), now).await.unwrap();
        assert!(!queue("").await.iter().any(|r| r.id == second.id));
        refresh(store, ws_id, until, now).await.unwrap();
        assert!(
            queue("").await.iter().any(|r| r.id == second.id),
            "{backend}: snooze did not run out"
        );

        // Won back: out of the queue, a win-back deal in Pipeline's first stage, a case to learn from.
        let case = format!("winback:{}:", first.account_id);
        let outcome = |examples: Vec<server::store::likelihood::Example>| {
            examples
                .into_iter()
                .find(|e| e.subject.starts_with(&case))
                .map(|e| e.positive)
        };
        let name = store
            .change_winback(ws_id, first.id, WinbackChange::WonBack, csm, now)
            .await
            .unwrap();
        assert_eq!(name, first.account_name);
        let won = queue("won_back").await;
        assert_eq!(won.len(), 1);
        assert_eq!(won[0].status, WinbackStatus::WonBack);
        assert!(!queue("").await.iter().any(|r| r.id == first.id));
        let pipeline = store
            .pipeline(&ws, &q(|q| q.q = first.account_name.to_lowercase()))
            .await
            .unwrap();
        let deal = pipeline
            .deals
            .rows
            .iter()
            .find(|d| d.name.ends_with("win-back"))
            .unwrap_or_else(|| panic!("{backend}: no win-back deal"));
        assert_eq!(deal.stage, pipeline.stages[0].key);
        assert_eq!(deal.amount, first.lost_value);
        let routed = store.routed_to(ws_id, app::model::RoutePage::Pipeline).await.unwrap();
        assert!(routed
            .iter()
            .any(|r| r.account_id == first.account_id && r.from_page == app::model::RoutePage::Reengage));
        assert!(matches!(
            store
                .change_winback(ws_id, first.id, WinbackChange::WonBack, csm, now)
                .await,
            Err(StoreError::Conflict(_))
        ));
        refresh(store, ws_id, today(), now).await.unwrap();
        let learned = store.examples(ws_id, ModelKind::Reengage).await.unwrap();
        assert_eq!(outcome(learned), Some(true), "{backend}: the win-back was not recorded");
        assert_eq!(queue("won_back").await.len(), 1, "a rescore keeps the win-back");

        // Reopen: undecided again, so the model forgets it.
        store
            .change_winback(ws_id, first.id, WinbackChange::Reopen, csm, now)
            .await
            .unwrap();
        assert_ne!(
            outcome(store.examples(ws_id, ModelKind::Reengage).await.unwrap()),
            Some(true)
        );
        assert!(queue("").await.iter().any(|r| r.id == first.id));

        // Another workspace's row is not found, and nothing was written.
        let other = store
            .load_dataset(
                &{
                    let mut d = generate(&DemoSpec {
                        accounts: 30,
                        ..DemoSpec::preview(today())
                    });
                    d.workspace.slug = "other".into();
                    d
                },
                &|_| {},
            )
            .await
            .unwrap();
        assert!(matches!(
            store
                .change_winback(other, first.id, WinbackChange::Contacted, csm, now)
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn prospects_without_a_trial_rank_in_convert_and_leave_once_they_trial_or_buy() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let (ws_id, ws) = demo(store).await;
        let now = chrono::Utc::now();
        let report = refresh(store, ws_id, today(), now).await.unwrap();
        let prospects = || async {
            store
                .convert_queue(
                    &ws,
                    &q(|q| {
                        q.filter = "prospects".into();
                        q.untracked = "show".into();
                    }),
                    today(),
                )
                .await
                .unwrap()
                .candidates
        };
        let page = prospects().await;
        assert!(page.total >= 3, "{backend}: {} prospects", page.total);
        assert_eq!(report.prospects_scored as u64, page.total, "{backend}");
        for p in &page.rows {
            assert_eq!(
                p.lifecycle,
                app::model::Lifecycle::Prospect,
                "{backend}: {}",
                p.account_name
            );
            assert!(p.trial.is_none());
            let l = p.likelihood.as_ref().expect("scored");
            // It has tried nothing yet, and says so rather than counting as an average trial.
            assert!(
                !l.missing.iter().any(|m| m == "Activation events"),
                "{backend}: {}: {:?}",
                p.account_name,
                l.missing
            );
            // Priority is likelihood × urgency × the deal's amount, with urgency from the deal alone.
            assert!(
                p.priority.minor <= p.potential_arr.minor * 3 / 2 + 1,
                "{backend}: {}",
                p.account_name
            );
        }
        // Less likely than the running trials, on average: nothing has been tried yet.
        let mean = |rows: &[app::model::ConvertRow]| {
            rows.iter()
                .map(|r| r.likelihood.as_ref().unwrap().percent as f64)
                .sum::<f64>()
                / rows.len() as f64
        };
        let running = store
            .convert_queue(&ws, &q(|q| q.filter = "trials".into()), today())
            .await
            .unwrap()
            .candidates;
        assert!(
            mean(&page.rows) < mean(&running.rows),
            "{backend}: prospects {:.0}% vs trials {:.0}%",
            mean(&page.rows),
            mean(&running.rows)
        );
        // Beside the running trials in the default view, in one priority order; Trials alone has none.
        let both = store
            .convert_queue(&ws, &ListQuery::default(), today())
            .await
            .unwrap()
            .candidates;
        let trials = store
            .convert_queue(&ws, &q(|q| q.filter = "trials".into()), today())
            .await
            .unwrap()
            .candidates;
        assert_eq!(both.total, trials.total + page.total, "{backend}");
        assert!(trials.rows.iter().all(|t| t.trial.is_some()));

        // One starts a trial and another signs: both leave the prospect list at the next refresh.
        let (trialling, signed) = (page.rows[0].account_id, page.rows[1].account_id);
        sqlx::query(
            "INSERT INTO trials (workspace_id, account_id, started_on, ends_on, seats, activation_events) \
             VALUES ($1, $2, $3, $4, 4, 2)",
        )
        .bind(ws_id)
        .bind(trialling)
        .bind(today().to_string())
        .bind((today() + chrono::Duration::days(14)).to_string())
        .execute(store.pool())
        .await
        .unwrap();
        sqlx::query("UPDATE accounts SET lifecycle = 'customer' WHERE id = $1")
            .bind(signed)
            .execute(store.pool())
            .await
            .unwrap();
        refresh(store, ws_id, today(), now).await.unwrap();
        let after = prospects().await;
        assert_eq!(after.total, page.total - 2, "{backend}");
        assert!(after
            .rows
            .iter()
            .all(|p| p.account_id != trialling && p.account_id != signed));
        let now_trial = store
            .convert_queue(&ws, &q(|q| q.filter = "trials".into()), today())
            .await
            .unwrap()
            .candidates;
        assert!(
            now_trial
                .rows
                .iter()
                .any(|t| t.account_id == trialling && t.trial.is_some()),
            "{backend}: the new trial is ranked as a trial"
        );
        // Nothing changed since: nothing is written.
        assert_eq!(
            refresh(store, ws_id, today(), now).await.unwrap().changed,
            0,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_decided_trial_freezes_its_features_as_a_case_to_learn_from() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let (ws_id, _) = demo(store).await;
        let now = chrono::Utc::now();
        refresh(store, ws_id, today(), now).await.unwrap();
        let before = store.examples(ws_id, ModelKind::Convert).await.unwrap().len();
        let trial = store
            .trial_cases(ws_id)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.converted.is_none())
            .unwrap();
        sqlx::query("UPDATE trials SET outcome = 'converted' WHERE id = $1")
            .bind(trial.id)
            .execute(store.pool())
            .await
            .unwrap();
        refresh(store, ws_id, today(), now).await.unwrap();
        let examples = store.examples(ws_id, ModelKind::Convert).await.unwrap();
        assert_eq!(examples.len(), before + 1, "{backend}");
        let case = examples
            .iter()
            .find(|e| e.subject == format!("trial:{}", trial.id))
            .unwrap();
        assert!(case.positive);
        let frozen = store
            .trial_cases(ws_id)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.id == trial.id)
            .unwrap()
            .features
            .expect("features frozen");
        assert_eq!(frozen, case.features);
        assert_eq!(
            frozen[&app::likelihood::Feature::ActivationEvents],
            trial.activation_events as f64
        );
    }
}

#[tokio::test]
async fn contract_totals_filters_and_export_agree() {
    for db in TestDb::both().await {
        let backend = db.name;
        let store = &db.store;
        let (ws_id, ws) = demo(store).await;
        let all = store.contracts(&ws, &ListQuery::default(), today()).await.unwrap();
        let everything = store
            .contracts_export(&ws, &ListQuery::default(), today())
            .await
            .unwrap();
        assert_eq!(everything.len() as u64, all.rows.total, "{backend}");
        assert!(all.rows.total > 25, "{backend}: paged");
        let counted_statuses = ["active", "past_due", "unpaid"];
        let expected: i64 = everything
            .iter()
            .filter(|r| counted_statuses.contains(&r.status.as_str()))
            .map(|r| r.mrr.minor)
            .sum();
        assert_eq!(all.mrr_total.minor, expected, "{backend}: MRR total");
        assert_eq!(all.arr_total.minor, expected * 12);
        assert!(!all.owners.is_empty());

        let owner = all.owners[0].clone();
        let mine = store
            .contracts_export(&ws, &q(|q| q.owner = owner.clone()), today())
            .await
            .unwrap();
        assert!(!mine.is_empty() && mine.iter().all(|r| r.owner_name.as_deref() == Some(owner.as_str())));
        let problems = store
            .contracts_export(&ws, &q(|q| q.payment = "problem".into()), today())
            .await
            .unwrap();
        assert!(!problems.is_empty());
        assert!(problems
            .iter()
            .all(|r| matches!(r.payment_state.as_str(), "past_due" | "failed")));
        // Hooli's failing card shows its collection attempts.
        assert!(
            problems
                .iter()
                .any(|r| r.account_name == "Hooli" && r.failed_attempts >= 2),
            "{backend}"
        );
        let renewing = store
            .contracts_export(&ws, &q(|q| q.renewal = "60".into()), today())
            .await
            .unwrap();
        assert!(renewing
            .iter()
            .all(|r| r.days_to_renewal.is_some_and(|d| (0..=60).contains(&d))));
        assert!(matches!(
            store.contracts(&ws, &q(|q| q.payment = "bogus".into()), today()).await,
            Err(StoreError::Invalid(_))
        ));

        // The drawer: one contract's invoices, newest first; another workspace's id is not found.
        let hooli = problems.iter().find(|r| r.account_name == "Hooli").unwrap();
        let invoices = store.contract_invoices(ws_id, hooli.id).await.unwrap();
        assert!(!invoices.is_empty());
        assert!(invoices.windows(2).all(|w| w[0].issued_on >= w[1].issued_on));
        assert!(matches!(
            store.contract_invoices(ws_id + 1000, hooli.id).await,
            Err(StoreError::NotFound(_))
        ));

        let csv = app::model::contracts_csv(&everything);
        assert_eq!(csv.lines().count(), everything.len() + 1);
        assert!(csv.starts_with("account,owner,source,plan,status,payment"));
    }
}
