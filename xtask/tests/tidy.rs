//! Rules worth keeping, as tests (STYLE.md 16): module docs, the direction of
//! dependencies between crates, `.env.example` listing every setting, and
//! user-visible text (help, messages, logs, HTTP bodies) that speaks of the
//! product, never of the project's internal documents.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Library crates of the workspace: (name, directory).
fn library_crates() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in ["crates", "."] {
        let Ok(entries) = fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.join("Cargo.toml").exists() && path.join("src/lib.rs").exists() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                out.push((name, path));
            }
        }
    }
    out.sort();
    out
}

/// The `[dependencies]` section of a manifest (not dev-dependencies).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once(['=', '.']) {
                let name = name.trim();
                if !name.is_empty() && !name.starts_with('#') {
                    deps.push(name.to_owned());
                }
            }
        }
    }
    deps
}

#[test]
fn every_library_opens_with_module_docs() {
    let crates = library_crates();
    assert!(crates.len() >= 6, "found only {crates:?}");
    for (name, dir) in crates {
        let lib = read(&dir.join("src/lib.rs"));
        assert!(
            lib.trim_start().starts_with("//!"),
            "{name}/src/lib.rs must open with //! docs: what it owns, what it must not touch"
        );
    }
}

#[test]
fn dependencies_point_the_way_the_architecture_says() {
    let io_crates = [
        "tokio",
        "sea-orm",
        "sea-orm-migration",
        "reqwest",
        "axum",
        "storage-json",
        "storage-pg",
        "polymarket-client",
        "fs4",
    ];
    let rules: &[(&str, &[&str])] = &[
        ("crates/domain", &io_crates),
        ("crates/strategy", &io_crates),
        ("crates/paper-trading", &io_crates),
        ("crates/analytics", &io_crates),
        (
            "crates/storage-json",
            &[
                "storage-pg",
                "sea-orm",
                "migration",
                "polymarket-client",
                "reqwest",
            ],
        ),
        (
            "crates/storage-pg",
            &["storage-json", "polymarket-client", "reqwest"],
        ),
        (
            "crates/polymarket-client",
            &[
                "storage-json",
                "storage-pg",
                "strategy",
                "paper-trading",
                "sea-orm",
            ],
        ),
        ("migration", &["domain", "storage-pg", "storage-json"]),
    ];
    for (dir, forbidden) in rules {
        // A rule about a crate that moved must not pass by checking nothing.
        let manifest_path = root().join(dir).join("Cargo.toml");
        let deps = dependencies(&read(&manifest_path));
        for f in *forbidden {
            assert!(
                !deps.iter().any(|d| d == f),
                "{dir} must not depend on {f} (docs/ARCHITECTURE.md); it does: {deps:?}"
            );
        }
    }
}

#[test]
fn no_library_depends_on_the_test_helpers() {
    for (name, dir) in library_crates() {
        let deps = dependencies(&read(&dir.join("Cargo.toml")));
        assert!(
            !deps.iter().any(|d| d == "testkit"),
            "{name} lists testkit under [dependencies]; it is a dev-dependency (only xtask uses it at run time)"
        );
    }
}

#[test]
fn env_example_lists_every_setting() {
    let settings = read(&root().join("crates/orchestrator/src/settings.rs"));
    let example = read(&root().join(".env.example"));
    let listed: Vec<&str> = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let table = settings
        .split_once("pub const VARIABLES")
        .and_then(|(_, rest)| rest.split_once("];"))
        .map(|(table, _)| table)
        .expect("settings.rs defines `pub const VARIABLES`");
    let mut checked = 0;
    for chunk in table.split("(\"").skip(1) {
        let Some((name, rest)) = chunk.split_once("\", \"") else {
            continue;
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let default = rest.split('"').next().unwrap_or_default();
        checked += 1;
        assert!(listed.contains(&name), ".env.example does not list {name}");
        let line = format!("{name}={default}");
        assert!(
            example.lines().any(|l| l.trim() == line),
            ".env.example must show {name} with its default: expected the line `{line}`"
        );
    }
    assert!(
        checked >= 10,
        "found only {checked} settings in settings.rs"
    );
}

/// The string literals of Rust source (comments skipped): what a user can
/// see of it in a message, a log line or an HTTP body.
fn string_literals(src: &str) -> Vec<String> {
    let c: Vec<char> = src.chars().collect();
    let ident = |i: usize| c[i].is_alphanumeric() || c[i] == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            // A char literal ('"', '\'', '§'); a lifetime has no closing quote.
            '\'' if c.get(i + 1) == Some(&'\\') => {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            '\'' if c.get(i + 2) == Some(&'\'') => i += 3,
            'r' if i == 0 || !ident(i - 1) || (c[i - 1] == 'b' && (i < 2 || !ident(i - 2))) => {
                let mut j = i + 1;
                while c.get(j) == Some(&'#') {
                    j += 1;
                }
                if c.get(j) != Some(&'"') {
                    i += 1;
                    continue;
                }
                let hashes = j - i - 1;
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let rest: String = c[j + 1..].iter().collect();
                let end = rest.find(&close).unwrap_or(rest.len());
                out.push(rest[..end].to_owned());
                i = j + 1 + rest[..end].chars().count() + close.chars().count();
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' {
                        s.push(c[i]);
                        i += 1;
                    }
                    if i < c.len() {
                        s.push(c[i]);
                    }
                    i += 1;
                }
                i += 1;
                out.push(s);
            }
            _ => i += 1,
        }
    }
    out
}

/// Every file under `dir` whose name ends with one of `exts`.
fn files_under(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, exts, out);
        } else if exts
            .iter()
            .any(|e| path.extension().is_some_and(|x| x == *e))
        {
            out.push(path);
        }
    }
}

/// What user-visible text must not send a user to: the project's internal
/// documents (the SPEC and its sections). Comments may cite them.
fn cites_internal_docs(text: &str) -> bool {
    text.contains("SPEC") || text.contains('§')
}

#[test]
fn the_lexer_finds_strings_and_skips_comments() {
    let src = r###"
        // "SPEC §1" in a comment
        /* "SPEC" /* nested */ still comment */
        fn f<'a>(x: &'a str) -> char { let q = '"'; let e = '\''; g("one", r#"two "2""#, b"three"); '§' }
    "###;
    assert_eq!(string_literals(src), ["one", "two \"2\"", "three"]);
}

#[test]
fn user_visible_strings_do_not_cite_internal_documents() {
    let mut sources = Vec::new();
    for dir in ["crates", "xtask/src", "migration/src"] {
        files_under(&root().join(dir), &["rs", "html"], &mut sources);
    }
    // Product code only: tests' assertion messages are not shown to users.
    sources.retain(|p| !p.components().any(|c| c.as_os_str() == "tests"));
    assert!(sources.len() >= 50, "found only {} files", sources.len());
    let mut offenders = Vec::new();
    for path in &sources {
        let text = read(path);
        let visible = if path.extension().is_some_and(|x| x == "html") {
            vec![text]
        } else {
            string_literals(&text)
        };
        for s in visible.iter().filter(|s| cites_internal_docs(s)) {
            offenders.push(format!("{}: {s:?}", path.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "user-visible text cites internal documents; name a README section or a command instead:\n{}",
        offenders.join("\n")
    );
}

/// The `--help` of `command` and of every subcommand below it, rendered by
/// clap (doc comments become help text, so comments are not enough).
fn every_help(command: &mut clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    out.push((path.to_owned(), command.render_long_help().to_string()));
    for sub in command.get_subcommands_mut() {
        let name = format!("{path} {}", sub.get_name());
        every_help(sub, &name, out);
    }
}

/// The `--help` of the xtask binary and every subcommand, as printed.
fn xtask_help(args: &[String], out: &mut Vec<(String, String)>) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout).into_owned();
    let subcommands: Vec<String> = help
        .split_once("Commands:\n")
        .map(|(_, rest)| {
            rest.lines()
                .take_while(|l| !l.trim().is_empty())
                .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                .filter(|name| name != "help")
                .collect()
        })
        .unwrap_or_default();
    out.push((format!("cargo xtask {}", args.join(" ")), help));
    for sub in subcommands {
        let mut next = args.to_vec();
        next.push(sub);
        xtask_help(&next, out);
    }
}

#[test]
fn help_texts_do_not_cite_internal_documents() {
    use clap::CommandFactory;
    let mut helps = Vec::new();
    every_help(
        &mut orchestrator::cli::Cli::command(),
        "prescient",
        &mut helps,
    );
    xtask_help(&[], &mut helps);
    for command in [
        "prescient cycle",
        "prescient serve",
        "cargo xtask test",
        "cargo xtask phase advance",
    ] {
        assert!(
            helps
                .iter()
                .any(|(c, h)| c.trim() == command && h.contains("Usage")),
            "no help rendered for {command}"
        );
    }
    for (command, help) in &helps {
        assert!(
            !cites_internal_docs(help),
            "`{command} --help` cites an internal document:\n{help}"
        );
    }
}

/// The top-level modules of `crates/orchestrator/src` each file's `crate::`
/// paths name (comments left out), by the module the file belongs to.
fn orchestrator_imports() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>>
{
    let src = root().join("crates/orchestrator/src");
    let mut files = Vec::new();
    files_under(&src, &["rs"], &mut files);
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.iter().next().unwrap().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "bin" {
            continue;
        }
        let text: String = read(&file)
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let targets = out.entry(module.clone()).or_default();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|p| p.trim().split("::").next().unwrap_or_default())
                    .collect()
            } else {
                vec![
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or_default(),
                ]
            };
            for name in names {
                let is_module = src.join(format!("{name}.rs")).exists() || src.join(name).is_dir();
                if is_module && name != module {
                    targets.insert(name.to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn the_orchestrator_modules_have_no_import_circle() {
    let graph = orchestrator_imports();
    assert!(
        graph.contains_key("cycle") && graph.contains_key("cli"),
        "{graph:?}"
    );
    // Depth-first: a module met again on the current path closes a circle.
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == node) {
            panic!(
                "import circle in crates/orchestrator (docs/ARCHITECTURE.md, Entry points): {} -> {node}",
                path[at..].join(" -> ")
            );
        }
        if !done.insert(node.to_owned()) {
            return;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
    }
    let mut done = std::collections::BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_command_line_is_a_leaf() {
    for (module, targets) in orchestrator_imports() {
        assert!(
            module == "cli" || !targets.contains("cli"),
            "crates/orchestrator/src/{module} imports the command line (`crate::cli`); it is a leaf: move what both need to `app` (docs/ARCHITECTURE.md, Entry points)"
        );
    }
}
