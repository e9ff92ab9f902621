//! Reads behind the pages. Every query is scoped by workspace id; lists page with LIMIT/OFFSET
//! over indexed orderings so they stay fast at 100,000 accounts.

use super::scores::factors_from_text;
use super::sql::{day, like_pattern, RowExt, Sql};
use super::{Result, Store, StoreError};
use app::likelihood::{LostReason, ModelKind};
use app::model::*;
use app::scoring::Band;
use chrono::{Datelike, Duration, NaiveDate};
use sqlx::any::AnyRow;

mod contracts;
mod convert;
mod customer;
mod health;
mod pipeline;
mod reengage;
mod settings;

fn money(row: &AnyRow, amount: &str, currency: &str) -> Result<Money> {
    Ok(Money::new(row.int(amount)?, row.text(currency)?))
}

fn count(n: i64) -> u64 {
    n.max(0) as u64
}

fn page<T>(rows: Vec<T>, total: i64, query: &ListQuery) -> Page<T> {
    Page {
        rows,
        total: count(total),
        page: query.page(),
        per_page: PER_PAGE,
    }
}

fn search(query: &ListQuery) -> Result<Option<String>> {
    query
        .search()
        .map_err(StoreError::Invalid)
        .map(|s| s.map(|s| like_pattern(&s)))
}

/// Appends `LIMIT … OFFSET …` for the query's page.
fn paginate(sql: &mut Sql, query: &ListQuery) {
    sql.push(" LIMIT ")
        .arg(PER_PAGE as i64)
        .push(" OFFSET ")
        .arg(query.offset() as i64);
}

/// Runs `SELECT COUNT(*) FROM <from_where>` with the same arguments as the page query.
async fn total(store: &Store, from_where: &Sql) -> Result<i64> {
    let sql = Sql {
        text: format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {}", from_where.text),
        args: from_where.args.clone(),
    };
    sql.query().fetch_one(store.pool()).await?.int("n")
}

fn account_row(r: &AnyRow) -> Result<AccountRow> {
    let id = r.int("id")?;
    Ok(AccountRow {
        id,
        name: r.text("name")?,
        domain: r.opt_text("domain")?,
        owner_name: r.opt_text("owner_name")?,
        lifecycle: r.parsed("lifecycle", Lifecycle::parse)?,
        tracked: r.flag("tracked")?,
        arr: money(r, "arr_minor", "currency")?,
        renewal_date: r.opt_date("renewal_date")?,
        payment_state: r.parsed("payment_state", PaymentState::parse)?,
        score: r.opt_int("score")?.map(|s| s as i32),
        band: r.opt_text("band")?.as_deref().and_then(Band::parse),
        override_band: r.opt_text("override_band")?.as_deref().and_then(Band::parse),
        risks: r
            .opt_text("factors")?
            .map(|f| {
                factors_from_text(id, &f)
                    .into_iter()
                    .filter(|f| f.points < 0)
                    .take(2)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

const ACCOUNT_COLUMNS: &str = "a.id, a.name, a.domain, a.owner_name, a.lifecycle, a.tracked, a.arr_minor, a.currency, \
     a.renewal_date, a.payment_state, hs.score, hs.band, hs.factors, hs.missing, ho.band AS override_band";

/// Accounts with the band overrides that still apply on `today`: what the queue filters and
/// counts need. The date is a formatted `NaiveDate`, never caller text.
fn account_from(today: NaiveDate) -> String {
    format!(
        "FROM accounts a LEFT JOIN health_overrides ho ON ho.account_id = a.id AND ho.expires_on >= '{}'",
        day(today)
    )
}

/// The same with each account's score and factors (an account not yet scored has none), for the
/// rows actually shown; counting leaves the wide score rows alone.
fn with_scores(from: &str) -> String {
    from.replacen(
        "FROM accounts a",
        "FROM accounts a LEFT JOIN health_scores hs ON hs.account_id = a.id",
        1,
    )
}

fn revenue_source_row(r: &AnyRow, today: NaiveDate) -> Result<RevenueSourceRow> {
    let renewal_date = r.opt_date("renewal_date")?;
    let end_date = r.opt_date("end_date")?;
    Ok(RevenueSourceRow {
        id: r.int("id")?,
        account_id: r.int("account_id")?,
        account_name: r.text("account_name")?,
        source: r.parsed("source", RevenueSourceKind::parse)?,
        external_id: r.text("external_id")?,
        plan: r.text("plan")?,
        status: r.text("status")?,
        mrr: money(r, "mrr_minor", "currency")?,
        billing_interval: r.parsed("billing_interval", BillingInterval::parse)?,
        start_date: r.date("start_date")?,
        end_date,
        renewal_date,
        days_to_renewal: renewal_date.or(end_date).map(|d| (d - today).num_days()),
        payment_state: r.parsed("payment_state", PaymentState::parse)?,
        failed_attempts: r.opt_int("failed_attempts")?.unwrap_or(0),
        auto_renew: r.flag("auto_renew")?,
        cancel_at_period_end: r.flag("cancel_at_period_end")?,
        owner_name: r.opt_text("owner_name")?,
    })
}

const REVENUE_SOURCE_COLUMNS: &str = "r.id, r.account_id, a.name AS account_name, a.owner_name, r.source, r.external_id, \
     r.plan, r.status, r.mrr_minor, r.currency, r.billing_interval, r.start_date, r.end_date, r.renewal_date, \
     r.payment_state, r.auto_renew, r.cancel_at_period_end, \
     (SELECT MAX(i.attempt_count) FROM invoices i WHERE i.revenue_source_id = r.id AND i.status = 'open') AS failed_attempts";

pub(super) fn deal_row(r: &AnyRow) -> Result<DealRow> {
    Ok(DealRow {
        id: r.int("id")?,
        account_id: r.int("account_id")?,
        account_name: r.text("account_name")?,
        name: r.text("name")?,
        stage: r.text("stage")?,
        stage_label: r.text("stage_label")?,
        outcome: r.parsed("outcome", StageOutcome::parse)?,
        amount: money(r, "amount_minor", "currency")?,
        expected_close: r.opt_date("expected_close")?,
        source: r.parsed("source", DealSource::parse)?,
        closed_lost_reason: r.opt_text("closed_lost_reason")?,
        lost_on: r.opt_date("lost_on")?,
        version: r.int("version")?,
        position: r.int("position")?,
        owner: r.opt_text("owner_name")?,
        score: r.opt_int("score")?.map(|s| s as i32),
        band: r.opt_text("band")?.as_deref().and_then(Band::parse),
        convert_likelihood: r.opt_int("convert_likelihood")?.map(|l| l as i32),
        writeback_error: r.opt_text("writeback_error")?,
    })
}

pub(super) const DEAL_COLUMNS: &str =
    "d.id, d.account_id, a.name AS account_name, d.name, d.stage, ps.label AS stage_label, \
     ps.outcome, d.amount_minor, d.currency, d.expected_close, d.source, d.closed_lost_reason, d.lost_on, d.version, \
     d.position, a.owner_name, hs.score, hs.band, d.writeback_error, \
     (SELECT t.likelihood FROM trials t WHERE t.account_id = d.account_id AND t.outcome IS NULL \
      ORDER BY t.ends_on DESC LIMIT 1) AS convert_likelihood";
pub(super) const DEAL_FROM: &str = "FROM deals d JOIN accounts a ON a.id = d.account_id \
     JOIN pipeline_stages ps ON ps.workspace_id = d.workspace_id AND ps.key = d.stage \
     LEFT JOIN health_scores hs ON hs.account_id = d.account_id";

/// A trial's or prospect's stored likelihood with its factors, once scored.
fn explained_likelihood(r: &AnyRow) -> Result<Option<app::likelihood::Likelihood>> {
    r.opt_text("explained")?
        .filter(|t| !t.is_empty())
        .map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("convert likelihood: {e}"))))
        .transpose()
}

fn invoice_row(r: &AnyRow) -> Result<InvoiceRow> {
    Ok(InvoiceRow {
        id: r.int("id")?,
        external_id: r.text("external_id")?,
        status: r.parsed("status", InvoiceStatus::parse)?,
        amount_due: money(r, "amount_due_minor", "currency")?,
        amount_remaining: money(r, "amount_remaining_minor", "currency")?,
        attempt_count: r.int("attempt_count")?,
        issued_on: r.date("issued_on")?,
        due_on: r.opt_date("due_on")?,
        paid_on: r
            .opt_text("paid_at")?
            .and_then(|t| NaiveDate::parse_from_str(t.get(..10).unwrap_or(""), "%Y-%m-%d").ok()),
    })
}

impl Store {
    /// The workspace to show: the Pied Piper demo when asked for or when no real workspace exists.
    pub async fn demo_workspace_id(&self) -> Result<Option<i64>> {
        sqlx::query("SELECT id FROM workspaces WHERE is_demo = $1 ORDER BY id LIMIT 1")
            .bind(true)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.int("id"))
            .transpose()
    }

    pub async fn owners(&self, ws: i64) -> Result<Vec<String>> {
        sqlx::query(
            "SELECT DISTINCT owner_name FROM accounts WHERE workspace_id = $1 AND owner_name IS NOT NULL ORDER BY owner_name",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.text("owner_name"))
        .collect()
    }
}
