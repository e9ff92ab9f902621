//! Account matching: the same company arrives from several vendors. Syncs match by explicit ids,
//! then by domain; a name only ever suggests. Settings → Signals & matching shows what did not match, likely
//! duplicates, and merges (which can be undone).

use serde::{Deserialize, Serialize};

/// Legal forms and filler that do not tell companies apart.
const NOISE: [&str; 18] = [
    "and",
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "corp",
    "corporation",
    "co",
    "company",
    "plc",
    "sa",
    "ag",
    "bv",
    "oy",
    "ab",
    "the",
];

/// A company name reduced to what identifies it: "The Hooli, Inc." and "hooli" are the same.
pub fn normalise_name(name: &str) -> String {
    let spaced: String = name
        .to_lowercase()
        .replace('&', " and ")
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let kept: Vec<&str> = words.iter().copied().filter(|w| !NOISE.contains(w)).collect();
    // A name made only of noise ("The Company") is its own words.
    if kept.is_empty() {
        words.join(" ")
    } else {
        kept.join(" ")
    }
}

/// A company domain as every vendor and caller may write it — `https://www.Hooli.com/` — reduced
/// to the form accounts keep: `hooli.com`.
pub fn normalise_domain(text: &str) -> String {
    text.trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.")
        .trim_end_matches('/')
        .to_ascii_lowercase()
}

/// An account as the matching lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountBrief {
    pub id: i64,
    pub name: String,
    pub domain: Option<String>,
    /// Where its records come from ("stripe", "salesbricks", …).
    pub sources: Vec<String>,
}

/// A vendor company no account matched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedCompany {
    pub source: String,
    pub external_id: String,
    pub name: String,
    pub domain: Option<String>,
    pub seen_at: String,
    /// Accounts with the same normalised name: suggestions, never applied on their own.
    pub suggestions: Vec<AccountBrief>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergeRow {
    pub id: i64,
    pub kept: AccountBrief,
    pub merged_name: String,
    pub merged_at: String,
    pub undone_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchingView {
    /// The first unmatched companies (with suggestions first), and how many there are in all.
    pub unmatched: Vec<UnmatchedCompany>,
    pub unmatched_total: i64,
    /// Accounts whose names normalise the same: likely one company that arrived twice.
    pub duplicates: Vec<Vec<AccountBrief>>,
    pub merges: Vec<MergeRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_to_what_identifies_the_company() {
        assert_eq!(normalise_name("The Hooli, Inc."), "hooli");
        assert_eq!(normalise_name("hooli"), "hooli");
        assert_eq!(
            normalise_name("Raviga Capital Management LLC"),
            "raviga capital management"
        );
        assert_eq!(normalise_name("Bachmanity & Co."), "bachmanity");
        assert_eq!(normalise_name("Endframe GmbH"), normalise_name("ENDFRAME"));
        assert_ne!(normalise_name("Pied Piper"), normalise_name("Pied Pipers"));
        assert_eq!(normalise_name("The Company"), "the company");
        assert_eq!(normalise_domain(" https://www.Hooli.com/ "), "hooli.com");
    }
}
