//! Signals in, as a service: the `POST /api/v1/signals` endpoint (a workspace API token, a JSON
//! batch checked item by item, idempotent on the caller's external id), the CSV preview and
//! import of Settings → Signals & matching, and the API tokens themselves.

use crate::auth::{new_token, token_digest};
use crate::service::Data;
use crate::store::signals::ApiTokenRow;
use app::api::AppError;
use app::signals::{ImportPreview, IngestReport, PreviewRow, SignalInput, ValidSignal, BATCH_MAX};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Tokens start with this, so secret scanners and people can tell what they are.
pub const TOKEN_PREFIX: &str = "sst_";

impl Data {
    /// Checks, resolves and stores a batch: every valid item is stored (in one transaction), every
    /// other one is reported with its problems. The workspace is rescored in the background.
    pub async fn ingest_signals(&self, ws: i64, items: Vec<(usize, SignalInput)>) -> Result<IngestReport, AppError> {
        let mut report = IngestReport::default();
        let mut valid: Vec<(usize, ValidSignal)> = Vec::new();
        for (at, item) in items {
            match item.check() {
                Ok(v) => valid.push((at, v)),
                Err(problems) => report
                    .rejected
                    .push((at, item.external_id.trim().to_string(), problems)),
            }
        }
        let refs: Vec<_> = valid.iter().map(|(_, v)| &v.account).collect();
        let accounts = self.store.resolve_accounts(ws, &refs).await?;
        let mut rows: Vec<(i64, &ValidSignal)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (at, v) in &valid {
            if !seen.insert(v.external_id.as_str()) {
                report.rejected.push((
                    *at,
                    v.external_id.clone(),
                    vec!["the same external_id appears earlier in this batch.".into()],
                ));
                continue;
            }
            match &accounts[&v.account] {
                Ok((id, _)) => rows.push((*id, v)),
                Err(why) => report.rejected.push((*at, v.external_id.clone(), vec![why.clone()])),
            }
        }
        report.rejected.sort_by_key(|(at, _, _)| *at);
        if !rows.is_empty() {
            let (created, updated) = self.store.upsert_signals(ws, &rows).await?;
            report.created = created;
            report.updated = updated;
            self.settle_soon(ws);
        }
        Ok(report)
    }

    /// `POST /api/v1/signals` with `Authorization: Bearer sst_…`: `{"signals": [...]}` or a bare
    /// array. 200 when everything was stored, 207 when some items were not, 422 when none was.
    pub async fn signals_endpoint(&self, authorization: Option<&str>, body: &[u8]) -> (StatusCode, Value) {
        let token = authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.starts_with(TOKEN_PREFIX));
        let Some(token) = token else {
            return (
                StatusCode::UNAUTHORIZED,
                json!({"error": "Send a workspace API token as `Authorization: Bearer sst_…` (Settings → Integrations → Signals endpoint)."}),
            );
        };
        let ws = match self
            .store
            .api_token_workspace(&token_digest(token), self.clock.now())
            .await
        {
            Ok(Some(ws)) => ws,
            Ok(None) => {
                return (
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "This API token is unknown or was revoked."}),
                )
            }
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, json!({"error": e.to_string()})),
        };
        let parsed: Result<Value, _> = serde_json::from_slice(body);
        let items = match parsed {
            Ok(Value::Array(items)) => items,
            Ok(Value::Object(mut o)) => match o.remove("signals") {
                Some(Value::Array(items)) => items,
                _ => {
                    return (
                        StatusCode::BAD_REQUEST,
                        json!({"error": "The body needs a `signals` array."}),
                    )
                }
            },
            Ok(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"error": "The body needs a `signals` array."}),
                )
            }
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"error": format!("The body is not JSON: {e}")}),
                )
            }
        };
        if items.is_empty() || items.len() > BATCH_MAX {
            return (
                StatusCode::BAD_REQUEST,
                json!({"error": format!("Send 1 to {BATCH_MAX} signals per request (got {}).", items.len())}),
            );
        }
        let mut inputs = Vec::with_capacity(items.len());
        let mut shape_errors = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let id = item
                .get("external_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            match serde_json::from_value::<SignalInput>(item) {
                Ok(input) => inputs.push((i, input)),
                Err(e) => shape_errors.push((i, id, vec![format!("the item has a field of the wrong type: {e}")])),
            }
        }
        let mut report = match self.ingest_signals(ws, inputs).await {
            Ok(r) => r,
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, json!({"error": e.to_string()})),
        };
        report.rejected.extend(shape_errors);
        report.rejected.sort_by_key(|(at, _, _)| *at);
        let stored = report.created + report.updated;
        let status = match (stored, report.rejected.len()) {
            (_, 0) => StatusCode::OK,
            (0, _) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::MULTI_STATUS,
        };
        let rejected: Vec<Value> = report
            .rejected
            .iter()
            .map(|(index, id, problems)| json!({"index": index, "external_id": id, "errors": problems}))
            .collect();
        (
            status,
            json!({"created": report.created, "updated": report.updated, "rejected": rejected}),
        )
    }

    /// What importing this CSV would do; nothing is written.
    pub async fn preview_signals_csv_in(&self, ws: i64, csv: &str) -> Result<ImportPreview, AppError> {
        let rows = app::signals::read_csv(csv).map_err(AppError::Invalid)?;
        type Checked<'a> = (usize, &'a SignalInput, Result<ValidSignal, Vec<String>>);
        let checked: Vec<Checked> = rows.iter().map(|(line, input)| (*line, input, input.check())).collect();
        let refs: Vec<_> = checked
            .iter()
            .filter_map(|(_, _, c)| c.as_ref().ok().map(|v| &v.account))
            .collect();
        let accounts = self.store.resolve_accounts(ws, &refs).await?;
        let ids: Vec<&str> = checked
            .iter()
            .filter_map(|(_, _, c)| c.as_ref().ok().map(|v| v.external_id.as_str()))
            .collect();
        let known = self.store.known_signal_ids(ws, &ids).await?;
        let mut preview = ImportPreview::default();
        let mut seen = std::collections::HashSet::new();
        for (line, input, check) in checked {
            let (account, mut problems) = match &check {
                Ok(v) => match &accounts[&v.account] {
                    Ok((_, name)) => (Ok(name.clone()), Vec::new()),
                    Err(why) => (Err(why.clone()), vec![why.clone()]),
                },
                Err(p) => (Err("—".to_string()), p.clone()),
            };
            let id = input.external_id.trim().to_string();
            if !id.is_empty() && !seen.insert(id.clone()) {
                problems.push("the same external_id appears on an earlier line.".into());
            }
            if problems.is_empty() {
                preview.valid += 1;
                if known.contains(&id) {
                    preview.updates += 1;
                }
            } else {
                preview.invalid += 1;
            }
            preview.rows.push(PreviewRow {
                line,
                external_id: id,
                account,
                topic: input.topic.trim().to_string(),
                sentiment: check.as_ref().ok().map(|v| v.sentiment),
                problems,
            });
        }
        Ok(preview)
    }

    /// Imports the CSV's valid rows; the bad ones are reported by line and left out.
    pub async fn import_signals_csv_in(&self, ws: i64, csv: &str) -> Result<IngestReport, AppError> {
        let rows = app::signals::read_csv(csv).map_err(AppError::Invalid)?;
        if rows.is_empty() {
            return Err(AppError::Invalid("The file has a header but no rows.".into()));
        }
        self.ingest_signals(ws, rows).await
    }

    /// A new API token; the only time it is shown.
    pub async fn create_api_token_in(&self, ws: i64, name: &str, user: Option<i64>) -> Result<String, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            let mut errors = app::access::FieldErrors::default();
            errors.add(
                "name",
                "Name the token (up to 60 characters), e.g. after the tool that sends signals.",
            );
            return Err(AppError::Fields(errors));
        }
        let token = format!("{TOKEN_PREFIX}{}", new_token());
        let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
        self.store
            .create_api_token(ws, name, &token_digest(&token), &prefix, user, self.clock.now())
            .await?;
        self.cache.invalidate(ws);
        Ok(token)
    }

    pub async fn api_tokens_in(&self, ws: i64) -> Result<Vec<ApiTokenRow>, AppError> {
        Ok(self.store.api_tokens(ws).await?)
    }

    pub async fn revoke_api_token_in(&self, ws: i64, id: i64) -> Result<(), AppError> {
        self.store.revoke_api_token(ws, id, self.clock.now()).await?;
        self.cache.invalidate(ws);
        Ok(())
    }
}
