//! Pipeline: deals by stage, as a Kanban board (drag and drop with mouse or touch, the arrow keys,
//! or each card's "Move to…") or as a table. Moves are optimistic: the card moves at once and
//! snaps back to the true state, with the reason, when the server refuses (a stale version, a
//! locked deal, a viewer).

use crate::api::{move_deal, pipeline, pipeline_board, MoveDeal};
use crate::model::*;
use crate::ui::*;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos_router::components::A;
use thaw::*;

const PATH: &str = "/pipeline";

#[component]
pub fn PipelinePage() -> impl IntoView {
    let query = use_list_query();
    let table = Memo::new(move |_| query.get().view == "table");
    let view_href = move |view: &'static str| {
        move || {
            let q = query.get();
            crate::url::list_href(
                PATH,
                &ListQuery {
                    view: view.to_string(),
                    page: 1,
                    filter: if view == "table" {
                        q.filter.clone()
                    } else {
                        String::new()
                    },
                    ..q
                },
            )
        }
    };
    view! {
        <PageHeader title="Pipeline" subtitle="Deals by stage: drag a card, or use its Move to… menu or the arrow keys." />
        <RoutedPanel page=RoutePage::Pipeline />
        <div class="list-controls">
            <div class="view-switch" role="group" aria-label="View">
                <A href=view_href("") attr:class=move || if table.get() { "chip" } else { "chip chip-active" } attr:data-testid="view-board">"Board"</A>
                <A href=view_href("table") attr:class=move || if table.get() { "chip chip-active" } else { "chip" } attr:data-testid="view-table">"Table"</A>
            </div>
            <SearchBar path=PATH placeholder="Search deals or accounts" query />
            <UntrackedToggle path=PATH query />
        </div>
        {move || if table.get() {
            view! { <PipelineTable query /> }.into_any()
        } else {
            view! { <PipelineKanban query /> }.into_any()
        }}
    }
}

/// Owner, source and health band, each a select that rewrites the URL.
#[component]
fn DealSelects(query: Memo<ListQuery>, owners: Vec<String>) -> impl IntoView {
    let mut sources = choices(&[("", "Any source")]);
    sources.extend(
        DealSource::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), s.label().to_string())),
    );
    let bands = choices(&[
        ("", "Any health"),
        ("at_risk", "At risk or critical"),
        ("red", "Critical"),
        ("amber", "At risk"),
        ("green", "Healthy"),
    ]);
    view! {
        <div class="queue-selects">
            <QuerySelect path=PATH query label="Owner" testid="filter-owner" field=|q| &mut q.owner options=owner_options(owners) />
            <QuerySelect path=PATH query label="Source" testid="filter-source" field=|q| &mut q.source options=sources />
            <QuerySelect path=PATH query label="Health" testid="filter-band" field=|q| &mut q.band options=bands />
        </div>
    }
}

#[component]
fn PipelineKanban(query: Memo<ListQuery>) -> impl IntoView {
    let live = crate::live::use_live().any();
    let refresh = RwSignal::new(0u32);
    // The first load (and a new query) renders the board; live changes then update it in place.
    let data = Resource::new(move || query.get(), pipeline_board);
    let who = use_viewer();
    let error = RwSignal::new(None::<String>);
    let announce = RwSignal::new(String::new());
    // The board as shown, and the moves on their way to the server. Both live here, above the
    // refetches, so a move made while fresh data arrives is neither lost nor undone.
    let cols = RwSignal::new(Vec::<BoardColumn>::new());
    // The drag in progress; also above the refetches, which re-create the board under it.
    let over = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(None::<i64>);
    let drag = dnd::slot();
    let queued = StoredValue::new(std::collections::HashMap::<
        i64,
        std::collections::VecDeque<(String, Option<i64>)>,
    >::new());

    // Live changes and snap-backs refetch in the background; the newest answer wins and only the
    // cards that differ re-render (keyed), so the other browser sees a move within a frame or two.
    let fetches = StoredValue::new(0u64);
    Effect::new(move |seen: Option<(u64, u32)>| {
        let now = (live.get(), refresh.get());
        if seen.is_some() {
            let this = fetches.with_value(|n| n + 1);
            fetches.set_value(this);
            leptos::task::spawn_local(async move {
                let fresh = pipeline_board(query.get_untracked()).await;
                if fetches.with_value(|n| *n == this) {
                    match fresh {
                        Ok(b) if queued.with_value(|q| q.is_empty()) => cols.set(b.columns),
                        Ok(_) => {}
                        Err(e) => error.set(Some(e.to_string())),
                    }
                }
            });
        }
        now
    });
    // The optimistic move: the board changes now; the server's answer settles or reverts it. A
    // second move of the same card waits for the first's answer (and its new version).
    let do_move = Callback::new(move |(deal_id, stage, before): (i64, String, Option<i64>)| {
        let mut was = None;
        cols.update(|c| was = move_card(c, deal_id, &stage, before));
        let Some(was) = was else { return };
        let label = cols.with_untracked(|c| c.iter().find(|c| c.stage.key == stage).map(|c| c.stage.label.clone()));
        announce.set(format!("Moved {} to {}", was.name, label.unwrap_or_default()));
        let mut first = false;
        queued.update_value(|q| {
            let line = q.entry(deal_id).or_default();
            line.push_back((stage, before));
            first = line.len() == 1;
        });
        if !first {
            return;
        }
        leptos::task::spawn_local(async move {
            while let Some((stage, before)) = queued.with_value(|q| q.get(&deal_id).and_then(|l| l.front().cloned())) {
                let version = cols.with_untracked(|c| {
                    c.iter()
                        .flat_map(|c| c.cards.iter())
                        .find(|d| d.id == deal_id)
                        .map(|d| d.version)
                });
                let result = match version {
                    Some(v) => move_deal(deal_id, stage, v, before).await,
                    None => break,
                };
                match result {
                    Ok(row) => {
                        error.set(None);
                        cols.update(|c| settle_card(c, &row));
                        queued.update_value(|q| {
                            if let Some(l) = q.get_mut(&deal_id) {
                                l.pop_front();
                            }
                        });
                    }
                    Err(e) => {
                        queued.update_value(|q| {
                            q.remove(&deal_id);
                        });
                        error.set(Some(format!("{} went back where it was: {e}", was.name)));
                        refresh.update(|r| *r += 1);
                        return;
                    }
                }
            }
            queued.update_value(|q| {
                q.remove(&deal_id);
            });
            // What others did meanwhile, now that our moves are in.
            refresh.update(|r| *r += 1);
        });
    });

    view! {
        {move || error.get().map(|e| view! {
            <div class="form-error" role="alert" data-testid="move-error">{e}</div>
        })}
        <div class="sr-only" aria-live="polite">{move || announce.get()}</div>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can_move = who.can_operate().await;
                loaded(data.await, move |b| {
                    // Fresh data replaces the board unless our own moves are still on their way.
                    if queued.with_value(|q| q.is_empty()) {
                        cols.set(b.columns);
                    }
                    let owners = b.owners.clone();
                    view! {
                        <DealSelects query owners />
                        <Board cols can_move do_move query over dragging drag />
                    }
                })
            })}
        </Transition>
    }
}

#[component]
fn Board(
    cols: RwSignal<Vec<BoardColumn>>,
    can_move: bool,
    do_move: Callback<(i64, String, Option<i64>)>,
    query: Memo<ListQuery>,
    over: RwSignal<Option<String>>,
    dragging: RwSignal<Option<i64>>,
    drag: dnd::Slot,
) -> impl IntoView {
    let stages: Vec<(String, String)> =
        cols.with_untracked(|c| c.iter().map(|c| (c.stage.key.clone(), c.stage.label.clone())).collect());
    let keys = Memo::new(move |_| cols.with(|c| c.iter().map(|c| c.stage.key.clone()).collect::<Vec<_>>()));
    view! {
        <div class="board" data-testid="board" class:board-dragging=move || dragging.get().is_some()>
            <For each=move || keys.get() key=|k| k.clone() children=move |key: String| {
                let stages = stages.clone();
                view! { <ColumnView key cols can_move stages query over dragging drag do_move /> }
            } />
        </div>
    }
}

/// One stage's column. It re-renders only what changed in it: its totals, and the cards that
/// differ (keyed by what a card shows).
#[component]
fn ColumnView(
    key: String,
    cols: RwSignal<Vec<BoardColumn>>,
    can_move: bool,
    stages: Vec<(String, String)>,
    query: Memo<ListQuery>,
    over: RwSignal<Option<String>>,
    dragging: RwSignal<Option<i64>>,
    drag: dnd::Slot,
    do_move: Callback<(i64, String, Option<i64>)>,
) -> impl IntoView {
    let column = {
        let key = key.clone();
        Memo::new(move |_| cols.with(|c| c.iter().find(|c| c.stage.key == key).cloned()))
    };
    let (label, outcome) = column
        .with_untracked(|c| c.as_ref().map(|c| (c.stage.label.clone(), c.stage.outcome.as_str())))
        .unwrap_or_default();
    let is_over = {
        let key = key.clone();
        move || over.get().as_deref() == Some(key.as_str())
    };
    let more_href = {
        let key = key.clone();
        move || {
            crate::url::list_href(
                PATH,
                &ListQuery {
                    view: "table".into(),
                    filter: key.clone(),
                    page: 1,
                    ..query.get()
                },
            )
        }
    };
    let hidden = move || column.with(|c| c.as_ref().map(BoardColumn::hidden).unwrap_or(0));
    let cards = move || column.with(|c| c.as_ref().map(|c| c.cards.clone()).unwrap_or_default());
    let heading = label.clone();
    view! {
        <section class="board-column" data-stage=key.clone() data-outcome=outcome
            class:board-over=is_over aria-label=label>
            <header class="board-column-head">
                <h2>{heading}</h2>
                <span class="board-count" data-testid="column-count">
                    {move || column.with(|c| c.as_ref().map(|c| c.stage.deals).unwrap_or(0))}
                </span>
                <span class="board-amount">
                    {move || column.with(|c| c.as_ref().map(|c| c.stage.amount.display()).unwrap_or_default())}
                </span>
            </header>
            <div class="board-cards">
                <For each=cards
                    key=|d: &DealRow| (d.id, d.version, d.stage.clone(), d.amount.minor, d.score, d.convert_likelihood, d.writeback_error.clone())
                    children=move |d: DealRow| {
                        let stages = stages.clone();
                        view! { <DealCard deal=d can_move stages cols drag over dragging do_move /> }
                    } />
                {move || column.with(|c| c.as_ref().is_some_and(|c| c.cards.is_empty()))
                    .then(|| view! { <div class="board-empty">"No deals"</div> })}
            </div>
            {move || (hidden() > 0).then(|| view! {
                <A href=more_href.clone() attr:class="board-more">{format!("+{} more in the table", hidden())}</A>
            })}
        </section>
    }
}

#[component]
fn DealCard(
    deal: DealRow,
    can_move: bool,
    stages: Vec<(String, String)>,
    cols: RwSignal<Vec<BoardColumn>>,
    drag: dnd::Slot,
    over: RwSignal<Option<String>>,
    dragging: RwSignal<Option<i64>>,
    do_move: Callback<(i64, String, Option<i64>)>,
) -> impl IntoView {
    let id = deal.id;
    let locked = deal.locked_reason();
    let movable = can_move && locked.is_none();
    let title = match (can_move, locked) {
        (false, _) => "Viewers and the demo preview cannot move deals".to_string(),
        (true, Some(why)) => why.to_string(),
        (true, None) => "Drag to another stage, or use the arrow keys".to_string(),
    };
    let current = deal.stage.clone();
    let label = format!("{}, {}, {}", deal.name, deal.account_name, deal.amount.display());
    view! {
        <article class="deal-card" data-deal-id=id.to_string() data-movable=movable.to_string()
            class:deal-dragging=move || dragging.get() == Some(id)
            tabindex="0" title=title
            aria-label=label
            on:pointerdown=move |ev| if movable { dnd::down(&ev, id, drag) }
            on:pointermove=move |ev| dnd::moved(&ev, drag, over, dragging)
            on:pointerup=move |ev| {
                if let Some((stage, before)) = dnd::up(&ev, drag, over, dragging) {
                    do_move.run((id, stage, before));
                }
            }
            on:pointercancel=move |ev| { let _ = dnd::up(&ev, drag, over, dragging); }
            on:keydown=move |ev| {
                if !movable { return; }
                let key = ev.key();
                if let Some((stage, before)) = cols.with_untracked(|c| keyboard_move(c, id, &key)) {
                    ev.prevent_default();
                    do_move.run((id, stage, before));
                }
            }>
            <div class="deal-card-top">
                <A href=format!("/accounts/{}", deal.account_id) attr:class="account-link">{deal.account_name.clone()}</A>
                {locked.map(|why| view! {
                    <span class="deal-lock" title=why aria-label=why data-testid="locked" role="img">
                        <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
                            <path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4zm2 0h4V5a2 2 0 1 0-4 0v2z"/>
                        </svg>
                    </span>
                })}
            </div>
            <div class="deal-card-name">{deal.name.clone()}</div>
            <div class="deal-card-meta">
                <span class="num">{deal.amount.display()}</span>
                <span class="muted">{deal.expected_close.map(|d| format!("closes {}", fmt_date(Some(d)))).unwrap_or_default()}</span>
            </div>
            <div class="deal-card-chips">
                <ScoreChip score=deal.score band=deal.band />
                {deal.convert_likelihood.map(|p| view! { <LikelihoodChip percent=p /> })}
                <span class="source-tag">{deal.source.label()}</span>
            </div>
            {deal.writeback_error.clone().map(|e| view! {
                <div class="deal-writeback" data-testid="writeback">{e}</div>
            })}
            {movable.then(|| view! {
                <select class="card-move" aria-label="Move to…" data-testid="move-to"
                    on:change=move |ev| {
                        let stage = event_target_value(&ev);
                        if !stage.is_empty() { do_move.run((id, stage, None)); }
                    }>
                    <option value="" selected=true>"Move to…"</option>
                    {stages.iter().filter(|(k, _)| *k != current).map(|(k, l)| view! {
                        <option value=k.clone()>{l.clone()}</option>
                    }).collect_view()}
                </select>
            })}
        </article>
    }
}

/// Pointer-event drag and drop (mouse, pen and touch alike): a card follows the pointer once it
/// has moved a few pixels; the column under the pointer lights up; dropping asks for the move.
#[cfg(feature = "hydrate")]
mod dnd {
    use leptos::ev::PointerEvent;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    /// Where a drag in progress is kept: it holds an element, so it stays on the browser's thread.
    pub type Slot = StoredValue<Option<Drag>, LocalStorage>;

    pub fn slot() -> Slot {
        StoredValue::new_local(None)
    }

    pub struct Drag {
        deal_id: i64,
        pointer_id: i32,
        start: (f64, f64),
        active: bool,
        card: web_sys::HtmlElement,
    }

    /// Below this distance a press is a click, not a drag.
    const THRESHOLD_PX: f64 = 6.0;

    pub fn down(ev: &PointerEvent, deal_id: i64, drag: Slot) {
        if ev.button() != 0 {
            return;
        }
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        // The card's link and its Move to… menu keep their own behaviour.
        if target
            .as_ref()
            .is_some_and(|t| t.closest("a, select, button").ok().flatten().is_some())
        {
            return;
        }
        let Some(card) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        let _ = card.set_pointer_capture(ev.pointer_id());
        drag.set_value(Some(Drag {
            deal_id,
            pointer_id: ev.pointer_id(),
            start: (ev.client_x() as f64, ev.client_y() as f64),
            active: false,
            card,
        }));
    }

    pub fn moved(ev: &PointerEvent, drag: Slot, over: RwSignal<Option<String>>, dragging: RwSignal<Option<i64>>) {
        let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
        drag.update_value(|d| {
            let Some(d) = d.as_mut().filter(|d| d.pointer_id == ev.pointer_id()) else {
                return;
            };
            let (dx, dy) = (x - d.start.0, y - d.start.1);
            if !d.active && dx.hypot(dy) < THRESHOLD_PX {
                return;
            }
            if !d.active {
                d.active = true;
                dragging.set(Some(d.deal_id));
            }
            let _ = d
                .card
                .style()
                .set_property("transform", &format!("translate({dx}px, {dy}px) rotate(1.5deg)"));
            let column = column_at(x, y, &d.card).map(|(key, _)| key);
            if over.get_untracked() != column {
                over.set(column);
            }
        });
        if dragging.get_untracked().is_some() {
            ev.prevent_default();
        }
    }

    /// Ends a drag; the stage and the card to drop before, when it was one.
    pub fn up(
        ev: &PointerEvent,
        drag: Slot,
        over: RwSignal<Option<String>>,
        dragging: RwSignal<Option<i64>>,
    ) -> Option<(String, Option<i64>)> {
        let d = drag.try_update_value(|d| d.take()).flatten()?;
        let _ = d.card.style().remove_property("transform");
        let _ = d.card.release_pointer_capture(d.pointer_id);
        over.set(None);
        dragging.set(None);
        if !d.active || ev.type_() == "pointercancel" {
            return None;
        }
        let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
        let (stage, column) = column_at(x, y, &d.card)?;
        Some((stage, card_below(&column, y, d.deal_id)))
    }

    /// The column under a point, looking through the card being dragged.
    fn column_at(x: f64, y: f64, dragged: &web_sys::HtmlElement) -> Option<(String, web_sys::Element)> {
        let document = web_sys::window()?.document()?;
        let hits = document.elements_from_point(x as f32, y as f32);
        hits.iter()
            .filter_map(|h| h.dyn_into::<web_sys::Element>().ok())
            .filter(|e| !dragged.contains(Some(e)))
            .find_map(|e| e.closest("[data-stage]").ok().flatten())
            .and_then(|c| Some((c.get_attribute("data-stage")?, c)))
    }

    /// The first card in the column whose middle is below the pointer: the drop goes before it.
    fn card_below(column: &web_sys::Element, y: f64, dragged: i64) -> Option<i64> {
        let cards = column.query_selector_all("[data-deal-id]").ok()?;
        (0..cards.length())
            .filter_map(|i| cards.item(i)?.dyn_into::<web_sys::Element>().ok())
            .filter_map(|c| Some((c.get_attribute("data-deal-id")?.parse::<i64>().ok()?, c)))
            .filter(|(id, _)| *id != dragged)
            .find(|(_, c)| {
                let r = c.get_bounding_client_rect();
                y < r.top() + r.height() / 2.0
            })
            .map(|(id, _)| id)
    }
}

/// On the server a card is only rendered: nothing to drag.
#[cfg(not(feature = "hydrate"))]
mod dnd {
    use leptos::ev::PointerEvent;
    use leptos::prelude::*;

    pub struct Drag;

    /// Thread-safe on the server, where a page may be rendered on one thread and dropped on another.
    pub type Slot = StoredValue<Option<Drag>>;

    pub fn slot() -> Slot {
        StoredValue::new(None)
    }

    pub fn down(_: &PointerEvent, _: i64, _: Slot) {}

    pub fn moved(_: &PointerEvent, _: Slot, _: RwSignal<Option<String>>, _: RwSignal<Option<i64>>) {}

    pub fn up(
        _: &PointerEvent,
        _: Slot,
        _: RwSignal<Option<String>>,
        _: RwSignal<Option<i64>>,
    ) -> Option<(String, Option<i64>)> {
        None
    }
}

#[component]
fn PipelineTable(query: Memo<ListQuery>) -> impl IntoView {
    let moves = ServerAction::<MoveDeal>::new();
    let live = crate::live::use_live().any();
    let view_data = Resource::new(
        move || (query.get(), moves.version().get(), live.get()),
        |(q, _, _)| pipeline(q),
    );
    let who = use_viewer();
    view! {
        {move || moves.value().get().and_then(|r| r.err()).map(|e| view! {
            <div class="form-error" role="alert" data-testid="move-error">{e.to_string()}</div>
        })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let can_move = who.can_operate().await;
                loaded(view_data.await, move |v| view_table(query, v, can_move, moves))
            })}
        </Transition>
    }
}

fn view_table(query: Memo<ListQuery>, v: PipelineView, can_move: bool, moves: ServerAction<MoveDeal>) -> impl IntoView {
    let stage_choices: Vec<(String, String)> = v.stages.iter().map(|s| (s.key.clone(), s.label.clone())).collect();
    let stages = v.stages.clone();
    let all_deals = stages.iter().map(|s| s.deals).sum::<u64>();
    let rows = v.deals.rows.clone();
    let owners = v.owners.clone();
    view! {
        <DealSelects query owners />
        <section class="stage-strip" data-testid="stage-strip">
            <A href=move || crate::url::list_href(PATH, &ListQuery { filter: String::new(), page: 1, ..query.get() })
               attr:class=move || if query.get().filter.is_empty() { "stage-card stage-active" } else { "stage-card" }>
                <div class="stage-label">"All stages"</div>
                <div class="stage-count">{all_deals}" deals"</div>
            </A>
            {stages.into_iter().map(|s| {
                let key = s.key.clone();
                let key_for_active = s.key.clone();
                view! {
                    <A href=move || crate::url::list_href(PATH, &ListQuery { filter: key.clone(), page: 1, ..query.get() })
                       attr:class=move || format!("stage-card stage-{} {}", s.outcome.as_str(), if query.get().filter == key_for_active { "stage-active" } else { "" })
                       attr:data-stage=s.key.clone()>
                        <div class="stage-label">{s.label.clone()}</div>
                        <div class="stage-count">{format!("{} deals", s.deals)}</div>
                        <div class="stage-amount">{s.amount.display()}</div>
                    </A>
                }
            }).collect_view()}
        </section>
        <Table class="data-table" attr:data-testid="pipeline-table">
            <TableHeader>
                <TableRow>
                    <SortHeader path=PATH query key="name" label="Deal" />
                    <SortHeader path=PATH query key="account" label="Account" />
                    <TableHeaderCell>"Stage"</TableHeaderCell>
                    <SortHeader path=PATH query key="" label="Amount" />
                    <SortHeader path=PATH query key="health" label="Health" />
                    <SortHeader path=PATH query key="close" label="Expected close" />
                    <TableHeaderCell>"Owner"</TableHeaderCell>
                    <TableHeaderCell>"Source"</TableHeaderCell>
                    <TableHeaderCell>"Move to"</TableHeaderCell>
                    <th class="thaw-table-header-cell" scope="col"><span class="sr-only">"Actions"</span></th>
                </TableRow>
            </TableHeader>
            <TableBody>
                {rows.into_iter().map(|d| {
                    let (deal_id, version) = (d.id, d.version);
                    let locked = d.locked_reason();
                    let why = match (can_move, locked) {
                        (false, _) => "Viewers and the demo preview cannot move deals",
                        (true, Some(why)) => why,
                        (true, None) => "Move this deal to another stage",
                    };
                    let choices = stage_choices.clone();
                    let current = d.stage.clone();
                    view! {
                    <TableRow attr:data-deal-id=d.id.to_string()>
                        <TableCell>{d.name.clone()}
                            {d.writeback_error.clone().map(|e| view! { <div class="deal-writeback" data-testid="writeback">{e}</div> })}
                        </TableCell>
                        <TableCell><A href=format!("/accounts/{}", d.account_id) attr:class="account-link">{d.account_name.clone()}</A></TableCell>
                        <TableCell>{d.stage_label.clone()}</TableCell>
                        <TableCell class="num">{d.amount.display()}</TableCell>
                        <TableCell><ScoreChip score=d.score band=d.band /></TableCell>
                        <TableCell>{fmt_date(d.expected_close)}</TableCell>
                        <TableCell>{d.owner.clone().unwrap_or_else(|| "—".into())}</TableCell>
                        <TableCell>{d.source.label()}</TableCell>
                        <TableCell>
                            <select class="inline-select" data-testid="move-deal" aria-label="Move to stage" title=why
                                disabled=!can_move || locked.is_some()
                                on:change=move |ev| {
                                    moves.dispatch(MoveDeal { deal_id, stage: event_target_value(&ev), version, before: None });
                                }>
                                {choices.into_iter().map(|(key, label)| {
                                    let selected = key == current;
                                    view! { <option value=key selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                        </TableCell>
                        <TableCell><RouteMenu account_id=d.account_id from=RoutePage::Pipeline can=can_move /></TableCell>
                    </TableRow>
                }}).collect_view()}
            </TableBody>
        </Table>
        {v.deals.rows.is_empty().then(|| view! { <Empty message="No deals in this view." /> })}
        <Pager path=PATH query page=v.deals />
    }
}
