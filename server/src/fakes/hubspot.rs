//! A fake of HubSpot's CRM v3 companies API: `Authorization: Bearer`, `limit`/`after` with
//! `paging.next.after`, only the requested properties (all strings), the property list with
//! `hubspotDefined`, and HubSpot's error bodies (401, 429 `RATE_LIMIT`).

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
}

const INDUSTRIES: [&str; 4] = [
    "COMPUTER_SOFTWARE",
    "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "RETAIL",
];
const TIERS: [&str; 3] = ["Gold", "Silver", "Bronze"];

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

fn throttled(retry_after: u64) -> Response {
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(
            json!({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}),
        ),
    )
        .into_response();
    r.headers_mut().insert("Retry-After", retry_after.into());
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
    results.push(json!({"name": "tier", "label": "Customer tier", "type": "enumeration"}));
    results.push(json!({"name": "csm_region", "label": "CSM region", "type": "string"}));
    Json(json!({"results": results})).into_response()
}

async fn companies(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
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
            let mut props = Map::new();
            for name in &wanted {
                props.insert(name.clone(), c["properties"].get(name).cloned().unwrap_or(Value::Null));
            }
            let mut out = c.clone();
            out["properties"] = Value::Object(props);
            out
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
