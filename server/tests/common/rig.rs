//! A workspace with the vendors' fakes serving on loopback, for the connector tests.

use super::TestDb;
use app::integrations::IntegrationSetup;
use app::model::IntegrationKind;
use server::auth::AuthConfig;
use server::fakes::salesbricks::SalesbricksData;
use server::fakes::stripe::StripeData;
use server::fakes::FakeState;
use server::service::Data;
use sqlx::Row;
use std::sync::Arc;

/// The key the rig seals credentials with, for a server process of its own to open them.
pub const RIG_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

pub struct Rig {
    pub data: Arc<Data>,
    pub ws: i64,
    pub fake: server::fakes::Shared,
    pub url: String,
    pub db: TestDb,
}

pub async fn rig(db: TestDb, stripe: StripeData, salesbricks: SalesbricksData) -> Rig {
    let fake = FakeState::new(stripe, salesbricks);
    let addr = server::fakes::serve(fake.clone(), "127.0.0.1:0").await.unwrap();
    let mut data = Data::new(db.store.clone(), AuthConfig::allowing_private_network());
    data.secrets = server::secrets::SecretBox::from_key([0x5a; 32]);
    let data = data.shared();
    let ws = db
        .store
        .load_dataset(&super::bare_workspace("Hooli", format!("hooli-{}", db.name)), &|_| {})
        .await
        .unwrap();
    db.store.set_rate(ws, "EUR", 1_080_000).await.unwrap();
    Rig {
        data,
        ws,
        fake,
        url: format!("http://{addr}"),
        db,
    }
}

impl Rig {
    pub async fn connect(&self, kind: IntegrationKind, credential: &str) -> Result<String, app::api::AppError> {
        self.connect_to(kind, credential, "").await
    }

    pub async fn connect_to(
        &self,
        kind: IntegrationKind,
        credential: &str,
        target: &str,
    ) -> Result<String, app::api::AppError> {
        self.data
            .connect_integration_in(
                self.ws,
                kind,
                IntegrationSetup {
                    credential: credential.into(),
                    base_url: self.url.clone(),
                    schedule_minutes: 15,
                    webhook_secret: if kind == IntegrationKind::Stripe {
                        "whsec_test".into()
                    } else {
                        String::new()
                    },
                    target: target.into(),
                },
            )
            .await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sql)
            .bind(self.ws)
            .fetch_one(self.db.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// The records a run skipped or repaired, with why.
    pub async fn run_records(&self, run_id: i64) -> Vec<(String, String)> {
        self.db.store.sync_run_errors(self.ws, run_id).await.unwrap().records
    }
}
