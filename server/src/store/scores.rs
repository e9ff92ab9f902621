//! What scoring reads and writes: the inputs of every account of a workspace, gathered with a
//! handful of set-based queries, and the scores, written only where they changed.

mod inputs;
mod write;

pub use inputs::{Population, ScoreFacts};

use super::sql::{RowExt, Sql, Val};
use super::{Backend, Result, Store, StoreError};
use app::scoring::{section_link, Factor, MeasureKind, Score, Scorecard};
use chrono::NaiveDate;
use std::collections::HashMap;

/// What a rescoring run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScoreWrite {
    pub accounts: usize,
    pub changed: usize,
}

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
mod tests;
