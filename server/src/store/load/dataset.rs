//! The dataset a bulk load writes: a new workspace and its rows, which refer to each other by index.

#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub workspace: NewWorkspace,
    pub stages: Vec<NewStage>,
    pub accounts: Vec<NewAccount>,
    pub contacts: Vec<NewContact>,
    pub revenue_sources: Vec<NewRevenueSource>,
    pub invoices: Vec<NewInvoice>,
    pub usage: Vec<NewUsageWeek>,
    pub signals: Vec<NewSignal>,
    pub deals: Vec<NewDeal>,
    pub trials: Vec<NewTrial>,
    pub releases: Vec<NewRelease>,
    pub requests: Vec<NewRequest>,
    /// Decided cases from before the workspace came to Success, for the likelihood models.
    pub examples: Vec<NewExample>,
}

impl Dataset {
    pub fn row_count(&self) -> usize {
        1 + self.stages.len()
            + self.accounts.len()
            + self.accounts.iter().map(|a| a.external_ids.len()).sum::<usize>()
            + self.contacts.len()
            + self.revenue_sources.len()
            + self.invoices.len()
            + self.usage.len()
            + self.signals.len()
            + self.deals.len()
            + self.trials.len()
            + self.releases.len()
            + self.requests.len()
            + self.examples.len()
    }
}

#[derive(Clone, Debug, Default)]
pub struct NewWorkspace {
    pub name: String,
    pub slug: String,
    pub is_demo: bool,
    pub currency: String,
}

#[derive(Clone, Debug)]
pub struct NewStage {
    pub key: String,
    pub label: String,
    pub position: i64,
    pub outcome: &'static str,
}

/// References between rows (`account`, `contact`, …) are indexes into the dataset's vectors.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub name: String,
    pub domain: Option<String>,
    pub owner_name: Option<String>,
    pub lifecycle: &'static str,
    pub tracked: bool,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub country: Option<String>,
    pub created_at: String,
    pub currency: String,
    pub external_ids: Vec<(&'static str, String)>,
    /// HubSpot custom company properties: (label, value).
    pub custom_fields: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct NewContact {
    pub account: usize,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub is_champion: bool,
    pub left_on: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewRevenueSource {
    pub account: usize,
    pub source: &'static str,
    pub external_id: String,
    pub plan: String,
    pub status: &'static str,
    pub currency: String,
    pub mrr_minor: i64,
    pub billing_interval: &'static str,
    pub interval_count: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub renewal_date: Option<String>,
    pub payment_state: &'static str,
    pub auto_renew: bool,
    pub cancel_at_period_end: bool,
}

#[derive(Clone, Debug)]
pub struct NewInvoice {
    pub account: usize,
    pub revenue_source: Option<usize>,
    pub external_id: String,
    pub status: &'static str,
    pub currency: String,
    pub amount_due_minor: i64,
    pub amount_paid_minor: i64,
    pub amount_remaining_minor: i64,
    pub attempt_count: i64,
    pub issued_on: String,
    pub due_on: Option<String>,
    pub paid_at: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewUsageWeek {
    pub account: usize,
    pub week_start: String,
    pub active_users: i64,
    pub licensed_seats: i64,
    pub feature_adoption: String,
}

#[derive(Clone, Debug)]
pub struct NewSignal {
    pub account: usize,
    pub source: &'static str,
    pub sentiment: f64,
    pub topic: String,
    pub quote: String,
    pub link: Option<String>,
    pub occurred_at: String,
}

#[derive(Clone, Debug)]
pub struct NewDeal {
    pub account: usize,
    pub name: String,
    pub stage: String,
    pub position: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_close: Option<String>,
    pub source: &'static str,
    pub external_id: Option<String>,
    pub closed_lost_reason: Option<String>,
    pub lost_on: Option<String>,
    pub updated_at: String,
}

#[derive(Clone, Debug)]
pub struct NewTrial {
    pub account: usize,
    pub started_on: String,
    pub ends_on: String,
    pub seats: i64,
    pub activation_events: i64,
    pub outcome: Option<&'static str>,
    /// A decided trial's feature snapshot (JSON of `app::likelihood::FeatureValues`), when known.
    pub features: Option<String>,
}

/// A decided case a likelihood model learns from, with its features as they were then.
#[derive(Clone, Debug)]
pub struct NewExample {
    pub kind: &'static str,
    pub subject: String,
    pub features: String,
    pub positive: bool,
    pub decided_on: String,
}

#[derive(Clone, Debug)]
pub struct NewRelease {
    pub source: &'static str,
    pub external_id: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub published_on: String,
}

#[derive(Clone, Debug)]
pub struct NewRequest {
    pub account: usize,
    pub contact: Option<usize>,
    pub project: String,
    pub quote: String,
    pub source_link: Option<String>,
    pub requested_on: String,
}
