//! Convert: the queue of trials and expansion candidates.

use super::Data;
use app::api::port::ConvertPort;
use app::api::{AppError, Scope};
use app::model::*;

#[async_trait::async_trait]
impl ConvertPort for Data {
    async fn convert_queue(&self, s: &Scope, q: ListQuery) -> Result<ConvertView, AppError> {
        let (ws, today) = (&s.workspace, self.clock.today());
        Ok(self
            .cache
            .get_or_load(ws.id, format!("convert:{today}:{q:?}"), || {
                self.store.convert_queue(ws, &q, today)
            })
            .await?)
    }
}
