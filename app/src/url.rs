//! List state lives in the URL (`?page=2&q=hooli&sort=renewal&filter=past_due`) so a view can be
//! bookmarked and shared. These helpers read and write that query string.

use crate::kit::ListQuery;

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Builds `?…` for a list query, leaving out defaults so URLs stay short.
/// A link from outside data (a feed, a release, a signal) that may be rendered: `http(s)` only,
/// or a path on this site; `javascript:`, `data:` and anything else is dropped.
pub fn safe_href(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    let local = url.starts_with('/') && !url.starts_with("//") || url.starts_with('#');
    let clean = !url.chars().any(|c| c.is_control() || c == '\\');
    ((web || local) && clean).then(|| url.to_string())
}

pub fn list_href(path: &str, query: &ListQuery) -> String {
    let mut parts = Vec::new();
    if query.page > 1 {
        parts.push(format!("page={}", query.page));
    }
    for (key, value) in [
        ("q", &query.q),
        ("sort", &query.sort),
        ("filter", &query.filter),
        ("band", &query.band),
        ("bucket", &query.bucket),
        ("owner", &query.owner),
        ("renewal", &query.renewal),
        ("payment", &query.payment),
        ("untracked", &query.untracked),
        ("reason", &query.reason),
        ("source", &query.source),
        ("view", &query.view),
        ("project", &query.project),
    ] {
        if !value.trim().is_empty() {
            parts.push(format!("{key}={}", encode_component(value.trim())));
        }
    }
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// Reads a list query from URL parameters; junk in `page` falls back to the first page.
pub fn list_query_from(get: impl Fn(&str) -> Option<String>) -> ListQuery {
    ListQuery {
        page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        q: get("q").unwrap_or_default(),
        sort: get("sort").unwrap_or_default(),
        filter: get("filter").unwrap_or_default(),
        band: get("band").unwrap_or_default(),
        bucket: get("bucket").unwrap_or_default(),
        owner: get("owner").unwrap_or_default(),
        renewal: get("renewal").unwrap_or_default(),
        payment: get("payment").unwrap_or_default(),
        untracked: get("untracked").unwrap_or_default(),
        reason: get("reason").unwrap_or_default(),
        source: get("source").unwrap_or_default(),
        view: get("view").unwrap_or_default(),
        project: get("project").unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_local_links_are_rendered() {
        assert_eq!(
            safe_href("https://github.com/x/y/releases").as_deref(),
            Some("https://github.com/x/y/releases")
        );
        assert_eq!(safe_href("HTTP://example.com").as_deref(), Some("HTTP://example.com"));
        assert_eq!(
            safe_href("/accounts/4#signal-2").as_deref(),
            Some("/accounts/4#signal-2")
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "vbscript:x",
            "https://a\nb",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn hrefs_leave_out_defaults_and_encode_search_text() {
        assert_eq!(list_href("/health", &ListQuery::default()), "/health");
        let q = ListQuery {
            page: 2,
            q: "Bream & Hall".into(),
            sort: "name".into(),
            ..Default::default()
        };
        assert_eq!(list_href("/health", &q), "/health?page=2&q=Bream+%26+Hall&sort=name");
    }

    #[test]
    fn junk_page_numbers_fall_back_to_the_first_page() {
        let q = list_query_from(|k| (k == "page").then(|| "abc".to_string()));
        assert_eq!(q.page(), 1);
        let q = list_query_from(|k| (k == "page").then(|| "7".to_string()));
        assert_eq!(q.page(), 7);
    }
}
