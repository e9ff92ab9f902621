//! Authentication mechanics: password hashing (argon2id), random tokens and their digests,
//! cookies, session policy, the client's address and the cross-site request check.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

pub const SESSION_COOKIE: &str = "success_session";
pub const DEMO_COOKIE: &str = "success_demo";

/// How sessions, sign-in limits and cookies behave; read from the environment at start.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// A session unused for this long ends.
    pub idle: chrono::Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute: chrono::Duration,
    /// Sign-in attempts allowed per minute, per client address and per email.
    pub sign_ins_per_minute: i64,
    /// `https://success.example.com` when served behind TLS: cookies get `Secure`, and the
    /// cross-site check accepts this origin.
    pub public_origin: Option<String>,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_proxy: bool,
    /// Anyone may open the read-only Pied Piper preview, signed in or not.
    pub public_demo: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            idle: chrono::Duration::days(7),
            absolute: chrono::Duration::days(30),
            sign_ins_per_minute: 10,
            public_origin: None,
            trust_proxy: false,
            public_demo: true,
        }
    }
}

impl AuthConfig {
    pub fn from_env() -> Result<Self, String> {
        let mut c = AuthConfig::default();
        let flag = |name: &str, default: bool| match std::env::var(name).ok().as_deref() {
            None | Some("") => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(format!("{name} must be true or false, not {other:?}")),
        };
        if let Ok(url) = std::env::var("SUCCESS_PUBLIC_URL") {
            let url = url.trim_end_matches('/').to_string();
            let has_path = url.splitn(4, '/').nth(3).is_some();
            if !(url.starts_with("https://") || url.starts_with("http://")) || has_path {
                return Err(format!(
                    "SUCCESS_PUBLIC_URL must be an origin like https://success.example.com, not {url:?}"
                ));
            }
            c.public_origin = Some(url);
        }
        c.trust_proxy = flag("SUCCESS_TRUST_PROXY", false)?;
        c.public_demo = flag("SUCCESS_PUBLIC_DEMO", true)?;
        Ok(c)
    }

    pub fn secure_cookies(&self, headers: &HeaderMap) -> bool {
        self.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
            || (self.trust_proxy && headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https"))
    }

    pub fn session_cookie(&self, token: &str, headers: &HeaderMap) -> String {
        cookie(
            SESSION_COOKIE,
            token,
            self.absolute.num_seconds(),
            self.secure_cookies(headers),
        )
    }

    pub fn clear_cookie(&self, name: &str, headers: &HeaderMap) -> String {
        cookie(name, "", 0, self.secure_cookies(headers))
    }

    pub fn demo_cookie(&self, headers: &HeaderMap) -> String {
        cookie(DEMO_COOKIE, "1", 86_400, self.secure_cookies(headers))
    }

    /// The client's address for rate limiting.
    pub fn client_ip(&self, parts: &axum::http::request::Parts) -> String {
        if self.trust_proxy {
            if let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
            {
                return ip.trim().to_string();
            }
        }
        parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into())
    }
}

fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A fresh 256-bit random token, hex encoded (session ids, invitation and display links).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the database keeps of a token: its SHA-256, so a leaked table opens nothing.
pub fn token_digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Looks like one of our tokens; anything else is refused before touching the database.
pub fn plausible_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// argon2id with the crate's default (OWASP) parameters; runs off the async threads.
pub async fn hash_password(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| format!("cannot hash the password: {e}"))
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Checks a password; with no stored hash (unknown email) it checks against a dummy hash, so
/// an unknown email takes as long as a wrong password.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    Argon2::default()
                        .hash_password(new_token().as_bytes(), &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok = PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        known && ok
    })
    .await
    .unwrap_or(false)
}

/// Paths called by machines with their own credentials (API tokens, webhook signatures), never
/// with cookies, so the cross-site check does not apply to them.
fn exempt_from_origin_check(path: &str) -> bool {
    path.starts_with("/api/v1/") || path.starts_with("/webhooks/")
}

/// Whether a state-changing request comes from our own pages. Browsers send `Origin` (and
/// `Sec-Fetch-Site`) on every cross-origin POST, so a request from another site is recognised;
/// a request with neither header is not from a browser, and carries no ambient cookies' intent.
pub fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return false;
        }
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(|r| r.splitn(4, '/').take(3).collect::<Vec<_>>().join("/"))
        });
    let Some(origin) = origin else { return true };
    if public_origin == Some(origin.as_str()) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Middleware: refuses cross-site form posts and server function calls (CSRF).
pub async fn reject_cross_site(State(config): State<Arc<AuthConfig>>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || exempt_from_origin_check(req.uri().path()) || same_origin(req.headers(), config.public_origin.as_deref())
    {
        return next.run(req).await;
    }
    (
        StatusCode::FORBIDDEN,
        "Refused: this request came from another site. Open Success itself and try again.",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let host = ("host", "127.0.0.1:3000");
        assert!(same_origin(
            &headers(&[host, ("origin", "http://127.0.0.1:3000")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            None
        ));
        assert!(!same_origin(&headers(&[host, ("origin", "null")]), None));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")]), None));
        assert!(same_origin(
            &headers(&[host, ("referer", "http://127.0.0.1:3000/health?q=1")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("referer", "http://evil.example/x")]),
            None
        ));
        assert!(
            same_origin(&headers(&[host]), None),
            "non-browser clients send neither header"
        );
        let behind_proxy = [("host", "10.0.0.5:3000"), ("origin", "https://success.example.com")];
        assert!(same_origin(
            &headers(&behind_proxy),
            Some("https://success.example.com")
        ));
    }

    #[test]
    fn tokens_are_random_and_stored_as_digests() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert!(plausible_token(&a));
        assert_ne!(a, new_token());
        assert_eq!(token_digest(&a).len(), 64);
        assert_ne!(token_digest(&a), a);
        assert!(!plausible_token("../../etc"));
    }

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let c = AuthConfig::default();
        let cookie = c.session_cookie("abc", &HeaderMap::new());
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"));
        let tls = AuthConfig {
            public_origin: Some("https://s.example".into()),
            ..AuthConfig::default()
        };
        assert!(tls.session_cookie("abc", &HeaderMap::new()).ends_with("; Secure"));
        assert_eq!(
            read_cookie(&headers(&[("cookie", "a=1; success_session=xyz")]), SESSION_COOKIE),
            Some("xyz")
        );
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse battery".into(), Some(hash)).await);
        assert!(!verify_password("anything at all".into(), None).await);
    }
}
