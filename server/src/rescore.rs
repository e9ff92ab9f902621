//! Rescoring: reads every account's inputs, scores them with the workspace's scorecard (the pure
//! code in `app::scoring`) and writes what changed. Runs after loads and syncs, on a schedule and
//! on demand.

use crate::store::scores::{ScoreWrite, StoredScore};
use crate::store::sql_day;
use crate::store::{Store, StoreError};
use app::scoring;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::time::Instant;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RescoreReport {
    pub accounts: usize,
    pub changed: usize,
    /// Reading the inputs and the stored fingerprints.
    pub read_ms: u128,
    /// From the end of the read until the last account is scored (alongside the write).
    pub score_ms: u128,
    /// From the end of the read until the write is committed.
    pub write_ms: u128,
}

/// Accounts scored per batch handed to the writer: small enough that the write starts soon after
/// the read, large enough to fill several insert statements.
const BATCH: usize = 4_000;

/// Rescores one workspace as of `today`. Scoring runs on the blocking pool and hands batches to
/// the writer as it goes, so on SQLite the one writing thread never waits for all the scoring.
pub async fn rescore_workspace(
    store: &Store,
    workspace_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<RescoreReport, StoreError> {
    let started = Instant::now();
    let (card, inputs, stored) = tokio::try_join!(
        store.scorecard(workspace_id),
        store.score_inputs(workspace_id, today),
        store.score_fingerprints(workspace_id),
    )?;
    let read = started.elapsed();
    let (batches, received) = tokio::sync::mpsc::channel(2);
    let scoring = tokio::task::spawn_blocking(move || {
        for part in inputs.chunks(BATCH) {
            let scored = score_all(&card, part);
            // The writer stopped (it failed): nothing more to score.
            if batches.blocking_send(scored).is_err() {
                break;
            }
        }
        started.elapsed()
    });
    let ScoreWrite { accounts, changed } = store
        .write_score_batches(workspace_id, received, &stored, today, now)
        .await?;
    let scored = scoring
        .await
        .map_err(|e| StoreError::Invalid(format!("scoring stopped: {e}")))?;
    Ok(RescoreReport {
        accounts,
        changed,
        read_ms: read.as_millis(),
        score_ms: (scored - read).as_millis(),
        write_ms: (started.elapsed() - read).as_millis(),
    })
}

/// Scores every account and puts each score in its stored form, spread over the machine's cores
/// (scoring is pure and independent per account).
pub fn score_all(card: &scoring::Scorecard, inputs: &[scoring::ScoreInputs]) -> Vec<StoredScore> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = inputs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|i| StoredScore::of(i.account_id, &scoring::score(card, i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// Scores a workspace as it stood on each of the last `weeks` weeks, so a new workspace starts
/// with a trend (the inputs are all dated, so the past can be scored honestly).
pub async fn backfill_history(
    store: &Store,
    workspace_id: i64,
    today: NaiveDate,
    weeks: i64,
) -> Result<(), StoreError> {
    let card = store.scorecard(workspace_id).await?;
    for w in (1..=weeks).rev() {
        let as_of = today - Duration::weeks(w);
        let points = store
            .score_inputs(workspace_id, as_of)
            .await?
            .iter()
            .map(|i| {
                let s = scoring::score(&card, i);
                (i.account_id, s.score as i64, s.band.as_str())
            })
            .collect();
        store
            .write_history_points(workspace_id, &sql_day(as_of), points)
            .await?;
    }
    Ok(())
}
