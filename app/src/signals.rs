//! Signals in: what `POST /api/v1/signals` and the CSV import accept, checked by the same rules
//! (so the CSV preview shows exactly the errors the import would hit), and a CSV reader.

use crate::kit::SignalSource;
use serde::{Deserialize, Serialize};

/// Items a single API call or CSV import may carry.
pub const BATCH_MAX: usize = 1_000;
pub const QUOTE_MAX: usize = 4_000;
pub const TOPIC_MAX: usize = 80;
pub const EXTERNAL_ID_MAX: usize = 200;

/// One signal as a caller sends it. The account is named by its domain (best), its Success id,
/// or its exact name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignalInput {
    pub external_id: String,
    pub account_domain: Option<String>,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub source: String,
    /// −1 (angry) to 1 (delighted); a number, or a string holding one in CSV.
    pub sentiment: serde_json::Value,
    pub topic: String,
    pub quote: String,
    pub link: Option<String>,
    /// RFC 3339 (`2026-11-20T14:03:00Z`) or a day (`2026-11-20`).
    pub occurred_at: String,
}

/// How a valid signal names its account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountRef {
    Id(i64),
    Domain(String),
    Name(String),
}

/// A signal that passed every check, ready to store once its account is found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidSignal {
    pub external_id: String,
    pub account: AccountRef,
    pub source: SignalSource,
    pub sentiment: f64,
    pub topic: String,
    pub quote: String,
    pub link: Option<String>,
    /// RFC 3339, UTC.
    pub occurred_at: String,
}

impl SignalInput {
    /// Every problem with this item, in plain words; none means it can be stored.
    pub fn check(&self) -> Result<ValidSignal, Vec<String>> {
        let mut problems = Vec::new();
        let external_id = self.external_id.trim();
        if external_id.is_empty() {
            problems.push("external_id is missing: send your own id for the signal, so sending it again updates it instead of adding a copy.".to_string());
        } else if external_id.len() > EXTERNAL_ID_MAX {
            problems.push(format!("external_id is longer than {EXTERNAL_ID_MAX} characters."));
        }
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let account = match (self.account_id, text(&self.account_domain), text(&self.account_name)) {
            (Some(id), _, _) if id > 0 => Some(AccountRef::Id(id)),
            (Some(_), _, _) => {
                problems.push("account_id must be a positive number.".into());
                None
            }
            (None, Some(domain), _) => Some(AccountRef::Domain(crate::matching::normalise_domain(&domain))),
            (None, None, Some(name)) => Some(AccountRef::Name(name)),
            (None, None, None) => {
                problems.push("Name the account: account_domain (best), account_id or account_name.".into());
                None
            }
        };
        let source = SignalSource::parse(self.source.trim().to_ascii_lowercase().as_str());
        if source.is_none() {
            problems.push(format!(
                "source {:?} is not one of call, support, survey, email, chat, other.",
                self.source
            ));
        }
        let sentiment = match &self.sentiment {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        let sentiment = match sentiment {
            Some(s) if (-1.0..=1.0).contains(&s) => Some(s),
            _ => {
                problems.push("sentiment must be a number from -1 (negative) to 1 (positive).".into());
                None
            }
        };
        let topic = self.topic.trim();
        if topic.is_empty() {
            problems.push("topic is missing (such as pricing, onboarding, churn risk).".into());
        } else if topic.chars().count() > TOPIC_MAX {
            problems.push(format!("topic is longer than {TOPIC_MAX} characters."));
        }
        let quote = self.quote.trim();
        if quote.is_empty() {
            problems.push("quote is missing: what the customer said or did.".into());
        } else if quote.chars().count() > QUOTE_MAX {
            problems.push(format!("quote is longer than {QUOTE_MAX} characters."));
        }
        let link = text(&self.link);
        if let Some(l) = &link {
            if !(l.starts_with("https://") || l.starts_with("http://")) || l.contains(char::is_whitespace) {
                problems.push("link must be a web address starting with https://.".into());
            }
        }
        let occurred_at = parse_instant(self.occurred_at.trim());
        if occurred_at.is_none() {
            problems.push(format!(
                "occurred_at {:?} is not a date (2026-11-20) or a time (2026-11-20T14:03:00Z).",
                self.occurred_at
            ));
        }
        match (account, source, sentiment, occurred_at) {
            (Some(account), Some(source), Some(sentiment), Some(occurred_at)) if problems.is_empty() => {
                Ok(ValidSignal {
                    external_id: external_id.to_string(),
                    account,
                    source,
                    sentiment,
                    topic: topic.to_string(),
                    quote: quote.to_string(),
                    link,
                    occurred_at,
                })
            }
            _ => Err(problems),
        }
    }
}

fn parse_instant(text: &str) -> Option<String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(format!("{}T00:00:00Z", day.format("%Y-%m-%d")))
}

/// The CSV columns the import reads (a header row names them, in any order).
pub const CSV_COLUMNS: [&str; 10] = [
    "external_id",
    "account_domain",
    "account_id",
    "account_name",
    "source",
    "sentiment",
    "topic",
    "quote",
    "link",
    "occurred_at",
];

/// Reads a CSV file (RFC 4180: quoted fields may hold commas, quotes as `""` and line breaks)
/// into signals with their line numbers. Unknown columns are an error, so a typo in a header
/// does not silently drop data.
pub fn read_csv(text: &str) -> Result<Vec<(usize, SignalInput)>, String> {
    let records = csv_records(text)?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err("The file is empty.".into());
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    if let Some(unknown) = header.iter().find(|h| !CSV_COLUMNS.contains(&h.as_str())) {
        return Err(format!(
            "The header names a column Success does not know: {unknown:?}. Columns: {}.",
            CSV_COLUMNS.join(", ")
        ));
    }
    if rows.len() > BATCH_MAX {
        return Err(format!(
            "The file has {} rows; import at most {BATCH_MAX} at a time.",
            rows.len()
        ));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (line, fields) in rows {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut input = SignalInput::default();
        for (name, value) in header.iter().zip(fields) {
            let value = value.trim().to_string();
            let some = || Some(value.clone()).filter(|v| !v.is_empty());
            match name.as_str() {
                "external_id" => input.external_id = value,
                "account_domain" => input.account_domain = some(),
                "account_id" => input.account_id = some().map(|v| v.parse().unwrap_or(-1)),
                "account_name" => input.account_name = some(),
                "source" => input.source = value,
                "sentiment" => input.sentiment = serde_json::Value::String(value),
                "topic" => input.topic = value,
                "quote" => input.quote = value,
                "link" => input.link = some(),
                _ => input.occurred_at = value,
            }
        }
        out.push((*line, input));
    }
    Ok(out)
}

/// Fields of each record with the line it starts on.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') | (false, '\r') => {
                fields.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
                any = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("A quoted field that starts on line {start} is never closed."));
    }
    if any {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

/// A workspace API token as Settings lists it (never the token itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenRow {
    pub id: i64,
    pub name: String,
    /// The first characters, to tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// One row of a CSV preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: usize,
    pub external_id: String,
    /// The account it will land on, or why none.
    pub account: Result<String, String>,
    pub topic: String,
    pub sentiment: Option<f64>,
    pub problems: Vec<String>,
}

/// What an import would do, before anything is written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub rows: Vec<PreviewRow>,
    pub valid: usize,
    pub invalid: usize,
    /// Valid rows whose external id is already stored (an import updates them).
    pub updates: usize,
}

/// What an API call or import did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    pub created: usize,
    pub updated: usize,
    /// (position in the batch or CSV line, external id, problems) of the items not stored.
    pub rejected: Vec<(usize, String, Vec<String>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> SignalInput {
        serde_json::from_value(json!({
            "external_id": "bb-1", "account_domain": "https://www.Hooli.com/", "source": "Call",
            "sentiment": -0.6, "topic": "pricing", "quote": "Finance asks why we pay for idle seats.",
            "occurred_at": "2026-11-20T14:03:00+01:00"
        }))
        .unwrap()
    }

    #[test]
    fn a_good_signal_is_normalised() {
        let v = good().check().unwrap();
        assert_eq!(v.account, AccountRef::Domain("hooli.com".into()));
        assert_eq!(v.source, SignalSource::Call);
        assert_eq!(v.occurred_at, "2026-11-20T13:03:00Z");
    }

    #[test]
    fn every_problem_of_a_bad_signal_is_named() {
        let bad: SignalInput = serde_json::from_value(json!({
            "source": "tweet", "sentiment": 3, "quote": " ", "occurred_at": "yesterday", "link": "ftp://x"
        }))
        .unwrap();
        let problems = bad.check().unwrap_err();
        for expected in [
            "external_id",
            "Name the account",
            "tweet",
            "sentiment",
            "topic",
            "quote",
            "link",
            "yesterday",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{expected}: {problems:?}"
            );
        }
        let mut day = good();
        day.occurred_at = "2026-11-20".into();
        day.sentiment = json!("0.5");
        assert_eq!(day.check().unwrap().occurred_at, "2026-11-20T00:00:00Z");
    }

    #[test]
    fn csv_fields_may_be_quoted_across_lines() {
        let csv = "external_id,account_domain,source,sentiment,topic,quote,occurred_at\r\n\
                   a1,hooli.com,call,-0.5,pricing,\"Too \"\"expensive\"\",\nsays finance\",2026-11-20\r\n\
                   \r\n\
                   a2,raviga.com,survey,0.8,support,Great help,2026-11-21";
        let rows = read_csv(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1.quote, "Too \"expensive\",\nsays finance");
        assert_eq!(rows[1].0, 5, "line numbers count the line break inside the quote");
        assert!(rows[1].1.check().is_ok());
        assert!(read_csv("external_id,acount\nx,y").unwrap_err().contains("acount"));
        assert!(read_csv("external_id\n\"open").unwrap_err().contains("never closed"));
    }
}
