//! Reads for the Close the Loop pages: request cards, counts, themes, projects and releases.

use super::{outbox_row, CardFilter, RawCard, RawMatch, ThemeMember, OUTBOX_COLUMNS, OUTBOX_FROM};
use crate::store::sql::{RowExt, Sql};
use crate::store::{Result, Store};
use app::close_loop::{MatchStatus, OutboxRow, Requester};
use app::model::{ReleaseRow, ReleaseSource};
use std::collections::{HashMap, HashSet};

impl Store {
    /// Requests with their matches (proposed and confirmed, best first) and each match's newest email.
    pub async fn request_cards(&self, ws: i64, f: &CardFilter) -> Result<(Vec<RawCard>, u64)> {
        let mut from = Sql::new(
            "FROM feature_requests f JOIN accounts a ON a.id = f.account_id LEFT JOIN contacts c ON c.id = f.contact_id \
             WHERE f.workspace_id = ",
        );
        from.arg(ws);
        if let Some(account) = f.account_id {
            from.push(" AND f.account_id = ").arg(account);
        }
        if let Some(request) = f.request_id {
            from.push(" AND f.id = ").arg(request);
        }
        if let Some(pattern) = &f.search {
            from.push(" AND (LOWER(a.name) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(f.quote) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(f.project) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\')");
        }
        if let Some(project) = &f.project {
            from.push(" AND f.project = ").arg(project.clone());
        }
        match f.state.as_deref() {
            Some("shipped") => {
                from.push(" AND EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status = 'confirmed')");
            }
            Some("proposed") => {
                from.push(
                    " AND EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status = 'proposed')",
                );
            }
            Some("waiting") => {
                from.push(" AND NOT EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status <> 'rejected')");
            }
            _ => {}
        }
        let total = Sql {
            text: format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {}", from.text),
            args: from.args.clone(),
        }
        .query()
        .fetch_one(self.pool())
        .await?
        .int("n")? as u64;
        let order = if f.by_project {
            "f.project ASC, a.name ASC, f.requested_on DESC, f.id DESC"
        } else {
            "a.name ASC, a.id ASC, f.requested_on DESC, f.id DESC"
        };
        let mut sql = Sql {
            text: format!(
                "SELECT f.id, f.account_id, a.name AS account_name, f.project, f.quote, f.requested_on, f.source_link, f.theme_id, \
                 c.id AS contact_id, c.name AS contact_name, c.email AS contact_email, c.opted_out {} ORDER BY {order}",
                from.text
            ),
            args: from.args,
        };
        sql.push(" LIMIT ")
            .arg(f.per_page.max(1) as i64)
            .push(" OFFSET ")
            .arg((f.page.max(1) as i64 - 1) * f.per_page as i64);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut cards = Vec::with_capacity(rows.len());
        let mut themes = Vec::new();
        for r in &rows {
            let requester = match r.opt_int("contact_id")? {
                Some(contact_id) => Some(Requester {
                    contact_id,
                    name: r.text("contact_name")?,
                    email: r.text("contact_email")?,
                    opted_out: r.flag("opted_out")?,
                }),
                None => None,
            };
            themes.push(r.opt_int("theme_id")?);
            cards.push(RawCard {
                id: r.int("id")?,
                account_id: r.int("account_id")?,
                account_name: r.text("account_name")?,
                project: r.text("project")?,
                quote: r.text("quote")?,
                requester,
                requested_on: r.date("requested_on")?,
                source_link: r.opt_text("source_link")?,
                theme_size: 0,
                matches: Vec::new(),
            });
        }
        if cards.is_empty() {
            return Ok((cards, total));
        }
        let theme_ids: Vec<i64> = themes
            .iter()
            .flatten()
            .copied()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !theme_ids.is_empty() {
            let mut sql = Sql::new("SELECT theme_id, CAST(COUNT(DISTINCT account_id) AS BIGINT) AS n FROM feature_requests WHERE workspace_id = ");
            sql.arg(ws)
                .push(" AND theme_id")
                .in_list(&theme_ids)
                .push(" GROUP BY theme_id");
            let sizes: HashMap<i64, i64> = sql
                .query()
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| Ok((r.int("theme_id")?, r.int("n")?)))
                .collect::<Result<_>>()?;
            for (card, theme) in cards.iter_mut().zip(&themes) {
                card.theme_size = theme
                    .and_then(|t| sizes.get(&t))
                    .map_or(0, |n| (*n as u64).saturating_sub(1));
            }
        }
        let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
        let mut sql = Sql::new(
            "SELECT m.request_id, m.item_id, m.score, m.terms, m.similarity, m.status, m.decided_by, i.text, r.title, r.url, r.published_on \
             FROM request_matches m JOIN release_items i ON i.id = m.item_id JOIN releases r ON r.id = i.release_id \
             WHERE m.workspace_id = ",
        );
        sql.arg(ws)
            .push(" AND m.status <> 'rejected' AND m.request_id")
            .in_list(&ids)
            .push(" ORDER BY m.request_id, CASE m.status WHEN 'confirmed' THEN 0 ELSE 1 END, m.score DESC, m.item_id");
        let mut by_request: HashMap<i64, Vec<RawMatch>> = HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            by_request.entry(r.int("request_id")?).or_default().push(RawMatch {
                item_id: r.int("item_id")?,
                item: r.text("text")?,
                release_title: r.text("title")?,
                release_url: r.opt_text("url")?,
                shipped_on: r.date("published_on")?,
                score: r.real("score")?,
                terms: serde_json::from_str(&r.text("terms")?).unwrap_or_default(),
                similarity: sqlx::Row::try_get::<Option<f64>, _>(&r, "similarity")?,
                status: r.parsed("status", MatchStatus::parse)?,
                decided_by: r.opt_text("decided_by")?,
                email: None,
            });
        }
        let mut sql = Sql::new(&format!(
            "SELECT {OUTBOX_COLUMNS}, o.request_id, o.item_id {OUTBOX_FROM} WHERE o.workspace_id = "
        ));
        sql.arg(ws)
            .push(" AND o.request_id")
            .in_list(&ids)
            .push(" ORDER BY o.id");
        let mut emails: HashMap<(i64, i64), OutboxRow> = HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            if let (Some(req), Some(item)) = (r.opt_int("request_id")?, r.opt_int("item_id")?) {
                emails.insert((req, item), outbox_row(&r)?);
            }
        }
        for card in &mut cards {
            let mut matches = by_request.remove(&card.id).unwrap_or_default();
            for m in &mut matches {
                m.email = emails.remove(&(card.id, m.item_id));
            }
            card.matches = matches;
        }
        Ok((cards, total))
    }

    /// (account, requests shipped, requests) for each of these accounts.
    pub async fn request_counts(&self, ws: i64, accounts: &[i64]) -> Result<Vec<(i64, u64, u64)>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT f.account_id, CAST(COUNT(*) AS BIGINT) AS total, CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM request_matches m \
             WHERE m.request_id = f.id AND m.status = 'confirmed') THEN 1 ELSE 0 END) AS BIGINT) AS shipped \
             FROM feature_requests f WHERE f.workspace_id = ",
        );
        sql.arg(ws)
            .push(" AND f.account_id")
            .in_list(accounts)
            .push(" GROUP BY f.account_id");
        sql.query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.int("account_id")?,
                    r.int("shipped")?.max(0) as u64,
                    r.int("total")?.max(0) as u64,
                ))
            })
            .collect()
    }

    /// (requests, accounts asking, requests shipped, accounts shipped, proposed pairs, confirmed
    /// pairs with no email, emails sent).
    pub async fn loop_counts(&self, ws: i64) -> Result<[u64; 7]> {
        let r = sqlx::query(
            "SELECT \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM feature_requests WHERE workspace_id = $1) AS requests, \
               (SELECT CAST(COUNT(DISTINCT account_id) AS BIGINT) FROM feature_requests WHERE workspace_id = $1) AS accounts, \
               (SELECT CAST(COUNT(DISTINCT m.request_id) AS BIGINT) FROM request_matches m WHERE m.workspace_id = $1 AND m.status = 'confirmed') AS shipped, \
               (SELECT CAST(COUNT(DISTINCT f.account_id) AS BIGINT) FROM request_matches m JOIN feature_requests f ON f.id = m.request_id \
                  WHERE m.workspace_id = $1 AND m.status = 'confirmed') AS accounts_shipped, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM request_matches WHERE workspace_id = $1 AND status = 'proposed') AS proposed, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM request_matches m WHERE m.workspace_id = $1 AND m.status = 'confirmed' \
                  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.request_id = m.request_id AND o.item_id = m.item_id)) AS unsent, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE workspace_id = $1 AND state = 'sent' AND purpose = 'loop') AS sent",
        )
        .bind(ws)
        .fetch_one(self.pool())
        .await?;
        let n = |c: &str| r.int(c).map(|v| v.max(0) as u64);
        Ok([
            n("requests")?,
            n("accounts")?,
            n("shipped")?,
            n("accounts_shipped")?,
            n("proposed")?,
            n("unsent")?,
            n("sent")?,
        ])
    }

    pub async fn theme_members(&self, ws: i64) -> Result<Vec<ThemeMember>> {
        sqlx::query(
            "SELECT COALESCE(f.theme_id, f.id) AS theme_id, COALESCE(t.quote, f.quote) AS label, f.account_id, a.arr_minor, \
               COALESCE(t.project, f.project) AS project, \
               CAST(CASE WHEN EXISTS (SELECT 1 FROM request_matches m WHERE m.request_id = f.id AND m.status = 'confirmed') THEN 1 ELSE 0 END AS BIGINT) AS shipped \
             FROM feature_requests f JOIN accounts a ON a.id = f.account_id LEFT JOIN feature_requests t ON t.id = f.theme_id \
             WHERE f.workspace_id = $1",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ThemeMember {
                theme_id: r.int("theme_id")?,
                label: r.text("label")?,
                account_id: r.int("account_id")?,
                arr_minor: r.int("arr_minor")?,
                project: r.text("project")?,
                shipped: r.int("shipped")? == 1,
            })
        })
        .collect()
    }

    pub async fn request_projects(&self, ws: i64) -> Result<Vec<(String, u64)>> {
        sqlx::query(
            "SELECT project, CAST(COUNT(*) AS BIGINT) AS n FROM feature_requests WHERE workspace_id = $1 GROUP BY project ORDER BY project",
        )
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.text("project")?, r.int("n")? as u64)))
        .collect()
    }

    pub async fn releases_with_items(&self, ws: i64, limit: i64) -> Result<Vec<ReleaseRow>> {
        let mut releases: Vec<ReleaseRow> = sqlx::query(
            "SELECT id, source, title, body, url, published_on FROM releases WHERE workspace_id = $1 \
             ORDER BY published_on DESC, COALESCE(published_at, '') DESC, id DESC LIMIT $2",
        )
        .bind(ws)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ReleaseRow {
                id: r.int("id")?,
                source: r.parsed("source", ReleaseSource::parse)?,
                title: r.text("title")?,
                body: r.text("body")?,
                url: r.opt_text("url")?,
                published_on: r.date("published_on")?,
                items: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
        if releases.is_empty() {
            return Ok(releases);
        }
        let ids: Vec<i64> = releases.iter().map(|r| r.id).collect();
        let mut sql = Sql::new("SELECT release_id, text FROM release_items WHERE release_id");
        sql.in_list(&ids).push(" ORDER BY release_id, position");
        let mut items: HashMap<i64, Vec<String>> = HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            items.entry(r.int("release_id")?).or_default().push(r.text("text")?);
        }
        for r in &mut releases {
            r.items = items.remove(&r.id).unwrap_or_default();
        }
        Ok(releases)
    }
}
