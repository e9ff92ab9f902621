//! The forms of Close the Loop and Settings → Email, and the checks an email passes before it is queued.

use super::{one_line, render, valid_email, MergeFields, SmtpSecurity};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What Settings → Email sends to save; an empty password keeps the stored one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailSettingsForm {
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub password: String,
    pub from_address: String,
    pub from_name: String,
    pub reply_to: String,
    pub signature: String,
    pub subject_template: String,
    pub body_template: String,
    pub per_minute: String,
}

/// A checked [`EmailSettingsForm`].
#[derive(Clone, Debug, PartialEq)]
pub struct ValidEmailSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from_address: String,
    pub from_name: String,
    pub reply_to: Option<String>,
    pub signature: String,
    pub subject_template: String,
    pub body_template: String,
    pub per_minute: u32,
}

impl EmailSettingsForm {
    /// Every field checked at once; errors by field name.
    pub fn validate(&self) -> Result<ValidEmailSettings, crate::access::FieldErrors> {
        let mut errors = crate::access::FieldErrors::default();
        let host = self.host.trim().to_ascii_lowercase();
        if host.is_empty()
            || host.len() > 253
            || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            errors.add("host", "Enter the SMTP server's host name, e.g. smtp.example.com.");
        }
        let port = self.port.trim().parse::<u16>().ok().filter(|p| *p > 0);
        if port.is_none() {
            errors.add(
                "port",
                "Enter a port between 1 and 65535 (587 for STARTTLS, 465 for TLS).",
            );
        }
        let security = SmtpSecurity::parse(self.security.trim());
        if security.is_none() {
            errors.add("security", "Choose STARTTLS, TLS or none.");
        }
        let username = self.username.trim();
        if !one_line(username) || username.len() > 320 {
            errors.add("username", "The user name must be one line.");
        }
        if !one_line(&self.password) || self.password.len() > 1000 {
            errors.add("password", "The password must be one line.");
        }
        let from_address = self.from_address.trim();
        if !valid_email(from_address) {
            errors.add(
                "from_address",
                "Enter the address emails come from, e.g. success@example.com.",
            );
        }
        let from_name = self.from_name.trim();
        if from_name.is_empty() || !one_line(from_name) || from_name.chars().count() > 100 {
            errors.add("from_name", "Enter the sender's name (one line, up to 100 characters).");
        }
        let reply_to = self.reply_to.trim();
        if !reply_to.is_empty() && !valid_email(reply_to) {
            errors.add("reply_to", "Enter one address, or leave it empty.");
        }
        if self.signature.chars().count() > 2000 {
            errors.add("signature", "Keep the signature under 2,000 characters.");
        }
        // The templates themselves must fit (their fields are filled per email).
        let fields = MergeFields::default();
        let subject = self.subject_template.trim();
        check_template(&mut errors, "subject_template", subject, &fields, Part::Subject, false);
        let body = self.body_template.trim();
        check_template(&mut errors, "body_template", body, &fields, Part::Body, false);
        let per_minute = self
            .per_minute
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=600).contains(n));
        if per_minute.is_none() {
            errors.add("per_minute", "Send between 1 and 600 emails a minute.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(port), Some(security), Some(per_minute)) = (port, security, per_minute) else {
            unreachable!("checked above")
        };
        Ok(ValidEmailSettings {
            host,
            port,
            security,
            username: Some(username.to_string()).filter(|u| !u.is_empty()),
            password: Some(self.password.clone()).filter(|p| !p.is_empty()),
            from_address: from_address.to_string(),
            from_name: from_name.to_string(),
            reply_to: Some(reply_to.to_string()).filter(|r| !r.is_empty()),
            signature: self.signature.trim_end().to_string(),
            subject_template: subject.to_string(),
            body_template: body.to_string(),
            per_minute,
        })
    }
}

/// A request entered by hand on Close the Loop.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureRequestForm {
    pub account_id: i64,
    pub contact_id: Option<i64>,
    pub project: String,
    pub quote: String,
    /// YYYY-MM-DD; empty means today.
    pub requested_on: String,
    pub source_link: String,
}

/// A checked [`FeatureRequestForm`].
#[derive(Clone, Debug, PartialEq)]
pub struct ValidFeatureRequest {
    pub account_id: i64,
    pub contact_id: Option<i64>,
    pub project: String,
    pub quote: String,
    pub requested_on: NaiveDate,
    pub source_link: Option<String>,
}

impl FeatureRequestForm {
    pub fn validate(&self, today: NaiveDate) -> Result<ValidFeatureRequest, crate::access::FieldErrors> {
        let mut errors = crate::access::FieldErrors::default();
        if self.account_id <= 0 {
            errors.add("account_id", "Choose the account that asked.");
        }
        let project = self.project.trim();
        if project.is_empty() || project.chars().count() > 60 || !one_line(project) {
            errors.add("project", "Name the product area (up to 60 characters), e.g. Security.");
        }
        let quote = self.quote.trim();
        if quote.chars().count() < 5 || quote.chars().count() > 2000 {
            errors.add(
                "quote",
                "Write what they asked for, in their words (5 to 2,000 characters).",
            );
        }
        let requested_on = if self.requested_on.trim().is_empty() {
            Some(today)
        } else {
            NaiveDate::parse_from_str(self.requested_on.trim(), "%Y-%m-%d").ok()
        };
        match requested_on {
            None => errors.add("requested_on", "Enter the date as YYYY-MM-DD."),
            Some(d) if d > today => errors.add("requested_on", "The date cannot be in the future."),
            _ => {}
        }
        let link = self.source_link.trim();
        if !link.is_empty()
            && (!(link.starts_with("https://") || link.starts_with("http://")) || link.len() > 500 || !one_line(link))
        {
            errors.add(
                "source_link",
                "Enter a web address starting with https://, or leave it empty.",
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidFeatureRequest {
            account_id: self.account_id,
            contact_id: self.contact_id,
            project: project.to_string(),
            quote: quote.to_string(),
            requested_on: requested_on.unwrap_or(today),
            source_link: Some(link.to_string()).filter(|l| !l.is_empty()),
        })
    }
}

/// Checks a CSM's edited email before it is queued; returns (subject, text) rendered.
pub fn check_email(
    subject: &str,
    body: &str,
    fields: &MergeFields,
) -> Result<(String, String), crate::access::FieldErrors> {
    let mut errors = crate::access::FieldErrors::default();
    let subject = check_template(&mut errors, "subject", subject.trim(), fields, Part::Subject, true);
    let body = check_template(&mut errors, "body", body.trim(), fields, Part::Body, true);
    match (subject, body) {
        (Some(s), Some(b)) if errors.is_empty() => Ok((s.trim().to_string(), b)),
        _ => Err(errors),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    Subject,
    Body,
}

/// Renders `template`, recording under `field` a template error or text that does not fit its
/// part: the rendered text when `rendered`, else the template itself.
fn check_template(
    errors: &mut crate::access::FieldErrors,
    field: &str,
    template: &str,
    fields: &MergeFields,
    part: Part,
    rendered: bool,
) -> Option<String> {
    let text = match render(template, fields) {
        Ok(text) => text,
        Err(e) => {
            errors.add(field, e.to_string());
            return None;
        }
    };
    let checked = if rendered { text.trim() } else { template };
    let fits = !checked.is_empty()
        && match part {
            Part::Subject => one_line(checked) && checked.chars().count() <= 200,
            Part::Body => checked.chars().count() <= 20_000,
        };
    if !fits {
        errors.add(
            field,
            match part {
                Part::Subject => "The subject must be one line of up to 200 characters.",
                Part::Body => "Write the email (up to 20,000 characters).",
            },
        );
        return None;
    }
    Some(text)
}
