//! An account's detail: contacts, invoices, usage, signals, deals, and its activity feed.

use super::*;

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
