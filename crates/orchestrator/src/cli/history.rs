//! `prescient history fetch [--market ID…|--held|--filtered] [--from T --to T]
//! [--fidelity MIN] [--json]`: the arguments and the run of
//! [`crate::history::fetch_history`], with a progress bar on a terminal.

use crate::app::{App, SourceSpec, StoreChoice, open_source};
use crate::history::{FetchReport, FetchRequest, Progress, Selection, fetch_history};
use crate::settings::Settings;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};
use domain::{MarketId, PortfolioId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use polymarket_client::ClobClient;
use std::fmt::Write as _;
use storage_pg::PgStore;

/// How far back a fetch reaches when `--from` is not given.
pub const DEFAULT_DAYS: i64 = 30;

/// `prescient history …`: real market history for backtests.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HistoryCommand {
    /// Load price history from Polymarket's CLOB into PostgreSQL: both
    /// outcome tokens of each market, rate-limited. Run again, it fetches
    /// only what is missing (an interrupted run continues; a repeated run
    /// adds nothing).
    Fetch(FetchArgs),
}

/// Which markets, over what range.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("markets").args(["market", "held", "filtered"])))]
pub struct FetchArgs {
    /// A market to fetch, by Gamma id (repeat for several).
    #[arg(long, value_name = "ID")]
    pub market: Vec<String>,
    /// The markets of the portfolio's open positions.
    #[arg(long)]
    pub held: bool,
    /// The markets the last cycle kept (the default).
    #[arg(long)]
    pub filtered: bool,
    /// Start of the range: RFC 3339 (`2026-01-01T00:00:00Z`) or a date
    /// (`2026-01-01`, UTC) [default: 30 days before --to]
    #[arg(long, value_parser = parse_instant)]
    pub from: Option<DateTime<Utc>>,
    /// End of the range, as --from [default: now]
    #[arg(long, value_parser = parse_instant)]
    pub to: Option<DateTime<Utc>>,
    /// Minutes between points.
    #[arg(long, value_name = "MIN", default_value_t = 60)]
    pub fidelity: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Where market records come from when they are not among the filtered
    /// markets: `live` (the Gamma API) or `snapshot:DIR`.
    #[arg(long, default_value = "live")]
    pub source: String,
    /// Read markets and positions from one store instead of the phase's
    /// routes (the history itself always goes to PostgreSQL).
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
    /// The portfolio whose positions `--held` means.
    #[arg(long, default_value = PortfolioId::DEFAULT)]
    pub portfolio: String,
}

impl FetchArgs {
    /// The fetch these arguments ask for, the range ending at `now` unless
    /// `--to` says otherwise.
    pub fn request(&self, now: DateTime<Utc>) -> Result<FetchRequest> {
        let selection = if !self.market.is_empty() {
            Selection::Markets(
                self.market
                    .iter()
                    .map(|m| MarketId::new(m.trim()))
                    .collect(),
            )
        } else if self.held {
            Selection::Held(PortfolioId::new(self.portfolio.clone()))
        } else {
            Selection::Filtered
        };
        let to = self.to.unwrap_or(now);
        let from = match self.from {
            Some(from) => from,
            None => to
                .checked_sub_signed(Duration::days(DEFAULT_DAYS))
                .context("--to is too early to reach back from")?,
        };
        if from > to {
            bail!("--from {from} is after --to {to}");
        }
        if self.fidelity == 0 {
            bail!("--fidelity must be at least 1 minute");
        }
        Ok(FetchRequest {
            selection,
            from,
            to,
            fidelity_minutes: self.fidelity,
        })
    }
}

/// An instant as the Gamma and legacy formats write it, or a date (UTC).
fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    domain::time::parse_timestamp(s, domain::time::NaiveZone::default()).ok_or_else(|| {
        format!("{s:?} is not a time: use RFC 3339 (2026-01-01T00:00:00Z) or a date (2026-01-01)")
    })
}

/// Run `prescient history …`.
pub async fn command(args: HistoryArgs, settings: Settings) -> Result<()> {
    match args.command {
        HistoryCommand::Fetch(args) => fetch(args, settings).await,
    }
}

async fn fetch(args: FetchArgs, settings: Settings) -> Result<()> {
    let request = args.request((crate::cycle::system_clock())())?;
    let source = open_source(&args.source.parse::<SourceSpec>()?, &settings)?;
    let clob = ClobClient::new(settings.clob()).context("cannot set up the CLOB client")?;
    // A reader of the data sets (markets, positions): it runs beside a
    // writer such as `prescient run`. The history is not a routed data set.
    let app = App::open_reader(settings.clone(), args.store).await?;
    let pg = match &app.pg {
        Some(pg) => pg.clone(),
        None => PgStore::connect(settings.pg_config()?)
            .await
            .context("price history is kept in PostgreSQL, which does not answer")?,
    };
    // The history table is an addition to the schema: create it when this
    // database predates it (nothing else changes).
    pg.migrate().await.context("cannot apply migrations")?;

    let bar = progress_bar();
    let show = |p: Progress<'_>| match p {
        Progress::Planned { tokens, .. } => bar.set_length(tokens as u64),
        Progress::Skipped(s) => {
            bar.println(format!("skipped market {}: {}", s.market_id, s.reason))
        }
        Progress::Token(t) => {
            bar.inc(1);
            bar.set_message(format!(
                "market {} {}: +{} points",
                t.market_id, t.outcome, t.inserted
            ));
        }
    };
    let result = fetch_history(&app.stores, source.as_ref(), &clob, &pg, &request, &show).await;
    bar.finish_and_clear();
    let report = result.context("history fetch failed")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    let failed = report.failed().count();
    if failed > 0 {
        bail!("the CLOB refused {failed} token(s); their markets have no new history");
    }
    Ok(())
}

/// A bar on stderr when it is a terminal (indicatif hides it otherwise).
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {elapsed} [{bar:30}] {pos}/{len} tokens {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// The report as a table for the terminal.
pub fn render(report: &FetchReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, report);
    out
}

fn write_report(out: &mut String, r: &FetchReport) -> std::fmt::Result {
    writeln!(
        out,
        "price history {} to {} at {} min: {} markets, {} points added",
        domain::time::format_timestamp(r.from),
        domain::time::format_timestamp(r.to),
        r.fidelity_minutes,
        r.markets.len(),
        r.inserted()
    )?;
    for m in &r.markets {
        let tokens: Vec<String> = m
            .tokens
            .iter()
            .map(|t| match &t.error {
                Some(e) => format!("{} failed ({e})", t.outcome),
                None => format!("{} +{} of {}", t.outcome, t.inserted, t.fetched),
            })
            .collect();
        writeln!(
            out,
            "  {} {}: {}",
            m.market_id,
            m.question,
            tokens.join(", ")
        )?;
    }
    for s in &r.skipped {
        writeln!(out, "  {} skipped: {}", s.market_id, s.reason)?;
    }
    writeln!(
        out,
        "  {} requests ({} retries), {} points skipped as invalid",
        r.stats.requests, r.stats.retries, r.stats.skipped
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: HistoryCommand,
    }

    fn parse(args: &[&str]) -> Result<FetchArgs, clap::Error> {
        let argv = ["history", "fetch"].iter().chain(args);
        Cli::try_parse_from(argv).map(|cli| match cli.command {
            HistoryCommand::Fetch(args) => args,
        })
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn by_default_the_filtered_markets_over_the_last_thirty_days() {
        let request = parse(&[]).unwrap().request(now()).unwrap();
        assert_eq!(request.selection, Selection::Filtered);
        assert_eq!(
            (request.from, request.to),
            (now() - Duration::days(30), now())
        );
        assert_eq!(request.fidelity_minutes, 60);
    }

    #[test]
    fn markets_range_and_fidelity_are_read_as_given() {
        let args = parse(&[
            "--market",
            "540206",
            "--market",
            "559657",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-15T06:00:00Z",
            "--fidelity",
            "5",
            "--json",
        ])
        .unwrap();
        assert!(args.json);
        let request = args.request(now()).unwrap();
        assert_eq!(
            request.selection,
            Selection::Markets(vec![MarketId::new("540206"), MarketId::new("559657")])
        );
        assert_eq!(
            request.from,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(
            request.to,
            Utc.with_ymd_and_hms(2026, 1, 15, 6, 0, 0).unwrap()
        );
        assert_eq!(request.fidelity_minutes, 5);
        let held = parse(&["--held"]).unwrap().request(now()).unwrap();
        assert_eq!(held.selection, Selection::Held(PortfolioId::default()));
    }

    #[test]
    fn conflicting_or_bad_arguments_are_refused_with_their_name() {
        let e = parse(&["--held", "--filtered"]).unwrap_err().to_string();
        assert!(e.contains("--filtered") || e.contains("--held"), "{e}");
        let e = parse(&["--from", "yesterday"]).unwrap_err().to_string();
        assert!(e.contains("yesterday"), "{e}");
        let backwards = parse(&["--from", "2026-02-01", "--to", "2026-01-01"]).unwrap();
        assert!(
            backwards
                .request(now())
                .unwrap_err()
                .to_string()
                .contains("--from")
        );
        let none = parse(&["--fidelity", "0"]).unwrap();
        assert!(
            none.request(now())
                .unwrap_err()
                .to_string()
                .contains("--fidelity")
        );
    }
}
