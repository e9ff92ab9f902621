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

mod chips;
mod routes;

pub use chips::*;
pub use routes::*;

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
mod tests;
