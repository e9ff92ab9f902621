//! Local fakes of the vendors' APIs, for tests, benchmarks and the browser tests: the documented
//! paths, auth headers, pagination envelopes, fields, error bodies and rate-limit replies, plus
//! injected faults (429 with `Retry-After`, 5xx, slow answers) and malformed records.
//! One server answers for every vendor: their paths do not overlap. Feeds are under `/feeds/`.

pub mod attio;
pub mod hubspot;
pub mod posthog;
pub mod releases;
pub mod salesbricks;
pub mod stripe;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const STRIPE_KEY: &str = "sk_test_fake_success";
/// The fake's live-mode key: Stripe allows live keys 100 requests a second instead of 25.
pub const STRIPE_LIVE_KEY: &str = "sk_live_fake_success";
pub const SALESBRICKS_TOKEN: &str = "sbk_test_fake_success";
pub const HUBSPOT_TOKEN: &str = "pat-fake-success";
pub const POSTHOG_KEY: &str = "phx_fake_success";
pub const GITHUB_TOKEN: &str = "ghp_fake_success";
pub const ATTIO_TOKEN: &str = "attio_fake_success";

/// How the fake misbehaves.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Percent of requests (0–100) answered with a fault instead of data.
    pub percent: u32,
    /// Every request answers 503, as during an outage.
    pub down: bool,
    /// Requests per second above which the fake answers 429, as the vendor would.
    pub per_second: Option<u32>,
}

pub struct FakeState {
    pub stripe: Mutex<stripe::StripeData>,
    pub salesbricks: Mutex<salesbricks::SalesbricksData>,
    pub hubspot: Mutex<hubspot::HubspotData>,
    pub posthog: Mutex<posthog::PosthogData>,
    pub releases: Mutex<releases::ReleasesData>,
    pub attio: Mutex<attio::AttioData>,
    pub faults: Mutex<Faults>,
    pub requests: AtomicU64,
    /// Requests refused for going over the advertised rate.
    pub throttled: AtomicU64,
    /// Faults injected (429, 503 or a slow answer).
    pub injected: AtomicU64,
    window: Mutex<(Instant, u32)>,
}

pub type Shared = Arc<FakeState>;

impl FakeState {
    pub fn new(stripe: stripe::StripeData, salesbricks: salesbricks::SalesbricksData) -> Shared {
        Arc::new(FakeState {
            stripe: Mutex::new(stripe),
            salesbricks: Mutex::new(salesbricks),
            hubspot: Mutex::new(Default::default()),
            posthog: Mutex::new(Default::default()),
            releases: Mutex::new(Default::default()),
            attio: Mutex::new(Default::default()),
            faults: Mutex::new(Faults::default()),
            requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            window: Mutex::new((Instant::now(), 0)),
        })
    }

    /// Counts the request; answers for it instead when the rate is exceeded or a fault is due.
    /// `throttled` builds the vendor's 429 answer.
    async fn misbehave(&self, throttled: impl Fn(u64) -> Response) -> Option<Response> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let faults = self.faults.lock().unwrap().clone();
        if faults.down {
            return Some((StatusCode::SERVICE_UNAVAILABLE, "upstream connect error").into_response());
        }
        if let Some(limit) = faults.per_second {
            let mut window = self.window.lock().unwrap();
            if window.0.elapsed() >= Duration::from_secs(1) {
                *window = (Instant::now(), 0);
            }
            window.1 += 1;
            if window.1 > limit {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                return Some(throttled(1));
            }
        }
        // A fixed scramble of the request number: the same run misbehaves the same way.
        if faults.percent > 0 && mix(n) % 100 < faults.percent as u64 {
            self.injected.fetch_add(1, Ordering::Relaxed);
            return Some(match (mix(n) >> 32) % 3 {
                0 => throttled(0),
                1 => (StatusCode::SERVICE_UNAVAILABLE, "upstream connect error").into_response(),
                _ => {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    return None; // slow, then a normal answer
                }
            });
        }
        None
    }
}

/// splitmix64's finaliser: request numbers spread evenly over 0..100.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn router(state: Shared) -> Router {
    stripe::routes(state.clone())
        .merge(salesbricks::routes(state.clone()))
        .merge(hubspot::routes(state.clone()))
        .merge(posthog::routes(state.clone()))
        .merge(releases::routes(state.clone()))
        .merge(attio::routes(state))
}

/// Serves the fakes on `addr` ("127.0.0.1:0" for any free port); returns the bound address.
pub async fn serve(state: Shared, addr: &str) -> std::io::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(state)).await;
    });
    Ok(bound)
}

/// Serves the fakes from a thread and runtime of their own: the server runs on one runtime
/// thread, and a benchmark must not charge the vendor's work to it.
pub fn serve_on_own_thread(state: Shared, addr: &str) -> std::io::Result<std::net::SocketAddr> {
    let addr = addr.to_string();
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("vendor-fakes".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = bound_tx.send(Err(e));
                return;
            }
        };
        runtime.block_on(async move {
            let bound = serve(state, &addr).await;
            let serving = bound.is_ok();
            let _ = bound_tx.send(bound);
            if serving {
                std::future::pending::<()>().await;
            }
        });
    })?;
    bound_rx
        .recv()
        .map_err(|_| std::io::Error::other("the fakes' thread stopped before listening"))?
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A small deterministic generator, so datasets are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1))
    }
    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n.max(1)
    }
}
