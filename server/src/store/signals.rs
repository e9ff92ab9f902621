//! Signals sent in (API and CSV) and the workspace API tokens that send them.

use super::sql::{RowExt, Sql};
use super::{Result, Store, StoreError};
use app::signals::{AccountRef, ValidSignal};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

pub use app::signals::ApiTokenRow;

impl Store {
    pub async fn create_api_token(
        &self,
        ws: i64,
        name: &str,
        digest: &str,
        prefix: &str,
        user: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        sqlx::query(
            "INSERT INTO api_tokens (workspace_id, name, token_hash, prefix, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(ws)
        .bind(name)
        .bind(digest)
        .bind(prefix)
        .bind(user)
        .bind(now.to_rfc3339())
        .fetch_one(self.pool())
        .await?
        .int("id")
    }

    pub async fn api_tokens(&self, ws: i64) -> Result<Vec<ApiTokenRow>> {
        let rows = sqlx::query(
            "SELECT id, name, prefix, created_at, last_used_at FROM api_tokens \
             WHERE workspace_id = $1 AND revoked_at IS NULL ORDER BY id",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiTokenRow {
                    id: r.int("id")?,
                    name: r.text("name")?,
                    prefix: r.text("prefix")?,
                    created_at: r.text("created_at")?,
                    last_used_at: r.opt_text("last_used_at")?,
                })
            })
            .collect()
    }

    pub async fn revoke_api_token(&self, ws: i64, id: i64, now: DateTime<Utc>) -> Result<()> {
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(ws)
        .bind(now.to_rfc3339())
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("That API token"));
        }
        Ok(())
    }

    /// The workspace a live token belongs to; notes when it was used.
    pub async fn api_token_workspace(&self, digest: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id, workspace_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(digest)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(row.int("id")?)
            .bind(now.to_rfc3339())
            .execute(self.pool())
            .await?;
        Ok(Some(row.int("workspace_id")?))
    }

    /// The account each reference names, as (id, name), or why there is none.
    pub async fn resolve_accounts(
        &self,
        ws: i64,
        refs: &[&AccountRef],
    ) -> Result<HashMap<AccountRef, std::result::Result<(i64, String), String>>> {
        let mut out = HashMap::new();
        for r in refs {
            if out.contains_key(*r) {
                continue;
            }
            let live = "SELECT id, name FROM accounts WHERE workspace_id = $1 AND ";
            let rows = match r {
                AccountRef::Id(id) => {
                    sqlx::query(&format!("{live}id = $2"))
                        .bind(ws)
                        .bind(*id)
                        .fetch_all(self.pool())
                        .await?
                }
                AccountRef::Domain(d) => {
                    sqlx::query(&format!("{live}domain = $2 ORDER BY id"))
                        .bind(ws)
                        .bind(d)
                        .fetch_all(self.pool())
                        .await?
                }
                AccountRef::Name(n) => {
                    sqlx::query(&format!("{live}LOWER(name) = LOWER($2) ORDER BY id"))
                        .bind(ws)
                        .bind(n)
                        .fetch_all(self.pool())
                        .await?
                }
            };
            let answer = match (rows.as_slice(), r) {
                ([one], _) => Ok((one.int("id")?, one.text("name")?)),
                ([], AccountRef::Id(id)) => Err(format!("no account has the id {id} in this workspace.")),
                ([], AccountRef::Domain(d)) => Err(format!("no account has the domain {d}.")),
                ([], AccountRef::Name(n)) => Err(format!("no account is called {n:?}.")),
                (_, AccountRef::Name(n)) => Err(format!(
                    "{} accounts are called {n:?}; name it by account_domain or account_id.",
                    rows.len()
                )),
                // Two accounts on one domain: the older one, as syncs match.
                (many, _) => Ok((many[0].int("id")?, many[0].text("name")?)),
            };
            out.insert((*r).clone(), answer);
        }
        Ok(out)
    }

    /// Which of these external ids are already stored.
    pub async fn known_signal_ids(&self, ws: i64, ids: &[&str]) -> Result<HashSet<String>> {
        known_ids(&mut *self.pool().acquire().await?, ws, ids).await
    }

    /// Stores signals all or nothing; one with a known external id is updated in place.
    /// Returns (created, updated).
    pub async fn upsert_signals(&self, ws: i64, signals: &[(i64, &ValidSignal)]) -> Result<(usize, usize)> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<&str> = signals.iter().map(|(_, s)| s.external_id.as_str()).collect();
        let updated = known_ids(&mut tx, ws, &ids).await?.len();
        for (account, s) in signals {
            sqlx::query(
                "INSERT INTO signals (workspace_id, external_id, account_id, source, sentiment, topic, quote, link, occurred_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (workspace_id, external_id) DO UPDATE SET account_id = excluded.account_id, \
                   source = excluded.source, sentiment = excluded.sentiment, topic = excluded.topic, \
                   quote = excluded.quote, link = excluded.link, occurred_at = excluded.occurred_at",
            )
            .bind(ws)
            .bind(&s.external_id)
            .bind(*account)
            .bind(s.source.as_str())
            .bind(s.sentiment)
            .bind(&s.topic)
            .bind(&s.quote)
            .bind(s.link.as_deref())
            .bind(&s.occurred_at)
            .execute(&mut *tx)
            .await?;
        }
        // Signals come in bursts: their follow-up is left to the job worker.
        super::jobs::enqueue_after_change(&mut tx, ws, super::jobs::Changes::SCORES, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok((signals.len() - updated, updated))
    }
}

async fn known_ids(conn: &mut AnyConnection, ws: i64, ids: &[&str]) -> Result<HashSet<String>> {
    let mut known = HashSet::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT external_id FROM signals WHERE workspace_id = ");
        sql.arg(ws).push(" AND external_id").in_list(chunk);
        for row in sql.query().fetch_all(&mut *conn).await? {
            known.insert(row.text("external_id")?);
        }
    }
    Ok(known)
}
