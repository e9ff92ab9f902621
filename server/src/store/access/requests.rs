//! Requests for Success and the decisions on them: approvals, denials, grants, revocations, role changes.

use super::{audit, instant, member_email_role, request_row, REQUEST_SELECT};
use crate::store::sql::RowExt;
use crate::store::{Result, Store, StoreError};
use app::access::{AccessRequestForm, AccessRequestRow, Role};
use app::api::Member;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

impl Store {
    // ---- Requests for Success ----------------------------------------------------------------

    pub async fn access_request_of(&self, workspace_id: i64, user_id: i64) -> Result<Option<AccessRequestRow>> {
        sqlx::query(&format!(
            "{REQUEST_SELECT} WHERE r.workspace_id = $1 AND r.user_id = $2"
        ))
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?
        .map(|r| request_row(&r))
        .transpose()
    }

    /// One request per person: a second submit updates it and makes it pending again.
    pub async fn upsert_access_request(
        &self,
        workspace_id: i64,
        member: &Member,
        form: &AccessRequestForm,
        now: DateTime<Utc>,
    ) -> Result<AccessRequestRow> {
        let mut tx = self.begin_write().await?;
        let now_text = instant(now);
        let updated = sqlx::query(
            "UPDATE access_requests SET team = $1, role_wanted = $2, reason = $3, status = 'pending', \
             decision_reason = NULL, decided_by = NULL, decided_at = NULL, updated_at = $4 \
             WHERE workspace_id = $5 AND user_id = $6",
        )
        .bind(&form.team)
        .bind(form.role_wanted.as_str())
        .bind(&form.reason)
        .bind(&now_text)
        .bind(workspace_id)
        .bind(member.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO access_requests (workspace_id, user_id, team, role_wanted, reason, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)",
            )
            .bind(workspace_id)
            .bind(member.user_id)
            .bind(&form.team)
            .bind(form.role_wanted.as_str())
            .bind(&form.reason)
            .bind(&now_text)
            .execute(&mut *tx)
            .await?;
        }
        let detail = format!("{} · {} · {}", form.team, form.role_wanted.label(), form.reason);
        audit(
            &mut tx,
            workspace_id,
            Some(member.user_id),
            &member.name,
            "access_requested",
            &member.email,
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        self.access_request_of(workspace_id, member.user_id)
            .await?
            .ok_or(StoreError::NotFound("Access request"))
    }

    pub async fn pending_request_count(&self, workspace_id: i64) -> Result<u32> {
        Ok(sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM access_requests WHERE workspace_id = $1 AND status = 'pending'",
        )
        .bind(workspace_id)
        .fetch_one(self.pool())
        .await?
        .int("n")? as u32)
    }

    /// Approves (grants the flag and a role) or denies (with a reason) a request.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_access_request(
        &self,
        workspace_id: i64,
        actor: &Member,
        request_id: i64,
        approve: bool,
        role: Role,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let user_id = sqlx::query("SELECT user_id FROM access_requests WHERE id = $1 AND workspace_id = $2")
            .bind(request_id)
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("Access request"))?
            .int("user_id")?;
        let decision = if approve { Decision::Grant(role) } else { Decision::Deny };
        decide(&mut tx, workspace_id, actor, user_id, decision, reason, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the flag away again; the person keeps their sign-in and lands on /success-unlock.
    pub async fn revoke_access(
        &self,
        workspace_id: i64,
        actor: &Member,
        user_id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        decide(&mut tx, workspace_id, actor, user_id, Decision::Revoke, reason, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives a member the flag and a role without a request; a pending request counts as approved.
    pub async fn grant_access(
        &self,
        workspace_id: i64,
        actor: &Member,
        user_id: i64,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        decide(&mut tx, workspace_id, actor, user_id, Decision::Grant(role), "", now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn change_role(
        &self,
        workspace_id: i64,
        actor: &Member,
        user_id: i64,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let (email, current) = member_email_role(&mut tx, workspace_id, user_id).await?;
        if current == Role::Owner {
            return Err(StoreError::Invalid("The owner's role cannot be changed here.".into()));
        }
        sqlx::query("UPDATE members SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(workspace_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // They sign in again under the new role.
        sqlx::query("DELETE FROM sessions WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let detail = format!("{} → {}", current.label(), role.label());
        audit(
            &mut tx,
            workspace_id,
            Some(actor.user_id),
            &actor.name,
            "role_changed",
            &email,
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn access_request_by_id(&self, workspace_id: i64, request_id: i64) -> Result<AccessRequestRow> {
        sqlx::query(&format!("{REQUEST_SELECT} WHERE r.id = $1 AND r.workspace_id = $2"))
            .bind(request_id)
            .bind(workspace_id)
            .fetch_optional(self.pool())
            .await?
            .map(|r| request_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound("Access request"))
    }
}

/// What an admin decides about a person's access to Success.
#[derive(Clone, Copy)]
enum Decision {
    Grant(Role),
    Deny,
    Revoke,
}

/// Sets the member's flag (and role on a grant), records the decision on their request if they
/// made one, and audits it — the one path for approvals, denials, grants and revocations.
async fn decide(
    conn: &mut AnyConnection,
    workspace_id: i64,
    actor: &Member,
    user_id: i64,
    decision: Decision,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (email, current) = member_email_role(conn, workspace_id, user_id).await?;
    let (flag, role, status, action, detail) = match decision {
        Decision::Grant(role) => (true, Some(role), "approved", "access_granted", role.label()),
        Decision::Deny => (false, None, "denied", "access_denied", reason),
        Decision::Revoke => {
            if current == Role::Owner {
                return Err(StoreError::Invalid("The owner's access cannot be revoked.".into()));
            }
            (false, None, "revoked", "access_revoked", reason)
        }
    };
    set_flag_and_role(conn, workspace_id, user_id, flag, role).await?;
    sqlx::query(
        "UPDATE access_requests SET status = $1, decision_reason = $2, decided_by = $3, decided_at = $4, updated_at = $4 \
         WHERE workspace_id = $5 AND user_id = $6",
    )
    .bind(status)
    .bind(Some(reason).filter(|r| !r.is_empty()))
    .bind(actor.user_id)
    .bind(instant(now))
    .bind(workspace_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    audit(
        conn,
        workspace_id,
        Some(actor.user_id),
        &actor.name,
        action,
        &email,
        detail,
        now,
    )
    .await?;
    Ok(())
}

async fn set_flag_and_role(
    conn: &mut AnyConnection,
    workspace_id: i64,
    user_id: i64,
    flag: bool,
    role: Option<Role>,
) -> Result<()> {
    let (_, current) = member_email_role(conn, workspace_id, user_id).await?;
    let role = if current == Role::Owner {
        Role::Owner
    } else {
        role.unwrap_or(current)
    };
    sqlx::query("UPDATE members SET success_flag = $1, role = $2 WHERE workspace_id = $3 AND user_id = $4")
        .bind(flag)
        .bind(role.as_str())
        .bind(workspace_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
