//! Access data: people, memberships, sessions, requests for Success, invitations, display links,
//! the audit log and sign-in attempts. Every statement that touches a workspace's rows names the
//! workspace, so an id from another workspace reads as "not found". Secrets arrive already hashed.

use super::sql::RowExt;
use super::{Result, Store, StoreError};
use app::access::*;
use app::api::Member;
use app::model::WorkspaceInfo;
use chrono::{DateTime, Duration, Utc};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Instants are stored as fixed-width RFC 3339 UTC text, so text order is time order.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// The two kinds of revocable links.
#[derive(Clone, Copy)]
enum Link {
    Invitation,
    Display,
}

/// A user found by email, for sign-in.
pub struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
}

/// What a valid display link opens.
pub struct DisplayGrant {
    pub workspace_id: i64,
}

/// An invitation that can still be accepted.
pub struct OpenInvitation {
    pub id: i64,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub email: String,
    pub role: Role,
}

fn request_row(r: &AnyRow) -> Result<AccessRequestRow> {
    Ok(AccessRequestRow {
        id: r.int("id")?,
        user_id: r.int("user_id")?,
        name: r.text("name")?,
        email: r.text("email")?,
        team: r.text("team")?,
        role_wanted: r.parsed("role_wanted", Role::parse)?,
        reason: r.text("reason")?,
        status: r.parsed("status", RequestStatus::parse)?,
        decision_reason: r.opt_text("decision_reason")?,
        decided_by: r.opt_text("decided_by_name")?,
        updated_at: r.text("updated_at")?,
    })
}

const REQUEST_SELECT: &str = "SELECT r.id, r.user_id, u.name, u.email, r.team, r.role_wanted, r.reason, r.status, \
     r.decision_reason, d.name AS decided_by_name, r.updated_at \
     FROM access_requests r JOIN users u ON u.id = r.user_id LEFT JOIN users d ON d.id = r.decided_by";

impl Store {
    pub async fn has_real_workspace(&self) -> Result<bool> {
        Ok(sqlx::query("SELECT id FROM workspaces WHERE is_demo = $1 LIMIT 1")
            .bind(false)
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }

    pub async fn workspace_info(&self, id: i64) -> Result<WorkspaceInfo> {
        let row = sqlx::query(
            "SELECT w.id, w.name, w.is_demo, w.currency, w.pipeline_source, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM integrations i WHERE i.workspace_id = w.id) AS connected, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM accounts a WHERE a.workspace_id = w.id LIMIT 1) x) AS held \
             FROM workspaces w WHERE w.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound("Workspace"))?;
        let is_demo = row.flag("is_demo")?;
        Ok(WorkspaceInfo {
            id: row.int("id")?,
            name: row.text("name")?,
            is_demo,
            currency: row.text("currency")?,
            connected_integrations: row.int("connected")? as u32,
            holds_accounts: row.int("held")? > 0,
            pipeline_source: row.text("pipeline_source")?,
        })
    }

    /// Creates a person and makes them a member, in one transaction (setup, sign-up, the CLI).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_member(
        &self,
        workspace_id: i64,
        email: &str,
        name: &str,
        password_hash: &str,
        role: Role,
        success_flag: bool,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let user_id = insert_member(
            &mut tx,
            workspace_id,
            email,
            name,
            password_hash,
            role,
            success_flag,
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
            role.label(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>> {
        sqlx::query("SELECT id, password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(self.pool())
            .await?
            .map(|r| {
                Ok(Credentials {
                    user_id: r.int("id")?,
                    password_hash: r.text("password_hash")?,
                })
            })
            .transpose()
    }

    /// The workspace a person signs in to: the oldest membership.
    pub async fn home_workspace(&self, user_id: i64) -> Result<Option<i64>> {
        sqlx::query("SELECT workspace_id FROM members WHERE user_id = $1 ORDER BY created_at, workspace_id LIMIT 1")
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.int("workspace_id"))
            .transpose()
    }

    // ---- Sessions ------------------------------------------------------------------------

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        workspace_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, workspace_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(workspace_id)
        .bind(instant(now))
        .bind(instant(expires_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The member behind a live session: not past its absolute expiry, and seen within `idle`.
    /// Refreshes `last_seen_at` at most once a minute, so reads do not turn into writes.
    pub async fn session_member(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(i64, Member)>> {
        let row = sqlx::query(
            "SELECT s.workspace_id, s.last_seen_at, s.expires_at, u.id AS user_id, u.name, u.email, m.role, m.success_flag \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             JOIN members m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id \
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let now_text = instant(now);
        let last_seen = row.text("last_seen_at")?;
        if row.text("expires_at")? <= now_text || last_seen < instant(now - idle) {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        if last_seen < instant(now - Duration::minutes(1)) {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(&now_text)
                .bind(token_hash)
                .execute(self.pool())
                .await?;
        }
        Ok(Some((
            row.int("workspace_id")?,
            Member {
                user_id: row.int("user_id")?,
                name: row.text("name")?,
                email: row.text("email")?,
                role: row.parsed("role", Role::parse)?,
                has_success: row.flag("success_flag")?,
            },
        )))
    }

    // ---- Sign-in rate limiting -------------------------------------------------------------

    /// Records an attempt under each key and returns the most attempts any key has had in the
    /// last minute (this one included).
    pub async fn count_sign_in_attempt(&self, keys: &[String], now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
            .bind(instant(now - Duration::hours(1)))
            .execute(&mut *tx)
            .await?;
        let mut most = 0;
        for key in keys {
            sqlx::query("INSERT INTO sign_in_attempts (key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(instant(now))
                .execute(&mut *tx)
                .await?;
            let n =
                sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sign_in_attempts WHERE key = $1 AND at > $2")
                    .bind(key)
                    .bind(instant(now - Duration::seconds(60)))
                    .fetch_one(&mut *tx)
                    .await?
                    .int("n")?;
            most = most.max(n);
        }
        tx.commit().await?;
        Ok(most)
    }

    /// Records one attempt under `key` (a wrong password, say).
    pub async fn record_attempt(&self, key: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO sign_in_attempts (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(instant(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Attempts under `key` since `since` (attempts older than an hour are pruned).
    pub async fn recent_attempts(&self, key: &str, since: DateTime<Utc>) -> Result<i64> {
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sign_in_attempts WHERE key = $1 AND at > $2")
            .bind(key)
            .bind(instant(since))
            .fetch_one(self.pool())
            .await?
            .int("n")
    }

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

#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_member(
    conn: &mut AnyConnection,
    workspace_id: i64,
    email: &str,
    name: &str,
    password_hash: &str,
    role: Role,
    success_flag: bool,
    now: DateTime<Utc>,
) -> Result<i64> {
    let user_id =
        sqlx::query("INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(email)
            .bind(name)
            .bind(password_hash)
            .bind(instant(now))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("An account with this email already exists; sign in instead.".into())
                } else {
                    e.into()
                }
            })?
            .int("id")?;
    sqlx::query(
        "INSERT INTO members (workspace_id, user_id, role, success_flag, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(success_flag)
    .bind(instant(now))
    .execute(&mut *conn)
    .await?;
    Ok(user_id)
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

pub(super) async fn member_email_role(
    conn: &mut AnyConnection,
    workspace_id: i64,
    user_id: i64,
) -> Result<(String, Role)> {
    let row = sqlx::query(
        "SELECT u.email, m.role FROM members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2",
    )
    .bind(workspace_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("Member"))?;
    Ok((row.text("email")?, row.parsed("role", Role::parse)?))
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

#[allow(clippy::too_many_arguments)]
pub(super) async fn audit(
    conn: &mut AnyConnection,
    workspace_id: i64,
    actor_id: Option<i64>,
    actor_name: &str,
    action: &str,
    subject: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, actor_id, actor_name, action, subject, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(workspace_id)
    .bind(actor_id)
    .bind(actor_name)
    .bind(action)
    .bind(subject)
    .bind(detail)
    .bind(instant(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn real_workspace_named(&self, name: &str) -> Result<Option<i64>> {
        sqlx::query("SELECT id FROM workspaces WHERE is_demo = $1 AND name = $2 ORDER BY id LIMIT 1")
            .bind(false)
            .bind(name)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.int("id"))
            .transpose()
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
