//! Server function declarations. Each one is a thin adapter: it names what the caller needs
//! ([`Need`]), lets the server resolve and check the caller, and hands over to the server's
//! [`port::SuccessData`] implementation, which owns the store.

use crate::access::{AccessOverview, AccessRequestRow, CreatedLink, FieldErrors, InvitationInfo, Need, Role, Viewer};
use crate::close_loop as cl;
use crate::model::{
    self, AccountRow, ContractsView, ConvertView, DealRow, IntegrationKind, InvoiceRow, KanbanBoard, ListQuery, Page,
    PipelineView, ReengageView, RoutePage, RouteRow, SettingsView, TvDashboard, WorkspaceInfo,
};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Errors a page can show. The variants map to HTTP statuses on the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Please correct the marked fields: {0}")]
    Fields(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("Something went wrong on the server ({0}).")]
    Internal(String),
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn forbidden() -> Self {
        AppError::Forbidden("You don't have access to this.".into())
    }
    /// The message for one form field, when the server refused it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Fields(f) => f.get(name),
            _ => None,
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Fields(errors)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not even parse (a forged or broken form) are bad input, not a server fault.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::Invalid(format!("The request was not understood: {msg}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

/// The caller as the server found it: a member's session, the demo preview, both or neither.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub member: Option<(WorkspaceInfo, Member)>,
    /// The demo preview workspace, when the caller asked for it and it may be shown.
    pub demo: Option<WorkspaceInfo>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub has_success: bool,
}

/// The workspace a request may touch, and who is asking (no member in the demo preview).
#[derive(Clone, Debug)]
pub struct Scope {
    pub workspace: WorkspaceInfo,
    pub member: Option<Member>,
}

impl Scope {
    /// The member behind a mutation; `authorize` guarantees one for every need but `Read`.
    pub fn actor(&self) -> Result<&Member, AppError> {
        self.member.as_ref().ok_or(AppError::Unauthorized)
    }
}

/// Decides, from the caller and what a server function needs, which workspace it may touch.
/// Pure, so the rules are tested as a table and read in one place.
pub fn authorize(caller: Caller, need: Need) -> Result<Scope, AppError> {
    let read_only = || AppError::Forbidden("The demo preview is read-only. Leave the preview to make changes.".into());
    let no_flag =
        || AppError::Forbidden("Success is not enabled for you yet. Request access on /success-unlock.".into());
    match need {
        Need::SignedIn => {
            let (workspace, member) = caller.member.ok_or(AppError::Unauthorized)?;
            Ok(Scope {
                workspace,
                member: Some(member),
            })
        }
        Need::Read => {
            if let Some(workspace) = caller.demo {
                return Ok(Scope {
                    workspace,
                    member: None,
                });
            }
            let (workspace, member) = caller.member.ok_or(AppError::Unauthorized)?;
            if !member.has_success {
                return Err(no_flag());
            }
            Ok(Scope {
                workspace,
                member: Some(member),
            })
        }
        Need::Operate | Need::Manage => {
            let (workspace, member) = caller.member.ok_or(AppError::Unauthorized)?;
            if caller.demo.is_some() {
                return Err(read_only());
            }
            if !member.has_success {
                return Err(no_flag());
            }
            let allowed = if need == Need::Manage {
                member.role.can_manage()
            } else {
                member.role.can_operate()
            };
            if !allowed {
                let what = if need == Need::Manage {
                    "Only admins and owners can change this."
                } else {
                    "Viewers can look but not change anything; ask an admin for the CSM role."
                };
                return Err(AppError::Forbidden(what.into()));
            }
            Ok(Scope {
                workspace,
                member: Some(member),
            })
        }
    }
}

/// What the server provides to server functions (through Leptos context).
#[cfg(feature = "ssr")]
pub mod port {
    use super::*;
    use std::sync::Arc;

    /// Cookies to set and where to send the browser after signing in, up or out.
    #[derive(Clone, Debug, Default)]
    pub struct SignedIn {
        pub set_cookies: Vec<String>,
        /// Where the person should land, when the service knows better than the caller.
        pub next: Option<String>,
    }

    /// A sign-up through an invitation signs in at once; one by domain waits for the emailed
    /// link (the message says where to look).
    pub enum SignedUp {
        SignedIn(SignedIn),
        CheckInbox(String),
    }

    #[async_trait::async_trait]
    pub trait SuccessData: Send + Sync + 'static {
        /// Finds the caller's session and demo preview choice; never fails for a missing session.
        async fn caller(&self, parts: &http::request::Parts) -> Result<Caller, AppError>;
        async fn viewer(&self, parts: &http::request::Parts) -> Result<Viewer, AppError>;

        // Sign-in and sign-up; these check their own preconditions (they run without a session).
        #[allow(clippy::too_many_arguments)]
        async fn setup_workspace(
            &self,
            parts: &http::request::Parts,
            setup_token: String,
            workspace_name: String,
            name: String,
            email: String,
            password: String,
            sample_data: bool,
        ) -> Result<SignedIn, AppError>;
        async fn sign_in(
            &self,
            parts: &http::request::Parts,
            email: String,
            password: String,
        ) -> Result<SignedIn, AppError>;
        async fn sign_out(&self, parts: &http::request::Parts) -> Result<SignedIn, AppError>;
        async fn sign_up(
            &self,
            parts: &http::request::Parts,
            name: String,
            email: String,
            password: String,
            invite: Option<String>,
        ) -> Result<SignedUp, AppError>;
        async fn invitation_info(&self, token: String) -> Result<InvitationInfo, AppError>;

        // The unlock page.
        async fn my_access_request(&self, scope: &Scope) -> Result<Option<AccessRequestRow>, AppError>;
        async fn request_access(
            &self,
            scope: &Scope,
            team: String,
            role_wanted: String,
            reason: String,
        ) -> Result<AccessRequestRow, AppError>;

        // Settings → Access.
        async fn access_overview(&self, scope: &Scope) -> Result<AccessOverview, AppError>;
        async fn decide_access_request(
            &self,
            scope: &Scope,
            request_id: i64,
            approve: bool,
            role: Option<Role>,
            reason: String,
        ) -> Result<(), AppError>;
        async fn revoke_access(&self, scope: &Scope, user_id: i64, reason: String) -> Result<(), AppError>;
        async fn grant_access(&self, scope: &Scope, user_id: i64, role: Role) -> Result<(), AppError>;
        async fn change_role(&self, scope: &Scope, user_id: i64, role: Role) -> Result<(), AppError>;
        async fn create_invitation(&self, scope: &Scope, email: String, role: Role) -> Result<CreatedLink, AppError>;
        async fn revoke_invitation(&self, scope: &Scope, invitation_id: i64) -> Result<(), AppError>;
        async fn create_display_link(
            &self,
            scope: &Scope,
            name: String,
            expires_in_days: Option<u32>,
        ) -> Result<CreatedLink, AppError>;
        async fn revoke_display_link(&self, scope: &Scope, link_id: i64) -> Result<(), AppError>;
        async fn set_allowed_domains(&self, scope: &Scope, domains: String) -> Result<Vec<String>, AppError>;

        // Dashboards for office screens, opened with a display link instead of a session.
        async fn tv_dashboard(&self, token: String) -> Result<TvDashboard, AppError>;

        // The Success pages.
        async fn health_summary(&self, scope: &Scope) -> Result<model::HealthSummary, AppError>;
        async fn health_queue(&self, scope: &Scope, query: ListQuery) -> Result<Page<AccountRow>, AppError>;
        async fn account_detail(&self, scope: &Scope, account_id: i64) -> Result<model::AccountDetail, AppError>;
        async fn convert_queue(&self, scope: &Scope, query: ListQuery) -> Result<ConvertView, AppError>;
        /// Starts the Salesbricks and Stripe syncs that are connected; returns their run ids.
        async fn sync_billing(&self, scope: &Scope) -> Result<Vec<i64>, AppError>;
        async fn contracts(&self, scope: &Scope, query: ListQuery) -> Result<ContractsView, AppError>;
        /// One revenue source's invoices, newest first.
        async fn contract_invoices(&self, scope: &Scope, revenue_source_id: i64) -> Result<Vec<InvoiceRow>, AppError>;
        async fn pipeline(&self, scope: &Scope, query: ListQuery) -> Result<PipelineView, AppError>;
        async fn pipeline_board(&self, scope: &Scope, query: ListQuery) -> Result<KanbanBoard, AppError>;
        async fn pipeline_settings(&self, scope: &Scope) -> Result<model::PipelineSettings, AppError>;
        /// `order`: every stage key once, comma-separated, in the new board order.
        async fn set_stage_order(&self, scope: &Scope, order: String) -> Result<(), AppError>;
        async fn set_pipeline_source(&self, scope: &Scope, source: String) -> Result<(), AppError>;
        /// Moves a deal into `stage`, before the deal `before` (else last), if nobody moved it
        /// since the mover saw `version`.
        async fn move_deal(
            &self,
            scope: &Scope,
            deal_id: i64,
            stage: String,
            version: i64,
            before: Option<i64>,
        ) -> Result<DealRow, AppError>;
        async fn reengage(&self, scope: &Scope, query: ListQuery) -> Result<ReengageView, AppError>;
        /// Records what a CSM did about a loss; returns a sentence saying what happened.
        async fn winback_action(&self, scope: &Scope, winback_id: i64, action: LossAction) -> Result<String, AppError>;
        async fn close_the_loop(&self, scope: &Scope, query: ListQuery) -> Result<cl::CloseTheLoopView, AppError>;
        async fn account_loop(&self, scope: &Scope, account_id: i64) -> Result<cl::AccountLoop, AppError>;
        async fn decide_match(
            &self,
            scope: &Scope,
            request_id: i64,
            item_id: i64,
            confirm: bool,
        ) -> Result<(), AppError>;
        async fn add_feature_request(&self, scope: &Scope, form: cl::FeatureRequestForm) -> Result<i64, AppError>;
        async fn email_draft(
            &self,
            scope: &Scope,
            request_id: i64,
            item_id: i64,
            contact_id: Option<i64>,
        ) -> Result<cl::EmailDraft, AppError>;
        async fn queue_email(
            &self,
            scope: &Scope,
            request_id: i64,
            item_id: i64,
            contact_id: Option<i64>,
            subject: String,
            body: String,
        ) -> Result<cl::OutboxRow, AppError>;
        /// Queues every confirmed match's email; returns a sentence saying what happened.
        async fn queue_all_confirmed(&self, scope: &Scope) -> Result<String, AppError>;
        async fn resolve_email(&self, scope: &Scope, outbox_id: i64, arrived: bool) -> Result<(), AppError>;
        async fn email_settings(&self, scope: &Scope) -> Result<cl::EmailSettingsView, AppError>;
        async fn save_email_settings(
            &self,
            scope: &Scope,
            form: cl::EmailSettingsForm,
        ) -> Result<cl::EmailSettingsView, AppError>;
        async fn test_email(&self, scope: &Scope, to: String) -> Result<String, AppError>;
        async fn set_contact_opt_out(&self, scope: &Scope, contact_id: i64, opted_out: bool) -> Result<(), AppError>;
        /// Matches requests against releases now; returns a sentence with the counts.
        async fn rematch(&self, scope: &Scope) -> Result<String, AppError>;
        async fn settings(&self, scope: &Scope) -> Result<SettingsView, AppError>;
        async fn route_account(
            &self,
            scope: &Scope,
            account_id: i64,
            from: RoutePage,
            to: RoutePage,
            note: String,
        ) -> Result<RouteRow, AppError>;
        async fn dismiss_route(&self, scope: &Scope, route_id: i64) -> Result<(), AppError>;
        async fn routed_to(&self, scope: &Scope, page: RoutePage) -> Result<Vec<RouteRow>, AppError>;
        async fn set_tracked(&self, scope: &Scope, account_id: i64, tracked: bool) -> Result<(), AppError>;
        async fn override_band(
            &self,
            scope: &Scope,
            account_id: i64,
            band: crate::scoring::Band,
            reason: String,
            expires_on: String,
        ) -> Result<model::BandOverride, AppError>;
        async fn clear_band_override(&self, scope: &Scope, account_id: i64) -> Result<(), AppError>;
        async fn scoring(&self, scope: &Scope) -> Result<model::ScoringView, AppError>;
        /// Saves the scorecard and rescores; returns how many accounts changed.
        async fn save_scorecard(&self, scope: &Scope, card: crate::scoring::Scorecard) -> Result<u64, AppError>;
        /// Rescores the workspace now; returns how many accounts changed.
        async fn rescore_now(&self, scope: &Scope) -> Result<u64, AppError>;

        // Settings → Integrations.
        /// Tests the credentials against the vendor and, when they work, stores them sealed.
        async fn connect_integration(
            &self,
            scope: &Scope,
            kind: IntegrationKind,
            setup: crate::integrations::IntegrationSetup,
        ) -> Result<String, AppError>;
        async fn test_integration(&self, scope: &Scope, kind: IntegrationKind) -> Result<String, AppError>;
        async fn disconnect_integration(&self, scope: &Scope, kind: IntegrationKind) -> Result<(), AppError>;
        /// Starts a sync in the background; returns its run id.
        async fn sync_integration(&self, scope: &Scope, kind: IntegrationKind) -> Result<i64, AppError>;
        async fn set_exchange_rate(&self, scope: &Scope, currency: String, rate: String) -> Result<(), AppError>;
        /// What a run skipped or repaired, counted by why, and its first records.
        async fn sync_run_errors(
            &self,
            scope: &Scope,
            run_id: i64,
        ) -> Result<crate::integrations::RunProblems, AppError>;

        // Signals in.
        /// A new API token for the signals endpoint, shown this once.
        async fn create_api_token(&self, scope: &Scope, name: String) -> Result<String, AppError>;
        async fn revoke_api_token(&self, scope: &Scope, id: i64) -> Result<(), AppError>;
        /// What importing the CSV would do; nothing is written.
        async fn preview_signals_csv(
            &self,
            scope: &Scope,
            csv: String,
        ) -> Result<crate::signals::ImportPreview, AppError>;
        async fn import_signals_csv(
            &self,
            scope: &Scope,
            csv: String,
        ) -> Result<crate::signals::IngestReport, AppError>;

        // Settings → Signals & matching: account matching.
        async fn matching(&self, scope: &Scope) -> Result<crate::matching::MatchingView, AppError>;
        async fn link_company(
            &self,
            scope: &Scope,
            source: String,
            external_id: String,
            account_id: i64,
        ) -> Result<(), AppError>;
        async fn unlink_company(
            &self,
            scope: &Scope,
            account_id: i64,
            source: String,
            external_id: String,
        ) -> Result<(), AppError>;
        /// Merges one account into another; returns the merge's id, for undo.
        async fn merge_accounts(&self, scope: &Scope, keep_id: i64, merge_id: i64) -> Result<i64, AppError>;
        /// Undoes a merge; returns the restored account's id.
        async fn undo_merge(&self, scope: &Scope, merge: i64) -> Result<i64, AppError>;
    }

    pub type SharedData = Arc<dyn SuccessData>;

    fn context() -> Result<(SharedData, http::request::Parts), AppError> {
        let data = use_context::<SharedData>()
            .ok_or_else(|| AppError::Internal("data service missing from context".into()))?;
        let parts = use_context::<http::request::Parts>()
            .ok_or_else(|| AppError::Internal("request missing from context".into()))?;
        Ok((data, parts))
    }

    /// Runs a server function body for a caller that meets `need`, and sets the HTTP status of
    /// any error so API clients see 401/403/404 too.
    pub async fn call<T, F, Fut>(need: Need, body: F) -> Result<T, AppError>
    where
        F: FnOnce(SharedData, Scope) -> Fut,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        let result = async {
            let (data, parts) = context()?;
            let caller = data.caller(&parts).await?;
            let scope = authorize(caller, need)?;
            body(data, scope).await
        }
        .await;
        with_status(result)
    }

    /// Runs a server function body that checks its own preconditions (sign-in, sign-up, display links).
    pub async fn call_open<T, F, Fut>(body: F) -> Result<T, AppError>
    where
        F: FnOnce(SharedData, http::request::Parts) -> Fut,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        let result = async {
            let (data, parts) = context()?;
            body(data, parts).await
        }
        .await;
        with_status(result)
    }

    /// Sets cookies from a sign-in and sends the browser on (a 302 without JavaScript, a client
    /// navigation with it).
    pub fn finish_sign_in(signed_in: SignedIn, next: &str) {
        let next = signed_in.next.clone().unwrap_or_else(|| next.to_string());
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
            for cookie in signed_in.set_cookies {
                if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                    options.append_header(http::header::SET_COOKIE, value);
                }
            }
        }
        leptos_axum::redirect(&next);
    }

    pub fn status_of(err: &AppError) -> http::StatusCode {
        use http::StatusCode as S;
        match err {
            AppError::Unauthorized => S::UNAUTHORIZED,
            AppError::Forbidden(_) => S::FORBIDDEN,
            AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Invalid(_) | AppError::Fields(_) => S::BAD_REQUEST,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::RateLimited(_) => S::TOO_MANY_REQUESTS,
            AppError::Internal(_) | AppError::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(err) = &result {
            if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
                options.set_status(status_of(err));
            }
        }
        result
    }
}

// ---- Session, sign-in, sign-up ------------------------------------------------------------

/// Who is signed in (if anyone), whether the demo is on screen, whether setup is needed.
#[server(prefix = "/api/fn", endpoint = "current_viewer")]
pub async fn current_viewer() -> Result<Viewer, AppError> {
    port::call_open(|d, parts| async move { d.viewer(&parts).await }).await
}

/// First start: creates the workspace and its owner, then signs the owner in.
#[server(prefix = "/api/fn", endpoint = "setup_workspace")]
pub async fn setup_workspace(
    #[server(default)] setup_token: String,
    workspace_name: String,
    name: String,
    email: String,
    password: String,
    #[server(default)] sample_data: Option<String>,
) -> Result<(), AppError> {
    let signed_in = port::call_open(|d, parts| async move {
        d.setup_workspace(
            &parts,
            setup_token,
            workspace_name,
            name,
            email,
            password,
            sample_data.is_some(),
        )
        .await
    })
    .await?;
    port::finish_sign_in(signed_in, "/health");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, #[server(default)] next: String) -> Result<(), AppError> {
    let signed_in = port::call_open(|d, parts| async move { d.sign_in(&parts, email, password).await }).await?;
    port::finish_sign_in(signed_in, &crate::access::local_next(&next));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let signed_out = port::call_open(|d, parts| async move { d.sign_out(&parts).await }).await?;
    port::finish_sign_in(signed_out, "/sign-in");
    Ok(())
}

/// Self sign-up (email at an allowed domain: `Some(message)`, the account waits for the emailed
/// link) or sign-up through an invitation link (`None`: signed in and sent on).
#[server(prefix = "/api/fn", endpoint = "sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    #[server(default)] invite: String,
) -> Result<Option<String>, AppError> {
    let invite = Some(invite).filter(|i| !i.is_empty());
    let signed_up =
        port::call_open(|d, parts| async move { d.sign_up(&parts, name, email, password, invite).await }).await?;
    match signed_up {
        port::SignedUp::SignedIn(signed_in) => {
            port::finish_sign_in(signed_in, "/health");
            Ok(None)
        }
        port::SignedUp::CheckInbox(message) => Ok(Some(message)),
    }
}

#[server(prefix = "/api/fn", endpoint = "invitation_details")]
pub async fn invitation_details(token: String) -> Result<InvitationInfo, AppError> {
    port::call_open(|d, _| async move { d.invitation_info(token).await }).await
}

// ---- /success-unlock -----------------------------------------------------------------------

#[server(prefix = "/api/fn", endpoint = "my_access_request")]
pub async fn my_access_request() -> Result<Option<AccessRequestRow>, AppError> {
    port::call(Need::SignedIn, |d, s| async move { d.my_access_request(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "request_access")]
pub async fn request_access(team: String, role_wanted: String, reason: String) -> Result<AccessRequestRow, AppError> {
    port::call(Need::SignedIn, |d, s| async move {
        d.request_access(&s, team, role_wanted, reason).await
    })
    .await
}

// ---- Settings → Access ---------------------------------------------------------------------

#[server(prefix = "/api/fn", endpoint = "access_settings")]
pub async fn access_settings() -> Result<AccessOverview, AppError> {
    port::call(Need::Manage, |d, s| async move { d.access_overview(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "decide_access_request")]
pub async fn decide_access_request(
    request_id: i64,
    approve: bool,
    role: Option<Role>,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.decide_access_request(&s, request_id, approve, role, reason).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_access")]
pub async fn revoke_access(user_id: i64, #[server(default)] reason: String) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.revoke_access(&s, user_id, reason).await
    })
    .await
}

/// Grants Success to a member directly (no request needed), with a role.
#[server(prefix = "/api/fn", endpoint = "grant_access")]
pub async fn grant_access(user_id: i64, role: Role) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.grant_access(&s, user_id, role).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "change_role")]
pub async fn change_role(user_id: i64, role: Role) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.change_role(&s, user_id, role).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "create_invitation")]
pub async fn create_invitation(email: String, role: Role) -> Result<CreatedLink, AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.create_invitation(&s, email, role).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(invitation_id: i64) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.revoke_invitation(&s, invitation_id).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "create_display_link")]
pub async fn create_display_link(name: String, expires_in_days: Option<u32>) -> Result<CreatedLink, AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.create_display_link(&s, name, expires_in_days).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_display_link")]
pub async fn revoke_display_link(link_id: i64) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.revoke_display_link(&s, link_id).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "set_allowed_domains")]
pub async fn set_allowed_domains(domains: String) -> Result<Vec<String>, AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.set_allowed_domains(&s, domains).await },
    )
    .await
}

// ---- Office screens ------------------------------------------------------------------------

/// The only server function a display link can open; it takes the link's token, not a session.
#[server(prefix = "/api/fn", endpoint = "office_dashboard")]
pub async fn office_dashboard(token: String) -> Result<TvDashboard, AppError> {
    port::call_open(|d, _| async move { d.tv_dashboard(token).await }).await
}

// ---- Success pages -------------------------------------------------------------------------

#[server(prefix = "/api/fn", endpoint = "current_workspace")]
pub async fn current_workspace() -> Result<WorkspaceInfo, AppError> {
    port::call(Need::Read, |_, s| async move { Ok(s.workspace) }).await
}

#[server(prefix = "/api/fn", endpoint = "health_summary")]
pub async fn health_summary() -> Result<model::HealthSummary, AppError> {
    port::call(Need::Read, |d, s| async move { d.health_summary(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "health_queue")]
pub async fn health_queue(query: ListQuery) -> Result<Page<AccountRow>, AppError> {
    port::call(Need::Read, |d, s| async move { d.health_queue(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "account_detail")]
pub async fn account_detail(account_id: i64) -> Result<model::AccountDetail, AppError> {
    port::call(Need::Read, |d, s| async move { d.account_detail(&s, account_id).await }).await
}

#[server(prefix = "/api/fn", endpoint = "convert_queue")]
pub async fn convert_queue(query: ListQuery) -> Result<ConvertView, AppError> {
    port::call(Need::Read, |d, s| async move { d.convert_queue(&s, query).await }).await
}

/// Convert's "Sync from Salesbricks + Stripe" (CSMs may: it only reads from the vendors).
#[server(prefix = "/api/fn", endpoint = "sync_billing")]
pub async fn sync_billing() -> Result<Vec<i64>, AppError> {
    port::call(Need::Operate, |d, s| async move { d.sync_billing(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "contracts")]
pub async fn contracts(query: ListQuery) -> Result<ContractsView, AppError> {
    port::call(Need::Read, |d, s| async move { d.contracts(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "contract_invoices")]
pub async fn contract_invoices(revenue_source_id: i64) -> Result<Vec<InvoiceRow>, AppError> {
    port::call(Need::Read, |d, s| async move {
        d.contract_invoices(&s, revenue_source_id).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "pipeline")]
pub async fn pipeline(query: ListQuery) -> Result<PipelineView, AppError> {
    port::call(Need::Read, |d, s| async move { d.pipeline(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "reengage")]
pub async fn reengage(query: ListQuery) -> Result<ReengageView, AppError> {
    port::call(Need::Read, |d, s| async move { d.reengage(&s, query).await }).await
}

/// What a CSM can do about a loss on Re-engage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossAction {
    MarkContacted,
    /// Hide it for this many days (1–365).
    Snooze(u32),
    /// They are coming back: a win-back deal opens in Pipeline.
    WonBack,
    /// Back to the queue as if untouched.
    Reopen,
}

#[server(prefix = "/api/fn", endpoint = "winback_action")]
pub async fn winback_action(winback_id: i64, action: LossAction) -> Result<String, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.winback_action(&s, winback_id, action).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "close_the_loop")]
pub async fn close_the_loop(query: ListQuery) -> Result<cl::CloseTheLoopView, AppError> {
    port::call(Need::Read, |d, s| async move { d.close_the_loop(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "account_loop")]
pub async fn account_loop(account_id: i64) -> Result<cl::AccountLoop, AppError> {
    port::call(Need::Read, |d, s| async move { d.account_loop(&s, account_id).await }).await
}

/// Confirms (or rejects, for good) a proposed (request, release item) match.
#[server(prefix = "/api/fn", endpoint = "decide_match")]
pub async fn decide_match(request_id: i64, item_id: i64, confirm: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.decide_match(&s, request_id, item_id, confirm).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "add_feature_request")]
pub async fn add_feature_request(form: cl::FeatureRequestForm) -> Result<i64, AppError> {
    port::call(
        Need::Operate,
        |d, s| async move { d.add_feature_request(&s, form).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "email_draft")]
pub async fn email_draft(request_id: i64, item_id: i64, contact_id: Option<i64>) -> Result<cl::EmailDraft, AppError> {
    port::call(Need::Read, |d, s| async move {
        d.email_draft(&s, request_id, item_id, contact_id).await
    })
    .await
}

/// Queues the "we shipped your request" email, as edited; queueing it twice finds the same email.
#[server(prefix = "/api/fn", endpoint = "queue_email")]
pub async fn queue_email(
    request_id: i64,
    item_id: i64,
    contact_id: Option<i64>,
    subject: String,
    body: String,
) -> Result<cl::OutboxRow, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.queue_email(&s, request_id, item_id, contact_id, subject, body).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "queue_all_confirmed")]
pub async fn queue_all_confirmed() -> Result<String, AppError> {
    port::call(Need::Operate, |d, s| async move { d.queue_all_confirmed(&s).await }).await
}

/// For an email in doubt: it did arrive (`arrived`), or send it again.
#[server(prefix = "/api/fn", endpoint = "resolve_email")]
pub async fn resolve_email(outbox_id: i64, arrived: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.resolve_email(&s, outbox_id, arrived).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "email_settings")]
pub async fn email_settings() -> Result<cl::EmailSettingsView, AppError> {
    port::call(Need::Manage, |d, s| async move { d.email_settings(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "save_email_settings")]
pub async fn save_email_settings(form: cl::EmailSettingsForm) -> Result<cl::EmailSettingsView, AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.save_email_settings(&s, form).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "test_email")]
pub async fn test_email(to: String) -> Result<String, AppError> {
    port::call(Need::Manage, |d, s| async move { d.test_email(&s, to).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_contact_opt_out")]
pub async fn set_contact_opt_out(contact_id: i64, opted_out: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.set_contact_opt_out(&s, contact_id, opted_out).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "rematch")]
pub async fn rematch() -> Result<String, AppError> {
    port::call(Need::Operate, |d, s| async move { d.rematch(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "settings")]
pub async fn settings() -> Result<SettingsView, AppError> {
    port::call(Need::Read, |d, s| async move { d.settings(&s).await }).await
}

/// Moves a deal to another stage; `version` is the version the mover saw, so a stale move is refused.
#[server(prefix = "/api/fn", endpoint = "pipeline_board")]
pub async fn pipeline_board(query: ListQuery) -> Result<KanbanBoard, AppError> {
    port::call(Need::Read, |d, s| async move { d.pipeline_board(&s, query).await }).await
}

#[server(prefix = "/api/fn", endpoint = "pipeline_settings")]
pub async fn pipeline_settings() -> Result<model::PipelineSettings, AppError> {
    port::call(Need::Read, |d, s| async move { d.pipeline_settings(&s).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_stage_order")]
pub async fn set_stage_order(order: String) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move { d.set_stage_order(&s, order).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_pipeline_source")]
pub async fn set_pipeline_source(source: String) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.set_pipeline_source(&s, source).await },
    )
    .await
}

#[server(prefix = "/api/fn", endpoint = "move_deal")]
pub async fn move_deal(deal_id: i64, stage: String, version: i64, before: Option<i64>) -> Result<DealRow, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.move_deal(&s, deal_id, stage, version, before).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(id: i64, demo: bool) -> WorkspaceInfo {
        WorkspaceInfo {
            id,
            name: format!("ws{id}"),
            is_demo: demo,
            currency: "USD".into(),
            connected_integrations: 0,
            holds_accounts: false,
            pipeline_source: "all".into(),
        }
    }

    fn member(role: Role, flag: bool) -> Option<(WorkspaceInfo, Member)> {
        Some((
            ws(1, false),
            Member {
                user_id: 7,
                name: "Ada".into(),
                email: "ada@acme.test".into(),
                role,
                has_success: flag,
            },
        ))
    }

    fn status(caller: Caller, need: Need) -> &'static str {
        match authorize(caller, need) {
            Ok(_) => "ok",
            Err(AppError::Unauthorized) => "401",
            Err(AppError::Forbidden(_)) => "403",
            Err(_) => "other",
        }
    }

    #[test]
    fn authorization_follows_session_flag_role_and_demo() {
        let anon = Caller::default;
        let m = |role, flag| Caller {
            member: member(role, flag),
            demo: None,
        };
        let demo_only = || Caller {
            member: None,
            demo: Some(ws(9, true)),
        };
        let demo_admin = || Caller {
            member: member(Role::Admin, true),
            demo: Some(ws(9, true)),
        };
        let table = [
            (anon(), Need::SignedIn, "401"),
            (anon(), Need::Read, "401"),
            (anon(), Need::Manage, "401"),
            (m(Role::Viewer, false), Need::SignedIn, "ok"),
            (m(Role::Admin, false), Need::Read, "403"),
            (m(Role::Viewer, true), Need::Read, "ok"),
            (m(Role::Viewer, true), Need::Operate, "403"),
            (m(Role::Csm, true), Need::Operate, "ok"),
            (m(Role::Csm, true), Need::Manage, "403"),
            (m(Role::Admin, true), Need::Manage, "ok"),
            (m(Role::Owner, true), Need::Manage, "ok"),
            (demo_only(), Need::Read, "ok"),
            (demo_only(), Need::Operate, "401"),
            (demo_admin(), Need::Operate, "403"),
            (demo_admin(), Need::Manage, "403"),
        ];
        for (caller, need, want) in table {
            let desc = format!("{caller:?} {need:?}");
            assert_eq!(status(caller, need), want, "{desc}");
        }
        // The demo preview reads the demo workspace, never the member's.
        assert_eq!(authorize(demo_admin(), Need::Read).unwrap().workspace.id, 9);
        assert!(authorize(demo_only(), Need::Read).unwrap().member.is_none());
    }
}

/// Rescores every account of the workspace now (admins; it also runs on a schedule and after syncs).
#[server(prefix = "/api/fn", endpoint = "rescore_now")]
pub async fn rescore_now() -> Result<u64, AppError> {
    port::call(Need::Manage, |d, s| async move { d.rescore_now(&s).await }).await
}

/// Sends an account to another workflow page (into Pipeline it opens an expansion deal).
#[server(prefix = "/api/fn", endpoint = "route_account")]
pub async fn route_account(
    account_id: i64,
    from_page: RoutePage,
    to_page: RoutePage,
    #[server(default)] note: String,
) -> Result<RouteRow, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.route_account(&s, account_id, from_page, to_page, note).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "dismiss_route")]
pub async fn dismiss_route(route_id: i64) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move { d.dismiss_route(&s, route_id).await }).await
}

/// Accounts routed to a page and not yet dismissed, for the top of that page.
#[server(prefix = "/api/fn", endpoint = "routed_to")]
pub async fn routed_to(page: RoutePage) -> Result<Vec<RouteRow>, AppError> {
    port::call(Need::Read, |d, s| async move { d.routed_to(&s, page).await }).await
}

#[server(prefix = "/api/fn", endpoint = "set_tracked")]
pub async fn set_tracked(account_id: i64, tracked: bool) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.set_tracked(&s, account_id, tracked).await
    })
    .await
}

/// Sets a CSM's band for an account, with a reason and the last day it applies (audited).
#[server(prefix = "/api/fn", endpoint = "override_band")]
pub async fn override_band(
    account_id: i64,
    band: crate::scoring::Band,
    #[server(default)] reason: String,
    #[server(default)] expires_on: String,
) -> Result<model::BandOverride, AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.override_band(&s, account_id, band, reason, expires_on).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "clear_band_override")]
pub async fn clear_band_override(account_id: i64) -> Result<(), AppError> {
    port::call(Need::Operate, |d, s| async move {
        d.clear_band_override(&s, account_id).await
    })
    .await
}

/// Settings → Scoring: the scorecard and the accounts' inputs for the live preview.
#[server(prefix = "/api/fn", endpoint = "scoring_settings")]
pub async fn scoring_settings() -> Result<model::ScoringView, AppError> {
    port::call(Need::Read, |d, s| async move { d.scoring(&s).await }).await
}

/// Saves a scorecard (sent as JSON text) and rescores the workspace; returns the accounts changed.
#[server(prefix = "/api/fn", endpoint = "save_scorecard")]
pub async fn save_scorecard(card_json: String) -> Result<u64, AppError> {
    port::call(Need::Manage, |d, s| async move {
        let card: crate::scoring::Scorecard = serde_json::from_str(&card_json)
            .map_err(|e| AppError::Invalid(format!("The scorecard was not understood: {e}")))?;
        d.save_scorecard(&s, card).await
    })
    .await
}

// ---- Settings → Integrations ----------------------------------------------------------------

/// Connects (or reconnects) an integration: the credentials are tested first and stored only
/// when the vendor accepts them. Returns what the vendor said.
#[server(prefix = "/api/fn", endpoint = "connect_integration")]
pub async fn connect_integration(
    kind: IntegrationKind,
    #[server(default)] credential: String,
    #[server(default)] base_url: String,
    #[server(default)] schedule_minutes: Option<u32>,
    #[server(default)] webhook_secret: String,
    #[server(default)] target: String,
) -> Result<String, AppError> {
    let setup = crate::integrations::IntegrationSetup {
        credential,
        base_url,
        schedule_minutes: schedule_minutes.unwrap_or(crate::integrations::SCHEDULE_DEFAULT),
        webhook_secret,
        target,
    };
    port::call(Need::Manage, |d, s| async move {
        d.connect_integration(&s, kind, setup).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "test_integration")]
pub async fn test_integration(kind: IntegrationKind) -> Result<String, AppError> {
    port::call(Need::Manage, |d, s| async move { d.test_integration(&s, kind).await }).await
}

#[server(prefix = "/api/fn", endpoint = "disconnect_integration")]
pub async fn disconnect_integration(kind: IntegrationKind) -> Result<(), AppError> {
    port::call(
        Need::Manage,
        |d, s| async move { d.disconnect_integration(&s, kind).await },
    )
    .await
}

/// Starts a sync now (CSMs may too: it only reads from the vendor).
#[server(prefix = "/api/fn", endpoint = "sync_integration")]
pub async fn sync_integration(kind: IntegrationKind) -> Result<i64, AppError> {
    port::call(Need::Operate, |d, s| async move { d.sync_integration(&s, kind).await }).await
}

#[server(prefix = "/api/fn", endpoint = "sync_run_errors")]
pub async fn sync_run_errors(run_id: i64) -> Result<crate::integrations::RunProblems, AppError> {
    port::call(Need::Read, |d, s| async move { d.sync_run_errors(&s, run_id).await }).await
}

/// Sets the rate of one currency into the workspace currency ("1.08"); syncs price with it from then on.
#[server(prefix = "/api/fn", endpoint = "set_exchange_rate")]
pub async fn set_exchange_rate(
    #[server(default)] currency: String,
    #[server(default)] rate: String,
) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.set_exchange_rate(&s, currency, rate).await
    })
    .await
}

// ---- Signals in -------------------------------------------------------------------------------

/// Creates a workspace API token for `POST /api/v1/signals`; the token is returned only now.
#[server(prefix = "/api/fn", endpoint = "create_api_token")]
pub async fn create_api_token(#[server(default)] name: String) -> Result<String, AppError> {
    port::call(Need::Manage, |d, s| async move { d.create_api_token(&s, name).await }).await
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move { d.revoke_api_token(&s, id).await }).await
}

/// Checks a CSV of signals row by row and says what an import would do, writing nothing.
#[server(prefix = "/api/fn", endpoint = "preview_signals_csv")]
pub async fn preview_signals_csv(#[server(default)] csv: String) -> Result<crate::signals::ImportPreview, AppError> {
    port::call(
        Need::Operate,
        |d, s| async move { d.preview_signals_csv(&s, csv).await },
    )
    .await
}

/// Imports the CSV's valid rows (bad rows are reported and left out).
#[server(prefix = "/api/fn", endpoint = "import_signals_csv")]
pub async fn import_signals_csv(#[server(default)] csv: String) -> Result<crate::signals::IngestReport, AppError> {
    port::call(Need::Operate, |d, s| async move { d.import_signals_csv(&s, csv).await }).await
}

// ---- Settings → Signals & matching: account matching ----------------------------------------

#[server(prefix = "/api/fn", endpoint = "matching")]
pub async fn matching() -> Result<crate::matching::MatchingView, AppError> {
    port::call(Need::Read, |d, s| async move { d.matching(&s).await }).await
}

/// Links a vendor company that matched nothing to an account.
#[server(prefix = "/api/fn", endpoint = "link_company")]
pub async fn link_company(source: String, external_id: String, account_id: i64) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.link_company(&s, source, external_id, account_id).await
    })
    .await
}

/// Undoes a wrong match: the vendor id goes back to the unmatched list.
#[server(prefix = "/api/fn", endpoint = "unlink_company")]
pub async fn unlink_company(account_id: i64, source: String, external_id: String) -> Result<(), AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.unlink_company(&s, account_id, source, external_id).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "merge_accounts")]
pub async fn merge_accounts(keep_id: i64, merge_id: i64) -> Result<i64, AppError> {
    port::call(Need::Manage, |d, s| async move {
        d.merge_accounts(&s, keep_id, merge_id).await
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "undo_merge")]
pub async fn undo_merge(merge: i64) -> Result<i64, AppError> {
    port::call(Need::Manage, |d, s| async move { d.undo_merge(&s, merge).await }).await
}
