//! Rescoring: reads every account's inputs, scores them with the workspace's scorecard (the pure
//! code in `app::scoring`) and writes what changed. Runs after loads and syncs, on a schedule and
//! on demand.

use crate::store::scores::{ScoreWrite, ScoredSpan, StoredScore};
use crate::store::sql_day;
use crate::store::{Store, StoreError};
use app::scoring;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RescoreReport {
    pub accounts: usize,
    pub changed: usize,
    /// Reading the scorecard and the account ids, before the first span is read.
    pub read_ms: u128,
    /// From the end of that read until the last span is read and scored (alongside the write).
    pub score_ms: u128,
    /// From the end of that read until the write is committed.
    pub write_ms: u128,
}

/// Accounts read, scored and handed to the writer together: small enough that the write starts
/// soon after the rescore does, large enough to fill several insert statements.
const SPAN: usize = 4_000;

/// Rescores one workspace as of `today`. The inputs and stored fingerprints are read in spans of
/// accounts; each span is scored on the blocking pool and handed to the writer while the next ones
/// are read, so on SQLite the one writing thread never waits for the whole read or all the scoring.
pub async fn rescore_workspace(
    store: &Store,
    workspace_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<RescoreReport, StoreError> {
    let started = Instant::now();
    let (card, population) = tokio::try_join!(store.scorecard(workspace_id), store.score_population(workspace_id),)?;
    let read = started.elapsed();
    let card = Arc::new(card);
    let large = population.large_arr_minor;
    let (spans, received) = tokio::sync::mpsc::channel(2);
    let produce = async move {
        let mut scored = futures::stream::iter(population.spans(SPAN))
            .map(|span| score_span(store, workspace_id, today, large, card.clone(), span))
            .buffered(2);
        while let Some(span) = scored.next().await {
            let failed = span.is_err();
            // A failed span goes to the writer, which rolls back; a failed writer stops the reading.
            if spans.send(span).await.is_err() || failed {
                break;
            }
        }
        started.elapsed()
    };
    let (written, scored) = tokio::join!(store.write_score_batches(workspace_id, received, today, now), produce);
    let ScoreWrite { accounts, changed } = written?;
    Ok(RescoreReport {
        accounts,
        changed,
        read_ms: read.as_millis(),
        score_ms: (scored - read).as_millis(),
        write_ms: (started.elapsed() - read).as_millis(),
    })
}

/// Reads the inputs and stored fingerprints of one span of accounts, then scores it on the
/// blocking pool and keeps the scores that changed, in their stored form.
async fn score_span(
    store: &Store,
    workspace_id: i64,
    today: NaiveDate,
    large_arr_minor: i64,
    card: Arc<scoring::Scorecard>,
    span: (i64, i64),
) -> Result<ScoredSpan, StoreError> {
    let (facts, stored) = tokio::try_join!(
        store.score_facts(workspace_id, today, span),
        store.span_fingerprints(workspace_id, span),
    )?;
    tokio::task::spawn_blocking(move || {
        let scores = facts
            .inputs(today, large_arr_minor)?
            .iter()
            .map(|i| StoredScore::of(i.account_id, &scoring::score(&card, i)))
            .collect();
        Ok(ScoredSpan::new(scores, &stored))
    })
    .await
    .map_err(|e| StoreError::Invalid(format!("scoring stopped: {e}")))?
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
