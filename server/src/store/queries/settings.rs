//! Settings: integrations, sync runs, rates and data counts.

use super::*;

impl Store {
    pub async fn settings(&self, ws: &WorkspaceInfo) -> Result<SettingsView> {
        let connected = self.integrations(ws.id).await?;
        let recent_runs = sqlx::query(
            "SELECT id, source, status, started_at, finished_at, fetched, written, skipped, repaired, error, step \
             FROM sync_runs WHERE workspace_id = $1 ORDER BY started_at DESC, id DESC LIMIT 30",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                SyncRunRow {
                    id: r.int("id")?,
                    source: r.text("source")?,
                    status: r.text("status")?,
                    started_at: r.text("started_at")?,
                    finished_at: r.opt_text("finished_at")?,
                    fetched: r.int("fetched")?,
                    written: r.int("written")?,
                    skipped: r.int("skipped")?,
                    repaired: r.int("repaired")?,
                    error: r.opt_text("error")?,
                },
                r.opt_text("step")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
        let api_tokens = self.api_tokens(ws.id).await?;
        let integrations = IntegrationKind::ALL
            .iter()
            .map(|kind| {
                let row = connected.iter().find(|c| c.source == kind.as_str());
                let config = |key: &str| {
                    row.and_then(|r| r.config.get(key))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                let last = recent_runs.iter().find(|(r, _)| r.source == kind.as_str());
                let running = last.filter(|(r, _)| r.status == "running").map(|(r, step)| {
                    let steps = kind.sync_steps();
                    let step = step.clone().unwrap_or_default();
                    app::live::SyncProgress {
                        source: r.source.clone(),
                        run_id: r.id,
                        step_no: steps.iter().position(|s| *s == step).map(|i| i as u32 + 1).unwrap_or(1),
                        steps: steps.len() as u32,
                        step,
                        fetched: r.fetched as u64,
                        written: r.written as u64,
                        skipped: r.skipped as u64,
                        finished: false,
                        error: None,
                    }
                });
                app::integrations::IntegrationView {
                    kind: *kind,
                    connected: row.is_some() || (*kind == IntegrationKind::Signals && !api_tokens.is_empty()),
                    credential_mask: config("credential_mask"),
                    base_url: config("base_url"),
                    target: config("target"),
                    schedule_minutes: row
                        .map(|r| r.schedule_minutes as u32)
                        .unwrap_or(app::integrations::SCHEDULE_DEFAULT),
                    connected_at: row.map(|r| r.connected_at.clone()),
                    last_test: row.and_then(|r| r.last_test.clone()),
                    has_webhook_secret: row
                        .and_then(|r| r.config.get("has_webhook_secret"))
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false),
                    webhook_path: matches!(kind, IntegrationKind::Stripe | IntegrationKind::Salesbricks)
                        .then(|| format!("/webhooks/{}/{}", kind.as_str(), ws.id)),
                    last_run: last.map(|(r, _)| r.clone()),
                    running,
                }
            })
            .collect();
        let recent_runs: Vec<SyncRunRow> = recent_runs.into_iter().map(|(r, _)| r).collect();
        let rates = self.rates(ws.id).await?;
        let c = sqlx::query(
            "SELECT \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE workspace_id = $1) AS accounts, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM revenue_sources WHERE workspace_id = $1) AS revenue_sources, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM invoices WHERE workspace_id = $1) AS invoices, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM usage_weeks WHERE workspace_id = $1) AS usage_weeks, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM signals WHERE workspace_id = $1) AS signals, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM deals WHERE workspace_id = $1) AS deals, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM trials WHERE workspace_id = $1) AS trials, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM feature_requests WHERE workspace_id = $1) AS feature_requests, \
              (SELECT CAST(COUNT(*) AS BIGINT) FROM releases WHERE workspace_id = $1) AS releases",
        )
        .bind(ws.id)
        .fetch_one(self.pool())
        .await?;
        let counts = DataCounts {
            accounts: count(c.int("accounts")?),
            revenue_sources: count(c.int("revenue_sources")?),
            invoices: count(c.int("invoices")?),
            usage_weeks: count(c.int("usage_weeks")?),
            signals: count(c.int("signals")?),
            deals: count(c.int("deals")?),
            trials: count(c.int("trials")?),
            feature_requests: count(c.int("feature_requests")?),
            releases: count(c.int("releases")?),
        };
        Ok(SettingsView {
            currency: rates.workspace_currency.clone(),
            rates: rates.per_currency.into_iter().collect(),
            integrations,
            recent_runs,
            counts,
            api_tokens,
        })
    }
}
