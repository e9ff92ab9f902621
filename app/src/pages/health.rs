//! Health: the renewal-and-risk queue.

use super::chart::{Bar, BarChart};
use crate::api::{health_queue, health_summary};
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/health";

#[component]
pub fn HealthPage() -> impl IntoView {
    let query = use_list_query();
    let summary = Resource::new(|| (), |_| health_summary());
    let queue = Resource::new(move || query.get(), health_queue);

    view! {
        <PageHeader title="Health" subtitle="Accounts by ARR, renewal pressure and payment state." />
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move { loaded(summary.await, summary_view) })}
        </Transition>
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search accounts by name or domain" query />
            <FilterChips
                path=PATH
                query
                options=vec![
                    ("", "All tracked".to_string()),
                    ("renewing_90", "Renewing in 90 days".to_string()),
                    ("payment_problem", "Payment problems".to_string()),
                    ("customer", "Customers".to_string()),
                    ("trial", "Trials".to_string()),
                    ("untracked", "Untracked".to_string()),
                ]
            />
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move { loaded(queue.await, move |page| queue_view(query, page)) })}
        </Transition>
    }
}

fn summary_view(s: HealthSummary) -> impl IntoView {
    let bars = s
        .renewal_months
        .iter()
        .map(|(month, arr)| Bar {
            label: month.clone(),
            value: arr.minor as f64 / 100.0,
            display: arr.display(),
            color: "#0f6cbd",
        })
        .collect::<Vec<_>>();
    view! {
        <section class="metrics" data-testid="health-summary">
            <Metric label="Tracked accounts" value=s.accounts.to_string() hint=format!("{} untracked", s.untracked) />
            <Metric label="Total ARR" value=s.total_arr.display() />
            <Metric
                label="Renewing in 30 / 60 / 90 days"
                value=format!("{} / {} / {}", s.renewals_30, s.renewals_60, s.renewals_90)
                hint=format!("{} ARR up for renewal within 90 days", s.arr_renewing_90.display())
            />
            <Metric label="Payment problems" value=s.payment_problems.to_string() hint="past due or failed".to_string() />
        </section>
        <BarChart id="renewal-chart" title="ARR up for renewal, next 12 months" bars />
    }
}

fn queue_view(query: Memo<ListQuery>, page: Page<AccountRow>) -> impl IntoView {
    let rows = page.rows.clone();
    view! {
        <Table class="data-table" attr:data-testid="health-queue">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Account" />
                    <TableHeaderCell>"Stage"</TableHeaderCell>
                    <SortHeader path=PATH query key="" label="ARR" />
                    <SortHeader path=PATH query key="renewal" label="Renewal" />
                    <TableHeaderCell>"Payment"</TableHeaderCell>
                    <TableHeaderCell>"Owner"</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows
                    .into_iter()
                    .map(|a| {
                        view! {
                            <TableRow attr:data-account-id=a.id.to_string()>
                                <TableCell>
                                    <A href=format!("/accounts/{}", a.id) attr:class="account-link">{a.name.clone()}</A>
                                    <div class="muted">{a.domain.clone().unwrap_or_default()}</div>
                                </TableCell>
                                <TableCell><LifecycleChip lifecycle=a.lifecycle /></TableCell>
                                <TableCell class="num">{a.arr.display()}</TableCell>
                                <TableCell>{fmt_date(a.renewal_date)}</TableCell>
                                <TableCell><PaymentChip state=a.payment_state /></TableCell>
                                <TableCell>{a.owner_name.clone().unwrap_or_else(|| "Unassigned".into())}</TableCell>
                            </TableRow>
                        }
                    })
                    .collect_view()}
            </TableBody>
        </Table>
        {page.rows.is_empty().then(|| view! { <Empty message="No accounts match this view." /> })}
        <Pager path=PATH query page />
    }
}
