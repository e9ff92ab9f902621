//! Fakes of where releases come from: GitHub's releases API (`per_page`/`page` with a `Link`
//! header, drafts, an optional token, 404 for unknown repositories, 429 with `Retry-After` and the
//! `x-ratelimit-*` headers) and a web server with an RSS feed, an Atom feed and a markdown
//! changelog, and feeds shaped as real publishers send them: WordPress's Atom (`wp-includes/
//! feed-atom.php`: HTML titles in CDATA with numeric entities, `rel="alternate"` links), Blogger's
//! (each entry lists its comments feed first, `published` in the blog's own offset, relative
//! `xml:base` links as some generators write them) and an ISO-8859-1 RSS 2.0 feed whose items have
//! neither guid nor link, two of them on one day.

use super::{header, Shared, GITHUB_TOKEN};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub struct ReleasesData {
    /// "owner/name" → releases, newest first, as GitHub lists them.
    pub repos: HashMap<String, Vec<Value>>,
    pub private: Vec<String>,
}

impl ReleasesData {
    /// `piedpiper/middle-out` with `n` releases (every tenth a draft; the third has no date),
    /// and a private `piedpiper/nucleus` with two.
    pub fn generate(n: usize) -> ReleasesData {
        let mut data = ReleasesData::default();
        let release = |repo: &str, i: usize| {
            let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap() - chrono::Duration::days(i as i64 * 3);
            json!({
                "id": 1_000 + i, "tag_name": format!("v{}.{}.0", 9 - i / 50, i % 50),
                "name": if i.is_multiple_of(4) { String::new() } else { format!("Release {i}") },
                "body": format!("## What's new\n- Improvement {i} to {repo}"),
                "draft": i % 10 == 9,
                "prerelease": false,
                "published_at": if i == 2 || i % 10 == 9 { Value::Null } else { json!(format!("{day}T09:00:00Z")) },
                "html_url": format!("https://github.com/{repo}/releases/tag/v{i}"),
            })
        };
        data.repos.insert(
            "piedpiper/middle-out".into(),
            (0..n).map(|i| release("piedpiper/middle-out", i)).collect(),
        );
        data.repos.insert(
            "piedpiper/nucleus".into(),
            (0..2).map(|i| release("piedpiper/nucleus", i)).collect(),
        );
        data.private.push("piedpiper/nucleus".into());
        data
    }

    /// What a sync should store: published releases with a date.
    pub fn shipped(&self, repo: &str) -> usize {
        self.repos.get(repo).map_or(0, |rs| {
            rs.iter()
                .filter(|r| r["draft"] == false && r["published_at"].is_string())
                .count()
        })
    }
}

pub fn routes(state: Shared) -> Router {
    Router::new()
        .route("/repos/{owner}/{repo}/releases", get(releases))
        .route("/feeds/releases.xml", get(rss))
        .route("/feeds/atom.xml", get(atom))
        .route("/feeds/CHANGELOG.md", get(changelog))
        .route("/feeds/not-a-feed", get(not_a_feed))
        .route("/feeds/wordpress/atom", get(wordpress))
        .route("/feeds/blogger/default", get(blogger))
        .route("/feeds/latin1.rss", get(latin1))
        .route("/feeds/piedpiper/middle-out/releases.atom", get(github_atom))
        .with_state(state)
}

fn github_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.as_u16().to_string()})),
    )
        .into_response()
}

/// GitHub's secondary rate limit: 403 (or 429) with `retry-after`, while the hourly quota in
/// `x-ratelimit-remaining` is far from spent (docs.github.com, "Rate limits for the REST API":
/// exceeding a secondary rate limit).
fn throttled(retry_after: u64) -> Response {
    let mut r = github_error(
        StatusCode::FORBIDDEN,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    );
    r.headers_mut().insert("retry-after", retry_after.into());
    r.headers_mut().insert("x-ratelimit-limit", 5000.into());
    r.headers_mut().insert("x-ratelimit-remaining", 4990.into());
    r
}

async fn releases(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let authorized = match header(&headers, "authorization") {
        None => false,
        Some(a) if a == format!("Bearer {GITHUB_TOKEN}") => true,
        Some(_) => return github_error(StatusCode::UNAUTHORIZED, "Bad credentials"),
    };
    if header(&headers, "user-agent").is_none() {
        return github_error(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        );
    }
    if let Some(reply) = state.misbehave(throttled).await {
        return reply;
    }
    let name = format!("{owner}/{repo}");
    let data = state.releases.lock().unwrap();
    let Some(list) = data
        .repos
        .get(&name)
        .filter(|_| authorized || !data.private.contains(&name))
    else {
        return github_error(StatusCode::NOT_FOUND, "Not Found");
    };
    let per_page: usize = q
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let body: Vec<Value> = list
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let last = list.len().div_ceil(per_page).max(1);
    let host = header(&headers, "host").unwrap_or("localhost").to_string();
    let link = |p: usize, rel: &str| {
        format!("<http://{host}/repos/{name}/releases?per_page={per_page}&page={p}>; rel=\"{rel}\"")
    };
    let mut links = Vec::new();
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    let mut r = Json(body).into_response();
    let h = r.headers_mut();
    if !links.is_empty() {
        h.insert("link", HeaderValue::from_str(&links.join(", ")).unwrap());
    }
    h.insert("x-ratelimit-limit", if authorized { 5000 } else { 60 }.into());
    h.insert("x-ratelimit-remaining", 4999.into());
    r
}

async fn rss() -> Response {
    (
        [("content-type", "application/rss+xml")],
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Pied Piper blog</title><link>https://piedpiper.test</link>
<item><title>Middle-out compression for video</title><link>https://piedpiper.test/blog/video</link>
<guid>blog-video</guid><pubDate>Tue, 17 Nov 2026 09:00:00 GMT</pubDate>
<description>Video files now compress 40% smaller.</description></item>
<item><title>Bulk export</title><link>https://piedpiper.test/blog/export</link>
<guid>blog-export</guid><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>
<description>Export every file at once.</description></item>
<item><title>A draft without a date</title><guid>blog-draft</guid></item>
</channel></rss>"#,
    )
        .into_response()
}

async fn atom() -> Response {
    (
        [("content-type", "application/atom+xml")],
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Pied Piper status</title><id>urn:pp:status</id>
<updated>2026-11-19T08:00:00Z</updated>
<entry><title>SSO for every plan</title><id>urn:pp:sso</id><updated>2026-11-19T08:00:00Z</updated>
<link href="https://piedpiper.test/changes/sso"/><summary>SAML single sign-on is on every plan.</summary></entry>
</feed>"#,
    )
        .into_response()
}

async fn changelog() -> Response {
    (
        [("content-type", "text/markdown; charset=utf-8")],
        "# Changelog\n\n## [Unreleased]\n- Nothing yet\n\n## [3.2.0] - 2026-11-18\n### Added\n- Audit log export\n\n\
         ## [3.1.0] - 2026-10-30\n### Fixed\n- Faster sign-in\n",
    )
        .into_response()
}

async fn not_a_feed() -> Response {
    (
        [("content-type", "text/html")],
        "<html><body>Our blog moved.</body></html>",
    )
        .into_response()
}

/// WordPress's Atom template: `<title type="html"><![CDATA[…]]></title>` with the title run
/// through its texturiser (’ as `&#8217;`, & as `&#038;`), `rel="alternate"` entry links.
async fn wordpress() -> Response {
    (
        [("content-type", "application/atom+xml; charset=UTF-8")],
        r#"<?xml version="1.0" encoding="UTF-8"?><feed
  xmlns="http://www.w3.org/2005/Atom"
  xmlns:thr="http://purl.org/syndication/thread/1.0"
  xml:lang="en-US"
  >
	<title type="text">Hooli News</title>
	<updated>2026-11-12T16:05:11Z</updated>
	<link rel="alternate" type="text/html" href="https://news.hooli.test" />
	<id>https://news.hooli.test/feed/atom/</id>
	<link rel="self" type="application/atom+xml" href="https://news.hooli.test/feed/atom/" />
	<generator uri="https://wordpress.org/" version="6.7">WordPress</generator>
	<entry>
		<author><name>Gavin</name></author>
		<title type="html"><![CDATA[We&#8217;ve shipped SSO &#038; SCIM]]></title>
		<link rel="alternate" type="text/html" href="https://news.hooli.test/2026/11/12/sso-scim/" />
		<id>https://news.hooli.test/?p=4242</id>
		<updated>2026-11-12T16:05:11Z</updated>
		<published>2026-11-12T16:05:11Z</published>
		<category scheme="https://news.hooli.test" term="Product" />
		<summary type="html"><![CDATA[Single sign-on and provisioning for every plan&#8230;]]></summary>
		<link rel="replies" type="text/html" href="https://news.hooli.test/2026/11/12/sso-scim/#comments" thr:count="0" />
		<link rel="replies" type="application/atom+xml" href="https://news.hooli.test/2026/11/12/sso-scim/feed/atom/" thr:count="0" />
		<thr:total>0</thr:total>
	</entry>
</feed>"#,
    )
        .into_response()
}

/// Blogger's Atom: each entry's first link is its comments feed (`rel="replies"`), the post is
/// `rel="alternate"`; `published` is in the blog's time zone. A post's relative link resolves
/// against `xml:base` or the feed's own URL.
async fn blogger() -> Response {
    (
        [("content-type", "application/atom+xml; charset=UTF-8")],
        r#"<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom' xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'>
<id>tag:blogger.com,1999:blog-8675309</id><updated>2026-11-21T00:46:00.001+03:00</updated>
<title type='text'>Endframe Engineering</title>
<link rel='alternate' type='text/html' href='https://endframe.blogspot.test/'/>
<entry><id>tag:blogger.com,1999:blog-8675309.post-1</id>
<published>2026-11-21T00:46:00.001+03:00</published><updated>2026-11-21T00:50:12.114+03:00</updated>
<title type='text'>Faster exports</title><content type='html'>&lt;p&gt;Exports are twice as fast.&lt;/p&gt;</content>
<link rel='replies' type='application/atom+xml' href='https://endframe.blogspot.test/feeds/1/comments/default' title='Post Comments'/>
<link rel='replies' type='text/html' href='https://endframe.blogspot.test/2026/11/faster-exports.html#comment-form' title='0 Comments'/>
<link rel='edit' type='application/atom+xml' href='https://www.blogger.com/feeds/8675309/posts/default/1'/>
<link rel='self' type='application/atom+xml' href='https://www.blogger.com/feeds/8675309/posts/default/1'/>
<link rel='alternate' type='text/html' href='https://endframe.blogspot.test/2026/11/faster-exports.html' title='Faster exports'/>
</entry>
<entry><id>tag:blogger.com,1999:blog-8675309.post-2</id>
<published>2026-11-18T10:00:00.000+03:00</published><updated>2026-11-18T10:00:00.000+03:00</updated>
<title type='text'>Audit trail</title><content type='html'>Every change, logged.</content>
<link rel='alternate' type='text/html' href='/2026/11/audit-trail.html' title='Audit trail'/>
</entry>
</feed>"#,
    )
        .into_response()
}

/// An RSS 2.0 feed in ISO-8859-1 (its declaration says so; "Café" is the byte 0xE9), whose items
/// have neither guid nor link; two ship on one day, listed newest first as feeds do.
async fn latin1() -> Response {
    let xml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n\
<rss version=\"2.0\"><channel><title>Caf\u{e9} Dev</title><link>https://cafe.test/</link>\n\
<item><title>Caf\u{e9} mode for reports</title><pubDate>Wed, 18 Nov 2026 15:30:00 +0100</pubDate>\
<description>Reports, with caf\u{e9} breaks.</description></item>\n\
<item><title>Night shift</title><pubDate>Wed, 18 Nov 2026 09:00:00 +0100</pubDate>\
<description>Dark theme.</description></item>\n\
</channel></rss>";
    let bytes: Vec<u8> = xml.chars().map(|c| c as u32 as u8).collect(); // every char is Latin-1
    ([("content-type", "application/rss+xml")], bytes).into_response()
}

/// GitHub's `releases.atom` for a repository: no `published`, only `updated`; the title is the
/// release name as text; the content is HTML; the link `rel="alternate"` to the release page.
async fn github_atom() -> Response {
    (
        [("content-type", "application/atom+xml; charset=utf-8")],
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xml:lang="en-US">
  <id>tag:github.com,2008:https://github.com/piedpiper/middle-out/releases</id>
  <link type="text/html" rel="alternate" href="https://github.com/piedpiper/middle-out/releases"/>
  <link type="application/atom+xml" rel="self" href="https://github.com/piedpiper/middle-out/releases.atom"/>
  <title>Release notes from middle-out</title>
  <updated>2026-11-10T14:03:21-08:00</updated>
  <entry>
    <id>tag:github.com,2008:Repository/42/v4.2.0</id>
    <updated>2026-11-10T14:03:21-08:00</updated>
    <link rel="alternate" type="text/html" href="https://github.com/piedpiper/middle-out/releases/tag/v4.2.0"/>
    <title>v4.2.0 &amp;#8211; Weissman score &gt; 5</title>
    <content type="html">&lt;h2&gt;What&amp;#39;s new&lt;/h2&gt;&lt;ul&gt;&lt;li&gt;Faster decoding&lt;/li&gt;&lt;/ul&gt;</content>
    <author><name>richard</name></author>
    <media:thumbnail height="30" width="30" url="https://avatars.githubusercontent.com/u/1?s=60&amp;v=4"/>
  </entry>
</feed>"#,
    )
        .into_response()
}
