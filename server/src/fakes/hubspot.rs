//! A fake of HubSpot's CRM v3 companies API, from HubSpot-public-api-spec-collection (CRM
//! Properties and Companies): `Authorization: Bearer`, `limit`/`after` with `paging.next.after`,
//! only the requested properties (all strings), the property list where only HubSpot's own carry
//! `hubspotDefined`, dropdowns storing option values, `batch/read`, 414 for an overlong URL, and
//! HubSpot's error bodies (401, 429 `RATE_LIMIT` without `Retry-After`).

use super::{header, Rng, Shared, HUBSPOT_TOKEN};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub struct HubspotData {
    /// Companies with every property, as HubSpot stores them.
    pub companies: Vec<Value>,
    /// Further custom text properties of the portal (name, label), as large portals have
    /// hundreds: asking for all of them in a URL is answered 414.
    pub extra_properties: Vec<(String, String)>,
}

const INDUSTRIES: [&str; 4] = [
    "COMPUTER_SOFTWARE",
    "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "RETAIL",
];
/// The internal values of the "Customer tier" dropdown (its labels: Gold, Silver, Bronze).
const TIERS: [&str; 3] = ["tier_1", "tier_2", "tier_3"];

impl HubspotData {
    /// `customers` companies at the domains of the Stripe fake's customers (`company{i}.example`),
    /// then `prospects` companies that are nobody's account; the first customer company has a
    /// malformed number of employees.
    pub fn generate(customers: usize, prospects: usize, seed: u64) -> HubspotData {
        let mut rng = Rng::new(seed ^ 0x4b5b);
        let mut data = HubspotData::default();
        for i in 0..customers + prospects {
            let (name, domain) = if i < customers {
                (format!("Company {i}"), format!("company{i}.example"))
            } else {
                (format!("Prospect {i}"), format!("prospect{i}.example"))
            };
            data.companies.push(json!({
                "id": format!("{}", 9_000_000 + i),
                "properties": {
                    "name": name, "domain": domain,
                    "industry": INDUSTRIES[i % 4],
                    "numberofemployees": if i == 0 { "lots".to_string() } else { (10 + rng.below(5_000)).to_string() },
                    "city": "Palo Alto", "state": "CA", "country": "United States",
                    "tier": TIERS[i % 3], "csm_region": if i % 2 == 0 { "West" } else { "East" },
                    "modules": if i % 2 == 0 { "reporting;sso" } else { "reporting" },
                    "hs_object_id": format!("{}", 9_000_000 + i),
                },
                "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2026-11-01T00:00:00Z", "archived": false,
            }));
        }
        data
    }
}

pub fn routes(state: Shared) -> Router {
    Router::new()
        .route("/crm/v3/objects/companies", get(companies))
        .route("/crm/v3/objects/companies/batch/read", axum::routing::post(batch_read))
        .route("/crm/v3/properties/companies", get(properties))
        .with_state(state)
}

fn error(status: StatusCode, category: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"status": "error", "message": message, "category": category, "correlationId": "fake"})),
    )
        .into_response()
}

/// HubSpot's 429: the policy whose window is spent, and no `Retry-After` (none is documented;
/// HubSpot's own client waits out the ten-second window).
fn throttled(_retry_after: u64) -> Response {
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(
            json!({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": "fake", "policyName": "TEN_SECONDLY_ROLLING"}),
        ),
    )
        .into_response();
    r.headers_mut()
        .insert("X-HubSpot-RateLimit-Interval-Milliseconds", 10_000.into());
    r.headers_mut().insert("X-HubSpot-RateLimit-Max", 100.into());
    r.headers_mut().insert("X-HubSpot-RateLimit-Remaining", 0.into());
    r
}

async fn guard(state: &Shared, headers: &HeaderMap) -> Option<Response> {
    if header(headers, "authorization") != Some(&format!("Bearer {HUBSPOT_TOKEN}")) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
        ));
    }
    state.misbehave(throttled).await
}

async fn properties(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    let standard = [
        "name",
        "domain",
        "industry",
        "numberofemployees",
        "city",
        "state",
        "country",
        "hs_object_id",
    ];
    let mut results: Vec<Value> = standard
        .iter()
        .map(|n| json!({"name": n, "label": n, "type": "string", "hubspotDefined": true}))
        .collect();
    // HubSpot leaves `hubspotDefined` off the portal's own properties (it is only present, and
    // true, on HubSpot's: the Property schema in HubSpot-public-api-spec-collection marks it
    // optional, and real answers omit it for custom ones).
    // A dropdown stores each option's internal value on the record; the option's label is what
    // HubSpot shows (the Property schema's `options[{label, value, displayOrder, hidden}]`). A
    // checkbox stores several values separated by `;`.
    let option = |label: &str, value: &str, order: i64| json!({"label": label, "value": value, "displayOrder": order, "hidden": false, "description": ""});
    results.push(json!({"name": "tier", "label": "Customer tier", "type": "enumeration", "fieldType": "select",
        "groupName": "companyinformation", "options": [option("Gold", "tier_1", 0), option("Silver", "tier_2", 1), option("Bronze", "tier_3", 2)]}));
    results.push(
        json!({"name": "csm_region", "label": "CSM region", "type": "string", "fieldType": "text",
        "groupName": "companyinformation", "options": []}),
    );
    results.push(json!({"name": "modules", "label": "Modules", "type": "enumeration", "fieldType": "checkbox",
        "groupName": "companyinformation", "options": [option("Reporting", "reporting", 0), option("Single sign-on", "sso", 1)]}));
    for (name, label) in &state.hubspot.lock().unwrap().extra_properties {
        results.push(
            json!({"name": name, "label": label, "type": "string", "fieldType": "text",
            "groupName": "companyinformation", "options": []}),
        );
    }
    Json(json!({"results": results})).into_response()
}

/// HubSpot's edge refuses request lines past about 8 KB (414 URI Too Long): a long
/// `properties=` list must go in a batch read's body instead.
const MAX_QUERY: usize = 8 * 1024;

async fn companies(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if uri.query().is_some_and(|q| q.len() > MAX_QUERY) {
        return (
            StatusCode::URI_TOO_LONG,
            "<html><body><h1>414 Request-URI Too Large</h1></body></html>",
        )
            .into_response();
    }
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    let limit: usize = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                "limit must be between 1 and 100",
            )
        }
    };
    let start: usize = match q.get("after").map(|a| a.parse::<usize>()) {
        None => 0,
        Some(Ok(a)) => a,
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                "after is not a valid cursor",
            )
        }
    };
    let wanted: Vec<String> = q
        .get("properties")
        .map(|p| p.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| vec!["name".into(), "domain".into()]);
    let data = state.hubspot.lock().unwrap();
    let results: Vec<Value> = data
        .companies
        .iter()
        .skip(start)
        .take(limit)
        .map(|c| {
            // Only the requested properties come back.
            only(c, &wanted)
        })
        .collect();
    let end = start + results.len();
    let mut body = json!({"results": results});
    if end < data.companies.len() {
        body["paging"] =
            json!({"next": {"after": end.to_string(), "link": format!("/crm/v3/objects/companies?after={end}")}});
    }
    Json(body).into_response()
}

/// A company with only the `wanted` properties.
fn only(c: &Value, wanted: &[String]) -> Value {
    let mut props = Map::new();
    for name in wanted {
        props.insert(name.clone(), c["properties"].get(name).cloned().unwrap_or(Value::Null));
    }
    let mut out = c.clone();
    out["properties"] = Value::Object(props);
    out
}

/// `POST /crm/v3/objects/companies/batch/read` with `{inputs: [{id}], properties,
/// propertiesWithHistory}` (at most 100 inputs): `{status, results, startedAt, completedAt}`,
/// ids it does not know left out, as HubSpot's 207 with `errors` would list them.
async fn batch_read(State(state): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    let (Some(inputs), Some(wanted)) = (
        body.get("inputs").and_then(Value::as_array),
        body.get("properties").and_then(Value::as_array),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "inputs and properties are required",
        );
    };
    if inputs.len() > 100 {
        return error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Too many inputs: at most 100 per batch",
        );
    }
    let wanted: Vec<String> = wanted.iter().filter_map(Value::as_str).map(str::to_string).collect();
    let data = state.hubspot.lock().unwrap();
    let results: Vec<Value> = inputs
        .iter()
        .filter_map(|i| i.get("id").and_then(Value::as_str))
        .filter_map(|id| data.companies.iter().find(|c| c["id"] == id))
        .map(|c| only(c, &wanted))
        .collect();
    Json(
        json!({"status": "COMPLETE", "results": results, "startedAt": "2026-11-01T00:00:00Z",
        "completedAt": "2026-11-01T00:00:01Z"}),
    )
    .into_response()
}
