//! Convert: trials and expansion candidates.

#[cfg(feature = "ssr")]
use super::port;
use super::AppError;
#[cfg(feature = "ssr")]
use super::Scope;
#[cfg(feature = "ssr")]
use crate::access::Need;
use crate::model::{ConvertView, ListQuery};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait ConvertPort: Send + Sync {
    async fn convert_queue(&self, scope: &Scope, query: ListQuery) -> Result<ConvertView, AppError>;
}

#[server(prefix = "/api/fn", endpoint = "convert_queue")]
pub async fn convert_queue(query: ListQuery) -> Result<ConvertView, AppError> {
    port::call(Need::Read, |d, s| async move { d.convert_queue(&s, query).await }).await
}
