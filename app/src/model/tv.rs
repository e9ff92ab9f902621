//! The TV dashboard: what a display link shows on the wall, and nothing more.

use super::*;

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
