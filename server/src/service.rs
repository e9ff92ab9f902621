//! The server's answers to server functions: it finds the caller, checks what each call needs
//! beyond the role (ownership of ids, validation), and reads or writes the store.

use crate::auth::{self, AuthConfig};
use crate::demo;
use crate::store::load::{Dataset, NewWorkspace};
use crate::store::{Store, StoreError};
use app::access::*;
use app::api::port::{SignedIn, SignedUp, SuccessData};
use app::api::{AppError, Caller, LossAction, Scope};
use app::close_loop as cl;
use app::live::LiveEvent;
use app::model::*;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

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

    async fn setup_workspace(
        &self,
        parts: &Parts,
        setup_token: String,
        workspace_name: String,
        name: String,
        email: String,
        password: String,
        sample_data: bool,
    ) -> Result<SignedIn, AppError> {
        // Whoever reaches a fresh server first must also have read its log (or its config).
        if let Some(expected) = &self.auth.setup_token {
            let given = auth::token_digest(setup_token.trim());
            if !auth::constant_time_eq(given.as_bytes(), auth::token_digest(expected).as_bytes()) {
                self.rate_limit(parts, "setup", None).await?;
                return Err(field_error(
                    "setup_token",
                    "That is not this server's setup token: it is printed in the server's log at first start.",
                ));
            }
        }
        let ws_name = validate_workspace_name(&workspace_name);
        let person = validate_new_user(&name, &email, &password);
        let (ws_name, (name, email)) = match (ws_name, person) {
            (Ok(w), Ok(p)) => (w, p),
            (w, p) => {
                let mut errors = w.err().unwrap_or_default();
                errors.0.extend(p.err().unwrap_or_default().0);
                return Err(AppError::Fields(errors));
            }
        };
        if self.store.has_real_workspace().await? {
            return Err(AppError::Forbidden(
                "Success is already set up here; sign in instead.".into(),
            ));
        }
        self.rate_limit(parts, "setup", Some(&email)).await?;
        let hash = self.hash(password).await?;
        let slug = format!("ws-{}", &auth::new_token()[..12]);
        let data = if sample_data {
            let mut spec = demo::DemoSpec::preview(self.clock.today());
            spec.name = ws_name.clone();
            spec.slug = slug;
            let mut data = demo::generate(&spec);
            data.workspace.is_demo = false;
            data
        } else {
            Dataset {
                workspace: NewWorkspace {
                    name: ws_name,
                    slug,
                    is_demo: false,
                    currency: "USD".into(),
                },
                stages: demo::default_stages(),
                ..Dataset::default()
            }
        };
        let ws = self.store.load_dataset(&data, &|_| {}).await?;
        if sample_data {
            crate::score_new_workspace(&self.store, ws, self.clock.today()).await?;
        }
        // Two setups racing both load a workspace; only one creates the owner, the other's goes.
        let Some(user) = self
            .store
            .create_first_owner(ws, &email, &name, &hash, self.clock.now())
            .await?
        else {
            self.store.delete_workspace(ws).await?;
            return Err(AppError::Forbidden(
                "Success is already set up here; sign in instead.".into(),
            ));
        };
        self.start_session(parts, user, ws).await
    }

    async fn sign_in(&self, parts: &Parts, email: String, password: String) -> Result<SignedIn, AppError> {
        // Nothing the caller typed is written or hashed before it is known to be plausible.
        let email = normalize_email(&email).ok_or_else(|| field_error("email", "Enter your email address."))?;
        if password.len() > app::access::PASSWORD_MAX * 4 {
            return Err(AppError::Invalid(WRONG_CREDENTIALS.into()));
        }
        self.rate_limit(parts, "sign_in", None).await?;
        self.wait_out_failures(&email).await?;
        let credentials = self.store.credentials(&email).await?;
        let user_id = credentials.as_ref().map(|c| c.user_id);
        let ok = auth::verify_password(password, credentials.map(|c| c.password_hash)).await;
        let (true, Some(user_id)) = (ok, user_id) else {
            self.record_failure(&email).await?;
            return Err(AppError::Invalid(WRONG_CREDENTIALS.into()));
        };
        let workspace = self
            .store
            .home_workspace(user_id)
            .await?
            .ok_or_else(|| AppError::Invalid(WRONG_CREDENTIALS.into()))?;
        self.start_session(parts, user_id, workspace).await
    }

    async fn sign_out(&self, parts: &Parts) -> Result<SignedIn, AppError> {
        if let Some(token) = self.auth.session_token(&parts.headers) {
            self.store.delete_session(&auth::token_digest(token)).await?;
        }
        Ok(SignedIn {
            set_cookies: vec![
                self.auth.clear_session_cookie(&parts.headers),
                self.auth.clear_demo_cookie(&parts.headers),
            ],
            next: None,
        })
    }

    async fn sign_up(
        &self,
        parts: &Parts,
        name: String,
        email: String,
        password: String,
        invite: Option<String>,
    ) -> Result<SignedUp, AppError> {
        let (name, email) = validate_new_user(&name, &email, &password)?;
        self.rate_limit(parts, "sign_up", Some(&email)).await?;
        let now = self.clock.now();
        let (user, ws, next) = match invite {
            Some(token) => {
                let invitation = match auth::plausible_token(&token) {
                    true => self.store.open_invitation(&auth::token_digest(&token), now).await?,
                    false => None,
                }
                .ok_or_else(|| {
                    AppError::Invalid(
                        "This invitation link is not valid any more; ask your admin for a new one.".into(),
                    )
                })?;
                if invitation.email != email {
                    return Err(field_error(
                        "email",
                        &format!(
                            "This invitation is for {}; sign up with that address.",
                            invitation.email
                        ),
                    ));
                }
                let hash = self.hash(password).await?;
                let user = self.store.accept_invitation(&invitation, &name, &hash, now).await?;
                (user, invitation.workspace_id, "/health")
            }
            None => {
                let ws = self.store.workspace_for_domain(email_domain(&email)).await?.ok_or_else(|| {
                    field_error(
                        "email",
                        "Sign-up needs an invitation link from a workspace admin, or an address at your company's domain.",
                    )
                })?;
                let message = self.start_sign_up(ws, &name, &email, password).await?;
                return Ok(SignedUp::CheckInbox(message));
            }
        };
        let mut signed_in = self.start_session(parts, user, ws).await?;
        signed_in.next = Some(next.to_string());
        Ok(SignedUp::SignedIn(signed_in))
    }

    async fn invitation_info(&self, token: String) -> Result<InvitationInfo, AppError> {
        if !auth::plausible_token(&token) {
            return Err(AppError::NotFound("Invitation".into()));
        }
        let invitation = self
            .store
            .open_invitation(&auth::token_digest(&token), self.clock.now())
            .await?
            .ok_or_else(|| AppError::NotFound("Invitation".into()))?;
        Ok(InvitationInfo {
            workspace_name: invitation.workspace_name,
            email: invitation.email,
            role: invitation.role,
        })
    }

    async fn my_access_request(&self, s: &Scope) -> Result<Option<AccessRequestRow>, AppError> {
        Ok(self.store.access_request_of(s.workspace.id, s.actor()?.user_id).await?)
    }

    async fn request_access(
        &self,
        s: &Scope,
        team: String,
        role_wanted: String,
        reason: String,
    ) -> Result<AccessRequestRow, AppError> {
        let member = s.actor()?;
        if member.has_success {
            return Err(AppError::Invalid("You already have access to Success.".into()));
        }
        let form = validate_access_request(&team, &role_wanted, &reason)?;
        // Admins see the request as a badge on Settings → Access; email follows once SMTP is configured.
        let row = self
            .store
            .upsert_access_request(s.workspace.id, member, &form, self.clock.now())
            .await?;
        self.events.publish(s.workspace.id, LiveEvent::AccessRequested);
        Ok(row)
    }

    async fn access_overview(&self, s: &Scope) -> Result<AccessOverview, AppError> {
        Ok(self.store.access_overview(s.workspace.id, self.clock.now()).await?)
    }

    async fn decide_access_request(
        &self,
        s: &Scope,
        request_id: i64,
        approve: bool,
        role: Option<Role>,
        reason: String,
    ) -> Result<(), AppError> {
        let request = self.store.access_request_by_id(s.workspace.id, request_id).await?;
        let reason = reason.trim().to_string();
        if reason.chars().count() > REASON_MAX {
            return Err(field_error("reason", "Keep the reason under 1000 characters."));
        }
        if !approve && reason.is_empty() {
            return Err(field_error("reason", "Say why, so the person knows what to do next."));
        }
        let role = role.unwrap_or(request.role_wanted);
        if !Role::GRANTABLE.contains(&role) {
            return Err(AppError::Invalid("Grant viewer, CSM or admin.".into()));
        }
        Ok(self
            .store
            .decide_access_request(
                s.workspace.id,
                s.actor()?,
                request_id,
                approve,
                role,
                &reason,
                self.clock.now(),
            )
            .await?)
    }

    async fn revoke_access(&self, s: &Scope, user_id: i64, reason: String) -> Result<(), AppError> {
        let me = s.actor()?;
        if me.user_id == user_id {
            return Err(AppError::Invalid("You cannot revoke your own access.".into()));
        }
        self.store
            .revoke_access(s.workspace.id, me, user_id, reason.trim(), self.clock.now())
            .await?;
        self.events.publish(s.workspace.id, LiveEvent::AccessChanged);
        Ok(())
    }

    async fn grant_access(&self, s: &Scope, user_id: i64, role: Role) -> Result<(), AppError> {
        if !Role::GRANTABLE.contains(&role) {
            return Err(AppError::Invalid("Grant viewer, CSM or admin.".into()));
        }
        Ok(self
            .store
            .grant_access(s.workspace.id, s.actor()?, user_id, role, self.clock.now())
            .await?)
    }

    async fn change_role(&self, s: &Scope, user_id: i64, role: Role) -> Result<(), AppError> {
        let me = s.actor()?;
        if !Role::GRANTABLE.contains(&role) {
            return Err(AppError::Invalid("Grant viewer, CSM or admin.".into()));
        }
        if me.user_id == user_id {
            return Err(AppError::Invalid("You cannot change your own role.".into()));
        }
        self.store
            .change_role(s.workspace.id, me, user_id, role, self.clock.now())
            .await?;
        // The store ended their sessions with the change: their open pages end now.
        self.events.publish(s.workspace.id, LiveEvent::AccessChanged);
        Ok(())
    }

    async fn create_invitation(&self, s: &Scope, email: String, role: Role) -> Result<CreatedLink, AppError> {
        let email = normalize_email(&email).ok_or_else(|| field_error("email", "Enter an email address."))?;
        if !Role::GRANTABLE.contains(&role) {
            return Err(field_error("role", "Invite as viewer, CSM or admin."));
        }
        let token = auth::new_token();
        let now = self.clock.now();
        let id = self
            .store
            .create_invitation(
                s.workspace.id,
                s.actor()?,
                &auth::token_digest(&token),
                &email,
                role,
                now,
                now + Duration::days(INVITATION_DAYS),
            )
            .await?;
        Ok(CreatedLink {
            id,
            url_path: format!("/sign-up?invite={token}"),
        })
    }

    async fn revoke_invitation(&self, s: &Scope, id: i64) -> Result<(), AppError> {
        Ok(self
            .store
            .revoke_invitation(s.workspace.id, s.actor()?, id, self.clock.now())
            .await?)
    }

    async fn create_display_link(
        &self,
        s: &Scope,
        name: String,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedLink, AppError> {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(field_error(
                "name",
                "Name the screen, e.g. “Office TV, 3rd floor” (up to 80 characters).",
            ));
        }
        if expires_in_days.is_some_and(|d| !(1..=365).contains(&d)) {
            return Err(field_error("expires_in_days", "Expire after 1 to 365 days, or never."));
        }
        let token = auth::new_token();
        let now = self.clock.now();
        let expires = expires_in_days.map(|d| now + Duration::days(d as i64));
        let id = self
            .store
            .create_display_link(
                s.workspace.id,
                s.actor()?,
                &name,
                &auth::token_digest(&token),
                now,
                expires,
            )
            .await?;
        Ok(CreatedLink {
            id,
            url_path: format!("/tv/{token}"),
        })
    }

    async fn revoke_display_link(&self, s: &Scope, id: i64) -> Result<(), AppError> {
        self.store
            .revoke_display_link(s.workspace.id, s.actor()?, id, self.clock.now())
            .await?;
        // The screens showing it stop within a second.
        self.events.publish(s.workspace.id, LiveEvent::AccessChanged);
        Ok(())
    }

    async fn set_allowed_domains(&self, s: &Scope, domains: String) -> Result<Vec<String>, AppError> {
        let mut list: Vec<String> = Vec::new();
        for raw in domains.split([',', ' ', '\n', ';']).filter(|d| !d.trim().is_empty()) {
            let d = normalize_domain(raw).ok_or_else(|| {
                field_error(
                    "domains",
                    &format!("{:?} is not a domain like example.com.", raw.trim()),
                )
            })?;
            if !list.contains(&d) {
                list.push(d);
            }
        }
        if list.len() > 20 {
            return Err(field_error("domains", "Allow at most 20 domains."));
        }
        self.store
            .set_allowed_domains(s.workspace.id, s.actor()?, &list, self.clock.now())
            .await?;
        Ok(list)
    }

    async fn tv_dashboard(&self, token: String) -> Result<TvDashboard, AppError> {
        let ws = self.display_workspace(&token).await?;
        let ws = self.workspace_info(ws).await?;
        let summary = self.summary_of(&ws).await?;
        // The wall's ten of a queue, in the slim form a display link may see.
        let wall = |q: ListQuery| {
            let ws = &ws;
            async move {
                let page = self.queue_of(ws, q).await?;
                Ok::<Vec<app::model::TvAccount>, AppError>(page.rows.into_iter().take(10).map(Into::into).collect())
            }
        };
        let attention = wall(ListQuery::default()).await?;
        let renewals = wall(ListQuery {
            renewal: "30".into(),
            sort: "renewal".into(),
            ..Default::default()
        })
        .await?;
        let at_risk = wall(ListQuery {
            band: "at_risk".into(),
            sort: "arr".into(),
            ..Default::default()
        })
        .await?;
        let pipeline = self
            .store
            .pipeline_totals(&ws)
            .await?
            .into_iter()
            .filter(|s| s.outcome == app::model::StageOutcome::Open)
            .collect();
        let recent_wins = self
            .store
            .recent_wins(ws.id, 8)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(TvDashboard {
            workspace_name: ws.name,
            summary: (&summary).into(),
            attention,
            renewals,
            at_risk,
            pipeline,
            recent_wins,
            as_of: self.clock.now().to_rfc3339(),
        })
    }

    async fn health_summary(&self, s: &Scope) -> Result<HealthSummary, AppError> {
        self.summary_of(&s.workspace).await
    }
    async fn health_queue(&self, s: &Scope, q: ListQuery) -> Result<Page<AccountRow>, AppError> {
        self.queue_of(&s.workspace, q).await
    }
    async fn account_detail(&self, s: &Scope, id: i64) -> Result<AccountDetail, AppError> {
        Ok(self.store.account_detail(&s.workspace, id, self.clock.today()).await?)
    }
    async fn convert_queue(&self, s: &Scope, q: ListQuery) -> Result<ConvertView, AppError> {
        let (ws, today) = (&s.workspace, self.clock.today());
        Ok(self
            .cache
            .get_or_load(ws.id, format!("convert:{today}:{q:?}"), || {
                self.store.convert_queue(ws, &q, today)
            })
            .await?)
    }
    async fn sync_billing(&self, s: &Scope) -> Result<Vec<i64>, AppError> {
        let mut runs = Vec::new();
        for kind in [IntegrationKind::Salesbricks, IntegrationKind::Stripe] {
            match self.start_sync(s.workspace.id, kind).await {
                Ok(run) => runs.push(run),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if runs.is_empty() {
            return Err(AppError::Invalid(
                "Neither Salesbricks nor Stripe is connected. Connect them in Settings → Integrations.".into(),
            ));
        }
        Ok(runs)
    }
    async fn contracts(&self, s: &Scope, q: ListQuery) -> Result<ContractsView, AppError> {
        let (ws, today) = (&s.workspace, self.clock.today());
        Ok(self
            .cache
            .get_or_load(ws.id, format!("contracts:{today}:{q:?}"), || {
                self.store.contracts(ws, &q, today)
            })
            .await?)
    }
    async fn contract_invoices(&self, s: &Scope, revenue_source_id: i64) -> Result<Vec<InvoiceRow>, AppError> {
        Ok(self.store.contract_invoices(s.workspace.id, revenue_source_id).await?)
    }
    async fn pipeline(&self, s: &Scope, q: ListQuery) -> Result<PipelineView, AppError> {
        Ok(self.store.pipeline(&s.workspace, &q).await?)
    }
    async fn pipeline_board(&self, s: &Scope, q: ListQuery) -> Result<app::model::KanbanBoard, AppError> {
        let ws = &s.workspace;
        Ok(self
            .cache
            .get_or_load(ws.id, format!("board:{q:?}"), || self.store.pipeline_board(ws, &q))
            .await?)
    }
    async fn pipeline_settings(&self, s: &Scope) -> Result<app::model::PipelineSettings, AppError> {
        let stages = self
            .store
            .pipeline_stages(s.workspace.id)
            .await?
            .into_iter()
            .map(|(key, label, outcome)| {
                let outcome = app::model::StageOutcome::parse(&outcome)
                    .ok_or_else(|| AppError::Internal(format!("stage {key} has outcome {outcome:?}")))?;
                Ok((key, label, outcome))
            })
            .collect::<Result<_, AppError>>()?;
        Ok(app::model::PipelineSettings {
            stages,
            source: s.workspace.pipeline_source.clone(),
        })
    }
    async fn set_stage_order(&self, s: &Scope, order: String) -> Result<(), AppError> {
        let keys: Vec<String> = order
            .split(',')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        self.store.set_stage_order(s.workspace.id, &keys).await?;
        self.changed(s.workspace.id, LiveEvent::PipelineChanged);
        Ok(())
    }
    async fn set_pipeline_source(&self, s: &Scope, source: String) -> Result<(), AppError> {
        self.store.set_pipeline_source(s.workspace.id, source.trim()).await?;
        self.changed(s.workspace.id, LiveEvent::PipelineChanged);
        Ok(())
    }
    async fn move_deal(
        &self,
        s: &Scope,
        deal_id: i64,
        stage: String,
        version: i64,
        before: Option<i64>,
    ) -> Result<DealRow, AppError> {
        let deal = self
            .store
            .move_deal(
                s.workspace.id,
                deal_id,
                &stage,
                version,
                before,
                &s.actor()?.name,
                self.clock.now(),
            )
            .await?;
        self.changed(
            s.workspace.id,
            LiveEvent::DealChanged {
                deal_id: deal.id,
                account_id: deal.account_id,
            },
        );
        if deal.writeback_error.is_some() && deal.source == app::model::DealSource::Attio {
            if let Some(me) = self.arc() {
                let (ws, moved) = (s.workspace.id, deal.clone());
                tokio::spawn(async move { me.write_back(ws, moved).await });
            }
        }
        Ok(deal)
    }
    async fn reengage(&self, s: &Scope, q: ListQuery) -> Result<ReengageView, AppError> {
        let ws = &s.workspace;
        Ok(self
            .cache
            .get_or_load(ws.id, format!("reengage:{q:?}"), || self.store.reengage(ws, &q))
            .await?)
    }
    async fn winback_action(&self, s: &Scope, id: i64, action: LossAction) -> Result<String, AppError> {
        use crate::store::likelihood::WinbackChange;
        let actor = s.actor()?;
        let change = match action {
            LossAction::MarkContacted => WinbackChange::Contacted,
            LossAction::Snooze(days @ 1..=365) => {
                WinbackChange::SnoozeUntil(self.clock.today() + chrono::Duration::days(days as i64))
            }
            LossAction::Snooze(_) => {
                return Err(AppError::Invalid("Snooze for between 1 and 365 days.".into()));
            }
            LossAction::WonBack => WinbackChange::WonBack,
            LossAction::Reopen => WinbackChange::Reopen,
        };
        let name = self
            .store
            .change_winback(
                s.workspace.id,
                id,
                change,
                (Some(actor.user_id), &actor.name),
                self.clock.now(),
            )
            .await?;
        self.changed(s.workspace.id, LiveEvent::Rescored { changed: 1 });
        Ok(match action {
            LossAction::MarkContacted => format!("{name} marked contacted."),
            LossAction::Snooze(days) => format!("{name} snoozed for {days} days."),
            LossAction::WonBack => format!("{name} won back: a win-back deal is open in Pipeline."),
            LossAction::Reopen => format!("{name} is back in the queue."),
        })
    }
    async fn close_the_loop(&self, s: &Scope, q: ListQuery) -> Result<cl::CloseTheLoopView, AppError> {
        Ok(crate::close_loop::view(&self.store, &s.workspace, &q).await?)
    }
    async fn account_loop(&self, s: &Scope, account_id: i64) -> Result<cl::AccountLoop, AppError> {
        Ok(crate::close_loop::account_loop(&self.store, s.workspace.id, account_id).await?)
    }
    async fn decide_match(&self, s: &Scope, request_id: i64, item_id: i64, confirm: bool) -> Result<(), AppError> {
        let status = if confirm {
            cl::MatchStatus::Confirmed
        } else {
            cl::MatchStatus::Rejected
        };
        let account_id = self
            .store
            .decide_match(
                s.workspace.id,
                request_id,
                item_id,
                status,
                &s.actor()?.name,
                self.clock.now(),
            )
            .await?;
        self.changed(
            s.workspace.id,
            LiveEvent::LoopChanged {
                account_id: Some(account_id),
            },
        );
        Ok(())
    }
    async fn add_feature_request(&self, s: &Scope, form: cl::FeatureRequestForm) -> Result<i64, AppError> {
        let valid = form.validate(self.clock.now().date_naive())?;
        let id = self
            .store
            .add_feature_request(
                s.workspace.id,
                &crate::store::close_loop::NewFeatureRequest {
                    account_id: valid.account_id,
                    contact_id: valid.contact_id,
                    project: valid.project,
                    quote: valid.quote,
                    requested_on: valid.requested_on,
                    source_link: valid.source_link,
                    created_by: s.actor()?.name.clone(),
                },
            )
            .await?;
        crate::close_loop::refresh_with(&self.store, s.workspace.id, self.semantic()).await?;
        self.changed(
            s.workspace.id,
            LiveEvent::LoopChanged {
                account_id: Some(valid.account_id),
            },
        );
        Ok(id)
    }
    async fn email_draft(
        &self,
        s: &Scope,
        request_id: i64,
        item_id: i64,
        contact_id: Option<i64>,
    ) -> Result<cl::EmailDraft, AppError> {
        let csm = s
            .member
            .as_ref()
            .map_or("Your customer success manager", |m| m.name.as_str());
        let settings = self.store.email_settings(s.workspace.id).await?;
        let (draft, _) = crate::close_loop::draft(
            &self.store,
            s.workspace.id,
            request_id,
            item_id,
            contact_id,
            csm,
            settings.as_ref(),
        )
        .await?;
        Ok(draft)
    }
    async fn queue_email(
        &self,
        s: &Scope,
        request_id: i64,
        item_id: i64,
        contact_id: Option<i64>,
        subject: String,
        body: String,
    ) -> Result<cl::OutboxRow, AppError> {
        let (id, _, account_id) = crate::close_loop::queue_shipped_email(
            &self.store,
            s.workspace.id,
            request_id,
            item_id,
            contact_id,
            Some(&subject),
            Some(&body),
            &s.actor()?.name,
            self.clock.now(),
        )
        .await?;
        self.outbox_wake.notify_one();
        self.changed(
            s.workspace.id,
            LiveEvent::LoopChanged {
                account_id: Some(account_id),
            },
        );
        Ok(self.store.outbox_email(s.workspace.id, id).await?)
    }
    async fn queue_all_confirmed(&self, s: &Scope) -> Result<String, AppError> {
        let (queued, skipped) =
            crate::close_loop::queue_all_confirmed(&self.store, s.workspace.id, &s.actor()?.name, self.clock.now())
                .await?;
        self.outbox_wake.notify_one();
        self.changed(s.workspace.id, LiveEvent::LoopChanged { account_id: None });
        let mut message = match queued.len() {
            0 => "No confirmed match was waiting for an email.".to_string(),
            1 => "1 email queued.".to_string(),
            n => format!("{n} emails queued."),
        };
        if !skipped.is_empty() {
            message.push_str(&format!(" Not queued: {}.", skipped.join("; ")));
        }
        Ok(message)
    }
    async fn resolve_email(&self, s: &Scope, outbox_id: i64, arrived: bool) -> Result<(), AppError> {
        let account_id = self
            .store
            .resolve_email(s.workspace.id, outbox_id, arrived, &s.actor()?.name, self.clock.now())
            .await?;
        self.outbox_wake.notify_one();
        self.changed(s.workspace.id, LiveEvent::LoopChanged { account_id });
        Ok(())
    }
    async fn email_settings(&self, s: &Scope) -> Result<cl::EmailSettingsView, AppError> {
        let Some(stored) = self.store.email_settings(s.workspace.id).await? else {
            return Ok(cl::EmailSettingsView::default());
        };
        let mask = stored.password_sealed.as_ref().map(|sealed| {
            self.secrets
                .open(sealed, &crate::close_loop::outbox::password_context(s.workspace.id))
                .map(|p| crate::secrets::mask(&p))
                .unwrap_or_else(|_| "(cannot be opened with this key: enter it again)".into())
        });
        Ok(cl::EmailSettingsView {
            configured: true,
            host: stored.host,
            port: stored.port,
            security: stored.security,
            username: stored.username.unwrap_or_default(),
            password_mask: mask,
            from_address: stored.from_address,
            from_name: stored.from_name,
            reply_to: stored.reply_to.unwrap_or_default(),
            signature: stored.signature,
            subject_template: stored.subject_template,
            body_template: stored.body_template,
            per_minute: stored.per_minute,
        })
    }
    async fn save_email_settings(
        &self,
        s: &Scope,
        form: cl::EmailSettingsForm,
    ) -> Result<cl::EmailSettingsView, AppError> {
        let valid = form.validate()?;
        let context = crate::close_loop::outbox::password_context(s.workspace.id);
        // An empty password keeps the stored one; no user name means no password either.
        let password = match (&valid.username, &valid.password) {
            (None, _) => Some(None),
            (Some(_), Some(p)) => Some(Some(self.secrets.seal(p, &context))),
            (Some(_), None) => None,
        };
        self.store
            .save_email_settings(s.workspace.id, &valid, password, self.clock.now())
            .await?;
        self.changed(s.workspace.id, LiveEvent::LoopChanged { account_id: None });
        self.email_settings(s).await
    }
    async fn test_email(&self, s: &Scope, to: String) -> Result<String, AppError> {
        let to = to.trim();
        if !cl::valid_email(to) {
            return Err(field_error("to", "Enter one address to send the test to."));
        }
        let settings = crate::close_loop::outbox::smtp_settings(self, s.workspace.id)
            .await
            .map_err(AppError::Invalid)?
            .ok_or_else(|| AppError::Invalid("Save the email settings first.".into()))?;
        crate::close_loop::email::test_send(&settings, to)
            .await
            .map_err(|e| AppError::Invalid(format!("The test email was not sent: {e}.")))
    }
    async fn set_contact_opt_out(&self, s: &Scope, contact_id: i64, opted_out: bool) -> Result<(), AppError> {
        let account_id = self
            .store
            .set_contact_opt_out(s.workspace.id, contact_id, opted_out)
            .await?;
        self.changed(
            s.workspace.id,
            LiveEvent::LoopChanged {
                account_id: Some(account_id),
            },
        );
        Ok(())
    }
    async fn rematch(&self, s: &Scope) -> Result<String, AppError> {
        let stats = crate::close_loop::refresh_with(&self.store, s.workspace.id, self.semantic()).await?;
        self.changed(s.workspace.id, LiveEvent::LoopChanged { account_id: None });
        Ok(format!(
            "Matched {} requests against the releases: {} proposals waiting, {} themes.",
            stats.requests, stats.proposals, stats.themes
        ))
    }
    async fn settings(&self, s: &Scope) -> Result<SettingsView, AppError> {
        Ok(self.store.settings(&s.workspace).await?)
    }
    async fn route_account(
        &self,
        s: &Scope,
        account_id: i64,
        from: RoutePage,
        to: RoutePage,
        note: String,
    ) -> Result<RouteRow, AppError> {
        if from == to {
            return Err(AppError::Invalid(format!("The account is already on {}.", to.label())));
        }
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(field_error("note", "Keep the note under 500 characters."));
        }
        let note = Some(note).filter(|n| !n.is_empty());
        let route = self
            .store
            .route_account(
                s.workspace.id,
                account_id,
                from,
                to,
                &s.actor()?.name,
                note,
                self.clock.now(),
            )
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(route)
    }
    async fn dismiss_route(&self, s: &Scope, route_id: i64) -> Result<(), AppError> {
        let account_id = self
            .store
            .dismiss_route(s.workspace.id, route_id, self.clock.now())
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(())
    }
    async fn routed_to(&self, s: &Scope, page: RoutePage) -> Result<Vec<RouteRow>, AppError> {
        Ok(self.store.routed_to(s.workspace.id, page).await?)
    }
    async fn set_tracked(&self, s: &Scope, account_id: i64, tracked: bool) -> Result<(), AppError> {
        self.store.set_tracked(s.workspace.id, account_id, tracked).await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(())
    }
    async fn override_band(
        &self,
        s: &Scope,
        account_id: i64,
        band: app::scoring::Band,
        reason: String,
        expires_on: String,
    ) -> Result<app::model::BandOverride, AppError> {
        let actor = s.actor()?;
        let today = self.clock.today();
        let expires = chrono::NaiveDate::parse_from_str(expires_on.trim(), "%Y-%m-%d").ok();
        let reason = app::model::BandOverride::check(&reason, expires, today)?;
        let expires = expires.ok_or_else(|| AppError::Invalid("expiry date missing".into()))?;
        let set = self
            .store
            .set_band_override(
                s.workspace.id,
                account_id,
                band,
                &reason,
                expires,
                actor,
                self.clock.now(),
            )
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(set)
    }
    async fn clear_band_override(&self, s: &Scope, account_id: i64) -> Result<(), AppError> {
        let actor = s.actor()?;
        self.store
            .clear_band_override(s.workspace.id, account_id, actor, self.clock.now())
            .await?;
        self.changed(s.workspace.id, LiveEvent::AccountChanged { account_id });
        Ok(())
    }
    async fn scoring(&self, s: &Scope) -> Result<ScoringView, AppError> {
        let ws = s.workspace.id;
        let card = self.store.scorecard(ws).await?;
        let is_default = card == app::scoring::Scorecard::default();
        let (accounts, monitored) = self.store.preview_accounts(ws, PREVIEW_LIMIT).await?;
        let mut inputs: std::collections::HashMap<i64, app::scoring::ScoreInputs> = self
            .store
            .score_inputs(ws, self.clock.today())
            .await?
            .into_iter()
            .map(|i| (i.account_id, i))
            .collect();
        let preview = accounts
            .into_iter()
            .filter_map(|(id, name, arr_minor, band)| {
                let mut inputs = inputs.remove(&id)?;
                // Quotes and links do not change a score; leave them out of the download.
                for signal in &mut inputs.signals {
                    signal.quote.clear();
                    signal.link = None;
                }
                Some(app::scoring::PreviewAccount {
                    id,
                    name,
                    arr_minor,
                    band: band.as_deref().and_then(app::scoring::Band::parse),
                    inputs,
                })
            })
            .collect();
        let mut models = Vec::new();
        for kind in app::likelihood::ModelKind::ALL {
            models.push(self.store.model(ws, kind).await?);
        }
        Ok(ScoringView {
            card,
            is_default,
            preview,
            monitored,
            currency: s.workspace.currency.clone(),
            models,
        })
    }
    async fn save_scorecard(&self, s: &Scope, card: app::scoring::Scorecard) -> Result<u64, AppError> {
        card.validate().map_err(AppError::Invalid)?;
        let now = self.clock.now();
        self.store
            .save_scorecard(s.workspace.id, &card, s.actor()?, now)
            .await?;
        self.settle(s.workspace.id).await
    }
    async fn rescore_now(&self, s: &Scope) -> Result<u64, AppError> {
        self.rescore(s.workspace.id).await
    }

    async fn connect_integration(
        &self,
        s: &Scope,
        kind: IntegrationKind,
        setup: app::integrations::IntegrationSetup,
    ) -> Result<String, AppError> {
        self.connect_integration_in(s.workspace.id, kind, setup).await
    }

    async fn test_integration(&self, s: &Scope, kind: IntegrationKind) -> Result<String, AppError> {
        self.test_integration_in(s.workspace.id, kind).await
    }

    async fn disconnect_integration(&self, s: &Scope, kind: IntegrationKind) -> Result<(), AppError> {
        self.disconnect_integration_in(s.workspace.id, kind).await
    }

    async fn sync_integration(&self, s: &Scope, kind: IntegrationKind) -> Result<i64, AppError> {
        self.start_sync(s.workspace.id, kind).await
    }

    async fn create_api_token(&self, s: &Scope, name: String) -> Result<String, AppError> {
        let user = s.actor()?.user_id;
        self.create_api_token_in(s.workspace.id, &name, Some(user)).await
    }

    async fn revoke_api_token(&self, s: &Scope, id: i64) -> Result<(), AppError> {
        self.revoke_api_token_in(s.workspace.id, id).await
    }

    async fn preview_signals_csv(&self, s: &Scope, csv: String) -> Result<app::signals::ImportPreview, AppError> {
        self.preview_signals_csv_in(s.workspace.id, &csv).await
    }

    async fn import_signals_csv(&self, s: &Scope, csv: String) -> Result<app::signals::IngestReport, AppError> {
        self.import_signals_csv_in(s.workspace.id, &csv).await
    }

    async fn matching(&self, s: &Scope) -> Result<app::matching::MatchingView, AppError> {
        Ok(self.store.matching(s.workspace.id).await?)
    }

    async fn link_company(
        &self,
        s: &Scope,
        source: String,
        external_id: String,
        account_id: i64,
    ) -> Result<(), AppError> {
        self.store
            .link_company(s.workspace.id, &source, &external_id, account_id)
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())
    }

    async fn unlink_company(
        &self,
        s: &Scope,
        account_id: i64,
        source: String,
        external_id: String,
    ) -> Result<(), AppError> {
        self.store
            .unlink_company(s.workspace.id, account_id, &source, &external_id, self.clock.now())
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())
    }

    async fn merge_accounts(&self, s: &Scope, keep_id: i64, merge_id: i64) -> Result<i64, AppError> {
        let actor = s.actor()?;
        let id = self
            .store
            .merge_accounts(
                s.workspace.id,
                keep_id,
                merge_id,
                (Some(actor.user_id), &actor.name),
                self.clock.now(),
            )
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())?;
        Ok(id)
    }

    async fn undo_merge(&self, s: &Scope, merge: i64) -> Result<i64, AppError> {
        let actor = s.actor()?;
        let id = self
            .store
            .undo_merge(
                s.workspace.id,
                merge,
                (Some(actor.user_id), &actor.name),
                self.clock.now(),
            )
            .await?;
        self.settle(s.workspace.id).await.map(|_| ())?;
        Ok(id)
    }

    async fn set_exchange_rate(&self, s: &Scope, currency: String, rate: String) -> Result<(), AppError> {
        let mut errors = FieldErrors::default();
        let currency = app::integrations::check_currency(&currency, &s.workspace.currency)
            .map_err(|e| errors.add("currency", e))
            .ok();
        let rate = app::integrations::parse_rate(&rate)
            .map_err(|e| errors.add("rate", e))
            .ok();
        let (Some(currency), Some(rate)) = (currency, rate) else {
            return Err(AppError::Fields(errors));
        };
        self.store.set_rate(s.workspace.id, &currency, rate).await?;
        self.cache.invalidate(s.workspace.id);
        Ok(())
    }

    async fn sync_run_errors(&self, s: &Scope, run_id: i64) -> Result<app::integrations::RunProblems, AppError> {
        Ok(self.store.sync_run_errors(s.workspace.id, run_id).await?)
    }
}
