//! Typed settings, parsed once at start-up (SPEC §7): defaults → optional
//! `prescient.toml` → `.env` → environment. Every variable is listed with its
//! default in `.env.example` (a tidy test keeps the two in step).

pub mod filters;
pub mod portfolios;

use config::{Config, Environment, File, FileFormat};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use strategy::{EventFilter, MarketFilter};

/// A secret setting (the API token): its `Debug` shows `[redacted]`, so
/// printing the settings never prints it; [`Secret::expose`] reads it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that compares it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The PostgreSQL variables (`DATABASE_URL`, `POSTGRES_*`,
/// `PRESCIENT_PG_*`) by name. Its `Debug` hides a URL's password and every
/// `*PASSWORD*` value.
#[derive(Clone, Default, PartialEq)]
pub struct DatabaseVars(HashMap<String, String>);

impl std::ops::Deref for DatabaseVars {
    type Target = HashMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for DatabaseVars {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl FromIterator<(String, String)> for DatabaseVars {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        DatabaseVars(iter.into_iter().collect())
    }
}

impl std::fmt::Debug for DatabaseVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut vars: Vec<(&String, &String)> = self.0.iter().collect();
        vars.sort();
        let mut map = f.debug_map();
        for (name, value) in vars {
            let shown = if name.contains("PASSWORD") {
                "[redacted]".to_owned()
            } else if name.ends_with("URL") {
                storage_pg::redact::redact_url(value)
            } else {
                value.clone()
            };
            map.entry(name, &shown);
        }
        map.finish()
    }
}

/// Every setting, with the original system's defaults.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Settings {
    /// The legacy JSON data directory (`PRESCIENT_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Gamma API base URL (`PRESCIENT_GAMMA_URL`).
    pub gamma_url: String,
    /// `keyset` (default) or `offset` pagination of `/events`.
    pub gamma_pagination: String,
    pub gamma_page_limit: u32,
    /// Market ids per `/markets?id=…` request (at most 100).
    pub gamma_batch_size: usize,
    /// `/markets` batches in flight at once.
    pub gamma_concurrency: usize,
    pub gamma_timeout_secs: u64,
    pub gamma_max_retries: u32,
    /// Published quotas per window, per endpoint family.
    pub gamma_quota_window_secs: u64,
    pub gamma_quota_events: u32,
    pub gamma_quota_markets: u32,
    pub gamma_quota_listings: u32,
    pub gamma_quota_general: u32,
    /// Polymarket CLOB base URL, for price history (`PRESCIENT_CLOB_URL`).
    pub clob_url: String,
    /// CLOB requests per second at most (`PRESCIENT_CLOB_RATE`, at least 1).
    pub clob_rate: u32,
    /// Cash a new portfolio starts with.
    pub initial_balance: Decimal,
    /// Amount each signal buys.
    pub trade_amount: Decimal,
    /// A market with an open position is not bought again.
    pub one_position_per_market: bool,
    /// IANA zone naive legacy timestamps are read in.
    pub naive_timezone: String,
    // The filters, named as the original's parameters (`crate::filters`):
    // `event_*` filter events, the plain names filter markets; a
    // `prescient.toml` key is the parameter's name. They stay flat fields
    // rather than a nested `FilterOverrides`: `config` hands environment
    // values over as strings, which serde's `flatten` does not convert to
    // numbers (`config`'s `try_parsing` would, reading decimals as floats),
    // and a `[filters]` table applied after loading would rank the file
    // above the environment. The rules are shared (`filters::check`).
    pub event_min_liquidity: Decimal,
    pub event_min_volume: Decimal,
    pub event_min_volume_24hr: Option<Decimal>,
    pub event_min_days_until_end: i64,
    pub event_max_days_until_end: i64,
    pub min_liquidity: Decimal,
    pub min_volume: Decimal,
    pub min_volume_24hr: Option<Decimal>,
    pub min_market_conviction: Option<Decimal>,
    pub max_market_conviction: Option<Decimal>,
    /// `tracing` filter when `RUST_LOG` is not set.
    pub log: String,
    /// Where the migration phase, the outbox and gate results are kept, when
    /// set (`PRESCIENT_STATE_DIR`); by default `<data dir>/.prescient`, so
    /// every process pointed at a data directory finds the same phase and
    /// journal whatever its working directory. Read it with [`Settings::state_dir`].
    #[serde(default, rename = "state_dir")]
    pub state_dir_setting: Option<PathBuf>,
    /// In DW, shadow-read one read in this many from PostgreSQL (0 = off).
    pub shadow_read_every: u64,
    /// `prescient serve`: the token actions (POST) require; unset = none.
    pub api_token: Option<Secret>,
    /// `prescient serve`: ms a request's headers may take to arrive, counted
    /// from when the server starts waiting for them (so also how long a
    /// kept-alive connection may sit idle).
    pub http_header_timeout_ms: u64,
    /// `prescient serve`: connections open at once (more wait to be accepted).
    pub http_max_connections: usize,
    /// `prescient serve`: the largest request body, in bytes.
    pub http_body_limit_bytes: usize,
    /// Days phase 6 must hold before phase 7 (SPEC §6 gate).
    pub phase6_hold_days: i64,
    /// After PostgreSQL is found unavailable in a dual-write phase, queue
    /// writes in the outbox for this many ms before trying it again.
    pub pg_retry_after_ms: u64,
    /// In dual-write phases, apply the PostgreSQL half of each write in the
    /// background, in order, so a cycle waits only on JSON (its truth).
    pub write_behind: bool,
    /// The plan's emergency overrides (`USE_DATABASE_WRITE`,
    /// `USE_DATABASE_READ`, `DATABASE_FALLBACK_TO_JSON`), unprefixed as the
    /// plan names them.
    #[serde(skip)]
    pub overrides: domain::Overrides,
    /// `DATABASE_URL`, `POSTGRES_*` and `PRESCIENT_PG_*`, for `PgConfig`.
    #[serde(skip)]
    pub database: DatabaseVars,
    /// The `[[portfolios]]` of `prescient.toml`, as written (checked at
    /// load); [`Settings::portfolios`] builds them.
    #[serde(skip)]
    pub portfolio_configs: Vec<portfolios::PortfolioConfig>,
}

/// The variables `Settings` reads, with their defaults, as `.env.example` lists them.
pub const VARIABLES: &[(&str, &str)] = &[
    ("PRESCIENT_DATA_DIR", "./data"),
    ("PRESCIENT_GAMMA_URL", "https://gamma-api.polymarket.com"),
    ("PRESCIENT_GAMMA_PAGINATION", "keyset"),
    ("PRESCIENT_GAMMA_PAGE_LIMIT", "500"),
    ("PRESCIENT_GAMMA_BATCH_SIZE", "50"),
    ("PRESCIENT_GAMMA_CONCURRENCY", "4"),
    ("PRESCIENT_GAMMA_TIMEOUT_SECS", "10"),
    ("PRESCIENT_GAMMA_MAX_RETRIES", "5"),
    ("PRESCIENT_GAMMA_QUOTA_WINDOW_SECS", "10"),
    ("PRESCIENT_GAMMA_QUOTA_EVENTS", "500"),
    ("PRESCIENT_GAMMA_QUOTA_MARKETS", "300"),
    ("PRESCIENT_GAMMA_QUOTA_LISTINGS", "900"),
    ("PRESCIENT_GAMMA_QUOTA_GENERAL", "4000"),
    ("PRESCIENT_CLOB_URL", "https://clob.polymarket.com"),
    ("PRESCIENT_CLOB_RATE", "10"),
    ("PRESCIENT_INITIAL_BALANCE", "10000"),
    ("PRESCIENT_TRADE_AMOUNT", "100"),
    ("PRESCIENT_ONE_POSITION_PER_MARKET", "true"),
    ("PRESCIENT_NAIVE_TIMEZONE", "UTC"),
    ("PRESCIENT_EVENT_MIN_LIQUIDITY", "10000"),
    ("PRESCIENT_EVENT_MIN_VOLUME", "50000"),
    ("PRESCIENT_EVENT_MIN_VOLUME_24HR", ""),
    ("PRESCIENT_EVENT_MIN_DAYS_UNTIL_END", "1"),
    ("PRESCIENT_EVENT_MAX_DAYS_UNTIL_END", "90"),
    ("PRESCIENT_MIN_LIQUIDITY", "10000"),
    ("PRESCIENT_MIN_VOLUME", "50000"),
    ("PRESCIENT_MIN_VOLUME_24HR", ""),
    ("PRESCIENT_MIN_MARKET_CONVICTION", ""),
    ("PRESCIENT_MAX_MARKET_CONVICTION", ""),
    ("PRESCIENT_LOG", "info"),
    ("PRESCIENT_STATE_DIR", ""),
    ("PRESCIENT_SHADOW_READ_EVERY", "10"),
    ("PRESCIENT_API_TOKEN", ""),
    ("PRESCIENT_HTTP_HEADER_TIMEOUT_MS", "10000"),
    ("PRESCIENT_HTTP_MAX_CONNECTIONS", "64"),
    ("PRESCIENT_HTTP_BODY_LIMIT_BYTES", "65536"),
    ("PRESCIENT_PHASE6_HOLD_DAYS", "7"),
    ("PRESCIENT_PG_RETRY_AFTER_MS", "2000"),
    ("PRESCIENT_WRITE_BEHIND", "true"),
];

/// The default state directory's name inside the data directory.
pub const STATE_DIR_IN_DATA: &str = ".prescient";

/// Filter settings renamed to the original's parameter names (issue 14), as
/// (old key, new variable). A file or environment still setting an old one
/// is refused rather than silently ignored: it was written when the plain
/// names filtered events (`PRESCIENT_MIN_LIQUIDITY` now filters markets).
pub const RENAMED: [(&str, &str); 7] = [
    ("min_days_until_end", "PRESCIENT_EVENT_MIN_DAYS_UNTIL_END"),
    ("max_days_until_end", "PRESCIENT_EVENT_MAX_DAYS_UNTIL_END"),
    ("market_min_liquidity", "PRESCIENT_MIN_LIQUIDITY"),
    ("market_min_volume", "PRESCIENT_MIN_VOLUME"),
    ("market_min_volume_24hr", "PRESCIENT_MIN_VOLUME_24HR"),
    ("min_conviction", "PRESCIENT_MIN_MARKET_CONVICTION"),
    ("max_conviction", "PRESCIENT_MAX_MARKET_CONVICTION"),
];

/// The plan's variables, read without the `PRESCIENT_` prefix.
pub const OVERRIDE_VARIABLES: [&str; 3] = [
    "USE_DATABASE_WRITE",
    "USE_DATABASE_READ",
    "DATABASE_FALLBACK_TO_JSON",
];

/// Where settings come from. `from_process` is what the binary uses; tests
/// pass their own environment so they never touch the process's.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// `prescient.toml` (or `PRESCIENT_CONFIG`); a missing file is not an error.
    pub file: Option<PathBuf>,
    /// The environment, `.env` already merged in below the real variables.
    pub env: HashMap<String, String>,
}

impl Sources {
    /// The process environment over `.env` — in the working directory only,
    /// or the file `PRESCIENT_ENV_FILE` names (which must exist) — and
    /// `prescient.toml` or the file `PRESCIENT_CONFIG` names.
    pub fn from_process() -> Result<Self, SettingsError> {
        let named = std::env::var_os("PRESCIENT_ENV_FILE").map(PathBuf::from);
        let mut env = read_env_file(named.as_deref())?;
        env.extend(std::env::vars());
        let file = env
            .get("PRESCIENT_CONFIG")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("prescient.toml")));
        Ok(Sources { file, env })
    }
}

/// The variables of `named`, or of `./.env` when none is named (a missing
/// `./.env` is no error; a missing named file is). Never searched for in
/// parent directories. Read without exporting them: the real environment
/// goes above.
pub fn read_env_file(named: Option<&Path>) -> Result<HashMap<String, String>, SettingsError> {
    let path = named.unwrap_or(Path::new(".env"));
    let mut env = HashMap::new();
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(e) if named.is_none() && e.not_found() => return Ok(env),
        Err(e) => {
            return Err(SettingsError(format!(
                "cannot read the env file {} (PRESCIENT_ENV_FILE): {e}",
                path.display()
            )));
        }
    };
    for item in iter {
        let (k, v) = item.map_err(|e| SettingsError(format!("{}: {e}", path.display())))?;
        env.insert(k, v);
    }
    Ok(env)
}

/// A setting that is present but does not parse, named.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct SettingsError(String);

impl Settings {
    pub fn load(sources: &Sources) -> Result<Settings, SettingsError> {
        let mut builder = Config::builder();
        for (name, default) in VARIABLES {
            let key = key_of(name);
            if !default.is_empty() {
                builder = builder
                    .set_default(key.as_str(), *default)
                    .map_err(|e| SettingsError(e.to_string()))?;
            }
        }
        if let Some(path) = &sources.file {
            builder = builder.add_source(
                File::from(path.as_path())
                    .format(FileFormat::Toml)
                    .required(false),
            );
        }
        // Empty variables mean "unset" (`PRESCIENT_MIN_VOLUME_24HR=`).
        let env: HashMap<String, String> = sources
            .env
            .iter()
            .filter(|(k, v)| k.starts_with("PRESCIENT_") && !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("PRESCIENT")
                .prefix_separator("_")
                .source(Some(env)),
        );
        let config = builder.build().map_err(|e| SettingsError(e.to_string()))?;
        for (old, new) in RENAMED {
            if config.get_string(old).is_ok() {
                return Err(SettingsError(format!(
                    "{old} (PRESCIENT_{}) was renamed {new}: the plain names now filter markets and \
                     the event filters are PRESCIENT_EVENT_* (README, \"Filter parameters\")",
                    old.to_ascii_uppercase()
                )));
            }
        }
        let mut settings: Settings = config
            .try_deserialize()
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.overrides = overrides(&sources.env)?;
        settings.database = sources
            .env
            .iter()
            .filter(|(k, _)| {
                k.as_str() == "DATABASE_URL"
                    || k.starts_with("POSTGRES_")
                    || k.starts_with("PRESCIENT_PG_")
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        settings.portfolio_configs = portfolios::read(sources.file.as_deref())?;
        settings.validate()?;
        // Checked now, so a mistake stops the process at start.
        settings.portfolios()?;
        Ok(settings)
    }

    /// Every live portfolio: `default` and the `[[portfolios]]`, built with
    /// the current trade amount and initial balance as their defaults.
    pub fn portfolios(&self) -> Result<Vec<portfolios::Portfolio>, SettingsError> {
        portfolios::build_all(
            self.portfolio_configs.clone(),
            self.trade_amount,
            self.initial_balance,
        )
    }

    /// The ids of every live portfolio in [`Settings::portfolios`]' order
    /// (`default` first), without building their strategies: what a request
    /// naming a portfolio is checked against.
    pub fn portfolio_ids(&self) -> Vec<domain::PortfolioId> {
        let mut ids = vec![domain::PortfolioId::default()];
        ids.extend(
            self.portfolio_configs
                .iter()
                .filter(|c| c.id != domain::PortfolioId::DEFAULT)
                .map(|c| domain::PortfolioId::new(&c.id)),
        );
        ids
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if domain::time::NaiveZone::parse(&self.naive_timezone).is_none() {
            return Err(SettingsError(format!(
                "PRESCIENT_NAIVE_TIMEZONE {:?} is not an IANA zone (e.g. UTC, Europe/Berlin)",
                self.naive_timezone
            )));
        }
        if self.initial_balance <= Decimal::ZERO {
            return Err(SettingsError(
                "PRESCIENT_INITIAL_BALANCE must be positive".into(),
            ));
        }
        if !matches!(self.gamma_pagination.as_str(), "keyset" | "offset") {
            return Err(SettingsError(format!(
                "PRESCIENT_GAMMA_PAGINATION must be `keyset` or `offset`, not {:?}",
                self.gamma_pagination
            )));
        }
        if !(1..=100).contains(&self.gamma_batch_size) {
            return Err(SettingsError(format!(
                "PRESCIENT_GAMMA_BATCH_SIZE must be 1..=100 (Gamma's limit), not {}",
                self.gamma_batch_size
            )));
        }
        if self.http_header_timeout_ms == 0 || self.http_max_connections == 0 {
            return Err(SettingsError(
                "PRESCIENT_HTTP_HEADER_TIMEOUT_MS and PRESCIENT_HTTP_MAX_CONNECTIONS must be at least 1"
                    .into(),
            ));
        }
        if self.clob_rate == 0 {
            return Err(SettingsError(
                "PRESCIENT_CLOB_RATE must be at least 1 request per second".into(),
            ));
        }
        // The filters' rules, named by setting (the same rules as a
        // per-run override's).
        crate::filters::check(self).map_err(|e| {
            SettingsError(format!("{} ({}): {}", e.variable(), e.parameter, e.problem))
        })
    }

    pub fn naive_zone(&self) -> domain::time::NaiveZone {
        domain::time::NaiveZone::parse(&self.naive_timezone).unwrap_or_default()
    }

    /// The Gamma client's configuration.
    pub fn gamma(&self) -> polymarket_client::GammaConfig {
        use polymarket_client::{GammaConfig, Pagination, Quotas};
        use std::time::Duration;
        GammaConfig {
            base_url: self.gamma_url.clone(),
            pagination: if self.gamma_pagination == "offset" {
                Pagination::Offset
            } else {
                Pagination::Keyset
            },
            page_limit: self.gamma_page_limit,
            batch_size: self.gamma_batch_size,
            concurrency: self.gamma_concurrency.max(1),
            request_timeout: Duration::from_secs(self.gamma_timeout_secs.max(1)),
            max_retries: self.gamma_max_retries,
            quotas: Quotas {
                window: Duration::from_secs(self.gamma_quota_window_secs.max(1)),
                events: self.gamma_quota_events,
                markets: self.gamma_quota_markets,
                listings: self.gamma_quota_listings,
                general: self.gamma_quota_general,
            },
            ..GammaConfig::default()
        }
    }

    /// The CLOB client's configuration (price history).
    pub fn clob(&self) -> polymarket_client::ClobConfig {
        polymarket_client::ClobConfig {
            base_url: self.clob_url.clone(),
            requests_per_second: self.clob_rate,
            ..polymarket_client::ClobConfig::default()
        }
    }

    pub fn event_filter(&self) -> EventFilter {
        EventFilter {
            min_liquidity: self.event_min_liquidity,
            min_volume: self.event_min_volume,
            min_volume_24hr: self.event_min_volume_24hr,
            min_days_until_end: self.event_min_days_until_end,
            max_days_until_end: self.event_max_days_until_end,
        }
    }

    pub fn market_filter(&self) -> MarketFilter {
        MarketFilter {
            min_liquidity: self.min_liquidity,
            min_volume: self.min_volume,
            min_volume_24hr: self.min_volume_24hr,
            min_conviction: self.min_market_conviction,
            max_conviction: self.max_market_conviction,
        }
    }

    /// The state directory: `PRESCIENT_STATE_DIR`, or `<data dir>/.prescient`.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir_setting
            .clone()
            .unwrap_or_else(|| self.data_dir.join(STATE_DIR_IN_DATA))
    }

    /// Resolve a path setting relative to `base` when it is relative.
    pub fn data_dir_in(&self, base: &Path) -> PathBuf {
        if self.data_dir.is_absolute() {
            self.data_dir.clone()
        } else {
            base.join(&self.data_dir)
        }
    }
}

/// The plan's flags: `true`/`false` (any case, or 1/0); unset or empty = none.
fn overrides(env: &HashMap<String, String>) -> Result<domain::Overrides, SettingsError> {
    let flag = |name: &str| -> Result<Option<bool>, SettingsError> {
        match env.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) if v == "true" || v == "1" => Ok(Some(true)),
            Some(v) if v == "false" || v == "0" => Ok(Some(false)),
            Some(v) => Err(SettingsError(format!(
                "{name} must be true or false, not {v:?}"
            ))),
        }
    };
    Ok(domain::Overrides {
        use_database_write: flag(OVERRIDE_VARIABLES[0])?,
        use_database_read: flag(OVERRIDE_VARIABLES[1])?,
        fallback_to_json: flag(OVERRIDE_VARIABLES[2])?,
    })
}

/// `PRESCIENT_MIN_VOLUME_24HR` → `min_volume_24hr`.
fn key_of(variable: &str) -> String {
    variable
        .trim_start_matches("PRESCIENT_")
        .to_ascii_lowercase()
}

/// The settings name no usable PostgreSQL (its cause says which variable).
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL is not configured: set DATABASE_URL (or POSTGRES_HOST/PORT/DB/USER/PASSWORD)")]
pub struct PgNotConfigured(#[source] pub storage_pg::PgError);

/// What the settings name outside the configuration itself.
impl Settings {
    /// PostgreSQL settings from `DATABASE_URL` or `POSTGRES_*`.
    pub fn pg_config(&self) -> Result<storage_pg::PgConfig, PgNotConfigured> {
        storage_pg::PgConfig::from_vars(&self.database).map_err(PgNotConfigured)
    }

    /// Where shadow-read mismatches are kept, so `phase advance` refuses
    /// over them.
    pub fn shadow_log(&self) -> routing::shadow::MismatchLog {
        routing::shadow::MismatchLog::new(self.state_dir().join("shadow_mismatches.jsonl"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_originals() {
        let s = Settings::load(&Sources::default()).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.event_min_liquidity, dec!(10000));
        assert_eq!(s.event_min_volume, dec!(50000));
        assert_eq!(s.event_min_volume_24hr, None);
        assert_eq!(
            (s.event_min_days_until_end, s.event_max_days_until_end),
            (1, 90)
        );
        assert_eq!((s.min_liquidity, s.min_volume), (dec!(10000), dec!(50000)));
        assert_eq!(
            (s.min_market_conviction, s.max_market_conviction),
            (None, None)
        );
        assert_eq!(s.trade_amount, dec!(100));
        assert!(s.one_position_per_market);
        let clob = s.clob();
        assert_eq!(clob.base_url, "https://clob.polymarket.com");
        assert_eq!(clob.requests_per_second, 10);
    }

    #[test]
    fn environment_beats_file_beats_defaults() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "min_volume = \"1000\"\ntrade_amount = \"25\"").unwrap();
        let sources = Sources {
            file: Some(file.path().to_path_buf()),
            env: env(&[
                ("PRESCIENT_TRADE_AMOUNT", "50"),
                ("PRESCIENT_MIN_VOLUME_24HR", "7"),
                ("PRESCIENT_MIN_MARKET_CONVICTION", ""),
                ("UNRELATED", "x"),
            ]),
        };
        let s = Settings::load(&sources).unwrap();
        assert_eq!(s.min_volume, dec!(1000));
        assert_eq!(s.trade_amount, dec!(50));
        assert_eq!(s.min_volume_24hr, Some(dec!(7)));
        assert_eq!(s.min_market_conviction, None);
    }

    #[test]
    fn printing_the_settings_shows_no_secret() {
        let s = Settings::load(&Sources {
            file: None,
            env: env(&[
                ("PRESCIENT_API_TOKEN", "tok-very-secret"),
                (
                    "DATABASE_URL",
                    "postgres://app:hunter2@db.example:5432/prescient",
                ),
                ("POSTGRES_PASSWORD", "hunter3"),
                ("POSTGRES_USER", "app"),
            ]),
        })
        .unwrap();
        assert_eq!(
            s.api_token.as_ref().map(Secret::expose),
            Some("tok-very-secret")
        );
        let shown = format!("{s:?}");
        for secret in ["tok-very-secret", "hunter2", "hunter3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("db.example") && shown.contains("\"app\""),
            "{shown}"
        );
    }

    #[test]
    fn the_plans_flags_and_database_variables_are_read_unprefixed() {
        let s = Settings::load(&Sources {
            file: None,
            env: env(&[
                ("USE_DATABASE_WRITE", "false"),
                ("DATABASE_FALLBACK_TO_JSON", "TRUE"),
                ("USE_DATABASE_READ", ""),
                ("DATABASE_URL", "postgres://x@h/db"),
                ("POSTGRES_HOST", "h"),
                ("HOME", "/root"),
            ]),
        })
        .unwrap();
        assert_eq!(s.overrides.use_database_write, Some(false));
        assert_eq!(s.overrides.use_database_read, None);
        assert_eq!(s.overrides.fallback_to_json, Some(true));
        assert_eq!(s.database.len(), 2);
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |k: &str, v: &str| {
            Settings::load(&Sources {
                file: None,
                env: env(&[(k, v)]),
            })
            .unwrap_err()
            .to_string()
        };
        assert!(bad("PRESCIENT_NAIVE_TIMEZONE", "Mars/Base").contains("Mars/Base"));
        assert!(bad("PRESCIENT_EVENT_MIN_DAYS_UNTIL_END", "100").contains("event_max_days"));
        assert!(bad("PRESCIENT_MIN_LIQUIDITY", "-1").contains("PRESCIENT_MIN_LIQUIDITY"));
        assert!(bad("PRESCIENT_MAX_MARKET_CONVICTION", "2").contains("within [0, 1]"));
        assert!(bad("PRESCIENT_TRADE_AMOUNT", "0").contains("PRESCIENT_TRADE_AMOUNT"));
        assert!(bad("PRESCIENT_TRADE_AMOUNT", "lots").contains("trade_amount"));
        assert!(bad("USE_DATABASE_READ", "maybe").contains("USE_DATABASE_READ"));
        assert!(bad("PRESCIENT_CLOB_RATE", "0").contains("PRESCIENT_CLOB_RATE"));
    }

    #[test]
    fn the_file_takes_the_parameter_names_and_refuses_the_retired_ones() {
        let load = |toml: &str, env: &[(&str, &str)]| {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            writeln!(file, "{toml}").unwrap();
            Settings::load(&Sources {
                file: Some(file.path().to_path_buf()),
                env: self::env(env),
            })
        };
        let s = load(
            "event_min_liquidity = \"5000\"\nmin_liquidity = \"20000\"\nmax_market_conviction = \"0.9\"",
            &[],
        )
        .unwrap();
        assert_eq!(s.event_filter().min_liquidity, dec!(5000));
        assert_eq!(s.market_filter().min_liquidity, dec!(20000));
        assert_eq!(s.market_filter().max_conviction, Some(dec!(0.9)));
        for (toml, env) in [
            ("market_min_liquidity = \"1\"", &[][..]),
            ("", &[("PRESCIENT_MIN_CONVICTION", "0.2")][..]),
        ] {
            let e = load(toml, env).unwrap_err().to_string();
            assert!(e.contains("was renamed PRESCIENT_"), "{e}");
        }
    }
}
