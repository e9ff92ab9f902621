//! The server's commands (`server --help` lists them); `main.rs` parses the arguments.

pub mod bench;

use crate::config::Config;
use crate::demo;
use crate::store::Store;
use std::time::Instant;

/// Connects to DATABASE_URL and applies the migrations.
pub async fn open_store(config: &Config) -> Result<Store, String> {
    let store = Store::connect(&config.database_url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

/// The key sealing integration credentials: SUCCESS_SECRET_KEY, else the key file in the data folder.
fn secret_box(config: &Config) -> Result<crate::secrets::SecretBox, String> {
    crate::secrets::SecretBox::load(config.secret_key.as_deref(), &config.data_dir).map_err(|e| e.to_string())
}

/// Serves the web app until Ctrl-C.
pub async fn serve(config: &Config) -> Result<(), String> {
    let conf = leptos::prelude::get_configuration(None).map_err(|e| format!("invalid Leptos configuration: {e}"))?;
    let mut options = conf.leptos_options;
    // cargo-leptos hashes the asset names (hash-files) and writes hash.txt beside the binary; a
    // binary started by hand, without cargo-leptos's environment, finds the file there too.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
            .is_some_and(|file| file.is_file());
    }
    let addr = options.site_addr;
    let mut auth = config.auth.clone();
    if auth.public_origin.is_none() {
        auth.link_origin = format!("http://{addr}");
    }
    let store = open_store(config).await?;
    crate::ensure_preview_workspace(&store)
        .await
        .map_err(|e| e.to_string())?;
    if auth.setup_token.is_none() && !store.has_real_workspace().await.map_err(|e| e.to_string())? {
        let token = crate::auth::new_token();
        tracing::warn!(
            "first start: create the workspace at {}/setup with the setup token {token} \
             (a new one each start until then; set SUCCESS_SETUP_TOKEN to choose it)",
            auth.link_origin
        );
        auth.setup_token = Some(token);
    }
    let mut service = crate::service::Data::new(store.clone(), auth);
    service.secrets = secret_box(config)?;
    service.llm = config.llm.clone();
    service.embeddings = config.embeddings.clone();
    service.cache = crate::cache::ReadCache::new(std::time::Duration::from_secs(config.read_cache_seconds));
    match &service.llm {
        Some(llm) => tracing::info!(model = %llm.model, "account chat answers with a language model"),
        None => tracing::info!("account chat answers built-in (set SUCCESS_LLM_URL and SUCCESS_LLM_MODEL for a model)"),
    }
    let service = service.shared();
    service.go_live();
    tokio::spawn(crate::jobs::run(service.clone()));
    tokio::spawn(rescore_on_schedule(service.clone(), config.rescore_minutes));
    tokio::spawn(crate::integrations::sync_on_schedule(service.clone()));
    tokio::spawn(crate::close_loop::outbox::run(service.clone()));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e} (is another server using the port? set LEPTOS_SITE_ADDR)")
    })?;
    tracing::info!("Success is listening on http://{addr}");
    let app = crate::web::router_with(options, service);
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
pub async fn sync(config: &Config, ws: i64, kind: app::model::IntegrationKind) -> Result<(), String> {
    let store = open_store(config).await?;
    let mut data = crate::service::Data::new(store.clone(), config.auth.clone());
    data.secrets = secret_box(config)?;
    data.embeddings = config.embeddings.clone();
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
pub async fn outbox_send(config: &Config) -> Result<(), String> {
    let store = open_store(config).await?;
    let mut data = crate::service::Data::new(store.clone(), config.auth.clone());
    data.secrets = secret_box(config)?;
    let data = data.shared();
    let sent = crate::close_loop::outbox::drain(&data).await?;
    println!("{sent} emails handled");
    store.close().await;
    Ok(())
}

/// Without a size, the read-only Pied Piper preview; with one, a new demo workspace of that many
/// accounts.
pub async fn demo(config: &Config, accounts: Option<usize>, name: Option<String>) -> Result<(), String> {
    let store = open_store(config).await?;
    let today = chrono::Utc::now().date_naive();
    let Some(n) = accounts else {
        let created = crate::ensure_preview_workspace(&store)
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

/// `admin create-user`: the password from SUCCESS_PASSWORD, else the first line of stdin.
pub async fn create_user(
    config: &Config,
    email: String,
    name: String,
    workspace: Option<String>,
    role: app::access::Role,
) -> Result<(), String> {
    use app::access::{validate_new_user, validate_workspace_name};
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
    let (name, email) = validate_new_user(&name, &email, &password).map_err(|e| e.to_string())?;
    let workspace =
        validate_workspace_name(workspace.as_deref().unwrap_or("My workspace")).map_err(|e| e.to_string())?;
    let store = open_store(config).await?;
    let hash = crate::auth::hash_password(password).await?;
    let ws = crate::store_workspace_named(&store, &workspace)
        .await
        .map_err(|e| e.to_string())?;
    store
        .create_member(ws, &email, &name, &hash, role, true, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    println!("{name} <{email}> can now sign in to {workspace:?} as {}", role.label());
    Ok(())
}

/// Serves the vendors' fakes until Ctrl-C.
pub async fn fake_vendors(addr: &str, customers: usize, faults: u32) -> Result<(), String> {
    use crate::fakes::{salesbricks::SalesbricksData, stripe::StripeData, FakeState};
    let state = FakeState::new(
        StripeData::generate(customers, 3, customers / 20, 7),
        SalesbricksData::generate(customers, 7),
    );
    state.faults.lock().unwrap().percent = faults;
    *state.hubspot.lock().unwrap() = crate::fakes::hubspot::HubspotData::generate(customers, customers / 4, 7);
    *state.posthog.lock().unwrap() = crate::fakes::posthog::PosthogData::generate(customers, customers / 4, 7);
    *state.releases.lock().unwrap() = crate::fakes::releases::ReleasesData::generate(120);
    *state.attio.lock().unwrap() = crate::fakes::attio::AttioData::generate(customers.min(200), 20);
    let bound = crate::fakes::serve(state, addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("fake Stripe, Salesbricks, HubSpot, PostHog, Attio, GitHub and feed servers on http://{bound} ({customers} customers); Ctrl-C stops");
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}

/// Rescores every workspace at start and then every `minutes` (SUCCESS_RESCORE_MINUTES).
async fn rescore_on_schedule(service: std::sync::Arc<crate::service::Data>, minutes: u64) {
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
