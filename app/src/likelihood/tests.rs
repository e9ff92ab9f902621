//! Tests of the likelihood models, their features and explanations.

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
