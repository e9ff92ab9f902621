//! The health score: pure code shared by the server (rescoring) and the browser (the scorecard
//! preview), so both compute the same numbers.
//!
//! Each measure turns one kind of evidence into a value between 0 (worst) and 1 (best). A measure's
//! weight is its share of the 100 points; weights of measures without data are shared out over the
//! rest. The score is Σ weightᵢ × valueᵢ, and each measure's factor is weightᵢ × (valueᵢ − ½), so the
//! factors add up exactly to the score's distance from the neutral baseline of 50.

use serde::{Deserialize, Serialize};
use std::fmt;

mod scorecard;

pub use scorecard::*;

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
                    crate::money::Money::new(i.overdue_minor, i.currency.clone()).display()
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
                    crate::money::Money::new(i.arr_minor, i.currency.clone()).display()
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
mod tests;
