//! The office-screen dashboard a display link opens.

use super::Data;
use app::api::port::TvPort;
use app::api::AppError;
use app::model::*;

#[async_trait::async_trait]
impl TvPort for Data {
    async fn tv_dashboard(&self, token: String) -> Result<TvDashboard, AppError> {
        let ws = self.display_workspace(&token).await?;
        let ws = self.workspace_info(ws).await?;
        let summary = self.summary_of(&ws).await?;
        // The wall's ten of a queue, in the slim form a display link may see.
        let wall = |q: ListQuery| {
            let ws = &ws;
            async move {
                let page = self.queue_of(ws, q).await?;
                Ok::<Vec<app::model::TvAccount>, AppError>(page.rows.into_iter().take(10).map(Into::into).collect())
            }
        };
        let attention = wall(ListQuery::default()).await?;
        let renewals = wall(ListQuery {
            renewal: "30".into(),
            sort: "renewal".into(),
            ..Default::default()
        })
        .await?;
        let at_risk = wall(ListQuery {
            band: "at_risk".into(),
            sort: "arr".into(),
            ..Default::default()
        })
        .await?;
        let pipeline = self
            .store
            .pipeline_totals(&ws)
            .await?
            .into_iter()
            .filter(|s| s.outcome == app::model::StageOutcome::Open)
            .collect();
        let recent_wins = self
            .store
            .recent_wins(ws.id, 8)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(TvDashboard {
            workspace_name: ws.name,
            summary: (&summary).into(),
            attention,
            renewals,
            at_risk,
            pipeline,
            recent_wins,
            as_of: self.clock.now().to_rfc3339(),
        })
    }
}
