//! One module per file (or record kind) of the legacy layout: the record as
//! the file holds it (serde, unknown fields kept in `extra`) and its
//! conversion to and from the domain type. Field tables: LEGACY-FORMATS §1.
//!
//! Every record read is checked whole when it is decoded: its JSON shape
//! (an error names file, line and field), the domain's rules and the limits
//! of every store ([`domain::validate`]), and, in keyed files, that its key
//! appears once.

pub(crate) mod archive;
pub(crate) mod gamma;
pub(crate) mod history;
pub(crate) mod market_snapshot;
pub(crate) mod metadata;
pub(crate) mod portfolio;
pub(crate) mod portfolio_snapshot;
pub(crate) mod position;
pub(crate) mod signal;
pub(crate) mod trade;

use crate::fsio;
use crate::num::RecordCtx;
use domain::time::NaiveZone;
use domain::{StoreError, Validate};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::path::Path;

/// A record of a JSON-array file and the line it starts on.
#[derive(Debug)]
pub(crate) struct Located<R> {
    pub line: usize,
    pub record: R,
}

/// Parse a JSON-array file record by record. A syntax error is `Corrupt` at
/// its position; a record of the wrong shape is `Corrupt` at the record's
/// position, naming the field (`field \`entry_price\`: invalid type …`).
pub(crate) fn read_array<R: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<Located<R>>, StoreError> {
    array_items(path, bytes)?
        .iter()
        .map(|item| decode_item(path, bytes, item))
        .collect()
}

/// Where one record of a JSON-array file lies: its bytes and the line and
/// column it starts at.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    start: usize,
    end: usize,
    line: usize,
    column: usize,
}

/// Every record of a JSON-array file, found without decoding one: the whole
/// file's syntax is checked (`Corrupt` at the error's position), so a torn
/// or cut file is refused before any of its records is used.
pub(crate) fn array_items(path: &Path, bytes: &[u8]) -> Result<Vec<Item>, StoreError> {
    let items: Vec<&RawValue> = fsio::parse(path, bytes)?;
    let mut lines = Lines::new(bytes);
    Ok(items
        .into_iter()
        .map(|raw| {
            let text = raw.get();
            let start = (text.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
            let (line, column) = lines.position(start);
            Item {
                start,
                end: start.saturating_add(text.len()),
                line,
                column,
            }
        })
        .collect())
}

/// Decode the record at `item` of the file `bytes` (of [`array_items`]).
pub(crate) fn decode_item<R: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    item: &Item,
) -> Result<Located<R>, StoreError> {
    let Item { line, column, .. } = *item;
    let text = bytes.get(item.start..item.end).unwrap_or_default();
    // Tracking the path costs about a third of a decode: a record that
    // decodes needs none, one that does not is decoded again for it.
    if let Ok(record) = serde_json::from_slice(text) {
        return Ok(Located { line, record });
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    let record = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let (at_line, at_column) = if inner.line() <= 1 {
            (line, column + inner.column())
        } else {
            (line + inner.line() - 1, inner.column())
        };
        let message = fsio::serde_message(&inner);
        StoreError::Corrupt {
            path: path.display().to_string(),
            line: at_line,
            column: at_column,
            message: if field == "." {
                message
            } else {
                format!("field `{field}`: {message}")
            },
        }
    })?;
    Ok(Located { line, record })
}

/// Read and parse a JSON-array file; a missing file has no records.
pub(crate) fn load_array<R: DeserializeOwned>(path: &Path) -> Result<Vec<Located<R>>, StoreError> {
    match fsio::read_bytes(path)? {
        Some(bytes) => read_array(path, &bytes),
        None => Ok(Vec::new()),
    }
}

/// Line and column of byte offsets, counted forward once.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            at: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// 1-based line and 0-based column of `offset` (offsets never go back).
    fn position(&mut self, offset: usize) -> (usize, usize) {
        let end = offset.min(self.bytes.len());
        if let Some(slice) = self.bytes.get(self.at..end) {
            for (i, b) in slice.iter().enumerate() {
                if *b == b'\n' {
                    self.line += 1;
                    self.line_start = self.at + i + 1;
                }
            }
            self.at = end.max(self.at);
        }
        (self.line, offset.saturating_sub(self.line_start))
    }
}

/// Convert every record of a file and check it whole, naming the file, the
/// line and the record's key on the first one that breaks a rule.
pub(crate) fn convert_all<R, T: Validate>(
    location: &str,
    zone: NaiveZone,
    records: Vec<Located<R>>,
    key: impl Fn(usize, &R) -> String,
    convert: impl Fn(R, &RecordCtx<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let key = key(i, &r.record);
            convert_one(location, zone, r, key, &convert)
        })
        .collect()
}

/// [`convert_all`] of one record, under `key`.
pub(crate) fn convert_one<R, T: Validate>(
    location: &str,
    zone: NaiveZone,
    r: Located<R>,
    key: String,
    convert: impl Fn(R, &RecordCtx<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let ctx = RecordCtx {
        location,
        line: Some(r.line),
        key,
        zone,
    };
    let record = convert(r.record, &ctx)?;
    ctx.validate(record)
}

/// Keys of an append-only file appear once: a second record with a stored
/// key (a trade id, a history timestamp) is an error naming both lines.
pub(crate) fn unique_keys<R>(
    location: &str,
    records: &[Located<R>],
    key: impl Fn(&R) -> String,
) -> Result<(), StoreError> {
    let mut seen = SeenKeys::with_capacity(records.len());
    for r in records {
        seen.insert(location, key(&r.record), r.line)?;
    }
    Ok(())
}

/// The keys of a file's records met so far, each with its line.
pub(crate) struct SeenKeys(HashMap<String, usize>);

impl SeenKeys {
    pub(crate) fn with_capacity(n: usize) -> Self {
        SeenKeys(HashMap::with_capacity(n))
    }

    /// Note `key` at `line`; a key met before is the error [`unique_keys`]
    /// reports.
    pub(crate) fn insert(
        &mut self,
        location: &str,
        key: String,
        line: usize,
    ) -> Result<(), StoreError> {
        if let Some(first) = self.0.get(&key) {
            return Err(StoreError::InvalidRecord {
                location: format!("{location} line {line}"),
                key,
                message: format!(
                    "is stored twice: the first record with this key is at line {first}"
                ),
            });
        }
        self.0.insert(key, line);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Rec {
        #[allow(dead_code)]
        id: String,
        #[allow(dead_code)]
        n: u32,
    }

    #[test]
    fn records_know_their_lines_and_bad_fields_are_named() {
        let text =
            b"[\n  {\"id\": \"a\", \"n\": 1},\n  {\n    \"id\": \"b\",\n    \"n\": \"x\"\n  }\n]\n";
        let err = read_array::<Rec>(Path::new("f.json"), text).unwrap_err();
        let StoreError::Corrupt { line, message, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*line, 5, "{err}");
        assert!(message.starts_with("field `n`:"), "{message}");
        assert!(!message.contains("at line"), "the position once: {message}");
        let ok = b"[\n  {\"id\": \"a\", \"n\": 1},\n\n  {\"id\": \"b\", \"n\": 2}\n]";
        let lines: Vec<usize> = read_array::<Rec>(Path::new("f.json"), ok)
            .unwrap()
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, vec![2, 4]);
    }
}
