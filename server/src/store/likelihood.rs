//! What the likelihood models read and write: trials and losses with the facts their features
//! come from, decided cases (examples), trained models, and the scores the queues sort by.

use super::load::upsert_rows;
use super::sql::{day, RowExt, Sql, Val};
use super::{Result, Store, StoreError};
use app::likelihood::{FeatureValues, Model, ModelKind};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// A trial with what its features and priority need.
#[derive(Clone, Debug)]
pub struct TrialCase {
    pub id: i64,
    pub account_id: i64,
    pub started_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub seats: i64,
    pub activation_events: i64,
    pub converted: Option<bool>,
    pub features: Option<FeatureValues>,
    pub likelihood: Option<i64>,
    pub priority_minor: i64,
    pub explained: Option<String>,
    /// The vendor it was read from; `None` for trials Success knows activation of.
    pub source: Option<String>,
    /// ARR it would bring at the vendor's price, when the vendor said.
    pub potential_minor: Option<i64>,
}

/// Dated activity of an account: weekly active users and conversations.
#[derive(Clone, Debug, Default)]
pub struct Activity {
    /// (week start, active users), oldest first.
    pub weeks: Vec<(NaiveDate, i64)>,
    /// (day, sentiment, topic), oldest first.
    pub signals: Vec<(NaiveDate, f64, String)>,
}

/// An account's open deal, for a trial's potential ARR and how far its deal has come.
#[derive(Clone, Debug, Default)]
pub struct OpenDeal {
    pub amount_minor: i64,
    /// 0 in the first open stage, 1 in the last.
    pub progress: f64,
}

/// The latest loss of an account: a closed-lost deal, or a churned subscription.
#[derive(Clone, Debug)]
pub struct Loss {
    pub account_id: i64,
    pub deal_id: Option<i64>,
    pub what: String,
    pub reason: String,
    pub lost_on: Option<NaiveDate>,
    pub lost_minor: i64,
}

/// What a Re-engage row holds besides its loss: what the CSM did about it, and its score.
#[derive(Clone, Debug, PartialEq)]
pub struct WinbackRow {
    pub status: String,
    pub contacted_at: Option<String>,
    pub contacted_by: Option<String>,
    pub snoozed_until: Option<NaiveDate>,
    pub won_back_at: Option<String>,
    pub features: Option<FeatureValues>,
    pub likelihood: i64,
    pub explained: Option<String>,
    pub why_now: Option<String>,
}

/// A Re-engage row as stored.
#[derive(Clone, Debug)]
pub struct WinbackState {
    pub id: i64,
    pub account_id: i64,
    pub lost_on: Option<NaiveDate>,
    pub row: WinbackRow,
}

/// Accounts with a loss (over `$1`, the workspace), for the reads that follow them.
pub const LOSS_ACCOUNTS: &str = "SELECT d.account_id FROM deals d JOIN pipeline_stages ps \
     ON ps.workspace_id = d.workspace_id AND ps.key = d.stage WHERE d.workspace_id = $1 AND ps.outcome = 'lost' \
     UNION SELECT id FROM accounts WHERE workspace_id = $1 AND lifecycle = 'churned'";

/// Accounts with a trial (over `$1`).
pub const TRIAL_ACCOUNTS: &str = "SELECT account_id FROM trials WHERE workspace_id = $1";

/// Prospects that are not trialling (over `$1`): Convert ranks them beside the trials.
pub const PROSPECT_ACCOUNTS: &str =
    "SELECT a.id FROM accounts a WHERE a.workspace_id = $1 AND a.lifecycle = 'prospect' \
     AND NOT EXISTS (SELECT 1 FROM trials t WHERE t.account_id = a.id AND t.outcome IS NULL)";

/// A prospect's Convert score as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ProspectScore {
    pub account_id: i64,
    pub likelihood: i64,
    pub explained: String,
    pub priority_minor: i64,
}

/// A Re-engage row to write: its loss, status and score.
#[derive(Clone, Debug)]
pub struct WinbackWrite {
    pub loss: Loss,
    pub row: WinbackRow,
}

/// What a loss's features look at besides activity: champions, requests and releases.
#[derive(Clone, Debug, Default)]
pub struct LossContext {
    /// account → champions: (name, left on).
    pub champions: HashMap<i64, Vec<(String, Option<NaiveDate>)>>,
    /// account → what they asked for.
    pub requests: HashMap<i64, Vec<String>>,
    /// (published on, title, body), oldest first.
    pub releases: Vec<(NaiveDate, String, String)>,
}

/// A decided case for a model.
#[derive(Clone, Debug)]
pub struct Example {
    pub subject: String,
    pub features: FeatureValues,
    pub positive: bool,
    pub decided_on: NaiveDate,
}

fn parse_day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("not a date: {text:?}")))
}

fn parse_features(text: Option<String>) -> Result<Option<FeatureValues>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("features: {e}"))))
        .transpose()
}

fn features_json(v: &FeatureValues) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

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

    /// Activity of the accounts `accounts_sql` selects (a constant subquery over `$1`, the workspace).
    pub async fn activity(&self, ws: i64, accounts_sql: &str) -> Result<HashMap<i64, Activity>> {
        let weeks_sql = format!(
            "SELECT account_id, week_start, active_users FROM usage_weeks WHERE workspace_id = $1 \
             AND account_id IN ({accounts_sql}) ORDER BY week_start"
        );
        let signals_sql = format!(
            "SELECT account_id, occurred_at, sentiment, topic FROM signals WHERE workspace_id = $1 \
             AND account_id IN ({accounts_sql}) ORDER BY occurred_at"
        );
        let weeks = self.json_rows::<(i64, String, i64)>(
            &weeks_sql,
            &["account_id", "week_start", "active_users"],
            vec![Val::Int(ws)],
        );
        let signals = self.json_rows::<(i64, String, f64, String)>(
            &signals_sql,
            &["account_id", "occurred_at", "sentiment", "topic"],
            vec![Val::Int(ws)],
        );
        let (weeks, signals) = tokio::try_join!(weeks, signals)?;
        let mut out: HashMap<i64, Activity> = HashMap::new();
        for (account, week, active) in weeks {
            out.entry(account).or_default().weeks.push((parse_day(&week)?, active));
        }
        for (account, at, sentiment, topic) in signals {
            let on = parse_day(at.get(..10).unwrap_or(&at))?;
            out.entry(account).or_default().signals.push((on, sentiment, topic));
        }
        Ok(out)
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

    /// The examples a model already has: subject → whether it was positive.
    pub async fn example_outcomes(&self, ws: i64, kind: ModelKind) -> Result<HashMap<String, bool>> {
        Ok(self
            .json_rows::<(String, i64)>(
                "SELECT subject, positive FROM model_examples WHERE workspace_id = $1 AND kind = $2",
                &["subject", "positive"],
                vec![Val::Int(ws), Val::Text(kind.as_str().into())],
            )
            .await?
            .into_iter()
            .map(|(s, p)| (s, p != 0))
            .collect())
    }

    /// Records decided cases. A case already recorded keeps its snapshot, unless it is recorded
    /// again as positive: a loss that stayed lost for a year and is then won back counts as won.
    pub async fn record_examples(&self, ws: i64, kind: ModelKind, examples: &[Example]) -> Result<()> {
        if examples.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        upsert_rows(
            self.backend(),
            &mut tx,
            "model_examples",
            &["workspace_id", "kind", "subject", "features", "positive", "decided_on"],
            " ON CONFLICT (workspace_id, kind, subject) DO UPDATE SET features = excluded.features, \
             positive = excluded.positive, decided_on = excluded.decided_on WHERE excluded.positive = 1",
            examples,
            |_, e, v| {
                v.extend([
                    Val::Int(ws),
                    Val::Text(kind.as_str().into()),
                    Val::Text(e.subject.clone()),
                    Val::Text(features_json(&e.features)),
                    Val::Int(e.positive as i64),
                    Val::Text(day(e.decided_on)),
                ])
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn examples(&self, ws: i64, kind: ModelKind) -> Result<Vec<Example>> {
        self.json_rows::<(String, String, i64, String)>(
            "SELECT subject, features, positive, decided_on FROM model_examples WHERE workspace_id = $1 AND kind = $2 \
             ORDER BY id",
            &["subject", "features", "positive", "decided_on"],
            vec![Val::Int(ws), Val::Text(kind.as_str().into())],
        )
        .await?
        .into_iter()
        .map(|(subject, features, positive, decided)| {
            Ok(Example {
                subject,
                features: parse_features(Some(features))?.unwrap_or_default(),
                positive: positive != 0,
                decided_on: parse_day(&decided)?,
            })
        })
        .collect()
    }

    pub async fn save_model(&self, ws: i64, model: &Model, now: DateTime<Utc>) -> Result<()> {
        let json = serde_json::to_string(model).map_err(|e| StoreError::Corrupt(format!("model: {e}")))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO likelihood_models (workspace_id, kind, model, trained_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, kind) DO UPDATE SET model = excluded.model, trained_at = excluded.trained_at",
        )
        .bind(ws)
        .bind(model.kind.as_str())
        .bind(json)
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The workspace's model of this kind; the prior one until it has been trained.
    pub async fn model(&self, ws: i64, kind: ModelKind) -> Result<Model> {
        let row = sqlx::query("SELECT model FROM likelihood_models WHERE workspace_id = $1 AND kind = $2")
            .bind(ws)
            .bind(kind.as_str())
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => serde_json::from_str(&r.text("model")?).map_err(|e| StoreError::Corrupt(format!("model: {e}"))),
            None => Ok(Model::prior(kind)),
        }
    }

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
        let stamp = super::access::instant(now);
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
            super::routes::route_in(
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
        super::access::audit(&mut tx, ws, actor.0, actor.1, "reengage", &name, &detail, now).await?;
        tx.commit().await?;
        Ok(name)
    }
}
