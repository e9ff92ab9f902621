//! Re-engage: closed-lost deals and churned accounts, most likely to come back first, each with a
//! reason to reach out now; mark contacted, snooze, or won back (which opens a Pipeline deal).

use super::chart::{Bar, BarChart};
use crate::api::{reengage, LossAction, WinbackAction};
use crate::likelihood::LostReason;
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/re-engage";

#[component]
pub fn ReengagePage() -> impl IntoView {
    let query = use_list_query();
    let live = crate::live::use_live().any();
    let act = ServerAction::<WinbackAction>::new();
    let data = Resource::new(
        move || (query.get(), live.get(), act.version().get()),
        |(q, _, _)| reengage(q),
    );
    let who = use_viewer();
    view! {
        <PageHeader title="Re-engage" subtitle="Closed-lost deals and churned accounts, most likely to come back first." />
        <RoutedPanel page=RoutePage::Reengage />
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search lost accounts" query />
            <UntrackedToggle path=PATH query />
            <FilterChips
                path=PATH
                query
                options=vec![
                    ("", "To work".to_string()),
                    ("contacted", "Contacted".to_string()),
                    ("snoozed", "Snoozed".to_string()),
                    ("won_back", "Won back".to_string()),
                    ("all", "All".to_string()),
                ]
            />
        </div>
        {move || act.value().get().map(|r| match r {
            Ok(done) => view! { <p class="action-note" role="status" data-testid="winback-result">{done}</p> }.into_any(),
            Err(e) => view! { <p class="field-error" role="alert" data-testid="winback-result">{e.to_string()}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(data.await, move |v| view_page(query, v, can, act))
            })}
        </Transition>
    }
}

fn view_page(query: Memo<ListQuery>, v: ReengageView, can: bool, act: ServerAction<WinbackAction>) -> impl IntoView {
    let q = query.get_untracked();
    let bars = v
        .by_reason
        .iter()
        .map(|(reason, value)| {
            let mut to = q.clone();
            to.reason = reason.as_str().to_string();
            to.page = 1;
            Bar {
                label: reason.label().to_string(),
                value: value.major(),
                display: value.display(),
                color: "#c50f1f",
                href: Some(crate::url::list_href(PATH, &to)),
            }
        })
        .collect::<Vec<_>>();
    let reason_filter = LostReason::parse(&q.reason).map(|r| {
        let mut all = q.clone();
        all.reason.clear();
        all.page = 1;
        view! {
            <p class="active-filter" data-testid="reason-filter">
                {format!("Lost on: {}", r.label())}" "
                <A href=crate::url::list_href(PATH, &all)>"Show every reason"</A>
            </p>
        }
    });
    let rows = v.rows.rows.clone();
    view! {
        <section class="metrics">
            <Metric label="Lost value to win back" value=v.lost_total.display() hint="closed-lost deals and churned ARR not yet won back".to_string() />
            <Metric label="In this view" value=v.rows.total.to_string() />
        </section>
        <BarChart id="lost-by-reason" title="Lost value by reason (click a bar to filter)" bars height=220 />
        <ModelNote model=v.model />
        {reason_filter}
        <Table class="data-table sized" attr:data-testid="reengage-queue">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Account" />
                    <SortHeader path=PATH query key="lost" label="What was lost, when" />
                    <SortHeader path=PATH query key="" label="Likelihood" />
                    <TableHeaderCell>"Why reach out now"</TableHeaderCell>
                    <SortHeader path=PATH query key="value" label="Lost value" />
                    <TableHeaderCell>"Status"</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|r| {
                    let id = r.id;
                    let won = r.status == WinbackStatus::WonBack;
                    let send = move |action: LossAction| { act.dispatch(WinbackAction { winback_id: id, action }); };
                    let status = match r.status {
                        WinbackStatus::Open => "Not contacted yet".to_string(),
                        WinbackStatus::Contacted => format!(
                            "Contacted {}{}",
                            fmt_date(r.contacted_on),
                            r.contacted_by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default()
                        ),
                        WinbackStatus::Snoozed => format!("Snoozed until {}", fmt_date(r.snoozed_until)),
                        WinbackStatus::WonBack => "Won back".to_string(),
                    };
                    view! {
                        <TableRow attr:data-account-id=r.account_id.to_string() attr:data-winback-id=r.id.to_string() attr:data-status=r.status.as_str()>
                            <TableCell class="account-col">
                                <A href=format!("/accounts/{}", r.account_id) attr:class="account-link">{r.account_name.clone()}</A>
                                <div><LifecycleChip lifecycle=r.lifecycle /></div>
                            </TableCell>
                            <TableCell>
                                {r.deal_name.clone()}
                                <div class="muted" data-testid="lost-reason">{format!("{} · {}", r.reason_category.label(), r.reason)}</div>
                                <div class="muted">{format!("lost {}", fmt_date(r.lost_on))}</div>
                            </TableCell>
                            <TableCell class="factors-cell">
                                {r.likelihood.clone().map(|l| view! {
                                    <LikelihoodChip percent=l.percent />
                                    <LikelihoodFactors likelihood=l />
                                })}
                            </TableCell>
                            <TableCell><span class="why-now" data-testid="why-now">{r.why_now.clone().unwrap_or_default()}</span></TableCell>
                            <TableCell class="num">{r.lost_value.display()}</TableCell>
                            <TableCell class="actions-cell">
                                <div class="muted" data-testid="winback-status">{status}</div>
                                <div class="row-actions">
                                    {if won {
                                        view! {
                                            <Button size=ButtonSize::Small appearance=ButtonAppearance::Subtle disabled=!can
                                                on_click=move |_| send(LossAction::Reopen) attr:data-testid="reopen">"Reopen"</Button>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <Button size=ButtonSize::Small disabled=!can
                                                on_click=move |_| send(LossAction::MarkContacted) attr:data-testid="mark-contacted">"Contacted"</Button>
                                            <select class="inline-select" aria-label="Snooze" data-testid="snooze" disabled=!can
                                                on:change=move |ev| {
                                                    if let Ok(days) = event_target_value(&ev).parse::<u32>() {
                                                        send(LossAction::Snooze(days));
                                                    }
                                                }>
                                                <option value="" selected=true>"Snooze…"</option>
                                                <option value="7">"1 week"</option>
                                                <option value="30">"1 month"</option>
                                                <option value="90">"3 months"</option>
                                            </select>
                                            <Button size=ButtonSize::Small appearance=ButtonAppearance::Primary disabled=!can
                                                on_click=move |_| send(LossAction::WonBack) attr:data-testid="won-back">"Won back"</Button>
                                        }.into_any()
                                    }}
                                    <RouteMenu account_id=r.account_id from=RoutePage::Reengage can />
                                </div>
                            </TableCell>
                        </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
        {v.rows.rows.is_empty().then(|| view! { <Empty message="Nothing lost in this view — nothing to win back." /> })}
        <Pager path=PATH query page=v.rows />
    }
}
