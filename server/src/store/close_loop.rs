//! Close the Loop's rows: release items, request matches and themes, email settings and the
//! outbox. The matching itself happens in `crate::close_loop`; this file only reads and writes.

use super::sql::{RowExt, Sql};
use super::{Result, Store, StoreError};
use app::close_loop::{MatchStatus, OutboxRow, OutboxState, Requester, SmtpSecurity, ValidEmailSettings};
use app::model::{ListQuery, ReleaseRow, ReleaseSource};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};

pub struct RequestText {
    pub id: i64,
    pub quote: String,
    pub requested_on: NaiveDate,
}

pub struct ItemText {
    pub id: i64,
    pub text: String,
    pub published_on: NaiveDate,
}

/// Everything the matcher reads for one workspace.
pub struct LoopCorpus {
    pub requests: Vec<RequestText>,
    pub items: Vec<ItemText>,
    /// Pairs a person confirmed or rejected: never proposed again.
    pub decided: HashSet<(i64, i64)>,
}

pub struct Proposal {
    pub request_id: i64,
    pub item_id: i64,
    pub score: f64,
    pub terms: Vec<String>,
    /// Cosine similarity of the two texts' embeddings, when embeddings were used.
    pub similarity: Option<f64>,
}

/// A request as stored, with its matches, before highlighting.
pub struct RawCard {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub project: String,
    pub quote: String,
    pub requester: Option<Requester>,
    pub requested_on: NaiveDate,
    pub source_link: Option<String>,
    pub theme_size: u64,
    pub matches: Vec<RawMatch>,
}

pub struct RawMatch {
    pub item_id: i64,
    pub item: String,
    pub release_title: String,
    pub release_url: Option<String>,
    pub shipped_on: NaiveDate,
    pub score: f64,
    pub terms: Vec<String>,
    pub similarity: Option<f64>,
    pub status: MatchStatus,
    pub decided_by: Option<String>,
    pub email: Option<OutboxRow>,
}

/// Which requests a list shows.
#[derive(Default)]
pub struct CardFilter {
    pub account_id: Option<i64>,
    pub request_id: Option<i64>,
    pub search: Option<String>,
    pub project: Option<String>,
    /// shipped (a confirmed match), proposed (a match waiting), waiting (no match yet).
    pub state: Option<String>,
    pub by_project: bool,
    pub page: u32,
    pub per_page: u32,
}

/// A theme's rows, for the themes table: (theme id, account id, account ARR, project, shipped).
pub struct ThemeMember {
    pub theme_id: i64,
    pub label: String,
    pub account_id: i64,
    pub arr_minor: i64,
    pub project: String,
    pub shipped: bool,
}

pub struct StoredEmailSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password_sealed: Option<Vec<u8>>,
    pub from_address: String,
    pub from_name: String,
    pub reply_to: Option<String>,
    pub signature: String,
    pub subject_template: String,
    pub body_template: String,
    pub per_minute: u32,
}

pub struct NewEmail<'a> {
    pub key: &'a str,
    pub account_id: i64,
    pub request_id: Option<i64>,
    pub item_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub message_id: &'a str,
    pub queued_by: &'a str,
}

/// An email the sender claimed: everything it needs to hand it to the SMTP server.
#[derive(Clone, Debug)]
pub struct ClaimedEmail {
    pub id: i64,
    pub workspace_id: i64,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub attempts: i64,
}

pub struct NewFeatureRequest {
    pub account_id: i64,
    pub contact_id: Option<i64>,
    pub project: String,
    pub quote: String,
    pub requested_on: NaiveDate,
    pub source_link: Option<String>,
    pub created_by: String,
}

fn outbox_row(r: &AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.int("id")?,
        account_id: r.opt_int("account_id")?,
        account_name: r
            .opt_text("account_name")?
            .unwrap_or_else(|| "(deleted account)".into()),
        to_name: r.text("to_name")?,
        to_address: r.text("to_address")?,
        subject: r.text("subject")?,
        state: r.parsed("state", OutboxState::parse)?,
        error: r.opt_text("error")?,
        attempts: r.int("attempts")?,
        queued_by: r.text("queued_by")?,
        queued_at: r.text("queued_at")?,
        finished_at: r.opt_text("finished_at")?,
    })
}

const OUTBOX_COLUMNS: &str = "o.id, o.account_id, a.name AS account_name, o.to_name, o.to_address, o.subject, \
     o.state, o.error, o.attempts, o.queued_by, o.queued_at, o.finished_at";
/// Lists filter on `o.purpose = 'loop'`: account emails (verification, reset) share the outbox,
/// not Close the Loop's lists.
const OUTBOX_FROM: &str = "FROM outbox o LEFT JOIN accounts a ON a.id = o.account_id";

fn now_text(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

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
                    .arg(p.similarity.map_or(super::sql::Val::NullReal, super::sql::Val::Real))
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
        .bind(super::sql::day(r.requested_on))
        .bind(&r.created_by)
        .fetch_one(self.pool())
        .await?
        .int("id")
    }

    /// Requests with their matches (proposed and confirmed, best first) and each match's newest email.
    pub async fn request_cards(&self, ws: i64, f: &CardFilter) -> Result<(Vec<RawCard>, u64)> {
        let mut from = Sql::new(
            "FROM feature_requests f JOIN accounts a ON a.id = f.account_id LEFT JOIN contacts c ON c.id = f.contact_id \
             WHERE f.workspace_id = ",
        );
        from.arg(ws);
        if let Some(account) = f.account_id {
            from.push(" AND f.account_id = ").arg(account);
        }
        if let Some(request) = f.request_id {
            from.push(" AND f.id = ").arg(request);
        }
        if let Some(pattern) = &f.search {
            from.push(" AND (LOWER(a.name) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(f.quote) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(f.project) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\')");
        }
        if let Some(project) = &f.project {
            from.push(" AND f.project = ").arg(project.clone());
        }
        match f.state.as_deref() {
            Some("shipped") => {
                from.push(" AND EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status = 'confirmed')");
            }
            Some("proposed") => {
                from.push(
                    " AND EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status = 'proposed')",
                );
            }
            Some("waiting") => {
                from.push(" AND NOT EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status <> 'rejected')");
            }
            _ => {}
        }
        let total = Sql {
            text: format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {}", from.text),
            args: from.args.clone(),
        }
        .query()
        .fetch_one(self.pool())
        .await?
        .int("n")? as u64;
        let order = if f.by_project {
            "f.project ASC, a.name ASC, f.requested_on DESC, f.id DESC"
        } else {
            "a.name ASC, a.id ASC, f.requested_on DESC, f.id DESC"
        };
        let mut sql = Sql {
            text: format!(
                "SELECT f.id, f.account_id, a.name AS account_name, f.project, f.quote, f.requested_on, f.source_link, f.theme_id, \
                 c.id AS contact_id, c.name AS contact_name, c.email AS contact_email, c.opted_out {} ORDER BY {order}",
                from.text
            ),
            args: from.args,
        };
        sql.push(" LIMIT ")
            .arg(f.per_page.max(1) as i64)
            .push(" OFFSET ")
            .arg((f.page.max(1) as i64 - 1) * f.per_page as i64);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut cards = Vec::with_capacity(rows.len());
        let mut themes = Vec::new();
        for r in &rows {
            let requester = match r.opt_int("contact_id")? {
                Some(contact_id) => Some(Requester {
                    contact_id,
                    name: r.text("contact_name")?,
                    email: r.text("contact_email")?,
                    opted_out: r.flag("opted_out")?,
                }),
                None => None,
            };
            themes.push(r.opt_int("theme_id")?);
            cards.push(RawCard {
                id: r.int("id")?,
                account_id: r.int("account_id")?,
                account_name: r.text("account_name")?,
                project: r.text("project")?,
                quote: r.text("quote")?,
                requester,
                requested_on: r.date("requested_on")?,
                source_link: r.opt_text("source_link")?,
                theme_size: 0,
                matches: Vec::new(),
            });
        }
        if cards.is_empty() {
            return Ok((cards, total));
        }
        let theme_ids: Vec<i64> = themes
            .iter()
            .flatten()
            .copied()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !theme_ids.is_empty() {
            let mut sql = Sql::new("SELECT theme_id, CAST(COUNT(DISTINCT account_id) AS BIGINT) AS n FROM feature_requests WHERE workspace_id = ");
            sql.arg(ws)
                .push(" AND theme_id")
                .in_list(&theme_ids)
                .push(" GROUP BY theme_id");
            let sizes: HashMap<i64, i64> = sql
                .query()
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| Ok((r.int("theme_id")?, r.int("n")?)))
                .collect::<Result<_>>()?;
            for (card, theme) in cards.iter_mut().zip(&themes) {
                card.theme_size = theme
                    .and_then(|t| sizes.get(&t))
                    .map_or(0, |n| (*n as u64).saturating_sub(1));
            }
        }
        let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
        let mut sql = Sql::new(
            "SELECT m.request_id, m.item_id, m.score, m.terms, m.similarity, m.status, m.decided_by, i.text, r.title, r.url, r.published_on \
             FROM request_matches m JOIN release_items i ON i.id = m.item_id JOIN releases r ON r.id = i.release_id \
             WHERE m.workspace_id = ",
        );
        sql.arg(ws)
            .push(" AND m.status <> 'rejected' AND m.request_id")
            .in_list(&ids)
            .push(" ORDER BY m.request_id, CASE m.status WHEN 'confirmed' THEN 0 ELSE 1 END, m.score DESC, m.item_id");
        let mut by_request: HashMap<i64, Vec<RawMatch>> = HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            by_request.entry(r.int("request_id")?).or_default().push(RawMatch {
                item_id: r.int("item_id")?,
                item: r.text("text")?,
                release_title: r.text("title")?,
                release_url: r.opt_text("url")?,
                shipped_on: r.date("published_on")?,
                score: r.real("score")?,
                terms: serde_json::from_str(&r.text("terms")?).unwrap_or_default(),
                similarity: sqlx::Row::try_get::<Option<f64>, _>(&r, "similarity")?,
                status: r.parsed("status", MatchStatus::parse)?,
                decided_by: r.opt_text("decided_by")?,
                email: None,
            });
        }
        let mut sql = Sql::new(&format!(
            "SELECT {OUTBOX_COLUMNS}, o.request_id, o.item_id {OUTBOX_FROM} WHERE o.workspace_id = "
        ));
        sql.arg(ws)
            .push(" AND o.request_id")
            .in_list(&ids)
            .push(" ORDER BY o.id");
        let mut emails: HashMap<(i64, i64), OutboxRow> = HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            if let (Some(req), Some(item)) = (r.opt_int("request_id")?, r.opt_int("item_id")?) {
                emails.insert((req, item), outbox_row(&r)?);
            }
        }
        for card in &mut cards {
            let mut matches = by_request.remove(&card.id).unwrap_or_default();
            for m in &mut matches {
                m.email = emails.remove(&(card.id, m.item_id));
            }
            card.matches = matches;
        }
        Ok((cards, total))
    }

    /// (account, requests shipped, requests) for each of these accounts.
    pub async fn request_counts(&self, ws: i64, accounts: &[i64]) -> Result<Vec<(i64, u64, u64)>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT f.account_id, CAST(COUNT(*) AS BIGINT) AS total, CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM request_matches m \
             WHERE m.request_id = f.id AND m.status = 'confirmed') THEN 1 ELSE 0 END) AS BIGINT) AS shipped \
             FROM feature_requests f WHERE f.workspace_id = ",
        );
        sql.arg(ws)
            .push(" AND f.account_id")
            .in_list(accounts)
            .push(" GROUP BY f.account_id");
        sql.query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.int("account_id")?,
                    r.int("shipped")?.max(0) as u64,
                    r.int("total")?.max(0) as u64,
                ))
            })
            .collect()
    }

    /// (requests, accounts asking, requests shipped, accounts shipped, proposed pairs, confirmed
    /// pairs with no email, emails sent).
    pub async fn loop_counts(&self, ws: i64) -> Result<[u64; 7]> {
        let r = sqlx::query(
            "SELECT \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM feature_requests WHERE workspace_id = $1) AS requests, \
               (SELECT CAST(COUNT(DISTINCT account_id) AS BIGINT) FROM feature_requests WHERE workspace_id = $1) AS accounts, \
               (SELECT CAST(COUNT(DISTINCT m.request_id) AS BIGINT) FROM request_matches m WHERE m.workspace_id = $1 AND m.status = 'confirmed') AS shipped, \
               (SELECT CAST(COUNT(DISTINCT f.account_id) AS BIGINT) FROM request_matches m JOIN feature_requests f ON f.id = m.request_id \
                  WHERE m.workspace_id = $1 AND m.status = 'confirmed') AS accounts_shipped, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM request_matches WHERE workspace_id = $1 AND status = 'proposed') AS proposed, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM request_matches m WHERE m.workspace_id = $1 AND m.status = 'confirmed' \
                  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.request_id = m.request_id AND o.item_id = m.item_id)) AS unsent, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE workspace_id = $1 AND state = 'sent' AND purpose = 'loop') AS sent",
        )
        .bind(ws)
        .fetch_one(self.pool())
        .await?;
        let n = |c: &str| r.int(c).map(|v| v.max(0) as u64);
        Ok([
            n("requests")?,
            n("accounts")?,
            n("shipped")?,
            n("accounts_shipped")?,
            n("proposed")?,
            n("unsent")?,
            n("sent")?,
        ])
    }

    pub async fn theme_members(&self, ws: i64) -> Result<Vec<ThemeMember>> {
        sqlx::query(
            "SELECT COALESCE(f.theme_id, f.id) AS theme_id, COALESCE(t.quote, f.quote) AS label, f.account_id, a.arr_minor, \
               COALESCE(t.project, f.project) AS project, \
               CAST(CASE WHEN EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status = 'confirmed') THEN 1 ELSE 0 END AS BIGINT) AS shipped \
             FROM feature_requests f JOIN accounts a ON a.id = f.account_id LEFT JOIN feature_requests t ON t.id = f.theme_id \
             WHERE f.workspace_id = $1",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ThemeMember {
                theme_id: r.int("theme_id")?,
                label: r.text("label")?,
                account_id: r.int("account_id")?,
                arr_minor: r.int("arr_minor")?,
                project: r.text("project")?,
                shipped: r.int("shipped")? == 1,
            })
        })
        .collect()
    }

    pub async fn request_projects(&self, ws: i64) -> Result<Vec<(String, u64)>> {
        sqlx::query(
            "SELECT project, CAST(COUNT(*) AS BIGINT) AS n FROM feature_requests WHERE workspace_id = $1 GROUP BY project ORDER BY project",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.text("project")?, r.int("n")? as u64)))
        .collect()
    }

    pub async fn releases_with_items(&self, ws: i64, limit: i64) -> Result<Vec<ReleaseRow>> {
        let mut releases: Vec<ReleaseRow> = sqlx::query(
            "SELECT id, source, title, body, url, published_on FROM releases WHERE workspace_id = $1 \
             ORDER BY published_on DESC, COALESCE(published_at, '') DESC, id DESC LIMIT $2",
        )
        .bind(ws)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ReleaseRow {
                id: r.int("id")?,
                source: r.parsed("source", ReleaseSource::parse)?,
                title: r.text("title")?,
                body: r.text("body")?,
                url: r.opt_text("url")?,
                published_on: r.date("published_on")?,
                items: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
        if releases.is_empty() {
            return Ok(releases);
        }
        let ids: Vec<i64> = releases.iter().map(|r| r.id).collect();
        let mut sql = Sql::new("SELECT release_id, text FROM release_items WHERE release_id");
        sql.in_list(&ids).push(" ORDER BY release_id, position");
        let mut items: HashMap<i64, Vec<String>> = HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            items.entry(r.int("release_id")?).or_default().push(r.text("text")?);
        }
        for r in &mut releases {
            r.items = items.remove(&r.id).unwrap_or_default();
        }
        Ok(releases)
    }

    pub async fn outbox_page(
        &self,
        ws: i64,
        account: Option<i64>,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<OutboxRow>, u64)> {
        let mut from = Sql::new(&format!("{OUTBOX_FROM} WHERE o.purpose = 'loop' AND o.workspace_id = "));
        from.arg(ws);
        if let Some(a) = account {
            from.push(" AND o.account_id = ").arg(a);
        }
        let total = Sql {
            text: format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {}", from.text),
            args: from.args.clone(),
        }
        .query()
        .fetch_one(self.pool())
        .await?
        .int("n")? as u64;
        let mut sql = Sql {
            text: format!("SELECT {OUTBOX_COLUMNS} {} ORDER BY o.id DESC", from.text),
            args: from.args,
        };
        sql.push(" LIMIT ")
            .arg(per_page as i64)
            .push(" OFFSET ")
            .arg((page.max(1) as i64 - 1) * per_page as i64);
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(outbox_row)
            .collect::<Result<_>>()?;
        Ok((rows, total))
    }

    /// NotFound unless the account is in the workspace.
    pub async fn account_in_workspace(&self, ws: i64, account: i64) -> Result<()> {
        super::matching::account_in(&mut *self.pool().acquire().await?, ws, account)
            .await
            .map(|_| ())
    }

    /// The account's contacts who can receive email, as (id, name, email, opted out).
    pub async fn account_requesters(&self, ws: i64, account: i64) -> Result<Vec<Requester>> {
        sqlx::query(
            "SELECT id, name, email, opted_out FROM contacts WHERE workspace_id = $1 AND account_id = $2 \
             AND left_on IS NULL ORDER BY is_champion DESC, id",
        )
        .bind(ws)
        .bind(account)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(Requester {
                contact_id: r.int("id")?,
                name: r.text("name")?,
                email: r.text("email")?,
                opted_out: r.flag("opted_out")?,
            })
        })
        .collect()
    }

    /// Sets a contact's email opt-out; returns the contact's account.
    pub async fn set_contact_opt_out(&self, ws: i64, contact: i64, opted_out: bool) -> Result<i64> {
        let row = sqlx::query("SELECT account_id FROM contacts WHERE id = $1 AND workspace_id = $2")
            .bind(contact)
            .bind(ws)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("That contact"))?;
        sqlx::query("UPDATE contacts SET opted_out = $2 WHERE id = $1")
            .bind(contact)
            .bind(opted_out)
            .execute(self.pool())
            .await?;
        row.int("account_id")
    }

    pub async fn email_settings(&self, ws: i64) -> Result<Option<StoredEmailSettings>> {
        let Some(r) = sqlx::query("SELECT * FROM email_settings WHERE workspace_id = $1")
            .bind(ws)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(StoredEmailSettings {
            host: r.text("host")?,
            port: u16::try_from(r.int("port")?).map_err(|_| StoreError::Corrupt("email port".into()))?,
            security: r.parsed("security", SmtpSecurity::parse)?,
            username: r.opt_text("username")?,
            password_sealed: sqlx::Row::try_get::<Option<Vec<u8>>, _>(&r, "password_sealed")?,
            from_address: r.text("from_address")?,
            from_name: r.text("from_name")?,
            reply_to: r.opt_text("reply_to")?,
            signature: r.text("signature")?,
            subject_template: r.text("subject_template")?,
            body_template: r.text("body_template")?,
            per_minute: r.int("per_minute")?.clamp(1, 600) as u32,
        }))
    }

    /// Saves Settings → Email. `password`: None keeps the stored one, Some(None) clears it.
    pub async fn save_email_settings(
        &self,
        ws: i64,
        s: &ValidEmailSettings,
        password: Option<Option<Vec<u8>>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let existing =
            sqlx::query("SELECT password_sealed, host, port, username FROM email_settings WHERE workspace_id = $1")
                .bind(ws)
                .fetch_optional(&mut *tx)
                .await?;
        // The stored password only ever goes to the server it was entered for: a new host, port
        // or user name without a new password clears it.
        let same_server = |row: &sqlx::any::AnyRow| -> Result<bool> {
            Ok(
                sqlx::Row::try_get::<String, _>(row, "host")?.eq_ignore_ascii_case(&s.host)
                    && sqlx::Row::try_get::<i64, _>(row, "port")? == s.port as i64
                    && sqlx::Row::try_get::<Option<String>, _>(row, "username")? == s.username,
            )
        };
        let kept: Option<Vec<u8>> = match (&password, &existing) {
            (Some(p), _) => p.clone(),
            (None, Some(row)) if same_server(row)? => sqlx::Row::try_get::<Option<Vec<u8>>, _>(row, "password_sealed")?,
            (None, _) => None,
        };
        sqlx::query("DELETE FROM email_settings WHERE workspace_id = $1")
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO email_settings (workspace_id, host, port, security, username, password_sealed, from_address, from_name, \
               reply_to, signature, subject_template, body_template, per_minute, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(ws)
        .bind(&s.host)
        .bind(s.port as i64)
        .bind(s.security.as_str())
        .bind(s.username.as_deref())
        .bind(kept)
        .bind(&s.from_address)
        .bind(&s.from_name)
        .bind(s.reply_to.as_deref())
        .bind(&s.signature)
        .bind(&s.subject_template)
        .bind(&s.body_template)
        .bind(s.per_minute as i64)
        .bind(now_text(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues an email once: the same key finds the row already there. Returns (id, newly queued).
    pub async fn enqueue_email(&self, ws: i64, e: &NewEmail<'_>, now: DateTime<Utc>) -> Result<(i64, bool)> {
        let inserted = sqlx::query(
            "INSERT INTO outbox (workspace_id, idempotency_key, account_id, request_id, item_id, contact_id, to_address, to_name, \
               subject, text_body, html_body, message_id, queued_by, queued_at, not_before) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
             ON CONFLICT (workspace_id, idempotency_key) DO NOTHING",
        )
        .bind(ws)
        .bind(e.key)
        .bind(e.account_id)
        .bind(e.request_id)
        .bind(e.item_id)
        .bind(e.contact_id)
        .bind(e.to_address)
        .bind(e.to_name)
        .bind(e.subject)
        .bind(e.text_body)
        .bind(e.html_body)
        .bind(e.message_id)
        .bind(e.queued_by)
        .bind(now_text(now))
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1;
        let id = sqlx::query("SELECT id FROM outbox WHERE workspace_id = $1 AND idempotency_key = $2")
            .bind(ws)
            .bind(e.key)
            .fetch_one(self.pool())
            .await?
            .int("id")?;
        Ok((id, inserted))
    }

    pub async fn outbox_email(&self, ws: i64, id: i64) -> Result<OutboxRow> {
        sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} {OUTBOX_FROM} WHERE o.purpose = 'loop' AND o.workspace_id = $1 AND o.id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound("That email"))
        .and_then(|r| outbox_row(&r))
    }

    /// Claims the next due email of a workspace that has not used its per-minute allowance: the
    /// conditional update is the lock, so two senders never claim the same row.
    pub async fn claim_email(&self, now: DateTime<Utc>, by: &str) -> Result<Option<ClaimedEmail>> {
        let due = sqlx::query(
            "SELECT o.id, o.workspace_id, COALESCE(s.per_minute, 20) AS per_minute FROM outbox o \
             LEFT JOIN email_settings s ON s.workspace_id = o.workspace_id \
             WHERE o.state = 'queued' AND o.not_before <= $1 ORDER BY o.not_before, o.id LIMIT 50",
        )
        .bind(now_text(now))
        .fetch_all(self.pool())
        .await?;
        let minute_ago = now_text(now - chrono::Duration::seconds(60));
        let mut full: HashSet<i64> = HashSet::new();
        for r in due {
            let ws = r.int("workspace_id")?;
            if full.contains(&ws) {
                continue;
            }
            let recent = sqlx::query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE workspace_id = $1 AND claimed_at >= $2",
            )
            .bind(ws)
            .bind(&minute_ago)
            .fetch_one(self.pool())
            .await?
            .int("n")?;
            if recent >= r.int("per_minute")? {
                full.insert(ws);
                continue;
            }
            let id = r.int("id")?;
            let claimed = sqlx::query(
                "UPDATE outbox SET state = 'sending', claimed_at = $2, claimed_by = $3, attempts = attempts + 1, handed_at = NULL \
                 WHERE id = $1 AND state = 'queued'",
            )
            .bind(id)
            .bind(now_text(now))
            .bind(by)
            .execute(self.pool())
            .await?
            .rows_affected();
            if claimed == 1 {
                let r = sqlx::query("SELECT * FROM outbox WHERE id = $1")
                    .bind(id)
                    .fetch_one(self.pool())
                    .await?;
                return Ok(Some(ClaimedEmail {
                    id,
                    workspace_id: ws,
                    account_id: r.opt_int("account_id")?,
                    contact_id: r.opt_int("contact_id")?,
                    to_address: r.text("to_address")?,
                    to_name: r.text("to_name")?,
                    subject: r.text("subject")?,
                    text_body: r.text("text_body")?,
                    html_body: r.text("html_body")?,
                    message_id: r.text("message_id")?,
                    attempts: r.int("attempts")?,
                }));
            }
        }
        Ok(None)
    }

    /// Whether the contact opted out since the email was queued.
    pub async fn contact_opted_out(&self, contact: Option<i64>) -> Result<bool> {
        let Some(c) = contact else { return Ok(false) };
        Ok(sqlx::query("SELECT opted_out FROM contacts WHERE id = $1")
            .bind(c)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.flag("opted_out"))
            .transpose()?
            .unwrap_or(false))
    }

    /// Ends a claimed email: sent or failed. Only a row still `sending` moves.
    pub async fn finish_email(
        &self,
        id: i64,
        state: OutboxState,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(sqlx::query(
            // An account email's body holds a sign-in link: it is not kept once the attempt is over.
            "UPDATE outbox SET state = $2, error = $3, finished_at = $4, \
               text_body = CASE WHEN purpose = 'account' THEN '' ELSE text_body END, \
               html_body = CASE WHEN purpose = 'account' THEN '' ELSE html_body END \
             WHERE id = $1 AND state = 'sending'",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(error)
        .bind(now_text(now))
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1)
    }

    /// Records that the message is about to be handed to the SMTP server.
    pub async fn mark_handed(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE outbox SET handed_at = $2 WHERE id = $1 AND state = 'sending'")
            .bind(id)
            .bind(now_text(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Puts a claimed email back in the queue: the SMTP server refused it for now (4xx) or could
    /// not be reached, so it surely does not have it.
    pub async fn retry_email_later(&self, id: i64, error: &str, not_before: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'queued', error = $2, not_before = $3 WHERE id = $1 AND state = 'sending'",
        )
        .bind(id)
        .bind(error)
        .bind(now_text(not_before))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Emails claimed before `cutoff` and never finished: their sender stopped. Those never handed
    /// over go back to the queue; the SMTP server may have the others, so they become `unknown`
    /// for a person to check. Returns (workspace, account) of each.
    pub async fn expire_sending(&self, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<(i64, Option<i64>)>> {
        let rows = sqlx::query(
            "SELECT id, workspace_id, account_id, handed_at FROM outbox WHERE state = 'sending' AND claimed_at < $1",
        )
        .bind(now_text(cutoff))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            if r.opt_text("handed_at")?.is_none() {
                let n = sqlx::query(
                    "UPDATE outbox SET state = 'queued', not_before = $2 WHERE id = $1 AND state = 'sending' AND handed_at IS NULL",
                )
                .bind(r.int("id")?)
                .bind(now_text(now))
                .execute(self.pool())
                .await?
                .rows_affected();
                if n == 1 {
                    out.push((r.int("workspace_id")?, r.opt_int("account_id")?));
                }
                continue;
            }
            let n = sqlx::query(
                "UPDATE outbox SET state = 'unknown', finished_at = $2, \
                 error = 'Success stopped while handing this email to the SMTP server, so it may or may not have gone out. \
Check the sent folder or the recipient, then mark it sent or send it again.' \
                 WHERE id = $1 AND state = 'sending'",
            )
            .bind(r.int("id")?)
            .bind(now_text(now))
            .execute(self.pool())
            .await?
            .rows_affected();
            if n == 1 {
                out.push((r.int("workspace_id")?, r.opt_int("account_id")?));
            }
        }
        Ok(out)
    }

    /// A person's answer for an email in doubt or refused: it did arrive (sent) or send it again
    /// (queued). Returns the account.
    pub async fn resolve_email(
        &self,
        ws: i64,
        id: i64,
        arrived: bool,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT state, account_id FROM outbox WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(ws)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("That email"))?;
        let state = row.parsed("state", OutboxState::parse)?;
        let n = match (state, arrived) {
            (OutboxState::Unknown, true) => sqlx::query(
                "UPDATE outbox SET state = 'sent', error = $3 WHERE id = $1 AND state = 'unknown' AND workspace_id = $2",
            )
            .bind(id)
            .bind(ws)
            .bind(format!("Marked as sent by {by}."))
            .execute(self.pool())
            .await?
            .rows_affected(),
            (OutboxState::Unknown | OutboxState::Failed, false) => sqlx::query(
                "UPDATE outbox SET state = 'queued', error = NULL, not_before = $3, finished_at = NULL, queued_by = $4 \
                 WHERE id = $1 AND workspace_id = $2 AND state IN ('unknown', 'failed')",
            )
            .bind(id)
            .bind(ws)
            .bind(now_text(now))
            .bind(by)
            .execute(self.pool())
            .await?
            .rows_affected(),
            _ => 0,
        };
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "This email is {}; only an email in doubt can be marked sent, and only a failed one or one in doubt sent again.",
                state.as_str()
            )));
        }
        row.opt_int("account_id")
    }

    /// Every outbox row of a workspace in a state, for tests and the CLI.
    pub async fn outbox_states(&self, ws: i64) -> Result<Vec<(i64, OutboxState)>> {
        sqlx::query("SELECT id, state FROM outbox WHERE workspace_id = $1 ORDER BY id")
            .bind(ws)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.int("id")?, r.parsed("state", OutboxState::parse)?)))
            .collect()
    }
}

impl CardFilter {
    pub fn for_request(self, request_id: i64) -> Self {
        CardFilter {
            request_id: Some(request_id),
            ..self
        }
    }
}

/// The list filter a page's query asks for.
pub fn card_filter(query: &ListQuery, per_page: u32) -> Result<CardFilter> {
    Ok(CardFilter {
        account_id: None,
        request_id: None,
        search: query
            .search()
            .map_err(StoreError::Invalid)?
            .map(|s| super::sql::like_pattern(&s)),
        project: Some(query.project.trim().to_string()).filter(|p| !p.is_empty()),
        state: Some(query.filter.trim().to_string())
            .filter(|s| matches!(s.as_str(), "shipped" | "proposed" | "waiting")),
        by_project: query.view == "project",
        page: query.page(),
        per_page,
    })
}
