//! The Success server binary: web server, demo generator and maintenance commands.

use server::{demo, store::Store, web};
use std::process::ExitCode;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
Success — customer success workspace

USAGE:
    server [serve]                          start the web server (default)
    server demo [--accounts N] [--name NAME]
                                            generate and load a Pied Piper demo workspace
    server migrate                          apply database migrations and exit
    server fake-vendors [--addr ADDR] [--customers N] [--faults PERCENT]
                                            serve local fakes of Stripe, Salesbricks, HubSpot, PostHog, Attio, GitHub and feeds
                                            (tests and trying Success without accounts there);
                                            keys: sk_test_fake_success, sbk_test_fake_success, pat-fake-success, phx_fake_success (project 4242),
                                            attio_fake_success, ghp_fake_success; feeds at /feeds/releases.xml, atom.xml, CHANGELOG.md
    server bench sync [--subscriptions N]   sync N Stripe subscriptions and 3N invoices (default
                                            10000) from a local fake that allows 100 requests a
                                            second, into DATABASE_URL; prints time, requests, memory
    server bench rescore [--accounts N] [--runs R]
                                            load N demo accounts (default 100000) into DATABASE_URL
                                            and time rescoring against a raw bulk insert, R times (3)
    server bench likelihood [--accounts N]  load N demo accounts (default 70000: about 10,000 trials
                                            and 10,000 losses), time the Convert and Re-engage
                                            refresh, and scoring 10,000 cases alone
    server bench live [--clients N] [--moves M]
                                            start a server on a scratch database, open N event
                                            streams (default 2000), move a deal M times (default
                                            20); prints memory per stream, move answer times and
                                            how long each move takes to reach every stream
    server bench webhook [--runs R]         time a Stripe signature check over 1 MiB and the refusal
                                            of a 60,000-candidate header (median of R, default 21)
    server bench loop [--requests N] [--items M]
                                            match N feature requests (default 5000) against M
                                            release items (default 2000) in a new workspace in
                                            DATABASE_URL; prints matching and whole-refresh times
    server sync --workspace ID --source SOURCE
                                            sync one connected integration of a workspace now
                                            (SOURCE: stripe, salesbricks, hubspot, posthog, attio,
                                            github, feeds) and exit when it and its follow-up end
    server outbox send                      send every due email in the outbox now and exit (the
                                            web server sends them continuously)
    server admin create-user --email EMAIL --name NAME [--workspace NAME] [--role ROLE]
                                            create a person with access to Success; the password
                                            is read from SUCCESS_PASSWORD or the first line of
                                            stdin (there is no default password). Creates the
                                            workspace when none of that name exists. ROLE is
                                            owner (default), admin, csm or viewer.

ENVIRONMENT:
    DATABASE_URL       sqlite://data/success.db (default) or postgres://user@host/db
    LEPTOS_SITE_ADDR   address to listen on (default 127.0.0.1:3000)
    RUST_LOG           log filter (default info,sqlx=warn)
    TOKIO_WORKER_THREADS  runtime threads serving requests (default: one per core)
    SUCCESS_PUBLIC_URL origin people use, e.g. https://success.example.com (Secure cookies)
    SUCCESS_TRUST_PROXY  true behind a proxy that sets X-Forwarded-Proto
    SUCCESS_TRUSTED_PROXIES  addresses or CIDR ranges of proxies whose X-Forwarded-For hop is
                       believed (the client is the right-most hop that is not one of them)
    SUCCESS_ALLOW_PRIVATE_NETWORK  true lets connectors, feeds and SMTP reach loopback and
                       private addresses (self-hosted services, local fakes); off by default
    SUCCESS_SETUP_TOKEN  the token the first-run setup asks for (default: a new one, logged)
    SUCCESS_PUBLIC_DEMO  false to show the Pied Piper preview to signed-in people only
    SUCCESS_SECRET_KEY   32-byte key (64 hex digits) sealing integration credentials; without it
                       a key file secret.key is generated (mode 0600) in SUCCESS_DATA_DIR
    SUCCESS_DATA_DIR     folder for the key file (default: the SQLite database's folder, or ./data)
    SUCCESS_EMBEDDINGS_URL, SUCCESS_EMBEDDINGS_MODEL, SUCCESS_EMBEDDINGS_KEY
                       an OpenAI-compatible embeddings endpoint Close the Loop blends in
    SUCCESS_SMTP_CA_FILE PEM certificate to trust for the SMTP server (a private CA)
    SUCCESS_OUTBOX_LEASE_SECONDS  how long a claimed email may take before its sender counts as
                       gone (default 120)
    SUCCESS_RESCORE_MINUTES  how often every workspace is rescored (default 15, also at start)
    SUCCESS_READ_CACHE_SECONDS  how long Health pages stay cached in memory (default 2; 0: off)
    SUCCESS_LLM_URL, SUCCESS_LLM_MODEL, SUCCESS_LLM_KEY
                       an OpenAI-compatible chat endpoint the account chat answers with
    SUCCESS_SIGN_INS_PER_MINUTE  sign-in, sign-up and reset attempts a client address may make a
                       minute (default 10)
    SUCCESS_PASSWORD     the password for admin create-user (else the first line of stdin)

See README.md for every setting with its default and meaning.";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let command = args.first().map(String::as_str).unwrap_or("serve");
    match command {
        "serve" => serve().await,
        "demo" => demo_command(&args[1..]).await,
        "admin" => match args.get(1).map(String::as_str) {
            Some("create-user") => create_user_command(&args[2..]).await,
            _ => Err(format!("usage: server admin create-user …\n\n{USAGE}")),
        },
        "bench" => bench_command(&args[1..]).await,
        "outbox" => match args.get(1).map(String::as_str) {
            Some("send") => outbox_send().await,
            _ => Err(format!("usage: server outbox send\n\n{USAGE}")),
        },
        "fake-vendors" => fake_vendors_command(&args[1..]).await,
        "sync" => sync_command(&args[1..]).await,
        "migrate" => {
            open_store().await?;
            println!("database is up to date");
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    }
}

fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://data/success.db".into())
}

/// Where the generated key file lives: SUCCESS_DATA_DIR, else beside the SQLite database, else ./data.
fn data_dir() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("SUCCESS_DATA_DIR") {
        return dir.into();
    }
    let url = database_url();
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .and_then(|rest| {
            std::path::Path::new(rest.split('?').next().unwrap_or(""))
                .parent()
                .map(|p| p.to_path_buf())
        })
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| "data".into())
}

async fn fake_vendors_command(args: &[String]) -> Result<(), String> {
    let addr = flag(args, "--addr").unwrap_or_else(|| "127.0.0.1:4010".into());
    let customers: usize = flag(args, "--customers")
        .map(|n| n.parse().map_err(|_| "--customers takes a number"))
        .transpose()?
        .unwrap_or(40);
    let faults: u32 = flag(args, "--faults")
        .map(|n| n.parse().map_err(|_| "--faults takes a percent"))
        .transpose()?
        .unwrap_or(0);
    use server::fakes::{salesbricks::SalesbricksData, stripe::StripeData, FakeState};
    let state = FakeState::new(
        StripeData::generate(customers, 3, customers / 20, 7),
        SalesbricksData::generate(customers, 7),
    );
    state.faults.lock().unwrap().percent = faults;
    *state.hubspot.lock().unwrap() = server::fakes::hubspot::HubspotData::generate(customers, customers / 4, 7);
    *state.posthog.lock().unwrap() = server::fakes::posthog::PosthogData::generate(customers, customers / 4, 7);
    *state.releases.lock().unwrap() = server::fakes::releases::ReleasesData::generate(120);
    *state.attio.lock().unwrap() = server::fakes::attio::AttioData::generate(customers.min(200), 20);
    let bound = server::fakes::serve(state, &addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("fake Stripe, Salesbricks, HubSpot, PostHog, Attio, GitHub and feed servers on http://{bound} ({customers} customers); Ctrl-C stops");
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}

/// Syncs from the Stripe fake (in this process, on a thread of its own) with a live-mode key
/// (100 requests/s advertised, 429 above).
async fn bench_sync(args: &[String]) -> Result<(), String> {
    use server::fakes::{stripe::StripeData, FakeState};
    let subscriptions: usize = flag(args, "--subscriptions")
        .map(|n| n.replace('_', "").parse().map_err(|_| format!("not a number: {n}")))
        .transpose()?
        .unwrap_or(10_000);
    let fake = FakeState::new(StripeData::generate(subscriptions, 3, 0, 11), Default::default());
    fake.faults.lock().unwrap().per_second = Some(100);
    let addr = server::fakes::serve_on_own_thread(fake.clone(), "127.0.0.1:0").map_err(|e| e.to_string())?;
    let store = open_store().await?;
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let ws = store
        .load_dataset(
            &server::store::Dataset {
                workspace: server::store::load::NewWorkspace {
                    name: format!("Sync benchmark ({subscriptions} subscriptions)"),
                    slug: format!("bench-sync-{stamp}"),
                    is_demo: false,
                    currency: "USD".into(),
                },
                ..Default::default()
            },
            &|_| {},
        )
        .await
        .map_err(|e| e.to_string())?;
    store.set_rate(ws, "EUR", 1_080_000).await.map_err(|e| e.to_string())?;
    let data = server::service::Data::new(store.clone(), server::auth::AuthConfig::allowing_private_network()).shared();
    data.connect_integration_in(
        ws,
        app::model::IntegrationKind::Stripe,
        app::integrations::IntegrationSetup {
            credential: server::fakes::STRIPE_LIVE_KEY.into(),
            base_url: format!("http://{addr}"),
            schedule_minutes: 15,
            webhook_secret: String::new(),
            target: String::new(),
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let before = fake.requests.load(std::sync::atomic::Ordering::Relaxed);
    let rss_before = peak_rss_kib();
    let t = Instant::now();
    let finished = sync_finished_at(&data);
    let outcome = data
        .sync_now(ws, app::model::IntegrationKind::Stripe)
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = t.elapsed();
    let synced = finished.await.ok().flatten().map(|at| at - t);
    if let Some(e) = outcome.error {
        return Err(format!("the sync failed: {e}"));
    }
    let requests = fake.requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    let throttled = fake.throttled.load(std::sync::atomic::Ordering::Relaxed);
    let synced = synced.ok_or("the sync never announced its end")?;
    println!(
        "synced {} records ({} written, {} skipped) in {:.2} s (stored, revenue settled, the run finished), \
         {:.2} s with the rescoring after it: {requests} requests ({:.0}/s; the fake allows 100/s and refused \
         {throttled} for going faster); peak memory {} MiB (was {} MiB before the sync)",
        outcome.progress.fetched,
        outcome.progress.written,
        outcome.progress.skipped,
        synced.as_secs_f64(),
        elapsed.as_secs_f64(),
        requests as f64 / synced.as_secs_f64(),
        peak_rss_kib() / 1024,
        rss_before / 1024,
    );
    let t = Instant::now();
    let finished = sync_finished_at(&data);
    let again = data
        .sync_now(ws, app::model::IntegrationKind::Stripe)
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = t.elapsed();
    let synced = finished
        .await
        .ok()
        .flatten()
        .ok_or("the sync never announced its end")?
        - t;
    println!(
        "the same sync again (every account known, every row an update): {:.2} s, {:.2} s with the rescoring; {} written",
        synced.as_secs_f64(),
        elapsed.as_secs_f64(),
        again.progress.written
    );
    Ok(())
}

/// When the next sync announces its end (what Settings shows as finished); the rescoring follows.
fn sync_finished_at(data: &server::service::Data) -> tokio::task::JoinHandle<Option<Instant>> {
    let mut events = data.events.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if matches!(&e.event, app::live::LiveEvent::Sync(p) if p.finished) => return Some(Instant::now()),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// The process's peak resident memory (Linux), in KiB; 0 elsewhere.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

async fn open_store() -> Result<Store, String> {
    let store = Store::connect(&database_url()).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

async fn serve() -> Result<(), String> {
    let conf = leptos::prelude::get_configuration(None).map_err(|e| format!("invalid Leptos configuration: {e}"))?;
    let options = conf.leptos_options;
    let addr = options.site_addr;
    let mut auth = server::auth::AuthConfig::from_env()?;
    if auth.public_origin.is_none() {
        auth.link_origin = format!("http://{addr}");
    }
    let store = open_store().await?;
    server::ensure_preview_workspace(&store)
        .await
        .map_err(|e| e.to_string())?;
    if auth.setup_token.is_none() && !store.has_real_workspace().await.map_err(|e| e.to_string())? {
        let token = server::auth::new_token();
        tracing::warn!(
            "first start: create the workspace at {}/setup with the setup token {token} \
             (a new one each start until then; set SUCCESS_SETUP_TOKEN to choose it)",
            auth.link_origin
        );
        auth.setup_token = Some(token);
    }
    let mut service = server::service::Data::new(store.clone(), auth);
    service.secrets =
        server::secrets::SecretBox::load(std::env::var("SUCCESS_SECRET_KEY").ok().as_deref(), &data_dir())
            .map_err(|e| e.to_string())?;
    service.llm = server::llm::LlmConfig::from_env();
    service.embeddings = server::close_loop::embeddings::EmbeddingsConfig::from_env();
    let cache_seconds: u64 = std::env::var("SUCCESS_READ_CACHE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    service.cache = server::cache::ReadCache::new(std::time::Duration::from_secs(cache_seconds));
    match &service.llm {
        Some(llm) => tracing::info!(model = %llm.model, "account chat answers with a language model"),
        None => tracing::info!("account chat answers built-in (set SUCCESS_LLM_URL and SUCCESS_LLM_MODEL for a model)"),
    }
    let service = service.shared();
    service.go_live();
    tokio::spawn(server::jobs::run(service.clone()));
    tokio::spawn(rescore_on_schedule(service.clone()));
    tokio::spawn(server::integrations::sync_on_schedule(service.clone()));
    tokio::spawn(server::close_loop::outbox::run(service.clone()));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e} (is another server using the port? set LEPTOS_SITE_ADDR)")
    })?;
    tracing::info!("Success is listening on http://{addr}");
    let app = web::router_with(options, service);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| format!("server stopped: {e}"))?;
    store.close().await;
    Ok(())
}

/// Syncs one connected integration now, with this process's own connections, then exits.
async fn sync_command(args: &[String]) -> Result<(), String> {
    let usage = || format!("usage: server sync --workspace ID --source SOURCE\n\n{USAGE}");
    let ws: i64 = flag(args, "--workspace")
        .and_then(|w| w.parse().ok())
        .ok_or_else(usage)?;
    let kind = flag(args, "--source")
        .and_then(|k| {
            app::model::IntegrationKind::ALL
                .iter()
                .copied()
                .find(|i| i.as_str() == k)
        })
        .ok_or_else(usage)?;
    let auth = server::auth::AuthConfig::from_env()?;
    let store = open_store().await?;
    let mut data = server::service::Data::new(store.clone(), auth);
    data.secrets = server::secrets::SecretBox::load(std::env::var("SUCCESS_SECRET_KEY").ok().as_deref(), &data_dir())
        .map_err(|e| e.to_string())?;
    data.embeddings = server::close_loop::embeddings::EmbeddingsConfig::from_env();
    let data = data.shared();
    // Its progress and the follow-up's events reach open pages (through the event log).
    data.go_live();
    let outcome = data.sync_now(ws, kind).await.map_err(|e| e.to_string())?;
    store.close().await;
    match outcome.error {
        None => {
            println!(
                "{} synced: {} records fetched, {} written",
                kind.as_str(),
                outcome.progress.fetched,
                outcome.progress.written
            );
            Ok(())
        }
        Some(e) => Err(format!("{} sync failed: {e}", kind.as_str())),
    }
}

/// Sends what is due in the outbox with this process's own sender, then exits.
async fn outbox_send() -> Result<(), String> {
    let auth = server::auth::AuthConfig::from_env()?;
    let store = open_store().await?;
    let mut data = server::service::Data::new(store.clone(), auth);
    data.secrets = server::secrets::SecretBox::load(std::env::var("SUCCESS_SECRET_KEY").ok().as_deref(), &data_dir())
        .map_err(|e| e.to_string())?;
    let data = data.shared();
    let sent = server::close_loop::outbox::drain(&data).await?;
    println!("{sent} emails handled");
    store.close().await;
    Ok(())
}

async fn demo_command(args: &[String]) -> Result<(), String> {
    let mut accounts: Option<usize> = None;
    let mut name: Option<String> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--accounts" => {
                let value = it.next().ok_or("--accounts needs a number")?;
                let n: usize = value
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("--accounts: {value:?} is not a number"))?;
                if !(1..=1_000_000).contains(&n) {
                    return Err("--accounts must be between 1 and 1,000,000".into());
                }
                accounts = Some(n);
            }
            "--name" => name = Some(it.next().ok_or("--name needs a value")?.clone()),
            other => return Err(format!("unknown option {other:?} for demo\n\n{USAGE}")),
        }
    }
    let store = open_store().await?;
    let today = chrono::Utc::now().date_naive();
    let Some(n) = accounts else {
        let created = server::ensure_preview_workspace(&store)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "{}",
            if created {
                "Pied Piper demo workspace created"
            } else {
                "Pied Piper demo workspace already present"
            }
        );
        return Ok(());
    };
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let spec = demo::DemoSpec {
        accounts: n,
        seed: demo::DEFAULT_SEED,
        today,
        name: name.unwrap_or_else(|| format!("Pied Piper demo ({n} accounts)")),
        slug: format!("demo-{n}-{stamp}"),
    };
    let started = Instant::now();
    let data = demo::generate(&spec);
    let generated = started.elapsed();
    let total = data.row_count();
    let progress = |done: usize| {
        let pct = (done * 100 / total.max(1)).min(100);
        let bar = "#".repeat(pct / 4) + &" ".repeat(25 - pct / 4);
        eprint!("\r[{bar}] {pct:3}% {done}/{total} rows");
    };
    let load_started = Instant::now();
    let ws = store.load_dataset(&data, &progress).await.map_err(|e| e.to_string())?;
    let loaded = load_started.elapsed();
    let elapsed = started.elapsed();
    eprintln!();
    println!(
        "workspace {ws}: {n} accounts, {total} rows in {:.2} s (generate {:.2} s, load {:.2} s) — {:.0} rows/s",
        elapsed.as_secs_f64(),
        generated.as_secs_f64(),
        loaded.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

async fn create_user_command(args: &[String]) -> Result<(), String> {
    use app::access::{validate_new_user, validate_workspace_name, Role};
    let (mut email, mut name, mut workspace, mut role) = (None, None, None, Role::Owner);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--email" => email = Some(value()?),
            "--name" => name = Some(value()?),
            "--workspace" => workspace = Some(value()?),
            "--role" => {
                let v = value()?;
                role = Role::parse(&v).ok_or(format!("--role must be owner, admin, csm or viewer, not {v:?}"))?;
            }
            other => return Err(format!("unknown option {other:?} for admin create-user\n\n{USAGE}")),
        }
    }
    let password = match std::env::var("SUCCESS_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("password (one line on stdin):");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let email = email.ok_or("--email is required")?;
    let name = name.ok_or("--name is required")?;
    let (name, email) = validate_new_user(&name, &email, &password).map_err(|e| e.to_string())?;
    let workspace =
        validate_workspace_name(workspace.as_deref().unwrap_or("My workspace")).map_err(|e| e.to_string())?;
    let store = open_store().await?;
    let hash = server::auth::hash_password(password).await?;
    let ws = server::store_workspace_named(&store, &workspace)
        .await
        .map_err(|e| e.to_string())?;
    store
        .create_member(ws, &email, &name, &hash, role, true, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    println!("{name} <{email}> can now sign in to {workspace:?} as {}", role.label());
    Ok(())
}

/// Rescores every workspace at start and then every SUCCESS_RESCORE_MINUTES (default 15).
async fn rescore_on_schedule(service: std::sync::Arc<server::service::Data>) {
    let minutes: u64 = std::env::var("SUCCESS_RESCORE_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .filter(|m| *m > 0)
        .unwrap_or(15);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(minutes * 60));
    loop {
        tick.tick().await;
        // With replicas, each turn of the schedule is claimed by one of them.
        let now = service.clock.now();
        let slot = format!("{minutes}m:{}", now.timestamp() / (minutes as i64 * 60));
        let workspaces = match service.store.workspace_ids().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "rescoring: cannot list workspaces");
                continue;
            }
        };
        // One workspace failing does not keep the others from being rescored.
        for ws in workspaces {
            match service
                .store
                .claim_job(&format!("rescore:{ws}"), &slot, &service.replica, now)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::error!(workspace = ws, error = %e, "rescoring: cannot claim this turn");
                    continue;
                }
            }
            match service.rescore(ws).await {
                Ok(changed) => tracing::info!(workspace = ws, changed, "rescored"),
                Err(e) => tracing::error!(workspace = ws, error = %e, "rescoring failed"),
            }
        }
    }
}

/// Times the Convert and Re-engage refresh on a large demo, and the pure scoring on its own.
async fn bench_likelihood(args: &[String]) -> Result<(), String> {
    let accounts: usize = match (args.first().map(String::as_str), args.get(1)) {
        (Some("--accounts"), Some(n)) => n.replace('_', "").parse().map_err(|_| format!("not a number: {n}"))?,
        (None, _) => 70_000,
        _ => return Err("usage: server bench likelihood [--accounts N]".into()),
    };
    let store = open_store().await?;
    let err = |e: server::store::StoreError| e.to_string();
    let today = chrono::Utc::now().date_naive();
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let data = demo::generate(&demo::DemoSpec {
        accounts,
        seed: demo::DEFAULT_SEED,
        today,
        name: format!("Likelihood benchmark ({accounts} accounts)"),
        slug: format!("bench-lk-{accounts}-{stamp}"),
    });
    let ws = store.load_dataset(&data, &|_| {}).await.map_err(err)?;
    println!("loaded {accounts} accounts into workspace {ws}");
    for (label, run) in [("first refresh", 1), ("nothing changed", 2)] {
        let t = Instant::now();
        let report = server::likelihood::refresh(&store, ws, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        println!(
            "{label:>16}: {:>6.0} ms for {} trials, {} prospects and {} losses; scoring alone {:.1} ms; {} rows written{}",
            t.elapsed().as_secs_f64() * 1000.0,
            report.trials_scored,
            report.prospects_scored,
            report.losses_scored,
            report.score_us as f64 / 1000.0,
            report.changed,
            if run == 1 {
                " (includes training both models)"
            } else {
                ""
            }
        );
    }
    // Predicting and explaining 10,000 cases, nothing else.
    for kind in app::likelihood::ModelKind::ALL {
        let model = store.model(ws, kind).await.map_err(err)?;
        let cases: Vec<_> = store
            .examples(ws, kind)
            .await
            .map_err(err)?
            .into_iter()
            .map(|e| e.features)
            .cycle()
            .take(10_000)
            .collect();
        let t = Instant::now();
        let total: i64 = cases.iter().map(|c| model.predict(c).percent as i64).sum();
        println!(
            "{:>16}: 10,000 cases predicted and explained in {:.1} ms (mean {:.0}%)",
            kind.label(),
            t.elapsed().as_secs_f64() * 1000.0,
            total as f64 / 10_000.0
        );
    }
    Ok(())
}

async fn bench_command(args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("sync") {
        return bench_sync(&args[1..]).await;
    }
    if args.first().map(String::as_str) == Some("loop") {
        let number = |name: &str, default: usize| -> Result<usize, String> {
            flag(args, name).map_or(Ok(default), |n| {
                n.replace('_', "")
                    .parse()
                    .map_err(|_| format!("{name}: not a number: {n}"))
            })
        };
        let store = open_store().await?;
        return server::close_loop::bench::run(&store, number("--requests", 5000)?, number("--items", 2000)?).await;
    }
    if args.first().map(String::as_str) == Some("likelihood") {
        return bench_likelihood(&args[1..]).await;
    }
    if args.first().map(String::as_str) == Some("webhook") {
        let runs = flag(args, "--runs").and_then(|n| n.parse().ok()).unwrap_or(21);
        println!("{}", server::connectors::webhooks::bench(runs));
        return Ok(());
    }
    if args.first().map(String::as_str) == Some("live") {
        let number = |name: &str, default: usize| -> Result<usize, String> {
            flag(args, name).map_or(Ok(default), |n| {
                n.replace('_', "")
                    .parse()
                    .map_err(|_| format!("{name}: not a number: {n}"))
            })
        };
        return server::live_bench::run(number("--clients", 2000)?, number("--moves", 20)?).await;
    }
    if args.first().map(String::as_str) != Some("rescore") {
        return Err(format!(
            "usage: server bench rescore [--accounts N] [--runs R]\n\n{USAGE}"
        ));
    }
    let number = |name: &str, default: usize| -> Result<usize, String> {
        flag(args, name).map_or(Ok(default), |n| {
            n.replace('_', "")
                .parse()
                .map_err(|_| format!("{name}: not a number: {n}"))
        })
    };
    let accounts = number("--accounts", 100_000)?;
    let runs = number("--runs", 3)?.max(1);
    let store = open_store().await?;
    let today = chrono::Utc::now().date_naive();
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let spec = demo::DemoSpec {
        accounts,
        seed: demo::DEFAULT_SEED,
        today,
        name: format!("Rescore benchmark ({accounts} accounts)"),
        slug: format!("bench-{accounts}-{stamp}"),
    };
    let data = demo::generate(&spec);
    let ws = store.load_dataset(&data, &|_| {}).await.map_err(|e| e.to_string())?;
    println!(
        "loaded {accounts} accounts ({} rows) into workspace {ws}",
        data.row_count()
    );
    let err = |e: server::store::StoreError| e.to_string();
    // A rescore runs long after the data arrived: each run starts from a checkpointed database,
    // not from the write-ahead log of the load or of the run before.
    let settle = || async {
        if store.backend() == server::store::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(store.pool())
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(())
    };
    // This machine's speed drifts by a fifth from minute to minute, so the runs alternate (first
    // rescore, unchanged rescore, raw insert) and each figure is given as best and median.
    let (mut first, mut again, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=runs {
        store.clear_scores(ws).await.map_err(err)?;
        settle().await?;
        let t = Instant::now();
        let report = server::rescore::rescore_workspace(&store, ws, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        first.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "run {run}: rescore, every row new: {:>5.0} ms (ids read in {} ms, then the spans read and scored in {} ms alongside the write, {} ms; {} of {} written)",
            first[first.len() - 1],
            report.read_ms,
            report.score_ms,
            report.write_ms,
            report.changed,
            report.accounts
        );
        settle().await?;
        let t = Instant::now();
        let report = server::rescore::rescore_workspace(&store, ws, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        again.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "run {run}: rescore, nothing changed: {:>5.0} ms ({} written)",
            again[again.len() - 1],
            report.changed
        );
        // The same rows through a plain bulk insert into empty score tables, for comparison.
        let card = store.scorecard(ws).await.map_err(err)?;
        let t = Instant::now();
        let inputs = store.score_inputs(ws, today).await.map_err(err)?;
        let read = t.elapsed();
        let scores = server::rescore::score_all(&card, &inputs);
        println!(
            "run {run}: read alone {:>5.0} ms, score alone {:>5.0} ms",
            read.as_secs_f64() * 1000.0,
            (t.elapsed() - read).as_secs_f64() * 1000.0
        );
        store.clear_scores(ws).await.map_err(err)?;
        settle().await?;
        let t = Instant::now();
        store
            .write_scores(ws, scores, today, chrono::Utc::now())
            .await
            .map_err(err)?;
        raw.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "run {run}: raw bulk insert of the same rows: {:>5.0} ms",
            raw[raw.len() - 1]
        );
    }
    let summary = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        (xs[0], xs[xs.len() / 2])
    };
    let (first_best, first_median) = summary(&mut first);
    let (again_best, again_median) = summary(&mut again);
    let (raw_best, raw_median) = summary(&mut raw);
    println!("{runs} runs, best / median:");
    println!("  rescore, every row new:   {first_best:>5.0} / {first_median:>5.0} ms");
    println!("  rescore, nothing changed: {again_best:>5.0} / {again_median:>5.0} ms");
    println!("  raw bulk insert:          {raw_best:>5.0} / {raw_median:>5.0} ms");
    println!(
        "  rescore / raw insert = {:.2}× (best), {:.2}× (median)",
        first_best / raw_best,
        first_median / raw_median
    );
    Ok(())
}
