//! `course.toml`, the course manifest: every lesson in order, written or planned. It is the runner's one
//! source for which lessons exist, what they are called and where their chapters are.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The file at the repository root.
pub const FILE: &str = "course.toml";

/// The whole manifest: `[[lesson]]` tables, in teaching order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "lesson", default)]
    pub lessons: Vec<Entry>,
}

/// One `[[lesson]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub number: u32,
    /// The lesson's crate, relative to the root: `lessons/01-basic-client`.
    pub folder: String,
    /// Its cargo package: `basic-client`.
    pub package: String,
    pub title: String,
    /// Its chapter, relative to the root: `book/src/01-basic-client.md`.
    pub chapter: String,
    pub status: Status,
}

/// Whether a lesson can be done yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Written,
    Planned,
}

impl Manifest {
    /// Reads `root/course.toml`; an error names the file and, for a mistake in it, the line.
    pub fn load(root: &Path) -> Result<Manifest> {
        let path = root.join(FILE);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {}, the course manifest: is COURSE_ROOT (or the runner's location) the course \
                 repository?",
                path.display()
            )
        })?;
        let manifest: Manifest =
            toml::from_str(&text).with_context(|| format!("reading {FILE}"))?;
        manifest.check(root)?;
        Ok(manifest)
    }

    /// The mistakes that would mislead the runner: numbers out of order, or a written lesson without its
    /// folder.
    fn check(&self, root: &Path) -> Result<()> {
        for pair in self.lessons.windows(2) {
            if pair[1].number <= pair[0].number {
                bail!(
                    "{FILE}: lesson {} comes after lesson {}: the lessons are listed in number order, each once",
                    pair[1].number,
                    pair[0].number
                );
            }
        }
        for entry in &self.lessons {
            if entry.status == Status::Written && !root.join(&entry.folder).is_dir() {
                bail!(
                    "{FILE}: lesson {} is written, but its folder {} does not exist",
                    entry.number,
                    entry.folder
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn entries_are_read_in_order_with_their_status() {
        let manifest = parse(
            r#"
[[lesson]]
number = 1
folder = "lessons/01-a"
package = "a"
title = "the first"
chapter = "book/src/01-a.md"
status = "written"

[[lesson]]
number = 2
folder = "lessons/02-b"
package = "b"
title = "the second"
chapter = "book/src/02-b.md"
status = "planned"
"#,
        )
        .unwrap();
        assert_eq!(manifest.lessons.len(), 2);
        assert_eq!(manifest.lessons[0].package, "a");
        assert_eq!(manifest.lessons[1].status, Status::Planned);
    }

    #[test]
    fn a_misspelt_key_or_status_is_an_error_that_names_it() {
        let entry = "[[lesson]]\nnumber = 1\nfolder = \"f\"\npackage = \"p\"\ntitle = \"t\"\nchapter = \"c\"\n";
        let err = parse(&format!("{entry}status = \"done\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("done") && err.contains("written"), "{err}");
        let err = parse(&format!("{entry}status = \"written\"\ntitel = \"x\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("titel"), "{err}");
    }
}
