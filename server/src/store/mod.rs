//! The store: one API over SQLite (default) and PostgreSQL (scale-out), used by server functions,
//! jobs and the CLI. Queries are runtime SQL through sqlx's `Any` driver; the few places where the
//! dialects differ branch on [`Backend`].

pub mod access;
pub mod accounts;
pub mod close_loop;
mod deals;
pub mod jobs;
pub mod likelihood;
pub mod live;
pub mod load;
pub mod matching;
mod overrides;
mod queries;
mod routes;
pub mod scores;
pub mod signals;
mod sql;
pub mod sync;

pub use load::Dataset;

/// `YYYY-MM-DD`, the stored form of a date.
pub fn sql_day(d: chrono::NaiveDate) -> String {
    sql::day(d)
}

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL must start with sqlite: or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    #[error("cannot open the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error(
        "the database was migrated by a newer version of Success (it has migration {0}, which this \
         build does not know); run the newer version or point DATABASE_URL at another database"
    )]
    NewerSchema(i64),
    #[error("database migration failed: {0}")]
    Migrate(MigrateError),
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The connection URL, for the Postgres listener that fans live events out across replicas.
    url: std::sync::Arc<str>,
    /// The Postgres NOTIFY channel of this database and schema (see `live::Store::channel`).
    channel: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

impl Store {
    /// Opens (and for SQLite creates) the database. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let connect_err = |source| StoreError::Connect {
            url: redact(url),
            source,
        };
        let given_url: std::sync::Arc<str> = url.into();
        let mut url = url.to_string();
        if backend == Backend::Sqlite {
            if let Some(dir) = sqlite_path(&url).and_then(|p| std::path::Path::new(p).parent().map(|d| d.to_path_buf()))
            {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(&dir).map_err(|e| connect_err(sqlx::Error::Io(e)))?;
                }
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
            }
        }
        let options = AnyConnectOptions::from_str(&url).map_err(connect_err)?;
        // A pool reports an unreachable server only as a timeout; one direct connection names the cause.
        options
            .connect()
            .await
            .map_err(connect_err)?
            .close()
            .await
            .map_err(connect_err)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                             PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824;",
                        )
                        .await?;
                        conn.execute(SQLITE_CACHE).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(connect_err)?;
        Ok(Self {
            pool,
            backend,
            url: given_url,
            channel: Default::default(),
        })
    }

    /// Applies this build's migrations; refuses a database from a newer build.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.map_err(|e| match e {
            MigrateError::VersionMissing(v) => StoreError::NewerSchema(v),
            other => StoreError::Migrate(other),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn channel_cell(&self) -> &tokio::sync::OnceCell<String> {
        &self.channel
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (waiting up to
    /// busy_timeout for another writer): one that reads first and writes later fails outright
    /// ("database is locked", SQLITE_BUSY_SNAPSHOT) when another connection wrote in between.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        self.take_write_lock(&mut tx).await?;
        Ok(tx)
    }

    /// [`Store::begin_write`] on a connection the caller holds (and can set up after the commit).
    pub async fn begin_write_on<'c>(
        &self,
        conn: &'c mut sqlx::AnyConnection,
    ) -> Result<sqlx::Transaction<'c, sqlx::Any>> {
        let mut tx = sqlx::Connection::begin(conn).await?;
        self.take_write_lock(&mut tx).await?;
        Ok(tx)
    }

    async fn take_write_lock(&self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("UPDATE workspaces SET id = id WHERE 0 = 1")
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Each SQLite connection's page cache (`PRAGMA cache_size`, negative: KiB), as set at connect.
pub(crate) const SQLITE_CACHE: &str = "PRAGMA cache_size = -16000";

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Hides a password in a database URL before it reaches a log or an error.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/success"),
            "postgres://app:***@db:5432/success"
        );
        assert_eq!(redact("postgres://app@db/success"), "postgres://app@db/success");
        assert_eq!(redact("sqlite://data/success.db"), "sqlite://data/success.db");
    }

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(sqlite_path("sqlite://data/success.db"), Some("data/success.db"));
        assert_eq!(sqlite_path("sqlite:data/x.db?mode=rwc"), Some("data/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
