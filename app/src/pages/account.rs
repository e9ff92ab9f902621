//! Customer Detail: everything Success knows about one account.

use super::close_the_loop::{AccountShipped, EmailDrawer, LoopActions, OptOutToggle};
use crate::api::{account_detail, ClearBandOverride, OverrideBand, SetTracked};
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::hooks::use_params_map;
use thaw::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let params = use_params_map();
    let account_id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    let track = ServerAction::<SetTracked>::new();
    let set_override = ServerAction::<OverrideBand>::new();
    let clear_override = ServerAction::<ClearBandOverride>::new();
    let who = use_viewer();
    let live = crate::live::use_live().for_account(account_id);
    // Refetch after a change that worked (a refused one keeps the form and its messages).
    let saved = RwSignal::new(0usize);
    let on_success = move |ok: bool| {
        if ok {
            saved.update(|n| *n += 1);
        }
    };
    Effect::new(move |_| on_success(matches!(track.value().get(), Some(Ok(_)))));
    Effect::new(move |_| on_success(matches!(set_override.value().get(), Some(Ok(_)))));
    Effect::new(move |_| on_success(matches!(clear_override.value().get(), Some(Ok(_)))));
    let detail = Resource::new(
        move || (account_id.get(), saved.get(), live.get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => account_detail(id).await,
                None => Err(crate::api::AppError::NotFound("Account".into())),
            }
        },
    );
    let loop_actions = LoopActions::new();
    let requests = Resource::new(
        move || (account_id.get(), live.get(), loop_actions.version()),
        |(id, _, _)| async move {
            match id {
                Some(id) => crate::api::account_loop(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        // Outside the refreshing part, so a live update never wipes a conversation.
        {move || account_id.get().map(|id| view! { <super::account_chat::AccountChat account_id=id /> })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can = who.can_operate().await;
                let actions = Actions { track, set_override, clear_override };
                loaded(detail.await, move |d| detail_view(d, can, actions))
            })}
        </Transition>
        <AccountShipped data=requests actions=loop_actions />
        <EmailDrawer actions=loop_actions />
    }
}

#[derive(Clone, Copy)]
struct Actions {
    track: ServerAction<SetTracked>,
    set_override: ServerAction<OverrideBand>,
    clear_override: ServerAction<ClearBandOverride>,
}

/// The CSM override: shown distinctly when one applies, with a form to set or clear it.
#[component]
fn OverridePanel(account_id: i64, current: Option<BandOverride>, can: bool, actions: Actions) -> impl IntoView {
    let open = RwSignal::new(false);
    let value = Signal::derive(move || actions.set_override.value().get());
    let error = move |field: &'static str| super::auth::field_error(value, field);
    // Close the form once an override has been saved.
    Effect::new(move |_| {
        if matches!(actions.set_override.value().get(), Some(Ok(_))) {
            open.set(false);
        }
    });
    let default_expiry = StoredValue::new((chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string());
    view! {
        {current.map(|o| view! {
            <div class=format!("override-banner override-{}", o.band.as_str()) data-testid="band-override">
                <div>
                    <strong>{format!("Band set by hand: {}", o.band.label())}</strong>
                    <span class="muted">{format!(" until {} · by {} on {}", fmt_date(Some(o.expires_on)), o.set_by, fmt_instant(&o.set_at))}</span>
                    <div class="override-reason">{format!("“{}”", o.reason)}</div>
                </div>
                {can.then(|| view! {
                    <Button size=ButtonSize::Small attr:data-testid="clear-override"
                        on_click=move |_| { actions.clear_override.dispatch(ClearBandOverride { account_id }); }>
                        "Clear override"
                    </Button>
                })}
            </div>
        })}
        {can.then(|| view! {
            <div class="override-form-wrap">
                <Show when=move || !open.get()>
                    <Button size=ButtonSize::Small appearance=ButtonAppearance::Subtle attr:data-testid="override-open"
                        on_click=move |_| open.set(true)>"Override band…"</Button>
                </Show>
                <Show when=move || open.get()>
                    <ActionForm action=actions.set_override attr:class="override-form" attr:data-testid="override-form">
                        <input type="hidden" name="account_id" value=account_id.to_string() />
                        <div class="form-field">
                            <label for="override-band">"Band"</label>
                            <select id="override-band" name="band" class="inline-select">
                                <option value="red">"Critical"</option>
                                <option value="amber">"At risk"</option>
                                <option value="green">"Healthy"</option>
                            </select>
                        </div>
                        <div class="form-field grow" class:has-error=move || error("reason").get().is_some()>
                            <label for="override-reason">"Why (the team will read this)"</label>
                            <Textarea id="override-reason" name="reason" placeholder="e.g. Champion told us on the QBR they are evaluating a competitor" />
                            {move || error("reason").get().map(|e| view! { <div class="field-error" data-field="reason">{e}</div> })}
                        </div>
                        <div class="form-field" class:has-error=move || error("expires_on").get().is_some()>
                            <label for="override-expires">"Until (last day)"</label>
                            <input id="override-expires" type="date" name="expires_on" class="date-input" value=default_expiry.get_value() />
                            {move || error("expires_on").get().map(|e| view! { <div class="field-error" data-field="expires_on">{e}</div> })}
                        </div>
                        <super::auth::FormError value />
                        <div class="form-buttons">
                            <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary size=ButtonSize::Small
                                loading=actions.set_override.pending()>"Save override"</Button>
                            <Button size=ButtonSize::Small on_click=move |_| open.set(false)>"Cancel"</Button>
                        </div>
                    </ActionForm>
                </Show>
            </div>
        })}
    }
}

/// The score, its trend, and every factor with its evidence.
#[component]
fn HealthPanel(
    score: Option<crate::scoring::Score>,
    history: Vec<(chrono::NaiveDate, i32)>,
    override_band: Option<crate::scoring::Band>,
    children: Children,
) -> impl IntoView {
    let Some(s) = score else {
        return view! { <section class="panel"><Empty message="This account has not been scored yet." />{children()}</section> }
            .into_any();
    };
    view! {
        <section class="panel health-panel" id="health" data-testid="health-panel">
            <div class="health-head">
                <div>
                    <h2>"Health"</h2>
                    <div class="health-score">
                        <ScoreChip score=Some(s.score) band=Some(s.band) override_band=override_band />
                        {override_band.filter(|o| *o != s.band).map(|_| view! {
                            <span class="muted" data-testid="computed-band">{format!("score alone: {}", s.band.label())}</span>
                        })}
                        <span class="muted">{format!("{} points from the neutral {}", crate::scoring::signed(s.score - crate::scoring::BASELINE), crate::scoring::BASELINE)}</span>
                    </div>
                    {(!s.missing.is_empty()).then(|| view! {
                        <div class="muted missing-data" data-testid="missing-data">
                            {format!("Not scored on: {} (no data; its weight went to the other measures).", s.missing.join(", "))}
                        </div>
                    })}
                </div>
                <ScoreTrend points=history />
            </div>
            {children()}
            <div class="factor-list" data-testid="factor-list">
                {s.factors.into_iter().map(|f| view! { <FactorLine factor=f /> }).collect_view()}
            </div>
        </section>
    }.into_any()
}

fn detail_view(d: AccountDetail, can: bool, actions: Actions) -> impl IntoView {
    let track = actions.track;
    let account_id = d.account.id;
    let tracked = d.account.tracked;
    let a = d.account.clone();
    let activity = d.activity();
    let last_activity = d.last_activity(&activity);
    let live_mrr: i64 = d
        .revenue_sources
        .iter()
        .filter(|r| matches!(r.status.as_str(), "active" | "past_due" | "unpaid"))
        .map(|r| r.mrr.minor)
        .sum();
    let (mrr, mrr_hint) = if d.revenue_sources.is_empty() {
        (
            Money::new(a.arr.minor / 12, a.arr.currency.clone()).display(),
            "ARR ÷ 12".to_string(),
        )
    } else {
        (
            Money::new(live_mrr, a.arr.currency.clone()).display(),
            format!("{} revenue sources", d.revenue_sources.len()),
        )
    };
    let seats = d
        .usage
        .last()
        .map(|w| w.licensed_seats.to_string())
        .or_else(|| d.trials.first().map(|t| t.seats.to_string()))
        .unwrap_or_else(|| "—".into());
    let last_week = d.usage.last().cloned();
    let usage_hint = last_week.as_ref().map(|w| {
        format!(
            "of {} licensed seats, week of {}",
            w.licensed_seats,
            fmt_date(Some(w.week_start))
        )
    });
    view! {
        <leptos_meta::Title text=a.name.clone() />
        <header class="page-header account-header">
            <h1 data-testid="account-name">{a.name.clone()}</h1>
            <div class="account-meta">
                <LifecycleChip lifecycle=a.lifecycle />
                {a.domain.clone().map(|d| view! { <span class="muted">{d}</span> })}
                <span class="muted">{format!("Owner: {}", a.owner_name.clone().unwrap_or_else(|| "Unassigned".into()))}</span>
                {(!a.tracked).then(|| view! { <Badge color=BadgeColor::Subtle>"Untracked"</Badge> })}
            </div>
            <div class="account-actions">
                <RouteMenu account_id from=RoutePage::Health can />
                <Button size=ButtonSize::Small disabled=!can attr:data-testid="track-toggle"
                    on_click=move |_| { track.dispatch(SetTracked { account_id, tracked: !tracked }); }>
                    {if tracked { "Untrack" } else { "Track again" }}
                </Button>
                {(!tracked).then(|| view! { <span class="muted">"Untracked accounts are left out of monitoring and hidden by default."</span> })}
            </div>
            <div class="account-meta muted">
                {[d.industry.clone(), d.employees.map(|e| format!("{e} employees")), d.country.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · ")}
            </div>
        </header>
        <HealthPanel score=d.score.clone() history=d.history.clone() override_band=d.band_override.as_ref().map(|o| o.band)>
            <OverridePanel account_id current=d.band_override.clone() can actions />
        </HealthPanel>
        <section class="metrics metrics-dense">
            <Metric label="ARR" value=a.arr.display() />
            <Metric label="MRR" value=mrr hint=mrr_hint />
            <Metric label="Seats" value=seats />
            <Metric
                label="Active users last week"
                value=last_week.map(|w| w.active_users.to_string()).unwrap_or_else(|| "—".into())
                hint=usage_hint.unwrap_or_else(|| "no usage data".into())
            />
            <div class="metric" data-testid="last-activity-metric">
                <div class="metric-label">"Last activity"</div>
                <div class="metric-value" data-testid="last-activity">{fmt_date(last_activity)}</div>
            </div>
            <Metric label="Next renewal" value=fmt_date(a.renewal_date) />
            <Metric label="Payment" value=a.payment_state.label().to_string() />
        </section>
        <section class="panel activity" id="activity" data-testid="activity-feed">
            <h2>"Activity"</h2>
            {if activity.is_empty() {
                view! { <Empty message="Nothing has happened on this account yet." /> }.into_any()
            } else {
                view! {
                    <ul class="activity-list">
                        {activity.into_iter().take(40).map(|item| view! {
                            <li class="activity-item" id=item.href.clone().filter(|h| h.starts_with("#signal-")).map(|h| h[1..].to_string())>
                                <span class="activity-when">{fmt_when(&item.when)}</span>
                                <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Informative>{item.kind}</Badge>
                                <span class="activity-text">
                                    {match item.href.as_deref().filter(|h| !h.starts_with("#signal-")).and_then(crate::url::safe_href) {
                                        Some(h) => view! { <a href=h>{item.text.clone()}</a> }.into_any(),
                                        None => view! { <span>{item.text.clone()}</span> }.into_any(),
                                    }}
                                    {item.quote.clone().map(|q| view! { <blockquote>{format!("“{q}”")}</blockquote> })}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <div class="detail-grid">
            <section class="panel" id="revenue">
                <h2>"Revenue sources"</h2>
                {if d.revenue_sources.is_empty() {
                    view! { <Empty message="No Salesbricks contract or Stripe subscription." /> }.into_any()
                } else {
                    view! {
                        <Table class="data-table">
                            <TableHeader><TableRow>
                                <TableHeaderCell>"Source"</TableHeaderCell>
                                <TableHeaderCell>"Plan"</TableHeaderCell>
                                <TableHeaderCell>"Status"</TableHeaderCell>
                                <TableHeaderCell>"MRR"</TableHeaderCell>
                                <TableHeaderCell>"Renewal"</TableHeaderCell>
                                <TableHeaderCell>"Payment"</TableHeaderCell>
                            </TableRow></TableHeader>
                            <TableBody>
                                {d.revenue_sources.clone().into_iter().map(|r| view! {
                                    <TableRow>
                                        <TableCell>{r.source.label()}</TableCell>
                                        <TableCell>{r.plan.clone()}<div class="muted">{r.billing_interval.label()}</div></TableCell>
                                        <TableCell>{r.status.clone()}{r.cancel_at_period_end.then_some(" · cancels at period end")}</TableCell>
                                        <TableCell class="num">{r.mrr.display()}</TableCell>
                                        <TableCell>{fmt_date(r.renewal_date.or(r.end_date))}</TableCell>
                                        <TableCell><PaymentChip state=r.payment_state /></TableCell>
                                    </TableRow>
                                }).collect_view()}
                            </TableBody>
                        </Table>
                    }.into_any()
                }}
            </section>
            <section class="panel" id="usage">
                <h2>"Weekly active users"</h2>
                <UsageBars weeks=d.usage.clone() />
            </section>
            <section class="panel" id="invoices">
                <h2>"Invoices"</h2>
                {if d.invoices.is_empty() {
                    view! { <Empty message="No invoices." /> }.into_any()
                } else {
                    view! {
                        <Table class="data-table compact">
                            <TableHeader><TableRow>
                                <TableHeaderCell>"Issued"</TableHeaderCell>
                                <TableHeaderCell>"Status"</TableHeaderCell>
                                <TableHeaderCell>"Amount"</TableHeaderCell>
                                <TableHeaderCell>"Outstanding"</TableHeaderCell>
                                <TableHeaderCell>"Attempts"</TableHeaderCell>
                            </TableRow></TableHeader>
                            <TableBody>
                                {d.invoices.clone().into_iter().map(|i| view! {
                                    <TableRow>
                                        <TableCell>{fmt_date(Some(i.issued_on))}</TableCell>
                                        <TableCell>{i.status.label()}</TableCell>
                                        <TableCell class="num">{i.amount_due.display()}</TableCell>
                                        <TableCell class="num">{i.amount_remaining.display()}</TableCell>
                                        <TableCell class="num">{i.attempt_count}</TableCell>
                                    </TableRow>
                                }).collect_view()}
                            </TableBody>
                        </Table>
                    }.into_any()
                }}
            </section>
            <section class="panel">
                <h2>"Deals and trials"</h2>
                {d.deals.is_empty().then(|| view! { <Empty message="No deals." /> })}
                <ul class="plain-list">
                    {d.deals.clone().into_iter().map(|deal| view! {
                        <li>
                            <strong>{deal.name.clone()}</strong>
                            {format!(" · {} · {}", deal.stage_label, deal.amount.display())}
                            {deal.closed_lost_reason.clone().map(|r| view! { <span class="muted">{format!(" · lost: {r}")}</span> })}
                        </li>
                    }).collect_view()}
                    {d.trials.clone().into_iter().map(|t| view! {
                        <li>
                            <strong>"Trial"</strong>
                            {format!(" · {} seats · {} activation events · ends {}", t.seats, t.activation_events, fmt_date(Some(t.ends_on)))}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="panel" id="company" data-testid="enrichment">
                <h2>"Company (HubSpot)"</h2>
                {if d.industry.is_none() && d.employees.is_none() && d.country.is_none() && d.custom_fields.is_empty() {
                    view! { <Empty message="No HubSpot company matched yet." /> }.into_any()
                } else {
                    view! {
                        <dl class="facts">
                            <dt>"Industry"</dt><dd>{d.industry.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Employees"</dt><dd>{d.employees.map(|e| e.to_string()).unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Location"</dt><dd>{d.country.clone().unwrap_or_else(|| "—".into())}</dd>
                            {d.custom_fields.clone().into_iter().map(|(label, value)| view! {
                                <dt>{label}</dt><dd>{value}</dd>
                            }).collect_view()}
                        </dl>
                    }.into_any()
                }}
            </section>
            <section class="panel" id="contacts">
                <h2>"Contacts"</h2>
                {d.contacts.is_empty().then(|| view! { <Empty message="No contacts recorded." /> })}
                <ul class="plain-list">
                    {d.contacts.clone().into_iter().map(|c| view! {
                        <li>
                            <strong>{c.name.clone()}</strong>
                            {c.title.clone().map(|t| format!(" · {t}"))}
                            {c.is_champion.then(|| view! { " " <Badge color=BadgeColor::Success appearance=BadgeAppearance::Tint>"Champion"</Badge> })}
                            {c.left_on.map(|d| view! { <span class="muted">{format!(" · left {}", fmt_date(Some(d)))}</span> })}
                            <div class="muted">{c.email.clone()}</div>
                            <OptOutToggle contact_id=c.id opted_out=c.opted_out can />
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </div>
    }
}

/// A feed time: the day, and the time of day when it has one.
fn fmt_when(when: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(when) {
        Ok(t) => t.format("%-d %b %Y, %H:%M").to_string(),
        Err(_) => chrono::NaiveDate::parse_from_str(when, "%Y-%m-%d")
            .map(|d| fmt_date(Some(d)))
            .unwrap_or_else(|_| when.to_string()),
    }
}

/// Weekly active users against licensed seats, as CSS bars (readable without JavaScript).
#[component]
fn UsageBars(weeks: Vec<UsageWeek>) -> impl IntoView {
    if weeks.is_empty() {
        return view! { <Empty message="No product usage recorded." /> }.into_any();
    }
    let peak = weeks
        .iter()
        .map(|w| w.licensed_seats.max(w.active_users))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    view! {
        <div class="usage-bars" data-testid="usage-bars">
            {weeks.into_iter().map(|w| {
                let pct = (w.active_users as f64 / peak * 100.0).round();
                let seats_pct = (w.licensed_seats as f64 / peak * 100.0).round();
                let title = format!("Week of {}: {} active of {} seats", fmt_date(Some(w.week_start)), w.active_users, w.licensed_seats);
                view! {
                    <div class="usage-col" role="img" title=title.clone() aria-label=title>
                        <div class="usage-seats" style=format!("height:{seats_pct}%")></div>
                        <div class="usage-active" style=format!("height:{pct}%")></div>
                    </div>
                }
            }).collect_view()}
        </div>
        <div class="muted usage-legend">"Dark: active users · light: licensed seats · last 26 weeks"</div>
    }.into_any()
}
