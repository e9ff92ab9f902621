//! A fake of PostHog's API: `Authorization: Bearer <personal API key>`, a project, its group
//! types, groups paged with an absolute `next` URL, and HogQL queries answered from the dataset
//! for the two query shapes Success sends (weekly active users; weekly users per event). As
//! PostHog does for a personal API key: OFFSET refused, `hasMore` null when the query carries its
//! own LIMIT, placeholders from `values`; PostHog's error bodies (401, 404, 429 `throttled`).

use super::{header, Rng, Shared, POSTHOG_KEY};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const PROJECT: &str = "4242";
/// The group type index that holds companies (index 0 is a decoy "project" type).
pub const COMPANY_INDEX: i64 = 1;
const EVENTS: [&str; 5] = [
    "$pageview",
    "report_exported",
    "dashboard_shared",
    "api_call",
    "alert_created",
];

/// (group key, Monday, the people active that week with the events each sent).
pub type ActiveWeek = (String, NaiveDate, Vec<(u32, Vec<&'static str>)>);

#[derive(Clone, Debug, Default)]
pub struct PosthogData {
    pub groups: Vec<Value>,
    pub weeks: Vec<ActiveWeek>,
}

impl PosthogData {
    /// Groups for the Stripe fake's customers (`company{i}.example`, one known only by an email,
    /// one by its Stripe customer id), then `free` groups of free-tier companies that are nobody's
    /// account, then one group with malformed seats. Twelve weeks of activity ending this week.
    pub fn generate(customers: usize, free: usize, seed: u64) -> PosthogData {
        let mut rng = Rng::new(seed ^ 0x9057);
        let mut data = PosthogData::default();
        let today = Utc::now().date_naive();
        let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        for i in 0..customers + free {
            let key = format!("org_{i}");
            let seats = 5 + (i % 30) as i64;
            let props = if i >= customers {
                json!({"name": format!("Free {i}"), "domain": format!("free{i}.example")})
            } else if i == 1 {
                json!({"name": "Company 1", "email": "admin@company1.example", "seats": seats})
            } else if i == 2 {
                json!({"name": "Company 2", "stripe_customer_id": "cus_0000002", "seats": seats.to_string()})
            } else {
                json!({"name": format!("Company {i}"), "domain": format!("https://www.company{i}.example/"), "seats": seats})
            };
            data.groups.push(json!({
                "group_type_index": COMPANY_INDEX, "group_key": key, "group_properties": props,
                "created_at": "2025-03-01T10:00:00Z",
            }));
            for w in 0..12 {
                let week = monday - Duration::weeks(w);
                let active = rng.below(seats as u64 + 1) as u32;
                if active == 0 {
                    continue; // a week without events has no rows
                }
                let people = (0..active)
                    .map(|p| {
                        let events = EVENTS.iter().copied().filter(|_| rng.below(3) > 0).collect();
                        (p, events)
                    })
                    .collect();
                data.weeks.push((key.clone(), week, people));
            }
        }
        data.groups.push(json!({
            "group_type_index": COMPANY_INDEX, "group_key": "org_bad",
            "group_properties": {"name": "Broken", "domain": "broken.example", "seats": "unlimited"},
            "created_at": "2025-03-01T10:00:00Z",
        }));
        data
    }

    /// Weekly active users per (group, week) from `since`, ordered as the query asks.
    pub fn active_users(&self, since: NaiveDate) -> Vec<(String, NaiveDate, i64)> {
        let mut rows: Vec<_> = self
            .weeks
            .iter()
            .filter(|(_, w, _)| *w >= since)
            .map(|(g, w, people)| (g.clone(), *w, people.len() as i64))
            .collect();
        rows.sort();
        rows
    }

    /// Users per (group, week, event) from `since`, PostHog's own `$` events included or not.
    pub fn feature_users(&self, since: NaiveDate, own_events: bool) -> Vec<(String, NaiveDate, String, i64)> {
        let mut counts: HashMap<(String, NaiveDate, String), i64> = HashMap::new();
        for (g, w, people) in self.weeks.iter().filter(|(_, w, _)| *w >= since) {
            for (_, events) in people {
                for e in events.iter().filter(|e| !(own_events && e.starts_with('$'))) {
                    *counts.entry((g.clone(), *w, e.to_string())).or_default() += 1;
                }
            }
        }
        let mut rows: Vec<_> = counts.into_iter().map(|((g, w, e), n)| (g, w, e, n)).collect();
        rows.sort();
        rows
    }
}

pub fn routes(state: Shared) -> Router {
    Router::new()
        .route("/api/projects/{project}/groups_types/", get(group_types))
        .route("/api/projects/{project}/groups/", get(groups))
        .route("/api/projects/{project}/query/", post(query))
        .with_state(state)
}

fn error(status: StatusCode, kind: &str, code: &str, detail: &str) -> Response {
    (
        status,
        Json(json!({"type": kind, "code": code, "detail": detail, "attr": null})),
    )
        .into_response()
}

fn throttled(seconds: u64) -> Response {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        "throttled_error",
        "throttled",
        &format!("Request was throttled. Expected available in {seconds} seconds."),
    )
}

async fn guard(state: &Shared, headers: &HeaderMap, project: &str) -> Option<Response> {
    if header(headers, "authorization") != Some(&format!("Bearer {POSTHOG_KEY}")) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "authentication_failed",
            "Personal API key found in request Authorization header is invalid.",
        ));
    }
    if project != PROJECT {
        return Some(error(
            StatusCode::NOT_FOUND,
            "invalid_request",
            "not_found",
            "Not found.",
        ));
    }
    state.misbehave(throttled).await
}

async fn group_types(State(state): State<Shared>, Path(project): Path<String>, headers: HeaderMap) -> Response {
    if let Some(reply) = guard(&state, &headers, &project).await {
        return reply;
    }
    Json(json!([
        {"group_type": "project", "group_type_index": 0, "name_singular": null, "name_plural": null},
        {"group_type": "company", "group_type_index": COMPANY_INDEX, "name_singular": "company", "name_plural": "companies"},
    ]))
    .into_response()
}

async fn groups(
    State(state): State<Shared>,
    Path(project): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(reply) = guard(&state, &headers, &project).await {
        return reply;
    }
    let Some(Ok(index)) = q.get("group_type_index").map(|i| i.parse::<i64>()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "invalid_input",
            "group_type_index is required",
        );
    };
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let data = state.posthog.lock().unwrap();
    let of_type: Vec<&Value> = data
        .groups
        .iter()
        .filter(|g| g["group_type_index"].as_i64() == Some(index))
        .collect();
    const PAGE: usize = 100;
    let results: Vec<Value> = of_type.iter().skip(start).take(PAGE).map(|g| (*g).clone()).collect();
    let end = start + results.len();
    let host = header(&headers, "host").unwrap_or("localhost");
    let link = |at: usize| format!("http://{host}/api/projects/{project}/groups/?cursor={at}&group_type_index={index}");
    Json(json!({
        "next": (end < of_type.len()).then(|| link(end)),
        "previous": (start > 0).then(|| link(start.saturating_sub(PAGE))),
        "results": results,
    }))
    .into_response()
}

/// The number after `word` in a query (`LIMIT 5000`).
fn number_after(query: &str, word: &str) -> Option<usize> {
    let at = query.rfind(word)? + word.len();
    query[at..].split_whitespace().next()?.parse().ok()
}

/// PostHog's `HogQLQuery.values`: constants the query names as `{placeholder}`.
fn value<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.pointer(&format!("/query/values/{name}")).and_then(Value::as_str)
}

async fn query(
    State(state): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(reply) = guard(&state, &headers, &project).await {
        return reply;
    }
    let Some(query) = body.pointer("/query/query").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "invalid_input",
            "query.query is required",
        );
    };
    if body.pointer("/query/kind").and_then(Value::as_str) != Some("HogQLQuery") {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "invalid_input",
            "Unsupported query kind",
        );
    }
    // posthog/hogql/user_query_validator.py (validate_user_query): a query made with a personal
    // API key may not carry OFFSET, even OFFSET 0 (grandfathered organisations aside); QueryError
    // becomes a 400 `hogql_query_error`.
    if query.to_ascii_uppercase().contains(" OFFSET ") {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "hogql_query_error",
            "OFFSET is not supported on queries made with a personal API key. For pagination, use keyset \
             pagination on the `timestamp` column, e.g. `WHERE timestamp > :last_seen_timestamp ORDER BY \
             timestamp LIMIT N`. For bulk data extraction, use batch exports: https://posthog.com/docs/cdp/batch-exports",
        );
    }
    let group = format!("$group_{COMPANY_INDEX}");
    let since = query
        .split("toDateTime('")
        .nth(1)
        .and_then(|rest| rest.get(..10))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let (Some(since), true) = (since, query.contains(&group)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "invalid_input",
            "The fake answers only Success's usage queries over the company group",
        );
    };
    // The key Success pages by: rows after (company, week).
    let after = if query.contains("{after_company}") {
        let week = value(&body, "after_week").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        match (value(&body, "after_company"), week) {
            (Some(company), Some(week)) => Some((company.to_string(), week)),
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "validation_error",
                    "invalid_input",
                    "Placeholder {after_company} is not available in this context",
                )
            }
        }
    } else {
        None
    };
    let after_key = |g: &String, w: &NaiveDate| after.as_ref().is_none_or(|(c, k)| (g, w) > (c, k));
    // posthog/hogql/constants.py: 100 rows unless the query says, at most 50,000 (MAX_SELECT_RETURNED_ROWS).
    let own_limit = number_after(query, "LIMIT ");
    let limit = own_limit.unwrap_or(100).min(50_000);
    let data = state.posthog.lock().unwrap();
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let (columns, rows): (Vec<&str>, Vec<Value>) = if query.contains(", event,") {
        let own = query.contains("NOT startsWith(event, '$')");
        (
            vec!["company", "week", "event", "users"],
            data.feature_users(since, own)
                .into_iter()
                .filter(|(g, w, _, _)| after_key(g, w))
                .map(|(g, w, e, n)| json!([g, day(w), e, n]))
                .collect(),
        )
    } else {
        (
            vec!["company", "week", "active_users"],
            data.active_users(since)
                .into_iter()
                .filter(|(g, w, _)| after_key(g, w))
                .map(|(g, w, n)| json!([g, day(w), n]))
                .collect(),
        )
    };
    let page: Vec<Value> = rows.iter().take(limit).cloned().collect();
    // HogQLHasMorePaginator: with the query's own LIMIT, PostHog does not look past it, and
    // `hasMore`, `limit` and `offset` come back null; a full page is the only sign of more.
    let (has_more, limit, offset) = match own_limit {
        Some(_) => (Value::Null, Value::Null, Value::Null),
        None => (json!(limit < rows.len()), json!(limit), json!(0)),
    };
    Json(json!({
        "columns": columns,
        "types": columns.iter().map(|c| json!([c, "String"])).collect::<Vec<_>>(),
        "results": page,
        "hasMore": has_more,
        "limit": limit,
        "offset": offset,
    }))
    .into_response()
}
