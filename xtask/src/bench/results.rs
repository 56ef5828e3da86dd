//! The results file of one benchmark: `target/bench-results/<bench>.json`, a
//! flat JSON object of measurement name → number (seconds for times, per
//! second for rates, MiB for memory). Each bench binary writes one; `cargo
//! xtask bench` reads them all to print the goals table.
//!
//! The bench binaries include this file with `#[path]`, so the writer and
//! the reader cannot disagree about the format.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where results go when set (xtask sets it); else `<workspace>/target/bench-results`.
pub const DIR_VAR: &str = "PRESCIENT_BENCH_RESULTS";

/// `<workspace root>/target/bench-results`.
pub fn default_dir(workspace_root: &Path) -> PathBuf {
    workspace_root.join("target").join("bench-results")
}

/// The directory a bench writes to: [`DIR_VAR`], else the default under the
/// workspace of `manifest_dir` (a crate two levels below the root).
pub fn dir_for(manifest_dir: &str) -> PathBuf {
    match std::env::var(DIR_VAR) {
        Ok(d) if !d.trim().is_empty() => PathBuf::from(d),
        _ => default_dir(&Path::new(manifest_dir).join("..").join("..")),
    }
}

#[derive(Clone, Debug, Default)]
pub struct Results {
    pub values: BTreeMap<String, f64>,
}

impl Results {
    pub fn set(&mut self, key: impl Into<String>, value: f64) {
        self.values.insert(key.into(), value);
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.get(key).copied().filter(|v| v.is_finite())
    }

    /// Record the median of per-iteration samples (seconds) under `key`.
    pub fn set_median(&mut self, key: impl Into<String>, samples: &[f64]) {
        if let Some(m) = median(samples) {
            self.set(key, m);
        }
    }

    /// Write `<dir>/<bench>.json`.
    pub fn write(&self, dir: &Path, bench: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{bench}.json"));
        let object: serde_json::Map<String, serde_json::Value> = self
            .values
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (k.clone(), serde_json::Value::from(*v)))
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::Value::Object(object))
            .map_err(std::io::Error::other)?;
        std::fs::write(&path, text + "\n")?;
        Ok(path)
    }

    /// Read `<dir>/<bench>.json`; `None` when the bench did not write one.
    pub fn read(dir: &Path, bench: &str) -> std::io::Result<Option<Results>> {
        let path = dir.join(format!("{bench}.json"));
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let object: BTreeMap<String, f64> =
            serde_json::from_str(&text).map_err(std::io::Error::other)?;
        Ok(Some(Results { values: object }))
    }
}

/// The median of `samples` (`None` when empty).
pub fn median(samples: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// For criterion's `iter_custom`: keep the per-iteration time of a sample
/// and hand the elapsed time back to criterion.
pub fn per_iteration(samples: &mut Vec<f64>, iters: u64, elapsed: Duration) -> Duration {
    if iters > 0 {
        samples.push(elapsed.as_secs_f64() / iters as f64);
    }
    elapsed
}

/// The sizes (trade counts) to run: `PRESCIENT_BENCH_SIZES`, else `default`.
pub fn sizes(default: &[u32]) -> Vec<u32> {
    std::env::var("PRESCIENT_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<u32>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}
