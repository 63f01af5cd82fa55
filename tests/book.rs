//! The book stays consistent with the workspace.
//!
//! The chapters include their code from the lessons' sources (`{{#include ../../lessons/...:anchor}}`), so a
//! renamed file or anchor would silently leave a hole in the book; a new lesson without a chapter would leave
//! the learner without its text. These tests read `book/src` and fail with the file and line to fix:
//!
//! - every `{{#include}}` and `{{#rustdoc_include}}` points at an existing file, and its anchor has both an
//!   `ANCHOR: name` and an `ANCHOR_END: name` line (or its line range exists);
//! - every lesson folder `lessons/NN-name` has a chapter `book/src/NN-name.md` (the file name contains the
//!   folder name), listed in `SUMMARY.md`, in lesson order;
//! - every chapter listed in `SUMMARY.md` exists, and every Markdown file in `book/src` is listed;
//! - every image and relative link in a chapter points at an existing file inside `book/src` (only that
//!   folder is published with the book), and a link to `chapter.md#heading` at an existing heading;
//! - every test a chapter's "Pitfalls" section names, as `` (`test_name`) ``, is a test of that lesson.
//!
//! Standard library only; the whole file runs in milliseconds.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The workspace root: every path in a message is shown relative to it.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn book_src() -> PathBuf {
    root().join("book").join("src")
}

/// `path` relative to the workspace root, with `/` separators, for messages.
fn shown(path: &Path) -> String {
    let relative = path.strip_prefix(root()).unwrap_or(path);
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Resolves `.` and `..` without touching the file system (the target may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("reading {}: {err}", shown(path)))
}

/// Every `.md` file under `book/src`, sorted.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries =
            fs::read_dir(dir).unwrap_or_else(|err| panic!("listing {}: {err}", shown(dir)));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&book_src(), &mut found);
    found.sort();
    found
}

/// Fails with every problem found, one per line, so a single run lists everything to fix.
fn report(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what}:\n  {}\n",
        problems.join("\n  ")
    );
}

/// A Markdown line outside fenced code blocks, with its 1-based number.
struct ProseLine<'a> {
    number: usize,
    text: &'a str,
}

/// The lines of `text` that are not inside a fenced code block (``` or ~~~).
fn prose_lines(text: &str) -> Vec<ProseLine<'_>> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"]
            .into_iter()
            .find(|marker| trimmed.starts_with(marker));
        match (fence, marker) {
            (None, Some(marker)) => fence = Some(marker),
            (Some(open), Some(marker)) if open == marker => fence = None,
            (None, None) => lines.push(ProseLine {
                number: index + 1,
                text: line,
            }),
            _ => {}
        }
    }
    lines
}

/// `line` without its inline code spans (`like this`), which are shown as written and never linked.
fn without_inline_code(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let delimiter = &rest[start..start + ticks];
        let after = &rest[start + ticks..];
        match after.find(delimiter) {
            Some(end) => rest = &after[end + ticks..],
            // An unmatched backtick is literal text.
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------------------
// (a) includes

/// One mdBook directive, `{{#name args}}`, found in a chapter.
struct Directive {
    line: usize,
    name: String,
    args: String,
}

/// Every `{{#...}}` directive in `text`, including those inside code blocks (mdBook expands them there too),
/// except the escaped `\{{#...}}`, which mdBook shows as written.
fn directives(text: &str) -> Vec<Directive> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(offset) = line[from..].find("{{") {
            let start = from + offset;
            from = start + 2;
            if line[..start].ends_with('\\') {
                continue;
            }
            let inner = line[start + 2..].trim_start();
            let Some(inner) = inner.strip_prefix('#') else {
                continue;
            };
            let Some(end) = inner.find("}}") else {
                continue;
            };
            let body = &inner[..end];
            let name_len = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            found.push(Directive {
                line: index + 1,
                name: body[..name_len].to_string(),
                args: body[name_len..].trim().to_string(),
            });
        }
    }
    found
}

/// Checks `selector` (what follows the path's `:`) against the included file's `contents`.
/// A selector is an anchor name, or a line range like `10`, `10:20`, `:20`, `10:`.
fn check_selector(selector: &str, contents: &str) -> Result<(), String> {
    let is_range = selector
        .split(':')
        .all(|part| part.chars().all(|c| c.is_ascii_digit()));
    if is_range {
        let lines = contents.lines().count();
        let start: usize = selector
            .split(':')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        return if start <= lines.max(1) {
            Ok(())
        } else {
            Err(format!(
                "line range `{selector}` starts after the end of the file ({lines} lines)"
            ))
        };
    }
    // mdBook's rule: a line containing `ANCHOR: name` (any comment syntax around it) starts the part and
    // one containing `ANCHOR_END: name` ends it; the name is a whole word.
    let marker_line = |marker: &str| {
        contents.lines().position(|line| {
            line.match_indices(marker).any(|(at, _)| {
                let name = line[at + marker.len()..].trim_start();
                let word_len = name
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(name.len());
                &name[..word_len] == selector
            })
        })
    };
    match (marker_line("ANCHOR:"), marker_line("ANCHOR_END:")) {
        (Some(start), Some(end)) if start < end => Ok(()),
        (Some(_), Some(_)) => Err(format!(
            "`ANCHOR_END: {selector}` comes before `ANCHOR: {selector}`"
        )),
        (None, None) => Err(format!(
            "there is no anchor `{selector}` (no `ANCHOR: {selector}` line)"
        )),
        (Some(_), None) => Err(format!(
            "`ANCHOR: {selector}` has no `ANCHOR_END: {selector}` line"
        )),
        (None, Some(_)) => Err(format!(
            "`ANCHOR_END: {selector}` has no `ANCHOR: {selector}` line"
        )),
    }
}

#[test]
fn includes_point_at_existing_files_and_anchors() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for chapter in markdown_files() {
        let dir = chapter.parent().expect("a chapter is in a folder");
        for directive in directives(&read(&chapter)) {
            if !matches!(directive.name.as_str(), "include" | "rustdoc_include") {
                continue;
            }
            checked += 1;
            let at = format!("{}:{}", shown(&chapter), directive.line);
            let written = format!("{{{{#{} {}}}}}", directive.name, directive.args);
            let (path, selector) = match directive.args.split_once(':') {
                Some((path, selector)) => (path.trim(), Some(selector.trim())),
                None => (directive.args.trim(), None),
            };
            if path.is_empty() {
                problems.push(format!("{at}: `{written}` names no file"));
                continue;
            }
            let target = normalize(&dir.join(path));
            let Ok(contents) = fs::read_to_string(&target) else {
                problems.push(format!(
                    "{at}: `{written}`: {} does not exist (the path is relative to the chapter's folder)",
                    shown(&target)
                ));
                continue;
            };
            if let Some(selector) = selector.filter(|s| !s.is_empty()) {
                if let Err(why) = check_selector(selector, &contents) {
                    problems.push(format!("{at}: `{written}`: in {}, {why}", shown(&target)));
                }
            }
        }
    }
    report("the book includes code that is not there", problems);
    assert!(
        checked > 0,
        "no {{{{#include}}}} found in book/src: the chapters must include their code from the lessons"
    );
}

// ---------------------------------------------------------------------------------------------------------
// (b) and (d): the summary, the chapters and the lessons

/// A chapter listed in `SUMMARY.md`: its target as written, and the line.
struct SummaryEntry {
    line: usize,
    target: String,
}

/// The chapters `SUMMARY.md` lists, in order. Draft chapters (`[Title]()`) have no file and are skipped.
fn summary_entries() -> Vec<SummaryEntry> {
    let summary = read(&book_src().join("SUMMARY.md"));
    let mut entries = Vec::new();
    for line in prose_lines(&summary) {
        for target in link_targets(line.text) {
            if !target.is_empty() {
                entries.push(SummaryEntry {
                    line: line.number,
                    target,
                });
            }
        }
    }
    entries
}

#[test]
fn every_chapter_in_the_summary_exists_and_every_page_is_listed() {
    let src = book_src();
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for entry in summary_entries() {
        let path = normalize(&src.join(&entry.target));
        if !path.is_file() {
            problems.push(format!(
                "book/src/SUMMARY.md:{}: the chapter `{}` does not exist: expected {}",
                entry.line,
                entry.target,
                shown(&path)
            ));
        }
        listed.insert(path);
    }
    for page in markdown_files() {
        let name = page.file_name().expect("a file name");
        if name != "SUMMARY.md" && !listed.contains(&page) {
            problems.push(format!(
                "{}: not listed in book/src/SUMMARY.md, so the book never shows it",
                shown(&page)
            ));
        }
    }
    report("SUMMARY.md and the chapters disagree", problems);
}

/// The lesson folders, `lessons/NN-name`, sorted by name (so in lesson order).
fn lesson_folders() -> Vec<String> {
    let lessons = root().join("lessons");
    let mut names: Vec<String> = fs::read_dir(&lessons)
        .unwrap_or_else(|err| panic!("listing {}: {err}", shown(&lessons)))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .filter_map(|path| Some(path.file_name()?.to_string_lossy().into_owned()))
        .filter(|name| {
            let digits = name.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && name[digits..].starts_with('-')
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_lesson_has_a_chapter_listed_in_order() {
    let src = book_src();
    let chapter_names: Vec<String> = fs::read_dir(&src)
        .unwrap_or_else(|err| panic!("listing {}: {err}", shown(&src)))
        .map(|entry| entry.expect("a directory entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .collect();
    let summary = summary_entries();
    let mut problems = Vec::new();
    let mut previous: Option<(usize, String)> = None;
    for lesson in lesson_folders() {
        let Some(chapter) = chapter_names.iter().find(|name| name.contains(&lesson)) else {
            let number = &lesson[..=lesson.find('-').expect("checked above")];
            let same_number: Vec<&String> = chapter_names
                .iter()
                .filter(|name| name.starts_with(number))
                .collect();
            let advice = if same_number.is_empty() {
                String::new()
            } else {
                format!(" (found {same_number:?}: rename it after the lesson folder)")
            };
            problems.push(format!(
                "lessons/{lesson} has no chapter: expected book/src/{lesson}.md{advice}"
            ));
            continue;
        };
        let Some(entry) = summary
            .iter()
            .find(|entry| Path::new(&entry.target).file_name() == Some(OsStr::new(chapter)))
        else {
            problems.push(format!(
                "lessons/{lesson}: its chapter book/src/{chapter} is not listed in book/src/SUMMARY.md"
            ));
            continue;
        };
        if let Some((line, before)) = &previous {
            if entry.line < *line {
                problems.push(format!(
                    "book/src/SUMMARY.md:{}: the chapter of lessons/{lesson} comes before the chapter of \
                     lessons/{before} (line {line}): list the lessons in order",
                    entry.line
                ));
            }
        }
        previous = Some((entry.line, lesson));
    }
    report("a lesson is missing from the book", problems);
}

/// The names written as `` `snake_case_name` `` in the "## Pitfalls" section of `chapter`.
fn pitfall_test_names(chapter: &str) -> Vec<(usize, String)> {
    let mut names = Vec::new();
    let mut in_pitfalls = false;
    for (index, line) in chapter.lines().enumerate() {
        if line.starts_with("## ") {
            in_pitfalls = line.trim() == "## Pitfalls";
            continue;
        }
        if !in_pitfalls {
            continue;
        }
        for (i, part) in line.split('`').enumerate() {
            // Odd parts are inside backticks; a test name is lower case with at least two underscores.
            let is_name = i % 2 == 1
                && part.matches('_').count() >= 2
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if is_name {
                names.push((index + 1, part.to_string()));
            }
        }
    }
    names
}

#[test]
fn the_pitfalls_sections_name_real_tests() {
    let mut problems = Vec::new();
    for lesson in lesson_folders() {
        let chapter = book_src().join(format!("{lesson}.md"));
        let Ok(text) = fs::read_to_string(&chapter) else {
            continue; // reported by every_lesson_has_a_chapter_listed_in_order
        };
        let tests_dir = root().join("lessons").join(&lesson).join("tests");
        let mut tests = String::new();
        for entry in fs::read_dir(&tests_dir).into_iter().flatten().flatten() {
            if entry.path().extension() == Some(OsStr::new("rs")) {
                tests.push_str(&read(&entry.path()));
            }
        }
        for (line, name) in pitfall_test_names(&text) {
            if !tests.contains(&format!("fn {name}(")) {
                problems.push(format!(
                    "{}:{line}: the test `{name}` does not exist in {}",
                    shown(&chapter),
                    shown(&tests_dir)
                ));
            }
        }
    }
    report("a chapter names a test that does not exist", problems);
}

// ---------------------------------------------------------------------------------------------------------
// (c) links and images

/// The targets of the Markdown links and images on `line` (`[text](target)`, `![alt](target "title")`,
/// reference definitions `[name]: target`) and of HTML `src="..."` / `href="..."` attributes, as written,
/// without a title. Inline code is skipped.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_inline_code(line);
    let mut targets = Vec::new();

    let mut from = 0;
    while let Some(offset) = line[from..].find("](") {
        let start = from + offset + 2;
        // The target ends at the `)` that balances the `(`.
        let mut depth = 1;
        let mut end = None;
        for (at, c) in line[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(start + at);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let inside = line[start..end].trim();
        let target = if let Some(angled) = inside.strip_prefix('<') {
            angled.split('>').next().unwrap_or_default()
        } else {
            inside.split_whitespace().next().unwrap_or_default()
        };
        targets.push(target.to_string());
        from = end + 1;
    }

    // A reference definition: `[name]: target "title"` at the start of the line.
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') && !trimmed.starts_with("[^") {
        if let Some((label, rest)) = trimmed.split_once("]:") {
            if !label.contains(']') {
                if let Some(target) = rest.split_whitespace().next() {
                    targets.push(target.trim_matches(['<', '>']).to_string());
                }
            }
        }
    }

    for attribute in ["src=\"", "href=\""] {
        let mut from = 0;
        while let Some(offset) = line[from..].find(attribute) {
            let start = from + offset + attribute.len();
            let Some(len) = line[start..].find('"') else {
                break;
            };
            targets.push(line[start..start + len].to_string());
            from = start + len;
        }
    }
    targets
}

/// Whether a link target leaves the book: a URL with a scheme (`https:`, `mailto:`) or without one (`//host`).
fn is_external(target: &str) -> bool {
    if target.starts_with("//") {
        return true;
    }
    match target.find(':') {
        Some(colon) => {
            let scheme = &target[..colon];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !target[..colon].contains('/')
        }
        None => false,
    }
}

/// The ids mdBook gives the headings of a chapter, for links like `01-basic-client.md#pitfalls`: the
/// heading's text, lower-cased, spaces as `-`, only letters, digits, `-` and `_` kept; a repeated id gets
/// `-1`, `-2`.
fn heading_ids(markdown: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for line in prose_lines(markdown) {
        let Some(heading) = line.text.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        // The heading's text as rendered: code spans and emphasis lose their markers, links their target.
        let mut text = heading.replace(['`', '*'], "");
        while let (Some(open), Some(close)) = (text.find("]("), text.find(')')) {
            if close < open {
                break;
            }
            text.replace_range(open..=close, "");
        }
        let id: String = text
            .replace('[', "")
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c)
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        let mut unique = id.clone();
        let mut counter = 1;
        while !ids.insert(unique.clone()) {
            unique = format!("{id}-{counter}");
            counter += 1;
        }
    }
    ids
}

#[test]
fn links_and_images_point_at_files_in_the_book() {
    let src = book_src();
    let mut problems = Vec::new();
    for chapter in markdown_files() {
        // SUMMARY.md's links are the chapters, checked by `every_chapter_in_the_summary_exists...`.
        if chapter.file_name().is_some_and(|name| name == "SUMMARY.md") {
            continue;
        }
        let dir = chapter.parent().expect("a chapter is in a folder");
        let text = read(&chapter);
        for line in prose_lines(&text) {
            for target in link_targets(line.text) {
                if target.is_empty() || is_external(&target) {
                    continue;
                }
                let at = format!("{}:{}", shown(&chapter), line.number);
                let (path_part, fragment) = match target.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (target.as_str(), None),
                };
                let path_part = path_part.split('?').next().unwrap_or_default();
                let resolved = if path_part.is_empty() {
                    chapter.clone()
                } else {
                    normalize(&dir.join(path_part))
                };
                if !resolved.starts_with(&src) {
                    problems.push(format!(
                        "{at}: `{target}` points outside book/src; the built book only has book/src, so the \
                         link would be broken there: name the file in `code` instead, or link to a page of \
                         the book"
                    ));
                    continue;
                }
                if !resolved.exists() {
                    problems.push(format!(
                        "{at}: `{target}`: {} does not exist",
                        shown(&resolved)
                    ));
                    continue;
                }
                let is_chapter = resolved.extension().is_some_and(|ext| ext == "md");
                if let (Some(fragment), true) = (fragment, is_chapter) {
                    if !heading_ids(&read(&resolved)).contains(fragment) {
                        problems.push(format!(
                            "{at}: `{target}`: {} has no heading with the id `{fragment}`",
                            shown(&resolved)
                        ));
                    }
                }
            }
        }
    }
    report(
        "the book links to files or headings that are not there",
        problems,
    );
}

// ---------------------------------------------------------------------------------------------------------
// The parsers above, on small examples, so a failure of the real checks is a real problem in the book.

#[test]
fn the_parsers_read_markdown_like_mdbook() {
    let found = directives(
        "a {{#include ../x.rs:connect}} b {{ #rustdoc_include y.rs }} \\{{#include escaped.rs}}",
    );
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|d| (d.name.as_str(), d.args.as_str()))
        .collect();
    assert_eq!(
        found,
        [("include", "../x.rs:connect"), ("rustdoc_include", "y.rs")]
    );

    let source = "// ANCHOR: connect\nfn a() {}\n// ANCHOR_END: connect\n// ANCHOR: connect_all\n";
    assert_eq!(check_selector("connect", source), Ok(()));
    assert!(check_selector("connect_all", source).is_err());
    assert!(check_selector("conn", source).is_err());
    assert_eq!(check_selector("2:3", source), Ok(()));
    assert!(check_selector("9:", source).is_err());

    assert_eq!(
        link_targets(
            r#"![a](d/x.svg "t") [b](c.md#part) `[not](code.md)` [r]: <ref.md> <img src="i.svg">"#
        ),
        ["d/x.svg", "c.md#part", "i.svg"]
    );
    assert_eq!(link_targets("[r]: ref.md \"title\""), ["ref.md"]);
    assert!(is_external("https://example.org") && is_external("mailto:a@b.c"));
    assert!(!is_external("diagrams/a.svg") && !is_external("../x.md") && !is_external("#part"));

    let ids =
        heading_ids("# 01 A `basic` client\n## Step 1: connect!\n## Pitfalls\n## Pitfalls\n#not\n");
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "01-a-basic-client",
            "pitfalls",
            "pitfalls-1",
            "step-1-connect"
        ]
    );

    let prose = prose_lines("one\n```text\n[x](missing.md)\n```\ntwo");
    let numbers: Vec<usize> = prose.iter().map(|line| line.number).collect();
    assert_eq!(numbers, [1, 5]);
}

// ---------------------------------------------------------------------------------------------------------
// (e) anchors no chapter uses

/// Every source file under `dir` (`.rs` and `.py`), found recursively.
fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                source_files(&path, found);
            }
        } else if path
            .extension()
            .is_some_and(|ext| ext == "rs" || ext == "py")
        {
            found.push(path);
        }
    }
}

/// The names of the `ANCHOR: name` markers in `contents`.
fn anchor_names(contents: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in contents.lines() {
        if let Some(at) = line.find("ANCHOR: ") {
            let name = line[at + "ANCHOR: ".len()..].trim_start();
            let len = name
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(name.len());
            names.push(name[..len].to_string());
        }
    }
    names
}

/// An anchor marks the part of a source a chapter shows; one no chapter includes is a leftover from code
/// that moved, and clutters the file the learner reads.
#[test]
fn every_anchor_in_the_lessons_is_included_by_a_chapter() {
    let mut used = std::collections::BTreeSet::new();
    for chapter in markdown_files() {
        let dir = chapter.parent().expect("a chapter is in a folder");
        for directive in directives(&read(&chapter)) {
            if let Some((path, selector)) = directive.args.split_once(':') {
                used.insert((
                    normalize(&dir.join(path.trim())),
                    selector.trim().to_string(),
                ));
            }
        }
    }
    let mut files = Vec::new();
    source_files(&root().join("lessons"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        for name in anchor_names(&read(&file)) {
            if !used.contains(&(normalize(&file), name.clone())) {
                problems.push(format!(
                    "{}: `ANCHOR: {name}` is included by no chapter: remove its two marker lines",
                    shown(&file)
                ));
            }
        }
    }
    report("the lessons have anchors no chapter uses", problems);
}
