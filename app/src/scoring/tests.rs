//! Tests of the health score, its factors and the scorecard preview.

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
