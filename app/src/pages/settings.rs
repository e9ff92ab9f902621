//! Settings & Data: integrations, what the workspace holds, recent sync runs.

use crate::api::settings;
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use thaw::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| settings());
    view! {
        <PageHeader title="Settings" subtitle="Integrations and the data they brought in." />
        <SettingsTabs />
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move { loaded(data.await, view_settings) })}
        </Transition>
    }
}

/// Settings' sections; Access only for the people who manage it.
#[component]
pub fn SettingsTabs() -> impl IntoView {
    let who = use_viewer();
    let location = leptos_router::hooks::use_location();
    let class = move |path: &'static str| {
        if location.pathname.get() == path {
            "tab tab-active"
        } else {
            "tab"
        }
    };
    view! {
        <nav class="tabs" aria-label="Settings sections">
            <leptos_router::components::A href="/settings" attr:class=move || class("/settings")>"Integrations & data"</leptos_router::components::A>
            <leptos_router::components::A href="/settings/scoring" attr:class=move || class("/settings/scoring")>"Scoring"</leptos_router::components::A>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let manager = matches!(who.0.await, Ok(v) if v.can_manage());
                    manager.then(|| view! {
                        <leptos_router::components::A href="/settings/access" attr:class=move || class("/settings/access")>
                            "Access"
                        </leptos_router::components::A>
                    })
                })}
            </Transition>
        </nav>
    }
}

fn view_settings(s: SettingsView) -> impl IntoView {
    let c = s.counts.clone();
    view! {
        <section class="panel">
            <h2>"Integrations"</h2>
            <Table class="data-table" attr:data-testid="integrations-table">
                <TableHeader>
                    <TableRow>
                        <TableHeaderCell>"Integration"</TableHeaderCell>
                        <TableHeaderCell>"Powers"</TableHeaderCell>
                        <TableHeaderCell>"Status"</TableHeaderCell>
                        <TableHeaderCell>"Last sync"</TableHeaderCell>
                    </TableRow>
                </TableHeader>
                <TableBody>
                    {s.integrations.into_iter().map(|i| view! {
                        <TableRow>
                            <TableCell><strong>{i.kind.label()}</strong></TableCell>
                            <TableCell class="muted">{i.kind.powers()}</TableCell>
                            <TableCell>
                                {if i.connected {
                                    view! { <Badge color=BadgeColor::Success appearance=BadgeAppearance::Tint>"Connected"</Badge> }.into_any()
                                } else {
                                    view! { <Badge color=BadgeColor::Subtle appearance=BadgeAppearance::Tint>"Not connected"</Badge> }.into_any()
                                }}
                            </TableCell>
                            <TableCell>{i.last_run.map(|r| format!("{} · {} written", r.status, r.written)).unwrap_or_else(|| "never".into())}</TableCell>
                        </TableRow>
                    }).collect_view()}
                </TableBody>
            </Table>
        </section>
        <section class="panel">
            <h2>"Data in this workspace"</h2>
            <div class="metrics">
                <Metric label="Accounts" value=c.accounts.to_string() />
                <Metric label="Revenue sources" value=c.revenue_sources.to_string() hint=format!("{} invoices", c.invoices) />
                <Metric label="Usage weeks" value=c.usage_weeks.to_string() />
                <Metric label="Signals" value=c.signals.to_string() />
                <Metric label="Deals" value=c.deals.to_string() hint=format!("{} trials", c.trials) />
                <Metric label="Requests / releases" value=format!("{} / {}", c.feature_requests, c.releases) />
            </div>
        </section>
        <section class="panel">
            <h2>"Recent sync runs"</h2>
            {if s.recent_runs.is_empty() {
                view! { <Empty message="No sync has run in this workspace." /> }.into_any()
            } else {
                view! {
                    <Table class="data-table compact">
                        <TableHeader><TableRow>
                            <TableHeaderCell>"Source"</TableHeaderCell>
                            <TableHeaderCell>"Status"</TableHeaderCell>
                            <TableHeaderCell>"Started"</TableHeaderCell>
                            <TableHeaderCell>"Fetched / written / skipped"</TableHeaderCell>
                            <TableHeaderCell>"Error"</TableHeaderCell>
                        </TableRow></TableHeader>
                        <TableBody>
                            {s.recent_runs.into_iter().map(|r| view! {
                                <TableRow>
                                    <TableCell>{r.source.clone()}</TableCell>
                                    <TableCell>{r.status.clone()}</TableCell>
                                    <TableCell>{r.started_at.clone()}</TableCell>
                                    <TableCell class="num">{format!("{} / {} / {}", r.fetched, r.written, r.skipped)}</TableCell>
                                    <TableCell>{r.error.clone().unwrap_or_default()}</TableCell>
                                </TableRow>
                            }).collect_view()}
                        </TableBody>
                    </Table>
                }.into_any()
            }}
        </section>
    }
}
