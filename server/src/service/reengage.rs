//! Re-engage: losses and what CSMs do about them.

use super::Data;
use app::api::port::ReengagePort;
use app::api::{AppError, LossAction, Scope};
use app::live::LiveEvent;
use app::model::*;

#[async_trait::async_trait]
impl ReengagePort for Data {
    async fn reengage(&self, s: &Scope, q: ListQuery) -> Result<ReengageView, AppError> {
        let ws = &s.workspace;
        Ok(self
            .cache
            .get_or_load(ws.id, format!("reengage:{q:?}"), || self.store.reengage(ws, &q))
            .await?)
    }

    async fn winback_action(&self, s: &Scope, id: i64, action: LossAction) -> Result<String, AppError> {
        use crate::store::likelihood::WinbackChange;
        let actor = s.actor()?;
        let change = match action {
            LossAction::MarkContacted => WinbackChange::Contacted,
            LossAction::Snooze(days @ 1..=365) => {
                WinbackChange::SnoozeUntil(self.clock.today() + chrono::Duration::days(days as i64))
            }
            LossAction::Snooze(_) => {
                return Err(AppError::Invalid("Snooze for between 1 and 365 days.".into()));
            }
            LossAction::WonBack => WinbackChange::WonBack,
            LossAction::Reopen => WinbackChange::Reopen,
        };
        let name = self
            .store
            .change_winback(
                s.workspace.id,
                id,
                change,
                (Some(actor.user_id), &actor.name),
                self.clock.now(),
            )
            .await?;
        self.changed(s.workspace.id, LiveEvent::Rescored { changed: 1 });
        Ok(match action {
            LossAction::MarkContacted => format!("{name} marked contacted."),
            LossAction::Snooze(days) => format!("{name} snoozed for {days} days."),
            LossAction::WonBack => format!("{name} won back: a win-back deal is open in Pipeline."),
            LossAction::Reopen => format!("{name} is back in the queue."),
        })
    }
}
