//! What scoring reads and writes: the inputs of every account of a workspace, gathered with a
//! handful of set-based queries, and the scores, written only where they changed.

use super::load::upsert_rows;
use super::sql::{day, RowExt, Sql, Val};
use super::{Backend, Result, Store, StoreError};
use app::scoring::{section_link, Factor, MeasureKind, Score, ScoreInputs, Scorecard, SignalFact};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::Row;
use std::collections::HashMap;

/// What a rescoring run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScoreWrite {
    pub accounts: usize,
    pub changed: usize,
}

/// SQLite's default: a commit that leaves the write-ahead log over 1,000 pages copies it back.
const WAL_AUTOCHECKPOINT: &str = "PRAGMA wal_autocheckpoint = 1000";

/// FNV-1a over the stored form of a score: stable across runs and builds.
fn fingerprint(score: i64, band: &str, factors: &str, missing: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [score.to_string().as_str(), band, factors, missing] {
        for b in part.bytes().chain([0xff]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h as i64
}

/// A span of accounts scored: how many, and the scores that differ from the stored ones.
#[derive(Clone, Debug, Default)]
pub struct ScoredSpan {
    pub accounts: usize,
    pub changed: Vec<StoredScore>,
}

impl ScoredSpan {
    /// `stored`: the stored fingerprints by account.
    pub fn new(scores: Vec<StoredScore>, stored: &HashMap<i64, i64>) -> Self {
        Self {
            accounts: scores.len(),
            changed: scores
                .into_iter()
                .filter(|s| stored.get(&s.account_id) != Some(&s.fingerprint))
                .collect(),
        }
    }
}

/// A score in the form it is stored, with its fingerprint. Built on the scoring threads, so the
/// serialising is spread over the cores and the write only compares and writes.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredScore {
    pub account_id: i64,
    pub score: i64,
    pub band: &'static str,
    pub factors: String,
    pub missing: String,
    pub fingerprint: i64,
}

impl StoredScore {
    pub fn of(account_id: i64, s: &Score) -> Self {
        let factors = factors_to_text(account_id, &s.factors);
        let missing = serde_json::to_string(&s.missing).unwrap_or_else(|_| "[]".into());
        let band = s.band.as_str();
        Self {
            account_id,
            score: s.score as i64,
            band,
            fingerprint: fingerprint(s.score as i64, band, &factors, &missing),
            factors,
            missing,
        }
    }
}

/// A factor as stored: `[kind, points, helps, evidence, link]`. The label and the source follow
/// from the kind, and the link is kept only where it is not the kind's section of the account page;
/// this halves what a rescore of every account writes.
type StoredFactor = (MeasureKind, i32, bool, String, Option<String>);

pub(super) fn factors_to_text(account: i64, factors: &[Factor]) -> String {
    let stored: Vec<StoredFactor> = factors
        .iter()
        .map(|f| {
            let link = f
                .link
                .clone()
                .filter(|l| Some(l) != section_link(account, f.kind).as_ref());
            (
                f.kind,
                f.points,
                f.label == f.kind.verdict(true),
                f.evidence.clone(),
                link,
            )
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
}

/// The factors of a stored score; rows written before the compact form hold whole factors.
pub(super) fn factors_from_text(account: i64, text: &str) -> Vec<Factor> {
    match serde_json::from_str::<Vec<StoredFactor>>(text) {
        Ok(stored) => stored
            .into_iter()
            .map(|(kind, points, helps, evidence, link)| Factor {
                kind,
                points,
                label: kind.verdict(helps).to_string(),
                source: kind.source().to_string(),
                evidence,
                link: link.or_else(|| section_link(account, kind)),
            })
            .collect(),
        Err(_) => serde_json::from_str(text).unwrap_or_default(),
    }
}

/// Days from `from` to the date that `to_text` starts with (`YYYY-MM-DD…`). Read by hand: a rescore
/// reads a few hundred thousand dates, and chrono's format parser was a visible share of it.
fn days_between(from: NaiveDate, to_text: &str) -> Option<i64> {
    let b = to_text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter()
            .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    Some((date - from).num_days())
}

/// Parses a document of rows built by [`Store::json_rows`].
fn parse_rows<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<Vec<T>> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Of a week's feature adoption (`{"area": users, …}`): how many areas were used and how many
/// there are, counted as the object is read.
struct FeatureCounts {
    used: u32,
    total: u32,
}

impl<'de> serde::Deserialize<'de> for FeatureCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Counter;
        impl<'de> serde::de::Visitor<'de> for Counter {
            type Value = FeatureCounts;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of product areas and their users")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> std::result::Result<FeatureCounts, M::Error> {
                let mut counts = FeatureCounts { used: 0, total: 0 };
                while let Some((_, users)) = map.next_entry::<serde::de::IgnoredAny, f64>()? {
                    counts.total += 1;
                    counts.used += u32::from(users > 0.0);
                }
                Ok(counts)
            }
        }
        d.deserialize_map(Counter)
    }
}

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
    pub async fn workspace_ids(&self) -> Result<Vec<i64>> {
        sqlx::query("SELECT id FROM workspaces ORDER BY id")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.int("id"))
            .collect()
    }

    /// The workspace's scorecard (the default until someone edits it).
    pub async fn scorecard(&self, workspace_id: i64) -> Result<Scorecard> {
        let text: Option<String> = sqlx::query("SELECT scorecard FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_one(self.pool())
            .await?
            .opt_text("scorecard")?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
    }

    /// Replaces the workspace's scorecard (audited in the same transaction).
    pub async fn save_scorecard(
        &self,
        workspace_id: i64,
        card: &Scorecard,
        by: &app::api::Member,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let before = self.scorecard(workspace_id).await?;
        let text = serde_json::to_string(card).map_err(|e| super::StoreError::Invalid(e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE workspaces SET scorecard = $1 WHERE id = $2")
            .bind(text)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        let detail = describe_change(&before, card);
        super::access::audit(
            &mut tx,
            workspace_id,
            Some(by.user_id),
            &by.name,
            "scorecard changed",
            "Health score",
            &detail,
            now,
        )
        .await?;
        super::jobs::enqueue_after_change(&mut tx, workspace_id, super::jobs::Changes::SCORES, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Monitored accounts (tracked, not churned), largest ARR first: id, name, ARR, computed band.
    pub async fn preview_accounts(
        &self,
        workspace_id: i64,
        limit: usize,
    ) -> Result<(Vec<(i64, String, i64, Option<String>)>, u64)> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, a.arr_minor, hs.band FROM accounts a LEFT JOIN health_scores hs ON hs.account_id = a.id \
             WHERE a.workspace_id = $1 AND a.tracked = $2 AND a.lifecycle <> 'churned' ORDER BY a.arr_minor DESC, a.id LIMIT $3",
        )
        .bind(workspace_id)
        .bind(true)
        .bind(limit as i64)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.int("id")?, r.text("name")?, r.int("arr_minor")?, r.opt_text("band")?)))
        .collect::<Result<Vec<_>>>()?;
        let total = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM accounts WHERE workspace_id = $1 AND tracked = $2 AND lifecycle <> 'churned'",
        )
        .bind(workspace_id)
        .bind(true)
        .fetch_one(self.pool())
        .await?
        .int("n")?;
        Ok((rows, total.max(0) as u64))
    }

    /// Runs `inner` and hands back its rows as one JSON array of arrays that the database builds.
    /// A rescore reads a few hundred thousand small rows; one document instead of a row at a time
    /// through the driver makes the read several times faster (see README, Health scores).
    pub(super) async fn json_rows<T: serde::de::DeserializeOwned>(
        &self,
        inner: &str,
        columns: &[&str],
        args: Vec<Val>,
    ) -> Result<Vec<T>> {
        let json = self.json_document(inner, columns, args).await?;
        parse_rows(&json, "rows of a read")
    }

    /// The rows of `inner` as one JSON array of arrays, unparsed (the caller parses it where the
    /// CPU time suits it).
    async fn json_document(&self, inner: &str, columns: &[&str], args: Vec<Val>) -> Result<String> {
        let cols = columns.iter().map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
        let text = match self.backend() {
            Backend::Sqlite => format!("SELECT json_group_array(json_array({cols})) AS j FROM ({inner}) t"),
            Backend::Postgres => {
                format!("SELECT COALESCE(json_agg(json_build_array({cols})), '[]'::json)::text AS j FROM ({inner}) t")
            }
        };
        let sql = Sql { text, args };
        let t = std::time::Instant::now();
        let json = sql.query().fetch_one(self.pool()).await?.text("j")?;
        tracing::trace!(
            query = inner.get(..40).unwrap_or(inner),
            fetch_ms = t.elapsed().as_millis() as u64,
            kib = json.len() / 1024,
            "json rows"
        );
        Ok(json)
    }

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

    /// Writes the scores that changed, and today's history point for them, in one transaction.
    pub async fn write_scores(
        &self,
        workspace_id: i64,
        scores: Vec<StoredScore>,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ScoreWrite> {
        let stored = self.span_fingerprints(workspace_id, (i64::MIN, i64::MAX)).await?;
        let (spans, rx) = tokio::sync::mpsc::channel(1);
        spans.send(Ok(ScoredSpan::new(scores, &stored))).await.ok();
        drop(spans);
        self.write_score_batches(workspace_id, rx, today, now).await
    }

    /// Writes the changed scores of each span, and today's history point for them, in one
    /// transaction committed after the last span. The spans arrive while the later ones are still
    /// being read and scored, so reading, scoring and writing overlap. A span that failed to come
    /// (an error in its place) rolls everything back.
    pub async fn write_score_batches(
        &self,
        workspace_id: i64,
        mut spans: tokio::sync::mpsc::Receiver<Result<ScoredSpan>>,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ScoreWrite> {
        let mut report = ScoreWrite::default();
        // The next span's changed scores; None when the spans are done.
        let mut next_changed = async |report: &mut ScoreWrite| -> Result<Option<Vec<StoredScore>>> {
            while let Some(span) = spans.recv().await {
                let ScoredSpan { accounts, changed } = span?;
                report.accounts += accounts;
                if !changed.is_empty() {
                    report.changed += changed.len();
                    return Ok(Some(changed));
                }
            }
            Ok(None)
        };
        let Some(first) = next_changed(&mut report).await? else {
            return Ok(report);
        };
        let now_text = super::access::instant(now);
        let today_text = day(today);
        let sqlite = self.backend() == Backend::Sqlite;
        let mut conn = self.pool().acquire().await?;
        if sqlite {
            // Rewriting every score touches more pages than the usual cache holds; with room for
            // them the write takes half the time (README, Health scores).
            sqlx::query("PRAGMA cache_size = -262144").execute(&mut *conn).await?;
        }
        let t = std::time::Instant::now();
        let written = async {
            let mut tx = self.begin_write_on(&mut conn).await?;
            let mut changed = Some(first);
            while let Some(rows) = changed {
                let points = rows.iter().map(|c| (c.account_id, c.score, c.band)).collect();
                upsert_rows(
                    self.backend(),
                    &mut tx,
                    "health_scores",
                    &[
                        "account_id",
                        "workspace_id",
                        "score",
                        "band",
                        "factors",
                        "missing",
                        "computed_at",
                        "fingerprint",
                    ],
                    " ON CONFLICT (account_id) DO UPDATE SET score = excluded.score, band = excluded.band, \
                      factors = excluded.factors, missing = excluded.missing, computed_at = excluded.computed_at, \
                      fingerprint = excluded.fingerprint",
                    &rows,
                    |_, s, out| {
                        out.extend([
                            Val::Int(s.account_id),
                            Val::Int(workspace_id),
                            Val::Int(s.score),
                            Val::Text(s.band.to_string()),
                            Val::Text(s.factors.clone()),
                            Val::Text(s.missing.clone()),
                            Val::Text(now_text.clone()),
                            Val::Int(s.fingerprint),
                        ])
                    },
                )
                .await?;
                self.write_history(&mut tx, workspace_id, &today_text, points).await?;
                // The queue's copy of score and band on the account row (see migration 0008), for the
                // batch's span of accounts. Driven by the score rows just written, in key order: a scan
                // of the accounts' own index, which this update rewrites, took half as long again.
                let first = rows.iter().map(|r| r.account_id).min().unwrap_or_default();
                let last = rows.iter().map(|r| r.account_id).max().unwrap_or_default();
                sqlx::query(
                    "UPDATE accounts SET health_rank = hs.score, health_band = hs.band FROM health_scores hs \
                     WHERE hs.account_id BETWEEN $2 AND $3 AND hs.workspace_id = $1 AND hs.account_id = accounts.id \
                     AND (accounts.health_rank <> hs.score OR COALESCE(accounts.health_band, '') <> hs.band)",
                )
                .bind(workspace_id)
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await?;
                changed = next_changed(&mut report).await?;
            }
            tracing::debug!(
                ms = t.elapsed().as_millis() as u64,
                "write scores, history and accounts"
            );
            let t = std::time::Instant::now();
            if sqlite {
                // The commit would copy the whole write from the log into the database file
                // itself (the automatic checkpoint); that copy runs after, off the rescore's path.
                sqlx::query("PRAGMA wal_autocheckpoint = 0").execute(&mut *tx).await?;
            }
            tx.commit().await?;
            tracing::debug!(ms = t.elapsed().as_millis() as u64, "write commit");
            Ok::<_, StoreError>(())
        }
        .await;
        if sqlite {
            // Written or not, the connection goes back to the pool as it came out.
            sqlx::query(super::SQLITE_CACHE).execute(&mut *conn).await?;
            sqlx::query(WAL_AUTOCHECKPOINT).execute(&mut *conn).await?;
        }
        written?;
        if sqlite {
            let pool = self.pool().clone();
            tokio::spawn(async move {
                let t = std::time::Instant::now();
                match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    Ok(_) => tracing::debug!(ms = t.elapsed().as_millis() as u64, "checkpoint after rescore"),
                    Err(e) => tracing::warn!(error = %e, "checkpoint after rescore"),
                }
            });
        }
        Ok(report)
    }

    /// Records the score of each account on `day` (one point per account per day).
    pub async fn write_history_points(
        &self,
        workspace_id: i64,
        day_text: &str,
        points: Vec<(i64, i64, &'static str)>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.write_history(&mut tx, workspace_id, day_text, points).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_history(
        &self,
        conn: &mut sqlx::AnyConnection,
        workspace_id: i64,
        day_text: &str,
        points: Vec<(i64, i64, &'static str)>,
    ) -> Result<()> {
        upsert_rows(
            self.backend(),
            conn,
            "health_history",
            &["workspace_id", "account_id", "day", "score", "band"],
            " ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, band = excluded.band",
            &points,
            |_, (account, score, band), out| {
                out.extend([
                    Val::Int(workspace_id),
                    Val::Int(*account),
                    Val::Text(day_text.to_string()),
                    Val::Int(*score),
                    Val::Text(band.to_string()),
                ])
            },
        )
        .await
    }

    /// Removes a workspace's scores and history (benchmarks start from nothing).
    pub async fn clear_scores(&self, workspace_id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for table in ["health_scores", "health_history"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE workspace_id = $1"))
                .bind(workspace_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE accounts SET health_rank = 101, health_band = NULL WHERE workspace_id = $1")
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Score history of one account since `since`, oldest first.
    pub async fn score_history(
        &self,
        workspace_id: i64,
        account_id: i64,
        since: NaiveDate,
    ) -> Result<Vec<(NaiveDate, i32)>> {
        sqlx::query("SELECT day, score FROM health_history WHERE workspace_id = $1 AND account_id = $2 AND day >= $3 ORDER BY day")
            .bind(workspace_id)
            .bind(account_id)
            .bind(day(since))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.date("day")?, r.try_get::<i64, _>("score")? as i32)))
            .collect()
    }
}

/// "Adoption weight 22 → 30; green from 65 → 70" for the audit log.
fn describe_change(before: &Scorecard, after: &Scorecard) -> String {
    let mut changes = Vec::new();
    if before.green_from != after.green_from {
        changes.push(format!("green from {} → {}", before.green_from, after.green_from));
    }
    if before.red_below != after.red_below {
        changes.push(format!("red below {} → {}", before.red_below, after.red_below));
    }
    for m in &after.measures {
        let Some(old) = before.measures.iter().find(|o| o.kind == m.kind) else {
            continue;
        };
        if old.enabled != m.enabled {
            changes.push(format!(
                "{} {}",
                m.kind.label(),
                if m.enabled { "enabled" } else { "disabled" }
            ));
        }
        if old.weight != m.weight {
            changes.push(format!("{} weight {} → {}", m.kind.label(), old.weight, m.weight));
        }
        if old.worst != m.worst || old.best != m.best {
            changes.push(format!(
                "{} thresholds {}–{} → {}–{}",
                m.kind.label(),
                old.worst,
                old.best,
                m.worst,
                m.best
            ));
        }
    }
    if changes.is_empty() {
        "no change".into()
    } else {
        changes.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::scoring::{score, SignalFact};

    #[test]
    fn dates_are_read_as_days_from_today() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(days_between(today, "2026-12-01"), Some(3));
        assert_eq!(days_between(today, "2026-11-01T10:00:00Z"), Some(-27));
        assert_eq!(days_between(today, "2025-11-28 00:00:00"), Some(-365));
        for bad in ["", "2026-11", "2026/11/28", "2026-13-01", "2026-02-30", "20x6-11-28"] {
            assert_eq!(days_between(today, bad), None, "{bad}");
        }
    }

    #[test]
    fn feature_adoption_is_counted_as_read() {
        let c: FeatureCounts = serde_json::from_str(r#"{"search":3,"api":0,"admin":1.5,"sso":0}"#).unwrap();
        assert_eq!((c.used, c.total), (2, 4));
        assert!(serde_json::from_str::<FeatureCounts>("[1,2]").is_err());
    }

    #[test]
    fn stored_factors_read_back_as_scored() {
        let inputs = ScoreInputs {
            account_id: 42,
            licensed_seats: Some(25),
            active_last_4w: Some(3.0),
            active_prior_8w: Some(12.0),
            features_used: Some((1, 5)),
            has_billing: true,
            failed_invoices: 1,
            overdue_minor: 120_000,
            currency: "USD".into(),
            days_to_renewal: Some(20),
            arr_minor: 4_800_000,
            large_arr_minor: 4_800_000,
            signals: vec![
                SignalFact {
                    id: 9,
                    source: "call".into(),
                    sentiment: -0.8,
                    topic: "churn risk".into(),
                    quote: "We are looking at other tools.".into(),
                    days_ago: 3,
                    link: Some("https://calls.example/9".into()),
                },
                SignalFact {
                    id: 10,
                    source: "support".into(),
                    sentiment: 0.6,
                    topic: "praise".into(),
                    quote: "Thanks, fixed.".into(),
                    days_ago: 5,
                    link: None,
                },
            ],
            champion_known: true,
            ..ScoreInputs::default()
        };
        let scored = score(&Scorecard::default(), &inputs);
        assert!(scored.factors.iter().any(|f| f.points < 0) && scored.factors.iter().any(|f| f.points > 0));
        let text = factors_to_text(42, &scored.factors);
        assert_eq!(factors_from_text(42, &text), scored.factors, "{text}");
        assert!(!text.contains("/accounts/42#"), "section links are not stored: {text}");
        assert!(
            text.contains("https://calls.example/9"),
            "a signal's own link is: {text}"
        );
        // Rows written before the compact form still read.
        let whole = serde_json::to_string(&scored.factors).unwrap();
        assert_eq!(factors_from_text(42, &whole), scored.factors);
    }
}
