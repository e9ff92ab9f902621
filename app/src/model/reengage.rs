//! Losses worth a winback, as Re-engage lists them.

use super::*;

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
