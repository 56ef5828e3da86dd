//! `prescient record DIR`: save a live snapshot for offline replay;
//! `prescient record --into SEQDIR`: add a moment to a backtest sequence.

use crate::settings::Settings;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RecordArgs {
    /// Directory to write the snapshot to.
    pub dir: Option<PathBuf>,
    /// Add the snapshot to this sequence as the moment now
    /// (SEQDIR/YYYYmmddTHHMMSSZ/, UTC; refused if it exists), closed markets
    /// included, for `prescient backtest --source snapshots:SEQDIR`.
    #[arg(long, value_name = "SEQDIR")]
    pub into: Option<PathBuf>,
}

pub async fn run(args: RecordArgs, settings: &Settings) -> Result<()> {
    let recorded = match (&args.dir, &args.into) {
        (_, Some(seq)) => {
            crate::app::sources::record_into(settings, seq, chrono::Utc::now()).await?
        }
        (Some(dir), None) => crate::app::sources::record(settings, dir).await?,
        (None, None) => anyhow::bail!("give a DIR or --into SEQDIR"),
    };
    println!("{recorded}");
    Ok(())
}
