//! One module per Success page.

pub mod access;
pub mod account;
pub mod account_chat;
pub mod account_security;
pub mod auth;
pub mod chart;
pub mod close_the_loop;
pub mod contracts;
pub mod convert;
pub mod data;
pub mod email_settings;
pub mod health;
pub mod matching;
pub mod pipeline;
pub mod reengage;
pub mod scoring;
pub mod settings;
pub mod tv;
pub mod unlock;

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <leptos_meta::Title text="Not found" />
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no Success page at this address."</p>
            <A href="/health">"Go to Health"</A>
        </section>
    }
}
