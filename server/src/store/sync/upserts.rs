//! The upserts behind a page's records: revenue sources, trials, invoices, deals and usage weeks.

use super::{ids_by_key, DealRecord, Gone, InvoiceRecord, RevenueRecord, TrialRecord, UsageMeasure, UsageRecord};
use crate::store::load::upsert_rows;
use crate::store::sql::{RowExt, Sql, Val};
use crate::store::{Backend, Result};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub(super) async fn upsert_revenue(
    backend: Backend,
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(i64, &RevenueRecord)],
) -> Result<()> {
    upsert_rows(
        backend,
        conn,
        "revenue_sources",
        &[
            "workspace_id", "account_id", "source", "external_id", "plan", "status", "currency", "mrr_minor",
            "billing_interval", "interval_count", "start_date", "end_date", "renewal_date", "payment_state",
            "auto_renew", "cancel_at_period_end", "stripe_customer_id", "counted",
        ],
        " ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET account_id = excluded.account_id, \
           plan = excluded.plan, status = excluded.status, currency = excluded.currency, mrr_minor = excluded.mrr_minor, \
           billing_interval = excluded.billing_interval, interval_count = excluded.interval_count, \
           start_date = excluded.start_date, end_date = excluded.end_date, renewal_date = excluded.renewal_date, \
           payment_state = excluded.payment_state, auto_renew = excluded.auto_renew, \
           cancel_at_period_end = excluded.cancel_at_period_end, stripe_customer_id = excluded.stripe_customer_id, \
           counted = excluded.counted",
        rows,
        |_, (account, r), v| {
            v.extend([
                Val::Int(ws),
                Val::Int(*account),
                r.source.into(),
                r.external_id.clone().into(),
                r.plan.clone().into(),
                r.status.clone().into(),
                r.currency.clone().into(),
                Val::Int(r.mrr_minor),
                r.billing_interval.into(),
                Val::Int(r.interval_count),
                r.start_date.clone().into(),
                r.end_date.clone().into(),
                r.renewal_date.clone().into(),
                r.payment_state.into(),
                Val::Flag(r.auto_renew),
                Val::Flag(r.cancel_at_period_end),
                r.stripe_customer_id.clone().into(),
                Val::Flag(r.counted),
            ]);
        },
    )
    .await
}

/// The trials the subscriptions began with. A vendor does not know activation, so it stays 0 and the
/// conversion model counts it as unknown for these trials.
pub(super) async fn upsert_trials(
    backend: Backend,
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(i64, &RevenueRecord)],
) -> Result<()> {
    let trials: Vec<(i64, &RevenueRecord, &TrialRecord)> = rows
        .iter()
        .filter_map(|(account, r)| r.trial.as_ref().map(|t| (*account, *r, t)))
        .collect();
    upsert_rows(
        backend,
        conn,
        "trials",
        &[
            "workspace_id",
            "account_id",
            "source",
            "external_id",
            "started_on",
            "ends_on",
            "seats",
            "activation_events",
            "outcome",
            "potential_minor",
        ],
        " ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET account_id = excluded.account_id, \
           started_on = excluded.started_on, ends_on = excluded.ends_on, seats = excluded.seats, \
           outcome = excluded.outcome, potential_minor = excluded.potential_minor",
        &trials,
        |_, (account, r, t), v| {
            v.extend([
                Val::Int(ws),
                Val::Int(*account),
                r.source.into(),
                r.external_id.clone().into(),
                t.started_on.clone().into(),
                t.ends_on.clone().into(),
                Val::Int(t.seats),
                Val::Int(0),
                t.outcome.into(),
                Val::Int(t.potential_arr_minor),
            ]);
        },
    )
    .await
}

/// Ids of the revenue sources these (source, external id) keys name.
pub(super) async fn revenue_source_ids(
    conn: &mut AnyConnection,
    ws: i64,
    keys: &[(&str, String)],
) -> Result<HashMap<(String, String), i64>> {
    ids_by_key(conn, ws, "revenue_sources", "id", keys).await
}

/// Removes a source's deals the vendor no longer has; returns how many.
pub(super) async fn remove_gone_deals(conn: &mut AnyConnection, ws: i64, gone: &Gone) -> Result<usize> {
    let removed = match gone {
        Gone::Nothing => 0,
        Gone::Ids(source, ids) => {
            let mut n = 0;
            for id in ids {
                n += sqlx::query("DELETE FROM deals WHERE workspace_id = $1 AND source = $2 AND external_id = $3")
                    .bind(ws)
                    .bind(*source)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            }
            n
        }
    };
    Ok(removed as usize)
}

/// Inserts or updates a vendor's deal. A deal moved in Success keeps its stage until the vendor's
/// own stage changes; a deal entering a lost stage is dated.
pub(super) async fn upsert_deal(
    conn: &mut AnyConnection,
    ws: i64,
    account: i64,
    d: &DealRecord,
    now: DateTime<Utc>,
) -> Result<()> {
    let today = now.format("%Y-%m-%d").to_string();
    sqlx::query(
        "INSERT INTO deals (workspace_id, account_id, name, stage, position, amount_minor, currency, expected_close, \
           source, external_id, closed_lost_reason, lost_on, vendor_stage, updated_at) \
         VALUES ($1, $2, $3, $4, \
           (SELECT COALESCE(MAX(position), 0) + 1 FROM deals WHERE workspace_id = $1 AND stage = $4), \
           $5, COALESCE($6, (SELECT currency FROM workspaces WHERE id = $1)), $7, $8, $9, $10, \
           CASE WHEN (SELECT outcome FROM pipeline_stages WHERE workspace_id = $1 AND key = $4) = 'lost' THEN $11 END, \
           $12, $13) \
         ON CONFLICT (workspace_id, source, external_id) DO UPDATE SET \
           account_id = excluded.account_id, name = excluded.name, amount_minor = excluded.amount_minor, \
           currency = excluded.currency, expected_close = excluded.expected_close, \
           closed_lost_reason = COALESCE(excluded.closed_lost_reason, deals.closed_lost_reason), \
           stage = CASE WHEN COALESCE(deals.vendor_stage, '') <> excluded.vendor_stage THEN excluded.stage ELSE deals.stage END, \
           lost_on = CASE WHEN COALESCE(deals.vendor_stage, '') <> excluded.vendor_stage THEN excluded.lost_on ELSE deals.lost_on END, \
           vendor_stage = excluded.vendor_stage, \
           version = CASE WHEN COALESCE(deals.vendor_stage, '') <> excluded.vendor_stage OR deals.name <> excluded.name \
             OR deals.amount_minor <> excluded.amount_minor THEN deals.version + 1 ELSE deals.version END, \
           updated_at = excluded.updated_at",
    )
    .bind(ws)
    .bind(account)
    .bind(&d.name)
    .bind(&d.stage)
    .bind(d.amount_minor)
    .bind(d.currency.as_deref())
    .bind(d.expected_close.as_deref())
    .bind(d.source)
    .bind(&d.external_id)
    .bind(d.closed_lost_reason.as_deref())
    .bind(&today)
    .bind(&d.vendor_stage)
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes weeks of usage; active users and features arrive separately and each keeps the other.
pub(super) async fn upsert_usage(
    backend: Backend,
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(i64, &UsageRecord)],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut accounts: Vec<i64> = rows.iter().map(|(a, _)| *a).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut seats: HashMap<i64, i64> = HashMap::new();
    for chunk in accounts.chunks(500) {
        let mut sql = Sql::new("SELECT id, licensed_seats FROM accounts WHERE workspace_id = ");
        sql.arg(ws).push(" AND id").in_list(chunk);
        for row in sql.query().fetch_all(&mut *conn).await? {
            seats.insert(row.int("id")?, row.opt_int("licensed_seats")?.unwrap_or(0));
        }
    }
    let columns = [
        "workspace_id",
        "account_id",
        "week_start",
        "active_users",
        "licensed_seats",
        "feature_adoption",
    ];
    let (users, features): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|(_, u)| matches!(u.measure, UsageMeasure::ActiveUsers(_)));
    let fill = |_: usize, (account, u): &&(i64, &UsageRecord), v: &mut Vec<Val>| {
        let (active, adoption) = match &u.measure {
            UsageMeasure::ActiveUsers(n) => (*n, "{}".to_string()),
            UsageMeasure::Features(f) => (
                0,
                serde_json::Value::Object(f.iter().map(|(k, n)| (k.clone(), (*n).into())).collect()).to_string(),
            ),
        };
        v.extend([
            Val::Int(ws),
            Val::Int(*account),
            u.week_start.clone().into(),
            Val::Int(active),
            Val::Int(seats.get(account).copied().unwrap_or(0)),
            adoption.into(),
        ]);
    };
    upsert_rows(
        backend,
        conn,
        "usage_weeks",
        &columns,
        " ON CONFLICT (account_id, week_start) DO UPDATE SET active_users = excluded.active_users, \
           licensed_seats = excluded.licensed_seats",
        &users,
        fill,
    )
    .await?;
    upsert_rows(
        backend,
        conn,
        "usage_weeks",
        &columns,
        " ON CONFLICT (account_id, week_start) DO UPDATE SET feature_adoption = excluded.feature_adoption",
        &features,
        fill,
    )
    .await
}

pub(super) async fn upsert_invoices(
    backend: Backend,
    conn: &mut AnyConnection,
    ws: i64,
    rows: &[(i64, &InvoiceRecord)],
    sources: &HashMap<(String, String), i64>,
) -> Result<()> {
    upsert_rows(
        backend,
        conn,
        "invoices",
        &[
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
        " ON CONFLICT (workspace_id, external_id) DO UPDATE SET account_id = excluded.account_id, \
           revenue_source_id = excluded.revenue_source_id, status = excluded.status, currency = excluded.currency, \
           amount_due_minor = excluded.amount_due_minor, amount_paid_minor = excluded.amount_paid_minor, \
           amount_remaining_minor = excluded.amount_remaining_minor, attempt_count = excluded.attempt_count, \
           issued_on = excluded.issued_on, due_on = excluded.due_on, paid_at = excluded.paid_at",
        rows,
        |_, (account, r), v| {
            let source = r
                .revenue_source
                .as_ref()
                .and_then(|(s, e)| sources.get(&(s.to_string(), e.clone())).copied());
            v.extend([
                Val::Int(ws),
                Val::Int(*account),
                source.into(),
                r.external_id.clone().into(),
                r.status.clone().into(),
                r.currency.clone().into(),
                Val::Int(r.amount_due_minor),
                Val::Int(r.amount_paid_minor),
                Val::Int(r.amount_remaining_minor),
                Val::Int(r.attempt_count),
                r.issued_on.clone().into(),
                r.due_on.clone().into(),
                r.paid_at.clone().into(),
            ]);
        },
    )
    .await
}
