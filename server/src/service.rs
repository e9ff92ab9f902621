//! The server's answers to server functions: it finds the caller, checks what each call needs
//! beyond the role (ownership of ids, validation), and reads or writes the store.

use crate::auth::{self, AuthConfig};
use crate::store::{Store, StoreError};
use app::access::*;
use app::api::port::{SignedIn, SuccessData};
use app::api::{AppError, Caller};
use app::live::LiveEvent;
use app::model::*;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

// The answers to each room's server functions (`impl <Room>Port for Data`); the helpers they
// share stay here (private items of this module are visible to its submodules).
mod access;
mod close_loop;
mod contracts;
mod convert;
mod customer;
mod health;
mod pipeline;
mod reengage;
mod settings;
mod tv;

/// Invitation links stay valid this long.
const INVITATION_DAYS: i64 = 7;

/// The server's clock; tests move it forward to expire sessions and links.
#[derive(Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }
    pub fn advance(&self, by: Duration) {
        self.offset_seconds.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

pub struct Data {
    pub store: Store,
    pub auth: Arc<AuthConfig>,
    pub clock: Clock,
    pub events: crate::events::Events,
    /// The language model behind the account chat, when configured; else the built-in answerer.
    pub llm: Option<crate::llm::LlmConfig>,
    /// For what members configure (connectors, feeds): public addresses only, unless allowed.
    pub http: reqwest::Client,
    pub operator_http: reqwest::Client,
    pub cache: crate::cache::ReadCache,
    /// Seals integration credentials at rest.
    pub secrets: crate::secrets::SecretBox,
    /// Names this process among replicas (host and process id), in job claims and logs.
    pub replica: String,
    /// This service itself, for work that outlives a request (a sync started from a page).
    me: std::sync::OnceLock<std::sync::Weak<Data>>,
    /// Wakes the job worker when a follow-up is queued for it.
    pub jobs_wake: tokio::sync::Notify,
    /// Told whenever a job finishes here, for callers waiting on their workspace's follow-up.
    pub(crate) jobs_done: tokio::sync::Notify,
    /// Workspaces with a background follow-up about to start.
    pub(crate) settling_soon: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Wakes the outbox sender when an email is queued.
    pub outbox_wake: tokio::sync::Notify,
    /// The embeddings endpoint Close the Loop blends in, when configured.
    pub embeddings: Option<crate::close_loop::embeddings::EmbeddingsConfig>,
}

/// What the account chat may use to answer one question.
pub struct ChatContext {
    pub account_name: String,
    pub facts: Vec<app::chat::Fact>,
    pub question: String,
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => AppError::NotFound(what.to_string()),
            StoreError::Invalid(msg) => AppError::Invalid(msg),
            StoreError::Conflict(msg) => AppError::Conflict(msg),
            other => {
                tracing::error!(error = %other, "store error");
                AppError::Internal("the error was logged".into())
            }
        }
    }
}

fn field_error(field: &str, message: &str) -> AppError {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    AppError::Fields(errors)
}

const WRONG_CREDENTIALS: &str = "Wrong email or password.";

/// Where one account's wrong passwords are counted.
fn failure_key(email: &str) -> String {
    format!("sign_in:fail:{}", auth::token_digest(email))
}

impl Data {
    pub fn new(store: Store, auth: AuthConfig) -> Self {
        Data {
            http: crate::net_guard::client(auth.allow_private_network),
            store,
            auth: Arc::new(auth),
            clock: Clock::default(),
            events: Default::default(),
            llm: None,
            cache: Default::default(),
            secrets: crate::secrets::SecretBox::ephemeral(),
            replica: format!(
                "{}:{}",
                std::env::var("HOSTNAME")
                    .ok()
                    .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                    .map(|h| h.trim().to_string())
                    .unwrap_or_else(|| "host".into()),
                std::process::id()
            ),
            me: Default::default(),
            jobs_wake: Default::default(),
            jobs_done: Default::default(),
            settling_soon: Default::default(),
            outbox_wake: Default::default(),
            embeddings: None,
            // The operator's own endpoints (SUCCESS_LLM_URL, embeddings): trusted, may be local.
            operator_http: crate::net_guard::client(true),
        }
    }

    /// Shares the service; background work started by requests holds it through this.
    pub fn shared(self) -> Arc<Data> {
        let data = Arc::new(self);
        let _ = data.me.set(Arc::downgrade(&data));
        data
    }

    /// Starts logging live events (replayed to reconnecting browsers) and, on Postgres, hearing
    /// other replicas' events; their writes also drop this replica's cached reads.
    pub fn go_live(&self) {
        self.events.start(self.store.clone());
        let (mut rx, me) = (self.events.subscribe(), self.me.get().cloned().unwrap_or_default());
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(s) if s.event.touches_lists() => match me.upgrade() {
                        Some(data) => data.cache.invalidate(s.workspace_id),
                        None => return,
                    },
                    // Missed ones expire with the cache's time-to-live.
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// The shared service, when it was made with [`Data::shared`].
    pub fn arc(&self) -> Option<Arc<Data>> {
        self.me.get().and_then(std::sync::Weak::upgrade)
    }

    /// Counts an attempt against the per-client-address limit and, when given, the per-address
    /// limit (sign-up and reset mails; never sign-in, where it would lock the address's owner out).
    /// Keys hold a digest, never what the caller typed.
    pub(crate) async fn rate_limit(&self, parts: &Parts, action: &str, email: Option<&str>) -> Result<(), AppError> {
        let mut keys = vec![format!("{action}:ip:{}", self.auth.client_ip(parts))];
        if let Some(email) = email {
            keys.push(format!("{action}:email:{}", auth::token_digest(email)));
        }
        let most = self.store.count_sign_in_attempt(&keys, self.clock.now()).await?;
        if most > self.auth.sign_ins_per_minute {
            return Err(AppError::RateLimited(
                "Too many attempts in the last minute. Wait a minute, then try again.".into(),
            ));
        }
        Ok(())
    }

    /// Wrong passwords for one account in the last 15 minutes slow its sign-ins down (see
    /// `AuthConfig::failure_wait`); the right password still gets in after the wait.
    pub(crate) async fn wait_out_failures(&self, email: &str) -> Result<(), AppError> {
        let failures = self
            .store
            .recent_attempts(&failure_key(email), self.clock.now() - Duration::minutes(15))
            .await?;
        let wait = self.auth.failure_wait(failures);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    pub(crate) async fn record_failure(&self, email: &str) -> Result<(), AppError> {
        Ok(self.store.record_attempt(&failure_key(email), self.clock.now()).await?)
    }

    /// A new session for the person, replacing whatever session cookie the browser presented
    /// (so a session id planted before sign-in is never the one that gets signed in).
    pub(crate) async fn start_session(
        &self,
        parts: &Parts,
        user_id: i64,
        workspace_id: i64,
    ) -> Result<SignedIn, AppError> {
        if let Some(old) = self.auth.session_token(&parts.headers) {
            self.store.delete_session(&auth::token_digest(old)).await?;
        }
        let token = auth::new_token();
        let now = self.clock.now();
        self.store
            .create_session(
                &auth::token_digest(&token),
                user_id,
                workspace_id,
                now,
                now + self.auth.absolute,
            )
            .await?;
        Ok(SignedIn {
            set_cookies: vec![
                self.auth.session_cookie(&token, &parts.headers),
                self.auth.clear_demo_cookie(&parts.headers),
            ],
            next: None,
        })
    }

    pub(crate) async fn hash(&self, password: String) -> Result<String, AppError> {
        auth::hash_password(password).await.map_err(AppError::Internal)
    }

    /// Whether the gate lets a page request through, and where it sends it otherwise.
    pub async fn has_real_workspace(&self) -> Result<bool, AppError> {
        Ok(self.store.has_real_workspace().await?)
    }

    async fn workspace_info(&self, id: i64) -> Result<WorkspaceInfo, AppError> {
        Ok(self
            .cache
            .get_or_load(id, "workspace".into(), || self.store.workspace_info(id))
            .await?)
    }

    /// The Health summary, through the read cache (office screens and every Health page share it).
    async fn summary_of(&self, ws: &WorkspaceInfo) -> Result<HealthSummary, AppError> {
        let today = self.clock.today();
        Ok(self
            .cache
            .get_or_load(ws.id, format!("summary:{today}"), || {
                self.store.health_summary(ws, today)
            })
            .await?)
    }

    /// A page of the Health queue, through the read cache; the key spells out every field of the
    /// query (its Debug form).
    async fn queue_of(&self, ws: &WorkspaceInfo, q: ListQuery) -> Result<Page<AccountRow>, AppError> {
        let today = self.clock.today();
        let key = format!("queue:{today}:{q:?}");
        Ok(self
            .cache
            .get_or_load(ws.id, key, || self.store.health_queue(ws, &q, today))
            .await?)
    }

    /// Rescores the workspace now and tells its open pages; returns how many accounts changed.
    pub async fn rescore(&self, workspace_id: i64) -> Result<u64, AppError> {
        self.after_change(workspace_id, crate::jobs::Changes::SCORES).await
    }

    /// The embeddings endpoint for Close the Loop's matching, when one is configured.
    pub fn semantic(&self) -> Option<crate::close_loop::Semantic<'_>> {
        self.embeddings.as_ref().map(|e| (&self.operator_http, e))
    }

    /// Something in the workspace changed: cached reads are dropped and open pages told.
    pub fn changed(&self, workspace_id: i64, event: LiveEvent) {
        self.cache.invalidate(workspace_id);
        self.events.publish(workspace_id, event);
    }

    /// The Contracts CSV export for a caller who may read the workspace.
    pub async fn contracts_csv(&self, parts: &Parts, query: ListQuery) -> Result<String, AppError> {
        let scope = app::api::authorize(self.caller(parts).await?, Need::Read)?;
        let rows = self
            .store
            .contracts_export(&scope.workspace, &query, self.clock.today())
            .await?;
        Ok(app::model::contracts_csv(&rows))
    }

    /// The facts of one account the caller may read, for the chat; the question checked.
    pub async fn chat_context(&self, parts: &Parts, account_id: i64, question: &str) -> Result<ChatContext, AppError> {
        let scope = app::api::authorize(self.caller(parts).await?, Need::Read)?;
        let question = app::chat::check_question(question).map_err(AppError::Invalid)?;
        let today = self.clock.today();
        let detail = self.store.account_detail(&scope.workspace, account_id, today).await?;
        Ok(ChatContext {
            account_name: detail.account.name.clone(),
            facts: app::chat::facts(&detail, today),
            question,
        })
    }

    /// The workspace a display link opens, if the link is still valid.
    pub async fn display_workspace(&self, token: &str) -> Result<i64, AppError> {
        let refused = || {
            AppError::Forbidden(
                "This display link is not valid: it was revoked or has expired. Ask an admin for a new one.".into(),
            )
        };
        if !auth::plausible_token(token) {
            return Err(refused());
        }
        Ok(self
            .store
            .use_display_link(&auth::token_digest(token), self.clock.now())
            .await?
            .ok_or_else(refused)?
            .workspace_id)
    }

    /// Whose events `/api/events` may stream (a display link's workspace, or the workspace the
    /// caller may read, the demo preview included), and how to tell later that it may no longer.
    pub async fn events_access(
        &self,
        parts: &Parts,
        display: Option<&str>,
    ) -> Result<(i64, crate::events::AccessCheck), AppError> {
        let me = self
            .arc()
            .ok_or_else(|| AppError::Internal("the service was not shared".into()))?;
        if let Some(token) = display {
            let ws = self.display_workspace(token).await?;
            let token = token.to_string();
            let check: crate::events::AccessCheck = Arc::new(move || {
                let (me, token) = (me.clone(), token.clone());
                Box::pin(async move { me.display_workspace(&token).await.is_ok_and(|w| w == ws) })
            });
            return Ok((ws, check));
        }
        let caller = self.caller(parts).await?;
        let ws = app::api::authorize(caller, Need::Read)?.workspace.id;
        let headers = parts.headers.clone();
        let check: crate::events::AccessCheck = Arc::new(move || {
            let (me, headers) = (me.clone(), headers.clone());
            Box::pin(async move {
                let (mut parts, _) = axum::http::Request::new(()).into_parts();
                parts.headers = headers;
                match me.caller(&parts).await {
                    Ok(c) => app::api::authorize(c, Need::Read).is_ok_and(|s| s.workspace.id == ws),
                    Err(_) => true, // a passing store error is not a sign-out
                }
            })
        });
        Ok((ws, check))
    }
}

#[async_trait::async_trait]
impl SuccessData for Data {
    async fn caller(&self, parts: &Parts) -> Result<Caller, AppError> {
        let now = self.clock.now();
        let mut caller = Caller::default();
        if let Some(token) = self
            .auth
            .session_token(&parts.headers)
            .filter(|t| auth::plausible_token(t))
        {
            if let Some((ws, member)) = self
                .store
                .session_member(&auth::token_digest(token), now, self.auth.idle)
                .await?
            {
                caller.member = Some((self.workspace_info(ws).await?, member));
            }
        }
        let wants_demo = self.auth.wants_demo(&parts.headers);
        if wants_demo && (self.auth.public_demo || caller.member.is_some()) {
            // Workspace 0 holds nothing; it only keys this process-wide lookup.
            let demo = self
                .cache
                .get_or_load(0, "demo workspace".into(), || self.store.demo_workspace_id())
                .await?;
            if let Some(id) = demo {
                caller.demo = Some(self.workspace_info(id).await?);
            }
        }
        Ok(caller)
    }

    async fn viewer(&self, parts: &Parts) -> Result<Viewer, AppError> {
        let caller = self.caller(parts).await?;
        let demo = caller.demo.is_some();
        let session = match caller.member {
            Some((ws, m)) => {
                let pending = if m.has_success && m.role.can_manage() {
                    self.store.pending_request_count(ws.id).await?
                } else {
                    0
                };
                Some(SessionInfo {
                    user_id: m.user_id,
                    name: m.name,
                    email: m.email,
                    workspace_name: ws.name,
                    role: m.role,
                    has_success: m.has_success,
                    pending_requests: pending,
                })
            }
            None => None,
        };
        let setup_needed = session.is_none() && !self.store.has_real_workspace().await?;
        Ok(Viewer {
            session,
            demo,
            setup_needed,
        })
    }
}
