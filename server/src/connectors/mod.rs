//! Talking to the vendors. Each connector pages through its vendor's API with [`http::VendorHttp`]
//! (auth, timeouts, rate limit, retries) and hands pages of records to a [`SyncRun`], which writes
//! each page with its cursor in one transaction and reports progress.

pub mod attio;
pub mod feeds;
pub mod github;
pub mod http;
pub mod hubspot;
pub mod posthog;
pub mod retry;
pub mod salesbricks;
pub mod stripe;
pub mod webhooks;

use crate::store::sync::SyncPage;
use crate::store::{Store, StoreError};
use app::live::SyncProgress;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Vendor(#[from] http::VendorError),
    #[error("writing the synced data failed: {0}")]
    Store(#[from] StoreError),
}

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
