//! The Settings → Access overview and the workspace's allowed sign-up domains.

use super::{audit, instant, request_row, REQUEST_SELECT};
use crate::store::sql::RowExt;
use crate::store::{Result, Store};
use app::access::{AccessOverview, AuditRow, DisplayLinkRow, InvitationRow, MemberRow, Role};
use app::api::Member;
use chrono::{DateTime, Utc};

impl Store {
    pub async fn access_overview(&self, workspace_id: i64, now: DateTime<Utc>) -> Result<AccessOverview> {
        let requests = sqlx::query(&format!(
            "{REQUEST_SELECT} WHERE r.workspace_id = $1 \
             ORDER BY CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.updated_at DESC LIMIT 500"
        ))
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(request_row)
        .collect::<Result<Vec<_>>>()?;
        let members = sqlx::query(
            "SELECT u.id, u.name, u.email, m.role, m.success_flag, m.created_at FROM members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.name, u.id",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(MemberRow {
                user_id: r.int("id")?,
                name: r.text("name")?,
                email: r.text("email")?,
                role: r.parsed("role", Role::parse)?,
                has_success: r.flag("success_flag")?,
                joined_at: r.text("created_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let now_text = instant(now);
        let invitations = sqlx::query(
            "SELECT i.id, i.email, i.role, COALESCE(u.name, '—') AS created_by, i.expires_at, i.accepted_at, i.revoked_at \
             FROM invitations i LEFT JOIN users u ON u.id = i.created_by WHERE i.workspace_id = $1 \
             ORDER BY i.id DESC LIMIT 200",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            let state = if r.opt_text("accepted_at")?.is_some() {
                "accepted"
            } else if r.opt_text("revoked_at")?.is_some() {
                "revoked"
            } else if r.text("expires_at")? <= now_text {
                "expired"
            } else {
                "open"
            };
            Ok(InvitationRow {
                id: r.int("id")?,
                email: r.text("email")?,
                role: r.parsed("role", Role::parse)?,
                created_by: r.text("created_by")?,
                expires_at: r.text("expires_at")?,
                state: state.into(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let display_links = sqlx::query(
            "SELECT l.id, l.name, COALESCE(u.name, '—') AS created_by, l.created_at, l.expires_at, l.last_seen_at, l.revoked_at \
             FROM display_links l LEFT JOIN users u ON u.id = l.created_by WHERE l.workspace_id = $1 ORDER BY l.id DESC",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(DisplayLinkRow {
                id: r.int("id")?,
                name: r.text("name")?,
                created_by: r.text("created_by")?,
                created_at: r.text("created_at")?,
                expires_at: r.opt_text("expires_at")?,
                last_seen_at: r.opt_text("last_seen_at")?,
                revoked: r.opt_text("revoked_at")?.is_some(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let audit = sqlx::query(
            "SELECT at, actor_name, action, subject, detail FROM audit_log WHERE workspace_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(AuditRow {
                at: r.text("at")?,
                actor: r.text("actor_name")?,
                action: r.text("action")?,
                subject: r.text("subject")?,
                detail: r.text("detail")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(AccessOverview {
            requests,
            members,
            invitations,
            display_links,
            audit,
            allowed_domains: self.allowed_domains(workspace_id).await?,
        })
    }

    // ---- Allowed sign-up domains ---------------------------------------------------------------

    pub async fn allowed_domains(&self, workspace_id: i64) -> Result<Vec<String>> {
        let text = sqlx::query("SELECT allowed_domains FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_one(self.pool())
            .await?
            .text("allowed_domains")?;
        Ok(text.split(',').filter(|d| !d.is_empty()).map(str::to_string).collect())
    }

    pub async fn set_allowed_domains(
        &self,
        workspace_id: i64,
        actor: &Member,
        domains: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let joined = domains.join(",");
        sqlx::query("UPDATE workspaces SET allowed_domains = $1 WHERE id = $2")
            .bind(&joined)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        let shown = if joined.is_empty() {
            "none".to_string()
        } else {
            domains.join(", ")
        };
        audit(
            &mut tx,
            workspace_id,
            Some(actor.user_id),
            &actor.name,
            "allowed_domains_changed",
            "workspace",
            &shown,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The real workspace whose allowed domains include `domain`, for self sign-up.
    pub async fn workspace_for_domain(&self, domain: &str) -> Result<Option<i64>> {
        let rows = sqlx::query(
            "SELECT id, allowed_domains FROM workspaces WHERE is_demo = $1 AND allowed_domains <> '' ORDER BY id",
        )
        .bind(false)
        .fetch_all(self.pool())
        .await?;
        for r in rows {
            if r.text("allowed_domains")?.split(',').any(|d| d == domain) {
                return Ok(Some(r.int("id")?));
            }
        }
        Ok(None)
    }
}
