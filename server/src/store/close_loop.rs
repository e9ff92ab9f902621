//! Close the Loop's rows: release items, request matches and themes, email settings and the
//! outbox. The matching itself happens in `crate::close_loop`; this file only reads and writes.

mod cards;
mod email;
mod matches;
mod outbox;

use super::sql::RowExt;
use super::{Result, StoreError};
use app::close_loop::{MatchStatus, OutboxRow, OutboxState, Requester, SmtpSecurity};
use app::model::ListQuery;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use std::collections::HashSet;

pub struct RequestText {
    pub id: i64,
    pub quote: String,
    pub requested_on: NaiveDate,
}

pub struct ItemText {
    pub id: i64,
    pub text: String,
    pub published_on: NaiveDate,
}

/// Everything the matcher reads for one workspace.
pub struct LoopCorpus {
    pub requests: Vec<RequestText>,
    pub items: Vec<ItemText>,
    /// Pairs a person confirmed or rejected: never proposed again.
    pub decided: HashSet<(i64, i64)>,
}

pub struct Proposal {
    pub request_id: i64,
    pub item_id: i64,
    pub score: f64,
    pub terms: Vec<String>,
    /// Cosine similarity of the two texts' embeddings, when embeddings were used.
    pub similarity: Option<f64>,
}

/// A request as stored, with its matches, before highlighting.
pub struct RawCard {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub project: String,
    pub quote: String,
    pub requester: Option<Requester>,
    pub requested_on: NaiveDate,
    pub source_link: Option<String>,
    pub theme_size: u64,
    pub matches: Vec<RawMatch>,
}

pub struct RawMatch {
    pub item_id: i64,
    pub item: String,
    pub release_title: String,
    pub release_url: Option<String>,
    pub shipped_on: NaiveDate,
    pub score: f64,
    pub terms: Vec<String>,
    pub similarity: Option<f64>,
    pub status: MatchStatus,
    pub decided_by: Option<String>,
    pub email: Option<OutboxRow>,
}

/// Which requests a list shows.
#[derive(Default)]
pub struct CardFilter {
    pub account_id: Option<i64>,
    pub request_id: Option<i64>,
    pub search: Option<String>,
    pub project: Option<String>,
    /// shipped (a confirmed match), proposed (a match waiting), waiting (no match yet).
    pub state: Option<String>,
    pub by_project: bool,
    pub page: u32,
    pub per_page: u32,
}

/// A theme's rows, for the themes table: (theme id, account id, account ARR, project, shipped).
pub struct ThemeMember {
    pub theme_id: i64,
    pub label: String,
    pub account_id: i64,
    pub arr_minor: i64,
    pub project: String,
    pub shipped: bool,
}

pub struct StoredEmailSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password_sealed: Option<Vec<u8>>,
    pub from_address: String,
    pub from_name: String,
    pub reply_to: Option<String>,
    pub signature: String,
    pub subject_template: String,
    pub body_template: String,
    pub per_minute: u32,
}

pub struct NewEmail<'a> {
    pub key: &'a str,
    pub account_id: i64,
    pub request_id: Option<i64>,
    pub item_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub message_id: &'a str,
    pub queued_by: &'a str,
}

/// An email the sender claimed: everything it needs to hand it to the SMTP server.
#[derive(Clone, Debug)]
pub struct ClaimedEmail {
    pub id: i64,
    pub workspace_id: i64,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub attempts: i64,
}

pub struct NewFeatureRequest {
    pub account_id: i64,
    pub contact_id: Option<i64>,
    pub project: String,
    pub quote: String,
    pub requested_on: NaiveDate,
    pub source_link: Option<String>,
    pub created_by: String,
}

fn outbox_row(r: &AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.int("id")?,
        account_id: r.opt_int("account_id")?,
        account_name: r
            .opt_text("account_name")?
            .unwrap_or_else(|| "(deleted account)".into()),
        to_name: r.text("to_name")?,
        to_address: r.text("to_address")?,
        subject: r.text("subject")?,
        state: r.parsed("state", OutboxState::parse)?,
        error: r.opt_text("error")?,
        attempts: r.int("attempts")?,
        queued_by: r.text("queued_by")?,
        queued_at: r.text("queued_at")?,
        finished_at: r.opt_text("finished_at")?,
    })
}

const OUTBOX_COLUMNS: &str = "o.id, o.account_id, a.name AS account_name, o.to_name, o.to_address, o.subject, \
     o.state, o.error, o.attempts, o.queued_by, o.queued_at, o.finished_at";
/// Lists filter on `o.purpose = 'loop'`: account emails (verification, reset) share the outbox,
/// not Close the Loop's lists.
const OUTBOX_FROM: &str = "FROM outbox o LEFT JOIN accounts a ON a.id = o.account_id";

fn now_text(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl CardFilter {
    pub fn for_request(self, request_id: i64) -> Self {
        CardFilter {
            request_id: Some(request_id),
            ..self
        }
    }
}

/// The list filter a page's query asks for.
pub fn card_filter(query: &ListQuery, per_page: u32) -> Result<CardFilter> {
    Ok(CardFilter {
        account_id: None,
        request_id: None,
        search: query
            .search()
            .map_err(StoreError::Invalid)?
            .map(|s| super::sql::like_pattern(&s)),
        project: Some(query.project.trim().to_string()).filter(|p| !p.is_empty()),
        state: Some(query.filter.trim().to_string())
            .filter(|s| matches!(s.as_str(), "shipped" | "proposed" | "waiting")),
        by_project: query.view == "project",
        page: query.page(),
        per_page,
    })
}
