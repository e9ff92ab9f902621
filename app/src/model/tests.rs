//! Tests of the domain types: the Kanban moves, enums, list paging.

use super::*;

fn board() -> Vec<BoardColumn> {
    let deal = |id: i64, stage: &str, amount: i64| DealRow {
        id,
        account_id: id,
        account_name: format!("Account {id}"),
        name: format!("Deal {id}"),
        stage: stage.into(),
        stage_label: stage.to_uppercase(),
        outcome: StageOutcome::Open,
        amount: Money::new(amount, "USD"),
        expected_close: None,
        source: DealSource::Manual,
        closed_lost_reason: None,
        lost_on: None,
        version: 1,
        position: id,
        owner: None,
        score: None,
        band: None,
        convert_likelihood: None,
        writeback_error: None,
    };
    let column = |key: &str, cards: Vec<DealRow>| BoardColumn {
        stage: StageSummary {
            key: key.into(),
            label: key.to_uppercase(),
            outcome: StageOutcome::Open,
            deals: cards.len() as u64,
            amount: Money::new(cards.iter().map(|c| c.amount.minor).sum(), "USD"),
        },
        cards,
    };
    vec![
        column("a", vec![deal(1, "a", 100), deal(2, "a", 200), deal(3, "a", 300)]),
        column("b", vec![deal(4, "b", 400)]),
    ]
}

fn ids(columns: &[BoardColumn], i: usize) -> Vec<i64> {
    columns[i].cards.iter().map(|d| d.id).collect()
}

#[test]
fn a_card_moved_across_columns_carries_its_amount_and_takes_the_new_stage() {
    let mut b = board();
    let was = move_card(&mut b, 2, "b", Some(4)).unwrap();
    assert_eq!(was.stage, "a");
    assert_eq!(ids(&b, 0), vec![1, 3]);
    assert_eq!(ids(&b, 1), vec![2, 4]);
    assert_eq!((b[0].stage.deals, b[0].stage.amount.minor), (2, 400));
    assert_eq!((b[1].stage.deals, b[1].stage.amount.minor), (2, 600));
    assert_eq!(
        (b[1].cards[0].stage.as_str(), b[1].cards[0].stage_label.as_str()),
        ("b", "B")
    );
    // Dropped with no card below it: last.
    move_card(&mut b, 1, "b", None).unwrap();
    assert_eq!(ids(&b, 1), vec![2, 4, 1]);
}

#[test]
fn reordering_within_a_column_keeps_its_totals_and_a_drop_in_place_is_no_move() {
    let mut b = board();
    assert!(move_card(&mut b, 1, "a", Some(2)).is_none(), "already just before 2");
    assert!(move_card(&mut b, 3, "a", None).is_none(), "already last");
    assert!(move_card(&mut b, 9, "a", None).is_none(), "unknown card");
    assert!(move_card(&mut b, 1, "zzz", None).is_none(), "unknown stage");
    move_card(&mut b, 3, "a", Some(1)).unwrap();
    assert_eq!(ids(&b, 0), vec![3, 1, 2]);
    assert_eq!((b[0].stage.deals, b[0].stage.amount.minor), (3, 600));
}

#[test]
fn arrow_keys_move_a_card_beside_or_within_its_stage() {
    let b = board();
    assert_eq!(keyboard_move(&b, 2, "ArrowRight"), Some(("b".into(), None)));
    assert_eq!(keyboard_move(&b, 2, "ArrowLeft"), None);
    assert_eq!(keyboard_move(&b, 4, "ArrowLeft"), Some(("a".into(), None)));
    assert_eq!(keyboard_move(&b, 2, "ArrowUp"), Some(("a".into(), Some(1))));
    assert_eq!(keyboard_move(&b, 1, "ArrowUp"), None);
    assert_eq!(keyboard_move(&b, 1, "ArrowDown"), Some(("a".into(), Some(3))));
    assert_eq!(keyboard_move(&b, 2, "ArrowDown"), Some(("a".into(), None)));
    assert_eq!(keyboard_move(&b, 3, "ArrowDown"), None);
    // What the keys pick is a real move.
    let mut moved = b.clone();
    let (stage, before) = keyboard_move(&b, 1, "ArrowDown").unwrap();
    move_card(&mut moved, 1, &stage, before).unwrap();
    assert_eq!(ids(&moved, 0), vec![2, 1, 3]);
}

#[test]
fn money_displays_whole_units_with_separators() {
    assert_eq!(Money::new(120_400_000, "USD").display(), "$1,204,000");
    assert_eq!(Money::new(99, "USD").display(), "$0");
    assert_eq!(Money::new(-250_000, "EUR").display(), "-€2,500");
    assert_eq!(Money::new(1_000_000, "CHF").display(), "CHF 10,000");
    assert_eq!(Money::new(123_456_789, "USD").compact(), "$1.2M");
    assert_eq!(Money::new(4_800_000, "USD").compact(), "$48k");
}

#[test]
fn enums_round_trip_through_their_keys() {
    for l in Lifecycle::ALL {
        assert_eq!(Lifecycle::parse(l.as_str()), Some(*l));
    }
    assert_eq!(PaymentState::parse("past_due"), Some(PaymentState::PastDue));
    assert_eq!(PaymentState::parse("PAST_DUE"), None);
}

#[test]
fn worse_payment_states_rank_higher() {
    assert!(PaymentState::Failed.severity() > PaymentState::PastDue.severity());
    assert!(PaymentState::PastDue.is_problem());
    assert!(!PaymentState::Open.is_problem());
}

#[test]
fn list_query_pages_from_one_and_rejects_huge_searches() {
    let q = ListQuery::default();
    assert_eq!(q.page(), 1);
    assert_eq!(q.offset(), 0);
    let q = ListQuery {
        page: 3,
        q: "  Hooli ".into(),
        ..Default::default()
    };
    assert_eq!(q.offset(), 50);
    assert_eq!(q.search().unwrap().as_deref(), Some("hooli"));
    let q = ListQuery {
        q: "x".repeat(201),
        ..Default::default()
    };
    assert!(q.search().is_err());
    let page = Page::<u8> {
        rows: vec![],
        total: 51,
        page: 1,
        per_page: 25,
    };
    assert_eq!(page.page_count(), 3);
}
