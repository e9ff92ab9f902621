//! A fake of Stripe's API v1 list endpoints: `Authorization: Bearer`, `limit` 1–100,
//! `starting_after`, `{object: "list", url, has_more, data}` newest first, canceled subscriptions
//! only with `status=all`, Stripe's error bodies, 429 with `Stripe-Should-Retry`.
//!
//! Shapes follow the API version asked for in `Stripe-Version` (else the account's default,
//! 2024-06-20 here), from stripe/openapi `openapi/fixtures3.json` and Stripe's changelog:
//! - expandable fields are ids unless the request expands them (`expand[]`, at most four levels,
//!   `data.` counting as one: docs "Expanding responses"); `customer`, `discounts` (`di_…` ids,
//!   on the subscription and on each item) are;
//! - 2025-03-31.basil: an invoice names its subscription under `parent.subscription_details`;
//! - 2025-09-30.clover: a discount's coupon is `source.coupon`, an id unless expanded (before,
//!   `coupon`, always embedded). Coupons are listed at `/v1/coupons`.

use super::{header, Rng, Shared, STRIPE_KEY, STRIPE_LIVE_KEY};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub struct StripeData {
    /// Each list newest first, as Stripe returns them.
    pub customers: Vec<Value>,
    pub subscriptions: Vec<Value>,
    pub invoices: Vec<Value>,
    pub coupons: Vec<Value>,
    pub products: Vec<Value>,
    /// Discount objects by id, in the clover shape (`source.coupon` an id); subscriptions and
    /// their items name them by id.
    pub discounts: HashMap<String, Value>,
    lookup: Lookup,
}

/// Positions remembered between requests, so a page is found without scanning the whole list: the
/// fake runs on the same cores as the sync it serves in `server bench sync`. Checked before use.
#[derive(Clone, Debug, Default)]
struct Lookup {
    /// The id ending each page served → where the next page starts.
    page_ends: HashMap<String, usize>,
    /// Customer id → its index in `customers`.
    customers: HashMap<String, usize>,
}

impl Lookup {
    fn customer<'a>(&mut self, customers: &'a [Value], id: &str) -> Option<&'a Value> {
        let fresh = |i: &usize| customers.get(*i).is_some_and(|c| c["id"] == id);
        if !self.customers.get(id).is_some_and(fresh) {
            self.customers = customers
                .iter()
                .enumerate()
                .filter_map(|(i, c)| Some((c["id"].as_str()?.to_string(), i)))
                .collect();
        }
        self.customers.get(id).filter(|i| fresh(i)).map(|&i| &customers[i])
    }
}

const PRICES: [&str; 5] = ["Starter", "Team", "Business", "Scale", "Enterprise"];
const BASE_TIME: i64 = 1_760_000_000; // 2025-10-09

impl StripeData {
    /// `customers` customers with one subscription each and `invoices_per` invoices per
    /// subscription; `malformed` subscriptions lack their items (a record a sync must skip).
    pub fn generate(customers: usize, invoices_per: usize, malformed: usize, seed: u64) -> StripeData {
        let mut rng = Rng::new(seed);
        let mut data = StripeData::default();
        for i in 0..customers {
            let created = BASE_TIME + i as i64 * 60;
            let cus = format!("cus_{i:07}");
            let email = if i % 17 == 0 {
                format!("founder{i}@gmail.com")
            } else {
                format!("billing@company{i}.example")
            };
            data.customers.push(json!({
                "id": cus, "object": "customer", "name": format!("Company {i}"), "email": email,
                "delinquent": false, "balance": 0, "currency": "usd", "metadata": {}, "created": created,
            }));
            let status = match rng.below(100) {
                0..=69 => "active",
                70..=77 => "trialing",
                78..=84 => "past_due",
                85..=94 => "canceled",
                _ => "unpaid",
            };
            let (interval, count) = match rng.below(20) {
                0..=11 => ("month", 1),
                12..=17 => ("year", 1),
                18 => ("week", 1),
                _ => ("month", 3),
            };
            let currency = if i % 11 == 0 { "eur" } else { "usd" };
            let period_start = created + 86_400;
            let period_len = match interval {
                "year" => 365 * 86_400,
                "week" => 7 * 86_400,
                _ => 30 * 86_400 * count,
            };
            let sub = format!("sub_{i:07}");
            let mut subscription = json!({
                "id": sub, "object": "subscription", "customer": cus, "status": status,
                "cancel_at_period_end": rng.below(20) == 0, "canceled_at": null, "start_date": period_start,
                "trial_start": null, "trial_end": null, "currency": currency, "metadata": {},
                "latest_invoice": null,
                // Drawn here, where the draw always was, so the rest of the dataset stays as it was.
                "discounts": if rng.below(8) == 0 { json!(["due"]) } else { json!([]) },
                "items": {"object": "list", "data": [{
                    "id": format!("si_{i:07}"), "object": "subscription_item", "discounts": [], "quantity": 1 + rng.below(40),
                    "current_period_start": period_start, "current_period_end": period_start + period_len,
                    "price": {"id": format!("price_{}", i % 5), "product": format!("prod_{}", i % 5),
                        "nickname": PRICES[i % 5],
                        "currency": currency, "unit_amount": 500 + 500 * rng.below(20) as i64,
                        "recurring": {"interval": interval, "interval_count": count, "usage_type": "licensed"}}
                }]},
            });
            // Trials, decided by index so the random draws stay as they were: every trialing
            // subscription, a third of the active ones (converted) and half the canceled (lapsed).
            let trial = match status {
                "trialing" => Some((period_start, period_start + 14 * 86_400)),
                "active" if i % 3 == 0 => Some((period_start - 14 * 86_400, period_start)),
                "canceled" if i % 2 == 0 => Some((period_start - 14 * 86_400, period_start)),
                _ => None,
            };
            if let Some((start, end)) = trial {
                subscription["trial_start"] = json!(start);
                subscription["trial_end"] = json!(end);
            }
            if status == "canceled" {
                subscription["canceled_at"] = json!(period_start + 10 * 86_400);
                subscription["ended_at"] = json!(period_start + 10 * 86_400);
            }
            if subscription["discounts"] == json!(["due"]) {
                // One of the coupons: 20 % off for good, $100 off each invoice, 50 % off for
                // three months that have passed, or $500 off the first invoice only.
                let coupon = ["TWENTY", "HUNDRED", "SPRING", "WELCOME"][i % 4];
                let coupon = if currency == "eur" { "TWENTY" } else { coupon };
                let ended = (coupon == "SPRING").then_some(period_start + 90 * 86_400);
                let id = data.discount(&cus, &sub, None, coupon, period_start, ended);
                subscription["discounts"] = json!([id]);
            }
            if i < malformed {
                subscription["items"] = json!({"object": "list", "data": []});
            }
            data.subscriptions.push(subscription);
            for k in 0..invoices_per {
                let issued = period_start + k as i64 * 30 * 86_400;
                let (status, paid) = match (status, k + 1 == invoices_per) {
                    ("past_due", true) | ("unpaid", true) => ("open", false),
                    _ => ("paid", true),
                };
                let amount = 1_000 + 100 * rng.below(500) as i64;
                data.invoices.push(json!({
                    // API 2025-03-31.basil (the version the connector pins): the subscription
                    // sits under `parent`, the top-level `subscription` is gone (Stripe changelog).
                    "id": format!("in_{i:07}_{k}"), "object": "invoice", "customer": cus,
                    "parent": {"type": "subscription_details", "quote_details": null,
                               "subscription_details": {"metadata": {}, "subscription": sub}},
                    "status": status, "currency": currency, "amount_due": amount,
                    "amount_paid": if paid { amount } else { 0 }, "amount_remaining": if paid { 0 } else { amount },
                    "attempt_count": if paid { 1 } else { 3 }, "next_payment_attempt": null,
                    "due_date": issued + 14 * 86_400, "created": issued,
                    "status_transitions": {"paid_at": if paid { json!(issued + 3_600) } else { Value::Null }},
                    "lines": {"object": "list", "data": []},
                }));
            }
        }
        data.products = PRICES
            .iter()
            .enumerate()
            .map(|(k, name)| json!({"id": format!("prod_{k}"), "object": "product", "name": format!("{name} plan"), "active": true}))
            .rev()
            .collect();
        for list in [&mut data.customers, &mut data.subscriptions, &mut data.invoices] {
            list.reverse(); // newest first
        }
        data
    }

    /// The account's coupons (as `/v1/coupons` lists them) that [`StripeData::generate`] uses.
    pub fn standard_coupons() -> Vec<Value> {
        let coupon = |id: &str, percent: Option<f64>, amount: Option<i64>, duration: &str, months: Option<i64>| {
            json!({"id": id, "object": "coupon", "amount_off": amount, "percent_off": percent,
                "currency": amount.map(|_| "usd"), "duration": duration, "duration_in_months": months,
                "created": BASE_TIME, "livemode": false, "max_redemptions": null, "metadata": {},
                "name": id, "redeem_by": null, "times_redeemed": 1, "valid": true})
        };
        vec![
            coupon("TWENTY", Some(20.0), None, "forever", None),
            coupon("HUNDRED", None, Some(10_000), "forever", None),
            coupon("SPRING", Some(50.0), None, "repeating", Some(3)),
            coupon("WELCOME", None, Some(50_000), "once", None),
        ]
    }

    /// Records a discount of `coupon` on a subscription (or one of its items); returns its id.
    pub fn discount(
        &mut self,
        customer: &str,
        subscription: &str,
        item: Option<&str>,
        coupon: &str,
        start: i64,
        end: Option<i64>,
    ) -> String {
        if self.coupons.is_empty() {
            self.coupons = Self::standard_coupons();
        }
        let id = format!("di_{:07}", self.discounts.len() + 1);
        self.discounts.insert(
            id.clone(),
            json!({"id": id, "object": "discount", "checkout_session": null, "customer": customer,
                "start": start, "end": end, "invoice": null, "invoice_item": null, "promotion_code": null,
                "subscription": subscription, "subscription_item": item,
                "source": {"type": "coupon", "coupon": coupon}}),
        );
        id
    }
}

pub fn routes(state: Shared) -> Router {
    Router::new().route("/v1/{resource}", get(list)).with_state(state)
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, Json(json!({"error": {"type": kind, "message": message}}))).into_response()
}

fn throttled(retry_after: u64) -> Response {
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        "invalid_request_error",
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
    );
    r.headers_mut().insert("Retry-After", retry_after.into());
    r.headers_mut().insert("Stripe-Should-Retry", "true".parse().unwrap());
    r
}

async fn list(
    State(state): State<Shared>,
    Path(resource): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let auth = header(&headers, "authorization").unwrap_or("");
    if auth != format!("Bearer {STRIPE_KEY}") && auth != format!("Bearer {STRIPE_LIVE_KEY}") {
        let shown = auth.strip_prefix("Bearer ").unwrap_or("");
        let tail: String = shown
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            &format!("Invalid API Key provided: sk_****{tail}"),
        );
    }
    if let Some(reply) = state.misbehave(throttled).await {
        return reply;
    }
    let q: HashMap<&str, &str> = pairs
        .iter()
        .filter(|(k, _)| k != "expand[]")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let expand: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "expand[]")
        .map(|(_, v)| v.as_str())
        .collect();
    for path in &expand {
        if path.split('.').count() > 4 {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("You cannot expand more than 4 levels of a property. Property: {path}"),
            );
        }
    }
    let limit: usize = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Invalid integer: limit must be between 1 and 100",
            )
        }
    };
    let mut guard = state.stripe.lock().unwrap();
    let StripeData {
        customers,
        subscriptions,
        invoices,
        coupons,
        discounts,
        products,
        lookup,
    } = &mut *guard;
    let all: Vec<&Value> = match resource.as_str() {
        "customers" => customers.iter().collect(),
        "invoices" => invoices.iter().collect(),
        "coupons" => coupons.iter().collect(),
        "products" => products.iter().collect(),
        "subscriptions" => {
            let status = q.get("status").copied();
            subscriptions
                .iter()
                .filter(|s| match status {
                    Some("all") => true,
                    Some(wanted) => s["status"] == wanted,
                    None => s["status"] != "canceled" && s["status"] != "incomplete_expired",
                })
                .collect()
        }
        other => {
            return error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                &format!("Unrecognized request URL (GET: /v1/{other})."),
            )
        }
    };
    let start = match q.get("starting_after") {
        None => 0,
        Some(after) => {
            let remembered = lookup
                .page_ends
                .get(*after)
                .copied()
                .filter(|&i| i > 0 && all.get(i - 1).is_some_and(|r| r["id"] == *after));
            match remembered.or_else(|| all.iter().position(|r| r["id"] == *after).map(|i| i + 1)) {
                Some(i) => i,
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request_error",
                        &format!("No such object: '{after}'"),
                    )
                }
            }
        }
    };
    let expands = |path: &str| expand.contains(&path);
    // Without a `Stripe-Version` header Stripe answers in the account's default version; this
    // fake's accounts default to 2024-06-20.
    let version = header(&headers, "stripe-version").unwrap_or("2024-06-20");
    let basil = version >= "2025-03-31";
    let clover = version >= "2025-09-30";
    // `currency_options` is includable only: an embedded coupon never has it.
    let coupon_of = |id: &Value| {
        let mut c = coupons.iter().find(|c| c["id"] == *id).cloned().unwrap_or(Value::Null);
        if let Some(map) = c.as_object_mut() {
            map.remove("currency_options");
        }
        c
    };
    // A discount as this version shows it; `with_coupon`: `source.coupon` expanded.
    let discount = |id: &Value, with_coupon: bool| {
        let Some(mut d) = id.as_str().and_then(|id| discounts.get(id)).cloned() else {
            return id.clone();
        };
        let coupon = d.pointer("/source/coupon").cloned().unwrap_or(Value::Null);
        if !clover {
            if let Some(map) = d.as_object_mut() {
                map.remove("source");
                map.insert("coupon".into(), coupon_of(&coupon)); // always embedded before clover
            }
        } else if with_coupon {
            d["source"]["coupon"] = coupon_of(&coupon);
        }
        d
    };
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|v| {
            let mut v = (*v).clone();
            if !basil && v["object"] == "invoice" {
                let sub = v.pointer("/parent/subscription_details/subscription").cloned();
                if let Some(map) = v.as_object_mut() {
                    map.remove("parent");
                    map.insert("subscription".into(), sub.unwrap_or(Value::Null));
                }
            }
            if v["object"] == "coupon" && !expands("data.currency_options") {
                if let Some(map) = v.as_object_mut() {
                    map.remove("currency_options");
                }
            }
            if v["object"] == "subscription" {
                let with_coupon = expands("data.discounts.source.coupon");
                if expands("data.discounts") || with_coupon {
                    let ids = v["discounts"].as_array().cloned().unwrap_or_default();
                    v["discounts"] = ids.iter().map(|id| discount(id, with_coupon)).collect();
                }
                if expands("data.items.data.discounts") {
                    for item in v["items"]["data"].as_array_mut().into_iter().flatten() {
                        let ids = item["discounts"].as_array().cloned().unwrap_or_default();
                        item["discounts"] = ids.iter().map(|id| discount(id, false)).collect();
                    }
                }
            }
            if expands("data.customer") {
                if let Some(c) = v["customer"].as_str().and_then(|id| lookup.customer(customers, id)) {
                    v["customer"] = c.clone();
                }
            }
            v
        })
        .collect();
    if let Some(last) = page.last().and_then(|r| r["id"].as_str()) {
        lookup.page_ends.insert(last.to_string(), start + page.len());
    }
    let has_more = start + page.len() < all.len();
    Json(json!({"object": "list", "url": format!("/v1/{resource}"), "has_more": has_more, "data": page}))
        .into_response()
}
