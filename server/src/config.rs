//! The server's settings, loaded once at start: each from its environment variable, else from
//! `success.toml` (the same name in lower case without `SUCCESS_`), else its default.
//! `server config check` prints them with secrets redacted.

use crate::auth::{AuthConfig, IpRange};
use std::path::PathBuf;
use std::sync::OnceLock;

/// One setting: where it is read from, its default and what it means (for `--help`,
/// `config check` and the README).
pub struct Setting {
    pub env: &'static str,
    pub default: &'static str,
    pub secret: bool,
    pub meaning: &'static str,
}

impl Setting {
    /// Its key in `success.toml`: `SUCCESS_TRUST_PROXY` → `trust_proxy`.
    pub fn key(&self) -> String {
        self.env.trim_start_matches("SUCCESS_").to_ascii_lowercase()
    }
}

const fn setting(env: &'static str, default: &'static str, meaning: &'static str) -> Setting {
    Setting {
        env,
        default,
        secret: false,
        meaning,
    }
}

const fn secret(env: &'static str, meaning: &'static str) -> Setting {
    Setting {
        env,
        default: "",
        secret: true,
        meaning,
    }
}

/// Every setting the server reads. `LEPTOS_SITE_ADDR`, `RUST_LOG` and `TOKIO_WORKER_THREADS`
/// are read by the libraries that use them, from the environment only.
pub const SETTINGS: &[Setting] = &[
    setting(
        "DATABASE_URL",
        "sqlite://data/success.db",
        "sqlite://PATH or postgres://user@host/db",
    ),
    setting(
        "SUCCESS_DATA_DIR",
        "",
        "folder of the generated key file (default: the SQLite file's folder, or ./data)",
    ),
    setting(
        "SUCCESS_PUBLIC_URL",
        "",
        "origin people use, e.g. https://success.example.com (Secure cookies, links in emails)",
    ),
    setting(
        "SUCCESS_TRUST_PROXY",
        "false",
        "true behind a proxy that sets X-Forwarded-Proto",
    ),
    setting(
        "SUCCESS_TRUSTED_PROXIES",
        "",
        "addresses or CIDR ranges of proxies whose X-Forwarded-For hop is believed",
    ),
    setting(
        "SUCCESS_ALLOW_PRIVATE_NETWORK",
        "false",
        "true lets connectors, feeds and SMTP reach loopback and private addresses",
    ),
    secret(
        "SUCCESS_SETUP_TOKEN",
        "the token first-run setup asks for (default: a new one each start, logged)",
    ),
    setting(
        "SUCCESS_PUBLIC_DEMO",
        "true",
        "false shows the Pied Piper preview to signed-in people only",
    ),
    secret(
        "SUCCESS_SECRET_KEY",
        "32-byte key (64 hex digits or base64) sealing integration credentials (default: a generated key file)",
    ),
    setting(
        "SUCCESS_SIGN_INS_PER_MINUTE",
        "10",
        "sign-in, sign-up and reset attempts a client address may make a minute (1–10000)",
    ),
    setting(
        "SUCCESS_READ_CACHE_SECONDS",
        "2",
        "how long Health pages stay cached in memory (0: off)",
    ),
    setting(
        "SUCCESS_RESCORE_MINUTES",
        "15",
        "how often every workspace is rescored (also at start)",
    ),
    setting(
        "SUCCESS_WEBHOOK_MAX_KIB",
        "1024",
        "largest webhook body accepted, in KiB (16–65536)",
    ),
    setting(
        "SUCCESS_IMPORT_MAX_KIB",
        "6144",
        "largest body a signed-in member may send (a signals CSV), in KiB (256–262144)",
    ),
    setting(
        "SUCCESS_OUTBOX_LEASE_SECONDS",
        "120",
        "how long a claimed email may take before its sender counts as gone",
    ),
    setting(
        "SUCCESS_SMTP_CA_FILE",
        "",
        "PEM certificate to trust for the SMTP server (a private CA)",
    ),
    setting(
        "SUCCESS_LLM_URL",
        "",
        "an OpenAI-compatible chat endpoint the account chat answers with",
    ),
    setting("SUCCESS_LLM_MODEL", "", "the chat model's name"),
    secret("SUCCESS_LLM_KEY", "the chat endpoint's API key"),
    setting(
        "SUCCESS_EMBEDDINGS_URL",
        "",
        "an OpenAI-compatible embeddings endpoint Close the Loop blends in",
    ),
    setting("SUCCESS_EMBEDDINGS_MODEL", "", "the embeddings model's name"),
    secret("SUCCESS_EMBEDDINGS_KEY", "the embeddings endpoint's API key"),
];

/// Where a value came from, for `config check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Env,
    File,
    Default,
}

/// The raw values, one per setting, before they are checked.
pub struct Values {
    values: Vec<(String, Origin)>,
    pub file: Option<PathBuf>,
}

impl Values {
    /// Reads `env` for each setting, then the TOML text of `file` (named `path`).
    pub fn read(env: impl Fn(&str) -> Option<String>, file: Option<(PathBuf, &str)>) -> Result<Values, String> {
        let table: toml::Table = match &file {
            Some((path, text)) => text
                .parse()
                .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))?,
            None => toml::Table::new(),
        };
        let path = file.map(|(p, _)| p);
        let known: Vec<String> = SETTINGS.iter().map(Setting::key).collect();
        if let Some(unknown) = table.keys().find(|k| !known.contains(k)) {
            return Err(format!(
                "{}: unknown key {unknown:?} (known keys: {})",
                path.as_deref()
                    .unwrap_or(std::path::Path::new("success.toml"))
                    .display(),
                known.join(", ")
            ));
        }
        let mut values = Vec::new();
        for s in SETTINGS {
            let from_file = table.get(&s.key()).map(|v| match v {
                toml::Value::String(text) => text.clone(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            });
            values.push(match (env(s.env).filter(|v| !v.is_empty()), from_file) {
                (Some(v), _) => (v, Origin::Env),
                (None, Some(v)) => (v, Origin::File),
                (None, None) => (s.default.to_string(), Origin::Default),
            });
        }
        Ok(Values { values, file: path })
    }

    fn get(&self, env: &str) -> &str {
        SETTINGS
            .iter()
            .position(|s| s.env == env)
            .map(|i| self.values[i].0.trim())
            .unwrap_or("")
    }

    fn optional(&self, env: &str) -> Option<String> {
        Some(self.get(env).to_string()).filter(|v| !v.is_empty())
    }

    fn flag(&self, env: &str) -> Result<bool, String> {
        match self.get(env) {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            other => Err(format!("{env} must be true or false, not {other:?}")),
        }
    }

    fn number(&self, env: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
        let text = self.get(env);
        text.replace('_', "")
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "{env} must be a whole number from {} to {}, not {text:?}",
                    range.start(),
                    range.end()
                )
            })
    }

    /// Each setting with its value (secrets redacted) and where it came from.
    pub fn report(&self) -> String {
        let width = SETTINGS.iter().map(|s| s.env.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (s, (value, origin)) in SETTINGS.iter().zip(&self.values) {
            let shown = match (s.secret, value.is_empty()) {
                (_, true) => "(not set)".to_string(),
                (true, false) => "(set, redacted)".to_string(),
                (false, false) => value.clone(),
            };
            let from = match origin {
                Origin::Env => "environment".to_string(),
                Origin::File => self.file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                Origin::Default => "default".to_string(),
            };
            out.push_str(&format!("{:<width$}  {shown}  [{from}]\n", s.env));
        }
        out
    }
}

/// The settings, checked and typed.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub auth: AuthConfig,
    pub secret_key: Option<String>,
    pub read_cache_seconds: u64,
    pub rescore_minutes: u64,
    pub outbox_lease_seconds: u64,
    /// Request body caps in bytes: webhooks, and what signed-in members send.
    pub webhook_max_bytes: usize,
    pub import_max_bytes: usize,
    pub smtp_ca_file: Option<PathBuf>,
    pub llm: Option<crate::llm::LlmConfig>,
    pub embeddings: Option<crate::close_loop::embeddings::EmbeddingsConfig>,
}

impl Default for Config {
    fn default() -> Self {
        let values = Values::read(|_| None, None).unwrap_or_else(|_| Values {
            values: Vec::new(),
            file: None,
        });
        Config::check(&values).unwrap_or_else(|_| unreachable_defaults())
    }
}

/// Only reached if a default above fails its own check, which the tests rule out.
fn unreachable_defaults() -> Config {
    Config {
        database_url: "sqlite://data/success.db".into(),
        data_dir: "data".into(),
        auth: AuthConfig::default(),
        secret_key: None,
        read_cache_seconds: 2,
        rescore_minutes: 15,
        outbox_lease_seconds: 120,
        webhook_max_bytes: 1 << 20,
        import_max_bytes: 6 << 20,
        smtp_ca_file: None,
        llm: None,
        embeddings: None,
    }
}

impl Config {
    /// From the process environment and `success.toml` (`SUCCESS_CONFIG` names another file;
    /// the default one may be absent).
    pub fn load() -> Result<(Config, Values), String> {
        let path = std::env::var("SUCCESS_CONFIG").ok().filter(|p| !p.is_empty());
        let text = match &path {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| format!("SUCCESS_CONFIG: cannot read {p}: {e}"))?),
            None => std::fs::read_to_string("success.toml").ok(),
        };
        let file = text
            .as_deref()
            .map(|t| (PathBuf::from(path.as_deref().unwrap_or("success.toml")), t));
        let values = Values::read(|name| std::env::var(name).ok(), file)?;
        Ok((Config::check(&values)?, values))
    }

    pub fn check(v: &Values) -> Result<Config, String> {
        let database_url = v.get("DATABASE_URL").to_string();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(format!(
                "DATABASE_URL must start with sqlite: or postgres://, not {database_url:?}"
            ));
        }
        let mut auth = AuthConfig::default();
        if let Some(url) = v.optional("SUCCESS_PUBLIC_URL") {
            let url = url.trim_end_matches('/').to_string();
            let has_path = url.splitn(4, '/').nth(3).is_some();
            if !(url.starts_with("https://") || url.starts_with("http://")) || has_path {
                return Err(format!(
                    "SUCCESS_PUBLIC_URL must be an origin like https://success.example.com, not {url:?}"
                ));
            }
            auth.link_origin = url.clone();
            auth.public_origin = Some(url);
        }
        auth.trust_proxy = v.flag("SUCCESS_TRUST_PROXY")?;
        auth.allow_private_network = v.flag("SUCCESS_ALLOW_PRIVATE_NETWORK")?;
        auth.setup_token = v.optional("SUCCESS_SETUP_TOKEN");
        auth.trusted_proxies = v
            .get("SUCCESS_TRUSTED_PROXIES")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                IpRange::parse(s)
                    .ok_or_else(|| format!("SUCCESS_TRUSTED_PROXIES: {s:?} is not an address or CIDR range"))
            })
            .collect::<Result<_, _>>()?;
        auth.public_demo = v.flag("SUCCESS_PUBLIC_DEMO")?;
        auth.sign_ins_per_minute = v.number("SUCCESS_SIGN_INS_PER_MINUTE", 1..=10_000)? as i64;
        let secret_key = v.optional("SUCCESS_SECRET_KEY");
        if let Some(key) = &secret_key {
            if crate::secrets::parse_key(key).is_none() {
                return Err("SUCCESS_SECRET_KEY must be 32 bytes as 64 hex digits or base64".into());
            }
        }
        let pair = |url: &str, model: &str, key: &str| match (v.optional(url), v.optional(model)) {
            (Some(url), Some(model)) => Ok(Some((url, model, v.optional(key)))),
            (None, None) => Ok(None),
            _ => Err(format!("{url} and {model} are set together or not at all")),
        };
        let llm = pair("SUCCESS_LLM_URL", "SUCCESS_LLM_MODEL", "SUCCESS_LLM_KEY")?
            .map(|(url, model, key)| crate::llm::LlmConfig { url, model, key });
        let embeddings = pair(
            "SUCCESS_EMBEDDINGS_URL",
            "SUCCESS_EMBEDDINGS_MODEL",
            "SUCCESS_EMBEDDINGS_KEY",
        )?
        .map(|(url, model, key)| crate::close_loop::embeddings::EmbeddingsConfig { url, model, key });
        Ok(Config {
            data_dir: v
                .optional("SUCCESS_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| sqlite_folder(&database_url)),
            database_url,
            auth,
            secret_key,
            read_cache_seconds: v.number("SUCCESS_READ_CACHE_SECONDS", 0..=86_400)?,
            rescore_minutes: v.number("SUCCESS_RESCORE_MINUTES", 1..=10_080)?,
            outbox_lease_seconds: v.number("SUCCESS_OUTBOX_LEASE_SECONDS", 1..=86_400)?,
            webhook_max_bytes: v.number("SUCCESS_WEBHOOK_MAX_KIB", 16..=65_536)? as usize * 1024,
            import_max_bytes: v.number("SUCCESS_IMPORT_MAX_KIB", 256..=262_144)? as usize * 1024,
            smtp_ca_file: v.optional("SUCCESS_SMTP_CA_FILE").map(PathBuf::from),
            llm,
            embeddings,
        })
    }

    /// Makes this the configuration the whole process reads (once, at start).
    pub fn install(self) -> &'static Config {
        let _ = CURRENT.set(self);
        current()
    }
}

static CURRENT: OnceLock<Config> = OnceLock::new();

/// The configuration installed at start; the defaults where none was (library use, tests).
pub fn current() -> &'static Config {
    CURRENT.get_or_init(Config::default)
}

/// The SQLite database's folder, else `data`.
fn sqlite_folder(url: &str) -> PathBuf {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn values(env: &[(&str, &str)], file: Option<&str>) -> Result<Values, String> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Values::read(
            |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            file.map(|t| (PathBuf::from("success.toml"), t)),
        )
    }

    #[test]
    fn the_defaults_pass_their_own_check() {
        let c = Config::check(&values(&[], None).unwrap()).unwrap();
        assert_eq!(c.database_url, "sqlite://data/success.db");
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert_eq!(
            (c.read_cache_seconds, c.rescore_minutes, c.auth.sign_ins_per_minute),
            (2, 15, 10)
        );
        assert_eq!((c.webhook_max_bytes, c.import_max_bytes), (1 << 20, 6 << 20));
        assert!(c.auth.public_demo && !c.auth.allow_private_network);
    }

    #[test]
    fn the_environment_wins_over_the_file_and_the_file_over_defaults() {
        let file = "trust_proxy = true\nrescore_minutes = 30\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\"]\nllm_key = \"sk-123\"\n";
        let v = values(&[("SUCCESS_RESCORE_MINUTES", "5")], Some(file)).unwrap();
        let c = Config::check(&v).unwrap();
        assert!(c.auth.trust_proxy);
        assert_eq!(c.rescore_minutes, 5);
        assert_eq!(c.auth.trusted_proxies.len(), 2);
        let report = v.report();
        assert!(report.contains("SUCCESS_RESCORE_MINUTES") && report.contains("[environment]"));
        assert!(report.contains("[success.toml]"));
        assert!(!report.contains("sk-123"), "a secret is never printed:\n{report}");
        assert!(report.contains("(set, redacted)"));
    }

    #[test]
    fn a_wrong_value_names_its_setting() {
        let err = |env: &[(&str, &str)], file: Option<&str>| {
            values(env, file)
                .and_then(|v| Config::check(&v).map(|_| ()))
                .unwrap_err()
        };
        assert!(err(&[("SUCCESS_TRUST_PROXY", "maybe")], None).contains("SUCCESS_TRUST_PROXY"));
        assert!(err(&[("SUCCESS_SIGN_INS_PER_MINUTE", "0")], None).contains("1 to 10000"));
        assert!(err(&[("SUCCESS_WEBHOOK_MAX_KIB", "8")], None).contains("16 to 65536"));
        let roomy = Config::check(&values(&[], Some("import_max_kib = 20480")).unwrap()).unwrap();
        assert_eq!(roomy.import_max_bytes, 20 << 20);
        assert!(err(&[("DATABASE_URL", "mysql://x")], None).contains("DATABASE_URL"));
        assert!(err(&[("SUCCESS_SECRET_KEY", "abc")], None).contains("64 hex digits"));
        assert!(values(&[("SUCCESS_SECRET_KEY", &"ab".repeat(32))], None)
            .and_then(|v| Config::check(&v))
            .is_ok());
        assert!(err(&[("SUCCESS_LLM_URL", "http://x")], None).contains("SUCCESS_LLM_MODEL"));
        assert!(err(&[], Some("rescore_minuts = 3")).contains("unknown key \"rescore_minuts\""));
        assert!(err(&[], Some("rescore_minutes = ")).contains("not valid TOML"));
        assert!(err(&[("SUCCESS_PUBLIC_URL", "https://x.example/app")], None).contains("origin"));
    }

    #[test]
    fn the_data_folder_follows_the_sqlite_file() {
        let c = Config::check(&values(&[("DATABASE_URL", "sqlite:///var/lib/success/s.db?mode=rwc")], None).unwrap())
            .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/success"));
        let c = Config::check(&values(&[("DATABASE_URL", "postgres://db/success")], None).unwrap()).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("data"));
    }
}
