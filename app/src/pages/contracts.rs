//! Contracts: every Salesbricks contract and Stripe subscription in one table, with totals, a CSV
//! export of exactly what is shown, and each contract's invoice timeline in a drawer.

use crate::api::{contract_invoices, contracts};
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
    // The contract whose invoices the drawer shows — (id, account, plan) — and whether it is open.
    let drawer = RwSignal::new(None::<(i64, String, String)>);
    let open = RwSignal::new(false);
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
                    ("", "All sources".to_string()),
                    ("salesbricks", "Salesbricks".to_string()),
                    ("stripe", "Stripe".to_string()),
                ]
            />
            <a class="chip" data-testid="export-csv" rel="external" download="contracts.csv"
                href=move || crate::url::list_href("/api/export/contracts.csv", &ListQuery { page: 1, ..query.get() })>
                "Export CSV"
            </a>
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(list.await, move |v| view_page(query, v, can, drawer, open))
            })}
        </Transition>
        <InvoiceDrawer drawer open />
    }
}

fn view_page(
    query: Memo<ListQuery>,
    v: ContractsView,
    can: bool,
    drawer: RwSignal<Option<(i64, String, String)>>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let page = v.rows;
    let rows = page.rows.clone();
    view! {
        <section class="metrics" data-testid="contract-totals">
            <Metric label="MRR" value=v.mrr_total.display() hint="of the contracts shown, counted once".to_string() />
            <Metric label="ARR" value=v.arr_total.display() hint="MRR × 12".to_string() />
            <Metric label="Contracts" value=page.total.to_string() />
        </section>
        <ListSelects path=PATH query owners=v.owners />
        <Table class="data-table sized" attr:data-testid="contracts-table">
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
                    <th class="thaw-table-header-cell" scope="col"><span class="sr-only">"Actions"</span></th>
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
                    let contract = (r.id, r.account_name.clone(), r.plan.clone());
                    view! {
                        <TableRow attr:data-account-id=r.account_id.to_string() attr:data-contract-id=r.id.to_string()>
                            <TableCell class="account-col">
                                <A href=format!("/accounts/{}", r.account_id) attr:class="account-link">{r.account_name.clone()}</A>
                                <div class="muted">{r.owner_name.clone().unwrap_or_else(|| "Unassigned".into())}</div>
                            </TableCell>
                            <TableCell>{r.source.label()}<div class="muted">{format!("{} · {}", r.plan, r.billing_interval.label())}</div></TableCell>
                            <TableCell>{r.status.clone()}</TableCell>
                            <TableCell>
                                <PaymentChip state=r.payment_state />
                                {(r.failed_attempts > 0).then(|| view! {
                                    <div class="muted" data-testid="attempts">{format!("{} collection attempt{}", r.failed_attempts, if r.failed_attempts == 1 { "" } else { "s" })}</div>
                                })}
                            </TableCell>
                            <TableCell class="num">{r.mrr.display()}</TableCell>
                            <TableCell class="num">{arr}</TableCell>
                            <TableCell class="date-col">{fmt_date(Some(r.start_date))}</TableCell>
                            <TableCell class="date-col">{fmt_date(r.renewal_date.or(r.end_date))}<div class="muted">{fmt_days(r.days_to_renewal)}</div></TableCell>
                            <TableCell>{renews}</TableCell>
                            <TableCell class="actions-cell">
                                <div class="row-actions">
                                    <Button size=ButtonSize::Small appearance=ButtonAppearance::Subtle
                                        on_click=move |_| {
                                            drawer.set(Some(contract.clone()));
                                            open.set(true);
                                        }
                                        attr:data-testid="show-invoices">"Invoices"</Button>
                                    <RouteMenu account_id=r.account_id from=RoutePage::Contracts can />
                                </div>
                            </TableCell>
                        </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
        {page.rows.is_empty().then(|| view! { <Empty message="No contracts match this view." /> })}
        <Pager path=PATH query page />
    }
}

/// The invoice timeline of one contract, newest first.
#[component]
fn InvoiceDrawer(drawer: RwSignal<Option<(i64, String, String)>>, open: RwSignal<bool>) -> impl IntoView {
    let invoices = Resource::new(
        move || drawer.get().map(|(id, _, _)| id),
        |id| async move {
            match id {
                Some(id) => contract_invoices(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <OverlayDrawer open position=DrawerPosition::Right size=DrawerSize::Medium attr:data-testid="invoice-drawer">
            <DrawerHeader>
                <DrawerHeaderTitle>
                    <DrawerHeaderTitleAction slot>
                        <Button appearance=ButtonAppearance::Subtle on_click=move |_| open.set(false) attr:aria-label="Close">"✕"</Button>
                    </DrawerHeaderTitleAction>
                    {move || drawer.get().map(|(_, account, plan)| format!("{account} · {plan}")).unwrap_or_default()}
                </DrawerHeaderTitle>
            </DrawerHeader>
            <DrawerBody>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        loaded(invoices.await, |list| match list {
                            None => ().into_any(),
                            Some(list) if list.is_empty() => view! { <Empty message="No invoices for this contract yet." /> }.into_any(),
                            Some(list) => view! {
                                <ol class="invoice-timeline" data-testid="invoice-timeline">
                                    {list.into_iter().map(|i| {
                                        let status = i.status;
                                        view! {
                                            <li class="invoice-event" data-status=status.as_str()>
                                                <div class="invoice-when">{fmt_date(Some(i.issued_on))}</div>
                                                <div>
                                                    <strong>{i.amount_due.display()}</strong>" "
                                                    <span class="invoice-status">{status.label()}</span>
                                                    <div class="muted">
                                                        {match (status, i.paid_on, i.due_on) {
                                                            (InvoiceStatus::Paid, Some(paid), _) => format!("paid {}", fmt_date(Some(paid))),
                                                            (InvoiceStatus::Open, _, Some(due)) => format!(
                                                                "{} remaining · due {}{}",
                                                                i.amount_remaining.display(),
                                                                fmt_date(Some(due)),
                                                                if i.attempt_count > 0 { format!(" · {} collection attempts", i.attempt_count) } else { String::new() }
                                                            ),
                                                            _ => i.external_id.clone(),
                                                        }}
                                                    </div>
                                                </div>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any(),
                        })
                    })}
                </Transition>
            </DrawerBody>
        </OverlayDrawer>
    }
}
