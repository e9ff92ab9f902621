//! Salesbricks: customers become accounts (linked to their Stripe customer when they name one),
//! subscriptions become contracts with ARR from `grand_total` × billing frequency. Pages with
//! `limit`/`offset`; each subscription's terms come from `GET /subscriptions/{id}`.

use super::http::{VendorConfig, VendorError, VendorHttp};
use super::{keep, SyncError, SyncRun};
use crate::store::sync::{CompanyRecord, DealRecord, Gone, Records, RevenueRecord, SyncPage, TrialRecord, DONE};
use app::matching::normalise_domain;
use app::revenue::{minor_digits, salesbricks_mrr, BillingFrequency, Rates, SalesbricksContract};
use chrono::NaiveDate;
use serde_json::Value;

pub const BASE_URL: &str = "https://api.salesbricks.com";
pub const SOURCE: &str = "salesbricks";
const VENDOR: &str = "Salesbricks";
const PAGE: usize = 100;
const PER_SECOND: f64 = 10.0;

pub fn client(http: reqwest::Client, base_url: Option<&str>, token: &str) -> VendorHttp {
    let mut config = VendorConfig::new(VENDOR, base_url.unwrap_or(BASE_URL), PER_SECOND);
    config.auth = Some(("X-SALESBRICKS-KEY", token.to_string()));
    VendorHttp::new(http, config)
}

pub async fn test(http: &VendorHttp) -> Result<String, VendorError> {
    let reply = http.get("/api/v2/customers?limit=1&offset=0").await?;
    let count = reply.body.get("count").and_then(Value::as_u64).unwrap_or(0);
    Ok(format!("Salesbricks accepted the token ({count} customers)."))
}

/// Syncs customers, then each customer's subscriptions: contracts for revenue, and for the
/// Pipeline a deal per order that is open, awaiting countersignature, lost, or won in the last 90 days.
pub async fn sync(
    http: &VendorHttp,
    run: &mut SyncRun<'_>,
    rates: &Rates,
    stages: &[super::Stage],
) -> Result<(), SyncError> {
    let today = (run.now)().date_naive();
    for resource in ["customers", "subscriptions"] {
        let cursor = run.cursor(resource).await?;
        if cursor.as_deref() == Some(DONE) {
            continue; // fetched by an interrupted run
        }
        let mut offset: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        loop {
            let reply = http
                .get(&format!("/api/v2/customers?limit={PAGE}&offset={offset}"))
                .await?;
            let results = super::http::array(VENDOR, &reply.body, "results")?;
            let has_next = reply.body.get("next").is_some_and(|n| !n.is_null()) && !results.is_empty();
            let mut skipped = Vec::new();
            let (records, fetched) = if resource == "customers" {
                (Records::Companies(keep(results, customer, &mut skipped)), results.len())
            } else {
                let mut contracts = Vec::new();
                let mut deals = Vec::new();
                let mut deleted = Vec::new();
                let mut fetched = 0;
                for c in results {
                    let Some(customer_id) = c.get("id").and_then(id_text) else {
                        continue;
                    };
                    let stripe_customer = c
                        .get("stripe_customer_id")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty());
                    for s in c.get("subscriptions").and_then(Value::as_array).into_iter().flatten() {
                        let Some(sub_id) = s.get("subscription_id").or_else(|| s.get("id")).and_then(id_text) else {
                            continue;
                        };
                        fetched += 1;
                        let detail = http.get(&format!("/api/v2/subscriptions/{sub_id}")).await?;
                        // A seller deleted the order: it leaves Pipeline ("Closed delete" stage).
                        if stage_of(&detail.body).as_deref() == Some("closed delete") {
                            if let Ok(id) = order_id(&detail.body) {
                                deleted.push(id);
                            }
                        }
                        match deal(&detail.body, &customer_id, stages, today) {
                            Some(Ok(d)) => deals.push(d),
                            Some(Err(why)) => skipped.push((sub_id.clone(), why)),
                            None => {}
                        }
                        match contract(&detail.body, &customer_id, stripe_customer, rates) {
                            Ok(mut r) => {
                                // Whether it began as a trial is only in its orders.
                                let orders = http
                                    .get(&format!("/api/v2/subscriptions/{sub_id}/orders?limit={PAGE}&offset=0"))
                                    .await?;
                                r.trial = trial_of(&orders.body, &detail.body, &r, rates, today);
                                contracts.push(r)
                            }
                            Err(why) => skipped.push((sub_id, why)),
                        }
                    }
                }
                if !deals.is_empty() || !deleted.is_empty() {
                    // The deals go in first, keeping the cursor where it is: a run killed between the
                    // two writes fetches this page again, and deals are upserted by their id.
                    run.write(SyncPage {
                        resource,
                        companies: Vec::new(),
                        records: Records::Deals(deals, Gone::Ids(SOURCE, deleted)),
                        next_cursor: Some(offset.to_string()),
                        fetched: 0,
                        skipped: Vec::new(),
                        repaired: Vec::new(),
                    })
                    .await?;
                }
                (Records::Revenue(contracts), fetched)
            };
            let next = has_next.then(|| (offset + results.len()).to_string());
            run.write(SyncPage {
                resource,
                companies: Vec::new(),
                records,
                next_cursor: next.clone(),
                fetched,
                skipped,
                repaired: Vec::new(),
            })
            .await?;
            match next {
                Some(n) => offset = n.parse().unwrap_or(offset + results.len()),
                None => break,
            }
        }
    }
    Ok(())
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn customer(c: &Value) -> Result<CompanyRecord, String> {
    let id = c.get("id").and_then(id_text).ok_or("has no id")?;
    let name = c
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or("has no name")?
        .trim()
        .to_string();
    let mut also = Vec::new();
    if let Some(stripe) = c
        .get("stripe_customer_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        also.push(("stripe", stripe.to_string()));
    }
    let domain = c
        .get("domain")
        .or_else(|| c.get("website"))
        .and_then(Value::as_str)
        .map(normalise_domain)
        .filter(|d| d.contains('.'));
    Ok(CompanyRecord {
        source: SOURCE,
        external_id: id,
        name,
        domain,
        also,
    })
}

/// A decimal amount ("1200.50" or 1200.5) in minor units of `currency`.
fn minor_units(v: &Value, currency: &str) -> Option<i64> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let digits = minor_digits(currency) as usize;
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let negative = whole.starts_with('-');
    let whole: i64 = whole.trim_start_matches('-').parse().ok()?;
    let mut frac = frac.to_string();
    if frac.len() > digits {
        frac.truncate(digits); // sub-minor fractions do not exist on an invoice
    }
    while frac.len() < digits {
        frac.push('0');
    }
    let frac: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    let minor = whole * 10i64.pow(digits as u32) + frac;
    Some(if negative { -minor } else { minor })
}

fn day(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| s.len() >= 10)
        .map(|s| s[..10].to_string())
}

fn order_id(s: &Value) -> Result<String, String> {
    s.get("id")
        .or_else(|| s.get("subscription_id"))
        .and_then(id_text)
        .ok_or_else(|| "has no id".to_string())
}

fn order_currency(s: &Value) -> String {
    s.get("currency")
        .and_then(Value::as_str)
        .unwrap_or("USD")
        .to_ascii_uppercase()
}

/// The plan of the first line item.
fn plan_of(s: &Value) -> Option<&str> {
    s.get("line_items")
        .and_then(Value::as_array)
        .and_then(|items| items.first())
        .and_then(|i| i.get("plan_name").or_else(|| i.get("brick_name")))
        .and_then(Value::as_str)
}

/// A subscription's stage as Salesbricks' UI names it: `AWAITING_COUNTERSIGN` → "awaiting countersign".
fn stage_of(s: &Value) -> Option<String> {
    s.get("stage")
        .and_then(Value::as_str)
        .map(|st| st.trim().replace(['_', '-'], " ").to_lowercase())
        .filter(|st| !st.is_empty())
}

/// The Pipeline deal of an order, if it belongs there: open and awaiting-countersign orders, lost
/// ones (with the reason from `metadata`, else "unknown"), and orders won in the last 90 days.
pub fn deal(
    s: &Value,
    customer_id: &str,
    stages: &[super::Stage],
    today: chrono::NaiveDate,
) -> Option<Result<DealRecord, String>> {
    let stage = stage_of(s)?;
    let starts = s
        .get("starts_at")
        .and_then(Value::as_str)
        .and_then(|d| d.get(..10))
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let wanted = match stage.as_str() {
        "open" | "awaiting countersign" | "closed lost" => true,
        "closed won" => starts.is_some_and(|d| (today - d).num_days() <= 90),
        _ => false, // "closed delete": not a deal any more
    };
    if !wanted {
        return None;
    }
    Some((|| {
        let id = order_id(s)?;
        let currency = order_currency(s);
        let amount = s
            .get("grand_total")
            .and_then(|v| minor_units(v, &currency))
            .ok_or("has no grand_total")?;
        let plan = plan_of(s).unwrap_or("Salesbricks");
        // An open order has its proposal out.
        let title = if stage == "open" { "proposal" } else { stage.as_str() };
        let key = super::stage_for(title, stages).ok_or("the workspace has no pipeline stages")?;
        let reason = (stage == "closed lost").then(|| {
            ["closed_lost_reason", "lost_reason", "reason"]
                .iter()
                .find_map(|k| s.pointer(&format!("/metadata/{k}")).and_then(Value::as_str))
                .unwrap_or("unknown")
                .to_string()
        });
        Ok(DealRecord {
            source: SOURCE,
            external_id: id,
            company: (SOURCE, customer_id.to_string()),
            name: format!("{plan} order"),
            stage: key,
            vendor_stage: stage.clone(),
            amount_minor: amount,
            currency: Some(currency),
            expected_close: starts.map(|d| d.format("%Y-%m-%d").to_string()),
            closed_lost_reason: reason,
        })
    })())
}

pub fn contract(
    s: &Value,
    customer_id: &str,
    stripe_customer: Option<&str>,
    rates: &Rates,
) -> Result<RevenueRecord, String> {
    let id = order_id(s)?;
    let currency = order_currency(s);
    let mut vendor_status = s
        .get("status")
        .and_then(Value::as_str)
        .ok_or("has no status")?
        .to_ascii_lowercase();
    // An order not yet signed (or lost, or deleted) is no revenue, whatever its status says.
    if stage_of(s).is_some_and(|st| st != "closed won") {
        vendor_status = "pending".into();
    }
    let frequency = s
        .get("billing_frequency")
        .and_then(Value::as_str)
        .and_then(BillingFrequency::parse)
        .ok_or("has no known billing_frequency")?;
    let grand_total = s
        .get("grand_total")
        .and_then(|v| minor_units(v, &currency))
        .ok_or("has no grand_total")?;
    let line = salesbricks_mrr(
        &SalesbricksContract {
            status: vendor_status.clone(),
            grand_total,
            billing_frequency: frequency,
            currency: currency.clone(),
            stripe_customer_id: stripe_customer.map(str::to_string),
        },
        false,
        rates,
    )
    .map_err(|e| e.to_string())?;
    let status = match vendor_status.as_str() {
        "active" | "closed_won" | "complete" => "active".to_string(),
        "canceled" | "cancelled" | "terminated" | "expired" | "ended" | "closed_lost" => "canceled".to_string(),
        other => other.to_string(),
    };
    let (interval, count) = match frequency {
        BillingFrequency::Monthly => ("month", 1),
        BillingFrequency::Quarterly => ("month", 3),
        BillingFrequency::SemiAnnually => ("month", 6),
        BillingFrequency::Annually | BillingFrequency::OneTime => ("year", 1),
    };
    let plan = plan_of(s)
        .or_else(|| s.get("name").and_then(Value::as_str))
        .unwrap_or("Salesbricks contract")
        .to_string();
    let live = status == "active";
    let ends = day(s.get("terminates_at")).or_else(|| day(s.get("ends_at")));
    Ok(RevenueRecord {
        source: SOURCE,
        external_id: id,
        company: (SOURCE, customer_id.to_string()),
        plan,
        currency,
        mrr_minor: line.mrr,
        counted: !line.flags.not_counted,
        billing_interval: interval,
        interval_count: count,
        start_date: day(s.get("starts_at")).ok_or("has no starts_at")?,
        renewal_date: if live {
            day(s.get("renews_at")).or_else(|| ends.clone())
        } else {
            None
        },
        end_date: ends,
        payment_state: "none",
        auto_renew: live && s.get("renews_at").is_some_and(|v| !v.is_null()),
        cancel_at_period_end: false,
        stripe_customer_id: stripe_customer.map(str::to_string),
        status,
        trial: None,
    })
}

/// The trial a subscription began with, from its orders (`GET /subscriptions/{id}/orders`): its
/// TRIAL order, converted once a paid order (STANDARD, RENEWAL, UPGRADE) follows, lapsed when it
/// ended without one or the contract was lost, running otherwise. Its potential is the contract's
/// ARR as if active.
pub fn trial_of(
    orders: &Value,
    subscription: &Value,
    contract: &RevenueRecord,
    rates: &Rates,
    today: NaiveDate,
) -> Option<TrialRecord> {
    let list = orders
        .get("results")
        .and_then(Value::as_array)
        .or_else(|| orders.as_array())?;
    let kind = |o: &Value| {
        o.get("order_type")
            .and_then(Value::as_str)
            .map(|t| t.trim().to_ascii_uppercase())
            .unwrap_or_default()
    };
    let trial = list.iter().find(|o| kind(o) == "TRIAL")?;
    let started_on = day(trial.get("starts_at"))?;
    let ends_on = day(trial.get("ends_at"))?;
    let paid = list
        .iter()
        .any(|o| matches!(kind(o).as_str(), "STANDARD" | "RENEWAL" | "UPGRADE"));
    // `contract` reads the status; a lost or deleted order shows only in its stage.
    let lost = contract.status == "canceled"
        || stage_of(subscription).is_some_and(|st| st == "closed lost" || st == "closed delete");
    let ended = NaiveDate::parse_from_str(&ends_on, "%Y-%m-%d").is_ok_and(|d| d < today);
    let outcome = if paid {
        Some("converted")
    } else if lost || ended {
        Some("lapsed")
    } else {
        None
    };
    let currency = order_currency(subscription);
    let potential = match (
        subscription
            .get("billing_frequency")
            .and_then(Value::as_str)
            .and_then(BillingFrequency::parse),
        subscription.get("grand_total").and_then(|v| minor_units(v, &currency)),
    ) {
        (Some(billing_frequency), Some(grand_total)) => salesbricks_mrr(
            &SalesbricksContract {
                status: "active".into(),
                grand_total,
                billing_frequency,
                currency: currency.clone(),
                stripe_customer_id: None,
            },
            false,
            rates,
        )
        .map(|l| l.mrr * 12)
        .unwrap_or(0),
        _ => 0,
    };
    let seats = subscription
        .get("line_items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("quantity").and_then(Value::as_i64))
                .sum()
        })
        .filter(|n: &i64| *n > 0)
        .unwrap_or(1);
    Some(TrialRecord {
        started_on,
        ends_on,
        seats,
        potential_arr_minor: potential,
        outcome,
    })
}

/// Salesbricks in the connector registry.
pub struct Salesbricks;

#[async_trait::async_trait]
impl super::registry::Connector for Salesbricks {
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
        sync(http, run, &inputs.rates, &inputs.stages).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn orders_become_pipeline_deals_and_unsigned_ones_are_no_revenue() {
        let stages: Vec<super::super::Stage> = crate::demo::default_stages()
            .into_iter()
            .map(|s| (s.key, s.label, s.outcome.to_string()))
            .collect();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let order = |stage: &str, starts: &str, metadata: Value| {
            json!({"id": "sbs_1", "status": "ACTIVE", "stage": stage, "billing_frequency": "ANNUALLY", "currency": "USD",
                "grand_total": "12000.00", "starts_at": starts, "metadata": metadata,
                "line_items": [{"plan_name": "Scale", "quantity": 10}]})
        };
        let open = order("OPEN", "2026-12-01T00:00:00Z", json!({}));
        let d = deal(&open, "sbc_1", &stages, today).unwrap().unwrap();
        assert_eq!(
            (d.stage.as_str(), d.amount_minor, d.name.as_str()),
            ("proposal", 1_200_000, "Scale order")
        );
        assert_eq!(
            contract(&open, "sbc_1", None, &Rates::new("USD")).unwrap().mrr_minor,
            0,
            "not signed yet"
        );
        let waiting = deal(
            &order("AWAITING_COUNTERSIGN", "2026-12-01", json!({})),
            "c",
            &stages,
            today,
        );
        assert_eq!(waiting.unwrap().unwrap().stage, "awaiting_countersign");
        let lost = deal(
            &order("closed_lost", "2026-10-01", json!({"closed_lost_reason": "Budget"})),
            "c",
            &stages,
            today,
        );
        assert_eq!(lost.unwrap().unwrap().closed_lost_reason.as_deref(), Some("Budget"));
        let lost = deal(&order("CLOSED_LOST", "2026-10-01", json!({})), "c", &stages, today);
        assert_eq!(lost.unwrap().unwrap().closed_lost_reason.as_deref(), Some("unknown"));
        assert!(
            deal(&order("CLOSED_WON", "2026-01-01", json!({})), "c", &stages, today).is_none(),
            "long won"
        );
        assert!(deal(&order("CLOSED_WON", "2026-11-01", json!({})), "c", &stages, today).is_some());
        assert!(deal(&order("CLOSED_DELETE", "2026-11-01", json!({})), "c", &stages, today).is_none());
    }

    #[test]
    fn contracts_carry_arr_from_grand_total_and_frequency() {
        let rates = Rates::new("USD");
        let s = json!({"id": "sub_a", "status": "ACTIVE", "billing_frequency": "QUARTERLY", "currency": "usd",
            "grand_total": "3000.00", "starts_at": "2026-01-01T00:00:00Z", "renews_at": "2027-01-01T00:00:00Z",
            "line_items": [{"brick_name": "Seats", "plan_name": "Growth", "quantity": 10}]});
        let r = contract(&s, "c1", Some("cus_9"), &rates).unwrap();
        assert_eq!(r.mrr_minor, 100_000, "$3,000 a quarter is $1,000 a month");
        assert_eq!((r.status.as_str(), r.plan.as_str()), ("active", "Growth"));
        assert_eq!(r.renewal_date.as_deref(), Some("2027-01-01"));
        assert_eq!(r.stripe_customer_id.as_deref(), Some("cus_9"));
        assert_eq!((r.billing_interval, r.interval_count), ("month", 3));
        let mut once = s.clone();
        once["billing_frequency"] = json!("one_time");
        assert!(!contract(&once, "c1", None, &rates).unwrap().counted);
        assert_eq!(minor_units(&json!(12.5), "USD"), Some(1250));
        assert_eq!(minor_units(&json!("1000"), "JPY"), Some(1000));
        assert!(contract(&json!({"id": "x", "status": "active"}), "c1", None, &rates).is_err());
    }
}
