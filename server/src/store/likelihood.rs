//! What the likelihood models read and write: trials and losses with the facts their features
//! come from, decided cases (examples), trained models, and the scores the queues sort by.

mod convert;
mod models;
mod reengage;

pub use reengage::WinbackChange;

use super::sql::Val;
use super::{Result, Store, StoreError};
use app::likelihood::FeatureValues;
use chrono::NaiveDate;
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
}
