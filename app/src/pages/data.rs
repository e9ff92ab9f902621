//! Settings → Signals & matching: signals in (API tokens for `POST /api/v1/signals`, CSV import with a
//! preview that shows each bad row's error before anything is written) and account matching.

use super::settings::SettingsTabs;
use crate::api::{settings, CreateApiToken, ImportSignalsCsv, PreviewSignalsCsv, RevokeApiToken};
use crate::signals::{ApiTokenRow, ImportPreview, IngestReport, CSV_COLUMNS};
use crate::ui::*;
use leptos::prelude::*;
use thaw::*;

#[component]
pub fn DataPage() -> impl IntoView {
    let refresh = RwSignal::new(0u64);
    // A new token is shown until the page is left (it cannot be shown again); kept here so the
    // reload of the token list does not drop it.
    let fresh = RwSignal::new(None::<String>);
    let data = Resource::new(move || refresh.get(), |_| settings());
    let who = use_viewer();
    view! {
        <PageHeader title="Settings" subtitle="Signals sent in by other tools, and how vendor records match accounts." />
        <SettingsTabs />
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let viewer = who.0.await.ok();
                let can_manage = viewer.as_ref().is_some_and(|v| v.can_manage());
                let can_operate = viewer.as_ref().is_some_and(|v| v.can_operate());
                loaded(data.await, move |s| view! {
                    <section class="panel" data-testid="signals-in">
                        <h2>"Signals"</h2>
                        <p class="muted">
                            "Calls, support tickets and surveys from any tool: each signal names an account, a source, a sentiment from −1 to 1, a topic and the customer's words. Negative ones become risk factors with the quote as evidence."
                        </p>
                        <ApiTokens tokens=s.api_tokens can_manage refresh fresh />
                        {can_operate.then(|| view! { <CsvImport /> })}
                    </section>
                    <super::matching::Matching can_manage />
                })
            })}
        </Transition>
    }
}

#[component]
fn ApiTokens(
    tokens: Vec<ApiTokenRow>,
    can_manage: bool,
    refresh: RwSignal<u64>,
    fresh: RwSignal<Option<String>>,
) -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(token)) = create.value().get() {
            fresh.set(Some(token));
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if revoke.value().get().is_some_and(|r| r.is_ok()) {
            refresh.update(|n| *n += 1);
        }
    });
    let origin = move || {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    };
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.field("name").unwrap_or(e.to_string()))
    };
    view! {
        <div class="api-tokens" data-testid="api-tokens">
            <h3>"API tokens"</h3>
            <p class="muted">
                "Send a JSON batch to " <code>"POST /api/v1/signals"</code> " with " <code>"Authorization: Bearer <token>"</code>
                ". Each signal's " <code>"external_id"</code> " makes a resend update it instead of adding a copy."
            </p>
            {move || fresh.get().map(|token| view! {
                <div class="fresh-token" role="status" data-testid="fresh-token">
                    <strong>"Copy this token now — it is not shown again."</strong>
                    <code class="token-value" data-testid="token-value">{token.clone()}</code>
                    <pre class="curl-example">{format!(
                        "curl -X POST {}/api/v1/signals \\\n  -H 'Authorization: Bearer {token}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"signals\":[{{\"external_id\":\"call-81\",\"account_domain\":\"hooli.com\",\"source\":\"call\",\"sentiment\":-0.6,\"topic\":\"pricing\",\"quote\":\"Finance asks why we pay for idle seats\",\"occurred_at\":\"2026-11-20T14:03:00Z\"}}]}}'",
                        origin()
                    )}</pre>
                </div>
            })}
            {if tokens.is_empty() {
                view! { <p class="muted" data-testid="no-tokens">"No API tokens yet."</p> }.into_any()
            } else {
                view! {
                    <Table class="data-table compact">
                        <TableHeader><TableRow>
                            <TableHeaderCell>"Name"</TableHeaderCell>
                            <TableHeaderCell>"Token"</TableHeaderCell>
                            <TableHeaderCell>"Created"</TableHeaderCell>
                            <TableHeaderCell>"Last used"</TableHeaderCell>
                            <th class="thaw-table-header-cell" scope="col"><span class="sr-only">"Actions"</span></th>
                        </TableRow></TableHeader>
                        <TableBody>
                            {tokens.into_iter().map(|t| {
                                let id = t.id;
                                let label = t.name.clone();
                                view! {
                                    <TableRow attr:data-testid="token-row">
                                        <TableCell>{t.name}</TableCell>
                                        <TableCell><code>{format!("{}…", t.prefix)}</code></TableCell>
                                        <TableCell>{fmt_instant(&t.created_at)}</TableCell>
                                        <TableCell>{t.last_used_at.as_deref().map(fmt_instant).unwrap_or_else(|| "never".into())}</TableCell>
                                        <TableCell>
                                            {can_manage.then(|| view! {
                                                <Button size=ButtonSize::Small on_click=move |_| {
                                                    if super::settings::confirm(&format!("Revoke the token {label:?}? Tools using it stop being able to send signals.")) {
                                                        revoke.dispatch(RevokeApiToken { id });
                                                    }
                                                }>"Revoke"</Button>
                                            })}
                                        </TableCell>
                                    </TableRow>
                                }
                            }).collect_view()}
                        </TableBody>
                    </Table>
                }.into_any()
            }}
            {can_manage.then(|| view! {
                <div class="inline-form">
                    <input class="inline-input" aria-label="Token name" placeholder="Who sends signals, e.g. BuildBetter" data-testid="token-name"
                        maxlength="60" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <Button appearance=ButtonAppearance::Primary attr:data-testid="create-token"
                        on_click=move |_| { create.dispatch(CreateApiToken { name: name.get_untracked() }); }>
                        "Create token"
                    </Button>
                </div>
                {move || error().map(|e| view! { <div class="field-error">{e}</div> })}
            })}
        </div>
    }
}

#[component]
fn CsvImport() -> impl IntoView {
    let csv = RwSignal::new(String::new());
    let preview = ServerAction::<PreviewSignalsCsv>::new();
    let import = ServerAction::<ImportSignalsCsv>::new();
    // A new text needs a new preview before it can be imported.
    let previewed = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                leptos::task::spawn_local(async move {
                    if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                        csv.set(text.as_string().unwrap_or_default());
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let current_previewed = move || previewed.get().is_some_and(|p| p == csv.get());
    let result = move || {
        preview
            .value()
            .get()
            .filter(|_| current_previewed() && !preview.pending().get())
    };
    view! {
        <div class="csv-import" data-testid="csv-import">
            <h3>"Import a CSV"</h3>
            <p class="muted">
                "A header row naming any of: " <code>{CSV_COLUMNS.join(", ")}</code>
                ". Every row is checked first; nothing is written until you import."
            </p>
            <input type="file" accept=".csv,text/csv" data-testid="csv-file" on:change=on_file />
            <textarea class="csv-text" rows="6" data-testid="csv-text" placeholder="external_id,account_domain,source,sentiment,topic,quote,occurred_at"
                prop:value=move || csv.get() on:input=move |ev| csv.set(event_target_value(&ev))></textarea>
            <div class="inline-form">
                <Button attr:data-testid="csv-preview" disabled=Signal::derive(move || csv.get().trim().is_empty() || preview.pending().get())
                    on_click=move |_| {
                        previewed.set(Some(csv.get_untracked()));
                        preview.dispatch(PreviewSignalsCsv { csv: csv.get_untracked() });
                    }>
                    "Preview"
                </Button>
                {move || result().and_then(|r| r.ok()).filter(|p| p.valid > 0).map(|p| view! {
                    <Button appearance=ButtonAppearance::Primary attr:data-testid="csv-import-button"
                        disabled=Signal::derive(move || import.pending().get())
                        on_click=move |_| { import.dispatch(ImportSignalsCsv { csv: csv.get_untracked() }); }>
                        {if p.invalid > 0 { format!("Import {} valid rows, leave out {}", p.valid, p.invalid) } else { format!("Import {} rows", p.valid) }}
                    </Button>
                })}
            </div>
            {move || result().map(|r| match r {
                Ok(p) => view! { <PreviewTable preview=p /> }.into_any(),
                Err(e) => view! { <ErrorNote error=e /> }.into_any(),
            })}
            {move || import.value().get().map(|r| match r {
                Ok(report) => view! { <ImportDone report /> }.into_any(),
                Err(e) => view! { <ErrorNote error=e /> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn PreviewTable(preview: ImportPreview) -> impl IntoView {
    let summary = format!(
        "{} rows can be imported ({} update signals already stored); {} have errors.",
        preview.valid, preview.updates, preview.invalid
    );
    view! {
        <p data-testid="csv-summary">{summary}</p>
        <Table class="data-table compact">
            <TableHeader><TableRow>
                <TableHeaderCell>"Line"</TableHeaderCell>
                <TableHeaderCell>"External id"</TableHeaderCell>
                <TableHeaderCell>"Account"</TableHeaderCell>
                <TableHeaderCell>"Topic"</TableHeaderCell>
                <TableHeaderCell>"Sentiment"</TableHeaderCell>
                <TableHeaderCell>"Check"</TableHeaderCell>
            </TableRow></TableHeader>
            <TableBody>
                {preview.rows.into_iter().map(|r| {
                    let ok = r.problems.is_empty();
                    view! {
                        <TableRow class=if ok { "" } else { "row-bad" } attr:data-testid=if ok { "preview-ok" } else { "preview-bad" }>
                            <TableCell class="num">{r.line}</TableCell>
                            <TableCell><code>{r.external_id}</code></TableCell>
                            <TableCell>{r.account.unwrap_or_else(|_| "—".into())}</TableCell>
                            <TableCell>{r.topic}</TableCell>
                            <TableCell class="num">{r.sentiment.map(|s| format!("{s:+.1}")).unwrap_or_default()}</TableCell>
                            <TableCell>
                                {if ok {
                                    view! { <Badge color=BadgeColor::Success appearance=BadgeAppearance::Tint>"OK"</Badge> }.into_any()
                                } else {
                                    view! { <ul class="row-problems">{r.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul> }.into_any()
                                }}
                            </TableCell>
                        </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
    }
}

#[component]
fn ImportDone(report: IngestReport) -> impl IntoView {
    let text = format!(
        "Imported: {} new, {} updated{}.",
        report.created,
        report.updated,
        if report.rejected.is_empty() {
            String::new()
        } else {
            format!("; {} rows left out", report.rejected.len())
        }
    );
    view! { <div class="form-ok" role="status" data-testid="csv-imported">{text}</div> }
}
