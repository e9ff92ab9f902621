//! Conversion and re-engagement likelihood: small logistic models over named features.
//!
//! The server trains each workspace's models on its own decided cases (trials that converted or
//! lapsed, losses that were won back or stayed lost); predicting and explaining is pure code here,
//! so the browser and the server show the same numbers. Below a minimum of decided cases a model
//! keeps transparent prior weights and says so.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod facts;

pub use facts::*;

/// Decided cases a model needs before it is learned rather than prior.
pub const MIN_EXAMPLES: usize = 40;
/// …and of each outcome.
pub const MIN_PER_OUTCOME: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ModelKind {
    Convert,
    Reengage,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [ModelKind::Convert, ModelKind::Reengage];

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Convert => "convert",
            ModelKind::Reengage => "reengage",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Convert => "Trial conversion",
            ModelKind::Reengage => "Re-engagement",
        }
    }

    /// What a positive and a negative case are, in words.
    pub fn outcomes(self) -> (&'static str, &'static str) {
        match self {
            ModelKind::Convert => ("converted", "lapsed"),
            ModelKind::Reengage => ("won back", "stayed lost"),
        }
    }

    pub fn features(self) -> &'static [Feature] {
        match self {
            ModelKind::Convert => &[
                Feature::ActivationEvents,
                Feature::TeammatesInvited,
                Feature::ActiveShare,
                Feature::UsageTrend,
                Feature::Engagement,
            ],
            ModelKind::Reengage => &[
                Feature::LostOnPrice,
                Feature::LostOnTiming,
                Feature::LostToCompetitor,
                Feature::LostOnMissingFeature,
                Feature::MonthsSinceLoss,
                Feature::LostArr,
                Feature::UsageSinceLoss,
                Feature::PositiveSignalsSinceLoss,
                Feature::ChampionStillThere,
                Feature::AskedForShipped,
            ],
        }
    }

    /// The share of positive cases the prior model starts from.
    fn prior_rate(self) -> f64 {
        match self {
            ModelKind::Convert => 0.3,
            ModelKind::Reengage => 0.15,
        }
    }
}

/// One input of a model. Raw values are in the units a person reads (events, people, months);
/// `transform` turns them into what the model weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Activation events during the trial.
    ActivationEvents,
    /// People invited to the trial workspace.
    TeammatesInvited,
    /// Peak weekly active users during the trial over people invited (0–1, may exceed 1).
    ActiveShare,
    /// Last week's active users against the week before, as a fraction (−1 … 2).
    UsageTrend,
    /// Positive minus negative conversations during the trial.
    Engagement,
    /// 1 when the loss reason is about price, else 0 (and so on for the other categories).
    LostOnPrice,
    LostOnTiming,
    LostToCompetitor,
    LostOnMissingFeature,
    MonthsSinceLoss,
    /// The lost ARR in the workspace currency's major units.
    LostArr,
    /// Peak weekly active users in the last four weeks.
    UsageSinceLoss,
    PositiveSignalsSinceLoss,
    /// 1 when a champion is still at the company, else 0.
    ChampionStillThere,
    /// Things they asked for that shipped after the loss.
    AskedForShipped,
}

impl Feature {
    pub fn key(self) -> &'static str {
        match self {
            Feature::ActivationEvents => "activation_events",
            Feature::TeammatesInvited => "teammates_invited",
            Feature::ActiveShare => "active_share",
            Feature::UsageTrend => "usage_trend",
            Feature::Engagement => "engagement",
            Feature::LostOnPrice => "lost_on_price",
            Feature::LostOnTiming => "lost_on_timing",
            Feature::LostToCompetitor => "lost_to_competitor",
            Feature::LostOnMissingFeature => "lost_on_missing_feature",
            Feature::MonthsSinceLoss => "months_since_loss",
            Feature::LostArr => "lost_arr",
            Feature::UsageSinceLoss => "usage_since_loss",
            Feature::PositiveSignalsSinceLoss => "positive_signals_since_loss",
            Feature::ChampionStillThere => "champion_still_there",
            Feature::AskedForShipped => "asked_for_shipped",
        }
    }

    /// The feature's name on Settings → Scoring.
    pub fn name(self) -> &'static str {
        match self {
            Feature::ActivationEvents => "Activation events",
            Feature::TeammatesInvited => "Teammates invited",
            Feature::ActiveShare => "Share of invited people active",
            Feature::UsageTrend => "Usage trend",
            Feature::Engagement => "Conversations (positive − negative)",
            Feature::LostOnPrice => "Lost on price",
            Feature::LostOnTiming => "Lost on timing",
            Feature::LostToCompetitor => "Lost to a competitor",
            Feature::LostOnMissingFeature => "Lost on a missing feature",
            Feature::MonthsSinceLoss => "Months since the loss",
            Feature::LostArr => "Lost ARR",
            Feature::UsageSinceLoss => "Product use since the loss",
            Feature::PositiveSignalsSinceLoss => "Positive conversations since the loss",
            Feature::ChampionStillThere => "Champion still there",
            Feature::AskedForShipped => "Requests shipped since the loss",
        }
    }

    /// Indicators only speak when they are set: "not lost on price" explains nothing.
    pub fn is_indicator(self) -> bool {
        matches!(
            self,
            Feature::LostOnPrice | Feature::LostOnTiming | Feature::LostToCompetitor | Feature::LostOnMissingFeature
        )
    }

    /// Counts and amounts grow on a log scale: the tenth invited teammate means less than the second.
    pub fn transform(self, raw: f64) -> f64 {
        match self {
            Feature::ActivationEvents
            | Feature::TeammatesInvited
            | Feature::LostArr
            | Feature::UsageSinceLoss
            | Feature::PositiveSignalsSinceLoss
            | Feature::AskedForShipped => raw.max(0.0).ln_1p(),
            Feature::ActiveShare => raw.clamp(0.0, 1.5),
            Feature::UsageTrend => raw.clamp(-1.0, 2.0),
            Feature::Engagement => raw.clamp(-5.0, 5.0),
            Feature::MonthsSinceLoss => raw.clamp(0.0, 36.0),
            _ => raw.clamp(0.0, 1.0),
        }
    }

    /// Prior (mean, spread, weight) in transformed units; the weight is log-odds per spread.
    fn prior(self) -> (f64, f64, f64) {
        match self {
            Feature::ActivationEvents => (2.5, 0.9, 0.9),
            Feature::TeammatesInvited => (1.8, 0.6, 0.5),
            Feature::ActiveShare => (0.4, 0.25, 0.7),
            Feature::UsageTrend => (0.0, 0.5, 0.3),
            Feature::Engagement => (0.0, 1.0, 0.3),
            // Indicators are not centred: an unset one pushes nothing either way.
            Feature::LostOnPrice => (0.0, 0.43, 0.3),
            Feature::LostOnTiming => (0.0, 0.4, 0.4),
            Feature::LostToCompetitor => (0.0, 0.4, -0.4),
            Feature::LostOnMissingFeature => (0.0, 0.4, 0.2),
            Feature::MonthsSinceLoss => (6.0, 4.0, -0.3),
            Feature::LostArr => (9.5, 1.2, 0.0),
            Feature::UsageSinceLoss => (0.5, 1.0, 0.6),
            Feature::PositiveSignalsSinceLoss => (0.3, 0.5, 0.5),
            Feature::ChampionStillThere => (0.5, 0.5, 0.4),
            Feature::AskedForShipped => (0.2, 0.5, 0.7),
        }
    }

    /// What the raw value says, as a person would put it.
    pub fn describe(self, raw: f64) -> String {
        let n = raw.round() as i64;
        let plural = |n: i64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        match self {
            Feature::ActivationEvents if n == 0 => "No activation events yet".into(),
            Feature::ActivationEvents => plural(n, "activation event", "activation events"),
            Feature::TeammatesInvited if n <= 1 => "Nobody invited beyond the first user".into(),
            Feature::TeammatesInvited => format!("Invited {n} teammates"),
            Feature::ActiveShare => format!("{}% of invited people active at peak", (raw * 100.0).round() as i64),
            Feature::UsageTrend => match (raw * 100.0).round() as i64 {
                p if p >= 5 => format!("Usage up {p}% week on week"),
                p if p <= -100 => "No activity last week".into(),
                p if p <= -5 => format!("Usage down {}% week on week", -p),
                _ => "Usage flat week on week".into(),
            },
            Feature::Engagement => match n {
                n if n > 0 => format!("Conversations lean positive (+{n})"),
                n if n < 0 => format!("Conversations lean negative (−{})", -n),
                _ => "No telling conversations".into(),
            },
            Feature::LostOnPrice => "Lost on price".into(),
            Feature::LostOnTiming => "Lost on timing".into(),
            Feature::LostToCompetitor => "Lost to a competitor".into(),
            Feature::LostOnMissingFeature => "Lost on a missing feature".into(),
            Feature::MonthsSinceLoss if n < 1 => "Lost less than a month ago".into(),
            Feature::MonthsSinceLoss => format!("Lost {} ago", plural(n, "month", "months")),
            Feature::LostArr => format!("{} ARR at stake", compact(raw)),
            Feature::UsageSinceLoss if n == 0 => "No product use since the loss".into(),
            Feature::UsageSinceLoss => format!("{} still use the product", plural(n, "person", "people")),
            Feature::PositiveSignalsSinceLoss if n == 0 => "No positive conversations since the loss".into(),
            Feature::PositiveSignalsSinceLoss => {
                format!(
                    "{} since the loss",
                    plural(n, "positive conversation", "positive conversations")
                )
            }
            Feature::ChampionStillThere if raw >= 0.5 => "Their champion is still there".into(),
            Feature::ChampionStillThere => "Their champion has left".into(),
            Feature::AskedForShipped if n == 0 => "Nothing they asked for has shipped".into(),
            Feature::AskedForShipped => {
                format!(
                    "{} shipped since",
                    plural(n, "thing they asked for", "things they asked for")
                )
            }
        }
    }
}

/// 12400 → "12.4k", 2_500_000 → "2.5M".
fn compact(x: f64) -> String {
    match x.abs() {
        v if v >= 1e6 => format!("{:.1}M", x / 1e6),
        v if v >= 1e3 => format!("{:.1}k", x / 1e3),
        _ => format!("{x:.0}"),
    }
}

/// A case's features in raw units; a missing key is data we do not have.
pub type FeatureValues = BTreeMap<Feature, f64>;

/// One weighed feature: its standardisation and its weight (log-odds per standard unit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub feature: Feature,
    pub mean: f64,
    pub scale: f64,
    pub weight: f64,
}

/// How a learned model was fitted and how well it ranks cases it never saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// Decided cases it learned from (training and hold-out together).
    pub examples: u32,
    pub positives: u32,
    /// Cases held out of training to measure it.
    pub holdout: u32,
    /// Area under the ROC curve on the hold-out: 0.5 is a coin, 1.0 is perfect.
    pub auc: Option<f64>,
    pub trained_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub kind: ModelKind,
    pub intercept: f64,
    pub terms: Vec<Term>,
    /// `None` while the model runs on prior weights.
    pub fit: Option<Fit>,
    /// Decided cases so far, when there were too few to learn from.
    pub examples_seen: u32,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// One signed contribution to a likelihood, in percentage points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LikelihoodFactor {
    pub feature: Feature,
    pub points: i32,
    pub label: String,
}

impl LikelihoodFactor {
    /// "+12 Invited 8 teammates".
    pub fn sentence(&self) -> String {
        format!("{} {}", crate::scoring::signed(self.points), self.label)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Likelihood {
    /// 0–100.
    pub percent: i32,
    /// The average case's likelihood; the factors add up to `percent − baseline`.
    pub baseline: i32,
    /// Largest effect first.
    pub factors: Vec<LikelihoodFactor>,
    /// Features we had no data for (they count as average).
    pub missing: Vec<String>,
}

impl Model {
    /// The transparent starting point: hand-set weights a CSM would agree with.
    pub fn prior(kind: ModelKind) -> Model {
        let rate = kind.prior_rate();
        Model {
            kind,
            intercept: (rate / (1.0 - rate)).ln(),
            terms: kind
                .features()
                .iter()
                .map(|&feature| {
                    let (mean, scale, weight) = feature.prior();
                    Term {
                        feature,
                        mean,
                        scale,
                        weight,
                    }
                })
                .collect(),
            fit: None,
            examples_seen: 0,
        }
    }

    pub fn is_learned(&self) -> bool {
        self.fit.is_some()
    }

    /// A case's standardised inputs in term order; missing data counts as average (0).
    pub fn standardise(&self, values: &FeatureValues) -> Vec<f64> {
        self.terms
            .iter()
            .map(|t| match values.get(&t.feature) {
                Some(&raw) if raw.is_finite() => (t.feature.transform(raw) - t.mean) / t.scale.max(1e-9),
                _ => 0.0,
            })
            .collect()
    }

    /// The probability of a positive outcome, 0–1.
    pub fn probability(&self, values: &FeatureValues) -> f64 {
        let x = self.standardise(values);
        sigmoid(self.intercept + self.terms.iter().zip(&x).map(|(t, x)| t.weight * x).sum::<f64>())
    }

    /// The average case's likelihood: where every explanation starts from.
    pub fn baseline(&self) -> f64 {
        sigmoid(self.intercept)
    }

    /// The likelihood with each feature's contribution in percentage points; they add up exactly
    /// to the distance from the baseline. A logistic model is not additive in probability, so the
    /// distance is shared the way a two-player Shapley value would share it — between the features
    /// that push up and those that push down, each order averaged — and within each side in
    /// proportion to the features' log-odds.
    pub fn predict(&self, values: &FeatureValues) -> Likelihood {
        let x = self.standardise(values);
        let pushes: Vec<f64> = self.terms.iter().zip(&x).map(|(t, x)| t.weight * x).collect();
        let b = self.intercept;
        let up: f64 = pushes.iter().filter(|c| **c > 0.0).sum();
        let down: f64 = pushes.iter().filter(|c| **c < 0.0).sum();
        let p = sigmoid(b + up + down);
        let up_share = ((sigmoid(b + up) - sigmoid(b)) + (p - sigmoid(b + down))) / 2.0;
        let down_share = ((sigmoid(b + down) - sigmoid(b)) + (p - sigmoid(b + up))) / 2.0;
        let exact: Vec<f64> = pushes
            .iter()
            .map(|&c| {
                100.0
                    * if c > 0.0 {
                        up_share * c / up
                    } else if c < 0.0 {
                        down_share * c / down
                    } else {
                        0.0
                    }
            })
            .collect();
        let percent = (p * 100.0).round().clamp(0.0, 100.0) as i32;
        let baseline = (self.baseline() * 100.0).round() as i32;
        let points = round_to_total(&exact, percent - baseline);
        let mut factors: Vec<LikelihoodFactor> = self
            .terms
            .iter()
            .zip(points)
            .filter_map(|(t, points)| {
                let raw = *values.get(&t.feature)?;
                (points != 0).then(|| LikelihoodFactor {
                    feature: t.feature,
                    points,
                    label: t.feature.describe(raw),
                })
            })
            .collect();
        factors.sort_by_key(|f| (-f.points.abs(), f.feature));
        Likelihood {
            percent,
            baseline,
            factors,
            missing: self
                .terms
                .iter()
                .filter(|t| !values.get(&t.feature).is_some_and(|v| v.is_finite()))
                .map(|t| t.feature.name().to_string())
                .collect(),
        }
    }
}

/// Whole numbers as close as can be to `exact` that add up to `total` (largest remainders first).
fn round_to_total(exact: &[f64], total: i32) -> Vec<i32> {
    let mut out: Vec<i32> = exact.iter().map(|v| v.floor() as i32).collect();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    let rest = |i: usize| exact[i] - exact[i].floor();
    let mut missing = total - out.iter().sum::<i32>();
    // Only features that contribute take the rounding: a zero stays zero.
    order.retain(|&i| exact[i] != 0.0);
    if order.is_empty() {
        return out;
    }
    order.sort_by(|&a, &b| rest(b).total_cmp(&rest(a)));
    let mut k = 0;
    while missing > 0 {
        out[order[k % order.len()]] += 1;
        missing -= 1;
        k += 1;
    }
    let mut k = order.len();
    while missing < 0 {
        k = if k == 0 { order.len() - 1 } else { k - 1 };
        out[order[k]] -= 1;
        missing += 1;
    }
    out
}

/// Area under the ROC curve: the chance that a random positive case ranks above a random negative
/// one (ties count half). `None` without both outcomes.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = pairs.iter().filter(|p| p.1).count() as f64;
    let negatives = pairs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Mann–Whitney U from average ranks, so tied scores share their rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i;
        while j + 1 < pairs.len() && pairs[j + 1].0 == pairs[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += rank * pairs[i..=j].iter().filter(|p| p.1).count() as f64;
        i = j + 1;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Whether a decided case is held out of training to measure the model: one in five, chosen by
/// its name so the split is stable from one training to the next.
pub fn is_holdout(subject: &str) -> bool {
    // FNV-1a: small, stable, good enough to spread names evenly.
    let hash = subject.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash % 5 == 0
}

#[cfg(test)]
mod tests;
