//! Components shared by the pages: navigation, the workspace banner, list controls, chips.

use crate::access::Viewer;
use crate::api::{current_viewer, current_workspace, AppError, SignOut};
use crate::model::*;
use crate::url::{list_href, list_query_from};
use chrono::NaiveDate;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::components::{Form, Outlet, Redirect, A};
use leptos_router::hooks::{use_location, use_query_map};
use thaw::*;

pub const NAV: &[(&str, &str)] = &[
    ("/health", "Health"),
    ("/convert", "Convert"),
    ("/contracts", "Contracts"),
    ("/pipeline", "Pipeline"),
    ("/re-engage", "Re-engage"),
    ("/close-the-loop", "Close the Loop"),
    ("/settings", "Settings"),
];

/// Who is looking, loaded once per shell and shared with the pages: controls a person may not
/// use render disabled (the server refuses them anyway).
#[derive(Clone, Copy)]
pub struct ViewerContext(pub Resource<Result<Viewer, AppError>>);

pub fn use_viewer() -> ViewerContext {
    use_context::<ViewerContext>().unwrap_or_else(|| ViewerContext(Resource::new(|| (), |_| current_viewer())))
}

impl ViewerContext {
    /// Whether the viewer may route, move deals and send emails.
    pub async fn can_operate(self) -> bool {
        matches!(self.0.await, Ok(v) if v.can_operate())
    }
}

/// The frame of every Success page: navigation, the workspace banner and the page.
#[component]
pub fn AppShell() -> impl IntoView {
    let viewer_resource = Resource::new(|| (), |_| current_viewer());
    provide_context(ViewerContext(viewer_resource));
    crate::live::Live::provide();
    provide_context(RecentRoutes(RwSignal::new(Default::default())));
    view! {
        <div class="shell">
            <SideNav />
            <main class="content">
                <WorkspaceBanner />
                <Outlet />
            </main>
        </div>
        // The server's page gate handles full page loads; this covers navigation inside the app
        // after a session ended or access was revoked.
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match viewer_resource.await {
                    Ok(v) if v.demo => None,
                    Ok(Viewer { session: None, .. }) | Err(AppError::Unauthorized) => {
                        Some(view! { <Redirect path="/sign-in" /> }.into_any())
                    }
                    Ok(Viewer { session: Some(s), .. }) if !s.has_success => {
                        Some(view! { <Redirect path="/success-unlock" /> }.into_any())
                    }
                    _ => None,
                }
            })}
        </Transition>
    }
}

#[component]
pub fn SideNav() -> impl IntoView {
    let location = use_location();
    let selected = Signal::derive(move || {
        let path = location.pathname.get();
        let section = if path.starts_with("/accounts/") {
            "/health".to_string()
        } else if path.starts_with("/settings") {
            "/settings".to_string()
        } else {
            path
        };
        Some(section)
    });
    let (_, ignore_clicks) = signal(None::<String>);
    let who = use_viewer();
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <nav class="side-nav" aria-label="Success sections">
            <A href="/health" attr:class="brand">
                <span class="brand-mark">"S"</span>
                <span class="brand-name">"Success"</span>
            </A>
            <NavDrawer selected_value=(selected, ignore_clicks)>
                {NAV
                    .iter()
                    .map(|(href, label)| {
                        view! {
                            <NavItem value=*href href=*href>
                                {*label}
                                {(*href == "/settings").then(|| view! { <AccessBadge /> })}
                            </NavItem>
                        }
                    })
                    .collect_view()}
            </NavDrawer>
            <LiveIndicator />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    who.0.await.ok().and_then(|v| v.session).map(|s| view! {
                        <div class="nav-user" data-testid="nav-user">
                            <div class="nav-user-name">{s.name.clone()}</div>
                            <div class="nav-user-role">{format!("{} · {}", s.role.label(), s.workspace_name)}</div>
                            <ActionForm action=sign_out>
                                <button type="submit" class="link-button">"Sign out"</button>
                            </ActionForm>
                        </div>
                    })
                })}
            </Transition>
        </nav>
    }
}

/// Whether the page is hearing the server's live updates: live, reconnecting, or stale (with
/// since when, once the stream has been gone a minute).
#[component]
pub fn LiveIndicator() -> impl IntoView {
    use crate::live::{Connection, STALE_AFTER_MS};
    let live = crate::live::use_live();
    let now = RwSignal::new(0f64);
    #[cfg(feature = "hydrate")]
    {
        now.set(js_sys::Date::now());
        let handle = set_interval_with_handle(move || now.set(js_sys::Date::now()), std::time::Duration::from_secs(5));
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    }
    let state = move || match live.connection.get() {
        Connection::Connecting => ("connecting", "Connecting…".to_string()),
        Connection::Live => ("live", "Live".to_string()),
        Connection::Lost { since_ms } if now.get() - since_ms >= STALE_AFTER_MS => {
            ("stale", format!("Stale since {}", clock_time(since_ms)))
        }
        Connection::Lost { .. } => ("reconnecting", "Reconnecting…".to_string()),
        Connection::SignedOut => ("signed-out", "Signed out".to_string()),
    };
    let signed_out = move || live.connection.get() == Connection::SignedOut;
    view! {
        <div class=move || format!("live-indicator live-{}", state().0) data-testid="live-indicator"
             data-state=move || state().0 role="status" title="Live updates from the server">
            <span class="live-dot"></span>
            <span>{move || state().1}</span>
        </div>
        {move || signed_out().then(|| view! {
            <div class="signed-out-banner" role="alert" data-testid="signed-out">
                "You were signed out: your access changed or your sessions were ended. "
                <a href="/sign-in">"Sign in again"</a>
            </div>
        })}
    }
}

/// A moment (milliseconds since the epoch) as the viewer's local time of day.
fn clock_time(ms: f64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::DateTime::from_timestamp_millis(ms as i64)
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default()
    }
}

/// Pending access requests, on the Settings entry, for admins.
#[component]
fn AccessBadge() -> impl IntoView {
    let requests = crate::live::use_live().counting(|e| matches!(e, crate::live::LiveEvent::AccessRequested));
    let who = Resource::new(move || requests.get(), |_| current_viewer());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let pending = who.await.ok().filter(|v| v.can_manage()).and_then(|v| v.session).map(|s| s.pending_requests).unwrap_or(0);
                (pending > 0).then(|| view! {
                    <span class="nav-badge" data-testid="access-badge" title="Pending access requests">{pending}</span>
                })
            })}
        </Transition>
    }
}

/// Says whose data is on screen; demo data is always badged and offers the way back.
#[component]
pub fn WorkspaceBanner() -> impl IntoView {
    let workspace = Resource::new(|| (), |_| current_workspace());
    let who = use_viewer();
    let location = use_location();
    let here = move || location.pathname.get();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_in = matches!(who.0.await, Ok(Viewer { session: Some(_), .. }));
                match workspace.await {
                    Ok(ws) if ws.is_demo => Either::Left(view! {
                        <div class="banner banner-demo" data-testid="demo-banner">
                            <Badge color=BadgeColor::Warning appearance=BadgeAppearance::Filled>"Demo data"</Badge>
                            <span>"You are previewing the Pied Piper sample dataset, read-only. Nothing here is real customer data."</span>
                            {if signed_in {
                                view! {
                                    <a rel="external" href=format!("/demo/exit?next={}", crate::url::encode_component(&here()))>
                                        "Back to my workspace"
                                    </a>
                                }.into_any()
                            } else {
                                view! { <a rel="external" href="/demo/exit?next=/sign-in">"Sign in"</a> }.into_any()
                            }}
                        </div>
                    }.into_any()),
                    // An empty workspace: what to do first. One holding data (the sample set, an
                    // import) needs no nudge towards the demo.
                    Ok(ws) if ws.connected_integrations == 0 && !ws.holds_accounts => Either::Left(view! {
                        <div class="banner">
                            <span>{format!("{} has no connected integrations yet.", ws.name)}</span>
                            <a rel="external" href=format!("/demo/enter?next={}", crate::url::encode_component(&here()))>
                                "Preview with demo data"
                            </a>
                            <A href="/settings">"Connect integrations"</A>
                        </div>
                    }.into_any()),
                    Ok(_) => Either::Right(()),
                    Err(err) => Either::Left(view! { <ErrorNote error=err /> }.into_any()),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn PageHeader(title: &'static str, subtitle: &'static str) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title />
        <header class="page-header">
            <h1>{title}</h1>
            <p class="subtitle">{subtitle}</p>
        </header>
    }
}

/// The list query of the current URL.
pub fn use_list_query() -> Memo<ListQuery> {
    let params = use_query_map();
    Memo::new(move |_| params.with(|p| list_query_from(|key| p.get(key))))
}

/// A search box that writes `q` into the URL (and resets paging).
#[component]
pub fn SearchBar(path: &'static str, placeholder: &'static str, query: Memo<ListQuery>) -> impl IntoView {
    view! {
        <Form method="GET" action=path attr:class="search-bar">
            <input
                type="search"
                name="q"
                class="search-input"
                placeholder=placeholder
                maxlength=MAX_SEARCH_LEN.to_string()
                prop:value=move || query.get().q
                aria-label=placeholder
            />
            // The other filters survive a new search.
            <input type="hidden" name="sort" prop:value=move || query.get().sort />
            <input type="hidden" name="filter" prop:value=move || query.get().filter />
            <input type="hidden" name="band" prop:value=move || query.get().band />
            <input type="hidden" name="owner" prop:value=move || query.get().owner />
            <input type="hidden" name="renewal" prop:value=move || query.get().renewal />
            <input type="hidden" name="payment" prop:value=move || query.get().payment />
            <input type="hidden" name="untracked" prop:value=move || query.get().untracked />
            <input type="hidden" name="reason" prop:value=move || query.get().reason />
            <input type="hidden" name="source" prop:value=move || query.get().source />
            <input type="hidden" name="view" prop:value=move || query.get().view />
            <input type="hidden" name="project" prop:value=move || query.get().project />
            <button type="submit" class="search-button">"Search"</button>
        </Form>
    }
}

/// One list filter as a select that rewrites the URL when changed; `field` is the query field it
/// sets, `options` its (value, label) pairs.
#[component]
pub fn QuerySelect(
    path: &'static str,
    query: Memo<ListQuery>,
    label: &'static str,
    testid: &'static str,
    field: fn(&mut ListQuery) -> &mut String,
    options: Vec<(String, String)>,
) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    let on_change = move |ev: leptos::ev::Event| {
        let mut q = query.get_untracked();
        *field(&mut q) = event_target_value(&ev);
        q.page = 1;
        navigate(&list_href(path, &q), Default::default());
    };
    view! {
        <select class="inline-select" aria-label=label data-testid=testid on:change=on_change>
            {options.into_iter().map(|(value, text)| {
                let shown = value.clone();
                let selected = move || *field(&mut query.get()) == shown;
                view! { <option value=value selected=selected>{text}</option> }
            }).collect_view()}
        </select>
    }
}

/// Any owner, unassigned, then each owner: the owner filter's choices.
pub fn owner_options(owners: Vec<String>) -> Vec<(String, String)> {
    let mut options = vec![
        ("".to_string(), "Any owner".to_string()),
        ("none".to_string(), "Unassigned".to_string()),
    ];
    options.extend(owners.into_iter().map(|o| (o.clone(), o)));
    options
}

/// Pairs of string literals as owned choices.
pub fn choices(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect()
}

/// Owner, renewal window and payment state, each a select that rewrites the URL when changed.
#[component]
pub fn ListSelects(path: &'static str, query: Memo<ListQuery>, owners: Vec<String>) -> impl IntoView {
    let renewal = choices(&[
        ("", "Any renewal date"),
        ("30", "Renews in 30 days"),
        ("60", "Renews in 60 days"),
        ("90", "Renews in 90 days"),
    ]);
    let payment = choices(&[
        ("", "Any payment state"),
        ("problem", "Past due or failed"),
        ("failed", "Payment failed"),
        ("past_due", "Past due"),
        ("open", "Invoice open"),
        ("paid", "Paid"),
        ("none", "No billing"),
    ]);
    view! {
        <div class="queue-selects">
            <QuerySelect path query label="Owner" testid="filter-owner" field=|q| &mut q.owner options=owner_options(owners) />
            <QuerySelect path query label="Renewal window" testid="filter-renewal" field=|q| &mut q.renewal options=renewal />
            <QuerySelect path query label="Payment state" testid="filter-payment" field=|q| &mut q.payment options=payment />
        </div>
    }
}

/// A likelihood as a coloured percentage.
#[component]
pub fn LikelihoodChip(percent: i32) -> impl IntoView {
    let level = match percent {
        p if p >= 60 => "high",
        p if p >= 30 => "mid",
        _ => "low",
    };
    view! {
        <span class="likelihood-chip" data-level=level data-testid="likelihood" title="Likelihood">{format!("{percent}%")}</span>
    }
}

/// A likelihood's factors: the two largest shown, the rest (and any missing data) behind "Why".
#[component]
pub fn LikelihoodFactors(likelihood: crate::likelihood::Likelihood) -> impl IntoView {
    let top: Vec<_> = likelihood.factors.iter().take(2).cloned().collect();
    let rest: Vec<_> = likelihood.factors.iter().skip(2).cloned().collect();
    let missing = likelihood.missing.clone();
    let factor = |f: crate::likelihood::LikelihoodFactor| {
        let sign = if f.points >= 0 { "up" } else { "down" };
        view! { <li class="lk-factor" data-sign=sign data-testid="likelihood-factor">{f.sentence()}</li> }
    };
    view! {
        <ul class="lk-factors">{top.into_iter().map(factor).collect_view()}</ul>
        {(!rest.is_empty() || !missing.is_empty()).then(|| view! {
            <details class="lk-more">
                <summary>"Why"</summary>
                <ul class="lk-factors">{rest.into_iter().map(factor).collect_view()}</ul>
                {(!missing.is_empty()).then(|| view! {
                    <p class="muted">{format!("No data, counted as average: {}", missing.join(", "))}</p>
                })}
            </details>
        })}
    }
}

/// What a likelihood model rests on: learned (with its hold-out AUC) or prior weights, and why.
#[component]
pub fn ModelNote(model: crate::likelihood::Model) -> impl IntoView {
    let (yes, no) = model.kind.outcomes();
    let text = match &model.fit {
        Some(fit) => format!(
            "Likelihoods learned from {} decided cases ({} {yes}, {} {no}){}; trained {}.",
            fit.examples,
            fit.positives,
            fit.examples - fit.positives,
            fit.auc
                .map(|a| format!(", hold-out AUC {a:.2} on {}", fit.holdout))
                .unwrap_or_default(),
            fmt_instant(&fit.trained_at)
        ),
        None => format!(
            "Likelihoods use transparent prior weights: {} decided cases so far, and learning starts at {} with at least {} {yes} and {} {no}.",
            model.examples_seen,
            crate::likelihood::MIN_EXAMPLES,
            crate::likelihood::MIN_PER_OUTCOME,
            crate::likelihood::MIN_PER_OUTCOME
        ),
    };
    view! {
        <p class="model-note" data-testid="model-note" data-learned=model.is_learned().to_string()>
            {text}" "<A href="/settings/scoring">"How the model weighs things"</A>
        </p>
    }
}

/// Filter chips: each sets `filter` in the URL; the active one is highlighted.
#[component]
pub fn FilterChips(path: &'static str, query: Memo<ListQuery>, options: Vec<(&'static str, String)>) -> impl IntoView {
    view! {
        <div class="filter-chips" role="group" aria-label="Filters">
            {options
                .into_iter()
                .map(|(key, label)| {
                    let href = move || {
                        let mut q = query.get();
                        q.filter = key.to_string();
                        q.page = 1;
                        list_href(path, &q)
                    };
                    let active = move || query.get().filter == key;
                    view! {
                        <A href=href attr:class=move || if active() { "chip chip-active" } else { "chip" }>
                            {label}
                        </A>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// "Show untracked" on the pages that hide untracked accounts by default.
#[component]
pub fn UntrackedToggle(path: &'static str, query: Memo<ListQuery>) -> impl IntoView {
    let href = move || {
        let mut q = query.get();
        q.untracked = if q.shows_untracked() {
            String::new()
        } else {
            "show".into()
        };
        q.page = 1;
        list_href(path, &q)
    };
    view! {
        <A href=href attr:class=move || if query.get().shows_untracked() { "chip chip-active" } else { "chip" }
            attr:data-testid="untracked-toggle">
            {move || if query.get().shows_untracked() { "Hide untracked" } else { "Show untracked" }}
        </A>
    }
}

/// A column header that sorts the list by `key` when clicked.
#[component]
pub fn SortHeader(path: &'static str, query: Memo<ListQuery>, key: &'static str, label: &'static str) -> impl IntoView {
    let href = move || {
        let mut q = query.get();
        q.sort = key.to_string();
        q.page = 1;
        list_href(path, &q)
    };
    let active = move || query.get().sort == key;
    view! {
        // A plain header cell: thaw's wraps its content in a button, and a link inside a button is
        // two controls in one for a screen reader.
        <th class="thaw-table-header-cell" scope="col">
            <A href=href attr:class=move || if active() { "sort-link sort-active" } else { "sort-link" }>
                {label}
                {move || active().then_some(" ▾")}
            </A>
        </th>
    }
}

#[component]
pub fn Pager<T: Clone + Send + Sync + 'static>(
    path: &'static str,
    query: Memo<ListQuery>,
    page: Page<T>,
) -> impl IntoView {
    let pages = page.page_count();
    let current = page.page.min(pages);
    let first = if page.total == 0 {
        0
    } else {
        (current as u64 - 1) * page.per_page as u64 + 1
    };
    let last = (current as u64 * page.per_page as u64).min(page.total);
    let link = move |n: u32| {
        let mut q = query.get_untracked();
        q.page = n;
        list_href(path, &q)
    };
    view! {
        <div class="pager" data-testid="pager">
            <span class="pager-count">{format!("{first}–{last} of {}", page.total)}</span>
            <span class="pager-links">
                {(current > 1).then(|| view! { <A href=link(current - 1) attr:rel="prev">"‹ Previous"</A> })}
                <span class="pager-page">{format!("Page {current} of {pages}")}</span>
                {(current < pages).then(|| view! { <A href=link(current + 1) attr:rel="next">"Next ›"</A> })}
            </span>
        </div>
    }
}

#[component]
pub fn PaymentChip(state: PaymentState) -> impl IntoView {
    let color = match state {
        PaymentState::Failed => BadgeColor::Danger,
        PaymentState::PastDue => BadgeColor::Severe,
        PaymentState::Open => BadgeColor::Warning,
        PaymentState::Paid => BadgeColor::Success,
        PaymentState::None => BadgeColor::Subtle,
    };
    view! { <Badge color appearance=BadgeAppearance::Tint>{state.label()}</Badge> }
}

/// The health score with its band's colour; "—" before the first scoring.
#[component]
pub fn ScoreChip(
    score: Option<i32>,
    band: Option<crate::scoring::Band>,
    /// A CSM's band: it colours the chip and says so, the computed score stays visible.
    #[prop(default = None)]
    override_band: Option<crate::scoring::Band>,
) -> impl IntoView {
    use crate::scoring::Band;
    let shown = override_band.or(band);
    let color = match shown {
        Some(Band::Red) => BadgeColor::Danger,
        Some(Band::Amber) => BadgeColor::Warning,
        Some(Band::Green) => BadgeColor::Success,
        None => BadgeColor::Subtle,
    };
    let title = match (override_band, band) {
        (Some(o), Some(b)) => format!("{} (set by a CSM; the score says {})", o.label(), b.label()),
        (Some(o), None) => format!("{} (set by a CSM)", o.label()),
        (None, Some(b)) => b.label().to_string(),
        (None, None) => "Not scored yet".to_string(),
    };
    view! {
        <span class="score-chip" class:score-chip-override=override_band.is_some() title=title
            data-band=shown.map(|b| b.as_str()).unwrap_or("none")>
            <Badge color appearance=BadgeAppearance::Filled>{score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</Badge>
            <span class="score-band">{shown.map(|b| b.label()).unwrap_or("")}</span>
            {override_band.is_some().then(|| view! { <span class="override-mark" aria-label="set by hand">"✎ CSM"</span> })}
        </span>
    }
}

/// One risk factor: signed points, what it is, where it comes from, and the evidence (linked).
#[component]
pub fn FactorLine(factor: crate::scoring::Factor, #[prop(optional)] compact: bool) -> impl IntoView {
    let class = if factor.points < 0 {
        "factor factor-neg"
    } else {
        "factor factor-pos"
    };
    let points = crate::scoring::signed(factor.points);
    let evidence = factor.evidence.clone();
    view! {
        <div class=class data-testid="factor">
            <span class="factor-points">{points}</span>
            <span class="factor-label">{factor.label.clone()}</span>
            <span class="factor-source">{format!("({})", factor.source)}</span>
            {(!compact).then(|| match factor.link.clone() {
                Some(link) if link.starts_with("http") => view! {
                    <a class="factor-evidence" href=link target="_blank" rel="noopener">{evidence.clone()}</a>
                }.into_any(),
                Some(link) => view! { <a class="factor-evidence" href=link>{evidence.clone()}</a> }.into_any(),
                None => view! { <span class="factor-evidence">{evidence.clone()}</span> }.into_any(),
            })}
        </div>
    }
}

/// A small line of daily scores (0–100), with the bands' cut-offs drawn faintly.
#[component]
pub fn ScoreTrend(points: Vec<(NaiveDate, i32)>) -> impl IntoView {
    let (w, h) = (320.0, 80.0);
    let n = points.len();
    let first = points.first().map(|p| p.0);
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) => ((b.0 - a.0).num_days()).max(1) as f64,
        _ => 1.0,
    };
    let line = points
        .iter()
        .map(|(d, s)| {
            let x = first.map(|f| (*d - f).num_days() as f64 / span * w).unwrap_or(0.0);
            let y = h - (*s as f64 / 100.0) * h;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let label = match (points.first(), points.last()) {
        (Some(a), Some(b)) => format!("Score {} on {} → {} today", a.1, fmt_date(Some(a.0)), b.1),
        _ => "No history yet".into(),
    };
    view! {
        <figure class="score-trend" data-testid="score-trend" data-points=n.to_string()>
            <svg viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none" role="img" aria-label=label.clone()>
                <line x1="0" x2=w.to_string() y1=(h * 0.35).to_string() y2=(h * 0.35).to_string() class="trend-cut" />
                <line x1="0" x2=w.to_string() y1=(h * 0.6).to_string() y2=(h * 0.6).to_string() class="trend-cut" />
                <polyline points=line class="trend-line" />
            </svg>
            <figcaption class="muted">{label}</figcaption>
        </figure>
    }
}

#[component]
pub fn LifecycleChip(lifecycle: Lifecycle) -> impl IntoView {
    let color = match lifecycle {
        Lifecycle::Customer => BadgeColor::Brand,
        Lifecycle::Trial => BadgeColor::Informative,
        Lifecycle::Prospect => BadgeColor::Subtle,
        Lifecycle::Churned => BadgeColor::Danger,
    };
    view! { <Badge color appearance=BadgeAppearance::Outline>{lifecycle.label()}</Badge> }
}

#[component]
pub fn Metric(
    label: &'static str,
    value: String,
    #[prop(optional)] hint: Option<String>,
    /// Where a click leads: the list this figure counts.
    #[prop(optional)]
    href: Option<String>,
) -> impl IntoView {
    let body = view! {
        <div class="metric-label">{label}</div>
        <div class="metric-value">{value}</div>
        {hint.map(|h| view! { <div class="metric-hint">{h}</div> })}
    };
    match href {
        Some(href) => view! { <A href=href attr:class="metric metric-link">{body}</A> }.into_any(),
        None => view! { <div class="metric">{body}</div> }.into_any(),
    }
}

#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    view! {
        <div class="error-note" role="alert">
            <strong>"Could not load this. "</strong>
            {error.to_string()}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <div class="loading" aria-busy="true">
            <Spinner label="Loading…" />
        </div>
    }
}

#[component]
pub fn Empty(message: &'static str) -> impl IntoView {
    view! { <div class="empty">{message}</div> }
}

/// Renders a loaded value, or the error in plain words.
pub fn loaded<T, V: IntoView + 'static>(result: Result<T, AppError>, view: impl FnOnce(T) -> V) -> impl IntoView {
    match result {
        Ok(value) => Either::Left(view(value)),
        Err(error) => Either::Right(view! { <ErrorNote error /> }),
    }
}

pub fn fmt_date(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|| "—".into())
}

/// "2026-11-26T17:44:02Z" → "26 Nov 2026, 17:44 UTC".
pub fn fmt_instant(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.format("%-d %b %Y, %H:%M UTC").to_string())
        .unwrap_or_else(|_| text.to_string())
}

pub fn fmt_days(days: Option<i64>) -> String {
    match days {
        None => "—".into(),
        Some(0) => "today".into(),
        Some(1) => "tomorrow".into(),
        Some(d) if d < 0 => format!("{} days ago", -d),
        Some(d) => format!("in {d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_naturally() {
        assert_eq!(fmt_days(Some(0)), "today");
        assert_eq!(fmt_days(Some(12)), "in 12 days");
        assert_eq!(fmt_days(Some(-3)), "3 days ago");
        assert_eq!(fmt_date(NaiveDate::from_ymd_opt(2026, 11, 3)), "3 Nov 2026");
        assert_eq!(fmt_instant("2026-11-26T17:44:02Z"), "26 Nov 2026, 17:44 UTC");
    }
}

/// The outcome of the routes made in this browser, by account. Kept in the shell rather than in
/// each menu, so a row re-rendered by a live update still shows where its account went.
#[derive(Clone, Copy)]
pub struct RecentRoutes(pub RwSignal<std::collections::HashMap<i64, Result<RouteRow, AppError>>>);

/// "Route to…": sends the account to another workflow page (disabled for viewers and the demo).
#[component]
pub fn RouteMenu(account_id: i64, from: RoutePage, can: bool) -> impl IntoView {
    let recent = use_context::<RecentRoutes>()
        .unwrap_or_else(|| RecentRoutes(RwSignal::new(Default::default())))
        .0;
    let choice = RwSignal::new(String::new());
    let title = if can {
        "Send this account to another page"
    } else {
        "Viewers and the demo preview cannot route accounts"
    };
    view! {
        <span class="route-menu">
            <select class="inline-select" data-testid="route-to" aria-label="Route to" title=title disabled=!can
                prop:value=move || choice.get()
                on:change=move |ev| {
                    let to = event_target_value(&ev);
                    if let Some(to_page) = RoutePage::parse(&to) {
                        // Not tied to this row: a live update may re-render it while the call runs.
                        leptos::task::spawn_local(async move {
                            let result = crate::api::route_account(account_id, from, to_page, String::new()).await;
                            recent.update(|m| {
                                m.insert(account_id, result);
                            });
                        });
                    }
                    choice.set(String::new());
                }>
                <option value="" selected=true>"Route to…"</option>
                {RoutePage::ALL.iter().filter(|p| **p != from).map(|p| view! {
                    <option value=p.as_str()>{p.label()}</option>
                }).collect_view()}
            </select>
            {move || recent.with(|m| m.get(&account_id).cloned()).map(|r| match r {
                Ok(row) => view! {
                    <A href=row.to_page.path() attr:class="route-done" attr:data-testid="routed-link">{format!("→ {}", row.to_page.label())}</A>
                }.into_any(),
                Err(e) => view! { <span class="field-error">{e.to_string()}</span> }.into_any(),
            })}
        </span>
    }
}

/// The accounts routed to this page, on top, each with a "Routed from …" badge until dismissed.
#[component]
pub fn RoutedPanel(page: RoutePage) -> impl IntoView {
    let dismiss = ServerAction::<crate::api::DismissRoute>::new();
    let live = crate::live::use_live().any();
    let routes = Resource::new(
        move || (dismiss.version().get(), live.get()),
        move |_| crate::api::routed_to(page),
    );
    let who = use_viewer();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                let rows = routes.await.unwrap_or_default();
                (!rows.is_empty()).then(|| view! {
                    <section class="panel routed-panel" data-testid="routed-panel">
                        <h2>{format!("Routed here ({})", rows.len())}</h2>
                        {rows.into_iter().map(|r| {
                            let id = r.id;
                            view! {
                                <div class="routed-row" data-testid="routed-row" data-account-id=r.account_id.to_string()>
                                    <Badge color=BadgeColor::Brand appearance=BadgeAppearance::Tint>{format!("Routed from {}", r.from_page.label())}</Badge>
                                    <A href=format!("/accounts/{}", r.account_id) attr:class="account-link">{r.account_name.clone()}</A>
                                    <span class="muted">{format!("by {} · {}", r.routed_by, fmt_instant(&r.routed_at))}</span>
                                    {r.note.clone().map(|n| view! { <span class="routed-note">{n}</span> })}
                                    {r.deal_id.map(|_| view! { <span class="muted">"expansion deal opened"</span> })}
                                    <Button size=ButtonSize::Small disabled=!can on_click=move |_| { dismiss.dispatch(crate::api::DismissRoute { route_id: id }); }
                                        attr:data-testid="dismiss-route">"Dismiss"</Button>
                                </div>
                            }
                        }).collect_view()}
                    </section>
                })
            })}
        </Transition>
    }
}
