//! Close the Loop: customer feature requests beside the releases that shipped.

use crate::api::close_the_loop;
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/close-the-loop";

#[component]
pub fn CloseTheLoopPage() -> impl IntoView {
    let query = use_list_query();
    let data = Resource::new(move || query.get(), close_the_loop);
    view! {
        <PageHeader title="Close the Loop" subtitle="What customers asked for, and what has shipped since." />
        <div class="list-controls">
            <SearchBar path=PATH placeholder="Search requests" query />
        </div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move { loaded(data.await, move |v| view_page(query, v)) })}
        </Transition>
    }
}

fn view_page(query: Memo<ListQuery>, v: CloseTheLoopView) -> impl IntoView {
    let rows = v.requests.rows.clone();
    view! {
        <div class="two-columns">
            <section>
                <h2>"Feature requests"</h2>
                <Table class="data-table" attr:data-testid="requests-table">
                    <TableHeader>
                        <TableRow>
                            <SortHeader path=PATH query key="name" label="Account" />
                            <TableHeaderCell>"Project"</TableHeaderCell>
                            <TableHeaderCell>"Request"</TableHeaderCell>
                            <SortHeader path=PATH query key="" label="Asked" />
                        </TableRow>
                    </TableHeader>
                    <TableBody>
                        {rows.into_iter().map(|r| view! {
                            <TableRow>
                                <TableCell>
                                    <A href=format!("/accounts/{}", r.account_id) attr:class="account-link">{r.account_name.clone()}</A>
                                    <div class="muted">{r.requester.clone().unwrap_or_default()}</div>
                                </TableCell>
                                <TableCell>{r.project.clone()}</TableCell>
                                <TableCell class="quote">{format!("“{}”", r.quote)}</TableCell>
                                <TableCell>{fmt_date(Some(r.requested_on))}</TableCell>
                            </TableRow>
                        }).collect_view()}
                    </TableBody>
                </Table>
                {v.requests.rows.is_empty().then(|| view! { <Empty message="No feature requests match." /> })}
                <Pager path=PATH query page=v.requests />
            </section>
            <section>
                <h2>"Recently shipped"</h2>
                <ul class="release-list" data-testid="release-list">
                    {v.releases.into_iter().map(|r| view! {
                        <li>
                            <div class="release-head">
                                <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Success>{r.source.label()}</Badge>
                                <strong>{r.title.clone()}</strong>
                                <span class="muted">{fmt_date(Some(r.published_on))}</span>
                            </div>
                            <div class="release-body">{r.body.clone()}</div>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </div>
    }
}
