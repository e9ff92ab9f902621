//! `server bench …`: the figures in server/BENCHMARKS.md. Most load data into DATABASE_URL.

use crate::demo;
use crate::store::Store;
use std::time::Instant;

/// Syncs from the Stripe fake (in this process, on a thread of its own) with a live-mode key
/// (100 requests/s advertised, 429 above).
pub async fn sync(store: Store, subscriptions: usize) -> Result<(), String> {
    use crate::fakes::{stripe::StripeData, FakeState};
    let fake = FakeState::new(StripeData::generate(subscriptions, 3, 0, 11), Default::default());
    fake.faults.lock().unwrap().per_second = Some(100);
    let addr = crate::fakes::serve_on_own_thread(fake.clone(), "127.0.0.1:0").map_err(|e| e.to_string())?;
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let ws = store
        .load_dataset(
            &crate::store::Dataset {
                workspace: crate::store::load::NewWorkspace {
                    name: format!("Sync benchmark ({subscriptions} subscriptions)"),
                    slug: format!("bench-sync-{stamp}"),
                    is_demo: false,
                    currency: "USD".into(),
                },
                ..Default::default()
            },
            &|_| {},
        )
        .await
        .map_err(|e| e.to_string())?;
    store.set_rate(ws, "EUR", 1_080_000).await.map_err(|e| e.to_string())?;
    let data = crate::service::Data::new(store.clone(), crate::auth::AuthConfig::allowing_private_network()).shared();
    data.connect_integration_in(
        ws,
        app::model::IntegrationKind::Stripe,
        app::integrations::IntegrationSetup {
            credential: crate::fakes::STRIPE_LIVE_KEY.into(),
            base_url: format!("http://{addr}"),
            schedule_minutes: 15,
            webhook_secret: String::new(),
            target: String::new(),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let before = fake.requests.load(std::sync::atomic::Ordering::Relaxed);
    let rss_before = peak_rss_kib();
    let t = Instant::now();
    let finished = sync_finished_at(&data);
    let outcome = data
        .sync_now(ws, app::model::IntegrationKind::Stripe)
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = t.elapsed();
    let synced = finished.await.ok().flatten().map(|at| at - t);
    if let Some(e) = outcome.error {
        return Err(format!("the sync failed: {e}"));
    }
    let requests = fake.requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    let throttled = fake.throttled.load(std::sync::atomic::Ordering::Relaxed);
    let synced = synced.ok_or("the sync never announced its end")?;
    println!(
        "synced {} records ({} written, {} skipped) in {:.2} s (stored, revenue settled, the run finished), \
         {:.2} s with the rescoring after it: {requests} requests ({:.0}/s; the fake allows 100/s and refused \
         {throttled} for going faster); peak memory {} MiB (was {} MiB before the sync)",
        outcome.progress.fetched,
        outcome.progress.written,
        outcome.progress.skipped,
        synced.as_secs_f64(),
        elapsed.as_secs_f64(),
        requests as f64 / synced.as_secs_f64(),
        peak_rss_kib() / 1024,
        rss_before / 1024,
    );
    let t = Instant::now();
    let finished = sync_finished_at(&data);
    let again = data
        .sync_now(ws, app::model::IntegrationKind::Stripe)
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = t.elapsed();
    let synced = finished
        .await
        .ok()
        .flatten()
        .ok_or("the sync never announced its end")?
        - t;
    println!(
        "the same sync again (every account known, every row an update): {:.2} s, {:.2} s with the rescoring; {} written",
        synced.as_secs_f64(),
        elapsed.as_secs_f64(),
        again.progress.written
    );
    Ok(())
}

/// When the next sync announces its end (what Settings shows as finished); the rescoring follows.
fn sync_finished_at(data: &crate::service::Data) -> tokio::task::JoinHandle<Option<Instant>> {
    let mut events = data.events.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if matches!(&e.event, app::live::LiveEvent::Sync(p) if p.finished) => return Some(Instant::now()),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// The process's peak resident memory (Linux), in KiB; 0 elsewhere.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Times the Convert and Re-engage refresh on a large demo, and the pure scoring on its own.
pub async fn likelihood(store: Store, accounts: usize) -> Result<(), String> {
    let err = |e: crate::store::StoreError| e.to_string();
    let today = chrono::Utc::now().date_naive();
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let data = demo::generate(&demo::DemoSpec {
        accounts,
        seed: demo::DEFAULT_SEED,
        today,
        name: format!("Likelihood benchmark ({accounts} accounts)"),
        slug: format!("bench-lk-{accounts}-{stamp}"),
    });
    let ws = store.load_dataset(&data, &|_| {}).await.map_err(err)?;
    println!("loaded {accounts} accounts into workspace {ws}");
    for (label, run) in [("first refresh", 1), ("nothing changed", 2)] {
        let t = Instant::now();
        let report = crate::likelihood::refresh(&store, ws, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        println!(
            "{label:>16}: {:>6.0} ms for {} trials, {} prospects and {} losses; scoring alone {:.1} ms; {} rows written{}",
            t.elapsed().as_secs_f64() * 1000.0,
            report.trials_scored,
            report.prospects_scored,
            report.losses_scored,
            report.score_us as f64 / 1000.0,
            report.changed,
            if run == 1 {
                " (includes training both models)"
            } else {
                ""
            }
        );
    }
    // Predicting and explaining 10,000 cases, nothing else.
    for kind in app::likelihood::ModelKind::ALL {
        let model = store.model(ws, kind).await.map_err(err)?;
        let cases: Vec<_> = store
            .examples(ws, kind)
            .await
            .map_err(err)?
            .into_iter()
            .map(|e| e.features)
            .cycle()
            .take(10_000)
            .collect();
        let t = Instant::now();
        let total: i64 = cases.iter().map(|c| model.predict(c).percent as i64).sum();
        println!(
            "{:>16}: 10,000 cases predicted and explained in {:.1} ms (mean {:.0}%)",
            kind.label(),
            t.elapsed().as_secs_f64() * 1000.0,
            total as f64 / 10_000.0
        );
    }
    Ok(())
}

/// Loads `accounts` demo accounts and times rescoring them against a raw bulk insert, `runs` times.
pub async fn rescore(store: Store, accounts: usize, runs: usize) -> Result<(), String> {
    let runs = runs.max(1);
    let today = chrono::Utc::now().date_naive();
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let spec = demo::DemoSpec {
        accounts,
        seed: demo::DEFAULT_SEED,
        today,
        name: format!("Rescore benchmark ({accounts} accounts)"),
        slug: format!("bench-{accounts}-{stamp}"),
    };
    let data = demo::generate(&spec);
    let ws = store.load_dataset(&data, &|_| {}).await.map_err(|e| e.to_string())?;
    println!(
        "loaded {accounts} accounts ({} rows) into workspace {ws}",
        data.row_count()
    );
    let err = |e: crate::store::StoreError| e.to_string();
    // A rescore runs long after the data arrived: each run starts from a checkpointed database,
    // not from the write-ahead log of the load or of the run before.
    let settle = || async {
        if store.backend() == crate::store::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(store.pool())
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(())
    };
    // This machine's speed drifts by a fifth from minute to minute, so the runs alternate (first
    // rescore, unchanged rescore, raw insert) and each figure is given as best and median.
    let (mut first, mut again, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=runs {
        store.clear_scores(ws).await.map_err(err)?;
        settle().await?;
        let t = Instant::now();
        let report = crate::rescore::rescore_workspace(&store, ws, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        first.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "run {run}: rescore, every row new: {:>5.0} ms (ids read in {} ms, then the spans read and scored in {} ms alongside the write, {} ms; {} of {} written)",
            first[first.len() - 1],
            report.read_ms,
            report.score_ms,
            report.write_ms,
            report.changed,
            report.accounts
        );
        settle().await?;
        let t = Instant::now();
        let report = crate::rescore::rescore_workspace(&store, ws, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        again.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "run {run}: rescore, nothing changed: {:>5.0} ms ({} written)",
            again[again.len() - 1],
            report.changed
        );
        // The same rows through a plain bulk insert into empty score tables, for comparison.
        let card = store.scorecard(ws).await.map_err(err)?;
        let t = Instant::now();
        let inputs = store.score_inputs(ws, today).await.map_err(err)?;
        let read = t.elapsed();
        let scores = crate::rescore::score_all(&card, &inputs);
        println!(
            "run {run}: read alone {:>5.0} ms, score alone {:>5.0} ms",
            read.as_secs_f64() * 1000.0,
            (t.elapsed() - read).as_secs_f64() * 1000.0
        );
        store.clear_scores(ws).await.map_err(err)?;
        settle().await?;
        let t = Instant::now();
        store
            .write_scores(ws, scores, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        raw.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "run {run}: raw bulk insert of the same rows: {:>5.0} ms",
            raw[raw.len() - 1]
        );
    }
    let summary = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        (xs[0], xs[xs.len() / 2])
    };
    let (first_best, first_median) = summary(&mut first);
    let (again_best, again_median) = summary(&mut again);
    let (raw_best, raw_median) = summary(&mut raw);
    println!("{runs} runs, best / median:");
    println!("  rescore, every row new:   {first_best:>5.0} / {first_median:>5.0} ms");
    println!("  rescore, nothing changed: {again_best:>5.0} / {again_median:>5.0} ms");
    println!("  raw bulk insert:          {raw_best:>5.0} / {raw_median:>5.0} ms");
    println!(
        "  rescore / raw insert = {:.2}× (best), {:.2}× (median)",
        first_best / raw_best,
        first_median / raw_median
    );
    Ok(())
}
