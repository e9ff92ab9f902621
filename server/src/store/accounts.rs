//! A person's account over its life: emailed links (sign-up confirmation, password reset),
//! password changes, ending sessions, removing members, and the one-time first setup.

use super::access::{audit, instant};
use super::sql::RowExt;
use super::{Result, Store, StoreError};
use app::access::Role;
use app::api::Member;
use chrono::{DateTime, Duration, Utc};

/// What an emailed link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    Verify,
    Reset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Verify => "verify",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// A link's row, taken (marked used) in the same transaction that acts on it.
#[derive(Clone, Debug)]
pub struct TakenLink {
    pub email: String,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    pub name: Option<String>,
    pub password_hash: Option<String>,
}

/// A new emailed link (the token's digest only).
pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub purpose: LinkPurpose,
    pub email: &'a str,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    pub name: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub valid_for: Duration,
}

/// An account email for the outbox.
pub struct AccountEmail<'a> {
    pub key: &'a str,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub message_id: &'a str,
}

impl Store {
    /// Stores a link and queues its email in one transaction: the link never exists without
    /// its email, nor the email without its link. Earlier unused links of the same purpose for
    /// the address stop working.
    pub async fn create_link_with_email(
        &self,
        link: &NewLink<'_>,
        email: &AccountEmail<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM email_tokens WHERE email = $1 AND purpose = $2 AND used_at IS NULL")
            .bind(link.email)
            .bind(link.purpose.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO email_tokens (token_hash, purpose, email, workspace_id, user_id, name, password_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(link.token_hash)
        .bind(link.purpose.as_str())
        .bind(link.email)
        .bind(link.workspace_id)
        .bind(link.user_id)
        .bind(link.name)
        .bind(link.password_hash)
        .bind(instant(now))
        .bind(instant(now + link.valid_for))
        .execute(&mut *tx)
        .await?;
        enqueue_account_email(&mut tx, link.workspace_id, email, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues an account email with no link in it (e.g. "you already have an account").
    pub async fn queue_account_email(&self, ws: i64, email: &AccountEmail<'_>, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        enqueue_account_email(&mut tx, ws, email, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirms a sign-up: takes the link and creates the person and their membership, all or
    /// nothing. `None` when the link is unknown, used or expired.
    pub async fn confirm_sign_up(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(i64, i64)>> {
        let mut tx = self.begin_write().await?;
        let Some(link) = take_link(&mut tx, token_hash, LinkPurpose::Verify, now).await? else {
            return Ok(None);
        };
        let (Some(name), Some(hash)) = (link.name.as_deref(), link.password_hash.as_deref()) else {
            return Err(StoreError::Corrupt("a sign-up link without its sign-up".into()));
        };
        let taken = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(&link.email)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Invalid(
                "This address already has an account: sign in, or reset the password.".into(),
            ));
        }
        let user_id = super::access::insert_member(
            &mut tx,
            link.workspace_id,
            &link.email,
            name,
            hash,
            Role::Viewer,
            false,
            now,
        )
        .await?;
        audit(
            &mut tx,
            link.workspace_id,
            Some(user_id),
            name,
            "member_joined",
            &link.email,
            "email confirmed",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some((user_id, link.workspace_id)))
    }

    /// Resets a password through its link: takes the link, sets the new hash and ends every
    /// session of the person. Returns (user, home workspace), or `None` for a dead link.
    pub async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(i64, i64)>> {
        let mut tx = self.begin_write().await?;
        let Some(link) = take_link(&mut tx, token_hash, LinkPurpose::Reset, now).await? else {
            return Ok(None);
        };
        let user_id = link.user_id.ok_or(StoreError::NotFound("Account"))?;
        set_password(&mut tx, user_id, password_hash).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            link.workspace_id,
            Some(user_id),
            &link.email,
            "password_reset",
            &link.email,
            "every session ended",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some((user_id, link.workspace_id)))
    }

    /// A new password for a signed-in person; every other session ends. Returns the
    /// workspaces whose open pages should check their sessions.
    pub async fn change_password(&self, user_id: i64, password_hash: &str, keep_session: &str) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        set_password(&mut tx, user_id, password_hash).await?;
        let workspaces = session_workspaces(&mut tx, user_id).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(workspaces)
    }

    /// Ends every session of a person (sign out everywhere); returns their workspaces.
    pub async fn end_sessions(&self, user_id: i64) -> Result<Vec<i64>> {
        let mut tx = self.begin_write().await?;
        let workspaces = session_workspaces(&mut tx, user_id).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(workspaces)
    }

    /// Removes a member from a workspace: membership, their sessions there and their request
    /// go; the person keeps any other workspace. The owner cannot be removed.
    pub async fn remove_member(
        &self,
        workspace_id: i64,
        actor: &Member,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let (email, role) = super::access::member_email_role(&mut tx, workspace_id, user_id).await?;
        if role == Role::Owner {
            return Err(StoreError::Invalid("The owner cannot be removed.".into()));
        }
        for sql in [
            "DELETE FROM sessions WHERE workspace_id = $1 AND user_id = $2",
            "DELETE FROM access_requests WHERE workspace_id = $1 AND user_id = $2",
            "DELETE FROM members WHERE workspace_id = $1 AND user_id = $2",
        ] {
            sqlx::query(sql)
                .bind(workspace_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        audit(
            &mut tx,
            workspace_id,
            Some(actor.user_id),
            &actor.name,
            "member_removed",
            &email,
            role.label(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person an address belongs to and their home workspace (where sign-in takes them),
    /// for a reset link.
    pub async fn account_of(&self, email: &str) -> Result<Option<(i64, String, i64)>> {
        let Some(row) = sqlx::query("SELECT id, name FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let user_id = row.int("id")?;
        let name = row.text("name")?;
        Ok(self.home_workspace(user_id).await?.map(|ws| (user_id, name, ws)))
    }

    /// Claims the first setup. Exactly one caller ever gets `true`, across processes: the row
    /// is inserted in the transaction that creates the owner.
    pub async fn create_first_owner(
        &self,
        workspace_id: i64,
        email: &str,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let claimed =
            sqlx::query("INSERT INTO instance_setup (id, done_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                .bind(instant(now))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if !claimed {
            return Ok(None);
        }
        let user_id = super::access::insert_member(
            &mut tx,
            workspace_id,
            email,
            name,
            password_hash,
            Role::Owner,
            true,
            now,
        )
        .await?;
        audit(
            &mut tx,
            workspace_id,
            Some(user_id),
            name,
            "member_joined",
            email,
            Role::Owner.label(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(user_id))
    }

    /// Removes a workspace a lost setup race created.
    pub async fn delete_workspace(&self, workspace_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

async fn take_link(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> Result<Option<TakenLink>> {
    let taken = sqlx::query(
        "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(instant(now))
    .bind(token_hash)
    .bind(purpose.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !taken {
        return Ok(None);
    }
    let r =
        sqlx::query("SELECT email, workspace_id, user_id, name, password_hash FROM email_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(&mut *conn)
            .await?;
    Ok(Some(TakenLink {
        email: r.text("email")?,
        workspace_id: r.int("workspace_id")?,
        user_id: r.opt_int("user_id")?,
        name: r.opt_text("name")?,
        password_hash: r.opt_text("password_hash")?,
    }))
}

async fn set_password(conn: &mut sqlx::AnyConnection, user_id: i64, password_hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn session_workspaces(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<Vec<i64>> {
    sqlx::query("SELECT workspace_id FROM members WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.int("workspace_id"))
        .collect()
}

async fn enqueue_account_email(
    conn: &mut sqlx::AnyConnection,
    ws: i64,
    e: &AccountEmail<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    // The outbox's own instants carry milliseconds (see close_loop's `now_text`).
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    sqlx::query(
        "INSERT INTO outbox (workspace_id, idempotency_key, to_address, to_name, subject, text_body, html_body, \
           message_id, queued_by, queued_at, not_before, purpose) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Success', $9, $9, 'account')",
    )
    .bind(ws)
    .bind(e.key)
    .bind(e.to_address)
    .bind(e.to_name)
    .bind(e.subject)
    .bind(e.text_body)
    .bind(e.html_body)
    .bind(e.message_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
