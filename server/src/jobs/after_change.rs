//! The one pipeline that follows a change: roll revenue up, score, match requests, drop cached
//! reads and tell open pages — in that order, whatever the change was.

use super::{Changes, Job};
use crate::service::Data;
use app::api::AppError;
use app::live::LiveEvent;
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks for jobs nobody woke it for (another replica's, a retry's).
const POLL: Duration = Duration::from_secs(2);

/// How long a caller waits for its workspace's follow-up running elsewhere before leaving it to
/// run there (or, if its server died, to the worker once the lease runs out).
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(30);

impl Data {
    /// Records that `what` changed and runs what follows now; returns how many scores changed.
    /// A follow-up of the workspace that is running elsewhere is waited for, so the caller sees
    /// its own change settled.
    pub async fn after_change(&self, ws: i64, what: Changes) -> Result<u64, AppError> {
        self.store.enqueue_after_change(ws, what, self.clock.now()).await?;
        self.settle(ws).await
    }

    /// Runs the workspace's follow-ups in the background, for writes that come often (signals
    /// from other tools) and recorded theirs in their own transaction: a burst waits for one
    /// follow-up instead of each holding its request for a whole one.
    pub fn settle_soon(&self, ws: i64) {
        self.cache.invalidate(ws);
        let Some(me) = self.arc() else {
            self.jobs_wake.notify_one();
            return;
        };
        if !self.settling_soon.lock().unwrap_or_else(|e| e.into_inner()).insert(ws) {
            return; // the one running will see this change too
        }
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.settle(ws).await {
                    tracing::error!(workspace = ws, error = %e, "a background follow-up failed");
                }
                me.settling_soon.lock().unwrap_or_else(|e| e.into_inner()).remove(&ws);
                // A change gathered after the last look is taken now, unless another task is on it.
                let more = matches!(me.store.unfinished_jobs(ws).await, Ok((open, _)) if open > 0);
                if !(more && me.settling_soon.lock().unwrap_or_else(|e| e.into_inner()).insert(ws)) {
                    return;
                }
            }
        });
    }

    /// Runs the workspace's due follow-ups here until none is left, waiting for one running
    /// elsewhere; returns how many scores changed.
    pub async fn settle(&self, ws: i64) -> Result<u64, AppError> {
        let mut changed = 0;
        let mut waited = Duration::ZERO;
        loop {
            if let Some(job) = self.store.take_job(Some(ws), &self.replica, self.clock.now()).await? {
                changed += self.run_job(job).await?;
                continue;
            }
            if waited >= WAIT_FOR_OTHERS || !self.store.job_running(ws).await? {
                return Ok(changed);
            }
            let finished = self.jobs_done.notified();
            let _ = tokio::time::timeout(Duration::from_millis(200), finished).await;
            waited += Duration::from_millis(200);
        }
    }

    /// Runs one claimed job to its end and records how it went, in a task of its own: a caller
    /// that goes away (a closed page) does not leave it half-run, and a panic is a failure, retried
    /// later by the worker.
    async fn run_job(&self, job: Job) -> Result<u64, AppError> {
        let Some(me) = self.arc() else {
            return self.run_job_here(&job).await;
        };
        let taken = job.clone();
        match tokio::spawn(async move { me.run_job_here(&job).await }).await {
            Ok(outcome) => outcome,
            Err(e) => {
                let why = format!("the follow-up stopped: {e}");
                tracing::error!(workspace = taken.workspace_id, error = %why, "a follow-up panicked; it will be retried");
                self.store
                    .finish_job(&taken, Err(why.clone()), self.clock.now())
                    .await?;
                self.jobs_done.notify_waiters();
                Err(AppError::Internal(why))
            }
        }
    }

    async fn run_job_here(&self, job: &Job) -> Result<u64, AppError> {
        let outcome = match job.kind.as_str() {
            crate::store::jobs::AFTER_CHANGE => self.follow(job.workspace_id, job.what).await,
            other => Err(AppError::Internal(format!("unknown job kind {other:?}"))),
        };
        let recorded = self
            .store
            .finish_job(
                job,
                outcome.as_ref().map(|_| ()).map_err(|e| e.to_string()),
                self.clock.now(),
            )
            .await;
        self.jobs_done.notify_waiters();
        recorded?;
        if let Err(e) = &outcome {
            tracing::error!(workspace = job.workspace_id, attempt = job.attempts, error = %e, "a follow-up failed; it will be retried");
        }
        outcome
    }

    /// What follows a change, decided by what it touched.
    async fn follow(&self, ws: i64, what: Changes) -> Result<u64, AppError> {
        let now = self.clock.now();
        let today = now.date_naive();
        if what.touches(Changes::REVENUE) {
            self.store.settle_revenue(ws).await?;
        }
        let mut changed = 0;
        if what.rescores() {
            let scores = crate::rescore::rescore_workspace(&self.store, ws, today, now).await?;
            let likelihoods = crate::likelihood::refresh(&self.store, ws, today, now).await?;
            changed = (scores.changed + likelihoods.changed) as u64;
        }
        crate::close_loop::refresh_with(&self.store, ws, self.semantic()).await?;
        let event = if what.rescores() {
            LiveEvent::Rescored { changed }
        } else {
            LiveEvent::LoopChanged { account_id: None }
        };
        self.changed(ws, event);
        Ok(changed)
    }
}

/// The worker every server runs: resumes what a stopped server left running, then takes due
/// jobs one at a time as they are woken for or found.
pub async fn run(data: Arc<Data>) {
    match data.store.resume_jobs(data.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "resuming follow-ups a stopped server left unfinished"),
        Err(e) => tracing::error!(error = %e, "cannot resume unfinished jobs"),
    }
    let mut polls = 0u32;
    loop {
        match data.store.take_job(None, &data.replica, data.clock.now()).await {
            Ok(Some(job)) => {
                let _ = data.run_job(job).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot claim a job"),
        }
        let woken = data.jobs_wake.notified();
        let _ = tokio::time::timeout(POLL, woken).await;
        polls = polls.wrapping_add(1);
        // Replicas: now and then, take back jobs whose server stopped holding them.
        if polls.is_multiple_of(150) && data.store.backend() == crate::store::Backend::Postgres {
            if let Err(e) = data.store.resume_jobs(data.clock.now()).await {
                tracing::error!(error = %e, "cannot resume unfinished jobs");
            }
        }
    }
}
