//! Torn tails of append-only files, recovered when a writer opens the store.
//!
//! An append writes `,\n  {record}\n]\n` over the array's closing `]`
//! (append.rs). A crash in the middle of that write leaves a file that ends
//! inside the new record, after it without the `]`, or (a crash after the
//! file grew but before its data reached the disk) in NUL bytes. Every record
//! before the torn one is complete. On open, such a file is cut back to its
//! last complete record and closed again; the cut bytes are kept beside it as
//! `<name>.torn-<time>`, and the recovery is logged and counted. Nothing that
//! was complete is lost.
//!
//! Only a *tail* is recovered: a file whose damage is followed by more data
//! (a complete array with junk after it, an error in the middle) is left
//! alone, and loading it reports it as corrupt with its position.

use crate::fsio::{self, io_error};
use domain::StoreError;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One file recovered on open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    pub file: PathBuf,
    /// Where the cut bytes were kept (`None` when only the closing bracket
    /// was missing: nothing was cut).
    pub kept: Option<PathBuf>,
    /// How many bytes were cut.
    pub cut_bytes: usize,
    /// How many complete records the file holds now.
    pub records: usize,
}

/// Where the complete part of a torn array ends.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Bytes to keep (`[` and every complete record, without a trailing comma).
    pub keep: usize,
    pub records: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|b| is_ws(*b)) {
        i += 1;
    }
    i
}

/// The rest of a torn file: nothing, or NUL bytes and whitespace (data that
/// never reached the disk).
fn only_lost_bytes(rest: &[u8]) -> bool {
    rest.iter().all(|b| *b == 0 || is_ws(*b))
}

/// Whether `bytes` is an array cut off after zero or more complete records,
/// and if so where the complete part ends. `None`: not torn (complete, or
/// damaged elsewhere than at its tail).
pub(crate) fn torn_cut(bytes: &[u8]) -> Option<Cut> {
    let start = skip_ws(bytes, 0);
    if start == bytes.len() || only_lost_bytes(bytes) {
        // Created, then the crash came before any byte reached the disk.
        return Some(Cut {
            keep: 0,
            records: 0,
        });
    }
    if bytes.get(start) != Some(&b'[') {
        return None;
    }
    let mut keep = start + 1;
    let mut records = 0;
    let mut at = keep;
    loop {
        let value_at = skip_ws(bytes, at);
        let rest = bytes.get(value_at..).unwrap_or_default();
        if only_lost_bytes(rest) {
            return Some(Cut { keep, records });
        }
        if records == 0 && rest.first() == Some(&b']') {
            // `[]` and NUL bytes after it: the array is whole; otherwise
            // something follows it, which no append writes.
            let after = rest.get(1..).unwrap_or_default();
            return (after.contains(&0) && only_lost_bytes(after)).then_some(Cut { keep, records });
        }
        let mut stream =
            serde_json::Deserializer::from_slice(rest).into_iter::<serde::de::IgnoredAny>();
        match stream.next() {
            Some(Ok(_)) => {
                let end = value_at + stream.byte_offset();
                records += 1;
                keep = end;
                let next = skip_ws(bytes, end);
                match bytes.get(next) {
                    None => return Some(Cut { keep, records }),
                    Some(b',') => at = next + 1,
                    // The whole array, then bytes that never reached the disk.
                    Some(b']')
                        if bytes[next + 1..].contains(&0)
                            && only_lost_bytes(&bytes[next + 1..]) =>
                    {
                        return Some(Cut { keep, records });
                    }
                    Some(_) if only_lost_bytes(&bytes[next..]) => {
                        return Some(Cut { keep, records });
                    }
                    // `]` (a complete array, perhaps with junk after it) or junk.
                    Some(_) => return None,
                }
            }
            Some(Err(e)) if e.is_eof() || cut_in_a_number(rest) => {
                return Some(Cut { keep, records });
            }
            Some(Err(_)) => {
                // A record that runs into NUL bytes was torn; anything else is
                // damage in the middle of the file.
                let first_nul = rest.iter().position(|b| *b == 0)?;
                return only_lost_bytes(&rest[first_nul..]).then_some(Cut { keep, records });
            }
            None => return Some(Cut { keep, records }),
        }
    }
}

/// Whether `rest` is a value cut off inside a number (`1.`, `-`, `2e+`):
/// the parser calls that an invalid number, not an early end. With a digit
/// after it the text reads on to its end, which a value damaged anywhere
/// else never does.
fn cut_in_a_number(rest: &[u8]) -> bool {
    if !rest
        .last()
        .is_some_and(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return false;
    }
    let mut more = rest.to_vec();
    more.push(b'0');
    let mut stream =
        serde_json::Deserializer::from_slice(&more).into_iter::<serde::de::IgnoredAny>();
    matches!(stream.next(), Some(Err(e)) if e.is_eof())
}

/// Recover `path` if its tail is torn. Cheap when it is not: only the last
/// bytes are read unless the file does not end in `]`.
pub(crate) fn recover(path: &Path) -> Result<Option<TornTail>, StoreError> {
    let context = || format!("cannot recover the torn tail of {}", path.display());
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(context(), e)),
    };
    let len = file.metadata().map_err(|e| io_error(context(), e))?.len();
    if ends_in_bracket(&mut file, len).map_err(|e| io_error(context(), e))? {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(|e| io_error(context(), e))?;
    let Some(cut) = torn_cut(&bytes) else {
        return Ok(None);
    };
    let cut_off = bytes.get(cut.keep..).unwrap_or_default();
    let meaningful = !only_lost_bytes(cut_off);
    // The cut bytes are kept (and durable) before the file is cut.
    let kept = if meaningful {
        let aside = fsio::aside_name(path, "torn");
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&aside)
            .map_err(|e| io_error(context(), e))?;
        out.write_all(cut_off)
            .and_then(|_| out.sync_all())
            .map_err(|e| io_error(context(), e))?;
        Some(aside)
    } else {
        None
    };
    let (keep, closing): (usize, &[u8]) = match (cut.records, cut.keep) {
        (_, 0) => (0, b"[]\n"),
        (0, keep) => (keep, b"]\n"),
        (_, keep) => (keep, b"\n]\n"),
    };
    file.set_len(keep as u64)
        .and_then(|_| file.seek(SeekFrom::Start(keep as u64)))
        .and_then(|_| file.write_all(closing))
        .and_then(|_| file.sync_all())
        .map_err(|e| io_error(context(), e))?;
    if let Some(dir) = path.parent() {
        fsio::sync_dir(dir)?;
    }
    crate::counts::torn_tail();
    let recovered = TornTail {
        file: path.to_path_buf(),
        kept,
        cut_bytes: cut_off.len(),
        records: cut.records,
    };
    tracing::warn!(
        file = %path.display(),
        kept = ?recovered.kept.as_ref().map(|p| p.display().to_string()),
        cut_bytes = recovered.cut_bytes,
        records = recovered.records,
        "recovered a torn tail: an append was interrupted; cut back to the last complete record"
    );
    Ok(Some(recovered))
}

/// Whether the last non-whitespace byte is `]` (reads the tail only).
fn ends_in_bracket(file: &mut std::fs::File, len: u64) -> std::io::Result<bool> {
    const CHUNK: u64 = 4096;
    let mut end = len;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let n = usize::try_from(end - start).unwrap_or(0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| !is_ws(b)) {
            return Ok(buf[i] == b']');
        }
        end = start;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(s: &str) -> Option<(String, usize)> {
        torn_cut(s.as_bytes()).map(|c| (s[..c.keep].to_owned(), c.records))
    }

    #[test]
    fn every_torn_state_of_an_append_is_cut_to_the_complete_records() {
        let base = "[\n  {\"a\": 1}";
        for tail in [
            "",
            ",",
            ",\n  {",
            ",\n  {\"a\": ",
            ",\n  {\"a\": [1, {\"b\"",
            ",\n  {\"a\": \"x]",
            ",\n  {\"a\": 1.",
            ",\n  {\"a\": [-",
            ",\n  {\"a\": 2e",
            ",\n  {\"a\": 2E+",
            ",\n\0\0\0\0",
            "\0\0",
        ] {
            assert_eq!(
                cut(&format!("{base}{tail}")),
                Some((base.into(), 1)),
                "{tail:?}"
            );
        }
        assert_eq!(
            cut("[\n  {\"a\": 1},\n  {\"a\": 2}\n"),
            Some(("[\n  {\"a\": 1},\n  {\"a\": 2}".into(), 2)),
            "complete record, bracket missing: nothing cut"
        );
        assert_eq!(cut("[\n  {\"a"), Some(("[".into(), 0)));
        assert_eq!(
            cut("[\n  {\"a\": 1}\n]\0\0"),
            Some(("[\n  {\"a\": 1}".into(), 1)),
            "complete, then lost bytes"
        );
        assert_eq!(cut("[]\0"), Some(("[".into(), 0)));
        assert_eq!(cut(""), Some((String::new(), 0)));
        assert_eq!(cut("\0\0\0"), Some((String::new(), 0)));
    }

    #[test]
    fn damage_that_is_not_at_the_tail_is_not_cut() {
        assert_eq!(cut("[\n  {\"a\": 1}\n]\n"), None, "complete");
        assert_eq!(cut("[\n  {\"a\": 1}\n]\njunk"), None);
        assert_eq!(cut("[\n  {\"a\": 1} junk, {\"a\": 2}"), None);
        assert_eq!(cut("[\n  {\"a\" 1},\n  {\"a\": 2}"), None);
        assert_eq!(
            cut("[\n  {\"a\": 1},\n  {\"a\": 1.e"),
            None,
            "not a number's prefix"
        );
        assert_eq!(
            cut("[\n  {\"a\": 1.x, \"b\": -"),
            None,
            "damage before the cut"
        );
        assert_eq!(cut("{\"not\": \"an array\""), None);
    }
}
