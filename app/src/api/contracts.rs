//! Contracts: revenue sources, their invoices and the billing syncs.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::model::{ContractsView, InvoiceRow, ListQuery};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ContractsPort: Send + Sync {
    /// Starts the Salesbricks and Stripe syncs that are connected; returns their run ids.
    async fn sync_billing(&self, scope: &Scope) -> Result<Vec<i64>, AppError>;
    async fn contracts(&self, scope: &Scope, query: ListQuery) -> Result<ContractsView, AppError>;
    /// One revenue source's invoices, newest first.
    async fn contract_invoices(&self, scope: &Scope, revenue_source_id: i64) -> Result<Vec<InvoiceRow>, AppError>;
}

/// Convert's "Sync from Salesbricks + Stripe" (CSMs may: it only reads from the vendors).
#[server(prefix = "/api/fn", endpoint = "sync_billing")]
pub async fn sync_billing() -> Result<Vec<i64>, AppError> {
    port::call(Need::Operate, |d, s| async move { d.sync_billing(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "contracts")]
pub async fn contracts(query: ListQuery) -> Result<ContractsView, AppError> {
    port::call(Need::Read, |d, s| async move { d.contracts(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "contract_invoices")]
pub async fn contract_invoices(revenue_source_id: i64) -> Result<Vec<InvoiceRow>, AppError> {
    port::call(Need::Read, |d, s| async move {
        d.contract_invoices(&s, revenue_source_id).await
    })
    .await
}
