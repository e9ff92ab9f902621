//! The customer page: one account with its contacts, revenue, usage, signals, deals, trials and requests.

use super::*;

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

const TRIAL_COLUMNS: &str = "t.id, t.account_id, a.name AS account_name, a.lifecycle, a.currency, t.started_on, \
     t.ends_on, t.seats, t.activation_events, t.explained, t.priority_minor, \
     (SELECT u.active_users FROM usage_weeks u WHERE u.account_id = t.account_id ORDER BY u.week_start DESC LIMIT 1) AS active_last_week, \
     (SELECT ps.label FROM deals d JOIN pipeline_stages ps ON ps.workspace_id = d.workspace_id AND ps.key = d.stage \
        WHERE d.account_id = t.account_id ORDER BY d.updated_at DESC, d.id DESC LIMIT 1) AS deal_stage, \
     COALESCE((SELECT d.amount_minor FROM deals d WHERE d.account_id = t.account_id ORDER BY d.updated_at DESC, d.id DESC LIMIT 1), \
       t.potential_minor) AS potential_minor";

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

impl Store {
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
}
