//! `prescient serve [--addr …] [--cycle-every DUR --prices-every DUR]`: the
//! HTTP API and dashboard, and with a period given the schedule too, in one
//! process, until Ctrl-C or SIGTERM.

use crate::app::{Access, App, SourceSpec, StoreChoice, cycle_params};
use crate::filters::FilterOverrides;
use crate::schedule::{Schedule, parse_period};
use crate::settings::Settings;
use anyhow::Result;
use clap::Args;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Beyond loopback it needs PRESCIENT_API_TOKEN.
    #[arg(long, default_value = "127.0.0.1:8004")]
    pub addr: std::net::SocketAddr,
    /// Run on one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
    /// Where cycles get market data: `live` or `snapshot:DIR`.
    #[arg(long, default_value = "live")]
    pub source: SourceSpec,
    /// Run a full cycle this often (`1h`, `30m`), the first at once; without
    /// it, cycles run only when asked for (POST /trading/run-full-cycle).
    #[arg(long, value_parser = parse_period)]
    pub cycle_every: Option<Duration>,
    /// Update prices this often (`5m`); needs `--cycle-every` [default: 5m
    /// when `--cycle-every` is given].
    #[arg(long, value_parser = parse_period, requires = "cycle_every")]
    pub prices_every: Option<Duration>,
    /// Filters of the scheduled cycles (a POST's own parameters override
    /// them for that cycle).
    #[command(flatten)]
    pub filters: FilterOverrides,
}

pub async fn run(args: ServeArgs, mut settings: Settings) -> Result<()> {
    // Refused before anything opens.
    crate::api::guard::check_bind(
        args.addr,
        settings
            .api_token
            .as_ref()
            .map(crate::settings::Secret::expose),
    )?;
    settings = args.filters.applied_to(&settings)?;
    let schedule = args.cycle_every.map(|cycle_every| Schedule {
        cycle_every,
        prices_every: args.prices_every.unwrap_or(Duration::from_secs(300)),
    });
    // Refused before anything opens: bad amounts fail here, not at the
    // first scheduled cycle.
    cycle_params(&settings)?;
    let token = settings.api_token.as_ref().map(|t| t.expose().to_owned());
    let app = App::open_as(settings, args.store, Access::Write, "serve").await?;
    crate::api::serve(
        app,
        crate::api::ServeOptions {
            addr: args.addr,
            token,
            source: args.source,
            schedule,
        },
    )
    .await
}
