//! Money: integer minor units plus an ISO 4217 currency, shown in the currency's own unit.

use serde::{Deserialize, Serialize};

/// An amount of money in the currency's minor unit (cents for USD, yen for JPY, fils for BHD).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

/// Decimal places of a currency's minor unit (the ISO 4217 exponent); 2 for every currency not
/// listed, as for most.
pub fn minor_digits(currency: &str) -> u32 {
    match currency.trim().to_ascii_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
        | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// `1234567` as `1,234,567`.
fn grouped(units: u64) -> String {
    let digits = units.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Money {
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Self {
            minor,
            currency: currency.into(),
        }
    }

    /// How many minor units make one major unit: 100 for USD, 1 for JPY, 1,000 for BHD.
    pub fn scale(&self) -> i64 {
        10i64.pow(minor_digits(&self.currency))
    }

    /// The amount in major units, for charts and arithmetic that needs no exactness.
    pub fn major(&self) -> f64 {
        self.minor as f64 / self.scale() as f64
    }

    /// The exact amount in major units with the currency's decimals, e.g. `1234.50`, `1234` (JPY),
    /// `1.234` (BHD): what exports carry.
    pub fn major_text(&self) -> String {
        let digits = minor_digits(&self.currency) as usize;
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale = self.scale().unsigned_abs();
        match digits {
            0 => format!("{sign}{abs}"),
            _ => format!("{sign}{}.{:0digits$}", abs / scale, abs % scale),
        }
    }

    /// Whole units with thousands separators, e.g. `$1,204,000`, `¥1,204,000` or `CHF 12,500`.
    pub fn display(&self) -> String {
        let units = self.minor.unsigned_abs() / self.scale().unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        match symbol(&self.currency) {
            Some(s) => format!("{sign}{s}{}", grouped(units)),
            None => format!("{sign}{} {}", self.currency, grouped(units)),
        }
    }

    /// Short form for dense places such as chart labels: `$1.2M`, `$48k`, `¥5M`.
    pub fn compact(&self) -> String {
        let units = self.major();
        let abs = units.abs();
        let body = if abs >= 1_000_000.0 {
            format!("{:.1}M", units / 1_000_000.0)
        } else if abs >= 1_000.0 {
            format!("{:.0}k", units / 1_000.0)
        } else {
            format!("{units:.0}")
        };
        match symbol(&self.currency) {
            Some(s) => format!("{s}{body}"),
            None if self.currency.is_empty() => body,
            None => format!("{} {body}", self.currency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_in_the_currencys_own_unit() {
        assert_eq!(Money::new(120_400_000, "USD").display(), "$1,204,000");
        assert_eq!(Money::new(-1_250_000, "EUR").display(), "-€12,500");
        // Zero-decimal currencies: the minor unit is the yen, the won.
        assert_eq!(Money::new(1_204_000, "JPY").display(), "¥1,204,000");
        assert_eq!(Money::new(5_000_000, "KRW").display(), "KRW 5,000,000");
        // Three decimals: 12,500 dinars are 12,500,000 fils.
        assert_eq!(Money::new(12_500_000, "BHD").display(), "BHD 12,500");
        assert_eq!(Money::new(999, "USD").display(), "$9");
        assert_eq!(Money::new(0, "CHF").display(), "CHF 0");
    }

    #[test]
    fn compact_and_major_follow_the_exponent() {
        assert_eq!(Money::new(120_000_000, "USD").compact(), "$1.2M");
        assert_eq!(Money::new(4_800_000, "USD").compact(), "$48k");
        assert_eq!(Money::new(1_200_000, "JPY").compact(), "¥1.2M");
        assert_eq!(Money::new(48_000, "KWD").compact(), "KWD 48");
        assert_eq!(Money::new(4_800, "JPY").major(), 4_800.0);
        assert_eq!(Money::new(123_450, "USD").major_text(), "1234.50");
        assert_eq!(Money::new(-5, "USD").major_text(), "-0.05");
        assert_eq!(Money::new(123_450, "JPY").major_text(), "123450");
        assert_eq!(Money::new(1_234, "BHD").major_text(), "1.234");
    }

    #[test]
    fn every_listed_exponent_is_iso_4217s() {
        assert_eq!(minor_digits("jpy"), 0);
        assert_eq!(minor_digits("CLF"), 4);
        assert_eq!(minor_digits("TND"), 3);
        assert_eq!(minor_digits("USD"), 2);
        assert_eq!(minor_digits(""), 2);
    }
}
