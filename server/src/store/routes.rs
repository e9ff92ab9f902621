//! Routing accounts between workflow pages: one active route per account, kept until dismissed;
//! routing into Pipeline opens an expansion deal in the first stage, in the same transaction.

use super::sql::RowExt;
use super::{Result, Store, StoreError};
use app::model::{RoutePage, RouteRow};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

fn route_row(r: &AnyRow) -> Result<RouteRow> {
    Ok(RouteRow {
        id: r.int("id")?,
        account_id: r.int("account_id")?,
        account_name: r.text("account_name")?,
        from_page: r.parsed("from_page", RoutePage::parse)?,
        to_page: r.parsed("to_page", RoutePage::parse)?,
        routed_by: r.text("routed_by")?,
        note: r.opt_text("note")?,
        routed_at: r.text("routed_at")?,
        dismissed: r.opt_text("dismissed_at")?.is_some(),
        deal_id: r.opt_int("deal_id")?,
    })
}

const ROUTE_SELECT: &str = "SELECT r.id, r.account_id, a.name AS account_name, r.from_page, r.to_page, r.routed_by, \
     r.note, r.routed_at, r.dismissed_at, r.deal_id FROM routes r JOIN accounts a ON a.id = r.account_id";

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn route_account(
        &self,
        workspace_id: i64,
        account_id: i64,
        from: RoutePage,
        to: RoutePage,
        routed_by: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<RouteRow> {
        let stamp = super::access::instant(now);
        let mut tx = self.begin_write().await?;
        let id = route_in(
            &mut tx,
            workspace_id,
            account_id,
            from,
            to,
            routed_by,
            note,
            None,
            &stamp,
        )
        .await?;
        tx.commit().await?;
        self.route(workspace_id, id).await
    }

    pub async fn route(&self, workspace_id: i64, id: i64) -> Result<RouteRow> {
        let row = sqlx::query(&format!("{ROUTE_SELECT} WHERE r.id = $1 AND r.workspace_id = $2"))
            .bind(id)
            .bind(workspace_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("Route"))?;
        route_row(&row)
    }

    /// Dismisses a route (dismissing twice is harmless); returns the route's account.
    pub async fn dismiss_route(&self, workspace_id: i64, id: i64, now: DateTime<Utc>) -> Result<i64> {
        sqlx::query("UPDATE routes SET dismissed_at = $1 WHERE id = $2 AND workspace_id = $3 AND dismissed_at IS NULL")
            .bind(super::access::instant(now))
            .bind(id)
            .bind(workspace_id)
            .execute(self.pool())
            .await?;
        Ok(self.route(workspace_id, id).await?.account_id)
    }

    /// Active routes into a page, newest first (untracked accounts only when asked for).
    pub async fn routed_to(&self, workspace_id: i64, page: RoutePage) -> Result<Vec<RouteRow>> {
        sqlx::query(&format!(
            "{ROUTE_SELECT} WHERE r.workspace_id = $1 AND r.to_page = $2 AND r.dismissed_at IS NULL AND a.tracked = $3 \
             ORDER BY r.routed_at DESC, r.id DESC LIMIT 50"
        ))
        .bind(workspace_id)
        .bind(page.as_str())
        .bind(true)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(route_row)
        .collect()
    }

    pub async fn routes_of(&self, workspace_id: i64, account_id: i64) -> Result<Vec<RouteRow>> {
        sqlx::query(&format!(
            "{ROUTE_SELECT} WHERE r.workspace_id = $1 AND r.account_id = $2 ORDER BY r.routed_at DESC, r.id DESC LIMIT 50"
        ))
        .bind(workspace_id)
        .bind(account_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(route_row)
        .collect()
    }

    /// Tracks or untracks an account (untracked accounts leave monitoring and are hidden by default).
    pub async fn set_tracked(&self, workspace_id: i64, account_id: i64, tracked: bool) -> Result<()> {
        let done = sqlx::query("UPDATE accounts SET tracked = $1 WHERE id = $2 AND workspace_id = $3")
            .bind(tracked)
            .bind(account_id)
            .bind(workspace_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound("Account"));
        }
        Ok(())
    }
}

/// Routes an account inside the caller's transaction; into Pipeline it opens a deal (`deal`:
/// its name and amount, else an expansion worth a fifth of the ARR). Returns the route's id.
#[allow(clippy::too_many_arguments)]
pub(super) async fn route_in(
    conn: &mut sqlx::AnyConnection,
    workspace_id: i64,
    account_id: i64,
    from: RoutePage,
    to: RoutePage,
    routed_by: &str,
    note: Option<&str>,
    deal: Option<(String, i64)>,
    stamp: &str,
) -> Result<i64> {
    let account = sqlx::query("SELECT name, arr_minor, currency FROM accounts WHERE id = $1 AND workspace_id = $2")
        .bind(account_id)
        .bind(workspace_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("Account"))?;
    // One active route per account: routing on dismisses the previous one.
    sqlx::query(
        "UPDATE routes SET dismissed_at = $1 WHERE account_id = $2 AND workspace_id = $3 AND dismissed_at IS NULL",
    )
    .bind(stamp)
    .bind(account_id)
    .bind(workspace_id)
    .execute(&mut *conn)
    .await?;
    let mut deal_id: Option<i64> = None;
    if to == RoutePage::Pipeline {
        let stage = sqlx::query(
            "SELECT key FROM pipeline_stages WHERE workspace_id = $1 AND outcome = 'open' ORDER BY position LIMIT 1",
        )
        .bind(workspace_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::Invalid("This pipeline has no open stage to put the deal in.".into()))?
        .text("key")?;
        let name = account.text("name")?;
        // A first guess at the expansion: a fifth of today's ARR; the CSM edits it in the CRM.
        let (deal_name, amount) =
            deal.unwrap_or_else(|| (format!("{name} expansion"), account.int("arr_minor").unwrap_or(0) / 5));
        deal_id = Some(
                sqlx::query(
                    "INSERT INTO deals (workspace_id, account_id, name, stage, position, amount_minor, currency, source, version, updated_at) \
                     VALUES ($1, $2, $3, $4, 0, $5, $6, 'routed', 1, $7) RETURNING id",
                )
                .bind(workspace_id)
                .bind(account_id)
                .bind(deal_name)
                .bind(&stage)
                .bind(amount)
                .bind(account.text("currency")?)
                .bind(stamp)
                .fetch_one(&mut *conn)
                .await?
                .int("id")?,
            );
        sqlx::query(
            "INSERT INTO deal_moves (workspace_id, deal_id, account_id, from_stage, to_stage, moved_by, moved_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5, $6)",
        )
        .bind(workspace_id)
        .bind(deal_id)
        .bind(account_id)
        .bind(&stage)
        .bind(routed_by)
        .bind(stamp)
        .execute(&mut *conn)
        .await?;
    }
    let id = sqlx::query(
        "INSERT INTO routes (workspace_id, account_id, from_page, to_page, routed_by, note, routed_at, deal_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(workspace_id)
    .bind(account_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(routed_by)
    .bind(note)
    .bind(stamp)
    .bind(deal_id)
    .fetch_one(&mut *conn)
    .await?
    .int("id")?;
    Ok(id)
}
