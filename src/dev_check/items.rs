//! The items a Rust file defines at its top level, named well enough to tell two files' copies apart:
//! `struct Url`, `const MAX_LINE`, `impl fmt::Display for Url`. Only what starts at the first column is
//! read, so items inside a function or a `mod tests { }` are not counted, and no full parser is needed.

use std::collections::BTreeSet;

/// The keywords that start an item the learner does not write: types, constants, traits and impls.
const KINDS: [&str; 7] = [
    "struct", "enum", "union", "const", "static", "type", "trait",
];

/// Every top-level item of `source`, as its kind and name (`struct Url`), or for an impl, its header up to
/// the brace (`impl fmt::Display for Url`).
pub fn defined(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter(|line| !line.starts_with(char::is_whitespace))
        .filter_map(|line| item(without_visibility(line)))
        .collect()
}

/// `pub struct X`, `pub(crate) const Y` -> `struct X`, `const Y`.
fn without_visibility(line: &str) -> &str {
    let Some(rest) = line.strip_prefix("pub") else {
        return line;
    };
    let rest = match rest.strip_prefix('(') {
        Some(inside) => inside.split_once(')').map_or(rest, |(_, after)| after),
        None => rest,
    };
    if rest.starts_with(char::is_whitespace) {
        rest.trim_start()
    } else {
        line
    }
}

fn item(line: &str) -> Option<String> {
    if let Some(header) = line.strip_prefix("impl") {
        let header = header.split('{').next().unwrap_or(header).trim();
        let header = header.strip_prefix("<").map_or(header, |generics| {
            generics
                .split_once('>')
                .map_or(generics, |(_, rest)| rest.trim_start())
        });
        return Some(format!("impl {header}"));
    }
    let (kind, rest) = line.split_once(char::is_whitespace)?;
    if !KINDS.contains(&kind) {
        return None;
    }
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then(|| format!("{kind} {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_items_are_named_by_kind_and_name_and_impls_by_their_header() {
        let source = "\
//! const IN_A_COMMENT: u8 = 1;
use std::fmt;

pub struct Url {
    pub host: String,
}

pub(crate) const MAX_LINE: usize = 1024;
static COUNT: u8 = 0;
pub enum Reply { Tagged }
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { Ok(()) }
}
impl<T: Clone> Holder<T> {}
pub fn connect() {
    struct Inner;
}
mod tests {
    const INSIDE: u8 = 2;
}
";
        let found: Vec<String> = defined(source).into_iter().collect();
        assert_eq!(
            found,
            [
                "const MAX_LINE",
                "enum Reply",
                "impl Holder<T>",
                "impl fmt::Display for Url",
                "static COUNT",
                "struct Url",
            ]
        );
    }

    #[test]
    fn functions_uses_and_words_that_only_start_like_a_kind_are_not_items() {
        let source =
            "pub fn structure() {}\nuse crate::config::*;\npublic_thing();\nconstant = 1;\n";
        assert!(defined(source).is_empty(), "{:?}", defined(source));
    }
}
