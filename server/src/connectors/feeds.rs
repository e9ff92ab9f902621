//! Release feeds: any RSS 0.9x/1.0/2.0, Atom or JSON Feed (read by `feed-rs`), or a markdown
//! changelog where each heading is an entry ("## 2.1.0 — 2026-11-20"). One page per URL; a URL
//! that fails is named in the run's problems and the others still sync.

use super::http::{VendorConfig, VendorError, VendorHttp};
use super::{SyncError, SyncRun};
use crate::store::sync::{Records, ReleaseRecord, SyncPage, DONE};
use chrono::NaiveDate;

const VENDOR: &str = "The feed";

/// Releases read, and (entry, why) of the ones skipped.
pub type Entries = (Vec<ReleaseRecord>, Vec<(String, String)>);
const PER_SECOND: f64 = 2.0;

pub fn client(http: reqwest::Client) -> VendorHttp {
    let mut config = VendorConfig::new(VENDOR, "", PER_SECOND);
    config.max_attempts = 3;
    VendorHttp::new(http, config)
}

/// What one URL holds, from the bytes as sent: a feed is decoded by the encoding its XML
/// declaration names (or the Content-Type charset, which XML lets override it); a changelog by
/// the charset, else UTF-8.
pub fn entries(url: &str, bytes: &[u8], content_type: Option<&str>) -> Result<Entries, String> {
    let charset = content_type
        .and_then(|c| {
            c.split(';').find_map(|p| {
                let (name, value) = p.split_once('=')?;
                name.trim().eq_ignore_ascii_case("charset").then_some(value)
            })
        })
        .map(|c| c.trim().trim_matches('"'))
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()));
    // Decoded as the charset says, a byte-order mark deciding over it (and dropped), as browsers do.
    let text = |bytes: &[u8]| charset.unwrap_or(encoding_rs::UTF_8).decode(bytes).0.into_owned();
    let head = text(&bytes[..bytes.len().min(256)]);
    let markdown = content_type.is_some_and(|c| c.contains("markdown"))
        || url.ends_with(".md")
        || head.trim_start().starts_with('#');
    if !markdown {
        let parsed = match charset.filter(|e| *e != encoding_rs::UTF_8) {
            // Decoded here, so the declaration must not name the old encoding any more.
            Some(_) => parse_feed(url, declare_utf8(&text(bytes)).as_bytes()),
            None => parse_feed(url, bytes),
        };
        if let Ok(feed) = parsed {
            return Ok(feed_entries(url, feed));
        }
    }
    let (entries, skipped) = changelog_entries(url, &text(bytes));
    if entries.is_empty() && skipped.is_empty() {
        return Err("is neither an RSS, Atom or JSON feed nor a markdown changelog with headings".into());
    }
    Ok((entries, skipped))
}

/// Relative links resolve against the feed's URL, and an item with neither guid nor link gets a
/// stable id from the feed URL and its title (feed-rs makes a random one without a base).
fn parse_feed(url: &str, bytes: &[u8]) -> Result<feed_rs::model::Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(Some(url))
        .timestamp_parser(publisher_time)
        .build()
        .parse(bytes)
}

/// A feed's timestamp as the publisher's wall-clock time (kept in a UTC value): the day a
/// release is listed under is the publisher's day, not the day in Greenwich. Feeds write dates
/// loosely, so a date that does not parse as it stands is tidied first.
fn publisher_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    let local = wall_clock(text).or_else(|| wall_clock(&tidy_date(text))).or_else(|| {
        NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)
    })?;
    Some(chrono::DateTime::from_naive_utc_and_offset(local, chrono::Utc))
}

fn wall_clock(text: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(text))
        .map(|t| t.naive_local())
        .ok()
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok())
        .or_else(|| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok())
}

/// The usual slips: a weekday that is wrong or spelled out ("Wednesday, 18 Nov"), a month spelled
/// out, "UTC" for the zone, an RFC 3339 offset without its colon ("+0300").
fn tidy_date(text: &str) -> String {
    let mut t = match text.split_once(", ") {
        Some((day, rest)) if day.chars().all(|c| c.is_ascii_alphabetic()) => rest.to_string(),
        _ => text.to_string(),
    };
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    for month in MONTHS {
        t = t.replace(month, &month[..3]);
    }
    for zone in [" UTC", " Z"] {
        if let Some(head) = t.strip_suffix(zone) {
            t = format!("{head} +0000");
        }
    }
    let bytes = t.as_bytes();
    let n = bytes.len();
    if t.contains('T') && n > 5 && matches!(bytes[n - 5], b'+' | b'-') && bytes[n - 4..].iter().all(u8::is_ascii_digit)
    {
        t.insert(n - 2, ':');
    }
    t
}

/// `<?xml version="1.0" encoding="ISO-8859-1"?>` → `… encoding="UTF-8"?>`.
fn declare_utf8(text: &str) -> String {
    let Some(end) = text
        .trim_start()
        .starts_with("<?xml")
        .then(|| text.find("?>"))
        .flatten()
    else {
        return text.to_string();
    };
    let declaration = &text[..end];
    let Some(at) = declaration.find("encoding") else {
        return text.to_string();
    };
    let rest = &declaration[at..];
    let quote_open = rest.find(['"', '\'']).map(|i| at + i);
    let quote_close = quote_open.and_then(|o| text[o + 1..end].find(['"', '\'']).map(|i| o + 1 + i));
    match (quote_open, quote_close) {
        (Some(o), Some(c)) => format!("{}UTF-8{}", &text[..=o], &text[c..]),
        _ => text.to_string(),
    }
}

/// A title as a reader sees it: HTML (`type="html"`, or entities escaped into RSS) becomes text.
fn plain_title(text: &feed_rs::model::Text) -> String {
    let is_html = text.content_type.to_string().contains("html");
    let mut out = text.content.clone();
    if is_html {
        out = strip_tags(&out);
    }
    if is_html || out.contains('&') {
        out = html_escape::decode_html_entities(&out).into_owned();
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn feed_entries(url: &str, feed: feed_rs::model::Feed) -> Entries {
    let mut out: Vec<ReleaseRecord> = Vec::new();
    let mut skipped = Vec::new();
    for e in feed.entries {
        let title = e.title.as_ref().map(plain_title).unwrap_or_default();
        let Some(at) = e.published.or(e.updated) else {
            skipped.push((e.id.clone(), format!("has no date: {title:?} in {url}")));
            continue;
        };
        if title.is_empty() {
            skipped.push((e.id.clone(), format!("has no title: an entry in {url}")));
            continue;
        }
        let body = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| e.summary.as_ref().map(|s| s.content.clone()))
            .unwrap_or_default();
        let external_id = format!("{url}#{}", e.id);
        if out.iter().any(|r| r.external_id == external_id) {
            continue;
        }
        // The page itself (`rel="alternate"`, the default), not its comments feed or an enclosure.
        let link = e
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(e.links.first())
            .map(|l| l.href.clone())
            .filter(|href| app::url::safe_href(href).is_some());
        out.push(ReleaseRecord {
            source: "rss",
            external_id,
            title,
            body,
            url: link,
            published_on: at.format("%Y-%m-%d").to_string(),
            published_at: Some(at.format("%Y-%m-%dT%H:%M:%S").to_string()),
        });
    }
    (out, skipped)
}

/// Each heading (level 1 or 2) of a changelog is an entry, read as CommonMark reads it (ATX or
/// setext, never inside a code block, entities decoded, link text without its address); its date
/// is in the heading ("## [2.1.0] - 2026-11-20") or on the first line under it. Headings without
/// a date (such as "Unreleased") are not shipped.
pub fn changelog_entries(url: &str, text: &str) -> Entries {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let is_entry = |level: HeadingLevel| matches!(level, HeadingLevel::H1 | HeadingLevel::H2);
    // Each section: its heading as text and where its body starts and ends in `text`.
    let mut sections: Vec<(String, usize, usize)> = Vec::new();
    let mut heading: Option<String> = None;
    for (event, at) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if is_entry(level) => {
                if let Some(last) = sections.last_mut() {
                    last.2 = at.start;
                }
                heading = Some(String::new());
            }
            Event::End(TagEnd::Heading(level)) if is_entry(level) => {
                if let Some(title) = heading.take() {
                    sections.push((
                        title.split_whitespace().collect::<Vec<_>>().join(" "),
                        at.end,
                        text.len(),
                    ));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(title) = heading.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(title) = heading.as_mut() {
                    title.push(' ');
                }
            }
            _ => {}
        }
    }
    let sections = sections.into_iter().map(|(heading, start, end)| {
        let body: Vec<&str> = text.get(start..end).unwrap_or("").lines().collect();
        (heading, body)
    });
    let mut out: Vec<ReleaseRecord> = Vec::new();
    let mut skipped = Vec::new();
    for (heading, body) in sections {
        let first = body.iter().find(|l| !l.trim().is_empty()).copied().unwrap_or("");
        let Some(day) = find_date(&heading).or_else(|| find_date(first)) else {
            if !heading.to_lowercase().contains("unreleased") && !body.iter().all(|l| l.trim().is_empty()) {
                skipped.push((
                    heading.clone(),
                    format!("has no date: the section {heading:?} of {url}"),
                ));
            }
            continue;
        };
        let title = heading
            .replace(&day.format("%Y-%m-%d").to_string(), "")
            .trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '—' | '–' | '(' | ')' | '[' | ']'))
            .replace(['[', ']'], "");
        let title = if title.is_empty() {
            day.format("%Y-%m-%d").to_string()
        } else {
            title
        };
        let external_id = format!("{url}#{}", slug(&heading));
        if out.iter().any(|r| r.external_id == external_id) {
            continue;
        }
        out.push(ReleaseRecord {
            source: "changelog",
            external_id,
            title,
            body: body.join("\n").trim().to_string(),
            url: Some(format!("{url}#{}", slug(&heading))),
            published_on: day.format("%Y-%m-%d").to_string(),
            published_at: None,
        });
    }
    (out, skipped)
}

fn find_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    (0..(bytes.len() + 1).saturating_sub(10)).find_map(|i| {
        let candidate = text.get(i..i + 10)?;
        let shaped = candidate.bytes().enumerate().all(|(k, b)| {
            if k == 4 || k == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
        shaped
            .then(|| NaiveDate::parse_from_str(candidate, "%Y-%m-%d").ok())
            .flatten()
    })
}

fn slug(text: &str) -> String {
    let s: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

pub async fn test(http: &VendorHttp, urls: &[String]) -> Result<String, VendorError> {
    let mut found = 0;
    for url in urls {
        let reply = http.get_text(url).await.map_err(|e| VendorError::Unusable {
            vendor: url.clone(),
            message: e.to_string(),
        })?;
        let (entries, _) =
            entries(url, &reply.bytes, reply.content_type.as_deref()).map_err(|why| VendorError::Unusable {
                vendor: url.clone(),
                message: why,
            })?;
        found += entries.len();
    }
    Ok(format!("Read {} feeds with {found} dated entries.", urls.len()))
}

/// The cursor is the index of the next URL.
pub async fn sync(http: &VendorHttp, run: &mut SyncRun<'_>, urls: &[String]) -> Result<(), SyncError> {
    let resource = "entries";
    let start = match run.cursor(resource).await? {
        Some(c) if c == DONE => return Ok(()),
        Some(c) => c.parse().unwrap_or(0),
        None => 0,
    };
    for (i, url) in urls.iter().enumerate().skip(start) {
        let (records, skipped, fetched) = match http.get_text(url).await {
            Ok(reply) => match entries(url, &reply.bytes, reply.content_type.as_deref()) {
                Ok((records, skipped)) => {
                    let n = records.len() + skipped.len();
                    (records, skipped, n)
                }
                Err(why) => (Vec::new(), vec![(url.clone(), why)], 1),
            },
            Err(e) => (Vec::new(), vec![(url.clone(), e.to_string())], 1),
        };
        run.write(SyncPage {
            resource,
            companies: Vec::new(),
            records: Records::Releases(records),
            next_cursor: (i + 1 < urls.len()).then(|| (i + 1).to_string()),
            fetched,
            skipped,
            repaired: Vec::new(),
        })
        .await?;
    }
    Ok(())
}

/// Feeds in the connector registry.
pub struct Feeds;

#[async_trait::async_trait]
impl super::registry::Connector for Feeds {
    fn source(&self) -> &'static str {
        "feeds"
    }
    fn client(&self, http: reqwest::Client, _: Option<&str>, _: &str) -> VendorHttp {
        client(http)
    }
    async fn test(&self, http: &VendorHttp, target: &str) -> Result<Result<String, VendorError>, String> {
        Ok(test(http, &app::integrations::feed_urls(target)?).await)
    }
    async fn sync(
        &self,
        http: &VendorHttp,
        run: &mut SyncRun<'_>,
        inputs: &super::registry::SyncInputs,
    ) -> Result<(), SyncError> {
        let urls = app::integrations::feed_urls(&inputs.target).map_err(super::invalid_target)?;
        sync(http, run, &urls).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_headings_are_entries_with_their_dates() {
        let md = "# Changelog\n\n## [Unreleased]\n- WIP\n\n## [2.1.0] - 2026-11-20\n### Added\n- Bulk export\n\n\
                  ## 2.0.0\n_2026-10-02_\n- New pipeline\n```\n# not a heading\n```\n\n## 1.9.0\n- undated\n\n\
                  R&amp;D tools &#8212; `v1.8` (2026-09-01)\n---------\n- Setext heading\n\n\
                  ## [1.7.0](https://x.test/compare/1.6...1.7) &ndash; 2026-08-01\n    ## indented code, not a heading\n\n\
                  [2.1.0]: https://x.test/compare/2.0.0...2.1.0\n";
        let (entries, skipped) = changelog_entries("https://x.test/CHANGELOG.md", md);
        assert_eq!(entries.len(), 4, "{entries:?}");
        // Entities decoded, code spans kept as text, a link's address left out.
        assert_eq!(entries[2].title, "R&D tools — v1.8");
        assert_eq!(entries[2].published_on, "2026-09-01");
        assert!(entries[2].body.contains("Setext heading"));
        assert_eq!(entries[3].title, "1.7.0");
        assert_eq!(entries[3].external_id, "https://x.test/CHANGELOG.md#1-7-0-2026-08-01");
        assert!(entries[3].body.contains("indented code"));
        assert_eq!(entries[0].title, "2.1.0");
        assert_eq!(entries[0].published_on, "2026-11-20");
        assert!(entries[0].body.contains("Bulk export"));
        assert_eq!(entries[1].published_on, "2026-10-02");
        assert!(entries[1].body.contains("# not a heading"));
        assert_eq!(skipped.len(), 1, "1.9.0 has no date: {skipped:?}");
    }

    #[test]
    fn rss_atom_and_json_feeds_read_alike() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Pied Piper</title>
            <item><title>Middle-out 3</title><link>https://pp.test/3</link><guid>pp-3</guid>
            <pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate><description>Faster.</description></item>
            <item><title>Undated</title><guid>pp-x</guid></item></channel></rss>"#;
        let (items, skipped) = entries("https://pp.test/rss", rss.as_bytes(), Some("application/rss+xml")).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].published_on, "2026-11-20");
        assert_eq!(items[0].url.as_deref(), Some("https://pp.test/3"));
        assert_eq!(skipped.len(), 1);
        let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>PP</title>
            <id>urn:pp</id><updated>2026-11-21T00:00:00Z</updated><entry><title>Atom release</title><id>urn:pp:1</id>
            <updated>2026-11-21T08:00:00Z</updated><link href="https://pp.test/a"/></entry></feed>"#;
        assert_eq!(entries_of(atom)[0].title, "Atom release");
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"PP","items":[{"id":"j1","title":"JSON release",
            "content_text":"Body","date_published":"2026-11-22T10:00:00Z","url":"https://pp.test/j"}]}"#;
        assert_eq!(entries_of(json)[0].published_on, "2026-11-22");
        assert!(entries("https://pp.test/x", b"<html><body>hi</body></html>", Some("text/html")).is_err());
    }

    fn entries_of(text: &str) -> Vec<ReleaseRecord> {
        entries("https://pp.test/f", text.as_bytes(), None).unwrap().0
    }

    #[test]
    fn a_feed_keeps_its_publishers_day_and_an_html_title_reads_as_text() {
        // 00:46 in Nairobi is still the 21st there, though the 20th in Greenwich.
        let at = publisher_time("2026-11-21T00:46:00.001+03:00").unwrap();
        assert_eq!(at.format("%Y-%m-%d %H:%M").to_string(), "2026-11-21 00:46");
        let at = publisher_time("Wed, 18 Nov 2026 23:30:00 -0500").unwrap();
        assert_eq!(at.format("%Y-%m-%d").to_string(), "2026-11-18");
        assert!(publisher_time("soon").is_none());
        for loose in [
            "Thursday, 18 November 2026 23:30:00 UTC",
            "Sat, 18 Nov 2026 23:30:00 +0000",
            "2026-11-18T23:30:00+0000",
        ] {
            let at = publisher_time(loose).unwrap_or_else(|| panic!("{loose}"));
            assert_eq!(at.format("%Y-%m-%d %H:%M").to_string(), "2026-11-18 23:30", "{loose}");
        }

        let html = feed_rs::model::Text {
            content_type: "text/html".parse().unwrap(),
            src: None,
            content: "<b>We&#8217;ve</b> shipped SSO &#038; SCIM &hellip;".into(),
        };
        assert_eq!(plain_title(&html), "We’ve shipped SSO & SCIM …");
        let text = feed_rs::model::Text {
            content_type: "text/plain".parse().unwrap(),
            src: None,
            content: "R&D <tools>".into(),
        };
        assert_eq!(plain_title(&text), "R&D <tools>");

        assert_eq!(
            declare_utf8("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss/>"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>"
        );
        assert_eq!(declare_utf8("<rss/>"), "<rss/>");
    }
}
