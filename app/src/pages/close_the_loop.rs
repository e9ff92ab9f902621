//! Close the Loop: what customers asked for, the release items that shipped it (proposed by text
//! relevance, confirmed or rejected by a person), and the "we shipped your request" emails.

use crate::api::{
    close_the_loop, email_draft, AddFeatureRequest, DecideMatch, QueueAllConfirmed, QueueEmail, Rematch, ResolveEmail,
    SetContactOptOut,
};
use crate::close_loop::*;
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/close-the-loop";

/// The actions every request card uses, shared by the page and Customer Detail.
#[derive(Clone, Copy)]
pub struct LoopActions {
    pub decide: ServerAction<DecideMatch>,
    pub resolve: ServerAction<ResolveEmail>,
    pub queue: ServerAction<QueueEmail>,
    /// The (request, item) whose email is open in the drawer.
    pub email: RwSignal<Option<(i64, i64)>>,
    pub drawer: RwSignal<bool>,
}

impl LoopActions {
    pub fn new() -> Self {
        LoopActions {
            decide: ServerAction::new(),
            resolve: ServerAction::new(),
            queue: ServerAction::new(),
            email: RwSignal::new(None),
            drawer: RwSignal::new(false),
        }
    }

    /// Changes whenever one of the actions finished, for resources to refetch on.
    pub fn version(&self) -> usize {
        self.decide.version().get() + self.resolve.version().get() + self.queue.version().get()
    }

    pub fn last_error(&self) -> Option<String> {
        let e = |r: Option<Result<_, crate::api::AppError>>| r.and_then(|r: Result<(), _>| r.err());
        e(self.decide.value().get())
            .or_else(|| e(self.resolve.value().get()))
            .or_else(|| self.queue.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
    }
}

impl Default for LoopActions {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn CloseTheLoopPage() -> impl IntoView {
    let query = use_list_query();
    let live = crate::live::use_live().counting(|e| {
        matches!(
            e,
            crate::live::LiveEvent::LoopChanged { .. }
                | crate::live::LiveEvent::Rescored { .. }
                | crate::live::LiveEvent::Resync
        )
    });
    let actions = LoopActions::new();
    let send_all = ServerAction::<QueueAllConfirmed>::new();
    let rematch = ServerAction::<Rematch>::new();
    let add = ServerAction::<AddFeatureRequest>::new();
    let data = Resource::new(
        move || {
            (
                query.get(),
                live.get(),
                actions.version(),
                send_all.version().get() + rematch.version().get() + add.version().get(),
            )
        },
        |(q, _, _, _)| close_the_loop(q),
    );
    let who = use_viewer();
    let adding = RwSignal::new(false);
    view! {
        <PageHeader title="Close the Loop" subtitle="What customers asked for, what shipped since, and the email that tells them." />
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                loaded(data.await, move |v| view! {
                    <Summary v=v.clone() />
                    <div class="list-controls">
                        <ViewTabs query />
                        // Search and filters pick requests; the other views list what they list.
                        {(query.get_untracked().view != "themes" && query.get_untracked().view != "releases" && query.get_untracked().view != "sent").then(|| view! {
                            <SearchBar path=PATH placeholder="Search requests, accounts, projects" query />
                            <QuerySelect path=PATH query label="Match" testid="loop-state" field=|q| &mut q.filter
                                options=choices(&[("", "All requests"), ("proposed", "Match to review"), ("shipped", "Shipped"), ("waiting", "Not shipped yet")]) />
                            <QuerySelect path=PATH query label="Project" testid="loop-project" field=|q| &mut q.project
                                options=std::iter::once((String::new(), "All projects".to_string()))
                                    .chain(v.projects.iter().map(|(p, n)| (p.clone(), format!("{p} ({n})"))))
                                    .collect() />
                        })}
                        {can.then(|| view! {
                            <div class="loop-buttons">
                                <Button appearance=ButtonAppearance::Secondary on_click=move |_| adding.update(|a| *a = !*a)
                                    attr:data-testid="add-request">"Add request"</Button>
                                <Button appearance=ButtonAppearance::Secondary on_click=move |_| { rematch.dispatch(Rematch {}); }
                                    attr:data-testid="rematch">"Match now"</Button>
                                <Button appearance=ButtonAppearance::Primary disabled=v.summary.unsent == 0 || !v.email_ready
                                    on_click=move |_| { send_all.dispatch(QueueAllConfirmed {}); }
                                    attr:data-testid="send-all">{format!("Send all confirmed ({})", v.summary.unsent)}</Button>
                            </div>
                        })}
                    </div>
                    {(!v.email_ready && v.summary.shipped_requests > 0).then(|| view! {
                        <p class="action-note" data-testid="email-setup-note">
                            "Emails need an SMTP server: "<A href="/settings#email">"set up email in Settings"</A>"."
                        </p>
                    })}
                    {move || adding.get().then(|| view! { <AddRequestForm add done=adding /> })}
                    <LoopBody query v can actions />
                })
            })}
        </Transition>
        {move || send_all.value().get().map(|r| match r {
            Ok(done) => view! { <p class="action-note" role="status" data-testid="loop-result">{done}</p> }.into_any(),
            Err(e) => view! { <p class="field-error" role="alert" data-testid="loop-result">{e.to_string()}</p> }.into_any(),
        })}
        {move || rematch.value().get().map(|r| match r {
            Ok(done) => view! { <p class="action-note" role="status" data-testid="loop-result">{done}</p> }.into_any(),
            Err(e) => view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <EmailDrawer actions />
    }
}

#[component]
fn Summary(v: CloseTheLoopView) -> impl IntoView {
    let s = v.summary;
    let shipped_q = ListQuery {
        filter: "shipped".into(),
        ..Default::default()
    };
    let proposed_q = ListQuery {
        filter: "proposed".into(),
        ..Default::default()
    };
    let sent_q = ListQuery {
        view: "sent".into(),
        ..Default::default()
    };
    view! {
        <section class="metrics" data-testid="loop-summary">
            <Metric label="Requests" value=s.requests.to_string() hint=format!("from {} accounts", s.accounts_asking) />
            <Metric label="Shipped" value=s.shipped_requests.to_string()
                hint=format!("for {} accounts", s.accounts_shipped) href=crate::url::list_href(PATH, &shipped_q) />
            <Metric label="Matches to review" value=s.proposed.to_string() href=crate::url::list_href(PATH, &proposed_q) />
            <Metric label="Emails sent" value=s.sent.to_string()
                hint=format!("{} confirmed waiting", s.unsent) href=crate::url::list_href(PATH, &sent_q) />
        </section>
    }
}

#[component]
fn ViewTabs(query: Memo<ListQuery>) -> impl IntoView {
    let tabs = [
        ("", "By account"),
        ("project", "By project"),
        ("themes", "Themes"),
        ("releases", "Releases"),
        ("sent", "Sent"),
    ];
    view! {
        <nav class="view-tabs" aria-label="Close the Loop views" data-testid="loop-views">
            {tabs.into_iter().map(|(key, label)| {
                let mut to = query.get_untracked();
                to.view = key.to_string();
                to.page = 1;
                let current = query.get_untracked().view == key || (key.is_empty() && query.get_untracked().view == "account");
                view! {
                    <A href=crate::url::list_href(PATH, &to) attr:class=if current { "view-tab current" } else { "view-tab" }
                        attr:aria-current=current.then_some("page")>{label}</A>
                }
            }).collect_view()}
        </nav>
    }
}

#[component]
fn LoopBody(query: Memo<ListQuery>, v: CloseTheLoopView, can: bool, actions: LoopActions) -> impl IntoView {
    match query.get_untracked().view.as_str() {
        "themes" => view! { <ThemesTable themes=v.themes /> }.into_any(),
        "releases" => view! { <ReleaseList releases=v.releases /> }.into_any(),
        "sent" => view! { <SentLog query page=v.outbox can actions /> }.into_any(),
        view => {
            let by_project = view == "project";
            let page = v.requests.clone();
            let counts: std::collections::HashMap<i64, (u64, u64)> = v
                .account_counts
                .iter()
                .map(|&(a, shipped, total)| (a, (shipped, total)))
                .collect();
            let mut last_group = String::new();
            let cards = v
                .requests
                .rows
                .into_iter()
                .map(|card| {
                    let group = if by_project { card.project.clone() } else { card.account_name.clone() };
                    let header = (group != last_group).then(|| {
                        last_group = group.clone();
                        if by_project {
                            view! { <h2 class="loop-group">{group}</h2> }.into_any()
                        } else {
                            let (shipped, total) = counts.get(&card.account_id).copied().unwrap_or_default();
                            view! {
                                <h2 class="loop-group">
                                    <A href=format!("/accounts/{}", card.account_id) attr:class="account-link">{group}</A>
                                    <span class="loop-group-count" data-testid="account-shipped">
                                        {format!("{shipped} of {total} of their requests shipped")}
                                    </span>
                                </h2>
                            }
                            .into_any()
                        }
                    });
                    view! {
                        {header}
                        <RequestCardView card can actions show_account=by_project />
                    }
                })
                .collect_view();
            view! {
                {actions_error(actions)}
                <div class="request-cards" data-testid="request-cards">{cards}</div>
                {page.rows.is_empty().then(|| view! { <Empty message="No feature requests match." /> })}
                <Pager path=PATH query page />
            }
            .into_any()
        }
    }
}

fn actions_error(actions: LoopActions) -> impl IntoView {
    move || {
        actions
            .last_error()
            .map(|e| view! { <p class="field-error" role="alert" data-testid="loop-error">{e}</p> })
    }
}

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

fn state_color(state: OutboxState) -> BadgeColor {
    match state {
        OutboxState::Sent => BadgeColor::Success,
        OutboxState::Failed => BadgeColor::Danger,
        OutboxState::Unknown => BadgeColor::Warning,
        OutboxState::Queued | OutboxState::Sending => BadgeColor::Informative,
    }
}

/// An email's state, its error in plain words, and what a person can do about it.
#[component]
fn EmailState(e: OutboxRow, can: bool, actions: LoopActions) -> impl IntoView {
    let id = e.id;
    let state = e.state;
    view! {
        <div class="email-state" data-testid="email-state" data-state=state.as_str()>
            <Badge appearance=BadgeAppearance::Tint color=state_color(state)>
                {match state {
                    OutboxState::Sent => format!("Emailed {}", e.to_name),
                    _ => state.label().to_string(),
                }}
            </Badge>
            {e.error.clone().map(|err| view! { <div class="muted email-error">{err}</div> })}
            {(can && state == OutboxState::Unknown).then(|| view! {
                <Button size=ButtonSize::Small appearance=ButtonAppearance::Subtle attr:data-testid="mark-sent"
                    on_click=move |_| { actions.resolve.dispatch(ResolveEmail { outbox_id: id, arrived: true }); }>"It arrived"</Button>
            })}
            {(can && matches!(state, OutboxState::Unknown | OutboxState::Failed)).then(|| view! {
                <Button size=ButtonSize::Small appearance=ButtonAppearance::Subtle attr:data-testid="send-again"
                    on_click=move |_| { actions.resolve.dispatch(ResolveEmail { outbox_id: id, arrived: false }); }>"Send again"</Button>
            })}
        </div>
    }
}

/// The email about one confirmed match: recipient, subject and text editable, preview live.
#[component]
pub fn EmailDrawer(actions: LoopActions) -> impl IntoView {
    let contact = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        actions.email.track();
        contact.set(None);
    });
    let draft = Resource::new(
        move || (actions.email.get(), contact.get()),
        |(target, contact)| async move {
            match target {
                Some((r, i)) => email_draft(r, i, contact).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let open = actions.drawer;
    // Close once the email is queued.
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.queue.value().get() {
            open.set(false);
        }
    });
    view! {
        <OverlayDrawer open position=DrawerPosition::Right size=DrawerSize::Medium attr:data-testid="email-drawer">
            <DrawerHeader>
                <DrawerHeaderTitle>
                    <DrawerHeaderTitleAction slot>
                        <Button appearance=ButtonAppearance::Subtle on_click=move |_| open.set(false) attr:aria-label="Close">"✕"</Button>
                    </DrawerHeaderTitleAction>
                    "We shipped your request"
                </DrawerHeaderTitle>
            </DrawerHeader>
            <DrawerBody>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || Suspend::new(async move {
                        loaded(draft.await, move |d| match d {
                            None => ().into_any(),
                            Some(d) => view! { <EmailEditor d contact actions /> }.into_any(),
                        })
                    })}
                </Transition>
            </DrawerBody>
        </OverlayDrawer>
    }
}

#[component]
fn EmailEditor(d: EmailDraft, contact: RwSignal<Option<i64>>, actions: LoopActions) -> impl IntoView {
    let subject = RwSignal::new(d.subject_template.clone());
    let body = RwSignal::new(d.body_template.clone());
    let fields = d.fields.clone();
    let preview_fields = fields.clone();
    let preview = Memo::new(move |_| check_email(&subject.get(), &body.get(), &preview_fields));
    let (request_id, item_id) = (d.request_id, d.item_id);
    let blocked = d.blocked.clone();
    let can_send = blocked.is_none();
    let pending = actions.queue.pending();
    let send = move |_| {
        actions.queue.dispatch(QueueEmail {
            request_id,
            item_id,
            contact_id: contact.get_untracked(),
            subject: subject.get_untracked(),
            body: body.get_untracked(),
        });
    };
    let current = d
        .contacts
        .iter()
        .find(|c| c.email == d.to_address)
        .map(|c| c.contact_id.to_string())
        .unwrap_or_default();
    view! {
        <div class="email-editor" data-testid="email-editor">
            <label class="field">
                <span>"To"</span>
                <select data-testid="email-to" prop:value=current on:change=move |ev| {
                    contact.set(event_target_value(&ev).parse().ok());
                }>
                    {d.contacts.iter().map(|c| view! {
                        <option value=c.contact_id.to_string() disabled=c.opted_out>
                            {format!("{} <{}>{}", c.name, c.email, if c.opted_out { " — opted out" } else { "" })}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            {blocked.map(|b| view! { <p class="field-error" role="alert" data-testid="email-blocked">{b}</p> })}
            {d.previous.map(|p| view! { <p class="muted">{format!("Already {}: {}", p.state.label().to_lowercase(), p.subject)}</p> })}
            <label class="field">
                <span>"Subject"</span>
                <input type="text" data-testid="email-subject" prop:value=move || subject.get()
                    on:input=move |ev| subject.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>"Email"</span>
                <textarea rows="12" data-testid="email-body" prop:value=move || body.get()
                    on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            </label>
            <p class="muted merge-help">
                "Merge fields: "{MERGE_FIELDS.iter().map(|(n, _)| format!("{{{{{n}}}}}")).collect::<Vec<_>>().join(" ")}
            </p>
            <h3>"Preview"</h3>
            {move || match preview.get() {
                Ok((s, b)) => view! {
                    <div class="email-preview" data-testid="email-preview">
                        <div class="email-preview-subject">{s}</div>
                        <pre class="email-preview-body">{b}</pre>
                    </div>
                }.into_any(),
                Err(errors) => view! {
                    <p class="field-error" role="alert">
                        {[errors.get("subject"), errors.get("body")].into_iter().flatten().collect::<Vec<_>>().join(" ")}
                    </p>
                }.into_any(),
            }}
            {move || actions.queue.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="field-error" role="alert" data-testid="email-error">{e.to_string()}</p>
            })}
            <div class="form-actions">
                <Button appearance=ButtonAppearance::Primary attr:data-testid="send-email"
                    disabled=Signal::derive(move || !can_send || pending.get() || preview.get().is_err())
                    on_click=send>{move || if pending.get() { "Sending…" } else { "Send" }}</Button>
            </div>
        </div>
    }
}

#[component]
fn ThemesTable(themes: Vec<ThemeRow>) -> impl IntoView {
    view! {
        <Table class="data-table" attr:data-testid="themes-table">
            <TableHeader>
                <TableRow>
                    <TableHeaderCell>"Theme"</TableHeaderCell>
                    <TableHeaderCell>"Project"</TableHeaderCell>
                    <TableHeaderCell>"Accounts"</TableHeaderCell>
                    <TableHeaderCell>"Requests"</TableHeaderCell>
                    <TableHeaderCell>"ARR asking"</TableHeaderCell>
                    <TableHeaderCell>"Status"</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {themes.into_iter().map(|t| {
                    let q = ListQuery {
                        q: t.label.chars().take(60).collect(),
                        ..Default::default()
                    };
                    view! {
                        <TableRow>
                            <TableCell class="quote"><A href=crate::url::list_href(PATH, &q)>{format!("“{}”", t.label)}</A></TableCell>
                            <TableCell>{t.project.clone()}</TableCell>
                            <TableCell>{t.accounts}</TableCell>
                            <TableCell>{t.requests}</TableCell>
                            <TableCell>{t.arr.display()}</TableCell>
                            <TableCell>{if t.shipped {
                                view! { <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Success>"Shipped"</Badge> }.into_any()
                            } else {
                                view! { <span class="muted">"Not yet"</span> }.into_any()
                            }}</TableCell>
                        </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
    }
}

#[component]
fn ReleaseList(releases: Vec<ReleaseRow>) -> impl IntoView {
    view! {
        <ul class="release-list" data-testid="release-list">
            {releases.is_empty().then(|| view! { <Empty message="No releases yet: connect GitHub releases or a changelog feed in Settings." /> })}
            {releases.into_iter().map(|r| view! {
                <li>
                    <div class="release-head">
                        <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Success>{r.source.label()}</Badge>
                        {match r.url.as_deref().and_then(crate::url::safe_href) {
                            Some(url) => view! { <a href=url target="_blank" rel="noopener"><strong>{r.title.clone()}</strong></a> }.into_any(),
                            None => view! { <strong>{r.title.clone()}</strong> }.into_any(),
                        }}
                        <span class="muted">{fmt_date(Some(r.published_on))}</span>
                    </div>
                    <ul class="release-items">
                        {r.items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
                    </ul>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// Every email, newest first, with what can be done about the ones in doubt.
#[component]
pub fn SentLog(query: Memo<ListQuery>, page: Page<OutboxRow>, can: bool, actions: LoopActions) -> impl IntoView {
    let rows = page.rows.clone();
    view! {
        {actions_error(actions)}
        <Table class="data-table" attr:data-testid="sent-log">
            <TableHeader>
                <TableRow>
                    <TableHeaderCell>"Account"</TableHeaderCell>
                    <TableHeaderCell>"To"</TableHeaderCell>
                    <TableHeaderCell>"Subject"</TableHeaderCell>
                    <TableHeaderCell>"Queued"</TableHeaderCell>
                    <TableHeaderCell>"State"</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|e| {
                    let name = e.account_name.clone();
                    let account = match e.account_id {
                        Some(id) => view! { <A href=format!("/accounts/{id}") attr:class="account-link">{name}</A> }.into_any(),
                        None => name.into_any(),
                    };
                    let to = format!("{} <{}>", e.to_name, e.to_address);
                    let queued = format!("{} by {}", fmt_instant(&e.queued_at), e.queued_by);
                    let subject = e.subject.clone();
                    view! {
                        <TableRow>
                            <TableCell>{account}</TableCell>
                            <TableCell>{to}</TableCell>
                            <TableCell>{subject}</TableCell>
                            <TableCell>{queued}</TableCell>
                            <TableCell><EmailState e can actions /></TableCell>
                        </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
        {page.rows.is_empty().then(|| view! { <Empty message="No emails yet." /> })}
        <Pager path=PATH query page />
    }
}

#[component]
fn AddRequestForm(add: ServerAction<AddFeatureRequest>, done: RwSignal<bool>) -> impl IntoView {
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

/// A contact's email opt-out, as a chip (and a switch for CSMs).
#[component]
pub fn OptOutToggle(contact_id: i64, opted_out: bool, can: bool) -> impl IntoView {
    let act = ServerAction::<SetContactOptOut>::new();
    let state = RwSignal::new(opted_out);
    Effect::new(move |_| {
        if let Some(Ok(())) = act.value().get() {
            state.update(|s| *s = !*s);
        }
    });
    view! {
        <div class="opt-out" data-testid="opt-out" data-opted-out=move || state.get().to_string()>
            {move || state.get().then(|| view! { <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Warning>"Opted out of email"</Badge> })}
            {can.then(|| view! {
                <button type="button" class="link-button" data-testid="toggle-opt-out" on:click=move |_| {
                    act.dispatch(SetContactOptOut { contact_id, opted_out: !state.get_untracked() });
                }>{move || if state.get() { "Allow email again" } else { "Opt out of email" }}</button>
            })}
            {move || act.value().get().and_then(|r| r.err()).map(|e| view! { <span class="field-error">{e.to_string()}</span> })}
        </div>
    }
}
