//! [`RawJson`]: a Gamma object kept as the bytes it arrived as. Only the
//! fields Prescient reads are decoded (`crate::gamma`); the object itself is
//! stored and re-written by copying its text, so every field round-trips
//! and no `serde_json::Value` tree of a whole crawl is ever built (a tree
//! costs ten times the text it came from).
//!
//! A nested market's `RawJson` is a slice of its event's text (one shared
//! buffer), so an event and its markets hold one copy of the bytes.

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// The JSON text of one object, shared: clones are cheap.
#[derive(Clone)]
pub struct RawJson {
    /// `Arc<Box<str>>`, not `Arc<str>`: a parsed record's text is kept where
    /// the parser put it, not copied behind a new header.
    buf: Arc<Box<str>>,
    range: Range<usize>,
}

impl RawJson {
    /// Take JSON text whose validity the caller checked (it came out of a
    /// JSON parser).
    fn from_valid(text: String) -> Self {
        Self::from_boxed(text.into_boxed_str())
    }

    fn from_boxed(text: Box<str>) -> Self {
        let len = text.len();
        Self {
            buf: Arc::new(text),
            range: 0..len,
        }
    }

    /// Check `text` is one JSON value and keep it.
    pub fn parse(text: String) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<&RawValue>(&text)?;
        Ok(Self::from_valid(text.trim().to_owned()))
    }

    /// The elements of the JSON array `text`, each a slice of its one
    /// buffer: a file of records read whole is held once, and parsed once
    /// from memory (a buffered reader parses a byte at a time).
    pub fn array_elements(text: String) -> Result<Vec<Self>, serde_json::Error> {
        let base = text.as_ptr() as usize;
        let ranges: Vec<Range<usize>> = serde_json::from_str::<Vec<&RawValue>>(&text)?
            .iter()
            .map(|item| {
                let start = item.get().as_ptr() as usize - base;
                start..start + item.get().len()
            })
            .collect();
        let buf = Arc::new(text.into_boxed_str());
        Ok(ranges
            .into_iter()
            .map(|range| Self {
                buf: buf.clone(),
                range,
            })
            .collect())
    }

    /// The text of a parsed raw value.
    pub fn from_raw(raw: Box<RawValue>) -> Self {
        Self::from_boxed(Box::<str>::from(raw))
    }

    /// The text of `value`, written compact.
    pub fn from_value<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(Self::from_valid)
    }

    /// `{}`.
    pub fn empty_object() -> Self {
        Self::from_valid("{}".to_owned())
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.buf[self.range.clone()]
    }

    /// A part of this text (`inner` must be a subslice of [`RawJson::get`],
    /// e.g. a `&RawValue` borrowed from it) sharing the buffer; a copy if not.
    pub fn slice(&self, inner: &str) -> Self {
        let base = self.buf.as_ptr() as usize;
        let at = inner.as_ptr() as usize;
        if at >= base && at + inner.len() <= base + self.buf.len() {
            let start = at - base;
            return Self {
                buf: self.buf.clone(),
                range: start..start + inner.len(),
            };
        }
        Self::from_valid(inner.to_owned())
    }

    /// This text in a buffer of its own (a copy when it is a slice of a
    /// larger one), so that keeping it does not keep the rest alive.
    pub fn detach(&self) -> Self {
        if self.range.len() == self.buf.len() {
            return self.clone();
        }
        Self::from_valid(self.get().to_owned())
    }

    /// The object as a map (for callers that add fields before serving it).
    pub fn to_object(&self) -> Result<Map<String, Value>, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// The value as a tree.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// This object with `fields` set: an existing key keeps its place and
    /// gets the new value, a new key goes at the end; every other member is
    /// copied as text.
    pub fn with_fields(&self, fields: &[(&str, Value)]) -> Result<Self, serde_json::Error> {
        let members: Vec<(String, &RawValue)> = members(self.get())?;
        let values = fields
            .iter()
            .map(|(_, value)| serde_json::to_string(value))
            .collect::<Result<Vec<_>, _>>()?;
        // Sized once: a long title must not double a market's text (issue #13).
        let added: usize = fields
            .iter()
            .zip(&values)
            .map(|((key, _), value)| key.len() + value.len() + 4)
            .sum();
        let mut out = String::with_capacity(self.get().len() + added + 2);
        out.push('{');
        let mut first = true;
        let mut put = |out: &mut String, key: &str, value: &str| -> Result<(), serde_json::Error> {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&serde_json::to_string(key)?);
            out.push(':');
            out.push_str(value);
            Ok(())
        };
        for (key, value) in &members {
            match fields.iter().position(|(k, _)| k == key) {
                Some(i) => put(&mut out, key, values.get(i).map_or("null", String::as_str))?,
                None => put(&mut out, key, value.get())?,
            }
        }
        for ((key, _), value) in fields.iter().zip(&values) {
            if !members.iter().any(|(k, _)| k == key) {
                put(&mut out, key, value)?;
            }
        }
        out.push('}');
        Ok(Self::from_valid(out))
    }

    /// The text on one line, as [`Serialize`] writes it, straight to `out`
    /// (the text came out of a JSON parser: it is not parsed again).
    pub fn write_line(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let text = self.get();
        if on_several_lines(text) {
            out.write_all(without_whitespace(text).as_bytes())
        } else {
            out.write_all(text.as_bytes())
        }
    }

    /// [`RawJson::write_line`] of this object with `fields` set, as
    /// [`RawJson::with_fields`] sets them, without building the new text
    /// when none of the keys is there: the members are appended to the text
    /// as it is.
    pub fn write_line_with(
        &self,
        out: &mut dyn std::io::Write,
        fields: &[(&str, Value)],
    ) -> std::io::Result<()> {
        let text = self.get().trim_end();
        let quoted = |key: &str| format!("\"{key}\"");
        let body = text
            .strip_suffix('}')
            .filter(|_| !on_several_lines(text))
            .filter(|_| {
                !fields.iter().any(|(key, _)| {
                    memchr::memmem::find(text.as_bytes(), quoted(key).as_bytes()).is_some()
                })
            });
        let Some(body) = body else {
            // A key already there (or a text on several lines): through the members.
            return self
                .with_fields(fields)
                .map_err(std::io::Error::other)?
                .write_line(out);
        };
        out.write_all(body.as_bytes())?;
        let mut empty = body.trim_end().ends_with('{');
        for (key, value) in fields {
            out.write_all(if empty { b"" } else { b"," })?;
            empty = false;
            serde_json::to_writer(&mut *out, key).map_err(std::io::Error::other)?;
            out.write_all(b":")?;
            serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)?;
        }
        out.write_all(b"}")
    }

    /// Whether a string anywhere in the text (key or value) holds a NUL
    /// character, which neither JSONB nor the legacy files' readers keep.
    /// JSON text cannot hold a raw NUL, so only `\u0000` escapes count.
    pub fn has_nul(&self) -> bool {
        let text = self.get();
        // Almost every text has no such escape at all: one fast search.
        if memchr::memmem::find(text.as_bytes(), b"u0000").is_none() {
            return false;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' {
                if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        false
    }
}

/// Whether `text` holds a line break (one SIMD search: record texts are
/// tens of kilobytes, and almost all are on one line).
fn on_several_lines(text: &str) -> bool {
    memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some()
}

/// The members of an object, values borrowed as text.
fn members(text: &str) -> Result<Vec<(String, &RawValue)>, serde_json::Error> {
    struct Members<'a>(std::marker::PhantomData<&'a ()>);
    impl<'de> serde::de::Visitor<'de> for Members<'de> {
        type Value = Vec<(String, &'de RawValue)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                out.push((key, map.next_value::<&'de RawValue>()?));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let out = serde::Deserializer::deserialize_map(&mut de, Members(std::marker::PhantomData))?;
    de.end()?;
    Ok(out)
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

/// Equal when the JSON values are (key order and layout aside: a store such
/// as JSONB does not keep them).
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
            || matches!((self.to_value(), other.to_value()), (Ok(a), Ok(b)) if a == b)
    }
}

/// Written as the text, on one line: a text kept as received may be
/// pretty-printed (a snapshot file), and a record serialized into a
/// line-per-record file (the outbox journal) must not break its line. The
/// whitespace between tokens is dropped; every token keeps its bytes.
impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.get();
        let compact;
        let text = if on_several_lines(text) {
            compact = without_whitespace(text);
            compact.as_str()
        } else {
            text
        };
        let raw: &RawValue = serde_json::from_str(text).map_err(S::Error::custom)?;
        raw.serialize(s)
    }
}

/// JSON text without the whitespace between its tokens (inside strings
/// nothing changes: a string cannot hold a raw control character).
fn without_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        if !raw.get().starts_with('{') {
            return Err(D::Error::custom("expected a JSON object"));
        }
        Ok(Self::from_raw(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_set_in_place_or_appended_and_the_rest_copied_as_text() {
        let raw = RawJson::parse(r#"{"a": 1.50, "b":"x", "c" : [1,2]}"#.into()).unwrap();
        let out = raw
            .with_fields(&[("b", json!("y")), ("d", json!(null))])
            .unwrap();
        assert_eq!(out.get(), r#"{"a":1.50,"b":"y","c":[1,2],"d":null}"#);
    }

    #[test]
    fn only_an_escaped_nul_is_a_nul() {
        let has = |s: &str| RawJson::parse(s.into()).unwrap().has_nul();
        assert!(has(r#"{"a": "x\u0000"}"#));
        assert!(has(r#"{"\u0000": 1}"#));
        assert!(!has(r#"{"a": "\\u0000"}"#));
        assert!(!has(
            r#"{"a": "\u00001"}"#.replace("\\u00001", "\\u0001").as_str()
        ));
    }

    #[test]
    fn a_pretty_text_serializes_on_one_line_with_every_token_kept() {
        let text = "{\n  \"a\": 1.50,\r\n  \"b\" : \"x \\\" \\n y\",\n  \"c\": [ 1, 2 ]\n}";
        let raw = RawJson::parse(text.into()).unwrap();
        let line = serde_json::to_string(&vec![raw.clone()]).unwrap();
        assert_eq!(line, r#"[{"a":1.50,"b":"x \" \n y","c":[1,2]}]"#);
        let back: Vec<RawJson> = serde_json::from_str(&line).unwrap();
        assert_eq!(back, vec![raw]);
    }

    #[test]
    fn a_line_is_written_as_serialize_writes_it() {
        for text in [
            r#"{"a": 1.50, "b" : "x\ny"}"#,
            "{\n  \"a\": 1.50,\r\n  \"b\" : \"x \\\" \\n y\"\n}",
        ] {
            let raw = RawJson::parse(text.into()).unwrap();
            let mut line = Vec::new();
            raw.write_line(&mut line).unwrap();
            assert_eq!(
                String::from_utf8(line).unwrap(),
                serde_json::to_string(&raw).unwrap()
            );
        }
    }

    #[test]
    fn fields_written_on_a_line_equal_the_fields_set() {
        let fields = [("d", json!("x\"y")), ("e", json!(null))];
        for text in [
            r#"{"a": 1.50, "b":"x"}"#,
            "{ }",
            r#"{"d": 1, "a": 2}"#,
            "{\n  \"a\": 1\n}",
            r#"{"a": "\"d\""}"#,
        ] {
            let raw = RawJson::parse(text.into()).unwrap();
            let mut line = Vec::new();
            raw.write_line_with(&mut line, &fields).unwrap();
            let line = String::from_utf8(line).unwrap();
            assert!(!line.contains('\n'), "{line}");
            let set = raw.with_fields(&fields).unwrap();
            assert_eq!(RawJson::parse(line.clone()).unwrap(), set, "{line}");
        }
    }

    #[test]
    fn array_elements_share_one_buffer_and_keep_their_text() {
        let items =
            RawJson::array_elements("[ {\"a\": 1.50} ,\n{\"b\": [1, 2]}, 3 ]".into()).unwrap();
        let texts: Vec<&str> = items.iter().map(RawJson::get).collect();
        assert_eq!(texts, [r#"{"a": 1.50}"#, r#"{"b": [1, 2]}"#, "3"]);
        assert!(Arc::ptr_eq(&items[0].buf, &items[1].buf));
        let alone = items[1].detach();
        assert_eq!(alone.get(), items[1].get());
        assert_eq!(alone.buf.len(), alone.get().len());
        assert!(RawJson::array_elements("[1,".into()).is_err());
        assert!(RawJson::array_elements("{}".into()).is_err());
    }

    #[test]
    fn a_slice_shares_the_text_and_equality_ignores_layout() {
        let raw = RawJson::parse(r#"{"m": {"id": "1"}}"#.into()).unwrap();
        let inner: std::collections::HashMap<String, &RawValue> =
            serde_json::from_str(raw.get()).unwrap();
        let m = raw.slice(inner["m"].get());
        assert_eq!(m.get(), r#"{"id": "1"}"#);
        assert_eq!(m, RawJson::parse(r#"{ "id":"1" }"#.into()).unwrap());
    }
}
