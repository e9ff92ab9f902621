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
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

pub const SESSION_COOKIE: &str = "success_session";
pub const DEMO_COOKIE: &str = "success_demo";
/// Over HTTPS: a `__Host-` cookie cannot be set by a sibling subdomain or over plain HTTP.
pub const HOST_SESSION_COOKIE: &str = "__Host-success_session";
pub const HOST_DEMO_COOKIE: &str = "__Host-success_demo";

/// How sessions, sign-in limits and cookies behave; from [`crate::config::Config`].
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
    /// Believe `X-Forwarded-Proto` (only behind a proxy that sets it).
    pub trust_proxy: bool,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` hop is believed; the client
    /// is the right-most hop that is not one of them. Empty: the peer address is the client.
    pub trusted_proxies: Vec<IpRange>,
    /// The first wait after repeated wrong passwords for one account; it doubles with each
    /// further failure up to [`FAILURE_DELAY_MAX`]. A wait, never a lock an attacker can set.
    pub failure_delay: std::time::Duration,
    /// Let the server connect to loopback, private and link-local addresses (connectors, feeds,
    /// SMTP). Off unless SUCCESS_ALLOW_PRIVATE_NETWORK=true: self-hosters and the tests' fakes.
    pub allow_private_network: bool,
    /// Where links in account emails point: SUCCESS_PUBLIC_URL, else the address served. Never
    /// the request's Host header, which a caller chooses.
    pub link_origin: String,
    /// Creating the first owner needs this (SUCCESS_SETUP_TOKEN, or one printed at first start).
    pub setup_token: Option<String>,
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
            trusted_proxies: Vec::new(),
            failure_delay: std::time::Duration::from_millis(250),
            allow_private_network: false,
            link_origin: "http://127.0.0.1:3000".into(),
            setup_token: None,
            public_demo: true,
        }
    }
}

impl AuthConfig {
    /// The defaults, with connections to loopback and private addresses allowed: local vendor
    /// fakes and a self-hosted SMTP relay (tests, `server fake-vendors`).
    pub fn allowing_private_network() -> Self {
        AuthConfig {
            allow_private_network: true,
            ..AuthConfig::default()
        }
    }

    pub fn secure_cookies(&self, headers: &HeaderMap) -> bool {
        self.public_origin.as_deref().is_some_and(|o| o.starts_with("https://"))
            || (self.trust_proxy && headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https"))
    }

    /// `__Host-success_session` over HTTPS (bound to this host, Secure, path /), else the
    /// plain name.
    pub fn session_cookie_name(&self, headers: &HeaderMap) -> &'static str {
        if self.secure_cookies(headers) {
            HOST_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }

    pub fn demo_cookie_name(&self, headers: &HeaderMap) -> &'static str {
        if self.secure_cookies(headers) {
            HOST_DEMO_COOKIE
        } else {
            DEMO_COOKIE
        }
    }

    pub fn session_cookie(&self, token: &str, headers: &HeaderMap) -> String {
        cookie(
            self.session_cookie_name(headers),
            token,
            self.absolute.num_seconds(),
            self.secure_cookies(headers),
        )
    }

    /// The session token the browser presented, under the name this connection uses.
    pub fn session_token<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        read_cookie(headers, self.session_cookie_name(headers))
    }

    pub fn wants_demo(&self, headers: &HeaderMap) -> bool {
        read_cookie(headers, self.demo_cookie_name(headers)) == Some("1")
    }

    pub fn clear_session_cookie(&self, headers: &HeaderMap) -> String {
        cookie(self.session_cookie_name(headers), "", 0, self.secure_cookies(headers))
    }

    pub fn clear_demo_cookie(&self, headers: &HeaderMap) -> String {
        cookie(self.demo_cookie_name(headers), "", 0, self.secure_cookies(headers))
    }

    pub fn demo_cookie(&self, headers: &HeaderMap) -> String {
        cookie(
            self.demo_cookie_name(headers),
            "1",
            86_400,
            self.secure_cookies(headers),
        )
    }

    /// The client's address for rate limiting: the peer, or behind trusted proxies the
    /// right-most `X-Forwarded-For` hop that is not a trusted proxy (the left-most hops are
    /// whatever the client wrote).
    pub fn client_ip(&self, parts: &axum::http::request::Parts) -> String {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        client_ip(peer, &forwarded, &self.trusted_proxies)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    /// How long to wait before answering a sign-in for an account with `failures` recent wrong
    /// passwords: nothing for the first three, then doubling.
    pub fn failure_wait(&self, failures: i64) -> std::time::Duration {
        if failures < 3 {
            return std::time::Duration::ZERO;
        }
        let doublings = (failures - 3).min(16) as u32;
        (self.failure_delay * 2u32.pow(doublings)).min(FAILURE_DELAY_MAX)
    }
}

/// The longest wait a run of wrong passwords puts before an account's sign-in.
pub const FAILURE_DELAY_MAX: std::time::Duration = std::time::Duration::from_secs(8);

/// An address or a CIDR range, for SUCCESS_TRUSTED_PROXIES.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(text: &str) -> Option<IpRange> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(IpRange { network: addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
            if prefix == 0 {
                0
            } else {
                bits >> (width - prefix)
            }
        }
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n) as u128, self.prefix, 32) == masked(u32::from(a) as u128, self.prefix, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), self.prefix, 128) == masked(u128::from(a), self.prefix, 128)
            }
            (IpAddr::V4(_), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// The client behind `trusted` proxies: walk the hops from the right while the sender is trusted.
pub fn client_ip(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[IpRange]) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    let mut client = peer?;
    for hop in forwarded.iter().rev() {
        if !is_trusted(client) {
            break;
        }
        match hop.parse::<IpAddr>() {
            Ok(ip) => client = ip,
            Err(_) => break,
        }
    }
    Some(client)
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

/// Equal bytes, in time that depends only on the lengths (signatures, digests of secrets).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

    #[test]
    fn the_client_is_the_right_most_hop_no_trusted_proxy_vouches_for() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = [IpRange::parse("10.0.0.0/8").unwrap(), IpRange::parse("::1").unwrap()];
        // No trusted proxies: the header is the client's own words.
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), &["1.2.3.4"], &[]),
            Some(ip("203.0.113.9"))
        );
        // Behind one proxy the left-most hop is forged; the right-most is what the proxy saw.
        assert_eq!(
            client_ip(Some(ip("10.1.2.3")), &["6.6.6.6", "198.51.100.7"], &proxies),
            Some(ip("198.51.100.7"))
        );
        // Two proxies in a row are both skipped.
        assert_eq!(
            client_ip(Some(ip("10.1.2.3")), &["6.6.6.6", "198.51.100.7", "10.9.9.9"], &proxies),
            Some(ip("198.51.100.7"))
        );
        // A peer that is not a proxy is the client, whatever it says.
        assert_eq!(
            client_ip(Some(ip("198.51.100.7")), &["10.0.0.1"], &proxies),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(client_ip(Some(ip("::1")), &["garbage"], &proxies), Some(ip("::1")));
        assert!(IpRange::parse("10.0.0.0/33").is_none() && IpRange::parse("nope").is_none());
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
    }

    #[test]
    fn wrong_passwords_slow_an_account_down_without_locking_it() {
        let c = AuthConfig::default();
        assert_eq!(c.failure_wait(2), std::time::Duration::ZERO);
        assert_eq!(c.failure_wait(3), std::time::Duration::from_millis(250));
        assert_eq!(c.failure_wait(5), std::time::Duration::from_millis(1000));
        assert_eq!(c.failure_wait(1_000), FAILURE_DELAY_MAX);
    }

    #[test]
    fn https_cookies_are_host_bound() {
        let tls = AuthConfig {
            public_origin: Some("https://s.example".into()),
            ..AuthConfig::default()
        };
        let cookie = tls.session_cookie("abc", &HeaderMap::new());
        assert!(cookie.starts_with("__Host-success_session=abc; Path=/;"), "{cookie}");
        assert_eq!(
            tls.session_token(&headers(&[(
                "cookie",
                "success_session=plain; __Host-success_session=bound"
            )])),
            Some("bound")
        );
        assert!(AuthConfig::default()
            .session_cookie("abc", &HeaderMap::new())
            .starts_with("success_session="));
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
