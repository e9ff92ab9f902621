//! Access: roles, what a session may do, the views behind sign-in, /success-unlock and
//! Settings → Access, and the form validation shared by the browser and the server.

use crate::kit::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

string_enum!(
    /// A member's role in a workspace, from most to least powerful.
    Role {
        Owner => "owner" / "Owner",
        Admin => "admin" / "Admin",
        Csm => "csm" / "CSM",
        Viewer => "viewer" / "Viewer",
    }
);

impl Role {
    /// Roles a person may ask for, or an admin may grant (ownership is not handed out here).
    pub const GRANTABLE: &'static [Role] = &[Role::Viewer, Role::Csm, Role::Admin];

    /// Route accounts, move deals, send emails.
    pub fn can_operate(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Csm)
    }

    /// Manage access, integrations and scoring.
    pub fn can_manage(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// What a server function needs from the caller, checked on the server before anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A signed-in person; the `success` flag is not needed (the unlock page, the request form).
    SignedIn,
    /// The `success` flag (or the read-only demo preview).
    Read,
    /// The flag and a role of CSM or above; never in the demo preview.
    Operate,
    /// The flag and a role of admin or owner; never in the demo preview.
    Manage,
}

string_enum!(
    /// Where a person's request for Success stands.
    RequestStatus {
        Pending => "pending" / "Pending",
        Approved => "approved" / "Approved",
        Denied => "denied" / "Denied",
        Revoked => "revoked" / "Revoked",
    }
);

/// Who is looking at the screen; `None` from `session_info` means nobody is signed in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub workspace_name: String,
    pub role: Role,
    pub has_success: bool,
    /// Pending access requests, shown as a badge to admins (0 for everyone else).
    pub pending_requests: u32,
}

/// What the shell needs to decide which navigation and controls to show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub session: Option<SessionInfo>,
    /// The read-only Pied Piper preview is on screen.
    pub demo: bool,
    /// No workspace exists yet: the setup page is the way in.
    pub setup_needed: bool,
}

impl Viewer {
    pub fn can_operate(&self) -> bool {
        !self.demo
            && self
                .session
                .as_ref()
                .is_some_and(|s| s.has_success && s.role.can_operate())
    }
    pub fn can_manage(&self) -> bool {
        !self.demo
            && self
                .session
                .as_ref()
                .is_some_and(|s| s.has_success && s.role.can_manage())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessRequestRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub team: String,
    pub role_wanted: Role,
    pub reason: String,
    pub status: RequestStatus,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub has_success: bool,
    pub joined_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created_by: String,
    pub expires_at: String,
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisplayLinkRow {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_seen_at: Option<String>,
    pub revoked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Settings → Access.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessOverview {
    pub requests: Vec<AccessRequestRow>,
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
    pub display_links: Vec<DisplayLinkRow>,
    pub audit: Vec<AuditRow>,
    pub allowed_domains: Vec<String>,
}

/// A secret shown exactly once, right after it was made (invitation or display link).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedLink {
    pub id: i64,
    pub url_path: String,
}

/// The sign-up page's view of an invitation link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub workspace_name: String,
    pub email: String,
    pub role: Role,
}

/// Per-field messages, keyed by the form field's name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert_with(|| message.into());
    }
    pub fn get(&self, field: &str) -> Option<String> {
        self.0.get(field).cloned()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self.0.values().cloned().collect();
        f.write_str(&all.join(" "))
    }
}

pub const REASON_MIN: usize = 10;
pub const REASON_MAX: usize = 1_000;
pub const TEAM_MAX: usize = 80;
pub const NAME_MAX: usize = 120;
pub const PASSWORD_MIN: usize = 10;
/// RFC 5321's limit on a forward path.
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MAX: usize = 256;

/// A request for Success, as the form sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessRequestForm {
    pub team: String,
    pub role_wanted: Role,
    pub reason: String,
}

pub fn validate_access_request(team: &str, role_wanted: &str, reason: &str) -> Result<AccessRequestForm, FieldErrors> {
    let mut errors = FieldErrors::default();
    let team = team.trim();
    if team.is_empty() {
        errors.add("team", "Say which team you are on.");
    } else if team.chars().count() > TEAM_MAX {
        errors.add("team", format!("Keep the team name under {TEAM_MAX} characters."));
    }
    let role = Role::parse(role_wanted).filter(|r| Role::GRANTABLE.contains(r));
    if role.is_none() {
        errors.add("role_wanted", "Choose viewer, CSM or admin.");
    }
    let reason = reason.trim();
    let n = reason.chars().count();
    if n < REASON_MIN {
        errors.add(
            "reason",
            format!("Tell the admins why in at least {REASON_MIN} characters ({n} so far)."),
        );
    } else if n > REASON_MAX {
        errors.add(
            "reason",
            format!("Keep the reason under {REASON_MAX} characters ({n} now)."),
        );
    }
    errors.into_result(AccessRequestForm {
        team: team.to_string(),
        role_wanted: role.unwrap_or(Role::Viewer),
        reason: reason.to_string(),
    })
}

/// Lower-cases and checks an email address: one `@`, a dotted domain, no spaces or control characters.
/// ASCII addresses only (a domain in its `xn--` form): a Cyrillic "с" or a full-width letter
/// would otherwise make a second person who looks like the first.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim();
    if email.len() > EMAIL_MAX || !email.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let email = email.to_ascii_lowercase();
    let (local, domain) = email.split_once('@')?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    (!local.is_empty() && !domain.contains('@') && domain_ok).then_some(email)
}

/// The domain of an already normalised email address.
pub fn email_domain(email: &str) -> &str {
    email.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

pub fn normalize_domain(domain: &str) -> Option<String> {
    let d = domain.trim().trim_start_matches('@').to_lowercase();
    normalize_email(&format!("x@{d}")).map(|_| d)
}

/// Name, email and password of a new person (setup page, sign-up, the CLI).
pub fn validate_new_user(name: &str, email: &str, password: &str) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "Enter your name.");
    } else if name.chars().count() > NAME_MAX {
        errors.add("name", format!("Keep the name under {NAME_MAX} characters."));
    }
    let email = normalize_email(email);
    if email.is_none() {
        errors.add("email", "Enter an email address like ada@example.com.");
    }
    if let Some(problem) = password_problem(password) {
        errors.add("password", problem);
    }
    errors.into_result((name.to_string(), email.unwrap_or_default()))
}

pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Some(format!("Use at least {PASSWORD_MIN} characters."))
    } else if n > PASSWORD_MAX {
        Some(format!("Use at most {PASSWORD_MAX} characters."))
    } else if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        Some("Use more than one repeated character.".into())
    } else {
        None
    }
}

pub fn validate_workspace_name(name: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    if name.is_empty() {
        errors.add("workspace_name", "Name your workspace, e.g. your company.");
    } else if name.chars().count() > NAME_MAX {
        errors.add("workspace_name", format!("Keep it under {NAME_MAX} characters."));
    }
    errors.into_result(name.to_string())
}

/// Only local paths after sign-in, so `next` cannot send anyone to another site.
/// A path of printable ASCII only: a control character would break the `Location` header, and
/// browsers strip tabs and newlines (`/\t/evil` is `//evil`, another site).
pub fn local_next(next: &str) -> String {
    const NEXT_MAX: usize = 2_048;
    let printable = next.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if next.len() <= NEXT_MAX
        && printable
        && next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://")
    {
        next.to_string()
    } else {
        "/health".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_requests_are_checked_field_by_field() {
        let ok = validate_access_request(" Growth ", "csm", "I own the Q3 renewals list.").unwrap();
        assert_eq!(ok.team, "Growth");
        assert_eq!(ok.role_wanted, Role::Csm);
        let errors = validate_access_request("", "owner", "short").unwrap_err();
        assert!(errors.get("team").is_some());
        assert!(errors.get("role_wanted").is_some(), "ownership cannot be requested");
        assert_eq!(
            errors.get("reason").unwrap(),
            "Tell the admins why in at least 10 characters (5 so far)."
        );
        let long = "x".repeat(1_001);
        assert!(validate_access_request("Sales", "viewer", &long)
            .unwrap_err()
            .get("reason")
            .unwrap()
            .contains("under 1000"));
        assert!(validate_access_request("Sales", "viewer", &"y".repeat(1_000)).is_ok());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email(" Ada@Hooli.COM ").as_deref(), Some("ada@hooli.com"));
        for bad in [
            "",
            "ada",
            "ada@",
            "@hooli.com",
            "ada@hooli",
            "a da@hooli.com",
            "a@b@c.com",
            "a@.com",
            "a@x..com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
        assert_eq!(normalize_email("ada@hooli.com\r\nBcc: x@y.z"), None);
        // Look-alikes (a Cyrillic "с", full-width letters) are not another person.
        assert_eq!(normalize_email("\u{441}eo@acme.test"), None);
        assert_eq!(normalize_email("ceo@\u{ff41}cme.test"), None);
        assert_eq!(normalize_email(&format!("{}@acme.test", "a".repeat(1_500_000))), None);
        assert_eq!(email_domain("ada@hooli.com"), "hooli.com");
        assert_eq!(normalize_domain("@Hooli.com").as_deref(), Some("hooli.com"));
    }

    #[test]
    fn new_users_need_a_real_password() {
        assert!(validate_new_user("Ada", "ada@hooli.com", "correct horse").is_ok());
        let e = validate_new_user(" ", "nope", "short").unwrap_err();
        assert_eq!(e.0.len(), 3);
        assert!(password_problem("aaaaaaaaaaaa").is_some());
    }

    #[test]
    fn roles_order_what_they_may_do() {
        assert!(Role::Csm.can_operate() && !Role::Csm.can_manage());
        assert!(!Role::Viewer.can_operate());
        assert!(Role::Admin.can_manage() && Role::Owner.can_manage());
        assert!(!Role::GRANTABLE.contains(&Role::Owner));
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_next("/pipeline?view=table"), "/pipeline?view=table");
        assert_eq!(local_next("//evil.example"), "/health");
        assert_eq!(local_next("https://evil.example"), "/health");
        assert_eq!(local_next("/\\evil"), "/health");
        // Control characters would panic the redirect's header; a tab is stripped by browsers
        // (`/\t/evil.example` becomes `//evil.example`).
        for bad in [
            "/\n",
            "/\r\nSet-Cookie: x=1",
            "/\t/evil.example",
            "/\u{7f}",
            "/caf\u{e9}",
            "/ /x",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_next(bad), "/health", "{bad:?}");
        }
        assert_eq!(local_next(&format!("/{}", "a".repeat(3000))), "/health", "overlong");
    }
}
