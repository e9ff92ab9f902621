//! Re-engage: closed-lost deals and churned accounts worth a winback.

use super::chart::{Bar, BarChart};
use crate::api::reengage;
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
    let data = Resource::new(move || (query.get(), live.get()), |(q, _)| reengage(q));
    let who = use_viewer();
    view! {
        <PageHeader title="Re-engage" subtitle="Closed-lost deals and churned accounts, largest lost value first." />
        <RoutedPanel page=RoutePage::Reengage />
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search lost accounts" query />
            <UntrackedToggle path=PATH query />
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(data.await, move |v| view_page(query, v, can))
            })}
        </Transition>
    }
}

fn view_page(query: Memo<ListQuery>, v: ReengageView, can: bool) -> impl IntoView {
    let bars = v
        .by_reason
        .iter()
        .map(|(reason, value)| Bar {
            label: reason.clone(),
            value: value.minor as f64 / 100.0,
            display: value.display(),
            color: "#c50f1f",
            href: None,
        })
        .collect::<Vec<_>>();
    let rows = v.rows.rows.clone();
    view! {
        <section class="metrics">
            <Metric label="Lost value" value=v.lost_total.display() hint="closed-lost deals and churned ARR".to_string() />
            <Metric label="Lost opportunities" value=v.rows.total.to_string() />
        </section>
        <BarChart id="lost-by-reason" title="Lost value by reason" bars height=220 />
        <Table class="data-table" attr:data-testid="reengage-queue">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Account" />
                    <TableHeaderCell>"What was lost"</TableHeaderCell>
                    <TableHeaderCell>"Reason"</TableHeaderCell>
                    <SortHeader path=PATH query key="lost" label="Lost on" />
                    <SortHeader path=PATH query key="" label="Lost value" />
                    <TableHeaderCell>""</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|r| view! {
                    <TableRow attr:data-account-id=r.account_id.to_string()>
                        <TableCell>
                            <A href=format!("/accounts/{}", r.account_id) attr:class="account-link">{r.account_name.clone()}</A>
                            <div><LifecycleChip lifecycle=r.lifecycle /></div>
                        </TableCell>
                        <TableCell>{r.deal_name.clone()}</TableCell>
                        <TableCell>{r.reason.clone()}</TableCell>
                        <TableCell>{fmt_date(r.lost_on)}</TableCell>
                        <TableCell class="num">{r.lost_value.display()}</TableCell>
                        <TableCell><RouteMenu account_id=r.account_id from=RoutePage::Reengage can /></TableCell>
                    </TableRow>
                }).collect_view()}
            </TableBody>
        </Table>
        {v.rows.rows.is_empty().then(|| view! { <Empty message="Nothing lost — nothing to win back." /> })}
        <Pager path=PATH query page=v.rows />
    }
}
