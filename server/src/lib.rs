//! Server-only parts of Success: store, demo data, web server.

pub mod demo;
pub mod store;
pub mod web;

use store::{Store, StoreError};

/// Makes sure the Pied Piper preview workspace exists; returns whether it was created now.
pub async fn ensure_preview_workspace(store: &Store) -> Result<bool, StoreError> {
    if store.demo_workspace_id().await?.is_some() {
        return Ok(false);
    }
    let data = demo::generate(&demo::DemoSpec::preview(chrono::Utc::now().date_naive()));
    match store.load_dataset(&data, &|_| {}).await {
        Ok(_) => Ok(true),
        // Another server process created it at the same moment.
        Err(_) if store.demo_workspace_id().await?.is_some() => Ok(false),
        Err(e) => Err(e),
    }
}
