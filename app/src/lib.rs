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
mod lazy_pages;
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
    path, Lazy,
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
                    <Route path=path!("/setup") view={Lazy::<lazy_pages::SetupRoute>::new()} />
                    <Route path=path!("/sign-in") view={Lazy::<lazy_pages::SignInRoute>::new()} />
                    <Route path=path!("/sign-up") view={Lazy::<lazy_pages::SignUpRoute>::new()} />
                    <Route path=path!("/verify-email") view={Lazy::<lazy_pages::VerifyEmailRoute>::new()} />
                    <Route path=path!("/forgot-password") view={Lazy::<lazy_pages::ForgotPasswordRoute>::new()} />
                    <Route path=path!("/reset-password") view={Lazy::<lazy_pages::ResetPasswordRoute>::new()} />
                    <Route path=path!("/success-unlock") view={Lazy::<lazy_pages::UnlockRoute>::new()} />
                    <Route path=path!("/tv/:token") view={Lazy::<lazy_pages::TvRoute>::new()} />
                    <ParentRoute path=path!("") view=ui::AppShell>
                        <Route path=path!("/") view=|| view! { <Redirect path="/health" /> } />
                        <Route path=path!("/health") view={Lazy::<lazy_pages::HealthRoute>::new()} />
                        <Route path=path!("/accounts/:id") view={Lazy::<lazy_pages::AccountRoute>::new()} />
                        <Route path=path!("/convert") view={Lazy::<lazy_pages::ConvertRoute>::new()} />
                        <Route path=path!("/contracts") view={Lazy::<lazy_pages::ContractsRoute>::new()} />
                        <Route path=path!("/pipeline") view={Lazy::<lazy_pages::PipelineRoute>::new()} />
                        <Route path=path!("/re-engage") view={Lazy::<lazy_pages::ReengageRoute>::new()} />
                        <Route path=path!("/close-the-loop") view={Lazy::<lazy_pages::CloseTheLoopRoute>::new()} />
                        <Route path=path!("/settings") view={Lazy::<lazy_pages::SettingsRoute>::new()} />
                        <Route path=path!("/settings/access") view={Lazy::<lazy_pages::AccessRoute>::new()} />
                        <Route path=path!("/settings/scoring") view={Lazy::<lazy_pages::ScoringRoute>::new()} />
                        <Route path=path!("/settings/data") view={Lazy::<lazy_pages::DataRoute>::new()} />
                        <Route path=path!("/settings/account") view={Lazy::<lazy_pages::AccountSettingsRoute>::new()} />
                    </ParentRoute>
                </Routes>
            </Router>
        </ConfigProvider>
    }
}
