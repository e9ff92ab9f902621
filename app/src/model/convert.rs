//! Trials and prospects as Convert ranks them.

use super::*;

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
