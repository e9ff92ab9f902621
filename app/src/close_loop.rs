//! Close the Loop's pure parts, shared by browser and server: release notes split into items, the
//! "we shipped your request" template with its merge fields, and the checks an address and a header
//! must pass before anything is queued.

use crate::kit::string_enum;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

mod forms;

pub use forms::*;

/// The items of a release: its bullet points, else its headings, else its paragraphs; the
/// release's own name when the notes are empty. Markdown emphasis and links are reduced to text;
/// HTML notes (feeds) are read by their `<li>` and heading elements.
pub fn split_release(title: &str, body: &str) -> Vec<String> {
    let body = if body.contains('<') && body.contains('>') {
        html_to_lines(body)
    } else {
        body.to_string()
    };
    let mut bullets = Vec::new();
    let mut headings = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        if let Some(rest) = t
            .strip_prefix("- ")
            .or_else(|| t.strip_prefix("* "))
            .or_else(|| t.strip_prefix("+ "))
            .or_else(|| numbered(t))
        {
            bullets.push(plain(rest));
        } else if t.starts_with('#') {
            headings.push(plain(t.trim_start_matches('#')));
        }
    }
    let mut items: Vec<String> = if !bullets.is_empty() {
        bullets
    } else if !headings.is_empty() {
        headings
    } else {
        body.split("\n\n").map(plain).collect()
    };
    items.retain(|i| i.chars().any(char::is_alphanumeric));
    for item in &mut items {
        if item.chars().count() > 400 {
            *item = item.chars().take(399).collect::<String>() + "…";
        }
    }
    items.dedup();
    if items.is_empty() {
        items.push(plain(release_name(title)));
    }
    items
}

/// "v4.2 — SSO with Okta" → "SSO with Okta": the words after a version prefix.
pub fn release_name(title: &str) -> &str {
    match title.split_once(" — ").or_else(|| title.split_once(" - ")) {
        Some((version, name)) if version.chars().any(|c| c.is_ascii_digit()) && !name.trim().is_empty() => name.trim(),
        _ => title.trim(),
    }
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && digits < 4)
        .then(|| line[digits..].strip_prefix(". "))
        .flatten()
}

/// Markdown inline syntax to plain words: `[text](url)` → text, `**x**`, `_x_`, `` `x` `` → x.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text.trim();
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find("](")
            .and_then(|close| after[close + 2..].find(')').map(|end| (close, close + 2 + end + 1)))
        {
            Some((close, end)) => {
                out.push_str(&after[..close]);
                rest = &after[end..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let out: String = out.chars().filter(|c| !matches!(c, '*' | '`')).collect();
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// HTML notes as lines a markdown reader understands: `<li>` → "- ", headings → "# ".
fn html_to_lines(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect();
        match name.as_str() {
            "li" => out.push_str("\n- "),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => out.push_str("\n# "),
            "p" | "/p" | "br" | "/li" | "/ul" | "/ol" | "div" | "/div" => out.push('\n'),
            n if n.starts_with("/h") => out.push('\n'),
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
}

/// What a "we shipped your request" email may say, by merge field name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MergeFields {
    pub first_name: String,
    pub contact_name: String,
    pub account: String,
    pub quote: String,
    pub requested_on: Option<NaiveDate>,
    pub release_title: String,
    pub release_link: String,
    pub item: String,
    pub shipped_on: Option<NaiveDate>,
    pub csm_name: String,
    pub signature: String,
}

/// The fields a template may use, with what each becomes, for the editor's help text.
pub const MERGE_FIELDS: &[(&str, &str)] = &[
    ("first_name", "the contact's first name"),
    ("contact_name", "the contact's full name"),
    ("account", "the account's name"),
    ("quote", "what they asked for, in their words"),
    ("requested_on", "when they asked"),
    ("release_title", "the release's title"),
    ("release_link", "the release's link"),
    ("item", "the release line that matched"),
    ("shipped_on", "when it shipped"),
    ("csm_name", "who sends it"),
    ("signature", "the signature from Settings → Email"),
];

impl MergeFields {
    fn get(&self, field: &str) -> Option<String> {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%-d %B %Y").to_string()).unwrap_or_default();
        Some(match field {
            "first_name" => self.first_name.clone(),
            "contact_name" => self.contact_name.clone(),
            "account" => self.account.clone(),
            "quote" => self.quote.clone(),
            "requested_on" => date(self.requested_on),
            "release_title" => self.release_title.clone(),
            "release_link" => self.release_link.clone(),
            "item" => self.item.clone(),
            "shipped_on" => date(self.shipped_on),
            "csm_name" => self.csm_name.clone(),
            "signature" => self.signature.clone(),
            _ => return None,
        })
    }
}

pub const DEFAULT_SUBJECT: &str = "You asked for it: {{item}}";
pub const DEFAULT_BODY: &str = "Hi {{first_name}},

On {{requested_on}} you told us:

“{{quote}}”

It shipped on {{shipped_on}} in {{release_title}}:
{{item}}

Read more: {{release_link}}

Thank you for asking — it helped us decide what to build next.

{{signature}}";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    UnknownField(String),
    Unclosed,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::UnknownField(name) => write!(
                f,
                "{{{{{name}}}}} is not a merge field; use one of {}.",
                MERGE_FIELDS
                    .iter()
                    .map(|(n, _)| format!("{{{{{n}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TemplateError::Unclosed => f.write_str("A merge field opened with {{ is never closed with }}."),
        }
    }
}

/// Fills `{{field}}` placeholders. An unknown field or an unclosed `{{` is an error, so a typo
/// never reaches a customer as literal braces.
pub fn render(template: &str, fields: &MergeFields) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 200);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..close].trim();
        out.push_str(
            &fields
                .get(name)
                .ok_or_else(|| TemplateError::UnknownField(name.to_string()))?,
        );
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The HTML part of an email whose plain text is `text`: escaped, paragraphs kept, links live.
pub fn text_to_html(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(linkify).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><body style=\"font-family: sans-serif; line-height: 1.5\">\n{}\n</body></html>",
        paragraphs.join("\n")
    )
}

fn linkify(line: &str) -> String {
    line.split(' ')
        .map(|word| {
            let escaped = escape_html(word);
            if (word.starts_with("https://") || word.starts_with("http://")) && word.len() > 8 {
                format!("<a href=\"{escaped}\">{escaped}</a>")
            } else {
                escaped
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `address` is a single plain mailbox (`local@domain.tld`): no display name, no spaces,
/// no line breaks, a dotted domain of letters, digits and hyphens.
pub fn valid_email(address: &str) -> bool {
    if address.len() > 254 || address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// A header value must be one line: a CR or LF would let it add headers of its own.
pub fn one_line(value: &str) -> bool {
    !value.contains(['\r', '\n'])
}

string_enum!(
    /// Where an email in the outbox stands. `Unknown`: the sender stopped after claiming it, so the
    /// SMTP server may have accepted it; a person checks before anything is sent again.
    OutboxState {
        Queued => "queued" / "Queued",
        Sending => "sending" / "Sending",
        Sent => "sent" / "Sent",
        Failed => "failed" / "Failed",
        Unknown => "unknown" / "Check whether it arrived",
    }
);

string_enum!(
    /// A proposed (request, release item) pair, as a person decided it.
    MatchStatus {
        Proposed => "proposed" / "Proposed",
        Confirmed => "confirmed" / "Confirmed",
        Rejected => "rejected" / "Rejected",
    }
);

string_enum!(
    /// How Success talks to the SMTP server.
    SmtpSecurity {
        StartTls => "starttls" / "STARTTLS (port 587)",
        Tls => "tls" / "TLS (port 465)",
        None => "none" / "None (local relay only)",
    }
);

/// A piece of text, marked when it holds a word both sides of a match share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// Who asked, as an email needs them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Requester {
    pub contact_id: i64,
    pub name: String,
    pub email: String,
    pub opted_out: bool,
}

/// One release item proposed for (or confirmed as) what a request asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchRow {
    pub request_id: i64,
    pub item_id: i64,
    pub release_title: String,
    pub release_url: Option<String>,
    pub shipped_on: NaiveDate,
    pub item: Vec<Segment>,
    pub quote: Vec<Segment>,
    /// BM25 relevance (plus 5 × the embeddings' cosine when configured); higher is closer.
    pub score: f64,
    /// Cosine similarity of the two texts' embeddings, when an embeddings endpoint is configured.
    pub similarity: Option<f64>,
    /// The shared words, as they appear in the request.
    pub words: Vec<String>,
    pub status: MatchStatus,
    pub decided_by: Option<String>,
    /// The newest email about this pair, if any.
    pub email: Option<OutboxRow>,
}

impl MatchRow {
    pub fn item_text(&self) -> String {
        self.item.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A feature request with the release items matched to it, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestCard {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub project: String,
    pub quote: String,
    pub requester: Option<Requester>,
    pub requested_on: NaiveDate,
    pub source_link: Option<String>,
    /// Other accounts' requests in the same theme.
    pub theme_size: u64,
    pub matches: Vec<MatchRow>,
}

impl RequestCard {
    pub fn shipped(&self) -> bool {
        self.matches.iter().any(|m| m.status == MatchStatus::Confirmed)
    }
}

/// Near-duplicate requests across accounts, with the ARR asking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThemeRow {
    pub id: i64,
    pub label: String,
    pub project: String,
    pub requests: u64,
    pub accounts: u64,
    pub arr: crate::model::Money,
    pub shipped: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub account_id: Option<i64>,
    pub account_name: String,
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub state: OutboxState,
    pub error: Option<String>,
    pub attempts: i64,
    pub queued_by: String,
    pub queued_at: String,
    pub finished_at: Option<String>,
}

/// The whole page's headline figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoopSummary {
    pub requests: u64,
    pub accounts_asking: u64,
    pub shipped_requests: u64,
    pub accounts_shipped: u64,
    pub proposed: u64,
    /// Confirmed pairs no email has been queued for yet.
    pub unsent: u64,
    pub sent: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloseTheLoopView {
    pub summary: LoopSummary,
    pub requests: crate::model::Page<RequestCard>,
    /// For each account on this page: (account, requests shipped, requests), over all its requests.
    pub account_counts: Vec<(i64, u64, u64)>,
    pub themes: Vec<ThemeRow>,
    /// Product areas with their number of requests.
    pub projects: Vec<(String, u64)>,
    pub releases: Vec<crate::model::ReleaseRow>,
    pub outbox: crate::model::Page<OutboxRow>,
    /// Settings → Email is filled in.
    pub email_ready: bool,
}

/// One account's requests and emails, for Customer Detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountLoop {
    pub requests: Vec<RequestCard>,
    pub sent: Vec<OutboxRow>,
    pub email_ready: bool,
}

/// An email about to be queued, as the CSM sees and edits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailDraft {
    pub request_id: i64,
    pub item_id: i64,
    pub to_name: String,
    pub to_address: String,
    pub subject_template: String,
    pub body_template: String,
    pub fields: MergeFields,
    /// Why it cannot be sent, in plain words (no contact, opted out, email not set up).
    pub blocked: Option<String>,
    pub previous: Option<OutboxRow>,
    /// Who else at the account could receive it.
    pub contacts: Vec<Requester>,
}

/// Settings → Email as the browser sees it: the password only as a mask.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailSettingsView {
    pub configured: bool,
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password_mask: Option<String>,
    pub from_address: String,
    pub from_name: String,
    pub reply_to: String,
    pub signature: String,
    pub subject_template: String,
    pub body_template: String,
    pub per_minute: u32,
}

impl Default for EmailSettingsView {
    fn default() -> Self {
        EmailSettingsView {
            configured: false,
            host: String::new(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: String::new(),
            password_mask: None,
            from_address: String::new(),
            from_name: String::new(),
            reply_to: String::new(),
            signature: String::new(),
            subject_template: DEFAULT_SUBJECT.into(),
            body_template: DEFAULT_BODY.into(),
            per_minute: 20,
        }
    }
}

#[cfg(test)]
mod tests;
