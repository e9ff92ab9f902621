//! What connectors write: integrations (with sealed credentials), sync runs and their cursors, and
//! vendor records mapped to accounts, revenue sources and invoices. Each page of a sync is written
//! in one transaction together with its cursor, so a killed sync leaves no half page and resumes
//! after the last page it stored.

mod integrations;
mod page;
mod revenue;
mod runs;
mod upserts;

use super::sql::{RowExt, Sql};
use super::Result;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
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

/// Ends every "matched no account" problem; a run's problem list puts these last.
const LINK_HINT: &str = "link it in Settings → Signals & matching";

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
