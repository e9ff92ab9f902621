//! The contacts a Close the Loop email can go to, and Settings → Email.

use super::{now_text, StoredEmailSettings};
use crate::store::sql::RowExt;
use crate::store::{Result, Store, StoreError};
use app::close_loop::{Requester, SmtpSecurity, ValidEmailSettings};
use chrono::{DateTime, Utc};

impl Store {
    /// NotFound unless the account is in the workspace.
    pub async fn account_in_workspace(&self, ws: i64, account: i64) -> Result<()> {
        crate::store::matching::account_in(&mut *self.pool().acquire().await?, ws, account)
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
}
