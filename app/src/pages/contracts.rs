//! Contracts: every Salesbricks contract and Stripe subscription in one table.

use crate::api::contracts;
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/contracts";

#[component]
pub fn ContractsPage() -> impl IntoView {
    let query = use_list_query();
    let live = crate::live::use_live().any();
    let list = Resource::new(move || (query.get(), live.get()), |(q, _)| contracts(q));
    let who = use_viewer();
    view! {
        <PageHeader title="Contracts" subtitle="Salesbricks contracts and Stripe subscriptions, by renewal date." />
        <RoutedPanel page=RoutePage::Contracts />
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search by account or plan" query />
            <UntrackedToggle path=PATH query />
            <FilterChips
                path=PATH
                query
                options=vec![
                    ("", "All".to_string()),
                    ("renewing_30", "Renewing in 30 days".to_string()),
                    ("renewing_90", "Renewing in 90 days".to_string()),
                    ("payment_problem", "Payment problems".to_string()),
                    ("salesbricks", "Salesbricks".to_string()),
                    ("stripe", "Stripe".to_string()),
                ]
            />
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(list.await, move |page| view_page(query, page, can))
            })}
        </Transition>
    }
}

fn view_page(query: Memo<ListQuery>, page: Page<RevenueSourceRow>, can: bool) -> impl IntoView {
    let rows = page.rows.clone();
    view! {
        <Table class="data-table" attr:data-testid="contracts-table">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Account" />
                    <TableHeaderCell>"Source · plan"</TableHeaderCell>
                    <TableHeaderCell>"Status"</TableHeaderCell>
                    <TableHeaderCell>"Payment"</TableHeaderCell>
                    <SortHeader path=PATH query key="mrr" label="MRR" />
                    <TableHeaderCell>"ARR"</TableHeaderCell>
                    <TableHeaderCell>"Start"</TableHeaderCell>
                    <SortHeader path=PATH query key="" label="Renewal / end" />
                    <TableHeaderCell>"Renews"</TableHeaderCell>
                    <TableHeaderCell>""</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|r| {
                    let arr = r.arr().display();
                    let renews = if r.cancel_at_period_end {
                        "Cancels at period end"
                    } else if r.auto_renew {
                        "Auto-renews"
                    } else {
                        "Manual renewal"
                    };
                    view! {
                        <TableRow attr:data-account-id=r.account_id.to_string()>
                            <TableCell>
                                <A href=format!("/accounts/{}", r.account_id) attr:class="account-link">{r.account_name.clone()}</A>
                            </TableCell>
                            <TableCell>{r.source.label()}<div class="muted">{format!("{} · {}", r.plan, r.billing_interval.label())}</div></TableCell>
                            <TableCell>{r.status.clone()}</TableCell>
                            <TableCell><PaymentChip state=r.payment_state /></TableCell>
                            <TableCell class="num">{r.mrr.display()}</TableCell>
                            <TableCell class="num">{arr}</TableCell>
                            <TableCell>{fmt_date(Some(r.start_date))}</TableCell>
                            <TableCell>{fmt_date(r.renewal_date.or(r.end_date))}<div class="muted">{fmt_days(r.days_to_renewal)}</div></TableCell>
                            <TableCell>{renews}</TableCell>
                            <TableCell><RouteMenu account_id=r.account_id from=RoutePage::Contracts can /></TableCell>
                        </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
        {page.rows.is_empty().then(|| view! { <Empty message="No contracts match this view." /> })}
        <Pager path=PATH query page />
    }
}
