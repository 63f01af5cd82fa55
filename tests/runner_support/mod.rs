//! Copies of the course for the runner's tests, so they never touch your exercises or your progress.
//!
//! The runner is pointed at a copy with `COURSE_ROOT`, and at a progress file of the test's own with
//! `COURSE_PROGRESS`. A copy holds what cargo needs to build a lesson (`Cargo.toml`, `Cargo.lock`,
//! `shared/`, `lessons/`, a stub `src/main.rs`) and `book/src/` for the chapter paths the runner prints.
//!
//! Building is the slow part, so the copies are built once and kept, in `target/tmp/runner-tests`:
//!
//! - each kind of copy (the exercise as shipped, replaced by the solution, ...) is one folder that is
//!   brought up to date at the start of a test run by writing only the files whose content changed; cargo
//!   sees unchanged files as unchanged and rebuilds nothing on a warm run;
//! - all copies build into one target folder of their own, `runner-tests/target`, so the dependencies
//!   compile once. Not the workspace's own `target/`: a copy whose `exercise.rs` is the solution would
//!   leave a build there that cargo, which knows sources by their path in the workspace and their
//!   modification time, not their content, could later take for a build of *your* exercise (measured);
//! - for the same reason, in one shared target folder the copies must not produce the same file names for
//!   different `exercise.rs` contents: each kind of copy gives the lesson package its own `codegen-units`
//!   in a `.cargo/config.toml`, which changes the names of its build files and nothing else.
//!
//! A nested `cargo` run from inside `cargo test` does not deadlock (cargo releases its lock before it runs
//! the tests, measured with cargo 1.95), but it would wait for any other build of the same target folder:
//! another reason for the copies' own.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The real workspace. Only read, never written.
pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The lesson the tests exercise: the first one.
pub const LESSON_PREFIX: &str = "01-";

/// A runner command that only reads files (list, hint, a lesson that does not exist).
pub const QUICK: Duration = Duration::from_secs(30);

/// A runner command that builds. On a warm run it takes a second or two; the first run on a fresh clone
/// compiles the lesson's dependencies into the copies' target folder (about 30 s on two cores) and may
/// wait for the other tests' builds.
pub const BUILDS: Duration = Duration::from_secs(15 * 60);

/// What the copy's `exercise.rs` of the tested lesson holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exercise {
    /// As shipped: the version in git's HEAD (so a learner's own progress never changes the tests).
    Shipped,
    /// The reference solution.
    Solved,
    /// The shipped exercise with a loop that never ends before step 1's `todo!()`.
    HangsInStep1,
    /// The shipped exercise with a type error added.
    DoesNotCompile,
    /// As shipped, in a copy of its own that the test may change (the `watch` test saves into it).
    Watched,
}

impl Exercise {
    fn folder(self) -> &'static str {
        match self {
            Exercise::Shipped => "shipped",
            Exercise::Solved => "solved",
            Exercise::HangsInStep1 => "hangs",
            Exercise::DoesNotCompile => "broken",
            Exercise::Watched => "watched",
        }
    }

    /// A `codegen-units` value of this kind's own (see the module comment); 256 is cargo's default.
    fn codegen_units(self) -> u32 {
        match self {
            Exercise::Shipped => 256,
            Exercise::Solved => 255,
            Exercise::HangsInStep1 => 254,
            Exercise::DoesNotCompile => 253,
            Exercise::Watched => 252,
        }
    }

    fn content(self, lesson: &Path) -> String {
        let shipped = shipped_exercise(lesson);
        match self {
            Exercise::Shipped | Exercise::Watched => shipped,
            Exercise::Solved => read(&lesson.join("src/solution.rs")),
            Exercise::HangsInStep1 => {
                // The first `todo!(` in code, not in a comment that mentions it: step 1's.
                let mut offset = 0;
                let mut start = None;
                for line in shipped.split_inclusive('\n') {
                    if let (false, Some(at)) =
                        (line.trim_start().starts_with("//"), line.find("todo!("))
                    {
                        start = Some(offset + at);
                        break;
                    }
                    offset += line.len();
                }
                let start = start.expect("the shipped exercise has a todo!()");
                // The todo!() stays, unreachable after a loop that never ends (rustc warns, and builds).
                format!(
                    "{}loop {{ std::thread::park() }}; {}",
                    &shipped[..start],
                    &shipped[start..]
                )
            }
            Exercise::DoesNotCompile => {
                format!(
                    "{shipped}\npub fn added_by_the_runner_tests() -> u32 {{ \"not a number\" }}\n"
                )
            }
        }
    }
}

/// A copy of the course and a progress file of the test's own, deleted when the test ends.
pub struct Sandbox {
    pub root: PathBuf,
    pub progress: PathBuf,
    /// Folders made for this test only, deleted with it.
    own: Vec<PathBuf>,
}

impl Sandbox {
    /// The shared, persistent copy for `exercise` (made up to date once per test run).
    pub fn new(exercise: Exercise) -> Sandbox {
        static COPIES: [OnceLock<PathBuf>; 5] = [const { OnceLock::new() }; 5];
        let cell = &COPIES[exercise as usize];
        let root = cell.get_or_init(|| prepare_copy(exercise)).clone();
        let progress = unique_path("progress");
        Sandbox {
            root,
            progress,
            own: Vec::new(),
        }
    }

    /// A copy of only the lessons, made for this test: for commands that change the copy (reset).
    pub fn lessons_only() -> Sandbox {
        let root = unique_path("lessons-copy");
        let files = collect(Path::new(REPO), &["course.toml", "lessons"]);
        sync(&root, &files);
        Sandbox {
            progress: root.join(".course-progress"),
            own: vec![root.clone()],
            root,
        }
    }

    /// A copy of the lessons and the book's chapters, made for this test: for the lesson map when a
    /// chapter is changed (the runner reads the book, it does not build it).
    pub fn lessons_and_book() -> Sandbox {
        let root = unique_path("book-copy");
        let files = collect(Path::new(REPO), &["course.toml", "lessons", "book/src"]);
        sync(&root, &files);
        Sandbox {
            progress: root.join(".course-progress"),
            own: vec![root.clone()],
            root,
        }
    }

    /// The runner, pointed at this copy. Every run has a time limit.
    pub fn course(&self, limit: Duration) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::from_std(self.spawnable());
        command.timeout(limit);
        command
    }

    /// The runner as a plain `std` command, for a run the test reads while it goes on (`watch`); the
    /// caller kills it.
    pub fn spawnable(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_course"));
        command
            .env("COURSE_ROOT", &self.root)
            .env("COURSE_PROGRESS", &self.progress)
            .env("CARGO_TARGET_DIR", runner_tests().join("target"))
            // git must not find the workspace's repository around a copy that is not a checkout itself.
            .env("GIT_CEILING_DIRECTORIES", runner_tests());
        command
    }

    /// The tested lesson's folder in this copy.
    pub fn lesson(&self) -> PathBuf {
        lesson_folder(&self.root)
    }

    /// The progress file's text; empty when the runner has not written it.
    pub fn progress_text(&self) -> String {
        fs::read_to_string(&self.progress).unwrap_or_default()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.progress);
        for folder in &self.own {
            let _ = fs::remove_dir_all(folder);
        }
    }
}

/// The tested lesson's folder (the first lesson) under `root`.
pub fn lesson_folder(root: &Path) -> PathBuf {
    let lessons = root.join("lessons");
    let mut names: Vec<String> = fs::read_dir(&lessons)
        .unwrap_or_else(|err| panic!("reading {}: {err}", lessons.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(LESSON_PREFIX))
        .collect();
    names.sort();
    lessons.join(names.first().expect("the course has a lesson 01"))
}

pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

/// `target/tmp/runner-tests`: cargo's folder for integration tests' files, inside the target folder.
pub fn runner_tests() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("runner-tests")
}

/// A path no other test of any test process uses: the process id and a counter.
pub fn unique_path(prefix: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = runner_tests().join(format!(
        "{prefix}-{}-{}",
        process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    // Left over from an earlier run whose process had the same id.
    let _ = fs::remove_dir_all(&path);
    let _ = fs::remove_file(&path);
    fs::create_dir_all(runner_tests()).expect("creating target/tmp/runner-tests");
    path
}

/// Runs a helper program (git) with a time limit; panics with its output if it fails.
pub fn run_ok(program: &str, args: &[&str], dir: &Path) -> String {
    let output = assert_cmd::Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", runner_tests())
        .timeout(QUICK)
        .output()
        .unwrap_or_else(|err| panic!("running {program} {args:?}: {err}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether a program can be started at all.
pub fn available(program: &str) -> bool {
    assert_cmd::Command::new(program)
        .arg("--version")
        .timeout(QUICK)
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The tested lesson's `exercise.rs` as shipped: git's HEAD version, or the file itself outside git.
fn shipped_exercise(lesson: &Path) -> String {
    let rel = lesson
        .strip_prefix(REPO)
        .expect("the lesson is in the workspace")
        .join("src")
        .join("exercise.rs");
    let rel = rel.to_string_lossy().replace('\\', "/");
    let from_git = assert_cmd::Command::new("git")
        .args(["show", &format!("HEAD:./{rel}")])
        .current_dir(REPO)
        .timeout(QUICK)
        .output();
    match from_git {
        Ok(output) if output.status.success() => {
            String::from_utf8(output.stdout).expect("the shipped exercise is UTF-8")
        }
        _ => read(&lesson.join("src").join("exercise.rs")),
    }
}

/// Brings the persistent copy for `exercise` up to date and returns its root.
fn prepare_copy(exercise: Exercise) -> PathBuf {
    let root = runner_tests().join(exercise.folder());
    let real_lesson = lesson_folder(Path::new(REPO));
    let lesson_rel = real_lesson.strip_prefix(REPO).unwrap().to_path_buf();
    let package = package_name(&read(&real_lesson.join("Cargo.toml")));

    let mut files = collect(
        Path::new(REPO),
        &[
            "Cargo.toml",
            "Cargo.lock",
            "course.toml",
            "shared",
            "lessons",
            "book/src",
        ],
    );
    // Cargo needs the root package to have a program; the runner itself is never built in a copy.
    files.insert(PathBuf::from("src/main.rs"), b"fn main() {}\n".to_vec());
    files.insert(
        lesson_rel.join("src").join("exercise.rs"),
        exercise.content(&real_lesson).into_bytes(),
    );
    files.insert(
        PathBuf::from(".cargo/config.toml"),
        format!(
            "# Written by tests/runner_support: gives this copy's build of {package} file names of its own.\n\
             [profile.dev.package.{package}]\ncodegen-units = {}\n",
            exercise.codegen_units()
        )
        .into_bytes(),
    );
    sync(&root, &files);
    root
}

/// `[package] name` of a lesson's `Cargo.toml`.
fn package_name(manifest: &str) -> String {
    let manifest: toml::Table = toml::from_str(manifest).expect("the lesson's Cargo.toml is TOML");
    manifest["package"]["name"]
        .as_str()
        .expect("the lesson's Cargo.toml has a package name")
        .to_string()
}

/// Every file under the `entries` (files or folders) of `from`, by path relative to `from`, skipping
/// `target` folders and hidden files.
fn collect(from: &Path, entries: &[&str]) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(from: &Path, rel: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let path = from.join(rel);
        if path.is_dir() {
            for entry in fs::read_dir(&path).unwrap() {
                let name = entry.unwrap().file_name();
                let name_text = name.to_string_lossy();
                if name_text == "target" || name_text.starts_with('.') {
                    continue;
                }
                walk(from, &rel.join(&name), files);
            }
        } else if path.is_file() {
            files.insert(rel.to_path_buf(), fs::read(&path).unwrap());
        }
    }
    let mut files = BTreeMap::new();
    for entry in entries {
        walk(from, Path::new(entry), &mut files);
    }
    files
}

/// Makes `root` hold exactly `files` (besides its `target` folder), writing only what changed so that
/// unchanged files keep their modification time and cargo rebuilds nothing for them.
fn sync(root: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) {
    let scratch = runner_tests().join("scratch");
    fs::create_dir_all(&scratch).unwrap();
    for (rel, content) in files {
        let path = root.join(rel);
        if fs::read(&path).is_ok_and(|old| &old == content) {
            continue;
        }
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        // Written aside, then renamed: another test process syncing the same copy never sees half a file.
        let temporary = unique_path("scratch/file");
        fs::write(&temporary, content).unwrap();
        fs::rename(&temporary, &path)
            .unwrap_or_else(|err| panic!("writing {}: {err}", path.display()));
    }
    let folders: BTreeSet<&Path> = files
        .keys()
        .flat_map(|rel| rel.ancestors().skip(1))
        .collect();
    remove_extra(root, Path::new(""), files, &folders);
}

/// Deletes what is under `root/rel` and not in `files` (a lesson deleted or renamed in the workspace).
fn remove_extra(
    root: &Path,
    rel: &Path,
    files: &BTreeMap<PathBuf, Vec<u8>>,
    folders: &BTreeSet<&Path>,
) {
    let Ok(entries) = fs::read_dir(root.join(rel)) else {
        return;
    };
    for entry in entries.flatten() {
        let child = rel.join(entry.file_name());
        if child == Path::new("target") {
            continue;
        }
        if entry.path().is_dir() {
            if folders.contains(child.as_path()) {
                remove_extra(root, &child, files, folders);
            } else {
                let _ = fs::remove_dir_all(entry.path());
            }
        } else if !files.contains_key(&child) {
            let _ = fs::remove_file(entry.path());
        }
    }
}
