//! Server-only parts of Success: store, demo data, authentication, the service behind server
//! functions, web server.

pub mod accounts;
pub mod auth;
pub mod cache;
pub mod chat;
pub mod close_loop;
pub mod commands;
pub mod config;
pub mod connectors;
pub mod demo;
pub mod events;
pub mod fakes;
pub mod health;
pub mod integrations;
pub mod jobs;
pub mod likelihood;
pub mod live_bench;
pub mod llm;
pub mod net_guard;
pub mod rescore;
pub mod secrets;
pub mod service;
pub mod signals;
pub mod store;
pub mod web;

use store::{Store, StoreError};

/// Makes sure the Pied Piper preview workspace exists; returns whether it was created now.
pub async fn ensure_preview_workspace(store: &Store) -> Result<bool, StoreError> {
    if store.demo_workspace_id().await?.is_some() {
        return Ok(false);
    }
    let today = chrono::Utc::now().date_naive();
    let data = demo::generate(&demo::DemoSpec::preview(today));
    match store.load_dataset(&data, &|_| {}).await {
        Ok(ws) => {
            score_new_workspace(store, ws, today).await?;
            Ok(true)
        }
        // Another server process created it at the same moment.
        Err(_) if store.demo_workspace_id().await?.is_some() => Ok(false),
        Err(e) => Err(e),
    }
}

/// The id of the real workspace with this name, created (empty, default stages) when missing.
pub async fn store_workspace_named(store: &Store, name: &str) -> Result<i64, StoreError> {
    if let Some(id) = store.real_workspace_named(name).await? {
        return Ok(id);
    }
    let slug = format!("ws-{}", &auth::new_token()[..12]);
    let data = store::load::Dataset {
        workspace: store::load::NewWorkspace {
            name: name.to_string(),
            slug,
            is_demo: false,
            currency: "USD".into(),
        },
        stages: demo::default_stages(),
        ..Default::default()
    };
    store.load_dataset(&data, &|_| {}).await
}

/// Gives a freshly loaded workspace its scores and a 13-week trend.
pub async fn score_new_workspace(store: &Store, ws: i64, today: chrono::NaiveDate) -> Result<(), StoreError> {
    rescore::backfill_history(store, ws, today, 13).await?;
    rescore::rescore_workspace(store, ws, today, chrono::Utc::now()).await?;
    likelihood::refresh(store, ws, today, chrono::Utc::now()).await?;
    close_loop::refresh(store, ws).await?;
    close_loop::confirm_demo_matches(store, ws, chrono::Utc::now()).await?;
    Ok(())
}
