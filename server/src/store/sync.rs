//! What connectors write: integrations (with sealed credentials), sync runs and their cursors, and
//! vendor records mapped to accounts, revenue sources and invoices. Each page of a sync is written
//! in one transaction together with its cursor, so a killed sync leaves no half page and resumes
//! after the last page it stored.

use super::jobs::{enqueue_after_change, Changes};
use super::load::upsert_rows;
use super::sql::{RowExt, Sql, Val};
use super::{Backend, Result, Store, StoreError};
use app::integrations::{RunProblems, RunReason};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// A company as one vendor knows it. `also` carries the other vendors' ids the record names (a
/// Salesbricks customer's `stripe_customer_id`), which match before anything else.
#[derive(Clone, Debug, PartialEq)]
pub struct CompanyRecord {
    pub source: &'static str,
    pub external_id: String,
    pub name: String,
    pub domain: Option<String>,
    pub also: Vec<(&'static str, String)>,
}

/// A Stripe subscription or Salesbricks contract, already priced in the workspace currency.
#[derive(Clone, Debug, PartialEq)]
pub struct RevenueRecord {
    pub source: &'static str,
    pub external_id: String,
    /// The company this belongs to, as (source, external id) of a [`CompanyRecord`].
    pub company: (&'static str, String),
    pub plan: String,
    pub status: String,
    pub currency: String,
    pub mrr_minor: i64,
    pub counted: bool,
    pub billing_interval: &'static str,
    pub interval_count: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub renewal_date: Option<String>,
    pub payment_state: &'static str,
    pub auto_renew: bool,
    pub cancel_at_period_end: bool,
    pub stripe_customer_id: Option<String>,
    /// The trial this subscription began with, if any.
    pub trial: Option<TrialRecord>,
}

/// A trial as the billing vendor reports it; it lands in `trials`, keyed by its subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRecord {
    pub started_on: String,
    pub ends_on: String,
    /// Seats on the subscription: the people the trial was for.
    pub seats: i64,
    /// ARR it will bring once it converts, at its price (workspace currency, minor units).
    pub potential_arr_minor: i64,
    /// `None` while it runs; "converted" or "lapsed" once decided.
    pub outcome: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InvoiceRecord {
    pub external_id: String,
    pub company: (&'static str, String),
    /// (source, external id) of the revenue source it bills, when known.
    pub revenue_source: Option<(&'static str, String)>,
    pub status: String,
    pub currency: String,
    pub amount_due_minor: i64,
    pub amount_paid_minor: i64,
    pub amount_remaining_minor: i64,
    pub attempt_count: i64,
    pub issued_on: String,
    pub due_on: Option<String>,
    pub paid_at: Option<String>,
}

/// What an enrichment vendor (HubSpot) knows of a company; it only ever enriches an existing account.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrichmentRecord {
    pub source: &'static str,
    pub external_id: String,
    pub name: String,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub country: Option<String>,
    /// (label, value) of the workspace's own company properties.
    pub custom_fields: Vec<(String, String)>,
}

/// A company a product-analytics vendor (PostHog) knows: it links to an existing account by its
/// ids or domain and never creates one.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkRecord {
    pub company: CompanyRecord,
    /// Further domains the vendor lists for the company (Attio's are multi-valued), tried after
    /// `company.domain` when linking.
    pub other_domains: Vec<String>,
    /// Seats the customer pays for, when the product reports them.
    pub licensed_seats: Option<i64>,
}

/// One company's week of product use: active users, or active users per feature.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRecord {
    pub company: (&'static str, String),
    /// Monday, `YYYY-MM-DD`.
    pub week_start: String,
    pub measure: UsageMeasure,
}

#[derive(Clone, Debug, PartialEq)]
pub enum UsageMeasure {
    ActiveUsers(i64),
    /// Feature key → active users of it; the whole week's list.
    Features(Vec<(String, i64)>),
}

/// Something that shipped: a GitHub release, a feed entry, a changelog section.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleaseRecord {
    /// `github`, `rss` or `changelog`.
    pub source: &'static str,
    pub external_id: String,
    pub title: String,
    /// Markdown or text.
    pub body: String,
    pub url: Option<String>,
    /// `YYYY-MM-DD`, the day in the publisher's own time zone.
    pub published_on: String,
    /// `YYYY-MM-DDTHH:MM:SS` in the same time zone, when the source says: orders a day's releases.
    pub published_at: Option<String>,
}

/// A CRM deal (Attio), on its company's account.
#[derive(Clone, Debug, PartialEq)]
pub struct DealRecord {
    pub source: &'static str,
    pub external_id: String,
    pub company: (&'static str, String),
    pub name: String,
    /// The workspace stage key it maps to.
    pub stage: String,
    /// The stage as the vendor names it: a local move holds until this changes.
    pub vendor_stage: String,
    pub amount_minor: i64,
    /// `None`: the workspace currency.
    pub currency: Option<String>,
    pub expected_close: Option<String>,
    pub closed_lost_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Records {
    Companies(Vec<CompanyRecord>),
    Revenue(Vec<RevenueRecord>),
    Invoices(Vec<InvoiceRecord>),
    Enrichments(Vec<EnrichmentRecord>),
    Links(Vec<LinkRecord>),
    Usage(Vec<UsageRecord>),
    Releases(Vec<ReleaseRecord>),
    /// Deals to upsert, and which of the source's deals are gone from the vendor.
    Deals(Vec<DealRecord>, Gone),
}

/// Deals a vendor no longer has, removed from Pipeline when the page is written.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Gone {
    #[default]
    Nothing,
    /// These deals of the source (external ids): deleted in the vendor (a Salesbricks "closed
    /// delete" order, an Attio record gone).
    Ids(&'static str, Vec<String>),
}

/// One page of one resource, as fetched.
#[derive(Clone, Debug)]
pub struct SyncPage {
    pub resource: &'static str,
    /// Companies the records belong to (embedded in them by the vendor), written first.
    pub companies: Vec<CompanyRecord>,
    pub records: Records,
    /// Where to resume after this page; `None` when the resource is finished.
    pub next_cursor: Option<String>,
    /// Records the vendor sent, including skipped ones.
    pub fetched: usize,
    /// Records skipped before writing: (record id, why).
    pub skipped: Vec<(String, String)>,
    /// Records written after a repair: (record id, what was missing and what was used instead).
    pub repaired: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct IntegrationRow {
    pub source: String,
    pub config: serde_json::Value,
    pub sealed: Option<Vec<u8>>,
    pub schedule_minutes: i64,
    pub connected_at: String,
    pub last_test: Option<String>,
}

/// The cursor of a resource a run has fetched to the end.
pub const DONE: &str = "done";

/// Statuses a run passes through.
pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

impl Store {
    pub async fn save_integration(
        &self,
        ws: i64,
        source: &str,
        config: &serde_json::Value,
        sealed: Option<Vec<u8>>,
        schedule_minutes: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO integrations (workspace_id, source, config, secret_sealed, schedule_minutes, connected_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (workspace_id, source) DO UPDATE SET config = excluded.config, \
               secret_sealed = excluded.secret_sealed, schedule_minutes = excluded.schedule_minutes, last_test = NULL",
        )
        .bind(ws)
        .bind(source)
        .bind(config.to_string())
        .bind(sealed)
        .bind(schedule_minutes)
        .bind(now.to_rfc3339())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn integration(&self, ws: i64, source: &str) -> Result<Option<IntegrationRow>> {
        let row = sqlx::query(
            "SELECT source, config, secret_sealed, schedule_minutes, connected_at, last_test FROM integrations \
             WHERE workspace_id = $1 AND source = $2",
        )
        .bind(ws)
        .bind(source)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| integration_row(&r)).transpose()
    }

    pub async fn integrations(&self, ws: i64) -> Result<Vec<IntegrationRow>> {
        let rows = sqlx::query(
            "SELECT source, config, secret_sealed, schedule_minutes, connected_at, last_test FROM integrations \
             WHERE workspace_id = $1 ORDER BY source",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(integration_row).collect()
    }

    /// Forgets the credentials and where the syncs stopped; the data already synced stays.
    pub async fn delete_integration(&self, ws: i64, source: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM integrations WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM sync_cursors WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(gone > 0)
    }

    pub async fn set_integration_test(&self, ws: i64, source: &str, outcome: &str) -> Result<()> {
        sqlx::query("UPDATE integrations SET last_test = $3 WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .bind(outcome)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Starts a run; refuses while another run of the same integration is going.
    pub async fn start_sync_run(&self, ws: i64, source: &str, now: DateTime<Utc>) -> Result<i64> {
        self.start_run(ws, source, None, now).await
    }

    /// Starts a scheduled run unless one started at or after `due_since` (another replica took
    /// this turn of the schedule) or one is going; `None` when there is nothing to do.
    pub async fn start_scheduled_sync_run(
        &self,
        ws: i64,
        source: &str,
        due_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        match self.start_run(ws, source, Some(due_since), now).await {
            Ok(id) => Ok(Some(id)),
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn start_run(
        &self,
        ws: i64,
        source: &str,
        due_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // Serialises starts for one workspace, so two clicks cannot both begin a run.
            sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR UPDATE")
                .bind(ws)
                .execute(&mut *tx)
                .await?;
        }
        let running = sqlx::query("SELECT id FROM sync_runs WHERE workspace_id = $1 AND source = $2 AND status = $3")
            .bind(ws)
            .bind(source)
            .bind(RUNNING)
            .fetch_optional(&mut *tx)
            .await?;
        if running.is_some() {
            return Err(StoreError::Conflict(
                "A sync of this integration is already running.".into(),
            ));
        }
        if let Some(since) = due_since {
            let taken =
                sqlx::query("SELECT id FROM sync_runs WHERE workspace_id = $1 AND source = $2 AND started_at >= $3")
                    .bind(ws)
                    .bind(source)
                    .bind(since.to_rfc3339())
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict("This turn of the schedule already ran.".into()));
            }
        }
        let id = sqlx::query(
            "INSERT INTO sync_runs (workspace_id, source, status, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(ws)
        .bind(source)
        .bind(RUNNING)
        .bind(now.to_rfc3339())
        .fetch_one(&mut *tx)
        .await?
        .int("id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records how a run ended and, with it, the follow-up of what it stored (whatever was stored
    /// counts, even when a later page failed).
    pub async fn finish_sync_run(&self, run_id: i64, error: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let ws = sqlx::query(
            "UPDATE sync_runs SET status = $2, error = $3, finished_at = $4, step = NULL WHERE id = $1 \
             RETURNING workspace_id",
        )
        .bind(run_id)
        .bind(if error.is_some() { FAILED } else { SUCCEEDED })
        .bind(error)
        .bind(now.to_rfc3339())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = ws {
            enqueue_after_change(&mut tx, row.try_get("workspace_id")?, Changes::REVENUE, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs left `running` by a process that stopped; their cursors stay, so the next run resumes.
    /// `silent_since`: only runs that have not written a page since then (with replicas on
    /// Postgres, a run without that bound may be alive on another server).
    pub async fn fail_interrupted_runs(&self, silent_since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<u64> {
        // RFC 3339 in UTC sorts as text; with no bound every running run is compared to the future.
        let bound = silent_since
            .unwrap_or(now + chrono::Duration::days(36_500))
            .to_rfc3339();
        let mut tx = self.begin_write().await?;
        let stopped = sqlx::query(
            "UPDATE sync_runs SET status = $1, finished_at = $2, \
               error = 'Interrupted: the server stopped during this sync. The next sync resumes where it stopped.' \
             WHERE status = $3 AND COALESCE(heartbeat_at, started_at) < $4 RETURNING workspace_id",
        )
        .bind(FAILED)
        .bind(now.to_rfc3339())
        .bind(RUNNING)
        .bind(bound)
        .fetch_all(&mut *tx)
        .await?;
        // The pages such a run stored count: they are rolled up and scored.
        for row in &stopped {
            enqueue_after_change(&mut tx, row.try_get("workspace_id")?, Changes::REVENUE, now).await?;
        }
        tx.commit().await?;
        Ok(stopped.len() as u64)
    }

    pub async fn sync_cursor(&self, ws: i64, source: &str, resource: &str) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT cursor FROM sync_cursors WHERE workspace_id = $1 AND source = $2 AND resource = $3")
                .bind(ws)
                .bind(source)
                .bind(resource)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| r.text("cursor")).transpose()
    }

    /// A run finished: the next one starts from the beginning.
    pub async fn clear_sync_cursors(&self, ws: i64, source: &str) -> Result<()> {
        sqlx::query("DELETE FROM sync_cursors WHERE workspace_id = $1 AND source = $2")
            .bind(ws)
            .bind(source)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The external ids of a source's deals not written since `since` (the run's RFC 3339 time).
    pub async fn deals_not_updated_since(&self, ws: i64, source: &str, since: &str) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT external_id FROM deals WHERE workspace_id = $1 AND source = $2 AND updated_at < $3 \
             AND external_id IS NOT NULL ORDER BY id",
        )
        .bind(ws)
        .bind(source)
        .bind(since)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.text("external_id"))
        .collect()
    }

    /// What a run skipped or repaired, counted by resource and reason, and its first 100 records —
    /// skipped before repaired, malformed before those that only matched no account, which can
    /// be thousands; only for a run of this workspace.
    pub async fn sync_run_errors(&self, ws: i64, run_id: i64) -> Result<RunProblems> {
        sqlx::query("SELECT id FROM sync_runs WHERE id = $1 AND workspace_id = $2")
            .bind(run_id)
            .bind(ws)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("That sync run"))?;
        let reasons = sqlx::query(
            "SELECT resource, outcome, reason, CAST(COUNT(*) AS BIGINT) AS n FROM sync_run_errors \
             WHERE run_id = $1 AND reason <> '' GROUP BY resource, outcome, reason \
             ORDER BY outcome DESC, COUNT(*) DESC, resource, reason",
        )
        .bind(run_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(RunReason {
                resource: r.text("resource")?,
                outcome: r.text("outcome")?,
                reason: r.text("reason")?,
                count: r.int("n")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query(
            "SELECT e.record, e.message FROM sync_run_errors e JOIN sync_runs r ON r.id = e.run_id \
             WHERE e.run_id = $1 AND r.workspace_id = $2 \
             ORDER BY e.outcome DESC, CASE WHEN e.message LIKE $3 THEN 1 ELSE 0 END, e.id LIMIT 100",
        )
        .bind(run_id)
        .bind(ws)
        .bind(format!("%{LINK_HINT}%"))
        .fetch_all(self.pool())
        .await?;
        let records = rows
            .iter()
            .map(|r| Ok((r.text("record")?, r.text("message")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(RunProblems { reasons, records })
    }

    /// Writes one page with its cursor and the run's counters, all or nothing. Returns the rows written.
    pub async fn write_sync_page(
        &self,
        ws: i64,
        source: &str,
        run_id: i64,
        page: &SyncPage,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let conn = &mut *tx;
        let mut skipped = page.skipped.clone();
        let written = self
            .write_records_in(conn, ws, &page.companies, &page.records, &mut skipped, now)
            .await?;
        // A finished resource keeps a DONE mark until the whole run succeeds, so a run that is
        // interrupted later resumes after it instead of fetching it again.
        sqlx::query(
            "INSERT INTO sync_cursors (workspace_id, source, resource, cursor) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, source, resource) DO UPDATE SET cursor = excluded.cursor",
        )
        .bind(ws)
        .bind(source)
        .bind(page.resource)
        .bind(page.next_cursor.as_deref().unwrap_or(DONE))
        .execute(&mut *conn)
        .await?;
        let noted = skipped
            .iter()
            .map(|r| ("skipped", r))
            .chain(page.repaired.iter().map(|r| ("repaired", r)));
        for (outcome, (record, message)) in noted {
            sqlx::query(
                "INSERT INTO sync_run_errors (run_id, record, message, resource, outcome, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(run_id)
            .bind(record)
            .bind(message)
            .bind(page.resource)
            .bind(outcome)
            .bind(app::integrations::reason_of(message))
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(
            "UPDATE sync_runs SET fetched = fetched + $2, written = written + $3, skipped = skipped + $4, \
               step = $5, cursor = $6, heartbeat_at = $7, repaired = repaired + $8 WHERE id = $1",
        )
        .bind(run_id)
        .bind(page.fetched as i64)
        .bind(written as i64)
        .bind(skipped.len() as i64)
        .bind(page.resource)
        .bind(page.next_cursor.as_deref())
        .bind(now.to_rfc3339())
        .bind(page.repaired.len() as i64)
        .execute(&mut *conn)
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Records from outside a sync (a webhook), in one transaction; returns (written, skipped).
    pub async fn write_records(
        &self,
        ws: i64,
        records: &Records,
        now: DateTime<Utc>,
    ) -> Result<(usize, Vec<(String, String)>)> {
        let mut tx = self.begin_write().await?;
        let mut skipped = Vec::new();
        let written = self
            .write_records_in(&mut tx, ws, &[], records, &mut skipped, now)
            .await?;
        enqueue_after_change(&mut tx, ws, Changes::REVENUE, now).await?;
        tx.commit().await?;
        Ok((written, skipped))
    }

    /// Writes a page's companies, then its records, in statements per page rather than per record:
    /// the accounts of every id on the page are looked up at once, records are upserted in
    /// multi-row statements, and only companies seen for the first time take the slow path.
    async fn write_records_in(
        &self,
        conn: &mut AnyConnection,
        ws: i64,
        companies: &[CompanyRecord],
        records: &Records,
        skipped: &mut Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let listed: &[CompanyRecord] = match records {
            Records::Companies(c) => c,
            _ => &[],
        };
        let all_companies: Vec<&CompanyRecord> = companies.iter().chain(listed).collect();
        let mut keys: Vec<(&str, String)> = Vec::new();
        for c in &all_companies {
            keys.push((c.source, c.external_id.clone()));
            keys.extend(c.also.iter().cloned());
        }
        match records {
            Records::Revenue(rs) => keys.extend(rs.iter().map(|r| r.company.clone())),
            Records::Invoices(is) => keys.extend(is.iter().map(|i| i.company.clone())),
            Records::Enrichments(es) => keys.extend(es.iter().map(|e| (e.source, e.external_id.clone()))),
            Records::Links(ls) => {
                for l in ls {
                    keys.push((l.company.source, l.company.external_id.clone()));
                    keys.extend(l.company.also.iter().cloned());
                }
            }
            Records::Usage(us) => keys.extend(us.iter().map(|u| u.company.clone())),
            Records::Deals(ds, _) => keys.extend(ds.iter().map(|d| d.company.clone())),
            Records::Companies(_) | Records::Releases(_) => {}
        }
        keys.sort_unstable();
        keys.dedup();
        let mut known = self.accounts_of(conn, ws, &keys).await?;
        // Companies none of whose ids is linked yet: matched by domain, else new accounts.
        let is_known = |known: &HashMap<(String, String), i64>, c: &CompanyRecord| {
            std::iter::once((c.source, &c.external_id))
                .chain(c.also.iter().map(|(s, e)| (*s, e)))
                .find_map(|(s, e)| known.get(&(s.to_string(), e.clone())).copied())
        };
        let new_domains: Vec<String> = all_companies
            .iter()
            .filter(|c| is_known(&known, c).is_none())
            .filter_map(|c| c.domain.as_deref().map(str::to_ascii_lowercase))
            .collect();
        let by_domain = accounts_by_domain(conn, ws, &new_domains).await?;
        // Each company's account: known, by domain, or a new one (one per domain on the page).
        enum Target {
            Existing(i64),
            New(usize),
        }
        let mut new_accounts: Vec<(&str, Option<String>)> = Vec::new();
        let mut new_by_domain: HashMap<String, usize> = HashMap::new();
        let mut targets: Vec<Target> = Vec::with_capacity(all_companies.len());
        for c in &all_companies {
            let domain = c.domain.as_deref().map(str::to_ascii_lowercase);
            let target = match is_known(&known, c) {
                Some(account) => Target::Existing(account),
                None => match domain.as_ref().and_then(|d| by_domain.get(d).copied()) {
                    Some(account) => Target::Existing(account),
                    None => match domain.as_ref().and_then(|d| new_by_domain.get(d).copied()) {
                        Some(slot) => Target::New(slot),
                        None => {
                            if let Some(d) = &domain {
                                new_by_domain.insert(d.clone(), new_accounts.len());
                            }
                            new_accounts.push((c.name.as_str(), domain));
                            Target::New(new_accounts.len() - 1)
                        }
                    },
                },
            };
            targets.push(target);
        }
        let created = insert_accounts(conn, ws, &new_accounts, now).await?;
        let mut links: Vec<(i64, &str, String)> = Vec::new();
        for (c, target) in all_companies.iter().zip(targets) {
            let account = match target {
                Target::Existing(a) => a,
                Target::New(slot) => created[slot],
            };
            let mut ids = vec![(c.source, c.external_id.clone())];
            ids.extend(c.also.iter().cloned());
            for (source, external_id) in ids {
                let key = (source.to_string(), external_id.clone());
                if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(key) {
                    slot.insert(account);
                    links.push((account, source, external_id));
                }
            }
        }
        upsert_rows(
            self.backend(),
            conn,
            "account_external_ids",
            &["workspace_id", "account_id", "source", "external_id"],
            " ON CONFLICT (workspace_id, source, external_id) DO NOTHING",
            &links,
            |_, (account, source, external_id), v| {
                v.extend([
                    Val::Int(ws),
                    Val::Int(*account),
                    (*source).into(),
                    external_id.clone().into(),
                ]);
            },
        )
        .await?;
        let account_of = |company: &(&str, String)| known.get(&(company.0.to_string(), company.1.clone())).copied();
        Ok(match records {
            Records::Companies(c) => c.len(),
            Records::Enrichments(es) => {
                let unlinked: Vec<String> = es
                    .iter()
                    .filter(|e| !known.contains_key(&(e.source.to_string(), e.external_id.clone())))
                    .filter_map(|e| e.domain.clone())
                    .collect();
                let by_domain = accounts_by_domain(conn, ws, &unlinked).await?;
                let mut n = 0;
                for e in es {
                    let key = (e.source.to_string(), e.external_id.clone());
                    let account = known
                        .get(&key)
                        .copied()
                        .or_else(|| e.domain.as_ref().and_then(|d| by_domain.get(d).copied()));
                    let Some(account) = account else {
                        skipped.push((e.external_id.clone(), no_account(e.domain.as_deref())));
                        remember_unmatched(conn, ws, e.source, &e.external_id, &e.name, e.domain.as_deref(), now)
                            .await?;
                        continue;
                    };
                    if !known.contains_key(&key) {
                        link(conn, ws, account, e.source, &e.external_id).await?;
                    }
                    sqlx::query(
                        "UPDATE accounts SET industry = COALESCE($3, industry), employees = COALESCE($4, employees), \
                           country = COALESCE($5, country), custom_fields = $6, domain = COALESCE(domain, $7) \
                         WHERE id = $1 AND workspace_id = $2",
                    )
                    .bind(account)
                    .bind(ws)
                    .bind(e.industry.as_deref())
                    .bind(e.employees)
                    .bind(e.country.as_deref())
                    .bind(serde_json::to_string(&e.custom_fields).unwrap_or_else(|_| "[]".into()))
                    .bind(e.domain.as_deref())
                    .execute(&mut *conn)
                    .await?;
                    n += 1;
                }
                n
            }
            Records::Links(ls) => {
                let unlinked: Vec<String> = ls
                    .iter()
                    .filter(|l| is_known(&known, &l.company).is_none())
                    .flat_map(|l| l.company.domain.iter().chain(&l.other_domains).cloned())
                    .collect();
                let by_domain = accounts_by_domain(conn, ws, &unlinked).await?;
                let mut n = 0;
                for l in ls {
                    let c = &l.company;
                    let account = is_known(&known, c).or_else(|| {
                        c.domain
                            .iter()
                            .chain(&l.other_domains)
                            .find_map(|d| by_domain.get(d).copied())
                    });
                    let Some(account) = account else {
                        skipped.push((c.external_id.clone(), no_account(c.domain.as_deref())));
                        remember_unmatched(conn, ws, c.source, &c.external_id, &c.name, c.domain.as_deref(), now)
                            .await?;
                        continue;
                    };
                    if !known.contains_key(&(c.source.to_string(), c.external_id.clone())) {
                        link(conn, ws, account, c.source, &c.external_id).await?;
                    }
                    if let Some(seats) = l.licensed_seats {
                        sqlx::query("UPDATE accounts SET licensed_seats = $3 WHERE id = $1 AND workspace_id = $2")
                            .bind(account)
                            .bind(ws)
                            .bind(seats)
                            .execute(&mut *conn)
                            .await?;
                    }
                    n += 1;
                }
                n
            }
            Records::Usage(us) => {
                let mut rows: Vec<(i64, &UsageRecord)> = Vec::with_capacity(us.len());
                let mut unlinked: Vec<&str> = Vec::new();
                for u in us {
                    match account_of(&u.company) {
                        Some(account) => rows.push((account, u)),
                        None if !unlinked.contains(&u.company.1.as_str()) => {
                            unlinked.push(&u.company.1);
                            skipped.push((
                                u.company.1.clone(),
                                format!("its group is linked to no account; its usage is not kept ({LINK_HINT})"),
                            ));
                        }
                        None => {}
                    }
                }
                upsert_usage(self.backend(), conn, ws, &rows).await?;
                rows.len()
            }
            Records::Deals(ds, gone) => {
                let mut n = 0;
                for d in ds {
                    let Some(account) = account_of(&d.company) else {
                        skipped.push((
                            d.external_id.clone(),
                            format!("its company is linked to no account: {} ({LINK_HINT})", d.company.1),
                        ));
                        continue;
                    };
                    upsert_deal(conn, ws, account, d, now).await?;
                    n += 1;
                }
                // Removals are not records written.
                remove_gone_deals(conn, ws, gone).await?;
                n
            }
            Records::Releases(rs) => {
                upsert_rows(
                    self.backend(),
                    conn,
                    "releases",
                    &[
                        "workspace_id",
                        "source",
                        "external_id",
                        "title",
                        "body",
                        "url",
                        "published_on",
                        "published_at",
                    ],
                    " ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET title = excluded.title, \
                       body = excluded.body, url = excluded.url, published_on = excluded.published_on, \
                       published_at = excluded.published_at",
                    rs,
                    |_, r, v| {
                        v.extend([
                            Val::Int(ws),
                            r.source.into(),
                            r.external_id.clone().into(),
                            r.title.clone().into(),
                            r.body.clone().into(),
                            r.url.clone().into(),
                            r.published_on.clone().into(),
                            r.published_at.clone().into(),
                        ]);
                    },
                )
                .await?;
                rs.len()
            }
            Records::Revenue(rs) => {
                let mut rows = Vec::with_capacity(rs.len());
                for r in rs {
                    match account_of(&r.company) {
                        Some(account) => rows.push((account, r)),
                        None => skipped.push((r.external_id.clone(), unknown_company(&r.company))),
                    }
                }
                upsert_revenue(self.backend(), conn, ws, &rows).await?;
                upsert_trials(self.backend(), conn, ws, &rows).await?;
                rows.len()
            }
            Records::Invoices(is) => {
                let mut rows = Vec::with_capacity(is.len());
                for r in is {
                    match account_of(&r.company) {
                        Some(account) => rows.push((account, r)),
                        None => skipped.push((r.external_id.clone(), unknown_company(&r.company))),
                    }
                }
                let billed: Vec<(&str, String)> = rows.iter().filter_map(|(_, r)| r.revenue_source.clone()).collect();
                let sources = revenue_source_ids(conn, ws, &billed).await?;
                upsert_invoices(self.backend(), conn, ws, &rows, &sources).await?;
                rows.len()
            }
        })
    }

    /// The accounts already linked to these (source, external id) keys.
    async fn accounts_of(
        &self,
        conn: &mut AnyConnection,
        ws: i64,
        keys: &[(&str, String)],
    ) -> Result<HashMap<(String, String), i64>> {
        ids_by_key(conn, ws, "account_external_ids", "account_id", keys).await
    }

    /// After a sync: which Salesbricks contracts Stripe already bills, then each account's ARR,
    /// renewal and payment state.
    pub async fn settle_revenue(&self, ws: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE revenue_sources SET counted = (status = 'active' AND NOT EXISTS (
                SELECT 1 FROM revenue_sources s WHERE s.workspace_id = revenue_sources.workspace_id
                  AND s.source = 'stripe' AND s.counted AND s.stripe_customer_id = revenue_sources.stripe_customer_id))
             WHERE workspace_id = $1 AND source = 'salesbricks' AND stripe_customer_id IS NOT NULL",
        )
        .bind(ws)
        .execute(&mut *tx)
        .await?;
        self.refresh_rollups(&mut tx, ws).await?;
        // A customer whose only business is a running trial is a trial (Convert, lifecycle
        // filters), and a trial that now pays is a customer. Other lifecycles are someone's choice.
        sqlx::query(
            "UPDATE accounts SET lifecycle = 'trial' WHERE workspace_id = $1 AND lifecycle = 'customer' AND arr_minor = 0 \
               AND EXISTS (SELECT 1 FROM trials t WHERE t.account_id = accounts.id AND t.outcome IS NULL)",
        )
        .bind(ws)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE accounts SET lifecycle = 'customer' WHERE workspace_id = $1 AND lifecycle = 'trial' AND arr_minor > 0")
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Exchange rates to the workspace currency, for pricing revenue records.
    pub async fn rates(&self, ws: i64) -> Result<app::revenue::Rates> {
        let currency = sqlx::query("SELECT currency FROM workspaces WHERE id = $1")
            .bind(ws)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("The workspace"))?
            .text("currency")?;
        let mut rates = app::revenue::Rates::new(&currency);
        for r in sqlx::query("SELECT currency, millionths FROM exchange_rates WHERE workspace_id = $1")
            .bind(ws)
            .fetch_all(self.pool())
            .await?
        {
            rates = rates.with(&r.text("currency")?, r.int("millionths")?);
        }
        Ok(rates)
    }

    pub async fn set_rate(&self, ws: i64, currency: &str, millionths: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO exchange_rates (workspace_id, currency, millionths) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, currency) DO UPDATE SET millionths = excluded.millionths",
        )
        .bind(ws)
        .bind(currency.to_ascii_uppercase())
        .bind(millionths)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Remembers a webhook event id; false when it was seen before (a repeated delivery).
    pub async fn first_delivery(&self, ws: i64, source: &str, event_id: &str, now: DateTime<Utc>) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO webhook_events (workspace_id, source, event_id, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, source, event_id) DO NOTHING",
        )
        .bind(ws)
        .bind(source)
        .bind(event_id)
        .bind(now.to_rfc3339())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(inserted > 0)
    }
}

/// Ends every "matched no account" problem; a run's problem list puts these last.
const LINK_HINT: &str = "link it in Settings → Signals & matching";

fn no_account(domain: Option<&str>) -> String {
    match domain {
        Some(d) => {
            format!("no account has its domain: {d} (only billing and contracts bring in accounts; {LINK_HINT})")
        }
        None => format!("has no domain and is linked to no account ({LINK_HINT})"),
    }
}

/// Keeps a vendor company that matched no account, for Settings → Signals & matching.
pub(super) async fn remember_unmatched(
    conn: &mut AnyConnection,
    ws: i64,
    source: &str,
    external_id: &str,
    name: &str,
    domain: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO unmatched_companies (workspace_id, source, external_id, name, domain, seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, source, external_id) \
         DO UPDATE SET name = excluded.name, domain = excluded.domain, seen_at = excluded.seen_at",
    )
    .bind(ws)
    .bind(source)
    .bind(external_id)
    .bind(name)
    .bind(domain)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Links a vendor id to an account (and forgets it as unmatched).
async fn link(conn: &mut AnyConnection, ws: i64, account: i64, source: &str, external_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_external_ids (workspace_id, account_id, source, external_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, source, external_id) DO NOTHING",
    )
    .bind(ws)
    .bind(account)
    .bind(source)
    .bind(external_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM unmatched_companies WHERE workspace_id = $1 AND source = $2 AND external_id = $3")
        .bind(ws)
        .bind(source)
        .bind(external_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn unknown_company(company: &(&str, String)) -> String {
    format!(
        "its customer is not known yet: {}; the next sync picks it up",
        company.1
    )
}

fn integration_row(r: &sqlx::any::AnyRow) -> Result<IntegrationRow> {
    Ok(IntegrationRow {
        source: r.text("source")?,
        config: serde_json::from_str(&r.text("config")?)
            .map_err(|e| StoreError::Corrupt(format!("integration config: {e}")))?,
        sealed: r.try_get::<Option<Vec<u8>>, _>("secret_sealed")?,
        schedule_minutes: r.int("schedule_minutes")?,
        connected_at: r.text("connected_at")?,
        last_test: r.opt_text("last_test")?,
    })
}

/// The first account with each of these domains.
async fn accounts_by_domain(conn: &mut AnyConnection, ws: i64, domains: &[String]) -> Result<HashMap<String, i64>> {
    let mut found = HashMap::new();
    for chunk in domains.chunks(500) {
        let mut sql = Sql::new("SELECT domain, MIN(id) AS id FROM accounts WHERE workspace_id = ");
        sql.arg(ws).push(" AND domain");
        sql.in_list(&chunk.iter().map(String::as_str).collect::<Vec<_>>());
        sql.push(" GROUP BY domain");
        for row in sql.query().fetch_all(&mut *conn).await? {
            found.insert(row.text("domain")?, row.int("id")?);
        }
    }
    Ok(found)
}

async fn upsert_revenue(
    backend: Backend,
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(i64, &RevenueRecord)],
) -> Result<()> {
    upsert_rows(
        backend,
        conn,
        "revenue_sources",
        &[
            "workspace_id", "account_id", "source", "external_id", "plan", "status", "currency", "mrr_minor",
            "billing_interval", "interval_count", "start_date", "end_date", "renewal_date", "payment_state",
            "auto_renew", "cancel_at_period_end", "stripe_customer_id", "counted",
        ],
        " ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET account_id = excluded.account_id, \
           plan = excluded.plan, status = excluded.status, currency = excluded.currency, mrr_minor = excluded.mrr_minor, \
           billing_interval = excluded.billing_interval, interval_count = excluded.interval_count, \
           start_date = excluded.start_date, end_date = excluded.end_date, renewal_date = excluded.renewal_date, \
           payment_state = excluded.payment_state, auto_renew = excluded.auto_renew, \
           cancel_at_period_end = excluded.cancel_at_period_end, stripe_customer_id = excluded.stripe_customer_id, \
           counted = excluded.counted",
        rows,
        |_, (account, r), v| {
            v.extend([
                Val::Int(ws),
                Val::Int(*account),
                r.source.into(),
                r.external_id.clone().into(),
                r.plan.clone().into(),
                r.status.clone().into(),
                r.currency.clone().into(),
                Val::Int(r.mrr_minor),
                r.billing_interval.into(),
                Val::Int(r.interval_count),
                r.start_date.clone().into(),
                r.end_date.clone().into(),
                r.renewal_date.clone().into(),
                r.payment_state.into(),
                Val::Flag(r.auto_renew),
                Val::Flag(r.cancel_at_period_end),
                r.stripe_customer_id.clone().into(),
                Val::Flag(r.counted),
            ]);
        },
    )
    .await
}

/// The trials the subscriptions began with. A vendor does not know activation, so it stays 0 and the
/// conversion model counts it as unknown for these trials.
async fn upsert_trials(
    backend: Backend,
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(i64, &RevenueRecord)],
) -> Result<()> {
    let trials: Vec<(i64, &RevenueRecord, &TrialRecord)> = rows
        .iter()
        .filter_map(|(account, r)| r.trial.as_ref().map(|t| (*account, *r, t)))
        .collect();
    upsert_rows(
        backend,
        conn,
        "trials",
        &[
            "workspace_id",
            "account_id",
            "source",
            "external_id",
            "started_on",
            "ends_on",
            "seats",
            "activation_events",
            "outcome",
            "potential_minor",
        ],
        " ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET account_id = excluded.account_id, \
           started_on = excluded.started_on, ends_on = excluded.ends_on, seats = excluded.seats, \
           outcome = excluded.outcome, potential_minor = excluded.potential_minor",
        &trials,
        |_, (account, r, t), v| {
            v.extend([
                Val::Int(ws),
                Val::Int(*account),
                r.source.into(),
                r.external_id.clone().into(),
                t.started_on.clone().into(),
                t.ends_on.clone().into(),
                Val::Int(t.seats),
                Val::Int(0),
                t.outcome.into(),
                Val::Int(t.potential_arr_minor),
            ]);
        },
    )
    .await
}

/// Ids of the revenue sources these (source, external id) keys name.
async fn revenue_source_ids(
    conn: &mut AnyConnection,
    ws: i64,
    keys: &[(&str, String)],
) -> Result<HashMap<(String, String), i64>> {
    ids_by_key(conn, ws, "revenue_sources", "id", keys).await
}

/// `(source, external id) → id_column` of the rows of `table` with those keys, 500 keys a query.
async fn ids_by_key(
    conn: &mut AnyConnection,
    ws: i64,
    table: &str,
    id_column: &str,
    keys: &[(&str, String)],
) -> Result<HashMap<(String, String), i64>> {
    let mut found = HashMap::new();
    let mut sources: Vec<&str> = keys.iter().map(|(s, _)| *s).collect();
    sources.sort_unstable();
    sources.dedup();
    for source in sources {
        let ids: Vec<&str> = keys
            .iter()
            .filter(|(s, _)| *s == source)
            .map(|(_, e)| e.as_str())
            .collect();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new(&format!(
                "SELECT external_id, {id_column} AS found FROM {table} WHERE workspace_id = "
            ));
            sql.arg(ws).push(" AND source = ").arg(source).push(" AND external_id");
            sql.in_list(chunk);
            for row in sql.query().fetch_all(&mut *conn).await? {
                found.insert((source.to_string(), row.text("external_id")?), row.int("found")?);
            }
        }
    }
    Ok(found)
}

/// Removes a source's deals the vendor no longer has; returns how many.
async fn remove_gone_deals(conn: &mut AnyConnection, ws: i64, gone: &Gone) -> Result<usize> {
    let removed = match gone {
        Gone::Nothing => 0,
        Gone::Ids(source, ids) => {
            let mut n = 0;
            for id in ids {
                n += sqlx::query("DELETE FROM deals WHERE workspace_id = $1 AND source = $2 AND external_id = $3")
                    .bind(ws)
                    .bind(*source)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            }
            n
        }
    };
    Ok(removed as usize)
}

/// Inserts or updates a vendor's deal. A deal moved in Success keeps its stage until the vendor's
/// own stage changes; a deal entering a lost stage is dated.
async fn upsert_deal(
    conn: &mut AnyConnection,
    ws: i64,
    account: i64,
    d: &DealRecord,
    now: DateTime<Utc>,
) -> Result<()> {
    let today = now.format("%Y-%m-%d").to_string();
    sqlx::query(
        "INSERT INTO deals (workspace_id, account_id, name, stage, position, amount_minor, currency, expected_close, \
           source, external_id, closed_lost_reason, lost_on, vendor_stage, updated_at) \
         VALUES ($1, $2, $3, $4, \
           (SELECT COALESCE(MAX(position), 0) + 1 FROM deals WHERE workspace_id = $1 AND stage = $4), \
           $5, COALESCE($6, (SELECT currency FROM workspaces WHERE id = $1)), $7, $8, $9, $10, \
           CASE WHEN (SELECT outcome FROM pipeline_stages WHERE workspace_id = $1 AND key = $4) = 'lost' THEN $11 END, \
           $12, $13) \
         ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET \
           account_id = excluded.account_id, name = excluded.name, amount_minor = excluded.amount_minor, \
           currency = excluded.currency, expected_close = excluded.expected_close, \
           closed_lost_reason = COALESCE(excluded.closed_lost_reason, deals.closed_lost_reason), \
           stage = CASE WHEN COALESCE(deals.vendor_stage, '') <> excluded.vendor_stage THEN excluded.stage ELSE deals.stage END, \
           lost_on = CASE WHEN COALESCE(deals.vendor_stage, '') <> excluded.vendor_stage THEN excluded.lost_on ELSE deals.lost_on END, \
           vendor_stage = excluded.vendor_stage, \
           version = CASE WHEN COALESCE(deals.vendor_stage, '') <> excluded.vendor_stage OR deals.name <> excluded.name \
             OR deals.amount_minor <> excluded.amount_minor THEN deals.version + 1 ELSE deals.version END, \
           updated_at = excluded.updated_at",
    )
    .bind(ws)
    .bind(account)
    .bind(&d.name)
    .bind(&d.stage)
    .bind(d.amount_minor)
    .bind(d.currency.as_deref())
    .bind(d.expected_close.as_deref())
    .bind(d.source)
    .bind(&d.external_id)
    .bind(d.closed_lost_reason.as_deref())
    .bind(&today)
    .bind(&d.vendor_stage)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates accounts for companies seen for the first time, a few hundred per statement; returns
/// their ids in the order given. Rows come back with their name and domain, which is how each is
/// told apart (two new companies with the same name and no domain are interchangeable).
async fn insert_accounts(
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(&str, Option<String>)],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    let created_at = now.to_rfc3339();
    for chunk in rows.chunks(300) {
        let mut sql =
            Sql::new("INSERT INTO accounts (workspace_id, name, domain, lifecycle, created_at, currency) VALUES ");
        for (i, (name, domain)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.arg(ws).push(", ").arg(*name).push(", ").arg(domain.clone());
            sql.push(", 'customer', ")
                .arg(created_at.as_str())
                .push(", (SELECT currency FROM workspaces WHERE id = ");
            sql.arg(ws).push("))");
        }
        sql.push(" RETURNING id, name, domain");
        let mut returned: HashMap<(String, Option<String>), Vec<i64>> = HashMap::new();
        for row in sql.query().fetch_all(&mut *conn).await? {
            returned
                .entry((row.text("name")?, row.opt_text("domain")?))
                .or_default()
                .push(row.int("id")?);
        }
        for (name, domain) in chunk {
            let id = returned
                .get_mut(&(name.to_string(), domain.clone()))
                .and_then(Vec::pop)
                .ok_or_else(|| StoreError::Corrupt("a new account did not come back from its insert".into()))?;
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Writes weeks of usage; active users and features arrive separately and each keeps the other.
async fn upsert_usage(backend: Backend, conn: &mut AnyConnection, ws: i64, rows: &[(i64, &UsageRecord)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut accounts: Vec<i64> = rows.iter().map(|(a, _)| *a).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut seats: HashMap<i64, i64> = HashMap::new();
    for chunk in accounts.chunks(500) {
        let mut sql = Sql::new("SELECT id, licensed_seats FROM accounts WHERE workspace_id = ");
        sql.arg(ws).push(" AND id").in_list(chunk);
        for row in sql.query().fetch_all(&mut *conn).await? {
            seats.insert(row.int("id")?, row.opt_int("licensed_seats")?.unwrap_or(0));
        }
    }
    let columns = [
        "workspace_id",
        "account_id",
        "week_start",
        "active_users",
        "licensed_seats",
        "feature_adoption",
    ];
    let (users, features): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|(_, u)| matches!(u.measure, UsageMeasure::ActiveUsers(_)));
    let fill = |_: usize, (account, u): &&(i64, &UsageRecord), v: &mut Vec<Val>| {
        let (active, adoption) = match &u.measure {
            UsageMeasure::ActiveUsers(n) => (*n, "{}".to_string()),
            UsageMeasure::Features(f) => (
                0,
                serde_json::Value::Object(f.iter().map(|(k, n)| (k.clone(), (*n).into())).collect()).to_string(),
            ),
        };
        v.extend([
            Val::Int(ws),
            Val::Int(*account),
            u.week_start.clone().into(),
            Val::Int(active),
            Val::Int(seats.get(account).copied().unwrap_or(0)),
            adoption.into(),
        ]);
    };
    upsert_rows(
        backend,
        conn,
        "usage_weeks",
        &columns,
        " ON CONFLICT (account_id, week_start) DO UPDATE SET active_users = excluded.active_users, \
           licensed_seats = excluded.licensed_seats",
        &users,
        fill,
    )
    .await?;
    upsert_rows(
        backend,
        conn,
        "usage_weeks",
        &columns,
        " ON CONFLICT (account_id, week_start) DO UPDATE SET feature_adoption = excluded.feature_adoption",
        &features,
        fill,
    )
    .await
}

async fn upsert_invoices(
    backend: Backend,
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(i64, &InvoiceRecord)],
    sources: &HashMap<(String, String), i64>,
) -> Result<()> {
    upsert_rows(
        backend,
        conn,
        "invoices",
        &[
            "workspace_id",
            "account_id",
            "revenue_source_id",
            "external_id",
            "status",
            "currency",
            "amount_due_minor",
            "amount_paid_minor",
            "amount_remaining_minor",
            "attempt_count",
            "issued_on",
            "due_on",
            "paid_at",
        ],
        " ON CONFLICT (workspace_id, external_id) DO UPDATE SET account_id = excluded.account_id, \
           revenue_source_id = excluded.revenue_source_id, status = excluded.status, currency = excluded.currency, \
           amount_due_minor = excluded.amount_due_minor, amount_paid_minor = excluded.amount_paid_minor, \
           amount_remaining_minor = excluded.amount_remaining_minor, attempt_count = excluded.attempt_count, \
           issued_on = excluded.issued_on, due_on = excluded.due_on, paid_at = excluded.paid_at",
        rows,
        |_, (account, r), v| {
            let source = r
                .revenue_source
                .as_ref()
                .and_then(|(s, e)| sources.get(&(s.to_string(), e.clone())).copied());
            v.extend([
                Val::Int(ws),
                Val::Int(*account),
                source.into(),
                r.external_id.clone().into(),
                r.status.clone().into(),
                r.currency.clone().into(),
                Val::Int(r.amount_due_minor),
                Val::Int(r.amount_paid_minor),
                Val::Int(r.amount_remaining_minor),
                Val::Int(r.attempt_count),
                r.issued_on.clone().into(),
                r.due_on.clone().into(),
                r.paid_at.clone().into(),
            ]);
        },
    )
    .await
}

impl Store {
    /// Every connected integration with its schedule and when its last run started.
    pub async fn scheduled_integrations(&self) -> Result<Vec<(i64, String, i64, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT i.workspace_id, i.source, i.schedule_minutes, \
               (SELECT MAX(r.started_at) FROM sync_runs r WHERE r.workspace_id = i.workspace_id AND r.source = i.source) AS last \
             FROM integrations i ORDER BY i.workspace_id, i.source",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.int("workspace_id")?,
                    r.text("source")?,
                    r.int("schedule_minutes")?,
                    r.opt_text("last")?,
                ))
            })
            .collect()
    }
}
