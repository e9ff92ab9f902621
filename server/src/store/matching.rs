//! Account matching by hand: link an unmatched vendor company to an account, unlink a vendor id
//! (a wrong match goes back to the unmatched list), merge two accounts into one re-pointing every
//! row, and undo a merge.

use super::sql::RowExt;
use super::{Result, Store, StoreError};
use app::matching::{normalise_name, AccountBrief, MatchingView, MergeRow, UnmatchedCompany};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Tables whose rows belong to an account by `account_id` and have their own `id`.
const ROW_TABLES: [&str; 9] = [
    "contacts",
    "revenue_sources",
    "invoices",
    "signals",
    "deals",
    "trials",
    "feature_requests",
    "routes",
    "deal_moves",
];

/// What undoing a merge needs.
#[derive(Serialize, Deserialize, Default)]
struct Snapshot {
    account: HashMap<String, serde_json::Value>,
    /// table → ids re-pointed to the kept account.
    moved: HashMap<String, Vec<i64>>,
    external_ids: Vec<(String, String)>,
    moved_weeks: Vec<String>,
    /// Usage weeks both accounts had: the merged account's, kept here.
    dropped_weeks: Vec<(String, i64, i64, String)>,
}

/// The merged account's own fields (roll-ups and scores are recomputed after an undo).
const ACCOUNT_TEXT: [&str; 9] = [
    "name",
    "custom_fields",
    "domain",
    "owner_name",
    "lifecycle",
    "industry",
    "country",
    "created_at",
    "currency",
];
const ACCOUNT_INT: [&str; 2] = ["employees", "licensed_seats"];

impl Store {
    pub async fn matching(&self, ws: i64) -> Result<MatchingView> {
        let accounts = sqlx::query("SELECT id, name, domain FROM accounts WHERE workspace_id = $1 ORDER BY id")
            .bind(ws)
            .fetch_all(self.pool())
            .await?;
        let mut sources: HashMap<i64, Vec<String>> = HashMap::new();
        for r in sqlx::query(
            "SELECT DISTINCT account_id, source FROM account_external_ids WHERE workspace_id = $1 ORDER BY source",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        {
            sources.entry(r.int("account_id")?).or_default().push(r.text("source")?);
        }
        let mut by_name: HashMap<String, Vec<AccountBrief>> = HashMap::new();
        for r in &accounts {
            let id = r.int("id")?;
            let name = r.text("name")?;
            by_name.entry(normalise_name(&name)).or_default().push(AccountBrief {
                id,
                domain: r.opt_text("domain")?,
                sources: sources.remove(&id).unwrap_or_default(),
                name,
            });
        }
        let total =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM unmatched_companies WHERE workspace_id = $1")
                .bind(ws)
                .fetch_one(self.pool())
                .await?
                .int("n")?;
        let rows = sqlx::query(
            "SELECT source, external_id, name, domain, seen_at FROM unmatched_companies WHERE workspace_id = $1 \
             ORDER BY name, source, external_id LIMIT 2000",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?;
        let mut unmatched = Vec::with_capacity(rows.len());
        for r in rows {
            let name = r.text("name")?;
            unmatched.push(UnmatchedCompany {
                source: r.text("source")?,
                external_id: r.text("external_id")?,
                suggestions: by_name.get(&normalise_name(&name)).cloned().unwrap_or_default(),
                name,
                domain: r.opt_text("domain")?,
                seen_at: r.text("seen_at")?,
            });
        }
        // The ones a person can act on at once come first.
        unmatched.sort_by_key(|u| u.suggestions.is_empty());
        unmatched.truncate(50);
        let mut duplicates: Vec<Vec<AccountBrief>> = by_name.into_values().filter(|g| g.len() > 1).collect();
        duplicates.sort_by(|a, b| a[0].name.cmp(&b[0].name));
        duplicates.truncate(100);
        let merges = sqlx::query(
            "SELECT m.id, m.kept_id, a.name AS kept_name, a.domain AS kept_domain, m.merged_name, m.merged_at, m.undone_at \
             FROM account_merges m JOIN accounts a ON a.id = m.kept_id \
             WHERE m.workspace_id = $1 ORDER BY m.id DESC LIMIT 20",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(MergeRow {
                id: r.int("id")?,
                kept: AccountBrief {
                    id: r.int("kept_id")?,
                    name: r.text("kept_name")?,
                    domain: r.opt_text("kept_domain")?,
                    sources: Vec::new(),
                },
                merged_name: r.text("merged_name")?,
                merged_at: r.text("merged_at")?,
                undone_at: r.opt_text("undone_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(MatchingView {
            unmatched,
            unmatched_total: total,
            duplicates,
            merges,
        })
    }

    /// Links an unmatched vendor company to an account.
    pub async fn link_company(&self, ws: i64, source: &str, external_id: &str, account: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        account_in(&mut tx, ws, account).await?;
        let gone =
            sqlx::query("DELETE FROM unmatched_companies WHERE workspace_id = $1 AND source = $2 AND external_id = $3")
                .bind(ws)
                .bind(source)
                .bind(external_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound("That unmatched company"));
        }
        sqlx::query(
            "INSERT INTO account_external_ids (workspace_id, account_id, source, external_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET account_id = excluded.account_id",
        )
        .bind(ws)
        .bind(account)
        .bind(source)
        .bind(external_id)
        .execute(&mut *tx)
        .await?;
        super::jobs::enqueue_after_change(&mut tx, ws, super::jobs::Changes::REVENUE, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Merges `merged` into `kept`: every row of `merged` moves, then `merged` is deleted.
    /// Returns the merge's id (for undo).
    pub async fn merge_accounts(
        &self,
        ws: i64,
        kept: i64,
        merged: i64,
        (actor_id, actor_name): (Option<i64>, &str),
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if kept == merged {
            return Err(StoreError::Invalid("Pick two different accounts.".into()));
        }
        let mut tx = self.begin_write().await?;
        let kept_name = account_in(&mut tx, ws, kept).await?;
        let row = sqlx::query(&format!(
            "SELECT {}, {} FROM accounts WHERE id = $1 AND workspace_id = $2",
            ACCOUNT_TEXT.join(", "),
            ACCOUNT_INT.join(", ")
        ))
        .bind(merged)
        .bind(ws)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("That account"))?;
        let mut snap = Snapshot::default();
        for c in ACCOUNT_TEXT {
            snap.account.insert(c.into(), row.opt_text(c)?.into());
        }
        for c in ACCOUNT_INT {
            snap.account.insert(c.into(), row.opt_int(c)?.into());
        }
        let merged_name = row.text("name")?;
        for table in ROW_TABLES {
            let ids: Vec<i64> = sqlx::query(&format!("SELECT id FROM {table} WHERE account_id = $1"))
                .bind(merged)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.int("id"))
                .collect::<Result<_>>()?;
            sqlx::query(&format!("UPDATE {table} SET account_id = $2 WHERE account_id = $1"))
                .bind(merged)
                .bind(kept)
                .execute(&mut *tx)
                .await?;
            snap.moved.insert(table.into(), ids);
        }
        for r in sqlx::query("SELECT source, external_id FROM account_external_ids WHERE account_id = $1")
            .bind(merged)
            .fetch_all(&mut *tx)
            .await?
        {
            snap.external_ids.push((r.text("source")?, r.text("external_id")?));
        }
        sqlx::query("UPDATE account_external_ids SET account_id = $2 WHERE account_id = $1")
            .bind(merged)
            .bind(kept)
            .execute(&mut *tx)
            .await?;
        let kept_weeks: std::collections::HashSet<String> =
            sqlx::query("SELECT week_start FROM usage_weeks WHERE account_id = $1")
                .bind(kept)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.text("week_start"))
                .collect::<Result<_>>()?;
        for r in sqlx::query(
            "SELECT week_start, active_users, licensed_seats, feature_adoption FROM usage_weeks WHERE account_id = $1",
        )
        .bind(merged)
        .fetch_all(&mut *tx)
        .await?
        {
            let week = r.text("week_start")?;
            if kept_weeks.contains(&week) {
                snap.dropped_weeks.push((
                    week,
                    r.int("active_users")?,
                    r.int("licensed_seats")?,
                    r.text("feature_adoption")?,
                ));
            } else {
                sqlx::query("UPDATE usage_weeks SET account_id = $2 WHERE account_id = $1 AND week_start = $3")
                    .bind(merged)
                    .bind(kept)
                    .bind(&week)
                    .execute(&mut *tx)
                    .await?;
                snap.moved_weeks.push(week);
            }
        }
        sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(merged)
            .execute(&mut *tx)
            .await?;
        let id = sqlx::query(
            "INSERT INTO account_merges (workspace_id, kept_id, merged_id, merged_name, snapshot, merged_by, merged_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(ws)
        .bind(kept)
        .bind(merged)
        .bind(&merged_name)
        .bind(serde_json::to_string(&snap).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(actor_id)
        .bind(now.to_rfc3339())
        .fetch_one(&mut *tx)
        .await?
        .int("id")?;
        let moved: usize = snap.moved.values().map(Vec::len).sum();
        super::access::audit(
            &mut tx,
            ws,
            actor_id,
            actor_name,
            "account.merge",
            &format!("{merged_name} into {kept_name}"),
            &format!("{moved} rows and {} vendor ids moved", snap.external_ids.len()),
            now,
        )
        .await?;
        super::jobs::enqueue_after_change(&mut tx, ws, super::jobs::Changes::REVENUE, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Brings a merged account back with the rows that were its own; returns its (new) id.
    pub async fn undo_merge(
        &self,
        ws: i64,
        merge: i64,
        (actor_id, actor_name): (Option<i64>, &str),
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT kept_id, merged_id, snapshot, undone_at FROM account_merges WHERE id = $1 AND workspace_id = $2",
        )
        .bind(merge)
        .bind(ws)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("That merge"))?;
        if row.opt_text("undone_at")?.is_some() {
            return Err(StoreError::Conflict("This merge was already undone.".into()));
        }
        let kept = row.int("kept_id")?;
        let snap: Snapshot =
            serde_json::from_str(&row.text("snapshot")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let old_id = row.int("merged_id")?;
        let free = sqlx::query("SELECT id FROM accounts WHERE id = $1")
            .bind(old_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_none();
        let text = |c: &str| snap.account.get(c).and_then(|v| v.as_str()).map(str::to_string);
        let int = |c: &str| snap.account.get(c).and_then(|v| v.as_i64());
        let columns = format!("workspace_id, {}, {}", ACCOUNT_TEXT.join(", "), ACCOUNT_INT.join(", "));
        // With the old id free it comes back as $1; otherwise the database picks one.
        let first = if free { 2 } else { 1 };
        let values: Vec<String> = (first..first + 1 + ACCOUNT_TEXT.len() + ACCOUNT_INT.len())
            .map(|i| format!("${i}"))
            .collect();
        let sql = if free {
            format!(
                "INSERT INTO accounts (id, {columns}) VALUES ($1, {}) RETURNING id",
                values.join(", ")
            )
        } else {
            format!(
                "INSERT INTO accounts ({columns}) VALUES ({}) RETURNING id",
                values.join(", ")
            )
        };
        let mut q = sqlx::query(&sql);
        if free {
            q = q.bind(old_id);
        }
        q = q.bind(ws);
        for c in ACCOUNT_TEXT {
            q = q.bind(text(c));
        }
        for c in ACCOUNT_INT {
            q = q.bind(int(c));
        }
        let restored = q.fetch_one(&mut *tx).await?.int("id")?;
        for (table, ids) in &snap.moved {
            if !ROW_TABLES.contains(&table.as_str()) {
                return Err(StoreError::Corrupt(format!("a merge names the table {table}")));
            }
            for chunk in ids.chunks(500) {
                let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
                sqlx::query(&format!(
                    "UPDATE {table} SET account_id = $1 WHERE account_id = $2 AND id IN ({})",
                    list.join(", ")
                ))
                .bind(restored)
                .bind(kept)
                .execute(&mut *tx)
                .await?;
            }
        }
        for (source, external_id) in &snap.external_ids {
            sqlx::query(
                "UPDATE account_external_ids SET account_id = $1 \
                 WHERE workspace_id = $2 AND source = $3 AND external_id = $4 AND account_id = $5",
            )
            .bind(restored)
            .bind(ws)
            .bind(source)
            .bind(external_id)
            .bind(kept)
            .execute(&mut *tx)
            .await?;
        }
        for week in &snap.moved_weeks {
            sqlx::query("UPDATE usage_weeks SET account_id = $1 WHERE account_id = $2 AND week_start = $3")
                .bind(restored)
                .bind(kept)
                .bind(week)
                .execute(&mut *tx)
                .await?;
        }
        for (week, active, seats, features) in &snap.dropped_weeks {
            sqlx::query(
                "INSERT INTO usage_weeks (workspace_id, account_id, week_start, active_users, licensed_seats, feature_adoption) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(ws)
            .bind(restored)
            .bind(week)
            .bind(*active)
            .bind(*seats)
            .bind(features)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE account_merges SET undone_at = $2 WHERE id = $1")
            .bind(merge)
            .bind(now.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        super::access::audit(
            &mut tx,
            ws,
            actor_id,
            actor_name,
            "account.unmerge",
            &text("name").unwrap_or_default(),
            "a merge was undone",
            now,
        )
        .await?;
        super::jobs::enqueue_after_change(&mut tx, ws, super::jobs::Changes::REVENUE, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(restored)
    }

    /// Unlinks a vendor id from an account: a wrong match goes back to the unmatched list.
    /// Billing and contract ids carry revenue and cannot be unlinked (merge or undo instead).
    pub async fn unlink_company(
        &self,
        ws: i64,
        account: i64,
        source: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if matches!(source, "stripe" | "salesbricks") {
            return Err(StoreError::Invalid(
                "Billing and contract ids bring the account's revenue; undo a merge instead.".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let name = account_in(&mut tx, ws, account).await?;
        let gone = sqlx::query(
            "DELETE FROM account_external_ids WHERE workspace_id = $1 AND account_id = $2 AND source = $3 AND external_id = $4",
        )
        .bind(ws)
        .bind(account)
        .bind(source)
        .bind(external_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound("That link"));
        }
        super::sync::remember_unmatched(
            &mut tx,
            ws,
            source,
            external_id,
            &format!("{external_id} (unlinked from {name})"),
            None,
            now,
        )
        .await?;
        super::jobs::enqueue_after_change(&mut tx, ws, super::jobs::Changes::REVENUE, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The account's name, when it is in the workspace.
/// The account's name; NotFound for another workspace's account.
pub(super) async fn account_in(conn: &mut AnyConnection, ws: i64, account: i64) -> Result<String> {
    sqlx::query("SELECT name FROM accounts WHERE id = $1 AND workspace_id = $2")
        .bind(account)
        .bind(ws)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("That account"))?
        .text("name")
}
