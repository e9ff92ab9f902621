//! Components shared by the pages: navigation, the workspace banner, list controls, chips.

use crate::api::{current_workspace, AppError};
use crate::model::*;
use crate::url::{list_href, list_query_from};
use chrono::NaiveDate;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{Form, A};
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

#[component]
pub fn SideNav() -> impl IntoView {
    let location = use_location();
    let selected = Signal::derive(move || {
        let path = location.pathname.get();
        let section = if path.starts_with("/accounts/") {
            "/health".to_string()
        } else {
            path
        };
        Some(section)
    });
    let (_, ignore_clicks) = signal(None::<String>);
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
                            </NavItem>
                        }
                    })
                    .collect_view()}
            </NavDrawer>
        </nav>
    }
}

/// Says whose data is on screen; demo data is always badged and offers the way back.
#[component]
pub fn WorkspaceBanner() -> impl IntoView {
    let workspace = Resource::new(|| (), |_| current_workspace());
    let location = use_location();
    let here = move || location.pathname.get();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match workspace.await {
                    Ok(ws) if ws.is_demo => Either::Left(view! {
                        <div class="banner banner-demo" data-testid="demo-banner">
                            <Badge color=BadgeColor::Warning appearance=BadgeAppearance::Filled>"Demo data"</Badge>
                            <span>"You are previewing the Pied Piper sample dataset. Nothing here is real customer data."</span>
                            {ws.has_real_workspace.then(|| view! {
                                <a rel="external" href=format!("/demo/exit?next={}", crate::url::encode_component(&here()))>
                                    "Back to my workspace"
                                </a>
                            })}
                        </div>
                    }.into_any()),
                    Ok(ws) if ws.connected_integrations == 0 => Either::Left(view! {
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
            <input type="hidden" name="sort" prop:value=move || query.get().sort />
            <input type="hidden" name="filter" prop:value=move || query.get().filter />
            <button type="submit" class="search-button">"Search"</button>
        </Form>
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
        <TableHeaderCell>
            <A href=href attr:class=move || if active() { "sort-link sort-active" } else { "sort-link" }>
                {label}
                {move || active().then_some(" ▾")}
            </A>
        </TableHeaderCell>
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
pub fn Metric(label: &'static str, value: String, #[prop(optional)] hint: Option<String>) -> impl IntoView {
    view! {
        <div class="metric">
            <div class="metric-label">{label}</div>
            <div class="metric-value">{value}</div>
            {hint.map(|h| view! { <div class="metric-hint">{h}</div> })}
        </div>
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
    }
}
