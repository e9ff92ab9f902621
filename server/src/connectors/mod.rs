//! Talking to the vendors. Each connector pages through its vendor's API with [`http::VendorHttp`]
//! (auth, timeouts, rate limit, retries) and hands pages of records to a [`SyncRun`], which writes
//! each page with its cursor in one transaction and reports progress.

pub mod attio;
pub mod feeds;
pub mod github;
pub mod http;
pub mod hubspot;
pub mod posthog;
pub mod registry;
pub mod retry;
pub mod salesbricks;
pub mod stripe;
pub mod webhooks;

use crate::store::sync::SyncPage;
use crate::store::{Store, StoreError};
use app::live::SyncProgress;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A connection's target that cannot be read (a repository list, feed URLs), as a sync's error.
fn invalid_target(why: String) -> SyncError {
    SyncError::Store(StoreError::Invalid(why))
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Vendor(#[from] http::VendorError),
    #[error("writing the synced data failed: {0}")]
    Store(#[from] StoreError),
}

/// Pages fetched ahead of the one being written: enough to ride out a run of slow pages (a page of
/// new accounts writes in ~12 ms against Stripe's 10.5 ms pace), a few MB of records at most.
pub const PAGES_AHEAD: usize = 48;

/// One run of one connector in one workspace.
pub struct SyncRun<'a> {
    pub store: &'a Store,
    pub workspace_id: i64,
    pub source: &'static str,
    pub progress: SyncProgress,
    pub now: &'a (dyn Fn() -> DateTime<Utc> + Sync),
    pub report: &'a (dyn Fn(&SyncProgress) + Sync),
    steps: Vec<&'static str>,
    /// Time spent writing pages (the rest of a run is the vendor's).
    pub writing: std::time::Duration,
}

impl<'a> SyncRun<'a> {
    pub fn new(
        store: &'a Store,
        workspace_id: i64,
        source: &'static str,
        run_id: i64,
        steps: Vec<&'static str>,
        now: &'a (dyn Fn() -> DateTime<Utc> + Sync),
        report: &'a (dyn Fn(&SyncProgress) + Sync),
    ) -> Self {
        SyncRun {
            store,
            workspace_id,
            source,
            progress: SyncProgress {
                source: source.to_string(),
                run_id,
                step: steps.first().copied().unwrap_or("").to_string(),
                step_no: 1,
                steps: steps.len() as u32,
                fetched: 0,
                written: 0,
                skipped: 0,
                finished: false,
                error: None,
            },
            now,
            report,
            steps,
            writing: std::time::Duration::ZERO,
        }
    }

    /// Where the last stored page of `resource` left off (a resumed run starts there).
    pub async fn cursor(&mut self, resource: &'static str) -> Result<Option<String>, StoreError> {
        self.enter(resource);
        (self.report)(&self.progress);
        self.store.sync_cursor(self.workspace_id, self.source, resource).await
    }

    fn enter(&mut self, resource: &'static str) {
        if let Some(i) = self.steps.iter().position(|s| *s == resource) {
            self.progress.step_no = i as u32 + 1;
        }
        self.progress.step = resource.to_string();
    }

    /// Writes the pages `fetch` sends while it goes on fetching the next ones, so the vendor's rate
    /// limit rather than the database sets the pace. Pages are written in the order sent, each with
    /// its cursor; at most [`PAGES_AHEAD`] wait, which bounds memory by the page size. A failed write
    /// stops the fetching; after a failed fetch the pages already fetched are written first.
    pub async fn write_while_fetching<F, Fut>(&mut self, fetch: F) -> Result<(), SyncError>
    where
        F: FnOnce(tokio::sync::mpsc::Sender<SyncPage>) -> Fut,
        Fut: std::future::Future<Output = Result<(), SyncError>>,
    {
        let (pages, mut waiting) = tokio::sync::mpsc::channel(PAGES_AHEAD);
        let run = &mut *self;
        // Owning the receiver, the writer closes the channel when it stops, which ends the fetching.
        let writing = async move {
            while let Some(page) = waiting.recv().await {
                run.write(page).await?;
            }
            Ok::<(), SyncError>(())
        };
        let (fetched, written) = tokio::join!(fetch(pages), writing);
        written?;
        fetched
    }

    /// Stores one page and its cursor together, then reports progress.
    pub async fn write(&mut self, page: SyncPage) -> Result<usize, StoreError> {
        self.enter(page.resource);
        let started = std::time::Instant::now();
        let written = self
            .store
            .write_sync_page(
                self.workspace_id,
                self.source,
                self.progress.run_id,
                &page,
                (self.now)(),
            )
            .await?;
        self.writing += started.elapsed();
        self.progress.fetched += page.fetched as u64;
        self.progress.written += written as u64;
        self.progress.skipped += page.fetched.saturating_sub(written) as u64;
        (self.report)(&self.progress);
        Ok(written)
    }
}

/// `YYYY-MM-DD` of a Unix timestamp (UTC).
pub fn day_of_unix(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "1970-01-01".into())
}

/// The company domain of an email address; none for free mail providers, which say nothing about
/// the company.
pub fn email_domain(email: &str) -> Option<String> {
    const FREE_MAIL: &[&str] = &[
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
    ];
    let domain = email.rsplit_once('@')?.1.trim().to_ascii_lowercase();
    (domain.contains('.') && !FREE_MAIL.contains(&domain.as_str())).then_some(domain)
}

/// Maps each record, setting aside the malformed ones with the reason (named by their `id`).
pub fn keep<T>(
    data: &[Value],
    map: impl FnMut(&Value) -> Result<T, String>,
    skipped: &mut Vec<(String, String)>,
) -> Vec<T> {
    keep_by(data, |r| r.get("id").and_then(Value::as_str), map, skipped)
}

/// [`keep`] for vendors whose records carry their id elsewhere.
pub fn keep_by<T>(
    data: &[Value],
    id_of: impl Fn(&Value) -> Option<&str>,
    mut map: impl FnMut(&Value) -> Result<T, String>,
    skipped: &mut Vec<(String, String)>,
) -> Vec<T> {
    data.iter()
        .filter_map(|record| match map(record) {
            Ok(t) => Some(t),
            Err(why) => {
                skipped.push((id_of(record).unwrap_or("(no id)").to_string(), why));
                None
            }
        })
        .collect()
}

/// A workspace pipeline stage as (key, label, outcome).
pub type Stage = (String, String, String);

/// The workspace stage a CRM's stage name maps to: the stage of that name, else the first won,
/// lost or open stage by what the name says.
pub fn stage_for(title: &str, stages: &[Stage]) -> Option<String> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    let wanted = norm(title);
    if let Some((key, _, _)) = stages
        .iter()
        .find(|(key, label, _)| norm(label) == wanted || norm(key) == wanted)
    {
        return Some(key.clone());
    }
    let outcome = if wanted.contains("won") {
        "won"
    } else if wanted.contains("lost") {
        "lost"
    } else {
        "open"
    };
    stages.iter().find(|(_, _, o)| o == outcome).map(|(k, _, _)| k.clone())
}
