//! Chips and small displays: likelihood, payment, score, lifecycle, factor lines and the score trend.

use super::*;

/// A likelihood as a coloured percentage.
#[component]
pub fn LikelihoodChip(percent: i32) -> impl IntoView {
    let level = match percent {
        p if p >= 60 => "high",
        p if p >= 30 => "mid",
        _ => "low",
    };
    view! {
        <span class="likelihood-chip" data-level=level data-testid="likelihood" title="Likelihood">{format!("{percent}%")}</span>
    }
}

/// A likelihood's factors: the two largest shown, the rest (and any missing data) behind "Why".
#[component]
pub fn LikelihoodFactors(likelihood: crate::likelihood::Likelihood) -> impl IntoView {
    let top: Vec<_> = likelihood.factors.iter().take(2).cloned().collect();
    let rest: Vec<_> = likelihood.factors.iter().skip(2).cloned().collect();
    let missing = likelihood.missing.clone();
    let factor = |f: crate::likelihood::LikelihoodFactor| {
        let sign = if f.points >= 0 { "up" } else { "down" };
        view! { <li class="lk-factor" data-sign=sign data-testid="likelihood-factor">{f.sentence()}</li> }
    };
    view! {
        <ul class="lk-factors">{top.into_iter().map(factor).collect_view()}</ul>
        {(!rest.is_empty() || !missing.is_empty()).then(|| view! {
            <details class="lk-more">
                <summary>"Why"</summary>
                <ul class="lk-factors">{rest.into_iter().map(factor).collect_view()}</ul>
                {(!missing.is_empty()).then(|| view! {
                    <p class="muted">{format!("No data, counted as average: {}", missing.join(", "))}</p>
                })}
            </details>
        })}
    }
}

/// What a likelihood model rests on: learned (with its hold-out AUC) or prior weights, and why.
#[component]
pub fn ModelNote(model: crate::likelihood::Model) -> impl IntoView {
    let (yes, no) = model.kind.outcomes();
    let text = match &model.fit {
        Some(fit) => format!(
            "Likelihoods learned from {} decided cases ({} {yes}, {} {no}){}; trained {}.",
            fit.examples,
            fit.positives,
            fit.examples - fit.positives,
            fit.auc
                .map(|a| format!(", hold-out AUC {a:.2} on {}", fit.holdout))
                .unwrap_or_default(),
            fmt_instant(&fit.trained_at)
        ),
        None => format!(
            "Likelihoods use transparent prior weights: {} decided cases so far, and learning starts at {} with at least {} {yes} and {} {no}.",
            model.examples_seen,
            crate::likelihood::MIN_EXAMPLES,
            crate::likelihood::MIN_PER_OUTCOME,
            crate::likelihood::MIN_PER_OUTCOME
        ),
    };
    view! {
        <p class="model-note" data-testid="model-note" data-learned=model.is_learned().to_string()>
            {text}" "<A href="/settings/scoring">"How the model weighs things"</A>
        </p>
    }
}

#[component]
pub fn PaymentChip(state: PaymentState) -> impl IntoView {
    let color = match state {
        PaymentState::Failed => BadgeColor::Danger,
        PaymentState::PastDue => BadgeColor::Severe,
        PaymentState::Open => BadgeColor::Warning,
        PaymentState::Paid => BadgeColor::Success,
        PaymentState::None => BadgeColor::Subtle,
    };
    view! { <Badge color appearance=BadgeAppearance::Tint>{state.label()}</Badge> }
}

/// The health score with its band's colour; "—" before the first scoring.
#[component]
pub fn ScoreChip(
    score: Option<i32>,
    band: Option<crate::scoring::Band>,
    /// A CSM's band: it colours the chip and says so, the computed score stays visible.
    #[prop(default = None)]
    override_band: Option<crate::scoring::Band>,
) -> impl IntoView {
    use crate::scoring::Band;
    let shown = override_band.or(band);
    let color = match shown {
        Some(Band::Red) => BadgeColor::Danger,
        Some(Band::Amber) => BadgeColor::Warning,
        Some(Band::Green) => BadgeColor::Success,
        None => BadgeColor::Subtle,
    };
    let title = match (override_band, band) {
        (Some(o), Some(b)) => format!("{} (set by a CSM; the score says {})", o.label(), b.label()),
        (Some(o), None) => format!("{} (set by a CSM)", o.label()),
        (None, Some(b)) => b.label().to_string(),
        (None, None) => "Not scored yet".to_string(),
    };
    view! {
        <span class="score-chip" class:score-chip-override=override_band.is_some() title=title
            data-band=shown.map(|b| b.as_str()).unwrap_or("none")>
            <Badge color appearance=BadgeAppearance::Filled>{score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</Badge>
            <span class="score-band">{shown.map(|b| b.label()).unwrap_or("")}</span>
            {override_band.is_some().then(|| view! { <span class="override-mark" aria-label="set by hand">"✎ CSM"</span> })}
        </span>
    }
}

/// One risk factor: signed points, what it is, where it comes from, and the evidence (linked).
#[component]
pub fn FactorLine(factor: crate::scoring::Factor, #[prop(optional)] compact: bool) -> impl IntoView {
    let class = if factor.points < 0 {
        "factor factor-neg"
    } else {
        "factor factor-pos"
    };
    let points = crate::scoring::signed(factor.points);
    let evidence = factor.evidence.clone();
    view! {
        <div class=class data-testid="factor">
            <span class="factor-points">{points}</span>
            <span class="factor-label">{factor.label.clone()}</span>
            <span class="factor-source">{format!("({})", factor.source)}</span>
            {(!compact).then(|| match factor.link.clone() {
                Some(link) if link.starts_with("http") => view! {
                    <a class="factor-evidence" href=link target="_blank" rel="noopener">{evidence.clone()}</a>
                }.into_any(),
                Some(link) => view! { <a class="factor-evidence" href=link>{evidence.clone()}</a> }.into_any(),
                None => view! { <span class="factor-evidence">{evidence.clone()}</span> }.into_any(),
            })}
        </div>
    }
}

/// A small line of daily scores (0–100), with the bands' cut-offs drawn faintly.
#[component]
pub fn ScoreTrend(points: Vec<(NaiveDate, i32)>) -> impl IntoView {
    let (w, h) = (320.0, 80.0);
    let n = points.len();
    let first = points.first().map(|p| p.0);
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) => ((b.0 - a.0).num_days()).max(1) as f64,
        _ => 1.0,
    };
    let line = points
        .iter()
        .map(|(d, s)| {
            let x = first.map(|f| (*d - f).num_days() as f64 / span * w).unwrap_or(0.0);
            let y = h - (*s as f64 / 100.0) * h;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let label = match (points.first(), points.last()) {
        (Some(a), Some(b)) => format!("Score {} on {} → {} today", a.1, fmt_date(Some(a.0)), b.1),
        _ => "No history yet".into(),
    };
    view! {
        <figure class="score-trend" data-testid="score-trend" data-points=n.to_string()>
            <svg viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none" role="img" aria-label=label.clone()>
                <line x1="0" x2=w.to_string() y1=(h * 0.35).to_string() y2=(h * 0.35).to_string() class="trend-cut" />
                <line x1="0" x2=w.to_string() y1=(h * 0.6).to_string() y2=(h * 0.6).to_string() class="trend-cut" />
                <polyline points=line class="trend-line" />
            </svg>
            <figcaption class="muted">{label}</figcaption>
        </figure>
    }
}

#[component]
pub fn LifecycleChip(lifecycle: Lifecycle) -> impl IntoView {
    let color = match lifecycle {
        Lifecycle::Customer => BadgeColor::Brand,
        Lifecycle::Trial => BadgeColor::Informative,
        Lifecycle::Prospect => BadgeColor::Subtle,
        Lifecycle::Churned => BadgeColor::Danger,
    };
    view! { <Badge color appearance=BadgeAppearance::Outline>{lifecycle.label()}</Badge> }
}
