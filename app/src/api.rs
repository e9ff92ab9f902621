//! Server function declarations. Each one is a thin adapter: it names what the caller needs
//! ([`Need`]), lets the server resolve and check the caller, and hands over to the server's
//! [`port::SuccessData`] implementation, which owns the store.
//!
//! The server functions and the part of the port they use live in one file per room ([`access`],
//! [`health`], [`customer`], [`convert`], [`contracts`], [`pipeline`], [`reengage`], [`close_loop`],
//! [`settings`], [`tv`]); everything is re-exported here, so `crate::api::health_queue` still works.

use crate::access::{FieldErrors, Need, Role};
use crate::model::WorkspaceInfo;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub mod access;
pub mod close_loop;
pub mod contracts;
pub mod convert;
pub mod customer;
pub mod health;
pub mod pipeline;
pub mod reengage;
pub mod settings;
pub mod tv;

pub use self::access::*;
pub use self::close_loop::*;
pub use self::contracts::*;
pub use self::convert::*;
pub use self::customer::*;
pub use self::health::*;
pub use self::pipeline::*;
pub use self::reengage::*;
pub use self::settings::*;
pub use self::tv::*;

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

/// What the server provides to server functions (through Leptos context).
#[cfg(feature = "ssr")]
pub mod port {
    use super::*;
    use crate::access::Viewer;
    use leptos::prelude::use_context;
    use std::sync::Arc;

    pub use super::access::AccessPort;
    pub use super::close_loop::CloseLoopPort;
    pub use super::contracts::ContractsPort;
    pub use super::convert::ConvertPort;
    pub use super::customer::CustomerPort;
    pub use super::health::HealthPort;
    pub use super::pipeline::PipelinePort;
    pub use super::reengage::ReengagePort;
    pub use super::settings::SettingsPort;
    pub use super::tv::TvPort;

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

    /// Everything the server provides: who is calling, and each room's port (declared in the
    /// room's file and re-exported here).
    #[async_trait::async_trait]
    pub trait SuccessData:
        AccessPort
        + HealthPort
        + CustomerPort
        + ConvertPort
        + ContractsPort
        + PipelinePort
        + ReengagePort
        + CloseLoopPort
        + SettingsPort
        + TvPort
        + Send
        + Sync
        + 'static
    {
        /// Finds the caller's session and demo preview choice; never fails for a missing session.
        async fn caller(&self, parts: &http::request::Parts) -> Result<Caller, AppError>;
        async fn viewer(&self, parts: &http::request::Parts) -> Result<Viewer, AppError>;
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

#[cfg(test)]
mod tests;
