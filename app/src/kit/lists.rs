//! Paging, search and sort of the lists.

use super::*;

/// One page of a list, with enough to draw a pager.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(self.per_page.max(1) as u64) as u32).max(1)
    }
}

/// Paging, search and sort of a list; lives in the URL query.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub page: u32,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub filter: String,
    /// Health band: red, amber, green, or at_risk (amber and red).
    #[serde(default)]
    pub band: String,
    /// A score bucket's lower bound (0, 10, … 90), set by clicking the ARR distribution chart.
    #[serde(default)]
    pub bucket: String,
    /// Owner's name, or `none` for accounts nobody owns.
    #[serde(default)]
    pub owner: String,
    /// Renewal window in days: 30, 60 or 90.
    #[serde(default)]
    pub renewal: String,
    /// Payment state (paid, open, past_due, failed) or `problem` (past due or failed).
    #[serde(default)]
    pub payment: String,
    /// `show` lists untracked accounts too (Convert, Contracts, Pipeline, Re-engage hide them).
    #[serde(default)]
    pub untracked: String,
    /// A loss reason category on Re-engage (price, timing, competitor, missing_feature, other).
    #[serde(default)]
    pub reason: String,
    /// Where a deal comes from on Pipeline (salesbricks, attio, manual, routed).
    #[serde(default)]
    pub source: String,
    /// `table` shows Pipeline as a table instead of the board; Close the Loop: `account` (default),
    /// `project`, `themes`, `releases` or `sent`.
    #[serde(default)]
    pub view: String,
    /// A product area on Close the Loop.
    #[serde(default)]
    pub project: String,
}

impl ListQuery {
    /// Whether untracked accounts are asked for on the pages that hide them by default.
    pub fn shows_untracked(&self) -> bool {
        self.untracked == "show"
    }
}

pub const PER_PAGE: u32 = 25;
pub const MAX_SEARCH_LEN: usize = 200;

impl ListQuery {
    /// Pages count from 1 in URLs; 0 or missing means the first.
    pub fn page(&self) -> u32 {
        self.page.max(1)
    }

    pub fn offset(&self) -> u64 {
        (self.page() as u64 - 1) * PER_PAGE as u64
    }

    /// Trimmed search text, or an error a person can act on.
    pub fn search(&self) -> Result<Option<String>, String> {
        let q = self.q.trim();
        if q.chars().count() > MAX_SEARCH_LEN {
            return Err(format!("Search is limited to {MAX_SEARCH_LEN} characters."));
        }
        Ok((!q.is_empty()).then(|| q.to_lowercase()))
    }
}
