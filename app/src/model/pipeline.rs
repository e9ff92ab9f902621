//! Deals, the Kanban board and how a card moves on it.

use super::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DealRow {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub name: String,
    pub stage: String,
    pub stage_label: String,
    pub outcome: StageOutcome,
    pub amount: Money,
    pub expected_close: Option<NaiveDate>,
    pub source: DealSource,
    pub closed_lost_reason: Option<String>,
    pub lost_on: Option<NaiveDate>,
    /// Bumped on every move, so two people moving the same deal cannot overwrite each other.
    pub version: i64,
    /// Its place within its stage's column (lower first).
    pub position: i64,
    pub owner: Option<String>,
    /// The account's health score and band, for the card's chip.
    pub score: Option<i32>,
    pub band: Option<crate::scoring::Band>,
    /// The account's running trial's conversion likelihood, 0–100.
    pub convert_likelihood: Option<i32>,
    /// Why the CRM has not taken this deal's last move yet (Attio write-back).
    pub writeback_error: Option<String>,
}

impl DealRow {
    /// Why this deal cannot be moved in Success, if it cannot (the card shows it locked).
    pub fn locked_reason(&self) -> Option<&'static str> {
        (self.source == DealSource::Salesbricks)
            .then_some("Salesbricks deals follow their contract: change the stage in Salesbricks.")
    }
}

/// One Kanban column: the stage with the count and amount of the deals the filters select, and
/// its first cards in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: StageSummary,
    pub cards: Vec<DealRow>,
}

impl BoardColumn {
    /// Cards in the stage that the column does not show (see the table view).
    pub fn hidden(&self) -> u64 {
        self.stage.deals.saturating_sub(self.cards.len() as u64)
    }
}

/// The Pipeline as a Kanban board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KanbanBoard {
    pub columns: Vec<BoardColumn>,
    pub owners: Vec<String>,
}

/// How many cards a Kanban column shows; the rest are in the table view.
pub const BOARD_COLUMN_CARDS: usize = 60;

/// Moves a card on the board as the server will: out of its column, into `to_stage` just before
/// the card `before` (else last), with both columns' counts and amounts following. Returns the
/// card as it was, or `None` when nothing moves (unknown card or stage, or the same place).
pub fn move_card(columns: &mut [BoardColumn], deal_id: i64, to_stage: &str, before: Option<i64>) -> Option<DealRow> {
    let from = columns.iter().position(|c| c.cards.iter().any(|d| d.id == deal_id))?;
    let to = columns.iter().position(|c| c.stage.key == to_stage)?;
    let at = columns[from].cards.iter().position(|d| d.id == deal_id)?;
    let before = before.filter(|b| *b != deal_id);
    if from == to {
        let next = columns[from].cards.get(at + 1).map(|d| d.id);
        if next == before {
            return None;
        }
    }
    let card = columns[from].cards.remove(at);
    let original = card.clone();
    let mut moved = card;
    if from != to {
        let amount = moved.amount.minor;
        let source = &mut columns[from].stage;
        source.deals = source.deals.saturating_sub(1);
        source.amount.minor -= amount;
        let target = &mut columns[to].stage;
        target.deals += 1;
        target.amount.minor += amount;
        moved.stage = target.key.clone();
        moved.stage_label = target.label.clone();
        moved.outcome = target.outcome;
    }
    let cards = &mut columns[to].cards;
    let index = before
        .and_then(|b| cards.iter().position(|d| d.id == b))
        .unwrap_or(cards.len());
    cards.insert(index, moved);
    Some(original)
}

/// Takes the server's answer for a moved card: its new version and write-back state. Where it
/// stands stays as the board shows it (a later move of the same card may already be on screen).
pub fn settle_card(columns: &mut [BoardColumn], row: &DealRow) {
    for column in columns.iter_mut() {
        if let Some(card) = column.cards.iter_mut().find(|d| d.id == row.id) {
            card.version = row.version;
            card.writeback_error = row.writeback_error.clone();
            return;
        }
    }
}

/// Where the arrow keys move a focused card: ←/→ to the end of the stage beside it, ↑/↓ one place
/// within its stage. `None` when it cannot go that way.
pub fn keyboard_move(columns: &[BoardColumn], deal_id: i64, key: &str) -> Option<(String, Option<i64>)> {
    let col = columns.iter().position(|c| c.cards.iter().any(|d| d.id == deal_id))?;
    let at = columns[col].cards.iter().position(|d| d.id == deal_id)?;
    let cards = &columns[col].cards;
    let here = columns[col].stage.key.clone();
    match key {
        "ArrowLeft" => col.checked_sub(1).map(|c| (columns[c].stage.key.clone(), None)),
        "ArrowRight" => columns.get(col + 1).map(|c| (c.stage.key.clone(), None)),
        "ArrowUp" => at.checked_sub(1).map(|prev| (here, Some(cards[prev].id))),
        "ArrowDown" => match at + 2 {
            after if after < cards.len() => Some((here, Some(cards[after].id))),
            after if after == cards.len() => Some((here, None)),
            _ => None,
        },
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSummary {
    pub key: String,
    pub label: String,
    pub outcome: StageOutcome,
    pub deals: u64,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineView {
    pub stages: Vec<StageSummary>,
    pub deals: Page<DealRow>,
    pub owners: Vec<String>,
}
