//! Feature requests and releases, as Close the Loop matches them.

use super::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureRequestRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub project: String,
    pub quote: String,
    pub requester: Option<String>,
    pub requested_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRow {
    pub id: i64,
    pub source: ReleaseSource,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub published_on: NaiveDate,
    /// Its bullet points or headings, as Close the Loop matches them.
    pub items: Vec<String>,
}
