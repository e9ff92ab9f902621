//! A workspace's scorecard: the measures it can weigh, their weights and thresholds, and the band cut-offs.

use super::Band;
use serde::{Deserialize, Serialize};

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
