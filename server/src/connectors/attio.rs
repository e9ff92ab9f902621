//! Attio: deals for Pipeline, for teams whose CRM is Attio rather than Salesbricks. Companies link
//! to accounts by domain (never creating one); deals land on their company's account in the
//! workspace stage whose name matches Attio's status (else by won / lost / open). A deal moved in
//! Success keeps its stage until Attio's own stage changes. Pages with `limit`/`offset`; a page
//! shorter than the limit is the last; a deal no longer listed then, which Attio confirms deleted,
//! is removed (Attio deletes records outright). A value without its currency takes the
//! attribute's, else the workspace's.

use super::http::{array, VendorConfig, VendorError, VendorHttp};
use super::{keep_by, stage_for, Stage, SyncError, SyncRun};
use crate::store::sync::{CompanyRecord, DealRecord, Gone, LinkRecord, Records, SyncPage, DONE};
use app::matching::normalise_domain;
use serde_json::{json, Value};

pub const BASE_URL: &str = "https://api.attio.com";
pub const SOURCE: &str = "attio";
const VENDOR: &str = "Attio";
/// Attio allows 25 reads a second... per workspace token; stay well under.
const PER_SECOND: f64 = 10.0;
pub const PAGE: usize = 500;

pub fn client(http: reqwest::Client, base_url: Option<&str>, token: &str) -> VendorHttp {
    let mut config = VendorConfig::new(VENDOR, base_url.unwrap_or(BASE_URL), PER_SECOND);
    config.auth = Some(("Authorization", format!("Bearer {token}")));
    VendorHttp::new(http, config)
}

pub async fn test(http: &VendorHttp) -> Result<String, VendorError> {
    http.post("/v2/objects/deals/records/query", &json!({"limit": 1, "offset": 0}))
        .await?;
    Ok("Attio accepted the token and can read deals.".into())
}

/// Writes a deal's stage back to Attio (`PATCH /v2/objects/deals/records/{id}`; a status attribute
/// takes its title). `titles`: the stage titles seen in Attio, to name `stage` as Attio does;
/// `all`: the workspace's stages. Returns the title sent.
pub async fn write_stage(
    http: &VendorHttp,
    record_id: &str,
    stage: &Stage,
    all: &[Stage],
    titles: &[String],
) -> Result<String, VendorError> {
    // Its own name first, then a title Attio used that maps to it ("Won 🎉" for Closed won).
    let title = titles
        .iter()
        .find(|t| exact(t, stage))
        .or_else(|| {
            titles
                .iter()
                .find(|t| stage_for(t, all).as_deref() == Some(stage.0.as_str()))
        })
        .cloned()
        .unwrap_or_else(|| stage.1.clone());
    if !is_record_id(record_id) {
        return Err(VendorError::Unusable {
            vendor: VENDOR.into(),
            message: format!("{record_id:?} is not an Attio record id"),
        });
    }
    let path = format!("/v2/objects/deals/records/{record_id}");
    http.send(
        reqwest::Method::PATCH,
        &path,
        Some(&json!({"data": {"values": {"stage": title}}})),
    )
    .await?;
    Ok(title)
}

/// Whether an Attio title names this stage itself (not only its outcome).
fn exact(title: &str, (key, label, _): &Stage) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    norm(title) == norm(label) || norm(title) == norm(key)
}

pub async fn sync(http: &VendorHttp, run: &mut SyncRun<'_>, stages: &[Stage]) -> Result<(), SyncError> {
    for resource in ["companies", "deals"] {
        // The cursor is "<offset> <when the listing began>": deals not written since are checked
        // with Attio once the listing is complete.
        let (mut offset, since) = match run.cursor(resource).await? {
            Some(c) if c == DONE => continue,
            Some(c) => match c.split_once(' ') {
                Some((offset, since)) => (offset.parse().unwrap_or(0), since.to_string()),
                None => (c.parse().unwrap_or(0), (run.now)().to_rfc3339()),
            },
            None => (0usize, (run.now)().to_rfc3339()),
        };
        let currency = if resource == "deals" {
            deal_currency(http).await?
        } else {
            None
        };
        loop {
            let reply = http
                .post(
                    &format!("/v2/objects/{resource}/records/query"),
                    &json!({"limit": PAGE, "offset": offset, "sorts": [{"attribute": "created_at", "direction": "asc"}]}),
                )
                .await?;
            let data = array(VENDOR, &reply.body, "data")?;
            let last = data.len() < PAGE;
            let mut skipped = Vec::new();
            let mut repaired = Vec::new();
            let records = if resource == "companies" {
                Records::Links(keep_by(data, record_id, company, &mut skipped))
            } else {
                let deals = keep_by(
                    data,
                    record_id,
                    |r| {
                        let (deal, repair) = deal(r, stages, currency.as_deref())?;
                        if let Some(why) = repair {
                            repaired.push((deal.external_id.clone(), why));
                        }
                        Ok(deal)
                    },
                    &mut skipped,
                );
                // Attio deletes a record outright: it is simply no longer listed.
                let gone = if last {
                    Gone::Ids(SOURCE, deleted_since(http, run, &since, data).await?)
                } else {
                    Gone::Nothing
                };
                Records::Deals(deals, gone)
            };
            offset += data.len();
            run.write(SyncPage {
                resource,
                companies: Vec::new(),
                records,
                next_cursor: (!last).then(|| format!("{offset} {since}")),
                fetched: data.len(),
                skipped,
                repaired,
            })
            .await?;
            if last {
                break;
            }
        }
    }
    Ok(())
}

/// Deals a complete listing did not bring that Attio confirms deleted (`GET` answers 404). Not
/// being listed alone is no proof: a deal deleted while the listing paged by offset shifts the
/// next one past a page boundary, and a deal skipped as malformed was listed but not written.
/// `since`: when the listing began; `last_page`: the listing's last page, written with these.
async fn deleted_since(
    http: &VendorHttp,
    run: &SyncRun<'_>,
    since: &str,
    last_page: &[Value],
) -> Result<Vec<String>, SyncError> {
    /// At most this many are checked a run; the rest wait for the next.
    const CHECKS: usize = 200;
    let on_page: Vec<&str> = last_page.iter().filter_map(record_id).collect();
    let candidates = run
        .store
        .deals_not_updated_since(run.workspace_id, SOURCE, since)
        .await?;
    let mut gone = Vec::new();
    for id in candidates
        .into_iter()
        .filter(|id| !on_page.contains(&id.as_str()) && is_record_id(id))
        .take(CHECKS)
    {
        match http.get(&format!("/v2/objects/deals/records/{id}")).await {
            Err(VendorError::Rejected { status: 404, .. }) => gone.push(id),
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(gone)
}

fn is_record_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The currency of the deals' `value` attribute: Attio keeps it on the attribute
/// (`config.currency.default_currency_code`), and a value may come without its own code.
async fn deal_currency(http: &VendorHttp) -> Result<Option<String>, VendorError> {
    match http.get("/v2/objects/deals/attributes/value").await {
        Ok(reply) => Ok(reply
            .body
            .pointer("/data/config/currency/default_currency_code")
            .and_then(Value::as_str)
            .filter(|c| c.len() == 3)
            .map(str::to_ascii_uppercase)),
        // A workspace whose deals have no value attribute.
        Err(VendorError::Rejected { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn record_id(r: &Value) -> Option<&str> {
    r.pointer("/id/record_id").and_then(Value::as_str)
}

/// The current (first) value of an attribute.
fn first<'a>(r: &'a Value, slug: &str) -> Option<&'a Value> {
    r.pointer(&format!("/values/{slug}"))
        .and_then(Value::as_array)
        .and_then(|values| values.iter().find(|v| v.get("active_until").is_none_or(Value::is_null)))
}

fn text<'a>(r: &'a Value, slug: &str) -> Option<&'a str> {
    first(r, slug)
        .and_then(|v| v.get("value"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub fn company(r: &Value) -> Result<LinkRecord, String> {
    let id = record_id(r).ok_or("has no record_id")?;
    // Every active domain, in Attio's order: a company may list an old or holding domain first.
    let mut domains: Vec<String> = r
        .pointer("/values/domains")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("active_until").is_none_or(Value::is_null))
        .filter_map(|d| d.get("domain").and_then(Value::as_str))
        .map(normalise_domain)
        .collect();
    domains.dedup();
    let domain = (!domains.is_empty()).then(|| domains.remove(0));
    Ok(LinkRecord {
        other_domains: domains,
        company: CompanyRecord {
            source: SOURCE,
            external_id: id.to_string(),
            name: text(r, "name").unwrap_or(id).to_string(),
            domain,
            also: Vec::new(),
        },
        licensed_seats: None,
    })
}

/// A deal, and why it was repaired if it was. `currency`: the value attribute's own currency.
pub fn deal(r: &Value, stages: &[Stage], currency: Option<&str>) -> Result<(DealRecord, Option<String>), String> {
    let id = record_id(r).ok_or("has no record_id")?;
    let name = text(r, "name").ok_or("has no name")?;
    let status = first(r, "stage")
        .and_then(|s| s.pointer("/status/title"))
        .and_then(Value::as_str)
        .ok_or("has no stage")?;
    let stage = stage_for(status, stages).ok_or("the workspace has no pipeline stages")?;
    let company = first(r, "associated_company")
        .and_then(|c| c.get("target_record_id"))
        .and_then(Value::as_str)
        .ok_or("has no associated company")?;
    let mut repaired = None;
    let (amount_minor, currency) = match first(r, "value") {
        None => (0, None),
        Some(v) => {
            let amount = v
                .get("currency_value")
                .and_then(Value::as_f64)
                .filter(|a| a.is_finite() && *a >= 0.0)
                .ok_or("has a value that is not an amount")?;
            let code = v
                .get("currency_code")
                .and_then(Value::as_str)
                .filter(|c| c.len() == 3)
                .map(str::to_ascii_uppercase)
                .or_else(|| currency.map(str::to_string));
            if code.is_none() {
                repaired = Some("its value has no currency: the workspace currency is used".to_string());
            }
            let digits = app::revenue::minor_digits(code.as_deref().unwrap_or(""));
            let minor = (amount * 10f64.powi(digits as i32)).round() as i64;
            (minor, code)
        }
    };
    let lost_reason = first(r, "lost_reason").and_then(|v| {
        v.get("value")
            .and_then(Value::as_str)
            .or_else(|| v.pointer("/option/title").and_then(Value::as_str))
            .map(str::to_string)
    });
    let deal = DealRecord {
        source: SOURCE,
        external_id: id.to_string(),
        company: (SOURCE, company.to_string()),
        name: name.to_string(),
        vendor_stage: status.to_string(),
        stage,
        amount_minor,
        currency,
        expected_close: first(r, "close_date")
            .and_then(|v| v.get("value"))
            .and_then(Value::as_str)
            .and_then(|d| d.get(..10))
            .map(str::to_string),
        closed_lost_reason: lost_reason,
    };
    Ok((deal, repaired))
}

/// Attio in the connector registry.
pub struct Attio;

#[async_trait::async_trait]
impl super::registry::Connector for Attio {
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
        sync(http, run, &inputs.stages).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages() -> Vec<Stage> {
        crate::demo::default_stages()
            .into_iter()
            .map(|s| (s.key, s.label, s.outcome.to_string()))
            .collect()
    }

    #[test]
    fn attio_statuses_map_to_workspace_stages() {
        let s = stages();
        assert_eq!(stage_for("Proposal", &s).as_deref(), Some("proposal"));
        assert_eq!(
            stage_for("Awaiting countersign", &s).as_deref(),
            Some("awaiting_countersign")
        );
        assert_eq!(stage_for("Won 🎉", &s).as_deref(), Some("closed_won"));
        assert_eq!(stage_for("Lost", &s).as_deref(), Some("closed_lost"));
        assert_eq!(stage_for("In Progress", &s).as_deref(), Some("discovery"));
    }

    #[test]
    fn deals_carry_amount_company_and_reason() {
        let d = deal(
            &json!({"id": {"workspace_id": "w", "object_id": "o", "record_id": "deal-1"}, "values": {
                "name": [{"active_from": "2026-01-01", "active_until": null, "attribute_type": "text", "value": "Hooli expansion"}],
                "stage": [{"attribute_type": "status", "status": {"title": "Lost"}}],
                "value": [{"attribute_type": "currency", "currency_value": 12000.5, "currency_code": "eur"}],
                "associated_company": [{"target_object": "companies", "target_record_id": "co-9"}],
                "lost_reason": [{"attribute_type": "select", "option": {"title": "Budget"}}]
            }}),
            &stages(),
            None,
        )
        .unwrap()
        .0;
        assert_eq!((d.amount_minor, d.currency.as_deref()), (1_200_050, Some("EUR")));
        assert_eq!(d.stage, "closed_lost");
        assert_eq!(d.closed_lost_reason.as_deref(), Some("Budget"));
        assert!(deal(&json!({"id": {"record_id": "x"}, "values": {}}), &stages(), None).is_err());
    }
}
