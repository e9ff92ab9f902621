//! Success: the crate shared by the browser and the server — domain types, pure logic,
//! components, routes and server function declarations.

#![recursion_limit = "256"]

pub mod access;
pub mod accounts;
pub mod api;
pub mod chat;
pub mod close_loop;
pub mod integrations;
pub mod kit;
pub mod likelihood;
pub mod live;
pub mod matching;
pub mod model;
pub mod money;
pub mod pages;
pub mod revenue;
pub mod scoring;
pub mod signals;
pub mod ui;
pub mod url;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};
use thaw::ConfigProvider;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <thaw::ssr::SSRMountStyleProvider>
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    <meta charset="utf-8" />
                    <meta name="viewport" content="width=device-width, initial-scale=1" />
                    <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                    <HashedStylesheet options=options.clone() id="leptos" />
                    <AutoReload options=options.clone() />
                    <HydrationScripts options />
                    <MetaTags />
                </head>
                <body>
                    <App />
                </body>
            </html>
        </thaw::ssr::SSRMountStyleProvider>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Success".to_string() } else { format!("{page} · Success") }
        } />
        <ConfigProvider>
            <Router>
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/setup") view=pages::auth::SetupPage />
                    <Route path=path!("/sign-in") view=pages::auth::SignInPage />
                    <Route path=path!("/sign-up") view=pages::auth::SignUpPage />
                    <Route path=path!("/verify-email") view=pages::account_security::VerifyEmailPage />
                    <Route path=path!("/forgot-password") view=pages::account_security::ForgotPasswordPage />
                    <Route path=path!("/reset-password") view=pages::account_security::ResetPasswordPage />
                    <Route path=path!("/success-unlock") view=pages::unlock::UnlockPage />
                    <Route path=path!("/tv/:token") view=pages::tv::TvPage />
                    <ParentRoute path=path!("") view=ui::AppShell>
                        <Route path=path!("/") view=|| view! { <Redirect path="/health" /> } />
                        <Route path=path!("/health") view=pages::health::HealthPage />
                        <Route path=path!("/accounts/:id") view=pages::account::AccountPage />
                        <Route path=path!("/convert") view=pages::convert::ConvertPage />
                        <Route path=path!("/contracts") view=pages::contracts::ContractsPage />
                        <Route path=path!("/pipeline") view=pages::pipeline::PipelinePage />
                        <Route path=path!("/re-engage") view=pages::reengage::ReengagePage />
                        <Route path=path!("/close-the-loop") view=pages::close_the_loop::CloseTheLoopPage />
                        <Route path=path!("/settings") view=pages::settings::SettingsPage />
                        <Route path=path!("/settings/access") view=pages::access::AccessPage />
                        <Route path=path!("/settings/scoring") view=pages::scoring::ScoringPage />
                        <Route path=path!("/settings/data") view=pages::data::DataPage />
                        <Route path=path!("/settings/account") view=pages::account_security::AccountSettingsPage />
                    </ParentRoute>
                </Routes>
            </Router>
        </ConfigProvider>
    }
}
