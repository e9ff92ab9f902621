//! GitHub releases: what shipped, for Close the Loop. Each configured repository's published
//! releases (drafts are not shipped), 100 a page, following the `Link` header. A token is only
//! needed for private repositories or more than 60 requests an hour.

use super::http::{VendorConfig, VendorError, VendorHttp};
use super::{SyncError, SyncRun};
use crate::store::sync::{Records, ReleaseRecord, SyncPage, DONE};
use serde_json::Value;

pub const BASE_URL: &str = "https://api.github.com";
pub const SOURCE: &str = "github";
const VENDOR: &str = "GitHub";
/// 5,000 an hour with a token; pacing keeps bursts polite.
const PER_SECOND: f64 = 5.0;

pub fn client(http: reqwest::Client, base_url: Option<&str>, token: &str) -> VendorHttp {
    let mut config = VendorConfig::new(VENDOR, base_url.unwrap_or(BASE_URL), PER_SECOND);
    if !token.is_empty() {
        config.auth = Some(("Authorization", format!("Bearer {token}")));
    }
    VendorHttp::new(http, config)
}

pub async fn test(http: &VendorHttp, repositories: &[String]) -> Result<String, VendorError> {
    for repo in repositories {
        http.get(&format!("/repos/{repo}/releases?per_page=1"))
            .await
            .map_err(|e| match e {
                VendorError::Rejected { status: 404, .. } => VendorError::Unusable {
                    vendor: VENDOR.into(),
                    message: format!("{repo} was not found (a private repository needs a token that can read it)."),
                },
                other => other,
            })?;
    }
    Ok(format!("GitHub can read the releases of {}.", repositories.join(", ")))
}

/// The cursor is `<repository index>` or `<repository index> <next page URL>`.
pub async fn sync(http: &VendorHttp, run: &mut SyncRun<'_>, repositories: &[String]) -> Result<(), SyncError> {
    let resource = "releases";
    let cursor = run.cursor(resource).await?;
    if cursor.as_deref() == Some(DONE) {
        return Ok(());
    }
    let (mut index, mut next) = match cursor.as_deref().map(|c| c.split_once(' ').unwrap_or((c, ""))) {
        Some((i, url)) => (
            i.parse::<usize>().unwrap_or(0),
            Some(url.to_string()).filter(|u| !u.is_empty()),
        ),
        None => (0, None),
    };
    while index < repositories.len() {
        let repo = &repositories[index];
        let path = next
            .take()
            .unwrap_or_else(|| format!("/repos/{repo}/releases?per_page=100"));
        let reply = http.get(&path).await?;
        let list = reply.body.as_array().ok_or_else(|| VendorError::Malformed {
            vendor: VENDOR.into(),
            detail: "the releases are not a list".into(),
        })?;
        let mut skipped = Vec::new();
        let mut releases = Vec::new();
        for r in list {
            match release(repo, r) {
                Ok(Some(rel)) => releases.push(rel),
                Ok(None) => {} // a draft: not shipped
                Err(why) => skipped.push((format!("{repo}#{}", r.get("id").unwrap_or(&Value::Null)), why)),
            }
        }
        let following = match &reply.next_link {
            Some(url) => Some(format!("{index} {url}")),
            None if index + 1 < repositories.len() => Some((index + 1).to_string()),
            None => None,
        };
        run.write(SyncPage {
            resource,
            companies: Vec::new(),
            records: Records::Releases(releases),
            next_cursor: following,
            fetched: list.len(),
            skipped,
            repaired: Vec::new(),
        })
        .await?;
        match reply.next_link {
            Some(url) => next = Some(url),
            None => index += 1,
        }
    }
    Ok(())
}

/// A published release; `None` for a draft.
pub fn release(repo: &str, r: &Value) -> Result<Option<ReleaseRecord>, String> {
    if r.get("draft").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let id = r.get("id").and_then(Value::as_i64).ok_or("has no id")?;
    let tag = r.get("tag_name").and_then(Value::as_str).unwrap_or("");
    let name = r
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let title = name.unwrap_or(tag);
    if title.is_empty() {
        return Err("has neither a name nor a tag".into());
    }
    let published = r
        .get("published_at")
        .and_then(Value::as_str)
        .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
        .ok_or("has no valid published_at")?;
    Ok(Some(ReleaseRecord {
        source: SOURCE,
        external_id: format!("{repo}#{id}"),
        title: format!("{repo} {title}"),
        body: r.get("body").and_then(Value::as_str).unwrap_or("").to_string(),
        url: r.get("html_url").and_then(Value::as_str).map(str::to_string),
        published_on: published.format("%Y-%m-%d").to_string(),
        published_at: Some(published.format("%Y-%m-%dT%H:%M:%S").to_string()),
    }))
}

/// Github in the connector registry.
pub struct Github;

#[async_trait::async_trait]
impl super::registry::Connector for Github {
    fn source(&self) -> &'static str {
        SOURCE
    }
    fn client(&self, http: reqwest::Client, base_url: Option<&str>, credential: &str) -> VendorHttp {
        client(http, base_url, credential)
    }
    async fn test(&self, http: &VendorHttp, target: &str) -> Result<Result<String, VendorError>, String> {
        Ok(test(http, &app::integrations::repositories(target)?).await)
    }
    async fn sync(
        &self,
        http: &VendorHttp,
        run: &mut SyncRun<'_>,
        inputs: &super::registry::SyncInputs,
    ) -> Result<(), SyncError> {
        let repositories = app::integrations::repositories(&inputs.target).map_err(super::invalid_target)?;
        sync(http, run, &repositories).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drafts_are_not_shipped_and_names_fall_back_to_tags() {
        let r = release(
            "piedpiper/middle-out",
            &json!({"id": 7, "tag_name": "v2.1.0", "name": "", "body": "- Faster export", "draft": false,
                "prerelease": false, "published_at": "2026-11-20T09:00:00Z", "html_url": "https://github.com/x"}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.title, "piedpiper/middle-out v2.1.0");
        assert_eq!(r.published_on, "2026-11-20");
        assert_eq!(
            release(
                "a/b",
                &json!({"id": 8, "tag_name": "v3", "draft": true, "published_at": null})
            )
            .unwrap(),
            None
        );
        assert!(release(
            "a/b",
            &json!({"id": 9, "tag_name": "v3", "draft": false, "published_at": null})
        )
        .is_err());
    }
}
