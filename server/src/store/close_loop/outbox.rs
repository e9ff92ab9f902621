//! The outbox: listing, queueing, claiming, finishing, retrying and resolving emails.

use super::{now_text, outbox_row, ClaimedEmail, NewEmail, OUTBOX_COLUMNS, OUTBOX_FROM};
use crate::store::sql::{RowExt, Sql};
use crate::store::{Result, Store, StoreError};
use app::close_loop::{OutboxRow, OutboxState};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

impl Store {
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
