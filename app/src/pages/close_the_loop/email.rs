//! The "we shipped your request" emails: their state, the drawer that writes one, the sent log,
//! and a contact's opt-out.

use super::*;

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
pub(super) fn EmailState(e: OutboxRow, can: bool, actions: LoopActions) -> impl IntoView {
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
