//! Keeping the database password out of every output: [`redact_url`] hides
//! it in a connection URL, [`scrub`] in any text (an error from sqlx or
//! SeaORM, which may quote the whole connection string), and
//! [`scrub_db_err`] in a `DbErr` before it becomes the source of ours.
//!
//! A password can sit in the userinfo (`postgres://u:secret@h/db`, maybe
//! percent-encoded, maybe — wrongly — with a raw `/`, `?` or `#` in it) or in
//! the query (`?password=secret`, which sqlx honours). When the URL does not
//! parse the way sqlx would read it, everything before the last `@` is
//! hidden: a redaction may hide too much, never too little.

use sea_orm::{DbErr, RuntimeErr};
use url::Url;

/// What a hidden secret is replaced with.
pub const HIDDEN: &str = "***";

/// The query parameter sqlx reads a password from.
const PASSWORD_PARAM: &str = "password";

/// `url` with every password in it replaced by `***`:
/// `postgres://u:secret@h/db?sslmode=require&password=secret` →
/// `postgres://u:***@h/db?sslmode=require&password=***`.
pub fn redact_url(url: &str) -> String {
    match parse_as_sqlx_would(url) {
        Some(mut parsed) => {
            if parsed.password().is_some() {
                // Fails only for URLs without a host, which have no password.
                let _ = parsed.set_password(Some(HIDDEN));
            }
            if let Some(query) = parsed.query().map(redact_query) {
                parsed.set_query(Some(&query));
            }
            parsed.to_string()
        }
        None => redact_unparsed(url),
    }
}

/// `text` with the database URL `url` redacted ([`redact_url`]) and every
/// password it holds — as written, percent-decoded and as the URL parser
/// normalizes it — replaced by `***`.
pub fn scrub(text: &str, url: &str) -> String {
    let mut out = if url.is_empty() {
        text.to_owned()
    } else {
        text.replace(url, &redact_url(url))
    };
    for secret in secrets(url) {
        out = out.replace(&secret, HIDDEN);
    }
    out
}

/// `e` with any password of `url` scrubbed from its text. An error that
/// does not quote one comes back unchanged (keeping its source chain); one
/// that does is replaced by the same text, scrubbed.
pub fn scrub_db_err(e: DbErr, url: &str) -> DbErr {
    match e {
        // SeaORM's own connect errors ("The connection string '…' cannot be
        // parsed"): keep the variant, so it still reads as a connection error.
        DbErr::Conn(RuntimeErr::Internal(message)) => {
            DbErr::Conn(RuntimeErr::Internal(scrub(&message, url)))
        }
        other => {
            let text = other.to_string();
            let clean = scrub(&text, url);
            if clean == text {
                other
            } else {
                DbErr::Custom(clean)
            }
        }
    }
}

/// The URL as sqlx reads it, or `None` when it does not parse or when an `@`
/// after the scheme was not taken as the end of a userinfo: a raw `/`, `?`
/// or `#` before the last `@` (in the password) makes the parser end the
/// authority early, and the rest of the password would read as path or
/// query — whether or not a userinfo was seen before it. A raw `@` in a
/// query value (`?application_name=a@b`) looks the same, so it is treated
/// alike: redacted too much, and refused for `pg_dump`; write it `%40`.
pub(crate) fn parse_as_sqlx_would(url: &str) -> Option<Url> {
    let parsed = Url::parse(url).ok()?;
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let has_userinfo = !parsed.username().is_empty() || parsed.password().is_some();
    let cut_early = rest
        .rfind('@')
        .is_some_and(|at| rest[..at].contains(['/', '?', '#']));
    if rest.contains('@') && !has_userinfo || cut_early {
        return None;
    }
    Some(parsed)
}

/// A URL that does not parse: everything between the scheme and the last
/// `@` hidden, and the query's passwords.
fn redact_unparsed(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let (userinfo_hidden, tail) = match rest.rfind('@') {
        Some(at) => (format!("{HIDDEN}@"), &rest[at + 1..]),
        None => (String::new(), rest),
    };
    let tail = match tail.split_once('?') {
        Some((before, query)) => format!("{before}?{}", redact_query(query)),
        None => tail.to_owned(),
    };
    format!("{scheme}{userinfo_hidden}{tail}")
}

/// A raw query with the value of every `password` parameter hidden; every
/// other parameter as written.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            if is_password_param(pair) {
                let key = pair.split_once('=').map_or(pair, |(key, _)| key);
                format!("{key}={HIDDEN}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether one `key=value` of a query names the password, as sqlx decodes
/// keys (`pass%77ord` is `password`).
fn is_password_param(pair: &str) -> bool {
    url::form_urlencoded::parse(pair.as_bytes())
        .next()
        .is_some_and(|(key, _)| key.eq_ignore_ascii_case(PASSWORD_PARAM))
}

/// Every form of every password in `url`, longest first (so a form that
/// holds another is replaced whole).
fn secrets(url: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Each as found, decoded, and encoded both ways a URL may carry it.
    let mut add = |s: &str| {
        if s.is_empty() || s == HIDDEN {
            return;
        }
        let decoded = percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map_or_else(|_| s.to_owned(), |d| d.into_owned());
        out.push(s.to_owned());
        out.push(url::form_urlencoded::byte_serialize(decoded.as_bytes()).collect());
        out.push(
            percent_encoding::utf8_percent_encode(&decoded, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        out.push(decoded);
    };
    // The userinfo as written: between the scheme and the last `@`, after
    // the first `:`.
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    if let Some(at) = rest.rfind('@')
        && let Some((_, password)) = rest[..at].split_once(':')
    {
        add(password);
    }
    if let Ok(parsed) = Url::parse(url) {
        if let Some(password) = parsed.password() {
            add(password);
        }
        for (key, value) in parsed.query_pairs() {
            if key.eq_ignore_ascii_case(PASSWORD_PARAM) {
                add(&value);
            }
        }
    }
    // A query the parser did not see (the URL does not parse).
    if let Some((_, query)) = rest.split_once('?') {
        for pair in query.split('&').filter(|p| is_password_param(p)) {
            if let Some((_, value)) = pair.split_once('=') {
                add(value);
                for (_, decoded) in url::form_urlencoded::parse(pair.as_bytes()) {
                    add(&decoded);
                }
            }
        }
    }
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One URL in, its redaction out.
    fn check(url: &str, expected: &str) {
        assert_eq!(redact_url(url), expected, "redacting {url}");
    }

    /// Found by the property below: a raw password starting with `@` ends
    /// the userinfo there, and the rest of it reads as host and query.
    #[test]
    fn a_raw_at_in_the_password_hides_everything_before_the_last_at() {
        check(
            "postgres://prescient:@a?0Aa$A@db.example:5432/prescient",
            "postgres://***@db.example:5432/prescient",
        );
        // A raw `@` in a query value cannot be told from the end of a
        // password cut short by a raw `?` (`u:@h?x=1@db`): too much is hidden.
        check(
            "postgres://u:secret@h/db?application_name=a@b",
            "postgres://***@b",
        );
        check(
            "postgres://u:secret@h/db?application_name=a%40b",
            "postgres://u:***@h/db?application_name=a%40b",
        );
        // Without one, the last `@` ends the userinfo, as sqlx reads it.
        check("postgres://u:p@ss@h/db", "postgres://u:***@h/db");
    }

    #[test]
    fn passwords_are_hidden_wherever_they_are() {
        check(
            "postgres://u:secret@h:5432/db",
            "postgres://u:***@h:5432/db",
        );
        check("postgres://u:secret@h", "postgres://u:***@h");
        check("postgres://:secret@h/db", "postgres://:***@h/db");
        check(
            "postgres://u@h/db?password=secret",
            "postgres://u@h/db?password=***",
        );
        check(
            "postgres://u@h/db?sslmode=require&password=secret&application_name=p",
            "postgres://u@h/db?sslmode=require&password=***&application_name=p",
        );
        check(
            "postgres://u:one@h/db?PASSWORD=two",
            "postgres://u:***@h/db?PASSWORD=***",
        );
        check(
            "postgres://u@h/db?pass%77ord=secret",
            "postgres://u@h/db?pass%77ord=***",
        );
        // Percent-encoded, and a raw `@` (the last one ends the userinfo).
        check("postgres://u:s%40cr%2Fet@h/db", "postgres://u:***@h/db");
        check("postgres://u:s@cret@h/db", "postgres://u:***@h/db");
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://h/db",
            "postgres://u@h/db?sslmode=require",
            "postgres:///db?host=/var/run/postgresql",
        ] {
            check(url, url);
        }
    }

    #[test]
    fn urls_that_do_not_parse_hide_everything_before_the_last_at() {
        // A raw `/` or `#` in the password ends the authority early: the
        // parser sees no userinfo, so the text before the `@` is hidden.
        check("postgres://u:12/ab@h/db", "postgres://***@h/db");
        check("postgres://u:se#cret@h/db", "postgres://***@h/db");
        check(
            "postgres://u:secret@h:notaport/db?password=two",
            "postgres://***@h:notaport/db?password=***",
        );
        check("u:secret@h/db", "***@h/db");
    }

    #[test]
    fn scrub_hides_the_url_and_each_form_of_the_password() {
        let url = "postgres://u:s%40cret@h/db?password=two%2Bthree";
        let text = format!(
            "The connection string '{url}' cannot be parsed; tried s@cret, s%40cret, two+three"
        );
        let clean = scrub(&text, url);
        for secret in ["s@cret", "s%40cret", "two+three", "two%2Bthree"] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(
            clean.contains("postgres://u:***@h/db?password=***"),
            "{clean}"
        );
        assert_eq!(scrub("nothing secret", "postgres://h/db"), "nothing secret");
    }

    #[test]
    fn db_errors_quoting_the_url_are_scrubbed_and_others_kept() {
        let url = "postgres://u:secret@h/db";
        let quoting = DbErr::Conn(RuntimeErr::Internal(format!(
            "The connection string '{url}' has no supporting driver."
        )));
        let clean = scrub_db_err(quoting, url);
        assert!(matches!(clean, DbErr::Conn(_)), "{clean:?}");
        assert!(!clean.to_string().contains("secret"), "{clean}");
        let other = scrub_db_err(DbErr::RecordNotFound("x".into()), url);
        assert!(matches!(other, DbErr::RecordNotFound(_)), "{other:?}");
        let query = scrub_db_err(DbErr::Custom(format!("bad {url}")), url);
        assert!(!query.to_string().contains("secret"), "{query}");
    }

    /// A password as a user might type it: printable ASCII, long enough not
    /// to occur by chance in the rest of the URL.
    fn password() -> impl Strategy<Value = String> {
        "[!-~ ]{8,24}"
    }

    /// As a userinfo carries it (percent-encoding) and as a query does
    /// (form encoding: a space is `+`).
    fn in_userinfo(s: &str) -> String {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    fn in_query(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    proptest! {
        #[test]
        fn no_form_of_a_password_survives_redaction(pw in password()) {
            for (url, encoded) in [
                (format!("postgres://prescient:{}@db.example:5432/prescient", in_userinfo(&pw)), in_userinfo(&pw)),
                // Typed raw, as people do.
                (format!("postgres://prescient:{pw}@db.example:5432/prescient"), pw.clone()),
                (format!("postgres://prescient@db.example:5432/prescient?sslmode=require&password={}", in_query(&pw)), in_query(&pw)),
            ] {
                let redacted = redact_url(&url);
                prop_assert!(!redacted.contains(&pw), "{pw:?} in {redacted}");
                prop_assert!(!redacted.contains(&encoded), "{encoded:?} in {redacted}");
                let scrubbed = scrub(&format!("error: {url}: {pw} / {encoded}"), &url);
                prop_assert!(!scrubbed.contains(&pw), "{pw:?} in {scrubbed}");
                prop_assert!(!scrubbed.contains(&encoded), "{encoded:?} in {scrubbed}");
            }
        }
    }
}
