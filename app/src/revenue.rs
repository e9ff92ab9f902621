//! MRR and ARR that a finance person would sign: pure arithmetic over Stripe subscriptions and
//! Salesbricks contracts, in integer minor units, converted to the workspace currency at configured
//! rates. Connectors turn vendor records into these shapes; pages and scoring read the result.
//!
//! Rules (each has a row in the table test below):
//! - A Stripe subscription's MRR is Σ over licensed items of unit amount × quantity, normalised to
//!   a month (year ÷ 12, week × 52 ÷ 12, day × 365 ÷ 12, `interval_count` honoured), minus each
//!   item's own discounts, then the subscription's (percent off what is left; an amount off per
//!   invoice, normalised like the item, or like the first item for the subscription's); never
//!   below zero. Which discounts are in force (not ended, not one-off) the connector decides.
//!   Metered items have no fixed amount and count 0.
//! - `trialing` counts 0 and is marked as a trial; `past_due` and `unpaid` still count and flag a
//!   payment risk; `canceled`, `incomplete`, `incomplete_expired` and `paused` count 0;
//!   `cancel_at_period_end` still counts and flags a churn risk.
//! - A Salesbricks contract's ARR is its `grand_total` per billing period × periods per year
//!   (one-time totals are not recurring). A contract billed through Stripe (its customer's
//!   `stripe_customer_id` has a counted Stripe subscription) is counted once: Stripe is the billing
//!   truth, the contract is shown but not summed.
//! - Amounts are converted with a rate per currency (units of workspace currency per unit, in
//!   millionths) and rounded half away from zero once, at the end of each line.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Interval> {
        match text {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            "year" => Some(Interval::Year),
            _ => None,
        }
    }

    /// How many of this interval make a month, as a fraction (numerator, denominator).
    fn per_month(self) -> (i128, i128) {
        match self {
            Interval::Day => (365, 12),
            Interval::Week => (52, 12),
            Interval::Month => (1, 1),
            Interval::Year => (1, 12),
        }
    }
}

/// One item of a Stripe subscription.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StripeItem {
    /// Price per unit per interval, in the subscription currency's minor unit.
    pub unit_amount: i64,
    pub quantity: i64,
    pub interval: Interval,
    pub interval_count: u32,
    /// `metered` prices bill usage after the fact and have no fixed MRR.
    pub metered: bool,
    /// Discounts on this item only (Stripe's item-level `discounts`), applied before the
    /// subscription's own.
    #[serde(default)]
    pub discounts: Vec<Discount>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Discount {
    /// Percent off every invoice (e.g. 20.0).
    PercentOff(f64),
    /// A fixed amount off every invoice, in the subscription currency's minor unit.
    AmountOff(i64),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StripeSubscription {
    pub status: String,
    pub cancel_at_period_end: bool,
    pub currency: String,
    pub items: Vec<StripeItem>,
    pub discounts: Vec<Discount>,
}

/// Units of the workspace currency per unit of another currency, in millionths (1.08 → 1_080_000).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    pub workspace_currency: String,
    pub per_currency: BTreeMap<String, i64>,
}

impl Rates {
    pub fn new(workspace_currency: &str) -> Rates {
        Rates {
            workspace_currency: workspace_currency.to_uppercase(),
            per_currency: BTreeMap::new(),
        }
    }

    pub fn with(mut self, currency: &str, millionths: i64) -> Rates {
        self.per_currency.insert(currency.to_uppercase(), millionths);
        self
    }

    /// Minor units of the workspace currency per minor unit of `currency`, as a fraction
    /// (numerator, denominator): the rate, corrected for currencies with another number of decimals.
    fn rate(&self, currency: &str) -> Result<(i128, i128), RevenueError> {
        let c = currency.to_uppercase();
        let millionths = if c == self.workspace_currency {
            1_000_000
        } else {
            *self
                .per_currency
                .get(&c)
                .ok_or_else(|| RevenueError::NoRate(c.clone()))? as i128
        };
        let to = 10i128.pow(minor_digits(&self.workspace_currency));
        let from = 10i128.pow(minor_digits(&c));
        Ok((millionths * to, 1_000_000 * from))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum RevenueError {
    #[error("no exchange rate for {0} is configured (Settings → Integrations & data)")]
    NoRate(String),
    #[error("a price item has interval_count 0")]
    ZeroIntervalCount,
}

/// Why a line counts the way it does, for the Contracts page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub trial: bool,
    pub payment_risk: bool,
    pub churn_risk: bool,
    /// Shown but not summed (a Salesbricks contract billed through Stripe, or a status worth 0).
    pub not_counted: bool,
}

/// One revenue source's contribution, in the workspace currency's minor unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub mrr: i64,
    pub flags: Flags,
}

impl Line {
    pub fn arr(&self) -> i64 {
        self.mrr * 12
    }
}

pub use crate::money::minor_digits;

/// Rounds `num / den` half away from zero.
fn round_div(num: i128, den: i128) -> i64 {
    let q = num / den;
    let r = num % den;
    let adj = if (r.abs() * 2) >= den.abs() {
        num.signum() * den.signum()
    } else {
        0
    };
    (q + adj) as i64
}

/// A monthly amount (× DEN) after `discounts`, never below zero: a percent comes off what is left,
/// an amount off is per invoice, made monthly by `per_invoice` (numerator, denominator).
fn discounted(mut num: i128, discounts: &[Discount], per_invoice: (i128, i128)) -> i128 {
    for d in discounts {
        match d {
            Discount::PercentOff(p) => {
                let p = p.clamp(0.0, 100.0);
                // Percent with two decimals, exactly.
                let basis = (p * 100.0).round() as i128;
                num -= num * basis / 10_000;
            }
            Discount::AmountOff(a) => num -= *a as i128 * per_invoice.0 / per_invoice.1,
        }
    }
    num.max(0)
}

/// MRR of one Stripe subscription in the workspace currency.
pub fn stripe_mrr(sub: &StripeSubscription, rates: &Rates) -> Result<Line, RevenueError> {
    let mut flags = Flags {
        churn_risk: sub.cancel_at_period_end,
        ..Flags::default()
    };
    match sub.status.as_str() {
        "active" => {}
        "past_due" | "unpaid" => flags.payment_risk = true,
        "trialing" => {
            flags.trial = true;
            flags.not_counted = true;
            return Ok(Line { mrr: 0, flags });
        }
        // canceled, incomplete (never paid), incomplete_expired, paused, anything unknown
        _ => {
            flags.not_counted = true;
            return Ok(Line { mrr: 0, flags });
        }
    }
    // Accumulate the monthly amount in units of 1/(12 · 720720): exact for every interval_count
    // from 1 to 16 (720720 is their least common multiple), within a unit for larger ones.
    let mut num: i128 = 0; // monthly amount × DEN
    const DEN: i128 = 12 * 720_720;
    let mut per_invoice_months: Option<(i128, i128)> = None;
    for item in &sub.items {
        if item.interval_count == 0 {
            return Err(RevenueError::ZeroIntervalCount);
        }
        let (per_n, per_d) = item.interval.per_month();
        // per month = amount × per_n / (per_d × count)
        let den = per_d * item.interval_count as i128;
        if per_invoice_months.is_none() {
            per_invoice_months = Some((per_n, den));
        }
        if item.metered {
            continue;
        }
        let amount = item.unit_amount as i128 * item.quantity as i128;
        num += discounted(amount * per_n * DEN / den, &item.discounts, (per_n * DEN, den));
    }
    let per_invoice = per_invoice_months.map_or((DEN, 1), |(n, d)| (n * DEN, d));
    let num = discounted(num, &sub.discounts, per_invoice);
    let (rate_n, rate_d) = rates.rate(&sub.currency)?;
    Ok(Line {
        mrr: round_div(num * rate_n, DEN * rate_d),
        flags,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingFrequency {
    Monthly,
    Quarterly,
    SemiAnnually,
    Annually,
    OneTime,
}

impl BillingFrequency {
    /// Salesbricks sends these in upper case on REST and lower case in webhooks.
    pub fn parse(text: &str) -> Option<BillingFrequency> {
        match text.to_ascii_lowercase().replace('-', "_").as_str() {
            "monthly" => Some(BillingFrequency::Monthly),
            "quarterly" => Some(BillingFrequency::Quarterly),
            "semi_annually" | "semiannually" => Some(BillingFrequency::SemiAnnually),
            "annually" | "yearly" | "annual" => Some(BillingFrequency::Annually),
            "one_time" | "onetime" => Some(BillingFrequency::OneTime),
            _ => None,
        }
    }

    fn per_year(self) -> i128 {
        match self {
            BillingFrequency::Monthly => 12,
            BillingFrequency::Quarterly => 4,
            BillingFrequency::SemiAnnually => 2,
            BillingFrequency::Annually => 1,
            BillingFrequency::OneTime => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SalesbricksContract {
    pub status: String,
    /// Per billing period, in the contract currency's minor unit.
    pub grand_total: i64,
    pub billing_frequency: BillingFrequency,
    pub currency: String,
    pub stripe_customer_id: Option<String>,
}

/// MRR of a Salesbricks contract; `billed_in_stripe` when its Stripe customer has a counted
/// subscription (then it is shown but not summed).
pub fn salesbricks_mrr(c: &SalesbricksContract, billed_in_stripe: bool, rates: &Rates) -> Result<Line, RevenueError> {
    let mut flags = Flags::default();
    let live = matches!(
        c.status.to_ascii_lowercase().as_str(),
        "active" | "closed_won" | "complete"
    );
    if !live || c.billing_frequency == BillingFrequency::OneTime {
        flags.not_counted = true;
        return Ok(Line { mrr: 0, flags });
    }
    let (rate_n, rate_d) = rates.rate(&c.currency)?;
    let mrr = round_div(
        c.grand_total as i128 * c.billing_frequency.per_year() * rate_n,
        12 * rate_d,
    );
    if billed_in_stripe {
        flags.not_counted = true;
    }
    Ok(Line { mrr, flags })
}

/// Sums the lines that count.
pub fn total_mrr(lines: &[Line]) -> i64 {
    lines.iter().filter(|l| !l.flags.not_counted).map(|l| l.mrr).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(unit_amount: i64, quantity: i64, interval: Interval, interval_count: u32) -> StripeItem {
        StripeItem {
            unit_amount,
            quantity,
            interval,
            interval_count,
            metered: false,
            discounts: Vec::new(),
        }
    }

    fn sub(status: &str, currency: &str, items: Vec<StripeItem>, discounts: Vec<Discount>) -> StripeSubscription {
        StripeSubscription {
            status: status.into(),
            cancel_at_period_end: false,
            currency: currency.into(),
            items,
            discounts,
        }
    }

    fn rates() -> Rates {
        Rates::new("USD")
            .with("EUR", 1_080_000)
            .with("GBP", 1_270_000)
            .with("JPY", 6_700)
    }

    use Interval::*;

    /// Hand-computed: (what, subscription, expected MRR in US cents, trial, payment risk, churn risk).
    #[test]
    fn stripe_mrr_ledger() {
        let cancel = |mut s: StripeSubscription| {
            s.cancel_at_period_end = true;
            s
        };
        let metered = StripeItem {
            metered: true,
            ..item(5, 1_000, Month, 1)
        };
        let table: Vec<(&str, StripeSubscription, i64, bool, bool, bool)> = vec![
            (
                "monthly $49",
                sub("active", "usd", vec![item(4_900, 1, Month, 1)], vec![]),
                4_900,
                false,
                false,
                false,
            ),
            (
                "annual $1,200 → $100/mo",
                sub("active", "usd", vec![item(120_000, 1, Year, 1)], vec![]),
                10_000,
                false,
                false,
                false,
            ),
            (
                "weekly $10 × 52 / 12 = $43.33",
                sub("active", "usd", vec![item(1_000, 1, Week, 1)], vec![]),
                4_333,
                false,
                false,
                false,
            ),
            (
                "daily $1 × 365 / 12 = $30.42",
                sub("active", "usd", vec![item(100, 1, Day, 1)], vec![]),
                3_042,
                false,
                false,
                false,
            ),
            (
                "quarterly: every 3 months $300",
                sub("active", "usd", vec![item(30_000, 1, Month, 3)], vec![]),
                10_000,
                false,
                false,
                false,
            ),
            (
                "every 2 years $2,400",
                sub("active", "usd", vec![item(240_000, 1, Year, 2)], vec![]),
                10_000,
                false,
                false,
                false,
            ),
            (
                "25 seats × $12",
                sub("active", "usd", vec![item(1_200, 25, Month, 1)], vec![]),
                30_000,
                false,
                false,
                false,
            ),
            (
                "multi-item: $99 base + 10 × $5 add-on + annual $600 support",
                sub(
                    "active",
                    "usd",
                    vec![
                        item(9_900, 1, Month, 1),
                        item(500, 10, Month, 1),
                        item(60_000, 1, Year, 1),
                    ],
                    vec![],
                ),
                19_900,
                false,
                false,
                false,
            ),
            (
                "20% off $250",
                sub(
                    "active",
                    "usd",
                    vec![item(25_000, 1, Month, 1)],
                    vec![Discount::PercentOff(20.0)],
                ),
                20_000,
                false,
                false,
                false,
            ),
            (
                "$50 off a $250 invoice",
                sub(
                    "active",
                    "usd",
                    vec![item(25_000, 1, Month, 1)],
                    vec![Discount::AmountOff(5_000)],
                ),
                20_000,
                false,
                false,
                false,
            ),
            (
                "$120 off an annual $1,200 invoice → $90/mo",
                sub(
                    "active",
                    "usd",
                    vec![item(120_000, 1, Year, 1)],
                    vec![Discount::AmountOff(12_000)],
                ),
                9_000,
                false,
                false,
                false,
            ),
            (
                "item-level 50 % off the $100 add-on of a $250 plan, then 20 % off the whole → $240",
                sub(
                    "active",
                    "usd",
                    vec![
                        item(25_000, 1, Month, 1),
                        StripeItem {
                            discounts: vec![Discount::PercentOff(50.0)],
                            ..item(10_000, 1, Month, 1)
                        },
                    ],
                    vec![Discount::PercentOff(20.0)],
                ),
                24_000,
                false,
                false,
                false,
            ),
            (
                "item-level $600 off an annual $1,200 item → $50/mo beside a $30/mo item",
                sub(
                    "active",
                    "usd",
                    vec![
                        item(3_000, 1, Month, 1),
                        StripeItem {
                            discounts: vec![Discount::AmountOff(60_000)],
                            ..item(120_000, 1, Year, 1)
                        },
                    ],
                    vec![],
                ),
                8_000,
                false,
                false,
                false,
            ),
            (
                "discount larger than the price → 0",
                sub(
                    "active",
                    "usd",
                    vec![item(1_000, 1, Month, 1)],
                    vec![Discount::AmountOff(5_000)],
                ),
                0,
                false,
                false,
                false,
            ),
            (
                "trialing counts 0",
                sub("trialing", "usd", vec![item(4_900, 1, Month, 1)], vec![]),
                0,
                true,
                false,
                false,
            ),
            (
                "past_due still counts, payment risk",
                sub("past_due", "usd", vec![item(4_900, 1, Month, 1)], vec![]),
                4_900,
                false,
                true,
                false,
            ),
            (
                "unpaid still counts, payment risk",
                sub("unpaid", "usd", vec![item(4_900, 1, Month, 1)], vec![]),
                4_900,
                false,
                true,
                false,
            ),
            (
                "canceled counts 0",
                sub("canceled", "usd", vec![item(4_900, 1, Month, 1)], vec![]),
                0,
                false,
                false,
                false,
            ),
            (
                "incomplete (never paid) counts 0",
                sub("incomplete", "usd", vec![item(4_900, 1, Month, 1)], vec![]),
                0,
                false,
                false,
                false,
            ),
            (
                "paused counts 0",
                sub("paused", "usd", vec![item(4_900, 1, Month, 1)], vec![]),
                0,
                false,
                false,
                false,
            ),
            (
                "cancel at period end still counts, churn risk",
                cancel(sub("active", "usd", vec![item(4_900, 1, Month, 1)], vec![])),
                4_900,
                false,
                false,
                true,
            ),
            (
                "€100 at 1.08",
                sub("active", "eur", vec![item(10_000, 1, Month, 1)], vec![]),
                10_800,
                false,
                false,
                false,
            ),
            (
                "£1,000 a year at 1.27 → $105.83",
                sub("active", "gbp", vec![item(100_000, 1, Year, 1)], vec![]),
                10_583,
                false,
                false,
                false,
            ),
            (
                "¥10,000 (no minor unit) at 0.0067 → $67",
                sub("active", "jpy", vec![item(10_000, 1, Month, 1)], vec![]),
                6_700,
                false,
                false,
                false,
            ),
            (
                "metered items have no fixed MRR",
                sub("active", "usd", vec![item(2_000, 1, Month, 1), metered], vec![]),
                2_000,
                false,
                false,
                false,
            ),
            (
                "percent then amount: $300 − 10% − $30",
                sub(
                    "active",
                    "usd",
                    vec![item(30_000, 1, Month, 1)],
                    vec![Discount::PercentOff(10.0), Discount::AmountOff(3_000)],
                ),
                24_000,
                false,
                false,
                false,
            ),
        ];
        assert!(table.len() >= 20);
        for (what, s, mrr, trial, pay, churn) in table {
            let line = stripe_mrr(&s, &rates()).unwrap();
            assert_eq!(line.mrr, mrr, "{what}");
            assert_eq!(line.flags.trial, trial, "{what}: trial");
            assert_eq!(line.flags.payment_risk, pay, "{what}: payment risk");
            assert_eq!(line.flags.churn_risk, churn, "{what}: churn risk");
            assert_eq!(line.arr(), mrr * 12, "{what}: ARR");
        }
    }

    #[test]
    fn salesbricks_contracts_and_the_stripe_overlap() {
        let contract = |total: i64, freq: BillingFrequency, currency: &str| SalesbricksContract {
            status: "ACTIVE".into(),
            grand_total: total,
            billing_frequency: freq,
            currency: currency.into(),
            stripe_customer_id: None,
        };
        let r = rates();
        // $36,000 a year → $3,000/mo; $9,000 a quarter → $3,000/mo; $18,000 a half-year → $3,000/mo.
        assert_eq!(
            salesbricks_mrr(&contract(3_600_000, BillingFrequency::Annually, "usd"), false, &r)
                .unwrap()
                .mrr,
            300_000
        );
        assert_eq!(
            salesbricks_mrr(&contract(900_000, BillingFrequency::Quarterly, "usd"), false, &r)
                .unwrap()
                .mrr,
            300_000
        );
        assert_eq!(
            salesbricks_mrr(&contract(1_800_000, BillingFrequency::SemiAnnually, "usd"), false, &r)
                .unwrap()
                .mrr,
            300_000
        );
        assert_eq!(
            salesbricks_mrr(&contract(250_000, BillingFrequency::Monthly, "eur"), false, &r)
                .unwrap()
                .mrr,
            270_000
        );
        let once = salesbricks_mrr(&contract(500_000, BillingFrequency::OneTime, "usd"), false, &r).unwrap();
        assert!(
            once.flags.not_counted && once.mrr == 0,
            "a one-time fee is not recurring"
        );

        // Billed through Stripe: the contract shows its MRR but only Stripe's is summed.
        let billed = salesbricks_mrr(&contract(3_600_000, BillingFrequency::Annually, "usd"), true, &r).unwrap();
        assert_eq!(billed.mrr, 300_000);
        assert!(billed.flags.not_counted);
        let stripe = stripe_mrr(&sub("active", "usd", vec![item(300_000, 1, Month, 1)], vec![]), &r).unwrap();
        assert_eq!(total_mrr(&[billed, stripe]), 300_000, "counted once");
        assert_eq!(
            BillingFrequency::parse("SEMI_ANNUALLY"),
            Some(BillingFrequency::SemiAnnually)
        );
        assert_eq!(BillingFrequency::parse("annually"), Some(BillingFrequency::Annually));
    }

    #[test]
    fn a_currency_without_a_rate_is_an_error_not_a_guess() {
        let s = sub("active", "chf", vec![item(10_000, 1, Month, 1)], vec![]);
        assert_eq!(stripe_mrr(&s, &rates()), Err(RevenueError::NoRate("CHF".into())));
        let zero = sub("active", "usd", vec![item(10_000, 1, Month, 0)], vec![]);
        assert_eq!(stripe_mrr(&zero, &rates()), Err(RevenueError::ZeroIntervalCount));
    }
}
