//! The Pied Piper demo universe: a deterministic generator (fixed seed, dates relative to `today`)
//! whose accounts tell a coherent story. Each account has a hidden "health" from 0 to 1 that drives
//! its usage, payments, signals, champions and trial activation together, so the pages (and later
//! the scoring models) see a real signal rather than noise.

use crate::store::load::*;
use chrono::{Datelike, Duration, NaiveDate};

pub const DEMO_SLUG: &str = "pied-piper-demo";
pub const DEFAULT_SEED: u64 = 0x5049_4544_5049_5052; // "PIEDPIPR"

/// SplitMix64: tiny, fast and stable across releases, so the demo never changes under us.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform integer in [lo, hi].
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next_u64() as usize % items.len()]
    }
}

/// Canonical accounts first, each with a fixed role in the story: (name, lifecycle, health).
const CANON: &[(&str, &str, f64)] = &[
    ("Hooli", "customer", 0.15),
    ("Raviga Capital", "customer", 0.85),
    ("Aviato", "churned", 0.2),
    ("Endframe", "churned", 0.3),
    ("Bachmanity", "trial", 0.8),
    ("Nucleus Labs", "prospect", 0.5),
    ("Bream-Hall", "customer", 0.7),
    ("Maleant Data Systems", "customer", 0.25),
    ("Coleman-Blair", "customer", 0.9),
    ("Goolybib", "trial", 0.3),
    ("Intersite", "customer", 0.6),
    ("Sliceline", "customer", 0.45),
    ("Optimoji", "trial", 0.65),
    ("Flutterbeam", "prospect", 0.6),
    ("SeeFood Technologies", "churned", 0.35),
    ("Tres Commas", "customer", 0.5),
    ("K.H.M.H.", "customer", 0.75),
    ("Yao Net", "prospect", 0.4),
    ("Sand Hill Shuffle", "trial", 0.5),
    ("Homicide", "customer", 0.35),
    ("PiperNet Partners", "customer", 0.95),
    ("Feldspar VR", "churned", 0.25),
    ("Gilfoyle Security", "customer", 0.8),
    ("Big Head Ventures", "prospect", 0.55),
    ("Conjoined Triangles", "trial", 0.2),
    ("Signature Box", "customer", 0.55),
];

/// Canonical customers whose annual renewal falls at a fixed distance from today: (index, days).
const CANON_RENEWS_IN: &[(usize, i64)] = &[(0, 45), (1, 62), (6, 78), (7, 21), (10, 33), (15, 88)];

/// Canonical customers with a fixed payment story: Hooli's card fails, Maleant is past due.
const CANON_PAYMENT: &[(usize, &str)] = &[(0, "failed"), (7, "past_due"), (1, "paid")];

const PREFIXES: &[&str] = &[
    "Middle-Out",
    "Weissman",
    "Anton",
    "Tabs",
    "Palo Alto",
    "Menlo",
    "Sand Hill",
    "Cupertino",
    "Bighetti",
    "Laurie",
    "Pied",
    "Compression",
    "Nucleus",
    "Gavin",
    "Russ",
    "Jian",
    "Monica",
    "Dinesh",
    "Jared",
    "Erlich",
    "Richard",
    "Optimal",
    "Lossless",
    "Entropy",
    "Bitrate",
    "Codec",
    "Kernel",
    "Vector",
    "Packet",
    "Quantum",
    "Stanford",
    "Mountain",
    "Redwood",
    "Valley",
    "Harbor",
    "Summit",
    "Orbit",
    "Signal",
    "Cipher",
    "Lattice",
];
const SUFFIXES: &[&str] = &[
    "Labs",
    "Systems",
    "Analytics",
    "Media",
    "Networks",
    "Holdings",
    "Partners",
    "Dynamics",
    "Works",
    "Cloud",
    "Data",
    "Logic",
    "Robotics",
    "Health",
    "Capital",
    "Studios",
    "Security",
    "Energy",
    "Foods",
    "Mobility",
];
const OWNERS: &[&str] = &["Monica Hall", "Jared Dunn", "Carla Walton", "Ron LaFlamme"];
const INDUSTRIES: &[&str] = &[
    "Software",
    "Media",
    "Fintech",
    "Healthcare",
    "Retail",
    "Logistics",
    "Security",
    "Education",
];
const COUNTRIES: &[&str] = &["US", "US", "US", "GB", "DE", "CA", "IN", "CN"];
const FIRST: &[&str] = &[
    "Alex", "Sam", "Priya", "Chen", "Maria", "Tom", "Ana", "Omar", "Grace", "Luis", "Nina", "Raj", "Eva", "Ben",
];
const LAST: &[&str] = &[
    "Nguyen", "Patel", "Smith", "Garcia", "Kim", "Müller", "Rossi", "Cohen", "Okafor", "Silva", "Larsen",
];
const TITLES: &[&str] = &[
    "VP Engineering",
    "Head of Platform",
    "CTO",
    "Engineering Manager",
    "Director of IT",
    "Product Lead",
];
const FEATURES: &[&str] = &["compression", "search", "sharing", "api", "admin"];
const PLANS: &[(&str, i64)] = &[("Team", 4_000), ("Business", 6_000), ("Enterprise", 9_000)];
const LOST_REASONS: &[&str] = &[
    "price",
    "timing",
    "competitor: Endframe",
    "missing feature: SSO",
    "champion left",
    "budget cut",
];

/// Feature-request themes and the releases that shipped them (None = not shipped yet).
/// A request theme: (project, what customers say, the release that shipped it: title and body).
type Theme = (&'static str, &'static str, Option<(&'static str, &'static str)>);

const THEMES: &[Theme] = &[
    (
        "Security",
        "We need SSO with Okta before security signs off on the renewal.",
        Some((
            "v4.2 — SSO with Okta and Azure AD",
            "- SAML single sign-on with Okta and Azure AD\n- SCIM user provisioning",
        )),
    ),
    (
        "Integrations",
        "A Slack integration so the team sees compression reports in channel would be huge.",
        Some((
            "v4.3 — Slack notifications",
            "- Post compression reports to Slack channels\n- Alert when a job fails",
        )),
    ),
    (
        "Security",
        "Our auditors keep asking for an audit log of admin actions.",
        Some((
            "v4.4 — Audit log",
            "- Audit log of admin and permission changes\n- Export the audit log as CSV",
        )),
    ),
    ("Platform", "We can only buy if our data stays in the EU.", None),
    (
        "Data",
        "Bulk export to CSV — we copy numbers by hand every month.",
        Some((
            "v4.1 — Bulk CSV export",
            "- Export any report as CSV\n- Scheduled exports to S3",
        )),
    ),
    ("Integrations", "Salesforce sync for account data, please.", None),
    (
        "Admin",
        "Custom roles: contractors should not see billing.",
        Some((
            "v4.5 — Custom roles",
            "- Define custom roles and permissions\n- Restrict billing to admins",
        )),
    ),
    (
        "Platform",
        "The API rate limit blocks our nightly batch; we need a higher limit.",
        Some((
            "v4.0 — API limits raised",
            "- 10x higher API rate limits on Business and Enterprise\n- Retry-After on every 429",
        )),
    ),
    ("Mobile", "A mobile app to check job status on the go.", None),
    (
        "Compression",
        "Middle-out compression for 4K video files.",
        Some((
            "v5.0 — Middle-out video",
            "- Middle-out compression for 4K and 8K video\n- 30% smaller files at the same quality",
        )),
    ),
];

/// Other ways customers say each theme's request (same order as THEMES), so themes group real
/// near-duplicates rather than copies.
const REWORDINGS: &[&[&str]] = &[
    &[
        "Single sign-on through Okta is a must for our security review.",
        "Can we log in with SAML? IT won't approve more passwords.",
    ],
    &[
        "Please add Slack notifications when a compression job finishes.",
        "We'd love compression reports posted in a Slack channel.",
    ],
    &[
        "Is there an audit trail of who changed admin settings?",
        "Security wants an audit log of admin changes they can export.",
    ],
    &[
        "GDPR: our data has to stay in Europe.",
        "Do you offer EU data residency?",
    ],
    &[
        "We need to export reports to CSV for finance.",
        "A CSV export of the usage report would save us hours.",
    ],
    &[
        "Syncing accounts with Salesforce would help our sales team.",
        "Any plans for a Salesforce integration?",
    ],
    &[
        "We need roles and permissions so contractors can't see billing.",
        "Can we restrict billing access to admins with custom roles?",
    ],
    &[
        "Our nightly batch gets throttled by the API rate limits.",
        "Could you raise the API rate limit for our plan?",
    ],
    &[
        "An iOS app for checking jobs would be great.",
        "Is a mobile app on the roadmap?",
    ],
    &[
        "Does middle-out work for 4K video yet?",
        "We want middle-out compression for our 4K video archive.",
    ],
];

const _: () = assert!(REWORDINGS.len() == THEMES.len());

const NEGATIVE: &[(&str, &str)] = &[
    (
        "pricing concerns",
        "Honestly the price went up and finance is asking why we pay for seats nobody uses.",
    ),
    (
        "performance",
        "Uploads have been slow for two weeks and the team is frustrated.",
    ),
    (
        "churn risk",
        "We're evaluating Endframe as an alternative before the renewal.",
    ),
    (
        "support wait",
        "We waited four days for an answer on a blocking ticket.",
    ),
    (
        "champion leaving",
        "Our main advocate for Pied Piper is leaving the company next month.",
    ),
];
const POSITIVE: &[(&str, &str)] = &[
    (
        "expansion interest",
        "We want to roll this out to the data team as well — can we talk about more seats?",
    ),
    ("praise", "Middle-out cut our storage bill in half. The team loves it."),
    ("onboarding", "Onboarding was smooth; everyone was set up in a day."),
];
const NEUTRAL: &[(&str, &str)] = &[
    ("how-to", "How do we share a compressed library with another workspace?"),
    (
        "billing question",
        "Can we move the invoice date to the first of the month?",
    ),
];

pub struct DemoSpec {
    pub accounts: usize,
    pub seed: u64,
    pub today: NaiveDate,
    pub name: String,
    pub slug: String,
}

impl DemoSpec {
    /// The Pied Piper preview workspace every install offers.
    pub fn preview(today: NaiveDate) -> Self {
        DemoSpec {
            accounts: 60,
            seed: DEFAULT_SEED,
            today,
            name: "Pied Piper (demo)".into(),
            slug: DEMO_SLUG.into(),
        }
    }
}

fn d(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn instant(date: NaiveDate, hour: i64) -> String {
    format!("{}T{:02}:00:00Z", d(date), hour.clamp(0, 23))
}

fn slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| {
            if c.is_ascii_alphanumeric() {
                Some(c.to_ascii_lowercase())
            } else if c == ' ' || c == '-' {
                Some('-')
            } else {
                None
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn account_name(i: usize) -> String {
    if let Some((name, _, _)) = CANON.get(i) {
        return name.to_string();
    }
    let n = i - CANON.len();
    let combos = PREFIXES.len() * SUFFIXES.len();
    let base = format!(
        "{} {}",
        PREFIXES[n % PREFIXES.len()],
        SUFFIXES[(n / PREFIXES.len()) % SUFFIXES.len()]
    );
    let name = match n / combos {
        0 => base,
        round => format!("{base} {}", round + 1),
    };
    // Names (and so domains) stay unique: a composed name may equal a canonical one.
    if CANON.iter().any(|(canon, _, _)| *canon == name) {
        format!("{name} Group")
    } else {
        name
    }
}

pub fn default_stages() -> Vec<NewStage> {
    [
        ("discovery", "Discovery", "open"),
        ("evaluation", "Evaluation", "open"),
        ("proposal", "Proposal", "open"),
        ("awaiting_countersign", "Awaiting countersign", "open"),
        ("closed_won", "Closed won", "won"),
        ("closed_lost", "Closed lost", "lost"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (key, label, outcome))| NewStage {
        key: key.to_string(),
        label: label.to_string(),
        position: i as i64,
        outcome,
    })
    .collect()
}

/// The next date on or after `today` that is a whole number of `months` after `start`.
fn next_anniversary(start: NaiveDate, today: NaiveDate, months: u32) -> NaiveDate {
    let mut k = 1;
    loop {
        let candidate = start
            .checked_add_months(chrono::Months::new(months * k))
            .unwrap_or(today);
        if candidate >= today {
            return candidate;
        }
        k += 1;
    }
}

pub fn generate(spec: &DemoSpec) -> Dataset {
    let mut rng = Rng::new(spec.seed);
    let today = spec.today;
    let mut data = Dataset {
        workspace: NewWorkspace {
            name: spec.name.clone(),
            slug: spec.slug.clone(),
            is_demo: true,
            currency: "USD".into(),
        },
        stages: default_stages(),
        ..Default::default()
    };
    for (n, (_, _, shipped)) in THEMES.iter().enumerate() {
        if let Some((title, body)) = shipped {
            let published = today - Duration::days(10 + 17 * n as i64);
            data.releases.push(NewRelease {
                source: if n % 3 == 0 { "changelog" } else { "github" },
                external_id: format!("rel-{n}"),
                title: title.to_string(),
                body: body.to_string(),
                url: Some(format!("https://github.com/piedpiper/platform/releases/tag/v{n}")),
                published_on: d(published),
            });
        }
    }

    let week0 = today - Duration::days(today.weekday().num_days_from_monday() as i64) - Duration::weeks(25);
    for i in 0..spec.accounts {
        let (lifecycle, health) = match CANON.get(i) {
            Some((_, lifecycle, health)) => (*lifecycle, *health),
            None => {
                let roll = rng.unit();
                let lifecycle = if roll < 0.6 {
                    "customer"
                } else if roll < 0.75 {
                    "trial"
                } else if roll < 0.88 {
                    "prospect"
                } else {
                    "churned"
                };
                (lifecycle, rng.unit())
            }
        };
        let name = account_name(i);
        let domain = format!("{}.com", slug(&name));
        let size = *rng.pick(&[15i64, 40, 80, 200, 450, 1_200, 5_000]);
        // Hooli is the whale whose renewal is at risk.
        let employees = if i == 0 { 5_000 } else { size };
        let seats = (employees / 8).clamp(5, 400);
        let a = data.accounts.len();
        let created = today - Duration::days(rng.range(30, 1_100));
        data.accounts.push(NewAccount {
            name: name.clone(),
            domain: Some(domain.clone()),
            owner_name: Some(rng.pick(OWNERS).to_string()),
            lifecycle,
            // A few generated customers are excluded from health monitoring; the canonical ones never.
            tracked: !(i >= CANON.len() && lifecycle == "customer" && rng.chance(0.06)),
            industry: Some(rng.pick(INDUSTRIES).to_string()),
            employees: Some(employees),
            country: Some(rng.pick(COUNTRIES).to_string()),
            created_at: instant(created, 9),
            currency: "USD".into(),
            external_ids: vec![("hubspot", format!("hs_{}", 100_000 + i)), ("posthog", domain.clone())],
            // Derived from what is already drawn, so the random universe stays the same.
            custom_fields: vec![
                (
                    "Segment".into(),
                    match employees {
                        e if e < 50 => "SMB",
                        e if e < 1000 => "Mid-market",
                        _ => "Enterprise",
                    }
                    .into(),
                ),
                (
                    "Lifecycle stage".into(),
                    match lifecycle {
                        "customer" => "Customer",
                        "trial" => "Opportunity",
                        "prospect" => "Lead",
                        _ => "Former customer",
                    }
                    .into(),
                ),
                ("Company since".into(), created.format("%b %Y").to_string()),
            ],
        });

        // Contacts: a champion and a few others; unhealthy accounts may have lost their champion.
        let first_contact = data.contacts.len();
        for c in 0..rng.range(2, 4) {
            let person = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
            let left = c == 0 && health < 0.35 && rng.chance(0.5);
            data.contacts.push(NewContact {
                account: a,
                email: format!("{}@{}", slug(&person).replace('-', "."), domain),
                name: person,
                title: Some(rng.pick(TITLES).to_string()),
                is_champion: c == 0,
                left_on: left.then(|| d(today - Duration::days(rng.range(5, 60)))),
            });
        }

        let (plan, seat_price) = *rng.pick(PLANS);
        let mrr = seat_price * seats;
        match lifecycle {
            "customer" => {
                let fixed_renewal = CANON_RENEWS_IN.iter().find(|(idx, _)| *idx == i).map(|(_, days)| *days);
                let start = match fixed_renewal {
                    Some(days) => today + Duration::days(days) - Duration::days(365),
                    None => created.max(today - Duration::days(900)),
                };
                let annual_contract = fixed_renewal.is_some() || rng.chance(0.55);
                let payment = if let Some((_, state)) = CANON_PAYMENT.iter().find(|(idx, _)| *idx == i) {
                    *state
                } else if health < 0.25 && rng.chance(0.6) {
                    "failed"
                } else if health < 0.45 && rng.chance(0.35) {
                    "past_due"
                } else if rng.chance(0.08) {
                    "open"
                } else {
                    "paid"
                };
                let cancel = health < 0.3 && rng.chance(0.3);
                let src = data.revenue_sources.len();
                if annual_contract {
                    let renewal = next_anniversary(start, today, 12);
                    data.revenue_sources.push(NewRevenueSource {
                        account: a,
                        source: "salesbricks",
                        external_id: format!("sb_sub_{i:06}"),
                        plan: format!("Middle-Out {plan}"),
                        status: "active",
                        currency: "USD".into(),
                        mrr_minor: mrr,
                        billing_interval: "year",
                        interval_count: 1,
                        start_date: d(start),
                        end_date: Some(d(renewal)),
                        renewal_date: Some(d(renewal)),
                        payment_state: payment,
                        auto_renew: !cancel,
                        cancel_at_period_end: cancel,
                    });
                    let issued = renewal - Duration::days(365);
                    push_invoice(&mut data, &mut rng, a, src, i, 0, issued, mrr * 12, payment);
                    data.accounts[a]
                        .external_ids
                        .push(("salesbricks", format!("sb_cus_{i:06}")));
                } else {
                    let yearly = rng.chance(0.3);
                    let months = if yearly { 12 } else { 1 };
                    let renewal = next_anniversary(start, today, months);
                    data.revenue_sources.push(NewRevenueSource {
                        account: a,
                        source: "stripe",
                        external_id: format!("sub_{i:06}"),
                        plan: format!("Middle-Out {plan}"),
                        status: if matches!(payment, "failed" | "past_due") {
                            "past_due"
                        } else {
                            "active"
                        },
                        currency: "USD".into(),
                        mrr_minor: mrr,
                        billing_interval: if yearly { "year" } else { "month" },
                        interval_count: 1,
                        start_date: d(start),
                        end_date: None,
                        renewal_date: Some(d(renewal)),
                        payment_state: payment,
                        auto_renew: !cancel,
                        cancel_at_period_end: cancel,
                    });
                    let periods = if yearly { 1 } else { 6 };
                    for p in 0..periods {
                        let issued = renewal
                            .checked_sub_months(chrono::Months::new(months * (p + 1)))
                            .unwrap_or(start);
                        if issued < start {
                            break;
                        }
                        let state = if p == 0 { payment } else { "paid" };
                        push_invoice(
                            &mut data,
                            &mut rng,
                            a,
                            src,
                            i,
                            p as usize,
                            issued,
                            mrr * months as i64,
                            state,
                        );
                    }
                }
                data.accounts[a].external_ids.push(("stripe", format!("cus_{i:06}")));
                // A small usage-based add-on billed through Stripe for some accounts.
                if rng.chance(0.2) {
                    data.revenue_sources.push(NewRevenueSource {
                        account: a,
                        source: "stripe",
                        external_id: format!("sub_addon_{i:06}"),
                        plan: "Compression API add-on".into(),
                        status: "active",
                        currency: "USD".into(),
                        mrr_minor: 25_000,
                        billing_interval: "month",
                        interval_count: 1,
                        start_date: d(today - Duration::days(rng.range(40, 300))),
                        end_date: None,
                        renewal_date: Some(d(today + Duration::days(rng.range(1, 30)))),
                        payment_state: "paid",
                        auto_renew: true,
                        cancel_at_period_end: false,
                    });
                }
                push_usage(&mut data, &mut rng, a, week0, 0, seats, health, None);
                // Most customers started with a trial that converted; engaged ones activated more
                // (overlapping with the lapsed ones, as real trials do).
                if rng.chance(0.7) {
                    let started = start - Duration::days(30);
                    data.trials.push(NewTrial {
                        account: a,
                        started_on: d(started),
                        ends_on: d(started + Duration::days(30)),
                        seats: (seats / 2).max(3),
                        activation_events: (3.0 + 22.0 * health + rng.range(0, 10) as f64) as i64,
                        outcome: Some("converted"),
                        features: None,
                    });
                }
                // Renewals within 90 days get a renewal deal; healthy accounts may expand.
                let renewal = data.revenue_sources[src].renewal_date.clone();
                if let Some(r) = renewal
                    .as_deref()
                    .and_then(|r| NaiveDate::parse_from_str(r, "%Y-%m-%d").ok())
                {
                    if (r - today).num_days() <= 90 && data.revenue_sources[src].billing_interval == "year" {
                        push_deal(
                            &mut data,
                            a,
                            format!("{name} renewal"),
                            if health > 0.5 {
                                "awaiting_countersign"
                            } else {
                                "proposal"
                            },
                            mrr * 12,
                            Some(r),
                            "salesbricks",
                            today,
                        );
                    }
                }
                if health > 0.7 && rng.chance(0.4) {
                    let stage = *rng.pick(&["discovery", "evaluation", "proposal"]);
                    let close = today + Duration::days(rng.range(14, 120));
                    push_deal(
                        &mut data,
                        a,
                        format!("{name} expansion"),
                        stage,
                        mrr * 12 / 3,
                        Some(close),
                        "attio",
                        today,
                    );
                }
                if rng.chance(0.15) {
                    let won = today - Duration::days(rng.range(3, 60));
                    push_deal(
                        &mut data,
                        a,
                        format!("{name} seat upgrade"),
                        "closed_won",
                        mrr * 12 / 5,
                        Some(won),
                        "salesbricks",
                        today,
                    );
                }
            }
            "trial" => {
                let started = today - Duration::days(rng.range(3, 27));
                let ends = started + Duration::days(30);
                let invited = ((seats as f64) * (0.1 + 0.5 * health)).round().max(2.0) as i64;
                data.trials.push(NewTrial {
                    account: a,
                    started_on: d(started),
                    ends_on: d(ends),
                    seats: invited,
                    activation_events: (2.0 + 30.0 * health * rng.unit().max(0.4)) as i64,
                    outcome: None,
                    features: None,
                });
                data.revenue_sources.push(NewRevenueSource {
                    account: a,
                    source: "stripe",
                    external_id: format!("sub_{i:06}"),
                    plan: format!("Middle-Out {plan}"),
                    status: "trialing",
                    currency: "USD".into(),
                    mrr_minor: 0,
                    billing_interval: "month",
                    interval_count: 1,
                    start_date: d(started),
                    end_date: None,
                    renewal_date: Some(d(ends)),
                    payment_state: "none",
                    auto_renew: true,
                    cancel_at_period_end: false,
                });
                data.accounts[a].external_ids.push(("stripe", format!("cus_{i:06}")));
                let from_week = ((started - week0).num_days() / 7).max(0) as usize;
                push_usage(&mut data, &mut rng, a, week0, from_week, invited, health, None);
                let stage = if health > 0.6 {
                    "proposal"
                } else if health > 0.35 {
                    "evaluation"
                } else {
                    "discovery"
                };
                push_deal(
                    &mut data,
                    a,
                    format!("{name} — new business"),
                    stage,
                    mrr * 12,
                    Some(ends),
                    "salesbricks",
                    today,
                );
            }
            "prospect" => {
                let stage = *rng.pick(&["discovery", "discovery", "evaluation", "proposal"]);
                let close = today + Duration::days(rng.range(20, 150));
                push_deal(
                    &mut data,
                    a,
                    format!("{name} — new business"),
                    stage,
                    mrr * 12,
                    Some(close),
                    "attio",
                    today,
                );
                // Some prospects trialled before and let it lapse; low engagement then.
                if rng.chance(0.5) {
                    let started = today - Duration::days(rng.range(90, 400));
                    data.trials.push(NewTrial {
                        account: a,
                        started_on: d(started),
                        ends_on: d(started + Duration::days(30)),
                        seats: rng.range(2, 10),
                        activation_events: (1.0 + 24.0 * health * rng.unit()) as i64,
                        outcome: Some("lapsed"),
                        features: None,
                    });
                }
                if rng.chance(0.3) {
                    let lost = today - Duration::days(rng.range(30, 300));
                    push_lost_deal(&mut data, &mut rng, a, format!("{name} — pilot"), mrr * 6, lost, today);
                }
            }
            _ => {
                // Churned: a canceled subscription, a closed-lost renewal, usage fading out.
                let ended = today - Duration::days(rng.range(20, 400));
                let start = ended - Duration::days(365 * rng.range(1, 2));
                data.revenue_sources.push(NewRevenueSource {
                    account: a,
                    source: "stripe",
                    external_id: format!("sub_{i:06}"),
                    plan: format!("Middle-Out {plan}"),
                    status: "canceled",
                    currency: "USD".into(),
                    mrr_minor: mrr,
                    billing_interval: "month",
                    interval_count: 1,
                    start_date: d(start),
                    end_date: Some(d(ended)),
                    renewal_date: None,
                    payment_state: "paid",
                    auto_renew: false,
                    cancel_at_period_end: false,
                });
                data.accounts[a].external_ids.push(("stripe", format!("cus_{i:06}")));
                push_lost_deal(
                    &mut data,
                    &mut rng,
                    a,
                    format!("{name} renewal"),
                    mrr * 12,
                    ended,
                    today,
                );
                let churn_week = ((ended - week0).num_days() / 7).clamp(0, 26) as usize;
                push_usage(&mut data, &mut rng, a, week0, 0, seats, health * 0.6, Some(churn_week));
            }
        }

        // Signals: what customers said, in tone with their health.
        let n_signals = if lifecycle == "prospect" {
            rng.range(0, 1)
        } else {
            rng.range(1, 4)
        };
        for _ in 0..n_signals {
            let tone = health + (rng.unit() - 0.5) * 0.5;
            let (pool, sentiment): (&[(&str, &str)], f64) = if tone < 0.4 {
                (NEGATIVE, -0.4 - 0.5 * rng.unit())
            } else if tone > 0.65 {
                (POSITIVE, 0.4 + 0.5 * rng.unit())
            } else {
                (NEUTRAL, (rng.unit() - 0.5) * 0.4)
            };
            let (topic, quote) = *rng.pick(pool);
            let when = today - Duration::days(rng.range(1, 120));
            let source = *rng.pick(&["call", "call", "support", "survey", "email"]);
            data.signals.push(NewSignal {
                account: a,
                source,
                sentiment: (sentiment * 100.0).round() / 100.0,
                topic: topic.to_string(),
                quote: quote.to_string(),
                link: Some(format!(
                    "https://app.buildbetter.ai/calls/{}",
                    10_000 + data.signals.len()
                )),
                occurred_at: instant(when, rng.range(8, 18)),
            });
        }

        // Feature requests from customers, churned accounts and serious prospects.
        if lifecycle != "trial" && rng.chance(0.55) {
            for _ in 0..rng.range(1, 2) {
                let theme = rng.range(0, THEMES.len() as i64 - 1) as usize;
                let (project, original, _) = THEMES[theme];
                let wordings = REWORDINGS[theme];
                let quote = match data.requests.len() % (wordings.len() + 1) {
                    0 => original,
                    k => wordings[k - 1],
                };
                data.requests.push(NewRequest {
                    account: a,
                    contact: Some(first_contact + rng.range(0, 1) as usize),
                    project: project.to_string(),
                    quote: quote.to_string(),
                    source_link: Some(format!(
                        "https://app.buildbetter.ai/signals/{}",
                        50_000 + data.requests.len()
                    )),
                    requested_on: d(today - Duration::days(rng.range(30, 300))),
                });
            }
        }
    }
    push_history(&mut data, spec.seed, today);
    data
}

#[allow(clippy::too_many_arguments)]
fn push_invoice(
    data: &mut Dataset,
    rng: &mut Rng,
    a: usize,
    src: usize,
    i: usize,
    n: usize,
    issued: NaiveDate,
    amount: i64,
    state: &str,
) {
    let due = issued + Duration::days(14);
    let (status, paid, attempts) = match state {
        "failed" => ("open", 0, rng.range(2, 4)),
        "past_due" => ("open", 0, 1),
        "open" => ("open", 0, 0),
        _ => ("paid", amount, 1),
    };
    data.invoices.push(NewInvoice {
        account: a,
        revenue_source: Some(src),
        external_id: format!("in_{i:06}_{n:02}"),
        status,
        currency: "USD".into(),
        amount_due_minor: amount,
        amount_paid_minor: paid,
        amount_remaining_minor: amount - paid,
        attempt_count: attempts,
        issued_on: d(issued),
        due_on: Some(d(due)),
        paid_at: (status == "paid").then(|| instant(issued + Duration::days(rng.range(0, 10)), 12)),
    });
}

/// Past trials and losses decided before the workspace came to Success, as feature snapshots for
/// the likelihood models. They come from the same story as the live accounts (a hidden health
/// drives both what we can see and the outcome), with noise, so a model learns something true
/// without it being easy. A separate random stream leaves the live accounts as they were.
fn push_history(data: &mut Dataset, seed: u64, today: NaiveDate) {
    use app::likelihood::Feature as F;
    let mut rng = Rng::new(seed ^ 0x4849_5354_4f52_5921); // "HISTORY!"
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let json = |pairs: Vec<(F, f64)>| {
        let values: app::likelihood::FeatureValues = pairs.into_iter().collect();
        serde_json::to_string(&values).unwrap_or_default()
    };
    for i in 0..240 {
        let health = rng.unit();
        let seats = *rng.pick(&[5i64, 10, 25, 50, 150]);
        let invited = ((seats as f64) * (0.1 + 0.5 * health)).round().max(2.0);
        let activation = (2.0 + 30.0 * health * rng.unit().max(0.4)).floor();
        let share = (0.15 + 0.7 * health + (rng.unit() - 0.5) * 0.4).clamp(0.0, 1.2);
        let trend = ((health - 0.5) * 0.8 + (rng.unit() - 0.5) * 0.6).clamp(-1.0, 2.0);
        let engagement = ((health - 0.5) * 3.0 + (rng.unit() - 0.5) * 2.0).round();
        let converted = rng.chance(sigmoid(6.0 * (health - 0.55)));
        data.examples.push(NewExample {
            kind: "convert",
            subject: format!("history:trial:{i}"),
            features: json(vec![
                (F::ActivationEvents, activation),
                (F::TeammatesInvited, invited),
                (F::ActiveShare, (share * 100.0).round() / 100.0),
                (F::UsageTrend, (trend * 100.0).round() / 100.0),
                (F::Engagement, engagement),
            ]),
            positive: converted,
            decided_on: d(today - Duration::days(rng.range(40, 420))),
        });
    }
    for i in 0..200 {
        let health = rng.unit();
        let reason = rng.range(0, 4);
        let months = rng.range(1, 12) as f64;
        // Spread like the live losses: a pilot's few thousand to a large renewal's six figures.
        let lost_arr = (1_500f64.ln() + rng.unit() * (120_000f64.ln() - 1_500f64.ln()))
            .exp()
            .round();
        let usage = (health * 8.0 - 3.0 + (rng.unit() - 0.5) * 4.0).round().max(0.0);
        let positive_signals = (health * 2.5 * rng.unit()).round();
        let champion = rng.chance(0.3 + 0.5 * health);
        let shipped = rng.chance(0.15 + 0.4 * health);
        let reason_effect = [0.3, 0.6, -0.8, 0.2, 0.0][reason as usize];
        let z = 5.0 * (health - 0.6) + reason_effect - 0.08 * months + if shipped { 0.8 } else { 0.0 };
        let won_back = rng.chance(sigmoid(z));
        let mut features = vec![
            (F::LostOnPrice, (reason == 0) as i64 as f64),
            (F::LostOnTiming, (reason == 1) as i64 as f64),
            (F::LostToCompetitor, (reason == 2) as i64 as f64),
            (F::LostOnMissingFeature, (reason == 3) as i64 as f64),
            (F::MonthsSinceLoss, months),
            (F::LostArr, lost_arr),
            (F::PositiveSignalsSinceLoss, positive_signals),
            (F::ChampionStillThere, champion as i64 as f64),
            (F::AskedForShipped, shipped as i64 as f64),
        ];
        // Not every lost account kept sending usage data.
        if rng.chance(0.7) {
            features.push((F::UsageSinceLoss, usage));
        }
        data.examples.push(NewExample {
            kind: "reengage",
            subject: format!("history:loss:{i}"),
            features: json(features),
            positive: won_back,
            decided_on: d(today - Duration::days(rng.range(30, 400))),
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn push_deal(
    data: &mut Dataset,
    a: usize,
    name: String,
    stage: &str,
    amount: i64,
    close: Option<NaiveDate>,
    source: &'static str,
    today: NaiveDate,
) {
    // Later deals sort after earlier ones within a column; only the order matters.
    let position = data.deals.len() as i64;
    data.deals.push(NewDeal {
        account: a,
        name,
        stage: stage.to_string(),
        position,
        amount_minor: amount,
        currency: "USD".into(),
        expected_close: close.map(d),
        source,
        external_id: Some(format!("sb_order_{}", data.deals.len())),
        closed_lost_reason: None,
        lost_on: None,
        updated_at: instant(today, 10),
    });
}

fn push_lost_deal(
    data: &mut Dataset,
    rng: &mut Rng,
    a: usize,
    name: String,
    amount: i64,
    lost: NaiveDate,
    today: NaiveDate,
) {
    push_deal(data, a, name, "closed_lost", amount, Some(lost), "salesbricks", today);
    let deal = data.deals.last_mut().expect("just pushed");
    deal.closed_lost_reason = Some(rng.pick(LOST_REASONS).to_string());
    deal.lost_on = Some(d(lost));
}

/// Weekly usage from week `from` to now (or until `stop`, after which nobody is active).
#[allow(clippy::too_many_arguments)]
fn push_usage(
    data: &mut Dataset,
    rng: &mut Rng,
    a: usize,
    week0: NaiveDate,
    from: usize,
    seats: i64,
    health: f64,
    stop: Option<usize>,
) {
    let base = 0.15 + 0.75 * health;
    let declining = health < 0.35;
    for w in from..26 {
        let ratio = match stop {
            Some(s) if w >= s => 0.0,
            _ => {
                let trend = if declining && w >= 18 {
                    1.0 - 0.08 * (w - 17) as f64
                } else {
                    1.0
                };
                (base * trend + (rng.unit() - 0.5) * 0.1).clamp(0.0, 1.0)
            }
        };
        let active = (seats as f64 * ratio).round() as i64;
        let mut adoption = String::from("{");
        for (f, feature) in FEATURES.iter().enumerate() {
            let share = (health * 1.1 - f as f64 * 0.15).clamp(0.0, 1.0);
            if f > 0 {
                adoption.push(',');
            }
            adoption.push_str(&format!("\"{feature}\":{}", (active as f64 * share).round() as i64));
        }
        adoption.push('}');
        data.usage.push(NewUsageWeek {
            account: a,
            week_start: d(week0 + Duration::weeks(w as i64)),
            active_users: active,
            licensed_seats: seats,
            feature_adoption: adoption,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_universe() {
        let a = generate(&DemoSpec::preview(today()));
        let b = generate(&DemoSpec::preview(today()));
        assert_eq!(a.row_count(), b.row_count());
        assert_eq!(format!("{:?}", a.accounts), format!("{:?}", b.accounts));
        assert_eq!(format!("{:?}", a.invoices), format!("{:?}", b.invoices));
    }

    #[test]
    fn the_preview_covers_every_page_story() {
        let data = generate(&DemoSpec::preview(today()));
        assert!(data.accounts.len() >= 60);
        for lifecycle in ["prospect", "trial", "customer", "churned"] {
            assert!(
                data.accounts.iter().any(|a| a.lifecycle == lifecycle),
                "no {lifecycle} account"
            );
        }
        for name in [
            "Hooli",
            "Raviga Capital",
            "Aviato",
            "Endframe",
            "Bachmanity",
            "Nucleus Labs",
        ] {
            assert!(data.accounts.iter().any(|a| a.name == name), "{name} missing");
        }
        assert!(
            data.invoices.iter().any(|i| i.status == "open" && i.attempt_count >= 2),
            "no failed payment"
        );
        assert!(
            data.revenue_sources.iter().any(|r| r.status == "past_due"),
            "no past-due subscription"
        );
        assert!(data
            .revenue_sources
            .iter()
            .any(|r| r.billing_interval == "month" && r.status == "active"));
        assert!(data
            .revenue_sources
            .iter()
            .any(|r| r.billing_interval == "year" && r.status == "active"));
        assert!(data.revenue_sources.iter().any(|r| r.source == "salesbricks"));
        let renewing_soon = data
            .revenue_sources
            .iter()
            .filter_map(|r| r.renewal_date.as_deref())
            .filter_map(|r| NaiveDate::parse_from_str(r, "%Y-%m-%d").ok())
            .filter(|r| (*r - today()).num_days() <= 90 && *r >= today())
            .count();
        assert!(renewing_soon >= 5, "only {renewing_soon} renewals in 90 days");
        let trials_ending = data
            .trials
            .iter()
            .filter(|t| t.outcome.is_none())
            .filter(|t| (NaiveDate::parse_from_str(&t.ends_on, "%Y-%m-%d").unwrap() - today()).num_days() <= 14)
            .count();
        assert!(trials_ending >= 1, "no trial ending soon");
        for stage in default_stages() {
            assert!(
                data.deals.iter().any(|d| d.stage == stage.key),
                "no deal in {}",
                stage.key
            );
        }
        assert!(data.deals.iter().any(|d| d.closed_lost_reason.is_some()));
        assert!(!data.signals.is_empty() && !data.requests.is_empty() && !data.releases.is_empty());
        let weeks_per_customer = data.usage.iter().filter(|u| u.account == 0).count();
        assert_eq!(weeks_per_customer, 26, "Hooli should have 26 weeks of usage");
    }

    #[test]
    fn unhealthy_accounts_use_less_and_complain_more() {
        let data = generate(&DemoSpec {
            accounts: 2_000,
            ..DemoSpec::preview(today())
        });
        let last_ratio = |a: usize| {
            data.usage
                .iter()
                .rfind(|u| u.account == a)
                .map(|u| u.active_users as f64 / u.licensed_seats as f64)
        };
        // Hooli (health 0.15) against Raviga (0.85).
        assert!(last_ratio(0).unwrap() < last_ratio(1).unwrap());
        let mean_sentiment = |failed: bool| {
            let accounts: std::collections::HashSet<usize> = data
                .revenue_sources
                .iter()
                .filter(|r| (r.payment_state == "failed") == failed && r.status != "trialing")
                .map(|r| r.account)
                .collect();
            let s: Vec<f64> = data
                .signals
                .iter()
                .filter(|s| accounts.contains(&s.account))
                .map(|s| s.sentiment)
                .collect();
            s.iter().sum::<f64>() / s.len() as f64
        };
        assert!(mean_sentiment(true) < mean_sentiment(false));
    }

    #[test]
    fn generated_names_stay_readable_at_scale() {
        assert_eq!(account_name(0), "Hooli");
        assert_eq!(account_name(CANON.len()), "Middle-Out Labs");
        assert!(account_name(100_000).ends_with(char::is_numeric));
        assert_eq!(slug("K.H.M.H."), "khmh");
        let names: std::collections::HashSet<String> = (0..20_000).map(account_name).collect();
        assert_eq!(names.len(), 20_000, "account names repeat");
        assert_eq!(slug("Bream-Hall"), "bream-hall");
    }
}
