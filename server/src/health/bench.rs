//! `server bench health-queue`: the Health queue server fn under concurrent callers, with or
//! without the read cache, on a generated demo workspace.

use crate::demo;
use crate::service::Data;
use crate::store::Store;
use app::api::port::HealthPort;
use app::api::Scope;
use app::model::ListQuery;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The views CSMs open most: the default riskiest-first page, a later page, a band, a sort, a
/// renewal window, an owner and a search.
fn views() -> Vec<(&'static str, ListQuery)> {
    let q = |f: &dyn Fn(&mut ListQuery)| {
        let mut query = ListQuery::default();
        f(&mut query);
        query
    };
    vec![
        ("riskiest first", ListQuery::default()),
        ("page 40", q(&|x| x.page = 39)),
        ("red band", q(&|x| x.band = "red".into())),
        (
            "at risk by ARR",
            q(&|x| {
                x.band = "at_risk".into();
                x.sort = "arr".into()
            }),
        ),
        ("renewing in 90 days", q(&|x| x.renewal = "90".into())),
        ("by name", q(&|x| x.sort = "name".into())),
        ("one owner", q(&|x| x.owner = "Monica Hall".into())),
        ("search", q(&|x| x.q = "hoo".into())),
    ]
}

pub async fn run(store: Store, accounts: usize, callers: usize, requests: usize, cache: bool) -> Result<(), String> {
    let err = |e: crate::store::StoreError| e.to_string();
    let today = chrono::Utc::now().date_naive();
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let data = demo::generate(&demo::DemoSpec {
        accounts,
        seed: demo::DEFAULT_SEED,
        today,
        name: format!("Health queue benchmark ({accounts} accounts)"),
        slug: format!("bench-hq-{accounts}-{stamp}"),
    });
    let ws = store.load_dataset(&data, &|_| {}).await.map_err(err)?;
    crate::rescore::rescore_workspace(&store, ws, today, chrono::Utc::now())
        .await
        .map_err(err)?;
    if store.backend() == crate::store::Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(store.pool())
            .await
            .map_err(|e| e.to_string())?;
    }
    let workspace = store.workspace_info(ws).await.map_err(err)?;
    let mut service = Data::new(store, crate::auth::AuthConfig::default());
    service.cache = crate::cache::ReadCache::new(if cache {
        Duration::from_secs(3600)
    } else {
        Duration::ZERO
    });
    let service = Arc::new(service);
    let scope = Arc::new(Scope {
        workspace,
        member: None,
    });
    let views = Arc::new(views());
    println!(
        "{accounts} accounts loaded and scored in workspace {ws}; {callers} callers, {requests} calls, read cache {}",
        if cache { "on" } else { "off" }
    );
    // Every view once, unmeasured: connections opened, statements prepared.
    for (_, query) in views.iter() {
        service
            .health_queue(&scope, query.clone())
            .await
            .map_err(|e| e.to_string())?;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for caller in 0..callers {
        let (service, scope, views) = (service.clone(), scope.clone(), views.clone());
        let calls = requests / callers + usize::from(caller < requests % callers);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(calls);
            for call in 0..calls {
                let view = (caller + call) % views.len();
                let t = Instant::now();
                let page = service.health_queue(&scope, views[view].1.clone()).await;
                times.push((view, t.elapsed(), page.map(|p| p.total)));
            }
            times
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.map_err(|e| e.to_string())?);
    }
    let wall = started.elapsed();
    if let Some((view, _, Err(e))) = all.iter().find(|(_, _, r)| r.is_err()) {
        return Err(format!("{}: {e}", views[*view].0));
    }
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let percentile = |xs: &mut Vec<Duration>, p: f64| -> f64 {
        xs.sort();
        ms(&xs[((xs.len() as f64 - 1.0) * p).round() as usize])
    };
    let mut times: Vec<Duration> = all.iter().map(|(_, t, _)| *t).collect();
    println!(
        "all views: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.0} calls/s",
        percentile(&mut times, 0.50),
        percentile(&mut times, 0.95),
        percentile(&mut times, 0.99),
        percentile(&mut times, 1.0),
        all.len() as f64 / wall.as_secs_f64()
    );
    for (i, (name, _)) in views.iter().enumerate() {
        let mut times: Vec<Duration> = all.iter().filter(|(v, _, _)| *v == i).map(|(_, t, _)| *t).collect();
        let total = all
            .iter()
            .find(|(v, _, _)| *v == i)
            .and_then(|(_, _, r)| r.as_ref().ok().copied());
        println!(
            "  {name:<20} p50 {:>6.1} ms, p95 {:>6.1} ms ({} accounts match)",
            percentile(&mut times, 0.50),
            percentile(&mut times, 0.95),
            total.unwrap_or(0)
        );
    }
    Ok(())
}
