//! The outbox sender: every queued email is handed to the SMTP server at most once.
//!
//! States (column `outbox.state`):
//! - `queued`: waiting; nothing has been sent. Safe to send.
//! - `sending`: a sender claimed it (conditional update, so one sender per row) and is talking to
//!   the SMTP server. Set and committed *before* the first byte goes out.
//! - `sent`: the server accepted it (250 after the message) and that was committed.
//! - `failed`: the server refused it for good (5xx), the address or setup is wrong, the contact
//!   opted out, or it was not reachable five times. Nothing was delivered.
//! - `unknown`: the sender stopped (crash, kill, lost connection mid-message) after claiming it,
//!   so the server may have it. It is never sent again on its own: a person checks and marks it
//!   sent, or sends it again.
//!
//! Just before the message's bytes go out, `handed_at` is committed. A sender that stops before
//! that never reached the server: after the lease its claim goes back to `queued` and the email is
//! sent once. A sender that stops after it (including between the server's acceptance and the
//! commit of `sent`) leaves a row that becomes `unknown`, never `queued` — so no second email.
//! Crash points, tested with a real SMTP server: `SUCCESS_CRASH_AT=outbox:claimed|outbox:handed|
//! outbox:accepted|outbox:finished`.

use super::email::{self, Outcome, Outgoing, Session, SmtpSettings};
use crate::service::Data;
use app::close_loop::OutboxState;
use app::live::LiveEvent;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// Give up after this many tries when the server cannot be reached.
const MAX_ATTEMPTS: i64 = 5;

/// How long a claim lasts before its sender counts as gone. Longer than any SMTP exchange.
pub fn lease() -> chrono::Duration {
    chrono::Duration::seconds(crate::config::current().outbox_lease_seconds as i64)
}

use crate::jobs::crash_point;

/// The workspace's SMTP settings with the password opened.
pub async fn smtp_settings(data: &Data, ws: i64) -> Result<Option<SmtpSettings>, String> {
    let Some(s) = data.store.email_settings(ws).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let password = match &s.password_sealed {
        Some(sealed) => Some(
            data.secrets
                .open(sealed, &password_context(ws))
                .map_err(|e| format!("the stored SMTP password cannot be opened: {e}"))?,
        ),
        None => None,
    };
    Ok(Some(SmtpSettings {
        host: s.host,
        port: s.port,
        security: s.security,
        username: s.username,
        password,
        from_address: s.from_address,
        from_name: s.from_name,
        reply_to: s.reply_to,
        allow_private_network: data.auth.allow_private_network,
    }))
}

/// What the SMTP password is sealed to, so a sealed value cannot be moved to another workspace.
pub fn password_context(ws: i64) -> String {
    format!("email-settings:{ws}")
}

/// Claims and sends the next due email, if any; returns its new state.
pub async fn deliver_next(data: &Data) -> Result<Option<(i64, OutboxState)>, String> {
    let now = data.clock.now();
    let Some(email) = data
        .store
        .claim_email(now, &data.replica)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    crash_point("outbox:claimed");
    let store = &data.store;
    let finish = |state: OutboxState, error: Option<String>| async move {
        store
            .finish_email(email.id, state, error.as_deref(), data.clock.now())
            .await
            .map_err(|e| e.to_string())
    };
    if store
        .contact_opted_out(email.contact_id)
        .await
        .map_err(|e| e.to_string())?
    {
        finish(
            OutboxState::Failed,
            Some(format!(
                "Not sent: {} opted out of email after it was queued.",
                email.to_name
            )),
        )
        .await?;
        return Ok(Some(after(data, &email, OutboxState::Failed)));
    }
    let settings = match smtp_settings(data, email.workspace_id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            finish(
                OutboxState::Failed,
                Some("Not sent: email is not set up (Settings → Email).".into()),
            )
            .await?;
            return Ok(Some(after(data, &email, OutboxState::Failed)));
        }
        Err(e) => {
            finish(OutboxState::Failed, Some(format!("Not sent: {e}."))).await?;
            return Ok(Some(after(data, &email, OutboxState::Failed)));
        }
    };
    let outgoing = Outgoing {
        to_name: email.to_name.clone(),
        to_address: email.to_address.clone(),
        subject: email.subject.clone(),
        text: email.text_body.clone(),
        html: email.html_body.clone(),
        message_id: email.message_id.clone(),
    };
    let message = match email::build(&settings, &outgoing) {
        Ok(m) => m,
        Err(e) => {
            finish(OutboxState::Failed, Some(format!("Not sent: {e}."))).await?;
            return Ok(Some(after(data, &email, OutboxState::Failed)));
        }
    };
    let outcome = match Session::open(&settings).await {
        Ok(session) => {
            store
                .mark_handed(email.id, data.clock.now())
                .await
                .map_err(|e| e.to_string())?;
            crash_point("outbox:handed");
            session.send(&message).await
        }
        Err(outcome) => outcome,
    };
    let state = match outcome {
        Outcome::Accepted(_) => {
            crash_point("outbox:accepted");
            finish(OutboxState::Sent, None).await?;
            crash_point("outbox:finished");
            OutboxState::Sent
        }
        Outcome::RetryLater(e) if email.attempts < MAX_ATTEMPTS => {
            let wait = chrono::Duration::seconds(30i64 << email.attempts.clamp(0, 6));
            store
                .retry_email_later(
                    email.id,
                    &format!("Will try again: {e} (attempt {} of {MAX_ATTEMPTS}).", email.attempts),
                    data.clock.now() + wait,
                )
                .await
                .map_err(|e| e.to_string())?;
            OutboxState::Queued
        }
        Outcome::RetryLater(e) => {
            finish(
                OutboxState::Failed,
                Some(format!("Not sent after {MAX_ATTEMPTS} tries: {e}.")),
            )
            .await?;
            OutboxState::Failed
        }
        Outcome::Refused(e) => {
            finish(OutboxState::Failed, Some(format!("Not sent: {e}."))).await?;
            OutboxState::Failed
        }
        Outcome::InDoubt(e) => {
            finish(
                OutboxState::Unknown,
                Some(format!(
                    "The connection broke while the SMTP server was receiving this email ({e}), so it may have arrived. \
                     Check, then mark it sent or send it again."
                )),
            )
            .await?;
            OutboxState::Unknown
        }
    };
    Ok(Some(after(data, &email, state)))
}

fn after(data: &Data, email: &crate::store::close_loop::ClaimedEmail, state: OutboxState) -> (i64, OutboxState) {
    data.changed(
        email.workspace_id,
        LiveEvent::LoopChanged {
            account_id: email.account_id,
        },
    );
    (email.id, state)
}

/// Claims whose sender is gone: back to `queued` when the message never left, else `unknown`.
pub async fn expire_stale_claims(data: &Data, now: DateTime<Utc>) -> Result<usize, String> {
    let expired = data
        .store
        .expire_sending(now - lease(), now)
        .await
        .map_err(|e| e.to_string())?;
    for (ws, account) in &expired {
        data.changed(*ws, LiveEvent::LoopChanged { account_id: *account });
    }
    Ok(expired.len())
}

/// Sends until nothing is due, then waits for a wake-up (something queued) or a second.
pub async fn drain(data: &Data) -> Result<usize, String> {
    expire_stale_claims(data, data.clock.now()).await?;
    let mut n = 0;
    while deliver_next(data).await?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// The background sender of a server process.
pub async fn run(data: Arc<Data>) {
    loop {
        if let Err(e) = drain(&data).await {
            tracing::error!(error = %e, "outbox sender");
        }
        tokio::select! {
            _ = data.outbox_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
