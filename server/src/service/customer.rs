//! One customer: the account page and routing accounts between pages.

use super::{field_error, Data};
use app::api::port::CustomerPort;
use app::api::{AppError, Scope};
use app::live::LiveEvent;
use app::model::*;

#[async_trait::async_trait]
impl CustomerPort for Data {
    async fn account_detail(&self, s: &Scope, id: i64) -> Result<AccountDetail, AppError> {
        Ok(self.store.account_detail(&s.workspace, id, self.clock.today()).await?)
    }

    async fn route_account(
        &self,
        s: &Scope,
        account_id: i64,
        from: RoutePage,
        to: RoutePage,
        note: String,
    ) -> Result<RouteRow, AppError> {
        if from == to {
            return Err(AppError::Invalid(format!("The account is already on {}.", to.label())));
        }
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(field_error("note", "Keep the note under 500 characters."));
        }
        let note = Some(note).filter(|n| !n.is_empty());
        let route = self
            .store
            .route_account(
                s.workspace.id,
                account_id,
                from,
                to,
                &s.actor()?.name,
                note,
                self.clock.now(),
            )
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(route)
    }

    async fn dismiss_route(&self, s: &Scope, route_id: i64) -> Result<(), AppError> {
        let account_id = self
            .store
            .dismiss_route(s.workspace.id, route_id, self.clock.now())
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(())
    }

    async fn routed_to(&self, s: &Scope, page: RoutePage) -> Result<Vec<RouteRow>, AppError> {
        Ok(self.store.routed_to(s.workspace.id, page).await?)
    }
}
