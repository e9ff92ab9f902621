//! /tv/<display link>: the office-screen dashboard, opened with a display link instead of a
//! session. Large type, dark, no controls: headline figures stay on top while panels rotate
//! below (`?panel=N` pins one). It refetches when the server announces a change, every minute in
//! case the event stream is down, and says "stale since …" once the stream has been gone a minute.

use super::chart::{Bar, BarChart};
use super::health::score_bar;
use crate::api::office_dashboard;
use crate::model::TvDashboard;
use crate::ui::{fmt_date, LiveIndicator, PaymentChip, ScoreChip};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Seconds each panel stays up.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const ROTATE_SECONDS: u64 = 15;

const PANELS: [&str; 5] = [
    "Health",
    "Renewals, next 30 days",
    "Top accounts at risk",
    "Pipeline by stage",
    "Recent wins",
];

#[component]
pub fn TvPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let pinned = use_query_map().with_untracked(|q| q.get("panel").and_then(|p| p.parse::<usize>().ok()));
    let tick = RwSignal::new(0u64);
    let panel = RwSignal::new(pinned.unwrap_or(0) % PANELS.len());
    #[cfg(feature = "hydrate")]
    {
        let refetch = set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(60));
        let rotate = set_interval_with_handle(
            move || {
                if pinned.is_none() {
                    panel.update(|p| *p = (*p + 1) % PANELS.len());
                }
            },
            std::time::Duration::from_secs(ROTATE_SECONDS),
        );
        on_cleanup(move || {
            for h in [refetch, rotate].into_iter().flatten() {
                h.clear();
            }
        });
    }
    let live = crate::live::Live::provide_for_display(&token());
    let data = Resource::new(
        move || (token(), tick.get(), live.version.get()),
        |(t, _, _)| office_dashboard(t),
    );
    view! {
        <leptos_meta::Title text="Office screen" />
        <div class="tv" data-testid="tv">
            <Transition fallback=|| view! { <div class="tv-loading">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <TvBoard data=d panel /> }.into_any(),
                        Err(e) => view! { <div class="tv-error" data-testid="tv-error">{e.to_string()}</div> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn TvBoard(data: TvDashboard, panel: RwSignal<usize>) -> impl IntoView {
    let s = data.summary.clone();
    let as_of = data.as_of.get(11..16).unwrap_or_default().to_string();
    view! {
        <header class="tv-header" data-testid="tv-board" data-as-of=data.as_of.clone()>
            <h1>{data.workspace_name.clone()}</h1>
            <span class="tv-sub">"Customer success"</span>
            <span class="tv-asof" title="Figures as of (UTC)">{format!("as of {as_of} UTC")}</span>
            <LiveIndicator />
        </header>
        <div class="tv-metrics">
            <Metric label="Total ARR" value=s.total_arr.display() testid="tv-total-arr" />
            <Metric label="ARR at risk" value=s.arr_at_risk.display() testid="tv-arr-at-risk" />
            <Metric label="Accounts" value=s.accounts.to_string() testid="tv-accounts" />
            <Metric label="Renewing in 30 days" value=s.renewals_30.to_string() testid="tv-renewals" />
            <Metric label="Payment problems" value=s.payment_problems.to_string() testid="tv-payment" />
        </div>
        <nav class="tv-dots" aria-label="Panels">
            {PANELS.iter().enumerate().map(|(i, name)| view! {
                <span class=move || if panel.get() == i { "tv-dot tv-dot-on" } else { "tv-dot" }>{*name}</span>
            }).collect_view()}
        </nav>
        <section class="tv-panel" data-testid="tv-panel" data-panel=move || panel.get().to_string()>
            {move || match panel.get() {
                0 => health_panel(&data).into_any(),
                1 => accounts_panel("Renewing in the next 30 days", "Nothing renews in the next 30 days.", data.renewals.clone()).into_any(),
                2 => accounts_panel("Top accounts at risk", "No account is at risk.", data.at_risk.clone()).into_any(),
                3 => pipeline_panel(&data).into_any(),
                _ => wins_panel(&data).into_any(),
            }}
        </section>
    }
}

#[component]
fn Metric(label: &'static str, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="tv-metric"><div class="tv-label">{label}</div><div class="tv-value" data-testid=testid>{value}</div></div>
    }
}

fn health_panel(data: &TvDashboard) -> impl IntoView {
    let bars: Vec<Bar> = data.summary.score_buckets.iter().map(|b| score_bar(b, None)).collect();
    let attention = data.attention.clone();
    view! {
        <div class="tv-split">
            <div class="tv-chart">
                <BarChart id="tv-score-chart" title="ARR by health score" bars height=0 dark=true />
            </div>
            <div class="tv-list">
                <h2>"Needs attention"</h2>
                {attention.into_iter().take(7).map(account_row).collect_view()}
            </div>
        </div>
    }
}

fn accounts_panel(title: &'static str, empty: &'static str, rows: Vec<crate::model::TvAccount>) -> impl IntoView {
    let none = rows.is_empty();
    view! {
        <div class="tv-list tv-wide">
            <h2>{title}</h2>
            {none.then(|| view! { <div class="tv-empty">{empty}</div> })}
            // Eight rows fit a 1080p wall without scrolling.
            {rows.into_iter().take(8).map(account_row).collect_view()}
        </div>
    }
}

fn account_row(a: crate::model::TvAccount) -> impl IntoView {
    view! {
        <div class="tv-row">
            <ScoreChip score=a.score band=a.band override_band=a.override_band />
            <span class="tv-name">{a.name}</span>
            <span class="tv-arr">{a.arr.display()}</span>
            <span class="tv-date">{fmt_date(a.renewal_date)}</span>
            <PaymentChip state=a.payment_state />
        </div>
    }
}

fn pipeline_panel(data: &TvDashboard) -> impl IntoView {
    let most = data.pipeline.iter().map(|s| s.amount.minor).max().unwrap_or(0).max(1);
    let stages = data.pipeline.clone();
    view! {
        <div class="tv-list tv-wide" data-testid="tv-pipeline">
            <h2>"Pipeline by stage"</h2>
            {stages.into_iter().map(|s| {
                let width = (s.amount.minor as f64 / most as f64 * 100.0).round();
                view! {
                    <div class="tv-stage" data-stage=s.key.clone()>
                        <span class="tv-name">{s.label.clone()}</span>
                        <span class="tv-stage-bar"><span style=format!("width:{width}%")></span></span>
                        <span class="tv-arr">{s.amount.display()}</span>
                        <span class="tv-count">{format!("{} deals", s.deals)}</span>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

fn wins_panel(data: &TvDashboard) -> impl IntoView {
    let wins = data.recent_wins.clone();
    let none = wins.is_empty();
    view! {
        <div class="tv-list tv-wide">
            <h2>"Recent wins"</h2>
            {none.then(|| view! { <div class="tv-empty">"No wins yet."</div> })}
            {wins.into_iter().map(|d| view! {
                <div class="tv-row">
                    <span class="tv-win">"★"</span>
                    <span class="tv-name">{d.account_name.clone()}</span>
                    <span class="tv-deal">{d.deal_name.clone()}</span>
                    <span class="tv-arr">{d.amount.display()}</span>
                </div>
            }).collect_view()}
        </div>
    }
}
