//! Conversion and re-engagement likelihood: small logistic models over named features.
//!
//! The server trains each workspace's models on its own decided cases (trials that converted or
//! lapsed, losses that were won back or stayed lost); predicting and explaining is pure code here,
//! so the browser and the server show the same numbers. Below a minimum of decided cases a model
//! keeps transparent prior weights and says so.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// Why a deal was lost, grouped so a model and a chart can use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LostReason {
    Price,
    Timing,
    Competitor,
    MissingFeature,
    Other,
}

impl LostReason {
    pub const ALL: [LostReason; 5] = [
        LostReason::Price,
        LostReason::Timing,
        LostReason::Competitor,
        LostReason::MissingFeature,
        LostReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LostReason::Price => "price",
            LostReason::Timing => "timing",
            LostReason::Competitor => "competitor",
            LostReason::MissingFeature => "missing_feature",
            LostReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            LostReason::Price => "Price",
            LostReason::Timing => "Timing",
            LostReason::Competitor => "Competitor",
            LostReason::MissingFeature => "Missing feature",
            LostReason::Other => "Other",
        }
    }

    /// Reads a free-text loss reason from a CRM ("Budget cut for FY25", "Went with Endframe").
    pub fn categorise(reason: &str) -> LostReason {
        let r = reason.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| r.contains(w));
        if has(&["price", "pricing", "budget", "expensive", "cost", "discount", "afford"]) {
            LostReason::Price
        } else if has(&[
            "competitor",
            "went with",
            "chose ",
            "switched to",
            "alternative",
            "in-house",
            "built their own",
        ]) {
            LostReason::Competitor
        } else if has(&[
            "feature",
            "missing",
            "lacks",
            "lacking",
            "integration",
            "sso",
            "support for",
            "roadmap",
        ]) {
            LostReason::MissingFeature
        } else if has(&[
            "timing",
            "not now",
            "next year",
            "next quarter",
            "freeze",
            "reorg",
            "priorit",
            "later",
            "paused",
        ]) {
            LostReason::Timing
        } else {
            LostReason::Other
        }
    }

    /// The indicator feature this reason sets, if any.
    pub fn feature(self) -> Option<Feature> {
        match self {
            LostReason::Price => Some(Feature::LostOnPrice),
            LostReason::Timing => Some(Feature::LostOnTiming),
            LostReason::Competitor => Some(Feature::LostToCompetitor),
            LostReason::MissingFeature => Some(Feature::LostOnMissingFeature),
            LostReason::Other => None,
        }
    }
}

/// How pressing a trial is: a trial ending soon and a deal far along matter more. 1.0 – 3.75.
pub fn trial_urgency(days_left: i64, deal_progress: f64) -> f64 {
    let closeness = 1.0 - (days_left.max(0) as f64 / 30.0).min(1.0);
    (1.0 + 1.5 * closeness) * (1.0 + 0.5 * deal_progress.clamp(0.0, 1.0))
}

/// A prospect without a trial has no end date pressing: only its deal's progress adds urgency,
/// as for a trial with a month or more left. 1.0 – 1.5.
pub fn prospect_urgency(deal_progress: f64) -> f64 {
    trial_urgency(30, deal_progress)
}

/// Convert's ranking: likelihood × urgency × potential ARR, in the ARR's minor units.
pub fn trial_priority(percent: i32, urgency: f64, potential_arr_minor: i64) -> i64 {
    (percent as f64 / 100.0 * urgency * potential_arr_minor as f64).round() as i64
}

/// What makes now a good moment to reach out to a lost account, in order of strength.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WhyNowFacts {
    /// The newest shipped thing they asked for: (what, shipped on).
    pub shipped: Option<(String, chrono::NaiveDate)>,
    /// The newest positive conversation since the loss: (topic, when).
    pub positive_signal: Option<(String, chrono::NaiveDate)>,
    pub active_users: Option<i64>,
    pub champion: Option<String>,
    pub reason: Option<LostReason>,
    pub months_since_loss: i64,
}

/// "SSO, which they asked for, shipped on 3 Nov".
pub fn why_now(f: &WhyNowFacts) -> String {
    let day = |d: chrono::NaiveDate| d.format("%-d %b").to_string();
    if let Some((what, on)) = &f.shipped {
        return format!("{what}, which they asked for, shipped on {}", day(*on));
    }
    if let Some((topic, on)) = &f.positive_signal {
        return format!("They spoke well of us ({topic}) on {}", day(*on));
    }
    if let Some(n) = f.active_users.filter(|&n| n > 0) {
        let who = if n == 1 {
            "1 person still uses".to_string()
        } else {
            format!("{n} people still use")
        };
        return format!("{who} the product");
    }
    match (f.reason, &f.champion) {
        (Some(LostReason::Timing), _) if f.months_since_loss >= 3 => {
            format!(
                "Lost on timing {} months ago: ask whether now is better",
                f.months_since_loss
            )
        }
        (Some(LostReason::Price), _) => "Lost on price: a new plan or offer may land".into(),
        (_, Some(name)) => format!("{name}, their champion, is still there"),
        _ => "No fresh reason yet: a light check-in".into(),
    }
}

/// A conversation counts as positive or negative beyond this sentiment.
const TELLING: f64 = 0.3;

/// What we know of a trial, to derive its features.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrialFacts {
    /// `None` when nothing reports activation (a trial read from billing).
    pub activation_events: Option<i64>,
    pub invited: i64,
    /// Weekly active users in the trial so far, oldest week first.
    pub weekly_active: Vec<i64>,
    /// Sentiments of conversations during the trial.
    pub sentiments: Vec<f64>,
}

pub fn trial_features(f: &TrialFacts) -> FeatureValues {
    let mut v = FeatureValues::new();
    if let Some(n) = f.activation_events {
        v.insert(Feature::ActivationEvents, n.max(0) as f64);
    }
    v.insert(Feature::TeammatesInvited, f.invited.max(0) as f64);
    if let Some(&peak) = f.weekly_active.iter().max() {
        v.insert(Feature::ActiveShare, peak as f64 / f.invited.max(1) as f64);
    }
    insert_trend_and_engagement(&mut v, &f.weekly_active, &f.sentiments);
    v
}

/// Usage trend (last week against the week before, when there are two) and engagement (telling
/// positive minus negative conversations): what trials and prospects share.
fn insert_trend_and_engagement(v: &mut FeatureValues, weekly_active: &[i64], sentiments: &[f64]) {
    if let [.., before, last] = weekly_active[..] {
        v.insert(Feature::UsageTrend, (last - before) as f64 / before.max(1) as f64);
    }
    let telling = |pos: bool| {
        sentiments
            .iter()
            .filter(|&&s| if pos { s >= TELLING } else { s <= -TELLING })
            .count() as f64
    };
    v.insert(Feature::Engagement, telling(true) - telling(false));
}

/// What we know of a prospect that is not trialling: usage reported for its company (a free plan,
/// a pilot) and its conversations. It has tried nothing yet, and the model is told so — no
/// activation events, nobody invited — rather than told "average": a prospect is as likely to
/// convert as a trial in which nothing has happened yet, and rises with usage and good conversations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProspectFacts {
    /// Weekly active users in the last four weeks, oldest first.
    pub weekly_active: Vec<i64>,
    /// Sentiments of conversations in the last 90 days.
    pub sentiments: Vec<f64>,
}

pub fn prospect_features(f: &ProspectFacts) -> FeatureValues {
    let mut v = FeatureValues::new();
    v.insert(Feature::ActivationEvents, 0.0);
    // A share of invited people means nothing when nobody was invited: it stays missing.
    v.insert(Feature::TeammatesInvited, 0.0);
    insert_trend_and_engagement(&mut v, &f.weekly_active, &f.sentiments);
    v
}

/// What we know of a loss, as of some day, to derive its features.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LossFacts {
    pub reason: Option<LostReason>,
    pub months_since_loss: f64,
    /// Lost ARR in the workspace currency's major units.
    pub lost_arr: f64,
    /// Peak weekly active users in the last four weeks; `None` without any usage data.
    pub recent_active: Option<i64>,
    pub positive_signals: i64,
    /// Whether a champion is still there; `None` when no champion was ever known.
    pub champion_there: Option<bool>,
    pub asked_for_shipped: i64,
}

pub fn loss_features(f: &LossFacts) -> FeatureValues {
    let mut v = FeatureValues::new();
    for reason in LostReason::ALL {
        if let (Some(feature), Some(r)) = (reason.feature(), f.reason) {
            v.insert(feature, if r == reason { 1.0 } else { 0.0 });
        }
    }
    v.insert(Feature::MonthsSinceLoss, f.months_since_loss.max(0.0));
    v.insert(Feature::LostArr, f.lost_arr.max(0.0));
    if let Some(n) = f.recent_active {
        v.insert(Feature::UsageSinceLoss, n.max(0) as f64);
    }
    v.insert(Feature::PositiveSignalsSinceLoss, f.positive_signals.max(0) as f64);
    if let Some(there) = f.champion_there {
        v.insert(Feature::ChampionStillThere, if there { 1.0 } else { 0.0 });
    }
    v.insert(Feature::AskedForShipped, f.asked_for_shipped.max(0) as f64);
    v
}

/// Whether a release speaks to what a customer asked for: at least two telling words in common
/// ("SSO with Okta" and "v4.2 — SSO with Okta and Azure AD"). Close the Loop ranks this properly;
/// this is the quick test the re-engagement model needs.
pub fn asked_for(request: &str, release: &str) -> bool {
    let words = |s: &str| -> std::collections::BTreeSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|w| w.len() >= 3 && !STOP_WORDS.contains(&w.as_str()))
            .collect()
    };
    words(request).intersection(&words(release)).count() >= 2
}

const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "with", "our", "we", "can", "would", "be", "so", "that", "this", "from", "need", "needs",
    "please", "before", "team", "any", "all", "into", "your", "you", "are", "was", "want", "only", "every", "when",
    "sees", "see", "keep", "buy", "off", "huge", "should", "not", "add", "new", "now", "get",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(Feature, f64)]) -> FeatureValues {
        pairs.iter().copied().collect()
    }

    #[test]
    fn auc_counts_ordered_pairs_and_ties() {
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), Some(0.0));
        // One positive below one negative out of four pairs.
        assert_eq!(auc(&[0.1, 0.5, 0.4, 0.9], &[false, false, true, true]), Some(0.75));
        // All tied: a coin.
        assert_eq!(auc(&[0.5, 0.5, 0.5], &[true, false, false]), Some(0.5));
        assert_eq!(auc(&[0.5, 0.6], &[true, true]), None);
    }

    #[test]
    fn the_prior_model_ranks_an_engaged_trial_above_a_quiet_one() {
        let model = Model::prior(ModelKind::Convert);
        let engaged = values(&[
            (Feature::ActivationEvents, 40.0),
            (Feature::TeammatesInvited, 12.0),
            (Feature::ActiveShare, 0.8),
            (Feature::UsageTrend, 0.3),
            (Feature::Engagement, 2.0),
        ]);
        let quiet = values(&[
            (Feature::ActivationEvents, 1.0),
            (Feature::TeammatesInvited, 1.0),
            (Feature::ActiveShare, 0.1),
            (Feature::UsageTrend, -1.0),
            (Feature::Engagement, -1.0),
        ]);
        let (hi, lo) = (model.predict(&engaged), model.predict(&quiet));
        assert!(hi.percent > 70 && lo.percent < 10, "{} vs {}", hi.percent, lo.percent);
        // Activation carries the largest prior weight, so it explains the most.
        assert_eq!(hi.factors[0].label, "40 activation events");
        assert!(hi.factors[0].sentence().starts_with('+'));
        assert!(hi
            .factors
            .iter()
            .any(|f| f.sentence().ends_with("Invited 12 teammates")));
        assert!(lo
            .factors
            .iter()
            .any(|f| f.label == "No activity last week" && f.points < 0));
        assert!(hi.missing.is_empty());
    }

    #[test]
    fn missing_data_counts_as_average_and_is_named() {
        let model = Model::prior(ModelKind::Convert);
        let l = model.predict(&values(&[(Feature::ActivationEvents, 12.0)]));
        assert_eq!(l.missing.len(), 4);
        assert!(l.missing.contains(&"Usage trend".to_string()));
        let none = model.predict(&FeatureValues::new());
        assert_eq!(none.percent, 30, "no data at all gives the prior rate");
        assert!(none.factors.is_empty());
    }

    #[test]
    fn unset_reason_indicators_do_not_explain() {
        let model = Model::prior(ModelKind::Reengage);
        let l = model.predict(&values(&[
            (Feature::LostOnPrice, 0.0),
            (Feature::LostToCompetitor, 1.0),
            (Feature::AskedForShipped, 2.0),
        ]));
        assert!(!l.factors.iter().any(|f| f.feature == Feature::LostOnPrice));
        let competitor = l
            .factors
            .iter()
            .find(|f| f.feature == Feature::LostToCompetitor)
            .unwrap();
        assert!(competitor.points < 0 && competitor.label == "Lost to a competitor");
        let shipped = l
            .factors
            .iter()
            .find(|f| f.feature == Feature::AskedForShipped)
            .unwrap();
        assert_eq!(shipped.label, "2 things they asked for shipped since");
        assert!(shipped.points > 0);
    }

    #[test]
    fn predictions_stay_within_bounds_for_extreme_inputs() {
        for kind in ModelKind::ALL {
            let model = Model::prior(kind);
            for raw in [-1e12, -1.0, 0.0, 1e12, f64::NAN, f64::INFINITY] {
                let v: FeatureValues = kind.features().iter().map(|&f| (f, raw)).collect();
                let l = model.predict(&v);
                assert!((0..=100).contains(&l.percent), "{kind:?} {raw}: {}", l.percent);
            }
        }
    }

    #[test]
    fn factor_points_add_up_to_the_distance_from_the_baseline() {
        // A small deterministic generator: many shapes of input, both models, learned-looking weights.
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for kind in ModelKind::ALL {
            let mut model = Model::prior(kind);
            for _ in 0..500 {
                for t in &mut model.terms {
                    t.weight = (next() - 0.5) * 4.0;
                }
                model.intercept = (next() - 0.5) * 4.0;
                let mut v = FeatureValues::new();
                for &f in kind.features() {
                    let (present, draw) = (next() > 0.2, next());
                    if present {
                        v.insert(
                            f,
                            if f.is_indicator() {
                                (draw > 0.5) as i64 as f64
                            } else {
                                draw * 60.0 - 5.0
                            },
                        );
                    }
                }
                let l = model.predict(&v);
                assert_eq!(
                    l.factors.iter().map(|f| f.points).sum::<i32>(),
                    l.percent - l.baseline,
                    "{kind:?} {v:?}"
                );
                assert!((0..=100).contains(&l.percent));
                assert_eq!(model.predict(&v), l, "same inputs, same answer");
            }
        }
    }

    #[test]
    fn loss_reasons_fall_into_categories() {
        for (reason, want) in [
            ("Budget cut for FY25", LostReason::Price),
            ("Too expensive for the team size", LostReason::Price),
            ("Went with Endframe", LostReason::Competitor),
            ("Built it in-house", LostReason::Competitor),
            ("Missing SSO", LostReason::MissingFeature),
            ("No Salesforce integration", LostReason::MissingFeature),
            ("Hiring freeze", LostReason::Timing),
            ("Not now — revisit next year", LostReason::Timing),
            ("unknown", LostReason::Other),
            ("", LostReason::Other),
        ] {
            assert_eq!(LostReason::categorise(reason), want, "{reason}");
        }
    }

    #[test]
    fn urgency_and_priority_follow_the_trial_end_and_stage() {
        assert_eq!(trial_urgency(30, 0.0), 1.0);
        assert_eq!(trial_urgency(0, 0.0), 2.5);
        assert_eq!(trial_urgency(-3, 1.0), 3.75);
        assert!(trial_urgency(5, 0.5) > trial_urgency(20, 0.5));
        assert_eq!(trial_priority(50, 2.0, 1_000_000), 1_000_000);
        assert_eq!(trial_priority(0, 3.0, 1_000_000), 0);
    }

    #[test]
    fn why_now_prefers_the_strongest_reason() {
        let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        let mut f = WhyNowFacts {
            shipped: Some(("SSO".into(), on)),
            positive_signal: Some(("praise".into(), on)),
            active_users: Some(3),
            months_since_loss: 4,
            ..Default::default()
        };
        assert_eq!(why_now(&f), "SSO, which they asked for, shipped on 3 Nov");
        f.shipped = None;
        assert_eq!(why_now(&f), "They spoke well of us (praise) on 3 Nov");
        f.positive_signal = None;
        assert_eq!(why_now(&f), "3 people still use the product");
        f.active_users = Some(0);
        f.reason = Some(LostReason::Timing);
        assert_eq!(why_now(&f), "Lost on timing 4 months ago: ask whether now is better");
    }

    #[test]
    fn trial_facts_become_features() {
        let v = trial_features(&TrialFacts {
            activation_events: Some(14),
            invited: 8,
            weekly_active: vec![2, 6, 4],
            sentiments: vec![0.8, 0.1, -0.5, 0.4],
        });
        assert_eq!(v[&Feature::ActiveShare], 0.75);
        assert_eq!(v[&Feature::UsageTrend], (4.0 - 6.0) / 6.0);
        assert_eq!(v[&Feature::Engagement], 1.0);
        let fresh = trial_features(&TrialFacts {
            invited: 3,
            weekly_active: vec![2],
            ..Default::default()
        });
        assert!(!fresh.contains_key(&Feature::UsageTrend), "one week has no trend");
        assert!(!trial_features(&TrialFacts::default()).contains_key(&Feature::ActiveShare));
    }

    #[test]
    fn a_prospect_is_scored_on_what_it_has_and_says_what_is_missing() {
        let growing = prospect_features(&ProspectFacts {
            weekly_active: vec![1, 2, 2, 5],
            sentiments: vec![0.6, 0.5],
        });
        assert_eq!(growing[&Feature::UsageTrend], 1.5);
        assert_eq!(growing[&Feature::Engagement], 2.0);
        assert_eq!(growing[&Feature::ActivationEvents], 0.0, "nothing tried yet");
        assert_eq!(growing[&Feature::TeammatesInvited], 0.0);
        assert!(!growing.contains_key(&Feature::ActiveShare), "nobody invited: no share");
        let quiet = prospect_features(&ProspectFacts {
            sentiments: vec![-0.7],
            ..Default::default()
        });
        let model = Model::prior(ModelKind::Convert);
        let (g, q) = (model.predict(&growing), model.predict(&quiet));
        assert!(g.percent > q.percent, "{} vs {}", g.percent, q.percent);
        assert_eq!(
            q.missing,
            vec!["Share of invited people active".to_string(), "Usage trend".to_string()]
        );
        assert!(q
            .factors
            .iter()
            .any(|f| f.feature == Feature::ActivationEvents && f.points < 0));
        // A prospect ranks below a trial that is going somewhere, above it once it is.
        let engaged_trial = trial_features(&TrialFacts {
            activation_events: Some(20),
            invited: 8,
            weekly_active: vec![4, 6],
            sentiments: vec![0.6],
        });
        assert!(model.predict(&engaged_trial).percent > g.percent);
        // Without an end date only the deal adds urgency; a trial ending soon outranks it.
        assert_eq!(prospect_urgency(0.0), 1.0);
        assert_eq!(prospect_urgency(1.0), 1.5);
        assert!(trial_urgency(3, 0.0) > prospect_urgency(1.0));
    }

    #[test]
    fn loss_facts_become_features() {
        let v = loss_features(&LossFacts {
            reason: Some(LostReason::Timing),
            months_since_loss: 4.0,
            lost_arr: 24_000.0,
            recent_active: None,
            positive_signals: 2,
            champion_there: Some(true),
            asked_for_shipped: 1,
        });
        assert_eq!(v[&Feature::LostOnTiming], 1.0);
        assert_eq!(v[&Feature::LostOnPrice], 0.0);
        assert!(!v.contains_key(&Feature::UsageSinceLoss));
        assert_eq!(v[&Feature::ChampionStillThere], 1.0);
        let unknown = loss_features(&LossFacts::default());
        assert!(
            !unknown.contains_key(&Feature::LostOnPrice),
            "an unknown reason sets no indicator"
        );
    }

    #[test]
    fn requests_match_releases_on_telling_words() {
        let sso = "We need SSO with Okta before security signs off on the renewal.";
        assert!(asked_for(
            sso,
            "v4.2 — SSO with Okta and Azure AD\n- SAML single sign-on with Okta"
        ));
        assert!(!asked_for(
            sso,
            "v4.3 — Slack notifications\n- Post compression reports to Slack channels"
        ));
        assert!(asked_for(
            "Bulk export to CSV — we copy numbers by hand every month.",
            "v4.1 — Bulk CSV export\n- Export any report as CSV"
        ));
        assert!(!asked_for(
            "Salesforce sync for account data, please.",
            "v4.1 — Bulk CSV export"
        ));
    }

    #[test]
    fn the_holdout_is_stable_and_about_a_fifth() {
        let held = (0..1000).filter(|i| is_holdout(&format!("trial:{i}"))).count();
        assert!((150..250).contains(&held), "{held}");
        assert_eq!(is_holdout("trial:7"), is_holdout("trial:7"));
    }
}
