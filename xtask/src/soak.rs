//! `cargo xtask soak`: the crash harness (`orchestrator::soak`) run long —
//! builds `prescient`, then kills and restarts its cycles in each phase and
//! prints the figures. Not part of the test suite; needs `DATABASE_URL`
//! (an admin URL; each phase gets its own throw-away database).

use crate::cmd;
use anyhow::{Result, bail};
use clap::Args;
use orchestrator::soak::SoakConfig;

#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Cycles per phase.
    #[arg(long, default_value_t = 100)]
    cycles: usize,
    /// Phases to soak.
    #[arg(long, value_delimiter = ',', default_value = "1,4,5.1,5.4,6")]
    phases: Vec<String>,
    /// Seed of the kill points and faults (default: the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// Soak the release build of `prescient` (the binary operators run)
    /// instead of the debug one.
    #[arg(long)]
    release: bool,
}

pub fn run(args: SoakArgs) -> Result<()> {
    let root = cmd::root();
    let mut build = cmd::cargo();
    build.args(["build", "-p", "orchestrator", "--bin", "prescient"]);
    if args.release {
        build.arg("--release");
    }
    cmd::run(build)?;
    let profile = if args.release { "release" } else { "debug" };
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    println!("soak seed {seed} (--seed {seed} reproduces it), {profile} build");
    let phases = args
        .phases
        .iter()
        .map(|p| p.parse())
        .collect::<Result<Vec<_>, _>>()?;
    // The soak runs a copy: a build during a long soak (the test suite's,
    // say) must not swap the binary under it.
    let copies = root.join("target").join("soak");
    std::fs::create_dir_all(&copies)?;
    let binary = copies.join(format!("prescient-{profile}-{}", std::process::id()));
    std::fs::copy(root.join("target").join(profile).join("prescient"), &binary)?;
    let cfg = SoakConfig {
        binary: binary.clone(),
        example_snapshot: root.join("examples/snapshot"),
        phases,
        cycles: args.cycles,
        seed,
    };
    let figures = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(orchestrator::soak::run_reporting(&cfg, |f| println!("{f}")))?;
    let (cycles, kills, checked, lost, duplicated) =
        figures.iter().fold((0, 0, 0, 0, 0), |a, f| {
            (
                a.0 + f.cycles,
                a.1 + f.kills,
                a.2 + f.records_checked,
                a.3 + f.lost,
                a.4 + f.duplicated,
            )
        });
    let clean = figures.iter().all(|f| f.verify_clean != Some(false));
    println!(
        "total: cycles {cycles}, kills {kills}, records checked {checked}, lost {lost}, duplicated {duplicated}, verify {}",
        if clean { "clean" } else { "DIRTY" }
    );
    // Best effort: a copy left behind is a file under target/.
    let _ = std::fs::remove_file(&binary);
    if figures.iter().any(|f| !f.is_ok()) {
        bail!("soak found losses, duplicates or a dirty verify (seed {seed})");
    }
    Ok(())
}
