//! Pipeline: deals by stage — stage totals and the deal table.

use crate::api::{pipeline, MoveDeal};
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/pipeline";

#[component]
pub fn PipelinePage() -> impl IntoView {
    let query = use_list_query();
    let moves = ServerAction::<MoveDeal>::new();
    let live = crate::live::use_live().any();
    let view_data = Resource::new(
        move || (query.get(), moves.version().get(), live.get()),
        |(q, _, _)| pipeline(q),
    );
    let who = use_viewer();
    view! {
        <PageHeader title="Pipeline" subtitle="Open deals by stage, with closed deals for context." />
        <RoutedPanel page=RoutePage::Pipeline />
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search deals or accounts" query />
            <UntrackedToggle path=PATH query />
        </div>
        {move || moves.value().get().and_then(|r| r.err()).map(|e| view! {
            <div class="form-error" role="alert" data-testid="move-error">{e.to_string()}</div>
        })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can_move = who.can_operate().await;
                loaded(view_data.await, move |v| view_pipeline(query, v, can_move, moves))
            })}
        </Transition>
    }
}

fn view_pipeline(
    query: Memo<ListQuery>,
    v: PipelineView,
    can_move: bool,
    moves: ServerAction<MoveDeal>,
) -> impl IntoView {
    let stage_choices: Vec<(String, String)> = v.stages.iter().map(|s| (s.key.clone(), s.label.clone())).collect();
    let stages = v.stages.clone();
    let all_deals = stages.iter().map(|s| s.deals).sum::<u64>();
    let rows = v.deals.rows.clone();
    view! {
        <section class="stage-strip" data-testid="stage-strip">
            <A href=move || crate::url::list_href(PATH, &ListQuery { q: query.get().q, ..Default::default() })
               attr:class=move || if query.get().filter.is_empty() { "stage-card stage-active" } else { "stage-card" }>
                <div class="stage-label">"All stages"</div>
                <div class="stage-count">{all_deals}" deals"</div>
            </A>
            {stages.into_iter().map(|s| {
                let key = s.key.clone();
                let key_for_active = s.key.clone();
                view! {
                    <A href=move || crate::url::list_href(PATH, &ListQuery { filter: key.clone(), q: query.get().q, ..Default::default() })
                       attr:class=move || format!("stage-card stage-{} {}", s.outcome.as_str(), if query.get().filter == key_for_active { "stage-active" } else { "" })
                       attr:data-stage=s.key.clone()>
                        <div class="stage-label">{s.label.clone()}</div>
                        <div class="stage-count">{format!("{} deals", s.deals)}</div>
                        <div class="stage-amount">{s.amount.display()}</div>
                    </A>
                }
            }).collect_view()}
        </section>
        <Table class="data-table" attr:data-testid="pipeline-table">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Deal" />
                    <TableHeaderCell>"Account"</TableHeaderCell>
                    <TableHeaderCell>"Stage"</TableHeaderCell>
                    <SortHeader path=PATH query key="" label="Amount" />
                    <SortHeader path=PATH query key="close" label="Expected close" />
                    <TableHeaderCell>"Source"</TableHeaderCell>
                    <TableHeaderCell>"Move to"</TableHeaderCell>
                    <TableHeaderCell>""</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|d| {
                    let (deal_id, version) = (d.id, d.version);
                    let locked = d.source == DealSource::Salesbricks;
                    let why = if !can_move {
                        "Viewers and the demo preview cannot move deals"
                    } else if locked {
                        "Salesbricks deals follow their contract; change the stage in Salesbricks"
                    } else {
                        "Move this deal to another stage"
                    };
                    let choices = stage_choices.clone();
                    let current = d.stage.clone();
                    view! {
                    <TableRow attr:data-deal-id=d.id.to_string()>
                        <TableCell>{d.name.clone()}</TableCell>
                        <TableCell><A href=format!("/accounts/{}", d.account_id) attr:class="account-link">{d.account_name.clone()}</A></TableCell>
                        <TableCell>{d.stage_label.clone()}</TableCell>
                        <TableCell class="num">{d.amount.display()}</TableCell>
                        <TableCell>{fmt_date(d.expected_close)}</TableCell>
                        <TableCell>{d.source.label()}</TableCell>
                        <TableCell>
                            <select class="inline-select" data-testid="move-deal" aria-label="Move to stage" title=why
                                disabled=!can_move || locked
                                on:change=move |ev| {
                                    moves.dispatch(MoveDeal { deal_id, stage: event_target_value(&ev), version });
                                }>
                                {choices.into_iter().map(|(key, label)| {
                                    let selected = key == current;
                                    view! { <option value=key selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                        </TableCell>
                        <TableCell><RouteMenu account_id=d.account_id from=RoutePage::Pipeline can=can_move /></TableCell>
                    </TableRow>
                }}).collect_view()}
            </TableBody>
        </Table>
        {v.deals.rows.is_empty().then(|| view! { <Empty message="No deals in this view." /> })}
        <Pager path=PATH query page=v.deals />
    }
}
