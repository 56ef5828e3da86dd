//! Connection settings (SPEC §5): `DATABASE_URL`, or the plan's
//! `POSTGRES_HOST/PORT/DB/USER/PASSWORD`, plus pool and timeout settings.
//! Parsed once from a map of variables; nothing here reads the environment
//! except [`PgConfig::from_env`], which callers use at start-up.

use crate::PgError;
use crate::redact::{HIDDEN, parse_as_sqlx_would, redact_url, scrub};
use std::collections::HashMap;
use std::time::Duration;

/// `PRESCIENT_PG_POOL_SIZE`: maximum pooled connections (plan: `pool_size=10`).
pub const POOL_SIZE_VAR: &str = "PRESCIENT_PG_POOL_SIZE";
/// `PRESCIENT_PG_CONNECT_TIMEOUT_MS`: how long to wait for a new connection.
pub const CONNECT_TIMEOUT_VAR: &str = "PRESCIENT_PG_CONNECT_TIMEOUT_MS";
/// `PRESCIENT_PG_HEALTH_TIMEOUT_MS`: how long a health check may take.
pub const HEALTH_TIMEOUT_VAR: &str = "PRESCIENT_PG_HEALTH_TIMEOUT_MS";

/// Typed PostgreSQL settings.
#[derive(Clone, PartialEq, Eq)]
pub struct PgConfig {
    /// `postgres://user:password@host:port/db`.
    pub url: String,
    /// Maximum pooled connections.
    pub pool_size: u32,
    /// Timeout for opening (and acquiring) a connection.
    pub connect_timeout: Duration,
    /// Timeout of [`crate::PgStore::health`].
    pub health_timeout: Duration,
}

impl std::fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &self.redacted_url())
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("health_timeout", &self.health_timeout)
            .finish()
    }
}

impl PgConfig {
    pub const DEFAULT_POOL_SIZE: u32 = 10;
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

    /// Settings for `url` with default pool size and timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        PgConfig {
            url: url.into(),
            pool_size: Self::DEFAULT_POOL_SIZE,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            health_timeout: Self::DEFAULT_HEALTH_TIMEOUT,
        }
    }

    /// Settings from a map of variables (the environment, a `.env` file…).
    /// `DATABASE_URL` wins; otherwise `POSTGRES_HOST` (required) with
    /// `POSTGRES_PORT` (5432), `POSTGRES_DB` (`prescient_os`), `POSTGRES_USER`
    /// (`postgres`) and `POSTGRES_PASSWORD` (none). Empty values count as unset.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, PgError> {
        let get = |k: &str| vars.get(k).filter(|v| !v.trim().is_empty()).cloned();
        let url = match get("DATABASE_URL") {
            Some(url) => url,
            None => migration::url_from_postgres_vars(get).ok_or(PgError::NoDatabase)?,
        };
        let mut config = PgConfig::new(url);
        if let Some(size) = number(vars, POOL_SIZE_VAR)? {
            if size == 0 {
                return Err(PgError::InvalidSetting {
                    name: POOL_SIZE_VAR,
                    value: "0".into(),
                    expected: "a pool size of at least 1",
                });
            }
            config.pool_size = u32::try_from(size).unwrap_or(u32::MAX);
        }
        if let Some(ms) = number(vars, CONNECT_TIMEOUT_VAR)? {
            config.connect_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = number(vars, HEALTH_TIMEOUT_VAR)? {
            config.health_timeout = Duration::from_millis(ms);
        }
        Ok(config)
    }

    /// [`PgConfig::from_vars`] over the process environment. Call it once at
    /// start-up and pass the result down.
    pub fn from_env() -> Result<Self, PgError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// The URL with every password in it (userinfo or `?password=`)
    /// replaced by `***`, for logs, errors and `/trading/status`.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    /// `text` (an error of the driver, which may quote the URL) without
    /// this connection's password in any form.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.url)
    }

    /// The connection for a libpq tool (`pg_dump`): the URI without its
    /// password, for the command line, and the password, for `PGPASSWORD`
    /// (a command line is visible to every user of the machine). A URL that
    /// does not parse the way the driver reads it is refused rather than
    /// passed on whole.
    pub fn for_libpq(&self) -> Result<LibpqConnection, PgError> {
        let invalid = || PgError::InvalidUrl {
            url: self.redacted_url(),
        };
        let mut parsed = parse_as_sqlx_would(&self.url).ok_or_else(invalid)?;
        let mut password = parsed.password().map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        });
        parsed.set_password(None).map_err(|()| invalid())?;
        // The driver reads `?password=` after the userinfo, so it wins.
        let mut kept: Vec<(String, String)> = Vec::new();
        for (key, value) in parsed.query_pairs() {
            if key.eq_ignore_ascii_case("password") {
                password = Some(value.into_owned());
            } else {
                kept.push((key.into_owned(), value.into_owned()));
            }
        }
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        Ok(LibpqConnection {
            uri: parsed.to_string(),
            password: password.filter(|p| !p.is_empty()),
        })
    }
}

/// A connection as a libpq tool takes it ([`PgConfig::for_libpq`]).
#[derive(Clone, PartialEq, Eq)]
pub struct LibpqConnection {
    /// `postgres://user@host:port/db?…`, with no password in it.
    pub uri: String,
    /// For the tool's `PGPASSWORD`.
    pub password: Option<String>,
}

impl std::fmt::Debug for LibpqConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibpqConnection")
            .field("uri", &self.uri)
            .field("password", &self.password.as_ref().map(|_| HIDDEN))
            .finish()
    }
}

fn number(vars: &HashMap<String, String>, name: &'static str) -> Result<Option<u64>, PgError> {
    let Some(value) = vars.get(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    value
        .trim()
        .parse::<u64>()
        .map(Some)
        .map_err(|_| PgError::InvalidSetting {
            name,
            value: value.clone(),
            expected: "a whole number",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn database_url_wins_over_postgres_vars() {
        let c = PgConfig::from_vars(&vars(&[
            ("DATABASE_URL", "postgres://a@h/db"),
            ("POSTGRES_HOST", "other"),
        ]))
        .unwrap();
        assert_eq!(c.url, "postgres://a@h/db");
        assert_eq!(c.pool_size, PgConfig::DEFAULT_POOL_SIZE);
    }

    #[test]
    fn postgres_vars_and_settings_parse() {
        let c = PgConfig::from_vars(&vars(&[
            ("DATABASE_URL", ""),
            ("POSTGRES_HOST", "db.local"),
            ("POSTGRES_USER", "prescient_user"),
            ("POSTGRES_PASSWORD", "secret"),
            (POOL_SIZE_VAR, "4"),
            (HEALTH_TIMEOUT_VAR, "250"),
        ]))
        .unwrap();
        assert_eq!(
            c.url,
            "postgres://prescient_user:secret@db.local:5432/prescient_os"
        );
        assert_eq!(c.pool_size, 4);
        assert_eq!(c.health_timeout, Duration::from_millis(250));
        assert_eq!(
            c.redacted_url(),
            "postgres://prescient_user:***@db.local:5432/prescient_os"
        );
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn libpq_tools_get_the_password_apart_from_the_uri() {
        let c = PgConfig::new("postgres://u:s%40cret@h:5433/db?sslmode=require");
        let libpq = c.for_libpq().unwrap();
        assert_eq!(libpq.uri, "postgres://u@h:5433/db?sslmode=require");
        assert_eq!(libpq.password.as_deref(), Some("s@cret"));
        assert!(!format!("{libpq:?}").contains("cret"));
        let c = PgConfig::new("postgres://u:old@h/db?password=new+one&application_name=p");
        let libpq = c.for_libpq().unwrap();
        assert_eq!(libpq.uri, "postgres://u@h/db?application_name=p");
        assert_eq!(libpq.password.as_deref(), Some("new one"));
        let c = PgConfig::new("postgres://postgres@127.0.0.1:5432/postgres");
        let libpq = c.for_libpq().unwrap();
        assert_eq!(libpq.uri, "postgres://postgres@127.0.0.1:5432/postgres");
        assert_eq!(libpq.password, None);
        let err = PgConfig::new("postgres://u:12/secret@h/db")
            .for_libpq()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn missing_or_bad_settings_are_errors() {
        assert!(matches!(
            PgConfig::from_vars(&vars(&[])),
            Err(PgError::NoDatabase)
        ));
        assert!(matches!(
            PgConfig::from_vars(&vars(&[
                ("DATABASE_URL", "postgres://h/db"),
                (POOL_SIZE_VAR, "x")
            ])),
            Err(PgError::InvalidSetting { .. })
        ));
    }
}
