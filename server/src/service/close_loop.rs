//! Close the Loop: requests, matches, the emails that tell customers and their settings.

use super::{field_error, Data};
use app::api::port::CloseLoopPort;
use app::api::{AppError, Scope};
use app::close_loop as cl;
use app::live::LiveEvent;
use app::model::ListQuery;

#[async_trait::async_trait]
impl CloseLoopPort for Data {
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
}
