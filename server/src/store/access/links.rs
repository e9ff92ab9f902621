//! Invitations and display links: creating, revoking, opening, accepting and using them.

use super::{audit, insert_member, instant, DisplayGrant, OpenInvitation};
use crate::store::sql::RowExt;
use crate::store::{Result, Store, StoreError};
use app::access::Role;
use app::api::Member;
use chrono::{DateTime, Utc};

/// The two kinds of revocable links.
#[derive(Clone, Copy)]
enum Link {
    Invitation,
    Display,
}

impl Store {
    // ---- Invitations -------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn create_invitation(
        &self,
        workspace_id: i64,
        actor: &Member,
        token_hash: &str,
        email: &str,
        role: Role,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = sqlx::query(
            "INSERT INTO invitations (workspace_id, token_hash, email, role, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(workspace_id)
        .bind(token_hash)
        .bind(email)
        .bind(role.as_str())
        .bind(actor.user_id)
        .bind(instant(now))
        .bind(instant(expires_at))
        .fetch_one(&mut *tx)
        .await?
        .int("id")?;
        audit(
            &mut tx,
            workspace_id,
            Some(actor.user_id),
            &actor.name,
            "invitation_created",
            email,
            role.label(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn revoke_invitation(
        &self,
        workspace_id: i64,
        actor: &Member,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.revoke_link(Link::Invitation, workspace_id, actor, id, now).await
    }

    /// Marks an invitation or display link revoked (once) and audits it under its email or name.
    async fn revoke_link(
        &self,
        link: Link,
        workspace_id: i64,
        actor: &Member,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (table, subject, what, action) = match link {
            Link::Invitation => ("invitations", "email", "Invitation", "invitation_revoked"),
            Link::Display => ("display_links", "name", "Display link", "display_link_revoked"),
        };
        let mut tx = self.begin_write().await?;
        let subject = sqlx::query(&format!(
            "SELECT {subject} AS s FROM {table} WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound(what))?
        .text("s")?;
        sqlx::query(&format!(
            "UPDATE {table} SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL"
        ))
        .bind(instant(now))
        .bind(id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            workspace_id,
            Some(actor.user_id),
            &actor.name,
            action,
            &subject,
            "",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn open_invitation(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<OpenInvitation>> {
        sqlx::query(
            "SELECT i.id, i.workspace_id, w.name AS workspace_name, i.email, i.role FROM invitations i \
             JOIN workspaces w ON w.id = i.workspace_id \
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2",
        )
        .bind(token_hash)
        .bind(instant(now))
        .fetch_optional(self.pool())
        .await?
        .map(|r| {
            Ok(OpenInvitation {
                id: r.int("id")?,
                workspace_id: r.int("workspace_id")?,
                workspace_name: r.text("workspace_name")?,
                email: r.text("email")?,
                role: r.parsed("role", Role::parse)?,
            })
        })
        .transpose()
    }

    /// Creates the invited person with the invitation's role and the `success` flag, and uses up
    /// the invitation, in one transaction (a second use of the same link finds it accepted).
    pub async fn accept_invitation(
        &self,
        invitation: &OpenInvitation,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let used = sqlx::query(
            "UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(instant(now))
        .bind(invitation.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 0 {
            return Err(StoreError::Invalid(
                "This invitation link has already been used.".into(),
            ));
        }
        let ws = invitation.workspace_id;
        let user_id = insert_member(
            &mut tx,
            ws,
            &invitation.email,
            name,
            password_hash,
            invitation.role,
            true,
            now,
        )
        .await?;
        audit(
            &mut tx,
            ws,
            Some(user_id),
            name,
            "member_joined",
            &invitation.email,
            &format!("invited as {}", invitation.role.label()),
            now,
        )
        .await?;
        audit(
            &mut tx,
            ws,
            Some(user_id),
            name,
            "access_granted",
            &invitation.email,
            "by invitation",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    // ---- Display links ---------------------------------------------------------------------

    pub async fn create_display_link(
        &self,
        workspace_id: i64,
        actor: &Member,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id = sqlx::query(
            "INSERT INTO display_links (workspace_id, name, token_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(workspace_id)
        .bind(name)
        .bind(token_hash)
        .bind(actor.user_id)
        .bind(instant(now))
        .bind(expires_at.map(instant))
        .fetch_one(&mut *tx)
        .await?
        .int("id")?;
        audit(
            &mut tx,
            workspace_id,
            Some(actor.user_id),
            &actor.name,
            "display_link_created",
            name,
            "",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn revoke_display_link(
        &self,
        workspace_id: i64,
        actor: &Member,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.revoke_link(Link::Display, workspace_id, actor, id, now).await
    }

    /// A live display link (not revoked, not expired); notes when it was last seen.
    pub async fn use_display_link(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<DisplayGrant>> {
        let row = sqlx::query(
            "SELECT id, workspace_id FROM display_links \
             WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(token_hash)
        .bind(instant(now))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        sqlx::query("UPDATE display_links SET last_seen_at = $1 WHERE id = $2")
            .bind(instant(now))
            .bind(row.int("id")?)
            .execute(self.pool())
            .await?;
        Ok(Some(DisplayGrant {
            workspace_id: row.int("workspace_id")?,
        }))
    }
}
