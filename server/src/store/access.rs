//! Access data: people, memberships, sessions, requests for Success, invitations, display links,
//! the audit log and sign-in attempts. Every statement that touches a workspace's rows names the
//! workspace, so an id from another workspace reads as "not found". Secrets arrive already hashed.

mod links;
mod members;
mod overview;
mod requests;

use super::sql::RowExt;
use super::{Result, StoreError};
use app::access::*;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Instants are stored as fixed-width RFC 3339 UTC text, so text order is time order.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
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
