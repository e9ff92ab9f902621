//! Settings → Email: the SMTP server "we shipped your request" emails go through, the sender,
//! the template, a sending rate and a test send.

use crate::api::{email_settings, SaveEmailSettings, TestEmail};
use crate::close_loop::*;
use crate::ui::*;
use leptos::prelude::*;
use thaw::*;

#[component]
pub fn EmailSettingsPanel(can_manage: bool) -> impl IntoView {
    if !can_manage {
        return view! {
            <section class="panel" id="email" data-testid="email-settings">
                <h2>"Email"</h2>
                <p class="muted">"An admin sets up the SMTP server that Close the Loop emails go through."</p>
            </section>
        }
        .into_any();
    }
    let save = ServerAction::<SaveEmailSettings>::new();
    let data = Resource::new(move || save.version().get(), |_| email_settings());
    view! {
        <section class="panel" id="email" data-testid="email-settings">
            <h2>"Email"</h2>
            <p class="muted">
                "Close the Loop's emails go out through your SMTP server. The password is stored encrypted and never shown again."
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move { loaded(data.await, move |s| view! { <EmailForm s save /> }) })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn EmailForm(s: EmailSettingsView, save: ServerAction<SaveEmailSettings>) -> impl IntoView {
    let f = |v: String| RwSignal::new(v);
    let host = f(s.host.clone());
    let port = f(s.port.to_string());
    let security = f(s.security.as_str().to_string());
    let username = f(s.username.clone());
    let password = f(String::new());
    let from_address = f(s.from_address.clone());
    let from_name = f(s.from_name.clone());
    let reply_to = f(s.reply_to.clone());
    let signature = f(s.signature.clone());
    let subject = f(s.subject_template.clone());
    let body = f(s.body_template.clone());
    let per_minute = f(s.per_minute.to_string());
    let test = ServerAction::<TestEmail>::new();
    let test_to = f(String::new());
    let error = move |field: &'static str| save.value().get().and_then(|r| r.err()).and_then(|e| e.field(field));
    let input = move |label: &'static str, name: &'static str, kind: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input type=kind name=name data-testid=format!("email-{name}") autocomplete="off"
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                {move || error(name).map(|e| view! { <span class="field-error" data-testid=format!("email-{name}-error")>{e}</span> })}
            </label>
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveEmailSettings {
            form: EmailSettingsForm {
                host: host.get_untracked(),
                port: port.get_untracked(),
                security: security.get_untracked(),
                username: username.get_untracked(),
                password: password.get_untracked(),
                from_address: from_address.get_untracked(),
                from_name: from_name.get_untracked(),
                reply_to: reply_to.get_untracked(),
                signature: signature.get_untracked(),
                subject_template: subject.get_untracked(),
                body_template: body.get_untracked(),
                per_minute: per_minute.get_untracked(),
            },
        });
    };
    let sample = MergeFields {
        first_name: "Dana".into(),
        contact_name: "Dana Whitfield".into(),
        account: "Hooli".into(),
        quote: "We need SSO with Okta before security signs off on the renewal.".into(),
        requested_on: chrono::NaiveDate::from_ymd_opt(2026, 6, 2),
        release_title: "v4.2 — SSO with Okta and Azure AD".into(),
        release_link: "https://github.com/piedpiper/platform/releases/tag/v4.2".into(),
        item: "SAML single sign-on with Okta and Azure AD".into(),
        shipped_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 3),
        csm_name: "Monica Hall".into(),
        signature: String::new(),
    };
    let preview = Memo::new(move |_| {
        let fields = MergeFields {
            signature: signature.get(),
            ..sample.clone()
        };
        check_email(&subject.get(), &body.get(), &fields)
    });
    view! {
        <form class="email-form" data-testid="email-form" on:submit=submit>
            <div class="form-grid">
                {input("SMTP host", "host", "text", host)}
                {input("Port", "port", "number", port)}
                <label class="field">
                    <span>"Security"</span>
                    <select name="security" data-testid="email-security" prop:value=move || security.get()
                        on:change=move |ev| security.set(event_target_value(&ev))>
                        {SmtpSecurity::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                {input("User name", "username", "text", username)}
                <label class="field">
                    <span>{match s.password_mask.clone() {
                        Some(mask) => format!("Password (stored: {mask}; leave empty to keep)"),
                        None => "Password".to_string(),
                    }}</span>
                    <input type="password" name="password" data-testid="email-password" autocomplete="new-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                    {move || error("password").map(|e| view! { <span class="field-error">{e}</span> })}
                </label>
                {input("From address", "from_address", "email", from_address)}
                {input("From name", "from_name", "text", from_name)}
                {input("Reply-to (optional)", "reply_to", "email", reply_to)}
                {input("Emails per minute", "per_minute", "number", per_minute)}
            </div>
            <label class="field">
                <span>"Signature"</span>
                <textarea rows="3" name="signature" data-testid="email-signature"
                    prop:value=move || signature.get() on:input=move |ev| signature.set(event_target_value(&ev))></textarea>
            </label>
            {input("Subject", "subject_template", "text", subject)}
            <label class="field">
                <span>"Email template"</span>
                <textarea rows="12" name="body_template" data-testid="email-body_template"
                    prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                {move || error("body_template").map(|e| view! { <span class="field-error" data-testid="email-body_template-error">{e}</span> })}
            </label>
            <p class="muted merge-help">
                {MERGE_FIELDS.iter().map(|(n, what)| view! { <span class="merge-field" title=*what>{format!("{{{{{n}}}}}")}</span> " " }).collect_view()}
            </p>
            <details class="email-preview-box">
                <summary>"Preview with a sample request"</summary>
                {move || match preview.get() {
                    Ok((s, b)) => view! {
                        <div class="email-preview">
                            <div class="email-preview-subject">{s}</div>
                            <pre class="email-preview-body">{b}</pre>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="field-error">{[e.get("subject"), e.get("body")].into_iter().flatten().collect::<Vec<_>>().join(" ")}</p> }.into_any(),
                }}
            </details>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <div class="form-ok" role="status" data-testid="email-saved">"Saved."</div> }.into_any(),
                Err(crate::api::AppError::Fields(_)) => view! { <div class="form-error" role="alert">"Please correct the marked fields."</div> }.into_any(),
                Err(e) => view! { <div class="form-error" role="alert">{e.to_string()}</div> }.into_any(),
            })}
            <div class="form-actions">
                <Button appearance=ButtonAppearance::Primary button_type=ButtonType::Submit attr:data-testid="save-email">"Save email settings"</Button>
            </div>
        </form>
        {s.configured.then(|| view! {
            <form class="test-email" on:submit=move |ev| {
                ev.prevent_default();
                test.dispatch(TestEmail { to: test_to.get_untracked() });
            }>
                <label class="field">
                    <span>"Send a test to"</span>
                    <input type="email" data-testid="test-email-to" prop:value=move || test_to.get()
                        on:input=move |ev| test_to.set(event_target_value(&ev)) />
                </label>
                <Button button_type=ButtonType::Submit attr:data-testid="send-test-email" disabled=test.pending()>
                    {move || if test.pending().get() { "Sending…" } else { "Send test email" }}
                </Button>
                {move || test.value().get().map(|r| match r {
                    Ok(t) => view! { <div class="form-ok" role="status" data-testid="test-email-result">{t}</div> }.into_any(),
                    Err(e) => view! { <div class="form-error" role="alert" data-testid="test-email-result">{e.to_string()}</div> }.into_any(),
                })}
            </form>
        })}
    }
}
