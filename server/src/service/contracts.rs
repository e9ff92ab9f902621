//! Contracts: revenue sources, their invoices and the billing syncs.

use super::Data;
use app::api::port::ContractsPort;
use app::api::{AppError, Scope};
use app::model::*;

#[async_trait::async_trait]
impl ContractsPort for Data {
    async fn sync_billing(&self, s: &Scope) -> Result<Vec<i64>, AppError> {
        let mut runs = Vec::new();
        for kind in [IntegrationKind::Salesbricks, IntegrationKind::Stripe] {
            match self.start_sync(s.workspace.id, kind).await {
                Ok(run) => runs.push(run),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if runs.is_empty() {
            return Err(AppError::Invalid(
                "Neither Salesbricks nor Stripe is connected. Connect them in Settings → Integrations.".into(),
            ));
        }
        Ok(runs)
    }

    async fn contracts(&self, s: &Scope, q: ListQuery) -> Result<ContractsView, AppError> {
        let (ws, today) = (&s.workspace, self.clock.today());
        Ok(self
            .cache
            .get_or_load(ws.id, format!("contracts:{today}:{q:?}"), || {
                self.store.contracts(ws, &q, today)
            })
            .await?)
    }

    async fn contract_invoices(&self, s: &Scope, revenue_source_id: i64) -> Result<Vec<InvoiceRow>, AppError> {
        Ok(self.store.contract_invoices(s.workspace.id, revenue_source_id).await?)
    }
}
