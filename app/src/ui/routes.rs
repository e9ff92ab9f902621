//! Routing accounts between workflow pages: the "Route to…" menu and the routed-here panel.

use super::*;

/// The outcome of the routes made in this browser, by account. Kept in the shell rather than in
/// each menu, so a row re-rendered by a live update still shows where its account went.
#[derive(Clone, Copy)]
pub struct RecentRoutes(pub RwSignal<std::collections::HashMap<i64, Result<RouteRow, AppError>>>);

/// "Route to…": sends the account to another workflow page (disabled for viewers and the demo).
#[component]
pub fn RouteMenu(account_id: i64, from: RoutePage, can: bool) -> impl IntoView {
    let recent = use_context::<RecentRoutes>()
        .unwrap_or_else(|| RecentRoutes(RwSignal::new(Default::default())))
        .0;
    let choice = RwSignal::new(String::new());
    let title = if can {
        "Send this account to another page"
    } else {
        "Viewers and the demo preview cannot route accounts"
    };
    view! {
        <span class="route-menu">
            <select class="inline-select" data-testid="route-to" aria-label="Route to" title=title disabled=!can
                prop:value=move || choice.get()
                on:change=move |ev| {
                    let to = event_target_value(&ev);
                    if let Some(to_page) = RoutePage::parse(&to) {
                        // Not tied to this row: a live update may re-render it while the call runs.
                        leptos::task::spawn_local(async move {
                            let result = crate::api::route_account(account_id, from, to_page, String::new()).await;
                            recent.update(|m| {
                                m.insert(account_id, result);
                            });
                        });
                    }
                    choice.set(String::new());
                }>
                <option value="" selected=true>"Route to…"</option>
                {RoutePage::ALL.iter().filter(|p| **p != from).map(|p| view! {
                    <option value=p.as_str()>{p.label()}</option>
                }).collect_view()}
            </select>
            {move || recent.with(|m| m.get(&account_id).cloned()).map(|r| match r {
                Ok(row) => view! {
                    <A href=row.to_page.path() attr:class="route-done" attr:data-testid="routed-link">{format!("→ {}", row.to_page.label())}</A>
                }.into_any(),
                Err(e) => view! { <span class="field-error">{e.to_string()}</span> }.into_any(),
            })}
        </span>
    }
}

/// The accounts routed to this page, on top, each with a "Routed from …" badge until dismissed.
#[component]
pub fn RoutedPanel(page: RoutePage) -> impl IntoView {
    let dismiss = ServerAction::<crate::api::DismissRoute>::new();
    let live = crate::live::use_live().any();
    let routes = Resource::new(
        move || (dismiss.version().get(), live.get()),
        move |_| crate::api::routed_to(page),
    );
    let who = use_viewer();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                let rows = routes.await.unwrap_or_default();
                (!rows.is_empty()).then(|| view! {
                    <section class="panel routed-panel" data-testid="routed-panel">
                        <h2>{format!("Routed here ({})", rows.len())}</h2>
                        {rows.into_iter().map(|r| {
                            let id = r.id;
                            view! {
                                <div class="routed-row" data-testid="routed-row" data-account-id=r.account_id.to_string()>
                                    <Badge color=BadgeColor::Brand appearance=BadgeAppearance::Tint>{format!("Routed from {}", r.from_page.label())}</Badge>
                                    <A href=format!("/accounts/{}", r.account_id) attr:class="account-link">{r.account_name.clone()}</A>
                                    <span class="muted">{format!("by {} · {}", r.routed_by, fmt_instant(&r.routed_at))}</span>
                                    {r.note.clone().map(|n| view! { <span class="routed-note">{n}</span> })}
                                    {r.deal_id.map(|_| view! { <span class="muted">"expansion deal opened"</span> })}
                                    <Button size=ButtonSize::Small disabled=!can on_click=move |_| { dismiss.dispatch(crate::api::DismissRoute { route_id: id }); }
                                        attr:data-testid="dismiss-route">"Dismiss"</Button>
                                </div>
                            }
                        }).collect_view()}
                    </section>
                })
            })}
        </Transition>
    }
}
