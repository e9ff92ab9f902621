//! One HTTP client per connector run: the vendor's auth header, a timeout on every request, a
//! client-side rate limit under the vendor's, and the retry rules (429 waits as told, 5xx and
//! timeouts back off with jitter). Errors come out in plain words with the vendor's own message.

use super::retry::{backoff, retry_after};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VendorError {
    #[error("{vendor} refused the credentials ({status}): {message}")]
    Auth {
        vendor: String,
        status: u16,
        message: String,
    },
    #[error("{vendor} answered {status}: {message}")]
    Rejected {
        vendor: String,
        status: u16,
        message: String,
    },
    #[error("{vendor} kept failing after {attempts} attempts; last: {last}")]
    GaveUp {
        vendor: String,
        attempts: u32,
        last: String,
    },
    #[error("{vendor}: {message}")]
    Unusable { vendor: String, message: String },
    #[error("{vendor} sent something its API does not document: {detail}")]
    Malformed { vendor: String, detail: String },
    #[error("cannot reach {vendor} at {url}: {detail}")]
    Unreachable {
        vendor: String,
        url: String,
        detail: String,
    },
}

impl VendorError {
    fn malformed(vendor: &str, detail: impl Into<String>) -> Self {
        VendorError::Malformed {
            vendor: vendor.to_string(),
            detail: detail.into(),
        }
    }
}

/// How a vendor is reached and how hard it may be pushed.
#[derive(Clone, Debug)]
pub struct VendorConfig {
    pub vendor: &'static str,
    pub base_url: String,
    /// Header name and value carrying the credential.
    pub auth: Option<(&'static str, String)>,
    /// Further headers on every request (an API version, say).
    pub headers: Vec<(&'static str, String)>,
    /// Requests per second this client allows itself.
    pub per_second: f64,
    /// Slots a busy caller missed that may still be used, back to back: any second then holds at
    /// most `per_second + burst` requests, which must stay within the vendor's limit.
    pub burst: u32,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl VendorConfig {
    pub fn new(vendor: &'static str, base_url: &str, per_second: f64) -> Self {
        VendorConfig {
            vendor,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth: None,
            headers: Vec::new(),
            per_second,
            burst: 0,
            timeout: Duration::from_secs(30),
            max_attempts: 6,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(20),
        }
    }
}

pub struct VendorHttp {
    pub config: VendorConfig,
    client: reqwest::Client,
    next_slot: Mutex<Instant>,
    /// Requests sent, retries included (for run statistics and tests).
    pub requests: std::sync::atomic::AtomicU64,
}

/// A successful answer's JSON body.
pub struct Reply {
    pub body: Value,
    /// The `rel="next"` URL of a `Link` header (GitHub's pagination).
    pub next_link: Option<String>,
}

/// A successful answer as text (feeds, changelogs).
pub struct TextReply {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

impl VendorHttp {
    pub fn new(client: reqwest::Client, config: VendorConfig) -> Self {
        VendorHttp {
            config,
            client,
            next_slot: Mutex::new(Instant::now()),
            requests: Default::default(),
        }
    }

    /// Waits for this client's next request slot.
    async fn pace(&self) {
        let interval = Duration::from_secs_f64(1.0 / self.config.per_second.max(0.01));
        let wait_until = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let earliest = now.checked_sub(interval * self.config.burst).unwrap_or(now);
            let slot = (*next).max(earliest);
            *next = slot + interval;
            slot.max(now)
        };
        tokio::time::sleep_until(wait_until).await;
    }

    /// Pushes the next slot back, so a vendor's "wait N seconds" holds for every request.
    async fn hold_off(&self, wait: Duration) {
        let mut next = self.next_slot.lock().await;
        *next = (*next).max(Instant::now() + wait);
    }

    pub async fn get(&self, path_and_query: &str) -> Result<Reply, VendorError> {
        self.send(Method::GET, path_and_query, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Reply, VendorError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub fn url(&self, path_and_query: &str) -> String {
        if path_and_query.starts_with("http://") || path_and_query.starts_with("https://") {
            path_and_query.to_string()
        } else {
            format!("{}{}", self.config.base_url, path_and_query)
        }
    }

    pub async fn send(&self, method: Method, path_and_query: &str, body: Option<&Value>) -> Result<Reply, VendorError> {
        let (text, headers) = self.fetch(method, path_and_query, body).await?;
        let parse = |text: &[u8]| serde_json::from_slice::<Value>(text).map_err(|e| e.to_string());
        // A page of records takes milliseconds to parse: off the task, so that a sync writing the
        // previous page while this one arrives keeps writing meanwhile.
        let parsed = if text.len() > 64 * 1024 {
            tokio::task::spawn_blocking(move || parse(&text))
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
        } else {
            parse(&text)
        };
        let body =
            parsed.map_err(|e| VendorError::malformed(self.config.vendor, format!("the answer is not JSON ({e})")))?;
        let next_link = headers.get("link").and_then(|v| v.to_str().ok()).and_then(next_link);
        Ok(Reply { body, next_link })
    }

    /// GETs a document that is not JSON, as sent: its bytes are decoded by whoever knows the
    /// format's rules for its character set (an XML declaration, the Content-Type charset).
    pub async fn get_text(&self, path_and_query: &str) -> Result<TextReply, VendorError> {
        let (bytes, headers) = self.fetch(Method::GET, path_and_query, None).await?;
        Ok(TextReply {
            bytes,
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        })
    }

    async fn fetch(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<(Vec<u8>, reqwest::header::HeaderMap), VendorError> {
        let vendor = self.config.vendor;
        let url = self.url(path_and_query);
        let mut last = String::new();
        for attempt in 1..=self.config.max_attempts {
            self.pace().await;
            self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut request = self
                .client
                .request(method.clone(), &url)
                .timeout(self.config.timeout)
                .header("Accept", "application/json");
            if let Some((name, value)) = &self.config.auth {
                request = request.header(*name, value);
            }
            for (name, value) in &self.config.headers {
                request = request.header(*name, value);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let wait = match request.send().await {
                Err(e) if e.is_connect() && attempt == 1 => {
                    return Err(VendorError::Unreachable {
                        vendor: vendor.into(),
                        url: self.config.base_url.clone(),
                        detail: root_cause(&e),
                    })
                }
                Err(e) => {
                    last = if e.is_timeout() {
                        format!("no answer within {} s", self.config.timeout.as_secs())
                    } else {
                        root_cause(&e)
                    };
                    None
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                    let bytes = match response.bytes().await {
                        Ok(bytes) => bytes.to_vec(),
                        Err(e) => {
                            last = format!("the answer broke off: {}", root_cause(&e));
                            continue;
                        }
                    };
                    if status.is_success() {
                        return Ok((bytes, headers));
                    }
                    let text = String::from_utf8_lossy(&bytes);
                    let message = vendor_message(&text).unwrap_or_else(|| reason(status));
                    last = format!("{} {}", status.as_u16(), message);
                    // A 403 that says when to come back is a rate limit (GitHub's secondary limit
                    // keeps quota in `x-ratelimit-remaining`), not a refused credential.
                    let rate_limited = header("x-ratelimit-remaining").as_deref() == Some("0")
                        || (status == StatusCode::FORBIDDEN
                            && (header("retry-after").is_some() || message.contains("secondary rate limit")));
                    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) && !rate_limited {
                        return Err(VendorError::Auth {
                            vendor: vendor.into(),
                            status: status.as_u16(),
                            message,
                        });
                    }
                    let retryable = status == StatusCode::TOO_MANY_REQUESTS
                        || status.is_server_error()
                        || status == StatusCode::FORBIDDEN
                        || header("stripe-should-retry").as_deref() == Some("true");
                    if !retryable || header("stripe-should-retry").as_deref() == Some("false") {
                        return Err(VendorError::Rejected {
                            vendor: vendor.into(),
                            status: status.as_u16(),
                            message,
                        });
                    }
                    let wait = header("retry-after")
                        .and_then(|v| retry_after(&v, SystemTime::now()))
                        .or_else(|| seconds_hint(&text))
                        .or_else(|| policy_window(&text))
                        // GitHub: without retry-after, wait at least a minute after a secondary limit.
                        .or_else(|| {
                            message
                                .contains("secondary rate limit")
                                .then_some(Duration::from_secs(60))
                        })
                        .or_else(|| quota_reset(header("x-ratelimit-remaining"), header("x-ratelimit-reset")));
                    // An hour's quota used up is not worth waiting for inside a sync.
                    if wait.is_some_and(|w| w > MAX_WAIT) {
                        return Err(VendorError::Rejected {
                            vendor: vendor.into(),
                            status: status.as_u16(),
                            message: format!(
                                "{message} (its rate limit resets in {} minutes; the next scheduled sync goes on)",
                                wait.unwrap_or_default().as_secs().div_ceil(60)
                            ),
                        });
                    }
                    wait
                }
            };
            if attempt == self.config.max_attempts {
                break;
            }
            let wait =
                wait.unwrap_or_else(|| backoff(attempt, self.config.backoff_base, self.config.backoff_cap, jitter()));
            tracing::debug!(vendor, attempt, ?wait, %last, "retrying");
            self.hold_off(wait).await;
        }
        Err(VendorError::GaveUp {
            vendor: vendor.into(),
            attempts: self.config.max_attempts,
            last,
        })
    }
}

/// The vendor's own explanation in an error body: Stripe's `error.message`, HubSpot's and Attio's
/// `message`, PostHog's and Salesbricks' `detail`.
pub fn vendor_message(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let found = v
        .pointer("/error/message")
        .or_else(|| v.get("message"))
        .or_else(|| v.get("detail"))
        .or_else(|| v.get("error"))?;
    found.as_str().map(|s| s.chars().take(300).collect())
}

/// The longest wait a sync sits out for a vendor's rate limit before giving up on the run.
const MAX_WAIT: Duration = Duration::from_secs(120);

/// GitHub: `x-ratelimit-remaining: 0` and `x-ratelimit-reset: <unix seconds>`.
fn quota_reset(remaining: Option<String>, reset: Option<String>) -> Option<Duration> {
    if remaining.as_deref() != Some("0") {
        return None;
    }
    let reset: u64 = reset?.trim().parse().ok()?;
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now) + 1))
}

/// The `rel="next"` target of a `Link` header: `<https://…?page=2>; rel="next", <…>; rel="last"`.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"))
            .then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// PostHog says "Expected available in N seconds." instead of sending `Retry-After`.
fn seconds_hint(body: &str) -> Option<Duration> {
    let message = vendor_message(body)?;
    let rest = message.split("available in ").nth(1)?;
    let n: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_secs(n))
}

/// HubSpot's 429 names the window that is spent and no `Retry-After`: wait the window out (its
/// own client does: ten seconds for the rolling ten-second limit, one for search's per-second
/// one); a spent daily limit is not worth waiting for.
fn policy_window(body: &str) -> Option<Duration> {
    let v: Value = serde_json::from_str(body).ok()?;
    match v.get("policyName")?.as_str()? {
        "TEN_SECONDLY_ROLLING" => Some(Duration::from_secs(10)),
        "SECONDLY" => Some(Duration::from_secs(1)),
        "DAILY" => Some(Duration::from_secs(24 * 3600)),
        _ => None,
    }
}

fn reason(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("error").to_lowercase()
}

fn root_cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Spread by the low bits of the clock: enough to keep clients from retrying in lockstep.
    (nanos.wrapping_mul(2_654_435_761) % 1_000_000) as f64 / 1_000_000.0
}

/// The array under `name` in a vendor's answer (`data`, `results`), or a clear complaint.
pub fn array<'a>(vendor: &str, body: &'a Value, name: &str) -> Result<&'a Vec<Value>, VendorError> {
    body.get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| VendorError::malformed(vendor, format!("an answer has no {name} array")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_messages_are_found_in_each_vendors_error_body() {
        assert_eq!(
            vendor_message(r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}"#),
            Some("Invalid API Key provided".into())
        );
        assert_eq!(
            vendor_message(
                r#"{"status":"error","message":"You have reached your ten secondly limit.","errorType":"RATE_LIMIT"}"#
            ),
            Some("You have reached your ten secondly limit.".into())
        );
        assert_eq!(
            seconds_hint(
                r#"{"type":"throttled_error","code":"throttled","detail":"Request was throttled. Expected available in 3 seconds."}"#
            ),
            Some(Duration::from_secs(3))
        );
        assert_eq!(vendor_message("<html>502</html>"), None);
    }

    /// The request times of a caller that is busy for half a second after its tenth request.
    async fn paced_times(per_second: f64, burst: u32) -> Vec<Duration> {
        let mut config = VendorConfig::new("Test", "http://127.0.0.1:1", per_second);
        config.burst = burst;
        let http = VendorHttp::new(reqwest::Client::new(), config);
        let start = Instant::now();
        let mut sent = Vec::new();
        for i in 0..60 {
            http.pace().await;
            sent.push(start.elapsed());
            if i == 9 {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        sent
    }

    fn busiest_second(sent: &[Duration]) -> usize {
        (0..sent.len())
            .map(|i| {
                sent[i..]
                    .iter()
                    .take_while(|t| **t < sent[i] + Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_caller_catches_up_only_its_burst_and_no_second_goes_over_the_limit() {
        let steady = paced_times(10.0, 0).await;
        assert_eq!(busiest_second(&steady), 10);
        assert!(steady.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(100)));

        let catching_up = paced_times(10.0, 3).await;
        assert_eq!(
            busiest_second(&catching_up),
            13,
            "at most per_second + burst in any second"
        );
        // After the pause, the three missed slots go at once with the one due, then the pace holds.
        assert_eq!(catching_up[10], catching_up[13]);
        assert_eq!(catching_up[14] - catching_up[13], Duration::from_millis(100));
        assert!(catching_up[59] < steady[59], "the burst made up time the pauses cost");
    }

    #[test]
    fn link_headers_name_the_next_page() {
        let h = r#"<https://api.github.com/repositories/1/releases?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/releases?per_page=100&page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/repositories/1/releases?per_page=100&page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
        assert_eq!(quota_reset(Some("5".into()), Some("1".into())), None);
        assert!(quota_reset(Some("0".into()), Some("4102444800".into())).unwrap() > MAX_WAIT);
    }

    #[test]
    fn hubspot_429s_wait_out_the_window_they_name() {
        let body = |policy: &str| format!(r#"{{"status":"error","errorType":"RATE_LIMIT","policyName":"{policy}"}}"#);
        assert_eq!(
            policy_window(&body("TEN_SECONDLY_ROLLING")),
            Some(Duration::from_secs(10))
        );
        assert_eq!(policy_window(&body("SECONDLY")), Some(Duration::from_secs(1)));
        assert!(policy_window(&body("DAILY")).is_some_and(|w| w > MAX_WAIT));
        assert_eq!(policy_window(r#"{"message":"slow down"}"#), None);
    }
}
