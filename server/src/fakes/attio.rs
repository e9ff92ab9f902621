//! A fake of Attio's records API: `POST /v2/objects/{companies|deals}/records/query` with
//! `limit`/`offset` (a short page is the last), records with `values` as lists of attribute
//! values, `Authorization: Bearer`, Attio's error body, and 429 with `Retry-After` as an HTTP date;
//! `PATCH /v2/objects/deals/records/{id}` with `{"data": {"values": {"stage": "<status title>"}}}`
//! sets a deal's stage (an unknown status title is a 400, as in Attio). Built on Attio's OpenAPI
//! (api.attio.com/openapi/api): `domains` multi-valued, a currency value's code nullable with the
//! currency on the attribute (`GET /v2/objects/deals/attributes/value`), and a deleted record
//! gone from the listing (Attio deletes records outright; only a webhook tells).

use super::{header, Shared, ATTIO_TOKEN};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Clone, Debug, Default)]
pub struct AttioData {
    pub companies: Vec<Value>,
    pub deals: Vec<Value>,
    /// Stage updates accepted (write-backs from Success).
    pub writes: usize,
    /// The currency configured on the deals' `value` attribute (`config.currency.
    /// default_currency_code`): a value's own `currency_code` may be null.
    pub value_currency: Option<String>,
}

const STATUSES: [&str; 5] = ["Lead", "In Progress", "Proposal", "Won 🎉", "Lost"];

fn id(record: &str) -> Value {
    json!({"workspace_id": "ws-fake", "object_id": "obj-fake", "record_id": record})
}

/// `domains` is multi-valued in Attio (a company's domain attribute is multiselect; the record
/// API returns every active value, in the order added): some companies list an unrelated domain
/// before the one their account has.
fn domains(domain: &str, two: bool) -> Value {
    let one = |d: &str| attr(json!({"attribute_type": "domain", "domain": d, "root_domain": d}))[0].clone();
    let mut list = Vec::new();
    if two {
        list.push(one(&format!("holdings-{domain}")));
    }
    list.push(one(domain));
    Value::Array(list)
}

fn attr(value: Value) -> Value {
    let mut v = value;
    v["active_from"] = json!("2026-01-01T00:00:00.000000000Z");
    v["active_until"] = Value::Null;
    v["created_by_actor"] = json!({"type": "system", "id": null});
    json!([v])
}

impl AttioData {
    /// Companies at the Stripe fake's domains (`company{i}.example`) and `others` that are nobody's
    /// account, each with one deal; one deal has no company, one an amount that is not a number.
    pub fn generate(customers: usize, others: usize) -> AttioData {
        let mut data = AttioData {
            value_currency: Some("USD".into()),
            ..AttioData::default()
        };
        for i in 0..customers + others {
            let domain = if i < customers {
                format!("company{i}.example")
            } else {
                format!("lead{i}.example")
            };
            let company = format!("co-{i:04}");
            data.companies.push(json!({
                "id": id(&company), "created_at": "2026-01-01T00:00:00.000000000Z",
                "values": {
                    "name": attr(json!({"attribute_type": "text", "value": format!("Company {i}")})),
                    "domains": domains(&domain, i < customers && i % 3 == 1),
                },
            }));
            let amount = if i == 5 {
                json!("lots")
            } else {
                json!(1_000 + i as u64 * 250)
            };
            let mut values = json!({
                "name": attr(json!({"attribute_type": "text", "value": format!("Company {i} expansion")})),
                "stage": attr(json!({"attribute_type": "status", "status": {"title": STATUSES[i % 5], "is_archived": false}})),
                "value": attr(json!({"attribute_type": "currency", "currency_value": amount, "currency_code": "USD"})),
                "associated_company": attr(json!({"attribute_type": "record-reference", "target_object": "companies", "target_record_id": company})),
            });
            if i % 5 == 4 {
                values["lost_reason"] =
                    attr(json!({"attribute_type": "select", "option": {"title": "Went with a competitor"}}));
            }
            if i == 7 {
                values.as_object_mut().unwrap().remove("associated_company");
            }
            if i == 11 {
                // The currency is the attribute's; a value may carry a null code (OpenAPI:
                // `currency_code` is `["string", "null"]` and not required).
                values["value"][0]["currency_code"] = Value::Null;
            }
            data.deals.push(json!({"id": id(&format!("deal-{i:04}")), "created_at": "2026-02-01T00:00:00.000000000Z", "values": values}));
        }
        data
    }

    /// Sets one deal's stage, as a person would in Attio.
    pub fn set_stage(&mut self, deal: usize, title: &str) {
        self.deals[deal]["values"]["stage"] =
            attr(json!({"attribute_type": "status", "status": {"title": title, "is_archived": false}}));
    }
}

pub fn routes(state: Shared) -> Router {
    Router::new()
        .route("/v2/objects/{object}/records/query", post(query))
        .route(
            "/v2/objects/{object}/records/{record_id}",
            axum::routing::patch(update).get(get_record),
        )
        .route(
            "/v2/objects/{object}/attributes/{attribute}",
            axum::routing::get(attribute),
        )
        .with_state(state)
}

fn error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"status_code": status.as_u16(), "type": kind, "code": code, "message": message})),
    )
        .into_response()
}

fn throttled(seconds: u64) -> Response {
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_error",
        "rate_limit_exceeded",
        "Rate limit exceeded, please try again later",
    );
    let at = std::time::SystemTime::now() + std::time::Duration::from_secs(seconds.max(1));
    r.headers_mut()
        .insert("retry-after", httpdate::fmt_http_date(at).parse().unwrap());
    r
}

fn unauthorised(headers: &HeaderMap) -> Option<Response> {
    (header(headers, "authorization") != Some(&format!("Bearer {ATTIO_TOKEN}"))).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "auth_error",
            "unauthorized",
            "Authentication failed: the access token is invalid or was revoked.",
        )
    })
}

/// A refused token, or the vendor's rate limit and injected faults.
async fn guard(state: &Shared, headers: &HeaderMap) -> Option<Response> {
    match unauthorised(headers) {
        Some(refused) => Some(refused),
        None => state.misbehave(throttled).await,
    }
}

/// The stage titles this fake's pipeline has (the real one's are per workspace).
pub fn statuses() -> &'static [&'static str] {
    &STATUSES
}

/// `GET /v2/objects/{object}/records/{record_id}`: `{"data": record}`, or 404 once deleted.
async fn get_record(
    State(state): State<Shared>,
    Path((object, record_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    let data = state.attio.lock().unwrap();
    let list = match object.as_str() {
        "companies" => &data.companies,
        _ => &data.deals,
    };
    match list
        .iter()
        .find(|r| r.pointer("/id/record_id").and_then(Value::as_str) == Some(record_id.as_str()))
    {
        Some(r) => Json(json!({"data": r})).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "not_found",
            &format!("Record with ID \"{record_id}\" not found."),
        ),
    }
}

async fn update(
    State(state): State<Shared>,
    Path((object, record_id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    if object != "deals" {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "not_found",
            &format!("Object with slug/ID \"{object}\" not found."),
        );
    }
    let Some(title) = body.pointer("/data/values/stage").and_then(Value::as_str) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "validation_type",
            "Body must be {\"data\": {\"values\": {...}}}",
        );
    };
    if !STATUSES.contains(&title) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "value_not_found",
            &format!("Cannot find Status with title \"{title}\"."),
        );
    }
    let mut data = state.attio.lock().unwrap();
    let Some(i) = data
        .deals
        .iter()
        .position(|d| d.pointer("/id/record_id").and_then(Value::as_str) == Some(record_id.as_str()))
    else {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "not_found",
            &format!("Record with ID \"{record_id}\" not found."),
        );
    };
    data.set_stage(i, title);
    data.writes += 1;
    Json(json!({"data": data.deals[i].clone()})).into_response()
}

/// `GET /v2/objects/{object}/attributes/{attribute}`: the deals' `value` attribute, a currency
/// whose code is set on the attribute (Attio's OpenAPI, `attribute.config.currency`).
async fn attribute(
    State(state): State<Shared>,
    Path((object, attribute)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    if object != "deals" || attribute != "value" {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "not_found",
            &format!("Attribute with slug/ID \"{attribute}\" not found."),
        );
    }
    let currency = state.attio.lock().unwrap().value_currency.clone();
    Json(json!({"data": {
        "id": {"workspace_id": "ws-fake", "object_id": "obj-fake", "attribute_id": "attr-value"},
        "title": "Deal value", "description": null, "api_slug": "value", "type": "currency",
        "is_system_attribute": true, "is_writable": true, "is_required": false, "is_unique": false,
        "is_multiselect": false, "is_default_value_enabled": false, "is_archived": false,
        "default_value": null, "relationship": null, "created_at": "2026-01-01T00:00:00.000000000Z",
        "config": {"currency": {"default_currency_code": currency, "display_type": "symbol"},
                   "record_reference": {"allowed_object_ids": null}},
    }}))
    .into_response()
}

async fn query(
    State(state): State<Shared>,
    Path(object): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(reply) = guard(&state, &headers).await {
        return reply;
    }
    let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(500) as usize;
    let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    if limit == 0 || limit > 500 {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "validation_type",
            "limit must be between 1 and 500",
        );
    }
    let data = state.attio.lock().unwrap();
    let list = match object.as_str() {
        "companies" => &data.companies,
        "deals" => &data.deals,
        other => {
            return error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "not_found",
                &format!("Object with slug/ID \"{other}\" not found."),
            )
        }
    };
    let page: Vec<Value> = list.iter().skip(offset).take(limit).cloned().collect();
    Json(json!({"data": page})).into_response()
}
