//! Reading what scoring needs: who is scored, and the facts of a span of accounts as JSON documents.

use super::{days_between, parse_rows, FeatureCounts};
use crate::store::sql::{day, Val};
use crate::store::{Backend, Result, Store};
use app::scoring::{ScoreInputs, SignalFact};
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;

/// Who is scored, and what a large contract is in the workspace.
#[derive(Clone, Debug, Default)]
pub struct Population {
    /// Account ids, ascending.
    pub ids: Vec<i64>,
    pub large_arr_minor: i64,
}

impl Population {
    /// Consecutive spans of at most `size` accounts, as (first id, last id).
    pub fn spans(&self, size: usize) -> Vec<(i64, i64)> {
        self.ids
            .chunks(size.max(1))
            .filter_map(|part| Some((*part.first()?, *part.last()?)))
            .collect()
    }
}

/// The inputs of a span of accounts as the database handed them over: one JSON document per
/// table, turned into [`ScoreInputs`] by [`ScoreFacts::inputs`] on whichever thread scores them.
#[derive(Debug)]
pub struct ScoreFacts {
    accounts: String,
    invoices: String,
    usage: String,
    features: String,
    signals: String,
    champions: String,
}

impl ScoreFacts {
    /// The inputs of the span's accounts, by account id. `large_arr_minor` is the workspace's
    /// (see [`Store::score_population`]).
    pub fn inputs(self, today: NaiveDate, large_arr_minor: i64) -> Result<Vec<ScoreInputs>> {
        type AccountRow = (i64, i64, String, Option<String>, String);
        let mut inputs: Vec<ScoreInputs> = parse_rows::<AccountRow>(&self.accounts, "score inputs, accounts")?
            .into_iter()
            .map(|(id, arr, currency, renewal, payment)| ScoreInputs {
                account_id: id,
                arr_minor: arr,
                large_arr_minor,
                currency,
                days_to_renewal: renewal.as_deref().and_then(|d| days_between(today, d)),
                has_billing: payment != "none",
                ..ScoreInputs::default()
            })
            .collect();
        // The database builds each document in no particular order.
        inputs.sort_unstable_by_key(|i| i.account_id);
        fn find(inputs: &mut [ScoreInputs], account: i64) -> Option<&mut ScoreInputs> {
            let k = inputs.binary_search_by_key(&account, |i| i.account_id).ok()?;
            inputs.get_mut(k)
        }
        type InvoiceRow = (i64, i64, i64, Option<String>, i64);
        for (account, failed, overdue, oldest_due, outstanding) in
            parse_rows::<InvoiceRow>(&self.invoices, "score inputs, invoices")?
        {
            let Some(i) = find(&mut inputs, account) else { continue };
            i.has_billing = true;
            i.failed_invoices = failed as u32;
            i.open_overdue_invoices = overdue as u32;
            i.max_days_overdue = oldest_due
                .as_deref()
                .and_then(|d| days_between(today, d))
                .map(|d| -d)
                .unwrap_or(0);
            i.overdue_minor = outstanding;
        }
        type UsageRow = (i64, i64, i64, i64, i64, i64);
        for (account, seats, a4, n4, a12, n12) in parse_rows::<UsageRow>(&self.usage, "score inputs, usage")? {
            let (a8, n8) = (a12 - a4, n12 - n4);
            let Some(i) = find(&mut inputs, account) else { continue };
            i.licensed_seats = Some(seats);
            i.active_last_4w = (n4 > 0).then(|| a4 as f64 / n4 as f64);
            i.active_prior_8w = (n8 > 0).then(|| a8 as f64 / n8 as f64);
        }
        for (account, adoption) in parse_rows::<(i64, String)>(&self.features, "score inputs, features")? {
            let Some(i) = find(&mut inputs, account) else { continue };
            if let Ok(FeatureCounts { used, total }) = serde_json::from_str(&adoption) {
                i.features_used = Some((used, total));
            }
        }
        type SignalRow = (i64, i64, String, f64, String, String, Option<String>, String);
        for (id, account, source, sentiment, topic, quote, link, occurred) in
            parse_rows::<SignalRow>(&self.signals, "score inputs, signals")?
        {
            let Some(i) = find(&mut inputs, account) else { continue };
            let days_ago = days_between(today, &occurred).map(|d| -d).unwrap_or(0);
            if days_ago < 0 {
                continue;
            }
            i.signals.push(SignalFact {
                id,
                source,
                sentiment,
                topic,
                quote,
                days_ago,
                link,
            });
        }
        // Newest first, as the measures expect.
        for i in inputs.iter_mut() {
            i.signals.sort_by_key(|s| (s.days_ago, -s.id));
        }
        type ChampionRow = (i64, String, Option<String>);
        for (account, name, left_on) in parse_rows::<ChampionRow>(&self.champions, "score inputs, champions")? {
            let Some(i) = find(&mut inputs, account) else { continue };
            i.champion_known = true;
            if let Some(days) = left_on.as_deref().and_then(|d| days_between(today, d)).map(|d| -d) {
                if (0..=180).contains(&days) {
                    i.champion_left = Some((name, days));
                }
            }
        }
        Ok(inputs)
    }
}

impl Store {
    /// Inputs of every account of the workspace as of `today`, by account id.
    pub async fn score_inputs(&self, workspace_id: i64, today: NaiveDate) -> Result<Vec<ScoreInputs>> {
        let population = self.score_population(workspace_id).await?;
        let (Some(&first), Some(&last)) = (population.ids.first(), population.ids.last()) else {
            return Ok(Vec::new());
        };
        self.score_facts(workspace_id, today, (first, last))
            .await?
            .inputs(today, population.large_arr_minor)
    }

    /// The workspace's account ids and what a large contract is there (the upper quartile of
    /// ARR), from the (workspace, ARR, id) index alone; the inputs themselves come from
    /// [`Store::score_facts`], which reads them for a span of these ids.
    pub async fn score_population(&self, workspace_id: i64) -> Result<Population> {
        let accounts = self
            .json_rows::<(i64, i64)>(
                "SELECT id, arr_minor FROM accounts WHERE workspace_id = $1",
                &["id", "arr_minor"],
                vec![Val::Int(workspace_id)],
            )
            .await?;
        let mut arrs: Vec<i64> = accounts.iter().map(|a| a.1).filter(|arr| *arr > 0).collect();
        arrs.sort_unstable();
        let mut ids: Vec<i64> = accounts.into_iter().map(|a| a.0).collect();
        ids.sort_unstable();
        Ok(Population {
            ids,
            large_arr_minor: arrs.get(arrs.len() * 3 / 4).copied().unwrap_or(0),
        })
    }

    /// The stored score fingerprints of the workspace's accounts whose ids lie in `span`.
    pub async fn span_fingerprints(&self, workspace_id: i64, span: (i64, i64)) -> Result<HashMap<i64, i64>> {
        Ok(self
            .json_rows::<(i64, i64)>(
                "SELECT account_id, fingerprint FROM health_scores WHERE workspace_id = $1 AND account_id BETWEEN $2 AND $3",
                &["account_id", "fingerprint"],
                vec![Val::Int(workspace_id), Val::Int(span.0), Val::Int(span.1)],
            )
            .await?
            .into_iter()
            .collect())
    }

    /// The account rows, invoices, usage, feature adoption, conversations and champions of the
    /// workspace's accounts whose ids lie in `span` (inclusive), as of `today`. The reads are independent and run at
    /// once on separate connections; each is folded per account in SQL and comes back unparsed.
    pub async fn score_facts(&self, workspace_id: i64, today: NaiveDate, span: (i64, i64)) -> Result<ScoreFacts> {
        let recent = day(today - Duration::days(28));
        let from_12w = day(today - Duration::days(84));
        let today_text = day(today);
        let since_90d = day(today - Duration::days(90));
        let (lo, hi) = (Val::Int(span.0), Val::Int(span.1));
        // SQLite's planner would rather take a (workspace, …) index and pass over the whole
        // workspace for every span: 10 ms instead of 1 ms for the account rows of a span, 28 ms
        // instead of 4 ms for its invoices. The hints name the span's own range.
        let sqlite = self.backend() == Backend::Sqlite;
        let hint = |h: &'static str| if sqlite { h } else { "" };
        let accounts_query = format!(
            "SELECT id, arr_minor, currency, renewal_date, payment_state FROM accounts {} \
             WHERE workspace_id = $1 AND id BETWEEN $2 AND $3",
            hint("NOT INDEXED")
        );
        let accounts = self.json_document(
            &accounts_query,
            &["id", "arr_minor", "currency", "renewal_date", "payment_state"],
            vec![Val::Int(workspace_id), lo.clone(), hi.clone()],
        );
        let invoices_query = format!(
            "SELECT account_id, \
             CAST(SUM(CASE WHEN status = 'open' AND attempt_count >= 2 THEN 1 ELSE 0 END) AS BIGINT) AS failed, \
             CAST(SUM(CASE WHEN status = 'open' AND due_on < $2 THEN 1 ELSE 0 END) AS BIGINT) AS overdue, \
             MIN(CASE WHEN status = 'open' AND due_on < $2 THEN due_on END) AS oldest_due, \
             CAST(SUM(CASE WHEN status IN ('open', 'uncollectible') THEN amount_remaining_minor ELSE 0 END) AS BIGINT) AS outstanding \
             FROM invoices {} WHERE workspace_id = $1 AND account_id BETWEEN $3 AND $4 GROUP BY account_id",
            hint("INDEXED BY invoices_account")
        );
        let invoices = self.json_document(
            &invoices_query,
            &["account_id", "failed", "overdue", "oldest_due", "outstanding"],
            vec![
                Val::Int(workspace_id),
                Val::Text(today_text.clone()),
                lo.clone(),
                hi.clone(),
            ],
        );
        // Usage: the last 4 weeks against the 8 before, summed from the covering index
        // usage_weeks_ws_account (migration 0009). The 8 are the 12 less the 4: plain sums and
        // filtered ones cost SQLite less than a CASE per row (0.55 s instead of 0.71 s for 100,000
        // accounts). SQLite's planner would rather take the
        // (workspace, week) index and sort, three times slower than reading the covering index
        // in account order.
        let usage_by_account = hint("INDEXED BY usage_weeks_ws_account");
        let usage_query = format!(
            "SELECT account_id, CAST(MAX(licensed_seats) AS BIGINT) AS seats, \
             CAST(COALESCE(SUM(active_users) FILTER (WHERE week_start > $2), 0) AS BIGINT) AS a4, \
             CAST(COUNT(*) FILTER (WHERE week_start > $2) AS BIGINT) AS n4, \
             CAST(SUM(active_users) AS BIGINT) AS a12, CAST(COUNT(*) AS BIGINT) AS n12 \
             FROM usage_weeks {usage_by_account} WHERE workspace_id = $1 AND account_id BETWEEN $5 AND $6 \
             AND week_start > $3 AND week_start <= $4 GROUP BY account_id"
        );
        let usage = self.json_document(
            &usage_query,
            &["account_id", "seats", "a4", "n4", "a12", "n12"],
            vec![
                Val::Int(workspace_id),
                Val::Text(recent),
                Val::Text(from_12w),
                Val::Text(today_text.clone()),
                lo.clone(),
                hi.clone(),
            ],
        );
        // The product areas of the workspace's latest week up to today.
        let features = self.json_document(
            "SELECT account_id, feature_adoption FROM usage_weeks WHERE workspace_id = $1 AND account_id BETWEEN $3 AND $4 \
             AND week_start = (SELECT MAX(week_start) FROM usage_weeks WHERE workspace_id = $1 AND week_start <= $2)",
            &["account_id", "feature_adoption"],
            vec![Val::Int(workspace_id), Val::Text(today_text.clone()), lo.clone(), hi.clone()],
        );
        // Conversations of the last 90 days.
        let signals = self.json_document(
            "SELECT id, account_id, source, sentiment, topic, quote, link, occurred_at FROM signals \
             WHERE workspace_id = $1 AND account_id BETWEEN $3 AND $4 AND occurred_at >= $2",
            &[
                "id",
                "account_id",
                "source",
                "sentiment",
                "topic",
                "quote",
                "link",
                "occurred_at",
            ],
            vec![Val::Int(workspace_id), Val::Text(since_90d), lo.clone(), hi.clone()],
        );
        // Champions: who has one, and who lost one in the last 180 days.
        let champions = self.json_document(
            "SELECT account_id, name, left_on FROM contacts WHERE workspace_id = $1 AND account_id BETWEEN $3 AND $4 \
             AND is_champion = $2",
            &["account_id", "name", "left_on"],
            vec![Val::Int(workspace_id), Val::Flag(true), lo, hi],
        );
        let (accounts, invoices, usage, features, signals, champions) =
            tokio::try_join!(accounts, invoices, usage, features, signals, champions)?;
        Ok(ScoreFacts {
            accounts,
            invoices,
            usage,
            features,
            signals,
            champions,
        })
    }
}
