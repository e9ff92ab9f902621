//! Revenue sources as the Contracts page lists and exports them.

use super::*;

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
        let major = |minor: i64| Money::new(minor, r.mrr.currency.as_str()).major_text();
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
