//! Settings → Integrations: what a connect form holds, the one validation the browser and the
//! server both run, and what the page shows of a connected integration (never the credential).

use crate::access::FieldErrors;
use crate::kit::IntegrationKind;
use crate::live::SyncProgress;
use serde::{Deserialize, Serialize};

pub const SCHEDULE_DEFAULT: u32 = 15;
pub const SCHEDULE_MIN: u32 = 5;
pub const SCHEDULE_MAX: u32 = 24 * 60;

impl IntegrationKind {
    /// Whether this build has the connector (the others are listed with what they will bring).
    pub fn available(self) -> bool {
        matches!(
            self,
            IntegrationKind::Stripe
                | IntegrationKind::Salesbricks
                | IntegrationKind::Hubspot
                | IntegrationKind::Posthog
                | IntegrationKind::GithubReleases
                | IntegrationKind::Feeds
                | IntegrationKind::Attio
        )
    }

    /// Whether a sync needs a credential (GitHub's token is optional; feeds are public).
    pub fn needs_credential(self) -> bool {
        !matches!(self, IntegrationKind::GithubReleases | IntegrationKind::Feeds)
    }

    /// The second field some connectors need — what to read — with its label and help; `None`
    /// when the credential says it all.
    pub fn target_help(self) -> Option<(&'static str, &'static str)> {
        match self {
            IntegrationKind::Posthog => Some((
                "Project ID",
                "The number in your PostHog project's URL: us.posthog.com/project/12345.",
            )),
            IntegrationKind::GithubReleases => Some((
                "Repositories",
                "owner/name, one per line (or separated by commas), e.g. piedpiper/middle-out.",
            )),
            IntegrationKind::Feeds => Some((
                "Feed or changelog URLs",
                "One per line: an RSS, Atom or JSON Feed, or a markdown changelog (each heading is an entry).",
            )),
            _ => None,
        }
    }

    /// The resources a sync walks through, in order (the progress bar's steps).
    pub fn sync_steps(self) -> &'static [&'static str] {
        match self {
            IntegrationKind::Stripe => &["subscriptions", "invoices"],
            IntegrationKind::Salesbricks => &["customers", "subscriptions"],
            IntegrationKind::Hubspot => &["companies"],
            IntegrationKind::Posthog => &["groups", "usage", "features"],
            IntegrationKind::GithubReleases => &["releases"],
            IntegrationKind::Feeds => &["entries"],
            IntegrationKind::Attio => &["companies", "deals"],
            _ => &[],
        }
    }

    /// What the credential field is called for this vendor, and where to get one.
    pub fn credential_help(self) -> (&'static str, &'static str) {
        match self {
            IntegrationKind::Stripe => (
                "Secret or restricted key",
                "Stripe Dashboard → Developers → API keys. A restricted key with read access to customers, subscriptions and invoices is enough.",
            ),
            IntegrationKind::Salesbricks => ("API token", "Salesbricks → Settings → API. Also signs its webhooks."),
            IntegrationKind::Posthog => ("Personal API key", "PostHog → Settings → Personal API keys (read access to the project)."),
            IntegrationKind::Hubspot => ("Private app token", "HubSpot → Settings → Integrations → Private apps (crm.objects.companies.read)."),
            IntegrationKind::Attio => ("Access token", "Attio → Workspace settings → Developers."),
            IntegrationKind::GithubReleases => ("Token (optional)", "Only needed for private repositories or more than 60 requests an hour."),
            IntegrationKind::Feeds => ("", ""),
            IntegrationKind::Signals => ("", ""),
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            IntegrationKind::Stripe => "https://api.stripe.com",
            IntegrationKind::Salesbricks => "https://api.salesbricks.com",
            IntegrationKind::Posthog => "https://us.posthog.com",
            IntegrationKind::Hubspot => "https://api.hubapi.com",
            IntegrationKind::Attio => "https://api.attio.com",
            IntegrationKind::GithubReleases => "https://api.github.com",
            IntegrationKind::Feeds | IntegrationKind::Signals => "",
        }
    }
}

/// What a connect form sends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrationSetup {
    pub credential: String,
    /// Empty for the vendor's own API; set for a self-hosted PostHog, an EU region, or a proxy.
    pub base_url: String,
    /// Minutes between scheduled syncs.
    pub schedule_minutes: u32,
    /// Stripe's webhook signing secret (`whsec_…`), optional.
    pub webhook_secret: String,
    /// What to read, for the kinds with a [`IntegrationKind::target_help`]: a PostHog project id,
    /// GitHub repositories, feed URLs.
    #[serde(default)]
    pub target: String,
}

/// The GitHub repositories of a target: `owner/name` each, in the order given, without repeats.
pub fn repositories(target: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in target.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let item = item
            .trim_start_matches("https://github.com/")
            .trim_end_matches('/')
            .trim_end_matches(".git");
        let ok = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match item.split_once('/') {
            Some((owner, name)) if ok(owner) && ok(name) => {
                let repo = format!("{owner}/{name}");
                if !out.iter().any(|r| r.eq_ignore_ascii_case(&repo)) {
                    out.push(repo);
                }
            }
            _ => return Err(format!("{item:?} is not owner/name (such as piedpiper/middle-out).")),
        }
    }
    if out.is_empty() {
        return Err("Enter at least one repository as owner/name.".into());
    }
    if out.len() > 50 {
        return Err("At most 50 repositories.".into());
    }
    Ok(out)
}

/// The feed and changelog URLs of a target, without repeats.
pub fn feed_urls(target: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for url in target.split(['\n', ' ', ',']).map(str::trim).filter(|s| !s.is_empty()) {
        if !is_web_url(url) {
            return Err(format!("{url:?} is not a web address starting with https://."));
        }
        if !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
    }
    if out.is_empty() {
        return Err("Enter at least one feed or changelog URL.".into());
    }
    if out.len() > 50 {
        return Err("At most 50 feeds.".into());
    }
    Ok(out)
}

fn is_web_url(url: &str) -> bool {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|host| !host.is_empty() && !host.starts_with('/') && !host.contains(char::is_whitespace))
}

impl IntegrationSetup {
    /// The same rules in the browser (before sending) and on the server (before storing).
    pub fn check(&self, kind: IntegrationKind) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let credential = self.credential.trim();
        if !kind.available() {
            errors.add(
                "credential",
                format!("{} cannot be connected in this version yet.", kind.label()),
            );
        } else if credential.is_empty() && kind.needs_credential() {
            errors.add(
                "credential",
                format!("Enter the {}.", kind.credential_help().0.to_lowercase()),
            );
        } else if credential.len() > 500 || credential.chars().any(|c| c.is_whitespace() || c.is_control()) {
            errors.add(
                "credential",
                "That does not look like a key: it has spaces or is far too long.",
            );
        } else if kind == IntegrationKind::Stripe && !(credential.starts_with("sk_") || credential.starts_with("rk_")) {
            errors.add(
                "credential",
                "Stripe secret keys start with sk_ (or rk_ for a restricted key). A publishable key (pk_) cannot read subscriptions.",
            );
        }
        let target = self.target.trim();
        let target_problem = match kind {
            IntegrationKind::Posthog if target.is_empty() => {
                Some("Enter the project ID (the number in your PostHog project's URL).".to_string())
            }
            IntegrationKind::Posthog if !target.chars().all(|c| c.is_ascii_digit()) || target.len() > 12 => {
                Some("A PostHog project ID is a number, such as 12345.".to_string())
            }
            IntegrationKind::GithubReleases => repositories(target).err(),
            IntegrationKind::Feeds => feed_urls(target).err(),
            _ => None,
        };
        if let Some(problem) = target_problem {
            errors.add("target", problem);
        }
        let base = self.base_url.trim();
        if !base.is_empty() {
            let rest = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) && !host.contains(['?', '#']) => {
                }
                _ => errors.add(
                    "base_url",
                    "Enter a URL starting with https:// (or leave it empty for the vendor's own API).",
                ),
            }
        }
        if !(SCHEDULE_MIN..=SCHEDULE_MAX).contains(&self.schedule_minutes) {
            errors.add(
                "schedule_minutes",
                format!("Sync every {SCHEDULE_MIN} to {SCHEDULE_MAX} minutes."),
            );
        }
        let hook = self.webhook_secret.trim();
        if !hook.is_empty() && (kind != IntegrationKind::Stripe || !hook.starts_with("whsec_")) {
            errors.add("webhook_secret", "Stripe webhook signing secrets start with whsec_.");
        }
        errors.into_result(())
    }
}

/// A currency code as ISO 4217 writes it: three letters, upper case.
pub fn check_currency(code: &str, workspace_currency: &str) -> Result<String, String> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err("Enter a three-letter currency code, such as EUR.".into());
    }
    if code == workspace_currency.to_ascii_uppercase() {
        return Err(format!("{code} is the workspace currency; it needs no rate."));
    }
    Ok(code)
}

/// "1.08" (units of the workspace currency per unit of the other) in millionths.
pub fn parse_rate(text: &str) -> Result<i64, String> {
    let text = text.trim().replace(',', ".");
    let bad = || "Enter the rate as a positive number, such as 1.08 (at most six decimals).".to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 6
        || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    if whole >= 1_000_000 {
        return Err(bad());
    }
    let frac: i64 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
    let millionths = whole * 1_000_000 + frac;
    if millionths == 0 {
        return Err(bad());
    }
    Ok(millionths)
}

/// One integration as Settings shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntegrationView {
    pub kind: IntegrationKind,
    pub connected: bool,
    /// e.g. "sk_••••1234".
    pub credential_mask: Option<String>,
    pub base_url: Option<String>,
    /// What it reads (a PostHog project, GitHub repositories, feed URLs).
    pub target: Option<String>,
    pub schedule_minutes: u32,
    pub connected_at: Option<String>,
    pub last_test: Option<String>,
    pub has_webhook_secret: bool,
    /// Where the vendor should send webhooks, for the kinds that have them.
    pub webhook_path: Option<String>,
    pub last_run: Option<SyncRunRow>,
    /// The run in progress, if any.
    pub running: Option<SyncProgress>,
}

/// What a run did with records it could not take as sent, counted by why; and the first records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunProblems {
    pub reasons: Vec<RunReason>,
    /// (record, why), skipped ones first, at most 100.
    pub records: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReason {
    /// The vendor's resource, as the run's steps name it ("deals", "subscriptions").
    pub resource: String,
    /// `skipped` or `repaired`.
    pub outcome: String,
    pub reason: String,
    pub count: i64,
}

impl RunReason {
    /// "2 deals skipped: its company is linked to no account".
    pub fn line(&self) -> String {
        let (one, many) = match self.resource.as_str() {
            "usage" => ("usage week", "usage weeks"),
            "features" => ("feature week", "feature weeks"),
            "entries" => ("feed entry", "feed entries"),
            "companies" => ("company", "companies"),
            "" => ("record", "records"),
            other => (other.strip_suffix('s').unwrap_or(other), other),
        };
        let noun = if self.count == 1 { one } else { many };
        format!("{} {noun} {}: {}", self.count, self.outcome, self.reason)
    }
}

/// Why a record was skipped or repaired, without what is particular to the record: a message
/// reads "why: details (hint)" and the part before the details or the hint is the reason.
pub fn reason_of(message: &str) -> String {
    let end = [message.find(": "), message.find(" (")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(message.len());
    message[..end].trim().to_string()
}

/// One sync run as Settings lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncRunRow {
    pub id: i64,
    pub source: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub fetched: i64,
    pub written: i64,
    pub skipped: i64,
    /// Records written after filling in what the vendor left out (a deal's currency).
    pub repaired: i64,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(credential: &str) -> IntegrationSetup {
        IntegrationSetup {
            credential: credential.into(),
            schedule_minutes: SCHEDULE_DEFAULT,
            ..Default::default()
        }
    }

    #[test]
    fn connect_forms_are_checked_field_by_field() {
        assert!(setup("sk_test_123").check(IntegrationKind::Stripe).is_ok());
        assert!(setup("rk_live_123").check(IntegrationKind::Stripe).is_ok());
        let pk = setup("pk_live_123").check(IntegrationKind::Stripe).unwrap_err();
        assert!(pk.get("credential").unwrap().contains("publishable"));
        assert!(setup("")
            .check(IntegrationKind::Salesbricks)
            .unwrap_err()
            .get("credential")
            .is_some());
        assert!(setup("tok en").check(IntegrationKind::Salesbricks).is_err());
        let mut s = setup("sbk_1");
        s.base_url = "ftp://x".into();
        s.schedule_minutes = 1;
        s.webhook_secret = "whsec_1".into();
        let e = s.check(IntegrationKind::Salesbricks).unwrap_err();
        assert!(
            e.get("base_url").is_some() && e.get("schedule_minutes").is_some() && e.get("webhook_secret").is_some()
        );
        let mut ok = setup("sk_test_1");
        ok.base_url = "http://127.0.0.1:9000".into();
        ok.webhook_secret = "whsec_abc".into();
        assert!(ok.check(IntegrationKind::Stripe).is_ok());
        assert!(
            setup("x").check(IntegrationKind::Signals).is_err(),
            "signals use API tokens, not a connection"
        );
        assert!(setup("pat-na1-123").check(IntegrationKind::Hubspot).is_ok());
    }

    #[test]
    fn targets_say_what_to_read() {
        let mut posthog = setup("phx_123");
        assert!(posthog
            .check(IntegrationKind::Posthog)
            .unwrap_err()
            .get("target")
            .is_some());
        posthog.target = "project 7".into();
        assert!(posthog
            .check(IntegrationKind::Posthog)
            .unwrap_err()
            .get("target")
            .unwrap()
            .contains("number"));
        posthog.target = " 12345 ".into();
        assert!(posthog.check(IntegrationKind::Posthog).is_ok());

        let mut github = setup("");
        github.target = "piedpiper/middle-out,\nhttps://github.com/hooli/nucleus.git\npiedpiper/Middle-Out".into();
        assert!(
            github.check(IntegrationKind::GithubReleases).is_ok(),
            "the token is optional"
        );
        assert_eq!(
            repositories(&github.target).unwrap(),
            vec!["piedpiper/middle-out".to_string(), "hooli/nucleus".to_string()]
        );
        github.target = "middle-out".into();
        assert!(github
            .check(IntegrationKind::GithubReleases)
            .unwrap_err()
            .get("target")
            .unwrap()
            .contains("owner/name"));

        let mut feeds = setup("");
        feeds.target = "https://piedpiper.com/changelog.md\nhttps://blog.piedpiper.com/feed.xml".into();
        assert!(feeds.check(IntegrationKind::Feeds).is_ok());
        feeds.target = "blog.piedpiper.com/feed".into();
        assert!(feeds.check(IntegrationKind::Feeds).is_err());
    }

    #[test]
    fn exchange_rates_are_read_exactly() {
        assert_eq!(parse_rate("1.08"), Ok(1_080_000));
        assert_eq!(parse_rate(" 0,0065 "), Ok(6_500));
        assert_eq!(parse_rate("150"), Ok(150_000_000));
        for bad in ["", "0", "-1", "1.0000001", "abc", "1e3", "."] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(check_currency("eur", "USD"), Ok("EUR".into()));
        assert!(check_currency("usd", "USD").is_err());
        assert!(check_currency("EURO", "USD").is_err());
    }

    #[test]
    fn run_reasons_count_alike_records_together() {
        assert_eq!(
            reason_of("its company is linked to no account: co-7 (link it in Settings)"),
            "its company is linked to no account"
        );
        assert_eq!(reason_of("has no items"), "has no items");
        assert_eq!(
            reason_of("has no domain and is linked to no account (hint)"),
            "has no domain and is linked to no account"
        );
        let line = |resource: &str, outcome: &str, count| {
            RunReason {
                resource: resource.into(),
                outcome: outcome.into(),
                reason: "why".into(),
                count,
            }
            .line()
        };
        assert_eq!(line("deals", "skipped", 2), "2 deals skipped: why");
        assert_eq!(line("deals", "repaired", 1), "1 deal repaired: why");
        assert_eq!(line("companies", "skipped", 1), "1 company skipped: why");
        assert_eq!(line("entries", "skipped", 3), "3 feed entries skipped: why");
    }
}
