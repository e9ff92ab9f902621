//! The Health page: account rows, a CSM's band override, and the summary with its charts.

use super::*;

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
