//! Pipeline: deals, the board, its stages and source, moving deals.

use super::Data;
use app::api::port::PipelinePort;
use app::api::{AppError, Scope};
use app::live::LiveEvent;
use app::model::*;

#[async_trait::async_trait]
impl PipelinePort for Data {
    async fn pipeline(&self, s: &Scope, q: ListQuery) -> Result<PipelineView, AppError> {
        Ok(self.store.pipeline(&s.workspace, &q).await?)
    }

    async fn pipeline_board(&self, s: &Scope, q: ListQuery) -> Result<app::model::KanbanBoard, AppError> {
        let ws = &s.workspace;
        Ok(self
            .cache
            .get_or_load(ws.id, format!("board:{q:?}"), || self.store.pipeline_board(ws, &q))
            .await?)
    }

    async fn pipeline_settings(&self, s: &Scope) -> Result<app::model::PipelineSettings, AppError> {
        let stages = self
            .store
            .pipeline_stages(s.workspace.id)
            .await?
            .into_iter()
            .map(|(key, label, outcome)| {
                let outcome = app::model::StageOutcome::parse(&outcome)
                    .ok_or_else(|| AppError::Internal(format!("stage {key} has outcome {outcome:?}")))?;
                Ok((key, label, outcome))
            })
            .collect::<Result<_, AppError>>()?;
        Ok(app::model::PipelineSettings {
            stages,
            source: s.workspace.pipeline_source.clone(),
        })
    }

    async fn set_stage_order(&self, s: &Scope, order: String) -> Result<(), AppError> {
        let keys: Vec<String> = order
            .split(',')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        self.store.set_stage_order(s.workspace.id, &keys).await?;
        self.changed(s.workspace.id, LiveEvent::PipelineChanged);
        Ok(())
    }

    async fn set_pipeline_source(&self, s: &Scope, source: String) -> Result<(), AppError> {
        self.store.set_pipeline_source(s.workspace.id, source.trim()).await?;
        self.changed(s.workspace.id, LiveEvent::PipelineChanged);
        Ok(())
    }

    async fn move_deal(
        &self,
        s: &Scope,
        deal_id: i64,
        stage: String,
        version: i64,
        before: Option<i64>,
    ) -> Result<DealRow, AppError> {
        let deal = self
            .store
            .move_deal(
                s.workspace.id,
                deal_id,
                &stage,
                version,
                before,
                &s.actor()?.name,
                self.clock.now(),
            )
            .await?;
        self.changed(
            s.workspace.id,
            LiveEvent::DealChanged {
                deal_id: deal.id,
                account_id: deal.account_id,
            },
        );
        if deal.writeback_error.is_some() && deal.source == app::model::DealSource::Attio {
            if let Some(me) = self.arc() {
                let (ws, moved) = (s.workspace.id, deal.clone());
                tokio::spawn(async move { me.write_back(ws, moved).await });
            }
        }
        Ok(deal)
    }
}
