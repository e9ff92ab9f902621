//! /success-unlock: where signed-in people without the `success` flag land. It says what Success
//! does, opens the read-only demo, and takes (and shows the state of) a request for access.

use crate::access::{validate_access_request, AccessRequestRow, RequestStatus, Role, Viewer, REASON_MAX};
use crate::api::{my_access_request, AppError, RequestAccess, SignOut};
use crate::pages::auth::FormError;
use leptos::prelude::*;
use leptos::server::ServerAction;
use thaw::*;

#[component]
pub fn UnlockPage() -> impl IntoView {
    let submit = ServerAction::<RequestAccess>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let mine = Resource::new(move || submit.version().get(), |_| my_access_request());
    let who = crate::ui::use_viewer().0;

    let team = RwSignal::new(String::new());
    let role = RwSignal::new("csm".to_string());
    let reason = RwSignal::new(String::new());
    // Prefill from an earlier request, so a second submit updates it rather than starting over.
    Effect::new(move |_| {
        if let Some(Ok(Some(r))) = mine.get() {
            if team.get_untracked().is_empty() && reason.get_untracked().is_empty() {
                team.set(r.team.clone());
                role.set(r.role_wanted.as_str().to_string());
                reason.set(r.reason.clone());
            }
        }
    });
    // After the server refused the form, the same checks run live in the browser as the person types.
    let refused = Signal::derive(move || matches!(submit.value().get(), Some(Err(AppError::Fields(_)))));
    let local = Memo::new(move |_| {
        validate_access_request(&team.get(), &role.get(), &reason.get())
            .err()
            .unwrap_or_default()
    });
    let error =
        move |field: &'static str| Signal::derive(move || refused.get().then(|| local.get().get(field)).flatten());
    let count = move || format!("{} / {REASON_MAX}", reason.get().trim().chars().count());

    view! {
        <leptos_meta::Title text="Request access" />
        <div class="unlock-page">
            <header class="unlock-top">
                <div class="auth-brand">
                    <span class="brand-mark">"S"</span>
                    <span class="brand-name">"Success"</span>
                </div>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        who.await.ok().and_then(|v: Viewer| v.session).map(|s| view! {
                            <div class="unlock-user">
                                <span>{format!("Signed in as {} ({})", s.name, s.email)}</span>
                                <ActionForm action=sign_out>
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            </div>
                        })
                    })}
                </Transition>
            </header>
            <div class="unlock-grid">
                <section class="panel unlock-about">
                    <h1>"Success is your Customer Success workspace"</h1>
                    <p>
                        "It pulls contracts from Salesbricks, billing from Stripe, usage from PostHog and signals from "
                        "your customer conversations into one place, and explains every score with the evidence behind it."
                    </p>
                    <ul class="plain-list">
                        <li><strong>"Health"</strong>" — who is at risk, and why."</li>
                        <li><strong>"Convert"</strong>" — trials ranked by how close they are to upgrading."</li>
                        <li><strong>"Contracts"</strong>" — every contract and subscription with its renewal date."</li>
                        <li><strong>"Pipeline"</strong>" — deals by stage, with health context."</li>
                        <li><strong>"Re-engage"</strong>" — closed-lost deals worth a winback."</li>
                        <li><strong>"Close the Loop"</strong>" — tell customers when what they asked for ships."</li>
                    </ul>
                    <a class="button-secondary" rel="external" href="/demo/enter?next=/health" data-testid="preview-demo">
                        "Preview with demo data"
                    </a>
                    <p class="muted">"The preview is read-only sample data; nothing in it is a real customer."</p>
                </section>
                <section class="panel unlock-request">
                    <h2>"Request access"</h2>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match mine.await {
                                Ok(Some(r)) => Some(view! { <RequestStatusNote request=r /> }.into_any()),
                                Ok(None) => None,
                                Err(e) => Some(view! { <div class="form-error">{e.to_string()}</div> }.into_any()),
                            }
                        })}
                    </Transition>
                    <ActionForm action=submit attr:class="stacked-form" attr:data-testid="request-form">
                        <div class="form-field" class:has-error=move || error("team").get().is_some()>
                            <label for="field-team">"Your team"</label>
                            <Input id="field-team" name="team" value=team placeholder="e.g. Customer Success EMEA" />
                            {move || error("team").get().map(|e| view! { <div class="field-error" data-field="team">{e}</div> })}
                        </div>
                        <div class="form-field" class:has-error=move || error("role_wanted").get().is_some()>
                            <label for="field-role">"Role you need"</label>
                            <Select id="field-role" name="role_wanted" value=role>
                                {Role::GRANTABLE.iter().map(|r| view! {
                                    <option value=r.as_str() selected=move || role.get() == r.as_str()>{role_choice(*r)}</option>
                                }).collect_view()}
                            </Select>
                            {move || error("role_wanted").get().map(|e| view! { <div class="field-error" data-field="role_wanted">{e}</div> })}
                        </div>
                        <div class="form-field" class:has-error=move || error("reason").get().is_some()>
                            <label for="field-reason">"Why do you need it?"</label>
                            <Textarea id="field-reason" name="reason" value=reason
                                placeholder="What will you use Success for? (10 to 1,000 characters)" />
                            <div class="field-hint">{count}</div>
                            {move || error("reason").get().map(|e| view! { <div class="field-error" data-field="reason">{e}</div> })}
                        </div>
                        <FormError value=Signal::derive(move || submit.value().get()) />
                        <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=submit.pending()>
                            "Send request"
                        </Button>
                    </ActionForm>
                </section>
            </div>
        </div>
    }
}

fn role_choice(role: Role) -> &'static str {
    match role {
        Role::Viewer => "Viewer — read everything",
        Role::Csm => "CSM — route accounts, move deals, send emails",
        Role::Admin => "Admin — also manage access and integrations",
        Role::Owner => "Owner",
    }
}

#[component]
fn RequestStatusNote(request: AccessRequestRow) -> impl IntoView {
    let (class, text) = match request.status {
        RequestStatus::Pending => (
            "status-note status-pending",
            format!(
                "Your request for {} access is pending since {}. The workspace admins have been notified.",
                request.role_wanted.label(),
                crate::ui::fmt_instant(&request.updated_at)
            ),
        ),
        RequestStatus::Approved => (
            "status-note status-approved",
            "Your request was approved. Open Success to start.".to_string(),
        ),
        RequestStatus::Denied => (
            "status-note status-denied",
            format!(
                "Your request was denied: {}. You can send it again with more context.",
                request
                    .decision_reason
                    .clone()
                    .unwrap_or_else(|| "no reason given".into())
            ),
        ),
        RequestStatus::Revoked => (
            "status-note status-denied",
            format!(
                "Your access was revoked{}. You can ask again.",
                request
                    .decision_reason
                    .clone()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ),
    };
    let approved = request.status == RequestStatus::Approved;
    view! {
        <div class=class data-testid="request-status" data-status=request.status.as_str()>
            <span>{text}</span>
            {approved.then(|| view! { <a rel="external" href="/health">"Open Success"</a> })}
        </div>
    }
}
