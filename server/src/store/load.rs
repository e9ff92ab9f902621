//! Bulk loading of a whole dataset (the demo generator, imports) into a new workspace: multi-row
//! inserts in one transaction, ids reserved up front so child rows can point at their parents.

mod dataset;

pub use dataset::{
    Dataset, NewAccount, NewContact, NewDeal, NewExample, NewInvoice, NewRelease, NewRequest, NewRevenueSource,
    NewSignal, NewStage, NewTrial, NewUsageWeek, NewWorkspace,
};

use super::sql::{bind, Val};
use super::{Backend, Result, Store};
use sqlx::{AnyConnection, Row};

/// SQLite allows 32,766 bound values per statement, PostgreSQL 65,535; stay well under both.
const MAX_BINDS: usize = 16_000;
const MAX_ROWS_PER_INSERT: usize = 1_000;

/// Inserts rows with multi-row `INSERT … VALUES (…), (…)` statements.
///
/// SQLite gets anonymous `?` placeholders: sqlx resolves a numbered `$N` through
/// `sqlite3_bind_parameter_name`, a linear scan, which makes binding quadratic in the statement's size.
pub(super) async fn insert_rows<T>(
    backend: Backend,
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[T],
    values: impl Fn(usize, &T, &mut Vec<Val>),
) -> Result<()> {
    upsert_rows(backend, conn, table, columns, "", rows, values).await
}

/// [`insert_rows`] with a tail after the values, such as an `ON CONFLICT … DO UPDATE` clause.
pub(super) async fn upsert_rows<T>(
    backend: Backend,
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: &[T],
    values: impl Fn(usize, &T, &mut Vec<Val>),
) -> Result<()> {
    let per_stmt = (MAX_BINDS / columns.len()).clamp(1, MAX_ROWS_PER_INSERT);
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut args = Vec::with_capacity(per_stmt * columns.len());
    for (chunk_no, chunk) in rows.chunks(per_stmt).enumerate() {
        let mut sql = String::with_capacity(head.len() + chunk.len() * columns.len() * 7);
        sql.push_str(&head);
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { "(" } else { ",(" });
            for c in 0..columns.len() {
                n += 1;
                if c > 0 {
                    sql.push(',');
                }
                if backend == Backend::Sqlite {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
            sql.push(')');
            values(chunk_no * per_stmt + i, row, &mut args);
        }
        sql.push_str(tail);
        debug_assert_eq!(args.len(), n, "{table}: wrong number of values per row");
        let mut q = sqlx::query(&sql);
        for v in args.drain(..) {
            q = bind(q, v);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// First id to use for `count` new rows of `table`, inside the loading transaction.
    async fn reserve_ids(&self, conn: &mut AnyConnection, table: &str) -> Result<i64> {
        if self.backend == Backend::Postgres {
            sqlx::query(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
                .execute(&mut *conn)
                .await?;
        }
        let row = sqlx::query(&format!(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"
        ))
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get::<i64, _>("m")? + 1)
    }

    /// PostgreSQL identity sequences do not see explicit ids: move them past what was loaded.
    async fn sync_sequence(&self, conn: &mut AnyConnection, table: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Loads a dataset into a new workspace in one transaction; returns the workspace id.
    /// `progress` is called with the number of rows written so far.
    pub async fn load_dataset(&self, data: &Dataset, progress: &(dyn Fn(usize) + Sync)) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let conn: &mut AnyConnection = &mut tx;
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let ws = &data.workspace;
        let ws_id: i64 = sqlx::query(
            "INSERT INTO workspaces (name, slug, is_demo, currency, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&ws.name)
        .bind(&ws.slug)
        .bind(ws.is_demo)
        .bind(&ws.currency)
        .bind(&now)
        .fetch_one(&mut *conn)
        .await?
        .try_get("id")?;
        let mut written = 1usize;

        insert_rows(
            self.backend,
            conn,
            "pipeline_stages",
            &["workspace_id", "key", "label", "position", "outcome"],
            &data.stages,
            |_, s, v| {
                v.extend([
                    ws_id.into(),
                    s.key.clone().into(),
                    s.label.clone().into(),
                    s.position.into(),
                    s.outcome.into(),
                ]);
            },
        )
        .await?;
        written += data.stages.len();

        let account0 = self.reserve_ids(conn, "accounts").await?;
        insert_rows(
            self.backend,
            conn,
            "accounts",
            &[
                "id",
                "workspace_id",
                "name",
                "domain",
                "owner_name",
                "lifecycle",
                "tracked",
                "industry",
                "employees",
                "country",
                "created_at",
                "currency",
                "custom_fields",
            ],
            &data.accounts,
            |i, a, v| {
                v.extend([
                    (account0 + i as i64).into(),
                    ws_id.into(),
                    a.name.clone().into(),
                    a.domain.clone().into(),
                    a.owner_name.clone().into(),
                    a.lifecycle.into(),
                    a.tracked.into(),
                    a.industry.clone().into(),
                    a.employees.into(),
                    a.country.clone().into(),
                    a.created_at.clone().into(),
                    a.currency.clone().into(),
                    serde_json::to_string(&a.custom_fields)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                ]);
            },
        )
        .await?;
        self.sync_sequence(conn, "accounts").await?;
        written += data.accounts.len();
        progress(written);

        let external: Vec<(usize, &'static str, &String)> = data
            .accounts
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.external_ids.iter().map(move |(s, id)| (i, *s, id)))
            .collect();
        insert_rows(
            self.backend,
            conn,
            "account_external_ids",
            &["workspace_id", "account_id", "source", "external_id"],
            &external,
            |_, e, v| {
                v.extend([
                    ws_id.into(),
                    (account0 + e.0 as i64).into(),
                    e.1.into(),
                    e.2.clone().into(),
                ]);
            },
        )
        .await?;
        written += external.len();

        let contact0 = self.reserve_ids(conn, "contacts").await?;
        insert_rows(
            self.backend,
            conn,
            "contacts",
            &[
                "id",
                "workspace_id",
                "account_id",
                "name",
                "email",
                "title",
                "is_champion",
                "left_on",
            ],
            &data.contacts,
            |i, c, v| {
                v.extend([
                    (contact0 + i as i64).into(),
                    ws_id.into(),
                    (account0 + c.account as i64).into(),
                    c.name.clone().into(),
                    c.email.clone().into(),
                    c.title.clone().into(),
                    c.is_champion.into(),
                    c.left_on.clone().into(),
                ]);
            },
        )
        .await?;
        self.sync_sequence(conn, "contacts").await?;
        written += data.contacts.len();

        let source0 = self.reserve_ids(conn, "revenue_sources").await?;
        insert_rows(
            self.backend,
            conn,
            "revenue_sources",
            &[
                "id",
                "workspace_id",
                "account_id",
                "source",
                "external_id",
                "plan",
                "status",
                "currency",
                "mrr_minor",
                "billing_interval",
                "interval_count",
                "start_date",
                "end_date",
                "renewal_date",
                "payment_state",
                "auto_renew",
                "cancel_at_period_end",
            ],
            &data.revenue_sources,
            |i, r, v| {
                v.extend([
                    (source0 + i as i64).into(),
                    ws_id.into(),
                    (account0 + r.account as i64).into(),
                    r.source.into(),
                    r.external_id.clone().into(),
                    r.plan.clone().into(),
                    r.status.into(),
                    r.currency.clone().into(),
                    r.mrr_minor.into(),
                    r.billing_interval.into(),
                    r.interval_count.into(),
                    r.start_date.clone().into(),
                    r.end_date.clone().into(),
                    r.renewal_date.clone().into(),
                    r.payment_state.into(),
                    r.auto_renew.into(),
                    r.cancel_at_period_end.into(),
                ]);
            },
        )
        .await?;
        self.sync_sequence(conn, "revenue_sources").await?;
        written += data.revenue_sources.len();
        progress(written);

        let invoice0 = self.reserve_ids(conn, "invoices").await?;
        insert_rows(
            self.backend,
            conn,
            "invoices",
            &[
                "id",
                "workspace_id",
                "account_id",
                "revenue_source_id",
                "external_id",
                "status",
                "currency",
                "amount_due_minor",
                "amount_paid_minor",
                "amount_remaining_minor",
                "attempt_count",
                "issued_on",
                "due_on",
                "paid_at",
            ],
            &data.invoices,
            |i, x, v| {
                v.extend([
                    (invoice0 + i as i64).into(),
                    ws_id.into(),
                    (account0 + x.account as i64).into(),
                    x.revenue_source.map(|r| source0 + r as i64).into(),
                    x.external_id.clone().into(),
                    x.status.into(),
                    x.currency.clone().into(),
                    x.amount_due_minor.into(),
                    x.amount_paid_minor.into(),
                    x.amount_remaining_minor.into(),
                    x.attempt_count.into(),
                    x.issued_on.clone().into(),
                    x.due_on.clone().into(),
                    x.paid_at.clone().into(),
                ]);
            },
        )
        .await?;
        self.sync_sequence(conn, "invoices").await?;
        written += data.invoices.len();
        progress(written);

        for chunk in data.usage.chunks(50_000) {
            insert_rows(
                self.backend,
                conn,
                "usage_weeks",
                &[
                    "workspace_id",
                    "account_id",
                    "week_start",
                    "active_users",
                    "licensed_seats",
                    "feature_adoption",
                ],
                chunk,
                |_, u, v| {
                    v.extend([
                        ws_id.into(),
                        (account0 + u.account as i64).into(),
                        u.week_start.clone().into(),
                        u.active_users.into(),
                        u.licensed_seats.into(),
                        u.feature_adoption.clone().into(),
                    ]);
                },
            )
            .await?;
            written += chunk.len();
            progress(written);
        }

        let signal0 = self.reserve_ids(conn, "signals").await?;
        insert_rows(
            self.backend,
            conn,
            "signals",
            &[
                "id",
                "workspace_id",
                "account_id",
                "source",
                "sentiment",
                "topic",
                "quote",
                "link",
                "occurred_at",
            ],
            &data.signals,
            |i, s, v| {
                v.extend([
                    (signal0 + i as i64).into(),
                    ws_id.into(),
                    (account0 + s.account as i64).into(),
                    s.source.into(),
                    s.sentiment.into(),
                    s.topic.clone().into(),
                    s.quote.clone().into(),
                    s.link.clone().into(),
                    s.occurred_at.clone().into(),
                ]);
            },
        )
        .await?;
        self.sync_sequence(conn, "signals").await?;
        written += data.signals.len();

        let deal0 = self.reserve_ids(conn, "deals").await?;
        insert_rows(
            self.backend,
            conn,
            "deals",
            &[
                "id",
                "workspace_id",
                "account_id",
                "name",
                "stage",
                "position",
                "amount_minor",
                "currency",
                "expected_close",
                "source",
                "external_id",
                "closed_lost_reason",
                "lost_on",
                "updated_at",
            ],
            &data.deals,
            |i, d, v| {
                v.extend([
                    (deal0 + i as i64).into(),
                    ws_id.into(),
                    (account0 + d.account as i64).into(),
                    d.name.clone().into(),
                    d.stage.clone().into(),
                    d.position.into(),
                    d.amount_minor.into(),
                    d.currency.clone().into(),
                    d.expected_close.clone().into(),
                    d.source.into(),
                    d.external_id.clone().into(),
                    d.closed_lost_reason.clone().into(),
                    d.lost_on.clone().into(),
                    d.updated_at.clone().into(),
                ]);
            },
        )
        .await?;
        self.sync_sequence(conn, "deals").await?;
        written += data.deals.len();

        let trial0 = self.reserve_ids(conn, "trials").await?;
        insert_rows(
            self.backend,
            conn,
            "trials",
            &[
                "id",
                "workspace_id",
                "account_id",
                "started_on",
                "ends_on",
                "seats",
                "activation_events",
                "outcome",
                "features",
            ],
            &data.trials,
            |i, t, v| {
                v.extend([
                    (trial0 + i as i64).into(),
                    ws_id.into(),
                    (account0 + t.account as i64).into(),
                    t.started_on.clone().into(),
                    t.ends_on.clone().into(),
                    t.seats.into(),
                    t.activation_events.into(),
                    t.outcome.into(),
                    t.features.clone().into(),
                ]);
            },
        )
        .await?;
        self.sync_sequence(conn, "trials").await?;
        written += data.trials.len();

        insert_rows(
            self.backend,
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
            ],
            &data.releases,
            |_, r, v| {
                v.extend([
                    ws_id.into(),
                    r.source.into(),
                    r.external_id.clone().into(),
                    r.title.clone().into(),
                    r.body.clone().into(),
                    r.url.clone().into(),
                    r.published_on.clone().into(),
                ]);
            },
        )
        .await?;
        written += data.releases.len();

        insert_rows(
            self.backend,
            conn,
            "model_examples",
            &["workspace_id", "kind", "subject", "features", "positive", "decided_on"],
            &data.examples,
            |_, e, v| {
                v.extend([
                    ws_id.into(),
                    e.kind.into(),
                    e.subject.clone().into(),
                    e.features.clone().into(),
                    (e.positive as i64).into(),
                    e.decided_on.clone().into(),
                ]);
            },
        )
        .await?;
        written += data.examples.len();

        insert_rows(
            self.backend,
            conn,
            "feature_requests",
            &[
                "workspace_id",
                "account_id",
                "contact_id",
                "project",
                "quote",
                "source_link",
                "requested_on",
            ],
            &data.requests,
            |_, r, v| {
                v.extend([
                    ws_id.into(),
                    (account0 + r.account as i64).into(),
                    r.contact.map(|c| contact0 + c as i64).into(),
                    r.project.clone().into(),
                    r.quote.clone().into(),
                    r.source_link.clone().into(),
                    r.requested_on.clone().into(),
                ]);
            },
        )
        .await?;
        written += data.requests.len();

        self.refresh_rollups(conn, ws_id).await?;
        tx.commit().await?;
        progress(written);
        Ok(ws_id)
    }

    /// Recomputes each account's ARR, next renewal and worst payment state from its revenue
    /// sources, in one grouped pass. Sources that are canceled, ended or still trialing carry no
    /// ARR. Only accounts whose figures changed are written.
    pub(super) async fn refresh_rollups(&self, conn: &mut AnyConnection, ws_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET arr_minor = x.arr, renewal_date = x.renewal, payment_state = x.payment FROM (
               SELECT a.id,
                 COALESCE(CAST(SUM(CASE WHEN r.counted AND r.status IN ('active', 'past_due', 'unpaid')
                   THEN r.mrr_minor END) * 12 AS BIGINT), 0) AS arr,
                 MIN(CASE WHEN r.status IN ('active', 'past_due', 'unpaid', 'trialing') THEN r.renewal_date END) AS renewal,
                 CASE MAX(CASE r.payment_state WHEN 'failed' THEN 4 WHEN 'past_due' THEN 3 WHEN 'open' THEN 2
                     WHEN 'paid' THEN 1 ELSE 0 END)
                   WHEN 4 THEN 'failed' WHEN 3 THEN 'past_due' WHEN 2 THEN 'open' WHEN 1 THEN 'paid' ELSE 'none' END AS payment
               FROM accounts a LEFT JOIN revenue_sources r ON r.account_id = a.id
               WHERE a.workspace_id = $1 GROUP BY a.id) AS x
             WHERE accounts.id = x.id AND (accounts.arr_minor IS DISTINCT FROM x.arr
               OR accounts.renewal_date IS DISTINCT FROM x.renewal OR accounts.payment_state IS DISTINCT FROM x.payment)",
        )
        .bind(ws_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
