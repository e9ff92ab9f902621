//! The account chat. Questions are answered from the account's own facts only: each fact has an
//! id, a sentence and a link to where it shows on the detail page. The built-in answerer picks
//! the facts a question is about; a configured language model gets the same facts (and nothing
//! else) and must cite them by id. Pure code, so both paths and the page agree on the facts.

use crate::model::{AccountDetail, InvoiceStatus};
use crate::scoring::signed;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const QUESTION_MAX: usize = 500;

/// What a fact is about; a question asks about one or more topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Health,
    Renewal,
    Revenue,
    Payment,
    Usage,
    Signals,
    Contacts,
}

impl Topic {
    const ALL: [Topic; 7] = [
        Topic::Health,
        Topic::Renewal,
        Topic::Revenue,
        Topic::Payment,
        Topic::Usage,
        Topic::Signals,
        Topic::Contacts,
    ];

    /// Words that point a question at this topic (matched on word starts, lower case).
    fn cues(self) -> &'static [&'static str] {
        match self {
            Topic::Health => &[
                "why", "risk", "critical", "health", "score", "band", "churn", "danger", "trouble", "wrong", "problem",
                "red", "amber", "factor",
            ],
            Topic::Renewal => &["renew", "contract", "expire", "term", "end", "when"],
            Topic::Revenue => &[
                "arr", "mrr", "revenue", "worth", "pay us", "spend", "plan", "price", "value", "big",
            ],
            Topic::Payment => &[
                "pay", "invoice", "overdue", "past due", "billing", "bill", "owe", "failed", "dunning",
            ],
            Topic::Usage => &[
                "usage", "use", "active", "adoption", "seat", "login", "engag", "trend", "users",
            ],
            Topic::Signals => &[
                "signal",
                "said",
                "say",
                "quote",
                "call",
                "feedback",
                "sentiment",
                "ticket",
                "complain",
                "mention",
                "nps",
                "survey",
                "recent",
            ],
            Topic::Contacts => &[
                "contact",
                "who",
                "champion",
                "email",
                "person",
                "people",
                "talk to",
                "stakeholder",
            ],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Topic::Health => "health",
            Topic::Renewal => "renewal",
            Topic::Revenue => "ARR and MRR",
            Topic::Payment => "payments",
            Topic::Usage => "product usage",
            Topic::Signals => "recent signals",
            Topic::Contacts => "contacts",
        }
    }
}

/// One fact about the account, citable by `id` (F1, F2, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub id: String,
    pub topic: Topic,
    pub text: String,
    /// Where the fact can be seen, e.g. `#invoices` on the detail page.
    pub href: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    pub id: String,
    pub text: String,
    pub href: String,
}

/// An answer and the facts it rests on. `answered` is false when the question was outside what
/// the account's data can tell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatAnswer {
    pub text: String,
    pub citations: Vec<Citation>,
    pub answered: bool,
    /// "built-in" or the model's name.
    pub by: String,
}

/// Checks a question (the same check in the browser and on the server); returns it trimmed.
pub fn check_question(question: &str) -> Result<String, String> {
    let q = question.trim();
    if q.is_empty() {
        return Err("Ask a question about this account.".into());
    }
    if q.chars().count() > QUESTION_MAX {
        return Err(format!("Keep questions under {QUESTION_MAX} characters."));
    }
    Ok(q.to_string())
}

fn date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// Every fact the chat may use about one account, in a stable order.
pub fn facts(d: &AccountDetail, today: NaiveDate) -> Vec<Fact> {
    let mut out: Vec<(Topic, String, String)> = Vec::new();
    let a = &d.account;
    match (&d.score, &d.band_override) {
        (Some(s), _) => {
            out.push((
                Topic::Health,
                format!(
                    "{} has a health score of {} out of 100, which is {} ({} points from the neutral 50).",
                    a.name,
                    s.score,
                    s.band.label().to_lowercase(),
                    signed(s.score - crate::scoring::BASELINE)
                ),
                "#health".into(),
            ));
            for f in &s.factors {
                out.push((
                    Topic::Health,
                    f.sentence(),
                    f.link.clone().unwrap_or_else(|| "#health".into()),
                ));
            }
            if !s.missing.is_empty() {
                out.push((
                    Topic::Health,
                    format!("The score had no data for: {}.", s.missing.join(", ")),
                    "#health".into(),
                ));
            }
        }
        (None, _) => out.push((
            Topic::Health,
            format!("{} has not been scored yet.", a.name),
            "#health".into(),
        )),
    }
    if let Some(o) = &d.band_override {
        out.push((
            Topic::Health,
            format!(
                "{} set the band to {} by hand until {}: “{}”.",
                o.set_by,
                o.band.label().to_lowercase(),
                date(o.expires_on),
                o.reason
            ),
            "#health".into(),
        ));
    }
    match a.renewal_date {
        Some(r) => {
            let days = (r - today).num_days();
            let when = match days {
                d if d < 0 => format!("{} days ago", -d),
                0 => "today".into(),
                d => format!("in {d} days"),
            };
            out.push((
                Topic::Renewal,
                format!("The next renewal is on {} ({when}).", date(r)),
                "#revenue".into(),
            ));
        }
        None => out.push((
            Topic::Renewal,
            "No renewal date is on record.".into(),
            "#revenue".into(),
        )),
    }
    out.push((
        Topic::Revenue,
        format!("ARR is {} ({} a month).", a.arr.display(), {
            let mut m = a.arr.clone();
            m.minor /= 12;
            m.display()
        }),
        "#revenue".into(),
    ));
    for r in &d.revenue_sources {
        let mut line = format!(
            "{} {} on plan {}: status {}, MRR {}, billed {}",
            r.source.label(),
            r.external_id,
            r.plan,
            r.status,
            r.mrr.display(),
            r.billing_interval.label().to_lowercase()
        );
        if let Some(renew) = r.renewal_date.or(r.end_date) {
            line.push_str(&format!(", renews or ends {}", date(renew)));
        }
        if r.cancel_at_period_end {
            line.push_str(", set to cancel at the end of the period");
        }
        line.push('.');
        out.push((Topic::Revenue, line.clone(), "#revenue".into()));
        out.push((Topic::Renewal, line, "#revenue".into()));
    }
    out.push((
        Topic::Payment,
        format!("Payment state: {}.", a.payment_state.label().to_lowercase()),
        "#invoices".into(),
    ));
    for i in d
        .invoices
        .iter()
        .filter(|i| matches!(i.status, InvoiceStatus::Open | InvoiceStatus::Uncollectible) || i.attempt_count > 1)
        .take(4)
    {
        let due = i
            .due_on
            .map(|due| {
                let late = (today - due).num_days();
                if late > 0 {
                    format!(", due {} ({late} days overdue)", date(due))
                } else {
                    format!(", due {}", date(due))
                }
            })
            .unwrap_or_default();
        out.push((
            Topic::Payment,
            format!(
                "Invoice {} issued {}: {}, {} of {} outstanding after {} payment attempts{due}.",
                i.external_id,
                date(i.issued_on),
                i.status.label().to_lowercase(),
                i.amount_remaining.display(),
                i.amount_due.display(),
                i.attempt_count
            ),
            "#invoices".into(),
        ));
    }
    if let Some(last) = d.usage.last() {
        let four_weeks_ago = d.usage.iter().rev().nth(4);
        let mut line = format!(
            "In the week of {}, {} of {} licensed seats were active",
            date(last.week_start),
            last.active_users,
            last.licensed_seats
        );
        if let Some(before) = four_weeks_ago {
            line.push_str(&format!(" (four weeks earlier: {})", before.active_users));
        }
        line.push('.');
        out.push((Topic::Usage, line, "#usage".into()));
    } else {
        out.push((Topic::Usage, "No product usage is recorded.".into(), "#usage".into()));
    }
    for s in d.signals.iter().take(5) {
        let tone = if s.sentiment <= -0.3 {
            "negative"
        } else if s.sentiment >= 0.3 {
            "positive"
        } else {
            "neutral"
        };
        out.push((
            Topic::Signals,
            format!(
                "{} on {} ({tone}, about {}): “{}”",
                s.source.label(),
                date(s.occurred_on),
                s.topic,
                s.quote
            ),
            format!("#signal-{}", s.id),
        ));
    }
    if d.signals.is_empty() {
        out.push((
            Topic::Signals,
            "No calls, tickets or survey answers are recorded.".into(),
            "#activity".into(),
        ));
    }
    for c in &d.contacts {
        let mut line = format!("{} <{}>", c.name, c.email);
        if let Some(t) = &c.title {
            line.push_str(&format!(", {t}"));
        }
        if c.is_champion {
            line.push_str(", champion");
        }
        if let Some(left) = c.left_on {
            line.push_str(&format!(", left the company on {}", date(left)));
        }
        line.push('.');
        out.push((Topic::Contacts, line, "#contacts".into()));
    }
    if d.contacts.is_empty() {
        out.push((Topic::Contacts, "No contacts are recorded.".into(), "#contacts".into()));
    }
    out.into_iter()
        .enumerate()
        .map(|(i, (topic, text, href))| Fact {
            id: format!("F{}", i + 1),
            topic,
            text,
            href,
        })
        .collect()
}

/// The topics a question asks about, in the order they are listed.
pub fn topics_of(question: &str) -> Vec<Topic> {
    let q = format!(
        " {} ",
        question.to_lowercase().replace(|c: char| !c.is_alphanumeric(), " ")
    );
    Topic::ALL
        .into_iter()
        .filter(|t| t.cues().iter().any(|cue| q.contains(&format!(" {cue}"))))
        .collect()
}

fn cite(f: &Fact) -> Citation {
    Citation {
        id: f.id.clone(),
        text: f.text.clone(),
        href: f.href.clone(),
    }
}

/// The built-in answer: the facts of the topics asked about, the riskiest first, each cited.
pub fn answer(question: &str, facts: &[Fact]) -> ChatAnswer {
    let topics = topics_of(question);
    if topics.is_empty() {
        let can: Vec<&str> = Topic::ALL.iter().map(|t| t.label()).collect();
        return ChatAnswer {
            text: format!(
                "I can only answer from this account's own data, and I could not tell what that question is about. \
                 I can tell you about its {}.",
                can.join(", ")
            ),
            citations: Vec::new(),
            answered: false,
            by: "built-in".into(),
        };
    }
    let mut text = String::new();
    let mut citations = Vec::new();
    for topic in topics {
        let mut chosen: Vec<&Fact> = facts.iter().filter(|f| f.topic == topic).collect();
        if topic == Topic::Health {
            // The score line, then what pulls it down (factor lines start with a sign).
            chosen.retain(|f| !f.text.starts_with('+'));
            chosen.truncate(5);
        }
        chosen.truncate(6);
        if chosen.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        for f in chosen {
            text.push_str(&format!("{} [{}]\n", f.text, f.id));
            if !citations.iter().any(|c: &Citation| c.id == f.id) {
                citations.push(cite(f));
            }
        }
    }
    ChatAnswer {
        text: text.trim_end().to_string(),
        citations,
        answered: true,
        by: "built-in".into(),
    }
}

/// The ids a model's answer cites (`[F3]`), as citations, in the order they first appear.
pub fn citations_in(text: &str, facts: &[Fact]) -> Vec<Citation> {
    let mut out: Vec<Citation> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("[F") {
        let after = &rest[start + 1..];
        let end = after.find(']').unwrap_or(after.len());
        for id in after[..end]
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            if let Some(f) = facts.iter().find(|f| f.id == id) {
                if !out.iter().any(|c| c.id == f.id) {
                    out.push(cite(f));
                }
            }
        }
        rest = &after[end.min(after.len())..];
    }
    out
}

/// The system prompt for a language model: the rules and this account's facts, nothing else.
pub fn model_prompt(account_name: &str, facts: &[Fact]) -> String {
    let mut prompt = format!(
        "You are the account assistant in Success, a customer success tool. Answer questions about the \
         customer account \"{account_name}\" using only the facts below. Cite every fact you use by its id in \
         square brackets, like [F2]. If the facts do not answer the question, say plainly that the account's \
         data does not tell, and do not guess. Be brief.\n\nFacts:\n"
    );
    for f in facts {
        prompt.push_str(&format!("[{}] {}\n", f.id, f.text));
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::scoring::{Band, Factor, MeasureKind, Score};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn detail() -> AccountDetail {
        AccountDetail {
            account: AccountRow {
                id: 7,
                name: "Hooli".into(),
                domain: Some("hooli.test".into()),
                owner_name: Some("Monica".into()),
                lifecycle: Lifecycle::Customer,
                tracked: true,
                arr: Money::new(1_200_000, "USD"),
                renewal_date: NaiveDate::from_ymd_opt(2026, 12, 26),
                payment_state: PaymentState::PastDue,
                score: Some(31),
                band: Some(Band::Red),
                override_band: None,
                risks: vec![],
            },
            industry: None,
            employees: None,
            country: None,
            custom_fields: vec![],
            contacts: vec![ContactRow {
                id: 1,
                name: "Gavin Belson".into(),
                email: "gavin@hooli.test".into(),
                title: Some("CEO".into()),
                is_champion: true,
                left_on: None,
                opted_out: false,
            }],
            revenue_sources: vec![],
            invoices: vec![],
            usage: vec![],
            signals: vec![],
            deals: vec![],
            trials: vec![],
            requests: vec![],
            score: Some(Score {
                score: 31,
                band: Band::Red,
                factors: vec![
                    Factor {
                        kind: MeasureKind::Adoption,
                        points: -8,
                        label: "Low product adoption".into(),
                        source: "PostHog".into(),
                        evidence: "3 of 25 seats active in the last 4 weeks".into(),
                        link: Some("#usage".into()),
                    },
                    Factor {
                        kind: MeasureKind::Payment,
                        points: -6,
                        label: "Invoice past due".into(),
                        source: "Stripe".into(),
                        evidence: "1 invoice 12 days overdue".into(),
                        link: Some("#invoices".into()),
                    },
                ],
                missing: vec![],
            }),
            history: vec![],
            routes: vec![],
            band_override: None,
            stage_moves: vec![],
        }
    }

    #[test]
    fn why_critical_cites_the_score_and_its_risk_factors() {
        let facts = facts(&detail(), today());
        let a = answer("Why is this account critical?", &facts);
        assert!(a.answered);
        assert!(a.text.contains("health score of 31"), "{}", a.text);
        assert!(
            a.text
                .contains("−8 Low product adoption (PostHog): 3 of 25 seats active"),
            "{}",
            a.text
        );
        assert!(a.citations.iter().any(|c| c.href == "#usage"));
        // Every cited id is in the text and every fact it names is cited.
        for c in &a.citations {
            assert!(a.text.contains(&format!("[{}]", c.id)));
        }
    }

    #[test]
    fn questions_are_routed_to_their_topics() {
        let table = [
            ("When does it renew?", vec![Topic::Renewal]),
            ("what's the ARR", vec![Topic::Revenue]),
            ("Are they overdue on an invoice?", vec![Topic::Payment]),
            ("Who is the champion?", vec![Topic::Contacts]),
            ("How is usage trending", vec![Topic::Usage]),
            ("What did they say on the last call?", vec![Topic::Signals]),
        ];
        for (q, want) in table {
            let got = topics_of(q);
            for t in want {
                assert!(got.contains(&t), "{q}: {got:?}");
            }
        }
    }

    #[test]
    fn questions_outside_the_data_say_so_plainly() {
        let a = answer("What is the weather in Palo Alto?", &facts(&detail(), today()));
        assert!(!a.answered);
        assert!(a.citations.is_empty());
        assert!(a.text.contains("only answer from this account's own data"));
    }

    #[test]
    fn renewal_answers_count_the_days() {
        let a = answer("When does it renew?", &facts(&detail(), today()));
        assert!(a.text.contains("26 Dec 2026 (in 30 days)"), "{}", a.text);
    }

    #[test]
    fn model_citations_are_read_back_and_unknown_ids_ignored() {
        let facts = facts(&detail(), today());
        let cited = citations_in("Low adoption [F2] and late payment [F3, F99].", &facts);
        assert_eq!(cited.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["F2", "F3"]);
    }

    #[test]
    fn questions_are_validated() {
        assert!(check_question("   ").is_err());
        assert!(check_question(&"x".repeat(QUESTION_MAX + 1)).is_err());
        assert_eq!(check_question("  why? ").unwrap(), "why?");
    }
}
