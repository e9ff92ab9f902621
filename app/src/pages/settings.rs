//! Settings & Data: integrations, what the workspace holds, recent sync runs.

use super::email_settings::EmailSettingsPanel;
use crate::api::AppError;
use crate::api::{
    settings, sync_run_errors, ConnectIntegration, DisconnectIntegration, SetExchangeRate, SyncIntegration,
    TestIntegration,
};
use crate::integrations::{IntegrationView, RunProblems as RunProblemsView, SCHEDULE_DEFAULT};
use crate::live::SyncProgress;
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use thaw::*;

#[derive(Clone, Copy)]
struct Actions {
    connect: ServerAction<ConnectIntegration>,
    test: ServerAction<TestIntegration>,
    disconnect: ServerAction<DisconnectIntegration>,
    sync: ServerAction<SyncIntegration>,
    rate: ServerAction<SetExchangeRate>,
    /// Which integration the last action was about, so its answer shows on its card.
    last: RwSignal<Option<IntegrationKind>>,
    /// The card whose connect form is open; kept here so a reload of the list keeps it open.
    open_form: RwSignal<Option<IntegrationKind>>,
    /// Bumped when an action succeeded: only then is the list reloaded (a refusal keeps the form as typed).
    refresh: RwSignal<u64>,
    /// Runs whose skipped records are shown; kept here so a reload of the runs (a sync or rescore
    /// finishing) does not fold them away under the reader.
    open_runs: RwSignal<Vec<i64>>,
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let actions = Actions {
        connect: ServerAction::new(),
        test: ServerAction::new(),
        disconnect: ServerAction::new(),
        sync: ServerAction::new(),
        rate: ServerAction::new(),
        last: RwSignal::new(None),
        open_form: RwSignal::new(None),
        refresh: RwSignal::new(0),
        open_runs: RwSignal::new(Vec::new()),
    };
    let refresh_on_success = move || actions.refresh.update(|n| *n += 1);
    Effect::new(move |_| {
        if actions.connect.value().get().is_some_and(|r| r.is_ok()) {
            actions.open_form.set(None);
            refresh_on_success();
        }
    });
    Effect::new(move |_| {
        actions
            .test
            .value()
            .get()
            .is_some_and(|r| r.is_ok())
            .then(refresh_on_success)
    });
    Effect::new(move |_| {
        actions
            .disconnect
            .value()
            .get()
            .is_some_and(|r| r.is_ok())
            .then(refresh_on_success)
    });
    Effect::new(move |_| {
        actions
            .sync
            .value()
            .get()
            .is_some_and(|r| r.is_ok())
            .then(refresh_on_success)
    });
    Effect::new(move |_| {
        actions
            .rate
            .value()
            .get()
            .is_some_and(|r| r.is_ok())
            .then(refresh_on_success)
    });
    let live = crate::live::use_live();
    // A finished sync changes the runs and counts shown here.
    let finished = Memo::new(move |_| live.sync.get().filter(|p| p.finished).map(|p| p.run_id));
    let data = Resource::new(move || (actions.refresh.get(), finished.get()), |_| settings());
    let who = use_viewer();
    view! {
        <PageHeader title="Settings" subtitle="Integrations and the data they brought in." />
        <SettingsTabs />
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let viewer = who.0.await.ok();
                let can_manage = viewer.as_ref().is_some_and(|v| v.can_manage());
                let can_operate = viewer.as_ref().is_some_and(|v| v.can_operate());
                loaded(data.await, move |s| view_settings(s, actions, can_manage, can_operate))
            })}
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
            <leptos_router::components::A href="/settings/data" attr:class=move || class("/settings/data")>"Signals & matching"</leptos_router::components::A>
            <leptos_router::components::A href="/settings/scoring" attr:class=move || class("/settings/scoring")>"Scoring"</leptos_router::components::A>
            <leptos_router::components::A href="/settings/account" attr:class=move || class("/settings/account")>"Your account"</leptos_router::components::A>
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

fn view_settings(s: SettingsView, actions: Actions, can_manage: bool, can_operate: bool) -> impl IntoView {
    let c = s.counts.clone();
    let integrations = s.integrations;
    let runs = s.recent_runs;
    let currency = s.currency;
    let rates = s.rates;
    view! {
        <section class="panel">
            <h2>"Integrations"</h2>
            <p class="muted">"Credentials are tested before they are saved, stored encrypted, and never shown again. Syncs run on each integration's schedule, after vendor webhooks, and on demand."</p>
            <div class="integration-grid" data-testid="integrations">
                {integrations.into_iter().map(|i| view! { <IntegrationCard i actions can_manage can_operate /> }).collect_view()}
            </div>
        </section>
        <PipelineSettingsPanel can_manage />
        <EmailSettingsPanel can_manage />
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
            <ExchangeRates currency rates actions can_manage />
        </section>
        <section class="panel">
            <h2>"Recent sync runs"</h2>
            {if runs.is_empty() {
                view! { <Empty message="No sync has run in this workspace." /> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                    <Table class="data-table compact runs-table">
                        <TableHeader><TableRow>
                            <TableHeaderCell>"Source"</TableHeaderCell>
                            <TableHeaderCell>"Status"</TableHeaderCell>
                            <TableHeaderCell>"Started"</TableHeaderCell>
                            <TableHeaderCell>"Fetched / written / skipped"</TableHeaderCell>
                            <TableHeaderCell>"Problems"</TableHeaderCell>
                        </TableRow></TableHeader>
                        <TableBody>
                            {runs.into_iter().map(|r| {
                                let source = IntegrationKind::parse(&r.source).map(|k| k.label().to_string()).unwrap_or_else(|| r.source.clone());
                                let counts = format!("{} / {} / {}", r.fetched, r.written, r.skipped);
                                let started = fmt_instant(&r.started_at);
                                let status = r.status.clone();
                                view! {
                                    <TableRow>
                                        <TableCell>{source}</TableCell>
                                        <TableCell><RunStatus status /></TableCell>
                                        <TableCell>{started}</TableCell>
                                        <TableCell class="num">{counts}</TableCell>
                                        <TableCell><RunProblems run=r open_runs=actions.open_runs /></TableCell>
                                    </TableRow>
                                }
                            }).collect_view()}
                        </TableBody>
                    </Table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn RunStatus(status: String) -> impl IntoView {
    let color = match status.as_str() {
        "succeeded" => BadgeColor::Success,
        "failed" => BadgeColor::Danger,
        _ => BadgeColor::Brand,
    };
    view! { <Badge color appearance=BadgeAppearance::Tint>{status}</Badge> }
}

/// A run's error, and on demand what it skipped or repaired: counted by why ("2 deals skipped:
/// its company is linked to no account"), then the first records with the reason for each.
#[component]
fn RunProblems(run: SyncRunRow, open_runs: RwSignal<Vec<i64>>) -> impl IntoView {
    let id = run.id;
    let open = Memo::new(move |_| open_runs.with(|ids| ids.contains(&id)));
    let toggle = move |_| {
        open_runs.update(|ids| match ids.iter().position(|&i| i == id) {
            Some(k) => {
                ids.remove(k);
            }
            None => ids.push(id),
        })
    };
    let problems = Resource::new(
        move || open.get(),
        move |open| async move {
            if open {
                sync_run_errors(id).await
            } else {
                Ok(Default::default())
            }
        },
    );
    let summary = match (run.skipped, run.repaired) {
        (s, 0) => format!("{s} skipped — why?"),
        (0, r) => format!("{r} repaired — how?"),
        (s, r) => format!("{s} skipped, {r} repaired — why?"),
    };
    view! {
        <div class="run-problems">
            {run.error.clone().map(|e| view! { <div class="field-error" data-testid="run-error">{e}</div> })}
            {(run.skipped > 0 || run.repaired > 0).then(|| view! {
                <button class="link-button" on:click=toggle>
                    {move || if open.get() { "Hide".to_string() } else { summary.clone() }}
                </button>
                <Show when=move || open.get()>
                    <Transition fallback=|| view! { <Loading /> }>
                        {move || Suspend::new(async move {
                            loaded(problems.await, |p: RunProblemsView| view! {
                                <ul class="run-reasons" data-testid="run-reasons">
                                    {p.reasons.iter().map(|r| view! { <li>{r.line()}</li> }).collect_view()}
                                </ul>
                                <ul class="skipped-list" data-testid="skipped-records">
                                    {p.records.into_iter().map(|(record, why)| view! { <li><code>{record}</code>" "{why}</li> }).collect_view()}
                                </ul>
                            })
                        })}
                    </Transition>
                </Show>
            })}
        </div>
    }
}

#[component]
pub fn SyncBar(progress: SyncProgress) -> impl IntoView {
    let pct = (progress.fraction() * 100.0).round();
    view! {
        <div class="sync-progress" data-testid="sync-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct.to_string()>
            <div class="sync-progress-track"><div class="sync-progress-fill" style=format!("width: {pct}%") /></div>
            <div class="muted">
                {format!("Step {} of {}: {} · {} fetched, {} written, {} skipped",
                    progress.step_no, progress.steps, progress.step, progress.fetched, progress.written, progress.skipped)}
            </div>
        </div>
    }
}

#[component]
fn IntegrationCard(i: IntegrationView, actions: Actions, can_manage: bool, can_operate: bool) -> impl IntoView {
    let kind = i.kind;
    let live = crate::live::use_live();
    let stored_running = i.running.clone();
    // Live progress wins over what the page loaded; a finished run hides the bar.
    let running = Memo::new(move |_| match live.sync.get() {
        Some(p) if p.source == kind.as_str() && stored_running.as_ref().is_none_or(|r| p.run_id >= r.run_id) => {
            (!p.finished).then_some(p)
        }
        _ => stored_running.clone(),
    });
    let form_open = Signal::derive(move || actions.open_form.get() == Some(kind));
    let mine = move || actions.last.get() == Some(kind);
    let answer = move || {
        if !mine() {
            return None;
        }
        let test = actions.test.value().get();
        let connect = actions.connect.value().get();
        let sync = actions
            .sync
            .value()
            .get()
            .map(|r| r.map(|_| "Sync started.".to_string()));
        let disconnect = actions
            .disconnect
            .value()
            .get()
            .map(|r| r.map(|_| "Disconnected. Data already synced stays.".to_string()));
        test.or(connect).or(sync).or(disconnect)
    };
    let status = if i.connected {
        view! { <Badge color=BadgeColor::Success appearance=BadgeAppearance::Tint>"Connected"</Badge> }.into_any()
    } else {
        view! { <Badge color=BadgeColor::Subtle appearance=BadgeAppearance::Tint>"Not connected"</Badge> }.into_any()
    };
    let available = kind.available();
    let connected = i.connected;
    view! {
        <article class="integration-card" data-testid=format!("integration-{}", kind.as_str())>
            <header class="integration-head">
                <h3>{kind.label()}</h3>
                {status}
            </header>
            <p class="muted">{kind.powers()}</p>
            {(connected && kind != IntegrationKind::Signals).then(|| view! {
                <dl class="integration-facts">
                    {i.credential_mask.clone().filter(|m| !m.is_empty()).map(|m| view! { <dt>"Credential"</dt><dd><code>{m}</code></dd> })}
                    {i.target.clone().zip(kind.target_help()).map(|(t, (label, _))| view! {
                        <dt>{label}</dt><dd class="integration-target">{t.split([',', '\n']).map(str::trim).filter(|x| !x.is_empty()).collect::<Vec<_>>().join(", ")}</dd>
                    })}
                    {i.base_url.clone().map(|b| view! { <dt>"API"</dt><dd><code>{b}</code></dd> })}
                    <dt>"Schedule"</dt><dd>{format!("every {} min", i.schedule_minutes)}</dd>
                    {i.last_test.clone().map(|t| view! { <dt>"Last test"</dt><dd data-testid="last-test">{t}</dd> })}
                    {i.webhook_path.clone().map(|p| view! {
                        <dt>"Webhook"</dt>
                        <dd><code class="webhook-url">{p}</code>
                            {(kind == IntegrationKind::Stripe && !i.has_webhook_secret).then(|| view! { <span class="muted">" (add the signing secret to receive it)"</span> })}
                        </dd>
                    })}
                </dl>
            })}
            {i.last_run.clone().map(|r| view! {
                <div class="integration-last-run">
                    <RunStatus status=r.status.clone() />
                    <span class="muted">{format!(" {} · {} fetched, {} written, {} skipped", fmt_instant(&r.started_at), r.fetched, r.written, r.skipped)}</span>
                    {r.error.clone().map(|e| view! { <div class="field-error" data-testid="last-run-error">{e}</div> })}
                </div>
            })}
            {move || running.get().map(|p| view! { <SyncBar progress=p /> })}
            {move || answer().map(|r| match r {
                Ok(text) => view! { <div class="form-ok" role="status" data-testid="integration-answer">{text}</div> }.into_any(),
                Err(AppError::Fields(_)) => ().into_any(),
                Err(e) => view! { <div class="form-error" role="alert" data-testid="integration-answer">{e.to_string()}</div> }.into_any(),
            })}
            <div class="integration-actions">
                {if kind == IntegrationKind::Signals {
                    view! {
                        <leptos_router::components::A href="/settings/data" attr:class="link-button" attr:data-testid="signals-settings">
                            "API tokens and CSV import →"
                        </leptos_router::components::A>
                    }.into_any()
                } else if !available {
                    view! { <span class="muted">"Not part of this version: its connector is not built yet."</span> }.into_any()
                } else {
                    view! {
                        {(connected && can_operate).then(|| view! {
                            <Button appearance=ButtonAppearance::Primary disabled=Signal::derive(move || running.get().is_some())
                                attr:data-testid="sync-now"
                                on_click=move |_| { actions.last.set(Some(kind)); actions.sync.dispatch(SyncIntegration { kind }); }>
                                {move || if running.get().is_some() { "Syncing…" } else { "Sync now" }}
                            </Button>
                        })}
                        {(connected && can_manage).then(|| view! {
                            <Button attr:data-testid="test-connection"
                                on_click=move |_| { actions.last.set(Some(kind)); actions.test.dispatch(TestIntegration { kind }); }>
                                "Test connection"
                            </Button>
                            <Button attr:data-testid="disconnect"
                                on_click=move |_| {
                                    if confirm(&format!("Disconnect {}? Its credentials are deleted; data already synced stays.", kind.label())) {
                                        actions.last.set(Some(kind));
                                        actions.disconnect.dispatch(DisconnectIntegration { kind });
                                    }
                                }>
                                "Disconnect"
                            </Button>
                        })}
                        {can_manage.then(|| view! {
                            <Button appearance=if connected { ButtonAppearance::Secondary } else { ButtonAppearance::Primary }
                                attr:data-testid="open-connect"
                                on_click=move |_| actions.open_form.update(|o| *o = if *o == Some(kind) { None } else { Some(kind) })>
                                {if connected { "Change credentials" } else { "Connect" }}
                            </Button>
                        })}
                    }.into_any()
                }}
            </div>
            <Show when=move || form_open.get()>
                <ConnectForm kind actions schedule=i.schedule_minutes />
            </Show>
        </article>
    }
}

pub(crate) fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        false
    }
}

#[component]
fn ConnectForm(kind: IntegrationKind, actions: Actions, schedule: u32) -> impl IntoView {
    let credential = RwSignal::new(String::new());
    let base_url = RwSignal::new(String::new());
    let minutes = RwSignal::new(if schedule == 0 { SCHEDULE_DEFAULT } else { schedule }.to_string());
    let webhook_secret = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let local_errors = RwSignal::new(crate::access::FieldErrors::default());
    let field = move |name: &'static str| {
        move || {
            local_errors.get().get(name).or_else(|| {
                (actions.last.get() == Some(kind))
                    .then(|| {
                        actions
                            .connect
                            .value()
                            .get()
                            .and_then(|r| r.err())
                            .and_then(|e| e.field(name))
                    })
                    .flatten()
            })
        }
    };
    let submit = move |_| {
        let setup = crate::integrations::IntegrationSetup {
            credential: credential.get_untracked(),
            base_url: base_url.get_untracked(),
            schedule_minutes: minutes.get_untracked().trim().parse().unwrap_or(0),
            webhook_secret: webhook_secret.get_untracked(),
            target: target.get_untracked(),
        };
        // The same check as the server's, before anything is sent.
        match setup.check(kind) {
            Err(errors) => local_errors.set(errors),
            Ok(()) => {
                local_errors.set(Default::default());
                actions.last.set(Some(kind));
                actions.connect.dispatch(ConnectIntegration {
                    kind,
                    credential: setup.credential,
                    base_url: setup.base_url,
                    schedule_minutes: Some(setup.schedule_minutes),
                    webhook_secret: setup.webhook_secret,
                    target: setup.target,
                });
            }
        }
    };
    let (label, help) = kind.credential_help();
    let pending = actions.connect.pending();
    let target_field = kind.target_help().map(|(target_label, target_help)| {
        let input = if kind == IntegrationKind::Posthog {
            view! {
                <input name="target" inputmode="numeric" data-testid="target" placeholder="12345"
                    prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev)) />
            }
            .into_any()
        } else {
            view! {
                <textarea name="target" rows="3" data-testid="target"
                    prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev))></textarea>
            }
            .into_any()
        };
        view! {
            <label class="form-field">
                <span>{target_label}</span>
                {input}
                <small class="muted">{target_help}</small>
                {move || field("target")().map(|e| view! { <div class="field-error" data-testid="target-error">{e}</div> })}
            </label>
        }
    });
    let has_api = !kind.default_base_url().is_empty();
    view! {
        <div class="connect-form" data-testid="connect-form">
            {target_field}
            {(!label.is_empty()).then(|| view! {
            <label class="form-field">
                <span>{label}</span>
                <input type="password" autocomplete="off" name="credential" data-testid="credential"
                    prop:value=move || credential.get() on:input=move |ev| credential.set(event_target_value(&ev)) />
                <small class="muted">{help}</small>
                {move || field("credential")().map(|e| view! { <div class="field-error" data-testid="credential-error">{e}</div> })}
            </label>
            })}
            {has_api.then(|| view! {
            <label class="form-field">
                <span>"API address (optional)"</span>
                <input type="url" name="base_url" data-testid="base-url" placeholder=kind.default_base_url()
                    prop:value=move || base_url.get() on:input=move |ev| base_url.set(event_target_value(&ev)) />
                <small class="muted">"Leave empty for the vendor's own API."</small>
                {move || field("base_url")().map(|e| view! { <div class="field-error">{e}</div> })}
            </label>
            })}
            <label class="form-field narrow">
                <span>"Sync every (minutes)"</span>
                <input type="number" min="5" max="1440" name="schedule_minutes" data-testid="schedule"
                    prop:value=move || minutes.get() on:input=move |ev| minutes.set(event_target_value(&ev)) />
                {move || field("schedule_minutes")().map(|e| view! { <div class="field-error">{e}</div> })}
            </label>
            {(kind == IntegrationKind::Stripe).then(|| view! {
                <label class="form-field">
                    <span>"Webhook signing secret (optional)"</span>
                    <input type="password" autocomplete="off" name="webhook_secret" placeholder="whsec_…"
                        prop:value=move || webhook_secret.get() on:input=move |ev| webhook_secret.set(event_target_value(&ev)) />
                    {move || field("webhook_secret")().map(|e| view! { <div class="field-error">{e}</div> })}
                </label>
            })}
            <Button appearance=ButtonAppearance::Primary on_click=submit attr:data-testid="connect"
                disabled=Signal::derive(move || pending.get())>
                {move || if pending.get() { "Testing…" } else { "Test and connect" }}
            </Button>
        </div>
    }
}

/// Pipeline's board order and CRM of record. Reordering is one click per step (↑/↓), saved at once.
#[component]
fn PipelineSettingsPanel(can_manage: bool) -> impl IntoView {
    use crate::api::{pipeline_settings, SetPipelineSource, SetStageOrder};
    let order = ServerAction::<SetStageOrder>::new();
    let source = ServerAction::<SetPipelineSource>::new();
    let data = Resource::new(
        move || (order.version().get(), source.version().get()),
        |_| pipeline_settings(),
    );
    let error = move || {
        order
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| source.value().get().and_then(|r| r.err()))
    };
    view! {
        <section class="panel" data-testid="pipeline-settings">
            <h2>"Pipeline"</h2>
            <p class="muted">"The board's columns in order, and which CRM's deals it shows. Deals opened by routing always show."</p>
            {move || error().map(|e| view! { <div class="form-error" role="alert">{e.to_string()}</div> })}
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    loaded(data.await, move |p| {
                        let keys: Vec<String> = p.stages.iter().map(|s| s.0.clone()).collect();
                        let n = keys.len();
                        let swap = move |i: usize, j: usize| {
                            let mut k = keys.clone();
                            k.swap(i, j);
                            order.dispatch(SetStageOrder { order: k.join(",") });
                        };
                        let current = p.source.clone();
                        view! {
                            <ol class="stage-order" data-testid="stage-order">
                                {p.stages.into_iter().enumerate().map(|(i, (key, label, outcome))| {
                                    let (up, down) = (swap.clone(), swap.clone());
                                    view! {
                                        <li data-stage=key>
                                            <span class="stage-order-label">{label}</span>
                                            <span class="muted">{outcome.label()}</span>
                                            {can_manage.then(|| view! {
                                                <button class="link-button" aria-label="Move up" disabled=i == 0
                                                    on:click=move |_| up(i, i - 1)>"↑"</button>
                                                <button class="link-button" aria-label="Move down" disabled=i + 1 == n
                                                    on:click=move |_| down(i, i + 1)>"↓"</button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                            <label class="inline-form">
                                "Deals come from "
                                <select class="inline-select" data-testid="pipeline-source" disabled=!can_manage
                                    on:change=move |ev| { source.dispatch(SetPipelineSource { source: event_target_value(&ev) }); }>
                                    {PIPELINE_SOURCES.iter().map(|(k, l)| view! {
                                        <option value=*k selected=*k == current>{*l}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                        }
                    })
                })}
            </Transition>
        </section>
    }
}

/// Rates from other currencies into the workspace currency, used when syncs price revenue.
#[component]
fn ExchangeRates(currency: String, rates: Vec<(String, i64)>, actions: Actions, can_manage: bool) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let rate = RwSignal::new(String::new());
    let error = move |field: &'static str| {
        move || {
            actions
                .rate
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field(field))
        }
    };
    let save = move |_| {
        actions.rate.dispatch(SetExchangeRate {
            currency: code.get_untracked(),
            rate: rate.get_untracked(),
        });
    };
    let shown = rates
        .iter()
        .map(|(c, m)| format!("1 {c} = {} {currency}", (*m as f64 / 1_000_000.0)))
        .collect::<Vec<_>>();
    view! {
        <div class="exchange-rates" data-testid="exchange-rates">
            <h3>{format!("Exchange rates into {currency}")}</h3>
            <p class="muted">"Revenue in other currencies is converted at these rates when it is synced; a subscription in a currency without a rate is skipped and named in the run's problems."</p>
            {if shown.is_empty() {
                view! { <p class="muted">"No rates yet."</p> }.into_any()
            } else {
                view! { <ul class="rate-list">{shown.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul> }.into_any()
            }}
            {can_manage.then(|| view! {
                <div class="inline-form">
                    <input class="inline-input narrow" aria-label="Currency" placeholder="EUR" maxlength="3" data-testid="rate-currency"
                        prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                    <input class="inline-input narrow" aria-label=format!("Rate into {currency}") placeholder="1.08" data-testid="rate-value"
                        prop:value=move || rate.get() on:input=move |ev| rate.set(event_target_value(&ev)) />
                    <Button on_click=save attr:data-testid="save-rate">"Save rate"</Button>
                </div>
                {move || error("currency")().or_else(error("rate")).map(|e| view! { <div class="field-error">{e}</div> })}
            })}
        </div>
    }
}
