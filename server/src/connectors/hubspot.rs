//! HubSpot: company enrichment — industry, size, country and the workspace's custom company
//! properties — for accounts that billing or contracts brought in. HubSpot also holds prospects that
//! are nobody's account yet: a company that matches no account (by a linked id or its domain) is
//! skipped and counted, never turned into an account. Pages with `after`, 100 a page; a portal
//! with many custom properties has each page read again through `batch/read`. Dropdown values
//! are shown by their options' labels.

use super::http::{VendorConfig, VendorError, VendorHttp};
use super::{keep, SyncError, SyncRun};
use crate::store::sync::{EnrichmentRecord, Records, SyncPage, DONE};
use app::matching::normalise_domain;
use serde_json::Value;

pub const BASE_URL: &str = "https://api.hubapi.com";
pub const SOURCE: &str = "hubspot";
const VENDOR: &str = "HubSpot";
const PAGE: usize = 100;
/// Private apps may send 100 requests per 10 seconds; stay under.
const PER_SECOND: f64 = 9.0;
/// Property names a list URL carries at most (HubSpot answers 414 past about 8 KB).
const MAX_PROPERTIES_IN_URL: usize = 2_000;
const STANDARD: &[&str] = &[
    "name",
    "domain",
    "industry",
    "numberofemployees",
    "city",
    "state",
    "country",
];

pub fn client(http: reqwest::Client, base_url: Option<&str>, token: &str) -> VendorHttp {
    let mut config = VendorConfig::new(VENDOR, base_url.unwrap_or(BASE_URL), PER_SECOND);
    config.auth = Some(("Authorization", format!("Bearer {token}")));
    VendorHttp::new(http, config)
}

pub async fn test(http: &VendorHttp) -> Result<String, VendorError> {
    http.get("/crm/v3/objects/companies?limit=1&properties=name").await?;
    Ok("HubSpot accepted the token.".into())
}

/// A company property of the portal's own: its internal name, its label, and for a dropdown,
/// radio or checkbox (`type: enumeration`) each option's internal value and label.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Custom {
    pub name: String,
    pub label: String,
    pub options: Vec<(String, String)>,
}

impl Custom {
    /// A stored value as HubSpot shows it: an option's label (several, `;`-separated, for a
    /// checkbox), else the value itself.
    fn shown(&self, value: &str) -> String {
        if self.options.is_empty() {
            return value.to_string();
        }
        value
            .split(';')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| {
                self.options
                    .iter()
                    .find(|(value, _)| value == v)
                    .map_or(v, |(_, label)| label.as_str())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The workspace's own company properties (not HubSpot's).
async fn custom_properties(http: &VendorHttp) -> Result<Vec<Custom>, VendorError> {
    let reply = http.get("/crm/v3/properties/companies").await?;
    let results = super::http::array(VENDOR, &reply.body, "results")?;
    Ok(results
        .iter()
        // Present (and true) only on HubSpot's own properties; absent means the portal's.
        .filter(|p| p.get("hubspotDefined").and_then(Value::as_bool) != Some(true))
        .filter(|p| p.get("hidden").and_then(Value::as_bool) != Some(true))
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?.to_string();
            let options = if p.get("type").and_then(Value::as_str) == Some("enumeration") {
                p.get("options")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|o| {
                        Some((
                            o.get("value")?.as_str()?.to_string(),
                            o.get("label")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Some(Custom {
                label: p.get("label").and_then(Value::as_str).unwrap_or(&name).to_string(),
                name,
                options,
            })
        })
        .collect())
}

pub async fn sync(http: &VendorHttp, run: &mut SyncRun<'_>) -> Result<(), SyncError> {
    let resource = "companies";
    let mut cursor = run.cursor(resource).await?;
    if cursor.as_deref() == Some(DONE) {
        return Ok(());
    }
    let custom = custom_properties(http).await?;
    let mut wanted: Vec<&str> = STANDARD.to_vec();
    wanted.extend(custom.iter().map(|c| c.name.as_str()));
    // A long list in the URL is refused (414): then each page's companies are read again, with
    // every property named in a batch read's body.
    let all = wanted.join(",");
    let in_url = all.len() <= MAX_PROPERTIES_IN_URL;
    let listed = if in_url { all } else { STANDARD.join(",") };
    loop {
        let mut path = format!("/crm/v3/objects/companies?limit={PAGE}&archived=false&properties={listed}");
        if let Some(after) = &cursor {
            path.push_str(&format!("&after={}", app::url::encode_component(after)));
        }
        let reply = http.get(&path).await?;
        let listed_page = super::http::array(VENDOR, &reply.body, "results")?;
        let batch;
        let results = if in_url || listed_page.is_empty() {
            listed_page
        } else {
            let inputs: Vec<Value> = listed_page
                .iter()
                .filter_map(|c| c.get("id"))
                .map(|id| serde_json::json!({ "id": id }))
                .collect();
            batch = http
                .post(
                    "/crm/v3/objects/companies/batch/read",
                    &serde_json::json!({"inputs": inputs, "properties": wanted, "propertiesWithHistory": []}),
                )
                .await?;
            super::http::array(VENDOR, &batch.body, "results")?
        };
        let next = reply
            .body
            .pointer("/paging/next/after")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut skipped = Vec::new();
        let records = Records::Enrichments(keep(results, |r| company(r, &custom), &mut skipped));
        run.write(SyncPage {
            resource,
            companies: Vec::new(),
            records,
            next_cursor: next.clone(),
            fetched: listed_page.len(),
            skipped,
            repaired: Vec::new(),
        })
        .await?;
        match next {
            Some(n) => cursor = Some(n),
            None => return Ok(()),
        }
    }
}

/// HubSpot sends every property as a string (or null).
fn prop<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    r.pointer(&format!("/properties/{name}"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

pub fn company(r: &Value, custom: &[Custom]) -> Result<EnrichmentRecord, String> {
    let id = r.get("id").and_then(Value::as_str).ok_or("has no id")?.to_string();
    let domain = prop(r, "domain").map(normalise_domain);
    let employees = match prop(r, "numberofemployees") {
        None => None,
        Some(n) => Some(
            n.replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .ok_or_else(|| format!("has a number of employees that is not a number: {n:?}"))? as i64,
        ),
    };
    Ok(EnrichmentRecord {
        source: SOURCE,
        external_id: id,
        name: prop(r, "name").unwrap_or("").to_string(),
        domain,
        industry: prop(r, "industry").map(humanise),
        employees,
        country: prop(r, "country").map(str::to_string),
        custom_fields: custom
            .iter()
            .filter_map(|c| prop(r, &c.name).map(|v| (c.label.clone(), c.shown(v))))
            .collect(),
    })
}

/// HubSpot's industry values are enum names ("COMPUTER_SOFTWARE"): "Computer software".
fn humanise(value: &str) -> String {
    if !value.contains('_') && value.chars().any(|c| c.is_lowercase()) {
        return value.to_string();
    }
    let lower = value.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Hubspot in the connector registry.
pub struct Hubspot;

#[async_trait::async_trait]
impl super::registry::Connector for Hubspot {
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
        _: &super::registry::SyncInputs,
    ) -> Result<(), SyncError> {
        sync(http, run).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn companies_carry_enrichment_and_custom_fields_by_label() {
        let custom = vec![
            Custom {
                name: "tier".into(),
                label: "Customer tier".into(),
                options: vec![("tier_1".into(), "Gold".into())],
            },
            Custom {
                name: "modules".into(),
                label: "Modules".into(),
                options: vec![("sso".into(), "Single sign-on".into()), ("api".into(), "API".into())],
            },
        ];
        let c = company(
            &json!({"id": "17", "properties": {"name": "Hooli", "domain": "https://www.Hooli.com/",
                "industry": "COMPUTER_SOFTWARE", "numberofemployees": "5,000", "country": "United States",
                "tier": "tier_1", "modules": "sso;api", "city": null}}),
            &custom,
        )
        .unwrap();
        assert_eq!(c.domain.as_deref(), Some("hooli.com"));
        assert_eq!(c.industry.as_deref(), Some("Computer software"));
        assert_eq!(c.employees, Some(5_000));
        assert_eq!(
            c.custom_fields,
            vec![
                ("Customer tier".to_string(), "Gold".to_string()),
                ("Modules".to_string(), "Single sign-on, API".to_string())
            ]
        );
        let bad = company(
            &json!({"id": "18", "properties": {"numberofemployees": "lots"}}),
            &custom,
        );
        assert!(bad.unwrap_err().contains("not a number"));
    }
}
