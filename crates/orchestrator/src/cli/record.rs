//! `prescient record DIR`: save a live snapshot for offline replay.

use crate::settings::Settings;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Directory to write the snapshot to.
    pub dir: PathBuf,
}

pub async fn run(args: RecordArgs, settings: &Settings) -> Result<()> {
    let recorded = crate::app::sources::record(settings, &args.dir).await?;
    println!("{recorded}");
    Ok(())
}
