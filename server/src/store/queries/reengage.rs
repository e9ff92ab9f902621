//! Re-engage: win-backs and the ARR lost by reason.

use super::*;

impl Store {
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
}
