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

mod email;
mod releases;
mod requests;

pub use self::email::{EmailDrawer, OptOutToggle, SentLog};
use self::releases::{ReleaseList, ThemesTable};
use self::requests::AddRequestForm;
pub use self::requests::{AccountShipped, RequestCardView};

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
