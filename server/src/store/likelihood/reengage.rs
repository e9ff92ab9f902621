//! Re-engage: losses, the context their features read, the stored rows, and what a CSM does about them.

use super::{
    features_json, parse_day, parse_features, Loss, LossContext, WinbackRow, WinbackState, WinbackWrite, LOSS_ACCOUNTS,
};
use crate::store::load::upsert_rows;
use crate::store::sql::{day, RowExt, Sql, Val};
use crate::store::{Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

impl Store {
    /// Each account's latest loss: its newest closed-lost deal, else (for a churned account) its
    /// last subscription's end and ARR.
    pub async fn losses(&self, ws: i64) -> Result<Vec<Loss>> {
        type Row = (i64, Option<i64>, String, Option<String>, Option<String>, i64);
        let rows = self
            .json_rows::<Row>(
                "SELECT d.account_id, d.id AS deal_id, d.name AS what, d.closed_lost_reason AS reason, \
                   COALESCE(d.lost_on, d.expected_close) AS lost_on, d.amount_minor AS lost_minor \
                 FROM deals d JOIN pipeline_stages ps ON ps.workspace_id = d.workspace_id AND ps.key = d.stage \
                 WHERE d.workspace_id = $1 AND ps.outcome = 'lost' \
                 UNION ALL \
                 SELECT a.id, NULL, 'Churned account', NULL, \
                   (SELECT MAX(r.end_date) FROM revenue_sources r WHERE r.account_id = a.id), \
                   COALESCE((SELECT CAST(MAX(r.mrr_minor) * 12 AS BIGINT) FROM revenue_sources r WHERE r.account_id = a.id), 0) \
                 FROM accounts a WHERE a.workspace_id = $1 AND a.lifecycle = 'churned'",
                &["account_id", "deal_id", "what", "reason", "lost_on", "lost_minor"],
                vec![Val::Int(ws)],
            )
            .await?;
        let mut latest: HashMap<i64, Loss> = HashMap::new();
        for (account_id, deal_id, what, reason, lost_on, lost_minor) in rows {
            let loss = Loss {
                account_id,
                deal_id,
                what,
                reason: reason
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| "unknown".into()),
                lost_on: lost_on.as_deref().map(parse_day).transpose()?,
                lost_minor,
            };
            match latest.get(&account_id) {
                // A lost deal speaks for the account over its churn; the newer deal over the older.
                Some(have) if have.deal_id.is_some() && (loss.deal_id.is_none() || have.lost_on >= loss.lost_on) => {}
                _ => {
                    latest.insert(account_id, loss);
                }
            }
        }
        let mut out: Vec<Loss> = latest.into_values().collect();
        out.sort_by_key(|l| l.account_id);
        Ok(out)
    }

    pub async fn winback_states(&self, ws: i64) -> Result<HashMap<i64, WinbackState>> {
        type Row = (
            i64,
            i64,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            Option<String>,
            Option<String>,
        );
        self.json_rows::<Row>(
            "SELECT id, account_id, lost_on, status, contacted_at, contacted_by, snoozed_until, won_back_at, features, \
             likelihood, explained, why_now FROM winbacks WHERE workspace_id = $1",
            &[
                "id",
                "account_id",
                "lost_on",
                "status",
                "contacted_at",
                "contacted_by",
                "snoozed_until",
                "won_back_at",
                "features",
                "likelihood",
                "explained",
                "why_now",
            ],
            vec![Val::Int(ws)],
        )
        .await?
        .into_iter()
        .map(
            |(
                id,
                account_id,
                lost_on,
                status,
                contacted_at,
                contacted_by,
                snoozed,
                won_back_at,
                features,
                likelihood,
                explained,
                why_now,
            )| {
                Ok((
                    account_id,
                    WinbackState {
                        id,
                        account_id,
                        lost_on: lost_on.as_deref().map(parse_day).transpose()?,
                        row: WinbackRow {
                            status,
                            contacted_at,
                            contacted_by,
                            snoozed_until: snoozed.as_deref().map(parse_day).transpose()?,
                            won_back_at,
                            features: parse_features(features)?,
                            likelihood,
                            explained,
                            why_now,
                        },
                    },
                ))
            },
        )
        .collect()
    }

    pub async fn loss_context(&self, ws: i64) -> Result<LossContext> {
        let champions = self.json_rows::<(i64, String, Option<String>)>(
            "SELECT account_id, name, left_on FROM contacts WHERE workspace_id = $1 AND is_champion = $2",
            &["account_id", "name", "left_on"],
            vec![Val::Int(ws), Val::Flag(true)],
        );
        let requests_sql = format!(
            "SELECT account_id, quote FROM feature_requests WHERE workspace_id = $1 AND account_id IN ({LOSS_ACCOUNTS})"
        );
        let requests = self.json_rows::<(i64, String)>(&requests_sql, &["account_id", "quote"], vec![Val::Int(ws)]);
        let releases = self.json_rows::<(String, String, String)>(
            "SELECT published_on, title, body FROM releases WHERE workspace_id = $1 ORDER BY published_on",
            &["published_on", "title", "body"],
            vec![Val::Int(ws)],
        );
        let (champions, requests, releases) = tokio::try_join!(champions, requests, releases)?;
        let mut context = LossContext::default();
        for (account, name, left) in champions {
            context
                .champions
                .entry(account)
                .or_default()
                .push((name, left.as_deref().map(parse_day).transpose()?));
        }
        for (account, quote) in requests {
            context.requests.entry(account).or_default().push(quote);
        }
        for (published, title, body) in releases {
            context.releases.push((parse_day(&published)?, title, body));
        }
        Ok(context)
    }

    /// Writes the Re-engage rows that changed and removes those whose loss is gone, in one transaction.
    pub async fn write_winbacks(&self, ws: i64, rows: &[WinbackWrite], gone: &[i64]) -> Result<()> {
        if rows.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in gone.chunks(500) {
            let mut sql = Sql::new("DELETE FROM winbacks WHERE workspace_id = ");
            sql.arg(ws).push(" AND id").in_list(chunk);
            sql.query().execute(&mut *tx).await?;
        }
        upsert_rows(
            self.backend(),
            &mut tx,
            "winbacks",
            &[
                "workspace_id",
                "account_id",
                "deal_id",
                "what",
                "reason",
                "reason_category",
                "lost_on",
                "lost_minor",
                "status",
                "contacted_at",
                "contacted_by",
                "snoozed_until",
                "won_back_at",
                "features",
                "likelihood",
                "explained",
                "why_now",
            ],
            " ON CONFLICT (account_id) DO UPDATE SET deal_id = excluded.deal_id, what = excluded.what, \
             reason = excluded.reason, reason_category = excluded.reason_category, lost_on = excluded.lost_on, \
             lost_minor = excluded.lost_minor, status = excluded.status, contacted_at = excluded.contacted_at, \
             contacted_by = excluded.contacted_by, snoozed_until = excluded.snoozed_until, \
             won_back_at = excluded.won_back_at, features = excluded.features, likelihood = excluded.likelihood, \
             explained = excluded.explained, why_now = excluded.why_now",
            rows,
            |_, WinbackWrite { loss, row: w }, v| {
                v.extend([
                    Val::Int(ws),
                    Val::Int(loss.account_id),
                    loss.deal_id.map(Val::Int).unwrap_or(Val::NullInt),
                    Val::Text(loss.what.clone()),
                    Val::Text(loss.reason.clone()),
                    Val::Text(app::likelihood::LostReason::categorise(&loss.reason).as_str().into()),
                    loss.lost_on.into(),
                    Val::Int(loss.lost_minor),
                    Val::Text(w.status.clone()),
                    w.contacted_at.clone().into(),
                    w.contacted_by.clone().into(),
                    w.snoozed_until.into(),
                    w.won_back_at.clone().into(),
                    w.features.as_ref().map(features_json).into(),
                    Val::Int(w.likelihood),
                    w.explained.clone().into(),
                    w.why_now.clone().into(),
                ])
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What a CSM did about a loss, as the store applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinbackChange {
    Contacted,
    SnoozeUntil(NaiveDate),
    WonBack,
    Reopen,
}

impl Store {
    /// Applies a CSM's action to a Re-engage row, audited, in one transaction. Winning back opens
    /// a win-back deal in Pipeline's first stage (routed from Re-engage) and freezes the row's
    /// features as a case the model learns from. Returns the account's name.
    pub async fn change_winback(
        &self,
        ws: i64,
        id: i64,
        change: WinbackChange,
        actor: (Option<i64>, &str),
        now: DateTime<Utc>,
    ) -> Result<String> {
        let stamp = crate::store::access::instant(now);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT w.account_id, w.status, w.lost_minor, a.name FROM winbacks w JOIN accounts a ON a.id = w.account_id \
             WHERE w.id = $1 AND w.workspace_id = $2",
        )
        .bind(id)
        .bind(ws)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("That lost opportunity"))?;
        let account_id = row.int("account_id")?;
        let name = row.text("name")?;
        let status = row.text("status")?;
        if status == "won_back" && change != WinbackChange::Reopen {
            return Err(StoreError::Conflict(format!("{name} is already marked won back.")));
        }
        let (query, detail) = match change {
            WinbackChange::Contacted => (
                sqlx::query(
                    "UPDATE winbacks SET status = 'contacted', contacted_at = $1, contacted_by = $2, snoozed_until = NULL \
                     WHERE id = $3 AND workspace_id = $4",
                )
                .bind(stamp.clone())
                .bind(actor.1),
                "marked contacted".to_string(),
            ),
            WinbackChange::SnoozeUntil(until) => (
                sqlx::query("UPDATE winbacks SET status = 'snoozed', snoozed_until = $1 WHERE id = $2 AND workspace_id = $3")
                    .bind(day(until)),
                format!("snoozed until {until}"),
            ),
            WinbackChange::WonBack => (
                sqlx::query(
                    "UPDATE winbacks SET status = 'won_back', won_back_at = $1, contacted_by = COALESCE(contacted_by, $2), \
                     snoozed_until = NULL WHERE id = $3 AND workspace_id = $4",
                )
                .bind(stamp.clone())
                .bind(actor.1),
                "marked won back".to_string(),
            ),
            WinbackChange::Reopen => (
                sqlx::query(
                    "UPDATE winbacks SET status = 'open', contacted_at = NULL, contacted_by = NULL, snoozed_until = NULL, \
                     won_back_at = NULL WHERE id = $1 AND workspace_id = $2",
                ),
                "put back in the queue".to_string(),
            ),
        };
        query.bind(id).bind(ws).execute(&mut *tx).await?;
        if change == WinbackChange::Reopen && status == "won_back" {
            // The win-back is undone: the model must not keep learning from it.
            sqlx::query(
                "DELETE FROM model_examples WHERE workspace_id = $1 AND kind = 'reengage' AND subject LIKE $2 \
                 AND positive = 1",
            )
            .bind(ws)
            .bind(format!("winback:{account_id}:%"))
            .execute(&mut *tx)
            .await?;
        }
        if change == WinbackChange::WonBack {
            let amount = row.int("lost_minor")?;
            crate::store::routes::route_in(
                &mut tx,
                ws,
                account_id,
                app::model::RoutePage::Reengage,
                app::model::RoutePage::Pipeline,
                actor.1,
                Some("Won back"),
                Some((format!("{name} win-back"), amount)),
                &stamp,
            )
            .await?;
        }
        crate::store::access::audit(&mut tx, ws, actor.0, actor.1, "reengage", &name, &detail, now).await?;
        tx.commit().await?;
        Ok(name)
    }
}
