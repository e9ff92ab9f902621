//! Writing a page of records: its companies matched to accounts (or new ones), then its records.

use super::upserts::{
    remove_gone_deals, revenue_source_ids, upsert_deal, upsert_invoices, upsert_revenue, upsert_trials, upsert_usage,
};
use super::{ids_by_key, remember_unmatched, CompanyRecord, Records, SyncPage, UsageRecord, DONE, LINK_HINT};
use crate::store::jobs::{enqueue_after_change, Changes};
use crate::store::load::upsert_rows;
use crate::store::sql::{RowExt, Sql, Val};
use crate::store::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use std::collections::HashMap;

impl Store {
    /// Writes one page with its cursor and the run's counters, all or nothing. Returns the rows written.
    pub async fn write_sync_page(
        &self,
        ws: i64,
        source: &str,
        run_id: i64,
        page: &SyncPage,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let conn = &mut *tx;
        let mut skipped = page.skipped.clone();
        let written = self
            .write_records_in(conn, ws, &page.companies, &page.records, &mut skipped, now)
            .await?;
        // A finished resource keeps a DONE mark until the whole run succeeds, so a run that is
        // interrupted later resumes after it instead of fetching it again.
        sqlx::query(
            "INSERT INTO sync_cursors (workspace_id, source, resource, cursor) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, source, resource) DO UPDATE SET cursor = excluded.cursor",
        )
        .bind(ws)
        .bind(source)
        .bind(page.resource)
        .bind(page.next_cursor.as_deref().unwrap_or(DONE))
        .execute(&mut *conn)
        .await?;
        let noted = skipped
            .iter()
            .map(|r| ("skipped", r))
            .chain(page.repaired.iter().map(|r| ("repaired", r)));
        for (outcome, (record, message)) in noted {
            sqlx::query(
                "INSERT INTO sync_run_errors (run_id, record, message, resource, outcome, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(run_id)
            .bind(record)
            .bind(message)
            .bind(page.resource)
            .bind(outcome)
            .bind(app::integrations::reason_of(message))
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(
            "UPDATE sync_runs SET fetched = fetched + $2, written = written + $3, skipped = skipped + $4, \
               step = $5, cursor = $6, heartbeat_at = $7, repaired = repaired + $8 WHERE id = $1",
        )
        .bind(run_id)
        .bind(page.fetched as i64)
        .bind(written as i64)
        .bind(skipped.len() as i64)
        .bind(page.resource)
        .bind(page.next_cursor.as_deref())
        .bind(now.to_rfc3339())
        .bind(page.repaired.len() as i64)
        .execute(&mut *conn)
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Records from outside a sync (a webhook), in one transaction; returns (written, skipped).
    pub async fn write_records(
        &self,
        ws: i64,
        records: &Records,
        now: DateTime<Utc>,
    ) -> Result<(usize, Vec<(String, String)>)> {
        let mut tx = self.begin_write().await?;
        let mut skipped = Vec::new();
        let written = self
            .write_records_in(&mut tx, ws, &[], records, &mut skipped, now)
            .await?;
        enqueue_after_change(&mut tx, ws, Changes::REVENUE, now).await?;
        tx.commit().await?;
        Ok((written, skipped))
    }

    /// Writes a page's companies, then its records, in statements per page rather than per record:
    /// the accounts of every id on the page are looked up at once, records are upserted in
    /// multi-row statements, and only companies seen for the first time take the slow path.
    async fn write_records_in(
        &self,
        conn: &mut AnyConnection,
        ws: i64,
        companies: &[CompanyRecord],
        records: &Records,
        skipped: &mut Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let listed: &[CompanyRecord] = match records {
            Records::Companies(c) => c,
            _ => &[],
        };
        let all_companies: Vec<&CompanyRecord> = companies.iter().chain(listed).collect();
        let mut keys: Vec<(&str, String)> = Vec::new();
        for c in &all_companies {
            keys.push((c.source, c.external_id.clone()));
            keys.extend(c.also.iter().cloned());
        }
        match records {
            Records::Revenue(rs) => keys.extend(rs.iter().map(|r| r.company.clone())),
            Records::Invoices(is) => keys.extend(is.iter().map(|i| i.company.clone())),
            Records::Enrichments(es) => keys.extend(es.iter().map(|e| (e.source, e.external_id.clone()))),
            Records::Links(ls) => {
                for l in ls {
                    keys.push((l.company.source, l.company.external_id.clone()));
                    keys.extend(l.company.also.iter().cloned());
                }
            }
            Records::Usage(us) => keys.extend(us.iter().map(|u| u.company.clone())),
            Records::Deals(ds, _) => keys.extend(ds.iter().map(|d| d.company.clone())),
            Records::Companies(_) | Records::Releases(_) => {}
        }
        keys.sort_unstable();
        keys.dedup();
        let mut known = self.accounts_of(conn, ws, &keys).await?;
        // Companies none of whose ids is linked yet: matched by domain, else new accounts.
        let is_known = |known: &HashMap<(String, String), i64>, c: &CompanyRecord| {
            std::iter::once((c.source, &c.external_id))
                .chain(c.also.iter().map(|(s, e)| (*s, e)))
                .find_map(|(s, e)| known.get(&(s.to_string(), e.clone())).copied())
        };
        let new_domains: Vec<String> = all_companies
            .iter()
            .filter(|c| is_known(&known, c).is_none())
            .filter_map(|c| c.domain.as_deref().map(str::to_ascii_lowercase))
            .collect();
        let by_domain = accounts_by_domain(conn, ws, &new_domains).await?;
        // Each company's account: known, by domain, or a new one (one per domain on the page).
        enum Target {
            Existing(i64),
            New(usize),
        }
        let mut new_accounts: Vec<(&str, Option<String>)> = Vec::new();
        let mut new_by_domain: HashMap<String, usize> = HashMap::new();
        let mut targets: Vec<Target> = Vec::with_capacity(all_companies.len());
        for c in &all_companies {
            let domain = c.domain.as_deref().map(str::to_ascii_lowercase);
            let target = match is_known(&known, c) {
                Some(account) => Target::Existing(account),
                None => match domain.as_ref().and_then(|d| by_domain.get(d).copied()) {
                    Some(account) => Target::Existing(account),
                    None => match domain.as_ref().and_then(|d| new_by_domain.get(d).copied()) {
                        Some(slot) => Target::New(slot),
                        None => {
                            if let Some(d) = &domain {
                                new_by_domain.insert(d.clone(), new_accounts.len());
                            }
                            new_accounts.push((c.name.as_str(), domain));
                            Target::New(new_accounts.len() - 1)
                        }
                    },
                },
            };
            targets.push(target);
        }
        let created = insert_accounts(conn, ws, &new_accounts, now).await?;
        let mut links: Vec<(i64, &str, String)> = Vec::new();
        for (c, target) in all_companies.iter().zip(targets) {
            let account = match target {
                Target::Existing(a) => a,
                Target::New(slot) => created[slot],
            };
            let mut ids = vec![(c.source, c.external_id.clone())];
            ids.extend(c.also.iter().cloned());
            for (source, external_id) in ids {
                let key = (source.to_string(), external_id.clone());
                if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(key) {
                    slot.insert(account);
                    links.push((account, source, external_id));
                }
            }
        }
        upsert_rows(
            self.backend(),
            conn,
            "account_external_ids",
            &["workspace_id", "account_id", "source", "external_id"],
            " ON CONFLICT (workspace_id, source, external_id) DO NOTHING",
            &links,
            |_, (account, source, external_id), v| {
                v.extend([
                    Val::Int(ws),
                    Val::Int(*account),
                    (*source).into(),
                    external_id.clone().into(),
                ]);
            },
        )
        .await?;
        let account_of = |company: &(&str, String)| known.get(&(company.0.to_string(), company.1.clone())).copied();
        Ok(match records {
            Records::Companies(c) => c.len(),
            Records::Enrichments(es) => {
                let unlinked: Vec<String> = es
                    .iter()
                    .filter(|e| !known.contains_key(&(e.source.to_string(), e.external_id.clone())))
                    .filter_map(|e| e.domain.clone())
                    .collect();
                let by_domain = accounts_by_domain(conn, ws, &unlinked).await?;
                let mut n = 0;
                for e in es {
                    let key = (e.source.to_string(), e.external_id.clone());
                    let account = known
                        .get(&key)
                        .copied()
                        .or_else(|| e.domain.as_ref().and_then(|d| by_domain.get(d).copied()));
                    let Some(account) = account else {
                        skipped.push((e.external_id.clone(), no_account(e.domain.as_deref())));
                        remember_unmatched(conn, ws, e.source, &e.external_id, &e.name, e.domain.as_deref(), now)
                            .await?;
                        continue;
                    };
                    if !known.contains_key(&key) {
                        link(conn, ws, account, e.source, &e.external_id).await?;
                    }
                    sqlx::query(
                        "UPDATE accounts SET industry = COALESCE($3, industry), employees = COALESCE($4, employees), \
                           country = COALESCE($5, country), custom_fields = $6, domain = COALESCE(domain, $7) \
                         WHERE id = $1 AND workspace_id = $2",
                    )
                    .bind(account)
                    .bind(ws)
                    .bind(e.industry.as_deref())
                    .bind(e.employees)
                    .bind(e.country.as_deref())
                    .bind(serde_json::to_string(&e.custom_fields).unwrap_or_else(|_| "[]".into()))
                    .bind(e.domain.as_deref())
                    .execute(&mut *conn)
                    .await?;
                    n += 1;
                }
                n
            }
            Records::Links(ls) => {
                let unlinked: Vec<String> = ls
                    .iter()
                    .filter(|l| is_known(&known, &l.company).is_none())
                    .flat_map(|l| l.company.domain.iter().chain(&l.other_domains).cloned())
                    .collect();
                let by_domain = accounts_by_domain(conn, ws, &unlinked).await?;
                let mut n = 0;
                for l in ls {
                    let c = &l.company;
                    let account = is_known(&known, c).or_else(|| {
                        c.domain
                            .iter()
                            .chain(&l.other_domains)
                            .find_map(|d| by_domain.get(d).copied())
                    });
                    let Some(account) = account else {
                        skipped.push((c.external_id.clone(), no_account(c.domain.as_deref())));
                        remember_unmatched(conn, ws, c.source, &c.external_id, &c.name, c.domain.as_deref(), now)
                            .await?;
                        continue;
                    };
                    if !known.contains_key(&(c.source.to_string(), c.external_id.clone())) {
                        link(conn, ws, account, c.source, &c.external_id).await?;
                    }
                    if let Some(seats) = l.licensed_seats {
                        sqlx::query("UPDATE accounts SET licensed_seats = $3 WHERE id = $1 AND workspace_id = $2")
                            .bind(account)
                            .bind(ws)
                            .bind(seats)
                            .execute(&mut *conn)
                            .await?;
                    }
                    n += 1;
                }
                n
            }
            Records::Usage(us) => {
                let mut rows: Vec<(i64, &UsageRecord)> = Vec::with_capacity(us.len());
                let mut unlinked: Vec<&str> = Vec::new();
                for u in us {
                    match account_of(&u.company) {
                        Some(account) => rows.push((account, u)),
                        None if !unlinked.contains(&u.company.1.as_str()) => {
                            unlinked.push(&u.company.1);
                            skipped.push((
                                u.company.1.clone(),
                                format!("its group is linked to no account; its usage is not kept ({LINK_HINT})"),
                            ));
                        }
                        None => {}
                    }
                }
                upsert_usage(self.backend(), conn, ws, &rows).await?;
                rows.len()
            }
            Records::Deals(ds, gone) => {
                let mut n = 0;
                for d in ds {
                    let Some(account) = account_of(&d.company) else {
                        skipped.push((
                            d.external_id.clone(),
                            format!("its company is linked to no account: {} ({LINK_HINT})", d.company.1),
                        ));
                        continue;
                    };
                    upsert_deal(conn, ws, account, d, now).await?;
                    n += 1;
                }
                // Removals are not records written.
                remove_gone_deals(conn, ws, gone).await?;
                n
            }
            Records::Releases(rs) => {
                upsert_rows(
                    self.backend(),
                    conn,
                    "releases",
                    &[
                        "workspace_id",
                        "source",
                        "external_id",
                        "title",
                        "body",
                        "url",
                        "published_on",
                        "published_at",
                    ],
                    " ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET title = excluded.title, \
                       body = excluded.body, url = excluded.url, published_on = excluded.published_on, \
                       published_at = excluded.published_at",
                    rs,
                    |_, r, v| {
                        v.extend([
                            Val::Int(ws),
                            r.source.into(),
                            r.external_id.clone().into(),
                            r.title.clone().into(),
                            r.body.clone().into(),
                            r.url.clone().into(),
                            r.published_on.clone().into(),
                            r.published_at.clone().into(),
                        ]);
                    },
                )
                .await?;
                rs.len()
            }
            Records::Revenue(rs) => {
                let mut rows = Vec::with_capacity(rs.len());
                for r in rs {
                    match account_of(&r.company) {
                        Some(account) => rows.push((account, r)),
                        None => skipped.push((r.external_id.clone(), unknown_company(&r.company))),
                    }
                }
                upsert_revenue(self.backend(), conn, ws, &rows).await?;
                upsert_trials(self.backend(), conn, ws, &rows).await?;
                rows.len()
            }
            Records::Invoices(is) => {
                let mut rows = Vec::with_capacity(is.len());
                for r in is {
                    match account_of(&r.company) {
                        Some(account) => rows.push((account, r)),
                        None => skipped.push((r.external_id.clone(), unknown_company(&r.company))),
                    }
                }
                let billed: Vec<(&str, String)> = rows.iter().filter_map(|(_, r)| r.revenue_source.clone()).collect();
                let sources = revenue_source_ids(conn, ws, &billed).await?;
                upsert_invoices(self.backend(), conn, ws, &rows, &sources).await?;
                rows.len()
            }
        })
    }

    /// The accounts already linked to these (source, external id) keys.
    async fn accounts_of(
        &self,
        conn: &mut AnyConnection,
        ws: i64,
        keys: &[(&str, String)],
    ) -> Result<HashMap<(String, String), i64>> {
        ids_by_key(conn, ws, "account_external_ids", "account_id", keys).await
    }
}

fn no_account(domain: Option<&str>) -> String {
    match domain {
        Some(d) => {
            format!("no account has its domain: {d} (only billing and contracts bring in accounts; {LINK_HINT})")
        }
        None => format!("has no domain and is linked to no account ({LINK_HINT})"),
    }
}

/// Links a vendor id to an account (and forgets it as unmatched).
async fn link(conn: &mut AnyConnection, ws: i64, account: i64, source: &str, external_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_external_ids (workspace_id, account_id, source, external_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, source, external_id) DO NOTHING",
    )
    .bind(ws)
    .bind(account)
    .bind(source)
    .bind(external_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM unmatched_companies WHERE workspace_id = $1 AND source = $2 AND external_id = $3")
        .bind(ws)
        .bind(source)
        .bind(external_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn unknown_company(company: &(&str, String)) -> String {
    format!(
        "its customer is not known yet: {}; the next sync picks it up",
        company.1
    )
}

/// The first account with each of these domains.
async fn accounts_by_domain(conn: &mut AnyConnection, ws: i64, domains: &[String]) -> Result<HashMap<String, i64>> {
    let mut found = HashMap::new();
    for chunk in domains.chunks(500) {
        let mut sql = Sql::new("SELECT domain, MIN(id) AS id FROM accounts WHERE workspace_id = ");
        sql.arg(ws).push(" AND domain");
        sql.in_list(&chunk.iter().map(String::as_str).collect::<Vec<_>>());
        sql.push(" GROUP BY domain");
        for row in sql.query().fetch_all(&mut *conn).await? {
            found.insert(row.text("domain")?, row.int("id")?);
        }
    }
    Ok(found)
}

/// Creates accounts for companies seen for the first time, a few hundred per statement; returns
/// their ids in the order given. Rows come back with their name and domain, which is how each is
/// told apart (two new companies with the same name and no domain are interchangeable).
async fn insert_accounts(
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(&str, Option<String>)],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    let created_at = now.to_rfc3339();
    for chunk in rows.chunks(300) {
        let mut sql =
            Sql::new("INSERT INTO accounts (workspace_id, name, domain, lifecycle, created_at, currency) VALUES ");
        for (i, (name, domain)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.arg(ws).push(", ").arg(*name).push(", ").arg(domain.clone());
            sql.push(", 'customer', ")
                .arg(created_at.as_str())
                .push(", (SELECT currency FROM workspaces WHERE id = ");
            sql.arg(ws).push("))");
        }
        sql.push(" RETURNING id, name, domain");
        let mut returned: HashMap<(String, Option<String>), Vec<i64>> = HashMap::new();
        for row in sql.query().fetch_all(&mut *conn).await? {
            returned
                .entry((row.text("name")?, row.opt_text("domain")?))
                .or_default()
                .push(row.int("id")?);
        }
        for (name, domain) in chunk {
            let id = returned
                .get_mut(&(name.to_string(), domain.clone()))
                .and_then(Vec::pop)
                .ok_or_else(|| StoreError::Corrupt("a new account did not come back from its insert".into()))?;
            ids.push(id);
        }
    }
    Ok(ids)
}
