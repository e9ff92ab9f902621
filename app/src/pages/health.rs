//! Health: the renewal-and-risk queue.

use super::chart::{Bar, BarChart};
use crate::api::{health_queue, health_summary, RescoreNow};
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/health";

#[component]
pub fn HealthPage() -> impl IntoView {
    let query = use_list_query();
    let rescore = ServerAction::<RescoreNow>::new();
    // Refetch after our own rescore and whenever the server announces a change.
    let live = crate::live::use_live().any();
    let summary = Resource::new(move || (rescore.version().get(), live.get()), |_| health_summary());
    let queue = Resource::new(
        move || (query.get(), rescore.version().get(), live.get()),
        |(q, _, _)| health_queue(q),
    );
    let who = use_viewer();

    view! {
        <PageHeader title="Health" subtitle="Who is at risk, and why: every score explained by its evidence." />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let manager = matches!(who.0.await, Ok(v) if v.can_manage());
                manager.then(|| view! {
                    <div class="page-actions">
                        <Button size=ButtonSize::Small loading=rescore.pending() on_click=move |_| { rescore.dispatch(RescoreNow {}); }
                            attr:data-testid="rescore">"Rescore now"</Button>
                        {move || rescore.value().get().map(|r| match r {
                            Ok(n) => format!("Rescored: {n} accounts changed."),
                            Err(e) => e.to_string(),
                        })}
                    </div>
                })
            })}
        </Transition>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move { loaded(summary.await, move |s| summary_view(query, s)) })}
        </Transition>
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search accounts by name or domain" query />
            <BandChips query />
        </div>
        <div class="list-controls">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let s = summary.await.ok();
                    let untracked = s.as_ref().map(|s| s.untracked).unwrap_or(0);
                    let owners = s.map(|s| s.owners).unwrap_or_default();
                    view! {
                        <ListSelects path=PATH query owners />
                        <FilterChips
                            path=PATH
                            query
                            options=vec![
                                ("", "All tracked".to_string()),
                                ("customer", "Customers".to_string()),
                                ("trial", "Trials".to_string()),
                                ("untracked", format!("Show untracked ({untracked})")),
                            ]
                        />
                    }
                })}
            </Transition>
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(queue.await, move |page| queue_view(query, page, can))
            })}
        </Transition>
    }
}

/// Band filter chips (`band` in the URL), independent of the other filters.
#[component]
fn BandChips(query: Memo<ListQuery>) -> impl IntoView {
    let options = [
        ("", "Any health"),
        ("red", "Critical"),
        ("amber", "At risk"),
        ("at_risk", "Critical + at risk"),
        ("green", "Healthy"),
    ];
    view! {
        <div class="filter-chips" role="group" aria-label="Health band">
            {options.into_iter().map(|(key, label)| {
                let href = move || {
                    let mut q = query.get();
                    q.band = key.to_string();
                    q.bucket = String::new();
                    q.page = 1;
                    crate::url::list_href(PATH, &q)
                };
                let class = move || {
                    let active = query.get().band == key && (!key.is_empty() || query.get().bucket.is_empty());
                    format!("chip chip-band-{} {}", if key.is_empty() { "any" } else { key }, if active { "chip-active" } else { "" })
                };
                view! { <A href=href attr:class=class>{label}</A> }
            }).collect_view()}
            {move || (!query.get().bucket.is_empty()).then(|| {
                let mut q = query.get();
                let from = q.bucket.clone();
                q.bucket = String::new();
                view! {
                    <A href=crate::url::list_href(PATH, &q) attr:class="chip chip-active" attr:data-testid="bucket-filter">
                        {format!("Score {from}–{} ✕", from.parse::<i32>().map(|f| if f >= 90 { 100 } else { f + 9 }).unwrap_or(0))}
                    </A>
                }
            })}
        </div>
    }
}

/// One bar of the ARR-by-score chart (Health, the office screen); `href`: where a click leads.
pub(crate) fn score_bar(b: &ScoreBucket, href: Option<String>) -> Bar {
    Bar {
        label: if b.from == 90 {
            "90–100".into()
        } else {
            format!("{}–{}", b.from, b.from + 9)
        },
        value: b.arr.major(),
        display: format!("{} in {} accounts", b.arr.display(), b.accounts),
        color: band_color(b.band),
        href,
    }
}

fn band_color(band: crate::scoring::Band) -> &'static str {
    match band {
        crate::scoring::Band::Red => "#c50f1f",
        crate::scoring::Band::Amber => "#e8a33d",
        crate::scoring::Band::Green => "#107c10",
    }
}

fn summary_view(query: Memo<ListQuery>, s: HealthSummary) -> impl IntoView {
    let base = query.get_untracked();
    let distribution = s
        .score_buckets
        .iter()
        .map(|b| {
            let mut q = ListQuery {
                page: 1,
                band: String::new(),
                sort: String::new(),
                ..base.clone()
            };
            q.bucket = b.from.to_string();
            score_bar(b, Some(crate::url::list_href(PATH, &q)))
        })
        .collect::<Vec<_>>();
    let count = |band| s.bands.iter().find(|b| b.band == band).map(|b| b.accounts).unwrap_or(0);
    // A summary figure opens the queue filtered to what it counts.
    let filtered = |set: fn(&mut ListQuery)| {
        let mut q = ListQuery::default();
        set(&mut q);
        crate::url::list_href(PATH, &q)
    };
    let (red, amber, green) = (
        count(crate::scoring::Band::Red),
        count(crate::scoring::Band::Amber),
        count(crate::scoring::Band::Green),
    );
    let bars = s
        .renewal_months
        .iter()
        .map(|(month, arr)| Bar {
            label: month.clone(),
            value: arr.major(),
            display: arr.display(),
            color: "#0f6cbd",
            href: None,
        })
        .collect::<Vec<_>>();
    view! {
        <section class="metrics" data-testid="health-summary">
            <Metric label="Monitored accounts" value=s.accounts.to_string() hint=format!("{} untracked; churned ones are in Re-engage", s.untracked) />
            <Metric label="Total ARR" value=s.total_arr.display() />
            <Metric label="ARR at risk" value=s.arr_at_risk.display() hint=format!("{} accounts critical or at risk", red + amber)
                href=filtered(|q| q.band = "at_risk".into()) />
            <div class="metric" data-testid="band-counts">
                <div class="metric-label">"Critical / at risk / healthy"</div>
                <div class="metric-value metric-value-wrap">
                    <span class="band-red">{red}</span>" / "<span class="band-amber">{amber}</span>" / "<span class="band-green">{green}</span>
                </div>
                {(s.unscored > 0).then(|| view! { <div class="metric-hint">{format!("{} not scored yet", s.unscored)}</div> })}
            </div>
            <Metric
                label="Renewing in 30 / 60 / 90 days"
                value=format!("{} · {} · {}", s.renewals_30, s.renewals_60, s.renewals_90)
                hint=format!("{} ARR up for renewal within 90 days", s.arr_renewing_90.display())
                href=filtered(|q| q.renewal = "90".into())
            />
            <Metric label="Payment problems" value=s.payment_problems.to_string() hint="past due or failed".to_string()
                href=filtered(|q| q.payment = "problem".into()) />
        </section>
        <div class="two-columns even charts">
            <BarChart id="score-chart" title="ARR by health score (click a bar to filter)" bars=distribution />
            <BarChart id="renewal-chart" title="ARR up for renewal, next 12 months" bars />
        </div>
    }
}

fn queue_view(query: Memo<ListQuery>, page: Page<AccountRow>, can: bool) -> impl IntoView {
    let rows = page.rows.clone();
    view! {
        <Table class="data-table" attr:data-testid="health-queue">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Account" />
                    <SortHeader path=PATH query key="" label="Health" />
                    <TableHeaderCell>"Top risks"</TableHeaderCell>
                    <TableHeaderCell>"Stage"</TableHeaderCell>
                    <SortHeader path=PATH query key="arr" label="ARR" />
                    <SortHeader path=PATH query key="renewal" label="Renewal" />
                    <TableHeaderCell>"Payment"</TableHeaderCell>
                    <TableHeaderCell>"Owner"</TableHeaderCell>
                    <th class="thaw-table-header-cell" scope="col"><span class="sr-only">"Actions"</span></th>
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
                                <TableCell><ScoreChip score=a.score band=a.band override_band=a.override_band /></TableCell>
                                <TableCell class="risks">
                                    {a.risks.iter().cloned().map(|f| view! { <FactorLine factor=f compact=true /> }).collect_view()}
                                </TableCell>
                                <TableCell><LifecycleChip lifecycle=a.lifecycle /></TableCell>
                                <TableCell class="num">{a.arr.display()}</TableCell>
                                <TableCell>{fmt_date(a.renewal_date)}</TableCell>
                                <TableCell><PaymentChip state=a.payment_state /></TableCell>
                                <TableCell>{a.owner_name.clone().unwrap_or_else(|| "Unassigned".into())}</TableCell>
                                <TableCell><RouteMenu account_id=a.id from=RoutePage::Health can /></TableCell>
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
