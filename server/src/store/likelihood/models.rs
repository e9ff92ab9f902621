//! The likelihood models: their decided cases (examples) and the trained models themselves.

use super::{features_json, parse_day, parse_features, Example};
use crate::store::load::upsert_rows;
use crate::store::sql::{day, RowExt, Val};
use crate::store::{Result, Store, StoreError};
use app::likelihood::{Model, ModelKind};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

impl Store {
    /// The examples a model already has: subject → whether it was positive.
    pub async fn example_outcomes(&self, ws: i64, kind: ModelKind) -> Result<HashMap<String, bool>> {
        Ok(self
            .json_rows::<(String, i64)>(
                "SELECT subject, positive FROM model_examples WHERE workspace_id = $1 AND kind = $2",
                &["subject", "positive"],
                vec![Val::Int(ws), Val::Text(kind.as_str().into())],
            )
            .await?
            .into_iter()
            .map(|(s, p)| (s, p != 0))
            .collect())
    }

    /// Records decided cases. A case already recorded keeps its snapshot, unless it is recorded
    /// again as positive: a loss that stayed lost for a year and is then won back counts as won.
    pub async fn record_examples(&self, ws: i64, kind: ModelKind, examples: &[Example]) -> Result<()> {
        if examples.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        upsert_rows(
            self.backend(),
            &mut tx,
            "model_examples",
            &["workspace_id", "kind", "subject", "features", "positive", "decided_on"],
            " ON CONFLICT (workspace_id, kind, subject) DO UPDATE SET features = excluded.features, \
             positive = excluded.positive, decided_on = excluded.decided_on WHERE excluded.positive = 1",
            examples,
            |_, e, v| {
                v.extend([
                    Val::Int(ws),
                    Val::Text(kind.as_str().into()),
                    Val::Text(e.subject.clone()),
                    Val::Text(features_json(&e.features)),
                    Val::Int(e.positive as i64),
                    Val::Text(day(e.decided_on)),
                ])
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn examples(&self, ws: i64, kind: ModelKind) -> Result<Vec<Example>> {
        self.json_rows::<(String, String, i64, String)>(
            "SELECT subject, features, positive, decided_on FROM model_examples WHERE workspace_id = $1 AND kind = $2 \
             ORDER BY id",
            &["subject", "features", "positive", "decided_on"],
            vec![Val::Int(ws), Val::Text(kind.as_str().into())],
        )
        .await?
        .into_iter()
        .map(|(subject, features, positive, decided)| {
            Ok(Example {
                subject,
                features: parse_features(Some(features))?.unwrap_or_default(),
                positive: positive != 0,
                decided_on: parse_day(&decided)?,
            })
        })
        .collect()
    }

    pub async fn save_model(&self, ws: i64, model: &Model, now: DateTime<Utc>) -> Result<()> {
        let json = serde_json::to_string(model).map_err(|e| StoreError::Corrupt(format!("model: {e}")))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO likelihood_models (workspace_id, kind, model, trained_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, kind) DO UPDATE SET model = excluded.model, trained_at = excluded.trained_at",
        )
        .bind(ws)
        .bind(model.kind.as_str())
        .bind(json)
        .bind(now.to_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The workspace's model of this kind; the prior one until it has been trained.
    pub async fn model(&self, ws: i64, kind: ModelKind) -> Result<Model> {
        let row = sqlx::query("SELECT model FROM likelihood_models WHERE workspace_id = $1 AND kind = $2")
            .bind(ws)
            .bind(kind.as_str())
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => serde_json::from_str(&r.text("model")?).map_err(|e| StoreError::Corrupt(format!("model: {e}"))),
            None => Ok(Model::prior(kind)),
        }
    }
}
