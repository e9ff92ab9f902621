//! Handing one email to the workspace's SMTP server (lettre), and telling apart the ways it can
//! go wrong: before the server has the message it is safe to try again; once the message's bytes
//! are on the wire without an answer, nobody knows, and the outbox must not guess.

use app::close_loop::SmtpSecurity;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use std::time::Duration;

/// How long each SMTP step may take before the attempt is given up.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from_address: String,
    pub from_name: String,
    pub reply_to: Option<String>,
    /// Connect even when the host is a private or loopback address (the private-network guard).
    pub allow_private_network: bool,
}

#[derive(Clone, Debug)]
pub struct Outgoing {
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The server took it (its reply, e.g. "250 OK queued as …").
    Accepted(String),
    /// The server was not reached or said "not now" (4xx) before taking the message.
    RetryLater(String),
    /// The server refused it for good (5xx), or it could not be built; it was not sent.
    Refused(String),
    /// The connection broke while the message was being handed over: it may have arrived.
    InDoubt(String),
}

/// The message as it goes out: plain text and HTML alternatives, one recipient, headers checked
/// by lettre (a CR or LF in a header value is refused, so nothing can add headers).
pub fn build(settings: &SmtpSettings, email: &Outgoing) -> Result<Message, String> {
    let from = Mailbox::new(
        Some(settings.from_name.clone()),
        settings
            .from_address
            .parse()
            .map_err(|e| format!("the sender address is not valid: {e}"))?,
    );
    let to = Mailbox::new(
        Some(email.to_name.clone()).filter(|n| !n.is_empty()),
        email
            .to_address
            .parse()
            .map_err(|e| format!("{} is not a valid address: {e}", email.to_address))?,
    );
    if !app::close_loop::one_line(&email.subject) {
        return Err("the subject must be one line".into());
    }
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(email.message_id.clone()));
    if let Some(reply_to) = &settings.reply_to {
        builder = builder.reply_to(
            reply_to
                .parse()
                .map_err(|e| format!("the reply-to address is not valid: {e}"))?,
        );
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html.clone()),
                ),
        )
        .map_err(|e| format!("the email could not be built: {e}"))
}

fn tls(host: &str) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(host.to_string());
    // A private CA for a company relay (and the tests' self-signed server).
    if let Some(path) = &crate::config::current().smtp_ca_file {
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read SUCCESS_SMTP_CA_FILE {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(
            Certificate::from_pem(&pem).map_err(|e| format!("SUCCESS_SMTP_CA_FILE is not a PEM certificate: {e}"))?,
        );
    }
    builder.build().map_err(|e| format!("TLS setup failed: {e}"))
}

fn plain(e: &lettre::transport::smtp::Error) -> String {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("connection refused") {
        "the SMTP server refused the connection (is the host and port right, and is it running?)".into()
    } else if e.is_timeout() {
        "the SMTP server did not answer in time".into()
    } else if e.is_tls() || lower.contains("certificate") {
        format!("the secure connection failed: {text}")
    } else {
        text
    }
}

/// Opens an authenticated connection as the settings say. Nothing of the message is sent yet.
async fn connect(settings: &SmtpSettings) -> Result<AsyncSmtpConnection, Outcome> {
    let hello = ClientId::default();
    let wrapper = match settings.security {
        SmtpSecurity::Tls => Some(tls(&settings.host).map_err(Outcome::Refused)?),
        _ => None,
    };
    // The checked address itself is connected to, so a second lookup cannot swap in another;
    // TLS still verifies the certificate against the host name.
    let addr = crate::net_guard::resolve(&settings.host, settings.port, settings.allow_private_network)
        .await
        .map_err(Outcome::Refused)?;
    let mut conn = AsyncSmtpConnection::connect_tokio1(addr, Some(SMTP_TIMEOUT), &hello, wrapper, None)
        .await
        .map_err(|e| Outcome::RetryLater(plain(&e)))?;
    if settings.security == SmtpSecurity::StartTls {
        if !conn.can_starttls() {
            conn.abort().await;
            return Err(Outcome::Refused(
                "the SMTP server does not offer STARTTLS; choose TLS or ask for a server that encrypts".into(),
            ));
        }
        let params = tls(&settings.host).map_err(Outcome::Refused)?;
        conn.starttls(params, &hello)
            .await
            .map_err(|e| Outcome::RetryLater(plain(&e)))?;
    }
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        let credentials = Credentials::new(user.clone(), password.clone());
        if let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials).await {
            conn.abort().await;
            return Err(if e.is_permanent() || e.is_client() {
                Outcome::Refused(format!(
                    "the SMTP server refused the user name or password ({})",
                    plain(&e)
                ))
            } else {
                Outcome::RetryLater(plain(&e))
            });
        }
    }
    Ok(conn)
}

/// An open, authenticated SMTP connection, ready for one message.
pub struct Session(AsyncSmtpConnection);

impl Session {
    /// Connects, encrypts and signs in, all within [`SMTP_TIMEOUT`]: lettre's own timeout only
    /// covers the TCP connect, and a server that stops answering must not hold a sender forever.
    pub async fn open(settings: &SmtpSettings) -> Result<Session, Outcome> {
        match tokio::time::timeout(SMTP_TIMEOUT, connect(settings)).await {
            Ok(result) => result.map(Session),
            Err(_) => Err(Outcome::RetryLater("the SMTP server did not answer in time".into())),
        }
    }

    /// Hands the message over and closes the connection.
    pub async fn send(mut self, message: &Message) -> Outcome {
        let sent = tokio::time::timeout(SMTP_TIMEOUT, self.0.send(message.envelope(), &message.formatted())).await;
        let outcome = match sent {
            Ok(Ok(reply)) => Outcome::Accepted(reply.message().collect::<Vec<_>>().join(" ")),
            Ok(Err(e)) if e.is_transient() => Outcome::RetryLater(plain(&e)),
            Ok(Err(e)) if e.is_permanent() || e.is_client() => Outcome::Refused(plain(&e)),
            Ok(Err(e)) => Outcome::InDoubt(plain(&e)),
            Err(_) => {
                self.0.abort().await;
                return Outcome::InDoubt("the SMTP server stopped answering while receiving it".into());
            }
        };
        let _ = self.0.quit().await;
        outcome
    }
}

/// Sends one email over a fresh connection.
pub async fn deliver(settings: &SmtpSettings, email: &Outgoing) -> Outcome {
    let message = match build(settings, email) {
        Ok(m) => m,
        Err(e) => return Outcome::Refused(e),
    };
    match Session::open(settings).await {
        Ok(session) => session.send(&message).await,
        Err(outcome) => outcome,
    }
}

/// Settings → Email's "Send test email": the same path as every email, reported in plain words.
pub async fn test_send(settings: &SmtpSettings, to: &str) -> Result<String, String> {
    let email = Outgoing {
        to_name: String::new(),
        to_address: to.to_string(),
        subject: "Success test email".into(),
        text: "This is a test from Success. Email is set up: \"we shipped your request\" emails will go out this way."
            .into(),
        html: app::close_loop::text_to_html(
            "This is a test from Success. Email is set up: \"we shipped your request\" emails will go out this way.",
        ),
        message_id: format!(
            "<test-{}@success.local>",
            crate::auth::new_token().get(..16).unwrap_or("x")
        ),
    };
    match deliver(settings, &email).await {
        Outcome::Accepted(reply) => Ok(format!("Sent to {to}. The server said: {reply}")),
        Outcome::RetryLater(e) | Outcome::Refused(e) | Outcome::InDoubt(e) => Err(e),
    }
}
