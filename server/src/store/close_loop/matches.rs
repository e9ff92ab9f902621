//! What the matcher reads and writes: requests and release items, proposals, embeddings, decisions.

use super::{now_text, ItemText, LoopCorpus, NewFeatureRequest, Proposal, RequestText};
use crate::store::sql::{RowExt, Sql, Val};
use crate::store::{Result, Store, StoreError};
use app::close_loop::MatchStatus;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

impl Store {
    /// Signals whose topic is "feature request" (optionally "feature request: <project>") become
    /// requests; a signal sent again updates its request's words.
    pub async fn import_signal_requests(&self, ws: i64) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT s.id, s.account_id, s.topic, s.quote, s.link, s.occurred_at, f.id AS request_id, f.quote AS old_quote \
             FROM signals s LEFT JOIN feature_requests f ON f.signal_id = s.id \
             WHERE s.workspace_id = $1 AND (LOWER(s.topic) = 'feature request' OR LOWER(s.topic) LIKE 'feature request:%')",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?;
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for r in rows {
            let topic = r.text("topic")?;
            let project = topic
                .split_once(':')
                .map(|(_, p)| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "General".into());
            let quote = r.text("quote")?;
            let day = r.text("occurred_at")?.chars().take(10).collect::<String>();
            match r.opt_int("request_id")? {
                Some(id) if r.opt_text("old_quote")?.as_deref() != Some(quote.as_str()) => {
                    sqlx::query("UPDATE feature_requests SET quote = $2, project = $3 WHERE id = $1")
                        .bind(id)
                        .bind(&quote)
                        .bind(&project)
                        .execute(&mut *tx)
                        .await?;
                    changed += 1;
                }
                Some(_) => {}
                None => {
                    sqlx::query(
                        "INSERT INTO feature_requests (workspace_id, account_id, project, quote, source_link, requested_on, signal_id, created_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'signal')",
                    )
                    .bind(ws)
                    .bind(r.int("account_id")?)
                    .bind(&project)
                    .bind(&quote)
                    .bind(r.opt_text("link")?)
                    .bind(day)
                    .bind(r.int("id")?)
                    .execute(&mut *tx)
                    .await?;
                    changed += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Keeps each release's items in step with its notes: unchanged positions keep their id (and
    /// their confirmed matches), changed ones get the new text, extra ones go.
    pub async fn refresh_release_items(&self, ws: i64, split: fn(&str, &str) -> Vec<String>) -> Result<u64> {
        let releases = sqlx::query("SELECT id, title, body FROM releases WHERE workspace_id = $1")
            .bind(ws)
            .fetch_all(self.pool())
            .await?;
        let mut stored: HashMap<i64, HashMap<i64, String>> = HashMap::new();
        for r in sqlx::query("SELECT release_id, position, text FROM release_items WHERE workspace_id = $1")
            .bind(ws)
            .fetch_all(self.pool())
            .await?
        {
            stored
                .entry(r.int("release_id")?)
                .or_default()
                .insert(r.int("position")?, r.text("text")?);
        }
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for r in releases {
            let id = r.int("id")?;
            let items = split(&r.text("title")?, &r.text("body")?);
            let old = stored.remove(&id).unwrap_or_default();
            for (position, text) in items.iter().enumerate() {
                let position = position as i64;
                match old.get(&position) {
                    Some(t) if t == text => {}
                    Some(_) => {
                        // New words at this position: old decisions were about other words.
                        sqlx::query("DELETE FROM request_matches WHERE item_id IN (SELECT id FROM release_items WHERE release_id = $1 AND position = $2)")
                            .bind(id)
                            .bind(position)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("UPDATE release_items SET text = $3 WHERE release_id = $1 AND position = $2")
                            .bind(id)
                            .bind(position)
                            .bind(text)
                            .execute(&mut *tx)
                            .await?;
                        changed += 1;
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO release_items (workspace_id, release_id, position, text) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(ws)
                        .bind(id)
                        .bind(position)
                        .bind(text)
                        .execute(&mut *tx)
                        .await?;
                        changed += 1;
                    }
                }
            }
            if old.keys().any(|p| *p >= items.len() as i64) {
                sqlx::query("DELETE FROM release_items WHERE release_id = $1 AND position >= $2")
                    .bind(id)
                    .bind(items.len() as i64)
                    .execute(&mut *tx)
                    .await?;
                changed += 1;
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    pub async fn loop_corpus(&self, ws: i64) -> Result<LoopCorpus> {
        let requests =
            sqlx::query("SELECT id, quote, requested_on FROM feature_requests WHERE workspace_id = $1 ORDER BY id")
                .bind(ws)
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| {
                    Ok(RequestText {
                        id: r.int("id")?,
                        quote: r.text("quote")?,
                        requested_on: r.date("requested_on")?,
                    })
                })
                .collect::<Result<_>>()?;
        let items = sqlx::query(
            "SELECT i.id, i.text, r.published_on FROM release_items i JOIN releases r ON r.id = i.release_id \
             WHERE i.workspace_id = $1 ORDER BY i.id",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ItemText {
                id: r.int("id")?,
                text: r.text("text")?,
                published_on: r.date("published_on")?,
            })
        })
        .collect::<Result<_>>()?;
        let decided = sqlx::query(
            "SELECT request_id, item_id FROM request_matches WHERE workspace_id = $1 AND status <> 'proposed'",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.int("request_id")?, r.int("item_id")?)))
        .collect::<Result<_>>()?;
        Ok(LoopCorpus {
            requests,
            items,
            decided,
        })
    }

    /// Replaces the workspace's open proposals and request themes in one transaction; decided pairs
    /// stay as they are.
    pub async fn write_proposals(&self, ws: i64, proposals: &[Proposal], themes: &[(i64, i64)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM request_matches WHERE workspace_id = $1 AND status = 'proposed'")
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        for chunk in proposals.chunks(200) {
            let mut sql = Sql::new(
                "INSERT INTO request_matches (workspace_id, request_id, item_id, score, terms, similarity) VALUES ",
            );
            for (i, p) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .arg(ws)
                    .push(", ")
                    .arg(p.request_id)
                    .push(", ")
                    .arg(p.item_id)
                    .push(", ")
                    .arg(p.score)
                    .push(", ")
                    .arg(serde_json::to_string(&p.terms).unwrap_or_else(|_| "[]".into()))
                    .push(", ")
                    .arg(p.similarity.map_or(Val::NullReal, Val::Real))
                    .push(")");
            }
            sql.push(" ON CONFLICT (request_id, item_id) DO NOTHING");
            sql.query().execute(&mut *tx).await?;
        }
        let current: HashMap<i64, Option<i64>> =
            sqlx::query("SELECT id, theme_id FROM feature_requests WHERE workspace_id = $1")
                .bind(ws)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.int("id")?, r.opt_int("theme_id")?)))
                .collect::<Result<_>>()?;
        let mut by_theme: HashMap<i64, Vec<i64>> = HashMap::new();
        for &(request, theme) in themes {
            if current.get(&request).copied().flatten() != Some(theme) {
                by_theme.entry(theme).or_default().push(request);
            }
        }
        for (theme, requests) in by_theme {
            for chunk in requests.chunks(500) {
                let mut sql = Sql::new("UPDATE feature_requests SET theme_id = ");
                sql.arg(theme).push(" WHERE id").in_list(chunk);
                sql.query().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored vectors of these texts (by digest) for one model.
    pub async fn embeddings(&self, ws: i64, model: &str, digests: &[String]) -> Result<HashMap<String, Vec<f32>>> {
        let mut out = HashMap::new();
        for chunk in digests.chunks(500) {
            let mut sql = Sql::new("SELECT digest, vector FROM text_embeddings WHERE workspace_id = ");
            sql.arg(ws).push(" AND model = ").arg(model).push(" AND digest");
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            sql.in_list(&refs);
            for r in sql.query().fetch_all(self.pool()).await? {
                let bytes: Vec<u8> = sqlx::Row::try_get(&r, "vector")?;
                out.insert(r.text("digest")?, crate::close_loop::embeddings::from_bytes(&bytes));
            }
        }
        Ok(out)
    }

    pub async fn save_embeddings(&self, ws: i64, model: &str, vectors: &[(String, Vec<f32>)]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (digest, vector) in vectors {
            sqlx::query(
                "INSERT INTO text_embeddings (workspace_id, model, digest, vector) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, model, digest) DO NOTHING",
            )
            .bind(ws)
            .bind(model)
            .bind(digest)
            .bind(crate::close_loop::embeddings::to_bytes(vector))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A person's decision on a proposed pair; returns the request's account. Deciding twice the
    /// same way is harmless; a confirmed pair with an email already sent cannot be rejected.
    pub async fn decide_match(
        &self,
        ws: i64,
        request_id: i64,
        item_id: i64,
        status: MatchStatus,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT f.account_id, m.status FROM request_matches m JOIN feature_requests f ON f.id = m.request_id \
             WHERE m.workspace_id = $1 AND m.request_id = $2 AND m.item_id = $3",
        )
        .bind(ws)
        .bind(request_id)
        .bind(item_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("That match"))?;
        if status == MatchStatus::Rejected {
            let emailed = sqlx::query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE workspace_id = $1 AND request_id = $2 AND item_id = $3 \
                 AND state IN ('queued', 'sending', 'sent', 'unknown')",
            )
            .bind(ws)
            .bind(request_id)
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?
            .int("n")?;
            if emailed > 0 {
                return Err(StoreError::Conflict(
                    "An email about this match is already on its way or sent; it stays confirmed.".into(),
                ));
            }
        }
        sqlx::query(
            "UPDATE request_matches SET status = $4, decided_by = $5, decided_at = $6 \
             WHERE workspace_id = $1 AND request_id = $2 AND item_id = $3",
        )
        .bind(ws)
        .bind(request_id)
        .bind(item_id)
        .bind(status.as_str())
        .bind(by)
        .bind(now_text(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        row.int("account_id")
    }

    pub async fn add_feature_request(&self, ws: i64, r: &NewFeatureRequest) -> Result<i64> {
        self.account_in_workspace(ws, r.account_id).await?;
        if let Some(c) = r.contact_id {
            let ok = sqlx::query("SELECT id FROM contacts WHERE id = $1 AND account_id = $2 AND workspace_id = $3")
                .bind(c)
                .bind(r.account_id)
                .bind(ws)
                .fetch_optional(self.pool())
                .await?;
            if ok.is_none() {
                return Err(StoreError::Invalid(
                    "That contact does not belong to the account.".into(),
                ));
            }
        }
        sqlx::query(
            "INSERT INTO feature_requests (workspace_id, account_id, contact_id, project, quote, source_link, requested_on, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(ws)
        .bind(r.account_id)
        .bind(r.contact_id)
        .bind(&r.project)
        .bind(&r.quote)
        .bind(r.source_link.as_deref())
        .bind(crate::store::sql::day(r.requested_on))
        .bind(&r.created_by)
        .fetch_one(self.pool())
        .await?
        .int("id")
    }
}
