//! Settings → Signals & matching, account matching: vendor companies that matched no account (with name-based
//! suggestions to link), accounts that look like one company twice (merge), and recent merges
//! (undo).

use crate::api::{matching, LinkCompany, MergeAccounts, UndoMerge};
use crate::matching::{AccountBrief, MatchingView, UnmatchedCompany};
use crate::model::IntegrationKind;
use crate::ui::*;
use leptos::prelude::*;
use thaw::*;

#[derive(Clone, Copy)]
struct MatchActions {
    link: ServerAction<LinkCompany>,
    merge: ServerAction<MergeAccounts>,
    undo: ServerAction<UndoMerge>,
}

fn source_label(source: &str) -> String {
    IntegrationKind::parse(source)
        .map(|k| k.label().to_string())
        .unwrap_or_else(|| source.to_string())
}

#[component]
pub fn Matching(can_manage: bool) -> impl IntoView {
    let actions = MatchActions {
        link: ServerAction::new(),
        merge: ServerAction::new(),
        undo: ServerAction::new(),
    };
    let version = Memo::new(move |_| {
        (
            actions.link.version().get(),
            actions.merge.version().get(),
            actions.undo.version().get(),
        )
    });
    let data = Resource::new(move || version.get(), |_| matching());
    let failure = move || {
        actions
            .link
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| actions.merge.value().get().and_then(|r| r.err()))
            .or_else(|| actions.undo.value().get().and_then(|r| r.err()))
    };
    view! {
        <section class="panel" data-testid="matching">
            <h2>"Account matching"</h2>
            <p class="muted">
                "Syncs match a vendor's company to an account by ids the vendors share (a Stripe customer id on a Salesbricks contract), then by domain. A similar name is only a suggestion: link it here, or merge two accounts that are one company."
            </p>
            {move || failure().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    loaded(data.await, move |m| view_matching(m, actions, can_manage))
                })}
            </Transition>
        </section>
    }
}

fn view_matching(m: MatchingView, actions: MatchActions, can_manage: bool) -> impl IntoView {
    let shown = m.unmatched.len() as i64;
    let total = m.unmatched_total;
    view! {
        <h3>{format!("Unmatched ({total})")}</h3>
        {if m.unmatched.is_empty() {
            view! { <p class="muted" data-testid="no-unmatched">"Every vendor company is matched to an account."</p> }.into_any()
        } else {
            view! {
                {(total > shown).then(|| view! { <p class="muted">{format!("Showing {shown} of {total}, those with a suggestion first.")}</p> })}
                <Table class="data-table compact" attr:data-testid="unmatched">
                    <TableHeader><TableRow>
                        <TableHeaderCell>"From"</TableHeaderCell>
                        <TableHeaderCell>"Company"</TableHeaderCell>
                        <TableHeaderCell>"Domain"</TableHeaderCell>
                        <TableHeaderCell>"Suggested account"</TableHeaderCell>
                    </TableRow></TableHeader>
                    <TableBody>
                        {m.unmatched.into_iter().map(|u| view! { <UnmatchedRow u actions can_manage /> }).collect_view()}
                    </TableBody>
                </Table>
            }.into_any()
        }}
        <h3>"Possible duplicates"</h3>
        {if m.duplicates.is_empty() {
            view! { <p class="muted" data-testid="no-duplicates">"No two accounts share a name."</p> }.into_any()
        } else {
            view! {
                <ul class="duplicate-list" data-testid="duplicates">
                    {m.duplicates.into_iter().map(|group| view! { <DuplicateGroup group actions can_manage /> }).collect_view()}
                </ul>
            }.into_any()
        }}
        {(!m.merges.is_empty()).then(|| view! {
            <h3>"Recent merges"</h3>
            <ul class="merge-list" data-testid="merges">
                {m.merges.into_iter().map(|r| {
                    let id = r.id;
                    let undone = r.undone_at.is_some();
                    view! {
                        <li>
                            <span>{format!("{} merged into ", r.merged_name)}</span>
                            <a href=format!("/accounts/{}", r.kept.id)>{r.kept.name.clone()}</a>
                            <span class="muted">{format!(" · {}", fmt_instant(&r.merged_at))}</span>
                            {if undone {
                                view! { <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Subtle>"undone"</Badge> }.into_any()
                            } else if can_manage {
                                view! {
                                    <Button size=ButtonSize::Small attr:data-testid="undo-merge"
                                        on_click=move |_| { actions.undo.dispatch(UndoMerge { merge: id }); }>"Undo"</Button>
                                }.into_any()
                            } else {
                                ().into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}

#[component]
fn UnmatchedRow(u: UnmatchedCompany, actions: MatchActions, can_manage: bool) -> impl IntoView {
    let chosen = RwSignal::new(u.suggestions.first().map(|a| a.id.to_string()).unwrap_or_default());
    let source = u.source.clone();
    let external_id = u.external_id.clone();
    let has_suggestions = !u.suggestions.is_empty();
    view! {
        <TableRow attr:data-testid="unmatched-row">
            <TableCell>{source_label(&u.source)}</TableCell>
            <TableCell>{u.name.clone()}<div class="muted"><code>{u.external_id.clone()}</code></div></TableCell>
            <TableCell>{u.domain.clone().unwrap_or_else(|| "—".into())}</TableCell>
            <TableCell>
                {if !has_suggestions {
                    view! { <span class="muted">"No account has a similar name."</span> }.into_any()
                } else {
                    view! {
                        <div class="inline-form">
                            <select aria-label="Account" prop:value=move || chosen.get()
                                on:change=move |ev| chosen.set(event_target_value(&ev))>
                                {u.suggestions.iter().map(|a| view! { <option value=a.id.to_string()>{brief(a)}</option> }).collect_view()}
                            </select>
                            {can_manage.then(|| view! {
                                <Button size=ButtonSize::Small attr:data-testid="link-company"
                                    on_click=move |_| {
                                        if let Ok(account_id) = chosen.get_untracked().parse() {
                                            actions.link.dispatch(LinkCompany { source: source.clone(), external_id: external_id.clone(), account_id });
                                        }
                                    }>"Link"</Button>
                            })}
                        </div>
                    }.into_any()
                }}
            </TableCell>
        </TableRow>
    }
}

fn brief(a: &AccountBrief) -> String {
    match &a.domain {
        Some(d) => format!("{} ({d})", a.name),
        None => a.name.clone(),
    }
}

#[component]
fn DuplicateGroup(group: Vec<AccountBrief>, actions: MatchActions, can_manage: bool) -> impl IntoView {
    let keep = group[0].clone();
    view! {
        <li class="duplicate-group" data-testid="duplicate-group">
            {group.iter().enumerate().map(|(i, a)| {
                let sources = if a.sources.is_empty() { "no vendor ids".to_string() } else { a.sources.iter().map(|s| source_label(s)).collect::<Vec<_>>().join(", ") };
                let merge_id = a.id;
                let keep_id = keep.id;
                let keep_name = keep.name.clone();
                let name = a.name.clone();
                view! {
                    <div class="duplicate-account">
                        <a href=format!("/accounts/{}", a.id)>{brief(a)}</a>
                        <span class="muted">{format!(" · {sources}")}</span>
                        {(i > 0 && can_manage).then(|| view! {
                            <Button size=ButtonSize::Small attr:data-testid="merge-accounts"
                                on_click=move |_| {
                                    if super::settings::confirm(&format!("Merge {name} into {keep_name}? Its revenue, invoices, usage, signals, deals and contacts move; you can undo this.")) {
                                        actions.merge.dispatch(MergeAccounts { keep_id, merge_id });
                                    }
                                }>{format!("Merge into {}", keep.name)}</Button>
                        })}
                    </div>
                }
            }).collect_view()}
        </li>
    }
}
