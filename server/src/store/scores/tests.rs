//! Unit tests of the stored form of scores and of the hand-rolled readers of scoring's inputs.

use super::*;
use app::scoring::{score, ScoreInputs, SignalFact};

#[test]
fn dates_are_read_as_days_from_today() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    assert_eq!(days_between(today, "2026-12-01"), Some(3));
    assert_eq!(days_between(today, "2026-11-01T10:00:00Z"), Some(-27));
    assert_eq!(days_between(today, "2025-11-28 00:00:00"), Some(-365));
    for bad in ["", "2026-11", "2026/11/28", "2026-13-01", "2026-02-30", "20x6-11-28"] {
        assert_eq!(days_between(today, bad), None, "{bad}");
    }
}

#[test]
fn feature_adoption_is_counted_as_read() {
    let c: FeatureCounts = serde_json::from_str(r#"{"search":3,"api":0,"admin":1.5,"sso":0}"#).unwrap();
    assert_eq!((c.used, c.total), (2, 4));
    assert!(serde_json::from_str::<FeatureCounts>("[1,2]").is_err());
}

#[test]
fn stored_factors_read_back_as_scored() {
    let inputs = ScoreInputs {
        account_id: 42,
        licensed_seats: Some(25),
        active_last_4w: Some(3.0),
        active_prior_8w: Some(12.0),
        features_used: Some((1, 5)),
        has_billing: true,
        failed_invoices: 1,
        overdue_minor: 120_000,
        currency: "USD".into(),
        days_to_renewal: Some(20),
        arr_minor: 4_800_000,
        large_arr_minor: 4_800_000,
        signals: vec![
            SignalFact {
                id: 9,
                source: "call".into(),
                sentiment: -0.8,
                topic: "churn risk".into(),
                quote: "We are looking at other tools.".into(),
                days_ago: 3,
                link: Some("https://calls.example/9".into()),
            },
            SignalFact {
                id: 10,
                source: "support".into(),
                sentiment: 0.6,
                topic: "praise".into(),
                quote: "Thanks, fixed.".into(),
                days_ago: 5,
                link: None,
            },
        ],
        champion_known: true,
        ..ScoreInputs::default()
    };
    let scored = score(&Scorecard::default(), &inputs);
    assert!(scored.factors.iter().any(|f| f.points < 0) && scored.factors.iter().any(|f| f.points > 0));
    let text = factors_to_text(42, &scored.factors);
    assert_eq!(factors_from_text(42, &text), scored.factors, "{text}");
    assert!(!text.contains("/accounts/42#"), "section links are not stored: {text}");
    assert!(
        text.contains("https://calls.example/9"),
        "a signal's own link is: {text}"
    );
    // Rows written before the compact form still read.
    let whole = serde_json::to_string(&scored.factors).unwrap();
    assert_eq!(factors_from_text(42, &whole), scored.factors);
}
