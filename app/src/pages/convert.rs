//! Convert: trial and prospect accounts, soonest-ending trials first.

use crate::api::convert_queue;
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/convert";

#[component]
pub fn ConvertPage() -> impl IntoView {
    let query = use_list_query();
    let live = crate::live::use_live().any();
    let queue = Resource::new(move || (query.get(), live.get()), |(q, _)| convert_queue(q));
    let who = use_viewer();
    view! {
        <PageHeader title="Convert" subtitle="Running trials, soonest to end first, with their activation so far." />
        <RoutedPanel page=RoutePage::Convert />
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search trial accounts" query />
            <UntrackedToggle path=PATH query />
            <FilterChips
                path=PATH
                query
                options=vec![
                    ("", "Running trials".to_string()),
                    ("ending_7", "Ending within 7 days".to_string()),
                    ("all", "All trials, including decided".to_string()),
                ]
            />
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(queue.await, move |page| view_page(query, page, can))
            })}
        </Transition>
    }
}

fn view_page(query: Memo<ListQuery>, page: Page<TrialRow>, can: bool) -> impl IntoView {
    let rows = page.rows.clone();
    view! {
        <Table class="data-table" attr:data-testid="convert-queue">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Account" />
                    <SortHeader path=PATH query key="" label="Trial ends" />
                    <TableHeaderCell>"Seats"</TableHeaderCell>
                    <SortHeader path=PATH query key="activation" label="Activation events" />
                    <TableHeaderCell>"Active last week"</TableHeaderCell>
                    <TableHeaderCell>"Deal stage"</TableHeaderCell>
                    <TableHeaderCell>"Potential ARR"</TableHeaderCell>
                    <TableHeaderCell>""</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|t| view! {
                    <TableRow attr:data-account-id=t.account_id.to_string()>
                        <TableCell>
                            <A href=format!("/accounts/{}", t.account_id) attr:class="account-link">{t.account_name.clone()}</A>
                            <div class="muted">{format!("started {}", fmt_date(Some(t.started_on)))}</div>
                        </TableCell>
                        <TableCell>
                            {fmt_date(Some(t.ends_on))}
                            <div class={if t.days_left <= 7 && t.days_left >= 0 { "urgent" } else { "muted" }}>{fmt_days(Some(t.days_left))}</div>
                        </TableCell>
                        <TableCell class="num">{t.seats}</TableCell>
                        <TableCell class="num">{t.activation_events}</TableCell>
                        <TableCell class="num">{t.active_users_last_week.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</TableCell>
                        <TableCell>{t.deal_stage.clone().unwrap_or_else(|| "No deal".into())}</TableCell>
                        <TableCell class="num">{t.potential_arr.display()}</TableCell>
                        <TableCell><RouteMenu account_id=t.account_id from=RoutePage::Convert can /></TableCell>
                    </TableRow>
                }).collect_view()}
            </TableBody>
        </Table>
        {page.rows.is_empty().then(|| view! { <Empty message="No trials match this view." /> })}
        <Pager path=PATH query page />
    }
}
