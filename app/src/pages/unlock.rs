//! /success-unlock: where people without access to Success land.

use crate::ui::PageHeader;
use leptos::prelude::*;

#[component]
pub fn UnlockPage() -> impl IntoView {
    view! {
        <PageHeader title="Success" subtitle="Your Customer Success workspace." />
        <section class="panel unlock">
            <p>
                "Success pulls contracts from Salesbricks, billing from Stripe, usage from PostHog and signals from "
                "your customer conversations into one place, so you can answer who is at risk, who is about to "
                "convert and who needs an outreach — without leaving a single screen."
            </p>
            <ul class="plain-list">
                <li><strong>"Health"</strong>" — the renewal-and-risk queue."</li>
                <li><strong>"Convert"</strong>" — trials ranked by how close they are to upgrading."</li>
                <li><strong>"Contracts"</strong>" — every contract and subscription with its renewal date."</li>
                <li><strong>"Pipeline"</strong>" — deals by stage, with health context."</li>
                <li><strong>"Re-engage"</strong>" — closed-lost deals worth a winback."</li>
                <li><strong>"Close the Loop"</strong>" — tell customers when what they asked for ships."</li>
            </ul>
            <a class="button-primary" rel="external" href="/demo/enter?next=/health">"Preview with demo data"</a>
            <p class="muted">"Access to Success is granted by a workspace admin in Settings → Access."</p>
        </section>
    }
}
