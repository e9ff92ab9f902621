//! Integrations as a service: connect (test first, then store the credentials sealed), test,
//! disconnect, and syncs — started from a page, by a webhook or by the schedule — which write
//! page by page, then settle revenue, rescore and tell open pages.

use crate::connectors::http::{VendorError, VendorHttp};
use crate::connectors::registry::{self, Connector, SyncInputs};
use crate::connectors::{attio, stripe, SyncError, SyncRun};
use crate::secrets::mask;
use crate::service::Data;
use app::api::AppError;
use app::integrations::IntegrationSetup;
use app::live::{LiveEvent, SyncProgress};
use app::model::IntegrationKind;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What is sealed in `integrations.secret_sealed`.
#[derive(Serialize, Deserialize)]
struct Sealed {
    credential: String,
    #[serde(default)]
    webhook_secret: String,
}

/// The opened credentials and settings of one connected integration.
pub struct Connection {
    pub kind: IntegrationKind,
    pub credential: String,
    pub webhook_secret: String,
    pub base_url: Option<String>,
    pub target: String,
}

/// How a finished sync went.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    pub run_id: i64,
    pub progress: SyncProgress,
    pub error: Option<String>,
}

/// The connector behind an integration that can be connected.
fn connector_of(kind: IntegrationKind) -> Result<&'static dyn Connector, AppError> {
    registry::connector(kind).ok_or_else(|| {
        AppError::Invalid(format!(
            "{} is not pulled by a connector: other tools send to it.",
            kind.label()
        ))
    })
}

fn invalid(e: AppError) -> SyncError {
    SyncError::Store(crate::store::StoreError::Invalid(e.to_string()))
}

fn context(ws: i64, kind: IntegrationKind) -> String {
    format!("{ws}/{}", kind.as_str())
}

impl Data {
    fn client_for(&self, c: &Connection) -> Result<VendorHttp, AppError> {
        Ok(connector_of(c.kind)?.client(self.http.clone(), c.base_url.as_deref(), &c.credential))
    }

    /// What the vendor says to the connection: its answer, or its refusal as it came.
    async fn vendor_test(&self, c: &Connection) -> Result<Result<String, VendorError>, AppError> {
        let http = self.client_for(c)?;
        connector_of(c.kind)?
            .test(&http, &c.target)
            .await
            .map_err(AppError::Invalid)
    }

    /// The stored connection, opened.
    pub async fn connection(&self, ws: i64, kind: IntegrationKind) -> Result<Connection, AppError> {
        let row = self
            .store
            .integration(ws, kind.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("A {} connection", kind.label())))?;
        let sealed = row
            .sealed
            .ok_or_else(|| AppError::Internal("the integration has no stored credential".into()))?;
        let opened = self
            .secrets
            .open(&sealed, &context(ws, kind))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let sealed: Sealed =
            serde_json::from_str(&opened).map_err(|_| AppError::Internal("stored credential is malformed".into()))?;
        Ok(Connection {
            kind,
            credential: sealed.credential,
            webhook_secret: sealed.webhook_secret,
            base_url: row.config.get("base_url").and_then(|v| v.as_str()).map(str::to_string),
            target: row
                .config
                .get("target")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
        })
    }

    pub async fn connect_integration_in(
        &self,
        ws: i64,
        kind: IntegrationKind,
        setup: IntegrationSetup,
    ) -> Result<String, AppError> {
        setup.check(kind)?;
        let base_url = Some(setup.base_url.trim().trim_end_matches('/').to_string()).filter(|b| !b.is_empty());
        self.check_destinations(kind, base_url.as_deref(), &setup.target)?;
        let connection = Connection {
            kind,
            credential: setup.credential.trim().to_string(),
            webhook_secret: setup.webhook_secret.trim().to_string(),
            base_url: base_url.clone(),
            target: setup.target.trim().to_string(),
        };
        // Nothing is stored until the vendor accepts the credentials.
        let said = match self.vendor_test(&connection).await? {
            Ok(said) => said,
            Err(refusal) => {
                // What to read was wrong, unless the vendor refused the key itself.
                let about_target = kind.target_help().is_some() && !matches!(refusal, VendorError::Auth { .. });
                let mut errors = app::access::FieldErrors::default();
                errors.add(if about_target { "target" } else { "credential" }, refusal.to_string());
                return Err(AppError::Fields(errors));
            }
        };
        let sealed = serde_json::to_string(&Sealed {
            credential: connection.credential.clone(),
            webhook_secret: connection.webhook_secret.clone(),
        })
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let config = serde_json::json!({
            "base_url": base_url,
            "credential_mask": if connection.credential.is_empty() { String::new() } else { mask(&connection.credential) },
            "target": Some(&connection.target).filter(|t| !t.is_empty()),
            "has_webhook_secret": !connection.webhook_secret.is_empty(),
        });
        self.store
            .save_integration(
                ws,
                kind.as_str(),
                &config,
                Some(self.secrets.seal(&sealed, &context(ws, kind))),
                setup.schedule_minutes as i64,
                self.clock.now(),
            )
            .await?;
        self.store
            .set_integration_test(ws, kind.as_str(), &format!("OK: {said}"))
            .await?;
        self.changed_quietly(ws);
        Ok(said)
    }

    /// Refuses a base URL or feed that points into a private network before anything is fetched.
    fn check_destinations(&self, kind: IntegrationKind, base_url: Option<&str>, target: &str) -> Result<(), AppError> {
        let allow = self.auth.allow_private_network;
        let mut errors = app::access::FieldErrors::default();
        if let Some(Err(why)) = base_url.map(|b| crate::net_guard::check_url(b, allow)) {
            errors.add("base_url", why);
        }
        if kind == IntegrationKind::Feeds {
            for url in app::integrations::feed_urls(target).unwrap_or_default() {
                if let Err(why) = crate::net_guard::check_url(&url, allow) {
                    errors.add("target", why);
                    break;
                }
            }
        }
        errors.into_result(())?;
        Ok(())
    }

    pub async fn test_integration_in(&self, ws: i64, kind: IntegrationKind) -> Result<String, AppError> {
        let connection = self.connection(ws, kind).await?;
        let outcome = self
            .vendor_test(&connection)
            .await?
            .map_err(|e| AppError::Invalid(e.to_string()));
        let line = match &outcome {
            Ok(said) => format!("OK: {said}"),
            Err(e) => format!("Failed: {e}"),
        };
        self.store.set_integration_test(ws, kind.as_str(), &line).await?;
        self.changed_quietly(ws);
        outcome
    }

    pub async fn disconnect_integration_in(&self, ws: i64, kind: IntegrationKind) -> Result<(), AppError> {
        if !self.store.delete_integration(ws, kind.as_str()).await? {
            return Err(AppError::NotFound(format!("A {} connection", kind.label())));
        }
        self.changed_quietly(ws);
        Ok(())
    }

    /// Settings reads are cached; drop them without telling the other pages.
    fn changed_quietly(&self, ws: i64) {
        self.cache.invalidate(ws);
    }

    /// Starts a sync in the background and returns its run id at once.
    pub async fn start_sync(&self, ws: i64, kind: IntegrationKind) -> Result<i64, AppError> {
        let me = self
            .arc()
            .ok_or_else(|| AppError::Internal("the service was not shared".into()))?;
        let connection = self.connection(ws, kind).await?;
        let run_id = self.store.start_sync_run(ws, kind.as_str(), self.clock.now()).await?;
        tokio::spawn(async move {
            me.run_sync(ws, connection, run_id).await;
        });
        Ok(run_id)
    }

    /// Starts a scheduled sync in the background unless another replica already started this turn
    /// of the schedule (or a run is going); true when this call started it.
    pub async fn start_scheduled_sync(
        &self,
        ws: i64,
        kind: IntegrationKind,
        turn_began: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, AppError> {
        let me = self
            .arc()
            .ok_or_else(|| AppError::Internal("the service was not shared".into()))?;
        let connection = self.connection(ws, kind).await?;
        let Some(run_id) = self
            .store
            .start_scheduled_sync_run(ws, kind.as_str(), turn_began, self.clock.now())
            .await?
        else {
            return Ok(false);
        };
        tokio::spawn(async move {
            me.run_sync(ws, connection, run_id).await;
        });
        Ok(true)
    }

    /// Sends a deal's move to Attio and records how it went; open pages hear of it either way.
    pub async fn write_back(&self, ws: i64, deal: app::model::DealRow) {
        let outcome: Result<String, String> = async {
            let connection = self
                .connection(ws, IntegrationKind::Attio)
                .await
                .map_err(|_| "Attio is not connected, so this move stays in Success only.".to_string())?;
            let http = self.client_for(&connection).map_err(|e| e.to_string())?;
            let (record, titles) = self
                .store
                .crm_deal_target(ws, deal.id)
                .await
                .map_err(|e| e.to_string())?;
            let stages = self.store.pipeline_stages(ws).await.map_err(|e| e.to_string())?;
            let stage = stages
                .iter()
                .find(|s| s.0 == deal.stage)
                .ok_or_else(|| "The stage was removed.".to_string())?;
            attio::write_stage(&http, &record, stage, &stages, &titles)
                .await
                .map_err(|e| format!("Attio did not take the move: {e}"))
        }
        .await;
        let recorded = match &outcome {
            Ok(title) => self.store.record_writeback(ws, deal.id, deal.version, Ok(title)).await,
            Err(why) => self.store.record_writeback(ws, deal.id, deal.version, Err(why)).await,
        };
        if let Err(e) = recorded {
            tracing::warn!(workspace = ws, deal = deal.id, error = %e, "cannot record the Attio write-back");
        }
        if let Err(why) = &outcome {
            tracing::warn!(workspace = ws, deal = deal.id, error = %why, "Attio write-back failed");
        }
        self.changed(
            ws,
            LiveEvent::DealChanged {
                deal_id: deal.id,
                account_id: deal.account_id,
            },
        );
    }

    /// Runs a sync to the end (the schedule, the CLI and tests).
    pub async fn sync_now(&self, ws: i64, kind: IntegrationKind) -> Result<SyncOutcome, AppError> {
        let connection = self.connection(ws, kind).await?;
        let run_id = self.store.start_sync_run(ws, kind.as_str(), self.clock.now()).await?;
        Ok(self.run_sync(ws, connection, run_id).await)
    }

    async fn run_sync(&self, ws: i64, connection: Connection, run_id: i64) -> SyncOutcome {
        let kind = connection.kind;
        let events = self.events.clone();
        let report = move |p: &SyncProgress| events.publish(ws, LiveEvent::Sync(p.clone()));
        let clock = self.clock.clone();
        let now = move || clock.now();
        let mut run = SyncRun::new(
            &self.store,
            ws,
            connector_of(kind).map(|c| c.source()).unwrap_or(kind.as_str()),
            run_id,
            kind.sync_steps().to_vec(),
            &now,
            &report,
        );
        let result: Result<(), SyncError> = async {
            let connector = connector_of(kind).map_err(invalid)?;
            let inputs = SyncInputs {
                rates: self.store.rates(ws).await?,
                stages: self.store.pipeline_stages(ws).await?,
                target: connection.target.clone(),
            };
            let http = self.client_for(&connection).map_err(invalid)?;
            connector.sync(&http, &mut run, &inputs).await
        }
        .await;
        let error = result.err().map(|e| e.to_string());
        tracing::debug!(source = run.source, writing = ?run.writing, "sync fetched and wrote");
        if error.is_none() {
            if let Err(e) = self.store.clear_sync_cursors(ws, run.source).await {
                tracing::error!(error = %e, "could not reset the sync cursors");
            }
        }
        if let Some(e) = &error {
            tracing::warn!(workspace = ws, source = kind.as_str(), error = %e, "sync failed");
        }
        if let Err(e) = self
            .store
            .finish_sync_run(run_id, error.as_deref(), self.clock.now())
            .await
        {
            tracing::error!(error = %e, "could not record the end of a sync run");
        }
        crate::jobs::crash_point("sync:recorded");
        let mut progress = run.progress.clone();
        progress.finished = true;
        progress.error = error.clone();
        // The run's record carries its follow-up: revenue rolled up, then scores; pages hear the
        // run finished once what it brought shows.
        if let Err(e) = self.settle(ws).await {
            tracing::error!(error = %e, "the follow-up of a sync failed; it will be retried");
        }
        self.events.publish(ws, LiveEvent::Sync(progress.clone()));
        SyncOutcome {
            run_id,
            progress,
            error,
        }
    }
}

/// Syncs every connected integration whose schedule is due; a minute's tick.
pub async fn sync_on_schedule(data: Arc<Data>) {
    // One process on SQLite: whatever is `running` at start was cut short by the last stop. With
    // replicas on Postgres a run may be alive elsewhere: only runs silent for 10 minutes are dead.
    let single = data.store.backend() == crate::store::Backend::Sqlite;
    let mut first = true;
    loop {
        let now = data.clock.now();
        if first || !single {
            let silent_since = (!single).then(|| now - chrono::Duration::minutes(10));
            if let Ok(n) = data.store.fail_interrupted_runs(silent_since, now).await {
                if n > 0 {
                    tracing::info!(
                        runs = n,
                        "marked syncs interrupted by a stopped server; they resume from their cursors"
                    );
                }
            }
        }
        first = false;
        if let Err(e) = sync_due(&data).await {
            tracing::warn!(error = %e, "checking scheduled syncs failed");
        }
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}

/// Starts each integration whose schedule is due — once across replicas: the start re-checks,
/// under the workspace's lock, that no run began in this turn of the schedule.
pub async fn sync_due(data: &Arc<Data>) -> Result<u32, AppError> {
    let now = data.clock.now();
    let mut started = 0;
    for (ws, source, minutes, last_started) in data.store.scheduled_integrations().await? {
        let Some(kind) = IntegrationKind::parse(&source).filter(|k| k.available()) else {
            continue;
        };
        let turn_began = now - chrono::Duration::minutes(minutes);
        let due = match last_started.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok()) {
            Some(t) => t <= turn_began,
            None => true,
        };
        if due {
            match data.start_scheduled_sync(ws, kind, turn_began).await {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(workspace = ws, source, error = %e, "scheduled sync did not start"),
            }
        }
    }
    Ok(started)
}

/// A webhook's answer: status and a short text for the vendor's delivery log.
pub type WebhookReply = (axum::http::StatusCode, String);

/// A signature check on the blocking pool, so hashing a large body never holds up the threads
/// that answer every other request.
async fn off_the_runtime<F>(check: F) -> Result<(), String>
where
    F: FnOnce() -> Result<(), crate::connectors::webhooks::SignatureError> + Send + 'static,
{
    match tokio::task::spawn_blocking(check).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("the signature could not be checked".into()),
    }
}

impl Data {
    /// `POST /webhooks/stripe/{workspace}`: verified, deduplicated, answered at once; the object
    /// it carries is then written and the workspace rescored.
    pub async fn stripe_webhook(&self, ws: i64, signature: Option<&str>, body: &[u8]) -> WebhookReply {
        use axum::http::StatusCode as S;
        let Ok(connection) = self.connection(ws, IntegrationKind::Stripe).await else {
            return (S::NOT_FOUND, "Stripe is not connected in this workspace".into());
        };
        if connection.webhook_secret.is_empty() {
            return (
                S::BAD_REQUEST,
                "no webhook signing secret is configured for Stripe".into(),
            );
        }
        let now = self.clock.now();
        let (header, secret) = (signature.unwrap_or("").to_string(), connection.webhook_secret.clone());
        let owned = body.to_vec();
        let checked = off_the_runtime(move || {
            crate::connectors::webhooks::verify_stripe(&header, &owned, &secret, now.timestamp())
        })
        .await;
        if let Err(e) = checked {
            return (S::BAD_REQUEST, e);
        }
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(body) else {
            return (S::BAD_REQUEST, "the body is not JSON".into());
        };
        let (Some(id), Some(object)) = (event.get("id").and_then(|v| v.as_str()), event.pointer("/data/object")) else {
            return (S::BAD_REQUEST, "the event has no id or data.object".into());
        };
        match self.store.first_delivery(ws, "stripe", id, now).await {
            Ok(true) => {}
            Ok(false) => return (S::OK, "already received".into()),
            Err(e) => {
                tracing::error!(error = %e, "recording a webhook event failed");
                return (S::INTERNAL_SERVER_ERROR, "try again".into());
            }
        }
        let object = object.clone();
        if let Some(me) = self.arc() {
            tokio::spawn(async move { me.apply_stripe_object(ws, &object).await });
        }
        (S::OK, "received".into())
    }

    async fn apply_stripe_object(&self, ws: i64, object: &serde_json::Value) {
        use crate::store::sync::Records;
        let rates = match self.store.rates(ws).await {
            Ok(r) => r,
            Err(e) => return tracing::error!(error = %e, "webhook: reading rates failed"),
        };
        let records = match object.get("object").and_then(|v| v.as_str()) {
            Some("customer") => stripe::customer(object).map(|c| Records::Companies(vec![c])),
            // An event carries discounts, their coupons and products as ids: a sync reads them,
            // where this would count full price or name a plan by a product id.
            Some("subscription") if stripe::needs_lookups(object) => {
                if let Err(e) = self.start_sync(ws, IntegrationKind::Stripe).await {
                    tracing::info!(error = %e, "webhook: the subscription waits for the next sync");
                }
                return;
            }
            Some("subscription") => {
                let pricing = stripe::Pricing {
                    now: self.clock.now().timestamp(),
                    ..Default::default()
                };
                stripe::subscription(object, &rates, &pricing).map(|r| Records::Revenue(vec![r]))
            }
            Some("invoice") => stripe::invoice(object).map(|i| Records::Invoices(vec![i])),
            _ => return, // events about other objects change nothing Success shows
        };
        let records = match records {
            Ok(r) => r,
            Err(why) => return tracing::warn!(why, "webhook: a Stripe object was skipped"),
        };
        match self.store.write_records(ws, &records, self.clock.now()).await {
            Ok((_, skipped)) if !skipped.is_empty() => {
                tracing::info!(?skipped, "webhook: the next sync brings what this event refers to")
            }
            Ok(_) => {}
            Err(e) => return tracing::error!(error = %e, "webhook: writing failed"),
        }
        if let Err(e) = self.settle(ws).await {
            tracing::error!(error = %e, "webhook: the follow-up failed; it will be retried");
        }
    }

    /// `POST /webhooks/salesbricks/{workspace}`: verified with the API token (HMAC-SHA512),
    /// deduplicated by the body's digest, answered at once; then Salesbricks is synced.
    pub async fn salesbricks_webhook(&self, ws: i64, signature: Option<&str>, body: &[u8]) -> WebhookReply {
        use axum::http::StatusCode as S;
        use sha2::Digest;
        let Ok(connection) = self.connection(ws, IntegrationKind::Salesbricks).await else {
            return (S::NOT_FOUND, "Salesbricks is not connected in this workspace".into());
        };
        let (header, token, owned) = (
            signature.unwrap_or("").to_string(),
            connection.credential.clone(),
            body.to_vec(),
        );
        let checked =
            off_the_runtime(move || crate::connectors::webhooks::verify_salesbricks(&header, &owned, &token)).await;
        if let Err(e) = checked {
            return (S::BAD_REQUEST, e);
        }
        if serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("order").cloned())
            .is_none()
        {
            return (S::BAD_REQUEST, "the body has no order".into());
        }
        let digest = hex::encode(sha2::Sha256::digest(body));
        match self
            .store
            .first_delivery(ws, "salesbricks", &digest, self.clock.now())
            .await
        {
            Ok(true) => {}
            Ok(false) => return (S::OK, "already received".into()),
            Err(_) => return (S::INTERNAL_SERVER_ERROR, "try again".into()),
        }
        match self.start_sync(ws, IntegrationKind::Salesbricks).await {
            Ok(_) | Err(AppError::Conflict(_)) => (S::OK, "received".into()),
            Err(e) => {
                tracing::warn!(error = %e, "webhook: Salesbricks sync did not start");
                (S::OK, "received".into())
            }
        }
    }
}
