//! Convert and Re-engage likelihoods: records newly decided cases, retrains each workspace's two
//! logistic models (linfa-logistic) on them, then scores every open trial, prospect and loss with the pure
//! code in `app::likelihood` and writes what changed. Runs after every rescore.

use crate::store::likelihood::{
    Activity, Example, Loss, LossContext, ProspectScore, TrialCase, WinbackRow, WinbackState, WinbackWrite,
    LOSS_ACCOUNTS, PROSPECT_ACCOUNTS, TRIAL_ACCOUNTS,
};
use crate::store::{Store, StoreError};
use app::likelihood::{self as lk, FeatureValues, Fit, Model, ModelKind};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use linfa::prelude::{Dataset, Fit as _};
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use std::collections::HashMap;
use std::time::Instant;

/// A loss that stayed lost this long is decided: it did not come back.
const STAYED_LOST_DAYS: i64 = 365;
/// …and its features are taken as they were this long after the loss, a moment when a CSM
/// could still have reached out.
const STAYED_LOST_SNAPSHOT_DAYS: i64 = 180;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LikelihoodReport {
    pub trials_scored: usize,
    pub prospects_scored: usize,
    pub losses_scored: usize,
    pub changed: usize,
    /// Time spent predicting and explaining (the pure part), in microseconds.
    pub score_us: u128,
    pub total_ms: u128,
}

/// Refreshes both queues of one workspace as of `today`.
pub async fn refresh(
    store: &Store,
    ws: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<LikelihoodReport, StoreError> {
    let started = Instant::now();
    let mut report = LikelihoodReport::default();

    // Trials: decided ones become examples, open ones get scored.
    let trials = store.trial_cases(ws).await?;
    let activity = store.activity(ws, TRIAL_ACCOUNTS).await?;
    let deals = store.open_deals(ws).await?;
    let known = store.example_outcomes(ws, ModelKind::Convert).await?;
    let mut frozen: HashMap<i64, FeatureValues> = HashMap::new();
    let mut new_examples = Vec::new();
    for t in trials.iter().filter(|t| t.converted.is_some()) {
        let features = match &t.features {
            Some(f) => f.clone(),
            None => {
                let f = trial_features(t, activity.get(&t.account_id), t.ends_on.min(today));
                frozen.insert(t.id, f.clone());
                f
            }
        };
        let subject = format!("trial:{}", t.id);
        if !known.contains_key(&subject) {
            new_examples.push(Example {
                subject,
                features,
                positive: t.converted == Some(true),
                decided_on: t.ends_on,
            });
        }
    }
    store.record_examples(ws, ModelKind::Convert, &new_examples).await?;
    let convert = retrain(store, ws, ModelKind::Convert, now).await?;

    let scoring = Instant::now();
    let mut trial_writes = Vec::new();
    for t in &trials {
        if t.converted.is_some() {
            if let Some(f) = frozen.remove(&t.id) {
                trial_writes.push((
                    t.id,
                    Some(f),
                    t.likelihood.unwrap_or(0),
                    t.explained.clone().unwrap_or_default(),
                    0,
                ));
            }
            continue;
        }
        let features = trial_features(t, activity.get(&t.account_id), today);
        let likelihood = convert.predict(&features);
        let deal = deals.get(&t.account_id);
        let urgency = lk::trial_urgency((t.ends_on - today).num_days(), deal.map_or(0.0, |d| d.progress));
        // The open deal's amount, else what the trial will bill at its price.
        let potential = deal.map(|d| d.amount_minor).or(t.potential_minor).unwrap_or(0);
        let priority = lk::trial_priority(likelihood.percent, urgency, potential);
        let explained = serde_json::to_string(&likelihood).unwrap_or_default();
        report.trials_scored += 1;
        if t.likelihood != Some(likelihood.percent as i64)
            || t.priority_minor != priority
            || t.explained.as_deref() != Some(explained.as_str())
        {
            trial_writes.push((t.id, None, likelihood.percent as i64, explained, priority));
        }
    }
    let mut score_time = scoring.elapsed();
    report.changed += trial_writes.len();
    store.write_trial_scores(ws, &trial_writes).await?;

    // Prospects that are not trialling, ranked by the same model on what they have.
    let prospects = store.prospects(ws).await?;
    let stored = store.prospect_scores(ws).await?;
    let activity = store.activity(ws, PROSPECT_ACCOUNTS).await?;
    let scoring = Instant::now();
    let mut prospect_writes = Vec::new();
    for &account_id in &prospects {
        let features = prospect_features(activity.get(&account_id), today);
        let likelihood = convert.predict(&features);
        let deal = deals.get(&account_id);
        let urgency = lk::prospect_urgency(deal.map_or(0.0, |d| d.progress));
        let priority = lk::trial_priority(likelihood.percent, urgency, deal.map_or(0, |d| d.amount_minor));
        let score = ProspectScore {
            account_id,
            likelihood: likelihood.percent as i64,
            explained: serde_json::to_string(&likelihood).unwrap_or_default(),
            priority_minor: priority,
        };
        report.prospects_scored += 1;
        if stored.get(&account_id) != Some(&score) {
            prospect_writes.push(score);
        }
    }
    let current: std::collections::HashSet<i64> = prospects.iter().copied().collect();
    let gone: Vec<i64> = stored.keys().filter(|a| !current.contains(a)).copied().collect();
    score_time += scoring.elapsed();
    report.changed += prospect_writes.len() + gone.len();
    store.write_prospect_scores(ws, &prospect_writes, &gone).await?;

    // Losses: the Re-engage rows, their decided cases and their scores.
    let losses = store.losses(ws).await?;
    let states = store.winback_states(ws).await?;
    let activity = store.activity(ws, LOSS_ACCOUNTS).await?;
    let context = store.loss_context(ws).await?;
    let known = store.example_outcomes(ws, ModelKind::Reengage).await?;
    let mut new_examples = Vec::new();
    for loss in &losses {
        let Some(lost_on) = loss.lost_on else { continue };
        let state = states.get(&loss.account_id).filter(|s| s.lost_on == loss.lost_on);
        let subject = format!("winback:{}:{lost_on}", loss.account_id);
        match state {
            Some(s) if s.row.status == "won_back" && known.get(&subject) != Some(&true) => {
                if let Some(features) = &s.row.features {
                    new_examples.push(Example {
                        subject,
                        features: features.clone(),
                        positive: true,
                        decided_on: s.row.won_back_at.as_deref().and_then(day_of).unwrap_or(today),
                    });
                }
            }
            Some(s) if s.row.status == "won_back" => {}
            _ if (today - lost_on).num_days() >= STAYED_LOST_DAYS && !known.contains_key(&subject) => {
                let as_of = lost_on + Duration::days(STAYED_LOST_SNAPSHOT_DAYS);
                let facts = loss_facts(loss, activity.get(&loss.account_id), &context, as_of);
                new_examples.push(Example {
                    subject,
                    features: lk::loss_features(&facts),
                    positive: false,
                    decided_on: lost_on + Duration::days(STAYED_LOST_DAYS),
                });
            }
            _ => {}
        }
    }
    store.record_examples(ws, ModelKind::Reengage, &new_examples).await?;
    let reengage = retrain(store, ws, ModelKind::Reengage, now).await?;

    let scoring = Instant::now();
    let mut writes = Vec::new();
    for loss in &losses {
        let state = states.get(&loss.account_id);
        let Some(write) = winback_write(loss, state, activity.get(&loss.account_id), &context, &reengage, today) else {
            continue;
        };
        report.losses_scored += 1;
        if state.is_none_or(|s| s.lost_on != write.loss.lost_on || s.row != write.row) {
            writes.push(write);
        }
    }
    let present: std::collections::HashSet<i64> = losses.iter().map(|l| l.account_id).collect();
    let gone: Vec<i64> = states
        .values()
        .filter(|s| !present.contains(&s.account_id) && s.row.status != "won_back")
        .map(|s| s.id)
        .collect();
    score_time += scoring.elapsed();
    report.changed += writes.len() + gone.len();
    store.write_winbacks(ws, &writes, &gone).await?;

    report.score_us = score_time.as_micros();
    report.total_ms = started.elapsed().as_millis();
    Ok(report)
}

fn day_of(instant: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(instant.get(..10)?, "%Y-%m-%d").ok()
}

/// A trial's features from what happened between its start and `as_of`.
fn trial_features(t: &TrialCase, activity: Option<&Activity>, as_of: NaiveDate) -> FeatureValues {
    let empty = Activity::default();
    let a = activity.unwrap_or(&empty);
    // Weeks that started before the trial and ended after it began count: usage is weekly.
    let window_start = t.started_on - Duration::days(6);
    lk::trial_features(&lk::TrialFacts {
        activation_events: t.source.is_none().then_some(t.activation_events),
        invited: t.seats,
        weekly_active: a
            .weeks
            .iter()
            .filter(|(w, _)| *w >= window_start && *w <= as_of)
            .map(|&(_, n)| n)
            .collect(),
        sentiments: a
            .signals
            .iter()
            .filter(|(d, _, _)| *d >= t.started_on && *d <= as_of)
            .map(|&(_, s, _)| s)
            .collect(),
    })
}

/// A prospect's features from its last four weeks of usage and 90 days of conversations.
fn prospect_features(activity: Option<&Activity>, today: NaiveDate) -> FeatureValues {
    let empty = Activity::default();
    let a = activity.unwrap_or(&empty);
    lk::prospect_features(&lk::ProspectFacts {
        weekly_active: a
            .weeks
            .iter()
            .filter(|(w, _)| *w > today - Duration::days(28) && *w <= today)
            .map(|&(_, n)| n)
            .collect(),
        sentiments: a
            .signals
            .iter()
            .filter(|(d, _, _)| *d > today - Duration::days(90) && *d <= today)
            .map(|&(_, s, _)| s)
            .collect(),
    })
}

/// A loss's facts as they stood on `as_of`, with the newest reason to reach out.
fn loss_facts(loss: &Loss, activity: Option<&Activity>, context: &LossContext, as_of: NaiveDate) -> lk::LossFacts {
    why_and_facts(loss, activity, context, as_of).1
}

fn why_and_facts(
    loss: &Loss,
    activity: Option<&Activity>,
    context: &LossContext,
    as_of: NaiveDate,
) -> (lk::WhyNowFacts, lk::LossFacts) {
    let lost_on = loss.lost_on.unwrap_or(as_of);
    let empty = Activity::default();
    let a = activity.unwrap_or(&empty);
    let recent_active = (!a.weeks.is_empty()).then(|| {
        a.weeks
            .iter()
            .filter(|(w, _)| *w > as_of - Duration::days(28) && *w <= as_of)
            .map(|&(_, n)| n)
            .max()
            .unwrap_or(0)
    });
    let positive: Vec<&(NaiveDate, f64, String)> = a
        .signals
        .iter()
        .filter(|(d, s, _)| *d > lost_on && *d <= as_of && *s >= 0.3)
        .collect();
    let champions = context.champions.get(&loss.account_id);
    let champion_there = champions.map(|c| c.iter().any(|(_, left)| left.is_none_or(|l| l > as_of)));
    let champion = champions.and_then(|c| {
        c.iter()
            .find(|(_, left)| left.is_none_or(|l| l > as_of))
            .map(|(n, _)| n.clone())
    });
    let shipped: Vec<&(NaiveDate, String, String)> = context
        .requests
        .get(&loss.account_id)
        .map(|asks| {
            context
                .releases
                .iter()
                .filter(|(on, _, _)| *on > lost_on && *on <= as_of)
                .filter(|(_, title, body)| {
                    let text = format!("{title}\n{body}");
                    asks.iter().any(|ask| lk::asked_for(ask, &text))
                })
                .collect()
        })
        .unwrap_or_default();
    let reason = lk::LostReason::categorise(&loss.reason);
    let months = (as_of - lost_on).num_days().max(0) as f64 / 30.44;
    let facts = lk::LossFacts {
        reason: (loss.reason != "unknown").then_some(reason),
        months_since_loss: months,
        lost_arr: loss.lost_minor as f64 / 100.0,
        recent_active,
        positive_signals: positive.len() as i64,
        champion_there,
        asked_for_shipped: shipped.len() as i64,
    };
    let why = lk::WhyNowFacts {
        shipped: shipped.last().map(|(on, title, _)| (release_name(title), *on)),
        positive_signal: positive.last().map(|(on, _, topic)| (topic.clone(), *on)),
        active_users: recent_active,
        champion,
        reason: facts.reason,
        months_since_loss: months as i64,
    };
    (why, facts)
}

/// "v4.2 — SSO with Okta and Azure AD" → "SSO with Okta and Azure AD".
fn release_name(title: &str) -> String {
    match title.split_once(" — ").or_else(|| title.split_once(" - ")) {
        Some((version, name))
            if version
                .trim_start_matches('v')
                .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            name.trim().to_string()
        }
        _ => title.trim().to_string(),
    }
}

/// The Re-engage row a loss should have now; `None` for a loss without a date.
fn winback_write(
    loss: &Loss,
    state: Option<&WinbackState>,
    activity: Option<&Activity>,
    context: &LossContext,
    model: &Model,
    today: NaiveDate,
) -> Option<WinbackWrite> {
    loss.lost_on?;
    // A new loss after a win-back (or a different loss) starts the row afresh.
    let same_loss = state.filter(|s| s.lost_on == loss.lost_on).map(|s| &s.row);
    if let Some(won) = same_loss.filter(|r| r.status == "won_back") {
        return Some(WinbackWrite {
            loss: loss.clone(),
            row: WinbackRow {
                snoozed_until: None,
                ..won.clone()
            },
        });
    }
    let (why, facts) = why_and_facts(loss, activity, context, today);
    let features = lk::loss_features(&facts);
    let likelihood = model.predict(&features);
    let (mut status, contacted_at, contacted_by, mut snoozed_until) = match same_loss {
        Some(r) => (
            r.status.clone(),
            r.contacted_at.clone(),
            r.contacted_by.clone(),
            r.snoozed_until,
        ),
        None => ("open".to_string(), None, None, None),
    };
    // A snooze that ran out puts the row back where it was.
    if status == "snoozed" && snoozed_until.is_none_or(|d| d <= today) {
        status = if contacted_at.is_some() { "contacted" } else { "open" }.into();
        snoozed_until = None;
    }
    Some(WinbackWrite {
        loss: loss.clone(),
        row: WinbackRow {
            status,
            contacted_at,
            contacted_by,
            snoozed_until,
            won_back_at: None,
            features: Some(features),
            likelihood: likelihood.percent as i64,
            explained: serde_json::to_string(&likelihood).ok(),
            why_now: Some(lk::why_now(&why)),
        },
    })
}

/// Trains a model of this kind on the workspace's examples and stores it.
async fn retrain(store: &Store, ws: i64, kind: ModelKind, now: DateTime<Utc>) -> Result<Model, StoreError> {
    let examples = store.examples(ws, kind).await?;
    let model = train(kind, &examples, now);
    store.save_model(ws, &model, now).await?;
    Ok(model)
}

/// Fits a logistic model on the examples not held out, measures it on those held out, then fits
/// the model in use on all of them. Too few examples, or a fit that fails, keep the prior model.
pub fn train(kind: ModelKind, examples: &[Example], now: DateTime<Utc>) -> Model {
    let positives = examples.iter().filter(|e| e.positive).count();
    let negatives = examples.len() - positives;
    let mut prior = Model::prior(kind);
    prior.examples_seen = examples.len() as u32;
    if examples.len() < lk::MIN_EXAMPLES || positives.min(negatives) < lk::MIN_PER_OUTCOME {
        return prior;
    }
    let standardised = standardisation(kind, examples);
    let (train_set, holdout): (Vec<&Example>, Vec<&Example>) =
        examples.iter().partition(|e| !lk::is_holdout(&e.subject));
    let auc = fit(&standardised, &train_set).and_then(|m| {
        let scores: Vec<f64> = holdout.iter().map(|e| m.probability(&e.features)).collect();
        let labels: Vec<bool> = holdout.iter().map(|e| e.positive).collect();
        lk::auc(&scores, &labels)
    });
    let all: Vec<&Example> = examples.iter().collect();
    match fit(&standardised, &all) {
        Some(mut model) => {
            model.fit = Some(Fit {
                examples: examples.len() as u32,
                positives: positives as u32,
                holdout: holdout.len() as u32,
                auc,
                trained_at: now.to_rfc3339(),
            });
            model.examples_seen = examples.len() as u32;
            model
        }
        None => prior,
    }
}

/// The prior model with each feature's mean and spread taken from the examples (missing values
/// left out), so the learned weights read as log-odds per typical difference.
fn standardisation(kind: ModelKind, examples: &[Example]) -> Model {
    let mut model = Model::prior(kind);
    for term in &mut model.terms {
        let values: Vec<f64> = examples
            .iter()
            .filter_map(|e| e.features.get(&term.feature))
            .filter(|v| v.is_finite())
            .map(|&v| term.feature.transform(v))
            .collect();
        if values.len() < 2 {
            continue;
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
        // Indicators stay uncentred (mean 0), so an unset one pushes nothing.
        if !term.feature.is_indicator() {
            term.mean = mean;
        }
        term.scale = if var.sqrt() > 1e-6 { var.sqrt() } else { 1.0 };
    }
    model
}

fn fit(base: &Model, examples: &[&Example]) -> Option<Model> {
    let positives = examples.iter().filter(|e| e.positive).count();
    if positives == 0 || positives == examples.len() {
        return None;
    }
    let width = base.terms.len();
    let mut x = Array2::<f64>::zeros((examples.len(), width));
    for (i, e) in examples.iter().enumerate() {
        for (j, v) in base.standardise(&e.features).into_iter().enumerate() {
            x[[i, j]] = v;
        }
    }
    let y: Array1<bool> = examples.iter().map(|e| e.positive).collect();
    let fitted = LogisticRegression::<f64>::default()
        .alpha(1.0)
        .max_iterations(200)
        .fit(&Dataset::new(x, y))
        .map_err(|e| tracing::warn!(model = base.kind.as_str(), error = %e, "likelihood model did not fit"))
        .ok()?;
    // linfa names the positive class itself; turn the weights round if it chose `false`.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut model = base.clone();
    model.intercept = sign * fitted.intercept();
    for (term, w) in model.terms.iter_mut().zip(fitted.params().iter()) {
        term.weight = sign * w;
    }
    Some(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::likelihood::Feature;

    /// Cases whose outcome follows activation: the model must find that and rank held-out cases well.
    fn examples(n: usize) -> Vec<Example> {
        (0..n)
            .map(|i| {
                let activation = (i * 37 % 50) as f64;
                let noise = (i * 7919 % 13) as f64 - 6.0;
                Example {
                    subject: format!("trial:{i}"),
                    features: [
                        (Feature::ActivationEvents, activation),
                        (Feature::TeammatesInvited, (i % 9) as f64),
                    ]
                    .into_iter()
                    .collect(),
                    positive: activation + noise * 2.0 > 25.0,
                    decided_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                }
            })
            .collect()
    }

    #[test]
    fn a_model_learns_what_decides_the_outcome() {
        let model = train(ModelKind::Convert, &examples(300), Utc::now());
        let fit = model.fit.as_ref().expect("enough examples to learn");
        assert_eq!(fit.examples, 300);
        assert!(fit.holdout > 30 && fit.holdout < 90, "{}", fit.holdout);
        assert!(fit.auc.unwrap() > 0.85, "auc {:?}", fit.auc);
        let weight = |f: Feature| model.terms.iter().find(|t| t.feature == f).unwrap().weight;
        assert!(weight(Feature::ActivationEvents) > 1.0);
        assert!(weight(Feature::ActivationEvents) > 3.0 * weight(Feature::TeammatesInvited).abs());
    }

    #[test]
    fn too_few_examples_keep_the_prior_and_say_how_many() {
        let model = train(ModelKind::Convert, &examples(20), Utc::now());
        assert!(model.fit.is_none());
        assert_eq!(model.examples_seen, 20);
        assert_eq!(model.terms, Model::prior(ModelKind::Convert).terms);
    }

    #[test]
    fn one_sided_outcomes_keep_the_prior() {
        let mut all_won = examples(100);
        all_won.iter_mut().for_each(|e| e.positive = true);
        assert!(train(ModelKind::Convert, &all_won, Utc::now()).fit.is_none());
    }

    #[test]
    fn a_trial_read_from_billing_has_no_activation_to_count() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let mut trial = TrialCase {
            id: 1,
            account_id: 1,
            started_on: day(1),
            ends_on: day(15),
            seats: 8,
            activation_events: 0,
            converted: None,
            features: None,
            likelihood: None,
            priority_minor: 0,
            explained: None,
            source: Some("stripe".into()),
            potential_minor: None,
        };
        let activity = Activity {
            weeks: vec![(day(2), 3), (day(9), 5), (day(23), 9)],
            signals: vec![(day(3), 0.8, "praise".into()), (day(20), -0.6, "bug".into())],
        };
        let billing = trial_features(&trial, Some(&activity), day(12));
        assert!(!billing.contains_key(&Feature::ActivationEvents), "unknown, not zero");
        assert_eq!(billing[&Feature::TeammatesInvited], 8.0);
        // Only the trial's own weeks and conversations, up to the day asked about.
        assert_eq!(billing[&Feature::ActiveShare], 5.0 / 8.0);
        assert_eq!(billing[&Feature::UsageTrend], (5.0 - 3.0) / 3.0);
        assert_eq!(billing[&Feature::Engagement], 1.0);
        trial.source = None;
        assert_eq!(
            trial_features(&trial, Some(&activity), day(12))[&Feature::ActivationEvents],
            0.0
        );
    }

    #[test]
    fn release_names_lose_their_version() {
        assert_eq!(
            release_name("v4.2 — SSO with Okta and Azure AD"),
            "SSO with Okta and Azure AD"
        );
        assert_eq!(release_name("2.0 - Faster sync"), "Faster sync");
        assert_eq!(release_name("Spring launch — new editor"), "Spring launch — new editor");
    }
}
