//! The string enums shared by the model's topics: lifecycle, payment, sources, stages, integrations.

use super::*;

string_enum!(
    /// Where an account stands in its life with us.
    Lifecycle {
        Prospect => "prospect" / "Prospect",
        Trial => "trial" / "Trial",
        Customer => "customer" / "Customer",
        Churned => "churned" / "Churned",
    }
);

string_enum!(
    /// The worst payment situation across an account's revenue sources.
    PaymentState {
        None => "none" / "No billing",
        Paid => "paid" / "Paid",
        Open => "open" / "Invoice open",
        PastDue => "past_due" / "Past due",
        Failed => "failed" / "Payment failed",
    }
);

impl PaymentState {
    /// Higher is worse; an account's state is the worst of its sources.
    pub fn severity(self) -> u8 {
        match self {
            PaymentState::None => 0,
            PaymentState::Paid => 1,
            PaymentState::Open => 2,
            PaymentState::PastDue => 3,
            PaymentState::Failed => 4,
        }
    }

    pub fn is_problem(self) -> bool {
        self.severity() >= PaymentState::PastDue.severity()
    }
}

string_enum!(
    /// The system a revenue source comes from.
    RevenueSourceKind {
        Salesbricks => "salesbricks" / "Salesbricks",
        Stripe => "stripe" / "Stripe",
    }
);

string_enum!(
    BillingInterval {
        Day => "day" / "Daily",
        Week => "week" / "Weekly",
        Month => "month" / "Monthly",
        Year => "year" / "Annual",
    }
);

string_enum!(
    InvoiceStatus {
        Draft => "draft" / "Draft",
        Open => "open" / "Open",
        Paid => "paid" / "Paid",
        Uncollectible => "uncollectible" / "Uncollectible",
        Void => "void" / "Void",
    }
);

string_enum!(
    SignalSource {
        Call => "call" / "Call",
        Support => "support" / "Support",
        Survey => "survey" / "Survey",
        Email => "email" / "Email",
        Chat => "chat" / "Chat",
        Other => "other" / "Other",
    }
);

string_enum!(
    DealSource {
        Salesbricks => "salesbricks" / "Salesbricks",
        Attio => "attio" / "Attio",
        Manual => "manual" / "Manual",
        Routed => "routed" / "Routed",
    }
);

string_enum!(
    StageOutcome {
        Open => "open" / "Open",
        Won => "won" / "Won",
        Lost => "lost" / "Lost",
    }
);

string_enum!(
    ReleaseSource {
        Github => "github" / "GitHub",
        Rss => "rss" / "RSS",
        Changelog => "changelog" / "Changelog",
    }
);

string_enum!(
    /// The integrations a workspace can connect (Settings → Integrations).
    IntegrationKind {
        Salesbricks => "salesbricks" / "Salesbricks",
        Stripe => "stripe" / "Stripe",
        Posthog => "posthog" / "PostHog",
        Hubspot => "hubspot" / "HubSpot",
        Attio => "attio" / "Attio",
        GithubReleases => "github" / "GitHub releases",
        Feeds => "feeds" / "RSS / changelog feeds",
        Signals => "signals" / "Signals endpoint",
    }
);

impl IntegrationKind {
    pub fn powers(self) -> &'static str {
        match self {
            IntegrationKind::Salesbricks => "Contracts, orders, trials, deal stages, closed-lost reasons",
            IntegrationKind::Stripe => "Subscriptions, invoices, payment state, MRR/ARR",
            IntegrationKind::Posthog => "Active users, feature adoption, weekly trends",
            IntegrationKind::Hubspot => "Industry, size, location and custom fields",
            IntegrationKind::Attio => "Deals for Pipeline (instead of Salesbricks)",
            IntegrationKind::GithubReleases => "Shipped features for Close the Loop",
            IntegrationKind::Feeds => "Shipped features from RSS, Atom and changelogs",
            IntegrationKind::Signals => "Calls, support tickets and surveys behind risk factors",
        }
    }
}
