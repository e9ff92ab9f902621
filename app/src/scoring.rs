//! The health score: pure code shared by the server (rescoring) and the browser (the scorecard
//! preview), so both compute the same numbers.
//!
//! Each measure turns one kind of evidence into a value between 0 (worst) and 1 (best). A measure's
//! weight is its share of the 100 points; weights of measures without data are shared out over the
//! rest. The score is Σ weightᵢ × valueᵢ, and each measure's factor is weightᵢ × (valueᵢ − ½), so the
//! factors add up exactly to the score's distance from the neutral baseline of 50.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const BASELINE: i32 = 50;

/// Missing measures give their weight to the others only until the measures with data carry half
/// of the scorecard; beyond that the rest stays at the neutral baseline, so one lonely measure
/// cannot swing an account with almost no data to 0 or 100.
pub const MIN_COVERAGE: f64 = 0.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Red,
    Amber,
    Green,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Green => "green",
            Band::Amber => "amber",
            Band::Red => "red",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Band::Green => "Healthy",
            Band::Amber => "At risk",
            Band::Red => "Critical",
        }
    }
    pub fn parse(text: &str) -> Option<Band> {
        match text {
            "green" => Some(Band::Green),
            "amber" => Some(Band::Amber),
            "red" => Some(Band::Red),
            _ => None,
        }
    }
    pub const ALL: [Band; 3] = [Band::Red, Band::Amber, Band::Green];
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The measures a scorecard can weigh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    Adoption,
    UsageTrend,
    FeatureBreadth,
    Payment,
    RenewalPressure,
    Sentiment,
    ChurnTopics,
    Champion,
    SupportLoad,
}

impl MeasureKind {
    pub const ALL: [MeasureKind; 9] = [
        MeasureKind::Adoption,
        MeasureKind::UsageTrend,
        MeasureKind::FeatureBreadth,
        MeasureKind::Payment,
        MeasureKind::RenewalPressure,
        MeasureKind::Sentiment,
        MeasureKind::ChurnTopics,
        MeasureKind::Champion,
        MeasureKind::SupportLoad,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MeasureKind::Adoption => "Product adoption",
            MeasureKind::UsageTrend => "Usage trend",
            MeasureKind::FeatureBreadth => "Feature breadth",
            MeasureKind::Payment => "Payment",
            MeasureKind::RenewalPressure => "Renewal pressure",
            MeasureKind::Sentiment => "Conversation sentiment",
            MeasureKind::ChurnTopics => "Churn-risk topics",
            MeasureKind::Champion => "Champion",
            MeasureKind::SupportLoad => "Support load",
        }
    }

    /// The data a measure needs, named the way the account page says it is missing.
    pub fn data(self) -> &'static str {
        match self {
            MeasureKind::Adoption | MeasureKind::UsageTrend | MeasureKind::FeatureBreadth => "product usage (PostHog)",
            MeasureKind::Payment => "billing (Stripe)",
            MeasureKind::RenewalPressure => "a contract or subscription",
            MeasureKind::Sentiment | MeasureKind::ChurnTopics | MeasureKind::SupportLoad => "conversation signals",
            MeasureKind::Champion => "contacts with a champion",
        }
    }

    /// What the thresholds are measured in.
    pub fn unit(self) -> &'static str {
        match self {
            MeasureKind::Adoption => "share of seats active per week (0–1)",
            MeasureKind::UsageTrend => "change of weekly active users, last 4 weeks vs 8 before (−1–1)",
            MeasureKind::FeatureBreadth => "share of product areas used last week (0–1)",
            MeasureKind::Payment => "days the oldest unpaid invoice is overdue",
            MeasureKind::RenewalPressure => "days to renewal, weighted by contract size",
            MeasureKind::Sentiment => "average sentiment of the last 90 days (−1–1)",
            MeasureKind::ChurnTopics => "churn-risk topics in the last 90 days",
            MeasureKind::Champion => "champions who left in the last 180 days",
            MeasureKind::SupportLoad => "support conversations in the last 30 days",
        }
    }

    /// The factor's label when the measure helps the score and when it hurts.
    pub fn verdict(self, helps: bool) -> &'static str {
        let (good, bad) = match self {
            MeasureKind::Adoption => ("Strong product adoption", "Low product adoption"),
            MeasureKind::UsageTrend => ("Steady or growing usage", "Declining usage"),
            MeasureKind::FeatureBreadth => ("Broad feature adoption", "Narrow feature adoption"),
            MeasureKind::Payment => ("Payments on time", "Payment problems"),
            MeasureKind::RenewalPressure => ("Renewal not pressing", "Renewal pressure"),
            MeasureKind::Sentiment => ("Positive conversations", "Negative sentiment"),
            MeasureKind::ChurnTopics => ("No churn talk", "Churn-risk topics raised"),
            MeasureKind::Champion => ("Champion in place", "Champion left"),
            MeasureKind::SupportLoad => ("Quiet support queue", "Heavy support load"),
        };
        if helps {
            good
        } else {
            bad
        }
    }

    /// The section of the account page where the measure's evidence shows.
    pub fn section(self) -> &'static str {
        match self {
            MeasureKind::Adoption | MeasureKind::UsageTrend | MeasureKind::FeatureBreadth => "usage",
            MeasureKind::Payment => "invoices",
            MeasureKind::RenewalPressure => "revenue",
            MeasureKind::Champion => "contacts",
            MeasureKind::Sentiment | MeasureKind::ChurnTopics | MeasureKind::SupportLoad => "activity",
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            MeasureKind::Adoption | MeasureKind::UsageTrend | MeasureKind::FeatureBreadth => "PostHog",
            MeasureKind::Payment => "Stripe",
            MeasureKind::RenewalPressure => "Contracts",
            MeasureKind::Sentiment | MeasureKind::ChurnTopics | MeasureKind::SupportLoad => "Conversations",
            MeasureKind::Champion => "HubSpot",
        }
    }
}

/// One measure of a scorecard: its weight and the thresholds between which its value moves from
/// worst (0) to best (1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub kind: MeasureKind,
    pub enabled: bool,
    pub weight: u32,
    /// Where the value is 0 (worst), in the measure's own unit.
    pub worst: f64,
    /// Where the value is 1 (best).
    pub best: f64,
}

/// A workspace's scoring rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub measures: Vec<Measure>,
    /// Scores at or above this are green.
    pub green_from: i32,
    /// Scores below this are red.
    pub red_below: i32,
}

impl Default for Scorecard {
    fn default() -> Self {
        use MeasureKind::*;
        let m = |kind, weight, worst, best| Measure {
            kind,
            enabled: true,
            weight,
            worst,
            best,
        };
        Scorecard {
            measures: vec![
                // Share of licensed seats active per week, last 4 weeks.
                m(Adoption, 22, 0.15, 0.65),
                // Change of weekly active users, last 4 weeks against the 8 before.
                m(UsageTrend, 12, -0.40, 0.05),
                // Share of product areas used in the last week.
                m(FeatureBreadth, 6, 0.2, 0.8),
                // Days the oldest unpaid invoice is overdue (a failed charge counts as 30).
                m(Payment, 18, 30.0, 0.0),
                // Days to renewal, weighted by contract value.
                m(RenewalPressure, 8, 0.0, 90.0),
                // Average sentiment of the last 90 days of conversations, -1..1.
                m(Sentiment, 14, -0.5, 0.4),
                // Churn-risk topics raised in the last 90 days.
                m(ChurnTopics, 10, 1.5, 0.0),
                // A champion who left in the last 180 days.
                m(Champion, 6, 1.0, 0.0),
                // Support conversations in the last 30 days.
                m(SupportLoad, 4, 4.0, 0.0),
            ],
            green_from: 65,
            red_below: 40,
        }
    }
}

impl Scorecard {
    pub fn band(&self, score: i32) -> Band {
        if score >= self.green_from {
            Band::Green
        } else if score < self.red_below {
            Band::Red
        } else {
            Band::Amber
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.green_from)
            || !(0..=99).contains(&self.red_below)
            || self.red_below >= self.green_from
        {
            return Err("Cut-offs must satisfy 0 ≤ red below < green from ≤ 100.".into());
        }
        let total: u32 = self.measures.iter().filter(|m| m.enabled).map(|m| m.weight).sum();
        if total == 0 {
            return Err("Enable at least one measure with a weight above 0.".into());
        }
        if self
            .measures
            .iter()
            .any(|m| m.weight > 100 || (m.worst - m.best).abs() < f64::EPSILON)
        {
            return Err("Each weight is 0–100, and each measure's worst and best thresholds differ.".into());
        }
        Ok(())
    }
}

/// A conversation signal as scoring sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalFact {
    pub id: i64,
    pub source: String,
    pub sentiment: f64,
    pub topic: String,
    pub quote: String,
    pub days_ago: i64,
    pub link: Option<String>,
}

/// Everything the score of one account depends on. `None` means the data is not there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreInputs {
    pub account_id: i64,
    pub licensed_seats: Option<i64>,
    /// Average weekly active users over the last 4 weeks and the 8 weeks before.
    pub active_last_4w: Option<f64>,
    pub active_prior_8w: Option<f64>,
    /// Product areas used in the latest week, and how many there are.
    pub features_used: Option<(u32, u32)>,
    /// Whether billing is connected for the account (it has a subscription or invoices).
    pub has_billing: bool,
    pub failed_invoices: u32,
    pub open_overdue_invoices: u32,
    pub max_days_overdue: i64,
    pub overdue_minor: i64,
    pub currency: String,
    pub days_to_renewal: Option<i64>,
    pub arr_minor: i64,
    /// ARR of a large account in this workspace (75th percentile), to weigh renewal pressure.
    pub large_arr_minor: i64,
    /// Signals of the last 90 days, newest first.
    pub signals: Vec<SignalFact>,
    pub champion_known: bool,
    /// A champion who left in the last 180 days: name and days since.
    pub champion_left: Option<(String, i64)>,
}

/// One signed contribution to a score, with what it rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub kind: MeasureKind,
    pub points: i32,
    pub label: String,
    pub source: String,
    pub evidence: String,
    /// Where the evidence can be seen: a section of the account page or the signal itself.
    pub link: Option<String>,
}

impl Factor {
    /// "−8 Low product adoption (PostHog): 3 of 25 seats active in the last 4 weeks".
    pub fn sentence(&self) -> String {
        format!(
            "{} {} ({}): {}",
            signed(self.points),
            self.label,
            self.source,
            self.evidence
        )
    }
}

pub fn signed(points: i32) -> String {
    match points {
        p if p > 0 => format!("+{p}"),
        0 => "0".into(),
        p => format!("−{}", -p),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub score: i32,
    pub band: Band,
    /// Most negative first.
    pub factors: Vec<Factor>,
    /// The data that was missing, so its weight went to the other measures.
    pub missing: Vec<String>,
}

impl Score {
    /// The two factors that hurt most.
    pub fn top_risks(&self) -> impl Iterator<Item = &Factor> {
        self.factors.iter().filter(|f| f.points < 0).take(2)
    }
}

/// A measure's reading of the inputs: its value between 0 and 1 and what it saw.
struct Reading {
    value: f64,
    evidence: String,
    link: Option<String>,
}

fn scale(x: f64, worst: f64, best: f64) -> f64 {
    ((x - worst) / (best - worst)).clamp(0.0, 1.0)
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

const CHURN_TOPICS: &[&str] = &["churn risk", "pricing concerns", "champion leaving", "competitor"];

/// The account page's section for a measure, where its evidence shows.
pub fn section_link(account: i64, kind: MeasureKind) -> Option<String> {
    Some(format!("/accounts/{account}#{}", kind.section()))
}

fn read(m: &Measure, i: &ScoreInputs) -> Option<Reading> {
    let account = i.account_id;
    let usage_link = section_link(account, m.kind);
    match m.kind {
        MeasureKind::Adoption => {
            let seats = i.licensed_seats.filter(|s| *s > 0)?;
            let active = i.active_last_4w?;
            let share = active / seats as f64;
            Some(Reading {
                value: scale(share, m.worst, m.best),
                evidence: format!(
                    "{} of {seats} seats active per week over the last 4 weeks",
                    active.round() as i64
                ),
                link: usage_link,
            })
        }
        MeasureKind::UsageTrend => {
            let now = i.active_last_4w?;
            let before = i.active_prior_8w.filter(|b| *b > 0.0)?;
            let change = now / before - 1.0;
            let pct = (change * 100.0).round() as i64;
            Some(Reading {
                value: scale(change, m.worst, m.best),
                evidence: format!(
                    "weekly active users {}{pct}% over the last 4 weeks against the 8 before ({:.0} → {:.0})",
                    if pct > 0 { "+" } else { "" },
                    before,
                    now
                ),
                link: usage_link,
            })
        }
        MeasureKind::FeatureBreadth => {
            let (used, total) = i.features_used.filter(|(_, t)| *t > 0)?;
            Some(Reading {
                value: scale(used as f64 / total as f64, m.worst, m.best),
                evidence: format!("{used} of {total} product areas used last week"),
                link: usage_link,
            })
        }
        MeasureKind::Payment => {
            if !i.has_billing {
                return None;
            }
            let days = if i.failed_invoices > 0 {
                i.max_days_overdue.max(30)
            } else {
                i.max_days_overdue.max(0)
            };
            let evidence = if i.failed_invoices > 0 {
                format!(
                    "{} with a failed charge, {} outstanding",
                    plural(i.failed_invoices as i64, "invoice", "invoices"),
                    crate::model::Money::new(i.overdue_minor, i.currency.clone()).display()
                )
            } else if i.open_overdue_invoices > 0 {
                format!(
                    "{} overdue, the oldest by {}",
                    plural(i.open_overdue_invoices as i64, "invoice", "invoices"),
                    plural(i.max_days_overdue, "day", "days")
                )
            } else {
                "every invoice paid on time".into()
            };
            Some(Reading {
                value: scale(days as f64, m.worst, m.best),
                evidence,
                link: section_link(account, m.kind),
            })
        }
        MeasureKind::RenewalPressure => {
            let days = i.days_to_renewal?;
            // A large contract close to renewal presses harder than a small one.
            let weight = if i.large_arr_minor > 0 {
                0.5 + 0.5 * (i.arr_minor as f64 / i.large_arr_minor as f64).min(1.0)
            } else {
                1.0
            };
            let closeness = 1.0 - scale(days as f64, m.worst, m.best);
            Some(Reading {
                value: 1.0 - closeness * weight,
                evidence: format!(
                    "renews in {} ({} ARR)",
                    plural(days.max(0), "day", "days"),
                    crate::model::Money::new(i.arr_minor, i.currency.clone()).display()
                ),
                link: section_link(account, m.kind),
            })
        }
        MeasureKind::Sentiment => {
            if i.signals.is_empty() {
                return None;
            }
            // Recent conversations count more: weight halves every 45 days.
            let (mut sum, mut weights) = (0.0, 0.0);
            for s in &i.signals {
                let w = 0.5f64.powf(s.days_ago.max(0) as f64 / 45.0);
                sum += s.sentiment * w;
                weights += w;
            }
            let avg = sum / weights;
            let telling = if avg < 0.0 {
                i.signals.iter().min_by(|a, b| a.sentiment.total_cmp(&b.sentiment))
            } else {
                i.signals.iter().max_by(|a, b| a.sentiment.total_cmp(&b.sentiment))
            }?;
            Some(Reading {
                value: scale(avg, m.worst, m.best),
                evidence: format!(
                    "average {avg:+.2} over {}; e.g. “{}”",
                    plural(i.signals.len() as i64, "conversation", "conversations"),
                    telling.quote
                ),
                link: telling
                    .link
                    .clone()
                    .or_else(|| Some(format!("/accounts/{account}#signal-{}", telling.id))),
            })
        }
        MeasureKind::ChurnTopics => {
            if i.signals.is_empty() {
                return None;
            }
            let risky: Vec<&SignalFact> = i
                .signals
                .iter()
                .filter(|s| CHURN_TOPICS.contains(&s.topic.as_str()))
                .collect();
            let evidence = match risky.first() {
                Some(s) => format!(
                    "{} — “{}”",
                    plural(risky.len() as i64, "churn-risk topic", "churn-risk topics"),
                    s.quote
                ),
                None => "no churn-risk topics in the last 90 days".into(),
            };
            Some(Reading {
                value: scale(risky.len() as f64, m.worst, m.best),
                evidence,
                link: risky
                    .first()
                    .and_then(|s| {
                        s.link
                            .clone()
                            .or_else(|| Some(format!("/accounts/{account}#signal-{}", s.id)))
                    })
                    .or_else(|| section_link(account, m.kind)),
            })
        }
        MeasureKind::Champion => {
            let leaving_signal = i.signals.iter().find(|s| s.topic == "champion leaving");
            let (left, evidence) = match (&i.champion_left, leaving_signal) {
                (Some((name, days)), _) => (1.0, format!("{name} left {} ago", plural(*days, "day", "days"))),
                (None, Some(s)) => (1.0, format!("“{}”", s.quote)),
                (None, None) if i.champion_known => (0.0, "the champion is still there".to_string()),
                (None, None) => return None,
            };
            Some(Reading {
                value: scale(left, m.worst, m.best),
                evidence,
                link: section_link(account, m.kind),
            })
        }
        MeasureKind::SupportLoad => {
            if i.signals.is_empty() {
                return None;
            }
            let recent = i
                .signals
                .iter()
                .filter(|s| s.source == "support" && s.days_ago <= 30)
                .count() as i64;
            Some(Reading {
                value: scale(recent as f64, m.worst, m.best),
                evidence: format!(
                    "{} in the last 30 days",
                    plural(recent, "support conversation", "support conversations")
                ),
                link: section_link(account, m.kind),
            })
        }
    }
}

/// Scores one account with a scorecard.
pub fn score(card: &Scorecard, inputs: &ScoreInputs) -> Score {
    let enabled: Vec<&Measure> = card.measures.iter().filter(|m| m.enabled && m.weight > 0).collect();
    let readings: Vec<(&Measure, Option<Reading>)> = enabled.iter().map(|m| (*m, read(m, inputs))).collect();
    let mut missing: Vec<String> = Vec::new();
    for (m, r) in &readings {
        if r.is_none() && !missing.contains(&m.kind.data().to_string()) {
            missing.push(m.kind.data().to_string());
        }
    }
    let available: f64 = readings
        .iter()
        .filter(|(_, r)| r.is_some())
        .map(|(m, _)| m.weight as f64)
        .sum();
    let total_weight: f64 = readings.iter().map(|(m, _)| m.weight as f64).sum();
    if available == 0.0 {
        return Score {
            score: BASELINE,
            band: card.band(BASELINE),
            factors: Vec::new(),
            missing,
        };
    }
    // Exact contributions, then whole points that still add up to the rounded score.
    let exact: Vec<(&Measure, Reading, f64)> = readings
        .into_iter()
        .filter_map(|(m, r)| r.map(|r| (m, r)))
        .map(|(m, r)| {
            let share = m.weight as f64 * 100.0 / available.max(total_weight * MIN_COVERAGE);
            let points = share * (r.value - 0.5);
            (m, r, points)
        })
        .collect();
    let total: f64 = exact.iter().map(|(_, _, p)| p).sum();
    let score = (BASELINE as f64 + total).round().clamp(0.0, 100.0) as i32;
    let rounded = apportion(&exact.iter().map(|(_, _, p)| *p).collect::<Vec<_>>(), score - BASELINE);
    let mut factors: Vec<Factor> = exact
        .into_iter()
        .zip(rounded)
        .map(|((m, r, _), points)| Factor {
            kind: m.kind,
            points,
            label: m
                .kind
                .verdict(points > 0 || (points == 0 && r.value >= 0.5))
                .to_string(),
            source: m.kind.source().to_string(),
            evidence: r.evidence,
            link: r.link,
        })
        .collect();
    factors.sort_by_key(|f| (f.points, f.kind as u8));
    Score {
        score,
        band: card.band(score),
        factors,
        missing,
    }
}

/// Rounds `parts` to whole numbers that sum to `target`, moving the fewest, largest remainders.
fn apportion(parts: &[f64], target: i32) -> Vec<i32> {
    let mut out: Vec<i32> = parts.iter().map(|p| p.floor() as i32).collect();
    let mut short = target - out.iter().sum::<i32>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| {
        let ra = parts[*a] - parts[*a].floor();
        let rb = parts[*b] - parts[*b].floor();
        rb.total_cmp(&ra).then(a.cmp(b))
    });
    let mut k = 0;
    while short != 0 && !order.is_empty() {
        let i = order[k % order.len()];
        if short > 0 {
            out[i] += 1;
            short -= 1;
        } else {
            out[order[order.len() - 1 - (k % order.len())]] -= 1;
            short += 1;
        }
        k += 1;
    }
    out
}

/// One account as the scorecard preview sees it: its inputs and the band it has now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewAccount {
    pub id: i64,
    pub name: String,
    pub arr_minor: i64,
    pub band: Option<Band>,
    pub inputs: ScoreInputs,
}

/// How a scorecard would band the accounts: per-band counts and ARR, and who would move.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rebanding {
    /// Red, amber, green: (accounts, ARR in minor units).
    pub bands: [(u64, i64); 3],
    /// Accounts whose band would change: (id, name, ARR, from, to), largest ARR first.
    pub moved: Vec<(i64, String, i64, Option<Band>, Band)>,
}

fn band_index(band: Band) -> usize {
    match band {
        Band::Red => 0,
        Band::Amber => 1,
        Band::Green => 2,
    }
}

/// Scores every preview account with `card` (the browser runs this as a person edits).
pub fn reband(card: &Scorecard, accounts: &[PreviewAccount]) -> Rebanding {
    let mut out = Rebanding::default();
    for a in accounts {
        let band = score(card, &a.inputs).band;
        let slot = &mut out.bands[band_index(band)];
        slot.0 += 1;
        slot.1 += a.arr_minor;
        if a.band != Some(band) {
            out.moved.push((a.id, a.name.clone(), a.arr_minor, a.band, band));
        }
    }
    out.moved.sort_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> ScoreInputs {
        ScoreInputs {
            account_id: 7,
            licensed_seats: Some(25),
            active_last_4w: Some(20.0),
            active_prior_8w: Some(19.0),
            features_used: Some((5, 5)),
            has_billing: true,
            currency: "USD".into(),
            days_to_renewal: Some(200),
            arr_minor: 4_800_000,
            large_arr_minor: 10_000_000,
            signals: vec![SignalFact {
                id: 1,
                source: "call".into(),
                sentiment: 0.7,
                topic: "praise".into(),
                quote: "The team loves it.".into(),
                days_ago: 10,
                link: None,
            }],
            champion_known: true,
            ..ScoreInputs::default()
        }
    }

    fn factor(s: &Score, kind: MeasureKind) -> &Factor {
        s.factors.iter().find(|f| f.kind == kind).expect("factor")
    }

    #[test]
    fn a_healthy_account_is_green_and_says_why() {
        let s = score(&Scorecard::default(), &healthy());
        assert_eq!(s.band, Band::Green, "{s:?}");
        assert!(s.score >= 85, "{}", s.score);
        assert!(s.missing.is_empty());
        assert!(factor(&s, MeasureKind::Adoption).points > 0);
    }

    #[test]
    fn each_measure_reads_its_evidence() {
        let card = Scorecard::default();
        // (what changes, measure, sign of its points, words in the evidence)
        type Case = (fn(&mut ScoreInputs), MeasureKind, i32, &'static str);
        let cases: Vec<Case> = vec![
            (
                |i| i.active_last_4w = Some(3.0),
                MeasureKind::Adoption,
                -1,
                "3 of 25 seats active",
            ),
            (
                |i| i.active_last_4w = Some(16.0),
                MeasureKind::Adoption,
                1,
                "16 of 25 seats",
            ),
            (
                |i| {
                    i.active_last_4w = Some(9.0);
                    i.active_prior_8w = Some(18.0)
                },
                MeasureKind::UsageTrend,
                -1,
                "-50%",
            ),
            (
                |i| i.features_used = Some((1, 5)),
                MeasureKind::FeatureBreadth,
                -1,
                "1 of 5 product areas",
            ),
            (
                |i| {
                    i.failed_invoices = 1;
                    i.overdue_minor = 250_000
                },
                MeasureKind::Payment,
                -1,
                "1 invoice with a failed charge, $2,500 outstanding",
            ),
            (
                |i| {
                    i.open_overdue_invoices = 2;
                    i.max_days_overdue = 20
                },
                MeasureKind::Payment,
                -1,
                "2 invoices overdue, the oldest by 20 days",
            ),
            (
                |i| i.days_to_renewal = Some(12),
                MeasureKind::RenewalPressure,
                -1,
                "renews in 12 days",
            ),
            (
                |i| i.signals[0].sentiment = -0.8,
                MeasureKind::Sentiment,
                -1,
                "average -0.80",
            ),
            (
                |i| i.signals[0].topic = "churn risk".into(),
                MeasureKind::ChurnTopics,
                -1,
                "1 churn-risk topic",
            ),
            (
                |i| i.champion_left = Some(("Dana".into(), 20)),
                MeasureKind::Champion,
                -1,
                "Dana left 20 days ago",
            ),
            (
                |i| {
                    for n in 0..4 {
                        i.signals.push(SignalFact {
                            id: 10 + n,
                            source: "support".into(),
                            sentiment: 0.0,
                            topic: "how-to".into(),
                            quote: "?".into(),
                            days_ago: 3,
                            link: None,
                        });
                    }
                },
                MeasureKind::SupportLoad,
                -1,
                "4 support conversations",
            ),
        ];
        for (change, kind, sign, words) in cases {
            let mut inputs = healthy();
            change(&mut inputs);
            let s = score(&card, &inputs);
            let f = factor(&s, kind);
            assert_eq!(f.points.signum(), sign, "{kind:?}: {f:?}");
            assert!(f.evidence.contains(words), "{kind:?}: {:?} lacks {words:?}", f.evidence);
            assert!(f.sentence().contains(&f.label));
        }
    }

    #[test]
    fn a_troubled_account_is_critical_with_the_worst_factors_first() {
        let mut i = healthy();
        i.active_last_4w = Some(3.0);
        i.active_prior_8w = Some(12.0);
        i.failed_invoices = 2;
        i.overdue_minor = 900_000;
        i.days_to_renewal = Some(20);
        i.signals[0].sentiment = -0.8;
        i.signals[0].topic = "churn risk".into();
        let s = score(&Scorecard::default(), &i);
        assert_eq!(s.band, Band::Red, "{}", s.score);
        let top: Vec<MeasureKind> = s.top_risks().map(|f| f.kind).collect();
        assert_eq!(top.len(), 2);
        assert!(s.factors.windows(2).all(|w| w[0].points <= w[1].points));
        assert_eq!(
            factor(&s, MeasureKind::Adoption).sentence(),
            format!(
                "{} Low product adoption (PostHog): 3 of 25 seats active per week over the last 4 weeks",
                signed(factor(&s, MeasureKind::Adoption).points)
            )
        );
    }

    #[test]
    fn missing_data_shares_its_weight_and_is_named() {
        let mut i = healthy();
        i.licensed_seats = None;
        i.active_last_4w = None;
        i.features_used = None;
        let s = score(&Scorecard::default(), &i);
        assert_eq!(s.missing, vec!["product usage (PostHog)".to_string()]);
        assert!(s.factors.iter().all(|f| f.source != "PostHog"));
        assert_eq!(s.factors.iter().map(|f| f.points).sum::<i32>(), s.score - BASELINE);
        // One measure alone moves the score at most half-way.
        let lonely = ScoreInputs {
            champion_known: true,
            champion_left: Some(("Dana".into(), 3)),
            ..ScoreInputs::default()
        };
        let s = score(&Scorecard::default(), &lonely);
        assert_eq!(s.factors.len(), 1);
        assert_eq!(
            s.score, 44,
            "6 of 100 points count as 12 when coverage is floored at half"
        );
        let nothing = score(&Scorecard::default(), &ScoreInputs::default());
        assert_eq!(nothing.score, BASELINE);
        assert!(nothing.factors.is_empty());
        assert_eq!(nothing.missing.len(), 5);
    }

    #[test]
    fn cut_offs_and_disabled_measures_come_from_the_scorecard() {
        let mut card = Scorecard::default();
        let s = score(&card, &healthy()).score;
        card.green_from = s + 1;
        card.red_below = 10;
        assert_eq!(score(&card, &healthy()).band, Band::Amber);
        card.green_from = 65;
        for m in card.measures.iter_mut() {
            m.enabled = m.kind == MeasureKind::Payment;
        }
        let only_payment = score(&card, &healthy());
        assert_eq!(only_payment.factors.len(), 1);
        assert_eq!(only_payment.score, 100, "paid on time is the best payment reading");
        assert!(card.validate().is_ok());
        card.red_below = card.green_from;
        assert!(card.validate().is_err());
    }

    /// A small deterministic generator, so the properties run over many varied accounts.
    fn random_inputs(seed: u64) -> ScoreInputs {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 10_000) as f64 / 10_000.0
        };
        let maybe = |v: f64, p: f64| if p < 0.15 { None } else { Some(v) };
        let seats = (next() * 200.0) as i64;
        let signals = (0..(next() * 6.0) as i64)
            .map(|n| SignalFact {
                id: n,
                source: if next() < 0.3 { "support" } else { "call" }.into(),
                sentiment: next() * 2.0 - 1.0,
                topic: if next() < 0.2 { "churn risk" } else { "praise" }.into(),
                quote: "…".into(),
                days_ago: (next() * 90.0) as i64,
                link: None,
            })
            .collect();
        ScoreInputs {
            account_id: seed as i64,
            licensed_seats: maybe(seats as f64, next()).map(|s| s as i64),
            active_last_4w: maybe(next() * seats as f64 * 1.2, next()),
            active_prior_8w: maybe(next() * seats as f64, next()),
            features_used: maybe(0.0, next()).map(|_| ((next() * 5.0) as u32, 5)),
            has_billing: next() > 0.2,
            failed_invoices: (next() * 2.0) as u32,
            open_overdue_invoices: (next() * 3.0) as u32,
            max_days_overdue: (next() * 120.0) as i64 - 20,
            overdue_minor: (next() * 1e7) as i64,
            currency: "USD".into(),
            days_to_renewal: maybe(next() * 400.0 - 30.0, next()).map(|d| d as i64),
            arr_minor: (next() * 1e8) as i64,
            large_arr_minor: (next() * 1e8) as i64,
            signals,
            champion_known: next() > 0.5,
            champion_left: maybe(0.0, next()).filter(|_| next() < 0.2).map(|_| ("Sam".into(), 12)),
        }
    }

    #[test]
    fn properties_hold_for_many_accounts() {
        let mut card = Scorecard::default();
        for seed in 0..3_000u64 {
            if seed % 500 == 0 {
                // Vary the scorecard too: odd weights, some measures off.
                for (k, m) in card.measures.iter_mut().enumerate() {
                    m.weight = ((seed as usize / 500 + k * 7) % 23) as u32 + 1;
                    m.enabled = !(seed as usize / 500 + k).is_multiple_of(4);
                }
            }
            let inputs = random_inputs(seed);
            let s = score(&card, &inputs);
            assert!((0..=100).contains(&s.score), "seed {seed}: {}", s.score);
            assert_eq!(
                s.factors.iter().map(|f| f.points).sum::<i32>(),
                s.score - BASELINE,
                "seed {seed}: factors do not add up"
            );
            assert_eq!(s.band, card.band(s.score));
            assert_eq!(score(&card, &inputs), s, "seed {seed}: not deterministic");
        }
    }

    #[test]
    fn apportioning_keeps_the_total() {
        assert_eq!(apportion(&[2.4, 2.4, 2.2], 7), vec![3, 2, 2]);
        assert_eq!(apportion(&[-2.5, -2.5], -5).iter().sum::<i32>(), -5);
        assert_eq!(apportion(&[-0.4, 0.4], 0).iter().sum::<i32>(), 0);
    }

    #[test]
    fn rebanding_counts_bands_and_lists_the_accounts_that_move() {
        let card = Scorecard::default();
        let healthy = ScoreInputs {
            account_id: 1,
            licensed_seats: Some(10),
            active_last_4w: Some(9.0),
            active_prior_8w: Some(9.0),
            has_billing: true,
            ..Default::default()
        };
        let idle = ScoreInputs {
            account_id: 2,
            licensed_seats: Some(10),
            active_last_4w: Some(0.5),
            active_prior_8w: Some(6.0),
            has_billing: true,
            failed_invoices: 1,
            max_days_overdue: 40,
            ..Default::default()
        };
        let accounts = vec![
            PreviewAccount {
                id: 1,
                name: "Up".into(),
                arr_minor: 100,
                band: Some(Band::Green),
                inputs: healthy,
            },
            PreviewAccount {
                id: 2,
                name: "Down".into(),
                arr_minor: 500,
                band: Some(Band::Green),
                inputs: idle,
            },
        ];
        let now = reband(&card, &accounts);
        assert_eq!(now.bands.iter().map(|b| b.0).sum::<u64>(), 2);
        assert_eq!(now.moved.len(), 1, "{now:?}");
        assert_eq!(now.moved[0].0, 2);
        assert_eq!(now.moved[0].4, Band::Red);
        // Raising the green cut-off to 100 moves the healthy one out of green too.
        let strict = Scorecard {
            green_from: 100,
            red_below: 99,
            ..card
        };
        let strict = reband(&strict, &accounts);
        assert_eq!(strict.bands[2].0, 0);
        assert_eq!(strict.moved.len(), 2);
        assert_eq!(strict.moved[0].0, 2, "largest ARR first");
    }
}
