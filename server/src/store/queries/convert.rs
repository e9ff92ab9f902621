//! Convert: trials and prospects in priority order.

use super::*;

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

impl Store {
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
}
