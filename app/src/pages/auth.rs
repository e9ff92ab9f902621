//! The ways in: first-start setup, sign-in and sign-up (self sign-up by domain or by invitation).
//! The forms post to server functions and work before the page has hydrated.

use crate::access::Role;
use crate::api::{invitation_details, AppError, SetupWorkspace, SignIn, SignUp};
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_query_map;
use thaw::*;

const PASSWORD_HINT: &str = "At least 10 characters.";

/// The centred card the sign-in pages share.
#[component]
pub fn AuthCard(title: &'static str, subtitle: &'static str, children: Children) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title />
        <div class="auth-page">
            <div class="auth-card">
                <div class="auth-brand">
                    <span class="brand-mark">"S"</span>
                    <span class="brand-name">"Success"</span>
                </div>
                <h1>{title}</h1>
                <p class="subtitle">{subtitle}</p>
                {children()}
            </div>
        </div>
    }
}

/// A labelled input with the server's (or the browser's) message for it underneath.
#[component]
pub fn FormField(
    label: &'static str,
    name: &'static str,
    #[prop(optional)] input_type: InputType,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional, into)] readonly: bool,
    #[prop(optional, into)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let model = RwSignal::new(value.unwrap_or_default());
    view! {
        <div class="form-field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <Input
                id=id
                name=name
                input_type
                value=model
                autocomplete=autocomplete.to_string()
                readonly
            />
            {hint.map(|h| view! { <div class="field-hint">{h}</div> })}
            {move || error.get().map(|e| view! { <div class="field-error" role="alert" data-field=name>{e}</div> })}
        </div>
    }
}

/// The message of a failed action for one field.
pub fn field_error<T: Send + Sync + 'static>(
    value: Signal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err()).and_then(|e| e.field(field))))
}

/// A failed action's message that belongs to no single field.
#[component]
pub fn FormError<T: Send + Sync + 'static>(value: Signal<Option<Result<T, AppError>>>) -> impl IntoView {
    move || {
        value.with(|v| match v {
            Some(Err(AppError::Fields(_))) | None | Some(Ok(_)) => None,
            Some(Err(e)) => {
                Some(view! { <div class="form-error" role="alert" data-testid="form-error">{e.to_string()}</div> })
            }
        })
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<SetupWorkspace>::new();
    let value = Signal::derive(move || action.value().get());
    view! {
        <AuthCard title="Set up Success" subtitle="Create your workspace and its owner account. You can invite your team next.">
            <ActionForm action attr:class="auth-form" attr:data-testid="setup-form">
                <FormField label="Setup token" name="setup_token" autocomplete="off"
                    hint="Printed in the server's log at its first start (or SUCCESS_SETUP_TOKEN)."
                    error=field_error(value, "setup_token") />
                <FormField label="Workspace name" name="workspace_name" value="" autocomplete="organization"
                    error=field_error(value, "workspace_name") />
                <FormField label="Your name" name="name" autocomplete="name" error=field_error(value, "name") />
                <FormField label="Work email" name="email" input_type=InputType::Email autocomplete="email"
                    error=field_error(value, "email") />
                <FormField label="Password" name="password" input_type=InputType::Password autocomplete="new-password"
                    hint=PASSWORD_HINT
                    error=field_error(value, "password") />
                <label class="check-field">
                    <input type="checkbox" name="sample_data" value="on" checked />
                    " Start with the Pied Piper sample data (60 accounts you can change freely)"
                </label>
                <FormError value />
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=action.pending() block=true>
                    "Create workspace"
                </Button>
            </ActionForm>
            <p class="auth-alt">
                <a rel="external" href="/demo/enter?next=/health">"Just look around the read-only demo"</a>
            </p>
        </AuthCard>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let value = Signal::derive(move || action.value().get());
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    view! {
        <AuthCard title="Sign in" subtitle="Welcome back to Success.">
            <ActionForm action attr:class="auth-form" attr:data-testid="sign-in-form">
                <input type="hidden" name="next" prop:value=next />
                <FormField label="Email" name="email" input_type=InputType::Email autocomplete="username"
                    error=field_error(value, "email") />
                <FormField label="Password" name="password" input_type=InputType::Password autocomplete="current-password"
                    error=field_error(value, "password") />
                <FormError value />
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=action.pending() block=true>
                    "Sign in"
                </Button>
            </ActionForm>
            <p class="auth-alt">
                <a href="/forgot-password" data-testid="forgot-password">"Forgot your password?"</a>
            </p>
            <p class="auth-alt">
                "New here? " <a href="/sign-up">"Create an account"</a>
                " · " <a rel="external" href="/demo/enter?next=/health">"Preview with demo data"</a>
            </p>
        </AuthCard>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let value = Signal::derive(move || action.value().get());
    let query = use_query_map();
    let invite = move || query.with(|q| q.get("invite").unwrap_or_default());
    let invitation = Resource::new(invite, |token| async move {
        if token.is_empty() {
            None
        } else {
            Some(invitation_details(token).await)
        }
    });
    view! {
        <AuthCard title="Create your account" subtitle="Use your work email. An admin decides who sees customer data.">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let info = invitation.await;
                    let (email, readonly, note) = match info {
                        Some(Ok(i)) => (
                            i.email.clone(),
                            true,
                            Some(view! {
                                <div class="form-note" data-testid="invitation">
                                    {format!("You are invited to {} as {}.", i.workspace_name, role_label(i.role))}
                                </div>
                            }.into_any()),
                        ),
                        Some(Err(_)) => (
                            String::new(),
                            false,
                            Some(view! {
                                <div class="form-error" role="alert">
                                    "This invitation link is not valid any more (used, revoked or expired). Ask your admin for a new one."
                                </div>
                            }.into_any()),
                        ),
                        None => (String::new(), false, None),
                    };
                    let check_inbox = move || value.with(|v| match v {
                        Some(Ok(Some(message))) => Some(message.clone()),
                        _ => None,
                    });
                    view! {
                        {note}
                        {move || check_inbox().map(|m| view! {
                            <div class="form-note" role="status" data-testid="check-inbox">{m}</div>
                        })}
                        <ActionForm action attr:data-testid="sign-up-form"
                            attr:class=move || if check_inbox().is_some() { "auth-form hidden" } else { "auth-form" }>
                            <input type="hidden" name="invite" prop:value=invite />
                            <FormField label="Your name" name="name" autocomplete="name" error=field_error(value, "name") />
                            <FormField label="Work email" name="email" input_type=InputType::Email autocomplete="email"
                                value=email readonly error=field_error(value, "email") />
                            <FormField label="Password" name="password" input_type=InputType::Password autocomplete="new-password"
                                hint=PASSWORD_HINT error=field_error(value, "password") />
                            <FormError value />
                            <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=action.pending() block=true>
                                "Create account"
                            </Button>
                        </ActionForm>
                    }
                })}
            </Suspense>
            <p class="auth-alt">"Already have an account? " <a href="/sign-in">"Sign in"</a></p>
        </AuthCard>
    }
}

fn role_label(role: Role) -> &'static str {
    role.label()
}
