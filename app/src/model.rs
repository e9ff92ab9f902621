//! Domain types shared by the browser and the server. Money is integer minor units plus an ISO
//! currency; dates are calendar days (`YYYY-MM-DD` on the wire and in the database).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in the currency's minor unit (cents for USD).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

impl Money {
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Self {
            minor,
            currency: currency.into(),
        }
    }

    /// Whole units with thousands separators, e.g. `$1,204,000` or `EUR 12,500`.
    pub fn display(&self) -> String {
        let units = self.minor.unsigned_abs() / 100;
        let mut digits = units.to_string();
        let mut grouped = String::new();
        while digits.len() > 3 {
            let tail = digits.split_off(digits.len() - 3);
            grouped = format!(",{tail}{grouped}");
        }
        grouped = format!("{digits}{grouped}");
        let sign = if self.minor < 0 { "-" } else { "" };
        match self.currency.as_str() {
            "USD" => format!("{sign}${grouped}"),
            "EUR" => format!("{sign}€{grouped}"),
            "GBP" => format!("{sign}£{grouped}"),
            other => format!("{sign}{other} {grouped}"),
        }
    }

    /// Short form for dense places such as chart labels: `$1.2M`, `$48k`.
    pub fn compact(&self) -> String {
        let units = self.minor as f64 / 100.0;
        let symbol = match self.currency.as_str() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            _ => "",
        };
        let abs = units.abs();
        let body = if abs >= 1_000_000.0 {
            format!("{:.1}M", units / 1_000_000.0)
        } else if abs >= 1_000.0 {
            format!("{:.0}k", units / 1_000.0)
        } else {
            format!("{units:.0}")
        };
        format!("{symbol}{body}")
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable key used in the database, URLs and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The word a person reads on screen.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Where an account stands in its life with us.
    Lifecycle {
        Prospect => "prospect" / "Prospect",
        Trial => "trial" / "Trial",
        Customer => "customer" / "Customer",
        Churned => "churned" / "Churned",
    }
);

string_enum!(
    /// The worst payment situation across an account's revenue sources.
    PaymentState {
        None => "none" / "No billing",
        Paid => "paid" / "Paid",
        Open => "open" / "Invoice open",
        PastDue => "past_due" / "Past due",
        Failed => "failed" / "Payment failed",
    }
);

impl PaymentState {
    /// Higher is worse; an account's state is the worst of its sources.
    pub fn severity(self) -> u8 {
        match self {
            PaymentState::None => 0,
            PaymentState::Paid => 1,
            PaymentState::Open => 2,
            PaymentState::PastDue => 3,
            PaymentState::Failed => 4,
        }
    }

    pub fn is_problem(self) -> bool {
        self.severity() >= PaymentState::PastDue.severity()
    }
}

string_enum!(
    /// The system a revenue source comes from.
    RevenueSourceKind {
        Salesbricks => "salesbricks" / "Salesbricks",
        Stripe => "stripe" / "Stripe",
    }
);

string_enum!(
    BillingInterval {
        Day => "day" / "Daily",
        Week => "week" / "Weekly",
        Month => "month" / "Monthly",
        Year => "year" / "Annual",
    }
);

string_enum!(
    InvoiceStatus {
        Draft => "draft" / "Draft",
        Open => "open" / "Open",
        Paid => "paid" / "Paid",
        Uncollectible => "uncollectible" / "Uncollectible",
        Void => "void" / "Void",
    }
);

string_enum!(
    SignalSource {
        Call => "call" / "Call",
        Support => "support" / "Support",
        Survey => "survey" / "Survey",
        Email => "email" / "Email",
        Chat => "chat" / "Chat",
        Other => "other" / "Other",
    }
);

string_enum!(
    DealSource {
        Salesbricks => "salesbricks" / "Salesbricks",
        Attio => "attio" / "Attio",
        Manual => "manual" / "Manual",
        Routed => "routed" / "Routed",
    }
);

string_enum!(
    StageOutcome {
        Open => "open" / "Open",
        Won => "won" / "Won",
        Lost => "lost" / "Lost",
    }
);

string_enum!(
    ReleaseSource {
        Github => "github" / "GitHub",
        Rss => "rss" / "RSS",
        Changelog => "changelog" / "Changelog",
    }
);

string_enum!(
    /// The integrations a workspace can connect (Settings → Integrations).
    IntegrationKind {
        Salesbricks => "salesbricks" / "Salesbricks",
        Stripe => "stripe" / "Stripe",
        Posthog => "posthog" / "PostHog",
        Hubspot => "hubspot" / "HubSpot",
        Attio => "attio" / "Attio",
        GithubReleases => "github" / "GitHub releases",
        Feeds => "feeds" / "RSS / changelog feeds",
        Signals => "signals" / "Signals endpoint",
    }
);

impl IntegrationKind {
    pub fn powers(self) -> &'static str {
        match self {
            IntegrationKind::Salesbricks => "Contracts, orders, trials, deal stages, closed-lost reasons",
            IntegrationKind::Stripe => "Subscriptions, invoices, payment state, MRR/ARR",
            IntegrationKind::Posthog => "Active users, feature adoption, weekly trends",
            IntegrationKind::Hubspot => "Industry, size, location and custom fields",
            IntegrationKind::Attio => "Deals for Pipeline (instead of Salesbricks)",
            IntegrationKind::GithubReleases => "Shipped features for Close the Loop",
            IntegrationKind::Feeds => "Shipped features from RSS, Atom and changelogs",
            IntegrationKind::Signals => "Calls, support tickets and surveys behind risk factors",
        }
    }
}

/// The workspace a page is showing, and whether it is the Pied Piper demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    pub id: i64,
    pub name: String,
    pub is_demo: bool,
    pub currency: String,
    pub connected_integrations: u32,
    /// Whether it holds any account yet (the sample data, an import, a sync).
    #[serde(default)]
    pub holds_accounts: bool,
    /// Where Pipeline's CRM deals come from: `all`, `salesbricks` or `attio`.
    #[serde(default)]
    pub pipeline_source: String,
}

/// Pipeline's settings: the stages in board order and which CRM's deals it shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineSettings {
    /// (key, label, outcome) in board order.
    pub stages: Vec<(String, String, StageOutcome)>,
    pub source: String,
}

/// The choices for Pipeline's CRM of record.
pub const PIPELINE_SOURCES: [(&str, &str); 3] = [
    ("all", "Salesbricks and Attio"),
    ("salesbricks", "Salesbricks only"),
    ("attio", "Attio only"),
];

/// Checks a new board order: every stage exactly once, nothing else.
pub fn check_stage_order(current: &[String], wanted: &[String]) -> Result<(), String> {
    let mut a = current.to_vec();
    let mut b = wanted.to_vec();
    a.sort();
    b.sort();
    if a != b {
        return Err("The new order must list every stage exactly once.".into());
    }
    Ok(())
}

/// One page of a list, with enough to draw a pager.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(self.per_page.max(1) as u64) as u32).max(1)
    }
}

/// Paging, search and sort of a list; lives in the URL query.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub page: u32,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub filter: String,
    /// Health band: red, amber, green, or at_risk (amber and red).
    #[serde(default)]
    pub band: String,
    /// A score bucket's lower bound (0, 10, … 90), set by clicking the ARR distribution chart.
    #[serde(default)]
    pub bucket: String,
    /// Owner's name, or `none` for accounts nobody owns.
    #[serde(default)]
    pub owner: String,
    /// Renewal window in days: 30, 60 or 90.
    #[serde(default)]
    pub renewal: String,
    /// Payment state (paid, open, past_due, failed) or `problem` (past due or failed).
    #[serde(default)]
    pub payment: String,
    /// `show` lists untracked accounts too (Convert, Contracts, Pipeline, Re-engage hide them).
    #[serde(default)]
    pub untracked: String,
    /// A loss reason category on Re-engage (price, timing, competitor, missing_feature, other).
    #[serde(default)]
    pub reason: String,
    /// Where a deal comes from on Pipeline (salesbricks, attio, manual, routed).
    #[serde(default)]
    pub source: String,
    /// `table` shows Pipeline as a table instead of the board; Close the Loop: `account` (default),
    /// `project`, `themes`, `releases` or `sent`.
    #[serde(default)]
    pub view: String,
    /// A product area on Close the Loop.
    #[serde(default)]
    pub project: String,
}

impl ListQuery {
    /// Whether untracked accounts are asked for on the pages that hide them by default.
    pub fn shows_untracked(&self) -> bool {
        self.untracked == "show"
    }
}

pub const PER_PAGE: u32 = 25;
pub const MAX_SEARCH_LEN: usize = 200;

impl ListQuery {
    /// Pages count from 1 in URLs; 0 or missing means the first.
    pub fn page(&self) -> u32 {
        self.page.max(1)
    }

    pub fn offset(&self) -> u64 {
        (self.page() as u64 - 1) * PER_PAGE as u64
    }

    /// Trimmed search text, or an error a person can act on.
    pub fn search(&self) -> Result<Option<String>, String> {
        let q = self.q.trim();
        if q.chars().count() > MAX_SEARCH_LEN {
            return Err(format!("Search is limited to {MAX_SEARCH_LEN} characters."));
        }
        Ok((!q.is_empty()).then(|| q.to_lowercase()))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    pub owner_name: Option<String>,
    pub lifecycle: Lifecycle,
    pub tracked: bool,
    pub arr: Money,
    pub renewal_date: Option<NaiveDate>,
    pub payment_state: PaymentState,
    /// The health score, once the account has been scored.
    pub score: Option<i32>,
    pub band: Option<crate::scoring::Band>,
    /// A CSM's band that wins over the computed one until it expires.
    pub override_band: Option<crate::scoring::Band>,
    /// The two factors that hurt the score most.
    pub risks: Vec<crate::scoring::Factor>,
}

impl AccountRow {
    /// The band the account is treated as: the CSM's override while it lasts, else the score's.
    pub fn effective_band(&self) -> Option<crate::scoring::Band> {
        self.override_band.or(self.band)
    }
}

/// A CSM's manual band for an account: why, until when, by whom.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandOverride {
    pub band: crate::scoring::Band,
    pub reason: String,
    /// The last day the override applies.
    pub expires_on: NaiveDate,
    pub set_by: String,
    pub set_at: String,
}

pub const OVERRIDE_REASON_MIN: usize = 10;
pub const OVERRIDE_REASON_MAX: usize = 500;
pub const OVERRIDE_MAX_DAYS: i64 = 180;

impl BandOverride {
    /// Checks a requested override (the same check in the browser and on the server); returns the
    /// trimmed reason.
    pub fn check(
        reason: &str,
        expires_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<String, crate::access::FieldErrors> {
        let mut errors = crate::access::FieldErrors::default();
        let reason = reason.trim();
        let len = reason.chars().count();
        if len < OVERRIDE_REASON_MIN {
            errors.add(
                "reason",
                format!("Say why in at least {OVERRIDE_REASON_MIN} characters; the team will read it."),
            );
        } else if len > OVERRIDE_REASON_MAX {
            errors.add(
                "reason",
                format!("Keep the reason under {OVERRIDE_REASON_MAX} characters."),
            );
        }
        match expires_on {
            None => errors.add("expires_on", "Pick the last day the override should apply."),
            Some(d) if d < today => errors.add("expires_on", "The expiry date is in the past."),
            Some(d) if (d - today).num_days() > OVERRIDE_MAX_DAYS => errors.add(
                "expires_on",
                format!("Overrides last at most {OVERRIDE_MAX_DAYS} days, so a stale one cannot hide a risk."),
            ),
            Some(_) => {}
        }
        errors.into_result(reason.to_string())
    }
}

/// ARR and accounts in one band of health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandTotal {
    pub band: crate::scoring::Band,
    pub accounts: u64,
    pub arr: Money,
}

/// ARR of the accounts whose score falls in `from..from + 10` (the last bucket includes 100).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreBucket {
    pub from: i32,
    pub accounts: u64,
    pub arr: Money,
    pub band: crate::scoring::Band,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthSummary {
    pub accounts: u64,
    pub untracked: u64,
    pub total_arr: Money,
    pub renewals_30: u64,
    pub renewals_60: u64,
    pub renewals_90: u64,
    pub arr_renewing_90: Money,
    pub payment_problems: u64,
    /// ARR renewing per calendar month for the next twelve months: (`YYYY-MM`, ARR).
    pub renewal_months: Vec<(String, Money)>,
    /// Red, amber, green.
    pub bands: Vec<BandTotal>,
    /// ARR of amber and red accounts.
    pub arr_at_risk: Money,
    pub score_buckets: Vec<ScoreBucket>,
    pub unscored: u64,
    /// Everyone who owns an account, for the owner filter.
    pub owners: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub is_champion: bool,
    pub left_on: Option<NaiveDate>,
    /// Asked not to receive email from Success.
    pub opted_out: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevenueSourceRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub source: RevenueSourceKind,
    pub external_id: String,
    pub plan: String,
    pub status: String,
    pub mrr: Money,
    pub billing_interval: BillingInterval,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub renewal_date: Option<NaiveDate>,
    pub days_to_renewal: Option<i64>,
    pub payment_state: PaymentState,
    /// Collection attempts on its open invoices (a failed card is retried).
    pub failed_attempts: i64,
    pub auto_renew: bool,
    pub cancel_at_period_end: bool,
    pub owner_name: Option<String>,
}

/// The Contracts page: a page of revenue sources with totals over every row the filters match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContractsView {
    pub rows: Page<RevenueSourceRow>,
    /// MRR and ARR of the matching rows, in the workspace currency at its rates.
    pub mrr_total: Money,
    pub arr_total: Money,
    pub owners: Vec<String>,
}

/// The Contracts export: one line per revenue source, amounts in major units.
pub fn contracts_csv(rows: &[RevenueSourceRow]) -> String {
    let mut out = String::from(
        "account,owner,source,plan,status,payment,failed_attempts,mrr,arr,currency,start,renewal_or_end,days_to_renewal,renews\r\n",
    );
    for r in rows {
        let major = |minor: i64| format!("{:.2}", minor as f64 / 100.0);
        let renews = if r.cancel_at_period_end {
            "cancels at period end"
        } else if r.auto_renew {
            "auto-renews"
        } else {
            "manual"
        };
        let fields = [
            r.account_name.clone(),
            r.owner_name.clone().unwrap_or_default(),
            r.source.label().to_string(),
            r.plan.clone(),
            r.status.clone(),
            r.payment_state.as_str().to_string(),
            r.failed_attempts.to_string(),
            major(r.mrr.minor),
            major(r.mrr.minor * 12),
            r.mrr.currency.clone(),
            r.start_date.to_string(),
            r.renewal_date.or(r.end_date).map(|d| d.to_string()).unwrap_or_default(),
            r.days_to_renewal.map(|d| d.to_string()).unwrap_or_default(),
            renews.to_string(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a CSV field when it needs it, and defuses text a spreadsheet would run as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err() {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

impl RevenueSourceRow {
    pub fn arr(&self) -> Money {
        Money::new(self.mrr.minor * 12, self.mrr.currency.clone())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: i64,
    pub external_id: String,
    pub status: InvoiceStatus,
    pub amount_due: Money,
    pub amount_remaining: Money,
    pub attempt_count: i64,
    pub issued_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub paid_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageWeek {
    pub week_start: NaiveDate,
    pub active_users: i64,
    pub licensed_seats: i64,
    pub feature_adoption: Vec<(String, i64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalRow {
    pub id: i64,
    pub source: SignalSource,
    pub sentiment: f64,
    pub topic: String,
    pub quote: String,
    pub link: Option<String>,
    pub occurred_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DealRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub name: String,
    pub stage: String,
    pub stage_label: String,
    pub outcome: StageOutcome,
    pub amount: Money,
    pub expected_close: Option<NaiveDate>,
    pub source: DealSource,
    pub closed_lost_reason: Option<String>,
    pub lost_on: Option<NaiveDate>,
    /// Bumped on every move, so two people moving the same deal cannot overwrite each other.
    pub version: i64,
    /// Its place within its stage's column (lower first).
    pub position: i64,
    pub owner: Option<String>,
    /// The account's health score and band, for the card's chip.
    pub score: Option<i32>,
    pub band: Option<crate::scoring::Band>,
    /// The account's running trial's conversion likelihood, 0–100.
    pub convert_likelihood: Option<i32>,
    /// Why the CRM has not taken this deal's last move yet (Attio write-back).
    pub writeback_error: Option<String>,
}

impl DealRow {
    /// Why this deal cannot be moved in Success, if it cannot (the card shows it locked).
    pub fn locked_reason(&self) -> Option<&'static str> {
        (self.source == DealSource::Salesbricks)
            .then_some("Salesbricks deals follow their contract: change the stage in Salesbricks.")
    }
}

/// One Kanban column: the stage with the count and amount of the deals the filters select, and
/// its first cards in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: StageSummary,
    pub cards: Vec<DealRow>,
}

impl BoardColumn {
    /// Cards in the stage that the column does not show (see the table view).
    pub fn hidden(&self) -> u64 {
        self.stage.deals.saturating_sub(self.cards.len() as u64)
    }
}

/// The Pipeline as a Kanban board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KanbanBoard {
    pub columns: Vec<BoardColumn>,
    pub owners: Vec<String>,
}

/// How many cards a Kanban column shows; the rest are in the table view.
pub const BOARD_COLUMN_CARDS: usize = 60;

/// Moves a card on the board as the server will: out of its column, into `to_stage` just before
/// the card `before` (else last), with both columns' counts and amounts following. Returns the
/// card as it was, or `None` when nothing moves (unknown card or stage, or the same place).
pub fn move_card(columns: &mut [BoardColumn], deal_id: i64, to_stage: &str, before: Option<i64>) -> Option<DealRow> {
    let from = columns.iter().position(|c| c.cards.iter().any(|d| d.id == deal_id))?;
    let to = columns.iter().position(|c| c.stage.key == to_stage)?;
    let at = columns[from].cards.iter().position(|d| d.id == deal_id)?;
    let before = before.filter(|b| *b != deal_id);
    if from == to {
        let next = columns[from].cards.get(at + 1).map(|d| d.id);
        if next == before {
            return None;
        }
    }
    let card = columns[from].cards.remove(at);
    let original = card.clone();
    let mut moved = card;
    if from != to {
        let amount = moved.amount.minor;
        let source = &mut columns[from].stage;
        source.deals = source.deals.saturating_sub(1);
        source.amount.minor -= amount;
        let target = &mut columns[to].stage;
        target.deals += 1;
        target.amount.minor += amount;
        moved.stage = target.key.clone();
        moved.stage_label = target.label.clone();
        moved.outcome = target.outcome;
    }
    let cards = &mut columns[to].cards;
    let index = before
        .and_then(|b| cards.iter().position(|d| d.id == b))
        .unwrap_or(cards.len());
    cards.insert(index, moved);
    Some(original)
}

/// Takes the server's answer for a moved card: its new version and write-back state. Where it
/// stands stays as the board shows it (a later move of the same card may already be on screen).
pub fn settle_card(columns: &mut [BoardColumn], row: &DealRow) {
    for column in columns.iter_mut() {
        if let Some(card) = column.cards.iter_mut().find(|d| d.id == row.id) {
            card.version = row.version;
            card.writeback_error = row.writeback_error.clone();
            return;
        }
    }
}

/// Where the arrow keys move a focused card: ←/→ to the end of the stage beside it, ↑/↓ one place
/// within its stage. `None` when it cannot go that way.
pub fn keyboard_move(columns: &[BoardColumn], deal_id: i64, key: &str) -> Option<(String, Option<i64>)> {
    let col = columns.iter().position(|c| c.cards.iter().any(|d| d.id == deal_id))?;
    let at = columns[col].cards.iter().position(|d| d.id == deal_id)?;
    let cards = &columns[col].cards;
    let here = columns[col].stage.key.clone();
    match key {
        "ArrowLeft" => col.checked_sub(1).map(|c| (columns[c].stage.key.clone(), None)),
        "ArrowRight" => columns.get(col + 1).map(|c| (c.stage.key.clone(), None)),
        "ArrowUp" => at.checked_sub(1).map(|prev| (here, Some(cards[prev].id))),
        "ArrowDown" => match at + 2 {
            after if after < cards.len() => Some((here, Some(cards[after].id))),
            after if after == cards.len() => Some((here, None)),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSummary {
    pub key: String,
    pub label: String,
    pub outcome: StageOutcome,
    pub deals: u64,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineView {
    pub stages: Vec<StageSummary>,
    pub deals: Page<DealRow>,
    pub owners: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub lifecycle: Lifecycle,
    pub started_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub days_left: i64,
    pub seats: i64,
    pub activation_events: i64,
    pub active_users_last_week: Option<i64>,
    pub deal_stage: Option<String>,
    pub potential_arr: Money,
    /// Conversion likelihood with its factors, once scored.
    pub likelihood: Option<crate::likelihood::Likelihood>,
    /// likelihood × urgency × potential ARR: the order Convert works in.
    pub priority: Money,
}

/// The terms of the trial a Convert row is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialTerms {
    pub id: i64,
    pub started_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub days_left: i64,
    pub seats: i64,
    pub activation_events: i64,
}

/// One Convert candidate: a trial, or a prospect that has not started one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvertRow {
    pub account_id: i64,
    pub account_name: String,
    pub lifecycle: Lifecycle,
    /// `None` for a prospect without a trial: its urgency comes from its deal alone.
    pub trial: Option<TrialTerms>,
    pub active_users_last_week: Option<i64>,
    pub deal_stage: Option<String>,
    pub potential_arr: Money,
    /// Conversion likelihood with its factors, once scored.
    pub likelihood: Option<crate::likelihood::Likelihood>,
    /// likelihood × urgency × potential ARR: the order Convert works in.
    pub priority: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvertView {
    pub candidates: Page<ConvertRow>,
    pub model: crate::likelihood::Model,
}

/// What a CSM did about a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WinbackStatus {
    Open,
    Contacted,
    Snoozed,
    WonBack,
}

impl WinbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WinbackStatus::Open => "open",
            WinbackStatus::Contacted => "contacted",
            WinbackStatus::Snoozed => "snoozed",
            WinbackStatus::WonBack => "won_back",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Contacted, Self::Snoozed, Self::WonBack]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A lost opportunity worth a winback: an account's latest closed-lost deal or churn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReengageRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub lifecycle: Lifecycle,
    pub deal_name: String,
    pub reason: String,
    pub reason_category: crate::likelihood::LostReason,
    pub lost_on: Option<NaiveDate>,
    pub lost_value: Money,
    pub status: WinbackStatus,
    pub contacted_on: Option<NaiveDate>,
    pub contacted_by: Option<String>,
    pub snoozed_until: Option<NaiveDate>,
    pub likelihood: Option<crate::likelihood::Likelihood>,
    /// Why now is a good moment to reach out.
    pub why_now: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReengageView {
    /// Lost value still to win back (won-back rows left out).
    pub lost_total: Money,
    /// Lost value by reason category, largest first: (category, value).
    pub by_reason: Vec<(crate::likelihood::LostReason, Money)>,
    pub rows: Page<ReengageRow>,
    pub model: crate::likelihood::Model,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureRequestRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub project: String,
    pub quote: String,
    pub requester: Option<String>,
    pub requested_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRow {
    pub id: i64,
    pub source: ReleaseSource,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub published_on: NaiveDate,
    /// Its bullet points or headings, as Close the Loop matches them.
    pub items: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub account: AccountRow,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub country: Option<String>,
    /// HubSpot custom company properties: (label, value).
    pub custom_fields: Vec<(String, String)>,
    pub contacts: Vec<ContactRow>,
    pub revenue_sources: Vec<RevenueSourceRow>,
    pub invoices: Vec<InvoiceRow>,
    pub usage: Vec<UsageWeek>,
    pub signals: Vec<SignalRow>,
    pub deals: Vec<DealRow>,
    pub trials: Vec<TrialRow>,
    pub requests: Vec<FeatureRequestRow>,
    pub score: Option<crate::scoring::Score>,
    /// Daily score points of the last 90 days, oldest first.
    pub history: Vec<(NaiveDate, i32)>,
    /// Where the account has been routed, newest first.
    pub routes: Vec<RouteRow>,
    /// The CSM's band override, while it applies.
    pub band_override: Option<BandOverride>,
    /// Stage changes of the account's deals, newest first.
    pub stage_moves: Vec<StageMove>,
}

/// A deal moved from one stage to another (from nothing when it was opened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageMove {
    pub deal_name: String,
    pub from_label: Option<String>,
    pub to_label: String,
    pub moved_by: String,
    /// RFC 3339 instant.
    pub moved_at: String,
}

/// One line of an account's activity feed (built in the browser from the detail).
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityItem {
    /// `YYYY-MM-DD` or an RFC 3339 instant; sorts newest first as text.
    pub when: String,
    pub kind: &'static str,
    pub text: String,
    pub quote: Option<String>,
    pub href: Option<String>,
}

impl AccountDetail {
    /// Calls and signals, invoices and payments, stage changes, routes and overrides, newest first.
    pub fn activity(&self) -> Vec<ActivityItem> {
        let mut items = Vec::new();
        for s in &self.signals {
            items.push(ActivityItem {
                when: s.occurred_on.to_string(),
                kind: s.source.label(),
                text: s.topic.clone(),
                quote: Some(s.quote.clone()),
                href: Some(format!("#signal-{}", s.id)),
            });
        }
        for i in &self.invoices {
            items.push(ActivityItem {
                when: i.issued_on.to_string(),
                kind: "Invoice",
                text: format!(
                    "Invoice {} issued: {} ({})",
                    i.external_id,
                    i.amount_due.display(),
                    i.status.label().to_lowercase()
                ),
                quote: None,
                href: Some("#invoices".into()),
            });
            if let Some(paid) = i.paid_on {
                items.push(ActivityItem {
                    when: paid.to_string(),
                    kind: "Payment",
                    text: format!("Paid {} for invoice {}", i.amount_due.display(), i.external_id),
                    quote: None,
                    href: Some("#invoices".into()),
                });
            } else if i.attempt_count > 1 {
                items.push(ActivityItem {
                    when: i.due_on.unwrap_or(i.issued_on).to_string(),
                    kind: "Payment",
                    text: format!(
                        "{} payment attempts failed for invoice {}",
                        i.attempt_count, i.external_id
                    ),
                    quote: None,
                    href: Some("#invoices".into()),
                });
            }
        }
        for m in &self.stage_moves {
            items.push(ActivityItem {
                when: m.moved_at.clone(),
                kind: "Deal",
                text: match &m.from_label {
                    Some(from) => format!("{} moved {from} → {} by {}", m.deal_name, m.to_label, m.moved_by),
                    None => format!("{} opened in {} by {}", m.deal_name, m.to_label, m.moved_by),
                },
                quote: None,
                href: None,
            });
        }
        for d in &self.deals {
            if let Some(lost) = d.lost_on {
                items.push(ActivityItem {
                    when: lost.to_string(),
                    kind: "Deal",
                    text: format!(
                        "{} lost{}",
                        d.name,
                        d.closed_lost_reason
                            .as_ref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                    quote: None,
                    href: None,
                });
            }
        }
        for r in &self.routes {
            items.push(ActivityItem {
                when: r.routed_at.clone(),
                kind: "Route",
                text: format!(
                    "Routed {} → {} by {}",
                    r.from_page.label(),
                    r.to_page.label(),
                    r.routed_by
                ),
                quote: r.note.clone(),
                href: Some(r.to_page.path().to_string()),
            });
        }
        if let Some(o) = &self.band_override {
            items.push(ActivityItem {
                when: o.set_at.clone(),
                kind: "Override",
                text: format!("{} set the band to {} until {}", o.set_by, o.band.label(), o.expires_on),
                quote: Some(o.reason.clone()),
                href: Some("#health".into()),
            });
        }
        items.sort_by(|a, b| b.when.cmp(&a.when));
        items
    }

    /// The last day anything happened: usage, a signal, a payment, a move.
    /// `feed` is [`AccountDetail::activity`], computed once by the caller.
    pub fn last_activity(&self, feed: &[ActivityItem]) -> Option<NaiveDate> {
        let usage = self
            .usage
            .iter()
            .filter(|w| w.active_users > 0)
            .map(|w| w.week_start)
            .max();
        let feed = feed
            .first()
            .and_then(|a| NaiveDate::parse_from_str(a.when.get(..10).unwrap_or(""), "%Y-%m-%d").ok());
        usage.max(feed)
    }
}

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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataCounts {
    pub accounts: u64,
    pub revenue_sources: u64,
    pub invoices: u64,
    pub usage_weeks: u64,
    pub signals: u64,
    pub deals: u64,
    pub trials: u64,
    pub feature_requests: u64,
    pub releases: u64,
}

string_enum!(
    /// The workflow pages an account can be routed to.
    RoutePage {
        Health => "health" / "Health",
        Convert => "convert" / "Convert",
        Contracts => "contracts" / "Contracts",
        Pipeline => "pipeline" / "Pipeline",
        Reengage => "reengage" / "Re-engage",
    }
);

impl RoutePage {
    pub fn path(self) -> &'static str {
        match self {
            RoutePage::Health => "/health",
            RoutePage::Convert => "/convert",
            RoutePage::Contracts => "/contracts",
            RoutePage::Pipeline => "/pipeline",
            RoutePage::Reengage => "/re-engage",
        }
    }
}

/// An account sent from one workflow page to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub from_page: RoutePage,
    pub to_page: RoutePage,
    pub routed_by: String,
    pub note: Option<String>,
    pub routed_at: String,
    pub dismissed: bool,
    /// The expansion deal opened when the account was routed to Pipeline.
    pub deal_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TvDashboard {
    pub workspace_name: String,
    pub summary: TvSummary,
    /// Accounts with payment problems or renewing soonest, for the wall.
    pub attention: Vec<TvAccount>,
    /// Accounts renewing in the next 30 days, soonest first (a calendar month runs dry at its end).
    pub renewals: Vec<TvAccount>,
    /// At-risk and critical accounts, largest ARR first.
    pub at_risk: Vec<TvAccount>,
    /// Open stages with their deal counts and amounts.
    pub pipeline: Vec<StageSummary>,
    pub recent_wins: Vec<TvWin>,
    /// When the server put this together (RFC 3339).
    pub as_of: String,
}

/// A display link shows a wall, so its payload holds what the wall draws and nothing more: no
/// ids, owners, domains or score evidence for anyone who copies the link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TvSummary {
    pub total_arr: Money,
    pub arr_at_risk: Money,
    pub accounts: u64,
    pub renewals_30: u64,
    pub payment_problems: u64,
    pub score_buckets: Vec<ScoreBucket>,
}

impl From<&HealthSummary> for TvSummary {
    fn from(s: &HealthSummary) -> Self {
        TvSummary {
            total_arr: s.total_arr.clone(),
            arr_at_risk: s.arr_at_risk.clone(),
            accounts: s.accounts,
            renewals_30: s.renewals_30,
            payment_problems: s.payment_problems,
            score_buckets: s.score_buckets.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TvAccount {
    pub name: String,
    pub score: Option<i32>,
    pub band: Option<crate::scoring::Band>,
    pub override_band: Option<crate::scoring::Band>,
    pub arr: Money,
    pub renewal_date: Option<NaiveDate>,
    pub payment_state: PaymentState,
}

impl From<AccountRow> for TvAccount {
    fn from(a: AccountRow) -> Self {
        TvAccount {
            name: a.name,
            score: a.score,
            band: a.band,
            override_band: a.override_band,
            arr: a.arr,
            renewal_date: a.renewal_date,
            payment_state: a.payment_state,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TvWin {
    pub account_name: String,
    pub deal_name: String,
    pub amount: Money,
}

impl From<DealRow> for TvWin {
    fn from(d: DealRow) -> Self {
        TvWin {
            account_name: d.account_name,
            deal_name: d.name,
            amount: d.amount,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub integrations: Vec<crate::integrations::IntegrationView>,
    /// The workspace currency and the configured rates into it: (currency, millionths).
    pub currency: String,
    pub rates: Vec<(String, i64)>,
    pub recent_runs: Vec<SyncRunRow>,
    pub counts: DataCounts,
    /// Live API tokens for the signals endpoint.
    pub api_tokens: Vec<crate::signals::ApiTokenRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Vec<BoardColumn> {
        let deal = |id: i64, stage: &str, amount: i64| DealRow {
            id,
            account_id: id,
            account_name: format!("Account {id}"),
            name: format!("Deal {id}"),
            stage: stage.into(),
            stage_label: stage.to_uppercase(),
            outcome: StageOutcome::Open,
            amount: Money::new(amount, "USD"),
            expected_close: None,
            source: DealSource::Manual,
            closed_lost_reason: None,
            lost_on: None,
            version: 1,
            position: id,
            owner: None,
            score: None,
            band: None,
            convert_likelihood: None,
            writeback_error: None,
        };
        let column = |key: &str, cards: Vec<DealRow>| BoardColumn {
            stage: StageSummary {
                key: key.into(),
                label: key.to_uppercase(),
                outcome: StageOutcome::Open,
                deals: cards.len() as u64,
                amount: Money::new(cards.iter().map(|c| c.amount.minor).sum(), "USD"),
            },
            cards,
        };
        vec![
            column("a", vec![deal(1, "a", 100), deal(2, "a", 200), deal(3, "a", 300)]),
            column("b", vec![deal(4, "b", 400)]),
        ]
    }

    fn ids(columns: &[BoardColumn], i: usize) -> Vec<i64> {
        columns[i].cards.iter().map(|d| d.id).collect()
    }

    #[test]
    fn a_card_moved_across_columns_carries_its_amount_and_takes_the_new_stage() {
        let mut b = board();
        let was = move_card(&mut b, 2, "b", Some(4)).unwrap();
        assert_eq!(was.stage, "a");
        assert_eq!(ids(&b, 0), vec![1, 3]);
        assert_eq!(ids(&b, 1), vec![2, 4]);
        assert_eq!((b[0].stage.deals, b[0].stage.amount.minor), (2, 400));
        assert_eq!((b[1].stage.deals, b[1].stage.amount.minor), (2, 600));
        assert_eq!(
            (b[1].cards[0].stage.as_str(), b[1].cards[0].stage_label.as_str()),
            ("b", "B")
        );
        // Dropped with no card below it: last.
        move_card(&mut b, 1, "b", None).unwrap();
        assert_eq!(ids(&b, 1), vec![2, 4, 1]);
    }

    #[test]
    fn reordering_within_a_column_keeps_its_totals_and_a_drop_in_place_is_no_move() {
        let mut b = board();
        assert!(move_card(&mut b, 1, "a", Some(2)).is_none(), "already just before 2");
        assert!(move_card(&mut b, 3, "a", None).is_none(), "already last");
        assert!(move_card(&mut b, 9, "a", None).is_none(), "unknown card");
        assert!(move_card(&mut b, 1, "zzz", None).is_none(), "unknown stage");
        move_card(&mut b, 3, "a", Some(1)).unwrap();
        assert_eq!(ids(&b, 0), vec![3, 1, 2]);
        assert_eq!((b[0].stage.deals, b[0].stage.amount.minor), (3, 600));
    }

    #[test]
    fn arrow_keys_move_a_card_beside_or_within_its_stage() {
        let b = board();
        assert_eq!(keyboard_move(&b, 2, "ArrowRight"), Some(("b".into(), None)));
        assert_eq!(keyboard_move(&b, 2, "ArrowLeft"), None);
        assert_eq!(keyboard_move(&b, 4, "ArrowLeft"), Some(("a".into(), None)));
        assert_eq!(keyboard_move(&b, 2, "ArrowUp"), Some(("a".into(), Some(1))));
        assert_eq!(keyboard_move(&b, 1, "ArrowUp"), None);
        assert_eq!(keyboard_move(&b, 1, "ArrowDown"), Some(("a".into(), Some(3))));
        assert_eq!(keyboard_move(&b, 2, "ArrowDown"), Some(("a".into(), None)));
        assert_eq!(keyboard_move(&b, 3, "ArrowDown"), None);
        // What the keys pick is a real move.
        let mut moved = b.clone();
        let (stage, before) = keyboard_move(&b, 1, "ArrowDown").unwrap();
        move_card(&mut moved, 1, &stage, before).unwrap();
        assert_eq!(ids(&moved, 0), vec![2, 1, 3]);
    }

    #[test]
    fn money_displays_whole_units_with_separators() {
        assert_eq!(Money::new(120_400_000, "USD").display(), "$1,204,000");
        assert_eq!(Money::new(99, "USD").display(), "$0");
        assert_eq!(Money::new(-250_000, "EUR").display(), "-€2,500");
        assert_eq!(Money::new(1_000_000, "CHF").display(), "CHF 10,000");
        assert_eq!(Money::new(123_456_789, "USD").compact(), "$1.2M");
        assert_eq!(Money::new(4_800_000, "USD").compact(), "$48k");
    }

    #[test]
    fn enums_round_trip_through_their_keys() {
        for l in Lifecycle::ALL {
            assert_eq!(Lifecycle::parse(l.as_str()), Some(*l));
        }
        assert_eq!(PaymentState::parse("past_due"), Some(PaymentState::PastDue));
        assert_eq!(PaymentState::parse("PAST_DUE"), None);
    }

    #[test]
    fn worse_payment_states_rank_higher() {
        assert!(PaymentState::Failed.severity() > PaymentState::PastDue.severity());
        assert!(PaymentState::PastDue.is_problem());
        assert!(!PaymentState::Open.is_problem());
    }

    #[test]
    fn list_query_pages_from_one_and_rejects_huge_searches() {
        let q = ListQuery::default();
        assert_eq!(q.page(), 1);
        assert_eq!(q.offset(), 0);
        let q = ListQuery {
            page: 3,
            q: "  Hooli ".into(),
            ..Default::default()
        };
        assert_eq!(q.offset(), 50);
        assert_eq!(q.search().unwrap().as_deref(), Some("hooli"));
        let q = ListQuery {
            q: "x".repeat(201),
            ..Default::default()
        };
        assert!(q.search().is_err());
        let page = Page::<u8> {
            rows: vec![],
            total: 51,
            page: 1,
            per_page: 25,
        };
        assert_eq!(page.page_count(), 3);
    }
}

/// Settings → Scoring: the scorecard and what the preview needs to re-band accounts in the browser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoringView {
    pub card: crate::scoring::Scorecard,
    /// True while the workspace uses the built-in scorecard.
    pub is_default: bool,
    /// The largest monitored accounts (at most [`PREVIEW_LIMIT`]), with their inputs.
    pub preview: Vec<crate::scoring::PreviewAccount>,
    /// How many monitored accounts there are in all.
    pub monitored: u64,
    pub currency: String,
    /// The Convert and Re-engage likelihood models, with how well they did.
    pub models: Vec<crate::likelihood::Model>,
}

pub const PREVIEW_LIMIT: usize = 5_000;
