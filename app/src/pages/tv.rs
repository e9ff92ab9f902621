//! /tv/<display link>: the office-screen dashboard, opened with a display link instead of a
//! session. Large type, dark, no controls; it refreshes when the server announces a change (and
//! every minute, in case the event stream is down).

use crate::api::office_dashboard;
use crate::model::TvDashboard;
use crate::ui::{fmt_date, PaymentChip, ScoreChip};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TvPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        let handle = leptos::prelude::set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            std::time::Duration::from_secs(60),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
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
                        Ok(d) => view! { <TvBoard data=d /> }.into_any(),
                        Err(e) => view! { <div class="tv-error" data-testid="tv-error">{e.to_string()}</div> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn TvBoard(data: TvDashboard) -> impl IntoView {
    let s = data.summary;
    view! {
        <header class="tv-header">
            <h1>{data.workspace_name}</h1>
            <span class="tv-sub">"Customer health"</span>
        </header>
        <div class="tv-metrics">
            <div class="tv-metric"><div class="tv-label">"Total ARR"</div><div class="tv-value">{s.total_arr.display()}</div></div>
            <div class="tv-metric"><div class="tv-label">"Accounts"</div><div class="tv-value">{s.accounts}</div></div>
            <div class="tv-metric"><div class="tv-label">"Renewing in 30 days"</div><div class="tv-value">{s.renewals_30}</div></div>
            <div class="tv-metric"><div class="tv-label">"Payment problems"</div><div class="tv-value">{s.payment_problems}</div></div>
        </div>
        <section class="tv-list">
            <h2>"Needs attention"</h2>
            {data.attention.into_iter().map(|a| view! {
                <div class="tv-row">
                    <ScoreChip score=a.score band=a.band override_band=a.override_band />
                    <span class="tv-name">{a.name}</span>
                    <span class="tv-arr">{a.arr.display()}</span>
                    <span class="tv-date">{fmt_date(a.renewal_date)}</span>
                    <PaymentChip state=a.payment_state />
                </div>
            }).collect_view()}
        </section>
    }
}
