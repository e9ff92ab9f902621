//! Request cards with their matched release items, the add-request form, and Customer Detail's
//! shipped-requests panel.

use super::email::EmailState;
use super::*;

fn highlighted(segments: Vec<Segment>) -> impl IntoView {
    segments
        .into_iter()
        .map(|s| {
            if s.hit {
                view! { <mark>{s.text}</mark> }.into_any()
            } else {
                s.text.into_any()
            }
        })
        .collect_view()
}

/// One request: the customer's words, who asked, and the release items matched to it.
#[component]
pub fn RequestCardView(
    card: RequestCard,
    can: bool,
    actions: LoopActions,
    #[prop(optional)] show_account: bool,
) -> impl IntoView {
    let shipped = card.shipped();
    let first_quote = card.matches.first().map(|m| m.quote.clone());
    view! {
        <article class="request-card" data-testid="request-card" data-request-id=card.id.to_string() data-shipped=shipped.to_string()>
            <div class="request-head">
                <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Informative>{card.project.clone()}</Badge>
                {show_account.then(|| view! {
                    <A href=format!("/accounts/{}", card.account_id) attr:class="account-link">{card.account_name.clone()}</A>
                })}
                <span class="muted">
                    {card.requester.as_ref().map(|r| format!("{} · ", r.name)).unwrap_or_default()}
                    {format!("asked {}", fmt_date(Some(card.requested_on)))}
                </span>
                {card.source_link.as_deref().and_then(crate::url::safe_href).map(|l| view! { <a class="muted" href=l target="_blank" rel="noopener">"source"</a> })}
                {(card.theme_size > 0).then(|| view! {
                    <span class="theme-note">{format!("also asked by {} other account{}", card.theme_size, if card.theme_size == 1 { "" } else { "s" })}</span>
                })}
                {shipped.then(|| view! { <Badge appearance=BadgeAppearance::Filled color=BadgeColor::Success>"Shipped"</Badge> })}
            </div>
            <blockquote class="request-quote">
                {match first_quote {
                    Some(q) => highlighted(q).into_any(),
                    None => card.quote.clone().into_any(),
                }}
            </blockquote>
            {card.matches.is_empty().then(|| view! { <p class="muted">"Nothing shipped matches this yet."</p> })}
            <ul class="match-list">
                {card.matches.into_iter().map(|m| view! { <MatchView m can actions /> }).collect_view()}
            </ul>
        </article>
    }
}

#[component]
fn MatchView(m: MatchRow, can: bool, actions: LoopActions) -> impl IntoView {
    let (request_id, item_id) = (m.request_id, m.item_id);
    let status = m.status;
    let email = m.email.clone();
    view! {
        <li class="match" data-testid="match" data-status=status.as_str() data-item-id=item_id.to_string()>
            <div class="match-what">
                <div class="match-item">{highlighted(m.item.clone())}</div>
                <div class="muted">
                    {match m.release_url.as_deref().and_then(crate::url::safe_href) {
                        Some(url) => view! { <a href=url target="_blank" rel="noopener">{m.release_title.clone()}</a> }.into_any(),
                        None => m.release_title.clone().into_any(),
                    }}
                    {format!(" · shipped {}", fmt_date(Some(m.shipped_on)))}
                    <span class="match-score" title="BM25 relevance of the release line to the request, plus 5 × their embeddings' similarity when configured">{format!(" · relevance {:.1}", m.score)}</span>
                    {m.similarity.map(|s| format!(" · meaning {:.0} %", s * 100.0))}
                    {(!m.words.is_empty()).then(|| format!(" · shared: {}", m.words.join(", ")))}
                </div>
            </div>
            <div class="match-actions">
                {match (status, can) {
                    (MatchStatus::Proposed, true) => view! {
                        <Button size=ButtonSize::Small appearance=ButtonAppearance::Primary attr:data-testid="confirm-match"
                            on_click=move |_| { actions.decide.dispatch(DecideMatch { request_id, item_id, confirm: true }); }>"Confirm"</Button>
                        <Button size=ButtonSize::Small appearance=ButtonAppearance::Subtle attr:data-testid="reject-match"
                            on_click=move |_| { actions.decide.dispatch(DecideMatch { request_id, item_id, confirm: false }); }>"Not this"</Button>
                    }.into_any(),
                    (MatchStatus::Proposed, false) => view! { <span class="muted">"Proposed"</span> }.into_any(),
                    (_, _) => match email {
                        Some(e) => view! { <EmailState e can actions /> }.into_any(),
                        None if can => view! {
                            <Button size=ButtonSize::Small appearance=ButtonAppearance::Primary attr:data-testid="write-email"
                                on_click=move |_| { actions.email.set(Some((request_id, item_id))); actions.drawer.set(true); }>"Email them"</Button>
                        }.into_any(),
                        None => view! { <span class="muted">"Confirmed"</span> }.into_any(),
                    },
                }}
            </div>
        </li>
    }
}

#[component]
pub(super) fn AddRequestForm(add: ServerAction<AddFeatureRequest>, done: RwSignal<bool>) -> impl IntoView {
    let account = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let quote = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let link = RwSignal::new(String::new());
    let accounts = Resource::new(
        move || account.get(),
        |q| async move {
            let query = ListQuery {
                q,
                untracked: "show".into(),
                ..Default::default()
            };
            crate::api::health_queue(query).await.map(|p| p.rows)
        },
    );
    let chosen = RwSignal::new(None::<(i64, String)>);
    let error = move |field: &'static str| add.value().get().and_then(|r| r.err()).and_then(|e| e.field(field));
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            done.set(false);
        }
    });
    view! {
        <form class="add-request card-form" data-testid="add-request-form" on:submit=move |ev| {
            ev.prevent_default();
            add.dispatch(AddFeatureRequest { form: FeatureRequestForm {
                account_id: chosen.get_untracked().map(|c| c.0).unwrap_or(0),
                contact_id: None,
                project: project.get_untracked(),
                quote: quote.get_untracked(),
                requested_on: date.get_untracked(),
                source_link: link.get_untracked(),
            }});
        }>
            <label class="field">
                <span>"Account"</span>
                <input type="search" placeholder="Type to find the account" data-testid="request-account"
                    prop:value=move || account.get() on:input=move |ev| account.set(event_target_value(&ev)) />
                {move || chosen.get().map(|(_, n)| view! { <span class="muted">{format!("Chosen: {n}")}</span> })}
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let rows = accounts.await.unwrap_or_default();
                        view! {
                            <div class="account-choices">
                                {rows.into_iter().take(6).map(|a| {
                                    let (id, name) = (a.id, a.name.clone());
                                    view! { <button type="button" class="chip-button" on:click=move |_| chosen.set(Some((id, name.clone())))>{a.name.clone()}</button> }
                                }).collect_view()}
                            </div>
                        }
                    })}
                </Transition>
                {move || error("account_id").map(|e| view! { <span class="field-error">{e}</span> })}
            </label>
            <label class="field">
                <span>"Project"</span>
                <input type="text" placeholder="Security" data-testid="request-project"
                    prop:value=move || project.get() on:input=move |ev| project.set(event_target_value(&ev)) />
                {move || error("project").map(|e| view! { <span class="field-error">{e}</span> })}
            </label>
            <label class="field">
                <span>"What they asked for, in their words"</span>
                <textarea rows="3" data-testid="request-quote"
                    prop:value=move || quote.get() on:input=move |ev| quote.set(event_target_value(&ev))></textarea>
                {move || error("quote").map(|e| view! { <span class="field-error">{e}</span> })}
            </label>
            <label class="field">
                <span>"Asked on (YYYY-MM-DD, empty for today)"</span>
                <input type="text" data-testid="request-date"
                    prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev)) />
                {move || error("requested_on").map(|e| view! { <span class="field-error">{e}</span> })}
            </label>
            <label class="field">
                <span>"Source link (optional)"</span>
                <input type="url" data-testid="request-link"
                    prop:value=move || link.get() on:input=move |ev| link.set(event_target_value(&ev)) />
                {move || error("source_link").map(|e| view! { <span class="field-error">{e}</span> })}
            </label>
            {move || add.value().get().and_then(|r| r.err()).filter(|e| !matches!(e, crate::api::AppError::Fields(_))).map(|e| view! {
                <p class="field-error" role="alert">{e.to_string()}</p>
            })}
            <div class="form-actions">
                <Button appearance=ButtonAppearance::Primary button_type=ButtonType::Submit attr:data-testid="save-request">"Add request"</Button>
            </div>
        </form>
    }
}

/// Customer Detail's "N of your requests shipped": the account's requests with their matches and
/// the emails sent about them. The page owns the resource and the actions, so a refresh of the
/// rest of the page never disposes them mid-load.
#[component]
pub fn AccountShipped(
    data: Resource<Result<Option<AccountLoop>, crate::api::AppError>>,
    actions: LoopActions,
) -> impl IntoView {
    let who = use_viewer();
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                // An unknown account is reported once, by the page above.
                let data = data.await.or_else(|e| match e {
                    crate::api::AppError::NotFound(_) => Ok(None),
                    e => Err(e),
                });
                loaded(data, move |l| l.map(|l| {
                    let shipped = l.requests.iter().filter(|r| r.shipped()).count();
                    let total = l.requests.len();
                    view! {
                        <section class="panel" id="requests" data-testid="account-requests">
                            <h2>{if total == 0 {
                                "Feature requests".to_string()
                            } else {
                                format!("{shipped} of {total} of their requests shipped")
                            }}</h2>
                            {total.eq(&0).then(|| view! { <Empty message="No feature requests." /> })}
                            {actions_error(actions)}
                            <div class="request-cards">
                                {l.requests.into_iter().map(|card| view! { <RequestCardView card can actions /> }).collect_view()}
                            </div>
                            {(!l.sent.is_empty()).then(|| view! {
                                <h3>"Emails"</h3>
                                <ul class="plain-list" data-testid="account-sent">
                                    {l.sent.into_iter().map(|e| view! {
                                        <li>
                                            <strong>{e.subject.clone()}</strong>
                                            <div class="muted">{format!("to {} <{}> · {}", e.to_name, e.to_address, fmt_instant(&e.queued_at))}</div>
                                            <EmailState e=e.clone() can actions />
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                        </section>
                    }
                }))
            })}
        </Transition>
    }
}
