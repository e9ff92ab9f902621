//! The account pages: confirm a sign-up's email, forgot and reset password, and the "Your
//! account" panel in Settings (change password, sign out everywhere).

use crate::accounts::{ChangePassword, RequestPasswordReset, ResetPassword, SignOutEverywhere, VerifyEmail};
use crate::pages::auth::{field_error, AuthCard, FormError, FormField};
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_query_map;
use thaw::*;

/// `/verify-email?token=…`: one click confirms (a button, so a mail scanner fetching the link
/// does not use it up), then the person is signed in.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let value = Signal::derive(move || action.value().get());
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    view! {
        <AuthCard title="Confirm your email" subtitle="One click and your account exists; then ask for access to Success.">
            <ActionForm action attr:class="auth-form" attr:data-testid="verify-form">
                <input type="hidden" name="token" prop:value=token />
                <FormError value />
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=action.pending() block=true>
                    "Confirm and sign in"
                </Button>
            </ActionForm>
            <p class="auth-alt"><a href="/sign-up">"Sign up again"</a>" · "<a href="/sign-in">"Sign in"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let value = Signal::derive(move || action.value().get());
    let sent = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned());
    view! {
        <AuthCard title="Forgot your password?" subtitle="We email you a link to choose a new one.">
            {move || match sent() {
                Some(message) => view! {
                    <div class="form-note" role="status" data-testid="reset-requested">{message}</div>
                }.into_any(),
                None => view! {
                    <ActionForm action attr:class="auth-form" attr:data-testid="forgot-form">
                        <FormField label="Email" name="email" input_type=InputType::Email autocomplete="username"
                            error=field_error(value, "email") />
                        <FormError value />
                        <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=action.pending() block=true>
                            "Email me a link"
                        </Button>
                    </ActionForm>
                }.into_any(),
            }}
            <p class="auth-alt"><a href="/sign-in">"Back to sign in"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let value = Signal::derive(move || action.value().get());
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    view! {
        <AuthCard title="Choose a new password" subtitle="Every other session of yours ends when you save it.">
            <ActionForm action attr:class="auth-form" attr:data-testid="reset-form">
                <input type="hidden" name="token" prop:value=token />
                <FormField label="New password" name="password" input_type=InputType::Password autocomplete="new-password"
                    hint="At least 10 characters." error=field_error(value, "password") />
                <FormError value />
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=action.pending() block=true>
                    "Save and sign in"
                </Button>
            </ActionForm>
            <p class="auth-alt"><a href="/forgot-password">"Send a new link"</a></p>
        </AuthCard>
    }
}

/// Settings → "Your account": change the password, or end every session.
#[component]
pub fn YourAccount() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let value = Signal::derive(move || change.value().get());
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let done = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned());
    view! {
        <section class="panel" data-testid="your-account">
            <h2>"Your account"</h2>
            <ActionForm action=change attr:class="account-form" attr:data-testid="change-password-form">
                <FormField label="Current password" name="current_password" input_type=InputType::Password
                    autocomplete="current-password" error=field_error(value, "current_password") />
                <FormField label="New password" name="new_password" input_type=InputType::Password
                    autocomplete="new-password" hint="At least 10 characters." error=field_error(value, "new_password") />
                <FormError value />
                {move || done().map(|m| view! { <div class="form-note" role="status" data-testid="password-changed">{m}</div> })}
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=change.pending()>
                    "Change password"
                </Button>
            </ActionForm>
            <ActionForm action=everywhere attr:class="account-form">
                <p class="field-hint">"Lost a laptop, or signed in somewhere you should not stay? End every session, this one included."</p>
                <Button button_type=ButtonType::Submit loading=everywhere.pending() attr:data-testid="sign-out-everywhere">
                    "Sign out everywhere"
                </Button>
            </ActionForm>
        </section>
    }
}

/// `/settings/account`.
#[component]
pub fn AccountSettingsPage() -> impl IntoView {
    view! {
        <crate::ui::PageHeader title="Your account" subtitle="Your password and where you are signed in." />
        <crate::pages::settings::SettingsTabs />
        <YourAccount />
    }
}
