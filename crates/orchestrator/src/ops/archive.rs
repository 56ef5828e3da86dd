//! `archive-json` (phase 7): the data directory packed into a `.tar.gz` with a
//! manifest of SHA-256 checksums, so the legacy files are kept for audit and
//! the runtime can stop touching them.

use super::context::Migration;
use super::error::{OpsError, Result};
use crate::phase_state::ArchiveRecord;
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Archive the data directory into `out`; records it in the phase file.
/// Only in phase 6, when the JSON files no longer change: an archive taken
/// earlier would miss what was written after it. Each file is hashed from the
/// same bytes that go into the archive, so the manifest matches its contents.
pub fn archive_json(m: &mut Migration, out: &Path) -> Result<ArchiveRecord> {
    let phase = m.phase()?;
    if phase != domain::Phase::DatabasePrimary {
        return Err(OpsError::ArchiveOutsidePhase6 {
            phase: phase.number().into(),
        });
    }
    let data = m.settings.data_dir.clone();
    if !data.is_dir() {
        return Err(OpsError::NotADirectory { dir: data });
    }
    let mut files = Vec::new();
    collect(&data, &data, &mut files)?;
    files.sort();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(OpsError::file("create", dir))?;
    }
    let file = std::fs::File::create(out).map_err(OpsError::file("create", out))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut manifest = String::new();
    for rel in &files {
        let bytes = std::fs::read(data.join(rel)).map_err(OpsError::file("read", rel))?;
        manifest.push_str(&format!("{}  {}\n", sha256_hex(&bytes), rel.display()));
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, Path::new("data").join(rel), bytes.as_slice())
            .map_err(OpsError::file("archive", rel))?;
    }
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "MANIFEST.sha256", manifest.as_bytes())?;
    tar.into_inner()?.finish()?.sync_all()?;
    std::fs::write(manifest_path(out), &manifest)?;
    let record = ArchiveRecord {
        at: Utc::now(),
        file: out.display().to_string(),
        sha256: sha256_file(out)?,
        files: files.len(),
    };
    m.record.archive = Some(record.clone());
    m.phase_file.save(&m.record)?;
    Ok(record)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `<archive>.sha256`: the manifest beside the archive.
pub fn manifest_path(archive: &Path) -> PathBuf {
    let mut name = archive.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Whether the recorded archive still exists with its checksum.
pub fn check(record: &ArchiveRecord) -> Result<(), String> {
    let path = Path::new(&record.file);
    match sha256_file(path) {
        Ok(d) if d == record.sha256 => Ok(()),
        Ok(_) => Err(format!("{} changed since it was archived", record.file)),
        Err(e) => Err(format!("{}: {e}", record.file)),
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else if entry.file_name() != ".prescient.lock" {
            out.push(path.strip_prefix(root)?.to_path_buf());
        }
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(OpsError::file("read", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(OpsError::file("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
