//! Settings → Access: requests for Success (approve with a role, deny with a reason), members
//! (change role, revoke, remove), invitation links, display links for office screens, the domains open to
//! self sign-up, and the audit log. Admins and owners only; the server checks every action.

use crate::access::*;
use crate::accounts::RemoveMember;
use crate::api::{
    access_settings, AppError, ChangeRole, CreateDisplayLink, CreateInvitation, DecideAccessRequest, GrantAccess,
    RevokeAccess, RevokeDisplayLink, RevokeInvitation, SetAllowedDomains,
};
use crate::pages::settings::SettingsTabs;
use crate::ui::*;
use leptos::prelude::*;
use leptos::server::ServerAction;
use thaw::*;

/// Every action on the page; the overview reloads after any of them.
#[derive(Clone, Copy)]
struct Actions {
    decide: ServerAction<DecideAccessRequest>,
    revoke: ServerAction<RevokeAccess>,
    grant: ServerAction<GrantAccess>,
    role: ServerAction<ChangeRole>,
    invite: ServerAction<CreateInvitation>,
    revoke_invite: ServerAction<RevokeInvitation>,
    display: ServerAction<CreateDisplayLink>,
    revoke_display: ServerAction<RevokeDisplayLink>,
    domains: ServerAction<SetAllowedDomains>,
    remove: ServerAction<RemoveMember>,
}

impl Actions {
    fn new() -> Self {
        Actions {
            decide: ServerAction::new(),
            revoke: ServerAction::new(),
            grant: ServerAction::new(),
            role: ServerAction::new(),
            invite: ServerAction::new(),
            revoke_invite: ServerAction::new(),
            display: ServerAction::new(),
            revoke_display: ServerAction::new(),
            domains: ServerAction::new(),
            remove: ServerAction::new(),
        }
    }

    fn version(&self) -> usize {
        self.decide.version().get()
            + self.revoke.version().get()
            + self.grant.version().get()
            + self.role.version().get()
            + self.invite.version().get()
            + self.revoke_invite.version().get()
            + self.display.version().get()
            + self.revoke_display.version().get()
            + self.domains.version().get()
            + self.remove.version().get()
    }

    /// The last refusal from the server, in plain words.
    fn error(&self) -> Option<AppError> {
        fn err<T: Clone + Send + Sync + 'static>(v: Option<Result<T, AppError>>) -> Option<AppError> {
            v.and_then(|r| r.err())
        }
        err(self.decide.value().get())
            .or_else(|| err(self.revoke.value().get()))
            .or_else(|| err(self.grant.value().get()))
            .or_else(|| err(self.role.value().get()))
            .or_else(|| err(self.revoke_invite.value().get()))
            .or_else(|| err(self.revoke_display.value().get()))
            .or_else(|| err(self.remove.value().get()))
    }
}

#[component]
pub fn AccessPage() -> impl IntoView {
    let actions = Actions::new();
    let requests = crate::live::use_live().counting(|e| matches!(e, crate::live::LiveEvent::AccessRequested));
    let data = Resource::new(move || (actions.version(), requests.get()), |_| access_settings());
    let me = use_viewer();
    view! {
        <PageHeader title="Access" subtitle="Who can see Success, with what role — and the links that open it." />
        <SettingsTabs />
        {move || actions.error().map(|e| view! { <div class="form-error" role="alert" data-testid="access-error">{e.to_string()}</div> })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let my_id = me.0.await.ok().and_then(|v| v.session).map(|s| s.user_id).unwrap_or(0);
                loaded(data.await, move |o| view_access(actions, o, my_id))
            })}
        </Transition>
    }
}

fn view_access(actions: Actions, o: AccessOverview, my_id: i64) -> impl IntoView {
    let pending: Vec<_> = o
        .requests
        .iter()
        .filter(|r| r.status == RequestStatus::Pending)
        .cloned()
        .collect();
    let decided: Vec<_> = o
        .requests
        .iter()
        .filter(|r| r.status != RequestStatus::Pending)
        .cloned()
        .collect();
    view! {
        <section class="panel" data-testid="pending-requests">
            <h2>{format!("Pending requests ({})", pending.len())}</h2>
            {if pending.is_empty() {
                view! { <Empty message="No one is waiting for access." /> }.into_any()
            } else {
                pending.into_iter().map(|r| view! { <PendingRequest actions request=r /> }).collect_view().into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Members"</h2>
            <Table class="data-table compact" attr:data-testid="members-table">
                <TableHeader><TableRow>
                    <TableHeaderCell>"Name"</TableHeaderCell>
                    <TableHeaderCell>"Email"</TableHeaderCell>
                    <TableHeaderCell>"Role"</TableHeaderCell>
                    <TableHeaderCell>"Success"</TableHeaderCell>
                    <th class="thaw-table-header-cell" scope="col"><span class="sr-only">"Actions"</span></th>
                </TableRow></TableHeader>
                <TableBody>
                    {o.members.into_iter().map(|m| view! { <MemberLine actions member=m my_id /> }).collect_view()}
                </TableBody>
            </Table>
        </section>
        <section class="panel">
            <h2>"Decided requests"</h2>
            {if decided.is_empty() {
                view! { <Empty message="No decisions yet." /> }.into_any()
            } else {
                view! {
                    <Table class="data-table compact" attr:data-testid="decided-requests">
                        <TableHeader><TableRow>
                            <TableHeaderCell>"Person"</TableHeaderCell>
                            <TableHeaderCell>"Asked for"</TableHeaderCell>
                            <TableHeaderCell>"Status"</TableHeaderCell>
                            <TableHeaderCell>"By"</TableHeaderCell>
                            <TableHeaderCell>"Reason"</TableHeaderCell>
                            <TableHeaderCell>"When"</TableHeaderCell>
                        </TableRow></TableHeader>
                        <TableBody>
                            {decided.into_iter().map(|r| view! {
                                <TableRow>
                                    <TableCell>{format!("{} ({})", r.name, r.email)}</TableCell>
                                    <TableCell>{r.role_wanted.label()}</TableCell>
                                    <TableCell><StatusBadge status=r.status /></TableCell>
                                    <TableCell>{r.decided_by.clone().unwrap_or_default()}</TableCell>
                                    <TableCell>{r.decision_reason.clone().unwrap_or_default()}</TableCell>
                                    <TableCell>{fmt_instant(&r.updated_at)}</TableCell>
                                </TableRow>
                            }).collect_view()}
                        </TableBody>
                    </Table>
                }.into_any()
            }}
        </section>
        <div class="two-columns even">
            <Invitations actions rows=o.invitations />
            <DisplayLinks actions rows=o.display_links />
        </div>
        <AllowedDomains actions domains=o.allowed_domains />
        <section class="panel">
            <h2>"Audit log"</h2>
            <Table class="data-table compact" attr:data-testid="audit-log">
                <TableHeader><TableRow>
                    <TableHeaderCell>"When"</TableHeaderCell>
                    <TableHeaderCell>"Who"</TableHeaderCell>
                    <TableHeaderCell>"What"</TableHeaderCell>
                    <TableHeaderCell>"Subject"</TableHeaderCell>
                    <TableHeaderCell>"Detail"</TableHeaderCell>
                </TableRow></TableHeader>
                <TableBody>
                    {o.audit.into_iter().map(|a| view! {
                        <TableRow>
                            <TableCell>{fmt_instant(&a.at)}</TableCell>
                            <TableCell>{a.actor}</TableCell>
                            <TableCell>{a.action.replace('_', " ")}</TableCell>
                            <TableCell>{a.subject}</TableCell>
                            <TableCell class="muted">{a.detail}</TableCell>
                        </TableRow>
                    }).collect_view()}
                </TableBody>
            </Table>
        </section>
    }
}

#[component]
fn StatusBadge(status: RequestStatus) -> impl IntoView {
    let color = match status {
        RequestStatus::Pending => BadgeColor::Warning,
        RequestStatus::Approved => BadgeColor::Success,
        RequestStatus::Denied | RequestStatus::Revoked => BadgeColor::Danger,
    };
    view! { <Badge color appearance=BadgeAppearance::Tint>{status.label()}</Badge> }
}

/// A native select of the roles an admin may grant, bound to a signal.
#[component]
fn RoleSelect(value: RwSignal<String>, #[prop(optional)] label: &'static str) -> impl IntoView {
    view! {
        <select class="inline-select" aria-label=if label.is_empty() { "Role" } else { label }
            prop:value=move || value.get()
            on:change=move |ev| value.set(event_target_value(&ev))>
            {Role::GRANTABLE.iter().map(|r| view! {
                <option value=r.as_str() selected=move || value.get() == r.as_str()>{r.label()}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
fn PendingRequest(actions: Actions, request: AccessRequestRow) -> impl IntoView {
    let role = RwSignal::new(request.role_wanted.as_str().to_string());
    let reason = RwSignal::new(String::new());
    let id = request.id;
    let approve = move |_| {
        actions.decide.dispatch(DecideAccessRequest {
            request_id: id,
            approve: true,
            role: Role::parse(&role.get_untracked()),
            reason: String::new(),
        });
    };
    let deny = move |_| {
        actions.decide.dispatch(DecideAccessRequest {
            request_id: id,
            approve: false,
            role: None,
            reason: reason.get_untracked(),
        });
    };
    view! {
        <div class="request-card" data-testid="request-card" data-email=request.email.clone()>
            <div class="request-who">
                <strong>{request.name.clone()}</strong>
                <span class="muted">{format!(" {} · {} · asked {}", request.email, request.team, fmt_instant(&request.updated_at))}</span>
            </div>
            <blockquote class="request-reason">{request.reason.clone()}</blockquote>
            <div class="request-actions">
                <span class="muted">{format!("Asked for {}. Grant:", request.role_wanted.label())}</span>
                <RoleSelect value=role label="Role to grant" />
                <Button appearance=ButtonAppearance::Primary on_click=approve attr:data-testid="approve">"Approve"</Button>
                <input class="inline-input" placeholder="Reason for denying" aria-label="Reason for denying"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                <Button on_click=deny attr:data-testid="deny">"Deny"</Button>
            </div>
        </div>
    }
}

#[component]
fn MemberLine(actions: Actions, member: MemberRow, my_id: i64) -> impl IntoView {
    let email = member.email.clone();
    let role = RwSignal::new(member.role.as_str().to_string());
    let user_id = member.user_id;
    let editable = member.role != Role::Owner && member.user_id != my_id;
    let change = move |_| {
        if let Some(r) = Role::parse(&role.get_untracked()) {
            actions.role.dispatch(ChangeRole { user_id, role: r });
        }
    };
    let revoke = move |_| {
        actions.revoke.dispatch(RevokeAccess {
            user_id,
            reason: "Revoked by an admin".into(),
        });
    };
    let grant = move |_| {
        if let Some(r) = Role::parse(&role.get_untracked()) {
            actions.grant.dispatch(GrantAccess { user_id, role: r });
        }
    };
    let remove = move |_| {
        actions.remove.dispatch(RemoveMember { user_id });
    };
    view! {
        <TableRow attr:data-email=email>
            <TableCell>{member.name.clone()}</TableCell>
            <TableCell>{member.email.clone()}</TableCell>
            <TableCell>
                {if editable {
                    view! {
                        <span class="inline-controls">
                            <RoleSelect value=role />
                            <Button size=ButtonSize::Small on_click=change>"Save role"</Button>
                        </span>
                    }.into_any()
                } else {
                    view! { <span>{member.role.label()}</span> }.into_any()
                }}
            </TableCell>
            <TableCell>
                {if member.has_success {
                    view! { <Badge color=BadgeColor::Success appearance=BadgeAppearance::Tint>"Enabled"</Badge> }.into_any()
                } else {
                    view! { <Badge color=BadgeColor::Subtle appearance=BadgeAppearance::Tint>"Not enabled"</Badge> }.into_any()
                }}
            </TableCell>
            <TableCell><span class="inline-controls">
                {match (editable, member.has_success) {
                    (true, true) => Some(view! {
                        <Button size=ButtonSize::Small on_click=revoke attr:data-testid="revoke">"Revoke"</Button>
                    }.into_any()),
                    (true, false) => Some(view! {
                        <Button size=ButtonSize::Small appearance=ButtonAppearance::Primary on_click=grant attr:data-testid="grant">
                            "Grant access"
                        </Button>
                    }.into_any()),
                    _ => None,
                }}
                {editable.then(|| view! {
                    <Button size=ButtonSize::Small on_click=remove attr:data-testid="remove-member"
                        attr:title="Remove from the workspace: their sessions and open pages end at once">
                        "Remove"
                    </Button>
                })}
            </span></TableCell>
        </TableRow>
    }
}

/// The full address of a link the server made, shown once with a copy-friendly field.
#[component]
fn OnceLink(path: String, testid: &'static str) -> impl IntoView {
    let origin = {
        #[cfg(feature = "hydrate")]
        {
            leptos::prelude::location().origin().unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    };
    let url = format!("{origin}{path}");
    view! {
        <div class="once-link">
            <div class="muted">"Copy it now: it is shown only once and stored only as a hash."</div>
            <input class="inline-input wide" readonly prop:value=url data-testid=testid
                on:focus=move |ev| {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            input.select();
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                } />
        </div>
    }
}

#[component]
fn Invitations(actions: Actions, rows: Vec<InvitationRow>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let role = RwSignal::new("csm".to_string());
    let create = move |_| {
        actions.invite.dispatch(CreateInvitation {
            email: email.get_untracked(),
            role: Role::parse(&role.get_untracked()).unwrap_or(Role::Viewer),
        });
    };
    let result = actions.invite.value();
    view! {
        <section class="panel">
            <h2>"Invitations"</h2>
            <p class="muted">"An invitation link lets one person sign up with the role you choose and access to Success. Links expire after 7 days."</p>
            <div class="inline-form">
                <input class="inline-input" type="email" placeholder="name@company.com" aria-label="Email to invite"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <RoleSelect value=role label="Role for the invitation" />
                <Button appearance=ButtonAppearance::Primary on_click=create attr:data-testid="create-invitation">"Create link"</Button>
            </div>
            {move || result.get().map(|r| match r {
                Ok(link) => view! { <OnceLink path=link.url_path testid="invitation-link" /> }.into_any(),
                Err(e) => view! { <div class="field-error">{e.to_string()}</div> }.into_any(),
            })}
            <Table class="data-table compact">
                <TableBody>
                    {rows.into_iter().map(|i| {
                        let id = i.id;
                        let open = i.state == "open";
                        view! {
                            <TableRow>
                                <TableCell>{i.email.clone()}</TableCell>
                                <TableCell>{i.role.label()}</TableCell>
                                <TableCell class="muted">{format!("{} · by {}", i.state, i.created_by)}</TableCell>
                                <TableCell>
                                    {open.then(|| view! {
                                        <Button size=ButtonSize::Small on_click=move |_| { actions.revoke_invite.dispatch(RevokeInvitation { invitation_id: id }); }>
                                            "Revoke"
                                        </Button>
                                    })}
                                </TableCell>
                            </TableRow>
                        }
                    }).collect_view()}
                </TableBody>
            </Table>
        </section>
    }
}

#[component]
fn DisplayLinks(actions: Actions, rows: Vec<DisplayLinkRow>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let create = move |_| {
        actions.display.dispatch(CreateDisplayLink {
            name: name.get_untracked(),
            expires_in_days: expiry.get_untracked().parse().ok(),
        });
    };
    let result = actions.display.value();
    view! {
        <section class="panel">
            <h2>"Display links"</h2>
            <p class="muted">"A display link opens the office-screen dashboards (/tv) without signing in, and nothing else."</p>
            <div class="inline-form">
                <input class="inline-input" placeholder="e.g. Office TV, 3rd floor" aria-label="Display name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <select class="inline-select" aria-label="Expires"
                    on:change=move |ev| expiry.set(event_target_value(&ev))>
                    <option value="">"Never expires"</option>
                    <option value="30">"Expires in 30 days"</option>
                    <option value="90">"Expires in 90 days"</option>
                    <option value="365">"Expires in a year"</option>
                </select>
                <Button appearance=ButtonAppearance::Primary on_click=create attr:data-testid="create-display-link">"Create link"</Button>
            </div>
            {move || result.get().map(|r| match r {
                Ok(link) => view! { <OnceLink path=link.url_path testid="display-link" /> }.into_any(),
                Err(e) => view! { <div class="field-error">{e.to_string()}</div> }.into_any(),
            })}
            <Table class="data-table compact" attr:data-testid="display-links">
                <TableBody>
                    {rows.into_iter().map(|l| {
                        let id = l.id;
                        let seen = l.last_seen_at.as_deref().map(fmt_instant).unwrap_or_else(|| "never".into());
                        let expires = l.expires_at.as_deref().map(|e| format!(" · expires {}", fmt_instant(e))).unwrap_or_default();
                        view! {
                            <TableRow>
                                <TableCell>{l.name.clone()}</TableCell>
                                <TableCell class="muted">{format!("last seen {seen}{expires}")}</TableCell>
                                <TableCell>
                                    {if l.revoked {
                                        view! { <Badge color=BadgeColor::Subtle appearance=BadgeAppearance::Tint>"Revoked"</Badge> }.into_any()
                                    } else {
                                        view! {
                                            <Button size=ButtonSize::Small on_click=move |_| { actions.revoke_display.dispatch(RevokeDisplayLink { link_id: id }); }>
                                                "Revoke"
                                            </Button>
                                        }.into_any()
                                    }}
                                </TableCell>
                            </TableRow>
                        }
                    }).collect_view()}
                </TableBody>
            </Table>
        </section>
    }
}

#[component]
fn AllowedDomains(actions: Actions, domains: Vec<String>) -> impl IntoView {
    let text = RwSignal::new(domains.join(", "));
    let save = move |_| {
        actions.domains.dispatch(SetAllowedDomains {
            domains: text.get_untracked(),
        });
    };
    let result = actions.domains.value();
    view! {
        <section class="panel">
            <h2>"Self sign-up"</h2>
            <p class="muted">
                "People with an email at these domains can create an account themselves once they open the "
                "link emailed to them (Settings → Email must be set up); they land on the request page without "
                "access. Everyone else needs an invitation link."
            </p>
            <div class="inline-form">
                <input class="inline-input wide" placeholder="e.g. piedpiper.com, hooli.xyz" aria-label="Allowed domains"
                    data-testid="allowed-domains"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
                <Button appearance=ButtonAppearance::Primary on_click=save attr:data-testid="save-domains">"Save"</Button>
            </div>
            {move || result.get().map(|r| match r {
                Ok(list) if list.is_empty() => view! { <div class="form-note">"Self sign-up is off."</div> }.into_any(),
                Ok(list) => view! { <div class="form-note" data-testid="domains-saved">{format!("Saved: {}", list.join(", "))}</div> }.into_any(),
                Err(e) => view! { <div class="field-error">{e.to_string()}</div> }.into_any(),
            })}
        </section>
    }
}
