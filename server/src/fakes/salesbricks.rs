//! A fake of Salesbricks' REST v2, from its API reference (docs.salesbricks.com, "REST API v2";
//! GraphQL is its legacy API): `X-SALESBRICKS-KEY`, `limit`/`offset` with
//! `{count, next, previous, results}` (`next` a full URL or null), customers with embedded
//! subscriptions, `GET /subscriptions/{id}` for a contract's terms and stage (upper case in REST:
//! `CLOSED_WON`, `OPEN`, …; the order-stages guide names "closed delete" for an order the seller
//! deleted), and `GET /subscriptions/{id}/orders` for its closed orders (`contract_value` a decimal
//! string, `order_type` TRIAL, STANDARD, RENEWAL, UPGRADE or RECAST; a TRIAL order first when it
//! began as a trial).

use super::{header, Rng, Shared, SALESBRICKS_TOKEN};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub struct SalesbricksData {
    pub customers: Vec<Value>,
    pub subscriptions: HashMap<String, Value>,
    /// Each subscription's orders (`GET /subscriptions/{id}/orders`), oldest first.
    pub orders: HashMap<String, Vec<Value>>,
}

impl SalesbricksData {
    /// `customers` customers with one contract each; every third names the Stripe customer
    /// `cus_{i}` of [`super::stripe::StripeData::generate`] that bills it.
    pub fn generate(customers: usize, seed: u64) -> SalesbricksData {
        let mut rng = Rng::new(seed ^ 0x5a1e5);
        let mut data = SalesbricksData::default();
        for i in 0..customers {
            let id = format!("sbc_{i:06}");
            let sub_id = format!("sbs_{i:06}");
            let status = if rng.below(10) == 0 { "CANCELED" } else { "ACTIVE" };
            let frequency = ["MONTHLY", "QUARTERLY", "ANNUALLY"][i % 3];
            data.customers.push(json!({
                "id": id, "name": format!("Company {i}"), "external_id": format!("ext-{i}"),
                "address": {"city": "Palo Alto", "country": "US"},
                "stripe_customer_id": if i % 3 == 0 { json!(format!("cus_{i:07}")) } else { Value::Null },
                "subscriptions": [{"subscription_id": sub_id, "status": status, "name": "Platform",
                    "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"}],
            }));
            // Every fourth customer began with a two-week trial that converted.
            let mut orders = Vec::new();
            if i % 4 == 0 {
                orders.push(json!({"order_id": format!("sbo_{i:06}_t"), "contract_value": "0.00",
                    "starts_at": "2025-12-18T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z", "order_type": "TRIAL"}));
            }
            orders.push(json!({"order_id": format!("sbo_{i:06}"), "contract_value": "12000.00",
                "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z", "order_type": "STANDARD"}));
            data.orders.insert(sub_id.clone(), orders);
            data.subscriptions.insert(sub_id.clone(), json!({
                "id": sub_id, "status": status, "stage": "CLOSED_WON", "starts_at": "2026-01-01T00:00:00Z",
                "ends_at": "2027-01-01T00:00:00Z", "renews_at": "2027-01-01T00:00:00Z", "terminates_at": null,
                "billing_frequency": frequency, "currency": "USD",
                "grand_total": format!("{}.00", 1_000 + 250 * rng.below(40)),
                "line_items": [{"brick_id": "b1", "brick_name": "Seats", "plan_name": PLANS[i % 3], "quantity": 10}],
                "customer": {"id": id}, "point_of_contact": null, "metadata": {},
            }));
        }
        data
    }
}

impl SalesbricksData {
    /// Puts customer `i`'s order in another stage, as a seller would in Salesbricks.
    pub fn set_stage(&mut self, i: usize, stage: &str, starts_at: &str, metadata: Value) {
        let s = self
            .subscriptions
            .get_mut(&format!("sbs_{i:06}"))
            .expect("a generated order");
        s["stage"] = json!(stage);
        s["starts_at"] = json!(starts_at);
        s["metadata"] = metadata;
    }
}

impl SalesbricksData {
    /// Makes customer `i`'s subscription a trial still running: one TRIAL order, no paid one yet.
    pub fn start_trial(&mut self, i: usize, starts_at: &str, ends_at: &str) {
        let sub_id = format!("sbs_{i:06}");
        let s = self.subscriptions.get_mut(&sub_id).expect("a generated subscription");
        s["status"] = json!("TRIAL");
        s["starts_at"] = json!(starts_at);
        s["ends_at"] = json!(ends_at);
        self.orders.insert(
            sub_id,
            vec![json!({"order_id": format!("sbo_{i:06}_t"), "contract_value": "0.00",
                "starts_at": starts_at, "ends_at": ends_at, "order_type": "TRIAL"})],
        );
    }
}

const PLANS: [&str; 3] = ["Growth", "Scale", "Enterprise"];

pub fn routes(state: Shared) -> Router {
    Router::new()
        .route("/api/v2/customers", get(customers))
        .route("/api/v2/subscriptions/{id}", get(subscription))
        .route("/api/v2/subscriptions/{id}/orders", get(orders))
        .with_state(state)
}

fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"detail": message}))).into_response()
}

fn throttled(retry_after: u64) -> Response {
    let mut r = detail(StatusCode::TOO_MANY_REQUESTS, "Request was throttled.");
    r.headers_mut().insert("Retry-After", retry_after.into());
    r
}

async fn guard(state: &Shared, headers: &HeaderMap) -> Option<Response> {
    if header(headers, "x-salesbricks-key") != Some(SALESBRICKS_TOKEN) {
        return Some(detail(StatusCode::UNAUTHORIZED, "Invalid token."));
    }
    state.misbehave(throttled).await
}

async fn customers(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let data = state.salesbricks.lock().unwrap();
    let count = data.customers.len();
    let results: Vec<Value> = data.customers.iter().skip(offset).take(limit).cloned().collect();
    let link = |o: usize| format!("/api/v2/customers?limit={limit}&offset={o}");
    Json(json!({
        "count": count,
        "next": if offset + limit < count { json!(link(offset + limit)) } else { Value::Null },
        "previous": if offset > 0 { json!(link(offset.saturating_sub(limit))) } else { Value::Null },
        "results": results,
    }))
    .into_response()
}

/// `GET /subscriptions/{id}/orders`, in the list envelope.
async fn orders(State(state): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    let data = state.salesbricks.lock().unwrap();
    if !data.subscriptions.contains_key(&id) {
        return detail(StatusCode::NOT_FOUND, "Not found.");
    }
    let results = data.orders.get(&id).cloned().unwrap_or_default();
    Json(json!({"count": results.len(), "next": null, "previous": null, "results": results})).into_response()
}

async fn subscription(State(state): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    match state.salesbricks.lock().unwrap().subscriptions.get(&id) {
        Some(s) => Json(s.clone()).into_response(),
        None => detail(StatusCode::NOT_FOUND, "Not found."),
    }
}
