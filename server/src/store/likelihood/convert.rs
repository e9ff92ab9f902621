//! Convert: trials and prospects, the open deals their priority reads, and their scores.

use super::{features_json, parse_day, parse_features, OpenDeal, ProspectScore, TrialCase, PROSPECT_ACCOUNTS};
use crate::store::load::upsert_rows;
use crate::store::sql::{Sql, Val};
use crate::store::{Result, Store};
use app::likelihood::FeatureValues;
use std::collections::HashMap;

impl Store {
    pub async fn trial_cases(&self, ws: i64) -> Result<Vec<TrialCase>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            i64,
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let rows = self
            .json_rows::<Row>(
                "SELECT id, account_id, started_on, ends_on, seats, activation_events, outcome, features, \
                 likelihood, priority_minor, explained, source, potential_minor FROM trials WHERE workspace_id = $1",
                &[
                    "id",
                    "account_id",
                    "started_on",
                    "ends_on",
                    "seats",
                    "activation_events",
                    "outcome",
                    "features",
                    "likelihood",
                    "priority_minor",
                    "explained",
                    "source",
                    "potential_minor",
                ],
                vec![Val::Int(ws)],
            )
            .await?;
        rows.into_iter()
            .map(
                |(
                    id,
                    account_id,
                    started,
                    ends,
                    seats,
                    activation,
                    outcome,
                    features,
                    likelihood,
                    priority,
                    explained,
                    source,
                    potential_minor,
                )| {
                    Ok(TrialCase {
                        id,
                        account_id,
                        started_on: parse_day(&started)?,
                        ends_on: parse_day(&ends)?,
                        seats,
                        activation_events: activation,
                        converted: outcome.map(|o| o == "converted"),
                        features: parse_features(features)?,
                        likelihood,
                        priority_minor: priority,
                        explained,
                        source,
                        potential_minor,
                    })
                },
            )
            .collect()
    }

    /// Each account's most recently touched open deal, with how far along the pipeline it is.
    pub async fn open_deals(&self, ws: i64) -> Result<HashMap<i64, OpenDeal>> {
        let rows = self
            .json_rows::<(i64, i64, i64)>(
                "SELECT d.account_id, d.amount_minor, ps.position FROM deals d \
                 JOIN pipeline_stages ps ON ps.workspace_id = d.workspace_id AND ps.key = d.stage \
                 WHERE d.workspace_id = $1 AND ps.outcome = 'open' ORDER BY d.updated_at, d.id",
                &["account_id", "amount_minor", "position"],
                vec![Val::Int(ws)],
            )
            .await?;
        let positions = self
            .json_rows::<(i64,)>(
                "SELECT position FROM pipeline_stages WHERE workspace_id = $1 AND outcome = 'open' ORDER BY position",
                &["position"],
                vec![Val::Int(ws)],
            )
            .await?;
        let rank = |p: i64| {
            let i = positions.iter().position(|&(q,)| q == p).unwrap_or(0);
            if positions.len() > 1 {
                i as f64 / (positions.len() - 1) as f64
            } else {
                0.0
            }
        };
        // Later rows win: the most recently touched deal speaks for the account.
        Ok(rows
            .into_iter()
            .map(|(account, amount, position)| {
                (
                    account,
                    OpenDeal {
                        amount_minor: amount,
                        progress: rank(position),
                    },
                )
            })
            .collect())
    }

    /// Writes trial likelihoods (and freezes decided trials' features) in one transaction.
    pub async fn write_trial_scores(
        &self,
        ws: i64,
        rows: &[(i64, Option<FeatureValues>, i64, String, i64)],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (id, features, likelihood, explained, priority) in rows {
            sqlx::query(
                "UPDATE trials SET features = COALESCE($1, features), likelihood = $2, explained = $3, \
                 priority_minor = $4 WHERE id = $5 AND workspace_id = $6",
            )
            .bind(features.as_ref().map(features_json))
            .bind(*likelihood)
            .bind(explained.as_str())
            .bind(*priority)
            .bind(*id)
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The prospects Convert should rank now.
    pub async fn prospects(&self, ws: i64) -> Result<Vec<i64>> {
        Ok(self
            .json_rows::<(i64,)>(PROSPECT_ACCOUNTS, &["id"], vec![Val::Int(ws)])
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect())
    }

    /// The prospect scores stored now, by account.
    pub async fn prospect_scores(&self, ws: i64) -> Result<HashMap<i64, ProspectScore>> {
        Ok(self
            .json_rows::<(i64, i64, String, i64)>(
                "SELECT account_id, likelihood, explained, priority_minor FROM convert_prospects WHERE workspace_id = $1",
                &["account_id", "likelihood", "explained", "priority_minor"],
                vec![Val::Int(ws)],
            )
            .await?
            .into_iter()
            .map(|(account_id, likelihood, explained, priority_minor)| {
                (
                    account_id,
                    ProspectScore {
                        account_id,
                        likelihood,
                        explained,
                        priority_minor,
                    },
                )
            })
            .collect())
    }

    /// Writes the prospect scores that changed and removes those of accounts that are no longer
    /// prospects without a trial, in one transaction.
    pub async fn write_prospect_scores(&self, ws: i64, rows: &[ProspectScore], gone: &[i64]) -> Result<()> {
        if rows.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in gone.chunks(500) {
            let mut sql = Sql::new("DELETE FROM convert_prospects WHERE workspace_id = ");
            sql.arg(ws).push(" AND account_id").in_list(chunk);
            sql.query().execute(&mut *tx).await?;
        }
        upsert_rows(
            self.backend(),
            &mut tx,
            "convert_prospects",
            &[
                "account_id",
                "workspace_id",
                "likelihood",
                "explained",
                "priority_minor",
            ],
            " ON CONFLICT (account_id) DO UPDATE SET likelihood = excluded.likelihood, \
             explained = excluded.explained, priority_minor = excluded.priority_minor",
            rows,
            |_, r, v| {
                v.extend([
                    Val::Int(r.account_id),
                    Val::Int(ws),
                    Val::Int(r.likelihood),
                    Val::Text(r.explained.clone()),
                    Val::Int(r.priority_minor),
                ])
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
