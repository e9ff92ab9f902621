//! Settings → Scoring: the workspace's scorecard, edited with a live preview of how the monitored
//! accounts would re-band. The preview runs `scoring::reband` in the browser — the same code the
//! server rescoring runs — over the accounts' inputs.

use super::settings::SettingsTabs;
use crate::api::{scoring_settings, SaveScorecard};
use crate::model::{Money, ScoringView};
use crate::scoring::{reband, Band, Scorecard};
use crate::ui::*;
use leptos::prelude::*;
use leptos::server::ServerAction;
use thaw::*;

#[component]
pub fn ScoringPage() -> impl IntoView {
    let save = ServerAction::<SaveScorecard>::new();
    let data = Resource::new(move || save.version().get(), |_| scoring_settings());
    let who = use_viewer();
    view! {
        <PageHeader title="Settings" subtitle="How health scores are computed, and what a change would do." />
        <SettingsTabs />
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let manager = matches!(who.0.await, Ok(v) if v.can_manage());
                loaded(data.await, move |v| {
                    let models = v.models.clone();
                    view! {
                        <Editor view=v manager save />
                        <LikelihoodModels models />
                    }
                })
            })}
        </Transition>
    }
}

fn number(ev: &leptos::ev::Event) -> Option<f64> {
    event_target_value(ev)
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

#[component]
fn Editor(view: ScoringView, manager: bool, save: ServerAction<SaveScorecard>) -> impl IntoView {
    let saved = view.card.clone();
    let card = RwSignal::new(view.card.clone());
    let preview = StoredValue::new(view.preview.clone());
    let currency = view.currency.clone();
    let row_currency = StoredValue::new(view.currency.clone());
    let current = Memo::new(move |_| preview.with_value(|p| reband(&saved, p)));
    let proposed = Memo::new(move |_| card.with(|c| preview.with_value(|p| reband(c, p))));
    let problem = Memo::new(move |_| card.with(|c| c.validate().err()));
    let changed = Memo::new({
        let saved = view.card.clone();
        move |_| card.with(|c| *c != saved)
    });
    let total_weight =
        Memo::new(move |_| card.with(|c| c.measures.iter().filter(|m| m.enabled).map(|m| m.weight).sum::<u32>()));
    let covered = view.preview.len();
    let monitored = view.monitored;
    let measures = view.card.measures.clone();
    view! {
        <div class="scoring-grid">
            <section class="panel" data-testid="scorecard">
                <h2>"Scorecard"</h2>
                <p class="muted">
                    {if view.is_default { "The built-in scorecard. " } else { "Edited for this workspace. " }}
                    "Each enabled measure's weight is its share of the 100 points; a measure without data gives its weight to the others."
                </p>
                <div class="cutoffs">
                    <label>"Healthy from "
                        <input type="number" min="1" max="100" class="num-input" data-testid="green-from"
                            prop:value=move || card.with(|c| c.green_from.to_string())
                            on:input=move |ev| if let Some(n) = number(&ev) { card.update(|c| c.green_from = n as i32) } />
                    </label>
                    <label>"Critical below "
                        <input type="number" min="0" max="99" class="num-input" data-testid="red-below"
                            prop:value=move || card.with(|c| c.red_below.to_string())
                            on:input=move |ev| if let Some(n) = number(&ev) { card.update(|c| c.red_below = n as i32) } />
                    </label>
                </div>
                <table class="data-table measures-table">
                    <thead><tr>
                        <th>"On"</th><th>"Measure"</th><th>"Weight"</th><th>"Worst"</th><th>"Best"</th>
                    </tr></thead>
                    <tbody>
                        {measures.into_iter().enumerate().map(|(i, m)| {
                            let kind = m.kind;
                            view! {
                                <tr data-measure=format!("{kind:?}")>
                                    <td><input type="checkbox" aria-label=format!("Use {}", kind.label())
                                        prop:checked=move || card.with(|c| c.measures[i].enabled)
                                        on:change=move |ev| { let on = event_target_checked(&ev); card.update(|c| c.measures[i].enabled = on) } /></td>
                                    <td>
                                        <strong>{kind.label()}</strong>
                                        <div class="muted">{format!("{} · from {}", kind.unit(), kind.data())}</div>
                                    </td>
                                    <td><input type="number" min="0" max="100" class="num-input"
                                        aria-label=format!("{} weight", kind.label()) data-testid=format!("weight-{i}")
                                        prop:value=move || card.with(|c| c.measures[i].weight.to_string())
                                        on:input=move |ev| if let Some(n) = number(&ev) { card.update(|c| c.measures[i].weight = n.clamp(0.0, 1000.0) as u32) } /></td>
                                    <td><input type="number" step="any" class="num-input" aria-label=format!("{} worst", kind.label())
                                        prop:value=move || card.with(|c| c.measures[i].worst.to_string())
                                        on:input=move |ev| if let Some(n) = number(&ev) { card.update(|c| c.measures[i].worst = n) } /></td>
                                    <td><input type="number" step="any" class="num-input" aria-label=format!("{} best", kind.label())
                                        prop:value=move || card.with(|c| c.measures[i].best.to_string())
                                        on:input=move |ev| if let Some(n) = number(&ev) { card.update(|c| c.measures[i].best = n) } /></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="muted">{move || format!("Enabled weights add up to {}; they are used as shares of that total.", total_weight.get())}</div>
                {move || problem.get().map(|p| view! { <div class="form-error" role="alert" data-testid="scorecard-error">{p}</div> })}
                {manager.then(|| view! {
                    <div class="form-buttons">
                        <Button appearance=ButtonAppearance::Primary loading=save.pending()
                            disabled=Signal::derive(move || problem.get().is_some() || !changed.get())
                            attr:data-testid="save-scorecard"
                            on_click=move |_| {
                                let card_json = serde_json::to_string(&card.get_untracked()).unwrap_or_default();
                                save.dispatch(SaveScorecard { card_json });
                            }>"Save and rescore"</Button>
                        <Button on_click=move |_| card.set(Scorecard::default())>"Use the built-in scorecard"</Button>
                        {move || save.value().get().map(|r| match r {
                            Ok(n) => view! { <span class="muted" data-testid="scorecard-saved">{format!("Saved. {n} accounts rescored with a different result.")}</span> }.into_any(),
                            Err(e) => view! { <span class="form-error">{e.to_string()}</span> }.into_any(),
                        })}
                    </div>
                })}
                {(!manager).then(|| view! { <p class="muted" data-testid="scorecard-readonly">"Try changes here to see what they would do; only admins and owners can save them."</p> })}
            </section>
            <section class="panel" data-testid="scoring-preview">
                <h2>"Preview"</h2>
                <p class="muted">{if (covered as u64) < monitored {
                    format!("The {covered} largest of {monitored} monitored accounts, scored in your browser with the rules on the left.")
                } else {
                    format!("All {monitored} monitored accounts, scored in your browser with the rules on the left.")
                }}</p>
                <table class="data-table preview-bands">
                    <thead><tr><th>"Band"</th><th>"Now"</th><th>"With these rules"</th></tr></thead>
                    <tbody>
                        {Band::ALL.into_iter().enumerate().map(|(i, band)| {
                            let currency = currency.clone();
                            let currency2 = currency.clone();
                            view! {
                                <tr data-band=band.as_str()>
                                    <td><span class=format!("band-{}", band.as_str())>{band.label()}</span></td>
                                    <td>{move || { let (n, arr) = current.with(|r| r.bands[i]); format!("{n} · {}", Money::new(arr, currency.clone()).compact()) }}</td>
                                    <td data-testid=format!("preview-{}", band.as_str())>{move || { let (n, arr) = proposed.with(|r| r.bands[i]); format!("{n} · {}", Money::new(arr, currency2.clone()).compact()) }}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <h3 data-testid="moved-count">{move || format!("{} accounts would change band", proposed.with(|r| r.moved.len()))}</h3>
                <ul class="plain-list moved-list" data-testid="moved-accounts">
                    {move || proposed.with(|r| r.moved.iter().take(15).map(|(id, name, arr, from, to)| view! {
                        <li>
                            <a href=format!("/accounts/{id}")>{name.clone()}</a>
                            <span class="muted">{format!(" · {} · ", Money::new(*arr, row_currency.get_value()).compact())}</span>
                            {from.map(|b| b.label()).unwrap_or("not scored")}" → "<strong class=format!("band-{}", to.as_str())>{to.label()}</strong>
                        </li>
                    }).collect_view())}
                </ul>
            </section>
        </div>
    }
}

/// The Convert and Re-engage models: how well each ranks cases it never saw, on how many, when it
/// was trained, and what each feature weighs.
#[component]
fn LikelihoodModels(models: Vec<crate::likelihood::Model>) -> impl IntoView {
    view! {
        <section class="panel" data-testid="likelihood-models">
            <h2>"Likelihood models"</h2>
            <p class="muted">
                "Convert and Re-engage rank by a logistic model trained on this workspace's decided cases after every sync. "
                "One case in five is held out of training to measure it: AUC is the chance it ranks a random positive case above a random negative one (0.5 is a coin toss)."
            </p>
            <div class="model-cards">
                {models.into_iter().map(|m| {
                    let kind = m.kind;
                    let (yes, no) = kind.outcomes();
                    let quality = match &m.fit {
                        Some(f) => view! {
                            <dl class="model-facts">
                                <dt>"Hold-out AUC"</dt><dd data-testid="model-auc">{f.auc.map(|a| format!("{a:.2}")).unwrap_or_else(|| "—".into())}</dd>
                                <dt>"Decided cases"</dt><dd data-testid="model-examples">{format!("{} ({} {yes}, {} {no}; {} held out)", f.examples, f.positives, f.examples - f.positives, f.holdout)}</dd>
                                <dt>"Trained"</dt><dd>{fmt_instant(&f.trained_at)}</dd>
                            </dl>
                        }.into_any(),
                        None => view! {
                            <p data-testid="model-examples">{format!(
                                "Prior weights: {} decided cases so far; it learns from {} with at least {} of each outcome.",
                                m.examples_seen, crate::likelihood::MIN_EXAMPLES, crate::likelihood::MIN_PER_OUTCOME
                            )}</p>
                        }.into_any(),
                    };
                    let mut terms = m.terms.clone();
                    terms.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
                    view! {
                        <article class="model-card" data-testid=format!("model-{}", kind.as_str())>
                            <h3>{kind.label()}</h3>
                            {quality}
                            <table class="weights">
                                <thead><tr><th>"Feature"</th><th class="num">"Weight"</th></tr></thead>
                                <tbody>
                                    {terms.into_iter().map(|t| view! {
                                        <tr>
                                            <td>{t.feature.name()}</td>
                                            <td class="num" data-sign={if t.weight >= 0.0 { "up" } else { "down" }}>{format!("{:+.2}", t.weight)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <p class="muted">"Weights are log-odds per typical difference in the feature: +0.7 means a typical step up makes a positive outcome about twice as likely."</p>
                        </article>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
