//! Stripe: customers become accounts, subscriptions revenue sources (MRR by `app::revenue`),
//! invoices the payment history. Lists are paged with `starting_after`, 100 per page.

use super::http::{VendorConfig, VendorError, VendorHttp};
use super::{day_of_unix, email_domain, keep, SyncError, SyncRun};
use crate::store::sync::{CompanyRecord, InvoiceRecord, Records, RevenueRecord, SyncPage, TrialRecord, DONE};
use app::revenue::{stripe_mrr, Discount, Interval, Rates, StripeItem, StripeSubscription};
use serde_json::Value;
use std::collections::HashMap;

pub const BASE_URL: &str = "https://api.stripe.com";
pub const SOURCE: &str = "stripe";
const VENDOR: &str = "Stripe";
const PAGE: usize = 100;
/// Stripe allows 100 read requests per second in live mode and 25 in test mode; stay under both,
/// even when slots missed while a page was written are caught up (at most 99 and 24 a second).
const LIVE_PER_SECOND: f64 = 95.0;
const TEST_PER_SECOND: f64 = 20.0;
const BURST: u32 = 4;

/// The Stripe API version requested on every call: item-level periods and an invoice's `parent`
/// (2025-03-31.basil), a discount's coupon under `source`, an id unless expanded (2025-09-30.clover).
pub const API_VERSION: &str = "2025-09-30.clover";

pub fn client(http: reqwest::Client, base_url: Option<&str>, key: &str) -> VendorHttp {
    let live = key.starts_with("sk_live_") || key.starts_with("rk_live_");
    let per_second = if live { LIVE_PER_SECOND } else { TEST_PER_SECOND };
    let mut config = VendorConfig::new(VENDOR, base_url.unwrap_or(BASE_URL), per_second);
    config.auth = Some(("Authorization", format!("Bearer {key}")));
    // The shapes this connector reads are this version's; without the header Stripe answers in
    // the account's default version.
    config.headers.push(("Stripe-Version", API_VERSION.into()));
    config.burst = BURST;
    VendorHttp::new(http, config)
}

/// "Test connection": one cheap authenticated call.
pub async fn test(http: &VendorHttp) -> Result<String, VendorError> {
    let reply = http.get("/v1/customers?limit=1").await?;
    list_data(&reply.body)?;
    Ok("Stripe accepted the key.".into())
}

const RESOURCES: [&str; 2] = ["subscriptions", "invoices"];

/// Subscriptions, then invoices, each with its customer expanded (so no separate customer list
/// is paged). Pages are written while the next ones are fetched.
pub async fn sync(http: &VendorHttp, run: &mut SyncRun<'_>, rates: &Rates) -> Result<(), SyncError> {
    let mut cursors = Vec::new();
    for resource in RESOURCES {
        cursors.push((resource, run.cursor(resource).await?));
    }
    run.enter(RESOURCES[0]);
    let pricing = Pricing {
        now: (run.now)().timestamp(),
        coupons: if cursors[0].1.as_deref() == Some(DONE) {
            HashMap::new()
        } else {
            coupons(http).await?
        },
        products: if cursors[0].1.as_deref() == Some(DONE) {
            HashMap::new()
        } else {
            product_names(http).await?
        },
    };
    let pricing = &pricing;
    run.write_while_fetching(|pages| async move {
        for (resource, cursor) in cursors {
            if cursor.as_deref() == Some(DONE) {
                continue; // fetched by an interrupted run
            }
            let mut after = cursor;
            loop {
                let reply = http.get(&list_path(resource, after.as_deref())).await?;
                let page = page_of(resource, &reply.body, rates, pricing)?;
                after = page.next_cursor.clone();
                if pages.send(page).await.is_err() {
                    return Ok(()); // the writer stopped; its error is the run's
                }
                if after.is_none() {
                    break;
                }
            }
        }
        Ok(())
    })
    .await
}

/// Every object of a small list (`/v1/coupons`, `/v1/products`), all pages. A restricted key
/// without read access to it gets none (403): names fall back to ids, discounts are noted.
async fn list_all(http: &VendorHttp, resource: &str, expand: &str) -> Result<Vec<Value>, VendorError> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/v1/{resource}?limit={PAGE}{expand}");
        if let Some(after) = &after {
            path.push_str(&format!("&starting_after={}", app::url::encode_component(after)));
        }
        let reply = match http.get(&path).await {
            Err(VendorError::Auth {
                status: 403, message, ..
            }) => {
                tracing::warn!(resource, message, "Stripe: the key may not list these");
                return Ok(all);
            }
            reply => reply?,
        };
        let data = list_data(&reply.body)?;
        all.extend(data.iter().cloned());
        let more = reply.body.get("has_more").and_then(Value::as_bool) == Some(true);
        after = data
            .last()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if !more || after.is_none() {
            return Ok(all);
        }
    }
}

/// Every coupon of the account, by id: an item's discount names its coupon by id, and that is
/// one level deeper than Stripe expands (at most four: `data.items.data.discounts`).
async fn coupons(http: &VendorHttp) -> Result<HashMap<String, Value>, VendorError> {
    // A coupon's amounts in other currencies come only when expanded.
    Ok(list_all(http, "coupons", "&expand[]=data.currency_options")
        .await?
        .into_iter()
        .filter_map(|c| Some((c.get("id")?.as_str()?.to_string(), c)))
        .collect())
}

/// Every product's name by id: a price names its product by id, and expanding it from a
/// subscription list is five levels deep (`data.items.data.price.product`), one too many.
async fn product_names(http: &VendorHttp) -> Result<HashMap<String, String>, VendorError> {
    Ok(list_all(http, "products", "")
        .await?
        .iter()
        .filter_map(|p| Some((p.get("id")?.as_str()?.to_string(), p.get("name")?.as_str()?.to_string())))
        .collect())
}

/// What pricing a subscription needs besides the subscription: the time (a discount that has
/// ended is not counted), the account's coupons by id, and its products' names.
#[derive(Default)]
pub struct Pricing {
    pub now: i64,
    pub coupons: HashMap<String, Value>,
    pub products: HashMap<String, String>,
}

fn list_path(resource: &str, after: Option<&str>) -> String {
    let mut path = format!("/v1/{resource}?limit={PAGE}&expand[]=data.customer");
    if resource == "subscriptions" {
        path.push_str("&status=all"); // canceled ones are left out otherwise
                                      // Discounts are ids unless expanded; the subscription's come with their coupons (kept
                                      // even when the coupon was deleted since), the items' name theirs by id.
        path.push_str("&expand[]=data.discounts.source.coupon&expand[]=data.items.data.discounts");
    }
    if let Some(after) = after {
        path.push_str(&format!("&starting_after={after}"));
    }
    path
}

/// One list page as records: the expanded customers, then the subscriptions or invoices.
fn page_of(resource: &'static str, body: &Value, rates: &Rates, pricing: &Pricing) -> Result<SyncPage, VendorError> {
    let data = list_data(body)?;
    let has_more = body.get("has_more").and_then(Value::as_bool).unwrap_or(false);
    let last_id = data
        .last()
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut skipped = Vec::new();
    let mut companies: Vec<CompanyRecord> = Vec::new();
    for record in data {
        if let Some(c) = record
            .get("customer")
            .filter(|c| c.is_object())
            .and_then(|c| customer(c).ok())
        {
            if !companies.iter().any(|k| k.external_id == c.external_id) {
                companies.push(c);
            }
        }
    }
    let mut repaired = Vec::new();
    let records = if resource == "subscriptions" {
        Records::Revenue(keep(
            data,
            |r| {
                let mut notes = Vec::new();
                let record = subscription_noting(r, rates, pricing, &mut notes)?;
                repaired.extend(notes.into_iter().map(|n| (record.external_id.clone(), n)));
                Ok(record)
            },
            &mut skipped,
        ))
    } else {
        Records::Invoices(keep(data, invoice, &mut skipped))
    };
    Ok(SyncPage {
        resource,
        companies,
        records,
        next_cursor: if has_more { last_id } else { None },
        fetched: data.len(),
        skipped,
        repaired,
    })
}

fn list_data(body: &Value) -> Result<&Vec<Value>, VendorError> {
    super::http::array(VENDOR, body, "data")
}

fn text<'a>(r: &'a Value, name: &str) -> Result<&'a str, String> {
    r.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("has no {name}"))
}

fn int(r: &Value, name: &str) -> Result<i64, String> {
    r.get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("has no {name}"))
}

fn opt_day(r: &Value, name: &str) -> Option<String> {
    r.get(name).and_then(Value::as_i64).map(day_of_unix)
}

/// A customer's id, or the id inside an expanded customer object.
fn customer_id(r: &Value) -> Result<String, String> {
    match r.get("customer") {
        Some(Value::String(id)) => Ok(id.clone()),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| "has a customer without id".into()),
        _ => Err("has no customer".into()),
    }
}

pub fn customer(r: &Value) -> Result<CompanyRecord, String> {
    let id = text(r, "id")?.to_string();
    let email = r.get("email").and_then(Value::as_str);
    let name = r
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .or(email)
        .unwrap_or(&id)
        .trim()
        .to_string();
    Ok(CompanyRecord {
        source: SOURCE,
        external_id: id,
        name,
        domain: email.and_then(email_domain),
        also: Vec::new(),
    })
}

pub fn subscription(r: &Value, rates: &Rates, pricing: &Pricing) -> Result<RevenueRecord, String> {
    subscription_noting(r, rates, pricing, &mut Vec::new())
}

/// [`subscription`], noting in `repairs` each discount it could not count (its coupon deleted
/// since, an amount in another currency): the subscription is kept at full price for it.
pub fn subscription_noting(
    r: &Value,
    rates: &Rates,
    pricing: &Pricing,
    repairs: &mut Vec<String>,
) -> Result<RevenueRecord, String> {
    let id = text(r, "id")?.to_string();
    let customer = customer_id(r)?;
    let status = text(r, "status")?.to_string();
    let currency = text(r, "currency")?.to_ascii_uppercase();
    let items = r
        .pointer("/items/data")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or("has no items")?;
    let mut priced = Vec::new();
    let mut plan = Vec::new();
    let mut period_end: Option<i64> = None;
    let mut period_start: Option<i64> = None;
    for item in items {
        let price = item.get("price").ok_or("has an item without a price")?;
        let recurring = price.get("recurring").ok_or("has an item with a one-off price")?;
        let interval = recurring
            .get("interval")
            .and_then(Value::as_str)
            .and_then(Interval::parse)
            .ok_or("has an item with an unknown interval")?;
        let interval_count = recurring.get("interval_count").and_then(Value::as_u64).unwrap_or(1) as u32;
        priced.push(StripeItem {
            unit_amount: iso_minor(price.get("unit_amount").and_then(Value::as_i64).unwrap_or(0), &currency),
            quantity: item.get("quantity").and_then(Value::as_i64).unwrap_or(1),
            interval,
            interval_count,
            metered: recurring.get("usage_type").and_then(Value::as_str) == Some("metered"),
            discounts: discounts(item, &currency, pricing, repairs)?,
        });
        // The price's own name, else its product's (an id unless expanded), else the id.
        let product = match price.get("product") {
            Some(Value::String(id)) => pricing.products.get(id).map(String::as_str).or(Some(id.as_str())),
            Some(p) => p.get("name").and_then(Value::as_str),
            None => None,
        };
        plan.push(
            price
                .get("nickname")
                .and_then(Value::as_str)
                .filter(|n| !n.trim().is_empty())
                .or(product)
                .unwrap_or("Stripe price")
                .to_string(),
        );
        // Since API version 2025-03-31 the period lives on each item.
        if let Some(end) = item.get("current_period_end").and_then(Value::as_i64) {
            period_end = Some(period_end.map_or(end, |e: i64| e.max(end)));
        }
        if let Some(start) = item.get("current_period_start").and_then(Value::as_i64) {
            period_start = Some(period_start.map_or(start, |s: i64| s.min(start)));
        }
    }
    let discounts = discounts(r, &currency, pricing, repairs)?;
    let cancel_at_period_end = r.get("cancel_at_period_end").and_then(Value::as_bool).unwrap_or(false);
    let sub = StripeSubscription {
        status: status.clone(),
        cancel_at_period_end,
        currency: currency.clone(),
        items: priced.clone(),
        discounts,
    };
    let line = stripe_mrr(&sub, rates).map_err(|e| e.to_string())?;
    // What the subscription will bill once its trial ends (a trial itself counts 0 MRR).
    let after_trial = StripeSubscription {
        status: "active".into(),
        ..sub.clone()
    };
    let potential_mrr = stripe_mrr(&after_trial, rates).map(|l| l.mrr).unwrap_or(0);
    let ended = matches!(status.as_str(), "canceled" | "incomplete_expired");
    let start = opt_day(r, "start_date")
        .or_else(|| period_start.map(day_of_unix))
        .ok_or("has no start_date")?;
    let period_end_day = period_end.map(day_of_unix);
    let trial = match (opt_day(r, "trial_start"), opt_day(r, "trial_end")) {
        (Some(started_on), Some(ends_on)) => Some(TrialRecord {
            started_on,
            ends_on,
            seats: items[0].get("quantity").and_then(Value::as_i64).unwrap_or(1),
            potential_arr_minor: potential_mrr * 12,
            outcome: match status.as_str() {
                "active" | "past_due" | "unpaid" | "paused" => Some("converted"),
                "canceled" | "incomplete_expired" => Some("lapsed"),
                _ => None, // trialing, or incomplete: not decided yet
            },
        }),
        _ => None,
    };
    Ok(RevenueRecord {
        source: SOURCE,
        external_id: id,
        company: (SOURCE, customer.clone()),
        plan: plan.join(" + "),
        payment_state: match status.as_str() {
            "past_due" => "past_due",
            "unpaid" => "failed",
            "active" => "paid",
            _ => "none",
        },
        status,
        currency,
        mrr_minor: line.mrr,
        counted: !line.flags.not_counted,
        billing_interval: match priced[0].interval {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Year => "year",
        },
        interval_count: priced[0].interval_count as i64,
        start_date: start,
        end_date: if ended {
            opt_day(r, "ended_at").or_else(|| opt_day(r, "canceled_at"))
        } else if cancel_at_period_end {
            period_end_day.clone()
        } else {
            None
        },
        renewal_date: if ended || cancel_at_period_end {
            None
        } else {
            period_end_day
        },
        auto_renew: !cancel_at_period_end && !ended,
        cancel_at_period_end,
        stripe_customer_id: Some(customer),
        trial,
    })
}

/// Whether pricing a subscription needs what only a sync lists: its discounts (or its items'),
/// which an event carries as ids with coupons by id, or a plan named only by its product's id
/// (a price without a nickname).
pub fn needs_lookups(r: &Value) -> bool {
    let discounted = |v: &Value| {
        v.get("discounts")
            .and_then(Value::as_array)
            .is_some_and(|d| !d.is_empty())
    };
    let items = r.pointer("/items/data").and_then(Value::as_array);
    discounted(r)
        || items.is_some_and(|items| {
            items.iter().any(|i| {
                discounted(i)
                    || (i
                        .pointer("/price/nickname")
                        .and_then(Value::as_str)
                        .is_none_or(|n| n.trim().is_empty())
                        && i.pointer("/price/product").is_some_and(Value::is_string))
            })
        })
}

/// The discounts in force on a subscription or an item (`discounts`, which must be expanded);
/// one that cannot be read is left out and noted in `repairs`.
fn discounts(
    owner: &Value,
    currency: &str,
    pricing: &Pricing,
    repairs: &mut Vec<String>,
) -> Result<Vec<Discount>, String> {
    let mut out = Vec::new();
    for d in owner.get("discounts").and_then(Value::as_array).into_iter().flatten() {
        if let Some(id) = d.as_str() {
            return Err(format!("has a discount that was not expanded: {id}"));
        }
        match discount(d, currency, pricing) {
            Ok(Some(d)) => out.push(d),
            Ok(None) => {}
            Err(why) => repairs.push(format!("{why}; counted at full price")),
        }
    }
    Ok(out)
}

/// A discount as it counts in MRR now: `None` once it has ended (or before it starts), and for a
/// coupon that takes off one invoice only (`duration: once`), which is no recurring revenue.
fn discount(d: &Value, currency: &str, pricing: &Pricing) -> Result<Option<Discount>, String> {
    if let Some(id) = d.as_str() {
        return Err(format!("has a discount that was not expanded: {id}"));
    }
    let at = |name: &str| d.get(name).and_then(Value::as_i64);
    if at("end").is_some_and(|end| end <= pricing.now) || at("start").is_some_and(|start| start > pricing.now) {
        return Ok(None);
    }
    // Before 2025-09-30.clover the coupon came embedded as `coupon`; since, it is `source.coupon`,
    // an id unless expanded.
    let coupon = match d.get("coupon").or_else(|| d.pointer("/source/coupon")) {
        Some(Value::String(id)) => pricing.coupons.get(id).ok_or_else(|| {
            format!("has a discount whose coupon is not listed: {id} (deleted since, or the key may not read coupons)")
        })?,
        // Embedded by an expansion, which cannot reach `currency_options`: the listed one can.
        Some(c @ Value::Object(_)) => c
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| pricing.coupons.get(id))
            .unwrap_or(c),
        _ => return Err("has a discount without its coupon".into()),
    };
    if coupon.get("duration").and_then(Value::as_str) == Some("once") {
        return Ok(None);
    }
    if let Some(p) = coupon.get("percent_off").and_then(Value::as_f64) {
        return Ok(Some(Discount::PercentOff(p)));
    }
    let Some(amount) = coupon.get("amount_off").and_then(Value::as_i64) else {
        return Err("has a discount whose coupon is neither a percent nor an amount off".into());
    };
    // An amount off is in the coupon's currency, or in one of its `currency_options`.
    let coupon_currency = coupon.get("currency").and_then(Value::as_str).unwrap_or("");
    if coupon_currency.eq_ignore_ascii_case(currency) {
        return Ok(Some(Discount::AmountOff(iso_minor(amount, currency))));
    }
    coupon
        .pointer(&format!(
            "/currency_options/{}/amount_off",
            currency.to_ascii_lowercase()
        ))
        .and_then(Value::as_i64)
        .map(|a| Some(Discount::AmountOff(iso_minor(a, currency))))
        .ok_or_else(|| format!("has a discount of an amount in {coupon_currency}, not in {currency}"))
}

/// Stripe's amount in ISO 4217 minor units (what `Money` holds). Stripe's unit differs for two
/// currencies: ISK amounts carry two decimals that are always 00, MGA amounts none.
fn iso_minor(stripe_amount: i64, currency: &str) -> i64 {
    match currency.to_ascii_uppercase().as_str() {
        "ISK" => stripe_amount / 100,
        "MGA" => stripe_amount.saturating_mul(100),
        _ => stripe_amount,
    }
}

pub fn invoice(r: &Value) -> Result<InvoiceRecord, String> {
    let id = text(r, "id")?.to_string();
    let customer = customer_id(r)?;
    let status = text(r, "status")?.to_string();
    if !matches!(status.as_str(), "draft" | "open" | "paid" | "uncollectible" | "void") {
        return Err(format!("has an unknown status {status:?}"));
    }
    let currency = text(r, "currency")?.to_ascii_uppercase();
    Ok(InvoiceRecord {
        external_id: id,
        company: (SOURCE, customer),
        // Since 2025-03-31.basil under `parent`; older versions had it at the top.
        revenue_source: r
            .pointer("/parent/subscription_details/subscription")
            .or_else(|| r.get("subscription"))
            .and_then(Value::as_str)
            .map(|s| (SOURCE, s.to_string())),
        status,
        currency: currency.clone(),
        amount_due_minor: iso_minor(int(r, "amount_due")?, &currency),
        amount_paid_minor: iso_minor(int(r, "amount_paid")?, &currency),
        amount_remaining_minor: iso_minor(int(r, "amount_remaining")?, &currency),
        attempt_count: r.get("attempt_count").and_then(Value::as_i64).unwrap_or(0),
        issued_on: opt_day(r, "created").ok_or("has no created")?,
        due_on: opt_day(r, "due_date"),
        paid_at: r
            .pointer("/status_transitions/paid_at")
            .and_then(Value::as_i64)
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339()),
    })
}

/// Stripe in the connector registry.
pub struct Stripe;

#[async_trait::async_trait]
impl super::registry::Connector for Stripe {
    fn source(&self) -> &'static str {
        SOURCE
    }
    fn client(&self, http: reqwest::Client, base_url: Option<&str>, credential: &str) -> VendorHttp {
        client(http, base_url, credential)
    }
    async fn test(&self, http: &VendorHttp, _: &str) -> Result<Result<String, VendorError>, String> {
        Ok(test(http).await)
    }
    async fn sync(
        &self,
        http: &VendorHttp,
        run: &mut SyncRun<'_>,
        inputs: &super::registry::SyncInputs,
    ) -> Result<(), SyncError> {
        sync(http, run, &inputs.rates).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at_2026() -> Pricing {
        Pricing {
            now: 1_780_000_000, // 2026-05-28
            ..Pricing::default()
        }
    }

    #[test]
    fn subscriptions_are_priced_and_dated_from_their_items() {
        let rates = Rates::new("USD").with("EUR", 1_100_000);
        let sub = json!({
            "id": "sub_1", "customer": "cus_1", "status": "active", "currency": "eur",
            "cancel_at_period_end": false, "start_date": 1_767_225_600,
            "discounts": [{"id": "di_1", "object": "discount", "start": 1_767_225_600, "end": null,
                "source": {"type": "coupon", "coupon": {"id": "TEN", "percent_off": 10.0, "duration": "forever"}}}],
            "items": {"data": [{"id": "si_1", "quantity": 5, "current_period_start": 1_767_225_600,
                "current_period_end": 1_798_761_600,
                "price": {"id": "price_1", "product": "prod_1", "nickname": "Team", "currency": "eur",
                  "unit_amount": 12_000, "recurring": {"interval": "year", "interval_count": 1, "usage_type": "licensed"}}}]}
        });
        let r = subscription(&sub, &rates, &at_2026()).unwrap();
        // 5 × €120/year = €600/year = €50/month, −10 % = €45, × 1.10 = $49.50
        assert_eq!(r.mrr_minor, 4_950);
        assert!(r.counted);
        assert_eq!(r.start_date, "2026-01-01");
        assert_eq!(r.renewal_date.as_deref(), Some("2027-01-01"));
        assert_eq!((r.billing_interval, r.interval_count), ("year", 1));
        assert_eq!(r.plan, "Team");
        assert_eq!(r.company, ("stripe", "cus_1".to_string()));

        let mut leaving = sub.clone();
        leaving["cancel_at_period_end"] = json!(true);
        let r = subscription(&leaving, &rates, &at_2026()).unwrap();
        assert_eq!(
            (r.renewal_date, r.end_date.as_deref(), r.auto_renew),
            (None, Some("2027-01-01"), false)
        );

        let mut broken = sub.clone();
        broken["items"] = json!({"data": []});
        assert_eq!(subscription(&broken, &rates, &at_2026()), Err("has no items".into()));
        let mut yen = sub.clone();
        yen["currency"] = json!("jpy");
        assert!(subscription(&yen, &rates, &at_2026()).unwrap_err().contains("JPY"));
    }

    #[test]
    fn customers_match_by_company_email_domain_only() {
        let c = customer(&json!({"id": "cus_1", "name": "Hooli", "email": "gavin@Hooli.com"})).unwrap();
        assert_eq!((c.name.as_str(), c.domain.as_deref()), ("Hooli", Some("hooli.com")));
        let free = customer(&json!({"id": "cus_2", "name": null, "email": "someone@gmail.com"})).unwrap();
        assert_eq!((free.name.as_str(), free.domain), ("someone@gmail.com", None));
        assert!(customer(&json!({"name": "x"})).is_err());
    }

    #[test]
    fn an_invoice_names_its_subscription_under_parent_since_basil() {
        // API 2025-03-31.basil moved `subscription` to `parent.subscription_details.subscription`
        // (Stripe's changelog, "Adds parent to Invoice"; openapi spec3 for that version).
        let basil = json!({
            "id": "in_1", "object": "invoice", "customer": "cus_1", "status": "open", "currency": "usd",
            "amount_due": 5000, "amount_paid": 0, "amount_remaining": 5000, "attempt_count": 3,
            "created": 1_767_225_600, "due_date": null,
            "parent": {"type": "subscription_details", "quote_details": null,
                       "subscription_details": {"metadata": {}, "subscription": "sub_9"}},
        });
        let r = invoice(&basil).unwrap();
        assert_eq!(r.revenue_source, Some((SOURCE, "sub_9".to_string())));
        assert_eq!(r.attempt_count, 3);
        // One not billed for a subscription (a one-off invoice) links to none.
        let mut one_off = basil.clone();
        one_off["parent"] = Value::Null;
        assert_eq!(invoice(&one_off).unwrap().revenue_source, None);
    }

    #[test]
    fn amounts_are_read_in_the_currencys_own_minor_unit() {
        // Stripe sends yen as yen, but ISK with two always-zero decimals and MGA with none
        // (docs.stripe.com/currencies, "Zero-decimal" and "Special cases").
        let isk = json!({
            "id": "in_2", "object": "invoice", "customer": "cus_1", "status": "open", "currency": "isk",
            "amount_due": 1_250_000, "amount_paid": 0, "amount_remaining": 1_250_000, "created": 1_767_225_600,
        });
        assert_eq!(invoice(&isk).unwrap().amount_due_minor, 12_500);
        let mut yen = isk.clone();
        yen["currency"] = json!("jpy");
        yen["amount_due"] = json!(12_500);
        assert_eq!(invoice(&yen).unwrap().amount_due_minor, 12_500);
        assert_eq!(iso_minor(4_000, "mga"), 400_000);
    }

    #[test]
    fn a_discount_counts_while_in_force_in_the_subscriptions_currency() {
        let p = at_2026();
        let coupon = json!({"id": "TEN", "amount_off": 1_000, "currency": "usd", "duration": "forever",
            "currency_options": {"eur": {"amount_off": 900}}});
        let d = |start: i64, end: Value| json!({"id": "di_1", "start": start, "end": end, "source": {"type": "coupon", "coupon": coupon}});
        assert_eq!(
            discount(&d(0, Value::Null), "USD", &p),
            Ok(Some(Discount::AmountOff(1_000)))
        );
        assert_eq!(
            discount(&d(0, Value::Null), "EUR", &p),
            Ok(Some(Discount::AmountOff(900)))
        );
        assert!(discount(&d(0, Value::Null), "GBP", &p)
            .unwrap_err()
            .contains("not in GBP"));
        assert_eq!(discount(&d(0, json!(p.now)), "USD", &p), Ok(None), "ended");
        assert_eq!(discount(&d(p.now + 1, Value::Null), "USD", &p), Ok(None), "not begun");
        assert!(discount(&json!("di_2"), "USD", &p)
            .unwrap_err()
            .contains("not expanded"));
        let gone = json!({"id": "di_3", "start": 0, "end": null, "source": {"type": "coupon", "coupon": "GONE"}});
        assert!(discount(&gone, "USD", &p).unwrap_err().contains("coupon is not listed"));
    }

    #[test]
    fn an_event_subscription_with_discounts_or_unnamed_plans_waits_for_a_sync() {
        let named = json!({"discounts": [], "items": {"data": [{"discounts": [], "price": {"nickname": "Team", "product": "prod_1"}}]}});
        assert!(!needs_lookups(&named));
        let mut discounted = named.clone();
        discounted["discounts"] = json!(["di_1"]);
        assert!(needs_lookups(&discounted));
        let mut item_discount = named.clone();
        item_discount["items"]["data"][0]["discounts"] = json!(["di_2"]);
        assert!(needs_lookups(&item_discount));
        let mut unnamed = named.clone();
        unnamed["items"]["data"][0]["price"]["nickname"] = Value::Null;
        assert!(needs_lookups(&unnamed));
    }
}
