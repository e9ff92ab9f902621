//! The Success server binary: web server, demo generator and maintenance commands.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use server::commands::{self, bench};
use server::config::{Config, SETTINGS};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Success — customer success workspace.
#[derive(Parser)]
#[command(name = "server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default)
    Serve,
    /// Create the read-only Pied Piper preview if missing, or with --accounts generate and load a
    /// demo workspace of that size
    Demo {
        /// Accounts to generate (1–1,000,000)
        #[arg(long, value_parser = accounts)]
        accounts: Option<usize>,
        /// The new workspace's name
        #[arg(long, requires = "accounts")]
        name: Option<String>,
    },
    /// Apply database migrations and exit
    Migrate,
    /// Serve local fakes of Stripe, Salesbricks, HubSpot, PostHog, Attio, GitHub and release
    /// feeds (tests, and trying Success without vendor accounts). Keys: sk_test_fake_success,
    /// sbk_test_fake_success, pat-fake-success, phx_fake_success (project 4242),
    /// attio_fake_success, ghp_fake_success; feeds at /feeds/releases.xml, atom.xml, CHANGELOG.md
    FakeVendors {
        #[arg(long, default_value = "127.0.0.1:4010")]
        addr: String,
        /// Customers each vendor knows
        #[arg(long, default_value_t = 40, value_parser = count)]
        customers: usize,
        /// Percent of requests answered with a vendor's error or rate limit
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
        faults: u32,
    },
    /// Sync one connected integration of a workspace now and exit when it and its follow-up end
    Sync {
        #[arg(long)]
        workspace: i64,
        /// stripe, salesbricks, hubspot, posthog, attio, github or feeds
        #[arg(long, value_parser = integration)]
        source: app::model::IntegrationKind,
    },
    /// The outbox of account emails
    #[command(subcommand)]
    Outbox(Outbox),
    /// People and workspaces
    #[command(subcommand)]
    Admin(Admin),
    /// The settings (environment and success.toml)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Benchmarks (server/BENCHMARKS.md); most load data into DATABASE_URL: point it at a
    /// scratch database
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Subcommand)]
enum Outbox {
    /// Send every due email now and exit (the web server sends them continuously)
    Send,
}

#[derive(Subcommand)]
enum Admin {
    /// Create a person with access to Success. The password is read from SUCCESS_PASSWORD or the
    /// first line of stdin (there is no default). Creates the workspace when none has that name.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Default: "My workspace"
        #[arg(long)]
        workspace: Option<String>,
        /// owner, admin, csm or viewer
        #[arg(long, default_value = "owner", value_parser = role)]
        role: app::access::Role,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check every setting and print it with where it came from (secrets redacted); fails on the
    /// first wrong value
    Check,
}

#[derive(Subcommand)]
enum Bench {
    /// Sync N Stripe subscriptions and 3N invoices from a local fake that allows 100 requests a
    /// second; prints time, requests and memory
    Sync {
        #[arg(long, default_value_t = 10_000, value_parser = count)]
        subscriptions: usize,
    },
    /// Load N demo accounts and time rescoring against a raw bulk insert, R times
    Rescore {
        #[arg(long, default_value_t = 100_000, value_parser = count)]
        accounts: usize,
        #[arg(long, default_value_t = 3, value_parser = count)]
        runs: usize,
    },
    /// Load N demo accounts (about 10,000 trials and 10,000 losses at 70,000), time the Convert
    /// and Re-engage refresh, and scoring 10,000 cases alone
    Likelihood {
        #[arg(long, default_value_t = 70_000, value_parser = count)]
        accounts: usize,
    },
    /// Load N demo accounts and time the Health queue server fn from C concurrent callers over
    /// eight common views
    HealthQueue {
        #[arg(long, default_value_t = 10_000, value_parser = count)]
        accounts: usize,
        #[arg(long, default_value_t = 32, value_parser = count)]
        callers: usize,
        #[arg(long, default_value_t = 3_200, value_parser = count)]
        calls: usize,
        /// Every call reads the database (SUCCESS_READ_CACHE_SECONDS=0)
        #[arg(long)]
        no_cache: bool,
    },
    /// Start a server on a scratch database, open N event streams, move a deal M times; prints
    /// memory per stream and how long each move takes to reach every stream
    Live {
        #[arg(long, default_value_t = 2_000, value_parser = count)]
        clients: usize,
        #[arg(long, default_value_t = 20, value_parser = count)]
        moves: usize,
    },
    /// Time a Stripe signature check over 1 MiB and the refusal of a 60,000-candidate header
    Webhook {
        /// Runs; the median is printed
        #[arg(long, default_value_t = 21, value_parser = count)]
        runs: usize,
    },
    /// Match N feature requests against M release items in a new workspace; prints matching and
    /// whole-refresh times
    Loop {
        #[arg(long, default_value_t = 5_000, value_parser = count)]
        requests: usize,
        #[arg(long, default_value_t = 2_000, value_parser = count)]
        items: usize,
    },
}

/// A count, `10000` or `10_000`.
fn count(text: &str) -> Result<usize, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))
}

fn accounts(text: &str) -> Result<usize, String> {
    count(text).and_then(|n| {
        (1..=1_000_000)
            .contains(&n)
            .then_some(n)
            .ok_or_else(|| "must be between 1 and 1,000,000".to_string())
    })
}

fn integration(text: &str) -> Result<app::model::IntegrationKind, String> {
    app::model::IntegrationKind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| format!("{text:?} is not one of stripe, salesbricks, hubspot, posthog, attio, github, feeds"))
}

fn role(text: &str) -> Result<app::access::Role, String> {
    app::access::Role::parse(text).ok_or_else(|| format!("must be owner, admin, csm or viewer, not {text:?}"))
}

/// The environment section of `--help`, from the settings table.
fn environment_help() -> String {
    let mut out = String::from(
        "Settings: each environment variable below, else its key in success.toml (lower case, without\n\
         SUCCESS_; SUCCESS_CONFIG names another file), else the default. `server config check` prints them.\n\n",
    );
    for s in SETTINGS {
        let default = if s.default.is_empty() {
            String::new()
        } else {
            format!(" (default {})", s.default)
        };
        out.push_str(&format!("  {}{default}\n      {}\n", s.env, s.meaning));
    }
    out.push_str(
        "  LEPTOS_SITE_ADDR (default 127.0.0.1:3000)\n      address to listen on (environment only)\n  \
         RUST_LOG (default info,sqlx=warn)\n      log filter (environment only)\n  \
         TOKIO_WORKER_THREADS (default: one per core)\n      threads serving requests (environment only)\n  \
         SUCCESS_PASSWORD\n      the password for admin create-user (else the first line of stdin)\n\n\
         See README.md for every setting with its default and meaning.",
    );
    out
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let matches = Cli::command().after_long_help(environment_help()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let config = match (Config::load(), &command) {
        (Ok((_, values)), Command::Config(ConfigCommand::Check)) => {
            print!("{}", values.report());
            println!("configuration is valid");
            return Ok(());
        }
        (Ok((config, _)), _) => config.install(),
        (Err(e), _) => return Err(e),
    };
    match command {
        Command::Serve => commands::serve(config).await,
        Command::Demo { accounts, name } => commands::demo(config, accounts, name).await,
        Command::Migrate => {
            commands::open_store(config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::FakeVendors {
            addr,
            customers,
            faults,
        } => commands::fake_vendors(&addr, customers, faults).await,
        Command::Sync { workspace, source } => commands::sync(config, workspace, source).await,
        Command::Outbox(Outbox::Send) => commands::outbox_send(config).await,
        Command::Admin(Admin::CreateUser {
            email,
            name,
            workspace,
            role,
        }) => commands::create_user(config, email, name, workspace, role).await,
        Command::Config(ConfigCommand::Check) => Ok(()),
        Command::Bench(b) => {
            let store = || commands::open_store(config);
            match b {
                Bench::Sync { subscriptions } => bench::sync(store().await?, subscriptions).await,
                Bench::Rescore { accounts, runs } => bench::rescore(store().await?, accounts, runs).await,
                Bench::Likelihood { accounts } => bench::likelihood(store().await?, accounts).await,
                Bench::HealthQueue {
                    accounts,
                    callers,
                    calls,
                    no_cache,
                } => {
                    server::health::bench::run(store().await?, accounts, callers.max(1), calls.max(1), !no_cache).await
                }
                Bench::Live { clients, moves } => server::live_bench::run(clients, moves).await,
                Bench::Webhook { runs } => {
                    println!("{}", server::connectors::webhooks::bench(runs));
                    Ok(())
                }
                Bench::Loop { requests, items } => {
                    server::close_loop::bench::run(&store().await?, requests, items).await
                }
            }
        }
    }
}
