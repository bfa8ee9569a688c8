//! Every shell command in README.md and docs/ (`docs/**/*.md`) runs here,
//! as a reader would type it, against copies of the shipped files: a
//! documented command that breaks fails the suite.
//!
//! The rules, so that a new page is covered without touching this file:
//! - Fenced blocks tagged `sh` (or `bash`, `shell`) are run, one
//!   command per line (a line ending in `\` continues on the next), in
//!   order, in one scratch folder per page holding copies of `scenarios/`
//!   and `docs/`; so `iopsim init my.toml` early on a page makes the
//!   `my.toml` later commands use. In a `console` block (a transcript),
//!   the lines after `$ ` are the commands and the rest is their output.
//! - `iopsim ...` runs the binary built with this test; `cargo run --release
//!   [-- args]` is the same binary. The few cargo commands that are CI's own
//!   steps (`cargo test --release`, ...) are listed in [`RUN_BY_CI`].
//! - A command that must fail ends with `# fails: <message>`: it must exit
//!   non-zero and print the message.
//! - A block that cannot run here (a nightly toolchain) is preceded by
//!   `<!-- doc-commands: not run: <reason> -->`; a block of commands that
//!   take minutes of CPU by `<!-- doc-commands: long: <reason> -->`: those
//!   run in `long_commands_run` (`cargo test --release -- --ignored`), not
//!   on every CI run.
//! - An untagged block holding `iopsim` or `cargo` commands is an error:
//!   tag it `sh`, or `text` if it is output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Cargo commands a page may show that CI runs itself, with where.
const RUN_BY_CI: &[(&str, &str)] = &[
    (
        "cargo test --release",
        ".ci/run: the test suite this test is part of",
    ),
    (
        "cargo install --path .",
        ".ci/run: installs into a scratch root",
    ),
    ("cargo bench --no-run", ".ci/run: the benches compile"),
];

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Success,
    Fails(String),
}

#[derive(Debug, Clone)]
struct DocCommand {
    /// `README.md:12`
    at: String,
    /// As the shell gets it (continuations joined).
    text: String,
    expect: Expect,
}

#[derive(Debug, Default)]
struct Page {
    commands: Vec<DocCommand>,
    /// Commands of blocks marked long: run on demand only.
    long: Vec<DocCommand>,
    /// (where, reason) of commands and blocks not run.
    not_run: Vec<(String, String)>,
    /// Problems with the page itself (untagged blocks of commands, ...).
    problems: Vec<String>,
}

const RUN_LANGS: &[&str] = &["sh", "bash", "shell", "console"];
const NOT_RUN_MARK: &str = "<!-- doc-commands: not run:";
const LONG_MARK: &str = "<!-- doc-commands: long:";
const FAILS_MARK: &str = "# fails:";

/// The commands of one markdown page, `name` for messages.
fn extract(name: &str, text: &str) -> Page {
    let mut page = Page::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let lang = info.split_whitespace().next().unwrap_or("").to_string();
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with("```") {
            end += 1;
        }
        let body = &lines[start..end.min(lines.len())];
        // The marker may sit on the line before the fence (blank lines between).
        let before = lines[..i].iter().rev().find(|l| !l.trim().is_empty());
        let marked = |mark: &str| {
            before
                .and_then(|l| l.trim().strip_prefix(mark))
                .map(|r| r.trim_end_matches("-->").trim().to_string())
        };
        if RUN_LANGS.contains(&lang.as_str()) {
            match (marked(NOT_RUN_MARK), marked(LONG_MARK)) {
                (Some(reason), _) | (_, Some(reason)) if reason.is_empty() => page
                    .problems
                    .push(format!("{name}:{}: a marked block must say why", i + 1)),
                (Some(reason), _) => page.not_run.push((format!("{name}:{}", i + 1), reason)),
                (_, Some(reason)) => {
                    let mut long = Page::default();
                    block(name, start, &commands_of(&lang, body), &mut long);
                    page.not_run
                        .push((format!("{name}:{}", i + 1), format!("long: {reason}")));
                    page.long.extend(long.commands);
                    page.problems.extend(long.problems);
                }
                _ => block(name, start, &commands_of(&lang, body), &mut page),
            }
        } else if lang.is_empty()
            && body.iter().any(|l| {
                let l = l.trim_start().trim_start_matches("$ ");
                l.starts_with("iopsim ") || l.starts_with("cargo ")
            })
        {
            page.problems.push(format!(
                "{name}:{}: an untagged block holds commands: tag it ```sh (to run it) or ```text (output)",
                i + 1
            ));
        }
        i = end + 1;
    }
    page
}

/// The lines of a block that hold commands: all of them, but in a `console`
/// transcript only those after a `$ ` prompt (the others blanked, so line
/// numbers hold).
fn commands_of<'a>(lang: &str, body: &[&'a str]) -> Vec<&'a str> {
    if lang != "console" {
        return body.to_vec();
    }
    body.iter()
        .map(|l| if l.starts_with("$ ") { *l } else { "" })
        .collect()
}

/// The commands of one `sh` block whose first line is line `start` (0-based).
fn block(name: &str, start: usize, body: &[&str], page: &mut Page) {
    let mut k = 0;
    while k < body.len() {
        let first = k;
        let mut text = String::new();
        loop {
            let line = body[k].trim();
            match line.strip_suffix('\\') {
                Some(head) if k + 1 < body.len() => {
                    text.push_str(head.trim_end());
                    text.push(' ');
                    k += 1;
                }
                _ => {
                    text.push_str(line);
                    k += 1;
                    break;
                }
            }
        }
        let text = text.trim().trim_start_matches("$ ").to_string();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let at = format!("{name}:{}", start + first + 1);
        let (text, expect) = match text.find(FAILS_MARK) {
            Some(p) => (
                text[..p].trim().to_string(),
                Expect::Fails(text[p + FAILS_MARK.len()..].trim().to_string()),
            ),
            None => (text.clone(), Expect::Success),
        };
        // The comment after a command is for the reader.
        let command = strip_comment(&text);
        if let Some(rest) = command.strip_prefix("cargo run --release") {
            let args = rest.trim().trim_start_matches("--").trim();
            page.commands.push(DocCommand {
                at,
                text: format!("iopsim {args}").trim().to_string(),
                expect,
            });
        } else if command.starts_with("cargo ") {
            match RUN_BY_CI.iter().find(|(c, _)| command == *c) {
                Some((_, why)) => page.not_run.push((at, format!("{command}: {why}"))),
                None => page.problems.push(format!(
                    "{at}: `{command}` is neither iopsim nor one of CI's own steps; \
                     run it with iopsim or mark the block `{NOT_RUN_MARK} <reason> -->`"
                )),
            }
        } else if command.starts_with("iopsim") {
            page.commands.push(DocCommand {
                at,
                text: command,
                expect,
            });
        } else {
            page.problems.push(format!(
                "{at}: `{command}` is not an iopsim command; mark the block `{NOT_RUN_MARK} <reason> -->`"
            ));
        }
    }
}

/// `cmd   # comment` -> `cmd`: a `#` after whitespace, outside quotes.
fn strip_comment(text: &str) -> String {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && prev.is_whitespace() => return text[..i].trim().to_string(),
            None => {}
        }
        prev = c;
    }
    text.trim().to_string()
}

/// A scratch folder with the shipped files the pages name.
fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["scenarios", "docs"] {
        copy_dir(&root.join(dir), &tmp.path().join(dir));
    }
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Runs the commands of a page in order in `dir`; returns what went wrong.
fn run_page(page: &Page, dir: &Path) -> Vec<String> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_iopsim"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = page.problems.clone();
    for c in &page.commands {
        let out = Command::new("sh")
            .arg("-c")
            .arg(&c.text)
            .current_dir(dir)
            .env("PATH", &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail = |s: &str| {
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(8)..].join("\n")
        };
        match &c.expect {
            Expect::Success if !out.status.success() => failures.push(format!(
                "{}: `{}` failed ({}):\n{}\n{}",
                c.at,
                c.text,
                out.status,
                tail(&stdout),
                tail(&stderr)
            )),
            Expect::Fails(msg) if out.status.success() => failures.push(format!(
                "{}: `{}` is documented to fail with \"{msg}\" but succeeded",
                c.at, c.text
            )),
            Expect::Fails(msg) if !stderr.contains(msg.as_str()) => failures.push(format!(
                "{}: `{}` failed, but without \"{msg}\":\n{}",
                c.at,
                c.text,
                tail(&stderr)
            )),
            _ => {}
        }
    }
    failures
}

fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![root.join("README.md")];
    let mut stack = vec![root.join("docs")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn check_pages(filter: impl Fn(&Path) -> bool) {
    check_pages_of(filter, false);
}

/// Runs the pages' commands; with `long`, only those of long blocks.
fn check_pages_of(filter: impl Fn(&Path) -> bool, long: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let mut ran = 0;
    for p in pages().into_iter().filter(|p| filter(p)) {
        let name = p.strip_prefix(root).unwrap().display().to_string();
        let mut page = extract(&name, &fs::read_to_string(&p).unwrap());
        if long {
            page.commands = std::mem::take(&mut page.long);
        }
        if page.commands.is_empty() && page.problems.is_empty() {
            continue;
        }
        let dir = scratch();
        failures.extend(run_page(&page, dir.path()));
        ran += page.commands.len();
        for (at, why) in &page.not_run {
            println!("not run: {at}: {why}");
        }
    }
    println!("{ran} documented commands ran");
    assert!(
        failures.is_empty(),
        "{} documented command(s) broke:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// Split in three so the pages run side by side.

#[test]
fn readme_commands_run() {
    check_pages(|p| p.ends_with("README.md"));
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        extract("README.md", &readme).commands.len() >= 10,
        "the README's commands were found"
    );
}

#[test]
fn decision_and_library_commands_run() {
    check_pages(|p| {
        p.ends_with("decisions.md") || p.components().any(|c| c.as_os_str() == "library")
    });
}

#[test]
fn other_docs_commands_run() {
    check_pages(|p| {
        !p.ends_with("README.md")
            && !p.ends_with("decisions.md")
            && !p.components().any(|c| c.as_os_str() == "library")
    });
}

/// The commands that take minutes of CPU (`iopsim validate --full`), run
/// on demand: `cargo test --release --test doc_commands -- --ignored`.
#[test]
#[ignore = "minutes of CPU; run on demand"]
fn long_commands_run() {
    check_pages_of(|_| true, true);
}

// --- The harness itself ------------------------------------------------------

#[test]
fn a_broken_example_is_caught() {
    // A command that fails on the default (a second evening group needs a
    // second room), one documented to fail that succeeds, one that fails
    // with another message, and one that passes.
    let md = "Text.\n\n```sh\n\
              iopsim check\n\
              iopsim check --set units.iop.tracks.evening.groups=2\n\
              iopsim check   # fails: double-booked\n\
              iopsim check --set units.iop.tracks.evening.groups=2 \\\n  --set rooms.group-room.count=1  # fails: no such message\n\
              iopsim check --set units.iop.tracks.evening.groups=2   # fails: double-booked\n\
              ```\n";
    let page = extract("planted.md", md);
    assert_eq!(page.commands.len(), 5, "{page:?}");
    assert_eq!(
        page.commands[3].text,
        "iopsim check --set units.iop.tracks.evening.groups=2 --set rooms.group-room.count=1"
    );
    assert_eq!(page.commands[3].at, "planted.md:7");
    let dir = scratch();
    let failures = run_page(&page, dir.path());
    assert_eq!(failures.len(), 3, "{failures:#?}");
    assert!(failures[0].starts_with("planted.md:5:"), "{}", failures[0]);
    assert!(
        failures[1].contains("documented to fail"),
        "{}",
        failures[1]
    );
    assert!(
        failures[2].contains("without \"no such message\""),
        "{}",
        failures[2]
    );
}

#[test]
fn pages_say_what_they_do_not_run() {
    let md = "```\niopsim run\n```\n\n```sh\nrm -rf output\n```\n\n\
              <!-- doc-commands: not run: needs nightly -->\n```sh\ncargo +nightly fuzz run x\n```\n\n\
              <!-- doc-commands: long: minutes -->\n```sh\niopsim validate --full\n```\n\n\
              ```sh\ncargo test --release   # the tests\ncargo run --release -- check   # same binary\ncargo run --release\n```\n";
    let page = extract("p.md", md);
    assert_eq!(page.problems.len(), 2, "{:#?}", page.problems);
    assert!(page.problems[0].contains("untagged"));
    assert!(page.problems[1].contains("`rm -rf output` is not an iopsim command"));
    assert_eq!(page.not_run.len(), 3, "{:?}", page.not_run);
    assert_eq!(page.not_run[0].1, "needs nightly");
    assert_eq!(page.not_run[1].1, "long: minutes");
    assert_eq!(page.long.len(), 1);
    assert_eq!(page.long[0].text, "iopsim validate --full");
    let texts: Vec<&str> = page.commands.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["iopsim check", "iopsim"]);
    assert_eq!(
        strip_comment("iopsim run --set 'a=\"# x\"'  # why"),
        "iopsim run --set 'a=\"# x\"'"
    );
}
