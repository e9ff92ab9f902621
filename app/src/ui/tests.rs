//! Tests of the shared display helpers.

use super::*;

#[test]
fn days_read_naturally() {
    assert_eq!(fmt_days(Some(0)), "today");
    assert_eq!(fmt_days(Some(12)), "in 12 days");
    assert_eq!(fmt_days(Some(-3)), "3 days ago");
    assert_eq!(fmt_date(NaiveDate::from_ymd_opt(2026, 11, 3)), "3 Nov 2026");
    assert_eq!(fmt_instant("2026-11-26T17:44:02Z"), "26 Nov 2026, 17:44 UTC");
}
