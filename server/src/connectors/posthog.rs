//! PostHog: who uses the product. Companies are PostHog groups (the group type called company,
//! organization, account or workspace, else the first); each links to the account with its
//! domain or Stripe customer id and never creates one. Weekly active users and active users per
//! feature (custom events) for the last 12 weeks come from HogQL, paged by key.

use super::http::{array, VendorConfig, VendorError, VendorHttp};
use super::{email_domain, keep_by, SyncError, SyncRun};
use crate::store::sync::{CompanyRecord, LinkRecord, Records, SyncPage, UsageMeasure, UsageRecord, DONE};
use app::matching::normalise_domain;
use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::{json, Value};

pub const BASE_URL: &str = "https://us.posthog.com";
pub const SOURCE: &str = "posthog";
const VENDOR: &str = "PostHog";
/// Queries may run 240 a minute; stay under.
const PER_SECOND: f64 = 3.5;
/// Rows a HogQL page asks for (PostHog allows explicit LIMITs up to 50,000).
pub const ROWS: usize = 5_000;
/// Weeks of usage read, this week included.
pub const WEEKS: i64 = 12;
const COMPANY_TYPES: [&str; 4] = ["company", "organization", "account", "workspace"];

pub fn client(http: reqwest::Client, base_url: Option<&str>, key: &str) -> VendorHttp {
    let mut config = VendorConfig::new(VENDOR, base_url.unwrap_or(BASE_URL), PER_SECOND);
    config.auth = Some(("Authorization", format!("Bearer {key}")));
    VendorHttp::new(http, config)
}

/// The group type that stands for a customer company, as (index, name).
async fn company_group(http: &VendorHttp, project: &str) -> Result<(i64, String), VendorError> {
    let reply = http.get(&format!("/api/projects/{project}/groups_types/")).await?;
    let types: Vec<(i64, String)> = reply
        .body
        .as_array()
        .ok_or_else(|| VendorError::Malformed {
            vendor: VENDOR.into(),
            detail: "the group types are not a list".into(),
        })?
        .iter()
        .filter_map(|t| {
            Some((
                t.get("group_type_index")?.as_i64()?,
                t.get("group_type")?.as_str()?.to_string(),
            ))
        })
        .collect();
    types
        .iter()
        .find(|(_, name)| COMPANY_TYPES.contains(&name.to_ascii_lowercase().as_str()))
        .or(types.first())
        .cloned()
        .ok_or_else(|| VendorError::Unusable {
            vendor: VENDOR.into(),
            message: format!(
                "project {project} has no group types. Success reads companies from PostHog groups \
                 (posthog.group('company', id)); add them to your product's tracking first."
            ),
        })
}

pub async fn test(http: &VendorHttp, project: &str) -> Result<String, VendorError> {
    let (_, name) = company_group(http, project).await?;
    Ok(format!(
        "PostHog accepted the key; companies are the {name:?} groups of project {project}."
    ))
}

pub async fn sync(http: &VendorHttp, run: &mut SyncRun<'_>, project: &str) -> Result<(), SyncError> {
    let (index, _) = company_group(http, project).await?;
    groups(http, run, project, index).await?;
    let since = first_week((run.now)());
    hogql(http, run, project, "usage", index, &since).await?;
    hogql(http, run, project, "features", index, &since).await
}

/// Monday of the first of the [`WEEKS`] weeks read.
pub fn first_week(now: DateTime<Utc>) -> String {
    let today = now.date_naive();
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    (monday - Duration::weeks(WEEKS - 1)).format("%Y-%m-%d").to_string()
}

async fn groups(http: &VendorHttp, run: &mut SyncRun<'_>, project: &str, index: i64) -> Result<(), SyncError> {
    let resource = "groups";
    let mut next = match run.cursor(resource).await? {
        Some(c) if c == DONE => return Ok(()),
        Some(c) => c,
        None => format!("/api/projects/{project}/groups/?group_type_index={index}"),
    };
    loop {
        let reply = http.get(&next).await?;
        let results = array(VENDOR, &reply.body, "results")?;
        let following = reply.body.get("next").and_then(Value::as_str).map(str::to_string);
        let mut skipped = Vec::new();
        let links = keep_by(
            results,
            |g| g.get("group_key").and_then(Value::as_str),
            group,
            &mut skipped,
        );
        run.write(SyncPage {
            resource,
            companies: Vec::new(),
            records: Records::Links(links),
            next_cursor: following.clone(),
            fetched: results.len(),
            skipped,
            repaired: Vec::new(),
        })
        .await?;
        match following {
            Some(n) => next = n,
            None => return Ok(()),
        }
    }
}

/// A group's properties are whatever the product sent with `posthog.group(...)`.
pub fn group(g: &Value) -> Result<LinkRecord, String> {
    let key = g
        .get("group_key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or("has no group_key")?;
    let props = g.get("group_properties").cloned().unwrap_or(Value::Null);
    let text = |name: &str| {
        props
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let domain = text("domain")
        .map(normalise_domain)
        .or_else(|| text("email").and_then(email_domain));
    let seats = match props.get("seats").or_else(|| props.get("licensed_seats")) {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("has seats that are not a whole number: {v}"))?,
        ),
    };
    let mut also = Vec::new();
    if let Some(customer) = text("stripe_customer_id") {
        also.push((super::stripe::SOURCE, customer.to_string()));
    }
    Ok(LinkRecord {
        other_domains: Vec::new(),
        company: CompanyRecord {
            source: SOURCE,
            external_id: key.to_string(),
            name: text("name").unwrap_or(key).to_string(),
            domain,
            also,
        },
        licensed_seats: seats,
    })
}

/// Rows after this (company, week) only: the page key. PostHog refuses OFFSET on queries made with
/// a personal API key, so pages go by key; the key's values travel as HogQL placeholders.
/// Spelled out rather than as a tuple comparison, as PostHog's own keyset paging does, so
/// ClickHouse can prune by the group column.
const AFTER_KEY: &str = "AND ($group_{index} > {after_company} OR ($group_{index} = {after_company} \
     AND toStartOfWeek(timestamp, 1) > toDate({after_week})))";

fn after_key(index: i64, after: bool) -> String {
    if after {
        format!(" {}", AFTER_KEY.replace("{index}", &index.to_string()))
    } else {
        String::new()
    }
}

pub fn usage_query(index: i64, since: &str, after: bool) -> String {
    format!(
        "SELECT $group_{index} AS company, toStartOfWeek(timestamp, 1) AS week, \
         count(DISTINCT person_id) AS active_users FROM events \
         WHERE $group_{index} != '' AND timestamp >= toDateTime('{since} 00:00:00'){} \
         GROUP BY company, week ORDER BY company, week LIMIT {ROWS}",
        after_key(index, after)
    )
}

/// Features are the product's own events; PostHog's (`$pageview`, `$autocapture`, …) are not.
pub fn features_query(index: i64, since: &str, after: bool) -> String {
    format!(
        "SELECT $group_{index} AS company, toStartOfWeek(timestamp, 1) AS week, event, \
         count(DISTINCT person_id) AS users FROM events \
         WHERE $group_{index} != '' AND NOT startsWith(event, '$') AND timestamp >= toDateTime('{since} 00:00:00'){} \
         GROUP BY company, week, event ORDER BY company, week, event LIMIT {ROWS}",
        after_key(index, after)
    )
}

/// Pages through a HogQL query by key. A page ends where a company's week ends, so each week's
/// feature list is written whole; the cursor is the last (company, week) written, as JSON. With
/// its own LIMIT a query's `hasMore` comes back null: a full page means "ask again".
async fn hogql(
    http: &VendorHttp,
    run: &mut SyncRun<'_>,
    project: &str,
    resource: &'static str,
    index: i64,
    since: &str,
) -> Result<(), SyncError> {
    let mut after: Option<(String, String)> = match run.cursor(resource).await? {
        Some(c) if c == DONE => return Ok(()),
        // A cursor this version cannot read (an offset of an older one) starts over: rows are upserts.
        Some(c) => serde_json::from_str(&c).ok(),
        None => None,
    };
    loop {
        let query = if resource == "usage" {
            usage_query(index, since, after.is_some())
        } else {
            features_query(index, since, after.is_some())
        };
        let mut hogql = json!({"kind": "HogQLQuery", "query": query});
        if let Some((company, week)) = &after {
            hogql["values"] = json!({"after_company": company, "after_week": week});
        }
        let reply = http
            .post(&format!("/api/projects/{project}/query/"), &json!({ "query": hogql }))
            .await?;
        let rows = array(VENDOR, &reply.body, "results")?;
        let more = !rows.is_empty()
            && (rows.len() >= ROWS || reply.body.get("hasMore").and_then(Value::as_bool) == Some(true));
        let key = |r: &Value| (cell_text(r, 0).map(str::to_string), week_of(r));
        let mut take = rows.len();
        if more {
            // Leave the last (company, week) to the next page, which starts with all of it.
            let last = key(&rows[rows.len() - 1]);
            while take > 0 && key(&rows[take - 1]) == last {
                take -= 1;
            }
            if take == 0 {
                return Err(VendorError::Unusable {
                    vendor: VENDOR.into(),
                    message: format!("one company's week has more than {ROWS} features"),
                }
                .into());
            }
        }
        let mut skipped = Vec::new();
        let records = if resource == "usage" {
            usage_rows(&rows[..take], &mut skipped)
        } else {
            feature_rows(&rows[..take], &mut skipped)
        };
        let next = match rows[..take].iter().rev().map(key).find_map(|(c, w)| c.zip(w)) {
            Some(last) if more => Some(last),
            _ if more => {
                return Err(VendorError::Malformed {
                    vendor: VENDOR.into(),
                    detail: "a full page of usage rows without a company or week".into(),
                }
                .into())
            }
            _ => None,
        };
        run.write(SyncPage {
            resource,
            companies: Vec::new(),
            records: Records::Usage(records),
            next_cursor: next.as_ref().map(|k| json!([k.0, k.1]).to_string()),
            fetched: take,
            skipped,
            repaired: Vec::new(),
        })
        .await?;
        match next {
            Some(key) => after = Some(key),
            None => return Ok(()),
        }
    }
}

fn cell_text(row: &Value, i: usize) -> Option<&str> {
    row.get(i).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn cell_count(row: &Value, i: usize) -> Option<i64> {
    let v = row.get(i)?;
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .filter(|n| *n >= 0)
}

/// `2026-11-23` or `2026-11-23T00:00:00Z`: the day.
fn week_of(row: &Value) -> Option<String> {
    let text = cell_text(row, 1)?;
    let day = text.get(..10)?;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(day.to_string())
}

fn bad_row(row: &Value) -> (String, String) {
    (
        cell_text(row, 0).unwrap_or("(no group)").to_string(),
        format!("a usage row is malformed: {row}"),
    )
}

pub fn usage_rows(rows: &[Value], skipped: &mut Vec<(String, String)>) -> Vec<UsageRecord> {
    rows.iter()
        .filter_map(|row| {
            let parsed = (|| {
                Some(UsageRecord {
                    company: (SOURCE, cell_text(row, 0)?.to_string()),
                    week_start: week_of(row)?,
                    measure: UsageMeasure::ActiveUsers(cell_count(row, 2)?),
                })
            })();
            if parsed.is_none() {
                skipped.push(bad_row(row));
            }
            parsed
        })
        .collect()
}

/// Rows of (company, week, event, users), ordered by company and week: one record per week.
pub fn feature_rows(rows: &[Value], skipped: &mut Vec<(String, String)>) -> Vec<UsageRecord> {
    let mut out: Vec<UsageRecord> = Vec::new();
    for row in rows {
        let (Some(company), Some(week), Some(event), Some(users)) =
            (cell_text(row, 0), week_of(row), cell_text(row, 2), cell_count(row, 3))
        else {
            skipped.push(bad_row(row));
            continue;
        };
        match out.last_mut() {
            Some(UsageRecord {
                company: (_, c),
                week_start,
                measure: UsageMeasure::Features(list),
            }) if c == company && *week_start == week => list.push((event.to_string(), users)),
            _ => out.push(UsageRecord {
                company: (SOURCE, company.to_string()),
                week_start: week,
                measure: UsageMeasure::Features(vec![(event.to_string(), users)]),
            }),
        }
    }
    out
}

/// Posthog in the connector registry.
pub struct Posthog;

#[async_trait::async_trait]
impl super::registry::Connector for Posthog {
    fn source(&self) -> &'static str {
        SOURCE
    }
    fn client(&self, http: reqwest::Client, base_url: Option<&str>, credential: &str) -> VendorHttp {
        client(http, base_url, credential)
    }
    async fn test(&self, http: &VendorHttp, target: &str) -> Result<Result<String, VendorError>, String> {
        Ok(test(http, target).await)
    }
    async fn sync(
        &self,
        http: &VendorHttp,
        run: &mut SyncRun<'_>,
        inputs: &super::registry::SyncInputs,
    ) -> Result<(), SyncError> {
        sync(http, run, &inputs.target).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_link_by_domain_email_or_stripe_id() {
        let g = group(&json!({"group_type_index": 0, "group_key": "org_7", "group_properties":
            {"name": "Hooli", "email": "gavin@hooli.com", "seats": "40", "stripe_customer_id": "cus_9"}}))
        .unwrap();
        assert_eq!(g.company.domain.as_deref(), Some("hooli.com"));
        assert_eq!(g.licensed_seats, Some(40));
        assert_eq!(g.company.also, vec![("stripe", "cus_9".to_string())]);
        assert!(group(&json!({"group_properties": {}})).is_err());
        assert!(group(&json!({"group_key": "x", "group_properties": {"seats": "many"}}))
            .unwrap_err()
            .contains("seats"));
    }

    #[test]
    fn feature_rows_make_one_record_per_company_week() {
        let rows = vec![
            json!(["org_1", "2026-11-16", "export", 3]),
            json!(["org_1", "2026-11-16", "share", 2]),
            json!(["org_1", "2026-11-23T00:00:00Z", "export", 4]),
            json!(["org_2", "2026-11-23", "export", "x"]),
        ];
        let mut skipped = Vec::new();
        let records = feature_rows(&rows, &mut skipped);
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[0].measure,
            UsageMeasure::Features(vec![("export".into(), 3), ("share".into(), 2)])
        );
        assert_eq!(records[1].week_start, "2026-11-23");
        assert_eq!(skipped.len(), 1);
    }
}
