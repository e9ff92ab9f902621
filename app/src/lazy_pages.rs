//! Every page is a lazy route. Built with `cargo leptos … --split`, each page's code is a wasm chunk
//! of its own, fetched when the page is first shown (and preloaded for the page a visit lands on),
//! so a first visit downloads the shell and one page rather than all of them.

use crate::pages;
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

macro_rules! lazy_pages {
    ($($route:ident => $page:path),* $(,)?) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    )*};
}

lazy_pages! {
    SetupRoute => pages::auth::SetupPage,
    SignInRoute => pages::auth::SignInPage,
    SignUpRoute => pages::auth::SignUpPage,
    VerifyEmailRoute => pages::account_security::VerifyEmailPage,
    ForgotPasswordRoute => pages::account_security::ForgotPasswordPage,
    ResetPasswordRoute => pages::account_security::ResetPasswordPage,
    UnlockRoute => pages::unlock::UnlockPage,
    TvRoute => pages::tv::TvPage,
    HealthRoute => pages::health::HealthPage,
    AccountRoute => pages::account::AccountPage,
    ConvertRoute => pages::convert::ConvertPage,
    ContractsRoute => pages::contracts::ContractsPage,
    PipelineRoute => pages::pipeline::PipelinePage,
    ReengageRoute => pages::reengage::ReengagePage,
    CloseTheLoopRoute => pages::close_the_loop::CloseTheLoopPage,
    SettingsRoute => pages::settings::SettingsPage,
    AccessRoute => pages::access::AccessPage,
    ScoringRoute => pages::scoring::ScoringPage,
    DataRoute => pages::data::DataPage,
    AccountSettingsRoute => pages::account_security::AccountSettingsPage,
}
