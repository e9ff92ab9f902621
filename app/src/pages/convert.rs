//! Convert: running trials and prospects that are not trialling, ranked by priority — conversion
//! likelihood × urgency × potential ARR — each likelihood explained by its factors.

use super::settings::SyncBar;
use crate::api::{convert_queue, SyncBilling};
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/convert";

#[component]
pub fn ConvertPage() -> impl IntoView {
    let query = use_list_query();
    let live = crate::live::use_live();
    let changes = live.any();
    let queue = Resource::new(move || (query.get(), changes.get()), |(q, _)| convert_queue(q));
    let who = use_viewer();
    view! {
        <PageHeader
            title="Convert"
            subtitle="Running trials and prospects, most worth your time first: likelihood to convert × urgency × potential ARR."
        />
        <RoutedPanel page=RoutePage::Convert />
        <BillingSync who />
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search trials and prospects" query />
            <UntrackedToggle path=PATH query />
            <FilterChips
                path=PATH
                query
                options=vec![
                    ("", "Trials and prospects".to_string()),
                    ("trials", "Running trials".to_string()),
                    ("prospects", "Prospects without a trial".to_string()),
                    ("likely", "Likely to convert (60%+)".to_string()),
                    ("ending_7", "Trials ending within 7 days".to_string()),
                    ("all", "All, including decided trials".to_string()),
                ]
            />
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(queue.await, move |v| view_page(query, v, can))
            })}
        </Transition>
    }
}

/// "Sync from Salesbricks + Stripe", with the live progress of whichever of the two is running.
#[component]
fn BillingSync(who: ViewerContext) -> impl IntoView {
    let sync = ServerAction::<SyncBilling>::new();
    let live = crate::live::use_live();
    let progress = Memo::new(move |_| {
        live.sync
            .get()
            .filter(|p| (p.source == "stripe" || p.source == "salesbricks") && !p.finished)
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                view! {
                    <div class="billing-sync">
                        <Button
                            appearance=ButtonAppearance::Secondary
                            disabled=Signal::derive(move || !can || sync.pending().get())
                            on_click=move |_| { sync.dispatch(SyncBilling {}); }
                            attr:data-testid="sync-billing"
                            attr:title=if can { "Fetch the latest trials, contracts and payments" } else { "Viewers and the demo preview cannot start a sync" }
                        >
                            "Sync from Salesbricks + Stripe"
                        </Button>
                        {move || sync.value().get().map(|r| match r {
                            Ok(runs) => view! {
                                <span class="muted" data-testid="sync-billing-result">{format!("{} sync{} started.", runs.len(), if runs.len() == 1 { "" } else { "s" })}</span>
                            }.into_any(),
                            Err(e) => view! { <span class="field-error" data-testid="sync-billing-result">{e.to_string()}</span> }.into_any(),
                        })}
                        {move || progress.get().map(|p| view! { <SyncBar progress=p /> })}
                    </div>
                }
            })}
        </Transition>
    }
}

fn view_page(query: Memo<ListQuery>, v: ConvertView, can: bool) -> impl IntoView {
    let page = v.candidates;
    let rows = page.rows.clone();
    view! {
        <ModelNote model=v.model />
        <Table class="data-table sized" attr:data-testid="convert-queue">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Account" />
                    <SortHeader path=PATH query key="likelihood" label="Likelihood" />
                    <TableHeaderCell>"What drives it"</TableHeaderCell>
                    <SortHeader path=PATH query key="ends" label="Trial ends" />
                    <TableHeaderCell>"Deal stage"</TableHeaderCell>
                    <TableHeaderCell>"Potential ARR"</TableHeaderCell>
                    <SortHeader path=PATH query key="" label="Priority" />
                    <th class="thaw-table-header-cell" scope="col"><span class="sr-only">"Actions"</span></th>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|t| {
                    let percent = t.likelihood.as_ref().map(|l| l.percent);
                    let factors = t.likelihood.clone();
                    let kind = if t.trial.is_some() { "trial" } else { "prospect" };
                    let detail = match &t.trial {
                        Some(trial) => format!("trial started {} · {} invited · {} activation events", fmt_date(Some(trial.started_on)), trial.seats, trial.activation_events),
                        None => match t.active_users_last_week {
                            Some(n) if n > 0 => format!("prospect, no trial · {n} active last week"),
                            _ => "prospect, no trial".to_string(),
                        },
                    };
                    let trial = t.trial.clone();
                    view! {
                    <TableRow attr:data-account-id=t.account_id.to_string() attr:data-kind=kind>
                        <TableCell class="account-col">
                            <A href=format!("/accounts/{}", t.account_id) attr:class="account-link">{t.account_name.clone()}</A>
                            <div class="muted">{detail}</div>
                        </TableCell>
                        <TableCell>
                            {match percent {
                                Some(p) => view! { <LikelihoodChip percent=p /> }.into_any(),
                                None => view! { <span class="muted">"not scored yet"</span> }.into_any(),
                            }}
                        </TableCell>
                        <TableCell class="factors-cell">
                            {factors.map(|l| view! { <LikelihoodFactors likelihood=l /> })}
                        </TableCell>
                        <TableCell class="date-col">
                            {match trial {
                                Some(trial) => view! {
                                    {fmt_date(Some(trial.ends_on))}
                                    <div class={if trial.days_left <= 7 { "urgent" } else { "muted" }} data-testid="days-left">{fmt_days(Some(trial.days_left))}</div>
                                }.into_any(),
                                None => view! { <span class="muted" data-testid="no-trial">"No trial"</span> }.into_any(),
                            }}
                        </TableCell>
                        <TableCell>{t.deal_stage.clone().unwrap_or_else(|| "No deal".into())}</TableCell>
                        <TableCell class="num">{t.potential_arr.display()}</TableCell>
                        <TableCell class="num" attr:title="likelihood × urgency × potential ARR" attr:data-testid="priority">{t.priority.display()}</TableCell>
                        <TableCell><RouteMenu account_id=t.account_id from=RoutePage::Convert can /></TableCell>
                    </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
        {page.rows.is_empty().then(|| view! { <Empty message="No trials or prospects match this view." /> })}
        <Pager path=PATH query page />
    }
}
