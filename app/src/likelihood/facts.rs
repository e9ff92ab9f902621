//! What we know of trials, prospects and losses as model features; loss reasons, urgency and why now.

use super::{Feature, FeatureValues};
use serde::{Deserialize, Serialize};

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
