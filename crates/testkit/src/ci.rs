//! What a test may skip, and where: outside CI a test whose prerequisite is
//! missing (the recorded fixtures, a browser) may step aside with a note;
//! under `CI=true` the same gap fails the test, so CI never reports a pass
//! for a test that did not run.

/// Whether this run is CI: `CI` is set to anything but empty, `0` or `false`
/// (CI services set `CI=true`).
pub fn enabled() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// A prerequisite of the running test is missing (`what`, with how to get
/// it). Under CI this panics (the test fails, naming what is missing);
/// otherwise it prints a note on stderr and returns, and the caller skips.
pub fn skip_or_fail(what: &str) {
    // The test harness names the thread of each test after it.
    let current = std::thread::current();
    let test = current.name().unwrap_or("a test");
    if enabled() {
        panic!("{test}: {what} (CI=true: this test must run, not skip)");
    }
    eprintln!("note: {test} skipped: {what}");
}
