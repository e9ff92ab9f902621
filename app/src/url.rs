//! List state lives in the URL (`?page=2&q=hooli&sort=renewal&filter=past_due`) so a view can be
//! bookmarked and shared. These helpers read and write that query string.

use crate::model::ListQuery;

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
