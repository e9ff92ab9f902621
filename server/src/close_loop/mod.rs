//! Close the Loop on the server: keeps release items, request themes and proposed matches up to
//! date after syncs and imports, assembles the page, drafts and queues "we shipped your request"
//! emails. The outbox sends them; see [`outbox`].

pub mod bench;
pub mod email;
pub mod embeddings;
pub mod matcher;
pub mod outbox;

use crate::store::close_loop::{card_filter, NewEmail, Proposal, RawCard};
use crate::store::{Result, Store, StoreError};
use app::close_loop::{
    self as cl, AccountLoop, CloseTheLoopView, EmailDraft, LoopSummary, MatchRow, MergeFields, RequestCard, Segment,
    ThemeRow,
};
use app::model::{ListQuery, Money, Page, WorkspaceInfo};
use chrono::{DateTime, Utc};
use matcher::{Analyzer, Corpus};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Requests per page of the Close the Loop list.
pub const CARDS_PER_PAGE: u32 = 20;

#[derive(Debug, Default, Clone, Copy)]
pub struct RefreshStats {
    pub requests: usize,
    pub items: usize,
    pub proposals: usize,
    pub themes: usize,
    /// Reading, matching and writing.
    pub read: Duration,
    pub matched: Duration,
    pub written: Duration,
}

/// An embeddings endpoint and the client to reach it.
pub type Semantic<'a> = (&'a reqwest::Client, &'a embeddings::EmbeddingsConfig);

/// Brings the workspace's Close the Loop up to date with text relevance alone.
pub async fn refresh(store: &Store, ws: i64) -> Result<RefreshStats> {
    refresh_with(store, ws, None).await
}

/// Brings the workspace's Close the Loop up to date: requests from signals, items from releases,
/// then themes and proposals (decided pairs untouched), blending in embedding similarity when an
/// endpoint is given.
pub async fn refresh_with(store: &Store, ws: i64, semantic: Option<Semantic<'_>>) -> Result<RefreshStats> {
    let started = Instant::now();
    store.import_signal_requests(ws).await?;
    store.refresh_release_items(ws, cl::split_release).await?;
    let corpus = store.loop_corpus(ws).await?;
    let items = corpus.items.len();
    let vectors = match semantic {
        Some(semantic) => match vectors(store, ws, &corpus, semantic).await {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(workspace = ws, error = %e, "Close the Loop matches on words alone this time");
                None
            }
        },
        None => None,
    };
    let read = started.elapsed();
    let started = Instant::now();
    let (proposals, themes) = tokio::task::spawn_blocking(move || match_corpus(&corpus, vectors.as_ref()))
        .await
        .map_err(|e| StoreError::Invalid(format!("matching stopped: {e}")))?;
    let matched = started.elapsed();
    let started = Instant::now();
    let theme_count = themes.iter().map(|(_, t)| *t).collect::<HashSet<_>>().len();
    store.write_proposals(ws, &proposals, &themes).await?;
    Ok(RefreshStats {
        requests: themes.len(),
        items,
        proposals: proposals.len(),
        themes: theme_count,
        read,
        matched,
        written: started.elapsed(),
    })
}

/// The vectors of every request and item text, fetching the ones not stored yet.
async fn vectors(
    store: &Store,
    ws: i64,
    corpus: &crate::store::close_loop::LoopCorpus,
    (http, config): Semantic<'_>,
) -> std::result::Result<embeddings::Vectors, String> {
    let texts: HashMap<String, &str> = corpus
        .requests
        .iter()
        .map(|r| r.quote.as_str())
        .chain(corpus.items.iter().map(|i| i.text.as_str()))
        .map(|t| (embeddings::digest(t), t))
        .collect();
    let digests: Vec<String> = texts.keys().cloned().collect();
    let mut known = store
        .embeddings(ws, &config.model, &digests)
        .await
        .map_err(|e| e.to_string())?;
    let missing: Vec<(&String, &str)> = texts
        .iter()
        .filter(|(d, _)| !known.contains_key(*d))
        .map(|(d, t)| (d, *t))
        .collect();
    if !missing.is_empty() {
        let fresh = embeddings::embed(http, config, &missing.iter().map(|(_, t)| *t).collect::<Vec<_>>()).await?;
        let rows: Vec<(String, Vec<f32>)> = missing.iter().map(|(d, _)| (*d).clone()).zip(fresh).collect();
        store
            .save_embeddings(ws, &config.model, &rows)
            .await
            .map_err(|e| e.to_string())?;
        known.extend(rows);
    }
    Ok(known)
}

/// How much meaning counts beside words: blended score = BM25 + `SEMANTIC_WEIGHT` × cosine.
pub const SEMANTIC_WEIGHT: f64 = 5.0;
/// An item sharing words with the request but not enough of them is still proposed when the
/// embeddings say the two mean the same thing this closely.
pub const SEMANTIC_MIN: f64 = 0.8;

/// The pure part of [`refresh`]: proposals for every request (items shipped on or after the day
/// it was asked, pairs not yet decided) and each request's theme, as (request, theme request).
/// With `vectors`, embedding similarity re-ranks the items that share a word with the request and
/// admits those whose meaning is close although their words alone fall short.
pub fn match_corpus(
    corpus: &crate::store::close_loop::LoopCorpus,
    vectors: Option<&embeddings::Vectors>,
) -> (Vec<Proposal>, Vec<(i64, i64)>) {
    let analyzer = Analyzer::default();
    let texts: Vec<&str> = corpus.items.iter().map(|i| i.text.as_str()).collect();
    let index = Corpus::new(&analyzer, &texts);
    let item_vectors: Vec<Option<&Vec<f32>>> = corpus
        .items
        .iter()
        .map(|i| vectors.and_then(|v| v.get(&embeddings::digest(&i.text))))
        .collect();
    let mut proposals = Vec::new();
    let mut request_terms = Vec::with_capacity(corpus.requests.len());
    for r in &corpus.requests {
        let terms = analyzer.terms(&r.quote);
        let allowed = |i: usize| {
            let item = &corpus.items[i];
            item.published_on >= r.requested_on && !corpus.decided.contains(&(r.id, item.id))
        };
        let request_vector = vectors.and_then(|v| v.get(&embeddings::digest(&r.quote)));
        let mut chosen: Vec<(f64, Option<f64>, matcher::Candidate)> = index
            .scored(&terms, allowed)
            .into_iter()
            .filter_map(|s| {
                let similarity = request_vector
                    .zip(item_vectors[s.candidate.item])
                    .map(|(a, b)| embeddings::cosine(a, b));
                let keep = s.relevant || similarity.is_some_and(|c| c >= SEMANTIC_MIN);
                keep.then(|| {
                    let score = s.candidate.score + similarity.map_or(0.0, |c| SEMANTIC_WEIGHT * c.max(0.0));
                    (score, similarity, s.candidate)
                })
            })
            .collect();
        chosen.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.item.cmp(&b.2.item)));
        chosen.truncate(matcher::PROPOSALS_PER_REQUEST);
        for (score, similarity, c) in chosen {
            proposals.push(Proposal {
                request_id: r.id,
                item_id: corpus.items[c.item].id,
                score: (score * 100.0).round() / 100.0,
                terms: c.terms,
                similarity: similarity.map(|s| (s * 1000.0).round() / 1000.0),
            });
        }
        request_terms.push(terms);
    }
    let themes = matcher::themes(&request_terms)
        .into_iter()
        .enumerate()
        .map(|(i, t)| (corpus.requests[i].id, corpus.requests[t].id))
        .collect();
    (proposals, themes)
}

fn segments(parts: Vec<(String, bool)>) -> Vec<Segment> {
    parts.into_iter().map(|(text, hit)| Segment { text, hit }).collect()
}

/// Stored cards with the shared words marked on both sides.
pub fn cards(raw: Vec<RawCard>) -> Vec<RequestCard> {
    let analyzer = Analyzer::default();
    raw.into_iter()
        .map(|c| {
            let quote_tokens = analyzer.tokens(&c.quote);
            let matches = c
                .matches
                .into_iter()
                .map(|m| {
                    let terms: HashSet<String> = m.terms.iter().cloned().collect();
                    let words: Vec<String> = quote_tokens
                        .iter()
                        .filter(|t| terms.contains(&t.term))
                        .map(|t| c.quote[t.start..t.end].to_string())
                        .fold(Vec::new(), |mut v, w| {
                            if !v.iter().any(|x: &String| x.eq_ignore_ascii_case(&w)) {
                                v.push(w);
                            }
                            v
                        });
                    MatchRow {
                        request_id: c.id,
                        item_id: m.item_id,
                        release_title: m.release_title,
                        release_url: m.release_url,
                        shipped_on: m.shipped_on,
                        item: segments(analyzer.highlight(&m.item, &terms)),
                        quote: segments(analyzer.highlight(&c.quote, &terms)),
                        score: m.score,
                        similarity: m.similarity,
                        words,
                        status: m.status,
                        decided_by: m.decided_by,
                        email: m.email,
                    }
                })
                .collect();
            RequestCard {
                id: c.id,
                account_id: c.account_id,
                account_name: c.account_name,
                project: c.project,
                quote: c.quote,
                requester: c.requester,
                requested_on: c.requested_on,
                source_link: c.source_link,
                theme_size: c.theme_size,
                matches,
            }
        })
        .collect()
}

pub async fn view(store: &Store, ws: &WorkspaceInfo, query: &ListQuery) -> Result<CloseTheLoopView> {
    let filter = card_filter(query, CARDS_PER_PAGE)?;
    let (raw, total) = store.request_cards(ws.id, &filter).await?;
    let accounts: Vec<i64> = raw
        .iter()
        .map(|c| c.account_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let account_counts = store.request_counts(ws.id, &accounts).await?;
    let [requests, accounts_asking, shipped_requests, accounts_shipped, proposed, unsent, sent] =
        store.loop_counts(ws.id).await?;
    // Themes and releases are read only by the views that show them.
    let themes = if query.view == "themes" {
        themes(store, ws).await?
    } else {
        Vec::new()
    };
    let releases = if query.view == "releases" {
        store.releases_with_items(ws.id, 30).await?
    } else {
        Vec::new()
    };
    let (outbox, outbox_total) = if query.view == "sent" {
        store.outbox_page(ws.id, None, query.page(), 50).await?
    } else {
        (Vec::new(), 0)
    };
    Ok(CloseTheLoopView {
        summary: LoopSummary {
            requests,
            accounts_asking,
            shipped_requests,
            accounts_shipped,
            proposed,
            unsent,
            sent,
        },
        requests: Page {
            rows: cards(raw),
            total,
            page: query.page(),
            per_page: CARDS_PER_PAGE,
        },
        account_counts,
        themes,
        projects: store.request_projects(ws.id).await?,
        releases,
        outbox: Page {
            rows: outbox,
            total: outbox_total,
            page: query.page(),
            per_page: 50,
        },
        email_ready: store.email_settings(ws.id).await?.is_some(),
    })
}

/// The demo's history: a CSM has already confirmed the best proposal of every third request, so
/// the sample shows shipped requests beside the ones still to review.
pub async fn confirm_demo_matches(store: &Store, ws: i64, now: DateTime<Utc>) -> Result<usize> {
    let filter = crate::store::close_loop::CardFilter {
        state: Some("proposed".into()),
        page: 1,
        per_page: 10_000,
        ..Default::default()
    };
    let (cards, _) = store.request_cards(ws, &filter).await?;
    let mut confirmed = 0;
    for card in cards.iter().step_by(3) {
        if let Some(best) = card.matches.first() {
            store
                .decide_match(
                    ws,
                    card.id,
                    best.item_id,
                    app::close_loop::MatchStatus::Confirmed,
                    "Monica Hall",
                    now,
                )
                .await?;
            confirmed += 1;
        }
    }
    Ok(confirmed)
}

/// Themes by ARR asking, largest first.
async fn themes(store: &Store, ws: &WorkspaceInfo) -> Result<Vec<ThemeRow>> {
    struct Acc {
        label: String,
        project: String,
        requests: u64,
        accounts: HashMap<i64, i64>,
        shipped: bool,
    }
    let mut by_theme: HashMap<i64, Acc> = HashMap::new();
    for m in store.theme_members(ws.id).await? {
        let t = by_theme.entry(m.theme_id).or_insert_with(|| Acc {
            label: m.label.clone(),
            project: m.project.clone(),
            requests: 0,
            accounts: HashMap::new(),
            shipped: false,
        });
        t.requests += 1;
        t.accounts.insert(m.account_id, m.arr_minor);
        t.shipped |= m.shipped;
    }
    let mut rows: Vec<ThemeRow> = by_theme
        .into_iter()
        .map(|(id, t)| ThemeRow {
            id,
            label: t.label,
            project: t.project,
            requests: t.requests,
            accounts: t.accounts.len() as u64,
            arr: Money::new(t.accounts.values().sum(), ws.currency.clone()),
            shipped: t.shipped,
        })
        .collect();
    rows.sort_by(|a, b| b.arr.minor.cmp(&a.arr.minor).then(a.id.cmp(&b.id)));
    rows.truncate(100);
    Ok(rows)
}

pub async fn account_loop(store: &Store, ws: i64, account: i64) -> Result<AccountLoop> {
    store.account_in_workspace(ws, account).await?;
    let filter = crate::store::close_loop::CardFilter {
        account_id: Some(account),
        page: 1,
        per_page: 200,
        ..Default::default()
    };
    let (raw, _) = store.request_cards(ws, &filter).await?;
    let (sent, _) = store.outbox_page(ws, Some(account), 1, 50).await?;
    Ok(AccountLoop {
        requests: cards(raw),
        sent,
        email_ready: store.email_settings(ws).await?.is_some(),
    })
}

/// The draft for a confirmed pair, addressed to `contact` (default: who asked, else the
/// account's champion or first contact).
pub async fn draft(
    store: &Store,
    ws: i64,
    request_id: i64,
    item_id: i64,
    contact: Option<i64>,
    csm_name: &str,
    settings: Option<&crate::store::close_loop::StoredEmailSettings>,
) -> Result<(EmailDraft, RawCard)> {
    let (raw, _) = store
        .request_cards(
            ws,
            &crate::store::close_loop::CardFilter {
                page: 1,
                per_page: 1,
                ..Default::default()
            }
            .for_request(request_id),
        )
        .await?;
    let card = raw.into_iter().next().ok_or(StoreError::NotFound("That request"))?;
    let m = card
        .matches
        .iter()
        .find(|m| m.item_id == item_id)
        .ok_or(StoreError::NotFound("That match"))?;
    let contacts = store.account_requesters(ws, card.account_id).await?;
    let recipient = match contact {
        Some(id) => Some(
            contacts
                .iter()
                .find(|c| c.contact_id == id)
                .cloned()
                .ok_or_else(|| StoreError::Invalid("That contact does not belong to the account.".into()))?,
        ),
        None => card.requester.clone().or_else(|| contacts.first().cloned()),
    };
    let blocked = if settings.is_none() {
        Some("Set up email in Settings → Email first.".to_string())
    } else if m.status != app::close_loop::MatchStatus::Confirmed {
        Some("Confirm the match before emailing about it.".to_string())
    } else {
        match &recipient {
            None => Some(format!("{} has no contact to email.", card.account_name)),
            Some(r) if r.opted_out => Some(format!("{} opted out of email.", r.name)),
            Some(r) if !cl::valid_email(&r.email) => Some(format!("{}'s address {:?} is not valid.", r.name, r.email)),
            _ => None,
        }
    };
    let (subject_template, body_template, signature) = match settings {
        Some(s) => (s.subject_template.clone(), s.body_template.clone(), s.signature.clone()),
        None => (cl::DEFAULT_SUBJECT.into(), cl::DEFAULT_BODY.into(), String::new()),
    };
    let fields = MergeFields {
        first_name: recipient
            .as_ref()
            .map(|r| r.name.split_whitespace().next().unwrap_or_default().to_string())
            .unwrap_or_default(),
        contact_name: recipient.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        account: card.account_name.clone(),
        quote: card.quote.clone(),
        requested_on: Some(card.requested_on),
        release_title: m.release_title.clone(),
        release_link: m.release_url.clone().unwrap_or_default(),
        item: m.item.clone(),
        shipped_on: Some(m.shipped_on),
        csm_name: csm_name.to_string(),
        signature,
    };
    let draft = EmailDraft {
        request_id,
        item_id,
        to_name: recipient.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        to_address: recipient.as_ref().map(|r| r.email.clone()).unwrap_or_default(),
        subject_template,
        body_template,
        fields,
        blocked,
        previous: m.email.clone(),
        contacts,
    };
    Ok((draft, card))
}

/// The idempotency key of the email about one (account, request, release item).
pub fn shipped_key(account: i64, request: i64, item: i64) -> String {
    format!("shipped:{account}:{request}:{item}")
}

/// A Message-ID derived from the key: the same email always carries the same id, so a person
/// checking a mailbox can tell whether it arrived.
pub fn message_id(ws: i64, key: &str, from_address: &str) -> String {
    let digest = hex::encode(&Sha256::digest(format!("{ws}:{key}").as_bytes())[..12]);
    let domain = from_address.rsplit_once('@').map_or("success.local", |(_, d)| d);
    format!("<{digest}@{domain}>")
}

/// Queues the email about a confirmed pair, rendered from `subject`/`body` templates (the CSM's
/// edits). Queueing it again returns the same outbox row.
#[allow(clippy::too_many_arguments)]
pub async fn queue_shipped_email(
    store: &Store,
    ws: i64,
    request_id: i64,
    item_id: i64,
    contact: Option<i64>,
    subject: Option<&str>,
    body: Option<&str>,
    csm_name: &str,
    now: DateTime<Utc>,
) -> std::result::Result<(i64, bool, i64), app::api::AppError> {
    use app::api::AppError;
    let settings = store.email_settings(ws).await?;
    let (draft, card) = draft(store, ws, request_id, item_id, contact, csm_name, settings.as_ref()).await?;
    let key = shipped_key(card.account_id, request_id, item_id);
    if let Some(previous) = &draft.previous {
        // Already queued or sent: the same row, never a second email.
        return Ok((previous.id, false, card.account_id));
    }
    if let Some(reason) = draft.blocked {
        return Err(AppError::Invalid(reason));
    }
    let (subject, text) = cl::check_email(
        subject.unwrap_or(&draft.subject_template),
        body.unwrap_or(&draft.body_template),
        &draft.fields,
    )?;
    let settings = settings.ok_or_else(|| AppError::Invalid("Set up email in Settings → Email first.".into()))?;
    let html = cl::text_to_html(&text);
    let (id, created) = store
        .enqueue_email(
            ws,
            &NewEmail {
                key: &key,
                account_id: card.account_id,
                request_id: Some(request_id),
                item_id: Some(item_id),
                contact_id: contact.or(card.requester.as_ref().map(|r| r.contact_id)),
                to_address: &draft.to_address,
                to_name: &draft.to_name,
                subject: &subject,
                text_body: &text,
                html_body: &html,
                message_id: &message_id(ws, &key, &settings.from_address),
                queued_by: csm_name,
            },
            now,
        )
        .await?;
    Ok((id, created, card.account_id))
}

/// Queues every confirmed pair with no email yet whose contact can receive one; returns
/// (queued, skipped with reasons).
pub async fn queue_all_confirmed(
    store: &Store,
    ws: i64,
    csm_name: &str,
    now: DateTime<Utc>,
) -> std::result::Result<(Vec<i64>, Vec<String>), app::api::AppError> {
    let mut page = 1;
    let mut queued = Vec::new();
    let mut skipped = Vec::new();
    loop {
        let filter = crate::store::close_loop::CardFilter {
            state: Some("shipped".into()),
            page,
            per_page: 200,
            ..Default::default()
        };
        let (raw, total) = store.request_cards(ws, &filter).await?;
        for card in &raw {
            for m in card
                .matches
                .iter()
                .filter(|m| m.status == app::close_loop::MatchStatus::Confirmed)
            {
                if m.email.is_some() {
                    continue;
                }
                match queue_shipped_email(store, ws, card.id, m.item_id, None, None, None, csm_name, now).await {
                    Ok((_, true, account)) => queued.push(account),
                    Ok(_) => {}
                    Err(e) => skipped.push(format!("{}: {e}", card.account_name)),
                }
            }
        }
        if (page as u64) * 200 >= total {
            break;
        }
        page += 1;
    }
    Ok((queued, skipped))
}
