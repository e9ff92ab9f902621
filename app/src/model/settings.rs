//! The workspace and its settings: pipeline, data, integrations and scoring.

use super::*;

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
