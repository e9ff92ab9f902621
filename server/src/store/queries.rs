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

const ARR_STATUSES: &str = "('active', 'past_due', 'unpaid')";

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

/// The full score behind an account row (all factors, missing data), when it has one.
fn score_of(r: &AnyRow) -> Result<Option<app::scoring::Score>> {
    let (Some(score), Some(band)) = (
        r.opt_int("score")?,
        r.opt_text("band")?.as_deref().and_then(Band::parse),
    ) else {
        return Ok(None);
    };
    let account = r.int("id")?;
    let factors = r
        .opt_text("factors")?
        .map(|f| factors_from_text(account, &f))
        .unwrap_or_default();
    let missing = r
        .opt_text("missing")?
        .and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or_default();
    Ok(Some(app::scoring::Score {
        score: score as i32,
        band,
        factors,
        missing,
    }))
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

/// The band an account counts in: the override while it applies, else the computed one.
const EFFECTIVE_BAND: &str = "COALESCE(ho.band, a.health_band)";

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

/// The filters Pipeline's board and table share: tracked, owner, source, band, search.
fn deal_filters(ws: &WorkspaceInfo, query: &ListQuery) -> Result<Sql> {
    let mut from = Sql::new(&format!("{DEAL_FROM} WHERE d.workspace_id = "));
    from.arg(ws.id);
    if !query.shows_untracked() {
        from.push(" AND a.tracked = TRUE");
    }
    // One CRM of record: the other's deals stay out (manual and routed ones always show).
    match ws.pipeline_source.as_str() {
        "salesbricks" => {
            from.push(" AND d.source <> 'attio'");
        }
        "attio" => {
            from.push(" AND d.source <> 'salesbricks'");
        }
        _ => {}
    }
    match query.owner.trim() {
        "" => {}
        "none" => {
            from.push(" AND a.owner_name IS NULL");
        }
        owner => {
            from.push(" AND a.owner_name = ").arg(owner.to_string());
        }
    }
    if let Some(source) = DealSource::parse(query.source.trim()) {
        from.push(" AND d.source = ").arg(source.as_str());
    }
    match query.band.as_str() {
        "red" | "amber" | "green" => {
            from.push(" AND hs.band = ").arg(query.band.as_str());
        }
        "at_risk" => {
            from.push(" AND hs.band IN ('red', 'amber')");
        }
        _ => {}
    }
    if let Some(pattern) = search(query)? {
        from.push(" AND (LOWER(a.name) LIKE ")
            .arg(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(d.name) LIKE ")
            .arg(pattern)
            .push(" ESCAPE '\\')");
    }
    Ok(from)
}

fn trial_row(r: &AnyRow, today: NaiveDate) -> Result<TrialRow> {
    let ends_on = r.date("ends_on")?;
    Ok(TrialRow {
        id: r.int("id")?,
        account_id: r.int("account_id")?,
        account_name: r.text("account_name")?,
        lifecycle: r.parsed("lifecycle", Lifecycle::parse)?,
        started_on: r.date("started_on")?,
        ends_on,
        days_left: (ends_on - today).num_days(),
        seats: r.int("seats")?,
        activation_events: r.int("activation_events")?,
        active_users_last_week: r.opt_int("active_last_week")?,
        deal_stage: r.opt_text("deal_stage")?,
        potential_arr: Money::new(r.opt_int("potential_minor")?.unwrap_or(0), r.text("currency")?),
        likelihood: explained_likelihood(r)?,
        priority: Money::new(r.int("priority_minor")?, r.text("currency")?),
    })
}

/// A trial's or prospect's stored likelihood with its factors, once scored.
fn explained_likelihood(r: &AnyRow) -> Result<Option<app::likelihood::Likelihood>> {
    r.opt_text("explained")?
        .filter(|t| !t.is_empty())
        .map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("convert likelihood: {e}"))))
        .transpose()
}

fn candidate_row(r: &AnyRow, today: NaiveDate) -> Result<ConvertRow> {
    let trial = match r.opt_int("trial_id")? {
        Some(id) => {
            let ends_on = r.date("ends_on")?;
            Some(TrialTerms {
                id,
                started_on: r.date("started_on")?,
                ends_on,
                days_left: (ends_on - today).num_days(),
                seats: r.int("seats")?,
                activation_events: r.int("activation_events")?,
            })
        }
        None => None,
    };
    Ok(ConvertRow {
        account_id: r.int("account_id")?,
        account_name: r.text("account_name")?,
        lifecycle: r.parsed("lifecycle", Lifecycle::parse)?,
        trial,
        active_users_last_week: r.opt_int("active_last_week")?,
        deal_stage: r.opt_text("deal_stage")?,
        potential_arr: Money::new(r.opt_int("potential_minor")?.unwrap_or(0), r.text("currency")?),
        likelihood: explained_likelihood(r)?,
        priority: Money::new(r.int("priority_minor")?, r.text("currency")?),
    })
}

/// A Convert page's columns over its keys `k`, the trial `t` (if any) and the prospect row `p`.
/// The deal shown is the one priority was computed from: the latest open deal, else the latest.
const CANDIDATE_COLUMNS: &str = "k.trial_id, k.account_id, a.name AS account_name, a.lifecycle, a.currency, \
     t.started_on, t.ends_on, t.seats, t.activation_events, COALESCE(t.explained, p.explained) AS explained, \
     k.priority_minor, \
     (SELECT u.active_users FROM usage_weeks u WHERE u.account_id = k.account_id ORDER BY u.week_start DESC LIMIT 1) AS active_last_week, \
     (SELECT ps.label FROM deals d JOIN pipeline_stages ps ON ps.workspace_id = d.workspace_id AND ps.key = d.stage \
        WHERE d.account_id = k.account_id ORDER BY CASE WHEN ps.outcome = 'open' THEN 0 ELSE 1 END, d.updated_at DESC, d.id DESC LIMIT 1) AS deal_stage, \
     COALESCE((SELECT d.amount_minor FROM deals d JOIN pipeline_stages ps ON ps.workspace_id = d.workspace_id AND ps.key = d.stage \
        WHERE d.account_id = k.account_id ORDER BY CASE WHEN ps.outcome = 'open' THEN 0 ELSE 1 END, d.updated_at DESC, d.id DESC LIMIT 1), \
       t.potential_minor) AS potential_minor";

const TRIAL_COLUMNS: &str = "t.id, t.account_id, a.name AS account_name, a.lifecycle, a.currency, t.started_on, \
     t.ends_on, t.seats, t.activation_events, t.explained, t.priority_minor, \
     (SELECT u.active_users FROM usage_weeks u WHERE u.account_id = t.account_id ORDER BY u.week_start DESC LIMIT 1) AS active_last_week, \
     (SELECT ps.label FROM deals d JOIN pipeline_stages ps ON ps.workspace_id = d.workspace_id AND ps.key = d.stage \
        WHERE d.account_id = t.account_id ORDER BY d.updated_at DESC, d.id DESC LIMIT 1) AS deal_stage, \
     COALESCE((SELECT d.amount_minor FROM deals d WHERE d.account_id = t.account_id ORDER BY d.updated_at DESC, d.id DESC LIMIT 1), \
       t.potential_minor) AS potential_minor";

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

fn request_row(r: &AnyRow) -> Result<FeatureRequestRow> {
    Ok(FeatureRequestRow {
        id: r.int("id")?,
        account_id: r.int("account_id")?,
        account_name: r.text("account_name")?,
        project: r.text("project")?,
        quote: r.text("quote")?,
        requester: r.opt_text("requester")?,
        requested_on: r.date("requested_on")?,
    })
}

const REQUEST_COLUMNS: &str =
    "f.id, f.account_id, a.name AS account_name, f.project, f.quote, c.name AS requester, f.requested_on";
const REQUEST_FROM: &str =
    "FROM feature_requests f JOIN accounts a ON a.id = f.account_id LEFT JOIN contacts c ON c.id = f.contact_id";

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
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

    pub async fn health_summary(&self, ws: &WorkspaceInfo, today: NaiveDate) -> Result<HealthSummary> {
        let mut sql = Sql::new(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN tracked THEN 1 ELSE 0 END), 0) AS BIGINT) AS tracked_n, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND lifecycle <> 'churned' THEN 1 ELSE 0 END), 0) AS BIGINT) AS active_n, \
               CAST(COALESCE(SUM(CASE WHEN tracked THEN 0 ELSE 1 END), 0) AS BIGINT) AS untracked_n, \
               CAST(COALESCE(SUM(CASE WHEN tracked THEN arr_minor ELSE 0 END), 0) AS BIGINT) AS arr, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= ",
        );
        let t = day(today);
        sql.arg(t.clone())
            .push(" AND renewal_date <= ")
            .arg(day(today + Duration::days(30)));
        sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS r30, CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= $1 AND renewal_date <= ")
            .arg(day(today + Duration::days(60)));
        sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS r60, CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= $1 AND renewal_date <= ")
            .arg(day(today + Duration::days(90)));
        sql.push(
            " THEN 1 ELSE 0 END), 0) AS BIGINT) AS r90, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= $1 AND renewal_date <= $4 THEN arr_minor ELSE 0 END), 0) AS BIGINT) AS arr90, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND payment_state IN ('past_due', 'failed') THEN 1 ELSE 0 END), 0) AS BIGINT) AS problems \
             FROM accounts WHERE workspace_id = ",
        )
        .arg(ws.id);
        let row = sql.query().fetch_one(self.pool()).await?;

        let horizon = add_months(today, 12);
        let months = sqlx::query(
            "SELECT SUBSTR(renewal_date, 1, 7) AS month, CAST(SUM(arr_minor) AS BIGINT) AS arr FROM accounts \
             WHERE workspace_id = $1 AND tracked = $2 AND renewal_date >= $3 AND renewal_date < $4 \
             GROUP BY SUBSTR(renewal_date, 1, 7) ORDER BY month",
        )
        .bind(ws.id)
        .bind(true)
        .bind(&t)
        .bind(day(horizon))
        .fetch_all(self.pool())
        .await?;
        let mut by_month = std::collections::HashMap::new();
        for m in &months {
            by_month.insert(m.text("month")?, m.int("arr")?);
        }
        let renewal_months = (0..12)
            .map(|i| {
                let d = add_months(today.with_day(1).unwrap_or(today), i);
                let key = format!("{:04}-{:02}", d.year(), d.month());
                let arr = by_month.get(&key).copied().unwrap_or(0);
                (d.format("%b %Y").to_string(), Money::new(arr, ws.currency.clone()))
            })
            .collect();

        // Health bands and the ARR distribution over score buckets.
        let card = self.scorecard(ws.id).await?;
        let scored = sqlx::query(
            &format!(
                "SELECT CAST(a.health_rank / 10 AS BIGINT) AS bucket, {EFFECTIVE_BAND} AS band, CAST(COUNT(*) AS BIGINT) AS n, \
                 CAST(SUM(a.arr_minor) AS BIGINT) AS arr {} \
                 WHERE a.workspace_id = $1 AND a.health_band IS NOT NULL AND a.tracked = $2 AND a.lifecycle <> 'churned' \
                 GROUP BY CAST(a.health_rank / 10 AS BIGINT), {EFFECTIVE_BAND}",
                account_from(today)
            ),
        )
        .bind(ws.id)
        .bind(true)
        .fetch_all(self.pool())
        .await?;
        let mut bands: Vec<BandTotal> = Band::ALL
            .iter()
            .map(|b| BandTotal {
                band: *b,
                accounts: 0,
                arr: Money::new(0, ws.currency.clone()),
            })
            .collect();
        let mut buckets: Vec<ScoreBucket> = (0..10)
            .map(|i| ScoreBucket {
                from: i * 10,
                accounts: 0,
                arr: Money::new(0, ws.currency.clone()),
                band: card.band(i * 10 + 5),
            })
            .collect();
        let mut scored_n = 0;
        for r in &scored {
            let n = count(r.int("n")?);
            let arr = r.int("arr")?;
            scored_n += n;
            if let Some(band) = r.opt_text("band")?.as_deref().and_then(Band::parse) {
                let total = &mut bands[Band::ALL.iter().position(|b| *b == band).unwrap_or(0)];
                total.accounts += n;
                total.arr.minor += arr;
            }
            let bucket = &mut buckets[r.int("bucket")?.clamp(0, 9) as usize];
            bucket.accounts += n;
            bucket.arr.minor += arr;
        }
        let owners = sqlx::query(
            "SELECT DISTINCT owner_name FROM accounts WHERE workspace_id = $1 AND owner_name IS NOT NULL ORDER BY owner_name",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.text("owner_name"))
        .collect::<Result<Vec<_>>>()?;
        let active_n = count(row.int("active_n")?);
        let arr_at_risk = Money::new(
            bands
                .iter()
                .filter(|b| b.band != Band::Green)
                .map(|b| b.arr.minor)
                .sum(),
            ws.currency.clone(),
        );

        Ok(HealthSummary {
            bands,
            arr_at_risk,
            score_buckets: buckets,
            unscored: active_n.saturating_sub(scored_n),
            // Churned accounts belong to Re-engage; Health counts the accounts it monitors.
            accounts: active_n,
            untracked: count(row.int("untracked_n")?),
            total_arr: Money::new(row.int("arr")?, ws.currency.clone()),
            renewals_30: count(row.int("r30")?),
            renewals_60: count(row.int("r60")?),
            renewals_90: count(row.int("r90")?),
            arr_renewing_90: Money::new(row.int("arr90")?, ws.currency.clone()),
            payment_problems: count(row.int("problems")?),
            renewal_months,
            owners,
        })
    }

    pub async fn health_queue(
        &self,
        ws: &WorkspaceInfo,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Page<AccountRow>> {
        let mut from = Sql::new(&format!("{} WHERE a.workspace_id = ", account_from(today)));
        from.arg(ws.id);
        match query.band.as_str() {
            "red" | "amber" | "green" => {
                from.push(&format!(" AND {EFFECTIVE_BAND} = ")).arg(query.band.as_str());
            }
            "at_risk" => {
                from.push(&format!(" AND {EFFECTIVE_BAND} IN ('red', 'amber')"));
            }
            _ => {}
        }
        if let Ok(low) = query.bucket.parse::<i64>() {
            let low = low.clamp(0, 90) / 10 * 10;
            let high = if low == 90 { 101 } else { low + 10 };
            from.push(" AND a.health_rank >= ")
                .arg(low)
                .push(" AND a.health_rank < ")
                .arg(high);
        }
        match query.filter.as_str() {
            "untracked" => {
                from.push(" AND a.tracked = ").arg(false);
            }
            other => {
                from.push(" AND a.tracked = ").arg(true);
                match other {
                    "customer" | "trial" | "prospect" | "churned" => {
                        from.push(" AND a.lifecycle = ").arg(other);
                    }
                    // Churned accounts are Re-engage's business; ask for them by name.
                    _ => {
                        from.push(" AND a.lifecycle <> 'churned'");
                    }
                }
            }
        }
        match query.owner.trim() {
            "" => {}
            "none" => {
                from.push(" AND a.owner_name IS NULL");
            }
            name if name.chars().count() <= MAX_SEARCH_LEN => {
                from.push(" AND a.owner_name = ").arg(name.to_string());
            }
            _ => return Err(StoreError::Invalid("That owner name is too long.".into())),
        }
        match query.renewal.as_str() {
            "" => {}
            "30" | "60" | "90" => {
                let days: i64 = query.renewal.parse().unwrap_or(90);
                from.push(" AND a.renewal_date >= ")
                    .arg(today)
                    .push(" AND a.renewal_date <= ")
                    .arg(today + Duration::days(days));
            }
            other => {
                return Err(StoreError::Invalid(format!(
                    "Renewal window {other:?} is not one of 30, 60 or 90 days."
                )))
            }
        }
        match query.payment.as_str() {
            "" => {}
            "problem" => {
                from.push(" AND a.payment_state IN ('past_due', 'failed')");
            }
            other => match PaymentState::parse(other) {
                Some(state) => {
                    from.push(" AND a.payment_state = ").arg(state.as_str());
                }
                None => return Err(StoreError::Invalid(format!("Payment state {other:?} is not known."))),
            },
        }
        if let Some(pattern) = search(query)? {
            from.push(" AND (LOWER(a.name) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(COALESCE(a.domain, '')) LIKE ")
                .arg(pattern)
                .push(" ESCAPE '\\')");
        }
        let total = total(self, &from).await?;
        let order = match query.sort.as_str() {
            "name" => "a.name ASC, a.id ASC",
            "renewal" => "a.renewal_date ASC NULLS LAST, a.id ASC",
            "arr" => "a.arr_minor DESC, a.id ASC",
            // Default: the riskiest first, the largest of equal risk first.
            _ => "a.health_rank ASC, a.arr_minor DESC, a.id ASC",
        };
        let mut sql = Sql {
            text: format!("SELECT {ACCOUNT_COLUMNS} {} ORDER BY {order}", with_scores(&from.text)),
            args: from.args,
        };
        paginate(&mut sql, query);
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(page(rows.iter().map(account_row).collect::<Result<_>>()?, total, query))
    }

    pub async fn account_detail(&self, ws: &WorkspaceInfo, account_id: i64, today: NaiveDate) -> Result<AccountDetail> {
        let pool = self.pool();
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, a.industry, a.employees, a.country, a.custom_fields {} WHERE a.id = $1 AND a.workspace_id = $2",
            with_scores(&account_from(today))
        ))
        .bind(account_id)
        .bind(ws.id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound("Account"))?;
        let account = account_row(&row)?;

        let contacts = sqlx::query("SELECT id, name, email, title, is_champion, left_on, opted_out FROM contacts WHERE account_id = $1 AND workspace_id = $2 ORDER BY is_champion DESC, name")
            .bind(account_id)
            .bind(ws.id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(ContactRow {
                    id: r.int("id")?,
                    name: r.text("name")?,
                    email: r.text("email")?,
                    title: r.opt_text("title")?,
                    is_champion: r.flag("is_champion")?,
                    left_on: r.opt_date("left_on")?,
                    opted_out: r.flag("opted_out")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let revenue_sources = sqlx::query(&format!(
            "SELECT {REVENUE_SOURCE_COLUMNS} FROM revenue_sources r JOIN accounts a ON a.id = r.account_id \
             WHERE r.account_id = $1 AND r.workspace_id = $2 ORDER BY r.start_date DESC"
        ))
        .bind(account_id)
        .bind(ws.id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| revenue_source_row(r, today))
        .collect::<Result<Vec<_>>>()?;

        let invoices = sqlx::query(
            "SELECT id, external_id, status, currency, amount_due_minor, amount_remaining_minor, attempt_count, issued_on, due_on, paid_at \
             FROM invoices WHERE account_id = $1 AND workspace_id = $2 ORDER BY issued_on DESC LIMIT 12",
        )
        .bind(account_id)
        .bind(ws.id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(invoice_row)
        .collect::<Result<Vec<_>>>()?;

        let mut usage = sqlx::query(
            "SELECT week_start, active_users, licensed_seats, feature_adoption FROM usage_weeks \
             WHERE account_id = $1 AND workspace_id = $2 ORDER BY week_start DESC LIMIT 26",
        )
        .bind(account_id)
        .bind(ws.id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let adoption: std::collections::BTreeMap<String, i64> = serde_json::from_str(&r.text("feature_adoption")?)
                .map_err(|e| StoreError::Corrupt(format!("feature_adoption: {e}")))?;
            Ok(UsageWeek {
                week_start: r.date("week_start")?,
                active_users: r.int("active_users")?,
                licensed_seats: r.int("licensed_seats")?,
                feature_adoption: adoption.into_iter().collect(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        usage.reverse();

        let signals = sqlx::query(
            "SELECT id, source, sentiment, topic, quote, link, occurred_at FROM signals \
             WHERE account_id = $1 AND workspace_id = $2 ORDER BY occurred_at DESC LIMIT 20",
        )
        .bind(account_id)
        .bind(ws.id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let at = r.text("occurred_at")?;
            Ok(SignalRow {
                id: r.int("id")?,
                source: r.parsed("source", SignalSource::parse)?,
                sentiment: r.real("sentiment")?,
                topic: r.text("topic")?,
                quote: r.text("quote")?,
                link: r.opt_text("link")?,
                occurred_on: NaiveDate::parse_from_str(at.get(..10).unwrap_or(""), "%Y-%m-%d")
                    .map_err(|_| StoreError::Corrupt(format!("signal time {at:?}")))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

        let deals = sqlx::query(&format!(
            "SELECT {DEAL_COLUMNS} {DEAL_FROM} WHERE d.account_id = $1 AND d.workspace_id = $2 ORDER BY d.updated_at DESC"
        ))
        .bind(account_id)
        .bind(ws.id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(deal_row)
        .collect::<Result<Vec<_>>>()?;

        let trials = sqlx::query(&format!(
            "SELECT {TRIAL_COLUMNS} FROM trials t JOIN accounts a ON a.id = t.account_id \
             WHERE t.account_id = $1 AND t.workspace_id = $2 ORDER BY t.started_on DESC"
        ))
        .bind(account_id)
        .bind(ws.id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| trial_row(r, today))
        .collect::<Result<Vec<_>>>()?;

        let requests = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE f.account_id = $1 AND f.workspace_id = $2 ORDER BY f.requested_on DESC"
        ))
        .bind(account_id)
        .bind(ws.id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(request_row)
        .collect::<Result<Vec<_>>>()?;

        Ok(AccountDetail {
            account,
            industry: row.opt_text("industry")?,
            employees: row.opt_int("employees")?,
            country: row.opt_text("country")?,
            custom_fields: serde_json::from_str(&row.text("custom_fields")?).unwrap_or_default(),
            contacts,
            revenue_sources,
            invoices,
            usage,
            signals,
            deals,
            trials,
            requests,
            score: score_of(&row)?,
            history: self
                .score_history(ws.id, account_id, today - Duration::days(90))
                .await?,
            routes: self.routes_of(ws.id, account_id).await?,
            band_override: self.band_override(ws.id, account_id, today).await?,
            stage_moves: self.stage_moves(ws.id, account_id).await?,
        })
    }

    /// Convert's candidates: trials (running ones unless the filter says otherwise) and prospects
    /// that are not trialling, in one order. The page's keys come from the two tables' indexes
    /// first; the costlier columns are read for that page's rows only.
    pub async fn convert_queue(&self, ws: &WorkspaceInfo, query: &ListQuery, today: NaiveDate) -> Result<ConvertView> {
        let filter = query.filter.as_str();
        let with_prospects = !matches!(filter, "trials" | "ending_7");
        let pattern = search(query)?;
        // Each arm's FROM … WHERE, appended wherever a statement needs it (placeholders number on).
        let trials_from = |sql: &mut Sql| {
            sql.push(" FROM trials t JOIN accounts a ON a.id = t.account_id WHERE t.workspace_id = ")
                .arg(ws.id);
            if !query.shows_untracked() {
                sql.push(" AND a.tracked = TRUE");
            }
            match filter {
                "all" => {}
                "prospects" => {
                    sql.push(" AND 1 = 0");
                }
                "ending_7" => {
                    sql.push(" AND t.outcome IS NULL AND t.ends_on <= ")
                        .arg(today + Duration::days(7));
                }
                "likely" => {
                    sql.push(" AND t.outcome IS NULL AND t.likelihood >= 60");
                }
                _ => {
                    sql.push(" AND t.outcome IS NULL");
                }
            }
            if let Some(pattern) = &pattern {
                sql.push(" AND LOWER(a.name) LIKE ")
                    .arg(pattern.clone())
                    .push(" ESCAPE '\\'");
            }
        };
        let prospects_from = |sql: &mut Sql| {
            sql.push(" FROM convert_prospects p JOIN accounts a ON a.id = p.account_id WHERE p.workspace_id = ")
                .arg(ws.id);
            if !query.shows_untracked() {
                sql.push(" AND a.tracked = TRUE");
            }
            if filter == "likely" {
                sql.push(" AND p.likelihood >= 60");
            }
            if let Some(pattern) = &pattern {
                sql.push(" AND LOWER(a.name) LIKE ")
                    .arg(pattern.clone())
                    .push(" ESCAPE '\\'");
            }
        };
        // Counted arm by arm: a count over the union would read the trials' wide rows.
        let mut count = Sql::new("SELECT CAST((SELECT COUNT(*)");
        trials_from(&mut count);
        count.push(")");
        if with_prospects {
            count.push(" + (SELECT COUNT(*)");
            prospects_from(&mut count);
            count.push(")");
        }
        count.push(" AS BIGINT) AS n");
        let total = count.query().fetch_one(self.pool()).await?.int("n")?;
        let mut keys = Sql::new(
            "SELECT 'trial' AS kind, t.id AS trial_id, t.account_id, t.priority_minor, t.likelihood, t.ends_on, \
             t.activation_events, a.name",
        );
        trials_from(&mut keys);
        if with_prospects {
            keys.push(
                " UNION ALL SELECT 'prospect', NULL, p.account_id, p.priority_minor, p.likelihood, NULL, NULL, a.name",
            );
            prospects_from(&mut keys);
        }
        // Trials before prospects on a tie, then by id: every order is total, so pages never overlap.
        let order = |k: &str| match query.sort.as_str() {
            "name" => format!("{k}name ASC, {k}kind DESC, {k}trial_id ASC, {k}account_id ASC"),
            "activation" => {
                format!("{k}activation_events DESC NULLS LAST, {k}kind DESC, {k}trial_id ASC, {k}account_id ASC")
            }
            "likelihood" => format!("{k}likelihood DESC NULLS LAST, {k}kind DESC, {k}trial_id ASC, {k}account_id ASC"),
            "ends" => format!("{k}ends_on ASC NULLS LAST, {k}kind DESC, {k}trial_id ASC, {k}account_id ASC"),
            _ => format!("{k}priority_minor DESC, {k}kind DESC, {k}trial_id ASC, {k}account_id ASC"),
        };
        let mut sql = Sql {
            text: format!("WITH k AS ({} ORDER BY {}", keys.text, order("")),
            args: keys.args,
        };
        paginate(&mut sql, query);
        sql.push(&format!(
            ") SELECT {CANDIDATE_COLUMNS} FROM k JOIN accounts a ON a.id = k.account_id \
             LEFT JOIN trials t ON t.id = k.trial_id \
             LEFT JOIN convert_prospects p ON p.account_id = k.account_id AND k.trial_id IS NULL \
             ORDER BY {}",
            order("k.")
        ));
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(ConvertView {
            candidates: page(
                rows.iter().map(|r| candidate_row(r, today)).collect::<Result<_>>()?,
                total,
                query,
            ),
            model: self.model(ws.id, ModelKind::Convert).await?,
        })
    }

    /// Revenue sources the Contracts filters select (shared by the page and its CSV export).
    fn contracts_from(ws: &WorkspaceInfo, query: &ListQuery, today: NaiveDate) -> Result<Sql> {
        let mut from =
            Sql::new("FROM revenue_sources r JOIN accounts a ON a.id = r.account_id WHERE r.workspace_id = ");
        from.arg(ws.id);
        if !query.shows_untracked() {
            from.push(" AND a.tracked = TRUE");
        }
        if let "salesbricks" | "stripe" = query.filter.as_str() {
            from.push(" AND r.source = ").arg(query.filter.as_str());
        }
        if let Some(days) = match query.renewal.as_str() {
            "30" => Some(30),
            "60" => Some(60),
            "90" => Some(90),
            _ => None,
        } {
            from.push(&format!(" AND r.status IN {ARR_STATUSES} AND r.renewal_date >= "))
                .arg(today)
                .push(" AND r.renewal_date <= ")
                .arg(today + Duration::days(days));
        }
        match query.payment.as_str() {
            "" => {}
            "problem" => {
                from.push(" AND r.payment_state IN ('past_due', 'failed')");
            }
            state => {
                let state = PaymentState::parse(state)
                    .ok_or_else(|| StoreError::Invalid(format!("There is no payment state called {state:?}.")))?;
                from.push(" AND r.payment_state = ").arg(state.as_str());
            }
        }
        match query.owner.as_str() {
            "" => {}
            "none" => {
                from.push(" AND a.owner_name IS NULL");
            }
            owner => {
                from.push(" AND a.owner_name = ").arg(owner);
            }
        }
        if let Some(pattern) = search(query)? {
            from.push(" AND (LOWER(a.name) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(r.plan) LIKE ")
                .arg(pattern)
                .push(" ESCAPE '\\')");
        }
        Ok(from)
    }

    fn contracts_order(query: &ListQuery) -> &'static str {
        match query.sort.as_str() {
            "name" => "a.name ASC, r.id ASC",
            "mrr" => "r.mrr_minor DESC, r.id ASC",
            _ => "r.renewal_date ASC NULLS LAST, r.id ASC",
        }
    }

    pub async fn contracts(&self, ws: &WorkspaceInfo, query: &ListQuery, today: NaiveDate) -> Result<ContractsView> {
        let from = Self::contracts_from(ws, query, today)?;
        let totals = Sql {
            text: format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(CASE WHEN r.counted AND r.status IN {ARR_STATUSES} \
                 THEN r.mrr_minor ELSE 0 END), 0) AS BIGINT) AS mrr {}",
                from.text
            ),
            args: from.args.clone(),
        }
        .query()
        .fetch_one(self.pool())
        .await?;
        let mrr = totals.int("mrr")?;
        let mut sql = Sql {
            text: format!(
                "SELECT {REVENUE_SOURCE_COLUMNS} {} ORDER BY {}",
                from.text,
                Self::contracts_order(query)
            ),
            args: from.args,
        };
        paginate(&mut sql, query);
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(ContractsView {
            rows: page(
                rows.iter()
                    .map(|r| revenue_source_row(r, today))
                    .collect::<Result<_>>()?,
                totals.int("n")?,
                query,
            ),
            mrr_total: Money::new(mrr, ws.currency.clone()),
            arr_total: Money::new(mrr * 12, ws.currency.clone()),
            owners: self.owners(ws.id).await?,
        })
    }

    /// Every revenue source the Contracts filters select, in the page's order (the CSV export).
    pub async fn contracts_export(
        &self,
        ws: &WorkspaceInfo,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Vec<RevenueSourceRow>> {
        let from = Self::contracts_from(ws, query, today)?;
        let sql = Sql {
            text: format!(
                "SELECT {REVENUE_SOURCE_COLUMNS} {} ORDER BY {} LIMIT 100000",
                from.text,
                Self::contracts_order(query)
            ),
            args: from.args,
        };
        sql.query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| revenue_source_row(r, today))
            .collect()
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

    /// One revenue source's invoices, newest first: the Contracts drawer.
    pub async fn contract_invoices(&self, ws: i64, revenue_source_id: i64) -> Result<Vec<InvoiceRow>> {
        let exists = sqlx::query("SELECT id FROM revenue_sources WHERE id = $1 AND workspace_id = $2")
            .bind(revenue_source_id)
            .bind(ws)
            .fetch_optional(self.pool())
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("Contract"));
        }
        sqlx::query(
            "SELECT id, external_id, status, currency, amount_due_minor, amount_remaining_minor, attempt_count, issued_on, \
             due_on, paid_at FROM invoices WHERE revenue_source_id = $1 AND workspace_id = $2 ORDER BY issued_on DESC, id DESC",
        )
        .bind(revenue_source_id)
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(invoice_row)
        .collect()
    }

    /// The stages with the count and amount of the deals the filters select.
    async fn stage_totals(&self, ws: &WorkspaceInfo, filters: &Sql) -> Result<Vec<StageSummary>> {
        let totals = Sql {
            text: format!(
                "SELECT d.stage, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(d.amount_minor), 0) AS BIGINT) AS amount \
                 {} GROUP BY d.stage",
                filters.text
            ),
            args: filters.args.clone(),
        };
        let mut by_stage = std::collections::HashMap::new();
        for r in totals.query().fetch_all(self.pool()).await? {
            by_stage.insert(r.text("stage")?, (r.int("n")?, r.int("amount")?));
        }
        sqlx::query("SELECT key, label, outcome FROM pipeline_stages WHERE workspace_id = $1 ORDER BY position")
            .bind(ws.id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                let key = r.text("key")?;
                let (n, amount) = by_stage.get(&key).copied().unwrap_or((0, 0));
                Ok(StageSummary {
                    key,
                    label: r.text("label")?,
                    outcome: r.parsed("outcome", StageOutcome::parse)?,
                    deals: count(n),
                    amount: Money::new(amount, ws.currency.clone()),
                })
            })
            .collect()
    }

    /// Every stage with the count and amount of its deals (the office screen's pipeline panel).
    pub async fn pipeline_totals(&self, ws: &WorkspaceInfo) -> Result<Vec<StageSummary>> {
        self.stage_totals(ws, &deal_filters(ws, &ListQuery::default())?).await
    }

    pub async fn pipeline(&self, ws: &WorkspaceInfo, query: &ListQuery) -> Result<PipelineView> {
        let filters = deal_filters(ws, query)?;
        let stages = self.stage_totals(ws, &filters).await?;
        let mut from = filters;
        if stages.iter().any(|s| s.key == query.filter) {
            from.push(" AND d.stage = ").arg(query.filter.as_str());
        }
        let total = total(self, &from).await?;
        let order = match query.sort.as_str() {
            "name" => "d.name ASC, d.id ASC",
            "account" => "a.name ASC, d.id ASC",
            "close" => "d.expected_close ASC NULLS LAST, d.id ASC",
            "health" => "hs.score ASC NULLS LAST, d.id ASC",
            _ => "ps.position ASC, d.amount_minor DESC, d.id ASC",
        };
        let mut sql = Sql {
            text: format!("SELECT {DEAL_COLUMNS} {} ORDER BY {order}", from.text),
            args: from.args,
        };
        paginate(&mut sql, query);
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(PipelineView {
            stages,
            deals: page(rows.iter().map(deal_row).collect::<Result<_>>()?, total, query),
            owners: self.owners(ws.id).await?,
        })
    }

    /// The Kanban: every stage with its totals and its first cards in their order.
    pub async fn pipeline_board(&self, ws: &WorkspaceInfo, query: &ListQuery) -> Result<KanbanBoard> {
        let filters = deal_filters(ws, query)?;
        let stages = self.stage_totals(ws, &filters).await?;
        let mut sql = Sql {
            text: format!(
                "SELECT * FROM (SELECT {DEAL_COLUMNS}, \
                   ROW_NUMBER() OVER (PARTITION BY d.stage ORDER BY d.position, d.id) AS place {}) x \
                 WHERE x.place <= ",
                filters.text
            ),
            args: filters.args,
        };
        sql.arg(BOARD_COLUMN_CARDS as i64).push(" ORDER BY x.position, x.id");
        let mut cards: std::collections::HashMap<String, Vec<DealRow>> = std::collections::HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            let deal = deal_row(&r)?;
            cards.entry(deal.stage.clone()).or_default().push(deal);
        }
        Ok(KanbanBoard {
            columns: stages
                .into_iter()
                .map(|stage| BoardColumn {
                    cards: cards.remove(&stage.key).unwrap_or_default(),
                    stage,
                })
                .collect(),
            owners: self.owners(ws.id).await?,
        })
    }

    pub async fn reengage(&self, ws: &WorkspaceInfo, query: &ListQuery) -> Result<ReengageView> {
        let mut base = Sql::new("FROM winbacks w JOIN accounts a ON a.id = w.account_id WHERE w.workspace_id = ");
        base.arg(ws.id);
        if !query.shows_untracked() {
            base.push(" AND a.tracked = TRUE");
        }
        let by_reason = Sql {
            text: format!(
                "SELECT w.reason_category, CAST(SUM(w.lost_minor) AS BIGINT) AS lost {} AND w.status <> 'won_back' \
                 GROUP BY w.reason_category ORDER BY lost DESC, w.reason_category",
                base.text
            ),
            args: base.args.clone(),
        }
        .query()
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.parsed("reason_category", LostReason::parse)?,
                Money::new(r.int("lost")?, ws.currency.clone()),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
        let lost_total = Money::new(by_reason.iter().map(|(_, m)| m.minor).sum(), ws.currency.clone());

        let mut from = base;
        match query.filter.as_str() {
            "all" => {}
            "contacted" | "snoozed" | "won_back" => {
                from.push(" AND w.status = ").arg(query.filter.as_str());
            }
            _ => {
                from.push(" AND w.status IN ('open', 'contacted')");
            }
        }
        if !query.reason.is_empty() {
            let reason = LostReason::parse(&query.reason)
                .ok_or_else(|| StoreError::Invalid(format!("There is no loss reason called {:?}.", query.reason)))?;
            from.push(" AND w.reason_category = ").arg(reason.as_str());
        }
        if let Some(pattern) = search(query)? {
            from.push(" AND LOWER(a.name) LIKE ").arg(pattern).push(" ESCAPE '\\'");
        }
        let total = total(self, &from).await?;
        let order = match query.sort.as_str() {
            "name" => "a.name ASC, w.id ASC",
            "lost" => "w.lost_on DESC NULLS LAST, w.id ASC",
            "value" => "w.lost_minor DESC, w.id ASC",
            _ => "w.likelihood DESC, w.id ASC",
        };
        let mut sql = Sql {
            text: format!(
                "SELECT w.id, w.account_id, a.name AS account_name, a.lifecycle, a.currency, w.what, w.reason, \
                 w.reason_category, w.lost_on, w.lost_minor, w.status, w.contacted_at, w.contacted_by, w.snoozed_until, \
                 w.explained, w.why_now {} ORDER BY {order}",
                from.text
            ),
            args: from.args,
        };
        paginate(&mut sql, query);
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(ReengageRow {
                    id: r.int("id")?,
                    account_id: r.int("account_id")?,
                    account_name: r.text("account_name")?,
                    lifecycle: r.parsed("lifecycle", Lifecycle::parse)?,
                    deal_name: r.text("what")?,
                    reason: r.text("reason")?,
                    reason_category: r.parsed("reason_category", LostReason::parse)?,
                    lost_on: r.opt_date("lost_on")?,
                    lost_value: Money::new(r.int("lost_minor")?, ws.currency.clone()),
                    status: r.parsed("status", WinbackStatus::parse)?,
                    contacted_on: r
                        .opt_text("contacted_at")?
                        .and_then(|t| NaiveDate::parse_from_str(t.get(..10).unwrap_or(""), "%Y-%m-%d").ok()),
                    contacted_by: r.opt_text("contacted_by")?,
                    snoozed_until: r.opt_date("snoozed_until")?,
                    likelihood: r
                        .opt_text("explained")?
                        .filter(|t| !t.is_empty())
                        .map(|t| {
                            serde_json::from_str(&t)
                                .map_err(|e| StoreError::Corrupt(format!("winback likelihood: {e}")))
                        })
                        .transpose()?,
                    why_now: r.opt_text("why_now")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ReengageView {
            lost_total,
            by_reason,
            rows: page(rows, total, query),
            model: self.model(ws.id, ModelKind::Reengage).await?,
        })
    }

    pub async fn settings(&self, ws: &WorkspaceInfo) -> Result<SettingsView> {
        let connected = self.integrations(ws.id).await?;
        let recent_runs = sqlx::query(
            "SELECT id, source, status, started_at, finished_at, fetched, written, skipped, repaired, error, step \
             FROM sync_runs WHERE workspace_id = $1 ORDER BY started_at DESC, id DESC LIMIT 30",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                SyncRunRow {
                    id: r.int("id")?,
                    source: r.text("source")?,
                    status: r.text("status")?,
                    started_at: r.text("started_at")?,
                    finished_at: r.opt_text("finished_at")?,
                    fetched: r.int("fetched")?,
                    written: r.int("written")?,
                    skipped: r.int("skipped")?,
                    repaired: r.int("repaired")?,
                    error: r.opt_text("error")?,
                },
                r.opt_text("step")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
        let api_tokens = self.api_tokens(ws.id).await?;
        let integrations = IntegrationKind::ALL
            .iter()
            .map(|kind| {
                let row = connected.iter().find(|c| c.source == kind.as_str());
                let config = |key: &str| {
                    row.and_then(|r| r.config.get(key))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                let last = recent_runs.iter().find(|(r, _)| r.source == kind.as_str());
                let running = last.filter(|(r, _)| r.status == "running").map(|(r, step)| {
                    let steps = kind.sync_steps();
                    let step = step.clone().unwrap_or_default();
                    app::live::SyncProgress {
                        source: r.source.clone(),
                        run_id: r.id,
                        step_no: steps.iter().position(|s| *s == step).map(|i| i as u32 + 1).unwrap_or(1),
                        steps: steps.len() as u32,
                        step,
                        fetched: r.fetched as u64,
                        written: r.written as u64,
                        skipped: r.skipped as u64,
                        finished: false,
                        error: None,
                    }
                });
                app::integrations::IntegrationView {
                    kind: *kind,
                    connected: row.is_some() || (*kind == IntegrationKind::Signals && !api_tokens.is_empty()),
                    credential_mask: config("credential_mask"),
                    base_url: config("base_url"),
                    target: config("target"),
                    schedule_minutes: row
                        .map(|r| r.schedule_minutes as u32)
                        .unwrap_or(app::integrations::SCHEDULE_DEFAULT),
                    connected_at: row.map(|r| r.connected_at.clone()),
                    last_test: row.and_then(|r| r.last_test.clone()),
                    has_webhook_secret: row
                        .and_then(|r| r.config.get("has_webhook_secret"))
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false),
                    webhook_path: matches!(kind, IntegrationKind::Stripe | IntegrationKind::Salesbricks)
                        .then(|| format!("/webhooks/{}/{}", kind.as_str(), ws.id)),
                    last_run: last.map(|(r, _)| r.clone()),
                    running,
                }
            })
            .collect();
        let recent_runs: Vec<SyncRunRow> = recent_runs.into_iter().map(|(r, _)| r).collect();
        let rates = self.rates(ws.id).await?;
        let c = sqlx::query(
            "SELECT \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE workspace_id = $1) AS accounts, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM revenue_sources WHERE workspace_id = $1) AS revenue_sources, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE workspace_id = $1) AS invoices, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM usage_weeks WHERE workspace_id = $1) AS usage_weeks, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM signals WHERE workspace_id = $1) AS signals, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1) AS deals, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM trials WHERE workspace_id = $1) AS trials, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM feature_requests WHERE workspace_id = $1) AS feature_requests, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM releases WHERE workspace_id = $1) AS releases",
        )
        .bind(ws.id)
        .fetch_one(self.pool())
        .await?;
        let counts = DataCounts {
            accounts: count(c.int("accounts")?),
            revenue_sources: count(c.int("revenue_sources")?),
            invoices: count(c.int("invoices")?),
            usage_weeks: count(c.int("usage_weeks")?),
            signals: count(c.int("signals")?),
            deals: count(c.int("deals")?),
            trials: count(c.int("trials")?),
            feature_requests: count(c.int("feature_requests")?),
            releases: count(c.int("releases")?),
        };
        Ok(SettingsView {
            currency: rates.workspace_currency.clone(),
            rates: rates.per_currency.into_iter().collect(),
            integrations,
            recent_runs,
            counts,
            api_tokens,
        })
    }
}
